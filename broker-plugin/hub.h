/* hub.h - the one plugin context (STYLE.md 7), shared by plugin.c (entry
 * points, options, event wiring) and publish.c (what happens to a publish, a
 * will and a delivery). Internal to the plugin. */
#ifndef NP_HUB_H
#define NP_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "auth.h"
#include "cases.h"
#include "guard.h"
#include "history.h"
#include "receipts.h"
#include "seal.h"
#include "store.h"
#include "throttle.h"
#include "tokens.h"

struct mosquitto_plugin_id_t;

struct hub_opts {
	const char *db_path;
	size_t max_payload;             /* bytes of a message but its photo's */
	size_t max_photo;               /* bytes of a photo (photo.c) */
	size_t max_connections_per_user;        /* 0: no limit */
	int history_sync_ms;            /* 0: every commit */
	size_t history_max_age_days;    /* 0: keep for ever */
	size_t token_days;              /* a token asked for over MQTT with days 0 */
	struct hub_throttle_opts throttle;
};

struct hub_ctx {
	struct mosquitto_plugin_id_t *pid;
	struct hub_opts opts;
	struct hub_store *store;
	struct hub_auth *auth;
	struct hub_history *history;
	struct hub_throttle *throttle;
	struct hub_guard *guard;
	struct hub_seal *seal;
	struct hub_dir dir;
	int64_t next_expire_ms;
	int64_t withheld_log_ms;        /* last "withheld" log line (one a second) */
	unsigned long withheld;         /* deliveries withheld since then */
	int64_t expired_log_ms;         /* last "expired announcements" log line, */
	unsigned long withheld_expired; /* and how many were withheld since then */
	char *last_cleared;             /* the retained topic the hub cleared last, */
	int64_t last_cleared_ms;        /* and when */
	struct hub_tokens *tokens;
	struct hub_receipts *receipts;  /* reach.c: receipts and the targeted villages */
	struct hub_cases *cases;        /* cases.c: report cases, kept with the history */
	int64_t next_token_look_ms;     /* the tick looks for revocations every 100 ms */
	int64_t next_token_expiry_ms;   /* earliest expiry of a live token session (0: none) */
};

int64_t hub_now_ms(void);

#endif
