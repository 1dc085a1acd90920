/* acl.c - the access decision of DESIGN.md ("Roles", "Topics").
 *
 * A topic or filter is split into levels without copying, then seen as a view:
 * its kind (ann, rep, status, show, dm, reply), the most specific place it names
 * (or "any"), its sub-level (category, report or showcase kind) and its name level
 * (inbox or reply owner). The role rules are then a few comparisons on that view.
 * For a subscription filter a wildcard is "any", and a rule holds for "any" only
 * if it holds for every value, so a filter is granted exactly when every valid
 * topic it can match is readable. Invalid topics (wrong depth, bad codes) cannot be
 * published, so a filter's matches among them do not count. */
#include <string.h>

#include "acl.h"

enum kind { K_ANN, K_REP, K_STATUS, K_SHOW, K_DM, K_REPLY, K_COUNT };

static const struct {
	const char *word;
	int fields;             /* levels after np/<kind>; reply: owner + at least one */
} kinds[K_COUNT] = {
	[K_ANN] = { "ann", 2 }, [K_REP] = { "rep", 4 }, [K_STATUS] = { "status", 3 },
	[K_SHOW] = { "show", 4 }, [K_DM] = { "dm", 1 }, [K_REPLY] = { "reply", 2 },
};

struct field {
	const char *s;
	size_t n;
	bool any;
};

struct view {
	enum kind kind;
	bool any_area;
	char area[HUB_AREA_MAX + 1];
	struct field sub;
	struct field name;
};

struct levels {
	struct field l[HUB_TOPIC_MAX_LEVELS];
	int count;
};

static const char *
split(const char *topic, struct levels *lv)
{
	const char *p = topic;
	const char *slash;

	lv->count = 0;
	for (;;) {
		if (lv->count == HUB_TOPIC_MAX_LEVELS)
			return "topic has too many levels";
		slash = strchr(p, '/');
		lv->l[lv->count].s = p;
		lv->l[lv->count].n = slash ? (size_t)(slash - p) : strlen(p);
		lv->l[lv->count].any = lv->l[lv->count].n == 1 && (*p == '+' || *p == '#');
		lv->count++;
		if (slash == NULL)
			return NULL;
		p = slash + 1;
	}
}

static bool
is_word(const struct field *f, const char *w)
{
	return !f->any && f->n == strlen(w) && memcmp(f->s, w, f->n) == 0;
}

static bool
is_hash(const struct field *f)
{
	return f->n == 1 && f->s[0] == '#';
}

/* Fills out[] with the kind's fields as the levels constrain them. Returns
 * false when the levels cannot match a topic of this kind (wrong depth). */
static bool
fields_of(const struct levels *lv, enum kind k, struct field *out)
{
	int m = kinds[k].fields;
	int j;
	int idx;

	if (lv->count == 2 && is_hash(&lv->l[1])) {   /* np/# */
		for (j = 0; j < m; j++)
			out[j].any = true;
		return true;
	}
	for (j = 0; j < m; j++) {
		idx = 2 + j;
		if (idx < lv->count && is_hash(&lv->l[idx])) {
			for (; j < m; j++)
				out[j].any = true;
			return true;
		}
		if (idx >= lv->count)
			return false;
		out[j] = lv->l[idx];
	}
	if (k == K_REPLY || lv->count == 2 + m)
		return true;
	/* "a/#" also matches "a" itself */
	return lv->count == 3 + m && is_hash(&lv->l[2 + m]);
}

static const char *
place_fields(const struct field *f, struct view *v)
{
	static const enum hub_level want[3] = { HUB_LEVEL_PROVINCE, HUB_LEVEL_DISTRICT,
						HUB_LEVEL_VILLAGE };
	static const char *const bad[3] = { "bad province code", "bad district code",
					    "bad village code" };
	const struct field *prev = NULL;
	int i;

	v->any_area = true;
	for (i = 0; i < 3; i++) {
		if (f[i].any)
			continue;
		if (hub_area_level(f[i].s, f[i].n) != want[i])
			return bad[i];
		if (prev != NULL && memcmp(f[i].s, prev->s, prev->n) != 0)
			return "province, district and village codes do not agree";
		prev = &f[i];
	}
	if (prev != NULL) {
		v->any_area = false;
		memcpy(v->area, prev->s, prev->n);
		v->area[prev->n] = '\0';
	}
	return NULL;
}

static const char *
make_view(const struct field *f, enum kind k, struct view *v)
{
	const char *why = NULL;

	memset(v, 0, sizeof(*v));
	v->kind = k;
	v->any_area = true;
	v->sub.any = true;
	v->name.any = true;
	switch (k) {
	case K_ANN:
		if (!f[0].any) {
			if (f[0].n > HUB_AREA_MAX || hub_area_level(f[0].s, f[0].n) == HUB_LEVEL_BAD
			    || hub_area_level(f[0].s, f[0].n) == HUB_LEVEL_SUBDISTRICT)
				return "bad area code";
			v->any_area = false;
			memcpy(v->area, f[0].s, f[0].n);
		}
		v->sub = f[1];
		if (!v->sub.any && hub_category_index(v->sub.s, v->sub.n) < 0)
			return "unknown category";
		return NULL;
	case K_REP:
	case K_STATUS:
	case K_SHOW:
		why = place_fields(f, v);
		if (why != NULL || k == K_STATUS)
			return why;
		v->sub = f[3];
		if (v->sub.any)
			return NULL;
		if (k == K_SHOW)
			return hub_show_kind_valid(v->sub.s, v->sub.n) ? NULL : "unknown showcase kind";
		if (is_word(&v->sub, "ack") || hub_report_kind_valid(v->sub.s, v->sub.n))
			return NULL;
		return "unknown report kind";
	case K_DM:
		v->name = f[0];
		if (v->name.any || hub_area_level(v->name.s, v->name.n) == HUB_LEVEL_VILLAGE
		    || hub_username_valid(v->name.s, v->name.n))
			return NULL;
		return "bad inbox address (a village code or an official's username)";
	case K_REPLY:
		v->name = f[0];
		if (v->name.any || hub_username_valid(v->name.s, v->name.n))
			return NULL;
		return "bad username in reply topic";
	default:
		return "unknown topic kind";
	}
}

/* The area is the scope itself or contains it (TH, 50, 5001 for 50010101). */
static bool
on_branch(const struct view *v, const char *scope)
{
	size_t n = strlen(v->area);

	return !v->any_area && (strcmp(v->area, "TH") == 0 || strncmp(scope, v->area, n) == 0);
}

static bool
within(const struct view *v, const char *scope)
{
	return strcmp(scope, "TH") == 0
	       || (!v->any_area && strcmp(v->area, "TH") != 0 && hub_area_within(v->area, scope));
}

static bool
is_own(const struct view *v, const char *scope)
{
	return !v->any_area && strcmp(v->area, scope) == 0;
}

static bool
name_is(const struct field *f, const char *s)
{
	return is_word(f, s);
}

static const char *
may_read(const struct hub_principal *p, const struct view *v)
{
	enum hub_role r = p->role;
	bool ok = false;

	if (r == HUB_ROLE_ADMIN)
		return NULL;
	switch (v->kind) {
	case K_ANN:
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_RESIDENT)
			ok = on_branch(v, p->scope);
		else if (r == HUB_ROLE_OFFICIAL)
			ok = on_branch(v, p->scope) || within(v, p->scope);
		else if (r == HUB_ROLE_AGENCY)
			ok = within(v, p->scope);
		return ok ? NULL : "may not read announcements of that area";
	case K_REP:
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_OFFICIAL)
			ok = within(v, p->scope);
		else if (r == HUB_ROLE_OPERATOR)
			ok = within(v, p->scope)
			     && (is_word(&v->sub, "outage") || is_word(&v->sub, "ack"));
		return ok ? NULL : "may not read reports of that area or kind";
	case K_STATUS:
		if (r == HUB_ROLE_OFFICIAL || r == HUB_ROLE_OPERATOR)
			ok = within(v, p->scope);
		return ok ? NULL : "may not read status of that area";
	case K_SHOW:
		if (r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_RESIDENT || r == HUB_ROLE_OFFICIAL)
			ok = true;
		else if (r == HUB_ROLE_AGENCY)
			ok = within(v, p->scope);
		return ok ? NULL : "may not read showcase of that area";
	case K_DM:
		if (r == HUB_ROLE_VOLUNTEER)
			ok = name_is(&v->name, p->scope);
		else if (r == HUB_ROLE_OFFICIAL)
			ok = name_is(&v->name, p->username);
		return ok ? NULL : "may not read another inbox";
	case K_REPLY:
		return name_is(&v->name, p->username) ? NULL : "may not read another user's replies";
	default:
		return "unknown topic kind";
	}
}

static const char *
may_write(const struct hub_principal *p, const struct view *v)
{
	enum hub_role r = p->role;
	bool ack = is_word(&v->sub, "ack");
	bool ok = false;

	switch (v->kind) {
	case K_ANN:
		if (r == HUB_ROLE_VOLUNTEER)
			ok = is_own(v, p->scope);
		else if (r == HUB_ROLE_OFFICIAL)
			ok = within(v, p->scope);
		else if (r == HUB_ROLE_AGENCY)
			ok = within(v, p->scope)
			     && (p->categories & (1u << hub_category_index(v->sub.s, v->sub.n)));
		else if (r == HUB_ROLE_OPERATOR)
			ok = within(v, p->scope) && is_word(&v->sub, "network");
		return ok ? NULL : "may not announce to that area or category";
	case K_REP:
		if (ack)
			ok = (r == HUB_ROLE_OFFICIAL || r == HUB_ROLE_OPERATOR) && within(v, p->scope);
		else
			ok = r == HUB_ROLE_VOLUNTEER && is_own(v, p->scope);
		if (ok)
			return NULL;
		return ack ? "may not acknowledge reports of that area"
			   : "may report only for one's own village";
	case K_STATUS:
	case K_SHOW:
		ok = r == HUB_ROLE_VOLUNTEER && is_own(v, p->scope);
		return ok ? NULL : "may publish status and showcase only for one's own village";
	case K_DM:
		ok = r == HUB_ROLE_VOLUNTEER || r == HUB_ROLE_OFFICIAL;
		return ok ? NULL : "role may not send direct messages";
	case K_REPLY:
		return "reply topics are written by the hub only";
	default:
		return "unknown topic kind";
	}
}

/* Looks up the places and inbox a view names literally. */
static const char *
check_dir(const struct view *v, const struct hub_dir *dir, enum hub_access a)
{
	char name[HUB_USERNAME_MAX + 1];

	if (dir == NULL)
		return NULL;
	if (!v->any_area && strcmp(v->area, "TH") != 0 && !dir->place_exists(dir->ctx, v->area))
		return "place is not in the registry";
	if (v->kind != K_DM || a != HUB_WRITE)
		return NULL;
	memcpy(name, v->name.s, v->name.n);
	name[v->name.n] = '\0';
	if (hub_area_level(name, v->name.n) == HUB_LEVEL_VILLAGE)
		return dir->place_exists(dir->ctx, name) ? NULL : "inbox village is not in the registry";
	return dir->official_exists(dir->ctx, name) ? NULL : "inbox user is not an official";
}

static enum kind
kind_of(const struct field *f)
{
	int k;

	for (k = 0; k < K_COUNT; k++) {
		if (is_word(f, kinds[k].word))
			return (enum kind)k;
	}
	return K_COUNT;
}

/* One kind named literally (always for write and read). */
static const char *
check_kind(const struct hub_principal *p, enum hub_access a, const struct levels *lv,
	   enum kind k, const struct hub_dir *dir)
{
	struct field f[4];
	struct view v;
	const char *why;

	memset(f, 0, sizeof(f));
	if (!fields_of(lv, k, f))
		return "wrong number of levels for this topic kind";
	why = make_view(f, k, &v);
	if (why == NULL && a != HUB_READ)
		why = check_dir(&v, dir, a);
	if (why != NULL)
		return why;
	return a == HUB_WRITE ? may_write(p, &v) : may_read(p, &v);
}

/* A filter whose kind level is a wildcard: every kind it can match must be readable. */
static const char *
check_any_kind(const struct hub_principal *p, const struct levels *lv, const struct hub_dir *dir)
{
	struct field f[4];
	struct view v;
	const char *why;
	bool matched = false;
	int k;

	for (k = 0; k < K_COUNT; k++) {
		memset(f, 0, sizeof(f));
		if (!fields_of(lv, (enum kind)k, f) || make_view(f, (enum kind)k, &v) != NULL)
			continue;
		matched = true;
		why = check_dir(&v, dir, HUB_SUBSCRIBE);
		if (why == NULL)
			why = may_read(p, &v);
		if (why != NULL)
			return why;
	}
	return matched ? NULL : "filter matches no valid np topic";
}

static const char *
check_special(const struct hub_principal *p, enum hub_access a, const char *topic)
{
	/* where plugin.c parks acknowledged resends: nobody reads it, not even the admin */
	if (strncmp(topic, "$np/", 4) == 0 || strcmp(topic, "$np") == 0)
		return "$np/ is the hub's own";
	if (strncmp(topic, "$SYS/", 5) == 0 || strcmp(topic, "$SYS") == 0)
		return (a != HUB_WRITE && p->role == HUB_ROLE_ADMIN) ? NULL : "$SYS is for the admin";
	if (strcmp(topic, "$CONTROL/np/v1/history") == 0 && a == HUB_WRITE)
		return NULL;
	if (p->role == HUB_ROLE_ADMIN && a != HUB_WRITE)
		return NULL;
	return "topic is not under np/";
}

/* A shared subscription group belongs to one user: its name is the username,
 * or the username, '~' and anything. Otherwise one user could join another's
 * group and take its share of the messages (and, unable to read them, drop
 * them). g is what follows "$share/". */
static const char *
share_group(const struct hub_principal *p, const char *g)
{
	const char *slash = strchr(g, '/');
	size_t n = strlen(p->username);

	if (slash == NULL || slash == g)
		return "bad shared subscription";
	if (strncmp(g, p->username, n) != 0 || (g[n] != '/' && g[n] != '~'))
		return "a shared subscription group must be named after its user "
		       "($share/<username>/... or $share/<username>~<name>/...)";
	return NULL;
}

const char *
hub_acl_check(const struct hub_principal *p, enum hub_access a, const char *topic,
	      const struct hub_dir *dir)
{
	struct levels lv;
	const char *why;
	enum kind k;

	if (p == NULL || p->role == HUB_ROLE_NONE)
		return "not authenticated";
	if (topic == NULL || topic[0] == '\0')
		return "empty topic";
	if (a == HUB_SUBSCRIBE && strncmp(topic, "$share/", 7) == 0) {
		why = share_group(p, topic + 7);
		if (why != NULL)
			return why;
		topic = strchr(topic + 7, '/') + 1;
	}
	why = split(topic, &lv);
	if (why != NULL)
		return why;
	if (a != HUB_SUBSCRIBE && strpbrk(topic, "+#") != NULL)
		return "a topic may not hold wildcards";
	if (a == HUB_SUBSCRIBE && is_hash(&lv.l[0])) {
		/* "#" is "np/#" as far as np topics go */
		lv.count = 2;
		lv.l[1] = lv.l[0];
		lv.l[0].s = "np";
		lv.l[0].n = 2;
		lv.l[0].any = false;
	}
	if (!(is_word(&lv.l[0], "np") || (a == HUB_SUBSCRIBE && lv.l[0].any)))
		return check_special(p, a, topic);
	if (lv.count < 2)
		return a == HUB_SUBSCRIBE ? "filter matches no valid np topic" : "not a valid np topic";
	if (a == HUB_SUBSCRIBE && lv.l[1].any) {
		if (p->role == HUB_ROLE_ADMIN)
			return NULL;
		return check_any_kind(p, &lv, dir);
	}
	k = kind_of(&lv.l[1]);
	if (k == K_COUNT)
		return "unknown topic kind";
	return check_kind(p, a, &lv, k, dir);
}

enum hub_topic_kind
hub_topic_kind(const char *topic)
{
	const char *last;

	if (strcmp(topic, "$CONTROL/np/v1/history") == 0)
		return HUB_TOPIC_HISTORY;
	if (strncmp(topic, "np/", 3) != 0)
		return HUB_TOPIC_OTHER;
	topic += 3;
	last = strrchr(topic, '/');
	if (strncmp(topic, "ann/", 4) == 0)
		return HUB_TOPIC_ANN;
	if (strncmp(topic, "rep/", 4) == 0)
		return (last && strcmp(last, "/ack") == 0) ? HUB_TOPIC_ACK : HUB_TOPIC_REPORT;
	if (strncmp(topic, "status/", 7) == 0)
		return HUB_TOPIC_STATUS;
	if (strncmp(topic, "show/", 5) == 0)
		return HUB_TOPIC_SHOW;
	if (strncmp(topic, "dm/", 3) == 0)
		return HUB_TOPIC_DM;
	if (strncmp(topic, "reply/", 6) == 0)
		return HUB_TOPIC_REPLY;
	return HUB_TOPIC_OTHER;
}

bool
hub_topic_matches(const char *filter, const char *topic)
{
	const char *f = filter, *t = topic;

	if (*t == '$' && *f != '$')
		return false;   /* wildcards do not match $-topics at the first level */
	for (;;) {
		if (f[0] == '#' && f[1] == '\0')
			return true;
		if (f[0] == '+' && (f[1] == '/' || f[1] == '\0')) {
			while (*t != '\0' && *t != '/')
				t++;
			f++;
		} else {
			while (*f != '\0' && *f != '/' && *f == *t) {
				f++;
				t++;
			}
			if ((*f != '\0' && *f != '/') || (*t != '\0' && *t != '/'))
				return false;
		}
		if (*f == '\0' || *t == '\0')
			break;
		f++;
		t++;
	}
	/* "a/#" matches "a" */
	if (*t == '\0' && f[0] == '/' && f[1] == '#' && f[2] == '\0')
		return true;
	return *f == '\0' && *t == '\0';
}
