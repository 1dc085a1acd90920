/* cursor.c - a feed's cursor (np_int.h) and its file in the state
 * directory: <user>@<host>:<port>.<FNV-1a 64 of the filter, hex>.cursor.
 *
 * The file is two slots of NP__CURSOR_SLOT bytes (LMDB's two meta pages):
 *   OFFSET            SIZE            DESCRIPTION
 *        0            NP__CURSOR_SLOT slot 0: a record, NUL-terminated
 *   NP__CURSOR_SLOT   NP__CURSOR_SLOT slot 1: the same
 * A record is text, one field a line, user, hub and filter %XX-escaped:
 *   np-cursor 1 / seq N / user U / hub HOST:PORT / filter F / at MS /
 *   count N (handed at MS) / id HEX (one line per id kept of those, oldest
 *   first) / sum FNV (of all the lines before it)
 * Record N goes to slot N % 2 with one pwrite, so a write torn by a crash
 * leaves the other slot, one message older. The slot with the highest seq
 * whose sum holds wins; a file whose user, hub or filter is not this
 * feed's is another feed's cursor, never used. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "np_int.h"

#define MAGIC "np-cursor 1\n"
#define SYNC_EVERY_MS 1000
#define FIELD_MAX 1600          /* an escaped filter: the hub takes 512 bytes */

_Static_assert(2 * NP__CURSOR_SLOT <= 65536, "a cursor file is small");
/* magic, seq, user (64 bytes escaped), hub (a host name of 253, escaped),
 * filter (the hub's 512 bytes, escaped), at, the ids and the sum */
_Static_assert(sizeof(MAGIC) + 25 + (6 + 3 * 64) + (5 + 3 * 253 + 6) + (8 + 3 * 512) + 25
	       + 27 + NP__CURSOR_IDS * (4 + 2 * NP_ID_LEN) + 22 < NP__CURSOR_SLOT,
	       "the record of a feed the hub can answer fits in a slot");

static uint64_t
fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 14695981039346656037ull;

	while (n-- > 0) {
		h ^= *b++;
		h *= 1099511628211ull;
	}
	return h;
}

/* ---- the cursor ---- */

bool
np__cursor_handed(const struct np__cursor *k, int64_t ms, const uint8_t id[NP_ID_LEN])
{
	size_t i;

	if (ms < k->at_ms)
		return k->n_ids > 0;
	if (ms > k->at_ms)
		return false;
	for (i = 0; i < k->n_ids; i++) {
		if (memcmp(k->ids[i], id, NP_ID_LEN) == 0)
			return true;
	}
	return false;
}

uint64_t
np__cursor_forgot(const struct np__cursor *k)
{
	return k->n_at > k->n_ids ? k->n_at - k->n_ids : 0;
}

void
np__cursor_advance(struct np__cursor *k, int64_t ms, const uint8_t id[NP_ID_LEN])
{
	if (ms < k->at_ms)
		return;         /* a live one from before a starting point: nothing to move */
	if (ms > k->at_ms) {
		k->at_ms = ms;
		k->n_ids = 0;
		k->n_at = 0;
	}
	k->n_at++;
	if (k->n_ids == NP__CURSOR_IDS) {
		memmove(k->ids[0], k->ids[1], (NP__CURSOR_IDS - 1) * NP_ID_LEN);
		k->n_ids--;
	}
	memcpy(k->ids[k->n_ids++], id, NP_ID_LEN);
}

/* ---- records ---- */

size_t
np__cursor_format(char *out, size_t len, uint64_t seq, const char *user, const char *hub,
		  const char *filter, const struct np__cursor *k)
{
	char hex[2 * NP_ID_LEN + 1];
	size_t n, i;
	int w;

	w = snprintf(out, len, MAGIC "seq %" PRIu64 "\nuser %s\nhub %s\nfilter %s\nat %" PRId64
		     "\ncount %" PRIu64 "\n", seq, user, hub, filter, k->at_ms, k->n_at);
	if (w < 0 || (size_t)w >= len)
		return 0;
	n = (size_t)w;
	for (i = 0; i < k->n_ids; i++) {
		np_id_to_hex(k->ids[i], hex);
		w = snprintf(out + n, len - n, "id %s\n", hex);
		if (w < 0 || (size_t)w >= len - n)
			return 0;
		n += (size_t)w;
	}
	w = snprintf(out + n, len - n, "sum %016" PRIx64 "\n", fnv1a(out, n));
	if (w < 0 || (size_t)w >= len - n)
		return 0;
	return n + (size_t)w;
}

/* The value of the line "name value\n" at *p into out; *p moves past it. */
static bool
take_line(const char **p, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *end;

	if (strncmp(*p, name, nl) != 0 || (*p)[nl] != ' ')
		return false;
	end = strchr(*p + nl + 1, '\n');
	if (end == NULL || (size_t)(end - (*p + nl + 1)) >= outlen)
		return false;
	memcpy(out, *p + nl + 1, (size_t)(end - (*p + nl + 1)));
	out[end - (*p + nl + 1)] = '\0';
	*p = end + 1;
	return true;
}

static bool
take_number(const char **p, const char *name, bool is_signed, uint64_t *out)
{
	char buf[32], *end;

	if (!take_line(p, name, buf, sizeof(buf)) || buf[0] == '\0')
		return false;
	errno = 0;
	*out = is_signed ? (uint64_t)strtoll(buf, &end, 10) : strtoull(buf, &end, 10);
	return errno == 0 && *end == '\0' && (is_signed || buf[0] != '-');
}

static int
bad(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s", what);
	return NP_ERR_INVAL;
}

int
np__cursor_parse(const char *text, uint64_t *seq, char *user, char *hub, char *filter,
		 size_t fieldlen, struct np__cursor *k, char *why, size_t whylen)
{
	const char *p = text, *sum_at;
	char hex[40];
	uint64_t at, sum, count;

	memset(k, 0, sizeof(*k));
	if (strncmp(p, MAGIC, strlen(MAGIC)) != 0)
		return bad(why, whylen, "it is not a cursor file of this version");
	p += strlen(MAGIC);
	if (!take_number(&p, "seq", false, seq) || !take_line(&p, "user", user, fieldlen)
	    || !take_line(&p, "hub", hub, fieldlen) || !take_line(&p, "filter", filter, fieldlen)
	    || !take_number(&p, "at", true, &at) || (int64_t)at < 0
	    || !take_number(&p, "count", false, &count))
		return bad(why, whylen, "a field is missing or malformed");
	k->at_ms = (int64_t)at;
	k->n_at = count;
	while (strncmp(p, "id ", 3) == 0) {
		if (k->n_ids == NP__CURSOR_IDS || !take_line(&p, "id", hex, sizeof(hex))
		    || np_id_from_hex(hex, k->ids[k->n_ids]) != NP_OK)
			return bad(why, whylen, "an id is malformed");
		k->n_ids++;
	}
	if (k->n_at < k->n_ids)
		return bad(why, whylen, "it counts fewer messages than it lists");
	sum_at = p;
	if (!take_line(&p, "sum", hex, sizeof(hex)) || strlen(hex) != 16 || *p != '\0')
		return bad(why, whylen, "its checksum line is missing");
	sum = strtoull(hex, NULL, 16);
	if (sum != fnv1a(text, (size_t)(sum_at - text)))
		return bad(why, whylen, "its checksum does not match");
	return NP_OK;
}

/* ---- the file ---- */

/* user, host:port and filter as a record writes them; NP_ERR_NOMEM. */
static int
identity(struct np__curfile *f, const char *user, const char *host, long long port,
	 const char *filter)
{
	char buf[FIELD_MAX];
	size_t n;

	buf[0] = '\0';
	np__escape(buf, sizeof(buf), user != NULL ? user : "");
	f->user = strdup(buf);
	buf[0] = '\0';
	np__escape(buf, sizeof(buf) - 8, host);
	n = strlen(buf);
	snprintf(buf + n, sizeof(buf) - n, ":%lld", port);
	f->hub = strdup(buf);
	buf[0] = '\0';
	np__escape(buf, sizeof(buf), filter);
	f->filter = strdup(buf);
	return f->user && f->hub && f->filter ? NP_OK : NP_ERR_NOMEM;
}

static int
file_path(struct np__curfile *f, const char *state_dir, const char *user, const char *host,
	  long long port, const char *filter)
{
	char suffix[40];

	snprintf(suffix, sizeof(suffix), ".%016" PRIx64 ".cursor", fnv1a(filter, strlen(filter)));
	f->path = np__state_path(state_dir, user, host, port, suffix);
	return f->path != NULL ? NP_OK : NP_ERR_NOMEM;
}

/* The good slots of buf (n bytes read): the newest into *k and its seq into
 * f->seq; false when none (why says why). */
static bool
newest_slot(struct np__curfile *f, const char *buf, size_t n, struct np__cursor *k,
	    char *why, size_t whylen)
{
	char user[FIELD_MAX], hub[FIELD_MAX], filter[FIELD_MAX];
	struct np__cursor one;
	char text[NP__CURSOR_SLOT + 1], detail[160] = "", one_why[128];
	uint64_t seq, best = 0;
	bool found = false, foreign = false;
	int i;

	for (i = 0; i < 2 && (size_t)i * NP__CURSOR_SLOT < n; i++) {
		memcpy(text, buf + i * NP__CURSOR_SLOT, NP__CURSOR_SLOT);
		text[NP__CURSOR_SLOT] = '\0';
		if (memchr(text, '\0', NP__CURSOR_SLOT) == NULL)
			snprintf(one_why, sizeof(one_why), "no end of record");
		if (memchr(text, '\0', NP__CURSOR_SLOT) == NULL
		    || np__cursor_parse(text, &seq, user, hub, filter, sizeof(user), &one, one_why,
					sizeof(one_why)) != NP_OK) {
			if (detail[0] == '\0')
				snprintf(detail, sizeof(detail), "slot %d: %s", i, one_why);
			continue;
		}
		if (strcmp(user, f->user) != 0 || strcmp(hub, f->hub) != 0
		    || strcmp(filter, f->filter) != 0) {
			foreign = true;
			snprintf(why, whylen, "the cursor file %s is not this feed's (it is user "
				 "'%.64s' at %.80s, filter '%.200s')", f->path, user, hub, filter);
			continue;
		}
		if (!found || seq > best) {
			*k = one;
			best = seq;
			found = true;
		}
	}
	if (found) {
		f->seq = best;  /* the next write goes to the other slot, torn or not */
		why[0] = '\0';
		return true;
	}
	if (!foreign)
		snprintf(why, whylen, "the cursor file %s is corrupt (%s)", f->path,
			 detail[0] ? detail : "too short");
	return false;
}

int
np__curfile_load(struct np__curfile *f, const char *state_dir, const char *user,
		 const char *host, long long port, const char *filter, struct np__cursor *k,
		 bool *found, char *why, size_t whylen)
{
	char *buf;
	ssize_t n;
	int fd;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	*found = false;
	why[0] = '\0';
	if (identity(f, user, host, port, filter) != NP_OK
	    || file_path(f, state_dir, user, host, port, filter) != NP_OK)
		return NP_ERR_NOMEM;
	fd = open(f->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			snprintf(why, whylen, "cannot read the cursor file %s: %s", f->path,
				 strerror(errno));
		return NP_OK;
	}
	buf = calloc(1, 2 * NP__CURSOR_SLOT);
	n = buf != NULL ? read(fd, buf, 2 * NP__CURSOR_SLOT) : -1;
	close(fd);
	if (buf == NULL)
		return NP_ERR_NOMEM;
	if (n < 0)
		snprintf(why, whylen, "cannot read the cursor file %s: %s", f->path,
			 strerror(errno));
	else
		*found = newest_slot(f, buf, (size_t)n, k, why, whylen);
	free(buf);
	return NP_OK;
}

/* fsync of the directory holding path, so that a rename lasts. */
static void
sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* "cannot WHAT the cursor file PATH: DETAIL" (detail NULL: errno's); NP_ERR_STATE. */
static int
state_err(const struct np__curfile *f, const char *what, const char *detail, char *why,
	  size_t whylen)
{
	snprintf(why, whylen, "cannot %s the cursor file %s: %s", what, f->path,
		 detail != NULL ? detail : strerror(errno));
	return NP_ERR_STATE;
}

int
np__curfile_create(struct np__curfile *f, const struct np__cursor *k, char *why, size_t whylen)
{
	char tmp[PATH_MAX], *buf;
	size_t n;
	int fd, rc = NP_ERR_STATE, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", f->path) >= sizeof(tmp))
		return state_err(f, "create", "the path is too long", why, whylen);
	buf = calloc(1, 2 * NP__CURSOR_SLOT);
	if (buf == NULL)
		return NP_ERR_NOMEM;
	f->seq = 2;     /* slot 0; the next write goes to slot 1 */
	n = np__cursor_format(buf, NP__CURSOR_SLOT, f->seq, f->user, f->hub, f->filter, k);
	fd = n > 0 ? mkstemp(tmp) : -1;         /* mode 0600 */
	if (n == 0)
		rc = state_err(f, "write", "the record does not fit a slot", why, whylen);
	else if (fd < 0)
		rc = state_err(f, "create", NULL, why, whylen);
	else if (fchmod(fd, 0600) != 0 || write(fd, buf, 2 * NP__CURSOR_SLOT)
		 != 2 * NP__CURSOR_SLOT || fsync(fd) != 0)
		rc = state_err(f, "write", NULL, why, whylen);
	else if (rename(tmp, f->path) != 0)
		rc = state_err(f, "rename into place", NULL, why, whylen);
	else
		rc = NP_OK;
	saved = errno;
	free(buf);
	if (fd >= 0 && rc != NP_OK) {
		close(fd);
		unlink(tmp);
	}
	errno = saved;
	if (rc != NP_OK)
		return rc;
	sync_dir_of(f->path);
	f->fd = fd;
	f->synced_at = np__mono_ms();
	f->dirty = false;
	return NP_OK;
}

int
np__curfile_reopen(struct np__curfile *f, char *why, size_t whylen)
{
	f->fd = open(f->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (f->fd < 0)
		return state_err(f, "open", NULL, why, whylen);
	f->synced_at = np__mono_ms();
	return NP_OK;
}

int
np__curfile_save(struct np__curfile *f, const struct np__cursor *k, bool sync)
{
	char buf[NP__CURSOR_SLOT];
	size_t n;

	if (f->fd < 0)
		return f->path == NULL ? NP_OK : NP_ERR_STATE;
	n = np__cursor_format(buf, sizeof(buf), f->seq + 1, f->user, f->hub, f->filter, k);
	if (n == 0) {
		errno = ENAMETOOLONG;
		return NP_ERR_STATE;
	}
	if (pwrite(f->fd, buf, n + 1, (off_t)((f->seq + 1) % 2) * NP__CURSOR_SLOT)
	    != (ssize_t)(n + 1))
		return NP_ERR_STATE;
	f->seq++;
	f->dirty = true;
	if (sync || np__mono_ms() - f->synced_at >= SYNC_EVERY_MS)
		np__curfile_sync(f);
	return NP_OK;
}

void
np__curfile_sync(struct np__curfile *f)
{
	if (f->fd < 0 || !f->dirty)
		return;
	(void)fdatasync(f->fd);
	f->dirty = false;
	f->synced_at = np__mono_ms();
}

void
np__curfile_close(struct np__curfile *f)
{
	if (f->fd >= 0) {
		np__curfile_sync(f);
		close(f->fd);
	}
	free(f->path);
	free(f->user);
	free(f->hub);
	free(f->filter);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}
