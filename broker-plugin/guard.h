/* guard.h - the hub's view of live connections, for rules mosquitto does not
 * keep itself: a client id belongs to the user who first used it (another
 * user's CONNECT with it is refused, so no one can take over a session or
 * receive its replies; while it is connected, and for a day after a
 * persistent session's last connection), a user holds at most max_per_user connections, and a
 * connection that is going away is known as such, so a will it leaves is not
 * taken for a publish (mosquitto 2.0 sends wills without a message event).
 * Clients are the broker's struct mosquitto *, used only as keys. */
#ifndef NP_GUARD_H
#define NP_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "refusal.h"

#define HUB_GUARD_MAX_IDS 262144        /* client ids remembered at most */
#define HUB_GUARD_MAX_ID_LEN 128        /* bytes of a client id; longer ones are refused */

struct hub_guard;

int hub_guard_new(struct hub_guard **out, unsigned max_per_user);
void hub_guard_free(struct hub_guard *g);       /* NULL is fine */

/* May user connect with client id cid? HUB_OK, or why not
 * (HUB_R_CLIENT_ID_TAKEN, HUB_R_TOO_MANY_CONNECTIONS). Call after the
 * credential was checked. */
enum hub_refusal hub_guard_admit(struct hub_guard *g, const char *cid, const char *user);
/* Records an admitted connection. A connection of the same id it replaces
 * (mosquitto closes it next, after sending its will) is marked as going. */
int hub_guard_connected(struct hub_guard *g, const void *client, const char *cid,
			const char *user, int64_t now_ms);
/* The broker's DISCONNECT event for client (admitted or not). A clean
 * session frees its id at once; a persistent one keeps it for its user for a
 * day (mosquitto 2.0 does not tell a plugin when a session expires). */
void hub_guard_disconnected(struct hub_guard *g, const void *client, bool clean,
			    int64_t now_ms);
/* true between a client's disconnection and its next login: a write checked
 * for it now is its will. */
bool hub_guard_going(const struct hub_guard *g, const void *client);
/* The user client was admitted as (borrowed), or NULL. */
const char *hub_guard_user(const struct hub_guard *g, const void *client);
/* Live connections of user. */
unsigned hub_guard_count(const struct hub_guard *g, const char *user);
/* How a connection logged in: with a device token (token.h) or its password.
 * Records that client logged in with token id, which expires at expires_ms
 * (0: never). A connection recorded without it logged in with its password. */
int hub_guard_set_token(struct hub_guard *g, const void *client, const uint8_t id[16],
			int64_t expires_ms);
/* The token id client logged in with (borrowed), or NULL: its password. */
const uint8_t *hub_guard_token(const struct hub_guard *g, const void *client);
/* Asks holds(ctx, user, id) for every live token connection not cut yet (all
 * of them when every is true, else only those whose expiry passed at now) and
 * cuts those it says no to. *next_expiry_ms gets the earliest expiry among the
 * live token connections left (0: none). Returns how many were cut. */
size_t hub_guard_cut_tokens(struct hub_guard *g, bool every, int64_t now_ms,
			    bool (*holds)(void *ctx, const char *user, const uint8_t *id),
			    void *ctx, int64_t *next_expiry_ms);
/* true when client was cut and is not gone yet: nothing more is delivered to
 * it or taken from it. O(1), and no look-up at all while nobody is cut. */
bool hub_guard_is_cut(const struct hub_guard *g, const void *client);
/* Calls kick(ctx, cid) once for every cut connection still there (at most
 * max of them; the rest at the next call). */
void hub_guard_kick_cut(struct hub_guard *g, void (*kick)(void *ctx, const char *cid),
			void *ctx, size_t max);
/* The client ids of user's live connections, as a NULL-terminated array the
 * caller owns (free it with hub_guard_ids_free); NULL when out of memory. */
char **hub_guard_live_ids(const struct hub_guard *g, const char *user);
void hub_guard_ids_free(char **ids);            /* NULL is fine */
/* Forgets going clients and offline ids long unused; call often. */
void hub_guard_tick(struct hub_guard *g, int64_t now_ms);

#endif
