/* kdf.h - password hashing: PBKDF2-HMAC-SHA512 (OpenSSL), random salt per user,
 * iteration count stored with the hash, constant-time comparison. */
#ifndef NP_KDF_H
#define NP_KDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HUB_KDF_SALT_LEN 16
#define HUB_KDF_HASH_LEN 64
#define HUB_KDF_DEFAULT_ITERATIONS 100000u
#define HUB_KDF_MIN_ITERATIONS 1000u

/* Fills salt with random bytes and hash with the password's PBKDF2. 0 or -1. */
int hub_kdf_new(const char *password, size_t len, uint32_t iterations,
		uint8_t salt[HUB_KDF_SALT_LEN], uint8_t hash[HUB_KDF_HASH_LEN]);
/* true when the password hashes to hash under salt and iterations. */
bool hub_kdf_verify(const char *password, size_t len, uint32_t iterations,
		    const uint8_t salt[HUB_KDF_SALT_LEN], const uint8_t hash[HUB_KDF_HASH_LEN]);

#endif
