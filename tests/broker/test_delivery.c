/* test_delivery.c - checks that every accepted message reaches exactly the
 * subscribers whose role and scope may read it (DESIGN.md "Roles", "Topics"),
 * byte for byte the stamped envelope (body text, sender username, role and area),
 * for MQTT 5 and 3.1.1 subscribers alike, and that writes outside a role's scope
 * or categories are refused with PUBACK 0x87 and reach nobody. One broker per test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#define GRANTED 1               /* SUBACK for QoS 1 */
#define REFUSED 0x87            /* MQTT 5 not authorized */
#define QUIET_MS 250            /* how long "receives nothing" waits */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The stamp a message must carry: who really sent it. */
struct who {
	const char *user;
	Np__Role role;
	const char *area;
};

static const struct who SOMCHAI = { "somchai", NP__ROLE__VOLUNTEER, "50010101" };
static const struct who MALEE = { "malee", NP__ROLE__VOLUNTEER, "50010102" };
static const struct who VOL_BKK = { "vol_bkk", NP__ROLE__VOLUNTEER, "10010101" };
static const struct who VOL_5002 = { "vol_5002", NP__ROLE__VOLUNTEER, "50020301" };
static const struct who MINISTRY = { "ministry", NP__ROLE__OFFICIAL, "TH" };
static const struct who CM_OFFICIAL = { "cm_official", NP__ROLE__OFFICIAL, "50" };
static const struct who MUANG_OFFICIAL = { "muang_official", NP__ROLE__OFFICIAL, "5001" };
static const struct who AGRI_AGENCY = { "agri_agency", NP__ROLE__AGENCY, "TH" };
static const struct who CM_AGENCY = { "cm_agency", NP__ROLE__AGENCY, "50" };
static const struct who NT_OPERATOR = { "nt_operator", NP__ROLE__OPERATOR, "50" };

/* A connection of one user; every one is closed in teardown. */
struct peer {
	char name[64];
	struct tc *c;
};

static struct hub hub;
static bool passed;
static struct peer peers[32];
static size_t npeers;

static int
setup(void **state)
{
	(void)state;
	passed = false;
	npeers = 0;
	return hub_start(&hub, NULL);
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < npeers; i++)
		tc_close(peers[i].c);
	npeers = 0;
	if (!passed)
		hub_print_log(&hub);
	hub_stop(&hub);
	return 0;
}

/* Logs user in with MQTT version 5 or 4 (3.1.1). */
static struct peer *
join(const char *user, int version)
{
	struct peer *p;
	int rc;

	assert_true(npeers < COUNT(peers));
	p = &peers[npeers];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s (MQTT %s)", user, version == 5 ? "5" : "3.1.1");
	p->c = tc_login(&hub, user, version, &rc);
	if (p->c == NULL)
		fprintf(stderr, "# %s cannot log in: CONNACK %d\n", p->name, rc);
	assert_non_null(p->c);
	npeers++;
	return p;
}

static void
subscribe(struct peer *p, const char *filter, int want)
{
	int got = tc_subscribe(p->c, filter, 1);

	if (got != want)
		fprintf(stderr, "# %s subscribes '%s': expected SUBACK 0x%02x, got 0x%02x\n",
			p->name, filter, (unsigned)want, (unsigned)got);
	assert_int_equal(got, want);
}

/* The id of a packed envelope (to acknowledge a report by it). */
static void
id_of(const uint8_t *buf, size_t len, uint8_t id[16])
{
	Np__Envelope *e = np__envelope__unpack(NULL, len, buf);

	assert_non_null(e);
	assert_int_equal(e->id.len, 16);
	memcpy(id, e->id.data, 16);
	np__envelope__free_unpacked(e, NULL);
}

static bool
accepted(int rc)
{
	return rc == 0 || rc == 0x10;   /* 0x10: no matching subscribers */
}

/* Publishes buf of *len bytes (freed here) with QoS 1; true when the PUBACK
 * says what want_accepted says. len is a pointer so that a call may build buf
 * and its length in its own arguments. */
static bool
publish(struct peer *p, const char *topic, uint8_t *buf, const size_t *len, bool want_accepted)
{
	int rc = tc_publish(p->c, topic, buf, *len, 1);

	free(buf);
	if (want_accepted ? accepted(rc) : rc == REFUSED)
		return true;
	fprintf(stderr, "# %s publishes on '%s': expected %s, got PUBACK 0x%02x\n", p->name, topic,
		want_accepted ? "acceptance (0x00)" : "refusal 0x87", (unsigned)rc);
	return false;
}

/* The next message for p, passing over the hub's own np/reply/ messages (a
 * refused publisher's notices; tests/broker/test_refusals.c checks those). */
static bool
next_msg(struct peer *p, struct tc_msg *m, int timeout_ms)
{
	for (;;) {
		if (!tc_next(p->c, m, timeout_ms))
			return false;
		if (strncmp(m->topic, "np/reply/", 9) != 0)
			return true;
		tc_msg_free(m);
	}
}

static const char *
body_text(const Np__Envelope *e)
{
	switch (e->body_case) {
	case NP__ENVELOPE__BODY_REPORT:
		return e->report->title;
	case NP__ENVELOPE__BODY_ANNOUNCEMENT:
		return e->announcement->title;
	case NP__ENVELOPE__BODY_DM:
		return e->dm->text;
	case NP__ENVELOPE__BODY_SHOWCASE:
		return e->showcase->title;
	case NP__ENVELOPE__BODY_STATUS:
		return e->status->online ? "online" : "offline";
	case NP__ENVELOPE__BODY_ACK:
		return e->ack->note ? e->ack->note : "";
	default:
		return "(no body)";
	}
}

/* The next message p receives is on topic, from w, with body text `text`.
 * When it is and raw is not NULL, raw gets the message (free with tc_msg_free). */
static bool
receives_msg(struct peer *p, const char *topic, const struct who *w, const char *text,
	     struct tc_msg *raw)
{
	struct tc_msg m;
	Np__Envelope *e;
	bool ok;

	if (!next_msg(p, &m, 2000)) {
		fprintf(stderr, "# %s: expected '%s' on '%s' from %s, received nothing\n", p->name,
			text, topic, w->user);
		return false;
	}
	e = env_unpack(&m);
	ok = strcmp(m.topic, topic) == 0 && e != NULL && e->sender != NULL
	     && strcmp(e->sender->username, w->user) == 0 && e->sender->role == w->role
	     && strcmp(e->sender->area, w->area) == 0 && strcmp(body_text(e), text) == 0
	     && e->received_at_ms > 0;
	if (!ok)
		fprintf(stderr, "# %s: expected '%s' on '%s' from %s/%d/%s, got '%s' on '%s' from "
			"%s/%d/%s\n", p->name, text, topic, w->user, (int)w->role, w->area,
			e ? body_text(e) : "(not an envelope)", m.topic,
			e && e->sender ? e->sender->username : "-",
			e && e->sender ? (int)e->sender->role : -1,
			e && e->sender ? e->sender->area : "-");
	if (e != NULL)
		np__envelope__free_unpacked(e, NULL);
	if (raw != NULL && ok)
		*raw = m;
	else
		tc_msg_free(&m);
	return ok;
}

static bool
receives(struct peer *p, const char *topic, const struct who *w, const char *text)
{
	return receives_msg(p, topic, w, text, NULL);
}

static bool
receives_nothing(struct peer *p)
{
	struct tc_msg m;

	if (!next_msg(p, &m, QUIET_MS))
		return true;
	fprintf(stderr, "# %s received a message on '%s' it must not\n", p->name, m.topic);
	tc_msg_free(&m);
	return false;
}

static void
somchai_outage_report_reaches_officials_and_operator_of_its_area_only(void **state)
{
	static const char *const topic = "np/rep/50/5001/50010101/outage";
	struct peer *somchai, *cm, *cm_shared, *muang, *ministry, *nt, *bkk, *d5002;
	size_t len;
	bool ok = true;

	(void)state;
	somchai = join("somchai", 5);
	cm = join("cm_official", 5);
	cm_shared = join("cm_official", 5);
	muang = join("muang_official", 5);
	ministry = join("ministry", 5);
	nt = join("nt_operator", 5);
	bkk = join("bkk_official", 5);
	d5002 = join("d5002_official", 5);
	subscribe(cm, "np/rep/50/#", GRANTED);
	subscribe(cm_shared, "$share/cm_official/np/rep/50/#", GRANTED);
	subscribe(muang, "np/rep/50/5001/#", GRANTED);
	subscribe(ministry, "np/rep/#", GRANTED);
	subscribe(nt, "np/rep/50/+/+/outage", GRANTED);
	subscribe(bkk, "np/rep/50/#", REFUSED);
	subscribe(bkk, "np/rep/10/#", GRANTED);
	subscribe(d5002, "np/rep/50/5001/#", REFUSED);
	subscribe(d5002, "np/rep/50/5002/#", GRANTED);

	ok &= publish(somchai, topic, env_report("ไฟดับทั้งหมู่บ้าน", &len), &len, true);
	ok &= receives(cm, topic, &SOMCHAI, "ไฟดับทั้งหมู่บ้าน");
	ok &= receives(cm_shared, topic, &SOMCHAI, "ไฟดับทั้งหมู่บ้าน");
	ok &= receives(muang, topic, &SOMCHAI, "ไฟดับทั้งหมู่บ้าน");
	ok &= receives(ministry, topic, &SOMCHAI, "ไฟดับทั้งหมู่บ้าน");
	ok &= receives(nt, topic, &SOMCHAI, "ไฟดับทั้งหมู่บ้าน");
	ok &= receives_nothing(bkk);
	ok &= receives_nothing(d5002);
	assert_true(ok);
	passed = true;
}

static void
need_report_is_not_delivered_to_the_operator(void **state)
{
	static const char *const topic = "np/rep/50/5001/50010101/need";
	struct peer *somchai, *cm, *nt, *nt_national;
	size_t len;
	bool ok = true;

	(void)state;
	somchai = join("somchai", 5);
	cm = join("cm_official", 5);
	nt = join("nt_operator", 5);
	nt_national = join("nt_national", 5);
	subscribe(cm, "np/rep/50/#", GRANTED);
	subscribe(nt, "np/rep/50/+/+/need", REFUSED);
	subscribe(nt, "np/rep/50/+/+/outage", GRANTED);
	subscribe(nt, "np/rep/50/+/+/ack", GRANTED);
	subscribe(nt_national, "np/rep/+/+/+/outage", GRANTED);

	ok &= publish(somchai, topic, env_report("ต้องการคอมพิวเตอร์", &len), &len, true);
	ok &= receives(cm, topic, &SOMCHAI, "ต้องการคอมพิวเตอร์");
	ok &= receives_nothing(nt);
	ok &= receives_nothing(nt_national);
	assert_true(ok);
	passed = true;
}

/* An ack of report_id with a note, packed with a fresh id (copied to id if not NULL). */
static uint8_t *
ack_env(const uint8_t report_id[16], Np__AckState state, const char *note, uint8_t *id,
	size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Ack ack = NP__ACK__INIT;
	uint8_t own[16];

	env_new_id(own);
	if (id != NULL)
		memcpy(id, own, 16);
	e.id.data = own;
	e.id.len = 16;
	e.sent_at_ms = 1;
	ack.report_id.data = (uint8_t *)report_id;
	ack.report_id.len = 16;
	ack.state = state;
	ack.note = (char *)note;
	e.body_case = NP__ENVELOPE__BODY_ACK;
	e.ack = &ack;
	return env_pack(&e, len);
}

static void
acks_reach_the_reporting_village_and_its_readers_not_the_sibling(void **state)
{
	static const char *const topic = "np/rep/50/5001/50010101/ack";
	struct peer *cm, *somchai, *malee, *nt, *muang, *bkk;
	struct tc_msg raw;
	Np__Envelope *got;
	uint8_t id[16], outage_id[16], need_id[16], *buf;
	size_t len;
	bool ok = true;

	(void)state;
	cm = join("cm_official", 5);
	somchai = join("somchai", 5);
	malee = join("malee", 5);
	nt = join("nt_operator", 5);
	muang = join("muang_official", 5);
	bkk = join("bkk_official", 5);

	/* the reports being acknowledged, sent before anyone listens */
	buf = env_report("เสาสัญญาณล้ม", &len);
	id_of(buf, len, outage_id);
	ok &= publish(somchai, "np/rep/50/5001/50010101/outage", buf, &len, true);
	buf = env_report("ขอจุดกระจายสัญญาณเพิ่ม", &len);
	id_of(buf, len, need_id);
	ok &= publish(somchai, "np/rep/50/5001/50010101/need", buf, &len, true);

	subscribe(somchai, "np/rep/50/5001/50010101/#", GRANTED);
	subscribe(malee, "np/rep/50/5001/50010101/#", REFUSED);
	subscribe(malee, "np/rep/50/5001/50010102/#", GRANTED);
	subscribe(nt, "np/rep/50/+/+/ack", GRANTED);
	subscribe(muang, "np/rep/50/5001/+/ack", GRANTED);

	buf = ack_env(outage_id, NP__ACK_STATE__IN_PROGRESS, "ช่างจะไปพรุ่งนี้", id, &len);
	ok &= publish(cm, topic, buf, &len, true);
	if (receives_msg(somchai, topic, &CM_OFFICIAL, "ช่างจะไปพรุ่งนี้", &raw)) {
		got = env_unpack(&raw);
		assert_non_null(got);
		assert_int_equal(got->body_case, NP__ENVELOPE__BODY_ACK);
		assert_int_equal(got->ack->state, NP__ACK_STATE__IN_PROGRESS);
		assert_int_equal(got->ack->report_id.len, 16);
		assert_memory_equal(got->ack->report_id.data, outage_id, 16);
		assert_memory_equal(got->id.data, id, 16);
		np__envelope__free_unpacked(got, NULL);
		tc_msg_free(&raw);
	} else {
		ok = false;
	}
	ok &= receives(nt, topic, &CM_OFFICIAL, "ช่างจะไปพรุ่งนี้");
	ok &= receives(muang, topic, &CM_OFFICIAL, "ช่างจะไปพรุ่งนี้");

	/* the operator acknowledges the outage report, not the need report */
	buf = ack_env(outage_id, NP__ACK_STATE__RESOLVED, "ซ่อมเสร็จแล้ว", NULL, &len);
	ok &= publish(nt, topic, buf, &len, true);
	ok &= receives(somchai, topic, &NT_OPERATOR, "ซ่อมเสร็จแล้ว");
	ok &= receives(muang, topic, &NT_OPERATOR, "ซ่อมเสร็จแล้ว");
	ok &= receives(nt, topic, &NT_OPERATOR, "ซ่อมเสร็จแล้ว");      /* its own, stamped */
	buf = ack_env(need_id, NP__ACK_STATE__RECEIVED, "x", NULL, &len);
	ok &= publish(nt, topic, buf, &len, false);

	/* acks outside scope, on another village's topic, or by the volunteer */
	buf = ack_env(outage_id, NP__ACK_STATE__RECEIVED, "x", NULL, &len);
	ok &= publish(bkk, topic, buf, &len, false);
	buf = ack_env(outage_id, NP__ACK_STATE__RECEIVED, "x", NULL, &len);
	ok &= publish(cm, "np/rep/50/5001/50010102/ack", buf, &len, false);
	buf = ack_env(outage_id, NP__ACK_STATE__RESOLVED, "x", NULL, &len);
	ok &= publish(somchai, topic, buf, &len, false);

	ok &= receives_nothing(somchai);
	ok &= receives_nothing(malee);
	ok &= receives_nothing(nt);
	ok &= receives_nothing(muang);
	assert_true(ok);
	passed = true;
}

static void
dm_reaches_the_village_inbox_or_the_official_and_unknown_inboxes_are_refused(void **state)
{
	struct peer *malee, *somchai, *somchai_pub, *nok, *cm, *agri;
	size_t len;
	bool ok = true;

	(void)state;
	malee = join("malee", 5);
	somchai = join("somchai", 5);
	somchai_pub = join("somchai", 5);
	nok = join("nok", 5);
	cm = join("cm_official", 5);
	agri = join("agri_agency", 5);
	subscribe(somchai, "np/dm/50010101", GRANTED);
	subscribe(nok, "np/dm/50010101", REFUSED);
	subscribe(nok, "np/dm/+", REFUSED);
	subscribe(cm, "np/dm/cm_official", GRANTED);

	ok &= publish(malee, "np/dm/50010101", env_dm("สวัสดีจากหมู่ 2", &len), &len, true);
	ok &= receives(somchai, "np/dm/50010101", &MALEE, "สวัสดีจากหมู่ 2");
	ok &= receives_nothing(nok);
	ok &= publish(somchai_pub, "np/dm/cm_official", env_dm("ขอบคุณครับ", &len), &len, true);
	ok &= receives(cm, "np/dm/cm_official", &SOMCHAI, "ขอบคุณครับ");
	ok &= publish(cm, "np/dm/50010101", env_dm("ประชุมวันจันทร์", &len), &len, true);
	ok &= receives(somchai, "np/dm/50010101", &CM_OFFICIAL, "ประชุมวันจันทร์");

	/* Inboxes are registered villages and officials only; DMs come from
	 * volunteers and officials only. */
	ok &= publish(somchai_pub, "np/dm/nobody_here", env_dm("x", &len), &len, false);
	ok &= publish(somchai_pub, "np/dm/somchai", env_dm("x", &len), &len, false);
	ok &= publish(somchai_pub, "np/dm/nt_operator", env_dm("x", &len), &len, false);
	ok &= publish(somchai_pub, "np/dm/99999999", env_dm("x", &len), &len, false);
	ok &= publish(nok, "np/dm/cm_official", env_dm("x", &len), &len, false);
	ok &= publish(agri, "np/dm/cm_official", env_dm("x", &len), &len, false);
	ok &= publish(agri, "np/dm/50010101", env_dm("x", &len), &len, false);
	ok &= receives_nothing(cm);
	ok &= receives_nothing(somchai);
	assert_true(ok);
	passed = true;
}

static void
national_announcement_reaches_every_branch(void **state)
{
	static const char *const topic = "np/ann/TH/weather";
	static const char *const title = "พายุเข้า 3 วัน";
	struct peer *ministry, *r[7];
	size_t i, len;
	bool ok = true;

	(void)state;
	ministry = join("ministry", 5);
	r[0] = join("somchai", 5);
	r[1] = join("nok", 5);
	r[2] = join("malee", 5);
	r[3] = join("vol_bkk", 5);
	r[4] = join("res_bkk", 5);
	r[5] = join("agri_agency", 5);
	r[6] = join("cm_official", 5);
	subscribe(r[0], "np/ann/TH/#", GRANTED);
	subscribe(r[1], "np/ann/TH/+", GRANTED);
	subscribe(r[2], "np/ann/TH/weather", GRANTED);
	subscribe(r[3], "np/ann/TH/#", GRANTED);
	subscribe(r[4], "np/ann/TH/#", GRANTED);
	subscribe(r[5], "np/ann/#", GRANTED);
	subscribe(r[6], "np/ann/TH/#", GRANTED);

	ok &= publish(ministry, topic, env_announcement(title, &len), &len, true);
	for (i = 0; i < COUNT(r); i++)
		ok &= receives(r[i], topic, &MINISTRY, title);
	assert_true(ok);
	passed = true;
}

static void
province_announcement_stays_in_its_province(void **state)
{
	static const char *const topic = "np/ann/50/health";
	static const char *const title = "ฉีดวัคซีนที่ รพ.สต.";
	struct peer *cm, *somchai, *nok, *cm_agency, *agri, *vol_bkk, *res_bkk, *vol_5002;
	size_t len;
	bool ok = true;

	(void)state;
	cm = join("cm_official", 5);
	somchai = join("somchai", 5);
	nok = join("nok", 5);
	cm_agency = join("cm_agency", 5);
	agri = join("agri_agency", 5);
	vol_bkk = join("vol_bkk", 5);
	res_bkk = join("res_bkk", 5);
	vol_5002 = join("vol_5002", 5);
	subscribe(somchai, "np/ann/50/#", GRANTED);
	subscribe(nok, "np/ann/50/+", GRANTED);
	subscribe(cm_agency, "np/ann/50/#", GRANTED);
	subscribe(agri, "np/ann/#", GRANTED);
	subscribe(vol_bkk, "np/ann/50/#", REFUSED);
	subscribe(vol_bkk, "np/ann/TH/#", GRANTED);
	subscribe(vol_bkk, "np/ann/10/#", GRANTED);
	subscribe(res_bkk, "np/ann/+/health", REFUSED);
	subscribe(res_bkk, "np/ann/10/health", GRANTED);
	subscribe(vol_5002, "np/ann/50/health", GRANTED);

	ok &= publish(cm, topic, env_announcement(title, &len), &len, true);
	ok &= receives(somchai, topic, &CM_OFFICIAL, title);
	ok &= receives(nok, topic, &CM_OFFICIAL, title);
	ok &= receives(cm_agency, topic, &CM_OFFICIAL, title);
	ok &= receives(agri, topic, &CM_OFFICIAL, title);
	ok &= receives(vol_5002, topic, &CM_OFFICIAL, title);
	ok &= receives_nothing(vol_bkk);
	ok &= receives_nothing(res_bkk);
	assert_true(ok);
	passed = true;
}

/* Announcement writers: every accepted one is delivered (the admin's '#' and
 * the village's readers see exactly those, in order); refused ones reach nobody. */
static void
announcements_are_refused_outside_scope_or_categories(void **state)
{
	static const struct {
		const char *user;
		const char *topic;
		bool accept;
	} rows[] = {
		{ "muang_official", "np/ann/50/health", false },        /* outside scope */
		{ "muang_official", "np/ann/5001/health", true },
		{ "muang_official", "np/ann/50010101/general", true },
		{ "cm_official", "np/ann/10/weather", false },
		{ "cm_official", "np/ann/TH/weather", false },
		{ "agri_agency", "np/ann/TH/agriculture", true },
		{ "agri_agency", "np/ann/TH/health", false },           /* not its category */
		{ "cm_agency", "np/ann/50/health", true },
		{ "cm_agency", "np/ann/TH/health", false },             /* outside scope */
		{ "cm_agency", "np/ann/50/weather", false },
		{ "nt_operator", "np/ann/50/network", true },
		{ "nt_operator", "np/ann/50/weather", false },
		{ "nt_operator", "np/ann/10/network", false },
		{ "somchai", "np/ann/50010101/event", true },
		{ "somchai", "np/ann/5001/event", false },              /* own village only */
		{ "somchai", "np/ann/50010102/event", false },
		{ "malee", "np/ann/50010101/event", false },
		{ "nok", "np/ann/50010101/general", false },    /* residents write nothing */
		{ "admin", "np/ann/TH/general", false },        /* nor does the admin, under np/ */
		{ "ministry", "np/ann/TH/weather", true },
	};
	struct peer *admin, *nok, *by[COUNT(rows)];
	static const struct who *const stamp_of[COUNT(rows)] = {
		[1] = &MUANG_OFFICIAL, [2] = &MUANG_OFFICIAL, [5] = &AGRI_AGENCY,
		[7] = &CM_AGENCY, [10] = &NT_OPERATOR, [13] = &SOMCHAI, [19] = &MINISTRY,
	};
	char title[64];
	size_t i, j, len;
	bool ok = true;

	(void)state;
	admin = join("admin", 5);
	nok = join("nok", 5);
	subscribe(admin, "#", GRANTED);
	subscribe(nok, "np/ann/50010101/#", GRANTED);
	for (i = 0; i < COUNT(rows); i++) {
		for (j = 0; j < i && strcmp(rows[j].user, rows[i].user) != 0; j++)
			;
		by[i] = j < i ? by[j] : join(rows[i].user, 5);
		snprintf(title, sizeof(title), "ann %zu", i);
		ok &= publish(by[i], rows[i].topic, env_announcement(title, &len), &len,
			      rows[i].accept);
	}
	for (i = 0; i < COUNT(rows); i++) {
		if (!rows[i].accept)
			continue;
		assert_non_null(stamp_of[i]);
		snprintf(title, sizeof(title), "ann %zu", i);
		ok &= receives(admin, rows[i].topic, stamp_of[i], title);
	}
	ok &= receives_nothing(admin);
	ok &= receives(nok, "np/ann/50010101/general", &MUANG_OFFICIAL, "ann 2");
	ok &= receives(nok, "np/ann/50010101/event", &SOMCHAI, "ann 13");
	ok &= receives_nothing(nok);
	assert_true(ok);
	passed = true;
}

static void
village_status_reaches_officials_and_operator_and_only_its_volunteer_sends_it(void **state)
{
	static const char *const topic = "np/status/50/5001/50010101";
	struct peer *somchai, *malee, *cm, *nt, *muang;
	size_t len;
	bool ok = true;

	(void)state;
	somchai = join("somchai", 5);
	malee = join("malee", 5);
	cm = join("cm_official", 5);
	nt = join("nt_operator", 5);
	muang = join("muang_official", 5);
	subscribe(cm, "np/status/50/#", GRANTED);
	subscribe(nt, "np/status/50/#", GRANTED);
	subscribe(muang, "np/status/50/5001/+", GRANTED);
	subscribe(somchai, topic, REFUSED);

	ok &= publish(somchai, topic, env_status(true, &len), &len, true);
	ok &= receives(cm, topic, &SOMCHAI, "online");
	ok &= receives(nt, topic, &SOMCHAI, "online");
	ok &= receives(muang, topic, &SOMCHAI, "online");
	ok &= publish(malee, topic, env_status(false, &len), &len, false);
	ok &= publish(cm, topic, env_status(false, &len), &len, false);
	ok &= receives_nothing(cm);
	ok &= receives_nothing(nt);
	ok &= receives_nothing(muang);
	assert_true(ok);
	passed = true;
}

static void
showcase_reaches_all_villages_and_agencies_within_scope(void **state)
{
	static const char *const topic = "np/show/50/5001/50010101/product";
	static const char *const title = "ผ้าทอมือ";
	struct peer *somchai, *nok, *vol_bkk, *cm_agency, *res_bkk, *ministry, *malee;
	size_t len;
	bool ok = true;

	(void)state;
	somchai = join("somchai", 5);
	nok = join("nok", 5);
	vol_bkk = join("vol_bkk", 5);
	cm_agency = join("cm_agency", 5);
	res_bkk = join("res_bkk", 5);
	ministry = join("ministry", 5);
	malee = join("malee", 5);
	subscribe(nok, "np/show/#", GRANTED);
	subscribe(vol_bkk, "np/show/#", GRANTED);
	subscribe(cm_agency, "np/show/50/#", GRANTED);
	subscribe(res_bkk, "np/show/+/+/+/product", GRANTED);
	subscribe(ministry, "np/show/#", GRANTED);

	ok &= publish(somchai, topic, env_showcase(title, &len), &len, true);
	ok &= receives(nok, topic, &SOMCHAI, title);
	ok &= receives(vol_bkk, topic, &SOMCHAI, title);
	ok &= receives(cm_agency, topic, &SOMCHAI, title);
	ok &= receives(res_bkk, topic, &SOMCHAI, title);
	ok &= receives(ministry, topic, &SOMCHAI, title);
	/* only the village's own volunteer shows it */
	ok &= publish(malee, topic, env_showcase("ของปลอม", &len), &len, false);
	ok &= publish(nok, topic, env_showcase("ของปลอม", &len), &len, false);
	ok &= receives_nothing(nok);
	assert_true(ok);
	passed = true;
}

static void
admin_subscribed_to_everything_receives_every_accepted_message(void **state)
{
	struct peer *admin, *somchai, *malee, *cm, *ministry;
	uint8_t rid[16], *buf;
	size_t len;
	bool ok = true;

	(void)state;
	admin = join("admin", 5);
	somchai = join("somchai", 5);
	malee = join("malee", 5);
	cm = join("cm_official", 5);
	ministry = join("ministry", 5);
	subscribe(admin, "#", GRANTED);

	buf = env_report("a1", &len);
	id_of(buf, len, rid);
	ok &= publish(somchai, "np/rep/50/5001/50010101/incident", buf, &len, true);
	ok &= publish(somchai, "np/rep/50/5001/50010102/incident", env_report("x", &len), &len,
		      false);
	ok &= publish(cm, "np/rep/50/5001/50010101/ack",
		      env_ack(rid, NP__ACK_STATE__RESOLVED, &len), &len, true);
	ok &= publish(ministry, "np/ann/TH/emergency", env_announcement("a3", &len), &len, true);
	ok &= publish(malee, "np/dm/cm_official", env_dm("a4", &len), &len, true);
	ok &= publish(malee, "np/dm/ministry", env_dm("a5", &len), &len, true);
	ok &= publish(somchai, "np/status/50/5001/50010101", env_status(false, &len), &len, true);
	ok &= publish(malee, "np/status/50/5001/50010101", env_status(true, &len), &len, false);
	ok &= publish(somchai, "np/show/50/5001/50010101/place", env_showcase("a7", &len), &len,
		      true);

	ok &= receives(admin, "np/rep/50/5001/50010101/incident", &SOMCHAI, "a1");
	ok &= receives(admin, "np/rep/50/5001/50010101/ack", &CM_OFFICIAL, "");
	ok &= receives(admin, "np/ann/TH/emergency", &MINISTRY, "a3");
	ok &= receives(admin, "np/dm/cm_official", &MALEE, "a4");
	ok &= receives(admin, "np/dm/ministry", &MALEE, "a5");
	ok &= receives(admin, "np/status/50/5001/50010101", &SOMCHAI, "offline");
	ok &= receives(admin, "np/show/50/5001/50010101/place", &SOMCHAI, "a7");
	ok &= receives_nothing(admin);
	assert_true(ok);
	passed = true;
}

static void
wildcard_subscribers_receive_reports_of_every_area_they_read(void **state)
{
	struct peer *ministry, *cm, *cm_any, *bkk, *somchai, *vol_bkk, *vol_5002;
	size_t len;
	bool ok = true;

	(void)state;
	ministry = join("ministry", 5);
	cm = join("cm_official", 5);
	bkk = join("bkk_official", 5);
	somchai = join("somchai", 5);
	vol_bkk = join("vol_bkk", 5);
	vol_5002 = join("vol_5002", 5);
	subscribe(ministry, "np/rep/#", GRANTED);
	subscribe(cm, "np/rep/50/#", GRANTED);
	subscribe(bkk, "np/rep/10/#", GRANTED);
	cm_any = join("cm_official", 5);
	subscribe(cm_any, "np/+/50/#", GRANTED);
	cm_any = join("cm_official", 5);
	subscribe(cm_any, "np/+/50/#", GRANTED);

	ok &= publish(somchai, "np/rep/50/5001/50010101/feedback", env_report("r50", &len), &len,
		      true);
	ok &= publish(vol_bkk, "np/rep/10/1001/10010101/outage", env_report("r10", &len), &len,
		      true);
	ok &= publish(vol_5002, "np/rep/50/5002/50020301/incident", env_report("r5002", &len), &len,
		      true);
	ok &= receives(ministry, "np/rep/50/5001/50010101/feedback", &SOMCHAI, "r50");
	ok &= receives(ministry, "np/rep/10/1001/10010101/outage", &VOL_BKK, "r10");
	ok &= receives(ministry, "np/rep/50/5002/50020301/incident", &VOL_5002, "r5002");
	ok &= receives(cm, "np/rep/50/5001/50010101/feedback", &SOMCHAI, "r50");
	ok &= receives(cm, "np/rep/50/5002/50020301/incident", &VOL_5002, "r5002");
	ok &= receives(bkk, "np/rep/10/1001/10010101/outage", &VOL_BKK, "r10");
	ok &= receives(cm_any, "np/rep/50/5001/50010101/feedback", &SOMCHAI, "r50");
	ok &= receives(cm_any, "np/rep/50/5002/50020301/incident", &VOL_5002, "r5002");
	ok &= publish(somchai, "np/status/50/5001/50010101", env_status(true, &len), &len, true);
	ok &= receives(cm_any, "np/status/50/5001/50010101", &SOMCHAI, "online");
	ok &= receives_nothing(cm_any);
	ok &= receives_nothing(ministry);
	ok &= receives_nothing(cm);
	ok &= receives_nothing(bkk);
	assert_true(ok);
	passed = true;
}

/* A resend (same id, same sender) is acknowledged and reaches nobody again,
 * not even the admin, whatever it subscribed to. */
static void
resent_message_is_not_delivered_again_even_to_the_admin(void **state)
{
	static const char *const topic = "np/rep/50/5001/50010101/outage";
	struct peer *admin, *somchai, *cm;
	uint8_t *buf, *again;
	size_t len;
	bool ok = true;

	(void)state;
	admin = join("admin", 5);
	somchai = join("somchai", 5);
	cm = join("cm_official", 5);
	subscribe(admin, "#", GRANTED);
	/* admin reads everything: where the hub parks resends must stay empty
	 * (refusing this filter would do as well) */
	tc_subscribe(admin->c, "$np/#", 1);
	subscribe(cm, "np/rep/50/#", GRANTED);

	buf = env_report("ส่งซ้ำ", &len);
	again = malloc(len);
	assert_non_null(again);
	memcpy(again, buf, len);
	ok &= publish(somchai, topic, buf, &len, true);
	ok &= publish(somchai, topic, again, &len, true);
	ok &= receives(cm, topic, &SOMCHAI, "ส่งซ้ำ");
	ok &= receives(admin, topic, &SOMCHAI, "ส่งซ้ำ");
	ok &= receives_nothing(cm);
	ok &= receives_nothing(admin);
	assert_true(ok);
	passed = true;
}

/* Reading is checked at every delivery, not only at SUBSCRIBE: an official moved
 * to another province by np-admin while subscribed gets nothing more of the old one. */
static void
subscriber_moved_out_of_scope_receives_nothing_more(void **state)
{
	static const char *const topic = "np/rep/50/5001/50010101/outage";
	struct peer *somchai, *muang, *ministry;
	size_t len;
	bool ok = true;

	(void)state;
	somchai = join("somchai", 5);
	muang = join("muang_official", 5);
	ministry = join("ministry", 5);
	subscribe(muang, "np/rep/50/5001/#", GRANTED);
	subscribe(ministry, "np/rep/#", GRANTED);
	ok &= publish(somchai, topic, env_report("before", &len), &len, true);
	ok &= receives(muang, topic, &SOMCHAI, "before");
	ok &= receives(ministry, topic, &SOMCHAI, "before");

	assert_int_equal(hub_admin(&hub, NULL, "user del muang_official >/dev/null"), 0);
	assert_int_equal(hub_admin(&hub, "muang_official-demo\n",
				   "user add muang_official --role official --area 5002 "
				   "--iterations 1000 >/dev/null"), 0);
	usleep(1500 * 1000);    /* the hub looks at user changes once a second */

	ok &= publish(somchai, topic, env_report("after", &len), &len, true);
	ok &= receives(ministry, topic, &SOMCHAI, "after");
	ok &= receives_nothing(muang);
	assert_true(ok);
	passed = true;
}

static void
v311_subscribers_receive_the_same_bytes_as_v5_ones(void **state)
{
	static const char *const topic = "np/rep/50/5001/50010101/outage";
	static const char *const topic3 = "np/rep/50/5001/50010102/incident";
	struct peer *somchai, *malee3, *cm5, *cm3, *ministry3, *nok3;
	struct tc_msg m5, m3, mm;
	size_t len;
	bool ok = true;

	(void)state;
	somchai = join("somchai", 5);
	malee3 = join("malee", 4);
	cm5 = join("cm_official", 5);
	cm3 = join("cm_official", 4);
	ministry3 = join("ministry", 4);
	nok3 = join("nok", 4);
	subscribe(cm5, "np/rep/50/#", GRANTED);
	subscribe(cm3, "np/rep/50/#", GRANTED);
	subscribe(ministry3, "np/rep/#", GRANTED);
	subscribe(nok3, "np/rep/50/#", 0x80);
	subscribe(nok3, "np/show/#", GRANTED);

	ok &= publish(somchai, topic, env_report("สัญญาณหาย", &len), &len, true);
	assert_true(receives_msg(cm5, topic, &SOMCHAI, "สัญญาณหาย", &m5));
	assert_true(receives_msg(cm3, topic, &SOMCHAI, "สัญญาณหาย", &m3));
	assert_true(receives_msg(ministry3, topic, &SOMCHAI, "สัญญาณหาย", &mm));
	assert_int_equal(m3.len, m5.len);
	assert_memory_equal(m3.payload, m5.payload, m5.len);
	assert_int_equal(mm.len, m5.len);
	assert_memory_equal(mm.payload, m5.payload, m5.len);
	tc_msg_free(&m5);
	tc_msg_free(&m3);
	tc_msg_free(&mm);

	/* a 3.1.1 publisher's message is stamped the same way */
	ok &= publish(malee3, topic3, env_report("น้ำท่วมถนน", &len), &len, true);
	assert_true(receives_msg(cm5, topic3, &MALEE, "น้ำท่วมถนน", &m5));
	assert_true(receives_msg(cm3, topic3, &MALEE, "น้ำท่วมถนน", &m3));
	assert_int_equal(m3.len, m5.len);
	assert_memory_equal(m3.payload, m5.payload, m5.len);
	tc_msg_free(&m5);
	tc_msg_free(&m3);
	ok &= receives(ministry3, topic3, &MALEE, "น้ำท่วมถนน");
	ok &= receives_nothing(nok3);
	assert_true(ok);
	passed = true;
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(somchai_outage_report_reaches_officials_and_operator_of_its_area_only),
		T(need_report_is_not_delivered_to_the_operator),
		T(acks_reach_the_reporting_village_and_its_readers_not_the_sibling),
		T(dm_reaches_the_village_inbox_or_the_official_and_unknown_inboxes_are_refused),
		T(national_announcement_reaches_every_branch),
		T(province_announcement_stays_in_its_province),
		T(announcements_are_refused_outside_scope_or_categories),
		T(village_status_reaches_officials_and_operator_and_only_its_volunteer_sends_it),
		T(showcase_reaches_all_villages_and_agencies_within_scope),
		T(admin_subscribed_to_everything_receives_every_accepted_message),
		T(wildcard_subscribers_receive_reports_of_every_area_they_read),
		T(resent_message_is_not_delivered_again_even_to_the_admin),
		T(subscriber_moved_out_of_scope_receives_nothing_more),
		T(v311_subscribers_receive_the_same_bytes_as_v5_ones),
	};
#undef T

	return cmocka_run_group_tests_name("broker_delivery", tests, NULL, NULL);
}
