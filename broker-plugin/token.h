/* token.h - the device token of DESIGN.md ("Credentials"): its text, its
 * parts and the hash the hub keeps. Pure (OpenSSL only, no I/O): shared by
 * the plugin (logins, grants) and np-admin (token issue).
 *
 * A token is "npt_" and 64 base64url characters (RFC 4648 section 5, no
 * padding) of 48 bytes: a 16-byte token id, then a 32-byte secret. The hub
 * keeps only SHA-256 of the secret; a check is a look-up by id and a
 * constant-time comparison, no KDF (the secret holds 256 random bits). */
#ifndef NP_TOKEN_H
#define NP_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refusal.h"

#define HUB_TOKEN_PREFIX "npt_"
#define HUB_TOKEN_ID_LEN 16
#define HUB_TOKEN_SECRET_LEN 32
#define HUB_TOKEN_HASH_LEN 32                   /* SHA-256 */
#define HUB_TOKEN_TEXT_LEN (4 + 64)             /* the text, without its NUL */
#define HUB_TOKEN_LABEL_MAX 64                  /* bytes of UTF-8 */
#define HUB_TOKEN_MAX_DAYS 3650                 /* longest life one can ask for */
#define HUB_TOKEN_DEFAULT_DAYS 365              /* np-admin's, and the hub's by default */
#define HUB_DAY_MS (86400 * 1000LL)

struct hub_token {
	uint8_t id[HUB_TOKEN_ID_LEN];
	uint8_t secret[HUB_TOKEN_SECRET_LEN];
};

/* true when a password is meant as a token (it opens with "npt_"): such a
 * password is checked as a token only, never against the user's password. */
bool hub_token_is(const char *password);
/* Reads text into *out: HUB_OK, or HUB_R_TOKEN_MALFORMED when it is not
 * "npt_" and exactly 64 base64url characters. */
enum hub_refusal hub_token_parse(const char *text, struct hub_token *out);
/* Writes t's text and a NUL into text (HUB_TOKEN_TEXT_LEN + 1 bytes). */
void hub_token_format(const struct hub_token *t, char text[HUB_TOKEN_TEXT_LEN + 1]);
/* A fresh token from OpenSSL's random bytes; -1 when there are none. */
int hub_token_new(struct hub_token *out);
/* SHA-256 of t's secret, what the store keeps. */
void hub_token_hash(const struct hub_token *t, uint8_t hash[HUB_TOKEN_HASH_LEN]);
/* true when t's secret hashes to hash (compared in constant time). */
bool hub_token_matches(const struct hub_token *t, const uint8_t hash[HUB_TOKEN_HASH_LEN]);
/* A token id as 32 lower-case hex digits and a NUL, and back (-1: not one). */
void hub_token_id_hex(const uint8_t id[HUB_TOKEN_ID_LEN], char hex[2 * HUB_TOKEN_ID_LEN + 1]);
int hub_token_id_parse(const char *hex, uint8_t id[HUB_TOKEN_ID_LEN]);
/* The token's secret is wiped (OPENSSL_cleanse). */
void hub_token_wipe(struct hub_token *t);

#endif
