/* test_reach.c - checks that receipts ($CONTROL/np/v1/receipt) count a
 * village once per state per announcement (twice sent, or sent by two users
 * of one village: once), that READ implies DELIVERED, that receipts for
 * unknown ids, for messages that are not announcements and for announcements
 * the user may not read are refused, told and counted nowhere, that receipts
 * are bounded (ids per receipt, receipts per second per user), that reach
 * requests ($CONTROL/np/v1/reach) are answered to the sender, to officials and
 * admins whose scope covers the area and refused to anyone else (a province
 * official of another province), that the not-reached villages page
 * completely and in code order, and that nothing sent on $CONTROL reaches a
 * subscriber. */
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
#define SCOPE_TEXT "only the announcement's sender, and officials and admins whose scope " \
		   "covers its area, may ask its reach"

static struct hub hub;

/* tc_login, which wants somewhere to put the CONNACK code. */
static struct tc *
connect_as(const char *user)
{
	int connack;

	return tc_login(&hub, user, 5, &connack);
}

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

/* A client of user that also hears its reach pages and refusals. */
static struct tc *
login(const char *user)
{
	char filter[128];
	struct tc *c = connect_as(user);

	assert_non_null(c);
	snprintf(filter, sizeof(filter), "np/reply/%s/#", user);
	assert_int_equal(tc_subscribe(c, filter, 1), 1);
	return c;
}

/* user announces to np/ann/<area>/weather; the id into id. */
static void
announce(const char *user, const char *area, uint8_t id[16])
{
	char topic[64];
	size_t len;
	uint8_t *buf = env_announcement("reach test", &len);
	struct tc *c = connect_as(user);

	assert_non_null(c);
	snprintf(topic, sizeof(topic), "np/ann/%s/weather", area);
	assert_true((tc_publish(c, topic, buf, len, 1) & ~0x10) == 0);  /* 0x10: no subscriber */
	memcpy(id, buf + 2, 16);        /* the id opens every packed envelope */
	free(buf);
	tc_close(c);
}

/* Sends a Receipt of state with n ids at qos; the PUBACK code (QoS 0: 0). */
static int
receipt_qos(struct tc *c, int state, const uint8_t (*ids)[16], size_t n, int qos)
{
	Np__Receipt r = NP__RECEIPT__INIT;
	ProtobufCBinaryData *b = calloc(n ? n : 1, sizeof(*b));
	uint8_t *buf;
	size_t i, len;
	int rc;

	for (i = 0; i < n; i++) {
		b[i].data = (uint8_t *)ids[i];
		b[i].len = 16;
	}
	r.state = (Np__ReceiptState)state;
	r.n_ids = n;
	r.ids = b;
	len = np__receipt__get_packed_size(&r);
	buf = malloc(len + 1);
	np__receipt__pack(&r, buf);
	rc = tc_publish(c, RECEIPT_TOPIC, buf, len, qos);
	free(buf);
	free(b);
	return rc;
}

static int
receipt(struct tc *c, int state, const uint8_t (*ids)[16], size_t n)
{
	return receipt_qos(c, state, ids, n, 1);
}

static int
receipt_as(const char *user, int state, const uint8_t id[16])
{
	struct tc *c = connect_as(user);
	int rc;

	assert_non_null(c);
	rc = receipt(c, state, (const uint8_t (*)[16])id, 1);
	tc_close(c);
	return rc;
}

/* The next message on c whose topic ends with leaf (others are skipped). */
static Np__Envelope *
next_reply(struct tc *c, const char *leaf)
{
	struct tc_msg m;
	Np__Envelope *e = NULL;
	size_t n = strlen(leaf);

	while (e == NULL && tc_next(c, &m, 3000)) {
		if (strlen(m.topic) > n && strcmp(m.topic + strlen(m.topic) - n, leaf) == 0)
			e = env_unpack(&m);
		tc_msg_free(&m);
	}
	assert_non_null(e);
	return e;
}

/* Asks the reach of id (limit, cursor of 8 digits or NULL); the page's envelope. */
static Np__Envelope *
reach(struct tc *c, const uint8_t id[16], uint32_t limit, const char *cursor)
{
	Np__ReachRequest q = NP__REACH_REQUEST__INIT;
	Np__Envelope *e;
	uint8_t buf[256];
	size_t len;

	q.id.data = (uint8_t *)id;
	q.id.len = 16;
	q.limit = limit;
	if (cursor != NULL) {
		q.cursor.data = (uint8_t *)cursor;
		q.cursor.len = strlen(cursor);
	}
	q.correlation_id = "t1";
	len = np__reach_request__pack(&q, buf);
	assert_int_equal(tc_publish(c, REACH_TOPIC, buf, len, 1), 0);
	e = next_reply(c, "/reach");
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_REACH_PAGE);
	assert_string_equal(e->reach_page->correlation_id, "t1");
	return e;
}

/* reach as user, which must be answered; the page (free the envelope). */
static Np__Envelope *
reach_as(const char *user, const uint8_t id[16])
{
	struct tc *c = login(user);
	Np__Envelope *e = reach(c, id, 0, NULL);

	tc_close(c);
	if (e->reach_page->error[0] != '\0')
		fail_msg("reach refused to %s: %s", user, e->reach_page->error);
	return e;
}

static void
assert_counts(const Np__ReachPage *p, unsigned targeted, unsigned delivered, unsigned read)
{
	assert_string_equal(p->error, "");
	assert_int_equal(p->targeted, targeted);
	assert_int_equal(p->delivered, delivered);
	assert_int_equal(p->read, read);
}

/* The refusal that comes next on c's error topic: its reason. */
static void
assert_refused(struct tc *c, const char *words)
{
	Np__Envelope *e = next_reply(c, "/error");

	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_REFUSAL);
	assert_string_equal(e->refusal->topic, RECEIPT_TOPIC);
	if (strstr(e->refusal->reason, words) == NULL)
		fail_msg("refusal '%s' does not say '%s'", e->refusal->reason, words);
	np__envelope__free_unpacked(e, NULL);
}

/* ---- counting ---- */

static void
receipts_count_a_village_once(void **state)
{
	uint8_t id[16];
	Np__Envelope *e;
	Np__ReachPage *p;

	(void)state;
	announce("cm_official", "50", id);
	assert_int_equal(receipt_as("somchai", NP__RECEIPT_STATE__DELIVERED, id), 0);
	assert_int_equal(receipt_as("somchai", NP__RECEIPT_STATE__DELIVERED, id), 0);
	assert_int_equal(receipt_as("nok", NP__RECEIPT_STATE__DELIVERED, id), 0);   /* resident, same village */
	e = reach_as("cm_official", id);
	p = e->reach_page;
	/* province 50 has three volunteers: somchai, malee and vol_5002 */
	assert_counts(p, 3, 1, 0);
	assert_string_equal(p->area, "50");
	assert_int_equal(p->id.len, 16);
	assert_memory_equal(p->id.data, id, 16);
	assert_int_equal(p->n_provinces, 1);
	assert_string_equal(p->provinces[0]->province, "50");
	assert_int_equal(p->provinces[0]->targeted, 3);
	assert_int_equal(p->provinces[0]->delivered, 1);
	assert_int_equal(p->n_not_reached, 2);
	assert_string_equal(p->not_reached[0], "50010102");
	assert_string_equal(p->not_reached[1], "50020301");
	assert_int_equal(p->next_cursor.len, 0);
	np__envelope__free_unpacked(e, NULL);
}

static void
read_implies_delivered(void **state)
{
	uint8_t id[16];
	Np__Envelope *e;

	(void)state;
	announce("cm_official", "50", id);
	assert_int_equal(receipt_as("malee", NP__RECEIPT_STATE__READ, id), 0);
	assert_int_equal(receipt_as("malee", NP__RECEIPT_STATE__READ, id), 0);
	assert_int_equal(receipt_as("somchai", NP__RECEIPT_STATE__DELIVERED, id), 0);
	e = reach_as("cm_official", id);
	assert_counts(e->reach_page, 3, 2, 1);
	assert_int_equal(e->reach_page->n_not_reached, 1);
	assert_string_equal(e->reach_page->not_reached[0], "50020301");
	np__envelope__free_unpacked(e, NULL);
}

/* ---- refusals ---- */

static void
unknown_id_refused_and_counted_nowhere(void **state)
{
	uint8_t ids[2][16], report[16], *buf;
	struct tc *c;
	Np__Envelope *e;
	size_t len;

	(void)state;
	announce("cm_official", "50", ids[1]);
	env_new_id(ids[0]);
	c = login("somchai");
	assert_int_equal(receipt(c, NP__RECEIPT_STATE__DELIVERED, (const uint8_t (*)[16])ids, 2), 0);
	assert_refused(c, "receipt for an id the hub does not hold");
	assert_true(hub_log_has(&hub, "refused receipt by 'somchai'"));
	/* the known id of the same receipt counted, the unknown one nowhere */
	e = reach_as("cm_official", ids[1]);
	assert_counts(e->reach_page, 3, 1, 0);
	np__envelope__free_unpacked(e, NULL);
	e = reach(c, ids[0], 0, NULL);
	assert_string_equal(e->reach_page->error, "the hub holds no message with that id");
	np__envelope__free_unpacked(e, NULL);
	/* a report is no announcement: neither a receipt nor a reach for it */
	buf = env_report("router down", &len);
	memcpy(report, buf + 2, 16);
	assert_true((tc_publish(c, "np/rep/50/5001/50010101/outage", buf, len, 1) & ~0x10) == 0);
	free(buf);
	assert_int_equal(receipt(c, NP__RECEIPT_STATE__READ, (const uint8_t (*)[16])report, 1), 0);
	assert_refused(c, "receipt for a message that is not an announcement");
	tc_close(c);
	c = login("cm_official");
	e = reach(c, report, 0, NULL);
	assert_string_equal(e->reach_page->error, "that id is not an announcement's");
	np__envelope__free_unpacked(e, NULL);
	tc_close(c);
}

static void
malformed_receipts_refused(void **state)
{
	uint8_t ids[101][16], junk[3] = { 0xff, 0xff, 0xff };
	struct tc *c = login("somchai");
	size_t i;

	(void)state;
	for (i = 0; i < 101; i++)
		env_new_id(ids[i]);
	assert_int_equal(tc_publish(c, RECEIPT_TOPIC, junk, sizeof(junk), 1), 0);
	assert_refused(c, "not an np.Receipt");
	assert_int_equal(receipt(c, NP__RECEIPT_STATE__DELIVERED, (const uint8_t (*)[16])ids, 101),
			 0);
	assert_refused(c, "over 100 ids");
	assert_int_equal(receipt(c, 0, (const uint8_t (*)[16])ids, 1), 0);
	assert_refused(c, "neither DELIVERED nor READ");
	assert_int_equal(receipt(c, NP__RECEIPT_STATE__READ, NULL, 0), 0);
	assert_refused(c, "holds no announcement ids");
	tc_close(c);
}

static void
receipt_for_unreadable_announcement_refused(void **state)
{
	uint8_t id[16];
	struct tc *c;
	Np__Envelope *e;

	(void)state;
	announce("bkk_official", "10", id);     /* Bangkok's: somchai of 50 may not read it */
	c = login("somchai");
	assert_int_equal(receipt(c, NP__RECEIPT_STATE__DELIVERED, (const uint8_t (*)[16])id, 1), 0);
	assert_refused(c, "receipt for an announcement this user may not read");
	tc_close(c);
	assert_int_equal(receipt_as("vol_bkk", NP__RECEIPT_STATE__DELIVERED, id), 0);
	e = reach_as("bkk_official", id);
	assert_counts(e->reach_page, 1, 1, 0);  /* vol_bkk's only */
	assert_string_equal(e->reach_page->provinces[0]->province, "10");
	np__envelope__free_unpacked(e, NULL);
}

static void
receipts_bounded_per_user(void **state)
{
	uint8_t id[16];
	struct tc *c;
	struct tc_msg m;
	Np__Envelope *e;
	int i, refused = 0;

	(void)state;
	/* one receipt a second, four at once (the default is 10 and 40) */
	assert_int_equal(hub_restart(&hub, false, NULL, "plugin_opt_receipt_rate 1\n"), 0);
	announce("cm_official", "50", id);
	c = login("vol_5002");
	for (i = 0; i < 12; i++)
		assert_int_equal(receipt(c, NP__RECEIPT_STATE__DELIVERED,
					 (const uint8_t (*)[16])id, 1), 0);
	while (tc_next(c, &m, 500)) {
		e = env_unpack(&m);
		if (e != NULL && e->body_case == NP__ENVELOPE__BODY_REFUSAL
		    && strstr(e->refusal->reason, "over the limit of 1 receipts/s") != NULL)
			refused++;
		if (e != NULL)
			np__envelope__free_unpacked(e, NULL);
		tc_msg_free(&m);
	}
	tc_close(c);
	if (refused < 5) {
		hub_print_log(&hub);
		fail_msg("%d refusals", refused);
	}
	assert_true(hub_log_has(&hub, "refused receipt by 'vol_5002'"));
	e = reach_as("cm_official", id);
	assert_counts(e->reach_page, 3, 1, 0);  /* the ones let through count once */
	np__envelope__free_unpacked(e, NULL);
	assert_int_equal(hub_restart(&hub, false, NULL, NULL), 0);
}

/* ---- who may ask ---- */

static void
reach_refused_outside_scope(void **state)
{
	static const char *const others[] = { "bkk_official", "d5002_official", "cm_agency",
					      "somchai", "nt_operator" };
	uint8_t id[16];
	struct tc *c;
	Np__Envelope *e;
	size_t i;

	(void)state;
	announce("cm_official", "50", id);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		c = login(others[i]);
		e = reach(c, id, 0, NULL);
		if (strcmp(e->reach_page->error, SCOPE_TEXT) != 0)
			fail_msg("%s: '%s'", others[i], e->reach_page->error);
		assert_int_equal(e->reach_page->targeted, 0);
		assert_int_equal(e->reach_page->n_not_reached, 0);
		np__envelope__free_unpacked(e, NULL);
		tc_close(c);
	}
	assert_true(hub_log_has(&hub, "refused reach request by 'bkk_official'"));
}

static void
reach_answered_to_sender_and_covering_scopes(void **state)
{
	static const char *const askers[] = { "cm_official", "admin", "ministry",
					      "muang_official" };
	uint8_t id[16], own[16];
	Np__Envelope *e;
	size_t i;

	(void)state;
	announce("muang_official", "5001", id);         /* district 5001: somchai, malee */
	for (i = 0; i < sizeof(askers) / sizeof(askers[0]); i++) {
		e = reach_as(askers[i], id);
		assert_counts(e->reach_page, 2, 0, 0);
		assert_string_equal(e->reach_page->area, "5001");
		np__envelope__free_unpacked(e, NULL);
	}
	announce("somchai", "50010101", own);           /* a volunteer's own village */
	e = reach_as("somchai", own);
	assert_counts(e->reach_page, 1, 0, 0);
	np__envelope__free_unpacked(e, NULL);
}

/* ---- paging ---- */

/* Adds a volunteer to every village of district 1001 but the first (vol_bkk
 * has it): 47 more. Their codes, in order, into codes. */
static size_t
add_district_volunteers(char codes[][9], size_t max)
{
	char out[16384], path[400], *line, *save = NULL;
	FILE *f;
	size_t n = 0;

	assert_int_equal(hub_admin_out(&hub, "registry list 1001", out, sizeof(out)), 0);
	snprintf(path, sizeof(path), "%s/volunteers.csv", hub.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "name,role,area,password\n");
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) < 9 || line[8] != ',' || strncmp(line, "10010101", 8) == 0)
			continue;
		assert_true(n < max);
		memcpy(codes[n], line, 8);
		codes[n][8] = '\0';
		fprintf(f, "v%s,volunteer,%s,v%s-pw\n", codes[n], codes[n], codes[n]);
		n++;
	}
	fclose(f);
	snprintf(out, sizeof(out), "user import %s --iterations 1000", path);
	assert_int_equal(hub_admin(&hub, NULL, out), 0);
	return n;
}

static void
not_reached_pages_completely_in_code_order(void **state)
{
	char added[64][9], seen[64][9], cursor[9] = "", user[16];
	uint8_t id[16];
	struct tc *c;
	Np__Envelope *e;
	size_t n, nseen = 0, i, pages = 0;

	(void)state;
	n = add_district_volunteers(added, 64);
	assert_true(n >= 40);
	announce("ministry", "TH", id);
	/* the even ones of the new villages got it */
	for (i = 0; i < n; i += 2) {
		snprintf(user, sizeof(user), "v%s", added[i]);
		assert_int_equal(receipt_as(user, NP__RECEIPT_STATE__DELIVERED, id), 0);
	}
	c = login("admin");
	do {
		e = reach(c, id, 7, cursor[0] ? cursor : NULL);
		/* vol_bkk, somchai, malee, vol_5002 and the new ones */
		assert_counts(e->reach_page, (unsigned)n + 4, (unsigned)(n + 1) / 2, 0);
		assert_int_equal(e->reach_page->n_provinces, 2);
		assert_string_equal(e->reach_page->provinces[0]->province, "10");
		assert_int_equal(e->reach_page->provinces[0]->targeted, n + 1);
		assert_string_equal(e->reach_page->provinces[1]->province, "50");
		assert_true(e->reach_page->n_not_reached <= 7);
		for (i = 0; i < e->reach_page->n_not_reached; i++) {
			assert_true(nseen < 64);
			snprintf(seen[nseen++], 9, "%s", e->reach_page->not_reached[i]);
		}
		cursor[0] = '\0';
		if (e->reach_page->next_cursor.len == 8) {
			memcpy(cursor, e->reach_page->next_cursor.data, 8);
			cursor[8] = '\0';
		}
		np__envelope__free_unpacked(e, NULL);
		pages++;
	} while (cursor[0] != '\0' && pages < 20);
	tc_close(c);
	/* 10010101, the odd new ones, then 50010101, 50010102, 50020301 */
	assert_int_equal(nseen, 1 + n / 2 + 3);
	assert_string_equal(seen[0], "10010101");
	for (i = 1; i < nseen; i++)
		assert_true(strcmp(seen[i - 1], seen[i]) < 0);
	for (i = 1; i < 1 + n / 2; i++)
		assert_string_equal(seen[i], added[2 * i - 1]);
	assert_string_equal(seen[nseen - 3], "50010101");
	assert_string_equal(seen[nseen - 1], "50020301");
}

/* ---- nothing leaks ---- */

static void
control_topics_reach_no_subscriber(void **state)
{
	uint8_t id[16];
	struct tc *admin = connect_as("admin"), *vol;

	(void)state;
	assert_non_null(admin);
	assert_int_equal(tc_subscribe(admin, "$CONTROL/#", 1), 1);
	vol = connect_as("malee");
	assert_non_null(vol);
	assert_int_equal(tc_subscribe(vol, "$CONTROL/#", 1), 0x87);
	announce("cm_official", "50", id);
	assert_int_equal(receipt(vol, NP__RECEIPT_STATE__READ, (const uint8_t (*)[16])id, 1), 0);
	assert_true(tc_quiet(admin, 500));
	assert_true(tc_quiet(vol, 200));
	tc_close(vol);
	tc_close(admin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(receipts_count_a_village_once),
		cmocka_unit_test(read_implies_delivered),
		cmocka_unit_test(unknown_id_refused_and_counted_nowhere),
		cmocka_unit_test(malformed_receipts_refused),
		cmocka_unit_test(receipt_for_unreadable_announcement_refused),
		cmocka_unit_test(receipts_bounded_per_user),
		cmocka_unit_test(reach_refused_outside_scope),
		cmocka_unit_test(reach_answered_to_sender_and_covering_scopes),
		cmocka_unit_test(control_topics_reach_no_subscriber),
		cmocka_unit_test(not_reached_pages_completely_in_code_order),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
