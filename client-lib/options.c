/* options.c - the client's options as one table: each option's type, field,
 * bounds and default are written once here, and np_options_new(), the two
 * setters and the copy a client keeps all come from that table (redis
 * config.c's way). Adding an option is a row here, a field in np_int.h's
 * struct np_options and a line in np_client.h's enum np_option. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "np_int.h"

enum opt_type { OPT_STRING, OPT_INT };

struct opt_row {
	enum np_option opt;
	enum opt_type type;
	size_t field;                   /* offsetof(struct np_options, ...) */
	const char *def_string;         /* OPT_STRING: the default (NULL: none) */
	long long min, max, def;        /* OPT_INT */
};

#define STR(o, f, d) { o, OPT_STRING, offsetof(struct np_options, f), d, 0, 0, 0 }
#define INT(o, f, lo, hi, d) { o, OPT_INT, offsetof(struct np_options, f), NULL, lo, hi, d }

static const struct opt_row rows[] = {
	STR(NP_OPT_HOST, host, "127.0.0.1"),
	INT(NP_OPT_PORT, port, 0, 65535, 0),            /* 0: 1883, or 8883 with a CA file */
	STR(NP_OPT_USERNAME, username, NULL),
	STR(NP_OPT_PASSWORD, password, NULL),
	STR(NP_OPT_CLIENT_ID, client_id, NULL),         /* NULL: made by np_client_new() */
	INT(NP_OPT_KEEPALIVE, keepalive, 5, 65535, 60),
	STR(NP_OPT_CAFILE, cafile, NULL),
	STR(NP_OPT_OUTBOX_DIR, outbox_dir, NULL),
	INT(NP_OPT_OUTBOX_MAX, outbox_max, 1, 100000000, 10000),
	INT(NP_OPT_FOLLOW_WAIT_MS, follow_wait_ms, 1, 3600000, 5000),
	STR(NP_OPT_STATE_DIR, state_dir, NULL),
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const struct opt_row *
row_of(enum np_option opt, enum opt_type type)
{
	size_t i;

	for (i = 0; i < NROWS; i++) {
		if (rows[i].opt == opt)
			return rows[i].type == type ? &rows[i] : NULL;
	}
	return NULL;
}

static char **
string_at(struct np_options *o, const struct opt_row *r)
{
	return (char **)(void *)((char *)o + r->field);
}

static long long *
int_at(struct np_options *o, const struct opt_row *r)
{
	return (long long *)(void *)((char *)o + r->field);
}

static const char *
string_of(const struct np_options *o, const struct opt_row *r)
{
	return *(char *const *)(const void *)((const char *)o + r->field);
}

static long long
int_of(const struct np_options *o, const struct opt_row *r)
{
	return *(const long long *)(const void *)((const char *)o + r->field);
}

/* Replaces the string of row r with a copy of value. */
static int
put_string(struct np_options *o, const struct opt_row *r, const char *value)
{
	char **at = string_at(o, r), *copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return NP_ERR_NOMEM;
	if (*at != NULL)
		memset(*at, 0, strlen(*at));    /* the password, among others */
	free(*at);
	*at = copy;
	return NP_OK;
}

void
np__options_clear(struct np_options *o)
{
	size_t i;

	for (i = 0; i < NROWS; i++) {
		if (rows[i].type == OPT_STRING)
			(void)put_string(o, &rows[i], NULL);
	}
	memset(o, 0, sizeof(*o));
}

int
np__options_defaults(struct np_options *o)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < NROWS; i++) {
		if (rows[i].type == OPT_INT)
			*int_at(o, &rows[i]) = rows[i].def;
		else if (put_string(o, &rows[i], rows[i].def_string) != NP_OK)
			goto nomem;
	}
	return NP_OK;
nomem:
	np__options_clear(o);
	return NP_ERR_NOMEM;
}

int
np__options_copy(struct np_options *dst, const struct np_options *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < NROWS; i++) {
		if (rows[i].type == OPT_INT)
			*int_at(dst, &rows[i]) = int_of(src, &rows[i]);
		else if (put_string(dst, &rows[i], string_of(src, &rows[i])) != NP_OK)
			goto nomem;
	}
	return NP_OK;
nomem:
	np__options_clear(dst);
	return NP_ERR_NOMEM;
}

struct np_options *
np_options_new(void)
{
	struct np_options *o = malloc(sizeof(*o));

	if (o != NULL && np__options_defaults(o) != NP_OK) {
		free(o);
		o = NULL;
	}
	return o;
}

void
np_options_free(struct np_options *o)
{
	if (o == NULL)
		return;
	np__options_clear(o);
	free(o);
}

int
np_options_set_string(struct np_options *o, enum np_option opt, const char *value)
{
	const struct opt_row *r = row_of(opt, OPT_STRING);

	if (o == NULL || r == NULL)
		return NP_ERR_INVAL;
	return put_string(o, r, value);
}

int
np_options_set_int(struct np_options *o, enum np_option opt, long long value)
{
	const struct opt_row *r = row_of(opt, OPT_INT);

	if (o == NULL || r == NULL || value < r->min || value > r->max)
		return NP_ERR_INVAL;
	*int_at(o, r) = value;
	return NP_OK;
}
