/* test_stamp.c - checks that every accepted message reaches its readers with
 * the hub's stamp (sender username, role, area; received_at_ms), whatever
 * sender the publisher wrote, for MQTT 5 and 3.1.1 subscribers alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "harness.h"

static struct hub hub;

static int
setup(void **state)
{
	(void)state;
	return hub_start(&hub, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	hub_stop(&hub);
	return 0;
}

static void
forged_sender_is_overwritten_for_v5_and_v311_readers(void **state)
{
	Np__Envelope e = NP__ENVELOPE__INIT, *got;
	Np__Sender forged = NP__SENDER__INIT;
	Np__Report r = NP__REPORT__INIT;
	struct tc *vol, *off5, *off3;
	struct tc_msg m;
	uint8_t id[16], *buf;
	size_t len;
	int rc, v;
	time_t before = time(NULL);

	(void)state;
	vol = tc_login(&hub, "somchai", 5, &rc);
	off5 = tc_login(&hub, "cm_official", 5, &rc);
	off3 = tc_login(&hub, "ministry", 4, &rc);
	assert_non_null(vol);
	assert_non_null(off5);
	assert_non_null(off3);
	assert_int_equal(tc_subscribe(off5, "np/rep/50/#", 1), 1);
	assert_int_equal(tc_subscribe(off3, "np/rep/#", 1), 1);

	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	forged.username = "ministry";
	forged.role = NP__ROLE__ADMIN;
	forged.area = "TH";
	e.sender = &forged;
	e.received_at_ms = 42;
	r.title = "ไฟดับทั้งหมู่บ้าน";
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	buf = env_pack(&e, &len);
	assert_int_equal(tc_publish(vol, "np/rep/50/5001/50010101/outage", buf, len, 1), 0);
	free(buf);

	for (v = 0; v < 2; v++) {
		assert_true(tc_next(v == 0 ? off5 : off3, &m, 2000));
		assert_string_equal(m.topic, "np/rep/50/5001/50010101/outage");
		got = env_unpack(&m);
		assert_non_null(got);
		assert_non_null(got->sender);
		assert_string_equal(got->sender->username, "somchai");
		assert_int_equal(got->sender->role, NP__ROLE__VOLUNTEER);
		assert_string_equal(got->sender->area, "50010101");
		assert_true(got->received_at_ms >= (int64_t)before * 1000);
		assert_memory_equal(got->id.data, id, 16);
		assert_string_equal(got->report->title, "ไฟดับทั้งหมู่บ้าน");
		np__envelope__free_unpacked(got, NULL);
		tc_msg_free(&m);
	}
	tc_close(vol);
	tc_close(off5);
	tc_close(off3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forged_sender_is_overwritten_for_v5_and_v311_readers),
	};

	return cmocka_run_group_tests_name("broker_stamp", tests, setup, teardown);
}
