/* demo.c - np-admin demo: the real registry of ../shared/data/geo (77 provinces,
 * 929 districts, 7,451 subdistricts), 24,700 villages numbered as DESIGN.md says
 * (every subdistrict in code order gets 01..03, the first 2,347 also 04), and
 * one demo user of each role with a printed password. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "user.h"

#define VILLAGES_WITH_FOUR 2347

static const struct demo_user {
	const char *name, *role, *area, *categories, *about;
} demo_users[] = {
	{ "ministry", "official", "TH", NULL, "the ministry (official, whole nation)" },
	{ "cm_official", "official", "50", NULL, "Chiang Mai province official" },
	{ "muang_official", "official", "5001", NULL, "Mueang Chiang Mai district official" },
	{ "somchai", "volunteer", "50010101", NULL, "volunteer of Mu 1, Si Phum" },
	{ "malee", "volunteer", "50010102", NULL, "volunteer of Mu 2, Si Phum" },
	{ "nok", "resident", "50010101", NULL, "resident of Mu 1, Si Phum" },
	{ "agri_agency", "agency", "TH", "agriculture,weather", "agency: agriculture, weather" },
	{ "nt_operator", "operator", "50", NULL, "network operator, Chiang Mai" },
	{ "admin", "admin", "TH", NULL, "hub administrator" },
};

static enum admin_rc
add_villages(struct hub_store *s, const struct place_rows *rows, size_t *count)
{
	struct hub_place v;
	size_t i, subdistricts = 0;
	int n, last;

	*count = 0;
	for (i = 0; i < rows->n; i++) {
		if (strlen(rows->v[i].code) != 6)
			continue;
		last = subdistricts < VILLAGES_WITH_FOUR ? 4 : 3;
		subdistricts++;
		for (n = 1; n <= last; n++) {
			memcpy(v.code, rows->v[i].code, 6);
			v.code[6] = (char)('0' + n / 10);
			v.code[7] = (char)('0' + n % 10);
			v.code[8] = '\0';
			snprintf(v.name_th, sizeof(v.name_th), "หมู่ %d", n);
			snprintf(v.name_en, sizeof(v.name_en), "Mu %d", n);
			if (hub_store_batch_place_put(s, &v) != 0) {
				fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
				return ADMIN_FAIL;
			}
			(*count)++;
		}
	}
	return ADMIN_OK;
}

static enum admin_rc
import_geo(struct hub_store *s, const char *geo_dir, size_t *villages)
{
	static const char *const files[] = { "provinces.csv", "districts.csv", "subdistricts.csv" };
	char path[4][4096];
	struct place_rows rows = { 0 };
	enum admin_rc rc = ADMIN_OK;
	size_t i;

	if (hub_store_batch_begin(s) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		return ADMIN_FAIL;
	}
	for (i = 0; i < 3 && rc == ADMIN_OK; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/%s", geo_dir, files[i]);
		rc = admin_import_csv(s, path[i], &rows);
		if (rc != ADMIN_OK && access(path[i], R_OK) != 0)
			fprintf(admin_err(), "np-admin: the geo data is not in %s: give its directory "
				"with demo --geo DIR (or NP_GEO_DIR)\n", geo_dir);
	}
	if (rc == ADMIN_OK)
		rc = admin_check_parents(s, &rows);
	if (rc == ADMIN_OK)
		rc = add_villages(s, &rows, villages);
	if (rc != ADMIN_OK) {
		hub_store_batch_abort(s);
	} else if (hub_store_batch_commit(s) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		rc = ADMIN_FAIL;
	}
	admin_rows_free(&rows);
	return rc;
}

enum admin_rc
admin_demo(struct hub_store *s, const char *geo_dir, unsigned iterations)
{
	size_t counts[HUB_LEVEL_VILLAGE + 1];
	size_t villages = 0, i;
	char password[64];
	struct hub_user u;

	if (import_geo(s, geo_dir, &villages) != ADMIN_OK)
		return ADMIN_FAIL;
	if (hub_store_place_count(s, counts) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		return ADMIN_FAIL;
	}
	fprintf(admin_out(), "registry: %zu provinces, %zu districts, %zu subdistricts, %zu villages\n",
	       counts[HUB_LEVEL_PROVINCE], counts[HUB_LEVEL_DISTRICT],
	       counts[HUB_LEVEL_SUBDISTRICT], counts[HUB_LEVEL_VILLAGE]);
	fprintf(admin_out(), "demo users (name / password / role area):\n");
	for (i = 0; i < sizeof(demo_users) / sizeof(demo_users[0]); i++) {
		const struct demo_user *d = &demo_users[i];

		snprintf(password, sizeof(password), "%s-demo", d->name);
		if (hub_store_user_get(s, d->name, &u) == 0) {
			fprintf(admin_out(), "  %-15s (exists, password unchanged)  %s %s  %s\n", d->name, d->role,
			       d->area, d->about);
			continue;
		}
		if (admin_user_add(s, d->name, d->role, d->area, d->categories, password,
				   iterations) != ADMIN_OK)
			return ADMIN_FAIL;
		fprintf(admin_out(), "  %-15s %-20s %s %s  %s\n", d->name, password, d->role, d->area, d->about);
	}
	return ADMIN_OK;
}
