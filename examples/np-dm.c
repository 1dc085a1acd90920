/* np-dm.c - np-dm: sends a direct message to a village's inbox or to an
 * official (np/dm/ADDRESS) and says what the hub made of it.
 *
 * Written against np_client.h alone, as a template for an app: options in,
 * np_client_new, np_client_connect, np_dm, np_client_flush until the outcome
 * callback has spoken, np_client_free. Its options, messages and exit statuses
 * are those of every np-* program (see --help); the other programs share
 * this code through examples/common.c. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_client.h"

#define PROG "np-dm"
#define CONNECT_MS 5000         /* wait for the hub's answer to the login */
#define FLUSH_MS 10000          /* wait for the outcome of the message */
#define CLOSE_MS 2000           /* at the end, for what the outbox resent */

enum { EX_OK = 0, EX_REFUSED = 1, EX_USAGE = 2, EX_FAILED = 3 };
enum { OPT_TO = 256, OPT_OUTBOX = 0x1000, OPT_CAFILE, OPT_HELP, OPT_STATE };

/* One run: the arguments, the client, and what became of our message. */
struct run {
	const char *host, *user, *password, *cafile, *outbox, *state, *to, *text;
	int port;                       /* 0: the library's default */
	char addr[300];                 /* "host:port", for messages */
	char box[300];                  /* the outbox, for messages; "" when none */
	char rerun[300];                /* the option a later run sends it with */
	struct np_client *c;
	bool have_id;
	uint8_t id[NP_ID_LEN];
	int outcome;                    /* enum np_outcome, or -1 while none */
	char reason[512];
};

static const char help[] =
	"usage: np-dm [CONNECTION OPTIONS] --to ADDRESS TEXT\n"
	"Sends TEXT (one argument: quote it) to ADDRESS and prints the message's id.\n"
	"\n"
	"  --to ADDRESS      a village's 8-digit code (its volunteer's inbox) or an\n"
	"                    official's username\n"
	"\n"
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

/* ---- arguments ---- */

static int
usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", PROG);
	return EX_USAGE;
}

/* A village code, or a username: an ASCII letter, then letters, digits,
 * '.', '_' or '-', at most 64 bytes (the hub's rule). */
static bool
is_address(const char *s)
{
	static const char digits[] = "0123456789";
	static const char word[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789._-";
	size_t n = strlen(s);

	if (n == 8 && strspn(s, digits) == 8)
		return true;
	if (n == 0 || n > 64 || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	return strspn(s, word) == n;
}

static int
port_of(struct run *r, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < 1 || v > 65535)
		return usage("-p wants a whole number from 1 to 65535, not '%s'", arg);
	r->port = (int)v;
	return EX_OK;
}

/* One option from getopt_long; text is the argv word it came from. -1: go on. */
static int
one_option(struct run *r, int val, const char *text)
{
	switch (val) {
	case 'h': r->host = optarg; return -1;
	case 'u': r->user = optarg; return -1;
	case 'P': r->password = optarg; return -1;
	case 'p': return port_of(r, optarg) == EX_OK ? -1 : EX_USAGE;
	case OPT_OUTBOX: r->outbox = optarg; return -1;
	case OPT_CAFILE: r->cafile = optarg; return -1;
	case OPT_STATE: r->state = optarg; return -1;
	case OPT_TO: r->to = optarg; return -1;
	case OPT_HELP: fputs(help, stdout); return EX_OK;
	case ':':
		return usage("option '%s' needs a value%s", text,
			     strcmp(text, "-h") == 0 ? " (-h is HOST; for help: --help)" : "");
	default:
		if (optopt >= OPT_TO)
			return usage("option '%s' takes no value", text);
		if (optopt > 0 && text[0] == '-' && text[1] != '-')
			return usage("unknown option '-%c' (for help: --help)", optopt);
		return usage("unknown option '%s'", text);
	}
}

/* What must hold after the options: user, password, address and one TEXT. */
static int
check(struct run *r, int argc, char **argv)
{
	const char *host = r->host != NULL ? r->host : "127.0.0.1";
	int port = r->port > 0 ? r->port : r->cafile != NULL ? 8883 : 1883;

	if (r->password == NULL)
		r->password = getenv("NP_PASSWORD");
	if (r->user == NULL || r->user[0] == '\0')
		return usage("-u USER is required");
	/* with --state the library says whether it holds a token instead */
	if (r->password == NULL && r->state == NULL)
		return usage("no password: give -P PASS or set NP_PASSWORD");
	if (r->outbox != NULL || r->state != NULL) {    /* the library's outbox is in --state */
		snprintf(r->box, sizeof(r->box), r->outbox ? "%s" : "the outbox in %s",
			 r->outbox ? r->outbox : r->state);
		snprintf(r->rerun, sizeof(r->rerun), "--%s %s", r->outbox ? "outbox" : "state",
			 r->outbox ? r->outbox : r->state);
	}
	snprintf(r->addr, sizeof(r->addr), strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d",
		 host, port);
	if (r->to == NULL)
		return usage("--to is required");
	if (!is_address(r->to))
		return usage("--to wants a village code or a username, not '%s'", r->to);
	if (optind >= argc || argv[optind][0] == '\0')
		return usage("TEXT is required");
	if (optind + 1 < argc)
		return usage("TEXT is one argument (quote it); unexpected '%s'", argv[optind + 1]);
	r->text = argv[optind];
	return -1;
}

static int
parse(struct run *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "outbox", required_argument, NULL, OPT_OUTBOX },
		{ "cafile", required_argument, NULL, OPT_CAFILE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "to", required_argument, NULL, OPT_TO },
		{ NULL, 0, NULL, 0 },
	};
	int val, rc = -1;

	opterr = 0;
	while (rc < 0 && (val = getopt_long(argc, argv, ":h:p:u:P:", opts, NULL)) != -1)
		rc = one_option(r, val, argv[optind - 1]);
	return rc < 0 ? check(r, argc, argv) : rc;
}

/* ---- the hub ---- */

/* The library's detail of the last error, or the sentence for rc. */
static const char *
why(const struct run *r, int rc)
{
	const char *detail = r->c != NULL ? np_client_last_error(r->c) : "";

	return detail[0] != '\0' ? detail : np_strerror(rc);
}

/* "np-dm: WHAT at ADDR: DETAIL HINT", or "np-dm: DETAIL HINT" when the
 * detail names the hub already. */
static int
fail(const struct run *r, int rc, const char *what, const char *hint)
{
	const char *detail = why(r, rc);

	if (strstr(detail, r->addr) != NULL)
		fprintf(stderr, "%s: %s%s\n", PROG, detail, hint);
	else
		fprintf(stderr, "%s: %s at %s: %s%s\n", PROG, what, r->addr, detail, hint);
	return EX_FAILED;
}

/* Our message's outcome is kept for the end; those of messages resent from
 * the outbox (earlier runs') are said at once. */
static void
on_outcome(void *ctx, const uint8_t id[NP_ID_LEN], enum np_outcome outcome, const char *reason)
{
	struct run *r = ctx;
	const char *dir = r->box[0] != '\0' ? r->box : "the outbox";
	char hex[2 * NP_ID_LEN + 1];

	if (reason == NULL || reason[0] == '\0')
		reason = "(no reason given)";
	if (r->have_id && memcmp(id, r->id, NP_ID_LEN) == 0) {
		r->outcome = (int)outcome;
		snprintf(r->reason, sizeof(r->reason), "%s", reason);
		return;
	}
	np_id_to_hex(id, hex);
	if (outcome == NP_ACCEPTED)
		printf("accepted %s (an earlier message, sent from %s)\n", hex, dir);
	else if (outcome == NP_REFUSED)
		fprintf(stderr, "refused: %s (%s, an earlier message from %s)\n", reason, hex, dir);
	else
		printf("queued %s in %s (will be sent by the next run with %s)\n", hex, dir,
		       r->rerun);
	fflush(stdout);
}

static int
new_client(struct run *r)
{
	struct np_options *o = np_options_new();
	char detail[512];
	int rc = o != NULL ? NP_OK : NP_ERR_NOMEM;

	if (rc == NP_OK && r->host != NULL)
		rc = np_options_set_string(o, NP_OPT_HOST, r->host);
	if (rc == NP_OK && r->port > 0)
		rc = np_options_set_int(o, NP_OPT_PORT, r->port);
	if (rc == NP_OK)
		rc = np_options_set_string(o, NP_OPT_USERNAME, r->user);
	if (rc == NP_OK)
		rc = np_options_set_string(o, NP_OPT_PASSWORD, r->password);
	if (rc == NP_OK)
		rc = np_options_set_string(o, NP_OPT_CAFILE, r->cafile);
	if (rc == NP_OK)
		rc = np_options_set_string(o, NP_OPT_OUTBOX_DIR, r->outbox);
	if (rc == NP_OK)
		rc = np_options_set_string(o, NP_OPT_STATE_DIR, r->state);
	if (rc == NP_OK)
		rc = np_client_new(&r->c, o, detail, sizeof(detail));
	else
		snprintf(detail, sizeof(detail), "%s", np_strerror(rc));
	np_options_free(o);
	if (rc == NP_OK) {
		np_client_on_outcome(r->c, on_outcome, r);
		return EX_OK;
	}
	fprintf(stderr, "%s: %s%s\n", PROG, detail[0] != '\0' ? detail : np_strerror(rc),
		rc == NP_ERR_INVAL && r->password == NULL
		? ": give -P PASS or set NP_PASSWORD for the first run" : "");
	return rc == NP_ERR_INVAL ? EX_USAGE : EX_FAILED;
}

/* Connects; with --outbox a hub that cannot be reached is no error. */
static int
connect_hub(struct run *r)
{
	char hint[400];
	int rc = np_client_connect(r->c, CONNECT_MS);

	if (rc == NP_OK)
		return EX_OK;
	if (rc == NP_ERR_AUTH && r->password == NULL) {
		fprintf(stderr, "%s: the hub at %s refused the saved token of '%s' (now deleted from "
			"%s): give -P PASS or set NP_PASSWORD to log in again\n", PROG, r->addr,
			r->user, r->state);
		return EX_FAILED;
	}
	if (rc == NP_ERR_AUTH) {
		fprintf(stderr, "%s: the hub at %s refused the login of '%s': wrong username or "
			"password\n", PROG, r->addr, r->user);
		return EX_FAILED;
	}
	if (rc == NP_ERR_TLS)
		return fail(r, rc, "TLS failed with the hub", " (check --cafile)");
	if (rc != NP_ERR_UNREACHABLE && rc != NP_ERR_TIMEOUT)
		return fail(r, rc, "cannot connect to the hub", "");
	if (r->box[0] == '\0')
		return fail(r, rc, "cannot reach the hub",
			    " (with --outbox DIR a message is kept and sent later)");
	snprintf(hint, sizeof(hint), "; keeping the message in %s", r->box);
	fail(r, rc, "cannot reach the hub", hint);
	return EX_OK;
}

static int
say_send_error(const struct run *r, int rc)
{
	switch (rc) {
	case NP_ERR_INVAL:
		fprintf(stderr, "%s: %s\n", PROG, why(r, rc));
		return EX_USAGE;
	case NP_ERR_REFUSED:
		fprintf(stderr, "refused: %s\n", why(r, rc));
		return EX_REFUSED;
	case NP_ERR_NOT_CONNECTED:
		return fail(r, rc, "not connected to the hub", " (and no --outbox to keep the "
			    "message)");
	case NP_ERR_OUTBOX:
		fprintf(stderr, "%s: cannot keep the message in %s: %s\n", PROG, r->box,
			why(r, rc));
		return EX_FAILED;
	default:
		return fail(r, rc, "cannot send to the hub", "");
	}
}

/* Sends the message, waits for its outcome and says it. */
static int
send_dm(struct run *r)
{
	char hex[2 * NP_ID_LEN + 1], hint[128];
	int rc = np_dm(r->c, r->to, r->text, r->id);

	if (rc != NP_OK)
		return say_send_error(r, rc);
	r->have_id = true;
	/* not connected (hub down, --outbox): it is in the outbox; say so now */
	rc = np_client_flush(r->c, np_client_connected(r->c) ? FLUSH_MS : 0);
	np_id_to_hex(r->id, hex);
	if (r->outcome == NP_ACCEPTED) {
		printf("accepted %s\n", hex);
		return EX_OK;
	}
	if (r->outcome == NP_REFUSED) {
		fprintf(stderr, "refused: %s\n", r->reason);
		return EX_REFUSED;
	}
	if (r->box[0] != '\0') {
		printf("queued %s in %s (will be sent by the next run with %s)\n", hex, r->box,
		       r->rerun);
		return EX_OK;
	}
	snprintf(hint, sizeof(hint), "; message %s may or may not have arrived", hex);
	if (rc == NP_ERR_TIMEOUT)
		return fail(r, rc, "no answer in time from the hub", hint);
	return fail(r, rc != NP_OK ? rc : NP_ERR_PROTOCOL, "lost the link to the hub", hint);
}

/* Waits a little for the outcomes of what the outbox resent when our own
 * message was not sent (send_dm waited already otherwise), then frees. */
static void
close_client(struct run *r)
{
	if (r->c != NULL && !r->have_id && r->box[0] != '\0' && np_client_connected(r->c)
	    && np_client_pending(r->c) > 0)
		(void)np_client_flush(r->c, CLOSE_MS);
	np_client_free(r->c);
	r->c = NULL;
}

int
main(int argc, char **argv)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.outcome = -1;
	rc = parse(&r, argc, argv);
	if (rc >= 0)
		return rc;
	np_lib_init();
	rc = new_client(&r);
	if (rc == EX_OK)
		rc = connect_hub(&r);
	if (rc == EX_OK)
		rc = send_dm(&r);
	close_client(&r);
	np_lib_cleanup();
	return rc;
}
