/* guard.c - see guard.h. Three uthash tables: connections by client pointer,
 * client ids by id (with their owner, and the live connection if any) and
 * live connection counts by user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "guard.h"
#include "vocab.h"

#define GOING_KEEP_MS (24 * 3600 * 1000LL)     /* wills delayed longer meet the seal */
#define ID_KEEP_MS (24 * 3600 * 1000LL)        /* a persistent session's id, kept a day */

struct conn {
	const void *client;
	char user[HUB_USERNAME_MAX + 1];
	char *cid;
	bool counted, going;
	int64_t since_ms;
	bool has_token, cut, kicked;    /* logged in with a token; cut: it no longer holds */
	uint8_t token[16];
	int64_t token_expires_ms;
	UT_hash_handle hh;
};

struct cid {
	char *id;
	char user[HUB_USERNAME_MAX + 1];
	const void *client;     /* live connection holding it, or NULL */
	int64_t last_ms;
	UT_hash_handle hh;
};

struct ucount {
	char user[HUB_USERNAME_MAX + 1];
	unsigned n;
	UT_hash_handle hh;
};

struct hub_guard {
	unsigned max_per_user;
	struct conn *conns;
	struct cid *ids;
	unsigned nids;
	struct ucount *counts;
	const void *last_gone;  /* the last client to disconnect, admitted or not */
	int64_t next_clean_ms;
	size_t ncut;            /* cut connections not gone yet */
};

int
hub_guard_new(struct hub_guard **out, unsigned max_per_user)
{
	struct hub_guard *g = calloc(1, sizeof(*g));

	*out = g;
	if (g == NULL)
		return -1;
	g->max_per_user = max_per_user;
	return 0;
}

static void
conn_drop(struct hub_guard *g, struct conn *c)
{
	HASH_DEL(g->conns, c);
	free(c->cid);
	free(c);
}

static void
cid_drop(struct hub_guard *g, struct cid *i)
{
	HASH_DEL(g->ids, i);
	free(i->id);
	free(i);
	g->nids--;
}

void
hub_guard_free(struct hub_guard *g)
{
	struct conn *c, *ct;
	struct cid *i, *it;
	struct ucount *u, *ut;

	if (g == NULL)
		return;
	HASH_ITER(hh, g->conns, c, ct)
		conn_drop(g, c);
	HASH_ITER(hh, g->ids, i, it)
		cid_drop(g, i);
	HASH_ITER(hh, g->counts, u, ut) {
		HASH_DEL(g->counts, u);
		free(u);
	}
	free(g);
}

static struct ucount *
count_of(const struct hub_guard *g, const char *user)
{
	struct ucount *u;

	HASH_FIND_STR(g->counts, user, u);
	return u;
}

unsigned
hub_guard_count(const struct hub_guard *g, const char *user)
{
	struct ucount *u = count_of(g, user);

	return u ? u->n : 0;
}

char **
hub_guard_live_ids(const struct hub_guard *g, const char *user)
{
	const struct conn *c, *ct;
	char **ids = calloc(hub_guard_count(g, user) + 1, sizeof(*ids));
	size_t n = 0, max = hub_guard_count(g, user);

	if (ids == NULL)
		return NULL;
	HASH_ITER(hh, g->conns, c, ct) {
		if (n == max || !c->counted || c->going || c->cid == NULL
		    || strcmp(c->user, user) != 0)
			continue;
		if ((ids[n++] = strdup(c->cid)) == NULL) {
			hub_guard_ids_free(ids);
			return NULL;
		}
	}
	return ids;
}

void
hub_guard_ids_free(char **ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; ids[i] != NULL; i++)
		free(ids[i]);
	free(ids);
}

enum hub_refusal
hub_guard_admit(struct hub_guard *g, const char *cid, const char *user)
{
	struct cid *i = NULL;
	unsigned n = hub_guard_count(g, user);

	if (cid != NULL && strlen(cid) > HUB_GUARD_MAX_ID_LEN)
		return HUB_R_CLIENT_ID_TOO_LONG;        /* the table is bounded in bytes too */
	if (cid != NULL)
		HASH_FIND_STR(g->ids, cid, i);
	if (i != NULL && strcmp(i->user, user) != 0)
		return HUB_R_CLIENT_ID_TAKEN;
	if (i != NULL && i->client != NULL && n > 0)
		n--;    /* it replaces its own connection */
	if (g->max_per_user > 0 && n >= g->max_per_user)
		return HUB_R_TOO_MANY_CONNECTIONS;
	return HUB_OK;
}

static int
count_add(struct hub_guard *g, const char *user, int d)
{
	struct ucount *u = count_of(g, user);

	if (u == NULL) {
		if (d < 0)
			return 0;
		u = calloc(1, sizeof(*u));
		if (u == NULL)
			return -1;
		snprintf(u->user, sizeof(u->user), "%s", user);
		HASH_ADD_STR(g->counts, user, u);
	}
	if (d < 0 && u->n > 0)
		u->n--;
	else if (d > 0)
		u->n++;
	if (u->n == 0) {
		HASH_DEL(g->counts, u);
		free(u);
	}
	return 0;
}

/* The oldest offline id goes when the table is full (uthash keeps insertion
 * order and ids are re-added when used). */
static void
make_room(struct hub_guard *g)
{
	struct cid *i, *it;

	if (g->nids < HUB_GUARD_MAX_IDS)
		return;
	HASH_ITER(hh, g->ids, i, it) {
		if (i->client == NULL) {
			cid_drop(g, i);
			return;
		}
	}
}

static struct cid *
cid_take(struct hub_guard *g, const char *cid, const char *user, const void *client, int64_t now)
{
	struct cid *i;

	HASH_FIND_STR(g->ids, cid, i);
	if (i != NULL) {
		HASH_DEL(g->ids, i);    /* to the young end */
		g->nids--;
	} else {
		make_room(g);
		i = calloc(1, sizeof(*i));
		if (i == NULL || (i->id = strdup(cid)) == NULL) {
			free(i);
			return NULL;
		}
	}
	if (i->client != NULL && i->client != client) {
		struct conn *old;

		HASH_FIND_PTR(g->conns, &i->client, old);
		if (old != NULL)
			old->going = true;      /* mosquitto sends its will now */
	}
	snprintf(i->user, sizeof(i->user), "%s", user);
	i->client = client;
	i->last_ms = now;
	HASH_ADD_KEYPTR(hh, g->ids, i->id, strlen(i->id), i);
	g->nids++;
	return i;
}

int
hub_guard_connected(struct hub_guard *g, const void *client, const char *cid, const char *user,
		    int64_t now_ms)
{
	struct conn *c;

	if (g->last_gone == client)
		g->last_gone = NULL;
	HASH_FIND_PTR(g->conns, &client, c);
	if (c != NULL)
		conn_drop(g, c);        /* an old record of a freed client at this address */
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -1;
	c->client = client;
	snprintf(c->user, sizeof(c->user), "%s", user);
	c->since_ms = now_ms;
	if (cid != NULL && ((c->cid = strdup(cid)) == NULL || cid_take(g, cid, user, client, now_ms)
							     == NULL)) {
		free(c->cid);
		free(c);
		return -1;
	}
	if (count_add(g, user, +1) != 0) {
		free(c->cid);
		free(c);
		return -1;
	}
	c->counted = true;
	HASH_ADD_PTR(g->conns, client, c);
	return 0;
}

void
hub_guard_disconnected(struct hub_guard *g, const void *client, bool clean, int64_t now_ms)
{
	struct conn *c;
	struct cid *i = NULL;

	/* mosquitto checks the will (if any) right after this event, also for a
	 * refused login, which has no record here */
	g->last_gone = client;
	HASH_FIND_PTR(g->conns, &client, c);
	if (c == NULL)
		return;
	if (c->counted) {
		count_add(g, c->user, -1);
		c->counted = false;
	}
	if (c->cut) {
		c->cut = false;
		g->ncut--;
	}
	if (c->cid != NULL)
		HASH_FIND_STR(g->ids, c->cid, i);
	if (i != NULL && i->client == client && clean) {
		cid_drop(g, i);         /* no session waits for it: the id is free again */
	} else if (i != NULL && i->client == client) {
		i->client = NULL;
		i->last_ms = now_ms;
	}
	c->going = true;
	c->since_ms = now_ms;
}

bool
hub_guard_going(const struct hub_guard *g, const void *client)
{
	struct conn *c;

	if (client == g->last_gone)
		return true;
	HASH_FIND_PTR(g->conns, &client, c);
	return c != NULL && c->going;
}

const char *
hub_guard_user(const struct hub_guard *g, const void *client)
{
	struct conn *c;

	HASH_FIND_PTR(g->conns, &client, c);
	return c != NULL && c->user[0] != '\0' ? c->user : NULL;
}

/* ---- token connections ---- */

int
hub_guard_set_token(struct hub_guard *g, const void *client, const uint8_t id[16],
		    int64_t expires_ms)
{
	struct conn *c;

	HASH_FIND_PTR(g->conns, &client, c);
	if (c == NULL)
		return -1;
	c->has_token = true;
	memcpy(c->token, id, sizeof(c->token));
	c->token_expires_ms = expires_ms;
	return 0;
}

const uint8_t *
hub_guard_token(const struct hub_guard *g, const void *client)
{
	struct conn *c;

	HASH_FIND_PTR(g->conns, &client, c);
	return c != NULL && c->has_token ? c->token : NULL;
}

size_t
hub_guard_cut_tokens(struct hub_guard *g, bool every, int64_t now_ms,
		     bool (*holds)(void *ctx, const char *user, const uint8_t *id), void *ctx,
		     int64_t *next_expiry_ms)
{
	struct conn *c, *ct;
	size_t n = 0;
	bool due;

	*next_expiry_ms = 0;
	HASH_ITER(hh, g->conns, c, ct) {
		if (!c->has_token || !c->counted || c->cut)
			continue;
		due = c->token_expires_ms != 0 && now_ms >= c->token_expires_ms;
		if ((every || due) && !holds(ctx, c->user, c->token)) {
			c->cut = true;
			g->ncut++;
			n++;
		} else if (c->token_expires_ms != 0 && (*next_expiry_ms == 0
							|| c->token_expires_ms < *next_expiry_ms)) {
			*next_expiry_ms = c->token_expires_ms;
		}
	}
	return n;
}

bool
hub_guard_is_cut(const struct hub_guard *g, const void *client)
{
	struct conn *c;

	if (g->ncut == 0)
		return false;
	HASH_FIND_PTR(g->conns, &client, c);
	return c != NULL && c->cut;
}

void
hub_guard_kick_cut(struct hub_guard *g, void (*kick)(void *ctx, const char *cid), void *ctx,
		   size_t max)
{
	struct conn *c, *ct;
	size_t n = 0;

	if (g->ncut == 0)
		return;
	/* kick() may disconnect at once: hub_guard_disconnected changes flags
	 * and counts, never this table's links */
	HASH_ITER(hh, g->conns, c, ct) {
		if (n >= max)
			break;
		if (c->cut && !c->kicked && c->cid != NULL) {
			c->kicked = true;
			n++;
			kick(ctx, c->cid);
		}
	}
}

void
hub_guard_tick(struct hub_guard *g, int64_t now_ms)
{
	struct conn *c, *ct;
	struct cid *i, *it;

	if (now_ms < g->next_clean_ms)
		return;
	g->next_clean_ms = now_ms + 60000;
	HASH_ITER(hh, g->conns, c, ct) {
		if (c->going && !c->counted && now_ms - c->since_ms > GOING_KEEP_MS)
			conn_drop(g, c);
	}
	HASH_ITER(hh, g->ids, i, it) {
		if (i->client == NULL && now_ms - i->last_ms > ID_KEEP_MS)
			cid_drop(g, i);
	}
}
