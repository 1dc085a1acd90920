/* test_photo.c - checks photo.c and the photo, price and contact rules of
 * validate.c (DESIGN.md "Report cases"): the smallest sound JPEG, PNG and
 * WebP containers are taken, and each is refused with its format's reason
 * when it is cut short, padded, out of order or made up; text is no image;
 * the size limit comes first; a report or showcase carries a photo up to
 * max_photo beside a message up to max_payload; a DM or status with bytes in
 * field 10 is told it takes no photo; a showcase's price, contact and
 * withdraws are held to their bounds. Real images from PIL go through a real
 * broker in tests/broker/test_photo.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "np.pb-c.h"
#include "photo.h"
#include "validate.h"

#define MAX 65536

/* SOI, a JFIF APP0, a frame header (SOF0, 1x1, one component), a scan
 * header (SOS), two bytes of scan data, EOI. */
static const uint8_t jpeg[] = {
	0xff, 0xd8,
	0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
	0xff, 0xc0, 0x00, 0x0b, 8, 0, 1, 0, 1, 1, 1, 0x11, 0,
	0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 0x3f, 0,
	0x12, 0x34,
	0xff, 0xd9,
};

/* Signature, IHDR (1x1, 8-bit grey), an IDAT of 3 bytes, IEND (CRCs not read). */
static const uint8_t png[] = {
	0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a,
	0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 1, 2, 3, 4,
	0, 0, 0, 3, 'I', 'D', 'A', 'T', 9, 9, 9, 1, 2, 3, 4,
	0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82,
};

/* RIFF (size = length - 8), WEBP, a VP8L chunk of 5 bytes (padded to 6). */
static const uint8_t webp[] = {
	'R', 'I', 'F', 'F', 18, 0, 0, 0, 'W', 'E', 'B', 'P',
	'V', 'P', '8', 'L', 5, 0, 0, 0, 0x2f, 0, 0, 0, 0, 0,
};

static enum hub_refusal
check(const uint8_t *b, size_t n)
{
	return hub_photo_check(b, n, HUB_DEFAULT_MAX_PHOTO);
}

/* A copy of b with byte i set to v. */
static enum hub_refusal
check_with(const uint8_t *b, size_t n, size_t i, uint8_t v)
{
	uint8_t *c = malloc(n);
	enum hub_refusal why;

	assert_non_null(c);
	memcpy(c, b, n);
	c[i] = v;
	why = check(c, n);
	free(c);
	return why;
}

static void
the_smallest_sound_images_are_taken_and_named(void **state)
{
	(void)state;
	assert_int_equal(check(jpeg, sizeof(jpeg)), HUB_OK);
	assert_int_equal(check(png, sizeof(png)), HUB_OK);
	assert_int_equal(check(webp, sizeof(webp)), HUB_OK);
	assert_string_equal(hub_photo_mime(hub_photo_sniff(jpeg, sizeof(jpeg))), "image/jpeg");
	assert_string_equal(hub_photo_mime(hub_photo_sniff(png, sizeof(png))), "image/png");
	assert_string_equal(hub_photo_mime(hub_photo_sniff(webp, sizeof(webp))), "image/webp");
	assert_null(hub_photo_mime(hub_photo_sniff((const uint8_t *)"GIF89a", 6)));
}

static void
text_and_other_formats_are_not_images(void **state)
{
	static const char text[] = "this is a text file renamed photo.jpg\n";
	static const uint8_t gif[] = { 'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0 };

	(void)state;
	assert_int_equal(check((const uint8_t *)text, sizeof(text) - 1), HUB_R_PHOTO_NOT_IMAGE);
	assert_int_equal(check(gif, sizeof(gif)), HUB_R_PHOTO_NOT_IMAGE);
	assert_int_equal(check(jpeg, 2), HUB_R_PHOTO_NOT_IMAGE);       /* FF D8 only */
	assert_int_equal(check(NULL, 0), HUB_R_PHOTO_NOT_IMAGE);
}

static void
the_size_limit_is_checked_first_and_is_inclusive(void **state)
{
	static const char text[] = "not an image at all";

	(void)state;
	assert_int_equal(hub_photo_check(jpeg, sizeof(jpeg), sizeof(jpeg)), HUB_OK);
	assert_int_equal(hub_photo_check(jpeg, sizeof(jpeg), sizeof(jpeg) - 1),
			 HUB_R_PHOTO_TOO_BIG);
	assert_int_equal(hub_photo_check((const uint8_t *)text, sizeof(text), 4),
			 HUB_R_PHOTO_TOO_BIG);
}

static void
a_jpeg_cut_short_or_out_of_order_is_refused(void **state)
{
	size_t n;

	(void)state;
	for (n = 3; n < sizeof(jpeg); n++)      /* every cut, the last byte too */
		assert_int_equal(check(jpeg, n), HUB_R_PHOTO_BAD_JPEG);
	/* a segment length past the end */
	assert_int_equal(check_with(jpeg, sizeof(jpeg), 5, 0x40), HUB_R_PHOTO_BAD_JPEG);
	/* the frame header turned into a DHT: a scan without a frame */
	assert_int_equal(check_with(jpeg, sizeof(jpeg), 21, 0xc4), HUB_R_PHOTO_BAD_JPEG);
	/* a frame of zero width */
	assert_int_equal(check_with(jpeg, sizeof(jpeg), 28, 0), HUB_R_PHOTO_BAD_JPEG);
	/* something that is no marker where one must be */
	assert_int_equal(check_with(jpeg, sizeof(jpeg), 20, 0x00), HUB_R_PHOTO_BAD_JPEG);
	/* an EOI before the scan */
	assert_int_equal(check_with(jpeg, sizeof(jpeg), 21, 0xd9), HUB_R_PHOTO_BAD_JPEG);
}

static void
a_png_cut_short_padded_or_out_of_order_is_refused(void **state)
{
	uint8_t padded[sizeof(png) + 1];
	size_t n;

	(void)state;
	for (n = 8; n < sizeof(png); n++)
		assert_int_equal(check(png, n), HUB_R_PHOTO_BAD_PNG);
	memcpy(padded, png, sizeof(png));
	padded[sizeof(png)] = 0;
	assert_int_equal(check(padded, sizeof(padded)), HUB_R_PHOTO_BAD_PNG);
	/* IDAT where IHDR must be: the IHDR is not first */
	assert_int_equal(check_with(png, sizeof(png), 13, 'X'), HUB_R_PHOTO_BAD_PNG);
	/* width 0; 3-bit depth; colour type 5 */
	assert_int_equal(check_with(png, sizeof(png), 19, 0), HUB_R_PHOTO_BAD_PNG);
	assert_int_equal(check_with(png, sizeof(png), 24, 3), HUB_R_PHOTO_BAD_PNG);
	assert_int_equal(check_with(png, sizeof(png), 25, 5), HUB_R_PHOTO_BAD_PNG);
	/* no IDAT before IEND */
	assert_int_equal(check_with(png, sizeof(png), 37, 'x'), HUB_R_PHOTO_BAD_PNG);
	/* a chunk type that is not letters */
	assert_int_equal(check_with(png, sizeof(png), 38, '1'), HUB_R_PHOTO_BAD_PNG);
}

static void
a_webp_whose_riff_size_or_chunks_disagree_is_refused(void **state)
{
	size_t n;

	(void)state;
	for (n = 12; n < sizeof(webp); n++)
		assert_int_equal(check(webp, n), HUB_R_PHOTO_BAD_WEBP);
	assert_int_equal(check_with(webp, sizeof(webp), 4, 20), HUB_R_PHOTO_BAD_WEBP);
	/* a VP8L without its signature byte */
	assert_int_equal(check_with(webp, sizeof(webp), 20, 0x2e), HUB_R_PHOTO_BAD_WEBP);
	/* a first chunk that is none of VP8, VP8L, VP8X */
	assert_int_equal(check_with(webp, sizeof(webp), 15, 'Z'), HUB_R_PHOTO_BAD_WEBP);
	/* a chunk size past the end */
	assert_int_equal(check_with(webp, sizeof(webp), 16, 7), HUB_R_PHOTO_BAD_WEBP);
}

/* ---- validate.c ---- */

static const uint8_t ID[16] = { 0x01, 0x8c, 0x3f, 0x10, 0x20, 0x30, 7, 8,
				9, 10, 11, 12, 13, 14, 15, 16 };

static uint8_t *
pack(const Np__Envelope *e, size_t *len)
{
	uint8_t *buf;

	*len = np__envelope__get_packed_size(e);
	buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	np__envelope__pack(e, buf);
	return buf;
}

/* A report titled "t" with photo p[0..n) (NULL: none), packed. */
static uint8_t *
report(const uint8_t *p, size_t n, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report r = NP__REPORT__INIT;

	e.id.data = (uint8_t *)ID;
	e.id.len = 16;
	r.title = "t";
	r.photo.data = (uint8_t *)p;
	r.photo.len = n;
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	return pack(&e, len);
}

static Np__Showcase
showcase(void)
{
	Np__Showcase s = NP__SHOWCASE__INIT;

	s.title = "woven silk";
	return s;
}

static uint8_t *
pack_showcase(Np__Showcase *s, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;

	e.id.data = (uint8_t *)ID;
	e.id.len = 16;
	e.body_case = NP__ENVELOPE__BODY_SHOWCASE;
	e.showcase = s;
	return pack(&e, len);
}

static enum hub_refusal
verdict(const uint8_t *buf, size_t len, enum hub_topic_kind kind, size_t max_payload,
	size_t max_photo)
{
	struct hub_msg *m = NULL;
	enum hub_refusal why = hub_msg_decode_limits(&m, buf, len, kind, max_payload, max_photo);

	assert_true((why == HUB_OK) == (m != NULL));
	hub_msg_free(m);
	return why;
}

static void
a_report_or_showcase_with_a_sound_photo_is_accepted(void **state)
{
	Np__Showcase s = showcase();
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = report(png, sizeof(png), &len);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT, MAX, HUB_DEFAULT_MAX_PHOTO), HUB_OK);
	free(buf);
	s.photo.data = (uint8_t *)webp;
	s.photo.len = sizeof(webp);
	s.price_thb = 350;
	s.contact = "LINE @silk-sriphum, 053-000-000";
	buf = pack_showcase(&s, &len);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_SHOW, MAX, HUB_DEFAULT_MAX_PHOTO), HUB_OK);
	free(buf);
}

static void
a_bad_photo_is_refused_with_its_reason(void **state)
{
	static const char text[] = "plain text";
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = report((const uint8_t *)text, sizeof(text) - 1, &len);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT, MAX, MAX), HUB_R_PHOTO_NOT_IMAGE);
	free(buf);
	buf = report(jpeg, sizeof(jpeg) - 1, &len);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT, MAX, MAX), HUB_R_PHOTO_BAD_JPEG);
	free(buf);
	buf = report(jpeg, sizeof(jpeg), &len);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT, MAX, sizeof(jpeg) - 1),
			 HUB_R_PHOTO_TOO_BIG);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT, MAX, sizeof(jpeg)), HUB_OK);
	free(buf);
}

/* max_payload counts all but the photo's bytes: a photo at max_photo fits
 * beside the rest at max_payload, and not a byte more of either. */
static void
the_payload_limit_leaves_the_photo_to_its_own(void **state)
{
	uint8_t *big, *buf;
	size_t len, rest, n = 200000;

	(void)state;
	big = malloc(n);
	assert_non_null(big);
	memcpy(big, jpeg, 43);                  /* up to the scan data */
	memset(big + 43, 0x55, n - 45);         /* entropy-coded bytes */
	big[n - 2] = 0xff;
	big[n - 1] = 0xd9;
	assert_int_equal(check(big, n), HUB_OK);
	buf = report(big, n, &len);
	rest = len - n;                         /* id, title, framing */
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT, rest, n), HUB_OK);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT, rest - 1, n), HUB_R_PAYLOAD_TOO_BIG);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT, rest, n - 1), HUB_R_PAYLOAD_TOO_BIG);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT, rest + 1, n - 1),
			 HUB_R_PHOTO_TOO_BIG);
	free(buf);
	free(big);
	buf = report(NULL, 0, &len);            /* without a photo: as before */
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT, len, 0), HUB_OK);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT, len - 1, MAX),
			 HUB_R_PAYLOAD_TOO_BIG);
	free(buf);
}

/* An envelope of body field body_field whose body is bytes (a DM's text, or
 * nothing for a status) plus field 10 holding a photo, as a newer client's
 * encoder would write it. */
static size_t
stray_photo(uint8_t *out, int body_field, bool text)
{
	size_t n = 0, i, body_len = (text ? 4 : 0) + 2 + sizeof(png);

	out[n++] = 0x0a;
	out[n++] = 16;
	memcpy(out + n, ID, 16);
	n += 16;
	out[n++] = (uint8_t)(body_field << 3 | 2);
	out[n++] = (uint8_t)body_len;
	if (text) {
		memcpy(out + n, "\x0a\x02hi", 4);
		n += 4;
	}
	out[n++] = 10 << 3 | 2;
	out[n++] = sizeof(png);
	for (i = 0; i < sizeof(png); i++)
		out[n++] = png[i];
	return n;
}

static void
a_photo_on_a_dm_or_status_is_told_it_takes_none(void **state)
{
	uint8_t buf[256];
	size_t len;

	(void)state;
	len = stray_photo(buf, 13, true);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_DM, MAX, MAX), HUB_R_PHOTO_NOT_HERE);
	len = stray_photo(buf, 15, false);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_STATUS, MAX, MAX), HUB_R_PHOTO_NOT_HERE);
}

static void
a_showcase_price_contact_and_withdraws_are_held_to_their_bounds(void **state)
{
	static const struct { int64_t price; enum hub_refusal why; } prices[] = {
		{ 0, HUB_OK }, { 1, HUB_OK }, { 10000000, HUB_OK },
		{ 10000001, HUB_R_SHOW_PRICE }, { -1, HUB_R_SHOW_PRICE },
		{ INT64_MIN, HUB_R_SHOW_PRICE },
	};
	char contact[202];
	Np__Showcase s;
	uint8_t *buf, wid[16] = { 1 };
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(prices) / sizeof(prices[0]); i++) {
		s = showcase();
		s.price_thb = prices[i].price;
		buf = pack_showcase(&s, &len);
		assert_int_equal(verdict(buf, len, HUB_TOPIC_SHOW, MAX, MAX), prices[i].why);
		free(buf);
	}
	memset(contact, 'a', sizeof(contact) - 1);
	contact[200] = '\0';
	s = showcase();
	s.contact = contact;
	buf = pack_showcase(&s, &len);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_SHOW, MAX, MAX), HUB_OK);
	free(buf);
	contact[200] = 'a';
	contact[201] = '\0';
	buf = pack_showcase(&s, &len);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_SHOW, MAX, MAX), HUB_R_SHOW_CONTACT);
	free(buf);
	s.contact = "\xe0\x80\x80";             /* an overlong NUL: not UTF-8 */
	buf = pack_showcase(&s, &len);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_SHOW, MAX, MAX), HUB_R_TEXT_UTF8);
	free(buf);
	s = showcase();
	s.withdraws.data = wid;
	s.withdraws.len = 16;
	buf = pack_showcase(&s, &len);          /* publish.c checks what it names */
	assert_int_equal(verdict(buf, len, HUB_TOPIC_SHOW, MAX, MAX), HUB_OK);
	free(buf);
	s.title = "";                           /* a withdrawal needs no title */
	buf = pack_showcase(&s, &len);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_SHOW, MAX, MAX), HUB_OK);
	free(buf);
	s.withdraws.len = 15;
	buf = pack_showcase(&s, &len);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_SHOW, MAX, MAX), HUB_R_SHOW_WITHDRAWS);
	free(buf);
}

static void
every_new_refusal_has_a_sentence(void **state)
{
	enum hub_refusal r;

	(void)state;
	for (r = HUB_R_PHOTO_TOO_BIG; r <= HUB_R_SHOW_OFFICIAL_WITHDRAW; r++)
		assert_string_not_equal(hub_refusal_text(r), "unknown refusal");
	assert_non_null(strstr(hub_refusal_text(HUB_R_PHOTO_TOO_BIG), "%zu"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_smallest_sound_images_are_taken_and_named),
		cmocka_unit_test(text_and_other_formats_are_not_images),
		cmocka_unit_test(the_size_limit_is_checked_first_and_is_inclusive),
		cmocka_unit_test(a_jpeg_cut_short_or_out_of_order_is_refused),
		cmocka_unit_test(a_png_cut_short_padded_or_out_of_order_is_refused),
		cmocka_unit_test(a_webp_whose_riff_size_or_chunks_disagree_is_refused),
		cmocka_unit_test(a_report_or_showcase_with_a_sound_photo_is_accepted),
		cmocka_unit_test(a_bad_photo_is_refused_with_its_reason),
		cmocka_unit_test(the_payload_limit_leaves_the_photo_to_its_own),
		cmocka_unit_test(a_photo_on_a_dm_or_status_is_told_it_takes_none),
		cmocka_unit_test(a_showcase_price_contact_and_withdraws_are_held_to_their_bounds),
		cmocka_unit_test(every_new_refusal_has_a_sentence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
