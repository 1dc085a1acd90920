/* np-ack.c - np-ack: an official or operator acknowledges a village's report
 * and tells its progress (np/rep/P/D/V/ack): received, in progress, resolved
 * or rejected. The connection, outbox and outcome are common.c's. */
#include <stdio.h>
#include <string.h>

#include "common.h"

enum { OPT_VILLAGE = CLI_OPT_FIRST, OPT_REPORT, OPT_STATE, OPT_NOTE };

struct ack {
	const char *village, *report, *state_name, *note;
	uint8_t report_id[NP_ID_LEN];
	enum np_ack_state state;
};

static const struct option opts[] = {
	{ "village", required_argument, NULL, OPT_VILLAGE },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "note", required_argument, NULL, OPT_NOTE },
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
	}
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-ack",
	"--village V --report ID --state STATE [--note N]",
	"Acknowledges report ID of village V with its state and prints the ack's id.",
	"  --village V       the reporting village's 8-digit code, e.g. 50010101\n"
	"  --report ID       the report's id: 32 hex digits, as np-report or np-feed print it\n"
	"  --state STATE     received, in_progress, resolved or rejected\n"
	"  --note N          a word to the village (optional)\n",
	opts,
	on_opt,
};

/* The report id and the state, parsed into a->report_id and a->state. */
static int
check_report(struct ack *a)
{
	static const char *const states[] = { "received", "in_progress", "resolved", "rejected",
		NULL };

	if (a->report == NULL)
		return cli_missing(&prog, "--report");
	if (strlen(a->report) != 2 * NP_ID_LEN
	    || strspn(a->report, "0123456789abcdefABCDEF") != 2 * NP_ID_LEN
	    || np_id_from_hex(a->report, a->report_id) != NP_OK)
		return cli_usage(&prog, "--report wants 32 hex digits, not '%s'", a->report);
	if (a->state_name == NULL)
		return cli_missing(&prog, "--state");
	if (cli_word(&prog, "--state", a->state_name, states) != EX_OK)
		return EX_USAGE;
	if (np_ack_state_parse(a->state_name, &a->state) != NP_OK
	    || a->state == NP_ACK_UNSPECIFIED)
		return cli_usage(&prog, "the library does not know --state %s", a->state_name);
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

	return np_ack(c, a->village, a->report_id, a->state, a->note != NULL ? a->note : "",
		      id_out);
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
