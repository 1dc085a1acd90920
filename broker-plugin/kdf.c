/* kdf.c - PBKDF2-HMAC-SHA512 from OpenSSL; nothing here is hand-rolled crypto. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "kdf.h"

static int
derive(const char *password, size_t len, uint32_t iterations, const uint8_t *salt, uint8_t *out)
{
	if (len > 0x7fffffff || iterations == 0 || iterations > 0x7fffffff)
		return -1;
	if (PKCS5_PBKDF2_HMAC(password, (int)len, salt, HUB_KDF_SALT_LEN, (int)iterations,
			      EVP_sha512(), HUB_KDF_HASH_LEN, out) != 1)
		return -1;
	return 0;
}

int
hub_kdf_new(const char *password, size_t len, uint32_t iterations,
	    uint8_t salt[HUB_KDF_SALT_LEN], uint8_t hash[HUB_KDF_HASH_LEN])
{
	if (RAND_bytes(salt, HUB_KDF_SALT_LEN) != 1)
		return -1;
	return derive(password, len, iterations, salt, hash);
}

bool
hub_kdf_verify(const char *password, size_t len, uint32_t iterations,
	       const uint8_t salt[HUB_KDF_SALT_LEN], const uint8_t hash[HUB_KDF_HASH_LEN])
{
	uint8_t got[HUB_KDF_HASH_LEN];
	bool ok;

	if (derive(password, len, iterations, salt, got) != 0)
		return false;
	ok = CRYPTO_memcmp(got, hash, HUB_KDF_HASH_LEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}
