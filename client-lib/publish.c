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
	struct np__body b = { .kind = NP_BODY_REPORT, .a = title, .b = detail };

	return to_village(c, "rep", village, kind ? kind : "", &b, id_out);
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

/* The size of struct np_announcement up to and with its field f. */
#define ANN_UPTO(f) (offsetof(struct np_announcement, f) + sizeof(((struct np_announcement *)0)->f))

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

	if (a == NULL || a->size < ANN_UPTO(expires_at_ms))
		return np__set_err(c, NP_ERR_INVAL, "no announcement, or its size is not set "
				   "(use NP_ANNOUNCEMENT_INIT)");
	if (a->expires_at_ms < 0)
		return np__set_err(c, NP_ERR_INVAL, "expires_at_ms is negative (0: never expires)");
	b.a = a->title;
	b.b = a->body;
	b.expires_at_ms = a->expires_at_ms;
	if (a->size >= ANN_UPTO(references)) {
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
	struct np__body b = { .kind = NP_BODY_ACK, .a = note, .report_id = report_id,
			      .state = state };

	if (report_id == NULL)
		return np__set_err(c, NP_ERR_INVAL, "no report id");
	return to_village(c, "rep", village, "ack", &b, id_out);
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
	struct np__body b = { .kind = NP_BODY_SHOWCASE, .a = title, .b = description };

	return to_village(c, "show", village, kind ? kind : "", &b, id_out);
}
