/* test_seal.c - checks seal.c: a sealed payload passes for its own topic
 * only; any changed byte, a moved or missing seal, another key or another
 * topic fails; the one-entry cache never carries a verdict (or the caller's
 * memo) to other bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "seal.h"

static const uint8_t key1[HUB_SEAL_KEY_LEN] = { 1, 2, 3 };
static const uint8_t key2[HUB_SEAL_KEY_LEN] = { 1, 2, 4 };

#define TOPIC "np/ann/50010101/emergency"

static size_t
sealed(const struct hub_seal *s, const char *topic, uint8_t *buf)
{
	static const char body[] = "\x0a\x10" "0123456789abcdef" "\x62\x05" "\x0a\x03" "abc";

	memcpy(buf, body, sizeof(body) - 1);
	return hub_seal_append(s, topic, buf, sizeof(body) - 1);
}

static void
a_sealed_payload_passes_for_its_topic_only(void **state)
{
	struct hub_seal *s;
	uint8_t buf[128];
	size_t n;

	(void)state;
	assert_int_equal(hub_seal_new(&s, key1), 0);
	n = sealed(s, TOPIC, buf);
	assert_int_equal(n, 25 + HUB_SEAL_LEN);
	assert_true(hub_seal_check(s, TOPIC, buf, n));
	assert_true(hub_seal_check(s, TOPIC, buf, n));          /* cached */
	assert_false(hub_seal_check(s, "np/ann/TH/emergency", buf, n));
	assert_int_equal(hub_seal_strip(buf, n), 25);
	hub_seal_free(s);
}

static void
every_changed_byte_breaks_the_seal(void **state)
{
	struct hub_seal *s;
	uint8_t buf[128];
	size_t n, i;

	(void)state;
	assert_int_equal(hub_seal_new(&s, key1), 0);
	n = sealed(s, TOPIC, buf);
	for (i = 0; i < n; i++) {
		buf[i] ^= 0x01;
		assert_false(hub_seal_check(s, TOPIC, buf, n));
		buf[i] ^= 0x01;
		assert_true(hub_seal_check(s, TOPIC, buf, n));  /* the cache follows the bytes */
	}
	assert_false(hub_seal_check(s, TOPIC, buf, n - 1));
	assert_false(hub_seal_check(s, TOPIC, buf, 25));        /* no seal */
	assert_false(hub_seal_check(s, TOPIC, buf, 0));
	assert_false(hub_seal_check(s, TOPIC, NULL, 0));        /* a retained clear */
	assert_false(hub_seal_check(s, TOPIC, NULL, 0));        /* twice: the cache too */
	hub_seal_free(s);
}

static void
a_seal_from_another_key_fails(void **state)
{
	struct hub_seal *a, *b;
	uint8_t buf[128];
	size_t n;

	(void)state;
	assert_int_equal(hub_seal_new(&a, key1), 0);
	assert_int_equal(hub_seal_new(&b, key2), 0);
	n = sealed(a, TOPIC, buf);
	assert_false(hub_seal_check(b, TOPIC, buf, n));
	hub_seal_free(a);
	hub_seal_free(b);
}

static void
a_seal_copied_onto_other_bytes_fails(void **state)
{
	struct hub_seal *s;
	uint8_t good[128], forged[128];
	size_t n;

	(void)state;
	assert_int_equal(hub_seal_new(&s, key1), 0);
	n = sealed(s, TOPIC, good);
	memcpy(forged, good, n);
	memcpy(forged + 22, "xyz", 3);  /* the text, seal kept */
	assert_true(hub_seal_check(s, TOPIC, good, n));
	assert_false(hub_seal_check(s, TOPIC, forged, n));
	hub_seal_free(s);
}

static void
a_noted_payload_passes_and_other_bytes_still_fail(void **state)
{
	struct hub_seal *s;
	uint8_t buf[128], forged[128];
	size_t n;

	(void)state;
	assert_int_equal(hub_seal_new(&s, key1), 0);
	n = sealed(s, TOPIC, buf);
	hub_seal_note(s, TOPIC, buf, n);
	assert_true(hub_seal_check(s, TOPIC, buf, n));
	memcpy(forged, buf, n);
	forged[5] ^= 0x20;
	assert_false(hub_seal_check(s, TOPIC, forged, n));
	hub_seal_note(s, TOPIC, NULL, 0);       /* nothing to note: ignored */
	assert_true(hub_seal_check(s, TOPIC, buf, n));
	hub_seal_free(s);
}

static void
the_memo_belongs_to_the_message_checked_last(void **state)
{
	struct hub_seal *s;
	uint8_t a[128], b[128];
	size_t na, nb;

	(void)state;
	assert_int_equal(hub_seal_new(&s, key1), 0);
	assert_true(hub_seal_memo(s) == HUB_SEAL_NO_MEMO);
	na = sealed(s, TOPIC, a);
	nb = sealed(s, "np/ann/50/weather", b);
	assert_true(hub_seal_check(s, TOPIC, a, na));
	assert_true(hub_seal_memo(s) == HUB_SEAL_NO_MEMO);
	hub_seal_set_memo(s, 42);
	assert_true(hub_seal_check(s, TOPIC, a, na));           /* a hit: the same bytes */
	assert_true(hub_seal_memo(s) == 42);
	assert_true(hub_seal_check(s, "np/ann/50/weather", b, nb));     /* another message */
	assert_true(hub_seal_memo(s) == HUB_SEAL_NO_MEMO);
	hub_seal_set_memo(s, 7);
	a[20] ^= 1;                                             /* a forgery: checked, reset */
	assert_false(hub_seal_check(s, TOPIC, a, na));
	assert_true(hub_seal_memo(s) == HUB_SEAL_NO_MEMO);
	a[20] ^= 1;
	assert_true(hub_seal_check(s, TOPIC, a, na));
	hub_seal_set_memo(s, 9);
	hub_seal_note(s, "np/ann/50/weather", b, nb);           /* noted: reset */
	assert_true(hub_seal_memo(s) == HUB_SEAL_NO_MEMO);
	hub_seal_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_sealed_payload_passes_for_its_topic_only),
		cmocka_unit_test(every_changed_byte_breaks_the_seal),
		cmocka_unit_test(a_seal_from_another_key_fails),
		cmocka_unit_test(a_seal_copied_onto_other_bytes_fails),
		cmocka_unit_test(a_noted_payload_passes_and_other_bytes_still_fail),
		cmocka_unit_test(the_memo_belongs_to_the_message_checked_last),
	};

	return cmocka_run_group_tests_name("seal", tests, NULL, NULL);
}
