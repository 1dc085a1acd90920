/* np-cases.c - np-cases: the report cases a user may read (DESIGN.md "Report
 * cases"): each report followed from the village to its resolution - its
 * state (open until the first ack), assignee, time to first ack and to
 * resolution, and whether it is past its kind's target (np-admin case
 * targets). --stats summarises by province, kind and month. np_cases()
 * pages through the hub's answer by itself; this program prints. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"

#define PAGE_MS 10000           /* how long one page may take */
#define MAX_KINDS 4
#define MAX_STATES 6

enum { OPT_OPEN = CLI_OPT_FIRST, OPT_OVERDUE, OPT_AREA, OPT_KIND, OPT_STATE, OPT_OLDEST,
       OPT_JSON, OPT_STATS, OPT_MAX };

struct run {
	struct np_case_query q;
	const char *kinds[MAX_KINDS];
	enum np_ack_state states[MAX_STATES];
	bool open, json, stats;
	size_t n;
};

static const struct option opts[] = {
	{ "open", no_argument, NULL, OPT_OPEN },
	{ "overdue", no_argument, NULL, OPT_OVERDUE },
	{ "area", required_argument, NULL, OPT_AREA },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "oldest", no_argument, NULL, OPT_OLDEST },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "max", required_argument, NULL, OPT_MAX },
	{ NULL, 0, NULL, 0 },
};

static const char *const kind_words[] = { "outage", "need", "incident", "feedback", NULL };
static const char *const state_words[] = { "open", "received", "in_progress", "resolved",
					   "rejected", "assigned", NULL };

/* A case state's word: "open" for NP_ACK_UNSPECIFIED. */
static const char *
state_word(enum np_ack_state s)
{
	return (unsigned)s < MAX_STATES ? state_words[s] : "unknown";
}

static int
add_state(const struct cli_prog *p, struct run *r, const char *arg)
{
	int i;

	if (cli_word(p, "--state", arg, state_words) != EX_OK)
		return EX_USAGE;
	if (r->q.n_states == MAX_STATES)
		return cli_usage(p, "at most %d --state", MAX_STATES);
	for (i = 0; strcmp(state_words[i], arg) != 0; i++)
		;
	r->states[r->q.n_states++] = (enum np_ack_state)i;
	return EX_OK;
}

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct run *r = ctx;
	long long n;

	switch (val) {
	case OPT_OPEN: r->open = true; break;
	case OPT_OVERDUE: r->q.overdue_only = true; break;
	case OPT_OLDEST: r->q.oldest_first = true; break;
	case OPT_JSON: r->json = true; break;
	case OPT_STATS: r->stats = true; break;
	case OPT_AREA:
		if (!cli_is_area(arg))
			return cli_usage(p, "--area wants TH or a 2, 4 or 8-digit code, not '%s'",
					 arg);
		r->q.area = arg;
		break;
	case OPT_KIND:
		if (cli_word(p, "--kind", arg, kind_words) != EX_OK)
			return EX_USAGE;
		if (r->q.n_kinds == MAX_KINDS)
			return cli_usage(p, "at most %d --kind", MAX_KINDS);
		r->kinds[r->q.n_kinds++] = arg;
		break;
	case OPT_STATE:
		return add_state(p, r, arg);
	case OPT_MAX:
		if (cli_int(p, "--max", arg, 1, 100000000, &n) != EX_OK)
			return EX_USAGE;
		r->q.max = (size_t)n;
		break;
	}
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-cases",
	"[--open] [--overdue] [--area A] [--kind K]... [--state S]... [--oldest] [--max N]\n"
	"       [--json] | --stats [--area A] [--kind K]... [--json]",
	"Lists the report cases this user may read, newest report first: state,\n"
	"assignee, time to first ack and to resolution, and overdue flags. --stats\n"
	"counts them by province, kind and month, with the median and 90th percentile\n"
	"time to first ack and to resolution.",
	"  --open            only cases not resolved or rejected\n"
	"  --overdue         only cases past a target of their kind (np-admin case targets)\n"
	"  --area A          TH, a province, district or village (default: your scope)\n"
	"  --kind K          outage, need, incident or feedback (repeatable; default all)\n"
	"  --state S         open, received, assigned, in_progress, resolved, rejected\n"
	"                    (repeatable; default all)\n"
	"  --oldest          oldest report first\n"
	"  --max N           at most N cases\n"
	"  --json            one JSON object per case a line (--stats: one object)\n"
	"  --stats           the summary instead of the list\n",
	opts,
	on_opt,
};

/* ms as "850ms", "42s", "4m05s", "3h20m", "2d04h"; "-" for a negative (none). */
static const char *
dur(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%" PRId64 "ms", ms);
	else if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
	return buf;
}

static const char *
utc(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

static const char *
overdue_word(const struct np_case *k)
{
	if (k->ack_overdue && k->resolve_overdue)
		return "ack,resolve";
	return k->ack_overdue ? "ack" : k->resolve_overdue ? "resolve" : "-";
}

static void
print_json(const struct np_case *k)
{
	char hex[2 * NP_ID_LEN + 1], ack[2 * NP_ID_LEN + 1];
	json_t *o, *last = json_null();

	np_id_to_hex(k->report->id, hex);
	if (k->last_ack != NULL) {
		np_id_to_hex(k->last_ack->id, ack);
		last = json_pack("{s:s,s:s,s:s,s:s,s:I}", "id", ack, "state",
				 state_word(k->last_ack->u.ack.state), "note",
				 k->last_ack->u.ack.note ? k->last_ack->u.ack.note : "", "by",
				 k->last_ack->sender.username ? k->last_ack->sender.username : "",
				 "at_ms", (json_int_t)k->last_ack->received_at_ms);
	}
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:b,s:b,s:o}", "id", hex,
		      "topic", k->report->topic, "village", k->village, "kind", k->kind, "state",
		      state_word(k->state), "assignee", k->assignee ? k->assignee : "", "title",
		      k->report->u.report.title ? k->report->u.report.title : "", "reporter",
		      k->report->sender.username ? k->report->sender.username : "",
		      "reported_at_ms", (json_int_t)k->report->received_at_ms, "first_ack_at_ms",
		      (json_int_t)k->first_ack_at_ms, "resolved_at_ms",
		      (json_int_t)k->resolved_at_ms, "ack_overdue", k->ack_overdue,
		      "resolve_overdue", k->resolve_overdue, "last_ack", last);
	json_dumpf(o, stdout, JSON_COMPACT);
	printf("\n");
	json_decref(o);
}

static void
on_case(void *ctx, const struct np_case *k)
{
	struct run *r = ctx;
	char hex[2 * NP_ID_LEN + 1], when[32], a[24], s[24];
	int64_t at = k->report->received_at_ms;

	if (r->json) {
		print_json(k);
		r->n++;
		return;
	}
	if (r->n++ == 0)
		printf("%-32s %-8s %-8s %-11s %-16s %-20s %-9s %-9s %-11s %s\n", "report",
		       "village", "kind", "state", "assignee", "reported (UTC)", "first ack",
		       "resolved", "overdue", "title");
	np_id_to_hex(k->report->id, hex);
	printf("%-32s %-8s %-8s %-11s %-16s %-20s %-9s %-9s %-11s %s\n", hex, k->village, k->kind,
	       state_word(k->state), k->assignee[0] ? k->assignee : "-", utc(at, when, sizeof(when)),
	       dur(k->first_ack_at_ms ? k->first_ack_at_ms - at : -1, a, sizeof(a)),
	       dur(k->resolved_at_ms ? k->resolved_at_ms - at : -1, s, sizeof(s)), overdue_word(k),
	       k->report->u.report.title ? k->report->u.report.title : "");
}

static void
on_stats(void *ctx, const struct np_case_stats_row *rows, size_t n)
{
	struct run *r = ctx;
	char b[4][24];
	json_t *arr;
	size_t i;

	r->n = n;
	if (r->json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, json_pack(
				"{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "province",
				rows[i].province, "kind", rows[i].kind, "month", rows[i].month,
				"count", (json_int_t)rows[i].count, "acked",
				(json_int_t)rows[i].acked, "resolved", (json_int_t)rows[i].resolved,
				"open", (json_int_t)rows[i].open, "overdue",
				(json_int_t)rows[i].overdue, "ack_p50_ms",
				(json_int_t)rows[i].ack_p50_ms, "ack_p90_ms",
				(json_int_t)rows[i].ack_p90_ms, "resolve_p50_ms",
				(json_int_t)rows[i].resolve_p50_ms, "resolve_p90_ms",
				(json_int_t)rows[i].resolve_p90_ms));
		arr = json_pack("{s:o}", "rows", arr);
		json_dumpf(arr, stdout, JSON_COMPACT);
		printf("\n");
		json_decref(arr);
		return;
	}
	printf("%-8s %-8s %-7s %6s %6s %8s %6s %7s %8s %8s %11s %11s\n", "province", "kind",
	       "month", "count", "acked", "resolved", "open", "overdue", "ack p50", "ack p90",
	       "resolve p50", "resolve p90");
	for (i = 0; i < n; i++)
		printf("%-8s %-8s %-7s %6u %6u %8u %6u %7u %8s %8s %11s %11s\n", rows[i].province,
		       rows[i].kind, rows[i].month, rows[i].count, rows[i].acked, rows[i].resolved,
		       rows[i].open, rows[i].overdue,
		       dur(rows[i].acked ? rows[i].ack_p50_ms : -1, b[0], sizeof(b[0])),
		       dur(rows[i].acked ? rows[i].ack_p90_ms : -1, b[1], sizeof(b[1])),
		       dur(rows[i].resolved ? rows[i].resolve_p50_ms : -1, b[2], sizeof(b[2])),
		       dur(rows[i].resolved ? rows[i].resolve_p90_ms : -1, b[3], sizeof(b[3])));
}

static int
fetch(struct cli *cl, struct run *r)
{
	int rc;

	if (r->stats)
		rc = np_case_stats(cl->c, r->q.area, r->kinds, r->q.n_kinds, 0, 0, on_stats, r,
				   PAGE_MS);
	else
		rc = np_cases(cl->c, &r->q, on_case, r, PAGE_MS);
	if (rc == NP_ERR_CASES) {
		fprintf(stderr, "refused: %s\n", np_client_last_error(cl->c));
		return EX_REFUSED;
	}
	if (rc != NP_OK)
		return cli_fail(cl, rc, "cannot ask the cases on the hub", "");
	if (!r->json && r->n == 0)
		printf("no cases\n");
	fflush(stdout);
	return EX_OK;
}

/* --open: every state but resolved and rejected (unless --state says). */
static int
check(const struct cli *cl, int argc, char **argv, struct run *r)
{
	if (r->open && r->q.n_states > 0)
		return cli_usage(&prog, "--open and --state do not go together");
	if (r->stats && (r->open || r->q.overdue_only || r->q.n_states > 0 || r->q.oldest_first
			 || r->q.max != 0))
		return cli_usage(&prog, "--stats takes only --area, --kind and --json");
	if (r->open) {
		r->states[r->q.n_states++] = NP_ACK_UNSPECIFIED;
		r->states[r->q.n_states++] = NP_ACK_RECEIVED;
		r->states[r->q.n_states++] = NP_ACK_ASSIGNED;
		r->states[r->q.n_states++] = NP_ACK_IN_PROGRESS;
	}
	r->q.kinds = r->kinds;
	r->q.states = r->states;
	return cli_no_operands(cl, argc, argv);
}

int
main(int argc, char **argv)
{
	struct run r;
	struct cli cl;
	int rc;

	memset(&r, 0, sizeof(r));
	r.q.size = sizeof(r.q);
	rc = cli_parse(&cl, &prog, &r, argc, argv);
	if (rc != CLI_GO_ON)
		return rc;
	rc = check(&cl, argc, argv, &r);
	if (rc != EX_OK)
		return rc;
	rc = cli_open(&cl, false);
	if (rc == EX_OK)
		rc = fetch(&cl, &r);
	cli_close(&cl);
	return rc;
}
