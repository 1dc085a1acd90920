/* store_audit.c - the audit table (store.h).
 *
 *   audit   one record per changing np-admin command (hub_store_audit_stage).
 *           Key: ms since 1970 (8, big-endian), then a sequence number (4,
 *           big-endian) for records of the same ms: byte order is time order.
 *           Value: the lengths, then the texts back to back (UTF-8, no NUL):
 *           OFFSET  SIZE  DESCRIPTION
 *                0     1  format version, 1
 *                1     1  actor length, at most 127 (HUB_AUDIT_ACTOR_MAX)
 *                2     1  command length, at most 255 (HUB_AUDIT_TEXT_MAX)
 *                3     1  target length, at most 255
 *                4     1  result length, at most 255
 *                5        actor, command, target, result
 *           A change and its record commit in one transaction
 *           (store_write_txn and hub_store_batch_commit add the staged
 *           record); a refused command's record is written alone when it ends. */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

/* The audit key and record header (the table at the top). */
enum {
	AUDIT_KEY_MS_OFF = 0,
	AUDIT_KEY_SEQ_OFF = AUDIT_KEY_MS_OFF + 8,
	AUDIT_KEY_LEN = AUDIT_KEY_SEQ_OFF + 4,
	AUDIT_VERSION_OFF = 0,
	AUDIT_ACTOR_LEN_OFF = AUDIT_VERSION_OFF + 1,
	AUDIT_COMMAND_LEN_OFF = AUDIT_ACTOR_LEN_OFF + 1,
	AUDIT_TARGET_LEN_OFF = AUDIT_COMMAND_LEN_OFF + 1,
	AUDIT_RESULT_LEN_OFF = AUDIT_TARGET_LEN_OFF + 1,
	AUDIT_TEXT_OFF = AUDIT_RESULT_LEN_OFF + 1,
	AUDIT_REC_MAX = AUDIT_TEXT_OFF + HUB_AUDIT_ACTOR_MAX + 3 * HUB_AUDIT_TEXT_MAX,
};
#define AUDIT_VERSION 1

_Static_assert(AUDIT_KEY_LEN == 12 && AUDIT_TEXT_OFF == 5,
	       "the audit key and header stay where the table says");
_Static_assert(AUDIT_REC_MAX == 897, "an audit record is at most 897 bytes on disk");
_Static_assert(HUB_AUDIT_ACTOR_MAX <= UINT8_MAX && HUB_AUDIT_TEXT_MAX <= UINT8_MAX,
	       "the audit text lengths fit their bytes");
_Static_assert(AUDIT_KEY_LEN == STORE_AUDIT_KEY_LEN, "the handle keeps room for one audit key");

static int64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* The record into b (AUDIT_REC_MAX bytes); its length. */
static size_t
audit_pack(const struct hub_audit_rec *a, uint8_t *b)
{
	const char *text[4] = { a->actor, a->command, a->target, a->result };
	const size_t max[4] = { HUB_AUDIT_ACTOR_MAX, HUB_AUDIT_TEXT_MAX, HUB_AUDIT_TEXT_MAX,
				HUB_AUDIT_TEXT_MAX };
	size_t i, n, off = AUDIT_TEXT_OFF;

	b[AUDIT_VERSION_OFF] = AUDIT_VERSION;
	for (i = 0; i < 4; i++) {
		n = strnlen(text[i], max[i]);
		b[AUDIT_ACTOR_LEN_OFF + i] = (uint8_t)n;
		memcpy(b + off, text[i], n);
		off += n;
	}
	return off;
}

static int
audit_unpack(const MDB_val *k, const MDB_val *v, struct hub_audit_rec *a)
{
	const uint8_t *b = v->mv_data;
	char *text[4] = { a->actor, a->command, a->target, a->result };
	size_t i, n, off = AUDIT_TEXT_OFF;

	if (k->mv_size != AUDIT_KEY_LEN || v->mv_size < AUDIT_TEXT_OFF
	    || b[AUDIT_VERSION_OFF] != AUDIT_VERSION || b[AUDIT_ACTOR_LEN_OFF] > HUB_AUDIT_ACTOR_MAX)
		return -1;
	memset(a, 0, sizeof(*a));
	a->ms = (int64_t)get_be((const uint8_t *)k->mv_data + AUDIT_KEY_MS_OFF, 8);
	for (i = 0; i < 4; i++) {
		n = b[AUDIT_ACTOR_LEN_OFF + i];
		if (off + n > v->mv_size)
			return -1;
		memcpy(text[i], b + off, n);
		off += n;
	}
	return off == v->mv_size ? 0 : -1;
}

/* The key after the last record: now, or the last record's ms and the next
 * sequence number when the clock has not passed it. */
static int
audit_next_key(struct hub_store *s, MDB_txn *txn, uint8_t key[AUDIT_KEY_LEN])
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int64_t now = clock_ms(), last;
	uint32_t seq = 0;
	int rc;

	rc = mdb_cursor_open(txn, s->audit, &cur);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == AUDIT_KEY_LEN) {
		last = (int64_t)get_be(k.mv_data, 8);
		if (last >= now) {
			now = last;
			seq = (uint32_t)get_be((const uint8_t *)k.mv_data + AUDIT_KEY_SEQ_OFF, 4) + 1;
		}
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	put_be(key + AUDIT_KEY_MS_OFF, (uint64_t)now, 8);
	put_be(key + AUDIT_KEY_SEQ_OFF, seq, 4);
	return 0;
}

/* Adds the staged record to txn, when there is one no transaction carried yet. */
int
store_audit_carry(struct hub_store *s, MDB_txn *txn)
{
	uint8_t b[AUDIT_REC_MAX];
	MDB_val k = { AUDIT_KEY_LEN, s->audit_key }, v = { 0, b };
	int rc;

	if (!s->audit_staged || s->audit_written)
		return 0;
	rc = audit_next_key(s, txn, s->audit_key);
	v.mv_size = audit_pack(&s->staged, b);
	return rc == 0 ? mdb_put(txn, s->audit, &k, &v, MDB_APPEND) : rc;
}

/* After a commit: the staged record is written (if it was not already). */
void
store_audit_carried(struct hub_store *s)
{
	if (s->audit_staged)
		s->audit_written = true;
}

void
hub_store_audit_stage(struct hub_store *s, const struct hub_audit_rec *a)
{
	s->staged = *a;
	s->audit_staged = true;
	s->audit_written = false;
}

static int
write_nothing(struct hub_store *s, MDB_txn *txn, void *arg)
{
	(void)s;
	(void)txn;
	(void)arg;
	return 0;       /* audit_carry writes the record */
}

static int
replace_result(struct hub_store *s, MDB_txn *txn, void *arg)
{
	uint8_t b[AUDIT_REC_MAX];
	MDB_val k = { AUDIT_KEY_LEN, s->audit_key }, v = { 0, b };

	(void)arg;
	v.mv_size = audit_pack(&s->staged, b);
	return mdb_put(txn, s->audit, &k, &v, 0);
}

int
hub_store_audit_finish(struct hub_store *s, const char *result)
{
	int rc = 0;

	if (!s->audit_staged)
		return 0;
	if (!s->audit_written || strcmp(result, s->staged.result) != 0) {
		snprintf(s->staged.result, sizeof(s->staged.result), "%s", result);
		rc = store_write_txn(s, "cannot write the audit record",
			       s->audit_written ? replace_result : write_nothing, NULL);
	}
	s->audit_staged = false;
	s->audit_written = false;
	return rc;
}

int
hub_store_audit_each(struct hub_store *s, int64_t since_ms,
		     int (*fn)(void *ctx, const struct hub_audit_rec *a), void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	uint8_t from[AUDIT_KEY_LEN] = { 0 };
	MDB_val k = { AUDIT_KEY_LEN, from }, v;
	struct hub_audit_rec a;
	int rc;

	put_be(from + AUDIT_KEY_MS_OFF, since_ms > 0 ? (uint64_t)since_ms : 0, 8);
	if (store_read_begin(s, &txn) != 0)
		return store_fail(s, "cannot read the audit", EIO);
	rc = mdb_cursor_open(txn, s->audit, &cur);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0) {
		if (audit_unpack(&k, &v, &a) == 0 && fn(ctx, &a) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	store_read_end(s);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : store_fail(s, "cannot list the audit", rc);
}
