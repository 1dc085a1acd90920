/* case_query.c - see case_query.h. Decodes the requests (np.pb-c.h), decides
 * what the asker may read (the walk cases.c runs), and packs the pages; the
 * index itself is cases.c's. A page costs its cases and at most
 * HUB_CASE_BUDGET index entries, whatever the size of the history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <mosquitto.h>

#include "case_query.h"
#include "np.pb-c.h"
#include "publish.h"
#include "topic.h"
#include "validate.h"

#define CORRELATION_MAX 128
#define ALL_KINDS ((1u << HUB_REPORT_KIND_COUNT) - 1)
#define ALL_STATES ((1u << HUB_CASE_STATES) - 1)
#define OUTAGE 0                        /* hub_report_kind_name(0) */

static bool
echoable(const char *s)
{
	size_t n = strlen(s);

	return n <= CORRELATION_MAX && hub_utf8_valid(s, n);
}

/* ---- who reads what ---- */

static enum hub_refusal
parse_kinds(char **kinds, size_t n, unsigned *mask)
{
	size_t i;
	int k;

	*mask = n == 0 ? ALL_KINDS : 0;
	for (i = 0; i < n; i++) {
		for (k = 0; k < HUB_REPORT_KIND_COUNT; k++) {
			if (strcmp(kinds[i], hub_report_kind_name(k)) == 0)
				break;
		}
		if (k == HUB_REPORT_KIND_COUNT)
			return HUB_R_CASE_KIND;
		*mask |= 1u << k;
	}
	return HUB_OK;
}

/* The walk p may make over area (empty: its scope), for the kinds in w->kinds. */
static enum hub_refusal
plan(const struct hub_principal *p, const char *area, struct hub_case_walk *w)
{
	const char *a = area[0] != '\0' ? area : p->scope;
	size_t n = strlen(a);
	enum hub_level l = hub_area_level(a, n);

	if (l == HUB_LEVEL_BAD || l == HUB_LEVEL_SUBDISTRICT)
		return HUB_R_CASE_AREA;
	if (p->role == HUB_ROLE_RESIDENT || p->role == HUB_ROLE_NONE)
		return HUB_R_CASE_READER;
	if (!hub_area_within(a, p->scope))
		return HUB_R_CASE_SCOPE;
	snprintf(w->area, sizeof(w->area), "%s", l == HUB_LEVEL_NATION ? "" : a);
	w->index_kinds = w->kinds;
	w->assignee = NULL;
	if (p->role == HUB_ROLE_OPERATOR) {
		w->index_kinds &= 1u << OUTAGE;
		w->assignee = p->username;
	} else if (p->role == HUB_ROLE_AGENCY) {
		w->index_kinds = 0;
		w->assignee = p->username;
	}
	return HUB_OK;
}

/* ---- a case page ---- */

struct page {
	struct hub_history *h;
	Np__Case *cases;
	Np__Case **ptrs;
	char (*topics)[256];
	size_t n, limit, bytes;
	bool failed;
};

/* A copy of the stored message hid (payload into *out), its topic into topic. */
static int
copy_msg(struct page *pg, void *txn, uint64_t hid, ProtobufCBinaryData *out, char *topic,
	 size_t topiclen)
{
	struct hub_hist_item it;
	int rc = hub_history_get(pg->h, txn, hid, &it, topic, topiclen);

	if (rc == HUB_STORE_NOTFOUND)
		return 0;       /* an ack removed by retention: the case stays */
	if (rc != 0 || (out->data = malloc(it.len ? it.len : 1)) == NULL)
		return -1;
	memcpy(out->data, it.payload, it.len);
	out->len = it.len;
	pg->bytes += it.len;
	return 0;
}

static int
add_case(void *ctx, void *txn, const struct hub_case *k, bool ack_late, bool resolve_late)
{
	struct page *pg = ctx;
	Np__Case *c = &pg->cases[pg->n];
	char acktopic[256];

	np__case__init(c);
	pg->ptrs[pg->n++] = c;
	c->topic = pg->topics[pg->n - 1];
	c->topic[0] = '\0';
	if (copy_msg(pg, txn, k->hid, &c->report, c->topic, sizeof(pg->topics[0])) != 0
	    || (k->last_ack_hid != 0
		&& copy_msg(pg, txn, k->last_ack_hid, &c->last_ack, acktopic, sizeof(acktopic))
		   != 0)) {
		pg->failed = true;
		return 1;
	}
	c->state = (Np__AckState)k->state;
	c->assignee = strdup(k->assignee);
	c->first_ack_at_ms = k->first_ack_ms;
	c->resolved_at_ms = k->resolved_ms;
	c->ack_overdue = ack_late;
	c->resolve_overdue = resolve_late;
	if (c->assignee == NULL) {
		c->assignee = (char *)"";
		pg->failed = true;
		return 1;
	}
	return pg->n == pg->limit || pg->bytes >= HUB_CASE_MAX_BYTES;
}

static void
page_free(struct page *pg)
{
	size_t i;

	for (i = 0; pg->cases != NULL && i < pg->n; i++) {
		free(pg->cases[i].report.data);
		free(pg->cases[i].last_ack.data);
		if (pg->cases[i].assignee != NULL && pg->cases[i].assignee[0] != '\0')
			free(pg->cases[i].assignee);
	}
	free(pg->cases);
	free(pg->ptrs);
	free(pg->topics);
}

static enum hub_refusal
check_request(const Np__CaseRequest *q, size_t len, struct hub_case_walk *w)
{
	enum hub_refusal why;
	size_t i;

	if (q->base.n_unknown_fields > 0)
		return HUB_R_REQUEST_UNKNOWN_FIELDS;
	if (np__case_request__get_packed_size(q) != len)
		return HUB_R_REQUEST_NOT_CANONICAL;
	if (q->limit > HUB_CASE_MAX_LIMIT)
		return HUB_R_LIMIT_TOO_BIG;
	if (q->cursor.len != 0 && q->cursor.len != HUB_CASE_CURSOR_LEN)
		return HUB_R_BAD_CURSOR;
	if (!echoable(q->correlation_id))
		return HUB_R_CORRELATION_ID;
	why = parse_kinds(q->kinds, q->n_kinds, &w->kinds);
	w->states = q->n_states == 0 ? ALL_STATES : 0;
	for (i = 0; why == HUB_OK && i < q->n_states; i++) {
		if ((unsigned)q->states[i] >= HUB_CASE_STATES)
			return HUB_R_CASE_STATE;
		w->states |= 1u << q->states[i];
	}
	return why;
}

static enum hub_refusal
run_page(struct hub_cases *c, const struct hub_principal *p, const Np__CaseRequest *q,
	 int64_t now, Np__CasePage *out, struct page *pg, uint8_t *next)
{
	struct hub_case_targets t;
	struct hub_case_walk w;
	enum hub_refusal why;
	int rc;

	memset(&w, 0, sizeof(w));
	why = check_request(q, np__case_request__get_packed_size(q), &w);
	if (why == HUB_OK)
		why = plan(p, q->area, &w);
	if (why != HUB_OK)
		return why;
	if (hub_cases_targets(c, &t) != 0)
		return HUB_R_CASE_FAILED;
	w.overdue_only = q->overdue_only;
	w.oldest_first = q->oldest_first;
	w.has_cursor = q->cursor.len == HUB_CASE_CURSOR_LEN;
	if (w.has_cursor)
		memcpy(w.cursor, q->cursor.data, HUB_CASE_CURSOR_LEN);
	w.budget = HUB_CASE_BUDGET;
	w.now_ms = now;
	w.targets = &t;
	pg->h = hub_cases_history(c);
	pg->limit = q->limit ? q->limit : HUB_CASE_DEFAULT_LIMIT;
	pg->cases = calloc(pg->limit, sizeof(*pg->cases));
	pg->ptrs = calloc(pg->limit, sizeof(*pg->ptrs));
	pg->topics = calloc(pg->limit, sizeof(*pg->topics));
	if (pg->cases == NULL || pg->ptrs == NULL || pg->topics == NULL)
		return HUB_R_NOMEM;
	rc = hub_cases_walk(c, &w, add_case, pg, next);
	if (rc < 0 || pg->failed) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: cases: %s", rc < 0 ? hub_cases_error(c)
				     : "cannot copy a case's messages");
		return HUB_R_CASE_FAILED;
	}
	out->n_cases = pg->n;
	out->cases = pg->ptrs;
	if (rc != 0) {          /* stopped (page full) or out of budget: resume after next */
		out->next_cursor.data = next;
		out->next_cursor.len = HUB_CASE_CURSOR_LEN;
	}
	return HUB_OK;
}

uint8_t *
hub_case_answer(struct hub_cases *c, const struct hub_principal *p, const void *req, size_t len,
		int64_t now_ms, size_t *out_len, enum hub_refusal *why)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__CasePage pg = NP__CASE_PAGE__INIT;
	Np__CaseRequest *q = np__case_request__unpack(NULL, len, req);
	uint8_t next[HUB_CASE_CURSOR_LEN], *out;
	struct page mem;

	memset(&mem, 0, sizeof(mem));
	if (q == NULL)
		*why = HUB_R_NOT_CASE_REQUEST;
	else if (np__case_request__get_packed_size(q) != len)
		*why = HUB_R_REQUEST_NOT_CANONICAL;
	else
		*why = run_page(c, p, q, now_ms, &pg, &mem, next);
	if (q != NULL && echoable(q->correlation_id))
		pg.correlation_id = q->correlation_id;
	if (*why != HUB_OK) {
		pg.n_cases = 0;
		pg.next_cursor.len = 0;
		pg.error = (char *)hub_refusal_text(*why);
	}
	e.body_case = NP__ENVELOPE__BODY_CASE_PAGE;
	e.case_page = &pg;
	out = hub_reply_pack(&e, now_ms, out_len);
	page_free(&mem);
	if (q != NULL)
		np__case_request__free_unpacked(q, NULL);
	return out;
}

/* ---- stats ---- */

struct srow {
	char province[3];
	int kind, month;                /* month: year * 12 + (month - 1) */
	uint32_t count, acked, resolved, open, overdue;
	int64_t *ack, *res;             /* durations, ms */
	size_t nack, nres, cap_ack, cap_res;
};

#define SLOTS (100 * HUB_REPORT_KIND_COUNT)     /* province x kind, of one month */

struct stats {
	struct srow *rows;
	size_t n, cap, seen;
	int month;                      /* the month slot[] is for */
	long slot[SLOTS];               /* row index + 1; 0: none yet */
	bool nomem, too_many;
};

static int
month_of(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

static bool
push(int64_t **a, size_t *n, size_t *cap, int64_t v)
{
	int64_t *g;

	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		g = realloc(*a, *cap * sizeof(**a));
		if (g == NULL)
			return false;
		*a = g;
	}
	(*a)[(*n)++] = v;
	return true;
}

static struct srow *
row_for(struct stats *st, const struct hub_case *k, int month)
{
	int prov = (k->village[0] - '0') * 10 + (k->village[1] - '0');
	int s = prov * HUB_REPORT_KIND_COUNT + k->kind;
	struct srow *g;

	if (month != st->month) {       /* cases come in report order: months only grow */
		memset(st->slot, 0, sizeof(st->slot));
		st->month = month;
	}
	if (prov < 0 || prov > 99)
		return NULL;
	if (st->slot[s] != 0)
		return &st->rows[st->slot[s] - 1];
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 64;
		g = realloc(st->rows, st->cap * sizeof(*st->rows));
		if (g == NULL)
			return NULL;
		st->rows = g;
	}
	g = &st->rows[st->n++];
	memset(g, 0, sizeof(*g));
	memcpy(g->province, k->village, 2);
	g->kind = k->kind;
	g->month = month;
	st->slot[s] = (long)st->n;
	return g;
}

static int
count_case(void *ctx, void *txn, const struct hub_case *k, bool ack_late, bool resolve_late)
{
	struct stats *st = ctx;
	int64_t at = HUB_HID_MS(k->hid);
	struct srow *r;

	(void)txn;
	if (++st->seen > HUB_CASE_STATS_MAX) {
		st->too_many = true;
		return 1;
	}
	r = row_for(st, k, month_of(at));
	if (r == NULL) {
		st->nomem = true;
		return 1;
	}
	r->count++;
	r->open += k->state != HUB_CASE_RESOLVED && k->state != HUB_CASE_REJECTED;
	r->overdue += ack_late || resolve_late;
	if (k->first_ack_ms != 0) {
		r->acked++;
		if (!push(&r->ack, &r->nack, &r->cap_ack, k->first_ack_ms - at))
			st->nomem = true;
	}
	if (k->state == HUB_CASE_RESOLVED) {
		r->resolved++;
		if (!push(&r->res, &r->nres, &r->cap_res, k->resolved_ms - at))
			st->nomem = true;
	}
	return st->nomem;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
cmp_row(const void *a, const void *b)
{
	const struct srow *x = a, *y = b;
	int d = strcmp(x->province, y->province);

	if (d == 0)
		d = x->kind - y->kind;
	return d != 0 ? d : x->month - y->month;
}

/* The nearest-rank percentile pct of the n sorted values v; 0 when n is 0. */
static int64_t
pctl(int64_t *v, size_t n, unsigned pct)
{
	size_t r;

	if (n == 0)
		return 0;
	r = (n * pct + 99) / 100;
	return v[r > 0 ? r - 1 : 0];
}

static void
stats_free(struct stats *st)
{
	size_t i;

	for (i = 0; i < st->n; i++) {
		free(st->rows[i].ack);
		free(st->rows[i].res);
	}
	free(st->rows);
	free(st);
}

/* The page's rows from st: out[i] and its month text in months[i]. */
static void
fill_rows(struct stats *st, Np__CaseStatsRow *out, Np__CaseStatsRow **ptrs, char (*months)[12])
{
	struct srow *r;
	size_t i;

	qsort(st->rows, st->n, sizeof(*st->rows), cmp_row);
	for (i = 0; i < st->n; i++) {
		r = &st->rows[i];
		qsort(r->ack, r->nack, sizeof(*r->ack), cmp_i64);
		qsort(r->res, r->nres, sizeof(*r->res), cmp_i64);
		np__case_stats_row__init(&out[i]);
		snprintf(months[i], 12, "%04d-%02d", r->month / 12 % 10000, r->month % 12 + 1);
		out[i].province = r->province;
		out[i].kind = (char *)hub_report_kind_name(r->kind);
		out[i].month = months[i];
		out[i].count = r->count;
		out[i].acked = r->acked;
		out[i].resolved = r->resolved;
		out[i].open = r->open;
		out[i].overdue = r->overdue;
		out[i].ack_p50_ms = pctl(r->ack, r->nack, 50);
		out[i].ack_p90_ms = pctl(r->ack, r->nack, 90);
		out[i].resolve_p50_ms = pctl(r->res, r->nres, 50);
		out[i].resolve_p90_ms = pctl(r->res, r->nres, 90);
		ptrs[i] = &out[i];
	}
}

static enum hub_refusal
check_stats(const Np__CaseStatsRequest *q, size_t len, struct hub_case_walk *w)
{
	if (q->base.n_unknown_fields > 0)
		return HUB_R_REQUEST_UNKNOWN_FIELDS;
	if (np__case_stats_request__get_packed_size(q) != len)
		return HUB_R_REQUEST_NOT_CANONICAL;
	if (q->since_ms < 0 || q->until_ms < 0)
		return HUB_R_NEGATIVE_TIME;
	if (q->until_ms != 0 && q->until_ms < q->since_ms)
		return HUB_R_UNTIL_BEFORE_SINCE;
	if (!echoable(q->correlation_id))
		return HUB_R_CORRELATION_ID;
	w->states = ALL_STATES;
	w->since_ms = q->since_ms;
	w->until_ms = q->until_ms;
	w->oldest_first = true;
	return parse_kinds(q->kinds, q->n_kinds, &w->kinds);
}

static enum hub_refusal
run_stats(struct hub_cases *c, const struct hub_principal *p, const Np__CaseStatsRequest *q,
	  size_t len, int64_t now, struct stats *st)
{
	struct hub_case_targets t;
	struct hub_case_walk w;
	uint8_t last[HUB_CASE_CURSOR_LEN];
	enum hub_refusal why;
	int rc;

	memset(&w, 0, sizeof(w));
	why = check_stats(q, len, &w);
	if (why == HUB_OK)
		why = plan(p, q->area, &w);
	if (why != HUB_OK)
		return why;
	if (hub_cases_targets(c, &t) != 0)
		return HUB_R_CASE_FAILED;
	w.budget = (size_t)-1;
	w.now_ms = now;
	w.targets = &t;
	st->month = -1;
	rc = hub_cases_walk(c, &w, count_case, st, last);
	if (st->too_many)
		return HUB_R_CASE_STATS_TOO_MANY;
	if (st->nomem)
		return HUB_R_NOMEM;
	if (rc < 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: case stats: %s", hub_cases_error(c));
		return HUB_R_CASE_FAILED;
	}
	return HUB_OK;
}

uint8_t *
hub_case_stats_answer(struct hub_cases *c, const struct hub_principal *p, const void *req,
		      size_t len, int64_t now_ms, size_t *out_len, enum hub_refusal *why)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__CaseStatsPage pg = NP__CASE_STATS_PAGE__INIT;
	Np__CaseStatsRequest *q = np__case_stats_request__unpack(NULL, len, req);
	struct stats *st = calloc(1, sizeof(*st));
	Np__CaseStatsRow *rows = NULL, **ptrs = NULL;
	char (*months)[12] = NULL;
	uint8_t *out;

	if (st == NULL)
		*why = HUB_R_NOMEM;
	else if (q == NULL)
		*why = HUB_R_NOT_CASE_STATS_REQUEST;
	else
		*why = run_stats(c, p, q, len, now_ms, st);
	if (*why == HUB_OK && st->n > 0) {
		rows = calloc(st->n, sizeof(*rows));
		ptrs = calloc(st->n, sizeof(*ptrs));
		months = calloc(st->n, sizeof(*months));
		if (rows == NULL || ptrs == NULL || months == NULL)
			*why = HUB_R_NOMEM;
	}
	if (*why == HUB_OK && st->n > 0) {
		fill_rows(st, rows, ptrs, months);
		pg.n_rows = st->n;
		pg.rows = ptrs;
	}
	if (q != NULL && echoable(q->correlation_id))
		pg.correlation_id = q->correlation_id;
	if (*why != HUB_OK)
		pg.error = (char *)hub_refusal_text(*why);
	e.body_case = NP__ENVELOPE__BODY_CASE_STATS;
	e.case_stats = &pg;
	out = hub_reply_pack(&e, now_ms, out_len);
	free(rows);
	free(ptrs);
	free(months);
	if (st != NULL)
		stats_free(st);
	if (q != NULL)
		np__case_stats_request__free_unpacked(q, NULL);
	return out;
}

/* ---- the MQTT endpoints ---- */

typedef uint8_t *(*answer_fn)(struct hub_cases *, const struct hub_principal *, const void *,
			      size_t, int64_t, size_t *, enum hub_refusal *);

/* A request refused unread: a page with only its error. */
static uint8_t *
refusal_page(bool stats, const char *text, int64_t now, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__CasePage pg = NP__CASE_PAGE__INIT;
	Np__CaseStatsPage sp = NP__CASE_STATS_PAGE__INIT;

	if (stats) {
		sp.error = (char *)text;
		e.body_case = NP__ENVELOPE__BODY_CASE_STATS;
		e.case_stats = &sp;
	} else {
		pg.error = (char *)text;
		e.body_case = NP__ENVELOPE__BODY_CASE_PAGE;
		e.case_page = &pg;
	}
	return hub_reply_pack(&e, now, len);
}

static int
on_request(struct mosquitto_evt_control *ed, struct hub_ctx *ctx, bool stats)
{
	const char *what = stats ? "case-stats" : "cases";
	answer_fn answer = stats ? hub_case_stats_answer : hub_case_answer;
	const struct hub_principal *p;
	enum hub_refusal why;
	char text[200];
	uint8_t *page;
	size_t len;
	int64_t now;

	p = hub_control_begin(ctx, ed, HUB_CASE_MAX_REQUEST, HUB_RATE_REQUEST, &why, &now);
	if (p == NULL)
		return MOSQ_ERR_ACL_DENIED;
	if (why != HUB_OK) {
		hub_throttle_explain(ctx->throttle, why, text, sizeof(text));
		if (!hub_throttle_reply(ctx->throttle, p->username, now))
			page = NULL;
		else if ((page = refusal_page(stats, text, now, &len)) == NULL)
			return MOSQ_ERR_NOMEM;
	} else {
		hub_history_commit(ctx->history);      /* the page sees every stored ack */
		page = answer(ctx->cases, p, ed->payload, ed->payloadlen, now, &len, &why);
		if (page == NULL)
			return MOSQ_ERR_NOMEM;
		hub_throttle_request_bytes(ctx->throttle, p->username, len, now);
		snprintf(text, sizeof(text), "%s", hub_refusal_text(why));
	}
	if (why != HUB_OK)
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "np: refused %s request by '%.64s' (client "
				     "'%.64s'): %s", what, p->username, mosquitto_client_id(ed->client),
				     text);
	if (page != NULL)
		hub_publish_reply(ctx, ed->client, p->username, what, page, len);
	return MOSQ_ERR_SUCCESS;
}

int
hub_case_on_request(int event, void *event_data, void *userdata)
{
	(void)event;
	return on_request(event_data, userdata, false);
}

int
hub_case_on_stats(int event, void *event_data, void *userdata)
{
	(void)event;
	return on_request(event_data, userdata, true);
}
