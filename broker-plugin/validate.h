/* validate.h - decodes an np.Envelope, checks it against its topic and stamps it.
 * The only plugin module (with codec users in tests) that includes np.pb-c.h. */
#ifndef NP_VALIDATE_H
#define NP_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "refusal.h"

#define HUB_ID_LEN 16
#define HUB_DEFAULT_MAX_PAYLOAD 65536

struct hub_msg;         /* an unpacked Envelope */

/* Decodes buf (borrowed) as the body of a publish on a topic of the given kind.
 * Returns HUB_OK and sets *out (owned by the caller, free with hub_msg_free), or
 * the refusal saying why the payload is refused and leaves *out NULL.
 * max_payload bounds every byte but those of a photo (Report.photo,
 * Showcase.photo), which max_photo bounds (photo.c checks the image): so the
 * largest payload is max_payload + max_photo. */
enum hub_refusal hub_msg_decode_limits(struct hub_msg **out, const void *buf, size_t len,
				       enum hub_topic_kind kind, size_t max_payload,
				       size_t max_photo);
/* hub_msg_decode_limits with the default photo limit (HUB_DEFAULT_MAX_PHOTO). */
enum hub_refusal hub_msg_decode(struct hub_msg **out, const void *buf, size_t len,
				enum hub_topic_kind kind, size_t max_payload);
/* Overwrites the sender with p and received_at_ms with now_ms. */
int hub_msg_stamp(struct hub_msg *m, const struct hub_principal *p, int64_t now_ms);
size_t hub_msg_packed_size(const struct hub_msg *m);
/* Writes hub_msg_packed_size(m) bytes to buf. */
void hub_msg_pack(const struct hub_msg *m, uint8_t *buf);
/* For an ack, the 16-byte id of the report it acknowledges; else NULL. */
const uint8_t *hub_msg_ack_report(const struct hub_msg *m);
/* An ack's fields (DESIGN.md "Report cases"). */
struct hub_ack_fields {
	uint8_t report_id[HUB_ID_LEN];
	int state;                      /* np.AckState */
	bool has_note;                  /* a non-empty note */
	char assignee[HUB_USERNAME_MAX + 1];
};
/* m's ack fields into *out: 0, or -1 when m is no ack. */
int hub_msg_ack_fields(const struct hub_msg *m, struct hub_ack_fields *out);
/* The same, of a stored (packed) Envelope of len bytes: 0, or -1. */
int hub_ack_read(const void *buf, size_t len, struct hub_ack_fields *out);
/* For a showcase that withdraws an earlier one, that one's 16-byte id; else NULL. */
const uint8_t *hub_msg_withdraws(const struct hub_msg *m);
bool hub_msg_is_showcase(const struct hub_msg *m);
/* HUB_R_ANN_EXPIRED for an announcement whose expires_at_ms is set and not
 * after now_ms (DESIGN.md "Feeds that never miss a message": the hub refuses
 * one already expired); else HUB_OK. A negative one never decodes. One
 * imported from CAP (cap_identifier set) is accepted expired: the history
 * keeps it as expired and no app is handed it (README "CAP"). */
enum hub_refusal hub_msg_check_expiry(const struct hub_msg *m, int64_t now_ms);

/* CAP (DESIGN.md "CAP"): an announcement's references (ids of earlier
 * announcements an Update replaces or a Cancel withdraws; 0 for any other
 * message), each HUB_ID_LEN bytes borrowed from m, and its cap_status
 * ("Actual" when unset or no announcement). */
#define HUB_MAX_REFERENCES 1024
size_t hub_msg_n_references(const struct hub_msg *m);
const uint8_t *hub_msg_reference(const struct hub_msg *m, size_t i);
const char *hub_msg_cap_status(const struct hub_msg *m);
/* A stored Envelope (len bytes, without seal): 0 when it is an announcement,
 * with its sender's username and cap_status ("Actual" when unset) copied;
 * 1 when it is another message (sender copied); -1 when it does not decode. */
int hub_msg_stored_ann(const void *buf, size_t len, char *sender, size_t slen, char *status,
		       size_t stlen);
/* The 16-byte id. Borrowed from m. */
const uint8_t *hub_msg_id(const struct hub_msg *m);
void hub_msg_free(struct hub_msg *m);   /* NULL is fine */

/* The stamped sender's username of a stored Envelope, copied to out; -1 if none. */
int hub_msg_sender_name(const void *buf, size_t len, char *out, size_t outlen);
/* Best effort for a refused payload: copies its id to id[16] when the
 * payload opens with one, as canonical envelopes do. O(1): reads 18 bytes. */
int hub_msg_peek_id(const void *buf, size_t len, uint8_t id[HUB_ID_LEN]);
/* Replaces m's id (a will resent by the hub under a fresh id). */
void hub_msg_set_id(struct hub_msg *m, const uint8_t id[HUB_ID_LEN]);
/* true when m, stamped by p at the time the stored envelope (len bytes,
 * without its seal) was received, packs to exactly the stored bytes: a resend
 * of the same message, not another message under the same id. Stamps m. */
bool hub_msg_same(struct hub_msg *m, const struct hub_principal *p, const void *stored,
		  size_t len);

/* Packs envelope (an Np__Envelope * with its body set) as a message from the
 * hub: sender "hub", sent and received now. Returns a malloc'd buffer (caller
 * frees) and its length, or NULL. */
uint8_t *hub_reply_pack(void *envelope, int64_t now_ms, size_t *len);
/* Packs an Envelope{refusal{id, topic, reason, retry_after_ms}} from the hub
 * (see above); retry_after_ms > 0 only for a transient refusal (a rate). */
uint8_t *hub_refusal_pack(const uint8_t *id, const char *topic, const char *reason,
			  uint32_t retry_after_ms, int64_t now_ms, size_t *len);

/* true when s[0..n) is valid UTF-8 (no overlongs, surrogates or NUL). */
int hub_utf8_valid(const char *s, size_t n);

#endif
