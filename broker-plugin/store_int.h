/* store_int.h - what store.c, store_users.c, store_tokens.c and store_audit.c
 * share: the store's handle and its transaction helpers. The rest of the
 * plugin and np-admin use store.h only. */
#ifndef NP_STORE_INT_H
#define NP_STORE_INT_H

#include <lmdb.h>
#include <stdint.h>

#include "store.h"

#define STORE_AUDIT_KEY_LEN 12  /* ms (8, big-endian), then a sequence number (4) */

struct hub_store {
	MDB_env *env;
	MDB_dbi meta, users, places, tokens, audit;
	MDB_txn *rtxn;          /* reset between reads, renewed for the next */
	MDB_txn *batch;
	struct hub_audit_rec staged;    /* hub_store_audit_stage's record */
	bool audit_staged;              /* staged holds a record not yet finished */
	bool audit_written;             /* ... that a committed transaction carried */
	uint8_t audit_key[STORE_AUDIT_KEY_LEN];       /* where it was written */
	char err[256];
};

/* Sets the store's error text ("what: LMDB's words") and returns HUB_STORE_ERROR. */
int store_fail(struct hub_store *s, const char *what, int rc);
/* The store's one read transaction, renewed (0), or -1; store_read_end resets it. */
int store_read_begin(struct hub_store *s, MDB_txn **txn);
void store_read_end(struct hub_store *s);

typedef int store_txn_fn(struct hub_store *s, MDB_txn *txn, void *arg);
/* Runs fn in a write transaction with the staged audit record, if any,
 * growing the map and retrying when it is full; fn's HUB_STORE_EXISTS and
 * HUB_STORE_NOTFOUND are returned as they are, other errors set the text. */
int store_write_txn(struct hub_store *s, const char *what, store_txn_fn *fn, void *arg);

/* n bytes little-endian */
void store_put_le(uint8_t *p, uint64_t v, int n);
uint64_t store_get_le(const uint8_t *p, int n);
/* The meta counters ("users_gen", "tokens_gen"): +1 in txn; read in a
 * transaction of its own (*version, may be NULL: its id, 0 when it failed). */
int store_counter_bump(struct hub_store *s, MDB_txn *txn, const char *key);
uint64_t store_counter_read(struct hub_store *s, const char *key, uint64_t *version);

/* store_tokens.c: deletes the user's tokens in txn (*n, may be NULL: how many). */
int store_del_user_tokens(struct hub_store *s, MDB_txn *txn, const char *user, size_t *n);
/* store_audit.c: adds the staged record to txn (when no transaction carried
 * it yet); after the commit, store_audit_carried marks it written. */
int store_audit_carry(struct hub_store *s, MDB_txn *txn);
void store_audit_carried(struct hub_store *s);

#endif
