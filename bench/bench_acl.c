/* bench_acl.c - the access decision alone: ns per hub_acl_check for writes,
 * reads (deliveries, dir = NULL as in the plugin) and subscriptions across roles.
 * Each case runs ITER checks per run, RUNS runs; the median run is reported.
 * Registry look-ups go to an in-memory fake (always found), or with --db DIR to
 * the real LMDB store, as in the broker (plugin.c's dir_place_exists).
 *   bench_acl [--db DIR] [--iterations N] [--runs R]
 * With --db, also what each check costs before it: the principal of a cached
 * user (auth.c), which first asks the store whether any process committed
 * since (hub_store_version, so np-admin's changes reach every delivery).
 * Output: result scenario=acl broker=hub metric=<case>_ns value=V */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acl.h"
#include "auth.h"
#include "store.h"
#include "vocab.h"

static struct hub_store *store;

static bool
fake_place(void *ctx, const char *code)
{
	(void)ctx;
	return code[0] != '\0';
}

static bool
fake_official(void *ctx, const char *name)
{
	(void)ctx;
	return name[0] != '\0';
}

static bool
db_place(void *ctx, const char *code)
{
	(void)ctx;
	return hub_store_place_exists(store, code);
}

static bool
db_official(void *ctx, const char *name)
{
	struct hub_user u;

	(void)ctx;
	return hub_store_user_get(store, name, &u) == 0 && u.role == HUB_ROLE_OFFICIAL;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct bcase {
	const char *name;
	struct hub_principal p;
	enum hub_access a;
	const char *topic;
	bool grant;
};

static struct hub_principal
who(const char *name, enum hub_role r, const char *scope)
{
	struct hub_principal p;

	memset(&p, 0, sizeof(p));
	p.username = name;
	p.role = r;
	snprintf(p.scope, sizeof(p.scope), "%s", scope);
	return p;
}

/* ns of one hub_auth_principal of a cached user, and of its store check alone */
static int
principal_cost(long iter, int runs, double *t)
{
	struct hub_auth *a;
	volatile uint64_t vsink = 0;
	const struct hub_principal *volatile psink;
	int r, which;
	long k;

	if (hub_auth_new(&a, store) != 0 || hub_auth_principal(a, "admin") == NULL) {
		fprintf(stderr, "bench_acl: no user 'admin' in the database\n");
		return 1;
	}
	for (which = 0; which < 2; which++) {
		for (r = 0; r < runs; r++) {
			int64_t t0 = now_ns();

			for (k = 0; k < iter; k++) {
				if (which == 0)
					psink = hub_auth_principal(a, "admin");
				else
					vsink += hub_store_version(store);
			}
			t[r] = (double)(now_ns() - t0) / (double)iter;
		}
		qsort(t, (size_t)runs, sizeof(*t), cmp_d);
		printf("result scenario=acl_lmdb broker=hub metric=%s_ns value=%.1f\n",
		       which == 0 ? "principal_cached" : "store_version", t[runs / 2]);
	}
	(void)psink;
	(void)vsink;
	hub_auth_free(a);
	return 0;
}

int
main(int argc, char **argv)
{
	struct hub_dir fake = { fake_place, fake_official, NULL }, real = { db_place, db_official, NULL };
	const struct hub_dir *dir = &fake;
	long iter = 2000000;
	int runs = 7, i, r;
	char err[256];
	struct hub_principal vol = who("v50010101", HUB_ROLE_VOLUNTEER, "50010101");
	struct hub_principal res = who("r50010101", HUB_ROLE_RESIDENT, "50010101");
	struct hub_principal offp = who("o50", HUB_ROLE_OFFICIAL, "50");
	struct hub_principal offth = who("ministry", HUB_ROLE_OFFICIAL, "TH");
	struct hub_principal op = who("op50", HUB_ROLE_OPERATOR, "50");
	struct hub_principal adm = who("admin", HUB_ROLE_ADMIN, "TH");
	struct hub_principal ag = who("agri", HUB_ROLE_AGENCY, "50");

	ag.categories = 1u << hub_category_index("agriculture", 11);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			if (hub_store_open(&store, argv[++i], 0, err, sizeof(err)) != 0) {
				fprintf(stderr, "bench_acl: %s\n", err);
				return 1;
			}
			dir = &real;
		} else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
			iter = atol(argv[++i]);
		} else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			runs = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: bench_acl [--db DIR] [--iterations N] [--runs R]\n");
			return 2;
		}
	}
	const struct bcase cases[] = {
		{ "write_report_volunteer", vol, HUB_WRITE, "np/rep/50/5001/50010101/outage", true },
		{ "write_report_other_village", vol, HUB_WRITE, "np/rep/50/5001/50010102/outage", false },
		{ "write_ann_official", offp, HUB_WRITE, "np/ann/5001/weather", true },
		{ "write_ann_ministry", offth, HUB_WRITE, "np/ann/TH/general", true },
		{ "write_dm_volunteer", vol, HUB_WRITE, "np/dm/50010102", true },
		{ "write_ann_agency", ag, HUB_WRITE, "np/ann/50/agriculture", true },
		{ "read_report_official", offp, HUB_READ, "np/rep/50/5001/50010101/outage", true },
		{ "read_ann_resident", res, HUB_READ, "np/ann/TH/general", true },
		{ "read_ann_volunteer", vol, HUB_READ, "np/ann/5001/weather", true },
		{ "read_report_operator", op, HUB_READ, "np/rep/50/5001/50010101/outage", true },
		{ "read_any_admin", adm, HUB_READ, "np/rep/50/5001/50010101/outage", true },
		{ "sub_province_official", offp, HUB_SUBSCRIBE, "np/rep/50/#", true },
		{ "sub_ann_th_resident", res, HUB_SUBSCRIBE, "np/ann/TH/#", true },
		{ "sub_own_village", vol, HUB_SUBSCRIBE, "np/rep/50/5001/50010101/#", true },
		{ "sub_np_all_volunteer", vol, HUB_SUBSCRIBE, "np/#", false },
		{ "sub_outage_operator", op, HUB_SUBSCRIBE, "np/rep/50/+/+/outage", true },
	};
	size_t nc = sizeof(cases) / sizeof(cases[0]), c;
	double *t = calloc((size_t)runs, sizeof(*t)), sum = 0;
	volatile enum hub_refusal sink;

	printf("info acl iterations=%ld runs=%d dir=%s\n", iter, runs, store ? "lmdb" : "fake");
	for (c = 0; c < nc; c++) {
		const struct bcase *b = &cases[c];
		const struct hub_dir *d = b->a == HUB_READ ? NULL : dir;
		enum hub_refusal why = hub_acl_check(&b->p, b->a, b->topic, d);

		if ((why == HUB_OK) != b->grant) {
			fprintf(stderr, "bench_acl: %s: expected %s, got %s\n", b->name,
				b->grant ? "grant" : "refusal", hub_refusal_text(why));
			return 1;
		}
		for (r = 0; r < runs; r++) {
			int64_t t0 = now_ns();
			long k;

			for (k = 0; k < iter; k++)
				sink = hub_acl_check(&b->p, b->a, b->topic, d);
			t[r] = (double)(now_ns() - t0) / (double)iter;
		}
		(void)sink;
		qsort(t, (size_t)runs, sizeof(*t), cmp_d);
		printf("result scenario=acl%s broker=hub metric=%s_ns value=%.1f\n",
		       store ? "_lmdb" : "", b->name, t[runs / 2]);
		sum += t[runs / 2];
	}
	printf("result scenario=acl%s broker=hub metric=mean_ns value=%.1f\n", store ? "_lmdb" : "",
	       sum / (double)nc);
	if (store != NULL && principal_cost(iter, runs, t) != 0)
		return 1;
	hub_store_close(store);
	free(t);
	return 0;
}
