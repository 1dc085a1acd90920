/* npb_fanout.c - npbench idle and fanout: a crowd of villages connected and
 * subscribed (idle: held; fanout: an announcement to all of them, repeated),
 * over worker processes; delivery latency percentiles. */
#include "npb.h"

/* ---- idle crowd and fan-out ---- */

#define FAN_MARK 0xfffffe

struct fan {
	int rounds;
	int64_t *arrival;       /* [round][client], absolute monotonic ns */
	size_t n;
	size_t *got;            /* per round */
};

static struct fan F;

static void
fan_on_msg(struct cl *c, const struct mosquitto_message *msg)
{
	const uint8_t *b = msg->payload;
	uint32_t mark, round;

	if (msg->payloadlen < 18 || b[0] != 0x0a || b[1] != 16 || c->idx < 0)
		return;
	mark = (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
	round = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
	if (mark != FAN_MARK || round >= (uint32_t)F.rounds)
		return;
	if (F.arrival[round * F.n + (size_t)c->idx] == 0) {
		F.arrival[round * F.n + (size_t)c->idx] = c->t_last;
		F.got[round]++;
	}
}

struct crowd_wait {
	struct pool *p;
	size_t n;
};

static bool
crowd_subbed(void *arg)
{
	struct crowd_wait *w = arg;

	return (size_t)(w->p->nsubbed + w->p->nsubfail + w->p->nfail + w->p->nlost) >= w->n;
}

static const struct user **crowd_v;
static size_t crowd_n;

struct crowd_ready {
	int subbed, failed;
};

struct round_res {
	int32_t round, n;
};

static int
crowd_child(int idx, int nw, int res, int ctl)
{
	struct pool p;
	struct connect_all ca;
	struct crowd_wait cw;
	struct crowd_ready cr;
	size_t from = crowd_n * (size_t)idx / (size_t)nw, to = crowd_n * (size_t)(idx + 1) / (size_t)nw;
	size_t n = to - from, i;
	struct cl **cs = calloc(n, sizeof(*cs));
	int r = 0;
	int64_t round_start = 0, last_misc = now_ns();

	pool_init(&p);
	p.on_msg = fan_on_msg;
	F.n = n;
	F.rounds = opt.repeat;
	F.arrival = calloc((size_t)opt.repeat * n, sizeof(*F.arrival));
	F.got = calloc((size_t)opt.repeat, sizeof(*F.got));
	for (i = 0; i < n; i++) {
		cs[i] = cl_new(&p, crowd_v[from + i], NULL);
		cs[i]->idx = (int)i;
		cs[i]->sub_filter = opt.filter;
		cs[i]->sub_qos = opt.qos;
	}
	memset(&ca, 0, sizeof(ca));
	ca.p = &p;
	ca.cs = cs;
	ca.n = n;
	opt.inflight = opt.inflight / nw > 8 ? opt.inflight / nw : 8;
	if (!pool_until(&p, connect_all_done, &ca, opt.timeout))
		fprintf(stderr, "npbench: connecting the crowd timed out (worker %d)\n", idx);
	cw.p = &p;
	cw.n = n;
	if (!pool_until(&p, crowd_subbed, &cw, 60))
		fprintf(stderr, "npbench: subscriptions timed out (worker %d)\n", idx);
	cr.subbed = p.nsubbed;
	cr.failed = (int)n - p.nsubbed;
	write_full(res, &cr, sizeof(cr));
	/* serve until the parent closes the control pipe; report each announcement
	 * round once all of this worker's subscribers have it (or after 10 s) */
	while (!ctl_ready(ctl)) {
		pool_run(&p, 20);
		if (now_ns() - last_misc > 1000000000) {
			pool_misc(cs, n);
			last_misc = now_ns();
		}
		while (r < F.rounds && F.got[r] > 0) {
			struct round_res rr;

			if (round_start == 0)
				round_start = now_ns();
			if (F.got[r] < (size_t)cr.subbed && now_ns() - round_start < 10000000000LL)
				break;
			rr.round = r;
			rr.n = (int32_t)n;
			write_full(res, &rr, sizeof(rr));
			write_full(res, F.arrival + (size_t)r * n, n * sizeof(*F.arrival));
			r++;
			round_start = 0;
		}
	}
	return 0;
}

static bool
announcer_up(void *arg)
{
	return ((struct cl *)arg)->state != CL_CONNECTING;
}

int
cmd_crowd(bool fanout)
{
	struct pool p;
	struct worker *w;
	struct cl *pub = NULL;
	int nw, i, subbed = 0, failed = 0, r;
	int64_t t0, hold_end, *arr, *rel;

	load_users();
	if (opt.filter == NULL)
		opt.filter = "np/ann/TH/#";
	if (!fanout)
		opt.repeat = 0;
	crowd_n = crowd_users(&crowd_v, (size_t)opt.count);
	pool_init(&p);
	if (fanout) {
		const struct user *m = opt.user ? user_by_name(opt.user) : find_user("official", "TH");

		if (m == NULL)
			die("%s", "no official of TH in --users (the announcing ministry)");
		pub = cl_new(&p, m, NULL);
		pub->idx = -1;
		cl_connect(&p, pub);
		pool_until(&p, announcer_up, pub, 10);
		if (pub->state != CL_UP)
			die("%s", "the announcer cannot connect");
	}
	nw = workers_needed(crowd_n + 2);
	t0 = now_ns();
	w = workers_start(nw, crowd_child);
	for (i = 0; i < nw; i++) {
		struct crowd_ready cr;

		if (read_full(w[i].res, &cr, sizeof(cr)) != 0)
			die("%s", "a worker died");
		subbed += cr.subbed;
		failed += cr.failed;
	}
	printf("ready clients=%zu subscribed=%d failed=%d workers=%d in %.1f s filter=%s\n", crowd_n,
	       subbed, failed, nw, (double)(now_ns() - t0) / 1e9, opt.filter);
	fflush(stdout);
	result("clients", (double)subbed);
	hold_end = now_ns() + (int64_t)(opt.hold * 1e9);
	while (now_ns() < hold_end) {
		pool_run(&p, 100);
		if (pub != NULL)
			mosquitto_loop_misc(pub->m);
	}
	printf("held\n");
	fflush(stdout);
	arr = calloc(crowd_n, sizeof(*arr));
	rel = calloc(crowd_n, sizeof(*rel));
	for (r = 0; fanout && r < opt.repeat; r++) {
		int64_t t_pub;
		size_t k = 0, off = 0;

		pub->plen = pack_envelope(pub->payload, sizeof(pub->payload), true);
		make_id(pub->payload + 2, FAN_MARK, (uint32_t)r);
		t_pub = now_ns();
		mosquitto_publish_v5(pub->m, NULL, "np/ann/TH/general", (int)pub->plen, pub->payload, 1,
				     false, NULL);
		cl_update(&p, pub);
		for (i = 0; i < nw; i++) {
			struct round_res rr;
			struct pollfd pf = { w[i].res, POLLIN, 0 };

			/* keep the announcer's connection served while waiting */
			while (poll(&pf, 1, 0) == 0)
				pool_run(&p, 5);
			if (read_full(w[i].res, &rr, sizeof(rr)) != 0
			    || read_full(w[i].res, arr + off, (size_t)rr.n * sizeof(*arr)) != 0)
				die("%s", "a worker died");
			off += (size_t)rr.n;
		}
		for (i = 0; i < (int)off; i++)
			if (arr[i] > 0)
				rel[k++] = arr[i] - t_pub;
		qsort(rel, k, sizeof(*rel), cmp_i64);
		printf("info fanout round=%d delivered=%zu of %d first_ms=%.2f p50_ms=%.2f last_ms=%.2f\n",
		       r, k, subbed, k ? (double)rel[0] / 1e6 : -1, pct(rel, k, 0.5) / 1e6,
		       k ? (double)rel[k - 1] / 1e6 : -1);
		result("delivered", (double)k);
		result("last_ms", k ? (double)rel[k - 1] / 1e6 : -1);
		result("p50_ms", pct(rel, k, 0.5) / 1e6);
		hold_end = now_ns() + 300000000;
		while (now_ns() < hold_end)
			pool_run(&p, 20);
	}
	workers_wait(w, nw);
	return failed ? 1 : 0;
}
