/* publish.h - what happens to a message on its way through the hub: a publish
 * (decoded, checked, rate-limited, deduplicated, stamped, sealed and stored),
 * a will (never let through as sent: the hub validates it like a publish and
 * sends its own sealed copy), a delivery (only sealed payloads leave on np/)
 * and the hub's replies (refusals, history pages) to one connection. */
#ifndef NP_PUBLISH_H
#define NP_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mosquitto_broker.h>

#include "hub.h"

/* The MESSAGE event: MOSQ_ERR_SUCCESS with ed's payload replaced by the
 * stamped and sealed one, or a refusal (MOSQ_ERR_ACL_DENIED), logged and told. */
int hub_publish(struct hub_ctx *ctx, struct mosquitto_evt_message *ed);

/* A will, met at its ACL check (mosquitto 2.0 raises no MESSAGE event for it).
 * user is the name the connection was admitted with, NULL if its login failed.
 * Always returns MOSQ_ERR_ACL_DENIED: the will as sent never goes out; a valid
 * one from an admitted user is published by the hub, stamped and sealed. */
int hub_publish_will(struct hub_ctx *ctx, struct mosquitto_evt_acl_check *ed, const char *user);

/* A delivery (ACL read check) of an np/ payload to p: true when it carries
 * the hub's seal and is no announcement whose expires_at_ms has passed, none
 * withdrawn by a CAP Update or Cancel, and, to a volunteer or resident, none
 * whose cap_status is other than Actual. A withheld unsealed retained payload
 * is also cleared from the broker; an expired or withdrawn retained
 * announcement stays (the history keeps it anyway) and is withheld at every
 * delivery. */
bool hub_publish_deliverable(struct hub_ctx *ctx, const struct mosquitto_evt_acl_check *ed,
			     const struct hub_principal *p);

/* Logs and tells the publisher why (refusal.c's sentence, with the hub's
 * limits in it; np/reply/<user>/error, at most plugin_opt_reply_rate a
 * second). Returns MOSQ_ERR_ACL_DENIED. */
int hub_publish_refuse(struct hub_ctx *ctx, struct mosquitto *client,
		       const struct hub_principal *p, const char *topic, const void *payload,
		       size_t len, enum hub_refusal why);

/* Seals buf (malloc'd, taken) and sends it on np/reply/<username>/<what> to
 * this client connection only. */
void hub_publish_reply(struct hub_ctx *ctx, struct mosquitto *client, const char *username,
		       const char *what, uint8_t *buf, size_t len);

/* How a $CONTROL request is rated: by the user's request rate (history,
 * cases, reach, admin), its token request rate or its receipt rate. */
enum hub_control_rate { HUB_RATE_REQUEST, HUB_RATE_TOKEN, HUB_RATE_RECEIPT };

/* The start every $CONTROL request shares: its asker, or NULL when the
 * publish is to be refused outright (no such user, or a session being cut);
 * then *why is HUB_OK when the request may be read at all, else why not
 * (over max bytes, MQTT 5 properties, over the user's rate), and *now the
 * hub's time. */
const struct hub_principal *hub_control_begin(struct hub_ctx *ctx,
					      const struct mosquitto_evt_control *ed, size_t max,
					      enum hub_control_rate rate, enum hub_refusal *why,
					      int64_t *now);

#endif
