/* test_store.c - checks store.c on a real LMDB directory of its own (no
 * broker, no sleeps): users round-trip every field and are added all or none,
 * listed in name order and counted by a generation; places are written in
 * batches that see their own writes; a secret is made once; a full map grows
 * and the write goes through; a full disk refuses the write with the reason
 * and keeps everything committed before it; an audit record commits with the
 * change it records, or alone with the error of a refused one, one per
 * command, listed oldest first from a time on. */
#define _GNU_SOURCE             /* unshare, for tmpdb_small_disk */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tmpdb.h"

static struct tmpdb db;

static int
setup(void **state)
{
	(void)state;
	tmpdb_open(&db);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdb_close(&db);
	return 0;
}

static struct hub_user
user(const char *name, enum hub_role role, const char *area)
{
	struct hub_user u;
	size_t i;

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	u.role = role;
	snprintf(u.area, sizeof(u.area), "%s", area);
	u.categories = 0x0105;
	u.iterations = 123456;
	for (i = 0; i < HUB_KDF_SALT_LEN; i++)
		u.salt[i] = (uint8_t)(i + name[0]);
	for (i = 0; i < HUB_KDF_HASH_LEN; i++)
		u.hash[i] = (uint8_t)(255 - i);
	return u;
}

static void
opening_a_missing_database_without_create_says_how_to_make_one(void **state)
{
	struct hub_store *s = (struct hub_store *)1;
	char dir[128], err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/none", db.dir);
	assert_int_equal(hub_store_open(&s, dir, 0, err, sizeof(err)), HUB_STORE_ERROR);
	assert_null(s);
	assert_non_null(strstr(err, "does not exist"));
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(hub_store_open(&s, dir, 0, err, sizeof(err)), HUB_STORE_ERROR);
	assert_non_null(strstr(err, "np-admin --db"));
}

static void
a_created_but_uninitialised_database_is_refused_until_init(void **state)
{
	struct hub_store *s;
	char dir[128], err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/fresh", db.dir);
	assert_int_equal(hub_store_open(&s, dir, HUB_STORE_CREATE, err, sizeof(err)), 0);
	hub_store_close(s);
	assert_int_equal(hub_store_open(&s, dir, 0, err, sizeof(err)), HUB_STORE_ERROR);
	assert_string_equal(err, "database is not initialised (run np-admin init)");
	assert_int_equal(hub_store_open(&s, dir, HUB_STORE_CREATE, err, sizeof(err)), 0);
	assert_int_equal(hub_store_init(s), 0);
	assert_int_equal(hub_store_init(s), 0);         /* idempotent */
	hub_store_close(s);
	assert_int_equal(hub_store_open(&s, dir, 0, err, sizeof(err)), 0);
	hub_store_close(s);
}

static void
a_user_round_trips_every_field_and_survives_reopening(void **state)
{
	struct hub_user u = user("somchai", HUB_ROLE_VOLUNTEER, "50010101"), got;
	char err[256];

	(void)state;
	assert_int_equal(hub_store_user_add(db.s, &u), 0);
	hub_store_close(db.s);
	assert_int_equal(hub_store_open(&db.s, db.db, 0, err, sizeof(err)), 0);
	memset(&got, 0xaa, sizeof(got));
	assert_int_equal(hub_store_user_get(db.s, "somchai", &got), 0);
	assert_string_equal(got.name, "somchai");
	assert_int_equal(got.role, HUB_ROLE_VOLUNTEER);
	assert_string_equal(got.area, "50010101");
	assert_int_equal(got.categories, 0x0105);
	assert_int_equal(got.iterations, 123456);
	assert_memory_equal(got.salt, u.salt, HUB_KDF_SALT_LEN);
	assert_memory_equal(got.hash, u.hash, HUB_KDF_HASH_LEN);
}

static void
adding_a_taken_name_is_exists_and_unknown_names_are_notfound(void **state)
{
	struct hub_user u = user("malee", HUB_ROLE_VOLUNTEER, "50010102"), got;
	struct hub_user other = user("malee", HUB_ROLE_OFFICIAL, "50");

	(void)state;
	assert_int_equal(hub_store_user_add(db.s, &u), 0);
	assert_int_equal(hub_store_user_add(db.s, &other), HUB_STORE_EXISTS);
	assert_int_equal(hub_store_user_get(db.s, "malee", &got), 0);
	assert_int_equal(got.role, HUB_ROLE_VOLUNTEER);        /* the first one kept */
	assert_int_equal(hub_store_user_get(db.s, "ghost", &got), HUB_STORE_NOTFOUND);
	assert_int_equal(hub_store_user_get(db.s, "", &got), HUB_STORE_NOTFOUND);
	assert_int_equal(hub_store_user_del(db.s, "ghost"), HUB_STORE_NOTFOUND);
	assert_int_equal(hub_store_user_del(db.s, "malee"), 0);
	assert_int_equal(hub_store_user_get(db.s, "malee", &got), HUB_STORE_NOTFOUND);
}

static void
users_are_added_all_or_none_and_the_taken_one_is_named(void **state)
{
	struct hub_user us[3] = {
		user("a1", HUB_ROLE_RESIDENT, "50010101"),
		user("a2", HUB_ROLE_RESIDENT, "50010101"),
		user("a3", HUB_ROLE_RESIDENT, "50010101"),
	};
	struct hub_user taken = user("a2", HUB_ROLE_OFFICIAL, "50"), got;
	size_t bad = 99;

	(void)state;
	assert_int_equal(hub_store_user_add(db.s, &taken), 0);
	assert_int_equal(hub_store_users_add(db.s, us, 3, &bad), HUB_STORE_EXISTS);
	assert_int_equal(bad, 1);
	assert_int_equal(hub_store_user_get(db.s, "a1", &got), HUB_STORE_NOTFOUND);
	assert_int_equal(hub_store_user_get(db.s, "a3", &got), HUB_STORE_NOTFOUND);
	assert_int_equal(hub_store_user_del(db.s, "a2"), 0);
	assert_int_equal(hub_store_users_add(db.s, us, 3, &bad), 0);
	assert_int_equal(bad, 3);
	assert_int_equal(hub_store_user_get(db.s, "a3", &got), 0);
}

struct names {
	char list[256];
	int stop_after;
	int seen;
};

static int
collect_name(void *ctx, const struct hub_user *u)
{
	struct names *n = ctx;

	strcat(n->list, u->name);
	strcat(n->list, ",");
	return ++n->seen == n->stop_after;
}

static void
users_are_listed_in_name_order_until_the_callback_stops(void **state)
{
	static const char *const names[] = { "nok", "admin", "somchai", "cm_official", "malee" };
	struct names n;
	struct hub_user u;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		u = user(names[i], HUB_ROLE_RESIDENT, "50010101");
		assert_int_equal(hub_store_user_add(db.s, &u), 0);
	}
	memset(&n, 0, sizeof(n));
	assert_int_equal(hub_store_user_each(db.s, collect_name, &n), 0);
	assert_string_equal(n.list, "admin,cm_official,malee,nok,somchai,");
	memset(&n, 0, sizeof(n));
	n.stop_after = 2;
	assert_int_equal(hub_store_user_each(db.s, collect_name, &n), 0);
	assert_string_equal(n.list, "admin,cm_official,");
}

static void
the_generation_counts_each_change_and_not_refused_ones(void **state)
{
	struct hub_user u = user("nok", HUB_ROLE_RESIDENT, "50010101");
	uint64_t g0 = hub_store_users_generation(db.s);

	(void)state;
	assert_int_equal(hub_store_user_add(db.s, &u), 0);
	assert_int_equal(hub_store_users_generation(db.s), g0 + 1);
	assert_int_equal(hub_store_user_add(db.s, &u), HUB_STORE_EXISTS);
	assert_int_equal(hub_store_user_del(db.s, "ghost"), HUB_STORE_NOTFOUND);
	assert_int_equal(hub_store_users_generation(db.s), g0 + 1);
	assert_int_equal(hub_store_user_del(db.s, "nok"), 0);
	assert_int_equal(hub_store_users_generation(db.s), g0 + 2);
}

static void
an_update_replaces_a_user_and_counts_as_a_change(void **state)
{
	struct hub_user u = user("nok", HUB_ROLE_RESIDENT, "50010101"), got;
	uint64_t g0, v0, v1, seen;

	(void)state;
	assert_int_equal(hub_store_user_update(db.s, &u), HUB_STORE_NOTFOUND);
	assert_int_equal(hub_store_user_add(db.s, &u), 0);
	g0 = hub_store_users_seen(db.s, &seen);
	v0 = hub_store_version(db.s);
	assert_int_equal(seen, v0);
	snprintf(u.area, sizeof(u.area), "%s", "50010102");
	u.salt[0] ^= 1;
	assert_int_equal(hub_store_user_update(db.s, &u), 0);
	v1 = hub_store_version(db.s);
	assert_true(v1 > v0);
	assert_int_equal(hub_store_users_seen(db.s, &seen), g0 + 1);
	assert_int_equal(seen, v1);
	assert_int_equal(hub_store_user_get(db.s, "nok", &got), 0);
	assert_string_equal(got.area, "50010102");
	assert_memory_equal(got.salt, u.salt, HUB_KDF_SALT_LEN);
	/* nothing else commits: the version stays */
	assert_int_equal(hub_store_version(db.s), v1);
}

static struct hub_place
place(const char *code, const char *th, const char *en)
{
	struct hub_place p;

	memset(&p, 0, sizeof(p));
	snprintf(p.code, sizeof(p.code), "%s", code);
	snprintf(p.name_th, sizeof(p.name_th), "%s", th);
	snprintf(p.name_en, sizeof(p.name_en), "%s", en);
	return p;
}

struct placelist {
	char list[512];
};

static int
collect_place(void *ctx, const struct hub_place *p)
{
	struct placelist *l = ctx;
	size_t n = strlen(l->list);

	snprintf(l->list + n, sizeof(l->list) - n, "%s=%s/%s;", p->code, p->name_th, p->name_en);
	return 0;
}

static void
a_place_batch_sees_its_own_writes_and_an_abort_leaves_nothing(void **state)
{
	struct hub_place p = place("50", "เชียงใหม่", "Chiang Mai");

	(void)state;
	assert_int_equal(hub_store_batch_begin(db.s), 0);
	assert_false(hub_store_batch_place_exists(db.s, "50"));
	assert_int_equal(hub_store_batch_place_put(db.s, &p), 0);
	assert_true(hub_store_batch_place_exists(db.s, "50"));
	hub_store_batch_abort(db.s);
	assert_false(hub_store_place_exists(db.s, "50"));
	assert_int_equal(hub_store_batch_begin(db.s), 0);
	assert_int_equal(hub_store_batch_place_put(db.s, &p), 0);
	assert_int_equal(hub_store_batch_commit(db.s), 0);
	assert_true(hub_store_place_exists(db.s, "50"));
	assert_false(hub_store_place_exists(db.s, "5"));
	assert_false(hub_store_place_exists(db.s, ""));
}

static void
places_are_listed_by_prefix_in_code_order_and_counted_by_level(void **state)
{
	static const char *const codes[][3] = {
		{ "5001", "เมือง", "Mueang" }, { "50", "เชียงใหม่", "Chiang Mai" },
		{ "10", "กรุงเทพ", "Bangkok" }, { "500101", "ศรีภูมิ", "Si Phum" },
		{ "50010101", "หมู่ 1", "Mu 1" }, { "50010102", "หมู่ 2", "" },
	};
	size_t counts[HUB_LEVEL_VILLAGE + 1];
	struct placelist l;
	struct hub_place p;
	size_t i;

	(void)state;
	assert_int_equal(hub_store_batch_begin(db.s), 0);
	for (i = 0; i < 6; i++) {
		p = place(codes[i][0], codes[i][1], codes[i][2]);
		assert_int_equal(hub_store_batch_place_put(db.s, &p), 0);
	}
	assert_int_equal(hub_store_batch_commit(db.s), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(hub_store_place_each(db.s, "5001", collect_place, &l), 0);
	assert_string_equal(l.list, "5001=เมือง/Mueang;500101=ศรีภูมิ/Si Phum;"
			    "50010101=หมู่ 1/Mu 1;50010102=หมู่ 2/;");
	memset(&l, 0, sizeof(l));
	assert_int_equal(hub_store_place_each(db.s, "", collect_place, &l), 0);
	assert_true(strncmp(l.list, "10=กรุงเทพ/Bangkok;50=", strlen("10=กรุงเทพ/Bangkok;50=")) == 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(hub_store_place_each(db.s, "99", collect_place, &l), 0);
	assert_string_equal(l.list, "");
	assert_int_equal(hub_store_place_count(db.s, counts), 0);
	assert_int_equal(counts[HUB_LEVEL_PROVINCE], 2);
	assert_int_equal(counts[HUB_LEVEL_DISTRICT], 1);
	assert_int_equal(counts[HUB_LEVEL_SUBDISTRICT], 1);
	assert_int_equal(counts[HUB_LEVEL_VILLAGE], 2);
}

static void
a_secret_is_made_once_and_kept_across_reopening(void **state)
{
	uint8_t a[32], b[32], c[32], zero[32] = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(hub_store_secret(db.s, "seal_key", a, sizeof(a)), 0);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_int_equal(hub_store_secret(db.s, "seal_key", b, sizeof(b)), 0);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(hub_store_secret(db.s, "other_key", c, sizeof(c)), 0);
	assert_memory_not_equal(a, c, sizeof(a));
	hub_store_close(db.s);
	assert_int_equal(hub_store_open(&db.s, db.db, 0, err, sizeof(err)), 0);
	memset(b, 0, sizeof(b));
	assert_int_equal(hub_store_secret(db.s, "seal_key", b, sizeof(b)), 0);
	assert_memory_equal(a, b, sizeof(a));
}

/* MDB_MAP_FULL: the map is shrunk to its pages; every write meets a full map,
 * grows it and goes through. */
static void
a_full_map_grows_and_every_write_goes_through(void **state)
{
	struct hub_user u, got;
	size_t before = tmpdb_shrink_map(&db), i;
	char name[32];

	(void)state;
	assert_true(before < (1u << 20));
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "user%04zu", i);
		u = user(name, HUB_ROLE_RESIDENT, "50010101");
		if (hub_store_user_add(db.s, &u) != 0)
			fail_msg("user %zu: %s", i, hub_store_error(db.s));
	}
	assert_true(tmpdb_mapsize(&db) > before);
	assert_int_equal(hub_store_user_get(db.s, "user0000", &got), 0);
	assert_int_equal(hub_store_user_get(db.s, "user1999", &got), 0);
}

static void
reserve_grows_the_map_only_when_room_is_short(void **state)
{
	size_t before;

	(void)state;
	before = tmpdb_mapsize(&db);
	assert_int_equal(hub_store_reserve(db.s, 4096), 0);
	assert_int_equal(tmpdb_mapsize(&db), before);
	assert_int_equal(hub_store_reserve(db.s, before), 0);
	assert_true(tmpdb_mapsize(&db) > before);
}

/* ENOSPC: the map's file is allocated whenever the map grows, so a full disk
 * is an error at that moment (never a SIGBUS when a page is written later). */
static void
a_full_disk_refuses_the_write_and_keeps_what_was_committed(void **state)
{
	struct tmpdb small;
	struct hub_user u, got;
	char err[256], filler[128], name[32];
	size_t i, added = 0;
	int rc = 0;

	(void)state;
	if (!tmpdb_small_disk(&small, 80))
		skip();
	assert_int_equal(hub_store_open(&small.s, small.db, HUB_STORE_CREATE, err, sizeof(err)), 0);
	assert_int_equal(hub_store_init(small.s), 0);
	u = user("first", HUB_ROLE_RESIDENT, "50010101");
	assert_int_equal(hub_store_user_add(small.s, &u), 0);
	tmpdb_shrink_map(&small);               /* gives the 64 MiB back to the disk */
	tmpdb_fill_disk(small.dir, filler, sizeof(filler));
	for (i = 0; i < 100000 && rc == 0; i++) {
		snprintf(name, sizeof(name), "user%06zu", i);
		u = user(name, HUB_ROLE_RESIDENT, "50010101");
		rc = hub_store_user_add(small.s, &u);
		added += rc == 0;
	}
	assert_int_equal(rc, HUB_STORE_ERROR);
	assert_string_equal(hub_store_error(small.s), "cannot add user: No space left on device");
	assert_int_equal(hub_store_user_get(small.s, "first", &got), 0);
	for (i = 0; i < added; i++) {
		snprintf(name, sizeof(name), "user%06zu", i);
		assert_int_equal(hub_store_user_get(small.s, name, &got), 0);
	}
	snprintf(name, sizeof(name), "user%06zu", added);
	assert_int_equal(hub_store_user_get(small.s, name, &got), HUB_STORE_NOTFOUND);
	/* the map is not left bigger than its file: the next write is refused
	 * the same way, not a SIGBUS in a page of the unallocated tail */
	assert_int_equal(hub_store_user_add(small.s, &u), HUB_STORE_ERROR);
	assert_string_equal(hub_store_error(small.s), "cannot add user: No space left on device");
	/* room again: the same write goes through */
	assert_int_equal(unlink(filler), 0);
	assert_int_equal(hub_store_user_add(small.s, &u), 0);
	tmpdb_small_disk_close(&small);
}

/* ---- audit ---- */

#define AUDIT_MAX 8
struct audit_list {
	struct hub_audit_rec a[AUDIT_MAX];
	size_t n;
};

static int
collect_audit(void *ctx, const struct hub_audit_rec *a)
{
	struct audit_list *l = ctx;

	assert_true(l->n < AUDIT_MAX);
	l->a[l->n++] = *a;
	return 0;
}

static struct hub_audit_rec
audit_rec(const char *command, const char *target)
{
	struct hub_audit_rec a;

	memset(&a, 0, sizeof(a));
	snprintf(a.actor, sizeof(a.actor), "local:tester");
	snprintf(a.command, sizeof(a.command), "%s", command);
	snprintf(a.target, sizeof(a.target), "%s", target);
	snprintf(a.result, sizeof(a.result), "ok");
	return a;
}

static void
an_audit_record_commits_with_its_change_or_alone_with_the_refusal(void **state)
{
	struct hub_user u = user("alice", HUB_ROLE_VOLUNTEER, "50010101");
	struct hub_audit_rec a = audit_rec("user add alice", "user alice");
	struct audit_list l = { .n = 0 };

	(void)state;
	hub_store_audit_stage(db.s, &a);
	assert_int_equal(hub_store_audit_each(db.s, 0, collect_audit, &l), 0);
	assert_int_equal(l.n, 0);                       /* staged: nothing written yet */
	assert_int_equal(hub_store_user_add(db.s, &u), 0);
	assert_int_equal(hub_store_audit_each(db.s, 0, collect_audit, &l), 0);
	assert_int_equal(l.n, 1);                       /* the add's transaction carried it */
	assert_int_equal(hub_store_audit_finish(db.s, "ok"), 0);

	a = audit_rec("user add alice", "user alice");
	hub_store_audit_stage(db.s, &a);
	assert_int_equal(hub_store_user_add(db.s, &u), HUB_STORE_EXISTS);
	assert_int_equal(hub_store_audit_finish(db.s, "user 'alice' already exists"), 0);

	a = audit_rec("token revoke --user alice", "the tokens of user alice");
	hub_store_audit_stage(db.s, &a);
	assert_int_equal(hub_store_user_update(db.s, &u), 0);   /* a first step */
	assert_int_equal(hub_store_audit_finish(db.s, "a later step failed"), 0);
	assert_int_equal(hub_store_audit_finish(db.s, "ok"), 0);        /* nothing staged */

	l.n = 0;
	assert_int_equal(hub_store_audit_each(db.s, 0, collect_audit, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.a[0].actor, "local:tester");
	assert_string_equal(l.a[0].command, "user add alice");
	assert_string_equal(l.a[0].target, "user alice");
	assert_string_equal(l.a[0].result, "ok");
	assert_string_equal(l.a[1].result, "user 'alice' already exists");
	assert_string_equal(l.a[2].command, "token revoke --user alice");
	assert_string_equal(l.a[2].result, "a later step failed");
	assert_true(l.a[0].ms > 1500000000000LL && l.a[0].ms <= l.a[1].ms
		    && l.a[1].ms <= l.a[2].ms);
}

static void
audit_records_are_listed_oldest_first_from_a_time_on(void **state)
{
	struct hub_audit_rec a;
	struct audit_list l = { .n = 0 };
	char cmd[32];
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {       /* the same ms, mostly: the sequence orders them */
		snprintf(cmd, sizeof(cmd), "step %d", i);
		a = audit_rec(cmd, "");
		hub_store_audit_stage(db.s, &a);
		assert_int_equal(hub_store_audit_finish(db.s, "refused"), 0);
	}
	assert_int_equal(hub_store_audit_each(db.s, 0, collect_audit, &l), 0);
	assert_int_equal(l.n, 5);
	for (i = 0; i < 5; i++) {
		snprintf(cmd, sizeof(cmd), "step %d", i);
		assert_string_equal(l.a[i].command, cmd);
	}
	l.n = 0;
	assert_int_equal(hub_store_audit_each(db.s, l.a[4].ms + 1, collect_audit, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(hub_store_audit_each(db.s, l.a[4].ms, collect_audit, &l), 0);
	assert_true(l.n >= 1);
	assert_string_equal(l.a[l.n - 1].command, "step 4");
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(opening_a_missing_database_without_create_says_how_to_make_one),
		T(a_created_but_uninitialised_database_is_refused_until_init),
		T(a_user_round_trips_every_field_and_survives_reopening),
		T(adding_a_taken_name_is_exists_and_unknown_names_are_notfound),
		T(users_are_added_all_or_none_and_the_taken_one_is_named),
		T(users_are_listed_in_name_order_until_the_callback_stops),
		T(the_generation_counts_each_change_and_not_refused_ones),
		T(an_update_replaces_a_user_and_counts_as_a_change),
		T(a_place_batch_sees_its_own_writes_and_an_abort_leaves_nothing),
		T(places_are_listed_by_prefix_in_code_order_and_counted_by_level),
		T(a_secret_is_made_once_and_kept_across_reopening),
		T(a_full_map_grows_and_every_write_goes_through),
		T(reserve_grows_the_map_only_when_room_is_short),
		T(a_full_disk_refuses_the_write_and_keeps_what_was_committed),
		T(an_audit_record_commits_with_its_change_or_alone_with_the_refusal),
		T(audit_records_are_listed_oldest_first_from_a_time_on),
	};
#undef T

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
