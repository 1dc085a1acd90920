/* np-show.c - np-show: a village volunteer shows the village's products,
 * stories and places (np/show/P/D/V/KIND) to the whole network. The
 * connection, outbox and outcome are common.c's. */
#include <stdio.h>

#include "common.h"

enum { OPT_VILLAGE = CLI_OPT_FIRST, OPT_KIND, OPT_TITLE, OPT_DESCRIPTION };

struct show {
	const char *village, *kind, *title, *description;
};

static const struct option opts[] = {
	{ "village", required_argument, NULL, OPT_VILLAGE },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "description", required_argument, NULL, OPT_DESCRIPTION },
	{ NULL, 0, NULL, 0 },
};

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct show *s = ctx;

	(void)p;
	switch (val) {
	case OPT_VILLAGE: s->village = arg; break;
	case OPT_KIND: s->kind = arg; break;
	case OPT_TITLE: s->title = arg; break;
	case OPT_DESCRIPTION: s->description = arg; break;
	}
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-show",
	"--village V --kind KIND --title T [--description D]",
	"Shows a product, story or place of village V and prints the message's id.",
	"  --village V       the village's 8-digit code, e.g. 50010101\n"
	"  --kind KIND       product, story or place\n"
	"  --title T         a short title\n"
	"  --description D   more words (optional)\n",
	opts,
	on_opt,
};

static int
check(const struct cli *cl, int argc, char **argv, const struct show *s)
{
	static const char *const kinds[] = { "product", "story", "place", NULL };

	if (s->village == NULL)
		return cli_missing(&prog, "--village");
	if (!cli_is_village(s->village))
		return cli_usage(&prog, "--village wants an 8-digit village code, not '%s'",
				 s->village);
	if (s->kind == NULL)
		return cli_missing(&prog, "--kind");
	if (cli_word(&prog, "--kind", s->kind, kinds) != EX_OK)
		return EX_USAGE;
	if (s->title == NULL || s->title[0] == '\0')
		return cli_missing(&prog, "--title");
	return cli_no_operands(cl, argc, argv);
}

static int
publish(struct np_client *c, void *ctx, uint8_t id_out[NP_ID_LEN])
{
	const struct show *s = ctx;

	return np_show(c, s->village, s->kind, s->title,
		       s->description != NULL ? s->description : "", id_out);
}

int
main(int argc, char **argv)
{
	struct show s = { NULL, NULL, NULL, NULL };
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
