/* store.c - users, places and meta records in the LMDB directory.
 *
 * One environment, named databases "meta", "users", "places", "tokens" and
 * "audit" (history.c adds "msgs", "ids" and "idx"; receipts.c adds "receipts",
 * whose layout is at its top). Keys are the username or area code without
 * NUL, the 16-byte token id, or the audit key. The records, each
 * written by one *_pack and read by one *_unpack function below:
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
 *   places  name_th, NUL, name_en, NUL (each at most HUB_PLACE_NAME_MAX bytes)
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
 *           A change and its record commit in one transaction (write_txn and
 *           hub_store_batch_commit add the staged record); a refused command's
 *           record is written alone when it ends.
 *   meta    "schema"    -> "np-hub/1"
 *           "users_gen" -> u64 little-endian, bumped by every user add, change and
 *                          delete
 *           "tokens_gen" -> u64 little-endian, bumped by every token revocation
 *           other names -> hub_store_secret's random bytes
 * tests/admin/test_admin.sh reads the user record with mdb_dump, on its own.
 *
 * The map grows by itself: a write that hits MDB_MAP_FULL doubles the map and is
 * retried, and a map grown by another process is adopted (MDB_MAP_RESIZED).
 *
 * MDB_WRITEMAP: commits write into the shared mapping instead of copying dirty
 * pages with pwrite (which was 42% of the hub's CPU under load): what is
 * committed is in the page cache at once, so a killed process loses nothing.
 * Every process opens the directory the same way. Writing to a hole of a
 * sparse map on a full disk would be a SIGBUS, so the map's file is allocated
 * (posix_fallocate) whenever the map grows: a full disk is then an error at
 * that moment, reported and refused, never a crash. */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define SCHEMA "np-hub/1"
#define INITIAL_MAP (64u << 20)

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
#define USERS_GEN_LEN 8

_Static_assert(USER_HASH_OFF == 24 && USER_AREA_LEN_OFF == 88 && USER_AREA_OFF == 89,
	       "the user record's fields stay where existing databases have them");
_Static_assert(USER_REC_LEN == 97, "a user record is 97 bytes on disk");
_Static_assert(HUB_AREA_MAX <= UINT8_MAX, "the area length fits its byte");

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

struct hub_store {
	MDB_env *env;
	MDB_dbi meta, users, places, tokens, audit;
	MDB_txn *rtxn;          /* reset between reads, renewed for the next */
	MDB_txn *batch;
	struct hub_audit_rec staged;    /* hub_store_audit_stage's record */
	bool audit_staged;              /* staged holds a record not yet finished */
	bool audit_written;             /* ... that a committed transaction carried */
	uint8_t audit_key[AUDIT_KEY_LEN];       /* where it was written */
	char err[256];
};

static int
fail(struct hub_store *s, const char *what, int rc)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", what, mdb_strerror(rc));
	return HUB_STORE_ERROR;
}

const char *
hub_store_error(const struct hub_store *s)
{
	return s->err;
}

/* Backs the whole map with disk blocks: 0, or an errno (ENOSPC). */
static int
allocate_map(struct hub_store *s)
{
	MDB_envinfo info;
	mdb_filehandle_t fd;
	int rc;

	rc = mdb_env_info(s->env, &info);
	if (rc == 0)
		rc = mdb_env_get_fd(s->env, &fd);
	if (rc == 0)
		rc = posix_fallocate(fd, 0, (off_t)info.me_mapsize);
	if (rc == EOPNOTSUPP || rc == EINVAL)
		rc = 0;         /* a file system without it: nothing to reserve */
	return rc;
}

static int
grow(struct hub_store *s)
{
	MDB_envinfo info;
	int rc;

	rc = mdb_env_info(s->env, &info);
	if (rc == 0)
		rc = mdb_env_set_mapsize(s->env, info.me_mapsize * 2);
	if (rc == 0 && (rc = allocate_map(s)) != 0)
		mdb_env_set_mapsize(s->env, info.me_mapsize);  /* leave no hole to write into */
	return rc;
}

static int
begin(struct hub_store *s, unsigned flags, MDB_txn **txn)
{
	int rc;

	rc = mdb_txn_begin(s->env, NULL, flags, txn);
	if (rc == MDB_MAP_RESIZED) {
		rc = mdb_env_set_mapsize(s->env, 0);
		if (rc == 0)
			rc = allocate_map(s);
		if (rc == 0)
			rc = mdb_txn_begin(s->env, NULL, flags, txn);
	}
	return rc;
}

static int
read_begin(struct hub_store *s, MDB_txn **txn)
{
	int rc;

	if (s->rtxn == NULL)
		return begin(s, MDB_RDONLY, &s->rtxn) == 0 ? (*txn = s->rtxn, 0) : -1;
	rc = mdb_txn_renew(s->rtxn);
	if (rc == MDB_MAP_RESIZED) {
		mdb_txn_abort(s->rtxn);
		s->rtxn = NULL;
		if (mdb_env_set_mapsize(s->env, 0) != 0)
			return -1;
		return read_begin(s, txn);
	}
	*txn = s->rtxn;
	return rc;
}

static void
read_end(struct hub_store *s)
{
	mdb_txn_reset(s->rtxn);
}

static int audit_carry(struct hub_store *s, MDB_txn *txn);
static void audit_carried(struct hub_store *s);

/* Runs fn in a write transaction, growing the map and retrying when it is full. */
static int
write_txn(struct hub_store *s, const char *what, int (*fn)(struct hub_store *, MDB_txn *, void *),
	  void *arg)
{
	MDB_txn *txn = NULL;
	int rc;

	for (;;) {
		rc = begin(s, 0, &txn);
		if (rc != 0)
			return fail(s, what, rc);
		rc = fn(s, txn, arg);
		if (rc == 0)
			rc = audit_carry(s, txn);
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		if (rc == 0)
			audit_carried(s);
		if (rc != MDB_MAP_FULL)
			break;
		rc = grow(s);
		if (rc != 0)
			return fail(s, what, rc);
	}
	if (rc == HUB_STORE_EXISTS || rc == HUB_STORE_NOTFOUND)
		return rc;
	return rc == 0 ? 0 : fail(s, what, rc);
}

/* The tables added since the first databases: made when they are missing. */
static int
open_added(struct hub_store *s, MDB_txn *txn, void *arg)
{
	int rc;

	(void)arg;
	rc = mdb_dbi_open(txn, "tokens", MDB_CREATE, &s->tokens);
	return rc == 0 ? mdb_dbi_open(txn, "audit", MDB_CREATE, &s->audit) : rc;
}

static int
open_dbis(struct hub_store *s, bool create)
{
	MDB_txn *txn = NULL;
	unsigned f = create ? MDB_CREATE : 0;
	int rc;

	rc = begin(s, create ? 0 : MDB_RDONLY, &txn);
	if (rc != 0)
		return fail(s, "cannot begin transaction", rc);
	rc = mdb_dbi_open(txn, "meta", f, &s->meta);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "users", f, &s->users);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "places", f, &s->places);
	if (rc == 0 && ((rc = mdb_dbi_open(txn, "tokens", f, &s->tokens)) != 0
			|| (rc = mdb_dbi_open(txn, "audit", f, &s->audit)) != 0) && !create) {
		if (rc != MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			return fail(s, "cannot open tables", rc);
		}
		/* a database from before tokens or audit: keep the handles, add the tables */
		rc = mdb_txn_commit(txn);
		return rc == 0 ? write_txn(s, "cannot add the tokens and audit tables", open_added,
					   NULL)
			       : fail(s, "cannot commit", rc);
	}
	if (rc == 0) {
		rc = mdb_txn_commit(txn);
		return rc == 0 ? 0 : fail(s, "cannot commit", rc);
	}
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND) {
		snprintf(s->err, sizeof(s->err), "database is not initialised (run np-admin init)");
		return HUB_STORE_ERROR;
	}
	return fail(s, "cannot open tables", rc);
}

static int
check_schema(struct hub_store *s)
{
	MDB_txn *txn;
	MDB_val k = { 6, "schema" }, v;
	int rc;

	if (read_begin(s, &txn) != 0)
		return fail(s, "cannot read", EIO);
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == 0 && !(v.mv_size == strlen(SCHEMA) && memcmp(v.mv_data, SCHEMA, v.mv_size) == 0))
		rc = EINVAL;
	read_end(s);
	if (rc == MDB_NOTFOUND) {
		snprintf(s->err, sizeof(s->err), "database is not initialised (run np-admin init)");
		return HUB_STORE_ERROR;
	}
	if (rc != 0) {
		snprintf(s->err, sizeof(s->err), "database has an unknown schema");
		return HUB_STORE_ERROR;
	}
	return 0;
}

int
hub_store_open(struct hub_store **out, const char *dir, int flags, char *err, size_t errlen)
{
	struct hub_store *s;
	struct stat st;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return HUB_STORE_ERROR;
	}
	if ((flags & HUB_STORE_CREATE) && mkdir(dir, 0775) != 0 && errno != EEXIST) {
		snprintf(s->err, sizeof(s->err), "cannot create %s: %s", dir, strerror(errno));
		rc = HUB_STORE_ERROR;
		goto out;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(s->err, sizeof(s->err), "%s is not a directory%s", dir,
			 errno == ENOENT ? " (it does not exist)" : "");
		rc = HUB_STORE_ERROR;
		goto out;
	}
	snprintf(s->err, sizeof(s->err), "%s/data.mdb", dir);
	if (!(flags & HUB_STORE_CREATE) && access(s->err, F_OK) != 0) {
		snprintf(s->err, sizeof(s->err), "no database, not initialised (run np-admin --db %s "
			 "init)", dir);
		rc = HUB_STORE_ERROR;
		goto out;
	}
	s->err[0] = '\0';
	rc = mdb_env_create(&s->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(s->env, 16);
	if (rc == 0)
		rc = mdb_env_set_mapsize(s->env, INITIAL_MAP);
	if (rc == 0)
		rc = mdb_env_open(s->env, dir, MDB_NOTLS | MDB_WRITEMAP, 0664);
	if (rc == 0)
		rc = allocate_map(s);
	if (rc != 0) {
		if (rc == EACCES)
			snprintf(s->err, sizeof(s->err), "cannot open %s: permission denied", dir);
		else if (rc == ENOENT && !(flags & HUB_STORE_CREATE))
			snprintf(s->err, sizeof(s->err), "%s holds no database (run np-admin init)",
				 dir);
		else
			fail(s, "cannot open database", rc);
		rc = HUB_STORE_ERROR;
		goto out;
	}
	rc = open_dbis(s, flags & HUB_STORE_CREATE);
	if (rc == 0 && !(flags & HUB_STORE_CREATE))
		rc = check_schema(s);
out:
	if (rc != 0) {
		snprintf(err, errlen, "%s", s->err);
		hub_store_close(s);
		return HUB_STORE_ERROR;
	}
	*out = s;
	return 0;
}

void
hub_store_close(struct hub_store *s)
{
	if (s == NULL)
		return;
	if (s->batch != NULL)
		mdb_txn_abort(s->batch);
	if (s->rtxn != NULL)
		mdb_txn_abort(s->rtxn);
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s);
}

static int
put_meta(struct hub_store *s, MDB_txn *txn, void *arg)
{
	MDB_val k = { 6, "schema" }, v = { strlen(SCHEMA), SCHEMA };
	MDB_val cur;
	int rc;

	(void)arg;
	rc = mdb_get(txn, s->meta, &k, &cur);
	if (rc == 0)
		return 0;
	return mdb_put(txn, s->meta, &k, &v, 0);
}

int
hub_store_init(struct hub_store *s)
{
	return write_txn(s, "cannot initialise", put_meta, NULL);
}

struct secret_arg {
	const char *name;
	uint8_t *out;
	size_t len;
};

/* Inside the write transaction, so two processes opening a new database at
 * once agree on one secret. */
static int
get_or_make_secret(struct hub_store *s, MDB_txn *txn, void *arg)
{
	struct secret_arg *a = arg;
	MDB_val k = { strlen(a->name), (void *)a->name }, v;
	int rc;

	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == 0 && v.mv_size == a->len) {
		memcpy(a->out, v.mv_data, a->len);
		return 0;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if (RAND_bytes(a->out, (int)a->len) != 1)
		return EIO;
	v.mv_size = a->len;
	v.mv_data = a->out;
	return mdb_put(txn, s->meta, &k, &v, 0);
}

int
hub_store_secret(struct hub_store *s, const char *name, uint8_t *out, size_t len)
{
	struct secret_arg a = { name, out, len };

	return write_txn(s, "cannot keep a secret", get_or_make_secret, &a);
}

/* ---- users ---- */

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void
user_pack(const struct hub_user *u, uint8_t b[USER_REC_LEN])
{
	size_t alen = strnlen(u->area, HUB_AREA_MAX);

	memset(b, 0, USER_REC_LEN);
	b[USER_VERSION_OFF] = USER_VERSION;
	b[USER_ROLE_OFF] = (uint8_t)u->role;
	put_le(b + USER_CATEGORIES_OFF, u->categories, 2);
	put_le(b + USER_ITERATIONS_OFF, u->iterations, 4);
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
	u->categories = (uint16_t)get_le(b + USER_CATEGORIES_OFF, 2);
	u->iterations = (uint32_t)get_le(b + USER_ITERATIONS_OFF, 4);
	memcpy(u->salt, b + USER_SALT_OFF, HUB_KDF_SALT_LEN);
	memcpy(u->hash, b + USER_HASH_OFF, HUB_KDF_HASH_LEN);
	memcpy(u->area, b + USER_AREA_OFF, b[USER_AREA_LEN_OFF]);
	return 0;
}

/* The "users_gen" meta record; 0 when it is absent or not 8 bytes. */
static uint64_t
gen_unpack(int found, const MDB_val *v)
{
	return found == 0 && v->mv_size == USERS_GEN_LEN ? get_le(v->mv_data, USERS_GEN_LEN) : 0;
}

int
hub_store_user_get(struct hub_store *s, const char *name, struct hub_user *out)
{
	MDB_txn *txn;
	MDB_val k = { strlen(name), (void *)name }, v;
	int rc;

	if (k.mv_size == 0 || k.mv_size > HUB_USERNAME_MAX)
		return HUB_STORE_NOTFOUND;
	if (read_begin(s, &txn) != 0)
		return fail(s, "cannot read users", EIO);
	rc = mdb_get(txn, s->users, &k, &v);
	if (rc == 0 && user_unpack(&k, &v, out) != 0)
		rc = EINVAL;
	read_end(s);
	if (rc == MDB_NOTFOUND)
		return HUB_STORE_NOTFOUND;
	return rc == 0 ? 0 : fail(s, "cannot read user", rc);
}

static int
counter_bump(struct hub_store *s, MDB_txn *txn, const char *key)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	uint8_t b[USERS_GEN_LEN];
	uint64_t gen;

	gen = gen_unpack(mdb_get(txn, s->meta, &k, &v), &v);
	put_le(b, gen + 1, USERS_GEN_LEN);
	v.mv_size = USERS_GEN_LEN;
	v.mv_data = b;
	return mdb_put(txn, s->meta, &k, &v, 0);
}

/* The meta counter key (0 when absent), read in a transaction of its own;
 * *version (may be NULL) gets that transaction's id, 0 when it failed. */
static uint64_t
counter_read(struct hub_store *s, const char *key, uint64_t *version)
{
	MDB_txn *txn;
	MDB_val k = { strlen(key), (void *)key }, v;
	uint64_t gen;

	if (version != NULL)
		*version = 0;
	if (read_begin(s, &txn) != 0)
		return 0;
	gen = gen_unpack(mdb_get(txn, s->meta, &k, &v), &v);
	if (version != NULL)
		*version = (uint64_t)mdb_txn_id(txn);
	read_end(s);
	return gen;
}

static int
bump_generation(struct hub_store *s, MDB_txn *txn)
{
	return counter_bump(s, txn, "users_gen");
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
	return write_txn(s, "cannot add user", put_user, (void *)u);
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
	int rc = write_txn(s, "cannot add users", put_users, &m);

	*bad = m.bad;
	return rc;
}

static int del_user_tokens(struct hub_store *s, MDB_txn *txn, const char *user, size_t *n);

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
	return write_txn(s, "cannot change user", replace_user, (void *)u);
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
		rc = del_user_tokens(s, txn, arg, NULL);        /* a new user of that name gets none */
	return rc == 0 ? bump_generation(s, txn) : rc;
}

int
hub_store_user_del(struct hub_store *s, const char *name)
{
	return write_txn(s, "cannot delete user", del_user, (void *)name);
}

int
hub_store_user_each(struct hub_store *s, int (*fn)(void *ctx, const struct hub_user *u), void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	struct hub_user u;
	int rc;

	if (read_begin(s, &txn) != 0)
		return fail(s, "cannot read users", EIO);
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
	read_end(s);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : fail(s, "cannot list users", rc);
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
	return counter_read(s, "users_gen", version);
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

/* ---- places ---- */

/* The place record into buf (2 * HUB_PLACE_NAME_MAX + 2 bytes); its length. */
static size_t
place_pack(const struct hub_place *p, char *buf)
{
	size_t th = strnlen(p->name_th, HUB_PLACE_NAME_MAX);
	size_t en = strnlen(p->name_en, HUB_PLACE_NAME_MAX);

	memcpy(buf, p->name_th, th);
	buf[th] = '\0';
	memcpy(buf + th + 1, p->name_en, en);
	buf[th + 1 + en] = '\0';
	return th + en + 2;
}

static int
place_unpack(const MDB_val *k, const MDB_val *v, struct hub_place *p)
{
	const char *d = v->mv_data;
	size_t th = strnlen(d, v->mv_size);

	if (k->mv_size > HUB_AREA_MAX || th >= v->mv_size || th > HUB_PLACE_NAME_MAX)
		return -1;
	memcpy(p->code, k->mv_data, k->mv_size);
	p->code[k->mv_size] = '\0';
	memcpy(p->name_th, d, th + 1);
	snprintf(p->name_en, sizeof(p->name_en), "%.*s", (int)strnlen(d + th + 1, v->mv_size - th - 1),
		 d + th + 1);
	return 0;
}

static bool
place_exists_in(struct hub_store *s, MDB_txn *txn, const char *code)
{
	MDB_val k = { strlen(code), (void *)code }, v;

	return k.mv_size > 0 && mdb_get(txn, s->places, &k, &v) == 0;
}

bool
hub_store_place_exists(struct hub_store *s, const char *code)
{
	MDB_txn *txn;
	bool found;

	if (read_begin(s, &txn) != 0)
		return false;
	found = place_exists_in(s, txn, code);
	read_end(s);
	return found;
}

int
hub_store_place_each(struct hub_store *s, const char *prefix,
		     int (*fn)(void *ctx, const struct hub_place *p), void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k = { strlen(prefix), (void *)prefix }, v;
	struct hub_place p;
	int rc;

	if (read_begin(s, &txn) != 0)
		return fail(s, "cannot read places", EIO);
	rc = mdb_cursor_open(txn, s->places, &cur);
	if (rc == 0)
		rc = k.mv_size ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
			       : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0) {
		if (k.mv_size < strlen(prefix) || memcmp(k.mv_data, prefix, strlen(prefix)) != 0)
			break;
		if (place_unpack(&k, &v, &p) == 0 && fn(ctx, &p) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	read_end(s);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : fail(s, "cannot list places", rc);
}

static int
count_place(void *ctx, const struct hub_place *p)
{
	size_t *counts = ctx;

	counts[hub_area_level(p->code, strlen(p->code))]++;
	return 0;
}

int
hub_store_place_count(struct hub_store *s, size_t counts[HUB_LEVEL_VILLAGE + 1])
{
	memset(counts, 0, sizeof(size_t) * (HUB_LEVEL_VILLAGE + 1));
	return hub_store_place_each(s, "", count_place, counts);
}

int
hub_store_batch_begin(struct hub_store *s)
{
	int rc = begin(s, 0, &s->batch);

	return rc == 0 ? 0 : fail(s, "cannot begin", rc);
}

int
hub_store_batch_place_put(struct hub_store *s, const struct hub_place *p)
{
	char buf[2 * HUB_PLACE_NAME_MAX + 2];
	MDB_val k = { strlen(p->code), (void *)p->code }, v;
	int rc;

	v.mv_size = place_pack(p, buf);
	v.mv_data = buf;
	rc = mdb_put(s->batch, s->places, &k, &v, 0);
	return rc == 0 ? 0 : fail(s, "cannot write place", rc);
}

bool
hub_store_batch_place_exists(struct hub_store *s, const char *code)
{
	return place_exists_in(s, s->batch, code);
}

int
hub_store_batch_commit(struct hub_store *s)
{
	int rc = audit_carry(s, s->batch);

	if (rc == 0) {
		rc = mdb_txn_commit(s->batch);
		if (rc == 0)
			audit_carried(s);
	} else {
		mdb_txn_abort(s->batch);
	}
	s->batch = NULL;
	return rc == 0 ? 0 : fail(s, "cannot commit", rc);
}

void
hub_store_batch_abort(struct hub_store *s)
{
	if (s->batch != NULL)
		mdb_txn_abort(s->batch);
	s->batch = NULL;
}

void *
hub_store_env(struct hub_store *s)
{
	return s->env;
}

struct generic {
	int (*fn)(void *txn, void *arg);
	void *arg;
};

static int
run_generic(struct hub_store *s, MDB_txn *txn, void *arg)
{
	struct generic *g = arg;

	(void)s;
	return g->fn(txn, g->arg);
}

int
hub_store_write(struct hub_store *s, const char *what, int (*fn)(void *txn, void *arg), void *arg)
{
	struct generic g = { fn, arg };

	return write_txn(s, what, run_generic, &g);
}

int
hub_store_reserve(struct hub_store *s, size_t bytes)
{
	MDB_envinfo info;
	MDB_stat st;
	size_t used;
	int rc;

	rc = mdb_env_info(s->env, &info);
	if (rc == 0)
		rc = mdb_env_stat(s->env, &st);
	if (rc != 0)
		return fail(s, "cannot read the map size", rc);
	used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
	if (used + bytes <= info.me_mapsize)
		return 0;
	rc = grow(s);
	return rc == 0 ? 0 : fail(s, "cannot grow the map", rc);
}

int
hub_store_read_begin(struct hub_store *s, void **txn)
{
	MDB_txn *t;

	if (read_begin(s, &t) != 0)
		return fail(s, "cannot begin a read", EIO);
	*txn = t;
	return 0;
}

void
hub_store_read_end(struct hub_store *s)
{
	read_end(s);
}

/* ---- tokens ---- */

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
	put_le(b + TOKEN_CREATED_OFF, (uint64_t)t->created_ms, 8);
	put_le(b + TOKEN_USED_OFF, (uint64_t)t->last_used_ms, 8);
	put_le(b + TOKEN_EXPIRES_OFF, (uint64_t)t->expires_ms, 8);
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
	t->created_ms = (int64_t)get_le(b + TOKEN_CREATED_OFF, 8);
	t->last_used_ms = (int64_t)get_le(b + TOKEN_USED_OFF, 8);
	t->expires_ms = (int64_t)get_le(b + TOKEN_EXPIRES_OFF, 8);
	memcpy(t->label, b + TOKEN_LABEL_OFF, b[TOKEN_LABEL_LEN_OFF]);
	return 0;
}

static int
bump_tokens_gen(struct hub_store *s, MDB_txn *txn)
{
	return counter_bump(s, txn, "tokens_gen");
}

uint64_t
hub_store_tokens_generation(struct hub_store *s)
{
	return counter_read(s, "tokens_gen", NULL);
}

int
hub_store_token_get(struct hub_store *s, const uint8_t id[HUB_TOKEN_ID_LEN],
		    struct hub_token_rec *out)
{
	MDB_txn *txn;
	MDB_val k = { HUB_TOKEN_ID_LEN, (void *)id }, v;
	int rc;

	if (read_begin(s, &txn) != 0)
		return fail(s, "cannot read tokens", EIO);
	rc = mdb_get(txn, s->tokens, &k, &v);
	if (rc == 0 && token_unpack(&k, &v, out) != 0)
		rc = EINVAL;
	read_end(s);
	if (rc == MDB_NOTFOUND)
		return HUB_STORE_NOTFOUND;
	return rc == 0 ? 0 : fail(s, "cannot read token", rc);
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
	int rc = write_txn(s, "cannot add tokens", put_tokens, &b);

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
	return write_txn(s, "cannot revoke token", del_token, (void *)id);
}

/* Deletes user's tokens in txn (a scan: tokens are keyed by id); bumps the
 * tokens generation when there were any. n may be NULL. */
static int
del_user_tokens(struct hub_store *s, MDB_txn *txn, const char *user, size_t *n)
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

	return del_user_tokens(s, txn, a->user, &a->n);
}

int
hub_store_tokens_del_user(struct hub_store *s, const char *user, size_t *n)
{
	struct del_user_arg a = { user, 0 };
	int rc = write_txn(s, "cannot revoke tokens", run_del_user_tokens, &a);

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

	if (read_begin(s, &txn) != 0)
		return fail(s, "cannot read tokens", EIO);
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
	read_end(s);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : fail(s, "cannot list tokens", rc);
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
		if ((int64_t)get_le((const uint8_t *)v.mv_data + TOKEN_USED_OFF, 8) >= a->u[i].ms)
			continue;
		memcpy(rec, v.mv_data, TOKEN_REC_LEN);
		put_le(rec + TOKEN_USED_OFF, (uint64_t)a->u[i].ms, 8);
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

	return n == 0 ? 0 : write_txn(s, "cannot record token use", touch_tokens, &a);
}

/* ---- audit ---- */

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
static int
audit_carry(struct hub_store *s, MDB_txn *txn)
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
static void
audit_carried(struct hub_store *s)
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
		rc = write_txn(s, "cannot write the audit record",
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
	if (read_begin(s, &txn) != 0)
		return fail(s, "cannot read the audit", EIO);
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
	read_end(s);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : fail(s, "cannot list the audit", rc);
}
