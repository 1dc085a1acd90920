/* test_idset.c - checks that idset.c's delete (backward shift) keeps every
 * other id findable: against a plain array under random adds and deletes in
 * a small table (long probe runs, runs that wrap past the last slot), that
 * deleting all leaves an empty set that fills again, and that deleting what
 * is not there changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "idset.h"

#define UNIVERSE 300

/* The i-th test id (i >= 1): distinct, never all zero. */
static void
test_id(uint32_t i, uint8_t id[16])
{
	memset(id, 0, 16);
	memcpy(id + 12, &i, sizeof(i));
	id[0] = (uint8_t)(i * 37);
}

static void
assert_same(const struct hub_idset *s, const bool *in)
{
	uint8_t id[16];
	size_t n = 0;
	uint32_t i;

	for (i = 1; i <= UNIVERSE; i++) {
		test_id(i, id);
		assert_int_equal(hub_idset_has(s, id), in[i]);
		n += in[i];
	}
	assert_int_equal(s->n, n);
}

static void
idset_delete_keeps_every_other_id_under_random_churn(void **state)
{
	struct hub_idset s = { 0 };
	bool in[UNIVERSE + 1] = { false };
	uint8_t id[16];
	uint32_t i, op;
	bool was;

	(void)state;
	srand(7);
	for (op = 0; op < 20000; op++) {
		i = 1 + (uint32_t)rand() % UNIVERSE;
		test_id(i, id);
		if (rand() % 5 < 3) {
			assert_int_equal(hub_idset_add(&s, id), 0);
			in[i] = true;
		} else {
			was = hub_idset_del(&s, id);
			assert_int_equal(was, in[i]);
			in[i] = false;
		}
		if (op % 97 == 0)
			assert_same(&s, in);
	}
	assert_same(&s, in);
	hub_idset_clear(&s);
}

static void
idset_emptied_by_deletes_fills_again(void **state)
{
	struct hub_idset s = { 0 };
	bool in[UNIVERSE + 1] = { false };
	uint8_t id[16];
	size_t cap;
	uint32_t i;

	(void)state;
	for (i = 1; i <= UNIVERSE; i++) {
		test_id(i, id);
		assert_int_equal(hub_idset_add(&s, id), 0);
	}
	cap = s.cap;
	for (i = UNIVERSE; i >= 1; i -= 2) {    /* every other one, from the top */
		test_id(i, id);
		assert_true(hub_idset_del(&s, id));
		assert_false(hub_idset_del(&s, id));    /* gone: the second time finds nothing */
	}
	for (i = 1; i <= UNIVERSE; i += 2)
		in[i] = true;
	assert_same(&s, in);
	for (i = 1; i <= UNIVERSE; i += 2) {
		test_id(i, id);
		assert_true(hub_idset_del(&s, id));
		in[i] = false;
	}
	assert_same(&s, in);
	assert_int_equal(s.cap, cap);           /* a delete never allocates */
	for (i = 1; i <= UNIVERSE; i++) {
		test_id(i, id);
		assert_int_equal(hub_idset_add(&s, id), 0);
		in[i] = true;
	}
	assert_same(&s, in);
	hub_idset_clear(&s);
}

static void
idset_delete_of_what_is_not_there_changes_nothing(void **state)
{
	struct hub_idset s = { 0 };
	uint8_t id[16], zero[16] = { 0 };

	(void)state;
	test_id(1, id);
	assert_false(hub_idset_del(&s, id));    /* an empty set, no table yet */
	assert_int_equal(hub_idset_add(&s, id), 0);
	assert_false(hub_idset_del(&s, zero));
	test_id(2, id);
	assert_false(hub_idset_del(&s, id));
	assert_int_equal(s.n, 1);
	test_id(1, id);
	assert_true(hub_idset_has(&s, id));
	hub_idset_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idset_delete_keeps_every_other_id_under_random_churn),
		cmocka_unit_test(idset_emptied_by_deletes_fills_again),
		cmocka_unit_test(idset_delete_of_what_is_not_there_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
