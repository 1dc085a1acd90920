/* site_html.c - the pages of the public site: the nation (index.html), each
 * province (p/PP/index.html) and each village with showcase entries
 * (v/VVVVVVVV/index.html), every listing newest first, SITE_PAGE entries a
 * page (page-2.html ...). Thai first, English second (lang="en" spans), plain
 * HTML and CSS: nothing needs JavaScript. Each page carries Open Graph tags
 * and the schema.org JSON-LD of what it shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"
#include "site_page.h"

static const char css[] =
	"body{font-family:Loma,Garuda,Waree,sans-serif;max-width:64rem;margin:auto;"
	"padding:1rem;line-height:1.6;color:#222}\n"
	"[lang=en]{color:#555}\na{color:#0b5394}\n"
	".entries{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));"
	"gap:1rem}\n.entry,.ann{border:1px solid #ccc;border-radius:6px;padding:.75rem}\n"
	".entry img{width:100%;height:12rem;object-fit:cover;border-radius:4px}\n"
	".entry h3,.ann h3{margin:.3rem 0}\n.meta{font-size:.9rem;color:#444}\n"
	".desc{white-space:pre-line}\n.places{columns:14rem}\n.places li{break-inside:avoid}\n"
	".pages a,.pages span{margin-right:.6rem}\nfooter{margin-top:2rem;font-size:.85rem}\n";

struct listing {
	const struct site *s;
	struct site_out *o;
	const char *dir, *root;         /* the listing's directory, and back to the root */
	const char *code;               /* "" nation, a province or a village */
	const size_t *idx;              /* its entries (indexes into s->entries) */
	size_t n;
	void (*extra)(struct site_buf *b, const struct listing *l);
};

size_t
site_pages(size_t n)
{
	return n == 0 ? 1 : (n + SITE_PAGE - 1) / SITE_PAGE;
}

void
site_page_name(char *buf, size_t len, const char *dir, size_t k)
{
	if (k <= 1)
		snprintf(buf, len, "%sindex.html", dir);
	else
		snprintf(buf, len, "%spage-%zu.html", dir, k);
}

static const char *
name_of(const struct site *s, const char *code, bool en)
{
	const struct site_place *p = site_place(s, code);

	if (code[0] == '\0')
		return en ? "Thailand" : "ประเทศไทย";
	return p ? (en ? p->en : p->th) : code;
}

/* The announcements a listing shows: the nation's on the national page, a
 * province's and its districts' on its page; none on a village's. */
static bool
shows_ann(const struct listing *l, const struct site_ann *a)
{
	if (l->code[0] == '\0')
		return strcmp(a->area, "TH") == 0;
	return strlen(l->code) == 2 && strncmp(a->area, l->code, 2) == 0;
}

static void
json_ld(struct site_buf *b, const struct listing *l, size_t from, size_t to, const char *url)
{
	const struct site *s = l->s;
	size_t i, n = 0;

	sb_puts(b, "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\","
		"\"@graph\":[");
	for (i = from; i < to; i++, n++) {
		sb_puts(b, n ? ",\n" : "\n");
		site_entry_ld(b, s, &s->entries[l->idx[i]]);
	}
	for (i = 0; from == 0 && i < s->nanns; i++) {
		if (!shows_ann(l, &s->anns[i]))
			continue;
		sb_puts(b, n++ ? ",\n" : "\n");
		site_ann_ld(b, s, &s->anns[i], url);
	}
	sb_puts(b, "\n]}</script>\n");
}

static void
head(struct site_buf *b, const struct listing *l, size_t k, size_t from, size_t to)
{
	const struct site *s = l->s;
	char rel[64], url[600];
	size_t i;

	site_page_name(rel, sizeof(rel), l->dir, k);
	snprintf(url, sizeof(url), "%s%s", s->base_url, rel);
	sb_puts(b, "<!DOCTYPE html>\n<html lang=\"th\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	sb_html(b, name_of(s, l->code, false));
	sb_puts(b, " · ");
	sb_html(b, name_of(s, l->code, true));
	sb_printf(b, " — เน็ตประชารัฐ Net Pracharat%s</title>\n", k > 1 ? " (2+)" : "");
	sb_printf(b, "<link rel=\"canonical\" href=\"%s\">\n", url);
	if (l->code[0] == '\0')
		sb_printf(b, "<link rel=\"alternate\" type=\"application/atom+xml\" "
			  "href=\"%sfeed.atom\">\n", l->root);
	else
		sb_printf(b, "<link rel=\"alternate\" type=\"application/atom+xml\" "
			  "href=\"%sp/%.2s/feed.atom\">\n", l->root, l->code);
	sb_puts(b, "<meta name=\"description\" content=\"สินค้า เรื่องราว และสถานที่ของหมู่บ้าน: ");
	sb_html(b, name_of(s, l->code, false));
	sb_puts(b, ". Products, stories and places of the villages: ");
	sb_html(b, name_of(s, l->code, true));
	sb_puts(b, "\">\n<meta property=\"og:type\" content=\"website\">\n"
		"<meta property=\"og:site_name\" content=\"เน็ตประชารัฐ Net Pracharat\">\n"
		"<meta property=\"og:locale\" content=\"th_TH\">\n"
		"<meta property=\"og:locale:alternate\" content=\"en_US\">\n"
		"<meta property=\"og:title\" content=\"");
	sb_html(b, name_of(s, l->code, false));
	sb_puts(b, " · ");
	sb_html(b, name_of(s, l->code, true));
	sb_printf(b, "\">\n<meta property=\"og:url\" content=\"%s\">\n", url);
	for (i = from; i < to; i++) {
		const struct site_entry *e = &s->entries[l->idx[i]];

		if (e->photo_ext != NULL) {
			sb_printf(b, "<meta property=\"og:image\" content=\"%sphoto/%s.%s\">\n",
				  s->base_url, e->hex, e->photo_ext);
			break;
		}
	}
	sb_printf(b, "<style>\n%s</style>\n", css);
	json_ld(b, l, from, to, url);
	sb_puts(b, "</head>\n<body>\n");
}

static void
breadcrumbs(struct site_buf *b, const struct listing *l)
{
	char prov[3];

	sb_printf(b, "<header>\n<p><a href=\"%sindex.html\">เน็ตประชารัฐ <span lang=\"en\">"
		  "Net Pracharat villages</span></a>", l->root);
	if (strlen(l->code) == 8) {
		snprintf(prov, sizeof(prov), "%.2s", l->code);
		sb_printf(b, " › <a href=\"%sp/%s/index.html\">", l->root, prov);
		sb_html(b, name_of(l->s, prov, false));
		sb_puts(b, " <span lang=\"en\">");
		sb_html(b, name_of(l->s, prov, true));
		sb_puts(b, "</span></a>");
	}
	sb_puts(b, "</p>\n<h1>");
	if (strlen(l->code) == 8) {
		site_where(b, l->s, l->code, false);
		sb_puts(b, " <span lang=\"en\">");
		site_where(b, l->s, l->code, true);
	} else {
		sb_html(b, name_of(l->s, l->code, false));
		sb_puts(b, " <span lang=\"en\">");
		sb_html(b, name_of(l->s, l->code, true));
	}
	sb_puts(b, "</span></h1>\n</header>\n<main>\n");
}

static void
announcements(struct site_buf *b, const struct listing *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->s->nanns; i++) {
		if (!shows_ann(l, &l->s->anns[i]))
			continue;
		if (n++ == 0)
			sb_puts(b, "<section>\n<h2>ประกาศ <span lang=\"en\">Announcements</span></h2>\n");
		site_ann_html(b, l->s, &l->s->anns[i]);
	}
	if (n > 0)
		sb_puts(b, "</section>\n");
}

static void
pager(struct site_buf *b, const struct listing *l, size_t k, size_t pages)
{
	char name[64];

	if (pages <= 1)
		return;
	sb_puts(b, "<nav class=\"pages\">");
	if (k > 1) {
		site_page_name(name, sizeof(name), "", k - 1);
		sb_printf(b, "<a href=\"%s\" rel=\"prev\">‹ ก่อนหน้า <span lang=\"en\">newer</span></a>",
			  name);
	}
	sb_printf(b, "<span>หน้า <span lang=\"en\">page</span> %zu / %zu</span>", k, pages);
	if (k < pages) {
		site_page_name(name, sizeof(name), "", k + 1);
		sb_printf(b, "<a href=\"%s\" rel=\"next\">ถัดไป <span lang=\"en\">older</span> ›</a>",
			  name);
	}
	sb_puts(b, "</nav>\n");
	(void)l;
}

static void
foot(struct site_buf *b)
{
	sb_puts(b, "</main>\n<footer>\n<p>ข้อมูลจากอาสาสมัครเน็ตประชารัฐ ไม่มีชื่อบุคคล "
		"<span lang=\"en\">From the Net Pracharat village volunteers; no person's name "
		"is published.</span> ข้อมูลเปิด <span lang=\"en\">Open data</span>: CC BY 4.0.</p>\n"
		"</footer>\n</body>\n</html>\n");
}

static enum admin_rc
listing(const struct listing *l)
{
	struct site_buf b = { 0 };
	size_t k, from, to, i, pages = site_pages(l->n);
	enum admin_rc rc = ADMIN_OK;
	char rel[64];

	for (k = 1; rc == ADMIN_OK && k <= pages; k++) {
		from = (k - 1) * SITE_PAGE;
		to = from + SITE_PAGE < l->n ? from + SITE_PAGE : l->n;
		b.n = 0;
		head(&b, l, k, from, to);
		breadcrumbs(&b, l);
		if (k == 1) {
			announcements(&b, l);
			if (l->extra != NULL)
				l->extra(&b, l);
		}
		sb_puts(&b, "<section>\n<h2>สินค้า เรื่องราว และสถานที่ <span lang=\"en\">Products, "
			"stories and places</span></h2>\n");
		if (l->n == 0)
			sb_puts(&b, "<p>ยังไม่มี <span lang=\"en\">None yet.</span></p>\n");
		sb_puts(&b, "<div class=\"entries\">\n");
		for (i = from; i < to; i++)
			site_entry_html(&b, l->s, &l->s->entries[l->idx[i]], l->root);
		sb_puts(&b, "</div>\n");
		pager(&b, l, k, pages);
		sb_puts(&b, "</section>\n");
		foot(&b);
		site_page_name(rel, sizeof(rel), l->dir, k);
		rc = b.nomem ? ADMIN_FAIL : site_out_file(l->o, rel, b.p, b.n);
	}
	sb_free(&b);
	return rc;
}

/* The nation's extra: every province, with its number of entries. */
static void
provinces(struct site_buf *b, const struct listing *l)
{
	const struct site *s = l->s;
	size_t i;

	sb_puts(b, "<section>\n<h2>จังหวัด <span lang=\"en\">Provinces</span></h2>\n"
		"<ul class=\"places\">\n");
	for (i = 0; i < s->nplaces; i++) {
		if (strlen(s->places[i].code) != 2)
			continue;
		sb_printf(b, "<li><a href=\"p/%s/index.html\">", s->places[i].code);
		sb_html(b, s->places[i].th);
		sb_puts(b, " <span lang=\"en\">");
		sb_html(b, s->places[i].en);
		sb_printf(b, "</span></a> (%zu)</li>\n", s->places[i].entries);
	}
	sb_puts(b, "</ul>\n<p><a href=\"data/index.html\">ข้อมูลเปิด <span lang=\"en\">Open "
		"data</span></a> · <a href=\"feed.atom\">Atom</a></p>\n</section>\n");
}

/* A province's extra: its villages with entries, its open data and feed. */
static void
villages(struct site_buf *b, const struct listing *l)
{
	const struct site *s = l->s;
	size_t i, n = 0;

	for (i = 0; i < s->nplaces; i++) {
		if (strlen(s->places[i].code) != 8 || strncmp(s->places[i].code, l->code, 2) != 0
		    || s->places[i].entries == 0)
			continue;
		if (n++ == 0)
			sb_puts(b, "<section>\n<h2>หมู่บ้าน <span lang=\"en\">Villages</span></h2>\n"
				"<ul class=\"places\">\n");
		sb_printf(b, "<li><a href=\"../../v/%s/index.html\">", s->places[i].code);
		site_where(b, s, s->places[i].code, false);
		sb_puts(b, " <span lang=\"en\">");
		site_where(b, s, s->places[i].code, true);
		sb_printf(b, "</span></a> (%zu)</li>\n", s->places[i].entries);
	}
	if (n > 0)
		sb_puts(b, "</ul>\n</section>\n");
	sb_printf(b, "<section>\n<h2>ข้อมูลเปิด <span lang=\"en\">Open data</span></h2>\n<ul>\n"
		  "<li><a href=\"../../data/%s/showcase.csv\">showcase.csv</a>, "
		  "<a href=\"../../data/%s/showcase.geojson\">showcase.geojson</a></li>\n"
		  "<li><a href=\"../../data/%s/reports.csv\">reports.csv</a>, "
		  "<a href=\"../../data/%s/reports.geojson\">reports.geojson</a></li>\n"
		  "<li><a href=\"../../data/%s/datapackage.json\">datapackage.json</a> · "
		  "<a href=\"feed.atom\">Atom</a></li>\n</ul>\n</section>\n",
		  l->code, l->code, l->code, l->code, l->code);
}

static const struct site *sort_site;    /* qsort has no context argument */

static int
by_village(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(sort_site->entries[i].village, sort_site->entries[j].village);

	return c != 0 ? c : (i > j) - (i < j);
}

static enum admin_rc
village_pages(const struct site *s, struct site_out *o, size_t *idx)
{
	struct listing l = { s, o, NULL, "../../", NULL, NULL, 0, NULL };
	char dir[16];
	size_t i, j;
	enum admin_rc rc = ADMIN_OK;

	for (i = 0; i < s->nentries; i++)
		idx[i] = i;
	sort_site = s;
	if (s->nentries > 0)
		qsort(idx, s->nentries, sizeof(*idx), by_village);
	for (i = 0; rc == ADMIN_OK && i < s->nentries; i = j) {
		for (j = i; j < s->nentries
		     && strcmp(s->entries[idx[j]].village, s->entries[idx[i]].village) == 0; j++)
			;
		snprintf(dir, sizeof(dir), "v/%s/", s->entries[idx[i]].village);
		l.dir = dir;
		l.code = s->entries[idx[i]].village;
		l.idx = idx + i;
		l.n = j - i;
		rc = listing(&l);
	}
	return rc;
}

enum admin_rc
site_html(const struct site *s, struct site_out *o)
{
	struct listing l = { s, o, "", "", "", NULL, s->nentries, provinces };
	size_t *idx = calloc(s->nentries + 1, sizeof(*idx));
	char dir[16];
	size_t i, k, n;
	enum admin_rc rc;

	if (idx == NULL)
		return ADMIN_FAIL;
	for (i = 0; i < s->nentries; i++)
		idx[i] = i;
	l.idx = idx;
	rc = listing(&l);
	for (k = 0; rc == ADMIN_OK && k < s->nplaces; k++) {
		if (strlen(s->places[k].code) != 2)
			continue;
		for (i = n = 0; i < s->nentries; i++) {
			if (strncmp(s->entries[i].village, s->places[k].code, 2) == 0)
				idx[n++] = i;
		}
		snprintf(dir, sizeof(dir), "p/%s/", s->places[k].code);
		l = (struct listing){ s, o, dir, "../../", s->places[k].code, idx, n, villages };
		rc = listing(&l);
	}
	if (rc == ADMIN_OK)
		rc = village_pages(s, o, idx);
	free(idx);
	return rc;
}
