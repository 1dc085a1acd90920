/* expiry.h - when a stored announcement stops being handed to apps
 * (DESIGN.md "Feeds that never miss a message", Expiry). publish.c asks at
 * every delivery on np/ann/, so the field is read straight from the packed
 * Envelope's wire bytes, without unpacking it: the walk reads field headers
 * and lengths only, O(fields) whatever the texts' size. */
#ifndef NP_EXPIRY_H
#define NP_EXPIRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Announcement.expires_at_ms of the packed Envelope in payload (with or
 * without the hub's seal): 0 when it has none (never expires), when the body
 * is no announcement, or when the bytes do not parse as protobuf (the
 * caller's seal check decides about those). Borrows payload. */
int64_t hub_expiry_read(const void *payload, size_t len);

/* What a delivery needs to know of a packed announcement, in one int64 (the
 * seal cache's memo, seal.h): its expires_at_ms (0: never; one past 2^62,
 * which never comes, is cut to 2^62 - 1) ORed with HUB_ANN_MEMO_NOT_ACTUAL
 * when its cap_status is set and not "Actual" (DESIGN.md "CAP": a Test or
 * Exercise reaches no villager). 0 for anything that is no announcement or
 * does not parse. Never negative, so never HUB_SEAL_NO_MEMO. */
#define HUB_ANN_MEMO_NOT_ACTUAL (INT64_C(1) << 62)
int64_t hub_ann_memo_read(const void *payload, size_t len);

/* true when an announcement that expires at expires_at_ms (0: never) has
 * expired at now_ms: expires_at_ms <= now_ms. */
bool hub_expiry_past(int64_t expires_at_ms, int64_t now_ms);

#endif
