/* site_out.c - writes the public site so that a reader never sees half of
 * one: OUT is a symbolic link to a generation directory beside it,
 * .OUT.site/gNNN; a build fills a new generation and renames a new link over
 * OUT (atomic), then removes the old one. A build killed half-way leaves OUT
 * on the previous generation; the next build removes the leftover.
 *
 * Incremental: every generation holds .manifest, "SHA-256 TAB path" per
 * file. A file whose content has the hash it had is hard-linked from the
 * previous generation, not written again. */
#define _XOPEN_SOURCE 700       /* nftw */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "site.h"

#define MANIFEST ".manifest"

struct mentry {
	char hash[65];
	char *path;
};

struct site_out {
	char out[1024], root[1100], prev[1800], gen[1800], target[600];
	char lastdir[4096];
	bool out_is_empty_dir, committed;
	struct mentry *old;
	size_t nold;
	struct site_buf manifest;
	unsigned long written, kept;
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct mentry *)a)->path, ((const struct mentry *)b)->path);
}

/* The previous generation's manifest, sorted by path (none: empty). */
static void
read_manifest(struct site_out *o)
{
	char path[4096], line[4200], *tab, *nl;
	struct mentry *grown;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", o->prev, MANIFEST);
	if (o->prev[0] == '\0' || (f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		tab = strchr(line, '\t');
		nl = strchr(line, '\n');
		if (tab == NULL || tab - line != 64 || nl == NULL)
			continue;
		*nl = '\0';
		if (o->nold == cap) {
			cap = cap ? 2 * cap : 1024;
			grown = realloc(o->old, cap * sizeof(*o->old));
			if (grown == NULL)
				break;
			o->old = grown;
		}
		memcpy(o->old[o->nold].hash, line, 64);
		o->old[o->nold].hash[64] = '\0';
		if ((o->old[o->nold].path = strdup(tab + 1)) == NULL)
			break;
		o->nold++;
	}
	fclose(f);
	if (o->nold > 0)
		qsort(o->old, o->nold, sizeof(*o->old), by_path);
}

/* What OUT is now: nothing, our link (prev set), or an empty directory. */
static enum admin_rc
look_at_out(struct site_out *o, const char *base)
{
	char target[512], prefix[300];
	struct stat st;
	ssize_t n;

	if (lstat(o->out, &st) != 0) {
		if (errno == ENOENT)
			return ADMIN_OK;
		fprintf(admin_err(), "np-admin: cannot use the site directory %s: %s\n", o->out,
			strerror(errno));
		return ADMIN_FAIL;
	}
	snprintf(prefix, sizeof(prefix), ".%s.site/", base);
	if (S_ISLNK(st.st_mode) && (n = readlink(o->out, target, sizeof(target) - 1)) > 0) {
		target[n] = '\0';
		if (strncmp(target, prefix, strlen(prefix)) == 0 && strchr(target + strlen(prefix), '/')
		    == NULL) {
			snprintf(o->prev, sizeof(o->prev), "%s/%s", o->root, target + strlen(prefix));
			return ADMIN_OK;
		}
	}
	if (S_ISDIR(st.st_mode) && rmdir(o->out) == 0 && mkdir(o->out, 0755) == 0) {
		o->out_is_empty_dir = true;     /* an empty directory: replaced by the link */
		return ADMIN_OK;
	}
	fprintf(admin_err(), "np-admin: %s exists and is not a site np-admin built (it builds a "
		"link to %s...): move it away or choose another OUT\n", o->out, prefix);
	return ADMIN_FAIL;
}

/* Removes generations other than the previous one: leftovers of killed builds. */
static void
remove_leftovers(struct site_out *o)
{
	char path[4096];
	struct dirent *d;
	DIR *dir = opendir(o->root);

	while (dir != NULL && (d = readdir(dir)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", o->root, d->d_name);
		if (d->d_name[0] == 'g' && strcmp(path, o->prev) != 0)
			rm_tree(path);
	}
	if (dir != NULL)
		closedir(dir);
}

/* mkdir -p dir (errors are told by the mkdir that follows). */
static void
make_parents(const char *dir)
{
	char path[1024], *p;

	snprintf(path, sizeof(path), "%s", dir);
	for (p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

enum admin_rc
site_out_open(struct site_out **out, const char *path)
{
	struct site_out *o = calloc(1, sizeof(*o));
	char copy1[1024], copy2[1024], *dir, *base;
	struct timespec t;

	*out = NULL;
	if (o == NULL)
		return ADMIN_FAIL;
	if (strlen(path) >= 900) {
		fprintf(admin_err(), "np-admin: the site's path is too long (at most 900 bytes)\n");
		free(o);
		return ADMIN_FAIL;
	}
	snprintf(o->out, sizeof(o->out), "%s", path);
	while (strlen(o->out) > 1 && o->out[strlen(o->out) - 1] == '/')
		o->out[strlen(o->out) - 1] = '\0';
	snprintf(copy1, sizeof(copy1), "%s", o->out);
	snprintf(copy2, sizeof(copy2), "%s", o->out);
	dir = dirname(copy1);
	base = basename(copy2);
	snprintf(o->root, sizeof(o->root), "%s/.%s.site", dir, base);
	make_parents(dir);
	if (look_at_out(o, base) != ADMIN_OK) {
		free(o);
		return ADMIN_FAIL;
	}
	if (mkdir(o->root, 0755) != 0 && errno != EEXIST) {
		fprintf(admin_err(), "np-admin: cannot write the site %s: %s: %s\n", o->out, o->root,
			strerror(errno));
		free(o);
		return ADMIN_FAIL;
	}
	remove_leftovers(o);
	clock_gettime(CLOCK_REALTIME, &t);
	snprintf(o->target, sizeof(o->target), ".%s.site/g%lld-%ld", base,
		 (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000, (long)getpid());
	snprintf(o->gen, sizeof(o->gen), "%s/%s", dir, o->target);
	if (mkdir(o->gen, 0755) != 0) {
		fprintf(admin_err(), "np-admin: cannot write the site %s: %s: %s\n", o->out, o->gen,
			strerror(errno));
		free(o);
		return ADMIN_FAIL;
	}
	read_manifest(o);
	*out = o;
	return ADMIN_OK;
}

/* mkdir -p of rel's directories under the generation. */
static int
make_dirs(struct site_out *o, const char *rel)
{
	char path[4096], *p;
	const char *slash = strrchr(rel, '/');

	if (slash == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%.*s", o->gen, (int)(slash - rel), rel);
	if (strcmp(path, o->lastdir) == 0)
		return 0;
	for (p = path + strlen(o->gen) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -1;
	snprintf(o->lastdir, sizeof(o->lastdir), "%s", path);
	return 0;
}

static int
write_file(const char *path, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd);
}

enum admin_rc
site_out_file(struct site_out *o, const char *rel, const void *data, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[65], path[4400], old[4400];
	struct mentry key, *m;
	int i;

	SHA256(data, len, md);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(path, sizeof(path), "%s/%s", o->gen, rel);
	if (make_dirs(o, rel) != 0) {
		fprintf(admin_err(), "np-admin: cannot write %s: %s\n", path, strerror(errno));
		return ADMIN_FAIL;
	}
	key.path = (char *)rel;
	m = o->nold ? bsearch(&key, o->old, o->nold, sizeof(*o->old), by_path) : NULL;
	snprintf(old, sizeof(old), "%s/%s", o->prev, rel);
	if (m != NULL && strcmp(m->hash, hex) == 0 && link(old, path) == 0) {
		o->kept++;
	} else if (write_file(path, data, len) == 0) {
		o->written++;
	} else {
		fprintf(admin_err(), "np-admin: cannot write %s: %s\n", path, strerror(errno));
		return ADMIN_FAIL;
	}
	sb_printf(&o->manifest, "%s\t%s\n", hex, rel);
	return o->manifest.nomem ? ADMIN_FAIL : ADMIN_OK;
}

enum admin_rc
site_out_commit(struct site_out *o, unsigned long *written, unsigned long *kept)
{
	char path[4096], link_tmp[4096], copy1[1024], copy2[1024];
	enum admin_rc rc = ADMIN_FAIL;

	snprintf(copy1, sizeof(copy1), "%s", o->out);
	snprintf(copy2, sizeof(copy2), "%s", o->out);
	snprintf(link_tmp, sizeof(link_tmp), "%s/.%s.new-%ld", dirname(copy1), basename(copy2),
		 (long)getpid());
	snprintf(path, sizeof(path), "%s/%s", o->gen, MANIFEST);
	if (o->manifest.nomem || write_file(path, o->manifest.p ? o->manifest.p : "",
					    o->manifest.n) != 0) {
		fprintf(admin_err(), "np-admin: cannot write %s: %s\n", path, strerror(errno));
		goto out;
	}
	/* no fsync: a killed build leaves the old site, which is what matters;
	 * after a power cut, the next build rewrites whatever changed */
	unlink(link_tmp);
	if (symlink(o->target, link_tmp) != 0 || (o->out_is_empty_dir && rmdir(o->out) != 0)
	    || rename(link_tmp, o->out) != 0) {
		fprintf(admin_err(), "np-admin: cannot put the new site in place at %s: %s\n",
			o->out, strerror(errno));
		unlink(link_tmp);
		goto out;
	}
	o->committed = true;
	if (o->prev[0] != '\0')
		rm_tree(o->prev);
	*written = o->written;
	*kept = o->kept;
	rc = ADMIN_OK;
out:
	site_out_free(o);
	return rc;
}

void
site_out_free(struct site_out *o)
{
	size_t i;

	if (o == NULL)
		return;
	if (!o->committed)
		rm_tree(o->gen);
	for (i = 0; i < o->nold; i++)
		free(o->old[i].path);
	free(o->old);
	sb_free(&o->manifest);
	free(o);
}
