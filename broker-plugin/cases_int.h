/* cases_int.h - what cases.c and case_walk.c share: the handle and the
 * index's keys (cases.c's top says the layout). The rest of the plugin uses
 * cases.h only. */
#ifndef NP_CASES_INT_H
#define NP_CASES_INT_H

#include <lmdb.h>

#include "cases.h"

#define IDX_AREA_MAX 4    /* the index's deepest area: the district (a village walks it) */
#define KEY_MAX (2 + HUB_USERNAME_MAX)

struct hub_cases {
	struct hub_store *store;
	struct hub_history *history;
	MDB_dbi cases, idx, meta;
	char err[256];
};

/* Sets the error text ("what: LMDB's words"); HUB_STORE_ERROR. */
int cases_fail(struct hub_cases *c, const char *what, int rc);
/* The case of index value v (hid, id): its record, or the open case its
 * report makes; MDB_NOTFOUND, MDB_CORRUPTED or LMDB's error otherwise. */
int cases_case_at(struct hub_cases *c, MDB_txn *txn, const uint8_t v[HUB_CASE_CURSOR_LEN],
		  struct hub_case *k);
/* The index keys into buf (KEY_MAX bytes): the cases of a state and kind in
 * an area (its first n bytes), and those assigned to user; their lengths. */
size_t cases_state_key(char *buf, int state, int kind, const char *area, size_t n);
size_t cases_assignee_key(char *buf, const char *user);

#endif
