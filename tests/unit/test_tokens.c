/* test_tokens.c - checks store.c's token records and tokens.c on a real LMDB
 * directory of its own (no broker, no sleeps): records round-trip every
 * field, are added all or none (an unknown user adds nothing), revoked one by
 * one or per user (and with their user) and counted by a generation; a token
 * login tells a wrong secret, an unknown, another user's and an expired
 * token apart; a session's token stops holding when revoked or expired;
 * last-used times are written in one batch; a grant stores a token that logs
 * in, and a bad request stores nothing. */
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

#include "np.pb-c.h"
#include "tmpdb.h"
#include "tokens.h"

#define NOW 1800000000000LL

static struct tmpdb db;

static void
add_user(const char *name)
{
	struct hub_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	u.role = HUB_ROLE_VOLUNTEER;
	snprintf(u.area, sizeof(u.area), "50010101");
	u.iterations = 1000;
	assert_int_equal(hub_store_user_add(db.s, &u), 0);
}

static int
setup(void **state)
{
	(void)state;
	tmpdb_open(&db);
	add_user("somchai");
	add_user("malee");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdb_close(&db);
	return 0;
}

/* A token for user stored in the database; its text in text. */
static struct hub_token_rec
stored(const char *user, int64_t expires_ms, char text[HUB_TOKEN_TEXT_LEN + 1])
{
	struct hub_token_rec r;
	struct hub_token t;
	size_t bad;

	memset(&r, 0, sizeof(r));
	assert_int_equal(hub_token_new(&t), 0);
	memcpy(r.id, t.id, 16);
	snprintf(r.user, sizeof(r.user), "%s", user);
	hub_token_hash(&t, r.hash);
	snprintf(r.label, sizeof(r.label), "ป้ายชื่อ phone");
	r.created_ms = NOW - 1000;
	r.expires_ms = expires_ms;
	hub_token_format(&t, text);
	assert_int_equal(hub_store_tokens_add(db.s, &r, 1, &bad), 0);
	return r;
}

static int
count(void *ctx, const struct hub_token_rec *t)
{
	(void)t;
	++*(size_t *)ctx;
	return 0;
}

static size_t
tokens_of(const char *user)
{
	size_t n = 0;

	assert_int_equal(hub_store_token_each(db.s, user, count, &n), 0);
	return n;
}

static void
token_records_round_trip_every_field(void **state)
{
	char text[HUB_TOKEN_TEXT_LEN + 1];
	struct hub_token_rec r, back;

	(void)state;
	r = stored("somchai", NOW + 5000, text);
	assert_int_equal(hub_store_token_get(db.s, r.id, &back), 0);
	assert_memory_equal(&back, &r, sizeof(r));
	r.id[0] ^= 1;
	assert_int_equal(hub_store_token_get(db.s, r.id, &back), HUB_STORE_NOTFOUND);
}

static void
tokens_are_added_all_or_none(void **state)
{
	char text[HUB_TOKEN_TEXT_LEN + 1];
	struct hub_token_rec r[3];
	size_t bad = 99;

	(void)state;
	r[0] = stored("somchai", 0, text);
	r[0].id[0] ^= 1;
	r[1] = r[0];
	r[1].id[1] ^= 1;
	snprintf(r[1].user, sizeof(r[1].user), "ghost");
	r[2] = r[0];
	r[2].id[2] ^= 1;
	assert_int_equal(hub_store_tokens_add(db.s, r, 3, &bad), HUB_STORE_NOTFOUND);
	assert_int_equal(bad, 1);
	assert_int_equal(tokens_of(NULL), 1);
	snprintf(r[1].user, sizeof(r[1].user), "malee");
	assert_int_equal(hub_store_tokens_add(db.s, r, 3, &bad), 0);
	assert_int_equal(tokens_of("somchai"), 3);
	assert_int_equal(tokens_of("malee"), 1);
}

static void
revocations_delete_and_move_the_generation(void **state)
{
	char text[HUB_TOKEN_TEXT_LEN + 1];
	struct hub_token_rec a;
	uint64_t gen = hub_store_tokens_generation(db.s);
	size_t n = 99;

	(void)state;
	a = stored("somchai", 0, text);
	stored("somchai", 0, text);
	stored("malee", 0, text);
	assert_int_equal(hub_store_tokens_generation(db.s), gen);        /* adding is no revocation */
	assert_int_equal(hub_store_token_del(db.s, a.id), 0);
	assert_int_equal(hub_store_tokens_generation(db.s), gen + 1);
	assert_int_equal(hub_store_token_del(db.s, a.id), HUB_STORE_NOTFOUND);
	assert_int_equal(hub_store_tokens_del_user(db.s, "somchai", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(hub_store_tokens_generation(db.s), gen + 2);
	assert_int_equal(hub_store_tokens_del_user(db.s, "somchai", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(hub_store_tokens_generation(db.s), gen + 2);
	/* deleting the user deletes its tokens: a new malee gets none of them */
	assert_int_equal(hub_store_user_del(db.s, "malee"), 0);
	assert_int_equal(hub_store_tokens_generation(db.s), gen + 3);
	add_user("malee");
	assert_int_equal(tokens_of(NULL), 0);
}

static void
token_login_tells_each_refusal_apart(void **state)
{
	char text[HUB_TOKEN_TEXT_LEN + 1], old[HUB_TOKEN_TEXT_LEN + 1];
	struct hub_token_rec r;
	struct hub_tokens *t;
	uint8_t id[16];
	int64_t exp = -1;

	(void)state;
	assert_int_equal(hub_tokens_new(&t, db.s, 365), 0);
	r = stored("somchai", NOW + 1000, text);
	stored("somchai", NOW, old);
	assert_int_equal(hub_tokens_login(t, "somchai", text, NOW, id, &exp), HUB_OK);
	assert_memory_equal(id, r.id, 16);
	assert_int_equal(exp, NOW + 1000);
	assert_int_equal(hub_tokens_login(t, "malee", text, NOW, id, &exp), HUB_R_TOKEN_OTHER_USER);
	assert_int_equal(hub_tokens_login(t, NULL, text, NOW, id, &exp), HUB_R_NO_USERNAME);
	assert_int_equal(hub_tokens_login(t, "somchai", old, NOW, id, &exp), HUB_R_TOKEN_EXPIRED);
	assert_int_equal(hub_tokens_login(t, "somchai", text, NOW + 1000, id, &exp),
			 HUB_R_TOKEN_EXPIRED);
	text[HUB_TOKEN_TEXT_LEN - 1] = text[HUB_TOKEN_TEXT_LEN - 1] == 'A' ? 'B' : 'A';
	assert_int_equal(hub_tokens_login(t, "somchai", text, NOW, id, &exp),
			 HUB_R_TOKEN_WRONG_SECRET);
	/* a wrong secret says nothing of whose token it is */
	assert_int_equal(hub_tokens_login(t, "malee", text, NOW, id, &exp),
			 HUB_R_TOKEN_WRONG_SECRET);
	text[5] = text[5] == 'A' ? 'B' : 'A';
	assert_int_equal(hub_tokens_login(t, "somchai", text, NOW, id, &exp), HUB_R_TOKEN_UNKNOWN);
	assert_int_equal(hub_tokens_login(t, "somchai", "npt_x", NOW, id, &exp),
			 HUB_R_TOKEN_MALFORMED);
	hub_tokens_free(t);
}

static void
a_session_token_stops_holding_when_revoked_or_expired(void **state)
{
	char text[HUB_TOKEN_TEXT_LEN + 1];
	struct hub_token_rec r;
	struct hub_tokens *t;

	(void)state;
	assert_int_equal(hub_tokens_new(&t, db.s, 365), 0);
	r = stored("somchai", NOW + 1000, text);
	assert_false(hub_tokens_revoked(t));
	assert_int_equal(hub_tokens_holds(t, "somchai", r.id, NOW), HUB_OK);
	assert_int_equal(hub_tokens_holds(t, "somchai", r.id, NOW + 1000), HUB_R_TOKEN_EXPIRED);
	assert_int_equal(hub_tokens_holds(t, "malee", r.id, NOW), HUB_R_TOKEN_OTHER_USER);
	assert_int_equal(hub_store_token_del(db.s, r.id), 0);
	assert_true(hub_tokens_revoked(t));
	assert_false(hub_tokens_revoked(t));    /* once per change */
	assert_int_equal(hub_tokens_holds(t, "somchai", r.id, NOW), HUB_R_TOKEN_UNKNOWN);
	hub_tokens_free(t);
}

static void
last_used_times_are_written_in_batches(void **state)
{
	char a_text[HUB_TOKEN_TEXT_LEN + 1], b_text[HUB_TOKEN_TEXT_LEN + 1];
	struct hub_token_rec a, b, got;
	struct hub_tokens *t;
	uint8_t id[16];
	int64_t exp;

	(void)state;
	assert_int_equal(hub_tokens_new(&t, db.s, 365), 0);
	a = stored("somchai", 0, a_text);
	b = stored("malee", 0, b_text);
	assert_int_equal(hub_tokens_tick(t, NOW), 0);   /* the first tick writes at once */
	assert_int_equal(hub_tokens_login(t, "somchai", a_text, NOW + 1, id, &exp), HUB_OK);
	assert_int_equal(hub_tokens_login(t, "malee", b_text, NOW + 2, id, &exp), HUB_OK);
	assert_int_equal(hub_tokens_login(t, "somchai", a_text, NOW + 3, id, &exp), HUB_OK);
	assert_int_equal(hub_tokens_tick(t, NOW + HUB_TOKENS_FLUSH_MS - 1), 0);
	assert_int_equal(hub_store_token_get(db.s, a.id, &got), 0);
	assert_int_equal(got.last_used_ms, 0);          /* not yet */
	assert_int_equal(hub_store_token_del(db.s, b.id), 0);   /* revoked meanwhile */
	assert_int_equal(hub_tokens_tick(t, NOW + HUB_TOKENS_FLUSH_MS), 0);
	assert_int_equal(hub_store_token_get(db.s, a.id, &got), 0);
	assert_int_equal(got.last_used_ms, NOW + 3);
	assert_int_equal(hub_store_token_get(db.s, b.id, &got), HUB_STORE_NOTFOUND);
	assert_int_equal(hub_tokens_login(t, "somchai", a_text, NOW + 9, id, &exp), HUB_OK);
	hub_tokens_free(t);                             /* writes what waits */
	assert_int_equal(hub_store_token_get(db.s, a.id, &got), 0);
	assert_int_equal(got.last_used_ms, NOW + 9);
}

static const struct hub_principal somchai = { "somchai", HUB_ROLE_VOLUNTEER, "50010101", 0 };

/* The grant of a TokenRequest (label, days, revoke) from a session that
 * logged in with token session (NULL: with its password). */
static Np__Envelope *
ask(struct hub_tokens *t, const char *label, unsigned days, bool revoke, const uint8_t *session,
    enum hub_refusal pre, struct hub_grant_out *g)
{
	Np__TokenRequest r = NP__TOKEN_REQUEST__INIT;
	uint8_t buf[256], *out;
	Np__Envelope *e;
	size_t len, n;

	r.label = (char *)label;
	r.days = days;
	r.revoke = revoke;
	r.correlation_id = "c-1";
	n = np__token_request__pack(&r, buf);
	out = hub_tokens_grant(t, &somchai, session, pre, buf, n, NOW, &len, g);
	assert_non_null(out);
	e = np__envelope__unpack(NULL, len, out);
	free(out);
	assert_non_null(e);
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_TOKEN_GRANT);
	/* a request refused unread (pre) echoes nothing */
	assert_string_equal(e->token_grant->correlation_id, pre == HUB_OK ? "c-1" : "");
	/* every grant names its holder, refused or not */
	assert_non_null(e->token_grant->holder);
	assert_string_equal(e->token_grant->holder->username, "somchai");
	assert_int_equal(e->token_grant->holder->role, NP__ROLE__VOLUNTEER);
	assert_string_equal(e->token_grant->holder->area, "50010101");
	return e;
}

static Np__Envelope *
grant(struct hub_tokens *t, const char *label, unsigned days, enum hub_refusal pre,
      enum hub_refusal *why)
{
	struct hub_grant_out g;
	Np__Envelope *e = ask(t, label, days, false, NULL, pre, &g);

	assert_false(g.revoked);
	*why = g.why;
	return e;
}

/* A browser's logout: the token session revokes its own token; a password
 * session has none to revoke, and a token session still mints none. */
static void
a_token_session_revokes_its_own_token_and_mints_none(void **state)
{
	struct hub_tokens *t;
	struct hub_grant_out g;
	enum hub_refusal why;
	Np__Envelope *e;
	uint8_t id[16];
	int64_t exp;
	char tok[HUB_TOKEN_TEXT_LEN + 1];

	(void)state;
	assert_int_equal(hub_tokens_new(&t, db.s, 7), 0);
	e = grant(t, "browser", 0, HUB_OK, &why);
	assert_int_equal(why, HUB_OK);
	snprintf(tok, sizeof(tok), "%s", e->token_grant->token);
	memcpy(id, e->token_grant->token_id.data, 16);
	np__envelope__free_unpacked(e, NULL);
	e = ask(t, "", 0, false, id, HUB_OK, &g);
	assert_int_equal(g.why, HUB_R_TOKEN_BY_TOKEN);
	assert_string_equal(e->token_grant->token, "");
	np__envelope__free_unpacked(e, NULL);
	e = ask(t, "", 0, true, NULL, HUB_OK, &g);
	assert_int_equal(g.why, HUB_R_TOKEN_REVOKE_PASSWORD);
	assert_string_equal(e->token_grant->error, hub_refusal_text(HUB_R_TOKEN_REVOKE_PASSWORD));
	np__envelope__free_unpacked(e, NULL);
	assert_int_equal(tokens_of("somchai"), 1);
	e = ask(t, "", 0, true, id, HUB_OK, &g);
	assert_int_equal(g.why, HUB_OK);
	assert_true(g.revoked);
	assert_string_equal(e->token_grant->error, "");
	assert_string_equal(e->token_grant->token, "");
	assert_int_equal(e->token_grant->token_id.len, 16);
	assert_memory_equal(e->token_grant->token_id.data, id, 16);
	np__envelope__free_unpacked(e, NULL);
	assert_int_equal(tokens_of("somchai"), 0);
	assert_int_equal(hub_tokens_login(t, "somchai", tok, NOW, id, &exp), HUB_R_TOKEN_UNKNOWN);
	e = ask(t, "", 0, true, id, HUB_OK, &g);     /* twice: already gone */
	assert_int_equal(g.why, HUB_R_TOKEN_UNKNOWN);
	np__envelope__free_unpacked(e, NULL);
	hub_tokens_free(t);
}

static void
a_grant_stores_a_token_that_logs_in_and_a_bad_request_nothing(void **state)
{
	char label[80];
	struct hub_tokens *t;
	enum hub_refusal why;
	Np__Envelope *e;
	uint8_t id[16];
	int64_t exp;

	(void)state;
	assert_int_equal(hub_tokens_new(&t, db.s, 7), 0);
	e = grant(t, "tablet", 0, HUB_OK, &why);
	assert_int_equal(why, HUB_OK);
	assert_int_equal(e->token_grant->expires_at_ms, NOW + 7 * HUB_DAY_MS);
	assert_int_equal(hub_tokens_login(t, "somchai", e->token_grant->token, NOW, id, &exp),
			 HUB_OK);
	assert_memory_equal(id, e->token_grant->token_id.data, 16);
	np__envelope__free_unpacked(e, NULL);
	assert_int_equal(tokens_of("somchai"), 1);
	memset(label, 'x', 65);
	label[65] = '\0';
	e = grant(t, label, 0, HUB_OK, &why);
	assert_int_equal(why, HUB_R_TOKEN_LABEL);
	assert_string_equal(e->token_grant->token, "");
	assert_string_equal(e->token_grant->error, hub_refusal_text(HUB_R_TOKEN_LABEL));
	np__envelope__free_unpacked(e, NULL);
	e = grant(t, "\xc3\x28", 0, HUB_OK, &why);
	assert_int_equal(why, HUB_R_TOKEN_LABEL);
	np__envelope__free_unpacked(e, NULL);
	e = grant(t, "ok", HUB_TOKEN_MAX_DAYS + 1, HUB_OK, &why);
	assert_int_equal(why, HUB_R_TOKEN_DAYS);
	np__envelope__free_unpacked(e, NULL);
	e = grant(t, "ok", 0, HUB_R_TOKEN_RATE, &why);
	assert_int_equal(why, HUB_R_TOKEN_RATE);
	np__envelope__free_unpacked(e, NULL);
	assert_int_equal(tokens_of("somchai"), 1);
	hub_tokens_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(token_records_round_trip_every_field),
		T(a_token_session_revokes_its_own_token_and_mints_none),
		T(tokens_are_added_all_or_none),
		T(revocations_delete_and_move_the_generation),
		T(token_login_tells_each_refusal_apart),
		T(a_session_token_stops_holding_when_revoked_or_expired),
		T(last_used_times_are_written_in_batches),
		T(a_grant_stores_a_token_that_logs_in_and_a_bad_request_nothing),
#undef T
	};

	return cmocka_run_group_tests_name("tokens", tests, NULL, NULL);
}
