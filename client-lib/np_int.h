/* np_int.h - libnpclient internals (np__ names): codec.c builds and reads
 * Envelopes, outbox.c keeps unsent messages on disk, client.c does the rest. */
#ifndef NP_INT_H
#define NP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "np_client.h"

/* ---- codec.c ---- */

/* What a typed publish puts in its Envelope; strings borrowed. */
struct np__body {
	enum np_body kind;
	const char *a, *b;              /* title/detail, title/body, text, title/description, note */
	const uint8_t *report_id;
	enum np_ack_state state;
	bool online;
};

/* Packs an Envelope with id, sent_at_ms and body into *buf (malloc'd). */
int np__encode(const uint8_t id[NP_ID_LEN], int64_t sent_at_ms, const struct np__body *b,
	       uint8_t **buf, size_t *len);

/* A decoded message; m's pointers live until np__decoded_free. */
struct np__decoded {
	struct np_msg m;
	void *env;                      /* Np__Envelope * */
};
int np__decode(const char *topic, const void *buf, size_t len, struct np__decoded *d);
void np__decoded_free(struct np__decoded *d);

/* A Refusal reply: copies the refused id (if any) and the reason (malloc'd). */
int np__decode_refusal(const void *buf, size_t len, uint8_t id[NP_ID_LEN], bool *has_id,
		       char **reason);
/* A HistoryRequest, packed (malloc'd). */
int np__encode_history_request(const char *filter, int64_t since, int64_t until, uint32_t limit,
			       const uint8_t *cursor, size_t cursor_len, const char *corr,
			       uint8_t **buf, size_t *len);
/* A HistoryPage reply; fn(ctx, topic, envelope bytes, len) per item. The cursor
 * is copied to cursor (up to 64 bytes), error and correlation id malloc'd. */
struct np__page {
	char *corr;
	char *error;
	uint8_t cursor[64];
	size_t cursor_len;
	void *page;                     /* Np__Envelope * holding the page */
};
int np__decode_page(const void *buf, size_t len, struct np__page *p);
size_t np__page_items(const struct np__page *p);
void np__page_item(const struct np__page *p, size_t i, const char **topic, const uint8_t **env,
		   size_t *len);
void np__page_free(struct np__page *p);

/* Time-ordered ids (UUIDv7 layout): 48-bit ms, version 7, a 12-bit counter
 * for ids within one ms, variant, 62 random bits. State is per client. */
struct np__idgen {
	int64_t last_ms;
	unsigned counter;
};
void np__id_new(struct np__idgen *g, uint8_t id[NP_ID_LEN]);
int64_t np__now_ms(void);
int64_t np__mono_ms(void);
uint32_t np__random(void);

/* ---- outbox.c: one file per message, <id hex>.msg, written with fsync
 * and renamed into place, so a message is either whole on disk or absent.
 * A message belongs to the user who wrote it: np__outbox_each shows a
 * client only its own user's. */
struct np__outbox;
int np__outbox_open(struct np__outbox **out, const char *dir, const char *user, size_t max,
		    char *err, size_t errlen);
void np__outbox_close(struct np__outbox *o);
int np__outbox_put(struct np__outbox *o, const uint8_t id[NP_ID_LEN], const char *topic,
		   const uint8_t *payload, size_t len, char *err, size_t errlen);
int np__outbox_remove(struct np__outbox *o, const uint8_t id[NP_ID_LEN]);
/* Calls fn for every kept message, oldest id first. */
int np__outbox_each(struct np__outbox *o,
		    int (*fn)(void *ctx, const uint8_t id[NP_ID_LEN], const char *topic,
			      const uint8_t *payload, size_t len),
		    void *ctx);

#endif
