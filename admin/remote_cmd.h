/* remote_cmd.h - an np-admin command run by the hub for a remote admin
 * (remote_cmd.c). */
#ifndef NP_ADMIN_REMOTE_CMD_H
#define NP_ADMIN_REMOTE_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "admin.h"

struct admin_remote_req {
	const char *user;       /* the admin */
	const char *scope;      /* its area: "TH", a province or a district */
	const char *address;    /* where it connects from, for the audit */
	int argc;
	char **argv;            /* the command words, after np-admin's global options */
	const uint8_t *input;   /* the command's standard input */
	size_t input_len;
	char **hashes;          /* password hashes, in the order the command takes them */
	size_t nhashes;
};

struct admin_remote_out {
	int status;             /* np-admin's exit status */
	char *out, *err;        /* malloc'd; what np-admin would print */
	size_t out_len, err_len;
};

/* Runs r on s. 0 with o filled (free o->out and o->err), or -1 when out of
 * memory. */
int admin_remote_run(struct hub_store *s, const struct admin_remote_req *r,
		     struct admin_remote_out *o);

#endif
