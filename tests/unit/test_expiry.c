/* test_expiry.c - checks that expiry.c reads Announcement.expires_at_ms
 * straight from the wire exactly as protobuf-c packs it (stamped, sealed,
 * any value up to INT64_MAX, with long Thai texts before it), gives 0 for
 * other bodies and for bytes that do not parse (every truncation of a real
 * envelope, garbage), and that validate.c refuses a negative expiry at decode
 * and an expiry not after the hub's clock at hub_msg_check_expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expiry.h"
#include "np.pb-c.h"
#include "seal.h"
#include "validate.h"

#define MAX 65536
#define NOW 1780000000000LL     /* 2026-05-28, a hub clock */

static const uint8_t ID[16] = { 0x01, 0x8c, 0x3f, 0x10, 0x20, 0x30, 7, 8,
				9, 10, 11, 12, 13, 14, 15, 16 };

/* A stamped announcement (as the hub stores it) expiring at at, with a body
 * of body_len bytes of Thai text; malloc'd with room for a seal. */
static uint8_t *
announcement(int64_t at, size_t body_len, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Sender s = NP__SENDER__INIT;
	Np__Announcement a = NP__ANNOUNCEMENT__INIT;
	char *body = malloc(body_len + 3);
	uint8_t *buf;
	size_t i;

	assert_non_null(body);
	for (i = 0; i + 3 <= body_len; i += 3)
		memcpy(body + i, "\xe0\xb8\x9d", 3);    /* ฝ (rain) */
	body[i] = '\0';
	e.id.data = (uint8_t *)ID;
	e.id.len = 16;
	e.sent_at_ms = NOW - 5;
	s.username = "cm_official";
	s.role = NP__ROLE__OFFICIAL;
	s.area = "50";
	e.sender = &s;
	e.received_at_ms = NOW;
	a.title = "พายุคืนนี้";
	a.body = body;
	a.expires_at_ms = at;
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &a;
	*len = np__envelope__get_packed_size(&e);
	buf = malloc(*len + HUB_SEAL_LEN);
	assert_non_null(buf);
	np__envelope__pack(&e, buf);
	free(body);
	return buf;
}

static void
read_finds_the_expiry_protobuf_c_packed(void **state)
{
	static const int64_t ats[] = { 1, 127, 128, NOW, NOW + 7200000, INT64_MAX };
	static const size_t bodies[] = { 0, 3, 300, 6000 };
	uint8_t *buf;
	size_t len, i, j;

	(void)state;
	for (i = 0; i < sizeof(ats) / sizeof(ats[0]); i++) {
		for (j = 0; j < sizeof(bodies) / sizeof(bodies[0]); j++) {
			buf = announcement(ats[i], bodies[j], &len);
			assert_true(hub_expiry_read(buf, len) == ats[i]);
			free(buf);
		}
	}
	buf = announcement(0, 30, &len);
	assert_true(hub_expiry_read(buf, len) == 0);
	free(buf);
}

static void
read_finds_the_expiry_of_a_sealed_payload(void **state)
{
	uint8_t key[HUB_SEAL_KEY_LEN] = { 1 }, *buf;
	struct hub_seal *s;
	size_t len;

	(void)state;
	assert_int_equal(hub_seal_new(&s, key), 0);
	buf = announcement(NOW + 1000, 300, &len);
	len = hub_seal_append(s, "np/ann/50/weather", buf, len);
	assert_true(hub_seal_check(s, "np/ann/50/weather", buf, len));
	assert_true(hub_expiry_read(buf, len) == NOW + 1000);
	free(buf);
	hub_seal_free(s);
}

static void
read_gives_0_for_other_bodies_and_empty_input(void **state)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report r = NP__REPORT__INIT;
	uint8_t buf[256];
	size_t len;

	(void)state;
	e.id.data = (uint8_t *)ID;
	e.id.len = 16;
	r.title = "expires_at_ms";
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	len = np__envelope__pack(&e, buf);
	assert_true(hub_expiry_read(buf, len) == 0);
	assert_true(hub_expiry_read(buf, 0) == 0);
	assert_true(hub_expiry_read(NULL, 0) == 0);
}

static void
read_gives_0_or_the_value_for_every_truncation_and_never_reads_past(void **state)
{
	uint8_t *buf, *copy;
	size_t len, n;
	int64_t got;

	(void)state;
	buf = announcement(NOW + 7200000, 40, &len);
	for (n = 0; n <= len; n++) {
		copy = malloc(n ? n : 1);       /* exact size: ASan sees a read past it */
		assert_non_null(copy);
		memcpy(copy, buf, n);
		got = hub_expiry_read(copy, n);
		assert_true(got == 0 || (n == len && got == NOW + 7200000));
		free(copy);
	}
	free(buf);
}

static void
read_gives_0_for_garbage(void **state)
{
	/* a varint that never ends; a length past the end; a group (wire type 3);
	 * an announcement holding an expiry whose varint never ends */
	static const uint8_t endless[] = { 0x62, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					   0xff, 0xff, 0xff, 0xff };
	static const uint8_t too_long[] = { 0x0a, 0x7f, 1, 2, 3 };
	static const uint8_t group[] = { 0x0b, 0x0c, 0x62, 0x02, 0x50, 0x05 };
	static const uint8_t cut[] = { 0x62, 0x03, 0x50, 0x85, 0x85 };
	static const uint8_t ok[] = { 0x62, 0x02, 0x50, 0x05 };

	(void)state;
	assert_true(hub_expiry_read(endless, sizeof(endless)) == 0);
	assert_true(hub_expiry_read(too_long, sizeof(too_long)) == 0);
	assert_true(hub_expiry_read(group, sizeof(group)) == 0);
	assert_true(hub_expiry_read(cut, sizeof(cut)) == 0);
	assert_true(hub_expiry_read(ok, sizeof(ok)) == 5);
}

static void
past_means_set_and_not_after_now(void **state)
{
	(void)state;
	assert_false(hub_expiry_past(0, NOW));
	assert_true(hub_expiry_past(NOW, NOW));
	assert_true(hub_expiry_past(NOW - 1, NOW));
	assert_false(hub_expiry_past(NOW + 1, NOW));
	assert_true(hub_expiry_past(-1, NOW));
}

/* A client's announcement (no stamp) expiring at at. */
static uint8_t *
client_announcement(int64_t at, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Announcement a = NP__ANNOUNCEMENT__INIT;
	uint8_t *buf;

	e.id.data = (uint8_t *)ID;
	e.id.len = 16;
	e.sent_at_ms = NOW;
	a.title = "Storm tonight";
	a.expires_at_ms = at;
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &a;
	*len = np__envelope__get_packed_size(&e);
	buf = malloc(*len);
	assert_non_null(buf);
	np__envelope__pack(&e, buf);
	return buf;
}

static void
decode_refuses_a_negative_expiry(void **state)
{
	static const int64_t bad[] = { -1, -NOW, INT64_MIN };
	struct hub_msg *m;
	uint8_t *buf;
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf = client_announcement(bad[i], &len);
		assert_int_equal(hub_msg_decode(&m, buf, len, HUB_TOPIC_ANN, MAX),
				 HUB_R_ANN_EXPIRY_NEGATIVE);
		assert_null(m);
		free(buf);
	}
}

static void
check_expiry_refuses_one_not_after_the_hubs_clock(void **state)
{
	static const struct {
		int64_t at;
		enum hub_refusal want;
	} cases[] = {
		{ 0, HUB_OK }, { NOW + 1, HUB_OK }, { INT64_MAX, HUB_OK },
		{ NOW, HUB_R_ANN_EXPIRED }, { NOW - 1, HUB_R_ANN_EXPIRED }, { 1, HUB_R_ANN_EXPIRED },
	};
	struct hub_msg *m;
	uint8_t *buf;
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf = client_announcement(cases[i].at, &len);
		assert_int_equal(hub_msg_decode(&m, buf, len, HUB_TOPIC_ANN, MAX), HUB_OK);
		assert_int_equal(hub_msg_check_expiry(m, NOW), cases[i].want);
		hub_msg_free(m);
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(read_finds_the_expiry_protobuf_c_packed),
		cmocka_unit_test(read_finds_the_expiry_of_a_sealed_payload),
		cmocka_unit_test(read_gives_0_for_other_bodies_and_empty_input),
		cmocka_unit_test(read_gives_0_or_the_value_for_every_truncation_and_never_reads_past),
		cmocka_unit_test(read_gives_0_for_garbage),
		cmocka_unit_test(past_means_set_and_not_after_now),
		cmocka_unit_test(decode_refuses_a_negative_expiry),
		cmocka_unit_test(check_expiry_refuses_one_not_after_the_hubs_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
