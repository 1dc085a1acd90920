/* np-history.c - np-history: asks the hub for the kept messages that match a
 * filter in a time range and prints them, oldest first; np_history() pages
 * through the whole result, this program only prints and counts. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "print.h"

#define PAGE_MS 10000           /* how long one page may take */

enum { OPT_FILTER = CLI_OPT_FIRST, OPT_SINCE, OPT_UNTIL, OPT_LIMIT, OPT_JSON, OPT_PHOTO_DIR };

struct hist {
	const char *filter;
	long long since, until; /* received_at_ms range; 0: unbounded */
	long long limit;        /* print at most this many; 0: all */
	bool json;
	long long seen;
	const char *photo_dir;  /* write photos here; NULL: not */
	bool photo_failed;      /* a photo could not be written */
};

static const struct option opts[] = {
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "photo-dir", required_argument, NULL, OPT_PHOTO_DIR },
	{ NULL, 0, NULL, 0 },
};

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct hist *h = ctx;

	switch (val) {
	case OPT_FILTER: h->filter = arg; return EX_OK;
	case OPT_SINCE: return cli_int(p, "--since", arg, 0, LLONG_MAX, &h->since);
	case OPT_UNTIL: return cli_int(p, "--until", arg, 0, LLONG_MAX, &h->until);
	case OPT_LIMIT: return cli_int(p, "--limit", arg, 1, LLONG_MAX, &h->limit);
	case OPT_JSON: h->json = true; return EX_OK;
	case OPT_PHOTO_DIR: h->photo_dir = arg; return EX_OK;
	}
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-history",
	"--filter F [--since MS] [--until MS] [--limit N] [--json] [--photo-dir DIR]",
	"Prints the kept messages matching filter F that you may read, oldest first.",
	"  --filter F        a topic filter under np/, e.g. 'np/rep/50/#'\n"
	"  --since MS        only messages the hub received at or after MS\n"
	"                    (milliseconds since 1970)\n"
	"  --until MS        only messages the hub received before MS\n"
	"  --limit N         print at most N messages\n"
	"  --json            one JSON object per message (topic, id, sender, times, body)\n"
	"  --photo-dir DIR   write each photo to DIR/<id>.jpg, .png or .webp (DIR is\n"
	"                    made if missing)\n",
	opts,
	on_opt,
};

static int
check(const struct cli *cl, int argc, char **argv, const struct hist *h)
{
	if (h->filter == NULL)
		return cli_missing(&prog, "--filter");
	if (strncmp(h->filter, "np/", 3) != 0)
		return cli_usage(&prog, "--filter wants a filter under np/, not '%s'", h->filter);
	if (h->since != 0 && h->until != 0 && h->since >= h->until)
		return cli_usage(&prog, "--since %lld is not before --until %lld", h->since,
				 h->until);
	if (h->photo_dir != NULL && cli_photo_dir(prog.name, h->photo_dir) != 0)
		return EX_USAGE;
	return cli_no_operands(cl, argc, argv);
}

static void
on_msg(void *ctx, const struct np_msg *m)
{
	struct hist *h = ctx;

	if (h->limit != 0 && h->seen >= h->limit)
		return;
	cli_print_msg(m, h->json);
	if (cli_save_photo(prog.name, m, h->photo_dir) != 0)
		h->photo_failed = true;
	h->seen++;
}

static int
fetch(struct cli *cl, struct hist *h)
{
	struct np_history_query q;
	char hint[64];
	int rc;

	memset(&q, 0, sizeof(q));
	q.filter = h->filter;
	q.since_ms = h->since;
	q.until_ms = h->until;
	q.max = (size_t)h->limit;
	rc = np_history(cl->c, &q, on_msg, h, PAGE_MS);
	if (rc == NP_OK)
		return h->photo_failed ? EX_FAILED : EX_OK;
	if (rc == NP_ERR_HISTORY || rc == NP_ERR_REFUSED) {
		fprintf(stderr, "refused: history of '%s': %s\n", h->filter,
			np_client_last_error(cl->c));
		return EX_REFUSED;
	}
	snprintf(hint, sizeof(hint), " (stopped after %lld messages)", h->seen);
	return cli_fail(cl, rc, "cannot page through the history on the hub", hint);
}

int
main(int argc, char **argv)
{
	struct hist h;
	struct cli cl;
	int rc;

	memset(&h, 0, sizeof(h));
	rc = cli_parse(&cl, &prog, &h, argc, argv);
	if (rc != CLI_GO_ON)
		return rc;
	rc = check(&cl, argc, argv, &h);
	if (rc != EX_OK)
		return rc;
	rc = cli_open(&cl, false);
	if (rc == EX_OK)
		rc = fetch(&cl, &h);
	cli_close(&cl);
	return rc;
}
