/* throttle.c - failed-login counters, per (username, client address) and per
 * address, with a lock that doubles with each further failure; and token
 * buckets for each user's messages and bytes per second. A lock refuses a
 * login before any KDF runs, so a storm of wrong passwords costs the broker
 * almost nothing. Locking the pair rather than the username means an attacker
 * elsewhere cannot lock a real volunteer out, and plugin.c still admits a
 * password the hub verified before (auth.c's memory of it) even from a locked
 * address. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "throttle.h"

#define MAX_TRACKED 200000      /* failure entries kept at most */
#define ADDRESS_FACTOR 4        /* an address may fail this many times more than a user */
#define MAX_DOUBLINGS 6         /* a lock grows to at most 64 x login_lockout_s */

struct failures {
	char key[128];          /* "p:name@address" or "a:address" */
	unsigned count;
	int64_t last_ms, locked_until;
	UT_hash_handle hh;
};

struct bucket {
	char user[72];
	double msgs, bytes;     /* tokens left */
	int64_t last_ms;
	UT_hash_handle hh;
};

struct hub_throttle {
	struct hub_throttle_opts o;
	struct failures *fails;
	unsigned nfails;
	struct bucket *buckets;
	int64_t next_clean_ms;
	char why[128];
};

int
hub_throttle_new(struct hub_throttle **out, const struct hub_throttle_opts *o)
{
	struct hub_throttle *l = calloc(1, sizeof(*l));

	*out = l;
	if (l == NULL)
		return -1;
	l->o = *o;
	return 0;
}

void
hub_throttle_free(struct hub_throttle *l)
{
	struct failures *f, *ft;
	struct bucket *b, *bt;

	if (l == NULL)
		return;
	HASH_ITER(hh, l->fails, f, ft) {
		HASH_DEL(l->fails, f);
		free(f);
	}
	HASH_ITER(hh, l->buckets, b, bt) {
		HASH_DEL(l->buckets, b);
		free(b);
	}
	free(l);
}

static struct failures *
find(struct hub_throttle *l, const char *user, const char *address, bool create)
{
	struct failures *f;
	char key[128];

	if (user != NULL)
		snprintf(key, sizeof(key), "p:%.64s@%.50s", user, address ? address : "");
	else
		snprintf(key, sizeof(key), "a:%.50s", address ? address : "");
	HASH_FIND_STR(l->fails, key, f);
	if (f != NULL || !create || l->nfails >= MAX_TRACKED)
		return f;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	memcpy(f->key, key, sizeof(key));
	HASH_ADD_STR(l->fails, key, f);
	l->nfails++;
	return f;
}

static int64_t
left(const struct failures *f, int64_t now)
{
	return f != NULL && f->locked_until > now ? f->locked_until - now : 0;
}

int64_t
hub_throttle_login_locked(struct hub_throttle *l, const char *username, const char *address,
			int64_t now_ms)
{
	int64_t u, a;

	if (l->o.login_max_failures == 0)
		return 0;
	u = left(find(l, username, address, false), now_ms);
	a = left(find(l, NULL, address, false), now_ms);
	return u > a ? u : a;
}

static void
fail_one(struct hub_throttle *l, struct failures *f, unsigned allowed, int64_t now)
{
	unsigned over;
	int64_t lock;

	if (f == NULL)
		return;
	/* counts decay: a quiet hour forgives */
	if (now - f->last_ms > 3600 * 1000)
		f->count = 0;
	f->count++;
	f->last_ms = now;
	if (f->count < allowed)
		return;
	over = f->count - allowed;
	lock = (int64_t)l->o.login_lockout_s * 1000 << (over < MAX_DOUBLINGS ? over : MAX_DOUBLINGS);
	f->locked_until = now + lock;
}

void
hub_throttle_login_failed(struct hub_throttle *l, const char *username, const char *address,
			int64_t now_ms)
{
	if (l->o.login_max_failures == 0)
		return;
	fail_one(l, find(l, username, address, true), l->o.login_max_failures, now_ms);
	fail_one(l, find(l, NULL, address, true), l->o.login_max_failures * ADDRESS_FACTOR, now_ms);
}

void
hub_throttle_login_ok(struct hub_throttle *l, const char *username, const char *address)
{
	struct failures *f = find(l, username, address, false);

	if (f != NULL) {
		HASH_DEL(l->fails, f);
		free(f);
		l->nfails--;
	}
}

static void
refill(const struct hub_throttle_opts *o, struct bucket *b, int64_t now)
{
	double secs = (double)(now - b->last_ms) / 1000.0;

	if (secs <= 0)
		return;
	b->msgs += secs * o->rate_msgs;
	if (b->msgs > o->rate_burst)
		b->msgs = o->rate_burst;
	b->bytes += secs * (double)o->rate_bytes;
	if (b->bytes > (double)o->rate_bytes * 2)
		b->bytes = (double)o->rate_bytes * 2;
	b->last_ms = now;
}

const char *
hub_throttle_publish(struct hub_throttle *l, const char *username, size_t len, int64_t now_ms)
{
	struct bucket *b;

	if ((l->o.rate_msgs == 0 && l->o.rate_bytes == 0) || username == NULL)
		return NULL;
	HASH_FIND_STR(l->buckets, username, b);
	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return NULL;
		snprintf(b->user, sizeof(b->user), "%s", username);
		b->msgs = l->o.rate_burst;
		b->bytes = (double)l->o.rate_bytes * 2;
		b->last_ms = now_ms;
		HASH_ADD_STR(l->buckets, user, b);
	}
	refill(&l->o, b, now_ms);
	if (l->o.rate_msgs > 0 && b->msgs < 1) {
		snprintf(l->why, sizeof(l->why), "over the rate limit of %u messages/s (burst %u)",
			 l->o.rate_msgs, l->o.rate_burst);
		return l->why;
	}
	if (l->o.rate_bytes > 0 && b->bytes < (double)len) {
		snprintf(l->why, sizeof(l->why), "over the rate limit of %zu bytes/s", l->o.rate_bytes);
		return l->why;
	}
	if (l->o.rate_msgs > 0)
		b->msgs -= 1;
	if (l->o.rate_bytes > 0)
		b->bytes -= (double)len;
	return NULL;
}

void
hub_throttle_tick(struct hub_throttle *l, int64_t now_ms)
{
	struct failures *f, *ft;
	struct bucket *b, *bt;

	if (now_ms < l->next_clean_ms)
		return;
	l->next_clean_ms = now_ms + 10000;
	HASH_ITER(hh, l->fails, f, ft) {
		if (f->locked_until < now_ms && now_ms - f->last_ms > 3600 * 1000) {
			HASH_DEL(l->fails, f);
			free(f);
			l->nfails--;
		}
	}
	HASH_ITER(hh, l->buckets, b, bt) {
		if (now_ms - b->last_ms > 60000) {      /* a full bucket again: forget it */
			HASH_DEL(l->buckets, b);
			free(b);
		}
	}
}
