/* tokens.h - the hub's side of device tokens (token.h: the format): token
 * logins (a look-up and a SHA-256, never the KDF, never throttled), the
 * last-used times (kept in memory, written in one transaction at most every
 * HUB_TOKENS_FLUSH_MS), whether a session's token still holds (revoked,
 * expired) and the grants of $CONTROL/np/v1/token. Borrows the store. Any
 * function that writes LMDB wants no other write transaction of the process
 * open: plugin.c commits the history batch first. */
#ifndef NP_TOKENS_H
#define NP_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "refusal.h"
#include "store.h"
#include "token.h"

#define HUB_TOKENS_FLUSH_MS 5000
#define HUB_TOKENS_MAX_REQUEST 1024     /* bytes of a TokenRequest, read only below this */

struct hub_tokens;

/* default_days: the life of a token asked for with days 0. */
int hub_tokens_new(struct hub_tokens **out, struct hub_store *store, unsigned default_days);
/* Writes the last-used times still in memory. NULL is fine. */
void hub_tokens_free(struct hub_tokens *t);

/* A login whose password is a token (hub_token_is): HUB_OK with the token's id
 * and expiry (0: never) in id and *expires_ms, or why not
 * (HUB_R_TOKEN_MALFORMED, _UNKNOWN, _WRONG_SECRET, _OTHER_USER, _EXPIRED, ...).
 * A success notes the last-used time in memory. */
enum hub_refusal hub_tokens_login(struct hub_tokens *t, const char *username,
				  const char *password, int64_t now_ms,
				  uint8_t id[HUB_TOKEN_ID_LEN], int64_t *expires_ms);
/* Does the token a session of user logged in with still hold at now?
 * HUB_OK, HUB_R_TOKEN_UNKNOWN (revoked), _OTHER_USER or _EXPIRED. */
enum hub_refusal hub_tokens_holds(struct hub_tokens *t, const char *user,
				  const uint8_t id[HUB_TOKEN_ID_LEN], int64_t now_ms);
/* true when tokens were revoked since the last call that returned true (the
 * store's tokens generation moved): the sessions want a look. */
bool hub_tokens_revoked(struct hub_tokens *t);

/* What hub_tokens_grant did: why is HUB_OK or why the grant holds an error;
 * revoked tells a revoke (of the session's own token) from a mint; id is the
 * new or revoked token's id. */
struct hub_grant_out {
	enum hub_refusal why;
	bool revoked;
	uint8_t id[HUB_TOKEN_ID_LEN];
};

/* Answers a TokenRequest (req, borrowed) of p (borrowed): why is HUB_OK when
 * the request may be read at all, else the refusal to answer with. session is
 * the id of the token the asking session logged in with, NULL for a password
 * session: only a password session mints (a token may not mint more), only a
 * token session revokes, and only its own token (TokenRequest.revoke: a
 * browser's logout; the session is then cut as for any revoked token). The
 * grant names its holder (username, role, area). Returns the packed
 * Envelope{token_grant} (malloc'd; caller frees; NULL when out of memory). */
uint8_t *hub_tokens_grant(struct hub_tokens *t, const struct hub_principal *p,
			  const uint8_t *session, enum hub_refusal why, const void *req,
			  size_t len, int64_t now_ms, size_t *out_len, struct hub_grant_out *out);

/* Writes the last-used times if HUB_TOKENS_FLUSH_MS passed since the last
 * write: 0, or -1 with the store's error (the times stay for the next try). */
int hub_tokens_tick(struct hub_tokens *t, int64_t now_ms);

#endif
