/* np-reach.c - np-reach: how far an announcement got (DESIGN.md "Reach"):
 * the villages it targets (registered villages in its area that have a
 * volunteer), how many of them got it and opened it, by province, and the
 * villages it has not reached, by code (the hub's answer has no names:
 * `np-admin registry list CODE` has them). np_reach() pages through the
 * not-reached villages; this program prints. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define PAGE_MS 10000           /* how long one page may take */
#define FIRST_VILLAGES 100      /* not-reached villages printed without --all */

enum { OPT_JSON = CLI_OPT_FIRST, OPT_ALL };

struct reach {
	bool json, all;
	uint8_t id[NP_ID_LEN];
	bool headed;
	unsigned not_reached;   /* targeted - delivered, from the first page */
	size_t printed;
	bool more;
	json_t *doc, *villages;
};

static const struct option opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "all", no_argument, NULL, OPT_ALL },
	{ NULL, 0, NULL, 0 },
};

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct reach *r = ctx;

	(void)p;
	(void)arg;
	if (val == OPT_JSON)
		r->json = true;
	else if (val == OPT_ALL)
		r->all = true;
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-reach",
	"[--json] [--all] ID",
	"Shows the reach of the announcement ID (32 hex digits): the villages it\n"
	"targets, how many got it and opened it, by province, and the villages not\n"
	"reached. For its sender, and officials and admins whose scope covers its area.",
	"  --json            one JSON object (id, area, targeted, delivered, read,\n"
	"                    provinces, not_reached, complete)\n"
	"  --all             every village not reached (default: the first 100)\n",
	opts,
	on_opt,
};

static void
head_text(const struct np_reach *p)
{
	char hex[2 * NP_ID_LEN + 1];
	size_t i;

	np_id_to_hex(p->id, hex);
	printf("announcement %s to %s\n", hex, p->area);
	printf("targeted %u, delivered %u, read %u\n", p->targeted, p->delivered, p->read);
	for (i = 0; i < p->n_provinces; i++)
		printf("province %s: targeted %u, delivered %u, read %u\n",
		       p->provinces[i].province, p->provinces[i].targeted,
		       p->provinces[i].delivered, p->provinces[i].read);
	printf("not reached: %u\n", p->targeted - p->delivered);
}

static void
head_json(struct reach *r, const struct np_reach *p)
{
	char hex[2 * NP_ID_LEN + 1];
	json_t *prov = json_array();
	size_t i;

	np_id_to_hex(p->id, hex);
	for (i = 0; i < p->n_provinces; i++)
		json_array_append_new(prov, json_pack("{s:s,s:I,s:I,s:I}", "province",
						      p->provinces[i].province, "targeted",
						      (json_int_t)p->provinces[i].targeted,
						      "delivered",
						      (json_int_t)p->provinces[i].delivered, "read",
						      (json_int_t)p->provinces[i].read));
	r->villages = json_array();
	r->doc = json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:O}", "id", hex, "area", p->area,
			   "targeted", (json_int_t)p->targeted, "delivered",
			   (json_int_t)p->delivered, "read", (json_int_t)p->read, "provinces", prov,
			   "not_reached", r->villages);
}

static void
on_page(void *ctx, const struct np_reach *p)
{
	struct reach *r = ctx;
	size_t i;

	if (!r->headed) {
		r->headed = true;
		r->not_reached = p->targeted - p->delivered;
		if (r->json)
			head_json(r, p);
		else
			head_text(p);
	}
	for (i = 0; i < p->n_not_reached; i++) {
		if (r->json && r->villages != NULL)
			json_array_append_new(r->villages, json_string(p->not_reached[i]));
		else if (!r->json)
			printf("%s\n", p->not_reached[i]);
	}
	r->printed += p->n_not_reached;
	r->more = p->more;
}

static int
finish(struct reach *r)
{
	if (r->json && r->doc != NULL) {
		json_object_set_new(r->doc, "complete", json_boolean(!r->more));
		json_dumpf(r->doc, stdout, JSON_COMPACT);
		printf("\n");
	} else if (!r->json && r->more) {
		printf("... and more not reached (--all lists all %u)\n", r->not_reached);
	}
	json_decref(r->doc);
	json_decref(r->villages);
	fflush(stdout);
	return EX_OK;
}

static int
fetch(struct cli *cl, struct reach *r)
{
	int rc;

	rc = np_reach(cl->c, r->id, r->all ? 0 : FIRST_VILLAGES, on_page, r, PAGE_MS);
	if (rc == NP_OK)
		return finish(r);
	json_decref(r->doc);
	json_decref(r->villages);
	if (rc == NP_ERR_REACH) {
		char hex[2 * NP_ID_LEN + 1];

		np_id_to_hex(r->id, hex);
		fprintf(stderr, "refused: reach of %s: %s\n", hex, np_client_last_error(cl->c));
		return EX_REFUSED;
	}
	return cli_fail(cl, rc, "cannot ask the reach on the hub", "");
}

int
main(int argc, char **argv)
{
	struct reach r;
	struct cli cl;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = cli_parse(&cl, &prog, &r, argc, argv);
	if (rc != CLI_GO_ON)
		return rc;
	if (cl.first_operand >= argc)
		return cli_missing(&prog, "ID");
	if (cl.first_operand + 1 < argc)
		return cli_usage(&prog, "one ID only, not '%s'", argv[cl.first_operand + 1]);
	if (np_id_from_hex(argv[cl.first_operand], r.id) != NP_OK)
		return cli_usage(&prog, "ID wants 32 hex digits, not '%s'", argv[cl.first_operand]);
	rc = cli_open(&cl, false);
	if (rc == EX_OK)
		rc = fetch(&cl, &r);
	cli_close(&cl);
	return rc;
}
