/* throttle.h - login throttling and per-user publish rate limits. In memory,
 * per broker process; O(1) per check (uthash). Times are in ms. */
#ifndef NP_THROTTLE_H
#define NP_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

struct hub_throttle_opts {
	unsigned login_max_failures;    /* failures allowed before a lock; 0: no throttling */
	unsigned login_lockout_s;       /* first lock; doubles with each further failure */
	unsigned rate_msgs;             /* messages per second per user; 0: no limit */
	unsigned rate_burst;            /* messages a user may send at once */
	size_t rate_bytes;              /* payload bytes per second per user; 0: no limit */
};

#define HUB_THROTTLE_DEFAULTS { 5, 30, 50, 200, 1u << 20 }

struct hub_throttle;

int hub_throttle_new(struct hub_throttle **out, const struct hub_throttle_opts *o);
void hub_throttle_free(struct hub_throttle *l);     /* NULL is fine */

/* ms left of a lock on this username from this address, or on the address
 * (0: not locked). */
int64_t hub_throttle_login_locked(struct hub_throttle *l, const char *username, const char *address,
				int64_t now_ms);
void hub_throttle_login_failed(struct hub_throttle *l, const char *username, const char *address,
			     int64_t now_ms);
void hub_throttle_login_ok(struct hub_throttle *l, const char *username, const char *address);

/* Accounts one publish; NULL, or why it is over the user's rate. */
const char *hub_throttle_publish(struct hub_throttle *l, const char *username, size_t len,
			       int64_t now_ms);

/* Forgets what no longer matters; call often, it works at most every 10 s. */
void hub_throttle_tick(struct hub_throttle *l, int64_t now_ms);

#endif
