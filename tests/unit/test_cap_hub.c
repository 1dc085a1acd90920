/* test_cap_hub.c - checks the hub's side of CAP (DESIGN.md "CAP"): validate.c
 * refuses CAP fields outside CAP's words and references that are not 16-byte
 * ids or sit on anything but an Update or Cancel, and accepts an expired
 * announcement only when it carries a cap_identifier; expiry.c's memo marks
 * every cap_status but Actual and keeps the expiry; idset.c finds every id it
 * holds across growth and none it does not; history.c sees a withdrawn id at
 * once and keeps it across a reopen. */
#define _GNU_SOURCE             /* unshare, for tmpdb.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expiry.h"
#include "history.h"
#include "idset.h"
#include "np.pb-c.h"
#include "tmpdb.h"
#include "validate.h"

#define MAX 65536
#define NOW 1790117340000LL     /* 2026-09-23T05:49:00+07:00, the TMD alert's sent */

struct ann_spec {
	const char *severity, *status, *msg_type, *cap_identifier;
	int64_t expires_at_ms;
	size_t nrefs, ref_len;
};

static const uint8_t ID[16] = { 0x01, 0x8c, 0x3f, 0x10, 0x20, 0x30, 7, 8,
				9, 10, 11, 12, 13, 14, 15, 16 };

/* A client's announcement (no sender) as spec says; malloc'd. */
static uint8_t *
announcement(const struct ann_spec *sp, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Announcement a = NP__ANNOUNCEMENT__INIT;
	ProtobufCBinaryData refs[4];
	uint8_t ref[4][16], *buf;
	size_t i;

	e.id.data = (uint8_t *)ID;
	e.id.len = 16;
	e.sent_at_ms = NOW;
	a.title = "พื้นที่เสี่ยงภัยฝนตกหนักมาก";
	a.severity = (char *)(sp->severity ? sp->severity : "");
	a.cap_status = (char *)(sp->status ? sp->status : "");
	a.msg_type = (char *)(sp->msg_type ? sp->msg_type : "");
	a.cap_identifier = (char *)(sp->cap_identifier ? sp->cap_identifier : "");
	a.expires_at_ms = sp->expires_at_ms;
	for (i = 0; i < sp->nrefs && i < 4; i++) {
		memset(ref[i], (int)i + 1, sizeof(ref[i]));
		refs[i].data = ref[i];
		refs[i].len = sp->ref_len;
	}
	a.n_references = sp->nrefs;
	a.references = refs;
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &a;
	*len = np__envelope__get_packed_size(&e);
	buf = malloc(*len);
	assert_non_null(buf);
	np__envelope__pack(&e, buf);
	return buf;
}

static enum hub_refusal
decode(const struct ann_spec *sp, struct hub_msg **m)
{
	enum hub_refusal why;
	uint8_t *buf;
	size_t len;

	buf = announcement(sp, &len);
	why = hub_msg_decode(m, buf, len, HUB_TOPIC_ANN, MAX);
	free(buf);
	return why;
}

static void
decode_refuses_cap_fields_outside_caps_words(void **state)
{
	static const struct {
		struct ann_spec sp;
		enum hub_refusal want;
	} cases[] = {
		{ { .severity = "Extreme", .status = "Actual", .msg_type = "Alert" }, HUB_OK },
		{ { .severity = "High" }, HUB_R_CAP_SEVERITY },
		{ { .status = "Real" }, HUB_R_CAP_STATUS },
		{ { .msg_type = "Withdraw" }, HUB_R_CAP_MSG_TYPE },
		{ { .msg_type = "Cancel", .nrefs = 2, .ref_len = 16 }, HUB_OK },
		{ { .msg_type = "Update", .nrefs = 1, .ref_len = 16 }, HUB_OK },
		{ { .msg_type = "Alert", .nrefs = 1, .ref_len = 16 }, HUB_R_CAP_REF_MSG_TYPE },
		{ { .nrefs = 1, .ref_len = 16 }, HUB_R_CAP_REF_MSG_TYPE },
		{ { .msg_type = "Cancel", .nrefs = 1, .ref_len = 15 }, HUB_R_CAP_REF_LENGTH },
	};
	struct hub_msg *m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(decode(&cases[i].sp, &m), cases[i].want);
		if (cases[i].want == HUB_OK) {
			assert_int_equal(hub_msg_n_references(m), cases[i].sp.nrefs);
			hub_msg_free(m);
		} else {
			assert_null(m);
		}
	}
}

static void
an_expired_announcement_is_accepted_only_from_cap(void **state)
{
	struct ann_spec plain = { .expires_at_ms = NOW - 1 };
	struct ann_spec cap = { .expires_at_ms = NOW - 1, .cap_identifier = "TMD20260923055145_2" };
	struct hub_msg *m;

	(void)state;
	assert_int_equal(decode(&plain, &m), HUB_OK);
	assert_int_equal(hub_msg_check_expiry(m, NOW), HUB_R_ANN_EXPIRED);
	hub_msg_free(m);
	assert_int_equal(decode(&cap, &m), HUB_OK);
	assert_int_equal(hub_msg_check_expiry(m, NOW), HUB_OK);
	assert_string_equal(hub_msg_cap_status(m), "Actual");
	hub_msg_free(m);
}

static void
memo_marks_every_status_but_actual_and_keeps_the_expiry(void **state)
{
	static const struct {
		const char *status;
		bool not_actual;
	} cases[] = { { NULL, false }, { "Actual", false }, { "Test", true }, { "Exercise", true },
		      { "System", true }, { "Draft", true } };
	struct ann_spec sp = { .expires_at_ms = NOW + 3600000 };
	uint8_t *buf;
	size_t len, i;
	int64_t memo;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sp.status = cases[i].status;
		buf = announcement(&sp, &len);
		memo = hub_ann_memo_read(buf, len);
		assert_true(memo >= 0);
		assert_int_equal((memo & HUB_ANN_MEMO_NOT_ACTUAL) != 0, cases[i].not_actual);
		assert_true((memo & ~HUB_ANN_MEMO_NOT_ACTUAL) == NOW + 3600000);
		free(buf);
	}
	sp.status = "Test";
	sp.expires_at_ms = INT64_MAX;   /* cut below the flag, never past */
	buf = announcement(&sp, &len);
	memo = hub_ann_memo_read(buf, len);
	assert_true((memo & HUB_ANN_MEMO_NOT_ACTUAL) != 0);
	assert_true((memo & ~HUB_ANN_MEMO_NOT_ACTUAL) == HUB_ANN_MEMO_NOT_ACTUAL - 1);
	free(buf);
	assert_true(hub_ann_memo_read("\x0a\x10garbage", 9) == 0);
}

static void
idset_finds_what_it_holds_across_growth(void **state)
{
	struct hub_idset s = { 0 };
	uint8_t id[16], zero[16] = { 0 };
	uint32_t i;

	(void)state;
	for (i = 1; i <= 5000; i++) {
		memset(id, 0, sizeof(id));
		memcpy(id + 12, &i, sizeof(i));
		assert_int_equal(hub_idset_add(&s, id), 0);
		assert_int_equal(hub_idset_add(&s, id), 0);     /* twice is once */
	}
	assert_int_equal(s.n, 5000);
	for (i = 1; i <= 10000; i++) {
		memset(id, 0, sizeof(id));
		memcpy(id + 12, &i, sizeof(i));
		assert_int_equal(hub_idset_has(&s, id), i <= 5000);
	}
	assert_int_equal(hub_idset_add(&s, zero), 0);
	assert_false(hub_idset_has(&s, zero));
	hub_idset_clear(&s);
	assert_false(hub_idset_has(&s, id));
}

static void
withdrawn_ids_are_seen_at_once_and_survive_a_reopen(void **state)
{
	uint8_t ids[3][16];
	struct hub_history *h;
	struct tmpdb t;
	char err[256];

	(void)state;
	memset(ids[0], 0xa1, 16);
	memset(ids[1], 0xb2, 16);
	memset(ids[2], 0xc3, 16);
	tmpdb_open(&t);
	assert_int_equal(hub_history_open(&h, t.s, 0, err, sizeof(err)), 0);
	assert_int_equal(hub_history_withdraw(h, (const uint8_t (*)[16])ids, 2, 42), 0);
	assert_true(hub_history_withdrawn(h, ids[0]));  /* at once, before the commit */
	assert_int_equal(hub_history_commit(h), 0);
	hub_history_close(h);
	assert_int_equal(hub_history_open(&h, t.s, 0, err, sizeof(err)), 0);
	assert_true(hub_history_withdrawn(h, ids[0]));
	assert_true(hub_history_withdrawn(h, ids[1]));
	assert_false(hub_history_withdrawn(h, ids[2]));
	hub_history_close(h);
	tmpdb_close(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_refuses_cap_fields_outside_caps_words),
		cmocka_unit_test(an_expired_announcement_is_accepted_only_from_cap),
		cmocka_unit_test(memo_marks_every_status_but_actual_and_keeps_the_expiry),
		cmocka_unit_test(idset_finds_what_it_holds_across_growth),
		cmocka_unit_test(withdrawn_ids_are_seen_at_once_and_survive_a_reopen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
