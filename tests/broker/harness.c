/* harness.c - see harness.h. One mosquitto process per hub_start, stopped by
 * hub_stop; clients are driven synchronously with mosquitto_loop(), so tests
 * need no threads and no sleeps beyond their own timeouts. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port = -1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0
	    && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int
hub_free_port(void)
{
	return free_port();
}

static bool
port_open(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static int
copy_file(const char *from, const char *to)
{
	static const char zeros[65536];
	char buf[65536];
	ssize_t n;
	int in, out, rc = 0;

	in = open(from, O_RDONLY);
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0664);
	if (out < 0) {
		close(in);
		return -1;
	}
	/* LMDB maps are mostly zeros: leave holes where the source has zeros */
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (memcmp(buf, zeros, (size_t)n) == 0) {
			if (lseek(out, n, SEEK_CUR) < 0)
				rc = -1;
		} else if (write(out, buf, (size_t)n) != n) {
			rc = -1;
		}
		if (rc != 0)
			break;
	}
	if (rc == 0 && ftruncate(out, lseek(out, 0, SEEK_CUR)) != 0)
		rc = -1;
	close(in);
	close(out);
	return n < 0 ? -1 : rc;
}

static int
prepare(struct hub *h, bool with_db)
{
	char path[400];

	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "/tmp/nphub-XXXXXX");
	if (mkdtemp(h->dir) == NULL)
		return -1;
	snprintf(h->db, sizeof(h->db), "%s/db", h->dir);
	snprintf(h->conf, sizeof(h->conf), "%s/mosquitto.conf", h->dir);
	snprintf(h->log, sizeof(h->log), "%s/broker.log", h->dir);
	h->port = free_port();
	if (!with_db)
		return 0;
	if (mkdir(h->db, 0775) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/data.mdb", h->db);
	{
		char from[400];

		snprintf(from, sizeof(from), "%s/data.mdb",
			 env_or("NP_TEMPLATE_DB", "build/test-template-db"));
		if (copy_file(from, path) != 0) {
			fprintf(stderr, "harness: cannot copy the template database %s\n", from);
			return -1;
		}
	}
	return 0;
}

static int
write_conf(struct hub *h, const char *plugin_lines, const char *extra)
{
	char plugin[4096];
	FILE *f;

	if (realpath(env_or("NP_PLUGIN", "build/np_plugin.so"), plugin) == NULL) {
		perror("harness: plugin");
		return -1;
	}
	f = fopen(h->conf, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "listener %d 127.0.0.1\nallow_anonymous false\npersistence false\n"
		"log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n"
		"log_type information\nplugin %s\n", h->port, plugin);
	/* Started as root, mosquitto would switch to the user mosquitto before it
	 * loads the plugin, and that user cannot read a clone in a 0700 home or a
	 * mktemp -d directory: this throwaway broker on 127.0.0.1 keeps the
	 * invoking user ("root" is the one name mosquitto 2.0 does not switch to).
	 * Never in a production config: see README.md. */
	if (geteuid() == 0)
		fprintf(f, "user root\n");
	if (plugin_lines != NULL)
		fprintf(f, "%s\n", plugin_lines);
	else    /* tests stream hundreds of messages: no rate limit unless extra_conf sets one */
		fprintf(f, "plugin_opt_db_path %s\nplugin_opt_rate_msgs 0\nplugin_opt_rate_bytes 0\n",
			h->db);
	if (extra != NULL)
		fprintf(f, "%s\n", extra);
	return fclose(f);
}

static pid_t
spawn(struct hub *h)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid;
	fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (getenv("NP_BROKER_PRELOAD") != NULL) {
		/* the ASan+UBSan plugin in the stock broker: its runtime must load first;
		 * mosquitto itself is not instrumented, so its leaks are not ours */
		setenv("LD_PRELOAD", getenv("NP_BROKER_PRELOAD"), 1);
		setenv("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1", 1);
		setenv("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1", 1);
	}
	if (h->faketime[0] != '\0') {
		if (getenv("NP_BROKER_PRELOAD") != NULL) {
			char both[600];

			snprintf(both, sizeof(both), "%s %s", getenv("NP_BROKER_PRELOAD"),
				 env_or("NP_LIBFAKETIME",
					"/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"));
			setenv("NP_BOTH_PRELOAD", both, 1);
		}
		setenv("LD_PRELOAD", env_or("NP_LIBFAKETIME",
					    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"), 1);
		if (getenv("NP_BOTH_PRELOAD") != NULL)
			setenv("LD_PRELOAD", getenv("NP_BOTH_PRELOAD"), 1);
		setenv("FAKETIME", h->faketime, 1);
		setenv("FAKETIME_DONT_RESET", "1", 1);
	}
	execl(env_or("NP_MOSQUITTO", "/usr/sbin/mosquitto"), "mosquitto", "-c", h->conf, (char *)NULL);
	_exit(127);
}

/* 0 once the broker listens (up to 15 s: a loaded machine, the sanitizer
 * plugin); -1 if it did not, with its log printed unless quiet */
static int
wait_listening_q(struct hub *h, bool quiet)
{
	long deadline;
	int status;

	deadline = now_ms() + 15000;
	while (now_ms() < deadline) {
		if (port_open(h->port))
			return 0;
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			h->pid = 0;
			break;
		}
		usleep(10000);
	}
	if (!quiet) {
		fprintf(stderr, "harness: broker did not start\n");
		hub_print_log(h);
	}
	return -1;
}

static int
wait_listening(struct hub *h)
{
	return wait_listening_q(h, false);
}

static char *slurp(const char *path);

/* The port free_port found was taken before mosquitto bound it (the other
 * lane's clients use the same ephemeral range): the broker said so and left. */
static bool
port_was_taken(struct hub *h)
{
	char *log = slurp(h->log);
	bool taken = h->pid == 0 && log != NULL && strstr(log, "Address already in use") != NULL;

	free(log);
	return taken;
}

int
hub_restart(struct hub *h, bool kill9, const char *faketime, const char *extra_conf)
{
	int status;

	if (h->pid > 0) {
		kill(h->pid, kill9 ? SIGKILL : SIGTERM);
		waitpid(h->pid, &status, 0);
		h->pid = 0;
	}
	snprintf(h->faketime, sizeof(h->faketime), "%s", faketime ? faketime : "");
	if (write_conf(h, NULL, extra_conf) != 0)
		return -1;
	h->pid = spawn(h);
	return wait_listening(h);
}

int
hub_start(struct hub *h, const char *extra_conf)
{
	int tries;

	if (prepare(h, true) != 0)
		return -1;
	for (tries = 1;; tries++) {
		if (write_conf(h, NULL, extra_conf) != 0)
			return -1;
		h->pid = spawn(h);
		if (wait_listening_q(h, tries < 5) == 0)
			return 0;
		if (tries == 5 || !port_was_taken(h))
			break;
		h->port = free_port();          /* another port, an empty log */
		if (truncate(h->log, 0) != 0)
			break;
	}
	if (tries < 5) {
		fprintf(stderr, "harness: broker did not start\n");
		hub_print_log(h);
	}
	return -1;
}

int
hub_start_expect_exit(struct hub *h, const char *plugin_lines, bool with_db)
{
	long deadline;
	int status;

	if (prepare(h, with_db) != 0 || write_conf(h, plugin_lines, NULL) != 0)
		return -2;
	h->pid = spawn(h);
	deadline = now_ms() + 5000;
	while (now_ms() < deadline) {
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			h->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		}
		usleep(10000);
	}
	return -1;
}

bool
hub_alive(struct hub *h)
{
	int status;

	if (h->pid <= 0)
		return false;
	if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
		h->pid = 0;
		return false;
	}
	return port_open(h->port);
}


/* A sanitizer report in the broker log fails the whole test program. */
static void
check_sanitizers(struct hub *h)
{
	static const char *const marks[] = { "AddressSanitizer", "runtime error:",
					     "LeakSanitizer" };
	char *log = slurp(h->log);
	size_t i;

	for (i = 0; log != NULL && i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (strstr(log, marks[i]) != NULL) {
			fprintf(stderr, "harness: the broker's plugin tripped a sanitizer\n");
			hub_print_log(h);
			free(log);
			abort();
		}
	}
	free(log);
}

void
hub_stop(struct hub *h)
{
	char cmd[400];
	int status;

	if (h->pid > 0) {
		kill(h->pid, SIGTERM);
		waitpid(h->pid, &status, 0);
		h->pid = 0;
	}
	if (h->log[0] != '\0')
		check_sanitizers(h);
	if (h->dir[0] != '\0' && getenv("NP_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "harness: cannot remove %s\n", h->dir);
	}
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf != NULL) {
		n = (long)fread(buf, 1, (size_t)n, f);
		buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

bool
hub_log_has(struct hub *h, const char *needle)
{
	long deadline = now_ms() + 10000;       /* returns as soon as it is there */
	char *log;
	bool found;

	do {
		log = slurp(h->log);
		found = log != NULL && strstr(log, needle) != NULL;
		free(log);
		if (found)
			return true;
		usleep(20000);
	} while (now_ms() < deadline);
	fprintf(stderr, "harness: the broker log lacks \"%s\"\n", needle);
	return false;
}

void
hub_print_log(struct hub *h)
{
	char *log = slurp(h->log);

	fprintf(stderr, "---- broker log %s ----\n%s---- end of log ----\n", h->log,
		log ? log : "(none)\n");
	free(log);
}

int
hub_admin(struct hub *h, const char *stdin_text, const char *args)
{
	char cmd[2048];
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "%s --db '%s' %s", env_or("NP_ADMIN", "build/np-admin"), h->db,
		 args);
	p = popen(cmd, "w");
	if (p == NULL)
		return -1;
	if (stdin_text != NULL)
		fputs(stdin_text, p);
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
hub_admin_out(struct hub *h, const char *args, char *out, size_t len)
{
	char cmd[2048];
	FILE *p;
	size_t n = 0, got;
	int status;

	snprintf(cmd, sizeof(cmd), "%s --db '%s' %s </dev/null", env_or("NP_ADMIN", "build/np-admin"),
		 h->db, args);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	while (len > 1 && n < len - 1 && (got = fread(out + n, 1, len - 1 - n, p)) > 0)
		n += got;
	if (len > 0)
		out[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- clients ---- */

struct node {
	struct tc_msg m;
	struct node *next;
};

struct tc {
	struct mosquitto *mosq;
	int connack;            /* -1 until CONNACK */
	bool disconnected;
	int last_mid;
	int puback_rc;          /* for last_mid; -1 until it arrives */
	int suback_rc;
	int *sub_codes;         /* tc_subscribe_many: every SUBACK code, up to sub_max */
	int sub_max, sub_n;
	struct node *head, *tail;
};

static void
on_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *p)
{
	struct tc *c = obj;

	(void)m;
	(void)flags;
	(void)p;
	c->connack = rc;
}

static void
on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *p)
{
	(void)m;
	(void)rc;
	(void)p;
	((struct tc *)obj)->disconnected = true;
}

static void
on_publish(struct mosquitto *m, void *obj, int mid, int rc, const mosquitto_property *p)
{
	struct tc *c = obj;

	(void)m;
	(void)p;
	if (mid == c->last_mid)
		c->puback_rc = rc;
}

static void
on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
	     const mosquitto_property *p)
{
	struct tc *c = obj;

	(void)m;
	(void)p;
	if (mid == c->last_mid && c->sub_codes != NULL) {
		for (c->sub_n = 0; c->sub_n < n && c->sub_n < c->sub_max; c->sub_n++)
			c->sub_codes[c->sub_n] = granted[c->sub_n];
	}
	if (mid == c->last_mid && n > 0)
		c->suback_rc = granted[0];
}

static void
on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
	   const mosquitto_property *p)
{
	struct tc *c = obj;
	struct node *n = calloc(1, sizeof(*n));

	(void)m;
	(void)p;
	if (n == NULL)
		return;
	n->m.topic = strdup(msg->topic);
	n->m.len = (size_t)msg->payloadlen;
	n->m.payload = malloc(n->m.len + 1);
	memcpy(n->m.payload, msg->payload, n->m.len);
	n->m.qos = msg->qos;
	if (c->tail)
		c->tail->next = n;
	else
		c->head = n;
	c->tail = n;
}

static bool
pump(struct tc *c, const int *watch, int unset, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	while (now_ms() < deadline) {
		if (watch != NULL && *watch != unset)
			return true;
		if (mosquitto_loop(c->mosq, 20, 1) != MOSQ_ERR_SUCCESS) {
			if (watch != NULL && *watch != unset)
				return true;
			if (c->disconnected)
				return false;
			usleep(10000);
		}
	}
	return watch != NULL && *watch != unset;
}

static bool nodelay;

void
tc_nodelay(bool on)
{
	nodelay = on;
}

struct tc *
tc_connect(struct hub *h, const char *user, const char *pass, int version, int *connack)
{
	struct tc *c = calloc(1, sizeof(*c));

	static bool lib_ready;

	*connack = -1;
	if (c == NULL)
		return NULL;
	if (!lib_ready) {
		mosquitto_lib_init();
		lib_ready = true;
	}
	c->connack = -1;
	c->mosq = mosquitto_new(NULL, true, c);
	mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION,
			     version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
	if (nodelay)
		mosquitto_int_option(c->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_connect_v5_callback_set(c->mosq, on_connect);
	mosquitto_disconnect_v5_callback_set(c->mosq, on_disconnect);
	mosquitto_publish_v5_callback_set(c->mosq, on_publish);
	mosquitto_subscribe_v5_callback_set(c->mosq, on_subscribe);
	mosquitto_message_v5_callback_set(c->mosq, on_message);
	if (user != NULL)
		mosquitto_username_pw_set(c->mosq, user, pass);
	if (mosquitto_connect(c->mosq, "127.0.0.1", h->port, 30) != MOSQ_ERR_SUCCESS) {
		tc_close(c);
		return NULL;
	}
	pump(c, &c->connack, -1, 5000);
	*connack = c->connack;
	if (c->connack != 0) {
		tc_close(c);
		return NULL;
	}
	return c;
}

/* The users of np-admin demo; every other template user is a test user. */
static const char *const demo_users[] = {
	"ministry", "cm_official", "muang_official", "somchai", "malee", "nok", "agri_agency",
	"nt_operator", "admin",
};

void
tc_password_of(const char *user, char *pw, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(demo_users) / sizeof(demo_users[0]); i++) {
		if (strcmp(user, demo_users[i]) == 0) {
			snprintf(pw, n, "%s-demo", user);
			return;
		}
	}
	snprintf(pw, n, "%s-pw", user);
}

struct tc *
tc_login(struct hub *h, const char *user, int version, int *connack)
{
	char pw[96];

	tc_password_of(user, pw, sizeof(pw));
	return tc_connect(h, user, pw, version, connack);
}

int
tc_subscribe(struct tc *c, const char *filter, int qos)
{
	c->suback_rc = -1;
	if (mosquitto_subscribe(c->mosq, &c->last_mid, filter, qos) != MOSQ_ERR_SUCCESS)
		return -1;
	pump(c, &c->suback_rc, -1, 10000);     /* ends at the SUBACK or a disconnect */
	return c->suback_rc;
}

int
tc_subscribe_many(struct tc *c, char *const *filters, int n, int qos, int *codes)
{
	c->suback_rc = -1;
	c->sub_codes = codes;
	c->sub_max = n;
	c->sub_n = 0;
	if (mosquitto_subscribe_multiple(c->mosq, &c->last_mid, n, filters, qos, 0, NULL)
	    == MOSQ_ERR_SUCCESS)
		pump(c, &c->suback_rc, -1, 10000);
	c->sub_codes = NULL;
	return c->suback_rc == -1 ? -1 : c->sub_n;
}

int
tc_publish(struct tc *c, const char *topic, const void *payload, size_t len, int qos)
{
	c->puback_rc = -1;
	if (mosquitto_publish(c->mosq, &c->last_mid, topic, (int)len, payload, qos, false)
	    != MOSQ_ERR_SUCCESS)
		return -1;
	if (qos == 0) {
		pump(c, NULL, 0, 50);
		return 0;
	}
	pump(c, &c->puback_rc, -1, 10000);     /* ends at the PUBACK or a disconnect */
	return c->puback_rc;
}

bool
tc_next(struct tc *c, struct tc_msg *out, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	struct node *n;

	while (c->head == NULL && now_ms() < deadline) {
		if (mosquitto_loop(c->mosq, 20, 1) != MOSQ_ERR_SUCCESS)
			usleep(10000);
	}
	n = c->head;
	if (n == NULL)
		return false;
	c->head = n->next;
	if (c->head == NULL)
		c->tail = NULL;
	*out = n->m;
	free(n);
	return true;
}

bool
tc_quiet(struct tc *c, int timeout_ms)
{
	struct tc_msg m;

	if (!tc_next(c, &m, timeout_ms))
		return true;
	fprintf(stderr, "harness: unexpected message on '%s' (%zu bytes)\n", m.topic, m.len);
	tc_msg_free(&m);
	return false;
}

bool
tc_wait_disconnected(struct tc *c, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	while (!c->disconnected && now_ms() < deadline) {
		if (mosquitto_loop(c->mosq, 10, 1) != MOSQ_ERR_SUCCESS && !c->disconnected)
			usleep(5000);
	}
	return c->disconnected;
}

void
tc_msg_free(struct tc_msg *m)
{
	free(m->topic);
	free(m->payload);
	memset(m, 0, sizeof(*m));
}

void
tc_close(struct tc *c)
{
	struct tc_msg m;

	if (c == NULL)
		return;
	while (c->head != NULL && tc_next(c, &m, 0))
		tc_msg_free(&m);
	if (c->connack == 0) {
		mosquitto_disconnect(c->mosq);
		pump(c, NULL, 0, 20);
	}
	mosquitto_destroy(c->mosq);
	free(c);
}

/* ---- envelopes ---- */

void
env_new_id(uint8_t id[16])
{
	static unsigned counter;
	struct timespec ts;
	uint64_t ms;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (i = 0; i < 6; i++)
		id[i] = (uint8_t)(ms >> (8 * (5 - i)));
	for (i = 6; i < 16; i++)
		id[i] = (uint8_t)rand();
	id[15] = (uint8_t)counter++;
}

uint8_t *
env_pack(const Np__Envelope *e, size_t *len)
{
	uint8_t *buf;

	*len = np__envelope__get_packed_size(e);
	buf = malloc(*len + 1);
	np__envelope__pack(e, buf);
	return buf;
}

#define ENV_BODY(fn, Type, init, member, CASE, setup)                     \
	uint8_t *fn                                                      \
	{                                                                \
		Np__Envelope e = NP__ENVELOPE__INIT;                     \
		Type b = init;                                           \
		uint8_t id[16];                                          \
		env_new_id(id);                                          \
		e.id.data = id;                                          \
		e.id.len = 16;                                           \
		e.sent_at_ms = 1;                                        \
		setup;                                                   \
		e.body_case = CASE;                                      \
		e.member = &b;                                           \
		return env_pack(&e, len);                                \
	}

ENV_BODY(env_report(const char *title, size_t *len), Np__Report, NP__REPORT__INIT, report,
	 NP__ENVELOPE__BODY_REPORT, b.title = (char *)title)
ENV_BODY(env_announcement(const char *title, size_t *len), Np__Announcement,
	 NP__ANNOUNCEMENT__INIT, announcement, NP__ENVELOPE__BODY_ANNOUNCEMENT,
	 b.title = (char *)title)
ENV_BODY(env_ack(const uint8_t report_id[16], int state, size_t *len), Np__Ack, NP__ACK__INIT,
	 ack, NP__ENVELOPE__BODY_ACK,
	 (b.report_id.data = (uint8_t *)report_id, b.report_id.len = 16,
	  b.state = (Np__AckState)state))
ENV_BODY(env_dm(const char *text, size_t *len), Np__DirectMessage, NP__DIRECT_MESSAGE__INIT, dm,
	 NP__ENVELOPE__BODY_DM, b.text = (char *)text)
ENV_BODY(env_status(bool online, size_t *len), Np__Status, NP__STATUS__INIT, status,
	 NP__ENVELOPE__BODY_STATUS, b.online = online)
ENV_BODY(env_showcase(const char *title, size_t *len), Np__Showcase, NP__SHOWCASE__INIT,
	 showcase, NP__ENVELOPE__BODY_SHOWCASE, b.title = (char *)title)

Np__Envelope *
env_unpack(const struct tc_msg *m)
{
	return np__envelope__unpack(NULL, m->len, m->payload);
}
