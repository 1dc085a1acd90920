/* receipt.c - reach (DESIGN.md "Feeds", "Reach"): the receipts that tell the
 * hub an announcement was handed to the app (DELIVERED, from feed.c) or
 * opened (READ, np_mark_read), and np_reach, which pages through the hub's
 * answer to a reach request.
 *
 * Receipts wait in memory, one queue per state, each id once; the pump
 * (np__rcpt_tick) sends a batch of up to NP__RECEIPT_BATCH ids when one is
 * full or its oldest id waited NP__RECEIPT_WAIT_MS, at QoS 1. A batch stays
 * in c->rcpt.sent until its PUBACK; a lost link puts its ids back in the
 * queue (the hub counts a village once, so a resend costs nothing). This file
 * packs and unpacks its own messages (np.Receipt, np.ReachRequest,
 * np.ReachPage), as codec.c does the others'. */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np.pb-c.h"
#include "np_int.h"

#define REACH_PAGE_MAX 1000     /* not-reached villages per page: the hub's cap */

struct np__rcpt_batch {
	int mid;
	int state;                      /* 0 DELIVERED, 1 READ */
	size_t n;
	uint8_t ids[NP__RECEIPT_BATCH][NP_ID_LEN];
	struct np__rcpt_batch *next;
};

/* ---- the queues ---- */

static bool
queued(const struct np__rcpt *r, int s, const uint8_t id[NP_ID_LEN])
{
	size_t i;

	for (i = 0; i < r->n[s]; i++) {
		if (memcmp(r->q[s][i], id, NP_ID_LEN) == 0)
			return true;
	}
	return false;
}

/* Adds id to queue s (once); the oldest goes when it is full. */
static int
enqueue(struct np_client *c, int s, const uint8_t id[NP_ID_LEN])
{
	struct np__rcpt *r = &c->rcpt;
	uint8_t (*grown)[NP_ID_LEN];
	size_t cap;

	if (queued(r, s, id))
		return NP_OK;
	if (r->n[s] == NP__RECEIPT_MAX) {
		memmove(r->q[s], r->q[s] + 1, (r->n[s] - 1) * NP_ID_LEN);
		r->n[s]--;
		r->dropped++;
	}
	if (r->n[s] == r->cap[s]) {
		cap = r->cap[s] ? 2 * r->cap[s] : 64;
		grown = realloc(r->q[s], cap * NP_ID_LEN);
		if (grown == NULL)
			return np__set_err(c, NP_ERR_NOMEM, "out of memory");
		r->q[s] = grown;
		r->cap[s] = cap;
	}
	if (r->n[s] == 0)
		r->since[s] = np__mono_ms();
	memcpy(r->q[s][r->n[s]++], id, NP_ID_LEN);
	return NP_OK;
}

void
np__receipt_delivered(struct np_client *c, const uint8_t id[NP_ID_LEN])
{
	enqueue(c, 0, id);      /* out of memory: this receipt is lost, nothing else */
}

int
np_mark_read(struct np_client *c, const uint8_t id[NP_ID_LEN])
{
	if (c == NULL || id == NULL)
		return c ? np__set_err(c, NP_ERR_INVAL, "np_mark_read: no id") : NP_ERR_INVAL;
	return enqueue(c, 1, id);
}

/* ---- sending ---- */

static int
pack_receipt(int state, const uint8_t (*ids)[NP_ID_LEN], size_t n, uint8_t **buf, size_t *len)
{
	Np__Receipt r = NP__RECEIPT__INIT;
	ProtobufCBinaryData b[NP__RECEIPT_BATCH];
	size_t i;

	for (i = 0; i < n; i++) {
		b[i].data = (uint8_t *)ids[i];
		b[i].len = NP_ID_LEN;
	}
	r.state = state == 1 ? NP__RECEIPT_STATE__READ : NP__RECEIPT_STATE__DELIVERED;
	r.n_ids = n;
	r.ids = b;
	*len = np__receipt__get_packed_size(&r);
	*buf = malloc(*len ? *len : 1);
	if (*buf == NULL)
		return NP_ERR_NOMEM;
	np__receipt__pack(&r, *buf);
	return NP_OK;
}

/* Publishes the first batch of queue s; false when it cannot now. */
static bool
send_batch(struct np_client *c, int s)
{
	struct np__rcpt *r = &c->rcpt;
	struct np__rcpt_batch *b = calloc(1, sizeof(*b));
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if (b == NULL)
		return false;
	b->state = s;
	b->n = r->n[s] < NP__RECEIPT_BATCH ? r->n[s] : NP__RECEIPT_BATCH;
	memcpy(b->ids, r->q[s], b->n * NP_ID_LEN);
	rc = pack_receipt(s, (const uint8_t (*)[NP_ID_LEN])b->ids, b->n, &buf, &len);
	if (rc == NP_OK)
		rc = mosquitto_publish_v5(c->conn.mosq, &b->mid, NP__RECEIPT_TOPIC, (int)len, buf, 1,
					  false, NULL);
	free(buf);
	if (rc != NP_OK) {
		free(b);
		return false;
	}
	memmove(r->q[s], r->q[s] + b->n, (r->n[s] - b->n) * NP_ID_LEN);
	r->n[s] -= b->n;
	r->since[s] = np__mono_ms();    /* the rest waits afresh */
	b->next = r->sent;
	r->sent = b;
	return true;
}

/* Sends the batches that are due (all that wait, when all). */
static void
send_due(struct np_client *c, bool all)
{
	struct np__rcpt *r = &c->rcpt;
	int64_t now = np__mono_ms();
	int s;

	if (!c->conn.connected)
		return;
	for (s = 0; s < 2; s++) {
		while (r->n[s] > 0 && (all || r->n[s] >= NP__RECEIPT_BATCH
				       || now - r->since[s] >= NP__RECEIPT_WAIT_MS)) {
			if (!send_batch(c, s))
				break;
		}
	}
}

void
np__rcpt_tick(struct np_client *c)
{
	send_due(c, false);
}

int
np__rcpt_next_ms(const struct np_client *c, int cap)
{
	const struct np__rcpt *r = &c->rcpt;
	int64_t wait = cap, left;
	int s;

	for (s = 0; s < 2 && c->conn.connected; s++) {
		if (r->n[s] == 0)
			continue;
		left = r->since[s] + NP__RECEIPT_WAIT_MS - np__mono_ms();
		if (r->n[s] >= NP__RECEIPT_BATCH || left < 0)
			left = 0;
		if (left < wait)
			wait = left;
	}
	return (int)wait;
}

void
np__rcpt_on_puback(struct np_client *c, int mid)
{
	struct np__rcpt_batch **pp, *b;

	for (pp = &c->rcpt.sent; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->mid == mid) {
			b = *pp;
			*pp = b->next;
			free(b);
			return;
		}
	}
}

void
np__rcpt_requeue(struct np_client *c)
{
	struct np__rcpt_batch *b;
	size_t i;

	while ((b = c->rcpt.sent) != NULL) {
		c->rcpt.sent = b->next;
		for (i = 0; i < b->n; i++)
			enqueue(c, b->state, b->ids[i]);
		free(b);
	}
}

void
np__rcpt_close(struct np_client *c)
{
	struct np__rcpt *r = &c->rcpt;
	struct np__rcpt_batch *b;
	int64_t deadline = np__mono_ms() + NP__RECEIPT_CLOSE_MS;

	r->closing = true;
	send_due(c, true);
	while (r->sent != NULL && c->conn.connected && c->conn.mosq != NULL
	       && np__mono_ms() < deadline) {
		if (mosquitto_loop(c->conn.mosq, NP__SLICE_MS, 1) != MOSQ_ERR_SUCCESS)
			break;
	}
	while ((b = r->sent) != NULL) {
		r->sent = b->next;
		free(b);
	}
	free(r->q[0]);
	free(r->q[1]);
	r->q[0] = r->q[1] = NULL;
	r->n[0] = r->n[1] = 0;
	if (r->page != NULL)
		np__envelope__free_unpacked(r->page, NULL);
	r->page = NULL;
}

/* ---- np_reach ---- */

bool
np__rcpt_on_message(struct np_client *c, const struct mosquitto_message *msg)
{
	struct np__rcpt *r = &c->rcpt;
	Np__Envelope *e;

	if (strcmp(msg->topic, r->topic) != 0)
		return false;
	if (r->want_corr[0] == '\0' || r->page != NULL)
		return true;
	e = np__envelope__unpack(NULL, (size_t)msg->payloadlen, msg->payload);
	if (e == NULL || e->body_case != NP__ENVELOPE__BODY_REACH_PAGE
	    || (strcmp(e->reach_page->correlation_id, r->want_corr) != 0
		&& e->reach_page->correlation_id[0] != '\0')) {
		/* not ours (another request of the same user); a page refused unread
		 * carries no correlation id and is taken as the answer */
		if (e != NULL)
			np__envelope__free_unpacked(e, NULL);
		return true;
	}
	r->page = e;
	return true;
}

static void
drop_page(struct np__rcpt *r)
{
	if (r->page != NULL)
		np__envelope__free_unpacked(r->page, NULL);
	r->page = NULL;
	r->want_corr[0] = '\0';
}

static int
ask_page(struct np_client *c, const uint8_t id[NP_ID_LEN], uint32_t limit, const char *cursor,
	 int timeout_ms)
{
	Np__ReachRequest q = NP__REACH_REQUEST__INIT;
	struct np__rcpt *r = &c->rcpt;
	int64_t deadline = np__mono_ms() + timeout_ms;
	uint8_t buf[256];
	size_t len;

	drop_page(r);
	snprintf(r->want_corr, sizeof(r->want_corr), "r%u-%08x", ++r->corr_counter,
		 (unsigned)np__random());
	q.id.data = (uint8_t *)id;
	q.id.len = NP_ID_LEN;
	q.limit = limit;
	q.cursor.data = (uint8_t *)cursor;
	q.cursor.len = strlen(cursor);
	q.correlation_id = r->want_corr;
	len = np__reach_request__pack(&q, buf);
	if (mosquitto_publish_v5(c->conn.mosq, NULL, NP__REACH_TOPIC, (int)len, buf, 1, false, NULL)
	    != MOSQ_ERR_SUCCESS)
		return np__set_err(c, NP_ERR_NOT_CONNECTED, "cannot send the reach request");
	while (r->page == NULL && c->conn.connected && np__mono_ms() < deadline)
		np__pump(c, NP__SLICE_MS);
	if (r->page != NULL)
		return NP_OK;
	return np__set_err(c, c->conn.connected ? NP_ERR_TIMEOUT : NP_ERR_UNREACHABLE,
			   "no reach page from the hub");
}

/* Hands one page to fn (at most max - *handed villages); the next cursor into cursor. */
static int
deliver(struct np_client *c, np_reach_fn fn, void *ctx, size_t max, size_t *handed,
	char cursor[9])
{
	const Np__ReachPage *pg = ((Np__Envelope *)c->rcpt.page)->reach_page;
	struct np_reach_province *prov = calloc(pg->n_provinces + 1, sizeof(*prov));
	struct np_reach out;
	size_t i;

	if (prov == NULL)
		return np__set_err(c, NP_ERR_NOMEM, "out of memory");
	memset(&out, 0, sizeof(out));
	if (pg->id.len == NP_ID_LEN)
		memcpy(out.id, pg->id.data, NP_ID_LEN);
	out.area = pg->area;
	out.targeted = pg->targeted;
	out.delivered = pg->delivered;
	out.read = pg->read;
	for (i = 0; i < pg->n_provinces; i++) {
		prov[i].province = pg->provinces[i]->province;
		prov[i].targeted = pg->provinces[i]->targeted;
		prov[i].delivered = pg->provinces[i]->delivered;
		prov[i].read = pg->provinces[i]->read;
	}
	out.n_provinces = pg->n_provinces;
	out.provinces = prov;
	out.n_not_reached = pg->n_not_reached;
	if (max != 0 && out.n_not_reached > max - *handed)
		out.n_not_reached = max - *handed;
	out.not_reached = (const char *const *)pg->not_reached;
	*handed += out.n_not_reached;
	cursor[0] = '\0';
	if (pg->next_cursor.len == 8) {
		memcpy(cursor, pg->next_cursor.data, 8);
		cursor[8] = '\0';
	}
	out.more = cursor[0] != '\0' || out.n_not_reached < pg->n_not_reached;
	fn(ctx, &out);
	free(prov);
	return NP_OK;
}

int
np_reach(struct np_client *c, const uint8_t id[NP_ID_LEN], size_t max, np_reach_fn fn,
	 void *ctx, int timeout_ms)
{
	char cursor[9] = "";
	size_t handed = 0;
	uint32_t limit;
	int rc;

	if (id == NULL || fn == NULL)
		return np__set_err(c, NP_ERR_INVAL, "np_reach: no id or no callback");
	if (!c->conn.connected)
		return np__set_err(c, NP_ERR_NOT_CONNECTED, "not connected to the hub");
	do {
		limit = REACH_PAGE_MAX;
		if (max != 0 && max - handed < limit)
			limit = (uint32_t)(max - handed);
		rc = ask_page(c, id, limit, cursor, timeout_ms);
		if (rc == NP_OK && ((Np__Envelope *)c->rcpt.page)->reach_page->error[0] != '\0')
			rc = np__set_err(c, NP_ERR_REACH, "%s",
					 ((Np__Envelope *)c->rcpt.page)->reach_page->error);
		if (rc == NP_OK)
			rc = deliver(c, fn, ctx, max, &handed, cursor);
	} while (rc == NP_OK && cursor[0] != '\0' && (max == 0 || handed < max));
	drop_page(&c->rcpt);
	return rc;
}
