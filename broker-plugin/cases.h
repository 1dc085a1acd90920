/* cases.h - every report is a case (DESIGN.md "Report cases"): its state,
 * assignee, first-ack and resolution times, kept in LMDB indexes by state,
 * kind and area that history.c's write transactions carry (a hook), so a
 * case never disagrees with the history, even after kill -9. Knows nothing
 * of MQTT; case_query.c answers the requests. */
#ifndef NP_CASES_H
#define NP_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "history.h"
#include "refusal.h"
#include "store.h"
#include "validate.h"

#define HUB_CASE_STATES 6               /* np.AckState 0 (OPEN) .. 5 (ASSIGNED) */
#define HUB_CASE_CURSOR_LEN 24          /* the report's hid (8) and id (16) */
enum { HUB_CASE_OPEN = 0, HUB_CASE_RECEIVED, HUB_CASE_IN_PROGRESS, HUB_CASE_RESOLVED,
       HUB_CASE_REJECTED, HUB_CASE_ASSIGNED };

struct hub_cases;

struct hub_case {
	uint8_t id[HUB_ID_LEN];         /* the report's */
	uint64_t hid;                   /* the report's: HUB_HID_MS is when it was reported */
	uint64_t last_ack_hid;          /* 0: none */
	int64_t first_ack_ms;           /* 0: none */
	int64_t resolved_ms;            /* closed (RESOLVED or REJECTED) at; 0: open */
	int state;                      /* HUB_CASE_* */
	int kind;                       /* hub_report_kind_name(kind) */
	char village[HUB_AREA_MAX + 1];
	char assignee[HUB_USERNAME_MAX + 1];    /* "" until ASSIGNED */
};

/* Per report kind, ms; 0: no target. */
struct hub_case_targets {
	int64_t ack_ms[HUB_REPORT_KIND_COUNT], resolve_ms[HUB_REPORT_KIND_COUNT];
};

/* Opens the case tables in s and hooks them into h's writes. A database
 * without the layout mark (made before cases, or never opened by a hub) has
 * its index built from the history first, in one transaction; *built (may be
 * NULL) gets how many cases that made (0: none needed). */
int hub_cases_open(struct hub_cases **out, struct hub_store *s, struct hub_history *h,
		   size_t *built, char *err, size_t errlen);
void hub_cases_close(struct hub_cases *c);      /* unhooks; NULL is fine */
const char *hub_cases_error(const struct hub_cases *c);

/* The case of report id, seeing the history's open batch: 0,
 * HUB_STORE_NOTFOUND or HUB_STORE_ERROR. */
int hub_cases_get(struct hub_cases *c, const uint8_t id[HUB_ID_LEN], struct hub_case *out);

/* Why the ack a (on the ack topic of k's village, checked by acl.c) may not
 * change case k, or HUB_OK. assignee: the user a names (ASSIGNED), looked up
 * by the caller; found false when there is none. */
enum hub_refusal hub_case_check_ack(const struct hub_principal *p, const struct hub_case *k,
				    const struct hub_ack_fields *a, const struct hub_user *assignee,
				    bool found);

/* The targets (the defaults where never set). */
int hub_cases_targets(struct hub_cases *c, struct hub_case_targets *t);
/* Sets kind's targets (np-admin case targets); 0 or HUB_STORE_ERROR. */
int hub_cases_set_targets(struct hub_cases *c, int kind, int64_t ack_ms, int64_t resolve_ms);
/* k's overdue flags at now_ms under t. */
void hub_case_overdue(const struct hub_case *k, const struct hub_case_targets *t, int64_t now_ms,
		      bool *ack, bool *resolve);

/* A walk over cases: from the index (index_kinds x states under area) and,
 * when assignee is set, the cases assigned to it (filtered by area, kinds
 * and states), each case once, by report time. */
struct hub_case_walk {
	char area[HUB_AREA_MAX + 1];    /* "" everywhere */
	unsigned kinds;                 /* bit per kind: what the asker wants */
	unsigned index_kinds;           /* of those, what is read from the index */
	unsigned states;                /* bit per HUB_CASE_* */
	const char *assignee;           /* NULL: none */
	bool overdue_only, oldest_first;
	int64_t since_ms, until_ms;     /* reported in [since, until); 0: unbounded */
	uint8_t cursor[HUB_CASE_CURSOR_LEN];    /* resume after it */
	bool has_cursor;
	size_t budget;                  /* index entries read at most */
	int64_t now_ms;
	const struct hub_case_targets *targets;
};
/* fn gets each case with its overdue flags and the read transaction txn (for
 * hub_history_get); returns non-zero to stop. Returns 0 when the walk is
 * done, 1 when fn stopped it, 2 when the budget ran out (resume after
 * last), HUB_STORE_ERROR. */
int hub_cases_walk(struct hub_cases *c, const struct hub_case_walk *w,
		   int (*fn)(void *ctx, void *txn, const struct hub_case *k, bool ack_late,
			     bool resolve_late),
		   void *ctx, uint8_t last[HUB_CASE_CURSOR_LEN]);
struct hub_history *hub_cases_history(struct hub_cases *c);

#endif
