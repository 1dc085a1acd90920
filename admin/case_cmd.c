/* case_cmd.c - np-admin case targets [KIND ACK RESOLVE]: the per-kind targets
 * of report cases (DESIGN.md "Report cases"), time to first ack and to
 * resolution, kept in the store (cases.c's case_meta) where the running hub
 * reads them at every case query. Durations: N followed by s, m, h or d
 * (4h, 48h, 14d), or "none". Errors as admin.h says. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "audit.h"
#include "cases.h"

/* "4h" -> ms; "none" -> 0. -1 when s is neither. */
static int64_t
parse_duration(const char *s)
{
	static const struct { char unit; int64_t ms; } units[] = {
		{ 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 }, { 'd', 86400000 },
	};
	unsigned long long n;
	char *end;
	size_t i;

	if (strcmp(s, "none") == 0)
		return 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || n == 0 || n > 100000 || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (end[0] == units[i].unit)
			return (int64_t)n * units[i].ms;
	}
	return -1;
}

/* ms as the shortest of d, h, m, s that says it exactly; "none" for 0. */
static void
format_duration(int64_t ms, char *buf, size_t len)
{
	static const struct { char unit; int64_t ms; } units[] = {
		{ 'd', 86400000 }, { 'h', 3600000 }, { 'm', 60000 }, { 's', 1000 },
	};
	size_t i;

	if (ms == 0) {
		snprintf(buf, len, "none");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms % units[i].ms == 0) {
			snprintf(buf, len, "%" PRId64 "%c", ms / units[i].ms, units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%" PRId64 "ms", ms);
}

static int
kind_of(const char *s)
{
	int i;

	for (i = 0; i < HUB_REPORT_KIND_COUNT; i++) {
		if (strcmp(hub_report_kind_name(i), s) == 0)
			return i;
	}
	return -1;
}

static enum admin_rc
list_targets(struct hub_cases *c)
{
	struct hub_case_targets t;
	char a[32], r[32];
	int i;

	if (hub_cases_targets(c, &t) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_cases_error(c));
		return ADMIN_FAIL;
	}
	fprintf(admin_out(), "kind,ack,resolve\n");
	for (i = 0; i < HUB_REPORT_KIND_COUNT; i++) {
		format_duration(t.ack_ms[i], a, sizeof(a));
		format_duration(t.resolve_ms[i], r, sizeof(r));
		fprintf(admin_out(), "%s,%s,%s\n", hub_report_kind_name(i), a, r);
	}
	return ADMIN_OK;
}

/* The kind and durations of argv (KIND ACK RESOLVE), or why not. */
static enum admin_rc
parse_targets(char **argv, int *kind, int64_t *ack, int64_t *res)
{
	*kind = kind_of(argv[0]);
	*ack = parse_duration(argv[1]);
	*res = parse_duration(argv[2]);
	if (*kind < 0) {
		fprintf(admin_err(), "np-admin: unknown report kind '%s' (outage, need, incident, "
			"feedback)\n", argv[0]);
		return ADMIN_FAIL;
	}
	if (*ack < 0 || *res < 0) {
		fprintf(admin_err(), "np-admin: '%s' is not a duration (e.g. 30m, 4h, 14d, none)\n",
			*ack < 0 ? argv[1] : argv[2]);
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

enum admin_rc
admin_case(struct hub_store *s, int argc, char **argv)
{
	struct hub_history *h = NULL;
	struct hub_cases *c = NULL;
	int64_t ack = 0, res = 0;
	int kind = 0;
	char err[300];
	enum admin_rc rc;

	if (argc < 2 || strcmp(argv[1], "targets") != 0 || (argc != 2 && argc != 5))
		return ADMIN_USAGE;
	if (argc == 5 && parse_targets(argv + 2, &kind, &ack, &res) != ADMIN_OK)
		return ADMIN_FAIL;      /* before anything is written */
	if (argc == 5)
		admin_audit_target(s, "%s ack %s resolve %s", argv[2], argv[3], argv[4]);
	if (hub_history_open(&h, s, 0, err, sizeof(err)) != 0
	    || hub_cases_open(&c, s, h, NULL, err, sizeof(err)) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", err);
		hub_history_close(h);
		return ADMIN_FAIL;
	}
	rc = ADMIN_OK;
	if (argc == 5 && hub_cases_set_targets(c, kind, ack, res) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_cases_error(c));
		rc = ADMIN_FAIL;
	}
	if (rc == ADMIN_OK)
		rc = list_targets(c);
	hub_cases_close(c);
	hub_history_close(h);
	return rc;
}
