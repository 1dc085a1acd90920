/* expiry.c - see expiry.h. A protobuf wire walk of two levels: the Envelope
 * up to its announcement (field 12, length-delimited), then the Announcement
 * up to expires_at_ms (field 10, varint). Field numbers are np.proto's; the
 * hub packs Envelopes canonically (fields in number order, each once); the
 * walk takes any order. */
#include <string.h>

#include "expiry.h"

#define ENVELOPE_ANNOUNCEMENT 12        /* Envelope.announcement */
#define ANNOUNCEMENT_EXPIRES_AT 10      /* Announcement.expires_at_ms */
#define ANNOUNCEMENT_CAP_STATUS 18      /* Announcement.cap_status */

enum wire_type { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

#define KEY(field, wt) (((uint64_t)(field) << 3) | (wt))

/* A varint at *p (at most 10 bytes, before end) into *v; advances *p. */
static bool
varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t x = 0;
	unsigned shift;

	if (q < end && *q < 0x80) {     /* most keys and lengths: one byte */
		*v = *q;
		*p = q + 1;
		return true;
	}
	for (shift = 0; shift < 70 && q < end; shift += 7) {
		x |= (uint64_t)(*q & 0x7f) << shift;
		if ((*q++ & 0x80) == 0) {
			*v = x;
			*p = q;
			return true;
		}
	}
	return false;
}

/* Skips the value of a field of wire type wt at *p; false when it does not
 * fit before end or wt is one protobuf 3 never writes (groups). */
static bool
skip(const uint8_t **p, const uint8_t *end, uint64_t wt)
{
	uint64_t n;

	const uint8_t *q;

	switch (wt) {
	case WT_VARINT:         /* to the byte after the last one with the top bit set */
		for (q = *p; q < end && q - *p < 10; q++) {
			if (*q < 0x80) {
				*p = q + 1;
				return true;
			}
		}
		return false;
	case WT_I64:
	case WT_I32:
		n = wt == WT_I64 ? 8 : 4;
		break;
	case WT_LEN:
		if (!varint(p, end, &n))
			return false;
		break;
	default:
		return false;
	}
	if (n > (uint64_t)(end - *p))
		return false;
	*p += n;
	return true;
}

/* The bytes of the first length-delimited field `field` in [p, end): true
 * and [*from, *to), or false when there is none or the bytes do not parse.
 * The first, not the last as protobuf would merge: the Envelopes read here
 * are the hub's, packed with each field once (and sealed), and stopping there
 * spares the walk over the seal. */
static bool
find_len(const uint8_t *p, const uint8_t *end, uint64_t field, const uint8_t **from,
	 const uint8_t **to)
{
	uint64_t key, n;

	while (p < end) {
		if (!varint(&p, end, &key))
			return false;
		if (key != KEY(field, WT_LEN)) {
			if (!skip(&p, end, key & 7))
				return false;
			continue;
		}
		if (!varint(&p, end, &n) || n > (uint64_t)(end - p))
			return false;
		*from = p;
		*to = p + n;
		return true;
	}
	return false;
}

int64_t
hub_expiry_read(const void *payload, size_t len)
{
	const uint8_t *p = NULL, *end = NULL;
	uint64_t key, v, at = 0;

	if (payload == NULL
	    || !find_len(payload, (const uint8_t *)payload + len, ENVELOPE_ANNOUNCEMENT, &p, &end))
		return 0;
	while (p < end) {
		if (!varint(&p, end, &key))
			return 0;
		if (key == KEY(ANNOUNCEMENT_EXPIRES_AT, WT_VARINT)) {
			if (!varint(&p, end, &v))
				return 0;
			at = v;
		} else if (!skip(&p, end, key & 7)) {
			return 0;
		}
	}
	return (int64_t)at;     /* an int64 is its two's complement on the wire */
}

int64_t
hub_ann_memo_read(const void *payload, size_t len)
{
	const uint8_t *p = NULL, *end = NULL;
	uint64_t key, v, at = 0, n;
	bool not_actual = false;

	if (payload == NULL
	    || !find_len(payload, (const uint8_t *)payload + len, ENVELOPE_ANNOUNCEMENT, &p, &end))
		return 0;
	while (p < end) {
		if (!varint(&p, end, &key))
			return 0;
		if (key == KEY(ANNOUNCEMENT_EXPIRES_AT, WT_VARINT)) {
			if (!varint(&p, end, &v))
				return 0;
			at = v;
		} else if (key == KEY(ANNOUNCEMENT_CAP_STATUS, WT_LEN)) {
			if (!varint(&p, end, &n) || n > (uint64_t)(end - p))
				return 0;
			not_actual = n > 0 && !(n == 6 && memcmp(p, "Actual", 6) == 0);
			p += n;
		} else if (!skip(&p, end, key & 7)) {
			return 0;
		}
	}
	if ((int64_t)at < 0)
		at = 0;         /* the hub refuses negative expiries; never expires */
	if (at >= (uint64_t)HUB_ANN_MEMO_NOT_ACTUAL)
		at = (uint64_t)HUB_ANN_MEMO_NOT_ACTUAL - 1;
	return (int64_t)at | (not_actual ? HUB_ANN_MEMO_NOT_ACTUAL : 0);
}

bool
hub_expiry_past(int64_t expires_at_ms, int64_t now_ms)
{
	return expires_at_ms != 0 && expires_at_ms <= now_ms;
}
