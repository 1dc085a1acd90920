/* test_client.c - checks libnpclient against a real hub: a report reaches the
 * official's feed stamped, a refusal comes back with the hub's reason, 1,000
 * QoS 1 reports sent across a broker restart all land exactly once, an outbox
 * written by a process killed with SIGKILL is sent once by the next, outcomes
 * come only from the pump, and an app's own poll() loop can drive a client. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "np_client.h"

/* Removes this test's own directory (never another run's: tests run side by side). */
static void
rm_dir(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static struct hub hub;

struct seen {
	int count;
	char last_topic[128];
	char last_sender[64];
	char last_title[128];
	uint8_t ids[2000][NP_ID_LEN];
	int accepted, refused, queued;
	char reason[256];
};

static int
setup(void **state)
{
	(void)state;
	np_lib_init();
	return hub_start(&hub, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	hub_stop(&hub);
	np_lib_cleanup();
	return 0;
}

static struct np_options *
options(const char *user, const char *pass, const char *outbox, int port)
{
	struct np_options *o = np_options_new();

	assert_non_null(o);
	assert_int_equal(np_options_set_int(o, NP_OPT_PORT, port ? port : hub.port), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_USERNAME, user), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_PASSWORD, pass), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_OUTBOX_DIR, outbox), NP_OK);
	return o;
}

static struct np_client *
client(const char *user, const char *pass, const char *outbox, int port)
{
	struct np_options *o = options(user, pass, outbox, port);
	struct np_client *c;

	assert_int_equal(np_client_new(&c, o, NULL, 0), NP_OK);
	np_options_free(o);
	return c;
}

static void
on_msg(void *ctx, const struct np_msg *m)
{
	struct seen *s = ctx;

	if (s->count < 2000)
		memcpy(s->ids[s->count], m->id, NP_ID_LEN);
	s->count++;
	snprintf(s->last_topic, sizeof(s->last_topic), "%s", m->topic);
	snprintf(s->last_sender, sizeof(s->last_sender), "%s/%s/%s", m->sender.username,
		 np_role_name(m->sender.role), m->sender.area);
	if (m->body == NP_BODY_REPORT)
		snprintf(s->last_title, sizeof(s->last_title), "%s", m->u.report.title);
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
	if (reason != NULL)
		snprintf(s->reason, sizeof(s->reason), "%s", reason);
}

static void
a_report_reaches_the_officials_feed_stamped(void **state)
{
	struct np_client *vol = client("somchai", "somchai-demo", NULL, 0);
	struct np_client *off = client("cm_official", "cm_official-demo", NULL, 0);
	struct seen *feed = calloc(1, sizeof(*feed)), *out = calloc(1, sizeof(*out));
	uint8_t id[NP_ID_LEN];
	int i;

	(void)state;
	assert_int_equal(np_client_connect(off, 5000), NP_OK);
	assert_int_equal(np_follow(off, "np/rep/50/#", on_msg, feed), NP_OK);
	assert_int_equal(np_client_connect(vol, 5000), NP_OK);
	np_client_on_outcome(vol, on_outcome, out);
	assert_int_equal(np_report(vol, "50010101", "outage", "ไฟดับ", "since 9am", id), NP_OK);
	assert_int_equal(np_client_flush(vol, 5000), NP_OK);
	assert_int_equal(out->accepted, 1);
	for (i = 0; i < 40 && feed->count == 0; i++)
		np_client_run(off, 50);
	assert_int_equal(feed->count, 1);
	assert_memory_equal(feed->ids[0], id, NP_ID_LEN);
	assert_string_equal(feed->last_topic, "np/rep/50/5001/50010101/outage");
	assert_string_equal(feed->last_sender, "somchai/volunteer/50010101");
	assert_string_equal(feed->last_title, "ไฟดับ");
	np_client_free(vol);
	np_client_free(off);
	free(feed);
	free(out);
}

static void
a_refusal_comes_back_with_the_hubs_reason(void **state)
{
	struct np_client *vol = client("somchai", "somchai-demo", NULL, 0);
	struct seen *out = calloc(1, sizeof(*out));

	(void)state;
	assert_int_equal(np_client_connect(vol, 5000), NP_OK);
	np_client_on_outcome(vol, on_outcome, out);
	assert_int_equal(np_report(vol, "50010102", "outage", "not my village", NULL, NULL), NP_OK);
	assert_int_equal(np_client_flush(vol, 5000), NP_OK);
	assert_int_equal(out->refused, 1);
	assert_string_equal(out->reason, "may report only for one's own village");
	assert_int_equal(np_follow(vol, "np/rep/50/#", on_msg, out), NP_ERR_REFUSED);
	np_client_free(vol);
	free(out);
}

static void
a_wrong_password_and_an_unreachable_hub_are_errors(void **state)
{
	struct np_client *c = client("somchai", "wrong", NULL, 0);

	(void)state;
	assert_int_equal(np_client_connect(c, 5000), NP_ERR_AUTH);
	np_client_free(c);
	c = client("somchai", "somchai-demo", NULL, 1);
	assert_int_equal(np_client_connect(c, 2000), NP_ERR_UNREACHABLE);
	assert_int_equal(np_report(c, "50010101", "need", "x", NULL, NULL), NP_ERR_NOT_CONNECTED);
	assert_non_null(strstr(np_client_last_error(c), "127.0.0.1:1"));
	np_client_free(c);
}

static size_t
count_history(const char *filter, struct seen *s)
{
	struct np_client *c = client("bkk_official", "bkk_official-pw", NULL, 0);
	struct np_history_query q = { .filter = filter };

	memset(s, 0, sizeof(*s));
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_history(c, &q, on_msg, s, 5000), NP_OK);
	np_client_free(c);
	return (size_t)s->count;
}

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, NP_ID_LEN);
}

static void
assert_unique(struct seen *s)
{
	int i;

	qsort(s->ids, (size_t)s->count, NP_ID_LEN, cmp_id);
	for (i = 1; i < s->count; i++)
		assert_memory_not_equal(s->ids[i - 1], s->ids[i], NP_ID_LEN);
}

static void
a_thousand_reports_across_a_broker_restart_land_exactly_once(void **state)
{
	char dir[] = "/tmp/npoutbox-XXXXXX";
	struct np_client *vol;
	struct seen *out = calloc(1, sizeof(*out)), *hist = calloc(1, sizeof(*hist));
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	vol = client("vol_bkk", "vol_bkk-pw", dir, 0);
	np_client_on_outcome(vol, on_outcome, out);
	assert_int_equal(np_client_connect(vol, 5000), NP_OK);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(np_report(vol, "10010101", "incident", "stream", NULL, NULL), NP_OK);
		np_client_run(vol, 0);
		if (i == 400)   /* the hub goes away with messages in flight */
			assert_int_equal(hub_restart(&hub, true, NULL, NULL), 0);
	}
	assert_int_equal(np_client_flush(vol, 60000), NP_OK);
	assert_int_equal(out->refused, 0);
	assert_int_equal(out->accepted, 1000);
	np_client_free(vol);
	assert_int_equal(count_history("np/rep/10/1001/10010101/incident", hist), 1000);
	assert_unique(hist);
	free(out);
	free(hist);
	rm_dir(dir);
}

static void
an_outbox_survives_kill_9_and_is_sent_once(void **state)
{
	char dir[] = "/tmp/npoutbox-XXXXXX";
	struct seen *out = calloc(1, sizeof(*out)), *hist = calloc(1, sizeof(*hist));
	struct np_client *c;
	pid_t pid;
	int status, i, pipefd[2];
	char ok;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		/* the hub is unreachable (port 1): 50 reports go to the outbox */
		c = client("vol_bkk", "vol_bkk-pw", dir, 1);
		np_client_connect(c, 500);
		for (i = 0; i < 50; i++) {
			if (np_report(c, "10010101", "feedback", "from the outbox", NULL, NULL) != NP_OK)
				_exit(2);
		}
		if (write(pipefd[1], "k", 1) != 1)
			_exit(3);
		pause();        /* killed here, before any cleanup */
		_exit(0);
	}
	assert_int_equal(read(pipefd[0], &ok, 1), 1);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	assert_true(WIFSIGNALED(status));
	c = client("vol_bkk", "vol_bkk-pw", dir, 0);
	np_client_on_outcome(c, on_outcome, out);
	assert_int_equal(np_client_pending(c), 50);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_client_flush(c, 10000), NP_OK);
	assert_int_equal(out->accepted, 50);
	np_client_free(c);
	c = client("vol_bkk", "vol_bkk-pw", dir, 0);   /* nothing is left to send */
	assert_int_equal(np_client_pending(c), 0);
	np_client_free(c);
	assert_int_equal(count_history("np/rep/10/1001/10010101/feedback", hist), 50);
	assert_unique(hist);
	free(out);
	free(hist);
	close(pipefd[0]);
	close(pipefd[1]);
	rm_dir(dir);
}

static void
history_pages_through_everything_and_stops_at_max(void **state)
{
	struct np_client *c = client("ministry", "ministry-demo", NULL, 0);
	struct np_history_query q = { .filter = "np/rep/10/#" };
	struct seen *s = calloc(1, sizeof(*s));

	(void)state;
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_history(c, &q, on_msg, s, 5000), NP_OK);
	assert_int_equal(s->count, 1050);
	memset(s, 0, sizeof(*s));
	q.max = 120;
	assert_int_equal(np_history(c, &q, on_msg, s, 5000), NP_OK);
	assert_int_equal(s->count, 120);
	q.filter = "np/rep/#/bad";
	assert_int_equal(np_history(c, &q, on_msg, s, 5000), NP_ERR_HISTORY);
	assert_non_null(strstr(np_client_last_error(c), "'#' must be the last"));
	np_client_free(c);
	free(s);
}

static void
an_outbox_resends_only_its_own_users_messages(void **state)
{
	char dir[] = "/tmp/npoutbox-XXXXXX";
	struct np_client *c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	c = client("vol_bkk", "vol_bkk-pw", dir, 1);
	assert_int_equal(np_report(c, "10010101", "need", "queued by vol_bkk", NULL, NULL), NP_OK);
	np_client_free(c);
	c = client("somchai", "somchai-demo", dir, 0);
	assert_int_equal(np_client_pending(c), 0);      /* not somchai's to send */
	np_client_free(c);
	c = client("vol_bkk", "vol_bkk-pw", dir, 0);
	assert_int_equal(np_client_pending(c), 1);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_client_flush(c, 5000), NP_OK);
	np_client_free(c);
	rm_dir(dir);
}

static void
overlapping_feeds_get_each_message_once(void **state)
{
	struct np_client *off = client("cm_official", "cm_official-demo", NULL, 0);
	struct np_client *vol = client("somchai", "somchai-demo", NULL, 0);
	struct seen *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	int i;

	(void)state;
	assert_int_equal(np_client_connect(off, 5000), NP_OK);
	assert_int_equal(np_follow(off, "np/rep/50/#", on_msg, a), NP_OK);
	assert_int_equal(np_follow(off, "np/rep/50/5001/#", on_msg, b), NP_OK);
	assert_int_equal(np_client_connect(vol, 5000), NP_OK);
	assert_int_equal(np_report(vol, "50010101", "need", "overlap", NULL, NULL), NP_OK);
	assert_int_equal(np_client_flush(vol, 5000), NP_OK);
	for (i = 0; i < 20; i++)
		np_client_run(off, 50);
	assert_int_equal(a->count, 1);      /* each feed once, not once per broker copy */
	assert_int_equal(b->count, 1);
	np_client_free(vol);
	np_client_free(off);
	free(a);
	free(b);
}

static void
a_full_or_unwritable_outbox_is_an_error(void **state)
{
	char dir[] = "/tmp/npoutbox-XXXXXX", why[256];
	struct np_options *o;
	struct np_client *c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	o = options("vol_bkk", "vol_bkk-pw", dir, 1);   /* unreachable: all to the outbox */
	assert_int_equal(np_options_set_int(o, NP_OPT_OUTBOX_MAX, 2), NP_OK);
	assert_int_equal(np_client_new(&c, o, why, sizeof(why)), NP_OK);
	assert_int_equal(np_report(c, "10010101", "need", "1", NULL, NULL), NP_OK);
	assert_int_equal(np_report(c, "10010101", "need", "2", NULL, NULL), NP_OK);
	assert_int_equal(np_report(c, "10010101", "need", "3", NULL, NULL), NP_ERR_OUTBOX);
	assert_non_null(strstr(np_client_last_error(c), "is full (2 messages)"));
	np_client_free(c);
	/* cannot be a directory: no client, the detail in why */
	assert_int_equal(np_options_set_string(o, NP_OPT_OUTBOX_DIR, "/dev/null/outbox"), NP_OK);
	c = (struct np_client *)&c;
	assert_int_equal(np_client_new(&c, o, why, sizeof(why)), NP_ERR_OUTBOX);
	assert_null(c);
	assert_non_null(strstr(why, "/dev/null/outbox"));
	np_options_free(o);
	rm_dir(dir);
}

static void
a_queued_outcome_comes_from_the_pump_not_the_call(void **state)
{
	char dir[] = "/tmp/npoutbox-XXXXXX";
	struct seen *out = calloc(1, sizeof(*out));
	struct np_client *c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	c = client("vol_bkk", "vol_bkk-pw", dir, 1);    /* the hub cannot be reached */
	np_client_on_outcome(c, on_outcome, out);
	assert_int_equal(np_report(c, "10010101", "need", "later", NULL, NULL), NP_OK);
	assert_int_equal(out->queued, 0);               /* not inside np_report */
	assert_int_equal(np_client_run(c, 0), NP_OK);
	assert_int_equal(out->queued, 1);
	assert_string_equal(out->reason, "the hub cannot be reached now");
	assert_int_equal(np_client_run(c, 0), NP_OK);
	assert_int_equal(out->queued, 1);               /* once */
	np_client_free(c);
	free(out);
	rm_dir(dir);
}

/* Steps c from an app's poll() loop until *done (or c is connected, when
 * done is NULL) or timeout_ms. */
static void
poll_loop(struct np_client *c, const int *done, int timeout_ms)
{
	struct pollfd pfd;
	int i;

	for (i = 0; i < timeout_ms / 10; i++) {
		if (done != NULL ? *done != 0 : np_client_connected(c))
			break;
		pfd.fd = np_client_fd(c);
		pfd.events = (short)(POLLIN | (np_client_want_write(c) ? POLLOUT : 0));
		pfd.revents = 0;
		assert_true(np_client_next_ms(c) >= 0);
		if (pfd.fd >= 0)
			assert_true(poll(&pfd, 1, 10) >= 0);
		else
			usleep(10000);
		assert_int_equal(np_client_step(c), NP_OK);
	}
}

static void
an_app_loop_drives_the_client_with_fd_and_step(void **state)
{
	struct np_client *off = client("cm_official", "cm_official-demo", NULL, 0);
	struct np_client *vol = client("somchai", "somchai-demo", NULL, 0);
	struct seen *feed = calloc(1, sizeof(*feed));

	(void)state;
	assert_int_equal(np_client_fd(off), -1);       /* no socket before the first step */
	assert_int_equal(np_follow(off, "np/rep/50/#", on_msg, feed), NP_OK);
	poll_loop(off, NULL, 5000);                     /* the steps connect */
	assert_true(np_client_connected(off));
	assert_true(np_client_fd(off) >= 0);
	np_client_run(off, 200);                        /* the SUBACK of the feed */
	assert_int_equal(np_client_connect(vol, 5000), NP_OK);
	assert_int_equal(np_report(vol, "50010101", "need", "by step", NULL, NULL), NP_OK);
	assert_int_equal(np_client_flush(vol, 5000), NP_OK);
	poll_loop(off, &feed->count, 5000);
	assert_int_equal(feed->count, 1);
	assert_string_equal(feed->last_title, "by step");
	np_client_free(vol);
	np_client_free(off);
	free(feed);
}

static void
the_version_is_the_headers(void **state)
{
	int major = -1, minor = -1, patch = -1;
	char v[32];

	(void)state;
	assert_int_equal(np_version(&major, &minor, &patch), NP_VERSION_NUMBER);
	snprintf(v, sizeof(v), "%d.%d.%d", major, minor, patch);
	assert_string_equal(v, NP_VERSION);
	assert_int_equal(np_version(NULL, NULL, NULL), NP_VERSION_NUMBER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_report_reaches_the_officials_feed_stamped),
		cmocka_unit_test(a_refusal_comes_back_with_the_hubs_reason),
		cmocka_unit_test(a_wrong_password_and_an_unreachable_hub_are_errors),
		cmocka_unit_test(a_thousand_reports_across_a_broker_restart_land_exactly_once),
		cmocka_unit_test(an_outbox_survives_kill_9_and_is_sent_once),
		cmocka_unit_test(history_pages_through_everything_and_stops_at_max),
		cmocka_unit_test(an_outbox_resends_only_its_own_users_messages),
		cmocka_unit_test(overlapping_feeds_get_each_message_once),
		cmocka_unit_test(a_full_or_unwritable_outbox_is_an_error),
		cmocka_unit_test(a_queued_outcome_comes_from_the_pump_not_the_call),
		cmocka_unit_test(an_app_loop_drives_the_client_with_fd_and_step),
		cmocka_unit_test(the_version_is_the_headers),
	};

	return cmocka_run_group_tests_name("client", tests, setup, teardown);
}
