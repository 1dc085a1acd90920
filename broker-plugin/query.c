/* query.c - history pages: decode the HistoryRequest, plan the index scan
 * (history.c), narrow it to what the asker's role can read at all, keep only
 * the messages acl.c lets the asker read, and pack the HistoryPage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np.pb-c.h"
#include "query.h"
#include "validate.h"

struct page {
	const struct hub_principal *p;
	bool all_readable;
	size_t limit, bytes;
	Np__HistoryItem *items;
	Np__HistoryItem **ptrs;
	uint8_t **copies;
	size_t n;
	uint64_t untaken;       /* the hid a full page stopped at without taking it */
};

/* Where a role's reads of kind can be at all, as index keys; n = 0: nowhere. */
static size_t
reach(const struct hub_principal *p, char kind, const char *out[4], const char *branch)
{
	bool th = strcmp(p->scope, "TH") == 0;
	const char *scope = th ? "" : p->scope;
	enum hub_role r = p->role;

	switch (kind) {
	case 'r':
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_OFFICIAL || r == HUB_ROLE_OPERATOR)
			return (out[0] = scope, 1);
		return 0;
	case 's':
		if (r == HUB_ROLE_OFFICIAL || r == HUB_ROLE_OPERATOR)
			return (out[0] = scope, 1);
		return 0;
	case 'w':
		if (r == HUB_ROLE_AGENCY)
			return (out[0] = scope, 1);
		return r == HUB_ROLE_OPERATOR ? 0 : (out[0] = "", 1);
	case 'a':
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_RESIDENT) {
			/* TH, P, D, V: the branch areas, exact keys */
			out[0] = "TH";
			out[1] = branch;                /* "50" */
			out[2] = branch + 3;            /* "5001" */
			out[3] = branch + 8;            /* "50010101" */
			return 4;
		}
		return r == HUB_ROLE_OPERATOR ? 0 : (out[0] = "", 1);
	case 'd':
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_OFFICIAL)
			return (out[0] = r == HUB_ROLE_VOLUNTEER ? p->scope : p->username, 1);
		return 0;
	default:
		return 0;
	}
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
add_key(struct hub_hist_scan *out, char kind, const char *key)
{
	size_t i;

	for (i = 0; i < out->nkeys; i++) {
		if (out->keys[i].kind == kind && strcmp(out->keys[i].key, key) == 0)
			return;
	}
	if (out->nkeys < HUB_HIST_MAX_KEYS) {
		out->keys[out->nkeys].kind = kind;
		snprintf(out->keys[out->nkeys].key, sizeof(out->keys[0].key), "%s", key);
		out->nkeys++;
	}
}

/* Intersects the filter's index keys with the role's reach, so that a query
 * never reads indexes of messages the asker could not be given anyway. */
static void
narrow(const struct hub_principal *p, struct hub_hist_scan *q)
{
	struct hub_hist_scan in = *q;
	char branch[20];
	const char *r[4];
	const char *f;
	size_t i, j, n;
	bool exact;

	if (p->role == HUB_ROLE_ADMIN)
		return;
	/* "50\05001\050010101": the branch areas of a village, NUL-separated */
	snprintf(branch, sizeof(branch), "%.2s%c%.4s%c%.8s", p->scope, 0, p->scope, 0, p->scope);
	q->nkeys = 0;
	for (i = 0; i < in.nkeys; i++) {
		f = in.keys[i].key;
		exact = in.keys[i].kind == 'a' || in.keys[i].kind == 'd';
		n = reach(p, in.keys[i].kind, r, branch);
		for (j = 0; j < n; j++) {
			if (exact ? (f[0] == '\0' || r[j][0] == '\0' || strcmp(f, r[j]) == 0)
				  : (starts(f, r[j]) || starts(r[j], f)))
				add_key(q, in.keys[i].kind,
					exact ? (f[0] ? f : r[j]) : (strlen(f) > strlen(r[j]) ? f : r[j]));
		}
	}
}

static int
collect(void *ctx, const struct hub_hist_item *it)
{
	struct page *pg = ctx;
	Np__HistoryItem *item;
	uint8_t *copy;

	if (!pg->all_readable && hub_acl_check(pg->p, HUB_READ, it->topic, NULL) != NULL)
		return 0;
	if (pg->n > 0 && pg->bytes + it->len + strlen(it->topic) + 16 > HUB_QUERY_MAX_BYTES)
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
	pg->ptrs[pg->n] = item;
	pg->copies[pg->n] = copy;
	pg->n++;
	pg->bytes += it->len + strlen(it->topic) + 16;
	return pg->n >= pg->limit ? 1 : 0;
}

/* A correlation id is echoed only when it is short, valid UTF-8. */
static bool
echoable(const char *id)
{
	size_t n = strlen(id);

	return n <= HUB_QUERY_MAX_CORRELATION && hub_utf8_valid(id, n);
}

static const char *
check_request(const Np__HistoryRequest *r, size_t len)
{
	if (r->base.n_unknown_fields > 0)
		return "the request has unknown fields";
	/* protobuf-c cuts a string at a NUL: what was read must pack to what came */
	if (np__history_request__get_packed_size(r) != len)
		return "the request holds a NUL byte or is not canonically encoded";
	if (r->since_ms < 0 || r->until_ms < 0)
		return "since and until must not be negative";
	if (r->until_ms > 0 && r->until_ms <= r->since_ms)
		return "until must be after since";
	if (r->cursor.len != 0 && r->cursor.len != 8)
		return "the cursor is not one this hub gave";
	if (r->limit > HUB_QUERY_MAX_LIMIT)
		return "limit is over 1000 (the hub's page size cap)";
	if (strlen(r->filter) > HUB_QUERY_MAX_FILTER)
		return "the filter is over 512 bytes";
	if (!hub_utf8_valid(r->filter, strlen(r->filter)))
		return "the filter is not UTF-8";
	if (!echoable(r->correlation_id))
		return "the correlation id is over 128 bytes or not UTF-8";
	return NULL;
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

static const char *
run(struct hub_history *h, const struct hub_principal *p, const Np__HistoryRequest *r,
    struct page *pg, uint8_t next[8], bool *more)
{
	struct hub_hist_scan q;
	const char *why;
	uint64_t last;
	int rc, i;

	memset(&q, 0, sizeof(q));
	why = hub_history_plan(r->filter, &q);
	if (why != NULL)
		return why;
	narrow(p, &q);
	q.after_hid = cursor_hid(&r->cursor);
	q.since_ms = r->since_ms;
	q.until_ms = r->until_ms;
	pg->all_readable = hub_acl_check(p, HUB_SUBSCRIBE, r->filter, NULL) == NULL;
	rc = hub_history_scan(h, &q, HUB_QUERY_BUDGET, collect, pg, &last);
	if (rc == HUB_STORE_ERROR)
		return "the history store failed; try again";
	*more = rc != 0;
	if (rc == 1 && pg->untaken != 0)
		last = pg->untaken - 1;         /* the next page starts with it */
	for (i = 7; i >= 0; i--, last >>= 8)
		next[i] = (uint8_t)last;
	return NULL;
}

uint8_t *
hub_query_answer(struct hub_history *h, const struct hub_principal *p, const void *req,
		 size_t len, int64_t now_ms, size_t *out_len)
{
	Np__HistoryPage page = NP__HISTORY_PAGE__INIT;
	Np__HistoryRequest *r;
	struct page pg;
	uint8_t next[8], *out = NULL;
	const char *why;
	bool more = false;
	size_t i;

	memset(&pg, 0, sizeof(pg));
	r = np__history_request__unpack(NULL, len, req);
	why = r == NULL ? "the request is not an np.HistoryRequest" : check_request(r, len);
	if (why == NULL) {
		pg.p = p;
		pg.limit = r->limit ? r->limit : HUB_QUERY_DEFAULT_LIMIT;
		pg.items = calloc(pg.limit, sizeof(*pg.items));
		pg.ptrs = calloc(pg.limit, sizeof(*pg.ptrs));
		pg.copies = calloc(pg.limit, sizeof(*pg.copies));
		if (pg.items == NULL || pg.ptrs == NULL || pg.copies == NULL)
			goto out;
		why = run(h, p, r, &pg, next, &more);
	}
	page.correlation_id = r != NULL && echoable(r->correlation_id) ? r->correlation_id : "";
	if (why != NULL) {
		page.error = (char *)why;
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
