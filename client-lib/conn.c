/* conn.c - the connection to the hub on libmosquitto (MQTT 5, driven by this
 * file's loop: no threads): connecting, reconnecting with backoff, the pump
 * that every waiting call turns, and the descriptor + step API for apps with
 * their own event loop. What arrives is handed to pending.c (PUBACKs and
 * refusals), history.c (pages, a feed's catch-up pages on to feed.c), token.c
 * (token grants) and feed.c (messages, SUBACKs); token.c also says which password a login carries. */
#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <string.h>
#include <unistd.h>

#include "np_int.h"

#define CONNECT_WAIT_MS 10000   /* how long a connect may wait for the CONNACK */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 60000
#define BACKOFF_DOUBLINGS 7     /* 500 ms << 7 is past BACKOFF_MAX_MS */
#define STEP_MAX_MS 1000        /* np_client_next_ms at most (keepalive, timeouts) */

int64_t
np__backoff_delay(int attempt, uint32_t random)
{
	int64_t delay;

	delay = (int64_t)BACKOFF_MIN_MS << (attempt < BACKOFF_DOUBLINGS ? attempt
					    : BACKOFF_DOUBLINGS);
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	return delay / 2 + (int64_t)(random % (uint32_t)(delay / 2 + 1));     /* jitter */
}

static bool
is_auth_refusal(int rc)
{
	return rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD || rc == MQTT_RC_NOT_AUTHORIZED
	       || rc == CONNACK_REFUSED_BAD_USERNAME_PASSWORD
	       || rc == CONNACK_REFUSED_NOT_AUTHORIZED;
}

/* ---- libmosquitto callbacks (inside mosquitto_loop) ---- */

static void
on_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *props)
{
	struct np_client *c = obj;

	(void)m;
	(void)flags;
	(void)props;
	c->conn.connack = rc;
	c->conn.connecting = false;
	if (rc != 0) {
		c->conn.lost = true;
		np__set_err(c, 0, "the hub at %s:%lld refused the login of '%s'%s (%s)",
			    c->opt.host, c->opt.port, c->opt.username ? c->opt.username : "",
			    c->tok.using ? " with its saved token" : "", mosquitto_reason_string(rc));
		if (is_auth_refusal(rc)) {
			c->conn.fallback = np__token_refused(c);
			c->conn.auth_failed = !c->conn.fallback;
		}
		return;
	}
	c->conn.connected = true;
	c->conn.attempt = 0;
	mosquitto_subscribe_v5(c->conn.mosq, NULL, c->conn.reply_filter, 1, 0, NULL);
	np__token_on_connect(c);
	np__feeds_subscribe_all(c);
	np__out_resend(c);
}

static void
on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *props)
{
	(void)m;
	(void)rc;
	(void)props;
	((struct np_client *)obj)->conn.lost = true;
}

static void
on_publish(struct mosquitto *m, void *obj, int mid, int rc, const mosquitto_property *props)
{
	(void)m;
	(void)props;
	np__rcpt_on_puback(obj, mid);
	if (!((struct np_client *)obj)->rcpt.closing)
		np__out_on_puback(obj, mid, rc);
}

static void
on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
	     const mosquitto_property *props)
{
	(void)m;
	(void)props;
	np__feeds_on_suback(obj, mid, n, granted);
}

static void
on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
	   const mosquitto_property *props)
{
	struct np_client *c = obj;

	(void)m;
	(void)props;
	if (c->rcpt.closing)
		return;         /* np_client_free: no more app callbacks */
	if (!np__out_on_message(c, msg) && !np__hist_on_message(c, msg)
	    && !np__token_on_message(c, msg) && !np__rcpt_on_message(c, msg)
	    && !np__cases_on_message(c, msg))
		np__feeds_dispatch(c, msg->topic, msg->payload, (size_t)msg->payloadlen,
				   msg->retain);
}

/* ---- connecting ---- */

static void
drop_connection(struct np_client *c)
{
	if (c->conn.mosq != NULL) {
		mosquitto_disconnect(c->conn.mosq);
		mosquitto_destroy(c->conn.mosq);
		c->conn.mosq = NULL;
	}
	c->conn.connected = c->conn.connecting = c->conn.lost = false;
	np__out_requeue(c);
	np__rcpt_requeue(c);
	if (c->conn.fallback) {         /* the token was refused: the password now */
		c->conn.next_attempt = np__mono_ms();
		return;
	}
	c->conn.next_attempt = np__mono_ms() + np__backoff_delay(c->conn.attempt, np__random());
	c->conn.attempt++;
}

static int
new_mosq(struct np_client *c)
{
	struct mosquitto *mosq = mosquitto_new(c->opt.client_id, true, c);

	c->conn.mosq = mosq;
	if (mosq == NULL)
		return np__set_err(c, NP_ERR_NOMEM, "out of memory");
	mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_connect_v5_callback_set(mosq, on_connect);
	mosquitto_disconnect_v5_callback_set(mosq, on_disconnect);
	mosquitto_publish_v5_callback_set(mosq, on_publish);
	mosquitto_subscribe_v5_callback_set(mosq, on_subscribe);
	mosquitto_message_v5_callback_set(mosq, on_message);
	if (c->opt.username != NULL
	    && mosquitto_username_pw_set(mosq, c->opt.username, np__token_login_password(c))
	       != MOSQ_ERR_SUCCESS)
		return np__set_err(c, NP_ERR_INVAL, "bad username or password");
	if (c->opt.cafile != NULL
	    && mosquitto_tls_set(mosq, c->opt.cafile, NULL, NULL, NULL, NULL) != MOSQ_ERR_SUCCESS)
		return np__set_err(c, NP_ERR_TLS, "cannot use CA file %s", c->opt.cafile);
	return NP_OK;
}

static int
start_connect(struct np_client *c)
{
	int rc;

	if (c->conn.mosq == NULL && (rc = new_mosq(c)) != NP_OK) {
		if (c->conn.mosq != NULL) {
			mosquitto_destroy(c->conn.mosq);
			c->conn.mosq = NULL;
		}
		return rc;
	}
	c->conn.connack = -1;
	c->conn.tls_failed = c->conn.fallback = false;
	c->conn.connect_started = np__mono_ms();
	rc = mosquitto_connect_bind_async(c->conn.mosq, c->opt.host, (int)c->opt.port,
					  (int)c->opt.keepalive, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		/* on loopback the TLS handshake may fail inside the connect call itself */
		np__set_err(c, 0, "cannot reach the hub at %s:%lld: %s", c->opt.host, c->opt.port,
			    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		drop_connection(c);
		c->conn.tls_failed = rc == MOSQ_ERR_TLS;
		return rc == MOSQ_ERR_TLS ? NP_ERR_TLS : NP_ERR_UNREACHABLE;
	}
	c->conn.connecting = true;
	return NP_OK;
}

static bool
link_up(const struct np_client *c)
{
	return c->conn.mosq != NULL && (c->conn.connected || c->conn.connecting);
}

/* mosquitto_loop for at most slice_ms; notices a lost link or a late CONNACK. */
static void
loop_link(struct np_client *c, int slice_ms, int64_t now)
{
	int rc = mosquitto_loop(c->conn.mosq, slice_ms, 1);

	if (rc != MOSQ_ERR_SUCCESS && !c->conn.lost) {
		np__set_err(c, 0, "lost the hub at %s:%lld: %s", c->opt.host, c->opt.port,
			    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		c->conn.lost = true;
		c->conn.tls_failed = rc == MOSQ_ERR_TLS && c->conn.connecting;
	}
	if (c->conn.connecting && now - c->conn.connect_started > CONNECT_WAIT_MS) {
		np__set_err(c, 0, "no answer from the hub at %s:%lld", c->opt.host, c->opt.port);
		c->conn.lost = true;
	}
	if (c->conn.lost)
		drop_connection(c);
}

void
np__pump(struct np_client *c, int slice_ms)
{
	int64_t now = np__mono_ms();

	np__out_tick(c);
	if (!link_up(c)) {
		if (!c->conn.auth_failed && now >= c->conn.next_attempt)
			start_connect(c);
		else if (slice_ms > 0)
			usleep((useconds_t)slice_ms * 1000);
	}
	if (link_up(c))
		loop_link(c, slice_ms, now);
	np__out_tick(c);
	np__rcpt_tick(c);
	np__feeds_tick(c);
}

void
np__conn_close(struct np_client *c)
{
	if (c->conn.mosq == NULL)
		return;
	if (c->conn.connected) {
		mosquitto_disconnect(c->conn.mosq);
		mosquitto_loop(c->conn.mosq, 10, 1);
	}
	mosquitto_destroy(c->conn.mosq);
	c->conn.mosq = NULL;
}

/* ---- the blocking calls ---- */

int
np_client_run(struct np_client *c, int timeout_ms)
{
	int64_t deadline = np__mono_ms() + timeout_ms;
	int64_t left;

	do {
		left = deadline - np__mono_ms();
		np__pump(c, left > 100 ? 100 : (left > 0 ? (int)left : 0));
	} while (np__mono_ms() < deadline);
	return c->conn.auth_failed ? NP_ERR_AUTH : NP_OK;
}

int
np_client_connect(struct np_client *c, int timeout_ms)
{
	int64_t deadline = np__mono_ms() + timeout_ms;
	int rc;

	if (c->conn.connected)
		return NP_OK;
	if (!c->conn.connecting) {
		rc = start_connect(c);
		if (rc != NP_OK)
			return rc;
	}
	while (!c->conn.connected && (c->conn.connecting || c->conn.fallback)
	       && np__mono_ms() < deadline)
		np__pump(c, NP__SLICE_MS);
	if (c->conn.connected)
		return NP_OK;
	if (c->conn.auth_failed)
		return NP_ERR_AUTH;
	if (c->conn.tls_failed)
		return NP_ERR_TLS;
	if (c->conn.connecting)
		return np__set_err(c, NP_ERR_TIMEOUT, "no answer from the hub at %s:%lld",
				   c->opt.host, c->opt.port);
	return NP_ERR_UNREACHABLE;
}

bool
np_client_connected(const struct np_client *c)
{
	return c->conn.connected;
}

/* ---- descriptor + step, for an app's own event loop ---- */

int
np_client_fd(const struct np_client *c)
{
	return c->conn.mosq != NULL ? mosquitto_socket(c->conn.mosq) : -1;
}

bool
np_client_want_write(const struct np_client *c)
{
	return c->conn.mosq != NULL && mosquitto_want_write(c->conn.mosq);
}

int
np_client_next_ms(const struct np_client *c)
{
	int64_t wait = STEP_MAX_MS;

	if (!link_up(c) && !c->conn.auth_failed)
		wait = c->conn.next_attempt - np__mono_ms();
	if (wait > STEP_MAX_MS)
		wait = STEP_MAX_MS;
	if (wait < 0)
		wait = 0;
	return np__rcpt_next_ms(c, np__out_next_ms(c, (int)wait));
}

int
np_client_step(struct np_client *c)
{
	np__pump(c, 0);
	return c->conn.auth_failed ? NP_ERR_AUTH : NP_OK;
}
