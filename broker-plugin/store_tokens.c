/* store_tokens.c - the tokens table (store.h), keyed by the 16-byte token id.
 *
 *   tokens  the token record, fixed, little-endian (never the token itself):
 *           OFFSET  SIZE  DESCRIPTION
 *                0     1  format version, 1
 *                1     1  user name length, 1..64
 *                2    64  user name, zero-padded (HUB_USERNAME_MAX)
 *               66    32  SHA-256 of the secret (HUB_TOKEN_HASH_LEN)
 *               98     8  created, ms since 1970
 *              106     8  last used, ms (0: never)
 *              114     8  expires, ms (0: never)
 *              122     1  label length, at most 64
 *              123    64  label, UTF-8, zero-padded (HUB_TOKEN_LABEL_MAX)
 *              187        total
 *
 * A revocation bumps the meta counter "tokens_gen" (store.c) in the same
 * transaction: the broker watches it to cut the sessions of revoked tokens. */
#include <errno.h>
#include <lmdb.h>
#include <string.h>

#include "store_int.h"

/* The token record's offsets (the table at the top), each from the one before. */
enum {
	TOKEN_VERSION_OFF = 0,
	TOKEN_USER_LEN_OFF = TOKEN_VERSION_OFF + 1,
	TOKEN_USER_OFF = TOKEN_USER_LEN_OFF + 1,
	TOKEN_HASH_OFF = TOKEN_USER_OFF + HUB_USERNAME_MAX,
	TOKEN_CREATED_OFF = TOKEN_HASH_OFF + HUB_TOKEN_HASH_LEN,
	TOKEN_USED_OFF = TOKEN_CREATED_OFF + 8,
	TOKEN_EXPIRES_OFF = TOKEN_USED_OFF + 8,
	TOKEN_LABEL_LEN_OFF = TOKEN_EXPIRES_OFF + 8,
	TOKEN_LABEL_OFF = TOKEN_LABEL_LEN_OFF + 1,
	TOKEN_REC_LEN = TOKEN_LABEL_OFF + HUB_TOKEN_LABEL_MAX,
};
#define TOKEN_VERSION 1

_Static_assert(TOKEN_HASH_OFF == 66 && TOKEN_CREATED_OFF == 98 && TOKEN_EXPIRES_OFF == 114
	       && TOKEN_LABEL_OFF == 123, "the token record's fields stay where the table says");
_Static_assert(TOKEN_REC_LEN == 187, "a token record is 187 bytes on disk");
_Static_assert(HUB_USERNAME_MAX <= UINT8_MAX && HUB_TOKEN_LABEL_MAX <= UINT8_MAX,
	       "the user and label lengths fit their bytes");

static void
token_pack(const struct hub_token_rec *t, uint8_t b[TOKEN_REC_LEN])
{
	size_t ulen = strnlen(t->user, HUB_USERNAME_MAX);
	size_t llen = strnlen(t->label, HUB_TOKEN_LABEL_MAX);

	memset(b, 0, TOKEN_REC_LEN);
	b[TOKEN_VERSION_OFF] = TOKEN_VERSION;
	b[TOKEN_USER_LEN_OFF] = (uint8_t)ulen;
	memcpy(b + TOKEN_USER_OFF, t->user, ulen);
	memcpy(b + TOKEN_HASH_OFF, t->hash, HUB_TOKEN_HASH_LEN);
	store_put_le(b + TOKEN_CREATED_OFF, (uint64_t)t->created_ms, 8);
	store_put_le(b + TOKEN_USED_OFF, (uint64_t)t->last_used_ms, 8);
	store_put_le(b + TOKEN_EXPIRES_OFF, (uint64_t)t->expires_ms, 8);
	b[TOKEN_LABEL_LEN_OFF] = (uint8_t)llen;
	memcpy(b + TOKEN_LABEL_OFF, t->label, llen);
}

static int
token_unpack(const MDB_val *k, const MDB_val *v, struct hub_token_rec *t)
{
	const uint8_t *b = v->mv_data;

	if (k->mv_size != HUB_TOKEN_ID_LEN || v->mv_size != TOKEN_REC_LEN
	    || b[TOKEN_VERSION_OFF] != TOKEN_VERSION || b[TOKEN_USER_LEN_OFF] > HUB_USERNAME_MAX
	    || b[TOKEN_LABEL_LEN_OFF] > HUB_TOKEN_LABEL_MAX)
		return -1;
	memset(t, 0, sizeof(*t));
	memcpy(t->id, k->mv_data, HUB_TOKEN_ID_LEN);
	memcpy(t->user, b + TOKEN_USER_OFF, b[TOKEN_USER_LEN_OFF]);
	memcpy(t->hash, b + TOKEN_HASH_OFF, HUB_TOKEN_HASH_LEN);
	t->created_ms = (int64_t)store_get_le(b + TOKEN_CREATED_OFF, 8);
	t->last_used_ms = (int64_t)store_get_le(b + TOKEN_USED_OFF, 8);
	t->expires_ms = (int64_t)store_get_le(b + TOKEN_EXPIRES_OFF, 8);
	memcpy(t->label, b + TOKEN_LABEL_OFF, b[TOKEN_LABEL_LEN_OFF]);
	return 0;
}

static int
bump_tokens_gen(struct hub_store *s, MDB_txn *txn)
{
	return store_counter_bump(s, txn, "tokens_gen");
}

uint64_t
hub_store_tokens_generation(struct hub_store *s)
{
	return store_counter_read(s, "tokens_gen", NULL);
}

int
hub_store_token_get(struct hub_store *s, const uint8_t id[HUB_TOKEN_ID_LEN],
		    struct hub_token_rec *out)
{
	MDB_txn *txn;
	MDB_val k = { HUB_TOKEN_ID_LEN, (void *)id }, v;
	int rc;

	if (store_read_begin(s, &txn) != 0)
		return store_fail(s, "cannot read tokens", EIO);
	rc = mdb_get(txn, s->tokens, &k, &v);
	if (rc == 0 && token_unpack(&k, &v, out) != 0)
		rc = EINVAL;
	store_read_end(s);
	if (rc == MDB_NOTFOUND)
		return HUB_STORE_NOTFOUND;
	return rc == 0 ? 0 : store_fail(s, "cannot read token", rc);
}

struct token_batch {
	const struct hub_token_rec *t;
	size_t n, bad;
};

static int
put_tokens(struct hub_store *s, MDB_txn *txn, void *arg)
{
	struct token_batch *b = arg;
	uint8_t rec[TOKEN_REC_LEN];
	MDB_val k, v;
	int rc = 0;

	for (b->bad = 0; b->bad < b->n && rc == 0; b->bad++) {
		const struct hub_token_rec *t = &b->t[b->bad];

		k.mv_size = strlen(t->user);
		k.mv_data = (void *)t->user;
		rc = k.mv_size == 0 ? MDB_NOTFOUND : mdb_get(txn, s->users, &k, &v);
		if (rc == MDB_NOTFOUND)
			return HUB_STORE_NOTFOUND;
		token_pack(t, rec);
		k.mv_size = HUB_TOKEN_ID_LEN;
		k.mv_data = (void *)t->id;
		v.mv_size = TOKEN_REC_LEN;
		v.mv_data = rec;
		if (rc == 0)
			rc = mdb_put(txn, s->tokens, &k, &v, MDB_NOOVERWRITE);
	}
	if (rc == MDB_KEYEXIST)
		rc = HUB_STORE_EXISTS;  /* 128 random bits twice: never, but not silently */
	return rc;
}

int
hub_store_tokens_add(struct hub_store *s, const struct hub_token_rec *t, size_t n, size_t *bad)
{
	struct token_batch b = { t, n, 0 };
	int rc = store_write_txn(s, "cannot add tokens", put_tokens, &b);

	*bad = b.bad;
	return rc;
}

static int
del_token(struct hub_store *s, MDB_txn *txn, void *arg)
{
	MDB_val k = { HUB_TOKEN_ID_LEN, arg };
	int rc;

	rc = mdb_del(txn, s->tokens, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return HUB_STORE_NOTFOUND;
	return rc == 0 ? bump_tokens_gen(s, txn) : rc;
}

int
hub_store_token_del(struct hub_store *s, const uint8_t id[HUB_TOKEN_ID_LEN])
{
	return store_write_txn(s, "cannot revoke token", del_token, (void *)id);
}

/* Deletes user's tokens in txn (a scan: tokens are keyed by id); bumps the
 * tokens generation when there were any. n may be NULL. */
int
store_del_user_tokens(struct hub_store *s, MDB_txn *txn, const char *user, size_t *n)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t ulen = strlen(user), count = 0;
	const uint8_t *b;
	int rc;

	rc = mdb_cursor_open(txn, s->tokens, &cur);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0) {
		b = v.mv_data;
		if (v.mv_size == TOKEN_REC_LEN && b[TOKEN_USER_LEN_OFF] == ulen
		    && memcmp(b + TOKEN_USER_OFF, user, ulen) == 0) {
			rc = mdb_cursor_del(cur, 0);
			count++;
		}
		if (rc == 0)
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return rc;
	if (n != NULL)
		*n = count;
	return count > 0 ? bump_tokens_gen(s, txn) : 0;
}

struct del_user_arg {
	const char *user;
	size_t n;
};

static int
run_del_user_tokens(struct hub_store *s, MDB_txn *txn, void *arg)
{
	struct del_user_arg *a = arg;

	return store_del_user_tokens(s, txn, a->user, &a->n);
}

int
hub_store_tokens_del_user(struct hub_store *s, const char *user, size_t *n)
{
	struct del_user_arg a = { user, 0 };
	int rc = store_write_txn(s, "cannot revoke tokens", run_del_user_tokens, &a);

	*n = a.n;
	return rc;
}

int
hub_store_token_each(struct hub_store *s, const char *user,
		     int (*fn)(void *ctx, const struct hub_token_rec *t), void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	struct hub_token_rec t;
	int rc;

	if (store_read_begin(s, &txn) != 0)
		return store_fail(s, "cannot read tokens", EIO);
	rc = mdb_cursor_open(txn, s->tokens, &cur);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0) {
		if (token_unpack(&k, &v, &t) == 0 && (user == NULL || strcmp(t.user, user) == 0)
		    && fn(ctx, &t) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	store_read_end(s);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : store_fail(s, "cannot list tokens", rc);
}

struct touch_arg {
	const struct hub_token_use *u;
	size_t n;
};

static int
touch_tokens(struct hub_store *s, MDB_txn *txn, void *arg)
{
	struct touch_arg *a = arg;
	uint8_t rec[TOKEN_REC_LEN];
	MDB_val k, v;
	size_t i;
	int rc;

	for (i = 0; i < a->n; i++) {
		k.mv_size = HUB_TOKEN_ID_LEN;
		k.mv_data = (void *)a->u[i].id;
		rc = mdb_get(txn, s->tokens, &k, &v);
		if (rc == MDB_NOTFOUND || (rc == 0 && v.mv_size != TOKEN_REC_LEN))
			continue;       /* revoked meanwhile */
		if (rc != 0)
			return rc;
		if ((int64_t)store_get_le((const uint8_t *)v.mv_data + TOKEN_USED_OFF, 8) >= a->u[i].ms)
			continue;
		memcpy(rec, v.mv_data, TOKEN_REC_LEN);
		store_put_le(rec + TOKEN_USED_OFF, (uint64_t)a->u[i].ms, 8);
		v.mv_size = TOKEN_REC_LEN;
		v.mv_data = rec;
		rc = mdb_put(txn, s->tokens, &k, &v, 0);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
hub_store_tokens_touch(struct hub_store *s, const struct hub_token_use *u, size_t n)
{
	struct touch_arg a = { u, n };

	return n == 0 ? 0 : store_write_txn(s, "cannot record token use", touch_tokens, &a);
}
