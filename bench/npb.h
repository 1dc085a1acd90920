/* npb.h - what the scenarios of npbench share (see npbench.c for the
 * commands and their options): the options, the users of --users, the
 * payloads, the client pool (many libmosquitto clients on one epoll loop),
 * worker processes and percentiles. npb_pool.c defines them; each
 * npb_<scenario>.c defines one command; npbench.c parses and dispatches. */
#ifndef NP_NPB_H
#define NP_NPB_H

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <jansson.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "np.pb-c.h"

/* ---- options (npbench.c parses them) ---- */

struct npb_opt {
	const char *host, *users, *broker, *name, *filter, *user, *config;
	const char *admin_user, *admin_pass;
	const char *tokens;     /* np-admin token issue's "NAME TOKEN" lines: log in with those */
	int port, pubs, qos, count, inflight, max_open, pages, limit, repeat, window;
	int iterations, keepalive, offset, broker_pid;
	double seconds, hold, timeout;
};
extern struct npb_opt opt;


/* ---- users (the np-admin import CSV: name,role,area,password[,categories]) ---- */

struct user {
	char *name, *role, *area, *pass;
};

/* ---- the client pool: many libmosquitto clients on one epoll ---- */

enum { CL_NEW, CL_CONNECTING, CL_UP, CL_SUBBED, CL_CLOSING, CL_DEAD };

struct pool;

struct cl {
	struct mosquitto *m;
	struct pool *pool;
	const struct user *u;
	int fd;
	uint32_t ev;
	int state;
	int idx;
	int connack_rc;
	int64_t t0, t_connack, t_last;
	uint64_t sent, acked, refused, got;
	uint64_t recv;          /* publisher: its messages seen by subscribers (atomic) */
	char topic[64];
	const char *sub_filter;
	int sub_qos;
	uint8_t payload[512];
	size_t plen;
};

struct pool {
	int ep;
	int nconnecting, nup, nfail, nsubbed, nsubfail, nlost;
	int64_t last_connack;
	void (*on_msg)(struct cl *c, const struct mosquitto_message *msg);
};


/* Connects cs[0..n) with at most opt.inflight handshakes at once. */
struct connect_all {
	struct pool *p;
	struct cl **cs;
	size_t n, next;
	int max_open;           /* >0: close the oldest open connection beyond this */
	size_t oldest;
	int open;
};

/* ---- worker processes ----
 * libmosquitto 2.0 opens a socket pair in every mosquitto_new (its wake-up
 * channel for threaded use): a client costs three descriptors. Where
 * RLIMIT_NOFILE cannot be raised far enough, the big scenarios split their
 * clients over a few worker processes, each with its own epoll loop. */

struct worker {
	pid_t pid;
	int res, ctl;           /* child -> parent results, parent -> child control */
};

extern struct user *users;
extern size_t nusers;
extern uint16_t run_nonce;      /* per run, in every id: no id repeats across runs */

/* ---- npb_pool.c ---- */

int64_t
now_ns(void);

int64_t
wall_ms(void);

double
broker_cpu_s(void);

void
result(const char *metric, double value);

/* Prints "npbench: " fmt and exits 2. */
void
die(const char *fmt, const char *arg) __attribute__((noreturn));

void
load_users(void);

const struct user *
find_user(const char *role, const char *area);

const struct user *
user_by_name(const char *name);

size_t
crowd_users(const struct user ***out, size_t want);

void
raise_nofile(int want);

void
make_id(uint8_t id[16], uint32_t pub, uint32_t seq);

size_t
pack_envelope(uint8_t *buf, size_t cap, bool announcement);

void
village_topic(char *out, size_t n, const char *v, const char *kind);

void
pool_init(struct pool *p);

struct cl *
cl_new(struct pool *p, const struct user *u, const char *client_id);

void
cl_update(struct pool *p, struct cl *c);

void
cl_connect(struct pool *p, struct cl *c);

void
cl_close(struct pool *p, struct cl *c);

int
pool_run(struct pool *p, int timeout_ms);

void
pool_misc(struct cl **cs, size_t n);

bool
pool_until(struct pool *p, bool (*done)(void *), void *arg, double seconds);

bool
connect_all_done(void *arg);

int
workers_needed(size_t n);

struct worker *
workers_start(int nw, int (*child)(int idx, int nw, int res, int ctl));

int
read_full(int fd, void *buf, size_t len);

int
write_full(int fd, const void *buf, size_t len);

void
workers_wait(struct worker *w, int nw);

bool
ctl_ready(int ctl);

int
cmp_i64(const void *a, const void *b);

double
pct(int64_t *v, size_t n, double q);

/* ---- the scenarios, one file each ---- */

int
cmd_throughput(void);
int
cmd_connect(void);
int
cmd_crowd(bool fanout);
int
cmd_history(void);
int
cmd_cases(void);
int
cmd_dynsec_ctl(void);
int
cmd_dynsec_json(void);
int
cmd_revoke(void);
int
cmd_receipts(void);

#endif
