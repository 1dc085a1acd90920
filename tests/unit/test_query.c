/* test_query.c - checks query.c's history pages against a real history (no
 * broker, no sleeps): for every role and a set of filters, a page holds
 * exactly the stored messages the filter matches and acl.c lets that role
 * read, in arrival order, byte for byte as stored; limits, byte caps and the
 * read budget end a page with a cursor that the next page resumes from;
 * malformed or out-of-range requests get a page with only the reason. */
#define _GNU_SOURCE             /* unshare, for tmpdb.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "np.pb-c.h"
#include "query.h"
#include "tmpdb.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct tmpdb db;
static struct hub_history *h;

static const char *const sample[] = {
	"np/rep/50/5001/50010101/outage", "np/ann/TH/weather", "np/rep/50/5001/50010101/need",
	"np/status/50/5001/50010101", "np/dm/50010101", "np/rep/50/5001/50010101/ack",
	"np/rep/50/5001/50010102/incident", "np/ann/50/health", "np/rep/10/1001/10010101/outage",
	"np/show/50/5001/50010101/product", "np/ann/5001/agriculture", "np/dm/cm_official",
	"np/status/10/1001/10010101", "np/ann/50010101/event", "np/show/10/1001/10010101/place",
	"np/ann/10/weather", "np/dm/50010102", "np/ann/50010102/general", "np/dm/ministry",
	"np/rep/50/5002/50020301/feedback", "np/ann/50/agriculture", "np/ann/TH/network",
};

static const struct hub_principal roles[] = {
	{ "somchai", HUB_ROLE_VOLUNTEER, "50010101", 0 },
	{ "vol_bkk", HUB_ROLE_VOLUNTEER, "10010101", 0 },
	{ "nok", HUB_ROLE_RESIDENT, "50010101", 0 },
	{ "ministry", HUB_ROLE_OFFICIAL, "TH", 0 },
	{ "cm_official", HUB_ROLE_OFFICIAL, "50", 0 },
	{ "muang_official", HUB_ROLE_OFFICIAL, "5001", 0 },
	{ "agri_agency", HUB_ROLE_AGENCY, "TH", 1u << 1 },
	{ "cm_agency", HUB_ROLE_AGENCY, "50", 1u << 2 },
	{ "nt_national", HUB_ROLE_OPERATOR, "TH", 0 },
	{ "nt_operator", HUB_ROLE_OPERATOR, "50", 0 },
	{ "admin", HUB_ROLE_ADMIN, "TH", 0 },
};

static const char *const filters[] = {
	"#", "np/#", "np/+/50/#", "np/rep/#", "np/rep/50/#", "np/rep/50/5001/50010101/#",
	"np/rep/+/+/+/outage", "np/ann/#", "np/ann/+/+", "np/ann/50/#", "np/status/#",
	"np/show/+/+/+/product", "np/dm/+", "np/dm/50010101", "np/dm/cm_official", "+/+/TH/+",
};

static uint8_t *
stored_envelope(size_t i, size_t pad, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__DirectMessage dm = NP__DIRECT_MESSAGE__INIT;
	uint8_t id[16] = { 0xab }, *buf;
	char *text = calloc(1, pad + 32);

	assert_non_null(text);
	snprintf(text, 32, "message %zu", i);
	memset(text + strlen(text), '.', pad);
	id[14] = (uint8_t)(i >> 8);
	id[15] = (uint8_t)i;
	e.id.data = id;
	e.id.len = 16;
	e.received_at_ms = 1000 + (int64_t)i;
	e.body_case = NP__ENVELOPE__BODY_DM;    /* what is stored is not re-read */
	e.dm = &dm;
	dm.text = text;
	*len = np__envelope__get_packed_size(&e);
	buf = malloc(*len);
	assert_non_null(buf);
	np__envelope__pack(&e, buf);
	free(text);
	return buf;
}

/* Stores message i on topic at 1000 + i ms. */
static void
store(size_t i, const char *topic, size_t pad)
{
	uint8_t id[16] = { 0xab }, *buf;
	size_t len;

	id[14] = (uint8_t)(i >> 8);
	id[15] = (uint8_t)i;
	buf = stored_envelope(i, pad, &len);
	if (hub_history_put(h, hub_history_next_hid(h, 1000 + (int64_t)i), topic, id, "somchai",
			    buf, len) != 0)
		fail_msg("put %s: %s", topic, hub_history_error(h));
	free(buf);
}

static void
store_sample(void)
{
	size_t i;

	for (i = 0; i < COUNT(sample); i++)
		store(i, sample[i], 0);
	assert_int_equal(hub_history_commit(h), 0);
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	tmpdb_open(&db);
	if (hub_history_open(&h, db.s, 0, err, sizeof(err)) != 0)
		fail_msg("history: %s", err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	hub_history_close(h);
	tmpdb_close(&db);
	return 0;
}

struct req {
	const char *filter;
	int64_t since_ms, until_ms;
	uint32_t limit;
	const uint8_t *cursor;
	size_t cursor_len;
	const char *correlation_id;
};

/* Asks r as p; returns the page's Envelope (free with np__envelope__free_unpacked). */
static Np__Envelope *
ask(const struct hub_principal *p, const struct req *r)
{
	Np__HistoryRequest q = NP__HISTORY_REQUEST__INIT;
	Np__Envelope *e;
	uint8_t buf[1024], *out;
	size_t len, out_len;

	q.filter = (char *)r->filter;
	q.since_ms = r->since_ms;
	q.until_ms = r->until_ms;
	q.limit = r->limit;
	q.cursor.data = (uint8_t *)r->cursor;
	q.cursor.len = r->cursor_len;
	q.correlation_id = (char *)(r->correlation_id ? r->correlation_id : "");
	len = np__history_request__pack(&q, buf);
	assert_true(len < sizeof(buf));
	out = hub_query_answer(h, p, buf, len, 5000, &out_len);
	assert_non_null(out);
	e = np__envelope__unpack(NULL, out_len, out);
	free(out);
	assert_non_null(e);
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_HISTORY_PAGE);
	assert_int_equal(e->received_at_ms, 5000);
	return e;
}

/* The page's topics, space-separated. */
static void
topics_of(const Np__HistoryPage *pg, char *out, size_t n)
{
	size_t i, at = 0;

	out[0] = '\0';
	for (i = 0; i < pg->n_items && at < n; i++)
		at += (size_t)snprintf(out + at, n - at, "%s%s", i ? " " : "", pg->items[i]->topic);
}

/* What p may get for filter: the sample's matching, readable topics in order. */
static void
expected(const struct hub_principal *p, const char *filter, char *out, size_t n)
{
	size_t i, at = 0;

	out[0] = '\0';
	for (i = 0; i < COUNT(sample) && at < n; i++) {
		if (hub_topic_matches(filter, sample[i])
		    && hub_acl_check(p, HUB_READ, sample[i], NULL) == HUB_OK)
			at += (size_t)snprintf(out + at, n - at, "%s%s", at ? " " : "", sample[i]);
	}
}

static void
every_role_gets_exactly_what_it_may_read_of_every_filter(void **state)
{
	char got[2048], want[2048];
	struct req r = { 0 };
	Np__Envelope *e;
	size_t i, j, fails = 0;

	(void)state;
	store_sample();
	r.limit = HUB_QUERY_MAX_LIMIT;
	for (i = 0; i < COUNT(roles); i++) {
		for (j = 0; j < COUNT(filters); j++) {
			r.filter = filters[j];
			e = ask(&roles[i], &r);
			topics_of(e->history_page, got, sizeof(got));
			expected(&roles[i], filters[j], want, sizeof(want));
			if (strcmp(got, want) != 0 || e->history_page->error[0] != '\0'
			    || e->history_page->next_cursor.len != 0) {
				fprintf(stderr, "# %s asks %s: got '%s'%s, may read '%s'\n",
					roles[i].username, filters[j], got, e->history_page->error,
					want);
				fails++;
			}
			np__envelope__free_unpacked(e, NULL);
		}
	}
	assert_int_equal(fails, 0);
}

static void
items_are_the_stored_envelopes_byte_for_byte(void **state)
{
	struct req r = { "np/dm/+", 0, 0, 0, NULL, 0, "c-1" };
	Np__Envelope *e;
	uint8_t *want;
	size_t len;

	(void)state;
	store_sample();
	e = ask(&roles[10], &r);
	assert_string_equal(e->history_page->correlation_id, "c-1");
	assert_int_equal(e->history_page->n_items, 4);
	assert_string_equal(e->history_page->items[0]->topic, "np/dm/50010101");
	want = stored_envelope(4, 0, &len);
	assert_int_equal(e->history_page->items[0]->envelope.len, len);
	assert_memory_equal(e->history_page->items[0]->envelope.data, want, len);
	free(want);
	np__envelope__free_unpacked(e, NULL);
}

/* Pages through filter as p with limit; returns every topic and the page count. */
static size_t
page_through(const struct hub_principal *p, struct req *r, char *all, size_t n)
{
	uint8_t cursor[8];
	char got[2048];
	Np__Envelope *e;
	size_t pages = 0;
	bool more;

	all[0] = '\0';
	r->cursor = NULL;
	r->cursor_len = 0;
	do {
		e = ask(p, r);
		assert_string_equal(e->history_page->error, "");
		topics_of(e->history_page, got, sizeof(got));
		assert_true(strlen(all) + strlen(got) + 2 < n);
		if (all[0] != '\0' && got[0] != '\0')
			strcat(all, " ");
		strcat(all, got);
		more = e->history_page->next_cursor.len != 0;
		if (more) {
			assert_int_equal(e->history_page->next_cursor.len, 8);
			memcpy(cursor, e->history_page->next_cursor.data, 8);
			r->cursor = cursor;
			r->cursor_len = 8;
		}
		np__envelope__free_unpacked(e, NULL);
		pages++;
	} while (more && pages < 100);
	return pages;
}

static void
a_limit_ends_the_page_and_the_cursor_resumes_after_it(void **state)
{
	char all[4096], want[4096];
	struct req r = { "#", 0, 0, 3, NULL, 0, NULL };
	size_t i;

	(void)state;
	store_sample();
	for (i = 0; i < COUNT(roles); i++) {
		r.limit = 3;
		page_through(&roles[i], &r, all, sizeof(all));
		expected(&roles[i], "#", want, sizeof(want));
		assert_string_equal(all, want);
	}
	r.limit = 3;
	assert_int_equal(page_through(&roles[10], &r, all, sizeof(all)), COUNT(sample) / 3 + 1);
}

static void
since_and_until_bound_the_page(void **state)
{
	struct req r = { "np/ann/#", 1001, 1010, 0, NULL, 0, NULL };
	char got[1024];
	Np__Envelope *e;

	(void)state;
	store_sample();
	e = ask(&roles[0], &r);                 /* somchai: its branch */
	topics_of(e->history_page, got, sizeof(got));
	assert_string_equal(got, "np/ann/TH/weather np/ann/50/health");
	np__envelope__free_unpacked(e, NULL);
}

static void
a_page_stays_within_its_byte_cap(void **state)
{
	struct req r = { "np/dm/50010101", 0, 0, 0, NULL, 0, NULL };
	char all[4096];
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++)
		store(i, "np/dm/50010101", HUB_QUERY_MAX_BYTES / 3);
	assert_int_equal(hub_history_commit(h), 0);
	/* two a page: the one that does not fit starts the next page */
	assert_int_equal(page_through(&roles[0], &r, all, sizeof(all)), 3);
	assert_string_equal(all, "np/dm/50010101 np/dm/50010101 np/dm/50010101 np/dm/50010101 "
			    "np/dm/50010101");
}

static void
a_query_reads_at_most_its_budget_and_says_there_is_more(void **state)
{
	struct req r = { "np/rep/+/+/+/need", 0, 0, 0, NULL, 0, NULL };
	uint8_t cursor[8];
	Np__Envelope *e;
	size_t i;

	(void)state;
	for (i = 0; i < HUB_QUERY_BUDGET + 10; i++)
		store(i, "np/rep/50/5001/50010101/outage", 0);
	store(i, "np/rep/50/5001/50010101/need", 0);
	assert_int_equal(hub_history_commit(h), 0);
	e = ask(&roles[10], &r);
	assert_int_equal(e->history_page->n_items, 0);
	assert_int_equal(e->history_page->next_cursor.len, 8);
	memcpy(cursor, e->history_page->next_cursor.data, 8);
	np__envelope__free_unpacked(e, NULL);
	r.cursor = cursor;
	r.cursor_len = 8;
	e = ask(&roles[10], &r);
	assert_int_equal(e->history_page->n_items, 1);
	assert_int_equal(e->history_page->next_cursor.len, 0);
	np__envelope__free_unpacked(e, NULL);
}

static void
a_refused_request_gets_a_page_with_only_the_reason(void **state)
{
	static const uint8_t three[3] = { 1, 2, 3 };
	static char long_filter[600], long_id[200];
	const struct {
		struct req r;
		const char *why;
	} rows[] = {
		{ { "np/#", -1, 0, 0, NULL, 0, "a" }, "since and until must not be negative" },
		{ { "np/#", 0, -5, 0, NULL, 0, "a" }, "since and until must not be negative" },
		{ { "np/#", 2000, 2000, 0, NULL, 0, "a" }, "until must be after since" },
		{ { "np/#", 0, 0, 0, three, 3, "a" }, "the cursor is not one this hub gave" },
		{ { "np/#", 0, 0, 1001, NULL, 0, "a" }, "limit is over 1000 (the hub's page size cap)" },
		{ { long_filter, 0, 0, 0, NULL, 0, "a" }, "the filter is over 512 bytes" },
		{ { "np/\xff/#", 0, 0, 0, NULL, 0, "a" }, "the filter is not UTF-8" },
		{ { "np/#", 0, 0, 0, NULL, 0, long_id },
		  "the correlation id is over 128 bytes or not UTF-8" },
		{ { "foo/#", 0, 0, 0, NULL, 0, "a" }, "the filter must be under np/" },
		{ { "", 0, 0, 0, NULL, 0, "a" }, "the filter is empty" },
		{ { "np/#/x", 0, 0, 0, NULL, 0, "a" }, "'#' must be the last level of a filter" },
	};
	Np__Envelope *e;
	size_t i;

	(void)state;
	store_sample();
	memset(long_filter, 'a', sizeof(long_filter) - 1);
	memcpy(long_filter, "np/", 3);
	memset(long_id, 'c', sizeof(long_id) - 1);
	for (i = 0; i < COUNT(rows); i++) {
		e = ask(&roles[10], &rows[i].r);
		if (strcmp(e->history_page->error, rows[i].why) != 0)
			fail_msg("row %zu: '%s', expected '%s'", i, e->history_page->error,
				 rows[i].why);
		assert_int_equal(e->history_page->n_items, 0);
		assert_int_equal(e->history_page->next_cursor.len, 0);
		/* a valid correlation id comes back even with an error */
		assert_string_equal(e->history_page->correlation_id, rows[i].r.correlation_id == long_id
				    ? "" : rows[i].r.correlation_id);
		np__envelope__free_unpacked(e, NULL);
	}
}

static void
bytes_that_are_no_request_get_a_page_that_says_so(void **state)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t unknown[] = { 0x0a, 0x01, '#', 0xf8, 0x01, 0x01 };    /* field 31 */
	static const uint8_t with_nul[] = { 0x0a, 0x03, 'n', 0, 'p' };
	const struct {
		const uint8_t *b;
		size_t len;
		const char *why;
	} rows[] = {
		{ junk, sizeof(junk), "the request is not an np.HistoryRequest" },
		{ unknown, sizeof(unknown), "the request has unknown fields" },
		{ with_nul, sizeof(with_nul),
		  "the request holds a NUL byte or is not canonically encoded" },
	};
	Np__Envelope *e;
	uint8_t *out;
	size_t i, len;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		out = hub_query_answer(h, &roles[10], rows[i].b, rows[i].len, 7, &len);
		assert_non_null(out);
		e = np__envelope__unpack(NULL, len, out);
		free(out);
		assert_non_null(e);
		assert_string_equal(e->history_page->error, rows[i].why);
		assert_int_equal(e->history_page->n_items, 0);
		np__envelope__free_unpacked(e, NULL);
	}
	out = hub_query_refusal("too many history requests", 9, &len);
	assert_non_null(out);
	e = np__envelope__unpack(NULL, len, out);
	free(out);
	assert_non_null(e);
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_HISTORY_PAGE);
	assert_string_equal(e->history_page->error, "too many history requests");
	assert_int_equal(e->history_page->n_items, 0);
	assert_int_equal(e->received_at_ms, 9);
	np__envelope__free_unpacked(e, NULL);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(every_role_gets_exactly_what_it_may_read_of_every_filter),
		T(items_are_the_stored_envelopes_byte_for_byte),
		T(a_limit_ends_the_page_and_the_cursor_resumes_after_it),
		T(since_and_until_bound_the_page),
		T(a_page_stays_within_its_byte_cap),
		T(a_query_reads_at_most_its_budget_and_says_there_is_more),
		T(a_refused_request_gets_a_page_with_only_the_reason),
		T(bytes_that_are_no_request_get_a_page_that_says_so),
	};
#undef T

	return cmocka_run_group_tests_name("query", tests, NULL, NULL);
}
