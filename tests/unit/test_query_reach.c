/* test_query_reach.c - checks that the history planner never leaves out a
 * message its asker may read: for every role, kind and place relation, every
 * topic acl.c's READ rule grants has an index entry among the keys query.c
 * narrows a plan to (hub_acl_read_reach), whatever the filter names. A reach
 * narrower than may_read would drop messages from history pages silently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "acl.h"
#include "history.h"
#include "query.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Places by their relation to the volunteer's village 50010101, as P/D/V. */
static const char *const places[] = {
	"50/5001/50010101",     /* own village */
	"50/5001/50010102",     /* sibling village, same subdistrict */
	"50/5001/50010201",     /* same district, another subdistrict */
	"50/5002/50020101",     /* same province, another district */
	"10/1001/10010101",     /* another province */
};

/* Every area an announcement can name: the nation, and each place's P, D, V. */
static const char *const areas[] = {
	"TH", "50", "5001", "50010101", "50010102", "50010201", "5002", "50020101",
	"10", "1001", "10010101",
};

static const char *const inboxes[] = {
	"50010101", "50010102", "50010201", "50020101", "10010101",
	"ministry", "cm_official", "muang_official", "vol1",
};

static const char *const report_subs[] = { "outage", "need", "incident", "feedback", "ack" };
static const char *const show_subs[] = { "product", "story", "place" };

static struct hub_principal who[] = {
	{ "vol1", HUB_ROLE_VOLUNTEER, "50010101", 0 },
	{ "res1", HUB_ROLE_RESIDENT, "50010101", 0 },
	{ "ministry", HUB_ROLE_OFFICIAL, "TH", 0 },
	{ "cm_official", HUB_ROLE_OFFICIAL, "50", 0 },
	{ "muang_official", HUB_ROLE_OFFICIAL, "5001", 0 },
	{ "ag_th", HUB_ROLE_AGENCY, "TH", 0x1ff },
	{ "ag_p", HUB_ROLE_AGENCY, "50", 0x1ff },
	{ "op_th", HUB_ROLE_OPERATOR, "TH", 0 },
	{ "op_p", HUB_ROLE_OPERATOR, "50", 0 },
	{ "root", HUB_ROLE_ADMIN, "TH", 0 },
	{ "adm50", HUB_ROLE_ADMIN, "50", 0 },           /* scoped admins */
	{ "adm5001", HUB_ROLE_ADMIN, "5001", 0 },
};

#define MAX_TOPICS 512
static char topics[MAX_TOPICS][96];
static size_t ntopics;

static void
add(const char *fmt, const char *a, const char *b)
{
	assert_true(ntopics < MAX_TOPICS);
	snprintf(topics[ntopics++], sizeof(topics[0]), fmt, a, b);
}

/* Every stored kind at every place relation, with every sub-level. */
static int
topics_setup(void **state)
{
	size_t i, j;

	(void)state;
	ntopics = 0;
	for (i = 0; i < COUNT(places); i++) {
		for (j = 0; j < COUNT(report_subs); j++)
			add("np/rep/%s/%s", places[i], report_subs[j]);
		for (j = 0; j < COUNT(show_subs); j++)
			add("np/show/%s/%s", places[i], show_subs[j]);
		add("np/status/%s%s", places[i], "");
	}
	for (i = 0; i < COUNT(areas); i++) {
		for (j = 0; j < HUB_CATEGORY_COUNT; j++)
			add("np/ann/%s/%s", areas[i], hub_category_name((int)j));
	}
	for (i = 0; i < COUNT(inboxes); i++)
		add("np/dm/%s%s", inboxes[i], "");
	return 0;
}

/* true when the narrowed plan q reads an index that holds topic. */
static bool
plan_reaches(const struct hub_hist_scan *q, const char *topic)
{
	struct hub_hist_key keys[4];
	int n = hub_history_keys(topic, keys), j;
	size_t i;

	assert_true(n > 0);
	for (i = 0; i < q->nkeys; i++) {
		for (j = 0; j < n; j++) {
			if (q->keys[i].kind == keys[j].kind
			    && strcmp(q->keys[i].key, keys[j].key) == 0)
				return true;
		}
	}
	return false;
}

static void
check_filter_reaches(const struct hub_principal *p, const char *filter, const char *topic)
{
	struct hub_hist_scan q;

	memset(&q, 0, sizeof(q));
	assert_int_equal(hub_history_plan(filter, &q), HUB_OK);
	assert_true(plan_reaches(&q, topic));   /* the plan itself holds it */
	hub_query_narrow(p, &q);
	if (!plan_reaches(&q, topic))
		fail_msg("%s (%s %s) may read %s, but the plan for %s narrowed to %zu keys "
			 "reads none of its indexes", p->username, hub_role_name(p->role), p->scope,
			 topic, filter, q.nkeys);
}

/* The filters a reader might send for topic: all, the kind, the topic itself. */
static void
check_topic(const struct hub_principal *p, const char *topic)
{
	char kind[64];
	const char *slash = strchr(topic + 3, '/');

	snprintf(kind, sizeof(kind), "%.*s/#", (int)(slash - topic), topic);
	check_filter_reaches(p, "#", topic);
	check_filter_reaches(p, "np/#", topic);
	check_filter_reaches(p, kind, topic);
	check_filter_reaches(p, topic, topic);
}

static void
history_reach_covers_every_topic_each_role_may_read(void **state)
{
	size_t w, t, readable;

	(void)state;
	for (w = 0; w < COUNT(who); w++) {
		readable = 0;
		for (t = 0; t < ntopics; t++) {
			if (hub_acl_check(&who[w], HUB_READ, topics[t], NULL) != HUB_OK)
				continue;
			readable++;
			check_topic(&who[w], topics[t]);
		}
		if (readable == 0)
			fail_msg("%s reads none of the %zu topics: the table tests nothing",
				 who[w].username, ntopics);
	}
}

/* The reach is also a limit: a kind a role may never read costs no index read. */
static void
history_reach_reads_no_index_of_a_kind_the_role_never_reads(void **state)
{
	static const struct {
		size_t who;
		char kind;
	} cases[] = {
		{ 0, 's' }, { 1, 's' }, { 1, 'r' }, { 1, 'd' }, { 5, 'r' }, { 5, 'd' },
		{ 7, 'w' }, { 7, 'a' }, { 8, 'd' },
	};
	struct hub_hist_scan q;
	size_t i, k;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		memset(&q, 0, sizeof(q));
		assert_int_equal(hub_history_plan("np/#", &q), HUB_OK);
		hub_query_narrow(&who[cases[i].who], &q);
		for (k = 0; k < q.nkeys; k++) {
			if (q.keys[k].kind == cases[i].kind)
				fail_msg("%s reads index '%c%s'", who[cases[i].who].username,
					 q.keys[k].kind, q.keys[k].key);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(history_reach_covers_every_topic_each_role_may_read),
		cmocka_unit_test(history_reach_reads_no_index_of_a_kind_the_role_never_reads),
	};

	return cmocka_run_group_tests_name("query_reach", tests, topics_setup, NULL);
}
