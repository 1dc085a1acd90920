/* audit.c - np-admin's audit (DESIGN.md "Remote administration": every change
 * is kept with time, actor, command, target and result).
 *
 * main stages one record per changing command before the command runs
 * (admin_audit_begin); store.c writes it in the first transaction that
 * commits a change, so the change and its record commit together, and
 * admin_audit_end finishes it with the result: "ok", or the error sentence the
 * command printed (its first line on admin_err(), caught by a tee that stands
 * in for it, so the commands report errors as they always have). A command refused before it
 * changed anything leaves its record too, written alone when it ends.
 * Nothing secret is recorded: passwords come from standard input, never the
 * command words, and any device token text in the words, the target or the
 * error is replaced by "npt_[redacted]". The actor of a local command is
 * "local:<login name>" ("local:root (sudo by alice)"); a command that arrives
 * over MQTT carries its remote actor in admin_io.actor ("mqtt:<admin>").
 *
 * The module keeps the one audit in progress of this np-admin process. */
#define _GNU_SOURCE             /* fopencookie */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "audit.h"
#include "encode.h"
#include "token.h"
#include "validate.h"

#define ERR_PREFIX "np-admin: "

static struct {
	bool active;
	struct hub_audit_rec rec;
	FILE *tee, *real_err;           /* the tee standing in for admin_io.err */
	char line[HUB_AUDIT_TEXT_MAX + sizeof(ERR_PREFIX)];
	size_t n;
	bool line_done;                 /* line holds the first whole line */
} audit;

/* The command words that change the store (argv[0] is the command). */
bool
admin_audit_changes(int argc, char **argv)
{
	static const char *const words[][2] = {
		{ "init", NULL },       { "demo", NULL },       { "registry", "import" },
		{ "user", "add" },      { "user", "del" },      { "user", "set" },
		{ "user", "passwd" },   { "user", "import" },   { "token", "issue" },
		{ "token", "revoke" },  { "history", "load" },
		{ "history", "load-showcase" },
	};

	if (strcmp(argv[0], "case") == 0)       /* case targets KIND ACK RESOLVE; listing is not */
		return argc == 5 && strcmp(argv[1], "targets") == 0;
	return admin_words_match(words, sizeof(words) / sizeof(words[0]), argc, argv);
}

/* src into dst (cap bytes): any token text replaced, bytes that are not UTF-8
 * replaced by '?', and cut at a character boundary when it does not fit. */
static void
fit(char *dst, size_t cap, const char *src)
{
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789-_";
	const size_t plen = strlen(HUB_TOKEN_PREFIX);
	size_t n = 0, run;

	while (*src != '\0' && n + 1 < cap) {
		run = strncmp(src, HUB_TOKEN_PREFIX, plen) == 0 ? strspn(src + plen, b64url) : 0;
		if (run >= 8) {
			n += (size_t)snprintf(dst + n, cap - n, "%s[redacted]", HUB_TOKEN_PREFIX);
			n = n < cap ? n : cap - 1;
			src += plen + run;
			continue;
		}
		dst[n++] = *src++;
	}
	dst[n] = '\0';
	if (*src != '\0')       /* cut: drop a character's leading part */
		while (n > 0 && ((unsigned char)dst[n - 1] & 0xc0) == 0x80)
			dst[--n] = '\0';
	if (n > 0 && ((unsigned char)dst[n - 1] & 0xc0) == 0xc0)
		dst[--n] = '\0';
	if (!hub_utf8_valid(dst, n))
		for (; n > 0; n--)
			if ((unsigned char)dst[n - 1] >= 0x80)
				dst[n - 1] = '?';
}

static void
set_actor(char *out, size_t cap)
{
	const struct passwd *pw = getpwuid(geteuid());
	const char *sudo = getenv("SUDO_USER");
	char name[64], text[256];

	if (pw != NULL)
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	else
		snprintf(name, sizeof(name), "uid %lu", (unsigned long)geteuid());
	if (sudo != NULL && sudo[0] != '\0')
		snprintf(text, sizeof(text), "local:%s (sudo by %.60s)", name, sudo);
	else
		snprintf(text, sizeof(text), "local:%s", name);
	fit(out, cap, text);
}

static ssize_t
tee_write(void *cookie, const char *buf, size_t len)
{
	FILE *to = audit.real_err != NULL ? audit.real_err : stderr;
	size_t i, done = 0;
	ssize_t w;

	(void)cookie;
	for (i = 0; i < len && !audit.line_done; i++) {
		if (buf[i] == '\n')
			audit.line_done = true;
		else if (audit.n + 1 < sizeof(audit.line))
			audit.line[audit.n++] = buf[i];
	}
	audit.line[audit.n] = '\0';
	while (done < len) {
		w = (ssize_t)fwrite(buf + done, 1, len - done, to);
		if (w <= 0)
			return done > 0 ? (ssize_t)done : -1;
		done += (size_t)w;
	}
	fflush(to);
	return (ssize_t)len;
}

void
admin_audit_begin(struct hub_store *s, int argc, char **argv)
{
	static const cookie_io_functions_t io = { NULL, tee_write, NULL, NULL };
	char words[4 * HUB_AUDIT_TEXT_MAX];
	size_t n = 0;
	FILE *tee;
	int i;

	memset(&audit.rec, 0, sizeof(audit.rec));
	if (admin_io.actor != NULL)
		fit(audit.rec.actor, sizeof(audit.rec.actor), admin_io.actor);
	else
		set_actor(audit.rec.actor, sizeof(audit.rec.actor));
	words[0] = '\0';
	for (i = 0; i < argc && n + 1 < sizeof(words); i++)
		n += (size_t)snprintf(words + n, sizeof(words) - n, "%s%s", i ? " " : "", argv[i]);
	fit(audit.rec.command, sizeof(audit.rec.command), words);
	snprintf(audit.rec.result, sizeof(audit.rec.result), "ok");
	hub_store_audit_stage(s, &audit.rec);
	audit.active = true;
	audit.n = 0;
	audit.line[0] = '\0';
	audit.line_done = false;
	fflush(admin_err());
	tee = fopencookie(NULL, "w", io);
	if (tee == NULL || setvbuf(tee, NULL, _IONBF, 0) != 0) {
		if (tee != NULL)
			fclose(tee);
		return;         /* the errors are still printed, the record says "failed" */
	}
	audit.real_err = admin_io.err;
	audit.tee = tee;
	admin_io.err = tee;
}

void
admin_audit_target(struct hub_store *s, const char *fmt, ...)
{
	char text[2 * HUB_AUDIT_TEXT_MAX];
	va_list ap;

	if (!audit.active)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fit(audit.rec.target, sizeof(audit.rec.target), text);
	hub_store_audit_stage(s, &audit.rec);
}

enum admin_rc
admin_audit_end(struct hub_store *s, enum admin_rc rc)
{
	char result[HUB_AUDIT_TEXT_MAX + 1];
	const char *why = audit.line;

	if (!audit.active)
		return rc;
	audit.active = false;
	if (audit.tee != NULL) {
		fclose(audit.tee);
		admin_io.err = audit.real_err;
		audit.tee = NULL;
	}
	if (strncmp(why, ERR_PREFIX, strlen(ERR_PREFIX)) == 0)
		why += strlen(ERR_PREFIX);
	if (rc == ADMIN_OK)
		snprintf(result, sizeof(result), "ok");
	else if (why[0] != '\0')
		fit(result, sizeof(result), why);
	else
		snprintf(result, sizeof(result), "failed (%s)",
			 rc == ADMIN_USAGE ? "not a command np-admin knows" : "no reason given");
	if (hub_store_audit_finish(s, result) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		return rc == ADMIN_OK ? ADMIN_FAIL : rc;
	}
	return rc;
}

struct listing {
	const struct admin_names *in_scope;     /* NULL: no limit */
	bool json;
	enum admin_rc rc;
};

/* A scoped admin sees its own changes and those of the users within its
 * scope (a record whose target is "user NAME..."). */
static bool
visible(const struct admin_names *in_scope, const struct hub_audit_rec *a)
{
	char name[HUB_USERNAME_MAX + 1];
	const char *from = admin_io.actor != NULL ? strstr(admin_io.actor, " (") : NULL;
	size_t n;

	if (in_scope == NULL)
		return true;    /* no scope, or TH: everything */
	/* "mqtt:NAME (" from any address */
	n = from != NULL ? (size_t)(from - admin_io.actor) + 2 : 0;
	if (n > 0 && strncmp(a->actor, admin_io.actor, n) == 0)
		return true;
	if (strncmp(a->target, "user ", 5) != 0)
		return false;
	n = strcspn(a->target + 5, ", ");
	if (n == 0 || n > HUB_USERNAME_MAX)
		return false;
	memcpy(name, a->target + 5, n);
	name[n] = '\0';
	return admin_names_has(in_scope, name);
}

static int
print_record(void *ctx, const struct hub_audit_rec *a)
{
	struct listing *l = ctx;

	if (!visible(l->in_scope, a))
		return 0;
	l->rc = admin_audit_print(a, l->json);
	return l->rc != ADMIN_OK || ferror(admin_out()) ? 1 : 0;
}

/* audit [--since MS] [--json]: argv[0] is "audit". */
enum admin_rc
admin_audit_list(struct hub_store *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct listing l = { NULL, false, ADMIN_OK };
	struct admin_names nm = { 0 };
	long long since = 0;
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j') {
			l.json = true;
			continue;
		}
		errno = 0;
		since = c == 's' ? strtoll(optarg, &end, 10) : -1;
		if (c != 's' || errno != 0 || end == optarg || *end != '\0' || since < 0) {
			fprintf(admin_err(), "np-admin: audit [--since MS] [--json] (MS: ms since 1970)\n");
			return ADMIN_FAIL;
		}
	}
	if (optind != argc) {
		fprintf(admin_err(), "np-admin: audit [--since MS] [--json] (MS: ms since 1970)\n");
		return ADMIN_FAIL;
	}
	if (!admin_in_scope("")) {
		if (admin_scope_names(s, &nm) != ADMIN_OK)
			return ADMIN_FAIL;
		l.in_scope = &nm;
	}
	if (hub_store_audit_each(s, (int64_t)since, print_record, &l) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		l.rc = ADMIN_FAIL;
	}
	admin_names_free(&nm);
	return l.rc;
}
