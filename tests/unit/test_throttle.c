/* test_throttle.c - checks throttle.c with a clock of its own (no broker, no
 * sleeps): a login storm from one address spends only its tokens and leaves a
 * right password in within a second of its end; a locked pair is neither
 * extended nor checked while locked; a full table never frees an address that
 * still owes; IPv6 counts by /64; per-user publish, history and reply budgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "throttle.h"

static struct hub_throttle *
make(void)
{
	struct hub_throttle_opts o = HUB_THROTTLE_DEFAULTS;
	struct hub_throttle *l;

	assert_int_equal(hub_throttle_new(&l, &o), 0);
	return l;
}

/* One attempt that runs the KDF and fails (or is refused before it). */
static int64_t
failed_login(struct hub_throttle *l, const char *user, const char *addr, int64_t now)
{
	enum hub_refusal why;
	int64_t wait = hub_throttle_login_begin(l, user, addr, now, &why);

	if (wait == 0)
		hub_throttle_login_end(l, user, addr, false, now);
	else
		assert_int_not_equal(why, HUB_OK);
	return wait;
}

static void
a_storm_from_one_address_runs_at_most_its_burst_of_kdfs(void **state)
{
	struct hub_throttle *l = make();
	char user[32];
	int i, ran = 0;

	(void)state;
	for (i = 0; i < 10000; i++) {
		snprintf(user, sizeof(user), "nobody%d", i);
		ran += failed_login(l, user, "10.1.2.3", 1000) == 0;
	}
	assert_int_equal(ran, 20);      /* 4 x login_max_failures, all at once */
	hub_throttle_free(l);
}

static void
a_right_password_gets_in_within_a_second_of_the_storm_ending(void **state)
{
	struct hub_throttle *l = make();
	enum hub_refusal why;
	char user[32];
	int i;

	(void)state;
	for (i = 0; i < 500; i++) {     /* many names, so no pair lock stops it first */
		snprintf(user, sizeof(user), "guess%d", i);
		failed_login(l, user, "10.1.2.3", 1000 + i);
	}
	assert_true(hub_throttle_login_begin(l, "nok", "10.1.2.3", 1500, &why) > 0);
	assert_int_equal(why, HUB_R_LOGIN_ADDR);
	/* the storm stops at 1.5 s; a token is back by 2.5 s */
	assert_int_equal(hub_throttle_login_begin(l, "nok", "10.1.2.3", 2501, &why), 0);
	hub_throttle_login_end(l, "nok", "10.1.2.3", true, 2501);
	/* a success gives its token back: the next user behind the NAT goes in too */
	assert_int_equal(hub_throttle_login_begin(l, "nok2", "10.1.2.3", 2502, &why), 0);
	hub_throttle_free(l);
}

static void
retrying_during_a_lock_neither_extends_it_nor_runs_the_kdf(void **state)
{
	struct hub_throttle *l = make();
	enum hub_refusal why;
	int64_t t, wait, first;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_int_equal(failed_login(l, "res", "10.0.0.9", 1000), 0);
	first = hub_throttle_login_begin(l, "res", "10.0.0.9", 1000, &why);
	assert_true(first > 29000 && first <= 30000);   /* login_lockout_s 30 */
	assert_int_equal(why, HUB_R_LOGIN_PAIR_LOCKED);
	for (t = 1000; t < 31000; t += 100) {
		wait = hub_throttle_login_begin(l, "res", "10.0.0.9", t, &why);
		assert_true(wait > 0);
		assert_true(t + wait <= 1000 + first);  /* the end never moves */
	}
	assert_int_equal(hub_throttle_login_begin(l, "res", "10.0.0.9", 31000, &why), 0);
	hub_throttle_free(l);
}

static void
another_address_is_not_locked_by_a_pair_lock(void **state)
{
	struct hub_throttle *l = make();
	enum hub_refusal why;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		failed_login(l, "somchai", "10.0.0.9", 1000);
	assert_true(hub_throttle_login_begin(l, "somchai", "10.0.0.9", 1001, &why) > 0);
	assert_int_equal(hub_throttle_login_begin(l, "somchai", "10.0.0.10", 1001, &why), 0);
	hub_throttle_free(l);
}

static void
the_hub_wide_budget_holds_against_many_addresses(void **state)
{
	struct hub_throttle *l = make();
	char addr[32];
	int i, ran = 0;

	(void)state;
	for (i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "10.9.%d.%d", i / 250, i % 250);
		ran += failed_login(l, "x", addr, 5000) == 0;
	}
	assert_int_equal(ran, 20);      /* 5 x login_kdf_rate (4/s) */
	ran = 0;
	for (i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "10.8.%d.%d", i / 250, i % 250);
		ran += failed_login(l, "x", addr, 6000) == 0;   /* one second later */
	}
	assert_int_equal(ran, 4);
	hub_throttle_free(l);
}

static void
a_full_table_never_frees_an_address_that_still_owes(void **state)
{
	struct hub_throttle *l = make();
	enum hub_refusal why;
	char addr[48];
	int i;

	(void)state;
	/* drain the first address, then fill the table with 65,535 others */
	for (i = 0; i < 30; i++)
		failed_login(l, "x", "10.0.0.1", 0);
	for (i = 0; i < HUB_THROTTLE_MAX_ENTRIES; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:%x:%x::1", i / 65536, i % 65536);
		hub_throttle_login_begin(l, "y", addr, 1, &why);
	}
	/* still spent, not forgotten and refreshed */
	assert_true(hub_throttle_login_begin(l, "x", "10.0.0.1", 2, &why) > 0);
	hub_throttle_free(l);
}

static void
ipv6_addresses_count_by_their_64_prefix(void **state)
{
	struct hub_throttle *l = make();
	char addr[64], user[32];
	int i, ran = 0;

	(void)state;
	for (i = 0; i < 100; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:1:2::%x", i + 1);
		snprintf(user, sizeof(user), "u%d", i);
		ran += failed_login(l, user, addr, 1000) == 0;
	}
	assert_int_equal(ran, 20);
	hub_throttle_free(l);
}

static void
the_publish_rate_refuses_the_excess_with_a_reason(void **state)
{
	struct hub_throttle *l = make();
	char buf[128];
	int i, ok = 0;

	(void)state;
	for (i = 0; i < 300; i++)
		ok += hub_throttle_publish(l, "somchai", 10, 1000) == HUB_OK;
	assert_int_equal(ok, 200);      /* the burst */
	assert_int_equal(hub_throttle_publish(l, "somchai", 10, 1000), HUB_R_RATE_MSGS);
	assert_string_equal(hub_throttle_explain(l, HUB_R_RATE_MSGS, buf, sizeof(buf)),
			    "over the rate limit of 50 messages/s (burst 200)");
	assert_int_equal(hub_throttle_publish(l, "somchai", 10, 1100), HUB_OK);  /* 5 back */
	assert_int_equal(hub_throttle_publish(l, "other", 10, 1100), HUB_OK);
	hub_throttle_free(l);
}

/* A rate refusal says when the same message would pass: at the 50/s default
 * one message is back 20 ms later; a message over the byte burst (2 x
 * rate_bytes) never passes, so its refusal is final (0). */
static void
a_rate_refusal_says_when_the_message_would_pass(void **state)
{
	struct hub_throttle_opts o = HUB_THROTTLE_DEFAULTS;
	struct hub_throttle *l;
	uint32_t ms;
	int i;

	(void)state;
	o.rate_bytes = 1000;
	assert_int_equal(hub_throttle_new(&l, &o), 0);
	for (i = 0; i < 200; i++)
		assert_int_equal(hub_throttle_publish(l, "somchai", 1, 1000), HUB_OK);
	assert_int_equal(hub_throttle_publish(l, "somchai", 1, 1000), HUB_R_RATE_MSGS);
	ms = hub_throttle_retry_ms(l, "somchai", 1, 1000);
	assert_true(ms >= 20 && ms <= 21);
	assert_int_equal(hub_throttle_publish(l, "somchai", 1, 1000 + ms), HUB_OK);
	/* bytes: 1800 of the 2000-byte burst are spent; 900 more need 700 ms */
	assert_int_equal(hub_throttle_publish(l, "nok", 1800, 5000), HUB_OK);
	assert_int_equal(hub_throttle_publish(l, "nok", 900, 5000), HUB_R_RATE_BYTES);
	ms = hub_throttle_retry_ms(l, "nok", 900, 5000);
	assert_true(ms >= 700 && ms <= 701);
	assert_int_equal(hub_throttle_publish(l, "nok", 900, 5000 + ms), HUB_OK);
	/* over the burst: never */
	assert_int_equal(hub_throttle_publish(l, "nok", 2001, 99000), HUB_R_RATE_BYTES);
	assert_int_equal(hub_throttle_retry_ms(l, "nok", 2001, 99000), 0);
	/* a long wait is capped */
	o.rate_msgs = 1;
	o.rate_burst = 1;
	o.rate_bytes = 0;
	hub_throttle_free(l);
	assert_int_equal(hub_throttle_new(&l, &o), 0);
	assert_int_equal(hub_throttle_publish(l, "somchai", 1, 0), HUB_OK);
	assert_int_equal(hub_throttle_publish(l, "somchai", 1, 0), HUB_R_RATE_MSGS);
	ms = hub_throttle_retry_ms(l, "somchai", 1, 0);
	assert_true(ms >= 1000 && ms <= 1001);
	hub_throttle_free(l);
}

static void
history_requests_are_limited_in_number_and_bytes(void **state)
{
	struct hub_throttle *l = make();
	char buf[128];
	int i, ok = 0;

	(void)state;
	for (i = 0; i < 100; i++)
		ok += hub_throttle_request(l, "cm", 1000) == HUB_OK;
	assert_int_equal(ok, 20);
	assert_int_equal(hub_throttle_request(l, "cm", 1000), HUB_R_HISTORY_RATE);
	assert_string_equal(hub_throttle_explain(l, HUB_R_HISTORY_RATE, buf, sizeof(buf)),
			    "over the limit of 5 history requests/s; wait and ask again");
	assert_int_equal(hub_throttle_request(l, "other", 1000), HUB_OK);
	hub_throttle_request_bytes(l, "other", 5u << 20, 1000);      /* 4 MiB burst spent */
	assert_int_equal(hub_throttle_request(l, "other", 1000), HUB_R_HISTORY_BYTES);
	assert_string_equal(hub_throttle_explain(l, HUB_R_HISTORY_BYTES, buf, sizeof(buf)),
			    "over the limit of 2097152 bytes of history/s; wait and ask again");
	assert_int_equal(hub_throttle_request(l, "other", 2000), HUB_OK); /* out of debt */
	hub_throttle_free(l);
}

static void
refusals_told_back_are_limited_per_user(void **state)
{
	struct hub_throttle *l = make();
	int i, told = 0;

	(void)state;
	for (i = 0; i < 1000; i++)
		told += hub_throttle_reply(l, "res", 1000);
	assert_int_equal(told, 20);
	assert_true(hub_throttle_reply(l, "res", 1100));
	assert_false(hub_throttle_reply(l, NULL, 1100));
	hub_throttle_free(l);
}

static void
token_requests_are_limited_per_user_per_minute(void **state)
{
	struct hub_throttle *l = make();
	char why[120];
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_int_equal(hub_throttle_token(l, "somchai", 1000), HUB_OK);
	assert_int_equal(hub_throttle_token(l, "somchai", 1000), HUB_R_TOKEN_RATE);
	assert_int_equal(hub_throttle_token(l, "malee", 1000), HUB_OK);   /* per user */
	assert_int_equal(hub_throttle_token(l, "somchai", 12999), HUB_R_TOKEN_RATE);
	assert_int_equal(hub_throttle_token(l, "somchai", 13000), HUB_OK); /* one per 12 s */
	hub_throttle_explain(l, HUB_R_TOKEN_RATE, why, sizeof(why));
	assert_non_null(strstr(why, " 5 token requests a minute"));
	hub_throttle_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_storm_from_one_address_runs_at_most_its_burst_of_kdfs),
		cmocka_unit_test(a_right_password_gets_in_within_a_second_of_the_storm_ending),
		cmocka_unit_test(retrying_during_a_lock_neither_extends_it_nor_runs_the_kdf),
		cmocka_unit_test(another_address_is_not_locked_by_a_pair_lock),
		cmocka_unit_test(the_hub_wide_budget_holds_against_many_addresses),
		cmocka_unit_test(a_full_table_never_frees_an_address_that_still_owes),
		cmocka_unit_test(ipv6_addresses_count_by_their_64_prefix),
		cmocka_unit_test(the_publish_rate_refuses_the_excess_with_a_reason),
		cmocka_unit_test(a_rate_refusal_says_when_the_message_would_pass),
		cmocka_unit_test(history_requests_are_limited_in_number_and_bytes),
		cmocka_unit_test(refusals_told_back_are_limited_per_user),
		cmocka_unit_test(token_requests_are_limited_per_user_per_minute),
	};

	return cmocka_run_group_tests_name("throttle", tests, NULL, NULL);
}
