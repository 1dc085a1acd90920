/* pending.c - the messages published and not yet answered: kept in order (and
 * in the outbox, if any) until the hub's PUBACK accepts or refuses them, sent
 * again after a reconnect, and reported once each through the outcome
 * callback. A refusal's reason comes as a Refusal on the user's error topic,
 * before or after its PUBACK; the two are matched by the message id. Every
 * outcome is reported from the pump (np__out_tick and the callbacks of
 * conn.c), never from the call that published.
 *
 * A refusal for the rate (Refusal.retry_after_ms > 0) is no outcome: the
 * message goes back to be sent again, and the client is paced until nothing
 * is pending: one message in flight at a time, oldest first, the first no
 * earlier than the hub's retry time and each next pace_ms (the hub's last
 * hint) after an acceptance. So the order of publishing is kept (but for
 * messages already in flight when the first rate refusal came) and the
 * client stops tripping the limit. A PUBACK 0x87 whose reason never comes
 * (the hub limits its replies too) is taken for one more rate refusal while
 * paced. After RETRY_MAX rate refusals of one message it is refused for good. */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_int.h"

#define REASON_WAIT_MS 2000     /* how long a refusal waits for the hub's reason */
#define MAX_REASONS 64          /* reasons kept for PUBACKs still on their way */
#define RETRY_MAX 10            /* rate refusals of one message before giving up */

enum pstate { P_TO_SEND, P_SENT, P_REFUSED };

struct np__pending {
	uint8_t id[NP_ID_LEN];
	char *topic;
	uint8_t *payload;
	size_t len;
	int mid;
	enum pstate state;
	bool tell_queued;               /* NP_QUEUED is still to be reported */
	int64_t refused_at;
	int reason_code;
	int retries;                    /* rate refusals so far (this session) */
	struct np__pending *next;
};

struct np__reason {
	uint8_t id[NP_ID_LEN];
	char *text;
	uint32_t retry_ms;
	struct np__reason *next;
};

static void
pending_free(struct np__pending *p)
{
	free(p->topic);
	free(p->payload);
	free(p);
}

static struct np__pending *
pending_add(struct np_client *c, const uint8_t id[NP_ID_LEN], const char *topic,
	    const uint8_t *payload, size_t len)
{
	struct np__pending *p = calloc(1, sizeof(*p)), **tail;

	if (p == NULL)
		return NULL;
	p->topic = strdup(topic);
	p->payload = malloc(len ? len : 1);
	if (p->topic == NULL || p->payload == NULL) {
		pending_free(p);
		return NULL;
	}
	memcpy(p->id, id, NP_ID_LEN);
	memcpy(p->payload, payload, len);
	p->len = len;
	for (tail = &c->out.head; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = p;
	c->out.n++;
	return p;
}

static struct np__pending *
pending_by_id(struct np_client *c, const uint8_t id[NP_ID_LEN])
{
	struct np__pending *p;

	for (p = c->out.head; p != NULL && memcmp(p->id, id, NP_ID_LEN) != 0; p = p->next)
		;
	return p;
}

static void
report(struct np_client *c, const uint8_t id[NP_ID_LEN], enum np_outcome o, const char *reason)
{
	if (c->out.fn != NULL)
		c->out.fn(c->out.ctx, id, o, reason);
}

/* The outcome of p is known: report it, forget p. */
static void
finish(struct np_client *c, struct np__pending *p, enum np_outcome o, const char *reason)
{
	struct np__pending **pp;

	for (pp = &c->out.head; *pp != NULL && *pp != p; pp = &(*pp)->next)
		;
	if (*pp == NULL)
		return;
	*pp = p->next;
	if (--c->out.n == 0)
		c->out.paced = false;   /* nothing left to keep in order */
	if (c->out.outbox != NULL)
		np__outbox_remove(c->out.outbox, p->id);
	if (o == NP_REFUSED)
		np__set_err(c, 0, "%s", reason);
	report(c, p->id, o, reason);
	pending_free(p);
}

static void
send_pending(struct np_client *c, struct np__pending *p)
{
	int rc;

	rc = mosquitto_publish_v5(c->conn.mosq, &p->mid, p->topic, (int)p->len, p->payload, 1,
				  false, NULL);
	p->state = rc == MOSQ_ERR_SUCCESS ? P_SENT : P_TO_SEND;
}

/* ---- refusal reasons ---- */

/* The reason that came for id before its PUBACK (the caller owns it), or NULL. */
static char *
take_reason(struct np_client *c, const uint8_t id[NP_ID_LEN], uint32_t *retry_ms)
{
	struct np__reason *r, **pp;
	char *text;

	for (pp = &c->out.reasons; (r = *pp) != NULL; pp = &r->next) {
		if (memcmp(r->id, id, NP_ID_LEN) == 0) {
			*pp = r->next;
			c->out.nreasons--;
			text = r->text;
			*retry_ms = r->retry_ms;
			free(r);
			return text;
		}
	}
	return NULL;
}

static void
remember_reason(struct np_client *c, const uint8_t id[NP_ID_LEN], char *text, uint32_t retry_ms)
{
	struct np__reason *r = calloc(1, sizeof(*r)), **pp;

	if (r == NULL) {
		free(text);
		return;
	}
	memcpy(r->id, id, NP_ID_LEN);
	r->text = text;
	r->retry_ms = retry_ms;
	r->next = c->out.reasons;
	c->out.reasons = r;
	if (++c->out.nreasons > MAX_REASONS) {       /* forget the oldest */
		for (pp = &c->out.reasons; (*pp)->next != NULL; pp = &(*pp)->next)
			;
		free((*pp)->text);
		free(*pp);
		*pp = NULL;
		c->out.nreasons--;
	}
}

/* ---- refusals for the rate ---- */

/* p was refused with why: for good (retry_ms 0, or RETRY_MAX reached), or to
 * be sent again, no earlier than retry_ms from now, with the client paced. */
static void
refused(struct np_client *c, struct np__pending *p, const char *why, uint32_t retry_ms)
{
	char text[512];
	int64_t at = np__mono_ms() + retry_ms;

	if (retry_ms == 0) {
		finish(c, p, NP_REFUSED, why);
		return;
	}
	if (++p->retries >= RETRY_MAX) {
		snprintf(text, sizeof(text), "%s (gave up after %d refusals for the rate)", why,
			 p->retries);
		finish(c, p, NP_REFUSED, text);
		return;
	}
	np__set_err(c, 0, "the hub asks to slow down (%s): sending again in %u ms", why,
		    (unsigned)retry_ms);
	p->state = P_TO_SEND;
	c->out.paced = true;
	c->out.pace_ms = retry_ms;
	if (at > c->out.resume_at)
		c->out.resume_at = at;
}

/* Paced: the oldest message to send, when it is due and nothing is in
 * flight; NULL otherwise. *wait: ms until it is due (0: now), or -1 when
 * none can go (nothing waits, one is in flight, or no link). */
static struct np__pending *
paced_next(const struct np_client *c, int64_t *wait)
{
	struct np__pending *p, *first = NULL;

	*wait = -1;
	for (p = c->out.head; p != NULL; p = p->next) {
		if (p->state == P_SENT || p->state == P_REFUSED)
			return NULL;    /* its answer comes first */
		if (p->state == P_TO_SEND && first == NULL)
			first = p;
	}
	if (first == NULL || !c->conn.connected)
		return NULL;
	*wait = c->out.resume_at - np__mono_ms();
	if (*wait > 0)
		return NULL;
	*wait = 0;
	return first;
}

/* ---- from conn.c's callbacks ---- */

void
np__out_on_puback(struct np_client *c, int mid, int reason_code)
{
	struct np__pending *p;
	uint32_t retry_ms = 0;
	char *why;

	for (p = c->out.head; p != NULL && !(p->state == P_SENT && p->mid == mid); p = p->next)
		;
	if (p == NULL)
		return;
	if (reason_code < 0x80) {
		if (c->out.paced)
			c->out.resume_at = np__mono_ms() + c->out.pace_ms;
		finish(c, p, NP_ACCEPTED, NULL);
		return;
	}
	why = take_reason(c, p->id, &retry_ms);
	if (why != NULL) {
		refused(c, p, why, retry_ms);
		free(why);
		return;
	}
	p->state = P_REFUSED;           /* the hub's reason follows on the error topic */
	p->refused_at = np__mono_ms();
	p->reason_code = reason_code;
}

bool
np__out_on_message(struct np_client *c, const struct mosquitto_message *msg)
{
	uint8_t id[NP_ID_LEN];
	struct np__pending *p;
	uint32_t retry_ms;
	char *text;
	bool has_id;

	if (strcmp(msg->topic, c->out.error_topic) != 0)
		return false;
	if (np__decode_refusal(msg->payload, (size_t)msg->payloadlen, id, &has_id, &text,
			       &retry_ms) != NP_OK)
		return true;
	if (!has_id) {
		np__set_err(c, 0, "%s", text);
		free(text);
		return true;
	}
	p = pending_by_id(c, id);
	if (p != NULL && p->state == P_REFUSED) {
		refused(c, p, text, retry_ms);
		free(text);
		return true;
	}
	remember_reason(c, id, text, retry_ms); /* the PUBACK is still on its way */
	return true;
}

void
np__out_resend(struct np_client *c)
{
	struct np__pending *p;

	if (c->out.paced)
		return;                 /* np__out_tick sends them one by one */
	for (p = c->out.head; p != NULL; p = p->next) {
		if (p->state == P_TO_SEND)
			send_pending(c, p);
	}
}

void
np__out_requeue(struct np_client *c)
{
	struct np__pending *p;

	for (p = c->out.head; p != NULL; p = p->next) {
		if (p->state == P_SENT)
			p->state = P_TO_SEND;   /* resent after the next connect */
	}
}

void
np__out_tick(struct np_client *c)
{
	struct np__pending *p, *next;
	char why[96];
	int64_t wait;

	for (p = c->out.head; p != NULL; p = next) {
		next = p->next;
		if (p->tell_queued) {
			p->tell_queued = false;
			report(c, p->id, NP_QUEUED, "the hub cannot be reached now");
		}
	}
	for (p = c->out.head; p != NULL; p = next) {
		next = p->next;
		if (p->state == P_REFUSED && np__mono_ms() - p->refused_at > REASON_WAIT_MS) {
			snprintf(why, sizeof(why), "refused by the hub (MQTT reason 0x%02x: %s)",
				 p->reason_code, mosquitto_reason_string(p->reason_code));
			/* paced, a reason the hub did not send is most likely the rate's */
			refused(c, p, why, c->out.paced ? c->out.pace_ms : 0);
		}
	}
	if (c->out.paced && (p = paced_next(c, &wait)) != NULL)
		send_pending(c, p);
}

int
np__out_next_ms(const struct np_client *c, int cap)
{
	const struct np__pending *p;
	int64_t left, wait = cap;

	for (p = c->out.head; p != NULL; p = p->next) {
		if (p->tell_queued)
			return 0;
		if (p->state == P_REFUSED) {
			left = p->refused_at + REASON_WAIT_MS + 1 - np__mono_ms();
			if (left < wait)
				wait = left > 0 ? left : 0;
		}
	}
	if (c->out.paced) {             /* a message waits for the hub's retry time */
		paced_next(c, &left);
		if (left >= 0 && left < wait)
			wait = left;
	}
	return (int)wait;
}

/* ---- publishing ---- */

int
np__publish(struct np_client *c, const char *topic, const struct np__body *b, uint8_t *id_out)
{
	uint8_t id[NP_ID_LEN], *buf = NULL;
	struct np__pending *p;
	size_t len;
	int rc;

	if (!c->conn.connected && c->out.outbox == NULL)
		return np__set_err(c, NP_ERR_NOT_CONNECTED, "not connected to the hub at %s:%lld",
				   c->opt.host, c->opt.port);
	if (b->id != NULL)
		memcpy(id, b->id, NP_ID_LEN);
	else
		np__id_new(&c->out.ids, id);
	rc = np__encode(id, b->sent_at_ms ? b->sent_at_ms : np__now_ms(), b, &buf, &len);
	if (rc != NP_OK)
		return np__set_err(c, rc, "cannot encode the message");
	if (c->out.outbox != NULL) {
		rc = np__outbox_put(c->out.outbox, id, topic, buf, len, c->err, sizeof(c->err));
		if (rc != NP_OK) {
			free(buf);
			return rc;
		}
	}
	p = pending_add(c, id, topic, buf, len);
	free(buf);
	if (p == NULL) {
		if (c->out.outbox != NULL)
			np__outbox_remove(c->out.outbox, id);
		return np__set_err(c, NP_ERR_NOMEM, "out of memory");
	}
	if (id_out != NULL)
		memcpy(id_out, id, NP_ID_LEN);
	if (c->conn.connected && !c->out.paced)
		send_pending(c, p);
	else if (!c->conn.connected)
		p->tell_queued = true;  /* reported by the next pump */
	/* paced: it waits behind those refused for the rate (np__out_tick) */
	return NP_OK;
}

void
np_client_on_outcome(struct np_client *c, np_outcome_fn fn, void *ctx)
{
	c->out.fn = fn;
	c->out.ctx = ctx;
}

size_t
np_client_pending(const struct np_client *c)
{
	return c->out.n;
}

int
np_client_flush(struct np_client *c, int timeout_ms)
{
	int64_t deadline = np__mono_ms() + timeout_ms, left;

	do {
		left = deadline - np__mono_ms();
		if (c->out.n == 0 || left <= 0)
			left = 0;       /* only what is due now */
		np__pump(c, left > NP__SLICE_MS ? NP__SLICE_MS : (int)left);
	} while (c->out.n > 0 && np__mono_ms() < deadline && !c->conn.auth_failed);
	if (c->out.n == 0)
		return NP_OK;
	if (c->conn.auth_failed)
		return NP_ERR_AUTH;
	return c->conn.connected ? NP_ERR_TIMEOUT : NP_ERR_UNREACHABLE;
}

/* ---- life cycle ---- */

static int
load_outbox(void *ctx, const uint8_t id[NP_ID_LEN], const char *topic, const uint8_t *payload,
	    size_t len)
{
	return pending_add(ctx, id, topic, payload, len) ? 0 : -1;
}

int
np__out_open(struct np_client *c, const struct np_options *o, char *err, size_t errlen)
{
	int rc;

	if (o->outbox_dir == NULL)
		return NP_OK;
	rc = np__outbox_open(&c->out.outbox, o->outbox_dir, o->username, (size_t)o->outbox_max,
			     err, errlen);
	if (rc == NP_OK)
		rc = np__outbox_each(c->out.outbox, load_outbox, c);
	return rc;
}

void
np__out_close(struct np_client *c)
{
	struct np__pending *p;
	struct np__reason *r;

	while ((p = c->out.head) != NULL) {
		c->out.head = p->next;
		pending_free(p);        /* what is in the outbox stays there */
	}
	c->out.n = 0;
	while ((r = c->out.reasons) != NULL) {
		c->out.reasons = r->next;
		free(r->text);
		free(r);
	}
	np__outbox_close(c->out.outbox);
	c->out.outbox = NULL;
}
