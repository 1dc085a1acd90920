/* site_buf.c - the byte buffer every file of the public site is built in, and
 * the escapes that keep a volunteer's text text: in HTML and XML (a
 * "<script>" in a title is shown, never run), in JSON (also inside a
 * <script type="application/ld+json">) and in CSV (no formula for a
 * spreadsheet to run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "site.h"

void
sb_add(struct site_buf *b, const void *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->nomem)
		return;
	if (b->n + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->nomem = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void
sb_puts(struct site_buf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

void
sb_printf(struct site_buf *b, const char *fmt, ...)
{
	char small[512], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_add(b, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (big == NULL) {
		b->nomem = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, (size_t)n);
	free(big);
}

/* HTML and XML alike: the five specials as entities; a control character
 * (not allowed in XML 1.0, a parse error in HTML) as a space. */
static void
markup(struct site_buf *b, const char *s)
{
	const char *run = s;
	const char *rep;
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0'; s++) {
		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			rep = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ? " " : NULL;
		}
		if (rep == NULL)
			continue;
		sb_add(b, run, (size_t)(s - run));
		sb_puts(b, rep);
		run = s + 1;
	}
	sb_add(b, run, (size_t)(s - run));
}

void
sb_html(struct site_buf *b, const char *s)
{
	markup(b, s ? s : "");
}

void
sb_xml(struct site_buf *b, const char *s)
{
	markup(b, s ? s : "");
}

void
sb_json(struct site_buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	sb_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			sb_add(b, "\\", 1);
			sb_add(b, s, 1);
		} else if (*s < 0x20 || *s == '<' || *s == '>' || *s == '&') {
			/* < > & too: the JSON may sit in a <script> element */
			sb_printf(b, "\\u%04x", *s);
		} else if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
			sb_printf(b, "\\u%04x", s[2] == 0xa8 ? 0x2028 : 0x2029);
			s += 2;
		} else {
			sb_add(b, s, 1);
		}
	}
	sb_add(b, "\"", 1);
}

void
sb_csv(struct site_buf *b, const char *str)
{
	const char *s = str ? str : "";

	sb_add(b, "\"", 1);
	/* a cell a spreadsheet would take as a formula gets a leading ' */
	if (s[0] == '=' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'
	    || ((s[0] == '+' || s[0] == '-') && !(s[1] >= '0' && s[1] <= '9') && s[1] != ' '))
		sb_add(b, "'", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			sb_add(b, "\"\"", 2);
		else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
			sb_add(b, " ", 1);
		else
			sb_add(b, s, 1);
	}
	sb_add(b, "\"", 1);
}

void
sb_iso_time(struct site_buf *b, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	sb_puts(b, buf);
}

void
sb_date(struct site_buf *b, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[16];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	sb_puts(b, buf);
}

void
sb_free(struct site_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
