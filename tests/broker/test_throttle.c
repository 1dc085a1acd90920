/* test_throttle.c - checks that repeated failed logins are locked out before
 * the KDF runs and logged, that a storm of wrong passwords neither locks out a
 * volunteer whose password the hub knows nor slows other users' logins, and
 * that per-user message and byte rates refuse the excess with a reason. */
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
	return hub_start(&hub, "plugin_opt_login_max_failures 5\nplugin_opt_login_lockout_s 2\n"
			 "plugin_opt_rate_msgs 5\nplugin_opt_rate_burst 5\n"
			 "plugin_opt_rate_bytes 4000");
}

static int
teardown(void **state)
{
	(void)state;
	hub_stop(&hub);
	return 0;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static bool
can_login(const char *user, const char *pass)
{
	int rc;
	struct tc *c = tc_connect(&hub, user, pass, 5, &rc);

	tc_close(c);
	return c != NULL;
}

static void
a_storm_of_wrong_passwords_is_locked_out_before_the_kdf(void **state)
{
	struct timespec t0;
	double storm_ms;
	int i;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 200; i++)
		assert_false(can_login("vol_bkk", "guess"));
	storm_ms = ms_since(&t0);
	assert_true(hub_log_has(&hub, "np: login refused for 'vol_bkk' from 127.0.0.1: too many "
				"failed logins, locked for"));
	print_message("# 200 wrong logins took %.0f ms (%.2f ms each)\n", storm_ms, storm_ms / 200);
	/* the address is locked too now (20 failures); its lock doubles up to 64 x 2 s */
	assert_false(can_login("nok", "nok-demo"));
	assert_true(hub_log_has(&hub, "np: login refused for 'nok' from 127.0.0.1: too many"));
	assert_true(can_login("somchai", "somchai-demo"));     /* known: still in */
}

static void
a_known_volunteer_is_not_locked_out_by_a_storm(void **state)
{
	int i;

	(void)state;
	assert_true(can_login("somchai", "somchai-demo"));      /* the hub now knows it */
	for (i = 0; i < 30; i++)
		assert_false(can_login("somchai", "attacker-guess"));
	assert_true(hub_log_has(&hub, "np: login refused for 'somchai' from 127.0.0.1: too many"));
	assert_true(can_login("somchai", "somchai-demo"));
	assert_false(can_login("somchai", "attacker-guess"));
}

static void
an_unknown_password_waits_for_the_lock_to_lapse(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_false(can_login("res_bkk", "nope"));
	/* locked: even the right password (never verified since the start) waits */
	assert_false(can_login("res_bkk", "res_bkk-pw"));
	assert_true(hub_log_has(&hub, "np: login refused for 'res_bkk' from 127.0.0.1: too many"));
	sleep(5);       /* 6 failures: locked 4 s */
	assert_true(can_login("res_bkk", "res_bkk-pw"));
}

static int
publish_report(struct tc *c, const char *topic, size_t title_len)
{
	char *title = malloc(title_len + 1);
	uint8_t *buf;
	size_t len;
	int rc;

	memset(title, 'x', title_len);
	title[title_len] = '\0';
	buf = env_report(title, &len);
	rc = tc_publish(c, topic, buf, len, 1);
	free(buf);
	free(title);
	return rc;
}

static void
a_user_over_the_message_rate_is_refused_with_a_reason(void **state)
{
	struct tc *vol, *other;
	struct tc_msg m;
	Np__Envelope *e;
	int rc, i, accepted = 0, refused = 0;

	(void)state;
	vol = tc_connect(&hub, "malee", "malee-demo", 5, &rc);
	other = tc_connect(&hub, "somchai", "somchai-demo", 5, &rc);
	assert_non_null(vol);
	assert_non_null(other);
	for (i = 0; i < 10; i++) {
		rc = publish_report(vol, "np/rep/50/5001/50010102/need", 10);
		accepted += rc == 0 || rc == 0x10;
		refused += rc == 0x87;
	}
	assert_int_equal(accepted, 5);
	assert_int_equal(refused, 5);
	assert_true(tc_next(vol, &m, 2000));
	assert_string_equal(m.topic, "np/reply/malee/error");
	e = env_unpack(&m);
	assert_non_null(strstr(e->refusal->reason, "over the rate limit of 5 messages/s"));
	np__envelope__free_unpacked(e, NULL);
	tc_msg_free(&m);
	/* another user is not affected */
	rc = publish_report(other, "np/rep/50/5001/50010101/need", 10);
	assert_true(rc == 0 || rc == 0x10);
	sleep(1);
	rc = publish_report(vol, "np/rep/50/5001/50010102/need", 10);
	assert_true(rc == 0 || rc == 0x10);
	tc_close(vol);
	tc_close(other);
}

static void
a_user_over_the_byte_rate_is_refused(void **state)
{
	struct tc *vol;
	int rc;

	(void)state;
	vol = tc_connect(&hub, "vol_5002", "vol_5002-pw", 5, &rc);
	assert_non_null(vol);
	rc = publish_report(vol, "np/rep/50/5002/50020301/need", 3000);
	assert_true(rc == 0 || rc == 0x10);
	rc = publish_report(vol, "np/rep/50/5002/50020301/need", 3000);
	assert_true(rc == 0 || rc == 0x10);
	assert_int_equal(publish_report(vol, "np/rep/50/5002/50020301/need", 3000), 0x87);
	assert_true(hub_log_has(&hub, "over the rate limit of 4000 bytes/s"));
	tc_close(vol);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* in this order: each login test locks 127.0.0.1 harder than the last */
		cmocka_unit_test(a_user_over_the_message_rate_is_refused_with_a_reason),
		cmocka_unit_test(a_user_over_the_byte_rate_is_refused),
		cmocka_unit_test(an_unknown_password_waits_for_the_lock_to_lapse),
		cmocka_unit_test(a_known_volunteer_is_not_locked_out_by_a_storm),
		cmocka_unit_test(a_storm_of_wrong_passwords_is_locked_out_before_the_kdf),
	};

	return cmocka_run_group_tests_name("broker_throttle", tests, setup, teardown);
}
