/* csv_import.c - np-admin's place import: RFC 4180 CSV (libcsv) with the header
 * code,name_th,name_en, every row checked, parents checked once the whole file
 * is in the batch, so a file's row order does not matter. */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "validate.h"

struct parse {
	struct hub_store *s;
	struct place_rows *rows;
	const char *path;
	unsigned long line;     /* physical line being fed to the parser */
	unsigned long rec_line; /* line where the current record started */
	unsigned long records;  /* records seen, 1 = header */
	int field;
	char f[3][HUB_PLACE_NAME_MAX + 1];
	int too_long;
	int failed;
};

static void
bad(struct parse *p, const char *fmt, const char *arg)
{
	if (p->failed)
		return;
	fprintf(admin_err(), "%s:%lu: ", p->path, p->rec_line ? p->rec_line : p->line);
	fprintf(admin_err(), fmt, arg);
	fputc('\n', admin_err());
	p->failed = 1;
}

static void
on_field(void *data, size_t len, void *cb)
{
	struct parse *p = cb;

	if (p->field == 0)
		p->rec_line = p->line;
	if (p->field < 3) {
		if (len > HUB_PLACE_NAME_MAX) {
			p->too_long = p->field + 1;
			len = 0;
		}
		memcpy(p->f[p->field], data, len);
		p->f[p->field][len] = '\0';
	}
	p->field++;
}

static int
row_add(struct place_rows *rows, const char *code, unsigned long line)
{
	struct row *v;

	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? rows->cap * 2 : 1024;
		v = realloc(rows->v, rows->cap * sizeof(*v));
		if (v == NULL)
			return -1;
		rows->v = v;
	}
	snprintf(rows->v[rows->n].code, sizeof(rows->v[0].code), "%s", code);
	rows->v[rows->n].line = line;
	rows->v[rows->n].file = NULL;
	rows->n++;
	return 0;
}

static void
check_row(struct parse *p)
{
	struct hub_place pl;
	enum hub_level l;

	l = hub_area_level(p->f[0], strlen(p->f[0]));
	if (l == HUB_LEVEL_BAD || l == HUB_LEVEL_NATION)
		return bad(p, "code '%s' is not 2, 4, 6 or 8 digits", p->f[0]);
	if (p->f[1][0] == '\0' || p->f[2][0] == '\0')
		return bad(p, "code '%s' has an empty name", p->f[0]);
	if (!hub_utf8_valid(p->f[1], strlen(p->f[1])) || !hub_utf8_valid(p->f[2], strlen(p->f[2])))
		return bad(p, "code '%s' has a name that is not valid UTF-8", p->f[0]);
	snprintf(pl.code, sizeof(pl.code), "%s", p->f[0]);
	memcpy(pl.name_th, p->f[1], sizeof(pl.name_th));
	memcpy(pl.name_en, p->f[2], sizeof(pl.name_en));
	if (hub_store_batch_place_put(p->s, &pl) != 0)
		return bad(p, "%s", hub_store_error(p->s));
	if (row_add(p->rows, pl.code, p->rec_line ? p->rec_line : p->line) != 0)
		bad(p, "%s", "out of memory");
}

static void
on_record(int c, void *cb)
{
	struct parse *p = cb;

	(void)c;
	p->records++;
	if (p->field == 0)
		p->rec_line = p->line;
	if (p->failed)
		return;
	if (p->field != 3)
		bad(p, "want 3 fields (code,name_th,name_en), found %s",
		    p->field < 3 ? "fewer" : "more");
	else if (p->too_long)
		bad(p, "%s", "a field is longer than 255 bytes");
	else if (p->records == 1) {
		if (strcmp(p->f[0], "code") != 0 || strcmp(p->f[1], "name_th") != 0
		    || strcmp(p->f[2], "name_en") != 0)
			bad(p, "%s", "the header must be code,name_th,name_en");
	} else {
		check_row(p);
	}
	p->field = 0;
	p->too_long = 0;
	p->rec_line = 0;
}

static const char *
parse_error(struct csv_parser *csv)
{
	if (csv_error(csv) == CSV_EPARSE)
		return "a quote is unterminated or stray (quote a whole field, \"\" inside)";
	return csv_strerror(csv_error(csv));
}

enum admin_rc
admin_import_csv(struct hub_store *s, const char *path, struct place_rows *rows)
{
	struct csv_parser csv;
	struct parse p;
	char *line = NULL, *start;
	size_t n, cap = 0;
	FILE *fp;

	memset(&p, 0, sizeof(p));
	p.s = s;
	p.rows = rows;
	p.path = path;
	fp = fopen(path, "rb");
	if (fp == NULL) {
		fprintf(admin_err(), "np-admin: cannot read %s: %s\n", path, strerror(errno));
		return ADMIN_FAIL;
	}
	if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		fprintf(admin_err(), "np-admin: out of memory\n");
		fclose(fp);
		return ADMIN_FAIL;
	}
	/* fed a line at a time, so errors can name the line a record is on */
	while (!p.failed && (n = (size_t)getline(&line, &cap, fp)) != (size_t)-1) {
		p.line++;
		start = line;
		if (p.line == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			start += 3;     /* a UTF-8 byte order mark */
			n -= 3;
		}
		if (csv_parse(&csv, start, n, on_field, on_record, &p) != n)
			bad(&p, "%s", parse_error(&csv));
	}
	if (!p.failed && csv_fini(&csv, on_field, on_record, &p) != 0)
		bad(&p, "%s", parse_error(&csv));
	if (!p.failed && p.records == 0) {
		p.line = 1;
		bad(&p, "%s", "the file is empty (want the header code,name_th,name_en)");
	}
	free(line);
	csv_free(&csv);
	fclose(fp);
	for (n = 0; n < rows->n; n++) {
		if (rows->v[n].file == NULL)
			rows->v[n].file = path;
	}
	return p.failed ? ADMIN_FAIL : ADMIN_OK;
}

static int
cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->code, y->code);

	return c ? c : (x->line < y->line ? -1 : x->line > y->line);
}

/* A code twice in one import is an error naming both rows. */
static enum admin_rc
check_duplicates(const struct place_rows *rows)
{
	enum admin_rc rc = ADMIN_OK;
	struct row *v;
	size_t i;

	if (rows->n < 2)
		return ADMIN_OK;
	v = malloc(rows->n * sizeof(*v));
	if (v == NULL) {
		fprintf(admin_err(), "np-admin: out of memory\n");
		return ADMIN_FAIL;
	}
	memcpy(v, rows->v, rows->n * sizeof(*v));
	qsort(v, rows->n, sizeof(*v), cmp_rows);
	for (i = 1; i < rows->n && rc == ADMIN_OK; i++) {
		if (strcmp(v[i].code, v[i - 1].code) == 0) {
			fprintf(admin_err(), "%s:%lu: code '%s' is already on %s:%lu\n", v[i].file,
				v[i].line, v[i].code, v[i - 1].file, v[i - 1].line);
			rc = ADMIN_FAIL;
		}
	}
	free(v);
	return rc;
}

enum admin_rc
admin_check_parents(struct hub_store *s, const struct place_rows *rows)
{
	char parent[HUB_AREA_MAX + 1];
	size_t i, len;

	if (check_duplicates(rows) != ADMIN_OK)
		return ADMIN_FAIL;
	for (i = 0; i < rows->n; i++) {
		len = strlen(rows->v[i].code);
		if (len == 2)
			continue;
		memcpy(parent, rows->v[i].code, len - 2);
		parent[len - 2] = '\0';
		if (!hub_store_batch_place_exists(s, parent)) {
			fprintf(admin_err(), "%s:%lu: code '%s': its parent '%s' is not in the registry\n",
				rows->v[i].file, rows->v[i].line, rows->v[i].code, parent);
			return ADMIN_FAIL;
		}
	}
	return ADMIN_OK;
}

void
admin_rows_free(struct place_rows *rows)
{
	free(rows->v);
	memset(rows, 0, sizeof(*rows));
}
