/* test_photo.c - checks that photos, showcase prices and contacts hold on a
 * real hub (DESIGN.md "Report cases"): a report with a real 100 KB JPEG is
 * delivered and comes back byte for byte from history; PNG and WebP are
 * taken, on a showcase with its price and contact too; a text file named
 * .jpg, a JPEG cut short and a photo one byte over plugin_opt_max_photo are
 * refused with their reasons (PUBACK 0x87, the Refusal, the log) and stored
 * and delivered nowhere, also when sent by the stock mosquitto_pub; a photo
 * at the limit beside a message at max_payload is taken; history pages of
 * 200 KB photos stay within their byte limit and hand over every photo; a
 * photo larger than a page comes as a page of its own, even over the
 * history byte rate; a bad plugin_opt_max_photo stops the broker. Images
 * are made by tests/photos/make_photo.py (python3-pil). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#define REFUSED 0x87
#define OWN_OUTAGE "np/rep/50/5001/50010101/outage"
#define OWN_PRODUCT "np/show/50/5001/50010101/product"
#define MAX_PHOTO 262144
#define PAGE_BYTES (1u << 20)   /* query.h: HUB_QUERY_MAX_BYTES */
#define REASON_TOO_BIG "the photo is over the hub's limit of 262144 bytes"
#define REASON_NOT_IMAGE "the photo is not a JPEG, PNG or WebP image (by its first bytes)"
#define REASON_BAD_JPEG "the photo is not a whole JPEG (broken markers, or it does not end " \
			"with FF D9: cut short?)"

static struct hub hub;
static bool passed;
static struct tc *vol;          /* somchai, volunteer of 50010101: publishes */
static struct tc *off;          /* cm_official: follows np/rep/50/# and np/show/# */

static int
start(const char *extra)
{
	int rc;

	passed = false;
	if (hub_start(&hub, extra) != 0)
		return -1;
	vol = tc_login(&hub, "somchai", 5, &rc);
	off = tc_login(&hub, "cm_official", 5, &rc);
	if (vol == NULL || off == NULL)
		return -1;
	if (tc_subscribe(vol, "np/reply/somchai/error", 1) != 1
	    || tc_subscribe(off, "np/rep/50/#", 1) != 1 || tc_subscribe(off, "np/show/#", 1) != 1)
		return -1;
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	return start(NULL);
}

static int
teardown(void **state)
{
	(void)state;
	if (!passed)
		hub_print_log(&hub);
	tc_close(vol);
	tc_close(off);
	vol = off = NULL;
	hub_stop(&hub);
	return 0;
}

/* ---- images ---- */

struct file {
	uint8_t *data;
	size_t len;
};

/* A real image from make_photo.py (FORMAT, exactly or about `bytes` bytes,
 * the last `cut` dropped), read into memory. */
static struct file
image(const char *format, size_t bytes, size_t cut, int seed)
{
	char path[400], cmd[800];
	struct file f = { NULL, 0 };
	FILE *in;
	long n;

	snprintf(path, sizeof(path), "%s/img-%s-%zu-%zu-%d", hub.dir, format, bytes, cut, seed);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/photos/make_photo.py %s %s --bytes %zu "
		 "--cut %zu --seed %d >/dev/null", format, path, bytes, cut, seed);
	if (system(cmd) != 0)
		fail_msg("make_photo.py failed (is python3-pil installed? scripts/deps.sh): %s", cmd);
	in = fopen(path, "rb");
	assert_non_null(in);
	fseek(in, 0, SEEK_END);
	n = ftell(in);
	rewind(in);
	f.data = malloc((size_t)n);
	assert_non_null(f.data);
	assert_int_equal(fread(f.data, 1, (size_t)n, in), (size_t)n);
	fclose(in);
	f.len = (size_t)n;
	return f;
}

/* ---- envelopes ---- */

static uint8_t *
report(const char *title, const struct file *photo, uint8_t id[16], size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report r = NP__REPORT__INIT;

	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	r.title = (char *)title;
	if (photo != NULL) {
		r.photo.data = photo->data;
		r.photo.len = photo->len;
	}
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	return env_pack(&e, len);
}

static uint8_t *
showcase(const struct file *photo, int64_t price, const char *contact, uint8_t id[16],
	 size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Showcase s = NP__SHOWCASE__INIT;

	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	s.title = "ผ้าทอมือบ้านศรีภูมิ";
	s.description = "hand-woven cotton, 2 m";
	s.photo.data = photo->data;
	s.photo.len = photo->len;
	s.price_thb = price;
	s.contact = (char *)contact;
	e.body_case = NP__ENVELOPE__BODY_SHOWCASE;
	e.showcase = &s;
	return env_pack(&e, len);
}

/* The next message of c on topic, unpacked (skipping others). */
static Np__Envelope *
next_on(struct tc *c, const char *topic)
{
	struct tc_msg m;
	Np__Envelope *e;

	for (;;) {
		if (!tc_next(c, &m, 5000))
			fail_msg("nothing arrived on %s", topic);
		if (strcmp(m.topic, topic) == 0)
			break;
		tc_msg_free(&m);
	}
	e = env_unpack(&m);
	tc_msg_free(&m);
	assert_non_null(e);
	return e;
}

static void
assert_photo(const ProtobufCBinaryData *got, const struct file *want)
{
	assert_int_equal(got->len, want->len);
	assert_memory_equal(got->data, want->data, want->len);
}

/* The refusal of id for reason: PUBACK was 0x87 (checked by the caller), the
 * Refusal came, the log says it, the official got nothing, history has none. */
static void
assert_refused(const uint8_t id[16], const char *topic, const char *reason)
{
	static char out[1 << 16];
	char needle[600], args[200], hex[33];
	Np__Envelope *e = next_on(vol, "np/reply/somchai/error");
	int i;

	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_REFUSAL);
	assert_string_equal(e->refusal->reason, reason);
	assert_string_equal(e->refusal->topic, topic);
	assert_memory_equal(e->refusal->id.data, id, 16);
	np__envelope__free_unpacked(e, NULL);
	snprintf(needle, sizeof(needle), "on '%s': %s", topic, reason);
	assert_true(hub_log_has(&hub, needle));
	assert_true(tc_quiet(off, 300));
	snprintf(args, sizeof(args), "history export --format csv --filter '%s' 2>/dev/null", topic);
	assert_int_equal(hub_admin_out(&hub, args, out, sizeof(out)), 0);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	assert_null(strstr(out, hex));
}

/* One history page for the official. */
static Np__Envelope *
ask(const char *filter, uint32_t limit, const ProtobufCBinaryData *cursor, size_t *bytes)
{
	Np__HistoryRequest r = NP__HISTORY_REQUEST__INIT;
	struct tc_msg m;
	Np__Envelope *e;
	uint8_t buf[512];
	size_t len;

	r.filter = (char *)filter;
	r.limit = limit;
	r.correlation_id = "photos";
	if (cursor != NULL)
		r.cursor = *cursor;
	len = np__history_request__pack(&r, buf);
	assert_int_equal(tc_publish(off, "$CONTROL/np/v1/history", buf, len, 1), 0);
	for (;;) {
		if (!tc_next(off, &m, 5000))
			fail_msg("no history page");
		if (strcmp(m.topic, "np/reply/cm_official/history") == 0)
			break;
		tc_msg_free(&m);
	}
	*bytes = m.len;
	e = env_unpack(&m);
	tc_msg_free(&m);
	assert_non_null(e);
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_HISTORY_PAGE);
	return e;
}

/* ---- tests ---- */

static void
a_report_with_a_100_kb_jpeg_comes_back_byte_for_byte_live_and_from_history(void **state)
{
	struct file jpg = image("jpeg", 102400, 0, 1);
	Np__Envelope *e, *item;
	uint8_t id[16], *buf;
	size_t len, bytes;

	(void)state;
	buf = report("No power since 9am", &jpg, id, &len);
	assert_true(len > 102400);      /* over the default max_payload of 65536 */
	assert_int_equal(tc_publish(vol, OWN_OUTAGE, buf, len, 1), 0);
	e = next_on(off, OWN_OUTAGE);
	assert_memory_equal(e->id.data, id, 16);
	assert_string_equal(e->sender->username, "somchai");
	assert_photo(&e->report->photo, &jpg);
	np__envelope__free_unpacked(e, NULL);
	e = ask(OWN_OUTAGE, 0, NULL, &bytes);
	assert_string_equal(e->history_page->error, "");
	assert_int_equal(e->history_page->n_items, 1);
	item = np__envelope__unpack(NULL, e->history_page->items[0]->envelope.len,
				    e->history_page->items[0]->envelope.data);
	assert_non_null(item);
	assert_memory_equal(item->id.data, id, 16);
	assert_photo(&item->report->photo, &jpg);
	np__envelope__free_unpacked(item, NULL);
	np__envelope__free_unpacked(e, NULL);
	free(buf);
	free(jpg.data);
	passed = true;
}

static void
png_and_webp_are_taken_and_a_showcase_keeps_its_price_and_contact(void **state)
{
	struct file png = image("png", 60000, 0, 2), webp = image("webp", 60000, 0, 3);
	Np__Envelope *e;
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	buf = report("Tower down", &png, id, &len);
	assert_int_equal(tc_publish(vol, OWN_OUTAGE, buf, len, 1), 0);
	free(buf);
	e = next_on(off, OWN_OUTAGE);
	assert_photo(&e->report->photo, &png);
	np__envelope__free_unpacked(e, NULL);
	buf = showcase(&webp, 350, "LINE @silk-sriphum, 053-000-000", id, &len);
	assert_int_equal(tc_publish(vol, OWN_PRODUCT, buf, len, 1), 0);
	free(buf);
	e = next_on(off, OWN_PRODUCT);
	assert_memory_equal(e->id.data, id, 16);
	assert_photo(&e->showcase->photo, &webp);
	assert_int_equal(e->showcase->price_thb, 350);
	assert_string_equal(e->showcase->contact, "LINE @silk-sriphum, 053-000-000");
	np__envelope__free_unpacked(e, NULL);
	free(png.data);
	free(webp.data);
	passed = true;
}

static void
a_text_file_named_jpg_is_refused_and_kept_nowhere(void **state)
{
	static const char text[] = "This is not a photo, only text in a file named photo.jpg\n";
	struct file f = { (uint8_t *)text, sizeof(text) - 1 };
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	buf = report("Look", &f, id, &len);
	assert_int_equal(tc_publish(vol, OWN_OUTAGE, buf, len, 1), REFUSED);
	assert_refused(id, OWN_OUTAGE, REASON_NOT_IMAGE);
	free(buf);
	passed = true;
}

static void
a_jpeg_cut_short_is_refused(void **state)
{
	struct file cut = image("jpeg", 50000, 1000, 4);
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	buf = report("Half a photo", &cut, id, &len);
	assert_int_equal(tc_publish(vol, OWN_OUTAGE, buf, len, 1), REFUSED);
	assert_refused(id, OWN_OUTAGE, REASON_BAD_JPEG);
	free(buf);
	free(cut.data);
	passed = true;
}

/* A photo of exactly max_photo beside text that brings the rest to exactly
 * max_payload is taken; one byte more of photo is refused. */
static void
a_photo_at_the_limit_is_taken_and_one_byte_over_refused(void **state)
{
	struct file at = image("jpeg", MAX_PHOTO, 0, 5), over = image("jpeg", MAX_PHOTO + 1, 0, 6);
	char *detail = malloc(8192 + 1);
	Np__Envelope e = NP__ENVELOPE__INIT, *got;
	Np__Report r = NP__REPORT__INIT;
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	assert_int_equal(at.len, MAX_PHOTO);
	memset(detail, 'd', 8192);
	detail[8192] = '\0';
	buf = report("At the limit", &at, id, &len);
	assert_int_equal(tc_publish(vol, OWN_OUTAGE, buf, len, 1), 0);
	got = next_on(off, OWN_OUTAGE);
	assert_photo(&got->report->photo, &at);
	np__envelope__free_unpacked(got, NULL);
	free(buf);
	buf = report("One byte over", &over, id, &len);
	assert_int_equal(tc_publish(vol, OWN_OUTAGE, buf, len, 1), REFUSED);
	assert_refused(id, OWN_OUTAGE, REASON_TOO_BIG);
	free(buf);
	/* the photo does not count against max_payload: 8 KiB of detail beside it */
	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	r.title = "With words";
	r.detail = detail;
	r.photo.data = at.data;
	r.photo.len = at.len;
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	buf = env_pack(&e, &len);
	assert_int_equal(tc_publish(vol, OWN_OUTAGE, buf, len, 1), 0);
	np__envelope__free_unpacked(next_on(off, OWN_OUTAGE), NULL);
	free(buf);
	free(detail);
	free(at.data);
	free(over.data);
	passed = true;
}

/* The stock mosquitto_pub (MQTT 5, QoS 1) of a hand-built envelope: 0 when it
 * exits 0. */
static int
stock_pub(const char *topic, const uint8_t *buf, size_t len)
{
	char file[400], cmd[1024];
	FILE *f;
	int status;

	snprintf(file, sizeof(file), "%s/stock.bin", hub.dir);
	f = fopen(file, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "mosquitto_pub -h 127.0.0.1 -p %d -u somchai -P somchai-demo "
		 "-V 5 -q 1 -t %s -f %s >/dev/null 2>&1", hub.port, topic, file);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
the_stock_mosquitto_pub_is_held_to_the_same_photo_rules(void **state)
{
	struct file good = image("png", 40000, 0, 7), bad = good;
	Np__Envelope *e;
	uint8_t id[16], bad_id[16], *buf;
	size_t len;

	(void)state;
	buf = report("From mosquitto_pub", &good, id, &len);
	assert_int_equal(stock_pub(OWN_OUTAGE, buf, len), 0);
	free(buf);
	e = next_on(off, OWN_OUTAGE);
	assert_memory_equal(e->id.data, id, 16);
	assert_photo(&e->report->photo, &good);
	np__envelope__free_unpacked(e, NULL);
	bad.len = good.len - 12;        /* no IEND */
	buf = report("Cut PNG from mosquitto_pub", &bad, bad_id, &len);
	stock_pub(OWN_OUTAGE, buf, len);
	free(buf);
	assert_true(hub_log_has(&hub, "on '" OWN_OUTAGE "': the photo is not a whole PNG"));
	assert_true(tc_quiet(off, 300));
	free(good.data);
	passed = true;
}

/* Seven reports with a 200 KB photo each: every page stays within 1 MiB
 * (so at most 5 of them), and all seven come back byte for byte. */
static void
history_pages_of_200_kb_photos_stay_within_their_limit_and_hand_over_all(void **state)
{
	enum { N = 7 };
	struct file photos[N];
	ProtobufCBinaryData cursor = { 0, NULL };
	uint8_t ids[N][16], cbuf[64], *buf;
	Np__Envelope *page, *item;
	size_t i, j, len, bytes, got = 0, pages = 0;

	(void)state;
	for (i = 0; i < N; i++) {
		photos[i] = image(i % 2 ? "png" : "jpeg", 200000, 0, 10 + (int)i);
		buf = report("Flooded road", &photos[i], ids[i], &len);
		assert_int_equal(tc_publish(vol, OWN_OUTAGE, buf, len, 1), 0);
		free(buf);
		np__envelope__free_unpacked(next_on(off, OWN_OUTAGE), NULL);
	}
	do {
		page = ask(OWN_OUTAGE, 0, cursor.len ? &cursor : NULL, &bytes);
		pages++;
		assert_string_equal(page->history_page->error, "");
		assert_true(bytes <= PAGE_BYTES + 4096);
		assert_true(page->history_page->n_items >= 1 && page->history_page->n_items <= 5);
		for (j = 0; j < page->history_page->n_items; j++, got++) {
			assert_true(got < N);
			item = np__envelope__unpack(NULL, page->history_page->items[j]->envelope.len,
						    page->history_page->items[j]->envelope.data);
			assert_non_null(item);
			assert_memory_equal(item->id.data, ids[got], 16);
			assert_photo(&item->report->photo, &photos[got]);
			np__envelope__free_unpacked(item, NULL);
		}
		cursor.len = page->history_page->next_cursor.len;
		memcpy(cbuf, page->history_page->next_cursor.data, cursor.len);
		cursor.data = cbuf;
		np__envelope__free_unpacked(page, NULL);
	} while (cursor.len > 0);
	assert_int_equal(got, N);
	assert_true(pages >= 2);
	for (i = 0; i < N; i++)
		free(photos[i].data);
	passed = true;
}

/* With plugin_opt_max_photo 2 MiB and a history byte rate of 4 KiB/s, a
 * 1.5 MB photo is a page of its own (over the 1 MiB budget) and is handed
 * over: the byte rate is a debt paid later, never a wall. */
static void
a_photo_larger_than_a_page_is_a_page_of_its_own_even_over_the_byte_rate(void **state)
{
	struct file big = image("jpeg", 1500000, 0, 20);
	Np__Envelope *page, *item;
	uint8_t id[16], *buf;
	size_t len, bytes;

	(void)state;
	buf = report("Bridge washed away", &big, id, &len);
	assert_int_equal(tc_publish(vol, OWN_OUTAGE, buf, len, 1), 0);
	free(buf);
	np__envelope__free_unpacked(next_on(off, OWN_OUTAGE), NULL);
	page = ask(OWN_OUTAGE, 0, NULL, &bytes);
	assert_string_equal(page->history_page->error, "");
	assert_int_equal(page->history_page->n_items, 1);
	assert_true(bytes > PAGE_BYTES);
	item = np__envelope__unpack(NULL, page->history_page->items[0]->envelope.len,
				    page->history_page->items[0]->envelope.data);
	assert_non_null(item);
	assert_photo(&item->report->photo, &big);
	np__envelope__free_unpacked(item, NULL);
	np__envelope__free_unpacked(page, NULL);
	/* the next request finds the debt unpaid: refused, saying why */
	page = ask(OWN_OUTAGE, 0, NULL, &bytes);
	assert_string_equal(page->history_page->error,
			    "over the limit of 4096 bytes of history/s; wait and ask again");
	np__envelope__free_unpacked(page, NULL);
	free(big.data);
	passed = true;
}

static int
setup_big(void **state)
{
	(void)state;
	return start("plugin_opt_max_photo 2097152\nplugin_opt_history_rate_bytes 4096");
}

static void
a_bad_max_photo_stops_the_broker_naming_it(void **state)
{
	static const char *const bad[] = { "abc", "-1", "8388609", "256k" };
	char lines[600], needle[64];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(lines, sizeof(lines), "plugin_opt_db_path %s\nplugin_opt_max_photo %s",
			 "/nonexistent-but-options-come-first", bad[i]);
		rc = hub_start_expect_exit(&hub, lines, false);
		snprintf(needle, sizeof(needle), "plugin_opt_max_photo: '%s'", bad[i]);
		if (rc <= 0 || !hub_log_has(&hub, needle)) {
			hub_print_log(&hub);
			fail_msg("plugin_opt_max_photo %s: exit %d, or the log does not name it",
				 bad[i], rc);
		}
		hub_stop(&hub);
	}
	passed = true;
}

static void
the_ready_line_names_both_limits(void **state)
{
	(void)state;
	assert_true(hub_log_has(&hub, "max payload 65536 bytes and a photo of up to 262144 bytes"));
	passed = true;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			a_report_with_a_100_kb_jpeg_comes_back_byte_for_byte_live_and_from_history,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			png_and_webp_are_taken_and_a_showcase_keeps_its_price_and_contact, setup,
			teardown),
		cmocka_unit_test_setup_teardown(a_text_file_named_jpg_is_refused_and_kept_nowhere,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_jpeg_cut_short_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(a_photo_at_the_limit_is_taken_and_one_byte_over_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(the_stock_mosquitto_pub_is_held_to_the_same_photo_rules,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			history_pages_of_200_kb_photos_stay_within_their_limit_and_hand_over_all,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_photo_larger_than_a_page_is_a_page_of_its_own_even_over_the_byte_rate,
			setup_big, teardown),
		cmocka_unit_test_setup_teardown(the_ready_line_names_both_limits, setup, teardown),
		cmocka_unit_test(a_bad_max_photo_stops_the_broker_naming_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
