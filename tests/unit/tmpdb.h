/* tmpdb.h - scaffolding shared by the unit tests of the LMDB modules (store,
 * history, query, auth): a fresh database in a temporary directory, removed
 * again, and the failure injections those tests share (a map shrunk to what
 * it holds, a file system that is full). Header only: each unit test is one
 * program linked with the plugin's objects and nothing else. */
#ifndef NP_TMPDB_H
#define NP_TMPDB_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

struct tmpdb {
	char dir[64];           /* the temporary directory */
	char db[96];            /* dir/db, the store's directory */
	struct hub_store *s;
};

/* Removes dir and everything under it. */
static inline void
tmpdb_rm(const char *dir)
{
	struct dirent *d;
	struct stat st;
	char path[512];
	DIR *dp = opendir(dir);

	while (dp != NULL && (d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path))
			continue;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			tmpdb_rm(path);
		else
			unlink(path);
	}
	if (dp != NULL)
		closedir(dp);
	rmdir(dir);
}

/* A new, initialised store in a fresh temporary directory. */
static inline void
tmpdb_open(struct tmpdb *t)
{
	char err[256];

	snprintf(t->dir, sizeof(t->dir), "/tmp/np-unit-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->db, sizeof(t->db), "%s/db", t->dir);
	if (hub_store_open(&t->s, t->db, HUB_STORE_CREATE, err, sizeof(err)) != 0)
		fail_msg("cannot open a store in %s: %s", t->db, err);
	assert_int_equal(hub_store_init(t->s), 0);
}

static inline void
tmpdb_close(struct tmpdb *t)
{
	hub_store_close(t->s);
	t->s = NULL;
	tmpdb_rm(t->dir);
}

/* The map's size now. */
static inline size_t
tmpdb_mapsize(struct tmpdb *t)
{
	MDB_envinfo info;

	assert_int_equal(mdb_env_info(hub_store_env(t->s), &info), 0);
	return info.me_mapsize;
}

/* Shrinks the map to the pages in use (LMDB rounds a smaller size up to
 * them): the next write that needs a new page meets MDB_MAP_FULL. */
static inline size_t
tmpdb_shrink_map(struct tmpdb *t)
{
	assert_int_equal(mdb_env_set_mapsize(hub_store_env(t->s), 1), 0);
	return tmpdb_mapsize(t);
}

/* Puts t->dir on a file system of its own of mb MiB (tmpfs, in a mount
 * namespace of this process, so nothing outlives it): false when this
 * process may not mount (not root), and the caller skips. */
static inline bool
tmpdb_small_disk(struct tmpdb *t, unsigned mb)
{
	char opts[32];

	snprintf(t->dir, sizeof(t->dir), "/tmp/np-unit-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->db, sizeof(t->db), "%s/db", t->dir);
	snprintf(opts, sizeof(opts), "size=%um", mb);
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0
	    || mount("np-unit", t->dir, "tmpfs", 0, opts) != 0) {
		rmdir(t->dir);
		return false;
	}
	return true;
}

static inline void
tmpdb_small_disk_close(struct tmpdb *t)
{
	hub_store_close(t->s);
	t->s = NULL;
	umount2(t->dir, MNT_DETACH);
	rmdir(t->dir);
}

/* Fills the file system under path up to its last block; returns the filler
 * file's name in name. */
static inline void
tmpdb_fill_disk(const char *dir, char *name, size_t namelen)
{
	static const char block[4096];
	int fd;

	snprintf(name, namelen, "%s/filler", dir);
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) == (ssize_t)sizeof(block))
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

#endif
