/* bench_retention.c - what retention's pass costs the broker's thread when
 * it drops a national announcement with its receipts: one announcement on
 * np/ann/TH/weather, read in VILLAGES villages (DELIVERED and READ: twice as
 * many receipt keys), then hub_history_expire with receipts.c's drop hooked
 * in as the plugin hooks it (reach.c), in a history opened as the plugin's
 * default (history_sync 1000: no fsync in the pass). Also the same pass for
 * an announcement without receipts, and for one that was withdrawn. Each run
 * builds a fresh database (untimed) and times the one expiry call; median
 * of RUNS runs.
 *   bench_retention [--villages N] [--runs R] [--dir DIR]
 * Output: result scenario=retention broker=hub metric=<case>_ms value=V */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "history.h"
#include "micro.h"
#include "np.pb-c.h"
#include "receipts.h"
#include "store.h"
#include "validate.h"

static int
drop_receipts(void *ctx, void *txn, const struct hub_hist_item *it)
{
	uint8_t id[16];

	if (strncmp(it->topic, "np/ann/", 7) != 0 || hub_msg_peek_id(it->payload, it->len, id) != 0)
		return 0;
	return hub_receipts_drop_txn(ctx, txn, id);
}

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "bench_retention: %s: %s\n", what, why);
	exit(1);
}

/* A fresh database in dir/db with one announcement (stored at ms 1000) read
 * in villages villages, withdrawn if asked; returns the ms of one expiry. */
static double
one_run(const char *dir, size_t villages, bool withdraw)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Announcement a = NP__ANNOUNCEMENT__INIT;
	struct hub_hist_hook hook = { NULL, drop_receipts, NULL };
	struct hub_receipts *r;
	struct hub_history *h;
	struct hub_store *s;
	uint8_t id[16], buf[256];
	char path[512], cmd[600], err[300], village[16];
	size_t len, added, removed, i;
	double t0, t1;

	snprintf(path, sizeof(path), "%s/db", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		die("rm", path);
	if (hub_store_open(&s, path, HUB_STORE_CREATE, err, sizeof(err)) != 0 || hub_store_init(s) != 0)
		die("store", err);
	if (hub_history_open(&h, s, 1000, err, sizeof(err)) != 0)
		die("history", err);
	if (hub_receipts_open(&r, s, err, sizeof(err)) != 0)
		die("receipts", err);
	hook.ctx = r;
	if (hub_history_add_hook(h, &hook) != 0)
		die("hook", hub_history_error(h));
	memset(id, 0x42, sizeof(id));
	e.id.data = id;
	e.id.len = 16;
	e.received_at_ms = 1000;
	a.title = "national";
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &a;
	len = np__envelope__pack(&e, buf);
	if (hub_history_put(h, hub_history_next_hid(h, 1000), "np/ann/TH/weather", id, "ministry",
			    buf, len) != 0
	    || (withdraw && hub_history_withdraw(h, (const uint8_t (*)[16])id, 1, 1) != 0)
	    || hub_history_commit(h) != 0)
		die("put", hub_history_error(h));
	for (i = 0; i < villages; i++) {
		snprintf(village, sizeof(village), "%08zu", 10000000 + i);
		if (hub_receipts_put(r, village, HUB_RECEIPT_READ, (const uint8_t (*)[16])id, 1,
				     1000, &added) != 0)
			die("receipts", hub_receipts_error(r));
	}
	if (hub_receipts_count(r, &added) != 0 || added != villages * 2)
		die("receipts", "not all stored");
	t0 = now_ns();
	if (hub_history_expire(h, 2000, 1000, hub_msg_peek_id, &removed) != 0 || removed != 1)
		die("expire", hub_history_error(h));
	t1 = now_ns();
	if (hub_receipts_count(r, &added) != 0 || added != 0)
		die("receipts", "left after the pass");
	hub_history_remove_hook(h, r);
	hub_receipts_close(r);
	hub_history_close(h);
	hub_store_close(s);
	return (t1 - t0) / 1e6;
}

static void
report(const char *dir, const char *metric, size_t villages, bool withdraw, int runs)
{
	double v[64];
	int i;

	for (i = 0; i < runs; i++)
		v[i] = one_run(dir, villages, withdraw);
	printf("result scenario=retention broker=hub metric=%s_ms value=%.2f\n", metric,
	       median(v, runs));
}

int
main(int argc, char **argv)
{
	size_t villages = 24700;
	int i, runs = 5;
	char tmpl[] = "/tmp/np-bench-retention-XXXXXX", cmd[128];
	const char *dir = NULL;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--villages") == 0)
			villages = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
	}
	if (runs < 1 || runs > 64 || (dir == NULL && (dir = mkdtemp(tmpl)) == NULL)) {
		fprintf(stderr, "usage: bench_retention [--villages N] [--runs 1..64] [--dir DIR]\n");
		return 2;
	}
	report(dir, "drop_ann_no_receipts", 0, false, runs);
	report(dir, "drop_ann_with_receipts", villages, false, runs);
	report(dir, "drop_withdrawn_ann_with_receipts", villages, true, runs);
	if (dir == tmpl) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
