/* token_cmd.c - np-admin token issue|list|revoke: the device tokens of
 * DESIGN.md ("Credentials"), kept in the LMDB directory by store.c (only the
 * SHA-256 of each secret). A revocation bumps the store's tokens generation,
 * which a running hub notices within a second and cuts the sessions that
 * logged in with the token. Errors as admin.h says.
 *
 *   token issue NAME... [--names FILE] [--label L] [--days N] [--csv]
 *       prints "NAME TOKEN" per name (--csv: name,area,token,expires with a
 *       header, for a province to print QR codes); all in one transaction, or none
 *   token list [NAME]
 *       CSV: id,user,label,created,last_used,expires (UTC, ISO 8601; "never")
 *   token revoke ID... | token revoke --user NAME */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "admin.h"
#include "audit.h"
#include "encode.h"
#include "validate.h"

#define NAME_LINE 256

struct names {
	char **v;
	size_t n, cap;
};

static void
names_free(struct names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
}

static enum admin_rc
names_add(struct names *nm, const char *name)
{
	char **v;

	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? 2 * nm->cap : 64;
		v = realloc(nm->v, nm->cap * sizeof(*v));
		if (v == NULL)
			goto nomem;
		nm->v = v;
	}
	nm->v[nm->n] = strdup(name);
	if (nm->v[nm->n] == NULL)
		goto nomem;
	nm->n++;
	return ADMIN_OK;
nomem:
	fprintf(admin_err(), "np-admin: out of memory\n");
	return ADMIN_FAIL;
}

/* One name a line ("-": standard input); blank lines are skipped. */
static enum admin_rc
names_read(struct names *nm, const char *path)
{
	/* a remote request carries the file's bytes: the hub opens no path it is given */
	bool given = admin_io.remote || strcmp(path, "-") == 0;
	FILE *f = given ? admin_in() : fopen(path, "r");
	char line[NAME_LINE];
	enum admin_rc rc = ADMIN_OK;
	size_t len;

	if (f == NULL) {
		fprintf(admin_err(), "np-admin: cannot read %s: %s\n", path, strerror(errno));
		return ADMIN_FAIL;
	}
	while (rc == ADMIN_OK && fgets(line, sizeof(line), f) != NULL) {
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (len > 0)
			rc = names_add(nm, line);
	}
	if (rc == ADMIN_OK && ferror(f)) {
		fprintf(admin_err(), "np-admin: cannot read %s\n", path);
		rc = ADMIN_FAIL;
	}
	if (!given)
		fclose(f);
	return rc;
}

static int64_t
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static enum admin_rc
parse_days(const char *arg, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v > HUB_TOKEN_MAX_DAYS) {
		fprintf(admin_err(), "np-admin: --days wants a number from 0 (never expires) to %d\n",
			HUB_TOKEN_MAX_DAYS);
		return ADMIN_FAIL;
	}
	*out = (unsigned)v;
	return ADMIN_OK;
}

static enum admin_rc
check_label(const char *label)
{
	size_t n = strlen(label);

	if (n <= HUB_TOKEN_LABEL_MAX && hub_utf8_valid(label, n))
		return ADMIN_OK;
	fprintf(admin_err(), "np-admin: --label is over %d bytes or not UTF-8\n", HUB_TOKEN_LABEL_MAX);
	return ADMIN_FAIL;
}

/* The records of one token per name, and their texts (text[i]: names->v[i]'s). */
static enum admin_rc
make_tokens(struct hub_store *s, const struct names *nm, const char *label, unsigned days,
	    struct hub_token_rec *recs, char (*text)[HUB_TOKEN_TEXT_LEN + 1])
{
	struct hub_token t;
	struct hub_user u;
	int64_t now = now_ms();
	size_t i;

	for (i = 0; i < nm->n; i++) {
		if (!hub_username_valid(nm->v[i], strlen(nm->v[i]))
		    || (admin_io.scope != NULL && hub_store_user_get(s, nm->v[i], &u) != 0)) {
			fprintf(admin_err(), "np-admin: no user '%s'\n", nm->v[i]);
			return ADMIN_FAIL;
		}
		if (admin_io.scope != NULL && admin_scope_check(u.name, u.area) != ADMIN_OK)
			return ADMIN_FAIL;
		if (hub_token_new(&t) != 0) {
			fprintf(admin_err(), "np-admin: no random bytes for a token\n");
			return ADMIN_FAIL;
		}
		memset(&recs[i], 0, sizeof(recs[i]));
		memcpy(recs[i].id, t.id, HUB_TOKEN_ID_LEN);
		snprintf(recs[i].user, sizeof(recs[i].user), "%s", nm->v[i]);
		hub_token_hash(&t, recs[i].hash);
		snprintf(recs[i].label, sizeof(recs[i].label), "%s", label);
		recs[i].created_ms = now;
		recs[i].expires_ms = days ? now + days * HUB_DAY_MS : 0;
		hub_token_format(&t, text[i]);
		hub_token_wipe(&t);
	}
	return ADMIN_OK;
}

/* The audit's target: the user and token id, or how many (and the names file). */
static void
issue_target(struct hub_store *s, const struct names *nm, const struct hub_token_rec *recs,
	     const char *from)
{
	char id[2 * HUB_TOKEN_ID_LEN + 1];

	hub_token_id_hex(recs[0].id, id);
	if (nm->n == 1)
		admin_audit_target(s, "user %s, token %s", nm->v[0], id);
	else if (from != NULL)
		admin_audit_target(s, "%zu tokens for the users of %s", nm->n, from);
	else
		admin_audit_target(s, "%zu tokens for users %s, %s%s", nm->n, nm->v[0], nm->v[1],
				   nm->n > 2 ? ", ..." : "");
}

/* UTC, ISO 8601 to the second; "never" for 0. */
static const char *
when(int64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0 || gmtime_r(&t, &tm) == NULL)
		return "never";
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* name,area,token,expires: what a province turns into QR codes. */
static void
print_csv(struct hub_store *s, const struct names *nm, const struct hub_token_rec *recs,
	  char (*text)[HUB_TOKEN_TEXT_LEN + 1])
{
	static const char *const header[4] = { "name", "area", "token", "expires" };
	struct hub_user u;
	char e[32];
	const char *row[4];
	size_t i;

	admin_csv_row(header, 4);
	for (i = 0; i < nm->n; i++) {
		row[0] = nm->v[i];
		row[1] = hub_store_user_get(s, nm->v[i], &u) == 0 ? u.area : "";
		row[2] = text[i];
		row[3] = when(recs[i].expires_ms, e);
		admin_csv_row(row, 4);
	}
}

static enum admin_rc
issue_all(struct hub_store *s, const struct names *nm, const char *label, unsigned days,
	  const char *from, bool csv)
{
	struct hub_token_rec *recs = calloc(nm->n, sizeof(*recs));
	char (*text)[HUB_TOKEN_TEXT_LEN + 1] = calloc(nm->n, sizeof(*text));
	enum admin_rc rc = ADMIN_FAIL;
	size_t i, bad = 0;
	int src;

	if (recs == NULL || text == NULL) {
		fprintf(admin_err(), "np-admin: out of memory\n");
		goto out;
	}
	if (make_tokens(s, nm, label, days, recs, text) != ADMIN_OK)
		goto out;
	issue_target(s, nm, recs, from);
	src = hub_store_tokens_add(s, recs, nm->n, &bad);
	if (src == HUB_STORE_NOTFOUND) {
		fprintf(admin_err(), "np-admin: no user '%s'\n", nm->v[bad]);
	} else if (src != 0) {
		fprintf(admin_err(), "np-admin: %s\n", src == HUB_STORE_EXISTS ? "token id taken; "
			"issue again" : hub_store_error(s));
	} else {
		if (csv)
			print_csv(s, nm, recs, text);
		else
			for (i = 0; i < nm->n; i++)
				fprintf(admin_out(), "%s %s\n", nm->v[i], text[i]);
		rc = ADMIN_OK;
	}
out:
	if (text != NULL)
		memset(text, 0, nm->n * sizeof(*text));
	free(text);
	free(recs);
	return rc;
}

/* token issue NAME... [--names FILE] [--label L] [--days N] [--csv]: argv[0] is "issue". */
static enum admin_rc
token_issue(struct hub_store *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "days", required_argument, NULL, 'd' },
		{ "names", required_argument, NULL, 'n' },
		{ "csv", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct names nm = { 0 };
	bool csv = false;
	const char *label = "", *from = NULL;
	unsigned days = HUB_TOKEN_DEFAULT_DAYS;
	enum admin_rc rc = ADMIN_OK;
	int c;

	optind = 1;
	while (rc == ADMIN_OK && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'l')
			rc = check_label(label = optarg);
		else if (c == 'd')
			rc = parse_days(optarg, &days);
		else if (c == 'n')
			rc = names_read(&nm, from = optarg);
		else if (c == 'c')
			csv = true;
		else
			rc = ADMIN_USAGE;
	}
	for (; rc == ADMIN_OK && optind < argc; optind++)
		rc = names_add(&nm, argv[optind]);
	if (rc == ADMIN_OK && nm.n == 0) {
		fprintf(admin_err(), "np-admin: token issue wants at least one user name\n");
		rc = ADMIN_USAGE;
	}
	if (rc == ADMIN_OK)
		rc = issue_all(s, &nm, label, days, from, csv);
	else if (rc == ADMIN_FAIL)
		fprintf(admin_err(), "np-admin: no token issued\n");
	names_free(&nm);
	return rc;
}

/* id,user,label,created,last_used,expires */
static int
print_token(void *ctx, const struct hub_token_rec *t)
{
	char id[2 * HUB_TOKEN_ID_LEN + 1], c[32], u[32], e[32];
	const char *row[6] = { id, t->user, t->label, when(t->created_ms, c),
			       when(t->last_used_ms, u), when(t->expires_ms, e) };

	const struct admin_names *in_scope = ctx;

	if (in_scope != NULL && !admin_names_has(in_scope, t->user))
		return 0;
	hub_token_id_hex(t->id, id);
	admin_csv_row(row, 6);
	return ferror(admin_out()) ? 1 : 0;
}

static enum admin_rc
token_list(struct hub_store *s, const char *user)
{
	struct admin_names nm = { 0 };
	enum admin_rc rc = ADMIN_OK;
	struct hub_user u;

	if (user != NULL && hub_store_user_get(s, user, &u) != 0) {
		fprintf(admin_err(), "np-admin: no user '%s'\n", user);
		return ADMIN_FAIL;
	}
	if (user != NULL && admin_scope_check(u.name, u.area) != ADMIN_OK)
		return ADMIN_FAIL;
	if (!admin_in_scope("") && admin_scope_names(s, &nm) != ADMIN_OK)
		return ADMIN_FAIL;
	if (hub_store_token_each(s, user, print_token, admin_in_scope("") ? NULL : &nm) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		rc = ADMIN_FAIL;
	}
	admin_names_free(&nm);
	return rc;
}

/* A scoped admin revokes only the tokens of users within its scope; one it
 * may not see is as unknown to it as one that does not exist. */
static enum admin_rc
token_in_scope(struct hub_store *s, const uint8_t id[HUB_TOKEN_ID_LEN], const char *text)
{
	struct hub_token_rec t;
	struct hub_user u;

	if (hub_store_token_get(s, id, &t) == 0 && hub_store_user_get(s, t.user, &u) == 0
	    && admin_in_scope(u.area))
		return ADMIN_OK;
	fprintf(admin_err(), "np-admin: no token %s (unknown or revoked)\n", text);
	return ADMIN_FAIL;
}

/* Every id is checked before any is revoked; each is its own transaction
 * (revoking one twice is harmless), and an unknown one is an error. */
static enum admin_rc
revoke_ids(struct hub_store *s, int argc, char **argv)
{
	uint8_t id[HUB_TOKEN_ID_LEN];
	enum admin_rc rc = ADMIN_OK;
	char ids[HUB_AUDIT_TEXT_MAX + 1];
	size_t n = 0;
	int i, src;

	for (i = 0; i < argc && n < sizeof(ids); i++)
		n += (size_t)snprintf(ids + n, sizeof(ids) - n, " %s", argv[i]);
	admin_audit_target(s, "token%s%s", argc > 1 ? "s" : "", ids);
	for (i = 0; i < argc; i++) {
		if (hub_token_id_parse(argv[i], id) != 0) {
			fprintf(admin_err(), "np-admin: '%s' is not a token id (32 hex digits, as token "
				"list prints)\n", argv[i]);
			return ADMIN_FAIL;
		}
		if (admin_io.scope != NULL && token_in_scope(s, id, argv[i]) != ADMIN_OK)
			return ADMIN_FAIL;
	}
	for (i = 0; i < argc; i++) {
		hub_token_id_parse(argv[i], id);
		src = hub_store_token_del(s, id);
		if (src == 0) {
			fprintf(admin_out(), "token %s revoked\n", argv[i]);
			continue;
		}
		if (src == HUB_STORE_NOTFOUND)
			fprintf(admin_err(), "np-admin: no token %s (unknown or revoked)\n", argv[i]);
		else
			fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		rc = ADMIN_FAIL;
	}
	return rc;
}

static enum admin_rc
revoke_user(struct hub_store *s, const char *user)
{
	struct hub_user u;
	size_t n;

	admin_audit_target(s, "the tokens of user %s", user);
	if (hub_store_user_get(s, user, &u) != 0) {
		fprintf(admin_err(), "np-admin: no user '%s'\n", user);
		return ADMIN_FAIL;
	}
	if (admin_scope_check(u.name, u.area) != ADMIN_OK)
		return ADMIN_FAIL;
	if (hub_store_tokens_del_user(s, user, &n) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		return ADMIN_FAIL;
	}
	fprintf(admin_out(), "%zu token%s of '%s' revoked\n", n, n == 1 ? "" : "s", user);
	return ADMIN_OK;
}

enum admin_rc
admin_token(struct hub_store *s, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "issue") == 0)
		return token_issue(s, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0 && argc <= 3)
		return token_list(s, argc == 3 ? argv[2] : NULL);
	if (strcmp(sub, "revoke") == 0 && argc == 4 && strcmp(argv[2], "--user") == 0)
		return revoke_user(s, argv[3]);
	if (strcmp(sub, "revoke") == 0 && argc >= 3 && argv[2][0] != '-')
		return revoke_ids(s, argc - 2, argv + 2);
	return ADMIN_USAGE;
}
