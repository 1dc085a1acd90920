/* vocab.h - the words of DESIGN.md: roles, categories, report and showcase
 * kinds, area codes and usernames. Pure functions, shared by the plugin and np-admin. */
#ifndef NP_VOCAB_H
#define NP_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Same numbers as np.Role in proto/np.proto. */
enum hub_role {
	HUB_ROLE_NONE = 0,
	HUB_ROLE_VOLUNTEER = 1,
	HUB_ROLE_RESIDENT = 2,
	HUB_ROLE_OFFICIAL = 3,
	HUB_ROLE_AGENCY = 4,
	HUB_ROLE_OPERATOR = 5,
	HUB_ROLE_ADMIN = 6,
};

enum hub_level { HUB_LEVEL_BAD = 0, HUB_LEVEL_NATION, HUB_LEVEL_PROVINCE, HUB_LEVEL_DISTRICT,
		 HUB_LEVEL_SUBDISTRICT, HUB_LEVEL_VILLAGE };

#define HUB_AREA_MAX 8          /* longest area code, a village */
#define HUB_USERNAME_MAX 64
#define HUB_CATEGORY_COUNT 9

/* "volunteer" -> HUB_ROLE_VOLUNTEER; HUB_ROLE_NONE when unknown. */
enum hub_role hub_role_parse(const char *s);
/* HUB_ROLE_VOLUNTEER -> "volunteer"; "unknown" when out of range. */
const char *hub_role_name(enum hub_role r);

/* An np.AckState by number: "unspecified", "received", "in_progress",
 * "resolved", "rejected"; "unknown" when out of range. */
const char *hub_ack_state_name(int state);

/* Category name (n bytes, not NUL-terminated) -> bit index 0..8, or -1. */
int hub_category_index(const char *s, size_t n);
const char *hub_category_name(int index);
/* "weather,health" -> bit mask in *mask; returns the bad name's offset + 1, 0 when all good. */
size_t hub_categories_parse(const char *list, uint16_t *mask);

bool hub_report_kind_valid(const char *s, size_t n);   /* outage|need|incident|feedback */
bool hub_show_kind_valid(const char *s, size_t n);     /* product|story|place */

/* The level of the code of n bytes: TH, 2, 4, 6 or 8 digits; HUB_LEVEL_BAD otherwise. */
enum hub_level hub_area_level(const char *s, size_t n);
/* A is within S: S is TH, or A starts with S. Both NUL-terminated. */
bool hub_area_within(const char *a, const char *s);
/* The area a role may hold: volunteer/resident a village, official TH/P/D,
 * agency and operator TH/P, admin TH. */
bool hub_role_may_hold(enum hub_role r, enum hub_level l);
/* A username: starts with an ASCII letter, then letters, digits, '.', '_' or '-',
 * at most HUB_USERNAME_MAX bytes. */
bool hub_username_valid(const char *s, size_t n);

#endif
