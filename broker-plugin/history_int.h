/* history_int.h - what history.c, history_scan.c and history_expire.c
 * share: the handle, the msgs record's reader and the index key's bytes
 * (history.c's top says the layout). The rest of the plugin uses history.h. */
#ifndef NP_HISTORY_INT_H
#define NP_HISTORY_INT_H

#include <lmdb.h>

#include "history.h"
#include "idset.h"

#define INDEX_KEY_MAX (1 + HUB_USERNAME_MAX)
#define MSG_TOPIC_MAX 65535
#define HID_LEN 8
#define ENVELOPE_ID_LEN 16

struct hub_history {
	struct hub_store *store;
	MDB_env *env;
	MDB_dbi msgs, ids, idx, meta, withdrawn;
	struct hub_idset gone;  /* the withdrawn table in memory, batch included */
	bool gone_batched;      /* the open batch withdrew some: reload if it is lost */
	uint64_t last_hid;
	int64_t lease_ms;       /* no stamp given out is past it (on disk once committed) */
	bool lease_due;         /* the batch moved it: commit now */
	MDB_txn *txn;           /* the open batch, or NULL */
	struct hub_hist_hook hooks[HUB_HIST_HOOKS_MAX];        /* ctx NULL: a free slot */
	size_t batched;
	int64_t batch_started_ms;
	int sync_ms;
	int64_t next_sync_ms;
	bool dirty;
	char err[256];
};

/* Sets the error text ("what: LMDB's words"); HUB_STORE_ERROR. */
int hist_fail(struct hub_history *h, const char *what, int rc);
/* The record v of hid into *it: its topic copied, NUL-terminated, into topic
 * (topiclen bytes), its payload borrowed from v. 0, or MDB_CORRUPTED. */
int hist_msg_unpack(const MDB_val *v, uint64_t hid, struct hub_hist_item *it, char *topic,
		    size_t topiclen);
/* The message of hid in txn into *it (as hist_msg_unpack); LMDB's error. */
int hist_get_msg(struct hub_history *h, MDB_txn *txn, uint64_t hid, struct hub_hist_item *it,
		 char *topic, size_t topiclen);
/* The idx key of k, its bytes in buf (INDEX_KEY_MAX + 1 bytes). */
MDB_val hist_key_val(const struct hub_hist_key *k, char *buf);

#endif
