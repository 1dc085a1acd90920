/* np-status.c - np-status: the village hub says whether it is online or
 * offline (np/status/P/D/V). The connection, outbox and outcome are common.c's. */
#include <stdio.h>

#include "common.h"

enum { OPT_VILLAGE = CLI_OPT_FIRST, OPT_ONLINE, OPT_OFFLINE };

struct status {
	const char *village;
	int online;             /* -1 until --online or --offline */
	int given;              /* how many of the two were given */
};

static const struct option opts[] = {
	{ "village", required_argument, NULL, OPT_VILLAGE },
	{ "online", no_argument, NULL, OPT_ONLINE },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ NULL, 0, NULL, 0 },
};

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct status *s = ctx;

	(void)p;
	switch (val) {
	case OPT_VILLAGE: s->village = arg; break;
	case OPT_ONLINE: s->online = 1; s->given++; break;
	case OPT_OFFLINE: s->online = 0; s->given++; break;
	}
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-status",
	"--village V --online|--offline",
	"Says that the hub of village V is online or offline; prints the message's id.",
	"  --village V       the village's 8-digit code, e.g. 50010101\n"
	"  --online          the village's link is up\n"
	"  --offline         the village's link is down\n",
	opts,
	on_opt,
};

static int
check(const struct cli *cl, int argc, char **argv, const struct status *s)
{
	if (s->village == NULL)
		return cli_missing(&prog, "--village");
	if (!cli_is_village(s->village))
		return cli_usage(&prog, "--village wants an 8-digit village code, not '%s'",
				 s->village);
	if (s->given != 1)
		return cli_usage(&prog, "give exactly one of --online and --offline");
	return cli_no_operands(cl, argc, argv);
}

static int
publish(struct np_client *c, void *ctx, uint8_t id_out[NP_ID_LEN])
{
	const struct status *s = ctx;

	return np_status(c, s->village, s->online == 1, id_out);
}

int
main(int argc, char **argv)
{
	struct status s = { NULL, -1, 0 };
	struct cli cl;
	int rc;

	rc = cli_parse(&cl, &prog, &s, argc, argv);
	if (rc != CLI_GO_ON)
		return rc;
	rc = check(&cl, argc, argv, &s);
	if (rc != EX_OK)
		return rc;
	return cli_publish_one(&cl, publish, &s);
}
