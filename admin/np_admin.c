/* np_admin.c - np-admin's main: provisions the LMDB directory the plugin
 * serves, also while the broker runs (see DESIGN.md "Build outputs and tools").
 * Opens the store named by --db and hands the command to its module (init and
 * registry here; demo.c, user.c, history_cmd.c, token_cmd.c, case_cmd.c); its exit status is the
 * command's enum admin_rc (admin.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "audit.h"
#include "cap_cmd.h"
#include "encode.h"
#include "hub_client.h"
#include "site.h"
#include "user.h"

/* Files np-admin creates as root belong to the directory's owner, so a broker
 * that dropped to the mosquitto user can still write them. */
static void
match_owner(const char *dir)
{
	static const char *const files[] = { "data.mdb", "lock.mdb" };
	char path[4096];
	struct stat d, f;
	size_t i;

	if (geteuid() != 0 || stat(dir, &d) != 0)
		return;
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (stat(path, &f) == 0 && (f.st_uid != d.st_uid || f.st_gid != d.st_gid)
		    && chown(path, d.st_uid, d.st_gid) != 0)
			fprintf(admin_err(), "np-admin: warning: cannot chown %s: %s\n", path,
				strerror(errno));
	}
}

static enum admin_rc
registry_import(struct hub_store *s, const char *path)
{
	struct place_rows rows = { 0 };
	enum admin_rc rc;

	admin_audit_target(s, "place file %s", path);
	if (hub_store_batch_begin(s) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		return ADMIN_FAIL;
	}
	rc = admin_import_csv(s, path, &rows);
	if (rc == ADMIN_OK)
		rc = admin_check_parents(s, &rows);
	if (rc == ADMIN_OK)
		admin_audit_target(s, "%zu places from %s", rows.n, path);
	if (rc != ADMIN_OK) {
		hub_store_batch_abort(s);
	} else if (hub_store_batch_commit(s) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		rc = ADMIN_FAIL;
	}
	if (rc == ADMIN_OK)
		fprintf(admin_out(), "%zu places imported from %s\n", rows.n, path);
	else
		fprintf(admin_err(), "np-admin: nothing imported from %s\n", path);
	admin_rows_free(&rows);
	return rc;
}

const char *
admin_data_dir(const char *env, const char *sub, const char *probe, char *buf, size_t len)
{
	char exe[4096], path[4200];
	ssize_t n;
	char *slash;
	int up;

	if (getenv(env) != NULL)
		return getenv(env);
	snprintf(path, sizeof(path), "../shared/data/%s/%s", sub, probe);
	snprintf(buf, len, "../shared/data/%s", sub);
	if (access(path, R_OK) == 0)
		return buf;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return buf;
	exe[n] = '\0';
	for (up = 0; up < 2 && (slash = strrchr(exe, '/')) != NULL; up++)
		*slash = '\0';         /* drop np-admin, then build/ */
	snprintf(buf, len, "%s/../shared/data/%s", exe, sub);
	return buf;
}

const char *
admin_data_path(const char *env, const char *sub, const char *file, char *buf, size_t len)
{
	char dir[4200];
	const char *d = admin_data_dir(env, sub, file, dir, sizeof(dir));

	snprintf(buf, len, "%s/%s", d, file);
	return buf;
}

/* The geo data: $NP_GEO_DIR, else ../shared/data/geo from the current
 * directory (the repo root), else from beside the repo that holds this binary. */
static const char *
default_geo(char *buf, size_t len)
{
	return admin_data_dir("NP_GEO_DIR", "geo", "provinces.csv", buf, len);
}

static enum admin_rc
run(struct hub_store *s, int argc, char **argv)
{
	const char *cmd = argv[0], *sub = argc > 1 ? argv[1] : "";
	char geobuf[4200];
	const char *geo = default_geo(geobuf, sizeof(geobuf));

	if (strcmp(cmd, "init") == 0 && argc == 1)
		return ADMIN_OK;        /* main has initialised it */
	if (strcmp(cmd, "registry") == 0 && strcmp(sub, "import") == 0 && argc == 3)
		return registry_import(s, argv[2]);
	if (strcmp(cmd, "registry") == 0 && strcmp(sub, "list") == 0 && argc <= 3)
		return admin_registry_list(s, argc == 3 ? argv[2] : "");
	if (strcmp(cmd, "demo") == 0) {
		if (argc == 3 && strcmp(argv[1], "--geo") == 0)
			geo = argv[2];
		else if (argc != 1)
			return ADMIN_USAGE;
		return admin_demo(s, geo, HUB_KDF_DEFAULT_ITERATIONS);
	}
	if (strcmp(cmd, "user") == 0)
		return admin_user(s, argc, argv);
	if (strcmp(cmd, "history") == 0)
		return admin_history(s, argc, argv);
	if (strcmp(cmd, "token") == 0)
		return admin_token(s, argc, argv);
	if (strcmp(cmd, "case") == 0)
		return admin_case(s, argc, argv);
	if (strcmp(cmd, "audit") == 0)
		return admin_audit_list(s, argc, argv);
	if (strcmp(cmd, "cap") == 0 && strcmp(sub, "export") == 0)
		return admin_cap_export_cmd(s, argc - 1, argv + 1);
	if (strcmp(cmd, "cap") == 0 && strcmp(sub, "atom") == 0)
		return admin_cap_atom_cmd(s, argc - 1, argv + 1);
	if (strcmp(cmd, "site") == 0)
		return admin_site(s, geo, argc, argv);
	return ADMIN_USAGE;
}

int
main(int argc, char **argv)
{
	struct hub_store *s = NULL;
	const char *db = NULL;
	char err[300];
	enum admin_rc rc;
	int i = 1, create;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(admin_usage, admin_out());
		return 0;
	}
	if (argc > 1 && strncmp(argv[1], "--hub", 5) == 0) {
		rc = admin_hub_main(argc, argv);
		if (rc == ADMIN_USAGE)
			fputs(admin_usage, stderr);
		return rc;
	}
	if (argc > 2 && strcmp(argv[1], "cap") == 0 && strcmp(argv[2], "import") == 0) {
		rc = admin_cap_import(argc - 2, argv + 2);     /* through the hub: no --db */
		if (rc == ADMIN_USAGE)
			fputs(admin_usage, stderr);
		return rc;
	}
	if (argc > 2 && strcmp(argv[1], "--db") == 0) {
		db = argv[2];
		i = 3;
	} else if (argc > 1 && strncmp(argv[1], "--db=", 5) == 0) {
		db = argv[1] + 5;
		i = 2;
	}
	if (db == NULL || i >= argc) {
		fputs(admin_usage, admin_err());
		return ADMIN_USAGE;
	}
	create = strcmp(argv[i], "init") == 0 || strcmp(argv[i], "demo") == 0;
	if (hub_store_open(&s, db, create ? HUB_STORE_CREATE : 0, err, sizeof(err)) != 0) {
		fprintf(admin_err(), "np-admin: %s: %s\n", db, err);
		return ADMIN_FAIL;
	}
	if (admin_audit_changes(argc - i, argv + i)) {
		admin_audit_begin(s, argc - i, argv + i);
		if (create)
			admin_audit_target(s, "database %s%s", db,
					   argv[i][0] == 'd' ? ": demo registry and users" : "");
	}
	if (create && hub_store_init(s) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", hub_store_error(s));
		rc = ADMIN_FAIL;
	} else {
		rc = run(s, argc - i, argv + i);
	}
	rc = admin_audit_end(s, rc);
	if (rc == ADMIN_USAGE)
		fputs(admin_usage, admin_err());
	hub_store_close(s);
	match_owner(db);
	return rc;
}
