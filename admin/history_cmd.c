/* history_cmd.c - np-admin history export|stats: the community data set for
 * researchers, streamed from one LMDB read transaction (constant memory for any
 * size, consistent while the broker keeps writing). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "encode.h"
#include "history.h"
#include "np.pb-c.h"

struct export {
	bool csv;
	unsigned long long count;
};

static int
export_one(void *ctx, const struct hub_hist_item *it)
{
	struct export *x = ctx;
	Np__Envelope *e = np__envelope__unpack(NULL, it->len, it->payload);
	enum admin_rc rc = ADMIN_OK;

	if (e == NULL) {
		fprintf(stderr, "np-admin: skipping an unreadable message on %s\n", it->topic);
		return 0;
	}
	if (x->csv)
		admin_msg_print_csv(it->topic, e);
	else
		rc = admin_msg_print_json(it->topic, e);
	np__envelope__free_unpacked(e, NULL);
	x->count++;
	if (rc == ADMIN_OK && ferror(stdout)) {
		fprintf(stderr, "np-admin: cannot write the export\n");
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
		fprintf(stderr, "np-admin: %s wants milliseconds since 1970, not '%s'\n", name, s);
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
	struct export x = { false, 0 };
	const char *filter = "np/#", *why;
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
				fprintf(stderr, "np-admin: --format is jsonl or csv\n");
			return ADMIN_USAGE;
		}
	}
	if (optind != argc)
		return ADMIN_USAGE;
	why = hub_history_plan(filter, &q);
	if (why != NULL) {
		fprintf(stderr, "np-admin: --filter '%s': %s\n", filter, why);
		return ADMIN_FAIL;
	}
	if (x.csv)
		puts(admin_msg_csv_header);
	rc = hub_history_scan(h, &q, SIZE_MAX, export_one, &x, &last);
	if (rc == HUB_STORE_ERROR) {
		fprintf(stderr, "np-admin: %s\n", hub_history_error(h));
		return ADMIN_FAIL;
	}
	fprintf(stderr, "np-admin: exported %llu messages\n", x.count);
	if (rc == 1)
		return ADMIN_FAIL;      /* export_one said why */
	if (fflush(stdout) != 0) {
		fprintf(stderr, "np-admin: cannot write the export\n");
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

struct stats {
	unsigned long long total, bytes, by_kind[12], by_province[100], national;
};

static const char *const stat_kinds[] = { "ann", "rep/outage", "rep/need", "rep/incident",
					  "rep/feedback", "rep/ack", "status", "show", "dm",
					  "other" };

static int
count_one(void *ctx, const struct hub_hist_item *it)
{
	struct stats *st = ctx;
	const char *t = it->topic + 3, *last = strrchr(it->topic, '/');
	int k = 9, p;

	st->total++;
	st->bytes += it->len + strlen(it->topic);
	if (strncmp(t, "ann/", 4) == 0)
		k = 0;
	else if (strncmp(t, "rep/", 4) == 0 && last != NULL)
		k = strcmp(last, "/outage") == 0 ? 1 : strcmp(last, "/need") == 0 ? 2
		    : strcmp(last, "/incident") == 0 ? 3 : strcmp(last, "/feedback") == 0 ? 4 : 5;
	else if (strncmp(t, "status/", 7) == 0)
		k = 6;
	else if (strncmp(t, "show/", 5) == 0)
		k = 7;
	else if (strncmp(t, "dm/", 3) == 0)
		k = 8;
	st->by_kind[k]++;
	t = strchr(t, '/');     /* the area or province level, for place topics */
	if (k != 8 && t != NULL && t[1] >= '0' && t[1] <= '9' && t[2] >= '0' && t[2] <= '9') {
		p = (t[1] - '0') * 10 + (t[2] - '0');
		st->by_province[p]++;
	} else if (k == 0) {
		st->national++;
	}
	return 0;
}

static enum admin_rc
cmd_stats(struct hub_history *h)
{
	struct stats st;
	int i;

	memset(&st, 0, sizeof(st));
	if (hub_history_each(h, 0, count_one, &st) != 0) {
		fprintf(stderr, "np-admin: %s\n", hub_history_error(h));
		return ADMIN_FAIL;
	}
	printf("messages,%llu\nbytes,%llu\n", st.total, st.bytes);
	for (i = 0; i < 10; i++) {
		if (st.by_kind[i] > 0)
			printf("kind,%s,%llu\n", stat_kinds[i], st.by_kind[i]);
	}
	if (st.national > 0)
		printf("area,TH,%llu\n", st.national);
	for (i = 0; i < 100; i++) {
		if (st.by_province[i] > 0)
			printf("province,%02d,%llu\n", i, st.by_province[i]);
	}
	return ADMIN_OK;
}

enum admin_rc
admin_history(struct hub_store *s, int argc, char **argv)
{
	struct hub_history *h = NULL;
	unsigned long long n;
	char err[300], *end;
	enum admin_rc rc;
	bool load;

	if (argc < 2 || (strcmp(argv[1], "export") != 0 && strcmp(argv[1], "stats") != 0
			 && strcmp(argv[1], "load") != 0))
		return ADMIN_USAGE;
	load = strcmp(argv[1], "load") == 0;
	/* a bulk load flushes once at the end rather than at every message */
	if (hub_history_open(&h, s, load ? 60000 : 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "np-admin: %s\n", err);
		return ADMIN_FAIL;
	}
	if (load) {
		n = argc == 3 ? strtoull(argv[2], &end, 10) : 0;
		rc = argc == 3 && *end == '\0' && n > 0 ? admin_history_load(h, s, n) : ADMIN_USAGE;
	} else if (strcmp(argv[1], "stats") == 0) {
		rc = argc == 2 ? cmd_stats(h) : ADMIN_USAGE;
	} else {
		rc = cmd_export(h, argc - 1, argv + 1);
	}
	hub_history_close(h);
	return rc;
}
