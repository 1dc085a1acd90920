/* history.c - the community data set: every accepted message in LMDB.
 *
 * Tables (named databases in the store's environment):
 *   msgs  hid (8 bytes, big-endian) -> u16 topic length, topic, stamped Envelope
 *   ids   envelope id (16 bytes)     -> hid                    (deduplication)
 *   idx   kind letter + key          -> hid, hid, ...          (DUPSORT|DUPFIXED)
 *   withdrawn  announcement id (16)  -> hid of the Update or Cancel that withdrew it
 * Retention drops a message with its index entries and its id; an
 * announcement also with its withdrawn record (dropping the Update or Cancel
 * leaves that: the key is the announcement's). Hooks (cases.c's cases,
 * reach.c's receipts) drop what they keep of it in the same transaction.
 * A hid is received_at_ms << 16 | n, so hid order is arrival order and a time
 * bound is a hid bound. Every message is indexed under its kind ("" key) and
 * its place: ann under its area, dm under its inbox, rep/status/show under each
 * of P, D and V; a filter with a literal prefix reads only its own index.
 * Topics are read with topic.c; payloads are opaque bytes.
 *
 * Stamps only grow, also across restarts and a wall clock that steps back:
 * a feed's cursor (libnpclient) takes everything stamped before it as
 * handed. A new hid is past the last one; at open the last one is the
 * greater of the last stored and the meta record "stamp_lease" (u64
 * little-endian ms), which is always ahead of every stamp given out: a put
 * past it moves it STAMP_LEASE_MS on and the batch is committed at once, so
 * even a QoS 0 message lost with its batch (kill -9) was stamped under a
 * lease that is on disk.
 *
 * Reading (scans over the index, walks in hid order, one message by hid) is
 * in history_scan.c, retention in history_expire.c; history_int.h is what the
 * three share. */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history_int.h"
#include "topic.h"

#define STAMP_LEASE_MS 100
#define STAMP_LEASE_KEY "stamp_lease"


/* ---- the msgs record ----
 *
 * Key: the hid, HID_LEN bytes big-endian (also the value of ids and idx).
 *   OFFSET  SIZE  DESCRIPTION
 *        0     2  topic length T, big-endian (at most MSG_TOPIC_MAX)
 *        2     T  topic, without NUL
 *      2+T     *  the stamped Envelope, packed, as plugin.c passed it
 * Written by msg_pack only, read by msg_unpack only. The other tables:
 *   ids  key the Envelope's id (ENVELOPE_ID_LEN bytes), value its hid
 *   idx  key a kind letter and a place or inbox (key_val), values hids */
enum {
	MSG_TOPIC_LEN_OFF = 0,
	MSG_TOPIC_OFF = MSG_TOPIC_LEN_OFF + 2,
	MSG_HEAD_LEN = MSG_TOPIC_OFF,   /* then topic and payload */
};

_Static_assert(MSG_HEAD_LEN == 2, "a stored message starts with its 2-byte topic length");
_Static_assert(HID_LEN == sizeof(uint64_t), "a hid key is one big-endian uint64_t");

/* The record of topic (tlen bytes) and payload into rec, of
 * MSG_HEAD_LEN + tlen + len bytes (tlen <= MSG_TOPIC_MAX). */
static void
msg_pack(uint8_t *rec, const char *topic, size_t tlen, const void *payload, size_t len)
{
	rec[MSG_TOPIC_LEN_OFF] = (uint8_t)(tlen >> 8);
	rec[MSG_TOPIC_LEN_OFF + 1] = (uint8_t)tlen;
	memcpy(rec + MSG_TOPIC_OFF, topic, tlen);
	memcpy(rec + MSG_TOPIC_OFF + tlen, payload, len);
}

/* The record v of hid into *it: its topic copied, NUL-terminated, into topic
 * (topiclen bytes), its payload borrowed from v. 0, or MDB_CORRUPTED. */
int
hist_msg_unpack(const MDB_val *v, uint64_t hid, struct hub_hist_item *it, char *topic,
	   size_t topiclen)
{
	const uint8_t *d = v->mv_data;
	size_t tlen;

	if (v->mv_size < MSG_HEAD_LEN)
		return MDB_CORRUPTED;
	tlen = (size_t)d[MSG_TOPIC_LEN_OFF] << 8 | d[MSG_TOPIC_LEN_OFF + 1];
	if (v->mv_size < MSG_HEAD_LEN + tlen || tlen >= topiclen)
		return MDB_CORRUPTED;
	memcpy(topic, d + MSG_TOPIC_OFF, tlen);
	topic[tlen] = '\0';
	it->hid = hid;
	it->topic = topic;
	it->payload = d + MSG_TOPIC_OFF + tlen;
	it->len = v->mv_size - MSG_HEAD_LEN - tlen;
	return 0;
}

int
hist_fail(struct hub_history *h, const char *what, int rc)
{
	snprintf(h->err, sizeof(h->err), "%s: %s", what, mdb_strerror(rc));
	return HUB_STORE_ERROR;
}

const char *
hub_history_error(const struct hub_history *h)
{
	return h->err;
}

/* ---- topics and index keys ---- */

static void
set_key(struct hub_hist_key *k, char kind, const char *s, size_t n)
{
	k->kind = kind;
	if (n > HUB_USERNAME_MAX)
		n = HUB_USERNAME_MAX;
	memcpy(k->key, s, n);
	k->key[n] = '\0';
}

int
hub_history_keys(const char *topic, struct hub_hist_key keys[4])
{
	struct hub_topic_levels lv;
	const struct hub_kind_info *ki;
	enum hub_kind k;
	int i, n = 0;

	if (hub_topic_split(topic, &lv) != HUB_OK || lv.count < 2 || !hub_level_is(&lv.l[0], "np"))
		return 0;
	k = hub_kind_parse(lv.l[1].s, lv.l[1].n);
	if (k == HUB_KIND_COUNT || hub_kind_info(k)->index == 0)
		return 0;
	ki = hub_kind_info(k);
	set_key(&keys[n++], ki->index, "", 0);
	if (ki->by_place) {
		for (i = 2; i <= 4 && i < lv.count; i++)
			set_key(&keys[n++], ki->index, lv.l[i].s, lv.l[i].n);
	} else if (lv.count > 2) {
		set_key(&keys[n++], ki->index, lv.l[2].s, lv.l[2].n);
	}
	return n;
}

MDB_val
hist_key_val(const struct hub_hist_key *k, char *buf)
{
	MDB_val v;
	size_t n = strlen(k->key);

	buf[0] = k->kind;
	memcpy(buf + 1, k->key, n);
	v.mv_data = buf;
	v.mv_size = n + 1;
	return v;
}

/* The index key of kind k that holds every topic of v: its place or inbox,
 * or "" (the whole kind) when the filter leaves it open. */
static void
view_key(const struct hub_topic_view *v, struct hub_hist_key *key)
{
	const struct hub_kind_info *ki = hub_kind_info(v->kind);

	if (v->kind == HUB_KIND_DM && !v->name.any)
		set_key(key, ki->index, v->name.s, v->name.n);
	else if (v->kind != HUB_KIND_DM && !v->any_area)
		set_key(key, ki->index, v->area, strlen(v->area));
	else
		set_key(key, ki->index, "", 0);
}

enum hub_refusal
hub_history_plan(const char *filter, struct hub_hist_scan *q)
{
	struct hub_topic_levels lv;
	struct hub_topic_view v;
	enum hub_refusal why;
	enum hub_kind k, only = HUB_KIND_COUNT;
	bool all;

	q->filter = filter;
	q->nkeys = 0;
	if (filter == NULL || filter[0] == '\0')
		return HUB_R_FILTER_EMPTY;
	if (hub_topic_split(filter, &lv) != HUB_OK)
		return HUB_R_FILTER_TOO_DEEP;
	why = hub_filter_check(&lv);
	if (why != HUB_OK)
		return why;
	if (!(hub_level_is(&lv.l[0], "np") || lv.l[0].any))
		return HUB_R_FILTER_NOT_NP;
	all = hub_level_is_hash(&lv.l[0]) || (lv.count > 1 && hub_level_is_hash(&lv.l[1]));
	if (!all && lv.count > 1 && !lv.l[1].any) {
		only = hub_kind_parse(lv.l[1].s, lv.l[1].n);
		if (only == HUB_KIND_COUNT || hub_kind_info(only)->index == 0)
			return HUB_R_FILTER_UNKNOWN_KIND;
	}
	for (k = 0; k < HUB_KIND_COUNT && (all || lv.count > 1); k++) {
		if (hub_kind_info(k)->index == 0 || (only != HUB_KIND_COUNT && k != only))
			continue;
		if (all)
			set_key(&q->keys[q->nkeys++], hub_kind_info(k)->index, "", 0);
		else if (hub_topic_view(&lv, k, &v) == HUB_OK)  /* else it matches nothing stored */
			view_key(&v, &q->keys[q->nkeys++]);
	}
	return HUB_OK;
}

/* ---- open, ids, put ---- */

static int
open_tables(void *txn, void *arg)
{
	struct hub_history *h = arg;
	int rc;

	rc = mdb_dbi_open(txn, "msgs", MDB_CREATE, &h->msgs);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "ids", MDB_CREATE, &h->ids);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "idx", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &h->idx);
	if (rc == 0)    /* store.c's table: history.c owns its STAMP_LEASE_KEY record */
		rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &h->meta);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "withdrawn", MDB_CREATE, &h->withdrawn);
	return rc;
}

static uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Moves the lease past the stamp of hid, in the open batch (which is then
 * committed before the message goes out). */
static int
lease_past(struct hub_history *h, uint64_t hid)
{
	uint8_t b[8];
	MDB_val k = { strlen(STAMP_LEASE_KEY), STAMP_LEASE_KEY }, v = { 8, b };
	int64_t lease = HUB_HID_MS(hid) + STAMP_LEASE_MS;
	int i, rc;

	if (HUB_HID_MS(hid) < h->lease_ms)
		return 0;
	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)lease >> (8 * i));
	rc = mdb_put(h->txn, h->meta, &k, &v, 0);
	if (rc != 0)
		return rc;
	h->lease_ms = lease;
	h->lease_due = true;
	return 0;
}

static int
read_last_hid(struct hub_history *h)
{
	MDB_cursor *cur;
	MDB_val k, v;
	void *txn;
	int rc;

	if (hub_store_read_begin(h->store, &txn) != 0)
		return hist_fail(h, "cannot read history", EIO);
	rc = mdb_cursor_open(txn, h->msgs, &cur);
	if (rc == 0) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		if (rc == 0 && k.mv_size == HID_LEN)
			h->last_hid = hub_get_be64(k.mv_data);
		mdb_cursor_close(cur);
	}
	if (rc == 0 || rc == MDB_NOTFOUND) {
		k.mv_size = strlen(STAMP_LEASE_KEY);
		k.mv_data = STAMP_LEASE_KEY;
		rc = mdb_get(txn, h->meta, &k, &v);
		if (rc == 0 && v.mv_size == 8)
			h->lease_ms = (int64_t)get_le64(v.mv_data);
	}
	if (h->lease_ms > 0 && h->lease_ms <= HUB_HID_MAX_MS
	    && ((uint64_t)h->lease_ms << 16) > h->last_hid)
		h->last_hid = (uint64_t)h->lease_ms << 16;      /* may be given out again: lost */
	hub_store_read_end(h->store);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : hist_fail(h, "cannot read history", rc);
}

static int
add_gone(void *ctx, const uint8_t id[16])
{
	return hub_idset_add(ctx, id) != 0 ? -1 : 0;
}

/* The withdrawn table into h->gone (again). */
static int
load_withdrawn(struct hub_history *h)
{
	hub_idset_clear(&h->gone);
	h->gone_batched = false;
	if (hub_history_each_withdrawn(h, add_gone, &h->gone) != 0)
		return HUB_STORE_ERROR;
	return 0;
}

int
hub_history_open(struct hub_history **out, struct hub_store *s, int sync_ms, char *err,
		 size_t errlen)
{
	struct hub_history *h = calloc(1, sizeof(*h));
	int rc;

	*out = NULL;
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return HUB_STORE_ERROR;
	}
	h->store = s;
	h->env = hub_store_env(s);
	h->sync_ms = sync_ms;
	rc = hub_store_write(s, "cannot open the history tables", open_tables, h);
	if (rc != 0) {
		snprintf(err, errlen, "%s", hub_store_error(s));
		free(h);
		return HUB_STORE_ERROR;
	}
	if (read_last_hid(h) != 0 || load_withdrawn(h) != 0) {
		snprintf(err, errlen, "%s", h->err);
		hub_idset_clear(&h->gone);
		free(h);
		return HUB_STORE_ERROR;
	}
	if (sync_ms > 0)
		mdb_env_set_flags(h->env, MDB_NOSYNC, 1);
	*out = h;
	return 0;
}

void
hub_history_close(struct hub_history *h)
{
	if (h == NULL)
		return;
	hub_history_commit(h);
	if (h->dirty)
		mdb_env_sync(h->env, 1);
	hub_idset_clear(&h->gone);
	free(h);
}

uint64_t
hub_history_next_hid(struct hub_history *h, int64_t now_ms)
{
	uint64_t base = now_ms > 0 ? (uint64_t)now_ms << 16 : 0;

	h->last_hid = base > h->last_hid ? base : h->last_hid + 1;
	return h->last_hid;
}

int
hist_get_msg(struct hub_history *h, MDB_txn *txn, uint64_t hid, struct hub_hist_item *it,
	char *topic, size_t topiclen)
{
	uint8_t kb[HID_LEN];
	MDB_val k = { HID_LEN, kb }, v;
	int rc;

	hub_put_be64(kb, hid);
	rc = mdb_get(txn, h->msgs, &k, &v);
	if (rc != 0)
		return rc;
	return hist_msg_unpack(&v, hid, it, topic, topiclen);
}

int
hub_history_find(struct hub_history *h, const uint8_t id[16], char *topic, size_t topiclen,
		 void **payload, size_t *len)
{
	MDB_val k = { ENVELOPE_ID_LEN, (void *)id }, v;
	struct hub_hist_item it;
	char t[MSG_TOPIC_MAX + 1];
	void *txn;
	int rc;

	if (payload != NULL)
		*payload = NULL;
	if (h->txn != NULL)
		txn = h->txn;   /* sees the batch too */
	else if (hub_store_read_begin(h->store, &txn) != 0)
		return hist_fail(h, "cannot read history", EIO);
	rc = mdb_get(txn, h->ids, &k, &v);
	if (rc == 0 && v.mv_size != HID_LEN)
		rc = MDB_CORRUPTED;
	if (rc == 0)
		rc = hist_get_msg(h, txn, hub_get_be64(v.mv_data), &it, t, sizeof(t));
	if (rc == 0) {
		snprintf(topic, topiclen, "%s", t);
		if (payload != NULL && (*payload = malloc(it.len ? it.len : 1)) == NULL)
			rc = ENOMEM;
		else if (payload != NULL) {
			memcpy(*payload, it.payload, it.len);
			*len = it.len;
		}
	}
	if (txn != h->txn)
		hub_store_read_end(h->store);
	if (rc == MDB_NOTFOUND)
		return HUB_STORE_NOTFOUND;
	return rc == 0 ? 0 : hist_fail(h, "cannot read history", rc);
}

int
hub_history_locate(struct hub_history *h, void *txn, const uint8_t id[16], uint64_t *hid,
		   char *topic, size_t topiclen)
{
	MDB_val k = { ENVELOPE_ID_LEN, (void *)id }, v;
	uint8_t kb[HID_LEN];
	const uint8_t *d;
	size_t tlen;
	int rc = mdb_get(txn, h->ids, &k, &v);

	if (rc == 0 && v.mv_size != HID_LEN)
		rc = MDB_CORRUPTED;
	if (rc == 0) {
		*hid = hub_get_be64(v.mv_data);
		hub_put_be64(kb, *hid);
		k.mv_size = HID_LEN;
		k.mv_data = kb;
		rc = mdb_get(txn, h->msgs, &k, &v);
	}
	d = v.mv_data;
	if (rc == 0 && v.mv_size < MSG_HEAD_LEN)
		rc = MDB_CORRUPTED;
	if (rc == 0) {
		tlen = (size_t)d[MSG_TOPIC_LEN_OFF] << 8 | d[MSG_TOPIC_LEN_OFF + 1];
		if (v.mv_size < MSG_HEAD_LEN + tlen)
			rc = MDB_CORRUPTED;
		else if (topiclen > 0) {        /* cut to topiclen */
			tlen = tlen < topiclen ? tlen : topiclen - 1;
			memcpy(topic, d + MSG_TOPIC_OFF, tlen);
			topic[tlen] = '\0';
		}
	}
	if (rc == MDB_NOTFOUND)
		return HUB_STORE_NOTFOUND;
	return rc == 0 ? 0 : hist_fail(h, "cannot read history", rc);
}

struct put_arg {
	struct hub_history *h;
	uint64_t hid;
	const char *topic;
	const uint8_t *id;
	const char *username;
	const void *payload;
	size_t len;
};

static int
put_appending(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned append)
{
	int rc = mdb_put(txn, dbi, k, v, append);

	if (rc == MDB_KEYEXIST)        /* another writer went past us: insert in place */
		rc = mdb_put(txn, dbi, k, v, append == MDB_APPEND ? MDB_NOOVERWRITE : MDB_NODUPDATA);
	return rc;
}

static int
do_put(void *txn, void *arg)
{
	struct put_arg *a = arg;
	struct hub_history *h = a->h;
	struct hub_hist_key keys[4];
	char kbuf[INDEX_KEY_MAX + 1];
	uint8_t hidb[HID_LEN];
	size_t tlen = strlen(a->topic);
	MDB_val k = { ENVELOPE_ID_LEN, (void *)a->id }, v = { HID_LEN, hidb }, hv = { HID_LEN, hidb };
	int rc, n, i;

	hub_put_be64(hidb, a->hid);
	rc = mdb_put(txn, h->ids, &k, &v, MDB_NOOVERWRITE);
	if (rc != 0)
		return rc;
	k.mv_size = HID_LEN;
	k.mv_data = hidb;
	v.mv_size = MSG_HEAD_LEN + tlen + a->len;
	v.mv_data = NULL;
	/* hids only grow: appending fills pages instead of splitting them in half */
	rc = mdb_put(txn, h->msgs, &k, &v, MDB_RESERVE | MDB_APPEND);
	if (rc == MDB_KEYEXIST)         /* another writer went past us */
		rc = mdb_put(txn, h->msgs, &k, &v, MDB_RESERVE | MDB_NOOVERWRITE);
	if (rc != 0)
		return rc;
	msg_pack(v.mv_data, a->topic, tlen, a->payload, a->len);
	n = hub_history_keys(a->topic, keys);
	for (i = 0; i < n && rc == 0; i++) {
		k = hist_key_val(&keys[i], kbuf);
		rc = put_appending(txn, h->idx, &k, &hv, MDB_APPENDDUP);
	}
	if (rc == 0) {
		struct hub_hist_item it = { a->hid, a->topic, a->payload, a->len };

		for (i = 0; i < HUB_HIST_HOOKS_MAX && rc == 0; i++) {
			if (h->hooks[i].put != NULL)
				rc = h->hooks[i].put(h->hooks[i].ctx, txn, &it);
		}
	}
	return rc;
}

#define BATCH_RESERVE (16u << 20)       /* map room kept free for one batch */

static int
batch_begin(struct hub_history *h)
{
	int rc;

	if (h->txn != NULL)
		return 0;
	if (hub_store_reserve(h->store, BATCH_RESERVE) != 0)
		return EIO;
	rc = mdb_txn_begin(h->env, NULL, 0, &h->txn);
	if (rc == MDB_MAP_RESIZED) {    /* np-admin grew (and allocated) it: adopt its size */
		rc = mdb_env_set_mapsize(h->env, 0);
		if (rc == 0)
			rc = mdb_txn_begin(h->env, NULL, 0, &h->txn);
	}
	if (rc != 0)
		h->txn = NULL;
	h->batch_started_ms = 0;
	return rc;
}

/* A lost batch may have withdrawn announcements: the set forgets them. */
static void
gone_lost(struct hub_history *h)
{
	if (h->gone_batched && load_withdrawn(h) != 0)
		h->gone_batched = false;        /* keeps what it had: withheld more, not less */
}

static void
batch_abort(struct hub_history *h)
{
	if (h->txn != NULL)
		mdb_txn_abort(h->txn);
	h->txn = NULL;
	h->batched = 0;
	if (h->lease_due)
		h->lease_ms = 0;        /* its move is lost with the batch: the next put makes it */
	h->lease_due = false;
	gone_lost(h);
}

int
hub_history_put(struct hub_history *h, uint64_t hid, const char *topic, const uint8_t id[16],
		const char *username, const void *payload, size_t len)
{
	struct put_arg a = { h, hid, topic, id, username, payload, len };
	int rc;

	if (strlen(topic) > MSG_TOPIC_MAX || strlen(username) > HUB_USERNAME_MAX) {
		snprintf(h->err, sizeof(h->err), "topic or username too long to store");
		return HUB_STORE_ERROR;
	}
	rc = batch_begin(h);
	if (rc == 0)
		rc = do_put(h->txn, &a);
	if (rc == 0)
		rc = lease_past(h, hid);
	if (rc == MDB_KEYEXIST)         /* refused by the ids table: nothing was written */
		return hist_fail(h, "cannot store the message", rc);
	if (rc == MDB_MAP_FULL && h->batched == 0) {
		/* the batch was this message alone: grow and try once more */
		batch_abort(h);
		if (hub_store_reserve(h->store, len * 4 + BATCH_RESERVE) == 0
		    && (rc = batch_begin(h)) == 0
		    && (rc = do_put(h->txn, &a)) == 0)
			rc = lease_past(h, hid);
	}
	if (rc != 0) {
		if (h->batched > 0)
			snprintf(h->err, sizeof(h->err), "cannot store the message (%s); %zu QoS 0 "
				 "messages of this loop were lost with it", mdb_strerror(rc), h->batched);
		else
			hist_fail(h, "cannot store the message", rc);
		batch_abort(h);
		return HUB_STORE_ERROR;
	}
	h->batched++;
	return 0;
}

int
hub_history_withdraw(struct hub_history *h, const uint8_t (*ids)[16], size_t n, uint64_t by_hid)
{
	uint8_t hidb[HID_LEN];
	MDB_val k, v = { HID_LEN, hidb };
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	hub_put_be64(hidb, by_hid);
	rc = batch_begin(h);
	for (i = 0; i < n && rc == 0; i++) {
		k.mv_size = ENVELOPE_ID_LEN;
		k.mv_data = (void *)ids[i];
		rc = mdb_put(h->txn, h->withdrawn, &k, &v, MDB_NOOVERWRITE);
		if (rc == MDB_KEYEXIST)         /* withdrawn before: the first word stands */
			rc = 0;
		if (rc == 0) {
			h->gone_batched = true;
			rc = hub_idset_add(&h->gone, ids[i]) != 0 ? ENOMEM : 0;
		}
	}
	if (rc != 0) {
		hist_fail(h, "cannot record withdrawn announcements", rc);
		batch_abort(h);
		return HUB_STORE_ERROR;
	}
	return 0;
}

bool
hub_history_withdrawn(const struct hub_history *h, const uint8_t id[16])
{
	return hub_idset_has(&h->gone, id);
}

int
hub_history_each_withdrawn(struct hub_history *h, int (*fn)(void *ctx, const uint8_t id[16]),
			   void *ctx)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	void *txn;
	int rc;

	if (hub_store_read_begin(h->store, &txn) != 0)
		return hist_fail(h, "cannot read withdrawn announcements", EIO);
	rc = mdb_cursor_open(txn, h->withdrawn, &cur);
	for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size == ENVELOPE_ID_LEN && fn(ctx, k.mv_data) != 0) {
			rc = MDB_NOTFOUND;
			break;
		}
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	hub_store_read_end(h->store);
	return rc == MDB_NOTFOUND ? 0 : hist_fail(h, "cannot read withdrawn announcements", rc);
}

int
hub_history_withdrawn_count(struct hub_history *h, size_t *n)
{
	MDB_stat st;
	void *txn;
	int rc;

	*n = 0;
	if (hub_store_read_begin(h->store, &txn) != 0)
		return hist_fail(h, "cannot read withdrawn announcements", EIO);
	rc = mdb_stat(txn, h->withdrawn, &st);
	hub_store_read_end(h->store);
	if (rc != 0)
		return hist_fail(h, "cannot read withdrawn announcements", rc);
	*n = st.ms_entries;
	return 0;
}

int
hub_history_commit(struct hub_history *h)
{
	size_t n = h->batched;
	int rc;

	if (h->txn == NULL)
		return 0;
	rc = mdb_txn_commit(h->txn);
	h->txn = NULL;
	h->batched = 0;
	h->lease_due = false;
	if (rc != 0)
		gone_lost(h);
	h->gone_batched = false;
	if (rc != 0) {
		snprintf(h->err, sizeof(h->err), "cannot commit %zu messages: %s", n, mdb_strerror(rc));
		return HUB_STORE_ERROR;
	}
	h->dirty = true;
	return 0;
}

int
hub_history_commit_due(struct hub_history *h, int64_t now_ms)
{
	if (h->txn == NULL)
		return 0;
	if (h->batch_started_ms == 0)
		h->batch_started_ms = now_ms;   /* first seen by this clock */
	if (!h->lease_due && h->batched < HUB_BATCH_MAX && now_ms - h->batch_started_ms < HUB_BATCH_MS)
		return 0;
	return hub_history_commit(h);
}

void
hub_history_tick(struct hub_history *h, int64_t now_ms)
{
	if (h->sync_ms <= 0 || !h->dirty || now_ms < h->next_sync_ms)
		return;
	mdb_env_sync(h->env, 1);
	h->dirty = false;
	/* np-admin's load flushes with now_ms INT64_MAX: no overflow */
	h->next_sync_ms = now_ms > INT64_MAX - h->sync_ms ? INT64_MAX : now_ms + h->sync_ms;
}
