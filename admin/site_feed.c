#define _GNU_SOURCE             /* asprintf */
/* site_feed.c - the Atom feeds (RFC 4287) of the public site, one for the
 * nation (feed.atom) and one per province (p/PP/feed.atom): the newest
 * showcase entries and announcements; and sitemap.xml (sitemaps.org 0.9) of
 * every page, split into sitemap-N.xml under an index past 50,000 pages.
 * The feed's author is the network, never a person. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_cmd.h"
#include "site.h"
#include "site_page.h"

#define FEED_MAX 50
#define SITEMAP_MAX 50000

static void
urn(struct site_buf *b, const char *hex)
{
	sb_printf(b, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
		  hex + 20);
}

static void
feed_entry(struct site_buf *b, const struct site *s, const struct site_entry *e)
{
	const char *ext = e->photo_ext ? e->photo_ext : "";
	const char *type = strcmp(ext, "jpg") == 0 ? "image/jpeg"
			   : strcmp(ext, "png") == 0 ? "image/png" : "image/webp";

	sb_puts(b, "<entry>\n<id>");
	urn(b, e->hex);
	sb_puts(b, "</id>\n<title type=\"text\">");
	sb_xml(b, e->title);
	sb_puts(b, "</title>\n<updated>");
	sb_iso_time(b, e->at_ms);
	sb_printf(b, "</updated>\n<category term=\"%s\"/>\n<link rel=\"alternate\" "
		  "type=\"text/html\" href=\"%sv/%s/index.html#e-%s\"/>\n",
		  site_kind_word[e->kind], s->base_url, e->village, e->hex);
	if (e->photo_ext != NULL)
		sb_printf(b, "<link rel=\"enclosure\" type=\"%s\" href=\"%sphoto/%s.%s\"/>\n", type,
			  s->base_url, e->hex, e->photo_ext);
	sb_puts(b, "<summary type=\"text\">");
	sb_xml(b, e->desc[0] != '\0' ? e->desc : e->title);
	if (e->price > 0)
		sb_printf(b, " (%lld THB)", (long long)e->price);
	sb_puts(b, "</summary>\n</entry>\n");
}

static void
feed_ann(struct site_buf *b, const struct site *s, const struct site_ann *a, const char *page)
{
	sb_puts(b, "<entry>\n<id>");
	urn(b, a->hex);
	sb_puts(b, "</id>\n<title type=\"text\">");
	sb_xml(b, a->title);
	sb_puts(b, "</title>\n<updated>");
	sb_iso_time(b, a->at_ms);
	sb_printf(b, "</updated>\n<category term=\"announcement/%s\"/>\n<link rel=\"alternate\" "
		  "type=\"text/html\" href=\"%s%s#a-%s\"/>\n<summary type=\"text\">", a->category,
		  s->base_url, page, a->hex);
	sb_xml(b, a->body[0] != '\0' ? a->body : a->title);
	sb_puts(b, "</summary>\n</entry>\n");
}

/* One feed: code "" (nation) or a province. */
static enum admin_rc
feed(const struct site *s, struct site_out *o, const char *code, const char *th,
     const char *en)
{
	struct site_buf b = { 0 };
	char rel[32], page[32];
	size_t ie, ia, n = 0;
	int64_t updated = 0;
	enum admin_rc rc;
	bool nation = code[0] == '\0';

	snprintf(rel, sizeof(rel), nation ? "feed.atom" : "p/%s/feed.atom", code);
	snprintf(page, sizeof(page), nation ? "index.html" : "p/%s/index.html", code);
	/* the entries and announcements it shows, merged newest first */
	for (ie = 0; ie < s->nentries && (nation || strncmp(s->entries[ie].village, code, 2)); ie++)
		;
	for (ia = 0; ia < s->nanns && (nation ? strcmp(s->anns[ia].area, "TH")
				       : strncmp(s->anns[ia].area, code, 2)); ia++)
		;
	if (ie < s->nentries)
		updated = s->entries[ie].at_ms;
	if (ia < s->nanns && s->anns[ia].at_ms > updated)
		updated = s->anns[ia].at_ms;
	sb_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"th\">\n<id>");
	sb_xml(&b, s->base_url);
	sb_printf(&b, "%s</id>\n<title type=\"text\">", rel);
	sb_xml(&b, th);
	sb_puts(&b, " · ");
	sb_xml(&b, en);
	sb_puts(&b, " — เน็ตประชารัฐ Net Pracharat</title>\n<updated>");
	sb_iso_time(&b, updated);
	sb_printf(&b, "</updated>\n<author><name>เน็ตประชารัฐ Net Pracharat</name></author>\n"
		  "<link rel=\"self\" type=\"application/atom+xml\" href=\"%s%s\"/>\n"
		  "<link rel=\"alternate\" type=\"text/html\" href=\"%s%s\"/>\n",
		  s->base_url, rel, s->base_url, page);
	while (n < FEED_MAX && (ie < s->nentries || ia < s->nanns)) {
		if (ia >= s->nanns || (ie < s->nentries && s->entries[ie].at_ms >= s->anns[ia].at_ms))
			feed_entry(&b, s, &s->entries[ie++]);
		else
			feed_ann(&b, s, &s->anns[ia++], page);
		n++;
		while (ie < s->nentries && !nation && strncmp(s->entries[ie].village, code, 2))
			ie++;
		while (ia < s->nanns && (nation ? strcmp(s->anns[ia].area, "TH")
					 : strncmp(s->anns[ia].area, code, 2)))
			ia++;
	}
	sb_puts(&b, "</feed>\n");
	rc = b.nomem ? ADMIN_FAIL : site_out_file(o, rel, b.p, b.n);
	sb_free(&b);
	return rc;
}

struct sitemap {
	const struct site *s;
	struct site_out *o;
	struct site_buf b, index;
	size_t n, files;
	enum admin_rc rc;
};

static void
sitemap_flush(struct sitemap *m)
{
	char rel[32];

	if (m->b.n == 0)
		return;
	sb_puts(&m->b, "</urlset>\n");
	snprintf(rel, sizeof(rel), "sitemap-%zu.xml", ++m->files);
	if (m->rc == ADMIN_OK)
		m->rc = m->b.nomem ? ADMIN_FAIL : site_out_file(m->o, rel, m->b.p, m->b.n);
	sb_printf(&m->index, "<sitemap><loc>%s%s</loc></sitemap>\n", m->s->base_url, rel);
	m->b.n = 0;
}

/* The pages of a listing of n entries under dir. */
static void
sitemap_add(struct sitemap *m, const char *dir, size_t n)
{
	char rel[64];
	size_t k;

	for (k = 1; k <= site_pages(n); k++) {
		if (m->b.n == 0)
			sb_puts(&m->b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\""
				"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
		site_page_name(rel, sizeof(rel), dir, k);
		sb_printf(&m->b, "<url><loc>%s%s</loc></url>\n", m->s->base_url, rel);
		if (++m->n % SITEMAP_MAX == 0)
			sitemap_flush(m);
	}
}

static enum admin_rc
sitemap(const struct site *s, struct site_out *o)
{
	struct sitemap m = { s, o, { 0 }, { 0 }, 0, 0, ADMIN_OK };
	char dir[16];
	size_t i;

	sitemap_add(&m, "", s->nentries);
	for (i = 0; i < s->nplaces; i++) {
		if (strlen(s->places[i].code) == 2) {
			snprintf(dir, sizeof(dir), "p/%s/", s->places[i].code);
			sitemap_add(&m, dir, s->places[i].entries);
		}
	}
	for (i = 0; i < s->nplaces; i++) {
		if (strlen(s->places[i].code) == 8 && s->places[i].entries > 0) {
			snprintf(dir, sizeof(dir), "v/%s/", s->places[i].code);
			sitemap_add(&m, dir, s->places[i].entries);
		}
	}
	if (m.files == 0 && m.rc == ADMIN_OK) {         /* one file: it is sitemap.xml */
		sb_puts(&m.b, "</urlset>\n");
		m.rc = m.b.nomem ? ADMIN_FAIL : site_out_file(o, "sitemap.xml", m.b.p, m.b.n);
	} else if (m.rc == ADMIN_OK) {
		sitemap_flush(&m);
		m.b.n = 0;
		sb_puts(&m.b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<sitemapindex xmlns=\""
			"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
		sb_add(&m.b, m.index.p ? m.index.p : "", m.index.n);
		sb_puts(&m.b, "</sitemapindex>\n");
		m.rc = m.b.nomem ? ADMIN_FAIL : site_out_file(o, "sitemap.xml", m.b.p, m.b.n);
	}
	sb_free(&m.b);
	sb_free(&m.index);
	return m.rc;
}

enum admin_rc
site_feeds(const struct site *s, struct site_out *o)
{
	enum admin_rc rc = feed(s, o, "", "ประเทศไทย", "Thailand");
	char robots[700];
	size_t i;

	for (i = 0; rc == ADMIN_OK && i < s->nplaces; i++) {
		if (strlen(s->places[i].code) == 2)
			rc = feed(s, o, s->places[i].code, s->places[i].th, s->places[i].en);
	}
	if (rc == ADMIN_OK)
		rc = sitemap(s, o);
	snprintf(robots, sizeof(robots), "User-agent: *\nAllow: /\nSitemap: %ssitemap.xml\n",
		 s->base_url);
	return rc == ADMIN_OK ? site_out_file(o, "robots.txt", robots, strlen(robots)) : rc;
}

/* cap/: the current public announcements of officials and agencies (the
 * ministry's, the provinces', the TMD's) as CAP 1.2 files, np-<id>.xml, each
 * valid against CAP-v1.2.xsd, written by np-admin cap export's writer, and
 * cap/index.atom listing them, newest first. */
enum admin_rc
site_cap(const struct site *s, struct site_out *o)
{
	struct admin_cap_entry *e = calloc(s->nanns ? s->nanns : 1, sizeof(*e));
	char (*hrefs)[48] = calloc(s->nanns ? s->nanns : 1, sizeof(*hrefs));
	enum admin_rc rc = e != NULL && hrefs != NULL ? ADMIN_OK : ADMIN_FAIL;
	char path[64], *buf = NULL, *feed_id = NULL;
	int64_t newest = 0;
	size_t i, n = 0, len = 0;
	FILE *f;

	for (i = 0; rc == ADMIN_OK && i < s->nanns; i++) {
		const struct site_ann *an = &s->anns[i];

		if (!an->official || an->gone)
			continue;
		f = open_memstream(&buf, &len);
		rc = f == NULL ? ADMIN_FAIL : admin_cap_write(s->store, s->hist, an->id, f);
		if (f != NULL && fclose(f) != 0)
			rc = ADMIN_FAIL;
		snprintf(hrefs[n], sizeof(hrefs[n]), "np-%s.xml", an->hex);
		snprintf(path, sizeof(path), "cap/%s", hrefs[n]);
		if (rc == ADMIN_OK)
			rc = site_out_file(o, path, buf, len);
		free(buf);
		buf = NULL;
		e[n].title = an->title != NULL ? an->title : "";
		e[n].href = hrefs[n];
		memcpy(e[n].id, an->id, 16);
		e[n].updated_ms = an->at_ms;
		newest = an->at_ms > newest ? an->at_ms : newest;
		n++;
	}
	if (rc == ADMIN_OK && asprintf(&feed_id, "%scap/index.atom",
				       s->base_url != NULL ? s->base_url : "urn:np-hub:") < 0)
		rc = ADMIN_FAIL;
	if (rc == ADMIN_OK) {
		f = open_memstream(&buf, &len);
		rc = f == NULL ? ADMIN_FAIL
			       : admin_cap_atom(f, feed_id, "ประกาศเตือนภัย · Warnings (CAP 1.2)",
						"index.atom", e, n, newest ? newest : s->now_ms);
		if (f != NULL && fclose(f) != 0)
			rc = ADMIN_FAIL;
		if (rc == ADMIN_OK)
			rc = site_out_file(o, "cap/index.atom", buf, len);
		free(buf);
	}
	if (rc != ADMIN_OK)
		fprintf(admin_err(), "np-admin: site: cannot write the CAP files (cap/)\n");
	free(feed_id);
	free(e);
	free(hrefs);
	return rc;
}
