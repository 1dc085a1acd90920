/* npb_receipts.c - npbench receipts: the cost on the hub of a national
 * announcement's receipts (DESIGN.md "Reach"). --user (the ministry)
 * announces to np/ann/TH; then --count volunteers, in waves of --window
 * connections (connected first, not timed), each send one DELIVERED receipt
 * for it on $CONTROL/np/v1/receipt at QoS 1. Timed: from the first receipt of
 * a wave to its last PUBACK (the hub has recorded it then), summed over the
 * waves, with the broker's CPU (--broker-pid) over the same windows. Then the
 * ministry asks the reach --pages times: the first page (1,000 villages) and
 * the whole paging of the not-reached villages. */
#include "npb.h"

#define WAVE_DEFAULT 2000

struct reach_wait {
	bool waiting;
	Np__ReachPage *page;    /* owned by env */
	Np__Envelope *env;
};

static struct reach_wait R;

static void
reach_on_msg(struct cl *c, const struct mosquitto_message *msg)
{
	(void)c;
	if (strstr(msg->topic, "/reach") == NULL)
		return;
	if (R.env != NULL)
		np__envelope__free_unpacked(R.env, NULL);
	R.env = np__envelope__unpack(NULL, (size_t)msg->payloadlen, msg->payload);
	R.page = R.env != NULL && R.env->body_case == NP__ENVELOPE__BODY_REACH_PAGE
		 ? R.env->reach_page : NULL;
	R.waiting = false;
}

static bool
reach_done(void *arg)
{
	(void)arg;
	return !R.waiting;
}

static bool
one_acked(void *arg)
{
	return ((struct cl *)arg)->acked > 0;
}

static bool
up(void *arg)
{
	return ((struct cl *)arg)->state != CL_CONNECTING;
}

struct wave {
	struct cl **cs;
	size_t n;
};

static bool
wave_acked(void *arg)
{
	struct wave *w = arg;
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->cs[i]->state == CL_UP && w->cs[i]->acked == 0)
			return false;
	return true;
}

static size_t
pack_receipt(uint8_t *buf, const uint8_t id[16])
{
	Np__Receipt r = NP__RECEIPT__INIT;
	ProtobufCBinaryData b = { 16, (uint8_t *)id };

	r.state = NP__RECEIPT_STATE__DELIVERED;
	r.n_ids = 1;
	r.ids = &b;
	return np__receipt__pack(&r, buf);
}

/* One wave: connect (untimed), then one receipt each (timed). */
static void
wave_run(const struct user **v, size_t n, const uint8_t id[16], double *secs, double *cpu,
	 size_t *acked)
{
	struct pool p;
	struct connect_all ca;
	struct wave w = { calloc(n, sizeof(struct cl *)), n };
	uint8_t buf[64];
	size_t len = pack_receipt(buf, id), i;
	int64_t t0;
	double c0;

	pool_init(&p);
	for (i = 0; i < n; i++)
		w.cs[i] = cl_new(&p, v[i], NULL);
	memset(&ca, 0, sizeof(ca));
	ca.p = &p;
	ca.cs = w.cs;
	ca.n = n;
	if (!pool_until(&p, connect_all_done, &ca, opt.timeout))
		die("%s", "a wave did not connect in time");
	c0 = broker_cpu_s();
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (w.cs[i]->state != CL_UP)
			continue;
		mosquitto_publish_v5(w.cs[i]->m, NULL, "$CONTROL/np/v1/receipt", (int)len, buf, 1,
				     false, NULL);
		cl_update(&p, w.cs[i]);
	}
	if (!pool_until(&p, wave_acked, &w, opt.timeout))
		die("%s", "receipts not acknowledged in time");
	*secs += (double)(now_ns() - t0) / 1e9;
	*cpu += broker_cpu_s() - c0;
	for (i = 0; i < n; i++) {
		*acked += w.cs[i]->acked;
		mosquitto_destroy(w.cs[i]->m);  /* closes the socket: the hub drops it */
		free(w.cs[i]);
	}
	close(p.ep);
	free(w.cs);
}

/* Asks the reach of id from cursor (8 digits or ""); the page (R.page). */
static void
ask(struct pool *p, struct cl *c, const uint8_t id[16], const char *cursor)
{
	Np__ReachRequest q = NP__REACH_REQUEST__INIT;
	uint8_t buf[128];
	size_t len;

	q.id.data = (uint8_t *)id;
	q.id.len = 16;
	q.limit = 1000;
	q.cursor.data = (uint8_t *)cursor;
	q.cursor.len = strlen(cursor);
	len = np__reach_request__pack(&q, buf);
	R.waiting = true;
	mosquitto_publish_v5(c->m, NULL, "$CONTROL/np/v1/reach", (int)len, buf, 0, false, NULL);
	cl_update(p, c);
	if (!pool_until(p, reach_done, NULL, 30) || R.page == NULL)
		die("%s", "no reach page");
	if (R.page->error[0] != '\0')
		die("reach: %s", R.page->error);
}

/* Pages through the whole reach of id once: ms; the pages into *pages. */
static double
page_all(struct pool *p, struct cl *c, const uint8_t id[16], int *pages)
{
	char cursor[9] = "";
	int64_t t0 = now_ns();

	ask(p, c, id, cursor);
	*pages = 1;
	while (R.page->next_cursor.len == 8) {
		memcpy(cursor, R.page->next_cursor.data, 8);
		cursor[8] = '\0';
		ask(p, c, id, cursor);
		(*pages)++;
	}
	return (double)(now_ns() - t0) / 1e6;
}

static void
reach_bench(struct pool *p, struct cl *c, const uint8_t id[16], size_t want)
{
	int64_t *first = calloc((size_t)opt.pages, sizeof(*first)), *all;
	char cursor[9];
	int i, pages = 0;
	int64_t t0;

	all = calloc((size_t)opt.pages, sizeof(*all));
	for (i = 0; i < opt.pages; i++) {
		cursor[0] = '\0';
		t0 = now_ns();
		ask(p, c, id, cursor);
		first[i] = now_ns() - t0;
		if (R.page->delivered != want)
			fprintf(stderr, "npbench: reach says %u delivered, want %zu\n",
				R.page->delivered, want);
		printf("info reach targeted=%u delivered=%u read=%u provinces=%zu\n",
		       R.page->targeted, R.page->delivered, R.page->read, R.page->n_provinces);
		pages = 1;
		while (R.page->next_cursor.len == 8) {
			memcpy(cursor, R.page->next_cursor.data, 8);
			cursor[8] = '\0';
			ask(p, c, id, cursor);
			pages++;
		}
		all[i] = now_ns() - t0;
	}
	qsort(first, (size_t)opt.pages, sizeof(*first), cmp_i64);
	qsort(all, (size_t)opt.pages, sizeof(*all), cmp_i64);
	printf("info reach pages_per_paging=%d\n", pages);
	result("reach_first_page_p50_ms", pct(first, (size_t)opt.pages, 0.5) / 1e6);
	result("reach_all_pages_p50_ms", pct(all, (size_t)opt.pages, 0.5) / 1e6);
	free(first);
	free(all);
}

int
cmd_receipts(void)
{
	const struct user **v, *u;
	struct pool p;
	struct cl *c;
	uint8_t ann[512], id[16];
	size_t n, i, wave = opt.window > 0 ? (size_t)opt.window : WAVE_DEFAULT, acked = 0, len;
	double secs = 0, cpu = 0;
	char filter[128];

	load_users();
	u = user_by_name(opt.user ? opt.user : "bench_ministry");
	if (u == NULL)
		die("%s", "receipts needs --user (an official of TH)");
	n = crowd_users(&v, (size_t)opt.count);
	pool_init(&p);
	p.on_msg = reach_on_msg;
	c = cl_new(&p, u, NULL);
	snprintf(filter, sizeof(filter), "np/reply/%s/#", u->name);
	c->sub_filter = filter;
	c->sub_qos = 1;
	cl_connect(&p, c);
	pool_until(&p, up, c, 10);
	if (c->state != CL_UP && c->state != CL_SUBBED)
		die("%s", "the ministry cannot connect");
	len = pack_envelope(ann, sizeof(ann), true);
	memcpy(id, ann + 2, 16);
	mosquitto_publish_v5(c->m, NULL, "np/ann/TH/emergency", (int)len, ann, 1, false, NULL);
	cl_update(&p, c);
	if (!pool_until(&p, one_acked, c, 10))
		die("%s", "the announcement was not acknowledged");
	{
		int pages;
		int64_t t0 = now_ns();

		/* before any receipt: every village is not reached (the hub's first
		 * reach request since it started also builds its village index) */
		ask(&p, c, id, "");
		result("reach_first_request_ms", (double)(now_ns() - t0) / 1e6);
		result("reach_none_all_pages_ms", page_all(&p, c, id, &pages));
		printf("info reach before receipts: targeted=%u pages=%d\n", R.page->targeted, pages);
	}
	for (i = 0; i < n; i += wave)
		wave_run(v + i, n - i < wave ? n - i : wave, id, &secs, &cpu, &acked);
	printf("info receipts count=%zu acked=%zu wave=%zu\n", n, acked, wave);
	result("receipts", (double)acked);
	result("receipts_s", secs);
	result("receipts_per_s", secs > 0 ? (double)acked / secs : 0);
	if (opt.broker_pid > 0) {
		result("broker_cpu_s", cpu);
		result("broker_cpu_us_per_receipt", acked ? cpu * 1e6 / (double)acked : 0);
	}
	reach_bench(&p, c, id, acked);
	return 0;
}
