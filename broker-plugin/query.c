/* query.c - history pages: decode the HistoryRequest, plan the index scan
 * (history.c), narrow it to where acl.c says the asker may read at all, keep
 * only the messages acl.c lets the asker read, mark the announcements an
 * Update or Cancel withdrew (for those who may see them), and pack the
 * HistoryPage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"
#include "np.pb-c.h"
#include "query.h"
#include "validate.h"

struct page {
	const struct hub_principal *p;
	const struct hub_history *h;
	bool all_readable;
	size_t limit, bytes;
	Np__HistoryItem *items;
	Np__HistoryItem **ptrs;
	uint8_t **copies;
	size_t n;
	uint64_t untaken;       /* the hid a full page stopped at without taking it */
};

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A whole-kind key ("") holds every other key of its kind. */
static void
add_key(struct hub_hist_scan *out, char kind, const char *key)
{
	size_t i, j;

	for (i = 0; i < out->nkeys; i++) {
		if (out->keys[i].kind == kind
		    && (strcmp(out->keys[i].key, key) == 0 || out->keys[i].key[0] == '\0'))
			return;
	}
	if (key[0] == '\0') {
		for (i = j = 0; i < out->nkeys; i++) {
			if (out->keys[i].kind != kind)
				out->keys[j++] = out->keys[i];
		}
		out->nkeys = j;
	}
	if (out->nkeys < HUB_HIST_MAX_KEYS) {
		out->keys[out->nkeys].kind = kind;
		snprintf(out->keys[out->nkeys].key, sizeof(out->keys[0].key), "%s", key);
		out->nkeys++;
	}
}

/* The part of index key f (a place key of rep, status, show: every message
 * naming f as P, D or V) that reach entry r covers, as a key; NULL: none. */
static const char *
meet_place(const char *f, const char *at, bool exact)
{
	if (starts(f, at) && !exact)
		return f;
	if (starts(at, f))
		return at;
	return NULL;
}

/* The same for an exact index (ann by area, dm by inbox; "": all of them). An
 * area with the places within it is no one key: the whole kind stands in. */
static const char *
meet_exact(const char *f, const char *at, bool exact)
{
	if (exact)
		return f[0] == '\0' || strcmp(f, at) == 0 ? at : NULL;
	if (at[0] == '\0' || f[0] == '\0' || starts(f, at))
		return f;
	return NULL;
}

void
hub_query_narrow(const struct hub_principal *p, struct hub_hist_scan *q)
{
	struct hub_hist_scan in = *q;
	struct hub_reach r;
	enum hub_kind k;
	const char *key;
	size_t i, j;

	q->nkeys = 0;
	for (i = 0; i < in.nkeys; i++) {
		k = hub_kind_of_index(in.keys[i].kind);
		if (k == HUB_KIND_COUNT)
			continue;
		hub_acl_read_reach(p, k, &r);
		for (j = 0; j < r.n; j++) {
			key = hub_kind_info(k)->by_place
				? meet_place(in.keys[i].key, r.r[j].at, r.r[j].exact)
				: meet_exact(in.keys[i].key, r.r[j].at, r.r[j].exact);
			if (key != NULL)
				add_key(q, in.keys[i].kind, key);
		}
	}
}

/* An announcement withdrawn by an Update or Cancel (DESIGN.md "CAP"): the
 * withdrawn set is in memory, so this costs one peek at the stored id. */
static bool
withdrawn_ann(const struct page *pg, const struct hub_hist_item *it)
{
	uint8_t id[HUB_ID_LEN];

	return strncmp(it->topic, "np/ann/", 7) == 0
	       && hub_msg_peek_id(it->payload, it->len, id) == 0
	       && hub_history_withdrawn(pg->h, id);
}

/* A villager (volunteer or resident) is never handed a CAP Test, Exercise,
 * System or Draft, nor an announcement withdrawn by an Update or Cancel, not
 * even from the history (DESIGN.md "CAP"); others see the whole record, a
 * withdrawn announcement marked as such. */
static bool
hidden_from_villager(const struct page *pg, const struct hub_hist_item *it, bool withdrawn)
{
	if ((pg->p->role != HUB_ROLE_VOLUNTEER && pg->p->role != HUB_ROLE_RESIDENT)
	    || strncmp(it->topic, "np/ann/", 7) != 0)
		return false;
	return withdrawn
	       || (hub_ann_memo_read(it->payload, it->len) & HUB_ANN_MEMO_NOT_ACTUAL) != 0;
}

/* What an item adds to the packed page, near enough: its envelope and topic,
 * 16 for tags, lengths and the page's own framing, and 2 for withdrawn. */
static size_t
item_bytes(const struct hub_hist_item *it, bool withdrawn)
{
	return it->len + strlen(it->topic) + 16 + (withdrawn ? 2 : 0);
}

static int
collect(void *ctx, const struct hub_hist_item *it)
{
	struct page *pg = ctx;
	Np__HistoryItem *item;
	uint8_t *copy;
	bool withdrawn;

	if (!pg->all_readable && hub_acl_check(pg->p, HUB_READ, it->topic, NULL) != HUB_OK)
		return 0;
	withdrawn = withdrawn_ann(pg, it);
	if (hidden_from_villager(pg, it, withdrawn))
		return 0;
	if (pg->n > 0 && pg->bytes + item_bytes(it, withdrawn) > HUB_QUERY_MAX_BYTES)
		return (pg->untaken = it->hid, 1);
	copy = malloc(it->len + strlen(it->topic) + 2);
	if (copy == NULL)
		return (pg->untaken = it->hid, 1);
	memcpy(copy, it->payload, it->len);
	strcpy((char *)copy + it->len, it->topic);
	item = &pg->items[pg->n];
	np__history_item__init(item);
	item->topic = (char *)copy + it->len;
	item->envelope.data = copy;
	item->envelope.len = it->len;
	item->withdrawn = withdrawn;
	pg->ptrs[pg->n] = item;
	pg->copies[pg->n] = copy;
	pg->n++;
	pg->bytes += item_bytes(it, withdrawn);
	return pg->n >= pg->limit ? 1 : 0;
}

/* A correlation id is echoed only when it is short, valid UTF-8. */
static bool
echoable(const char *id)
{
	size_t n = strlen(id);

	return n <= HUB_QUERY_MAX_CORRELATION && hub_utf8_valid(id, n);
}

static enum hub_refusal
check_request(const Np__HistoryRequest *r, size_t len)
{
	if (r->base.n_unknown_fields > 0)
		return HUB_R_REQUEST_UNKNOWN_FIELDS;
	/* protobuf-c cuts a string at a NUL: what was read must pack to what came */
	if (np__history_request__get_packed_size(r) != len)
		return HUB_R_REQUEST_NOT_CANONICAL;
	if (r->since_ms < 0 || r->until_ms < 0)
		return HUB_R_NEGATIVE_TIME;
	if (r->until_ms > 0 && r->until_ms <= r->since_ms)
		return HUB_R_UNTIL_BEFORE_SINCE;
	if (r->cursor.len != 0 && r->cursor.len != 8)
		return HUB_R_BAD_CURSOR;
	if (r->limit > HUB_QUERY_MAX_LIMIT)
		return HUB_R_LIMIT_TOO_BIG;
	if (strlen(r->filter) > HUB_QUERY_MAX_FILTER)
		return HUB_R_FILTER_TOO_LONG;
	if (!hub_utf8_valid(r->filter, strlen(r->filter)))
		return HUB_R_FILTER_UTF8;
	if (!echoable(r->correlation_id))
		return HUB_R_CORRELATION_ID;
	return HUB_OK;
}

static uint64_t
cursor_hid(const ProtobufCBinaryData *c)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < c->len && i < 8; i++)
		v = (v << 8) | c->data[i];
	return v;
}

static uint8_t *
pack_page(Np__HistoryPage *page, int64_t now_ms, size_t *out_len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;

	e.body_case = NP__ENVELOPE__BODY_HISTORY_PAGE;
	e.history_page = page;
	return hub_reply_pack(&e, now_ms, out_len);
}

static enum hub_refusal
run(struct hub_history *h, const struct hub_principal *p, const Np__HistoryRequest *r,
    struct page *pg, uint8_t next[8], bool *more)
{
	struct hub_hist_scan q;
	enum hub_refusal why;
	uint64_t last;
	int rc, i;

	memset(&q, 0, sizeof(q));
	why = hub_history_plan(r->filter, &q);
	if (why != HUB_OK)
		return why;
	hub_query_narrow(p, &q);
	q.after_hid = cursor_hid(&r->cursor);
	q.since_ms = r->since_ms;
	q.until_ms = r->until_ms;
	pg->all_readable = hub_acl_check(p, HUB_SUBSCRIBE, r->filter, NULL) == HUB_OK;
	rc = hub_history_scan(h, &q, HUB_QUERY_BUDGET, collect, pg, &last);
	if (rc == HUB_STORE_ERROR)
		return HUB_R_HISTORY_FAILED;
	*more = rc != 0;
	if (rc == 1 && pg->untaken != 0)
		last = pg->untaken - 1;         /* the next page starts with it */
	for (i = 7; i >= 0; i--, last >>= 8)
		next[i] = (uint8_t)last;
	return HUB_OK;
}

uint8_t *
hub_query_answer(struct hub_history *h, const struct hub_principal *p, const void *req,
		 size_t len, int64_t now_ms, size_t *out_len)
{
	Np__HistoryPage page = NP__HISTORY_PAGE__INIT;
	Np__HistoryRequest *r;
	struct page pg;
	uint8_t next[8], *out = NULL;
	enum hub_refusal why;
	bool more = false;
	size_t i;

	memset(&pg, 0, sizeof(pg));
	r = np__history_request__unpack(NULL, len, req);
	why = r == NULL ? HUB_R_NOT_REQUEST : check_request(r, len);
	if (why == HUB_OK) {
		pg.p = p;
		pg.h = h;
		pg.limit = r->limit ? r->limit : HUB_QUERY_DEFAULT_LIMIT;
		pg.items = calloc(pg.limit, sizeof(*pg.items));
		pg.ptrs = calloc(pg.limit, sizeof(*pg.ptrs));
		pg.copies = calloc(pg.limit, sizeof(*pg.copies));
		if (pg.items == NULL || pg.ptrs == NULL || pg.copies == NULL)
			goto out;
		why = run(h, p, r, &pg, next, &more);
	}
	page.correlation_id = r != NULL && echoable(r->correlation_id) ? r->correlation_id : "";
	if (why != HUB_OK) {
		page.error = (char *)hub_refusal_text(why);
	} else {
		page.n_items = pg.n;
		page.items = pg.ptrs;
		if (more) {
			page.next_cursor.data = next;
			page.next_cursor.len = 8;
		}
	}
	out = pack_page(&page, now_ms, out_len);
out:
	for (i = 0; i < pg.n; i++)
		free(pg.copies[i]);
	free(pg.items);
	free(pg.ptrs);
	free(pg.copies);
	if (r != NULL)
		np__history_request__free_unpacked(r, NULL);
	return out;
}

uint8_t *
hub_query_refusal(const char *why, int64_t now_ms, size_t *out_len)
{
	Np__HistoryPage page = NP__HISTORY_PAGE__INIT;

	page.error = (char *)why;
	return pack_page(&page, now_ms, out_len);
}
