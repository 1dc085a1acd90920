/* token.c - see token.h. base64url through OpenSSL's EVP_EncodeBlock and
 * EVP_DecodeBlock (standard base64, whose '+' and '/' become '-' and '_'):
 * 48 bytes are exactly 64 characters, so there is never any padding. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "token.h"
#include "vocab.h"

#define RAW_LEN (HUB_TOKEN_ID_LEN + HUB_TOKEN_SECRET_LEN)
#define B64_LEN (HUB_TOKEN_TEXT_LEN - 4)
#define PREFIX_LEN 4

_Static_assert(RAW_LEN == 48 && B64_LEN == 64, "48 bytes are 64 base64 characters, no padding");

bool
hub_token_is(const char *password)
{
	return password != NULL && strncmp(password, HUB_TOKEN_PREFIX, PREFIX_LEN) == 0;
}

enum hub_refusal
hub_token_parse(const char *text, struct hub_token *out)
{
	char b64[B64_LEN + 1];
	uint8_t raw[RAW_LEN + 2];       /* EVP_DecodeBlock writes 3 bytes per 4 characters */
	size_t i;
	char ch;

	if (!hub_token_is(text) || strlen(text) != HUB_TOKEN_TEXT_LEN)
		return HUB_R_TOKEN_MALFORMED;
	for (i = 0; i < B64_LEN; i++) {
		ch = text[PREFIX_LEN + i];
		if (ch == '-')
			ch = '+';
		else if (ch == '_')
			ch = '/';
		else if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
			   || (ch >= '0' && ch <= '9')))
			return HUB_R_TOKEN_MALFORMED;
		b64[i] = ch;
	}
	b64[B64_LEN] = '\0';
	if (EVP_DecodeBlock(raw, (const unsigned char *)b64, B64_LEN) != RAW_LEN)
		return HUB_R_TOKEN_MALFORMED;
	memcpy(out->id, raw, HUB_TOKEN_ID_LEN);
	memcpy(out->secret, raw + HUB_TOKEN_ID_LEN, HUB_TOKEN_SECRET_LEN);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(b64, sizeof(b64));
	return HUB_OK;
}

void
hub_token_format(const struct hub_token *t, char text[HUB_TOKEN_TEXT_LEN + 1])
{
	uint8_t raw[RAW_LEN];
	char *p = text + PREFIX_LEN;
	size_t i;

	memcpy(raw, t->id, HUB_TOKEN_ID_LEN);
	memcpy(raw + HUB_TOKEN_ID_LEN, t->secret, HUB_TOKEN_SECRET_LEN);
	memcpy(text, HUB_TOKEN_PREFIX, PREFIX_LEN);
	EVP_EncodeBlock((unsigned char *)p, raw, RAW_LEN);      /* 64 characters and a NUL */
	for (i = 0; i < B64_LEN; i++) {
		if (p[i] == '+')
			p[i] = '-';
		else if (p[i] == '/')
			p[i] = '_';
	}
	OPENSSL_cleanse(raw, sizeof(raw));
}

int
hub_token_new(struct hub_token *out)
{
	return RAND_bytes((unsigned char *)out, (int)sizeof(*out)) == 1 ? 0 : -1;
}

void
hub_token_hash(const struct hub_token *t, uint8_t hash[HUB_TOKEN_HASH_LEN])
{
	SHA256(t->secret, HUB_TOKEN_SECRET_LEN, hash);
}

bool
hub_token_matches(const struct hub_token *t, const uint8_t hash[HUB_TOKEN_HASH_LEN])
{
	uint8_t h[HUB_TOKEN_HASH_LEN];
	bool ok;

	hub_token_hash(t, h);
	ok = CRYPTO_memcmp(h, hash, HUB_TOKEN_HASH_LEN) == 0;
	OPENSSL_cleanse(h, sizeof(h));
	return ok;
}

void
hub_token_id_hex(const uint8_t id[HUB_TOKEN_ID_LEN], char hex[2 * HUB_TOKEN_ID_LEN + 1])
{
	hub_hex(id, HUB_TOKEN_ID_LEN, hex);
}

int
hub_token_id_parse(const char *hex, uint8_t id[HUB_TOKEN_ID_LEN])
{
	return hub_unhex(hex, strlen(hex), id, HUB_TOKEN_ID_LEN);
}

void
hub_token_wipe(struct hub_token *t)
{
	OPENSSL_cleanse(t->secret, sizeof(t->secret));
}
