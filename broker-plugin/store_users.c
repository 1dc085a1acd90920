/* store_users.c - the users table (store.h), keyed by the username without NUL.
 *
 *   users   the user record, fixed, little-endian:
 *           OFFSET  SIZE  DESCRIPTION
 *                0     1  format version, 1
 *                1     1  role (enum hub_role: np.Role's numbers)
 *                2     2  categories, bit i = hub_category_name(i)
 *                4     4  PBKDF2 iterations
 *                8    16  salt (HUB_KDF_SALT_LEN)
 *               24    64  hash (HUB_KDF_HASH_LEN)
 *               88     1  area code length, at most 8
 *               89     8  area code, zero-padded (HUB_AREA_MAX)
 *               97        total
 *
 * tests/admin/test_admin.sh reads the user record with mdb_dump, on its own.
 * Every add, change and delete bumps the meta counter "users_gen" (store.c)
 * in the same transaction: the broker watches it to apply changes to live
 * sessions. */
#include <errno.h>
#include <lmdb.h>
#include <string.h>

#include "store_int.h"

/* The user record's offsets (the table at the top), each from the one before. */
enum {
	USER_VERSION_OFF = 0,
	USER_ROLE_OFF = USER_VERSION_OFF + 1,
	USER_CATEGORIES_OFF = USER_ROLE_OFF + 1,
	USER_ITERATIONS_OFF = USER_CATEGORIES_OFF + 2,
	USER_SALT_OFF = USER_ITERATIONS_OFF + 4,
	USER_HASH_OFF = USER_SALT_OFF + HUB_KDF_SALT_LEN,
	USER_AREA_LEN_OFF = USER_HASH_OFF + HUB_KDF_HASH_LEN,
	USER_AREA_OFF = USER_AREA_LEN_OFF + 1,
	USER_REC_LEN = USER_AREA_OFF + HUB_AREA_MAX,
};
#define USER_VERSION 1

_Static_assert(USER_HASH_OFF == 24 && USER_AREA_LEN_OFF == 88 && USER_AREA_OFF == 89,
	       "the user record's fields stay where existing databases have them");
_Static_assert(USER_REC_LEN == 97, "a user record is 97 bytes on disk");
_Static_assert(HUB_AREA_MAX <= UINT8_MAX, "the area length fits its byte");

static void
user_pack(const struct hub_user *u, uint8_t b[USER_REC_LEN])
{
	size_t alen = strnlen(u->area, HUB_AREA_MAX);

	memset(b, 0, USER_REC_LEN);
	b[USER_VERSION_OFF] = USER_VERSION;
	b[USER_ROLE_OFF] = (uint8_t)u->role;
	store_put_le(b + USER_CATEGORIES_OFF, u->categories, 2);
	store_put_le(b + USER_ITERATIONS_OFF, u->iterations, 4);
	memcpy(b + USER_SALT_OFF, u->salt, HUB_KDF_SALT_LEN);
	memcpy(b + USER_HASH_OFF, u->hash, HUB_KDF_HASH_LEN);
	b[USER_AREA_LEN_OFF] = (uint8_t)alen;
	memcpy(b + USER_AREA_OFF, u->area, alen);
}

static int
user_unpack(const MDB_val *k, const MDB_val *v, struct hub_user *u)
{
	const uint8_t *b = v->mv_data;

	if (v->mv_size != USER_REC_LEN || b[USER_VERSION_OFF] != USER_VERSION
	    || b[USER_AREA_LEN_OFF] > HUB_AREA_MAX || k->mv_size > HUB_USERNAME_MAX)
		return -1;
	memset(u, 0, sizeof(*u));
	memcpy(u->name, k->mv_data, k->mv_size);
	u->role = (enum hub_role)b[USER_ROLE_OFF];
	u->categories = (uint16_t)store_get_le(b + USER_CATEGORIES_OFF, 2);
	u->iterations = (uint32_t)store_get_le(b + USER_ITERATIONS_OFF, 4);
	memcpy(u->salt, b + USER_SALT_OFF, HUB_KDF_SALT_LEN);
	memcpy(u->hash, b + USER_HASH_OFF, HUB_KDF_HASH_LEN);
	memcpy(u->area, b + USER_AREA_OFF, b[USER_AREA_LEN_OFF]);
	return 0;
}

int
hub_store_user_get(struct hub_store *s, const char *name, struct hub_user *out)
{
	MDB_txn *txn;
	MDB_val k = { strlen(name), (void *)name }, v;
	int rc;

	if (k.mv_size == 0 || k.mv_size > HUB_USERNAME_MAX)
		return HUB_STORE_NOTFOUND;
	if (store_read_begin(s, &txn) != 0)
		return store_fail(s, "cannot read users", EIO);
	rc = mdb_get(txn, s->users, &k, &v);
	if (rc == 0 && user_unpack(&k, &v, out) != 0)
		rc = EINVAL;
	store_read_end(s);
	if (rc == MDB_NOTFOUND)
		return HUB_STORE_NOTFOUND;
	return rc == 0 ? 0 : store_fail(s, "cannot read user", rc);
}

static int
bump_generation(struct hub_store *s, MDB_txn *txn)
{
	return store_counter_bump(s, txn, "users_gen");
}

static int
put_user(struct hub_store *s, MDB_txn *txn, void *arg)
{
	const struct hub_user *u = arg;
	uint8_t b[USER_REC_LEN];
	MDB_val k = { strlen(u->name), (void *)u->name }, v = { USER_REC_LEN, b };
	int rc;

	user_pack(u, b);
	rc = mdb_put(txn, s->users, &k, &v, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return HUB_STORE_EXISTS;
	return rc == 0 ? bump_generation(s, txn) : rc;
}

int
hub_store_user_add(struct hub_store *s, const struct hub_user *u)
{
	return store_write_txn(s, "cannot add user", put_user, (void *)u);
}

struct many {
	const struct hub_user *u;
	size_t n, bad;
};

static int
put_users(struct hub_store *s, MDB_txn *txn, void *arg)
{
	struct many *m = arg;
	int rc = 0;

	for (m->bad = 0; m->bad < m->n && rc == 0; m->bad++)
		rc = put_user(s, txn, (void *)&m->u[m->bad]);
	if (rc != 0)
		m->bad--;
	return rc;
}

int
hub_store_users_add(struct hub_store *s, const struct hub_user *u, size_t n, size_t *bad)
{
	struct many m = { u, n, 0 };
	int rc = store_write_txn(s, "cannot add users", put_users, &m);

	*bad = m.bad;
	return rc;
}


/* Replaces an existing user's record; NOTFOUND when there is none. */
static int
replace_user(struct hub_store *s, MDB_txn *txn, void *arg)
{
	const struct hub_user *u = arg;
	uint8_t b[USER_REC_LEN];
	MDB_val k = { strlen(u->name), (void *)u->name }, v;
	int rc;

	if (k.mv_size == 0 || k.mv_size > HUB_USERNAME_MAX)
		return HUB_STORE_NOTFOUND;
	rc = mdb_get(txn, s->users, &k, &v);
	if (rc == MDB_NOTFOUND)
		return HUB_STORE_NOTFOUND;
	if (rc != 0)
		return rc;
	user_pack(u, b);
	v.mv_size = USER_REC_LEN;
	v.mv_data = b;
	rc = mdb_put(txn, s->users, &k, &v, 0);
	return rc == 0 ? bump_generation(s, txn) : rc;
}

int
hub_store_user_update(struct hub_store *s, const struct hub_user *u)
{
	return store_write_txn(s, "cannot change user", replace_user, (void *)u);
}

static int
del_user(struct hub_store *s, MDB_txn *txn, void *arg)
{
	MDB_val k = { strlen(arg), arg };
	int rc;

	rc = mdb_del(txn, s->users, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return HUB_STORE_NOTFOUND;
	if (rc == 0)
		rc = store_del_user_tokens(s, txn, arg, NULL);        /* a new user of that name gets none */
	return rc == 0 ? bump_generation(s, txn) : rc;
}

int
hub_store_user_del(struct hub_store *s, const char *name)
{
	return store_write_txn(s, "cannot delete user", del_user, (void *)name);
}

int
hub_store_user_each(struct hub_store *s, int (*fn)(void *ctx, const struct hub_user *u), void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	struct hub_user u;
	int rc;

	if (store_read_begin(s, &txn) != 0)
		return store_fail(s, "cannot read users", EIO);
	rc = mdb_cursor_open(txn, s->users, &cur);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0) {
		if (user_unpack(&k, &v, &u) == 0 && fn(ctx, &u) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	store_read_end(s);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : store_fail(s, "cannot list users", rc);
}

uint64_t
hub_store_users_generation(struct hub_store *s)
{
	uint64_t version;

	return hub_store_users_seen(s, &version);
}

uint64_t
hub_store_users_seen(struct hub_store *s, uint64_t *version)
{
	return store_counter_read(s, "users_gen", version);
}

uint64_t
hub_store_version(struct hub_store *s)
{
	MDB_envinfo info;

	/* reads the newest meta page of the shared map: no lock, no transaction.
	 * A commit writes it just before the lock file's "latest" that a read
	 * transaction starts from, so this is never behind hub_store_users_seen. */
	return mdb_env_info(s->env, &info) == 0 ? (uint64_t)info.me_last_txnid : 0;
}
