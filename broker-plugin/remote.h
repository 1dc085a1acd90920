/* remote.h - remote administration (DESIGN.md "Credentials"): an admin's
 * np.AdminRequest on $CONTROL/np/v1/admin runs an np-admin command on the
 * hub's store, within the admin's scope (admin/remote_cmd.c), and is answered
 * with an Envelope{admin_reply} holding what np-admin would print. Any write
 * wants no other write transaction of the process open: plugin.c commits the
 * history batch first. */
#ifndef NP_REMOTE_H
#define NP_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "refusal.h"
#include "store.h"

#define HUB_ADMIN_MAX_REQUEST (16u << 20)  /* bytes of an AdminRequest, read only below this */
#define HUB_ADMIN_MAX_WORDS 256
#define HUB_ADMIN_MAX_WORD 4096
#define HUB_ADMIN_MAX_HASHES 100000
#define HUB_ADMIN_MAX_NONADMIN 4096  /* bytes of a non-admin's request read (for its id) */

/* Answers the request (borrowed) of p, connected from address. why is
 * HUB_OK when it may be read at all, else the refusal to answer with, said
 * as why_text.
 * Returns the packed Envelope{admin_reply} (malloc'd; NULL when out of
 * memory); *status is the command's exit status, and summary (len bytes)
 * the command words and the first line of its errors, for the log. */
uint8_t *hub_remote_admin(struct hub_store *s, const struct hub_principal *p, const char *address,
			  enum hub_refusal why, const char *why_text, const void *req, size_t len, int64_t now_ms,
			  size_t *out_len, int *status, char *summary, size_t summary_len);

#endif
