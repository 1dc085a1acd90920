/* test_live.c - checks that np-admin's user del, user set (role, area,
 * categories) and user passwd, run while the broker runs, disconnect that
 * user's sessions within a second (asserted within 3 s; the time is printed),
 * that an announcement published right after the change reaches none of
 * them, that the user logs in again at once with its new rights or password
 * (a deleted one cannot, nor does the old password), and that other users
 * stay connected and keep getting what they read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "harness.h"

#define TOPIC "np/ann/50/weather"       /* cm_official announces, all of 50 may read */
#define FILTER "np/ann/50/#"
#define PUBLISHER "cm_official"
#define BYSTANDER "malee"

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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct tc *
login_ok(const char *user)
{
	struct tc *c;
	int rc = -1;

	c = tc_login(&hub, user, 5, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(c);
	return c;
}

static struct tc *
follower(const char *user)
{
	struct tc *c = login_ok(user);

	assert_int_equal(tc_subscribe(c, FILTER, 1), 1);
	return c;
}

/* A PUBACK of success: 0, or 0x10 when no one subscribes. */
static void
assert_accepted(int rc)
{
	if (rc != 0x10)
		assert_int_equal(rc, 0);
}

/* One announcement on TOPIC by the publisher, accepted. */
static void
announce(struct tc *pub, const char *title)
{
	uint8_t *buf;
	size_t len;

	buf = env_announcement(title, &len);
	assert_accepted(tc_publish(pub, TOPIC, buf, len, 1));
	free(buf);
}

static void
assert_gets_one(struct tc *c)
{
	struct tc_msg m;

	assert_true(tc_next(c, &m, 3000));
	assert_string_equal(m.topic, TOPIC);
	tc_msg_free(&m);
}

/* Runs np-admin ARGS (stdin_text on its standard input) with victim following
 * FILTER, then announces at once: victim is disconnected within 3 s having
 * got nothing, the bystander gets the announcement and stays connected. */
static void
change_cuts_the_session(const char *victim, const char *stdin_text, const char *args)
{
	struct tc *v = follower(victim), *b = follower(BYSTANDER), *pub = login_ok(PUBLISHER);
	char cmd[200];
	double t0, t1;

	snprintf(cmd, sizeof(cmd), "%s >/dev/null", args);
	t0 = now_s();
	assert_int_equal(hub_admin(&hub, stdin_text, cmd), 0);
	t1 = now_s();
	announce(pub, "right after the change");
	if (!tc_wait_disconnected(v, 3000))
		hub_print_log(&hub);
	assert_true(tc_wait_disconnected(v, 0));
	printf("# np-admin %s: %s disconnected %.1f ms after np-admin returned (np-admin ran "
	       "%.1f ms; an announcement in between)\n", args, victim, (now_s() - t1) * 1000,
	       (t1 - t0) * 1000);
	assert_true(tc_quiet(v, 0));
	assert_gets_one(b);
	announce(pub, "later");
	assert_gets_one(b);
	assert_false(tc_wait_disconnected(b, 0));
	assert_true(hub_log_has(&hub, "np: user '"));
	tc_close(v);
	tc_close(b);
	tc_close(pub);
}

static void
assert_login_refused(const char *user, const char *pass)
{
	struct tc *c;
	int rc = -1;

	c = tc_connect(&hub, user, pass, 5, &rc);
	if (c != NULL)
		tc_close(c);
	assert_null(c);
	assert_true(rc > 0);
}

static void
a_deleted_user_is_disconnected_and_cannot_log_in_again(void **state)
{
	char pw[96];

	(void)state;
	change_cuts_the_session("somchai", NULL, "user del somchai");
	tc_password_of("somchai", pw, sizeof(pw));
	assert_login_refused("somchai", pw);
}

static void
a_user_moved_to_another_village_logs_in_again_with_the_new_one(void **state)
{
	struct tc *c;

	(void)state;
	change_cuts_the_session("somchai", NULL, "user set somchai --area 50010102");
	c = login_ok("somchai");
	assert_int_equal(tc_subscribe(c, "np/rep/50/5001/50010101/#", 1), 0x87);
	assert_int_equal(tc_subscribe(c, "np/rep/50/5001/50010102/#", 1), 1);
	tc_close(c);
}

static void
a_user_given_another_role_logs_in_again_with_it(void **state)
{
	struct tc *c;
	uint8_t *buf;
	size_t len;

	(void)state;
	change_cuts_the_session("vol_5002", NULL, "user set vol_5002 --role resident");
	c = login_ok("vol_5002");
	assert_int_equal(tc_subscribe(c, FILTER, 1), 1);       /* a resident reads it too */
	buf = env_report("a resident may not report", &len);
	assert_int_equal(tc_publish(c, "np/rep/50/5002/50020301/outage", buf, len, 1), 0x87);
	free(buf);
	tc_close(c);
}

static void
an_agency_given_other_categories_logs_in_again_with_them(void **state)
{
	struct tc *c;
	uint8_t *buf;
	size_t len;

	(void)state;
	change_cuts_the_session("cm_agency", NULL, "user set cm_agency --categories weather");
	c = login_ok("cm_agency");
	buf = env_announcement("health is no longer ours", &len);
	assert_int_equal(tc_publish(c, "np/ann/50/health", buf, len, 1), 0x87);
	free(buf);
	buf = env_announcement("weather is", &len);
	assert_accepted(tc_publish(c, "np/ann/50/weather", buf, len, 1));
	free(buf);
	tc_close(c);
}

static void
a_new_password_cuts_the_old_sessions_and_only_it_logs_in(void **state)
{
	char old[96];
	struct tc *c;
	int rc = -1;

	(void)state;
	change_cuts_the_session("nok", "Nok-New-Pass-7\n",
				"user passwd nok --iterations 1000");
	tc_password_of("nok", old, sizeof(old));
	assert_login_refused("nok", old);
	c = tc_connect(&hub, "nok", "Nok-New-Pass-7", 5, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(c);
	tc_close(c);
}

/* A user changed and logging in again before the broker's next look: the
 * new session, with the new rights, stays; only the old one goes. */
static void
a_login_right_after_the_change_keeps_the_new_session(void **state)
{
	struct tc *old, *fresh;

	(void)state;
	old = follower("somchai");
	assert_int_equal(hub_admin(&hub, NULL, "user set somchai --area 50010102 >/dev/null"), 0);
	fresh = login_ok("somchai");
	assert_true(tc_wait_disconnected(old, 3000));
	assert_false(tc_wait_disconnected(fresh, 1500));
	assert_int_equal(tc_subscribe(fresh, "np/rep/50/5001/50010102/#", 1), 1);
	tc_close(old);
	tc_close(fresh);
}

/* A change that leaves a user's rights as they were (another user added)
 * disconnects no one. */
static void
other_changes_disconnect_no_one(void **state)
{
	struct tc *c;

	(void)state;
	c = follower("somchai");
	assert_int_equal(hub_admin(&hub, "pw-x\n", "user add newcomer --role resident "
				   "--area 50010101 --iterations 1000 >/dev/null"), 0);
	assert_int_equal(hub_admin(&hub, NULL, "user set malee --area 50010101 >/dev/null"), 0);
	assert_false(tc_wait_disconnected(c, 1500));
	tc_close(c);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(a_deleted_user_is_disconnected_and_cannot_log_in_again),
		T(a_user_moved_to_another_village_logs_in_again_with_the_new_one),
		T(a_user_given_another_role_logs_in_again_with_it),
		T(an_agency_given_other_categories_logs_in_again_with_them),
		T(a_new_password_cuts_the_old_sessions_and_only_it_logs_in),
		T(a_login_right_after_the_change_keeps_the_new_session),
		T(other_changes_disconnect_no_one),
	};
#undef T

	return cmocka_run_group_tests_name("live", tests, NULL, NULL);
}
