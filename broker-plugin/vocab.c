/* vocab.c - the fixed vocabularies of DESIGN.md and the rules on area codes.
 * No state, no allocation: the plugin calls these on every publish. */
#include <string.h>
#include <strings.h>

#include "vocab.h"

static const char *const role_names[] = {
	"unknown", "volunteer", "resident", "official", "agency", "operator", "admin",
};

static const char *const category_names[HUB_CATEGORY_COUNT] = {
	"weather", "agriculture", "health", "commerce", "education",
	"event", "network", "emergency", "general",
};

static const char *const report_kinds[HUB_REPORT_KIND_COUNT] = {
	"outage", "need", "incident", "feedback",
};

static const char *const show_kinds[] = { "product", "story", "place" };

/* Same numbers as np.AckState in proto/np.proto. */
static const char *const ack_states[] = {
	"unspecified", "received", "in_progress", "resolved", "rejected", "assigned",
};

/* The index letters are part of the history tables' keys: never change one. */
static const struct hub_kind_info kinds[HUB_KIND_COUNT] = {
	[HUB_KIND_ANN] = { "ann", 2, 'a', false },
	[HUB_KIND_REP] = { "rep", 4, 'r', true },
	[HUB_KIND_STATUS] = { "status", 3, 's', true },
	[HUB_KIND_SHOW] = { "show", 4, 'w', true },
	[HUB_KIND_DM] = { "dm", 1, 'd', false },
	[HUB_KIND_REPLY] = { "reply", 2, 0, false },
};

static bool
word_in(const char *s, size_t n, const char *const *words, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return true;
	}
	return false;
}

enum hub_role
hub_role_parse(const char *s)
{
	int r;

	for (r = HUB_ROLE_VOLUNTEER; r <= HUB_ROLE_ADMIN; r++) {
		if (strcmp(s, role_names[r]) == 0)
			return (enum hub_role)r;
	}
	return HUB_ROLE_NONE;
}

const char *
hub_role_name(enum hub_role r)
{
	if (r < HUB_ROLE_VOLUNTEER || r > HUB_ROLE_ADMIN)
		return role_names[0];
	return role_names[r];
}

int
hub_category_index(const char *s, size_t n)
{
	int i;

	for (i = 0; i < HUB_CATEGORY_COUNT; i++) {
		if (strlen(category_names[i]) == n && memcmp(category_names[i], s, n) == 0)
			return i;
	}
	return -1;
}

const char *
hub_category_name(int index)
{
	if (index < 0 || index >= HUB_CATEGORY_COUNT)
		return NULL;
	return category_names[index];
}

size_t
hub_categories_parse(const char *list, uint16_t *mask)
{
	const char *p = list;
	const char *end;
	int idx;

	*mask = 0;
	for (;;) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		idx = hub_category_index(p, (size_t)(end - p));
		if (idx < 0)
			return (size_t)(p - list) + 1;
		*mask |= (uint16_t)(1u << idx);
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

const struct hub_kind_info *
hub_kind_info(enum hub_kind k)
{
	return &kinds[k];
}

enum hub_kind
hub_kind_parse(const char *s, size_t n)
{
	int k;

	for (k = 0; k < HUB_KIND_COUNT; k++) {
		if (strlen(kinds[k].word) == n && memcmp(kinds[k].word, s, n) == 0)
			return (enum hub_kind)k;
	}
	return HUB_KIND_COUNT;
}

enum hub_kind
hub_kind_of_index(char letter)
{
	int k;

	for (k = 0; k < HUB_KIND_COUNT && letter != 0; k++) {
		if (kinds[k].index == letter)
			return (enum hub_kind)k;
	}
	return HUB_KIND_COUNT;
}

bool
hub_report_kind_valid(const char *s, size_t n)
{
	return word_in(s, n, report_kinds, HUB_REPORT_KIND_COUNT);
}

const char *
hub_report_kind_name(int i)
{
	return i >= 0 && i < HUB_REPORT_KIND_COUNT ? report_kinds[i] : NULL;
}

const char *
hub_ack_state_name(int s)
{
	if (s < 0 || (size_t)s >= sizeof(ack_states) / sizeof(ack_states[0]))
		return "unknown";
	return ack_states[s];
}

bool
hub_show_kind_valid(const char *s, size_t n)
{
	return word_in(s, n, show_kinds, sizeof(show_kinds) / sizeof(show_kinds[0]));
}

enum hub_level
hub_area_level(const char *s, size_t n)
{
	size_t i;

	if (n == 2 && s[0] == 'T' && s[1] == 'H')
		return HUB_LEVEL_NATION;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return HUB_LEVEL_BAD;
	}
	switch (n) {
	case 2: return HUB_LEVEL_PROVINCE;
	case 4: return HUB_LEVEL_DISTRICT;
	case 6: return HUB_LEVEL_SUBDISTRICT;
	case 8: return HUB_LEVEL_VILLAGE;
	default: return HUB_LEVEL_BAD;
	}
}

bool
hub_area_within(const char *a, const char *s)
{
	size_t n = strlen(s);

	if (strcmp(s, "TH") == 0)
		return true;
	return strncmp(a, s, n) == 0;
}

bool
hub_role_may_hold(enum hub_role r, enum hub_level l)
{
	switch (r) {
	case HUB_ROLE_VOLUNTEER:
	case HUB_ROLE_RESIDENT:
		return l == HUB_LEVEL_VILLAGE;
	case HUB_ROLE_OFFICIAL:
	case HUB_ROLE_ADMIN:    /* a province or district admin is a scoped one */
		return l == HUB_LEVEL_NATION || l == HUB_LEVEL_PROVINCE || l == HUB_LEVEL_DISTRICT;
	case HUB_ROLE_AGENCY:
	case HUB_ROLE_OPERATOR:
		return l == HUB_LEVEL_NATION || l == HUB_LEVEL_PROVINCE;
	default:
		return false;
	}
}

bool
hub_username_valid(const char *s, size_t n)
{
	size_t i;
	char c;

	if (n == 0 || n > HUB_USERNAME_MAX)
		return false;
	if (n == 3 && strncasecmp(s, "hub", 3) == 0)
		return false;   /* the hub's own name, on its replies */
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 1; i < n; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		      || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

void
hub_hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hub_unhex(const char *s, size_t len, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (len != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = nibble(s[2 * i]);
		lo = nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
hub_put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

uint64_t
hub_get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}
