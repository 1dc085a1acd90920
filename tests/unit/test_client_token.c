/* test_client_token.c - checks libnpclient's token file (token.c), without a
 * hub: its name per user, host and port, a save that is mode 0600 and
 * replaces the old file whole (no temporary file left), a malformed file
 * ignored, and NP_OPT_STATE_DIR as a string option. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "np_int.h"

#define TOKEN_A "npt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define TOKEN_B "npt_abcdefghijklmnopqrstuvwxyz-_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

static char dir[64], path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/np-token-unit-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/somchai@hub:1883.token", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *p, const char *text, size_t len)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Entries of dir other than . and .. */
static int
entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
token_texts_are_npt_and_64_base64url_characters(void **state)
{
	(void)state;
	assert_true(np__token_valid(TOKEN_A));
	assert_true(np__token_valid(TOKEN_B));
	assert_false(np__token_valid(NULL));
	assert_false(np__token_valid(""));
	assert_false(np__token_valid("npt_AAAA"));
	assert_false(np__token_valid(TOKEN_A "A"));
	assert_false(np__token_valid("npx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	assert_false(np__token_valid("npt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
	assert_false(np__token_valid("npt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"));
}

static void
a_token_file_is_named_per_user_host_and_port(void **state)
{
	char *p, host[300];

	(void)state;
	p = np__state_path("/s", "somchai", "127.0.0.1", 1883, ".token");
	assert_string_equal(p, "/s/somchai@127.0.0.1:1883.token");
	free(p);
	p = np__state_path("/s", "a/b c", "::1", 8883, ".token");
	assert_string_equal(p, "/s/a%2Fb%20c@%3A%3A1:8883.token");
	free(p);
	p = np__state_path("/s", NULL, "hub.example", 1883, ".outbox");
	assert_string_equal(p, "/s/hub.example:1883.outbox");
	free(p);
	p = np__state_path("/s", "..", "h", 1, "");
	assert_string_equal(p, "/s/..@h:1");   /* never a bare ".." */
	free(p);
	memset(host, '/', 299);
	host[299] = '\0';
	assert_null(np__state_path("/s", "u", host, 1883, ".token"));  /* past NAME_MAX */
}

static void
a_saved_token_is_mode_0600_and_reads_back(void **state)
{
	char text[NP__TOKEN_TEXT_LEN + 1];
	struct stat sb;

	(void)state;
	assert_int_equal(np__token_save(path, TOKEN_A), NP_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, NP__TOKEN_TEXT_LEN + 1);   /* the token and a newline */
	assert_int_equal(np__token_load(path, text), NP_OK);
	assert_string_equal(text, TOKEN_A);
	assert_int_equal(entries(), 1);
}

static void
a_save_replaces_the_old_file_whole(void **state)
{
	char text[NP__TOKEN_TEXT_LEN + 1];
	struct stat before, after;
	static const char old[] = "old and long, longer than any token: xxxxxxxxxxxxxxxxxxxxxxxx"
				  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";

	(void)state;
	write_file(path, old, strlen(old));
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(np__token_save(path, TOKEN_B), NP_OK);
	assert_int_equal(stat(path, &after), 0);
	assert_int_not_equal(before.st_ino, after.st_ino);     /* renamed into place */
	assert_int_equal(after.st_mode & 0777, 0600);
	assert_int_equal(np__token_load(path, text), NP_OK);
	assert_string_equal(text, TOKEN_B);
	assert_int_equal(entries(), 1);                         /* no temporary file left */
}

static void
a_failed_save_leaves_nothing_behind(void **state)
{
	char missing[160];

	(void)state;
	assert_int_equal(np__token_save(path, "not a token"), NP_ERR_INVAL);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(missing, sizeof(missing), "%s/no/such/dir.token", dir);
	assert_int_equal(np__token_save(missing, TOKEN_A), NP_ERR_OUTBOX);
	assert_int_equal(entries(), 0);
}

static void
a_malformed_or_missing_file_is_ignored(void **state)
{
	static const char *const bad[] = {
		"", "\n", "npt_AAAA\n", TOKEN_A "\n\n", TOKEN_A "A\n", "garbage " TOKEN_A "\n",
		"npt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	};
	char text[NP__TOKEN_TEXT_LEN + 1], link[160];
	size_t i;

	(void)state;
	assert_int_equal(np__token_load(path, text), NP_ERR_INVAL);     /* no file */
	assert_string_equal(text, "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i], strlen(bad[i]));
		memset(text, 'x', sizeof(text));
		assert_int_equal(np__token_load(path, text), NP_ERR_INVAL);
		assert_string_equal(text, "");
	}
	write_file(path, TOKEN_A, strlen(TOKEN_A));     /* no newline is fine */
	assert_int_equal(np__token_load(path, text), NP_OK);
	snprintf(link, sizeof(link), "%s/link.token", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(np__token_load(link, text), NP_ERR_INVAL);     /* not followed */
}

static void
the_state_dir_is_a_string_option(void **state)
{
	struct np_options *o = np_options_new(), copy;

	(void)state;
	assert_non_null(o);
	assert_null(o->state_dir);
	assert_int_equal(np_options_set_int(o, NP_OPT_STATE_DIR, 1), NP_ERR_INVAL);
	assert_int_equal(np_options_set_string(o, NP_OPT_STATE_DIR, "/var/lib/app"), NP_OK);
	assert_int_equal(np__options_copy(&copy, o), NP_OK);
	assert_string_equal(copy.state_dir, "/var/lib/app");
	np__options_clear(&copy);
	np_options_free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_texts_are_npt_and_64_base64url_characters),
		cmocka_unit_test(a_token_file_is_named_per_user_host_and_port),
		cmocka_unit_test_setup_teardown(a_saved_token_is_mode_0600_and_reads_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_save_replaces_the_old_file_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_save_leaves_nothing_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(a_malformed_or_missing_file_is_ignored, setup,
						teardown),
		cmocka_unit_test(the_state_dir_is_a_string_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
