/* auth.c - logins and the per-user principal cache (uthash, keyed by username).
 * The cache is only a cache: a miss reads the user from LMDB, so sessions that
 * outlive a broker restart still get their principal.
 *
 * Live changes (np-admin is another process on the same LMDB directory):
 * before every answer the cache asks the store whether anyone committed since
 * it last looked (hub_store_version: a read of LMDB's shared meta page, no
 * transaction), and only then reads the users generation; when that moved,
 * the cached users are compared with the store in one pass. A user deleted,
 * or whose role, area, categories or password (salt) changed, is *pending*:
 * it has no principal, so its sessions are denied everything, until plugin.c
 * has disconnected the sessions that logged in before the change. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "auth.h"
#include "kdf.h"

#define CRED_LEN 32

struct entry {
	char name[HUB_USERNAME_MAX + 1];
	struct hub_principal p;
	uint8_t salt[HUB_KDF_SALT_LEN];
	uint8_t cred[CRED_LEN];
	bool has_cred;
	bool seen;              /* found in the store by the last resync */
	UT_hash_handle hh;
};

/* A user whose live sessions predate a change to it. */
struct pending {
	char name[HUB_USERNAME_MAX + 1];
	UT_hash_handle hh;
};

struct hub_auth {
	struct hub_store *store;
	struct entry *users;
	uint8_t key[CRED_LEN];
	uint8_t dummy_hash[HUB_KDF_HASH_LEN];   /* matches no password */
	uint32_t typical_iterations;    /* of the last user checked: what a miss costs too */
	uint64_t generation;
	uint64_t version;       /* of the store when generation was read */
	struct pending *pending;
};

int
hub_auth_new(struct hub_auth **out, struct hub_store *store)
{
	struct hub_auth *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (a == NULL)
		return -1;
	if (RAND_bytes(a->key, sizeof(a->key)) != 1) {
		free(a);
		return -1;
	}
	a->store = store;
	a->typical_iterations = HUB_KDF_DEFAULT_ITERATIONS;
	a->generation = hub_store_users_seen(store, &a->version);
	*out = a;
	return 0;
}

static void
drop(struct hub_auth *a, struct entry *e)
{
	HASH_DEL(a->users, e);
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}

void
hub_auth_free(struct hub_auth *a)
{
	struct entry *e, *tmp;
	struct pending *k, *ktmp;

	if (a == NULL)
		return;
	HASH_ITER(hh, a->users, e, tmp)
		drop(a, e);
	HASH_ITER(hh, a->pending, k, ktmp) {
		HASH_DEL(a->pending, k);
		free(k);
	}
	OPENSSL_cleanse(a->key, sizeof(a->key));
	free(a);
}

static void
fill(struct entry *e, const struct hub_user *u)
{
	snprintf(e->name, sizeof(e->name), "%s", u->name);
	e->p.username = e->name;
	e->p.role = u->role;
	snprintf(e->p.scope, sizeof(e->p.scope), "%s", u->area);
	e->p.categories = u->categories;
	if (memcmp(e->salt, u->salt, sizeof(e->salt)) != 0) {
		memcpy(e->salt, u->salt, sizeof(e->salt));
		e->has_cred = false;
	}
}

static void
mark_pending(struct hub_auth *a, const char *name)
{
	struct pending *k;

	HASH_FIND_STR(a->pending, name, k);
	if (k != NULL)
		return;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return;         /* out of memory: its sessions stay, with the new rights */
	snprintf(k->name, sizeof(k->name), "%s", name);
	HASH_ADD_STR(a->pending, name, k);
}

static void
forget(struct hub_auth *a, const char *name)
{
	struct entry *e;

	HASH_FIND_STR(a->users, name, e);
	if (e != NULL) {
		mark_pending(a, name);
		drop(a, e);
	}
}

/* Does u still hold what e's sessions were admitted with? */
static bool
unchanged(const struct entry *e, const struct hub_user *u)
{
	return e->p.role == u->role && strcmp(e->p.scope, u->area) == 0
	       && e->p.categories == u->categories
	       && memcmp(e->salt, u->salt, sizeof(e->salt)) == 0;
}

/* Refreshes e from the store's u; a change found here (np-admin committed
 * between the last look and this read) makes the user pending, exactly as the
 * look would have: no session admitted with the old state survives it. */
static void
refresh(struct hub_auth *a, struct entry *e, const struct hub_user *u)
{
	if (!unchanged(e, u))
		mark_pending(a, u->name);
	fill(e, u);
}

static struct entry *
upsert(struct hub_auth *a, const struct hub_user *u)
{
	struct entry *e;

	HASH_FIND_STR(a->users, u->name, e);
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return NULL;
		fill(e, u);
		HASH_ADD_STR(a->users, name, e);
		return e;
	}
	refresh(a, e, u);
	return e;
}

static int
resync_one(void *ctx, const struct hub_user *u)
{
	struct hub_auth *a = ctx;
	struct entry *e;

	HASH_FIND_STR(a->users, u->name, e);
	if (e == NULL)
		return 0;
	e->seen = true;
	if (!unchanged(e, u)) {
		mark_pending(a, u->name);
		fill(e, u);
	}
	return 0;
}

/* Brings every cached user in line with the store in one pass over its users:
 * gone users are dropped, changed ones refreshed (a new salt also drops the
 * remembered password); both become pending. */
static int
resync(struct hub_auth *a)
{
	struct entry *e, *tmp;

	HASH_ITER(hh, a->users, e, tmp)
		e->seen = false;
	if (hub_store_user_each(a->store, resync_one, a) != 0)
		return -1;      /* unreadable now: nothing dropped on a guess */
	HASH_ITER(hh, a->users, e, tmp) {
		if (!e->seen)
			forget(a, e->name);
	}
	return 0;
}

/* One read of the shared meta page when no process committed since the last
 * look; the users generation (one LMDB read) only when one did. */
static void
sync_users(struct hub_auth *a)
{
	uint64_t gen, version;

	if (hub_store_version(a->store) == a->version)
		return;
	gen = hub_store_users_seen(a->store, &version);
	if (version == 0)
		return;
	if (gen != a->generation) {
		if (resync(a) != 0)
			return;         /* looked at again next time: no change is lost */
		a->generation = gen;
	}
	a->version = version;
}

static void
cred_of(const struct hub_auth *a, const char *password, uint8_t out[CRED_LEN])
{
	unsigned len = CRED_LEN;

	HMAC(EVP_sha256(), a->key, sizeof(a->key), (const unsigned char *)password,
	     strlen(password), out, &len);
}

bool
hub_auth_known(struct hub_auth *a, const char *username, const char *password)
{
	struct hub_user u;
	struct entry *e;
	uint8_t cred[CRED_LEN];
	bool ok;

	if (username == NULL || password == NULL)
		return false;
	sync_users(a);
	HASH_FIND_STR(a->users, username, e);
	if (e == NULL || !e->has_cred || hub_store_user_get(a->store, username, &u) != 0)
		return false;
	cred_of(a, password, cred);
	ok = memcmp(e->salt, u.salt, sizeof(u.salt)) == 0
	     && CRYPTO_memcmp(e->cred, cred, CRED_LEN) == 0;
	OPENSSL_cleanse(cred, sizeof(cred));
	return ok;
}

enum hub_refusal
hub_auth_login(struct hub_auth *a, const char *username, const char *password)
{
	struct hub_user u;
	struct entry *e;
	uint8_t cred[CRED_LEN];
	int rc;

	if (username == NULL)
		return HUB_R_NO_USERNAME;
	if (password == NULL)
		return HUB_R_NO_PASSWORD;
	if (!hub_username_valid(username, strlen(username)))
		return HUB_R_UNKNOWN_USER;
	sync_users(a);
	rc = hub_store_user_get(a->store, username, &u);
	if (rc == HUB_STORE_NOTFOUND) {
		forget(a, username);
		/* the same KDF as a wrong password, so timing tells no names */
		hub_kdf_verify(password, strlen(password), a->typical_iterations, a->key,
			       a->dummy_hash);
		return HUB_R_UNKNOWN_USER;
	}
	if (rc != 0)
		return HUB_R_USER_DB;
	cred_of(a, password, cred);
	HASH_FIND_STR(a->users, username, e);
	if (e != NULL && e->has_cred && memcmp(e->salt, u.salt, sizeof(u.salt)) == 0
	    && CRYPTO_memcmp(e->cred, cred, CRED_LEN) == 0) {
		refresh(a, e, &u);
		return HUB_OK;
	}
	a->typical_iterations = u.iterations;
	if (!hub_kdf_verify(password, strlen(password), u.iterations, u.salt, u.hash))
		return HUB_R_WRONG_PASSWORD;
	e = upsert(a, &u);
	if (e == NULL)
		return HUB_R_NOMEM;
	memcpy(e->cred, cred, CRED_LEN);
	e->has_cred = true;
	OPENSSL_cleanse(cred, sizeof(cred));
	return HUB_OK;
}

const struct hub_principal *
hub_auth_principal(struct hub_auth *a, const char *username)
{
	struct hub_user u;
	struct entry *e;
	struct pending *k;

	if (username == NULL)
		return NULL;
	sync_users(a);
	HASH_FIND_STR(a->pending, username, k);
	if (k != NULL)
		return NULL;
	HASH_FIND_STR(a->users, username, e);
	if (e != NULL)
		return &e->p;
	if (hub_store_user_get(a->store, username, &u) != 0)
		return NULL;
	e = upsert(a, &u);
	return e ? &e->p : NULL;
}

void
hub_auth_tick(struct hub_auth *a)
{
	sync_users(a);
}

void
hub_auth_take_pending(struct hub_auth *a, void (*fn)(void *arg, const char *name), void *arg)
{
	struct pending *k, *tmp;
	char name[HUB_USERNAME_MAX + 1];

	HASH_ITER(hh, a->pending, k, tmp) {
		HASH_DEL(a->pending, k);
		memcpy(name, k->name, sizeof(name));
		free(k);
		fn(arg, name);
	}
}

bool
hub_auth_settle(struct hub_auth *a, const char *username)
{
	struct pending *k;

	HASH_FIND_STR(a->pending, username, k);
	if (k == NULL)
		return false;
	HASH_DEL(a->pending, k);
	free(k);
	return true;
}
