/* case_walk.c - the walks over the case index (cases.h hub_cases_walk): the
 * cases of an area, states and kinds, or of an assignee, newest or oldest
 * first, from a cursor, merged from one LMDB cursor per index key by a heap
 * (a national walk reads every province's keys). */
#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "cases_int.h"

struct head {
	MDB_cursor *cur;
	uint8_t v[HUB_CASE_CURSOR_LEN];
	bool live, assigned;
};

/* The heads of a walk: one per index key read (a national walk reads every
 * province's keys, up to 100 per state and kind), merged by a heap. */
struct heads {
	struct head *h;
	size_t n, cap;
	size_t *heap, nheap;    /* indices of the live heads, the next case on top */
	bool ascending;
};

/* The values bounding a walk: it reads values v with lo <= v < hi. */
struct bounds {
	uint8_t lo[HUB_CASE_CURSOR_LEN], hi[HUB_CASE_CURSOR_LEN];
	bool has_hi;
};

static void
head_take(struct head *hd, int rc, const MDB_val *v)
{
	hd->live = rc == 0 && v->mv_size == HUB_CASE_CURSOR_LEN;
	if (hd->live)
		memcpy(hd->v, v->mv_data, HUB_CASE_CURSOR_LEN);
}

/* Puts hd on its first value in [lo, hi) in walk order. */
static int
head_place(struct head *hd, MDB_val *key, const struct bounds *b, bool ascending)
{
	MDB_val v = { HUB_CASE_CURSOR_LEN, (void *)(ascending ? b->lo : b->hi) };
	int rc;

	if (ascending || b->has_hi) {
		rc = mdb_cursor_get(hd->cur, key, &v, MDB_GET_BOTH_RANGE);
		if (!ascending) {       /* the last value below hi */
			if (rc == 0)
				rc = mdb_cursor_get(hd->cur, key, &v, MDB_PREV_DUP);
			else if (rc == MDB_NOTFOUND
				 && (rc = mdb_cursor_get(hd->cur, key, &v, MDB_SET_KEY)) == 0)
				rc = mdb_cursor_get(hd->cur, key, &v, MDB_LAST_DUP);
		}
	} else {
		rc = mdb_cursor_get(hd->cur, key, &v, MDB_SET_KEY);
		if (rc == 0)
			rc = mdb_cursor_get(hd->cur, key, &v, MDB_LAST_DUP);
	}
	head_take(hd, rc, &v);
	if (hd->live && (ascending ? (b->has_hi && memcmp(hd->v, b->hi, sizeof(hd->v)) >= 0)
			 : memcmp(hd->v, b->lo, sizeof(hd->v)) < 0))
		hd->live = false;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static void
head_next(struct head *hd, const struct bounds *b, bool ascending)
{
	MDB_val k, v;
	int rc = mdb_cursor_get(hd->cur, &k, &v, ascending ? MDB_NEXT_DUP : MDB_PREV_DUP);

	head_take(hd, rc, &v);
	if (hd->live && (ascending ? (b->has_hi && memcmp(hd->v, b->hi, sizeof(hd->v)) >= 0)
			 : memcmp(hd->v, b->lo, sizeof(hd->v)) < 0))
		hd->live = false;
}

static void
set_bounds(const struct hub_case_walk *w, struct bounds *b)
{
	uint8_t c1[HUB_CASE_CURSOR_LEN];
	size_t i;

	memset(b, 0, sizeof(*b));
	if (w->since_ms > 0)
		hub_put_be64(b->lo, (uint64_t)w->since_ms << 16);
	if (w->until_ms > 0 && w->until_ms <= HUB_HID_MAX_MS) {
		hub_put_be64(b->hi, (uint64_t)w->until_ms << 16);
		b->has_hi = true;
	}
	if (!w->has_cursor)
		return;
	if (!w->oldest_first && (!b->has_hi || memcmp(w->cursor, b->hi, sizeof(b->hi)) < 0)) {
		memcpy(b->hi, w->cursor, sizeof(b->hi));        /* strictly below it */
		b->has_hi = true;
	} else if (w->oldest_first) {
		memcpy(c1, w->cursor, sizeof(c1));      /* strictly above: the cursor + 1 */
		for (i = sizeof(c1); i-- > 0 && ++c1[i] == 0;)
			;
		if (memcmp(c1, b->lo, sizeof(c1)) > 0)
			memcpy(b->lo, c1, sizeof(c1));
	}
}

/* A new head, its cursor open; NULL (*rc set) on failure. */
static struct head *
head_new(struct heads *hs, MDB_txn *txn, MDB_dbi dbi, int *rc)
{
	struct head *nh;
	size_t cap;

	if (hs->n == hs->cap) {
		cap = hs->cap != 0 ? 2 * hs->cap : 32;
		if ((nh = realloc(hs->h, cap * sizeof(*nh))) == NULL) {
			*rc = ENOMEM;
			return NULL;
		}
		hs->h = nh;
		hs->cap = cap;
	}
	nh = &hs->h[hs->n];
	memset(nh, 0, sizeof(*nh));
	*rc = mdb_cursor_open(txn, dbi, &nh->cur);
	if (*rc != 0)
		return NULL;
	hs->n++;
	return nh;
}

/* Opens a head on key kb[0..kn) of the index, placed by b. */
static int
head_open(struct hub_cases *c, MDB_txn *txn, struct heads *hs, const char *kb, size_t kn,
	  const struct bounds *b, bool assigned)
{
	MDB_val key = { kn, (void *)kb };
	struct head *hd;
	int rc;

	if ((hd = head_new(hs, txn, c->idx, &rc)) == NULL)
		return rc;
	hd->assigned = assigned;
	return head_place(hd, &key, b, hs->ascending);
}

/* A head on every province's key of state s and kind k (the nation). */
static int
heads_nation(struct hub_cases *c, MDB_txn *txn, struct heads *hs, int s, int k,
	     const struct bounds *b)
{
	char kb[KEY_MAX], pk[6];
	MDB_cursor *cur = NULL;
	MDB_val key, v;
	int rc;

	cases_state_key(kb, s, k, "", 0);
	rc = mdb_cursor_open(txn, c->idx, &cur);
	key.mv_size = 3;
	key.mv_data = kb;
	if (rc == 0)
		rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0 && key.mv_size >= 5 && memcmp(key.mv_data, kb, 3) == 0) {
		memcpy(pk, key.mv_data, 5);
		rc = head_open(c, txn, hs, pk, 5, b, false);
		pk[5] = '9' + 1;        /* past the province's districts and villages */
		key.mv_size = 6;
		key.mv_data = pk;
		if (rc == 0)
			rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
heads_open(struct hub_cases *c, MDB_txn *txn, const struct hub_case_walk *w,
	   const struct bounds *b, struct heads *hs)
{
	char kb[KEY_MAX];
	size_t n = strlen(w->area);
	int s, k, rc = 0;

	if (n > IDX_AREA_MAX)
		n = IDX_AREA_MAX;
	for (s = 0; s < HUB_CASE_STATES && rc == 0; s++) {
		for (k = 0; k < HUB_REPORT_KIND_COUNT && rc == 0; k++) {
			if (!(w->states & (1u << s)) || !(w->index_kinds & (1u << k)))
				continue;
			if (w->area[0] == '\0')
				rc = heads_nation(c, txn, hs, s, k, b);
			else    /* a village reads its district's key (wanted filters) */
				rc = head_open(c, txn, hs, kb,
					       cases_state_key(kb, s, k, w->area, n), b, false);
		}
	}
	if (rc != 0 || w->assignee == NULL || w->assignee[0] == '\0')
		return rc;
	return head_open(c, txn, hs, kb, cases_assignee_key(kb, w->assignee), b, true);
}

/* Whether head x comes before head y in the walk. */
static bool
before(const struct heads *hs, size_t x, size_t y)
{
	int d = memcmp(hs->h[x].v, hs->h[y].v, HUB_CASE_CURSOR_LEN);

	return hs->ascending ? d < 0 : d > 0;
}

static void
sift_down(struct heads *hs, size_t i)
{
	size_t l, best, t;

	for (;;) {
		l = 2 * i + 1;
		best = i;
		if (l < hs->nheap && before(hs, hs->heap[l], hs->heap[best]))
			best = l;
		if (l + 1 < hs->nheap && before(hs, hs->heap[l + 1], hs->heap[best]))
			best = l + 1;
		if (best == i)
			return;
		t = hs->heap[i];
		hs->heap[i] = hs->heap[best];
		hs->heap[best] = t;
		i = best;
	}
}

static int
heap_build(struct heads *hs)
{
	size_t i;

	if ((hs->heap = malloc((hs->n ? hs->n : 1) * sizeof(*hs->heap))) == NULL)
		return ENOMEM;
	for (i = 0, hs->nheap = 0; i < hs->n; i++) {
		if (hs->h[i].live)
			hs->heap[hs->nheap++] = i;
	}
	for (i = hs->nheap / 2; i-- > 0;)
		sift_down(hs, i);
	return 0;
}

/* Whether case k (from an assigned head when assigned) belongs in walk w.
 * The area is checked for every head: a village walk reads its district's. */
static bool
wanted(const struct hub_case_walk *w, const struct hub_case *k, bool assigned, bool ack_late,
       bool resolve_late)
{
	if (strncmp(k->village, w->area, strlen(w->area)) != 0)
		return false;
	if (assigned && (!(w->kinds & (1u << k->kind)) || !(w->states & (1u << k->state))
			 || strcmp(k->assignee, w->assignee) != 0))
		return false;
	return !w->overdue_only || ack_late || resolve_late;
}

static int
walk_loop(struct hub_cases *c, MDB_txn *txn, const struct hub_case_walk *w, struct heads *hs,
	  const struct bounds *b,
	  int (*fn)(void *, void *, const struct hub_case *, bool, bool), void *ctx,
	  uint8_t last[HUB_CASE_CURSOR_LEN])
{
	struct hub_case k;
	struct head *hd;
	uint8_t v[HUB_CASE_CURSOR_LEN];
	size_t budget = w->budget;
	bool assigned, al, rl;
	int rc;

	for (;;) {
		if (hs->nheap == 0)
			return 0;
		if (budget-- == 0)
			return 2;
		memcpy(v, hs->h[hs->heap[0]].v, sizeof(v));
		assigned = true;
		/* every head on this case moves on */
		while (hs->nheap > 0
		       && memcmp((hd = &hs->h[hs->heap[0]])->v, v, sizeof(v)) == 0) {
			assigned = assigned && hd->assigned;
			head_next(hd, b, w->oldest_first);
			if (!hd->live)
				hs->heap[0] = hs->heap[--hs->nheap];
			sift_down(hs, 0);
		}
		memcpy(last, v, HUB_CASE_CURSOR_LEN);
		rc = cases_case_at(c, txn, v, &k);
		if (rc == MDB_NOTFOUND)
			continue;       /* cannot be: the index and history commit together */
		if (rc != 0)
			return cases_fail(c, "cannot read a case", rc);
		hub_case_overdue(&k, w->targets, w->now_ms, &al, &rl);
		if (wanted(w, &k, assigned, al, rl) && fn(ctx, txn, &k, al, rl) != 0)
			return 1;
	}
}

int
hub_cases_walk(struct hub_cases *c, const struct hub_case_walk *w,
	       int (*fn)(void *ctx, void *txn, const struct hub_case *k, bool ack_late,
			 bool resolve_late),
	       void *ctx, uint8_t last[HUB_CASE_CURSOR_LEN])
{
	struct heads hs;
	struct bounds b;
	size_t i;
	void *txn;
	int rc;

	memset(&hs, 0, sizeof(hs));
	hs.ascending = w->oldest_first;
	memset(last, 0, HUB_CASE_CURSOR_LEN);
	if (w->has_cursor)
		memcpy(last, w->cursor, HUB_CASE_CURSOR_LEN);
	set_bounds(w, &b);
	if (hub_store_read_begin(c->store, &txn) != 0)
		return cases_fail(c, "cannot read cases", EIO);
	rc = heads_open(c, txn, w, &b, &hs);
	if (rc == 0)
		rc = heap_build(&hs);
	if (rc != 0)
		rc = cases_fail(c, "cannot read the case index", rc);
	else
		rc = walk_loop(c, txn, w, &hs, &b, fn, ctx, last);
	for (i = 0; i < hs.n; i++)
		mdb_cursor_close(hs.h[i].cur);
	free(hs.h);
	free(hs.heap);
	hub_store_read_end(c->store);
	return rc;
}
