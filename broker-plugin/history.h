/* history.h - every accepted message, kept in LMDB: by arrival (hid), by id
 * (deduplication) and by place (pages for a filter without scanning unrelated
 * messages). Knows nothing of MQTT or protobuf: topics are read with topic.c,
 * payloads are opaque, and the caller says how to find a payload's id. */
#ifndef NP_HISTORY_H
#define NP_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refusal.h"
#include "store.h"

#define HUB_HID_MS(hid) ((int64_t)((hid) >> 16))
#define HUB_HID_MAX_MS ((int64_t)((1ull << 48) - 1))   /* the year 10889 */

struct hub_history;

/* Opens (creating) the history tables in s's environment. sync_ms 0: every
 * commit is flushed to disk before it returns; otherwise commits reach the OS
 * at once (so a killed process loses nothing) and are flushed by
 * hub_history_tick at most sync_ms later (an OS crash may lose that much). */
int hub_history_open(struct hub_history **out, struct hub_store *s, int sync_ms, char *err,
		     size_t errlen);
void hub_history_close(struct hub_history *h);          /* NULL is fine */
const char *hub_history_error(const struct hub_history *h);

/* A new history id: received_at_ms << 16 | n, strictly increasing. */
uint64_t hub_history_next_hid(struct hub_history *h, int64_t now_ms);

/* Looks up a stored (or batched) id. 0 when found: copies its topic (cut to
 * topiclen) and, when payload is not NULL, its stamped Envelope into a malloc'd
 * *payload (the caller frees) of *len bytes; HUB_STORE_NOTFOUND; HUB_STORE_ERROR. */
int hub_history_find(struct hub_history *h, const uint8_t id[16], char *topic, size_t topiclen,
		     void **payload, size_t *len);

/* Adds one message to the open batch (a write transaction, begun as needed);
 * payload is the stamped, packed Envelope (borrowed). Nothing is durable
 * before hub_history_commit: the plugin commits before acknowledging a QoS 1
 * or 2 message, and commits QoS 0 messages in batches (hub_history_commit_due). */
int hub_history_put(struct hub_history *h, uint64_t hid, const char *topic, const uint8_t id[16],
		    const char *username, const void *payload, size_t len);
/* Records, in the open batch, that the announcements ids[0..n) were withdrawn
 * by the Update or Cancel stored as by_hid (DESIGN.md "CAP"); an id withdrawn
 * before keeps its first record. 0, or HUB_STORE_ERROR (the batch is lost). */
int hub_history_withdraw(struct hub_history *h, const uint8_t (*ids)[16], size_t n,
			 uint64_t by_hid);
/* true when announcement id was withdrawn (a set in memory: O(1), for every
 * delivery on np/ann/). */
bool hub_history_withdrawn(const struct hub_history *h, const uint8_t id[16]);
/* Calls fn for every withdrawn id (committed ones), until fn returns non-zero. */
int hub_history_each_withdrawn(struct hub_history *h, int (*fn)(void *ctx, const uint8_t id[16]),
			       void *ctx);
/* Commits the open batch, if any. 0, or HUB_STORE_ERROR (the batch is lost). */
int hub_history_commit(struct hub_history *h);
/* Commits the open batch if it is HUB_BATCH_MS old or HUB_BATCH_MAX long. */
int hub_history_commit_due(struct hub_history *h, int64_t now_ms);
#define HUB_BATCH_MS 10
#define HUB_BATCH_MAX 1000

struct hub_hist_item {
	uint64_t hid;
	const char *topic;      /* NUL-terminated, borrowed until fn returns */
	const void *payload;
	size_t len;
};

/* An index to read: kind letter (vocab.c's hub_kind_info()->index: 'a' ann,
 * 'r' rep, 's' status, 'w' show, 'd' dm) and key: for a, d the exact area or
 * inbox; for r, s, w a place code (P, D or V: every such message is indexed
 * under all three); "" is the whole kind. */
#define HUB_HIST_MAX_KEYS 24
struct hub_hist_key {
	char kind;
	char key[HUB_USERNAME_MAX + 1];
};

struct hub_hist_scan {
	const char *filter;     /* every message returned matches it */
	uint64_t after_hid;
	int64_t since_ms, until_ms;     /* since <= received_at_ms < until; 0: unbounded */
	size_t nkeys;
	struct hub_hist_key keys[HUB_HIST_MAX_KEYS];
};

/* The index entries of a stored topic (0 to 4): its kind's "" and its place
 * or inbox keys. */
int hub_history_keys(const char *topic, struct hub_hist_key keys[4]);

/* The indexes that hold every message an MQTT filter can match: fills
 * q->filter and q->keys. Returns HUB_OK, or why the filter cannot be served. */
enum hub_refusal hub_history_plan(const char *filter, struct hub_hist_scan *q);

/* Calls fn for the stored messages of q's keys that match q's filter and time
 * range, with hid > q->after_hid, in hid order, each once; fn returns non-zero
 * to stop. At most budget index entries are read. Returns 0 when the result is
 * exhausted, 1 when fn stopped, 2 when the budget ran out, or HUB_STORE_ERROR;
 * *last_hid is the last hid read (resume after it). */
int hub_history_scan(struct hub_history *h, const struct hub_hist_scan *q, size_t budget,
		     int (*fn)(void *ctx, const struct hub_hist_item *it), void *ctx,
		     uint64_t *last_hid);

/* Every stored message in hid order, for np-admin's export and stats. */
int hub_history_each(struct hub_history *h, uint64_t after_hid,
		     int (*fn)(void *ctx, const struct hub_hist_item *it), void *ctx);

/* Copies the 16-byte id of a stored payload (len bytes) to id: 0, or -1 when
 * it has none (then its id is left in the ids table). */
typedef int (*hub_hist_id_fn)(const void *payload, size_t len, uint8_t id[16]);

/* Deletes up to max messages received before before_ms, oldest first, in one
 * write transaction: each with its index entries, its id (found by id_of),
 * for an announcement its withdrawn record (also from the set in memory,
 * once committed), and whatever the hooks' drop deletes with it. */
int hub_history_expire(struct hub_history *h, int64_t before_ms, size_t max, hub_hist_id_fn id_of,
		       size_t *removed);
/* Flushes to disk when sync_ms has passed since the last flush. */
void hub_history_tick(struct hub_history *h, int64_t now_ms);

/* ---- for modules that keep tables in the history's transactions ----
 * (cases.c: report cases; reach.c: an announcement's receipts.)
 * A hook's put (may be NULL) is called inside the write transaction (an
 * MDB_txn *) of every stored message, after the message is written; its drop
 * (may be NULL) for every message retention deletes, in the expiry's
 * transaction. Returning non-zero (an MDB/errno code) fails the write: the
 * message and the hooks' own writes commit together or not at all. */
struct hub_hist_hook {
	int (*put)(void *ctx, void *txn, const struct hub_hist_item *it);
	int (*drop)(void *ctx, void *txn, const struct hub_hist_item *it);
	void *ctx;              /* not NULL: it names the hook */
};
#define HUB_HIST_HOOKS_MAX 4
/* Installs hook (copied), called after those installed before it: 0, or
 * HUB_STORE_ERROR when HUB_HIST_HOOKS_MAX are installed. Every writer of the
 * history must install the same put hooks before its first put, and every
 * caller of hub_history_expire the same drop hooks. */
int hub_history_add_hook(struct hub_history *h, const struct hub_hist_hook *hook);
/* Removes the hook of ctx (none: nothing happens). */
void hub_history_remove_hook(struct hub_history *h, const void *ctx);
/* Withdrawn records in the table (committed ones): 0, or HUB_STORE_ERROR. */
int hub_history_withdrawn_count(struct hub_history *h, size_t *n);
/* The open batch's write transaction, or NULL: a reader that must see the
 * batch (a check before the next put) reads through it. */
void *hub_history_batch_txn(struct hub_history *h);
/* The stored message hid, read in txn: 0 and *it (payload borrowed from txn,
 * topic copied into topic), HUB_STORE_NOTFOUND, or HUB_STORE_ERROR. */
int hub_history_get(struct hub_history *h, void *txn, uint64_t hid, struct hub_hist_item *it,
		    char *topic, size_t topiclen);
/* The hid and topic (cut to topiclen) of stored id, read in txn: 0,
 * HUB_STORE_NOTFOUND or HUB_STORE_ERROR. */
int hub_history_locate(struct hub_history *h, void *txn, const uint8_t id[16], uint64_t *hid,
		       char *topic, size_t topiclen);
/* hub_history_each, in the caller's transaction txn (read or write). */
int hub_history_each_in(struct hub_history *h, void *txn, uint64_t after_hid,
			int (*fn)(void *ctx, const struct hub_hist_item *it), void *ctx);

#endif
