/* site.c - np-admin site build OUT: reads the registry and, in one pass over
 * the history, the showcase entries (less those withdrawn), the current public
 * announcements (TH, province and district ones: not expired, not a CAP test
 * or exercise, not cancelled or replaced) and, for the aggregates, each
 * report's district, month, kind and time to its first RESOLVED ack; then has
 * site_html.c, site_feed.c and site_data.c write the site through site_out.c.
 * Senders and DMs are never read; a report's title, detail and photo neither. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "np.pb-c.h"
#include "photo.h"
#include "site.h"

const char *const site_kind_word[SITE_KINDS] = { "product", "story", "place" };

/* A report, for the aggregates: no text, no sender. */
struct rep {
	uint8_t id[16];
	char village[9];
	char month[8];
	char kind[10];
	int64_t at_ms, resolved_ms;     /* 0: not resolved */
};

struct idlist {
	uint8_t (*v)[16];
	size_t n, cap;
};

struct scan {
	struct site *s;
	struct rep *reps;
	size_t nreps, capreps, capentries, capanns;
	struct idlist withdrawn, replaced;
	struct { uint8_t report[16]; int64_t at_ms; } *res;
	size_t nres, capres;
	bool nomem;
};

static void *
grow(void *p, size_t *cap, size_t n, size_t size, bool *nomem)
{
	void *q;

	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 256;
	q = realloc(p, *cap * size);
	if (q == NULL)
		*nomem = true;
	return q ? q : p;
}

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static void
id_add(struct scan *x, struct idlist *l, const uint8_t *id)
{
	l->v = grow(l->v, &l->cap, l->n, sizeof(*l->v), &x->nomem);
	if (l->n < l->cap)
		memcpy(l->v[l->n++], id, 16);
}

static bool
id_in(const struct idlist *l, const uint8_t *id)
{
	return l->n > 0 && bsearch(id, l->v, l->n, sizeof(*l->v), cmp_id) != NULL;
}

static void
hex(const uint8_t id[16], char out[33])
{
	int i;

	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static char *
copy_text(struct scan *x, const char *s)
{
	char *d = strdup(s ? s : "");

	if (d == NULL)
		x->nomem = true;
	return d;
}

/* Splits a copy of topic at '/' into at most 8 levels; returns the count. */
static int
levels(const char *topic, char *buf, size_t len, char *lv[8])
{
	int n = 0;
	char *p;

	snprintf(buf, len, "%s", topic);
	for (p = buf; n < 8; p++) {
		lv[n++] = p;
		if ((p = strchr(p, '/')) == NULL)
			break;
		*p = '\0';
	}
	return n;
}

static void
on_showcase(struct scan *x, char **lv, int n, const Np__Envelope *e)
{
	const Np__Showcase *sh = e->showcase;
	struct site *s = x->s;
	struct site_entry *en;
	int k;

	if (n != 6 || strlen(lv[4]) != 8)      /* np/show/P/D/V/kind */
		return;
	if (sh->withdraws.len == 16) {
		id_add(x, &x->withdrawn, sh->withdraws.data);
		return;
	}
	for (k = 0; k < SITE_KINDS && strcmp(lv[5], site_kind_word[k]) != 0; k++)
		;
	if (k == SITE_KINDS || e->id.len != 16)
		return;
	s->entries = grow(s->entries, &x->capentries, s->nentries, sizeof(*en), &x->nomem);
	if (s->nentries == x->capentries)
		return;
	en = &s->entries[s->nentries++];
	memset(en, 0, sizeof(*en));
	memcpy(en->id, e->id.data, 16);
	hex(en->id, en->hex);
	snprintf(en->village, sizeof(en->village), "%s", lv[4]);
	en->kind = (enum site_kind)k;
	en->at_ms = e->received_at_ms;
	en->title = copy_text(x, sh->title);
	en->desc = copy_text(x, sh->description);
	en->contact = copy_text(x, sh->contact);
	en->price = sh->price_thb;
	/* a photo that is not a sound image is never written */
	if (sh->photo.len > 0
	    && hub_photo_check(sh->photo.data, sh->photo.len, HUB_MAX_PHOTO_CAP) == HUB_OK) {
		switch (hub_photo_sniff(sh->photo.data, sh->photo.len)) {
		case HUB_PHOTO_JPEG: en->photo_ext = "jpg"; break;
		case HUB_PHOTO_PNG: en->photo_ext = "png"; break;
		case HUB_PHOTO_WEBP: en->photo_ext = "webp"; break;
		default: break;
		}
	}
}

static void
on_announcement(struct scan *x, char **lv, int n, const Np__Envelope *e)
{
	const Np__Announcement *a = e->announcement;
	struct site *s = x->s;
	struct site_ann *an;
	size_t i, alen = n == 4 ? strlen(lv[2]) : 0;

	for (i = 0; i < a->n_references; i++) {
		if (a->references[i].len == 16)
			id_add(x, &x->replaced, a->references[i].data);
	}
	/* the nation, a province or a district: a village's own stay in the app */
	if ((alen != 2 && alen != 4) || e->id.len != 16)       /* TH has 2 letters */
		return;
	if ((a->cap_status[0] != '\0' && strcmp(a->cap_status, "Actual") != 0)
	    || strcmp(a->msg_type, "Cancel") == 0
	    || (a->expires_at_ms != 0 && a->expires_at_ms <= s->now_ms))
		return;
	s->anns = grow(s->anns, &x->capanns, s->nanns, sizeof(*an), &x->nomem);
	if (s->nanns == x->capanns)
		return;
	an = &s->anns[s->nanns++];
	memset(an, 0, sizeof(*an));
	memcpy(an->id, e->id.data, 16);
	hex(an->id, an->hex);
	snprintf(an->area, sizeof(an->area), "%s", lv[2]);
	snprintf(an->category, sizeof(an->category), "%s", lv[3]);
	an->at_ms = e->received_at_ms;
	an->expires_ms = a->expires_at_ms;
	an->official = e->sender != NULL && (e->sender->role == NP__ROLE__OFFICIAL
					     || e->sender->role == NP__ROLE__AGENCY);
	an->title = copy_text(x, a->title);
	an->body = copy_text(x, a->body);
}

static void
on_report(struct scan *x, char **lv, int n, const Np__Envelope *e)
{
	time_t t = (time_t)(e->received_at_ms / 1000);
	struct tm tm;
	struct rep *r;

	if (n != 6 || strlen(lv[4]) != 8)      /* np/rep/P/D/V/kind */
		return;
	if (e->body_case == NP__ENVELOPE__BODY_ACK) {
		if (e->ack->state != NP__ACK_STATE__RESOLVED || e->ack->report_id.len != 16)
			return;
		x->res = grow(x->res, &x->capres, x->nres, sizeof(*x->res), &x->nomem);
		if (x->nres < x->capres) {
			memcpy(x->res[x->nres].report, e->ack->report_id.data, 16);
			x->res[x->nres++].at_ms = e->received_at_ms;
		}
		return;
	}
	if (e->body_case != NP__ENVELOPE__BODY_REPORT || e->id.len != 16)
		return;
	x->reps = grow(x->reps, &x->capreps, x->nreps, sizeof(*r), &x->nomem);
	if (x->nreps == x->capreps)
		return;
	r = &x->reps[x->nreps++];
	memcpy(r->id, e->id.data, 16);
	snprintf(r->village, sizeof(r->village), "%s", lv[4]);
	snprintf(r->kind, sizeof(r->kind), "%s", lv[5]);
	gmtime_r(&t, &tm);
	strftime(r->month, sizeof(r->month), "%Y-%m", &tm);
	r->at_ms = e->received_at_ms;
	r->resolved_ms = 0;
}

static int
scan_one(void *ctx, const struct hub_hist_item *it)
{
	struct scan *x = ctx;
	char buf[256], *lv[8];
	Np__Envelope *e;
	int n;

	/* only the three public kinds are decoded: never a DM or status */
	if (strncmp(it->topic, "np/show/", 8) != 0 && strncmp(it->topic, "np/ann/", 7) != 0
	    && strncmp(it->topic, "np/rep/", 7) != 0)
		return 0;
	e = np__envelope__unpack(NULL, it->len, it->payload);
	if (e == NULL)
		return 0;
	n = levels(it->topic, buf, sizeof(buf), lv);
	if (e->body_case == NP__ENVELOPE__BODY_SHOWCASE && strcmp(lv[1], "show") == 0)
		on_showcase(x, lv, n, e);
	else if (e->body_case == NP__ENVELOPE__BODY_ANNOUNCEMENT && strcmp(lv[1], "ann") == 0)
		on_announcement(x, lv, n, e);
	else if (strcmp(lv[1], "rep") == 0)
		on_report(x, lv, n, e);
	np__envelope__free_unpacked(e, NULL);
	return x->nomem ? 1 : 0;
}

static int
cmp_rep_id(const void *a, const void *b)
{
	return memcmp(((const struct rep *)a)->id, ((const struct rep *)b)->id, 16);
}

/* Each report's first RESOLVED ack. */
static void
resolve(struct scan *x)
{
	struct rep key, *r;
	size_t i;

	if (x->nreps > 0)
		qsort(x->reps, x->nreps, sizeof(*x->reps), cmp_rep_id);
	for (i = 0; i < x->nres; i++) {
		memcpy(key.id, x->res[i].report, 16);
		r = bsearch(&key, x->reps, x->nreps, sizeof(*x->reps), cmp_rep_id);
		if (r != NULL && (r->resolved_ms == 0 || x->res[i].at_ms < r->resolved_ms))
			r->resolved_ms = x->res[i].at_ms;
	}
}

/* district, month, kind, village */
static int
cmp_rep_cell(const void *a, const void *b)
{
	const struct rep *p = a, *q = b;
	int c = strncmp(p->village, q->village, 4);

	if (c == 0)
		c = strcmp(p->month, q->month);
	if (c == 0)
		c = strcmp(p->kind, q->kind);
	return c != 0 ? c : strcmp(p->village, q->village);
}

static bool
same_cell(const struct rep *p, const struct rep *q)
{
	return strncmp(p->village, q->village, 4) == 0 && strcmp(p->month, q->month) == 0
	       && strcmp(p->kind, q->kind) == 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t p = *(const int64_t *)a, q = *(const int64_t *)b;

	return p < q ? -1 : p > q;
}

/* One cell from reps[from..to): a village with fewer than min_reports
 * reports in it is left out. */
static void
add_cell(struct scan *x, size_t from, size_t to, int64_t *times)
{
	struct site *s = x->s;
	struct site_cell c;
	size_t i, j, nt = 0;

	memset(&c, 0, sizeof(c));
	for (i = from; i < to; i = j) {
		for (j = i; j < to && strcmp(x->reps[j].village, x->reps[i].village) == 0; j++)
			;
		if (j - i < s->min_reports) {
			s->suppressed += (unsigned)(j - i);
			continue;
		}
		c.villages++;
		c.reports += (unsigned)(j - i);
		for (; i < j; i++) {
			if (x->reps[i].resolved_ms != 0)
				times[nt++] = x->reps[i].resolved_ms - x->reps[i].at_ms;
		}
	}
	if (c.reports == 0)
		return;
	snprintf(c.district, sizeof(c.district), "%.4s", x->reps[from].village);
	snprintf(c.month, sizeof(c.month), "%s", x->reps[from].month);
	snprintf(c.kind, sizeof(c.kind), "%s", x->reps[from].kind);
	c.resolved = (unsigned)nt;
	if (nt > 0)
		qsort(times, nt, sizeof(*times), cmp_i64);
	c.p50_ms = nt ? times[(nt - 1) / 2] : -1;
	c.p90_ms = nt ? times[(nt * 9 + 9) / 10 - 1] : -1;
	s->cells[s->ncells++] = c;
}

static void
aggregate(struct scan *x)
{
	int64_t *times;
	size_t i, j;

	resolve(x);
	if (x->nreps > 0)
		qsort(x->reps, x->nreps, sizeof(*x->reps), cmp_rep_cell);
	x->s->cells = calloc(x->nreps ? x->nreps : 1, sizeof(*x->s->cells));
	times = calloc(x->nreps ? x->nreps : 1, sizeof(*times));
	if (x->s->cells == NULL || times == NULL) {
		x->nomem = true;
		free(times);
		return;
	}
	for (i = 0; i < x->nreps; i = j) {
		for (j = i; j < x->nreps && same_cell(&x->reps[i], &x->reps[j]); j++)
			;
		add_cell(x, i, j, times);
	}
	free(times);
}

static int
newest_entry_first(const void *a, const void *b)
{
	const struct site_entry *p = a, *q = b;

	return p->at_ms != q->at_ms ? (p->at_ms < q->at_ms ? 1 : -1) : memcmp(q->id, p->id, 16);
}

static int
newest_ann_first(const void *a, const void *b)
{
	const struct site_ann *p = a, *q = b;

	return p->at_ms != q->at_ms ? (p->at_ms < q->at_ms ? 1 : -1) : memcmp(q->id, p->id, 16);
}

/* Drops the withdrawn entries and the replaced announcements; newest first. */
static void
finish(struct scan *x)
{
	struct site *s = x->s;
	size_t i, n;

	if (x->withdrawn.n > 0)
		qsort(x->withdrawn.v, x->withdrawn.n, 16, cmp_id);
	if (x->replaced.n > 0)
		qsort(x->replaced.v, x->replaced.n, 16, cmp_id);
	for (i = n = 0; i < s->nentries; i++) {
		if (id_in(&x->withdrawn, s->entries[i].id)) {
			free(s->entries[i].title);
			free(s->entries[i].desc);
			free(s->entries[i].contact);
			continue;
		}
		s->entries[n++] = s->entries[i];
	}
	s->nentries = n;
	for (i = n = 0; i < s->nanns; i++) {
		if (id_in(&x->replaced, s->anns[i].id)) {
			free(s->anns[i].title);
			free(s->anns[i].body);
			continue;
		}
		s->anns[n++] = s->anns[i];
	}
	s->nanns = n;
	if (s->nentries > 0)
		qsort(s->entries, s->nentries, sizeof(*s->entries), newest_entry_first);
	if (s->nanns > 0)
		qsort(s->anns, s->nanns, sizeof(*s->anns), newest_ann_first);
}

enum admin_rc
site_read(struct site *s, struct hub_history *h)
{
	struct scan x;
	enum admin_rc rc = ADMIN_OK;

	memset(&x, 0, sizeof(x));
	x.s = s;
	if (hub_history_each(h, 0, scan_one, &x) != 0 && !x.nomem) {
		fprintf(admin_err(), "np-admin: %s\n", hub_history_error(h));
		rc = ADMIN_FAIL;
	}
	if (rc == ADMIN_OK && !x.nomem)
		aggregate(&x);
	if (rc == ADMIN_OK && !x.nomem)
		finish(&x);
	if (x.nomem) {
		fprintf(admin_err(), "np-admin: out of memory reading the history\n");
		rc = ADMIN_FAIL;
	}
	free(x.reps);
	free(x.res);
	free(x.withdrawn.v);
	free(x.replaced.v);
	return rc;
}
