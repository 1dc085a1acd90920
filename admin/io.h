/* io.h - where np-admin's commands read and write, and for whom they work.
 *
 * A command prints its results to admin_out(), its errors to admin_err() and
 * reads passwords or names from admin_in(): standard output, error and input
 * when np-admin runs on the hub's machine; buffers when the hub runs the same
 * command for an admin over MQTT (broker-plugin/remote.c), so the output is
 * the same byte for byte. admin_io.scope is the area the commands may manage:
 * NULL for a local np-admin (whoever can write the LMDB directory can do
 * anything), the remote admin's area otherwise. */
#ifndef NP_ADMIN_IO_H
#define NP_ADMIN_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct admin_io {
	bool remote;            /* the hub runs the command for an admin over MQTT */
	FILE *out, *err, *in;   /* NULL: stdout, stderr, stdin */
	const char *scope;      /* NULL: no limit */
	const char *actor;      /* the audit's actor; NULL: local:<login name> */
	/* a remote request's password hashes (admin_hash_format's form), taken
	 * in order by the commands that set one; a remote request never carries
	 * a password, and a local np-admin reads passwords from admin_in() */
	char **hashes;
	size_t nhashes, next_hash;
};

extern struct admin_io admin_io;

static inline FILE *
admin_out(void)
{
	return admin_io.out ? admin_io.out : stdout;
}

static inline FILE *
admin_err(void)
{
	return admin_io.err ? admin_io.err : stderr;
}

static inline FILE *
admin_in(void)
{
	return admin_io.in ? admin_io.in : stdin;
}

#endif
