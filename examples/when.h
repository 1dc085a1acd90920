/* when.h - times and durations on the np-* programs' command lines
 * (np-announce --expires, np-feed --since). */
#ifndef NP_EXAMPLES_WHEN_H
#define NP_EXAMPLES_WHEN_H

#include <stdbool.h>

/* The wall clock, ms since 1970. */
long long when_now_ms(void);
/* "90s", "30m", "2h", "3d": a whole number of units, at least 1, at most
 * max_ms in all, into *ms; false when s is no such duration. */
bool when_duration_ms(const char *s, long long max_ms, long long *ms);
/* An ISO 8601 date or time: 2024-11-30, 2024-11-30T08:00[:00][.123] then Z,
 * +07:00 or -0300, a real date from 1970 to 9999, into *ms. Without a zone the
 * time is UTC, unless zone_required (then false). */
bool when_iso_ms(const char *s, bool zone_required, long long *ms);

#endif
