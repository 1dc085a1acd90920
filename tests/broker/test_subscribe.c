/* test_subscribe.c - checks that the hub grants a subscription filter exactly when
 * every valid topic it can match is readable by the user's role and scope
 * (DESIGN.md "Roles", "Topics"): one table of (user, filter, expected SUBACK) per
 * group of roles, run over one broker with MQTT 5 (refusal 0x87), and a smaller
 * table with MQTT 3.1.1 (refusal 0x80). Every row runs; all mismatches are listed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define OK 1            /* granted, QoS 1 as asked */
#define NO 0x87         /* MQTT 5: not authorized */
#define NO3 0x80        /* MQTT 3.1.1: failure */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct row {
	const char *user;
	const char *filter;
	int want;
};

static struct hub hub;
static bool all_passed = true;

/* One connection per (user, MQTT version), made on first use. */
static struct {
	const char *user;
	int version;
	struct tc *c;
} clients[40];

static struct tc *
client_of(const char *user, int version)
{
	size_t i;
	int rc;

	for (i = 0; i < COUNT(clients) && clients[i].user != NULL; i++) {
		if (strcmp(clients[i].user, user) == 0 && clients[i].version == version)
			return clients[i].c;
	}
	if (i == COUNT(clients))
		return NULL;
	clients[i].c = tc_login(&hub, user, version, &rc);
	if (clients[i].c == NULL) {
		fprintf(stderr, "# %s cannot log in with MQTT %s: CONNACK %d\n", user,
			version == 5 ? "5" : "3.1.1", rc);
		return NULL;
	}
	clients[i].user = user;
	clients[i].version = version;
	return clients[i].c;
}

/* Subscribes every row's filter and lists each SUBACK that differs. */
static void
run_rows(const struct row *rows, size_t n, int version)
{
	struct tc *c;
	size_t i;
	int got, bad = 0;

	for (i = 0; i < n; i++) {
		c = client_of(rows[i].user, version);
		got = c ? tc_subscribe(c, rows[i].filter, 1) : -2;
		if (got != rows[i].want) {
			fprintf(stderr, "# MQTT %s: %s subscribes '%s': expected SUBACK 0x%02x, "
				"got 0x%02x\n", version == 5 ? "5" : "3.1.1", rows[i].user,
				rows[i].filter, (unsigned)rows[i].want, (unsigned)got);
			bad++;
		}
	}
	if (bad != 0)
		all_passed = false;
	assert_int_equal(bad, 0);
}

static int
setup(void **state)
{
	(void)state;
	return hub_start(&hub, NULL);
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(clients) && clients[i].user != NULL; i++)
		tc_close(clients[i].c);
	if (!all_passed)
		hub_print_log(&hub);
	hub_stop(&hub);
	return 0;
}

static void
official_filters_are_granted_within_scope_and_on_branch_only(void **state)
{
	static const struct row rows[] = {
		/* province official, scope 50 */
		{ "cm_official", "np/rep/50/#", OK },
		{ "cm_official", "np/rep/#", NO },
		{ "cm_official", "np/rep/+/+/+/outage", NO },
		{ "cm_official", "np/rep/50/+/+/outage", OK },
		{ "cm_official", "np/rep/50/5001/#", OK },
		{ "cm_official", "np/rep/50/5001/50010101/ack", OK },
		{ "cm_official", "np/rep/10/#", NO },
		{ "cm_official", "np/status/50/#", OK },
		{ "cm_official", "np/status/#", NO },
		{ "cm_official", "np/ann/TH/#", OK },
		{ "cm_official", "np/ann/50/#", OK },
		{ "cm_official", "np/ann/5001/+", OK },
		{ "cm_official", "np/ann/50010101/#", OK },
		{ "cm_official", "np/ann/10/#", NO },
		{ "cm_official", "np/ann/+/weather", NO },
		{ "cm_official", "np/ann/#", NO },
		{ "cm_official", "np/show/#", OK },
		{ "cm_official", "np/dm/cm_official", OK },
		{ "cm_official", "np/dm/muang_official", NO },
		{ "cm_official", "np/dm/50010101", NO },
		{ "cm_official", "np/dm/+", NO },
		{ "cm_official", "np/reply/cm_official/#", OK },
		{ "cm_official", "np/reply/ministry/#", NO },
		{ "cm_official", "np/+/50/#", OK },     /* ann, rep, status, show of 50 */
		{ "cm_official", "np/#", NO },
		{ "cm_official", "$share/cm_official/np/rep/50/#", OK },
		{ "cm_official", "$share/cm_official~night/np/rep/50/#", OK },
		{ "cm_official", "$share/g/np/rep/50/#", NO },	/* a group of no one */
		{ "cm_official", "$share/cm_officialx/np/rep/50/#", NO },
		{ "cm_official", "$share/cm_official/np/rep/#", NO },
		/* district official, scope 5001 */
		{ "muang_official", "np/rep/50/5001/#", OK },
		{ "muang_official", "np/rep/50/#", NO },
		{ "muang_official", "np/rep/+/5001/#", OK },
		{ "muang_official", "np/rep/50/5002/#", NO },
		{ "muang_official", "np/rep/50/+/50010101/#", OK },
		{ "muang_official", "np/status/50/5001/+", OK },
		{ "muang_official", "np/status/50/+/+", NO },
		{ "muang_official", "np/ann/TH/#", OK },
		{ "muang_official", "np/ann/50/#", OK },
		{ "muang_official", "np/ann/5002/#", NO },
		{ "muang_official", "np/ann/50010101/general", OK },
		{ "muang_official", "np/show/#", OK },
		/* the ministry, scope TH */
		{ "ministry", "np/rep/#", OK },
		{ "ministry", "np/rep/+/+/+/ack", OK },
		{ "ministry", "np/status/#", OK },
		{ "ministry", "np/ann/#", OK },
		{ "ministry", "np/show/#", OK },
		{ "ministry", "np/dm/ministry", OK },
		{ "ministry", "np/dm/cm_official", NO },
		{ "ministry", "np/dm/#", NO },
		{ "ministry", "np/reply/#", NO },
		{ "ministry", "np/#", NO },             /* would read others' inboxes */
		{ "ministry", "#", NO },
		/* other provinces and districts */
		{ "bkk_official", "np/rep/10/#", OK },
		{ "bkk_official", "np/rep/50/#", NO },
		{ "d5002_official", "np/rep/50/5002/#", OK },
		{ "d5002_official", "np/rep/50/5001/#", NO },
	};

	(void)state;
	run_rows(rows, COUNT(rows), 5);
}

static void
volunteer_and_resident_filters_stay_on_their_branch(void **state)
{
	static const struct row rows[] = {
		{ "somchai", "np/#", NO },
		{ "somchai", "#", NO },
		{ "somchai", "+/#", NO },
		{ "somchai", "np/rep/50/#", NO },
		{ "somchai", "np/rep/50/5001/+/#", NO },
		{ "somchai", "np/rep/50/5001/50010101/#", OK },
		{ "somchai", "np/rep/50/5001/50010101/outage", OK },
		{ "somchai", "np/rep/50/5001/50010102/#", NO },
		{ "somchai", "np/rep/+/+/50010101/#", OK },  /* names the own village */
		{ "somchai", "np/+/+/50010101/#", NO },      /* also np/reply/<anyone>/... */
		{ "somchai", "np/ann/TH/#", OK },
		{ "somchai", "np/ann/TH/weather/#", OK },
		{ "somchai", "+/ann/TH/#", OK },
		{ "somchai", "$share/somchai/np/ann/TH/#", OK },
		/* joining an official's group would take its share of the reports */
		{ "somchai", "$share/cm_official/np/rep/50/5001/50010101/#", NO },
		{ "somchai", "$share/somchai/np/ann/#", NO },
		{ "somchai", "np/ann/50/+", OK },
		{ "somchai", "np/ann/5001/#", OK },
		{ "somchai", "np/ann/50010101/#", OK },
		{ "somchai", "np/ann/50010102/#", NO },
		{ "somchai", "np/ann/5002/#", NO },
		{ "somchai", "np/ann/10/#", NO },
		{ "somchai", "np/ann/+/weather", NO },
		{ "somchai", "np/dm/50010101", OK },
		{ "somchai", "np/dm/50010102", NO },
		{ "somchai", "np/dm/cm_official", NO },
		{ "somchai", "np/+/50010101", OK },     /* only the inbox np/dm/50010101 */
		{ "somchai", "np/show/#", OK },
		{ "somchai", "np/show/10/+/+/product", OK },
		{ "somchai", "np/status/50/5001/50010101", NO },
		{ "somchai", "np/reply/somchai/#", OK },
		{ "somchai", "np/reply/malee/#", NO },
		{ "somchai", "np/reply/+/error", NO },
		{ "vol_bkk", "np/ann/10/#", OK },
		{ "vol_bkk", "np/ann/50/#", NO },
		{ "vol_bkk", "np/dm/10010101", OK },
		{ "vol_bkk", "np/show/#", OK },
		/* resident: announcements on its branch and showcase, nothing else */
		{ "nok", "np/ann/TH/#", OK },
		{ "nok", "np/ann/50/+", OK },
		{ "nok", "np/ann/5001/#", OK },
		{ "nok", "np/ann/50010101/#", OK },
		{ "nok", "np/ann/50010102/#", NO },
		{ "nok", "np/ann/+/weather", NO },
		{ "nok", "np/show/#", OK },
		{ "nok", "np/rep/50/5001/50010101/#", NO },
		{ "nok", "np/rep/50/5001/50010101/ack", NO },
		{ "nok", "np/dm/50010101", NO },
		{ "nok", "np/status/50/5001/50010101", NO },
		{ "nok", "np/reply/nok/#", OK },
		{ "nok", "np/#", NO },
		{ "res_bkk", "np/ann/10/#", OK },
		{ "res_bkk", "np/ann/50/#", NO },
	};

	(void)state;
	run_rows(rows, COUNT(rows), 5);
}

static void
operator_and_agency_filters_stay_in_their_kinds_and_scope(void **state)
{
	static const struct row rows[] = {
		{ "nt_operator", "np/rep/50/+/+/outage", OK },
		{ "nt_operator", "np/rep/50/+/+/need", NO },
		{ "nt_operator", "np/rep/50/+/+/ack", OK },
		{ "nt_operator", "np/rep/50/#", NO },
		{ "nt_operator", "np/rep/+/+/+/outage", NO },
		{ "nt_operator", "np/rep/10/+/+/outage", NO },
		{ "nt_operator", "np/status/50/#", OK },
		{ "nt_operator", "np/status/#", NO },
		{ "nt_operator", "np/ann/50/#", NO },
		{ "nt_operator", "np/ann/50/network", NO },
		{ "nt_operator", "np/show/#", NO },
		{ "nt_operator", "np/dm/nt_operator", NO },
		{ "nt_national", "np/rep/+/+/+/outage", OK },
		{ "nt_national", "np/rep/+/+/+/ack", OK },
		{ "nt_national", "np/rep/#", NO },
		{ "nt_national", "np/status/#", OK },
		{ "agri_agency", "np/ann/#", OK },
		{ "agri_agency", "np/ann/+/health", OK },
		{ "agri_agency", "np/show/#", OK },
		{ "agri_agency", "np/rep/#", NO },
		{ "agri_agency", "np/status/#", NO },
		{ "agri_agency", "np/dm/agri_agency", NO },
		{ "cm_agency", "np/ann/50/#", OK },
		{ "cm_agency", "np/ann/5001/#", OK },
		{ "cm_agency", "np/ann/TH/#", NO },
		{ "cm_agency", "np/ann/10/#", NO },
		{ "cm_agency", "np/ann/+/health", NO },
		{ "cm_agency", "np/show/50/#", OK },
		{ "cm_agency", "np/show/#", NO },
	};

	(void)state;
	run_rows(rows, COUNT(rows), 5);
}

static void
admin_reads_everything_and_system_topics_are_closed_to_others(void **state)
{
	static const struct row rows[] = {
		{ "admin", "np/#", OK },
		{ "admin", "#", OK },
		{ "admin", "$SYS/#", OK },
		{ "admin", "np/reply/somchai/#", OK },
		{ "admin", "np/dm/+", OK },
		{ "somchai", "$SYS/#", NO },
		{ "ministry", "$SYS/#", NO },
		{ "cm_official", "$SYS/broker/clients/connected", NO },
		{ "nt_national", "$SYS/#", NO },
		{ "somchai", "$CONTROL/#", NO },
		{ "ministry", "$CONTROL/#", NO },
		{ "somchai", "$CONTROL/np/v1/history", NO },
		{ "ministry", "other/topic", NO },
	};

	(void)state;
	run_rows(rows, COUNT(rows), 5);
}

static void
filters_with_unknown_places_or_bad_levels_are_refused(void **state)
{
	static const struct row rows[] = {
		{ "cm_official", "np/rep/99/#", NO },           /* no province 99 */
		{ "ministry", "np/rep/99/#", NO },
		{ "ministry", "np/ann/99/#", NO },
		{ "somchai", "np/ann/99999999/#", NO },
		{ "somchai", "np/ann/TH/weathr", NO },          /* unknown category */
		{ "cm_official", "np/rep/50", NO },              /* too few levels */
		{ "ministry", "np/rep/50/5001/50010101/broken", NO },
		{ "ministry", "np/rep/50/5101/#", NO },          /* codes disagree */
		{ "ministry", "np/rep/5/#", NO },                /* not a province code */
		{ "ministry", "np/ann/500101/#", NO },           /* subdistricts get none */
		{ "ministry", "np/foo/#", NO },
		{ "ministry", "np/show/50/5001/50010101/video", NO },
	};

	(void)state;
	run_rows(rows, COUNT(rows), 5);
}

static void
v311_refusals_are_0x80_and_grants_unchanged(void **state)
{
	static const struct row rows[] = {
		{ "cm_official", "np/rep/50/#", OK },
		{ "cm_official", "np/rep/#", NO3 },
		{ "cm_official", "$share/cm_official/np/rep/50/#", OK },
		{ "cm_official", "$share/cm_official~night/np/rep/50/#", OK },
		{ "muang_official", "np/rep/+/5001/#", OK },
		{ "muang_official", "np/rep/50/#", NO3 },
		{ "ministry", "np/rep/#", OK },
		{ "ministry", "np/#", NO3 },
		{ "admin", "#", OK },
		{ "somchai", "np/#", NO3 },
		{ "somchai", "np/ann/50010102/#", NO3 },
		{ "somchai", "$SYS/#", NO3 },
		{ "nok", "np/show/#", OK },
		{ "nt_operator", "np/rep/50/+/+/outage", OK },
		{ "nt_operator", "np/rep/50/+/+/need", NO3 },
		{ "cm_agency", "np/ann/TH/#", NO3 },
		{ "cm_official", "np/rep/99/#", NO3 },
	};

	(void)state;
	run_rows(rows, COUNT(rows), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(official_filters_are_granted_within_scope_and_on_branch_only),
		cmocka_unit_test(volunteer_and_resident_filters_stay_on_their_branch),
		cmocka_unit_test(operator_and_agency_filters_stay_in_their_kinds_and_scope),
		cmocka_unit_test(admin_reads_everything_and_system_topics_are_closed_to_others),
		cmocka_unit_test(filters_with_unknown_places_or_bad_levels_are_refused),
		cmocka_unit_test(v311_refusals_are_0x80_and_grants_unchanged),
	};

	return cmocka_run_group_tests_name("broker_subscribe", tests, setup, teardown);
}
