/* print.c - prints a message the np-* programs received (np-feed,
 * np-history) as one line of text or one JSON object (DESIGN.md: topic, id,
 * sender, sent_at_ms, received_at_ms and the body under its own name; an
 * announcement also says expires_at_ms and whether it has expired, and
 * "withdrawn":true when an Update or Cancel withdrew it; a photo is base64
 * with its type and size), and writes photos to files. */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "print.h"

static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

/* A copy of s with each byte that does not start valid UTF-8 replaced by
 * U+FFFD, so that jansson takes it. The hub refuses text that is not UTF-8;
 * this is for the odd message that came another way. Caller frees. */
static char *
utf8_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(3 * strlen(s) + 1), *o = out;
	size_t n, i;
	unsigned long cp;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		n = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3
		  : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
		cp = n == 1 ? *p : n == 2 ? *p & 0x1fu : n == 3 ? *p & 0x0fu : *p & 0x07u;
		for (i = 1; i < n && (p[i] & 0xc0) == 0x80; i++)
			cp = (cp << 6) | (p[i] & 0x3fu);
		if (n == 0 || i < n || (n == 3 && cp < 0x800) || (cp >= 0xd800 && cp <= 0xdfff)
		    || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
			continue;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return out;
}

static json_t *
jstr(const char *s)
{
	json_t *j = json_string(str(s));
	char *clean;

	if (j != NULL)
		return j;
	clean = utf8_clean(str(s));
	j = clean != NULL ? json_string(clean) : NULL;
	free(clean);
	return j != NULL ? j : json_null();
}

static const char *
photo_type(const struct np_msg *m)
{
	return m->photo.type != NULL ? m->photo.type : "application/octet-stream";
}

/* Adds "photo" (base64), "photo_type" and "photo_bytes" to body when m has a
 * photo, as np-admin history export does (admin/encode.c). */
static json_t *
with_photo(json_t *body, const struct np_msg *m)
{
	char *b64;

	if (body == NULL || m->photo.len == 0)
		return body;
	b64 = malloc(4 * ((m->photo.len + 2) / 3) + 1);
	if (b64 == NULL) {
		json_decref(body);
		return NULL;
	}
	EVP_EncodeBlock((unsigned char *)b64, m->photo.data, (int)m->photo.len);
	if (json_object_set_new(body, "photo", json_string(b64)) != 0
	    || json_object_set_new(body, "photo_type", json_string(photo_type(m))) != 0
	    || json_object_set_new(body, "photo_bytes", json_integer((json_int_t)m->photo.len))
	    != 0) {
		json_decref(body);
		body = NULL;
	}
	free(b64);
	return body;
}

/* expired: by this client's clock; np-admin history export says the same of
 * the same message (admin/encode.c). withdrawn only when true (an official's
 * history: the hub marks it; np_msg.withdrawn is of libnpclient 1.4 on), so
 * that every other line keeps the shape np-admin prints. */
static json_t *
announcement_json(const struct np_msg *m)
{
	json_t *o = json_pack("{s:o,s:o,s:I,s:b}", "title", jstr(m->u.announcement.title),
			      "body", jstr(m->u.announcement.body), "expires_at_ms",
			      (json_int_t)m->u.announcement.expires_at_ms, "expired",
			      (int)np_msg_expired(m, 0));

	if (o != NULL && m->withdrawn
	    && json_object_set_new(o, "withdrawn", json_true()) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* The body's fields, and in *key the name they go under. */
static json_t *
json_body(const struct np_msg *m, const char **key)
{
	char hex[2 * NP_ID_LEN + 1];

	switch (m->body) {
	case NP_BODY_REPORT:
		*key = "report";
		return with_photo(json_pack("{s:o,s:o}", "title", jstr(m->u.report.title), "detail",
					    jstr(m->u.report.detail)), m);
	case NP_BODY_ACK:
		*key = "ack";
		np_id_to_hex(m->u.ack.report_id, hex);
		return json_pack("{s:s,s:s,s:o,s:o}", "report_id", hex,
				 "state", str(np_ack_state_name(m->u.ack.state)),
				 "note", jstr(m->u.ack.note), "assignee", jstr(m->assignee));
	case NP_BODY_ANNOUNCEMENT:
		*key = "announcement";
		return announcement_json(m);
	case NP_BODY_DM:
		*key = "dm";
		return json_pack("{s:o}", "text", jstr(m->u.dm.text));
	case NP_BODY_SHOWCASE:
		*key = "showcase";
		return with_photo(json_pack("{s:o,s:o,s:I,s:o}", "title", jstr(m->u.showcase.title),
					    "description", jstr(m->u.showcase.description),
					    "price_thb", (json_int_t)m->u.showcase.price_thb,
					    "contact", jstr(m->u.showcase.contact)), m);
	case NP_BODY_STATUS:
		*key = "status";
		return json_pack("{s:b}", "online", (int)m->u.status.online);
	default:
		return NULL;
	}
}

static void
print_json(const struct np_msg *m)
{
	char hex[2 * NP_ID_LEN + 1];
	const char *key = NULL;
	json_t *obj, *body;
	char *line = NULL;

	np_id_to_hex(m->id, hex);
	obj = json_pack("{s:o,s:s,s:{s:o,s:s,s:o},s:I,s:I}", "topic", jstr(m->topic), "id", hex,
			"sender", "username", jstr(m->sender.username), "role",
			str(np_role_name(m->sender.role)), "area", jstr(m->sender.area),
			"sent_at_ms", (json_int_t)m->sent_at_ms, "received_at_ms",
			(json_int_t)m->received_at_ms);
	body = json_body(m, &key);
	/* np-admin history export's shape (admin/encode.c): "kind", then the body
	 * under its name; tests/examples compares the two byte for byte */
	if (obj != NULL && body != NULL && json_object_set_new(obj, "kind", json_string(key)) == 0)
		json_object_set_new(obj, key, body);
	else
		json_decref(body);
	if (obj != NULL)
		line = json_dumps(obj, JSON_COMPACT);
	if (line != NULL)
		puts(line);
	else
		fprintf(stderr, "np: cannot print message %s as JSON (out of memory?)\n", hex);
	free(line);
	json_decref(obj);
}

/* s on one line: control characters (newlines, tabs) become spaces. */
static void
put_line_text(const char *s)
{
	for (s = str(s); *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static void
put_summary(const struct np_msg *m)
{
	char hex[2 * NP_ID_LEN + 1];

	switch (m->body) {
	case NP_BODY_REPORT: put_line_text(m->u.report.title); break;
	case NP_BODY_ANNOUNCEMENT:
		put_line_text(m->u.announcement.title);
		if (np_msg_expired(m, 0))
			fputs(" (expired)", stdout);
		if (m->withdrawn)
			fputs(" (withdrawn)", stdout);
		break;
	case NP_BODY_DM: put_line_text(m->u.dm.text); break;
	case NP_BODY_SHOWCASE: put_line_text(m->u.showcase.title); break;
	case NP_BODY_STATUS: fputs(m->u.status.online ? "online" : "offline", stdout); break;
	case NP_BODY_ACK:
		np_id_to_hex(m->u.ack.report_id, hex);
		printf("%s report %s", str(np_ack_state_name(m->u.ack.state)), hex);
		if (m->assignee != NULL && m->assignee[0] != '\0') {
			fputs(" to ", stdout);
			put_line_text(m->assignee);
		}
		if (m->u.ack.note != NULL && m->u.ack.note[0] != '\0') {
			fputs(": ", stdout);
			put_line_text(m->u.ack.note);
		}
		break;
	default: fputs("(no body)", stdout); break;
	}
	if (m->body == NP_BODY_SHOWCASE && m->u.showcase.price_thb > 0)
		printf(" (%lld THB)", (long long)m->u.showcase.price_thb);
	if (m->photo.len > 0)
		printf(" [photo %s, %zu bytes]", photo_type(m), m->photo.len);
}

/* "2024-05-01T09:00:00.123Z" */
static void
iso_time(int64_t ms, char *out, size_t size)
{
	int64_t sec = ms / 1000, rem = ms % 1000;
	time_t t;
	struct tm tm;
	size_t n;

	if (rem < 0) {
		rem += 1000;
		sec--;
	}
	t = (time_t)sec;
	n = gmtime_r(&t, &tm) != NULL ? strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm) : 0;
	snprintf(out + n, size - n, ".%03dZ", (int)rem);
}

void
cli_print_msg(const struct np_msg *m, bool json)
{
	char when[48];

	if (json) {
		print_json(m);
	} else {
		iso_time(m->received_at_ms, when, sizeof(when));
		printf("%s %s %s (%s %s): ", when, str(m->topic), str(m->sender.username),
		       str(np_role_name(m->sender.role)), str(m->sender.area));
		put_summary(m);
		putchar('\n');
	}
	fflush(stdout);
}

static const char *
photo_ext(const struct np_msg *m)
{
	const char *t = photo_type(m);

	if (strcmp(t, "image/jpeg") == 0)
		return ".jpg";
	if (strcmp(t, "image/png") == 0)
		return ".png";
	if (strcmp(t, "image/webp") == 0)
		return ".webp";
	return ".bin";
}

int
cli_save_photo(const char *prog, const struct np_msg *m, const char *dir)
{
	char hex[2 * NP_ID_LEN + 1], path[4096];
	FILE *f;
	int ok;

	if (dir == NULL || m->photo.len == 0)
		return 0;
	np_id_to_hex(m->id, hex);
	snprintf(path, sizeof(path), "%s/%s%s", dir, hex, photo_ext(m));
	f = fopen(path, "wb");
	ok = f != NULL && fwrite(m->photo.data, 1, m->photo.len, f) == m->photo.len;
	if (f != NULL && fclose(f) != 0)
		ok = 0;
	if (!ok)
		fprintf(stderr, "%s: cannot write the photo of %s to %s: %s\n", prog, hex, path,
			strerror(errno));
	return ok ? 0 : -1;
}

int
cli_photo_dir(const char *prog, const char *dir)
{
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	fprintf(stderr, "%s: --photo-dir %s: %s\nTry '%s --help'.\n", prog, dir, strerror(errno),
		prog);
	return -1;
}
