/* throttle.h - login throttling and per-user budgets (publishes, history
 * requests, the hub's replies). In memory, per broker process; O(1) per check
 * (uthash); every table is bounded and evicts only entries that restrict
 * nothing, so filling a table never switches protection off. Times in ms. */
#ifndef NP_THROTTLE_H
#define NP_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refusal.h"

struct hub_throttle_opts {
	unsigned login_max_failures;    /* failed KDFs per (user, address) before a lock; 0: no locks */
	unsigned login_lockout_s;       /* first lock; doubles with each further failure, to 64x */
	unsigned login_kdf_rate;        /* failed password checks per second, whole hub */
	unsigned rate_msgs;             /* messages per second per user; 0: no limit */
	unsigned rate_burst;            /* messages a user may send at once */
	size_t rate_bytes;              /* payload bytes per second per user; 0: no limit */
	unsigned history_rate;          /* history requests per second per user */
	size_t history_rate_bytes;      /* bytes of history pages per second per user */
	unsigned reply_rate;            /* refusals told to one user per second (burst 2x) */
	unsigned token_rate;            /* token requests per minute per user (and burst) */
	unsigned receipt_rate;          /* receipts per second per user (burst 4x); 0: no limit */
};

#define HUB_THROTTLE_DEFAULTS { 5, 30, 4, 50, 200, 1u << 20, 5, 2u << 20, 10, 5, 10 }

/* Entries per table at most: (user, address) pairs, addresses, users. */
#define HUB_THROTTLE_MAX_ENTRIES 65536

struct hub_throttle;

int hub_throttle_new(struct hub_throttle **out, const struct hub_throttle_opts *o);
void hub_throttle_free(struct hub_throttle *l);     /* NULL is fine */

/* Before a password check that would run the KDF: 0 when it may run (a token
 * of the address's and the hub's budget is set aside for it), or the ms to
 * wait, with *why saying which limit. A refused attempt neither counts as a
 * failure nor extends a lock. */
int64_t hub_throttle_login_begin(struct hub_throttle *l, const char *username,
				 const char *address, int64_t now_ms, enum hub_refusal *why);
/* After the check that login_begin allowed: ok gives the tokens back and
 * forgets the pair's failures; a failure counts towards the pair's lock. */
void hub_throttle_login_end(struct hub_throttle *l, const char *username, const char *address,
			    bool ok, int64_t now_ms);

/* Accounts one publish; HUB_OK, or why it is over the user's rate. */
enum hub_refusal hub_throttle_publish(struct hub_throttle *l, const char *username, size_t len,
				      int64_t now_ms);
/* After hub_throttle_publish refused a publish of len bytes for the rate
 * (HUB_R_RATE_MSGS or HUB_R_RATE_BYTES): the ms until the user's buckets hold
 * enough for it, 1 to HUB_THROTTLE_RETRY_MAX_MS; 0 when it can never pass
 * (len is over the byte burst): the refusal is final. */
#define HUB_THROTTLE_RETRY_MAX_MS 60000
uint32_t hub_throttle_retry_ms(struct hub_throttle *l, const char *username, size_t len,
			       int64_t now_ms);
/* Accounts one history request; HUB_OK, or why it is over the user's rate. */
enum hub_refusal hub_throttle_request(struct hub_throttle *l, const char *username,
				      int64_t now_ms);
/* Accounts one receipt ($CONTROL/np/v1/receipt); HUB_OK or HUB_R_RECEIPT_RATE. */
enum hub_refusal hub_throttle_receipt(struct hub_throttle *l, const char *username,
				      int64_t now_ms);
/* Accounts one token request ($CONTROL/np/v1/token); HUB_OK or HUB_R_TOKEN_RATE. */
enum hub_refusal hub_throttle_token(struct hub_throttle *l, const char *username, int64_t now_ms);
/* The sentence of why in buf (len bytes; returns buf), with this hub's limits
 * in those that name one ("over the rate limit of 50 messages/s (burst 200)"). */
const char *hub_throttle_explain(const struct hub_throttle *l, enum hub_refusal why, char *buf,
				 size_t len);
/* Charges len bytes of history page to the user (after it is built). */
void hub_throttle_request_bytes(struct hub_throttle *l, const char *username, size_t len,
				int64_t now_ms);
/* true when the hub may send one more refusal to this user now (at most
 * reply_rate a second): a flood of bad input is answered in part and logged
 * in full, and never queues replies without bound. */
bool hub_throttle_reply(struct hub_throttle *l, const char *username, int64_t now_ms);

/* Forgets what no longer matters; call often, it works at most every 10 s. */
void hub_throttle_tick(struct hub_throttle *l, int64_t now_ms);

#endif
