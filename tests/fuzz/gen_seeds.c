/* gen_seeds.c - writes the seed corpora of the fuzz targets (make fuzz-seeds):
 *   gen_seeds DIR  ->  DIR/fuzz_envelope/, DIR/fuzz_acl/, DIR/fuzz_history_request/,
 *                      DIR/fuzz_csv_import/
 * A few dozen small, named inputs each: a valid example of every kind and the
 * near misses around each rule, so fuzzing starts at the interesting edges.
 * The output is committed; run again only when the formats change. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "np.pb-c.h"

static const char *out_dir;
static int failures;

static void
write_seed(const char *target, const char *name, const void *data, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	if (mkdir(path, 0775) != 0 && errno != EEXIST)
		failures++;
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "gen_seeds: cannot write %s\n", path);
		failures++;
	}
}

/* ---- fuzz_envelope: kind byte, then an Envelope ---- */

enum { K_OTHER, K_ANN, K_REPORT, K_ACK, K_STATUS, K_SHOW, K_DM, K_REPLY, K_HISTORY };

static uint8_t id16[16] = { 0x01, 0x8f, 0x3a, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2a };

static void
envelope_seed(const char *name, uint8_t first, const Np__Envelope *e, const void *tail,
	      size_t tail_len)
{
	size_t n = np__envelope__get_packed_size(e);
	uint8_t *buf = malloc(1 + n + tail_len);

	buf[0] = first;
	np__envelope__pack(e, buf + 1);
	if (tail_len > 0)
		memcpy(buf + 1 + n, tail, tail_len);
	write_seed("fuzz_envelope", name, buf, 1 + n + tail_len);
	free(buf);
}

static void
envelope_seeds(void)
{
	Np__Envelope e;
	Np__Report rep = NP__REPORT__INIT;
	Np__Ack ack = NP__ACK__INIT;
	Np__Announcement ann = NP__ANNOUNCEMENT__INIT;
	Np__DirectMessage dm = NP__DIRECT_MESSAGE__INIT;
	Np__Showcase show = NP__SHOWCASE__INIT;
	Np__Status st = NP__STATUS__INIT;
	Np__Refusal ref = NP__REFUSAL__INIT;
	Np__HistoryPage page = NP__HISTORY_PAGE__INIT;
	Np__Sender snd = NP__SENDER__INIT;
	static char big[8200];
	static const uint8_t unknown_field[] = { 0xa2, 0x06, 0x01, 'x' };     /* field 100 */
	static const uint8_t dup_id[] = { 0x0a, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
					  15, 16 };

#define ENV(body_case_, field_, value_)                                          \
	do {                                                                     \
		np__envelope__init(&e);                                          \
		e.id.data = id16;                                                \
		e.id.len = 16;                                                   \
		e.sent_at_ms = INT64_C(1714000000000);                           \
		e.body_case = (body_case_);                                      \
		e.field_ = (value_);                                             \
	} while (0)

	rep.title = "ไฟดับทั้งหมู่บ้าน";
	rep.detail = "since 6am";
	ENV(NP__ENVELOPE__BODY_REPORT, report, &rep);
	envelope_seed("report-ok", K_REPORT, &e, NULL, 0);
	envelope_seed("report-on-ann-topic", K_ANN, &e, NULL, 0);
	envelope_seed("report-on-other-topic", K_OTHER, &e, NULL, 0);
	envelope_seed("report-stamped-by-official", K_REPORT + 9, &e, NULL, 0);
	envelope_seed("report-stamped-by-long-name", K_REPORT + 18, &e, NULL, 0);
	envelope_seed("report-unknown-field", K_REPORT, &e, unknown_field, sizeof(unknown_field));
	envelope_seed("report-id-twice", K_REPORT, &e, dup_id, sizeof(dup_id));
	snd.username = "spoofed";
	snd.role = NP__ROLE__ADMIN;
	snd.area = "TH";
	e.sender = &snd;
	e.received_at_ms = 1;
	envelope_seed("report-client-sender", K_REPORT, &e, NULL, 0);
	rep.title = "bad \xc3\x28 utf8";
	ENV(NP__ENVELOPE__BODY_REPORT, report, &rep);
	envelope_seed("report-bad-utf8", K_REPORT, &e, NULL, 0);
	rep.title = "surrogate \xed\xa0\x80";
	envelope_seed("report-surrogate", K_REPORT, &e, NULL, 0);
	rep.title = "";
	envelope_seed("report-no-title", K_REPORT, &e, NULL, 0);
	memset(big, 'a', sizeof(big) - 1);
	rep.title = big;
	envelope_seed("report-title-too-long", K_REPORT, &e, NULL, 0);
	rep.title = "ok";
	e.id.len = 15;
	envelope_seed("report-id-15-bytes", K_REPORT, &e, NULL, 0);

	ack.report_id.data = id16;
	ack.report_id.len = 16;
	ack.state = NP__ACK_STATE__RESOLVED;
	ack.note = "ซ่อมแล้ว";
	ENV(NP__ENVELOPE__BODY_ACK, ack, &ack);
	envelope_seed("ack-ok", K_ACK, &e, NULL, 0);
	envelope_seed("ack-on-report-topic", K_REPORT, &e, NULL, 0);
	ack.state = (Np__AckState)9;
	envelope_seed("ack-bad-state", K_ACK, &e, NULL, 0);
	ack.state = NP__ACK_STATE__ACK_STATE_UNSPECIFIED;
	envelope_seed("ack-unspecified-state", K_ACK, &e, NULL, 0);
	ack.state = NP__ACK_STATE__RECEIVED;
	ack.report_id.len = 8;
	envelope_seed("ack-short-report-id", K_ACK, &e, NULL, 0);

	ann.title = "พายุฤดูร้อน";
	ann.body = "ระวังลมแรง";
	ENV(NP__ENVELOPE__BODY_ANNOUNCEMENT, announcement, &ann);
	envelope_seed("ann-ok", K_ANN, &e, NULL, 0);
	envelope_seed("ann-on-reply-topic", K_REPLY, &e, NULL, 0);
	envelope_seed("ann-on-history-topic", K_HISTORY, &e, NULL, 0);

	dm.text = "สวัสดีครับ";
	ENV(NP__ENVELOPE__BODY_DM, dm, &dm);
	envelope_seed("dm-ok", K_DM, &e, NULL, 0);
	dm.text = "";
	envelope_seed("dm-empty", K_DM, &e, NULL, 0);

	show.title = "ผ้าไหม";
	show.description = "hand-woven silk";
	ENV(NP__ENVELOPE__BODY_SHOWCASE, showcase, &show);
	envelope_seed("show-ok", K_SHOW, &e, NULL, 0);

	st.online = 1;
	ENV(NP__ENVELOPE__BODY_STATUS, status, &st);
	envelope_seed("status-online", K_STATUS, &e, NULL, 0);
	st.online = 0;
	envelope_seed("status-offline", K_STATUS + 27, &e, NULL, 0);

	ref.id.data = id16;
	ref.id.len = 16;
	ref.topic = "np/ann/TH/weather";
	ref.reason = "may not announce";
	ENV(NP__ENVELOPE__BODY_REFUSAL, refusal, &ref);
	envelope_seed("refusal-from-client", K_ANN, &e, NULL, 0);
	ENV(NP__ENVELOPE__BODY_HISTORY_PAGE, history_page, &page);
	envelope_seed("history-page-from-client", K_DM, &e, NULL, 0);
	ENV(NP__ENVELOPE__BODY__NOT_SET, report, NULL);
	envelope_seed("no-body", K_REPORT, &e, NULL, 0);
	write_seed("fuzz_envelope", "empty-payload", "\x02", 1);
	write_seed("fuzz_envelope", "truncated", "\x02\x0a\x10\x01\x02", 5);
#undef ENV
}

/* ---- fuzz_acl: role, user, categories, access, topic [NUL topic] ---- */

enum { R_NONE, R_VOL, R_RES, R_OFF, R_AG, R_OP, R_ADM };
enum { U_VOL1, U_RES2, U_MINISTRY, U_CM, U_MUANG, U_AGRI50, U_NTNET, U_ODD, U_GHOST, U_VOL3 };
enum { A_WRITE, A_READ, A_SUB };

static void
acl_seed(const char *name, int role, int user, int cats, int access, const char *topic,
	 const char *second)
{
	uint8_t buf[512];
	size_t n = strlen(topic);

	buf[0] = (uint8_t)role;
	buf[1] = (uint8_t)user;
	buf[2] = (uint8_t)cats;
	buf[3] = (uint8_t)access;
	memcpy(buf + 4, topic, n);
	n += 4;
	if (second != NULL) {
		buf[n++] = '\0';
		memcpy(buf + n, second, strlen(second));
		n += strlen(second);
	}
	write_seed("fuzz_acl", name, buf, n);
}

static void
acl_seeds(void)
{
	acl_seed("vol-report-own", R_VOL, U_VOL1, 0, A_WRITE, "np/rep/50/5001/50010101/outage",
		 NULL);
	acl_seed("vol-report-other", R_VOL, U_VOL1, 0, A_WRITE, "np/rep/50/5001/50010102/need",
		 NULL);
	acl_seed("vol-status-own", R_VOL, U_VOL1, 0, A_WRITE, "np/status/50/5001/50010101", NULL);
	acl_seed("vol-show-own", R_VOL, U_VOL1, 0, A_WRITE, "np/show/50/5001/50010101/story", NULL);
	acl_seed("vol-ann-own", R_VOL, U_VOL1, 0, A_WRITE, "np/ann/50010101/event", NULL);
	acl_seed("vol-dm-official", R_VOL, U_VOL1, 0, A_WRITE, "np/dm/ministry", NULL);
	acl_seed("vol-dm-village", R_VOL, U_VOL1, 0, A_WRITE, "np/dm/10010101", NULL);
	acl_seed("vol-dm-ghost", R_VOL, U_VOL1, 0, A_WRITE, "np/dm/50019999", NULL);
	acl_seed("vol-sub-branch", R_VOL, U_VOL1, 0, A_SUB, "np/ann/5001/+", NULL);
	acl_seed("vol-sub-own-reports", R_VOL, U_VOL1, 0, A_SUB, "np/rep/50/5001/50010101/#", NULL);
	acl_seed("vol-sub-everything", R_VOL, U_VOL1, 0, A_SUB, "np/#", NULL);
	acl_seed("vol-sub-any-kind", R_VOL, U_VOL1, 0, A_SUB, "np/+/50010101/#", NULL);
	acl_seed("vol-sub-inbox", R_VOL, U_VOL1, 0, A_SUB, "np/dm/50010101", NULL);
	acl_seed("vol-sub-showcase", R_VOL, U_VOL1, 0, A_SUB, "np/show/#", NULL);
	acl_seed("vol-read-ann-far", R_VOL, U_VOL1, 0, A_READ, "np/ann/10/weather", NULL);
	acl_seed("res-write", R_RES, U_RES2, 0, A_WRITE, "np/rep/10/1001/10010101/outage", NULL);
	acl_seed("res-history", R_RES, U_RES2, 0, A_WRITE, "$CONTROL/np/v1/history", NULL);
	acl_seed("res-sub-ann-branch", R_RES, U_RES2, 0, A_SUB, "np/ann/10/#", NULL);
	acl_seed("off-ann-province", R_OFF, U_CM, 0, A_WRITE, "np/ann/5001/health", NULL);
	acl_seed("off-ack", R_OFF, U_MUANG, 0, A_WRITE, "np/rep/50/5001/50010101/ack", NULL);
	acl_seed("off-sub-reports", R_OFF, U_CM, 0, A_SUB, "np/rep/50/#", NULL);
	acl_seed("off-sub-status", R_OFF, U_MINISTRY, 0, A_SUB, "np/status/+/+/+", NULL);
	acl_seed("off-sub-inbox", R_OFF, U_MINISTRY, 0, A_SUB, "np/dm/ministry", NULL);
	acl_seed("off-sub-shared", R_OFF, U_MINISTRY, 0, A_SUB, "$share/g/np/rep/#", NULL);
	acl_seed("off-sub-hash", R_OFF, U_MINISTRY, 0, A_SUB, "#", NULL);
	acl_seed("off-sub-plus-kind", R_OFF, U_MINISTRY, 0, A_SUB, "np/+/50/#", NULL);
	acl_seed("off-reply", R_OFF, U_MINISTRY, 0, A_SUB, "np/reply/ministry/#", NULL);
	acl_seed("agency-ann-own-cat", R_AG, U_AGRI50, 0x02, A_WRITE, "np/ann/50/agriculture",
		 NULL);
	acl_seed("agency-ann-other-cat", R_AG | 0x80, U_AGRI50, 0x02, A_WRITE, "np/ann/50/general",
		 NULL);
	acl_seed("agency-sub", R_AG, U_AGRI50, 0xff, A_SUB, "np/ann/50/#", NULL);
	acl_seed("op-ack", R_OP, U_NTNET, 0, A_WRITE, "np/rep/10/1001/10010101/ack", NULL);
	acl_seed("op-sub-outage", R_OP, U_NTNET, 0, A_SUB, "np/rep/+/+/+/outage", NULL);
	acl_seed("op-ann-network", R_OP, U_NTNET, 0, A_WRITE, "np/ann/TH/network", NULL);
	acl_seed("admin-sys", R_ADM, U_MINISTRY, 0, A_SUB, "$SYS/#", NULL);
	acl_seed("admin-parked", R_ADM, U_MINISTRY, 0, A_SUB, "$np/#", NULL);
	acl_seed("admin-write-ann", R_ADM, U_MINISTRY, 0, A_WRITE, "np/ann/TH/weather", NULL);
	acl_seed("ghost-vol", R_VOL, U_GHOST, 0, A_WRITE, "np/rep/50/5001/50019999/outage", NULL);
	acl_seed("odd-scope-sub", R_OFF, U_ODD, 0, A_SUB, "np/rep/50/5001/+/#", NULL);
	acl_seed("too-many-levels", R_ADM, U_MINISTRY, 0, A_READ,
		 "np/reply/root/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15", NULL);
	acl_seed("match-plus", R_VOL, U_VOL1, 0, A_READ, "np/+/TH/+", "np/ann/TH/weather");
	acl_seed("match-hash-parent", R_VOL, U_VOL1, 0, A_READ, "np/rep/#", "np/rep");
	acl_seed("match-dollar", R_VOL, U_VOL1, 0, A_READ, "#", "$SYS/broker");
	acl_seed("match-empty-levels", R_VOL, U_VOL1, 0, A_READ, "+/+", "/");
	acl_seed("match-no", R_VOL, U_VOL1, 0, A_READ, "np/ann/+", "np/ann/TH/x");
}

/* ---- fuzz_history_request: an np.HistoryRequest ---- */

#define HID(k) ((((uint64_t)INT64_C(1714000000000) + (uint64_t)(k) / 2 * 1000) << 16) | ((k) % 2))

static void
history_seed(const char *name, const char *filter, int64_t since, int64_t until, uint32_t limit,
	     const uint8_t *cursor, size_t cursor_len, const char *cid)
{
	Np__HistoryRequest r = NP__HISTORY_REQUEST__INIT;
	uint8_t buf[1024];
	size_t n;

	r.filter = (char *)filter;
	r.since_ms = since;
	r.until_ms = until;
	r.limit = limit;
	r.cursor.data = (uint8_t *)cursor;
	r.cursor.len = cursor_len;
	r.correlation_id = (char *)(cid != NULL ? cid : "");
	n = np__history_request__pack(&r, buf);
	write_seed("fuzz_history_request", name, buf, n);
}

static void
history_seeds(void)
{
	static const char *const filters[][2] = {
		{ "all", "np/#" },
		{ "hash", "#" },
		{ "any-first", "+/ann/#" },
		{ "ann-exact", "np/ann/TH/weather" },
		{ "ann-any-area", "np/ann/+/weather" },
		{ "rep-province", "np/rep/50/#" },
		{ "rep-outages", "np/rep/+/+/+/outage" },
		{ "rep-village", "np/rep/+/+/50010101/+" },
		{ "status-village", "np/status/50/5001/50010101" },
		{ "show-all", "np/show/#" },
		{ "dm-any", "np/dm/+" },
		{ "dm-inbox", "np/dm/ministry" },
		{ "any-kind-province", "np/+/50/#" },
		{ "any-kind-village", "np/+/+/+/50010101/#" },
		{ "reply", "np/reply/vol1/history" },
		{ "not-np", "foo/#" },
		{ "partial-wildcard", "np/ann/T+/weather" },
		{ "hash-not-last", "np/#/weather" },
		{ "unknown-kind", "np/xyz/#" },
		{ "empty-filter", "" },
		{ "deep", "np/dm/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p" },
	};
	static const uint8_t zeros[8] = { 0 }, ones[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
							   0xff };
	uint8_t cursor[8];
	uint64_t hid = HID(10);
	size_t i;
	char name[64];

	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		snprintf(name, sizeof(name), "filter-%s", filters[i][0]);
		history_seed(name, filters[i][1], 0, 0, 0, NULL, 0, "c1");
	}
	for (i = 0; i < 8; i++)
		cursor[i] = (uint8_t)(hid >> (56 - 8 * i));
	history_seed("page-limit-3", "np/#", 0, 0, 3, NULL, 0, "p1");
	history_seed("page-2-cursor", "np/#", 0, 0, 3, cursor, 8, "p2");
	history_seed("limit-1", "np/rep/#", 0, 0, 1, NULL, 0, NULL);
	history_seed("limit-max", "np/#", 0, 0, 1000, NULL, 0, NULL);
	history_seed("limit-over", "np/#", 0, 0, 1001, NULL, 0, NULL);
	history_seed("since-until", "np/#", INT64_C(1714000005000), INT64_C(1714000015000), 0, NULL,
		     0, "t");
	history_seed("since-max", "np/#", INT64_MAX, 0, 0, NULL, 0, NULL);
	history_seed("until-max", "np/#", 0, INT64_MAX, 0, NULL, 0, NULL);
	history_seed("since-negative", "np/#", -1, 0, 0, NULL, 0, NULL);
	history_seed("until-before-since", "np/#", 2000, 1000, 0, NULL, 0, NULL);
	history_seed("cursor-zero", "np/#", 0, 0, 0, zeros, 8, NULL);
	history_seed("cursor-max", "np/#", 0, 0, 0, ones, 8, NULL);
	history_seed("cursor-short", "np/#", 0, 0, 0, ones, 3, NULL);
	history_seed("correlation-bad-utf8", "np/#", 0, 0, 0, NULL, 0, "\xff\xfe");
	history_seed("filter-bad-utf8", "np/dm/\xc3", 0, 0, 0, NULL, 0, NULL);
	write_seed("fuzz_history_request", "unknown-field", "\x0a\x04np/#\xa2\x06\x01x", 10);
	write_seed("fuzz_history_request", "not-protobuf", "\xff\xff\xff", 3);
}

/* ---- fuzz_csv_import: CSV files ---- */

static void
csv_seed(const char *name, const char *text)
{
	write_seed("fuzz_csv_import", name, text, strlen(text));
}

static void
csv_seeds(void)
{
	static char long_row[400];

	csv_seed("ok", "code,name_th,name_en\n50,เชียงใหม่,Chiang Mai\n5001,เมืองเชียงใหม่,"
		       "Mueang Chiang Mai\n500101,ศรีภูมิ,Si Phum\n50010101,หมู่ 1,Mu 1\n");
	csv_seed("ok-child-first", "code,name_th,name_en\n50010102,หมู่ 2,Mu 2\n500102,พระสิงห์,"
				   "Phra Sing\n50010201,หมู่ 1,Mu 1\n");
	csv_seed("ok-crlf-bom", "\xef\xbb\xbf" "code,name_th,name_en\r\n10,กรุงเทพ,Bangkok\r\n");
	csv_seed("ok-quoted", "code,name_th,name_en\n\"10\",\"กรุง, เทพ\",\"Bang \"\"kok\"\"\"\n");
	csv_seed("ok-newline-in-quotes",
		 "code,name_th,name_en\n10,\"กรุง\nเทพ\",Bangkok\n11,a,b\n");
	csv_seed("header-only", "code,name_th,name_en\n");
	csv_seed("empty", "");
	csv_seed("bad-header", "code,name,name_en\n50,a,b\n");
	csv_seed("missing-parent", "code,name_th,name_en\n6001,a,b\n");
	csv_seed("duplicate", "code,name_th,name_en\n10,a,b\n10,c,d\n");
	csv_seed("code-th", "code,name_th,name_en\nTH,ไทย,Thailand\n");
	csv_seed("code-odd-length", "code,name_th,name_en\n123,a,b\n");
	csv_seed("code-letters", "code,name_th,name_en\n5x,a,b\n");
	csv_seed("empty-name", "code,name_th,name_en\n10,,Bangkok\n");
	csv_seed("bad-utf8", "code,name_th,name_en\n10,\xe0\xb8,Bangkok\n");
	csv_seed("two-fields", "code,name_th,name_en\n10,a\n");
	csv_seed("four-fields", "code,name_th,name_en\n10,a,b,c\n");
	csv_seed("unterminated-quote", "code,name_th,name_en\n10,\"a,b\n");
	csv_seed("stray-quote", "code,name_th,name_en\n10,a\"b,c\n");
	write_seed("fuzz_csv_import", "nul-in-code", "code,name_th,name_en\n10\0\x39\x39,a,b\n",
		   31);
	csv_seed("no-final-newline", "code,name_th,name_en\n10,a,b");
	csv_seed("blank-lines", "code,name_th,name_en\n\n10,a,b\n\n");
	memcpy(long_row, "code,name_th,name_en\n10,", 24);
	memset(long_row + 24, 'x', 300);
	memcpy(long_row + 324, ",b\n", 4);
	csv_seed("field-too-long", long_row);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 2;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0775) != 0 && errno != EEXIST) {
		perror(out_dir);
		return 1;
	}
	envelope_seeds();
	acl_seeds();
	history_seeds();
	csv_seeds();
	return failures ? 1 : 0;
}
