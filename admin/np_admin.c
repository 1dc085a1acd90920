/* np_admin.c - np-admin: provisions the LMDB directory the plugin serves, also
 * while the broker runs (see DESIGN.md "Build outputs and tools"). Commands:
 * init, registry import|list, demo, user add|del|list. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"

static const char usage[] =
	"usage: np-admin --db DIR COMMAND ...\n"
	"  init                                 create or open the database\n"
	"  registry import FILE.csv             add places (header code,name_th,name_en)\n"
	"  registry list [PREFIX]               print places as code,name_th,name_en\n"
	"  demo [--geo DIR]                     the Thai registry, 24,700 villages, demo users\n"
	"  user add NAME --role ROLE --area CODE [--categories a,b] [--iterations N]\n"
	"                                       (password on standard input)\n"
	"  user del NAME\n"
	"  user list                            print users as name,role,area,categories\n"
	"  user import FILE.csv [--iterations N]  many users at once, all or none; header\n"
	"                                       name,role,area,password[,categories] (a;b)\n"
	"  history export [--filter F] [--since MS] [--until MS] [--format jsonl|csv]\n"
	"                                       stream stored messages (default all, jsonl)\n"
	"  history stats                        message counts by kind and province, bytes\n"
	"  history load N                       N synthetic reports over all villages (benchmarks)\n";

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
			fprintf(stderr, "np-admin: warning: cannot chown %s: %s\n", path,
				strerror(errno));
	}
}

static int
read_password(char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, stdin) == NULL) {
		fprintf(stderr, "np-admin: no password on standard input\n");
		return -1;
	}
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == len - 1) {
		fprintf(stderr, "np-admin: password is longer than %zu bytes\n", len - 2);
		return -1;
	}
	buf[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "np-admin: the password is empty\n");
		return -1;
	}
	return 0;
}

int
admin_user_check(struct hub_store *s, const char *name, const char *role, const char *area,
		 const char *categories, struct hub_user *out)
{
	struct hub_user u;
	size_t bad;

	memset(&u, 0, sizeof(u));
	if (!hub_username_valid(name, strlen(name))) {
		fprintf(stderr, "np-admin: bad user name '%s' (a letter, then letters, digits, "
			"'.', '_' or '-', at most %d)\n", name, HUB_USERNAME_MAX);
		return -1;
	}
	u.role = hub_role_parse(role);
	if (u.role == HUB_ROLE_NONE) {
		fprintf(stderr, "np-admin: unknown role '%s' (volunteer, resident, official, "
			"agency, operator, admin)\n", role);
		return -1;
	}
	if (strcmp(area, "TH") != 0 && !hub_store_place_exists(s, area)) {
		fprintf(stderr, "np-admin: area '%s' is not in the registry\n", area);
		return -1;
	}
	if (!hub_role_may_hold(u.role, hub_area_level(area, strlen(area)))) {
		fprintf(stderr, "np-admin: %s %s cannot hold area '%s' (%s)\n",
			strchr("aeiou", role[0]) ? "an" : "a", role, area,
			u.role == HUB_ROLE_VOLUNTEER || u.role == HUB_ROLE_RESIDENT ? "want a village"
			: u.role == HUB_ROLE_OFFICIAL ? "want TH, a province or a district"
			: u.role == HUB_ROLE_ADMIN ? "want TH" : "want TH or a province");
		return -1;
	}
	if (categories != NULL && u.role != HUB_ROLE_AGENCY) {
		fprintf(stderr, "np-admin: --categories is for agencies only\n");
		return -1;
	}
	if (u.role == HUB_ROLE_AGENCY) {
		bad = categories ? hub_categories_parse(categories, &u.categories) : 1;
		if (categories == NULL || bad != 0) {
			fprintf(stderr, "np-admin: an agency needs --categories from weather, "
				"agriculture, health, commerce, education, event, network, "
				"emergency, general%s%s\n", categories ? "; bad: " : "",
				categories ? categories + bad - 1 : "");
			return -1;
		}
	}
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.area, sizeof(u.area), "%s", area);
	*out = u;
	return 0;
}

int
admin_user_add(struct hub_store *s, const char *name, const char *role, const char *area,
	       const char *categories, const char *password, unsigned iterations)
{
	struct hub_user u;
	int rc;

	if (admin_user_check(s, name, role, area, categories, &u) != 0)
		return -1;
	u.iterations = iterations;
	if (hub_kdf_new(password, strlen(password), iterations, u.salt, u.hash) != 0) {
		fprintf(stderr, "np-admin: cannot hash the password\n");
		return -1;
	}
	rc = hub_store_user_add(s, &u);
	if (rc == HUB_STORE_EXISTS)
		fprintf(stderr, "np-admin: user '%s' already exists\n", name);
	else if (rc != 0)
		fprintf(stderr, "np-admin: %s\n", hub_store_error(s));
	return rc == 0 ? 0 : -1;
}

int
admin_parse_iterations(const char *arg, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || *end != '\0' || arg[0] == '-' || v < HUB_KDF_MIN_ITERATIONS
	    || v > 100000000ul) {
		fprintf(stderr, "np-admin: --iterations wants a number from %u to 100000000\n",
			HUB_KDF_MIN_ITERATIONS);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int
cmd_user_add(struct hub_store *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "area", required_argument, NULL, 'a' },
		{ "categories", required_argument, NULL, 'c' },
		{ "iterations", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL, *area = NULL, *cats = NULL;
	unsigned iterations = HUB_KDF_DEFAULT_ITERATIONS;
	char password[1026];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			role = optarg;
		else if (c == 'a')
			area = optarg;
		else if (c == 'c')
			cats = optarg;
		else if (c == 'i') {
			if (admin_parse_iterations(optarg, &iterations) != 0)
				return -1;
		} else {
			optind = argc;  /* getopt said what was wrong; show the usage too */
			role = NULL;
		}
	}
	if (optind != argc - 1 || role == NULL || area == NULL) {
		fprintf(stderr, "np-admin: user add NAME --role ROLE --area CODE "
			"[--categories a,b] [--iterations N]\n");
		return -1;
	}
	if (read_password(password, sizeof(password)) != 0)
		return -1;
	rc = admin_user_add(s, argv[optind], role, area, cats, password, iterations);
	memset(password, 0, sizeof(password));
	if (rc == 0)
		printf("user '%s' added: %s %s\n", argv[optind], role, area);
	return rc;
}

static int
print_user(void *ctx, const struct hub_user *u)
{
	int i;
	bool first = true;

	(void)ctx;
	printf("%s,%s,%s,", u->name, hub_role_name(u->role), u->area);
	for (i = 0; i < HUB_CATEGORY_COUNT; i++) {
		if (u->categories & (1u << i)) {
			printf("%s%s", first ? "" : ";", hub_category_name(i));
			first = false;
		}
	}
	putchar('\n');
	return 0;
}

static void
csv_field(const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static int
print_place(void *ctx, const struct hub_place *p)
{
	(void)ctx;
	printf("%s,", p->code);
	csv_field(p->name_th);
	putchar(',');
	csv_field(p->name_en);
	putchar('\n');
	return ferror(stdout) ? 1 : 0;
}

static int
cmd_registry_import(struct hub_store *s, const char *path)
{
	struct place_rows rows = { 0 };
	int rc;

	if (hub_store_batch_begin(s) != 0) {
		fprintf(stderr, "np-admin: %s\n", hub_store_error(s));
		return -1;
	}
	rc = admin_import_csv(s, path, &rows);
	if (rc == 0)
		rc = admin_check_parents(s, &rows);
	if (rc == 0)
		rc = hub_store_batch_commit(s);
	else
		hub_store_batch_abort(s);
	if (rc == 0)
		printf("%zu places imported from %s\n", rows.n, path);
	else
		fprintf(stderr, "np-admin: nothing imported from %s\n", path);
	admin_rows_free(&rows);
	return rc;
}

/* The geo data: $NP_GEO_DIR, else ../shared/data/geo from the current
 * directory (the repo root), else from beside the repo that holds this binary. */
static const char *
default_geo(char *buf, size_t len)
{
	char exe[4096];
	ssize_t n;
	char *slash;
	int up;

	if (getenv("NP_GEO_DIR") != NULL)
		return getenv("NP_GEO_DIR");
	if (access("../shared/data/geo/provinces.csv", R_OK) == 0)
		return "../shared/data/geo";
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "../shared/data/geo";
	exe[n] = '\0';
	for (up = 0; up < 2 && (slash = strrchr(exe, '/')) != NULL; up++)
		*slash = '\0';         /* drop np-admin, then build/ */
	snprintf(buf, len, "%s/../shared/data/geo", exe);
	return buf;
}

static int
run(struct hub_store *s, int argc, char **argv)
{
	const char *cmd = argv[0], *sub = argc > 1 ? argv[1] : "";
	char geobuf[4200];
	const char *geo = default_geo(geobuf, sizeof(geobuf));
	int rc;

	if (strcmp(cmd, "init") == 0 && argc == 1)
		return hub_store_init(s) == 0 ? 0 : -1;
	if (strcmp(cmd, "registry") == 0 && strcmp(sub, "import") == 0 && argc == 3)
		return cmd_registry_import(s, argv[2]);
	if (strcmp(cmd, "registry") == 0 && strcmp(sub, "list") == 0 && argc <= 3)
		return hub_store_place_each(s, argc == 3 ? argv[2] : "", print_place, NULL);
	if (strcmp(cmd, "demo") == 0) {
		if (argc == 3 && strcmp(argv[1], "--geo") == 0)
			geo = argv[2];
		else if (argc != 1)
			return 2;
		return admin_demo(s, geo, HUB_KDF_DEFAULT_ITERATIONS);
	}
	if (strcmp(cmd, "user") == 0 && strcmp(sub, "add") == 0)
		return cmd_user_add(s, argc - 1, argv + 1);
	if (strcmp(cmd, "user") == 0 && strcmp(sub, "del") == 0 && argc == 3) {
		rc = hub_store_user_del(s, argv[2]);
		if (rc == HUB_STORE_NOTFOUND)
			fprintf(stderr, "np-admin: no user '%s'\n", argv[2]);
		else if (rc == 0)
			printf("user '%s' deleted\n", argv[2]);
		return rc == 0 ? 0 : -1;
	}
	if (strcmp(cmd, "user") == 0 && strcmp(sub, "list") == 0 && argc == 2)
		return hub_store_user_each(s, print_user, NULL);
	if (strcmp(cmd, "user") == 0 && strcmp(sub, "import") == 0)
		return admin_user_import(s, argc - 1, argv + 1);
	if (strcmp(cmd, "history") == 0) {
		rc = admin_history(s, argc, argv);
		return rc == 1 ? -1 : rc;
	}
	return 2;
}

int
main(int argc, char **argv)
{
	struct hub_store *s = NULL;
	const char *db = NULL;
	char err[300];
	int i = 1, rc, create;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "--db") == 0) {
		db = argv[2];
		i = 3;
	} else if (argc > 1 && strncmp(argv[1], "--db=", 5) == 0) {
		db = argv[1] + 5;
		i = 2;
	}
	if (db == NULL || i >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	create = strcmp(argv[i], "init") == 0 || strcmp(argv[i], "demo") == 0;
	if (hub_store_open(&s, db, create ? HUB_STORE_CREATE : 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "np-admin: %s: %s\n", db, err);
		return 1;
	}
	if (create && hub_store_init(s) != 0) {
		fprintf(stderr, "np-admin: %s\n", hub_store_error(s));
		hub_store_close(s);
		return 1;
	}
	rc = run(s, argc - i, argv + i);
	if (rc == 2)
		fputs(usage, stderr);
	else if (rc != 0 && hub_store_error(s)[0] != '\0' && strcmp(argv[i], "registry") != 0
		 && strcmp(argv[i], "user") != 0 && strcmp(argv[i], "history") != 0)
		fprintf(stderr, "np-admin: %s\n", hub_store_error(s));
	hub_store_close(s);
	match_owner(db);
	return rc == 0 ? 0 : rc == 2 ? 2 : 1;
}
