/* throttle.c - what one address, one (user, address) pair or one user may
 * cost the broker, in token buckets and locks kept in three bounded tables.
 *
 * Logins: the expensive thing is the KDF (tens of ms at the shipped 100,000
 * iterations on the broker's one thread), so every password check that would
 * run it first takes a token from its address's bucket (burst 4 x
 * login_max_failures, one a second back) and from the hub's (login_kdf_rate a
 * second). A success gives both back, so only failures spend them. A pair
 * that fails login_max_failures times is locked, the lock doubling with each
 * further failure; an attempt refused by a lock or an empty bucket runs no KDF,
 * counts nothing and extends nothing. So a storm from one address costs the
 * broker at most a token a second, and once it stops, a user with the right
 * password is in within a second (plugin.c also admits a password it verified
 * before from anywhere, without a token). IPv6 addresses count by /64.
 *
 * Tables keep their entries in least-recently-used order; when one is full,
 * the oldest entry is dropped only if it restricts nothing (a full bucket, no
 * lock). If it does, the new address is treated as spent, never as free. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "throttle.h"

#define MAX_DOUBLINGS 6         /* a lock grows to at most 64 x login_lockout_s */
#define FORGET_MS (3600 * 1000) /* failures forgiven after a quiet hour */
#define MAX_USERS (1u << 20)

struct entry {
	char key[160];
	double a, b, c, d, r, t, x;     /* buckets: see the functions that use them */
	unsigned count;         /* pair: failed KDFs */
	int64_t last_ms, locked_until;
	UT_hash_handle hh;
};

struct table {
	struct entry *h;
	unsigned n, max;
	bool (*restricts)(const struct hub_throttle *l, const struct entry *e, int64_t now);
};

struct hub_throttle {
	struct hub_throttle_opts o;
	struct table pairs, addrs, users;
	double kdf_tokens;      /* the hub's own bucket of failed KDFs */
	int64_t kdf_last_ms;
	int64_t next_clean_ms;
};

/* ---- buckets ---- */

static void
refill(double *tokens, double per_s, double cap, int64_t elapsed_ms)
{
	if (elapsed_ms > 0)
		*tokens += per_s * (double)elapsed_ms / 1000.0;
	if (*tokens > cap)
		*tokens = cap;
}

static int64_t
wait_for_one(double tokens, double per_s)
{
	return per_s <= 0 ? 1000 : (int64_t)((1.0 - tokens) * 1000.0 / per_s) + 1;
}

static double
addr_cap(const struct hub_throttle_opts *o)
{
	return o->login_max_failures ? 4.0 * o->login_max_failures : 4.0;
}

static double
kdf_cap(const struct hub_throttle_opts *o)
{
	return 5.0 * o->login_kdf_rate;
}

/* ---- tables ---- */

static bool
pair_restricts(const struct hub_throttle *l, const struct entry *e, int64_t now)
{
	(void)l;
	return e->locked_until > now || (e->count > 0 && now - e->last_ms < FORGET_MS);
}

/* address: a = KDF tokens */
static bool
addr_restricts(const struct hub_throttle *l, const struct entry *e, int64_t now)
{
	double t = e->a;

	refill(&t, 1.0, addr_cap(&l->o), now - e->last_ms);
	return t < addr_cap(&l->o);
}

/* user: a = messages, b = bytes, c = history requests, d = history bytes,
 * r = refusals the hub may send back, t = token requests, x = receipts */
static bool
user_restricts(const struct hub_throttle *l, const struct entry *e, int64_t now)
{
	(void)l;
	return now - e->last_ms < 60000;  /* a minute idle: every bucket is full again */
}

static void
table_drop(struct table *t, struct entry *e)
{
	HASH_DEL(t->h, e);
	free(e);
	t->n--;
}

static void
table_clear(struct table *t)
{
	struct entry *e, *tmp;

	HASH_ITER(hh, t->h, e, tmp)
		table_drop(t, e);
}

/* The entry for key, moved to the young end; created (fresh: the caller fills
 * it) when create and there is room or an idle entry to give up. NULL when
 * absent, or when the table is full of entries that still restrict. */
static struct entry *
table_get(struct hub_throttle *l, struct table *t, const char *key, bool create, int64_t now,
	  bool *fresh)
{
	struct entry *e;

	*fresh = false;
	HASH_FIND_STR(t->h, key, e);
	if (e != NULL) {
		HASH_DEL(t->h, e);
		HASH_ADD_STR(t->h, key, e);
		return e;
	}
	if (!create)
		return NULL;
	if (t->n >= t->max) {
		if (t->h == NULL || t->restricts(l, t->h, now))
			return NULL;
		table_drop(t, t->h);    /* the head is the least recently used */
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->last_ms = now;
	HASH_ADD_STR(t->h, key, e);
	t->n++;
	*fresh = true;
	return e;
}

/* An IPv6 address counts by its /64 (one subscriber's whole prefix). */
static void
addr_key(const char *address, char *out, size_t outlen)
{
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN];

	if (address != NULL && strchr(address, ':') != NULL && strncmp(address, "::ffff:", 7) != 0
	    && inet_pton(AF_INET6, address, &a6) == 1) {
		memset(a6.s6_addr + 8, 0, 8);
		if (inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) != NULL) {
			snprintf(out, outlen, "%s/64", buf);
			return;
		}
	}
	snprintf(out, outlen, "%.60s", address ? address : "");
}

static void
pair_key(const char *username, const char *address, char *out, size_t outlen)
{
	char a[80];

	addr_key(address, a, sizeof(a));
	snprintf(out, outlen, "%.64s\n%s", username ? username : "", a);
}

/* ---- life ---- */

int
hub_throttle_new(struct hub_throttle **out, const struct hub_throttle_opts *o)
{
	struct hub_throttle *l = calloc(1, sizeof(*l));

	*out = l;
	if (l == NULL)
		return -1;
	l->o = *o;
	l->pairs.max = HUB_THROTTLE_MAX_ENTRIES;
	l->pairs.restricts = pair_restricts;
	l->addrs.max = HUB_THROTTLE_MAX_ENTRIES;
	l->addrs.restricts = addr_restricts;
	l->users.max = MAX_USERS;
	l->users.restricts = user_restricts;
	l->kdf_tokens = kdf_cap(o);
	return 0;
}

void
hub_throttle_free(struct hub_throttle *l)
{
	if (l == NULL)
		return;
	table_clear(&l->pairs);
	table_clear(&l->addrs);
	table_clear(&l->users);
	free(l);
}

/* ---- logins ---- */

static int64_t
pair_locked(struct hub_throttle *l, const char *username, const char *address, int64_t now)
{
	struct entry *e;
	char key[160];

	pair_key(username, address, key, sizeof(key));
	HASH_FIND_STR(l->pairs.h, key, e);
	return e != NULL && e->locked_until > now ? e->locked_until - now : 0;
}

int64_t
hub_throttle_login_begin(struct hub_throttle *l, const char *username, const char *address,
			 int64_t now_ms, enum hub_refusal *why)
{
	struct entry *a = NULL;
	char key[80];
	bool fresh;
	int64_t wait;

	*why = HUB_OK;
	if (l->o.login_max_failures > 0) {
		wait = pair_locked(l, username, address, now_ms);
		if (wait > 0) {
			*why = HUB_R_LOGIN_PAIR_LOCKED;
			return wait;
		}
		addr_key(address, key, sizeof(key));
		a = table_get(l, &l->addrs, key, true, now_ms, &fresh);
		if (a == NULL) {
			*why = HUB_R_LOGIN_ADDRS_FULL;
			return 1000;
		}
		if (fresh)
			a->a = addr_cap(&l->o);
		refill(&a->a, 1.0, addr_cap(&l->o), now_ms - a->last_ms);
		a->last_ms = now_ms;
		if (a->a < 1.0) {
			*why = HUB_R_LOGIN_ADDR;
			return wait_for_one(a->a, 1.0);
		}
	}
	refill(&l->kdf_tokens, l->o.login_kdf_rate, kdf_cap(&l->o), now_ms - l->kdf_last_ms);
	l->kdf_last_ms = now_ms;
	if (l->kdf_tokens < 1.0) {
		*why = HUB_R_LOGIN_HUB;
		return wait_for_one(l->kdf_tokens, l->o.login_kdf_rate);
	}
	l->kdf_tokens -= 1.0;
	if (a != NULL)
		a->a -= 1.0;
	return 0;
}

static void
refund(struct hub_throttle *l, const char *address)
{
	struct entry *a;
	char key[80];

	addr_key(address, key, sizeof(key));
	HASH_FIND_STR(l->addrs.h, key, a);
	if (a != NULL && a->a + 1.0 <= addr_cap(&l->o))
		a->a += 1.0;
	if (l->kdf_tokens + 1.0 <= kdf_cap(&l->o))
		l->kdf_tokens += 1.0;
}

void
hub_throttle_login_end(struct hub_throttle *l, const char *username, const char *address,
		       bool ok, int64_t now_ms)
{
	struct entry *p;
	char key[160];
	unsigned over;
	bool fresh;

	pair_key(username, address, key, sizeof(key));
	if (ok) {
		refund(l, address);
		HASH_FIND_STR(l->pairs.h, key, p);
		if (p != NULL)
			table_drop(&l->pairs, p);
		return;
	}
	if (l->o.login_max_failures == 0)
		return;
	p = table_get(l, &l->pairs, key, true, now_ms, &fresh);
	if (p == NULL)
		return;         /* the address bucket still limits this pair */
	if (now_ms - p->last_ms > FORGET_MS)
		p->count = 0;
	p->count++;
	p->last_ms = now_ms;
	if (p->count < l->o.login_max_failures)
		return;
	over = p->count - l->o.login_max_failures;
	p->locked_until = now_ms + ((int64_t)l->o.login_lockout_s * 1000
				    << (over < MAX_DOUBLINGS ? over : MAX_DOUBLINGS));
}

/* ---- per-user budgets ---- */

static struct entry *
user_entry(struct hub_throttle *l, const char *username, int64_t now)
{
	struct entry *u;
	bool fresh;

	u = table_get(l, &l->users, username, true, now, &fresh);
	if (u == NULL)
		return NULL;
	if (fresh) {
		u->a = l->o.rate_burst;
		u->b = (double)l->o.rate_bytes * 2;
		u->c = 4.0 * l->o.history_rate;
		u->d = (double)l->o.history_rate_bytes * 2;
		u->r = 2.0 * l->o.reply_rate;
		u->t = l->o.token_rate;
		u->x = 4.0 * l->o.receipt_rate;
		return u;
	}
	refill(&u->a, l->o.rate_msgs, l->o.rate_burst, now - u->last_ms);
	refill(&u->b, (double)l->o.rate_bytes, (double)l->o.rate_bytes * 2, now - u->last_ms);
	refill(&u->c, l->o.history_rate, 4.0 * l->o.history_rate, now - u->last_ms);
	refill(&u->d, (double)l->o.history_rate_bytes, (double)l->o.history_rate_bytes * 2,
	       now - u->last_ms);
	refill(&u->r, l->o.reply_rate, 2.0 * l->o.reply_rate, now - u->last_ms);
	refill(&u->t, l->o.token_rate / 60.0, l->o.token_rate, now - u->last_ms);
	refill(&u->x, l->o.receipt_rate, 4.0 * l->o.receipt_rate, now - u->last_ms);
	u->last_ms = now;
	return u;
}

enum hub_refusal
hub_throttle_publish(struct hub_throttle *l, const char *username, size_t len, int64_t now_ms)
{
	struct entry *u;

	if ((l->o.rate_msgs == 0 && l->o.rate_bytes == 0) || username == NULL)
		return HUB_OK;
	u = user_entry(l, username, now_ms);
	if (u == NULL)
		return HUB_R_RATE_NOMEM;
	if (l->o.rate_msgs > 0 && u->a < 1)
		return HUB_R_RATE_MSGS;
	if (l->o.rate_bytes > 0 && u->b < (double)len)
		return HUB_R_RATE_BYTES;
	if (l->o.rate_msgs > 0)
		u->a -= 1;
	if (l->o.rate_bytes > 0)
		u->b -= (double)len;
	return HUB_OK;
}

/* The ms until tokens reach need, refilling at per_s a second. */
static double
wait_for(double tokens, double need, double per_s)
{
	return tokens >= need ? 0.0 : (need - tokens) * 1000.0 / per_s;
}

uint32_t
hub_throttle_retry_ms(struct hub_throttle *l, const char *username, size_t len, int64_t now_ms)
{
	struct entry *u;
	double wait = 0.0, bytes;

	if (username == NULL)
		return 0;
	if (l->o.rate_bytes > 0 && (double)len > (double)l->o.rate_bytes * 2)
		return 0;       /* over the byte burst: no wait is long enough */
	u = user_entry(l, username, now_ms);    /* its buckets, refilled to now */
	if (u == NULL)
		return 1;
	if (l->o.rate_msgs > 0)
		wait = wait_for(u->a, 1.0, l->o.rate_msgs);
	if (l->o.rate_bytes > 0) {
		bytes = wait_for(u->b, (double)len, (double)l->o.rate_bytes);
		if (bytes > wait)
			wait = bytes;
	}
	if (wait >= HUB_THROTTLE_RETRY_MAX_MS)
		return HUB_THROTTLE_RETRY_MAX_MS;
	return (uint32_t)wait + 1;      /* at least 1 ms, and never a ms too early */
}

enum hub_refusal
hub_throttle_request(struct hub_throttle *l, const char *username, int64_t now_ms)
{
	struct entry *u = user_entry(l, username, now_ms);

	if (u == NULL)
		return HUB_R_RATE_NOMEM;
	if (u->c < 1)
		return HUB_R_HISTORY_RATE;
	if (u->d <= 0)
		return HUB_R_HISTORY_BYTES;
	u->c -= 1;
	return HUB_OK;
}

enum hub_refusal
hub_throttle_token(struct hub_throttle *l, const char *username, int64_t now_ms)
{
	struct entry *u = user_entry(l, username, now_ms);

	if (u == NULL)
		return HUB_R_RATE_NOMEM;
	if (u->t < 1)
		return HUB_R_TOKEN_RATE;
	u->t -= 1;
	return HUB_OK;
}

enum hub_refusal
hub_throttle_receipt(struct hub_throttle *l, const char *username, int64_t now_ms)
{
	struct entry *u;

	if (l->o.receipt_rate == 0)
		return HUB_OK;
	u = user_entry(l, username, now_ms);
	if (u == NULL)
		return HUB_R_RATE_NOMEM;
	if (u->x < 1)
		return HUB_R_RECEIPT_RATE;
	u->x -= 1;
	return HUB_OK;
}

const char *
hub_throttle_explain(const struct hub_throttle *l, enum hub_refusal why, char *buf, size_t len)
{
	const char *f = hub_refusal_text(why);

	switch (why) {
	case HUB_R_RATE_MSGS:
		snprintf(buf, len, f, l->o.rate_msgs, l->o.rate_burst);
		break;
	case HUB_R_RATE_BYTES:
		snprintf(buf, len, f, l->o.rate_bytes);
		break;
	case HUB_R_HISTORY_RATE:
		snprintf(buf, len, f, l->o.history_rate);
		break;
	case HUB_R_HISTORY_BYTES:
		snprintf(buf, len, f, l->o.history_rate_bytes);
		break;
	case HUB_R_TOKEN_RATE:
		snprintf(buf, len, f, l->o.token_rate);
		break;
	case HUB_R_RECEIPT_RATE:
		snprintf(buf, len, f, l->o.receipt_rate);
		break;
	default:
		snprintf(buf, len, "%s", f);
		break;
	}
	return buf;
}

void
hub_throttle_request_bytes(struct hub_throttle *l, const char *username, size_t len,
			   int64_t now_ms)
{
	struct entry *u = user_entry(l, username, now_ms);

	if (u != NULL)
		u->d -= (double)len;    /* may go below zero: a debt paid back in time */
}

bool
hub_throttle_reply(struct hub_throttle *l, const char *username, int64_t now_ms)
{
	struct entry *u;

	if (username == NULL)
		return false;
	u = user_entry(l, username, now_ms);
	if (u == NULL || u->r < 1)
		return false;
	u->r -= 1;
	return true;
}

void
hub_throttle_tick(struct hub_throttle *l, int64_t now_ms)
{
	struct table *t[3] = { &l->pairs, &l->addrs, &l->users };
	struct entry *e, *tmp;
	int i;

	if (now_ms < l->next_clean_ms)
		return;
	l->next_clean_ms = now_ms + 10000;
	for (i = 0; i < 3; i++) {
		HASH_ITER(hh, t[i]->h, e, tmp) {
			if (!t[i]->restricts(l, e, now_ms))
				table_drop(t[i], e);
		}
	}
}
