/* plugin.c - the Mosquitto 2.0 (plugin API v5) entry points of np-hub and the
 * one plugin context. Parses plugin_opt_*, opens the LMDB directory, and wires
 * the broker's events to auth.c (logins), acl.c (every publish, subscribe and
 * delivery) and validate.c (decode, check, stamp every np/ payload).
 * Only the three mosquitto_plugin_* symbols leave the .so (see plugin.map). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <mosquitto.h>

#include "acl.h"
#include "auth.h"
#include "history.h"
#include "throttle.h"
#include "query.h"
#include "store.h"
#include "validate.h"

#define HISTORY_TOPIC "$CONTROL/np/v1/history"
#define DUPLICATE_TOPIC "$np/duplicate"
#define EXPIRE_BATCH 1000

struct hub_opts {
	const char *db_path;
	size_t max_payload;
	int history_sync_ms;            /* 0: every commit */
	size_t history_max_age_days;    /* 0: keep for ever */
	struct hub_throttle_opts throttle;
};

struct hub_ctx {
	mosquitto_plugin_id_t *pid;
	struct hub_opts opts;
	struct hub_store *store;
	struct hub_auth *auth;
	struct hub_history *history;
	struct hub_throttle *throttle;
	struct hub_dir dir;
	int64_t next_expire_ms;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- options ---- */

static int
parse_size(const char *key, const char *val, size_t lo, size_t hi, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(val, &end, 10);
	if (errno != 0 || end == val || *end != '\0' || val[0] == '-' || v < lo || v > hi) {
		mosquitto_log_printf(MOSQ_LOG_ERR,
				     "np: plugin_opt_%s: '%s' is not %sa whole number from %zu to %zu",
				     key, val, strcmp(key, "history_sync") == 0 ? "'always' or " : "",
				     lo, hi);
		return MOSQ_ERR_INVAL;
	}
	*out = (size_t)v;
	return MOSQ_ERR_SUCCESS;
}

static int
parse_opts(struct hub_opts *o, struct mosquitto_opt *opts, int n)
{
	int i;
	int rc = MOSQ_ERR_SUCCESS;
	size_t v;
	const struct hub_throttle_opts dflt = HUB_THROTTLE_DEFAULTS;

	o->throttle = dflt;
	o->max_payload = HUB_DEFAULT_MAX_PAYLOAD;
	o->history_sync_ms = 1000;
	for (i = 0; i < n && rc == MOSQ_ERR_SUCCESS; i++) {
		if (strcmp(opts[i].key, "db_path") == 0) {
			o->db_path = opts[i].value;
			if (o->db_path == NULL || o->db_path[0] == '\0') {
				mosquitto_log_printf(MOSQ_LOG_ERR, "np: plugin_opt_db_path is empty");
				rc = MOSQ_ERR_INVAL;
			}
		} else if (strcmp(opts[i].key, "max_payload") == 0) {
			rc = parse_size("max_payload", opts[i].value, 64, 256u << 20, &o->max_payload);
		} else if (strcmp(opts[i].key, "history_sync") == 0) {
			if (strcmp(opts[i].value, "always") == 0) {
				o->history_sync_ms = 0;
			} else {
				rc = parse_size("history_sync", opts[i].value, 1, 60000, &v);
				o->history_sync_ms = (int)v;
			}
		} else if (strcmp(opts[i].key, "history_max_age_days") == 0) {
			rc = parse_size("history_max_age_days", opts[i].value, 0, 36500,
					&o->history_max_age_days);
		} else if (strcmp(opts[i].key, "login_max_failures") == 0) {
			rc = parse_size(opts[i].key, opts[i].value, 0, 1000, &v);
			o->throttle.login_max_failures = (unsigned)v;
		} else if (strcmp(opts[i].key, "login_lockout_s") == 0) {
			rc = parse_size(opts[i].key, opts[i].value, 1, 86400, &v);
			o->throttle.login_lockout_s = (unsigned)v;
		} else if (strcmp(opts[i].key, "rate_msgs") == 0) {
			rc = parse_size(opts[i].key, opts[i].value, 0, 1000000, &v);
			o->throttle.rate_msgs = (unsigned)v;
		} else if (strcmp(opts[i].key, "rate_burst") == 0) {
			rc = parse_size(opts[i].key, opts[i].value, 1, 1000000, &v);
			o->throttle.rate_burst = (unsigned)v;
		} else if (strcmp(opts[i].key, "rate_bytes") == 0) {
			rc = parse_size(opts[i].key, opts[i].value, 0, 1u << 30, &o->throttle.rate_bytes);
		} else {
			mosquitto_log_printf(MOSQ_LOG_ERR,
					     "np: unknown option plugin_opt_%s (known: db_path, "
					     "max_payload, history_sync, history_max_age_days, "
					     "login_max_failures, login_lockout_s, rate_msgs, "
					     "rate_burst, rate_bytes)",
					     opts[i].key);
			rc = MOSQ_ERR_INVAL;
		}
	}
	if (rc == MOSQ_ERR_SUCCESS && o->db_path == NULL) {
		mosquitto_log_printf(MOSQ_LOG_ERR,
				     "np: plugin_opt_db_path is required (the LMDB directory "
				     "made by np-admin init)");
		rc = MOSQ_ERR_INVAL;
	}
	return rc;
}

/* ---- registry look-ups for acl.c ---- */

static bool
dir_place_exists(void *c, const char *code)
{
	return hub_store_place_exists(((struct hub_ctx *)c)->store, code);
}

static bool
dir_official_exists(void *c, const char *username)
{
	struct hub_user u;

	return hub_store_user_get(((struct hub_ctx *)c)->store, username, &u) == 0
	       && u.role == HUB_ROLE_OFFICIAL;
}

/* ---- refusals ---- */

/* Sends buf (malloc'd, taken) on np/reply/<username>/<what> to this client
 * connection only, subscribed or not: a plain device learns why too, and no
 * one else reads it. */
static void
reply_to(struct mosquitto *client, const char *username, const char *what, uint8_t *buf,
	 size_t len)
{
	const char *cid = mosquitto_client_id(client);
	char topic[HUB_USERNAME_MAX + 32];
	uint8_t *copy;

	if (buf != NULL && username != NULL && cid != NULL
	    && (copy = mosquitto_malloc(len ? len : 1)) != NULL) {
		memcpy(copy, buf, len);
		snprintf(topic, sizeof(topic), "np/reply/%s/%s", username, what);
		if (mosquitto_broker_publish(cid, topic, (int)len, copy, 1, false, NULL)
		    != MOSQ_ERR_SUCCESS)
			mosquitto_free(copy);
	}
	free(buf);
}

/* Tells the publisher why: MQTT v3 has no reason codes and v5's PUBACK only
 * carries a number. */
static void
send_refusal(struct mosquitto *client, const char *username, const char *topic,
	     const void *payload, size_t len, const char *why)
{
	uint8_t id[HUB_ID_LEN], *buf;
	size_t blen = 0;

	buf = hub_refusal_pack(hub_msg_peek_id(payload, len, id) == 0 ? id : NULL, topic, why,
			       now_ms(), &blen);
	reply_to(client, username, "error", buf, blen);
}

static int
refuse_publish(struct mosquitto *client, const struct hub_principal *p, const char *topic,
	       const void *payload, size_t len, const char *why)
{
	const char *user = mosquitto_client_username(client);

	mosquitto_log_printf(MOSQ_LOG_NOTICE,
			     "np: refused publish by '%.64s' (%s %s, client '%.64s') on '%.200s': %s",
			     user ? user : "", p ? hub_role_name(p->role) : "-",
			     p ? p->scope : "-", mosquitto_client_id(client), topic, why);
	send_refusal(client, user, topic, payload, len, why);
	return MOSQ_ERR_ACL_DENIED;
}

/* ---- events ---- */

static int
on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ed = event_data;
	struct hub_ctx *ctx = userdata;
	const char *addr = mosquitto_client_address(ed->client);
	const char *user = ed->username ? ed->username : "";
	char locked[96];
	const char *why;
	int64_t now = now_ms(), wait;

	(void)event;
	wait = hub_throttle_login_locked(ctx->throttle, user, addr, now);
	if (wait > 0 && !hub_auth_known(ctx->auth, ed->username, ed->password)) {
		/* refused before the KDF: a storm costs almost nothing */
		snprintf(locked, sizeof(locked), "too many failed logins, locked for %lld s more",
			 (long long)(wait + 999) / 1000);
		why = locked;
	} else {
		why = hub_auth_login(ctx->auth, ed->username, ed->password);
		if (why == NULL) {
			hub_throttle_login_ok(ctx->throttle, user, addr);
			return MOSQ_ERR_SUCCESS;
		}
	}
	hub_throttle_login_failed(ctx->throttle, user, addr, now);  /* a lock grows while hammered */
	/* fields capped: mosquitto cuts a log line at 1,000 bytes, the reason must survive */
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "np: login refused for '%.64s' from %.64s: %s", user,
			     addr ? addr : "?", why);
	return MOSQ_ERR_AUTH;
}

static int
on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ed = event_data;
	struct hub_ctx *ctx = userdata;
	const struct hub_principal *p;
	enum hub_access a;
	const char *why;

	(void)event;
	switch (ed->access) {
	case MOSQ_ACL_UNSUBSCRIBE:
		return MOSQ_ERR_SUCCESS;
	case MOSQ_ACL_SUBSCRIBE:
		a = HUB_SUBSCRIBE;
		break;
	case MOSQ_ACL_WRITE:
		a = HUB_WRITE;
		break;
	case MOSQ_ACL_READ:
		a = HUB_READ;
		break;
	default:
		return MOSQ_ERR_ACL_DENIED;
	}
	p = hub_auth_principal(ctx->auth, mosquitto_client_username(ed->client));
	why = p ? hub_acl_check(p, a, ed->topic, a == HUB_READ ? NULL : &ctx->dir) : "unknown user";
	if (why == NULL)
		return MOSQ_ERR_SUCCESS;
	if (a == HUB_WRITE)
		return refuse_publish(ed->client, p, ed->topic, ed->payload, ed->payloadlen, why);
	if (a == HUB_SUBSCRIBE)
		mosquitto_log_printf(MOSQ_LOG_NOTICE,
				     "np: refused subscription by '%.64s' (client '%.64s') to '%.200s': "
				     "%s",
				     p ? p->username : "", mosquitto_client_id(ed->client),
				     ed->topic, why);
	return MOSQ_ERR_ACL_DENIED;
}

/* A resend of a stored message: acknowledged, but neither stored nor
 * delivered again. The broker offers no "drop but acknowledge", so the
 * message is sent to a topic no one can subscribe to. */
static int
divert_duplicate(struct mosquitto_evt_message *ed, const char *user)
{
	char *t = mosquitto_strdup(DUPLICATE_TOPIC);

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

/* An ack must name a stored report of the same village; an operator's only
 * an outage report. */
static const char *
check_ack(struct hub_ctx *ctx, const struct hub_principal *p, const char *topic,
	  const uint8_t *report_id)
{
	char rtopic[256];
	size_t village = strlen(topic) - 3;     /* ".../ack" -> ".../" */
	int rc;

	rc = hub_history_find(ctx->history, report_id, rtopic, sizeof(rtopic), NULL, NULL);
	if (rc == HUB_STORE_NOTFOUND)
		return "ack of a report the hub does not hold";
	if (rc != 0)
		return "history store failed";
	if (strncmp(rtopic, topic, village) != 0 || strcmp(rtopic + village, "ack") == 0)
		return "ack of a report of another village";
	if (p->role == HUB_ROLE_OPERATOR && strcmp(rtopic + village, "outage") != 0)
		return "operators acknowledge outage reports only";
	return NULL;
}

/* Returns NULL, or why the message is refused; *dup when it is a resend. */
static const char *
check_stored(struct hub_ctx *ctx, const struct hub_principal *p, const char *topic,
	     const struct hub_msg *m, bool *dup)
{
	char owner[HUB_USERNAME_MAX + 1] = "", stopic[8];
	const uint8_t *report;
	void *stored;
	size_t len;
	int rc;

	*dup = false;
	rc = hub_history_find(ctx->history, hub_msg_id(m), stopic, sizeof(stopic), &stored, &len);
	if (rc == 0) {
		hub_msg_sender_name(stored, len, owner, sizeof(owner));
		free(stored);
		*dup = strcmp(owner, p->username) == 0;
		return *dup ? NULL : "the id belongs to another sender's message";
	}
	if (rc != HUB_STORE_NOTFOUND)
		return "history store failed";
	report = hub_msg_ack_report(m);
	return report != NULL ? check_ack(ctx, p, topic, report) : NULL;
}

static int
store_and_stamp(struct hub_ctx *ctx, struct mosquitto_evt_message *ed,
		const struct hub_principal *p, struct hub_msg *m)
{
	uint64_t hid = hub_history_next_hid(ctx->history, now_ms());
	uint8_t *out;
	size_t len;

	hub_msg_stamp(m, p, HUB_HID_MS(hid));
	len = hub_msg_packed_size(m);
	out = mosquitto_malloc(len);
	if (out == NULL)
		return MOSQ_ERR_NOMEM;
	hub_msg_pack(m, out);
	/* QoS 1 and 2 are acknowledged when this returns: commit now. QoS 0 joins
	 * the batch committed every HUB_BATCH_MS (or HUB_BATCH_MAX messages). */
	if (hub_history_put(ctx->history, hid, ed->topic, hub_msg_id(m), p->username, out, len) != 0
	    || (ed->qos > 0 ? hub_history_commit(ctx->history)
			    : hub_history_commit_due(ctx->history, HUB_HID_MS(hid))) != 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: cannot store a message: %s",
				     hub_history_error(ctx->history));
		mosquitto_free(out);
		return MOSQ_ERR_UNKNOWN;
	}
	ed->payload = out;      /* the broker frees the old payload */
	ed->payloadlen = (uint32_t)len;
	return MOSQ_ERR_SUCCESS;
}

static int
on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *ed = event_data;
	struct hub_ctx *ctx = userdata;
	const struct hub_principal *p;
	struct hub_msg *m = NULL;
	const char *why;
	bool dup = false;
	int rc;

	(void)event;
	if (strncmp(ed->topic, "np/", 3) != 0)
		return MOSQ_ERR_SUCCESS;
	p = hub_auth_principal(ctx->auth, mosquitto_client_username(ed->client));
	if (p == NULL)
		return refuse_publish(ed->client, p, ed->topic, ed->payload, ed->payloadlen,
				      "unknown user");
	why = hub_throttle_publish(ctx->throttle, p->username, ed->payloadlen, now_ms());
	if (why == NULL)
		why = hub_msg_decode(&m, ed->payload, ed->payloadlen, hub_topic_kind(ed->topic),
				     ctx->opts.max_payload);
	if (why == NULL)
		why = check_stored(ctx, p, ed->topic, m, &dup);
	if (why != NULL) {
		hub_msg_free(m);
		return refuse_publish(ed->client, p, ed->topic, ed->payload, ed->payloadlen, why);
	}
	rc = dup ? divert_duplicate(ed, p->username) : store_and_stamp(ctx, ed, p, m);
	hub_msg_free(m);
	if (rc == MOSQ_ERR_UNKNOWN)
		return refuse_publish(ed->client, p, ed->topic, ed->payload, ed->payloadlen,
				      "the hub cannot store messages now (see its log)");
	return rc;
}

static int
on_control(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_control *ed = event_data;
	struct hub_ctx *ctx = userdata;
	const struct hub_principal *p;
	uint8_t *page;
	size_t len;

	(void)event;
	p = hub_auth_principal(ctx->auth, mosquitto_client_username(ed->client));
	if (p == NULL)
		return MOSQ_ERR_ACL_DENIED;
	page = hub_query_answer(ctx->history, p, ed->payload, ed->payloadlen, now_ms(), &len);
	if (page == NULL)
		return MOSQ_ERR_NOMEM;
	reply_to(ed->client, p->username, "history", page, len);
	return MOSQ_ERR_SUCCESS;
}

static void
expire(struct hub_ctx *ctx, int64_t now)
{
	size_t removed = 0;
	int64_t before;

	if (ctx->opts.history_max_age_days == 0 || now < ctx->next_expire_ms)
		return;
	before = now - (int64_t)ctx->opts.history_max_age_days * 86400000;
	if (hub_history_expire(ctx->history, before, EXPIRE_BATCH, &removed) != 0)
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: retention: %s",
				     hub_history_error(ctx->history));
	else if (removed > 0)
		mosquitto_log_printf(MOSQ_LOG_INFO, "np: retention removed %zu messages older "
				     "than %zu days", removed, ctx->opts.history_max_age_days);
	/* a full batch means more is due: come back at the next tick */
	ctx->next_expire_ms = removed == EXPIRE_BATCH ? now : now + 1000;
}

static int
on_tick(int event, void *event_data, void *userdata)
{
	struct hub_ctx *ctx = userdata;
	int64_t now = now_ms();

	(void)event;
	(void)event_data;
	if (hub_history_commit_due(ctx->history, now) != 0)
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: %s", hub_history_error(ctx->history));
	hub_auth_tick(ctx->auth, now);
	hub_throttle_tick(ctx->throttle, now);
	hub_history_tick(ctx->history, now);
	expire(ctx, now);
	return MOSQ_ERR_SUCCESS;
}

/* ---- entry points ---- */

int
mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	int i;

	for (i = 0; i < supported_version_count; i++) {
		if (supported_versions[i] == 5)
			return 5;
	}
	return -1;
}

static void
ctx_free(struct hub_ctx *ctx)
{
	if (ctx == NULL)
		return;
	hub_auth_free(ctx->auth);
	hub_throttle_free(ctx->throttle);
	hub_history_close(ctx->history);
	hub_store_close(ctx->store);
	free(ctx);
}

static int
register_all(struct hub_ctx *ctx)
{
	int rc;

	rc = mosquitto_callback_register(ctx->pid, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, ctx);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_callback_register(ctx->pid, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL,
						 ctx);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_callback_register(ctx->pid, MOSQ_EVT_MESSAGE, on_message, NULL, ctx);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_callback_register(ctx->pid, MOSQ_EVT_TICK, on_tick, NULL, ctx);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_callback_register(ctx->pid, MOSQ_EVT_CONTROL, on_control,
						 HISTORY_TOPIC, ctx);
	return rc;
}

static void
unregister_all(struct hub_ctx *ctx)
{
	mosquitto_callback_unregister(ctx->pid, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
	mosquitto_callback_unregister(ctx->pid, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
	mosquitto_callback_unregister(ctx->pid, MOSQ_EVT_MESSAGE, on_message, NULL);
	mosquitto_callback_unregister(ctx->pid, MOSQ_EVT_TICK, on_tick, NULL);
	mosquitto_callback_unregister(ctx->pid, MOSQ_EVT_CONTROL, on_control, HISTORY_TOPIC);
}

int
mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **user_data,
		      struct mosquitto_opt *opts, int opt_count)
{
	struct hub_ctx *ctx;
	char err[300];
	int rc;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return MOSQ_ERR_NOMEM;
	ctx->pid = identifier;
	rc = parse_opts(&ctx->opts, opts, opt_count);
	if (rc != MOSQ_ERR_SUCCESS)
		goto fail;
	if (hub_store_open(&ctx->store, ctx->opts.db_path, 0, err, sizeof(err)) != 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: plugin_opt_db_path '%s': %s",
				     ctx->opts.db_path, err);
		rc = MOSQ_ERR_INVAL;
		goto fail;
	}
	if (hub_history_open(&ctx->history, ctx->store, ctx->opts.history_sync_ms, err,
			     sizeof(err)) != 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: plugin_opt_db_path '%s': history: %s",
				     ctx->opts.db_path, err);
		rc = MOSQ_ERR_INVAL;
		goto fail;
	}
	if (hub_auth_new(&ctx->auth, ctx->store) != 0
	    || hub_throttle_new(&ctx->throttle, &ctx->opts.throttle) != 0) {
		rc = MOSQ_ERR_NOMEM;
		goto fail;
	}
	ctx->dir.place_exists = dir_place_exists;
	ctx->dir.official_exists = dir_official_exists;
	ctx->dir.ctx = ctx;
	rc = register_all(ctx);
	if (rc != MOSQ_ERR_SUCCESS)
		goto fail;
	mosquitto_log_printf(MOSQ_LOG_INFO, "np: hub ready, database %s, max payload %zu bytes, "
			     "history sync %s%d%s, history kept %zu days (0: for ever)",
			     ctx->opts.db_path, ctx->opts.max_payload,
			     ctx->opts.history_sync_ms ? "every " : "", ctx->opts.history_sync_ms,
			     ctx->opts.history_sync_ms ? " ms" : " (always)",
			     ctx->opts.history_max_age_days);
	*user_data = ctx;
	return MOSQ_ERR_SUCCESS;
fail:
	unregister_all(ctx);
	ctx_free(ctx);
	return rc;
}

int
mosquitto_plugin_cleanup(void *user_data, struct mosquitto_opt *opts, int opt_count)
{
	struct hub_ctx *ctx = user_data;

	(void)opts;
	(void)opt_count;
	if (ctx == NULL)
		return MOSQ_ERR_SUCCESS;
	unregister_all(ctx);
	ctx_free(ctx);
	return MOSQ_ERR_SUCCESS;
}
