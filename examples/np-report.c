/* np-report.c - np-report: a village volunteer reports an outage, a need, an
 * incident or feedback of the village (np/rep/P/D/V/KIND) and learns whether
 * the hub accepted it. The connection, outbox and outcome are common.c's. */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

#define PHOTO_READ_MAX (16u << 20)      /* read no more; the hub's limit is its own */

enum { OPT_VILLAGE = CLI_OPT_FIRST, OPT_KIND, OPT_TITLE, OPT_DETAIL, OPT_PHOTO };

struct report {
	const char *village, *kind, *title, *detail, *photo_path;
	void *photo;
	size_t photo_len;
};

static const struct option opts[] = {
	{ "village", required_argument, NULL, OPT_VILLAGE },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "detail", required_argument, NULL, OPT_DETAIL },
	{ "photo", required_argument, NULL, OPT_PHOTO },
	{ NULL, 0, NULL, 0 },
};

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct report *r = ctx;

	(void)p;
	switch (val) {
	case OPT_VILLAGE: r->village = arg; break;
	case OPT_KIND: r->kind = arg; break;
	case OPT_TITLE: r->title = arg; break;
	case OPT_DETAIL: r->detail = arg; break;
	case OPT_PHOTO: r->photo_path = arg; break;
	}
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-report",
	"--village V --kind KIND --title T [--detail D] [--photo FILE]",
	"Reports a problem of village V to the hub and prints the report's id.",
	"  --village V       the village's 8-digit code, e.g. 50010101\n"
	"  --kind KIND       outage, need, incident or feedback\n"
	"  --title T         a short title\n"
	"  --detail D        what happened, in more words (optional)\n"
	"  --photo FILE      one JPEG, PNG or WebP photo (optional; the hub takes up to\n"
	"                    its limit, 256 KiB by default)\n",
	opts,
	on_opt,
};

static int
check(const struct cli *cl, int argc, char **argv, const struct report *r)
{
	static const char *const kinds[] = { "outage", "need", "incident", "feedback", NULL };

	if (r->village == NULL)
		return cli_missing(&prog, "--village");
	if (!cli_is_village(r->village))
		return cli_usage(&prog, "--village wants an 8-digit village code, not '%s'",
				 r->village);
	if (r->kind == NULL)
		return cli_missing(&prog, "--kind");
	if (cli_word(&prog, "--kind", r->kind, kinds) != EX_OK)
		return EX_USAGE;
	if (r->title == NULL || r->title[0] == '\0')
		return cli_missing(&prog, "--title");
	return cli_no_operands(cl, argc, argv);
}

/* Reads --photo FILE, if given, into r. */
static int
read_photo(struct report *r)
{
	if (r->photo_path == NULL)
		return EX_OK;
	return cli_read_file(&prog, "--photo", r->photo_path, PHOTO_READ_MAX, &r->photo,
			     &r->photo_len);
}

static int
publish(struct np_client *c, void *ctx, uint8_t id_out[NP_ID_LEN])
{
	const struct report *r = ctx;
	struct np_report_msg m = NP_REPORT_MSG_INIT;

	m.village = r->village;
	m.kind = r->kind;
	m.title = r->title;
	m.detail = r->detail != NULL ? r->detail : "";
	m.photo.data = r->photo;
	m.photo.len = r->photo_len;
	return np_report_ex(c, &m, id_out);
}

int
main(int argc, char **argv)
{
	struct report r = { NULL, NULL, NULL, NULL, NULL, NULL, 0 };
	struct cli cl;
	int rc;

	rc = cli_parse(&cl, &prog, &r, argc, argv);
	if (rc != CLI_GO_ON)
		return rc;
	rc = check(&cl, argc, argv, &r);
	if (rc == EX_OK)
		rc = read_photo(&r);
	if (rc == EX_OK)
		rc = cli_publish_one(&cl, publish, &r);
	free(r.photo);
	return rc;
}
