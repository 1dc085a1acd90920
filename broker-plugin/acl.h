/* acl.h - who may write, read and subscribe what: DESIGN.md's role x place rules.
 * Pure: no I/O, no allocation; registry look-ups go through struct hub_dir. */
#ifndef NP_ACL_H
#define NP_ACL_H

#include <stdbool.h>
#include <stdint.h>

#include "topic.h"
#include "vocab.h"

/* The authenticated user a decision is made for. Borrowed by every call. */
struct hub_principal {
	const char *username;
	enum hub_role role;
	char scope[HUB_AREA_MAX + 1];
	uint16_t categories;    /* agency: bit i = hub_category_name(i) */
};

/* Registry look-ups, asked only for places and inboxes named literally in a
 * publish topic or subscription filter. Codes and names are NUL-terminated. */
struct hub_dir {
	bool (*place_exists)(void *ctx, const char *code);
	bool (*official_exists)(void *ctx, const char *username);
	void *ctx;
};

enum hub_access { HUB_WRITE, HUB_READ, HUB_SUBSCRIBE };

/* Decides one access. Returns HUB_OK when granted, otherwise the refusal
 * (refusal.h) saying why not. For HUB_SUBSCRIBE, topic is a filter and is
 * granted only when every valid topic it can match is readable. dir may be NULL: then places and
 * inboxes are not looked up (deliveries of messages already checked on write).
 * Costs O(levels of topic) plus a few dir look-ups (one per place or inbox a
 * topic names; a filter with a wildcard kind, one per kind it can match). */
enum hub_refusal hub_acl_check(const struct hub_principal *p, enum hub_access a,
			       const char *topic, const struct hub_dir *dir);

/* Where p may read topics of kind k at all: a superset of what hub_acl_check
 * grants for HUB_READ (it may also restrict the sub-level), so that the
 * history planner never reads an index of messages p could not be given.
 * n = 0: nowhere. Each entry is an area code, or a dm inbox or reply owner;
 * exact: that one only, else it and every place within it ("": everywhere). */
#define HUB_REACH_MAX 4
struct hub_reach {
	size_t n;
	struct {
		char at[HUB_USERNAME_MAX + 1];
		bool exact;
	} r[HUB_REACH_MAX];
};
void hub_acl_read_reach(const struct hub_principal *p, enum hub_kind k, struct hub_reach *out);

/* May p ask the reach ($CONTROL/np/v1/reach) of an announcement to area
 * (TH or a code) sent by the user named sender? Its sender may, and
 * officials and admins (scoped ones too) whose scope is area or contains
 * it; anyone else gets HUB_R_REACH_SCOPE. */
enum hub_refusal hub_acl_may_reach(const struct hub_principal *p, const char *area,
				   const char *sender);

#endif
