/* site_cmd.c - np-admin site build OUT [--min-reports N] [--base-url URL]
 * [--geo DIR] [--watch SECONDS]: one build of the public site (site.h), or,
 * with --watch, a build whenever the database changed, checked every SECONDS. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "np.pb-c.h"
#include "site.h"

struct opts {
	const char *out, *base_url, *geo;
	unsigned min_reports, watch;
};

static int
cmp_code(const void *key, const void *p)
{
	return strcmp(key, ((const struct site_place *)p)->code);
}

const struct site_place *
site_place(const struct site *s, const char *code)
{
	return bsearch(code, s->places, s->nplaces, sizeof(*s->places), cmp_code);
}

struct places {
	struct site *s;
	size_t cap;
	bool nomem;
};

static int
add_place(void *ctx, const struct hub_place *p)
{
	struct places *pl = ctx;
	struct site *s = pl->s;
	struct site_place *grown, *sp;

	if (s->nplaces == pl->cap) {
		pl->cap = pl->cap ? 2 * pl->cap : 4096;
		grown = realloc(s->places, pl->cap * sizeof(*grown));
		if (grown == NULL) {
			pl->nomem = true;
			return 1;
		}
		s->places = grown;
	}
	sp = &s->places[s->nplaces];
	memset(sp, 0, sizeof(*sp));
	snprintf(sp->code, sizeof(sp->code), "%s", p->code);
	sp->th = strdup(p->name_th);
	sp->en = strdup(p->name_en);
	s->nplaces++;
	if (sp->th == NULL || sp->en == NULL)
		pl->nomem = true;
	return pl->nomem;
}

/* Counts each place's entries: its villages', district's and province's. */
static void
count_entries(struct site *s)
{
	static const int lens[] = { 2, 4, 6, 8 };
	struct site_place *p;
	char code[9];
	size_t i, k;

	for (i = 0; i < s->nentries; i++) {
		for (k = 0; k < 4; k++) {
			snprintf(code, sizeof(code), "%.*s", lens[k], s->entries[i].village);
			p = (struct site_place *)site_place(s, code);
			if (p != NULL)
				p->entries++;
		}
	}
}

/* Each entry's photo, read again by id (the scan kept none in memory). */
static enum admin_rc
write_photos(const struct site *s, struct hub_history *h, struct site_out *o)
{
	struct site_entry *en;
	char topic[256], rel[64];
	Np__Envelope *e;
	void *buf;
	size_t i, len;
	enum admin_rc rc = ADMIN_OK;

	for (i = 0; rc == ADMIN_OK && i < s->nentries; i++) {
		en = &s->entries[i];
		if (en->photo_ext == NULL)
			continue;
		if (hub_history_find(h, en->id, topic, sizeof(topic), &buf, &len) != 0) {
			en->photo_ext = NULL;
			continue;
		}
		e = np__envelope__unpack(NULL, len, buf);
		if (e != NULL && e->body_case == NP__ENVELOPE__BODY_SHOWCASE) {
			snprintf(rel, sizeof(rel), "photo/%s.%s", en->hex, en->photo_ext);
			rc = site_out_file(o, rel, e->showcase->photo.data, e->showcase->photo.len);
		} else {
			en->photo_ext = NULL;
		}
		if (e != NULL)
			np__envelope__free_unpacked(e, NULL);
		free(buf);
	}
	return rc;
}

static void
site_free(struct site *s)
{
	size_t i;

	for (i = 0; i < s->nplaces; i++) {
		free(s->places[i].th);
		free(s->places[i].en);
	}
	for (i = 0; i < s->nentries; i++) {
		free(s->entries[i].title);
		free(s->entries[i].desc);
		free(s->entries[i].contact);
	}
	for (i = 0; i < s->nanns; i++) {
		free(s->anns[i].title);
		free(s->anns[i].body);
	}
	free(s->places);
	free(s->entries);
	free(s->anns);
	free(s->cells);
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static enum admin_rc
build(struct hub_store *st, const struct opts *op)
{
	struct places pl = { NULL, 0, false };
	struct hub_history *h = NULL;
	struct site_out *o = NULL;
	struct timespec t0, now;
	unsigned long written = 0, kept = 0;
	struct site s;
	enum admin_rc rc = ADMIN_FAIL;
	char err[300];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_REALTIME, &now);
	memset(&s, 0, sizeof(s));
	s.out = op->out;
	s.base_url = op->base_url;
	s.geo_dir = op->geo;
	s.min_reports = op->min_reports;
	s.now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	pl.s = &s;
	if (hub_store_place_each(st, "", add_place, &pl) != 0 || pl.nomem) {
		fprintf(admin_err(), "np-admin: %s\n", pl.nomem ? "out of memory" : hub_store_error(st));
		goto out;
	}
	if (hub_history_open(&h, st, 0, err, sizeof(err)) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", err);
		goto out;
	}
	if (site_read(&s, h) != ADMIN_OK || site_out_open(&o, op->out) != ADMIN_OK)
		goto out;
	count_entries(&s);
	s.store = st;
	s.hist = h;
	if (write_photos(&s, h, o) != ADMIN_OK || site_html(&s, o) != ADMIN_OK
	    || site_feeds(&s, o) != ADMIN_OK || site_data(&s, o) != ADMIN_OK
	    || site_cap(&s, o) != ADMIN_OK)
		goto out;
	rc = site_out_commit(o, &written, &kept);
	o = NULL;
	if (rc == ADMIN_OK)
		fprintf(admin_out(), "site %s: %zu entries, %zu announcements, %zu report cells "
			"(%u reports left out: fewer than %u in a cell); %lu files written, %lu "
			"unchanged, in %.2f s\n", op->out, s.nentries, s.nanns, s.ncells,
			s.suppressed, s.min_reports, written, kept, seconds_since(&t0));
out:
	site_out_free(o);
	hub_history_close(h);
	site_free(&s);
	return rc;
}

static enum admin_rc
parse(int argc, char **argv, struct opts *op)
{
	static const struct option lopts[] = {
		{ "min-reports", required_argument, NULL, 'm' },
		{ "base-url", required_argument, NULL, 'b' },
		{ "geo", required_argument, NULL, 'g' },
		{ "watch", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		if (c == 'b' && strncmp(optarg, "http", 4) == 0
		    && optarg[strlen(optarg) - 1] == '/') {
			op->base_url = optarg;
			continue;
		}
		if (c == 'g') {
			op->geo = optarg;
			continue;
		}
		errno = 0;
		v = (c == 'm' || c == 'w') ? strtoul(optarg, &end, 10) : 0;
		if ((c == 'm' || c == 'w') && errno == 0 && *end == '\0' && optarg[0] != '-'
		    && v >= 1 && v <= 100000) {
			*(c == 'm' ? &op->min_reports : &op->watch) = (unsigned)v;
			continue;
		}
		if (c == 'b')
			fprintf(admin_err(), "np-admin: --base-url wants an http(s) URL ending in /, "
				"not '%s'\n", optarg);
		else if (c == 'm' || c == 'w')
			fprintf(admin_err(), "np-admin: --%s wants a whole number from 1 to 100000, "
				"not '%s'\n", c == 'm' ? "min-reports" : "watch", optarg);
		return ADMIN_USAGE;
	}
	if (optind + 1 != argc)
		return ADMIN_USAGE;
	op->out = argv[optind];
	return ADMIN_OK;
}

enum admin_rc
admin_site(struct hub_store *st, const char *geo_dir, int argc, char **argv)
{
	struct opts op = { NULL, "http://127.0.0.1:8080/public/", geo_dir, 3, 0 };
	uint64_t seen = 0, v;
	enum admin_rc rc;

	if (argc < 2 || strcmp(argv[1], "build") != 0)
		return ADMIN_USAGE;
	rc = parse(argc - 1, argv + 1, &op);
	if (rc != ADMIN_OK || op.watch == 0)
		return rc != ADMIN_OK ? rc : build(st, &op);
	for (;;) {              /* --watch: until killed; a failed build is tried again */
		v = hub_store_version(st);
		if (v != seen && build(st, &op) == ADMIN_OK)
			seen = v;
		fflush(admin_out());
		sleep(op.watch);
	}
}
