/* test_refusals.c - checks that every publish the hub must refuse (a payload that
 * is not a valid Envelope for its topic, or a topic the publisher may not write)
 * gets PUBACK 0x87, reaches no subscriber, is logged with its reason, and comes
 * back to the publisher as a Refusal (reason, topic, id) on np/reply/<user>/error;
 * that an MQTT 3.1.1 publisher gets the Refusal too and stays connected; and that
 * after all of them the broker and the same connection still work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "harness.h"

#define MAX_PAYLOAD 1000
#define OWN_OUTAGE "np/rep/50/5001/50010101/outage"  /* somchai's village */
#define OWN_ACK "np/rep/50/5001/50010101/ack"        /* acked by muang_official */

static struct hub hub;
static struct tc *vol;          /* somchai, volunteer 50010101, MQTT 5: the publisher */
static struct tc *dis;          /* muang_official, official 5001, MQTT 5: acks */
static struct tc *prov;         /* cm_official, official 50, subscribed np/rep/50/# */
static struct tc *adm;          /* admin, subscribed to every np/ kind but reply */

static int
group_setup(void **state)
{
	int rc;

	(void)state;
	if (hub_start(&hub, "plugin_opt_max_payload 1000") != 0)
		return -1;
	vol = tc_login(&hub, "somchai", 5, &rc);
	dis = tc_login(&hub, "muang_official", 5, &rc);
	prov = tc_login(&hub, "cm_official", 5, &rc);
	adm = tc_login(&hub, "admin", 5, &rc);
	if (vol == NULL || dis == NULL || prov == NULL || adm == NULL)
		return -1;
	if (tc_subscribe(prov, "np/rep/50/#", 1) != 1)
		return -1;
	/* not np/reply/#: the admin may read everyone's refusals there */
	if (tc_subscribe(adm, "np/rep/#", 1) != 1 || tc_subscribe(adm, "np/ann/#", 1) != 1
	    || tc_subscribe(adm, "np/status/#", 1) != 1 || tc_subscribe(adm, "np/show/#", 1) != 1
	    || tc_subscribe(adm, "np/dm/#", 1) != 1
	    || tc_subscribe(adm, "np/reply/somchai/x", 1) != 1)
		return -1;
	tc_subscribe(adm, "$CONTROL/#", 1);     /* granted or not: nothing may arrive */
	/* The publishers listen on their error topic, so that these tests hold
	 * whether the hub sends a refusal to the publishing client or to that
	 * topic; refusal_reaches_a_publisher_that_did_not_subscribe checks the
	 * former on its own. */
	if (tc_subscribe(vol, "np/reply/somchai/error", 1) != 1
	    || tc_subscribe(dis, "np/reply/muang_official/error", 1) != 1)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	tc_close(vol);
	tc_close(dis);
	tc_close(prov);
	tc_close(adm);
	hub_stop(&hub);
	return 0;
}

/* ---- log lines ---- */

/* Lines of the broker log holding both a and b. */
static int
log_lines_with(const char *a, const char *b)
{
	char line[4096];
	FILE *f = fopen(hub.log, "r");
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, a) != NULL && strstr(line, b) != NULL)
			n++;
	}
	fclose(f);
	return n;
}

/* Waits up to 2 s for one more refusal line of user on topic with reason. */
static void
assert_logged(const char *user, const char *topic, const char *reason, int before)
{
	char who[128], what[1024];
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	snprintf(who, sizeof(who), "np: refused publish by '%s' (", user);
	snprintf(what, sizeof(what), "on '%s': %s", topic, reason);
	for (i = 0; i < 100; i++) {
		if (log_lines_with(who, what) > before)
			return;
		nanosleep(&ts, NULL);
	}
	hub_print_log(&hub);
	fail_msg("the log lacks a new line with \"%s\" and \"%s\"", who, what);
}

static int
logged_so_far(const char *user, const char *topic, const char *reason)
{
	char who[128], what[1024];

	snprintf(who, sizeof(who), "np: refused publish by '%s' (", user);
	snprintf(what, sizeof(what), "on '%s': %s", topic, reason);
	return log_lines_with(who, what);
}

/* ---- what the publisher and the readers see ---- */

/* The next message of pub must be the Refusal for topic with reason, carrying
 * id (16 bytes) or no id at all (id NULL). */
static void
assert_refusal_arrives(struct tc *pub, const char *user, const char *topic,
		       const char *reason, const uint8_t *id)
{
	char want_topic[128];
	Np__Envelope *e;
	struct tc_msg m;

	snprintf(want_topic, sizeof(want_topic), "np/reply/%s/error", user);
	if (!tc_next(pub, &m, 2000))
		fail_msg("no refusal arrived on %s", want_topic);
	assert_string_equal(m.topic, want_topic);
	e = env_unpack(&m);
	assert_non_null(e);
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_REFUSAL);
	assert_string_equal(e->refusal->reason, reason);
	assert_string_equal(e->refusal->topic, topic);
	if (id != NULL) {
		assert_int_equal(e->refusal->id.len, 16);
		assert_memory_equal(e->refusal->id.data, id, 16);
	} else {
		assert_int_equal(e->refusal->id.len, 0);
	}
	np__envelope__free_unpacked(e, NULL);
	tc_msg_free(&m);
}

static void
assert_readers_got_nothing(void)
{
	assert_true(tc_quiet(adm, 120));
	assert_true(tc_quiet(prov, 20));
	assert_true(tc_quiet(dis, 0));
}

/* The whole refusal, as an MQTT 5 publisher at QoS 1 sees it. */
static void
assert_refused(struct tc *pub, const char *user, const char *topic, const void *payload,
	       size_t len, const char *reason, const uint8_t *id)
{
	int before = logged_so_far(user, topic, reason);

	assert_int_equal(tc_publish(pub, topic, payload, len, 1), 0x87);
	assert_refusal_arrives(pub, user, topic, reason, id);
	assert_readers_got_nothing();
	assert_logged(user, topic, reason, before);
}

static void
assert_accepted_and_delivered(struct tc *pub, const char *topic, const void *payload,
			      size_t len, struct tc *reader)
{
	struct tc_msg m;
	int rc;

	rc = tc_publish(pub, topic, payload, len, 1);
	assert_true(rc == 0 || rc == 0x10);
	assert_true(tc_next(reader, &m, 2000));
	assert_string_equal(m.topic, topic);
	tc_msg_free(&m);
	/* the admin hears everything: drop its copy */
	if (reader != adm) {
		assert_true(tc_next(adm, &m, 2000));
		assert_string_equal(m.topic, topic);
		tc_msg_free(&m);
	}
}

/* ---- envelopes the harness does not build ---- */

static uint8_t *
report_with_id(const uint8_t *id, size_t id_len, const char *title, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report r = NP__REPORT__INIT;

	e.id.data = (uint8_t *)id;
	e.id.len = id_len;
	e.sent_at_ms = 1;
	r.title = (char *)title;
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	return env_pack(&e, len);
}

static uint8_t *
ack_with(const uint8_t id[16], const uint8_t *report_id, size_t report_id_len, int state,
	 size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Ack a = NP__ACK__INIT;

	e.id.data = (uint8_t *)id;
	e.id.len = 16;
	a.report_id.data = (uint8_t *)report_id;
	a.report_id.len = report_id_len;
	a.state = (Np__AckState)state;
	e.body_case = NP__ENVELOPE__BODY_ACK;
	e.ack = &a;
	return env_pack(&e, len);
}

/* A report whose packed envelope is exactly want bytes long. */
static uint8_t *
report_of_size(const uint8_t id[16], size_t want, size_t *len)
{
	char *title = malloc(want + 1);
	uint8_t *buf = NULL;
	size_t n;

	assert_non_null(title);
	for (n = 1; n < want; n++) {
		memset(title, 'a', n);
		title[n] = '\0';
		buf = report_with_id(id, 16, title, len);
		if (*len >= want)
			break;
		free(buf);
		buf = NULL;
	}
	free(title);
	assert_non_null(buf);
	assert_int_equal(*len, want);
	return buf;
}

static void
refuse_report_title(const char *title, const char *reason)
{
	uint8_t id[16], *buf;
	size_t len;

	env_new_id(id);
	buf = report_with_id(id, 16, title, &len);
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len, reason, id);
	free(buf);
}

/* ---- payloads ---- */

static void
garbage_payload_is_refused_as_not_an_envelope(void **state)
{
	/* field 1 (id) says 16 bytes follow, then the bytes run out */
	static const uint8_t garbage[] = { 0x0a, 0x10, 'n', 'o', 't', 0xff, 0xfe };

	(void)state;
	assert_refused(vol, "somchai", OWN_OUTAGE, garbage, sizeof(garbage),
		       "payload is not an np.Envelope", NULL);
}

static void
empty_payload_is_refused(void **state)
{
	(void)state;
	assert_refused(vol, "somchai", OWN_OUTAGE, "", 0,
		       "payload is empty (want an np.Envelope)", NULL);
}

static void
announcement_on_an_outage_topic_is_refused_as_not_fitting(void **state)
{
	Np__Envelope *e;
	struct tc_msg m;
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = env_announcement("ประกาศ", &len);
	m.payload = buf;
	m.len = len;
	e = env_unpack(&m);
	assert_non_null(e);
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len, "body does not fit the topic",
		       e->id.data);
	np__envelope__free_unpacked(e, NULL);
	free(buf);
}

static void
report_on_an_ack_topic_is_refused_as_not_fitting(void **state)
{
	Np__Envelope *e;
	struct tc_msg m;
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = env_report("รับเรื่องแล้ว", &len);
	m.payload = buf;
	m.len = len;
	e = env_unpack(&m);
	assert_non_null(e);
	assert_refused(dis, "muang_official", OWN_ACK, buf, len, "body does not fit the topic",
		       e->id.data);
	np__envelope__free_unpacked(e, NULL);
	free(buf);
}

static void
invalid_utf8_bytes_in_a_title_are_refused(void **state)
{
	(void)state;
	refuse_report_title("ไฟดับ \xff\xfe", "text is not valid UTF-8");
}

static void
overlong_utf8_encoding_in_a_title_is_refused(void **state)
{
	(void)state;
	refuse_report_title("a\xc0\xaf" "b", "text is not valid UTF-8");
}

static void
utf8_encoded_surrogate_in_a_title_is_refused(void **state)
{
	(void)state;
	refuse_report_title("a\xed\xa0\x80" "b", "text is not valid UTF-8");
}

static void
nul_byte_inside_a_title_is_refused(void **state)
{
	uint8_t id[16], *buf, *at;
	size_t len;

	(void)state;
	env_new_id(id);
	buf = report_with_id(id, 16, "ab#NUL#cd", &len);
	for (at = buf; at + 5 <= buf + len && memcmp(at, "#NUL#", 5) != 0; at++)
		;
	assert_true(at + 5 <= buf + len);
	at[2] = '\0';           /* "ab#N\0L#cd": same length, a NUL inside */
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len,
		       "text holds a NUL byte or the envelope is not canonically encoded", id);
	free(buf);
}

static void
id_of_15_bytes_is_refused(void **state)
{
	uint8_t id[17], *buf;
	size_t len;

	(void)state;
	env_new_id(id);
	buf = report_with_id(id, 15, "ไฟดับ", &len);
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len, "id is not 16 bytes", NULL);
	free(buf);
}

static void
id_of_17_bytes_is_refused(void **state)
{
	uint8_t id[17], *buf;
	size_t len;

	(void)state;
	env_new_id(id);
	id[16] = 0x42;
	buf = report_with_id(id, 17, "ไฟดับ", &len);
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len, "id is not 16 bytes", NULL);
	free(buf);
}

static void
missing_id_is_refused(void **state)
{
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = report_with_id(NULL, 0, "ไฟดับ", &len);
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len, "id is not 16 bytes", NULL);
	free(buf);
}

static void
ack_with_a_15_byte_report_id_is_refused(void **state)
{
	uint8_t id[16], rid[16], *buf;
	size_t len;

	(void)state;
	env_new_id(id);
	env_new_id(rid);
	buf = ack_with(id, rid, 15, NP__ACK_STATE__RECEIVED, &len);
	assert_refused(dis, "muang_official", OWN_ACK, buf, len, "ack report_id is not 16 bytes",
		       id);
	free(buf);
}

static void
ack_with_state_unspecified_is_refused(void **state)
{
	uint8_t id[16], rid[16], *buf;
	size_t len;

	(void)state;
	env_new_id(id);
	env_new_id(rid);
	buf = ack_with(id, rid, 16, 0, &len);
	assert_refused(dis, "muang_official", OWN_ACK, buf, len,
		       "ack state is not one of received, in_progress, resolved, rejected, "
		       "assigned", id);
	free(buf);
}

static void
ack_with_state_9_is_refused(void **state)
{
	uint8_t id[16], rid[16], *buf;
	size_t len;

	(void)state;
	env_new_id(id);
	env_new_id(rid);
	buf = ack_with(id, rid, 16, 9, &len);
	assert_refused(dis, "muang_official", OWN_ACK, buf, len,
		       "ack state is not one of received, in_progress, resolved, rejected, "
		       "assigned", id);
	free(buf);
}

static void
envelope_without_a_body_is_refused(void **state)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	e.sent_at_ms = 1;
	buf = env_pack(&e, &len);
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len, "envelope has no body", id);
	free(buf);
}

static void
unknown_envelope_field_is_refused(void **state)
{
	uint8_t id[16], *buf, *longer;
	size_t len;

	(void)state;
	env_new_id(id);
	buf = report_with_id(id, 16, "ไฟดับ", &len);
	longer = realloc(buf, len + 3);
	assert_non_null(longer);
	longer[len] = 0x98;     /* field 99, varint */
	longer[len + 1] = 0x06;
	longer[len + 2] = 0x01;
	assert_refused(vol, "somchai", OWN_OUTAGE, longer, len + 3, "envelope has unknown fields",
		       id);
	free(longer);
}

static void
unknown_field_inside_the_body_is_refused(void **state)
{
	Np__Report r = NP__REPORT__INIT;
	uint8_t id[16], body[64], buf[128];
	size_t blen, len = 0;

	(void)state;
	env_new_id(id);
	r.title = "ไฟดับ";
	blen = np__report__pack(&r, body);
	body[blen++] = 0x98;    /* field 99, varint, inside the Report */
	body[blen++] = 0x06;
	body[blen++] = 0x01;
	buf[len++] = 0x0a;      /* field 1: id */
	buf[len++] = 16;
	memcpy(buf + len, id, 16);
	len += 16;
	buf[len++] = 0x52;      /* field 10: report */
	buf[len++] = (uint8_t)blen;
	memcpy(buf + len, body, blen);
	len += blen;
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len, "body has unknown fields", id);
}

static void
payload_over_max_payload_is_refused_and_at_the_limit_accepted(void **state)
{
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	env_new_id(id);
	buf = report_of_size(id, MAX_PAYLOAD + 1, &len);
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len, "payload is over the size limit", id);
	free(buf);

	env_new_id(id);
	buf = report_of_size(id, 900, &len);
	assert_accepted_and_delivered(vol, OWN_OUTAGE, buf, len, prov);
	free(buf);
	env_new_id(id);
	buf = report_of_size(id, MAX_PAYLOAD, &len);
	assert_accepted_and_delivered(vol, OWN_OUTAGE, buf, len, prov);
	free(buf);
}

static void
refusal_body_from_a_client_is_refused_as_hub_only(void **state)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Refusal r = NP__REFUSAL__INIT;
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	r.topic = OWN_OUTAGE;
	r.reason = "forged";
	e.body_case = NP__ENVELOPE__BODY_REFUSAL;
	e.refusal = &r;
	buf = env_pack(&e, &len);
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len, "body is written by the hub only", id);
	free(buf);
}

static void
history_page_body_from_a_client_is_refused_as_hub_only(void **state)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__HistoryPage p = NP__HISTORY_PAGE__INIT;
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	p.correlation_id = "x";
	e.body_case = NP__ENVELOPE__BODY_HISTORY_PAGE;
	e.history_page = &p;
	buf = env_pack(&e, &len);
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len, "body is written by the hub only", id);
	free(buf);
}

static void
report_with_an_empty_title_is_refused(void **state)
{
	(void)state;
	refuse_report_title("", "report has no title");
}

/* ---- topics ---- */

/* A valid report by somchai with a new id on topic: refused with reason. */
static void
report_refused(const char *topic, const char *title, const char *reason)
{
	uint8_t id[16], *buf;
	size_t len;

	env_new_id(id);
	buf = report_with_id(id, 16, title, &len);
	assert_refused(vol, "somchai", topic, buf, len, reason, id);
	free(buf);
}

static void
volunteer_reporting_for_another_village_is_refused(void **state)
{
	(void)state;
	report_refused("np/rep/50/5001/50010102/outage", "ไฟดับ",
		       "may report only for one's own village");
}

static void
report_topic_with_disagreeing_codes_is_refused(void **state)
{
	(void)state;
	report_refused("np/rep/50/1001/10010101/outage", "ไฟดับ",
		       "province, district and village codes do not agree");
}

static void
report_for_a_village_not_in_the_registry_is_refused(void **state)
{
	(void)state;
	report_refused("np/rep/50/5001/50019999/outage", "ไฟดับ",
		       "place is not in the registry");
}

static void
unknown_report_kind_is_refused(void **state)
{
	(void)state;
	report_refused("np/rep/50/5001/50010101/flood", "น้ำท่วม",
		       "unknown report kind");
}

static void
publishing_on_ones_own_reply_topic_is_refused(void **state)
{
	(void)state;
	report_refused("np/reply/somchai/x", "ไฟดับ",
		       "reply topics are written by the hub only");
}

static void
resident_may_publish_nothing(void **state)
{
	static const struct {
		const char *topic, *reason;
	} cases[] = {
		{ "np/rep/50/5001/50010101/outage", "may report only for one's own village" },
		{ "np/ann/50010101/general", "may not announce to that area or category" },
		{ "np/dm/50010102", "role may not send direct messages" },
		{ "np/status/50/5001/50010101",
		  "may publish status and showcase only for one's own village" },
		{ "np/show/50/5001/50010101/product",
		  "may publish status and showcase only for one's own village" },
	};
	uint8_t *bufs[5];
	size_t lens[5];
	struct tc *res;
	size_t i;
	int rc;

	(void)state;
	res = tc_login(&hub, "nok", 5, &rc);
	assert_non_null(res);
	assert_int_equal(tc_subscribe(res, "np/reply/nok/error", 1), 1);
	bufs[0] = env_report("ไฟดับ", &lens[0]);
	bufs[1] = env_announcement("ประกาศ", &lens[1]);
	bufs[2] = env_dm("สวัสดี", &lens[2]);
	bufs[3] = env_status(true, &lens[3]);
	bufs[4] = env_showcase("ผ้าทอ", &lens[4]);
	for (i = 0; i < 5; i++) {
		struct tc_msg m = { .payload = bufs[i], .len = lens[i] };
		Np__Envelope *e = env_unpack(&m);

		assert_non_null(e);
		assert_refused(res, "nok", cases[i].topic, bufs[i], lens[i], cases[i].reason,
			       e->id.data);
		np__envelope__free_unpacked(e, NULL);
		free(bufs[i]);
	}
	tc_close(res);
}

static void
unknown_control_topic_is_refused(void **state)
{
	(void)state;
	report_refused("$CONTROL/np/v1/unknown", "x",
		       "topic is not under np/");
}

/* ---- refusals that need the history ---- */

static void
ack_of_a_report_the_hub_does_not_hold_is_refused(void **state)
{
	uint8_t id[16], rid[16], *buf;
	size_t len;

	(void)state;
	env_new_id(id);
	env_new_id(rid);
	buf = ack_with(id, rid, 16, NP__ACK_STATE__RECEIVED, &len);
	assert_refused(dis, "muang_official", OWN_ACK, buf, len,
		       "ack of a report the hub does not hold", id);
	free(buf);
}

static void
ack_of_a_report_of_another_village_is_refused(void **state)
{
	struct tc *malee;
	uint8_t id[16], rid[16], *buf;
	size_t len;
	int rc;

	(void)state;
	malee = tc_login(&hub, "malee", 5, &rc);
	assert_non_null(malee);
	env_new_id(rid);
	buf = report_with_id(rid, 16, "ไฟดับ", &len);
	assert_accepted_and_delivered(malee, "np/rep/50/5001/50010102/outage", buf, len, prov);
	free(buf);
	tc_close(malee);
	env_new_id(id);
	buf = ack_with(id, rid, 16, NP__ACK_STATE__RECEIVED, &len);
	assert_refused(dis, "muang_official", OWN_ACK, buf, len,
		       "ack of a report of another village", id);
	free(buf);
}

static void
reusing_another_senders_id_is_refused(void **state)
{
	struct tc *malee;
	uint8_t id[16], *buf;
	size_t len;
	int rc;

	(void)state;
	malee = tc_login(&hub, "malee", 5, &rc);
	assert_non_null(malee);
	env_new_id(id);
	buf = report_with_id(id, 16, "ไฟดับ", &len);
	assert_accepted_and_delivered(malee, "np/rep/50/5001/50010102/outage", buf, len, prov);
	tc_close(malee);
	assert_refused(vol, "somchai", OWN_OUTAGE, buf, len,
		       "the id belongs to another sender's message", id);
	free(buf);
}

/* ---- where the refusal goes ---- */

/* The brief of these tests: the hub sends the Refusal to the publishing
 * client itself, so a publisher that never subscribed to its error topic
 * (an MQTT 3.1.1 device has no other way to learn why) still gets it. */
static void
refusal_reaches_a_publisher_that_did_not_subscribe(void **state)
{
	static const uint8_t garbage[] = { 0x0a, 0x10, 'x' };
	const char *topic = "np/rep/50/5001/50010102/outage";
	struct tc *pub;
	int rc, v;

	(void)state;
	for (v = 5; v >= 4; v--) {
		pub = tc_login(&hub, "malee", v, &rc);
		assert_non_null(pub);
		rc = tc_publish(pub, topic, garbage, sizeof(garbage), 1);
		assert_int_equal(rc, v == 5 ? 0x87 : 0);
		assert_refusal_arrives(pub, "malee", topic, "payload is not an np.Envelope", NULL);
		assert_readers_got_nothing();
		tc_close(pub);
	}
}

/* ---- MQTT 3.1.1 ---- */

static void
v311_publisher_gets_the_refusal_and_stays_connected(void **state)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff };
	const char *topic = "np/rep/50/5001/50010102/outage";
	struct tc *v3;
	uint8_t *buf;
	size_t len;
	int rc, before;

	(void)state;
	v3 = tc_login(&hub, "malee", 4, &rc);
	assert_non_null(v3);
	assert_int_equal(tc_subscribe(v3, "np/reply/malee/error", 1), 1);
	before = logged_so_far("malee", topic, "payload is not an np.Envelope");
	/* 3.1.1 has no reason code: the PUBACK comes, the message goes nowhere */
	assert_int_not_equal(tc_publish(v3, topic, garbage, sizeof(garbage), 1), -1);
	assert_refusal_arrives(v3, "malee", topic, "payload is not an np.Envelope", NULL);
	assert_readers_got_nothing();
	assert_logged("malee", topic, "payload is not an np.Envelope", before);
	/* still connected: a good report goes through */
	buf = env_report("ไฟดับ", &len);
	assert_accepted_and_delivered(v3, topic, buf, len, prov);
	free(buf);
	tc_close(v3);
}

/* ---- and after all of that ---- */

static void
broker_alive_and_same_connection_still_reports_after_all_refusals(void **state)
{
	Np__Envelope *e;
	struct tc_msg m;
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	assert_true(hub_alive(&hub));
	env_new_id(id);
	buf = report_with_id(id, 16, "ไฟดับทั้งหมู่บ้าน", &len);
	assert_int_equal(tc_publish(vol, OWN_OUTAGE, buf, len, 1), 0);
	free(buf);
	assert_true(tc_next(prov, &m, 2000));
	assert_string_equal(m.topic, OWN_OUTAGE);
	e = env_unpack(&m);
	assert_non_null(e);
	assert_memory_equal(e->id.data, id, 16);
	assert_string_equal(e->report->title, "ไฟดับทั้งหมู่บ้าน");
	assert_string_equal(e->sender->username, "somchai");
	np__envelope__free_unpacked(e, NULL);
	tc_msg_free(&m);
	assert_true(tc_quiet(vol, 100));        /* and no refusal for it */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(garbage_payload_is_refused_as_not_an_envelope),
		cmocka_unit_test(empty_payload_is_refused),
		cmocka_unit_test(announcement_on_an_outage_topic_is_refused_as_not_fitting),
		cmocka_unit_test(report_on_an_ack_topic_is_refused_as_not_fitting),
		cmocka_unit_test(invalid_utf8_bytes_in_a_title_are_refused),
		cmocka_unit_test(overlong_utf8_encoding_in_a_title_is_refused),
		cmocka_unit_test(utf8_encoded_surrogate_in_a_title_is_refused),
		cmocka_unit_test(nul_byte_inside_a_title_is_refused),
		cmocka_unit_test(id_of_15_bytes_is_refused),
		cmocka_unit_test(id_of_17_bytes_is_refused),
		cmocka_unit_test(missing_id_is_refused),
		cmocka_unit_test(ack_with_a_15_byte_report_id_is_refused),
		cmocka_unit_test(ack_with_state_unspecified_is_refused),
		cmocka_unit_test(ack_with_state_9_is_refused),
		cmocka_unit_test(envelope_without_a_body_is_refused),
		cmocka_unit_test(unknown_envelope_field_is_refused),
		cmocka_unit_test(unknown_field_inside_the_body_is_refused),
		cmocka_unit_test(payload_over_max_payload_is_refused_and_at_the_limit_accepted),
		cmocka_unit_test(refusal_body_from_a_client_is_refused_as_hub_only),
		cmocka_unit_test(history_page_body_from_a_client_is_refused_as_hub_only),
		cmocka_unit_test(report_with_an_empty_title_is_refused),
		cmocka_unit_test(volunteer_reporting_for_another_village_is_refused),
		cmocka_unit_test(report_topic_with_disagreeing_codes_is_refused),
		cmocka_unit_test(report_for_a_village_not_in_the_registry_is_refused),
		cmocka_unit_test(unknown_report_kind_is_refused),
		cmocka_unit_test(publishing_on_ones_own_reply_topic_is_refused),
		cmocka_unit_test(resident_may_publish_nothing),
		cmocka_unit_test(unknown_control_topic_is_refused),
		cmocka_unit_test(ack_of_a_report_the_hub_does_not_hold_is_refused),
		cmocka_unit_test(ack_of_a_report_of_another_village_is_refused),
		cmocka_unit_test(reusing_another_senders_id_is_refused),
		cmocka_unit_test(refusal_reaches_a_publisher_that_did_not_subscribe),
		cmocka_unit_test(v311_publisher_gets_the_refusal_and_stays_connected),
		cmocka_unit_test(broker_alive_and_same_connection_still_reports_after_all_refusals),
	};
	int failed;

	failed = cmocka_run_group_tests_name("broker_refusals", tests, group_setup, NULL);
	if (failed != 0)
		hub_print_log(&hub);
	group_teardown(NULL);
	return failed;
}
