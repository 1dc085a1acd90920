/* test_token.c - checks that libnpclient with a state directory logs in once
 * with the password, saves the hub's device token (mode 0600, in a directory
 * made 0700), logs in with the token alone afterwards, falls back to the
 * password (and saves a new token) when the token is revoked, even on a live
 * session driven only by np_client_step, fails with NP_ERR_AUTH when it has
 * no password to fall back to, and never writes the password to disk. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "np_client.h"

#define PASSWORD "somchai-demo"

static struct hub hub;
static char tmp[64], state[128];

static int
setup(void **st)
{
	(void)st;
	np_lib_init();
	snprintf(tmp, sizeof(tmp), "/tmp/np-token-XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return -1;
	snprintf(state, sizeof(state), "%s/state", tmp);      /* made by the library */
	return hub_start(&hub, NULL);
}

static int
teardown(void **st)
{
	char cmd[128];

	(void)st;
	hub_stop(&hub);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		return -1;
	np_lib_cleanup();
	return 0;
}

static struct np_client *
client(const char *pass)
{
	struct np_options *o = np_options_new();
	struct np_client *c;
	char why[256];

	assert_non_null(o);
	assert_int_equal(np_options_set_int(o, NP_OPT_PORT, hub.port), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_USERNAME, "somchai"), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_PASSWORD, pass), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_STATE_DIR, state), NP_OK);
	assert_int_equal(np_client_new(&c, o, why, sizeof(why)), NP_OK);
	np_options_free(o);
	return c;
}

static void
token_path(char *out, size_t len)
{
	snprintf(out, len, "%s/somchai@127.0.0.1:%d.token", state, hub.port);
}

/* The saved token into tok (69 bytes), "" when there is no file. */
static void
saved_token(char *tok)
{
	char path[256];
	FILE *f;

	tok[0] = '\0';
	token_path(path, sizeof(path));
	f = fopen(path, "r");
	if (f == NULL)
		return;
	if (fscanf(f, "%68s", tok) != 1)
		tok[0] = '\0';
	fclose(f);
}

/* Pumps c until a token other than old is saved; false after 5 s. */
static bool
wait_new_token(struct np_client *c, const char *old, char *tok)
{
	int i;

	for (i = 0; i < 100; i++) {
		np_client_run(c, 50);
		saved_token(tok);
		if (tok[0] != '\0' && strcmp(tok, old) != 0 && np_client_connected(c))
			return true;
	}
	return false;
}

/* A report from c is accepted by the hub. */
static void
assert_report_accepted(struct np_client *c)
{
	assert_int_equal(np_report(c, "50010101", "outage", "from the token", NULL, NULL), NP_OK);
	assert_int_equal(np_client_flush(c, 5000), NP_OK);
}

/* No file under the state dir (outbox included) holds the password. */
static void
assert_password_nowhere(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "grep -r -q -a '%s' %s", PASSWORD, state);
	assert_int_equal(system(cmd) == 0, 0);
}

static void
a_password_login_saves_a_token_0600(void **st)
{
	struct np_client *c = client(PASSWORD);
	char tok[80], path[256], out[2048];
	struct stat sb;

	(void)st;
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_true(wait_new_token(c, "", tok));
	assert_int_equal(strncmp(tok, "npt_", 4), 0);
	assert_int_equal(strlen(tok), 68);
	token_path(path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(state, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_true(hub_log_has(&hub, "np: token "));
	assert_int_equal(hub_admin_out(&hub, "token list somchai", out, sizeof(out)), 0);
	assert_non_null(strstr(out, ",somchai,libnpclient "));
	assert_report_accepted(c);
	np_client_free(c);
	assert_password_nowhere();
}

static void
a_saved_token_logs_in_without_a_password(void **st)
{
	struct np_client *c = client(NULL);
	char before[80], after[80];

	(void)st;
	saved_token(before);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_report_accepted(c);
	np_client_run(c, 300);          /* no new token asked for */
	saved_token(after);
	assert_string_equal(before, after);
	np_client_free(c);
}

static void
no_password_and_no_token_is_refused_at_once(void **st)
{
	struct np_options *o = np_options_new();
	struct np_client *c = NULL;
	char why[256], other[160];

	(void)st;
	snprintf(other, sizeof(other), "%s/other", tmp);
	assert_int_equal(np_options_set_int(o, NP_OPT_PORT, hub.port), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_USERNAME, "somchai"), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_STATE_DIR, other), NP_OK);
	assert_int_equal(np_client_new(&c, o, why, sizeof(why)), NP_ERR_INVAL);
	assert_null(c);
	assert_non_null(strstr(why, "no password, and no token saved for 'somchai'"));
	np_options_free(o);
}

/* A session on the token is cut by token revoke; driven by np_client_step
 * alone, it logs in again with the password and saves a new token. */
static void
a_revoked_token_falls_back_to_the_password_live(void **st)
{
	struct np_client *c = client(PASSWORD);
	char old[80], tok[80] = "";
	int i;

	(void)st;
	saved_token(old);
	assert_int_equal(strlen(old), 68);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(hub_admin(&hub, NULL, "token revoke --user somchai"), 0);
	for (i = 0; i < 400; i++) {
		assert_int_equal(np_client_step(c), NP_OK);
		usleep(np_client_next_ms(c) > 20 ? 20000 : (useconds_t)np_client_next_ms(c) * 1000);
		saved_token(tok);
		if (tok[0] != '\0' && strcmp(tok, old) != 0 && np_client_connected(c))
			break;
	}
	assert_true(hub_log_has(&hub, "np: login refused for 'somchai' from 127.0.0.1: "
				"unknown or revoked token"));
	assert_int_equal(strlen(tok), 68);
	assert_string_not_equal(tok, old);
	assert_true(np_client_connected(c));
	assert_report_accepted(c);
	np_client_free(c);
	assert_password_nowhere();
}

static void
a_revoked_token_with_a_password_connects(void **st)
{
	struct np_client *c;
	char old[80], tok[80];

	(void)st;
	saved_token(old);
	assert_int_equal(hub_admin(&hub, NULL, "token revoke --user somchai"), 0);
	c = client(PASSWORD);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_true(wait_new_token(c, old, tok));
	np_client_free(c);
}

static void
a_revoked_token_without_a_password_is_an_auth_error(void **st)
{
	struct np_client *c = client(NULL);
	char tok[80];

	(void)st;
	assert_int_equal(hub_admin(&hub, NULL, "token revoke --user somchai"), 0);
	assert_int_equal(np_client_connect(c, 5000), NP_ERR_AUTH);
	assert_non_null(strstr(np_client_last_error(c), "with its saved token"));
	assert_int_equal(np_client_run(c, 100), NP_ERR_AUTH);
	saved_token(tok);
	assert_string_equal(tok, "");   /* deleted: the next run asks for a password */
	np_client_free(c);
	assert_password_nowhere();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_password_login_saves_a_token_0600),
		cmocka_unit_test(a_saved_token_logs_in_without_a_password),
		cmocka_unit_test(no_password_and_no_token_is_refused_at_once),
		cmocka_unit_test(a_revoked_token_falls_back_to_the_password_live),
		cmocka_unit_test(a_revoked_token_with_a_password_connects),
		cmocka_unit_test(a_revoked_token_without_a_password_is_an_auth_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
