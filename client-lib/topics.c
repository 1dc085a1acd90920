/* topics.c - every topic libnpclient builds (DESIGN.md "Topics"): where a
 * typed message goes, the user's reply topics and the history request topic.
 * Pure: no client, no network; a bad part is NP_ERR_INVAL with the detail in
 * err. The hub checks every topic again (places in its registry, kinds): the
 * client only refuses what cannot be one topic level. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "np_int.h"

#define LEVEL_MAX 64            /* a level the client passes through as given */

/* A non-empty topic level without '/', '+' or '#', at most LEVEL_MAX bytes. */
static bool
plain_level(const char *s)
{
	return s != NULL && s[0] != '\0' && strpbrk(s, "/+#") == NULL && strlen(s) <= LEVEL_MAX;
}

static bool
is_village(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 8)
		return false;
	for (i = 0; i < 8; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

/* Writes the topic; NP_ERR_INVAL when it does not fit out. */
static int
put_topic(char *out, size_t len, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
put_topic(char *out, size_t len, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "the topic is too long");
		return NP_ERR_INVAL;
	}
	return NP_OK;
}

int
np__topic_village(char *out, size_t len, const char *root, const char *village,
		  const char *last, char *err, size_t errlen)
{
	if (!is_village(village)) {
		snprintf(err, errlen, "the village must be an 8-digit code");
		return NP_ERR_INVAL;
	}
	if (last != NULL && !plain_level(last)) {
		snprintf(err, errlen, "bad kind '%s'", last);
		return NP_ERR_INVAL;
	}
	return put_topic(out, len, err, errlen, "np/%s/%.2s/%.4s/%s%s%s", root, village, village,
			 village, last ? "/" : "", last ? last : "");
}

int
np__topic_announce(char *out, size_t len, const char *area, const char *category, char *err,
		   size_t errlen)
{
	if (!plain_level(area) || !plain_level(category)) {
		snprintf(err, errlen, "bad area or category");
		return NP_ERR_INVAL;
	}
	return put_topic(out, len, err, errlen, "np/ann/%s/%s", area, category);
}

int
np__topic_dm(char *out, size_t len, const char *address, char *err, size_t errlen)
{
	if (!plain_level(address)) {
		snprintf(err, errlen, "bad address (a village code or a username)");
		return NP_ERR_INVAL;
	}
	return put_topic(out, len, err, errlen, "np/dm/%s", address);
}

void
np__topic_reply(char *out, size_t len, const char *user, const char *leaf)
{
	snprintf(out, len, "np/reply/%.64s/%s", user != NULL ? user : "", leaf);
}
