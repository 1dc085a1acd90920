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
	char label[64];         /* as a step names it (see struct step) */
	char name[64];
	struct tc *c;
};

static struct hub hub;
static bool passed;
static struct peer peers[32];
static size_t npeers;
static unsigned long checks;   /* checks run, printed at the end */

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
	snprintf(p->label, sizeof(p->label), "%s", user);
	snprintf(p->name, sizeof(p->name), "%s (MQTT %s)", user, version == 5 ? "5" : "3.1.1");
	p->c = tc_login(&hub, user, version, &rc);
	if (p->c == NULL)
		fprintf(stderr, "# %s cannot log in: CONNACK %d\n", p->name, rc);
	assert_non_null(p->c);
	checks++;
	npeers++;
	return p;
}

static void
subscribe(struct peer *p, const char *filter, int want)
{
	int got = tc_subscribe(p->c, filter, 1);

	checks++;
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

	checks++;
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

	checks++;
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

	checks++;
	if (!next_msg(p, &m, QUIET_MS))
		return true;
	fprintf(stderr, "# %s received a message on '%s' it must not\n", p->name, m.topic);
	tc_msg_free(&m);
	return false;
}

/* ---- scenarios as tables ----
 * A step names its peer by label: the username, then "#tag" for another
 * connection of the same user or "@4" for one with MQTT 3.1.1. A peer logs in
 * when it is first named (peer()); a test names its silent ones first, so
 * that every connection is made before the first publish, as before. */
struct step {
	char op;                /* 'S'ubscribe, 'P'ublish, 'R'eceives, 'N'othing received */
	const char *peer;
	const char *topic;      /* S: the filter */
	int want;               /* S: the SUBACK; P: ACCEPTED or REFUSED_PUB */
	char body;              /* P: 'r'eport, 'a'nnouncement, 'd'm, 's'tatus, sho'w'case */
	const char *text;       /* P: the body's text (status: "online"/"offline"); R: expected */
	const struct who *from; /* R: the stamp expected */
};

#define SUB(p, f, w) { 'S', p, f, w, 0, NULL, NULL }
#define PUB(p, t, b, x, ok) { 'P', p, t, ok, b, x, NULL }
#define GETS(p, t, w, x) { 'R', p, t, 0, 0, x, w }
#define QUIET(p) { 'N', p, NULL, 0, 0, NULL, NULL }
#define ACCEPTED 1
#define REFUSED_PUB 0

/* The peer a step label names, logged in on first use. */
static struct peer *
peer(const char *label)
{
	char user[32];
	struct peer *p;
	size_t i;

	for (i = 0; i < npeers; i++) {
		if (strcmp(peers[i].label, label) == 0)
			return &peers[i];
	}
	snprintf(user, sizeof(user), "%.*s", (int)strcspn(label, "#@"), label);
	p = join(user, strstr(label, "@4") != NULL ? 4 : 5);
	snprintf(p->label, sizeof(p->label), "%s", label);
	return p;
}

/* Logs in every label of a NULL-terminated list, in order. */
static void
peers_join(const char *const *labels)
{
	for (; *labels != NULL; labels++)
		peer(*labels);
}

static uint8_t *
body_of(char body, const char *text, size_t *len)
{
	switch (body) {
	case 'r':
		return env_report(text, len);
	case 'a':
		return env_announcement(text, len);
	case 'd':
		return env_dm(text, len);
	case 's':
		return env_status(strcmp(text, "online") == 0, len);
	case 'w':
		return env_showcase(text, len);
	default:
		fail_msg("unknown body '%c'", body);
		return NULL;
	}
}

/* Runs n steps in order; false when a publish, receive or quiet check failed
 * (a SUBACK that differs fails the test at once, as subscribe() does). */
static bool
run(const struct step *s, size_t n)
{
	uint8_t *buf;
	size_t i, len;
	bool ok = true;

	for (i = 0; i < n; i++, s++) {
		switch (s->op) {
		case 'S':
			subscribe(peer(s->peer), s->topic, s->want);
			break;
		case 'P':
			buf = body_of(s->body, s->text, &len);
			ok &= publish(peer(s->peer), s->topic, buf, &len, s->want != 0);
			break;
		case 'R':
			ok &= receives(peer(s->peer), s->topic, s->from, s->text);
			break;
		case 'N':
			ok &= receives_nothing(peer(s->peer));
			break;
		default:
			fail_msg("unknown step '%c'", s->op);
		}
	}
	return ok;
}

#define RUN(steps) run(steps, COUNT(steps))

static void
somchai_outage_report_reaches_officials_and_operator_of_its_area_only(void **state)
{
#define T "np/rep/50/5001/50010101/outage"
#define X "ไฟดับทั้งหมู่บ้าน"
	static const char *const who[] = {
		"somchai", "cm_official", "cm_official#shared", "muang_official", "ministry",
		"nt_operator", "bkk_official", "d5002_official", NULL,
	};
	static const struct step steps[] = {
		SUB("cm_official", "np/rep/50/#", GRANTED),
		SUB("cm_official#shared", "$share/cm_official/np/rep/50/#", GRANTED),
		SUB("muang_official", "np/rep/50/5001/#", GRANTED),
		SUB("ministry", "np/rep/#", GRANTED),
		SUB("nt_operator", "np/rep/50/+/+/outage", GRANTED),
		SUB("bkk_official", "np/rep/50/#", REFUSED),
		SUB("bkk_official", "np/rep/10/#", GRANTED),
		SUB("d5002_official", "np/rep/50/5001/#", REFUSED),
		SUB("d5002_official", "np/rep/50/5002/#", GRANTED),
		PUB("somchai", T, 'r', X, ACCEPTED),
		GETS("cm_official", T, &SOMCHAI, X),
		GETS("cm_official#shared", T, &SOMCHAI, X),
		GETS("muang_official", T, &SOMCHAI, X),
		GETS("ministry", T, &SOMCHAI, X),
		GETS("nt_operator", T, &SOMCHAI, X),
		QUIET("bkk_official"),
		QUIET("d5002_official"),
	};
#undef T
#undef X

	(void)state;
	peers_join(who);
	assert_true(RUN(steps));
	passed = true;
}

static void
need_report_is_not_delivered_to_the_operator(void **state)
{
#define T "np/rep/50/5001/50010101/need"
	static const char *const who[] = {
		"somchai", "cm_official", "nt_operator", "nt_national", NULL,
	};
	static const struct step steps[] = {
		SUB("cm_official", "np/rep/50/#", GRANTED),
		SUB("nt_operator", "np/rep/50/+/+/need", REFUSED),
		SUB("nt_operator", "np/rep/50/+/+/outage", GRANTED),
		SUB("nt_operator", "np/rep/50/+/+/ack", GRANTED),
		SUB("nt_national", "np/rep/+/+/+/outage", GRANTED),
		PUB("somchai", T, 'r', "ต้องการคอมพิวเตอร์", ACCEPTED),
		GETS("cm_official", T, &SOMCHAI, "ต้องการคอมพิวเตอร์"),
		QUIET("nt_operator"),
		QUIET("nt_national"),
	};
#undef T

	(void)state;
	peers_join(who);
	assert_true(RUN(steps));
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

/* One ack publish of the table below. */
struct ack_row {
	const char *peer, *topic;
	bool of_need;           /* acknowledges the need report, else the outage report */
	Np__AckState state;
	const char *note;
	bool accept;
};

static bool
publish_acks(const struct ack_row *r, size_t n, const uint8_t outage_id[16],
	     const uint8_t need_id[16])
{
	uint8_t *buf;
	size_t i, len;
	bool ok = true;

	for (i = 0; i < n; i++, r++) {
		buf = ack_env(r->of_need ? need_id : outage_id, r->state, r->note, NULL, &len);
		ok &= publish(peer(r->peer), r->topic, buf, &len, r->accept);
	}
	return ok;
}

static void
acks_reach_the_reporting_village_and_its_readers_not_the_sibling(void **state)
{
#define T "np/rep/50/5001/50010101/ack"
	static const char *const who[] = {
		"cm_official", "somchai", "malee", "nt_operator", "muang_official", "bkk_official",
		NULL,
	};
	static const struct step listen[] = {
		SUB("somchai", "np/rep/50/5001/50010101/#", GRANTED),
		SUB("malee", "np/rep/50/5001/50010101/#", REFUSED),
		SUB("malee", "np/rep/50/5001/50010102/#", GRANTED),
		SUB("nt_operator", "np/rep/50/+/+/ack", GRANTED),
		SUB("muang_official", "np/rep/50/5001/+/ack", GRANTED),
	};
	static const struct step in_progress[] = {
		GETS("nt_operator", T, &CM_OFFICIAL, "ช่างจะไปพรุ่งนี้"),
		GETS("muang_official", T, &CM_OFFICIAL, "ช่างจะไปพรุ่งนี้"),
	};
	/* the operator acknowledges the outage report, not the need report */
	static const struct ack_row resolve[] = {
		{ "nt_operator", T, false, NP__ACK_STATE__RESOLVED, "ซ่อมเสร็จแล้ว", true },
	};
	static const struct step resolved[] = {
		GETS("somchai", T, &NT_OPERATOR, "ซ่อมเสร็จแล้ว"),
		GETS("muang_official", T, &NT_OPERATOR, "ซ่อมเสร็จแล้ว"),
		GETS("nt_operator", T, &NT_OPERATOR, "ซ่อมเสร็จแล้ว"),  /* its own, stamped */
	};
	static const struct ack_row refused[] = {
		{ "nt_operator", T, true, NP__ACK_STATE__RECEIVED, "x", false },
		/* acks outside scope, on another village's topic, or by the volunteer */
		{ "bkk_official", T, false, NP__ACK_STATE__RECEIVED, "x", false },
		{ "cm_official", "np/rep/50/5001/50010102/ack", false, NP__ACK_STATE__RECEIVED, "x",
		  false },
		{ "somchai", T, false, NP__ACK_STATE__RESOLVED, "x", false },
	};
	static const struct step quiet[] = {
		QUIET("somchai"), QUIET("malee"), QUIET("nt_operator"), QUIET("muang_official"),
	};
	struct tc_msg raw;
	Np__Envelope *got;
	uint8_t id[16], outage_id[16], need_id[16], *buf;
	size_t len;
	bool ok = true;

	(void)state;
	peers_join(who);
	/* the reports being acknowledged, sent before anyone listens */
	buf = env_report("เสาสัญญาณล้ม", &len);
	id_of(buf, len, outage_id);
	ok &= publish(peer("somchai"), "np/rep/50/5001/50010101/outage", buf, &len, true);
	buf = env_report("ขอจุดกระจายสัญญาณเพิ่ม", &len);
	id_of(buf, len, need_id);
	ok &= publish(peer("somchai"), "np/rep/50/5001/50010101/need", buf, &len, true);
	ok &= RUN(listen);

	buf = ack_env(outage_id, NP__ACK_STATE__IN_PROGRESS, "ช่างจะไปพรุ่งนี้", id, &len);
	ok &= publish(peer("cm_official"), T, buf, &len, true);
	if (receives_msg(peer("somchai"), T, &CM_OFFICIAL, "ช่างจะไปพรุ่งนี้", &raw)) {
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
	ok &= RUN(in_progress);
	ok &= publish_acks(resolve, COUNT(resolve), outage_id, need_id);
	ok &= RUN(resolved);
	ok &= publish_acks(refused, COUNT(refused), outage_id, need_id);
	ok &= RUN(quiet);
	assert_true(ok);
	passed = true;
#undef T
}

static void
dm_reaches_the_village_inbox_or_the_official_and_unknown_inboxes_are_refused(void **state)
{
	static const char *const who[] = {
		"malee", "somchai", "somchai#pub", "nok", "cm_official", "agri_agency", NULL,
	};
	static const struct step steps[] = {
		SUB("somchai", "np/dm/50010101", GRANTED),
		SUB("nok", "np/dm/50010101", REFUSED),
		SUB("nok", "np/dm/+", REFUSED),
		SUB("cm_official", "np/dm/cm_official", GRANTED),
		PUB("malee", "np/dm/50010101", 'd', "สวัสดีจากหมู่ 2", ACCEPTED),
		GETS("somchai", "np/dm/50010101", &MALEE, "สวัสดีจากหมู่ 2"),
		QUIET("nok"),
		PUB("somchai#pub", "np/dm/cm_official", 'd', "ขอบคุณครับ", ACCEPTED),
		GETS("cm_official", "np/dm/cm_official", &SOMCHAI, "ขอบคุณครับ"),
		PUB("cm_official", "np/dm/50010101", 'd', "ประชุมวันจันทร์", ACCEPTED),
		GETS("somchai", "np/dm/50010101", &CM_OFFICIAL, "ประชุมวันจันทร์"),
		/* Inboxes are registered villages and officials only; DMs come from
		 * volunteers and officials only. */
		PUB("somchai#pub", "np/dm/nobody_here", 'd', "x", REFUSED_PUB),
		PUB("somchai#pub", "np/dm/somchai", 'd', "x", REFUSED_PUB),
		PUB("somchai#pub", "np/dm/nt_operator", 'd', "x", REFUSED_PUB),
		PUB("somchai#pub", "np/dm/99999999", 'd', "x", REFUSED_PUB),
		PUB("nok", "np/dm/cm_official", 'd', "x", REFUSED_PUB),
		PUB("agri_agency", "np/dm/cm_official", 'd', "x", REFUSED_PUB),
		PUB("agri_agency", "np/dm/50010101", 'd', "x", REFUSED_PUB),
		QUIET("cm_official"),
		QUIET("somchai"),
	};

	(void)state;
	peers_join(who);
	assert_true(RUN(steps));
	passed = true;
}

static void
national_announcement_reaches_every_branch(void **state)
{
#define T "np/ann/TH/weather"
#define X "พายุเข้า 3 วัน"
	static const char *const who[] = {
		"ministry", "somchai", "nok", "malee", "vol_bkk", "res_bkk", "agri_agency",
		"cm_official", NULL,
	};
	static const struct step steps[] = {
		SUB("somchai", "np/ann/TH/#", GRANTED),
		SUB("nok", "np/ann/TH/+", GRANTED),
		SUB("malee", "np/ann/TH/weather", GRANTED),
		SUB("vol_bkk", "np/ann/TH/#", GRANTED),
		SUB("res_bkk", "np/ann/TH/#", GRANTED),
		SUB("agri_agency", "np/ann/#", GRANTED),
		SUB("cm_official", "np/ann/TH/#", GRANTED),
		PUB("ministry", T, 'a', X, ACCEPTED),
		GETS("somchai", T, &MINISTRY, X),
		GETS("nok", T, &MINISTRY, X),
		GETS("malee", T, &MINISTRY, X),
		GETS("vol_bkk", T, &MINISTRY, X),
		GETS("res_bkk", T, &MINISTRY, X),
		GETS("agri_agency", T, &MINISTRY, X),
		GETS("cm_official", T, &MINISTRY, X),
	};
#undef T
#undef X

	(void)state;
	peers_join(who);
	assert_true(RUN(steps));
	passed = true;
}

static void
province_announcement_stays_in_its_province(void **state)
{
#define T "np/ann/50/health"
#define X "ฉีดวัคซีนที่ รพ.สต."
	static const char *const who[] = {
		"cm_official", "somchai", "nok", "cm_agency", "agri_agency", "vol_bkk", "res_bkk",
		"vol_5002", NULL,
	};
	static const struct step steps[] = {
		SUB("somchai", "np/ann/50/#", GRANTED),
		SUB("nok", "np/ann/50/+", GRANTED),
		SUB("cm_agency", "np/ann/50/#", GRANTED),
		SUB("agri_agency", "np/ann/#", GRANTED),
		SUB("vol_bkk", "np/ann/50/#", REFUSED),
		SUB("vol_bkk", "np/ann/TH/#", GRANTED),
		SUB("vol_bkk", "np/ann/10/#", GRANTED),
		SUB("res_bkk", "np/ann/+/health", REFUSED),
		SUB("res_bkk", "np/ann/10/health", GRANTED),
		SUB("vol_5002", "np/ann/50/health", GRANTED),
		PUB("cm_official", T, 'a', X, ACCEPTED),
		GETS("somchai", T, &CM_OFFICIAL, X),
		GETS("nok", T, &CM_OFFICIAL, X),
		GETS("cm_agency", T, &CM_OFFICIAL, X),
		GETS("agri_agency", T, &CM_OFFICIAL, X),
		GETS("vol_5002", T, &CM_OFFICIAL, X),
		QUIET("vol_bkk"),
		QUIET("res_bkk"),
	};
#undef T
#undef X

	(void)state;
	peers_join(who);
	assert_true(RUN(steps));
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
		/* residents write nothing, nor does the admin under np/ (each from a
		 * connection of its own, not the listening one) */
		{ "nok#writer", "np/ann/50010101/general", false },
		{ "admin#writer", "np/ann/TH/general", false },
		{ "ministry", "np/ann/TH/weather", true },
	};
	static const struct who *const stamp_of[COUNT(rows)] = {
		[1] = &MUANG_OFFICIAL, [2] = &MUANG_OFFICIAL, [5] = &AGRI_AGENCY,
		[7] = &CM_AGENCY, [10] = &NT_OPERATOR, [13] = &SOMCHAI, [19] = &MINISTRY,
	};
	static const char *const who[] = { "admin", "nok", NULL };
	static const struct step listen[] = {
		SUB("admin", "#", GRANTED),
		SUB("nok", "np/ann/50010101/#", GRANTED),
	};
	static const struct step village[] = {
		QUIET("admin"),
		GETS("nok", "np/ann/50010101/general", &MUANG_OFFICIAL, "ann 2"),
		GETS("nok", "np/ann/50010101/event", &SOMCHAI, "ann 13"),
		QUIET("nok"),
	};
	char title[64];
	size_t i, len;
	bool ok = true;

	(void)state;
	peers_join(who);
	ok &= RUN(listen);
	for (i = 0; i < COUNT(rows); i++) {
		snprintf(title, sizeof(title), "ann %zu", i);
		ok &= publish(peer(rows[i].user), rows[i].topic, env_announcement(title, &len), &len,
			      rows[i].accept);
	}
	for (i = 0; i < COUNT(rows); i++) {
		if (!rows[i].accept)
			continue;
		assert_non_null(stamp_of[i]);
		snprintf(title, sizeof(title), "ann %zu", i);
		ok &= receives(peer("admin"), rows[i].topic, stamp_of[i], title);
	}
	ok &= RUN(village);
	assert_true(ok);
	passed = true;
}

static void
village_status_reaches_officials_and_operator_and_only_its_volunteer_sends_it(void **state)
{
#define T "np/status/50/5001/50010101"
	static const char *const who[] = {
		"somchai", "malee", "cm_official", "nt_operator", "muang_official", NULL,
	};
	static const struct step steps[] = {
		SUB("cm_official", "np/status/50/#", GRANTED),
		SUB("nt_operator", "np/status/50/#", GRANTED),
		SUB("muang_official", "np/status/50/5001/+", GRANTED),
		SUB("somchai", T, REFUSED),
		PUB("somchai", T, 's', "online", ACCEPTED),
		GETS("cm_official", T, &SOMCHAI, "online"),
		GETS("nt_operator", T, &SOMCHAI, "online"),
		GETS("muang_official", T, &SOMCHAI, "online"),
		PUB("malee", T, 's', "offline", REFUSED_PUB),
		PUB("cm_official", T, 's', "offline", REFUSED_PUB),
		QUIET("cm_official"),
		QUIET("nt_operator"),
		QUIET("muang_official"),
	};
#undef T

	(void)state;
	peers_join(who);
	assert_true(RUN(steps));
	passed = true;
}

static void
showcase_reaches_all_villages_and_agencies_within_scope(void **state)
{
#define T "np/show/50/5001/50010101/product"
#define X "ผ้าทอมือ"
	static const char *const who[] = {
		"somchai", "nok", "vol_bkk", "cm_agency", "res_bkk", "ministry", "malee", NULL,
	};
	static const struct step steps[] = {
		SUB("nok", "np/show/#", GRANTED),
		SUB("vol_bkk", "np/show/#", GRANTED),
		SUB("cm_agency", "np/show/50/#", GRANTED),
		SUB("res_bkk", "np/show/+/+/+/product", GRANTED),
		SUB("ministry", "np/show/#", GRANTED),
		PUB("somchai", T, 'w', X, ACCEPTED),
		GETS("nok", T, &SOMCHAI, X),
		GETS("vol_bkk", T, &SOMCHAI, X),
		GETS("cm_agency", T, &SOMCHAI, X),
		GETS("res_bkk", T, &SOMCHAI, X),
		GETS("ministry", T, &SOMCHAI, X),
		/* only the village's own volunteer shows it */
		PUB("malee", T, 'w', "ของปลอม", REFUSED_PUB),
		PUB("nok", T, 'w', "ของปลอม", REFUSED_PUB),
		QUIET("nok"),
	};
#undef T
#undef X

	(void)state;
	peers_join(who);
	assert_true(RUN(steps));
	passed = true;
}

static void
admin_subscribed_to_everything_receives_every_accepted_message(void **state)
{
	static const char *const who[] = {
		"admin", "somchai", "malee", "cm_official", "ministry", NULL,
	};
	static const struct step rest[] = {
		PUB("ministry", "np/ann/TH/emergency", 'a', "a3", ACCEPTED),
		PUB("malee", "np/dm/cm_official", 'd', "a4", ACCEPTED),
		PUB("malee", "np/dm/ministry", 'd', "a5", ACCEPTED),
		PUB("somchai", "np/status/50/5001/50010101", 's', "offline", ACCEPTED),
		PUB("malee", "np/status/50/5001/50010101", 's', "online", REFUSED_PUB),
		PUB("somchai", "np/show/50/5001/50010101/place", 'w', "a7", ACCEPTED),
		GETS("admin", "np/rep/50/5001/50010101/incident", &SOMCHAI, "a1"),
		GETS("admin", "np/rep/50/5001/50010101/ack", &CM_OFFICIAL, ""),
		GETS("admin", "np/ann/TH/emergency", &MINISTRY, "a3"),
		GETS("admin", "np/dm/cm_official", &MALEE, "a4"),
		GETS("admin", "np/dm/ministry", &MALEE, "a5"),
		GETS("admin", "np/status/50/5001/50010101", &SOMCHAI, "offline"),
		GETS("admin", "np/show/50/5001/50010101/place", &SOMCHAI, "a7"),
		QUIET("admin"),
	};
	uint8_t rid[16], *buf;
	size_t len;
	bool ok = true;

	(void)state;
	peers_join(who);
	subscribe(peer("admin"), "#", GRANTED);
	buf = env_report("a1", &len);
	id_of(buf, len, rid);
	ok &= publish(peer("somchai"), "np/rep/50/5001/50010101/incident", buf, &len, true);
	ok &= publish(peer("somchai"), "np/rep/50/5001/50010102/incident", env_report("x", &len),
		      &len, false);
	ok &= publish(peer("cm_official"), "np/rep/50/5001/50010101/ack",
		      env_ack(rid, NP__ACK_STATE__RESOLVED, &len), &len, true);
	ok &= RUN(rest);
	assert_true(ok);
	passed = true;
}

static void
wildcard_subscribers_receive_reports_of_every_area_they_read(void **state)
{
#define R50 "np/rep/50/5001/50010101/feedback"
#define R10 "np/rep/10/1001/10010101/outage"
#define R5002 "np/rep/50/5002/50020301/incident"
	static const char *const who[] = {
		"ministry", "cm_official", "bkk_official", "somchai", "vol_bkk", "vol_5002", NULL,
	};
	/* two connections of cm_official on np/+/50/#: the second is checked */
	static const struct step steps[] = {
		SUB("ministry", "np/rep/#", GRANTED),
		SUB("cm_official", "np/rep/50/#", GRANTED),
		SUB("bkk_official", "np/rep/10/#", GRANTED),
		SUB("cm_official#any", "np/+/50/#", GRANTED),
		SUB("cm_official#any2", "np/+/50/#", GRANTED),
		PUB("somchai", R50, 'r', "r50", ACCEPTED),
		PUB("vol_bkk", R10, 'r', "r10", ACCEPTED),
		PUB("vol_5002", R5002, 'r', "r5002", ACCEPTED),
		GETS("ministry", R50, &SOMCHAI, "r50"),
		GETS("ministry", R10, &VOL_BKK, "r10"),
		GETS("ministry", R5002, &VOL_5002, "r5002"),
		GETS("cm_official", R50, &SOMCHAI, "r50"),
		GETS("cm_official", R5002, &VOL_5002, "r5002"),
		GETS("bkk_official", R10, &VOL_BKK, "r10"),
		GETS("cm_official#any2", R50, &SOMCHAI, "r50"),
		GETS("cm_official#any2", R5002, &VOL_5002, "r5002"),
		PUB("somchai", "np/status/50/5001/50010101", 's', "online", ACCEPTED),
		GETS("cm_official#any2", "np/status/50/5001/50010101", &SOMCHAI, "online"),
		QUIET("cm_official#any2"),
		QUIET("ministry"),
		QUIET("cm_official"),
		QUIET("bkk_official"),
	};
#undef R50
#undef R10
#undef R5002

	(void)state;
	peers_join(who);
	assert_true(RUN(steps));
	passed = true;
}

/* A resend (same id, same sender) is acknowledged and reaches nobody again,
 * not even the admin, whatever it subscribed to. */
static void
resent_message_is_not_delivered_again_even_to_the_admin(void **state)
{
#define T "np/rep/50/5001/50010101/outage"
	static const char *const who[] = { "admin", "somchai", "cm_official", NULL };
	static const struct step after[] = {
		GETS("cm_official", T, &SOMCHAI, "ส่งซ้ำ"),
		GETS("admin", T, &SOMCHAI, "ส่งซ้ำ"),
		QUIET("cm_official"),
		QUIET("admin"),
	};
	uint8_t *buf, *again;
	size_t len;
	bool ok = true;

	(void)state;
	peers_join(who);
	subscribe(peer("admin"), "#", GRANTED);
	/* admin reads everything: where the hub parks resends must stay empty
	 * (refusing this filter would do as well) */
	tc_subscribe(peer("admin")->c, "$np/#", 1);
	subscribe(peer("cm_official"), "np/rep/50/#", GRANTED);

	buf = env_report("ส่งซ้ำ", &len);
	again = malloc(len);
	assert_non_null(again);
	memcpy(again, buf, len);
	ok &= publish(peer("somchai"), T, buf, &len, true);
	ok &= publish(peer("somchai"), T, again, &len, true);
	ok &= RUN(after);
	assert_true(ok);
	passed = true;
#undef T
}

/* Reading is checked at every delivery, not only at SUBSCRIBE: an official moved
 * to another province by np-admin while subscribed gets nothing more of the old one. */
static void
subscriber_moved_out_of_scope_receives_nothing_more(void **state)
{
#define T "np/rep/50/5001/50010101/outage"
	static const char *const who[] = { "somchai", "muang_official", "ministry", NULL };
	static const struct step before[] = {
		SUB("muang_official", "np/rep/50/5001/#", GRANTED),
		SUB("ministry", "np/rep/#", GRANTED),
		PUB("somchai", T, 'r', "before", ACCEPTED),
		GETS("muang_official", T, &SOMCHAI, "before"),
		GETS("ministry", T, &SOMCHAI, "before"),
	};
	static const struct step after[] = {
		PUB("somchai", T, 'r', "after", ACCEPTED),
		GETS("ministry", T, &SOMCHAI, "after"),
		QUIET("muang_official"),
	};
#undef T
	bool ok;

	(void)state;
	peers_join(who);
	ok = RUN(before);
	assert_int_equal(hub_admin(&hub, NULL, "user del muang_official >/dev/null"), 0);
	assert_int_equal(hub_admin(&hub, "muang_official-demo\n",
				   "user add muang_official --role official --area 5002 "
				   "--iterations 1000 >/dev/null"), 0);
	usleep(1500 * 1000);    /* the hub looks at user changes once a second */
	ok &= RUN(after);
	assert_true(ok);
	passed = true;
}

static void
v311_subscribers_receive_the_same_bytes_as_v5_ones(void **state)
{
#define T "np/rep/50/5001/50010101/outage"
#define T3 "np/rep/50/5001/50010102/incident"
	static const char *const who[] = {
		"somchai", "malee@4", "cm_official", "cm_official@4", "ministry@4", "nok@4", NULL,
	};
	static const struct step listen[] = {
		SUB("cm_official", "np/rep/50/#", GRANTED),
		SUB("cm_official@4", "np/rep/50/#", GRANTED),
		SUB("ministry@4", "np/rep/#", GRANTED),
		SUB("nok@4", "np/rep/50/#", 0x80),
		SUB("nok@4", "np/show/#", GRANTED),
		PUB("somchai", T, 'r', "สัญญาณหาย", ACCEPTED),
	};
	/* a 3.1.1 publisher's message is stamped the same way */
	static const struct step from_v311[] = {
		PUB("malee@4", T3, 'r', "น้ำท่วมถนน", ACCEPTED),
	};
	static const struct step last[] = {
		GETS("ministry@4", T3, &MALEE, "น้ำท่วมถนน"),
		QUIET("nok@4"),
	};
	struct peer *cm5, *cm3, *ministry3;
	struct tc_msg m5, m3, mm;
	bool ok = true;

	(void)state;
	peers_join(who);
	cm5 = peer("cm_official");
	cm3 = peer("cm_official@4");
	ministry3 = peer("ministry@4");
	ok &= RUN(listen);
	assert_true(receives_msg(cm5, T, &SOMCHAI, "สัญญาณหาย", &m5));
	assert_true(receives_msg(cm3, T, &SOMCHAI, "สัญญาณหาย", &m3));
	assert_true(receives_msg(ministry3, T, &SOMCHAI, "สัญญาณหาย", &mm));
	assert_int_equal(m3.len, m5.len);
	assert_memory_equal(m3.payload, m5.payload, m5.len);
	assert_int_equal(mm.len, m5.len);
	assert_memory_equal(mm.payload, m5.payload, m5.len);
	tc_msg_free(&m5);
	tc_msg_free(&m3);
	tc_msg_free(&mm);

	ok &= RUN(from_v311);
	assert_true(receives_msg(cm5, T3, &MALEE, "น้ำท่วมถนน", &m5));
	assert_true(receives_msg(cm3, T3, &MALEE, "น้ำท่วมถนน", &m3));
	assert_int_equal(m3.len, m5.len);
	assert_memory_equal(m3.payload, m5.payload, m5.len);
	tc_msg_free(&m5);
	tc_msg_free(&m3);
	ok &= RUN(last);
	assert_true(ok);
	passed = true;
#undef T
#undef T3
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

	int rc = cmocka_run_group_tests_name("broker_delivery", tests, NULL, NULL);

	printf("# %lu checks run\n", checks);
	return rc;
}
