/* test_corpus.c - checks that a corpus of bad inputs replayed against one real
 * broker is refused, every one the way its row says, with its reason logged
 * (history requests: with the reason in the page's error), and that after all
 * of them the broker is alive and a good report from a fresh connection is
 * accepted and delivered.
 *
 * One table row per bad input: { name, action, user, topic or filter, payload
 * builder (or raw bytes), expected outcome, reason }. Every row is its own
 * cmocka test, so a failing row names itself and the others still run. The
 * rows are self-contained: they overlap test_refusals.c where a kind of input
 * belongs to the corpus (ids of 15 and 17 bytes, ...), but build their own
 * bytes. Raw protobuf bytes are written by hand; ID marks where the runner puts
 * a fresh 16-byte id, so that no two rows share an id.
 *
 * Outcomes:
 *   PUBACK_87        publish, MQTT 5: PUBACK/PUBREC 0x87, the log line
 *                    "np: refused publish by '<user>' (...) on '<topic>': <reason>",
 *                    the Refusal with that reason on np/reply/<user>/error, and
 *                    no delivery to a reader of every np/ kind
 *   NOT_DROPPED      publish at QoS 0 or by MQTT 3.1.1 (no reason code): the
 *                    same log line and Refusal, and the connection stays up
 *   SUBACK_87        "np: refused subscription by '<user>' (...) to '<filter>': <reason>"
 *   PAGE_ERROR       PUBACK 0 on $CONTROL/np/v1/history, then a page on
 *                    np/reply/<user>/history with no items and an error holding
 *                    the reason ("" : any error)
 *   CONNACK_REFUSED  no session, "np: login refused for '<user>' from ...: <reason>",
 *                    broker alive */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "harness.h"

#define MAX_PAYLOAD 16384       /* > 8192 + overhead: the text limit is reachable */
#define HISTORY "$CONTROL/np/v1/history"
#define OWN "np/rep/50/5001/50010101/outage"    /* somchai's village */
#define OWN_NEED "np/rep/50/5001/50010101/need"
#define OWN_ACK "np/rep/50/5001/50010101/ack"   /* muang_official (5001) acks here */
#define OWN_ANN "np/ann/50010101/general"       /* a volunteer announces to its village */
#define OWN_SHOW "np/show/50/5001/50010101/product"
#define OWN_STATUS "np/status/50/5001/50010101"
#define MALEE_OUTAGE "np/rep/50/5001/50010102/outage"
#define DM_MALEE "np/dm/50010102"
#define BKK_OUTAGE "np/rep/10/1001/10010101/outage"     /* vol_bkk's village */
#define LEVELS_17 "np/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p"

/* Reasons, as the plugin words them. */
#define R_EMPTY "payload is empty (want an np.Envelope)"
#define R_NOTENV "payload is not an np.Envelope"
#define R_UTF8 "text is not valid UTF-8"
#define R_ID "id is not 16 bytes"
#define R_CANON "text holds a NUL byte or the envelope is not canonically encoded"
#define R_UNK_ENV "envelope has unknown fields"
#define R_UNK_BODY "body has unknown fields"
#define R_FIT "body does not fit the topic"
#define R_SIZE "payload is over the size limit"
#define R_HUB_ONLY "body is written by the hub only"
#define R_ACK_STATE "ack state is not one of received, in_progress, resolved, rejected, assigned"
#define R_ACK_NO_ASSIGNEE "an ack with the state assigned must name its assignee"
#define R_LEVELS "wrong number of levels for this topic kind"
#define R_NOT_NP "topic is not under np/"
#define R_TOO_DEEP "topic has too many levels"
#define R_OTHER_ID "the id belongs to another sender's message"
#define R_UNKNOWN_USER "unknown user"
#define R_INBOX "bad inbox address (a village code or an official's username)"

/* Raw protobuf pieces: ID is field 1 with 16 bytes the runner replaces. */
#define ID "\x0a\x10" "IDIDIDIDIDIDIDID"
#define ID_MARK "IDIDIDIDIDIDIDID"
#define RPT_X "\x52\x03\x0a\x01x"               /* report { title: "x" } */

enum act { PUB, SUB, SUB_MANY, HIST, CONN };
enum expect { PUBACK_87, NOT_DROPPED, SUBACK_87, PAGE_ERROR, CONNACK_REFUSED };

struct row;
typedef uint8_t *(*builder)(const struct row *r, size_t *len);

struct row {
	const char *name;
	enum act act;
	const char *user;       /* CONN: NULL is an anonymous login */
	const char *topic;      /* PUB topic, SUB filter; NULL with topic_len: generated */
	builder build;          /* PUB, HIST payload */
	const char *a, *b;      /* builder arguments (texts, raw bytes); CONN: a = password */
	size_t n;               /* raw: length of a; sizes and lengths for builders */
	const uint8_t *ref;     /* a fixture id (replays, acks of stored reports) */
	int state;              /* ack state */
	int64_t since, until;   /* history */
	uint32_t limit;
	size_t topic_len, user_len, pass_len;   /* generated overlong strings */
	int version;            /* 0: MQTT 5 */
	int qos;                /* 0: QoS 1; QOS0 for 0; 2 */
	enum expect expect;
	const char *reason;
};

#define QOS0 (-1)

/* ---- fixtures ---- */

static struct hub hub;
static struct tc *watch;        /* admin: every np/ kind but reply, must stay quiet */
static struct tc *prov;         /* cm_official on np/rep/50/#: the last good report */
static uint8_t id_somchai[16];  /* stored outage report of somchai (50010101) */
static uint8_t id_malee[16];    /* stored outage report of malee (50010102) */
static uint8_t id_need[16];     /* stored need report of somchai */

/* One connection per user and MQTT version, made when a row first needs it. */
static struct {
	char user[32];
	int version;
	struct tc *c;
} conns[32];

static struct tc *
conn_of(const char *user, int version)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(conns) / sizeof(conns[0]) && conns[i].c != NULL; i++) {
		if (strcmp(conns[i].user, user) == 0 && conns[i].version == version)
			return conns[i].c;
	}
	assert_true(i < sizeof(conns) / sizeof(conns[0]));
	conns[i].c = tc_login(&hub, user, version, &rc);
	if (conns[i].c == NULL)
		fail_msg("login of %s (MQTT %d) refused: %d", user, version, rc);
	snprintf(conns[i].user, sizeof(conns[i].user), "%s", user);
	conns[i].version = version;
	return conns[i].c;
}

/* A row found the connection gone: the next row gets a new one. */
static void
conn_forget(struct tc *c)
{
	size_t i, last;

	for (i = 0; i < sizeof(conns) / sizeof(conns[0]) && conns[i].c != NULL; i++) {
		if (conns[i].c != c)
			continue;
		tc_close(c);
		for (last = i; last + 1 < sizeof(conns) / sizeof(conns[0])
		     && conns[last + 1].c != NULL; last++)
			;
		conns[i] = conns[last];
		memset(&conns[last], 0, sizeof(conns[last]));
		return;
	}
}

static void
drain(struct tc *c)
{
	struct tc_msg m;

	while (tc_next(c, &m, 0))
		tc_msg_free(&m);
}

/* The next message of c on topic (others are dropped); false on timeout. */
static bool
next_on(struct tc *c, const char *topic, struct tc_msg *m, int timeout_ms)
{
	struct timespec t0, t;
	long left = timeout_ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0 && tc_next(c, m, (int)left)) {
		if (strcmp(m->topic, topic) == 0)
			return true;
		tc_msg_free(m);
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000
				     + (t.tv_nsec - t0.tv_nsec) / 1000000);
	}
	return false;
}

/* ---- the broker log ---- */

/* Lines of the broker log holding both a and b (lines of any length). */
static int
log_lines_with(const char *a, const char *b)
{
	FILE *f = fopen(hub.log, "r");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	if (f == NULL)
		return 0;
	while (getline(&line, &cap, f) != -1) {
		if (strstr(line, a) != NULL && strstr(line, b) != NULL)
			n++;
	}
	free(line);
	fclose(f);
	return n;
}

/* Waits up to 1 s for one more line than before holding a and b. */
static void
assert_logged(const char *a, const char *b, int before)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 100; i++) {
		if (log_lines_with(a, b) > before)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("the broker log lacks a new line with \"%.200s\" and \"%.300s\"", a, b);
}

/* ---- payload builders ---- */

/* Envelope with a fresh id (or r->ref) and the given body. */
#define WITH_BODY(e, id, r)                                              \
	do {                                                             \
		if ((r)->ref != NULL) {                                  \
			memcpy(id, (r)->ref, 16);                        \
		} else {                                                 \
			env_new_id(id);                                  \
		}                                                        \
		(e).id.data = id;                                        \
		(e).id.len = 16;                                         \
		(e).sent_at_ms = 1;                                      \
	} while (0)

/* a: n raw bytes; every ID_MARK becomes a fresh id. */
static uint8_t *
b_raw(const struct row *r, size_t *len)
{
	uint8_t *buf = malloc(r->n + 1), *at;
	uint8_t id[16];

	assert_non_null(buf);
	memcpy(buf, r->a, r->n);
	*len = r->n;
	for (at = buf; r->n >= 16 && at + 16 <= buf + r->n; at++) {
		if (memcmp(at, ID_MARK, 16) == 0) {
			env_new_id(id);
			memcpy(at, id, 16);
		}
	}
	return buf;
}

static uint8_t *
b_report(const struct row *r, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report b = NP__REPORT__INIT;
	uint8_t id[16];

	WITH_BODY(e, id, r);
	b.title = (char *)r->a;
	b.detail = (char *)(r->b ? r->b : "");
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &b;
	return env_pack(&e, len);
}

static uint8_t *
b_ann(const struct row *r, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Announcement b = NP__ANNOUNCEMENT__INIT;
	uint8_t id[16];

	WITH_BODY(e, id, r);
	b.title = (char *)r->a;
	b.body = (char *)(r->b ? r->b : "");
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &b;
	return env_pack(&e, len);
}

static uint8_t *
b_dm(const struct row *r, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__DirectMessage b = NP__DIRECT_MESSAGE__INIT;
	uint8_t id[16];

	WITH_BODY(e, id, r);
	b.text = (char *)r->a;
	e.body_case = NP__ENVELOPE__BODY_DM;
	e.dm = &b;
	return env_pack(&e, len);
}

static uint8_t *
b_show(const struct row *r, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Showcase b = NP__SHOWCASE__INIT;
	uint8_t id[16];

	WITH_BODY(e, id, r);
	b.title = (char *)r->a;
	b.description = (char *)(r->b ? r->b : "");
	e.body_case = NP__ENVELOPE__BODY_SHOWCASE;
	e.showcase = &b;
	return env_pack(&e, len);
}

static uint8_t *
b_status(const struct row *r, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Status b = NP__STATUS__INIT;
	uint8_t id[16];

	WITH_BODY(e, id, r);
	b.online = true;
	e.body_case = NP__ENVELOPE__BODY_STATUS;
	e.status = &b;
	return env_pack(&e, len);
}

/* Ack of r->ref (a stored report; NULL: a random id) with a report id of n
 * bytes (0: 16), state r->state and note a. Its own id is always fresh. */
static uint8_t *
b_ack(const struct row *r, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Ack b = NP__ACK__INIT;
	uint8_t id[16], rid[32];

	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	env_new_id(rid);
	env_new_id(rid + 16);
	if (r->ref != NULL)
		memcpy(rid, r->ref, 16);
	b.report_id.data = rid;
	b.report_id.len = r->n == (size_t)-1 ? 0 : r->n ? r->n : 16;
	b.state = (Np__AckState)r->state;
	b.note = (char *)(r->a ? r->a : "");
	e.body_case = NP__ENVELOPE__BODY_ACK;
	e.ack = &b;
	return env_pack(&e, len);
}

/* A report whose id is n bytes (0: no id field at all). */
static uint8_t *
b_id_len(const struct row *r, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report b = NP__REPORT__INIT;
	uint8_t id[64];

	env_new_id(id);
	env_new_id(id + 16);
	memcpy(id + 32, "0123456789abcdef0123456789abcdef", 32);
	e.id.data = r->n ? id : NULL;
	e.id.len = r->n;
	b.title = "ไฟดับ";
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &b;
	return env_pack(&e, len);
}

/* A valid report of exactly n bytes (title and detail, each within 8192). */
static uint8_t *
b_sized(const struct row *r, size_t *len)
{
	char *title = malloc(8193), *detail = malloc(8193);
	struct row rr = { .a = title, .b = detail };
	uint8_t *buf = NULL;
	size_t t, d, base;

	assert_non_null(title);
	assert_non_null(detail);
	for (t = 8192; t > 8100 && buf == NULL; t--) {
		memset(title, 'a', t);
		title[t] = '\0';
		detail[0] = '\0';
		buf = b_report(&rr, &base);
		free(buf);
		buf = NULL;
		for (d = r->n > base + 8 ? r->n - base - 8 : 0; d <= 8192 && buf == NULL; d++) {
			memset(detail, 'b', d);
			detail[d] = '\0';
			buf = b_report(&rr, len);
			if (*len > r->n)
				d = 8192;
			if (*len != r->n) {
				free(buf);
				buf = NULL;
			}
		}
	}
	free(title);
	free(detail);
	assert_non_null(buf);
	assert_int_equal(*len, r->n);
	return buf;
}

/* n bytes that are all zero. */
static uint8_t *
b_zeros(const struct row *r, size_t *len)
{
	uint8_t *buf = calloc(1, r->n);

	assert_non_null(buf);
	*len = r->n;
	return buf;
}

/* A report whose title is n bytes of 'a'. */
static uint8_t *
b_long_title(const struct row *r, size_t *len)
{
	char *title = malloc(r->n + 1);
	struct row rr = { .a = title };
	uint8_t *buf;

	assert_non_null(title);
	memset(title, 'a', r->n);
	title[r->n] = '\0';
	buf = b_report(&rr, len);
	free(title);
	return buf;
}

/* A report {title "x", field 7: n levels of nested length-delimited garbage}. */
static uint8_t *
b_nested(const struct row *r, size_t *len)
{
	uint8_t inner[256], body[300], *buf;
	size_t n = 0, i, blen = 0;
	uint8_t id[16];

	assert_true(2 * r->n < 128);
	for (i = 0; i < r->n; i++) {   /* wrap: 0x0a <len> <inner> */
		memmove(inner + 2, inner, n);
		inner[0] = i % 2 ? 0x12 : 0x0a;
		inner[1] = (uint8_t)n;
		n += 2;
	}
	body[blen++] = 0x0a;            /* title "x" */
	body[blen++] = 1;
	body[blen++] = 'x';
	body[blen++] = 0x3a;            /* field 7, length-delimited */
	body[blen++] = (uint8_t)n;
	memcpy(body + blen, inner, n);
	blen += n;
	buf = malloc(2 + 16 + 2 + blen);
	assert_non_null(buf);
	env_new_id(id);
	*len = 0;
	buf[(*len)++] = 0x0a;
	buf[(*len)++] = 16;
	memcpy(buf + *len, id, 16);
	*len += 16;
	buf[(*len)++] = 0x52;
	buf[(*len)++] = (uint8_t)blen;
	memcpy(buf + *len, body, blen);
	*len += blen;
	return buf;
}

static uint8_t *
b_no_body(const struct row *r, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	uint8_t id[16];

	WITH_BODY(e, id, r);
	return env_pack(&e, len);
}

static uint8_t *
b_refusal(const struct row *r, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Refusal b = NP__REFUSAL__INIT;
	uint8_t id[16];

	WITH_BODY(e, id, r);
	b.topic = OWN;
	b.reason = "forged by a client";
	e.body_case = NP__ENVELOPE__BODY_REFUSAL;
	e.refusal = &b;
	return env_pack(&e, len);
}

static uint8_t *
b_page(const struct row *r, size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__HistoryPage b = NP__HISTORY_PAGE__INIT;
	uint8_t id[16];

	WITH_BODY(e, id, r);
	b.correlation_id = "forged";
	e.body_case = NP__ENVELOPE__BODY_HISTORY_PAGE;
	e.history_page = &b;
	return env_pack(&e, len);
}

/* HistoryRequest { filter a, correlation_id b (default "corpus"), since, until,
 * limit, cursor of n bytes }. */
static uint8_t *
b_hist(const struct row *r, size_t *len)
{
	Np__HistoryRequest q = NP__HISTORY_REQUEST__INIT;
	uint8_t cursor[32] = { 0 }, *buf;

	q.filter = (char *)r->a;
	q.correlation_id = (char *)(r->b ? r->b : "corpus");
	q.since_ms = r->since;
	q.until_ms = r->until;
	q.limit = r->limit;
	q.cursor.data = cursor;
	q.cursor.len = r->n;
	*len = np__history_request__get_packed_size(&q);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	np__history_request__pack(&q, buf);
	return buf;
}

/* ---- the corpus ---- */

#define RAW(s) .build = b_raw, .a = (s), .n = sizeof(s) - 1
/* a refused publish by an MQTT 5 client at QoS 1 (PUBACK 0x87) */
#define P(nm, usr, tpc, rsn, ...) \
	{ .name = nm, .act = PUB, .user = usr, .topic = tpc, .expect = PUBACK_87, \
	  .reason = rsn, __VA_ARGS__ }
/* somchai, on his own outage topic or on tpc */
#define PS(nm, rsn, ...) P(nm, "somchai", OWN, rsn, __VA_ARGS__)
#define PT(nm, tpc, rsn, ...) P(nm, "somchai", tpc, rsn, __VA_ARGS__)
/* a refused publish that has no reason code to carry: the connection stays */
#define PK(nm, usr, tpc, rsn, ...) \
	{ .name = nm, .act = PUB, .user = usr, .topic = tpc, .expect = NOT_DROPPED, \
	  .reason = rsn, __VA_ARGS__ }
#define S(nm, usr, flt, rsn) \
	{ .name = nm, .act = SUB, .user = usr, .topic = flt, .expect = SUBACK_87, .reason = rsn }
#define H(nm, usr, rsn, ...) \
	{ .name = nm, .act = HIST, .user = usr, .topic = HISTORY, .expect = PAGE_ERROR, \
	  .reason = rsn, __VA_ARGS__ }
#define C(nm, usr, rsn, ...) \
	{ .name = nm, .act = CONN, .user = usr, .expect = CONNACK_REFUSED, .reason = rsn, \
	  __VA_ARGS__ }

static const struct row corpus[] = {
	/* -- payloads that are not protobuf, or not an Envelope -- */
	PS("empty_payload", R_EMPTY, RAW("")),
	PS("single_zero_byte", R_NOTENV, RAW("\x00")),
	PS("json_instead_of_protobuf", R_NOTENV, RAW("{\"title\":\"x\"}")),
	PS("id_with_varint_wire_type", R_NOTENV, RAW("\x08\x01" RPT_X)),
	PS("id_with_fixed64_wire_type", R_NOTENV, RAW("\x09" "01234567" RPT_X)),
	PS("sent_at_as_length_delimited", R_NOTENV, RAW(ID "\x12\x02hi" RPT_X)),
	PS("truncated_varint_at_the_end", R_NOTENV, RAW(ID "\x10\xff\xff")),
	PS("varint_of_eleven_bytes", R_NOTENV,
	   RAW(ID "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01" RPT_X)),
	PS("length_prefix_past_the_end", R_NOTENV, RAW(ID "\x52\x7f\x0a\x01x")),
	PS("length_prefix_of_4_gib", R_NOTENV, RAW(ID "\x52\xff\xff\xff\xff\x0f\x0a\x01x")),
	PS("id_length_past_the_end", R_NOTENV, RAW("\x0a\x10" "short")),
	PS("field_number_zero", R_NOTENV, RAW(ID RPT_X "\x02\x01" "a")),
	PS("group_start_wire_type_3", R_NOTENV, RAW(ID RPT_X "\x2b\x2c")),
	PS("group_end_wire_type_4", R_NOTENV, RAW(ID RPT_X "\x2c")),
	PS("reserved_wire_type_6", R_NOTENV, RAW(ID RPT_X "\x2e\x00")),
	PS("reserved_wire_type_7", R_NOTENV, RAW(ID RPT_X "\x2f\x00")),
	PS("garbage_inside_the_report", R_NOTENV, RAW(ID "\x52\x03\xff\xff\xff")),
	PS("garbage_inside_the_sender", R_NOTENV, RAW(ID "\x1a\x03\xff\xff\xff" RPT_X)),
	PS("report_title_with_varint_wire_type", R_NOTENV, RAW(ID "\x52\x02\x08\x01")),
	PS("deeply_nested_garbage_in_the_report", R_UNK_BODY, .build = b_nested, .n = 60),
	PS("unknown_varint_field_99_in_the_envelope", R_UNK_ENV, RAW(ID RPT_X "\x98\x06\x01")),
	PS("unknown_fixed32_field_in_the_envelope", R_UNK_ENV, RAW(ID RPT_X "\x2d" "abcd")),
	PS("unused_oneof_number_16", R_UNK_ENV, RAW(ID "\x82\x01\x00")),
	PS("field_number_above_2_pow_29", R_UNK_ENV, RAW(ID RPT_X "\x80\x80\x80\x80\x10\x01")),
	PS("unknown_field_in_the_sender", R_UNK_ENV, RAW(ID "\x1a\x02\x48\x01" RPT_X)),
	PS("unknown_field_in_the_report", R_UNK_BODY, RAW(ID "\x52\x05\x0a\x01x\x18\x01")),
	PS("trailing_zero_byte", R_NOTENV, RAW(ID RPT_X "\x00")),
	PS("trailing_0xff", R_NOTENV, RAW(ID RPT_X "\xff")),
	PS("trailing_ascii_garbage", R_NOTENV, RAW(ID RPT_X "junk")),
	/* -- encodings protobuf-c decodes but the hub would not store as sent -- */
	PS("two_bodies_the_last_a_report_with_bad_utf8", R_UTF8,
	   RAW(ID "\x62\x03\x0a\x01" "a" "\x52\x03\x0a\x01\xff")),
	P("two_bodies_the_hidden_first_with_bad_utf8", "cm_official", "np/ann/50/general",
	  R_CANON, RAW(ID "\x52\x03\x0a\x01\xff" "\x62\x03\x0a\x01" "a")),
	PS("two_reports_the_first_with_bad_utf8_detail", R_CANON,
	   RAW(ID "\x52\x06\x0a\x01" "a" "\x12\x01\xff" RPT_X)),
	PS("id_field_twice", R_CANON, RAW("\x0a\x01\x09" ID RPT_X)),
	PS("length_with_a_redundant_continuation_byte", R_CANON,
	   RAW("\x0a\x90\x00" ID_MARK RPT_X)),
	PS("nul_inside_a_title", R_CANON, RAW(ID "\x52\x07\x0a\x05" "ab\0cd")),
	PS("nul_at_the_end_of_a_detail", R_CANON, RAW(ID "\x52\x08\x0a\x01x\x12\x03" "ab\0")),
	P("nul_inside_a_dm_text", "somchai", DM_MALEE, R_CANON, RAW(ID "\x6a\x05\x0a\x03" "h\0i")),
	PS("nul_inside_a_forged_sender_name", R_CANON, RAW(ID "\x1a\x05\x0a\x03" "a\0b" RPT_X)),
	/* the title is one NUL byte: it holds a NUL, it is not missing */
	PS("title_that_is_one_nul_byte", R_CANON, RAW(ID "\x52\x03\x0a\x01\x00")),
	/* -- text that is not UTF-8 -- */
	PS("overlong_two_byte_nul_in_a_detail", R_UTF8, .build = b_report, .a = "ไฟดับ",
	   .b = "a\xc0\x80" "b"),
	P("overlong_three_byte_slash_in_a_dm", "somchai", DM_MALEE, R_UTF8, .build = b_dm,
	  .a = "a\xe0\x80\xaf"),
	P("overlong_four_byte_in_an_announcement_body", "somchai", OWN_ANN, R_UTF8,
	  .build = b_ann, .a = "ประกาศ", .b = "\xf0\x80\x80\xaf"),
	P("high_surrogate_in_a_showcase_title", "somchai", OWN_SHOW, R_UTF8, .build = b_show,
	  .a = "\xed\xa0\x80"),
	P("low_surrogate_in_a_showcase_description", "somchai", OWN_SHOW, R_UTF8,
	  .build = b_show, .a = "ผ้าทอ", .b = "x\xed\xbf\xbf"),
	P("cesu8_surrogate_pair_in_an_ack_note", "muang_official", OWN_ACK, R_UTF8,
	  .build = b_ack, .state = 1, .a = "\xed\xa0\xbd\xed\xb8\x80"),
	PS("five_byte_sequence", R_UTF8, .build = b_report, .a = "\xf8\x88\x80\x80\x80"),
	PS("six_byte_sequence", R_UTF8, .build = b_report, .a = "\xfc\x84\x80\x80\x80\x80"),
	PS("code_point_above_u10ffff", R_UTF8, .build = b_report, .a = "\xf4\x90\x80\x80"),
	PS("lone_continuation_byte", R_UTF8, .build = b_report, .a = "\x80"),
	PS("thai_character_cut_at_the_end", R_UTF8, .build = b_report, .a = "ไฟ\xe0\xb8"),
	PS("latin1_byte", R_UTF8, .build = b_report, .a = "caf\xe9"),
	PS("bytes_0xfe_0xff", R_UTF8, .build = b_report, .a = "\xfe\xff"),
	/* -- ids -- */
	PS("id_of_0_bytes_written_out", R_ID, RAW("\x0a\x00" RPT_X)),
	PS("id_missing", R_ID, .build = b_id_len, .n = 0),
	PS("id_of_1_byte", R_ID, .build = b_id_len, .n = 1),
	PS("id_of_15_bytes", R_ID, .build = b_id_len, .n = 15),
	PS("id_of_17_bytes", R_ID, .build = b_id_len, .n = 17),
	PS("id_of_32_hex_digits", R_ID, .build = b_id_len, .n = 32),
	P("ack_report_id_of_0_bytes", "muang_official", OWN_ACK, "ack report_id is not 16 bytes",
	  .build = b_ack, .state = 1, .n = (size_t)-1),
	P("ack_report_id_of_17_bytes", "muang_official", OWN_ACK,
	  "ack report_id is not 16 bytes", .build = b_ack, .state = 1, .n = 17),
	/* -- bodies -- */
	P("ack_state_unspecified", "muang_official", OWN_ACK, R_ACK_STATE, .build = b_ack,
	  .state = 0),
	P("ack_state_minus_one", "muang_official", OWN_ACK, R_ACK_STATE, .build = b_ack,
	  .state = -1),
	P("ack_state_5_without_assignee", "muang_official", OWN_ACK, R_ACK_NO_ASSIGNEE, .build = b_ack,
	  .state = 5),
	P("ack_state_6", "muang_official", OWN_ACK, R_ACK_STATE, .build = b_ack, .state = 6),
	PS("report_without_title", "report has no title", .build = b_report, .a = "",
	   .b = "detail only"),
	PS("envelope_without_body", "envelope has no body", .build = b_no_body),
	P("empty_dm", "somchai", DM_MALEE, "direct message is empty", .build = b_dm, .a = ""),
	P("announcement_without_title", "somchai", OWN_ANN, "announcement has no title",
	  .build = b_ann, .a = "", .b = "body"),
	P("showcase_without_title", "somchai", OWN_SHOW, "showcase has no title",
	  .build = b_show, .a = ""),
	PS("title_over_8192_bytes", "text field is too long", .build = b_long_title, .n = 8193),
	PS("refusal_body_from_a_client", R_HUB_ONLY, .build = b_refusal),
	PS("history_page_body_from_a_client", R_HUB_ONLY, .build = b_page),
	P("report_body_on_an_ack_topic", "muang_official", OWN_ACK, R_FIT, .build = b_report,
	  .a = "รับเรื่อง"),
	PS("ack_body_on_an_outage_topic", R_FIT, .build = b_ack, .state = 1),
	P("status_body_on_a_showcase_topic", "somchai", OWN_SHOW, R_FIT, .build = b_status),
	P("showcase_body_on_a_status_topic", "somchai", OWN_STATUS, R_FIT, .build = b_show,
	  .a = "ผ้าทอ"),
	P("announcement_body_on_a_dm_topic", "somchai", DM_MALEE, R_FIT, .build = b_ann,
	  .a = "ประกาศ"),
	P("dm_body_on_an_announcement_topic", "somchai", OWN_ANN, R_FIT, .build = b_dm,
	  .a = "สวัสดี"),
	/* -- sizes (plugin_opt_max_payload 16384) -- */
	PS("payload_one_byte_over_the_limit", R_SIZE, .build = b_sized, .n = MAX_PAYLOAD + 1),
	PS("payload_of_1_mib", R_SIZE, .build = b_zeros, .n = 1u << 20),
	/* -- topics -- */
	PT("province_code_050", "np/rep/050/5001/50010101/outage", "bad province code",
	   .build = b_report, .a = "x"),
	PT("province_code_with_a_space", "np/rep/5 0/5001/50010101/outage", "bad province code",
	   .build = b_report, .a = "x"),
	PT("district_code_of_5_digits", "np/rep/50/05001/50010101/outage", "bad district code",
	   .build = b_report, .a = "x"),
	PT("village_code_with_a_letter", "np/rep/50/5001/5001010a/outage", "bad village code",
	   .build = b_report, .a = "x"),
	PT("codes_that_do_not_agree", "np/rep/50/5002/50010101/outage",
	   "province, district and village codes do not agree", .build = b_report, .a = "x"),
	P("nation_code_in_lowercase", "ministry", "np/ann/th/weather", "bad area code",
	  .build = b_ann, .a = "x"),
	P("category_with_a_capital", "ministry", "np/ann/TH/Weather", "unknown category",
	  .build = b_ann, .a = "x"),
	P("fullwidth_digits_as_area", "ministry", "np/ann/\xef\xbc\x95\xef\xbc\x90/weather",
	  "bad area code", .build = b_ann, .a = "x"),
	P("subdistrict_code_as_area", "ministry", "np/ann/500101/weather", "bad area code",
	  .build = b_ann, .a = "x"),
	P("unknown_category", "ministry", "np/ann/TH/sports", "unknown category",
	  .build = b_ann, .a = "x"),
	PT("empty_kind_level", "np//rep", "unknown topic kind", .build = b_report, .a = "x"),
	PT("unknown_topic_kind", "np/news/TH/weather", "unknown topic kind", .build = b_report,
	   .a = "x"),
	PT("trailing_slash", OWN "/", R_LEVELS, .build = b_report, .a = "x"),
	PT("status_topic_one_level_short", "np/status/50/5001", R_LEVELS, .build = b_status),
	PT("status_topic_one_level_long", OWN_STATUS "/x", R_LEVELS, .build = b_status),
	PT("np_alone", "np", "not a valid np topic", .build = b_report, .a = "x"),
	PT("seventeen_levels", LEVELS_17, R_TOO_DEEP, .build = b_report, .a = "x"),
	PT("unknown_report_kind", "np/rep/50/5001/50010101/flood", "unknown report kind",
	   .build = b_report, .a = "x"),
	PT("unknown_showcase_kind", "np/show/50/5001/50010101/video", "unknown showcase kind",
	   .build = b_show, .a = "x"),
	/* mosquitto itself denies (unlogged) every other $SYS publish, before any plugin */
	PT("sys_bridge_state_topic", "$SYS/broker/connection/x/state", "$SYS is for the admin",
	   .build = b_report, .a = "x"),
	PT("hub_duplicate_topic", "$np/duplicate", "$np/ is the hub's own", .build = b_report,
	   .a = "x"),
	PT("another_users_reply_topic", "np/reply/malee/history",
	   "reply topics are written by the hub only", .build = b_page),
	PT("uppercase_root", "NP/rep/50/5001/50010101/outage", R_NOT_NP, .build = b_report,
	   .a = "x"),
	PT("unknown_control_api", "$CONTROL/np/v1/frobnicate", R_NOT_NP, .build = b_report, .a = "x"),
	PT("dm_to_an_address_with_a_space", "np/dm/x y", R_INBOX, .build = b_dm, .a = "x"),
	PT("dm_to_a_7_digit_code", "np/dm/5001010", R_INBOX, .build = b_dm, .a = "x"),
	PT("dm_to_a_user_who_is_not_an_official", "np/dm/malee", "inbox user is not an official",
	   .build = b_dm, .a = "x"),
	PT("dm_to_a_village_not_in_the_registry", "np/dm/50019999",
	   "inbox village is not in the registry", .build = b_dm, .a = "x"),
	/* the log line must keep the reason of a refusal on a long topic */
	PT("topic_of_3000_bytes", NULL, "unknown category", .topic_len = 3000, .build = b_ann,
	   .a = "x"),
	/* -- who may write what -- */
	PT("report_for_another_village", MALEE_OUTAGE, "may report only for one's own village",
	   .build = b_report, .a = "x"),
	PT("volunteer_announcing_to_the_province", "np/ann/50/general",
	   "may not announce to that area or category", .build = b_ann, .a = "x"),
	P("agency_outside_its_categories", "agri_agency", "np/ann/TH/health",
	  "may not announce to that area or category", .build = b_ann, .a = "x"),
	P("resident_sending_a_dm", "nok", DM_MALEE, "role may not send direct messages",
	  .build = b_dm, .a = "x"),
	P("official_acking_outside_its_scope", "cm_official", "np/rep/10/1001/10010101/ack",
	  "may not acknowledge reports of that area", .build = b_ack, .state = 1),
	/* -- replayed ids and acks of what the hub holds -- */
	P("replay_of_another_users_id", "malee", MALEE_OUTAGE, R_OTHER_ID, .build = b_report,
	  .a = "ไฟดับ", .ref = id_somchai),
	P("replay_of_another_users_id_on_another_kind", "cm_official", "np/ann/50/general",
	  R_OTHER_ID, .build = b_ann, .a = "ประกาศ", .ref = id_somchai),
	P("ack_of_a_report_the_hub_does_not_hold", "muang_official", OWN_ACK,
	  "ack of a report the hub does not hold", .build = b_ack, .state = 1),
	P("ack_of_a_report_of_another_village", "muang_official", OWN_ACK,
	  "ack of a report of another village", .build = b_ack, .state = 1, .ref = id_malee),
	P("operator_acking_a_need_report", "nt_operator", OWN_ACK,
	  "operators acknowledge outage reports only", .build = b_ack, .state = 1,
	  .ref = id_need),
	/* -- no reason code to carry: refused, logged, still connected -- */
	PK("qos0_garbage", "somchai", OWN, R_NOTENV, RAW("\xff\xff\xff"), .qos = QOS0),
	PK("v311_garbage", "vol_bkk", BKK_OUTAGE, R_NOTENV, RAW("\x0a\x10" "xyz"), .version = 4),
	PK("v311_sys_topic", "vol_bkk", "$SYS/broker/connection/y/state", "$SYS is for the admin",
	   .build = b_report, .a = "x", .version = 4),
	PK("v311_qos0_bad_utf8", "vol_bkk", BKK_OUTAGE, R_UTF8, .build = b_report,
	   .a = "\xc0\xaf", .version = 4, .qos = QOS0),
	P("qos2_garbage", "somchai", OWN, R_NOTENV, RAW("\x52\x52\x52"), .qos = 2),
	/* -- subscriptions the plugin decides (wildcard syntax is the broker's) -- */
	S("sub_province_code_050", "cm_official", "np/rep/050/#", "bad province code"),
	S("sub_province_code_with_a_space", "cm_official", "np/rep/5 0/#", "bad province code"),
	S("sub_every_inbox", "somchai", "np/dm/+", "may not read another inbox"),
	S("sub_every_inbox_shared", "somchai", "$share/somchai/np/dm/+", "may not read another inbox"),
	S("sub_hub_own", "somchai", "$np/#", "$np/ is the hub's own"),
	S("sub_control", "somchai", "$CONTROL/#", R_NOT_NP),
	S("sub_sys", "somchai", "$SYS/#", "$SYS is for the admin"),
	S("sub_np_everything", "somchai", "np/#", "may not read announcements of that area"),
	S("sub_everything", "somchai", "#", "may not read announcements of that area"),
	S("sub_any_kind_of_the_province", "somchai", "np/+/50/#",
	  "may not read reports of that area or kind"),
	S("sub_category_with_a_capital", "cm_official", "np/ann/TH/Weather", "unknown category"),
	S("sub_nation_in_lowercase", "cm_official", "np/ann/th/#", "bad area code"),
	S("sub_every_users_history", "somchai", "np/reply/+/history",
	  "may not read another user's replies"),
	S("sub_unknown_kind", "somchai", "np/fish/#", "unknown topic kind"),
	S("sub_too_deep_for_the_kind", "somchai", OWN "/x", R_LEVELS),
	S("sub_seventeen_levels", "somchai", LEVELS_17, R_TOO_DEEP),
	S("sub_village_not_in_the_registry", "somchai", "np/ann/50019999/#",
	  "place is not in the registry"),
	S("sub_resident_reading_reports", "nok", "np/rep/50/5001/50010101/#",
	  "may not read reports of that area or kind"),
	S("sub_district_official_reading_the_province", "muang_official", "np/status/50/+/+",
	  "may not read status of that area"),
	{ .name = "sub_200_filters_in_one_packet", .act = SUB_MANY, .user = "somchai",
	  .expect = SUBACK_87, .reason = "np: refused subscription by 'somchai'" },
	/* -- history requests -- */
	H("hist_not_a_request", "cm_official", "the request is not an np.HistoryRequest",
	  RAW("\xff\xff\xff")),
	H("hist_filter_with_varint_wire_type", "cm_official",
	  "the request is not an np.HistoryRequest", RAW("\x08\x01")),
	H("hist_filter_length_past_the_end", "cm_official",
	  "the request is not an np.HistoryRequest", RAW("\x0a\x20np/rep/#")),
	H("hist_unknown_field", "cm_official", "the request has unknown fields",
	  RAW("\x0a\x08np/rep/#\x48\x01")),
	H("hist_an_envelope_instead", "cm_official", "the request has unknown fields",
	  RAW(ID RPT_X)),
	H("hist_negative_since", "cm_official", "since and until must not be negative",
	  .build = b_hist, .a = "np/rep/#", .since = -1),
	H("hist_negative_until", "cm_official", "since and until must not be negative",
	  .build = b_hist, .a = "np/rep/#", .until = -5),
	H("hist_until_before_since", "cm_official", "until must be after since",
	  .build = b_hist, .a = "np/rep/#", .since = 2000, .until = 1000),
	H("hist_until_equal_to_since", "cm_official", "until must be after since",
	  .build = b_hist, .a = "np/rep/#", .since = 2000, .until = 2000),
	H("hist_limit_100000", "cm_official", "limit is over 1000", .build = b_hist,
	  .a = "np/rep/#", .limit = 100000),
	H("hist_limit_1001", "cm_official", "limit is over 1000", .build = b_hist,
	  .a = "np/rep/#", .limit = 1001),
	H("hist_cursor_of_3_bytes", "cm_official", "the cursor is not one this hub gave",
	  .build = b_hist, .a = "np/rep/#", .n = 3),
	H("hist_cursor_of_9_bytes", "cm_official", "the cursor is not one this hub gave",
	  .build = b_hist, .a = "np/rep/#", .n = 9),
	H("hist_hash_in_the_middle", "cm_official", "'#' must be the last level of a filter",
	  .build = b_hist, .a = "np/#/rep"),
	H("hist_wildcard_inside_a_level", "cm_official", "a wildcard must fill a whole level",
	  .build = b_hist, .a = "np/rep/50+/#"),
	H("hist_filter_outside_np", "cm_official", "the filter must be under np/",
	  .build = b_hist, .a = "foo/bar"),
	H("hist_sys_filter", "cm_official", "the filter must be under np/", .build = b_hist,
	  .a = "$SYS/#"),
	H("hist_filter_not_utf8", "cm_official", "the filter is not UTF-8",
	  .build = b_hist, .a = "np/rep/\xff/#"),
	H("hist_correlation_id_not_utf8", "cm_official",
	  "the correlation id is over 128 bytes or not UTF-8", .build = b_hist, .a = "np/rep/#",
	  .b = "c\xc0\xaf"),
	H("hist_empty_filter", "cm_official", "the filter is empty", .build = b_hist, .a = ""),
	H("hist_seventeen_levels", "cm_official", "the filter has too many levels",
	  .build = b_hist, .a = LEVELS_17),
	H("hist_reply_topics", "cm_official", "unknown topic kind in the filter",
	  .build = b_hist, .a = "np/reply/#"),
	H("hist_unknown_kind", "cm_official", "unknown topic kind in the filter",
	  .build = b_hist, .a = "np/fish/#"),
	/* a NUL cuts the filter short in protobuf-c: the tail must not be ignored */
	H("hist_filter_with_a_nul", "cm_official", "", RAW("\x0a\x0a" "np/rep/#\0x")),
	/* -- logins -- */
	C("login_username_with_plus", "som+chai", R_UNKNOWN_USER, .a = "x"),
	C("login_username_with_hash", "som#chai", R_UNKNOWN_USER, .a = "x"),
	C("login_username_with_slash", "np/rep", R_UNKNOWN_USER, .a = "x"),
	C("login_username_with_a_space", "som chai", R_UNKNOWN_USER, .a = "x"),
	C("login_username_in_thai", "สมชาย", R_UNKNOWN_USER, .a = "x"),
	C("login_username_that_is_a_village_code", "50010101", R_UNKNOWN_USER, .a = "x"),
	C("login_username_in_capitals", "SOMCHAI", R_UNKNOWN_USER, .a = "somchai-demo"),
	C("login_username_of_65_bytes", NULL, R_UNKNOWN_USER, .user_len = 65, .a = "x"),
	C("login_username_of_64_kib", NULL, R_UNKNOWN_USER, .user_len = 65535, .a = "x"),
	C("login_empty_password", "somchai", "no password", .a = ""),
	C("login_no_password", "somchai", "no password"),
	C("login_password_of_64_kib", "somchai", "wrong password", .pass_len = 65535),
	C("login_wrong_password", "somchai", "wrong password", .a = "malee-demo"),
	C("login_anonymous", NULL, "no username (anonymous logins are refused)"),
};

#define CORPUS_ROWS (sizeof(corpus) / sizeof(corpus[0]))

/* ---- runners ---- */

static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
run_publish(const struct row *r)
{
	char who[128], reply[128], *topic, *what;
	int version = r->version ? r->version : 5;
	int qos = r->qos == QOS0 ? 0 : r->qos ? r->qos : 1;
	struct tc *c = conn_of(r->user, version);
	Np__Envelope *e;
	struct tc_msg m;
	uint8_t *buf;
	size_t len;
	int before, rc;

	if (r->topic != NULL) {
		topic = strdup(r->topic);
	} else {
		topic = repeat('x', r->topic_len);
		memcpy(topic, "np/ann/TH/", 10);
	}
	assert_non_null(topic);
	what = malloc(strlen(topic) + strlen(r->reason) + 16);
	assert_non_null(what);
	snprintf(who, sizeof(who), "np: refused publish by '%s' (", r->user);
	sprintf(what, "on '%.200s': %s", topic, r->reason);	/* the hub caps logged topics at 200 bytes */
	snprintf(reply, sizeof(reply), "np/reply/%s/error", r->user);
	before = log_lines_with(who, what);
	drain(c);
	drain(watch);
	buf = r->build(r, &len);
	rc = tc_publish(c, topic, buf, len, qos);
	free(buf);
	if (r->expect == PUBACK_87) {
		if (rc != 0x87)
			conn_forget(rc == -1 ? c : NULL);
		assert_int_equal(rc, 0x87);
	} else {
		assert_int_not_equal(rc, -1);
		assert_int_not_equal(rc, 0x87);        /* 3.1.1 and QoS 0 have no reason code */
	}
	assert_logged(who, what, before);
	/* the publisher learns why, the same words as the log */
	if (!next_on(c, reply, &m, 2000))
		fail_msg("no Refusal arrived on %s", reply);
	e = env_unpack(&m);
	assert_non_null(e);
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_REFUSAL);
	assert_string_equal(e->refusal->reason, r->reason);
	np__envelope__free_unpacked(e, NULL);
	tc_msg_free(&m);
	/* and nobody else got it */
	assert_true(tc_quiet(watch, 10));
	if (r->expect == NOT_DROPPED && tc_subscribe(c, reply, 1) != 1) {
		conn_forget(c);
		fail_msg("the connection of %s did not survive the refusal", r->user);
	}
	free(topic);
	free(what);
}

static void
run_subscribe(const struct row *r)
{
	char who[128], what[512];
	struct tc *c = conn_of(r->user, 5);
	int before, rc;

	snprintf(who, sizeof(who), "np: refused subscription by '%s' (", r->user);
	snprintf(what, sizeof(what), "to '%s': %s", r->topic, r->reason);
	before = log_lines_with(who, what);
	rc = tc_subscribe(c, r->topic, 1);
	if (rc == -1)
		conn_forget(c);
	assert_int_equal(rc, 0x87);
	assert_logged(who, what, before);
}

/* One SUBSCRIBE of 200 filters: 20 that somchai may read (SUBACK 1) among 180
 * that it may not (SUBACK 0x87 each, each refusal logged). */
static void
run_subscribe_many(const struct row *r)
{
	static const char *const granted[20] = {
		"np/ann/TH/weather", "np/ann/TH/+", "np/ann/TH/#", "np/ann/50/#",
		"np/ann/50/general", "np/ann/5001/health", "np/ann/5001/#", "np/ann/50010101/#",
		"np/show/#", "np/show/+/+/+/product", "np/show/50/#", "np/show/10/#",
		"np/rep/50/5001/50010101/#", "np/rep/50/5001/50010101/outage",
		"np/rep/50/5001/50010101/ack", "np/rep/50/5001/50010101/+", "np/dm/50010101",
		"np/reply/somchai/#", "np/reply/somchai/error", "np/reply/somchai/+",
	};
	char *filters[200], who[64], what[256];
	int codes[200], i, n, rc;
	struct tc *c;

	c = tc_login(&hub, r->user, 5, &rc);
	assert_non_null(c);
	for (i = 0; i < 200; i++) {
		char f[64];
		int k = i / 10;

		switch (i % 10) {
		case 0: snprintf(f, sizeof(f), "%s", granted[k]); break;
		case 1: snprintf(f, sizeof(f), "np/dm/500101%02d", k + 2); break;
		case 2: snprintf(f, sizeof(f), "np/rep/50/5001/500101%02d/#", k + 2); break;
		case 3: snprintf(f, sizeof(f), "np/reply/user%d/#", k); break;
		case 4: snprintf(f, sizeof(f), "np/ann/%02d/#", 10 + k); break;
		case 5: snprintf(f, sizeof(f), "np/status/50/5001/500101%02d", k + 1); break;
		case 6: snprintf(f, sizeof(f), "$np/x%d", k); break;
		case 7: snprintf(f, sizeof(f), "np/rep/%03d/#", k); break;
		case 8: snprintf(f, sizeof(f), "np/x%d/#", k); break;
		default: snprintf(f, sizeof(f), "np/dm/+/%d", k); break;
		}
		filters[i] = strdup(f);
		assert_non_null(filters[i]);
	}
	n = tc_subscribe_many(c, filters, 200, 1, codes);
	assert_int_equal(n, 200);
	snprintf(who, sizeof(who), "%s (", r->reason);
	for (i = 0; i < 200; i++) {
		if (codes[i] != (i % 10 == 0 ? 1 : 0x87))
			fail_msg("filter %d '%s': SUBACK 0x%x, want 0x%x", i, filters[i],
				 (unsigned)codes[i], i % 10 == 0 ? 1u : 0x87u);
		if (i % 10 != 0) {
			snprintf(what, sizeof(what), "to '%s': ", filters[i]);
			assert_logged(who, what, 0);
		}
	}
	for (i = 0; i < 200; i++)
		free(filters[i]);
	/* still connected, and subscribed to what was granted */
	assert_int_equal(tc_subscribe(c, "np/reply/somchai/x", 1), 1);
	tc_close(c);
}

static void
run_history(const struct row *r)
{
	struct tc *c = conn_of(r->user, 5);
	char topic[128];
	Np__Envelope *e;
	struct tc_msg m;
	uint8_t *buf;
	size_t len;
	int rc;

	snprintf(topic, sizeof(topic), "np/reply/%s/history", r->user);
	drain(c);
	buf = r->build(r, &len);
	rc = tc_publish(c, HISTORY, buf, len, 1);
	free(buf);
	if (rc == -1)
		conn_forget(c);
	assert_int_equal(rc, 0);
	if (!next_on(c, topic, &m, 3000))
		fail_msg("no history page arrived on %s", topic);
	e = env_unpack(&m);
	tc_msg_free(&m);
	assert_non_null(e);
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_HISTORY_PAGE);
	if (e->history_page->error[0] == '\0'
	    || strstr(e->history_page->error, r->reason) == NULL) {
		char got[256];
		size_t items = e->history_page->n_items;

		snprintf(got, sizeof(got), "%s", e->history_page->error);
		np__envelope__free_unpacked(e, NULL);
		fail_msg("page error \"%s\", want \"%s\" (the page held %zu items)", got,
			 r->reason[0] ? r->reason : "any error", items);
	}
	assert_int_equal(e->history_page->n_items, 0);
	np__envelope__free_unpacked(e, NULL);
}

static void
run_connect(const struct row *r)
{
	char *user = r->user_len ? repeat('a', r->user_len) : (char *)r->user;
	char *pass = r->pass_len ? repeat('p', r->pass_len) : (char *)r->a;
	char *who, what[256];
	struct tc *c;
	int before, rc = -1;

	who = malloc((user ? strlen(user) : 0) + 64);
	assert_non_null(who);
	sprintf(who, "np: login refused for '%.64s' from ", user ? user : "");	/* capped at 64 */
	snprintf(what, sizeof(what), ": %s", r->reason);
	before = log_lines_with(who, what);
	c = tc_connect(&hub, user, pass, 5, &rc);
	if (c != NULL) {
		tc_close(c);
		fail_msg("login accepted");
	}
	/* a CONNACK that refuses: 0x86 bad user name or password, 0x87 not authorized */
	if (rc != 0x86 && rc != 0x87)
		fail_msg("CONNACK %d, want 0x86 or 0x87", rc);
	assert_logged(who, what, before);
	assert_true(hub_alive(&hub));
	free(who);
	if (r->user_len)
		free(user);
	if (r->pass_len)
		free(pass);
}

static bool row_ok;

static void
run_row(void **state)
{
	const struct row *r = *state;

	row_ok = false;
	switch (r->act) {
	case PUB: run_publish(r); break;
	case SUB: run_subscribe(r); break;
	case SUB_MANY: run_subscribe_many(r); break;
	case HIST: run_history(r); break;
	case CONN: run_connect(r); break;
	}
	row_ok = true;
}

/* A row that failed half-way may leave messages in flight: let them land
 * and drop them, so that the next row starts clean. */
static int
row_teardown(void **state)
{
	struct tc_msg m;
	size_t i;

	(void)state;
	if (row_ok)
		return 0;
	for (i = 0; i < sizeof(conns) / sizeof(conns[0]) && conns[i].c != NULL; i++) {
		while (tc_next(conns[i].c, &m, 100))
			tc_msg_free(&m);
	}
	while (tc_next(watch, &m, 50))
		tc_msg_free(&m);
	while (tc_next(prov, &m, 50))
		tc_msg_free(&m);
	return 0;
}

/* ---- after all of them ---- */

static void
broker_alive_and_good_reports_go_through_after_the_corpus(void **state)
{
	uint8_t id[16], *buf;
	struct row good = { .a = "ไฟดับทั้งหมู่บ้าน", .ref = id };
	const struct row at_limit = { .n = MAX_PAYLOAD };
	Np__Envelope *e;
	struct tc_msg m;
	struct tc *c;
	size_t len;
	int rc;

	(void)state;
	print_message("corpus: %zu bad inputs replayed\n", CORPUS_ROWS);
	assert_true(CORPUS_ROWS >= 60);
	assert_true(hub_alive(&hub));
	c = tc_login(&hub, "somchai", 5, &rc);
	assert_non_null(c);
	while (tc_next(prov, &m, 200))  /* what accepted rows left for the official */
		tc_msg_free(&m);
	/* a report of exactly the size limit is no bad input */
	buf = b_sized(&at_limit, &len);
	assert_int_equal(tc_publish(c, OWN, buf, len, 1), 0);
	free(buf);
	assert_true(next_on(prov, OWN, &m, 2000));
	tc_msg_free(&m);
	env_new_id(id);
	buf = b_report(&good, &len);
	assert_int_equal(tc_publish(c, OWN, buf, len, 1), 0);
	free(buf);
	assert_true(next_on(prov, OWN, &m, 2000));
	e = env_unpack(&m);
	assert_non_null(e);
	assert_memory_equal(e->id.data, id, 16);
	assert_string_equal(e->report->title, "ไฟดับทั้งหมู่บ้าน");
	assert_string_equal(e->sender->username, "somchai");
	np__envelope__free_unpacked(e, NULL);
	tc_msg_free(&m);
	assert_true(tc_quiet(c, 100));  /* no Refusal for it */
	tc_close(c);
	assert_true(hub_alive(&hub));
}

/* ---- setup ---- */

static void
store_report(const char *user, const char *topic, uint8_t id[16])
{
	struct row r = { .a = "ไฟดับ", .ref = id };
	struct tc_msg m;
	struct tc *c = conn_of(user, 5);
	uint8_t *buf;
	size_t len;

	env_new_id(id);
	buf = b_report(&r, &len);
	assert_int_equal(tc_publish(c, topic, buf, len, 1), 0);
	free(buf);
	assert_true(next_on(watch, topic, &m, 2000));
	tc_msg_free(&m);
}

static int
group_setup(void **state)
{
	int rc;

	(void)state;
	tc_nodelay(true);
	/* no login lock: every refused login below must give its own reason */
	if (hub_start(&hub, "plugin_opt_max_payload 16384\nplugin_opt_login_max_failures 0\n"
		      "plugin_opt_reply_rate 100000\nplugin_opt_history_rate 10000\n"
		      "set_tcp_nodelay true") != 0)
		return -1;
	watch = tc_login(&hub, "admin", 5, &rc);
	prov = tc_login(&hub, "cm_official", 5, &rc);
	if (watch == NULL || prov == NULL)
		return -1;
	if (tc_subscribe(watch, "np/rep/#", 1) != 1 || tc_subscribe(watch, "np/ann/#", 1) != 1
	    || tc_subscribe(watch, "np/status/#", 1) != 1
	    || tc_subscribe(watch, "np/show/#", 1) != 1 || tc_subscribe(watch, "np/dm/#", 1) != 1
	    || tc_subscribe(prov, "np/rep/50/#", 1) != 1)
		return -1;
	return 0;
}

/* The stored messages the replay and ack rows refer to. */
static void
fixtures_are_stored(void **state)
{
	(void)state;
	store_report("somchai", OWN, id_somchai);
	store_report("malee", MALEE_OUTAGE, id_malee);
	store_report("somchai", OWN_NEED, id_need);
	drain(prov);
	assert_true(tc_quiet(watch, 50));
}

int
main(void)
{
	struct CMUnitTest *tests = calloc(CORPUS_ROWS + 2, sizeof(*tests));
	size_t i, n = 0;
	int failed;

	if (tests == NULL)
		return 1;
	tests[n].name = "fixtures_are_stored";
	tests[n++].test_func = fixtures_are_stored;
	for (i = 0; i < CORPUS_ROWS; i++) {
		tests[n].name = corpus[i].name;
		tests[n].test_func = run_row;
		tests[n].teardown_func = row_teardown;
		tests[n++].initial_state = (void *)&corpus[i];
	}
	tests[n].name = "broker_alive_and_good_reports_go_through_after_the_corpus";
	tests[n++].test_func = broker_alive_and_good_reports_go_through_after_the_corpus;
	failed = _cmocka_run_group_tests("broker_corpus", tests, n, group_setup, NULL);
	if (failed != 0)
		hub_print_log(&hub);
	for (i = 0; i < sizeof(conns) / sizeof(conns[0]); i++)
		tc_close(conns[i].c);
	tc_close(watch);
	tc_close(prov);
	hub_stop(&hub);
	free(tests);
	return failed;
}
