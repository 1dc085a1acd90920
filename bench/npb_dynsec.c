/* npb_dynsec.c - npbench dynsec-ctl and dynsec-json: provisioning the same
 * users in mosquitto's dynamic-security plugin, over its control topic
 * (officials and the ministry) or written in bulk into its JSON file (the
 * villages), for the comparison of the benchmarks. */
#include "npb.h"

/* ---- dynamic-security provisioning ---- */

static json_t *
acl(const char *type, const char *topic)
{
	return json_pack("{s:s, s:s, s:b}", "acltype", type, "topic", topic, "allow", 1);
}

static json_t *
role_official(const char *area, bool nation)
{
	char a[64], b[64];
	json_t *acls = json_array();

	if (nation) {
		json_array_append_new(acls, acl("publishClientSend", "np/ann/#"));
		json_array_append_new(acls, acl("publishClientReceive", "np/#"));
		json_array_append_new(acls, acl("subscribePattern", "np/#"));
	} else {
		snprintf(a, sizeof(a), "np/rep/%s/#", area);
		snprintf(b, sizeof(b), "np/ann/%s/#", area);
		json_array_append_new(acls, acl("publishClientSend", b));
		json_array_append_new(acls, acl("publishClientReceive", a));
		json_array_append_new(acls, acl("subscribePattern", a));
	}
	return acls;
}

struct ctl {
	int waiting;
	int errors;
};

static struct ctl CTL;

static void
ctl_on_msg(struct cl *c, const struct mosquitto_message *msg)
{
	json_t *j = json_loadb(msg->payload, (size_t)msg->payloadlen, 0, NULL), *r, *e;
	size_t i;

	(void)c;
	CTL.waiting--;
	json_array_foreach(json_object_get(j, "responses"), i, r) {
		e = json_object_get(r, "error");
		if (e != NULL && CTL.errors++ < 5)
			fprintf(stderr, "npbench: dynsec %s: %s\n",
				json_string_value(json_object_get(r, "command")), json_string_value(e));
	}
	json_decref(j);
}

static bool
ctl_done(void *arg)
{
	(void)arg;
	return CTL.waiting <= 0;
}

/* Officials (one role per province) and the ministry, through the control
 * API: many commands per message, as mosquitto_ctrl would send them one by one. */
int
cmd_dynsec_ctl(void)
{
	struct pool p;
	struct user admin = { (char *)opt.admin_user, "admin", "TH", (char *)opt.admin_pass };
	struct cl *c;
	json_t *cmds = json_array(), *msg;
	char *text, rolename[64];
	size_t i;
	int sent = 0;

	load_users();
	pool_init(&p);
	p.on_msg = ctl_on_msg;
	c = cl_new(&p, &admin, "npbench-dynsec");
	c->sub_filter = "$CONTROL/dynamic-security/v1/response";
	cl_connect(&p, c);
	while (c->state == CL_CONNECTING || c->state == CL_UP)
		pool_run(&p, 10);
	if (c->state != CL_SUBBED)
		die("%s", "cannot connect as the dynsec admin");
	for (i = 0; i < nusers; i++) {
		bool nation;

		if (strcmp(users[i].role, "official") != 0)
			continue;
		nation = strcmp(users[i].area, "TH") == 0;
		snprintf(rolename, sizeof(rolename), "off-%s", users[i].area);
		json_array_append_new(cmds, json_pack("{s:s, s:s, s:o}", "command", "createRole",
						      "rolename", rolename, "acls",
						      role_official(users[i].area, nation)));
		json_array_append_new(cmds, json_pack("{s:s, s:s, s:s, s:s, s:[{s:s}]}", "command",
						      "createClient", "username", users[i].name,
						      "password", users[i].pass, "clientid",
						      users[i].name, "roles", "rolename", rolename));
		if (json_array_size(cmds) >= 200 || i + 1 == nusers) {
			msg = json_pack("{s:O}", "commands", cmds);
			text = json_dumps(msg, JSON_COMPACT);
			mosquitto_publish_v5(c->m, NULL, "$CONTROL/dynamic-security/v1", (int)strlen(text),
					     text, 1, false, NULL);
			cl_update(&p, c);
			CTL.waiting++;
			sent += (int)json_array_size(cmds);
			free(text);
			json_decref(msg);
			json_array_clear(cmds);
		}
	}
	if (json_array_size(cmds) > 0) {
		msg = json_pack("{s:O}", "commands", cmds);
		text = json_dumps(msg, JSON_COMPACT);
		mosquitto_publish_v5(c->m, NULL, "$CONTROL/dynamic-security/v1", (int)strlen(text), text,
				     1, false, NULL);
		cl_update(&p, c);
		CTL.waiting++;
		sent += (int)json_array_size(cmds);
		free(text);
		json_decref(msg);
	}
	if (!pool_until(&p, ctl_done, NULL, 120))
		die("%s", "no answer from the dynsec control API");
	printf("info dynsec-ctl commands=%d errors=%d\n", sent, CTL.errors);
	return CTL.errors ? 1 : 0;
}

/* ---- dynsec bulk: the villages' roles and clients, written in the plugin's
 * own file format (PBKDF2-HMAC-SHA512, 12-byte salt, base64), because the
 * 2.0 control API saves the whole file after every command (quadratic). */

struct hash_job {
	size_t from, to;
	const struct user **u;
	char (*pw)[96];
	char (*salt)[24];
};

static void *
hash_worker(void *arg)
{
	struct hash_job *j = arg;
	uint8_t salt[12], hash[64];
	size_t i;

	for (i = j->from; i < j->to; i++) {
		if (RAND_bytes(salt, sizeof(salt)) != 1
		    || PKCS5_PBKDF2_HMAC(j->u[i]->pass, (int)strlen(j->u[i]->pass), salt, sizeof(salt),
					 opt.iterations, EVP_sha512(), sizeof(hash), hash) != 1)
			die("%s", "PBKDF2 failed");
		EVP_EncodeBlock((unsigned char *)j->pw[i], hash, sizeof(hash));
		EVP_EncodeBlock((unsigned char *)j->salt[i], salt, sizeof(salt));
	}
	return NULL;
}

static void
add_pattern(json_t *acls, const char *type, const char *fmt, const char *v, int len)
{
	char t[96];

	snprintf(t, sizeof(t), fmt, len, v);
	json_array_append_new(acls, acl(type, t));
}

int
cmd_dynsec_json(void)
{
	json_error_t err;
	json_t *root, *clients, *roles;
	const struct user **u;
	size_t n = 0, i;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct hash_job *jobs;
	pthread_t *th;
	char (*pw)[96], (*salt)[24];
	int64_t t0 = now_ns();

	load_users();
	if (opt.config == NULL)
		die("%s", "dynsec-json needs --config FILE");
	root = json_load_file(opt.config, 0, &err);
	if (root == NULL)
		die("cannot read %s", opt.config);
	clients = json_object_get(root, "clients");
	roles = json_object_get(root, "roles");
	u = calloc(nusers, sizeof(*u));
	for (i = 0; i < nusers; i++)
		if (strcmp(users[i].role, "volunteer") == 0 || strcmp(users[i].role, "resident") == 0)
			u[n++] = &users[i];
	pw = calloc(n, sizeof(*pw));
	salt = calloc(n, sizeof(*salt));
	if (ncpu < 1)
		ncpu = 1;
	jobs = calloc((size_t)ncpu, sizeof(*jobs));
	th = calloc((size_t)ncpu, sizeof(*th));
	for (i = 0; i < (size_t)ncpu; i++) {
		jobs[i].from = n * i / (size_t)ncpu;
		jobs[i].to = n * (i + 1) / (size_t)ncpu;
		jobs[i].u = u;
		jobs[i].pw = pw;
		jobs[i].salt = salt;
		pthread_create(&th[i], NULL, hash_worker, &jobs[i]);
	}
	for (i = 0; i < (size_t)ncpu; i++)
		pthread_join(th[i], NULL);
	/* per village: ann-V (its branch's announcements, volunteer and resident)
	 * and vol-V (its own reports): dynsec 2.0 has no %c/%u substitution */
	for (i = 0; i < nusers; i++) {
		const char *v = users[i].area;
		char name[64];
		json_t *acls;

		if (strcmp(users[i].role, "volunteer") != 0)
			continue;
		acls = json_array();
		add_pattern(acls, "subscribePattern", "np/ann/TH/#%.*s", "", 0);
		add_pattern(acls, "publishClientReceive", "np/ann/TH/#%.*s", "", 0);
		add_pattern(acls, "subscribePattern", "np/ann/%.*s/#", v, 2);
		add_pattern(acls, "publishClientReceive", "np/ann/%.*s/#", v, 2);
		add_pattern(acls, "subscribePattern", "np/ann/%.*s/#", v, 4);
		add_pattern(acls, "publishClientReceive", "np/ann/%.*s/#", v, 4);
		add_pattern(acls, "subscribePattern", "np/ann/%.*s/#", v, 8);
		add_pattern(acls, "publishClientReceive", "np/ann/%.*s/#", v, 8);
		snprintf(name, sizeof(name), "ann-%s", v);
		json_array_append_new(roles, json_pack("{s:s, s:o}", "rolename", name, "acls", acls));
		acls = json_array();
		{
			char t[96];

			snprintf(t, sizeof(t), "np/rep/%.2s/%.4s/%s/+", v, v, v);
			json_array_append_new(acls, acl("publishClientSend", t));
			snprintf(t, sizeof(t), "np/rep/%.2s/%.4s/%s/#", v, v, v);
			json_array_append_new(acls, acl("publishClientReceive", t));
			json_array_append_new(acls, acl("subscribePattern", t));
		}
		snprintf(name, sizeof(name), "vol-%s", v);
		json_array_append_new(roles, json_pack("{s:s, s:o}", "rolename", name, "acls", acls));
	}
	for (i = 0; i < n; i++) {
		char r1[64], r2[64];
		bool vol = strcmp(u[i]->role, "volunteer") == 0;

		snprintf(r1, sizeof(r1), "ann-%s", u[i]->area);
		snprintf(r2, sizeof(r2), "vol-%s", u[i]->area);
		json_array_append_new(clients, json_pack(
			"{s:s, s:s, s:s, s:s, s:i, s:o}", "username", u[i]->name, "clientid", u[i]->name,
			"password", pw[i], "salt", salt[i], "iterations", opt.iterations, "roles",
			vol ? json_pack("[{s:s}, {s:s}]", "rolename", r2, "rolename", r1)
			    : json_pack("[{s:s}]", "rolename", r1)));
	}
	if (json_dump_file(root, opt.config, JSON_INDENT(1)) != 0)
		die("cannot write %s", opt.config);
	printf("info dynsec-json clients=%zu iterations=%d in %.1f s\n", n, opt.iterations,
	       (double)(now_ns() - t0) / 1e9);
	return 0;
}
