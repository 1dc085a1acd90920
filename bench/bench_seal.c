/* bench_seal.c - the cost of the hub's seal (seal.c): sealing one message as
 * it is accepted, the first delivery check of a message (one HMAC-SHA256) and
 * every further one of the same message (the cache: a memcmp), and so one
 * announcement's national fan-out to 24,700 volunteers' apps. A 300-byte
 * payload, as the hub's stored messages average (BENCHMARKS.md: 278.5 B of
 * payload and topic). Median of RUNS runs of ITER operations each. The first
 * check of a message the hub did not just seal (a retained message, a queue
 * after a restart) costs the HMAC; one it just sealed is already in the cache.
 * A delivery on np/ann/ also reads the announcement's expires_at_ms from the
 * wire (expiry.c) and, when it is set, the clock: deliver_ann_ns is the whole
 * check of a real 300-byte announcement with an expiry, as publish.c makes it.
 *   bench_seal [--iterations N] [--runs R]
 * Output: result scenario=seal broker=hub metric=<case> value=V */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expiry.h"
#include "np.pb-c.h"
#include "micro.h"
#include "seal.h"

#define PAYLOAD 300
#define FANOUT 24700

static const char topic[] = "np/ann/TH/emergency";

/* One run of n seals of distinct payloads, each noted: ns per seal. */
static double
run_seal(struct hub_seal *s, uint8_t *buf, long n)
{
	double t0 = now_ns();
	long i;

	for (i = 0; i < n; i++) {
		memcpy(buf + 4, &i, sizeof(i));         /* a new message each time */
		hub_seal_append(s, topic, buf, PAYLOAD);
		hub_seal_note(s, topic, buf, PAYLOAD + HUB_SEAL_LEN);  /* as publish.c does */
	}
	return (now_ns() - t0) / (double)n;
}

/* n first checks (each message new to the cache): ns per check. */
static double
run_miss(struct hub_seal *s, uint8_t (*msgs)[PAYLOAD + HUB_SEAL_LEN], long n)
{
	double t0 = now_ns();
	long i, bad = 0;

	for (i = 0; i < n; i++)
		bad += !hub_seal_check(s, topic, msgs[i & 1], PAYLOAD + HUB_SEAL_LEN);
	if (bad != 0)
		fprintf(stderr, "bench_seal: %ld checks failed\n", bad);
	return (now_ns() - t0) / (double)n;
}

/* n checks of the same message: ns per check. */
static double
run_hit(struct hub_seal *s, const uint8_t *msg, long n)
{
	double t0 = now_ns();
	long i, bad = 0;

	for (i = 0; i < n; i++)
		bad += !hub_seal_check(s, topic, msg, PAYLOAD + HUB_SEAL_LEN);
	if (bad != 0)
		fprintf(stderr, "bench_seal: %ld checks failed\n", bad);
	return (now_ns() - t0) / (double)n;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A stamped announcement of about PAYLOAD bytes that expires in an hour,
 * sealed, into buf (at least 2 * PAYLOAD bytes); returns its length. */
static size_t
announcement(struct hub_seal *s, uint8_t *buf)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Sender who = NP__SENDER__INIT;
	Np__Announcement a = NP__ANNOUNCEMENT__INIT;
	uint8_t id[16] = { 1, 2, 3 };
	char body[PAYLOAD - 60 + 1];

	memset(body, 'b', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	e.id.data = id;
	e.id.len = sizeof(id);
	e.sent_at_ms = e.received_at_ms = now_ms();
	who.username = "ministry";
	who.role = NP__ROLE__OFFICIAL;
	who.area = "TH";
	e.sender = &who;
	a.title = "Storm warning";
	a.body = body;
	a.expires_at_ms = now_ms() + 3600000;
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &a;
	return hub_seal_append(s, topic, buf, np__envelope__pack(&e, buf));
}

/* n delivery checks of one announcement as publish.c makes them: the seal
 * (a cache hit), the topic, the expiry (read once, then the cache's memo)
 * and the clock: ns per delivery. */
static double
run_deliver(struct hub_seal *s, const uint8_t *msg, size_t len, long n)
{
	double t0 = now_ns();
	long i, bad = 0;
	int64_t at;

	for (i = 0; i < n; i++) {
		if (!hub_seal_check(s, topic, msg, len) || strncmp(topic, "np/ann/", 7) != 0) {
			bad++;
			continue;
		}
		at = hub_seal_memo(s);
		if (at == HUB_SEAL_NO_MEMO) {
			at = hub_expiry_read(msg, len);
			hub_seal_set_memo(s, at);
		}
		bad += at == 0 || hub_expiry_past(at, now_ms());
	}
	if (bad != 0)
		fprintf(stderr, "bench_seal: %ld deliveries withheld\n", bad);
	return (now_ns() - t0) / (double)n;
}

int
main(int argc, char **argv)
{
	static uint8_t msgs[2][PAYLOAD + HUB_SEAL_LEN];
	uint8_t key[HUB_SEAL_KEY_LEN] = { 7 }, buf[PAYLOAD + HUB_SEAL_LEN];
	static uint8_t ann[2 * PAYLOAD];
	double seal[32], miss[32], hit[32], deliver[32], fan;
	size_t annlen;
	long iter = 200000;
	int runs = 7, r, i;
	struct hub_seal *s;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--iterations") == 0)
			iter = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[i + 1]);
	}
	if (iter < 2 || runs < 1 || runs > 32 || hub_seal_new(&s, key) != 0) {
		fprintf(stderr, "usage: bench_seal [--iterations N>1] [--runs 1..32]\n");
		return 2;
	}
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < 2; i++) {       /* two sealed messages, checked in turn: always a miss */
		memset(msgs[i], 'a' + i, PAYLOAD);
		hub_seal_append(s, topic, msgs[i], PAYLOAD);
	}
	annlen = announcement(s, ann);
	for (r = 0; r < runs; r++) {
		seal[r] = run_seal(s, buf, iter);
		miss[r] = run_miss(s, msgs, iter);
		hit[r] = run_hit(s, msgs[0], iter);
		hub_seal_note(s, topic, ann, annlen);
		deliver[r] = run_deliver(s, ann, annlen, iter);
	}
	/* publish.c notes what it sealed: every delivery check of the fan-out is
	 * then a cache hit */
	fan = FANOUT * median(hit, runs) / 1000.0;
	printf("result scenario=seal broker=hub metric=seal_ns value=%.0f\n", median(seal, runs));
	printf("result scenario=seal broker=hub metric=check_first_ns value=%.0f\n",
	       median(miss, runs));
	printf("result scenario=seal broker=hub metric=check_again_ns value=%.0f\n",
	       median(hit, runs));
	printf("result scenario=seal broker=hub metric=fanout_24700_us value=%.1f\n", fan);
	printf("result scenario=seal broker=hub metric=deliver_ann_ns value=%.0f\n",
	       median(deliver, runs));
	printf("info deliver_ann: a %zu-byte sealed announcement with expires_at_ms set\n",
	       annlen);
	hub_seal_free(s);
	return 0;
}
