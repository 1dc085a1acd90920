/* auth.h - logins against the LMDB users, and the principal of every user the
 * ACL asks about, cached in memory and refreshed when np-admin changes users. */
#ifndef NP_AUTH_H
#define NP_AUTH_H

#include "acl.h"
#include "refusal.h"
#include "store.h"

struct hub_auth;

/* Borrows store, which must outlive the result. */
int hub_auth_new(struct hub_auth **out, struct hub_store *store);
void hub_auth_free(struct hub_auth *a);        /* NULL is fine */

/* Checks a login. Returns HUB_OK when granted, else why not (HUB_R_UNKNOWN_USER, ...).
 * A password verified once with the KDF is remembered as an HMAC under a
 * per-process random key, so the same user's next logins cost microseconds;
 * a changed or deleted user drops that memory. */
enum hub_refusal hub_auth_login(struct hub_auth *a, const char *username, const char *password);

/* true when password is one this hub verified for username before (and the
 * user is unchanged): costs an LMDB read and an HMAC, never the KDF. */
bool hub_auth_known(struct hub_auth *a, const char *username, const char *password);

/* The principal for username, or NULL when no such user. Borrowed: valid until
 * the next hub_auth_* call. */
const struct hub_principal *hub_auth_principal(struct hub_auth *a, const char *username);

/* Notices user changes made by np-admin; call often, it looks at most once a second. */
void hub_auth_tick(struct hub_auth *a, int64_t now_ms);

#endif
