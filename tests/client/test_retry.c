/* test_retry.c - checks that libnpclient takes a refusal for the rate as "slow
 * down", not as final, against a real hub with a tight limit: ten reports
 * published at once all land, once each and in order, with an outbox, also
 * across a hub killed with SIGKILL, and an app that quits while some wait
 * leaves them in its outbox for the next run; a final refusal in the middle
 * of a paced queue is reported at once and never sent again, and a message
 * over the byte burst (which no wait lets through) is refused for good. */
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
#include "np_client.h"

#define RATE_CONF "plugin_opt_rate_msgs 2\nplugin_opt_rate_burst 2"
#define BYTES_CONF "plugin_opt_rate_msgs 0\nplugin_opt_rate_bytes 1000"
#define N 10

static struct hub hub;

struct seen {
	int count;
	uint8_t ids[64][NP_ID_LEN];
	int accepted, refused, queued;
	char reason[512];
};

static int
setup_rate(void **state)
{
	(void)state;
	np_lib_init();
	return hub_start(&hub, RATE_CONF);
}

static int
setup_bytes(void **state)
{
	(void)state;
	np_lib_init();
	return hub_start(&hub, BYTES_CONF);
}

static int
teardown(void **state)
{
	(void)state;
	hub_stop(&hub);
	np_lib_cleanup();
	return 0;
}

static void
rm_dir(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static int64_t
wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static struct np_client *
client(const char *user, const char *pass, const char *outbox)
{
	struct np_options *o = np_options_new();
	struct np_client *c;

	assert_non_null(o);
	assert_int_equal(np_options_set_int(o, NP_OPT_PORT, hub.port), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_USERNAME, user), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_PASSWORD, pass), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_OUTBOX_DIR, outbox), NP_OK);
	assert_int_equal(np_client_new(&c, o, NULL, 0), NP_OK);
	np_options_free(o);
	return c;
}

static void
on_msg(void *ctx, const struct np_msg *m)
{
	struct seen *s = ctx;

	if (s->count < 64)
		memcpy(s->ids[s->count], m->id, NP_ID_LEN);
	s->count++;
}

static void
on_outcome(void *ctx, const uint8_t id[NP_ID_LEN], enum np_outcome o, const char *reason)
{
	struct seen *s = ctx;

	(void)id;
	if (o == NP_ACCEPTED)
		s->accepted++;
	else if (o == NP_REFUSED)
		s->refused++;
	else
		s->queued++;
	if (o == NP_REFUSED)
		snprintf(s->reason, sizeof(s->reason), "%s", reason ? reason : "");
}

/* What the hub stored on filter since since_ms, oldest first. */
static int
history(const char *filter, int64_t since_ms, struct seen *s)
{
	struct np_client *c = client("cm_official", "cm_official-demo", NULL);
	struct np_history_query q = { .filter = filter, .since_ms = since_ms };

	memset(s, 0, sizeof(*s));
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_history(c, &q, on_msg, s, 5000), NP_OK);
	np_client_free(c);
	return s->count;
}

/* How many lines of the hub's log hold needle. */
static int
log_count(const char *needle)
{
	FILE *f = fopen(hub.log, "r");
	char line[4096];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* Publishes N reports at once (no pump between: all but the burst of 2 meet
 * the limit), their ids in ids. */
static void
publish_n(struct np_client *c, const char *kind, uint8_t ids[][NP_ID_LEN])
{
	char title[32];
	int i;

	for (i = 0; i < N; i++) {
		snprintf(title, sizeof(title), "report %d", i);
		assert_int_equal(np_report(c, "50010101", kind, title, NULL, ids[i]), NP_OK);
	}
}

static void
assert_stored_once_in_order(const char *filter, int64_t since, uint8_t ids[][NP_ID_LEN])
{
	struct seen *h = calloc(1, sizeof(*h));
	int i;

	assert_int_equal(history(filter, since, h), N);
	for (i = 0; i < N; i++)
		assert_memory_equal(h->ids[i], ids[i], NP_ID_LEN);
	free(h);
}

static void
reports_over_the_rate_all_land_once_and_in_order(void **state)
{
	char dir[] = "/tmp/npretry-XXXXXX";
	struct seen *out = calloc(1, sizeof(*out));
	uint8_t ids[N][NP_ID_LEN];
	struct np_client *c;
	int64_t since = wall_ms() - 1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	c = client("somchai", "somchai-demo", dir);
	np_client_on_outcome(c, on_outcome, out);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	publish_n(c, "incident", ids);
	assert_int_equal(np_client_flush(c, 30000), NP_OK);
	assert_int_equal(out->refused, 0);
	assert_int_equal(out->accepted, N);
	np_client_free(c);
	/* the hub did refuse some for the rate: the client sent them again */
	assert_true(log_count("over the rate limit of 2 messages/s (burst 2) (retry in ") >= 1);
	assert_stored_once_in_order("np/rep/50/5001/50010101/incident", since, ids);
	c = client("somchai", "somchai-demo", dir);     /* the outbox is empty */
	assert_int_equal(np_client_pending(c), 0);
	np_client_free(c);
	free(out);
	rm_dir(dir);
}

static void
reports_over_the_rate_survive_a_hub_killed_with_sigkill(void **state)
{
	char dir[] = "/tmp/npretry-XXXXXX";
	struct seen *out = calloc(1, sizeof(*out)), *h = calloc(1, sizeof(*h));
	uint8_t ids[N][NP_ID_LEN];
	struct np_client *c;
	int64_t since = wall_ms() - 1;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	c = client("somchai", "somchai-demo", dir);
	np_client_on_outcome(c, on_outcome, out);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	publish_n(c, "need", ids);
	for (i = 0; i < 100 && out->accepted < 4; i++)
		np_client_run(c, 20);
	assert_true(out->accepted >= 4 && out->accepted < N);
	assert_int_equal(hub_restart(&hub, true, NULL, RATE_CONF), 0);
	assert_int_equal(np_client_flush(c, 60000), NP_OK);
	assert_int_equal(out->refused, 0);
	assert_int_equal(out->accepted, N);
	np_client_free(c);
	assert_int_equal(history("np/rep/50/5001/50010101/need", since, h), N);
	for (i = 0; i < N; i++)
		assert_memory_equal(h->ids[i], ids[i], NP_ID_LEN);
	free(out);
	free(h);
	rm_dir(dir);
}

static void
an_app_that_quits_while_paced_leaves_the_rest_in_its_outbox(void **state)
{
	char dir[] = "/tmp/npretry-XXXXXX";
	struct seen *out = calloc(1, sizeof(*out));
	uint8_t ids[N][NP_ID_LEN];
	struct np_client *c;
	int64_t since = wall_ms() - 1;
	size_t left;

	(void)state;
	assert_non_null(mkdtemp(dir));
	c = client("somchai", "somchai-demo", dir);
	np_client_on_outcome(c, on_outcome, out);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	publish_n(c, "outage", ids);
	assert_int_equal(np_client_flush(c, 300), NP_ERR_TIMEOUT);
	left = np_client_pending(c);
	assert_true(left > 0);
	assert_int_equal(out->refused, 0);
	assert_int_equal((size_t)out->accepted + left, N);
	np_client_free(c);
	/* the next run finds the rest in the outbox and sends it */
	memset(out, 0, sizeof(*out));
	c = client("somchai", "somchai-demo", dir);
	np_client_on_outcome(c, on_outcome, out);
	assert_int_equal(np_client_pending(c), left);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_client_flush(c, 30000), NP_OK);
	assert_int_equal(out->refused, 0);
	assert_int_equal((size_t)out->accepted, left);
	np_client_free(c);
	assert_stored_once_in_order("np/rep/50/5001/50010101/outage", since, ids);
	free(out);
	rm_dir(dir);
}

static void
a_final_refusal_while_paced_is_reported_at_once_and_not_sent_again(void **state)
{
	struct seen *out = calloc(1, sizeof(*out));
	struct np_client *c = client("somchai", "somchai-demo", NULL);
	int i;

	(void)state;
	np_client_on_outcome(c, on_outcome, out);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	for (i = 0; i < 4; i++)
		assert_int_equal(np_report(c, "50010101", "feedback", "mine", NULL, NULL), NP_OK);
	assert_int_equal(np_report(c, "50010102", "feedback", "not my village", NULL, NULL), NP_OK);
	for (i = 0; i < 3; i++)
		assert_int_equal(np_report(c, "50010101", "feedback", "mine", NULL, NULL), NP_OK);
	assert_int_equal(np_client_flush(c, 30000), NP_OK);
	assert_int_equal(out->accepted, 7);
	assert_int_equal(out->refused, 1);
	assert_string_equal(out->reason, "may report only for one's own village");
	np_client_free(c);
	assert_int_equal(log_count("on 'np/rep/50/5001/50010102/feedback': may report only"), 1);
	free(out);
}

static void
a_message_over_the_byte_burst_is_refused_for_good(void **state)
{
	struct seen *out = calloc(1, sizeof(*out));
	struct np_client *c = client("somchai", "somchai-demo", NULL);
	char detail[3001];

	(void)state;
	memset(detail, 'x', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	np_client_on_outcome(c, on_outcome, out);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	/* 3000 bytes and more: over the burst of 2 x 1000 bytes/s */
	assert_int_equal(np_report(c, "50010101", "need", "big", detail, NULL), NP_OK);
	assert_int_equal(np_client_flush(c, 10000), NP_OK);
	assert_int_equal(out->refused, 1);
	assert_int_equal(out->accepted, 0);
	assert_string_equal(out->reason, "over the rate limit of 1000 bytes/s");
	/* a small one after it passes: the client is not left paced */
	assert_int_equal(np_report(c, "50010101", "need", "small", NULL, NULL), NP_OK);
	assert_int_equal(np_client_flush(c, 10000), NP_OK);
	assert_int_equal(out->accepted, 1);
	np_client_free(c);
	assert_int_equal(log_count("over the rate limit of 1000 bytes/s"), 1);
	assert_int_equal(log_count("(retry in "), 0);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reports_over_the_rate_all_land_once_and_in_order,
						setup_rate, teardown),
		cmocka_unit_test_setup_teardown(reports_over_the_rate_survive_a_hub_killed_with_sigkill,
						setup_rate, teardown),
		cmocka_unit_test_setup_teardown(
			an_app_that_quits_while_paced_leaves_the_rest_in_its_outbox, setup_rate,
			teardown),
		cmocka_unit_test_setup_teardown(
			a_final_refusal_while_paced_is_reported_at_once_and_not_sent_again,
			setup_rate, teardown),
		cmocka_unit_test_setup_teardown(a_message_over_the_byte_burst_is_refused_for_good,
						setup_bytes, teardown),
	};

	return cmocka_run_group_tests_name("client_retry", tests, NULL, NULL);
}
