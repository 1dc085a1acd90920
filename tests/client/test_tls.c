/* test_tls.c - checks that the library and the hub talk over TLS with a CA
 * file (a throwaway CA from scripts/make-certs.sh), that a client with the wrong
 * CA gets NP_ERR_TLS, and that a plain client cannot use the TLS listener. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "np_client.h"

static struct hub hub;
static int tls_port;
static char certs[] = "/tmp/npcerts-XXXXXX";
static char other[] = "/tmp/npcerts-XXXXXX";

static int
setup(void **state)
{
	char cmd[300], conf[600];

	(void)state;
	np_lib_init();
	if (mkdtemp(certs) == NULL || mkdtemp(other) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "scripts/make-certs.sh %s && scripts/make-certs.sh %s", certs,
		 other);
	if (system(cmd) != 0)
		return -1;
	tls_port = hub_free_port();
	snprintf(conf, sizeof(conf), "listener %d 127.0.0.1\ncafile %s/ca.crt\ncertfile %s/server.crt\n"
		 "keyfile %s/server.key", tls_port, certs, certs, certs);
	return hub_start(&hub, conf);
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	hub_stop(&hub);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", certs, other);
	np_lib_cleanup();
	return system(cmd);
}

static struct np_client *
client(const char *cafile, int port)
{
	struct np_options *o = np_options_new();
	struct np_client *c;

	assert_non_null(o);
	assert_int_equal(np_options_set_string(o, NP_OPT_HOST, "localhost"), NP_OK);
	assert_int_equal(np_options_set_int(o, NP_OPT_PORT, port), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_USERNAME, "somchai"), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_PASSWORD, "somchai-demo"), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_CAFILE, cafile), NP_OK);
	assert_int_equal(np_client_new(&c, o, NULL, 0), NP_OK);
	np_options_free(o);
	return c;
}

static int accepted;

static void
on_outcome(void *ctx, const uint8_t id[NP_ID_LEN], enum np_outcome o, const char *reason)
{
	(void)ctx;
	(void)id;
	(void)reason;
	accepted += o == NP_ACCEPTED;
}

static void
a_report_goes_through_tls_with_the_right_ca(void **state)
{
	char ca[300];
	struct np_client *c;

	(void)state;
	snprintf(ca, sizeof(ca), "%s/ca.crt", certs);
	c = client(ca, tls_port);
	np_client_on_outcome(c, on_outcome, NULL);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_report(c, "50010101", "need", "over TLS", NULL, NULL), NP_OK);
	assert_int_equal(np_client_flush(c, 5000), NP_OK);
	assert_int_equal(accepted, 1);
	np_client_free(c);
}

static void
a_wrong_ca_is_a_tls_error(void **state)
{
	char ca[300];
	struct np_client *c;

	(void)state;
	snprintf(ca, sizeof(ca), "%s/ca.crt", other);
	c = client(ca, tls_port);
	assert_int_equal(np_client_connect(c, 5000), NP_ERR_TLS);
	np_client_free(c);
	c = client("/nonexistent/ca.crt", tls_port);
	assert_int_equal(np_client_connect(c, 5000), NP_ERR_TLS);
	np_client_free(c);
}

static void
a_plain_client_cannot_use_the_tls_listener(void **state)
{
	struct np_client *c;
	int rc;

	(void)state;
	c = client(NULL, tls_port);
	rc = np_client_connect(c, 3000);
	assert_true(rc == NP_ERR_UNREACHABLE || rc == NP_ERR_TIMEOUT);
	np_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_report_goes_through_tls_with_the_right_ca),
		cmocka_unit_test(a_wrong_ca_is_a_tls_error),
		cmocka_unit_test(a_plain_client_cannot_use_the_tls_listener),
	};

	return cmocka_run_group_tests_name("client_tls", tests, setup, teardown);
}
