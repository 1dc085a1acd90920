/* receipts.c - see receipts.h.
 *
 * Table (a named database in the store's environment, beside history.c's):
 *   receipts  key, 25 bytes:
 *               OFFSET  SIZE  DESCRIPTION
 *                    0    16  the announcement's id
 *                   16     1  state: 1 DELIVERED, 2 READ
 *                   17     8  the village code (8 ASCII digits)
 *             value: ms since 1970 when first recorded, 8 bytes big-endian
 * So a village counts once per state per announcement (the key is the
 * record), and the receipts of one announcement and state are one key range
 * in village order: a reach request walks it beside the targeted villages.
 *
 * The targeted villages (registered villages that have a volunteer) are a
 * sorted array of codes in memory, rebuilt from the users table when its
 * generation moved (np-admin added, changed or deleted a user): one scan of
 * the users per change, not per request. */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "receipts.h"

enum {
	KEY_ID_OFF = 0,
	KEY_STATE_OFF = KEY_ID_OFF + HUB_RECEIPT_ID_LEN,
	KEY_VILLAGE_OFF = KEY_STATE_OFF + 1,
	KEY_LEN = KEY_VILLAGE_OFF + 8,
	VALUE_LEN = 8,
};
_Static_assert(KEY_LEN == 25, "a receipt key is 25 bytes on disk");
_Static_assert(HUB_AREA_MAX == 8, "a village code is 8 bytes");

typedef char code_t[8];                 /* a village code, no NUL */

struct hub_receipts {
	struct hub_store *store;
	MDB_dbi dbi;
	code_t *villages;                    /* targeted, sorted, unique */
	size_t n, cap;
	uint64_t users_gen;
	bool built;
	char err[256];
};

static int
fail(struct hub_receipts *r, const char *what, int rc)
{
	snprintf(r->err, sizeof(r->err), "%s: %s", what, mdb_strerror(rc));
	return HUB_STORE_ERROR;
}

const char *
hub_receipts_error(const struct hub_receipts *r)
{
	return r->err;
}

static int
open_table(void *txn, void *arg)
{
	return mdb_dbi_open(txn, "receipts", MDB_CREATE, &((struct hub_receipts *)arg)->dbi);
}

int
hub_receipts_open(struct hub_receipts **out, struct hub_store *s, char *err, size_t errlen)
{
	struct hub_receipts *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return HUB_STORE_ERROR;
	}
	r->store = s;
	if (hub_store_write(s, "cannot open the receipts table", open_table, r) != 0) {
		snprintf(err, errlen, "%s", hub_store_error(s));
		free(r);
		return HUB_STORE_ERROR;
	}
	*out = r;
	return 0;
}

void
hub_receipts_close(struct hub_receipts *r)
{
	if (r == NULL)
		return;
	free(r->villages);
	free(r);
}

/* ---- writing ---- */

struct put_arg {
	struct hub_receipts *r;
	const char *village;
	enum hub_receipt_state state;
	const uint8_t (*ids)[HUB_RECEIPT_ID_LEN];
	size_t n, added;
	int64_t now_ms;
};

static void
make_key(uint8_t key[KEY_LEN], const uint8_t *id, int state, const char *village)
{
	memcpy(key + KEY_ID_OFF, id, HUB_RECEIPT_ID_LEN);
	key[KEY_STATE_OFF] = (uint8_t)state;
	memcpy(key + KEY_VILLAGE_OFF, village, 8);
}

static int
put_one(MDB_txn *txn, struct put_arg *a, const uint8_t *id, int state)
{
	uint8_t key[KEY_LEN], when[VALUE_LEN];
	MDB_val k = { KEY_LEN, key }, v = { VALUE_LEN, when };
	int rc;

	make_key(key, id, state, a->village);
	hub_put_be64(when, (uint64_t)a->now_ms);
	rc = mdb_put(txn, a->r->dbi, &k, &v, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return 0;       /* counted once: the first time stays */
	if (rc == 0)
		a->added++;
	return rc;
}

static int
do_put(void *txn, void *arg)
{
	struct put_arg *a = arg;
	size_t i;
	int rc = 0;

	a->added = 0;           /* hub_store_write may run this twice (map grown) */
	for (i = 0; i < a->n && rc == 0; i++) {
		rc = put_one(txn, a, a->ids[i], HUB_RECEIPT_DELIVERED);
		if (rc == 0 && a->state == HUB_RECEIPT_READ)
			rc = put_one(txn, a, a->ids[i], HUB_RECEIPT_READ);
	}
	return rc;
}

int
hub_receipts_put(struct hub_receipts *r, const char *village, enum hub_receipt_state state,
		 const uint8_t (*ids)[HUB_RECEIPT_ID_LEN], size_t n, int64_t now_ms,
		 size_t *added)
{
	struct put_arg a = { r, village, state, ids, n, 0, now_ms };

	*added = 0;
	if (strlen(village) != 8 || (state != HUB_RECEIPT_DELIVERED && state != HUB_RECEIPT_READ)) {
		snprintf(r->err, sizeof(r->err), "not a village or not a receipt state");
		return HUB_STORE_ERROR;
	}
	if (n == 0)
		return 0;
	if (hub_store_write(r->store, "cannot record receipts", do_put, &a) != 0) {
		snprintf(r->err, sizeof(r->err), "%s", hub_store_error(r->store));
		return HUB_STORE_ERROR;
	}
	*added = a.added;
	return 0;
}

/* ---- dropping and counting ---- */

int
hub_receipts_drop_txn(struct hub_receipts *r, void *txn, const uint8_t id[HUB_RECEIPT_ID_LEN])
{
	uint8_t key[KEY_LEN] = { 0 };
	MDB_val k = { KEY_LEN, key }, v;
	MDB_cursor *cur;
	int rc;

	memcpy(key + KEY_ID_OFF, id, HUB_RECEIPT_ID_LEN);      /* below its first state */
	rc = mdb_cursor_open(txn, r->dbi, &cur);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == KEY_LEN && memcmp(k.mv_data, id, HUB_RECEIPT_ID_LEN) == 0) {
		rc = mdb_cursor_del(cur, 0);
		if (rc == 0)    /* the cursor now stands on the next key, if any */
			rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
		if (rc == EINVAL || rc == MDB_NOTFOUND) {       /* past a page's end: look again */
			k.mv_size = KEY_LEN;
			k.mv_data = key;
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		}
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
hub_receipts_count(struct hub_receipts *r, size_t *n)
{
	MDB_stat st;
	void *txn;
	int rc;

	*n = 0;
	if (hub_store_read_begin(r->store, &txn) != 0)
		return fail(r, "cannot read receipts", EIO);
	rc = mdb_stat(txn, r->dbi, &st);
	hub_store_read_end(r->store);
	if (rc != 0)
		return fail(r, "cannot read receipts", rc);
	*n = st.ms_entries;
	return 0;
}

/* ---- the targeted villages ---- */

static int
code_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(code_t));
}

static int
collect_volunteer(void *ctx, const struct hub_user *u)
{
	struct hub_receipts *r = ctx;
	code_t *grown;

	if (u->role != HUB_ROLE_VOLUNTEER || hub_area_level(u->area, strlen(u->area))
	    != HUB_LEVEL_VILLAGE)
		return 0;
	if (r->n == r->cap) {
		grown = realloc(r->villages, (r->cap ? r->cap * 2 : 1024) * sizeof(code_t));
		if (grown == NULL)
			return ENOMEM;
		r->villages = grown;
		r->cap = r->cap ? r->cap * 2 : 1024;
	}
	memcpy(r->villages[r->n++], u->area, sizeof(code_t));
	return 0;
}

/* Sorted, unique, and only places the registry holds. */
static void
keep_registered(struct hub_receipts *r)
{
	char code[9];
	size_t i, j = 0;

	qsort(r->villages, r->n, sizeof(code_t), code_cmp);
	for (i = 0; i < r->n; i++) {
		if (j > 0 && memcmp(r->villages[j - 1], r->villages[i], sizeof(code_t)) == 0)
			continue;
		memcpy(code, r->villages[i], 8);
		code[8] = '\0';
		if (hub_store_place_exists(r->store, code))
			memcpy(r->villages[j++], r->villages[i], sizeof(code_t));
	}
	r->n = j;
}

static int
refresh(struct hub_receipts *r)
{
	uint64_t gen = hub_store_users_generation(r->store);

	if (r->built && gen == r->users_gen)
		return 0;
	r->n = 0;
	if (hub_store_user_each(r->store, collect_volunteer, r) != 0) {
		r->built = false;
		snprintf(r->err, sizeof(r->err), "cannot read the users: %s",
			 hub_store_error(r->store));
		return HUB_STORE_ERROR;
	}
	keep_registered(r);
	r->users_gen = gen;
	r->built = true;
	return 0;
}

/* The targeted villages within area: [*from, *to) of r->villages. */
static void
area_range(const struct hub_receipts *r, const char *area, size_t *from, size_t *to)
{
	size_t lo = 0, hi = r->n, len = strlen(area);

	if (strcmp(area, "TH") == 0 || len > 8) {
		*from = 0;
		*to = strcmp(area, "TH") == 0 ? r->n : 0;
		return;
	}
	while (lo < hi) {       /* the first code >= area */
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(r->villages[mid], area, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*from = lo;
	while (lo < r->n && memcmp(r->villages[lo], area, len) == 0)
		lo++;
	*to = lo;
}

int
hub_receipts_targeted(struct hub_receipts *r, const char *area, size_t *n)
{
	size_t from, to;

	*n = 0;
	if (refresh(r) != 0)
		return HUB_STORE_ERROR;
	area_range(r, area, &from, &to);
	*n = to - from;
	return 0;
}

/* ---- reach: the targeted villages beside the receipt ranges ---- */

/* The receipts of one announcement and state, read in village order. */
struct stream {
	MDB_cursor *cur;
	uint8_t prefix[KEY_STATE_OFF + 1];
	const uint8_t *village;         /* at the cursor; NULL when past the range */
};

static void
stream_read(struct stream *s, int rc, const MDB_val *k)
{
	s->village = NULL;
	if (rc == 0 && k->mv_size == KEY_LEN && memcmp(k->mv_data, s->prefix, sizeof(s->prefix)) == 0)
		s->village = (const uint8_t *)k->mv_data + KEY_VILLAGE_OFF;
}

static int
stream_open(struct stream *s, MDB_txn *txn, MDB_dbi dbi, const uint8_t *id, int state,
	    const code_t start)
{
	uint8_t key[KEY_LEN];
	MDB_val k = { KEY_LEN, key }, v;
	int rc;

	memcpy(s->prefix, id, HUB_RECEIPT_ID_LEN);
	s->prefix[KEY_STATE_OFF] = (uint8_t)state;
	make_key(key, id, state, start);
	rc = mdb_cursor_open(txn, dbi, &s->cur);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_get(s->cur, &k, &v, MDB_SET_RANGE);
	stream_read(s, rc, &k);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* true when the stream holds village t (moving past every code before it). */
static bool
stream_has(struct stream *s, const code_t t)
{
	MDB_val k, v;
	int c;

	while (s->village != NULL && (c = memcmp(s->village, t, sizeof(code_t))) < 0)
		stream_read(s, mdb_cursor_get(s->cur, &k, &v, MDB_NEXT), &k);
	return s->village != NULL && memcmp(s->village, t, sizeof(code_t)) == 0;
}

static struct hub_reach_province *
province_of(struct hub_reach_result *out, const code_t t)
{
	struct hub_reach_province *p = out->nprov ? &out->prov[out->nprov - 1] : NULL;

	if (p != NULL && memcmp(p->code, t, 2) == 0)
		return p;
	if (out->nprov == HUB_PROVINCES_MAX)
		return p;       /* cannot happen with two-digit codes in order */
	p = &out->prov[out->nprov++];
	memset(p, 0, sizeof(*p));
	memcpy(p->code, t, 2);
	return p;
}

struct walk {
	struct stream d, r;
	const char *after;
	size_t limit;
	char (*not_reached)[9];
};

static void
walk_one(struct walk *w, const code_t t, struct hub_reach_result *out)
{
	struct hub_reach_province *p = province_of(out, t);
	bool delivered = stream_has(&w->d, t), read = stream_has(&w->r, t);

	out->targeted++;
	p->targeted++;
	out->delivered += delivered;
	p->delivered += delivered;
	out->read += read;
	p->read += read;
	if (delivered || (w->after[0] != '\0' && memcmp(t, w->after, sizeof(code_t)) <= 0))
		return;
	if (out->n_not_reached == w->limit) {
		out->more = true;
		return;
	}
	memcpy(w->not_reached[out->n_not_reached], t, sizeof(code_t));
	w->not_reached[out->n_not_reached++][8] = '\0';
}

int
hub_receipts_reach(struct hub_receipts *r, const uint8_t id[HUB_RECEIPT_ID_LEN],
		   const char *area, const char *after, size_t limit, char (*not_reached)[9],
		   struct hub_reach_result *out)
{
	struct walk w = { { NULL, { 0 }, NULL }, { NULL, { 0 }, NULL }, after, limit, not_reached };
	size_t from, to, i;
	void *txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if (refresh(r) != 0)
		return HUB_STORE_ERROR;
	area_range(r, area, &from, &to);
	if (from == to)
		return 0;
	if (hub_store_read_begin(r->store, &txn) != 0)
		return fail(r, "cannot read receipts", EIO);
	rc = stream_open(&w.d, txn, r->dbi, id, HUB_RECEIPT_DELIVERED, r->villages[from]);
	if (rc == 0)
		rc = stream_open(&w.r, txn, r->dbi, id, HUB_RECEIPT_READ, r->villages[from]);
	for (i = from; rc == 0 && i < to; i++)
		walk_one(&w, r->villages[i], out);
	if (w.d.cur != NULL)
		mdb_cursor_close(w.d.cur);
	if (w.r.cur != NULL)
		mdb_cursor_close(w.r.cur);
	hub_store_read_end(r->store);
	return rc == 0 ? 0 : fail(r, "cannot read receipts", rc);
}
