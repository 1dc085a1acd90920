/* test_feed.c - checks that a libnpclient feed with a state directory never
 * misses a message (DESIGN.md "Feeds that never miss a message", issue #14)
 * against a real hub: what came while the app was stopped and the broker
 * was killed with SIGKILL is handed in order, none twice, then live ones;
 * live messages that come during a long catch-up are neither lost nor
 * doubled; a corrupt cursor file or another user's makes the feed start
 * over and say so; an unwritable state directory is NP_ERR_STATE; since
 * starts a first follow earlier; an expired announcement is not handed, nor
 * one an Update or Cancel withdrew (to an official, whose history has it:
 * np_history hands it marked withdrawn). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "np_client.h"

#define MAX_SEEN 4000
#define FILTER "np/ann/50/+"

static struct hub hub;

struct seen {
	int count;
	uint8_t ids[MAX_SEEN][NP_ID_LEN];
	int64_t stamps[MAX_SEEN];
	char titles[MAX_SEEN][24];
	bool withdrawn[MAX_SEEN];
	char notice[600];
	int notices;
	/* (b): publishes one live message per `every` handed, `live` times */
	struct tc *pub;
	int every, live, published;
	uint8_t live_ids[64][NP_ID_LEN];
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

static void
on_notice(void *ctx, const char *text)
{
	struct seen *s = ctx;

	snprintf(s->notice, sizeof(s->notice), "%s", text);
	s->notices++;
}

static void
publish_live(struct seen *s)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Announcement a = NP__ANNOUNCEMENT__INIT;
	uint8_t *buf;
	size_t len;

	env_new_id(s->live_ids[s->published]);
	e.id.data = s->live_ids[s->published];
	e.id.len = NP_ID_LEN;
	e.sent_at_ms = now_ms();
	a.title = "live";
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &a;
	buf = env_pack(&e, &len);
	assert_in_range(tc_publish(s->pub, "np/ann/50/health", buf, len, 1), 0, 0x10);
	free(buf);
	s->published++;
}

static void
on_msg(void *ctx, const struct np_msg *m)
{
	struct seen *s = ctx;

	assert_true(s->count < MAX_SEEN);
	memcpy(s->ids[s->count], m->id, NP_ID_LEN);
	s->stamps[s->count] = m->received_at_ms;
	snprintf(s->titles[s->count], sizeof(s->titles[0]), "%s",
		 m->body == NP_BODY_ANNOUNCEMENT ? m->u.announcement.title : "?");
	s->withdrawn[s->count] = m->withdrawn;
	s->count++;
	if (s->pub != NULL && s->published < s->live && s->count % s->every == 0)
		publish_live(s);
}

static struct np_client *
client_in(const char *user, const char *state_dir, const char *outbox)
{
	struct np_options *o = np_options_new();
	struct np_client *c;
	char pw[64];

	tc_password_of(user, pw, sizeof(pw));
	assert_non_null(o);
	assert_int_equal(np_options_set_int(o, NP_OPT_PORT, hub.port), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_USERNAME, user), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_PASSWORD, pw), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_STATE_DIR, state_dir), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_OUTBOX_DIR, outbox), NP_OK);
	assert_int_equal(np_client_new(&c, o, NULL, 0), NP_OK);
	np_options_free(o);
	return c;
}

/* Runs c until s has want messages or timeout_ms passed. */
static void
run_until(struct np_client *c, struct seen *s, int want, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;

	while (s->count < want && now_ms() < end)
		np_client_run(c, 20);
}

/* n announcements to area 50 as cm_official, titles "<prefix><i>"; ids in ids. */
static void
announce(struct np_client *pub, const char *prefix, int from, int n, uint8_t (*ids)[NP_ID_LEN])
{
	char title[32];
	int i;

	for (i = from; i < from + n; i++) {
		snprintf(title, sizeof(title), "%s%d", prefix, i);
		assert_int_equal(np_announce(pub, "50", "weather", title, NULL, ids[i]), NP_OK);
	}
}

/* s saw exactly n messages, each once, and never a stamp going back. */
static void
assert_once_in_order(const struct seen *s, int n)
{
	int i, j;

	assert_int_equal(s->count, n);
	for (i = 1; i < s->count; i++) {
		assert_true(s->stamps[i - 1] <= s->stamps[i]);
		for (j = 0; j < i; j++)
			assert_memory_not_equal(s->ids[j], s->ids[i], NP_ID_LEN);
	}
}

static void
make_dir(char *tmpl)
{
	assert_non_null(mkdtemp(tmpl));
}

static void
remove_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The one *.cursor file of dir, into path. */
static void
cursor_file(const char *dir, char *path, size_t len)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int found = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) > 7 && strcmp(e->d_name + strlen(e->d_name) - 7, ".cursor") == 0) {
			snprintf(path, len, "%s/%s", dir, e->d_name);
			found++;
		}
	}
	closedir(d);
	assert_int_equal(found, 1);
}

/* (a) the issue's "done when", in the library */
static void
a_feed_gets_what_came_while_stopped_across_a_kill9_in_order_once(void **state)
{
	char st[] = "/tmp/npfeed-a-XXXXXX", ob[] = "/tmp/npfeed-ob-XXXXXX";
	uint8_t (*ids)[NP_ID_LEN] = calloc(301, NP_ID_LEN);
	struct seen *s = calloc(1, sizeof(*s));
	struct np_client *c, *pub;
	int i;

	(void)state;
	make_dir(st);
	make_dir(ob);
	c = client_in("somchai", st, NULL);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_follow(c, FILTER, on_msg, s), NP_OK);
	np_client_free(c);                      /* the app is stopped */

	pub = client_in("cm_official", NULL, ob);
	assert_int_equal(np_client_connect(pub, 5000), NP_OK);
	announce(pub, "m", 0, 150, ids);
	assert_int_equal(np_client_flush(pub, 10000), NP_OK);
	announce(pub, "m", 150, 50, ids);       /* some in flight as the broker dies */
	assert_int_equal(hub_restart(&hub, true, NULL, NULL), 0);
	announce(pub, "m", 200, 100, ids);
	assert_int_equal(np_client_flush(pub, 20000), NP_OK);

	c = client_in("somchai", st, NULL);     /* the app again */
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_follow(c, FILTER, on_msg, s), NP_OK);
	run_until(c, s, 300, 15000);
	assert_once_in_order(s, 300);
	for (i = 0; i < 300; i++)
		assert_memory_equal(s->ids[i], ids[i], NP_ID_LEN);     /* the order they were sent */
	announce(pub, "live", 300, 1, ids);
	assert_int_equal(np_client_flush(pub, 5000), NP_OK);
	run_until(c, s, 301, 5000);
	np_client_run(c, 300);
	assert_int_equal(s->count, 301);
	assert_memory_equal(s->ids[300], ids[300], NP_ID_LEN);
	assert_int_equal(s->notices, 0);
	np_client_free(c);

	/* and after a restart of the app, nothing comes twice */
	memset(s, 0, sizeof(*s));
	c = client_in("somchai", st, NULL);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_follow(c, FILTER, on_msg, s), NP_OK);
	np_client_run(c, 1000);
	assert_int_equal(s->count, 0);
	np_client_free(c);
	np_client_free(pub);
	remove_tree(st);
	remove_tree(ob);
	free(ids);
	free(s);
}

/* (b) a catch-up of 3,000 (three pages and more) with 40 live messages
 * published from inside the app's callback, so they come while it runs */
static void
live_messages_during_a_catch_up_are_neither_lost_nor_doubled(void **state)
{
	char st[] = "/tmp/npfeed-b-XXXXXX";
	uint8_t (*ids)[NP_ID_LEN] = calloc(3000, NP_ID_LEN);
	struct seen *s = calloc(1, sizeof(*s));
	struct np_client *c, *pub;
	int i, j, found, connack;

	(void)state;
	make_dir(st);
	c = client_in("somchai", st, NULL);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_follow(c, FILTER, on_msg, s), NP_OK);
	np_client_free(c);
	pub = client_in("cm_official", NULL, NULL);
	assert_int_equal(np_client_connect(pub, 5000), NP_OK);
	for (i = 0; i < 3000; i += 500) {
		announce(pub, "w", i, 500, ids);
		assert_int_equal(np_client_flush(pub, 20000), NP_OK);
	}
	np_client_free(pub);

	s->pub = tc_login(&hub, "cm_official", 5, &connack);
	assert_non_null(s->pub);
	s->every = 70;
	s->live = 40;
	c = client_in("somchai", st, NULL);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_follow(c, FILTER, on_msg, s), NP_OK);
	run_until(c, s, 3040, 30000);
	np_client_run(c, 500);
	assert_int_equal(s->published, 40);
	assert_once_in_order(s, 3040);
	for (i = 0; i < 3000; i++)
		assert_memory_equal(s->ids[i], ids[i], NP_ID_LEN);
	for (i = 0; i < 40; i++) {
		for (found = 0, j = 3000; j < 3040; j++)
			found += memcmp(s->ids[j], s->live_ids[i], NP_ID_LEN) == 0;
		assert_int_equal(found, 1);
	}
	tc_close(s->pub);
	np_client_free(c);
	remove_tree(st);
	free(ids);
	free(s);
}

/* A feed of st as user, waits a little; returns what it got. */
static void
follow_once(const char *user, const char *st, int64_t since, struct seen *s, int run_ms)
{
	struct np_client *c = client_in(user, st, NULL);

	np_client_on_notice(c, on_notice, s);
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_follow_since(c, FILTER, since, on_msg, s), NP_OK);
	np_client_run(c, run_ms);
	np_client_free(c);
}

static void
publish_one(const char *title, uint8_t id[NP_ID_LEN])
{
	struct np_client *pub = client_in("cm_official", NULL, NULL);

	assert_int_equal(np_client_connect(pub, 5000), NP_OK);
	assert_int_equal(np_announce(pub, "50", "general", title, NULL, id), NP_OK);
	assert_int_equal(np_client_flush(pub, 5000), NP_OK);
	np_client_free(pub);
	usleep(20000);  /* "now" has ms: a follow right after may start in its ms */
}

/* (c) */
static void
a_corrupt_cursor_starts_the_feed_over_and_says_so(void **state)
{
	char st[] = "/tmp/npfeed-c-XXXXXX", path[512];
	struct seen *s = calloc(1, sizeof(*s));
	uint8_t id[NP_ID_LEN], id2[NP_ID_LEN];
	FILE *f;

	(void)state;
	make_dir(st);
	follow_once("somchai", st, NP_FOLLOW_NOW, s, 100);
	cursor_file(st, path, sizeof(path));
	publish_one("before the damage", id);
	f = fopen(path, "r+");
	assert_non_null(f);
	fputs("np-cursor 1\nseq 9\nuser somchai\nat 12x", f);   /* slot 0 garbled */
	fseek(f, 8192, SEEK_SET);
	fputs("garbage", f);                                    /* slot 1 too */
	fclose(f);
	memset(s, 0, sizeof(*s));
	follow_once("somchai", st, NP_FOLLOW_NOW, s, 600);
	assert_int_equal(s->notices, 1);
	assert_non_null(strstr(s->notice, "is corrupt"));
	assert_non_null(strstr(s->notice, "starts over from now"));
	assert_int_equal(s->count, 0);          /* started now: the one before is not handed */
	publish_one("after", id2);
	memset(s, 0, sizeof(*s));
	follow_once("somchai", st, NP_FOLLOW_NOW, s, 600);     /* the new cursor holds */
	assert_int_equal(s->notices, 0);
	assert_int_equal(s->count, 1);
	assert_memory_equal(s->ids[0], id2, NP_ID_LEN);
	remove_tree(st);
	free(s);
}

/* (c) */
static void
another_users_cursor_is_not_used(void **state)
{
	char st[] = "/tmp/npfeed-u-XXXXXX", path[512], theirs[600], *at;
	struct seen *s = calloc(1, sizeof(*s));
	uint8_t id[NP_ID_LEN];

	(void)state;
	make_dir(st);
	follow_once("somchai", st, NP_FOLLOW_NOW, s, 100);
	cursor_file(st, path, sizeof(path));
	/* somchai's cursor where vol_5002's would be, as a copied directory might hold */
	at = strstr(path, "/somchai@");
	assert_non_null(at);
	snprintf(theirs, sizeof(theirs), "%.*s/vol_5002@%s", (int)(at - path), path,
		 at + strlen("/somchai@"));
	assert_int_equal(rename(path, theirs), 0);
	publish_one("while away", id);
	memset(s, 0, sizeof(*s));
	follow_once("vol_5002", st, NP_FOLLOW_NOW, s, 600);
	assert_int_equal(s->notices, 1);
	assert_non_null(strstr(s->notice, "is not this feed's"));
	assert_non_null(strstr(s->notice, "user 'somchai'"));
	assert_int_equal(s->count, 0);
	remove_tree(st);
	free(s);
}

/* (d) a state directory that cannot be written, even by root */
static void
an_unwritable_state_dir_is_np_err_state(void **state)
{
	char base[] = "/tmp/npfeed-d-XXXXXX", file[100], link[100], st[120], ob[100];
	struct np_options *o = np_options_new();
	struct np_client *c;
	struct seen s;
	char why[512];
	int fd;

	(void)state;
	make_dir(base);
	snprintf(file, sizeof(file), "%s/a-file", base);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	/* under a regular file: no directory can be made there */
	snprintf(st, sizeof(st), "%s/state", file);
	assert_int_equal(np_options_set_int(o, NP_OPT_PORT, hub.port), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_USERNAME, "somchai"), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_PASSWORD, "somchai-demo"), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_STATE_DIR, st), NP_OK);
	assert_int_equal(np_client_new(&c, o, why, sizeof(why)), NP_ERR_STATE);
	assert_non_null(strstr(why, "cannot create the state directory"));
	assert_string_equal(np_strerror(NP_ERR_STATE),
			    "the state directory cannot be made or written");
	/* a link to such a place: the directory "exists", no file can be made in it */
	snprintf(link, sizeof(link), "%s/state-link", base);
	assert_int_equal(symlink(st, link), 0);
	snprintf(ob, sizeof(ob), "%s/outbox", base);
	assert_int_equal(np_options_set_string(o, NP_OPT_STATE_DIR, link), NP_OK);
	assert_int_equal(np_options_set_string(o, NP_OPT_OUTBOX_DIR, ob), NP_OK);
	assert_int_equal(np_client_new(&c, o, why, sizeof(why)), NP_OK);
	assert_int_equal(np_follow(c, FILTER, on_msg, &s), NP_ERR_STATE);
	assert_non_null(strstr(np_client_last_error(c), "cannot create the cursor file"));
	assert_int_equal(np_client_connect(c, 5000), NP_OK);
	assert_int_equal(np_follow(c, FILTER, on_msg, &s), NP_ERR_STATE);
	np_client_free(c);
	np_options_free(o);
	remove_tree(base);
}

/* (e) */
static void
since_starts_a_first_follow_earlier_and_a_cursor_wins_over_it(void **state)
{
	char st[] = "/tmp/npfeed-e-XXXXXX";
	struct seen *s = calloc(1, sizeof(*s));
	uint8_t a[NP_ID_LEN], b[NP_ID_LEN], c[NP_ID_LEN];
	int64_t between;

	(void)state;
	make_dir(st);
	publish_one("a", a);
	usleep(50000);
	between = now_ms();
	usleep(50000);
	publish_one("b", b);
	publish_one("c", c);
	follow_once("somchai", st, between, s, 800);
	assert_int_equal(s->count, 2);
	assert_memory_equal(s->ids[0], b, NP_ID_LEN);
	assert_memory_equal(s->ids[1], c, NP_ID_LEN);
	memset(s, 0, sizeof(*s));
	follow_once("somchai", st, 0, s, 600);  /* the cursor, not since 0 */
	assert_int_equal(s->count, 0);
	/* without a state dir since works too, in memory */
	memset(s, 0, sizeof(*s));
	follow_once("somchai", NULL, between, s, 800);
	assert_int_equal(s->count, 2);
	assert_memory_equal(s->ids[0], b, NP_ID_LEN);
	remove_tree(st);
	free(s);
}

static void
an_expired_announcement_is_not_handed_by_the_catch_up(void **state)
{
	char st[] = "/tmp/npfeed-x-XXXXXX";
	struct seen *s = calloc(1, sizeof(*s));
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__Announcement an = NP__ANNOUNCEMENT__INIT;
	uint8_t id[NP_ID_LEN], later[NP_ID_LEN], *buf;
	struct tc *pub;
	size_t len;
	int connack;

	(void)state;
	make_dir(st);
	follow_once("somchai", st, NP_FOLLOW_NOW, s, 100);
	pub = tc_login(&hub, "cm_official", 5, &connack);
	assert_non_null(pub);
	env_new_id(id);
	e.id.data = id;
	e.id.len = NP_ID_LEN;
	e.sent_at_ms = now_ms();
	an.title = "soon over";
	an.expires_at_ms = now_ms() + 700;
	e.body_case = NP__ENVELOPE__BODY_ANNOUNCEMENT;
	e.announcement = &an;
	buf = env_pack(&e, &len);
	assert_in_range(tc_publish(pub, "np/ann/50/event", buf, len, 1), 0, 0x10);
	free(buf);
	tc_close(pub);
	publish_one("still good", later);
	usleep(1000000);                        /* the first is past its time */
	memset(s, 0, sizeof(*s));
	follow_once("somchai", st, NP_FOLLOW_NOW, s, 800);
	assert_int_equal(s->count, 1);
	assert_memory_equal(s->ids[0], later, NP_ID_LEN);
	assert_string_equal(s->titles[0], "still good");
	remove_tree(st);
	free(s);
}

/* The index of id in what s saw; -1: not there. */
static int
seen_at(const struct seen *s, const uint8_t id[NP_ID_LEN])
{
	int i;

	for (i = 0; i < s->count; i++) {
		if (memcmp(s->ids[i], id, NP_ID_LEN) == 0)
			return i;
	}
	return -1;
}

/* DESIGN.md "CAP": the hub withholds a withdrawn announcement at every live
 * delivery; an official's history keeps it (marked), and the catch-up of an
 * official's feed must not hand it either. */
static void
a_withdrawn_announcement_is_not_handed_by_an_officials_catch_up(void **state)
{
	char st[] = "/tmp/npfeed-w-XXXXXX";
	struct seen *s = calloc(1, sizeof(*s));
	struct np_announcement a = NP_ANNOUNCEMENT_INIT;
	struct np_history_query q = { FILTER, 0, 0, 0 };
	uint8_t gone[NP_ID_LEN], kept[NP_ID_LEN], cancel[NP_ID_LEN];
	struct np_client *pub;
	int64_t before;

	(void)state;
	make_dir(st);
	follow_once("cm_official", st, NP_FOLLOW_NOW, s, 100);  /* the app, then stopped */
	before = now_ms();
	publish_one("to be cancelled", gone);
	publish_one("stays", kept);
	pub = client_in("cm_official", NULL, NULL);
	assert_int_equal(np_client_connect(pub, 5000), NP_OK);
	a.area = "50";
	a.category = "general";
	a.title = "cancelled";
	a.msg_type = "Cancel";
	a.n_references = 1;
	a.references = (const uint8_t (*)[NP_ID_LEN])gone;
	assert_int_equal(np_announce_ex(pub, &a, cancel), NP_OK);
	assert_int_equal(np_client_flush(pub, 5000), NP_OK);
	assert_true(hub_log_has(&hub, "an Update or Cancel by 'cm_official' withdrew 1"));

	memset(s, 0, sizeof(*s));
	follow_once("cm_official", st, NP_FOLLOW_NOW, s, 1000);     /* resumed: the catch-up */
	assert_int_equal(s->count, 2);
	assert_memory_equal(s->ids[0], kept, NP_ID_LEN);
	assert_memory_equal(s->ids[1], cancel, NP_ID_LEN);
	assert_false(s->withdrawn[0] || s->withdrawn[1]);
	memset(s, 0, sizeof(*s));
	follow_once("cm_official", st, NP_FOLLOW_NOW, s, 600);      /* and nothing twice */
	assert_int_equal(s->count, 0);

	/* the history hands the whole record, the withdrawn one marked */
	memset(s, 0, sizeof(*s));
	q.since_ms = before;
	assert_int_equal(np_history(pub, &q, on_msg, s, 5000), NP_OK);
	assert_int_equal(s->count, 3);
	assert_true(seen_at(s, gone) >= 0 && s->withdrawn[seen_at(s, gone)]);
	assert_true(seen_at(s, kept) >= 0 && !s->withdrawn[seen_at(s, kept)]);
	assert_true(seen_at(s, cancel) >= 0 && !s->withdrawn[seen_at(s, cancel)]);
	np_client_free(pub);
	remove_tree(st);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_feed_gets_what_came_while_stopped_across_a_kill9_in_order_once),
		cmocka_unit_test(live_messages_during_a_catch_up_are_neither_lost_nor_doubled),
		cmocka_unit_test(a_corrupt_cursor_starts_the_feed_over_and_says_so),
		cmocka_unit_test(another_users_cursor_is_not_used),
		cmocka_unit_test(an_unwritable_state_dir_is_np_err_state),
		cmocka_unit_test(since_starts_a_first_follow_earlier_and_a_cursor_wins_over_it),
		cmocka_unit_test(an_expired_announcement_is_not_handed_by_the_catch_up),
		cmocka_unit_test(a_withdrawn_announcement_is_not_handed_by_an_officials_catch_up),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
