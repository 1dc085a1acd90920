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

/* --user, connected, its replies to on_msg; what names the command. */
static struct cl *
one_client(struct pool *p, void (*on_msg)(struct cl *, const struct mosquitto_message *),
	   const char *what)
{
	const struct user *u;
	struct cl *c;

	load_users();
	if (opt.user == NULL || opt.filter == NULL)
		die("%s needs --user and --filter", what);
	u = user_by_name(opt.user);
	if (u == NULL)
		die("unknown user %s", opt.user);
	pool_init(p);
	p->on_msg = on_msg;
	c = cl_new(p, u, NULL);
	cl_connect(p, c);
	pool_until(p, cl_up, c, 10);
	if (c->state != CL_UP)
		die("%s", "cannot connect");
	return c;
}

/* Publishes the request (len bytes of buf) on topic and waits for its page:
 * its latency, its items in H.items. */
static int64_t
ask(struct pool *p, struct cl *c, const char *topic, const void *buf, size_t len,
    const char *what)
{
	H.waiting = true;
	H.error[0] = '\0';
	H.t0 = now_ns();
	mosquitto_publish_v5(c->m, NULL, topic, (int)len, buf, 0, false, NULL);
	cl_update(p, c);
	if (!pool_until(p, hist_done, NULL, 10))
		die("no %s page within 10 s", what);
	if (H.error[0])
		die("refused: %s", H.error);
	return H.lat;
}

/* The result lines of opt.pages latencies (sorted here) and their items. */
static void
page_results(int64_t *lat, size_t items)
{
	qsort(lat, (size_t)opt.pages, sizeof(*lat), cmp_i64);
	result("items_per_page", (double)items / opt.pages);
	result("p50_ms", pct(lat, (size_t)opt.pages, 0.5) / 1e6);
	result("p99_ms", pct(lat, (size_t)opt.pages, 0.99) / 1e6);
	result("max_ms", (double)lat[opt.pages - 1] / 1e6);
	free(lat);
}

int
cmd_history(void)
{
	struct pool p;
	struct cl *c;
	Np__HistoryRequest rq = NP__HISTORY_REQUEST__INIT;
	uint8_t buf[512];
	int64_t *lat;
	size_t len, items = 0;
	int i, restarts = 0;

	c = one_client(&p, hist_on_msg, "history");
	lat = calloc((size_t)opt.pages, sizeof(*lat));
	H.cursor_len = 0;
	for (i = 0; i < opt.pages; i++) {
		rq.filter = (char *)opt.filter;
		rq.limit = (uint32_t)opt.limit;
		rq.cursor.data = H.cursor;
		rq.cursor.len = H.cursor_len;
		rq.correlation_id = "npbench";
		len = np__history_request__pack(&rq, buf);
		lat[i] = ask(&p, c, "$CONTROL/np/v1/history", buf, len, "history");
		items += H.items;
		if (H.cursor_len == 0)
			restarts++;     /* the result ended: start again from the first page */
	}
	printf("info history filter=%s pages=%d items=%zu restarts=%d\n", opt.filter, opt.pages, items,
	       restarts);
	page_results(lat, items);
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
	uint8_t buf[256];
	int64_t *lat;
	size_t len, items = 0;
	int i;

	c = one_client(&p, cases_on_msg, "cases");
	lat = calloc((size_t)opt.pages, sizeof(*lat));
	rq.area = (char *)opt.filter;
	rq.states = open;
	rq.n_states = 4;
	rq.limit = (uint32_t)opt.limit;
	rq.correlation_id = "npbench";
	len = np__case_request__pack(&rq, buf);
	for (i = 0; i < opt.pages; i++) {
		lat[i] = ask(&p, c, "$CONTROL/np/v1/cases", buf, len, "case");
		items += H.items;
	}
	printf("info cases area=%s pages=%d items=%zu\n", opt.filter, opt.pages, items);
	page_results(lat, items);
	return 0;
}
