/* seal.h - the hub's mark on every payload it lets out on np/: a MAC under a
 * key only the hub holds (kept in the LMDB meta records, so a restart still
 * recognises messages queued before it). Checked at every delivery, so a
 * payload that entered the broker by any path the plugin does not see (a will
 * sent later, a bridge, a future mosquitto feature) is never delivered.
 *
 * The seal is the Envelope's last field, `bytes seal = 100` (np.proto),
 * holding HMAC-SHA256(key, topic || 0 || the bytes before it), cut to 16
 * bytes: 19 bytes in all, appended after protobuf-c has packed the rest. */
#ifndef NP_SEAL_H
#define NP_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HUB_SEAL_KEY_LEN 32
#define HUB_SEAL_LEN 19         /* tag (2) + length (1) + MAC (16) */

struct hub_seal;

/* Copies key. */
int hub_seal_new(struct hub_seal **out, const uint8_t key[HUB_SEAL_KEY_LEN]);
void hub_seal_free(struct hub_seal *s);         /* NULL is fine */

/* buf holds len packed bytes and has room for HUB_SEAL_LEN more; writes the
 * seal after them. Returns len + HUB_SEAL_LEN. */
size_t hub_seal_append(const struct hub_seal *s, const char *topic, uint8_t *buf, size_t len);

/* true when payload ends with a seal the hub made for this topic and these
 * bytes. Remembers the last message checked, so the fan-out of one message to
 * many subscribers costs one MAC and a memcmp per subscriber. */
bool hub_seal_check(struct hub_seal *s, const char *topic, const void *payload, size_t len);

/* Records payload (sealed by this hub a moment ago) as checked, so the
 * deliveries that follow at once cost no MAC at all. */
void hub_seal_note(struct hub_seal *s, const char *topic, const void *payload, size_t len);

/* A value the caller keeps with the message last checked or noted, so that
 * a fan-out works it out once (publish.c: the announcement's expiry). It is
 * HUB_SEAL_NO_MEMO after every check or note that is not a cache hit: a
 * value set after a check belongs to the bytes of that check for as long as
 * later checks hit the cache. */
#define HUB_SEAL_NO_MEMO INT64_MIN
int64_t hub_seal_memo(const struct hub_seal *s);
void hub_seal_set_memo(struct hub_seal *s, int64_t v);

/* The length of payload without its seal (len when it has none). */
size_t hub_seal_strip(const void *payload, size_t len);

#endif
