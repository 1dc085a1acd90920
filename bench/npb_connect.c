/* npb_connect.c - npbench connect: a connect storm of --count users, at most
 * --inflight handshakes at once, over worker processes where descriptors are
 * short; connections per second and CONNACK latency percentiles. */
#include "npb.h"

/* ---- connect storm ---- */


static const struct user **storm_users;
static size_t storm_n;
static int storm_max_open;      /* over all workers; 0: no cap */

struct storm_res {
	int up, fail;
	int64_t last_connack;
	int64_t nlat;
};

static int
storm_child(int idx, int nw, int res, int ctl)
{
	struct pool p;
	struct connect_all ca;
	struct storm_res sr;
	size_t from = storm_n * (size_t)idx / (size_t)nw, to = storm_n * (size_t)(idx + 1) / (size_t)nw;
	size_t n = to - from, i, k = 0;
	struct cl **cs = calloc(n, sizeof(*cs));
	int64_t *lat = calloc(n, sizeof(*lat));
	char go;

	pool_init(&p);
	for (i = 0; i < n; i++)
		cs[i] = cl_new(&p, storm_users[from + i], NULL);
	memset(&ca, 0, sizeof(ca));
	ca.p = &p;
	ca.cs = cs;
	ca.n = n;
	ca.max_open = storm_max_open > 0 ? storm_max_open / nw : 0;
	if (ca.max_open > 0 && (size_t)ca.max_open >= n)
		ca.max_open = 0;
	opt.inflight = opt.inflight / nw > 8 ? opt.inflight / nw : 8;
	go = 'r';
	write_full(res, &go, 1);
	if (read_full(ctl, &go, 1) != 0)
		return 1;
	if (!pool_until(&p, connect_all_done, &ca, opt.timeout))
		fprintf(stderr, "npbench: connect storm timed out (worker %d)\n", idx);
	for (i = 0; i < n; i++)
		if (cs[i]->connack_rc == 0 && cs[i]->t_connack > 0)
			lat[k++] = cs[i]->t_connack - cs[i]->t0;
	sr.up = p.nup;
	sr.fail = (int)n - p.nup;
	sr.last_connack = p.last_connack;
	sr.nlat = (int64_t)k;
	write_full(res, &sr, sizeof(sr));
	write_full(res, lat, k * sizeof(*lat));
	return 0;
}

int
cmd_connect(void)
{
	struct worker *w;
	int nw, i, up = 0, fail = 0;
	size_t i2, k = 0;
	int64_t t0, last = 0, *lat;
	double secs;

	load_users();
	storm_users = calloc(nusers, sizeof(*storm_users));
	for (i2 = 0; i2 < nusers && storm_n < (size_t)opt.count; i2++)
		if (strcmp(users[i2].role, "volunteer") == 0)
			storm_users[storm_n++] = &users[i2];
	storm_max_open = opt.max_open;
	if (storm_max_open > 0 && (size_t)storm_max_open >= storm_n)
		storm_max_open = 0;
	nw = workers_needed(storm_n);
	printf("info connect count=%zu inflight=%d max_open=%d workers=%d\n", storm_n, opt.inflight,
	       storm_max_open, nw);
	w = workers_start(nw, storm_child);
	for (i = 0; i < nw; i++) {
		char r;

		if (read_full(w[i].res, &r, 1) != 0)
			die("%s", "a worker died");
	}
	t0 = now_ns();
	for (i = 0; i < nw; i++)
		write_full(w[i].ctl, "g", 1);
	lat = calloc(storm_n, sizeof(*lat));
	for (i = 0; i < nw; i++) {
		struct storm_res sr;

		if (read_full(w[i].res, &sr, sizeof(sr)) != 0
		    || read_full(w[i].res, lat + k, (size_t)sr.nlat * sizeof(*lat)) != 0)
			die("%s", "a worker died");
		k += (size_t)sr.nlat;
		up += sr.up;
		fail += sr.fail;
		if (sr.last_connack > last)
			last = sr.last_connack;
	}
	workers_wait(w, nw);
	secs = (double)(last - t0) / 1e9;
	qsort(lat, k, sizeof(*lat), cmp_i64);
	result("connected", (double)up);
	result("failed", (double)fail);
	result("all_s", secs);
	result("per_s", (double)up / secs);
	result("us_per_login", secs * 1e6 / (double)(up ? up : 1));
	result("lat_p50_ms", pct(lat, k, 0.5) / 1e6);
	result("lat_p99_ms", pct(lat, k, 0.99) / 1e6);
	return up == (int)storm_n ? 0 : 1;
}
