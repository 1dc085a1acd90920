/* replay.c - runs one fuzz target's LLVMFuzzerTestOneInput over saved inputs,
 * without libFuzzer, so make test can build it with gcc (plain and with
 * ASan+UBSan) and keep every crash the fuzzers found from coming back.
 *
 *   replay [DIR|FILE]...
 *
 * Without arguments, and named test_<target> (as make test builds it), it
 * replays tests/fuzz/regressions/<target>/ and tests/fuzz/corpus/<target>/,
 * relative to the current directory (tests/run.sh runs from the repo root).
 * Prints TAP: one line per directory or file argument; an input that crashes
 * stops the process, and its path is on the line before the crash report.
 * A directory that is missing or holds no input fails its line (a replay of
 * nothing proves nothing); only the default regressions directory may be
 * absent, since a target that never crashed has none. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Defined by the targets that need a store or a scratch directory. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs one input; -1 when it cannot be read. */
static int
run_file(const char *path)
{
	uint8_t *buf = NULL;
	long n;
	FILE *f = fopen(path, "rb");
	int rc = -1;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		/* a copy of exactly n bytes, so ASan sees reads past the input */
		buf = malloc(n > 0 ? (size_t)n : 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			fprintf(stderr, "replay: %s\n", path);
			LLVMFuzzerTestOneInput(buf, (size_t)n);
			rc = 0;
		}
	}
	free(buf);
	fclose(f);
	return rc;
}

/* Runs every regular file of dir in name order; the count, or -1. A missing
 * directory counts as empty when may_be_missing, else it is -1. */
static long
run_dir(const char *dir, bool may_be_missing)
{
	struct dirent *d;
	struct stat st;
	char **names = NULL, **more, path[4096];
	size_t n = 0, cap = 0, i;
	long count = 0;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return errno == ENOENT && may_be_missing ? 0 : -1;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			more = realloc(names, cap * sizeof(*names));
			if (more == NULL)
				break;
			names = more;
		}
		names[n] = strdup(d->d_name);
		if (names[n] != NULL)
			n++;
	}
	closedir(dp);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) != 0)
				count = -1;
			else if (count >= 0)
				count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	char target[256], dirs[2][512];
	char *defaults[2] = { dirs[0], dirs[1] };
	char **paths = argv + 1;
	int npaths = argc - 1, i, failed = 0;
	bool defaults_used = npaths == 0, optional;
	struct stat st;
	long n;

	base = base != NULL ? base + 1 : argv[0];
	snprintf(target, sizeof(target), "%s", strncmp(base, "test_", 5) == 0 ? base + 5 : base);
	if (npaths == 0) {
		snprintf(dirs[0], sizeof(dirs[0]), "tests/fuzz/regressions/%s", target);
		snprintf(dirs[1], sizeof(dirs[1]), "tests/fuzz/corpus/%s", target);
		paths = defaults;
		npaths = 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	printf("1..%d\n", npaths);
	fflush(stdout);
	for (i = 0; i < npaths; i++) {
		optional = defaults_used && i == 0;     /* the regressions */
		if (stat(paths[i], &st) == 0 && S_ISREG(st.st_mode))
			n = run_file(paths[i]) == 0 ? 1 : -1;
		else
			n = run_dir(paths[i], optional);
		if (n < 0 || (n == 0 && !optional))
			failed = 1;
		printf("%s %d - %s replays %s (%ld inputs)%s\n",
		       n < 0 || (n == 0 && !optional) ? "not ok" : "ok", i + 1, target, paths[i],
		       n < 0 ? 0 : n, n < 0 ? ": missing or unreadable" : n == 0 && !optional
		       ? ": nothing to replay" : "");
		fflush(stdout);
	}
	return failed;
}
