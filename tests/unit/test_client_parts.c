/* test_client_parts.c - checks the pure parts of libnpclient, without a hub:
 * the topics it builds (topics.c), the ring that hands a message to the feeds
 * once (feed.c), the reconnect backoff schedule (conn.c) and the option table
 * (options.c: defaults, bounds, types, copies). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "np_int.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- topics ---- */

static void
village_topics_split_the_code_into_province_district_village(void **state)
{
	static const struct {
		const char *root, *village, *last, *want;
	} cases[] = {
		{ "rep", "50010101", "outage", "np/rep/50/5001/50010101/outage" },
		{ "rep", "10010101", "ack", "np/rep/10/1001/10010101/ack" },
		{ "status", "50010101", NULL, "np/status/50/5001/50010101" },
		{ "show", "50010203", "product", "np/show/50/5001/50010203/product" },
	};
	char out[160], err[128];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		assert_int_equal(np__topic_village(out, sizeof(out), cases[i].root, cases[i].village,
						   cases[i].last, err, sizeof(err)), NP_OK);
		assert_string_equal(out, cases[i].want);
	}
}

static void
village_topics_refuse_what_is_no_village_or_no_level(void **state)
{
	static const struct {
		const char *village, *last, *why;
	} cases[] = {
		{ "5001010", "need", "the village must be an 8-digit code" },
		{ "500101011", "need", "the village must be an 8-digit code" },
		{ "5001010x", "need", "the village must be an 8-digit code" },
		{ NULL, "need", "the village must be an 8-digit code" },
		{ "50010101", "", "bad kind ''" },
		{ "50010101", "a/b", "bad kind 'a/b'" },
		{ "50010101", "+", "bad kind '+'" },
		{ "50010101", "#", "bad kind '#'" },
		{ "50010101", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		  "bad kind 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'" },
	};
	char out[160], err[128];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		assert_int_equal(np__topic_village(out, sizeof(out), "rep", cases[i].village,
						   cases[i].last, err, sizeof(err)), NP_ERR_INVAL);
		assert_string_equal(err, cases[i].why);
	}
}

static void
announce_dm_and_reply_topics_take_plain_levels(void **state)
{
	char out[160], err[128];

	(void)state;
	assert_int_equal(np__topic_announce(out, sizeof(out), "TH", "weather", err, sizeof(err)),
			 NP_OK);
	assert_string_equal(out, "np/ann/TH/weather");
	assert_int_equal(np__topic_announce(out, sizeof(out), "50/+", "weather", err, sizeof(err)),
			 NP_ERR_INVAL);
	assert_string_equal(err, "bad area or category");
	assert_int_equal(np__topic_announce(out, sizeof(out), "50", NULL, err, sizeof(err)),
			 NP_ERR_INVAL);
	assert_int_equal(np__topic_dm(out, sizeof(out), "cm_official", err, sizeof(err)), NP_OK);
	assert_string_equal(out, "np/dm/cm_official");
	assert_int_equal(np__topic_dm(out, sizeof(out), "a#", err, sizeof(err)), NP_ERR_INVAL);
	assert_string_equal(err, "bad address (a village code or a username)");
	np__topic_reply(out, sizeof(out), "somchai", "error");
	assert_string_equal(out, "np/reply/somchai/error");
	np__topic_reply(out, sizeof(out), NULL, "#");
	assert_string_equal(out, "np/reply//#");
}

static void
a_topic_that_does_not_fit_is_refused_not_cut(void **state)
{
	char out[20], err[128];

	(void)state;
	assert_int_equal(np__topic_village(out, sizeof(out), "rep", "50010101", "outage", err,
					   sizeof(err)), NP_ERR_INVAL);
	assert_string_equal(err, "the topic is too long");
}

/* ---- the feeds' dedup ring ---- */

static void
id_of(uint8_t id[NP_ID_LEN], unsigned n)
{
	memset(id, 0, NP_ID_LEN);
	memcpy(id, &n, sizeof(n));
}

static void
the_ring_hands_an_id_over_once(void **state)
{
	static struct np__ring r;
	uint8_t id[NP_ID_LEN];

	(void)state;
	memset(&r, 0, sizeof(r));
	id_of(id, 7);
	assert_false(np__ring_seen(&r, id));
	assert_true(np__ring_seen(&r, id));
	assert_true(np__ring_seen(&r, id));
	id_of(id, 8);
	assert_false(np__ring_seen(&r, id));
	assert_int_equal(r.n, 2);
}

static void
the_ring_forgets_the_oldest_after_recent_ids(void **state)
{
	static struct np__ring r;
	uint8_t id[NP_ID_LEN];
	unsigned i;

	(void)state;
	memset(&r, 0, sizeof(r));
	for (i = 0; i < NP__RECENT_IDS; i++) {
		id_of(id, i);
		assert_false(np__ring_seen(&r, id));
	}
	id_of(id, 0);
	assert_true(np__ring_seen(&r, id));             /* all NP__RECENT_IDS still known */
	id_of(id, NP__RECENT_IDS);
	assert_false(np__ring_seen(&r, id));            /* takes the place of id 0 */
	id_of(id, 0);
	assert_false(np__ring_seen(&r, id));            /* forgotten: handed over again */
	id_of(id, NP__RECENT_IDS);
	assert_true(np__ring_seen(&r, id));
}

/* ---- backoff ---- */

static void
backoff_doubles_from_half_a_second_to_a_minute_with_jitter(void **state)
{
	static const struct {
		int attempt;
		int64_t full;           /* the delay before jitter */
	} cases[] = {
		{ 0, 500 }, { 1, 1000 }, { 2, 2000 }, { 3, 4000 }, { 4, 8000 }, { 5, 16000 },
		{ 6, 32000 }, { 7, 60000 }, { 8, 60000 }, { 1000, 60000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		/* jitter: from half the delay (random 0) to all of it */
		assert_int_equal(np__backoff_delay(cases[i].attempt, 0), cases[i].full / 2);
		assert_int_equal(np__backoff_delay(cases[i].attempt, (uint32_t)(cases[i].full / 2)),
				 cases[i].full);
		assert_in_range(np__backoff_delay(cases[i].attempt, 0xffffffffu),
				cases[i].full / 2, cases[i].full);
	}
}

/* ---- options ---- */

static void
options_start_at_their_defaults(void **state)
{
	struct np_options *o = np_options_new();

	(void)state;
	assert_non_null(o);
	assert_string_equal(o->host, "127.0.0.1");
	assert_int_equal(o->port, 0);
	assert_int_equal(o->keepalive, 60);
	assert_int_equal(o->outbox_max, 10000);
	assert_int_equal(o->follow_wait_ms, 5000);
	assert_null(o->username);
	assert_null(o->password);
	assert_null(o->client_id);
	assert_null(o->cafile);
	assert_null(o->outbox_dir);
	np_options_free(o);
	np_options_free(NULL);
}

static void
options_refuse_wrong_types_and_values_out_of_range(void **state)
{
	struct np_options *o = np_options_new();

	(void)state;
	assert_int_equal(np_options_set_int(o, NP_OPT_PORT, 65536), NP_ERR_INVAL);
	assert_int_equal(np_options_set_int(o, NP_OPT_PORT, -1), NP_ERR_INVAL);
	assert_int_equal(np_options_set_int(o, NP_OPT_PORT, 8883), NP_OK);
	assert_int_equal(o->port, 8883);
	assert_int_equal(np_options_set_int(o, NP_OPT_KEEPALIVE, 4), NP_ERR_INVAL);
	assert_int_equal(np_options_set_int(o, NP_OPT_OUTBOX_MAX, 0), NP_ERR_INVAL);
	assert_int_equal(np_options_set_int(o, NP_OPT_FOLLOW_WAIT_MS, 0), NP_ERR_INVAL);
	assert_int_equal(np_options_set_int(o, NP_OPT_FOLLOW_WAIT_MS, 250), NP_OK);
	assert_int_equal(o->follow_wait_ms, 250);
	assert_int_equal(np_options_set_int(o, NP_OPT_HOST, 1), NP_ERR_INVAL);
	assert_int_equal(np_options_set_string(o, NP_OPT_PORT, "1883"), NP_ERR_INVAL);
	assert_int_equal(np_options_set_string(o, (enum np_option)999, "x"), NP_ERR_INVAL);
	assert_int_equal(np_options_set_int(NULL, NP_OPT_PORT, 1), NP_ERR_INVAL);
	assert_int_equal(o->port, 8883);                /* unchanged by the refusals */
	np_options_free(o);
}

static void
options_copy_their_strings(void **state)
{
	struct np_options *o = np_options_new(), copy;
	char user[] = "somchai";

	(void)state;
	assert_int_equal(np_options_set_string(o, NP_OPT_USERNAME, user), NP_OK);
	user[0] = 'X';                                  /* the caller's buffer changes */
	assert_string_equal(o->username, "somchai");
	assert_int_equal(np__options_copy(&copy, o), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_USERNAME, NULL), NP_OK);
	assert_null(o->username);
	assert_string_equal(copy.username, "somchai");
	assert_string_equal(copy.host, "127.0.0.1");
	assert_int_equal(copy.keepalive, 60);
	np__options_clear(&copy);
	assert_null(copy.host);
	np_options_free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(village_topics_split_the_code_into_province_district_village),
		cmocka_unit_test(village_topics_refuse_what_is_no_village_or_no_level),
		cmocka_unit_test(announce_dm_and_reply_topics_take_plain_levels),
		cmocka_unit_test(a_topic_that_does_not_fit_is_refused_not_cut),
		cmocka_unit_test(the_ring_hands_an_id_over_once),
		cmocka_unit_test(the_ring_forgets_the_oldest_after_recent_ids),
		cmocka_unit_test(backoff_doubles_from_half_a_second_to_a_minute_with_jitter),
		cmocka_unit_test(options_start_at_their_defaults),
		cmocka_unit_test(options_refuse_wrong_types_and_values_out_of_range),
		cmocka_unit_test(options_copy_their_strings),
	};

	return cmocka_run_group_tests_name("client_parts", tests, NULL, NULL);
}
