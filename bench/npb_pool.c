/* npb_pool.c - the parts of npbench every scenario uses: clocks and result
 * lines, the users of --users, ids and payloads, the client pool (many
 * libmosquitto clients driven by one epoll loop over mosquitto_socket(), no
 * thread per client), connecting many at once, worker processes and
 * percentiles. */
#include "npb.h"

int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* utime + stime of the broker, in seconds (0 when --broker-pid is not given) */
double
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

void
result(const char *metric, double value)
{
	printf("result scenario=%s broker=%s metric=%s value=%.6g\n", opt.name ? opt.name : "-",
	       opt.broker, metric, value);
	fflush(stdout);
}

void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "npbench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

struct user *users;
size_t nusers;

static int
cmp_user_name(const void *a, const void *b)
{
	return strcmp((*(struct user *const *)a)->name, (*(struct user *const *)b)->name);
}

/* --tokens FILE: "NAME TOKEN" lines; each named user logs in with its token
 * (looked up by name in a sorted table of pointers to the users). */
static void
load_tokens(void)
{
	struct user **by_name, key, *kp = &key, **u;
	char line[512], *sp;
	size_t i, n = 0;
	FILE *f;

	by_name = malloc(nusers * sizeof(*by_name));
	if (by_name == NULL)
		die("%s", "out of memory");
	for (i = 0; i < nusers; i++)
		by_name[i] = &users[i];
	qsort(by_name, nusers, sizeof(*by_name), cmp_user_name);
	f = fopen(opt.tokens, "r");
	if (f == NULL)
		die("cannot open %s", opt.tokens);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		sp = strchr(line, ' ');
		if (sp == NULL)
			continue;
		*sp = '\0';
		key.name = line;
		u = bsearch(&kp, by_name, nusers, sizeof(*by_name), cmp_user_name);
		if (u == NULL)
			continue;
		free((*u)->pass);
		(*u)->pass = strdup(sp + 1);
		n++;
	}
	fclose(f);
	free(by_name);
	printf("info tokens %zu users log in with a device token\n", n);
}

void
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
	if (opt.tokens != NULL)
		load_tokens();
}

const struct user *
find_user(const char *role, const char *area)
{
	size_t i;

	for (i = 0; i < nusers; i++)
		if (strcmp(users[i].role, role) == 0 && (area == NULL || strcmp(users[i].area, area) == 0))
			return &users[i];
	return NULL;
}

const struct user *
user_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < nusers; i++)
		if (strcmp(users[i].name, name) == 0)
			return &users[i];
	return NULL;
}

/* Volunteers first, then residents (the crowd of the idle and fan-out scenarios). */
size_t
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

void
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

uint16_t run_nonce;

/* id: 6 bytes wall ms, 0x70, 3 bytes publisher index, 4 bytes sequence, 2 bytes nonce */
void
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
size_t
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

void
village_topic(char *out, size_t n, const char *v, const char *kind)
{
	snprintf(out, n, "np/rep/%.2s/%.4s/%s/%s", v, v, v, kind);
}

/* ---- the client pool: many libmosquitto clients on one epoll ---- */

void
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

struct cl *
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

void
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

void
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

void
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
int
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

void
pool_misc(struct cl **cs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cs[i]->state != CL_DEAD && cs[i]->fd >= 0)
			mosquitto_loop_misc(cs[i]->m);
}

/* Runs the loop until done(arg) or the timeout; returns false on timeout. */
bool
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

bool
connect_all_done(void *arg)
{
	struct connect_all *ca = arg;

	connect_step(ca);
	return ca->next == ca->n && ca->p->nconnecting == 0;
}


int
workers_needed(size_t n)
{
	struct rlimit r;
	size_t per;

	if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur < 256)
		return 1;
	per = ((size_t)r.rlim_cur - 64) / 3;
	return (int)((n + per - 1) / per);
}

struct worker *
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

int
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

int
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

void
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
bool
ctl_ready(int ctl)
{
	struct pollfd pf = { ctl, POLLIN, 0 };

	return poll(&pf, 1, 0) > 0;
}

int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

double
pct(int64_t *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return (double)v[i];
}
