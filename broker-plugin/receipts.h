/* receipts.h - the reach of announcements (DESIGN.md "Feeds", "Reach"): the
 * receipts table in the store's LMDB environment (which villages got, or
 * opened, which announcement), outside the history, and the villages an
 * announcement targets (registered villages that have a volunteer), kept in
 * memory and rebuilt when np-admin changes users. Knows nothing of MQTT or
 * protobuf: reach.c decodes, checks and answers. Borrows the store; a write
 * wants no other write transaction of this process open (plugin.c commits
 * the history batch first). */
#ifndef NP_RECEIPTS_H
#define NP_RECEIPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define HUB_RECEIPT_ID_LEN 16
#define HUB_PROVINCES_MAX 100           /* two-digit province codes */

enum hub_receipt_state { HUB_RECEIPT_DELIVERED = 1, HUB_RECEIPT_READ = 2 };

struct hub_receipts;

int hub_receipts_open(struct hub_receipts **out, struct hub_store *s, char *err, size_t errlen);
void hub_receipts_close(struct hub_receipts *r);        /* NULL is fine */
const char *hub_receipts_error(const struct hub_receipts *r);

/* Records that village (8 digits) reached state for each of the n ids, in one
 * write transaction: READ also records DELIVERED. A (id, state, village)
 * already recorded stays as it was (idempotent; the first time is kept).
 * *added gets the records that are new. 0, or HUB_STORE_ERROR. */
int hub_receipts_put(struct hub_receipts *r, const char *village, enum hub_receipt_state state,
		     const uint8_t (*ids)[HUB_RECEIPT_ID_LEN], size_t n, int64_t now_ms,
		     size_t *added);

/* Deletes every receipt of announcement id (both states) in the caller's
 * write transaction txn (an MDB_txn *): retention drops them with the
 * announcement (reach.c hooks this into history.c's expiry). 0, or an
 * MDB/errno code (the caller aborts txn). */
int hub_receipts_drop_txn(struct hub_receipts *r, void *txn, const uint8_t id[HUB_RECEIPT_ID_LEN]);
/* The receipts held, all announcements and states: 0, or HUB_STORE_ERROR. */
int hub_receipts_count(struct hub_receipts *r, size_t *n);

struct hub_reach_province {
	char code[3];
	uint32_t targeted, delivered, read;
};

/* The reach of announcement id to area (TH, or a code): the counts over every
 * targeted village within area, and up to limit villages not reached (no
 * DELIVERED) after the village code after ("" from the first), in code order,
 * copied to not_reached (limit x 9 bytes, NUL-terminated codes). */
struct hub_reach_result {
	uint32_t targeted, delivered, read;
	size_t nprov;
	struct hub_reach_province prov[HUB_PROVINCES_MAX];
	size_t n_not_reached;
	bool more;                      /* more not-reached villages after the last */
};
int hub_receipts_reach(struct hub_receipts *r, const uint8_t id[HUB_RECEIPT_ID_LEN],
		       const char *area, const char *after, size_t limit, char (*not_reached)[9],
		       struct hub_reach_result *out);

/* The targeted villages within area: how many (rebuilt first if users
 * changed). HUB_STORE_ERROR when the users cannot be read. */
int hub_receipts_targeted(struct hub_receipts *r, const char *area, size_t *n);

#endif
