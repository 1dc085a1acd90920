/* test_guard.c - checks guard.c: a client id belongs to the user who used it
 * first, online or with a persistent session, and is free again after a
 * clean one; a user's own reconnect replaces its connection and
 * marks the old one as going; connections per user are capped; a client is
 * "going" from its disconnection to its next login, admitted or not; a token
 * session is cut when its token no longer holds, and kicked once; a user's
 * live client ids are listed (to disconnect them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"

static int c1, c2, c3;          /* stand-ins for the broker's clients */

static void
a_client_id_belongs_to_its_first_user(void **state)
{
	struct hub_guard *g;

	(void)state;
	assert_int_equal(hub_guard_new(&g, 10), 0);
	{
		char id[HUB_GUARD_MAX_ID_LEN + 2];

		memset(id, 'x', sizeof(id) - 1);
		id[sizeof(id) - 1] = '\0';
		assert_int_equal(hub_guard_admit(g, id, "somchai"), HUB_R_CLIENT_ID_TOO_LONG);
		id[sizeof(id) - 2] = '\0';
		assert_int_equal(hub_guard_admit(g, id, "somchai"), HUB_OK);
	}
	assert_int_equal(HUB_OK, hub_guard_admit(g, "phone-1", "somchai"));
	assert_int_equal(hub_guard_connected(g, &c1, "phone-1", "somchai", 0), 0);
	assert_int_equal(hub_guard_admit(g, "phone-1", "cm_official"), HUB_R_CLIENT_ID_TAKEN);
	hub_guard_disconnected(g, &c1, false, 10);
	/* offline (a persistent session may wait for it): still somchai's */
	assert_int_equal(hub_guard_admit(g, "phone-1", "cm_official"), HUB_R_CLIENT_ID_TAKEN);
	assert_int_equal(HUB_OK, hub_guard_admit(g, "phone-1", "somchai"));
	/* a clean session leaves nothing behind: the id is free again */
	assert_int_equal(hub_guard_connected(g, &c2, "phone-2", "somchai", 20), 0);
	hub_guard_disconnected(g, &c2, true, 30);
	assert_int_equal(HUB_OK, hub_guard_admit(g, "phone-2", "cm_official"));
	hub_guard_free(g);
}

static void
a_reconnect_of_the_same_user_replaces_and_marks_the_old_one_going(void **state)
{
	struct hub_guard *g;

	(void)state;
	assert_int_equal(hub_guard_new(&g, 1), 0);
	assert_int_equal(hub_guard_connected(g, &c1, "phone-1", "somchai", 0), 0);
	assert_false(hub_guard_going(g, &c1));
	/* at the limit of 1, yet its own id replaces its own connection */
	assert_int_equal(HUB_OK, hub_guard_admit(g, "phone-1", "somchai"));
	assert_int_equal(hub_guard_admit(g, "phone-2", "somchai"), HUB_R_TOO_MANY_CONNECTIONS);
	assert_int_equal(hub_guard_connected(g, &c2, "phone-1", "somchai", 1), 0);
	assert_true(hub_guard_going(g, &c1));   /* its will, if any, comes next */
	hub_guard_disconnected(g, &c1, true, 2);
	assert_int_equal(hub_guard_count(g, "somchai"), 1);
	assert_false(hub_guard_going(g, &c2));
	hub_guard_free(g);
}

static void
connections_are_counted_per_user(void **state)
{
	struct hub_guard *g;

	(void)state;
	assert_int_equal(hub_guard_new(&g, 2), 0);
	assert_int_equal(hub_guard_connected(g, &c1, "a1", "somchai", 0), 0);
	assert_int_equal(hub_guard_connected(g, &c2, "a2", "somchai", 0), 0);
	assert_int_equal(hub_guard_admit(g, "a3", "somchai"), HUB_R_TOO_MANY_CONNECTIONS);
	assert_int_equal(HUB_OK, hub_guard_admit(g, "b1", "cm_official"));
	hub_guard_disconnected(g, &c2, true, 5);
	assert_int_equal(HUB_OK, hub_guard_admit(g, "a3", "somchai"));
	assert_int_equal(hub_guard_count(g, "somchai"), 1);
	hub_guard_free(g);
}

static void
a_client_is_going_from_disconnection_to_its_next_login(void **state)
{
	struct hub_guard *g;

	(void)state;
	assert_int_equal(hub_guard_new(&g, 10), 0);
	/* a refused login was never recorded, yet its will is checked next */
	hub_guard_disconnected(g, &c3, true, 0);
	assert_true(hub_guard_going(g, &c3));
	assert_null(hub_guard_user(g, &c3));
	assert_int_equal(hub_guard_connected(g, &c1, "x", "somchai", 0), 0);
	hub_guard_disconnected(g, &c1, false, 1);
	assert_true(hub_guard_going(g, &c1));
	assert_string_equal(hub_guard_user(g, &c1), "somchai");
	/* the same address reused by a new login: not going */
	assert_int_equal(hub_guard_connected(g, &c1, "y", "nok", 2), 0);
	assert_false(hub_guard_going(g, &c1));
	assert_string_equal(hub_guard_user(g, &c1), "nok");
	hub_guard_free(g);
}

/* The holds callback of hub_guard_cut_tokens: c2's token no longer holds. */
static bool
all_but_c2s(void *ctx, const char *user, const uint8_t *id)
{
	(void)ctx;
	(void)user;
	return id[0] != 2;
}

static bool
all_hold(void *ctx, const char *user, const uint8_t *id)
{
	(void)ctx;
	(void)user;
	(void)id;
	return true;
}

static bool
none_holds(void *ctx, const char *user, const uint8_t *id)
{
	(void)ctx;
	(void)user;
	(void)id;
	return false;
}

static int kicks;

static void
count_kick(void *ctx, const char *cid)
{
	(void)ctx;
	assert_string_equal(cid, "tab-2");
	kicks++;
}

static void
token_sessions_are_cut_when_revoked_or_expired_and_kicked_once(void **state)
{
	struct hub_guard *g;
	uint8_t t1[16] = { 1 }, t2[16] = { 2 };
	int64_t next = -1;

	(void)state;
	assert_int_equal(hub_guard_new(&g, 10), 0);
	assert_int_equal(hub_guard_connected(g, &c1, "tab-1", "somchai", 0), 0);
	assert_int_equal(hub_guard_connected(g, &c2, "tab-2", "somchai", 0), 0);
	assert_int_equal(hub_guard_connected(g, &c3, "pw-3", "somchai", 0), 0);
	assert_int_equal(hub_guard_set_token(g, &c1, t1, 5000), 0);
	assert_int_equal(hub_guard_set_token(g, &c2, t2, 0), 0);
	assert_memory_equal(hub_guard_token(g, &c1), t1, 16);
	assert_null(hub_guard_token(g, &c3));   /* logged in with its password */
	/* a revocation: every token session is asked, only c2's is cut */
	assert_int_equal(hub_guard_cut_tokens(g, true, 10, all_but_c2s, NULL, &next), 1);
	assert_int_equal(next, 5000);
	assert_false(hub_guard_is_cut(g, &c1));
	assert_true(hub_guard_is_cut(g, &c2));
	assert_false(hub_guard_is_cut(g, &c3));
	kicks = 0;
	hub_guard_kick_cut(g, count_kick, NULL, 100);
	hub_guard_kick_cut(g, count_kick, NULL, 100);
	assert_int_equal(kicks, 1);
	hub_guard_disconnected(g, &c2, true, 20);
	assert_false(hub_guard_is_cut(g, &c2));
	/* no revocation: only sessions past their expiry are asked */
	assert_int_equal(hub_guard_cut_tokens(g, false, 4999, none_holds, NULL, &next), 0);
	assert_int_equal(hub_guard_cut_tokens(g, false, 5000, all_hold, NULL, &next), 0);
	assert_int_equal(hub_guard_cut_tokens(g, false, 5000, none_holds, NULL, &next), 1);
	assert_true(hub_guard_is_cut(g, &c1));
	assert_int_equal(next, 0);
	hub_guard_free(g);
}

static void
a_users_live_ids_are_listed_without_going_or_other_users_ones(void **state)
{
	struct hub_guard *g;
	char **ids;

	(void)state;
	assert_int_equal(hub_guard_new(&g, 10), 0);
	assert_int_equal(hub_guard_connected(g, &c1, "phone-1", "somchai", 0), 0);
	assert_int_equal(hub_guard_connected(g, &c2, "tablet", "somchai", 0), 0);
	assert_int_equal(hub_guard_connected(g, &c3, "malee-1", "malee", 0), 0);
	hub_guard_disconnected(g, &c1, false, 1);
	ids = hub_guard_live_ids(g, "somchai");
	assert_non_null(ids);
	assert_string_equal(ids[0], "tablet");
	assert_null(ids[1]);
	hub_guard_ids_free(ids);
	ids = hub_guard_live_ids(g, "nobody");
	assert_non_null(ids);
	assert_null(ids[0]);
	hub_guard_ids_free(ids);
	hub_guard_ids_free(NULL);
	hub_guard_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_client_id_belongs_to_its_first_user),
		cmocka_unit_test(a_reconnect_of_the_same_user_replaces_and_marks_the_old_one_going),
		cmocka_unit_test(connections_are_counted_per_user),
		cmocka_unit_test(a_client_is_going_from_disconnection_to_its_next_login),
		cmocka_unit_test(token_sessions_are_cut_when_revoked_or_expired_and_kicked_once),
		cmocka_unit_test(a_users_live_ids_are_listed_without_going_or_other_users_ones),
	};

	return cmocka_run_group_tests_name("guard", tests, NULL, NULL);
}
