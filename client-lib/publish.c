/* publish.c - the typed publishing calls of np_client.h: each builds its
 * topic (topics.c) and its body (codec.c's struct np__body) and hands both
 * to pending.c, which sends the message and reports its outcome later. */
#include <stddef.h>
#include <string.h>

#include "np_int.h"

#define TOPIC_MAX 160

/* Publishes b on the village topic np/<root>/<P>/<D>/<V>[/<last>]. */
static int
to_village(struct np_client *c, const char *root, const char *village, const char *last,
	   const struct np__body *b, uint8_t *id_out)
{
	char topic[TOPIC_MAX];
	int rc = np__topic_village(topic, sizeof(topic), root, village, last, c->err,
				   sizeof(c->err));

	return rc != NP_OK ? rc : np__publish(c, topic, b, id_out);
}

int
np_report(struct np_client *c, const char *village, const char *kind, const char *title,
	  const char *detail, uint8_t id_out[NP_ID_LEN])
{
	struct np_report_msg r = NP_REPORT_MSG_INIT;

	r.village = village;
	r.kind = kind;
	r.title = title;
	r.detail = detail;
	return np_report_ex(c, &r, id_out);
}

/* The size of struct T up to and with its field f. */
#define UPTO(T, f) (offsetof(T, f) + sizeof(((T *)0)->f))

static int
check_photo(struct np_client *c, const struct np_photo *p)
{
	if (p->data == NULL && p->len != 0)
		return np__set_err(c, NP_ERR_INVAL, "the photo has %zu bytes but no data", p->len);
	return NP_OK;
}

int
np_report_ex(struct np_client *c, const struct np_report_msg *r, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_REPORT };
	int rc;

	if (r == NULL || r->size < UPTO(struct np_report_msg, photo))
		return np__set_err(c, NP_ERR_INVAL, "no report, or its size is not set "
				   "(use NP_REPORT_MSG_INIT)");
	rc = check_photo(c, &r->photo);
	if (rc != NP_OK)
		return rc;
	b.a = r->title;
	b.b = r->detail;
	b.photo = r->photo.data;
	b.photo_len = r->photo.len;
	return to_village(c, "rep", r->village, r->kind ? r->kind : "", &b, id_out);
}

int
np_announce(struct np_client *c, const char *area, const char *category, const char *title,
	    const char *body, uint8_t id_out[NP_ID_LEN])
{
	struct np_announcement a = NP_ANNOUNCEMENT_INIT;

	a.area = area;
	a.category = category;
	a.title = title;
	a.body = body;
	return np_announce_ex(c, &a, id_out);
}

/* The fields of 1.3: a fixed id and sent time, the CAP fields. */
static int
cap_fields(struct np_client *c, const struct np_announcement *a, struct np__body *b)
{
	static const uint8_t zero[NP_ID_LEN];

	if (a->id != NULL && memcmp(a->id, zero, NP_ID_LEN) == 0)
		return np__set_err(c, NP_ERR_INVAL, "the announcement's id is all zero");
	if (a->sent_at_ms < 0)
		return np__set_err(c, NP_ERR_INVAL, "sent_at_ms is negative (0: now)");
	if (a->n_references > 0 && a->references == NULL)
		return np__set_err(c, NP_ERR_INVAL, "n_references without references");
	b->id = a->id;
	b->sent_at_ms = a->sent_at_ms;
	b->cap = a;
	return NP_OK;
}

int
np_announce_ex(struct np_client *c, const struct np_announcement *a, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_ANNOUNCEMENT };
	char topic[TOPIC_MAX];
	int rc;

	if (a == NULL || a->size < UPTO(struct np_announcement, expires_at_ms))
		return np__set_err(c, NP_ERR_INVAL, "no announcement, or its size is not set "
				   "(use NP_ANNOUNCEMENT_INIT)");
	if (a->expires_at_ms < 0)
		return np__set_err(c, NP_ERR_INVAL, "expires_at_ms is negative (0: never expires)");
	b.a = a->title;
	b.b = a->body;
	b.expires_at_ms = a->expires_at_ms;
	if (a->size >= UPTO(struct np_announcement, references)) {
		rc = cap_fields(c, a, &b);
		if (rc != NP_OK)
			return rc;
	}
	rc = np__topic_announce(topic, sizeof(topic), a->area, a->category, c->err, sizeof(c->err));
	return rc != NP_OK ? rc : np__publish(c, topic, &b, id_out);
}

int
np_ack(struct np_client *c, const char *village, const uint8_t report_id[NP_ID_LEN],
       enum np_ack_state state, const char *note, uint8_t id_out[NP_ID_LEN])
{
	struct np_ack a = NP_ACK_INIT;

	a.village = village;
	a.report_id = report_id;
	a.state = state;
	a.note = note;
	return np_ack_ex(c, &a, id_out);
}

int
np_ack_ex(struct np_client *c, const struct np_ack *a, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_ACK };
	bool named;

	if (a == NULL || a->size < UPTO(struct np_ack, assignee))
		return np__set_err(c, NP_ERR_INVAL, "no ack, or its size is not set "
				   "(use NP_ACK_INIT)");
	if (a->report_id == NULL)
		return np__set_err(c, NP_ERR_INVAL, "no report id");
	named = a->assignee != NULL && a->assignee[0] != '\0';
	if (named != (a->state == NP_ACK_ASSIGNED))
		return np__set_err(c, NP_ERR_INVAL, "an assignee goes with the state assigned, "
				   "and only with it");
	b.a = a->note;
	b.report_id = a->report_id;
	b.state = a->state;
	b.assignee = a->assignee;
	return to_village(c, "rep", a->village, "ack", &b, id_out);
}

int
np_dm(struct np_client *c, const char *address, const char *text, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_DM, .a = text };
	char topic[TOPIC_MAX];
	int rc = np__topic_dm(topic, sizeof(topic), address, c->err, sizeof(c->err));

	return rc != NP_OK ? rc : np__publish(c, topic, &b, id_out);
}

int
np_status(struct np_client *c, const char *village, bool online, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_STATUS, .online = online };

	return to_village(c, "status", village, NULL, &b, id_out);
}

int
np_show(struct np_client *c, const char *village, const char *kind, const char *title,
	const char *description, uint8_t id_out[NP_ID_LEN])
{
	struct np_showcase s = NP_SHOWCASE_INIT;

	s.village = village;
	s.kind = kind;
	s.title = title;
	s.description = description;
	return np_show_ex(c, &s, id_out);
}

int
np_show_ex(struct np_client *c, const struct np_showcase *s, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_SHOWCASE };
	int rc;

	if (s == NULL || s->size < UPTO(struct np_showcase, contact))
		return np__set_err(c, NP_ERR_INVAL, "no showcase, or its size is not set "
				   "(use NP_SHOWCASE_INIT)");
	rc = check_photo(c, &s->photo);
	if (rc != NP_OK)
		return rc;
	if (s->price_thb < 0 || s->price_thb > NP_PRICE_MAX)
		return np__set_err(c, NP_ERR_INVAL, "price_thb must be 0 to %d baht (0: no price)",
				   NP_PRICE_MAX);
	if (s->contact != NULL && strlen(s->contact) > NP_CONTACT_MAX)
		return np__set_err(c, NP_ERR_INVAL, "the contact is over %d bytes", NP_CONTACT_MAX);
	b.a = s->title;
	b.b = s->description;
	b.photo = s->photo.data;
	b.photo_len = s->photo.len;
	b.price_thb = s->price_thb;
	b.contact = s->contact;
	b.withdraws = s->size >= UPTO(struct np_showcase, withdraws) ? s->withdraws : NULL;
	return to_village(c, "show", s->village, s->kind ? s->kind : "", &b, id_out);
}
