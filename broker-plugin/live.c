/* live.c - see live.h. mosquitto 2.0.11 gives plugins two ways to cut a
 * session: by username (every connection with that name: what a change of
 * the user needs) and by client id (one connection). Neither sends the will
 * here: a will of a user who lost its rights would be published with them. */
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <mosquitto.h>

#include "live.h"

static void
kick_user(void *arg, const char *name)
{
	(void)arg;
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "np: user '%s' was changed or deleted: its sessions "
			     "are disconnected", name);
	mosquitto_kick_client_by_username(name, false);
}

void
hub_live_tick(struct hub_ctx *ctx)
{
	hub_auth_tick(ctx->auth);
	hub_auth_take_pending(ctx->auth, kick_user, ctx);
}

/* The connection logging in now has user's name already, so cutting by name
 * would cut it too: its older ones are cut one by one, by client id (the
 * connection logging in is not yet known by its id, even when it reuses one). */
void
hub_live_login(struct hub_ctx *ctx, const char *user)
{
	char **ids;
	size_t i;

	if (!hub_auth_settle(ctx->auth, user))
		return;
	ids = hub_guard_live_ids(ctx->guard, user);
	if (ids == NULL) {
		kick_user(ctx, user);   /* out of memory: this login goes too, none stays */
		return;
	}
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "np: user '%s' was changed: its sessions before the "
			     "change are disconnected", user);
	for (i = 0; ids[i] != NULL; i++)
		mosquitto_kick_client_by_clientid(ids[i], false);
	hub_guard_ids_free(ids);
}
