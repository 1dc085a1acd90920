/* user_import.c - np-admin user import FILE.csv: many users in one
 * transaction, all or none. The rows are checked first (naming the bad row),
 * then the passwords are hashed on every core (PBKDF2 is the cost: 24,700
 * volunteers at 100,000 iterations are minutes of CPU), then written at once. */
#include <csv.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "token.h"
#include "user.h"

#define FIELD_MAX 1024

struct import_row {
	struct hub_user u;
	char *password;
	unsigned long line;
};

struct parse {
	struct hub_store *s;
	const char *path;
	unsigned long line, records;
	int field;
	char f[5][FIELD_MAX];
	struct import_row *rows;
	size_t n, cap;
	int failed;
};

static void
on_field(void *data, size_t len, void *cb)
{
	struct parse *p = cb;

	if (p->field < 5) {
		if (len >= FIELD_MAX)
			len = FIELD_MAX - 1;
		memcpy(p->f[p->field], data, len);
		p->f[p->field][len] = '\0';
	}
	p->field++;
}

static void
add_row(struct parse *p)
{
	struct import_row *r;
	char cats[FIELD_MAX], *c;

	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 1024;
		r = realloc(p->rows, p->cap * sizeof(*r));
		if (r == NULL) {
			fprintf(admin_err(), "np-admin: out of memory\n");
			p->failed = 1;
			return;
		}
		p->rows = r;
	}
	r = &p->rows[p->n];
	memset(r, 0, sizeof(*r));
	snprintf(cats, sizeof(cats), "%s", p->field == 5 ? p->f[4] : "");
	for (c = cats; *c; c++)
		if (*c == ';')
			*c = ',';       /* a;b in the CSV, a,b on the command line */
	if (admin_user_check(p->s, p->f[0], p->f[1], p->f[2], cats[0] ? cats : NULL, &r->u)
	    != ADMIN_OK) {
		fprintf(admin_err(), "%s:%lu: the row above is refused\n", p->path, p->line);
		p->failed = 1;
		return;
	}
	if (admin_scope_check(r->u.name, r->u.area) != ADMIN_OK) {
		fprintf(admin_err(), "%s:%lu: the row above is refused\n", p->path, p->line);
		p->failed = 1;
		return;
	}
	if (admin_io.remote) {  /* np-admin --hub sent the password's hash */
		if (admin_hash_parse(p->f[3], &r->u) != ADMIN_OK) {
			fprintf(admin_err(), "%s:%lu: user '%s' has no usable password hash\n",
				p->path, p->line, p->f[0]);
			p->failed = 1;
			return;
		}
		r->line = p->line;
		p->n++;
		return;
	}
	if (p->f[3][0] == '\0') {
		fprintf(admin_err(), "%s:%lu: user '%s' has an empty password\n", p->path, p->line, p->f[0]);
		p->failed = 1;
		return;
	}
	if (hub_token_is(p->f[3])) {
		fprintf(admin_err(), "%s:%lu: user '%s' has a password starting with '%s' (the hub reads "
			"it as a device token)\n", p->path, p->line, p->f[0], HUB_TOKEN_PREFIX);
		p->failed = 1;
		return;
	}
	r->password = strdup(p->f[3]);
	if (r->password == NULL) {
		fprintf(admin_err(), "np-admin: out of memory\n");
		p->failed = 1;
		return;
	}
	r->line = p->line;
	p->n++;
}

static void
on_record(int c, void *cb)
{
	struct parse *p = cb;

	(void)c;
	p->records++;
	if (!p->failed && (p->field < 4 || p->field > 5)) {
		fprintf(admin_err(), "%s:%lu: want name,role,area,password[,categories]\n", p->path,
			p->line);
		p->failed = 1;
	} else if (!p->failed && p->records == 1) {
		if (strcmp(p->f[0], "name") != 0 || strcmp(p->f[1], "role") != 0) {
			fprintf(admin_err(), "%s:%lu: the header must be name,role,area,password"
				"[,categories]\n", p->path, p->line);
			p->failed = 1;
		}
	} else if (!p->failed) {
		add_row(p);
	}
	p->field = 0;
}

struct job {
	struct hub_user **users;
	char **passwords;
	size_t n, next;
	unsigned iterations;
	pthread_mutex_t lock;
	int failed;
};

static void *
hash_rows(void *arg)
{
	struct job *j = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&j->lock);
		i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->n)
			return NULL;
		j->users[i]->iterations = j->iterations;
		if (hub_kdf_new(j->passwords[i], strlen(j->passwords[i]), j->iterations,
				j->users[i]->salt, j->users[i]->hash) != 0)
			j->failed = 1;
	}
}

enum admin_rc
admin_hash_many(struct hub_user **users, char **passwords, size_t n, unsigned iterations)
{
	struct job j = { users, passwords, n, 0, iterations, PTHREAD_MUTEX_INITIALIZER, 0 };
	pthread_t t[64];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int k, nt = cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;

	for (k = 0; k < nt; k++) {
		if (pthread_create(&t[k], NULL, hash_rows, &j) != 0)
			break;
	}
	if (k == 0)
		hash_rows(&j);
	while (k-- > 0)
		pthread_join(t[k], NULL);
	if (j.failed)
		fprintf(admin_err(), "np-admin: cannot hash the passwords\n");
	return j.failed ? ADMIN_FAIL : ADMIN_OK;
}

static enum admin_rc
hash_all(struct import_row *rows, size_t n, unsigned iterations)
{
	struct hub_user **users = calloc(n ? n : 1, sizeof(*users));
	char **passwords = calloc(n ? n : 1, sizeof(*passwords));
	enum admin_rc rc = ADMIN_FAIL;
	size_t i;

	if (users == NULL || passwords == NULL) {
		fprintf(admin_err(), "np-admin: out of memory\n");
	} else {
		for (i = 0; i < n; i++) {
			users[i] = &rows[i].u;
			passwords[i] = rows[i].password;
		}
		rc = admin_hash_many(users, passwords, n, iterations);
	}
	free(users);
	free(passwords);
	return rc;
}

static enum admin_rc
read_rows(struct parse *p)
{
	struct csv_parser csv;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	/* a remote request carries the file's bytes: the hub opens no path it is given */
	bool given = admin_io.remote || strcmp(p->path, "-") == 0;
	FILE *fp = given ? admin_in() : fopen(p->path, "rb");

	if (fp == NULL) {
		fprintf(admin_err(), "np-admin: cannot read %s: %s\n", p->path, strerror(errno));
		return ADMIN_FAIL;
	}
	csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI);
	while (!p->failed && (n = getline(&line, &cap, fp)) != -1) {
		p->line++;
		if (csv_parse(&csv, line, (size_t)n, on_field, on_record, p) != (size_t)n) {
			fprintf(admin_err(), "%s:%lu: %s\n", p->path, p->line, csv_strerror(csv_error(&csv)));
			p->failed = 1;
		}
	}
	if (!p->failed)
		csv_fini(&csv, on_field, on_record, p);
	csv_free(&csv);
	free(line);
	if (!given)
		fclose(fp);
	return p->failed ? ADMIN_FAIL : ADMIN_OK;
}

/* Writes the checked, hashed rows in one transaction, all or none. */
static enum admin_rc
store_rows(struct hub_store *s, const struct parse *p)
{
	struct hub_user *users = malloc((p->n ? p->n : 1) * sizeof(*users));
	size_t i, bad = 0;
	int rc;

	if (users == NULL) {
		fprintf(admin_err(), "np-admin: out of memory\n");
		return ADMIN_FAIL;
	}
	for (i = 0; i < p->n; i++)
		users[i] = p->rows[i].u;
	rc = hub_store_users_add(s, users, p->n, &bad);
	if (rc == HUB_STORE_EXISTS)
		fprintf(admin_err(), "%s:%lu: user '%s' already exists\n", p->path, p->rows[bad].line,
			p->rows[bad].u.name);
	else if (rc != 0)
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
	else
		fprintf(admin_out(), "%zu users imported from %s\n", p->n, p->path);
	free(users);
	return rc == 0 ? ADMIN_OK : ADMIN_FAIL;
}

enum admin_rc
admin_user_import(struct hub_store *s, int argc, char **argv)
{
	static const struct option opts[] = { { "iterations", required_argument, NULL, 'i' },
					      { NULL, 0, NULL, 0 } };
	unsigned iterations = HUB_KDF_DEFAULT_ITERATIONS;
	struct parse p;
	enum admin_rc rc;
	size_t i;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'i' || admin_parse_iterations(optarg, &iterations) != ADMIN_OK)
			return ADMIN_USAGE;
	}
	if (optind != argc - 1)
		return ADMIN_USAGE;
	memset(&p, 0, sizeof(p));
	p.s = s;
	p.path = argv[optind];
	admin_audit_target(s, "user file %s", p.path);
	rc = read_rows(&p);
	if (rc == ADMIN_OK && !admin_io.remote)
		rc = hash_all(p.rows, p.n, iterations);
	if (rc == ADMIN_OK) {
		admin_audit_target(s, "%zu users from %s", p.n, p.path);
		rc = store_rows(s, &p);
	}
	if (rc != ADMIN_OK)
		fprintf(admin_err(), "np-admin: nothing imported from %s\n", p.path);
	for (i = 0; i < p.n; i++) {
		if (p.rows[i].password != NULL)
			memset(p.rows[i].password, 0, strlen(p.rows[i].password));
		free(p.rows[i].password);
	}
	free(p.rows);
	return rc;
}
