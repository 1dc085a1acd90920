/* test_scoped_admin.c - checks that an admin scoped to a province or a district
 * (DESIGN.md "Admins may be scoped") subscribes and receives what is within
 * its scope only, and no $SYS, while the TH admin still reads everything: two
 * scoped admins added with np-admin to a running hub, filters and deliveries
 * of reports from villages inside and outside their scopes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define OK 1            /* granted, QoS 1 as asked */
#define NO 0x87         /* MQTT 5: not authorized */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct hub hub;
static bool all_passed = true;

static int
setup(void **state)
{
	(void)state;
	if (hub_start(&hub, NULL) != 0)
		return -1;
	if (hub_admin(&hub, "adm_50-pw\n", "user add adm_50 --role admin --area 50 "
		      "--iterations 1000") != 0
	    || hub_admin(&hub, "adm_5001-pw\n", "user add adm_5001 --role admin --area 5001 "
			 "--iterations 1000") != 0) {
		hub_print_log(&hub);
		hub_stop(&hub);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (!all_passed)
		hub_print_log(&hub);
	hub_stop(&hub);
	return 0;
}

static struct tc *
login(const char *user)
{
	int rc;
	struct tc *c = tc_login(&hub, user, 5, &rc);

	if (c == NULL) {
		fprintf(stderr, "# %s cannot log in: CONNACK %d\n", user, rc);
		fail();
	}
	return c;
}

static void
scoped_admins_subscribe_within_their_scope_and_the_th_admin_everywhere(void **state)
{
	enum { SCOPE_P, SCOPE_D, SCOPE_TH };
	static const char *const names[] = { "adm_50", "adm_5001", "admin" };
	static const struct {
		int who;
		const char *filter;
		int want;
	} rows[] = {
		{ SCOPE_P, "np/rep/50/#", OK },
		{ SCOPE_P, "np/ann/50/#", OK },
		{ SCOPE_P, "np/status/50/#", OK },
		{ SCOPE_P, "np/show/50/#", OK },
		{ SCOPE_P, "np/dm/50010101", OK },
		{ SCOPE_P, "np/reply/adm_50/#", OK },
		{ SCOPE_P, "np/rep/#", NO },
		{ SCOPE_P, "np/rep/10/#", NO },
		{ SCOPE_P, "np/ann/TH/#", NO },
		{ SCOPE_P, "np/dm/#", NO },
		{ SCOPE_P, "np/#", NO },
		{ SCOPE_P, "#", NO },
		{ SCOPE_P, "$SYS/#", NO },
		{ SCOPE_D, "np/rep/50/5001/#", OK },
		{ SCOPE_D, "np/ann/5001/#", OK },
		{ SCOPE_D, "np/rep/50/#", NO },
		{ SCOPE_D, "np/rep/50/5002/#", NO },
		{ SCOPE_D, "np/ann/50/#", NO },
		{ SCOPE_D, "$SYS/#", NO },
		{ SCOPE_TH, "#", OK },
		{ SCOPE_TH, "$SYS/#", OK },
	};
	struct tc *c[3] = { login(names[0]), login(names[1]), login(names[2]) };
	size_t i;
	int got, bad = 0;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		got = tc_subscribe(c[rows[i].who], rows[i].filter, 1);
		if (got != rows[i].want) {
			fprintf(stderr, "# %s subscribes '%s': expected SUBACK 0x%02x, got 0x%02x\n",
				names[rows[i].who], rows[i].filter, (unsigned)rows[i].want,
				(unsigned)got);
			bad++;
		}
	}
	for (i = 0; i < 3; i++)
		tc_close(c[i]);
	if (bad != 0)
		all_passed = false;
	assert_int_equal(bad, 0);
}

/* r publishes an outage report of village path (P/D/V). */
static void
report(struct tc *r, const char *path)
{
	char topic[96];
	uint8_t *buf;
	size_t len;
	int rc;

	snprintf(topic, sizeof(topic), "np/rep/%s/outage", path);
	buf = env_report("no power", &len);
	rc = tc_publish(r, topic, buf, len, 1);
	free(buf);
	if (rc != 0 && rc != 0x10)
		fail_msg("publishing %s: PUBACK 0x%02x", topic, (unsigned)rc);
}

/* c receives exactly one message, on topic. */
static void
receives(struct tc *c, const char *who, const char *topic)
{
	struct tc_msg m;

	if (!tc_next(c, &m, 2000))
		fail_msg("%s got nothing; expected %s", who, topic);
	if (strcmp(m.topic, topic) != 0) {
		all_passed = false;
		fail_msg("%s got %s; expected %s", who, m.topic, topic);
	}
	tc_msg_free(&m);
}

static void
scoped_admins_receive_reports_from_within_their_scope_only(void **state)
{
	struct tc *p = login("adm_50"), *d = login("adm_5001");
	struct tc *own = login("somchai"), *other = login("vol_5002");

	(void)state;
	assert_int_equal(tc_subscribe(p, "np/rep/50/#", 1), OK);
	assert_int_equal(tc_subscribe(d, "np/rep/50/5001/#", 1), OK);
	report(own, "50/5001/50010101");
	receives(p, "adm_50", "np/rep/50/5001/50010101/outage");
	receives(d, "adm_5001", "np/rep/50/5001/50010101/outage");
	report(other, "50/5002/50020301");
	receives(p, "adm_50", "np/rep/50/5002/50020301/outage");
	if (!tc_quiet(d, 500)) {
		all_passed = false;
		fail_msg("adm_5001 got a report of district 5002");
	}
	tc_close(p);
	tc_close(d);
	tc_close(own);
	tc_close(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scoped_admins_subscribe_within_their_scope_and_the_th_admin_everywhere),
		cmocka_unit_test(scoped_admins_receive_reports_from_within_their_scope_only),
	};

	return cmocka_run_group_tests_name("broker_scoped_admin", tests, setup, teardown);
}
