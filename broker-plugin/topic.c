/* topic.c - the grammar of np topics and filters (DESIGN.md "Topics").
 *
 * A topic or filter is split into levels without copying, then read as a view
 * of one kind: np/ann/<area>/<category>, np/rep/<P>/<D>/<V>/<report kind|ack>,
 * np/status/<P>/<D>/<V>, np/show/<P>/<D>/<V>/<showcase kind>, np/dm/<inbox>,
 * np/reply/<owner>/... For a filter a wildcard field is "any", and a '#'
 * makes every field from it on "any". Whether a view may be read or written
 * is acl.c's business; which index holds it, history.c's. */
#include <stdio.h>
#include <string.h>

#include "topic.h"

enum hub_refusal
hub_topic_split(const char *t, struct hub_topic_levels *lv)
{
	const char *slash;
	struct hub_topic_level *l;

	lv->count = 0;
	for (;;) {
		if (lv->count == HUB_TOPIC_MAX_LEVELS)
			return HUB_R_TOPIC_TOO_DEEP;
		slash = strchr(t, '/');
		l = &lv->l[lv->count++];
		l->s = t;
		l->n = slash ? (size_t)(slash - t) : strlen(t);
		l->any = l->n == 1 && (*t == '+' || *t == '#');
		if (slash == NULL)
			return HUB_OK;
		t = slash + 1;
	}
}

bool
hub_level_is(const struct hub_topic_level *l, const char *w)
{
	return !l->any && l->n == strlen(w) && memcmp(l->s, w, l->n) == 0;
}

bool
hub_level_is_hash(const struct hub_topic_level *l)
{
	return l->n == 1 && l->s[0] == '#';
}

enum hub_refusal
hub_filter_check(const struct hub_topic_levels *lv)
{
	const struct hub_topic_level *l;
	int i;

	for (i = 0; i < lv->count; i++) {
		l = &lv->l[i];
		if (l->any) {
			if (l->s[0] == '#' && i != lv->count - 1)
				return HUB_R_HASH_NOT_LAST;
		} else if (memchr(l->s, '+', l->n) || memchr(l->s, '#', l->n)) {
			return HUB_R_WILDCARD_PART;
		}
	}
	return HUB_OK;
}

/* Fills out[] with the kind's fields as the levels constrain them. Returns
 * false when the levels cannot match a topic of this kind (wrong depth). */
static bool
fields_of(const struct hub_topic_levels *lv, enum hub_kind k, struct hub_topic_level *out)
{
	int m = hub_kind_info(k)->fields;
	int j;
	int idx;

	if (lv->count == 2 && hub_level_is_hash(&lv->l[1])) {   /* np/# */
		for (j = 0; j < m; j++)
			out[j].any = true;
		return true;
	}
	for (j = 0; j < m; j++) {
		idx = 2 + j;
		if (idx < lv->count && hub_level_is_hash(&lv->l[idx])) {
			for (; j < m; j++)
				out[j].any = true;
			return true;
		}
		if (idx >= lv->count)
			return false;
		out[j] = lv->l[idx];
	}
	if (k == HUB_KIND_REPLY || lv->count == 2 + m)
		return true;
	/* "a/#" also matches "a" itself */
	return lv->count == 3 + m && hub_level_is_hash(&lv->l[2 + m]);
}

static enum hub_refusal
place_fields(const struct hub_topic_level *f, struct hub_topic_view *v)
{
	static const enum hub_level want[3] = { HUB_LEVEL_PROVINCE, HUB_LEVEL_DISTRICT,
						HUB_LEVEL_VILLAGE };
	static const enum hub_refusal bad[3] = { HUB_R_BAD_PROVINCE, HUB_R_BAD_DISTRICT,
						 HUB_R_BAD_VILLAGE };
	const struct hub_topic_level *prev = NULL;
	int i;

	v->any_area = true;
	for (i = 0; i < 3; i++) {
		if (f[i].any)
			continue;
		if (hub_area_level(f[i].s, f[i].n) != want[i])
			return bad[i];
		if (prev != NULL && memcmp(f[i].s, prev->s, prev->n) != 0)
			return HUB_R_PLACES_DISAGREE;
		prev = &f[i];
	}
	if (prev != NULL) {
		v->any_area = false;
		memcpy(v->area, prev->s, prev->n);
		v->area[prev->n] = '\0';
	}
	return HUB_OK;
}

static enum hub_refusal
ann_fields(const struct hub_topic_level *f, struct hub_topic_view *v)
{
	enum hub_level l;

	if (!f[0].any) {
		l = hub_area_level(f[0].s, f[0].n);
		if (f[0].n > HUB_AREA_MAX || l == HUB_LEVEL_BAD || l == HUB_LEVEL_SUBDISTRICT)
			return HUB_R_BAD_AREA;
		v->any_area = false;
		memcpy(v->area, f[0].s, f[0].n);
	}
	v->sub = f[1];
	if (!v->sub.any && hub_category_index(v->sub.s, v->sub.n) < 0)
		return HUB_R_UNKNOWN_CATEGORY;
	return HUB_OK;
}

static enum hub_refusal
make_view(const struct hub_topic_level *f, enum hub_kind k, struct hub_topic_view *v)
{
	enum hub_refusal why;

	switch (k) {
	case HUB_KIND_ANN:
		return ann_fields(f, v);
	case HUB_KIND_REP:
	case HUB_KIND_STATUS:
	case HUB_KIND_SHOW:
		why = place_fields(f, v);
		if (why != HUB_OK || k == HUB_KIND_STATUS)
			return why;
		v->sub = f[3];
		if (v->sub.any)
			return HUB_OK;
		if (k == HUB_KIND_SHOW)
			return hub_show_kind_valid(v->sub.s, v->sub.n) ? HUB_OK
								       : HUB_R_UNKNOWN_SHOW_KIND;
		if (hub_level_is(&v->sub, HUB_ACK_WORD)
		    || hub_report_kind_valid(v->sub.s, v->sub.n))
			return HUB_OK;
		return HUB_R_UNKNOWN_REPORT_KIND;
	case HUB_KIND_DM:
		v->name = f[0];
		if (v->name.any || hub_area_level(v->name.s, v->name.n) == HUB_LEVEL_VILLAGE
		    || hub_username_valid(v->name.s, v->name.n))
			return HUB_OK;
		return HUB_R_BAD_INBOX;
	case HUB_KIND_REPLY:
		v->name = f[0];
		if (v->name.any || hub_username_valid(v->name.s, v->name.n))
			return HUB_OK;
		return HUB_R_BAD_REPLY_USER;
	default:
		return HUB_R_UNKNOWN_KIND;
	}
}

enum hub_refusal
hub_topic_view(const struct hub_topic_levels *lv, enum hub_kind k, struct hub_topic_view *v)
{
	struct hub_topic_level f[4];

	memset(f, 0, sizeof(f));
	memset(v, 0, sizeof(*v));
	v->kind = k;
	v->any_area = true;
	v->sub.any = true;
	v->name.any = true;
	if (k >= HUB_KIND_COUNT)
		return HUB_R_UNKNOWN_KIND;
	if (!fields_of(lv, k, f))
		return HUB_R_WRONG_DEPTH;
	return make_view(f, k, v);
}

enum hub_topic_kind
hub_topic_kind(const char *topic)
{
	static const enum hub_topic_kind of[HUB_KIND_COUNT] = {
		[HUB_KIND_ANN] = HUB_TOPIC_ANN, [HUB_KIND_REP] = HUB_TOPIC_REPORT,
		[HUB_KIND_STATUS] = HUB_TOPIC_STATUS, [HUB_KIND_SHOW] = HUB_TOPIC_SHOW,
		[HUB_KIND_DM] = HUB_TOPIC_DM, [HUB_KIND_REPLY] = HUB_TOPIC_REPLY,
	};
	const char *word, *slash;
	enum hub_kind k;

	if (strcmp(topic, HUB_TOPIC_HISTORY_REQUEST) == 0)
		return HUB_TOPIC_HISTORY;
	if (strncmp(topic, "np/", 3) != 0)
		return HUB_TOPIC_OTHER;
	word = topic + 3;
	slash = strchr(word, '/');
	k = slash ? hub_kind_parse(word, (size_t)(slash - word)) : HUB_KIND_COUNT;
	if (k == HUB_KIND_COUNT)
		return HUB_TOPIC_OTHER;
	if (k == HUB_KIND_REP && strcmp(strrchr(slash, '/') + 1, HUB_ACK_WORD) == 0)
		return HUB_TOPIC_ACK;
	return of[k];
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

bool
hub_topic_is_np(const char *topic)
{
	return strncmp(topic, "np/", 3) == 0;
}

size_t
hub_topic_parent_len(const char *topic)
{
	const char *last = strrchr(topic, '/');

	return last ? (size_t)(last - topic) + 1 : 0;
}

int
hub_topic_reply(char *buf, size_t len, const char *username, const char *what)
{
	return snprintf(buf, len, "np/reply/%s/%s", username, what);
}

int
hub_topic_report(char *buf, size_t len, const char *village, const char *sub)
{
	return snprintf(buf, len, "np/rep/%.2s/%.4s/%s/%s", village, village, village, sub);
}
