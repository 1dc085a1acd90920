/* encode.h - how np-admin prints what it reads: CSV rows (RFC 4180), ids in
 * lowercase hex, and a stored message in the one JSON shape np-admin prints
 * (history export --format jsonl), or as a CSV row. Everything goes to stdout. */
#ifndef NP_ADMIN_ENCODE_H
#define NP_ADMIN_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admin.h"
#include "np.pb-c.h"

#define ADMIN_HEX_MAX 32        /* bytes of an id printed; more are cut */

/* The first ADMIN_HEX_MAX bytes of b in lowercase hex, NUL-terminated, into out. */
void admin_hex(const uint8_t *b, size_t len, char out[2 * ADMIN_HEX_MAX + 1]);

/* One CSV line of n fields: a field holding ',', '"', CR or LF is quoted, with
 * '"' doubled; the others are printed as they are. */
void admin_csv_row(const char *const *fields, size_t n);

/* A stored message on topic as one JSON line:
 * {"topic","id","sender":{"username","role","area"},"sent_at_ms",
 *  "received_at_ms","kind":K,K:{the body's fields}}; an announcement's body
 * ends in "withdrawn":true when withdrawn (an Update or Cancel withdrew it),
 * as np-history --json prints it. ADMIN_FAIL (admin.h) when jansson cannot
 * encode it (a string that is not UTF-8): nothing printed on stdout, the
 * reason on stderr. */
enum admin_rc admin_msg_print_json(const char *topic, const Np__Envelope *e, bool withdrawn);

/* An audit record as one line: CSV time,actor,command,target,result (time in
 * UTC, ISO 8601 to the millisecond), or with json one JSON object
 * {"ms","time","actor","command","target","result"}. */
enum admin_rc admin_audit_print(const struct hub_audit_rec *a, bool json);

/* The CSV header of admin_msg_print_csv's rows (no line ending). */
extern const char admin_msg_csv_header[];
/* A stored message on topic as one CSV row under admin_msg_csv_header. */
void admin_msg_print_csv(const char *topic, const Np__Envelope *e);

#endif
