/* test_receipts.c - checks receipts.c's drop on a real LMDB directory of its
 * own (no broker): dropping one announcement's receipts takes both states in
 * every village (a range over many pages) and nothing of the ids just before
 * and after it in key order; a drop in a transaction that aborts drops
 * nothing; dropping an id without receipts is fine; the count follows. */
#define _GNU_SOURCE             /* unshare, for tmpdb.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "receipts.h"
#include "tmpdb.h"

#define VILLAGES 1500           /* x 2 states x 3 ids: about 200 pages of keys */

static struct tmpdb db;
static struct hub_receipts *r;
static uint8_t ids[3][16];      /* before, the dropped one, after: adjacent keys */

static int
setup(void **state)
{
	char err[256], village[9];
	size_t added, i;

	(void)state;
	tmpdb_open(&db);
	assert_int_equal(mdb_env_set_flags(hub_store_env(db.s), MDB_NOSYNC, 1), 0);
	if (hub_receipts_open(&r, db.s, err, sizeof(err)) != 0)
		fail_msg("receipts: %s", err);
	memset(ids, 0x5a, sizeof(ids));
	ids[0][15] = 0x59;
	ids[2][15] = 0x5b;
	for (i = 0; i < VILLAGES; i++) {
		snprintf(village, sizeof(village), "%08zu", 10000000 + i * 7);
		assert_int_equal(hub_receipts_put(r, village, HUB_RECEIPT_READ,
						  (const uint8_t (*)[16])ids, 3, 1000, &added), 0);
		assert_int_equal(added, 6);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	hub_receipts_close(r);
	r = NULL;
	tmpdb_close(&db);
	return 0;
}

static size_t
count(void)
{
	size_t n = 99;

	assert_int_equal(hub_receipts_count(r, &n), 0);
	return n;
}

struct drop {
	const uint8_t *id;
	int then;               /* returned after the drop: non-zero aborts */
};

static int
do_drop(void *txn, void *arg)
{
	struct drop *d = arg;
	int rc = hub_receipts_drop_txn(r, txn, d->id);

	return rc != 0 ? rc : d->then;
}

/* How many of village's (id, state) records were missing (put them back). */
static size_t
missing(const char *village, const uint8_t id[16])
{
	size_t added = 99;

	assert_int_equal(hub_receipts_put(r, village, HUB_RECEIPT_READ,
					  (const uint8_t (*)[16])id, 1, 2000, &added), 0);
	return added;
}

static void
drop_takes_one_announcements_receipts_and_nothing_beside_them(void **state)
{
	struct drop d = { ids[1], 0 };

	(void)state;
	assert_int_equal(count(), VILLAGES * 6);
	assert_int_equal(hub_store_write(db.s, "drop", do_drop, &d), 0);
	assert_int_equal(count(), VILLAGES * 4);
	assert_int_equal(missing("10000000", ids[0]), 0);
	assert_int_equal(missing("10010493", ids[0]), 0);       /* the last village */
	assert_int_equal(missing("10000000", ids[2]), 0);
	assert_int_equal(missing("10010493", ids[2]), 0);
	assert_int_equal(missing("10000000", ids[1]), 2);       /* DELIVERED and READ */
	assert_int_equal(missing("10010493", ids[1]), 2);
	assert_int_equal(count(), VILLAGES * 4 + 4);
}

static void
drop_of_the_last_id_in_the_table_empties_its_range(void **state)
{
	struct drop d = { ids[2], 0 };

	(void)state;
	assert_int_equal(hub_store_write(db.s, "drop", do_drop, &d), 0);
	assert_int_equal(count(), VILLAGES * 4);
	d.id = ids[0];
	assert_int_equal(hub_store_write(db.s, "drop", do_drop, &d), 0);
	d.id = ids[1];
	assert_int_equal(hub_store_write(db.s, "drop", do_drop, &d), 0);
	assert_int_equal(count(), 0);
}

static void
drop_in_an_aborted_transaction_drops_nothing(void **state)
{
	struct drop d = { ids[1], EIO };
	uint8_t none[16];

	(void)state;
	assert_int_not_equal(hub_store_write(db.s, "drop", do_drop, &d), 0);
	assert_int_equal(count(), VILLAGES * 6);
	memset(none, 0x11, sizeof(none));
	d.id = none;
	d.then = 0;
	assert_int_equal(hub_store_write(db.s, "drop", do_drop, &d), 0);
	assert_int_equal(count(), VILLAGES * 6);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(drop_takes_one_announcements_receipts_and_nothing_beside_them),
		T(drop_of_the_last_id_in_the_table_empties_its_range),
		T(drop_in_an_aborted_transaction_drops_nothing),
	};
#undef T

	return cmocka_run_group_tests_name("receipts", tests, NULL, NULL);
}
