/* outbox.c - unsent messages kept on disk until the hub answers.
 *
 * One file per message, DIR/<id hex>.msg = "NPOB2\n" user "\n" topic "\n"
 * payload. It is
 * written to a temporary name, fsync'd, renamed into place and the directory
 * fsync'd, so after a crash a message is either whole or absent. Ids are time
 * ordered, so name order is send order. An exclusive flock on DIR/.lock keeps
 * two processes from sending the same outbox at once. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "np_int.h"

#define MAGIC "NPOB2\n"
#define LOCK_WAIT_MS 10000

struct np__outbox {
	char *dir;
	char *user;
	int dirfd;
	int lockfd;
	size_t max;
};

static int
lock_dir(struct np__outbox *o, char *err, size_t errlen)
{
	int64_t deadline = np__mono_ms() + LOCK_WAIT_MS;

	o->lockfd = openat(o->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (o->lockfd < 0) {
		snprintf(err, errlen, "outbox %s: %s", o->dir, strerror(errno));
		return NP_ERR_OUTBOX;
	}
	while (flock(o->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK || np__mono_ms() > deadline) {
			snprintf(err, errlen, "outbox %s is in use by another process", o->dir);
			return NP_ERR_OUTBOX;
		}
		usleep(50000);
	}
	return NP_OK;
}

int
np__outbox_open(struct np__outbox **out, const char *dir, const char *user, size_t max,
		char *err, size_t errlen)
{
	struct np__outbox *o = calloc(1, sizeof(*o));
	int rc;

	*out = NULL;
	if (o == NULL)
		return NP_ERR_NOMEM;
	o->lockfd = -1;
	o->max = max;
	o->dir = strdup(dir);
	o->user = strdup(user ? user : "");
	if (o->dir == NULL || o->user == NULL) {
		np__outbox_close(o);
		return NP_ERR_NOMEM;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create outbox %s: %s", dir, strerror(errno));
		np__outbox_close(o);
		return NP_ERR_OUTBOX;
	}
	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd < 0) {
		snprintf(err, errlen, "cannot open outbox %s: %s", dir, strerror(errno));
		np__outbox_close(o);
		return NP_ERR_OUTBOX;
	}
	rc = lock_dir(o, err, errlen);
	if (rc != NP_OK) {
		np__outbox_close(o);
		return rc;
	}
	*out = o;
	return NP_OK;
}

void
np__outbox_close(struct np__outbox *o)
{
	if (o == NULL)
		return;
	if (o->lockfd >= 0)
		close(o->lockfd);       /* releases the flock */
	if (o->dirfd > 0)
		close(o->dirfd);
	free(o->dir);
	free(o->user);
	free(o);
}

static size_t
count_files(struct np__outbox *o)
{
	DIR *d = opendir(o->dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' && strstr(e->d_name, ".msg") != NULL)
			n++;
	}
	closedir(d);
	return n;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
np__outbox_put(struct np__outbox *o, const uint8_t id[NP_ID_LEN], const char *topic,
	       const uint8_t *payload, size_t len, char *err, size_t errlen)
{
	char hex[2 * NP_ID_LEN + 1], tmp[64], name[64];
	int fd, rc = 0;

	if (count_files(o) >= o->max) {
		snprintf(err, errlen, "outbox %s is full (%zu messages)", o->dir, o->max);
		return NP_ERR_OUTBOX;
	}
	np_id_to_hex(id, hex);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", hex);
	snprintf(name, sizeof(name), "%s.msg", hex);
	fd = openat(o->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write to outbox %s: %s", o->dir, strerror(errno));
		return NP_ERR_OUTBOX;
	}
	if (write_all(fd, MAGIC, strlen(MAGIC)) != 0 || write_all(fd, o->user, strlen(o->user)) != 0
	    || write_all(fd, "\n", 1) != 0 || write_all(fd, topic, strlen(topic)) != 0
	    || write_all(fd, "\n", 1) != 0 || write_all(fd, payload, len) != 0 || fsync(fd) != 0)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	if (rc == 0 && renameat(o->dirfd, tmp, o->dirfd, name) != 0)
		rc = -1;
	if (rc == 0 && fsync(o->dirfd) != 0)
		rc = -1;
	if (rc != 0) {
		snprintf(err, errlen, "cannot write to outbox %s: %s", o->dir, strerror(errno));
		unlinkat(o->dirfd, tmp, 0);
		return NP_ERR_OUTBOX;
	}
	return NP_OK;
}

int
np__outbox_remove(struct np__outbox *o, const uint8_t id[NP_ID_LEN])
{
	char hex[2 * NP_ID_LEN + 1], name[64];

	np_id_to_hex(id, hex);
	snprintf(name, sizeof(name), "%s.msg", hex);
	if (unlinkat(o->dirfd, name, 0) != 0 && errno != ENOENT)
		return NP_ERR_OUTBOX;
	return NP_OK;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint8_t *
read_file(int dirfd, const char *name, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size < (64 << 20)) {
		buf = malloc((size_t)st.st_size + 1);
		if (buf != NULL && read(fd, buf, (size_t)st.st_size) != st.st_size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)st.st_size;
	}
	close(fd);
	return buf;
}

/* Parses one file; a torn or foreign file, or another user's message, is
 * skipped (and left where it is). */
static int
each_file(struct np__outbox *o, const char *name,
	  int (*fn)(void *, const uint8_t *, const char *, const uint8_t *, size_t), void *ctx)
{
	uint8_t id[NP_ID_LEN], *buf, *end;
	char hex[2 * NP_ID_LEN + 1], *user, *topic, *nl;
	size_t len = 0, ml = strlen(MAGIC);
	int rc = 0;

	if (strlen(name) != 2 * NP_ID_LEN + 4)
		return 0;
	memcpy(hex, name, 2 * NP_ID_LEN);
	hex[2 * NP_ID_LEN] = '\0';
	if (np_id_from_hex(hex, id) != NP_OK)
		return 0;
	buf = read_file(o->dirfd, name, &len);
	if (buf == NULL)
		return 0;
	end = buf + len;
	user = (char *)buf + ml;
	nl = len > ml && memcmp(buf, MAGIC, ml) == 0 ? memchr(user, '\n', (size_t)(end - (uint8_t *)user)) : NULL;
	topic = nl ? nl + 1 : NULL;
	if (nl != NULL) {
		*nl = '\0';
		nl = memchr(topic, '\n', (size_t)(end - (uint8_t *)topic));
	}
	if (nl != NULL && strcmp(user, o->user) == 0) {
		*nl = '\0';
		rc = fn(ctx, id, topic, (uint8_t *)nl + 1, (size_t)(end - (uint8_t *)nl - 1));
	}
	free(buf);
	return rc;
}

int
np__outbox_each(struct np__outbox *o,
		int (*fn)(void *ctx, const uint8_t id[NP_ID_LEN], const char *topic,
			  const uint8_t *payload, size_t len),
		void *ctx)
{
	DIR *d = opendir(o->dir);
	struct dirent *e;
	char **names = NULL, **grown;
	size_t n = 0, cap = 0, i;
	int rc = NP_OK;

	if (d == NULL)
		return NP_ERR_OUTBOX;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strstr(e->d_name, ".msg") == NULL)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(names, cap * sizeof(*names));
			if (grown == NULL) {
				rc = NP_ERR_NOMEM;
				break;
			}
			names = grown;
		}
		names[n] = strdup(e->d_name);
		if (names[n] == NULL) {
			rc = NP_ERR_NOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if (rc == NP_OK && each_file(o, names[i], fn, ctx) != 0)
			rc = NP_ERR_NOMEM;
		free(names[i]);
	}
	free(names);
	return rc;
}
