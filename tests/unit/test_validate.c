/* test_validate.c - checks validate.c against DESIGN.md's "Messages": that
 * hub_msg_decode accepts a body only on the topic kind it fits (every body x
 * every kind), refuses what does not decode, is not UTF-8, holds a NUL, has the
 * wrong id length or unknown fields, or is over the size limit; that
 * hub_utf8_valid takes exactly the valid UTF-8 sequences (boundaries,
 * surrogates, overlongs, truncations); that stamping overwrites whatever sender
 * the client wrote and sets received_at_ms; that a packed Refusal, and any
 * reply the hub packs, unpacks to what went in; and that hub_msg_peek_id finds
 * the id of a refused payload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "np.pb-c.h"
#include "validate.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAX 65536

#define R_FIT HUB_R_BODY_MISFIT
#define R_HUB_ONLY HUB_R_BODY_HUB_ONLY
#define R_NO_BODY HUB_R_NO_BODY
#define R_UTF8 HUB_R_TEXT_UTF8
#define R_CANON HUB_R_NOT_CANONICAL

static const uint8_t ID[16] = { 0x01, 0x8c, 0x3f, 0x10, 0x20, 0x30, 7, 8,
				9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t RID[16] = { 0xaa, 0xbb, 0xcc, 0xdd, 5, 6, 7, 8,
				 9, 10, 11, 12, 13, 14, 15, 0xff };

/* ---- envelopes ---- */

static uint8_t *
pack(const Np__Envelope *e, size_t *len)
{
	uint8_t *buf;

	*len = np__envelope__get_packed_size(e);
	buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	np__envelope__pack(e, buf);
	return buf;
}

/* A valid envelope with the given body (NOT_SET: none) and texts t1, t2 in
 * its body's text fields (NULL: defaults). */
static uint8_t *
envelope(Np__Envelope__BodyCase body, const char *t1, const char *t2, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report rep = NP__REPORT__INIT;
	Np__Ack ack = NP__ACK__INIT;
	Np__Announcement ann = NP__ANNOUNCEMENT__INIT;
	Np__DirectMessage dm = NP__DIRECT_MESSAGE__INIT;
	Np__Showcase show = NP__SHOWCASE__INIT;
	Np__Status st = NP__STATUS__INIT;
	Np__Refusal ref = NP__REFUSAL__INIT;
	Np__HistoryPage page = NP__HISTORY_PAGE__INIT;
	const char *a = t1 ? t1 : "ไฟดับ", *b = t2 ? t2 : "";

	e.id.data = (uint8_t *)ID;
	e.id.len = 16;
	e.sent_at_ms = 1700000000000;
	e.body_case = body;
	switch (body) {
	case NP__ENVELOPE__BODY_REPORT:
		rep.title = (char *)a;
		rep.detail = (char *)b;
		e.report = &rep;
		break;
	case NP__ENVELOPE__BODY_ACK:
		ack.report_id.data = (uint8_t *)RID;
		ack.report_id.len = 16;
		ack.state = NP__ACK_STATE__RESOLVED;
		ack.note = (char *)(t1 ? t1 : "");
		e.ack = &ack;
		break;
	case NP__ENVELOPE__BODY_ANNOUNCEMENT:
		ann.title = (char *)a;
		ann.body = (char *)b;
		e.announcement = &ann;
		break;
	case NP__ENVELOPE__BODY_DM:
		dm.text = (char *)a;
		e.dm = &dm;
		break;
	case NP__ENVELOPE__BODY_SHOWCASE:
		show.title = (char *)a;
		show.description = (char *)b;
		e.showcase = &show;
		break;
	case NP__ENVELOPE__BODY_STATUS:
		st.online = true;
		e.status = &st;
		break;
	case NP__ENVELOPE__BODY_REFUSAL:
		ref.topic = "np/x";
		ref.reason = "forged";
		e.refusal = &ref;
		break;
	case NP__ENVELOPE__BODY_HISTORY_PAGE:
		page.correlation_id = "c1";
		e.history_page = &page;
		break;
	default:
		e.body_case = NP__ENVELOPE__BODY__NOT_SET;
		break;
	}
	return pack(&e, len);
}

/* hub_msg_decode's verdict on buf (HUB_OK: accepted); frees what it decoded. */
static enum hub_refusal
verdict(const void *buf, size_t len, enum hub_topic_kind kind)
{
	struct hub_msg *m = (struct hub_msg *)1;
	enum hub_refusal why = hub_msg_decode(&m, buf, len, kind, MAX);

	if (why != HUB_OK)
		assert_null(m);
	else
		assert_non_null(m);
	hub_msg_free(m);
	return why;
}

static void
assert_verdict(enum hub_refusal want, const void *buf, size_t len, enum hub_topic_kind kind)
{
	enum hub_refusal why = verdict(buf, len, kind);

	if (why != want)
		fail_msg("verdict \"%s\", want \"%s\"", hub_refusal_text(why),
			 hub_refusal_text(want));
}

/* ---- every body on every topic kind ---- */

static void
decode_accepts_a_body_only_on_the_topic_kind_it_fits(void **state)
{
	static const Np__Envelope__BodyCase bodies[] = {
		NP__ENVELOPE__BODY__NOT_SET, NP__ENVELOPE__BODY_REPORT, NP__ENVELOPE__BODY_ACK,
		NP__ENVELOPE__BODY_ANNOUNCEMENT, NP__ENVELOPE__BODY_DM,
		NP__ENVELOPE__BODY_SHOWCASE, NP__ENVELOPE__BODY_STATUS,
		NP__ENVELOPE__BODY_REFUSAL, NP__ENVELOPE__BODY_HISTORY_PAGE,
	};
	static const enum hub_topic_kind kinds[] = {
		HUB_TOPIC_OTHER, HUB_TOPIC_ANN, HUB_TOPIC_REPORT, HUB_TOPIC_ACK,
		HUB_TOPIC_STATUS, HUB_TOPIC_SHOW, HUB_TOPIC_DM, HUB_TOPIC_REPLY,
		HUB_TOPIC_HISTORY,
	};
	size_t b, k, len, accepted = 0;
	enum hub_refusal want, why;
	uint8_t *buf;

	(void)state;
	for (b = 0; b < COUNT(bodies); b++) {
		buf = envelope(bodies[b], NULL, NULL, &len);
		for (k = 0; k < COUNT(kinds); k++) {
			switch (bodies[b]) {
			case NP__ENVELOPE__BODY__NOT_SET:
				want = R_NO_BODY;
				break;
			case NP__ENVELOPE__BODY_REFUSAL:
			case NP__ENVELOPE__BODY_HISTORY_PAGE:
				want = R_HUB_ONLY;
				break;
			case NP__ENVELOPE__BODY_REPORT:
				want = kinds[k] == HUB_TOPIC_REPORT ? HUB_OK : R_FIT;
				break;
			case NP__ENVELOPE__BODY_ACK:
				want = kinds[k] == HUB_TOPIC_ACK ? HUB_OK : R_FIT;
				break;
			case NP__ENVELOPE__BODY_ANNOUNCEMENT:
				want = kinds[k] == HUB_TOPIC_ANN ? HUB_OK : R_FIT;
				break;
			case NP__ENVELOPE__BODY_DM:
				want = kinds[k] == HUB_TOPIC_DM ? HUB_OK : R_FIT;
				break;
			case NP__ENVELOPE__BODY_SHOWCASE:
				want = kinds[k] == HUB_TOPIC_SHOW ? HUB_OK : R_FIT;
				break;
			default:
				want = kinds[k] == HUB_TOPIC_STATUS ? HUB_OK : R_FIT;
				break;
			}
			why = verdict(buf, len, kinds[k]);
			if (want != why)
				fail_msg("body %d on kind %d: \"%s\", want \"%s\"", (int)bodies[b],
					 (int)kinds[k], hub_refusal_text(why),
					 hub_refusal_text(want));
			accepted += why == HUB_OK;
		}
		free(buf);
	}
	assert_int_equal(accepted, 6);  /* one kind for each of the six client bodies */
}

/* ---- payloads that do not decode ---- */

static void
decode_refuses_empty_garbage_and_truncated_payloads(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		enum hub_refusal why;
	} cases[] = {
		{ "", 0, HUB_R_PAYLOAD_EMPTY },
		{ "\x00", 1, HUB_R_NOT_ENVELOPE },
		{ "\xff\xff\xff", 3, HUB_R_NOT_ENVELOPE },
		{ "\x0a\x10short", 7, HUB_R_NOT_ENVELOPE },        /* id runs out */
		{ "\x08\x01", 2, HUB_R_NOT_ENVELOPE },     /* id as a varint */
		{ "\x10\xff\xff", 3, HUB_R_NOT_ENVELOPE }, /* varint cut short */
		{ "\x2b\x2c", 2, HUB_R_NOT_ENVELOPE },     /* a group */
		{ "\x2f\x00", 2, HUB_R_NOT_ENVELOPE },     /* wire type 7 */
		{ "\x52\x03\xff\xff\xff", 5, HUB_R_NOT_ENVELOPE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		enum hub_refusal why = verdict(cases[i].bytes, cases[i].len, HUB_TOPIC_REPORT);

		if (why != cases[i].why)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, hub_refusal_text(why),
				 hub_refusal_text(cases[i].why));
	}
}

static void
decode_refuses_a_payload_over_the_limit_and_accepts_one_at_it(void **state)
{
	struct hub_msg *m;
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = envelope(NP__ENVELOPE__BODY_REPORT, NULL, NULL, &len);
	assert_int_equal(hub_msg_decode(&m, buf, len, HUB_TOPIC_REPORT, len - 1),
			 HUB_R_PAYLOAD_TOO_BIG);
	assert_null(m);
	assert_int_equal(hub_msg_decode(&m, buf, len, HUB_TOPIC_REPORT, len), HUB_OK);
	assert_non_null(m);
	hub_msg_free(m);
	free(buf);
}

static void
decode_refuses_an_all_zero_id_and_a_seal_set_by_a_client_issue11(void **state)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report r = NP__REPORT__INIT;
	uint8_t id[16], seal[16], *buf;
	size_t len;

	(void)state;
	memset(id, 0, sizeof(id));
	memset(seal, 0x77, sizeof(seal));
	r.title = "ไฟดับ";
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	e.id.data = id;
	e.id.len = 16;
	buf = pack(&e, &len);
	assert_verdict(HUB_R_ID_ZERO, buf, len,
		       HUB_TOPIC_REPORT);
	free(buf);
	id[15] = 1;
	e.seal.data = seal;
	e.seal.len = 16;
	buf = pack(&e, &len);
	assert_verdict(HUB_R_SEAL_SET, buf, len, HUB_TOPIC_REPORT);
	free(buf);
}

static void
decode_refuses_ids_that_are_not_16_bytes(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 17, 32 };
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report r = NP__REPORT__INIT;
	uint8_t id[32], *buf;
	size_t i, len;

	(void)state;
	memset(id, 0x42, sizeof(id));
	r.title = "ไฟดับ";
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	e.id.data = id;
	for (i = 0; i < COUNT(lens); i++) {
		e.id.len = lens[i];
		buf = pack(&e, &len);
		assert_verdict(HUB_R_ID_LENGTH, buf, len, HUB_TOPIC_REPORT);
		free(buf);
	}
	/* an id field written out with no bytes */
	assert_verdict(HUB_R_ID_LENGTH, "\x0a\x00\x52\x03\x0a\x01x", 7, HUB_TOPIC_REPORT);
}

static void
decode_refuses_unknown_fields_in_envelope_sender_and_body(void **state)
{
	static const uint8_t id_field[] = { 0x0a, 0x10, 1, 2, 3, 4, 5, 6, 7, 8,
					    9, 10, 11, 12, 13, 14, 15, 16 };
	static const struct {
		const char *tail;
		size_t len;
		enum hub_refusal why;
	} cases[] = {
		/* report "x", then field 99 varint */
		{ "\x52\x03\x0a\x01x\x98\x06\x01", 8, HUB_R_ENVELOPE_UNKNOWN_FIELDS },
		/* sender { field 9 varint }, report "x" */
		{ "\x1a\x02\x48\x01\x52\x03\x0a\x01x", 9, HUB_R_ENVELOPE_UNKNOWN_FIELDS },
		/* report { title "x", field 3 varint } */
		{ "\x52\x05\x0a\x01x\x18\x01", 7, HUB_R_BODY_UNKNOWN_FIELDS },
		/* report { title "x", field 7: nested bytes } */
		{ "\x52\x09\x0a\x01x\x3a\x04\x0a\x02\x0a\x00", 11, HUB_R_BODY_UNKNOWN_FIELDS },
	};
	uint8_t buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		memcpy(buf, id_field, sizeof(id_field));
		memcpy(buf + sizeof(id_field), cases[i].tail, cases[i].len);
		assert_verdict(cases[i].why, buf, sizeof(id_field) + cases[i].len,
			       HUB_TOPIC_REPORT);
	}
}

static void
decode_checks_every_text_field_for_utf8(void **state)
{
	static const struct {
		Np__Envelope__BodyCase body;
		enum hub_topic_kind kind;
		const char *t1, *t2;
	} cases[] = {
		{ NP__ENVELOPE__BODY_REPORT, HUB_TOPIC_REPORT, "\xff", NULL },
		{ NP__ENVELOPE__BODY_REPORT, HUB_TOPIC_REPORT, "ok", "a\xc0\x80" },
		{ NP__ENVELOPE__BODY_ACK, HUB_TOPIC_ACK, "\xed\xa0\x80", NULL },
		{ NP__ENVELOPE__BODY_ANNOUNCEMENT, HUB_TOPIC_ANN, "\xe0\x80\xaf", NULL },
		{ NP__ENVELOPE__BODY_ANNOUNCEMENT, HUB_TOPIC_ANN, "ok", "\xf4\x90\x80\x80" },
		{ NP__ENVELOPE__BODY_DM, HUB_TOPIC_DM, "\xf8\x88\x80\x80\x80", NULL },
		{ NP__ENVELOPE__BODY_SHOWCASE, HUB_TOPIC_SHOW, "ผ้า\xe0\xb8", NULL },
		{ NP__ENVELOPE__BODY_SHOWCASE, HUB_TOPIC_SHOW, "ok", "\x80" },
	};
	uint8_t *buf;
	size_t i, len;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		buf = envelope(cases[i].body, cases[i].t1, cases[i].t2, &len);
		assert_verdict(R_UTF8, buf, len, cases[i].kind);
		free(buf);
	}
}

static void
decode_refuses_empty_required_texts(void **state)
{
	static const struct {
		Np__Envelope__BodyCase body;
		enum hub_topic_kind kind;
		enum hub_refusal why;
	} cases[] = {
		{ NP__ENVELOPE__BODY_REPORT, HUB_TOPIC_REPORT, HUB_R_REPORT_NO_TITLE },
		{ NP__ENVELOPE__BODY_ANNOUNCEMENT, HUB_TOPIC_ANN, HUB_R_ANN_NO_TITLE },
		{ NP__ENVELOPE__BODY_DM, HUB_TOPIC_DM, HUB_R_DM_EMPTY },
		{ NP__ENVELOPE__BODY_SHOWCASE, HUB_TOPIC_SHOW, HUB_R_SHOW_NO_TITLE },
	};
	uint8_t *buf;
	size_t i, len;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		buf = envelope(cases[i].body, "", NULL, &len);
		assert_verdict(cases[i].why, buf, len, cases[i].kind);
		free(buf);
	}
	/* the optional texts may be empty; an ack's note too */
	buf = envelope(NP__ENVELOPE__BODY_ACK, "", NULL, &len);
	assert_verdict(HUB_OK, buf, len, HUB_TOPIC_ACK);
	free(buf);
}

static void
decode_takes_8192_bytes_of_text_and_refuses_8193(void **state)
{
	char *text = malloc(8194);
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_non_null(text);
	memset(text, 'a', 8193);
	text[8192] = '\0';
	buf = envelope(NP__ENVELOPE__BODY_REPORT, text, text, &len);
	assert_verdict(HUB_OK, buf, len, HUB_TOPIC_REPORT);
	free(buf);
	text[8192] = 'a';
	text[8193] = '\0';
	buf = envelope(NP__ENVELOPE__BODY_REPORT, "ok", text, &len);
	assert_verdict(HUB_R_TEXT_TOO_LONG, buf, len, HUB_TOPIC_REPORT);
	free(buf);
	free(text);
}

/* protobuf-c cuts a string at a NUL: the hub must see that it did. */
static void
decode_refuses_a_nul_inside_any_text(void **state)
{
	static const struct {
		const char *tail;       /* after the id field */
		size_t len;
		enum hub_topic_kind kind;
	} cases[] = {
		{ "\x52\x07\x0a\x05" "ab\0cd", 9, HUB_TOPIC_REPORT },
		{ "\x52\x08\x0a\x01x\x12\x03" "ab\0", 10, HUB_TOPIC_REPORT },
		{ "\x6a\x05\x0a\x03" "h\0i", 7, HUB_TOPIC_DM },
		{ "\x62\x07\x0a\x01t\x12\x02\0\0", 9, HUB_TOPIC_ANN },
		{ "\x1a\x05\x0a\x03" "a\0b" "\x52\x03\x0a\x01x", 12, HUB_TOPIC_REPORT },
	};
	uint8_t buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		buf[0] = 0x0a;
		buf[1] = 16;
		memcpy(buf + 2, ID, 16);
		memcpy(buf + 18, cases[i].tail, cases[i].len);
		assert_verdict(R_CANON, buf, 18 + cases[i].len, cases[i].kind);
	}
}

/* A text that is nothing but a NUL decodes as empty: the reason must still
 * name the NUL, not a missing text. */
static void
decode_names_the_nul_in_a_text_that_is_only_a_nul(void **state)
{
	static const struct {
		const char *tail;
		size_t len;
		enum hub_topic_kind kind;
	} cases[] = {
		{ "\x52\x03\x0a\x01\x00", 5, HUB_TOPIC_REPORT },
		{ "\x6a\x03\x0a\x01\x00", 5, HUB_TOPIC_DM },
	};
	uint8_t buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		buf[0] = 0x0a;
		buf[1] = 16;
		memcpy(buf + 2, ID, 16);
		memcpy(buf + 18, cases[i].tail, cases[i].len);
		assert_verdict(R_CANON, buf, 18 + cases[i].len, cases[i].kind);
	}
}

/* The hub stores what it re-packs: an encoding that does not pack back to the
 * same bytes is refused (a redundant length byte, a repeated field). */
static void
decode_refuses_encodings_that_do_not_pack_back_the_same(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
	} cases[] = {
		{ "\x0a\x90\x00" "0123456789abcdef" "\x52\x03\x0a\x01x", 24 },
		{ "\x0a\x01\x09" "\x0a\x10" "0123456789abcdef" "\x52\x03\x0a\x01x", 26 },
		{ "\x0a\x10" "0123456789abcdef" "\x52\x03\x0a\x01x\x52\x03\x0a\x01y", 28 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++)
		assert_verdict(R_CANON, cases[i].bytes, cases[i].len, HUB_TOPIC_REPORT);
}

/* Of two bodies the last one counts, and it is checked. */
static void
decode_checks_the_last_of_two_bodies(void **state)
{
	static const char bytes[] = "\x0a\x10" "0123456789abcdef"
				    "\x62\x03\x0a\x01" "a"          /* announcement "a" */
				    "\x52\x03\x0a\x01\xff";         /* report "\xff" */

	(void)state;
	assert_verdict(R_UTF8, bytes, sizeof(bytes) - 1, HUB_TOPIC_REPORT);
}

static void
decode_checks_the_ack_report_id_and_state(void **state)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Ack a = NP__ACK__INIT;
	struct hub_msg *m;
	uint8_t rid[17], *buf;
	size_t len;
	int s;

	(void)state;
	memcpy(rid, RID, 16);
	rid[16] = 0;
	e.id.data = (uint8_t *)ID;
	e.id.len = 16;
	e.body_case = NP__ENVELOPE__BODY_ACK;
	e.ack = &a;
	a.report_id.data = rid;
	a.state = NP__ACK_STATE__RECEIVED;
	for (a.report_id.len = 0; a.report_id.len <= 17; a.report_id.len++) {
		buf = pack(&e, &len);
		assert_verdict(a.report_id.len == 16 ? HUB_OK : HUB_R_ACK_REPORT_ID, buf,
			       len, HUB_TOPIC_ACK);
		free(buf);
	}
	a.report_id.len = 16;
	for (s = -1; s <= 6; s++) {
		a.state = (Np__AckState)s;
		buf = pack(&e, &len);
		assert_verdict(s >= 1 && s <= 4 ? HUB_OK
			       : s == 5 ? HUB_R_ACK_NO_ASSIGNEE : HUB_R_ACK_STATE,
			       buf, len, HUB_TOPIC_ACK);
		free(buf);
	}
	/* an assignee goes with ASSIGNED only, and is a username */
	a.state = NP__ACK_STATE__ASSIGNED;
	a.assignee = "nt_operator";
	buf = pack(&e, &len);
	assert_verdict(HUB_OK, buf, len, HUB_TOPIC_ACK);
	free(buf);
	a.assignee = "50010101";
	buf = pack(&e, &len);
	assert_verdict(HUB_R_CASE_ASSIGNEE_UNKNOWN, buf, len, HUB_TOPIC_ACK);
	free(buf);
	a.state = NP__ACK_STATE__RESOLVED;
	a.assignee = "nt_operator";
	buf = pack(&e, &len);
	assert_verdict(HUB_R_ACK_ASSIGNEE_STATE, buf, len, HUB_TOPIC_ACK);
	free(buf);
	a.assignee = (char *)protobuf_c_empty_string;
	/* hub_msg_ack_report gives the acknowledged id, and only for an ack */
	a.state = NP__ACK_STATE__IN_PROGRESS;
	buf = pack(&e, &len);
	assert_int_equal(hub_msg_decode(&m, buf, len, HUB_TOPIC_ACK, MAX), HUB_OK);
	assert_memory_equal(hub_msg_ack_report(m), RID, 16);
	assert_memory_equal(hub_msg_id(m), ID, 16);
	hub_msg_free(m);
	free(buf);
	buf = envelope(NP__ENVELOPE__BODY_REPORT, NULL, NULL, &len);
	assert_int_equal(hub_msg_decode(&m, buf, len, HUB_TOPIC_REPORT, MAX), HUB_OK);
	assert_null(hub_msg_ack_report(m));
	hub_msg_free(m);
	free(buf);
}

static void
decoded_message_packs_back_to_the_bytes_received(void **state)
{
	struct hub_msg *m;
	uint8_t *buf, *out;
	size_t len;

	(void)state;
	buf = envelope(NP__ENVELOPE__BODY_SHOWCASE, "ผ้าทอมือ", "ฝ้าย 100%", &len);
	assert_int_equal(hub_msg_decode(&m, buf, len, HUB_TOPIC_SHOW, MAX), HUB_OK);
	assert_int_equal(hub_msg_packed_size(m), len);
	out = malloc(len);
	assert_non_null(out);
	hub_msg_pack(m, out);
	assert_memory_equal(out, buf, len);
	free(out);
	hub_msg_free(m);
	free(buf);
	hub_msg_free(NULL);
}

/* ---- stamping ---- */

static Np__Envelope *
stamped(struct hub_msg *m, const struct hub_principal *p, int64_t now)
{
	Np__Envelope *e;
	uint8_t *out;
	size_t len;

	assert_int_equal(hub_msg_stamp(m, p, now), 0);
	len = hub_msg_packed_size(m);
	out = malloc(len);
	assert_non_null(out);
	hub_msg_pack(m, out);
	e = np__envelope__unpack(NULL, len, out);
	free(out);
	assert_non_null(e);
	return e;
}

static void
stamp_overwrites_a_forged_sender_and_sets_received_at(void **state)
{
	Np__Envelope e = NP__ENVELOPE__INIT, *got;
	Np__Sender forged = NP__SENDER__INIT;
	Np__Report r = NP__REPORT__INIT;
	struct hub_principal p = { .username = "somchai", .role = HUB_ROLE_VOLUNTEER,
				   .scope = "50010101" };
	struct hub_msg *m;
	uint8_t *buf;
	size_t len;

	(void)state;
	forged.username = "ministry";
	forged.role = NP__ROLE__ADMIN;
	forged.area = "TH";
	e.id.data = (uint8_t *)ID;
	e.id.len = 16;
	e.sent_at_ms = 1700000000123;
	e.sender = &forged;
	e.received_at_ms = 42;          /* forged too */
	r.title = "ไฟดับ";
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	buf = pack(&e, &len);
	assert_int_equal(hub_msg_decode(&m, buf, len, HUB_TOPIC_REPORT, MAX), HUB_OK);
	got = stamped(m, &p, 1700000009999);
	assert_string_equal(got->sender->username, "somchai");
	assert_int_equal(got->sender->role, NP__ROLE__VOLUNTEER);
	assert_string_equal(got->sender->area, "50010101");
	assert_int_equal(got->received_at_ms, 1700000009999);
	/* the rest as the client sent it */
	assert_int_equal(got->sent_at_ms, 1700000000123);
	assert_memory_equal(got->id.data, ID, 16);
	assert_int_equal(got->body_case, NP__ENVELOPE__BODY_REPORT);
	assert_string_equal(got->report->title, "ไฟดับ");
	np__envelope__free_unpacked(got, NULL);
	/* stamped again (a second principal): the last stamp holds */
	p.username = "cm_official";
	p.role = HUB_ROLE_OFFICIAL;
	snprintf(p.scope, sizeof(p.scope), "50");
	got = stamped(m, &p, 1700000010000);
	assert_string_equal(got->sender->username, "cm_official");
	assert_int_equal(got->sender->role, NP__ROLE__OFFICIAL);
	assert_string_equal(got->sender->area, "50");
	assert_int_equal(got->received_at_ms, 1700000010000);
	np__envelope__free_unpacked(got, NULL);
	hub_msg_free(m);
	free(buf);
}

static void
stamp_adds_a_sender_where_the_client_wrote_none(void **state)
{
	char name[HUB_USERNAME_MAX + 1];
	struct hub_principal p = { .username = name, .role = HUB_ROLE_AGENCY, .scope = "TH" };
	Np__Envelope *got;
	struct hub_msg *m;
	uint8_t *buf;
	size_t len;

	(void)state;
	memset(name, 'a', HUB_USERNAME_MAX);    /* the longest username */
	name[HUB_USERNAME_MAX] = '\0';
	buf = envelope(NP__ENVELOPE__BODY_ANNOUNCEMENT, NULL, NULL, &len);
	assert_int_equal(hub_msg_decode(&m, buf, len, HUB_TOPIC_ANN, MAX), HUB_OK);
	got = stamped(m, &p, 5);
	assert_non_null(got->sender);
	assert_string_equal(got->sender->username, name);
	assert_int_equal(got->sender->role, NP__ROLE__AGENCY);
	assert_string_equal(got->sender->area, "TH");
	assert_int_equal(got->received_at_ms, 5);
	np__envelope__free_unpacked(got, NULL);
	hub_msg_free(m);
	free(buf);
}

/* ---- refusals ---- */

static void
refusal_pack_round_trips_with_and_without_an_id(void **state)
{
	const char *topic = "np/rep/50/5001/50010101/outage";
	const char *reason = "text is not valid UTF-8 (ข้อความ)";
	Np__Envelope *e;
	uint8_t *buf;
	size_t len;
	int with_id;

	(void)state;
	for (with_id = 1; with_id >= 0; with_id--) {
		buf = hub_refusal_pack(with_id ? ID : NULL, topic, reason, with_id ? 1500 : 0,
				       1700000000777, &len);
		assert_non_null(buf);
		e = np__envelope__unpack(NULL, len, buf);
		assert_non_null(e);
		assert_int_equal(e->body_case, NP__ENVELOPE__BODY_REFUSAL);
		assert_string_equal(e->refusal->topic, topic);
		assert_string_equal(e->refusal->reason, reason);
		assert_int_equal(e->refusal->retry_after_ms, with_id ? 1500 : 0);
		if (with_id) {
			assert_int_equal(e->refusal->id.len, 16);
			assert_memory_equal(e->refusal->id.data, ID, 16);
		} else {
			assert_int_equal(e->refusal->id.len, 0);
		}
		assert_non_null(e->sender);
		assert_string_equal(e->sender->username, "hub");
		assert_string_equal(e->sender->area, "TH");
		assert_int_equal(e->received_at_ms, 1700000000777);
		assert_int_equal(e->sent_at_ms, 1700000000777);
		np__envelope__free_unpacked(e, NULL);
		free(buf);
	}
}

static void
reply_pack_sends_as_the_hub_and_leaves_the_callers_envelope_as_it_was(void **state)
{
	Np__Envelope e = NP__ENVELOPE__INIT, *got;
	Np__HistoryPage page = NP__HISTORY_PAGE__INIT;
	uint8_t *buf;
	size_t len;

	(void)state;
	page.correlation_id = "c7";
	page.error = "the filter is empty";
	e.body_case = NP__ENVELOPE__BODY_HISTORY_PAGE;
	e.history_page = &page;
	buf = hub_reply_pack(&e, 1700000000888, &len);
	assert_non_null(buf);
	assert_null(e.sender);          /* no pointer to the packer's stack is left */
	got = np__envelope__unpack(NULL, len, buf);
	assert_non_null(got);
	assert_string_equal(got->sender->username, "hub");
	assert_string_equal(got->sender->area, "TH");
	assert_int_equal(got->received_at_ms, 1700000000888);
	assert_int_equal(got->sent_at_ms, 1700000000888);
	assert_int_equal(got->body_case, NP__ENVELOPE__BODY_HISTORY_PAGE);
	assert_string_equal(got->history_page->correlation_id, "c7");
	assert_string_equal(got->history_page->error, "the filter is empty");
	np__envelope__free_unpacked(got, NULL);
	free(buf);
}

static void
peek_id_finds_the_id_of_a_refused_payload(void **state)
{
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	/* refused for its text, but the id is there */
	buf = envelope(NP__ENVELOPE__BODY_REPORT, "\xff\xfe", NULL, &len);
	assert_int_equal(verdict(buf, len, HUB_TOPIC_REPORT), R_UTF8);
	memset(id, 0, sizeof(id));
	assert_int_equal(hub_msg_peek_id(buf, len, id), 0);
	assert_memory_equal(id, ID, 16);
	free(buf);
	/* a body on the wrong topic: still an id */
	buf = envelope(NP__ENVELOPE__BODY_DM, NULL, NULL, &len);
	memset(id, 0, sizeof(id));
	assert_int_equal(hub_msg_peek_id(buf, len, id), 0);
	assert_memory_equal(id, ID, 16);
	free(buf);
}

static void
peek_id_fails_without_a_16_byte_id_and_leaves_the_buffer(void **state)
{
	static const uint8_t zero[16];
	static const struct {
		const char *bytes;
		size_t len;
	} cases[] = {
		{ "", 0 },
		{ "\xff\xff", 2 },
		{ "\x0a\x10short", 7 },
		{ "\x0a\x0f" "0123456789abcde", 17 },
		{ "\x0a\x11" "0123456789abcdefg", 19 },
		{ "\x52\x03\x0a\x01x", 5 },
	};
	uint8_t id[16];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		memset(id, 0, sizeof(id));
		assert_int_equal(hub_msg_peek_id(cases[i].bytes, cases[i].len, id), -1);
		assert_memory_equal(id, zero, 16);
	}
}

/* ---- UTF-8 ---- */

static void
utf8_valid_takes_exactly_the_valid_sequences(void **state)
{
	static const struct {
		const char *name, *s;
		size_t n;
		bool ok;
	} cases[] = {
		{ "empty", "", 0, true },
		{ "ascii", "hello", 5, true },
		{ "U+0001", "\x01", 1, true },
		{ "U+007F", "\x7f", 1, true },
		{ "U+0080", "\xc2\x80", 2, true },
		{ "U+07FF", "\xdf\xbf", 2, true },
		{ "U+0800", "\xe0\xa0\x80", 3, true },
		{ "U+0E44 (Thai)", "\xe0\xb9\x84", 3, true },
		{ "U+D7FF", "\xed\x9f\xbf", 3, true },
		{ "U+E000", "\xee\x80\x80", 3, true },
		{ "U+FFFD", "\xef\xbf\xbd", 3, true },
		{ "U+FFFF", "\xef\xbf\xbf", 3, true },
		{ "U+10000", "\xf0\x90\x80\x80", 4, true },
		{ "U+1F600", "\xf0\x9f\x98\x80", 4, true },
		{ "U+10FFFF", "\xf4\x8f\xbf\xbf", 4, true },
		{ "Thai sentence", "ไฟดับทั้งหมู่บ้าน", sizeof("ไฟดับทั้งหมู่บ้าน") - 1, true },
		{ "U+110000", "\xf4\x90\x80\x80", 4, false },
		{ "0xf5 lead", "\xf5\x80\x80\x80", 4, false },
		{ "U+D800 (high surrogate)", "\xed\xa0\x80", 3, false },
		{ "U+DBFF", "\xed\xaf\xbf", 3, false },
		{ "U+DC00 (low surrogate)", "\xed\xb0\x80", 3, false },
		{ "U+DFFF", "\xed\xbf\xbf", 3, false },
		{ "CESU-8 pair", "\xed\xa0\xbd\xed\xb8\x80", 6, false },
		{ "overlong NUL", "\xc0\x80", 2, false },
		{ "overlong '/' 2", "\xc0\xaf", 2, false },
		{ "overlong U+007F", "\xc1\xbf", 2, false },
		{ "overlong '/' 3", "\xe0\x80\xaf", 3, false },
		{ "overlong U+07FF", "\xe0\x9f\xbf", 3, false },
		{ "overlong '/' 4", "\xf0\x80\x80\xaf", 4, false },
		{ "overlong U+FFFF", "\xf0\x8f\xbf\xbf", 4, false },
		{ "5-byte sequence", "\xf8\x88\x80\x80\x80", 5, false },
		{ "6-byte sequence", "\xfc\x84\x80\x80\x80\x80", 6, false },
		{ "0xfe", "\xfe", 1, false },
		{ "0xff", "\xff", 1, false },
		{ "lone continuation", "\x80", 1, false },
		{ "continuation 0xbf", "a\xbf", 2, false },
		{ "2-byte cut", "\xc2", 1, false },
		{ "3-byte cut after 1", "\xe0", 1, false },
		{ "3-byte cut after 2", "\xe0\xa0", 2, false },
		{ "4-byte cut after 3", "\xf0\x90\x80", 3, false },
		{ "cut by n", "\xc2\x80", 1, false },
		{ "ASCII where a continuation is due", "\xc2\x41", 2, false },
		{ "lead where a continuation is due", "\xe0\xa0\xc2\x80", 4, false },
		{ "Latin-1 e acute", "caf\xe9", 4, false },
		{ "NUL", "\0", 1, false },
		{ "NUL inside", "a\0b", 3, false },
		{ "NUL at the end", "ab\0", 3, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		if ((hub_utf8_valid(cases[i].s, cases[i].n) != 0) != cases[i].ok)
			fail_msg("%s: %s, want %s", cases[i].name,
				 cases[i].ok ? "refused" : "accepted",
				 cases[i].ok ? "accepted" : "refused");
	}
}

/* Every code point is accepted, encoded by the book; every surrogate is not. */
static void
utf8_valid_takes_every_scalar_value(void **state)
{
	unsigned char b[4];
	uint32_t cp;
	size_t n;

	(void)state;
	for (cp = 1; cp <= 0x10ffff; cp++) {
		if (cp < 0x80) {
			b[0] = (unsigned char)cp;
			n = 1;
		} else if (cp < 0x800) {
			b[0] = (unsigned char)(0xc0 | cp >> 6);
			b[1] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			b[0] = (unsigned char)(0xe0 | cp >> 12);
			b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
			b[2] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			b[0] = (unsigned char)(0xf0 | cp >> 18);
			b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
			b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
			b[3] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		if ((hub_utf8_valid((const char *)b, n) != 0) != !(cp >= 0xd800 && cp <= 0xdfff))
			fail_msg("U+%04X: %s", (unsigned)cp,
				 cp >= 0xd800 && cp <= 0xdfff ? "surrogate accepted" : "refused");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_accepts_a_body_only_on_the_topic_kind_it_fits),
		cmocka_unit_test(decode_refuses_empty_garbage_and_truncated_payloads),
		cmocka_unit_test(decode_refuses_a_payload_over_the_limit_and_accepts_one_at_it),
		cmocka_unit_test(decode_refuses_ids_that_are_not_16_bytes),
		cmocka_unit_test(decode_refuses_an_all_zero_id_and_a_seal_set_by_a_client_issue11),
		cmocka_unit_test(decode_refuses_unknown_fields_in_envelope_sender_and_body),
		cmocka_unit_test(decode_checks_every_text_field_for_utf8),
		cmocka_unit_test(decode_refuses_empty_required_texts),
		cmocka_unit_test(decode_takes_8192_bytes_of_text_and_refuses_8193),
		cmocka_unit_test(decode_refuses_a_nul_inside_any_text),
		cmocka_unit_test(decode_names_the_nul_in_a_text_that_is_only_a_nul),
		cmocka_unit_test(decode_refuses_encodings_that_do_not_pack_back_the_same),
		cmocka_unit_test(decode_checks_the_last_of_two_bodies),
		cmocka_unit_test(decode_checks_the_ack_report_id_and_state),
		cmocka_unit_test(decoded_message_packs_back_to_the_bytes_received),
		cmocka_unit_test(stamp_overwrites_a_forged_sender_and_sets_received_at),
		cmocka_unit_test(stamp_adds_a_sender_where_the_client_wrote_none),
		cmocka_unit_test(refusal_pack_round_trips_with_and_without_an_id),
		cmocka_unit_test(
			reply_pack_sends_as_the_hub_and_leaves_the_callers_envelope_as_it_was),
		cmocka_unit_test(peek_id_finds_the_id_of_a_refused_payload),
		cmocka_unit_test(peek_id_fails_without_a_16_byte_id_and_leaves_the_buffer),
		cmocka_unit_test(utf8_valid_takes_exactly_the_valid_sequences),
		cmocka_unit_test(utf8_valid_takes_every_scalar_value),
	};

	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
