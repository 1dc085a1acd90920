/* case_query.h - the hub's two case endpoints (DESIGN.md "Report cases"):
 *   $CONTROL/np/v1/cases       an np.CaseRequest, answered with an
 *       Envelope{case_page} on np/reply/<user>/cases: one page of cases, from
 *       cases.c's index, newest report first (or oldest), each with its
 *       report, state, assignee, latest ack, times and overdue flags.
 *   $CONTROL/np/v1/case-stats  an np.CaseStatsRequest, answered with an
 *       Envelope{case_stats} on np/reply/<user>/case-stats: per province,
 *       kind and month (UTC) of report, counts and the median and 90th
 *       percentile time to first ack and to resolution.
 * Each reads only what the asker may read: an admin or official the cases
 * within its scope; a volunteer its village's; an operator the outage cases
 * within its scope and the cases assigned to it; an agency the cases
 * assigned to it; a resident none. A request for an area outside the scope
 * is refused (in the page's error, logged). Rate-limited as history requests. */
#ifndef NP_CASE_QUERY_H
#define NP_CASE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "cases.h"

#define HUB_CASE_DEFAULT_LIMIT 50
#define HUB_CASE_MAX_LIMIT 500
#define HUB_CASE_MAX_BYTES (1u << 20)   /* a page's reports and acks, at most */
#define HUB_CASE_BUDGET 20000           /* index entries one page reads at most */
#define HUB_CASE_STATS_MAX 200000       /* cases one stats request counts at most */
#define HUB_CASE_MAX_REQUEST 2048

/* The MOSQ_EVT_CONTROL callbacks (userdata: the struct hub_ctx *). */
int hub_case_on_request(int event, void *event_data, void *userdata);
int hub_case_on_stats(int event, void *event_data, void *userdata);

/* Answers a CaseRequest / CaseStatsRequest (req, borrowed) of p at now_ms:
 * the packed Envelope (malloc'd; caller frees), or NULL when out of memory.
 * A refusal is in the page's error and in *why (HUB_OK when answered). */
uint8_t *hub_case_answer(struct hub_cases *c, const struct hub_principal *p, const void *req,
			 size_t len, int64_t now_ms, size_t *out_len, enum hub_refusal *why);
uint8_t *hub_case_stats_answer(struct hub_cases *c, const struct hub_principal *p,
			       const void *req, size_t len, int64_t now_ms, size_t *out_len,
			       enum hub_refusal *why);

#endif
