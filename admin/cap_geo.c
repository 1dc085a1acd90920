/* cap_geo.c - which provinces a CAP <area> names (cap.h): its geocodes, else
 * the province names of its areaDesc (Thai or English, several separated by
 * spaces as TMD writes them), else the provinces its polygons and circles
 * overlap in ../shared/data/geo/provinces.geojson.
 *
 * Overlap, on the plane of (longitude, latitude), which is exact enough at
 * Thailand's size: two polygons overlap when a vertex of one lies inside the
 * other (even-odd rule over all rings, so holes count) or two edges cross;
 * bounding boxes skip the provinces far away. A circle is a 36-gon around it.
 * An area that only touches a province along its border counts for it. */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cap.h"

struct ring {
	size_t n;
	double *x, *y;          /* longitude, latitude; closed or not */
	double box[4];          /* min x, min y, max x, max y */
};

struct part {                   /* one polygon: its outer ring, then its holes */
	struct ring *rings;
	size_t nrings;
	double box[4];
};

struct province {
	char code[3];
	char *th, *en;
	struct part *parts;
	size_t nparts;
};

struct cap_geo {
	char dir[4096];
	struct province p[CAP_PROVINCES_MAX];
	size_t n;
	bool shapes;            /* provinces.geojson read */
};

static int
say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- provinces.csv ---- */

static int
add_province(struct cap_geo *g, char *line)
{
	char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
	struct province *p = &g->p[g->n];
	size_t n;

	if (c2 == NULL || c1 - line != 2 || g->n == CAP_PROVINCES_MAX)
		return -1;
	n = strcspn(c2 + 1, "\r\n");
	c2[1 + n] = '\0';
	*c1 = *c2 = '\0';
	memcpy(p->code, line, 3);
	p->th = strdup(c1 + 1);
	p->en = strdup(c2 + 1);
	if (p->th == NULL || p->en == NULL) {
		free(p->th);
		free(p->en);
		return -1;
	}
	g->n++;
	return 0;
}

int
cap_geo_open(struct cap_geo **out, const char *dir, char *why, size_t whylen)
{
	struct cap_geo *g = calloc(1, sizeof(*g));
	char path[4200], line[512];
	FILE *f;
	int rc = 0;

	*out = NULL;
	if (g == NULL)
		return say(why, whylen, "out of memory");
	snprintf(g->dir, sizeof(g->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/provinces.csv", dir);
	f = fopen(path, "r");
	if (f == NULL) {
		free(g);
		return say(why, whylen, "cannot read %s (the provinces; --geo DIR)", path);
	}
	if (fgets(line, sizeof(line), f) == NULL || strncmp(line, "code,", 5) != 0)
		rc = -1;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL)
		rc = line[0] == '\n' ? 0 : add_province(g, line);
	fclose(f);
	if (rc != 0 || g->n == 0) {
		cap_geo_close(g);
		return say(why, whylen, "%s is not a code,name_th,name_en file of provinces", path);
	}
	*out = g;
	return 0;
}

static void
free_parts(struct province *p)
{
	size_t i, j;

	for (i = 0; i < p->nparts; i++) {
		for (j = 0; j < p->parts[i].nrings; j++) {
			free(p->parts[i].rings[j].x);
			free(p->parts[i].rings[j].y);
		}
		free(p->parts[i].rings);
	}
	free(p->parts);
	p->parts = NULL;
	p->nparts = 0;
}

void
cap_geo_close(struct cap_geo *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++) {
		free(g->p[i].th);
		free(g->p[i].en);
		free_parts(&g->p[i]);
	}
	free(g);
}

size_t
cap_geo_count(const struct cap_geo *g)
{
	return g->n;
}

const char *
cap_geo_code(const struct cap_geo *g, size_t i)
{
	return g->p[i].code;
}

/* ---- rings and boxes ---- */

static void
box_of(struct ring *r)
{
	size_t i;

	r->box[0] = r->box[2] = r->x[0];
	r->box[1] = r->box[3] = r->y[0];
	for (i = 1; i < r->n; i++) {
		r->box[0] = fmin(r->box[0], r->x[i]);
		r->box[1] = fmin(r->box[1], r->y[i]);
		r->box[2] = fmax(r->box[2], r->x[i]);
		r->box[3] = fmax(r->box[3], r->y[i]);
	}
}

static bool
boxes_meet(const double a[4], const double b[4])
{
	return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

static int
ring_alloc(struct ring *r, size_t n)
{
	r->n = n;
	r->x = malloc(n * sizeof(double));
	r->y = malloc(n * sizeof(double));
	return r->x != NULL && r->y != NULL ? 0 : -1;
}

/* ---- provinces.geojson ---- */

/* A GeoJSON polygon (an array of rings of [lon, lat]) into p. */
static int
read_part(json_t *poly, struct part *p)
{
	size_t i, j;
	json_t *ring, *pt;

	p->nrings = json_array_size(poly);
	p->rings = calloc(p->nrings ? p->nrings : 1, sizeof(*p->rings));
	if (p->rings == NULL || p->nrings == 0)
		return -1;
	json_array_foreach(poly, i, ring) {
		if (json_array_size(ring) < 3 || ring_alloc(&p->rings[i], json_array_size(ring)) != 0)
			return -1;
		json_array_foreach(ring, j, pt) {
			p->rings[i].x[j] = json_number_value(json_array_get(pt, 0));
			p->rings[i].y[j] = json_number_value(json_array_get(pt, 1));
		}
		box_of(&p->rings[i]);
	}
	memcpy(p->box, p->rings[0].box, sizeof(p->box));
	return 0;
}

static struct province *
by_code(struct cap_geo *g, const char *code)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (strcmp(g->p[i].code, code) == 0)
			return &g->p[i];
	}
	return NULL;
}

static int
read_feature(struct cap_geo *g, json_t *f)
{
	const char *code = json_string_value(json_object_get(json_object_get(f, "properties"),
							     "code"));
	json_t *geom = json_object_get(f, "geometry"), *c = json_object_get(geom, "coordinates");
	const char *type = json_string_value(json_object_get(geom, "type"));
	struct province *p = code ? by_code(g, code) : NULL;
	bool multi = type != NULL && strcmp(type, "MultiPolygon") == 0;
	size_t i;
	json_t *poly;

	if (p == NULL || type == NULL || (!multi && strcmp(type, "Polygon") != 0) || p->parts)
		return -1;
	p->nparts = multi ? json_array_size(c) : 1;
	p->parts = calloc(p->nparts ? p->nparts : 1, sizeof(*p->parts));
	if (p->parts == NULL || p->nparts == 0)
		return -1;
	if (!multi)
		return read_part(c, &p->parts[0]);
	json_array_foreach(c, i, poly) {
		if (read_part(poly, &p->parts[i]) != 0)
			return -1;
	}
	return 0;
}

static int
load_shapes(struct cap_geo *g, char *why, size_t whylen)
{
	char path[4200];
	json_error_t je;
	json_t *root, *f;
	size_t i;
	int rc = 0;

	if (g->shapes)
		return 0;
	snprintf(path, sizeof(path), "%s/provinces.geojson", g->dir);
	root = json_load_file(path, 0, &je);
	if (root == NULL)
		return say(why, whylen, "cannot read %s: %s", path, je.text);
	json_array_foreach(json_object_get(root, "features"), i, f) {
		if (rc == 0)
			rc = read_feature(g, f);
	}
	json_decref(root);
	if (rc != 0) {
		for (i = 0; i < g->n; i++)
			free_parts(&g->p[i]);
		return say(why, whylen, "%s: a feature is not a province's Polygon or "
			   "MultiPolygon", path);
	}
	g->shapes = true;
	return 0;
}

/* ---- geometry ---- */

/* Even-odd: (x, y) inside the rings of p (holes excluded). */
static bool
inside(const struct part *p, double x, double y)
{
	const struct ring *r;
	bool in = false;
	size_t k, i, j;

	if (x < p->box[0] || x > p->box[2] || y < p->box[1] || y > p->box[3])
		return false;
	for (k = 0; k < p->nrings; k++) {
		r = &p->rings[k];
		for (i = 0, j = r->n - 1; i < r->n; j = i++) {
			if ((r->y[i] > y) != (r->y[j] > y)
			    && x < (r->x[j] - r->x[i]) * (y - r->y[i]) / (r->y[j] - r->y[i]) + r->x[i])
				in = !in;
		}
	}
	return in;
}

static double
orient(double ax, double ay, double bx, double by, double cx, double cy)
{
	return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

static bool
on_segment(double ax, double ay, double bx, double by, double px, double py)
{
	return fmin(ax, bx) <= px && px <= fmax(ax, bx) && fmin(ay, by) <= py && py <= fmax(ay, by);
}

/* Segments a-b and c-d meet (crossing, touching or overlapping). */
static bool
segments_meet(const double *x, const double *y, size_t a, size_t b, const struct ring *r,
	      size_t c, size_t d)
{
	double d1 = orient(r->x[c], r->y[c], r->x[d], r->y[d], x[a], y[a]);
	double d2 = orient(r->x[c], r->y[c], r->x[d], r->y[d], x[b], y[b]);
	double d3 = orient(x[a], y[a], x[b], y[b], r->x[c], r->y[c]);
	double d4 = orient(x[a], y[a], x[b], y[b], r->x[d], r->y[d]);

	if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
		return true;
	return (d1 == 0 && on_segment(r->x[c], r->y[c], r->x[d], r->y[d], x[a], y[a]))
	       || (d2 == 0 && on_segment(r->x[c], r->y[c], r->x[d], r->y[d], x[b], y[b]))
	       || (d3 == 0 && on_segment(x[a], y[a], x[b], y[b], r->x[c], r->y[c]))
	       || (d4 == 0 && on_segment(x[a], y[a], x[b], y[b], r->x[d], r->y[d]));
}

static bool
edges_meet(const struct ring *a, const struct part *p)
{
	size_t k, i, j, c, d;
	const struct ring *r;
	double eb[4];

	for (i = 0, j = a->n - 1; i < a->n; j = i++) {
		eb[0] = fmin(a->x[i], a->x[j]);
		eb[1] = fmin(a->y[i], a->y[j]);
		eb[2] = fmax(a->x[i], a->x[j]);
		eb[3] = fmax(a->y[i], a->y[j]);
		for (k = 0; k < p->nrings; k++) {
			r = &p->rings[k];
			if (!boxes_meet(eb, r->box))
				continue;
			for (c = 0, d = r->n - 1; c < r->n; d = c++) {
				if (segments_meet(a->x, a->y, i, j, r, c, d))
					return true;
			}
		}
	}
	return false;
}

/* The alert's ring a overlaps the province polygon p. */
static bool
overlaps(const struct ring *a, const struct part *p)
{
	struct part pa = { (struct ring *)a, 1, { a->box[0], a->box[1], a->box[2], a->box[3] } };
	size_t i;

	if (!boxes_meet(a->box, p->box))
		return false;
	for (i = 0; i < a->n; i++) {
		if (inside(p, a->x[i], a->y[i]))
			return true;
	}
	if (inside(&pa, p->rings[0].x[0], p->rings[0].y[0]))
		return true;    /* the province lies within the area */
	return edges_meet(a, p);
}

static int
mark_ring(struct cap_geo *g, const struct ring *a, bool *hit)
{
	size_t i, k;
	int n = 0;

	for (i = 0; i < g->n; i++) {
		for (k = 0; k < g->p[i].nparts && !hit[i]; k++) {
			if (overlaps(a, &g->p[i].parts[k])) {
				hit[i] = true;
				n++;
			}
		}
	}
	return n;
}

/* "lat,lon lat,lon ..." into r (x longitude, y latitude). */
static int
parse_polygon(const char *s, struct ring *r)
{
	size_t n = 0, i = 0;
	const char *p;
	char *end;

	for (p = s; *p; p++)
		n += *p == ',';
	if (n < 3 || ring_alloc(r, n) != 0)
		return -1;
	for (p = s; i < n; i++) {
		r->y[i] = strtod(p, &end);
		if (end == p || *end != ',')
			return -1;
		p = end + 1;
		r->x[i] = strtod(p, &end);
		if (end == p || (*end != '\0' && !isspace((unsigned char)*end)))
			return -1;
		p = end;
		if (fabs(r->y[i]) > 90 || fabs(r->x[i]) > 180)
			return -1;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		return -1;
	box_of(r);
	return 0;
}

/* "lat,lon radius_km" as a 36-gon. */
static int
parse_circle(const char *s, struct ring *r)
{
	double lat, lon, km, dy, dx;
	int i, n = 0;

	if (sscanf(s, " %lf,%lf %lf %n", &lat, &lon, &km, &n) != 3 || s[n] != '\0' || km < 0
	    || fabs(lat) > 90 || fabs(lon) > 180 || ring_alloc(r, 36) != 0)
		return -1;
	dy = km / 111.32;
	dx = dy / fmax(cos(lat * M_PI / 180), 0.01);
	for (i = 0; i < 36; i++) {
		r->y[i] = lat + dy * sin(i * M_PI / 18);
		r->x[i] = lon + dx * cos(i * M_PI / 18);
	}
	box_of(r);
	return 0;
}

static int
by_shapes(struct cap_geo *g, const struct cap_area *a, bool *hit, char *why, size_t whylen)
{
	struct ring r;
	size_t i;
	int n = 0, bad;

	if (load_shapes(g, why, whylen) != 0)
		return -1;
	for (i = 0; i < a->npolygons + a->ncircles; i++) {
		memset(&r, 0, sizeof(r));
		bad = i < a->npolygons ? parse_polygon(a->polygons[i], &r)
				       : parse_circle(a->circles[i - a->npolygons], &r);
		if (bad == 0)
			n += mark_ring(g, &r, hit);
		free(r.x);
		free(r.y);
		if (bad != 0)
			return say(why, whylen, "area '%.60s': %s %zu is not %s", a->desc,
				   i < a->npolygons ? "polygon" : "circle",
				   i < a->npolygons ? i + 1 : i + 1 - a->npolygons,
				   i < a->npolygons ? "'lat,lon' pairs (at least 3)"
						    : "'lat,lon radius_km'");
	}
	return n;
}

/* ---- geocodes and names ---- */

static int
by_geocodes(struct cap_geo *g, const struct cap_area *a, bool *hit, char *why, size_t whylen)
{
	const char *v, *name;
	struct province *p;
	char code[3];
	size_t i;
	int n = 0;

	for (i = 0; i < a->ngeocodes; i++) {
		name = a->geo_names[i];
		v = a->geo_values[i];
		if (strcasecmp(name, "ISO3166-2") == 0 && strncasecmp(v, "TH-", 3) == 0)
			v += 3;
		else if (strcasecmp(name, "TIS-1099") != 0 && strcasecmp(name, "ISO3166-2") != 0)
			continue;       /* FIPS, SAME, UGC...: not Thai places */
		if (strlen(v) < 2 || !isdigit((unsigned char)v[0]) || !isdigit((unsigned char)v[1])
		    || (p = by_code(g, (memcpy(code, v, 2), code[2] = '\0', code))) == NULL)
			return say(why, whylen, "area '%.60s': geocode %s %s names no known province",
				   a->desc, name, a->geo_values[i]);
		hit[p - g->p] = true;
		n++;
	}
	return n;
}

static const char *const fillers[] = { "and", "&", "และ", "province", "provinces", "จังหวัด",
				       "จ.", "-", NULL };

static bool
filler(const char *w)
{
	size_t i;

	for (i = 0; fillers[i] != NULL; i++) {
		if (strcasecmp(w, fillers[i]) == 0)
			return true;
	}
	return false;
}

static struct province *
by_name(struct cap_geo *g, const char *s)
{
	size_t i;

	if (strncmp(s, "จังหวัด", strlen("จังหวัด")) == 0)
		s += strlen("จังหวัด");
	else if (strncmp(s, "จ.", strlen("จ.")) == 0)
		s += strlen("จ.");
	if (strcmp(s, "กรุงเทพฯ") == 0 || strcmp(s, "กทม.") == 0)
		s = "กรุงเทพมหานคร";
	for (i = 0; i < g->n; i++) {
		if (strcmp(g->p[i].th, s) == 0 || strcasecmp(g->p[i].en, s) == 0)
			return &g->p[i];
	}
	return NULL;
}

/* The words of areaDesc, each a run of tokens matched longest first; every
 * word must be a province or a filler, else the names do not count. */
static int
by_names(struct cap_geo *g, const struct cap_area *a, bool *hit, char *unknown, size_t ulen)
{
	char copy[1024], *w[64], *save = NULL, *t, joined[1024];
	bool mine[CAP_PROVINCES_MAX] = { false };
	size_t nw = 0, i = 0, k, j;
	struct province *p;
	int n = 0;

	snprintf(copy, sizeof(copy), "%s", a->desc);
	for (t = strtok_r(copy, " \t\r\n,;/", &save); t != NULL && nw < 64;
	     t = strtok_r(NULL, " \t\r\n,;/", &save))
		w[nw++] = t;
	while (i < nw) {
		for (k = nw - i < 5 ? nw - i : 5, p = NULL; k > 0 && p == NULL; k--) {
			joined[0] = '\0';
			for (j = 0; j < k; j++)
				snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
					 j ? " " : "", w[i + j]);
			p = by_name(g, joined);
		}
		if (p == NULL && !filler(w[i])) {
			snprintf(unknown, ulen, "%s", w[i]);
			return -1;
		}
		if (p != NULL) {
			mine[p - g->p] = true;
			n++;
		}
		i += p != NULL ? k + 1 : 1;
	}
	for (i = 0; i < g->n; i++)
		hit[i] = hit[i] || mine[i];
	return n;
}

int
cap_geo_area(struct cap_geo *g, const struct cap_area *a, bool *hit, char *why, size_t whylen)
{
	char unknown[200] = "";
	int n;

	n = by_geocodes(g, a, hit, why, whylen);
	if (n != 0)
		return n > 0 ? 0 : -1;
	n = by_names(g, a, hit, unknown, sizeof(unknown));
	if (n > 0)
		return 0;
	if (a->npolygons + a->ncircles > 0) {
		n = by_shapes(g, a, hit, why, whylen);
		if (n != 0)
			return n > 0 ? 0 : -1;
		return say(why, whylen, "area '%.60s': its polygons and circles overlap no Thai "
			   "province", a->desc);
	}
	if (unknown[0] != '\0')
		return say(why, whylen, "area '%.60s' names no known province ('%.40s' is none; it "
			   "has no TIS-1099 or ISO3166-2 geocode, polygon or circle either)",
			   a->desc, unknown);
	return say(why, whylen, "area '%.60s' names no province", a->desc);
}
