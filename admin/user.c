/* user.c - np-admin's users: user add|set|passwd|del|list (user import:
 * user_import.c), and the checks every way of adding or changing a user
 * shares, so user add, user set, user import and demo refuse the same users
 * with the same words. A running broker sees every change within a second and
 * disconnects the sessions of the user changed (broker-plugin/live.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "token.h"
#include "user.h"

enum admin_rc
admin_read_password(char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, admin_in()) == NULL) {
		fprintf(admin_err(), "np-admin: no password on standard input\n");
		return ADMIN_FAIL;
	}
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == len - 1) {
		fprintf(admin_err(), "np-admin: password is longer than %zu bytes\n", len - 2);
		return ADMIN_FAIL;
	}
	buf[n] = '\0';
	if (n == 0) {
		fprintf(admin_err(), "np-admin: the password is empty\n");
		return ADMIN_FAIL;
	}
	if (hub_token_is(buf)) {
		fprintf(admin_err(), "np-admin: a password may not start with '%s' (the hub reads it "
			"as a device token)\n", HUB_TOKEN_PREFIX);
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

/* The new password of u: the next hash a remote request carries, or one read
 * from admin_in() and hashed here with iterations. */
static enum admin_rc
new_password(struct hub_user *u, unsigned iterations)
{
	char password[1026];
	enum admin_rc rc;

	if (admin_io.remote) {
		if (admin_io.next_hash >= admin_io.nhashes) {
			fprintf(admin_err(), "np-admin: no password on standard input\n");
			return ADMIN_FAIL;
		}
		return admin_hash_parse(admin_io.hashes[admin_io.next_hash++], u);
	}
	if (admin_read_password(password, sizeof(password)) != ADMIN_OK)
		return ADMIN_FAIL;
	u->iterations = iterations;
	rc = hub_kdf_new(password, strlen(password), iterations, u->salt, u->hash) == 0
		     ? ADMIN_OK : ADMIN_FAIL;
	memset(password, 0, sizeof(password));
	if (rc != ADMIN_OK)
		fprintf(admin_err(), "np-admin: cannot hash the password\n");
	return rc;
}

/* Why a role cannot hold an area, after "a ROLE cannot hold area 'A'". */
static const char *
hold_hint(enum hub_role r)
{
	switch (r) {
	case HUB_ROLE_VOLUNTEER:
	case HUB_ROLE_RESIDENT:
		return "want a village";
	case HUB_ROLE_OFFICIAL:
	case HUB_ROLE_ADMIN:
		return "want TH, a province or a district";
	default:
		return "want TH or a province";
	}
}

static enum admin_rc
check_categories(struct hub_user *u, const char *categories)
{
	size_t bad;

	if (categories != NULL && u->role != HUB_ROLE_AGENCY) {
		fprintf(admin_err(), "np-admin: --categories is for agencies only\n");
		return ADMIN_FAIL;
	}
	if (u->role != HUB_ROLE_AGENCY)
		return ADMIN_OK;
	bad = categories ? hub_categories_parse(categories, &u->categories) : 1;
	if (categories == NULL || bad != 0) {
		fprintf(admin_err(), "np-admin: an agency needs --categories from weather, "
			"agriculture, health, commerce, education, event, network, "
			"emergency, general%s%s\n", categories ? "; bad: " : "",
			categories ? categories + bad - 1 : "");
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

enum admin_rc
admin_user_check(struct hub_store *s, const char *name, const char *role, const char *area,
		 const char *categories, struct hub_user *out)
{
	struct hub_user u;

	memset(&u, 0, sizeof(u));
	if (!hub_username_valid(name, strlen(name))) {
		fprintf(admin_err(), "np-admin: bad user name '%s' (a letter, then letters, digits, "
			"'.', '_' or '-', at most %d)\n", name, HUB_USERNAME_MAX);
		return ADMIN_FAIL;
	}
	u.role = hub_role_parse(role);
	if (u.role == HUB_ROLE_NONE) {
		fprintf(admin_err(), "np-admin: unknown role '%s' (volunteer, resident, official, "
			"agency, operator, admin)\n", role);
		return ADMIN_FAIL;
	}
	if (strcmp(area, "TH") != 0 && !hub_store_place_exists(s, area)) {
		fprintf(admin_err(), "np-admin: area '%s' is not in the registry\n", area);
		return ADMIN_FAIL;
	}
	if (!hub_role_may_hold(u.role, hub_area_level(area, strlen(area)))) {
		fprintf(admin_err(), "np-admin: %s %s cannot hold area '%s' (%s)\n",
			strchr("aeiou", role[0]) ? "an" : "a", role, area, hold_hint(u.role));
		return ADMIN_FAIL;
	}
	if (check_categories(&u, categories) != ADMIN_OK)
		return ADMIN_FAIL;
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.area, sizeof(u.area), "%s", area);
	*out = u;
	return ADMIN_OK;
}

enum admin_rc
admin_user_add(struct hub_store *s, const char *name, const char *role, const char *area,
	       const char *categories, const char *password, unsigned iterations)
{
	struct hub_user u;
	int rc;

	if (admin_user_check(s, name, role, area, categories, &u) != ADMIN_OK
	    || admin_scope_check(name, area) != ADMIN_OK)
		return ADMIN_FAIL;
	u.iterations = iterations;
	if (password == NULL) {
		if (new_password(&u, iterations) != ADMIN_OK)
			return ADMIN_FAIL;
	} else if (hub_kdf_new(password, strlen(password), iterations, u.salt, u.hash) != 0) {
		fprintf(admin_err(), "np-admin: cannot hash the password\n");
		return ADMIN_FAIL;
	}
	rc = hub_store_user_add(s, &u);
	if (rc == HUB_STORE_EXISTS)
		fprintf(admin_err(), "np-admin: user '%s' already exists\n", name);
	else if (rc != 0)
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
	return rc == 0 ? ADMIN_OK : ADMIN_FAIL;
}

enum admin_rc
admin_parse_iterations(const char *arg, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || *end != '\0' || arg[0] == '-' || v < HUB_KDF_MIN_ITERATIONS
	    || v > 100000000ul) {
		fprintf(admin_err(), "np-admin: --iterations wants a number from %u to 100000000\n",
			HUB_KDF_MIN_ITERATIONS);
		return ADMIN_FAIL;
	}
	*out = (unsigned)v;
	return ADMIN_OK;
}

/* user add NAME --role R --area A [--categories a,b] [--iterations N]: argv[0]
 * is "add". A bad command line prints this command's own usage and fails. */
static enum admin_rc
user_add(struct hub_store *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "area", required_argument, NULL, 'a' },
		{ "categories", required_argument, NULL, 'c' },
		{ "iterations", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL, *area = NULL, *cats = NULL;
	unsigned iterations = HUB_KDF_DEFAULT_ITERATIONS;
	enum admin_rc rc;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			role = optarg;
		else if (c == 'a')
			area = optarg;
		else if (c == 'c')
			cats = optarg;
		else if (c == 'i') {
			if (admin_parse_iterations(optarg, &iterations) != ADMIN_OK)
				return ADMIN_FAIL;
		} else {
			optind = argc;  /* getopt said what was wrong; show the usage too */
			role = NULL;
		}
	}
	if (optind != argc - 1 || role == NULL || area == NULL) {
		fprintf(admin_err(), "np-admin: user add NAME --role ROLE --area CODE "
			"[--categories a,b] [--iterations N]\n");
		return ADMIN_FAIL;
	}
	admin_audit_target(s, "user %s", argv[optind]);
	rc = admin_user_add(s, argv[optind], role, area, cats, NULL, iterations);
	if (rc == ADMIN_OK)
		fprintf(admin_out(), "user '%s' added: %s %s\n", argv[optind], role, area);
	return rc;
}

/* Reads user name into u; prints why not. */
static enum admin_rc
get_user(struct hub_store *s, const char *name, struct hub_user *u)
{
	int rc = hub_store_user_get(s, name, u);

	if (rc == HUB_STORE_NOTFOUND)
		fprintf(admin_err(), "np-admin: no user '%s'\n", name);
	else if (rc != 0)
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
	return rc == 0 ? ADMIN_OK : ADMIN_FAIL;
}

static enum admin_rc
put_user(struct hub_store *s, const struct hub_user *u)
{
	int rc = hub_store_user_update(s, u);

	if (rc == HUB_STORE_NOTFOUND)
		fprintf(admin_err(), "np-admin: no user '%s'\n", u->name);
	else if (rc != 0)
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
	return rc == 0 ? ADMIN_OK : ADMIN_FAIL;
}

/* mask as "a,b" (the form --categories takes) into buf, which holds
 * HUB_CATEGORY_COUNT names and their commas. */
static const char *
categories_text(uint16_t mask, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < HUB_CATEGORY_COUNT; i++) {
		if (mask & (1u << i))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "",
					      hub_category_name(i));
	}
	return buf;
}

/* user set NAME [--role R] [--area A] [--categories a,b]: argv[0] is "set".
 * What is not given is kept (an agency's categories too); the result is
 * checked as user add checks a new user, and nothing changes when it fails. */
static enum admin_rc
user_set(struct hub_store *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "area", required_argument, NULL, 'a' },
		{ "categories", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL, *area = NULL, *cats = NULL;
	char catbuf[256];
	struct hub_user old, u;
	bool bad = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			role = optarg;
		else if (c == 'a')
			area = optarg;
		else if (c == 'c')
			cats = optarg;
		else
			bad = true;
	}
	if (bad || optind != argc - 1 || (role == NULL && area == NULL && cats == NULL)) {
		fprintf(admin_err(), "np-admin: user set NAME [--role ROLE] [--area CODE] "
			"[--categories a,b] (at least one)\n");
		return ADMIN_FAIL;
	}
	admin_audit_target(s, "user %s", argv[optind]);
	if (get_user(s, argv[optind], &old) != ADMIN_OK
	    || admin_scope_check(old.name, old.area) != ADMIN_OK)
		return ADMIN_FAIL;
	if (role == NULL)
		role = hub_role_name(old.role);
	if (area == NULL)
		area = old.area;
	if (cats == NULL && old.role == HUB_ROLE_AGENCY && hub_role_parse(role) == HUB_ROLE_AGENCY)
		cats = categories_text(old.categories, catbuf, sizeof(catbuf));
	if (admin_user_check(s, old.name, role, area, cats, &u) != ADMIN_OK
	    || admin_scope_check(u.name, u.area) != ADMIN_OK)
		return ADMIN_FAIL;
	u.iterations = old.iterations;
	memcpy(u.salt, old.salt, sizeof(u.salt));
	memcpy(u.hash, old.hash, sizeof(u.hash));
	if (put_user(s, &u) != ADMIN_OK)
		return ADMIN_FAIL;
	fprintf(admin_out(), "user '%s' changed: %s %s%s%s\n", u.name, hub_role_name(u.role), u.area,
	       u.categories ? " " : "", categories_text(u.categories, catbuf, sizeof(catbuf)));
	return ADMIN_OK;
}

/* user passwd NAME [--iterations N]: argv[0] is "passwd". The new password
 * comes from standard input, hashed with a new salt. */
static enum admin_rc
user_passwd(struct hub_store *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iterations", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned iterations = HUB_KDF_DEFAULT_ITERATIONS;
	struct hub_user u;
	enum admin_rc rc;
	bool bad = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'i')
			bad = true;
		else if (admin_parse_iterations(optarg, &iterations) != ADMIN_OK)
			return ADMIN_FAIL;
	}
	if (bad || optind != argc - 1) {
		fprintf(admin_err(), "np-admin: user passwd NAME [--iterations N] "
			"(the password on standard input)\n");
		return ADMIN_FAIL;
	}
	admin_audit_target(s, "user %s", argv[optind]);
	if (get_user(s, argv[optind], &u) != ADMIN_OK
	    || admin_scope_check(u.name, u.area) != ADMIN_OK)
		return ADMIN_FAIL;
	rc = new_password(&u, iterations);
	if (rc == ADMIN_OK)
		rc = put_user(s, &u);
	if (rc == ADMIN_OK)
		fprintf(admin_out(), "password of user '%s' changed\n", u.name);
	return rc;
}

static enum admin_rc
user_del(struct hub_store *s, const char *name)
{
	struct hub_user u;
	int rc;

	admin_audit_target(s, "user %s", name);
	if (get_user(s, name, &u) != ADMIN_OK || admin_scope_check(u.name, u.area) != ADMIN_OK)
		return ADMIN_FAIL;
	rc = hub_store_user_del(s, name);
	if (rc == 0) {
		fprintf(admin_out(), "user '%s' deleted\n", name);
		return ADMIN_OK;
	}
	if (rc == HUB_STORE_NOTFOUND)
		fprintf(admin_err(), "np-admin: no user '%s'\n", name);
	else
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
	return ADMIN_FAIL;
}

/* name,role,area,categories (a;b) */
static int
print_user(void *ctx, const struct hub_user *u)
{
	int i;
	bool first = true;

	(void)ctx;
	if (!admin_in_scope(u->area))
		return 0;
	fprintf(admin_out(), "%s,%s,%s,", u->name, hub_role_name(u->role), u->area);
	for (i = 0; i < HUB_CATEGORY_COUNT; i++) {
		if (u->categories & (1u << i)) {
			fprintf(admin_out(), "%s%s", first ? "" : ";", hub_category_name(i));
			first = false;
		}
	}
	fputc('\n', admin_out());
	return 0;
}

enum admin_rc
admin_user(struct hub_store *s, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "add") == 0)
		return user_add(s, argc - 1, argv + 1);
	if (strcmp(sub, "set") == 0)
		return user_set(s, argc - 1, argv + 1);
	if (strcmp(sub, "passwd") == 0)
		return user_passwd(s, argc - 1, argv + 1);
	if (strcmp(sub, "del") == 0 && argc == 3)
		return user_del(s, argv[2]);
	if (strcmp(sub, "list") == 0 && argc == 2) {
		if (hub_store_user_each(s, print_user, NULL) == 0)
			return ADMIN_OK;
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		return ADMIN_FAIL;
	}
	if (strcmp(sub, "import") == 0)
		return admin_user_import(s, argc - 1, argv + 1);
	return ADMIN_USAGE;
}
