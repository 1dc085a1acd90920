/* reach.c - see reach.h. Decodes and checks receipts and reach requests
 * (np.pb-c.h), finds the announcements in the history (history.c), asks
 * acl.c who may read or ask what, and leaves the counting to receipts.c.
 *
 * The cost of a receipt on the broker's one thread: a look-up per id in the
 * history's ids table and one write transaction for all its ids (with
 * MDB_WRITEMAP and the history's batched sync: no fsync). The history's open
 * batch is committed first (one write transaction at a time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <mosquitto.h>

#include "np.pb-c.h"
#include "publish.h"
#include "reach.h"
#include "topic.h"
#include "validate.h"

#define CORRELATION_MAX 128
#define ANN_PREFIX "np/ann/"

/* ---- receipts ---- */

/* history.c's drop hook: an announcement retention drops, its receipts too. */
static int
drop_receipts(void *ctx, void *txn, const struct hub_hist_item *it)
{
	uint8_t id[HUB_RECEIPT_ID_LEN];

	if (strncmp(it->topic, ANN_PREFIX, strlen(ANN_PREFIX)) != 0
	    || hub_msg_peek_id(it->payload, it->len, id) != 0)
		return 0;
	return hub_receipts_drop_txn(ctx, txn, id);
}

int
hub_reach_hook(struct hub_history *h, struct hub_receipts *r)
{
	struct hub_hist_hook hook = { NULL, drop_receipts, r };

	return hub_history_add_hook(h, &hook);
}

void
hub_reach_unhook(struct hub_history *h, struct hub_receipts *r)
{
	hub_history_remove_hook(h, r);
}

/* What one receipt came to: its good ids, and the first refused one. */
struct tally {
	uint8_t good[HUB_RECEIPT_MAX_IDS][HUB_RECEIPT_ID_LEN];
	size_t ngood, nbad, n;
	enum hub_refusal bad_why;
	uint8_t bad_id[HUB_RECEIPT_ID_LEN];
};

static enum hub_refusal
check_receipt(const Np__Receipt *rc, size_t len)
{
	size_t i;

	if (rc->base.n_unknown_fields > 0)
		return HUB_R_REQUEST_UNKNOWN_FIELDS;
	if (np__receipt__get_packed_size(rc) != len)
		return HUB_R_REQUEST_NOT_CANONICAL;
	if (rc->state != NP__RECEIPT_STATE__DELIVERED && rc->state != NP__RECEIPT_STATE__READ)
		return HUB_R_RECEIPT_STATE;
	if (rc->n_ids == 0)
		return HUB_R_RECEIPT_NO_IDS;
	if (rc->n_ids > HUB_RECEIPT_MAX_IDS)
		return HUB_R_RECEIPT_TOO_MANY;
	for (i = 0; i < rc->n_ids; i++) {
		if (rc->ids[i].len != HUB_RECEIPT_ID_LEN)
			return HUB_R_RECEIPT_ID_LENGTH;
	}
	return HUB_OK;
}

/* May p count a receipt for id? HUB_OK, or why not. */
static enum hub_refusal
check_id(struct hub_history *h, const struct hub_principal *p, const uint8_t *id)
{
	char topic[512];
	int rc;

	rc = hub_history_find(h, id, topic, sizeof(topic), NULL, NULL);
	if (rc == HUB_STORE_NOTFOUND)
		return HUB_R_RECEIPT_UNKNOWN_ID;
	if (rc != 0)
		return HUB_R_RECEIPT_STORE;
	if (strncmp(topic, ANN_PREFIX, strlen(ANN_PREFIX)) != 0)
		return HUB_R_RECEIPT_NOT_ANN;
	if (hub_acl_check(p, HUB_READ, topic, NULL) != HUB_OK)
		return HUB_R_RECEIPT_UNREADABLE;
	return HUB_OK;
}

static void
tally_ids(struct hub_history *h, const struct hub_principal *p, const Np__Receipt *rc,
	  struct tally *t)
{
	enum hub_refusal why;
	size_t i;

	t->n = rc->n_ids;
	for (i = 0; i < rc->n_ids; i++) {
		why = check_id(h, p, rc->ids[i].data);
		if (why == HUB_OK) {
			memcpy(t->good[t->ngood++], rc->ids[i].data, HUB_RECEIPT_ID_LEN);
			continue;
		}
		if (t->nbad++ == 0) {
			t->bad_why = why;
			memcpy(t->bad_id, rc->ids[i].data, HUB_RECEIPT_ID_LEN);
		}
	}
}

/* Logs why (a whole receipt's refusal, or its refused ids) and tells the
 * user on its error topic, at most plugin_opt_reply_rate a second. */
static void
refuse_receipt(struct hub_ctx *ctx, struct mosquitto *client, const struct hub_principal *p,
	       enum hub_refusal why, const struct tally *t)
{
	char text[200], line[400], hex[2 * HUB_RECEIPT_ID_LEN + 1];
	uint8_t *buf;
	size_t i, len;

	hub_throttle_explain(ctx->throttle, why, text, sizeof(text));
	if (t != NULL) {
		for (i = 0; i < HUB_RECEIPT_ID_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", t->bad_id[i]);
		snprintf(line, sizeof(line), "%s (id %s; %zu of the receipt's %zu ids refused, "
			 "the others counted)", text, hex, t->nbad, t->n);
	} else {
		snprintf(line, sizeof(line), "%s", text);
	}
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "np: refused receipt by '%.64s' (client '%.64s'): %s",
			     p->username, mosquitto_client_id(client), line);
	if (!hub_throttle_reply(ctx->throttle, p->username, hub_now_ms()))
		return;
	buf = hub_refusal_pack(t != NULL ? t->bad_id : NULL, HUB_TOPIC_RECEIPT, line, 0,
			       hub_now_ms(), &len);
	hub_publish_reply(ctx, client, p->username, "error", buf, len);
}

/* The village a user's receipts count for: its area when that is a village. */
static bool
village_of(const struct hub_principal *p)
{
	return (p->role == HUB_ROLE_VOLUNTEER || p->role == HUB_ROLE_RESIDENT)
	       && hub_area_level(p->scope, strlen(p->scope)) == HUB_LEVEL_VILLAGE;
}

static enum hub_refusal
record(struct hub_ctx *ctx, const struct hub_principal *p, const Np__Receipt *rc,
       struct tally *t)
{
	size_t added;

	tally_ids(ctx->history, p, rc, t);
	if (t->ngood == 0)
		return HUB_OK;
	if (hub_history_commit(ctx->history) != 0
	    || hub_receipts_put(ctx->receipts, p->scope,
				rc->state == NP__RECEIPT_STATE__READ ? HUB_RECEIPT_READ
								      : HUB_RECEIPT_DELIVERED,
				(const uint8_t (*)[HUB_RECEIPT_ID_LEN])t->good, t->ngood, hub_now_ms(),
				&added) != 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: cannot record a receipt: %s",
				     hub_receipts_error(ctx->receipts));
		return HUB_R_RECEIPT_STORE;
	}
	return HUB_OK;
}

int
hub_reach_on_receipt(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_control *ed = event_data;
	struct hub_ctx *ctx = userdata;
	const struct hub_principal *p;
	Np__Receipt *rc = NULL;
	struct tally *t = NULL;
	enum hub_refusal why;
	int64_t now;

	(void)event;
	p = hub_control_begin(ctx, ed, HUB_RECEIPT_MAX_BYTES, HUB_RATE_RECEIPT, &why, &now);
	if (p == NULL)
		return MOSQ_ERR_ACL_DENIED;
	if (why == HUB_R_REQUEST_TOO_BIG)
		why = HUB_R_RECEIPT_TOO_BIG;
	if (why == HUB_OK) {
		rc = np__receipt__unpack(NULL, ed->payloadlen, ed->payload);
		why = rc == NULL ? HUB_R_NOT_RECEIPT : check_receipt(rc, ed->payloadlen);
	}
	if (why == HUB_OK && village_of(p)) {
		t = calloc(1, sizeof(*t));
		why = t == NULL ? HUB_R_NOMEM : record(ctx, p, rc, t);
	}
	if (why != HUB_OK)
		refuse_receipt(ctx, ed->client, p, why, NULL);
	else if (t != NULL && t->nbad > 0)
		refuse_receipt(ctx, ed->client, p, t->bad_why, t);
	free(t);
	if (rc != NULL)
		np__receipt__free_unpacked(rc, NULL);
	return MOSQ_ERR_SUCCESS;
}

/* ---- reach requests ---- */

static bool
echoable(const char *s)
{
	size_t n = strlen(s);

	return n <= CORRELATION_MAX && hub_utf8_valid(s, n);
}

static bool
cursor_ok(const ProtobufCBinaryData *c)
{
	size_t i;

	if (c->len == 0)
		return true;
	if (c->len != 8)
		return false;
	for (i = 0; i < 8; i++) {
		if (c->data[i] < '0' || c->data[i] > '9')
			return false;
	}
	return true;
}

static enum hub_refusal
check_request(const Np__ReachRequest *q, size_t len)
{
	if (q->base.n_unknown_fields > 0)
		return HUB_R_REQUEST_UNKNOWN_FIELDS;
	if (np__reach_request__get_packed_size(q) != len)
		return HUB_R_REQUEST_NOT_CANONICAL;
	if (q->id.len != HUB_RECEIPT_ID_LEN)
		return HUB_R_REACH_ID;
	if (q->limit > HUB_REACH_MAX_LIMIT)
		return HUB_R_LIMIT_TOO_BIG;
	if (!cursor_ok(&q->cursor))
		return HUB_R_BAD_CURSOR;
	if (!echoable(q->correlation_id))
		return HUB_R_CORRELATION_ID;
	return HUB_OK;
}

/* The announcement's area (into area) and whether p may ask its reach. */
static enum hub_refusal
find_announcement(struct hub_history *h, const struct hub_principal *p, const uint8_t *id,
		  char area[HUB_AREA_MAX + 1])
{
	char topic[512], sender[HUB_USERNAME_MAX + 1] = "";
	const char *a, *slash;
	void *stored = NULL;
	size_t len = 0;
	int rc;

	rc = hub_history_find(h, id, topic, sizeof(topic), &stored, &len);
	if (rc == HUB_STORE_NOTFOUND)
		return HUB_R_REACH_UNKNOWN;
	if (rc != 0)
		return HUB_R_HISTORY_FAILED;
	rc = hub_msg_sender_name(stored, len, sender, sizeof(sender));
	free(stored);
	a = topic + strlen(ANN_PREFIX);
	slash = strchr(a, '/');
	if (strncmp(topic, ANN_PREFIX, strlen(ANN_PREFIX)) != 0 || slash == NULL
	    || slash - a > HUB_AREA_MAX || rc != 0)
		return HUB_R_REACH_NOT_ANN;
	memcpy(area, a, (size_t)(slash - a));
	area[slash - a] = '\0';
	return hub_acl_may_reach(p, area, sender);
}

/* The page's provinces and not-reached villages, pointing into res and codes. */
static int
fill_page(Np__ReachPage *pg, const struct hub_reach_result *res, char (*codes)[9],
	  Np__ProvinceReach *prov, Np__ProvinceReach **provp, char **nr)
{
	size_t i;

	pg->targeted = res->targeted;
	pg->delivered = res->delivered;
	pg->read = res->read;
	for (i = 0; i < res->nprov; i++) {
		np__province_reach__init(&prov[i]);
		prov[i].province = (char *)res->prov[i].code;
		prov[i].targeted = res->prov[i].targeted;
		prov[i].delivered = res->prov[i].delivered;
		prov[i].read = res->prov[i].read;
		provp[i] = &prov[i];
	}
	pg->n_provinces = res->nprov;
	pg->provinces = provp;
	for (i = 0; i < res->n_not_reached; i++)
		nr[i] = codes[i];
	pg->n_not_reached = res->n_not_reached;
	pg->not_reached = nr;
	if (res->more && res->n_not_reached > 0) {
		pg->next_cursor.data = (uint8_t *)codes[res->n_not_reached - 1];
		pg->next_cursor.len = 8;
	}
	return 0;
}

/* Everything one page needs, freed together. */
struct page_mem {
	struct hub_reach_result res;
	Np__ProvinceReach prov[HUB_PROVINCES_MAX];
	Np__ProvinceReach *provp[HUB_PROVINCES_MAX];
	char (*codes)[9];
	char **nr;
};

static enum hub_refusal
run(struct hub_history *h, struct hub_receipts *r, const struct hub_principal *p,
    const Np__ReachRequest *q, Np__ReachPage *pg, struct page_mem *m, char *area)
{
	size_t limit = q->limit ? q->limit : HUB_REACH_DEFAULT_LIMIT;
	char after[9] = "";
	enum hub_refusal why;

	why = find_announcement(h, p, q->id.data, area);
	if (why != HUB_OK)
		return why;
	pg->area = area;
	if (q->cursor.len == 8)         /* checked: 0 or 8 digits */
		memcpy(after, q->cursor.data, 8);
	m->codes = calloc(limit, sizeof(*m->codes));
	m->nr = calloc(limit, sizeof(*m->nr));
	if (m->codes == NULL || m->nr == NULL)
		return HUB_R_NOMEM;
	if (hub_receipts_reach(r, q->id.data, area, after, limit, m->codes, &m->res) != 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: reach: %s", hub_receipts_error(r));
		return HUB_R_REACH_FAILED;
	}
	return fill_page(pg, &m->res, m->codes, m->prov, m->provp, m->nr);
}

uint8_t *
hub_reach_answer(struct hub_history *h, struct hub_receipts *r, const struct hub_principal *p,
		 const void *req, size_t len, int64_t now_ms, size_t *out_len,
		 enum hub_refusal *why)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__ReachPage pg = NP__REACH_PAGE__INIT;
	Np__ReachRequest *q;
	struct page_mem *m = calloc(1, sizeof(*m));
	char area[HUB_AREA_MAX + 1] = "";
	uint8_t *out = NULL;

	q = np__reach_request__unpack(NULL, len, req);
	*why = q == NULL ? HUB_R_NOT_REACH_REQUEST : check_request(q, len);
	if (m == NULL)
		*why = HUB_R_NOMEM;
	else if (*why == HUB_OK)
		*why = run(h, r, p, q, &pg, m, area);
	if (q != NULL && echoable(q->correlation_id))
		pg.correlation_id = q->correlation_id;
	if (q != NULL && q->id.len == HUB_RECEIPT_ID_LEN)
		pg.id = q->id;
	if (*why != HUB_OK) {
		np__reach_page__init(&pg);      /* an error page carries no counts */
		pg.correlation_id = q != NULL && echoable(q->correlation_id) ? q->correlation_id : "";
		if (q != NULL && q->id.len == HUB_RECEIPT_ID_LEN)
			pg.id = q->id;
		pg.error = (char *)hub_refusal_text(*why);
	}
	e.body_case = NP__ENVELOPE__BODY_REACH_PAGE;
	e.reach_page = &pg;
	out = hub_reply_pack(&e, now_ms, out_len);
	if (m != NULL) {
		free(m->codes);
		free(m->nr);
		free(m);
	}
	if (q != NULL)
		np__reach_request__free_unpacked(q, NULL);
	return out;
}

static void
log_refused(const struct hub_principal *p, struct mosquitto *client, const char *text)
{
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "np: refused reach request by '%.64s' (client "
			     "'%.64s'): %s", p->username, mosquitto_client_id(client), text);
}

/* A request refused unread: a page with only its error. */
static uint8_t *
refusal_page(const char *text, int64_t now, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__ReachPage pg = NP__REACH_PAGE__INIT;

	pg.error = (char *)text;
	e.body_case = NP__ENVELOPE__BODY_REACH_PAGE;
	e.reach_page = &pg;
	return hub_reply_pack(&e, now, len);
}

int
hub_reach_on_request(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_control *ed = event_data;
	struct hub_ctx *ctx = userdata;
	const struct hub_principal *p;
	enum hub_refusal why;
	char text[200];
	uint8_t *page;
	size_t len;
	int64_t now;

	(void)event;
	p = hub_control_begin(ctx, ed, HUB_REACH_MAX_REQUEST, HUB_RATE_REQUEST, &why, &now);
	if (p == NULL)
		return MOSQ_ERR_ACL_DENIED;
	if (why != HUB_OK) {
		log_refused(p, ed->client, hub_throttle_explain(ctx->throttle, why, text,
								 sizeof(text)));
		if (!hub_throttle_reply(ctx->throttle, p->username, now))
			return MOSQ_ERR_SUCCESS;        /* a flood is answered in part */
		page = refusal_page(text, now, &len);
	} else {
		page = hub_reach_answer(ctx->history, ctx->receipts, p, ed->payload, ed->payloadlen,
					now, &len, &why);
		if (page != NULL)
			hub_throttle_request_bytes(ctx->throttle, p->username, len, now);
		if (why != HUB_OK)
			log_refused(p, ed->client, hub_refusal_text(why));
	}
	if (page == NULL)
		return MOSQ_ERR_NOMEM;
	hub_publish_reply(ctx, ed->client, p->username, "reach", page, len);
	return MOSQ_ERR_SUCCESS;
}
