/* fuzz_envelope.c - libFuzzer target for validate.c: the first input byte picks
 * the topic kind (byte % 9) and the principal that stamps (byte / 9), the rest
 * is the payload of a publish. Checks that an accepted payload fits its kind,
 * that the stamped message packs, decodes again with the hub's sender and
 * receive time and is accepted again, that hub_msg_peek_id agrees with every
 * accepted payload and reads only an id that opens one, that a
 * refusal always packs to a decodable Envelope, and that hub_utf8_valid
 * agrees with a table-driven UTF-8 check (Unicode table 3-7, minus NUL). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "np.pb-c.h"
#include "validate.h"

#define NOW_MS INT64_C(1714000000000)
#define TOPIC_MAX 100

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct hub_principal stampers[] = {
	{ "vol1", HUB_ROLE_VOLUNTEER, "50010101", 0 },
	{ "ministry", HUB_ROLE_OFFICIAL, "TH", 0 },
	{ "A234567890123456789012345678901234567890123456789012345678901234",
	  HUB_ROLE_AGENCY, "50", 0x1ff },
	{ "ntnet", HUB_ROLE_OPERATOR, "TH", 0 },
	{ "root", HUB_ROLE_ADMIN, "TH", 0 },
	{ "res1", HUB_ROLE_RESIDENT, "10010101", 0 },
};
#define NSTAMPERS (sizeof(stampers) / sizeof(stampers[0]))

/* Well-formed UTF-8 after Unicode table 3-7, NUL excluded as validate.c wants. */
static bool
utf8_reference(const uint8_t *s, size_t n)
{
	size_t i = 0, k, need;
	uint8_t lo, hi;

	while (i < n) {
		uint8_t c = s[i++];

		if (c >= 0x01 && c <= 0x7f)
			continue;
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
			if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			if (c == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		for (k = 0; k < need; k++, i++) {
			if (i >= n || s[i] < lo || s[i] > hi)
				return false;
			lo = 0x80;      /* only the second byte has a narrower range */
			hi = 0xbf;
		}
	}
	return true;
}

static Np__Envelope__BodyCase
body_for(enum hub_topic_kind kind)
{
	switch (kind) {
	case HUB_TOPIC_ANN: return NP__ENVELOPE__BODY_ANNOUNCEMENT;
	case HUB_TOPIC_REPORT: return NP__ENVELOPE__BODY_REPORT;
	case HUB_TOPIC_ACK: return NP__ENVELOPE__BODY_ACK;
	case HUB_TOPIC_STATUS: return NP__ENVELOPE__BODY_STATUS;
	case HUB_TOPIC_SHOW: return NP__ENVELOPE__BODY_SHOWCASE;
	case HUB_TOPIC_DM: return NP__ENVELOPE__BODY_DM;
	default: return NP__ENVELOPE__BODY__NOT_SET;        /* nothing may be published */
	}
}

/* What was accepted, seen through a plain unpack of the same bytes. */
static void
check_accepted(const uint8_t *buf, size_t len, enum hub_topic_kind kind, const Np__Envelope *e)
{
	FUZZ_CHECK(body_for(kind) != NP__ENVELOPE__BODY__NOT_SET,
		   "a payload was accepted for topic kind %d, where nothing may be published",
		   (int)kind);
	FUZZ_CHECK(e != NULL, "accepted %zu bytes that np__envelope__unpack refuses", len);
	FUZZ_CHECK(e->id.len == HUB_ID_LEN, "accepted an id of %zu bytes", e->id.len);
	FUZZ_CHECK(e->body_case == body_for(kind), "accepted body %d on topic kind %d",
		   (int)e->body_case, (int)kind);
	FUZZ_CHECK(e->base.n_unknown_fields == 0, "accepted an envelope with unknown fields");
	FUZZ_CHECK(np__envelope__get_packed_size(e) == len,
		   "accepted a payload that does not pack back to its %zu bytes", len);
	(void)buf;
}

/* The stamped message, as subscribers and the history get it. */
static void
check_stamped(struct hub_msg *m, const struct hub_principal *p, const Np__Envelope *orig,
	      enum hub_topic_kind kind)
{
	struct hub_msg *again = NULL;
	Np__Envelope *e;
	enum hub_refusal why;
	size_t n = hub_msg_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);

	FUZZ_CHECK(buf != NULL, "out of memory");
	hub_msg_pack(m, buf);
	e = np__envelope__unpack(NULL, n, buf);
	FUZZ_CHECK(e != NULL, "the stamped message (%zu bytes) does not decode", n);
	FUZZ_CHECK(e->sender != NULL, "the stamped message has no sender");
	FUZZ_CHECK(strcmp(e->sender->username, p->username) == 0,
		   "stamped username '%s', want '%s'", e->sender->username, p->username);
	FUZZ_CHECK((int)e->sender->role == (int)p->role, "stamped role %d, want %d",
		   (int)e->sender->role, (int)p->role);
	FUZZ_CHECK(strcmp(e->sender->area, p->scope) == 0, "stamped area '%s', want '%s'",
		   e->sender->area, p->scope);
	FUZZ_CHECK(e->received_at_ms == NOW_MS, "received_at_ms %lld, want %lld",
		   (long long)e->received_at_ms, (long long)NOW_MS);
	FUZZ_CHECK(e->sent_at_ms == orig->sent_at_ms, "stamping changed sent_at_ms");
	FUZZ_CHECK(e->id.len == HUB_ID_LEN && memcmp(e->id.data, orig->id.data, HUB_ID_LEN) == 0,
		   "stamping changed the id");
	FUZZ_CHECK(e->body_case == orig->body_case, "stamping changed the body");
	np__envelope__free_unpacked(e, NULL);

	/* what the hub sends on is a payload it would accept itself */
	why = hub_msg_decode(&again, buf, n, kind, SIZE_MAX);
	FUZZ_CHECK(why == HUB_OK, "the stamped message is refused: %s", hub_refusal_text(why));
	FUZZ_CHECK(memcmp(hub_msg_id(again), hub_msg_id(m), HUB_ID_LEN) == 0,
		   "the stamped message decodes to another id");
	hub_msg_free(again);
	free(buf);
}

static void
check_refusal(const uint8_t *id, const char *topic, const char *reason)
{
	Np__Envelope *e;
	size_t n = 0;
	uint8_t *buf = hub_refusal_pack(id, topic, reason, 0, NOW_MS, &n);

	FUZZ_CHECK(buf != NULL, "hub_refusal_pack returned NULL");
	e = np__envelope__unpack(NULL, n, buf);
	FUZZ_CHECK(e != NULL, "a refusal (%zu bytes) does not decode", n);
	FUZZ_CHECK(e->body_case == NP__ENVELOPE__BODY_REFUSAL && e->refusal != NULL,
		   "a refusal decodes with body %d", (int)e->body_case);
	FUZZ_CHECK(strcmp(e->refusal->topic, topic) == 0, "the refusal names another topic");
	FUZZ_CHECK(strcmp(e->refusal->reason, reason) == 0, "the refusal gives another reason");
	FUZZ_CHECK(e->refusal->id.len == (id != NULL ? HUB_ID_LEN : 0u),
		   "the refusal's id has %zu bytes", e->refusal->id.len);
	FUZZ_CHECK(id == NULL || memcmp(e->refusal->id.data, id, HUB_ID_LEN) == 0,
		   "the refusal carries another id");
	FUZZ_CHECK(e->sender != NULL && strcmp(e->sender->username, "hub") == 0,
		   "a refusal not sent by the hub");
	np__envelope__free_unpacked(e, NULL);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hub_principal *p;
	enum hub_topic_kind kind;
	struct hub_msg *m = NULL;
	Np__Envelope *e;
	const uint8_t *payload;
	uint8_t id[HUB_ID_LEN];
	char topic[TOPIC_MAX + 1];
	enum hub_refusal why;
	size_t len;
	int peek;

	if (size < 1)
		return 0;
	kind = (enum hub_topic_kind)(data[0] % 9);
	p = &stampers[(data[0] / 9) % NSTAMPERS];
	payload = data + 1;
	len = size - 1;

	FUZZ_CHECK(!hub_utf8_valid((const char *)payload, len) == !utf8_reference(payload, len),
		   "hub_utf8_valid says %d for %zu bytes, the reference disagrees",
		   hub_utf8_valid((const char *)payload, len), len);

	e = np__envelope__unpack(NULL, len, payload);
	why = hub_msg_decode(&m, payload, len, kind, HUB_DEFAULT_MAX_PAYLOAD);
	FUZZ_CHECK((why == HUB_OK) == (m != NULL), "hub_msg_decode: reason and result disagree");
	peek = hub_msg_peek_id(payload, len, id);
	/* O(1): it reads an id that opens the payload, as in every canonical one */
	FUZZ_CHECK((peek == 0) == (len >= 2 + HUB_ID_LEN && payload[0] == 0x0a
				   && payload[1] == HUB_ID_LEN), "hub_msg_peek_id says %d", peek);
	FUZZ_CHECK(m == NULL || (peek == 0 && memcmp(id, hub_msg_id(m), HUB_ID_LEN) == 0),
		   "hub_msg_peek_id read another id");
	if (m != NULL) {
		check_accepted(payload, len, kind, e);
		FUZZ_CHECK(memcmp(hub_msg_id(m), e->id.data, HUB_ID_LEN) == 0,
			   "hub_msg_id differs from the payload's id");
		FUZZ_CHECK((hub_msg_ack_report(m) != NULL) == (kind == HUB_TOPIC_ACK),
			   "hub_msg_ack_report on kind %d", (int)kind);
		FUZZ_CHECK(kind != HUB_TOPIC_ACK
			   || memcmp(hub_msg_ack_report(m), e->ack->report_id.data, HUB_ID_LEN)
				      == 0,
			   "hub_msg_ack_report differs from the payload's report_id");
		FUZZ_CHECK(hub_msg_stamp(m, p, NOW_MS) == 0, "hub_msg_stamp failed");
		check_stamped(m, p, e, kind);
		hub_msg_free(m);
	}

	/* the refusal: the topic is what the payload starts with, up to a NUL */
	len = len < TOPIC_MAX ? len : TOPIC_MAX;
	memcpy(topic, payload, len);
	topic[len] = '\0';
	check_refusal(peek == 0 ? id : NULL, topic,
		      why != HUB_OK ? hub_refusal_text(why) : "accepted");
	if (e != NULL)
		np__envelope__free_unpacked(e, NULL);
	return 0;
}
