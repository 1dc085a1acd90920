/* npb_throughput.c - npbench throughput: one volunteer per province
 * publishes reports as fast as its window allows, the provinces' officials
 * subscribe; delivered, sent and acknowledged messages per second, broker CPU,
 * losses. */
#include "npb.h"

/* ---- throughput ---- */

struct thr {
	struct pool pp, sp;
	struct cl **pubs, **subs;
	int npubs, nsubs;
	int efd;
	volatile int stop;
	int sub_ready;
};

static struct thr *T;

static void
thr_on_msg(struct cl *c, const struct mosquitto_message *msg)
{
	const uint8_t *b = msg->payload;
	uint32_t pub;

	(void)c;
	if (msg->payloadlen < 18 || b[0] != 0x0a || b[1] != 16 || b[8] != 0x70)
		return;
	pub = (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
	if (pub < (uint32_t)T->npubs)
		__atomic_add_fetch(&T->pubs[pub]->recv, 1, __ATOMIC_RELAXED);
}

static void *
sub_thread(void *arg)
{
	struct thr *t = arg;
	uint64_t one = 1;
	uint64_t before, after;
	int i;

	while (!t->stop) {
		before = 0;
		for (i = 0; i < t->nsubs; i++)
			before += t->subs[i]->got;
		pool_run(&t->sp, 20);
		after = 0;
		for (i = 0; i < t->nsubs; i++)
			after += t->subs[i]->got;
		if (after != before && write(t->efd, &one, sizeof(one)) < 0)
			break;
	}
	return NULL;
}

static uint64_t
sum_recv(struct thr *t)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < t->npubs; i++)
		s += __atomic_load_n(&t->pubs[i]->recv, __ATOMIC_RELAXED);
	return s;
}

static uint64_t
sum_field(struct cl **cs, int n, size_t off)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += *(uint64_t *)((char *)cs[i] + off);
	return s;
}

static bool
subs_ready(void *arg)
{
	struct thr *t = arg;

	return t->sp.nsubbed + t->sp.nsubfail + t->sp.nfail == t->nsubs;
}

static bool
pubs_ready(void *arg)
{
	struct thr *t = arg;

	return t->pp.nup + t->pp.nfail == t->npubs;
}

/* The publishers: one volunteer per province (then any), up to opt.pubs;
 * their provinces go to prov[]. */
static int
pick_publishers(struct thr *t, const char *prov[100])
{
	int nprov = 0, j;
	size_t u;
	bool seen;

	for (u = 0; u < nusers && t->npubs < opt.pubs; u++) {
		if (strcmp(users[u].role, "volunteer") != 0)
			continue;
		seen = false;
		for (j = 0; j < nprov; j++)
			if (strncmp(prov[j], users[u].area, 2) == 0)
				seen = true;
		if (seen && nprov < 77)
			continue;
		if (!seen)
			prov[nprov++] = users[u].area;
		t->pubs[t->npubs] = cl_new(&t->pp, &users[u], NULL);
		t->pubs[t->npubs]->idx = t->npubs;
		village_topic(t->pubs[t->npubs]->topic, sizeof(t->pubs[0]->topic), users[u].area,
			      "outage");
		t->pubs[t->npubs]->plen = pack_envelope(t->pubs[t->npubs]->payload,
							sizeof(t->pubs[0]->payload), false);
		t->npubs++;
	}
	if (t->npubs < opt.pubs)
		die("%s", "not enough volunteers in --users");
	return nprov;
}

/* The subscribers: each publishing province's official on np/rep/<P>/#. */
static void
pick_subscribers(struct thr *t, const char *const *prov, int nprov)
{
	char p2[3], filter[32];
	const struct user *o;
	int j;

	for (j = 0; j < nprov; j++) {
		snprintf(p2, sizeof(p2), "%.2s", prov[j]);
		o = find_user("official", p2);
		if (o == NULL)
			die("no official of province %s in --users", p2);
		t->subs[t->nsubs] = cl_new(&t->sp, o, NULL);
		snprintf(filter, sizeof(filter), "np/rep/%s/#", p2);
		t->subs[t->nsubs]->sub_filter = strdup(filter);
		t->subs[t->nsubs]->sub_qos = opt.qos;
		t->nsubs++;
	}
}

/* Connects the subscribers, then the publishers; starts the subscribers'
 * thread, which wakes the publishers' loop through t->efd. */
static void
bring_up(struct thr *t, pthread_t *th)
{
	static struct cl efd_cl;        /* marks the eventfd: pool_run must skip it */
	struct epoll_event ev;
	int i;

	for (i = 0; i < t->nsubs; i++)
		cl_connect(&t->sp, t->subs[i]);
	if (!pool_until(&t->sp, subs_ready, t, 30) || t->sp.nsubbed != t->nsubs)
		die("%s", "subscribers did not come up");
	for (i = 0; i < t->npubs; i++)
		cl_connect(&t->pp, t->pubs[i]);
	if (!pool_until(&t->pp, pubs_ready, t, 30) || t->pp.nup != t->npubs)
		die("%s", "publishers did not come up");
	t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	efd_cl.fd = -1;
	efd_cl.state = CL_DEAD;
	ev.events = EPOLLIN;
	ev.data.ptr = &efd_cl;
	epoll_ctl(t->pp.ep, EPOLL_CTL_ADD, t->efd, &ev);
	pthread_create(th, NULL, sub_thread, t);
}

/* Publishes up to 16 messages for each publisher within its window;
 * returns how many. */
static int
publish_round(struct thr *t, int window, uint64_t *seq)
{
	struct cl *c;
	uint64_t rcv;
	int i, k, published = 0;

	for (i = 0; i < t->npubs; i++) {
		c = t->pubs[i];
		for (k = 0; k < 16; k++) {
			rcv = __atomic_load_n(&c->recv, __ATOMIC_RELAXED);
			if (c->state != CL_UP || c->sent - rcv >= (uint64_t)window
			    || (opt.qos > 0 && c->sent - c->acked >= (uint64_t)window)
			    || mosquitto_want_write(c->m))
				break;
			make_id(c->payload + 2, (uint32_t)i, (uint32_t)(*seq)++);
			if (mosquitto_publish_v5(c->m, NULL, c->topic, (int)c->plen, c->payload,
						 opt.qos, false, NULL) != MOSQ_ERR_SUCCESS)
				break;
			c->sent++;
			published++;
		}
		cl_update(&t->pp, c);
	}
	return published;
}

/* What the counters say at one moment. */
struct thr_mark {
	uint64_t recv, acked, sent;
	double cpu;
};

static void
thr_mark(struct thr *t, struct thr_mark *m)
{
	m->recv = sum_recv(t);
	m->acked = sum_field(t->pubs, t->npubs, offsetof(struct cl, acked));
	m->sent = sum_field(t->pubs, t->npubs, offsetof(struct cl, sent));
	m->cpu = broker_cpu_s();
}

/* Publishes for 0.5 s of warm-up (not counted), then opt.seconds; fills the
 * marks at both ends and returns the seconds measured. */
static double
publish_for(struct thr *t, int window, struct thr_mark *m0, struct thr_mark *m1)
{
	int64_t t_warm = now_ns() + 500000000, t_end = t_warm + (int64_t)(opt.seconds * 1e9);
	uint64_t seq = 0, drain;
	bool warm = false;
	int64_t now;
	int published;

	memset(m0, 0, sizeof(*m0));
	for (;;) {
		now = now_ns();
		if (!warm && now >= t_warm) {
			warm = true;
			thr_mark(t, m0);
		}
		if (now >= t_end)
			break;
		published = publish_round(t, window, &seq);
		pool_run(&t->pp, published ? 0 : 10);
		if (read(t->efd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
			break;
	}
	m1->cpu = broker_cpu_s();
	m1->recv = sum_recv(t);
	m1->acked = sum_field(t->pubs, t->npubs, offsetof(struct cl, acked));
	m1->sent = sum_field(t->pubs, t->npubs, offsetof(struct cl, sent));
	return (double)(t_end - t_warm) / 1e9;
}

/* Lets what is in flight arrive (2 s at most), so that losses are losses. */
static void
drain(struct thr *t)
{
	int64_t until = now_ns() + 2000000000;

	while (now_ns() < until) {
		pool_run(&t->pp, 50);
		if (sum_recv(t) == sum_field(t->pubs, t->npubs, offsetof(struct cl, sent)))
			break;
	}
}

static void
report(struct thr *t, const struct thr_mark *m0, const struct thr_mark *m1, double secs)
{
	result("delivered_per_s", (double)(m1->recv - m0->recv) / secs);
	result("sent_per_s", (double)(m1->sent - m0->sent) / secs);
	if (opt.qos > 0)
		result("acked_per_s", (double)(m1->acked - m0->acked) / secs);
	if (opt.broker_pid > 0 && m1->cpu > m0->cpu) {
		result("broker_cpu_pct", 100 * (m1->cpu - m0->cpu) / secs);
		result("msgs_per_cpu_s", (double)(opt.qos ? m1->acked - m0->acked
						  : m1->recv - m0->recv) / (m1->cpu - m0->cpu));
	}
	result("lost", (double)(sum_field(t->pubs, t->npubs, offsetof(struct cl, sent))
				- sum_recv(t)));
	result("refused", (double)sum_field(t->pubs, t->npubs, offsetof(struct cl, refused)));
	result("conn_lost", (double)(t->pp.nlost + t->sp.nlost));
}

int
cmd_throughput(void)
{
	struct thr_mark m0, m1;
	const char *prov[100];
	struct thr t;
	pthread_t th;
	int nprov, window;
	double secs;

	memset(&t, 0, sizeof(t));
	T = &t;
	load_users();
	pool_init(&t.pp);
	pool_init(&t.sp);
	t.sp.on_msg = thr_on_msg;
	window = opt.window > 0 ? opt.window : (opt.qos == 0 ? 400 : 100);
	t.pubs = calloc((size_t)opt.pubs, sizeof(*t.pubs));
	t.subs = calloc(100, sizeof(*t.subs));
	nprov = pick_publishers(&t, prov);
	pick_subscribers(&t, prov, nprov);
	printf("info throughput pubs=%d subs=%d qos=%d window=%d payload=%zu topic=%s\n",
	       t.npubs, t.nsubs, opt.qos, window, t.pubs[0]->plen, t.pubs[0]->topic);
	bring_up(&t, &th);
	secs = publish_for(&t, window, &m0, &m1);
	drain(&t);
	t.stop = 1;
	pthread_join(th, NULL);
	report(&t, &m0, &m1, secs);
	return 0;
}
