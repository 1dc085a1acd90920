/* cap_cmd.h - np-admin's CAP commands (DESIGN.md "CAP") and what the public
 * site (np-admin site build) reuses to write its cap/ directory. */
#ifndef NP_ADMIN_CAP_CMD_H
#define NP_ADMIN_CAP_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "admin.h"

struct hub_history;

/* np-admin cap import FILE... [--watch DIR] [--as USER] ...: argv[0] is
 * "import". Through the hub; no database is opened (cap_import.c). */
enum admin_rc admin_cap_import(int argc, char **argv);

/* np-admin --db DIR cap export ID: argv[0] is "export" (cap_export.c). */
enum admin_rc admin_cap_export_cmd(struct hub_store *s, int argc, char **argv);
/* np-admin --db DIR cap atom ID...: argv[0] is "atom"; an Atom index of those
 * announcements linking np-<id>.xml (cap_export.c). */
enum admin_rc admin_cap_atom_cmd(struct hub_store *s, int argc, char **argv);

/* The id np-admin cap import gives the announcement of <info> number info
 * (from 0) of the CAP alert (sender, identifier) for province (2 digits). */
void admin_cap_id(const char *sender, const char *identifier, size_t info, const char *province,
		  uint8_t id[16]);

/* Writes the stored announcement id as one CAP 1.2 alert (UTF-8 XML, valid
 * against CAP-v1.2.xsd) to out: identifier np-<32 hex>, sender
 * <username>@np-hub, the CAP fields it was imported with (or Actual, Alert,
 * Unknown), its area with TIS-1099 and, for a province, ISO3166-2 geocodes;
 * an Update or Cancel references the announcements it withdrew. s gives the
 * place names. ADMIN_OK, or ADMIN_FAIL after printing why (unknown id, no
 * announcement). For the public site: one file per announcement. */
enum admin_rc admin_cap_write(struct hub_store *s, struct hub_history *h, const uint8_t id[16],
			      FILE *out);

/* One entry of a CAP Atom index (cap/index.atom); strings borrowed. */
struct admin_cap_entry {
	uint8_t id[16];
	const char *title;
	const char *href;       /* where its CAP file is, e.g. "np-<hex>.xml" */
	int64_t updated_ms;     /* its sent_at_ms */
};
/* Writes an Atom 1.0 feed of entries (newest first as given) to out. */
enum admin_rc admin_cap_atom(FILE *out, const char *feed_id, const char *title,
			     const char *self_href, const struct admin_cap_entry *e, size_t n,
			     int64_t updated_ms);

#endif
