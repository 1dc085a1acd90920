/* auth.h - logins against the LMDB users, and the principal of every user the
 * ACL asks about, cached in memory and refreshed when np-admin changes users;
 * which users changed, so that plugin.c disconnects their sessions. */
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

/* The principal for username, or NULL when no such user or while it is
 * pending (see hub_auth_take_pending). Borrowed: valid until the next
 * hub_auth_* call. Every call first looks whether the users changed: one read
 * of LMDB's shared meta page when no process committed since the last call,
 * so a delivery decided after np-admin's commit sees the change. */
const struct hub_principal *hub_auth_principal(struct hub_auth *a, const char *username);

/* Looks for user changes made by np-admin; call at every broker loop. */
void hub_auth_tick(struct hub_auth *a);

/* A user deleted, or whose role, area, categories or password changed, is
 * pending until its sessions older than the change are gone: this calls fn
 * for each (its name borrowed for the call) and forgets them, so the caller
 * disconnects their sessions; fn may call hub_auth_* again. */
void hub_auth_take_pending(struct hub_auth *a, void (*fn)(void *arg, const char *name),
			   void *arg);
/* true when username was pending: the caller disconnects its older sessions
 * itself (before admitting a new login of it). */
bool hub_auth_settle(struct hub_auth *a, const char *username);

#endif
