/* codec.c - Envelopes in and out (protobuf-c), ids, and the vocabulary names.
 * The only file of libnpclient that includes np.pb-c.h. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "np.pb-c.h"
#include "np_int.h"

static const char *const role_names[] = { "unknown", "volunteer", "resident", "official",
					  "agency", "operator", "admin" };
static const char *const state_names[] = { "unspecified", "received", "in_progress",
					   "resolved", "rejected", "assigned" };
static const char *const body_names[] = { "none", "report", "ack", "announcement", "dm",
					  "showcase", "status" };

const char *
np_role_name(enum np_role r)
{
	return (unsigned)r <= NP_ROLE_ADMIN ? role_names[r] : role_names[0];
}

const char *
np_ack_state_name(enum np_ack_state s)
{
	return (unsigned)s <= NP_ACK_ASSIGNED ? state_names[s] : state_names[0];
}

int
np_ack_state_parse(const char *s, enum np_ack_state *out)
{
	int i;

	for (i = NP_ACK_RECEIVED; i <= NP_ACK_ASSIGNED; i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum np_ack_state)i;
			return NP_OK;
		}
	}
	return NP_ERR_INVAL;
}

/* struct np_msg of 1.2 has the size and layout of 1.1's (ABI: soname .so.1);
 * 1.3 keeps every offset of 1.2 and adds photo and assignee at the end, 1.4
 * withdrawn after them */
_Static_assert(sizeof(((struct np_msg *)0)->u.announcement)
	       <= sizeof(((struct np_msg *)0)->u.ack), "the announcement outgrew the union");
_Static_assert(sizeof(((struct np_msg *)0)->u.showcase)
	       <= sizeof(((struct np_msg *)0)->u.ack), "the showcase outgrew the union");
_Static_assert(offsetof(struct np_msg, photo)
	       >= offsetof(struct np_msg, u) + sizeof(((struct np_msg *)0)->u),
	       "photo must follow the fields of 1.2");
_Static_assert(offsetof(struct np_msg, withdrawn) >= offsetof(struct np_msg, assignee)
	       + sizeof(((struct np_msg *)0)->assignee), "withdrawn must follow the fields of 1.3");
#if UINTPTR_MAX == UINT64_MAX   /* as measured on x86-64 and aarch64 for 1.2 */
_Static_assert(offsetof(struct np_msg, u) == 72 && sizeof(((struct np_msg *)0)->u) == 32
	       && offsetof(struct np_msg, photo) == 104, "struct np_msg moved a field of 1.2");
#endif

const char *
np_photo_type(const void *data, size_t len)
{
	const uint8_t *b = data;

	if (b == NULL)
		return NULL;
	if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return "image/jpeg";
	if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

bool
np_msg_expired(const struct np_msg *m, int64_t now_ms)
{
	int64_t at;

	if (m == NULL || m->body != NP_BODY_ANNOUNCEMENT || m->u.announcement.expires_at_ms == 0)
		return false;
	at = m->u.announcement.expires_at_ms;
	return at <= (now_ms != 0 ? now_ms : np__now_ms());
}

const char *
np_body_name(enum np_body b)
{
	return (unsigned)b <= NP_BODY_STATUS ? body_names[b] : body_names[0];
}

void
np_id_to_hex(const uint8_t id[NP_ID_LEN], char out[2 * NP_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < NP_ID_LEN; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[2 * NP_ID_LEN] = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
np_id_from_hex(const char *hex, uint8_t id[NP_ID_LEN])
{
	int i, hi, lo;

	if (hex == NULL || strlen(hex) != 2 * NP_ID_LEN)
		return NP_ERR_INVAL;
	for (i = 0; i < NP_ID_LEN; i++) {
		hi = nibble(hex[2 * i]);
		lo = nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return NP_ERR_INVAL;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
	return NP_OK;
}

int64_t
np__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
np__mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint32_t
np__random(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint32_t)np__mono_ms() * 2654435761u;
	return v;
}

void
np__id_new(struct np__idgen *g, uint8_t id[NP_ID_LEN])
{
	int64_t ms = np__now_ms();
	int i;

	if (ms <= g->last_ms) {
		/* same (or earlier) ms: count on, borrowing the next ms when full */
		if (++g->counter > 0xfff) {
			g->counter = 0;
			g->last_ms++;
		}
		ms = g->last_ms;
	} else {
		g->last_ms = ms;
		g->counter = 0;
	}
	if (getrandom(id + 8, 8, 0) != 8)
		memset(id + 8, 0, 8);
	for (i = 0; i < 6; i++)
		id[i] = (uint8_t)((uint64_t)ms >> (8 * (5 - i)));
	id[6] = (uint8_t)(0x70 | (g->counter >> 8));
	id[7] = (uint8_t)g->counter;
	id[8] = (uint8_t)(0x80 | (id[8] & 0x3f));
}

static char *
or_empty(const char *s)
{
	return (char *)(s ? s : "");
}

/* The CAP fields of a into ann; *refs (malloc'd, the caller frees) points
 * into a's references. */
static int
cap_fields(Np__Announcement *ann, const struct np_announcement *a, ProtobufCBinaryData **refs)
{
	size_t i;

	ann->severity = or_empty(a->severity);
	ann->urgency = or_empty(a->urgency);
	ann->certainty = or_empty(a->certainty);
	ann->sender_name = or_empty(a->sender_name);
	ann->cap_identifier = or_empty(a->cap_identifier);
	ann->instruction = or_empty(a->instruction);
	ann->language = or_empty(a->language);
	ann->cap_status = or_empty(a->cap_status);
	ann->msg_type = or_empty(a->msg_type);
	if (a->n_references == 0)
		return NP_OK;
	*refs = calloc(a->n_references, sizeof(**refs));
	if (*refs == NULL)
		return NP_ERR_NOMEM;
	for (i = 0; i < a->n_references; i++) {
		(*refs)[i].data = (uint8_t *)a->references[i];
		(*refs)[i].len = NP_ID_LEN;
	}
	ann->n_references = a->n_references;
	ann->references = *refs;
	return NP_OK;
}

int
np__encode(const uint8_t id[NP_ID_LEN], int64_t sent_at_ms, const struct np__body *b,
	   uint8_t **buf, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report rep = NP__REPORT__INIT;
	Np__Ack ack = NP__ACK__INIT;
	Np__Announcement ann = NP__ANNOUNCEMENT__INIT;
	Np__DirectMessage dm = NP__DIRECT_MESSAGE__INIT;
	Np__Showcase show = NP__SHOWCASE__INIT;
	Np__Status st = NP__STATUS__INIT;
	ProtobufCBinaryData *refs = NULL;
	char *a = (char *)(b->a ? b->a : ""), *bb = (char *)(b->b ? b->b : "");

	e.id.data = (uint8_t *)id;
	e.id.len = NP_ID_LEN;
	e.sent_at_ms = sent_at_ms;
	switch (b->kind) {
	case NP_BODY_REPORT:
		rep.title = a;
		rep.detail = bb;
		rep.photo.data = (uint8_t *)b->photo;
		rep.photo.len = b->photo != NULL ? b->photo_len : 0;
		e.body_case = NP__ENVELOPE__BODY_REPORT;
		e.report = &rep;
		break;
	case NP_BODY_ACK:
		ack.report_id.data = (uint8_t *)b->report_id;
		ack.report_id.len = NP_ID_LEN;
		ack.state = (Np__AckState)b->state;
		ack.note = a;
		if (b->assignee != NULL)
			ack.assignee = (char *)b->assignee;
		e.body_case = NP__ENVELOPE__BODY_ACK;
		e.ack = &ack;
		break;
	case NP_BODY_ANNOUNCEMENT:
		ann.title = a;
		ann.body = bb;
		ann.expires_at_ms = b->expires_at_ms;
		if (b->cap != NULL && cap_fields(&ann, b->cap, &refs) != NP_OK)
			return NP_ERR_NOMEM;
		e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
		e.announcement = &ann;
		break;
	case NP_BODY_DM:
		dm.text = a;
		e.body_case = NP__ENVELOPE__BODY_DM;
		e.dm = &dm;
		break;
	case NP_BODY_SHOWCASE:
		show.title = a;
		show.description = bb;
		show.photo.data = (uint8_t *)b->photo;
		show.photo.len = b->photo != NULL ? b->photo_len : 0;
		show.price_thb = b->price_thb;
		show.contact = (char *)(b->contact ? b->contact : "");
		show.withdraws.data = (uint8_t *)b->withdraws;
		show.withdraws.len = b->withdraws != NULL ? NP_ID_LEN : 0;
		e.body_case = NP__ENVELOPE__BODY_SHOWCASE;
		e.showcase = &show;
		break;
	case NP_BODY_STATUS:
		st.online = b->online;
		e.body_case = NP__ENVELOPE__BODY_STATUS;
		e.status = &st;
		break;
	default:
		return NP_ERR_INVAL;
	}
	*len = np__envelope__get_packed_size(&e);
	*buf = malloc(*len);
	if (*buf != NULL)
		np__envelope__pack(&e, *buf);
	free(refs);
	return *buf != NULL ? NP_OK : NP_ERR_NOMEM;
}

static void
copy_id(uint8_t out[NP_ID_LEN], const ProtobufCBinaryData *b)
{
	memset(out, 0, NP_ID_LEN);
	if (b->len == NP_ID_LEN)
		memcpy(out, b->data, NP_ID_LEN);
}

static void
fill_photo(struct np_msg *m, const ProtobufCBinaryData *p)
{
	if (p->len == 0)
		return;
	m->photo.data = p->data;
	m->photo.len = p->len;
	m->photo.type = np_photo_type(p->data, p->len);
}

static void
fill_body(struct np_msg *m, const Np__Envelope *e)
{
	switch (e->body_case) {
	case NP__ENVELOPE__BODY_REPORT:
		m->body = NP_BODY_REPORT;
		m->u.report.title = e->report->title;
		m->u.report.detail = e->report->detail;
		fill_photo(m, &e->report->photo);
		break;
	case NP__ENVELOPE__BODY_ACK:
		m->body = NP_BODY_ACK;
		copy_id(m->u.ack.report_id, &e->ack->report_id);
		m->u.ack.state = (enum np_ack_state)e->ack->state;
		m->u.ack.note = e->ack->note;
		m->assignee = e->ack->assignee;
		break;
	case NP__ENVELOPE__BODY_ANNOUNCEMENT:
		m->body = NP_BODY_ANNOUNCEMENT;
		m->u.announcement.title = e->announcement->title;
		m->u.announcement.body = e->announcement->body;
		m->u.announcement.expires_at_ms = e->announcement->expires_at_ms;
		break;
	case NP__ENVELOPE__BODY_DM:
		m->body = NP_BODY_DM;
		m->u.dm.text = e->dm->text;
		break;
	case NP__ENVELOPE__BODY_SHOWCASE:
		m->body = NP_BODY_SHOWCASE;
		m->u.showcase.title = e->showcase->title;
		m->u.showcase.description = e->showcase->description;
		m->u.showcase.price_thb = e->showcase->price_thb;
		m->u.showcase.contact = e->showcase->contact;
		fill_photo(m, &e->showcase->photo);
		break;
	case NP__ENVELOPE__BODY_STATUS:
		m->body = NP_BODY_STATUS;
		m->u.status.online = e->status->online;
		break;
	default:
		m->body = NP_BODY_NONE;
		break;
	}
}

int
np__decode(const char *topic, const void *buf, size_t len, struct np__decoded *d)
{
	Np__Envelope *e = np__envelope__unpack(NULL, len, buf);

	memset(d, 0, sizeof(*d));
	if (e == NULL)
		return NP_ERR_PROTOCOL;
	d->env = e;
	d->m.topic = topic;
	copy_id(d->m.id, &e->id);
	d->m.sender.username = e->sender ? e->sender->username : "";
	d->m.sender.role = e->sender ? (enum np_role)e->sender->role : NP_ROLE_UNKNOWN;
	d->m.sender.area = e->sender ? e->sender->area : "";
	d->m.sent_at_ms = e->sent_at_ms;
	d->m.received_at_ms = e->received_at_ms;
	fill_body(&d->m, e);
	if (e->body_case == NP__ENVELOPE__BODY_ANNOUNCEMENT)
		d->expires_at_ms = e->announcement->expires_at_ms;
	return NP_OK;
}

void
np__decoded_free(struct np__decoded *d)
{
	if (d->env != NULL)
		np__envelope__free_unpacked(d->env, NULL);
	d->env = NULL;
}

int
np__decode_refusal(const void *buf, size_t len, uint8_t id[NP_ID_LEN], bool *has_id,
		   char **reason, uint32_t *retry_after_ms)
{
	Np__Envelope *e = np__envelope__unpack(NULL, len, buf);
	int rc = NP_ERR_PROTOCOL;

	*reason = NULL;
	*has_id = false;
	*retry_after_ms = 0;
	if (e != NULL && e->body_case == NP__ENVELOPE__BODY_REFUSAL) {
		*has_id = e->refusal->id.len == NP_ID_LEN;
		*retry_after_ms = e->refusal->retry_after_ms;
		copy_id(id, &e->refusal->id);
		*reason = strdup(e->refusal->reason);
		rc = *reason ? NP_OK : NP_ERR_NOMEM;
	}
	if (e != NULL)
		np__envelope__free_unpacked(e, NULL);
	return rc;
}

int
np__encode_history_request(const char *filter, int64_t since, int64_t until, uint32_t limit,
			   const uint8_t *cursor, size_t cursor_len, const char *corr,
			   uint8_t **buf, size_t *len)
{
	Np__HistoryRequest r = NP__HISTORY_REQUEST__INIT;

	r.filter = (char *)filter;
	r.since_ms = since;
	r.until_ms = until;
	r.limit = limit;
	r.cursor.data = (uint8_t *)cursor;
	r.cursor.len = cursor_len;
	r.correlation_id = (char *)corr;
	*len = np__history_request__get_packed_size(&r);
	*buf = malloc(*len ? *len : 1);
	if (*buf == NULL)
		return NP_ERR_NOMEM;
	np__history_request__pack(&r, *buf);
	return NP_OK;
}

int
np__decode_page(const void *buf, size_t len, struct np__page *p)
{
	Np__Envelope *e = np__envelope__unpack(NULL, len, buf);
	Np__HistoryPage *hp;

	memset(p, 0, sizeof(*p));
	if (e == NULL || e->body_case != NP__ENVELOPE__BODY_HISTORY_PAGE) {
		if (e != NULL)
			np__envelope__free_unpacked(e, NULL);
		return NP_ERR_PROTOCOL;
	}
	hp = e->history_page;
	p->page = e;
	p->stamp_ms = e->received_at_ms;
	p->corr = strdup(hp->correlation_id);
	p->error = hp->error[0] ? strdup(hp->error) : NULL;
	p->cursor_len = hp->next_cursor.len <= sizeof(p->cursor) ? hp->next_cursor.len : 0;
	if (p->cursor_len > 0)
		memcpy(p->cursor, hp->next_cursor.data, p->cursor_len);
	return p->corr ? NP_OK : NP_ERR_NOMEM;
}

size_t
np__page_items(const struct np__page *p)
{
	return ((Np__Envelope *)p->page)->history_page->n_items;
}

void
np__page_item(const struct np__page *p, size_t i, const char **topic, const uint8_t **env,
	      size_t *len, bool *withdrawn)
{
	Np__HistoryItem *it = ((Np__Envelope *)p->page)->history_page->items[i];

	*topic = it->topic;
	*env = it->envelope.data;
	*len = it->envelope.len;
	*withdrawn = it->withdrawn;
}

void
np__page_free(struct np__page *p)
{
	free(p->corr);
	free(p->error);
	if (p->page != NULL)
		np__envelope__free_unpacked(p->page, NULL);
	memset(p, 0, sizeof(*p));
}

int
np__encode_token_request(const char *label, const char *corr, uint8_t **buf, size_t *len)
{
	Np__TokenRequest r = NP__TOKEN_REQUEST__INIT;

	r.label = (char *)label;
	r.correlation_id = (char *)corr;
	*len = np__token_request__get_packed_size(&r);
	*buf = malloc(*len ? *len : 1);
	if (*buf == NULL)
		return NP_ERR_NOMEM;
	np__token_request__pack(&r, *buf);
	return NP_OK;
}

int
np__decode_token_grant(const void *buf, size_t len, char **corr, char **token, char **error)
{
	Np__Envelope *e = np__envelope__unpack(NULL, len, buf);
	int rc = NP_ERR_PROTOCOL;

	*corr = *token = *error = NULL;
	if (e != NULL && e->body_case == NP__ENVELOPE__BODY_TOKEN_GRANT) {
		*corr = strdup(e->token_grant->correlation_id);
		*token = strdup(e->token_grant->token);
		*error = strdup(e->token_grant->error);
		rc = *corr && *token && *error ? NP_OK : NP_ERR_NOMEM;
		if (*token != NULL)
			memset(e->token_grant->token, 0, strlen(e->token_grant->token));
	}
	if (e != NULL)
		np__envelope__free_unpacked(e, NULL);
	if (rc != NP_OK) {
		free(*corr);
		free(*token);
		free(*error);
		*corr = *token = *error = NULL;
	}
	return rc;
}
