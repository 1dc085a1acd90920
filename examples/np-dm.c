/* np-dm.c - np-dm: sends a direct message to a village's inbox or to an
 * official (np/dm/ADDRESS). The connection, outbox and outcome are common.c's. */
#include <stdio.h>

#include "common.h"

enum { OPT_TO = CLI_OPT_FIRST };

struct dm {
	const char *to, *text;
};

static const struct option opts[] = {
	{ "to", required_argument, NULL, OPT_TO },
	{ NULL, 0, NULL, 0 },
};

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct dm *d = ctx;

	(void)p;
	if (val == OPT_TO)
		d->to = arg;
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-dm",
	"--to ADDRESS TEXT",
	"Sends TEXT (one argument: quote it) to ADDRESS and prints the message's id.",
	"  --to ADDRESS      a village's 8-digit code (its volunteer's inbox) or an\n"
	"                    official's username\n",
	opts,
	on_opt,
};

static int
check(const struct cli *cl, int argc, char **argv, struct dm *d)
{
	if (d->to == NULL)
		return cli_missing(&prog, "--to");
	if (!cli_is_address(d->to))
		return cli_usage(&prog, "--to wants a village code or a username, not '%s'", d->to);
	if (cl->first_operand >= argc || argv[cl->first_operand][0] == '\0')
		return cli_missing(&prog, "TEXT");
	if (cl->first_operand + 1 < argc)
		return cli_usage(&prog, "TEXT is one argument (quote it); unexpected '%s'",
				 argv[cl->first_operand + 1]);
	d->text = argv[cl->first_operand];
	return EX_OK;
}

static int
publish(struct np_client *c, void *ctx, uint8_t id_out[NP_ID_LEN])
{
	const struct dm *d = ctx;

	return np_dm(c, d->to, d->text, id_out);
}

int
main(int argc, char **argv)
{
	struct dm d = { NULL, NULL };
	struct cli cl;
	int rc;

	rc = cli_parse(&cl, &prog, &d, argc, argv);
	if (rc != CLI_GO_ON)
		return rc;
	rc = check(&cl, argc, argv, &d);
	if (rc != EX_OK)
		return rc;
	return cli_publish_one(&cl, publish, &d);
}
