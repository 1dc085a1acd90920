/* history_expire.c - retention (history.h hub_history_expire): the oldest
 * messages dropped, each with its index entries, its id, an announcement's
 * withdrawn record, and what the hooks keep of it, in one write transaction;
 * the in-memory withdrawn set follows only once that committed. */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history_int.h"

struct expire_arg {
	struct hub_history *h;
	uint64_t before;
	size_t max, removed;
	hub_hist_id_fn id_of;
	uint8_t (*gone)[ENVELOPE_ID_LEN];       /* withdrawn records dropped: forget */
	size_t ngone, gone_cap;                 /* them in h->gone once committed */
};

/* Drops the withdrawn record of announcement id, if any, and notes the id. */
static int
drop_withdrawn(struct expire_arg *a, MDB_txn *txn, const uint8_t id[ENVELOPE_ID_LEN])
{
	MDB_val k = { ENVELOPE_ID_LEN, (void *)id };
	uint8_t (*grown)[ENVELOPE_ID_LEN];
	size_t cap;
	int rc = mdb_del(txn, a->h->withdrawn, &k, NULL);

	if (rc != 0)
		return rc == MDB_NOTFOUND ? 0 : rc;
	if (a->ngone == a->gone_cap) {
		cap = a->gone_cap ? a->gone_cap * 2 : 16;
		grown = realloc(a->gone, cap * ENVELOPE_ID_LEN);
		if (grown == NULL)
			return ENOMEM;
		a->gone = grown;
		a->gone_cap = cap;
	}
	memcpy(a->gone[a->ngone++], id, ENVELOPE_ID_LEN);
	return 0;
}

/* Deletes the message under the cursor, its index entries, what each hook's
 * drop keeps of it, its id and, for an announcement, its withdrawn record. */
static int
drop_one(struct expire_arg *a, MDB_txn *txn, MDB_cursor *cur, const MDB_val *k, const MDB_val *v)
{
	struct hub_history *h = a->h;
	struct hub_hist_key keys[4];
	char kbuf[INDEX_KEY_MAX + 1], topic[MSG_TOPIC_MAX + 1];
	struct hub_hist_item it;
	uint8_t id[ENVELOPE_ID_LEN];
	MDB_val ik, hv = { HID_LEN, k->mv_data }, idk = { ENVELOPE_ID_LEN, id };
	int n, i, rc;

	if (hist_msg_unpack(v, 0, &it, topic, sizeof(topic)) != 0)
		return MDB_CORRUPTED;
	n = hub_history_keys(topic, keys);
	for (i = 0; i < n; i++) {
		ik = hist_key_val(&keys[i], kbuf);
		rc = mdb_del(txn, h->idx, &ik, &hv);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
	}
	it.hid = hub_get_be64(k->mv_data);
	for (i = 0; i < HUB_HIST_HOOKS_MAX; i++) {
		if (h->hooks[i].drop != NULL && (rc = h->hooks[i].drop(h->hooks[i].ctx, txn, &it)) != 0)
			return rc;
	}
	if (a->id_of(it.payload, it.len, id) == 0) {
		rc = mdb_del(txn, h->ids, &idk, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
		if (n > 0 && keys[0].kind == hub_kind_info(HUB_KIND_ANN)->index
		    && (rc = drop_withdrawn(a, txn, id)) != 0)
			return rc;
	}
	return mdb_cursor_del(cur, 0);
}

static int
do_expire(void *txn, void *arg)
{
	struct expire_arg *a = arg;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	a->removed = a->ngone = 0;      /* hub_store_write may run this twice (map grown) */
	rc = mdb_cursor_open(txn, a->h->msgs, &cur);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0 && a->removed < a->max && k.mv_size == HID_LEN
	       && hub_get_be64(k.mv_data) < a->before) {
		rc = drop_one(a, txn, cur, &k, &v);
		if (rc == 0) {
			a->removed++;
			rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
			if (rc == EINVAL || rc == MDB_NOTFOUND)
				rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
		}
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
hub_history_expire(struct hub_history *h, int64_t before_ms, size_t max, hub_hist_id_fn id_of,
		   size_t *removed)
{
	struct expire_arg a = { h, before_ms > 0 ? (uint64_t)before_ms << 16 : 0, max, 0, id_of,
				NULL, 0, 0 };
	size_t i;
	int rc;

	*removed = 0;
	if (hub_history_commit(h) != 0)
		return HUB_STORE_ERROR;
	rc = hub_store_write(h->store, "cannot expire history", do_expire, &a);
	if (rc != 0) {
		/* nothing was dropped: h->gone still matches the table */
		snprintf(h->err, sizeof(h->err), "%s", hub_store_error(h->store));
		free(a.gone);
		return HUB_STORE_ERROR;
	}
	for (i = 0; i < a.ngone; i++)
		hub_idset_del(&h->gone, a.gone[i]);
	free(a.gone);
	*removed = a.removed;
	if (a.removed > 0)
		h->dirty = true;
	return 0;
}
