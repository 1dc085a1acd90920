/* encode.c - np-admin's output formats, in one place: CSV (registry list,
 * history export --format csv, audit), hex ids, and the JSON shapes of a stored
 * message and of an audit record (jansson). The body of each message kind is read once, in body_of, for both
 * formats; an announcement's JSON also says expires_at_ms and whether it has
 * expired by this machine's clock, as np-history --json does. Role and ack state names are vocab.c's. */
#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encode.h"
#include "photo.h"
#include "vocab.h"

/* What both formats print of a message's body. */
struct body {
	const char *kind;                       /* the body's name; "none" without one */
	const char *title_key, *title;          /* NULL key: the kind has no title */
	const char *text_key, *text;            /* NULL key: the kind has no text */
	char report_id[2 * ADMIN_HEX_MAX + 1];  /* ack only */
	const char *state;                      /* ack only; NULL otherwise */
	const char *assignee;                   /* ack only */
	int online;                             /* status only: 0 or 1; -1 otherwise */
	bool announcement;                      /* then expires_at_ms too */
	int64_t expires_at_ms;                  /* 0: never */
	bool withdrawn;                         /* announcement: by an Update or Cancel */
	bool showcase;                          /* then price_thb and contact too */
	int64_t price_thb;
	const char *contact;
	const ProtobufCBinaryData *photo;       /* report, showcase; NULL otherwise */
};

void
admin_hex(const uint8_t *b, size_t len, char out[2 * ADMIN_HEX_MAX + 1])
{
	hub_hex(b, len < ADMIN_HEX_MAX ? len : ADMIN_HEX_MAX, out);
}

static void
csv_field(const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, admin_out());
		return;
	}
	fputc('"', admin_out());
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', admin_out());
		fputc(*s, admin_out());
	}
	fputc('"', admin_out());
}

void
admin_csv_row(const char *const *fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		csv_field(fields[i]);
		fputc(i + 1 < n ? ',' : '\n', admin_out());
	}
}

static void
set_body(struct body *b, const char *kind, const char *title_key, const char *title,
	 const char *text_key, const char *text)
{
	b->kind = kind;
	b->title_key = title_key;
	b->title = title;
	b->text_key = text_key;
	b->text = text;
}

static void
body_of(const Np__Envelope *e, struct body *b)
{
	memset(b, 0, sizeof(*b));
	b->kind = "none";
	b->online = -1;
	switch (e->body_case) {
	case NP__ENVELOPE__BODY_REPORT:
		set_body(b, "report", "title", e->report->title, "detail", e->report->detail);
		b->photo = &e->report->photo;
		break;
	case NP__ENVELOPE__BODY_ACK:
		set_body(b, "ack", NULL, NULL, "note", e->ack->note);
		admin_hex(e->ack->report_id.data, e->ack->report_id.len, b->report_id);
		b->state = hub_ack_state_name((int)e->ack->state);
		b->assignee = e->ack->assignee != NULL ? e->ack->assignee : "";
		break;
	case NP__ENVELOPE__BODY_ANNOUNCEMENT:
		set_body(b, "announcement", "title", e->announcement->title, "body",
			 e->announcement->body);
		b->announcement = true;
		b->expires_at_ms = e->announcement->expires_at_ms;
		break;
	case NP__ENVELOPE__BODY_DM:
		set_body(b, "dm", NULL, NULL, "text", e->dm->text);
		break;
	case NP__ENVELOPE__BODY_SHOWCASE:
		set_body(b, "showcase", "title", e->showcase->title, "description",
			 e->showcase->description);
		b->showcase = true;
		b->price_thb = e->showcase->price_thb;
		b->contact = e->showcase->contact;
		b->photo = &e->showcase->photo;
		break;
	case NP__ENVELOPE__BODY_STATUS:
		b->kind = "status";
		b->online = e->status->online ? 1 : 0;
		break;
	default:
		break;
	}
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Adds "photo" (base64), "photo_type" and "photo_bytes" when b has a photo,
 * as np-history --json does (examples/print.c). */
static json_t *
with_photo(json_t *o, const struct body *b)
{
	const char *type;
	char *b64;

	if (o == NULL || b->photo == NULL || b->photo->len == 0)
		return o;
	type = hub_photo_mime(hub_photo_sniff(b->photo->data, b->photo->len));
	b64 = malloc(4 * ((b->photo->len + 2) / 3) + 1);
	if (b64 == NULL) {
		json_decref(o);
		return NULL;
	}
	EVP_EncodeBlock((unsigned char *)b64, b->photo->data, (int)b->photo->len);
	if (json_object_set_new(o, "photo", json_string(b64)) != 0
	    || json_object_set_new(o, "photo_type",
				   json_string(type ? type : "application/octet-stream")) != 0
	    || json_object_set_new(o, "photo_bytes", json_integer((json_int_t)b->photo->len))
	    != 0) {
		json_decref(o);
		o = NULL;
	}
	free(b64);
	return o;
}

/* expired by this clock, and withdrawn only when true, as np-history says
 * (examples/print.c) */
static json_t *
announcement_json(const struct body *b)
{
	json_t *o = json_pack("{s:s,s:s,s:I,s:b}", b->title_key, b->title, b->text_key, b->text,
			      "expires_at_ms", (json_int_t)b->expires_at_ms, "expired",
			      b->expires_at_ms != 0 && b->expires_at_ms <= now_ms());

	if (o != NULL && b->withdrawn && json_object_set_new(o, "withdrawn", json_true()) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static json_t *
body_json(const struct body *b)
{
	if (b->online >= 0)
		return json_pack("{s:b}", "online", b->online);
	if (b->state != NULL)
		return json_pack("{s:s,s:s,s:s,s:s}", "report_id", b->report_id, "state", b->state,
				 "note", b->text, "assignee", b->assignee);
	if (b->announcement)
		return announcement_json(b);
	if (b->showcase)
		return with_photo(json_pack("{s:s,s:s,s:I,s:s}", b->title_key, b->title,
					    b->text_key, b->text, "price_thb",
					    (json_int_t)b->price_thb, "contact", b->contact), b);
	if (b->title_key != NULL)
		return with_photo(json_pack("{s:s,s:s}", b->title_key, b->title, b->text_key,
					    b->text), b);
	if (b->text_key != NULL)
		return json_pack("{s:s}", b->text_key, b->text);
	return json_object();
}

static const char *
sender_role(const Np__Envelope *e)
{
	return hub_role_name(e->sender ? (enum hub_role)e->sender->role : HUB_ROLE_NONE);
}

enum admin_rc
admin_msg_print_json(const char *topic, const Np__Envelope *e, bool withdrawn)
{
	char id[2 * ADMIN_HEX_MAX + 1];
	char *line = NULL;
	struct body b;
	json_t *o;

	body_of(e, &b);
	b.withdrawn = b.announcement && withdrawn;
	admin_hex(e->id.data, e->id.len, id);
	o = json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:I,s:I,s:s,s:o}", "topic", topic, "id", id,
		      "sender", "username", e->sender ? e->sender->username : "", "role",
		      sender_role(e), "area", e->sender ? e->sender->area : "", "sent_at_ms",
		      (json_int_t)e->sent_at_ms, "received_at_ms", (json_int_t)e->received_at_ms,
		      "kind", b.kind, b.kind, body_json(&b));
	if (o != NULL)
		line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (line == NULL) {
		fprintf(admin_err(), "np-admin: cannot write the message on %s as JSON\n", topic);
		return ADMIN_FAIL;
	}
	fputs(line, admin_out());
	fputc('\n', admin_out());
	free(line);
	return ADMIN_OK;
}

const char admin_msg_csv_header[] = "received_at_ms,topic,id,sender,role,area,kind,title,text,"
				    "extra";

void
admin_msg_print_csv(const char *topic, const Np__Envelope *e)
{
	char id[2 * ADMIN_HEX_MAX + 1], extra[96] = "", ms[32];
	const char *row[10];
	struct body b;

	body_of(e, &b);
	if (b.state != NULL)
		snprintf(extra, sizeof(extra), "%s %s", b.report_id, b.state);
	else if (b.online >= 0)
		snprintf(extra, sizeof(extra), "%s", b.online ? "online" : "offline");
	admin_hex(e->id.data, e->id.len, id);
	snprintf(ms, sizeof(ms), "%" PRId64, e->received_at_ms);
	row[0] = ms;
	row[1] = topic;
	row[2] = id;
	row[3] = e->sender ? e->sender->username : "";
	row[4] = sender_role(e);
	row[5] = e->sender ? e->sender->area : "";
	row[6] = b.kind;
	row[7] = b.title != NULL ? b.title : "";
	row[8] = b.text != NULL ? b.text : "";
	row[9] = extra;
	admin_csv_row(row, 10);
}

/* ms as UTC, ISO 8601 to the millisecond, into buf (32 bytes). */
static const char *
iso_ms(int64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	if (gmtime_r(&t, &tm) == NULL)
		return "?";
	n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03dZ", (int)(ms % 1000));
	return buf;
}

enum admin_rc
admin_audit_print(const struct hub_audit_rec *a, bool json)
{
	char when[32], *line = NULL;
	const char *row[5] = { iso_ms(a->ms, when), a->actor, a->command, a->target, a->result };
	json_t *o;

	if (!json) {
		admin_csv_row(row, 5);
		return ADMIN_OK;
	}
	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "ms", (json_int_t)a->ms, "time", when,
		      "actor", a->actor, "command", a->command, "target", a->target, "result",
		      a->result);
	if (o != NULL)
		line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (line == NULL) {
		fprintf(admin_err(), "np-admin: cannot write the audit record of %s as JSON\n", when);
		return ADMIN_FAIL;
	}
	fputs(line, admin_out());
	fputc('\n', admin_out());
	free(line);
	return ADMIN_OK;
}

/* registry list: the places in the form registry import reads. */
/* code,name_th,name_en */
static int
print_place(void *ctx, const struct hub_place *p)
{
	const char *row[3] = { p->code, p->name_th, p->name_en };

	(void)ctx;
	admin_csv_row(row, 3);
	return ferror(admin_out()) ? 1 : 0;
}

enum admin_rc
admin_registry_list(struct hub_store *s, const char *prefix)
{
	if (hub_store_place_each(s, prefix, print_place, NULL) == 0)
		return ADMIN_OK;
	fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
	return ADMIN_FAIL;
}
