/* cap_export.c - a stored announcement as a CAP 1.2 alert, and an Atom index
 * of such files (cap_cmd.h): np-admin cap export, and the public site's cap/
 * directory. Written with libxml2's xmlTextWriter, so every text is escaped;
 * control characters XML 1.0 cannot carry become spaces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "cap.h"
#include "cap_cmd.h"
#include "history.h"
#include "np.pb-c.h"
#include "seal.h"
#include "vocab.h"

#define SENDER_SUFFIX "@np-hub"

/* XML 1.0 carries no C0 control character but tab, newline and return. */
static char *
xml_text(const char *s)
{
	char *t = strdup(s ? s : ""), *p;

	for (p = t; p != NULL && *p; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			*p = ' ';
	}
	return t;
}

static int
element(xmlTextWriterPtr w, const char *name, const char *text)
{
	char *t = xml_text(text);
	int rc = t ? xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST t) : -1;

	free(t);
	return rc < 0 ? -1 : 0;
}

static const char *
or_word(const char *s, const char *dflt)
{
	return s != NULL && s[0] != '\0' ? s : dflt;
}

/* ---- the stored message ---- */

struct stored {
	char topic[256];
	Np__Envelope *e;
	char area[HUB_AREA_MAX + 1], category[32];
};

static int
load(struct hub_history *h, const uint8_t id[16], struct stored *st)
{
	memset(st, 0, sizeof(*st));
	void *buf = NULL;
	size_t len = 0;
	const char *a, *c;

	st->e = NULL;
	if (hub_history_find(h, id, st->topic, sizeof(st->topic), &buf, &len) != 0)
		return -1;
	st->e = np__envelope__unpack(NULL, hub_seal_strip(buf, len), buf);
	free(buf);
	if (st->e == NULL || st->e->body_case != NP__ENVELOPE__BODY_ANNOUNCEMENT
	    || strncmp(st->topic, "np/ann/", 7) != 0)
		return -2;
	a = st->topic + 7;
	c = strchr(a, '/');
	if (c == NULL || (size_t)(c - a) > HUB_AREA_MAX)
		return -2;
	snprintf(st->area, sizeof(st->area), "%.*s", (int)(c - a), a);
	snprintf(st->category, sizeof(st->category), "%s", c + 1);
	return 0;
}

static void
unload(struct stored *st)
{
	if (st->e != NULL)
		np__envelope__free_unpacked(st->e, NULL);
	st->e = NULL;
}

static void
identity(const uint8_t id[16], const Np__Envelope *e, char *ident, char *sender, size_t slen,
	 char *sent)
{
	char hex[33];

	hub_hex(id, 16, hex);
	sprintf(ident, "np-%s", hex);
	/* its role and area, never a username: the public site publishes these */
	if (e->sender != NULL)
		snprintf(sender, slen, "%s.%s%s", hub_role_name((enum hub_role)e->sender->role),
			 e->sender->area, SENDER_SUFFIX);
	else
		snprintf(sender, slen, "hub%s", SENDER_SUFFIX);
	cap_time_format(e->sent_at_ms, sent, 40);
}

/* ---- places ---- */

struct name_arg {
	const char *code;
	char name[HUB_PLACE_NAME_MAX + 1];
};

static int
take_name(void *ctx, const struct hub_place *p)
{
	struct name_arg *na = ctx;

	if (strcmp(p->code, na->code) != 0)
		return 0;
	snprintf(na->name, sizeof(na->name), "%s", p->name_th[0] ? p->name_th : p->name_en);
	return 1;
}

static int
write_area(xmlTextWriterPtr w, struct hub_store *s, const char *area)
{
	struct name_arg na = { area, "" };
	char iso[8];

	if (strcmp(area, "TH") == 0)
		snprintf(na.name, sizeof(na.name), "ประเทศไทย");
	else if (s != NULL)
		hub_store_place_each(s, area, take_name, &na);
	if (xmlTextWriterStartElement(w, BAD_CAST "area") < 0
	    || element(w, "areaDesc", na.name[0] ? na.name : area) != 0)
		return -1;
	if (strcmp(area, "TH") == 0) {
		if (xmlTextWriterStartElement(w, BAD_CAST "geocode") < 0
		    || element(w, "valueName", "ISO3166-1") != 0 || element(w, "value", "TH") != 0
		    || xmlTextWriterEndElement(w) < 0)
			return -1;
		return xmlTextWriterEndElement(w) < 0 ? -1 : 0;
	}
	if (xmlTextWriterStartElement(w, BAD_CAST "geocode") < 0
	    || element(w, "valueName", "TIS-1099") != 0 || element(w, "value", area) != 0
	    || xmlTextWriterEndElement(w) < 0)
		return -1;
	if (strlen(area) == 2) {
		snprintf(iso, sizeof(iso), "TH-%s", area);
		if (xmlTextWriterStartElement(w, BAD_CAST "geocode") < 0
		    || element(w, "valueName", "ISO3166-2") != 0 || element(w, "value", iso) != 0
		    || xmlTextWriterEndElement(w) < 0)
			return -1;
	}
	return xmlTextWriterEndElement(w) < 0 ? -1 : 0;
}

/* ---- the alert ---- */

/* "sender,identifier,sent" of each announcement a withdrew, as CAP wants. */
static int
write_references(xmlTextWriterPtr w, struct hub_history *h, const Np__Announcement *a)
{
	char ident[40], sender[HUB_USERNAME_MAX + 16], sent[40], *all;
	struct stored st;
	size_t i, len = 0, cap = a->n_references * (sizeof(ident) + sizeof(sender) + 40) + 1;
	int rc = 0;

	if (a->n_references == 0)
		return 0;
	all = malloc(cap);
	if (all == NULL)
		return -1;
	all[0] = '\0';
	for (i = 0; i < a->n_references && rc == 0; i++) {
		if (a->references[i].len != 16 || load(h, a->references[i].data, &st) != 0) {
			unload(&st);
			continue;       /* the hub checked it once; gone since (retention) */
		}
		identity(a->references[i].data, st.e, ident, sender, sizeof(sender), sent);
		len += (size_t)snprintf(all + len, cap - len, "%s%s,%s,%s", len ? " " : "", sender,
					ident, sent);
		unload(&st);
	}
	if (len > 0)
		rc = element(w, "references", all);
	free(all);
	return rc;
}

static int
write_info(xmlTextWriterPtr w, struct hub_store *s, const struct stored *st)
{
	const Np__Announcement *a = st->e->announcement;
	char who[64], t[40];
	const char *sender_name;

	snprintf(who, sizeof(who), "np-hub %s, %s",
		 st->e->sender ? hub_role_name((enum hub_role)st->e->sender->role) : "hub",
		 st->e->sender ? st->e->sender->area : "TH");
	sender_name = or_word(a->sender_name, who);

	if (xmlTextWriterStartElement(w, BAD_CAST "info") < 0
	    || element(w, "language", or_word(a->language, "th-TH")) != 0
	    || element(w, "category", cap_category_from_np(st->category)) != 0
	    || element(w, "event", a->title) != 0
	    || element(w, "urgency", or_word(a->urgency, "Unknown")) != 0
	    || element(w, "severity", or_word(a->severity, "Unknown")) != 0
	    || element(w, "certainty", or_word(a->certainty, "Unknown")) != 0)
		return -1;
	if (a->expires_at_ms > 0) {
		cap_time_format(a->expires_at_ms, t, sizeof(t));
		if (element(w, "expires", t) != 0)
			return -1;
	}
	if (element(w, "senderName", sender_name) != 0 || element(w, "headline", a->title) != 0
	    || (a->body[0] && element(w, "description", a->body) != 0)
	    || (a->instruction[0] && element(w, "instruction", a->instruction) != 0)
	    || write_area(w, s, st->area) != 0)
		return -1;
	return xmlTextWriterEndElement(w) < 0 ? -1 : 0;
}

static int
write_alert(xmlTextWriterPtr w, struct hub_store *s, struct hub_history *h,
	    const uint8_t id[16], const struct stored *st)
{
	const Np__Announcement *a = st->e->announcement;
	char ident[40], sender[HUB_USERNAME_MAX + 16], sent[40], note[300];

	identity(id, st->e, ident, sender, sizeof(sender), sent);
	if (xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0
	    || xmlTextWriterStartElement(w, BAD_CAST "alert") < 0
	    || xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST CAP_NS) < 0
	    || element(w, "identifier", ident) != 0 || element(w, "sender", sender) != 0
	    || element(w, "sent", sent) != 0
	    || element(w, "status", or_word(a->cap_status, "Actual")) != 0
	    || element(w, "msgType", or_word(a->msg_type, "Alert")) != 0
	    || element(w, "scope", "Public") != 0)
		return -1;
	if (a->cap_identifier[0] != '\0') {
		snprintf(note, sizeof(note), "From CAP alert %.200s, for one province", a->cap_identifier);
		if (element(w, "note", note) != 0)
			return -1;
	}
	if (write_references(w, h, a) != 0 || write_info(w, s, st) != 0
	    || xmlTextWriterEndElement(w) < 0 || xmlTextWriterEndDocument(w) < 0)
		return -1;
	return 0;
}

enum admin_rc
admin_cap_write(struct hub_store *s, struct hub_history *h, const uint8_t id[16], FILE *out)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
	struct stored st;
	char hex[33];
	int rc;

	hub_hex(id, 16, hex);
	rc = w == NULL ? -3 : load(h, id, &st);
	if (rc == 0) {
		xmlTextWriterSetIndent(w, 1);
		xmlTextWriterSetIndentString(w, BAD_CAST "  ");
		rc = write_alert(w, s, h, id, &st) == 0 ? 0 : -3;
	}
	unload(&st);
	if (w != NULL)
		xmlFreeTextWriter(w);   /* flushes into buf */
	if (rc == 0 && fwrite(xmlBufferContent(buf), 1, (size_t)xmlBufferLength(buf), out)
	    != (size_t)xmlBufferLength(buf))
		rc = -4;
	if (buf != NULL)
		xmlBufferFree(buf);
	if (rc == -1)
		fprintf(admin_err(), "np-admin: no message %s in the history\n", hex);
	else if (rc == -2)
		fprintf(admin_err(), "np-admin: message %s is no announcement\n", hex);
	else if (rc != 0)
		fprintf(admin_err(), "np-admin: cannot write announcement %s as CAP\n", hex);
	return rc == 0 ? ADMIN_OK : ADMIN_FAIL;
}

enum admin_rc
admin_cap_export_cmd(struct hub_store *s, int argc, char **argv)
{
	struct hub_history *h = NULL;
	uint8_t id[16];
	char err[300];
	enum admin_rc rc;

	if (argc != 2)
		return ADMIN_USAGE;
	if (strlen(argv[1]) != 32 || hub_unhex(argv[1], 32, id, 16) != 0) {
		fprintf(admin_err(), "np-admin: cap export: '%s' is not an id (32 hex digits)\n",
			argv[1]);
		return ADMIN_USAGE;
	}
	if (hub_history_open(&h, s, 0, err, sizeof(err)) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", err);
		return ADMIN_FAIL;
	}
	rc = admin_cap_write(s, h, id, admin_out());
	hub_history_close(h);
	return rc;
}

/* ---- the Atom index ---- */

static int
write_entry(xmlTextWriterPtr w, const struct admin_cap_entry *e)
{
	char hex[33], urn[64], t[40];

	hub_hex(e->id, 16, hex);
	snprintf(urn, sizeof(urn), "urn:np-hub:announcement:%s", hex);
	cap_time_format(e->updated_ms, t, sizeof(t));
	if (xmlTextWriterStartElement(w, BAD_CAST "entry") < 0 || element(w, "id", urn) != 0
	    || element(w, "title", e->title) != 0 || element(w, "updated", t) != 0
	    || xmlTextWriterStartElement(w, BAD_CAST "link") < 0
	    || xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST "alternate") < 0
	    || xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "application/cap+xml") < 0
	    || xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST e->href) < 0
	    || xmlTextWriterEndElement(w) < 0)
		return -1;
	return xmlTextWriterEndElement(w) < 0 ? -1 : 0;
}

static int
write_feed(xmlTextWriterPtr w, const char *feed_id, const char *title, const char *self,
	   const struct admin_cap_entry *e, size_t n, int64_t updated_ms)
{
	char t[40];
	size_t i;

	cap_time_format(updated_ms, t, sizeof(t));
	if (xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0
	    || xmlTextWriterStartElement(w, BAD_CAST "feed") < 0
	    || xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST "http://www.w3.org/2005/Atom")
	       < 0
	    || element(w, "id", feed_id) != 0 || element(w, "title", title) != 0
	    || element(w, "updated", t) != 0 || xmlTextWriterStartElement(w, BAD_CAST "author") < 0
	    || element(w, "name", "np-hub") != 0 || xmlTextWriterEndElement(w) < 0
	    || xmlTextWriterStartElement(w, BAD_CAST "link") < 0
	    || xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST "self") < 0
	    || xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST self) < 0
	    || xmlTextWriterEndElement(w) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (write_entry(w, &e[i]) != 0)
			return -1;
	}
	return xmlTextWriterEndElement(w) < 0 || xmlTextWriterEndDocument(w) < 0 ? -1 : 0;
}

enum admin_rc
admin_cap_atom(FILE *out, const char *feed_id, const char *title, const char *self_href,
	       const struct admin_cap_entry *e, size_t n, int64_t updated_ms)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
	int rc = -1;

	if (w != NULL) {
		xmlTextWriterSetIndent(w, 1);
		xmlTextWriterSetIndentString(w, BAD_CAST "  ");
		rc = write_feed(w, feed_id, title, self_href, e, n, updated_ms);
		xmlFreeTextWriter(w);
	}
	if (rc == 0 && fwrite(xmlBufferContent(buf), 1, (size_t)xmlBufferLength(buf), out)
	    != (size_t)xmlBufferLength(buf))
		rc = -1;
	if (buf != NULL)
		xmlBufferFree(buf);
	if (rc != 0)
		fprintf(admin_err(), "np-admin: cannot write the CAP Atom index\n");
	return rc == 0 ? ADMIN_OK : ADMIN_FAIL;
}

/* np-admin --db DIR cap atom ID...: the index of those announcements, each
 * linking np-<id>.xml, as the public site writes cap/index.atom. */
enum admin_rc
admin_cap_atom_cmd(struct hub_store *s, int argc, char **argv)
{
	struct admin_cap_entry *e = calloc(argc > 1 ? (size_t)argc : 1, sizeof(*e));
	char (*hrefs)[48] = calloc(argc > 1 ? (size_t)argc : 1, sizeof(*hrefs));
	char **titles = calloc(argc > 1 ? (size_t)argc : 1, sizeof(*titles));
	struct hub_history *h = NULL;
	enum admin_rc rc = ADMIN_OK;
	int64_t newest = 0;
	struct stored st;
	char err[300] = "out of memory", hex[33];
	int i, n = 0;

	if (e == NULL || hrefs == NULL || titles == NULL || hub_history_open(&h, s, 0, err,
									   sizeof(err)) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", err);
		rc = ADMIN_FAIL;
	}
	for (i = 1; rc == ADMIN_OK && i < argc; i++, n++) {
		if (strlen(argv[i]) != 32 || hub_unhex(argv[i], 32, e[n].id, 16) != 0) {
			fprintf(admin_err(), "np-admin: cap atom: '%s' is not an id\n", argv[i]);
			rc = ADMIN_USAGE;
		} else if (load(h, e[n].id, &st) != 0) {
			fprintf(admin_err(), "np-admin: no announcement %s in the history\n", argv[i]);
			rc = ADMIN_FAIL;
		} else {
			hub_hex(e[n].id, 16, hex);
			snprintf(hrefs[n], sizeof(hrefs[n]), "np-%s.xml", hex);
			titles[n] = strdup(st.e->announcement->title);
			e[n].title = titles[n] ? titles[n] : "";
			e[n].href = hrefs[n];
			e[n].updated_ms = st.e->sent_at_ms;
			newest = e[n].updated_ms > newest ? e[n].updated_ms : newest;
		}
		unload(&st);
	}
	if (rc == ADMIN_OK)
		rc = admin_cap_atom(admin_out(), "urn:np-hub:cap", "np-hub: CAP alerts", "index.atom",
				    e, (size_t)n, newest);
	for (i = 0; titles != NULL && i < n; i++)
		free(titles[i]);
	hub_history_close(h);
	free(e);
	free(hrefs);
	free(titles);
	return argc < 2 ? ADMIN_USAGE : rc;
}
