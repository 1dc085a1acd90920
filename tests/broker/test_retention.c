/* test_retention.c - checks that retention (plugin_opt_history_max_age_days)
 * drops with an announcement what hangs off it: its receipts (both states)
 * and its withdrawn record (np-admin history stats counts both), that the
 * reach of a dropped announcement is "no message with that id", and that a
 * kept announcement keeps its receipts and its reach. The broker's clock is
 * moved two days on with libfaketime (skipped under the ASan plugin: the two
 * preloads deadlock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define RECEIPT_TOPIC "$CONTROL/np/v1/receipt"
#define REACH_TOPIC "$CONTROL/np/v1/reach"

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

static struct tc *
login(const char *user)
{
	int connack;
	struct tc *c = tc_login(&hub, user, 5, &connack);

	if (c == NULL)
		fail_msg("login of %s refused (%d)", user, connack);
	return c;
}

/* Publishes the packed announcement buf as user on np/ann/<area>/weather;
 * its id into id. */
static void
publish_ann(const char *user, const char *area, uint8_t *buf, size_t len, uint8_t id[16])
{
	char topic[64];
	struct tc *c = login(user);

	snprintf(topic, sizeof(topic), "np/ann/%s/weather", area);
	assert_true((tc_publish(c, topic, buf, len, 1) & ~0x10) == 0);  /* 0x10: no subscriber */
	memcpy(id, buf + 2, 16);        /* the id opens every packed envelope */
	free(buf);
	tc_close(c);
}

static void
announce(const char *user, const char *area, uint8_t id[16])
{
	size_t len;
	uint8_t *buf = env_announcement("retention test", &len);

	publish_ann(user, area, buf, len, id);
}

/* user's Cancel of its announcement withdrawn (a CAP msgType). */
static void
cancel(const char *user, const char *area, const uint8_t withdrawn[16])
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Announcement a = NP__ANNOUNCEMENT__INIT;
	ProtobufCBinaryData ref = { 16, (uint8_t *)withdrawn };
	uint8_t id[16], *buf;
	size_t len;

	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	e.sent_at_ms = 1;
	a.title = "cancelled";
	a.msg_type = "Cancel";
	a.n_references = 1;
	a.references = &ref;
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &a;
	buf = env_pack(&e, &len);
	publish_ann(user, area, buf, len, id);
}

static void
receipt_as(const char *user, int state, const uint8_t id[16])
{
	Np__Receipt r = NP__RECEIPT__INIT;
	ProtobufCBinaryData b = { 16, (uint8_t *)id };
	struct tc *c = login(user);
	uint8_t buf[64];
	size_t len;

	r.state = (Np__ReceiptState)state;
	r.n_ids = 1;
	r.ids = &b;
	len = np__receipt__pack(&r, buf);
	assert_int_equal(tc_publish(c, RECEIPT_TOPIC, buf, len, 1), 0);
	tc_close(c);
}

/* The reach page of id as user (free the envelope). */
static Np__Envelope *
reach_as(const char *user, const uint8_t id[16])
{
	Np__ReachRequest q = NP__REACH_REQUEST__INIT;
	char filter[64];
	struct tc *c = login(user);
	struct tc_msg m;
	Np__Envelope *e = NULL;
	uint8_t buf[128];
	size_t len;

	snprintf(filter, sizeof(filter), "np/reply/%s/reach", user);
	assert_int_equal(tc_subscribe(c, filter, 1), 1);
	q.id.data = (uint8_t *)id;
	q.id.len = 16;
	q.correlation_id = "r1";
	len = np__reach_request__pack(&q, buf);
	assert_int_equal(tc_publish(c, REACH_TOPIC, buf, len, 1), 0);
	while (e == NULL && tc_next(c, &m, 3000)) {
		if (strcmp(m.topic, filter) == 0)
			e = env_unpack(&m);
		tc_msg_free(&m);
	}
	tc_close(c);
	assert_non_null(e);
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_REACH_PAGE);
	return e;
}

/* The value of "name,N" in np-admin history stats. */
static long
stat_of(const char *name)
{
	char out[4096], key[64], *p;

	assert_int_equal(hub_admin_out(&hub, "history stats", out, sizeof(out)), 0);
	snprintf(key, sizeof(key), "\n%s,", name);
	p = strstr(out, key);
	if (p == NULL)
		fail_msg("no '%s' line in np-admin history stats:\n%s", name, out);
	return strtol(p + strlen(key), NULL, 10);
}

static void
retention_drops_an_announcements_receipts_and_withdrawn_record_and_keeps_the_kept(void **state)
{
	uint8_t old[16], gone[16], kept[16];
	long receipts0, withdrawn0;
	Np__Envelope *e;

	(void)state;
	if (getenv("NP_BROKER_PRELOAD") != NULL)
		skip();         /* libfaketime and the ASan runtime deadlock when both preloaded */
	receipts0 = stat_of("receipts");
	withdrawn0 = stat_of("withdrawn");
	/* today: an announcement read in one village and handed in another, and
	 * one its sender cancels, which was handed too */
	announce("cm_official", "50", old);
	receipt_as("somchai", NP__RECEIPT_STATE__READ, old);            /* DELIVERED + READ */
	receipt_as("malee", NP__RECEIPT_STATE__DELIVERED, old);
	announce("cm_official", "50", gone);
	receipt_as("somchai", NP__RECEIPT_STATE__DELIVERED, gone);
	cancel("cm_official", "50", gone);
	assert_int_equal(stat_of("receipts"), receipts0 + 4);
	assert_int_equal(stat_of("withdrawn"), withdrawn0 + 1);
	/* two days on, no retention yet: one more announcement, read */
	assert_int_equal(hub_restart(&hub, false, "+2d", NULL), 0);
	announce("cm_official", "50", kept);
	receipt_as("somchai", NP__RECEIPT_STATE__READ, kept);
	assert_int_equal(stat_of("receipts"), receipts0 + 6);
	/* keep one day: everything from two days ago goes, with what hangs off it */
	assert_int_equal(hub_restart(&hub, false, "+2d", "plugin_opt_history_max_age_days 1"), 0);
	assert_true(hub_log_has(&hub, "np: retention removed"));
	assert_int_equal(stat_of("receipts"), 2);
	assert_int_equal(stat_of("withdrawn"), 0);
	e = reach_as("cm_official", old);
	assert_string_equal(e->reach_page->error, "the hub holds no message with that id");
	np__envelope__free_unpacked(e, NULL);
	e = reach_as("cm_official", kept);
	assert_string_equal(e->reach_page->error, "");
	assert_int_equal(e->reach_page->delivered, 1);
	assert_int_equal(e->reach_page->read, 1);
	np__envelope__free_unpacked(e, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			retention_drops_an_announcements_receipts_and_withdrawn_record_and_keeps_the_kept),
	};

	return cmocka_run_group_tests_name("broker_retention", tests, setup, teardown);
}
