/* test_token.c - checks token.c: a token is npt_ and 64 base64url characters
 * that decode back to its 16-byte id and 32-byte secret; anything else (short,
 * long, another prefix, padding, characters outside base64url) is malformed;
 * the secret matches only its own SHA-256; ids round-trip through hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "token.h"

static void
a_token_round_trips_through_its_text(void **state)
{
	struct hub_token t, back;
	char text[HUB_TOKEN_TEXT_LEN + 1];
	size_t i;
	int n;

	(void)state;
	for (n = 0; n < 200; n++) {
		assert_int_equal(hub_token_new(&t), 0);
		hub_token_format(&t, text);
		assert_int_equal(strlen(text), 68);
		assert_memory_equal(text, "npt_", 4);
		for (i = 4; i < 68; i++)
			assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					       "0123456789-_", text[i]));
		assert_true(hub_token_is(text));
		assert_int_equal(hub_token_parse(text, &back), HUB_OK);
		assert_memory_equal(back.id, t.id, 16);
		assert_memory_equal(back.secret, t.secret, 32);
	}
}

static void
base64url_digits_map_to_the_right_bits(void **state)
{
	struct hub_token t;
	char text[HUB_TOKEN_TEXT_LEN + 1];

	(void)state;
	memset(&t, 0xff, sizeof(t));            /* all ones: every character is '_' */
	hub_token_format(&t, text);
	assert_string_equal(text + 4, "________________________________"
				      "________________________________");
	memset(&t, 0xfb, sizeof(t));            /* 111110 111111 101111 111011: '-', '_', 'v', '7' */
	hub_token_format(&t, text);
	assert_memory_equal(text + 4, "-_v7", 4);
	assert_int_equal(hub_token_parse(text, &t), HUB_OK);
	assert_int_equal(t.secret[31], 0xfb);
}

static void
malformed_tokens_are_refused(void **state)
{
	static const char *const bad[] = {
		"", "npt_", "npt_abc", "NPT_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"npx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* 63 and 65 characters */
		"npt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"npt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* standard base64's + and /, padding, a space, a NUL-free high byte */
		"npt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
		"npt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
		"npt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
		"npt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"npt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3\xa9",
	};
	struct hub_token t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hub_token_parse(bad[i], &t), HUB_R_TOKEN_MALFORMED);
	assert_false(hub_token_is(NULL));
	assert_false(hub_token_is("a-password"));
	assert_true(hub_token_is("npt_anything"));
}

static void
a_secret_matches_only_its_own_hash(void **state)
{
	struct hub_token t;
	uint8_t hash[HUB_TOKEN_HASH_LEN], sha[SHA256_DIGEST_LENGTH];

	(void)state;
	assert_int_equal(hub_token_new(&t), 0);
	hub_token_hash(&t, hash);
	SHA256(t.secret, sizeof(t.secret), sha);
	assert_memory_equal(hash, sha, 32);     /* the secret's SHA-256, not the id's */
	assert_true(hub_token_matches(&t, hash));
	t.secret[31] ^= 1;
	assert_false(hub_token_matches(&t, hash));
	t.secret[31] ^= 1;
	hash[0] ^= 0x80;
	assert_false(hub_token_matches(&t, hash));
}

static void
token_ids_round_trip_through_hex(void **state)
{
	uint8_t id[16], back[16];
	char hex[33];
	size_t i;

	(void)state;
	for (i = 0; i < 16; i++)
		id[i] = (uint8_t)(i * 17 + 3);
	hub_token_id_hex(id, hex);
	assert_string_equal(hex, "031425364758697a8b9cadbecfe0f102");
	assert_int_equal(strlen(hex), 32);
	assert_int_equal(hub_token_id_parse(hex, back), 0);
	assert_memory_equal(id, back, 16);
	assert_int_equal(hub_token_id_parse("0314253647586979 8a9bacbdcedfe0f", back), -1);
	assert_int_equal(hub_token_id_parse("03142536475869798a9bacbdcedfe0f", back), -1);
	assert_int_equal(hub_token_id_parse("03142536475869798a9bacbdcedfe0fg", back), -1);
	assert_int_equal(hub_token_id_parse("03142536475869798A9BACBDCEDFE0F1", back), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_token_round_trips_through_its_text),
		cmocka_unit_test(base64url_digits_map_to_the_right_bits),
		cmocka_unit_test(malformed_tokens_are_refused),
		cmocka_unit_test(a_secret_matches_only_its_own_hash),
		cmocka_unit_test(token_ids_round_trip_through_hex),
	};

	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
