/* test_acl.c - checks hub_acl_check and hub_topic_kind against DESIGN.md's
 * "Places and scopes", "Roles" and "Topics", written from the contract, not from acl.c.
 * One table of {access, topic, expected} rows per principal; WRITE and SUBSCRIBE rows
 * run against a fake registry, READ rows with dir = NULL (deliveries are not looked up). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "acl.h"
#include "vocab.h"

/* Relations to the volunteer's village 50010101, as P/D/V topic levels. */
#define OWN "50/5001/50010101"  /* own village */
#define SIB "50/5001/50010102"  /* sibling village, same subdistrict 500101 */
#define NBR "50/5001/50010201"  /* another village of district 5001 (subdistrict 500102) */
#define PRV "50/5002/50020101"  /* a village of another district of province 50 */
#define FAR "10/1001/10010101"  /* a village of another province */
#define GHOST "50/5001/50019999" /* well formed, but not in the registry */

#define Y true
#define N false
#define W(t, g) { HUB_WRITE, (t), (g) }
#define R(t, g) { HUB_READ, (t), (g) }
#define S(t, g) { HUB_SUBSCRIBE, (t), (g) }
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct row {
	enum hub_access a;
	const char *topic;
	bool grant;
};

/* ---- fake registry ---------------------------------------------------- */

static const char *const places[] = {
	"50", "5001", "500101", "500102", "50010101", "50010102", "50010201",
	"5002", "500201", "50020101", "10", "1001", "100101", "10010101", NULL,
};
static const char *const officials[] = { "ministry", "cm_official", "muang_official", NULL };

struct fake_dir {
	unsigned calls;
};

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static bool
fake_place_exists(void *ctx, const char *code)
{
	((struct fake_dir *)ctx)->calls++;
	return in_list(places, code);
}

static bool
fake_official_exists(void *ctx, const char *username)
{
	((struct fake_dir *)ctx)->calls++;
	return in_list(officials, username);
}

/* A directory that fails the test when asked anything. */
static const char *trap_topic;

static bool
trap_place_exists(void *ctx, const char *code)
{
	(void)ctx;
	fail_msg("HUB_READ of \"%s\" looked up place \"%s\"", trap_topic, code);
	return false;
}

static bool
trap_official_exists(void *ctx, const char *username)
{
	(void)ctx;
	fail_msg("HUB_READ of \"%s\" looked up official \"%s\"", trap_topic, username);
	return false;
}

/* ---- principals --------------------------------------------------------- */

enum who { VOL, RES, OFF_TH, OFF_P, OFF_D, AG_TH, AG_P, OP_TH, OP_P, ADM, ADM_P, ADM_D, WHO_COUNT };

static struct hub_principal who[WHO_COUNT];

static uint16_t
categories(const char *a, const char *b)
{
	int i = hub_category_index(a, strlen(a));
	int j = hub_category_index(b, strlen(b));

	assert_true(i >= 0 && j >= 0);
	return (uint16_t)((1u << i) | (1u << j));
}

static void
set_who(enum who w, const char *name, enum hub_role r, const char *scope, uint16_t cats)
{
	who[w].username = name;
	who[w].role = r;
	snprintf(who[w].scope, sizeof(who[w].scope), "%s", scope);
	who[w].categories = cats;
}

static int
principals_setup(void **state)
{
	(void)state;
	set_who(VOL, "vol1", HUB_ROLE_VOLUNTEER, "50010101", 0);
	set_who(RES, "res1", HUB_ROLE_RESIDENT, "50010101", 0);
	set_who(OFF_TH, "ministry", HUB_ROLE_OFFICIAL, "TH", 0);
	set_who(OFF_P, "cm_official", HUB_ROLE_OFFICIAL, "50", 0);
	set_who(OFF_D, "muang_official", HUB_ROLE_OFFICIAL, "5001", 0);
	set_who(AG_TH, "tmd", HUB_ROLE_AGENCY, "TH", categories("weather", "emergency"));
	set_who(AG_P, "agri50", HUB_ROLE_AGENCY, "50", categories("agriculture", "weather"));
	set_who(OP_TH, "ntnet", HUB_ROLE_OPERATOR, "TH", 0);
	set_who(OP_P, "op50", HUB_ROLE_OPERATOR, "50", 0);
	set_who(ADM, "root", HUB_ROLE_ADMIN, "TH", 0);
	set_who(ADM_P, "adm50", HUB_ROLE_ADMIN, "50", 0);
	set_who(ADM_D, "adm5001", HUB_ROLE_ADMIN, "5001", 0);
	return 0;
}

/* ---- tables -------------------------------------------------------------- */

/* Structural refusals and the request API: the same for every role. */
static const struct row every_role[] = {
	W("$CONTROL/np/v1/history", Y),
	W("$SYS/broker/uptime", N),
	W("np/reply/vol1/history", N),         /* reply topics are the hub's alone */
	W("np/reply/root/history", N),
	/* FIXME acl: wildcards are not publish topics, but a wildcard level is taken as
	 * "any" also for HUB_WRITE, so a TH-scoped writer (ministry) is granted these. */
	W("np/ann/+/weather", N),
	W("np/ann/50/#", N),
	W("np/ann//weather", N),
	W("np/ann/500101/general", N),         /* subdistrict codes are not areas */
	W("np/ann/50/gossip", N),              /* unknown category */
	W("np/ann/50", N),
	W("np/ann/50/weather/extra", N),
	W("np/rep/50/5002/50010101/ack", N),   /* D does not start with P... */
	W("np/rep/10/5001/50010101/ack", N),
	W("np/rep/50/5001/50020101/ack", N),   /* ...V does not start with D */
	W("np/rep/5/5001/50010101/ack", N),    /* wrong lengths */
	W("np/rep/50/500/50010101/ack", N),
	W("np/rep/50/5001/5001010/ack", N),
	W("np/rep/50/5001/500101/ack", N),
	W("np/rep/50/5001/50010101/ack/x", N),
	W("np/rep/50/5001/50010101", N),
	W("np/rep/50/5001/50010101/bogus", N),
	W("np/rep/TH/5001/50010101/ack", N),
	W("np/status/" OWN "/x", N),
	W("np/status/50/5001", N),
	W("np/show/" OWN "/video", N),
	W("np/dm", N),
	W("np/dm/", N),
	W("np/dm/9bad", N),
	W("np/unknown/50", N),
	W("np", N),
	W("foo/bar", N),
	W("", N),
	R("np/rep/50/5002/50010101/outage", N),
	R("np/ann/500101/weather", N),
	R("np/ann/50/gossip", N),
	S("np/rep/50", N),                     /* wrong depth without # */
	S("np/ann/TH/gossip", N),
	S("np/rep/50/1001/#", N),              /* 1001 is not in 50 */
	S("np/ann/500101/#", N),
	S("np/rep/+/+/+/bogus", N),
	S("np/show/+/+/+/video", N),
	S("np/rep/50/5099/#", N),              /* not in the registry */
	S("np/ann/99/#", N),
	S("np/rep/" GHOST "/#", N),
	S("", N),
};

/* What only the TH admin may read: $SYS; nothing else under $CONTROL is writable. */
static const struct row every_role_but_admin[] = {
	W("$CONTROL/np/v1/frobnicate", N),
	W("$CONTROL/other", N),
	R("$CONTROL/np/v1/history", N),
	R("$SYS/broker/uptime", N),
	R("np/reply/root/history", N),
	S("$SYS/#", N),
	S("$SYS/broker/uptime", N),
	S("#", N),
	S("np/#", N),
	S("np/reply/#", N),
	S("np/reply/+/history", N),
	S("np/dm/#", N),
	S("$share/g/#", N),
};

static const struct row volunteer_rows[] = {
	/* reports of its own village, any kind; nobody else's */
	W("np/rep/" OWN "/outage", Y),
	W("np/rep/" OWN "/need", Y),
	W("np/rep/" OWN "/incident", Y),
	W("np/rep/" OWN "/feedback", Y),
	W("np/rep/" SIB "/outage", N),
	W("np/rep/" NBR "/need", N),
	W("np/rep/" PRV "/incident", N),
	W("np/rep/" FAR "/feedback", N),
	W("np/rep/" OWN "/ack", N),
	W("np/rep/50/5001/50010101/outage/x", N),
	W("np/rep/" OWN "/+", N),              /* FIXME acl: wildcard write granted */
	W("np/rep/50/5001/+/outage", N),
	W("np/status/50/5001/+", N),
	W("np/show/" OWN "/+", N),             /* FIXME acl: wildcard write granted */
	W("np/ann/50010101/+", N),             /* FIXME acl: wildcard write granted */
	W("np/ann/50010101/#", N),             /* FIXME acl: wildcard write granted */
	W("np/dm/+", N),
	W("np/dm/#", N),                       /* FIXME acl: refused, but memcpy(name, NULL, 0) */
	/* status and showcase of its own village */
	W("np/status/" OWN, Y),
	W("np/status/" SIB, N),
	W("np/status/" FAR, N),
	W("np/show/" OWN "/product", Y),
	W("np/show/" OWN "/story", Y),
	W("np/show/" OWN "/place", Y),
	W("np/show/" SIB "/product", N),
	W("np/show/" FAR "/story", N),
	/* village announcements: own village area, any category */
	W("np/ann/50010101/weather", Y),
	W("np/ann/50010101/general", Y),
	W("np/ann/50010101/emergency", Y),
	W("np/ann/50010101/network", Y),
	W("np/ann/50010102/general", N),
	W("np/ann/50010201/general", N),
	W("np/ann/5001/general", N),
	W("np/ann/50/general", N),
	W("np/ann/TH/general", N),
	W("np/ann/10/general", N),
	W("np/ann/10010101/general", N),
	/* DMs to a registered village or an existing official */
	W("np/dm/50010102", Y),
	W("np/dm/10010101", Y),
	W("np/dm/ministry", Y),
	W("np/dm/cm_official", Y),
	W("np/dm/muang_official", Y),
	W("np/dm/nosuch_official", N),
	W("np/dm/res1", N),                    /* a user, but not an official */
	W("np/dm/99999999", N),                /* not in the registry */
	W("np/dm/5001", N),                    /* a district is not an inbox */
	W("np/dm/500101", N),
	W("np/dm/50", N),
	W("np/dm/TH", N),
	/* reads: announcements on its branch */
	R("np/ann/TH/weather", Y),
	R("np/ann/50/agriculture", Y),
	R("np/ann/5001/health", Y),
	R("np/ann/50010101/general", Y),
	R("np/ann/50010102/general", N),
	R("np/ann/50010201/general", N),
	R("np/ann/5002/general", N),
	R("np/ann/50020101/general", N),
	R("np/ann/10/weather", N),
	R("np/ann/1001/weather", N),
	R("np/ann/10010101/weather", N),
	/* its village's reports and acks */
	R("np/rep/" OWN "/outage", Y),
	R("np/rep/" OWN "/need", Y),
	R("np/rep/" OWN "/incident", Y),
	R("np/rep/" OWN "/feedback", Y),
	R("np/rep/" OWN "/ack", Y),
	R("np/rep/" SIB "/outage", N),
	R("np/rep/" SIB "/ack", N),
	R("np/rep/" NBR "/outage", N),
	R("np/rep/" FAR "/need", N),
	R("np/status/" OWN, N),                /* status is not among a volunteer's reads */
	R("np/status/" SIB, N),
	/* all showcase; its village inbox; its own replies */
	R("np/show/" OWN "/product", Y),
	R("np/show/" SIB "/story", Y),
	R("np/show/" FAR "/place", Y),
	R("np/dm/50010101", Y),
	R("np/dm/50010102", N),
	R("np/dm/ministry", N),
	R("np/reply/vol1/history", Y),
	R("np/reply/res1/history", N),
	/* subscriptions */
	S("np/rep/" OWN "/#", Y),
	S("np/rep/" OWN "/+", Y),
	S("np/rep/" OWN "/ack", Y),
	S("np/rep/50/5001/+/outage", N),
	S("np/rep/50/5001/50010102/#", N),
	S("np/rep/50/#", N),
	S("np/rep/#", N),
	S("np/ann/TH/#", Y),
	S("np/ann/50/+", Y),
	S("np/ann/5001/weather", Y),
	S("np/ann/50010101/#", Y),
	S("np/ann/50010102/#", N),
	S("np/ann/5002/#", N),
	S("np/ann/+/weather", N),
	S("np/ann/#", N),
	S("np/show/#", Y),
	S("np/show/+/+/+/product", Y),
	S("np/show/10/#", Y),
	S("np/dm/50010101", Y),
	S("np/dm/+", N),
	S("np/reply/vol1/#", Y),
	S("np/status/" OWN, N),
	S("$share/vol1/np/ann/TH/#", Y),
	S("$share/vol1/np/rep/50/#", N),
	S("$share/cm_official/np/ann/TH/#", N),  /* another user's group */
	S("$share/vol1~b/np/ann/TH/#", Y),
	S("$share/vol1x/np/ann/TH/#", N),
	S("$share//np/ann/TH/#", N),
};

static const struct row resident_rows[] = {
	W("np/rep/" OWN "/outage", N),
	W("np/rep/" OWN "/ack", N),
	W("np/status/" OWN, N),
	W("np/show/" OWN "/product", N),
	W("np/ann/50010101/general", N),
	W("np/ann/TH/general", N),
	W("np/dm/50010102", N),
	W("np/dm/ministry", N),
	R("np/ann/TH/weather", Y),
	R("np/ann/50/health", Y),
	R("np/ann/5001/event", Y),
	R("np/ann/50010101/general", Y),
	R("np/ann/50010102/general", N),
	R("np/ann/50010201/general", N),
	R("np/ann/5002/general", N),
	R("np/ann/10/weather", N),
	R("np/rep/" OWN "/outage", N),
	R("np/rep/" OWN "/ack", N),
	R("np/status/" OWN, N),
	R("np/show/" OWN "/product", Y),
	R("np/show/" FAR "/story", Y),
	R("np/dm/50010101", N),
	R("np/reply/res1/history", Y),
	R("np/reply/vol1/history", N),
	S("np/ann/TH/#", Y),
	S("np/ann/50/+", Y),
	S("np/ann/50010101/#", Y),
	S("np/ann/50010102/#", N),
	S("np/ann/#", N),
	S("np/show/#", Y),
	S("np/rep/" OWN "/#", N),
	S("np/dm/50010101", N),
	S("np/reply/res1/#", Y),
};

static const struct row ministry_rows[] = {
	W("np/ann/TH/general", Y),
	W("np/ann/10/weather", Y),
	W("np/ann/1001/health", Y),
	W("np/ann/10010101/event", Y),
	W("np/ann/50/emergency", Y),
	W("np/ann/99/general", N),             /* not in the registry */
	W("np/rep/" OWN "/ack", Y),
	W("np/rep/" FAR "/ack", Y),
	W("np/rep/" GHOST "/ack", N),
	W("np/rep/+/+/+/ack", N),              /* FIXME acl: wildcard write granted */
	W("np/rep/50/#", N),
	W("np/ann/TH/+", N),                   /* FIXME acl: wildcard write granted */
	W("np/rep/" OWN "/outage", N),
	W("np/status/" OWN, N),
	W("np/show/" OWN "/product", Y),          /* a withdrawal only (publish.c) */
	W("np/dm/50010101", Y),
	W("np/dm/cm_official", Y),
	W("np/dm/nosuch_official", N),
	R("np/rep/" OWN "/outage", Y),
	R("np/rep/" FAR "/need", Y),
	R("np/rep/" PRV "/ack", Y),
	R("np/rep/" GHOST "/outage", Y),       /* reads are not looked up */
	R("np/status/" FAR, Y),
	R("np/ann/TH/general", Y),
	R("np/ann/10/weather", Y),
	R("np/ann/10010101/event", Y),
	R("np/show/" FAR "/place", Y),
	R("np/dm/ministry", Y),
	R("np/dm/cm_official", N),
	R("np/dm/50010101", N),
	R("np/reply/ministry/history", Y),
	R("np/reply/vol1/history", N),
	S("np/rep/#", Y),
	S("np/rep/+/+/+/outage", Y),
	S("np/rep/10/#", Y),
	S("np/status/#", Y),
	S("np/ann/#", Y),
	S("np/ann/+/+", Y),
	S("np/show/#", Y),
	S("np/dm/ministry", Y),
	S("np/dm/+", N),
	S("np/reply/ministry/#", Y),
	S("$share/ministry/np/rep/#", Y),
	/* FIXME acl: with a wildcard kind level the places named are not looked up
	 * (check_any_kind never calls dir), so 5099, not in the registry, passes. */
	S("np/+/50/5099/#", N),
	S("np/+/5099/#", N),
};

static const struct row province_official_rows[] = {
	W("np/ann/50/emergency", Y),
	W("np/ann/5001/health", Y),
	W("np/ann/50010102/weather", Y),
	W("np/ann/5002/general", Y),
	W("np/ann/50020101/commerce", Y),
	W("np/ann/TH/general", N),
	W("np/ann/10/general", N),
	W("np/ann/1001/general", N),
	W("np/ann/10010101/general", N),
	W("np/ann/5099/weather", N),           /* not in the registry */
	W("np/rep/" OWN "/ack", Y),
	W("np/rep/" PRV "/ack", Y),
	W("np/rep/" FAR "/ack", N),
	W("np/rep/" GHOST "/ack", N),
	W("np/rep/" OWN "/outage", N),
	W("np/status/" OWN, N),
	W("np/show/" OWN "/story", Y),            /* a withdrawal only */
	W("np/show/" FAR "/story", N),
	W("np/dm/50010101", Y),
	W("np/dm/ministry", Y),
	W("np/dm/nosuch_official", N),
	W("np/dm/vol1", N),
	R("np/rep/" OWN "/outage", Y),
	R("np/rep/" NBR "/need", Y),
	R("np/rep/" PRV "/incident", Y),
	R("np/rep/" PRV "/ack", Y),
	R("np/rep/" FAR "/outage", N),
	R("np/rep/" FAR "/ack", N),
	R("np/status/" OWN, Y),
	R("np/status/" PRV, Y),
	R("np/status/" FAR, N),
	R("np/ann/TH/general", Y),
	R("np/ann/50/general", Y),
	R("np/ann/5001/general", Y),
	R("np/ann/50010101/general", Y),
	R("np/ann/5002/general", Y),
	R("np/ann/10/general", N),
	R("np/ann/1001/general", N),
	R("np/ann/10010101/general", N),
	R("np/show/" FAR "/product", Y),
	R("np/dm/cm_official", Y),
	R("np/dm/ministry", N),
	R("np/dm/50010101", N),
	R("np/reply/cm_official/history", Y),
	R("np/reply/ministry/history", N),
	S("np/rep/50/#", Y),
	S("np/rep/50/5001/+/outage", Y),
	S("np/rep/50/+/+/ack", Y),
	S("np/rep/+/5001/#", Y),               /* P is implied by D */
	S("np/rep/+/+/+/outage", N),
	S("np/rep/#", N),
	S("np/rep/10/#", N),
	S("np/status/50/#", Y),
	S("np/status/#", N),
	S("np/ann/50/#", Y),
	S("np/ann/TH/#", Y),
	S("np/ann/+/weather", N),
	S("np/ann/#", N),
	S("np/ann/10/#", N),
	S("np/show/#", Y),
	S("np/dm/cm_official", Y),
	S("np/dm/+", N),
	S("$share/cm_official/np/rep/50/#", Y),
	S("$share/cm_official/np/rep/10/#", N),
};

static const struct row district_official_rows[] = {
	W("np/ann/5001/general", Y),
	W("np/ann/50010101/health", Y),
	W("np/ann/50010201/weather", Y),
	W("np/ann/50/general", N),
	W("np/ann/5002/general", N),
	W("np/ann/50020101/general", N),
	W("np/ann/TH/general", N),
	W("np/ann/10/general", N),
	W("np/rep/" OWN "/ack", Y),
	W("np/rep/" NBR "/ack", Y),
	W("np/rep/" PRV "/ack", N),
	W("np/rep/" FAR "/ack", N),
	W("np/dm/10010101", Y),
	W("np/dm/cm_official", Y),
	R("np/rep/" OWN "/outage", Y),
	R("np/rep/" SIB "/need", Y),
	R("np/rep/" NBR "/ack", Y),
	R("np/rep/" PRV "/outage", N),
	R("np/rep/" PRV "/ack", N),
	R("np/rep/" FAR "/outage", N),
	R("np/status/" SIB, Y),
	R("np/status/" PRV, N),
	R("np/ann/TH/general", Y),
	R("np/ann/50/general", Y),
	R("np/ann/5001/general", Y),
	R("np/ann/50010102/general", Y),
	R("np/ann/50010201/general", Y),
	R("np/ann/5002/general", N),
	R("np/ann/50020101/general", N),
	R("np/ann/10/general", N),
	R("np/show/" PRV "/story", Y),
	R("np/show/" FAR "/place", Y),
	R("np/dm/muang_official", Y),
	R("np/dm/cm_official", N),
	R("np/reply/muang_official/history", Y),
	S("np/rep/50/5001/#", Y),
	S("np/rep/+/5001/#", Y),               /* P is implied by D */
	S("np/rep/+/+/50010101/#", Y),         /* P and D are implied by V */
	S("np/rep/50/#", N),
	S("np/rep/50/5002/#", N),
	S("np/rep/+/+/+/ack", N),
	S("np/status/50/5001/+", Y),
	S("np/status/50/#", N),
	S("np/ann/TH/+", Y),
	S("np/ann/50/#", Y),
	S("np/ann/5001/#", Y),
	S("np/ann/50010201/#", Y),
	S("np/ann/5002/#", N),
	S("np/ann/+/weather", N),
	S("np/dm/muang_official", Y),
	S("np/dm/cm_official", N),
};

/* tmd: TH, weather|emergency */
static const struct row national_agency_rows[] = {
	W("np/ann/TH/weather", Y),
	W("np/ann/TH/emergency", Y),
	W("np/ann/10/weather", Y),
	W("np/ann/50010101/emergency", Y),
	W("np/ann/TH/health", N),
	W("np/ann/50/agriculture", N),
	W("np/ann/TH/network", N),
	W("np/rep/" OWN "/ack", Y),  /* passes the ACL; publish.c: only its assigned cases */
	W("np/rep/" OWN "/outage", N),
	W("np/status/" OWN, N),
	W("np/show/" OWN "/product", N),
	W("np/dm/50010101", N),
	W("np/dm/ministry", N),
	R("np/ann/TH/health", Y),              /* reads are not limited to its categories */
	R("np/ann/10/general", Y),
	R("np/ann/50010101/commerce", Y),
	R("np/show/" OWN "/product", Y),
	R("np/show/" FAR "/story", Y),
	R("np/rep/" OWN "/outage", N),
	R("np/rep/" OWN "/ack", N),
	R("np/status/" OWN, N),
	R("np/dm/50010101", N),
	R("np/reply/tmd/history", Y),
	R("np/reply/ministry/history", N),
	S("np/ann/#", Y),
	S("np/show/#", Y),
	S("np/rep/#", N),
	S("np/status/#", N),
	S("np/reply/tmd/#", Y),
};

/* agri50: 50, agriculture|weather */
static const struct row province_agency_rows[] = {
	W("np/ann/50/agriculture", Y),
	W("np/ann/50/weather", Y),
	W("np/ann/5001/weather", Y),
	W("np/ann/50010102/agriculture", Y),
	W("np/ann/50/health", N),
	W("np/ann/TH/weather", N),
	W("np/ann/10/weather", N),
	W("np/ann/1001/agriculture", N),
	W("np/ann/5099/weather", N),           /* not in the registry */
	/* FIXME acl: wildcard category on write: 1u << hub_category_index("+") = 1u << -1 */
	W("np/ann/50/+", N),
	W("np/ann/50/#", N),
	W("np/rep/" OWN "/ack", Y),  /* passes the ACL; publish.c: only its assigned cases */
	W("np/dm/50010101", N),
	R("np/ann/50/health", Y),
	R("np/ann/5002/general", Y),
	R("np/ann/50010101/weather", Y),
	R("np/ann/TH/weather", N),             /* only within scope, not the branch */
	R("np/ann/10/weather", N),
	R("np/show/" OWN "/product", Y),
	R("np/show/" PRV "/place", Y),
	R("np/show/" FAR "/product", N),
	R("np/rep/" OWN "/outage", N),
	R("np/reply/agri50/history", Y),
	S("np/ann/50/#", Y),
	S("np/ann/50/+", Y),
	S("np/ann/5001/#", Y),
	S("np/ann/#", N),
	S("np/ann/TH/#", N),
	S("np/ann/+/weather", N),
	S("np/show/50/#", Y),
	S("np/show/50/5001/+/product", Y),
	S("np/show/#", N),
	S("np/show/+/+/+/product", N),
	S("np/rep/50/#", N),
};

static const struct row national_operator_rows[] = {
	W("np/rep/" OWN "/ack", Y),
	W("np/rep/" FAR "/ack", Y),
	W("np/rep/+/+/+/ack", N),              /* FIXME acl: wildcard write granted */
	W("np/rep/" OWN "/outage", N),
	W("np/ann/TH/network", Y),
	W("np/ann/10/network", Y),
	W("np/ann/50010101/network", Y),
	W("np/ann/TH/weather", N),
	W("np/ann/50/emergency", N),
	W("np/status/" OWN, N),
	W("np/show/" OWN "/product", N),
	W("np/dm/50010101", N),
	W("np/dm/ministry", N),
	R("np/rep/" OWN "/outage", Y),
	R("np/rep/" FAR "/outage", Y),
	R("np/rep/" OWN "/need", N),
	R("np/rep/" OWN "/incident", N),
	R("np/rep/" OWN "/feedback", N),
	R("np/rep/" OWN "/ack", Y),
	R("np/rep/" FAR "/ack", Y),
	R("np/status/" OWN, Y),
	R("np/status/" FAR, Y),
	R("np/ann/TH/network", N),             /* operators read no announcements */
	R("np/ann/50/network", N),
	R("np/show/" OWN "/product", N),
	R("np/reply/ntnet/history", Y),
	S("np/rep/+/+/+/outage", Y),
	S("np/rep/+/+/+/ack", Y),
	S("np/rep/#", N),
	S("np/rep/+/+/+/+", N),
	S("np/rep/" OWN "/#", N),
	S("np/status/#", Y),
	S("np/ann/#", N),
	S("np/ann/+/network", N),
	S("np/show/#", N),
	S("$share/ntnet/np/rep/+/+/+/outage", Y),
};

static const struct row province_operator_rows[] = {
	W("np/rep/" OWN "/ack", Y),
	W("np/rep/" PRV "/ack", Y),
	W("np/rep/" FAR "/ack", N),
	W("np/rep/" GHOST "/ack", N),
	W("np/ann/50/network", Y),
	W("np/ann/5001/network", Y),
	W("np/ann/50020101/network", Y),
	W("np/ann/TH/network", N),
	W("np/ann/10/network", N),
	W("np/ann/50/weather", N),
	R("np/rep/" OWN "/outage", Y),
	R("np/rep/" PRV "/outage", Y),
	R("np/rep/" FAR "/outage", N),
	R("np/rep/" OWN "/need", N),
	R("np/rep/" OWN "/ack", Y),
	R("np/rep/" FAR "/ack", N),
	R("np/status/" PRV, Y),
	R("np/status/" FAR, N),
	R("np/ann/50/network", N),
	S("np/rep/50/+/+/outage", Y),
	S("np/rep/50/+/+/ack", Y),
	S("np/rep/+/5001/+/outage", Y),
	S("np/rep/50/#", N),
	S("np/rep/+/+/+/outage", N),
	S("np/status/50/#", Y),
	S("np/status/+/+/+", N),
	S("np/status/10/#", N),
};

static const struct row admin_rows[] = {
	W("np/ann/TH/general", N),             /* the admin writes nothing under np/ */
	W("np/ann/50/network", N),
	W("np/rep/" OWN "/outage", N),
	W("np/rep/" OWN "/ack", N),
	W("np/status/" OWN, N),
	W("np/show/" OWN "/product", N),
	W("np/dm/50010101", N),
	W("np/dm/ministry", N),
	R("np/rep/" OWN "/outage", Y),
	R("np/rep/" FAR "/feedback", Y),
	R("np/rep/" PRV "/ack", Y),
	R("np/status/" FAR, Y),
	R("np/ann/TH/general", Y),
	R("np/ann/10010101/weather", Y),
	R("np/show/" FAR "/story", Y),
	R("np/dm/50010101", Y),
	R("np/dm/ministry", Y),
	R("np/reply/vol1/history", Y),
	R("np/reply/root/history", Y),
	R("$SYS/broker/uptime", Y),
	S("#", Y),
	S("np/#", Y),
	S("np/rep/#", Y),
	S("np/dm/#", Y),
	S("np/reply/#", Y),
	S("$SYS/#", Y),
	S("$share/root/np/#", Y),
};

/* A scoped admin reads what is within its scope: no TH or wider announcement,
 * no $SYS, no other user's replies, no official's inbox. */
static const struct row province_admin_rows[] = {
	W("np/ann/50/general", N),
	W("np/rep/" OWN "/outage", N),
	W("np/rep/" OWN "/ack", N),
	W("np/dm/50010101", N),
	R("np/rep/" OWN "/outage", Y),
	R("np/rep/" PRV "/ack", Y),
	R("np/rep/" FAR "/feedback", N),
	R("np/status/" OWN, Y),
	R("np/status/" FAR, N),
	R("np/ann/TH/general", N),
	R("np/ann/50/weather", Y),
	R("np/ann/5001/weather", Y),
	R("np/ann/50020101/event", Y),
	R("np/ann/10/weather", N),
	R("np/ann/10010101/weather", N),
	R("np/show/" PRV "/story", Y),
	R("np/show/" FAR "/story", N),
	R("np/dm/50010101", Y),
	R("np/dm/50020101", Y),
	R("np/dm/10010101", N),
	R("np/dm/ministry", N),
	R("np/reply/adm50/history", Y),
	R("np/reply/vol1/history", N),
	R("$SYS/broker/uptime", N),
	S("np/rep/50/#", Y),
	S("np/rep/50/5002/#", Y),
	S("np/rep/#", N),
	S("np/rep/10/#", N),
	S("np/rep/+/+/+/outage", N),
	S("np/ann/50/#", Y),
	S("np/ann/+/weather", N),
	S("np/status/50/#", Y),
	S("np/show/50/#", Y),
	S("np/dm/50010101", Y),
	S("np/dm/#", N),
	S("np/reply/adm50/#", Y),
	S("$share/adm50/np/rep/50/#", Y),
	S("#", N),
	S("np/#", N),
	S("$SYS/#", N),
};

static const struct row district_admin_rows[] = {
	W("np/ann/5001/general", N),
	W("np/status/" OWN, N),
	R("np/rep/" OWN "/outage", Y),
	R("np/rep/" NBR "/need", Y),
	R("np/rep/" PRV "/ack", N),
	R("np/status/" SIB, Y),
	R("np/status/" PRV, N),
	R("np/ann/TH/general", N),
	R("np/ann/50/weather", N),
	R("np/ann/5001/weather", Y),
	R("np/ann/50010101/general", Y),
	R("np/ann/5002/general", N),
	R("np/show/" SIB "/product", Y),
	R("np/show/" PRV "/product", N),
	R("np/dm/50010201", Y),
	R("np/dm/50020101", N),
	R("np/reply/adm5001/history", Y),
	R("np/reply/adm50/history", N),
	R("$SYS/broker/uptime", N),
	S("np/rep/50/5001/#", Y),
	S("np/rep/50/#", N),
	S("np/ann/5001/#", Y),
	S("np/ann/50/#", N),
	S("np/status/50/5001/#", Y),
	S("np/show/50/5002/#", N),
	S("#", N),
	S("$SYS/#", N),
};

struct table {
	enum who w;
	const struct row *rows;
	size_t n;
};

#define TABLE(w, rows) { (w), (rows), COUNT(rows) }

static const struct table tables[] = {
	TABLE(VOL, volunteer_rows),
	TABLE(RES, resident_rows),
	TABLE(OFF_TH, ministry_rows),
	TABLE(OFF_P, province_official_rows),
	TABLE(OFF_D, district_official_rows),
	TABLE(AG_TH, national_agency_rows),
	TABLE(AG_P, province_agency_rows),
	TABLE(OP_TH, national_operator_rows),
	TABLE(OP_P, province_operator_rows),
	TABLE(ADM, admin_rows),
	TABLE(ADM_P, province_admin_rows),
	TABLE(ADM_D, district_admin_rows),
};

/* ---- running rows -------------------------------------------------------- */

static const char *
access_name(enum hub_access a)
{
	return a == HUB_WRITE ? "WRITE" : a == HUB_READ ? "READ" : "SUBSCRIBE";
}

/* Checks every row for p, printing each disagreement; fails once at the end. */
static void
check_rows(enum who w, const struct row *rows, size_t n)
{
	const struct hub_principal *p = &who[w];
	struct fake_dir fd = { 0 };
	struct hub_dir dir = { fake_place_exists, fake_official_exists, &fd };
	size_t i, bad = 0;

	for (i = 0; i < n; i++) {
		enum hub_refusal why = hub_acl_check(p, rows[i].a, rows[i].topic,
						     rows[i].a == HUB_READ ? NULL : &dir);

		if ((why == HUB_OK) == rows[i].grant)
			continue;
		print_error("row %zu: %s %s(%s) %s \"%s\": expected %s, got %s%s%s\n", i,
			    hub_role_name(p->role), p->username, p->scope,
			    access_name(rows[i].a), rows[i].topic,
			    rows[i].grant ? "granted" : "refused",
			    why == HUB_OK ? "granted" : "refused (",
			    why == HUB_OK ? "" : hub_refusal_text(why), why == HUB_OK ? "" : ")");
		bad++;
	}
	if (bad != 0)
		fail_msg("%zu of %zu rows disagree with DESIGN.md", bad, n);
}

static void
check_table(enum who w)
{
	size_t i;

	for (i = 0; i < COUNT(tables); i++)
		if (tables[i].w == w)
			check_rows(w, tables[i].rows, tables[i].n);
}

/* ---- tests: one per principal ------------------------------------------ */

static void
volunteer_writes_only_its_own_village(void **state)
{
	(void)state;
	check_table(VOL);
}

static void
resident_reads_branch_announcements_and_showcase_only(void **state)
{
	(void)state;
	check_table(RES);
}

static void
ministry_reads_and_acknowledges_the_whole_nation(void **state)
{
	(void)state;
	check_table(OFF_TH);
}

static void
province_official_stays_within_its_province(void **state)
{
	(void)state;
	check_table(OFF_P);
}

static void
district_official_stays_within_its_district(void **state)
{
	(void)state;
	check_table(OFF_D);
}

static void
national_agency_announces_only_its_categories(void **state)
{
	(void)state;
	check_table(AG_TH);
}

static void
province_agency_reads_announcements_and_showcase_within_scope(void **state)
{
	(void)state;
	check_table(AG_P);
}

static void
national_operator_reads_outages_acks_and_status_only(void **state)
{
	(void)state;
	check_table(OP_TH);
}

static void
province_operator_acknowledges_within_its_province(void **state)
{
	(void)state;
	check_table(OP_P);
}

static void
admin_reads_everything_and_writes_nothing_under_np(void **state)
{
	(void)state;
	check_table(ADM);
}

static void
province_admin_reads_only_within_its_province_and_no_sys(void **state)
{
	(void)state;
	check_table(ADM_P);
}

static void
district_admin_reads_only_within_its_district(void **state)
{
	(void)state;
	check_table(ADM_D);
}

static void
malformed_topics_are_refused_for_every_role(void **state)
{
	int w;

	(void)state;
	for (w = 0; w < WHO_COUNT; w++) {
		check_rows((enum who)w, every_role, COUNT(every_role));
		if (w != ADM)
			check_rows((enum who)w, every_role_but_admin,
				   COUNT(every_role_but_admin));
	}
}

/* ---- tests: directory use ------------------------------------------------ */

static void
read_rows_with_trap(enum who w, const struct row *rows, size_t n)
{
	struct hub_dir trap = { trap_place_exists, trap_official_exists, NULL };
	size_t i;

	for (i = 0; i < n; i++) {
		enum hub_refusal why;

		if (rows[i].a != HUB_READ)
			continue;
		trap_topic = rows[i].topic;
		why = hub_acl_check(&who[w], HUB_READ, rows[i].topic, &trap);
		if ((why == HUB_OK) != rows[i].grant)
			print_error("%s READ \"%s\" with a directory: expected %s\n",
				    who[w].username, rows[i].topic,
				    rows[i].grant ? "granted" : "refused");
		assert_int_equal(why == HUB_OK, rows[i].grant);
	}
}

static void
read_never_looks_up_the_directory(void **state)
{
	size_t i;
	int w;

	(void)state;
	for (i = 0; i < COUNT(tables); i++)
		read_rows_with_trap(tables[i].w, tables[i].rows, tables[i].n);
	for (w = 0; w < WHO_COUNT; w++)
		read_rows_with_trap((enum who)w, every_role, COUNT(every_role));
}

static void
count_rows(enum who w, const struct row *rows, size_t n)
{
	struct fake_dir fd;
	struct hub_dir dir = { fake_place_exists, fake_official_exists, &fd };
	size_t i;

	for (i = 0; i < n; i++) {
		fd.calls = 0;
		(void)hub_acl_check(&who[w], rows[i].a, rows[i].topic, &dir);
		if (fd.calls > 3)
			print_error("%s %s \"%s\": %u directory look-ups\n", who[w].username,
				    access_name(rows[i].a), rows[i].topic, fd.calls);
		assert_true(fd.calls <= 3);
	}
}

static void
decisions_make_at_most_three_directory_lookups(void **state)
{
	size_t i;
	int w;

	(void)state;
	for (i = 0; i < COUNT(tables); i++)
		count_rows(tables[i].w, tables[i].rows, tables[i].n);
	for (w = 0; w < WHO_COUNT; w++)
		count_rows((enum who)w, every_role, COUNT(every_role));
}

static void
write_of_a_report_looks_up_its_village(void **state)
{
	struct fake_dir fd = { 0 };
	struct hub_dir dir = { fake_place_exists, fake_official_exists, &fd };

	(void)state;
	assert_int_equal(hub_acl_check(&who[VOL], HUB_WRITE, "np/rep/" OWN "/outage", &dir),
			 HUB_OK);
	assert_true(fd.calls >= 1);
}

/* ---- tests: topic kinds ------------------------------------------------ */

static void
topic_kind_names_each_kind_of_topic(void **state)
{
	(void)state;
	assert_int_equal(hub_topic_kind("np/ann/50/weather"), HUB_TOPIC_ANN);
	assert_int_equal(hub_topic_kind("np/ann/TH/general"), HUB_TOPIC_ANN);
	assert_int_equal(hub_topic_kind("np/rep/" OWN "/outage"), HUB_TOPIC_REPORT);
	assert_int_equal(hub_topic_kind("np/rep/" OWN "/feedback"), HUB_TOPIC_REPORT);
	assert_int_equal(hub_topic_kind("np/rep/" OWN "/ack"), HUB_TOPIC_ACK);
	assert_int_equal(hub_topic_kind("np/status/" OWN), HUB_TOPIC_STATUS);
	assert_int_equal(hub_topic_kind("np/show/" OWN "/story"), HUB_TOPIC_SHOW);
	assert_int_equal(hub_topic_kind("np/dm/50010102"), HUB_TOPIC_DM);
	assert_int_equal(hub_topic_kind("np/dm/ministry"), HUB_TOPIC_DM);
	assert_int_equal(hub_topic_kind("np/reply/vol1/history"), HUB_TOPIC_REPLY);
	assert_int_equal(hub_topic_kind("$CONTROL/np/v1/history"), HUB_TOPIC_HISTORY);
	assert_int_equal(hub_topic_kind("$SYS/broker/uptime"), HUB_TOPIC_OTHER);
	assert_int_equal(hub_topic_kind("foo/bar"), HUB_TOPIC_OTHER);
	assert_int_equal(hub_topic_kind(""), HUB_TOPIC_OTHER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(volunteer_writes_only_its_own_village),
		cmocka_unit_test(resident_reads_branch_announcements_and_showcase_only),
		cmocka_unit_test(ministry_reads_and_acknowledges_the_whole_nation),
		cmocka_unit_test(province_official_stays_within_its_province),
		cmocka_unit_test(district_official_stays_within_its_district),
		cmocka_unit_test(national_agency_announces_only_its_categories),
		cmocka_unit_test(province_agency_reads_announcements_and_showcase_within_scope),
		cmocka_unit_test(national_operator_reads_outages_acks_and_status_only),
		cmocka_unit_test(province_operator_acknowledges_within_its_province),
		cmocka_unit_test(admin_reads_everything_and_writes_nothing_under_np),
		cmocka_unit_test(province_admin_reads_only_within_its_province_and_no_sys),
		cmocka_unit_test(district_admin_reads_only_within_its_district),
		cmocka_unit_test(malformed_topics_are_refused_for_every_role),
		cmocka_unit_test(read_never_looks_up_the_directory),
		cmocka_unit_test(decisions_make_at_most_three_directory_lookups),
		cmocka_unit_test(write_of_a_report_looks_up_its_village),
		cmocka_unit_test(topic_kind_names_each_kind_of_topic),
	};

	return cmocka_run_group_tests(tests, principals_setup, NULL);
}
