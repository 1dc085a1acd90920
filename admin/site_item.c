/* site_item.c - one showcase entry or announcement of the public site, as HTML
 * (Thai first, English second) and as schema.org JSON-LD: a product is a
 * Product (with an Offer in baht when it has a price), a place a
 * TouristAttraction, a story an Article; an announcement of category event an
 * Event, any other a SpecialAnnouncement. Every text goes through site_buf.c's
 * escapes; no sender is ever written. */
#include <stdio.h>
#include <string.h>

#include "site.h"
#include "site_page.h"

static const char *const kind_th[SITE_KINDS] = { "สินค้า", "เรื่องราว", "สถานที่ท่องเที่ยว" };
static const char *const kind_en[SITE_KINDS] = { "Product", "Story", "Place to visit" };

static const struct { const char *word, *th, *en; } categories[] = {
	{ "weather", "สภาพอากาศ", "Weather" },   { "agriculture", "เกษตร", "Agriculture" },
	{ "health", "สุขภาพ", "Health" },        { "commerce", "การค้า", "Commerce" },
	{ "education", "การศึกษา", "Education" }, { "event", "กิจกรรม", "Event" },
	{ "network", "เครือข่าย", "Network" },    { "emergency", "เหตุฉุกเฉิน", "Emergency" },
	{ "general", "ทั่วไป", "General" },
};

static void
category(const char *word, const char **th, const char **en)
{
	size_t i;

	*th = *en = word;
	for (i = 0; i < sizeof(categories) / sizeof(categories[0]); i++) {
		if (strcmp(word, categories[i].word) == 0) {
			*th = categories[i].th;
			*en = categories[i].en;
		}
	}
}

const char *
site_kind_th(enum site_kind k)
{
	return kind_th[k];
}

const char *
site_kind_en(enum site_kind k)
{
	return kind_en[k];
}

/* "Mu 1, Si Phum, Mueang Chiang Mai, Chiang Mai" in one language. */
static void
where(struct site_buf *b, const struct site *s, const char *village, bool en, bool html)
{
	static const int lens[] = { 8, 6, 4, 2 };
	const struct site_place *p;
	char code[9];
	int k, n = 0;

	for (k = 0; k < 4; k++) {
		snprintf(code, sizeof(code), "%.*s", lens[k], village);
		if ((p = site_place(s, code)) == NULL)
			continue;
		sb_puts(b, n++ ? ", " : "");
		(html ? sb_html : sb_xml)(b, en ? p->en : p->th);
	}
}

void
site_where(struct site_buf *b, const struct site *s, const char *village, bool en)
{
	where(b, s, village, en, true);
}

void
site_entry_html(struct site_buf *b, const struct site *s, const struct site_entry *e,
		const char *root)
{
	sb_printf(b, "<article class=\"entry\" id=\"e-%s\">\n", e->hex);
	if (e->photo_ext != NULL) {
		sb_printf(b, "<img src=\"%sphoto/%s.%s\" alt=\"", root, e->hex, e->photo_ext);
		sb_html(b, e->title);
		sb_puts(b, "\" loading=\"lazy\">\n");
	}
	sb_puts(b, "<h3>");
	sb_html(b, e->title);
	sb_printf(b, "</h3>\n<p class=\"meta\">%s <span lang=\"en\">%s</span> · "
		  "<a href=\"%sv/%s/index.html\">", kind_th[e->kind], kind_en[e->kind], root,
		  e->village);
	where(b, s, e->village, false, true);
	sb_puts(b, "</a> <span lang=\"en\">(");
	where(b, s, e->village, true, true);
	sb_puts(b, ")</span> · <time datetime=\"");
	sb_iso_time(b, e->at_ms);
	sb_puts(b, "\">");
	sb_date(b, e->at_ms);
	sb_puts(b, "</time></p>\n");
	if (e->desc[0] != '\0') {
		sb_puts(b, "<p class=\"desc\">");
		sb_html(b, e->desc);
		sb_puts(b, "</p>\n");
	}
	if (e->price > 0)
		sb_printf(b, "<p class=\"price\">ราคา <span lang=\"en\">Price</span>: %lld บาท "
			  "<span lang=\"en\">THB</span></p>\n", (long long)e->price);
	if (e->contact[0] != '\0') {
		sb_puts(b, "<p class=\"contact\">ติดต่อ <span lang=\"en\">Contact</span>: ");
		sb_html(b, e->contact);
		sb_puts(b, "</p>\n");
	}
	sb_puts(b, "</article>\n");
}

/* "@id", name, url and image: the properties every entry type shares. */
static void
ld_common(struct site_buf *b, const struct site *s, const struct site_entry *e,
	  const char *name_key)
{
	sb_printf(b, "{\"@type\":\"%s\",\"@id\":\"%sv/%s/index.html#e-%s\",\"%s\":",
		  e->kind == SITE_PRODUCT ? "Product" : e->kind == SITE_PLACE ? "TouristAttraction"
		  : "Article", s->base_url, e->village, e->hex, name_key);
	sb_json(b, e->title);
	sb_printf(b, ",\"url\":\"%sv/%s/index.html#e-%s\"", s->base_url, e->village, e->hex);
	if (e->desc[0] != '\0') {
		sb_puts(b, ",\"description\":");
		sb_json(b, e->desc);
	}
	if (e->photo_ext != NULL)
		sb_printf(b, ",\"image\":\"%sphoto/%s.%s\"", s->base_url, e->hex, e->photo_ext);
}

static void
ld_address(struct site_buf *b, const struct site *s, const char *village)
{
	const struct site_place *v = site_place(s, village);
	char prov[3];

	snprintf(prov, sizeof(prov), "%.2s", village);
	sb_puts(b, "{\"@type\":\"PostalAddress\",\"addressCountry\":\"TH\",\"addressLocality\":");
	sb_json(b, v ? v->th : village);
	sb_puts(b, ",\"addressRegion\":");
	sb_json(b, site_place(s, prov) ? site_place(s, prov)->th : prov);
	sb_puts(b, "}");
}

void
site_entry_ld(struct site_buf *b, const struct site *s, const struct site_entry *e)
{
	const struct site_place *v = site_place(s, e->village);

	ld_common(b, s, e, e->kind == SITE_STORY ? "headline" : "name");
	if (e->kind == SITE_PRODUCT && e->price > 0)
		sb_printf(b, ",\"offers\":{\"@type\":\"Offer\",\"price\":\"%lld\",\"priceCurrency\":"
			  "\"THB\",\"availability\":\"https://schema.org/InStock\"}",
			  (long long)e->price);
	if (e->kind == SITE_PLACE) {
		sb_puts(b, ",\"address\":");
		ld_address(b, s, e->village);
	}
	if (e->kind == SITE_STORY) {
		sb_puts(b, ",\"datePublished\":\"");
		sb_iso_time(b, e->at_ms);
		sb_puts(b, "\",\"author\":{\"@type\":\"Organization\",\"name\":");
		sb_json(b, v ? v->th : e->village);
		sb_puts(b, "}");
	}
	sb_puts(b, "}");
}

static const char *
area_name(const struct site *s, const char *area, bool en)
{
	const struct site_place *p = site_place(s, area);

	if (strcmp(area, "TH") == 0)
		return en ? "Thailand" : "ประเทศไทย";
	return p ? (en ? p->en : p->th) : area;
}

void
site_ann_html(struct site_buf *b, const struct site *s, const struct site_ann *a)
{
	const char *th, *en;

	category(a->category, &th, &en);
	sb_printf(b, "<article class=\"ann\" id=\"a-%s\">\n<h3>", a->hex);
	sb_html(b, a->title);
	sb_printf(b, "</h3>\n<p class=\"meta\">%s <span lang=\"en\">%s</span> · ", th, en);
	sb_html(b, area_name(s, a->area, false));
	sb_puts(b, " <span lang=\"en\">(");
	sb_html(b, area_name(s, a->area, true));
	sb_puts(b, ")</span> · <time datetime=\"");
	sb_iso_time(b, a->at_ms);
	sb_puts(b, "\">");
	sb_date(b, a->at_ms);
	sb_puts(b, "</time>");
	if (a->expires_ms != 0) {
		sb_puts(b, " · ถึง <span lang=\"en\">until</span> <time datetime=\"");
		sb_iso_time(b, a->expires_ms);
		sb_puts(b, "\">");
		sb_iso_time(b, a->expires_ms);
		sb_puts(b, "</time>");
	}
	sb_puts(b, "</p>\n");
	if (a->body[0] != '\0') {
		sb_puts(b, "<p class=\"desc\">");
		sb_html(b, a->body);
		sb_puts(b, "</p>\n");
	}
	sb_puts(b, "</article>\n");
}

void
site_ann_ld(struct site_buf *b, const struct site *s, const struct site_ann *a, const char *url)
{
	bool event = strcmp(a->category, "event") == 0;

	sb_printf(b, "{\"@type\":\"%s\",\"@id\":\"%s#a-%s\",\"name\":",
		  event ? "Event" : "SpecialAnnouncement", url, a->hex);
	sb_json(b, a->title);
	sb_printf(b, ",\"url\":\"%s#a-%s\",\"%s\":", url, a->hex, event ? "description" : "text");
	sb_json(b, a->body[0] != '\0' ? a->body : a->title);
	sb_printf(b, ",\"%s\":\"", event ? "startDate" : "datePosted");
	sb_iso_time(b, a->at_ms);
	sb_puts(b, "\"");
	if (a->expires_ms != 0) {
		sb_printf(b, ",\"%s\":\"", event ? "endDate" : "expires");
		sb_iso_time(b, a->expires_ms);
		sb_puts(b, "\"");
	}
	if (event) {
		sb_puts(b, ",\"eventAttendanceMode\":\"https://schema.org/OfflineEventAttendanceMode\""
			",\"location\":{\"@type\":\"Place\",\"name\":");
		sb_json(b, area_name(s, a->area, false));
		sb_puts(b, ",\"address\":{\"@type\":\"PostalAddress\",\"addressCountry\":\"TH\","
			"\"addressRegion\":");
		sb_json(b, area_name(s, a->area, false));
		sb_puts(b, "}}}");
	} else {
		sb_puts(b, ",\"spatialCoverage\":{\"@type\":\"AdministrativeArea\",\"name\":");
		sb_json(b, area_name(s, a->area, false));
		sb_puts(b, "}}");
	}
}
