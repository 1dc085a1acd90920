/* client.c - the np_client: connection and reconnection, typed publishing
 * with per-message outcomes, feeds and history paging, on libmosquitto (MQTT 5,
 * driven by this file's own loop: no threads) and the outbox of outbox.c. */
#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "np_int.h"

#define REASON_WAIT_MS 2000     /* how long a refusal waits for the hub's reason */
#define CONNECT_WAIT_MS 10000
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 60000
#define MAX_REASONS 64
#define HISTORY_PAGE 500
#define RECENT_IDS 256          /* ids already given to the feeds */

enum pstate { P_TO_SEND, P_SENT, P_REFUSED };

struct pending {
	uint8_t id[NP_ID_LEN];
	char *topic;
	uint8_t *payload;
	size_t len;
	int mid;
	enum pstate state;
	int64_t refused_at;
	int reason_code;
	struct pending *next;
};

struct feed {
	char *filter;
	np_msg_fn fn;
	void *ctx;
	struct feed *next;
};

struct reason {
	uint8_t id[NP_ID_LEN];
	char *text;
	struct reason *next;
};

struct np_client {
	char *host, *username, *password, *client_id, *cafile;
	int port, keepalive;
	struct mosquitto *mosq;
	bool connecting, connected, lost, auth_failed;
	int connack;
	int attempt;
	int64_t next_attempt, connect_started;
	struct pending *pending;
	size_t npending;
	struct feed *feeds;
	struct reason *reasons;
	size_t nreasons;
	struct np__outbox *outbox;
	struct np__idgen ids;
	np_outcome_fn outcome;
	void *outcome_ctx;
	char reply_filter[96], error_topic[96], history_topic[96];
	int sub_mid, sub_rc;
	char *want_corr;
	struct np__page page;
	bool page_ready;
	unsigned corr_counter;
	uint8_t recent[RECENT_IDS][NP_ID_LEN];
	size_t nrecent;
	bool tls_failed;
	char err[512];
};

static const char *const err_text[] = {
	[NP_OK] = "success",
	[NP_ERR_NOMEM] = "out of memory",
	[NP_ERR_INVAL] = "invalid argument",
	[NP_ERR_UNREACHABLE] = "the hub cannot be reached",
	[NP_ERR_AUTH] = "the hub refused the username or password",
	[NP_ERR_REFUSED] = "the hub refused the message",
	[NP_ERR_TIMEOUT] = "no answer from the hub in time",
	[NP_ERR_OUTBOX] = "the outbox cannot keep the message",
	[NP_ERR_NOT_CONNECTED] = "not connected to the hub (and no outbox)",
	[NP_ERR_PROTOCOL] = "the hub sent something unreadable",
	[NP_ERR_TLS] = "TLS set-up failed",
	[NP_ERR_HISTORY] = "the hub refused the history query",
};

const char *
np_strerror(int err)
{
	if (err < 0 || err > NP_ERR_HISTORY)
		return "unknown error";
	return err_text[err];
}

const char *
np_client_last_error(const struct np_client *c)
{
	return c->err;
}

static int
set_err(struct np_client *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
set_err(struct np_client *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return rc;
}

void
np_lib_init(void)
{
	mosquitto_lib_init();
}

void
np_lib_cleanup(void)
{
	mosquitto_lib_cleanup();
}

void
np_options_init(struct np_options *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->keepalive = 60;
	o->outbox_max = 10000;
}

/* ---- pending messages ---- */

static void
pending_free(struct pending *p)
{
	free(p->topic);
	free(p->payload);
	free(p);
}

static struct pending *
pending_add(struct np_client *c, const uint8_t id[NP_ID_LEN], const char *topic,
	    const uint8_t *payload, size_t len)
{
	struct pending *p = calloc(1, sizeof(*p)), **tail;

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
	for (tail = &c->pending; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = p;
	c->npending++;
	return p;
}

static void
finish(struct np_client *c, struct pending *p, enum np_outcome o, const char *reason)
{
	struct pending **pp;

	for (pp = &c->pending; *pp != NULL && *pp != p; pp = &(*pp)->next)
		;
	if (*pp == NULL)
		return;
	*pp = p->next;
	c->npending--;
	if (c->outbox != NULL)
		np__outbox_remove(c->outbox, p->id);
	if (o == NP_REFUSED)
		set_err(c, 0, "%s", reason);
	if (c->outcome != NULL)
		c->outcome(c->outcome_ctx, p->id, o, reason);
	pending_free(p);
}

static void
send_pending(struct np_client *c, struct pending *p)
{
	int rc;

	rc = mosquitto_publish_v5(c->mosq, &p->mid, p->topic, (int)p->len, p->payload, 1, false,
				  NULL);
	p->state = rc == MOSQ_ERR_SUCCESS ? P_SENT : P_TO_SEND;
}

/* ---- libmosquitto callbacks (inside mosquitto_loop) ---- */

static void
subscribe_all(struct np_client *c)
{
	struct feed *f;

	mosquitto_subscribe_v5(c->mosq, NULL, c->reply_filter, 1, 0, NULL);
	for (f = c->feeds; f != NULL; f = f->next)
		mosquitto_subscribe_v5(c->mosq, NULL, f->filter, 1, 0, NULL);
}

static void
on_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *props)
{
	struct np_client *c = obj;
	struct pending *p;

	(void)m;
	(void)flags;
	(void)props;
	c->connack = rc;
	c->connecting = false;
	if (rc != 0) {
		c->lost = true;
		if (rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD || rc == MQTT_RC_NOT_AUTHORIZED
		    || rc == CONNACK_REFUSED_BAD_USERNAME_PASSWORD || rc == CONNACK_REFUSED_NOT_AUTHORIZED)
			c->auth_failed = true;
		set_err(c, 0, "the hub at %s:%d refused the login of '%s' (%s)", c->host, c->port,
			c->username ? c->username : "", mosquitto_reason_string(rc));
		return;
	}
	c->connected = true;
	c->attempt = 0;
	subscribe_all(c);
	for (p = c->pending; p != NULL; p = p->next) {
		if (p->state == P_TO_SEND)
			send_pending(c, p);
	}
}

static void
on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *props)
{
	(void)m;
	(void)rc;
	(void)props;
	((struct np_client *)obj)->lost = true;
}

static const char *
take_reason(struct np_client *c, const uint8_t id[NP_ID_LEN])
{
	struct reason *r;

	for (r = c->reasons; r != NULL; r = r->next) {
		if (memcmp(r->id, id, NP_ID_LEN) == 0)
			return r->text;
	}
	return NULL;
}

static void
on_publish(struct mosquitto *m, void *obj, int mid, int rc, const mosquitto_property *props)
{
	struct np_client *c = obj;
	struct pending *p;
	const char *why;

	(void)m;
	(void)props;
	for (p = c->pending; p != NULL && !(p->state == P_SENT && p->mid == mid); p = p->next)
		;
	if (p == NULL)
		return;
	if (rc < 0x80) {
		finish(c, p, NP_ACCEPTED, NULL);
		return;
	}
	why = take_reason(c, p->id);
	if (why != NULL) {
		finish(c, p, NP_REFUSED, why);
		return;
	}
	p->state = P_REFUSED;           /* the hub's reason follows on the error topic */
	p->refused_at = np__mono_ms();
	p->reason_code = rc;
}

static void
on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
	     const mosquitto_property *props)
{
	struct np_client *c = obj;

	(void)m;
	(void)props;
	if (mid == c->sub_mid && n > 0)
		c->sub_rc = granted[0];
}

static void
remember_reason(struct np_client *c, const uint8_t id[NP_ID_LEN], char *text)
{
	struct reason *r = calloc(1, sizeof(*r)), **pp;

	if (r == NULL) {
		free(text);
		return;
	}
	memcpy(r->id, id, NP_ID_LEN);
	r->text = text;
	r->next = c->reasons;
	c->reasons = r;
	if (++c->nreasons > MAX_REASONS) {       /* forget the oldest */
		for (pp = &c->reasons; (*pp)->next != NULL; pp = &(*pp)->next)
			;
		free((*pp)->text);
		free(*pp);
		*pp = NULL;
		c->nreasons--;
	}
}

static void
got_refusal(struct np_client *c, const struct mosquitto_message *msg)
{
	uint8_t id[NP_ID_LEN];
	struct pending *p;
	char *text;
	bool has_id;

	if (np__decode_refusal(msg->payload, (size_t)msg->payloadlen, id, &has_id, &text) != NP_OK)
		return;
	if (!has_id) {
		set_err(c, 0, "%s", text);
		free(text);
		return;
	}
	for (p = c->pending; p != NULL && memcmp(p->id, id, NP_ID_LEN) != 0; p = p->next)
		;
	if (p != NULL && p->state == P_REFUSED) {
		finish(c, p, NP_REFUSED, text);
		free(text);
		return;
	}
	remember_reason(c, id, text);   /* the PUBACK is still on its way */
}

static void
got_page(struct np_client *c, const struct mosquitto_message *msg)
{
	struct np__page page;

	if (c->want_corr == NULL || c->page_ready
	    || np__decode_page(msg->payload, (size_t)msg->payloadlen, &page) != NP_OK)
		return;
	if (strcmp(page.corr, c->want_corr) != 0) {
		np__page_free(&page);   /* another query of the same user */
		return;
	}
	c->page = page;
	c->page_ready = true;
}

/* The broker sends one copy per matching subscription: a message goes to the
 * feeds once. Remembers the last RECENT_IDS ids. */
static bool
seen_before(struct np_client *c, const uint8_t id[NP_ID_LEN])
{
	size_t i, n = c->nrecent < RECENT_IDS ? c->nrecent : RECENT_IDS;

	for (i = 0; i < n; i++) {
		if (memcmp(c->recent[i], id, NP_ID_LEN) == 0)
			return true;
	}
	memcpy(c->recent[c->nrecent % RECENT_IDS], id, NP_ID_LEN);
	c->nrecent++;
	return false;
}

static void
dispatch(struct np_client *c, const char *topic, const void *payload, size_t len)
{
	struct np__decoded d;
	struct feed *f;
	bool match;

	if (np__decode(topic, payload, len, &d) != NP_OK)
		return;
	if (seen_before(c, d.m.id)) {
		np__decoded_free(&d);
		return;
	}
	for (f = c->feeds; f != NULL; f = f->next) {
		if (mosquitto_topic_matches_sub(f->filter, topic, &match) == MOSQ_ERR_SUCCESS && match)
			f->fn(f->ctx, &d.m);
	}
	np__decoded_free(&d);
}

static void
on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
	   const mosquitto_property *props)
{
	struct np_client *c = obj;

	(void)m;
	(void)props;
	if (strcmp(msg->topic, c->error_topic) == 0)
		got_refusal(c, msg);
	else if (strcmp(msg->topic, c->history_topic) == 0)
		got_page(c, msg);
	else
		dispatch(c, msg->topic, msg->payload, (size_t)msg->payloadlen);
}

/* ---- connection ---- */

static void
drop_connection(struct np_client *c)
{
	struct pending *p;
	int64_t delay;

	if (c->mosq != NULL) {
		mosquitto_disconnect(c->mosq);
		mosquitto_destroy(c->mosq);
		c->mosq = NULL;
	}
	c->connected = c->connecting = c->lost = false;
	for (p = c->pending; p != NULL; p = p->next) {
		if (p->state == P_SENT)
			p->state = P_TO_SEND;   /* resent after the next connect */
	}
	delay = BACKOFF_MIN_MS << (c->attempt < 7 ? c->attempt : 7);
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	delay = delay / 2 + (int64_t)(np__random() % (uint32_t)(delay / 2 + 1)); /* jitter */
	c->attempt++;
	c->next_attempt = np__mono_ms() + delay;
}

static int
new_mosq(struct np_client *c)
{
	c->mosq = mosquitto_new(c->client_id, true, c);
	if (c->mosq == NULL)
		return set_err(c, NP_ERR_NOMEM, "out of memory");
	mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_connect_v5_callback_set(c->mosq, on_connect);
	mosquitto_disconnect_v5_callback_set(c->mosq, on_disconnect);
	mosquitto_publish_v5_callback_set(c->mosq, on_publish);
	mosquitto_subscribe_v5_callback_set(c->mosq, on_subscribe);
	mosquitto_message_v5_callback_set(c->mosq, on_message);
	if (c->username != NULL && mosquitto_username_pw_set(c->mosq, c->username, c->password)
	    != MOSQ_ERR_SUCCESS)
		return set_err(c, NP_ERR_INVAL, "bad username or password");
	if (c->cafile != NULL && mosquitto_tls_set(c->mosq, c->cafile, NULL, NULL, NULL, NULL)
	    != MOSQ_ERR_SUCCESS)
		return set_err(c, NP_ERR_TLS, "cannot use CA file %s", c->cafile);
	return NP_OK;
}

static int
start_connect(struct np_client *c)
{
	int rc;

	if (c->mosq == NULL && (rc = new_mosq(c)) != NP_OK) {
		if (c->mosq != NULL) {
			mosquitto_destroy(c->mosq);
			c->mosq = NULL;
		}
		return rc;
	}
	c->connack = -1;
	c->tls_failed = false;
	c->connect_started = np__mono_ms();
	rc = mosquitto_connect_bind_async(c->mosq, c->host, c->port, c->keepalive, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		set_err(c, 0, "cannot reach the hub at %s:%d: %s", c->host, c->port,
			rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		drop_connection(c);
		return NP_ERR_UNREACHABLE;
	}
	c->connecting = true;
	return NP_OK;
}

static void
check_refusals(struct np_client *c)
{
	struct pending *p, *next;
	char why[96];

	for (p = c->pending; p != NULL; p = next) {
		next = p->next;
		if (p->state == P_REFUSED && np__mono_ms() - p->refused_at > REASON_WAIT_MS) {
			snprintf(why, sizeof(why), "refused by the hub (MQTT reason 0x%02x: %s)",
				 p->reason_code, mosquitto_reason_string(p->reason_code));
			finish(c, p, NP_REFUSED, why);
		}
	}
}

/* One turn of the loop: at most slice_ms of waiting. */
static void
pump(struct np_client *c, int slice_ms)
{
	int64_t now = np__mono_ms();
	int rc;

	if (c->mosq == NULL || (!c->connected && !c->connecting)) {
		if (!c->auth_failed && now >= c->next_attempt)
			start_connect(c);
		else
			usleep((useconds_t)slice_ms * 1000);
	}
	if (c->mosq != NULL && (c->connected || c->connecting)) {
		rc = mosquitto_loop(c->mosq, slice_ms, 1);
		if (rc != MOSQ_ERR_SUCCESS && !c->lost) {
			set_err(c, 0, "lost the hub at %s:%d: %s", c->host, c->port,
				rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
			c->lost = true;
			c->tls_failed = rc == MOSQ_ERR_TLS && c->connecting;
		}
		if (c->connecting && now - c->connect_started > CONNECT_WAIT_MS) {
			set_err(c, 0, "no answer from the hub at %s:%d", c->host, c->port);
			c->lost = true;
		}
		if (c->lost)
			drop_connection(c);
	}
	check_refusals(c);
}

int
np_client_run(struct np_client *c, int timeout_ms)
{
	int64_t deadline = np__mono_ms() + timeout_ms;
	int64_t left;

	do {
		left = deadline - np__mono_ms();
		pump(c, left > 100 ? 100 : (left > 0 ? (int)left : 0));
	} while (np__mono_ms() < deadline);
	return c->auth_failed ? NP_ERR_AUTH : NP_OK;
}

int
np_client_connect(struct np_client *c, int timeout_ms)
{
	int64_t deadline = np__mono_ms() + timeout_ms;
	int rc;

	if (c->connected)
		return NP_OK;
	if (!c->connecting) {
		rc = start_connect(c);
		if (rc != NP_OK)
			return rc;
	}
	while (!c->connected && c->connecting && np__mono_ms() < deadline)
		pump(c, 50);
	if (c->connected)
		return NP_OK;
	if (c->auth_failed)
		return NP_ERR_AUTH;
	if (c->tls_failed)
		return NP_ERR_TLS;
	if (c->connecting)
		return set_err(c, NP_ERR_TIMEOUT, "no answer from the hub at %s:%d", c->host,
			       c->port);
	return NP_ERR_UNREACHABLE;
}

bool
np_client_connected(const struct np_client *c)
{
	return c->connected;
}

/* ---- life cycle ---- */

static char *
dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*oom = true;
	return d;
}

static int
load_outbox(void *ctx, const uint8_t id[NP_ID_LEN], const char *topic, const uint8_t *payload,
	    size_t len)
{
	return pending_add(ctx, id, topic, payload, len) ? 0 : -1;
}

int
np_client_new(struct np_client **out, const struct np_options *o)
{
	struct np_client *c;
	char idbuf[128];
	bool oom = false;
	int rc;

	*out = NULL;
	if (o == NULL || o->host == NULL || o->port < 0 || o->port > 65535)
		return NP_ERR_INVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NP_ERR_NOMEM;
	snprintf(idbuf, sizeof(idbuf), "np-%.40s-%d-%04x", o->username ? o->username : "anon",
		 (int)getpid(), (unsigned)(np__random() & 0xffff));
	c->host = dup_or_null(o->host, &oom);
	c->username = dup_or_null(o->username, &oom);
	c->password = dup_or_null(o->password, &oom);
	c->cafile = dup_or_null(o->cafile, &oom);
	c->client_id = dup_or_null(o->client_id ? o->client_id : idbuf, &oom);
	c->port = o->port ? o->port : (o->cafile ? 8883 : 1883);
	c->keepalive = o->keepalive > 0 ? o->keepalive : 60;
	snprintf(c->reply_filter, sizeof(c->reply_filter), "np/reply/%.64s/#",
		 o->username ? o->username : "");
	snprintf(c->error_topic, sizeof(c->error_topic), "np/reply/%.64s/error",
		 o->username ? o->username : "");
	snprintf(c->history_topic, sizeof(c->history_topic), "np/reply/%.64s/history",
		 o->username ? o->username : "");
	*out = c;
	if (oom)
		return NP_ERR_NOMEM;
	if (o->outbox_dir != NULL) {
		rc = np__outbox_open(&c->outbox, o->outbox_dir, o->username,
				     o->outbox_max ? o->outbox_max : 10000, c->err, sizeof(c->err));
		if (rc == NP_OK)
			rc = np__outbox_each(c->outbox, load_outbox, c);
		if (rc != NP_OK)
			return rc;
	}
	return NP_OK;
}

void
np_client_free(struct np_client *c)
{
	struct pending *p;
	struct feed *f;
	struct reason *r;

	if (c == NULL)
		return;
	if (c->mosq != NULL) {
		if (c->connected) {
			mosquitto_disconnect(c->mosq);
			mosquitto_loop(c->mosq, 10, 1);
		}
		mosquitto_destroy(c->mosq);
	}
	while ((p = c->pending) != NULL) {
		c->pending = p->next;
		pending_free(p);        /* what is in the outbox stays there */
	}
	while ((f = c->feeds) != NULL) {
		c->feeds = f->next;
		free(f->filter);
		free(f);
	}
	while ((r = c->reasons) != NULL) {
		c->reasons = r->next;
		free(r->text);
		free(r);
	}
	np__outbox_close(c->outbox);
	np__page_free(&c->page);
	free(c->want_corr);
	free(c->host);
	free(c->username);
	if (c->password != NULL)
		memset(c->password, 0, strlen(c->password));
	free(c->password);
	free(c->cafile);
	free(c->client_id);
	free(c);
}

void
np_client_on_outcome(struct np_client *c, np_outcome_fn fn, void *ctx)
{
	c->outcome = fn;
	c->outcome_ctx = ctx;
}

size_t
np_client_pending(const struct np_client *c)
{
	return c->npending;
}

int
np_client_flush(struct np_client *c, int timeout_ms)
{
	int64_t deadline = np__mono_ms() + timeout_ms;

	while (c->npending > 0 && np__mono_ms() < deadline && !c->auth_failed)
		pump(c, 50);
	if (c->npending == 0)
		return NP_OK;
	if (c->auth_failed)
		return NP_ERR_AUTH;
	return c->connected ? NP_ERR_TIMEOUT : NP_ERR_UNREACHABLE;
}

/* ---- publishing ---- */

static int
publish(struct np_client *c, const char *topic, const struct np__body *b, uint8_t *id_out)
{
	uint8_t id[NP_ID_LEN], *buf = NULL;
	struct pending *p;
	size_t len;
	int rc;

	if (!c->connected && c->outbox == NULL)
		return set_err(c, NP_ERR_NOT_CONNECTED, "not connected to the hub at %s:%d",
			       c->host, c->port);
	np__id_new(&c->ids, id);
	rc = np__encode(id, np__now_ms(), b, &buf, &len);
	if (rc != NP_OK)
		return set_err(c, rc, "cannot encode the message");
	if (c->outbox != NULL) {
		rc = np__outbox_put(c->outbox, id, topic, buf, len, c->err, sizeof(c->err));
		if (rc != NP_OK) {
			free(buf);
			return rc;
		}
	}
	p = pending_add(c, id, topic, buf, len);
	free(buf);
	if (p == NULL) {
		if (c->outbox != NULL)
			np__outbox_remove(c->outbox, id);
		return set_err(c, NP_ERR_NOMEM, "out of memory");
	}
	if (id_out != NULL)
		memcpy(id_out, id, NP_ID_LEN);
	if (c->connected)
		send_pending(c, p);
	else if (c->outcome != NULL)
		c->outcome(c->outcome_ctx, id, NP_QUEUED, "the hub cannot be reached now");
	return NP_OK;
}

static bool
plain_level(const char *s)
{
	return s != NULL && s[0] != '\0' && strpbrk(s, "/+#") == NULL && strlen(s) <= 64;
}

/* np/<kind>/<P>/<D>/<V>[/<last>] for an 8-digit village code. */
static int
village_topic(struct np_client *c, char *out, size_t len, const char *kind, const char *village,
	      const char *last)
{
	size_t i;

	if (village == NULL || strlen(village) != 8)
		return set_err(c, NP_ERR_INVAL, "the village must be an 8-digit code");
	for (i = 0; i < 8; i++) {
		if (village[i] < '0' || village[i] > '9')
			return set_err(c, NP_ERR_INVAL, "the village must be an 8-digit code");
	}
	if (last != NULL && !plain_level(last))
		return set_err(c, NP_ERR_INVAL, "bad kind '%s'", last);
	snprintf(out, len, "np/%s/%.2s/%.4s/%s%s%s", kind, village, village, village,
		 last ? "/" : "", last ? last : "");
	return NP_OK;
}

int
np_report(struct np_client *c, const char *village, const char *kind, const char *title,
	  const char *detail, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_REPORT, .a = title, .b = detail };
	char topic[128];
	int rc = village_topic(c, topic, sizeof(topic), "rep", village, kind ? kind : "");

	return rc != NP_OK ? rc : publish(c, topic, &b, id_out);
}

int
np_announce(struct np_client *c, const char *area, const char *category, const char *title,
	    const char *body, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_ANNOUNCEMENT, .a = title, .b = body };
	char topic[160];

	if (!plain_level(area) || !plain_level(category))
		return set_err(c, NP_ERR_INVAL, "bad area or category");
	snprintf(topic, sizeof(topic), "np/ann/%s/%s", area, category);
	return publish(c, topic, &b, id_out);
}

int
np_ack(struct np_client *c, const char *village, const uint8_t report_id[NP_ID_LEN],
       enum np_ack_state state, const char *note, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_ACK, .a = note, .report_id = report_id,
			      .state = state };
	char topic[128];
	int rc = village_topic(c, topic, sizeof(topic), "rep", village, "ack");

	if (report_id == NULL)
		return set_err(c, NP_ERR_INVAL, "no report id");
	return rc != NP_OK ? rc : publish(c, topic, &b, id_out);
}

int
np_dm(struct np_client *c, const char *address, const char *text, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_DM, .a = text };
	char topic[96];

	if (!plain_level(address))
		return set_err(c, NP_ERR_INVAL, "bad address (a village code or a username)");
	snprintf(topic, sizeof(topic), "np/dm/%s", address);
	return publish(c, topic, &b, id_out);
}

int
np_status(struct np_client *c, const char *village, bool online, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_STATUS, .online = online };
	char topic[128];
	int rc = village_topic(c, topic, sizeof(topic), "status", village, NULL);

	return rc != NP_OK ? rc : publish(c, topic, &b, id_out);
}

int
np_show(struct np_client *c, const char *village, const char *kind, const char *title,
	const char *description, uint8_t id_out[NP_ID_LEN])
{
	struct np__body b = { .kind = NP_BODY_SHOWCASE, .a = title, .b = description };
	char topic[128];
	int rc = village_topic(c, topic, sizeof(topic), "show", village, kind ? kind : "");

	return rc != NP_OK ? rc : publish(c, topic, &b, id_out);
}

/* ---- feeds ---- */

int
np_follow(struct np_client *c, const char *filter, np_msg_fn fn, void *ctx)
{
	struct feed *f, **pp;
	int64_t deadline;

	if (filter == NULL || fn == NULL || mosquitto_sub_topic_check(filter) != MOSQ_ERR_SUCCESS)
		return set_err(c, NP_ERR_INVAL, "bad filter '%s'", filter ? filter : "");
	f = calloc(1, sizeof(*f));
	if (f == NULL || (f->filter = strdup(filter)) == NULL) {
		free(f);
		return set_err(c, NP_ERR_NOMEM, "out of memory");
	}
	f->fn = fn;
	f->ctx = ctx;
	f->next = c->feeds;
	c->feeds = f;
	if (!c->connected)
		return NP_OK;   /* subscribed at connect */
	c->sub_rc = -1;
	if (mosquitto_subscribe_v5(c->mosq, &c->sub_mid, filter, 1, 0, NULL) != MOSQ_ERR_SUCCESS)
		return set_err(c, NP_ERR_NOT_CONNECTED, "cannot subscribe now");
	deadline = np__mono_ms() + 5000;
	while (c->sub_rc < 0 && c->connected && np__mono_ms() < deadline)
		pump(c, 50);
	if (c->sub_rc >= 0 && c->sub_rc < 0x80)
		return NP_OK;
	for (pp = &c->feeds; *pp != f; pp = &(*pp)->next)
		;
	*pp = f->next;
	free(f->filter);
	free(f);
	if (c->sub_rc < 0)
		return set_err(c, NP_ERR_TIMEOUT, "no answer to the subscription to '%s'", filter);
	return set_err(c, NP_ERR_REFUSED, "the hub refused the subscription to '%s' (not "
		       "readable by this user)", filter);
}

/* ---- history ---- */

static int
ask_page(struct np_client *c, const struct np_history_query *q, const uint8_t *cursor,
	 size_t cursor_len, uint32_t limit, int timeout_ms)
{
	char corr[48];
	uint8_t *buf;
	size_t len;
	int64_t deadline = np__mono_ms() + timeout_ms;
	int rc;

	snprintf(corr, sizeof(corr), "h%u-%08x", ++c->corr_counter, (unsigned)np__random());
	free(c->want_corr);
	c->want_corr = strdup(corr);
	np__page_free(&c->page);
	c->page_ready = false;
	if (c->want_corr == NULL)
		return NP_ERR_NOMEM;
	rc = np__encode_history_request(q->filter, q->since_ms, q->until_ms, limit, cursor,
					cursor_len, corr, &buf, &len);
	if (rc != NP_OK)
		return rc;
	rc = mosquitto_publish_v5(c->mosq, NULL, "$CONTROL/np/v1/history", (int)len, buf, 1, false,
				  NULL);
	free(buf);
	if (rc != MOSQ_ERR_SUCCESS)
		return set_err(c, NP_ERR_NOT_CONNECTED, "cannot send the history query");
	while (!c->page_ready && c->connected && np__mono_ms() < deadline)
		pump(c, 50);
	if (c->page_ready)
		return NP_OK;
	return set_err(c, c->connected ? NP_ERR_TIMEOUT : NP_ERR_UNREACHABLE,
		       "no history page from the hub");
}

static int
deliver_page(struct np_client *c, np_msg_fn fn, void *ctx, size_t *count, size_t max)
{
	struct np__decoded d;
	const uint8_t *env;
	const char *topic;
	size_t i, n = np__page_items(&c->page), len;

	for (i = 0; i < n && (max == 0 || *count < max); i++) {
		np__page_item(&c->page, i, &topic, &env, &len);
		if (np__decode(topic, env, len, &d) != NP_OK)
			return set_err(c, NP_ERR_PROTOCOL, "unreadable message in a history page");
		fn(ctx, &d.m);
		np__decoded_free(&d);
		(*count)++;
	}
	return NP_OK;
}

int
np_history(struct np_client *c, const struct np_history_query *q, np_msg_fn fn, void *ctx,
	   int timeout_ms)
{
	uint8_t cursor[64];
	size_t cursor_len = 0, count = 0;
	uint32_t limit;
	int rc;

	if (q == NULL || q->filter == NULL || fn == NULL)
		return set_err(c, NP_ERR_INVAL, "no filter");
	if (!c->connected)
		return set_err(c, NP_ERR_NOT_CONNECTED, "not connected to the hub");
	do {
		limit = HISTORY_PAGE;
		if (q->max > 0 && q->max - count < limit)
			limit = (uint32_t)(q->max - count);
		rc = ask_page(c, q, cursor, cursor_len, limit, timeout_ms);
		if (rc == NP_OK && c->page.error != NULL)
			rc = set_err(c, NP_ERR_HISTORY, "%s", c->page.error);
		if (rc == NP_OK)
			rc = deliver_page(c, fn, ctx, &count, q->max);
		if (rc != NP_OK)
			break;
		cursor_len = c->page.cursor_len;
		memcpy(cursor, c->page.cursor, cursor_len);
	} while (cursor_len > 0 && (q->max == 0 || count < q->max));
	free(c->want_corr);
	c->want_corr = NULL;
	np__page_free(&c->page);
	c->page_ready = false;
	return rc;
}
