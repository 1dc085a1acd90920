/* history_cmd.c - np-admin history export|stats: the community data set for
 * researchers, streamed from one LMDB read transaction (constant memory for any
 * size, consistent while the broker keeps writing). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cases.h"
#include "encode.h"
#include "history.h"
#include "np.pb-c.h"
#include "receipts.h"
#include "topic.h"
#include "vocab.h"

struct export {
	bool csv;
	unsigned long long count;
	const struct hub_history *h;    /* asked which announcements were withdrawn */
};

static int
export_one(void *ctx, const struct hub_hist_item *it)
{
	struct export *x = ctx;
	Np__Envelope *e = np__envelope__unpack(NULL, it->len, it->payload);
	enum admin_rc rc = ADMIN_OK;

	if (e == NULL) {
		fprintf(admin_err(), "np-admin: skipping an unreadable message on %s\n", it->topic);
		return 0;
	}
	if (x->csv)
		admin_msg_print_csv(it->topic, e);
	else
		rc = admin_msg_print_json(it->topic, e, e->id.len == 16
					  && hub_history_withdrawn(x->h, e->id.data));
	np__envelope__free_unpacked(e, NULL);
	x->count++;
	if (rc == ADMIN_OK && ferror(admin_out())) {
		fprintf(admin_err(), "np-admin: cannot write the export\n");
		rc = ADMIN_FAIL;
	}
	return rc == ADMIN_OK ? 0 : 1;  /* 1 stops the scan */
}

static enum admin_rc
parse_ms(const char *name, const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0) {
		fprintf(admin_err(), "np-admin: %s wants milliseconds since 1970, not '%s'\n", name, s);
		return ADMIN_FAIL;
	}
	*out = v;
	return ADMIN_OK;
}

static enum admin_rc
cmd_export(struct hub_history *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "filter", required_argument, NULL, 'f' }, { "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' }, { "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct hub_hist_scan q;
	struct export x = { false, 0, h };
	const char *filter = "np/#";
	enum hub_refusal why;
	uint64_t last;
	int c, rc;

	memset(&q, 0, sizeof(q));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'f')
			filter = optarg;
		else if (c == 's' && parse_ms("--since", optarg, &q.since_ms) == ADMIN_OK)
			continue;
		else if (c == 'u' && parse_ms("--until", optarg, &q.until_ms) == ADMIN_OK)
			continue;
		else if (c == 'F' && (strcmp(optarg, "csv") == 0 || strcmp(optarg, "jsonl") == 0))
			x.csv = strcmp(optarg, "csv") == 0;
		else {
			if (c == 'F')
				fprintf(admin_err(), "np-admin: --format is jsonl or csv\n");
			return ADMIN_USAGE;
		}
	}
	if (optind != argc)
		return ADMIN_USAGE;
	why = hub_history_plan(filter, &q);
	if (why != HUB_OK) {
		fprintf(admin_err(), "np-admin: --filter '%s': %s\n", filter, hub_refusal_text(why));
		return ADMIN_FAIL;
	}
	if (x.csv) {
		fputs(admin_msg_csv_header, admin_out());
		fputc('\n', admin_out());
	}
	rc = hub_history_scan(h, &q, SIZE_MAX, export_one, &x, &last);
	if (rc == HUB_STORE_ERROR) {
		fprintf(admin_err(), "np-admin: %s\n", hub_history_error(h));
		return ADMIN_FAIL;
	}
	fprintf(admin_err(), "np-admin: exported %llu messages\n", x.count);
	if (rc == 1)
		return ADMIN_FAIL;      /* export_one said why */
	if (fflush(admin_out()) != 0) {
		fprintf(admin_err(), "np-admin: cannot write the export\n");
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

/* One row of "kind,..." in np-admin history stats: a kept kind, a report
 * kind, acks, then "other"; built from vocab.c's tables, in their order. */
struct stat_row {
	enum hub_kind kind;     /* HUB_KIND_COUNT: other */
	const char *sub;        /* rep: the report kind or "ack"; else NULL */
	char name[32];
};

#define STAT_ROWS (HUB_KIND_COUNT + HUB_REPORT_KIND_COUNT + 1)

struct stats {
	struct stat_row rows[STAT_ROWS];
	size_t nrows;
	unsigned long long total, bytes, by_kind[STAT_ROWS], by_province[100], national;
};

static void
add_row(struct stats *st, enum hub_kind k, const char *sub)
{
	struct stat_row *r = &st->rows[st->nrows++];

	r->kind = k;
	r->sub = sub;
	if (k == HUB_KIND_COUNT)
		snprintf(r->name, sizeof(r->name), "other");
	else
		snprintf(r->name, sizeof(r->name), "%s%s%s", hub_kind_info(k)->word,
			 sub ? "/" : "", sub ? sub : "");
}

static void
stat_rows(struct stats *st)
{
	enum hub_kind k;
	int i;

	for (k = 0; k < HUB_KIND_COUNT; k++) {
		if (hub_kind_info(k)->index == 0)
			continue;       /* not kept in history */
		if (k != HUB_KIND_REP) {
			add_row(st, k, NULL);
			continue;
		}
		for (i = 0; i < HUB_REPORT_KIND_COUNT; i++)
			add_row(st, k, hub_report_kind_name(i));
		add_row(st, k, HUB_ACK_WORD);
	}
	add_row(st, HUB_KIND_COUNT, NULL);
}

static size_t
stat_row_of(const struct stats *st, const struct hub_topic_levels *lv)
{
	const struct hub_topic_level *last = &lv->l[lv->count - 1];
	enum hub_kind k = HUB_KIND_COUNT;
	size_t i;

	if (lv->count > 2 && hub_level_is(&lv->l[0], "np"))
		k = hub_kind_parse(lv->l[1].s, lv->l[1].n);
	for (i = 0; i + 1 < st->nrows; i++) {
		if (st->rows[i].kind == k && (st->rows[i].sub == NULL
					      || hub_level_is(last, st->rows[i].sub)))
			return i;
	}
	return st->nrows - 1;
}

static int
count_one(void *ctx, const struct hub_hist_item *it)
{
	struct stats *st = ctx;
	struct hub_topic_levels lv;
	const struct hub_topic_level *place;
	size_t row;

	st->total++;
	st->bytes += it->len + strlen(it->topic);
	if (hub_topic_split(it->topic, &lv) != HUB_OK)
		lv.count = 0;
	row = lv.count > 0 ? stat_row_of(st, &lv) : st->nrows - 1;
	st->by_kind[row]++;
	place = lv.count > 2 ? &lv.l[2] : NULL;        /* the area or province level */
	if (st->rows[row].kind != HUB_KIND_DM && place != NULL && place->n >= 2
	    && place->s[0] >= '0' && place->s[0] <= '9' && place->s[1] >= '0' && place->s[1] <= '9')
		st->by_province[(place->s[0] - '0') * 10 + (place->s[1] - '0')]++;
	else if (st->rows[row].kind == HUB_KIND_ANN)
		st->national++;
	return 0;
}

/* What hangs off the announcements (retention drops it with them): their
 * withdrawn records and receipts. */
static enum admin_rc
stats_beside(struct hub_store *s, struct hub_history *h)
{
	struct hub_receipts *r = NULL;
	size_t withdrawn, receipts;
	char err[300];

	if (hub_history_withdrawn_count(h, &withdrawn) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_history_error(h));
		return ADMIN_FAIL;
	}
	if (hub_receipts_open(&r, s, err, sizeof(err)) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", err);
		return ADMIN_FAIL;
	}
	if (hub_receipts_count(r, &receipts) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_receipts_error(r));
		hub_receipts_close(r);
		return ADMIN_FAIL;
	}
	hub_receipts_close(r);
	fprintf(admin_out(), "withdrawn,%zu\nreceipts,%zu\n", withdrawn, receipts);
	return ADMIN_OK;
}

static enum admin_rc
cmd_stats(struct hub_store *s, struct hub_history *h)
{
	struct stats st;
	size_t i;

	memset(&st, 0, sizeof(st));
	stat_rows(&st);
	if (hub_history_each(h, 0, count_one, &st) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_history_error(h));
		return ADMIN_FAIL;
	}
	fprintf(admin_out(), "messages,%llu\nbytes,%llu\n", st.total, st.bytes);
	if (stats_beside(s, h) != ADMIN_OK)
		return ADMIN_FAIL;
	for (i = 0; i < st.nrows; i++) {
		if (st.by_kind[i] > 0)
			fprintf(admin_out(), "kind,%s,%llu\n", st.rows[i].name, st.by_kind[i]);
	}
	if (st.national > 0)
		fprintf(admin_out(), "area,TH,%llu\n", st.national);
	for (i = 0; i < 100; i++) {
		if (st.by_province[i] > 0)
			fprintf(admin_out(), "province,%02zu,%llu\n", i, st.by_province[i]);
	}
	return ADMIN_OK;
}

enum admin_rc
admin_history(struct hub_store *s, int argc, char **argv)
{
	struct hub_history *h = NULL;
	struct hub_cases *c = NULL;
	unsigned long long n;
	char err[300], *end;
	enum admin_rc rc;
	bool load;

	if (argc < 2 || (strcmp(argv[1], "export") != 0 && strcmp(argv[1], "stats") != 0
			 && strcmp(argv[1], "load") != 0 && strcmp(argv[1], "load-showcase") != 0))
		return ADMIN_USAGE;
	load = strncmp(argv[1], "load", 4) == 0;
	/* a bulk load flushes once at the end rather than at every message */
	if (hub_history_open(&h, s, load ? 60000 : 0, err, sizeof(err)) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", err);
		return ADMIN_FAIL;
	}
	/* a load writes reports: their cases go into the same transactions */
	if (load && hub_cases_open(&c, s, h, NULL, err, sizeof(err)) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", err);
		hub_history_close(h);
		return ADMIN_FAIL;
	}
	if (load) {
		n = argc == 3 ? strtoull(argv[2], &end, 10) : 0;
		rc = argc == 3 && *end == '\0' && n > 0 ? admin_history_load(h, s, n, argv[1][4] == '-')
						       : ADMIN_USAGE;
	} else if (strcmp(argv[1], "stats") == 0) {
		rc = argc == 2 ? cmd_stats(s, h) : ADMIN_USAGE;
	} else {
		rc = cmd_export(h, argc - 1, argv + 1);
	}
	hub_cases_close(c);
	hub_history_close(h);
	return rc;
}
