/* remote_cmd.c - an np-admin command run by the hub for an admin over MQTT
 * (broker-plugin/remote.c decodes the request and sends the reply).
 *
 * The command is the same code np-admin runs locally, on the store the
 * broker holds open, with admin_io pointing at buffers: its output and
 * errors are the local form's, byte for byte. What differs is said in
 * admin_io: the admin's scope limits what it may manage, passwords arrive
 * as hashes made by the asking np-admin (the hub's one thread never runs the
 * KDF for a remote command), file arguments arrive as the request's input
 * (the hub opens no path it is given), and the audit's actor is the admin.
 * Only the commands DESIGN.md lists for remote use are run; the others are
 * refused with a sentence saying so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "remote_cmd.h"
#include "user.h"

static const char *const allowed[][2] = {
	{ "user", "add" },   { "user", "set" },    { "user", "passwd" }, { "user", "del" },
	{ "user", "list" },  { "user", "import" }, { "token", "issue" }, { "token", "list" },
	{ "token", "revoke" }, { "registry", "list" }, { "audit", NULL },
};

static enum admin_rc
dispatch(struct hub_store *s, int argc, char **argv)
{
	if (strcmp(argv[0], "user") == 0)
		return admin_user(s, argc, argv);
	if (strcmp(argv[0], "token") == 0)
		return admin_token(s, argc, argv);
	if (strcmp(argv[0], "registry") == 0 && argc <= 3)
		return admin_registry_list(s, argc == 3 ? argv[2] : "");
	if (strcmp(argv[0], "audit") == 0)
		return admin_audit_list(s, argc, argv);
	return ADMIN_USAGE;
}

static FILE *
input_stream(const struct admin_remote_req *r)
{
	if (r->input_len == 0)
		return fopen("/dev/null", "r");
	return fmemopen((void *)r->input, r->input_len, "r");
}

int
admin_remote_run(struct hub_store *s, const struct admin_remote_req *r,
		 struct admin_remote_out *o)
{
	char actor[HUB_AUDIT_ACTOR_MAX + 1];
	char **argv = NULL;
	FILE *saved_stderr = stderr;
	enum admin_rc rc;
	int i;

	memset(o, 0, sizeof(*o));
	memset(&admin_io, 0, sizeof(admin_io));
	admin_io.out = open_memstream(&o->out, &o->out_len);
	admin_io.err = open_memstream(&o->err, &o->err_len);
	admin_io.in = input_stream(r);
	argv = calloc((size_t)r->argc + 1, sizeof(*argv));
	if (admin_io.out == NULL || admin_io.err == NULL || admin_io.in == NULL || argv == NULL) {
		rc = ADMIN_FAIL;
		goto out;
	}
	for (i = 0; i < r->argc; i++)
		argv[i] = r->argv[i];   /* getopt permutes the array, not the strings */
	snprintf(actor, sizeof(actor), "mqtt:%s (%s)", r->user, r->address);
	admin_io.remote = true;
	admin_io.scope = r->scope;
	admin_io.actor = actor;
	admin_io.hashes = r->hashes;
	admin_io.nhashes = r->nhashes;
	if (r->argc < 1) {
		fprintf(admin_err(), "np-admin: no command\n");
		rc = ADMIN_USAGE;
	} else if (!admin_words_match(allowed, sizeof(allowed) / sizeof(allowed[0]), r->argc,
				      argv)) {
		fprintf(admin_err(), "np-admin: '%s%s%s' is not available over MQTT; run it with "
			"--db on the hub's machine\n", argv[0], r->argc > 1 ? " " : "",
			r->argc > 1 ? argv[1] : "");
		rc = ADMIN_FAIL;
	} else {
		/* getopt's own complaints go to stderr: let them reach the admin */
		stderr = admin_io.err;
		opterr = 1;
		optind = 0;     /* a full re-initialisation of getopt's state */
		if (admin_audit_changes(r->argc, argv))
			admin_audit_begin(s, r->argc, argv);
		rc = dispatch(s, r->argc, argv);
		rc = admin_audit_end(s, rc);
		stderr = saved_stderr;
		if (rc == ADMIN_USAGE)
			fputs(admin_usage, admin_err());
	}
out:
	if (admin_io.in != NULL)
		fclose(admin_io.in);
	if (admin_io.out != NULL)
		fclose(admin_io.out);
	if (admin_io.err != NULL)
		fclose(admin_io.err);
	free(argv);
	memset(&admin_io, 0, sizeof(admin_io));
	o->status = (int)rc;
	if (o->out == NULL || o->err == NULL) {
		free(o->out);
		free(o->err);
		o->out = o->err = NULL;
		o->out_len = o->err_len = 0;
		return -1;
	}
	return 0;
}
