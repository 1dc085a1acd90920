/* acl.h - who may write, read and subscribe what: DESIGN.md's role x place rules.
 * Pure: no I/O, no allocation; registry look-ups go through struct hub_dir. */
#ifndef NP_ACL_H
#define NP_ACL_H

#include <stdbool.h>
#include <stdint.h>

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

/* What a publish topic is, for validate.c to match the body against it. */
enum hub_topic_kind {
	HUB_TOPIC_OTHER = 0, HUB_TOPIC_ANN, HUB_TOPIC_REPORT, HUB_TOPIC_ACK,
	HUB_TOPIC_STATUS, HUB_TOPIC_SHOW, HUB_TOPIC_DM, HUB_TOPIC_REPLY, HUB_TOPIC_HISTORY,
};

#define HUB_TOPIC_MAX_LEVELS 16

/* Decides one access. Returns NULL when granted, otherwise a static sentence
 * saying why not. For HUB_SUBSCRIBE, topic is a filter and is granted only when
 * every valid topic it can match is readable. dir may be NULL: then places and
 * inboxes are not looked up (deliveries of messages already checked on write).
 * Costs O(levels of topic) plus a few dir look-ups (one per place or inbox a
 * topic names; a filter with a wildcard kind, one per kind it can match). */
const char *hub_acl_check(const struct hub_principal *p, enum hub_access a, const char *topic,
			  const struct hub_dir *dir);

/* The kind of a concrete topic that hub_acl_check granted for writing. */
enum hub_topic_kind hub_topic_kind(const char *topic);



/* MQTT matching: true when topic (no wildcards) matches filter. */
bool hub_topic_matches(const char *filter, const char *topic);
#endif
