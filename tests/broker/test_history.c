/* test_history.c - checks that every accepted message is kept once per id,
 * that history pages hold only what the asker may read, page and filter by
 * time correctly, answer bad requests with an error, survive a restart and a
 * kill -9 of the broker, that an announcement an Update or Cancel withdrew is
 * marked withdrawn in an official's pages and absent from a volunteer's, and
 * that retention removes old messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

static struct hub hub;

static int
setup(void **state)
{
	(void)state;
	return hub_start(&hub, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	hub_stop(&hub);
	return 0;
}

static struct tc *
login(const char *user)
{
	struct tc *c;
	int rc;

	c = tc_login(&hub, user, 5, &rc);
	if (c == NULL)
		fail_msg("login of %s refused (%d)", user, rc);
	return c;
}

/* One history page for c's user; the caller frees with np__envelope__free_unpacked. */
static Np__Envelope *
ask(struct tc *c, const char *user, const char *filter, int64_t since, int64_t until,
    uint32_t limit, const ProtobufCBinaryData *cursor)
{
	Np__HistoryRequest r = NP__HISTORY_REQUEST__INIT;
	char topic[96], corr[32];
	static unsigned n;
	struct tc_msg m;
	Np__Envelope *e;
	uint8_t *buf;
	size_t len;

	snprintf(corr, sizeof(corr), "c%u", ++n);
	r.filter = (char *)filter;
	r.since_ms = since;
	r.until_ms = until;
	r.limit = limit;
	r.correlation_id = corr;
	if (cursor != NULL)
		r.cursor = *cursor;
	len = np__history_request__get_packed_size(&r);
	buf = malloc(len + 1);
	np__history_request__pack(&r, buf);
	assert_int_equal(tc_publish(c, "$CONTROL/np/v1/history", buf, len, 1), 0);
	free(buf);
	snprintf(topic, sizeof(topic), "np/reply/%s/history", user);
	for (;;) {
		if (!tc_next(c, &m, 3000))
			fail_msg("no history page for %s", user);
		if (strcmp(m.topic, topic) != 0) {
			tc_msg_free(&m);
			continue;
		}
		e = env_unpack(&m);
		tc_msg_free(&m);
		assert_non_null(e);
		assert_int_equal(e->body_case, NP__ENVELOPE__BODY_HISTORY_PAGE);
		assert_string_equal(e->history_page->correlation_id, corr);
		return e;
	}
}

/* Every page of a query; returns the number of items, each checked to match
 * prefix (when not NULL) and to come in received_at order. */
static size_t
ask_all(struct tc *c, const char *user, const char *filter, uint32_t limit, const char *prefix,
	size_t *pages)
{
	ProtobufCBinaryData cursor = { 0, NULL };
	uint8_t cbuf[64];
	Np__Envelope *page, *item;
	int64_t last = 0;
	size_t n = 0, i;

	*pages = 0;
	do {
		page = ask(c, user, filter, 0, 0, limit, cursor.len ? &cursor : NULL);
		(*pages)++;
		assert_string_equal(page->history_page->error, "");
		for (i = 0; i < page->history_page->n_items; i++) {
			Np__HistoryItem *it = page->history_page->items[i];

			if (prefix != NULL && strncmp(it->topic, prefix, strlen(prefix)) != 0)
				fail_msg("%s got %s for %s", user, it->topic, filter);
			item = np__envelope__unpack(NULL, it->envelope.len, it->envelope.data);
			assert_non_null(item);
			assert_true(item->received_at_ms >= last);
			last = item->received_at_ms;
			np__envelope__free_unpacked(item, NULL);
			n++;
		}
		cursor.len = page->history_page->next_cursor.len;
		assert_true(cursor.len <= sizeof(cbuf));
		memcpy(cbuf, page->history_page->next_cursor.data, cursor.len);
		cursor.data = cbuf;
		np__envelope__free_unpacked(page, NULL);
	} while (cursor.len > 0);
	return n;
}

static int
report(struct tc *c, const char *topic, const char *title, uint8_t id_out[16])
{
	uint8_t *buf;
	size_t len;
	int rc;
	Np__Envelope *e;

	buf = env_report(title, &len);
	if (id_out != NULL) {
		e = np__envelope__unpack(NULL, len, buf);
		memcpy(id_out, e->id.data, 16);
		np__envelope__free_unpacked(e, NULL);
	}
	rc = tc_publish(c, topic, buf, len, 1);
	free(buf);
	return rc;
}

static bool
ok_puback(int rc)
{
	return rc == 0 || rc == 0x10;
}

static void
a_resend_is_acknowledged_but_stored_and_delivered_once(void **state)
{
	struct tc *vol = login("somchai"), *off = login("cm_official");
	struct tc_msg m;
	uint8_t *buf;
	size_t len, pages;

	(void)state;
	assert_int_equal(tc_subscribe(off, "np/rep/50/5001/50010103/#", 1), 1);
	buf = env_report("resent three times", &len);
	assert_true(ok_puback(tc_publish(vol, "np/rep/50/5001/50010101/need", buf, len, 1)));
	tc_close(vol);
	vol = login("somchai");         /* a new connection, as after a broken link */
	assert_true(ok_puback(tc_publish(vol, "np/rep/50/5001/50010101/need", buf, len, 1)));
	assert_true(ok_puback(tc_publish(vol, "np/rep/50/5001/50010101/need", buf, len, 1)));
	free(buf);
	tc_close(off);
	off = login("muang_official");
	assert_int_equal(tc_subscribe(off, "np/rep/50/5001/#", 1), 1);
	buf = env_report("once", &len);
	assert_true(ok_puback(tc_publish(vol, "np/rep/50/5001/50010101/incident", buf, len, 1)));
	assert_true(ok_puback(tc_publish(vol, "np/rep/50/5001/50010101/incident", buf, len, 1)));
	free(buf);
	assert_true(tc_next(off, &m, 2000));
	assert_string_equal(m.topic, "np/rep/50/5001/50010101/incident");
	tc_msg_free(&m);
	assert_true(tc_quiet(off, 500));
	assert_int_equal(ask_all(off, "muang_official", "np/rep/50/5001/50010101/need", 0, NULL,
				 &pages), 1);
	assert_int_equal(ask_all(off, "muang_official", "np/rep/50/5001/50010101/incident", 0,
				 NULL, &pages), 1);
	assert_true(hub_log_has(&hub, "duplicate of a stored message by 'somchai'"));
	tc_close(vol);
	tc_close(off);
}

static void
an_id_of_another_sender_is_refused(void **state)
{
	struct tc *vol = login("somchai"), *other = login("malee");
	Np__Envelope *e;
	uint8_t *buf, *copy;
	size_t len;

	(void)state;
	buf = env_report("mine", &len);
	assert_true(ok_puback(tc_publish(vol, "np/rep/50/5001/50010101/feedback", buf, len, 1)));
	e = np__envelope__unpack(NULL, len, buf);
	e->report->title = strdup("not mine");
	len = np__envelope__get_packed_size(e);
	copy = malloc(len);
	np__envelope__pack(e, copy);
	assert_int_equal(tc_publish(other, "np/rep/50/5001/50010102/feedback", copy, len, 1), 0x87);
	assert_true(hub_log_has(&hub, "the id belongs to another sender's message"));
	np__envelope__free_unpacked(e, NULL);
	free(buf);
	free(copy);
	tc_close(vol);
	tc_close(other);
}

static void
pages_hold_only_what_the_asker_may_read(void **state)
{
	struct tc *vol = login("somchai"), *bkk = login("vol_bkk"), *c;
	size_t pages;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_true(ok_puback(report(vol, "np/rep/50/5001/50010101/outage", "cm", NULL)));
		assert_true(ok_puback(report(bkk, "np/rep/10/1001/10010101/outage", "bkk", NULL)));
	}
	assert_true(ok_puback(report(bkk, "np/rep/10/1001/10010101/need", "bkk need", NULL)));
	c = login("cm_official");
	assert_true(ask_all(c, "cm_official", "np/rep/#", 0, "np/rep/50/", &pages) >= 3);
	tc_close(c);
	c = login("bkk_official");
	assert_int_equal(ask_all(c, "bkk_official", "np/rep/#", 0, "np/rep/10/", &pages), 4);
	tc_close(c);
	c = login("nok");
	assert_int_equal(ask_all(c, "nok", "np/rep/#", 0, NULL, &pages), 0);
	assert_int_equal(pages, 1);
	tc_close(c);
	c = login("nt_national");
	assert_int_equal(ask_all(c, "nt_national", "np/rep/10/#", 0, "np/rep/10/1001/10010101/outage",
				 &pages), 3);
	tc_close(c);
	c = login("ministry");
	assert_true(ask_all(c, "ministry", "np/rep/+/+/+/outage", 0, NULL, &pages) >= 6);
	assert_int_equal(ask_all(c, "ministry", "np/rep/10/#", 0, "np/rep/10/", &pages), 4);
	tc_close(c);
	assert_int_equal(ask_all(bkk, "vol_bkk", "np/rep/#", 0, "np/rep/10/1001/10010101/", &pages),
			 4);
	tc_close(vol);
	tc_close(bkk);
}

static void
a_long_result_comes_in_pages_each_message_once_in_order(void **state)
{
	struct tc *vol = login("vol_5002"), *off = login("d5002_official");
	size_t pages;
	int i;

	(void)state;
	for (i = 0; i < 250; i++)
		assert_true(ok_puback(report(vol, "np/rep/50/5002/50020301/need", "many", NULL)));
	assert_int_equal(ask_all(off, "d5002_official", "np/rep/50/5002/#", 100,
				 "np/rep/50/5002/50020301/need", &pages), 250);
	assert_int_equal(pages, 3);
	assert_int_equal(ask_all(off, "d5002_official", "np/rep/50/5002/#", 0, NULL, &pages), 250);
	assert_int_equal(pages, 3);     /* the default page is 100 */
	tc_close(vol);
	tc_close(off);
}

static void
qos_0_messages_are_stored_in_the_loops_batch(void **state)
{
	struct tc *vol = login("vol_bkk"), *off = login("bkk_official");
	size_t pages, before;
	uint8_t *buf;
	size_t len;
	int i;

	(void)state;
	before = ask_all(off, "bkk_official", "np/rep/10/1001/10010101/need", 0, NULL, &pages);
	for (i = 0; i < 100; i++) {
		buf = env_report("qos 0", &len);
		assert_int_equal(tc_publish(vol, "np/rep/10/1001/10010101/need", buf, len, 0), 0);
		free(buf);
	}
	/* a QoS 1 publish after them commits the batch they are in, at the latest */
	assert_true(ok_puback(report(vol, "np/rep/10/1001/10010101/need", "qos 1", NULL)));
	assert_int_equal(ask_all(off, "bkk_official", "np/rep/10/1001/10010101/need", 0, NULL,
				 &pages), before + 101);
	tc_close(vol);
	tc_close(off);
}

static void
since_and_until_bound_the_time(void **state)
{
	struct tc *vol = login("vol_bkk"), *off = login("bkk_official");
	Np__Envelope *page, *item;
	int64_t t[3];
	struct timespec ts;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		t[i] = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		assert_true(ok_puback(report(vol, "np/rep/10/1001/10010101/incident", "timed", NULL)));
		usleep(30000);
	}
	page = ask(off, "bkk_official", "np/rep/10/1001/10010101/incident", t[1], 0, 0, NULL);
	assert_int_equal(page->history_page->n_items, 2);
	np__envelope__free_unpacked(page, NULL);
	page = ask(off, "bkk_official", "np/rep/10/1001/10010101/incident", t[0], t[2], 0, NULL);
	assert_int_equal(page->history_page->n_items, 2);
	item = np__envelope__unpack(NULL, page->history_page->items[1]->envelope.len,
				    page->history_page->items[1]->envelope.data);
	assert_true(item->received_at_ms < t[2]);
	np__envelope__free_unpacked(item, NULL);
	np__envelope__free_unpacked(page, NULL);
	page = ask(off, "bkk_official", "np/rep/10/1001/10010101/incident", t[0], 0, 1, NULL);
	assert_int_equal(page->history_page->n_items, 1);
	assert_int_equal(page->history_page->next_cursor.len, 8);
	np__envelope__free_unpacked(page, NULL);
	tc_close(vol);
	tc_close(off);
}

static void
a_bad_request_gets_a_page_that_says_what_is_wrong(void **state)
{
	static const struct {
		const char *filter;
		int64_t since, until;
		uint32_t limit;
		const char *error;
	} cases[] = {
		{ "foo/#", 0, 0, 0, "under np/" },
		{ "np/rep/#/x", 0, 0, 0, "'#' must be the last" },
		{ "np/re+p/#", 0, 0, 0, "whole level" },
		{ "np/fish/#", 0, 0, 0, "unknown topic kind" },
		{ "np/rep/#", 0, 0, 5000, "limit" },
		{ "np/rep/#", 2000, 1000, 0, "until must be after since" },
		{ "", 0, 0, 0, "empty" },
	};
	struct tc *c = login("cm_official");
	struct tc_msg m;
	Np__Envelope *page;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		page = ask(c, "cm_official", cases[i].filter, cases[i].since, cases[i].until,
			   cases[i].limit, NULL);
		if (strstr(page->history_page->error, cases[i].error) == NULL)
			fail_msg("filter '%s': error '%s', want '%s'", cases[i].filter,
				 page->history_page->error, cases[i].error);
		np__envelope__free_unpacked(page, NULL);
	}
	/* not a HistoryRequest at all */
	assert_int_equal(tc_publish(c, "$CONTROL/np/v1/history", "\xff\xff\xff", 3, 1), 0);
	assert_true(tc_next(c, &m, 2000));
	page = env_unpack(&m);
	assert_non_null(strstr(page->history_page->error, "not an np.HistoryRequest"));
	np__envelope__free_unpacked(page, NULL);
	tc_msg_free(&m);
	assert_true(hub_alive(&hub));
	tc_close(c);
}

static void
acks_must_name_a_stored_report_of_the_same_village(void **state)
{
	struct tc *vol = login("somchai"), *off = login("cm_official"), *op = login("nt_operator");
	uint8_t outage[16], need[16], unknown[16], *buf;
	size_t len;

	(void)state;
	assert_true(ok_puback(report(vol, "np/rep/50/5001/50010101/outage", "o", outage)));
	assert_true(ok_puback(report(vol, "np/rep/50/5001/50010101/need", "n", need)));
	env_new_id(unknown);
	buf = env_ack(unknown, 1, &len);
	assert_int_equal(tc_publish(off, "np/rep/50/5001/50010101/ack", buf, len, 1), 0x87);
	free(buf);
	buf = env_ack(outage, 1, &len);
	assert_int_equal(tc_publish(off, "np/rep/50/5001/50010102/ack", buf, len, 1), 0x87);
	assert_true(ok_puback(tc_publish(off, "np/rep/50/5001/50010101/ack", buf, len, 1)));
	free(buf);
	buf = env_ack(need, 2, &len);
	assert_int_equal(tc_publish(op, "np/rep/50/5001/50010101/ack", buf, len, 1), 0x87);
	free(buf);
	assert_true(hub_log_has(&hub, "operators acknowledge outage reports only"));
	buf = env_ack(outage, 3, &len);
	assert_true(ok_puback(tc_publish(op, "np/rep/50/5001/50010101/ack", buf, len, 1)));
	free(buf);
	tc_close(vol);
	tc_close(off);
	tc_close(op);
}

/* An announcement on topic by c (msg_type and the one reference ref, when
 * not NULL); its new id into id. The PUBACK's code. */
static int
announce(struct tc *c, const char *topic, const char *title, const char *msg_type,
	 const uint8_t ref[16], uint8_t id[16])
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Announcement a = NP__ANNOUNCEMENT__INIT;
	ProtobufCBinaryData refs[1];
	struct timespec ts;
	uint8_t *buf;
	size_t len;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	e.sent_at_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	a.title = (char *)title;
	if (msg_type != NULL)
		a.msg_type = (char *)msg_type;
	if (ref != NULL) {
		refs[0].data = (uint8_t *)ref;
		refs[0].len = 16;
		a.references = refs;
		a.n_references = 1;
	}
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &a;
	buf = env_pack(&e, &len);
	rc = tc_publish(c, topic, buf, len, 1);
	free(buf);
	return rc;
}

/* One page of filter for user: of the n ids, which it holds (found[i]) and
 * which it marks withdrawn (withdrawn[i]). */
static void
page_marks(struct tc *c, const char *user, const char *filter, const uint8_t (*ids)[16], size_t n,
	   bool *found, bool *withdrawn)
{
	Np__Envelope *page, *item;
	size_t i, j;

	memset(found, 0, n * sizeof(*found));
	memset(withdrawn, 0, n * sizeof(*withdrawn));
	page = ask(c, user, filter, 0, 0, 0, NULL);
	assert_string_equal(page->history_page->error, "");
	assert_int_equal(page->history_page->next_cursor.len, 0);
	for (i = 0; i < page->history_page->n_items; i++) {
		Np__HistoryItem *it = page->history_page->items[i];

		item = np__envelope__unpack(NULL, it->envelope.len, it->envelope.data);
		assert_non_null(item);
		for (j = 0; j < n; j++) {
			if (item->id.len == 16 && memcmp(item->id.data, ids[j], 16) == 0) {
				found[j] = true;
				withdrawn[j] = it->withdrawn;
			}
		}
		np__envelope__free_unpacked(item, NULL);
	}
	np__envelope__free_unpacked(page, NULL);
}

/* DESIGN.md "CAP": an official sees the whole record, the withdrawn
 * announcement marked so (that a feed's catch-up skips it, as the hub
 * withholds it live); a volunteer's page never holds it. */
static void
a_withdrawn_announcement_is_marked_for_officials_and_absent_for_villagers(void **state)
{
	enum { GONE, KEPT, CANCEL, N };
	struct tc *off = login("cm_official"), *vol = login("somchai"), *adm = login("ministry");
	uint8_t ids[N][16];
	bool found[N], withdrawn[N];

	(void)state;
	assert_true(ok_puback(announce(off, "np/ann/50/health", "withdrawn soon", NULL, NULL,
				       ids[GONE])));
	assert_true(ok_puback(announce(off, "np/ann/50/health", "kept", NULL, NULL, ids[KEPT])));
	assert_true(ok_puback(announce(off, "np/ann/50/health", "cancelled", "Cancel", ids[GONE],
				       ids[CANCEL])));
	assert_true(hub_log_has(&hub, "an Update or Cancel by 'cm_official' withdrew 1"));
	page_marks(off, "cm_official", "np/ann/50/health", (const uint8_t (*)[16])ids, N, found,
		   withdrawn);
	assert_true(found[GONE] && found[KEPT] && found[CANCEL]);
	assert_true(withdrawn[GONE]);
	assert_false(withdrawn[KEPT]);
	assert_false(withdrawn[CANCEL]);
	page_marks(adm, "ministry", "np/ann/50/health", (const uint8_t (*)[16])ids, N, found, withdrawn);
	assert_true(found[GONE] && withdrawn[GONE]);
	assert_true(found[CANCEL] && !withdrawn[CANCEL]);
	page_marks(vol, "somchai", "np/ann/50/#", (const uint8_t (*)[16])ids, N, found, withdrawn);
	assert_false(found[GONE]);
	assert_true(found[KEPT] && found[CANCEL]);
	assert_false(withdrawn[KEPT] || withdrawn[CANCEL]);
	tc_close(off);
	tc_close(vol);
	tc_close(adm);
}

/* Publishes n reports, all acknowledged, then kills the broker with SIGKILL
 * and restarts it: every one is still there, and a full resend adds none. */
static void
kill_9_loses_no_acknowledged_message_and_a_resend_adds_none(void **state)
{
	enum { N = 300 };
	struct tc *vol, *off;
	uint8_t *bufs[N];
	size_t lens[N], pages;
	int i;

	(void)state;
	vol = login("vol_bkk");
	for (i = 0; i < N; i++) {
		bufs[i] = env_report("before the crash", &lens[i]);
		assert_true(ok_puback(tc_publish(vol, "np/rep/10/1001/10010101/feedback", bufs[i],
						 lens[i], 1)));
	}
	tc_close(vol);
	assert_int_equal(hub_restart(&hub, true, NULL, NULL), 0);
	off = login("bkk_official");
	assert_int_equal(ask_all(off, "bkk_official", "np/rep/10/1001/10010101/feedback", 0, NULL,
				 &pages), N);
	vol = login("vol_bkk");
	for (i = 0; i < N; i++) {
		assert_true(ok_puback(tc_publish(vol, "np/rep/10/1001/10010101/feedback", bufs[i],
						 lens[i], 1)));
		free(bufs[i]);
	}
	assert_int_equal(ask_all(off, "bkk_official", "np/rep/10/1001/10010101/feedback", 0, NULL,
				 &pages), N);
	assert_int_equal(hub_restart(&hub, false, NULL, NULL), 0);   /* a clean restart too */
	tc_close(off);
	tc_close(vol);
	off = login("bkk_official");
	assert_int_equal(ask_all(off, "bkk_official", "np/rep/10/1001/10010101/feedback", 0, NULL,
				 &pages), N);
	tc_close(off);
}

/* np-admin history export while the broker runs: a filtered range, as CSV
 * and as JSON lines, only the matching messages and all of them. */
static void
export_streams_a_filtered_range_while_the_broker_runs(void **state)
{
	struct tc *vol = login("vol_bkk"), *other = login("somchai");
	char cmd[1024], path[400], line[4096];
	struct timespec ts;
	int64_t since;
	FILE *f;
	int i, rows = 0, header = 0, others = 0;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &ts);
	since = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (i = 0; i < 7; i++) {
		assert_true(ok_puback(report(vol, "np/rep/10/1001/10010101/outage", "ส่งออก, \"csv\"",
					     NULL)));
		assert_true(ok_puback(report(other, "np/rep/50/5001/50010101/outage", "not this",
					     NULL)));
	}
	snprintf(path, sizeof(path), "%s/export.csv", hub.dir);
	snprintf(cmd, sizeof(cmd), "%s --db '%s' history export --filter 'np/rep/10/#' --since %lld "
		 "--format csv > '%s'", getenv("NP_ADMIN") ? getenv("NP_ADMIN") : "build/np-admin",
		 hub.db, (long long)since, path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "received_at_ms,topic,id,", 24) == 0)
			header++;
		else if (strstr(line, ",np/rep/10/1001/10010101/outage,") != NULL
			 && strstr(line, ",vol_bkk,volunteer,10010101,report,\"ส่งออก, \"\"csv\"\"\",")
			 != NULL)
			rows++;
		else
			others++;
	}
	fclose(f);
	assert_int_equal(header, 1);
	assert_int_equal(rows, 7);
	assert_int_equal(others, 0);
	snprintf(cmd, sizeof(cmd), "%s --db '%s' history export --filter 'np/rep/10/#' --since %lld "
		 "| grep -c '\"sender\":{\"username\":\"vol_bkk\",\"role\":\"volunteer\"' "
		 "| grep -qx 7", getenv("NP_ADMIN") ? getenv("NP_ADMIN") : "build/np-admin", hub.db,
		 (long long)since);
	assert_int_equal(system(cmd), 0);
	tc_close(vol);
	tc_close(other);
}

/* Runs last: moves the broker's clock two days on. */
static void
retention_removes_messages_older_than_max_age(void **state)
{
	struct tc *c, *vol;
	size_t pages, before;

	(void)state;
	if (getenv("NP_BROKER_PRELOAD") != NULL)
		skip();         /* libfaketime and the ASan runtime deadlock when both preloaded */
	c = login("ministry");
	before = ask_all(c, "ministry", "np/rep/#", 0, NULL, &pages);
	assert_true(before > 0);
	tc_close(c);
	assert_int_equal(hub_restart(&hub, false, "+2d", "plugin_opt_history_max_age_days 1"), 0);
	assert_true(hub_log_has(&hub, "np: retention removed"));
	c = login("ministry");
	assert_int_equal(ask_all(c, "ministry", "np/rep/#", 0, NULL, &pages), 0);
	vol = login("somchai");
	assert_true(ok_puback(report(vol, "np/rep/50/5001/50010101/outage", "after", NULL)));
	assert_int_equal(ask_all(c, "ministry", "np/rep/#", 0, NULL, &pages), 1);
	tc_close(vol);
	tc_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_resend_is_acknowledged_but_stored_and_delivered_once),
		cmocka_unit_test(an_id_of_another_sender_is_refused),
		cmocka_unit_test(pages_hold_only_what_the_asker_may_read),
		cmocka_unit_test(a_long_result_comes_in_pages_each_message_once_in_order),
		cmocka_unit_test(qos_0_messages_are_stored_in_the_loops_batch),
		cmocka_unit_test(since_and_until_bound_the_time),
		cmocka_unit_test(a_bad_request_gets_a_page_that_says_what_is_wrong),
		cmocka_unit_test(acks_must_name_a_stored_report_of_the_same_village),
		cmocka_unit_test(
			a_withdrawn_announcement_is_marked_for_officials_and_absent_for_villagers),
		cmocka_unit_test(kill_9_loses_no_acknowledged_message_and_a_resend_adds_none),
		cmocka_unit_test(export_streams_a_filtered_range_while_the_broker_runs),
		cmocka_unit_test(retention_removes_messages_older_than_max_age),
	};

	return cmocka_run_group_tests_name("broker_history", tests, setup, teardown);
}
