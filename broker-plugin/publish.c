/* publish.c - see publish.h. The order of checks on a publish: who (the
 * principal), how much (rate), what (decode and fit the topic; MQTT 5
 * properties are refused: everything travels in the envelope), how (QoS 2 is
 * refused: see README), whether it is new (dedupe by id, conflicts refused),
 * whether it is still news (an announcement already expired is refused; a
 * resend of a stored one is acknowledged as any resend), then stamp, seal and
 * store before the broker acknowledges it. A delivery on np/ leaves only
 * sealed and, for an announcement, not yet expired. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <mosquitto.h>

#include "expiry.h"
#include "publish.h"
#include "topic.h"
#include "validate.h"

/* The sentence of why, with this hub's numbers in those that name one. */
static const char *
explain(const struct hub_ctx *ctx, enum hub_refusal why, char *buf, size_t len)
{
	if (why == HUB_R_PHOTO_TOO_BIG) {
		snprintf(buf, len, hub_refusal_text(why), ctx->opts.max_photo);
		return buf;
	}
	return hub_throttle_explain(ctx->throttle, why, buf, len);
}

/* ---- replies ---- */

void
hub_publish_reply(struct hub_ctx *ctx, struct mosquitto *client, const char *username,
		  const char *what, uint8_t *buf, size_t len)
{
	const char *cid = mosquitto_client_id(client);
	char topic[HUB_USERNAME_MAX + 32];
	uint8_t *copy;
	size_t n;

	if (buf != NULL && username != NULL && cid != NULL
	    && (copy = mosquitto_malloc(len + HUB_SEAL_LEN)) != NULL) {
		memcpy(copy, buf, len);
		hub_topic_reply(topic, sizeof(topic), username, what);
		n = hub_seal_append(ctx->seal, topic, copy, len);
		if (mosquitto_broker_publish(cid, topic, (int)n, copy, 1, false, NULL)
		    != MOSQ_ERR_SUCCESS)
			mosquitto_free(copy);
	}
	free(buf);
}

int
hub_publish_refuse(struct hub_ctx *ctx, struct mosquitto *client, const struct hub_principal *p,
		   const char *topic, const void *payload, size_t len, enum hub_refusal code)
{
	const char *user = mosquitto_client_username(client);
	uint8_t id[HUB_ID_LEN], *buf;
	char why[200], retry[40] = "";
	size_t blen = 0;
	uint32_t after = 0;

	explain(ctx, code, why, sizeof(why));
	/* a rate is transient: the publisher may send the same message again */
	if (p != NULL && (code == HUB_R_RATE_MSGS || code == HUB_R_RATE_BYTES))
		after = hub_throttle_retry_ms(ctx->throttle, p->username, len, hub_now_ms());
	if (after > 0)
		snprintf(retry, sizeof(retry), " (retry in %u ms)", (unsigned)after);
	mosquitto_log_printf(MOSQ_LOG_NOTICE,
			     "np: refused publish by '%.64s' (%s %s, client '%.64s') on '%.200s': %s%s",
			     user ? user : "", p ? hub_role_name(p->role) : "-",
			     p ? p->scope : "-", mosquitto_client_id(client), topic, why, retry);
	/* peeking at the id reads 18 bytes, whatever the payload's size */
	if (p != NULL && hub_throttle_reply(ctx->throttle, p->username, hub_now_ms())) {
		buf = hub_refusal_pack(hub_msg_peek_id(payload, len, id) == 0 ? id : NULL, topic,
				       why, after, hub_now_ms(), &blen);
		hub_publish_reply(ctx, client, user, "error", buf, blen);
	}
	return MOSQ_ERR_ACL_DENIED;
}

/* ---- the checks ---- */

/* A resend of a stored message: acknowledged, but neither stored nor
 * delivered again. The broker offers no "drop but acknowledge", so the
 * message is sent to a topic no one can subscribe to. */
static int
divert_duplicate(struct mosquitto_evt_message *ed, const char *user)
{
	char *t = mosquitto_strdup(HUB_TOPIC_DUPLICATE);

	if (t == NULL)
		return MOSQ_ERR_NOMEM;
	mosquitto_log_printf(MOSQ_LOG_INFO,
			     "np: duplicate of a stored message by '%s' on '%.200s': acknowledged, "
			     "not delivered again", user, ed->topic);
	mosquitto_free(ed->topic);
	ed->topic = t;
	ed->retain = false;
	return MOSQ_ERR_SUCCESS;
}

/* An ack must name a stored report of the same village, and change its case
 * as cases.c's rules allow (an operator's only an outage report, or a case
 * assigned to it; an agency's only its cases; ASSIGNED by an official, to an
 * operator or agency whose scope covers the village; a reopening with a note). */
static enum hub_refusal
check_ack(struct hub_ctx *ctx, const struct hub_principal *p, const char *topic,
	  const struct hub_msg *m)
{
	struct hub_ack_fields a;
	struct hub_case k;
	struct hub_user u;
	char rtopic[256];
	size_t village = hub_topic_parent_len(topic);   /* "np/rep/P/D/V/" */
	bool found = false;
	int rc;

	if (hub_msg_ack_fields(m, &a) != 0)
		return HUB_R_ACK_REPORT_ID;
	rc = hub_history_find(ctx->history, a.report_id, rtopic, sizeof(rtopic), NULL, NULL);
	if (rc == HUB_STORE_NOTFOUND)
		return HUB_R_ACK_UNKNOWN_REPORT;
	if (rc != 0)
		return HUB_R_STORE_FAILED;
	if (strncmp(rtopic, topic, village) != 0 || strcmp(rtopic + village, HUB_ACK_WORD) == 0)
		return HUB_R_ACK_OTHER_VILLAGE;
	rc = hub_cases_get(ctx->cases, a.report_id, &k);
	if (rc == HUB_STORE_NOTFOUND)
		return HUB_R_ACK_UNKNOWN_REPORT;
	if (rc != 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: %s", hub_cases_error(ctx->cases));
		return HUB_R_CASE_STORE;
	}
	if (a.state == HUB_CASE_ASSIGNED) {
		rc = hub_store_user_get(ctx->store, a.assignee, &u);
		if (rc != 0 && rc != HUB_STORE_NOTFOUND)
			return HUB_R_CASE_STORE;
		found = rc == 0;
	}
	return hub_case_check_ack(p, &k, &a, &u, found);
}

/* An Update or Cancel (DESIGN.md "CAP") withdraws earlier announcements: each
 * reference must name a stored announcement of the same sender and the same
 * cap_status (a Test never withdraws an Actual alert). */
static enum hub_refusal
check_references(struct hub_ctx *ctx, const struct hub_principal *p, const struct hub_msg *m)
{
	char owner[HUB_USERNAME_MAX + 1], status[16], stopic[256];
	size_t i, n = hub_msg_n_references(m), len;
	void *stored;
	int rc;

	for (i = 0; i < n; i++) {
		rc = hub_history_find(ctx->history, hub_msg_reference(m, i), stopic, sizeof(stopic),
				      &stored, &len);
		if (rc == HUB_STORE_NOTFOUND)
			return HUB_R_CAP_REF_UNKNOWN;
		if (rc != 0)
			return HUB_R_STORE_FAILED;
		owner[0] = status[0] = '\0';
		rc = hub_msg_stored_ann(stored, hub_seal_strip(stored, len), owner, sizeof(owner),
					status, sizeof(status));
		free(stored);
		if (rc != 0)
			return HUB_R_CAP_REF_NOT_ANN;
		if (strcmp(owner, p->username) != 0)
			return HUB_R_CAP_REF_OTHER_SENDER;
		if (strcmp(status, hub_msg_cap_status(m)) != 0)
			return HUB_R_CAP_REF_STATUS;
	}
	return HUB_OK;
}

/* A showcase that withdraws another (DESIGN.md "The public site"): the one it
 * names is a stored showcase of the same village (the ACL let the sender
 * write this village's showcase: its volunteer, or an official within whose
 * scope it lies). An official's showcase is a withdrawal or nothing. */
static enum hub_refusal
check_withdraw(struct hub_ctx *ctx, const struct hub_principal *p, const char *topic,
	       struct hub_msg *m)
{
	const uint8_t *wid = hub_msg_withdraws(m);
	size_t village = hub_topic_parent_len(topic);   /* "np/show/P/D/V/" */
	char wtopic[256];
	int rc;

	if (wid == NULL)
		return p->role == HUB_ROLE_OFFICIAL ? HUB_R_SHOW_OFFICIAL_WITHDRAW : HUB_OK;
	rc = hub_history_find(ctx->history, wid, wtopic, sizeof(wtopic), NULL, NULL);
	if (rc == HUB_STORE_NOTFOUND)
		return HUB_R_SHOW_WITHDRAW_UNKNOWN;
	if (rc != 0)
		return HUB_R_STORE_FAILED;
	if (strncmp(wtopic, "np/show/", 8) != 0)
		return HUB_R_SHOW_WITHDRAW_UNKNOWN;
	if (strlen(wtopic) <= village || strncmp(wtopic, topic, village) != 0
	    || strchr(wtopic + village, '/') != NULL)
		return HUB_R_SHOW_WITHDRAW_VILLAGE;
	return HUB_OK;
}

/* Returns HUB_OK, or why the message is refused; *dup when it is a resend of
 * the same message by the same sender. */
static enum hub_refusal
check_stored(struct hub_ctx *ctx, const struct hub_principal *p, const char *topic,
	     struct hub_msg *m, bool *dup)
{
	char owner[HUB_USERNAME_MAX + 1] = "", stopic[256];
	void *stored;
	size_t len;
	bool same;
	int rc;

	*dup = false;
	rc = hub_history_find(ctx->history, hub_msg_id(m), stopic, sizeof(stopic), &stored, &len);
	if (rc == 0) {
		hub_msg_sender_name(stored, len, owner, sizeof(owner));
		same = strcmp(owner, p->username) == 0 && strcmp(stopic, topic) == 0
		       && hub_msg_same(m, p, stored, hub_seal_strip(stored, len));
		free(stored);
		if (strcmp(owner, p->username) != 0)
			return HUB_R_ID_OTHER_SENDER;
		if (!same)
			return HUB_R_ID_REUSED;
		*dup = true;
		return HUB_OK;
	}
	if (rc != HUB_STORE_NOTFOUND)
		return HUB_R_STORE_FAILED;
	if (hub_msg_ack_report(m) != NULL)
		return check_ack(ctx, p, topic, m);
	if (hub_msg_is_showcase(m))
		return check_withdraw(ctx, p, topic, m);
	return check_references(ctx, p, m);
}

/* Decodes and checks a payload for p on topic; HUB_OK and *out, or why not. */
static enum hub_refusal
check_payload(struct hub_ctx *ctx, const struct hub_principal *p, const char *topic,
	      const void *payload, size_t len, int qos, struct hub_msg **out, bool *dup)
{
	enum hub_refusal why;

	why = hub_throttle_publish(ctx->throttle, p->username, len, hub_now_ms());
	if (why == HUB_OK)
		why = hub_msg_decode_limits(out, payload, len, hub_topic_kind(topic),
					    ctx->opts.max_payload, ctx->opts.max_photo);
	if (why == HUB_OK && qos > 1)
		why = HUB_R_QOS2;
	if (why == HUB_OK)
		why = check_stored(ctx, p, topic, *out, dup);
	if (why == HUB_OK && !*dup)
		why = hub_msg_check_expiry(*out, hub_now_ms());
	if (why != HUB_OK) {
		hub_msg_free(*out);
		*out = NULL;
	}
	return why;
}

/* An accepted Update or Cancel withdraws its references (checked by
 * check_references), in the batch of its own message. */
static int
withdraw(struct hub_ctx *ctx, const struct hub_msg *m, uint64_t hid, const char *user)
{
	size_t i, n = hub_msg_n_references(m);
	uint8_t (*ids)[HUB_ID_LEN];
	int rc;

	if (n == 0)
		return 0;
	ids = malloc(n * HUB_ID_LEN);
	if (ids == NULL)
		return -1;
	for (i = 0; i < n; i++)
		memcpy(ids[i], hub_msg_reference(m, i), HUB_ID_LEN);
	rc = hub_history_withdraw(ctx->history, (const uint8_t (*)[16])ids, n, hid);
	free(ids);
	if (rc == 0)
		mosquitto_log_printf(MOSQ_LOG_INFO, "np: an Update or Cancel by '%s' withdrew %zu "
				     "announcement(s)", user, n);
	return rc;
}

/* Stamps, seals and stores m; the sealed payload (mosquitto_malloc'd) is
 * returned in *out. qos > 0 is committed now (the broker acknowledges when
 * this returns); QoS 0 joins the batch committed every HUB_BATCH_MS. */
static int
stamp_and_store(struct hub_ctx *ctx, const char *topic, int qos, const struct hub_principal *p,
		struct hub_msg *m, uint8_t **out, size_t *outlen)
{
	uint64_t hid = hub_history_next_hid(ctx->history, hub_now_ms());
	uint8_t *buf;
	size_t len;

	hub_msg_stamp(m, p, HUB_HID_MS(hid));
	len = hub_msg_packed_size(m);
	buf = mosquitto_malloc(len + HUB_SEAL_LEN);
	if (buf == NULL)
		return MOSQ_ERR_NOMEM;
	hub_msg_pack(m, buf);
	len = hub_seal_append(ctx->seal, topic, buf, len);
	hub_seal_note(ctx->seal, topic, buf, len);      /* its fan-out follows at once */
	if (hub_history_put(ctx->history, hid, topic, hub_msg_id(m), p->username, buf, len) != 0
	    || withdraw(ctx, m, hid, p->username) != 0
	    || (qos > 0 ? hub_history_commit(ctx->history)
			: hub_history_commit_due(ctx->history, HUB_HID_MS(hid))) != 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: cannot store a message: %s",
				     hub_history_error(ctx->history));
		mosquitto_free(buf);
		return MOSQ_ERR_UNKNOWN;
	}
	*out = buf;
	*outlen = len;
	return MOSQ_ERR_SUCCESS;
}

/* ---- a publish ---- */

/* An empty retained publish clears the retained message of a topic its
 * sender may write (the ACL check has passed): nothing is stored, and the
 * empty payload is not delivered (it has no seal). */
static int
clear_retained(struct mosquitto_evt_message *ed, const struct hub_principal *p)
{
	mosquitto_log_printf(MOSQ_LOG_INFO, "np: retained message on '%.200s' cleared by '%s'",
			     ed->topic, p->username);
	return MOSQ_ERR_SUCCESS;
}

int
hub_publish(struct hub_ctx *ctx, struct mosquitto_evt_message *ed)
{
	const struct hub_principal *p;
	struct hub_msg *m = NULL;
	enum hub_refusal why;
	uint8_t *out = NULL;
	size_t len = 0;
	bool dup = false;
	int rc;

	if (!hub_topic_is_np(ed->topic))
		return MOSQ_ERR_SUCCESS;
	p = hub_auth_principal(ctx->auth, mosquitto_client_username(ed->client));
	if (p == NULL)
		why = HUB_R_UNKNOWN_USER;
	else if (ed->properties != NULL)
		why = HUB_R_PROPERTIES;
	else if (ed->payloadlen == 0 && ed->retain)     /* a clear pays the message rate too */
		why = hub_throttle_publish(ctx->throttle, p->username, 0, hub_now_ms());
	else
		why = check_payload(ctx, p, ed->topic, ed->payload, ed->payloadlen, ed->qos, &m,
				    &dup);
	if (why == HUB_OK && ed->payloadlen == 0 && ed->retain)
		return clear_retained(ed, p);
	if (why != HUB_OK)
		return hub_publish_refuse(ctx, ed->client, p, ed->topic, ed->payload,
					  ed->payloadlen, why);
	rc = dup ? divert_duplicate(ed, p->username)
		 : stamp_and_store(ctx, ed->topic, ed->qos, p, m, &out, &len);
	hub_msg_free(m);
	if (rc == MOSQ_ERR_UNKNOWN)
		return hub_publish_refuse(ctx, ed->client, p, ed->topic, ed->payload,
					  ed->payloadlen, HUB_R_CANNOT_STORE);
	if (out != NULL) {
		ed->payload = out;      /* the broker frees the old payload */
		ed->payloadlen = (uint32_t)len;
	}
	return rc;
}

/* ---- a will ---- */

static void
fresh_id(uint8_t id[HUB_ID_LEN])
{
	uint64_t ms = (uint64_t)hub_now_ms();
	int i;

	if (RAND_bytes(id, HUB_ID_LEN) != 1)
		memset(id, 0x5a, HUB_ID_LEN);
	for (i = 5; i >= 0; i--, ms >>= 8)      /* time-ordered, as UUIDv7 */
		id[i] = (uint8_t)ms;
	id[6] = (uint8_t)(0x70 | (id[6] & 0x0f));
	id[8] = (uint8_t)(0x80 | (id[8] & 0x3f));
}

static void
will_log(const struct mosquitto_evt_acl_check *ed, const char *user, const char *what)
{
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "np: will of '%.64s' (client '%.64s') on '%.200s': %s",
			     user ? user : "", mosquitto_client_id(ed->client)
			     ? mosquitto_client_id(ed->client) : "-", ed->topic, what);
}

/* The hub sends the will's sealed copy itself, as any publish would go out. */
static void
send_will(struct hub_ctx *ctx, const struct mosquitto_evt_acl_check *ed,
	  const struct hub_principal *p, struct hub_msg *m)
{
	uint8_t *out = NULL;
	size_t len = 0;
	int qos = ed->qos > 1 ? 1 : ed->qos;

	if (stamp_and_store(ctx, ed->topic, qos, p, m, &out, &len) != MOSQ_ERR_SUCCESS) {
		will_log(ed, p->username, "refused: the hub cannot store messages now");
		return;
	}
	if (mosquitto_broker_publish(NULL, ed->topic, (int)len, out, qos, ed->retain, NULL)
	    != MOSQ_ERR_SUCCESS) {
		mosquitto_free(out);
		will_log(ed, p->username, "stored, but the broker would not send it");
		return;
	}
	will_log(ed, p->username, "checked, stamped and sent by the hub");
}

int
hub_publish_will(struct hub_ctx *ctx, struct mosquitto_evt_acl_check *ed, const char *user)
{
	const struct hub_principal *p = user ? hub_auth_principal(ctx->auth, user) : NULL;
	struct hub_msg *m = NULL;
	uint8_t id[HUB_ID_LEN];
	enum hub_refusal why;
	bool dup = false;

	if (p == NULL) {
		will_log(ed, user, "refused: the connection was never admitted");
		return MOSQ_ERR_ACL_DENIED;
	}
	why = !hub_topic_is_np(ed->topic) ? HUB_R_WILL_NOT_NP
		: hub_acl_check(p, HUB_WRITE, ed->topic, &ctx->dir);
	if (why == HUB_OK && ed->properties != NULL)
		why = HUB_R_WILL_PROPERTIES;
	if (why == HUB_OK)
		why = check_payload(ctx, p, ed->topic, ed->payload, ed->payloadlen,
				    ed->qos > 1 ? 1 : ed->qos, &m, &dup);
	if (why == HUB_OK && dup) {
		/* a will is prepared once and sent at each unclean loss of the link:
		 * each is a message of its own */
		fresh_id(id);
		hub_msg_set_id(m, id);
		why = hub_msg_check_expiry(m, hub_now_ms());    /* a new message: still news? */
	}
	if (why != HUB_OK) {
		char line[300], text[200];

		snprintf(line, sizeof(line), "refused: %s",
			 explain(ctx, why, text, sizeof(text)));
		will_log(ed, p->username, line);
		return MOSQ_ERR_ACL_DENIED;
	}
	send_will(ctx, ed, p, m);
	hub_msg_free(m);
	return MOSQ_ERR_ACL_DENIED;
}

/* ---- a delivery ---- */

#define ANN_PREFIX "np/ann/"

static void
withheld(struct hub_ctx *ctx, const struct mosquitto_evt_acl_check *ed)
{
	int64_t now = hub_now_ms();

	ctx->withheld++;
	if (now - ctx->withheld_log_ms < 1000)
		return;
	mosquitto_log_printf(MOSQ_LOG_WARNING,
			     "np: withheld %lu delivery(ies) of payloads without the hub's seal, "
			     "the last on '%.200s' (%u bytes%s): they entered the broker by a path "
			     "the hub did not check", ctx->withheld, ed->topic, ed->payloadlen,
			     ed->retain ? ", retained: cleared" : "");
	ctx->withheld = 0;
	ctx->withheld_log_ms = now;
}

/* Says in the log, at most once a second, that deliveries of announcements
 * were withheld: how many, of what kind (the last one's) and why. */
static void
withheld_ann(struct hub_ctx *ctx, const struct mosquitto_evt_acl_check *ed, const char *kind,
	     const char *detail)
{
	int64_t now = hub_now_ms();

	ctx->withheld_expired++;
	if (now - ctx->expired_log_ms < 1000)
		return;
	mosquitto_log_printf(MOSQ_LOG_INFO,
			     "np: withheld %lu delivery(ies) of %s announcements, the last on "
			     "'%.200s' (%s%s)", ctx->withheld_expired, kind, ed->topic, detail,
			     ed->retain ? ", retained" : "");
	ctx->withheld_expired = 0;
	ctx->expired_log_ms = now;
}

/* An announcement that is no news for this reader is withheld: an expired one
 * (sealed, so accepted before it expired: a retained one, or one queued for a
 * session that was offline, or a CAP alert imported after its expiry), one
 * withdrawn by an Update or Cancel (DESIGN.md "CAP"), and, for villagers
 * (volunteers and residents), one whose cap_status is not Actual (Test,
 * Exercise, System, Draft). Called right after the seal check of the same
 * payload: its expiry and status are read once per message and kept as the
 * seal cache's memo for the rest of its fan-out; the withdrawn set is asked
 * each time (a hash of the id, which opens every canonical envelope). */
static bool
not_news(struct hub_ctx *ctx, const struct mosquitto_evt_acl_check *ed,
	 const struct hub_principal *p)
{
	uint8_t id[HUB_ID_LEN];
	int64_t memo, at, now;
	char why[64];

	if (strncmp(ed->topic, ANN_PREFIX, sizeof(ANN_PREFIX) - 1) != 0)
		return false;
	memo = hub_seal_memo(ctx->seal);
	if (memo == HUB_SEAL_NO_MEMO) {
		memo = hub_ann_memo_read(ed->payload, ed->payloadlen);
		hub_seal_set_memo(ctx->seal, memo);
	}
	at = memo & ~HUB_ANN_MEMO_NOT_ACTUAL;
	if (at != 0 && hub_expiry_past(at, now = hub_now_ms())) {
		snprintf(why, sizeof(why), "expired %lld ms ago", (long long)(now - at));
		withheld_ann(ctx, ed, "expired", why);
		return true;
	}
	if ((memo & HUB_ANN_MEMO_NOT_ACTUAL) != 0 && p != NULL
	    && (p->role == HUB_ROLE_VOLUNTEER || p->role == HUB_ROLE_RESIDENT)) {
		withheld_ann(ctx, ed, "CAP Test, Exercise, System or Draft", "to a villager");
		return true;
	}
	if (hub_msg_peek_id(ed->payload, ed->payloadlen, id) == 0
	    && hub_history_withdrawn(ctx->history, id)) {
		withheld_ann(ctx, ed, "withdrawn", "by a CAP Update or Cancel");
		return true;
	}
	return false;
}

bool
hub_publish_deliverable(struct hub_ctx *ctx, const struct mosquitto_evt_acl_check *ed,
			const struct hub_principal *p)
{
	if (!hub_topic_is_np(ed->topic))
		return true;
	if (hub_seal_check(ctx->seal, ed->topic, ed->payload, ed->payloadlen))
		return !not_news(ctx, ed, p);
	if (ed->payloadlen == 0)
		return false;   /* a retained message being cleared: nothing to deliver */
	withheld(ctx, ed);
	if (ed->retain && (ctx->last_cleared == NULL || strcmp(ctx->last_cleared, ed->topic) != 0
			   || hub_now_ms() - ctx->last_cleared_ms > 1000)) {
		/* never served again: the hub replaces it with nothing (once, not
		 * once per subscriber of a fan-out) */
		free(ctx->last_cleared);
		ctx->last_cleared = strdup(ed->topic);
		ctx->last_cleared_ms = hub_now_ms();
		mosquitto_broker_publish(NULL, ed->topic, 0, NULL, 0, true, NULL);
	}
	return false;
}

const struct hub_principal *
hub_control_begin(struct hub_ctx *ctx, const struct mosquitto_evt_control *ed, size_t max,
		  enum hub_control_rate rate, enum hub_refusal *why, int64_t *now)
{
	const struct hub_principal *p;

	*now = hub_now_ms();
	p = hub_auth_principal(ctx->auth, mosquitto_client_username(ed->client));
	if (p == NULL || hub_guard_is_cut(ctx->guard, ed->client))
		return NULL;
	if (ed->payloadlen > max)
		*why = HUB_R_REQUEST_TOO_BIG;
	else if (ed->properties != NULL)
		*why = HUB_R_REQUEST_PROPERTIES;
	else if (rate == HUB_RATE_TOKEN)
		*why = hub_throttle_token(ctx->throttle, p->username, *now);
	else if (rate == HUB_RATE_RECEIPT)
		*why = hub_throttle_receipt(ctx->throttle, p->username, *now);
	else
		*why = hub_throttle_request(ctx->throttle, p->username, *now);
	return p;
}
