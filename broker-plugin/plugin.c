/* plugin.c - the Mosquitto 2.0 (plugin API v5) entry points of np-hub and the
 * one plugin context. Parses plugin_opt_*, opens the LMDB directory, and wires
 * the broker's events to auth.c (logins; tokens.c for device tokens), acl.c
 * (every publish, subscribe and delivery) and validate.c (decode, check, stamp
 * every np/ payload).
 * Only the three mosquitto_plugin_* symbols leave the .so (see plugin.map). */
#include <errno.h>
#include <openssl/crypto.h>
#include <stddef.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <mosquitto.h>

#include "hub.h"
#include "live.h"
#include "photo.h"
#include "publish.h"
#include "query.h"
#include "case_query.h"
#include "reach.h"
#include "remote.h"
#include "topic.h"
#include "validate.h"

#define HISTORY_TOPIC HUB_TOPIC_HISTORY_REQUEST
#define EXPIRE_BATCH 1000
#define MAX_REQUEST 4096        /* bytes of a HistoryRequest, read only below this */

int64_t
hub_now_ms(void)
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

/* Every option once: name, bounds, where it goes (redis config.c's way).
 * A size_t target unless uint is set. history_sync also takes "always". */
struct opt_def {
	const char *name;
	size_t lo, hi;
	size_t off;
	bool uint;
};

#define O(f) offsetof(struct hub_opts, f)
#define T(f) (offsetof(struct hub_opts, throttle) + offsetof(struct hub_throttle_opts, f))
static const struct opt_def opt_defs[] = {
	{ "max_payload", 64, 256u << 20, O(max_payload), false },
	{ "max_photo", 0, HUB_MAX_PHOTO_CAP, O(max_photo), false },
	{ "history_max_age_days", 0, 36500, O(history_max_age_days), false },
	{ "max_connections_per_user", 0, 100000, O(max_connections_per_user), false },
	{ "login_max_failures", 0, 1000, T(login_max_failures), true },
	{ "login_lockout_s", 1, 86400, T(login_lockout_s), true },
	{ "login_kdf_rate", 1, 1000, T(login_kdf_rate), true },
	{ "rate_msgs", 0, 1000000, T(rate_msgs), true },
	{ "rate_burst", 1, 1000000, T(rate_burst), true },
	{ "rate_bytes", 0, 1u << 30, T(rate_bytes), false },
	{ "history_rate", 1, 10000, T(history_rate), true },
	{ "history_rate_bytes", 4096, 1u << 30, T(history_rate_bytes), false },
	{ "reply_rate", 1, 100000, T(reply_rate), true },
	{ "token_days", 1, HUB_TOKEN_MAX_DAYS, O(token_days), false },
	{ "token_rate", 1, 1000, T(token_rate), true },
	{ "receipt_rate", 0, 1000000, T(receipt_rate), true },
};
#undef O
#undef T

static void
log_unknown(const char *key)
{
	char known[600] = "db_path, history_sync";
	size_t i, n = strlen(known);

	for (i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]) && n < sizeof(known); i++)
		n += (size_t)snprintf(known + n, sizeof(known) - n, ", %s", opt_defs[i].name);
	mosquitto_log_printf(MOSQ_LOG_ERR, "np: unknown option plugin_opt_%s (known: %s)", key,
			     known);
}

static int
parse_one(struct hub_opts *o, const char *key, const char *val)
{
	const struct opt_def *d;
	size_t i, v;
	int rc;

	if (strcmp(key, "db_path") == 0) {
		o->db_path = val;
		if (val == NULL || val[0] == '\0') {
			mosquitto_log_printf(MOSQ_LOG_ERR, "np: plugin_opt_db_path is empty");
			return MOSQ_ERR_INVAL;
		}
		return MOSQ_ERR_SUCCESS;
	}
	if (strcmp(key, "history_sync") == 0) {
		if (strcmp(val, "always") == 0) {
			o->history_sync_ms = 0;
			return MOSQ_ERR_SUCCESS;
		}
		rc = parse_size("history_sync", val, 1, 60000, &v);
		o->history_sync_ms = (int)v;
		return rc;
	}
	for (i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]); i++) {
		d = &opt_defs[i];
		if (strcmp(key, d->name) != 0)
			continue;
		rc = parse_size(d->name, val, d->lo, d->hi, &v);
		if (rc == MOSQ_ERR_SUCCESS && d->uint)
			*(unsigned *)(void *)((char *)o + d->off) = (unsigned)v;
		else if (rc == MOSQ_ERR_SUCCESS)
			*(size_t *)(void *)((char *)o + d->off) = v;
		return rc;
	}
	log_unknown(key);
	return MOSQ_ERR_INVAL;
}

static int
parse_opts(struct hub_opts *o, struct mosquitto_opt *opts, int n)
{
	const struct hub_throttle_opts dflt = HUB_THROTTLE_DEFAULTS;
	int i, rc = MOSQ_ERR_SUCCESS;

	o->throttle = dflt;
	o->max_payload = HUB_DEFAULT_MAX_PAYLOAD;
	o->max_photo = HUB_DEFAULT_MAX_PHOTO;
	o->max_connections_per_user = 10;
	o->history_sync_ms = 1000;
	o->token_days = HUB_TOKEN_DEFAULT_DAYS;
	for (i = 0; i < n && rc == MOSQ_ERR_SUCCESS; i++)
		rc = parse_one(o, opts[i].key, opts[i].value);
	if (rc == MOSQ_ERR_SUCCESS && o->db_path == NULL) {
		mosquitto_log_printf(MOSQ_LOG_ERR,
				     "np: plugin_opt_db_path is required (the LMDB directory "
				     "made by np-admin init)");
		rc = MOSQ_ERR_INVAL;
	}
	return rc;
}

/* A user's byte budget (rate_bytes a second, burst twice that) smaller than
 * the largest message it may send refuses that message every time: said once
 * at start, as a warning (a small rate_bytes is a choice, not an error). */
static void
warn_rate_bytes(const struct hub_opts *o)
{
	size_t largest = o->max_payload + o->max_photo;

	if (o->throttle.rate_bytes == 0 || 2 * o->throttle.rate_bytes >= largest)
		return;
	mosquitto_log_printf(MOSQ_LOG_WARNING, "np: plugin_opt_rate_bytes %zu (a burst of %zu) is "
			     "under the largest message, %zu bytes (max_payload + max_photo): "
			     "messages over %zu bytes will always be refused", o->throttle.rate_bytes,
			     2 * o->throttle.rate_bytes, largest, 2 * o->throttle.rate_bytes);
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

/* ---- events ---- */

static int
refuse_login(const char *user, const char *addr, const char *why)
{
	/* fields capped: mosquitto cuts a log line at 1,000 bytes, the reason must
	 * survive. MQTT 5 clients get CONNACK 0x87 whatever the reason: mosquitto
	 * 2.0.11 lets a plugin give no other. */
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "np: login refused for '%.64s' from %.64s: %s", user,
			     addr ? addr : "?", why);
	return MOSQ_ERR_AUTH;
}

/* A client id "<name>-..." or "np-<name>-..." (libnpclient's) where <name> is
 * another user's name is refused: so an app's ids cannot be squatted. */
static enum hub_refusal
cid_names_another(struct hub_ctx *ctx, const char *cid, const char *user)
{
	char name[HUB_USERNAME_MAX + 1];
	const char *dash;
	size_t n;

	if (cid == NULL)
		return HUB_OK;
	if (strncmp(cid, "np-", 3) == 0)
		cid += 3;
	dash = strchr(cid, '-');
	n = dash ? (size_t)(dash - cid) : 0;
	if (n == 0 || n > HUB_USERNAME_MAX || !hub_username_valid(cid, n))
		return HUB_OK;
	memcpy(name, cid, n);
	name[n] = '\0';
	if (strcmp(name, user) == 0 || hub_auth_principal(ctx->auth, name) == NULL)
		return HUB_OK;
	return HUB_R_CLIENT_ID_OTHER_USER;
}

/* A device token (a password opening with npt_): a look-up and a SHA-256,
 * never throttled (a token cannot be guessed, and its check costs
 * microseconds), refused with its own reason. The user must still exist. */
static enum hub_refusal
token_login(struct hub_ctx *ctx, const struct mosquitto_evt_basic_auth *ed, int64_t now,
	    uint8_t id[HUB_TOKEN_ID_LEN], int64_t *expires_ms)
{
	enum hub_refusal code;

	code = hub_tokens_login(ctx->tokens, ed->username, ed->password, now, id, expires_ms);
	if (code == HUB_OK && hub_auth_principal(ctx->auth, ed->username) == NULL)
		code = HUB_R_UNKNOWN_USER;
	return code;
}

/* The password: one verified before passes at once; any other first takes a
 * token of its address's and the hub's KDF budgets (throttle.c), so a storm
 * neither runs the KDF without bound nor locks the right password out for
 * long. A device token instead: token_login. Then the client id and the
 * connection count (guard.c), which also notes how the connection logged in. */
static int
on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ed = event_data;
	struct hub_ctx *ctx = userdata;
	const char *addr = mosquitto_client_address(ed->client);
	const char *user = ed->username ? ed->username : "";
	const char *cid = mosquitto_client_id(ed->client);
	enum hub_refusal code = HUB_OK, limit;
	char line[160];
	int64_t now = hub_now_ms(), wait, expires = 0;
	uint8_t token[HUB_TOKEN_ID_LEN];
	bool by_token = hub_token_is(ed->password);

	(void)event;
	if (by_token) {
		code = token_login(ctx, ed, now, token, &expires);
	} else if (!hub_auth_known(ctx->auth, ed->username, ed->password)) {
		wait = hub_throttle_login_begin(ctx->throttle, user, addr, now, &limit);
		if (wait > 0) {
			snprintf(line, sizeof(line), "%s: throttled, retry in %lld s",
				 hub_refusal_text(limit), (long long)(wait + 999) / 1000);
			return refuse_login(user, addr, line);
		}
		code = hub_auth_login(ctx->auth, ed->username, ed->password);
		hub_throttle_login_end(ctx->throttle, user, addr, code == HUB_OK, hub_now_ms());
	}
	if (code == HUB_OK)
		hub_live_login(ctx, user);
	if (code == HUB_OK)
		code = cid_names_another(ctx, cid, user);
	if (code == HUB_OK)
		code = hub_guard_admit(ctx->guard, cid, user);
	if (code == HUB_OK && hub_guard_connected(ctx->guard, ed->client, cid, user, now) != 0)
		code = HUB_R_NOMEM;
	if (code == HUB_OK && by_token) {
		if (hub_guard_set_token(ctx->guard, ed->client, token, expires) != 0)
			code = HUB_R_NOMEM;
		else if (expires != 0 && (ctx->next_token_expiry_ms == 0
					  || expires < ctx->next_token_expiry_ms))
			ctx->next_token_expiry_ms = expires;
	}
	return code == HUB_OK ? MOSQ_ERR_SUCCESS : refuse_login(user, addr, hub_refusal_text(code));
}

/* ---- revoked and expired tokens ---- */

static bool
token_holds(void *c, const char *user, const uint8_t *id)
{
	struct hub_ctx *ctx = c;
	enum hub_refusal why = hub_tokens_holds(ctx->tokens, user, id, hub_now_ms());
	char hex[2 * HUB_TOKEN_ID_LEN + 1];

	if (why == HUB_OK)
		return true;
	hub_token_id_hex(id, hex);
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "np: cutting a session of '%.64s' (token %s): %s",
			     user, hex, hub_refusal_text(why));
	return false;
}

/* Cuts the sessions whose token was revoked (np-admin, another process: the
 * store's tokens generation moved) or expired. Cheap when nothing changed: one
 * LMDB read. Called before every message is delivered and from the tick. */
static void
cut_tokens(struct hub_ctx *ctx, int64_t now)
{
	bool revoked = hub_tokens_revoked(ctx->tokens);

	if (!revoked && (ctx->next_token_expiry_ms == 0 || now < ctx->next_token_expiry_ms))
		return;
	hub_guard_cut_tokens(ctx->guard, revoked, now, token_holds, ctx,
			     &ctx->next_token_expiry_ms);
}

static void
kick(void *c, const char *cid)
{
	(void)c;
	mosquitto_kick_client_by_clientid(cid, false);
}

static int
on_disconnect(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *ed = event_data;
	struct hub_ctx *ctx = userdata;

	(void)event;
	/* MQTT 5 keeps or drops a session by its expiry interval, which a plugin
	 * cannot see, not by Clean Start: its id stays its user's as if persistent */
	hub_guard_disconnected(ctx->guard, ed->client,
			       mosquitto_client_protocol_version(ed->client) != 5
			       && mosquitto_client_clean_session(ed->client), hub_now_ms());
	return MOSQ_ERR_SUCCESS;
}

static int
on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ed = event_data;
	struct hub_ctx *ctx = userdata;
	const struct hub_principal *p;
	enum hub_access a;
	enum hub_refusal why;

	(void)event;
	if (hub_guard_is_cut(ctx->guard, ed->client))
		return MOSQ_ERR_ACL_DENIED;     /* its token was revoked: nothing more */
	switch (ed->access) {
	case MOSQ_ACL_UNSUBSCRIBE:
		return MOSQ_ERR_SUCCESS;
	case MOSQ_ACL_SUBSCRIBE:
		a = HUB_SUBSCRIBE;
		break;
	case MOSQ_ACL_WRITE:
		if (hub_guard_going(ctx->guard, ed->client))
			return hub_publish_will(ctx, ed, hub_guard_user(ctx->guard, ed->client));
		a = HUB_WRITE;
		break;
	case MOSQ_ACL_READ:
		a = HUB_READ;
		break;
	default:
		return MOSQ_ERR_ACL_DENIED;
	}
	p = hub_auth_principal(ctx->auth, mosquitto_client_username(ed->client));
	why = p ? hub_acl_check(p, a, ed->topic, a == HUB_READ ? NULL : &ctx->dir)
		: HUB_R_UNKNOWN_USER;
	if (why == HUB_OK && a == HUB_READ)
		return hub_publish_deliverable(ctx, ed, p) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
	if (why == HUB_OK)
		return MOSQ_ERR_SUCCESS;
	if (a == HUB_WRITE)
		return hub_publish_refuse(ctx, ed->client, p, ed->topic, ed->payload,
					  ed->payloadlen, why);
	if (a == HUB_SUBSCRIBE)
		mosquitto_log_printf(MOSQ_LOG_NOTICE,
				     "np: refused subscription by '%.64s' (client '%.64s') to '%.200s': "
				     "%s",
				     p ? p->username : "", mosquitto_client_id(ed->client),
				     ed->topic, hub_refusal_text(why));
	return MOSQ_ERR_ACL_DENIED;
}

static int
on_message(int event, void *event_data, void *userdata)
{
	(void)event;
	cut_tokens(userdata, hub_now_ms());     /* before anything is delivered */
	return hub_publish(userdata, event_data);
}

/* A history request: bounded before it is read, rate-limited per user in
 * requests and in page bytes; an answer over the limit is one short error
 * page (itself limited), never a queue of pages for a client that does not
 * read them. */
static int
on_control(int event, void *event_data, void *userdata)
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
	p = hub_control_begin(ctx, ed, MAX_REQUEST, HUB_RATE_REQUEST, &why, &now);
	if (p == NULL)
		return MOSQ_ERR_ACL_DENIED;
	if (why != HUB_OK) {
		hub_throttle_explain(ctx->throttle, why, text, sizeof(text));
		mosquitto_log_printf(MOSQ_LOG_NOTICE,
				     "np: refused history request by '%.64s' (client '%.64s'): %s",
				     p->username, mosquitto_client_id(ed->client), text);
		if (!hub_throttle_reply(ctx->throttle, p->username, now))
			return MOSQ_ERR_SUCCESS;
		page = hub_query_refusal(text, now, &len);
	} else {
		/* the open batch first: a feed catching up subscribed before it asked,
		 * so what it did not get live must be in the pages (libnpclient feed.c) */
		if (hub_history_commit(ctx->history) != 0)
			mosquitto_log_printf(MOSQ_LOG_ERR, "np: %s", hub_history_error(ctx->history));
		page = hub_query_answer(ctx->history, p, ed->payload, ed->payloadlen, now, &len);
		if (page != NULL)
			hub_throttle_request_bytes(ctx->throttle, p->username, len, now);
	}
	if (page == NULL)
		return MOSQ_ERR_NOMEM;
	hub_publish_reply(ctx, ed->client, p->username, "history", page, len);
	return MOSQ_ERR_SUCCESS;
}

static void
log_grant(struct mosquitto *client, const char *user, const struct hub_grant_out *g,
	  const char *text)
{
	char hex[2 * HUB_TOKEN_ID_LEN + 1];

	if (g->why != HUB_OK) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "np: refused token request by '%.64s' (client "
				     "'%.64s'): %s", user, mosquitto_client_id(client), text);
		return;
	}
	hub_token_id_hex(g->id, hex);
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "np: token %s %s '%.64s' (client '%.64s')", hex,
			     g->revoked ? "revoked by its holder" : "granted to", user,
			     mosquitto_client_id(client));
}

/* A TokenRequest: a password session mints (a token may not mint more); a
 * token session may only revoke its own token (tokens.c), and is then cut
 * like any session whose token was revoked. Bounded before it is read and
 * rate-limited per user. The grant, or the refusal, goes to this connection
 * only. */
static int
on_token_request(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_control *ed = event_data;
	struct hub_ctx *ctx = userdata;
	const struct hub_principal *p;
	struct hub_grant_out g = { .why = HUB_OK };
	enum hub_refusal why;
	uint8_t *grant;
	char text[200];
	size_t len;
	int64_t now;

	(void)event;
	p = hub_control_begin(ctx, ed, HUB_TOKENS_MAX_REQUEST, HUB_RATE_TOKEN, &why, &now);
	if (p == NULL)
		return MOSQ_ERR_ACL_DENIED;
	if (why != HUB_OK && !hub_throttle_reply(ctx->throttle, p->username, now)) {
		g.why = why;
		log_grant(ed->client, p->username, &g,
			  hub_throttle_explain(ctx->throttle, why, text, sizeof(text)));
		return MOSQ_ERR_SUCCESS;
	}
	if (hub_history_commit(ctx->history) != 0)      /* its batch before our write */
		why = why == HUB_OK ? HUB_R_TOKEN_STORE : why;
	grant = hub_tokens_grant(ctx->tokens, p, hub_guard_token(ctx->guard, ed->client), why,
				 ed->payload, ed->payloadlen, now, &len, &g);
	if (grant == NULL)
		return MOSQ_ERR_NOMEM;
	log_grant(ed->client, p->username, &g,
		  hub_throttle_explain(ctx->throttle, g.why, text, sizeof(text)));
	hub_publish_reply(ctx, ed->client, p->username, "token", grant, len);
	return MOSQ_ERR_SUCCESS;
}

/* $CONTROL/np/v1/admin: an np-admin command for an admin (remote.c). */
static int
on_admin_request(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_control *ed = event_data;
	struct hub_ctx *ctx = userdata;
	const struct hub_principal *p;
	enum hub_refusal why;
	char summary[400], text[200];
	uint8_t *reply;
	size_t len;
	int status;
	int64_t now;

	(void)event;
	p = hub_control_begin(ctx, ed, HUB_ADMIN_MAX_REQUEST, HUB_RATE_REQUEST, &why, &now);
	if (p == NULL)
		return MOSQ_ERR_ACL_DENIED;
	if (why != HUB_OK && !hub_throttle_reply(ctx->throttle, p->username, now)) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE,
				     "np: refused admin request by '%.64s' (client '%.64s'): %s",
				     p->username, mosquitto_client_id(ed->client),
				     hub_throttle_explain(ctx->throttle, why, text, sizeof(text)));
		return MOSQ_ERR_SUCCESS;
	}
	if (why == HUB_OK && hub_history_commit(ctx->history) != 0)  /* its batch before ours */
		why = HUB_R_ADMIN_STORE;
	hub_throttle_explain(ctx->throttle, why, text, sizeof(text));
	reply = hub_remote_admin(ctx->store, p, mosquitto_client_address(ed->client), why, text,
				 ed->payload, ed->payloadlen, now, &len, &status, summary,
				 sizeof(summary));
	if (reply == NULL)
		return MOSQ_ERR_NOMEM;
	mosquitto_log_printf(status == 0 ? MOSQ_LOG_INFO : MOSQ_LOG_NOTICE,
			     "np: admin request by '%.64s' (client '%.64s'): %s%s", p->username,
			     mosquitto_client_id(ed->client), summary,
			     status == 0 ? " (done)" : " (refused)");
	hub_publish_reply(ctx, ed->client, p->username, "admin", reply, len);
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
	if (hub_history_expire(ctx->history, before, EXPIRE_BATCH, hub_msg_peek_id, &removed) != 0)
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
	int64_t now = hub_now_ms();

	(void)event;
	(void)event_data;
	if (hub_history_commit_due(ctx->history, now) != 0)
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: %s", hub_history_error(ctx->history));
	hub_live_tick(ctx);
	hub_throttle_tick(ctx->throttle, now);
	hub_guard_tick(ctx->guard, now);
	hub_history_tick(ctx->history, now);
	expire(ctx, now);
	if (now >= ctx->next_token_look_ms) {
		ctx->next_token_look_ms = now + 100;
		cut_tokens(ctx, now);
	}
	hub_guard_kick_cut(ctx->guard, kick, ctx, 1000);
	if (hub_history_commit(ctx->history) == 0 && hub_tokens_tick(ctx->tokens, now) != 0)
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: tokens' last use: %s",
				     hub_store_error(ctx->store));
	return MOSQ_ERR_SUCCESS;
}

/* ---- entry points ---- */

/* The case index, built from the history first when the database has none. */
static int
open_cases(struct hub_ctx *ctx, char *err, size_t errlen)
{
	size_t built = 0;

	if (hub_cases_open(&ctx->cases, ctx->store, ctx->history, &built, err, errlen) != 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: plugin_opt_db_path '%s': cases: %s",
				     ctx->opts.db_path, err);
		return -1;
	}
	if (built > 0)
		mosquitto_log_printf(MOSQ_LOG_INFO, "np: made the case index from the history: "
				     "%zu cases", built);
	return 0;
}

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
	hub_guard_free(ctx->guard);
	hub_seal_free(ctx->seal);
	if (ctx->history != NULL)
		hub_history_commit(ctx->history);       /* hub_tokens_free writes */
	hub_tokens_free(ctx->tokens);
	if (ctx->history != NULL && ctx->receipts != NULL)
		hub_reach_unhook(ctx->history, ctx->receipts);
	hub_receipts_close(ctx->receipts);
	hub_cases_close(ctx->cases);
	free(ctx->last_cleared);
	hub_history_close(ctx->history);
	hub_store_close(ctx->store);
	free(ctx);
}

/* Every event the plugin takes; a $CONTROL request's data is its topic. */
static const struct {
	int event;
	MOSQ_FUNC_generic_callback cb;
	const char *data;
} callbacks[] = {
	{ MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL },
	{ MOSQ_EVT_ACL_CHECK, on_acl_check, NULL },
	{ MOSQ_EVT_MESSAGE, on_message, NULL },
	{ MOSQ_EVT_TICK, on_tick, NULL },
	{ MOSQ_EVT_DISCONNECT, on_disconnect, NULL },
	{ MOSQ_EVT_CONTROL, on_control, HISTORY_TOPIC },
	{ MOSQ_EVT_CONTROL, on_token_request, HUB_TOPIC_TOKEN_REQUEST },
	{ MOSQ_EVT_CONTROL, on_admin_request, HUB_TOPIC_ADMIN_REQUEST },
	{ MOSQ_EVT_CONTROL, hub_reach_on_receipt, HUB_TOPIC_RECEIPT },
	{ MOSQ_EVT_CONTROL, hub_reach_on_request, HUB_TOPIC_REACH_REQUEST },
	{ MOSQ_EVT_CONTROL, hub_case_on_request, HUB_TOPIC_CASES_REQUEST },
	{ MOSQ_EVT_CONTROL, hub_case_on_stats, HUB_TOPIC_CASE_STATS_REQUEST },
};

static int
register_all(struct hub_ctx *ctx)
{
	int rc = MOSQ_ERR_SUCCESS;
	size_t i;

	for (i = 0; i < sizeof(callbacks) / sizeof(callbacks[0]) && rc == MOSQ_ERR_SUCCESS; i++)
		rc = mosquitto_callback_register(ctx->pid, callbacks[i].event, callbacks[i].cb,
						 callbacks[i].data, ctx);
	return rc;
}

static void
unregister_all(struct hub_ctx *ctx)
{
	size_t i;

	for (i = 0; i < sizeof(callbacks) / sizeof(callbacks[0]); i++)
		mosquitto_callback_unregister(ctx->pid, callbacks[i].event, callbacks[i].cb,
					      callbacks[i].data);
}

int
mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **user_data,
		      struct mosquitto_opt *opts, int opt_count)
{
	struct hub_ctx *ctx;
	uint8_t key[HUB_SEAL_KEY_LEN];
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
	if (open_cases(ctx, err, sizeof(err)) != 0) {
		rc = MOSQ_ERR_INVAL;
		goto fail;
	}
	if (hub_receipts_open(&ctx->receipts, ctx->store, err, sizeof(err)) != 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: plugin_opt_db_path '%s': receipts: %s",
				     ctx->opts.db_path, err);
		rc = MOSQ_ERR_INVAL;
		goto fail;
	}
	if (hub_reach_hook(ctx->history, ctx->receipts) != 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: receipts: %s",
				     hub_history_error(ctx->history));
		rc = MOSQ_ERR_INVAL;
		goto fail;
	}
	if (hub_store_secret(ctx->store, "seal_key", key, sizeof(key)) != 0) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "np: plugin_opt_db_path '%s': %s",
				     ctx->opts.db_path, hub_store_error(ctx->store));
		rc = MOSQ_ERR_INVAL;
		goto fail;
	}
	rc = hub_seal_new(&ctx->seal, key);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != 0 || hub_auth_new(&ctx->auth, ctx->store) != 0
	    || hub_throttle_new(&ctx->throttle, &ctx->opts.throttle) != 0
	    || hub_guard_new(&ctx->guard, (unsigned)ctx->opts.max_connections_per_user) != 0
	    || hub_tokens_new(&ctx->tokens, ctx->store, (unsigned)ctx->opts.token_days) != 0) {
		rc = MOSQ_ERR_NOMEM;
		goto fail;
	}
	ctx->dir.place_exists = dir_place_exists;
	ctx->dir.official_exists = dir_official_exists;
	ctx->dir.ctx = ctx;
	rc = register_all(ctx);
	if (rc != MOSQ_ERR_SUCCESS)
		goto fail;
	warn_rate_bytes(&ctx->opts);
	mosquitto_log_printf(MOSQ_LOG_INFO, "np: hub ready, database %s, max payload %zu bytes "
			     "and a photo of up to %zu bytes, history sync %s%d%s, history kept "
			     "%zu days (0: for ever)", ctx->opts.db_path, ctx->opts.max_payload,
			     ctx->opts.max_photo,
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
