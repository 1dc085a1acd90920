/* history_scan.c - reading the history (history.h): scans of a filter's
 * index keys merged in hid order (a head per key), walks of every message
 * after a hid, and one message by hid. */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history_int.h"
#include "topic.h"

struct head {
	MDB_cursor *cur;
	uint64_t hid;
	bool live;
};

static void
head_read(struct head *hd, int rc, const MDB_val *v)
{
	hd->live = rc == 0 && v->mv_size == HID_LEN;
	if (hd->live)
		hd->hid = hub_get_be64(v->mv_data);
}

static int
heads_open(struct hub_history *h, MDB_txn *txn, const struct hub_hist_scan *q, uint64_t start,
	   struct head *heads)
{
	char kbuf[INDEX_KEY_MAX + 1];
	uint8_t sb[HID_LEN];
	MDB_val k, v;
	size_t i;
	int rc;

	hub_put_be64(sb, start);
	for (i = 0; i < q->nkeys; i++) {
		rc = mdb_cursor_open(txn, h->idx, &heads[i].cur);
		if (rc != 0)
			return rc;
		k = hist_key_val(&q->keys[i], kbuf);
		v.mv_size = HID_LEN;
		v.mv_data = sb;
		rc = mdb_cursor_get(heads[i].cur, &k, &v, MDB_GET_BOTH_RANGE);
		head_read(&heads[i], rc, &v);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
	}
	return 0;
}

static struct head *
heads_min(struct head *heads, size_t n)
{
	struct head *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (heads[i].live && (best == NULL || heads[i].hid < best->hid))
			best = &heads[i];
	}
	return best;
}

/* Moves every head standing on hid to its next entry. */
static void
heads_advance(struct head *heads, size_t n, uint64_t hid)
{
	MDB_val k, v;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (!heads[i].live || heads[i].hid != hid)
			continue;
		rc = mdb_cursor_get(heads[i].cur, &k, &v, MDB_NEXT_DUP);
		head_read(&heads[i], rc, &v);
	}
}

static int
scan_loop(struct hub_history *h, MDB_txn *txn, const struct hub_hist_scan *q, struct head *heads,
	  size_t budget, int (*fn)(void *, const struct hub_hist_item *), void *ctx,
	  uint64_t *last_hid)
{
	uint64_t end = q->until_ms > 0 && q->until_ms <= HUB_HID_MAX_MS ? (uint64_t)q->until_ms << 16
									 : UINT64_MAX;
	struct hub_hist_item it;
	struct head *hd;
	uint64_t hid;
	char topic[MSG_TOPIC_MAX + 1];
	int rc;

	for (;;) {
		hd = heads_min(heads, q->nkeys);
		if (hd == NULL || hd->hid >= end)
			return 0;
		if (budget-- == 0)
			return 2;
		hid = hd->hid;
		heads_advance(heads, q->nkeys, hid);
		rc = hist_get_msg(h, txn, hid, &it, topic, sizeof(topic));
		if (rc != 0)
			return hist_fail(h, "history index points to a missing message", rc);
		*last_hid = hid;
		if (hub_topic_matches(q->filter, topic) && fn(ctx, &it) != 0)
			return 1;
	}
}

int
hub_history_scan(struct hub_history *h, const struct hub_hist_scan *q, size_t budget,
		 int (*fn)(void *ctx, const struct hub_hist_item *it), void *ctx,
		 uint64_t *last_hid)
{
	struct head heads[HUB_HIST_MAX_KEYS];
	uint64_t start = q->after_hid + 1;
	void *txn;
	size_t i;
	int rc;

	*last_hid = q->after_hid;
	/* a hid holds 48 bits of ms: nothing is after the last hid or that far on */
	if (q->after_hid == UINT64_MAX || q->since_ms > HUB_HID_MAX_MS)
		return 0;
	if (q->since_ms > 0 && ((uint64_t)q->since_ms << 16) > start)
		start = (uint64_t)q->since_ms << 16;
	memset(heads, 0, sizeof(heads));
	if (hub_store_read_begin(h->store, &txn) != 0)
		return hist_fail(h, "cannot read history", EIO);
	rc = heads_open(h, txn, q, start, heads);
	if (rc != 0)
		rc = hist_fail(h, "cannot read the history index", rc);
	else
		rc = scan_loop(h, txn, q, heads, budget, fn, ctx, last_hid);
	for (i = 0; i < q->nkeys; i++) {
		if (heads[i].cur != NULL)
			mdb_cursor_close(heads[i].cur);
	}
	hub_store_read_end(h->store);
	return rc;
}

static int
each_in(struct hub_history *h, MDB_txn *txn, uint64_t after_hid,
	int (*fn)(void *ctx, const struct hub_hist_item *it), void *ctx)
{
	struct hub_hist_item it;
	MDB_cursor *cur = NULL;
	uint8_t sb[HID_LEN];
	MDB_val k = { HID_LEN, sb }, v;
	char topic[MSG_TOPIC_MAX + 1];
	int rc;

	hub_put_be64(sb, after_hid + 1);
	rc = mdb_cursor_open(txn, h->msgs, &cur);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0) {
		if (k.mv_size != HID_LEN)
			rc = MDB_CORRUPTED;
		else
			rc = hist_msg_unpack(&v, hub_get_be64(k.mv_data), &it, topic, sizeof(topic));
		if (rc != 0)
			break;
		if (fn(ctx, &it) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : hist_fail(h, "cannot read history", rc);
}

int
hub_history_each(struct hub_history *h, uint64_t after_hid,
		 int (*fn)(void *ctx, const struct hub_hist_item *it), void *ctx)
{
	void *txn;
	int rc;

	if (hub_store_read_begin(h->store, &txn) != 0)
		return hist_fail(h, "cannot read history", EIO);
	rc = each_in(h, txn, after_hid, fn, ctx);
	hub_store_read_end(h->store);
	return rc;
}

int
hub_history_each_in(struct hub_history *h, void *txn, uint64_t after_hid,
		    int (*fn)(void *ctx, const struct hub_hist_item *it), void *ctx)
{
	return each_in(h, txn, after_hid, fn, ctx);
}

int
hub_history_add_hook(struct hub_history *h, const struct hub_hist_hook *hook)
{
	size_t i;

	for (i = 0; i < HUB_HIST_HOOKS_MAX; i++) {
		if (h->hooks[i].ctx == NULL) {
			h->hooks[i] = *hook;
			return 0;
		}
	}
	snprintf(h->err, sizeof(h->err), "more than %d history hooks", HUB_HIST_HOOKS_MAX);
	return HUB_STORE_ERROR;
}

void
hub_history_remove_hook(struct hub_history *h, const void *ctx)
{
	size_t i;

	for (i = 0; i < HUB_HIST_HOOKS_MAX; i++) {
		if (h->hooks[i].ctx == ctx)
			memset(&h->hooks[i], 0, sizeof(h->hooks[i]));
	}
}

void *
hub_history_batch_txn(struct hub_history *h)
{
	return h->txn;
}

int
hub_history_get(struct hub_history *h, void *txn, uint64_t hid, struct hub_hist_item *it,
		char *topic, size_t topiclen)
{
	int rc = hist_get_msg(h, txn, hid, it, topic, topiclen);

	if (rc == MDB_NOTFOUND)
		return HUB_STORE_NOTFOUND;
	return rc == 0 ? 0 : hist_fail(h, "cannot read history", rc);
}
