/* np_client.h - the np-hub client library (libnpclient): typed messages of the
 * village network, feeds, history paging, and an outbox that survives crashes.
 *
 * One struct np_client per thread: no call is safe on the same client from two
 * threads at once, and every callback runs on the calling thread inside a call
 * that pumps the network (np_client_run, np_client_step, np_client_flush,
 * np_history, np_follow, np_client_connect), never inside the call that
 * started the work: a call either fails now (its return value) or reports
 * later (a callback), never both. Different clients in different threads are
 * independent; the library has no global mutable state (call np_lib_init once
 * per process before any thread starts, np_lib_cleanup at the end).
 *
 * Errors are enum np_err values; np_strerror() says them in words. Strings
 * passed in are copied; strings passed to callbacks are borrowed for the
 * duration of the callback. A function that fails leaves nothing for the
 * caller to free. C99.
 *
 * ABI: structs the library fills are opaque (np_client, np_options) and options
 * are set by name (enum np_option), so new options and fields keep the ABI;
 * the soname (libnpclient.so.NP_VERSION_MAJOR) changes when it breaks. */
#ifndef NP_CLIENT_H
#define NP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* This header's version; np_version() gives the library's (they differ when
 * an app runs against a newer libnpclient.so of the same major version). */
#define NP_VERSION_MAJOR 1
#define NP_VERSION_MINOR 4
#define NP_VERSION_PATCH 0
#define NP_VERSION "1.4.0"
#define NP_VERSION_NUMBER (NP_VERSION_MAJOR * 1000000 + NP_VERSION_MINOR * 1000 \
			   + NP_VERSION_PATCH)

/* Sets whichever of major, minor and patch is not NULL; returns the library's
 * NP_VERSION_NUMBER (as mosquitto_lib_version does). */
int np_version(int *major, int *minor, int *patch);

#define NP_ID_LEN 16

enum np_err {
	NP_OK = 0,
	NP_ERR_NOMEM,           /* out of memory */
	NP_ERR_INVAL,           /* a bad argument: see np_client_last_error() */
	NP_ERR_UNREACHABLE,     /* the hub cannot be reached */
	NP_ERR_AUTH,            /* the hub refused the username or password */
	NP_ERR_REFUSED,         /* the hub refused the message: see the reason */
	NP_ERR_TIMEOUT,         /* no answer in time */
	NP_ERR_OUTBOX,          /* the outbox directory is unwritable or full */
	NP_ERR_NOT_CONNECTED,   /* not connected and no outbox to keep the message */
	NP_ERR_PROTOCOL,        /* the hub sent something this library cannot read */
	NP_ERR_TLS,             /* TLS set-up failed (CA file?) */
	NP_ERR_HISTORY,         /* the hub answered the history query with an error */
	NP_ERR_REACH,           /* the hub refused the reach request (since 1.2): see the reason */
	NP_ERR_STATE,           /* the state directory cannot be made or written (since 1.2) */
	NP_ERR_CASES,           /* the hub refused the case query (since 1.3): see the reason */
};

/* A sentence for err; never NULL. */
const char *np_strerror(int err);

enum np_role { NP_ROLE_UNKNOWN = 0, NP_ROLE_VOLUNTEER, NP_ROLE_RESIDENT, NP_ROLE_OFFICIAL,
	       NP_ROLE_AGENCY, NP_ROLE_OPERATOR, NP_ROLE_ADMIN };
/* As a case's state, NP_ACK_UNSPECIFIED is OPEN (no ack yet; named "open").
 * NP_ACK_ASSIGNED (since 1.3) goes with an assignee: see np_ack_ex. */
enum np_ack_state { NP_ACK_UNSPECIFIED = 0, NP_ACK_RECEIVED, NP_ACK_IN_PROGRESS, NP_ACK_RESOLVED,
		    NP_ACK_REJECTED, NP_ACK_ASSIGNED };
enum np_body { NP_BODY_NONE = 0, NP_BODY_REPORT, NP_BODY_ACK, NP_BODY_ANNOUNCEMENT, NP_BODY_DM,
	       NP_BODY_SHOWCASE, NP_BODY_STATUS };

const char *np_role_name(enum np_role r);              /* "volunteer", ... */
const char *np_ack_state_name(enum np_ack_state s);    /* "received", ... */
int np_ack_state_parse(const char *s, enum np_ack_state *out);
const char *np_body_name(enum np_body b);              /* "report", "ack", ... */

/* A message as delivered: every pointer is borrowed for the callback's duration. */
struct np_msg {
	const char *topic;
	uint8_t id[NP_ID_LEN];
	struct { const char *username; enum np_role role; const char *area; } sender;
	int64_t sent_at_ms;             /* the publisher's clock */
	int64_t received_at_ms;         /* the hub's clock */
	enum np_body body;
	union {
		struct { const char *title, *detail; } report;
		struct { uint8_t report_id[NP_ID_LEN]; enum np_ack_state state; const char *note; } ack;
		/* expires_at_ms (since 1.2): the hub's clock, ms since 1970; 0:
		 * never. It fits in the union as it was (ack is larger), so
		 * struct np_msg keeps its size and layout. */
		struct { const char *title, *body; int64_t expires_at_ms; } announcement;
		struct { const char *text; } dm;
		/* price_thb and contact (since 1.3): whole baht (0: none given) and
		 * how to buy or visit (""). They fit in the union as it was too. */
		struct { const char *title, *description; int64_t price_thb; const char *contact; }
			showcase;
		struct { bool online; } status;
	} u;
	/* The photo of a report or showcase (since 1.3; data NULL and len 0 when
	 * none): the bytes as the hub checked them (JPEG, PNG or WebP) and their
	 * type, "image/jpeg", "image/png" or "image/webp". After the fields of
	 * 1.2, whose offsets stay: the library hands struct np_msg out and never
	 * takes one in, so it may grow at its end. Read it only from a library of
	 * 1.3 or later (np_version()). */
	struct { const uint8_t *data; size_t len; const char *type; } photo;
	/* An ack's assignee (since 1.3): the operator or agency an ASSIGNED ack
	 * names, "" otherwise; NULL for other bodies. At the end for the same
	 * reason as photo. */
	const char *assignee;
	/* An announcement an Update or Cancel withdrew (since 1.4; DESIGN.md
	 * "CAP"): set only by np_history, whose pages show officials, agencies
	 * and admins the whole record (a volunteer's or resident's history
	 * holds no withdrawn one). A feed never hands one, live or in its
	 * catch-up, so it is false there. At the end for the same reason as
	 * photo; read it only from a library of 1.4 or later. */
	bool withdrawn;
};

/* The media type of an image by its first bytes: "image/jpeg", "image/png",
 * "image/webp", or NULL for anything else (since 1.3). The hub checks more
 * (the whole structure, its size); this is for naming a file or a MIME part. */
const char *np_photo_type(const void *data, size_t len);

/* true when m is an announcement whose expires_at_ms is set and not after
 * now_ms (0: the client's clock now). The hub hands no expired announcement
 * to a feed; the history keeps them (since 1.2). */
bool np_msg_expired(const struct np_msg *m, int64_t now_ms);

/* ---- options: set by name, so that new ones keep the ABI ---- */
enum np_option {
	NP_OPT_HOST = 1,        /* string: the hub's host, default "127.0.0.1" */
	NP_OPT_PORT,            /* int 0..65535: 0 (default) is 1883, or 8883 with a CA file */
	NP_OPT_USERNAME,        /* string */
	NP_OPT_PASSWORD,        /* string (wiped from memory when freed) */
	NP_OPT_CLIENT_ID,       /* string: default made from the username and pid */
	NP_OPT_KEEPALIVE,       /* int 5..65535 seconds, default 60 */
	NP_OPT_CAFILE,          /* string: TLS, trusting the CA certificate(s) in this file */
	NP_OPT_OUTBOX_DIR,      /* string: keep unsent messages here (created if missing);
				 * each message remembers its user, and a client resends
				 * only its own user's */
	NP_OPT_OUTBOX_MAX,      /* int 1..100000000: messages the outbox may hold, default 10000 */
	NP_OPT_FOLLOW_WAIT_MS,  /* int 1..3600000: how long np_follow waits for the hub's
				 * answer, default 5000 */
	NP_OPT_STATE_DIR,       /* string (since 1.1): the client's own directory (created
				 * 0700 if missing). It keeps a device token per user
				 * and hub, <user>@<host>:<port>.token (mode 0600):
				 * given a password and no token, the client logs in
				 * with the password once, asks the hub for a token,
				 * saves it and logs in with the token from then on;
				 * a refused token is deleted and the password tried
				 * (NP_ERR_AUTH without one). The password is never
				 * written. Without NP_OPT_OUTBOX_DIR the outbox is
				 * <host>:<port>.outbox in it. With a state dir and no
				 * password, np_client_new wants a saved token
				 * (NP_ERR_INVAL without one; NP_ERR_STATE when the
				 * directory cannot be made). Feeds keep their
				 * cursors here too: see np_follow. */
};

struct np_options;

/* Options with every default set; NULL when out of memory. */
struct np_options *np_options_new(void);
/* NULL is fine. */
void np_options_free(struct np_options *o);
/* Copies value (NULL unsets it). NP_ERR_INVAL for an option that is no
 * string, NP_ERR_NOMEM; o is unchanged then. */
int np_options_set_string(struct np_options *o, enum np_option opt, const char *value);
/* NP_ERR_INVAL for an option that is no int or a value out of its range. */
int np_options_set_int(struct np_options *o, enum np_option opt, long long value);

struct np_client;

/* Copies o; the caller keeps (and frees) it. On failure *out is NULL and, when
 * why is not NULL, why holds the detail (e.g. an outbox that cannot be
 * opened), cut to whylen bytes. */
int np_client_new(struct np_client **out, const struct np_options *o, char *why, size_t whylen);
/* Disconnects; what is unsent stays in the outbox (if any). NULL is fine. */
void np_client_free(struct np_client *c);
/* The detail of the last error on c (e.g. the hub's refusal reason); never NULL. */
const char *np_client_last_error(const struct np_client *c);

/* Connects, waiting up to timeout_ms for the hub's answer, then resends
 * whatever the outbox holds. NP_ERR_AUTH is final; after other errors the
 * client keeps trying in np_client_run (exponential backoff, 0.5 s to 60 s,
 * with jitter). */
int np_client_connect(struct np_client *c, int timeout_ms);
bool np_client_connected(const struct np_client *c);
/* Pumps the network for up to timeout_ms (0: what is ready now): delivers
 * messages to feeds, outcomes to the outcome callback, reconnects. NP_ERR_AUTH
 * once the hub refused the login, else NP_OK. */
int np_client_run(struct np_client *c, int timeout_ms);

/* ---- for an app with its own event loop (poll, libuv, a GUI toolkit):
 * wait until np_client_fd(c) is readable (or writable when
 * np_client_want_write(c)), or at most np_client_next_ms(c), then call
 * np_client_step(c). The socket changes across reconnects: ask again after
 * every step. np_client_connect is not needed: a step connects (and
 * reconnects with backoff) by itself; np_follow before the first connect
 * only records the filter. */
/* The socket of the connection, or -1 while there is none. */
int np_client_fd(const struct np_client *c);
/* Whether the library has bytes to write (wait for the socket to be writable). */
bool np_client_want_write(const struct np_client *c);
/* Milliseconds after which np_client_step must run even if the socket is
 * quiet (keepalive, reconnect, timeouts); 0 when it has work now. */
int np_client_next_ms(const struct np_client *c);
/* Reads and writes what the socket allows, reconnects when due, runs the
 * callbacks; never blocks. Returns as np_client_run. */
int np_client_step(struct np_client *c);

/* ---- publishing: each builds the topic, fills the Envelope with a new
 * time-ordered id (written to id_out if not NULL) and sends it at QoS 1.
 * With an outbox the message is on disk before the call returns and is
 * removed only when the hub has answered; without one, NP_ERR_NOT_CONNECTED
 * when the hub is down. NP_OK means an outcome will follow: it arrives via
 * the outcome callback from a later call that pumps, never from this one.
 * Optional texts (detail, body, note, description) may be NULL. */
int np_report(struct np_client *c, const char *village, const char *kind, const char *title,
	      const char *detail, uint8_t id_out[NP_ID_LEN]);
int np_announce(struct np_client *c, const char *area, const char *category, const char *title,
		const char *body, uint8_t id_out[NP_ID_LEN]);
int np_ack(struct np_client *c, const char *village, const uint8_t report_id[NP_ID_LEN],
	   enum np_ack_state state, const char *note, uint8_t id_out[NP_ID_LEN]);
int np_dm(struct np_client *c, const char *address, const char *text, uint8_t id_out[NP_ID_LEN]);
int np_status(struct np_client *c, const char *village, bool online, uint8_t id_out[NP_ID_LEN]);
int np_show(struct np_client *c, const char *village, const char *kind, const char *title,
	    const char *description, uint8_t id_out[NP_ID_LEN]);

/* An announcement with every field np_announce takes and more (since 1.2).
 * size is sizeof(struct np_announcement) as the app was built (the
 * initialiser sets it): a newer library reads only the fields that size
 * covers, so fields added later keep the ABI. */
struct np_announcement {
	size_t size;
	const char *area, *category, *title, *body;     /* body may be NULL */
	int64_t expires_at_ms;  /* the hub's clock, ms since 1970; 0: never. The hub
				 * refuses one not after its clock when it arrives
				 * (also from the outbox) and hands it to no feed
				 * once past; negative is NP_ERR_INVAL */
	/* since 1.3: a message that must be the same bytes whenever it is sent
	 * (np-admin cap import: the hub acknowledges a resend of a stored id
	 * with the same bytes and stores it once). id NULL: a new time-ordered
	 * id; sent_at_ms 0: now. */
	const uint8_t *id;      /* NP_ID_LEN bytes, not all zero */
	int64_t sent_at_ms;
	/* CAP 1.2 (DESIGN.md "CAP"); NULL or "" leaves a field out */
	const char *severity, *urgency, *certainty, *sender_name, *cap_identifier,
		   *instruction, *language, *cap_status, *msg_type;
	/* ids of earlier announcements of the same sender that this Update or
	 * Cancel replaces or withdraws (the hub refuses unknown ones) */
	size_t n_references;
	const uint8_t (*references)[NP_ID_LEN];
};
#define NP_ANNOUNCEMENT_INIT { sizeof(struct np_announcement), NULL, NULL, NULL, NULL, 0, \
			       NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, \
			       NULL }
/* np_announce with every field of a (borrowed). NP_ERR_INVAL for a NULL a,
 * a size too small for the fields of 1.2 or a negative expiry; a given id
 * that is all zero, a negative sent_at_ms, references without n_references. */
int np_announce_ex(struct np_client *c, const struct np_announcement *a,
		   uint8_t id_out[NP_ID_LEN]);

/* A photo of a report or showcase (since 1.3): the bytes of one JPEG, PNG or
 * WebP file (copied when sent). The hub refuses anything else, a file cut
 * short, or one over its limit (plugin_opt_max_photo, 256 KiB by default)
 * with a reason. */
struct np_photo {
	const void *data;       /* NULL: no photo */
	size_t len;
};

/* A report with every field np_report takes and more (since 1.3); size as
 * in struct np_announcement (the initialiser sets it). */
struct np_report_msg {
	size_t size;
	const char *village, *kind, *title, *detail;    /* detail may be NULL */
	struct np_photo photo;
};
#define NP_REPORT_MSG_INIT { sizeof(struct np_report_msg), NULL, NULL, NULL, NULL, { NULL, 0 } }
/* np_report with every field of r (borrowed). NP_ERR_INVAL for a NULL r, a
 * size too small for the fields of 1.3, or photo bytes given as NULL. */
int np_report_ex(struct np_client *c, const struct np_report_msg *r, uint8_t id_out[NP_ID_LEN]);

#define NP_PRICE_MAX 10000000   /* baht: the highest Showcase price the hub takes */
#define NP_CONTACT_MAX 200      /* bytes of a showcase's contact */

/* A showcase with every field np_show takes and more (since 1.3). */
struct np_showcase {
	size_t size;
	const char *village, *kind, *title, *description;       /* description may be NULL */
	struct np_photo photo;
	int64_t price_thb;      /* whole baht, 0..NP_PRICE_MAX; 0: no price given */
	const char *contact;    /* how to buy or visit (phone, LINE id), at most
				 * NP_CONTACT_MAX bytes of UTF-8; may be NULL */
	/* since 1.4: the id of an earlier showcase of the same village that
	 * this one withdraws (the public site drops it at its next build);
	 * NULL: none. A withdrawal may have an empty title. */
	const uint8_t *withdraws;
};
#define NP_SHOWCASE_INIT { sizeof(struct np_showcase), NULL, NULL, NULL, NULL, { NULL, 0 }, 0, \
			   NULL, NULL }
/* np_show with every field of s (borrowed). NP_ERR_INVAL for a NULL s, a size
 * too small for the fields of 1.3, photo bytes given as NULL, a price out of
 * 0..NP_PRICE_MAX or a contact over NP_CONTACT_MAX bytes. */
int np_show_ex(struct np_client *c, const struct np_showcase *s, uint8_t id_out[NP_ID_LEN]);

/* An ack with every field np_ack takes and more (since 1.3), sized as
 * struct np_announcement is. assignee: with NP_ACK_ASSIGNED (an official
 * only), the username of an operator or agency whose scope covers the
 * village; it may then ack that case. NULL otherwise. */
struct np_ack {
	size_t size;
	const char *village;
	const uint8_t *report_id;       /* NP_ID_LEN bytes */
	enum np_ack_state state;
	const char *note;               /* may be NULL; reopening a closed case needs one */
	const char *assignee;
};
#define NP_ACK_INIT { sizeof(struct np_ack), NULL, NULL, NP_ACK_UNSPECIFIED, NULL, NULL }
/* np_ack with every field of a (borrowed). NP_ERR_INVAL for a NULL a, a
 * size too small, no report id, or an assignee without NP_ACK_ASSIGNED (or
 * NP_ACK_ASSIGNED without one). */
int np_ack_ex(struct np_client *c, const struct np_ack *a, uint8_t id_out[NP_ID_LEN]);

enum np_outcome { NP_ACCEPTED, NP_REFUSED, NP_QUEUED };
/* Called once per message when the hub accepted or refused it (reason is the
 * hub's sentence), and with NP_QUEUED when it was kept in the outbox because
 * the hub could not be reached (it may be accepted or refused later).
 * A refusal for the hub's rate limit (a Refusal with retry_after_ms > 0:
 * "slow down") is no outcome: the message stays pending (and in the
 * outbox) and is sent again, byte for byte, no earlier than the hub says.
 * Until nothing is pending the client is then paced: one message in flight
 * at a time, in publishing order, so messages published meanwhile wait
 * behind it. Order is kept but for messages already in flight when the
 * first rate refusal came (one of them may be accepted before an earlier
 * one that was refused). After 10 rate refusals of one message in one
 * session it is NP_REFUSED with the hub's reason and "(gave up after 10
 * refusals for the rate)". While paced, a PUBACK refusal whose reason the
 * hub did not send (it limits its replies) counts as one more for the rate.
 * np_client_last_error() says "the hub asks to slow down (...)" meanwhile. */
typedef void (*np_outcome_fn)(void *ctx, const uint8_t id[NP_ID_LEN], enum np_outcome outcome,
			      const char *reason);
void np_client_on_outcome(struct np_client *c, np_outcome_fn fn, void *ctx);

/* Pumps (at least once) up to timeout_ms until every message sent has an
 * outcome. NP_OK when none is pending; NP_ERR_AUTH, NP_ERR_TIMEOUT or
 * NP_ERR_UNREACHABLE otherwise. */
int np_client_flush(struct np_client *c, int timeout_ms);
/* Messages without an outcome yet (in flight or in the outbox). */
size_t np_client_pending(const struct np_client *c);

/* ---- feeds ---- */
typedef void (*np_msg_fn)(void *ctx, const struct np_msg *m);
/* Subscribes to filter (kept across reconnects); fn gets each message once,
 * even when the broker delivers copies for overlapping filters. When
 * connected, waits up to NP_OPT_FOLLOW_WAIT_MS for the hub's answer: the hub
 * refusing the filter is NP_ERR_REFUSED, no answer NP_ERR_TIMEOUT (the
 * filter is not kept after either).
 *
 * With NP_OPT_STATE_DIR the feed never misses a message (DESIGN.md "Feeds
 * that never miss a message"): it keeps a cursor per filter in the state
 * directory, <user>@<host>:<port>.<hash of the filter>.cursor (mode 0600),
 * the received_at_ms and id of the last message handed to fn. At every
 * connect (the first and each reconnect) it subscribes, then pages the
 * history from the cursor and hands those messages over in the hub's order,
 * then the live ones; live messages that come during the catch-up are held
 * and handed after it, those already handed skipped. So across app
 * restarts, broker restarts and days offline fn gets every message the user
 * may read, in order, each once (after a kill -9 of the app, at most the
 * message fn was being handed comes again). An announcement whose
 * expires_at_ms is past is not handed by the catch-up. Retained copies are
 * not handed (the history holds them). The first follow of a filter (no
 * cursor) starts now; a cursor file that is corrupt, or another user's or
 * another filter's, is said through the notice callback and the feed starts
 * over as a first follow. NP_ERR_STATE when the cursor cannot be written.
 * The cursor is written after fn returns (in place, two slots, so a torn
 * write loses only the newest) and flushed to disk at least every second,
 * after each catch-up and by np_client_free. Ordering is per filter.
 * fn must not call a function that pumps the network (np_history, ...). */
int np_follow(struct np_client *c, const char *filter, np_msg_fn fn, void *ctx);

#define NP_FOLLOW_NOW (-1)      /* since_ms of np_follow_since: start now */
/* np_follow, where a first follow (no cursor yet, or a bad one) starts at
 * since_ms (received_at_ms, the hub's clock; 0: the oldest message kept)
 * instead of now. Without a state directory the feed still catches up from
 * since_ms and across reconnects, with its cursor in memory only.
 * np_follow(c, f, fn, ctx) is np_follow_since(c, f, NP_FOLLOW_NOW, fn, ctx). */
int np_follow_since(struct np_client *c, const char *filter, int64_t since_ms, np_msg_fn fn,
		    void *ctx);

/* Called (from a pumping call) with a sentence about something the library
 * decided by itself that an app should log: a cursor file that was corrupt
 * or another user's or filter's (the feed started over), a cursor that
 * cannot be saved, a catch-up the hub refused (asked again later). */
typedef void (*np_notice_fn)(void *ctx, const char *text);
void np_client_on_notice(struct np_client *c, np_notice_fn fn, void *ctx);

/* ---- history ---- */
struct np_history_query {
	const char *filter;             /* MQTT filter under np/ */
	int64_t since_ms, until_ms;     /* received_at_ms range; 0: unbounded */
	size_t max;                     /* stop after this many messages; 0: all */
};
/* Pages through the whole result (oldest first), calling fn per message. Each
 * page may take up to timeout_ms. NP_ERR_HISTORY with the hub's words in
 * np_client_last_error() when the hub refused the query. */
int np_history(struct np_client *c, const struct np_history_query *q, np_msg_fn fn, void *ctx,
	       int timeout_ms);

/* ---- reach: receipts and who got an announcement (DESIGN.md "Reach") ----
 * The library tells the hub, by itself, which announcements a feed handed to
 * the app (DELIVERED), and on np_mark_read() that the person opened one
 * (READ). Receipts wait in memory and go in batches ($CONTROL/np/v1/receipt,
 * QoS 1): at most 100 ids, or after at most a second, from the calls that
 * pump; sent again after a lost link (the hub counts each village once);
 * np_client_free() sends what waits and waits up to 2 s for the hub. They
 * are not kept on disk: a receipt still waiting when the process dies, or
 * beyond the 10,000 kept while the hub is away (the oldest go first), is
 * lost. The hub counts a receipt for the user's village (volunteers and
 * residents); an official's receipts are accepted and not counted. */

/* Queues a READ receipt for the announcement id (also counts as DELIVERED).
 * NP_OK, NP_ERR_INVAL (no id) or NP_ERR_NOMEM. */
int np_mark_read(struct np_client *c, const uint8_t id[NP_ID_LEN]);

struct np_reach_province {
	const char *province;           /* two digits */
	unsigned targeted, delivered, read;
};
/* One page of the hub's answer; every pointer is borrowed for the callback. */
struct np_reach {
	uint8_t id[NP_ID_LEN];
	const char *area;               /* the announcement's area */
	unsigned targeted;              /* registered villages in the area with a volunteer */
	unsigned delivered, read;       /* of those: with a DELIVERED (or READ), a READ receipt */
	size_t n_provinces;
	const struct np_reach_province *provinces;      /* in code order */
	size_t n_not_reached;
	const char *const *not_reached; /* village codes of this page, in code order */
	bool more;                      /* more not-reached villages follow (another page) */
};
typedef void (*np_reach_fn)(void *ctx, const struct np_reach *r);
/* Asks the hub for the reach of the announcement id: fn once per page, pages
 * of not-reached villages in code order until max of them were handed (0:
 * all). Only its sender and officials and admins whose scope covers its area
 * may ask: otherwise NP_ERR_REACH with the hub's words in
 * np_client_last_error(). Each page may take up to timeout_ms. */
int np_reach(struct np_client *c, const uint8_t id[NP_ID_LEN], size_t max, np_reach_fn fn,
	     void *ctx, int timeout_ms);

/* ---- report cases (DESIGN.md "Report cases"; since 1.3) ----
 * Every report is a case: OPEN until its first ack, then the state of its
 * latest ack. The hub answers only with cases the user may read: officials
 * and admins within their scope, a volunteer its village's, an operator the
 * outage cases in its scope and those assigned to it, an agency those
 * assigned to it. */
struct np_case_query {
	size_t size;                    /* sizeof(struct np_case_query): NP_CASE_QUERY_INIT */
	const char *area;               /* TH, a province, district or village; NULL: own scope */
	const char *const *kinds;       /* outage, need, incident, feedback; n_kinds 0: all */
	size_t n_kinds;
	const enum np_ack_state *states;        /* NP_ACK_UNSPECIFIED is OPEN; n_states 0: all */
	size_t n_states;
	bool overdue_only;              /* past a target of its kind (np-admin case targets) */
	bool oldest_first;              /* default newest report first */
	size_t max;                     /* stop after this many cases; 0: all */
};
#define NP_CASE_QUERY_INIT { sizeof(struct np_case_query), NULL, NULL, 0, NULL, 0, false, \
			     false, 0 }
/* One case; every pointer is borrowed for the callback. */
struct np_case {
	const struct np_msg *report;    /* the report, as stored (sender, times, text) */
	const char *village, *kind;
	enum np_ack_state state;        /* NP_ACK_UNSPECIFIED: open */
	const char *assignee;           /* "" when never assigned */
	const struct np_msg *last_ack;  /* NULL while open */
	int64_t first_ack_at_ms;        /* 0: none yet */
	int64_t resolved_at_ms;         /* closed (resolved or rejected) at; 0: open */
	bool ack_overdue, resolve_overdue;
};
typedef void (*np_case_fn)(void *ctx, const struct np_case *k);
/* Pages through the cases q selects (borrowed), calling fn per case. Each
 * page may take up to timeout_ms. NP_ERR_CASES with the hub's words in
 * np_client_last_error() when the hub refused the query (e.g. an area
 * outside the user's scope). */
int np_cases(struct np_client *c, const struct np_case_query *q, np_case_fn fn, void *ctx,
	     int timeout_ms);
struct np_case_stats_row {
	const char *province, *kind, *month;    /* month: YYYY-MM (UTC) of the report */
	unsigned count, acked, resolved, open, overdue;
	int64_t ack_p50_ms, ack_p90_ms;         /* report to first ack, of those acked */
	int64_t resolve_p50_ms, resolve_p90_ms; /* report to resolution, of those resolved */
};
/* Counts by province, kind and month of the cases in area (NULL: own scope)
 * of the kinds (n_kinds 0: all) reported in [since_ms, until_ms) (0:
 * unbounded): fn once with every row (borrowed). Errors as np_cases. */
int np_case_stats(struct np_client *c, const char *area, const char *const *kinds,
		  size_t n_kinds, int64_t since_ms, int64_t until_ms,
		  void (*fn)(void *ctx, const struct np_case_stats_row *rows, size_t n), void *ctx,
		  int timeout_ms);

/* ---- ids ---- */
/* 32 lowercase hex digits and a NUL. */
void np_id_to_hex(const uint8_t id[NP_ID_LEN], char out[2 * NP_ID_LEN + 1]);
int np_id_from_hex(const char *hex, uint8_t id[NP_ID_LEN]);

void np_lib_init(void);
void np_lib_cleanup(void);

#ifdef __cplusplus
}
#endif
#endif
