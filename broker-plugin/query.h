/* query.h - answers a HistoryRequest ($CONTROL/np/v1/history) with one
 * HistoryPage holding only messages the asker may read (acl.c's READ rule,
 * the same as for live delivery). Bounded: a page holds at most
 * HUB_QUERY_MAX_LIMIT messages and at most HUB_QUERY_MAX_BYTES, and one request
 * reads at most HUB_QUERY_BUDGET index entries, so no query stalls the broker.
 * With photos a page holds fewer messages (1 MiB is three messages with a
 * photo of the default 256 KiB at least); a single message larger than
 * HUB_QUERY_MAX_BYTES (max_payload + max_photo may reach 264 MiB) is a page
 * of its own, so every stored message can be fetched. */
#ifndef NP_QUERY_H
#define NP_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "history.h"

#define HUB_QUERY_DEFAULT_LIMIT 100
#define HUB_QUERY_MAX_LIMIT 1000
#define HUB_QUERY_MAX_BYTES (1u << 20)
#define HUB_QUERY_BUDGET 50000
#define HUB_QUERY_MAX_FILTER 512
#define HUB_QUERY_MAX_CORRELATION 128

/* Decodes the request in req (borrowed), runs it for p and returns the packed
 * Envelope{history_page} to send back (malloc'd; caller frees), or NULL when
 * out of memory. Errors (malformed request, bad filter) are in the page. */
uint8_t *hub_query_answer(struct hub_history *h, const struct hub_principal *p, const void *req,
			  size_t len, int64_t now_ms, size_t *out_len);

/* Keeps of q's index keys only what p may read at all (hub_acl_read_reach),
 * so that a query never reads indexes of messages p could not be given. */
void hub_query_narrow(const struct hub_principal *p, struct hub_hist_scan *q);

/* A page with only error set (why, borrowed): a request refused unread. */
uint8_t *hub_query_refusal(const char *why, int64_t now_ms, size_t *out_len);

#endif
