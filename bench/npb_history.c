/* npb_history.c - npbench history: one user pages through the history of a
 * filter with $CONTROL/np/v1/history requests; pages per second and latency. */
#include "npb.h"

/* ---- history pages ---- */

struct hist {
	bool waiting;
	int64_t t0, lat;
	size_t items;
	uint8_t cursor[256];
	size_t cursor_len;
	char error[200];
};

static struct hist H;

static void
hist_on_msg(struct cl *c, const struct mosquitto_message *msg)
{
	Np__Envelope *e;

	(void)c;
	if (strstr(msg->topic, "/history") == NULL)
		return;
	H.lat = now_ns() - H.t0;
	H.waiting = false;
	e = np__envelope__unpack(NULL, (size_t)msg->payloadlen, msg->payload);
	if (e == NULL || e->body_case != NP__ENVELOPE__BODY_HISTORY_PAGE) {
		snprintf(H.error, sizeof(H.error), "not a history page");
	} else {
		Np__HistoryPage *pg = e->history_page;

		H.items = pg->n_items;
		H.cursor_len = pg->next_cursor.len <= sizeof(H.cursor) ? pg->next_cursor.len : 0;
		memcpy(H.cursor, pg->next_cursor.data, H.cursor_len);
		if (pg->error && pg->error[0])
			snprintf(H.error, sizeof(H.error), "%s", pg->error);
	}
	np__envelope__free_unpacked(e, NULL);
}

static bool
hist_done(void *arg)
{
	(void)arg;
	return !H.waiting;
}

static bool
cl_up(void *arg)
{
	return ((struct cl *)arg)->state != CL_CONNECTING;
}

int
cmd_history(void)
{
	struct pool p;
	struct cl *c;
	const struct user *u;
	Np__HistoryRequest rq = NP__HISTORY_REQUEST__INIT;
	uint8_t buf[512];
	int64_t *lat;
	size_t len, items = 0;
	int i, restarts = 0;

	load_users();
	if (opt.user == NULL || opt.filter == NULL)
		die("%s", "history needs --user and --filter");
	u = user_by_name(opt.user);
	if (u == NULL)
		die("unknown user %s", opt.user);
	pool_init(&p);
	p.on_msg = hist_on_msg;
	c = cl_new(&p, u, NULL);
	cl_connect(&p, c);
	pool_until(&p, cl_up, c, 10);
	if (c->state != CL_UP)
		die("%s", "cannot connect");
	lat = calloc((size_t)opt.pages, sizeof(*lat));
	H.cursor_len = 0;
	for (i = 0; i < opt.pages; i++) {
		rq.filter = (char *)opt.filter;
		rq.limit = (uint32_t)opt.limit;
		rq.cursor.data = H.cursor;
		rq.cursor.len = H.cursor_len;
		rq.correlation_id = "npbench";
		len = np__history_request__pack(&rq, buf);
		H.waiting = true;
		H.error[0] = '\0';
		H.t0 = now_ns();
		mosquitto_publish_v5(c->m, NULL, "$CONTROL/np/v1/history", (int)len, buf, 0, false, NULL);
		cl_update(&p, c);
		if (!pool_until(&p, hist_done, NULL, 10))
			die("%s", "no history page within 10 s");
		if (H.error[0])
			die("history: %s", H.error);
		lat[i] = H.lat;
		items += H.items;
		if (H.cursor_len == 0)
			restarts++;     /* the result ended: start again from the first page */
	}
	qsort(lat, (size_t)opt.pages, sizeof(*lat), cmp_i64);
	printf("info history filter=%s pages=%d items=%zu restarts=%d\n", opt.filter, opt.pages, items,
	       restarts);
	result("items_per_page", (double)items / opt.pages);
	result("p50_ms", pct(lat, (size_t)opt.pages, 0.5) / 1e6);
	result("p99_ms", pct(lat, (size_t)opt.pages, 0.99) / 1e6);
	result("max_ms", (double)lat[opt.pages - 1] / 1e6);
	return 0;
}

/* ---- case pages ---- */

static void
cases_on_msg(struct cl *c, const struct mosquitto_message *msg)
{
	Np__Envelope *e;

	(void)c;
	if (strstr(msg->topic, "/cases") == NULL)
		return;
	H.lat = now_ns() - H.t0;
	H.waiting = false;
	e = np__envelope__unpack(NULL, (size_t)msg->payloadlen, msg->payload);
	if (e == NULL || e->body_case != NP__ENVELOPE__BODY_CASE_PAGE) {
		snprintf(H.error, sizeof(H.error), "not a case page");
	} else {
		H.items = e->case_page->n_cases;
		if (e->case_page->error && e->case_page->error[0])
			snprintf(H.error, sizeof(H.error), "%s", e->case_page->error);
	}
	np__envelope__free_unpacked(e, NULL);
}

/* npbench cases: the first page of the open cases of --filter (an area code),
 * --pages times: latency per page. */
int
cmd_cases(void)
{
	static Np__AckState open[] = { NP__ACK_STATE__ACK_STATE_UNSPECIFIED,
				       NP__ACK_STATE__RECEIVED, NP__ACK_STATE__ASSIGNED,
				       NP__ACK_STATE__IN_PROGRESS };
	Np__CaseRequest rq = NP__CASE_REQUEST__INIT;
	struct pool p;
	struct cl *c;
	const struct user *u;
	uint8_t buf[256];
	int64_t *lat;
	size_t len, items = 0;
	int i;

	load_users();
	if (opt.user == NULL || opt.filter == NULL)
		die("%s", "cases needs --user and --filter (an area)");
	u = user_by_name(opt.user);
	if (u == NULL)
		die("unknown user %s", opt.user);
	pool_init(&p);
	p.on_msg = cases_on_msg;
	c = cl_new(&p, u, NULL);
	cl_connect(&p, c);
	pool_until(&p, cl_up, c, 10);
	if (c->state != CL_UP)
		die("%s", "cannot connect");
	lat = calloc((size_t)opt.pages, sizeof(*lat));
	rq.area = (char *)opt.filter;
	rq.states = open;
	rq.n_states = 4;
	rq.limit = (uint32_t)opt.limit;
	rq.correlation_id = "npbench";
	len = np__case_request__pack(&rq, buf);
	for (i = 0; i < opt.pages; i++) {
		H.waiting = true;
		H.error[0] = '\0';
		H.t0 = now_ns();
		mosquitto_publish_v5(c->m, NULL, "$CONTROL/np/v1/cases", (int)len, buf, 0, false, NULL);
		cl_update(&p, c);
		if (!pool_until(&p, hist_done, NULL, 10))
			die("%s", "no case page within 10 s");
		if (H.error[0])
			die("cases: %s", H.error);
		lat[i] = H.lat;
		items += H.items;
	}
	qsort(lat, (size_t)opt.pages, sizeof(*lat), cmp_i64);
	printf("info cases area=%s pages=%d items=%zu\n", opt.filter, opt.pages, items);
	result("items_per_page", (double)items / opt.pages);
	result("p50_ms", pct(lat, (size_t)opt.pages, 0.5) / 1e6);
	result("p99_ms", pct(lat, (size_t)opt.pages, 0.99) / 1e6);
	result("max_ms", (double)lat[opt.pages - 1] / 1e6);
	free(lat);
	return 0;
}
