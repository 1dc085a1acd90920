/* photo.h - tells whether the bytes of Report.photo / Showcase.photo are one
 * JPEG, PNG or WebP image (DESIGN.md "Report cases"): the format by its magic
 * bytes, then a walk of its container (JPEG markers, PNG chunks, RIFF chunks)
 * that a cut, padded or made-up file fails. No pixel is decoded: O(number of
 * segments), a few microseconds for 256 KiB. Knows nothing of protobuf or MQTT. */
#ifndef NP_PHOTO_H
#define NP_PHOTO_H

#include <stddef.h>
#include <stdint.h>

#include "refusal.h"

#define HUB_DEFAULT_MAX_PHOTO 262144u   /* plugin_opt_max_photo: 256 KiB */
#define HUB_MAX_PHOTO_CAP (8u << 20)    /* the option's highest value */

enum hub_photo_type { HUB_PHOTO_NONE = 0, HUB_PHOTO_JPEG, HUB_PHOTO_PNG, HUB_PHOTO_WEBP };

/* The format by its first bytes only; HUB_PHOTO_NONE when none of the three. */
enum hub_photo_type hub_photo_sniff(const uint8_t *b, size_t n);

/* HUB_OK when b[0..n) is a JPEG, PNG or WebP of sound structure and n <= max;
 * else HUB_R_PHOTO_TOO_BIG, HUB_R_PHOTO_NOT_IMAGE or HUB_R_PHOTO_BROKEN. */
enum hub_refusal hub_photo_check(const uint8_t *b, size_t n, size_t max);

/* "image/jpeg", "image/png", "image/webp"; NULL for HUB_PHOTO_NONE. */
const char *hub_photo_mime(enum hub_photo_type t);

#endif
