/* topic.h - np topics and filters, one grammar for the whole tree: levels,
 * the kind of a topic, its fields (P/D/V place, sub-level, inbox or owner)
 * checked against vocab.c's words, MQTT filter matching, and the topics the
 * hub builds. Pure: no I/O, no allocation. acl.c, history.c, publish.c and
 * np-admin read topics only through here. */
#ifndef NP_TOPIC_H
#define NP_TOPIC_H

#include <stdbool.h>
#include <stddef.h>

#include "refusal.h"
#include "vocab.h"

#define HUB_TOPIC_MAX_LEVELS 16
#define HUB_TOPIC_HUB "$np"                     /* the hub's own: nobody reads or writes it */
#define HUB_TOPIC_DUPLICATE HUB_TOPIC_HUB "/duplicate" /* where acknowledged resends go */
#define HUB_TOPIC_HISTORY_REQUEST "$CONTROL/np/v1/history"
#define HUB_TOPIC_TOKEN_REQUEST "$CONTROL/np/v1/token"  /* answered on np/reply/<user>/token */
#define HUB_TOPIC_ADMIN_REQUEST "$CONTROL/np/v1/admin"  /* answered on np/reply/<user>/admin */
#define HUB_TOPIC_RECEIPT "$CONTROL/np/v1/receipt"      /* recorded, never answered (reach.c) */
#define HUB_TOPIC_REACH_REQUEST "$CONTROL/np/v1/reach"  /* answered on np/reply/<user>/reach */
#define HUB_TOPIC_CASES_REQUEST "$CONTROL/np/v1/cases"  /* answered on np/reply/<user>/cases */
#define HUB_TOPIC_CASE_STATS_REQUEST "$CONTROL/np/v1/case-stats" /* .../case-stats */

/* What a concrete topic is, for validate.c to match the body against it. */
enum hub_topic_kind {
	HUB_TOPIC_OTHER = 0, HUB_TOPIC_ANN, HUB_TOPIC_REPORT, HUB_TOPIC_ACK,
	HUB_TOPIC_STATUS, HUB_TOPIC_SHOW, HUB_TOPIC_DM, HUB_TOPIC_REPLY, HUB_TOPIC_HISTORY,
};

/* One level, borrowed from its topic; any: a whole-level '+' or '#'. */
struct hub_topic_level {
	const char *s;
	size_t n;
	bool any;
};

struct hub_topic_levels {
	struct hub_topic_level l[HUB_TOPIC_MAX_LEVELS];
	int count;
};

/* A topic (or filter) of one kind as its levels constrain it: for a filter a
 * wildcard field is "any". Borrows the topic. */
struct hub_topic_view {
	enum hub_kind kind;
	bool any_area;
	char area[HUB_AREA_MAX + 1];    /* ann: its area; rep, status, show: the last of P/D/V */
	struct hub_topic_level sub;     /* category, report kind or "ack", showcase kind */
	struct hub_topic_level name;    /* dm: the inbox; reply: the owner */
};

/* Splits t at every '/' without copying. HUB_OK or HUB_R_TOPIC_TOO_DEEP. */
enum hub_refusal hub_topic_split(const char *t, struct hub_topic_levels *lv);
/* true when l is literally w (never for a wildcard). */
bool hub_level_is(const struct hub_topic_level *l, const char *w);
bool hub_level_is_hash(const struct hub_topic_level *l);
/* A filter's wildcards: HUB_OK, HUB_R_HASH_NOT_LAST or HUB_R_WILDCARD_PART. */
enum hub_refusal hub_filter_check(const struct hub_topic_levels *lv);

/* Reads lv (np/<anything>/...) as a topic or filter of kind k: HUB_OK and *v;
 * HUB_R_WRONG_DEPTH when no topic of kind k has (or, for a filter, matches)
 * that many levels; or the code of the first field outside the vocabulary. */
enum hub_refusal hub_topic_view(const struct hub_topic_levels *lv, enum hub_kind k,
				struct hub_topic_view *v);

/* The kind of a concrete topic that acl.c granted for writing. */
enum hub_topic_kind hub_topic_kind(const char *topic);
/* MQTT matching: true when topic (no wildcards) matches filter. */
bool hub_topic_matches(const char *filter, const char *topic);

/* true when topic is under np/ (the hub checks, stamps and seals those). */
bool hub_topic_is_np(const char *topic);
/* Bytes of topic up to and with its last '/': the village prefix
 * "np/rep/P/D/V/" of an ack topic; 0 when topic has one level. */
size_t hub_topic_parent_len(const char *topic);
/* The topics the hub and np-admin write, cut to len; each returns what
 * snprintf does. np/reply/<username>/<what>: */
int hub_topic_reply(char *buf, size_t len, const char *username, const char *what);
/* np/rep/<P>/<D>/<V>/<sub> of an 8-digit village code: */
int hub_topic_report(char *buf, size_t len, const char *village, const char *sub);

#endif
