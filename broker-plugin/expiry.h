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

/* true when an announcement that expires at expires_at_ms (0: never) has
 * expired at now_ms: expires_at_ms <= now_ms. */
bool hub_expiry_past(int64_t expires_at_ms, int64_t now_ms);

#endif
