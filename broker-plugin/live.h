/* live.h - changes to users take effect on live connections: the sessions of
 * a user deleted, or whose role, area, categories or password changed (by
 * np-admin, another process, while the broker runs) are disconnected. auth.c
 * says which users changed and denies them everything until then; this
 * module disconnects, from the broker's thread only (event callbacks). */
#ifndef NP_LIVE_H
#define NP_LIVE_H

#include "hub.h"

/* Disconnects the sessions of every user that changed; call at every tick. */
void hub_live_tick(struct hub_ctx *ctx);

/* Before admitting a login of user (its credential checked): when user
 * changed, disconnects its older sessions now, so the new one, admitted
 * with the new rights, is not cut too. */
void hub_live_login(struct hub_ctx *ctx, const char *user);

#endif
