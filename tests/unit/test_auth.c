/* test_auth.c - checks auth.c against a real store (no broker, no sleeps):
 * logins with the KDF, the reasons of refused ones, the remembered credential
 * that spares the KDF while the user's salt is unchanged, a new salt or a
 * deleted user dropping it, and np-admin's changes seen by the next answer:
 * a user deleted or whose rights or password changed is pending (no
 * principal) until its sessions are taken care of, others are not. */
#define _GNU_SOURCE             /* unshare, for tmpdb.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "refusal.h"
#include "tmpdb.h"

static struct tmpdb db;
static struct hub_auth *a;

static int
setup(void **state)
{
	(void)state;
	tmpdb_open(&db);
	assert_int_equal(hub_auth_new(&a, db.s), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	hub_auth_free(a);
	a = NULL;
	tmpdb_close(&db);
	return 0;
}

static struct hub_user
user(const char *name, enum hub_role role, const char *area, const char *password)
{
	struct hub_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	u.role = role;
	snprintf(u.area, sizeof(u.area), "%s", area);
	u.iterations = HUB_KDF_MIN_ITERATIONS;
	assert_int_equal(hub_kdf_new(password, strlen(password), u.iterations, u.salt, u.hash), 0);
	return u;
}

static void
add(const char *name, enum hub_role role, const char *area, const char *password)
{
	struct hub_user u = user(name, role, area, password);

	assert_int_equal(hub_store_user_add(db.s, &u), 0);
}

/* np-admin's "user del" and "user add": a new salt, same name. */
static void
replace(const char *name, enum hub_role role, const char *area, const char *password)
{
	assert_int_equal(hub_store_user_del(db.s, name), 0);
	add(name, role, area, password);
}

static void
a_right_password_gets_in_and_a_wrong_one_is_told_so(void **state)
{
	(void)state;
	add("somchai", HUB_ROLE_VOLUNTEER, "50010101", "somchai-pw");
	assert_int_equal(HUB_OK, hub_auth_login(a, "somchai", "somchai-pw"));
	assert_int_equal(hub_auth_login(a, "somchai", "somchai-pw "), HUB_R_WRONG_PASSWORD);
	assert_int_equal(hub_auth_login(a, "somchai", ""), HUB_R_WRONG_PASSWORD);
	assert_int_equal(HUB_OK, hub_auth_login(a, "somchai", "somchai-pw"));
}

static void
logins_without_a_known_user_are_refused_with_their_reason(void **state)
{
	(void)state;
	add("somchai", HUB_ROLE_VOLUNTEER, "50010101", "somchai-pw");
	assert_int_equal(hub_auth_login(a, NULL, "x"), HUB_R_NO_USERNAME);
	assert_int_equal(hub_auth_login(a, "somchai", NULL), HUB_R_NO_PASSWORD);
	assert_int_equal(hub_auth_login(a, "ghost", "x"), HUB_R_UNKNOWN_USER);
	assert_int_equal(hub_auth_login(a, "som+chai", "x"), HUB_R_UNKNOWN_USER);
	assert_int_equal(hub_auth_login(a, "50010101", "x"), HUB_R_UNKNOWN_USER);
	assert_int_equal(hub_auth_login(a, "", "x"), HUB_R_UNKNOWN_USER);
	assert_int_equal(hub_auth_login(a, "SOMCHAI", "somchai-pw"), HUB_R_UNKNOWN_USER);
	assert_null(hub_auth_principal(a, "ghost"));
	assert_null(hub_auth_principal(a, NULL));
}

static void
a_verified_password_is_known_until_the_salt_changes(void **state)
{
	(void)state;
	add("malee", HUB_ROLE_VOLUNTEER, "50010102", "old-pw");
	assert_false(hub_auth_known(a, "malee", "old-pw"));     /* never verified yet */
	assert_int_equal(hub_auth_login(a, "malee", "bad"), HUB_R_WRONG_PASSWORD);
	assert_false(hub_auth_known(a, "malee", "bad"));
	assert_int_equal(HUB_OK, hub_auth_login(a, "malee", "old-pw"));
	assert_true(hub_auth_known(a, "malee", "old-pw"));
	assert_false(hub_auth_known(a, "malee", "old-pw2"));
	assert_false(hub_auth_known(a, "nobody", "old-pw"));
	assert_false(hub_auth_known(a, NULL, "old-pw"));
	assert_false(hub_auth_known(a, "malee", NULL));
	/* np-admin sets a new password: known no more, at once, without a tick */
	replace("malee", HUB_ROLE_VOLUNTEER, "50010102", "new-pw");
	assert_false(hub_auth_known(a, "malee", "old-pw"));
	assert_int_equal(hub_auth_login(a, "malee", "old-pw"), HUB_R_WRONG_PASSWORD);
	assert_int_equal(HUB_OK, hub_auth_login(a, "malee", "new-pw"));
	assert_true(hub_auth_known(a, "malee", "new-pw"));
}

/* The remembered credential is what lets a login skip the KDF: a user whose
 * stored hash matches no password but whose salt is unchanged still gets in
 * with the password verified before, and only with that one. */
static void
a_remembered_password_spares_the_kdf_while_the_salt_is_unchanged(void **state)
{
	struct hub_user u;

	(void)state;
	add("nok", HUB_ROLE_RESIDENT, "50010101", "nok-pw");
	assert_int_equal(HUB_OK, hub_auth_login(a, "nok", "nok-pw"));
	assert_int_equal(hub_store_user_get(db.s, "nok", &u), 0);
	memset(u.hash, 0, sizeof(u.hash));
	assert_int_equal(hub_store_user_del(db.s, "nok"), 0);
	assert_int_equal(hub_store_user_add(db.s, &u), 0);
	assert_int_equal(HUB_OK, hub_auth_login(a, "nok", "nok-pw"));        /* from memory */
	assert_int_equal(hub_auth_login(a, "nok", "other"), HUB_R_WRONG_PASSWORD);
	/* another process has no such memory: the KDF refuses it */
	hub_auth_free(a);
	assert_int_equal(hub_auth_new(&a, db.s), 0);
	assert_int_equal(hub_auth_login(a, "nok", "nok-pw"), HUB_R_WRONG_PASSWORD);
}

static void
a_deleted_user_is_unknown_at_the_next_login(void **state)
{
	(void)state;
	add("vol_5002", HUB_ROLE_VOLUNTEER, "50020301", "pw");
	assert_int_equal(HUB_OK, hub_auth_login(a, "vol_5002", "pw"));
	assert_int_equal(hub_store_user_del(db.s, "vol_5002"), 0);
	assert_false(hub_auth_known(a, "vol_5002", "pw"));
	assert_int_equal(hub_auth_login(a, "vol_5002", "pw"), HUB_R_UNKNOWN_USER);
	assert_null(hub_auth_principal(a, "vol_5002"));
	add("vol_5002", HUB_ROLE_VOLUNTEER, "50020301", "pw");
	assert_false(hub_auth_known(a, "vol_5002", "pw"));     /* a new user, a new salt */
	assert_int_equal(HUB_OK, hub_auth_login(a, "vol_5002", "pw"));
}

static void
a_principal_carries_the_stored_role_scope_and_categories(void **state)
{
	const struct hub_principal *p;
	struct hub_user u = user("cm_agency", HUB_ROLE_AGENCY, "50", "pw");

	(void)state;
	u.categories = 1u << 2;
	assert_int_equal(hub_store_user_add(db.s, &u), 0);
	p = hub_auth_principal(a, "cm_agency");         /* no login needed */
	assert_non_null(p);
	assert_string_equal(p->username, "cm_agency");
	assert_int_equal(p->role, HUB_ROLE_AGENCY);
	assert_string_equal(p->scope, "50");
	assert_int_equal(p->categories, 1u << 2);
}

/* hub_auth_take_pending's callback: the names, comma-separated */
static void
note(void *arg, const char *name)
{
	char *list = arg;

	strcat(list, name);
	strcat(list, ",");
}

static void
changes_are_seen_at_once_and_changed_users_are_pending(void **state)
{
	const struct hub_principal *p;
	char taken[256] = "";

	(void)state;
	add("muang_official", HUB_ROLE_OFFICIAL, "5001", "pw");
	add("ministry", HUB_ROLE_OFFICIAL, "TH", "pw2");
	add("somchai", HUB_ROLE_VOLUNTEER, "50010101", "pw3");
	assert_int_equal(HUB_OK, hub_auth_login(a, "muang_official", "pw"));
	assert_int_equal(HUB_OK, hub_auth_login(a, "ministry", "pw2"));
	assert_int_equal(HUB_OK, hub_auth_login(a, "somchai", "pw3"));
	p = hub_auth_principal(a, "muang_official");
	assert_string_equal(p->scope, "5001");

	/* np-admin moves one official and deletes the other: no tick needed */
	replace("muang_official", HUB_ROLE_OFFICIAL, "5002", "pw");
	assert_int_equal(hub_store_user_del(db.s, "ministry"), 0);
	assert_null(hub_auth_principal(a, "muang_official"));   /* pending */
	assert_null(hub_auth_principal(a, "ministry"));
	assert_non_null(hub_auth_principal(a, "somchai"));      /* unchanged */
	hub_auth_take_pending(a, note, taken);
	assert_string_equal(taken, "muang_official,ministry,");
	p = hub_auth_principal(a, "muang_official");
	assert_non_null(p);
	assert_string_equal(p->scope, "5002");
	assert_null(hub_auth_principal(a, "ministry"));
	/* the new salt dropped the remembered password too; the KDF still lets it in */
	assert_false(hub_auth_known(a, "muang_official", "pw"));
	assert_int_equal(HUB_OK, hub_auth_login(a, "muang_official", "pw"));
	assert_int_equal(hub_auth_login(a, "ministry", "pw2"), HUB_R_UNKNOWN_USER);

	/* no change: a tick keeps what is cached, no one is pending */
	taken[0] = '\0';
	hub_auth_tick(a);
	hub_auth_take_pending(a, note, taken);
	assert_string_equal(taken, "");
	assert_true(hub_auth_known(a, "muang_official", "pw"));
}

static void
a_change_of_rights_alone_makes_a_user_pending_and_others_do_not(void **state)
{
	struct hub_user u;
	char taken[256] = "";

	(void)state;
	add("cm_agency", HUB_ROLE_AGENCY, "50", "pw");
	add("malee", HUB_ROLE_VOLUNTEER, "50010102", "pw2");
	assert_int_equal(HUB_OK, hub_auth_login(a, "cm_agency", "pw"));
	assert_non_null(hub_auth_principal(a, "malee"));
	/* another user added, one rewritten as it was: no one's rights moved */
	add("nok", HUB_ROLE_RESIDENT, "50010101", "pw3");
	assert_int_equal(hub_store_user_get(db.s, "malee", &u), 0);
	assert_int_equal(hub_store_user_update(db.s, &u), 0);
	hub_auth_tick(a);
	hub_auth_take_pending(a, note, taken);
	assert_string_equal(taken, "");
	/* new categories only, same password: pending until settled */
	assert_int_equal(hub_store_user_get(db.s, "cm_agency", &u), 0);
	u.categories = 1u << 3;
	assert_int_equal(hub_store_user_update(db.s, &u), 0);
	hub_auth_tick(a);
	assert_null(hub_auth_principal(a, "cm_agency"));
	assert_true(hub_auth_known(a, "cm_agency", "pw"));      /* may log in again */
	assert_true(hub_auth_settle(a, "cm_agency"));
	assert_false(hub_auth_settle(a, "cm_agency"));
	assert_int_equal(hub_auth_principal(a, "cm_agency")->categories, 1u << 3);
	hub_auth_take_pending(a, note, taken);
	assert_string_equal(taken, "");
	/* a role change of a user the cache never saw concerns no session */
	assert_int_equal(hub_store_user_get(db.s, "nok", &u), 0);
	u.role = HUB_ROLE_VOLUNTEER;
	assert_int_equal(hub_store_user_update(db.s, &u), 0);
	assert_non_null(hub_auth_principal(a, "nok"));
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(a_right_password_gets_in_and_a_wrong_one_is_told_so),
		T(logins_without_a_known_user_are_refused_with_their_reason),
		T(a_verified_password_is_known_until_the_salt_changes),
		T(a_remembered_password_spares_the_kdf_while_the_salt_is_unchanged),
		T(a_deleted_user_is_unknown_at_the_next_login),
		T(a_principal_carries_the_stored_role_scope_and_categories),
		T(changes_are_seen_at_once_and_changed_users_are_pending),
		T(a_change_of_rights_alone_makes_a_user_pending_and_others_do_not),
	};
#undef T

	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
