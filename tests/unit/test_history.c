/* test_history.c - checks history.c on a real LMDB directory of its own (no
 * broker, no sleeps): ids and their order, the open batch that find sees and
 * readers do not, the batch committed when due, the planner's index keys for
 * every kind of filter, scans that merge several index keys in hid order (each
 * message once) within since/until/cursor and a budget, expiry in batches (an
 * announcement's withdrawn record with it, in the table and in memory, kept
 * when the expiry fails; every hook's drop in order, a failing one failing the
 * pass), and
 * failure injection: a failed commit loses the QoS 0 batch and says how many,
 * a full map mid-batch loses the batch, a full map for a lone message grows it.
 * The failed commit comes from mdb_txn_commit defined below: the executable's
 * own definition comes before liblmdb's for every call in it. */
#define _GNU_SOURCE             /* RTLD_NEXT; unshare, for tmpdb.h */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"
#include "np.pb-c.h"
#include "refusal.h"
#include "tmpdb.h"
#include "validate.h"

static int commits_to_fail;     /* the next n commits abort and fail with EIO */

int
mdb_txn_commit(MDB_txn *txn)
{
	static int (*real)(MDB_txn *);

	if (commits_to_fail > 0) {
		commits_to_fail--;
		mdb_txn_abort(txn);
		return EIO;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "mdb_txn_commit");
	return real(txn);
}

static struct tmpdb db;
static struct hub_history *h;

static int
setup(void **state)
{
	char err[256];

	(void)state;
	commits_to_fail = 0;
	tmpdb_open(&db);
	if (hub_history_open(&h, db.s, 0, err, sizeof(err)) != 0)
		fail_msg("history: %s", err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	commits_to_fail = 0;
	hub_history_close(h);
	h = NULL;
	tmpdb_close(&db);
	return 0;
}

/* A stamped Envelope as the plugin stores it: id (field 1) first. */
static uint8_t *
envelope(const uint8_t id[16], int64_t ms, size_t pad, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__DirectMessage dm = NP__DIRECT_MESSAGE__INIT;
	char *text = malloc(pad + 2);
	uint8_t *buf;

	assert_non_null(text);
	memset(text, 'x', pad + 1);
	text[pad + 1] = '\0';
	e.id.data = (uint8_t *)id;
	e.id.len = 16;
	e.received_at_ms = ms;
	e.body_case = NP__ENVELOPE__BODY_DM;
	e.dm = &dm;
	dm.text = text;
	*len = np__envelope__get_packed_size(&e);
	buf = malloc(*len);
	assert_non_null(buf);
	np__envelope__pack(&e, buf);
	free(text);
	return buf;
}

static void
id_of(int n, uint8_t id[16])
{
	memset(id, 0, 16);
	id[0] = 0xee;
	id[14] = (uint8_t)(n >> 8);
	id[15] = (uint8_t)n;
}

/* Puts message n on topic at ms (payload padded by pad bytes); returns the rc. */
static int
put_n(int n, const char *topic, int64_t ms, size_t pad)
{
	uint8_t id[16], *buf;
	size_t len;
	int rc;

	id_of(n, id);
	buf = envelope(id, ms, pad, &len);
	rc = hub_history_put(h, hub_history_next_hid(h, ms), topic, id, "somchai", buf, len);
	free(buf);
	return rc;
}

static void
put_ok(int n, const char *topic, int64_t ms)
{
	if (put_n(n, topic, ms, 0) != 0)
		fail_msg("put %d on %s: %s", n, topic, hub_history_error(h));
}

static bool
found(int n)
{
	uint8_t id[16];
	char topic[128];

	id_of(n, id);
	return hub_history_find(h, id, topic, sizeof(topic), NULL, NULL) == 0;
}

static int
count_one(void *ctx, const struct hub_hist_item *it)
{
	(void)it;
	(*(size_t *)ctx)++;
	return 0;
}

/* What a reader (another transaction) sees. */
static size_t
stored(void)
{
	size_t n = 0;

	assert_int_equal(hub_history_each(h, 0, count_one, &n), 0);
	return n;
}

static void
hids_follow_the_clock_and_never_go_back(void **state)
{
	char err[256];
	uint64_t a, b, c, d;

	(void)state;
	a = hub_history_next_hid(h, 1000);
	b = hub_history_next_hid(h, 1000);
	c = hub_history_next_hid(h, 999);       /* the clock stepped back */
	d = hub_history_next_hid(h, 2000);
	assert_true(a == (uint64_t)1000 << 16);
	assert_true(b == a + 1 && c == b + 1);
	assert_true(d == (uint64_t)2000 << 16);
	assert_int_equal(HUB_HID_MS(d), 2000);
	/* after a restart the next hid is past the last stored one and past the
	 * stamp lease (100 ms past the last stamp given out), even if the clock
	 * stepped back: a message stamped under it may have gone out and been
	 * lost with its batch (issue #14) */
	put_ok(1, "np/dm/50010101", 5000);
	assert_int_equal(hub_history_commit(h), 0);
	hub_history_close(h);
	assert_int_equal(hub_history_open(&h, db.s, 0, err, sizeof(err)), 0);
	a = hub_history_next_hid(h, 10);
	assert_true(a > ((uint64_t)5000 << 16) + 1);
	assert_int_equal(HUB_HID_MS(a), 5100);
	assert_true(hub_history_next_hid(h, 6000) == (uint64_t)6000 << 16);
}

static void
find_sees_the_open_batch_and_readers_see_it_once_committed(void **state)
{
	uint8_t id[16], *buf;
	char topic[64];
	void *payload;
	size_t len, want_len;

	(void)state;
	put_ok(1, "np/rep/50/5001/50010101/outage", 1000);
	assert_true(found(1));
	assert_int_equal(stored(), 0);
	assert_int_equal(hub_history_commit(h), 0);
	assert_int_equal(stored(), 1);
	id_of(1, id);
	buf = envelope(id, 1000, 0, &want_len);
	assert_int_equal(hub_history_find(h, id, topic, sizeof(topic), &payload, &len), 0);
	assert_string_equal(topic, "np/rep/50/5001/50010101/outage");
	assert_int_equal(len, want_len);
	assert_memory_equal(payload, buf, len);
	free(payload);
	free(buf);
	assert_int_equal(hub_history_find(h, id, topic, 10, NULL, NULL), 0);
	assert_string_equal(topic, "np/rep/50");       /* cut to topiclen */
	id_of(2, id);
	assert_int_equal(hub_history_find(h, id, topic, sizeof(topic), NULL, NULL),
			 HUB_STORE_NOTFOUND);
}

static void
a_known_id_is_refused_and_the_batch_keeps_the_others(void **state)
{
	(void)state;
	put_ok(1, "np/dm/50010101", 1000);
	put_ok(2, "np/dm/50010101", 1001);
	assert_int_equal(put_n(1, "np/dm/50010102", 1002, 0), HUB_STORE_ERROR);
	assert_non_null(strstr(hub_history_error(h), "cannot store the message: MDB_KEYEXIST"));
	assert_int_equal(hub_history_commit(h), 0);
	assert_int_equal(stored(), 2);
	assert_int_equal(put_n(2, "np/dm/50010101", 1003, 0), HUB_STORE_ERROR);
	assert_int_equal(stored(), 2);
}

static void
the_batch_is_committed_when_old_or_long_enough(void **state)
{
	int i;

	(void)state;
	assert_int_equal(hub_history_commit_due(h, 100), 0);   /* nothing open */
	put_ok(1, "np/dm/50010101", 1000);
	/* past the stamp lease: the lease moves on and is committed at once */
	assert_int_equal(hub_history_commit_due(h, 100), 0);
	assert_int_equal(stored(), 1);
	put_ok(2, "np/dm/50010101", 1050);                     /* within the lease */
	assert_int_equal(hub_history_commit_due(h, 100), 0);   /* first seen at 100 */
	assert_int_equal(hub_history_commit_due(h, 100 + HUB_BATCH_MS - 1), 0);
	assert_int_equal(stored(), 1);
	assert_int_equal(hub_history_commit_due(h, 100 + HUB_BATCH_MS), 0);
	assert_int_equal(stored(), 2);
	for (i = 0; i < HUB_BATCH_MAX - 1; i++)
		put_ok(3 + i, "np/dm/50010101", 1060);
	assert_int_equal(hub_history_commit_due(h, 200), 0);
	assert_int_equal(stored(), 2);
	put_ok(3 + i, "np/dm/50010101", 1060);
	assert_int_equal(hub_history_commit_due(h, 200), 0);   /* HUB_BATCH_MAX long */
	assert_int_equal(stored(), 2 + HUB_BATCH_MAX);
}

/* ---- the planner ---- */

static void
keys_string(const struct hub_hist_scan *q, char *out, size_t n)
{
	size_t i, at = 0;

	out[0] = '\0';
	for (i = 0; i < q->nkeys && at < n; i++)
		at += (size_t)snprintf(out + at, n - at, "%s%c:%s", i ? " " : "", q->keys[i].kind,
				       q->keys[i].key);
}

static void
the_planner_reads_only_the_indexes_a_filter_can_match(void **state)
{
	static const struct {
		const char *filter, *keys;
	} rows[] = {
		{ "#", "a: r: s: w: d:" },
		{ "np/#", "a: r: s: w: d:" },
		{ "+/#", "a: r: s: w: d:" },
		{ "np/+/50/#", "a:50 r:50 s:50 w:50" },	/* "50" is no inbox */
		{ "np/+", "" },                         /* no np topic has two levels */
		{ "np/ann/TH/weather", "a:TH" },
		{ "np/ann/+/health", "a:" },
		{ "np/dm/cm_official", "d:cm_official" },
		{ "np/rep/#", "r:" },
		{ "np/rep/50/#", "r:50" },
		{ "np/rep/50/5001/#", "r:5001" },
		{ "np/rep/+/+/50010101/outage", "r:50010101" },
		{ "np/rep/50/+/+/ack", "r:50" },
		{ "np/rep/5/#", "" },                   /* no province has one digit */
		{ "np/rep/50/5001x/#", "" },
		{ "np/status/10/1001/10010101", "s:10010101" },
		{ "np/show/+/+/+/product", "w:" },
	};
	struct hub_hist_scan q;
	char got[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&q, 0, sizeof(q));
		if (hub_history_plan(rows[i].filter, &q) != HUB_OK)
			fail_msg("%s: refused", rows[i].filter);
		keys_string(&q, got, sizeof(got));
		if (strcmp(got, rows[i].keys) != 0)
			fail_msg("%s: keys '%s', expected '%s'", rows[i].filter, got, rows[i].keys);
		assert_ptr_equal(q.filter, rows[i].filter);
	}
}

static void
the_planner_refuses_filters_it_cannot_serve_with_a_reason(void **state)
{
	static const struct {
		const char *filter;
		enum hub_refusal why;
	} rows[] = {
		{ "", HUB_R_FILTER_EMPTY },
		{ "np/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", HUB_R_FILTER_TOO_DEEP },
		{ "np/#/x", HUB_R_HASH_NOT_LAST },
		{ "np/re+/x", HUB_R_WILDCARD_PART },
		{ "np/rep/50#", HUB_R_WILDCARD_PART },
		{ "$SYS/#", HUB_R_FILTER_NOT_NP },
		{ "nq/rep/#", HUB_R_FILTER_NOT_NP },
		{ "np/reply/somchai/history", HUB_R_FILTER_UNKNOWN_KIND },
	};
	struct hub_hist_scan q;
	enum hub_refusal why;
	size_t i;

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_int_not_equal(hub_history_plan(NULL, &q), HUB_OK);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&q, 0, sizeof(q));
		why = hub_history_plan(rows[i].filter, &q);
		if (why != rows[i].why)
			fail_msg("%s: '%s', expected '%s'", rows[i].filter, hub_refusal_text(why),
				 hub_refusal_text(rows[i].why));
		assert_int_equal(q.nkeys, 0);
	}
}

/* ---- scans ---- */

struct got {
	char list[1024];
	uint64_t last;
	int stop_after, seen;
	bool ordered;
};

static int
collect(void *ctx, const struct hub_hist_item *it)
{
	struct got *g = ctx;
	size_t n = strlen(g->list);

	if (g->seen > 0 && it->hid <= g->last)
		g->ordered = false;
	g->last = it->hid;
	snprintf(g->list + n, sizeof(g->list) - n, "%s%s", n ? " " : "", it->topic);
	return ++g->seen == g->stop_after;
}

static int
scan(struct hub_hist_scan *q, size_t budget, struct got *g, uint64_t *last)
{
	memset(g, 0, sizeof(*g));
	g->ordered = true;
	return hub_history_scan(h, q, budget, collect, g, last);
}

/* Messages at 1000, 1001, ... ms, one of each kind and place. */
static void
store_sample(void)
{
	static const char *const topics[] = {
		"np/rep/50/5001/50010101/outage",       /* 1000 */
		"np/ann/TH/weather",                    /* 1001 */
		"np/rep/50/5002/50020301/need",         /* 1002 */
		"np/status/50/5001/50010101",           /* 1003 */
		"np/dm/50010101",                       /* 1004 */
		"np/rep/10/1001/10010101/outage",       /* 1005 */
		"np/show/50/5001/50010101/product",     /* 1006 */
		"np/ann/50/health",                     /* 1007 */
		"np/rep/50/5001/50010101/ack",          /* 1008 */
	};
	size_t i;

	for (i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
		put_ok((int)i + 1, topics[i], 1000 + (int64_t)i);
	assert_int_equal(hub_history_commit(h), 0);
}

static void
a_scan_merges_index_keys_in_hid_order_each_message_once(void **state)
{
	struct hub_hist_scan q;
	struct got g;
	uint64_t last;

	(void)state;
	store_sample();
	memset(&q, 0, sizeof(q));
	assert_int_equal(hub_history_plan("np/+/50/#", &q), HUB_OK);
	assert_int_equal(scan(&q, 1000, &g, &last), 0);
	assert_string_equal(g.list, "np/rep/50/5001/50010101/outage np/rep/50/5002/50020301/need "
			    "np/status/50/5001/50010101 np/show/50/5001/50010101/product "
			    "np/ann/50/health np/rep/50/5001/50010101/ack");
	assert_true(g.ordered);
	/* overlapping keys (every r message under "", 50 and 5001 at once) */
	memset(&q, 0, sizeof(q));
	q.filter = "np/rep/#";
	q.nkeys = 3;
	q.keys[0].kind = q.keys[1].kind = q.keys[2].kind = 'r';
	strcpy(q.keys[1].key, "50");
	strcpy(q.keys[2].key, "5001");
	assert_int_equal(scan(&q, 1000, &g, &last), 0);
	assert_string_equal(g.list, "np/rep/50/5001/50010101/outage np/rep/50/5002/50020301/need "
			    "np/rep/10/1001/10010101/outage np/rep/50/5001/50010101/ack");
	assert_true(g.ordered);
	assert_true(last == ((uint64_t)1008 << 16));
	/* the filter still decides: an index read is not a match */
	memset(&q, 0, sizeof(q));
	assert_null(hub_history_plan("np/rep/+/+/+/outage", &q));
	assert_int_equal(scan(&q, 1000, &g, &last), 0);
	assert_string_equal(g.list, "np/rep/50/5001/50010101/outage np/rep/10/1001/10010101/outage");
}

static void
a_scan_keeps_to_since_until_and_the_cursor(void **state)
{
	struct hub_hist_scan q;
	struct got g;
	uint64_t last;

	(void)state;
	store_sample();
	memset(&q, 0, sizeof(q));
	assert_null(hub_history_plan("np/rep/50/#", &q));
	q.since_ms = 1002;
	q.until_ms = 1008;                      /* 1008 itself is not before until */
	assert_int_equal(scan(&q, 1000, &g, &last), 0);
	assert_string_equal(g.list, "np/rep/50/5002/50020301/need");
	q.since_ms = 0;
	q.until_ms = 0;
	q.after_hid = (uint64_t)1000 << 16;     /* the cursor: after the first */
	assert_int_equal(scan(&q, 1000, &g, &last), 0);
	assert_string_equal(g.list, "np/rep/50/5002/50020301/need np/rep/50/5001/50010101/ack");
	q.after_hid = UINT64_MAX;
	assert_int_equal(scan(&q, 1000, &g, &last), 0);
	assert_int_equal(g.seen, 0);
	q.after_hid = 0;
	q.since_ms = HUB_HID_MAX_MS + 1;
	assert_int_equal(scan(&q, 1000, &g, &last), 0);
	assert_int_equal(g.seen, 0);
}

static void
a_scan_stops_when_asked_or_out_of_budget_and_resumes_after_the_last_hid(void **state)
{
	struct hub_hist_scan q;
	struct got g;
	char all[1024] = "";
	uint64_t last;
	int rc;

	(void)state;
	store_sample();
	memset(&q, 0, sizeof(q));
	assert_null(hub_history_plan("#", &q));
	memset(&g, 0, sizeof(g));
	g.stop_after = 2;
	assert_int_equal(hub_history_scan(h, &q, 1000, collect, &g, &last), 1);
	assert_int_equal(g.seen, 2);
	assert_true(last == ((uint64_t)1001 << 16));
	/* three index entries a call: the pages join up to the whole result */
	q.after_hid = 0;
	do {
		rc = scan(&q, 3, &g, &last);
		assert_true(rc == 0 || rc == 2);
		assert_true(g.seen <= 3);
		assert_true(strlen(all) + strlen(g.list) + 2 < sizeof(all));
		if (g.seen > 0 && all[0] != '\0')
			strcat(all, " ");
		strcat(all, g.list);
		q.after_hid = last;
	} while (rc == 2);
	memset(&q, 0, sizeof(q));
	assert_null(hub_history_plan("#", &q));
	assert_int_equal(scan(&q, 1000, &g, &last), 0);
	assert_int_equal(g.seen, 9);
	assert_string_equal(all, g.list);
}

/* ---- retention ---- */

static void
expiry_removes_the_oldest_in_batches_with_their_ids_and_index_entries(void **state)
{
	struct hub_hist_scan q;
	struct got g;
	uint64_t last;
	size_t removed = 99;

	(void)state;
	store_sample();
	put_ok(100, "np/dm/50010101", 1200);    /* left open: expiry commits it first */
	assert_int_equal(hub_history_expire(h, 1004, 2, hub_msg_peek_id, &removed), 0);
	assert_int_equal(removed, 2);
	assert_false(found(1));
	assert_false(found(2));
	assert_true(found(3));
	assert_true(found(100));
	assert_int_equal(hub_history_expire(h, 1004, 2, hub_msg_peek_id, &removed), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(hub_history_expire(h, 1004, 2, hub_msg_peek_id, &removed), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(stored(), 6);
	/* no index entry is left pointing at a removed message */
	memset(&q, 0, sizeof(q));
	assert_null(hub_history_plan("#", &q));
	assert_int_equal(scan(&q, 1000, &g, &last), 0);
	assert_string_equal(g.list, "np/dm/50010101 np/rep/10/1001/10010101/outage "
			    "np/show/50/5001/50010101/product np/ann/50/health "
			    "np/rep/50/5001/50010101/ack np/dm/50010101");
	/* an expired id may come again: it is a new message now */
	put_ok(1, "np/dm/50010101", 1300);
	assert_int_equal(hub_history_commit(h), 0);
	assert_true(found(1));
}

/* ---- failure injection ---- */

static size_t
withdrawn_count(void)
{
	size_t n = 99;

	assert_int_equal(hub_history_withdrawn_count(h, &n), 0);
	return n;
}

static bool
withdrawn(int n)
{
	uint8_t id[16];

	id_of(n, id);
	return hub_history_withdrawn(h, id);
}

/* Withdraws announcement n as if by the message stored as by_hid. */
static void
withdraw(int n, uint64_t by_hid)
{
	uint8_t id[1][16];

	id_of(n, id[0]);
	assert_int_equal(hub_history_withdraw(h, (const uint8_t (*)[16])id, 1, by_hid), 0);
}

static void
expiry_drops_an_announcements_withdrawn_record_in_the_table_and_in_memory(void **state)
{
	size_t removed;

	(void)state;
	put_ok(1, "np/ann/50/health", 1000);
	put_ok(2, "np/ann/TH/weather", 1001);
	put_ok(3, "np/ann/50/health", 1002);            /* the Cancel of 1 and 2 */
	withdraw(1, (uint64_t)1002 << 16);
	withdraw(2, (uint64_t)1002 << 16);
	put_ok(4, "np/ann/50/health", 1003);
	put_ok(5, "np/ann/50/health", 1004);
	withdraw(5, (uint64_t)1003 << 16);      /* recorded as by the older message 4 */
	assert_int_equal(hub_history_commit(h), 0);
	assert_int_equal(withdrawn_count(), 3);
	/* a pass that fails to commit drops nothing, here or in memory */
	commits_to_fail = 1;
	assert_int_equal(hub_history_expire(h, 1002, 10, hub_msg_peek_id, &removed),
			 HUB_STORE_ERROR);
	assert_int_equal(removed, 0);
	assert_true(withdrawn(1) && withdrawn(2) && withdrawn(5));
	assert_int_equal(withdrawn_count(), 3);
	assert_int_equal(hub_history_expire(h, 1001, 10, hub_msg_peek_id, &removed), 0);
	assert_int_equal(removed, 1);
	assert_false(withdrawn(1));
	assert_true(withdrawn(2));
	assert_int_equal(withdrawn_count(), 2);
	/* the Cancel (3) and the message 4 go: what they withdrew stays withdrawn */
	assert_int_equal(hub_history_expire(h, 1004, 10, hub_msg_peek_id, &removed), 0);
	assert_int_equal(removed, 3);
	assert_false(withdrawn(2));
	assert_true(withdrawn(5));
	assert_int_equal(withdrawn_count(), 1);
	/* and so after a reopen, which reads the table */
	hub_history_close(h);
	h = NULL;
	{
		char err[256];

		assert_int_equal(hub_history_open(&h, db.s, 0, err, sizeof(err)), 0);
	}
	assert_true(withdrawn(5));
	assert_false(withdrawn(1) || withdrawn(2));
}

/* A drop hook that writes down the topics it was given, in order. */
struct seen {
	char list[256];
	int fail_at;            /* the n-th call fails with EIO (0: none) */
	int calls;
};

static int
seen_drop(void *ctx, void *txn, const struct hub_hist_item *it)
{
	struct seen *s = ctx;

	assert_non_null(txn);
	if (++s->calls == s->fail_at)
		return EIO;
	if (s->list[0] != '\0')
		strcat(s->list, " ");
	strcat(s->list, it->topic);
	return 0;
}

static void
every_drop_hook_sees_each_dropped_message_and_a_failing_one_fails_the_pass(void **state)
{
	struct seen a = { "", 0, 0 }, b = { "", 2, 0 }, more[HUB_HIST_HOOKS_MAX];
	struct hub_hist_hook ha = { NULL, seen_drop, &a }, hb = { NULL, seen_drop, &b };
	size_t removed, i;

	(void)state;
	put_ok(1, "np/ann/50/health", 1000);
	put_ok(2, "np/dm/50010101", 1001);
	assert_int_equal(hub_history_add_hook(h, &ha), 0);
	assert_int_equal(hub_history_add_hook(h, &hb), 0);
	/* b fails at its second call: the pass fails, nothing is dropped */
	assert_int_equal(hub_history_expire(h, 1002, 10, hub_msg_peek_id, &removed),
			 HUB_STORE_ERROR);
	assert_int_equal(stored(), 2);
	assert_true(found(1) && found(2));
	hub_history_remove_hook(h, &b);
	a.list[0] = '\0';
	assert_int_equal(hub_history_expire(h, 1002, 10, hub_msg_peek_id, &removed), 0);
	assert_int_equal(removed, 2);
	assert_string_equal(a.list, "np/ann/50/health np/dm/50010101");
	/* room for HUB_HIST_HOOKS_MAX, then a clear refusal */
	for (i = 1; i < HUB_HIST_HOOKS_MAX; i++) {
		struct hub_hist_hook hm = { NULL, seen_drop, &more[i] };

		assert_int_equal(hub_history_add_hook(h, &hm), 0);
	}
	assert_int_equal(hub_history_add_hook(h, &hb), HUB_STORE_ERROR);
	assert_non_null(strstr(hub_history_error(h), "history hooks"));
}

static void
a_failed_commit_loses_the_qos0_batch_and_says_how_many(void **state)
{
	(void)state;
	put_ok(1, "np/dm/50010101", 1000);
	assert_int_equal(hub_history_commit(h), 0);
	put_ok(2, "np/dm/50010101", 1001);
	put_ok(3, "np/ann/TH/weather", 1002);
	put_ok(4, "np/rep/50/5001/50010101/need", 1003);
	commits_to_fail = 1;
	assert_int_equal(hub_history_commit(h), HUB_STORE_ERROR);
	assert_int_equal(commits_to_fail, 0);
	assert_string_equal(hub_history_error(h), "cannot commit 3 messages: Input/output error");
	assert_false(found(2));
	assert_false(found(3));
	assert_false(found(4));
	assert_true(found(1));
	assert_int_equal(stored(), 1);
	/* the next batch starts afresh; a lost id is not remembered */
	put_ok(2, "np/dm/50010101", 1004);
	assert_int_equal(hub_history_commit(h), 0);
	assert_int_equal(stored(), 2);
	assert_int_equal(hub_history_commit(h), 0);     /* nothing open: nothing to fail */
}

static void
a_full_map_in_the_middle_of_a_batch_loses_the_batch_and_says_so(void **state)
{
	size_t small;

	(void)state;
	small = tmpdb_shrink_map(&db);
	put_ok(1, "np/dm/50010101", 1000);
	put_ok(2, "np/dm/50010101", 1001);
	assert_int_equal(put_n(3, "np/dm/50010101", 1002, 8 * small), HUB_STORE_ERROR);
	assert_string_equal(hub_history_error(h), "cannot store the message (MDB_MAP_FULL: "
			    "Environment mapsize limit reached); 2 QoS 0 messages of this loop "
			    "were lost with it");
	assert_false(found(1));
	assert_false(found(2));
	assert_false(found(3));
	assert_int_equal(hub_history_commit(h), 0);
	assert_int_equal(stored(), 0);
	put_ok(1, "np/dm/50010101", 1003);
	assert_int_equal(hub_history_commit(h), 0);
	assert_int_equal(stored(), 1);
}

static void
a_lone_message_meeting_a_full_map_grows_it_and_is_stored(void **state)
{
	size_t small;

	(void)state;
	small = tmpdb_shrink_map(&db);
	/* the batch's reserve doubles the map; this needs more than that */
	if (put_n(1, "np/dm/50010101", 1000, small * 3 / 2) != 0)
		fail_msg("%s", hub_history_error(h));
	assert_int_equal(hub_history_commit(h), 0);
	assert_true(found(1));
	assert_true(tmpdb_mapsize(&db) >= 4 * small);
	assert_int_equal(stored(), 1);
}

/* ENOSPC: a batch needs map room, and room is disk. */
static void
a_full_disk_refuses_the_put_and_keeps_what_was_committed(void **state)
{
	struct tmpdb small;
	struct hub_history *keep = h;
	char err[256], filler[128];
	int rc = 0, n;

	(void)state;
	if (!tmpdb_small_disk(&small, 80))
		skip();
	assert_int_equal(hub_store_open(&small.s, small.db, HUB_STORE_CREATE, err, sizeof(err)), 0);
	assert_int_equal(hub_store_init(small.s), 0);
	assert_int_equal(hub_history_open(&h, small.s, 0, err, sizeof(err)), 0);
	put_ok(1, "np/dm/50010101", 1000);
	assert_int_equal(hub_history_commit(h), 0);
	tmpdb_shrink_map(&small);
	tmpdb_fill_disk(small.dir, filler, sizeof(filler));
	for (n = 2; n < 100000 && rc == 0; n++) {
		rc = put_n(n, "np/dm/50010101", 1000 + n, 1000);
		if (rc == 0)
			rc = hub_history_commit(h);
	}
	assert_int_equal(rc, HUB_STORE_ERROR);
	/* the store says why; history.c passes on only that the put failed */
	assert_string_equal(hub_store_error(small.s), "cannot grow the map: No space left on device");
	assert_string_equal(hub_history_error(h), "cannot store the message: Input/output error");
	assert_true(found(1));
	assert_true(found(n - 2));
	assert_false(found(n - 1));
	assert_int_equal(put_n(n, "np/dm/50010101", 1000 + n, 1000), HUB_STORE_ERROR);
	assert_int_equal(unlink(filler), 0);
	put_ok(n, "np/dm/50010101", 1000 + n);
	assert_int_equal(hub_history_commit(h), 0);
	assert_true(found(n));
	hub_history_close(h);
	h = keep;
	tmpdb_small_disk_close(&small);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(hids_follow_the_clock_and_never_go_back),
		T(find_sees_the_open_batch_and_readers_see_it_once_committed),
		T(a_known_id_is_refused_and_the_batch_keeps_the_others),
		T(the_batch_is_committed_when_old_or_long_enough),
		T(the_planner_reads_only_the_indexes_a_filter_can_match),
		T(the_planner_refuses_filters_it_cannot_serve_with_a_reason),
		T(a_scan_merges_index_keys_in_hid_order_each_message_once),
		T(a_scan_keeps_to_since_until_and_the_cursor),
		T(a_scan_stops_when_asked_or_out_of_budget_and_resumes_after_the_last_hid),
		T(expiry_removes_the_oldest_in_batches_with_their_ids_and_index_entries),
		T(expiry_drops_an_announcements_withdrawn_record_in_the_table_and_in_memory),
		T(every_drop_hook_sees_each_dropped_message_and_a_failing_one_fails_the_pass),
		T(a_failed_commit_loses_the_qos0_batch_and_says_how_many),
		T(a_full_map_in_the_middle_of_a_batch_loses_the_batch_and_says_so),
		T(a_lone_message_meeting_a_full_map_grows_it_and_is_stored),
		T(a_full_disk_refuses_the_put_and_keeps_what_was_committed),
	};
#undef T

	return cmocka_run_group_tests_name("history", tests, NULL, NULL);
}
