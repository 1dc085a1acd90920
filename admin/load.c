/* load.c - np-admin history load N: fills the history with N synthetic,
 * realistic reports through the plugin's own write path (history.c's
 * hub_history_put: the same tables, indexes and dedup keys), for benchmarks
 * at national scale. Reports cycle over every village of the registry, one
 * per ms of simulated time ending now, sent by a synthetic volunteer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "admin.h"
#include "history.h"
#include "np.pb-c.h"
#include "topic.h"

struct villages {
	char (*code)[HUB_AREA_MAX + 1];
	size_t n, cap;
	bool nomem;
};

static int
add_village(void *ctx, const struct hub_place *p)
{
	struct villages *v = ctx;
	void *grown;

	if (strlen(p->code) != 8)
		return 0;
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 32768;
		grown = realloc(v->code, v->cap * sizeof(*v->code));
		if (grown == NULL) {
			v->nomem = true;
			return 1;
		}
		v->code = grown;
	}
	memcpy(v->code[v->n++], p->code, HUB_AREA_MAX + 1);
	return 0;
}

static const char *const titles[] = {
	"ไฟดับทั้งหมู่บ้าน อินเทอร์เน็ตใช้ไม่ได้",
	"ต้องการเราเตอร์ใหม่สำหรับศูนย์ชุมชน",
	"สัญญาณ WiFi อ่อนบริเวณวัด",
	"ขอบคุณที่ช่วยซ่อมสายไฟเบอร์",
};

static size_t
pack_report(const char *village, size_t i, int64_t ms, uint8_t *buf, uint8_t id[16])
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Sender s = NP__SENDER__INIT;
	Np__Report r = NP__REPORT__INIT;
	char user[16];

	snprintf(user, sizeof(user), "v%s", village);
	for (int b = 0; b < 6; b++)
		id[b] = (uint8_t)((uint64_t)ms >> (8 * (5 - b)));
	id[6] = 0x70;
	id[7] = (uint8_t)i;
	if (getrandom(id + 8, 8, 0) != 8)
		memcpy(id + 8, &i, sizeof(i) < 8 ? sizeof(i) : 8);
	e.id.data = id;
	e.id.len = 16;
	e.sent_at_ms = ms - 200;
	e.received_at_ms = ms;
	s.username = user;
	s.role = NP__ROLE__VOLUNTEER;
	s.area = (char *)village;
	e.sender = &s;
	r.title = (char *)titles[i % 4];
	r.detail = "รายงานจากอาสาสมัครประจำหมู่บ้าน";
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	return np__envelope__pack(&e, buf);
}

enum admin_rc
admin_history_load(struct hub_history *h, struct hub_store *s, unsigned long long n)
{
	struct villages v = { NULL, 0, 0, false };
	struct timespec t0, t1;
	uint8_t buf[1024], id[16];
	char topic[64], user[16];
	int64_t now, ms;
	unsigned long long i;
	size_t len, bytes = 0;
	const char *vc;
	double secs;

	if (hub_store_place_each(s, "", add_village, &v) != 0 || v.nomem) {
		fprintf(admin_err(), "np-admin: %s\n", v.nomem ? "out of memory" : hub_store_error(s));
		free(v.code);
		return ADMIN_FAIL;
	}
	if (v.n == 0) {
		fprintf(admin_err(), "np-admin: the registry has no villages (run np-admin demo first)\n");
		free(v.code);
		return ADMIN_FAIL;
	}
	clock_gettime(CLOCK_REALTIME, &t0);
	now = (int64_t)t0.tv_sec * 1000 - (int64_t)n;  /* one report per ms, ending now */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		vc = v.code[i % v.n];
		ms = now + (int64_t)i;
		hub_topic_report(topic, sizeof(topic), vc,
				 hub_report_kind_name((int)(i % HUB_REPORT_KIND_COUNT)));
		snprintf(user, sizeof(user), "v%s", vc);
		len = pack_report(vc, (size_t)i, ms, buf, id);
		if (hub_history_put(h, hub_history_next_hid(h, ms), topic, id, user, buf, len) != 0) {
			fprintf(admin_err(), "np-admin: after %llu messages: %s\n", i, hub_history_error(h));
			free(v.code);
			return ADMIN_FAIL;
		}
		bytes += len + strlen(topic);
		if ((i + 1) % 10000 == 0 && hub_history_commit(h) != 0) {
			fprintf(admin_err(), "np-admin: %s\n", hub_history_error(h));
			free(v.code);
			return ADMIN_FAIL;
		}
		if ((i + 1) % 1000000 == 0)
			fprintf(admin_err(), "np-admin: %llu messages loaded\n", i + 1);
	}
	if (hub_history_commit(h) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_history_error(h));
		free(v.code);
		return ADMIN_FAIL;
	}
	hub_history_tick(h, INT64_MAX);         /* flush */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(admin_out(), "loaded %llu messages over %zu villages in %.1f s (%.1f us each), %zu payload+topic "
	       "bytes\n", n, v.n, secs, secs * 1e6 / (double)(n ? n : 1), bytes);
	free(v.code);
	return ADMIN_OK;
}
