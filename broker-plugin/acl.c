/* acl.c - the access decision of DESIGN.md ("Roles", "Topics").
 *
 * topic.c reads a topic or filter as a view: its kind (ann, rep, status, show,
 * dm, reply), the most specific place it names (or "any"), its sub-level
 * (category, report or showcase kind) and its name level (inbox or reply
 * owner). The role rules are then a few comparisons on that view.
 * For a subscription filter a wildcard is "any", and a rule holds for "any" only
 * if it holds for every value, so a filter is granted exactly when every valid
 * topic it can match is readable. Invalid topics (wrong depth, bad codes) cannot be
 * published, so a filter's matches among them do not count.
 * An admin of TH reads everything ($SYS too); a scoped admin (a province or a
 * district) reads the np topics within its scope, its villages' inboxes and
 * its own replies, and nothing else (admin_may_read). */
#include <stdio.h>
#include <string.h>

#include "acl.h"

typedef struct hub_topic_view view_t;

/* The area is the scope itself or contains it (TH, 50, 5001 for 50010101). */
static bool
on_branch(const view_t *v, const char *scope)
{
	size_t n = strlen(v->area);

	return !v->any_area && (strcmp(v->area, "TH") == 0 || strncmp(scope, v->area, n) == 0);
}

static bool
within(const view_t *v, const char *scope)
{
	return strcmp(scope, "TH") == 0
	       || (!v->any_area && strcmp(v->area, "TH") != 0 && hub_area_within(v->area, scope));
}

static bool
is_own(const view_t *v, const char *scope)
{
	return !v->any_area && strcmp(v->area, scope) == 0;
}

static bool
is_th_admin(const struct hub_principal *p)
{
	return p->role == HUB_ROLE_ADMIN && strcmp(p->scope, "TH") == 0;
}

/* A scoped admin: every kind within its scope; the inboxes of its villages. */
static enum hub_refusal
admin_may_read(const struct hub_principal *p, const view_t *v)
{
	static const enum hub_refusal why[HUB_KIND_COUNT] = {
		[HUB_KIND_ANN] = HUB_R_READ_ANN,        [HUB_KIND_REP] = HUB_R_READ_REP,
		[HUB_KIND_STATUS] = HUB_R_READ_STATUS,  [HUB_KIND_SHOW] = HUB_R_READ_SHOW,
		[HUB_KIND_DM] = HUB_R_READ_DM,          [HUB_KIND_REPLY] = HUB_R_READ_REPLY,
	};
	size_t n = strlen(p->scope);
	bool ok;

	if ((unsigned)v->kind >= HUB_KIND_COUNT)
		return HUB_R_UNKNOWN_KIND;
	if (v->kind == HUB_KIND_REPLY)
		ok = hub_level_is(&v->name, p->username);
	else if (v->kind == HUB_KIND_DM)
		ok = !v->name.any && v->name.n > n && memcmp(v->name.s, p->scope, n) == 0
		     && hub_area_level(v->name.s, v->name.n) == HUB_LEVEL_VILLAGE;
	else
		ok = within(v, p->scope);
	return ok ? HUB_OK : why[v->kind];
}

/* Keep hub_acl_read_reach (below) a superset of this: test_query_reach checks it. */
static enum hub_refusal
may_read(const struct hub_principal *p, const view_t *v)
{
	enum hub_role r = p->role;
	bool ok = false;

	if (r == HUB_ROLE_ADMIN)
		return is_th_admin(p) ? HUB_OK : admin_may_read(p, v);
	switch (v->kind) {
	case HUB_KIND_ANN:
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_RESIDENT)
			ok = on_branch(v, p->scope);
		else if (r == HUB_ROLE_OFFICIAL)
			ok = on_branch(v, p->scope) || within(v, p->scope);
		else if (r == HUB_ROLE_AGENCY)
			ok = within(v, p->scope);
		return ok ? HUB_OK : HUB_R_READ_ANN;
	case HUB_KIND_REP:
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_OFFICIAL)
			ok = within(v, p->scope);
		else if (r == HUB_ROLE_OPERATOR)
			ok = within(v, p->scope) && (hub_level_is(&v->sub, "outage")
						     || hub_level_is(&v->sub, HUB_ACK_WORD));
		return ok ? HUB_OK : HUB_R_READ_REP;
	case HUB_KIND_STATUS:
		if (r == HUB_ROLE_OFFICIAL || r == HUB_ROLE_OPERATOR)
			ok = within(v, p->scope);
		return ok ? HUB_OK : HUB_R_READ_STATUS;
	case HUB_KIND_SHOW:
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_RESIDENT || r == HUB_ROLE_OFFICIAL)
			ok = true;
		else if (r == HUB_ROLE_AGENCY)
			ok = within(v, p->scope);
		return ok ? HUB_OK : HUB_R_READ_SHOW;
	case HUB_KIND_DM:
		if (r == HUB_ROLE_VOLUNTEER)
			ok = hub_level_is(&v->name, p->scope);
		else if (r == HUB_ROLE_OFFICIAL)
			ok = hub_level_is(&v->name, p->username);
		return ok ? HUB_OK : HUB_R_READ_DM;
	case HUB_KIND_REPLY:
		return hub_level_is(&v->name, p->username) ? HUB_OK : HUB_R_READ_REPLY;
	default:
		return HUB_R_UNKNOWN_KIND;
	}
}

static enum hub_refusal
may_write(const struct hub_principal *p, const view_t *v)
{
	enum hub_role r = p->role;
	bool ack = hub_level_is(&v->sub, HUB_ACK_WORD);
	bool ok = false;

	switch (v->kind) {
	case HUB_KIND_ANN:
		if (r == HUB_ROLE_VOLUNTEER)
			ok = is_own(v, p->scope);
		else if (r == HUB_ROLE_OFFICIAL)
			ok = within(v, p->scope);
		else if (r == HUB_ROLE_AGENCY)
			ok = within(v, p->scope)
			     && (p->categories & (1u << hub_category_index(v->sub.s, v->sub.n)));
		else if (r == HUB_ROLE_OPERATOR)
			ok = within(v, p->scope) && hub_level_is(&v->sub, "network");
		return ok ? HUB_OK : HUB_R_WRITE_ANN;
	case HUB_KIND_REP:
		/* an agency's ack passes here only to meet publish.c's case
		 * rule: it may ack the cases assigned to it, nothing else */
		if (ack)
			ok = (r == HUB_ROLE_OFFICIAL || r == HUB_ROLE_OPERATOR
			      || r == HUB_ROLE_AGENCY) && within(v, p->scope);
		else
			ok = r == HUB_ROLE_VOLUNTEER && is_own(v, p->scope);
		if (ok)
			return HUB_OK;
		return ack ? HUB_R_WRITE_ACK : HUB_R_WRITE_REP;
	case HUB_KIND_STATUS:
		ok = r == HUB_ROLE_VOLUNTEER && is_own(v, p->scope);
		return ok ? HUB_OK : HUB_R_WRITE_OWN_VILLAGE;
	case HUB_KIND_SHOW:
		/* an official's showcase may only withdraw one (publish.c) */
		ok = (r == HUB_ROLE_VOLUNTEER && is_own(v, p->scope))
		     || (r == HUB_ROLE_OFFICIAL && within(v, p->scope));
		return ok ? HUB_OK : HUB_R_WRITE_OWN_VILLAGE;
	case HUB_KIND_DM:
		ok = r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_OFFICIAL;
		return ok ? HUB_OK : HUB_R_WRITE_DM;
	case HUB_KIND_REPLY:
		return HUB_R_WRITE_REPLY;
	default:
		return HUB_R_UNKNOWN_KIND;
	}
}

/* ---- where a principal may read, for the history planner ---- */

static void
reach_add(struct hub_reach *out, const char *at, size_t n, bool exact)
{
	if (out->n == HUB_REACH_MAX)
		return;
	snprintf(out->r[out->n].at, sizeof(out->r[0].at), "%.*s", (int)n, at);
	out->r[out->n].exact = exact;
	out->n++;
}

/* The scope and every place within it ("" for TH: everywhere). */
static void
reach_within(struct hub_reach *out, const char *scope)
{
	reach_add(out, scope, strcmp(scope, "TH") == 0 ? 0 : strlen(scope), false);
}

/* TH and the areas containing the scope (not the scope itself): on_branch. */
static void
reach_branch(struct hub_reach *out, const char *scope)
{
	static const size_t lens[] = { 2, 4, 8 };
	size_t i, n = strlen(scope);

	if (strcmp(scope, "TH") == 0)
		return;
	reach_add(out, "TH", 2, true);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]) && lens[i] < n; i++)
		reach_add(out, scope, lens[i], true);
}

void
hub_acl_read_reach(const struct hub_principal *p, enum hub_kind k, struct hub_reach *out)
{
	enum hub_role r = p->role;

	out->n = 0;
	if (is_th_admin(p)) {
		reach_add(out, "", 0, false);
		return;
	}
	if (r == HUB_ROLE_ADMIN) {      /* scoped: within it (dm: its villages' inboxes) */
		if (k == HUB_KIND_REPLY)
			reach_add(out, p->username, strlen(p->username), true);
		else if (k < HUB_KIND_COUNT)
			reach_within(out, p->scope);
		return;
	}
	switch (k) {
	case HUB_KIND_ANN:
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_RESIDENT || r == HUB_ROLE_OFFICIAL)
			reach_branch(out, p->scope);
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_RESIDENT)
			reach_add(out, p->scope, strlen(p->scope), true);
		else if (r == HUB_ROLE_OFFICIAL || r == HUB_ROLE_AGENCY)
			reach_within(out, p->scope);
		return;
	case HUB_KIND_REP:
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_OFFICIAL || r == HUB_ROLE_OPERATOR)
			reach_within(out, p->scope);
		return;
	case HUB_KIND_STATUS:
		if (r == HUB_ROLE_OFFICIAL || r == HUB_ROLE_OPERATOR)
			reach_within(out, p->scope);
		return;
	case HUB_KIND_SHOW:
		if (r == HUB_ROLE_AGENCY)
			reach_within(out, p->scope);
		else if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_RESIDENT
			 || r == HUB_ROLE_OFFICIAL)
			reach_add(out, "", 0, false);
		return;
	case HUB_KIND_DM:
		if (r == HUB_ROLE_VOLUNTEER)
			reach_add(out, p->scope, strlen(p->scope), true);
		else if (r == HUB_ROLE_OFFICIAL)
			reach_add(out, p->username, strlen(p->username), true);
		return;
	case HUB_KIND_REPLY:
		reach_add(out, p->username, strlen(p->username), true);
		return;
	default:
		return;
	}
}

/* ---- who may ask an announcement's reach ---- */

enum hub_refusal
hub_acl_may_reach(const struct hub_principal *p, const char *area, const char *sender)
{
	if (p == NULL || p->role == HUB_ROLE_NONE)
		return HUB_R_NOT_AUTHENTICATED;
	if (strcmp(p->username, sender) == 0)
		return HUB_OK;
	if ((p->role == HUB_ROLE_OFFICIAL || p->role == HUB_ROLE_ADMIN)
	    && hub_area_within(area, p->scope))
		return HUB_OK;
	return HUB_R_REACH_SCOPE;
}

/* ---- the decision ---- */

/* Looks up the places and inbox a view names literally. */
static enum hub_refusal
check_dir(const view_t *v, const struct hub_dir *dir, enum hub_access a)
{
	char name[HUB_USERNAME_MAX + 1];

	if (dir == NULL)
		return HUB_OK;
	if (!v->any_area && strcmp(v->area, "TH") != 0 && !dir->place_exists(dir->ctx, v->area))
		return HUB_R_NO_PLACE;
	if (v->kind != HUB_KIND_DM || a != HUB_WRITE)
		return HUB_OK;
	memcpy(name, v->name.s, v->name.n);
	name[v->name.n] = '\0';
	if (hub_area_level(name, v->name.n) == HUB_LEVEL_VILLAGE)
		return dir->place_exists(dir->ctx, name) ? HUB_OK : HUB_R_NO_INBOX_VILLAGE;
	return dir->official_exists(dir->ctx, name) ? HUB_OK : HUB_R_NO_INBOX_OFFICIAL;
}

/* One kind named literally (always for write and read). */
static enum hub_refusal
check_kind(const struct hub_principal *p, enum hub_access a, const struct hub_topic_levels *lv,
	   enum hub_kind k, const struct hub_dir *dir)
{
	view_t v;
	enum hub_refusal why;

	why = hub_topic_view(lv, k, &v);
	if (why == HUB_OK && a != HUB_READ)
		why = check_dir(&v, dir, a);
	if (why != HUB_OK)
		return why;
	return a == HUB_WRITE ? may_write(p, &v) : may_read(p, &v);
}

/* A filter whose kind level is a wildcard: every kind it can match must be readable. */
static enum hub_refusal
check_any_kind(const struct hub_principal *p, const struct hub_topic_levels *lv,
	       const struct hub_dir *dir)
{
	view_t v;
	enum hub_refusal why;
	bool matched = false;
	int k;

	for (k = 0; k < HUB_KIND_COUNT; k++) {
		if (hub_topic_view(lv, (enum hub_kind)k, &v) != HUB_OK)
			continue;
		matched = true;
		why = check_dir(&v, dir, HUB_SUBSCRIBE);
		if (why == HUB_OK)
			why = may_read(p, &v);
		if (why != HUB_OK)
			return why;
	}
	return matched ? HUB_OK : HUB_R_FILTER_MATCHES_NOTHING;
}

static bool
is_or_under(const char *topic, const char *top)
{
	size_t n = strlen(top);

	return strncmp(topic, top, n) == 0 && (topic[n] == '\0' || topic[n] == '/');
}

static enum hub_refusal
check_special(const struct hub_principal *p, enum hub_access a, const char *topic)
{
	/* where publish.c parks acknowledged resends: nobody reads it, not even the admin */
	if (is_or_under(topic, HUB_TOPIC_HUB))
		return HUB_R_HUB_OWN;
	if (is_or_under(topic, "$SYS"))
		return (a != HUB_WRITE && is_th_admin(p)) ? HUB_OK : HUB_R_SYS_ADMIN;
	if ((strcmp(topic, HUB_TOPIC_HISTORY_REQUEST) == 0
	     || strcmp(topic, HUB_TOPIC_TOKEN_REQUEST) == 0 || strcmp(topic, HUB_TOPIC_RECEIPT) == 0
	     || strcmp(topic, HUB_TOPIC_REACH_REQUEST) == 0
	     || strcmp(topic, HUB_TOPIC_CASES_REQUEST) == 0
	     || strcmp(topic, HUB_TOPIC_CASE_STATS_REQUEST) == 0
	     || strcmp(topic, HUB_TOPIC_ADMIN_REQUEST) == 0) && a == HUB_WRITE)
		return HUB_OK;  /* requests the plugin answers itself (plugin.c) */
	if (is_th_admin(p) && a != HUB_WRITE)
		return HUB_OK;
	return HUB_R_NOT_NP;
}

/* A shared subscription group belongs to one user: its name is the username,
 * or the username, '~' and anything. Otherwise one user could join another's
 * group and take its share of the messages (and, unable to read them, drop
 * them). g is what follows "$share/". */
static enum hub_refusal
share_group(const struct hub_principal *p, const char *g)
{
	const char *slash = strchr(g, '/');
	size_t n = strlen(p->username);

	if (slash == NULL || slash == g)
		return HUB_R_BAD_SHARE;
	if (strncmp(g, p->username, n) != 0 || (g[n] != '/' && g[n] != '~'))
		return HUB_R_SHARE_NOT_OWN;
	return HUB_OK;
}

enum hub_refusal
hub_acl_check(const struct hub_principal *p, enum hub_access a, const char *topic,
	      const struct hub_dir *dir)
{
	struct hub_topic_levels lv;
	enum hub_refusal why;
	enum hub_kind k;

	if (p == NULL || p->role == HUB_ROLE_NONE)
		return HUB_R_NOT_AUTHENTICATED;
	if (topic == NULL || topic[0] == '\0')
		return HUB_R_EMPTY_TOPIC;
	if (a == HUB_SUBSCRIBE && strncmp(topic, "$share/", 7) == 0) {
		why = share_group(p, topic + 7);
		if (why != HUB_OK)
			return why;
		topic = strchr(topic + 7, '/') + 1;
	}
	why = hub_topic_split(topic, &lv);
	if (why != HUB_OK)
		return why;
	if (a != HUB_SUBSCRIBE && strpbrk(topic, "+#") != NULL)
		return HUB_R_WILDCARD_IN_TOPIC;
	if (a == HUB_SUBSCRIBE && hub_level_is_hash(&lv.l[0])) {
		/* "#" is "np/#" as far as np topics go */
		lv.count = 2;
		lv.l[1] = lv.l[0];
		lv.l[0].s = "np";
		lv.l[0].n = 2;
		lv.l[0].any = false;
	}
	if (!(hub_level_is(&lv.l[0], "np") || (a == HUB_SUBSCRIBE && lv.l[0].any)))
		return check_special(p, a, topic);
	if (lv.count < 2)
		return a == HUB_SUBSCRIBE ? HUB_R_FILTER_MATCHES_NOTHING : HUB_R_NOT_VALID_NP;
	if (a == HUB_SUBSCRIBE && lv.l[1].any) {
		if (is_th_admin(p))
			return HUB_OK;
		return check_any_kind(p, &lv, dir);
	}
	k = lv.l[1].any ? HUB_KIND_COUNT : hub_kind_parse(lv.l[1].s, lv.l[1].n);
	if (k == HUB_KIND_COUNT)
		return HUB_R_UNKNOWN_KIND;
	return check_kind(p, a, &lv, k, dir);
}
