/* bench_catchup.c - catch-up throughput of a libnpclient feed (issue #14):
 * a volunteer's feed with a state directory is stopped, N announcements
 * are published to its province (the hub must run with plugin_opt_rate_msgs
 * 0), and the feed is started again: messages per second handed to the app
 * from np_follow until the N-th, cursor written after each.
 *
 *   bench_catchup PORT PUBLISHER PUBPASS FOLLOWER FOLPASS AREA N
 * prints "result scenario=catchup_N broker=hub metric=msgs_per_s value=V". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "np_client.h"

struct count {
	long n;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_msg(void *ctx, const struct np_msg *m)
{
	(void)m;
	((struct count *)ctx)->n++;
}

static struct np_client *
client(int port, const char *user, const char *pass, const char *state)
{
	struct np_options *o = np_options_new();
	struct np_client *c = NULL;
	char why[256];

	if (o == NULL || np_options_set_int(o, NP_OPT_PORT, port) != NP_OK
	    || np_options_set_string(o, NP_OPT_USERNAME, user) != NP_OK
	    || np_options_set_string(o, NP_OPT_PASSWORD, pass) != NP_OK
	    || np_options_set_string(o, NP_OPT_STATE_DIR, state) != NP_OK
	    || np_client_new(&c, o, why, sizeof(why)) != NP_OK
	    || np_client_connect(c, 5000) != NP_OK) {
		fprintf(stderr, "bench_catchup: cannot connect %s: %s\n", user,
			c ? np_client_last_error(c) : why);
		exit(1);
	}
	np_options_free(o);
	return c;
}

int
main(int argc, char **argv)
{
	char state[] = "/tmp/npcatchup-XXXXXX", cmd[64], title[32];
	struct np_client *pub, *feed;
	struct count got = { 0 };
	double t0, t1;
	long n, i;
	int port;

	if (argc != 8) {
		fprintf(stderr, "usage: bench_catchup PORT PUBLISHER PUBPASS FOLLOWER FOLPASS "
			"AREA N\n");
		return 2;
	}
	port = atoi(argv[1]);
	n = atol(argv[7]);
	np_lib_init();
	if (mkdtemp(state) == NULL)
		return 1;
	feed = client(port, argv[4], argv[5], state);
	if (np_follow(feed, "np/ann/50/+", on_msg, &got) != NP_OK)
		return 1;
	np_client_free(feed);                   /* stopped: its cursor is now */
	pub = client(port, argv[2], argv[3], NULL);
	for (i = 0; i < n; i++) {
		snprintf(title, sizeof(title), "catch-up %ld", i);
		if (np_announce(pub, argv[6], "weather", title, "a body of some length, as "
				"announcements have", NULL) != NP_OK)
			return 1;
		if (i % 500 == 499 && np_client_flush(pub, 30000) != NP_OK)
			return 1;
	}
	if (np_client_flush(pub, 30000) != NP_OK)
		return 1;
	np_client_free(pub);
	feed = client(port, argv[4], argv[5], state);
	t0 = now_s();
	if (np_follow(feed, "np/ann/50/+", on_msg, &got) != NP_OK)
		return 1;
	while (got.n < n && now_s() - t0 < 120)
		np_client_run(feed, 10);
	t1 = now_s();
	np_client_free(feed);
	printf("result scenario=catchup_%ld broker=hub metric=msgs_per_s value=%.0f\n", n,
	       got.n == n ? n / (t1 - t0) : 0.0);
	if (got.n != n)
		fprintf(stderr, "bench_catchup: %ld of %ld handed\n", got.n, n);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", state);
	np_lib_cleanup();
	return system(cmd) == 0 && got.n == n ? 0 : 1;
}
