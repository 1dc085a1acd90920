/* np-ack.c - np-ack: an official or operator acknowledges a village's report
 * and tells its progress (np/rep/P/D/V/ack): received, in progress, resolved
 * or rejected; an official assigns it (assigned --assignee USER) to the
 * operator or agency who must act, which may then ack it too. The
 * connection, outbox and outcome are common.c's. */
#include <stdio.h>
#include <string.h>

#include "common.h"

enum { OPT_VILLAGE = CLI_OPT_FIRST, OPT_REPORT, OPT_STATE, OPT_NOTE, OPT_ASSIGNEE };

struct ack {
	const char *village, *report, *state_name, *note, *assignee;
	uint8_t report_id[NP_ID_LEN];
	enum np_ack_state state;
};

static const struct option opts[] = {
	{ "village", required_argument, NULL, OPT_VILLAGE },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "assignee", required_argument, NULL, OPT_ASSIGNEE },
	{ NULL, 0, NULL, 0 },
};

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct ack *a = ctx;

	(void)p;
	switch (val) {
	case OPT_VILLAGE: a->village = arg; break;
	case OPT_REPORT: a->report = arg; break;
	case OPT_STATE: a->state_name = arg; break;
	case OPT_NOTE: a->note = arg; break;
	case OPT_ASSIGNEE: a->assignee = arg; break;
	}
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-ack",
	"--village V --report ID --state STATE [--note N] [--assignee USER]",
	"Acknowledges report ID of village V with its state and prints the ack's id.",
	"  --village V       the reporting village's 8-digit code, e.g. 50010101\n"
	"  --report ID       the report's id: 32 hex digits, as np-report or np-feed print it\n"
	"  --state STATE     received, in_progress, resolved, rejected or assigned\n"
	"  --note N          a word to the village (optional; reopening a resolved or\n"
	"                    rejected case needs one)\n"
	"  --assignee USER   with --state assigned (officials): the operator or agency\n"
	"                    whose scope covers the village and who must act\n",
	opts,
	on_opt,
};

/* The report id and the state, parsed into a->report_id and a->state. */
static int
check_report(struct ack *a)
{
	static const char *const states[] = { "received", "in_progress", "resolved", "rejected",
		"assigned", NULL };

	if (a->report == NULL)
		return cli_missing(&prog, "--report");
	if (np_id_from_hex(a->report, a->report_id) != NP_OK)
		return cli_usage(&prog, "--report wants 32 hex digits, not '%s'", a->report);
	if (a->state_name == NULL)
		return cli_missing(&prog, "--state");
	if (cli_word(&prog, "--state", a->state_name, states) != EX_OK)
		return EX_USAGE;
	if (np_ack_state_parse(a->state_name, &a->state) != NP_OK
	    || a->state == NP_ACK_UNSPECIFIED)
		return cli_usage(&prog, "the library does not know --state %s", a->state_name);
	if (a->state == NP_ACK_ASSIGNED && (a->assignee == NULL || a->assignee[0] == '\0'))
		return cli_missing(&prog, "--assignee (with --state assigned)");
	if (a->state != NP_ACK_ASSIGNED && a->assignee != NULL)
		return cli_usage(&prog, "--assignee goes with --state assigned only");
	return EX_OK;
}

static int
check(const struct cli *cl, int argc, char **argv, struct ack *a)
{
	int rc;

	if (a->village == NULL)
		return cli_missing(&prog, "--village");
	if (!cli_is_village(a->village))
		return cli_usage(&prog, "--village wants an 8-digit village code, not '%s'",
				 a->village);
	rc = check_report(a);
	if (rc != EX_OK)
		return rc;
	return cli_no_operands(cl, argc, argv);
}

static int
publish(struct np_client *c, void *ctx, uint8_t id_out[NP_ID_LEN])
{
	const struct ack *a = ctx;
	struct np_ack k = NP_ACK_INIT;

	k.village = a->village;
	k.report_id = a->report_id;
	k.state = a->state;
	k.note = a->note != NULL ? a->note : "";
	k.assignee = a->assignee;
	return np_ack_ex(c, &k, id_out);
}

int
main(int argc, char **argv)
{
	struct ack a;
	struct cli cl;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = cli_parse(&cl, &prog, &a, argc, argv);
	if (rc != CLI_GO_ON)
		return rc;
	rc = check(&cl, argc, argv, &a);
	if (rc != EX_OK)
		return rc;
	return cli_publish_one(&cl, publish, &a);
}
