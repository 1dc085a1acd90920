/* fuzz_csv_import.c - libFuzzer target for np-admin's place import
 * (admin/csv_import.c): each input is a CSV file, imported the way "np-admin
 * registry import" does into a batch on a store opened once (it already holds
 * 50, 5001 and 500101); the batch is always aborted, so the store stays as it
 * was. The file is an unlinked scratch file read as /dev/fd/N, and the store
 * lives on unlinked files too, so a crash leaves nothing in $TMPDIR.
 * admin_import_csv prints bad rows to stderr: run with -close_fd_mask=2
 * (invariant failures and sanitizer reports still show).
 *
 * Invariants (admin.h): every row kept names a 2, 4, 6 or 8 digit code that is
 * in the batch, its file and a line of the input; after admin_check_parents
 * succeeds no code is there twice and every parent is in the batch; after the
 * abort, nothing new is in the registry. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../admin/admin.h"
#include "fuzz_util.h"
#include "store.h"
#include "vocab.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const base[] = { "50", "5001", "500101" };

static struct hub_store *store;
static int csv_fd = -1;         /* an unlinked file, read back as /dev/fd/N */
static char csv_path[64];

static void
close_store(void)
{
	hub_store_close(store);
	store = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct hub_place pl;
	char db[300], err[256];
	const char *dir;
	size_t i;
	int fd;

	(void)argc;
	(void)argv;
	fd = dup(2);
	if (fd >= 0)
		fuzz_log = fdopen(fd, "w");
	dir = fuzz_dir_make("csv");
	snprintf(db, sizeof(db), "%s/input.csv", dir);
	csv_fd = open(db, O_RDWR | O_CREAT | O_EXCL, 0600);
	FUZZ_CHECK(csv_fd >= 0 && unlink(db) == 0, "cannot make %s", db);
	snprintf(csv_path, sizeof(csv_path), "/dev/fd/%d", csv_fd);
	snprintf(db, sizeof(db), "%s/db", dir);
	FUZZ_CHECK(hub_store_open(&store, db, HUB_STORE_CREATE, err, sizeof(err)) == 0,
		   "hub_store_open: %s", err);
	fuzz_dir_remove();
	FUZZ_CHECK(hub_store_init(store) == 0, "hub_store_init: %s", hub_store_error(store));
	FUZZ_CHECK(hub_store_batch_begin(store) == 0, "batch: %s", hub_store_error(store));
	for (i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		memset(&pl, 0, sizeof(pl));
		snprintf(pl.code, sizeof(pl.code), "%s", base[i]);
		snprintf(pl.name_th, sizeof(pl.name_th), "ที่ %s", base[i]);
		snprintf(pl.name_en, sizeof(pl.name_en), "Place %s", base[i]);
		FUZZ_CHECK(hub_store_batch_place_put(store, &pl) == 0, "place: %s",
			   hub_store_error(store));
	}
	FUZZ_CHECK(hub_store_batch_commit(store) == 0, "commit: %s", hub_store_error(store));
	atexit(close_store);
	return 0;
}

static bool
in_base(const char *code)
{
	size_t i;

	for (i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		if (strcmp(base[i], code) == 0)
			return true;
	}
	return false;
}

static void
check_rows(const struct place_rows *rows, unsigned long lines)
{
	enum hub_level l;
	size_t i;

	FUZZ_CHECK(rows->n <= rows->cap, "%zu rows in room for %zu", rows->n, rows->cap);
	for (i = 0; i < rows->n; i++) {
		const struct row *r = &rows->v[i];

		l = hub_area_level(r->code, strnlen(r->code, sizeof(r->code)));
		FUZZ_CHECK(memchr(r->code, '\0', sizeof(r->code)) != NULL, "row %zu: unterminated",
			   i);
		FUZZ_CHECK(l != HUB_LEVEL_BAD && l != HUB_LEVEL_NATION,
			   "row %zu kept code '%s'", i, r->code);
		FUZZ_CHECK(r->file == csv_path, "row %zu names another file", i);
		FUZZ_CHECK(r->line >= 1 && r->line <= lines, "row %zu on line %lu of %lu", i,
			   r->line, lines);
		FUZZ_CHECK(hub_store_batch_place_exists(store, r->code),
			   "row %zu ('%s') is not in the batch", i, r->code);
	}
}

static int
cmp_code(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->code, ((const struct row *)b)->code);
}

static void
check_parents_ok(const struct place_rows *rows)
{
	char parent[HUB_AREA_MAX + 1];
	struct row *v;
	size_t i, n;

	for (i = 0; i < rows->n; i++) {
		n = strlen(rows->v[i].code);
		if (n <= 2)
			continue;
		snprintf(parent, sizeof(parent), "%.*s", (int)(n - 2), rows->v[i].code);
		FUZZ_CHECK(hub_store_batch_place_exists(store, parent),
			   "'%s' passed although its parent '%s' is missing", rows->v[i].code,
			   parent);
	}
	if (rows->n < 2)
		return;
	v = malloc(rows->n * sizeof(*v));
	FUZZ_CHECK(v != NULL, "out of memory");
	memcpy(v, rows->v, rows->n * sizeof(*v));
	qsort(v, rows->n, sizeof(*v), cmp_code);
	for (i = 1; i < rows->n; i++)
		FUZZ_CHECK(strcmp(v[i].code, v[i - 1].code) != 0, "code '%s' passed twice",
			   v[i].code);
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct place_rows rows = { 0 };
	unsigned long lines = 1;
	size_t i;
	int rc;

	FUZZ_CHECK(ftruncate(csv_fd, 0) == 0
		   && pwrite(csv_fd, data, size, 0) == (ssize_t)size, "cannot write the input");
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';

	FUZZ_CHECK(hub_store_batch_begin(store) == 0, "batch: %s", hub_store_error(store));
	rc = admin_import_csv(store, csv_path, &rows);
	check_rows(&rows, lines);
	if (rc == 0 && admin_check_parents(store, &rows) == 0)
		check_parents_ok(&rows);
	hub_store_batch_abort(store);

	for (i = 0; i < rows.n; i++) {
		if (in_base(rows.v[i].code))
			continue;
		FUZZ_CHECK(!hub_store_place_exists(store, rows.v[i].code),
			   "'%s' is in the registry after the batch was aborted", rows.v[i].code);
		break;  /* one look-up is enough to see the abort */
	}
	admin_rows_free(&rows);
	return 0;
}
