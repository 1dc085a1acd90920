/* validate.c - the payload rules of DESIGN.md ("Messages"): one np.Envelope per
 * publish, a 16-byte id, a body that fits the topic, UTF-8 text, no unknown
 * fields, within the size limit; then the hub's stamp (sender, received_at_ms).
 * Knows nothing of MQTT or LMDB: plugin.c calls in after acl.c granted the topic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"
#include "np.pb-c.h"
#include "photo.h"
#include "validate.h"

#define TEXT_MAX 8192   /* bytes per text field */
#define CONTACT_MAX 200 /* bytes of Showcase.contact */
#define PRICE_MAX 10000000      /* Showcase.price_thb, whole baht */
#define PHOTO_FIELD 10  /* Report.photo, Showcase.photo */

struct hub_msg {
	Np__Envelope *env;
	Np__Sender sender;      /* the stamp; env->sender points here once stamped */
	Np__Sender *client_sender;
	char username[HUB_USERNAME_MAX + 1];
	char area[HUB_AREA_MAX + 1];
};

int
hub_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	unsigned c, need, cp, min;

	while (i < n) {
		c = s[i++];
		if (c == 0)
			return 0;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return 0;
		}
		if (n - i < need)
			return 0;
		while (need-- > 0) {
			c = s[i++];
			if ((c & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (c & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

/* A text field: HUB_OK, or why not; if_empty when it must not be empty. */
static enum hub_refusal
text(const char *s, enum hub_refusal if_empty)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 && if_empty != HUB_OK)
		return if_empty;
	if (n > TEXT_MAX)
		return HUB_R_TEXT_TOO_LONG;
	if (!hub_utf8_valid(s, n))
		return HUB_R_TEXT_UTF8;
	return HUB_OK;
}

/* The refusals of a text that must not be empty: one cut to nothing by a NUL
 * byte is told as a NUL (see hub_msg_decode). */
static bool
is_empty_text(enum hub_refusal why)
{
	return why == HUB_R_REPORT_NO_TITLE || why == HUB_R_ANN_NO_TITLE
	       || why == HUB_R_SHOW_NO_TITLE || why == HUB_R_DM_EMPTY;
}

/* s is empty or one of the NULL-terminated words. */
static bool
one_of(const char *s, const char *const *words)
{
	if (s == NULL || s[0] == '\0')
		return true;
	for (; *words != NULL; words++) {
		if (strcmp(s, *words) == 0)
			return true;
	}
	return false;
}

static const char *const severities[] = { "Extreme", "Severe", "Moderate", "Minor", "Unknown",
					  NULL };
static const char *const urgencies[] = { "Immediate", "Expected", "Future", "Past", "Unknown",
					 NULL };
static const char *const certainties[] = { "Observed", "Likely", "Possible", "Unlikely",
					   "Unknown", NULL };
static const char *const statuses[] = { "Actual", "Exercise", "System", "Test", "Draft", NULL };
static const char *const msg_types[] = { "Alert", "Update", "Cancel", "Ack", "Error", NULL };

/* The CAP fields (DESIGN.md "CAP"): texts, CAP's words, and references (16-byte
 * ids) only on an Update or a Cancel. Whether the references exist is
 * publish.c's to check (it needs the history). */
static enum hub_refusal
check_cap(const Np__Announcement *a)
{
	const char *texts[] = { a->sender_name, a->cap_identifier, a->instruction, a->language };
	enum hub_refusal why = HUB_OK;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]) && why == HUB_OK; i++)
		why = text(texts[i], HUB_OK);
	if (why != HUB_OK)
		return why;
	if (!one_of(a->severity, severities))
		return HUB_R_CAP_SEVERITY;
	if (!one_of(a->urgency, urgencies))
		return HUB_R_CAP_URGENCY;
	if (!one_of(a->certainty, certainties))
		return HUB_R_CAP_CERTAINTY;
	if (!one_of(a->cap_status, statuses))
		return HUB_R_CAP_STATUS;
	if (!one_of(a->msg_type, msg_types))
		return HUB_R_CAP_MSG_TYPE;
	if (a->n_references == 0)
		return HUB_OK;
	if (strcmp(a->msg_type, "Update") != 0 && strcmp(a->msg_type, "Cancel") != 0)
		return HUB_R_CAP_REF_MSG_TYPE;
	if (a->n_references > HUB_MAX_REFERENCES)
		return HUB_R_CAP_REF_TOO_MANY;
	for (i = 0; i < a->n_references; i++) {
		if (a->references[i].len != HUB_ID_LEN)
			return HUB_R_CAP_REF_LENGTH;
	}
	return HUB_OK;
}

/* ASSIGNED names a valid username; any other state none. */
static enum hub_refusal
check_assignee(const Np__Ack *a)
{
	size_t n = a->assignee ? strlen(a->assignee) : 0;

	if (a->state != NP__ACK_STATE__ASSIGNED)
		return n == 0 ? HUB_OK : HUB_R_ACK_ASSIGNEE_STATE;
	if (n == 0)
		return HUB_R_ACK_NO_ASSIGNEE;
	return hub_username_valid(a->assignee, n) ? HUB_OK : HUB_R_CASE_ASSIGNEE_UNKNOWN;
}

/* A photo (may be absent): JPEG, PNG or WebP, at most max bytes (photo.c). */
static enum hub_refusal
photo(const ProtobufCBinaryData *p, size_t max)
{
	return p->len == 0 ? HUB_OK : hub_photo_check(p->data, p->len, max);
}

/* A showcase's own fields after its title and description. */
static enum hub_refusal
check_showcase(const Np__Showcase *s, size_t max_photo)
{
	/* a withdrawal needs no title */
	enum hub_refusal why = text(s->title, s->withdraws.len != 0 ? HUB_OK : HUB_R_SHOW_NO_TITLE);

	if (why == HUB_OK)
		why = text(s->description, HUB_OK);
	if (why == HUB_OK && s->price_thb < 0)
		why = HUB_R_SHOW_PRICE;
	if (why == HUB_OK && s->price_thb > PRICE_MAX)
		why = HUB_R_SHOW_PRICE;
	if (why == HUB_OK && s->contact != NULL && strlen(s->contact) > CONTACT_MAX)
		why = HUB_R_SHOW_CONTACT;
	if (why == HUB_OK)
		why = text(s->contact, HUB_OK);
	if (why == HUB_OK && s->withdraws.len != 0 && s->withdraws.len != HUB_ID_LEN)
		why = HUB_R_SHOW_WITHDRAWS;     /* publish.c checks what it names */
	return why == HUB_OK ? photo(&s->photo, max_photo) : why;
}

static enum hub_refusal
check_body(const Np__Envelope *e, enum hub_topic_kind kind, size_t max_photo)
{
	enum hub_refusal why;

	switch (e->body_case) {
	case NP__ENVELOPE__BODY_REPORT:
		if (kind != HUB_TOPIC_REPORT)
			break;
		why = text(e->report->title, HUB_R_REPORT_NO_TITLE);
		if (why == HUB_OK)
			why = text(e->report->detail, HUB_OK);
		return why != HUB_OK ? why : photo(&e->report->photo, max_photo);
	case NP__ENVELOPE__BODY_ACK:
		if (kind != HUB_TOPIC_ACK)
			break;
		if (e->ack->report_id.len != HUB_ID_LEN)
			return HUB_R_ACK_REPORT_ID;
		if (e->ack->state < NP__ACK_STATE__RECEIVED || e->ack->state > NP__ACK_STATE__ASSIGNED)
			return HUB_R_ACK_STATE;
		why = check_assignee(e->ack);
		return why != HUB_OK ? why : text(e->ack->note, HUB_OK);
	case NP__ENVELOPE__BODY_ANNOUNCEMENT:
		if (kind != HUB_TOPIC_ANN)
			break;
		why = text(e->announcement->title, HUB_R_ANN_NO_TITLE);
		if (why == HUB_OK)
			why = text(e->announcement->body, HUB_OK);
		if (why == HUB_OK && e->announcement->expires_at_ms < 0)
			why = HUB_R_ANN_EXPIRY_NEGATIVE;
		return why != HUB_OK ? why : check_cap(e->announcement);
	case NP__ENVELOPE__BODY_DM:
		if (kind != HUB_TOPIC_DM)
			break;
		return text(e->dm->text, HUB_R_DM_EMPTY);
	case NP__ENVELOPE__BODY_SHOWCASE:
		if (kind != HUB_TOPIC_SHOW)
			break;
		return check_showcase(e->showcase, max_photo);
	case NP__ENVELOPE__BODY_STATUS:
		if (kind != HUB_TOPIC_STATUS)
			break;
		return HUB_OK;
	case NP__ENVELOPE__BODY__NOT_SET:
		return HUB_R_NO_BODY;
	default:
		return HUB_R_BODY_HUB_ONLY;
	}
	return HUB_R_BODY_MISFIT;
}

static bool
has_unknown(const ProtobufCMessage *m)
{
	return m != NULL && m->n_unknown_fields > 0;
}

/* A body that takes no photo but carries bytes as field 10, as a photo
 * would be: said as such rather than as an unknown field. */
static bool
has_stray_photo(const ProtobufCMessage *m)
{
	unsigned i;

	for (i = 0; m != NULL && i < m->n_unknown_fields; i++) {
		if (m->unknown_fields[i].tag == PHOTO_FIELD
		    && m->unknown_fields[i].wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
			return true;
	}
	return false;
}

static enum hub_refusal
check_envelope(const Np__Envelope *e, enum hub_topic_kind kind, size_t max_photo)
{
	enum hub_refusal why;

	if (has_unknown(&e->base) || (e->sender && has_unknown(&e->sender->base)))
		return HUB_R_ENVELOPE_UNKNOWN_FIELDS;
	if (e->id.len != HUB_ID_LEN)
		return HUB_R_ID_LENGTH;
	if (memcmp(e->id.data, (const uint8_t[HUB_ID_LEN]){ 0 }, HUB_ID_LEN) == 0)
		return HUB_R_ID_ZERO;
	if (e->seal.len != 0)
		return HUB_R_SEAL_SET;
	why = check_body(e, kind, max_photo);
	if (why != HUB_OK)
		return why;
	if ((e->dm && has_stray_photo(&e->dm->base)) || (e->status && has_stray_photo(&e->status->base)))
		return HUB_R_PHOTO_NOT_HERE;
	/* bodies are checked for unknown fields through their base */
	if (e->report && has_unknown(&e->report->base))
		return HUB_R_BODY_UNKNOWN_FIELDS;
	if (e->ack && has_unknown(&e->ack->base))
		return HUB_R_BODY_UNKNOWN_FIELDS;
	if (e->announcement && has_unknown(&e->announcement->base))
		return HUB_R_BODY_UNKNOWN_FIELDS;
	if (e->dm && has_unknown(&e->dm->base))
		return HUB_R_BODY_UNKNOWN_FIELDS;
	if (e->showcase && has_unknown(&e->showcase->base))
		return HUB_R_BODY_UNKNOWN_FIELDS;
	if (e->status && has_unknown(&e->status->base))
		return HUB_R_BODY_UNKNOWN_FIELDS;
	return HUB_OK;
}

/* The bytes of the photo of a report or showcase (0: none). */
static size_t
photo_len(const Np__Envelope *e)
{
	if (e->body_case == NP__ENVELOPE__BODY_REPORT)
		return e->report->photo.len;
	if (e->body_case == NP__ENVELOPE__BODY_SHOWCASE)
		return e->showcase->photo.len;
	return 0;
}

enum hub_refusal
hub_msg_decode(struct hub_msg **out, const void *buf, size_t len, enum hub_topic_kind kind,
	       size_t max_payload)
{
	return hub_msg_decode_limits(out, buf, len, kind, max_payload, HUB_DEFAULT_MAX_PHOTO);
}

enum hub_refusal
hub_msg_decode_limits(struct hub_msg **out, const void *buf, size_t len,
		      enum hub_topic_kind kind, size_t max_payload, size_t max_photo)
{
	size_t most = max_payload > SIZE_MAX - max_photo ? SIZE_MAX : max_payload + max_photo;
	struct hub_msg *m;
	enum hub_refusal why;

	*out = NULL;
	if (len > most)         /* read nothing over both limits */
		return HUB_R_PAYLOAD_TOO_BIG;
	if (len == 0)
		return HUB_R_PAYLOAD_EMPTY;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return HUB_R_NOMEM;
	m->env = np__envelope__unpack(NULL, len, buf);
	if (m->env == NULL) {
		free(m);
		return len > max_payload ? HUB_R_PAYLOAD_TOO_BIG : HUB_R_NOT_ENVELOPE;
	}
	/* max_payload counts every byte but the photo's own: a photo at its own
	 * limit fits beside a message at its limit */
	if (len - photo_len(m->env) > max_payload)
		why = HUB_R_PAYLOAD_TOO_BIG;
	else
		why = check_envelope(m->env, kind, max_photo);
	/* protobuf-c cuts a string at an embedded NUL without a word, and the
	 * hub stores what it packs: so what was decoded must pack to exactly
	 * the bytes received. Our encoders (protobuf-c, protoc) are canonical.
	 * A text cut to nothing by a NUL is told as a NUL, not as empty. */
	if ((why == HUB_OK || is_empty_text(why)) && np__envelope__get_packed_size(m->env) != len)
		why = HUB_R_NOT_CANONICAL;
	/* the same size may hold the same fields in another order: the id, which
	 * refusals and resends are keyed by (hub_msg_peek_id), must open it, as
	 * it does in every encoder's output (fields in number order) */
	if (why == HUB_OK && (len < 2 + HUB_ID_LEN || ((const uint8_t *)buf)[0] != 0x0a
			      || ((const uint8_t *)buf)[1] != HUB_ID_LEN))
		why = HUB_R_NOT_CANONICAL;
	if (why != HUB_OK) {
		hub_msg_free(m);
		return why;
	}
	*out = m;
	return HUB_OK;
}

int
hub_msg_stamp(struct hub_msg *m, const struct hub_principal *p, int64_t now_ms)
{
	size_t un = strnlen(p->username, sizeof(m->username) - 1);
	size_t an = strnlen(p->scope, sizeof(m->area) - 1);

	if (m->client_sender == NULL)
		m->client_sender = m->env->sender;
	/* no snprintf here: this runs for every message */
	memcpy(m->username, p->username, un);
	m->username[un] = '\0';
	memcpy(m->area, p->scope, an);
	m->area[an] = '\0';
	np__sender__init(&m->sender);
	m->sender.username = m->username;
	m->sender.role = (Np__Role)p->role;
	m->sender.area = m->area;
	m->env->sender = &m->sender;
	m->env->received_at_ms = now_ms;
	return 0;
}

size_t
hub_msg_packed_size(const struct hub_msg *m)
{
	return np__envelope__get_packed_size(m->env);
}

void
hub_msg_pack(const struct hub_msg *m, uint8_t *buf)
{
	np__envelope__pack(m->env, buf);
}

int
hub_msg_ack_fields(const struct hub_msg *m, struct hub_ack_fields *out)
{
	const Np__Ack *a = m->env->body_case == NP__ENVELOPE__BODY_ACK ? m->env->ack : NULL;

	if (a == NULL || a->report_id.len != HUB_ID_LEN)
		return -1;
	memcpy(out->report_id, a->report_id.data, HUB_ID_LEN);
	out->state = (int)a->state;
	out->has_note = a->note != NULL && a->note[0] != '\0';
	snprintf(out->assignee, sizeof(out->assignee), "%s", a->assignee ? a->assignee : "");
	return 0;
}

int
hub_ack_read(const void *buf, size_t len, struct hub_ack_fields *out)
{
	Np__Envelope *e = np__envelope__unpack(NULL, len, buf);
	struct hub_msg m;
	int rc;

	if (e == NULL)
		return -1;
	memset(&m, 0, sizeof(m));
	m.env = e;
	rc = hub_msg_ack_fields(&m, out);
	np__envelope__free_unpacked(e, NULL);
	return rc;
}

const uint8_t *
hub_msg_ack_report(const struct hub_msg *m)
{
	return m->env->body_case == NP__ENVELOPE__BODY_ACK ? m->env->ack->report_id.data : NULL;
}

const uint8_t *
hub_msg_withdraws(const struct hub_msg *m)
{
	const Np__Envelope *e = m->env;

	return e->body_case == NP__ENVELOPE__BODY_SHOWCASE && e->showcase->withdraws.len == HUB_ID_LEN
	       ? e->showcase->withdraws.data : NULL;
}

bool
hub_msg_is_showcase(const struct hub_msg *m)
{
	return m->env->body_case == NP__ENVELOPE__BODY_SHOWCASE;
}

enum hub_refusal
hub_msg_check_expiry(const struct hub_msg *m, int64_t now_ms)
{
	const Np__Announcement *a = m->env->body_case == NP__ENVELOPE__BODY_ANNOUNCEMENT
				    ? m->env->announcement : NULL;

	/* an alert imported from CAP after its expiry is kept in the history as
	 * expired (never delivered): DESIGN.md "CAP", README "CAP" */
	if (a == NULL || a->cap_identifier[0] != '\0')
		return HUB_OK;
	return hub_expiry_past(a->expires_at_ms, now_ms) ? HUB_R_ANN_EXPIRED : HUB_OK;
}

static const Np__Announcement *
ann_of(const struct hub_msg *m)
{
	return m->env->body_case == NP__ENVELOPE__BODY_ANNOUNCEMENT ? m->env->announcement : NULL;
}

size_t
hub_msg_n_references(const struct hub_msg *m)
{
	const Np__Announcement *a = ann_of(m);

	return a != NULL ? a->n_references : 0;
}

const uint8_t *
hub_msg_reference(const struct hub_msg *m, size_t i)
{
	return ann_of(m)->references[i].data;
}

const char *
hub_msg_cap_status(const struct hub_msg *m)
{
	const Np__Announcement *a = ann_of(m);

	return a != NULL && a->cap_status[0] != '\0' ? a->cap_status : "Actual";
}

int
hub_msg_stored_ann(const void *buf, size_t len, char *sender, size_t slen, char *status,
		   size_t stlen)
{
	Np__Envelope *e = np__envelope__unpack(NULL, len, buf);
	int rc = -1;

	if (e == NULL)
		return -1;
	if (e->sender != NULL)
		snprintf(sender, slen, "%s", e->sender->username);
	if (e->body_case == NP__ENVELOPE__BODY_ANNOUNCEMENT) {
		snprintf(status, stlen, "%s", e->announcement->cap_status[0] != '\0'
			 ? e->announcement->cap_status : "Actual");
		rc = 0;
	} else {
		rc = 1;
	}
	np__envelope__free_unpacked(e, NULL);
	return rc;
}

const uint8_t *
hub_msg_id(const struct hub_msg *m)
{
	return m->env->id.data;
}

void
hub_msg_free(struct hub_msg *m)
{
	if (m == NULL)
		return;
	if (m->client_sender != NULL)
		m->env->sender = m->client_sender;      /* unpack's own, freed with it */
	else if (m->env->sender == &m->sender)
		m->env->sender = NULL;
	np__envelope__free_unpacked(m->env, NULL);
	free(m);
}

int
hub_msg_sender_name(const void *buf, size_t len, char *out, size_t outlen)
{
	Np__Envelope *e = np__envelope__unpack(NULL, len, buf);
	int ok = e != NULL && e->sender != NULL;

	if (ok)
		snprintf(out, outlen, "%s", e->sender->username);
	if (e != NULL)
		np__envelope__free_unpacked(e, NULL);
	return ok ? 0 : -1;
}

int
hub_msg_peek_id(const void *buf, size_t len, uint8_t id[HUB_ID_LEN])
{
	const uint8_t *b = buf;

	/* O(1) whatever the size: an id is field 1 (tag 0x0a), 16 bytes, first in
	 * every canonical envelope; anything else is not worth quoting */
	if (len < 2 + HUB_ID_LEN || b[0] != 0x0a || b[1] != HUB_ID_LEN)
		return -1;
	memcpy(id, b + 2, HUB_ID_LEN);
	return 0;
}

void
hub_msg_set_id(struct hub_msg *m, const uint8_t id[HUB_ID_LEN])
{
	memcpy(m->env->id.data, id, HUB_ID_LEN);
}

bool
hub_msg_same(struct hub_msg *m, const struct hub_principal *p, const void *stored, size_t len)
{
	Np__Envelope *e = np__envelope__unpack(NULL, len, stored);
	uint8_t *mine = NULL;
	size_t n = 0;
	bool same = false;

	if (e != NULL) {
		hub_msg_stamp(m, p, e->received_at_ms);
		n = hub_msg_packed_size(m);
		mine = malloc(n ? n : 1);
	}
	if (mine != NULL) {
		hub_msg_pack(m, mine);
		same = n == len && memcmp(mine, stored, n) == 0;
	}
	free(mine);
	if (e != NULL)
		np__envelope__free_unpacked(e, NULL);
	return same;
}

uint8_t *
hub_reply_pack(void *envelope, int64_t now_ms, size_t *len)
{
	Np__Envelope *e = envelope;
	Np__Sender hub = NP__SENDER__INIT;
	uint8_t *buf;

	hub.username = "hub";
	hub.area = "TH";
	e->sender = &hub;
	e->received_at_ms = now_ms;
	e->sent_at_ms = now_ms;
	*len = np__envelope__get_packed_size(e);
	buf = malloc(*len ? *len : 1);
	if (buf != NULL)
		np__envelope__pack(e, buf);
	e->sender = NULL;
	return buf;
}

uint8_t *
hub_refusal_pack(const uint8_t *id, const char *topic, const char *reason,
		 uint32_t retry_after_ms, int64_t now_ms, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Refusal r = NP__REFUSAL__INIT;

	r.topic = (char *)topic;
	r.reason = (char *)reason;
	r.retry_after_ms = retry_after_ms;
	if (id != NULL) {
		r.id.data = (uint8_t *)id;
		r.id.len = HUB_ID_LEN;
	}
	e.body_case = NP__ENVELOPE__BODY_REFUSAL;
	e.refusal = &r;
	return hub_reply_pack(&e, now_ms, len);
}
