/* site.h - np-admin site build: the public site and open data (DESIGN.md "The
 * public site and open data"). site.c reads the registry and the history into a
 * struct site; site_html.c, site_feed.c and site_data.c turn it into files;
 * site_out.c writes them into a new generation directory (only what changed is
 * written again, the rest is linked from the previous one) and swaps it in.
 * Nothing here ever reads a sender, a DM, or a report's text or photo. */
#ifndef NP_SITE_H
#define NP_SITE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admin.h"

/* ---- a growing byte buffer (site_buf.c); nomem is sticky ---- */
struct site_buf {
	char *p;
	size_t n, cap;
	bool nomem;
};
void sb_add(struct site_buf *b, const void *s, size_t n);
void sb_puts(struct site_buf *b, const char *s);
void sb_printf(struct site_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_html(struct site_buf *b, const char *s);        /* text or a quoted attribute */
void sb_xml(struct site_buf *b, const char *s);         /* the same rules, for XML 1.0 */
void sb_json(struct site_buf *b, const char *s);        /* a JSON string, quotes included */
void sb_csv(struct site_buf *b, const char *s);         /* a quoted CSV cell */
void sb_iso_time(struct site_buf *b, int64_t ms);       /* 2026-01-31T12:00:00Z */
void sb_date(struct site_buf *b, int64_t ms);           /* 2026-01-31 */
void sb_free(struct site_buf *b);

/* ---- what the site shows ---- */
struct site_place {
	char code[HUB_AREA_MAX + 1];
	char *th, *en;
	size_t entries;         /* showcase entries within it */
};

enum site_kind { SITE_PRODUCT, SITE_STORY, SITE_PLACE, SITE_KINDS };

struct site_entry {
	uint8_t id[16];
	char hex[33];
	char village[9];
	enum site_kind kind;
	int64_t at_ms;
	char *title, *desc, *contact;
	int64_t price;
	const char *photo_ext;  /* "jpg", "png", "webp"; NULL: none (or not an image) */
	uint8_t *photo;
	size_t photo_len;
	bool withdrawn;
};

struct site_ann {
	uint8_t id[16];
	char hex[33];
	char area[9];
	char category[16];
	int64_t at_ms, expires_ms;
	char *title, *body;
	bool gone;              /* expired, not Actual, a Cancel, or replaced */
	bool official;          /* sent by an official or an agency: also as CAP (cap/) */
};

/* One cell of the report aggregates: a district, a month and a kind. */
struct site_cell {
	char district[5];
	char month[8];          /* YYYY-MM, UTC */
	char kind[10];
	unsigned reports, villages, resolved;
	int64_t p50_ms, p90_ms; /* report to first RESOLVED ack; -1: none resolved */
};

struct site {
	const char *out, *base_url, *geo_dir;
	unsigned min_reports;
	int64_t now_ms;
	struct site_place *places;      /* code order: provinces, districts, villages */
	size_t nplaces;
	struct site_entry *entries;     /* newest first, withdrawn ones removed */
	size_t nentries;
	struct site_ann *anns;          /* newest first, gone ones removed */
	size_t nanns;
	struct site_cell *cells;        /* district, month, kind order */
	size_t ncells;
	unsigned suppressed;            /* reports left out: under min_reports */
	struct hub_store *store;        /* borrowed, for the CAP writer */
	struct hub_history *hist;
};

#define SITE_PAGE 24                    /* entries per page */
extern const char *const site_kind_word[SITE_KINDS];   /* product, story, place */

struct hub_history;
/* Fills s's entries, announcements and cells from the history (site.c). */
enum admin_rc site_read(struct site *s, struct hub_history *h);

/* The place of a code, or NULL. */
const struct site_place *site_place(const struct site *s, const char *code);

/* ---- the output tree (site_out.c) ---- */
struct site_out;
/* Prepares a new generation beside out; reads the previous manifest. */
enum admin_rc site_out_open(struct site_out **o, const char *out);
/* One file (rel: a path under the site; data borrowed). */
enum admin_rc site_out_file(struct site_out *o, const char *rel, const void *data, size_t len);
/* Writes the manifest and swaps the new generation in; then frees o. */
enum admin_rc site_out_commit(struct site_out *o, unsigned long *written, unsigned long *kept);
void site_out_free(struct site_out *o);         /* an uncommitted build is removed */

/* ---- the parts of the site; each returns ADMIN_OK or prints why not ---- */
enum admin_rc site_html(const struct site *s, struct site_out *o);     /* pages, photos */
enum admin_rc site_feeds(const struct site *s, struct site_out *o);    /* Atom, sitemap */
enum admin_rc site_data(const struct site *s, struct site_out *o);     /* CSV, GeoJSON */
/* The CAP export of the ministry's announcements: the hook for the CAP writer
 * (DESIGN.md "CAP"); writes nothing while this tree has no CAP writer. */
enum admin_rc site_cap(const struct site *s, struct site_out *o);

/* np-admin site build OUT [options]: argv[0] is "site". */
enum admin_rc admin_site(struct hub_store *st, const char *geo_dir, int argc, char **argv);

#endif
