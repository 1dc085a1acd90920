/* photo.c - see photo.h. Each format is checked by its own container walk:
 *   JPEG  FF D8 FF, marker segments (FF xx, 16-bit length) up to the first
 *         SOS, with a frame header (SOFn) before it; the file ends FF D9.
 *   PNG   89 50 4E 47 0D 0A 1A 0A, chunks (32-bit length, type, data, CRC):
 *         IHDR first (13 bytes, a sound size, depth and colour type), at
 *         least one IDAT, IEND last and exactly at the end.
 *   WebP  "RIFF", 32-bit size = length - 8, "WEBP", chunks padded to even
 *         sizes ending exactly at the end; the first is VP8, VP8L or VP8X
 *         with its own header (a VP8X is followed by image data).
 * A libjpeg/libpng/libwebp header read would need longjmp error handling on
 * the broker's thread and decode more than the hub needs: it never shows the
 * pixels, it only refuses what is no image or is cut short. */
#include <stdbool.h>
#include <string.h>

#include "photo.h"

static const uint8_t png_magic[8] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a };

static uint32_t
be16(const uint8_t *b)
{
	return (uint32_t)b[0] << 8 | b[1];
}

static uint32_t
be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t
le32(const uint8_t *b)
{
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

enum hub_photo_type
hub_photo_sniff(const uint8_t *b, size_t n)
{
	if (b == NULL)
		return HUB_PHOTO_NONE;
	if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return HUB_PHOTO_JPEG;
	if (n >= 8 && memcmp(b, png_magic, 8) == 0)
		return HUB_PHOTO_PNG;
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
		return HUB_PHOTO_WEBP;
	return HUB_PHOTO_NONE;
}

const char *
hub_photo_mime(enum hub_photo_type t)
{
	switch (t) {
	case HUB_PHOTO_JPEG: return "image/jpeg";
	case HUB_PHOTO_PNG: return "image/png";
	case HUB_PHOTO_WEBP: return "image/webp";
	default: return NULL;
	}
}

/* ---- JPEG ---- */

/* SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC). */
static bool
is_sof(uint8_t m)
{
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

/* A frame header s[0..len) (len counts its own two bytes): precision, a
 * non-zero width, 1..4 components of 3 bytes each. */
static bool
sof_ok(const uint8_t *s, size_t len)
{
	return len >= 8 && s[2] >= 2 && s[2] <= 16 && be16(s + 5) > 0 && s[7] >= 1 && s[7] <= 4
	       && len == 8 + 3 * (size_t)s[7];
}

/* A scan header: 1..4 components of 2 bytes each, then 3 bytes. */
static bool
sos_ok(const uint8_t *s, size_t len)
{
	return len >= 6 && s[2] >= 1 && s[2] <= 4 && len == 6 + 2 * (size_t)s[2];
}

static enum hub_refusal
check_jpeg(const uint8_t *b, size_t n)
{
	size_t i = 2, end, len;
	bool frame = false;
	uint8_t m;

	if (n < 6 || b[n - 2] != 0xff || b[n - 1] != 0xd9)
		return HUB_R_PHOTO_BAD_JPEG;
	end = n - 2;            /* segments stay before the EOI */
	while (i < end && b[i] == 0xff) {
		while (i < end && b[i] == 0xff)
			i++;            /* fill bytes */
		if (i + 3 > end)
			break;
		m = b[i++];
		if (m == 0x01)
			continue;       /* TEM: no length */
		if (m == 0x00 || m == 0xd8 || m == 0xd9 || (m >= 0xd0 && m <= 0xd7))
			break;          /* stuffing, SOI, EOI or RSTn before the first scan */
		len = be16(b + i);
		if (len < 2 || len > end - i)
			break;
		if (is_sof(m)) {
			if (frame || !sof_ok(b + i, len))
				break;
			frame = true;
		}
		if (m == 0xda)  /* SOS: entropy-coded data up to the EOI */
			return frame && sos_ok(b + i, len) ? HUB_OK : HUB_R_PHOTO_BAD_JPEG;
		i += len;
	}
	return HUB_R_PHOTO_BAD_JPEG;
}

/* ---- PNG ---- */

static bool
chunk_type_ok(const uint8_t *t)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z')))
			return false;
	}
	return true;
}

/* IHDR's 13 bytes: width, height, bit depth, colour type, compression,
 * filter, interlace (PNG spec 11.2.2). */
static bool
ihdr_ok(const uint8_t *d)
{
	uint32_t w = be32(d), h = be32(d + 4);
	uint8_t depth = d[8], colour = d[9];
	bool depth_ok;

	switch (colour) {
	case 0: depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16; break;
	case 3: depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8; break;
	case 2: case 4: case 6: depth_ok = depth == 8 || depth == 16; break;
	default: depth_ok = false; break;
	}
	return w > 0 && w <= 0x7fffffffu && h > 0 && h <= 0x7fffffffu && depth_ok && d[10] == 0
	       && d[11] == 0 && d[12] <= 1;
}

static enum hub_refusal
check_png(const uint8_t *b, size_t n)
{
	size_t i = 8, len;
	bool idat = false;
	const uint8_t *type;

	while (n - i >= 12) {
		len = be32(b + i);
		type = b + i + 4;
		if (len > 0x7fffffffu || len > n - i - 12 || !chunk_type_ok(type))
			break;
		if ((i == 8) != (memcmp(type, "IHDR", 4) == 0))
			break;          /* IHDR first, and only there */
		if (i == 8 && (len != 13 || !ihdr_ok(b + i + 8)))
			break;
		if (memcmp(type, "IDAT", 4) == 0)
			idat = true;
		if (memcmp(type, "IEND", 4) == 0)
			return len == 0 && i + 12 == n && idat ? HUB_OK : HUB_R_PHOTO_BAD_PNG;
		i += 12 + len;
	}
	return HUB_R_PHOTO_BAD_PNG;
}

/* ---- WebP ---- */

/* The first chunk's header (RIFF container spec, "Simple" and "Extended"). */
static bool
first_chunk_ok(const uint8_t *fourcc, const uint8_t *d, size_t len)
{
	if (memcmp(fourcc, "VP8 ", 4) == 0)     /* a key frame: start code, sizes */
		return len >= 10 && (d[0] & 1) == 0 && d[3] == 0x9d && d[4] == 0x01
		       && d[5] == 0x2a && (d[6] | (d[7] & 0x3f) << 8) > 0
		       && (d[8] | (d[9] & 0x3f) << 8) > 0;
	if (memcmp(fourcc, "VP8L", 4) == 0)     /* signature, version 0 */
		return len >= 5 && d[0] == 0x2f && (d[4] >> 5) == 0;
	if (memcmp(fourcc, "VP8X", 4) == 0)
		return len >= 10;
	return false;
}

static bool
is_image_chunk(const uint8_t *fourcc)
{
	return memcmp(fourcc, "VP8 ", 4) == 0 || memcmp(fourcc, "VP8L", 4) == 0
	       || memcmp(fourcc, "ANMF", 4) == 0;
}

static enum hub_refusal
check_webp(const uint8_t *b, size_t n)
{
	size_t i = 12, len, padded;
	bool image = false;

	if (n < 20 || le32(b + 4) != n - 8)
		return HUB_R_PHOTO_BAD_WEBP;
	while (n - i >= 8) {
		len = le32(b + i + 4);
		padded = len + (len & 1);
		if (len > n - i - 8 || padded > n - i - 8)
			return HUB_R_PHOTO_BAD_WEBP;
		if (i == 12 && !first_chunk_ok(b + i, b + i + 8, len))
			return HUB_R_PHOTO_BAD_WEBP;
		if (is_image_chunk(b + i))
			image = true;
		i += 8 + padded;
	}
	return i == n && image ? HUB_OK : HUB_R_PHOTO_BAD_WEBP;
}

enum hub_refusal
hub_photo_check(const uint8_t *b, size_t n, size_t max)
{
	if (n > max)
		return HUB_R_PHOTO_TOO_BIG;
	switch (hub_photo_sniff(b, n)) {
	case HUB_PHOTO_JPEG: return check_jpeg(b, n);
	case HUB_PHOTO_PNG: return check_png(b, n);
	case HUB_PHOTO_WEBP: return check_webp(b, n);
	default: return HUB_R_PHOTO_NOT_IMAGE;
	}
}
