/* np-feed.c - np-feed: follows topic filters and prints every message that
 * arrives, as text or one JSON object per line, until N messages or S
 * seconds; the library keeps the subscriptions across reconnects. With
 * --state DIR the library keeps a cursor per filter there and a later run
 * starts where this one stopped (np_follow); --since starts a first run
 * earlier (np_follow_since). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "print.h"
#include "when.h"

#define SLICE_MS 200            /* how long one np_client_run() may wait */
#define RECENT 64               /* ids remembered to print a message once */

enum { OPT_JSON = CLI_OPT_FIRST, OPT_COUNT, OPT_TIMEOUT, OPT_SINCE, OPT_PHOTO_DIR };

struct feed {
	bool json;
	const char *photo_dir;  /* write photos here; NULL: not */
	bool photo_failed;      /* a photo could not be written */
	long long max;          /* stop after this many messages; 0: never */
	long long timeout_s;    /* stop after this much run time; 0: never */
	long long seen;
	long long since_ms;     /* NP_FOLLOW_NOW unless --since */
	/* Overlapping filters bring a message once per filter that matches
	 * (and the broker may send it once per subscription): print it once. */
	uint8_t recent[RECENT][NP_ID_LEN];
	unsigned n_recent, next_recent;
};

static const struct option opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "photo-dir", required_argument, NULL, OPT_PHOTO_DIR },
	{ NULL, 0, NULL, 0 },
};

static int
since_arg(const struct cli_prog *p, const char *arg, long long *out)
{
	long long ago;
	char *end;

	errno = 0;
	*out = strtoll(arg, &end, 10);
	if (errno == 0 && end != arg && *end == '\0' && *out >= 0)
		return EX_OK;
	if (arg[0] == '-' && when_duration_ms(arg + 1, when_now_ms(), &ago)) {
		*out = when_now_ms() - ago;     /* -90s, -30m, -2h, -7d: that long ago */
		return EX_OK;
	}
	if (when_iso_ms(arg, false, out))
		return EX_OK;
	return cli_usage(p, "--since wants ms since 1970, a time like 2024-11-30T08:00+07:00 "
			 "or a time ago like -2h (s, m, h, d), not '%s'", arg);
}

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct feed *f = ctx;

	switch (val) {
	case OPT_JSON: f->json = true; return EX_OK;
	case OPT_COUNT: return cli_int(p, "--count", arg, 0, LLONG_MAX, &f->max);
	case OPT_TIMEOUT: return cli_int(p, "--timeout", arg, 0, INT_MAX / 1000, &f->timeout_s);
	case OPT_SINCE: return since_arg(p, arg, &f->since_ms);
	case OPT_PHOTO_DIR: f->photo_dir = arg; return EX_OK;
	}
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-feed",
	"[--json] [--count N] [--timeout S] [--since TIME] [--photo-dir DIR] FILTER...",
	"Follows the topic filters (e.g. 'np/rep/50/#', 'np/ann/TH/+') and prints\n"
	"what arrives, one message per line. With --state DIR it resumes: every\n"
	"message that came while it was stopped (or the link or hub was down) is\n"
	"printed first, in order, none twice, then the live ones.",
	"  --json            one JSON object per message (topic, id, sender, times, body)\n"
	"  --count N         exit after N messages (0: never)\n"
	"  --timeout S       exit after S seconds of run time (0: never)\n"
	"  --since TIME      a first run (no cursor in --state DIR yet) starts at TIME,\n"
	"                    not now: ms since 1970, 2024-11-30T08:00+07:00 (no zone:\n"
	"                    UTC), 2024-11-30, or a time ago: -90s, -30m, -2h, -7d\n"
	"  --state DIR       (see below) also keeps a cursor per FILTER in DIR, so the\n"
	"                    next run resumes where this one stopped\n"
	"  --photo-dir DIR   write each photo to DIR/<id>.jpg, .png or .webp (DIR is\n"
	"                    made if missing)\n",
	opts,
	on_opt,
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether id came lately; remembers it when not. */
static bool
seen_lately(struct feed *f, const uint8_t id[NP_ID_LEN])
{
	unsigned i;

	for (i = 0; i < f->n_recent; i++) {
		if (memcmp(f->recent[i], id, NP_ID_LEN) == 0)
			return true;
	}
	memcpy(f->recent[f->next_recent], id, NP_ID_LEN);
	f->next_recent = (f->next_recent + 1) % RECENT;
	if (f->n_recent < RECENT)
		f->n_recent++;
	return false;
}

static void
on_msg(void *ctx, const struct np_msg *m)
{
	struct feed *f = ctx;

	if ((f->max != 0 && f->seen >= f->max) || seen_lately(f, m->id))
		return;
	cli_print_msg(m, f->json);
	if (cli_save_photo(prog.name, m, f->photo_dir) != 0)
		f->photo_failed = true;
	f->seen++;
}

/* What the library decided by itself (a bad cursor file, a refused catch-up). */
static void
on_notice(void *ctx, const char *text)
{
	(void)ctx;
	fprintf(stderr, "%s: %s\n", prog.name, text);
}

static int
follow_all(struct cli *cl, int argc, char **argv, struct feed *f)
{
	int i, rc;

	np_client_on_notice(cl->c, on_notice, NULL);
	for (i = cl->first_operand; i < argc; i++) {
		rc = np_follow_since(cl->c, argv[i], f->since_ms, on_msg, f);
		if (rc == NP_ERR_REFUSED) {
			fprintf(stderr, "refused: filter '%s': %s\n", argv[i],
				np_client_last_error(cl->c));
			return EX_REFUSED;
		}
		if (rc == NP_ERR_INVAL) {
			fprintf(stderr, "%s: %s\n", prog.name, np_client_last_error(cl->c));
			return EX_USAGE;
		}
		if (rc == NP_ERR_STATE) {
			fprintf(stderr, "%s: cannot keep the feed's cursor in %s: %s\n", prog.name,
				cl->conn.state_dir, np_client_last_error(cl->c));
			return EX_FAILED;
		}
		if (rc != NP_OK)
			return cli_fail(cl, rc, "cannot follow a filter on the hub", "");
	}
	return EX_OK;
}

/* Pumps the network until f->max messages came or the deadline (0: none). */
static int
pump(struct cli *cl, struct feed *f, long long deadline)
{
	bool was_up = true, up;
	long long left;
	int rc;

	while (f->max == 0 || f->seen < f->max) {
		left = deadline != 0 ? deadline - now_ms() : SLICE_MS;
		if (left <= 0)
			break;
		rc = np_client_run(cl->c, (int)(left < SLICE_MS ? left : SLICE_MS));
		if (rc == NP_ERR_AUTH) {
			fprintf(stderr, "%s: the hub at %s refused the login of '%s' when "
				"reconnecting\n", prog.name, cl->addr, cl->conn.username);
			return EX_FAILED;
		}
		up = np_client_connected(cl->c);
		if (up != was_up)
			fprintf(stderr, up ? "%s: the link to %s is back\n"
				: "%s: lost the link to %s; reconnecting\n", prog.name, cl->addr);
		was_up = up;
	}
	return EX_OK;
}

int
main(int argc, char **argv)
{
	struct feed f;
	long long deadline;
	struct cli cl;
	int rc;

	memset(&f, 0, sizeof(f));
	f.since_ms = NP_FOLLOW_NOW;
	deadline = now_ms();
	rc = cli_parse(&cl, &prog, &f, argc, argv);
	if (rc != CLI_GO_ON)
		return rc;
	if (cl.first_operand >= argc)
		return cli_missing(&prog, "a FILTER");
	if (f.photo_dir != NULL && cli_photo_dir(prog.name, f.photo_dir) != 0)
		return EX_USAGE;
	deadline = f.timeout_s != 0 ? deadline + f.timeout_s * 1000 : 0;
	rc = cli_open(&cl, false);
	if (rc == EX_OK)
		rc = follow_all(&cl, argc, argv, &f);
	if (rc == EX_OK)
		rc = pump(&cl, &f, deadline);
	cli_close(&cl);
	return rc == EX_OK && f.photo_failed ? EX_FAILED : rc;
}
