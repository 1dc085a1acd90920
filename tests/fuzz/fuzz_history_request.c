/* fuzz_history_request.c - libFuzzer target for query.c and history.c's
 * planner. LLVMFuzzerInitialize builds a small LMDB history the way plugin.c
 * does (hub_msg_decode, next hid, stamp, pack, hub_history_put): 50 messages on
 * 21 topics of every kind. Each input is then
 * - a HistoryRequest payload answered by hub_query_answer for ten principals:
 *   the answer is an Envelope{history_page}; a refused request has no items;
 *   otherwise the page is exactly the first messages (in hid order) that have
 *   hid > cursor, since <= received_at_ms < until, match the filter and are
 *   readable by the asker (acl.c's READ rule), at most limit of them, with a
 *   next_cursor when there were more (query.h, history.h, np.proto);
 * - a filter (the input as a string) for hub_history_plan: the indexes it
 *   plans hold every stored message the filter matches (history.h).
 * Waivers for reported bugs (NP_FUZZ_KNOWN, see fuzz_util.h): hash-filter (the
 * filter "#" plans no index), hid-overflow (since/until >= 2^48 ms or the cursor
 * 0xff..ff wrap around the hid arithmetic). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "fuzz_util.h"
#include "history.h"
#include "np.pb-c.h"
#include "query.h"
#include "store.h"
#include "validate.h"

#define NMSG 50
#define BASE_MS INT64_C(1714000000000)
#define NOW_MS (BASE_MS + 3600000)
#define FILTER_MAX 4096
#define HID_MS_LIMIT (INT64_C(1) << 48)  /* ms from here on do not fit a hid */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct hub_principal
	vol1 = { "vol1", HUB_ROLE_VOLUNTEER, "50010101", 0 },
	vol2 = { "vol2", HUB_ROLE_VOLUNTEER, "50010102", 0 },
	vol10 = { "vol10", HUB_ROLE_VOLUNTEER, "10010101", 0 },
	vol5002 = { "vol5002", HUB_ROLE_VOLUNTEER, "50020101", 0 },
	ministry = { "ministry", HUB_ROLE_OFFICIAL, "TH", 0 },
	cm_official = { "cm_official", HUB_ROLE_OFFICIAL, "50", 0 },
	muang_official = { "muang_official", HUB_ROLE_OFFICIAL, "5001", 0 },
	agri50 = { "agri50", HUB_ROLE_AGENCY, "50", 0x3 },     /* weather, agriculture */
	tmd = { "tmd", HUB_ROLE_AGENCY, "TH", 0x81 },
	ntnet = { "ntnet", HUB_ROLE_OPERATOR, "TH", 0 },
	op50 = { "op50", HUB_ROLE_OPERATOR, "50", 0 },
	res10 = { "res10", HUB_ROLE_RESIDENT, "10010101", 0 },
	root = { "root", HUB_ROLE_ADMIN, "TH", 0 };

static const struct hub_principal *const askers[] = {
	&root, &ministry, &cm_official, &muang_official, &vol1, &res10, &agri50, &tmd, &ntnet,
	&op50,
};
#define NASKERS (sizeof(askers) / sizeof(askers[0]))

static const struct {
	const char *topic;
	const struct hub_principal *sender;
} posts[] = {
	{ "np/ann/TH/weather", &ministry },
	{ "np/ann/50/agriculture", &agri50 },
	{ "np/ann/5001/health", &cm_official },
	{ "np/ann/50010101/event", &vol1 },
	{ "np/ann/10/network", &ntnet },
	{ "np/ann/50020101/general", &vol5002 },
	{ "np/rep/50/5001/50010101/outage", &vol1 },
	{ "np/rep/50/5001/50010101/need", &vol1 },
	{ "np/rep/50/5001/50010101/ack", &cm_official },
	{ "np/rep/50/5001/50010102/incident", &vol2 },
	{ "np/rep/10/1001/10010101/outage", &vol10 },
	{ "np/rep/10/1001/10010101/ack", &ntnet },
	{ "np/rep/50/5002/50020101/feedback", &vol5002 },
	{ "np/status/50/5001/50010101", &vol1 },
	{ "np/status/10/1001/10010101", &vol10 },
	{ "np/show/50/5001/50010102/product", &vol2 },
	{ "np/show/10/1001/10010101/story", &vol10 },
	{ "np/dm/50010101", &ministry },
	{ "np/dm/ministry", &vol1 },
	{ "np/dm/10010101", &vol1 },
	{ "np/dm/cm_official", &vol5002 },
};
#define NPOSTS (sizeof(posts) / sizeof(posts[0]))

/* Topics nothing was stored on, also checked against the planner. */
static const char *const unstored[] = {
	"np/ann/5002/event", "np/ann/10010101/weather", "np/rep/10/1002/10020101/need",
	"np/status/50/5002/50020101", "np/show/50/5001/50010101/place",
	"np/dm/50020101", "np/dm/muang_official", "np/reply/vol1/history",
};
#define NUNSTORED (sizeof(unstored) / sizeof(unstored[0]))

static const char *const registry[] = {
	"50", "5001", "500101", "50010101", "50010102", "5002", "500201", "50020101",
	"10", "1001", "100101", "10010101",
};

/* What was stored, in hid order. */
static struct stored {
	uint64_t hid;
	int64_t received_ms;
	const char *topic;
	uint8_t id[HUB_ID_LEN];
	uint8_t *payload;
	size_t len;
} msgs[NMSG];

static struct hub_store *store;
static struct hub_history *hist;

/* ---- building the history ---- */

static void
make_envelope(Np__Envelope *e, enum hub_topic_kind kind, int i, uint8_t id[HUB_ID_LEN])
{
	static Np__Report rep;
	static Np__Ack ack;
	static Np__Announcement ann;
	static Np__DirectMessage dm;
	static Np__Showcase show;
	static Np__Status status;
	static uint8_t report_id[HUB_ID_LEN] = { 0x01, 0x8f };

	np__envelope__init(e);
	memset(id, 0, HUB_ID_LEN);
	id[0] = 0x01;
	id[1] = 0x8f;
	id[14] = (uint8_t)(i >> 8);
	id[15] = (uint8_t)i;
	e->id.data = id;
	e->id.len = HUB_ID_LEN;
	e->sent_at_ms = BASE_MS + i * 500;
	switch (kind) {
	case HUB_TOPIC_ANN:
		np__announcement__init(&ann);
		ann.title = "ประกาศ";
		ann.body = "body";
		e->body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
		e->announcement = &ann;
		break;
	case HUB_TOPIC_REPORT:
		np__report__init(&rep);
		rep.title = "ไฟดับ";
		rep.detail = "since 6am";
		e->body_case = NP__ENVELOPE__BODY_REPORT;
		e->report = &rep;
		break;
	case HUB_TOPIC_ACK:
		np__ack__init(&ack);
		ack.report_id.data = report_id;
		ack.report_id.len = HUB_ID_LEN;
		ack.state = NP__ACK_STATE__IN_PROGRESS;
		ack.note = "on the way";
		e->body_case = NP__ENVELOPE__BODY_ACK;
		e->ack = &ack;
		break;
	case HUB_TOPIC_STATUS:
		np__status__init(&status);
		status.online = i % 2;
		e->body_case = NP__ENVELOPE__BODY_STATUS;
		e->status = &status;
		break;
	case HUB_TOPIC_SHOW:
		np__showcase__init(&show);
		show.title = "ผ้าทอ";
		show.description = "hand-woven";
		e->body_case = NP__ENVELOPE__BODY_SHOWCASE;
		e->showcase = &show;
		break;
	default:
		np__direct_message__init(&dm);
		dm.text = "สวัสดี";
		e->body_case = NP__ENVELOPE__BODY_DM;
		e->dm = &dm;
		break;
	}
}

/* One publish, as plugin.c's store_and_stamp handles it. */
static void
store_one(int i)
{
	const char *topic = posts[i % NPOSTS].topic;
	const struct hub_principal *p = posts[i % NPOSTS].sender;
	enum hub_topic_kind kind = hub_topic_kind(topic);
	struct stored *s = &msgs[i];
	struct hub_msg *m = NULL;
	Np__Envelope e;
	uint8_t raw[512];
	enum hub_refusal why;
	size_t n;

	FUZZ_CHECK(hub_acl_check(p, HUB_WRITE, topic, NULL) == HUB_OK, "%s may not write %s",
		   p->username, topic);
	make_envelope(&e, kind, i, s->id);
	n = np__envelope__get_packed_size(&e);
	FUZZ_CHECK(n <= sizeof(raw), "envelope too big");
	np__envelope__pack(&e, raw);
	why = hub_msg_decode(&m, raw, n, kind, HUB_DEFAULT_MAX_PAYLOAD);
	FUZZ_CHECK(why == HUB_OK, "message %d on %s refused: %s", i, topic,
		   hub_refusal_text(why));
	/* two messages per millisecond: hids that differ in the counter only */
	s->hid = hub_history_next_hid(hist, BASE_MS + (i / 2) * 1000);
	s->received_ms = HUB_HID_MS(s->hid);
	hub_msg_stamp(m, p, s->received_ms);
	s->len = hub_msg_packed_size(m);
	s->payload = malloc(s->len);
	FUZZ_CHECK(s->payload != NULL, "out of memory");
	hub_msg_pack(m, s->payload);
	s->topic = topic;
	FUZZ_CHECK(hub_history_put(hist, s->hid, topic, s->id, p->username, s->payload, s->len)
		   == 0, "hub_history_put: %s", hub_history_error(hist));
	hub_msg_free(m);
}

static void
free_msgs(void)
{
	int i;

	for (i = 0; i < NMSG; i++)
		free(msgs[i].payload);
	hub_history_close(hist);
	hub_store_close(store);
	hist = NULL;
	store = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct hub_place pl;
	char db[300], err[256];
	size_t i;

	(void)argc;
	(void)argv;
	snprintf(db, sizeof(db), "%s/db", fuzz_dir_make("history"));
	FUZZ_CHECK(hub_store_open(&store, db, HUB_STORE_CREATE, err, sizeof(err)) == 0,
		   "hub_store_open: %s", err);
	fuzz_dir_remove();
	FUZZ_CHECK(hub_store_init(store) == 0, "hub_store_init: %s", hub_store_error(store));
	FUZZ_CHECK(hub_store_batch_begin(store) == 0, "batch: %s", hub_store_error(store));
	for (i = 0; i < sizeof(registry) / sizeof(registry[0]); i++) {
		memset(&pl, 0, sizeof(pl));
		snprintf(pl.code, sizeof(pl.code), "%s", registry[i]);
		snprintf(pl.name_th, sizeof(pl.name_th), "ที่ %s", registry[i]);
		snprintf(pl.name_en, sizeof(pl.name_en), "Place %s", registry[i]);
		FUZZ_CHECK(hub_store_batch_place_put(store, &pl) == 0, "place: %s",
			   hub_store_error(store));
	}
	FUZZ_CHECK(hub_store_batch_commit(store) == 0, "commit: %s", hub_store_error(store));
	FUZZ_CHECK(hub_history_open(&hist, store, 1000, err, sizeof(err)) == 0,
		   "hub_history_open: %s", err);
	for (i = 0; i < NMSG; i++)
		store_one((int)i);
	FUZZ_CHECK(hub_history_commit(hist) == 0, "hub_history_commit: %s",
		   hub_history_error(hist));
	atexit(free_msgs);
	return 0;
}

/* ---- the query ---- */

static bool
wanted(const struct stored *s, const struct hub_principal *p, const Np__HistoryRequest *r,
       uint64_t after)
{
	return s->hid > after && (r->since_ms == 0 || s->received_ms >= r->since_ms)
	       && (r->until_ms == 0 || s->received_ms < r->until_ms)
	       && hub_topic_matches(r->filter, s->topic)
	       && hub_acl_check(p, HUB_READ, s->topic, NULL) == HUB_OK;
}

static void
check_page(const struct hub_principal *p, const Np__HistoryRequest *r, const Np__HistoryPage *pg)
{
	uint64_t after = 0, next = 0;
	size_t limit = r->limit ? r->limit : HUB_QUERY_DEFAULT_LIMIT;
	size_t i, k, want = 0;
	const struct stored *s;

	for (i = 0; i < r->cursor.len; i++)
		after = after << 8 | r->cursor.data[i];
	if (fuzz_known("hid-overflow") && (r->since_ms >= HID_MS_LIMIT
					   || r->until_ms >= HID_MS_LIMIT || after == UINT64_MAX))
		return;
	if (fuzz_known("hash-filter") && strcmp(r->filter, "#") == 0)
		return;
	for (i = 0; i < pg->next_cursor.len; i++)
		next = next << 8 | pg->next_cursor.data[i];
	FUZZ_CHECK(pg->next_cursor.len == 0 || pg->next_cursor.len == 8,
		   "next_cursor of %zu bytes", pg->next_cursor.len);
	FUZZ_CHECK(pg->n_items <= limit, "%zu items, over the limit %zu", pg->n_items, limit);
	k = 0;
	for (i = 0; i < NMSG; i++) {
		s = &msgs[i];
		if (!wanted(s, p, r, after))
			continue;
		want++;
		if (k == pg->n_items)
			continue;
		FUZZ_CHECK(strcmp(pg->items[k]->topic, s->topic) == 0
			   && pg->items[k]->envelope.len == s->len
			   && memcmp(pg->items[k]->envelope.data, s->payload, s->len) == 0,
			   "%s, filter '%s' since %lld until %lld after %llu: item %zu is '%s', "
			   "want hid %llu on '%s'", p->username, r->filter, (long long)r->since_ms,
			   (long long)r->until_ms, (unsigned long long)after, k,
			   pg->items[k]->topic, (unsigned long long)s->hid, s->topic);
		k++;
		if (k == pg->n_items && pg->next_cursor.len == 8)
			FUZZ_CHECK(next == s->hid, "next_cursor %llu after hid %llu",
				   (unsigned long long)next, (unsigned long long)s->hid);
	}
	FUZZ_CHECK(k == pg->n_items,
		   "%s, filter '%s' since %lld until %lld after %llu: %zu items, only %zu are "
		   "readable there", p->username, r->filter, (long long)r->since_ms,
		   (long long)r->until_ms, (unsigned long long)after, pg->n_items, k);
	FUZZ_CHECK(pg->n_items == (want < limit ? want : limit),
		   "%s, filter '%s' since %lld until %lld after %llu: %zu items of %zu readable, "
		   "limit %zu", p->username, r->filter, (long long)r->since_ms,
		   (long long)r->until_ms, (unsigned long long)after, pg->n_items, want, limit);
	FUZZ_CHECK(want <= limit || pg->next_cursor.len == 8,
		   "%zu items readable, limit %zu, but no next_cursor", want, limit);
	FUZZ_CHECK(want >= limit || pg->next_cursor.len == 0,
		   "all %zu items on the page, yet a next_cursor", want);
}

static bool
echoable(const char *id)
{
	return strlen(id) <= HUB_QUERY_MAX_CORRELATION && hub_utf8_valid(id, strlen(id));
}

static void
ask(const struct hub_principal *p, const uint8_t *data, size_t size, const Np__HistoryRequest *r)
{
	size_t n = 0;
	uint8_t *out = hub_query_answer(hist, p, data, size, NOW_MS, &n);
	Np__Envelope *e;
	const Np__HistoryPage *pg;

	FUZZ_CHECK(out != NULL, "hub_query_answer returned NULL");
	e = np__envelope__unpack(NULL, n, out);
	FUZZ_CHECK(e != NULL, "the answer (%zu bytes) is not an Envelope", n);
	FUZZ_CHECK(e->body_case == NP__ENVELOPE__BODY_HISTORY_PAGE && e->history_page != NULL,
		   "the answer has body %d", (int)e->body_case);
	FUZZ_CHECK(e->sender != NULL && strcmp(e->sender->username, "hub") == 0,
		   "the answer is not from the hub");
	pg = e->history_page;
	FUZZ_CHECK(r != NULL || pg->error[0] != '\0', "an undecodable request got no error");
	FUZZ_CHECK(pg->error[0] == '\0' || (pg->n_items == 0 && pg->next_cursor.len == 0),
		   "a refused request ('%s') got %zu items", pg->error, pg->n_items);
	/* echoed when short UTF-8; never otherwise */
	FUZZ_CHECK(r == NULL || strcmp(pg->correlation_id, echoable(r->correlation_id)
						      ? r->correlation_id : "") == 0,
		   "correlation id not echoed");
	if (r != NULL && pg->error[0] == '\0')
		check_page(p, r, pg);
	np__envelope__free_unpacked(e, NULL);
	free(out);
}

/* ---- the planner ---- */

/* The index entries history.c keeps for a topic (history.h: kind letter, then
 * "" and the place codes for rep/status/show, "" and the area or inbox else). */
static size_t
keys_of(const char *topic, char *kind, char keys[4][HUB_USERNAME_MAX + 1])
{
	static const char *const words[] = { "np/ann/", "np/rep/", "np/status/", "np/show/",
					      "np/dm/" };
	const char *p, *slash;
	size_t i, n = 0, w;

	for (i = 0; i < 5; i++) {
		if (strncmp(topic, words[i], strlen(words[i])) == 0)
			break;
	}
	if (i == 5)
		return 0;
	*kind = "arswd"[i];
	keys[n++][0] = '\0';
	p = topic + strlen(words[i]);
	do {
		slash = strchr(p, '/');
		w = slash ? (size_t)(slash - p) : strlen(p);
		snprintf(keys[n++], HUB_USERNAME_MAX + 1, "%.*s", (int)w, p);
		p = slash != NULL ? slash + 1 : p + w;
	} while (slash != NULL && n < (i >= 1 && i <= 3 ? 4u : 2u));
	return n;
}

static void
check_plan_covers(const char *filter, const struct hub_hist_scan *q, const char *topic)
{
	char kind = 0, keys[4][HUB_USERNAME_MAX + 1];
	size_t n, i, j;

	if (!hub_topic_matches(filter, topic))
		return;
	n = keys_of(topic, &kind, keys);
	for (i = 0; i < q->nkeys; i++) {
		for (j = 0; j < n; j++) {
			if (q->keys[i].kind == kind && strcmp(q->keys[i].key, keys[j]) == 0)
				return;
		}
	}
	FUZZ_CHECK(n == 0, "the plan for '%s' (%zu keys) reads no index of '%s'", filter,
		   q->nkeys, topic);
}

static void
plan(const uint8_t *data, size_t size)
{
	static char filter[FILTER_MAX + 1];
	static struct hub_hist_scan q;
	enum hub_refusal why;
	size_t n = size < FILTER_MAX ? size : FILTER_MAX, i;

	memcpy(filter, data, n);
	filter[n] = '\0';
	memset(&q, 0, sizeof(q));
	why = hub_history_plan(filter, &q);
	if (why != HUB_OK || (fuzz_known("hash-filter") && strcmp(filter, "#") == 0))
		return;
	FUZZ_CHECK(q.filter == filter, "the plan lost the filter");
	FUZZ_CHECK(q.nkeys <= HUB_HIST_MAX_KEYS, "%zu keys", q.nkeys);
	for (i = 0; i < q.nkeys; i++) {
		FUZZ_CHECK(q.keys[i].kind != '\0' && strchr("arswd", q.keys[i].kind) != NULL,
			   "key kind %d", q.keys[i].kind);
		FUZZ_CHECK(memchr(q.keys[i].key, '\0', sizeof(q.keys[i].key)) != NULL,
			   "an unterminated key");
	}
	for (i = 0; i < NPOSTS; i++)
		check_plan_covers(filter, &q, posts[i].topic);
	for (i = 0; i < NUNSTORED; i++)
		check_plan_covers(filter, &q, unstored[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Np__HistoryRequest *r = np__history_request__unpack(NULL, size, data);
	size_t i;

	for (i = 0; i < NASKERS; i++)
		ask(askers[i], data, size, r);
	if (r != NULL)
		np__history_request__free_unpacked(r, NULL);
	plan(data, size);
	return 0;
}
