/* cap_parse.c - reads one CAP 1.2 file into a struct cap_alert (cap.h).
 *
 * Safe with hostile files: the size is capped before anything is parsed; a
 * DOCTYPE (the only place entities can be declared: an XML bomb, an external
 * entity) is refused before libxml2 sees the bytes; libxml2 runs with
 * XML_PARSE_NONET and without entity substitution, and whitespace-only text
 * nodes are dropped (the TMD signature is computed that way). The document
 * is then validated against the official schema, its signature checked when
 * asked (cap_sig.c), and only then read. Errors are the first libxml2
 * reports, with their line. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "cap.h"
#include "cap_sig.h"

struct cap_reader {
	xmlSchemaPtr schema;
	char *cert;             /* NULL: signatures are not required */
};

/* ---- errors: the first one libxml2 reports, with its line ---- */

struct first_error {
	char text[300];
	bool set;
};

static void
keep_first(void *ctx, xmlErrorPtr e)
{
	struct first_error *fe = ctx;
	size_t n;

	if (fe == NULL || fe->set || e == NULL || e->level < XML_ERR_ERROR)
		return;
	snprintf(fe->text, sizeof(fe->text), "line %d: %s", e->line,
		 e->message ? e->message : "error");
	n = strlen(fe->text);
	while (n > 0 && (fe->text[n - 1] == '\n' || fe->text[n - 1] == ' '))
		fe->text[--n] = '\0';
	fe->set = true;
}

static void
quiet(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

static int
say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- the reader ---- */

int
cap_reader_new(struct cap_reader **out, const char *xsd_path, const char *cert_path, char *why,
	       size_t whylen)
{
	struct cap_reader *r = calloc(1, sizeof(*r));
	struct first_error fe = { .set = false };
	xmlSchemaParserCtxtPtr pc;

	*out = NULL;
	if (r == NULL)
		return say(why, whylen, "out of memory");
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlSetStructuredErrorFunc(&fe, keep_first);
	pc = xmlSchemaNewParserCtxt(xsd_path);
	if (pc != NULL) {
		r->schema = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
	}
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (r->schema == NULL) {
		free(r);
		return say(why, whylen, "cannot read the CAP schema %s%s%s", xsd_path,
			   fe.set ? ": " : "", fe.set ? fe.text : "");
	}
	if (cert_path != NULL && (cap_sig_init(why, whylen) != 0
				  || (r->cert = strdup(cert_path)) == NULL)) {
		cap_reader_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void
cap_reader_free(struct cap_reader *r)
{
	if (r == NULL)
		return;
	if (r->cert != NULL)
		cap_sig_cleanup();
	xmlSchemaFree(r->schema);
	free(r->cert);
	free(r);
}

/* ---- times ---- */

int64_t
cap_time_parse(const char *s)
{
	int y, mo, d, h, mi, sec, oh, om, n = 0;
	struct tm tm;
	char sign;
	int64_t t;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6
	    || n != 19)
		return -1;
	s += n;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			;       /* fractions of a second: CAP's own are whole */
	if (sscanf(s, "%c%2d:%2d%n", &sign, &oh, &om, &n) != 3 || n != 6 || s[n] != '\0'
	    || (sign != '+' && sign != '-'))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || oh > 14
	    || om > 59 || y < 1970)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm) - (sign == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
	return t < 0 ? -1 : t * 1000;
}

void
cap_time_format(int64_t ms, char *out, size_t outlen)
{
	time_t t = (time_t)(ms / 1000) + 7 * 3600;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%S+07:00", &tm);
}

/* ---- categories ---- */

static const struct {
	const char *cap, *np;
} categories[] = {
	{ "Met", "weather" }, { "Health", "health" }, { "Infra", "network" },
	{ "Safety", "emergency" }, { "Rescue", "emergency" }, { "Fire", "emergency" },
};

const char *
cap_category_to_np(const char *cap)
{
	size_t i;

	for (i = 0; i < sizeof(categories) / sizeof(categories[0]); i++) {
		if (strcmp(categories[i].cap, cap) == 0)
			return categories[i].np;
	}
	return "general";
}

const char *
cap_category_from_np(const char *np)
{
	size_t i;

	for (i = 0; i < sizeof(categories) / sizeof(categories[0]); i++) {
		if (strcmp(categories[i].np, np) == 0)
			return categories[i].cap;
	}
	return "Other";
}

/* ---- reading the document ---- */

static void *
keep(struct cap_alert *a, void *p)
{
	void **v;

	if (p == NULL)
		return NULL;
	if (a->nowned == a->capowned) {
		v = realloc(a->owned, (a->capowned ? a->capowned * 2 : 64) * sizeof(*v));
		if (v == NULL) {
			free(p);
			return NULL;
		}
		a->owned = v;
		a->capowned = a->capowned ? a->capowned * 2 : 64;
	}
	a->owned[a->nowned++] = p;
	return p;
}

static bool
is_cap(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL
	       && xmlStrcmp(n->ns->href, BAD_CAST CAP_NS) == 0
	       && (name == NULL || xmlStrcmp(n->name, BAD_CAST name) == 0);
}

static size_t
count(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;
	size_t k = 0;

	for (n = parent->children; n != NULL; n = n->next)
		k += is_cap(n, name);
	return k;
}

/* The text of the first child called name ("" when there is none); NULL
 * when out of memory. xmlNodeGetContent's buffer is libxml2's malloc. */
static char *
text_of(struct cap_alert *a, xmlNodePtr n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *s;

	if (c == NULL)
		return keep(a, strdup(""));
	s = strdup((const char *)c);
	xmlFree(c);
	return keep(a, s);
}

static char *
child_text(struct cap_alert *a, xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	for (n = parent->children; n != NULL; n = n->next) {
		if (is_cap(n, name))
			return text_of(a, n);
	}
	return keep(a, strdup(""));
}

/* Every child called name, as texts, into *out (n of them). */
static int
children_text(struct cap_alert *a, xmlNodePtr parent, const char *name, char ***out, size_t *n)
{
	xmlNodePtr c;
	size_t k = count(parent, name), i = 0;

	*n = 0;
	*out = NULL;
	if (k == 0)
		return 0;
	*out = keep(a, calloc(k, sizeof(char *)));
	if (*out == NULL)
		return -1;
	for (c = parent->children; c != NULL; c = c->next) {
		if (is_cap(c, name) && ((*out)[i++] = text_of(a, c)) == NULL)
			return -1;
	}
	*n = k;
	return 0;
}

static int
read_area(struct cap_alert *a, xmlNodePtr n, struct cap_area *ar)
{
	xmlNodePtr g;
	size_t i = 0;

	ar->desc = child_text(a, n, "areaDesc");
	if (ar->desc == NULL || children_text(a, n, "polygon", &ar->polygons, &ar->npolygons) != 0
	    || children_text(a, n, "circle", &ar->circles, &ar->ncircles) != 0)
		return -1;
	ar->ngeocodes = count(n, "geocode");
	if (ar->ngeocodes == 0)
		return 0;
	ar->geo_names = keep(a, calloc(ar->ngeocodes, sizeof(char *)));
	ar->geo_values = keep(a, calloc(ar->ngeocodes, sizeof(char *)));
	if (ar->geo_names == NULL || ar->geo_values == NULL)
		return -1;
	for (g = n->children; g != NULL; g = g->next) {
		if (!is_cap(g, "geocode"))
			continue;
		ar->geo_names[i] = child_text(a, g, "valueName");
		ar->geo_values[i] = child_text(a, g, "value");
		if (ar->geo_names[i] == NULL || ar->geo_values[i++] == NULL)
			return -1;
	}
	return 0;
}

static int
read_info(struct cap_alert *a, xmlNodePtr n, struct cap_info *in)
{
	char **f[] = { &in->language, &in->event, &in->urgency, &in->severity, &in->certainty,
		       &in->sender_name, &in->headline, &in->description, &in->instruction,
		       &in->expires };
	static const char *const names[] = { "language", "event", "urgency", "severity",
					     "certainty", "senderName", "headline", "description",
					     "instruction", "expires" };
	xmlNodePtr c;
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if ((*f[i] = child_text(a, n, names[i])) == NULL)
			return -1;
	}
	if (in->language[0] == '\0')
		in->language = "en-US";         /* CAP 1.2 3.2.2: the default */
	in->expires_ms = in->expires[0] ? cap_time_parse(in->expires) : 0;
	if (children_text(a, n, "category", &in->categories, &in->ncategories) != 0)
		return -1;
	in->nareas = count(n, "area");
	if (in->nareas == 0)
		return 0;
	in->areas = keep(a, calloc(in->nareas, sizeof(*in->areas)));
	if (in->areas == NULL)
		return -1;
	i = 0;
	for (c = n->children; c != NULL; c = c->next) {
		if (is_cap(c, "area") && read_area(a, c, &in->areas[i++]) != 0)
			return -1;
	}
	return 0;
}

/* <references>: "sender,identifier,sent" triples separated by whitespace. */
static int
read_refs(struct cap_alert *a, const char *refs, char *why, size_t whylen)
{
	char *copy = keep(a, strdup(refs)), *save = NULL, *tok, *c1, *c2;
	size_t k = 0;

	if (copy == NULL)
		return say(why, whylen, "out of memory");
	for (tok = copy; *tok; tok++)
		k += !isspace((unsigned char)*tok) && (tok == copy || isspace((unsigned char)tok[-1]));
	a->refs = k ? keep(a, calloc(k, sizeof(*a->refs))) : NULL;
	if (k > 0 && a->refs == NULL)
		return say(why, whylen, "out of memory");
	for (tok = strtok_r(copy, " \t\r\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		c1 = strchr(tok, ',');
		c2 = c1 ? strchr(c1 + 1, ',') : NULL;
		if (c2 == NULL || strchr(c2 + 1, ',') != NULL)
			return say(why, whylen, "<references> holds '%.80s', not sender,identifier,sent",
				   tok);
		*c1 = *c2 = '\0';
		a->refs[a->nrefs].sender = tok;
		a->refs[a->nrefs].identifier = c1 + 1;
		a->refs[a->nrefs].sent = c2 + 1;
		a->refs[a->nrefs].sent_ms = cap_time_parse(c2 + 1);
		if (a->refs[a->nrefs].sent_ms < 0)
			return say(why, whylen, "<references> time '%.40s' is not a CAP time", c2 + 1);
		a->nrefs++;
	}
	return 0;
}

static int
read_alert(xmlDocPtr doc, struct cap_alert *a, char *why, size_t whylen)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), c;
	char **f[] = { &a->identifier, &a->sender, &a->sent, &a->status, &a->msg_type, &a->scope };
	static const char *const names[] = { "identifier", "sender", "sent", "status", "msgType",
					     "scope" };
	char *refs;
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if ((*f[i] = child_text(a, root, names[i])) == NULL)
			return say(why, whylen, "out of memory");
	}
	a->sent_ms = cap_time_parse(a->sent);
	if (a->sent_ms < 0)
		return say(why, whylen, "<sent> '%.40s' is not a CAP time", a->sent);
	refs = child_text(a, root, "references");
	if (refs == NULL || read_refs(a, refs, why, whylen) != 0)
		return refs == NULL ? say(why, whylen, "out of memory") : -1;
	a->ninfos = count(root, "info");
	a->infos = a->ninfos ? keep(a, calloc(a->ninfos, sizeof(*a->infos))) : NULL;
	if (a->ninfos > 0 && a->infos == NULL)
		return say(why, whylen, "out of memory");
	i = 0;
	for (c = root->children; c != NULL; c = c->next) {
		if (is_cap(c, "info") && read_info(a, c, &a->infos[i++]) != 0)
			return say(why, whylen, "out of memory");
		if (is_cap(c, "info") && a->infos[i - 1].expires_ms < 0)
			return say(why, whylen, "info %zu: <expires> '%.40s' is not a CAP time", i,
				   a->infos[i - 1].expires);
	}
	return 0;
}

/* ---- the file ---- */

/* The file's bytes, at most CAP_MAX_BYTES (malloc'd into *buf). */
static int
slurp(const char *path, char **buf, size_t *len, char *why, size_t whylen)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0, got;
	char *b = NULL, *nb;

	if (f == NULL)
		return say(why, whylen, "cannot open: %s", strerror(errno));
	for (;;) {
		if ((nb = realloc(b, cap + 1)) == NULL) {
			free(b);
			fclose(f);
			return say(why, whylen, "out of memory");
		}
		b = nb;
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (n > CAP_MAX_BYTES || got == 0 || n < cap)
			break;
		cap = cap * 2 > CAP_MAX_BYTES + 1 ? CAP_MAX_BYTES + 1 : cap * 2;
	}
	if (ferror(f) || n > CAP_MAX_BYTES) {
		bool big = n > CAP_MAX_BYTES;

		free(b);
		fclose(f);
		return big ? say(why, whylen, "over %u bytes: too big for a CAP alert (refused "
				 "unread)", CAP_MAX_BYTES)
			   : say(why, whylen, "cannot read: %s", strerror(errno));
	}
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* A DOCTYPE is where entities (an XML bomb, an external file) are declared;
 * CAP has none, so any is refused before parsing. */
static bool
has_doctype(const char *b, size_t len)
{
	size_t i;

	for (i = 0; i + 9 <= len; i++) {
		if (b[i] == '<' && b[i + 1] == '!' && (strncmp(b + i, "<!DOCTYPE", 9) == 0
						       || strncmp(b + i, "<!ENTITY", 8) == 0))
			return true;
	}
	return false;
}

static int
check_doc(struct cap_reader *r, xmlDocPtr doc, char *why, size_t whylen)
{
	struct first_error fe = { .set = false };
	xmlSchemaValidCtxtPtr vc;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int rc;

	if (root == NULL || !is_cap(root, "alert"))
		return say(why, whylen, "not CAP 1.2: the root is not <alert> in namespace %s",
			   CAP_NS);
	vc = xmlSchemaNewValidCtxt(r->schema);
	if (vc == NULL)
		return say(why, whylen, "out of memory");
	xmlSchemaSetValidStructuredErrors(vc, keep_first, &fe);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc != 0)
		return say(why, whylen, "not CAP 1.2 (schema): %s", fe.set ? fe.text : "invalid");
	if (r->cert != NULL)
		return cap_sig_verify(doc, r->cert, why, whylen);
	return 0;
}

int
cap_read_file(struct cap_reader *r, const char *path, struct cap_alert *a, char *why,
	      size_t whylen)
{
	struct first_error fe = { .set = false };
	xmlParserCtxtPtr pc;
	xmlDocPtr doc = NULL;
	size_t len = 0;
	char *buf = NULL;
	int rc;

	memset(a, 0, sizeof(*a));
	if (slurp(path, &buf, &len, why, whylen) != 0)
		return -1;
	if (has_doctype(buf, len)) {
		free(buf);
		return say(why, whylen, "holds a DOCTYPE or an entity declaration: refused (CAP has "
			   "none; entities are how an XML bomb or an external file gets in)");
	}
	pc = xmlNewParserCtxt();
	if (pc != NULL) {
		xmlSetGenericErrorFunc(NULL, quiet);
		xmlSetStructuredErrorFunc(&fe, keep_first);
		doc = xmlCtxtReadMemory(pc, buf, (int)len, path, NULL,
					XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOCDATA);
		xmlSetStructuredErrorFunc(NULL, NULL);
		if (doc != NULL && !pc->wellFormed) {
			xmlFreeDoc(doc);
			doc = NULL;
		}
		xmlFreeParserCtxt(pc);
	}
	free(buf);
	if (doc == NULL)
		return say(why, whylen, "not well-formed XML: %s", fe.set ? fe.text : "unreadable");
	rc = check_doc(r, doc, why, whylen);
	if (rc == 0)
		rc = read_alert(doc, a, why, whylen);
	xmlFreeDoc(doc);
	if (rc != 0)
		cap_alert_free(a);
	return rc;
}

void
cap_alert_free(struct cap_alert *a)
{
	size_t i;

	for (i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	free(a->owned);
	memset(a, 0, sizeof(*a));
}
