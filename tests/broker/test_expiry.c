/* test_expiry.c - checks that Announcement.expires_at_ms holds on a real hub
 * (DESIGN.md "Feeds that never miss a message", Expiry): an announcement
 * already expired, or with a negative expiry, is refused with its reason
 * (PUBACK 0x87, the Refusal on np/reply/<user>/error, the log) and is stored
 * and delivered nowhere; a will that expired before the link broke is refused
 * the same way; an unexpired one reaches live subscribers, the stock
 * mosquitto_sub included, with its expiry intact; and one that expires while
 * retained, or while queued for an offline persistent session (MQTT 3.1.1
 * and 5), is handed to nobody (no byte reaches mosquitto_sub) while the
 * history still holds it. One broker per test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <mosquitto.h>

#include "harness.h"

#define REFUSED 0x87
#define QUIET_MS 300
#define SHORT_MS 3000           /* the expiry that tests wait past (room for three
				 * stock clients' logins before it, on a loaded machine) */
#define PAST_MS 700             /* how long past it they wait */
#define ANN_TOPIC "np/ann/50/weather"
#define OTHER_TOPIC "np/ann/50/health"
#define REASON_EXPIRED "the announcement has already expired (its expires_at_ms is not after " \
		       "the hub's clock)"
#define REASON_NEGATIVE "announcement expires_at_ms is negative (want ms since 1970, or 0: " \
			"never expires)"

static struct hub hub;
static bool passed;

static int
setup(void **state)
{
	(void)state;
	passed = false;
	return hub_start(&hub, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	if (!passed)
		hub_print_log(&hub);
	hub_stop(&hub);
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A client's announcement titled title, expiring at at (0: never); its id
 * into id. malloc'd. */
static uint8_t *
announcement(const char *title, int64_t at, uint8_t id[16], size_t *len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Announcement a = NP__ANNOUNCEMENT__INIT;

	env_new_id(id);
	e.id.data = id;
	e.id.len = 16;
	e.sent_at_ms = now_ms();
	a.title = (char *)title;
	a.expires_at_ms = at;
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &a;
	return env_pack(&e, len);
}

static void
hex(const uint8_t id[16], char out[33])
{
	int i;

	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* Whether np-admin history export of the hub's db holds the message id. */
static bool
in_history(const uint8_t id[16])
{
	static char out[1 << 16];
	char want[64], h[33];

	hex(id, h);
	snprintf(want, sizeof(want), "\"id\":\"%s\"", h);
	assert_int_equal(hub_admin_out(&hub, "history export --filter 'np/ann/#' 2>/dev/null", out,
				       sizeof(out)), 0);
	return strstr(out, want) != NULL;
}

/* The expires_at_ms of a delivered announcement (-1 if it is none). */
static int64_t
expiry_of(const struct tc_msg *m)
{
	Np__Envelope *e = env_unpack(m);
	int64_t at = -1;

	assert_non_null(e);
	if (e->body_case == NP__ENVELOPE__BODY_ANNOUNCEMENT)
		at = e->announcement->expires_at_ms;
	np__envelope__free_unpacked(e, NULL);
	return at;
}

/* The next message of c must be the Refusal of id on topic with reason. */
static void
assert_refusal(struct tc *c, const char *topic, const char *reason, const uint8_t id[16])
{
	struct tc_msg m;
	Np__Envelope *e;

	assert_true(tc_next(c, &m, 2000));
	assert_string_equal(m.topic, "np/reply/cm_official/error");
	e = env_unpack(&m);
	assert_non_null(e);
	assert_int_equal(e->body_case, NP__ENVELOPE__BODY_REFUSAL);
	assert_string_equal(e->refusal->reason, reason);
	assert_string_equal(e->refusal->topic, topic);
	assert_int_equal(e->refusal->id.len, 16);
	assert_memory_equal(e->refusal->id.data, id, 16);
	np__envelope__free_unpacked(e, NULL);
	tc_msg_free(&m);
}

/* Runs the stock mosquitto_sub as user with args (stdout line-buffered);
 * its stdout into out. Returns its exit status. */
static int
stock_sub(const char *user, const char *args, char *out, size_t n)
{
	char cmd[1024], pw[96];
	size_t got = 0, k;
	FILE *p;
	int status;

	tc_password_of(user, pw, sizeof(pw));
	snprintf(cmd, sizeof(cmd), "stdbuf -oL mosquitto_sub -h 127.0.0.1 -p %d -u %s -P %s %s"
		 " 2>/dev/null", hub.port, user, pw, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (got + 1 < n && (k = fread(out + got, 1, n - 1 - got, p)) > 0)
		got += k;
	out[got] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Publishes buf (len bytes) retained with QoS 1 as user with the stock
 * mosquitto_pub (MQTT 5); true when it exits 0. */
static bool
stock_pub_retained(const char *user, const char *topic, const uint8_t *buf, size_t len)
{
	char file[] = "/tmp/np-expiry-XXXXXX", cmd[1024], pw[96];
	int fd = mkstemp(file), status;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	tc_password_of(user, pw, sizeof(pw));
	snprintf(cmd, sizeof(cmd), "mosquitto_pub -h 127.0.0.1 -p %d -u %s -P %s -V 5 -q 1 -r "
		 "-t %s -f %s", hub.port, user, pw, topic, file);
	status = system(cmd);
	unlink(file);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static struct tc *
login(const char *user, int version)
{
	int rc;
	struct tc *c = tc_login(&hub, user, version, &rc);

	assert_non_null(c);
	return c;
}

static void
an_expired_announcement_is_refused_told_logged_and_kept_nowhere(void **state)
{
	struct tc *off = login("cm_official", 5), *vol = login("somchai", 5);
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	assert_int_equal(tc_subscribe(off, "np/reply/cm_official/error", 1), 1);
	assert_int_equal(tc_subscribe(vol, "np/ann/50/#", 1), 1);
	buf = announcement("Storm last night", now_ms() - 1000, id, &len);
	assert_int_equal(tc_publish(off, ANN_TOPIC, buf, len, 1), REFUSED);
	free(buf);
	assert_refusal(off, ANN_TOPIC, REASON_EXPIRED, id);
	assert_true(hub_log_has(&hub, "np: refused publish by 'cm_official' (official 50, client"));
	assert_true(hub_log_has(&hub, "on '" ANN_TOPIC "': " REASON_EXPIRED));
	assert_true(tc_quiet(vol, QUIET_MS));
	assert_false(in_history(id));
	tc_close(off);
	tc_close(vol);
	passed = true;
}

static void
a_negative_expiry_is_refused(void **state)
{
	struct tc *off = login("cm_official", 4), *vol = login("somchai", 4);
	uint8_t id[16], *buf;
	size_t len;

	(void)state;
	assert_int_equal(tc_subscribe(off, "np/reply/cm_official/error", 1), 1);
	assert_int_equal(tc_subscribe(vol, "np/ann/50/#", 1), 1);
	buf = announcement("Storm", -60000, id, &len);
	tc_publish(off, ANN_TOPIC, buf, len, 1);        /* 3.1.1: no reason code, the Refusal tells */
	free(buf);
	assert_refusal(off, ANN_TOPIC, REASON_NEGATIVE, id);
	assert_true(tc_quiet(vol, QUIET_MS));
	assert_false(in_history(id));
	tc_close(off);
	tc_close(vol);
	passed = true;
}

static void
an_unexpired_announcement_reaches_live_subscribers_with_its_expiry(void **state)
{
	struct tc *off = login("cm_official", 5), *v5 = login("somchai", 5);
	struct tc *v4 = login("malee", 4);
	int64_t at = now_ms() + 3600000;
	uint8_t id[16], *buf;
	struct tc_msg m;
	size_t len;

	(void)state;
	assert_int_equal(tc_subscribe(v5, "np/ann/50/#", 1), 1);
	assert_int_equal(tc_subscribe(v4, "np/ann/50/#", 1), 1);
	buf = announcement("Storm tonight", at, id, &len);
	assert_int_equal(tc_publish(off, ANN_TOPIC, buf, len, 1) & ~0x10, 0);
	free(buf);
	assert_true(tc_next(v5, &m, 2000));
	assert_true(expiry_of(&m) == at);
	tc_msg_free(&m);
	assert_true(tc_next(v4, &m, 2000));
	assert_true(expiry_of(&m) == at);
	tc_msg_free(&m);
	assert_true(in_history(id));
	tc_close(off);
	tc_close(v5);
	tc_close(v4);
	passed = true;
}

/* The stock client: a retained announcement is delivered while it holds and
 * no byte of it once it has expired; the history keeps it. */
/* Sleeps until PAST_MS after the time at (ms since 1970). */
static void
sleep_past(int64_t at)
{
	int64_t left = at + PAST_MS - now_ms();

	if (left > 0)
		usleep((useconds_t)left * 1000);
}

static void
a_retained_announcement_is_withheld_once_expired(void **state)
{
	uint8_t id[16], keep_id[16], *buf;
	char out[8192];
	size_t len;
	int64_t until;

	(void)state;
	until = now_ms() + SHORT_MS;
	buf = announcement("Flood warning, until soon", until, id, &len);
	assert_true(stock_pub_retained("cm_official", ANN_TOPIC, buf, len));
	free(buf);
	buf = announcement("Market on Sunday", now_ms() + 3600000, keep_id, &len);
	assert_true(stock_pub_retained("cm_official", OTHER_TOPIC, buf, len));
	free(buf);
	/* both hold now: mosquitto_sub gets both retained copies */
	stock_sub("somchai", "-V 5 -q 1 -t 'np/ann/50/#' -C 2 -W 3 -F '%t'", out, sizeof(out));
	assert_int_equal(strlen(out), strlen(ANN_TOPIC "\n" OTHER_TOPIC "\n")); /* either order */
	assert_non_null(strstr(out, ANN_TOPIC "\n"));
	assert_non_null(strstr(out, OTHER_TOPIC "\n"));
	sleep_past(until);
	stock_sub("somchai", "-V 5 -q 1 -t '" ANN_TOPIC "' -W 2", out, sizeof(out));
	assert_string_equal(out, "");
	stock_sub("malee", "-V 311 -q 1 -t 'np/ann/50/#' -W 2 -F '%t'", out, sizeof(out));
	assert_string_equal(out, OTHER_TOPIC "\n");
	assert_true(hub_log_has(&hub, "expired announcements, the last on '" ANN_TOPIC "'"));
	assert_true(in_history(id));
	assert_true(in_history(keep_id));
	passed = true;
}

/* A persistent session of somchai (MQTT version) is offline while an
 * announcement that expires in SHORT_MS and one that does not are queued
 * for it; back after the first expired, it gets only the second. */
static void
queued_for_offline_session(const char *sub_version, const char *client_id)
{
	struct tc *off = login("cm_official", 5);
	uint8_t id[16], keep_id[16], *buf;
	char args[256], out[8192];
	size_t len;
	int64_t until;

	snprintf(args, sizeof(args), "%s -c -i %s -q 1 -t 'np/ann/50/#' -E", sub_version,
		 client_id);
	assert_int_equal(stock_sub("somchai", args, out, sizeof(out)), 0);
	until = now_ms() + SHORT_MS;
	buf = announcement("Road closed, for now", until, id, &len);
	assert_int_equal(tc_publish(off, ANN_TOPIC, buf, len, 1) & ~0x10, 0);
	free(buf);
	buf = announcement("Vaccination day", 0, keep_id, &len);
	assert_int_equal(tc_publish(off, OTHER_TOPIC, buf, len, 1) & ~0x10, 0);
	free(buf);
	sleep_past(until);
	snprintf(args, sizeof(args), "%s -c -i %s -q 1 -t 'np/ann/50/#' -W 2 -F '%%t'",
		 sub_version, client_id);
	stock_sub("somchai", args, out, sizeof(out));
	assert_string_equal(out, OTHER_TOPIC "\n");
	assert_true(in_history(id));
	tc_close(off);
	passed = true;
}

static void
one_expiring_while_queued_for_an_offline_311_session_is_not_delivered(void **state)
{
	(void)state;
	queued_for_offline_session("-V 311", "somchai-expiry311");
}

static void
one_expiring_while_queued_for_an_offline_v5_session_is_not_delivered(void **state)
{
	(void)state;
	queued_for_offline_session("-V 5 -x 3600", "somchai-expiry5");
}

/* Connects cm_official with a will of payload on ANN_TOPIC, then drops the
 * link without DISCONNECT after wait_ms: the broker sends the will. */
static void
drop_with_will(const uint8_t *payload, size_t len, int wait_ms)
{
	struct mosquitto *m = mosquitto_new("cm_official-will", true, NULL);
	char pw[96];
	int i;

	assert_non_null(m);
	tc_password_of("cm_official", pw, sizeof(pw));
	mosquitto_username_pw_set(m, "cm_official", pw);
	assert_int_equal(mosquitto_will_set(m, ANN_TOPIC, (int)len, payload, 1, false),
			 MOSQ_ERR_SUCCESS);
	assert_int_equal(mosquitto_connect(m, "127.0.0.1", hub.port, 60), MOSQ_ERR_SUCCESS);
	for (i = 0; i < 50; i++)
		mosquitto_loop(m, 20, 1);       /* the CONNACK, and the link held a while */
	usleep((useconds_t)wait_ms * 1000);
	shutdown(mosquitto_socket(m), SHUT_RDWR);
	mosquitto_destroy(m);
}

static void
a_will_that_expired_before_the_link_broke_is_refused(void **state)
{
	struct tc *vol = login("somchai", 5);
	uint8_t id[16], keep_id[16], *buf;
	struct tc_msg m;
	size_t len;

	(void)state;
	assert_int_equal(tc_subscribe(vol, "np/ann/50/#", 1), 1);
	buf = announcement("Link down, back soon", now_ms() + 1000, id, &len);
	drop_with_will(buf, len, 1300);
	free(buf);
	assert_true(hub_log_has(&hub, "np: will of 'cm_official' (client 'cm_official-will') on '"
				ANN_TOPIC "': refused: " REASON_EXPIRED));
	assert_true(tc_quiet(vol, QUIET_MS));
	assert_false(in_history(id));
	/* the same will, still valid when the link breaks, goes out */
	buf = announcement("Link down, back soon", now_ms() + 3600000, keep_id, &len);
	drop_with_will(buf, len, 0);
	free(buf);
	assert_true(tc_next(vol, &m, 3000));
	assert_string_equal(m.topic, ANN_TOPIC);
	assert_true(expiry_of(&m) > now_ms());
	tc_msg_free(&m);
	tc_close(vol);
	passed = true;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			an_expired_announcement_is_refused_told_logged_and_kept_nowhere, setup,
			teardown),
		cmocka_unit_test_setup_teardown(a_negative_expiry_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
			an_unexpired_announcement_reaches_live_subscribers_with_its_expiry, setup,
			teardown),
		cmocka_unit_test_setup_teardown(a_retained_announcement_is_withheld_once_expired,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			one_expiring_while_queued_for_an_offline_311_session_is_not_delivered, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			one_expiring_while_queued_for_an_offline_v5_session_is_not_delivered, setup,
			teardown),
		cmocka_unit_test_setup_teardown(a_will_that_expired_before_the_link_broke_is_refused,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
