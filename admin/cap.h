/* cap.h - OASIS CAP 1.2 alerts in np-admin (DESIGN.md "CAP"): reading one
 * (cap_parse.c: libxml2, the official schema, an optional XML signature in
 * cap_sig.c), finding its provinces (cap_geo.c), importing it through the hub
 * (cap_import.c) and writing an announcement back out as CAP (cap_export.c).
 *
 * A parsed alert owns every string it points to; cap_alert_free frees them. */
#ifndef NP_ADMIN_CAP_H
#define NP_ADMIN_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAP_MAX_BYTES (10u * 1000 * 1000)       /* a CAP file over this is refused */
#define CAP_NS "urn:oasis:names:tc:emergency:cap:1.2"

struct cap_ref {                /* one "sender,identifier,sent" of <references> */
	char *sender, *identifier, *sent;
	int64_t sent_ms;
};

struct cap_area {
	char *desc;
	char **polygons, **circles, **geo_names, **geo_values;
	size_t npolygons, ncircles, ngeocodes;
};

struct cap_info {
	char *language, *event, *urgency, *severity, *certainty, *sender_name;
	char *headline, *description, *instruction, *expires;
	char **categories;
	size_t ncategories;
	int64_t expires_ms;     /* 0: no <expires> */
	struct cap_area *areas;
	size_t nareas;
};

struct cap_alert {
	char *identifier, *sender, *sent, *status, *msg_type, *scope;
	int64_t sent_ms;
	struct cap_ref *refs;
	size_t nrefs;
	struct cap_info *infos;
	size_t ninfos;
	void **owned;           /* everything above, freed by cap_alert_free */
	size_t nowned, capowned;
};

struct cap_reader;              /* the schema and, if asked, the signing certificate */

/* Loads the schema (xsd_path) and, when cert_path is not NULL, the
 * certificate whose key every alert's XML signature must verify with. */
int cap_reader_new(struct cap_reader **out, const char *xsd_path, const char *cert_path,
		   char *why, size_t whylen);
void cap_reader_free(struct cap_reader *r);     /* NULL is fine */

/* Reads the file at path (at most CAP_MAX_BYTES, no DOCTYPE or entity, no
 * network), checks it against the schema (and the signature) and fills *a.
 * 0, or -1 with why ("line 12: ..."); a is then empty. */
int cap_read_file(struct cap_reader *r, const char *path, struct cap_alert *a, char *why,
		  size_t whylen);
void cap_alert_free(struct cap_alert *a);

/* xs:dateTime as CAP writes it (2026-09-23T05:49:00+07:00) to ms since 1970;
 * -1 when it is not one. */
int64_t cap_time_parse(const char *s);
/* ms since 1970 as a CAP time in Thailand's zone (+07:00); out >= 26 bytes. */
void cap_time_format(int64_t ms, char *out, size_t outlen);

/* The np-hub category of a CAP <category> (Met -> weather, ...). */
const char *cap_category_to_np(const char *cap);
/* The CAP <category> of an np-hub category (weather -> Met, ...; Other). */
const char *cap_category_from_np(const char *np);

/* ---- provinces (cap_geo.c) ---- */
struct cap_geo;
#define CAP_PROVINCES_MAX 100

/* provinces.csv now, provinces.geojson when a polygon first needs it. */
int cap_geo_open(struct cap_geo **out, const char *geo_dir, char *why, size_t whylen);
void cap_geo_close(struct cap_geo *g);          /* NULL is fine */
size_t cap_geo_count(const struct cap_geo *g);
const char *cap_geo_code(const struct cap_geo *g, size_t i);
/* Marks in hit[] (cap_geo_count entries) the provinces area names, by its
 * geocodes (TIS-1099, ISO3166-2 TH-nn), else by the names in its areaDesc,
 * else by what its polygons and circles overlap. 0 when it named at least one;
 * -1 with why otherwise. */
int cap_geo_area(struct cap_geo *g, const struct cap_area *area, bool *hit, char *why,
		 size_t whylen);

#endif
