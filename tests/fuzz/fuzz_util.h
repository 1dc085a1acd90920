/* fuzz_util.h - what the fuzz targets share: an invariant check that says
 * which rule broke and stops the process at once (__builtin_trap, so libFuzzer,
 * the sanitizers and a plain gcc build of replay.c all see a crash), and a
 * scratch directory removed at exit. Header-only: each target is one file. */
#ifndef NP_FUZZ_UTIL_H
#define NP_FUZZ_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where invariant failures are written; a target whose code under test is
 * chatty on stderr (run with -close_fd_mask=2) points it at a dup of fd 2. */
static FILE *fuzz_log __attribute__((unused));

static inline void fuzz_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

static inline void
fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	FILE *f = fuzz_log != NULL ? fuzz_log : stderr;
	va_list ap;

	fprintf(f, "%s:%d: invariant broken: ", file, line);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
	__builtin_trap();
}

/* FUZZ_CHECK(cond, "printf format", args...): the message says what broke. */
#define FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                    \
		if (!(cond))                                                    \
			fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);             \
	} while (0)

/* A known, reported bug whose invariant may be waived while it is unfixed:
 * NP_FUZZ_KNOWN=tag,tag... lets fuzzing go past it to find the next one.
 * Unset (as in make fuzz and make test), every invariant holds. */
static inline int
fuzz_known(const char *tag)
{
	const char *list = getenv("NP_FUZZ_KNOWN");
	size_t n = strlen(tag);

	while (list != NULL && *list != '\0') {
		if (strncmp(list, tag, n) == 0 && (list[n] == ',' || list[n] == '\0'))
			return 1;
		list = strchr(list, ',');
		if (list != NULL)
			list++;
	}
	return 0;
}

/* ---- a scratch directory for an LMDB store ----
 * Made at start-up and removed as soon as the store is open (LMDB keeps
 * working on the unlinked files), so a crash leaves nothing in $TMPDIR. */

static char fuzz_dir[256] __attribute__((unused));

static inline void
fuzz_dir_remove(void)
{
	static const char *const names[] = { "data.mdb", "lock.mdb" };
	char path[300];
	size_t i;

	if (fuzz_dir[0] == '\0')
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/db/%s", fuzz_dir, names[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/db", fuzz_dir);
	rmdir(path);
	rmdir(fuzz_dir);
	fuzz_dir[0] = '\0';
}

/* Creates $TMPDIR/np-fuzz-<what>-XXXXXX; exits when it cannot. The store goes
 * in its db/ subdirectory; call fuzz_dir_remove once it is open. */
static inline const char *
fuzz_dir_make(const char *what)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/np-fuzz-%s-XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", what);
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	atexit(fuzz_dir_remove);
	return fuzz_dir;
}

#endif
