/* common.h - what the np-* example programs share, so that each of them is
 * only its own options and one call: the connection options every program
 * takes (-h -p -u -P/NP_PASSWORD --cafile --outbox --state --help), connecting, and
 * publishing one message and saying its outcome. Uses only np_client.h.
 * np-dm.c shows the same without this file. */
#ifndef NP_EXAMPLES_COMMON_H
#define NP_EXAMPLES_COMMON_H

#include <getopt.h>
#include <stdbool.h>

#include "np_client.h"

/* Exit statuses of every np-* program. */
enum {
	EX_OK = 0,
	EX_REFUSED = 1,         /* the hub refused the message, filter or query */
	EX_USAGE = 2,           /* bad or missing arguments; nothing was sent */
	EX_FAILED = 3,          /* the hub cannot be reached, login refused, no answer */
};

/* cli_parse() returns this when the program should go on. */
#define CLI_GO_ON (-1)
/* getopt_long values of a program's own options start here (the common ones
 * use 'h', 'p', 'u', 'P' and values from 0x1000 on). */
#define CLI_OPT_FIRST 256

/* What a program says about itself; static data in each main file. */
struct cli_prog {
	const char *name;               /* "np-report" */
	const char *synopsis;           /* its own arguments, for the usage line */
	const char *about;              /* one sentence: what it does */
	const char *help;               /* its own options, one per line */
	const struct option *opts;      /* its long options, ending with { 0 } */
	/* Called per own option with the ctx given to cli_parse() (arg NULL
	 * when the option takes none): EX_OK, or EX_USAGE after saying why. */
	int (*on_opt)(const struct cli_prog *p, void *ctx, int val, const char *arg);
};

/* The connection options; strings borrowed from argv / environ. */
struct cli_conn {
	const char *host, *username, *password, *cafile, *outbox_dir, *state_dir;
	int port;                       /* 0: the library's default */
};

/* One run of a program: options, the client, and the outcome of the message
 * it published. Filled by cli_parse(); the rest is for common.c. */
struct cli {
	const struct cli_prog *prog;
	struct cli_conn conn;
	char addr[300];                 /* "host:port", for messages */
	char outbox[300];               /* the outbox, for messages; "" when none */
	char rerun[300];                /* the option a later run sends it with */
	int first_operand;              /* argv index of the first non-option */
	struct np_client *c;            /* after cli_open(); NULL before */
	bool publisher;                 /* cli_open(may_queue): stdout is for outcomes */
	bool have_own;                  /* own_id is this run's message */
	uint8_t own_id[NP_ID_LEN];
	int own_outcome;                /* enum np_outcome, or -1 while none */
	char own_reason[512];
};

/* Parses argv: the connection options into cl->np, the program's own ones
 * through p->on_opt(ctx, ...). Returns CLI_GO_ON, or the status to exit with
 * after --help (EX_OK) or a usage error (EX_USAGE, already printed). */
int cli_parse(struct cli *cl, const struct cli_prog *p, void *ctx, int argc, char **argv);

/* Prints "NAME: <fmt>" and a hint to --help on stderr; returns EX_USAGE. */
#ifdef __GNUC__
__attribute__((format(printf, 2, 3)))
#endif
int cli_usage(const struct cli_prog *p, const char *fmt, ...);

/* "OPT is required"; returns EX_USAGE. */
int cli_missing(const struct cli_prog *p, const char *opt);
/* EX_OK when argv holds no operand from cl->first_operand on, else a usage error. */
int cli_no_operands(const struct cli *cl, int argc, char **argv);
/* arg as a decimal integer in [min, max] into *out, else a usage error. */
int cli_int(const struct cli_prog *p, const char *opt, const char *arg, long long min,
	    long long max, long long *out);
/* The whole file path into *buf (malloc'd, caller frees) and *len: EX_OK, or
 * EX_USAGE after saying "NAME: OPT PATH: why" (cannot open, empty, over
 * max bytes). */
int cli_read_file(const struct cli_prog *p, const char *opt, const char *path, size_t max,
		  void **buf, size_t *len);
/* EX_OK when s is one of the NULL-terminated words, else a usage error. */
int cli_word(const struct cli_prog *p, const char *opt, const char *s,
	     const char *const *words);
/* 8 digits; TH or 2, 4 or 8 digits; 8 digits or a username. */
bool cli_is_village(const char *s);
bool cli_is_area(const char *s);
bool cli_is_address(const char *s);

/* Says on stderr what failed with the hub and why: "NAME: WHAT at ADDR:
 * DETAIL", or "NAME: DETAIL" when the library's detail names the hub
 * already; then hint (may be ""). Returns EX_FAILED. */
int cli_fail(const struct cli *cl, int rc, const char *what, const char *hint);

/* Connects and sets the outcome callback. Returns EX_OK, or EX_FAILED after
 * saying why. may_queue is for publishers: with an outbox a hub that cannot
 * be reached is no error (the library keeps what is published in the
 * outbox), and the outcomes of messages resent from the outbox go to stdout
 * (else to stderr, so that stdout holds only messages). */
int cli_open(struct cli *cl, bool may_queue);
/* Waits a little for the outcomes of what the outbox resent (unless
 * cli_publish_one() waited already), disconnects, frees. */
void cli_close(struct cli *cl);

/* Publishes one message: fn calls one np_<kind>() with the id_out given. */
typedef int (*cli_publish_fn)(struct np_client *c, void *ctx, uint8_t id_out[NP_ID_LEN]);
/* The whole run of a publishing program after cli_parse(): connect, publish,
 * wait for the outcome, say it ("accepted <id>", "refused: <reason>",
 * "queued <id> in DIR ..."), close. Returns the exit status. */
int cli_publish_one(struct cli *cl, cli_publish_fn fn, void *ctx);

#endif
