/* npbench.c - the load generator of `make bench` (see bench/run.sh, BENCHMARKS.md).
 *
 * One binary on libmosquitto, MQTT 5 for every client, many clients per process:
 * every client is connected with mosquitto_connect_async and driven by our own
 * epoll loop over mosquitto_socket() with mosquitto_loop_read/write/misc (no
 * thread per client). The same users, topics and payloads go to every broker
 * (bare mosquitto, mosquitto + dynamic-security, the hub): packed np.Envelope
 * reports on np/rep/P/D/V/outage of each publisher's own village, each with a
 * unique 16-byte id so the hub never sees a duplicate.
 *
 * Output: lines `result scenario=S broker=B metric=M value=V`, and `info ...`.
 *
 *   npbench throughput --pubs N [--qos Q] [--seconds S] [--window W]
 *   npbench connect    --count N [--inflight K] [--max-open M]
 *   npbench idle       --count N --hold S              (volunteers, then residents)
 *   npbench fanout     --count N [--hold S] [--repeat K] [--filter F]
 *   npbench history    --user U --filter F [--pages K] [--limit 100]
 *   npbench dynsec-ctl --admin-user U --admin-pass P   (officials + ministry, batched)
 *   npbench dynsec-json --config FILE [--iterations N]  (the villages, in bulk)
 *   npbench kdf        [--iterations N] [--repeat K]   (one login's PBKDF2 cost)
 * Common: --host H --port P --users FILE.csv --broker NAME --name SCENARIO
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <jansson.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "np.pb-c.h"

/* ---- options ---- */

static struct {
	const char *host, *users, *broker, *name, *filter, *user, *config;
	const char *admin_user, *admin_pass;
	int port, pubs, qos, count, inflight, max_open, pages, limit, repeat, window;
	int iterations, keepalive, offset, broker_pid;
	double seconds, hold, timeout;
} opt = {
	.host = "127.0.0.1", .broker = "?", .port = 1883, .pubs = 1, .qos = 0, .count = 1000,
	.inflight = 96, .max_open = 0, .pages = 200, .limit = 100, .repeat = 3, .window = 0,
	.iterations = 1000, .keepalive = 900, .seconds = 5, .hold = 3, .timeout = 120,
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* utime + stime of the broker, in seconds (0 when --broker-pid is not given) */
static double
broker_cpu_s(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	int i;

	if (opt.broker_pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", opt.broker_pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	for (i = 0; p != NULL && i < 12; i++)       /* to field 14 (utime) */
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void
result(const char *metric, double value)
{
	printf("result scenario=%s broker=%s metric=%s value=%.6g\n", opt.name ? opt.name : "-",
	       opt.broker, metric, value);
	fflush(stdout);
}

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "npbench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

/* ---- users (the np-admin import CSV: name,role,area,password[,categories]) ---- */

struct user {
	char *name, *role, *area, *pass;
};

static struct user *users;
static size_t nusers;

static void
load_users(void)
{
	FILE *f;
	char line[1024];
	size_t cap = 0;

	if (opt.users == NULL)
		die("%s", "--users FILE is required");
	f = fopen(opt.users, "r");
	if (f == NULL)
		die("cannot open %s", opt.users);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *fields[4], *save = NULL, *p = line;
		int i;

		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "name,", 5) == 0 || line[0] == '\0')
			continue;
		for (i = 0; i < 4; i++) {
			fields[i] = strtok_r(p, ",", &save);
			p = NULL;
			if (fields[i] == NULL)
				break;
		}
		if (i < 4)
			continue;
		if (nusers == cap) {
			cap = cap ? 2 * cap : 4096;
			users = realloc(users, cap * sizeof(*users));
			if (users == NULL)
				die("%s", "out of memory");
		}
		users[nusers].name = strdup(fields[0]);
		users[nusers].role = strdup(fields[1]);
		users[nusers].area = strdup(fields[2]);
		users[nusers].pass = strdup(fields[3]);
		nusers++;
	}
	fclose(f);
}

static const struct user *
find_user(const char *role, const char *area)
{
	size_t i;

	for (i = 0; i < nusers; i++)
		if (strcmp(users[i].role, role) == 0 && (area == NULL || strcmp(users[i].area, area) == 0))
			return &users[i];
	return NULL;
}

static const struct user *
user_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < nusers; i++)
		if (strcmp(users[i].name, name) == 0)
			return &users[i];
	return NULL;
}

/* Volunteers first, then residents (the crowd of the idle and fan-out scenarios). */
static size_t
crowd_users(const struct user ***out, size_t want)
{
	const struct user **v = calloc(nusers, sizeof(*v));
	size_t i, n = 0;

	for (i = 0; i < nusers && n < want; i++)
		if (strcmp(users[i].role, "volunteer") == 0)
			v[n++] = &users[i];
	for (i = 0; i < nusers && n < want; i++)
		if (strcmp(users[i].role, "resident") == 0)
			v[n++] = &users[i];
	*out = v;
	return n;
}

static void
raise_nofile(int want)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) != 0)
		return;
	if (r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
	if (want > 0 && (rlim_t)want + 64 > r.rlim_cur) {
		fprintf(stderr, "npbench: RLIMIT_NOFILE is %llu (hard limit): %d connections "
			"capped to %llu\n", (unsigned long long)r.rlim_cur, want,
			(unsigned long long)r.rlim_cur - 64);
		printf("info nofile_cap=%llu wanted=%d\n", (unsigned long long)r.rlim_cur - 64, want);
	}
}

/* ---- payloads ---- */

static const char title_th[] = "ไฟดับทั้งหมู่บ้าน อินเทอร์เน็ตใช้ไม่ได้";
static const char detail_th[] = "since 9am, the village WiFi is down too";

static uint16_t run_nonce;

/* id: 6 bytes wall ms, 0x70, 3 bytes publisher index, 4 bytes sequence, 2 bytes nonce */
static void
make_id(uint8_t id[16], uint32_t pub, uint32_t seq)
{
	int64_t ms = wall_ms();
	int b;

	for (b = 0; b < 6; b++)
		id[b] = (uint8_t)((uint64_t)ms >> (8 * (5 - b)));
	id[6] = 0x70;
	id[7] = (uint8_t)(pub >> 16);
	id[8] = (uint8_t)(pub >> 8);
	id[9] = (uint8_t)pub;
	id[10] = (uint8_t)(seq >> 24);
	id[11] = (uint8_t)(seq >> 16);
	id[12] = (uint8_t)(seq >> 8);
	id[13] = (uint8_t)seq;
	id[14] = (uint8_t)(run_nonce >> 8);
	id[15] = (uint8_t)run_nonce;
}

/* A packed Envelope; its id is at bytes 2..17 (field 1 is packed first). */
static size_t
pack_envelope(uint8_t *buf, size_t cap, bool announcement)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report r = NP__REPORT__INIT;
	Np__Announcement a = NP__ANNOUNCEMENT__INIT;
	uint8_t id[16];
	size_t len;

	make_id(id, 0, 0);
	e.id.data = id;
	e.id.len = 16;
	e.sent_at_ms = wall_ms();
	if (announcement) {
		a.title = "ประกาศจากกระทรวง: พายุเข้าคืนนี้";
		a.body = "โปรดเตรียมไฟฉายและชาร์จโทรศัพท์ให้เต็ม";
		e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
		e.announcement = &a;
	} else {
		r.title = (char *)title_th;
		r.detail = (char *)detail_th;
		e.body_case = NP__ENVELOPE__BODY_REPORT;
		e.report = &r;
	}
	len = np__envelope__get_packed_size(&e);
	if (len > cap)
		die("%s", "payload buffer too small");
	np__envelope__pack(&e, buf);
	if (buf[0] != 0x0a || buf[1] != 16)
		die("%s", "unexpected envelope layout");
	return len;
}

static void
village_topic(char *out, size_t n, const char *v, const char *kind)
{
	snprintf(out, n, "np/rep/%.2s/%.4s/%s/%s", v, v, v, kind);
}

/* ---- the client pool: many libmosquitto clients on one epoll ---- */

enum { CL_NEW, CL_CONNECTING, CL_UP, CL_SUBBED, CL_CLOSING, CL_DEAD };

struct pool;

struct cl {
	struct mosquitto *m;
	struct pool *pool;
	const struct user *u;
	int fd;
	uint32_t ev;
	int state;
	int idx;
	int connack_rc;
	int64_t t0, t_connack, t_last;
	uint64_t sent, acked, refused, got;
	uint64_t recv;          /* publisher: its messages seen by subscribers (atomic) */
	char topic[64];
	const char *sub_filter;
	int sub_qos;
	uint8_t payload[512];
	size_t plen;
};

struct pool {
	int ep;
	int nconnecting, nup, nfail, nsubbed, nsubfail, nlost;
	int64_t last_connack;
	void (*on_msg)(struct cl *c, const struct mosquitto_message *msg);
};

static void
pool_init(struct pool *p)
{
	memset(p, 0, sizeof(*p));
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	if (p->ep < 0)
		die("%s", "epoll_create1");
}

static void
cb_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *props)
{
	struct cl *c = obj;

	(void)flags;
	(void)props;
	c->connack_rc = rc;
	c->t_connack = now_ns();
	c->pool->nconnecting--;
	if (rc == 0) {
		c->state = CL_UP;
		c->pool->nup++;
		c->pool->last_connack = c->t_connack;
		if (c->sub_filter != NULL)
			mosquitto_subscribe_v5(m, NULL, c->sub_filter, c->sub_qos, 0, NULL);
	} else {
		c->state = CL_DEAD;
		c->pool->nfail++;
		if (c->pool->nfail <= 3)
			fprintf(stderr, "npbench: %s: CONNACK %d (%s)\n", c->u ? c->u->name : "?", rc,
				mosquitto_reason_string(rc));
	}
}

static void
cb_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *props)
{
	struct cl *c = obj;

	(void)m;
	(void)props;
	if (c->state == CL_CONNECTING) {
		c->pool->nconnecting--;
		c->pool->nfail++;
	} else if (c->state != CL_CLOSING && c->state != CL_DEAD) {
		c->pool->nlost++;
		if (c->pool->nlost <= 3)
			fprintf(stderr, "npbench: %s: connection lost (%d)\n", c->u ? c->u->name : "?", rc);
	}
	c->state = CL_DEAD;
}

static void
cb_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
	     const mosquitto_property *props)
{
	struct cl *c = obj;

	(void)m;
	(void)mid;
	(void)props;
	if (n < 1 || granted[0] >= 0x80) {
		c->pool->nsubfail++;
		if (c->pool->nsubfail <= 3)
			fprintf(stderr, "npbench: %s: subscription to %s refused (0x%x)\n",
				c->u ? c->u->name : "?", c->sub_filter, n ? granted[0] : -1);
		return;
	}
	c->state = CL_SUBBED;
	c->pool->nsubbed++;
}

static void
cb_publish(struct mosquitto *m, void *obj, int mid, int reason, const mosquitto_property *props)
{
	struct cl *c = obj;

	(void)m;
	(void)mid;
	(void)props;
	c->acked++;
	if (reason >= 0x80 && c->refused++ < 3)
		fprintf(stderr, "npbench: %s: publish refused (0x%x)\n", c->u ? c->u->name : "?",
			reason);
}

static void
cb_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
	   const mosquitto_property *props)
{
	struct cl *c = obj;

	(void)m;
	(void)props;
	c->got++;
	c->t_last = now_ns();
	if (c->pool->on_msg != NULL)
		c->pool->on_msg(c, msg);
}

static struct cl *
cl_new(struct pool *p, const struct user *u, const char *client_id)
{
	struct cl *c = calloc(1, sizeof(*c));

	if (c == NULL)
		die("%s", "out of memory");
	c->pool = p;
	c->u = u;
	c->fd = -1;
	c->m = mosquitto_new(client_id ? client_id : u->name, true, c);
	if (c->m == NULL)
		die("%s", "mosquitto_new");
	mosquitto_int_option(c->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_username_pw_set(c->m, u->name, u->pass);
	mosquitto_connect_v5_callback_set(c->m, cb_connect);
	mosquitto_disconnect_v5_callback_set(c->m, cb_disconnect);
	mosquitto_subscribe_v5_callback_set(c->m, cb_subscribe);
	mosquitto_publish_v5_callback_set(c->m, cb_publish);
	mosquitto_message_v5_callback_set(c->m, cb_message);
	return c;
}

static void
cl_update(struct pool *p, struct cl *c)
{
	struct epoll_event ev;
	int fd = mosquitto_socket(c->m);
	uint32_t want;

	if (fd < 0) {
		c->fd = -1;
		return;
	}
	want = EPOLLIN | (mosquitto_want_write(c->m) ? EPOLLOUT : 0);
	if (fd != c->fd) {
		c->fd = fd;
		c->ev = want;
		ev.events = want;
		ev.data.ptr = c;
		epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev);
	} else if (want != c->ev) {
		c->ev = want;
		ev.events = want;
		ev.data.ptr = c;
		epoll_ctl(p->ep, EPOLL_CTL_MOD, fd, &ev);
	}
}

static void
cl_connect(struct pool *p, struct cl *c)
{
	int rc;

	c->t0 = now_ns();
	c->state = CL_CONNECTING;
	p->nconnecting++;
	rc = mosquitto_connect_async(c->m, opt.host, opt.port, opt.keepalive);
	if (rc != MOSQ_ERR_SUCCESS) {
		p->nconnecting--;
		p->nfail++;
		c->state = CL_DEAD;
		if (p->nfail <= 3)
			fprintf(stderr, "npbench: connect: %s\n", mosquitto_strerror(rc));
		return;
	}
	cl_update(p, c);
}

static void
cl_close(struct pool *p, struct cl *c)
{
	(void)p;
	if (c->state == CL_DEAD)
		return;
	c->state = CL_CLOSING;
	mosquitto_disconnect(c->m);     /* writes DISCONNECT and closes the socket */
	if (mosquitto_socket(c->m) >= 0)
		cl_update(p, c);
	else
		c->fd = -1;
}

/* One round of the loop; returns the number of events handled. */
static int
pool_run(struct pool *p, int timeout_ms)
{
	struct epoll_event ev[1024];
	int n, i, k, rc;

	n = epoll_wait(p->ep, ev, 1024, timeout_ms);
	for (i = 0; i < n; i++) {
		struct cl *c = ev[i].data.ptr;

		if (c->fd < 0 || c->state == CL_DEAD)
			continue;
		rc = MOSQ_ERR_SUCCESS;
		if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
			/* several packets per wake-up: libmosquitto reads one at a time */
			for (k = 0; k < 512; k++) {
				errno = 0;
				rc = mosquitto_loop_read(c->m, 1);
				if (rc != MOSQ_ERR_SUCCESS || errno == EAGAIN || mosquitto_socket(c->m) < 0)
					break;
			}
		}
		if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(c->m) >= 0
		    && (ev[i].events & EPOLLOUT))
			rc = mosquitto_loop_write(c->m, 64);
		if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(c->m) < 0) {
			if (c->state == CL_CONNECTING) {
				p->nconnecting--;
				p->nfail++;
			} else if (c->state != CL_CLOSING && c->state != CL_DEAD) {
				p->nlost++;
			}
			c->state = CL_DEAD;
			c->fd = -1;
			continue;
		}
		cl_update(p, c);
	}
	return n;
}

static void
pool_misc(struct cl **cs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cs[i]->state != CL_DEAD && cs[i]->fd >= 0)
			mosquitto_loop_misc(cs[i]->m);
}

/* Runs the loop until done(arg) or the timeout; returns false on timeout. */
static bool
pool_until(struct pool *p, bool (*done)(void *), void *arg, double seconds)
{
	int64_t end = now_ns() + (int64_t)(seconds * 1e9);

	while (!done(arg)) {
		if (now_ns() > end)
			return false;
		pool_run(p, 5);
	}
	return true;
}

/* Connects cs[0..n) with at most opt.inflight handshakes at once. */
struct connect_all {
	struct pool *p;
	struct cl **cs;
	size_t n, next;
	int max_open;           /* >0: close the oldest open connection beyond this */
	size_t oldest;
	int open;
};

static void
connect_step(struct connect_all *ca)
{
	while (ca->next < ca->n && ca->p->nconnecting < opt.inflight) {
		if (ca->max_open > 0) {
			/* keep within the fd budget: close the oldest established ones */
			int open = ca->p->nup - ca->open;       /* ca->open = how many closed */

			if (open + ca->p->nconnecting >= ca->max_open) {
				while (ca->oldest < ca->next
				       && ca->cs[ca->oldest]->state != CL_UP
				       && ca->cs[ca->oldest]->state != CL_SUBBED)
					ca->oldest++;
				if (ca->oldest >= ca->next)
					break;
				cl_close(ca->p, ca->cs[ca->oldest++]);
				ca->open++;
			}
		}
		cl_connect(ca->p, ca->cs[ca->next++]);
	}
}

static bool
connect_all_done(void *arg)
{
	struct connect_all *ca = arg;

	connect_step(ca);
	return ca->next == ca->n && ca->p->nconnecting == 0;
}

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

static int
cmd_throughput(void)
{
	struct thr t;
	const char *prov[100];
	int nprov = 0, i, j, window;
	size_t u;
	pthread_t th;
	struct epoll_event ev;
	int64_t t_start, t_end, t_warm;
	uint64_t recv0 = 0, recv1, acked0 = 0, acked1, sent0 = 0, sent1, seq;
	double secs, cpu0 = 0, cpu1;

	memset(&t, 0, sizeof(t));
	T = &t;
	load_users();
	pool_init(&t.pp);
	pool_init(&t.sp);
	t.sp.on_msg = thr_on_msg;
	window = opt.window > 0 ? opt.window : (opt.qos == 0 ? 400 : 100);
	/* publishers: one volunteer per province (then any), subscribers: those provinces' officials */
	t.pubs = calloc((size_t)opt.pubs, sizeof(*t.pubs));
	t.subs = calloc(100, sizeof(*t.subs));
	for (u = 0; u < nusers && t.npubs < opt.pubs; u++) {
		bool seen = false;

		if (strcmp(users[u].role, "volunteer") != 0)
			continue;
		for (j = 0; j < nprov; j++)
			if (strncmp(prov[j], users[u].area, 2) == 0)
				seen = true;
		if (seen && nprov < 77)
			continue;
		if (!seen)
			prov[nprov++] = users[u].area;
		t.pubs[t.npubs] = cl_new(&t.pp, &users[u], NULL);
		t.pubs[t.npubs]->idx = t.npubs;
		village_topic(t.pubs[t.npubs]->topic, sizeof(t.pubs[0]->topic), users[u].area, "outage");
		t.pubs[t.npubs]->plen = pack_envelope(t.pubs[t.npubs]->payload,
						      sizeof(t.pubs[0]->payload), false);
		t.npubs++;
	}
	if (t.npubs < opt.pubs)
		die("%s", "not enough volunteers in --users");
	for (j = 0; j < nprov; j++) {
		char p2[3], filter[32];
		const struct user *o;

		snprintf(p2, sizeof(p2), "%.2s", prov[j]);
		o = find_user("official", p2);
		if (o == NULL)
			die("no official of province %s in --users", p2);
		t.subs[t.nsubs] = cl_new(&t.sp, o, NULL);
		snprintf(filter, sizeof(filter), "np/rep/%s/#", p2);
		t.subs[t.nsubs]->sub_filter = strdup(filter);
		t.subs[t.nsubs]->sub_qos = opt.qos;
		t.nsubs++;
	}
	printf("info throughput pubs=%d subs=%d qos=%d window=%d payload=%zu topic=%s\n",
	       t.npubs, t.nsubs, opt.qos, window, t.pubs[0]->plen, t.pubs[0]->topic);
	for (i = 0; i < t.nsubs; i++)
		cl_connect(&t.sp, t.subs[i]);
	if (!pool_until(&t.sp, subs_ready, &t, 30) || t.sp.nsubbed != t.nsubs)
		die("%s", "subscribers did not come up");
	for (i = 0; i < t.npubs; i++)
		cl_connect(&t.pp, t.pubs[i]);
	if (!pool_until(&t.pp, pubs_ready, &t, 30) || t.pp.nup != t.npubs)
		die("%s", "publishers did not come up");
	t.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	/* a NULL ptr marks the eventfd: pool_run must skip it */
	{
		static struct cl efd_cl;

		efd_cl.fd = -1;
		efd_cl.state = CL_DEAD;
		ev.data.ptr = &efd_cl;
	}
	epoll_ctl(t.pp.ep, EPOLL_CTL_ADD, t.efd, &ev);
	pthread_create(&th, NULL, sub_thread, &t);

	t_start = now_ns();
	t_warm = t_start + 500000000;           /* 0.5 s warm-up, not counted */
	t_end = t_warm + (int64_t)(opt.seconds * 1e9);
	seq = 0;
	bool warm = false;

	for (;;) {
		int64_t now = now_ns();
		int published = 0;

		if (!warm && now >= t_warm) {
			warm = true;
			recv0 = sum_recv(&t);
			acked0 = sum_field(t.pubs, t.npubs, offsetof(struct cl, acked));
			sent0 = sum_field(t.pubs, t.npubs, offsetof(struct cl, sent));
			cpu0 = broker_cpu_s();
		}
		if (now >= t_end)
			break;
		for (i = 0; i < t.npubs; i++) {
			struct cl *c = t.pubs[i];
			int k;

			for (k = 0; k < 16; k++) {
				uint64_t rcv = __atomic_load_n(&c->recv, __ATOMIC_RELAXED);

				if (c->state != CL_UP || c->sent - rcv >= (uint64_t)window
				    || (opt.qos > 0 && c->sent - c->acked >= (uint64_t)window)
				    || mosquitto_want_write(c->m))
					break;
				make_id(c->payload + 2, (uint32_t)i, (uint32_t)seq++);
				if (mosquitto_publish_v5(c->m, NULL, c->topic, (int)c->plen, c->payload,
							 opt.qos, false, NULL) != MOSQ_ERR_SUCCESS)
					break;
				c->sent++;
				published++;
			}
			cl_update(&t.pp, c);
		}
		pool_run(&t.pp, published ? 0 : 10);
		{
			uint64_t drain;

			if (read(t.efd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
				break;
		}
	}
	cpu1 = broker_cpu_s();
	recv1 = sum_recv(&t);
	acked1 = sum_field(t.pubs, t.npubs, offsetof(struct cl, acked));
	sent1 = sum_field(t.pubs, t.npubs, offsetof(struct cl, sent));
	secs = (double)(t_end - t_warm) / 1e9;
	/* drain: let what is in flight arrive, then count losses */
	{
		int64_t until = now_ns() + 2000000000;
		uint64_t last = sum_recv(&t);

		while (now_ns() < until) {
			pool_run(&t.pp, 50);
			if (sum_recv(&t) == sum_field(t.pubs, t.npubs, offsetof(struct cl, sent)))
				break;
			(void)last;
		}
	}
	t.stop = 1;
	pthread_join(th, NULL);
	result("delivered_per_s", (double)(recv1 - recv0) / secs);
	result("sent_per_s", (double)(sent1 - sent0) / secs);
	if (opt.qos > 0)
		result("acked_per_s", (double)(acked1 - acked0) / secs);
	if (opt.broker_pid > 0 && cpu1 > cpu0) {
		result("broker_cpu_pct", 100 * (cpu1 - cpu0) / secs);
		result("msgs_per_cpu_s", (double)(opt.qos ? acked1 - acked0 : recv1 - recv0) / (cpu1 - cpu0));
	}
	result("lost", (double)(sum_field(t.pubs, t.npubs, offsetof(struct cl, sent)) - sum_recv(&t)));
	result("refused", (double)sum_field(t.pubs, t.npubs, offsetof(struct cl, refused)));
	result("conn_lost", (double)(t.pp.nlost + t.sp.nlost));
	return 0;
}

/* ---- worker processes ----
 * libmosquitto 2.0 opens a socket pair in every mosquitto_new (its wake-up
 * channel for threaded use): a client costs three descriptors. Where
 * RLIMIT_NOFILE cannot be raised far enough, the big scenarios split their
 * clients over a few worker processes, each with its own epoll loop. */

struct worker {
	pid_t pid;
	int res, ctl;           /* child -> parent results, parent -> child control */
};

static int
workers_needed(size_t n)
{
	struct rlimit r;
	size_t per;

	if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur < 256)
		return 1;
	per = ((size_t)r.rlim_cur - 64) / 3;
	return (int)((n + per - 1) / per);
}

static struct worker *
workers_start(int nw, int (*child)(int idx, int nw, int res, int ctl))
{
	struct worker *w = calloc((size_t)nw, sizeof(*w));
	int i, a[2], b[2];

	fflush(stdout);
	for (i = 0; i < nw; i++) {
		if (pipe(a) != 0 || pipe(b) != 0)
			die("%s", "pipe");
		w[i].pid = fork();
		if (w[i].pid == 0) {
			int j;

			close(a[0]);
			close(b[1]);
			for (j = 0; j < i; j++) {
				close(w[j].res);
				close(w[j].ctl);
			}
			_exit(child(i, nw, a[1], b[0]));
		}
		close(a[1]);
		close(b[0]);
		w[i].res = a[0];
		w[i].ctl = b[1];
	}
	return w;
}

static int
read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t k = read(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

static void
workers_wait(struct worker *w, int nw)
{
	int i;

	for (i = 0; i < nw; i++) {
		close(w[i].ctl);
		close(w[i].res);
		waitpid(w[i].pid, NULL, 0);
	}
}

/* true when the parent closed the control pipe (or wrote a byte) */
static bool
ctl_ready(int ctl)
{
	struct pollfd pf = { ctl, POLLIN, 0 };

	return poll(&pf, 1, 0) > 0;
}

/* ---- connect storm ---- */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(int64_t *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return (double)v[i];
}

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

static int
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

static int
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

static int
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

/* ---- dynamic-security provisioning ---- */

static json_t *
acl(const char *type, const char *topic)
{
	return json_pack("{s:s, s:s, s:b}", "acltype", type, "topic", topic, "allow", 1);
}

static json_t *
role_official(const char *area, bool nation)
{
	char a[64], b[64];
	json_t *acls = json_array();

	if (nation) {
		json_array_append_new(acls, acl("publishClientSend", "np/ann/#"));
		json_array_append_new(acls, acl("publishClientReceive", "np/#"));
		json_array_append_new(acls, acl("subscribePattern", "np/#"));
	} else {
		snprintf(a, sizeof(a), "np/rep/%s/#", area);
		snprintf(b, sizeof(b), "np/ann/%s/#", area);
		json_array_append_new(acls, acl("publishClientSend", b));
		json_array_append_new(acls, acl("publishClientReceive", a));
		json_array_append_new(acls, acl("subscribePattern", a));
	}
	return acls;
}

struct ctl {
	int waiting;
	int errors;
};

static struct ctl CTL;

static void
ctl_on_msg(struct cl *c, const struct mosquitto_message *msg)
{
	json_t *j = json_loadb(msg->payload, (size_t)msg->payloadlen, 0, NULL), *r, *e;
	size_t i;

	(void)c;
	CTL.waiting--;
	json_array_foreach(json_object_get(j, "responses"), i, r) {
		e = json_object_get(r, "error");
		if (e != NULL && CTL.errors++ < 5)
			fprintf(stderr, "npbench: dynsec %s: %s\n",
				json_string_value(json_object_get(r, "command")), json_string_value(e));
	}
	json_decref(j);
}

static bool
ctl_done(void *arg)
{
	(void)arg;
	return CTL.waiting <= 0;
}

/* Officials (one role per province) and the ministry, through the control
 * API: many commands per message, as mosquitto_ctrl would send them one by one. */
static int
cmd_dynsec_ctl(void)
{
	struct pool p;
	struct user admin = { (char *)opt.admin_user, "admin", "TH", (char *)opt.admin_pass };
	struct cl *c;
	json_t *cmds = json_array(), *msg;
	char *text, rolename[64];
	size_t i;
	int sent = 0;

	load_users();
	pool_init(&p);
	p.on_msg = ctl_on_msg;
	c = cl_new(&p, &admin, "npbench-dynsec");
	c->sub_filter = "$CONTROL/dynamic-security/v1/response";
	cl_connect(&p, c);
	while (c->state == CL_CONNECTING || c->state == CL_UP)
		pool_run(&p, 10);
	if (c->state != CL_SUBBED)
		die("%s", "cannot connect as the dynsec admin");
	for (i = 0; i < nusers; i++) {
		bool nation;

		if (strcmp(users[i].role, "official") != 0)
			continue;
		nation = strcmp(users[i].area, "TH") == 0;
		snprintf(rolename, sizeof(rolename), "off-%s", users[i].area);
		json_array_append_new(cmds, json_pack("{s:s, s:s, s:o}", "command", "createRole",
						      "rolename", rolename, "acls",
						      role_official(users[i].area, nation)));
		json_array_append_new(cmds, json_pack("{s:s, s:s, s:s, s:s, s:[{s:s}]}", "command",
						      "createClient", "username", users[i].name,
						      "password", users[i].pass, "clientid",
						      users[i].name, "roles", "rolename", rolename));
		if (json_array_size(cmds) >= 200 || i + 1 == nusers) {
			msg = json_pack("{s:O}", "commands", cmds);
			text = json_dumps(msg, JSON_COMPACT);
			mosquitto_publish_v5(c->m, NULL, "$CONTROL/dynamic-security/v1", (int)strlen(text),
					     text, 1, false, NULL);
			cl_update(&p, c);
			CTL.waiting++;
			sent += (int)json_array_size(cmds);
			free(text);
			json_decref(msg);
			json_array_clear(cmds);
		}
	}
	if (json_array_size(cmds) > 0) {
		msg = json_pack("{s:O}", "commands", cmds);
		text = json_dumps(msg, JSON_COMPACT);
		mosquitto_publish_v5(c->m, NULL, "$CONTROL/dynamic-security/v1", (int)strlen(text), text,
				     1, false, NULL);
		cl_update(&p, c);
		CTL.waiting++;
		sent += (int)json_array_size(cmds);
		free(text);
		json_decref(msg);
	}
	if (!pool_until(&p, ctl_done, NULL, 120))
		die("%s", "no answer from the dynsec control API");
	printf("info dynsec-ctl commands=%d errors=%d\n", sent, CTL.errors);
	return CTL.errors ? 1 : 0;
}

/* ---- dynsec bulk: the villages' roles and clients, written in the plugin's
 * own file format (PBKDF2-HMAC-SHA512, 12-byte salt, base64), because the
 * 2.0 control API saves the whole file after every command (quadratic). */

struct hash_job {
	size_t from, to;
	const struct user **u;
	char (*pw)[96];
	char (*salt)[24];
};

static void *
hash_worker(void *arg)
{
	struct hash_job *j = arg;
	uint8_t salt[12], hash[64];
	size_t i;

	for (i = j->from; i < j->to; i++) {
		if (RAND_bytes(salt, sizeof(salt)) != 1
		    || PKCS5_PBKDF2_HMAC(j->u[i]->pass, (int)strlen(j->u[i]->pass), salt, sizeof(salt),
					 opt.iterations, EVP_sha512(), sizeof(hash), hash) != 1)
			die("%s", "PBKDF2 failed");
		EVP_EncodeBlock((unsigned char *)j->pw[i], hash, sizeof(hash));
		EVP_EncodeBlock((unsigned char *)j->salt[i], salt, sizeof(salt));
	}
	return NULL;
}

static void
add_pattern(json_t *acls, const char *type, const char *fmt, const char *v, int len)
{
	char t[96];

	snprintf(t, sizeof(t), fmt, len, v);
	json_array_append_new(acls, acl(type, t));
}

static int
cmd_dynsec_json(void)
{
	json_error_t err;
	json_t *root, *clients, *roles;
	const struct user **u;
	size_t n = 0, i;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct hash_job *jobs;
	pthread_t *th;
	char (*pw)[96], (*salt)[24];
	int64_t t0 = now_ns();

	load_users();
	if (opt.config == NULL)
		die("%s", "dynsec-json needs --config FILE");
	root = json_load_file(opt.config, 0, &err);
	if (root == NULL)
		die("cannot read %s", opt.config);
	clients = json_object_get(root, "clients");
	roles = json_object_get(root, "roles");
	u = calloc(nusers, sizeof(*u));
	for (i = 0; i < nusers; i++)
		if (strcmp(users[i].role, "volunteer") == 0 || strcmp(users[i].role, "resident") == 0)
			u[n++] = &users[i];
	pw = calloc(n, sizeof(*pw));
	salt = calloc(n, sizeof(*salt));
	if (ncpu < 1)
		ncpu = 1;
	jobs = calloc((size_t)ncpu, sizeof(*jobs));
	th = calloc((size_t)ncpu, sizeof(*th));
	for (i = 0; i < (size_t)ncpu; i++) {
		jobs[i].from = n * i / (size_t)ncpu;
		jobs[i].to = n * (i + 1) / (size_t)ncpu;
		jobs[i].u = u;
		jobs[i].pw = pw;
		jobs[i].salt = salt;
		pthread_create(&th[i], NULL, hash_worker, &jobs[i]);
	}
	for (i = 0; i < (size_t)ncpu; i++)
		pthread_join(th[i], NULL);
	/* per village: ann-V (its branch's announcements, volunteer and resident)
	 * and vol-V (its own reports): dynsec 2.0 has no %c/%u substitution */
	for (i = 0; i < nusers; i++) {
		const char *v = users[i].area;
		char name[64];
		json_t *acls;

		if (strcmp(users[i].role, "volunteer") != 0)
			continue;
		acls = json_array();
		add_pattern(acls, "subscribePattern", "np/ann/TH/#%.*s", "", 0);
		add_pattern(acls, "publishClientReceive", "np/ann/TH/#%.*s", "", 0);
		add_pattern(acls, "subscribePattern", "np/ann/%.*s/#", v, 2);
		add_pattern(acls, "publishClientReceive", "np/ann/%.*s/#", v, 2);
		add_pattern(acls, "subscribePattern", "np/ann/%.*s/#", v, 4);
		add_pattern(acls, "publishClientReceive", "np/ann/%.*s/#", v, 4);
		add_pattern(acls, "subscribePattern", "np/ann/%.*s/#", v, 8);
		add_pattern(acls, "publishClientReceive", "np/ann/%.*s/#", v, 8);
		snprintf(name, sizeof(name), "ann-%s", v);
		json_array_append_new(roles, json_pack("{s:s, s:o}", "rolename", name, "acls", acls));
		acls = json_array();
		{
			char t[96];

			snprintf(t, sizeof(t), "np/rep/%.2s/%.4s/%s/+", v, v, v);
			json_array_append_new(acls, acl("publishClientSend", t));
			snprintf(t, sizeof(t), "np/rep/%.2s/%.4s/%s/#", v, v, v);
			json_array_append_new(acls, acl("publishClientReceive", t));
			json_array_append_new(acls, acl("subscribePattern", t));
		}
		snprintf(name, sizeof(name), "vol-%s", v);
		json_array_append_new(roles, json_pack("{s:s, s:o}", "rolename", name, "acls", acls));
	}
	for (i = 0; i < n; i++) {
		char r1[64], r2[64];
		bool vol = strcmp(u[i]->role, "volunteer") == 0;

		snprintf(r1, sizeof(r1), "ann-%s", u[i]->area);
		snprintf(r2, sizeof(r2), "vol-%s", u[i]->area);
		json_array_append_new(clients, json_pack(
			"{s:s, s:s, s:s, s:s, s:i, s:o}", "username", u[i]->name, "clientid", u[i]->name,
			"password", pw[i], "salt", salt[i], "iterations", opt.iterations, "roles",
			vol ? json_pack("[{s:s}, {s:s}]", "rolename", r2, "rolename", r1)
			    : json_pack("[{s:s}]", "rolename", r1)));
	}
	if (json_dump_file(root, opt.config, JSON_INDENT(1)) != 0)
		die("cannot write %s", opt.config);
	printf("info dynsec-json clients=%zu iterations=%d in %.1f s\n", n, opt.iterations,
	       (double)(now_ns() - t0) / 1e9);
	return 0;
}

/* ---- one login's KDF ---- */

static int
cmd_kdf(void)
{
	uint8_t salt[16], hash[64];
	int64_t *t = calloc((size_t)opt.repeat, sizeof(*t));
	int i;

	RAND_bytes(salt, sizeof(salt));
	for (i = 0; i < opt.repeat; i++) {
		int64_t t0 = now_ns();

		PKCS5_PBKDF2_HMAC("pw50010101", 10, salt, sizeof(salt), opt.iterations, EVP_sha512(),
				  sizeof(hash), hash);
		t[i] = now_ns() - t0;
	}
	qsort(t, (size_t)opt.repeat, sizeof(*t), cmp_i64);
	printf("info kdf PBKDF2-HMAC-SHA512 iterations=%d runs=%d\n", opt.iterations, opt.repeat);
	result("ms_per_login", pct(t, (size_t)opt.repeat, 0.5) / 1e6);
	return 0;
}

/* ---- a free loopback port for a broker ---- */

static int
cmd_freeport(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0
	    || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return 1;
	printf("%d\n", ntohs(a.sin_port));
	close(fd);
	return 0;
}

/* ---- main ---- */

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "host", 1, NULL, 'h' }, { "port", 1, NULL, 'p' }, { "users", 1, NULL, 'U' },
		{ "broker", 1, NULL, 'b' }, { "name", 1, NULL, 'n' }, { "pubs", 1, NULL, 'P' },
		{ "subs", 1, NULL, 'S' }, { "qos", 1, NULL, 'q' }, { "seconds", 1, NULL, 's' },
		{ "count", 1, NULL, 'c' }, { "inflight", 1, NULL, 'i' }, { "max-open", 1, NULL, 'm' },
		{ "hold", 1, NULL, 'H' }, { "filter", 1, NULL, 'f' }, { "pages", 1, NULL, 'k' },
		{ "limit", 1, NULL, 'l' }, { "user", 1, NULL, 'u' }, { "repeat", 1, NULL, 'r' },
		{ "window", 1, NULL, 'w' }, { "config", 1, NULL, 'C' }, { "iterations", 1, NULL, 'I' },
		{ "admin-user", 1, NULL, 'A' }, { "admin-pass", 1, NULL, 'B' },
		{ "timeout", 1, NULL, 't' }, { "topic-mode", 1, NULL, 'T' }, { "subs-filter", 1, NULL, 'F' },
		{ "broker-pid", 1, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int c, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: npbench throughput|connect|idle|fanout|history|dynsec-ctl|"
			"dynsec-json|kdf [options] (see the top of bench/npbench.c)\n");
		return 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'h': opt.host = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'U': opt.users = optarg; break;
		case 'b': opt.broker = optarg; break;
		case 'n': opt.name = optarg; break;
		case 'P': opt.pubs = atoi(optarg); break;
		case 'S': break;        /* subscribers follow from the publishers' provinces */
		case 'q': opt.qos = atoi(optarg); break;
		case 's': opt.seconds = atof(optarg); break;
		case 'c': opt.count = atoi(optarg); break;
		case 'i': opt.inflight = atoi(optarg); break;
		case 'm': opt.max_open = atoi(optarg); break;
		case 'H': opt.hold = atof(optarg); break;
		case 'f': opt.filter = optarg; break;
		case 'k': opt.pages = atoi(optarg); break;
		case 'l': opt.limit = atoi(optarg); break;
		case 'u': opt.user = optarg; break;
		case 'r': opt.repeat = atoi(optarg); break;
		case 'w': opt.window = atoi(optarg); break;
		case 'C': opt.config = optarg; break;
		case 'I': opt.iterations = atoi(optarg); break;
		case 'A': opt.admin_user = optarg; break;
		case 'B': opt.admin_pass = optarg; break;
		case 't': opt.timeout = atof(optarg); break;
		case 'T': break;        /* hub topics for every broker: the same work for all */
		case 'F': opt.filter = optarg; break;
		case 'D': opt.broker_pid = atoi(optarg); break;
		default: return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrandom(&run_nonce, sizeof(run_nonce), 0) != sizeof(run_nonce))
		run_nonce = (uint16_t)getpid();
	raise_nofile(0);
	mosquitto_lib_init();
	if (strcmp(cmd, "throughput") == 0)
		rc = cmd_throughput();
	else if (strcmp(cmd, "connect") == 0)
		rc = cmd_connect();
	else if (strcmp(cmd, "idle") == 0)
		rc = cmd_crowd(false);
	else if (strcmp(cmd, "fanout") == 0)
		rc = cmd_crowd(true);
	else if (strcmp(cmd, "history") == 0)
		rc = cmd_history();
	else if (strcmp(cmd, "dynsec-ctl") == 0)
		rc = cmd_dynsec_ctl();
	else if (strcmp(cmd, "dynsec-json") == 0)
		rc = cmd_dynsec_json();
	else if (strcmp(cmd, "kdf") == 0)
		rc = cmd_kdf();
	else if (strcmp(cmd, "freeport") == 0)
		rc = cmd_freeport();
	else
		die("unknown command %s", cmd);
	fflush(stdout);
	/* thousands of sockets: let the kernel close them */
	_exit(rc);
}
