/* user.h - np-admin's users: the checks every way of adding one shares (user
 * add, user import, demo) and the user commands. Errors as admin.h says. */
#ifndef NP_ADMIN_USER_H
#define NP_ADMIN_USER_H

#include "admin.h"

/* Checks a user's name, role, area and categories against the registry and
 * fills out (no password yet); prints why not. */
enum admin_rc admin_user_check(struct hub_store *s, const char *name, const char *role,
			       const char *area, const char *categories, struct hub_user *out);
/* Adds a user after admin_user_check, hashing password (borrowed). */
enum admin_rc admin_user_add(struct hub_store *s, const char *name, const char *role,
			     const char *area, const char *categories, const char *password,
			     unsigned iterations);
/* One line of admin_in() into buf (len bytes, the newline cut): the new
 * password of user add and user passwd; prints why it is none. */
enum admin_rc admin_read_password(char *buf, size_t len);
/* Hashes passwords[i] into users[i] (iterations, salt, hash) on every core. */
enum admin_rc admin_hash_many(struct hub_user **users, char **passwords, size_t n,
			      unsigned iterations);
/* --iterations ARG into *out; prints the allowed range when it is not one. */
enum admin_rc admin_parse_iterations(const char *arg, unsigned *out);

/* np-admin user add|set|passwd|del|list|import ...: argv[0] is "user". */
enum admin_rc admin_user(struct hub_store *s, int argc, char **argv);
/* np-admin user import FILE [--iterations N]: argv[0] is "import". */
enum admin_rc admin_user_import(struct hub_store *s, int argc, char **argv);

#endif
