/* npb_revoke.c - npbench revoke: how long a deleted user's live session
 * survives. For each of --count residents of --users in turn: one client logs
 * in and follows np/ann/TH/#, `np-admin --db $NP_DB user del NAME` is started
 * ($NP_ADMIN, default build/np-admin), and the time from that start to the
 * broker dropping the client is measured, with np-admin's own run time. The
 * broker is otherwise idle: no traffic makes it look at the users sooner. */
#include <fcntl.h>
#include <spawn.h>

#include "npb.h"

extern char **environ;

struct victim {
	struct mosquitto *m;
	int connack, suback;
	bool gone;
};

static void
on_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *p)
{
	(void)m;
	(void)flags;
	(void)p;
	((struct victim *)obj)->connack = rc;
}

static void
on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
	     const mosquitto_property *p)
{
	(void)m;
	(void)mid;
	(void)p;
	((struct victim *)obj)->suback = n > 0 ? granted[0] : 0x80;
}

static void
on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *p)
{
	(void)m;
	(void)rc;
	(void)p;
	((struct victim *)obj)->gone = true;
}

/* Pumps v until *watch != unset or v is gone, at most ms. */
static bool
pump(struct victim *v, const int *watch, int unset, int ms)
{
	int64_t end = now_ns() + (int64_t)ms * 1000000;

	while (now_ns() < end && !v->gone && (watch == NULL || *watch == unset))
		if (mosquitto_loop(v->m, 1, 1) != MOSQ_ERR_SUCCESS && !v->gone)
			usleep(1000);
	return watch != NULL ? *watch != unset : v->gone;
}

static pid_t
spawn_del(const char *name)
{
	const char *admin = getenv("NP_ADMIN") ? getenv("NP_ADMIN") : "build/np-admin";
	char *argv[] = { (char *)admin, "--db", getenv("NP_DB"), "user", "del", (char *)name, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, admin, &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* One victim: 0 and its times (ns since np-admin started), or -1. */
static int
one(const struct user *u, int64_t *to_gone, int64_t *admin_ran)
{
	struct victim v = { NULL, -1, -1, false };
	int64_t t0, t_admin = 0;
	pid_t pid;
	int st, rc = -1;

	v.m = mosquitto_new(NULL, true, &v);
	mosquitto_int_option(v.m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_connect_v5_callback_set(v.m, on_connect);
	mosquitto_subscribe_v5_callback_set(v.m, on_subscribe);
	mosquitto_disconnect_v5_callback_set(v.m, on_disconnect);
	mosquitto_username_pw_set(v.m, u->name, u->pass);
	if (mosquitto_connect(v.m, opt.host, opt.port, 60) != MOSQ_ERR_SUCCESS
	    || !pump(&v, &v.connack, -1, 10000) || v.connack != 0
	    || mosquitto_subscribe(v.m, NULL, "np/ann/TH/#", 1) != MOSQ_ERR_SUCCESS
	    || !pump(&v, &v.suback, -1, 5000) || v.suback != 1)
		goto out;
	t0 = now_ns();
	pid = spawn_del(u->name);
	if (pid < 0)
		goto out;
	while (!v.gone && now_ns() - t0 < 5000000000LL) {
		pump(&v, NULL, 0, 1);
		if (t_admin == 0 && waitpid(pid, &st, WNOHANG) == pid)
			t_admin = now_ns();
	}
	*to_gone = now_ns() - t0;
	if (t_admin == 0 && waitpid(pid, &st, 0) == pid)
		t_admin = now_ns();
	*admin_ran = t_admin - t0;
	rc = v.gone && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
out:
	mosquitto_destroy(v.m);
	return rc;
}

int
cmd_revoke(void)
{
	int64_t *gone = calloc((size_t)opt.count, sizeof(int64_t));
	int64_t *ran = calloc((size_t)opt.count, sizeof(int64_t));
	size_t i, n = 0;
	int fails = 0;

	if (getenv("NP_DB") == NULL)
		die("%s", "revoke needs NP_DB, the hub's database directory");
	load_users();
	for (i = 0; i < nusers && (int)(n + (size_t)fails) < opt.count; i++) {
		if (strcmp(users[i].role, "resident") != 0)
			continue;
		if (one(&users[i], &gone[n], &ran[n]) == 0)
			n++;
		else
			fails++;
	}
	printf("info revoke: %zu sessions cut by np-admin user del, %d failed\n", n, fails);
	if (n == 0)
		return 1;
	qsort(gone, n, sizeof(*gone), cmp_i64);
	qsort(ran, n, sizeof(*ran), cmp_i64);
	result("del_to_disconnect_ms_p50", pct(gone, n, 0.5) / 1e6);
	result("del_to_disconnect_ms_max", (double)gone[n - 1] / 1e6);
	result("np_admin_ms_p50", pct(ran, n, 0.5) / 1e6);
	result("failed", fails);
	return fails > 0;
}
