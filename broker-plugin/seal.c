/* seal.c - see seal.h. OpenSSL's HMAC-SHA256; a one-entry cache of the last
 * (topic, payload, verdict, the caller's memo), compared byte for byte, never
 * by pointer, so a freed and reused buffer cannot inherit a verdict. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"

#define MAC_LEN 16
#define CACHE_MAX (4u << 20)    /* larger payloads are checked every time */

/* field 100, wire type 2: varint (100 << 3 | 2) = 0xa2 0x06; then length 16 */
static const uint8_t head[3] = { 0xa2, 0x06, MAC_LEN };

struct hub_seal {
	EVP_MAC_CTX *ctx;       /* HMAC-SHA256, keyed */
	char *topic;            /* the cache: last message checked and its verdict */
	uint8_t *payload;
	size_t len, cap;
	bool ok;
	int64_t memo;           /* the caller's, for the cached message */
};

static int
new_ctx(struct hub_seal *s, const uint8_t key[HUB_SEAL_KEY_LEN])
{
	OSSL_PARAM params[2];
	EVP_MAC *hmac;

	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (hmac == NULL)
		return -1;
	s->ctx = EVP_MAC_CTX_new(hmac);
	EVP_MAC_free(hmac);     /* the context keeps its own reference */
	if (s->ctx == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	return EVP_MAC_init(s->ctx, key, HUB_SEAL_KEY_LEN, params) == 1 ? 0 : -1;
}

int
hub_seal_new(struct hub_seal **out, const uint8_t key[HUB_SEAL_KEY_LEN])
{
	struct hub_seal *s = calloc(1, sizeof(*s));

	*out = s;
	if (s == NULL)
		return -1;
	s->memo = HUB_SEAL_NO_MEMO;
	if (new_ctx(s, key) != 0) {
		free(s);
		*out = NULL;
		return -1;
	}
	return 0;
}

void
hub_seal_free(struct hub_seal *s)
{
	if (s == NULL)
		return;
	EVP_MAC_CTX_free(s->ctx);
	free(s->topic);
	free(s->payload);
	free(s);
}

/* HMAC-SHA256 of topic, its terminating NUL, then buf; the context holds the
 * key, so each MAC is an init that reuses it, two updates and a final. */
static void
mac(const struct hub_seal *s, const char *topic, const uint8_t *buf, size_t len,
    uint8_t out[MAC_LEN])
{
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t n = 0;

	if (EVP_MAC_init(s->ctx, NULL, 0, NULL) != 1
	    || EVP_MAC_update(s->ctx, (const unsigned char *)topic, strlen(topic) + 1) != 1
	    || EVP_MAC_update(s->ctx, buf, len) != 1
	    || EVP_MAC_final(s->ctx, full, &n, sizeof(full)) != 1 || n < MAC_LEN) {
		/* an all-zero seal that no check accepts (see verify) */
		memset(out, 0, MAC_LEN);
		return;
	}
	memcpy(out, full, MAC_LEN);
	OPENSSL_cleanse(full, sizeof(full));
}

size_t
hub_seal_append(const struct hub_seal *s, const char *topic, uint8_t *buf, size_t len)
{
	memcpy(buf + len, head, sizeof(head));
	mac(s, topic, buf, len, buf + len + sizeof(head));
	return len + HUB_SEAL_LEN;
}

size_t
hub_seal_strip(const void *payload, size_t len)
{
	const uint8_t *p = payload;

	if (len >= HUB_SEAL_LEN && memcmp(p + len - HUB_SEAL_LEN, head, sizeof(head)) == 0)
		return len - HUB_SEAL_LEN;
	return len;
}

static bool
verify(const struct hub_seal *s, const char *topic, const uint8_t *p, size_t len)
{
	uint8_t want[MAC_LEN];
	size_t body;

	body = hub_seal_strip(p, len);
	if (body == len)
		return false;
	mac(s, topic, p, body, want);
	if (memcmp(want, (const uint8_t[MAC_LEN]){ 0 }, MAC_LEN) == 0)
		return false;   /* the MAC failed */
	return CRYPTO_memcmp(want, p + body + sizeof(head), MAC_LEN) == 0;
}

static bool
cached(const struct hub_seal *s, const char *topic, const void *payload, size_t len)
{
	return s->topic != NULL && s->len == len && strcmp(s->topic, topic) == 0
	       && memcmp(s->payload, payload, len) == 0;
}

/* Empties the cache: no check hits it until the next remember. */
static void
forget(struct hub_seal *s)
{
	free(s->topic);
	s->topic = NULL;
}

/* A new message: cached when it fits, else the cache is emptied, so that a
 * hit (and the memo) always means the message checked or noted last. */
static void
remember(struct hub_seal *s, const char *topic, const void *payload, size_t len, bool ok)
{
	char *t;

	s->memo = HUB_SEAL_NO_MEMO;
	if (len > CACHE_MAX || (t = strdup(topic)) == NULL) {
		forget(s);
		return;
	}
	if (len > s->cap) {
		uint8_t *b = realloc(s->payload, len);

		if (b == NULL) {
			free(t);
			forget(s);
			return;
		}
		s->payload = b;
		s->cap = len;
	}
	free(s->topic);
	s->topic = t;
	memcpy(s->payload, payload, len);
	s->len = len;
	s->ok = ok;
}

int64_t
hub_seal_memo(const struct hub_seal *s)
{
	return s->memo;
}

void
hub_seal_set_memo(struct hub_seal *s, int64_t v)
{
	s->memo = v;
}

void
hub_seal_note(struct hub_seal *s, const char *topic, const void *payload, size_t len)
{
	if (topic != NULL && payload != NULL && len >= HUB_SEAL_LEN)
		remember(s, topic, payload, len, true);
}

bool
hub_seal_check(struct hub_seal *s, const char *topic, const void *payload, size_t len)
{
	bool ok;

	if (topic == NULL || payload == NULL || len < HUB_SEAL_LEN)
		return false;   /* too short to hold a seal (an empty retained clear, say) */
	if (cached(s, topic, payload, len))
		return s->ok;
	ok = verify(s, topic, payload, len);
	remember(s, topic, payload, len, ok);
	return ok;
}
