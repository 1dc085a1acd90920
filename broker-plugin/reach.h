/* reach.h - the hub's two reach endpoints (DESIGN.md "Feeds", "Reach"):
 *   $CONTROL/np/v1/receipt  an np.Receipt: which announcements an app was
 *       handed (DELIVERED) or opened (READ), recorded for the sender's
 *       village (receipts.c); never answered, stored in no history,
 *       delivered to no one. Refused whole: over HUB_RECEIPT_MAX_BYTES, MQTT
 *       5 properties, over the user's receipt rate, not a canonical
 *       np.Receipt, no ids, over HUB_RECEIPT_MAX_IDS ids, an id not 16 bytes.
 *       Refused per id (the others are recorded): an id the hub does not
 *       hold, a message that is not an announcement, an announcement the
 *       user may not read (acl.c's read rule, as for history and delivery).
 *       A refusal is logged and told on np/reply/<user>/error. A receipt of
 *       a user whose area is not a village (an official's feed) is checked
 *       as well, then accepted and not counted: it has no village to count.
 *   $CONTROL/np/v1/reach  an np.ReachRequest, answered with an
 *       Envelope{reach_page} on np/reply/<user>/reach (sealed, to the asking
 *       connection), to the announcement's sender and to officials and
 *       admins whose scope covers its area (acl.c); rate-limited as history
 *       requests are. */
#ifndef NP_REACH_H
#define NP_REACH_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "history.h"
#include "receipts.h"

#define HUB_RECEIPT_MAX_IDS 100
#define HUB_RECEIPT_MAX_BYTES 2048
#define HUB_REACH_MAX_REQUEST 1024
#define HUB_REACH_DEFAULT_LIMIT 100
#define HUB_REACH_MAX_LIMIT 1000

/* Hooks r into h's retention: an announcement it drops takes its receipts
 * with it, in the same transaction. 0, or HUB_STORE_ERROR (h's error says
 * why). hub_reach_unhook(h, r) before r is closed. */
int hub_reach_hook(struct hub_history *h, struct hub_receipts *r);
void hub_reach_unhook(struct hub_history *h, struct hub_receipts *r);

/* The MOSQ_EVT_CONTROL callbacks (userdata: the struct hub_ctx *). */
int hub_reach_on_receipt(int event, void *event_data, void *userdata);
int hub_reach_on_request(int event, void *event_data, void *userdata);

/* Answers a ReachRequest (req, borrowed) of p: the packed Envelope{reach_page}
 * (malloc'd; caller frees), or NULL when out of memory. Refusals are in the
 * page's error; *why says which (HUB_OK when answered). */
uint8_t *hub_reach_answer(struct hub_history *h, struct hub_receipts *r,
			  const struct hub_principal *p, const void *req, size_t len,
			  int64_t now_ms, size_t *out_len, enum hub_refusal *why);

#endif
