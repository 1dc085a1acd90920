/* when.c - see when.h. */
#define _XOPEN_SOURCE 700       /* strptime */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "when.h"

long long
when_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
when_duration_ms(const char *s, long long max_ms, long long *ms)
{
	static const struct { char unit; long long ms; } units[] = {
		{ 's', 1000LL }, { 'm', 60000LL }, { 'h', 3600000LL }, { 'd', 86400000LL },
	};
	char *end;
	long long n;
	size_t i;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end[0] == '\0' || end[1] != '\0' || n < 1)
		return false;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (*end == units[i].unit && n <= max_ms / units[i].ms) {
			*ms = n * units[i].ms;
			return true;
		}
	}
	return false;
}

bool
when_iso_ms(const char *s, bool zone_required, long long *ms)
{
	struct tm tm, again;
	const char *p;
	long long frac = 0, off = 0;
	bool zone = false;
	int oh, om, n;
	time_t t;

	if (!isdigit((unsigned char)*s))
		return false;
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d", &tm);
	if (p != NULL && *p == 'T') {
		p = strptime(p + 1, "%H:%M", &tm);
		if (p != NULL && *p == ':')
			p = strptime(p + 1, "%S", &tm);
		if (p != NULL && *p == '.' && isdigit((unsigned char)p[1])) {
			for (n = 0, p++; isdigit((unsigned char)*p); p++, n++)
				frac = n < 3 ? frac * 10 + (*p - '0') : frac;
			for (; n < 3; n++)
				frac *= 10;
		}
	}
	if (p == NULL)
		return false;
	if (*p == 'Z') {
		p++;
		zone = true;
	} else if ((*p == '+' || *p == '-') && (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2
						 || sscanf(p + 1, "%2d%2d%n", &oh, &om, &n) == 2)
		   && oh <= 14 && om < 60) {
		off = (oh * 60LL + om) * 60000 * (*p == '+' ? 1 : -1);
		p += 1 + n;
		zone = true;
	}
	if (*p != '\0' || (zone_required && !zone) || tm.tm_year < 70 || tm.tm_year > 8099)
		return false;
	again = tm;
	t = timegm(&again);     /* normalises: 2026-02-31 would come back as March */
	if (t == (time_t)-1 || again.tm_mday != tm.tm_mday || again.tm_mon != tm.tm_mon
	    || again.tm_hour != tm.tm_hour || again.tm_min != tm.tm_min
	    || again.tm_sec != tm.tm_sec)
		return false;
	*ms = (long long)t * 1000 + frac - off;
	return *ms >= 0;
}
