/* admin.h - the parts of np-admin shared between its commands. */
#ifndef NP_ADMIN_H
#define NP_ADMIN_H

#include <stddef.h>

#include "store.h"

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
 * appends its rows to rows. On a bad row prints "FILE:LINE: ..." to stderr and
 * returns -1; the caller aborts the batch. */
int admin_import_csv(struct hub_store *s, const char *path, struct place_rows *rows);
/* No code twice among rows, and every row's parent (the code without its last
 * two digits; none for provinces) in the batch. Prints the first row that
 * breaks this; returns -1 then. */
int admin_check_parents(struct hub_store *s, const struct place_rows *rows);
void admin_rows_free(struct place_rows *rows);

/* np-admin demo: the geo registry, 24,700 villages and one demo user per role. */
int admin_demo(struct hub_store *s, const char *geo_dir, unsigned iterations);
/* Checks a user's name, role, area and categories against the registry and
 * fills out (no password yet); prints why not to stderr. */
int admin_user_check(struct hub_store *s, const char *name, const char *role, const char *area,
		     const char *categories, struct hub_user *out);
int admin_parse_iterations(const char *arg, unsigned *out);
/* np-admin user import FILE [--iterations N]: argv[0] is "import". */
int admin_user_import(struct hub_store *s, int argc, char **argv);
/* Adds a user after checking the area and role; prints why not to stderr. */
int admin_user_add(struct hub_store *s, const char *name, const char *role, const char *area,
		   const char *categories, const char *password, unsigned iterations);

struct hub_history;
/* np-admin history load N: N synthetic reports over every village. */
int admin_history_load(struct hub_history *h, struct hub_store *s, unsigned long long n);

/* np-admin history export|stats|load ...: argv[0] is "history". 0, 1 or 2 (usage). */
int admin_history(struct hub_store *s, int argc, char **argv);

#endif
