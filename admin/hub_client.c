/* hub_client.c - np-admin --hub HOST[:PORT] -u ADMIN [--cafile CA]
 * [--timeout S] COMMAND...: the same commands, run by the hub over MQTT for
 * an admin, within its scope (DESIGN.md "Remote administration").
 *
 * The command words go as they are in an np.AdminRequest on
 * $CONTROL/np/v1/admin; the hub runs np-admin's own code on its store and
 * answers on np/reply/ADMIN/admin with what np-admin would print, which is
 * printed here, with its exit status. Two things are done here first:
 * passwords (user add, user passwd, the password column of user import) are
 * hashed on this machine, on every core, and only the hash is sent, so
 * neither the password nor the KDF's cost reaches the hub; and files named
 * by the command (user import FILE, token issue --names FILE) are read here
 * and sent as the command's input. ADMIN's own password comes from
 * NP_PASSWORD, else from the terminal. */
#include <csv.h>
#include <errno.h>
#include <getopt.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "hub_client.h"
#include "np.pb-c.h"
#include "token.h"
#include "user.h"

#define FIELD_MAX 1024

struct request {
	char **argv;
	int argc;
	char *input;            /* malloc'd, or NULL */
	size_t input_len;
	char **hashes;
	size_t nhashes;
	char corr[40];
};

struct session {
	const char *user;
	struct request *req;
	char reply_topic[200];
	int connected;          /* 0 waiting, 1 yes, -1 refused */
	int connack;
	bool done;
	int status;
};

static int
fail(const char *fmt, const char *a)
{
	fprintf(stderr, "np-admin: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	return ADMIN_FAIL;
}

/* ------------------------------------------------------------------ input */

static int
read_all(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	FILE *m;
	char buf[65536];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "np-admin: cannot read %s: %s\n", path, strerror(errno));
		return ADMIN_FAIL;
	}
	m = open_memstream(out, len);
	if (m == NULL)
		return fail("%s", "out of memory");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	if (ferror(f))
		fprintf(stderr, "np-admin: cannot read %s\n", path);
	fclose(m);
	if (f != stdin)
		fclose(f);
	return *out != NULL ? ADMIN_OK : ADMIN_FAIL;
}

static int
add_hash(struct request *r, const struct hub_user *u)
{
	char **v = realloc(r->hashes, (r->nhashes + 1) * sizeof(*v));

	if (v == NULL)
		return fail("%s", "out of memory");
	r->hashes = v;
	v[r->nhashes] = malloc(ADMIN_HASH_TEXT_LEN + 1);
	if (v[r->nhashes] == NULL)
		return fail("%s", "out of memory");
	admin_hash_format(u, v[r->nhashes++]);
	return ADMIN_OK;
}

/* --iterations N among the words (default the shipped 100,000). */
static int
iterations_of(int argc, char **argv, unsigned *it)
{
	int i;

	*it = HUB_KDF_DEFAULT_ITERATIONS;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
			return admin_parse_iterations(argv[i + 1], it);
		if (strncmp(argv[i], "--iterations=", 13) == 0)
			return admin_parse_iterations(argv[i] + 13, it);
	}
	return ADMIN_OK;
}

/* user add / user passwd: the new password from standard input, hashed here. */
static int
one_password(struct request *r, unsigned it)
{
	char password[1026];
	struct hub_user u;
	int rc, ch = getc(stdin);

	if (ch == EOF)
		return ADMIN_OK;        /* the hub says so, after the command's options */
	ungetc(ch, stdin);
	if (admin_read_password(password, sizeof(password)) != ADMIN_OK)
		return ADMIN_FAIL;
	memset(&u, 0, sizeof(u));
	u.iterations = it;
	rc = hub_kdf_new(password, strlen(password), it, u.salt, u.hash);
	memset(password, 0, sizeof(password));
	if (rc != 0)
		return fail("%s", "cannot hash the password");
	return add_hash(r, &u);
}

/* user import FILE: the CSV with each password replaced by its hash. */
struct csvrec {
	char *f[5];
	int n;
	unsigned long line;
};

struct csvread {
	struct csvrec *v;
	size_t n, cap;
	struct csvrec cur;
	unsigned long line;
	int failed;
};

static void
on_field(void *data, size_t len, void *cb)
{
	struct csvread *c = cb;

	if (c->cur.n < 5) {
		c->cur.f[c->cur.n] = strndup(data, len < FIELD_MAX ? len : FIELD_MAX - 1);
		if (c->cur.f[c->cur.n] == NULL)
			c->failed = 1;
	}
	c->cur.n++;
}

static void
on_record(int ch, void *cb)
{
	struct csvread *c = cb;
	struct csvrec *v;

	(void)ch;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		v = realloc(c->v, c->cap * sizeof(*v));
		if (v == NULL) {
			c->failed = 1;
			return;
		}
		c->v = v;
	}
	c->cur.line = c->line;
	c->v[c->n++] = c->cur;
	memset(&c->cur, 0, sizeof(c->cur));
}

static void
csv_free_all(struct csvread *c)
{
	size_t i;
	int k;

	for (i = 0; i < c->n; i++)
		for (k = 0; k < 5 && k < c->v[i].n; k++) {
			if (k == 3 && c->v[i].f[k] != NULL)
				memset(c->v[i].f[k], 0, strlen(c->v[i].f[k]));
			free(c->v[i].f[k]);
		}
	free(c->v);
}

static int
import_file(struct request *r, const char *path, unsigned it)
{
	struct csvread c = { 0 };
	struct csv_parser p;
	struct hub_user *users = NULL, **up = NULL;
	char **pw = NULL, *data = NULL, hash[ADMIN_HASH_TEXT_LEN + 1];
	size_t len = 0, i, nrows, off = 0, eol;
	int rc = ADMIN_FAIL, k;
	FILE *out;

	if (read_all(path, &data, &len) != ADMIN_OK)
		return ADMIN_FAIL;
	csv_init(&p, CSV_STRICT | CSV_STRICT_FINI);
	while (off < len && !c.failed) {      /* line by line, to name the line */
		eol = off;
		while (eol < len && data[eol] != '\n')
			eol++;
		eol = eol < len ? eol + 1 : eol;
		c.line++;
		if (csv_parse(&p, data + off, eol - off, on_field, on_record, &c) != eol - off) {
			fprintf(stderr, "%s:%lu: %s\n", path, c.line, csv_strerror(csv_error(&p)));
			c.failed = 1;
		}
		off = eol;
	}
	if (!c.failed)
		csv_fini(&p, on_field, on_record, &c);
	csv_free(&p);
	free(data);
	if (c.failed)
		goto out;
	nrows = c.n > 0 ? c.n - 1 : 0;
	users = calloc(nrows + 1, sizeof(*users));
	up = calloc(nrows + 1, sizeof(*up));
	pw = calloc(nrows + 1, sizeof(*pw));
	if (users == NULL || up == NULL || pw == NULL)
		goto out;
	for (i = 1; i < c.n; i++) {     /* the hub checks the rest, naming the row */
		const struct csvrec *rec = &c.v[i];

		if (rec->n < 4 || rec->n > 5) {
			fprintf(stderr, "%s:%lu: want name,role,area,password[,categories]\n", path,
				rec->line);
			goto out;
		}
		if (rec->f[3][0] == '\0') {
			fprintf(stderr, "%s:%lu: user '%s' has an empty password\n", path, rec->line,
				rec->f[0]);
			goto out;
		}
		if (hub_token_is(rec->f[3])) {
			fprintf(stderr, "%s:%lu: user '%s' has a password starting with '%s' (the hub "
				"reads it as a device token)\n", path, rec->line, rec->f[0],
				HUB_TOKEN_PREFIX);
			goto out;
		}
		up[i - 1] = &users[i - 1];
		pw[i - 1] = rec->f[3];
	}
	if (admin_hash_many(up, pw, nrows, it) != ADMIN_OK)
		goto out;
	out = open_memstream(&r->input, &r->input_len);
	if (out == NULL)
		goto out;
	for (i = 0; i < c.n; i++) {
		for (k = 0; k < c.v[i].n && k < 5; k++) {
			if (k > 0)
				fputc(',', out);
			if (i > 0 && k == 3) {
				admin_hash_format(&users[i - 1], hash);
				csv_fwrite(out, hash, strlen(hash));
			} else {
				csv_fwrite(out, c.v[i].f[k], strlen(c.v[i].f[k]));
			}
		}
		fputc('\n', out);
	}
	rc = fclose(out) == 0 ? ADMIN_OK : ADMIN_FAIL;
out:
	if (rc != ADMIN_OK)
		fprintf(stderr, "np-admin: nothing imported from %s\n", path);
	if (users != NULL)
		memset(users, 0, (nrows + 1) * sizeof(*users));
	free(users);
	free(up);
	free(pw);
	csv_free_all(&c);
	return rc;
}

/* What the command needs from this machine: hashes and the files it names. */
static int
prepare(struct request *r)
{
	const char *cmd = r->argv[0], *sub = r->argc > 1 ? r->argv[1] : "";
	unsigned it;
	int i;

	if (strcmp(cmd, "user") == 0 && (strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0)) {
		if (iterations_of(r->argc, r->argv, &it) != ADMIN_OK)
			return ADMIN_FAIL;
		return one_password(r, it);
	}
	if (strcmp(cmd, "user") == 0 && strcmp(sub, "import") == 0) {
		if (iterations_of(r->argc, r->argv, &it) != ADMIN_OK)
			return ADMIN_FAIL;
		for (i = 2; i < r->argc; i++) {
			if (strcmp(r->argv[i], "--iterations") == 0) {
				i++;
				continue;
			}
			if (strncmp(r->argv[i], "--", 2) != 0)
				return import_file(r, r->argv[i], it);
		}
		return ADMIN_OK;        /* the hub says what is missing */
	}
	if (strcmp(cmd, "token") == 0 && strcmp(sub, "issue") == 0) {
		for (i = 2; i < r->argc; i++) {
			if (strcmp(r->argv[i], "--names") == 0 && i + 1 < r->argc)
				return read_all(r->argv[i + 1], &r->input, &r->input_len);
			if (strncmp(r->argv[i], "--names=", 8) == 0)
				return read_all(r->argv[i] + 8, &r->input, &r->input_len);
		}
	}
	return ADMIN_OK;
}

/* ------------------------------------------------------------------- MQTT */

static void
on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct session *s = obj;

	s->connack = rc;
	if (rc != 0) {
		s->connected = -1;
		return;
	}
	s->connected = 1;
	mosquitto_subscribe(m, NULL, s->reply_topic, 1);
}

static void
on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted)
{
	struct session *s = obj;
	Np__AdminRequest q = NP__ADMIN_REQUEST__INIT;
	uint8_t *buf;
	size_t len;

	(void)mid;
	if (n < 1 || granted[0] > 2) {
		fprintf(stderr, "np-admin: the hub refused the reply topic %s\n", s->reply_topic);
		s->done = true;
		s->status = ADMIN_FAIL;
		return;
	}
	q.correlation_id = s->req->corr;
	q.n_argv = (size_t)s->req->argc;
	q.argv = s->req->argv;
	q.input.data = (uint8_t *)s->req->input;
	q.input.len = s->req->input_len;
	q.n_password_hashes = s->req->nhashes;
	q.password_hashes = s->req->hashes;
	len = np__admin_request__get_packed_size(&q);
	buf = malloc(len ? len : 1);
	if (buf == NULL) {
		s->done = true;
		s->status = fail("%s", "out of memory");
		return;
	}
	np__admin_request__pack(&q, buf);
	if (mosquitto_publish(m, NULL, "$CONTROL/np/v1/admin", (int)len, buf, 1, false)
	    != MOSQ_ERR_SUCCESS) {
		s->done = true;
		s->status = fail("%s", "cannot send the request");
	}
	free(buf);
}

static void
on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct session *s = obj;
	Np__Envelope *e;
	Np__AdminReply *a;

	(void)m;
	e = np__envelope__unpack(NULL, (size_t)msg->payloadlen, msg->payload);
	if (e == NULL || e->body_case != NP__ENVELOPE__BODY_ADMIN_REPLY
	    || (strcmp(e->admin_reply->correlation_id, s->req->corr) != 0
		/* a request the hub could not read is answered without one */
		&& e->admin_reply->correlation_id[0] != '\0')) {
		if (e != NULL)
			np__envelope__free_unpacked(e, NULL);
		return;         /* not the answer to this request */
	}
	a = e->admin_reply;
	if (a->out.len > 0)
		fwrite(a->out.data, 1, a->out.len, stdout);
	if (a->err.len > 0)
		fwrite(a->err.data, 1, a->err.len, stderr);
	s->status = a->status >= 0 && a->status <= 2 ? a->status : ADMIN_FAIL;
	s->done = true;
	np__envelope__free_unpacked(e, NULL);
}

/* ADMIN's password: NP_PASSWORD, else asked on the terminal (standard input
 * may carry the command's own input). */
static char *
admin_password(const char *user)
{
	struct termios old, quiet;
	char buf[1026];
	FILE *tty;
	size_t n;

	if (getenv("NP_PASSWORD") != NULL)
		return strdup(getenv("NP_PASSWORD"));
	tty = fopen("/dev/tty", "r+");
	if (tty == NULL)
		return NULL;
	fprintf(tty, "password of %s: ", user);
	fflush(tty);
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	if (fgets(buf, sizeof(buf), tty) == NULL)
		buf[0] = '\0';
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return strdup(buf);
}

static const char *
connack_text(int rc)
{
	switch (rc) {
	case 4:
	case 5:
	case 134:
	case 135:
		return "the hub refused the login (wrong user name or password?)";
	default:
		return mosquitto_connack_string(rc);
	}
}

static int
exchange(const char *host, int port, const char *user, const char *cafile, int timeout,
	 struct request *req)
{
	struct session s;
	struct mosquitto *m;
	char id[100], *password;
	time_t end = time(NULL) + timeout;
	int rc;

	memset(&s, 0, sizeof(s));
	s.user = user;
	s.req = req;
	s.status = ADMIN_FAIL;
	snprintf(s.reply_topic, sizeof(s.reply_topic), "np/reply/%s/admin", user);
	snprintf(id, sizeof(id), "np-%.40s-admin-%d", user, (int)getpid());
	password = admin_password(user);
	if (password == NULL)
		return fail("no password for %s: set NP_PASSWORD (there is no terminal to ask on)",
			    user);
	mosquitto_lib_init();
	m = mosquitto_new(id, true, &s);
	if (m == NULL) {
		free(password);
		return fail("%s", "out of memory");
	}
	mosquitto_connect_callback_set(m, on_connect);
	mosquitto_subscribe_callback_set(m, on_subscribe);
	mosquitto_message_callback_set(m, on_message);
	mosquitto_username_pw_set(m, user, password);
	memset(password, 0, strlen(password));
	free(password);
	if (cafile != NULL && (rc = mosquitto_tls_set(m, cafile, NULL, NULL, NULL, NULL))
				      != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "np-admin: --cafile %s: %s\n", cafile, mosquitto_strerror(rc));
		goto out;
	}
	rc = mosquitto_connect(m, host, port, 30);
	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "np-admin: cannot reach the hub at %s:%d: %s\n", host, port,
			rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		goto out;
	}
	while (!s.done && s.connected >= 0 && time(NULL) <= end) {
		rc = mosquitto_loop(m, 200, 1);
		if (rc != MOSQ_ERR_SUCCESS && s.connected >= 0 && !s.done) {
			fprintf(stderr, "np-admin: lost the hub at %s:%d: %s\n", host, port,
				rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
			goto out;
		}
	}
	if (s.connected < 0)
		fprintf(stderr, "np-admin: %s:%d: %s\n", host, port, connack_text(s.connack));
	else if (!s.done)
		fprintf(stderr, "np-admin: no answer from the hub at %s:%d within %d s\n", host,
			port, timeout);
	mosquitto_disconnect(m);
	mosquitto_loop(m, 100, 1);
out:
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	return s.done ? s.status : ADMIN_FAIL;
}

static void
request_free(struct request *r)
{
	size_t i;

	for (i = 0; i < r->nhashes; i++)
		free(r->hashes[i]);
	free(r->hashes);
	free(r->input);
}

int
admin_hub_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hub", required_argument, NULL, 'H' },
		{ "cafile", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *hub = NULL, *user = NULL, *cafile = NULL;
	char host[256], *colon, *end;
	struct request req;
	long port = 0, timeout = 60;
	int c, rc;

	opterr = 1;
	optind = 1;
	/* "+": stop at the command, whose own options are the hub's to read */
	while ((c = getopt_long(argc, argv, "+u:", opts, NULL)) != -1) {
		if (c == 'H')
			hub = optarg;
		else if (c == 'u')
			user = optarg;
		else if (c == 'c')
			cafile = optarg;
		else if (c == 't' && (timeout = strtol(optarg, &end, 10)) > 0 && *end == '\0'
			 && timeout <= 3600)
			continue;
		else
			return ADMIN_USAGE;
	}
	if (hub == NULL || user == NULL || optind >= argc)
		return ADMIN_USAGE;
	snprintf(host, sizeof(host), "%s", hub);
	colon = strrchr(host, ':');
	if (colon != NULL && strchr(host, ']') == NULL && strchr(host, ':') == colon) {
		*colon = '\0';
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || port < 1 || port > 65535)
			return fail("--hub %s: the port is not a number from 1 to 65535", hub);
	}
	if (port == 0)
		port = cafile != NULL ? 8883 : 1883;
	memset(&req, 0, sizeof(req));
	req.argv = argv + optind;
	req.argc = argc - optind;
	snprintf(req.corr, sizeof(req.corr), "np-admin-%d-%ld", (int)getpid(), (long)time(NULL));
	rc = prepare(&req);
	if (rc == ADMIN_OK)
		rc = exchange(host, (int)port, user, cafile, (int)timeout, &req);
	request_free(&req);
	return rc;
}
