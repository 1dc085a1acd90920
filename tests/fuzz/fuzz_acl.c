/* fuzz_acl.c - libFuzzer target for acl.c. Input: byte 0 the role (low 7 bits % 7;
 * its top bit is category bit 8), byte 1 the user (username and scope from a table),
 * byte 2 the agency categories (bits 0-7), byte 3 the access (% 3), then the
 * topic (at most 300 bytes, up to a NUL). What follows that NUL is a second
 * string: hub_topic_matches(topic, second) is checked against a reference
 * matcher written from the MQTT rules.
 *
 * Invariants (each one follows from DESIGN.md or acl.h, not from acl.c):
 * - READ never consults the registry, and a registry only ever takes grants
 *   away (granted with dir => granted with dir = NULL);
 * - a granted WRITE names a concrete np/ topic that hub_topic_kind() knows, or
 *   is one of the hub's own requests ($CONTROL/np/v1/history, token, admin,
 *   receipt, reach, cases, case-stats); residents and the admin write only
 *   those; its P, D and V agree and, like an inbox, are in the registry;
 * - a granted READ has no wildcard, and only the admin reads outside np/;
 *   nobody gets "$np/..." (parked resends);
 * - for a concrete topic, SUBSCRIBE (dir = NULL) and READ agree;
 * - the subset rule: when a filter is granted for SUBSCRIBE, every valid topic
 *   it matches is readable. Valid topics are made from the filter by putting
 *   registry places, categories, kinds and usernames for '+' and zero or more
 *   levels for '#'; "valid" = under np/ and granted to the admin for SUBSCRIBE
 *   against the registry (right depth, codes that agree and exist). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "fuzz_util.h"
#include "vocab.h"

#define TOPIC_MAX 300
#define MAX_LEVELS 8            /* of a topic made from a filter */
#define SUBSET_BUDGET 400       /* topics made per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the fake registry ---- */

static const char *const places[] = {
	"50", "5001", "500101", "500102", "50010101", "50010102", "50010201",
	"5002", "500201", "50020101", "10", "1001", "100101", "10010101", NULL,
};
static const char *const officials[] = { "ministry", "cm_official", "muang_official", NULL };

struct fake_dir {
	bool forbidden;         /* a READ is being decided: no look-ups allowed */
	const char *topic;
	char code[HUB_USERNAME_MAX + 1];        /* scratch for check_written_places */
};

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, s) == 0)
			return true;
	}
	return false;
}

static bool
fake_place_exists(void *ctx, const char *code)
{
	struct fake_dir *d = ctx;
	enum hub_level l = hub_area_level(code, strlen(code));

	FUZZ_CHECK(!d->forbidden, "READ of '%s' looked up place '%s'", d->topic, code);
	FUZZ_CHECK(l == HUB_LEVEL_PROVINCE || l == HUB_LEVEL_DISTRICT || l == HUB_LEVEL_VILLAGE,
		   "'%s' looked up '%s', not a province, district or village code", d->topic,
		   code);
	return in_list(places, code);
}

static bool
fake_official_exists(void *ctx, const char *username)
{
	struct fake_dir *d = ctx;

	FUZZ_CHECK(!d->forbidden, "READ of '%s' looked up official '%s'", d->topic, username);
	FUZZ_CHECK(hub_username_valid(username, strlen(username)),
		   "'%s' looked up official '%s', not a username", d->topic, username);
	return in_list(officials, username);
}

static struct fake_dir dir_state;
static const struct hub_dir dir = { fake_place_exists, fake_official_exists, &dir_state };

/* ---- principals ---- */

static const struct {
	const char *username;
	const char *scope;
} users[] = {
	{ "vol1", "50010101" },  { "res2", "10010101" },      { "ministry", "TH" },
	{ "cm_official", "50" }, { "muang_official", "5001" }, { "agri50", "50" },
	{ "ntnet", "TH" },       { "odd", "500101" },          { "ghost", "50019999" },
	{ "vol3", "50020101" },
};
#define NUSERS (sizeof(users) / sizeof(users[0]))

static const struct hub_principal admin = { "root", HUB_ROLE_ADMIN, "TH", 0 };

static const char *
check(const struct hub_principal *p, enum hub_access a, const char *topic, bool with_dir)
{
	enum hub_refusal why;

	dir_state.forbidden = a == HUB_READ;
	dir_state.topic = topic;
	why = hub_acl_check(p, a, topic, with_dir ? &dir : NULL);
	dir_state.forbidden = false;
	return why == HUB_OK ? NULL : hub_refusal_text(why);
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- filters split into levels ---- */

struct lvls {
	const char *s[TOPIC_MAX + 1];
	size_t n[TOPIC_MAX + 1];
	int count;
};

static void
split(const char *t, struct lvls *lv)
{
	const char *slash;

	lv->count = 0;
	for (;;) {
		slash = strchr(t, '/');
		lv->s[lv->count] = t;
		lv->n[lv->count] = slash ? (size_t)(slash - t) : strlen(t);
		lv->count++;
		if (slash == NULL)
			return;
		t = slash + 1;
	}
}

static bool
lvl_is(const struct lvls *lv, int i, const char *w)
{
	return lv->n[i] == strlen(w) && memcmp(lv->s[i], w, lv->n[i]) == 0;
}

/* A filter mosquitto accepts: wildcards fill whole levels, '#' only last. */
static bool
valid_filter(const struct lvls *lv)
{
	int i;

	for (i = 0; i < lv->count; i++) {
		if (lvl_is(lv, i, "+") || (lvl_is(lv, i, "#") && i == lv->count - 1))
			continue;
		if (memchr(lv->s[i], '+', lv->n[i]) != NULL
		    || memchr(lv->s[i], '#', lv->n[i]) != NULL)
			return false;
	}
	return true;
}

/* MQTT matching from the spec (4.7): '+' one level, '#' this level and all
 * below, including none ("a/#" matches "a"); wildcards at the first level do
 * not match topics that start with '$'. filter must be valid_filter(). */
static bool
reference_matches(const struct lvls *f, const struct lvls *t)
{
	int i;

	if (t->s[0][0] == '$' && (lvl_is(f, 0, "+") || lvl_is(f, 0, "#")))
		return false;
	for (i = 0; i < f->count; i++) {
		if (lvl_is(f, i, "#"))
			return true;
		if (i >= t->count)
			return false;
		if (lvl_is(f, i, "+"))
			continue;
		if (f->n[i] != t->n[i] || memcmp(f->s[i], t->s[i], f->n[i]) != 0)
			return false;
	}
	return f->count == t->count;
}

/* ---- the subset rule ---- */

static const char *const kinds[] = { "ann", "rep", "status", "show", "dm", "reply", NULL };
static const char *const areas[] = { "TH", "50", "5001", "50010101", "10", "1001", "10010101",
				     "5002", "50020101", "50010102", "500101", NULL };
static const char *const categories[] = { "weather", "agriculture", "health", "commerce",
					  "education", "event", "network", "emergency",
					  "general", NULL };
static const char *const provinces[] = { "50", "10", NULL };
static const char *const districts[] = { "5001", "5002", "1001", NULL };
static const char *const villages[] = { "50010101", "50010102", "50010201", "50020101",
					"10010101", NULL };
static const char *const rep_kinds[] = { "outage", "need", "incident", "feedback", "ack", NULL };
static const char *const show_kinds[] = { "product", "story", "place", NULL };
static const char *const reply_tail[] = { "history", "error", NULL };
static const char *const filler[] = { "x", NULL };
static const char *const level0[] = { "np", NULL };

struct subset {
	const struct hub_principal *p;
	const char *filter;
	struct lvls shape;      /* the filter, '#' replaced by some '+' levels */
	const char *inbox[7];   /* dm and reply names, with the principal's */
	unsigned seed;
	int budget;
	char kind[16];
	char topic[TOPIC_MAX + MAX_LEVELS * 16 + 1];
};

static const char *const *
candidates(struct subset *st, int i, const char *kind)
{
	bool place_kind = strcmp(kind, "rep") == 0 || strcmp(kind, "status") == 0
			  || strcmp(kind, "show") == 0;

	if (i == 0)
		return level0;
	if (i == 1)
		return kinds;
	if (strcmp(kind, "ann") == 0)
		return i == 2 ? areas : i == 3 ? categories : filler;
	if (place_kind && i <= 4)
		return i == 2 ? provinces : i == 3 ? districts : villages;
	if (place_kind && i == 5 && strcmp(kind, "status") != 0)
		return strcmp(kind, "rep") == 0 ? rep_kinds : show_kinds;
	if (strcmp(kind, "dm") == 0 && i == 2)
		return st->inbox;
	if (strcmp(kind, "reply") == 0)
		return i == 2 ? st->inbox + 3 : reply_tail;
	return filler;
}

static void
subset_check_topic(struct subset *st)
{
	const char *why;

	FUZZ_CHECK(hub_topic_matches(st->filter, st->topic),
		   "'%s' is made from filter '%s' but hub_topic_matches says no", st->topic,
		   st->filter);
	if (!starts(st->topic, "np/") || check(&admin, HUB_SUBSCRIBE, st->topic, true) != NULL)
		return;         /* not a topic anyone can publish */
	why = check(st->p, HUB_READ, st->topic, false);
	FUZZ_CHECK(why == NULL,
		   "role %d scope '%s' user '%s' may subscribe '%s' but not read '%s' (%s)",
		   (int)st->p->role, st->p->scope, st->p->username, st->filter, st->topic, why);
}

/* Fills level i of st->topic (which is len bytes so far) and recurses. kind is
 * level 1 of the topic being made, as a NUL-terminated string. */
static void
subset_walk(struct subset *st, int i, size_t len, const char *kind)
{
	const char *const *cand;
	const char *c;
	size_t n, k, start, w, at = len + (i > 0);

	if (st->budget <= 0)
		return;
	if (i == st->shape.count) {
		st->topic[len] = '\0';
		st->budget--;
		subset_check_topic(st);
		return;
	}
	if (i > 0)
		st->topic[len] = '/';
	if (!lvl_is(&st->shape, i, "+")) {
		/* a literal level: copied as is */
		w = st->shape.n[i];
		memcpy(st->topic + at, st->shape.s[i], w);
		if (i == 1) {
			snprintf(st->kind, sizeof(st->kind), "%.*s", (int)w, st->shape.s[i]);
			kind = st->kind;
		}
		subset_walk(st, i + 1, at + w, kind);
		return;
	}
	cand = candidates(st, i, kind);
	for (n = 0; cand[n] != NULL; n++)
		;
	start = (st->seed + (unsigned)i * 7u) % n;
	for (k = 0; k < n && st->budget > 0; k++) {
		c = cand[(start + k) % n];
		w = strlen(c);
		memcpy(st->topic + at, c, w);
		subset_walk(st, i + 1, at + w, i == 1 ? c : kind);
	}
}

static void
subset_rule(const struct hub_principal *p, const char *filter, unsigned seed)
{
	static struct subset st;        /* large: keep it off the stack */
	struct lvls lv;
	int base, extra, i;

	split(filter, &lv);
	if (!valid_filter(&lv) || lv.count > MAX_LEVELS)
		return;
	memset(&st.shape, 0, sizeof(st.shape));
	st.p = p;
	st.filter = filter;
	st.seed = seed;
	st.budget = SUBSET_BUDGET;
	st.inbox[0] = "50010101";
	st.inbox[1] = "10010101";
	st.inbox[2] = "50020101";
	st.inbox[3] = p->username;      /* reply names start here */
	st.inbox[4] = "ministry";
	st.inbox[5] = "vol1";
	st.inbox[6] = NULL;
	base = lvl_is(&lv, lv.count - 1, "#") ? lv.count - 1 : lv.count;
	for (extra = 0; base + extra <= MAX_LEVELS; extra++) {
		if (base + extra == 0)
			continue;       /* "#" for no level at all: the empty topic */
		for (i = 0; i < base; i++) {
			st.shape.s[i] = lv.s[i];
			st.shape.n[i] = lv.n[i];
		}
		for (i = base; i < base + extra; i++) {
			st.shape.s[i] = "+";
			st.shape.n[i] = 1;
		}
		st.shape.count = base + extra;
		subset_walk(&st, 0, 0, "");
		if (base == lv.count)
			break;  /* no '#': the filter's own shape only */
	}
}

/* DESIGN.md: "P, D and V always agree (D starts with P, V with D) and name
 * places in the registry"; an inbox is a village in the registry or an
 * official. For a WRITE granted against the (prefix-closed) fake registry. */
static void
check_written_places(const char *topic)
{
	struct lvls lv;
	int i;

	if (!starts(topic, "np/"))
		return;
	split(topic, &lv);
	FUZZ_CHECK(lv.count >= 3, "granted WRITE of '%s', too short", topic);
	if (lvl_is(&lv, 1, "rep") || lvl_is(&lv, 1, "status") || lvl_is(&lv, 1, "show")) {
		FUZZ_CHECK(lv.count >= 5, "granted WRITE of '%s', too short", topic);
		for (i = 2; i <= 4; i++) {
			FUZZ_CHECK(lv.n[i] <= HUB_AREA_MAX, "granted WRITE of '%s'", topic);
			snprintf(dir_state.code, sizeof(dir_state.code), "%.*s", (int)lv.n[i],
				 lv.s[i]);
			FUZZ_CHECK(in_list(places, dir_state.code),
				   "granted WRITE of '%s', level %d not in the registry", topic, i);
			FUZZ_CHECK(i == 2 || (lv.n[i] > lv.n[i - 1]
					      && memcmp(lv.s[i], lv.s[i - 1], lv.n[i - 1]) == 0),
				   "granted WRITE of '%s', whose codes do not agree", topic);
		}
	} else if (lvl_is(&lv, 1, "ann") || lvl_is(&lv, 1, "dm")) {
		FUZZ_CHECK(lv.n[2] <= HUB_USERNAME_MAX, "granted WRITE of '%s'", topic);
		snprintf(dir_state.code, sizeof(dir_state.code), "%.*s", (int)lv.n[2], lv.s[2]);
		FUZZ_CHECK(in_list(places, dir_state.code) || strcmp(dir_state.code, "TH") == 0
			   || (lvl_is(&lv, 1, "dm") && in_list(officials, dir_state.code)),
			   "granted WRITE of '%s', to a place or inbox not in the registry", topic);
		FUZZ_CHECK(!lvl_is(&lv, 1, "dm") || strcmp(dir_state.code, "TH") != 0,
			   "granted WRITE of '%s'", topic);
	} else {
		FUZZ_CHECK(false, "granted WRITE of '%s', of no writable kind", topic);
	}
}

/* ---- one input ---- */

static void
check_access(const struct hub_principal *p, enum hub_access a, const char *topic, unsigned seed)
{
	const char *with = check(p, a, topic, true);
	const char *without = check(p, a, topic, false);
	const char *eff = topic;
	bool wild = strpbrk(topic, "+#") != NULL;

	FUZZ_CHECK(with != NULL || without == NULL,
		   "access %d to '%s' granted with the registry, refused without: %s", (int)a,
		   topic, without);
	if (a == HUB_READ)
		FUZZ_CHECK((with == NULL) == (without == NULL), "READ of '%s' depends on dir",
			   topic);
	if (a == HUB_SUBSCRIBE && starts(topic, "$share/")) {
		eff = strchr(topic + 7, '/');
		eff = eff != NULL ? eff + 1 : "";
	}
	if (with != NULL)
		return;
	FUZZ_CHECK(p->role != HUB_ROLE_NONE, "granted access %d to '%s' without a role", (int)a,
		   topic);
	FUZZ_CHECK(!starts(eff, "$np/") && strcmp(eff, "$np") != 0, "granted access %d to '%s'",
		   (int)a, topic);
	if (a == HUB_WRITE) {
		/* the requests the plugin answers itself (plugin.c, reach.c, case_query.c) */
		static const char *const requests[] = {
			"$CONTROL/np/v1/history", "$CONTROL/np/v1/token", "$CONTROL/np/v1/admin",
			"$CONTROL/np/v1/receipt", "$CONTROL/np/v1/reach", "$CONTROL/np/v1/cases",
			"$CONTROL/np/v1/case-stats",
		};
		bool control = false;
		size_t ci;

		for (ci = 0; ci < sizeof(requests) / sizeof(requests[0]); ci++)
			control = control || strcmp(topic, requests[ci]) == 0;
		enum hub_topic_kind k = hub_topic_kind(topic);

		FUZZ_CHECK(!wild, "granted WRITE of '%s', which holds a wildcard", topic);
		FUZZ_CHECK(starts(topic, "np/") || control, "granted WRITE of '%s'", topic);
		FUZZ_CHECK(control || (k != HUB_TOPIC_OTHER && k != HUB_TOPIC_REPLY),
			   "granted WRITE of '%s', of topic kind %d", topic, (int)k);
		FUZZ_CHECK(control || (p->role != HUB_ROLE_RESIDENT && p->role != HUB_ROLE_ADMIN),
			   "role %d may write '%s'", (int)p->role, topic);
		check_written_places(topic);
	} else if (a == HUB_READ) {
		FUZZ_CHECK(!wild, "granted READ of '%s', which holds a wildcard", topic);
		FUZZ_CHECK(p->role == HUB_ROLE_ADMIN || starts(topic, "np/"),
			   "role %d may read '%s'", (int)p->role, topic);
	} else {
		subset_rule(p, eff, seed);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[TOPIC_MAX + 2];
	struct hub_principal p;
	struct lvls *fl, *tl;
	static struct lvls lv_f, lv_t;
	const char *topic, *second;
	size_t n, i;
	unsigned seed = 2166136261u;

	if (size < 4)
		return 0;
	memset(&p, 0, sizeof(p));
	p.role = (enum hub_role)((data[0] & 0x7f) % 7);
	p.username = users[data[1] % NUSERS].username;
	snprintf(p.scope, sizeof(p.scope), "%s", users[data[1] % NUSERS].scope);
	p.categories = (uint16_t)(data[2] | ((data[0] & 0x80u) << 1));
	n = size - 4 < TOPIC_MAX ? size - 4 : TOPIC_MAX;
	memcpy(buf, data + 4, n);
	buf[n] = '\0';
	buf[n + 1] = '\0';
	for (i = 0; i < n; i++)
		seed = (seed ^ (uint8_t)buf[i]) * 16777619u;
	topic = buf;
	second = buf + strlen(buf) + 1;
	if (second > buf + n)
		second = topic;         /* no NUL: the topic against itself */

	check_access(&p, (enum hub_access)(data[3] % 3), topic, seed);

	/* a concrete topic: SUBSCRIBE without the registry is READ */
	if (strpbrk(topic, "+#") == NULL && !starts(topic, "$share/"))
		FUZZ_CHECK((check(&p, HUB_SUBSCRIBE, topic, false) == NULL)
			   == (check(&p, HUB_READ, topic, false) == NULL),
			   "SUBSCRIBE and READ of '%s' disagree", topic);

	/* hub_topic_matches(filter, topic) against the reference */
	fl = &lv_f;
	tl = &lv_t;
	split(topic, fl);
	split(second, tl);
	(void)hub_topic_matches(topic, second);
	if (valid_filter(fl) && strpbrk(second, "+#") == NULL)
		FUZZ_CHECK(hub_topic_matches(topic, second) == reference_matches(fl, tl),
			   "hub_topic_matches('%s', '%s') says %d", topic, second,
			   (int)hub_topic_matches(topic, second));
	return 0;
}
