/* test_cases.c - checks that every report is a case (DESIGN.md "Report
 * cases"): open until its first ack, then its latest ack's state; that an
 * official assigns a case to an operator or agency whose scope covers the
 * village, which may then ack it and sees it, and nothing else gains access;
 * that bad acks (unknown or foreign report, unknown assignee, one outside the
 * case's area or of a role that cannot act, an assignment by a non-official,
 * a reopening without a note, an agency's ack of a case not its own) are
 * refused with their reason and change nothing; that $CONTROL/np/v1/cases and
 * /case-stats answer only within the asker's scope, with overdue flags from
 * np-admin case targets and times to first ack and resolution; that np-admin
 * history load makes cases; and that after kill -9 of the broker right
 * after acks every case agrees with the acks the history kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#define CASES_TOPIC "$CONTROL/np/v1/cases"
#define STATS_TOPIC "$CONTROL/np/v1/case-stats"
#define REFUSED 0x87

static struct hub hub;

/* One connection per user, kept for the whole file (logins cost a KDF). */
#define MAX_CLIENTS 16
static struct {
	char user[32];
	struct tc *c;
} clients[MAX_CLIENTS];

static struct tc *
as(const char *user)
{
	char filter[128];
	int i, connack;

	for (i = 0; i < MAX_CLIENTS && clients[i].c != NULL; i++) {
		if (strcmp(clients[i].user, user) == 0)
			return clients[i].c;
	}
	assert_true(i < MAX_CLIENTS);
	clients[i].c = tc_login(&hub, user, 5, &connack);
	assert_non_null(clients[i].c);
	snprintf(clients[i].user, sizeof(clients[i].user), "%s", user);
	snprintf(filter, sizeof(filter), "np/reply/%s/#", user);
	assert_int_equal(tc_subscribe(clients[i].c, filter, 1), 1);
	return clients[i].c;
}

static void
drop_clients(void)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		tc_close(clients[i].c);
		clients[i].c = NULL;
	}
}

static int
setup(void **state)
{
	(void)state;
	return hub_start(&hub, "set_tcp_nodelay true");
}

static int
teardown(void **state)
{
	(void)state;
	drop_clients();
	hub_stop(&hub);
	return 0;
}

/* np/rep/P/D/V/<leaf> of village v. */
static void
rep_topic(char *out, size_t n, const char *v, const char *leaf)
{
	snprintf(out, n, "np/rep/%.2s/%.4s/%s/%s", v, v, v, leaf);
}

/* user reports kind in village v; the report's id into id. */
static void
report(const char *user, const char *v, const char *kind, uint8_t id[16])
{
	char topic[96];
	size_t len;
	uint8_t *buf = env_report("case test", &len);

	rep_topic(topic, sizeof(topic), v, kind);
	assert_true((tc_publish(as(user), topic, buf, len, 1) & ~0x10) == 0);
	memcpy(id, buf + 2, 16);        /* the id opens every packed envelope */
	free(buf);
}

/* The next message on c whose topic ends with leaf (others are skipped). */
static Np__Envelope *
next_reply(struct tc *c, const char *leaf)
{
	struct tc_msg m;
	Np__Envelope *e = NULL;
	size_t n = strlen(leaf);

	while (e == NULL && tc_next(c, &m, 3000)) {
		if (strlen(m.topic) > n && strcmp(m.topic + strlen(m.topic) - n, leaf) == 0)
			e = env_unpack(&m);
		tc_msg_free(&m);
	}
	assert_non_null(e);
	return e;
}

/* user acks report rid of village v at qos: the PUBACK code (QoS 0: 0);
 * a refusal's reason (from np/reply/<user>/error) into why when not NULL. */
static int
ack_qos(const char *user, const char *v, const uint8_t rid[16], int state, const char *note,
	const char *assignee, int qos, char *why, size_t whylen)
{
	Np__Envelope e = NP__ENVELOPE__INIT, *r;
	Np__Ack a = NP__ACK__INIT;
	char topic[96];
	uint8_t id[16], *buf;
	size_t len;
	int rc;

	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	e.sent_at_ms = 1;
	a.report_id.data = (uint8_t *)rid;
	a.report_id.len = 16;
	a.state = (Np__AckState)state;
	a.note = (char *)(note ? note : "");
	a.assignee = (char *)(assignee ? assignee : "");
	e.body_case = NP__ENVELOPE__BODY_ACK;
	e.ack = &a;
	buf = env_pack(&e, &len);
	rep_topic(topic, sizeof(topic), v, "ack");
	rc = tc_publish(as(user), topic, buf, len, qos);
	free(buf);
	if (rc == REFUSED && why != NULL) {
		r = next_reply(as(user), "/error");
		assert_int_equal(r->body_case, NP__ENVELOPE__BODY_REFUSAL);
		snprintf(why, whylen, "%s", r->refusal->reason);
		np__envelope__free_unpacked(r, NULL);
	}
	return rc;
}

static int
ack(const char *user, const char *v, const uint8_t rid[16], int state, const char *note,
    const char *assignee, char *why, size_t whylen)
{
	return ack_qos(user, v, rid, state, note, assignee, 1, why, whylen);
}

static void
ack_ok(const char *user, const char *v, const uint8_t rid[16], int state, const char *note,
       const char *assignee)
{
	char why[256] = "";
	int rc = ack(user, v, rid, state, note, assignee, why, sizeof(why));

	if ((rc & ~0x10) != 0)
		print_error("ack by %s refused: %s\n", user, why);
	assert_int_equal(rc & ~0x10, 0);
}

/* user's ack is refused with a reason holding text. */
static void
ack_refused(const char *user, const char *v, const uint8_t rid[16], int state,
	    const char *note, const char *assignee, const char *text)
{
	char why[256] = "";

	assert_int_equal(ack(user, v, rid, state, note, assignee, why, sizeof(why)), REFUSED);
	if (strstr(why, text) == NULL)
		print_error("refusal '%s' does not say '%s'\n", why, text);
	assert_non_null(strstr(why, text));
}

struct query {
	const char *area;
	const char *kind;               /* NULL: all */
	const Np__AckState *states;
	size_t nstates;
	bool overdue;
	uint32_t limit;
	const uint8_t *cursor;          /* 24 bytes, or NULL */
};

/* One page of user's cases (an Envelope{case_page}; the caller frees). */
static Np__Envelope *
cases(const char *user, const struct query *q)
{
	Np__CaseRequest r = NP__CASE_REQUEST__INIT;
	Np__Envelope *e;
	char *kinds[1];
	uint8_t buf[512];
	size_t len;

	r.area = (char *)(q->area ? q->area : "");
	if (q->kind != NULL) {
		kinds[0] = (char *)q->kind;
		r.kinds = kinds;
		r.n_kinds = 1;
	}
	r.states = (Np__AckState *)q->states;
	r.n_states = q->nstates;
	r.overdue_only = q->overdue;
	r.limit = q->limit ? q->limit : 500;
	if (q->cursor != NULL) {
		r.cursor.data = (uint8_t *)q->cursor;
		r.cursor.len = 24;
	}
	r.correlation_id = "t";
	len = np__case_request__pack(&r, buf);
	assert_true((tc_publish(as(user), CASES_TOPIC, buf, len, 1) & ~0x10) == 0);
	e = next_reply(as(user), "/cases");
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_CASE_PAGE);
	return e;
}

/* The case of report rid in page e, or NULL. */
static const Np__Case *
find(const Np__Envelope *e, const uint8_t rid[16])
{
	size_t i;

	for (i = 0; i < e->case_page->n_cases; i++) {
		if (e->case_page->cases[i]->report.len > 18
		    && memcmp(e->case_page->cases[i]->report.data + 2, rid, 16) == 0)
			return e->case_page->cases[i];
	}
	return NULL;
}

/* user's case of rid (asserting it can see it); the page to free in *page. */
static const Np__Case *
case_of(const char *user, const char *area, const uint8_t rid[16], Np__Envelope **page)
{
	struct query q = { .area = area };
	const Np__Case *k;

	*page = cases(user, &q);
	assert_string_equal((*page)->case_page->error, "");
	k = find(*page, rid);
	assert_non_null(k);
	return k;
}

static const Np__AckState open_states[] = { NP__ACK_STATE__ACK_STATE_UNSPECIFIED,
					    NP__ACK_STATE__RECEIVED, NP__ACK_STATE__ASSIGNED,
					    NP__ACK_STATE__IN_PROGRESS };

/* Report ids shared by the tests, in the order they run. */
static uint8_t somchai_outage[16], malee_outage[16], bkk_outage[16];

static void
done_when_assign_progress_resolve(void **state)
{
	Np__Envelope *e;
	const Np__Case *k;
	struct query q = { .states = open_states, .nstates = 4 };
	size_t i;

	(void)state;
	report("somchai", "50010101", "outage", somchai_outage);
	report("malee", "50010102", "outage", malee_outage);
	report("vol_bkk", "10010101", "outage", bkk_outage);
	/* an outage report is open until its first ack */
	k = case_of("cm_official", "", malee_outage, &e);
	assert_int_equal(k->state, NP__ACK_STATE__ACK_STATE_UNSPECIFIED);
	assert_int_equal(k->first_ack_at_ms, 0);
	assert_string_equal(k->topic, "np/rep/50/5001/50010102/outage");
	np__envelope__free_unpacked(e, NULL);
	ack_ok("cm_official", "50010101", somchai_outage, NP__ACK_STATE__ASSIGNED, "yours",
	       "nt_operator");
	ack_ok("nt_operator", "50010101", somchai_outage, NP__ACK_STATE__IN_PROGRESS, "on the way",
	       NULL);
	usleep(20000);
	ack_ok("nt_operator", "50010101", somchai_outage, NP__ACK_STATE__RESOLVED, "fixed", NULL);
	/* the official's open cases: its province's only, without the resolved one */
	e = cases("cm_official", &q);
	assert_string_equal(e->case_page->error, "");
	assert_non_null(find(e, malee_outage));
	assert_null(find(e, somchai_outage));
	assert_null(find(e, bkk_outage));
	for (i = 0; i < e->case_page->n_cases; i++)
		assert_memory_equal(e->case_page->cases[i]->topic, "np/rep/50/", 10);
	np__envelope__free_unpacked(e, NULL);
	/* the volunteer sees its report resolved, by the operator it was assigned */
	k = case_of("somchai", "", somchai_outage, &e);
	assert_int_equal(k->state, NP__ACK_STATE__RESOLVED);
	assert_string_equal(k->assignee, "nt_operator");
	assert_true(k->first_ack_at_ms > 0);
	assert_true(k->resolved_at_ms > k->first_ack_at_ms);
	assert_true(k->last_ack.len > 0);
	np__envelope__free_unpacked(e, NULL);
}

static void
overdue_follows_the_targets_set_by_np_admin(void **state)
{
	Np__Envelope *e;
	const Np__Case *k;
	struct query q = { .states = open_states, .nstates = 4, .overdue = true };
	char out[512];

	(void)state;
	e = cases("cm_official", &q);   /* default outage targets: 4 h, 48 h */
	assert_null(find(e, malee_outage));
	np__envelope__free_unpacked(e, NULL);
	assert_int_equal(hub_admin_out(&hub, "case targets outage 1s 1s", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "outage,1s,1s"));
	usleep(1100000);
	e = cases("cm_official", &q);
	k = find(e, malee_outage);
	assert_non_null(k);
	assert_true(k->ack_overdue);
	assert_true(k->resolve_overdue);
	assert_null(find(e, somchai_outage));   /* resolved: not open */
	np__envelope__free_unpacked(e, NULL);
	assert_int_equal(hub_admin_out(&hub, "case targets outage 4h 48h", out, sizeof(out)), 0);
}

static void
stats_give_the_time_to_first_ack_and_resolution(void **state)
{
	Np__CaseStatsRequest r = NP__CASE_STATS_REQUEST__INIT;
	Np__Envelope *e;
	const Np__CaseStatsRow *row = NULL;
	char *kinds[] = { "outage" };
	uint8_t buf[256];
	size_t len, i;

	(void)state;
	r.kinds = kinds;
	r.n_kinds = 1;
	r.correlation_id = "s";
	len = np__case_stats_request__pack(&r, buf);
	assert_true((tc_publish(as("cm_official"), STATS_TOPIC, buf, len, 1) & ~0x10) == 0);
	e = next_reply(as("cm_official"), "/case-stats");
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_CASE_STATS);
	assert_string_equal(e->case_stats->error, "");
	for (i = 0; i < e->case_stats->n_rows; i++) {
		assert_string_equal(e->case_stats->rows[i]->province, "50");    /* its scope */
		row = e->case_stats->rows[i];
	}
	assert_non_null(row);
	assert_string_equal(row->kind, "outage");
	assert_true(row->count >= 2);
	assert_true(row->resolved >= 1 && row->acked >= 1 && row->open >= 1);
	assert_true(row->resolve_p50_ms > 0 && row->resolve_p90_ms >= row->resolve_p50_ms);
	assert_true(row->ack_p50_ms > 0 && row->ack_p50_ms <= row->resolve_p50_ms);
	np__envelope__free_unpacked(e, NULL);
}

static void
bad_acks_are_refused_with_their_reason_and_change_nothing(void **state)
{
	Np__Envelope *e;
	const Np__Case *k;
	uint8_t ghost[16];

	(void)state;
	env_new_id(ghost);
	ack_refused("cm_official", "50010102", ghost, NP__ACK_STATE__RECEIVED, NULL, NULL,
		    "a report the hub does not hold");
	/* a case of another village (named on this village's ack topic) */
	ack_refused("cm_official", "50010102", somchai_outage, NP__ACK_STATE__RECEIVED, NULL, NULL,
		    "a report of another village");
	ack_refused("cm_official", "50010102", malee_outage, NP__ACK_STATE__ASSIGNED, NULL,
		    "nobody_here", "no user of the hub");
	ack_refused("cm_official", "50010102", malee_outage, NP__ACK_STATE__ASSIGNED, NULL,
		    "somchai", "neither an operator nor an agency");
	ack_refused("bkk_official", "10010101", bkk_outage, NP__ACK_STATE__ASSIGNED, NULL,
		    "cm_agency", "does not cover the report's village");
	ack_refused("nt_operator", "50010102", malee_outage, NP__ACK_STATE__ASSIGNED, NULL,
		    "nt_operator", "only officials assign");
	ack_refused("cm_official", "50010102", malee_outage, NP__ACK_STATE__RESOLVED, NULL,
		    "nt_operator", "only with the state assigned");
	/* the resolved case reopens only with a note */
	ack_refused("cm_official", "50010101", somchai_outage, NP__ACK_STATE__RECEIVED, NULL, NULL,
		    "reopened only with a note");
	k = case_of("cm_official", "50", malee_outage, &e);
	assert_int_equal(k->state, NP__ACK_STATE__ACK_STATE_UNSPECIFIED);      /* untouched */
	assert_int_equal(k->last_ack.len, 0);
	np__envelope__free_unpacked(e, NULL);
	k = case_of("cm_official", "50", somchai_outage, &e);
	assert_int_equal(k->state, NP__ACK_STATE__RESOLVED);
	np__envelope__free_unpacked(e, NULL);
	ack_ok("cm_official", "50010101", somchai_outage, NP__ACK_STATE__RECEIVED,
	       "power is out again", NULL);
	k = case_of("cm_official", "50", somchai_outage, &e);
	assert_int_equal(k->state, NP__ACK_STATE__RECEIVED);
	assert_int_equal(k->resolved_at_ms, 0);
	assert_string_equal(k->assignee, "nt_operator");        /* still its case */
	np__envelope__free_unpacked(e, NULL);
	assert_true(hub_log_has(&hub, "reopened only with a note"));
}

static void
assignees_act_on_and_see_their_cases_only(void **state)
{
	uint8_t need[16], feedback[16], other[16];
	Np__Envelope *e;
	const Np__Case *k;
	struct query q = { 0 };

	(void)state;
	report("somchai", "50010101", "need", need);
	report("somchai", "50010101", "feedback", feedback);
	report("malee", "50010102", "incident", other);
	/* before: the agency sees nothing and may not ack */
	e = cases("cm_agency", &q);
	assert_string_equal(e->case_page->error, "");
	assert_int_equal(e->case_page->n_cases, 0);
	np__envelope__free_unpacked(e, NULL);
	ack_refused("cm_agency", "50010101", need, NP__ACK_STATE__RECEIVED, NULL, NULL,
		    "only the cases assigned to them");
	ack_ok("cm_official", "50010101", need, NP__ACK_STATE__ASSIGNED, NULL, "cm_agency");
	ack_ok("cm_agency", "50010101", need, NP__ACK_STATE__IN_PROGRESS, "sending", NULL);
	e = cases("cm_agency", &q);
	assert_int_equal(e->case_page->n_cases, 1);
	k = find(e, need);
	assert_non_null(k);
	assert_int_equal(k->state, NP__ACK_STATE__IN_PROGRESS);
	np__envelope__free_unpacked(e, NULL);
	ack_refused("cm_agency", "50010102", other, NP__ACK_STATE__RECEIVED, NULL, NULL,
		    "only the cases assigned to them");
	/* an operator acks a non-outage case only when it is assigned to it */
	ack_refused("nt_operator", "50010101", feedback, NP__ACK_STATE__RECEIVED, NULL, NULL,
		    "outage reports only");
	ack_ok("cm_official", "50010101", feedback, NP__ACK_STATE__ASSIGNED, NULL, "nt_operator");
	ack_ok("nt_operator", "50010101", feedback, NP__ACK_STATE__RESOLVED, "done", NULL);
	e = cases("nt_operator", &q);
	assert_string_equal(e->case_page->error, "");
	assert_non_null(find(e, feedback));     /* assigned */
	assert_non_null(find(e, malee_outage)); /* an outage in its scope */
	assert_null(find(e, need));             /* the agency's */
	assert_null(find(e, other));
	assert_null(find(e, bkk_outage));       /* outside its scope */
	np__envelope__free_unpacked(e, NULL);
	/* reassigned: the agency loses the case */
	ack_ok("cm_official", "50010101", need, NP__ACK_STATE__ASSIGNED, "to the operator",
	       "nt_operator");
	e = cases("cm_agency", &q);
	assert_int_equal(e->case_page->n_cases, 0);
	np__envelope__free_unpacked(e, NULL);
	ack_refused("cm_agency", "50010101", need, NP__ACK_STATE__RESOLVED, NULL, NULL,
		    "only the cases assigned to them");
}

static void
case_queries_stay_within_the_askers_scope(void **state)
{
	Np__Envelope *e;
	struct query q = { 0 };
	size_t i;

	(void)state;
	q.area = "50";
	e = cases("bkk_official", &q);
	assert_int_equal(e->case_page->n_cases, 0);
	assert_non_null(strstr(e->case_page->error, "outside the cases this user may read"));
	np__envelope__free_unpacked(e, NULL);
	assert_true(hub_log_has(&hub, "refused cases request by 'bkk_official'"));
	q.area = NULL;
	e = cases("bkk_official", &q);
	assert_string_equal(e->case_page->error, "");
	assert_non_null(find(e, bkk_outage));
	for (i = 0; i < e->case_page->n_cases; i++)
		assert_memory_equal(e->case_page->cases[i]->topic, "np/rep/10/", 10);
	np__envelope__free_unpacked(e, NULL);
	e = cases("somchai", &q);       /* a volunteer: its village's cases */
	assert_non_null(find(e, somchai_outage));
	for (i = 0; i < e->case_page->n_cases; i++)
		assert_non_null(strstr(e->case_page->cases[i]->topic, "/50010101/"));
	assert_null(find(e, malee_outage));
	np__envelope__free_unpacked(e, NULL);
	q.area = "50";
	e = cases("somchai", &q);
	assert_non_null(strstr(e->case_page->error, "outside"));
	np__envelope__free_unpacked(e, NULL);
	q.area = NULL;
	e = cases("res_bkk", &q);
	assert_non_null(strstr(e->case_page->error, "residents read no reports"));
	np__envelope__free_unpacked(e, NULL);
	q.area = "5001";
	q.kind = "bogus";
	e = cases("ministry", &q);
	assert_non_null(strstr(e->case_page->error, "unknown report kind"));
	np__envelope__free_unpacked(e, NULL);
}

/* The pages of area at limit, followed by their cursors, hold exactly the cases
 * of the one page of everything, in order; at least min of them. */
static void
page_through(const char *area, uint32_t limit, size_t min)
{
	uint8_t cursor[24];
	Np__Envelope *e, *all;
	struct query q = { .area = area, .limit = limit };
	size_t seen = 0, i, j;

	all = cases("ministry", &(struct query){ .area = area });
	assert_true(all->case_page->n_cases >= min);
	for (i = 0; i < all->case_page->n_cases; i++)
		assert_non_null(strstr(all->case_page->cases[i]->topic, area));
	e = cases("ministry", &q);
	for (;;) {
		for (i = 0; i < e->case_page->n_cases; i++, seen++) {
			j = seen;
			assert_true(j < all->case_page->n_cases);
			assert_memory_equal(e->case_page->cases[i]->report.data,
					    all->case_page->cases[j]->report.data, 18);
		}
		if (e->case_page->next_cursor.len == 0)
			break;
		assert_int_equal(e->case_page->next_cursor.len, 24);
		memcpy(cursor, e->case_page->next_cursor.data, 24);
		np__envelope__free_unpacked(e, NULL);
		q.cursor = cursor;
		e = cases("ministry", &q);
	}
	assert_int_equal(seen, all->case_page->n_cases);
	np__envelope__free_unpacked(e, NULL);
	np__envelope__free_unpacked(all, NULL);
}

/* A village's pages too: the index has no village key, so its walk reads its
 * district's entries (malee's, of 50010102, between somchai's) and skips them. */
static void
pages_follow_the_cursor_without_gaps_or_repeats(void **state)
{
	(void)state;
	page_through("50", 2, 5);
	page_through("50010101", 1, 3);
}

static void
history_load_makes_cases(void **state)
{
	Np__Envelope *e;
	struct query q = { .area = "TH", .limit = 500 };
	char out[512];

	(void)state;
	assert_int_equal(hub_admin_out(&hub, "history load 300", out, sizeof(out)), 0);
	e = cases("ministry", &q);
	assert_string_equal(e->case_page->error, "");
	assert_true(e->case_page->n_cases >= 300);
	np__envelope__free_unpacked(e, NULL);
}

/* The state of each case from the history's acks of village v: report ids in
 * ids (n of them) get their latest stored ack's state in want. */
static void
states_from_history(const char *v, uint8_t (*ids)[16], size_t n, int *want)
{
	Np__HistoryRequest r = NP__HISTORY_REQUEST__INIT;
	Np__Envelope *page, *a;
	char filter[96];
	uint8_t buf[256];
	size_t len, i, j;

	for (i = 0; i < n; i++)
		want[i] = 0;
	rep_topic(filter, sizeof(filter), v, "ack");
	r.filter = filter;
	r.limit = 1000;
	r.correlation_id = "h";
	len = np__history_request__pack(&r, buf);
	assert_true((tc_publish(as("ministry"), "$CONTROL/np/v1/history", buf, len, 1) & ~0x10)
		    == 0);
	page = next_reply(as("ministry"), "/history");
	assert_string_equal(page->history_page->error, "");
	assert_int_equal(page->history_page->next_cursor.len, 0);
	for (i = 0; i < page->history_page->n_items; i++) {     /* oldest first */
		a = np__envelope__unpack(NULL, page->history_page->items[i]->envelope.len,
					 page->history_page->items[i]->envelope.data);
		assert_non_null(a);
		for (j = 0; j < n; j++) {
			if (memcmp(a->ack->report_id.data, ids[j], 16) == 0)
				want[j] = a->ack->state;
		}
		np__envelope__free_unpacked(a, NULL);
	}
	np__envelope__free_unpacked(page, NULL);
}

#define KILL_N 30

static void
cases_agree_with_the_history_after_kill_9(void **state)
{
	uint8_t ids[KILL_N][16];
	int want[KILL_N];
	Np__Envelope *e;
	const Np__Case *k;
	size_t i;

	(void)state;
	for (i = 0; i < KILL_N; i++)
		report("vol_5002", "50020301", "incident", ids[i]);
	for (i = 0; i < KILL_N; i++) {       /* QoS 0: batched; the kill may lose some */
		ack_qos("d5002_official", "50020301", ids[i], NP__ACK_STATE__RECEIVED, NULL, NULL, 0,
			NULL, 0);
		if (i % 2 == 0)
			ack_qos("d5002_official", "50020301", ids[i], NP__ACK_STATE__RESOLVED, NULL,
				NULL, 0, NULL, 0);
	}
	ack_ok("d5002_official", "50020301", ids[0], NP__ACK_STATE__RESOLVED, "QoS 1", NULL);
	drop_clients();
	assert_int_equal(hub_restart(&hub, true, NULL, "set_tcp_nodelay true"), 0);
	states_from_history("50020301", ids, KILL_N, want);
	assert_int_equal(want[0], NP__ACK_STATE__RESOLVED);    /* acknowledged: kept */
	e = cases("d5002_official", &(struct query){ .area = "50020301" });
	for (i = 0; i < KILL_N; i++) {
		k = find(e, ids[i]);
		assert_non_null(k);
		if ((int)k->state != want[i])
			print_error("case %zu: state %d, the history's acks say %d\n", i, k->state,
				    want[i]);
		assert_int_equal(k->state, want[i]);
		assert_int_equal(k->first_ack_at_ms != 0, want[i] != 0);
		assert_int_equal(k->resolved_at_ms != 0, want[i] == NP__ACK_STATE__RESOLVED);
	}
	np__envelope__free_unpacked(e, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(done_when_assign_progress_resolve),
		cmocka_unit_test(overdue_follows_the_targets_set_by_np_admin),
		cmocka_unit_test(stats_give_the_time_to_first_ack_and_resolution),
		cmocka_unit_test(bad_acks_are_refused_with_their_reason_and_change_nothing),
		cmocka_unit_test(assignees_act_on_and_see_their_cases_only),
		cmocka_unit_test(case_queries_stay_within_the_askers_scope),
		cmocka_unit_test(pages_follow_the_cursor_without_gaps_or_repeats),
		cmocka_unit_test(history_load_makes_cases),
		cmocka_unit_test(cases_agree_with_the_history_after_kill_9),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);

	if (rc != 0)
		hub_print_log(&hub);
	return rc;
}
