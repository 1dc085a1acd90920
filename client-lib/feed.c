/* feed.c - feeds: the filters an app follows (subscribed again at every
 * connect) and the callbacks that get what matches. The broker sends one copy
 * per matching subscription; the ring of recent ids hands each message to the
 * feeds once. */
#include <mosquitto.h>
#include <stdlib.h>
#include <string.h>

#include "np_int.h"


struct np__feed {
	char *filter;
	np_msg_fn fn;
	void *ctx;
	struct np__feed *next;
};

bool
np__ring_seen(struct np__ring *r, const uint8_t id[NP_ID_LEN])
{
	size_t i, n = r->n < NP__RECENT_IDS ? r->n : NP__RECENT_IDS;

	for (i = 0; i < n; i++) {
		if (memcmp(r->ids[i], id, NP_ID_LEN) == 0)
			return true;
	}
	memcpy(r->ids[r->n % NP__RECENT_IDS], id, NP_ID_LEN);
	r->n++;
	return false;
}

void
np__feeds_subscribe_all(struct np_client *c)
{
	struct np__feed *f;

	for (f = c->feeds.head; f != NULL; f = f->next)
		mosquitto_subscribe_v5(c->conn.mosq, NULL, f->filter, 1, 0, NULL);
}

void
np__feeds_on_suback(struct np_client *c, int mid, int n, const int *granted)
{
	if (mid == c->feeds.sub_mid && n > 0)
		c->feeds.sub_rc = granted[0];
}

void
np__feeds_dispatch(struct np_client *c, const char *topic, const void *payload, size_t len)
{
	struct np__decoded d;
	struct np__feed *f;
	bool match;

	if (np__decode(topic, payload, len, &d) != NP_OK)
		return;
	if (np__ring_seen(&c->feeds.recent, d.m.id)) {
		np__decoded_free(&d);
		return;
	}
	for (f = c->feeds.head; f != NULL; f = f->next) {
		if (mosquitto_topic_matches_sub(f->filter, topic, &match) == MOSQ_ERR_SUCCESS && match)
			f->fn(f->ctx, &d.m);
	}
	if (d.m.body == NP_BODY_ANNOUNCEMENT)
		np__receipt_delivered(c, d.m.id);
	np__decoded_free(&d);
}

static void
feed_free(struct np__feed *f)
{
	free(f->filter);
	free(f);
}

/* Unlinks and frees f, whose subscription the hub did not grant. */
static void
forget(struct np_client *c, struct np__feed *f)
{
	struct np__feed **pp;

	for (pp = &c->feeds.head; *pp != f; pp = &(*pp)->next)
		;
	*pp = f->next;
	feed_free(f);
}

/* Subscribes f's filter now and waits for the hub's answer. */
static int
subscribe_now(struct np_client *c, struct np__feed *f)
{
	const char *filter = f->filter;
	int64_t deadline;

	c->feeds.sub_rc = -1;
	if (mosquitto_subscribe_v5(c->conn.mosq, &c->feeds.sub_mid, filter, 1, 0, NULL)
	    != MOSQ_ERR_SUCCESS)
		return np__set_err(c, NP_ERR_NOT_CONNECTED, "cannot subscribe now");
	deadline = np__mono_ms() + c->opt.follow_wait_ms;
	while (c->feeds.sub_rc < 0 && c->conn.connected && np__mono_ms() < deadline)
		np__pump(c, NP__SLICE_MS);
	if (c->feeds.sub_rc >= 0 && c->feeds.sub_rc < 0x80)
		return NP_OK;
	if (c->feeds.sub_rc < 0)
		return np__set_err(c, NP_ERR_TIMEOUT, "no answer to the subscription to '%s'",
				   filter);
	return np__set_err(c, NP_ERR_REFUSED, "the hub refused the subscription to '%s' (not "
			   "readable by this user)", filter);
}

int
np_follow(struct np_client *c, const char *filter, np_msg_fn fn, void *ctx)
{
	struct np__feed *f;
	int rc;

	if (filter == NULL || fn == NULL || mosquitto_sub_topic_check(filter) != MOSQ_ERR_SUCCESS)
		return np__set_err(c, NP_ERR_INVAL, "bad filter '%s'", filter ? filter : "");
	f = calloc(1, sizeof(*f));
	if (f == NULL || (f->filter = strdup(filter)) == NULL) {
		free(f);
		return np__set_err(c, NP_ERR_NOMEM, "out of memory");
	}
	f->fn = fn;
	f->ctx = ctx;
	f->next = c->feeds.head;
	c->feeds.head = f;
	if (!c->conn.connected)
		return NP_OK;   /* subscribed at connect */
	rc = subscribe_now(c, f);
	if (rc == NP_OK || rc == NP_ERR_NOT_CONNECTED)
		return rc;
	forget(c, f);
	return rc;
}

void
np__feeds_close(struct np_client *c)
{
	struct np__feed *f;

	while ((f = c->feeds.head) != NULL) {
		c->feeds.head = f->next;
		feed_free(f);
	}
}
