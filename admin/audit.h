/* audit.h - np-admin's audit: one record per changing command (audit.c), and
 * np-admin audit. Errors as admin.h says. */
#ifndef NP_ADMIN_AUDIT_H
#define NP_ADMIN_AUDIT_H

#include <stdbool.h>

#include "admin.h"

/* true when the command words (argv[0]: the command) change the store. */
bool admin_audit_changes(int argc, char **argv);
/* Stages the record of the command argv (words, actor) in s and catches the
 * first line the command prints on stderr, until admin_audit_end. */
void admin_audit_begin(struct hub_store *s, int argc, char **argv);
/* Sets the record's target (printf-style): call before the change is written. */
void admin_audit_target(struct hub_store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Ends the record with rc's result (rc, or ADMIN_FAIL when the record cannot
 * be written); a no-op returning rc when nothing is being audited. */
enum admin_rc admin_audit_end(struct hub_store *s, enum admin_rc rc);
/* np-admin audit [--since MS] [--json]: argv[0] is "audit". */
enum admin_rc admin_audit_list(struct hub_store *s, int argc, char **argv);

#endif
