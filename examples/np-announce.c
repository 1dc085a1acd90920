/* np-announce.c - np-announce: an official, agency, operator or volunteer
 * announces something to an area (np/ann/AREA/CATEGORY): weather, farming,
 * health, trade, training..., valid until --expires if given, replacing
 * (withdrawing) earlier announcements of the same sender with --replaces.
 * The connection, outbox and outcome are common.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "when.h"

#define MAX_DAYS 3650LL         /* the longest --expires duration: ten years */
#define MAX_REPLACES 16         /* --replaces given at most this often */

enum { OPT_AREA = CLI_OPT_FIRST, OPT_CATEGORY, OPT_TITLE, OPT_BODY, OPT_EXPIRES, OPT_REPLACES,
       OPT_CANCELS };

struct announcement {
	const char *area, *category, *title, *body;
	int64_t expires_at_ms;          /* 0: never */
	uint8_t replaces[MAX_REPLACES][NP_ID_LEN];
	size_t n_replaces;
	const char *msg_type;           /* "Update" (--replaces), "Cancel" (--cancels) */
};

static const struct option opts[] = {
	{ "area", required_argument, NULL, OPT_AREA },
	{ "category", required_argument, NULL, OPT_CATEGORY },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "body", required_argument, NULL, OPT_BODY },
	{ "expires", required_argument, NULL, OPT_EXPIRES },
	{ "replaces", required_argument, NULL, OPT_REPLACES },
	{ "cancels", required_argument, NULL, OPT_CANCELS },
	{ NULL, 0, NULL, 0 },
};

static int
expires_opt(const struct cli_prog *p, const char *arg, int64_t *out)
{
	long long ms;

	if (when_duration_ms(arg, MAX_DAYS * 86400000LL, &ms)) {
		*out = when_now_ms() + ms;
		return EX_OK;
	}
	if (when_iso_ms(arg, true, &ms) && ms > 0) {
		*out = ms;
		return EX_OK;
	}
	return cli_usage(p, "--expires wants a duration (a whole number of s, m, h or d up to "
			 "%lld days, e.g. 30m, 2h, 3d) or a time with its zone "
			 "(e.g. 2026-12-01T18:00:00+07:00 or 2026-12-01T11:00:00Z), not '%s'",
			 MAX_DAYS, arg);
}

/* --replaces ID (an Update) or --cancels ID (a Cancel), in the CAP terms the
 * hub checks references by (DESIGN.md "CAP"): one kind per announcement */
static int
replaces_opt(const struct cli_prog *p, const char *arg, const char *msg_type,
	     struct announcement *a)
{
	const char *opt = strcmp(msg_type, "Update") == 0 ? "--replaces" : "--cancels";

	if (a->msg_type != NULL && strcmp(a->msg_type, msg_type) != 0)
		return cli_usage(p, "--replaces and --cancels do not go together");
	if (a->n_replaces == MAX_REPLACES)
		return cli_usage(p, "%s at most %d times", opt, MAX_REPLACES);
	if (np_id_from_hex(arg, a->replaces[a->n_replaces]) != NP_OK)
		return cli_usage(p, "%s wants an announcement's id, 32 hex digits, not '%s'", opt,
				 arg);
	a->n_replaces++;
	a->msg_type = msg_type;
	return EX_OK;
}

static int
on_opt(const struct cli_prog *p, void *ctx, int val, const char *arg)
{
	struct announcement *a = ctx;

	switch (val) {
	case OPT_AREA: a->area = arg; break;
	case OPT_CATEGORY: a->category = arg; break;
	case OPT_TITLE: a->title = arg; break;
	case OPT_BODY: a->body = arg; break;
	case OPT_EXPIRES: return expires_opt(p, arg, &a->expires_at_ms);
	case OPT_REPLACES: return replaces_opt(p, arg, "Update", a);
	case OPT_CANCELS: return replaces_opt(p, arg, "Cancel", a);
	}
	return EX_OK;
}

static const struct cli_prog prog = {
	"np-announce",
	"--area A --category C --title T [--body B] [--expires WHEN]\n"
	"       [--replaces ID... | --cancels ID...]",
	"Announces to area A and prints the announcement's id.",
	"  --area A          TH (the nation), a province (2 digits), a district (4)\n"
	"                    or a village (8), e.g. 50\n"
	"  --category C      weather, agriculture, health, commerce, education, event,\n"
	"                    network, emergency or general\n"
	"  --title T         a short title\n"
	"  --body B          the text (optional)\n"
	"  --expires WHEN    after WHEN the hub hands it to no app any more (the\n"
	"                    history keeps it): a duration from now, 30m, 2h, 3d\n"
	"                    (s, m, h or d), or a time with its zone,\n"
	"                    2026-12-01T18:00:00+07:00 or 2026-12-01T11:00:00Z;\n"
	"                    one already past when the hub gets it is refused\n"
	"  --replaces ID     this one updates your earlier announcement ID (32 hex\n"
	"                    digits, as np-announce printed it; up to 16 times):\n"
	"                    from then on the hub hands ID to no app, and the\n"
	"                    history marks it withdrawn\n"
	"  --cancels ID      the same, for a cancellation (its title says why)\n",
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
	struct np_announcement ann = NP_ANNOUNCEMENT_INIT;

	ann.area = a->area;
	ann.category = a->category;
	ann.title = a->title;
	ann.body = a->body != NULL ? a->body : "";
	ann.expires_at_ms = a->expires_at_ms;
	ann.n_references = a->n_replaces;
	ann.references = a->n_replaces > 0 ? (const uint8_t (*)[NP_ID_LEN])a->replaces : NULL;
	ann.msg_type = a->msg_type;
	return np_announce_ex(c, &ann, id_out);
}

int
main(int argc, char **argv)
{
	struct announcement a = { .area = NULL };
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
