/* io.c - where np-admin's commands write, for whom they work (io.h), and the
 * text form of a password hash that travels instead of a password. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "vocab.h"

struct admin_io admin_io;

const char admin_usage[] =
	"usage: np-admin --db DIR COMMAND ...\n"
	"       np-admin --hub HOST[:PORT] -u ADMIN [--cafile CA] [--timeout S] COMMAND ...\n"
	"         (over MQTT, as ADMIN, within its scope: the user, token, registry list\n"
	"          and audit commands; ADMIN's password from NP_PASSWORD or the terminal)\n"
	"  init                                 create or open the database\n"
	"  registry import FILE.csv             add places (header code,name_th,name_en)\n"
	"  registry list [PREFIX]               print places as code,name_th,name_en\n"
	"  demo [--geo DIR]                     the Thai registry, 24,700 villages, demo users\n"
	"  user add NAME --role ROLE --area CODE [--categories a,b] [--iterations N]\n"
	"                                       (password on standard input)\n"
	"  user set NAME [--role ROLE] [--area CODE] [--categories a,b]\n"
	"                                       change a user (live sessions are cut)\n"
	"  user passwd NAME [--iterations N]    new password from standard input\n"
	"  user del NAME\n"
	"  user list                            print users as name,role,area,categories\n"
	"  user import FILE.csv [--iterations N]  many users at once, all or none; header\n"
	"                                       name,role,area,password[,categories] (a;b)\n"
	"  history export [--filter F] [--since MS] [--until MS] [--format jsonl|csv]\n"
	"                                       stream stored messages (default all, jsonl)\n"
	"  history stats                        message counts by kind and province, bytes,\n"
	"                                       withdrawn ids and receipts\n"
	"  history load N                       N synthetic reports over all villages (benchmarks)\n"
	"  case targets [KIND ACK RESOLVE]      per report kind, the time to first ack and to\n"
	"                                       resolution (4h, 48h, 14d, 30m, 10s or none);\n"
	"                                       without arguments: list them (kind,ack,resolve)\n"
	"  history load-showcase N              N synthetic showcase entries (benchmarks)\n"
	"  site build OUT [--min-reports N] [--base-url URL] [--geo DIR] [--watch SECONDS]\n"
	"                                       the public site and open data, into OUT\n"
	"  token issue NAME... [--names FILE] [--label L] [--days N] [--csv]\n"
	"                                       a device token per user, printed as NAME TOKEN\n"
	"                                       (--csv: name,area,token,expires, for QR codes);\n"
	"                                       all or none (--days 0: never expires; default 365)\n"
	"  token list [NAME]                    id,user,label,created,last_used,expires (CSV, UTC)\n"
	"  token revoke ID... | --user NAME     live sessions of those tokens are cut within 1 s\n"
	"  audit [--since MS] [--json]          every change: time,actor,command,target,result\n"
	"                                       (CSV, UTC), oldest first; --json: one object a line\n"
	"  cap export ID                        the stored announcement ID (32 hex) as CAP 1.2 XML\n"
	"  cap atom ID...                       an Atom index of those announcements' CAP files\n"
	"       np-admin cap import FILE... [--watch DIR] --as USER [--hub HOST[:PORT]]\n"
	"         [--state DIR] [--cafile CA] [--require-signature CERT.pem] [--schema XSD]\n"
	"         [--geo DIR] [--interval MS] [--timeout S]\n"
	"         (CAP 1.2 alerts into announcements, sent through the hub as USER, an\n"
	"          agency; its password from NP_PASSWORD or a token in --state DIR)\n";


static const char hash_tag[] = "pbkdf2-sha512$";

void
admin_hash_format(const struct hub_user *u, char buf[ADMIN_HASH_TEXT_LEN + 1])
{
	char salt[2 * HUB_KDF_SALT_LEN + 1], hash[2 * HUB_KDF_HASH_LEN + 1];

	hub_hex(u->salt, HUB_KDF_SALT_LEN, salt);
	hub_hex(u->hash, HUB_KDF_HASH_LEN, hash);
	snprintf(buf, ADMIN_HASH_TEXT_LEN + 1, "%s%u$%s$%s", hash_tag, (unsigned)u->iterations,
		 salt, hash);
}

enum admin_rc
admin_hash_parse(const char *text, struct hub_user *u)
{
	const char *p = text + strlen(hash_tag), *salt, *hash;
	unsigned long it;
	char *end;

	if (strncmp(text, hash_tag, strlen(hash_tag)) != 0 || *p < '1' || *p > '9')
		goto bad;
	it = strtoul(p, &end, 10);
	if (*end != '$')
		goto bad;
	salt = end + 1;
	hash = strchr(salt, '$');
	if (hash == NULL || hub_unhex(salt, (size_t)(hash - salt), u->salt, HUB_KDF_SALT_LEN) != 0
	    || hub_unhex(hash + 1, strlen(hash + 1), u->hash, HUB_KDF_HASH_LEN) != 0)
		goto bad;
	if (it < HUB_KDF_DEFAULT_ITERATIONS || it > ADMIN_REMOTE_MAX_ITERATIONS) {
		fprintf(admin_err(), "np-admin: a password hashed with %lu iterations is refused "
			"(want %u to %u)\n", it, HUB_KDF_DEFAULT_ITERATIONS,
			ADMIN_REMOTE_MAX_ITERATIONS);
		return ADMIN_FAIL;
	}
	u->iterations = (uint32_t)it;
	return ADMIN_OK;
bad:
	fprintf(admin_err(), "np-admin: not a password hash np-admin made\n");
	return ADMIN_FAIL;
}

bool
admin_in_scope(const char *area)
{
	return admin_io.scope == NULL || hub_area_within(area, admin_io.scope);
}

enum admin_rc
admin_scope_check(const char *name, const char *area)
{
	if (admin_in_scope(area))
		return ADMIN_OK;
	fprintf(admin_err(), "np-admin: user '%s' (area %s) is outside your scope %s\n", name,
		area, admin_io.scope);
	return ADMIN_FAIL;
}

static int
add_name(void *ctx, const struct hub_user *u)
{
	struct admin_names *nm = ctx;
	void *v;

	if (!admin_in_scope(u->area))
		return 0;
	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? 2 * nm->cap : 256;
		v = realloc(nm->v, nm->cap * sizeof(*nm->v));
		if (v == NULL)
			return 1;
		nm->v = v;
	}
	snprintf(nm->v[nm->n++], sizeof(nm->v[0]), "%s", u->name);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

enum admin_rc
admin_scope_names(struct hub_store *s, struct admin_names *out)
{
	memset(out, 0, sizeof(*out));
	if (hub_store_user_each(s, add_name, out) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", out->n == out->cap ? "out of memory"
					: hub_store_error(s));
		admin_names_free(out);
		return ADMIN_FAIL;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_name);
	return ADMIN_OK;
}

bool
admin_names_has(const struct admin_names *nm, const char *name)
{
	return nm->n > 0 && bsearch(name, nm->v, nm->n, sizeof(*nm->v), by_name) != NULL;
}

void
admin_names_free(struct admin_names *nm)
{
	free(nm->v);
	memset(nm, 0, sizeof(*nm));
}

bool
admin_words_match(const char *const (*words)[2], size_t n, int argc, char **argv)
{
	size_t i;

	for (i = 0; argc > 0 && i < n; i++) {
		if (strcmp(argv[0], words[i][0]) == 0
		    && (words[i][1] == NULL || (argc > 1 && strcmp(argv[1], words[i][1]) == 0)))
			return true;
	}
	return false;
}
