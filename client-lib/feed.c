/* feed.c - feeds: the filters an app follows (subscribed again at every
 * connect) and the callbacks that get what matches. The broker sends one copy
 * per matching subscription; the ring of recent ids hands each message to the
 * feeds once.
 *
 * A resumable feed (a state directory, or a since) has a cursor (cursor.c)
 * and goes through these states at every connect:
 *   SUBSCRIBING  the SUBSCRIBE is out: live messages are held
 *   CATCHUP      the SUBACK came: history pages from the cursor are asked
 *                for one at a time (np__hist_send) and handed, but for
 *                those the cursor had at the start of this round and the
 *                announcements that expired or that an Update or Cancel
 *                withdrew (the hub withholds those live: the cursor moves
 *                past them and the app never gets them); live
 *                messages are still held (at most HELD_MAX: past that they
 *                are dropped and the pages asked for once more from the
 *                cursor, since the history has every one of them)
 *   LIVE         the history ran out: the held messages no page held, then
 *                every live message the cursor does not know, are handed
 * Subscribed before the first page was asked for, the feed gets live every
 * message the pages do not hold, and a held message the pages hold comes in
 * them in the same order (stamps only grow): each page item marks its held
 * copy, found by stamp and id from a probe that only moves forward.
 * deliver() is the one place where a message reaches the app. */
#include <errno.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_int.h"

#define FEED_PAGE 1000          /* messages asked for per catch-up page (the hub's most) */
#define HELD_MAX 20000          /* live messages held during a catch-up */
#define RETRY_MIN_MS 1000       /* a refused catch-up page is asked again after this, */
#define RETRY_MAX_MS 30000      /* doubling up to this */

enum feed_state { F_DOWN, F_SUBSCRIBING, F_CATCHUP, F_LIVE };

/* A live message held during a catch-up, as it came. */
struct held {
	char *topic;
	uint8_t *payload;
	size_t len;
	int64_t stamp;
	uint8_t id[NP_ID_LEN];
	bool in_pages;                  /* a page held it: handed (or skipped) there */
	struct held *next;
};

struct np__feed {
	char *filter;
	np_msg_fn fn;
	void *ctx;
	int sub_mid, sub_rc;            /* the SUBSCRIBE of this connect; rc -1 until SUBACK */
	bool resumable;
	enum feed_state state;
	struct np__cursor cur;
	struct np__curfile file;
	bool save_failed;               /* said once */
	/* the catch-up */
	char corr[40];                  /* the page awaited; "" when none */
	uint8_t hub_cursor[64];         /* the hub's next_cursor within this round */
	size_t hub_cursor_len;
	int64_t asked_at, retry_at;
	int refusals;
	struct np__cursor round;        /* the cursor when this round began */
	uint64_t forgot_left;           /* of round.at_ms, handed before and not in round.ids */
	int64_t page_stamp;             /* the hub's clock at the last page */
	struct held *held, **held_tail, **probe;
	size_t n_held;
	bool overflow;                  /* held messages were dropped: one more round */
	struct np__feed *next;
};

bool
np__ring_seen(struct np__ring *r, const uint8_t id[NP_ID_LEN])
{
	size_t i, n = r->n < NP__RECENT_IDS ? r->n : NP__RECENT_IDS;

	for (i = 0; i < n; i++) {
		if (memcmp(r->ids[i], id, NP_ID_LEN) == 0)
			return true;
	}
	memcpy(r->ids[r->n % NP__RECENT_IDS], id, NP_ID_LEN);
	r->n++;
	return false;
}

/* ---- handing over ---- */

/* The one place where a message reaches the app, live or from the catch-up:
 * fn, the DELIVERED receipt of an announcement (batched by receipt.c), then
 * (for a resumable feed) the cursor moves past it and is written. */
static void
deliver(struct np_client *c, struct np__feed *f, const struct np__decoded *d)
{
	f->fn(f->ctx, &d->m);
	if (d->m.body == NP_BODY_ANNOUNCEMENT)
		np__receipt_delivered(c, d->m.id);
	if (f->resumable)
		np__cursor_advance(&f->cur, d->m.received_at_ms, d->m.id);
	if (f->resumable && np__curfile_save(&f->file, &f->cur, false) != NP_OK
	    && !f->save_failed) {
		f->save_failed = true;
		np__notice(c, "cannot save the cursor of the feed '%s' in %s: %s; after a restart "
			   "its messages since now come again", f->filter,
			   f->file.path ? f->file.path : "?", strerror(errno));
	}
}

/* Moves the cursor past d, which the app is not handed (no receipt either). */
static void
pass_over(struct np__feed *f, const struct np__decoded *d)
{
	np__cursor_advance(&f->cur, d->m.received_at_ms, d->m.id);
	(void)np__curfile_save(&f->file, &f->cur, false);
}

/* An announcement that expired before hub_now_ms: skipped, and the cursor
 * moves past it all the same. */
static bool
skip_expired(struct np__feed *f, const struct np__decoded *d, int64_t hub_now_ms)
{
	if (d->expires_at_ms == 0 || hub_now_ms == 0 || d->expires_at_ms > hub_now_ms)
		return false;
	pass_over(f, d);
	return true;
}

/* A page item the hub marked withdrawn (an Update or Cancel withdrew the
 * announcement; only an official's, agency's or admin's page holds one):
 * skipped like an expired one, as the hub withholds it from every live
 * delivery. The Update or Cancel itself comes as a message of its own. */
static bool
skip_withdrawn(struct np__feed *f, const struct np__decoded *d, bool withdrawn)
{
	if (!withdrawn)
		return false;
	pass_over(f, d);
	return true;
}

static void
drop_held(struct np__feed *f)
{
	struct held *h;

	while ((h = f->held) != NULL) {
		f->held = h->next;
		free(h->topic);
		free(h->payload);
		free(h);
	}
	f->held_tail = f->probe = &f->held;
	f->n_held = 0;
}

/* Keeps a live message for after the catch-up; past HELD_MAX (or out of
 * memory) drops them all and asks for one more round. */
static void
hold(struct np__feed *f, const char *topic, const void *payload, size_t len,
     const struct np__decoded *d)
{
	struct held *h = NULL;

	if (f->n_held < HELD_MAX && (h = calloc(1, sizeof(*h))) != NULL) {
		h->topic = strdup(topic);
		h->payload = malloc(len ? len : 1);
	}
	if (h == NULL || h->topic == NULL || h->payload == NULL) {
		if (h != NULL) {
			free(h->topic);
			free(h);
		}
		drop_held(f);
		f->overflow = true;     /* all of them are in the history */
		return;
	}
	memcpy(h->payload, payload, len);
	h->len = len;
	h->stamp = d->m.received_at_ms;
	memcpy(h->id, d->m.id, NP_ID_LEN);
	*f->held_tail = h;
	f->held_tail = &h->next;
	f->n_held++;
}

/* The catch-up is over: what was held and is not handed yet, then live. */
static void
go_live(struct np_client *c, struct np__feed *f)
{
	struct np__decoded d;
	struct held *h;

	f->state = F_LIVE;
	f->corr[0] = '\0';
	for (h = f->held; h != NULL; h = h->next) {
		if (h->in_pages || np__decode(h->topic, h->payload, h->len, &d) != NP_OK)
			continue;
		if (!skip_expired(f, &d, f->page_stamp))
			deliver(c, f, &d);
		np__decoded_free(&d);
	}
	drop_held(f);
	np__curfile_sync(&f->file);
}

/* ---- the catch-up ---- */

static void
ask_page(struct np_client *c, struct np__feed *f)
{
	snprintf(f->corr, sizeof(f->corr), "%c%u-%08x", NP__FEED_CORR, ++c->feeds.corr_counter,
		 (unsigned)np__random());
	f->asked_at = np__mono_ms();
	f->retry_at = 0;
	if (np__hist_send(c, f->filter, f->cur.at_ms, FEED_PAGE, f->hub_cursor,
			  f->hub_cursor_len, f->corr) != NP_OK)
		f->corr[0] = '\0';      /* the link is down: the next connect starts over */
}

/* Pages from the cursor, from the first page on. */
static void
start_round(struct np_client *c, struct np__feed *f)
{
	f->state = F_CATCHUP;
	f->hub_cursor_len = 0;
	f->overflow = false;
	f->round = f->cur;
	f->forgot_left = np__cursor_forgot(&f->cur);
	ask_page(c, f);
}

/* Whether the page item d was handed before this round: stamped before the
 * round's cursor, one of its ids, or one of the first it no longer lists. */
static bool
handed_before(struct np__feed *f, const struct np__decoded *d)
{
	if (np__cursor_handed(&f->round, d->m.received_at_ms, d->m.id))
		return true;
	if (d->m.received_at_ms != f->round.at_ms || f->forgot_left == 0)
		return false;
	f->forgot_left--;
	return true;
}

/* Marks the held copy of the page item d, if there is one. */
static void
mark_held(struct np__feed *f, const struct np__decoded *d)
{
	int64_t t = d->m.received_at_ms;
	struct held *h;

	while (*f->probe != NULL && (*f->probe)->stamp < t)
		f->probe = &(*f->probe)->next;  /* before every page item to come */
	for (h = *f->probe; h != NULL && h->stamp == t; h = h->next) {
		if (memcmp(h->id, d->m.id, NP_ID_LEN) == 0) {
			h->in_pages = true;
			return;
		}
	}
}

static void
hand_page(struct np_client *c, struct np__feed *f, const struct np__page *p)
{
	struct np__decoded d;
	const uint8_t *env;
	const char *topic;
	size_t i, n = np__page_items(p), len;
	bool withdrawn;

	for (i = 0; i < n && f->state == F_CATCHUP; i++) {
		np__page_item(p, i, &topic, &env, &len, &withdrawn);
		if (np__decode(topic, env, len, &d) != NP_OK)
			continue;       /* the hub checked it when it came: cannot happen */
		mark_held(f, &d);
		if (!handed_before(f, &d) && !skip_withdrawn(f, &d, withdrawn)
		    && !skip_expired(f, &d, p->stamp_ms))
			deliver(c, f, &d);
		np__decoded_free(&d);
	}
}

static struct np__feed *
feed_of_page(struct np_client *c, const char *corr)
{
	struct np__feed *f;

	for (f = c->feeds.head; f != NULL; f = f->next) {
		if (f->state == F_CATCHUP && f->corr[0] != '\0' && strcmp(f->corr, corr) == 0)
			return f;
	}
	return NULL;
}

void
np__feeds_on_page(struct np_client *c, const struct np__page *p)
{
	struct np__feed *f = feed_of_page(c, p->corr);
	int64_t wait;

	if (f == NULL)
		return;         /* a page of an earlier connect or an abandoned ask */
	f->corr[0] = '\0';
	if (p->error != NULL) {
		wait = (int64_t)RETRY_MIN_MS << (f->refusals < 5 ? f->refusals : 5);
		wait = wait < RETRY_MAX_MS ? wait : RETRY_MAX_MS;
		f->refusals++;
		f->retry_at = np__mono_ms() + wait;
		np__notice(c, "the hub refused the catch-up of the feed '%s' (%s); asking again "
			   "in %lld s", f->filter, p->error, (long long)(wait / 1000));
		return;
	}
	f->refusals = 0;
	f->page_stamp = p->stamp_ms;
	hand_page(c, f, p);
	if (f->state != F_CATCHUP)
		return;         /* the app's callback lost the link: the next connect goes on */
	if (p->cursor_len > 0) {
		memcpy(f->hub_cursor, p->cursor, p->cursor_len);
		f->hub_cursor_len = p->cursor_len;
		ask_page(c, f);
	} else if (f->overflow) {
		drop_held(f);
		start_round(c, f);
	} else {
		go_live(c, f);
	}
}

void
np__feeds_tick(struct np_client *c)
{
	struct np__feed *f;
	int64_t now = np__mono_ms();

	for (f = c->feeds.head; f != NULL; f = f->next) {
		if (f->state == F_CATCHUP && c->conn.connected
		    && ((f->corr[0] != '\0' && now - f->asked_at > c->opt.follow_wait_ms)
			|| (f->corr[0] == '\0' && now >= f->retry_at)))
			ask_page(c, f);         /* no page in time, or due again */
		if (f->file.dirty && now - f->file.synced_at >= 1000)
			np__curfile_sync(&f->file);
	}
}

/* ---- subscriptions ---- */

void
np__feeds_subscribe_all(struct np_client *c)
{
	struct np__feed *f;

	for (f = c->feeds.head; f != NULL; f = f->next) {
		f->sub_rc = -1;
		f->corr[0] = '\0';
		drop_held(f);
		f->state = f->resumable ? F_SUBSCRIBING : F_LIVE;
		if (mosquitto_subscribe_v5(c->conn.mosq, &f->sub_mid, f->filter, 1, 0, NULL)
		    != MOSQ_ERR_SUCCESS)
			f->state = F_DOWN;
	}
}

void
np__feeds_on_suback(struct np_client *c, int mid, int n, const int *granted)
{
	struct np__feed *f;

	for (f = c->feeds.head; f != NULL && f->sub_mid != mid; f = f->next)
		;
	if (f == NULL || n < 1 || f->sub_rc >= 0)
		return;
	f->sub_rc = granted[0];
	if (f->state != F_SUBSCRIBING)
		return;
	if (granted[0] >= 0x80)
		f->state = F_DOWN;      /* nothing comes: np_follow says so, or a reconnect */
	else
		start_round(c, f);      /* subscribed first: nothing falls between */
}

void
np__feeds_dispatch(struct np_client *c, const char *topic, const void *payload, size_t len,
		   bool retained)
{
	struct np__decoded d;
	struct np__feed *f;
	bool match;

	if (np__decode(topic, payload, len, &d) != NP_OK)
		return;
	if (np__ring_seen(&c->feeds.recent, d.m.id)) {
		np__decoded_free(&d);
		return;
	}
	for (f = c->feeds.head; f != NULL; f = f->next) {
		if (mosquitto_topic_matches_sub(f->filter, topic, &match) != MOSQ_ERR_SUCCESS
		    || !match)
			continue;
		if (!f->resumable)
			deliver(c, f, &d);
		else if (retained)
			continue;       /* the history has it, in its place */
		else if (f->state == F_SUBSCRIBING || f->state == F_CATCHUP)
			hold(f, topic, payload, len, &d);
		else if (f->state == F_LIVE
			 && !np__cursor_handed(&f->cur, d.m.received_at_ms, d.m.id))
			deliver(c, f, &d);
	}
	np__decoded_free(&d);
}

/* ---- following ---- */

static void
feed_free(struct np__feed *f)
{
	drop_held(f);
	np__curfile_close(&f->file);
	free(f->filter);
	free(f);
}

/* Unlinks and frees f, whose subscription the hub did not grant. */
static void
forget(struct np_client *c, struct np__feed *f)
{
	struct np__feed **pp;

	for (pp = &c->feeds.head; *pp != f; pp = &(*pp)->next)
		;
	*pp = f->next;
	feed_free(f);
}

/* Subscribes f's filter now and waits for the hub's answer. */
static int
subscribe_now(struct np_client *c, struct np__feed *f)
{
	const char *filter = f->filter;
	int64_t deadline;

	f->sub_rc = -1;
	f->state = f->resumable ? F_SUBSCRIBING : F_LIVE;
	if (mosquitto_subscribe_v5(c->conn.mosq, &f->sub_mid, filter, 1, 0, NULL)
	    != MOSQ_ERR_SUCCESS) {
		f->state = F_DOWN;
		return np__set_err(c, NP_ERR_NOT_CONNECTED, "cannot subscribe now");
	}
	deadline = np__mono_ms() + c->opt.follow_wait_ms;
	while (f->sub_rc < 0 && c->conn.connected && np__mono_ms() < deadline)
		np__pump(c, NP__SLICE_MS);
	if (f->sub_rc >= 0 && f->sub_rc < 0x80)
		return NP_OK;
	if (f->sub_rc < 0)
		return np__set_err(c, NP_ERR_TIMEOUT, "no answer to the subscription to '%s'",
				   filter);
	return np__set_err(c, NP_ERR_REFUSED, "the hub refused the subscription to '%s' (not "
			   "readable by this user)", filter);
}

/* "now" or the time since_ms, for notices. */
static void
say_start(char *out, size_t len, int64_t since_ms)
{
	if (since_ms == NP_FOLLOW_NOW)
		snprintf(out, len, "now");
	else
		snprintf(out, len, "received_at_ms %lld", (long long)since_ms);
}

/* f's cursor: the one saved in the state directory, or a new one at since_ms
 * (written at once, so that a restart before any message resumes from it). */
static int
open_cursor(struct np_client *c, struct np__feed *f, int64_t since_ms)
{
	char why[512], start[64];
	bool found = false;
	int rc;

	f->cur.at_ms = since_ms == NP_FOLLOW_NOW ? np__now_ms() : since_ms;
	if (c->opt.state_dir == NULL)
		return NP_OK;                   /* in memory only */
	rc = np__curfile_load(&f->file, c->opt.state_dir, c->opt.username, c->opt.host,
			      c->opt.port, f->filter, &f->cur, &found, why, sizeof(why));
	if (rc != NP_OK)
		return np__set_err(c, rc, "out of memory");
	if (found) {
		rc = np__curfile_reopen(&f->file, why, sizeof(why));
		return rc == NP_OK ? NP_OK : np__set_err(c, rc, "%s", why);
	}
	if (why[0] != '\0') {
		say_start(start, sizeof(start), since_ms);
		np__notice(c, "%s; the feed '%s' starts over from %s", why, f->filter, start);
		memset(&f->cur, 0, sizeof(f->cur));
		f->cur.at_ms = since_ms == NP_FOLLOW_NOW ? np__now_ms() : since_ms;
	}
	rc = np__curfile_create(&f->file, &f->cur, why, sizeof(why));
	return rc == NP_OK ? NP_OK : np__set_err(c, rc, "%s", why);
}

int
np_follow_since(struct np_client *c, const char *filter, int64_t since_ms, np_msg_fn fn,
		void *ctx)
{
	struct np__feed *f;
	int rc;

	if (filter == NULL || fn == NULL || mosquitto_sub_topic_check(filter) != MOSQ_ERR_SUCCESS)
		return np__set_err(c, NP_ERR_INVAL, "bad filter '%s'", filter ? filter : "");
	if (since_ms < 0 && since_ms != NP_FOLLOW_NOW)
		return np__set_err(c, NP_ERR_INVAL, "since_ms %lld is neither a time nor "
				   "NP_FOLLOW_NOW", (long long)since_ms);
	f = calloc(1, sizeof(*f));
	if (f == NULL || (f->filter = strdup(filter)) == NULL) {
		free(f);
		return np__set_err(c, NP_ERR_NOMEM, "out of memory");
	}
	f->fn = fn;
	f->ctx = ctx;
	f->file.fd = -1;
	f->held_tail = f->probe = &f->held;
	f->resumable = c->opt.state_dir != NULL || since_ms != NP_FOLLOW_NOW;
	if (f->resumable && (rc = open_cursor(c, f, since_ms)) != NP_OK) {
		feed_free(f);
		return rc;
	}
	f->next = c->feeds.head;
	c->feeds.head = f;
	if (!c->conn.connected)
		return NP_OK;   /* subscribed at connect */
	rc = subscribe_now(c, f);
	if (rc == NP_OK || rc == NP_ERR_NOT_CONNECTED)
		return rc;
	forget(c, f);
	return rc;
}

int
np_follow(struct np_client *c, const char *filter, np_msg_fn fn, void *ctx)
{
	return np_follow_since(c, filter, NP_FOLLOW_NOW, fn, ctx);
}

void
np__feeds_close(struct np_client *c)
{
	struct np__feed *f;

	while ((f = c->feeds.head) != NULL) {
		c->feeds.head = f->next;
		feed_free(f);
	}
}
