/* history.c - np_history: asks the hub for history pages on
 * $CONTROL/np/v1/history, one page at a time with a fresh correlation id,
 * and hands their messages to the caller until the hub's cursor runs out or
 * the caller's maximum is reached. Pages come on np/reply/<user>/history;
 * those of a feed's catch-up (correlation id "f...", sent by np__hist_send
 * without waiting) go to feed.c. */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_int.h"

#define HISTORY_PAGE 500        /* messages asked for per page */

bool
np__hist_on_message(struct np_client *c, const struct mosquitto_message *msg)
{
	struct np__page page;

	if (strcmp(msg->topic, c->hist.topic) != 0)
		return false;
	if (np__decode_page(msg->payload, (size_t)msg->payloadlen, &page) != NP_OK) {
		np__page_free(&page);
		return true;
	}
	if (page.corr[0] == NP__FEED_CORR)
		np__feeds_on_page(c, &page);
	if (page.corr[0] == NP__FEED_CORR || c->hist.want_corr == NULL || c->hist.page_ready
	    || strcmp(page.corr, c->hist.want_corr) != 0) {
		np__page_free(&page);   /* a feed's, or another query of the same user */
		return true;
	}
	c->hist.page = page;
	c->hist.page_ready = true;
	return true;
}

/* Forgets the page (if any) and the correlation id awaited. */
static void
reset(struct np_client *c)
{
	free(c->hist.want_corr);
	c->hist.want_corr = NULL;
	np__page_free(&c->hist.page);
	c->hist.page_ready = false;
}

static int
send_request(struct np_client *c, const char *filter, int64_t since_ms, int64_t until_ms,
	     uint32_t limit, const uint8_t *cursor, size_t cursor_len, const char *corr)
{
	uint8_t *buf;
	size_t len;
	int rc;

	rc = np__encode_history_request(filter, since_ms, until_ms, limit, cursor, cursor_len,
					corr, &buf, &len);
	if (rc != NP_OK)
		return rc;
	rc = c->conn.mosq == NULL ? MOSQ_ERR_NO_CONN
	     : mosquitto_publish_v5(c->conn.mosq, NULL, NP__HISTORY_REQUEST_TOPIC, (int)len, buf,
				    1, false, NULL);
	free(buf);
	if (rc != MOSQ_ERR_SUCCESS)
		return np__set_err(c, NP_ERR_NOT_CONNECTED, "cannot send the history query");
	return NP_OK;
}

int
np__hist_send(struct np_client *c, const char *filter, int64_t since_ms, uint32_t limit,
	      const uint8_t *cursor, size_t cursor_len, const char *corr)
{
	return send_request(c, filter, since_ms, 0, limit, cursor, cursor_len, corr);
}

static int
ask_page(struct np_client *c, const struct np_history_query *q, const uint8_t *cursor,
	 size_t cursor_len, uint32_t limit, int timeout_ms)
{
	char corr[48];
	int64_t deadline = np__mono_ms() + timeout_ms;
	int rc;

	snprintf(corr, sizeof(corr), "h%u-%08x", ++c->hist.corr_counter, (unsigned)np__random());
	reset(c);
	c->hist.want_corr = strdup(corr);
	if (c->hist.want_corr == NULL)
		return NP_ERR_NOMEM;
	rc = send_request(c, q->filter, q->since_ms, q->until_ms, limit, cursor, cursor_len, corr);
	if (rc != NP_OK)
		return rc;
	while (!c->hist.page_ready && c->conn.connected && np__mono_ms() < deadline)
		np__pump(c, NP__SLICE_MS);
	if (c->hist.page_ready)
		return NP_OK;
	return np__set_err(c, c->conn.connected ? NP_ERR_TIMEOUT : NP_ERR_UNREACHABLE,
			   "no history page from the hub");
}

static int
deliver_page(struct np_client *c, np_msg_fn fn, void *ctx, size_t *count, size_t max)
{
	struct np__decoded d;
	const uint8_t *env;
	const char *topic;
	size_t i, n = np__page_items(&c->hist.page), len;
	bool withdrawn;

	for (i = 0; i < n && (max == 0 || *count < max); i++) {
		np__page_item(&c->hist.page, i, &topic, &env, &len, &withdrawn);
		if (np__decode(topic, env, len, &d) != NP_OK)
			return np__set_err(c, NP_ERR_PROTOCOL, "unreadable message in a history page");
		d.m.withdrawn = withdrawn;
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
		return np__set_err(c, NP_ERR_INVAL, "no filter");
	if (!c->conn.connected)
		return np__set_err(c, NP_ERR_NOT_CONNECTED, "not connected to the hub");
	do {
		limit = HISTORY_PAGE;
		if (q->max > 0 && q->max - count < limit)
			limit = (uint32_t)(q->max - count);
		rc = ask_page(c, q, cursor, cursor_len, limit, timeout_ms);
		if (rc == NP_OK && c->hist.page.error != NULL)
			rc = np__set_err(c, NP_ERR_HISTORY, "%s", c->hist.page.error);
		if (rc == NP_OK)
			rc = deliver_page(c, fn, ctx, &count, q->max);
		if (rc != NP_OK)
			break;
		cursor_len = c->hist.page.cursor_len;
		memcpy(cursor, c->hist.page.cursor, cursor_len);
	} while (cursor_len > 0 && (q->max == 0 || count < q->max));
	reset(c);
	return rc;
}

void
np__hist_close(struct np_client *c)
{
	reset(c);
}
