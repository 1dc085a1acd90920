/* np-show.c - np-show: a village volunteer shows the village's products,
 * stories and places (np/show/P/D/V/KIND) to the whole network. The
 * connection, outbox and outcome are common.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define PHOTO_READ_MAX (16u << 20)      /* read no more; the hub's limit is its own */

enum { OPT_VILLAGE = CLI_OPT_FIRST, OPT_KIND, OPT_TITLE, OPT_DESCRIPTION, OPT_PHOTO, OPT_PRICE,
       OPT_CONTACT, OPT_WITHDRAW };

struct show {
	const char *village, *kind, *title, *description, *photo_path, *contact, *withdraw;
	uint8_t withdraw_id[NP_ID_LEN];
	long long price;
	void *photo;
	size_t photo_len;
};

static const struct option opts[] = {
	{ "village", required_argument, NULL, OPT_VILLAGE },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "description", required_argument, NULL, OPT_DESCRIPTION },
	{ "photo", required_argument, NULL, OPT_PHOTO },
	{ "price", required_argument, NULL, OPT_PRICE },
	{ "contact", required_argument, NULL, OPT_CONTACT },
	{ "withdraw", required_argument, NULL, OPT_WITHDRAW },
	{ NULL, 0, NULL, 0 },
};

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct show *s = ctx;

	switch (val) {
	case OPT_VILLAGE: s->village = arg; break;
	case OPT_KIND: s->kind = arg; break;
	case OPT_TITLE: s->title = arg; break;
	case OPT_DESCRIPTION: s->description = arg; break;
	case OPT_PHOTO: s->photo_path = arg; break;
	case OPT_PRICE: return cli_int(p, "--price", arg, 0, NP_PRICE_MAX, &s->price);
	case OPT_CONTACT: s->contact = arg; break;
	case OPT_WITHDRAW: s->withdraw = arg; break;
	}
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-show",
	"--village V --kind KIND --title T [--description D] [--photo FILE] [--price N]\n"
	"    [--contact TEXT]\n"
	"       np-show --village V --withdraw ID [--kind KIND] [--title T]",
	"Shows a product, story or place of village V and prints the message's id.",
	"  --village V       the village's 8-digit code, e.g. 50010101\n"
	"  --kind KIND       product, story or place\n"
	"  --title T         a short title\n"
	"  --description D   more words (optional)\n"
	"  --photo FILE      one JPEG, PNG or WebP photo (optional; the hub takes up to\n"
	"                    its limit, 256 KiB by default)\n"
	"  --price N         the price in whole baht, 0 to 10000000 (optional; 0: none)\n"
	"  --contact TEXT    how to buy or visit: phone, LINE id (optional, at most 200\n"
	"                    bytes)\n"
	"  --withdraw ID     withdraws the earlier showcase ID (32 hex digits, as np-show\n"
	"                    printed it) of village V: the public site drops it at its\n"
	"                    next build; --title is then optional, --kind defaults to\n"
	"                    product\n",
	opts,
	on_opt,
};

static int
check(const struct cli *cl, int argc, char **argv, struct show *s)
{
	static const char *const kinds[] = { "product", "story", "place", NULL };

	if (s->village == NULL)
		return cli_missing(&prog, "--village");
	if (!cli_is_village(s->village))
		return cli_usage(&prog, "--village wants an 8-digit village code, not '%s'",
				 s->village);
	if (s->withdraw != NULL && np_id_from_hex(s->withdraw, s->withdraw_id) != NP_OK)
		return cli_usage(&prog, "--withdraw wants 32 hex digits, not '%s'", s->withdraw);
	if (s->kind == NULL && s->withdraw != NULL)
		s->kind = "product";
	if (s->kind == NULL)
		return cli_missing(&prog, "--kind");
	if (cli_word(&prog, "--kind", s->kind, kinds) != EX_OK)
		return EX_USAGE;
	if ((s->title == NULL || s->title[0] == '\0') && s->withdraw == NULL)
		return cli_missing(&prog, "--title");
	if (s->contact != NULL && strlen(s->contact) > NP_CONTACT_MAX)
		return cli_usage(&prog, "--contact is over %d bytes (%zu)", NP_CONTACT_MAX,
				 strlen(s->contact));
	return cli_no_operands(cl, argc, argv);
}

static int
publish(struct np_client *c, void *ctx, uint8_t id_out[NP_ID_LEN])
{
	const struct show *s = ctx;
	struct np_showcase m = NP_SHOWCASE_INIT;

	m.village = s->village;
	m.kind = s->kind;
	m.title = s->title != NULL ? s->title : "";
	m.description = s->description != NULL ? s->description : "";
	m.photo.data = s->photo;
	m.photo.len = s->photo_len;
	m.price_thb = s->price;
	m.contact = s->contact;
	m.withdraws = s->withdraw != NULL ? s->withdraw_id : NULL;
	return np_show_ex(c, &m, id_out);
}

int
main(int argc, char **argv)
{
	struct show s = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, { 0 }, 0, NULL, 0 };
	struct cli cl;
	int rc;

	rc = cli_parse(&cl, &prog, &s, argc, argv);
	if (rc != CLI_GO_ON)
		return rc;
	rc = check(&cl, argc, argv, &s);
	if (rc == EX_OK && s.photo_path != NULL)
		rc = cli_read_file(&prog, "--photo", s.photo_path, PHOTO_READ_MAX, &s.photo,
				   &s.photo_len);
	if (rc == EX_OK)
		rc = cli_publish_one(&cl, publish, &s);
	free(s.photo);
	return rc;
}
