/* load.c - np-admin history load N and history load-showcase N: fill the
 * history with N synthetic, realistic reports (or showcase entries, every
 * fourth with a small PNG photo, for the public site's benchmark) through the
 * plugin's own write path (history.c's hub_history_put: the same tables,
 * indexes and dedup keys), for benchmarks at national scale. Messages cycle
 * over every village of the registry, one per ms of simulated time ending
 * now, sent by a synthetic volunteer. */
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

static const uint8_t png_1x1[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
	0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x04, 0x00, 0x00, 0x00, 0xb5,
	0x1c, 0x0c, 0x02, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64,
	0x60, 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, 0x30, 0x81, 0xd0, 0x2f, 0x00, 0x00, 0x00, 0x00,
	0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

static const char *const show_titles[] = {
	"ผ้าไหมทอมือ", "น้ำผึ้งป่า", "ข้าวหอมมะลิอินทรีย์", "ตลาดน้ำชุมชน", "น้ำตกหมู่บ้าน",
	"เรื่องเล่าของผู้เฒ่า",
};

static size_t
pack(const char *village, size_t i, int64_t ms, uint8_t *buf, uint8_t id[16], bool show)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Sender s = NP__SENDER__INIT;
	Np__Report r = NP__REPORT__INIT;
	Np__Showcase sh = NP__SHOWCASE__INIT;
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
	if (show) {
		sh.title = (char *)show_titles[i % 6];
		sh.description = "สินค้าและเรื่องราวของหมู่บ้าน ทำด้วยมือโดยกลุ่มแม่บ้าน";
		sh.price_thb = i % 3 == 0 ? (int64_t)(50 + i % 500) : 0;
		sh.contact = i % 2 == 0 ? "LINE: village-shop" : "";
		if (i % 4 == 0) {
			sh.photo.data = (uint8_t *)png_1x1;
			sh.photo.len = sizeof(png_1x1);
		}
		e.body_case = NP__ENVELOPE__BODY_SHOWCASE;
		e.showcase = &sh;
		return np__envelope__pack(&e, buf);
	}
	r.title = (char *)titles[i % 4];
	r.detail = "รายงานจากอาสาสมัครประจำหมู่บ้าน";
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	return np__envelope__pack(&e, buf);
}

enum admin_rc
admin_history_load(struct hub_history *h, struct hub_store *s, unsigned long long n, bool show)
{
	static const char *const show_kinds[] = { "product", "story", "place" };
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
		if (show)
			snprintf(topic, sizeof(topic), "np/show/%.2s/%.4s/%s/%s", vc, vc, vc,
				 show_kinds[i % 3]);
		else
			hub_topic_report(topic, sizeof(topic), vc,
					 hub_report_kind_name((int)(i % HUB_REPORT_KIND_COUNT)));
		snprintf(user, sizeof(user), "v%s", vc);
		len = pack(vc, (size_t)i, ms, buf, id, show);
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
