/* test_tokens.c - checks that device tokens log in (issued by np-admin or
 * granted over $CONTROL/np/v1/token to a password session only), that a
 * malformed, unknown, revoked, expired, wrong-secret or other user's token is
 * refused with its own logged reason, that bad tokens and bad passwords do
 * not lock each other out, and that np-admin token revoke cuts the live
 * session within a second and nothing published after it reaches it, and
 * that a token session may revoke its own token (the console's logout). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#define TOKEN_LEN 68
#define REQUEST_TOPIC "$CONTROL/np/v1/token"

static struct hub hub;

static int
setup(void **state)
{
	(void)state;
	return hub_start(&hub, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	hub_stop(&hub);
	return 0;
}

static long
ms_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec * 1000L + tv.tv_usec / 1000;
}

/* np-admin token issue USER [ARGS]: the token into tok (TOKEN_LEN + 1 bytes). */
static void
issue(const char *user, const char *args, char *tok)
{
	char cmd[256], out[512], name[80];

	snprintf(cmd, sizeof(cmd), "token issue %s %s", user, args ? args : "");
	assert_int_equal(hub_admin_out(&hub, cmd, out, sizeof(out)), 0);
	assert_int_equal(sscanf(out, "%79s %68s", name, tok), 2);
	assert_string_equal(name, user);
	assert_int_equal(strlen(tok), TOKEN_LEN);
}

/* The id np-admin lists for the token with label (32 hex digits). */
static void
listed_id(const char *user, const char *label, char id[33])
{
	char cmd[128], out[4096], needle[80], *line;

	snprintf(cmd, sizeof(cmd), "token list %s", user);
	assert_int_equal(hub_admin_out(&hub, cmd, out, sizeof(out)), 0);
	snprintf(needle, sizeof(needle), ",%s,%s,", user, label);
	line = strstr(out, needle);
	assert_non_null(line);
	while (line > out && line[-1] != '\n')
		line--;
	assert_int_equal(sscanf(line, "%32[0-9a-f]", id), 1);
}

static void
assert_token_refused(const char *user, const char *token, const char *why)
{
	char line[300];
	struct tc *c;
	int rc = -1;

	c = tc_connect(&hub, user, token, 5, &rc);
	if (c != NULL)
		tc_close(c);
	assert_null(c);
	assert_true(rc > 0);
	snprintf(line, sizeof(line), "np: login refused for '%s' from 127.0.0.1: %s", user, why);
	assert_true(hub_log_has(&hub, line));
}

static void
issued_token_logs_in_with_v5_and_v311(void **state)
{
	char tok[TOKEN_LEN + 1];
	struct tc *c;
	int rc = -1;

	(void)state;
	issue("vol_bkk", "--label phone", tok);
	c = tc_connect(&hub, "vol_bkk", tok, 5, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(tc_subscribe(c, "np/ann/TH/#", 1), 1);
	tc_close(c);
	c = tc_connect(&hub, "vol_bkk", tok, 4, &rc);
	assert_int_equal(rc, 0);
	tc_close(c);
}

static void
bad_tokens_are_refused_each_with_its_reason(void **state)
{
	char tok[TOKEN_LEN + 1], bad[TOKEN_LEN + 1], id[33], cmd[80];

	(void)state;
	issue("vol_bkk", "--label bad", tok);
	/* wrong secret: the last character changed */
	memcpy(bad, tok, sizeof(bad));
	bad[TOKEN_LEN - 1] = bad[TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
	assert_token_refused("vol_bkk", bad, "wrong token secret");
	/* unknown id: the first character of the id changed */
	memcpy(bad, tok, sizeof(bad));
	bad[4] = bad[4] == 'A' ? 'B' : 'A';
	assert_token_refused("vol_bkk", bad, "unknown or revoked token");
	assert_token_refused("vol_5002", tok, "the token belongs to another user");
	assert_token_refused("vol_bkk", "npt_short", "malformed token");
	memcpy(bad, tok, sizeof(bad));
	bad[10] = '=';
	assert_token_refused("vol_bkk", bad, "malformed token");
	assert_token_refused("ghost", tok, "the token belongs to another user");
	listed_id("vol_bkk", "bad", id);
	snprintf(cmd, sizeof(cmd), "token revoke %s", id);
	assert_int_equal(hub_admin(&hub, NULL, cmd), 0);
	assert_token_refused("vol_bkk", tok, "unknown or revoked token");
	assert_true(hub_alive(&hub));
}

static void
expired_token_is_refused(void **state)
{
	char tok[TOKEN_LEN + 1];
	struct tc *c;
	int rc = -1;

	(void)state;
	if (getenv("NP_BROKER_PRELOAD") != NULL)
		skip();         /* libfaketime and the ASan runtime deadlock when both preloaded */
	issue("vol_bkk", "--days 1", tok);
	c = tc_connect(&hub, "vol_bkk", tok, 5, &rc);
	assert_int_equal(rc, 0);
	tc_close(c);
	assert_int_equal(hub_restart(&hub, false, "+2d", NULL), 0);
	assert_token_refused("vol_bkk", tok, "the token has expired");
}

/* 60 bad tokens, then the password (1000 iterations) gets in at once; 20
 * wrong passwords lock the password, and the token still gets in. */
static void
bad_tokens_and_bad_passwords_do_not_lock_each_other_out(void **state)
{
	char tok[TOKEN_LEN + 1], bad[TOKEN_LEN + 1];
	struct tc *c;
	int i, rc = -1;

	(void)state;
	issue("vol_bkk", NULL, tok);
	memcpy(bad, tok, sizeof(bad));
	bad[TOKEN_LEN - 1] = bad[TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
	for (i = 0; i < 60; i++) {
		c = tc_connect(&hub, "vol_bkk", bad, 4, &rc);
		assert_null(c);
	}
	c = tc_connect(&hub, "vol_bkk", "vol_bkk-pw", 4, &rc);
	assert_int_equal(rc, 0);
	tc_close(c);
	for (i = 0; i < 20; i++) {
		c = tc_connect(&hub, "vol_bkk", "not-the-password", 4, &rc);
		assert_null(c);
	}
	assert_true(hub_log_has(&hub, "too many failed logins"));
	c = tc_connect(&hub, "vol_bkk", tok, 4, &rc);
	assert_int_equal(rc, 0);
	tc_close(c);
}

static uint8_t *
token_request(const char *label, unsigned days, const char *corr, size_t *len)
{
	Np__TokenRequest r = NP__TOKEN_REQUEST__INIT;
	uint8_t *buf;

	r.label = (char *)label;
	r.days = days;
	r.correlation_id = (char *)corr;
	*len = np__token_request__get_packed_size(&r);
	buf = malloc(*len + 1);
	np__token_request__pack(&r, buf);
	return buf;
}

/* Asks for a token on c (subscribed to its reply topic) and returns the
 * grant's envelope (free with np__envelope__free_unpacked). */
static Np__Envelope *
ask(struct tc *c, const char *label, unsigned days, const char *corr)
{
	struct tc_msg m;
	Np__Envelope *e;
	uint8_t *req;
	size_t len;

	req = token_request(label, days, corr, &len);
	assert_int_equal(tc_publish(c, REQUEST_TOPIC, req, len, 1), 0);
	free(req);
	assert_true(tc_next(c, &m, 3000));
	assert_string_equal(m.topic, "np/reply/vol_bkk/token");
	e = env_unpack(&m);
	tc_msg_free(&m);
	assert_non_null(e);
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_TOKEN_GRANT);
	return e;
}

static struct tc *
asker(const char *pass)
{
	struct tc *c;
	int rc = -1;

	c = tc_connect(&hub, "vol_bkk", pass, 5, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(tc_subscribe(c, "np/reply/vol_bkk/#", 1), 1);
	return c;
}

static void
password_session_gets_a_token_that_logs_in(void **state)
{
	Np__Envelope *e;
	struct tc *c, *t;
	char id[33], hex[33];
	int i, rc = -1;

	(void)state;
	c = asker("vol_bkk-pw");
	e = ask(c, "tablet", 30, "req-1");
	assert_string_equal(e->token_grant->correlation_id, "req-1");
	assert_string_equal(e->token_grant->error, "");
	assert_int_equal(strlen(e->token_grant->token), TOKEN_LEN);
	assert_int_equal(e->token_grant->token_id.len, 16);
	assert_true(e->token_grant->expires_at_ms > ms_now() + 29 * 86400000LL);
	assert_true(e->token_grant->expires_at_ms < ms_now() + 31 * 86400000LL);
	t = tc_connect(&hub, "vol_bkk", e->token_grant->token, 5, &rc);
	assert_int_equal(rc, 0);
	tc_close(t);
	listed_id("vol_bkk", "tablet", id);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", e->token_grant->token_id.data[i]);
	assert_string_equal(id, hex);
	np__envelope__free_unpacked(e, NULL);
	tc_close(c);
}

static void
token_session_may_not_mint_tokens(void **state)
{
	char tok[TOKEN_LEN + 1];
	Np__Envelope *e;
	struct tc *c;

	(void)state;
	issue("vol_bkk", NULL, tok);
	c = asker(tok);
	e = ask(c, "more", 0, "x");
	assert_string_equal(e->token_grant->token, "");
	assert_int_equal(e->token_grant->token_id.len, 0);
	assert_string_not_equal(e->token_grant->error, "");
	np__envelope__free_unpacked(e, NULL);
	assert_true(hub_log_has(&hub, "np: refused token request by 'vol_bkk'"));
	assert_true(hub_log_has(&hub, "may not ask for tokens"));
	tc_close(c);
}

static void
bad_token_requests_are_refused_and_rate_limited(void **state)
{
	char label[80];
	Np__Envelope *e;
	struct tc *c;
	struct tc_msg m;
	int i, refused = 0;

	(void)state;
	c = asker("vol_bkk-pw");
	memset(label, 'x', 65);
	label[65] = '\0';
	e = ask(c, label, 0, "long");
	assert_string_equal(e->token_grant->token, "");
	assert_string_equal(e->token_grant->correlation_id, "long");
	np__envelope__free_unpacked(e, NULL);
	e = ask(c, "ok", 3651, "");
	assert_string_equal(e->token_grant->token, "");
	np__envelope__free_unpacked(e, NULL);
	assert_int_equal(tc_publish(c, REQUEST_TOPIC, "\xff\xff\xff", 3, 1), 0);
	assert_true(tc_next(c, &m, 3000));
	e = env_unpack(&m);
	tc_msg_free(&m);
	assert_non_null(e);
	assert_string_equal(e->token_grant->token, "");
	np__envelope__free_unpacked(e, NULL);
	/* the bad ones spent three of the five a minute */
	for (i = 0; i < 4; i++) {
		e = ask(c, "burst", 0, "");
		refused += e->token_grant->token[0] == '\0';
		np__envelope__free_unpacked(e, NULL);
	}
	assert_int_equal(refused, 2);
	assert_true(hub_log_has(&hub, "token requests a minute"));
	tc_close(c);
}

/* Revoking while the token's session reads: cut within a second, and an
 * announcement published right after the revoke never reaches it; the same
 * user's password session is not touched. */
static void
revoke_cuts_the_live_session_within_a_second(void **state)
{
	char tok[TOKEN_LEN + 1], id[33], cmd[80];
	struct tc *t, *p, *pub;
	struct tc_msg m;
	uint8_t *buf;
	size_t len;
	long t0;
	int rc = -1;

	(void)state;
	issue("vol_bkk", "--label live", tok);
	listed_id("vol_bkk", "live", id);
	t = tc_connect(&hub, "vol_bkk", tok, 5, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(tc_subscribe(t, "np/ann/TH/#", 1), 1);
	p = tc_login(&hub, "vol_bkk", 5, &rc);
	assert_int_equal(tc_subscribe(p, "np/ann/TH/#", 1), 1);
	pub = tc_login(&hub, "ministry", 5, &rc);
	assert_non_null(pub);
	snprintf(cmd, sizeof(cmd), "token revoke %s", id);
	t0 = ms_now();
	assert_int_equal(hub_admin(&hub, NULL, cmd), 0);
	buf = env_announcement("after the revoke", &len);
	assert_int_equal(tc_publish(pub, "np/ann/TH/general", buf, len, 1), 0);
	free(buf);
	assert_true(tc_wait_disconnected(t, 1000));
	assert_true(ms_now() - t0 < 1200);
	assert_false(tc_next(t, &m, 0));
	assert_true(tc_next(p, &m, 2000));     /* the password session still reads */
	tc_msg_free(&m);
	assert_true(hub_log_has(&hub, "np: cutting a session of 'vol_bkk'"));
	tc_close(t);
	tc_close(p);
	tc_close(pub);
}

/* The console's logout: a token session publishes TokenRequest{revoke}; the
 * grant names the revoked token and its holder, the session is cut within a
 * second and the token logs in no more. */
static void
token_session_revokes_its_own_token_on_logout(void **state)
{
	Np__TokenRequest r = NP__TOKEN_REQUEST__INIT;
	char tok[TOKEN_LEN + 1], id[33], hex[33];
	uint8_t buf[64];
	struct tc_msg m;
	Np__Envelope *e;
	struct tc *c;
	size_t len;
	long t0;
	int i;

	(void)state;
	issue("vol_bkk", "--label browser", tok);
	listed_id("vol_bkk", "browser", id);
	c = asker(tok);
	r.revoke = 1;
	r.correlation_id = "bye";
	len = np__token_request__pack(&r, buf);
	t0 = ms_now();
	assert_int_equal(tc_publish(c, REQUEST_TOPIC, buf, len, 1), 0);
	assert_true(tc_next(c, &m, 3000));
	e = env_unpack(&m);
	tc_msg_free(&m);
	assert_non_null(e);
	assert_string_equal(e->token_grant->correlation_id, "bye");
	assert_string_equal(e->token_grant->error, "");
	assert_string_equal(e->token_grant->token, "");
	assert_int_equal(e->token_grant->token_id.len, 16);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", e->token_grant->token_id.data[i]);
	assert_string_equal(hex, id);
	assert_non_null(e->token_grant->holder);
	assert_string_equal(e->token_grant->holder->username, "vol_bkk");
	assert_int_equal(e->token_grant->holder->role, NP__ROLE__VOLUNTEER);
	assert_string_equal(e->token_grant->holder->area, "10010101");
	np__envelope__free_unpacked(e, NULL);
	assert_true(tc_wait_disconnected(c, 1500));
	assert_true(ms_now() - t0 < 1700);
	tc_close(c);
	assert_true(hub_log_has(&hub, "revoked by its holder 'vol_bkk'"));
	assert_token_refused("vol_bkk", tok, "unknown or revoked token");
	/* a password session has no token to revoke */
	c = asker("vol_bkk-pw");
	assert_int_equal(tc_publish(c, REQUEST_TOPIC, buf, len, 1), 0);
	assert_true(tc_next(c, &m, 3000));
	e = env_unpack(&m);
	tc_msg_free(&m);
	assert_non_null(e);
	assert_string_equal(e->token_grant->error,
			    "a session logged in with its password has no token to revoke");
	np__envelope__free_unpacked(e, NULL);
	tc_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(issued_token_logs_in_with_v5_and_v311, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bad_tokens_are_refused_each_with_its_reason, setup,
						teardown),
		cmocka_unit_test_setup_teardown(expired_token_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_tokens_and_bad_passwords_do_not_lock_each_other_out,
						setup, teardown),
		cmocka_unit_test_setup_teardown(password_session_gets_a_token_that_logs_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(token_session_may_not_mint_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_token_requests_are_refused_and_rate_limited,
						setup, teardown),
		cmocka_unit_test_setup_teardown(token_session_revokes_its_own_token_on_logout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(revoke_cuts_the_live_session_within_a_second, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
