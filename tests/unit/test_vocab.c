/* test_vocab.c - checks vocab.c against DESIGN.md's "Places and scopes",
 * "Roles" and "Topics": the level of an area code from its length, "A is within
 * S", which role may hold which level, usernames, roles, categories and the
 * report and showcase kinds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "np.pb-c.h"
#include "vocab.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- area codes ---- */

static void
area_level_comes_from_the_codes_length(void **state)
{
	static const struct {
		const char *code;
		enum hub_level want;
	} cases[] = {
		{ "TH", HUB_LEVEL_NATION },
		{ "50", HUB_LEVEL_PROVINCE },
		{ "10", HUB_LEVEL_PROVINCE },
		{ "00", HUB_LEVEL_PROVINCE },   /* the shape only; the registry says if it exists */
		{ "5001", HUB_LEVEL_DISTRICT },
		{ "500101", HUB_LEVEL_SUBDISTRICT },
		{ "50010101", HUB_LEVEL_VILLAGE },
		{ "", HUB_LEVEL_BAD },
		{ "5", HUB_LEVEL_BAD },
		{ "050", HUB_LEVEL_BAD },
		{ "50010", HUB_LEVEL_BAD },
		{ "5001010", HUB_LEVEL_BAD },
		{ "500101011", HUB_LEVEL_BAD },
		{ "th", HUB_LEVEL_BAD },
		{ "Th", HUB_LEVEL_BAD },
		{ "T", HUB_LEVEL_BAD },
		{ "THA", HUB_LEVEL_BAD },
		{ "5 0", HUB_LEVEL_BAD },
		{ " 50", HUB_LEVEL_BAD },
		{ "5a", HUB_LEVEL_BAD },
		{ "-1", HUB_LEVEL_BAD },
		{ "+5", HUB_LEVEL_BAD },
		{ "5001010a", HUB_LEVEL_BAD },
		{ "\xef\xbc\x95\xef\xbc\x90", HUB_LEVEL_BAD },  /* fullwidth "50" */
		{ "\xe0\xb9\x95\xe0\xb9\x90", HUB_LEVEL_BAD },  /* Thai digits "50" */
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		enum hub_level got = hub_area_level(cases[i].code, strlen(cases[i].code));

		if (got != cases[i].want)
			fail_msg("'%s': level %d, want %d", cases[i].code, (int)got,
				 (int)cases[i].want);
	}
}

static void
area_level_reads_only_n_bytes(void **state)
{
	(void)state;
	assert_int_equal(hub_area_level("50010101", 2), HUB_LEVEL_PROVINCE);
	assert_int_equal(hub_area_level("50010101", 4), HUB_LEVEL_DISTRICT);
	assert_int_equal(hub_area_level("50010101/outage", 8), HUB_LEVEL_VILLAGE);
	assert_int_equal(hub_area_level("THAILAND", 2), HUB_LEVEL_NATION);
	assert_int_equal(hub_area_level("50", 0), HUB_LEVEL_BAD);
}

static void
area_within_is_th_or_a_prefix(void **state)
{
	static const struct {
		const char *a, *s;
		bool want;
	} cases[] = {
		{ "50010101", "TH", true },
		{ "50", "TH", true },
		{ "TH", "TH", true },
		{ "50010101", "50", true },
		{ "50010101", "5001", true },
		{ "50010101", "500101", true },
		{ "50010101", "50010101", true },
		{ "5001", "5001", true },
		{ "50010102", "50010101", false },
		{ "50020101", "5001", false },
		{ "10010101", "50", false },
		{ "50", "5001", false },          /* a province is not within its district */
		{ "5001", "50010101", false },
		{ "TH", "50", false },            /* the nation is within no province */
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		if (hub_area_within(cases[i].a, cases[i].s) != cases[i].want)
			fail_msg("'%s' within '%s': %s", cases[i].a, cases[i].s,
				 cases[i].want ? "false, want true" : "true, want false");
	}
}

/* ---- roles ---- */

static void
role_may_hold_follows_the_roles_table(void **state)
{
	static const enum hub_level levels[] = { HUB_LEVEL_BAD, HUB_LEVEL_NATION,
						 HUB_LEVEL_PROVINCE, HUB_LEVEL_DISTRICT,
						 HUB_LEVEL_SUBDISTRICT, HUB_LEVEL_VILLAGE };
	/* rows: roles NONE..ADMIN; columns: the levels above */
	static const bool may[7][6] = {
		/* BAD   TH     P      D      SUB    V */
		{ false, false, false, false, false, false },   /* none */
		{ false, false, false, false, false, true },    /* volunteer */
		{ false, false, false, false, false, true },    /* resident */
		{ false, true, true, true, false, false },      /* official */
		{ false, true, true, false, false, false },     /* agency */
		{ false, true, true, false, false, false },     /* operator */
		{ false, true, true, true, false, false },      /* admin: TH or scoped */
	};
	size_t r, l;

	(void)state;
	for (r = 0; r < 7; r++) {
		for (l = 0; l < COUNT(levels); l++) {
			if (hub_role_may_hold((enum hub_role)r, levels[l]) != may[r][l])
				fail_msg("role %s, level %d: %s", hub_role_name((enum hub_role)r),
					 (int)levels[l], may[r][l] ? "refused" : "allowed");
		}
	}
	assert_false(hub_role_may_hold((enum hub_role)7, HUB_LEVEL_NATION));
	assert_false(hub_role_may_hold((enum hub_role)-1, HUB_LEVEL_VILLAGE));
}

static void
role_names_round_trip_and_unknown_ones_do_not(void **state)
{
	static const char *const names[] = { "volunteer", "resident", "official",
					     "agency", "operator", "admin" };
	static const char *const bad[] = { "", "Volunteer", "ADMIN", "unknown", "root",
					   "volunteer ", "official\n" };
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(names); i++) {
		assert_int_equal(hub_role_parse(names[i]), (int)(HUB_ROLE_VOLUNTEER + i));
		assert_string_equal(hub_role_name(hub_role_parse(names[i])), names[i]);
	}
	for (i = 0; i < COUNT(bad); i++)
		assert_int_equal(hub_role_parse(bad[i]), HUB_ROLE_NONE);
	assert_string_equal(hub_role_name(HUB_ROLE_NONE), "unknown");
	assert_string_equal(hub_role_name((enum hub_role)7), "unknown");
	assert_string_equal(hub_role_name((enum hub_role)-1), "unknown");
}

/* np.proto's AckState names, lower case, without the ACK_STATE_ prefix */
static void
ack_state_names_are_np_protos(void **state)
{
	const ProtobufCEnumDescriptor *d = &np__ack_state__descriptor;
	char want[32];
	const char *name;
	unsigned i;
	size_t j;

	(void)state;
	for (i = 0; i < d->n_values; i++) {
		name = d->values[i].name;
		if (strncmp(name, "ACK_STATE_", 10) == 0)
			name += 10;
		for (j = 0; name[j] != '\0' && j < sizeof(want) - 1; j++)
			want[j] = (char)(name[j] >= 'A' && name[j] <= 'Z' ? name[j] - 'A' + 'a' : name[j]);
		want[j] = '\0';
		assert_string_equal(hub_ack_state_name(d->values[i].value), want);
	}
	assert_string_equal(hub_ack_state_name((int)d->n_values), "unknown");
	assert_string_equal(hub_ack_state_name(-1), "unknown");
}

/* ---- usernames ---- */

static void
username_starts_with_a_letter_and_holds_only_the_allowed_bytes(void **state)
{
	static const struct {
		const char *name;
		bool ok;
	} cases[] = {
		{ "somchai", true },
		{ "a", true },
		{ "Z", true },
		{ "cm_official", true },
		{ "nt-operator.2", true },
		{ "A1b2", true },
		{ "", false },
		{ "1abc", false },
		{ "50010101", false },  /* a village code is no username */
		{ "_a", false },
		{ ".a", false },
		{ "-a", false },
		{ "som chai", false },
		{ "som+chai", false },
		{ "som#chai", false },
		{ "np/rep", false },
		{ "a$b", false },
		{ "a@b", false },
		{ "สมชาย", false },
		{ "s\xc3\xb6m", false },
		{ "somchai\n", false },
		{ "hub", false },       /* the hub's own name, on its replies */
		{ "HUB", false },
		{ "hubs", true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		if (hub_username_valid(cases[i].name, strlen(cases[i].name)) != cases[i].ok)
			fail_msg("'%s': %s", cases[i].name, cases[i].ok ? "refused" : "accepted");
	}
}

static void
username_is_at_most_64_bytes(void **state)
{
	char name[HUB_USERNAME_MAX + 2];

	(void)state;
	memset(name, 'a', sizeof(name));
	assert_true(hub_username_valid(name, HUB_USERNAME_MAX));
	assert_false(hub_username_valid(name, HUB_USERNAME_MAX + 1));
	assert_false(hub_username_valid("a\0b", 3));    /* n counts, a NUL is no letter */
	assert_true(hub_username_valid("ab+c", 2));     /* only n bytes are read */
	assert_false(hub_username_valid("ab", 0));
}

/* ---- categories and kinds ---- */

static void
category_names_and_indexes_round_trip(void **state)
{
	static const char *const names[HUB_CATEGORY_COUNT] = {
		"weather", "agriculture", "health", "commerce", "education",
		"event", "network", "emergency", "general",
	};
	int i;

	(void)state;
	for (i = 0; i < HUB_CATEGORY_COUNT; i++) {
		assert_string_equal(hub_category_name(i), names[i]);
		assert_int_equal(hub_category_index(names[i], strlen(names[i])), i);
	}
	assert_null(hub_category_name(-1));
	assert_null(hub_category_name(HUB_CATEGORY_COUNT));
	assert_int_equal(hub_category_index("Weather", 7), -1);
	assert_int_equal(hub_category_index("weathe", 6), -1);
	assert_int_equal(hub_category_index("weathers", 8), -1);
	assert_int_equal(hub_category_index("", 0), -1);
	assert_int_equal(hub_category_index("sports", 6), -1);
	assert_int_equal(hub_category_index("weather/x", 7), 0);        /* n bytes only */
}

static void
categories_parse_builds_the_mask_or_points_at_the_bad_name(void **state)
{
	static const struct {
		const char *list;
		size_t ret;             /* 0, or the bad name's offset + 1 */
		uint16_t mask;          /* when ret is 0 */
	} cases[] = {
		{ "weather", 0, 1u << 0 },
		{ "health", 0, 1u << 2 },
		{ "weather,health", 0, (1u << 0) | (1u << 2) },
		{ "general,weather", 0, (1u << 8) | (1u << 0) },
		{ "weather,weather", 0, 1u << 0 },
		{ "weather,agriculture,health,commerce,education,event,network,emergency,general",
		  0, 0x1ff },
		{ "", 1, 0 },
		{ "sports", 1, 0 },
		{ "Weather", 1, 0 },
		{ "weather,sports", 9, 0 },
		{ "weather,,health", 9, 0 },
		{ "weather,", 9, 0 },
		{ ",weather", 1, 0 },
		{ "weather, health", 9, 0 },
		{ "health,education,x", 18, 0 },
	};
	uint16_t mask;
	size_t i, ret;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		mask = 0xffff;
		ret = hub_categories_parse(cases[i].list, &mask);
		if (ret != cases[i].ret)
			fail_msg("'%s': returned %zu, want %zu", cases[i].list, ret, cases[i].ret);
		if (ret == 0 && mask != cases[i].mask)
			fail_msg("'%s': mask 0x%x, want 0x%x", cases[i].list, mask,
				 cases[i].mask);
	}
}

static void
report_and_showcase_kinds_are_the_listed_words_only(void **state)
{
	static const char *const reports[] = { "outage", "need", "incident", "feedback" };
	static const char *const shows[] = { "product", "story", "place" };
	static const char *const neither[] = { "", "ack", "Outage", "out", "outages",
					       "products", "flood", "+", "#", "video" };
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(reports); i++) {
		assert_true(hub_report_kind_valid(reports[i], strlen(reports[i])));
		assert_false(hub_show_kind_valid(reports[i], strlen(reports[i])));
	}
	for (i = 0; i < COUNT(shows); i++) {
		assert_true(hub_show_kind_valid(shows[i], strlen(shows[i])));
		assert_false(hub_report_kind_valid(shows[i], strlen(shows[i])));
	}
	for (i = 0; i < COUNT(neither); i++) {
		if (hub_report_kind_valid(neither[i], strlen(neither[i]))
		    || hub_show_kind_valid(neither[i], strlen(neither[i])))
			fail_msg("'%s' taken for a kind", neither[i]);
	}
	assert_true(hub_report_kind_valid("outage/x", 6));      /* n bytes only */
	assert_false(hub_report_kind_valid("outage", 5));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(area_level_comes_from_the_codes_length),
		cmocka_unit_test(area_level_reads_only_n_bytes),
		cmocka_unit_test(area_within_is_th_or_a_prefix),
		cmocka_unit_test(role_may_hold_follows_the_roles_table),
		cmocka_unit_test(role_names_round_trip_and_unknown_ones_do_not),
		cmocka_unit_test(ack_state_names_are_np_protos),
		cmocka_unit_test(username_starts_with_a_letter_and_holds_only_the_allowed_bytes),
		cmocka_unit_test(username_is_at_most_64_bytes),
		cmocka_unit_test(category_names_and_indexes_round_trip),
		cmocka_unit_test(categories_parse_builds_the_mask_or_points_at_the_bad_name),
		cmocka_unit_test(report_and_showcase_kinds_are_the_listed_words_only),
	};

	return cmocka_run_group_tests_name("vocab", tests, NULL, NULL);
}
