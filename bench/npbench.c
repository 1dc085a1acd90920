/* npbench.c - the load generator of `make bench` (see bench/run.sh, BENCHMARKS.md).
 *
 * One binary on libmosquitto, MQTT 5 for every client, many clients per process:
 * every client is connected with mosquitto_connect_async and driven by our own
 * epoll loop over mosquitto_socket() with mosquitto_loop_read/write/misc (no
 * thread per client). The same users, topics and payloads go to every broker
 * (bare mosquitto, mosquitto + dynamic-security, the hub): packed np.Envelope
 * reports on np/rep/P/D/V/outage of each publisher's own village, each with a
 * unique 16-byte id so the hub never sees a duplicate.
 *
 * Output: lines `result scenario=S broker=B metric=M value=V`, and `info ...`.
 *
 *   npbench throughput --pubs N [--qos Q] [--seconds S] [--window W]
 *   npbench connect    --count N [--inflight K] [--max-open M]
 *   npbench idle       --count N --hold S              (volunteers, then residents)
 *   npbench fanout     --count N [--hold S] [--repeat K] [--filter F]
 *   npbench history    --user U --filter F [--pages K] [--limit 100]
 *   npbench cases      --user U --filter AREA [--pages K] [--limit 100]: the first
 *                      page of AREA's open cases, K times
 *   npbench dynsec-ctl --admin-user U --admin-pass P   (officials + ministry, batched)
 *   npbench dynsec-json --config FILE [--iterations N]  (the villages, in bulk)
 *   npbench kdf        [--iterations N] [--repeat K]   (one login's PBKDF2 cost)
 *   npbench revoke     --count N   (np-admin user del to disconnection; $NP_DB, $NP_ADMIN)
 *   npbench receipts   --count N [--window W] [--user U] [--pages K]  (a national
 *                      announcement's receipts in waves of W connections; reach)
 * Common: --host H --port P --users FILE.csv --broker NAME --name SCENARIO
 *         [--tokens FILE] (np-admin token issue's NAME TOKEN lines: those users
 *         log in with their device token instead of their password)
 */
#include "npb.h"

struct npb_opt opt = {
	.host = "127.0.0.1", .broker = "?", .port = 1883, .pubs = 1, .qos = 0, .count = 1000,
	.inflight = 96, .max_open = 0, .pages = 200, .limit = 100, .repeat = 3, .window = 0,
	.iterations = 1000, .keepalive = 900, .seconds = 5, .hold = 3, .timeout = 120,
};

/* ---- one login's KDF ---- */

static int
cmd_kdf(void)
{
	uint8_t salt[16], hash[64];
	int64_t *t = calloc((size_t)opt.repeat, sizeof(*t));
	int i;

	RAND_bytes(salt, sizeof(salt));
	for (i = 0; i < opt.repeat; i++) {
		int64_t t0 = now_ns();

		PKCS5_PBKDF2_HMAC("pw50010101", 10, salt, sizeof(salt), opt.iterations, EVP_sha512(),
				  sizeof(hash), hash);
		t[i] = now_ns() - t0;
	}
	qsort(t, (size_t)opt.repeat, sizeof(*t), cmp_i64);
	printf("info kdf PBKDF2-HMAC-SHA512 iterations=%d runs=%d\n", opt.iterations, opt.repeat);
	result("ms_per_login", pct(t, (size_t)opt.repeat, 0.5) / 1e6);
	return 0;
}

/* ---- a free loopback port for a broker ---- */

static int
cmd_freeport(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0
	    || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return 1;
	printf("%d\n", ntohs(a.sin_port));
	close(fd);
	return 0;
}

/* ---- main ---- */

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "host", 1, NULL, 'h' }, { "port", 1, NULL, 'p' }, { "users", 1, NULL, 'U' },
		{ "broker", 1, NULL, 'b' }, { "name", 1, NULL, 'n' }, { "pubs", 1, NULL, 'P' },
		{ "subs", 1, NULL, 'S' }, { "qos", 1, NULL, 'q' }, { "seconds", 1, NULL, 's' },
		{ "count", 1, NULL, 'c' }, { "inflight", 1, NULL, 'i' }, { "max-open", 1, NULL, 'm' },
		{ "hold", 1, NULL, 'H' }, { "filter", 1, NULL, 'f' }, { "pages", 1, NULL, 'k' },
		{ "limit", 1, NULL, 'l' }, { "user", 1, NULL, 'u' }, { "repeat", 1, NULL, 'r' },
		{ "window", 1, NULL, 'w' }, { "config", 1, NULL, 'C' }, { "iterations", 1, NULL, 'I' },
		{ "admin-user", 1, NULL, 'A' }, { "admin-pass", 1, NULL, 'B' },
		{ "timeout", 1, NULL, 't' }, { "topic-mode", 1, NULL, 'T' }, { "subs-filter", 1, NULL, 'F' },
		{ "broker-pid", 1, NULL, 'D' }, { "tokens", 1, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int c, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: npbench throughput|connect|idle|fanout|history|cases|dynsec-ctl|"
			"dynsec-json|kdf|revoke|receipts [options] (see the top of bench/npbench.c)\n");
		return 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'h': opt.host = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'U': opt.users = optarg; break;
		case 'b': opt.broker = optarg; break;
		case 'n': opt.name = optarg; break;
		case 'P': opt.pubs = atoi(optarg); break;
		case 'S': break;        /* subscribers follow from the publishers' provinces */
		case 'q': opt.qos = atoi(optarg); break;
		case 's': opt.seconds = atof(optarg); break;
		case 'c': opt.count = atoi(optarg); break;
		case 'i': opt.inflight = atoi(optarg); break;
		case 'm': opt.max_open = atoi(optarg); break;
		case 'H': opt.hold = atof(optarg); break;
		case 'f': opt.filter = optarg; break;
		case 'k': opt.pages = atoi(optarg); break;
		case 'l': opt.limit = atoi(optarg); break;
		case 'u': opt.user = optarg; break;
		case 'r': opt.repeat = atoi(optarg); break;
		case 'w': opt.window = atoi(optarg); break;
		case 'C': opt.config = optarg; break;
		case 'I': opt.iterations = atoi(optarg); break;
		case 'A': opt.admin_user = optarg; break;
		case 'B': opt.admin_pass = optarg; break;
		case 't': opt.timeout = atof(optarg); break;
		case 'T': break;        /* hub topics for every broker: the same work for all */
		case 'F': opt.filter = optarg; break;
		case 'D': opt.broker_pid = atoi(optarg); break;
		case 'K': opt.tokens = optarg; break;
		default: return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrandom(&run_nonce, sizeof(run_nonce), 0) != sizeof(run_nonce))
		run_nonce = (uint16_t)getpid();
	raise_nofile(0);
	mosquitto_lib_init();
	if (strcmp(cmd, "throughput") == 0)
		rc = cmd_throughput();
	else if (strcmp(cmd, "connect") == 0)
		rc = cmd_connect();
	else if (strcmp(cmd, "idle") == 0)
		rc = cmd_crowd(false);
	else if (strcmp(cmd, "fanout") == 0)
		rc = cmd_crowd(true);
	else if (strcmp(cmd, "history") == 0)
		rc = cmd_history();
	else if (strcmp(cmd, "cases") == 0)
		rc = cmd_cases();
	else if (strcmp(cmd, "dynsec-ctl") == 0)
		rc = cmd_dynsec_ctl();
	else if (strcmp(cmd, "dynsec-json") == 0)
		rc = cmd_dynsec_json();
	else if (strcmp(cmd, "kdf") == 0)
		rc = cmd_kdf();
	else if (strcmp(cmd, "revoke") == 0)
		rc = cmd_revoke();
	else if (strcmp(cmd, "receipts") == 0)
		rc = cmd_receipts();
	else if (strcmp(cmd, "freeport") == 0)
		rc = cmd_freeport();
	else
		die("unknown command %s", cmd);
	fflush(stdout);
	/* thousands of sockets: let the kernel close them */
	_exit(rc);
}
