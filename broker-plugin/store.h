/* store.h - the LMDB directory of DESIGN.md: users, the place registry and meta
 * records, shared by the plugin and np-admin (also while both have it open).
 * Every function returns 0, HUB_STORE_NOTFOUND, HUB_STORE_EXISTS or
 * HUB_STORE_ERROR; hub_store_error() then says what went wrong. */
#ifndef NP_STORE_H
#define NP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdf.h"
#include "token.h"
#include "vocab.h"

#define HUB_STORE_NOTFOUND 1
#define HUB_STORE_EXISTS 2
#define HUB_STORE_ERROR (-1)

#define HUB_PLACE_NAME_MAX 255

struct hub_store;

struct hub_user {
	char name[HUB_USERNAME_MAX + 1];
	enum hub_role role;
	char area[HUB_AREA_MAX + 1];
	uint16_t categories;
	uint32_t iterations;
	uint8_t salt[HUB_KDF_SALT_LEN];
	uint8_t hash[HUB_KDF_HASH_LEN];
};

struct hub_place {
	char code[HUB_AREA_MAX + 1];
	char name_th[HUB_PLACE_NAME_MAX + 1];
	char name_en[HUB_PLACE_NAME_MAX + 1];
};

enum { HUB_STORE_CREATE = 1, HUB_STORE_READONLY = 2 };

/* Opens DIR. Without HUB_STORE_CREATE the directory must exist and hold an
 * initialised database. On failure *out is NULL and err says why. */
int hub_store_open(struct hub_store **out, const char *dir, int flags, char *err, size_t errlen);
void hub_store_close(struct hub_store *s);      /* NULL is fine */
const char *hub_store_error(const struct hub_store *s);
/* Marks the database initialised (np-admin init); idempotent. */
int hub_store_init(struct hub_store *s);
/* The meta record name: len random bytes, made (and kept) on first use. */
int hub_store_secret(struct hub_store *s, const char *name, uint8_t *out, size_t len);

int hub_store_user_get(struct hub_store *s, const char *name, struct hub_user *out);
int hub_store_user_add(struct hub_store *s, const struct hub_user *u);   /* EXISTS if taken */
/* n users in one transaction, all or none; on EXISTS *bad is the index taken. */
int hub_store_users_add(struct hub_store *s, const struct hub_user *u, size_t n, size_t *bad);
int hub_store_user_del(struct hub_store *s, const char *name);
/* Replaces the record of the user named u->name; NOTFOUND when there is none. */
int hub_store_user_update(struct hub_store *s, const struct hub_user *u);
/* Calls fn for every user in name order; stops early when fn returns non-zero. */
int hub_store_user_each(struct hub_store *s, int (*fn)(void *ctx, const struct hub_user *u),
			void *ctx);
/* Counts user changes; the plugin compares it to notice adds, changes and deletes. */
uint64_t hub_store_users_generation(struct hub_store *s);
/* A number that changes whenever any process commits to the directory (LMDB's
 * last transaction id): costs a read of the shared map, so it may be asked
 * before every decision; when it is unchanged, nothing in the store is. */
uint64_t hub_store_version(struct hub_store *s);
/* The users generation and, in *version, the version of the snapshot it was
 * read from (compare that, not an earlier hub_store_version, with later ones). */
uint64_t hub_store_users_seen(struct hub_store *s, uint64_t *version);

bool hub_store_place_exists(struct hub_store *s, const char *code);
/* Places whose code starts with prefix ("" for all), in code order. */
int hub_store_place_each(struct hub_store *s, const char *prefix,
			 int (*fn)(void *ctx, const struct hub_place *p), void *ctx);

/* A batch of place writes in one transaction: begin, put..., commit or abort.
 * hub_store_batch_place_exists sees the batch's own writes. */
int hub_store_batch_begin(struct hub_store *s);
int hub_store_batch_place_put(struct hub_store *s, const struct hub_place *p);
bool hub_store_batch_place_exists(struct hub_store *s, const char *code);
int hub_store_batch_commit(struct hub_store *s);
void hub_store_batch_abort(struct hub_store *s);
/* For history.c, which keeps its own tables in the same environment: the
 * MDB_env *, and a write transaction (MDB_txn * passed to fn) that is retried
 * after growing the map when it is full. fn returns 0 or an MDB/errno code. */
void *hub_store_env(struct hub_store *s);
int hub_store_write(struct hub_store *s, const char *what, int (*fn)(void *txn, void *arg),
		    void *arg);
/* Grows the map now if fewer than bytes are left in it (call with no write
 * transaction of this process open), so a transaction rarely meets a full map. */
int hub_store_reserve(struct hub_store *s, size_t bytes);
/* A read transaction (MDB_txn *) reused across calls; end it before the next. */
int hub_store_read_begin(struct hub_store *s, void **txn);
void hub_store_read_end(struct hub_store *s);
/* Counts places per level (index enum hub_level) */
int hub_store_place_count(struct hub_store *s, size_t counts[HUB_LEVEL_VILLAGE + 1]);

/* ---- device tokens (token.h): only the SHA-256 of a secret is kept ---- */
struct hub_token_rec {
	uint8_t id[HUB_TOKEN_ID_LEN];
	char user[HUB_USERNAME_MAX + 1];
	uint8_t hash[HUB_TOKEN_HASH_LEN];
	char label[HUB_TOKEN_LABEL_MAX + 1];
	int64_t created_ms, last_used_ms, expires_ms;   /* 0: never used, never expires */
};

/* A last-used time to record (hub_store_tokens_touch). */
struct hub_token_use {
	uint8_t id[HUB_TOKEN_ID_LEN];
	int64_t ms;
};

int hub_store_token_get(struct hub_store *s, const uint8_t id[HUB_TOKEN_ID_LEN],
			struct hub_token_rec *out);
/* n tokens in one transaction, all or none. Every token's user must exist:
 * NOTFOUND and *bad is the index of the first whose user does not. */
int hub_store_tokens_add(struct hub_store *s, const struct hub_token_rec *t, size_t n,
			 size_t *bad);
/* Revokes (deletes) one token: NOTFOUND when there is none with that id. */
int hub_store_token_del(struct hub_store *s, const uint8_t id[HUB_TOKEN_ID_LEN]);
/* Revokes every token of user; *n gets how many (0 is no error). */
int hub_store_tokens_del_user(struct hub_store *s, const char *user, size_t *n);
/* Calls fn for every token (of user, or all when user is NULL) in id order;
 * stops early when fn returns non-zero. */
int hub_store_token_each(struct hub_store *s, const char *user,
			 int (*fn)(void *ctx, const struct hub_token_rec *t), void *ctx);
/* Records n last-used times in one transaction (a later time only; tokens
 * revoked meanwhile are skipped). */
int hub_store_tokens_touch(struct hub_store *s, const struct hub_token_use *u, size_t n);
/* Counts revocations (token del, del_user, user del); the plugin compares it
 * to cut the sessions of revoked tokens. */
uint64_t hub_store_tokens_generation(struct hub_store *s);

/* ---- audit: one record per changing command, kept oldest first ---- */
#define HUB_AUDIT_ACTOR_MAX 127
#define HUB_AUDIT_TEXT_MAX 255
struct hub_audit_rec {
	int64_t ms;                                     /* when; the store sets it */
	char actor[HUB_AUDIT_ACTOR_MAX + 1];            /* "local:alice"; a remote admin's later */
	char command[HUB_AUDIT_TEXT_MAX + 1];           /* the command words, no secret */
	char target[HUB_AUDIT_TEXT_MAX + 1];            /* users, place file, token ids, counts */
	char result[HUB_AUDIT_TEXT_MAX + 1];            /* "ok" or the error sentence */
};

/* Copies a (result "ok") to be written by the next write transaction of s that
 * commits: the change and its record commit together. Stage before the
 * change; hub_store_audit_finish then ends the command. */
void hub_store_audit_stage(struct hub_store *s, const struct hub_audit_rec *a);
/* Ends the staged record with result: written now, alone, when no transaction
 * carried it (a refused command); its result replaced when one did and result
 * is not "ok" (a later step failed): one record per command. No-op when
 * nothing is staged. */
int hub_store_audit_finish(struct hub_store *s, const char *result);
/* Calls fn for every record from since_ms on, oldest first; stops early when
 * fn returns non-zero. */
int hub_store_audit_each(struct hub_store *s, int64_t since_ms,
			 int (*fn)(void *ctx, const struct hub_audit_rec *a), void *ctx);

#endif
