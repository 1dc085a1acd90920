/* common.c - what the np-* example programs share (see common.h): parsing
 * the connection options, connecting, publishing one message and saying its
 * outcome. The programs' own options stay in their files; the library does
 * the MQTT; print.c prints messages. np-dm.c does all of this by itself, on
 * np_client.h alone: read it first. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define CONNECT_MS 5000         /* wait for the hub's answer to the login */
#define FLUSH_MS 10000          /* wait for the outcome of what was sent */
#define CLOSE_MS 2000           /* at the end, for what the outbox resent */

enum { OPT_OUTBOX = 0x1000, OPT_CAFILE, OPT_HELP, OPT_STATE };

static const struct option common_opts[] = {
	{ "outbox", required_argument, NULL, OPT_OUTBOX },
	{ "cafile", required_argument, NULL, OPT_CAFILE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "state", required_argument, NULL, OPT_STATE },        /* np-ack's is the ack's */
	{ "state-dir", required_argument, NULL, OPT_STATE },
};
#define COMMON_OPT_COUNT (sizeof(common_opts) / sizeof(common_opts[0]))

static const char common_help[] =
	"Connection options (every np-* program):\n"
	"  -h HOST           the hub's host name or address (default 127.0.0.1)\n"
	"  -p PORT           the hub's port (default 1883, 8883 with --cafile)\n"
	"  -u USER           your username\n"
	"  -P PASS           your password (default: the environment variable NP_PASSWORD);\n"
	"                    with --state, needed only until a device token is saved\n"
	"  --cafile FILE     use TLS, trusting the CA certificate(s) in FILE\n"
	"  --outbox DIR      keep in DIR what cannot be sent now (hub down, link lost);\n"
	"                    every run with the same DIR first sends what DIR holds\n"
	"  --state DIR       keep this program's state in DIR (created 0700): the device\n"
	"                    token the hub gives at the first login with -P (mode 0600;\n"
	"                    later runs log in with it, no password needed), and the\n"
	"                    outbox unless --outbox is given\n"
	"  --state-dir DIR   the same (for np-ack, whose --state is the ack's)\n"
	"  --help            print this text\n"
	"\n"
	"Exit status: 0 done (or queued with --outbox), 1 refused by the hub,\n"
	"2 bad arguments, 3 hub unreachable, login refused or no answer.\n";

/* ---- options ---- */

int
cli_usage(const struct cli_prog *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", p->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", p->name);
	return EX_USAGE;
}

int
cli_missing(const struct cli_prog *p, const char *opt)
{
	return cli_usage(p, "%s is required", opt);
}

int
cli_no_operands(const struct cli *cl, int argc, char **argv)
{
	if (cl->first_operand < argc)
		return cli_usage(cl->prog, "unexpected argument '%s'", argv[cl->first_operand]);
	return EX_OK;
}

int
cli_int(const struct cli_prog *p, const char *opt, const char *arg, long long min,
	long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max)
		return cli_usage(p, "%s wants a whole number from %lld to %lld, not '%s'", opt,
				 min, max, arg);
	*out = v;
	return EX_OK;
}

int
cli_read_file(const struct cli_prog *p, const char *opt, const char *path, size_t max,
	      void **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, k;
	int err = 0;

	*buf = NULL;
	*len = 0;
	if (f == NULL)
		return cli_usage(p, "%s %s: %s", opt, path, strerror(errno));
	b = malloc(max + 1);
	if (b != NULL) {
		while (n <= max && (k = fread(b + n, 1, max + 1 - n, f)) > 0)
			n += k;
		err = ferror(f) ? errno : 0;
	}
	fclose(f);
	if (b == NULL)
		return cli_usage(p, "%s %s: out of memory", opt, path);
	if (err != 0 || n == 0 || n > max) {
		free(b);
		if (err != 0)
			return cli_usage(p, "%s %s: %s", opt, path, strerror(err));
		return cli_usage(p, n == 0 ? "%s %s: the file is empty"
				 : "%s %s: the file is over %zu bytes", opt, path, max);
	}
	*buf = b;
	*len = n;
	return EX_OK;
}

int
cli_word(const struct cli_prog *p, const char *opt, const char *s, const char *const *words)
{
	char list[256] = "";
	size_t i;

	for (i = 0; words[i] != NULL; i++) {
		if (strcmp(s, words[i]) == 0)
			return EX_OK;
	}
	for (i = 0; words[i] != NULL; i++) {
		strncat(list, i == 0 ? "" : ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, words[i], sizeof(list) - strlen(list) - 1);
	}
	return cli_usage(p, "%s must be one of %s, not '%s'", opt, list, s);
}

static bool
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

bool
cli_is_village(const char *s)
{
	return strlen(s) == 8 && all_digits(s, 8);
}

bool
cli_is_area(const char *s)
{
	size_t n = strlen(s);

	if (strcmp(s, "TH") == 0)
		return true;
	return (n == 2 || n == 4 || n == 8) && all_digits(s, n);
}

/* A village code, or a username: an ASCII letter, then letters, digits,
 * '.', '_' or '-', at most 64 bytes (the hub's rule). */
bool
cli_is_address(const char *s)
{
	size_t n = strlen(s);

	if (cli_is_village(s))
		return true;
	if (n == 0 || n > 64 || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* Whether p has an option of its own named name. */
static bool
own_option(const struct cli_prog *p, const char *name)
{
	size_t i;

	for (i = 0; p->opts != NULL && p->opts[i].name != NULL; i++) {
		if (strcmp(p->opts[i].name, name) == 0)
			return true;
	}
	return false;
}

/* The common options and then p's own, in one array for getopt_long; a
 * program's own option takes the place of a common one of the same name. */
static struct option *
all_options(const struct cli_prog *p)
{
	struct option *all;
	size_t n = 0, k = 0, i;

	while (p->opts != NULL && p->opts[n].name != NULL)
		n++;
	all = calloc(COMMON_OPT_COUNT + n + 1, sizeof(*all));  /* last one stays zero */
	if (all == NULL)
		return NULL;
	for (i = 0; i < COMMON_OPT_COUNT; i++) {
		if (!own_option(p, common_opts[i].name))
			all[k++] = common_opts[i];
	}
	if (n > 0)
		memcpy(all + k, p->opts, n * sizeof(*all));
	return all;
}

static int
print_help(const struct cli_prog *p)
{
	printf("usage: %s [CONNECTION OPTIONS] %s\n%s\n\n%s\n%s", p->name, p->synopsis, p->about,
	       p->help, common_help);
	return EX_OK;
}

/* One option from getopt_long; text is the argv word it came from. */
static int
one_option(struct cli *cl, void *ctx, int val, const char *text)
{
	const struct cli_prog *p = cl->prog;
	long long port;

	switch (val) {
	case 'h': cl->conn.host = optarg; break;
	case 'u': cl->conn.username = optarg; break;
	case 'P': cl->conn.password = optarg; break;
	case OPT_OUTBOX: cl->conn.outbox_dir = optarg; break;
	case OPT_CAFILE: cl->conn.cafile = optarg; break;
	case OPT_STATE: cl->conn.state_dir = optarg; break;
	case OPT_HELP: return print_help(p);
	case 'p':
		if (cli_int(p, "-p", optarg, 1, 65535, &port) != EX_OK)
			return EX_USAGE;
		cl->conn.port = (int)port;
		break;
	case ':':
		return cli_usage(p, "option '%s' needs a value%s", text,
				 strcmp(text, "-h") == 0 ? " (-h is HOST; for help: --help)" : "");
	case '?':
		if (optopt >= CLI_OPT_FIRST)
			return cli_usage(p, "option '%s' takes no value", text);
		if (optopt > 0 && text[0] == '-' && text[1] != '-')
			return cli_usage(p, "unknown option '-%c' (for help: --help)", optopt);
		return cli_usage(p, "unknown option '%s'", text);
	default:
		if (p->on_opt(p, ctx, val, optarg) != EX_OK)
			return EX_USAGE;
		break;
	}
	return CLI_GO_ON;
}

/* Where the outbox is (--outbox DIR, or the library's in --state DIR), and
 * the option that sends what it holds, for the messages. */
static void
name_outbox(struct cli *cl)
{
	const struct cli_conn *cc = &cl->conn;

	if (cc->outbox_dir != NULL) {
		snprintf(cl->outbox, sizeof(cl->outbox), "%s", cc->outbox_dir);
		snprintf(cl->rerun, sizeof(cl->rerun), "--outbox %s", cc->outbox_dir);
	} else if (cc->state_dir != NULL) {
		snprintf(cl->outbox, sizeof(cl->outbox), "the outbox in %s", cc->state_dir);
		snprintf(cl->rerun, sizeof(cl->rerun), "--state %s", cc->state_dir);
	}
}

/* After the options: the password from the environment, the checks, "host:port". */
static int
finish_options(struct cli *cl)
{
	const char *host;
	int port;

	if (cl->conn.password == NULL)
		cl->conn.password = getenv("NP_PASSWORD");
	if (cl->conn.username == NULL || cl->conn.username[0] == '\0')
		return cli_missing(cl->prog, "-u USER");
	/* with --state the library says whether it holds a token instead */
	if (cl->conn.password == NULL && cl->conn.state_dir == NULL)
		return cli_usage(cl->prog, "no password: give -P PASS or set NP_PASSWORD");
	name_outbox(cl);
	host = cl->conn.host != NULL ? cl->conn.host : "127.0.0.1";
	/* the port np_client_new() picks when none is given */
	port = cl->conn.port > 0 ? cl->conn.port : cl->conn.cafile != NULL ? 8883 : 1883;
	snprintf(cl->addr, sizeof(cl->addr), strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d",
		 host, port);
	return CLI_GO_ON;
}

int
cli_parse(struct cli *cl, const struct cli_prog *p, void *ctx, int argc, char **argv)
{
	struct option *opts;
	int rc = CLI_GO_ON;
	int val;

	memset(cl, 0, sizeof(*cl));
	cl->prog = p;
	cl->own_outcome = -1;
	opts = all_options(p);
	if (opts == NULL) {
		fprintf(stderr, "%s: out of memory\n", p->name);
		return EX_FAILED;
	}
	opterr = 0;
	while (rc == CLI_GO_ON && (val = getopt_long(argc, argv, ":h:p:u:P:", opts, NULL)) != -1)
		rc = one_option(cl, ctx, val, argv[optind - 1]);
	free(opts);
	cl->first_operand = optind;
	if (rc == CLI_GO_ON)
		rc = finish_options(cl);
	return rc;
}

/* ---- connecting and publishing ---- */

/* The library's detail of the last error, or the sentence for rc. */
static const char *
why(const struct cli *cl, int rc)
{
	const char *detail = cl->c != NULL ? np_client_last_error(cl->c) : "";

	return detail[0] != '\0' ? detail : np_strerror(rc);
}

int
cli_fail(const struct cli *cl, int rc, const char *what, const char *hint)
{
	const char *detail = why(cl, rc);

	if (strstr(detail, cl->addr) != NULL)
		fprintf(stderr, "%s: %s%s\n", cl->prog->name, detail, hint);
	else
		fprintf(stderr, "%s: %s at %s: %s%s\n", cl->prog->name, what, cl->addr, detail,
			hint);
	return EX_FAILED;
}

/* Outcomes of this run's message are kept for cli_publish_one() to say;
 * those of messages resent from the outbox are said at once. */
static void
on_outcome(void *ctx, const uint8_t id[NP_ID_LEN], enum np_outcome outcome, const char *reason)
{
	struct cli *cl = ctx;
	const char *dir = cl->outbox[0] != '\0' ? cl->outbox : "the outbox";
	FILE *out = cl->publisher ? stdout : stderr;   /* a feed's stdout is its data */
	char hex[2 * NP_ID_LEN + 1];

	if (reason == NULL || reason[0] == '\0')
		reason = "(no reason given)";
	if (cl->have_own && memcmp(id, cl->own_id, NP_ID_LEN) == 0) {
		cl->own_outcome = (int)outcome;
		snprintf(cl->own_reason, sizeof(cl->own_reason), "%s", reason);
		return;
	}
	np_id_to_hex(id, hex);
	if (outcome == NP_ACCEPTED)
		fprintf(out, "accepted %s (an earlier message, sent from %s)\n", hex, dir);
	else if (outcome == NP_REFUSED)
		fprintf(stderr, "refused: %s (%s, an earlier message from %s)\n", reason, hex, dir);
	else
		fprintf(out, "queued %s in %s (will be sent by the next run with %s)\n", hex,
			dir, cl->rerun);
	fflush(out);
}

static int
say_connect_error(const struct cli *cl, int rc, bool may_queue)
{
	if (rc == NP_ERR_AUTH && cl->conn.password == NULL) {
		fprintf(stderr, "%s: the hub at %s refused the saved token of '%s' (now deleted from "
			"%s): give -P PASS or set NP_PASSWORD to log in again\n", cl->prog->name,
			cl->addr, cl->conn.username, cl->conn.state_dir);
		return EX_FAILED;
	}
	if (rc == NP_ERR_AUTH) {
		fprintf(stderr, "%s: the hub at %s refused the login of '%s': wrong username or "
			"password\n", cl->prog->name, cl->addr, cl->conn.username);
		return EX_FAILED;
	}
	if (rc == NP_ERR_UNREACHABLE || rc == NP_ERR_TIMEOUT)
		return cli_fail(cl, rc, "cannot reach the hub", !may_queue ? ""
				: " (with --outbox DIR a message is kept and sent later)");
	if (rc == NP_ERR_TLS)
		return cli_fail(cl, rc, "TLS failed with the hub", " (check --cafile)");
	return cli_fail(cl, rc, "cannot connect to the hub", "");
}

/* The client of the connection options; says why not on stderr. */
static int
new_client(struct cli *cl)
{
	const struct cli_conn *cc = &cl->conn;
	struct np_options *o = np_options_new();
	char detail[512] = "";
	int rc = o != NULL ? NP_OK : NP_ERR_NOMEM;

	if (rc == NP_OK && cc->host != NULL)
		rc = np_options_set_string(o, NP_OPT_HOST, cc->host);
	if (rc == NP_OK && cc->port > 0)
		rc = np_options_set_int(o, NP_OPT_PORT, cc->port);
	if (rc == NP_OK)
		rc = np_options_set_string(o, NP_OPT_USERNAME, cc->username);
	if (rc == NP_OK)
		rc = np_options_set_string(o, NP_OPT_PASSWORD, cc->password);
	if (rc == NP_OK)
		rc = np_options_set_string(o, NP_OPT_CAFILE, cc->cafile);
	if (rc == NP_OK)
		rc = np_options_set_string(o, NP_OPT_OUTBOX_DIR, cc->outbox_dir);
	if (rc == NP_OK)
		rc = np_options_set_string(o, NP_OPT_STATE_DIR, cc->state_dir);
	if (rc == NP_OK)
		rc = np_client_new(&cl->c, o, detail, sizeof(detail));
	np_options_free(o);
	if (rc == NP_OK)
		return EX_OK;
	fprintf(stderr, "%s: %s%s\n", cl->prog->name, detail[0] != '\0' ? detail : np_strerror(rc),
		rc == NP_ERR_INVAL && cc->password == NULL
		? ": give -P PASS or set NP_PASSWORD for the first run" : "");
	return rc == NP_ERR_INVAL ? EX_USAGE : EX_FAILED;
}

int
cli_open(struct cli *cl, bool may_queue)
{
	char hint[400];
	int rc;

	cl->publisher = may_queue;
	np_lib_init();
	rc = new_client(cl);
	if (rc != EX_OK)
		return rc;
	np_client_on_outcome(cl->c, on_outcome, cl);
	rc = np_client_connect(cl->c, CONNECT_MS);
	if (rc == NP_OK)
		return EX_OK;
	if (may_queue && cl->outbox[0] != '\0'
	    && (rc == NP_ERR_UNREACHABLE || rc == NP_ERR_TIMEOUT)) {
		snprintf(hint, sizeof(hint), "; keeping the message in %s", cl->outbox);
		cli_fail(cl, rc, "cannot reach the hub", hint);
		return EX_OK;
	}
	return say_connect_error(cl, rc, may_queue);
}

void
cli_close(struct cli *cl)
{
	if (cl->c != NULL && !cl->have_own && cl->outbox[0] != '\0'
	    && np_client_connected(cl->c) && np_client_pending(cl->c) > 0)
		(void)np_client_flush(cl->c, CLOSE_MS);
	np_client_free(cl->c);
	cl->c = NULL;
	np_lib_cleanup();
}

static int
say_publish_error(const struct cli *cl, int rc)
{
	switch (rc) {
	case NP_ERR_INVAL:
		fprintf(stderr, "%s: %s\n", cl->prog->name, why(cl, rc));
		return EX_USAGE;
	case NP_ERR_REFUSED:
		fprintf(stderr, "refused: %s\n", why(cl, rc));
		return EX_REFUSED;
	case NP_ERR_NOT_CONNECTED:
		return cli_fail(cl, rc, "not connected to the hub", " (and no --outbox to keep "
				"the message)");
	case NP_ERR_OUTBOX:
		fprintf(stderr, "%s: cannot keep the message in %s: %s\n", cl->prog->name,
			cl->outbox, why(cl, rc));
		return EX_FAILED;
	default:
		return cli_fail(cl, rc, "cannot send to the hub", "");
	}
}

/* After the flush: what became of this run's message. */
static int
say_outcome(const struct cli *cl, int flushed)
{
	const char *dir = cl->outbox;
	char hex[2 * NP_ID_LEN + 1], hint[128];

	np_id_to_hex(cl->own_id, hex);
	if (cl->own_outcome == NP_ACCEPTED) {
		printf("accepted %s\n", hex);
		return EX_OK;
	}
	if (cl->own_outcome == NP_REFUSED) {
		fprintf(stderr, "refused: %s\n", cl->own_reason);
		return EX_REFUSED;
	}
	if (dir[0] != '\0') {
		printf("queued %s in %s (will be sent by the next run with %s)\n", hex, dir,
		       cl->rerun);
		return EX_OK;
	}
	snprintf(hint, sizeof(hint), "; message %s may or may not have arrived", hex);
	if (flushed == NP_ERR_TIMEOUT)
		return cli_fail(cl, flushed, "no answer in time from the hub", hint);
	return cli_fail(cl, flushed != NP_OK ? flushed : NP_ERR_PROTOCOL,
			"lost the link to the hub", hint);
}

static int
publish_and_wait(struct cli *cl, cli_publish_fn fn, void *ctx)
{
	int rc;

	rc = fn(cl->c, ctx, cl->own_id);
	if (rc != NP_OK)
		return say_publish_error(cl, rc);
	cl->have_own = true;
	/* Not connected (hub down, --outbox): it is in the outbox; say so now. */
	rc = np_client_flush(cl->c, np_client_connected(cl->c) ? FLUSH_MS : 0);
	return say_outcome(cl, rc);
}

int
cli_publish_one(struct cli *cl, cli_publish_fn fn, void *ctx)
{
	int rc;

	rc = cli_open(cl, true);
	if (rc == EX_OK)
		rc = publish_and_wait(cl, fn, ctx);
	cli_close(cl);
	return rc;
}
