/* test_expiry.c - checks libnpclient's side of Announcement.expires_at_ms
 * against a real hub: np_announce_ex sends the expiry and a feed hands it
 * over (np_msg_expired says whether it has passed); one already expired comes
 * back NP_REFUSED with the hub's reason and reaches no feed; a negative expiry
 * or an unset size is NP_ERR_INVAL, nothing sent; and a feed that follows
 * after a retained announcement expired gets nothing of it, while an
 * unexpired retained one still arrives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "np_client.h"

#define REASON_EXPIRED "the announcement has already expired (its expires_at_ms is not after " \
		       "the hub's clock)"

static struct hub hub;

struct seen {
	int count;
	char topic[128];
	int64_t expires_at_ms;
	bool expired;
	int accepted, refused;
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

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct np_client *
client(const char *user)
{
	struct np_options *o = np_options_new();
	struct np_client *c;
	char pw[96];

	assert_non_null(o);
	tc_password_of(user, pw, sizeof(pw));
	assert_int_equal(np_options_set_int(o, NP_OPT_PORT, hub.port), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_USERNAME, user), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_PASSWORD, pw), NP_OK);
	assert_int_equal(np_client_new(&c, o, NULL, 0), NP_OK);
	np_options_free(o);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	return c;
}

static void
on_msg(void *ctx, const struct np_msg *m)
{
	struct seen *s = ctx;

	s->count++;
	snprintf(s->topic, sizeof(s->topic), "%s", m->topic);
	s->expires_at_ms = m->body == NP_BODY_ANNOUNCEMENT ? m->u.announcement.expires_at_ms : -1;
	s->expired = np_msg_expired(m, 0);
}

static void
on_outcome(void *ctx, const uint8_t id[NP_ID_LEN], enum np_outcome o, const char *reason)
{
	struct seen *s = ctx;

	(void)id;
	s->accepted += o == NP_ACCEPTED;
	s->refused += o == NP_REFUSED;
	if (reason != NULL)
		snprintf(s->reason, sizeof(s->reason), "%s", reason);
}

static void
pump(struct np_client *c, int ms)
{
	int i;

	for (i = 0; i < ms / 50; i++)
		np_client_run(c, 50);
}

static int
announce(struct np_client *c, const char *category, int64_t at, struct seen *out)
{
	struct np_announcement a = NP_ANNOUNCEMENT_INIT;

	a.area = "50";
	a.category = category;
	a.title = "Storm tonight";
	a.expires_at_ms = at;
	np_client_on_outcome(c, on_outcome, out);
	return np_announce_ex(c, &a, NULL);
}

static void
the_expiry_goes_out_and_comes_back_to_a_feed(void **state)
{
	struct np_client *off = client("cm_official"), *vol = client("somchai");
	struct seen *feed = calloc(1, sizeof(*feed)), *out = calloc(1, sizeof(*out));
	int64_t at = now_ms() + 3600000;
	struct np_msg m;

	(void)state;
	assert_int_equal(np_follow(vol, "np/ann/50/#", on_msg, feed), NP_OK);
	assert_int_equal(announce(off, "weather", at, out), NP_OK);
	assert_int_equal(np_client_flush(off, 5000), NP_OK);
	assert_int_equal(out->accepted, 1);
	pump(vol, 2000);
	assert_int_equal(feed->count, 1);
	assert_true(feed->expires_at_ms == at);
	assert_false(feed->expired);
	/* np_msg_expired: by the clock given */
	memset(&m, 0, sizeof(m));
	m.body = NP_BODY_ANNOUNCEMENT;
	m.u.announcement.expires_at_ms = at;
	assert_false(np_msg_expired(&m, at - 1));
	assert_true(np_msg_expired(&m, at));
	m.u.announcement.expires_at_ms = 0;
	assert_false(np_msg_expired(&m, INT64_MAX));
	/* np_announce still works, and never expires */
	assert_int_equal(np_announce(off, "50", "health", "Clinic open", NULL, NULL), NP_OK);
	assert_int_equal(np_client_flush(off, 5000), NP_OK);
	pump(vol, 2000);
	assert_int_equal(feed->count, 2);
	assert_true(feed->expires_at_ms == 0);
	np_client_free(off);
	np_client_free(vol);
	free(feed);
	free(out);
}

static void
an_expired_one_is_refused_with_the_hubs_reason(void **state)
{
	struct np_client *off = client("cm_official"), *vol = client("somchai");
	struct seen *feed = calloc(1, sizeof(*feed)), *out = calloc(1, sizeof(*out));

	(void)state;
	assert_int_equal(np_follow(vol, "np/ann/50/#", on_msg, feed), NP_OK);
	assert_int_equal(announce(off, "weather", now_ms() - 1000, out), NP_OK);
	assert_int_equal(np_client_flush(off, 5000), NP_OK);
	assert_int_equal(out->refused, 1);
	assert_string_equal(out->reason, REASON_EXPIRED);
	pump(vol, 500);
	assert_int_equal(feed->count, 0);
	np_client_free(off);
	np_client_free(vol);
	free(feed);
	free(out);
}

static void
a_negative_expiry_or_an_unset_size_is_inval(void **state)
{
	struct np_client *off = client("cm_official");
	struct np_announcement a = NP_ANNOUNCEMENT_INIT;
	struct seen *out = calloc(1, sizeof(*out));

	(void)state;
	assert_int_equal(announce(off, "weather", -1, out), NP_ERR_INVAL);
	assert_non_null(strstr(np_client_last_error(off), "expires_at_ms"));
	a.size = 0;
	a.area = "50";
	a.category = "weather";
	a.title = "x";
	assert_int_equal(np_announce_ex(off, &a, NULL), NP_ERR_INVAL);
	assert_int_equal(np_announce_ex(off, NULL, NULL), NP_ERR_INVAL);
	assert_int_equal(np_client_pending(off), 0);
	np_client_free(off);
	free(out);
}

/* A retained announcement from cm_official, expiring at at, by the stock
 * mosquitto_pub. */
static void
retain(const char *topic, int64_t at)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Announcement a = NP__ANNOUNCEMENT__INIT;
	char file[] = "/tmp/np-expiry-XXXXXX", cmd[1024], pw[96];
	uint8_t id[16], *buf;
	size_t len;
	int fd, status;

	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	a.title = "Retained";
	a.expires_at_ms = at;
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &a;
	buf = env_pack(&e, &len);
	fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
	tc_password_of("cm_official", pw, sizeof(pw));
	snprintf(cmd, sizeof(cmd), "mosquitto_pub -h 127.0.0.1 -p %d -u cm_official -P %s -V 5 "
		 "-q 1 -r -t %s -f %s", hub.port, pw, topic, file);
	status = system(cmd);
	unlink(file);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
a_feed_gets_no_retained_announcement_once_expired(void **state)
{
	struct np_client *vol;
	struct seen *feed = calloc(1, sizeof(*feed));

	(void)state;
	retain("np/ann/50/weather", now_ms() + 2000);
	retain("np/ann/50/health", now_ms() + 3600000);
	usleep(2700 * 1000);
	vol = client("somchai");
	assert_int_equal(np_follow(vol, "np/ann/50/#", on_msg, feed), NP_OK);
	pump(vol, 1500);
	assert_int_equal(feed->count, 1);
	assert_string_equal(feed->topic, "np/ann/50/health");
	np_client_free(vol);
	free(feed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_expiry_goes_out_and_comes_back_to_a_feed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(an_expired_one_is_refused_with_the_hubs_reason, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_negative_expiry_or_an_unset_size_is_inval, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_feed_gets_no_retained_announcement_once_expired,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
