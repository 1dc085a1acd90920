/* cases.c - np_cases and np_case_stats (DESIGN.md "Report cases"): ask the
 * hub on $CONTROL/np/v1/cases (one page at a time, a fresh correlation id
 * each, following the hub's cursor) and $CONTROL/np/v1/case-stats, and hand
 * the answers to the caller. Pages come on np/reply/<user>/cases and
 * np/reply/<user>/case-stats. Encodes and decodes its own messages, as
 * receipt.c does. */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np.pb-c.h"
#include "np_int.h"

#define CASE_PAGE 200           /* cases asked for per page */
#define REP_TOPIC_MAX 128

bool
np__cases_on_message(struct np_client *c, const struct mosquitto_message *msg)
{
	struct np__cases *k = &c->cases;
	bool stats = strcmp(msg->topic, k->stats_topic) == 0;
	const char *corr;
	Np__Envelope *e;

	if (!stats && strcmp(msg->topic, k->topic) != 0)
		return false;
	if (k->want_corr[0] == '\0' || k->page != NULL)
		return true;
	e = np__envelope__unpack(NULL, (size_t)msg->payloadlen, msg->payload);
	corr = e == NULL ? NULL
	       : stats && e->body_case == NP__ENVELOPE__BODY_CASE_STATS ? e->case_stats->correlation_id
	       : !stats && e->body_case == NP__ENVELOPE__BODY_CASE_PAGE ? e->case_page->correlation_id
	       : NULL;
	/* not ours (another request of the same user); a page refused unread
	 * carries no correlation id and is taken as the answer */
	if (corr == NULL || (strcmp(corr, k->want_corr) != 0 && corr[0] != '\0')) {
		if (e != NULL)
			np__envelope__free_unpacked(e, NULL);
		return true;
	}
	k->page = e;
	return true;
}

static void
drop_page(struct np__cases *k)
{
	if (k->page != NULL)
		np__envelope__free_unpacked(k->page, NULL);
	k->page = NULL;
	k->want_corr[0] = '\0';
}

void
np__cases_close(struct np_client *c)
{
	drop_page(&c->cases);
}

/* Publishes the packed request buf on topic and pumps until its page came. */
static int
ask(struct np_client *c, const char *topic, const uint8_t *buf, size_t len, int timeout_ms)
{
	struct np__cases *k = &c->cases;
	int64_t deadline = np__mono_ms() + timeout_ms;

	if (mosquitto_publish_v5(c->conn.mosq, NULL, topic, (int)len, buf, 1, false, NULL)
	    != MOSQ_ERR_SUCCESS)
		return np__set_err(c, NP_ERR_NOT_CONNECTED, "cannot send the case request");
	while (k->page == NULL && c->conn.connected && np__mono_ms() < deadline)
		np__pump(c, NP__SLICE_MS);
	if (k->page != NULL)
		return NP_OK;
	return np__set_err(c, c->conn.connected ? NP_ERR_TIMEOUT : NP_ERR_UNREACHABLE,
			   "no answer to the case request from the hub");
}

static void
new_corr(struct np__cases *k, char prefix)
{
	drop_page(k);
	snprintf(k->want_corr, sizeof(k->want_corr), "%c%u-%08x", prefix, ++k->corr_counter,
		 (unsigned)np__random());
}

/* ---- np_cases ---- */

static int
ask_page(struct np_client *c, const struct np_case_query *q, uint32_t limit,
	 const uint8_t *cursor, size_t cursor_len, int timeout_ms)
{
	Np__CaseRequest r = NP__CASE_REQUEST__INIT;
	Np__AckState states[8];
	uint8_t *buf;
	size_t len, i;
	int rc;

	new_corr(&c->cases, 'c');
	r.area = (char *)(q->area != NULL ? q->area : "");
	r.kinds = (char **)q->kinds;
	r.n_kinds = q->n_kinds;
	for (i = 0; i < q->n_states; i++)
		states[i] = (Np__AckState)q->states[i];
	r.states = states;
	r.n_states = q->n_states;
	r.overdue_only = q->overdue_only;
	r.oldest_first = q->oldest_first;
	r.limit = limit;
	r.cursor.data = (uint8_t *)cursor;
	r.cursor.len = cursor_len;
	r.correlation_id = c->cases.want_corr;
	len = np__case_request__get_packed_size(&r);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return np__set_err(c, NP_ERR_NOMEM, "out of memory");
	np__case_request__pack(&r, buf);
	rc = ask(c, NP__CASES_TOPIC, buf, len, timeout_ms);
	free(buf);
	return rc;
}

/* The village and kind of a report topic np/rep/P/D/V/kind, and its ack topic. */
static void
split_topic(const char *topic, char *village, char *kind, char *ack)
{
	const char *p = topic;
	int level;

	village[0] = kind[0] = ack[0] = '\0';
	for (level = 0; level < 5 && p != NULL; level++)
		p = strchr(p, '/') != NULL ? strchr(p, '/') + 1 : NULL;
	if (p == NULL || p - topic < 9 || (size_t)(p - topic) >= REP_TOPIC_MAX - 4)
		return;
	snprintf(village, 9, "%.8s", p - 9);
	snprintf(kind, 16, "%s", p);
	snprintf(ack, REP_TOPIC_MAX, "%.*sack", (int)(p - topic), topic);
}

/* Hands one case to fn; NP_ERR_PROTOCOL when its report cannot be read. */
static int
deliver(struct np_client *c, const Np__Case *pc, np_case_fn fn, void *ctx)
{
	struct np__decoded rep, ack;
	char village[9], kind[16], acktopic[REP_TOPIC_MAX];
	struct np_case out;
	bool has_ack;

	split_topic(pc->topic, village, kind, acktopic);
	if (np__decode(pc->topic, pc->report.data, pc->report.len, &rep) != NP_OK)
		return np__set_err(c, NP_ERR_PROTOCOL, "a case's report is unreadable");
	has_ack = pc->last_ack.len > 0
		  && np__decode(acktopic, pc->last_ack.data, pc->last_ack.len, &ack) == NP_OK;
	memset(&out, 0, sizeof(out));
	out.report = &rep.m;
	out.village = village;
	out.kind = kind;
	out.state = (enum np_ack_state)pc->state;
	out.assignee = pc->assignee;
	out.last_ack = has_ack ? &ack.m : NULL;
	out.first_ack_at_ms = pc->first_ack_at_ms;
	out.resolved_at_ms = pc->resolved_at_ms;
	out.ack_overdue = pc->ack_overdue;
	out.resolve_overdue = pc->resolve_overdue;
	fn(ctx, &out);
	np__decoded_free(&rep);
	if (has_ack)
		np__decoded_free(&ack);
	return NP_OK;
}

static int
check_query(struct np_client *c, const struct np_case_query *q, np_case_fn fn)
{
	if (q == NULL || fn == NULL || q->size < sizeof(struct np_case_query))
		return np__set_err(c, NP_ERR_INVAL, "np_cases: no query (NP_CASE_QUERY_INIT) or "
				   "no callback");
	if (q->n_states > 6 || (q->n_kinds > 0 && q->kinds == NULL)
	    || (q->n_states > 0 && q->states == NULL))
		return np__set_err(c, NP_ERR_INVAL, "np_cases: bad kinds or states");
	if (!c->conn.connected)
		return np__set_err(c, NP_ERR_NOT_CONNECTED, "not connected to the hub");
	return NP_OK;
}

int
np_cases(struct np_client *c, const struct np_case_query *q, np_case_fn fn, void *ctx,
	 int timeout_ms)
{
	uint8_t cursor[64];
	size_t cursor_len = 0, handed = 0, i;
	const Np__CasePage *pg;
	uint32_t limit;
	int rc = check_query(c, q, fn);

	while (rc == NP_OK) {
		limit = CASE_PAGE;
		if (q->max != 0 && q->max - handed < limit)
			limit = (uint32_t)(q->max - handed);
		rc = ask_page(c, q, limit, cursor, cursor_len, timeout_ms);
		if (rc != NP_OK)
			break;
		pg = ((Np__Envelope *)c->cases.page)->case_page;
		if (pg->error[0] != '\0') {
			rc = np__set_err(c, NP_ERR_CASES, "%s", pg->error);
			break;
		}
		for (i = 0; i < pg->n_cases && rc == NP_OK && (q->max == 0 || handed < q->max); i++) {
			rc = deliver(c, pg->cases[i], fn, ctx);
			handed++;
		}
		cursor_len = pg->next_cursor.len <= sizeof(cursor) ? pg->next_cursor.len : 0;
		if (cursor_len > 0)
			memcpy(cursor, pg->next_cursor.data, cursor_len);
		if (cursor_len == 0 || (q->max != 0 && handed >= q->max))
			break;
	}
	drop_page(&c->cases);
	return rc;
}

/* ---- np_case_stats ---- */

static int
hand_rows(struct np_client *c, const Np__CaseStatsPage *pg,
	  void (*fn)(void *ctx, const struct np_case_stats_row *rows, size_t n), void *ctx)
{
	struct np_case_stats_row *rows = calloc(pg->n_rows + 1, sizeof(*rows));
	size_t i;

	if (rows == NULL)
		return np__set_err(c, NP_ERR_NOMEM, "out of memory");
	for (i = 0; i < pg->n_rows; i++) {
		rows[i].province = pg->rows[i]->province;
		rows[i].kind = pg->rows[i]->kind;
		rows[i].month = pg->rows[i]->month;
		rows[i].count = pg->rows[i]->count;
		rows[i].acked = pg->rows[i]->acked;
		rows[i].resolved = pg->rows[i]->resolved;
		rows[i].open = pg->rows[i]->open;
		rows[i].overdue = pg->rows[i]->overdue;
		rows[i].ack_p50_ms = pg->rows[i]->ack_p50_ms;
		rows[i].ack_p90_ms = pg->rows[i]->ack_p90_ms;
		rows[i].resolve_p50_ms = pg->rows[i]->resolve_p50_ms;
		rows[i].resolve_p90_ms = pg->rows[i]->resolve_p90_ms;
	}
	fn(ctx, rows, pg->n_rows);
	free(rows);
	return NP_OK;
}

int
np_case_stats(struct np_client *c, const char *area, const char *const *kinds, size_t n_kinds,
	      int64_t since_ms, int64_t until_ms,
	      void (*fn)(void *ctx, const struct np_case_stats_row *rows, size_t n), void *ctx,
	      int timeout_ms)
{
	Np__CaseStatsRequest r = NP__CASE_STATS_REQUEST__INIT;
	const Np__CaseStatsPage *pg;
	uint8_t *buf;
	size_t len;
	int rc;

	if (fn == NULL || (n_kinds > 0 && kinds == NULL) || since_ms < 0 || until_ms < 0)
		return np__set_err(c, NP_ERR_INVAL, "np_case_stats: no callback, or bad kinds "
				   "or times");
	if (!c->conn.connected)
		return np__set_err(c, NP_ERR_NOT_CONNECTED, "not connected to the hub");
	new_corr(&c->cases, 's');
	r.area = (char *)(area != NULL ? area : "");
	r.kinds = (char **)kinds;
	r.n_kinds = n_kinds;
	r.since_ms = since_ms;
	r.until_ms = until_ms;
	r.correlation_id = c->cases.want_corr;
	len = np__case_stats_request__get_packed_size(&r);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return np__set_err(c, NP_ERR_NOMEM, "out of memory");
	np__case_stats_request__pack(&r, buf);
	rc = ask(c, NP__CASE_STATS_TOPIC, buf, len, timeout_ms);
	free(buf);
	if (rc == NP_OK) {
		pg = ((Np__Envelope *)c->cases.page)->case_stats;
		rc = pg->error[0] != '\0' ? np__set_err(c, NP_ERR_CASES, "%s", pg->error)
					  : hand_rows(c, pg, fn, ctx);
	}
	drop_page(&c->cases);
	return rc;
}
