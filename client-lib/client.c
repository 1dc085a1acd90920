/* client.c - the life cycle of a struct np_client (np_client_new copies the
 * options and opens the outbox, np_client_free undoes it all), its errors and
 * the library's version. The jobs live in their own files, one sub-struct of
 * struct np_client each (np_int.h): conn.c, pending.c, publish.c, feed.c,
 * history.c, token.c, receipt.c; topics.c builds the topics and options.c holds the
 * defaults. */
#include <mosquitto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "np_int.h"

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
	[NP_ERR_REACH] = "the hub refused the reach request",
	[NP_ERR_STATE] = "the state directory cannot be made or written",
	[NP_ERR_CASES] = "the hub refused the case query",
};

const char *
np_strerror(int err)
{
	if (err < 0 || (size_t)err >= sizeof(err_text) / sizeof(err_text[0]))
		return "unknown error";
	return err_text[err];
}

const char *
np_client_last_error(const struct np_client *c)
{
	return c->err;
}

int
np__set_err(struct np_client *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return rc;
}

void
np__notice(struct np_client *c, const char *fmt, ...)
{
	char text[600];
	va_list ap;

	if (c->notice_fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	c->notice_fn(c->notice_ctx, text);
}

void
np_client_on_notice(struct np_client *c, np_notice_fn fn, void *ctx)
{
	c->notice_fn = fn;
	c->notice_ctx = ctx;
}

int
np_version(int *major, int *minor, int *patch)
{
	if (major != NULL)
		*major = NP_VERSION_MAJOR;
	if (minor != NULL)
		*minor = NP_VERSION_MINOR;
	if (patch != NULL)
		*patch = NP_VERSION_PATCH;
	return NP_VERSION_NUMBER;
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

/* The copy of o that c keeps, with the port and client id a default leaves open. */
static int
take_options(struct np_client *c, const struct np_options *o)
{
	char idbuf[128];

	if (np__options_copy(&c->opt, o) != NP_OK)
		return NP_ERR_NOMEM;
	if (c->opt.port == 0)
		c->opt.port = c->opt.cafile != NULL ? 8883 : 1883;
	if (c->opt.client_id == NULL) {
		snprintf(idbuf, sizeof(idbuf), "np-%.40s-%d-%04x",
			 c->opt.username ? c->opt.username : "anon", (int)getpid(),
			 (unsigned)(np__random() & 0xffff));
		c->opt.client_id = strdup(idbuf);
		if (c->opt.client_id == NULL)
			return NP_ERR_NOMEM;
	}
	if (c->opt.outbox_dir == NULL && c->opt.state_dir != NULL) {
		c->opt.outbox_dir = np__state_path(c->opt.state_dir, NULL, c->opt.host,
						   c->opt.port, ".outbox");
		if (c->opt.outbox_dir == NULL)
			return NP_ERR_NOMEM;
	}
	return NP_OK;
}

int
np_client_new(struct np_client **out, const struct np_options *o, char *why, size_t whylen)
{
	struct np_client *c;
	int rc;

	*out = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (o == NULL || o->host == NULL) {
		if (why != NULL)
			snprintf(why, whylen, "no options or no host");
		return NP_ERR_INVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NP_ERR_NOMEM;
	rc = take_options(c, o);
	np__topic_reply(c->conn.reply_filter, sizeof(c->conn.reply_filter), o->username, "#");
	np__topic_reply(c->out.error_topic, sizeof(c->out.error_topic), o->username, "error");
	np__topic_reply(c->hist.topic, sizeof(c->hist.topic), o->username, "history");
	np__topic_reply(c->rcpt.topic, sizeof(c->rcpt.topic), o->username, "reach");
	np__topic_reply(c->cases.topic, sizeof(c->cases.topic), o->username, "cases");
	np__topic_reply(c->cases.stats_topic, sizeof(c->cases.stats_topic), o->username,
			"case-stats");
	if (rc == NP_OK)
		rc = np__token_open(c, c->err, sizeof(c->err));    /* makes the state dir */
	if (rc == NP_OK)
		rc = np__out_open(c, &c->opt, c->err, sizeof(c->err));
	if (rc != NP_OK) {
		if (why != NULL)
			snprintf(why, whylen, "%s", c->err[0] ? c->err : np_strerror(rc));
		np_client_free(c);
		return rc;
	}
	*out = c;
	return NP_OK;
}

void
np_client_free(struct np_client *c)
{
	if (c == NULL)
		return;
	np__rcpt_close(c);              /* waiting receipts go before the link closes */
	np__conn_close(c);
	np__out_close(c);               /* what is in the outbox stays there */
	np__feeds_close(c);
	np__hist_close(c);
	np__cases_close(c);
	np__token_close(c);
	np__options_clear(&c->opt);
	free(c);
}
