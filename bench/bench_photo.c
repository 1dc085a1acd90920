/* bench_photo.c - what a photo costs the broker's thread per report: the
 * container walk of photo.c for a 256 KiB (plugin_opt_max_photo's default)
 * JPEG (an Exif APP1, tables, frame, scan, entropy data), PNG (8 KiB IDAT
 * chunks, as libpng writes them) and WebP; the whole hub_msg_decode_limits
 * of a report carrying the JPEG (protobuf-c unpack, which copies the photo,
 * every check, the canonical size); and its seal (one HMAC-SHA256 over
 * the 256 KiB). Median of RUNS runs of ITER operations each.
 *   bench_photo [--iterations N] [--runs R]
 * Output: result scenario=photo broker=hub metric=<case> value=V */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "np.pb-c.h"
#include "photo.h"
#include "micro.h"
#include "seal.h"
#include "validate.h"

#define SIZE HUB_DEFAULT_MAX_PHOTO

static size_t
segment(uint8_t *b, uint8_t marker, size_t len, uint8_t fill)
{
	b[0] = 0xff;
	b[1] = marker;
	b[2] = (uint8_t)((len + 2) >> 8);
	b[3] = (uint8_t)(len + 2);
	memset(b + 4, fill, len);
	return 4 + len;
}

/* SOI, APP1 (8 KiB), two DQT, SOF0, four DHT, SOS, entropy data, EOI. */
static void
make_jpeg(uint8_t *b)
{
	static const uint8_t sof[] = { 0xff, 0xc0, 0, 17, 8, 0x0b, 0xb8, 0x0f, 0xa0, 3,
				       1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1 };
	static const uint8_t sos[] = { 0xff, 0xda, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0 };
	size_t n = 2;
	int i;

	b[0] = 0xff;
	b[1] = 0xd8;
	n += segment(b + n, 0xe1, 8192, 'e');
	for (i = 0; i < 2; i++)
		n += segment(b + n, 0xdb, 65, 1);
	memcpy(b + n, sof, sizeof(sof));
	n += sizeof(sof);
	for (i = 0; i < 4; i++)
		n += segment(b + n, 0xc4, 180, 2);
	memcpy(b + n, sos, sizeof(sos));
	n += sizeof(sos);
	memset(b + n, 0x5a, SIZE - 2 - n);
	b[SIZE - 2] = 0xff;
	b[SIZE - 1] = 0xd9;
}

static size_t
chunk(uint8_t *b, const char *type, size_t len)
{
	b[0] = (uint8_t)(len >> 24);
	b[1] = (uint8_t)(len >> 16);
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	memcpy(b + 4, type, 4);
	memset(b + 8, 0x33, len + 4);
	return 12 + len;
}

/* Signature, IHDR (3000x4000 RGB), 8 KiB IDATs, IEND. */
static void
make_png(uint8_t *b)
{
	static const uint8_t ihdr[13] = { 0, 0, 0x0b, 0xb8, 0, 0, 0x0f, 0xa0, 8, 2, 0, 0, 0 };
	size_t n = 8, room, k, data, d, i;

	memcpy(b, "\x89PNG\r\n\x1a\n", 8);
	chunk(b + n, "IHDR", 13);
	memcpy(b + n + 8, ihdr, 13);
	n += 25;
	room = SIZE - n - 12;                   /* for the IDATs, IEND after them */
	k = (room + 8204 - 1) / 8204;
	data = room - 12 * k;
	for (i = 0; i < k; i++, data -= d) {
		d = data > 8192 ? 8192 : data;
		n += chunk(b + n, "IDAT", d);
	}
	n += chunk(b + n, "IEND", 0);
	if (n != SIZE)
		abort();
}

/* RIFF, WEBP, one VP8 chunk (a key frame header, then data). */
static void
make_webp(uint8_t *b)
{
	static const uint8_t vp8[10] = { 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xb8, 0x0b, 0xa0, 0x0f };
	uint32_t riff = SIZE - 8, len = SIZE - 20;

	memcpy(b, "RIFF", 4);
	memcpy(b + 4, (uint8_t[4]){ (uint8_t)riff, (uint8_t)(riff >> 8), (uint8_t)(riff >> 16),
				    (uint8_t)(riff >> 24) }, 4);
	memcpy(b + 8, "WEBPVP8 ", 8);
	memcpy(b + 16, (uint8_t[4]){ (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
				     (uint8_t)(len >> 24) }, 4);
	memset(b + 20, 0x77, len);
	memcpy(b + 20, vp8, sizeof(vp8));
}

static double
run_check(const uint8_t *b, long n)
{
	double t0 = now_ns();
	long i, bad = 0;

	for (i = 0; i < n; i++)
		bad += hub_photo_check(b, SIZE, SIZE) != HUB_OK;
	if (bad != 0)
		fprintf(stderr, "bench_photo: %ld checks failed\n", bad);
	return (now_ns() - t0) / (double)n;
}

static double
run_decode(const uint8_t *buf, size_t len, long n)
{
	struct hub_msg *m;
	double t0 = now_ns();
	long i, bad = 0;

	enum hub_refusal why = HUB_OK;

	for (i = 0; i < n; i++) {
		why = hub_msg_decode_limits(&m, buf, len, HUB_TOPIC_REPORT, HUB_DEFAULT_MAX_PAYLOAD,
					    SIZE);
		bad += why != HUB_OK;
		hub_msg_free(m);
	}
	if (bad != 0)
		fprintf(stderr, "bench_photo: %ld decodes failed: %s\n", bad, hub_refusal_text(why));
	return (now_ns() - t0) / (double)n;
}

static double
run_seal(struct hub_seal *s, uint8_t *buf, size_t len, long n)
{
	double t0 = now_ns();
	long i;

	for (i = 0; i < n; i++) {
		buf[len - 100] = (uint8_t)i;   /* a new message each time: entropy data */
		hub_seal_append(s, "np/rep/50/5001/50010101/outage", buf, len);
	}
	return (now_ns() - t0) / (double)n;
}

int
main(int argc, char **argv)
{
	static uint8_t jpeg[SIZE], png[SIZE], webp[SIZE];
	double cj[32], cp[32], cw[32], dec[32], seal[32];
	uint8_t key[HUB_SEAL_KEY_LEN] = { 7 }, id[16] = { 1, 2, 3 }, *buf;
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Report r = NP__REPORT__INIT;
	struct hub_seal *s;
	long iter = 2000;
	int runs = 7, i;
	size_t len;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--iterations") == 0)
			iter = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[i + 1]);
	}
	if (iter < 1 || runs < 1 || runs > 32 || hub_seal_new(&s, key) != 0) {
		fprintf(stderr, "usage: bench_photo [--iterations N] [--runs 1..32]\n");
		return 2;
	}
	make_jpeg(jpeg);
	make_png(png);
	make_webp(webp);
	e.id.data = id;
	e.id.len = 16;
	r.title = "Pole down on the main road";
	r.detail = "since 9am; the village WiFi is down too";
	r.photo.data = jpeg;
	r.photo.len = SIZE;
	e.body_case = NP__ENVELOPE__BODY_REPORT;
	e.report = &r;
	len = np__envelope__get_packed_size(&e);
	buf = malloc(len + HUB_SEAL_LEN);
	if (buf == NULL)
		return 1;
	np__envelope__pack(&e, buf);
	for (i = 0; i < runs; i++) {
		cj[i] = run_check(jpeg, iter * 100);
		cp[i] = run_check(png, iter * 10);
		cw[i] = run_check(webp, iter * 100);
		dec[i] = run_decode(buf, len, iter);
		seal[i] = run_seal(s, buf, len, iter);
	}
	printf("result scenario=photo broker=hub metric=check_jpeg_256k_ns value=%.0f\n",
	       median(cj, runs));
	printf("result scenario=photo broker=hub metric=check_png_256k_ns value=%.0f\n",
	       median(cp, runs));
	printf("result scenario=photo broker=hub metric=check_webp_256k_ns value=%.0f\n",
	       median(cw, runs));
	printf("result scenario=photo broker=hub metric=decode_report_256k_ns value=%.0f\n",
	       median(dec, runs));
	printf("result scenario=photo broker=hub metric=seal_report_256k_ns value=%.0f\n",
	       median(seal, runs));
	printf("info photo: a %zu-byte report with a %u-byte photo\n", len, SIZE);
	free(buf);
	hub_seal_free(s);
	return 0;
}
