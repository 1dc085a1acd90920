/* store.c - the LMDB directory: its environment and transactions, the meta
 * records and the place registry. The users, tokens and audit tables are in
 * store_users.c, store_tokens.c and store_audit.c (each with its record's
 * layout at its top); store_int.h is what the four share.
 *
 * One environment, named databases "meta", "users", "places", "tokens" and
 * "audit" (history.c adds "msgs", "ids" and "idx"; receipts.c adds "receipts",
 * whose layout is at its top). Keys are the username or area code without
 * NUL, the 16-byte token id, or the audit key. The records here:
 *
 *   places  name_th, NUL, name_en, NUL (each at most HUB_PLACE_NAME_MAX bytes)
 *   meta    "schema"    -> "np-hub/1"
 *           "users_gen" -> u64 little-endian, bumped by every user add, change and
 *                          delete
 *           "tokens_gen" -> u64 little-endian, bumped by every token revocation
 *           "stamp_lease" -> u64 little-endian ms no stamp is past (history.c's)
 *           other names -> hub_store_secret's random bytes
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
#include <unistd.h>

#include "store_int.h"

#define SCHEMA "np-hub/1"
#define INITIAL_MAP (64u << 20)

#define USERS_GEN_LEN 8         /* the meta counters: u64 little-endian */

int
store_fail(struct hub_store *s, const char *what, int rc)
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

int
store_read_begin(struct hub_store *s, MDB_txn **txn)
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
		return store_read_begin(s, txn);
	}
	*txn = s->rtxn;
	return rc;
}

void
store_read_end(struct hub_store *s)
{
	mdb_txn_reset(s->rtxn);
}

/* Runs fn in a write transaction, growing the map and retrying when it is full. */
int
store_write_txn(struct hub_store *s, const char *what, store_txn_fn *fn, void *arg)
{
	MDB_txn *txn = NULL;
	int rc;

	for (;;) {
		rc = begin(s, 0, &txn);
		if (rc != 0)
			return store_fail(s, what, rc);
		rc = fn(s, txn, arg);
		if (rc == 0)
			rc = store_audit_carry(s, txn);
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		if (rc == 0)
			store_audit_carried(s);
		if (rc != MDB_MAP_FULL)
			break;
		rc = grow(s);
		if (rc != 0)
			return store_fail(s, what, rc);
	}
	if (rc == HUB_STORE_EXISTS || rc == HUB_STORE_NOTFOUND)
		return rc;
	return rc == 0 ? 0 : store_fail(s, what, rc);
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
		return store_fail(s, "cannot begin transaction", rc);
	rc = mdb_dbi_open(txn, "meta", f, &s->meta);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "users", f, &s->users);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "places", f, &s->places);
	if (rc == 0 && ((rc = mdb_dbi_open(txn, "tokens", f, &s->tokens)) != 0
			|| (rc = mdb_dbi_open(txn, "audit", f, &s->audit)) != 0) && !create) {
		if (rc != MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			return store_fail(s, "cannot open tables", rc);
		}
		/* a database from before tokens or audit: keep the handles, add the tables */
		rc = mdb_txn_commit(txn);
		return rc == 0 ? store_write_txn(s, "cannot add the tokens and audit tables", open_added,
					   NULL)
			       : store_fail(s, "cannot commit", rc);
	}
	if (rc == 0) {
		rc = mdb_txn_commit(txn);
		return rc == 0 ? 0 : store_fail(s, "cannot commit", rc);
	}
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND) {
		snprintf(s->err, sizeof(s->err), "database is not initialised (run np-admin init)");
		return HUB_STORE_ERROR;
	}
	return store_fail(s, "cannot open tables", rc);
}

static int
check_schema(struct hub_store *s)
{
	MDB_txn *txn;
	MDB_val k = { 6, "schema" }, v;
	int rc;

	if (store_read_begin(s, &txn) != 0)
		return store_fail(s, "cannot read", EIO);
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == 0 && !(v.mv_size == strlen(SCHEMA) && memcmp(v.mv_data, SCHEMA, v.mv_size) == 0))
		rc = EINVAL;
	store_read_end(s);
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
		rc = mdb_env_set_maxdbs(s->env, 32);   /* named tables: room for more */
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
			store_fail(s, "cannot open database", rc);
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
	return store_write_txn(s, "cannot initialise", put_meta, NULL);
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

	return store_write_txn(s, "cannot keep a secret", get_or_make_secret, &a);
}

void
store_put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t
store_get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* The "users_gen" meta record; 0 when it is absent or not 8 bytes. */
static uint64_t
gen_unpack(int found, const MDB_val *v)
{
	return found == 0 && v->mv_size == USERS_GEN_LEN ? store_get_le(v->mv_data, USERS_GEN_LEN) : 0;
}

int
store_counter_bump(struct hub_store *s, MDB_txn *txn, const char *key)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	uint8_t b[USERS_GEN_LEN];
	uint64_t gen;

	gen = gen_unpack(mdb_get(txn, s->meta, &k, &v), &v);
	store_put_le(b, gen + 1, USERS_GEN_LEN);
	v.mv_size = USERS_GEN_LEN;
	v.mv_data = b;
	return mdb_put(txn, s->meta, &k, &v, 0);
}

/* The meta counter key (0 when absent), read in a transaction of its own;
 * *version (may be NULL) gets that transaction's id, 0 when it failed. */
uint64_t
store_counter_read(struct hub_store *s, const char *key, uint64_t *version)
{
	MDB_txn *txn;
	MDB_val k = { strlen(key), (void *)key }, v;
	uint64_t gen;

	if (version != NULL)
		*version = 0;
	if (store_read_begin(s, &txn) != 0)
		return 0;
	gen = gen_unpack(mdb_get(txn, s->meta, &k, &v), &v);
	if (version != NULL)
		*version = (uint64_t)mdb_txn_id(txn);
	store_read_end(s);
	return gen;
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

	if (store_read_begin(s, &txn) != 0)
		return false;
	found = place_exists_in(s, txn, code);
	store_read_end(s);
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

	if (store_read_begin(s, &txn) != 0)
		return store_fail(s, "cannot read places", EIO);
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
	store_read_end(s);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : store_fail(s, "cannot list places", rc);
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

	return rc == 0 ? 0 : store_fail(s, "cannot begin", rc);
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
	return rc == 0 ? 0 : store_fail(s, "cannot write place", rc);
}

bool
hub_store_batch_place_exists(struct hub_store *s, const char *code)
{
	return place_exists_in(s, s->batch, code);
}

int
hub_store_batch_commit(struct hub_store *s)
{
	int rc = store_audit_carry(s, s->batch);

	if (rc == 0) {
		rc = mdb_txn_commit(s->batch);
		if (rc == 0)
			store_audit_carried(s);
	} else {
		mdb_txn_abort(s->batch);
	}
	s->batch = NULL;
	return rc == 0 ? 0 : store_fail(s, "cannot commit", rc);
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

	return store_write_txn(s, what, run_generic, &g);
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
		return store_fail(s, "cannot read the map size", rc);
	used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
	if (used + bytes <= info.me_mapsize)
		return 0;
	rc = grow(s);
	return rc == 0 ? 0 : store_fail(s, "cannot grow the map", rc);
}

int
hub_store_read_begin(struct hub_store *s, void **txn)
{
	MDB_txn *t;

	if (store_read_begin(s, &t) != 0)
		return store_fail(s, "cannot begin a read", EIO);
	*txn = t;
	return 0;
}

void
hub_store_read_end(struct hub_store *s)
{
	store_read_end(s);
}
