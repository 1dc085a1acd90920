/* admin.h - np-admin's commands and the parts they share (users: user.h;
 * output formats: encode.h).
 *
 * One error convention for every admin_* function: it returns an enum
 * admin_rc, and prints what went wrong to stderr itself, once, before it
 * returns ADMIN_FAIL; ADMIN_USAGE prints nothing (main prints the usage). The
 * values are np-admin's exit statuses. */
#ifndef NP_ADMIN_H
#define NP_ADMIN_H

#include <stddef.h>

#include "io.h"
#include "store.h"

enum admin_rc {
	ADMIN_OK = 0,
	ADMIN_FAIL = 1,         /* the reason is on stderr already */
	ADMIN_USAGE = 2,        /* not a command line np-admin knows */
};

/* A list of imported places, kept to check parents once the batch is written. */
struct place_rows {
	struct row {
		char code[HUB_AREA_MAX + 1];
		unsigned long line;
		const char *file;       /* borrowed: the path given to admin_import_csv */
	} *v;
	size_t n, cap;
};

/* Reads FILE (header code,name_th,name_en) into the store's open batch and
 * appends its rows to rows. On a bad row prints "FILE:LINE: ..."; the caller
 * aborts the batch. */
enum admin_rc admin_import_csv(struct hub_store *s, const char *path, struct place_rows *rows);
/* No code twice among rows, and every row's parent (the code without its last
 * two digits; none for provinces) in the batch. Prints the first row that
 * breaks this. */
enum admin_rc admin_check_parents(struct hub_store *s, const struct place_rows *rows);
void admin_rows_free(struct place_rows *rows);
/* registry list [PREFIX]: the places as code,name_th,name_en lines. */
enum admin_rc admin_registry_list(struct hub_store *s, const char *prefix);

/* A directory of ../shared/data: $env, else ../shared/data/SUB from the
 * current directory when it holds probe, else the one beside the repository
 * that holds this binary. buf (len bytes) may hold the result. */
const char *admin_data_dir(const char *env, const char *sub, const char *probe, char *buf,
			   size_t len);
/* The path of file in that directory, in buf. */
const char *admin_data_path(const char *env, const char *sub, const char *file, char *buf,
			    size_t len);

/* true when the command words (argv[0]: the command) are one of words[n]:
 * { command, subcommand }, or { command, NULL } for any subcommand. */
bool admin_words_match(const char *const (*words)[2], size_t n, int argc, char **argv);

/* np-admin's usage text. */
extern const char admin_usage[];

/* np-admin demo: the geo registry, 24,700 villages and one demo user per role. */
enum admin_rc admin_demo(struct hub_store *s, const char *geo_dir, unsigned iterations);

struct hub_history;
/* np-admin history load N: N synthetic reports over every village (show:
 * load-showcase, N showcase entries). */
enum admin_rc admin_history_load(struct hub_history *h, struct hub_store *s,
				 unsigned long long n, bool show);

/* np-admin history export|stats|load ...: argv[0] is "history". */
enum admin_rc admin_history(struct hub_store *s, int argc, char **argv);

/* np-admin case targets [KIND ACK RESOLVE]: argv[0] is "case" (case_cmd.c). */
enum admin_rc admin_case(struct hub_store *s, int argc, char **argv);

/* np-admin token issue|list|revoke ...: argv[0] is "token" (token_cmd.c). */
enum admin_rc admin_token(struct hub_store *s, int argc, char **argv);

/* The stored form of a password hash that a remote np-admin sends instead of
 * the password: "pbkdf2-sha512$ITERATIONS$SALT$HASH" (hex). */
#define ADMIN_HASH_TEXT_LEN (14 + 10 + 1 + 2 * 16 + 1 + 2 * 64)
#define ADMIN_REMOTE_MAX_ITERATIONS 1000000u
void admin_hash_format(const struct hub_user *u, char buf[ADMIN_HASH_TEXT_LEN + 1]);
/* text into u's iterations, salt and hash; prints why not. A hash from a
 * remote admin has from HUB_KDF_DEFAULT_ITERATIONS to
 * ADMIN_REMOTE_MAX_ITERATIONS iterations: fewer would weaken the password,
 * more would let one admin stall the broker's thread at every login. */
enum admin_rc admin_hash_parse(const char *text, struct hub_user *u);

/* The names of the users within the scope, sorted: a look-up while the store
 * is iterating something else (the store allows one read at a time). */
struct admin_names {
	char (*v)[HUB_USERNAME_MAX + 1];
	size_t n, cap;
};
enum admin_rc admin_scope_names(struct hub_store *s, struct admin_names *out);
bool admin_names_has(const struct admin_names *nm, const char *name);
void admin_names_free(struct admin_names *nm);

/* true when area is within the scope of whoever runs the command. */
bool admin_in_scope(const char *area);
/* ADMIN_OK when user name's area is within the scope; else prints
 * "np-admin: user 'NAME' (area A) is outside your scope S" and fails. */
enum admin_rc admin_scope_check(const char *name, const char *area);

#endif
