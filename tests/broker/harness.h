/* harness.h - a real mosquitto with np_plugin.so on a free 127.0.0.1 port, and
 * small synchronous MQTT clients (libmosquitto) to drive it from cmocka tests. */
#ifndef NP_HARNESS_H
#define NP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "np.pb-c.h"

struct hub {
	pid_t pid;
	int port;
	char dir[256];          /* temp dir: db/, mosquitto.conf, broker.log */
	char db[300];
	char conf[300];
	char log[300];
	char faketime[32];      /* non-empty: the broker runs under libfaketime */
};

/* Copies the template database ($NP_TEMPLATE_DB, made by tests/run.sh with
 * np-admin demo plus the test users) and starts mosquitto with the plugin and
 * the given extra config lines (may be NULL). 0 when it listens. */
int hub_start(struct hub *h, const char *extra_conf);
/* Starts mosquitto with conf_body as the plugin lines (no db copy made if
 * with_db is false) and waits for it to exit: for configs that must fail.
 * Returns the exit status, or -1 if it was still running after 5 s. */
int hub_start_expect_exit(struct hub *h, const char *plugin_lines, bool with_db);
void hub_stop(struct hub *h);
/* A loopback port free right now (for a second listener). */
int hub_free_port(void);
/* Stops the broker (SIGKILL when kill9, else SIGTERM) and starts it again
 * on the same port and database with extra_conf; faketime (e.g. "+2d", may be
 * NULL) runs it under libfaketime. 0 when it listens again. */
int hub_restart(struct hub *h, bool kill9, const char *faketime, const char *extra_conf);
bool hub_alive(struct hub *h);
/* Waits up to 10 s for needle to appear in the broker log (returns at once
 * when it is there: for what must appear, not for what must not). */
bool hub_log_has(struct hub *h, const char *needle);
void hub_print_log(struct hub *h);
/* Runs build/np-admin --db <hub db> ARGS with stdin_text; returns exit status. */
int hub_admin(struct hub *h, const char *stdin_text, const char *args);
/* The same with nothing on stdin, its standard output (cut to len) in out. */
int hub_admin_out(struct hub *h, const char *args, char *out, size_t len);

struct tc_msg {
	char *topic;
	uint8_t *payload;
	size_t len;
	int qos;
};

struct tc;
/* Connects user/pass (NULL for none) with MQTT 5 (version 5) or 3.1.1 (4).
 * Returns NULL when refused; *connack gets the CONNACK reason code. */
struct tc *tc_connect(struct hub *h, const char *user, const char *pass, int version,
		      int *connack);
/* Clients connected from now on send without Nagle's delay (TCP_NODELAY): a
 * test of many short request/answer rounds runs ms, not tens of ms, a round
 * (the broker needs set_tcp_nodelay true in its extra config too). */
void tc_nodelay(bool on);
/* The password of a template-database user: np-admin demo's users have
 * "<name>-demo", tests/make-template-db.sh's "<name>-pw". */
void tc_password_of(const char *user, char *pw, size_t n);
/* tc_connect with the user's template password. */
struct tc *tc_login(struct hub *h, const char *user, int version, int *connack);
/* Subscribes and returns the SUBACK code (granted QoS, or 0x80/0x87). */
int tc_subscribe(struct tc *c, const char *filter, int qos);
/* Subscribes to n filters in one SUBSCRIBE packet; codes[i] gets the SUBACK
 * code of filters[i]. Returns how many codes the SUBACK held, -1 on timeout. */
int tc_subscribe_many(struct tc *c, char *const *filters, int n, int qos, int *codes);
/* Publishes and, for QoS 1, waits for the PUBACK: returns its reason code
 * (0 or 0x10 success, 0x87 refused), -1 on timeout; QoS 0 returns 0. */
int tc_publish(struct tc *c, const char *topic, const void *payload, size_t len, int qos);
/* The next message received, waiting up to timeout_ms; false on timeout.
 * Free with tc_msg_free. */
bool tc_next(struct tc *c, struct tc_msg *out, int timeout_ms);
/* true if no message arrives within timeout_ms (what arrives is printed). */
bool tc_quiet(struct tc *c, int timeout_ms);
/* true once the broker has dropped c, waiting up to timeout_ms; messages
 * that arrive meanwhile are kept for tc_next. */
bool tc_wait_disconnected(struct tc *c, int timeout_ms);
void tc_msg_free(struct tc_msg *m);
void tc_close(struct tc *c);

/* Envelope helpers: a fresh random 16-byte id, a packed buffer (malloc'd). */
void env_new_id(uint8_t id[16]);
uint8_t *env_pack(const Np__Envelope *e, size_t *len);
/* Packs an envelope with a new id and the given body set by the caller. */
uint8_t *env_report(const char *title, size_t *len);
uint8_t *env_announcement(const char *title, size_t *len);
uint8_t *env_ack(const uint8_t report_id[16], int state, size_t *len);
uint8_t *env_dm(const char *text, size_t *len);
uint8_t *env_status(bool online, size_t *len);
uint8_t *env_showcase(const char *title, size_t *len);
/* Unpacks a received payload (NULL if it is not an Envelope). */
Np__Envelope *env_unpack(const struct tc_msg *m);

#endif
