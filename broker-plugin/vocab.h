/* vocab.h - the words of DESIGN.md: roles, categories, topic kinds, report and
 * showcase kinds, ack states, area codes and usernames. One table each, in
 * vocab.c. Pure functions, shared by the plugin and np-admin. */
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
#define HUB_REPORT_KIND_COUNT 4
#define HUB_ACK_WORD "ack"      /* np/rep/P/D/V/ack: the level of an ack, after the report kinds */

/* The kinds of np topic, np/<word>/... (DESIGN.md "Topics"). */
enum hub_kind {
	HUB_KIND_ANN, HUB_KIND_REP, HUB_KIND_STATUS, HUB_KIND_SHOW, HUB_KIND_DM, HUB_KIND_REPLY,
	HUB_KIND_COUNT
};

struct hub_kind_info {
	const char *word;       /* np/<word>/... */
	int fields;             /* levels after np/<word>; reply: owner + at least one */
	char index;             /* its history index letter (on disk); 0: not kept */
	bool by_place;          /* fields are P/D/V (+ a sub-level), indexed under each */
};

/* The row of k (k < HUB_KIND_COUNT). */
const struct hub_kind_info *hub_kind_info(enum hub_kind k);
/* The kind named by s[0..n), or HUB_KIND_COUNT. */
enum hub_kind hub_kind_parse(const char *s, size_t n);
/* The kind of a history index letter, or HUB_KIND_COUNT. */
enum hub_kind hub_kind_of_index(char letter);

/* "volunteer" -> HUB_ROLE_VOLUNTEER; HUB_ROLE_NONE when unknown. */
enum hub_role hub_role_parse(const char *s);
/* HUB_ROLE_VOLUNTEER -> "volunteer"; "unknown" when out of range. */
const char *hub_role_name(enum hub_role r);

/* Category name (n bytes, not NUL-terminated) -> bit index 0..8, or -1. */
int hub_category_index(const char *s, size_t n);
const char *hub_category_name(int index);
/* "weather,health" -> bit mask in *mask; returns the bad name's offset + 1, 0 when all good. */
size_t hub_categories_parse(const char *list, uint16_t *mask);

bool hub_report_kind_valid(const char *s, size_t n);   /* outage|need|incident|feedback */
/* Report kind i (0..HUB_REPORT_KIND_COUNT-1) in DESIGN.md's order; NULL out of range. */
const char *hub_report_kind_name(int i);
/* np.AckState s: "unspecified", "received", ...; "unknown" out of range. */
const char *hub_ack_state_name(int s);
bool hub_show_kind_valid(const char *s, size_t n);     /* product|story|place */

/* The level of the code of n bytes: TH, 2, 4, 6 or 8 digits; HUB_LEVEL_BAD otherwise. */
enum hub_level hub_area_level(const char *s, size_t n);
/* A is within S: S is TH, or A starts with S. Both NUL-terminated. */
bool hub_area_within(const char *a, const char *s);
/* The area a role may hold: volunteer/resident a village, official TH/P/D,
 * agency and operator TH/P, admin TH/P/D (P or D: a scoped admin). */
bool hub_role_may_hold(enum hub_role r, enum hub_level l);
/* A username: starts with an ASCII letter, then letters, digits, '.', '_' or '-',
 * at most HUB_USERNAME_MAX bytes. */
bool hub_username_valid(const char *s, size_t n);

/* v as 8 big-endian bytes into p (keys that sort as numbers), and back. */
void hub_put_be64(uint8_t *p, uint64_t v);
uint64_t hub_get_be64(const uint8_t *p);

/* n bytes as 2n lower-case hex digits and a NUL, into out. */
void hub_hex(const uint8_t *b, size_t n, char *out);
/* Exactly 2n hex digits (either case; len: how many s holds) into n bytes:
 * 0, or -1 when s is not that. */
int hub_unhex(const char *s, size_t len, uint8_t *out, size_t n);

#endif
