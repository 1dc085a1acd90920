/* np-announce.c - np-announce: an official, agency, operator or volunteer
 * announces something to an area (np/ann/AREA/CATEGORY): weather, farming,
 * health, trade, training... The connection, outbox and outcome are common.c's. */
#include <stdio.h>

#include "common.h"

enum { OPT_AREA = CLI_OPT_FIRST, OPT_CATEGORY, OPT_TITLE, OPT_BODY };

struct announcement {
	const char *area, *category, *title, *body;
};

static const struct option opts[] = {
	{ "area", required_argument, NULL, OPT_AREA },
	{ "category", required_argument, NULL, OPT_CATEGORY },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "body", required_argument, NULL, OPT_BODY },
	{ NULL, 0, NULL, 0 },
};

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct announcement *a = ctx;

	(void)p;
	switch (val) {
	case OPT_AREA: a->area = arg; break;
	case OPT_CATEGORY: a->category = arg; break;
	case OPT_TITLE: a->title = arg; break;
	case OPT_BODY: a->body = arg; break;
	}
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-announce",
	"--area A --category C --title T [--body B]",
	"Announces to area A and prints the announcement's id.",
	"  --area A          TH (the nation), a province (2 digits), a district (4)\n"
	"                    or a village (8), e.g. 50\n"
	"  --category C      weather, agriculture, health, commerce, education, event,\n"
	"                    network, emergency or general\n"
	"  --title T         a short title\n"
	"  --body B          the text (optional)\n",
	opts,
	on_opt,
};

static int
check(const struct cli *cl, int argc, char **argv, const struct announcement *a)
{
	static const char *const categories[] = { "weather", "agriculture", "health",
		"commerce", "education", "event", "network", "emergency", "general", NULL };

	if (a->area == NULL)
		return cli_missing(&prog, "--area");
	if (!cli_is_area(a->area))
		return cli_usage(&prog, "--area wants TH or a code of 2, 4 or 8 digits, not '%s'",
				 a->area);
	if (a->category == NULL)
		return cli_missing(&prog, "--category");
	if (cli_word(&prog, "--category", a->category, categories) != EX_OK)
		return EX_USAGE;
	if (a->title == NULL || a->title[0] == '\0')
		return cli_missing(&prog, "--title");
	return cli_no_operands(cl, argc, argv);
}

static int
publish(struct np_client *c, void *ctx, uint8_t id_out[NP_ID_LEN])
{
	const struct announcement *a = ctx;

	return np_announce(c, a->area, a->category, a->title, a->body != NULL ? a->body : "",
			   id_out);
}

int
main(int argc, char **argv)
{
	struct announcement a = { NULL, NULL, NULL, NULL };
	struct cli cl;
	int rc;

	rc = cli_parse(&cl, &prog, &a, argc, argv);
	if (rc != CLI_GO_ON)
		return rc;
	rc = check(&cl, argc, argv, &a);
	if (rc != EX_OK)
		return rc;
	return cli_publish_one(&cl, publish, &a);
}
