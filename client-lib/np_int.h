/* np_int.h - libnpclient internals (np__ names), one section per file:
 *   codec.c    Envelopes in and out, ids, vocabulary names
 *   outbox.c   unsent messages on disk
 *   options.c  the option table (names, bounds, defaults)
 *   topics.c   the topics the client builds (pure)
 *   client.c   life cycle of struct np_client, errors, version
 *   conn.c     the connection: connect, backoff, the pump, the step API
 *   pending.c  messages without an outcome yet, refusal reasons, outcomes
 *   publish.c  the typed publishing calls (np_report, ...)
 *   feed.c     feeds: subscriptions, catch-up from history, the dedup ring
 *   cursor.c   a feed's cursor and its file in the state directory
 *   history.c  history paging
 *   token.c    the device token: its file in the state directory, asking for one
 *   receipt.c  receipts (DELIVERED, READ) in batches, and np_reach's pages
 * struct np_client holds one sub-struct per job (conn, out, feeds, hist); a
 * file changes only its own sub-struct. */
#ifndef NP_INT_H
#define NP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "np_client.h"

struct mosquitto;
struct mosquitto_message;

/* ---- codec.c ---- */

/* What a typed publish puts in its Envelope; strings borrowed. */
struct np__body {
	enum np_body kind;
	const char *a, *b;              /* title/detail, title/body, text, title/description, note */
	const uint8_t *report_id;
	enum np_ack_state state;
	bool online;
	int64_t expires_at_ms;          /* announcement: 0 never */
	const void *photo;              /* report, showcase: NULL none */
	size_t photo_len;
	int64_t price_thb;              /* showcase */
	const char *contact;            /* showcase; NULL: none */
	const char *assignee;           /* ack: NULL or "" none */
	const uint8_t *id;              /* NULL: a new id */
	int64_t sent_at_ms;             /* 0: now */
	const struct np_announcement *cap;      /* announcement: its CAP fields, or NULL */
	const uint8_t *withdraws;       /* showcase: NP_ID_LEN bytes; NULL: none */
};

/* Packs an Envelope with id, sent_at_ms and body into *buf (malloc'd). */
int np__encode(const uint8_t id[NP_ID_LEN], int64_t sent_at_ms, const struct np__body *b,
	       uint8_t **buf, size_t *len);

/* A decoded message; m's pointers live until np__decoded_free. */
struct np__decoded {
	struct np_msg m;
	int64_t expires_at_ms;          /* an announcement's; 0: never */
	void *env;                      /* Np__Envelope * */
};
int np__decode(const char *topic, const void *buf, size_t len, struct np__decoded *d);
void np__decoded_free(struct np__decoded *d);

/* A Refusal reply: copies the refused id (if any), the reason (malloc'd) and
 * retry_after_ms (0: final; else a rate limit: send again after that long). */
int np__decode_refusal(const void *buf, size_t len, uint8_t id[NP_ID_LEN], bool *has_id,
		       char **reason, uint32_t *retry_after_ms);
/* A HistoryRequest, packed (malloc'd). */
int np__encode_history_request(const char *filter, int64_t since, int64_t until, uint32_t limit,
			       const uint8_t *cursor, size_t cursor_len, const char *corr,
			       uint8_t **buf, size_t *len);
/* A HistoryPage reply; fn(ctx, topic, envelope bytes, len) per item. The cursor
 * is copied to cursor (up to 64 bytes), error and correlation id malloc'd. */
struct np__page {
	char *corr;
	char *error;
	int64_t stamp_ms;               /* the hub's clock when it answered (0: unknown) */
	uint8_t cursor[64];
	size_t cursor_len;
	void *page;                     /* Np__Envelope * holding the page */
};
int np__decode_page(const void *buf, size_t len, struct np__page *p);
/* A TokenRequest, packed (malloc'd). */
int np__encode_token_request(const char *label, const char *corr, uint8_t **buf, size_t *len);
/* A TokenGrant reply: correlation id, token and error (each malloc'd, "" when absent). */
int np__decode_token_grant(const void *buf, size_t len, char **corr, char **token,
			   char **error);
size_t np__page_items(const struct np__page *p);
/* Item i, borrowed from p; *withdrawn: the hub marked it withdrawn by an
 * Update or Cancel (only in the pages of officials, agencies and admins). */
void np__page_item(const struct np__page *p, size_t i, const char **topic, const uint8_t **env,
		   size_t *len, bool *withdrawn);
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

/* ---- options.c ---- */

/* What np_options_new() allocates; client.c keeps a copy per client. */
struct np_options {
	char *host, *username, *password, *client_id, *cafile, *outbox_dir, *state_dir;
	long long port, keepalive, outbox_max, follow_wait_ms;
};
/* Sets every default (strings copied); NP_ERR_NOMEM leaves o cleared. */
int np__options_defaults(struct np_options *o);
/* dst becomes a deep copy of src; NP_ERR_NOMEM leaves dst cleared. */
int np__options_copy(struct np_options *dst, const struct np_options *src);
/* Frees the strings (the password wiped first) and zeroes o. */
void np__options_clear(struct np_options *o);

/* ---- topics.c: every topic the client builds; pure, err gets the detail ---- */

#define NP__HISTORY_REQUEST_TOPIC "$CONTROL/np/v1/history"
/* np/<root>/<P>/<D>/<V>[/<last>] for an 8-digit village code. */
int np__topic_village(char *out, size_t len, const char *root, const char *village,
		      const char *last, char *err, size_t errlen);
/* np/ann/<area>/<category> */
int np__topic_announce(char *out, size_t len, const char *area, const char *category,
		       char *err, size_t errlen);
/* np/dm/<address> */
int np__topic_dm(char *out, size_t len, const char *address, char *err, size_t errlen);
/* np/reply/<user>/<leaf> (leaf "#" for the filter of all replies). */
void np__topic_reply(char *out, size_t len, const char *user, const char *leaf);

/* ---- conn.c ---- */

#define NP__TOPIC_LEN 96
#define NP__SLICE_MS 50         /* one turn of the pump inside a blocking call */

struct np__conn {
	struct mosquitto *mosq;
	bool connecting, connected, lost, auth_failed, tls_failed;
	bool fallback;                  /* the token was refused: the password next, at once */
	int connack;
	int attempt;                    /* failed attempts since the last connect */
	int64_t next_attempt, connect_started;
	char reply_filter[NP__TOPIC_LEN];
};
/* Delay before reconnect attempt number attempt (0 first), random the jitter. */
int64_t np__backoff_delay(int attempt, uint32_t random);
/* One turn of the loop: at most slice_ms of waiting. */
void np__pump(struct np_client *c, int slice_ms);
void np__conn_close(struct np_client *c);

/* ---- pending.c ---- */

struct np__pending;
struct np__reason;
struct np__out {
	struct np__pending *head;       /* in publishing order */
	size_t n;
	struct np__reason *reasons;     /* refusal reasons that came before their PUBACK */
	size_t nreasons;
	/* Paced after a rate refusal (retry_after_ms > 0) until nothing is
	 * pending: one message in flight at a time, in order, none before
	 * resume_at (the hub's retry time, or pace_ms after an acceptance). */
	bool paced;
	int64_t resume_at;
	uint32_t pace_ms;
	struct np__outbox *outbox;
	struct np__idgen ids;
	np_outcome_fn fn;
	void *ctx;
	char error_topic[NP__TOPIC_LEN];
};
/* Publishes an encoded body on topic (kept in the outbox first, if any). */
int np__publish(struct np_client *c, const char *topic, const struct np__body *b,
		uint8_t *id_out);
/* Loads what the outbox holds (if o->outbox_dir); err gets the detail. */
int np__out_open(struct np_client *c, const struct np_options *o, char *err, size_t errlen);
void np__out_close(struct np_client *c);
void np__out_resend(struct np_client *c);       /* after a connect */
void np__out_requeue(struct np_client *c);      /* after a lost link */
void np__out_on_puback(struct np_client *c, int mid, int reason_code);
/* Takes a message on the error topic; false when msg is on another topic. */
bool np__out_on_message(struct np_client *c, const struct mosquitto_message *msg);
/* Outcomes that are due: NP_QUEUED notices, refusals whose reason never came. */
void np__out_tick(struct np_client *c);
/* Milliseconds until np__out_tick has work (0: now), at most cap. */
int np__out_next_ms(const struct np_client *c, int cap);

/* ---- cursor.c: where a feed is (DESIGN.md "Feeds that never miss a
 * message"). The cursor is the received_at_ms of the last message handed,
 * how many were handed with that same stamp and the ids of the last of them
 * (the hub's order within one ms is its arrival order, which ids do not
 * follow; a burst, or a hub whose clock is behind its last stamp, gives
 * many messages one ms). ---- */

#define NP__CURSOR_IDS 64               /* ids kept of one ms (the oldest forgotten) */

struct np__cursor {
	int64_t at_ms;
	uint64_t n_at;                  /* messages handed stamped at_ms */
	uint8_t ids[NP__CURSOR_IDS][NP_ID_LEN]; /* the last n_ids of them, oldest first */
	size_t n_ids;                   /* 0: at_ms is where to start; nothing handed there */
};
/* Whether the message (ms, id) was handed already, as far as k knows: with
 * ids, everything stamped before at_ms was (the hub's stamps only grow);
 * without, at_ms is a starting point and a live message stamped before it
 * was not. Of at_ms itself only the ids kept are known (see forgot). */
bool np__cursor_handed(const struct np__cursor *k, int64_t ms, const uint8_t id[NP_ID_LEN]);
/* How many messages stamped at_ms were handed but are no longer in ids: the
 * first that many of at_ms in the hub's order. */
uint64_t np__cursor_forgot(const struct np__cursor *k);
/* Records that (ms, id) was handed. */
void np__cursor_advance(struct np__cursor *k, int64_t ms, const uint8_t id[NP_ID_LEN]);

/* The cursor's file: two slots of NP__CURSOR_SLOT bytes, each a text record
 * (format, sequence number, user, hub, filter, at, ids, checksum); a write
 * goes to the slot of the older one, in place, so a torn write leaves the
 * other whole. Created with a temporary file, fsync and rename (mode 0600). */
#define NP__CURSOR_SLOT 8192
struct np__curfile {
	char *path;                     /* NULL: no state dir, the cursor is in memory only */
	char *user, *hub, *filter;      /* escaped, as written */
	int fd;
	uint64_t seq;
	bool dirty;                     /* written since the last fsync */
	int64_t synced_at;              /* np__mono_ms() of the last fsync */
};
/* Reads the cursor of (user, host, port, filter) in state_dir into *k.
 * NP_OK with *found when there is a good one; NP_OK and !*found when there is
 * none, or a bad one (why then says what was wrong, else why is ""). NP_ERR_NOMEM.
 * The file is not opened for writing yet: np__curfile_create or np__curfile_reopen. */
int np__curfile_load(struct np__curfile *f, const char *state_dir, const char *user,
		     const char *host, long long port, const char *filter, struct np__cursor *k,
		     bool *found, char *why, size_t whylen);
/* Writes k as a new file (temporary file, fsync, rename) and opens it:
 * NP_ERR_STATE (why says what failed) when the disk refuses. */
int np__curfile_create(struct np__curfile *f, const struct np__cursor *k, char *why,
		       size_t whylen);
/* Opens the good file that np__curfile_load found, for writing in place. */
int np__curfile_reopen(struct np__curfile *f, char *why, size_t whylen);
/* Writes k into the older slot; fsyncs when the last fsync is a second old
 * (or sync). NP_ERR_STATE when the write fails (errno says why). */
int np__curfile_save(struct np__curfile *f, const struct np__cursor *k, bool sync);
/* fsync when dirty. */
void np__curfile_sync(struct np__curfile *f);
void np__curfile_close(struct np__curfile *f);
/* The record of k (what a slot holds, NUL-terminated) in out; its length,
 * or 0 when it does not fit. Parsing: np__cursor_parse (pure, for tests). */
size_t np__cursor_format(char *out, size_t len, uint64_t seq, const char *user, const char *hub,
			 const char *filter, const struct np__cursor *k);
/* A slot's text: NP_OK and its fields, or NP_ERR_INVAL (why says what is wrong). */
int np__cursor_parse(const char *text, uint64_t *seq, char *user, char *hub, char *filter,
		     size_t fieldlen, struct np__cursor *k, char *why, size_t whylen);

/* ---- feed.c ---- */

#define NP__RECENT_IDS 256               /* ids already given to the feeds */

/* The last NP__RECENT_IDS ids handed to the feeds. */
struct np__ring {
	uint8_t ids[NP__RECENT_IDS][NP_ID_LEN];
	size_t n;                       /* ids ever added */
};
/* Whether id is in r; adds it (forgetting the oldest) when not. */
bool np__ring_seen(struct np__ring *r, const uint8_t id[NP_ID_LEN]);

struct np__feed;
struct np__feeds {
	struct np__feed *head;
	struct np__ring recent;
	unsigned corr_counter;          /* catch-up pages asked for */
};
void np__feeds_subscribe_all(struct np_client *c);      /* after a connect */
void np__feeds_on_suback(struct np_client *c, int mid, int n, const int *granted);
void np__feeds_dispatch(struct np_client *c, const char *topic, const void *payload, size_t len,
			bool retained);
/* A history page whose correlation id starts with NP__FEED_CORR: a feed's
 * catch-up. p stays the caller's. */
#define NP__FEED_CORR 'f'
void np__feeds_on_page(struct np_client *c, const struct np__page *p);
/* Catch-up pages that are overdue or due again; cursor files to fsync. */
void np__feeds_tick(struct np_client *c);
void np__feeds_close(struct np_client *c);

/* ---- history.c ---- */

struct np__hist {
	char topic[NP__TOPIC_LEN];      /* where the pages come */
	char *want_corr;                /* the correlation id of the page awaited */
	struct np__page page;
	bool page_ready;
	unsigned corr_counter;
};
/* Takes a message on the history topic; false when msg is on another topic. */
bool np__hist_on_message(struct np_client *c, const struct mosquitto_message *msg);
/* Sends one HistoryRequest with correlation id corr, waiting for nothing
 * (feed.c's catch-up; its page comes to np__feeds_on_page). */
int np__hist_send(struct np_client *c, const char *filter, int64_t since_ms, uint32_t limit,
		  const uint8_t *cursor, size_t cursor_len, const char *corr);
void np__hist_close(struct np_client *c);

/* name, with every byte outside [A-Za-z0-9._-] as %XX, appended to out
 * (stops before out would pass len). */
void np__escape(char *out, size_t len, const char *name);

/* ---- token.c: the device token in the state directory. One file per
 * (user, host, port), <user>@<host>:<port>.token (bytes outside
 * [A-Za-z0-9._-] written %XX), holding the token and a newline, mode 0600,
 * written to a temporary file and renamed into place. ---- */

#define NP__TOKEN_TEXT_LEN 68           /* "npt_" and 64 base64url characters */
#define NP__TOKEN_REQUEST_TOPIC "$CONTROL/np/v1/token"

struct np__token {
	char *path;                     /* the token file; NULL without a state dir */
	char text[NP__TOKEN_TEXT_LEN + 1]; /* the saved token; "" when none */
	bool using;                     /* the login under way carries the token */
	char corr[32];                  /* the grant awaited; "" when none */
	char topic[NP__TOPIC_LEN];      /* np/reply/<user>/token */
};
/* state_dir/<user>@<host>:<port><suffix> (user NULL: <host>:<port><suffix>),
 * malloc'd; NULL when out of memory or the name would pass NAME_MAX. */
char *np__state_path(const char *state_dir, const char *user, const char *host,
		     long long port, const char *suffix);
/* Whether text is a token's text ("npt_" and 64 base64url characters). */
bool np__token_valid(const char *text);
/* The token saved at path into text: NP_OK, or NP_ERR_INVAL when there is
 * no file or it holds no token (a malformed file is ignored; text is ""). */
int np__token_load(const char *path, char text[NP__TOKEN_TEXT_LEN + 1]);
/* Writes text to path (mode 0600, temporary file + fsync + rename):
 * NP_OK, or NP_ERR_INVAL for no token text, or NP_ERR_OUTBOX when the disk
 * refuses (errno says why). */
int np__token_save(const char *path, const char *text);
/* Creates the state directory and loads the saved token, if c has a state
 * directory and a username; NP_ERR_INVAL (detail in err) when it has no
 * password and no token either, NP_ERR_OUTBOX when the directory cannot be
 * made. */
int np__token_open(struct np_client *c, char *err, size_t errlen);
void np__token_close(struct np_client *c);
/* The password the next login carries: the saved token, else the app's. */
const char *np__token_login_password(struct np_client *c);
/* After a login: asks for a token when this one used the password. */
void np__token_on_connect(struct np_client *c);
/* After an auth refusal: true when it was the token's, which is deleted,
 * and the app's password is there to try next. */
bool np__token_refused(struct np_client *c);
/* Takes a message on the token topic; false when msg is on another topic. */
bool np__token_on_message(struct np_client *c, const struct mosquitto_message *msg);

/* ---- receipt.c: receipts wait per state (0 DELIVERED, 1 READ) and go in
 * batches of NP__RECEIPT_BATCH ids, or when the oldest waited
 * NP__RECEIPT_WAIT_MS; a batch sent stays until its PUBACK and is queued
 * again after a lost link. Also np_reach's pages on np/reply/<user>/reach.
 * Encodes and decodes its own messages (Receipt, ReachRequest, ReachPage). */

#define NP__RECEIPT_TOPIC "$CONTROL/np/v1/receipt"
#define NP__REACH_TOPIC "$CONTROL/np/v1/reach"
#define NP__RECEIPT_BATCH 100           /* ids per receipt: the hub's cap */
#define NP__RECEIPT_WAIT_MS 1000        /* how long an id waits for more */
#define NP__RECEIPT_MAX 10000           /* ids kept per state while unsent */
#define NP__RECEIPT_CLOSE_MS 2000       /* np_client_free waits this long for the hub */

struct np__rcpt_batch;
struct np__rcpt {
	uint8_t (*q[2])[NP_ID_LEN];     /* waiting ids per state */
	size_t n[2], cap[2];
	int64_t since[2];               /* when the oldest waiting id came (mono ms) */
	struct np__rcpt_batch *sent;    /* published, awaiting their PUBACK */
	size_t dropped;                 /* ids given up for room */
	bool closing;                   /* np_client_free is flushing: no app callbacks */
	char topic[NP__TOPIC_LEN];      /* np/reply/<user>/reach */
	char want_corr[32];             /* the page awaited; "" when none */
	void *page;                     /* Np__Envelope * of the page that came */
	unsigned corr_counter;
};
/* A feed handed announcement id to the app: DELIVERED, batched. */
void np__receipt_delivered(struct np_client *c, const uint8_t id[NP_ID_LEN]);
void np__rcpt_tick(struct np_client *c);                /* sends what is due */
int np__rcpt_next_ms(const struct np_client *c, int cap);
void np__rcpt_on_puback(struct np_client *c, int mid);
void np__rcpt_requeue(struct np_client *c);             /* after a lost link */
/* Takes a message on the reach topic; false when msg is on another topic. */
bool np__rcpt_on_message(struct np_client *c, const struct mosquitto_message *msg);
/* Sends what waits and waits up to NP__RECEIPT_CLOSE_MS for the hub, then
 * frees (np_client_free, before the connection closes). */
void np__rcpt_close(struct np_client *c);

/* ---- cases.c: np_cases and np_case_stats, pages on np/reply/<user>/cases
 * and np/reply/<user>/case-stats. Encodes and decodes its own messages. */

#define NP__CASES_TOPIC "$CONTROL/np/v1/cases"
#define NP__CASE_STATS_TOPIC "$CONTROL/np/v1/case-stats"

struct np__cases {
	char topic[NP__TOPIC_LEN];      /* np/reply/<user>/cases */
	char stats_topic[NP__TOPIC_LEN];        /* np/reply/<user>/case-stats */
	char want_corr[32];             /* the page awaited; "" when none */
	void *page;                     /* Np__Envelope * of the page that came */
	unsigned corr_counter;
};
/* Takes a message on a case topic; false when msg is on another topic. */
bool np__cases_on_message(struct np_client *c, const struct mosquitto_message *msg);
void np__cases_close(struct np_client *c);

/* ---- client.c ---- */

struct np_client {
	struct np_options opt;          /* a copy, with port and client id filled in */
	struct np__conn conn;
	struct np__out out;
	struct np__feeds feeds;
	struct np__hist hist;
	struct np__token tok;
	struct np__rcpt rcpt;
	np_notice_fn notice_fn;
	void *notice_ctx;
	struct np__cases cases;
	char err[512];
};
/* Writes the detail of an error to c->err; returns rc. */
int np__set_err(struct np_client *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Says text through the app's notice callback (if any). */
void np__notice(struct np_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
