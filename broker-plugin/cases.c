/* cases.c - see cases.h.
 *
 * Tables (named databases in the store's environment, beside history.c's),
 * written only inside history.c's write transactions (the hook), or by the
 * rebuild and np-admin's targets:
 *   cases      key the report's id (16 bytes) -> the case record (below),
 *              from its first ack on: a report without a record is an OPEN
 *              case with no ack, whose kind and village are in its topic
 *   case_idx   DUPSORT|DUPFIXED, values the report's hid (8, big-endian)
 *              and id (16): HUB_CASE_CURSOR_LEN bytes, in report order.
 *              Keys: 'S', state digit, kind digit, area (P, D: every
 *              case is under both; the nation is the merge of the
 *              provinces, a village is its district's key filtered by
 *              village - a district has tens of villages) - the cases of a
 *              state and kind in an area; 'A', username - the cases
 *              assigned to it.
 *   case_meta  "layout" -> LAYOUT (the index was built; see hub_cases_open)
 *              "targets" -> 4 kinds x (ack, resolve) ms, 8 bytes each, BE
 * A report adds its two index entries and nothing else (the record comes
 * with the first ack): BENCHMARKS.md "Report cases". A case is made by its
 * report's put and changed by each ack's put, in the same transaction: a
 * crash keeps both or neither. The walks over the index (the cases of an
 * area, state and kind, newest or oldest first) are in case_walk.c. */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases_int.h"
#include "topic.h"

#define LAYOUT "cases/3"  /* cases/1: a record per report, a TH key; cases/2: a V key too */
#define REP_PREFIX "np/rep/"

/* ---- the case record ----
 *   OFFSET  SIZE  DESCRIPTION
 *        0     8  report hid, big-endian
 *        8     8  last ack hid (0: none)
 *       16     8  first ack ms (0: none)
 *       24     8  closed ms (RESOLVED or REJECTED; 0: open)
 *       32     1  state (HUB_CASE_*)
 *       33     1  kind (report kind index)
 *       34     8  village code
 *       42     1  assignee length A (at most HUB_USERNAME_MAX)
 *       43     A  assignee */
enum {
	REC_HID = 0, REC_LAST_ACK = 8, REC_FIRST_ACK = 16, REC_CLOSED = 24, REC_STATE = 32,
	REC_KIND = 33, REC_VILLAGE = 34, REC_ALEN = 42, REC_FIXED = 43,
};
_Static_assert(REC_FIXED == 43, "a case record has 43 fixed bytes");
_Static_assert(HUB_CASE_CURSOR_LEN == 8 + HUB_ID_LEN, "an index value is a hid and an id");

static const int64_t default_targets[HUB_REPORT_KIND_COUNT][2] = {
	{ 4 * 3600000LL, 48 * 3600000LL },              /* outage */
	{ 24 * 3600000LL, 14 * 86400000LL },            /* need */
	{ 24 * 3600000LL, 14 * 86400000LL },            /* incident */
	{ 72 * 3600000LL, 0 },                          /* feedback */
};


int
cases_fail(struct hub_cases *c, const char *what, int rc)
{
	snprintf(c->err, sizeof(c->err), "%s: %s", what, mdb_strerror(rc));
	return HUB_STORE_ERROR;
}

const char *
hub_cases_error(const struct hub_cases *c)
{
	return c->err;
}

struct hub_history *
hub_cases_history(struct hub_cases *c)
{
	return c->history;
}

static size_t
rec_pack(const struct hub_case *k, uint8_t *rec)
{
	size_t alen = strlen(k->assignee);

	hub_put_be64(rec + REC_HID, k->hid);
	hub_put_be64(rec + REC_LAST_ACK, k->last_ack_hid);
	hub_put_be64(rec + REC_FIRST_ACK, (uint64_t)k->first_ack_ms);
	hub_put_be64(rec + REC_CLOSED, (uint64_t)k->resolved_ms);
	rec[REC_STATE] = (uint8_t)k->state;
	rec[REC_KIND] = (uint8_t)k->kind;
	memcpy(rec + REC_VILLAGE, k->village, HUB_AREA_MAX);
	rec[REC_ALEN] = (uint8_t)alen;
	memcpy(rec + REC_FIXED, k->assignee, alen);
	return REC_FIXED + alen;
}

static int
rec_unpack(const uint8_t id[HUB_ID_LEN], const MDB_val *v, struct hub_case *k)
{
	const uint8_t *d = v->mv_data;

	if (v->mv_size < REC_FIXED || d[REC_ALEN] > HUB_USERNAME_MAX
	    || v->mv_size != REC_FIXED + (size_t)d[REC_ALEN] || d[REC_STATE] >= HUB_CASE_STATES
	    || d[REC_KIND] >= HUB_REPORT_KIND_COUNT)
		return MDB_CORRUPTED;
	memcpy(k->id, id, HUB_ID_LEN);
	k->hid = hub_get_be64(d + REC_HID);
	k->last_ack_hid = hub_get_be64(d + REC_LAST_ACK);
	k->first_ack_ms = (int64_t)hub_get_be64(d + REC_FIRST_ACK);
	k->resolved_ms = (int64_t)hub_get_be64(d + REC_CLOSED);
	k->state = d[REC_STATE];
	k->kind = d[REC_KIND];
	memcpy(k->village, d + REC_VILLAGE, HUB_AREA_MAX);
	k->village[HUB_AREA_MAX] = '\0';
	memcpy(k->assignee, d + REC_FIXED, d[REC_ALEN]);
	k->assignee[d[REC_ALEN]] = '\0';
	return 0;
}

static int
rec_get(struct hub_cases *c, MDB_txn *txn, const uint8_t id[HUB_ID_LEN], struct hub_case *k)
{
	MDB_val key = { HUB_ID_LEN, (void *)id }, v;
	int rc = mdb_get(txn, c->cases, &key, &v);

	return rc != 0 ? rc : rec_unpack(id, &v, k);
}

static bool rep_topic(const char *topic, char village[HUB_AREA_MAX + 1], const char **last);
static int kind_index(const char *s);

/* k as the OPEN case, without an ack, of the report (hid, id) of topic; MDB_NOTFOUND
 * when topic is not a report's. */
static int
open_case(const uint8_t id[HUB_ID_LEN], uint64_t hid, const char *topic, struct hub_case *k)
{
	const char *last;
	int kind;

	memset(k, 0, sizeof(*k));
	if (!rep_topic(topic, k->village, &last) || (kind = kind_index(last)) < 0)
		return MDB_NOTFOUND;
	memcpy(k->id, id, HUB_ID_LEN);
	k->hid = hid;
	k->kind = kind;
	k->state = HUB_CASE_OPEN;
	return 0;
}

/* The case of report id: its record, or, without one, the OPEN case of the
 * stored report; MDB_NOTFOUND when there is no such report. */
static int
case_get(struct hub_cases *c, MDB_txn *txn, const uint8_t id[HUB_ID_LEN], struct hub_case *k)
{
	char topic[256];
	uint64_t hid;
	int rc = rec_get(c, txn, id, k);

	if (rc != MDB_NOTFOUND)
		return rc;
	rc = hub_history_locate(c->history, txn, id, &hid, topic, sizeof(topic));
	if (rc == HUB_STORE_NOTFOUND)
		return MDB_NOTFOUND;
	return rc != 0 ? MDB_CORRUPTED : open_case(id, hid, topic, k);
}

/* The case of index value v (hid, id): as case_get, the report read by hid. */
int
cases_case_at(struct hub_cases *c, MDB_txn *txn, const uint8_t v[HUB_CASE_CURSOR_LEN],
	struct hub_case *k)
{
	struct hub_hist_item it;
	char topic[256];
	int rc = rec_get(c, txn, v + 8, k);

	if (rc != MDB_NOTFOUND)
		return rc;
	rc = hub_history_get(c->history, txn, hub_get_be64(v), &it, topic, sizeof(topic));
	if (rc == HUB_STORE_NOTFOUND)
		return MDB_NOTFOUND;
	return rc != 0 ? MDB_CORRUPTED : open_case(v + 8, it.hid, topic, k);
}

static int
rec_put(struct hub_cases *c, MDB_txn *txn, const struct hub_case *k)
{
	uint8_t rec[REC_FIXED + HUB_USERNAME_MAX];
	MDB_val key = { HUB_ID_LEN, (void *)k->id }, v = { rec_pack(k, rec), rec };

	return mdb_put(txn, c->cases, &key, &v, 0);
}

/* ---- index keys ---- */

size_t
cases_state_key(char *buf, int state, int kind, const char *area, size_t n)
{
	buf[0] = 'S';
	buf[1] = (char)('0' + state);
	buf[2] = (char)('0' + kind);
	memcpy(buf + 3, area, n);
	return 3 + n;
}

size_t
cases_assignee_key(char *buf, const char *user)
{
	size_t n = strlen(user);

	buf[0] = 'A';
	memcpy(buf + 1, user, n);
	return 1 + n;
}

static void
idx_value(const struct hub_case *k, uint8_t v[HUB_CASE_CURSOR_LEN])
{
	hub_put_be64(v, k->hid);
	memcpy(v + 8, k->id, HUB_ID_LEN);
}

/* Adds (add) or removes one index entry; the case's own entries only. */
static int
idx_set(struct hub_cases *c, MDB_txn *txn, const char *kb, size_t kn, const struct hub_case *k,
	bool add)
{
	uint8_t vb[HUB_CASE_CURSOR_LEN];
	MDB_val key = { kn, (void *)kb }, v = { sizeof(vb), vb };
	int rc;

	idx_value(k, vb);
	if (!add) {
		rc = mdb_del(txn, c->idx, &key, &v);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	rc = mdb_put(txn, c->idx, &key, &v, MDB_APPENDDUP);    /* new reports come last */
	if (rc == MDB_KEYEXIST)
		rc = mdb_put(txn, c->idx, &key, &v, MDB_NODUPDATA);
	return rc == MDB_KEYEXIST ? 0 : rc;
}

/* The area entries (province, district) of k's state and kind: no village
 * key, so a batch of reports from many villages touches few distinct keys
 * (each distinct key copies its own pages: BENCHMARKS.md "Report cases"). */
static int
idx_state(struct hub_cases *c, MDB_txn *txn, const struct hub_case *k, bool add)
{
	static const size_t lens[] = { 2, IDX_AREA_MAX };
	char kb[KEY_MAX];
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]) && rc == 0; i++)
		rc = idx_set(c, txn, kb, cases_state_key(kb, k->state, k->kind, k->village, lens[i]), k,
			     add);
	return rc;
}

static int
idx_assignee(struct hub_cases *c, MDB_txn *txn, const struct hub_case *k, bool add)
{
	char kb[KEY_MAX];

	if (k->assignee[0] == '\0')
		return 0;
	return idx_set(c, txn, kb, cases_assignee_key(kb, k->assignee), k, add);
}

/* ---- the hook: a report makes a case, an ack changes it ---- */

/* The village (8 digits) and last level of a report topic np/rep/P/D/V/x. */
static bool
rep_topic(const char *topic, char village[HUB_AREA_MAX + 1], const char **last)
{
	const char *v, *slash;

	if (strncmp(topic, REP_PREFIX, sizeof(REP_PREFIX) - 1) != 0)
		return false;
	v = topic + sizeof(REP_PREFIX) - 1;
	if ((v = strchr(v, '/')) == NULL || (v = strchr(v + 1, '/')) == NULL)
		return false;
	v++;
	slash = strchr(v, '/');
	if (slash == NULL || slash - v != HUB_AREA_MAX)
		return false;
	memcpy(village, v, HUB_AREA_MAX);
	village[HUB_AREA_MAX] = '\0';
	*last = slash + 1;
	return true;
}

static int
kind_index(const char *s)
{
	int i;

	for (i = 0; i < HUB_REPORT_KIND_COUNT; i++) {
		if (strcmp(hub_report_kind_name(i), s) == 0)
			return i;
	}
	return -1;
}

static int
new_case(struct hub_cases *c, MDB_txn *txn, const struct hub_hist_item *it, const char *village,
	 int kind)
{
	struct hub_case k;

	memset(&k, 0, sizeof(k));
	if (hub_msg_peek_id(it->payload, it->len, k.id) != 0)
		return 0;               /* stored without a readable id: no case */
	k.hid = it->hid;
	k.kind = kind;
	k.state = HUB_CASE_OPEN;
	memcpy(k.village, village, HUB_AREA_MAX + 1);
	return idx_state(c, txn, &k, true);    /* no record: OPEN, no ack */
}

static bool
closed(int state)
{
	return state == HUB_CASE_RESOLVED || state == HUB_CASE_REJECTED;
}

static int
apply_ack(struct hub_cases *c, MDB_txn *txn, const struct hub_hist_item *it)
{
	struct hub_ack_fields a;
	struct hub_case old, k;
	int64_t at = HUB_HID_MS(it->hid);
	int rc;

	if (hub_ack_read(it->payload, it->len, &a) != 0)
		return 0;
	rc = case_get(c, txn, a.report_id, &old);
	if (rc == MDB_NOTFOUND)
		return 0;               /* its report is gone (retention): no case */
	if (rc != 0)
		return rc;
	k = old;
	k.state = a.state >= 0 && a.state < HUB_CASE_STATES ? a.state : old.state;
	k.last_ack_hid = it->hid;
	if (k.first_ack_ms == 0)
		k.first_ack_ms = at;
	if (!closed(k.state))
		k.resolved_ms = 0;      /* reopened (or still open) */
	else if (k.resolved_ms == 0)
		k.resolved_ms = at;
	if (k.state == HUB_CASE_ASSIGNED)
		snprintf(k.assignee, sizeof(k.assignee), "%s", a.assignee);
	rc = rec_put(c, txn, &k);
	if (rc == 0 && k.state != old.state)
		rc = idx_state(c, txn, &old, false);
	if (rc == 0 && k.state != old.state)
		rc = idx_state(c, txn, &k, true);
	if (rc == 0 && strcmp(k.assignee, old.assignee) != 0)
		rc = idx_assignee(c, txn, &old, false);
	if (rc == 0 && strcmp(k.assignee, old.assignee) != 0)
		rc = idx_assignee(c, txn, &k, true);
	return rc;
}

static int
on_put(void *ctx, void *txn, const struct hub_hist_item *it)
{
	char village[HUB_AREA_MAX + 1];
	const char *last;
	int kind, rc;

	if (!rep_topic(it->topic, village, &last))
		return 0;
	if (strcmp(last, HUB_ACK_WORD) == 0)
		rc = apply_ack(ctx, txn, it);
	else if ((kind = kind_index(last)) >= 0)
		rc = new_case(ctx, txn, it, village, kind);
	else
		rc = 0;
	return rc == MDB_KEYEXIST ? MDB_CORRUPTED : rc;   /* KEYEXIST means "a resend" to history.c */
}

static int
on_drop(void *ctx, void *txn, const struct hub_hist_item *it)
{
	struct hub_cases *c = ctx;
	char village[HUB_AREA_MAX + 1];
	uint8_t id[HUB_ID_LEN];
	MDB_val key = { HUB_ID_LEN, id };
	struct hub_case k;
	const char *last;
	int rc;

	if (!rep_topic(it->topic, village, &last) || kind_index(last) < 0
	    || hub_msg_peek_id(it->payload, it->len, id) != 0)
		return 0;
	rc = rec_get(c, txn, id, &k);
	if (rc == MDB_NOTFOUND)         /* never acked: OPEN, two entries */
		return open_case(id, it->hid, it->topic, &k) == 0 ? idx_state(c, txn, &k, false) : 0;
	if (rc == 0)
		rc = idx_state(c, txn, &k, false);
	if (rc == 0)
		rc = idx_assignee(c, txn, &k, false);
	if (rc == 0)
		rc = mdb_del(txn, c->cases, &key, NULL);
	return rc;
}

/* ---- open and rebuild ---- */

struct rebuild {
	struct hub_cases *c;
	MDB_txn *txn;
	size_t n;
	int rc;
};

static int
rebuild_one(void *ctx, const struct hub_hist_item *it)
{
	struct rebuild *r = ctx;
	char village[HUB_AREA_MAX + 1];
	const char *last;

	r->rc = on_put(r->c, r->txn, it);
	if (r->rc == 0 && rep_topic(it->topic, village, &last) && kind_index(last) >= 0)
		r->n++;
	return r->rc != 0;
}

static int
open_tables(void *txn, void *arg)
{
	struct rebuild *r = arg;
	struct hub_cases *c = r->c;
	MDB_val k = { 6, "layout" }, v;
	int rc;

	r->n = 0;
	rc = mdb_dbi_open(txn, "cases", MDB_CREATE, &c->cases);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "case_idx", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &c->idx);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "case_meta", MDB_CREATE, &c->meta);
	if (rc == 0)
		rc = mdb_get(txn, c->meta, &k, &v);
	if (rc == 0 && v.mv_size == strlen(LAYOUT) && memcmp(v.mv_data, LAYOUT, v.mv_size) == 0)
		return 0;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	/* no (or another) layout: the index is made again from the history */
	rc = mdb_drop(txn, c->cases, 0);
	if (rc == 0)
		rc = mdb_drop(txn, c->idx, 0);
	r->txn = txn;
	r->rc = 0;
	if (rc == 0 && hub_history_each_in(c->history, txn, 0, rebuild_one, r) != 0)
		rc = r->rc != 0 ? r->rc : EIO;
	if (rc == 0)
		rc = r->rc;
	v.mv_size = strlen(LAYOUT);
	v.mv_data = LAYOUT;
	return rc == 0 ? mdb_put(txn, c->meta, &k, &v, 0) : rc;
}

int
hub_cases_open(struct hub_cases **out, struct hub_store *s, struct hub_history *h,
	       size_t *built, char *err, size_t errlen)
{
	struct hub_cases *c = calloc(1, sizeof(*c));
	struct hub_hist_hook hook = { on_put, on_drop, NULL };
	struct rebuild r;

	*out = NULL;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return HUB_STORE_ERROR;
	}
	c->store = s;
	c->history = h;
	memset(&r, 0, sizeof(r));
	r.c = c;
	if (hub_history_commit(h) != 0
	    || hub_store_write(s, "cannot open the case tables", open_tables, &r) != 0) {
		snprintf(err, errlen, "%s", hub_store_error(s));
		free(c);
		return HUB_STORE_ERROR;
	}
	if (built != NULL)
		*built = r.n;
	hook.ctx = c;
	if (hub_history_add_hook(h, &hook) != 0) {
		snprintf(err, errlen, "%s", hub_history_error(h));
		free(c);
		return HUB_STORE_ERROR;
	}
	*out = c;
	return 0;
}

void
hub_cases_close(struct hub_cases *c)
{
	if (c == NULL)
		return;
	hub_history_commit(c->history);
	hub_history_remove_hook(c->history, c);
	free(c);
}

int
hub_cases_get(struct hub_cases *c, const uint8_t id[HUB_ID_LEN], struct hub_case *out)
{
	void *txn = hub_history_batch_txn(c->history);
	bool own = txn == NULL;
	int rc;

	if (own && hub_store_read_begin(c->store, &txn) != 0)
		return cases_fail(c, "cannot read cases", EIO);
	rc = case_get(c, txn, id, out);
	if (own)
		hub_store_read_end(c->store);
	if (rc == MDB_NOTFOUND)
		return HUB_STORE_NOTFOUND;
	return rc == 0 ? 0 : cases_fail(c, "cannot read cases", rc);
}

/* ---- the rules of an ack ---- */

enum hub_refusal
hub_case_check_ack(const struct hub_principal *p, const struct hub_case *k,
		   const struct hub_ack_fields *a, const struct hub_user *assignee, bool found)
{
	bool mine = k->assignee[0] != '\0' && strcmp(k->assignee, p->username) == 0;

	/* an agency acks only its cases; an operator, outages and its cases */
	if (p->role == HUB_ROLE_AGENCY && !mine)
		return HUB_R_CASE_NOT_ASSIGNED;
	if (p->role == HUB_ROLE_OPERATOR && k->kind != 0 && !mine)
		return HUB_R_ACK_OPERATOR_OUTAGE;
	if (a->state == HUB_CASE_ASSIGNED) {
		if (p->role != HUB_ROLE_OFFICIAL)
			return HUB_R_CASE_ASSIGN_ROLE;
		if (!found)
			return HUB_R_CASE_ASSIGNEE_UNKNOWN;
		if (assignee->role != HUB_ROLE_OPERATOR && assignee->role != HUB_ROLE_AGENCY)
			return HUB_R_CASE_ASSIGNEE_ROLE;
		if (!hub_area_within(k->village, assignee->area))
			return HUB_R_CASE_ASSIGNEE_AREA;
	}
	if (closed(k->state) && !closed(a->state) && !a->has_note)
		return HUB_R_CASE_REOPEN_NOTE;
	return HUB_OK;
}

/* ---- targets ---- */

static int
read_targets(struct hub_cases *c, MDB_txn *txn, struct hub_case_targets *t)
{
	MDB_val k = { 7, "targets" }, v;
	const uint8_t *d;
	int i, rc;

	for (i = 0; i < HUB_REPORT_KIND_COUNT; i++) {
		t->ack_ms[i] = default_targets[i][0];
		t->resolve_ms[i] = default_targets[i][1];
	}
	rc = mdb_get(txn, c->meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc == 0 && v.mv_size != 16 * HUB_REPORT_KIND_COUNT)
		rc = MDB_CORRUPTED;
	for (i = 0, d = v.mv_data; rc == 0 && i < HUB_REPORT_KIND_COUNT; i++) {
		t->ack_ms[i] = (int64_t)hub_get_be64(d + 16 * i);
		t->resolve_ms[i] = (int64_t)hub_get_be64(d + 16 * i + 8);
	}
	return rc;
}

int
hub_cases_targets(struct hub_cases *c, struct hub_case_targets *t)
{
	void *txn;
	int rc;

	if (hub_store_read_begin(c->store, &txn) != 0)
		return cases_fail(c, "cannot read case targets", EIO);
	rc = read_targets(c, txn, t);
	hub_store_read_end(c->store);
	return rc == 0 ? 0 : cases_fail(c, "cannot read case targets", rc);
}

struct set_targets {
	struct hub_cases *c;
	int kind;
	int64_t ack, resolve;
};

static int
write_targets(void *txn, void *arg)
{
	struct set_targets *a = arg;
	struct hub_case_targets t;
	uint8_t buf[16 * HUB_REPORT_KIND_COUNT];
	MDB_val k = { 7, "targets" }, v = { sizeof(buf), buf };
	int i, rc;

	rc = read_targets(a->c, txn, &t);
	if (rc != 0)
		return rc;
	t.ack_ms[a->kind] = a->ack;
	t.resolve_ms[a->kind] = a->resolve;
	for (i = 0; i < HUB_REPORT_KIND_COUNT; i++) {
		hub_put_be64(buf + 16 * i, (uint64_t)t.ack_ms[i]);
		hub_put_be64(buf + 16 * i + 8, (uint64_t)t.resolve_ms[i]);
	}
	return mdb_put(txn, a->c->meta, &k, &v, 0);
}

int
hub_cases_set_targets(struct hub_cases *c, int kind, int64_t ack_ms, int64_t resolve_ms)
{
	struct set_targets a = { c, kind, ack_ms, resolve_ms };

	if (kind < 0 || kind >= HUB_REPORT_KIND_COUNT || ack_ms < 0 || resolve_ms < 0) {
		snprintf(c->err, sizeof(c->err), "no such report kind, or a negative target");
		return HUB_STORE_ERROR;
	}
	if (hub_history_commit(c->history) != 0
	    || hub_store_write(c->store, "cannot set case targets", write_targets, &a) != 0) {
		snprintf(c->err, sizeof(c->err), "%s", hub_store_error(c->store));
		return HUB_STORE_ERROR;
	}
	return 0;
}

static bool
late(int64_t target, int64_t from, int64_t done, int64_t now)
{
	return target > 0 && (done != 0 ? done - from > target : now - from > target);
}

void
hub_case_overdue(const struct hub_case *k, const struct hub_case_targets *t, int64_t now_ms,
		 bool *ack, bool *resolve)
{
	int64_t at = HUB_HID_MS(k->hid);

	*ack = late(t->ack_ms[k->kind], at, k->first_ack_ms, now_ms);
	*resolve = late(t->resolve_ms[k->kind], at, k->resolved_ms, now_ms);
}
