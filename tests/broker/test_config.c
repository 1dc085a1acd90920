/* test_config.c - checks that the broker refuses to start (exits non-zero, and
 * the log names the option at fault) when plugin_opt_db_path is missing or
 * points to no initialised database, or a plugin_opt_* is unknown or malformed,
 * and that a good config with plugin_opt_max_payload starts and uses it. */
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

static struct hub hub;
static char spare[64];          /* a database copy of our own, for option tests */
static char empty[64];          /* an empty directory */

static int
group_setup(void **state)
{
	const char *tmpl = getenv("NP_TEMPLATE_DB");
	char cmd[512];

	(void)state;
	snprintf(spare, sizeof(spare), "/tmp/npcfg-db-XXXXXX");
	snprintf(empty, sizeof(empty), "/tmp/npcfg-empty-XXXXXX");
	if (mkdtemp(spare) == NULL || mkdtemp(empty) == NULL)
		return -1;
	/* the broker drops root for the mosquitto user: let it in */
	chmod(spare, 0777);
	chmod(empty, 0777);
	snprintf(cmd, sizeof(cmd), "cp '%s/data.mdb' '%s/' && chmod 0666 '%s/data.mdb'",
		 tmpl && *tmpl ? tmpl : "build/test-template-db", spare, spare);
	return system(cmd) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char cmd[200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", spare, empty);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s, %s\n", spare, empty);
	return 0;
}

static int
stop(void **state)
{
	(void)state;
	hub_stop(&hub);
	return 0;
}

/* Starts with the given plugin lines and expects a non-zero exit whose log
 * holds every needle (NULL-terminated). */
static void
assert_refuses_to_start(const char *lines, const char *const *needles)
{
	char plugin_lines[1024];
	int rc;

	snprintf(plugin_lines, sizeof(plugin_lines), "%s", lines);
	rc = hub_start_expect_exit(&hub, plugin_lines, false);
	if (rc <= 0)
		hub_print_log(&hub);
	assert_int_not_equal(rc, -1);   /* still running after 5 s */
	assert_int_not_equal(rc, -2);   /* harness could not prepare */
	assert_true(rc > 0);
	for (; *needles != NULL; needles++) {
		if (!hub_log_has(&hub, *needles)) {
			hub_print_log(&hub);
			fail_msg("the log does not say \"%s\"", *needles);
		}
	}
}

static void
missing_db_path_stops_the_broker(void **state)
{
	static const char *const needles[] = { "plugin_opt_db_path", NULL };

	(void)state;
	assert_refuses_to_start("", needles);
}

static void
db_path_to_a_nonexistent_dir_stops_the_broker(void **state)
{
	static const char *const needles[] = { "plugin_opt_db_path",
					       "/nonexistent/np-hub-db", NULL };

	(void)state;
	assert_refuses_to_start("plugin_opt_db_path /nonexistent/np-hub-db", needles);
}

static void
db_path_to_an_empty_dir_stops_the_broker_and_says_run_init(void **state)
{
	static const char *const needles[] = { "plugin_opt_db_path", "not initialised",
					       "np-admin", NULL };
	char lines[200];

	(void)state;
	snprintf(lines, sizeof(lines), "plugin_opt_db_path %s", empty);
	assert_refuses_to_start(lines, needles);
}

static void
unknown_option_stops_the_broker_and_is_named(void **state)
{
	static const char *const needles[] = { "plugin_opt_colour", NULL };
	char lines[200];

	(void)state;
	snprintf(lines, sizeof(lines), "plugin_opt_db_path %s\nplugin_opt_colour blue", spare);
	assert_refuses_to_start(lines, needles);
}

static void
max_payload_that_is_not_a_number_stops_the_broker(void **state)
{
	static const char *const needles[] = { "plugin_opt_max_payload", "'abc'", NULL };
	char lines[200];

	(void)state;
	snprintf(lines, sizeof(lines), "plugin_opt_db_path %s\nplugin_opt_max_payload abc", spare);
	assert_refuses_to_start(lines, needles);
}

static void
max_payload_out_of_range_stops_the_broker(void **state)
{
	static const char *const needles[] = { "plugin_opt_max_payload", "'10'", NULL };
	char lines[200];

	(void)state;
	snprintf(lines, sizeof(lines), "plugin_opt_db_path %s\nplugin_opt_max_payload 10", spare);
	assert_refuses_to_start(lines, needles);
}

static void
max_payload_with_trailing_junk_stops_the_broker(void **state)
{
	static const char *const needles[] = { "plugin_opt_max_payload", NULL };
	char lines[200];

	(void)state;
	snprintf(lines, sizeof(lines), "plugin_opt_db_path %s\nplugin_opt_max_payload 1000kb",
		 spare);
	assert_refuses_to_start(lines, needles);
}

/* The positive control for the tests above: the same database starts. */
static void
good_config_with_max_payload_starts_and_applies_it(void **state)
{
	struct tc *vol;
	char title[1200];
	uint8_t *buf;
	size_t len;
	int rc;

	(void)state;
	assert_int_equal(hub_start(&hub, "plugin_opt_max_payload 1000"), 0);
	assert_true(hub_alive(&hub));
	assert_true(hub_log_has(&hub, "max payload 1000 bytes"));
	vol = tc_login(&hub, "somchai", 5, &rc);
	assert_non_null(vol);
	memset(title, 'a', 1100);
	title[1100] = '\0';
	buf = env_report(title, &len);
	assert_int_equal(tc_publish(vol, "np/rep/50/5001/50010101/outage", buf, len, 1), 0x87);
	free(buf);
	title[500] = '\0';
	buf = env_report(title, &len);
	rc = tc_publish(vol, "np/rep/50/5001/50010101/outage", buf, len, 1);
	assert_true(rc == 0 || rc == 0x10);
	free(buf);
	tc_close(vol);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(missing_db_path_stops_the_broker, stop),
		cmocka_unit_test_teardown(db_path_to_a_nonexistent_dir_stops_the_broker, stop),
		cmocka_unit_test_teardown(db_path_to_an_empty_dir_stops_the_broker_and_says_run_init,
					  stop),
		cmocka_unit_test_teardown(unknown_option_stops_the_broker_and_is_named, stop),
		cmocka_unit_test_teardown(max_payload_that_is_not_a_number_stops_the_broker, stop),
		cmocka_unit_test_teardown(max_payload_out_of_range_stops_the_broker, stop),
		cmocka_unit_test_teardown(max_payload_with_trailing_junk_stops_the_broker, stop),
		cmocka_unit_test_teardown(good_config_with_max_payload_starts_and_applies_it, stop),
	};

	return cmocka_run_group_tests_name("broker_config", tests, group_setup, group_teardown);
}
