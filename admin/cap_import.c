/* cap_import.c - np-admin cap import FILE... [--watch DIR]: CAP 1.2 alerts
 * into announcements, sent through the hub as a configured agency user
 * (libnpclient), never written into LMDB: the hub's checks (role, scope,
 * categories, payload) are the only checks (DESIGN.md "CAP").
 *
 * Each <info> becomes one announcement per province it names, on
 * np/ann/<PP>/<category>. Idempotent: an announcement's id is a SHA-256 of
 * (CAP sender, identifier, info index, province) and its bytes depend on the
 * file alone (sent_at_ms is CAP's <sent>), so a second import of a file is
 * acknowledged by the hub and stored once (DESIGN.md "History"). An Update
 * or Cancel carries the ids of the announcements of the alerts it references,
 * found in the hub's history (one query per file), and the hub withdraws
 * them. A file is checked whole before anything is sent: size, XML, schema,
 * signature, provinces, referenced alerts; then its first announcement goes
 * alone, so that a refusal by the hub (the agency's categories or scope)
 * leaves nothing published. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "cap.h"
#include "cap_cmd.h"
#include "idset.h"
#include "np_client.h"
#include "vocab.h"

#define MAX_INFOS 32            /* <info> blocks of one alert we import */
#define TEXT_MAX 8192           /* the hub's limit per text field (validate.c) */
#define DAY_MS (24LL * 3600 * 1000)
#define HISTORY_TRIES 4         /* history queries per file, 1, 2, 3 s apart */

struct ann {
	char topic[64];
	char province[3];
	const char *category;
	size_t info;            /* index of its <info> */
	uint8_t id[NP_ID_LEN];
	char *body;             /* malloc'd */
	const char *title;
	bool known;             /* in the history already */
	int outcome;            /* enum np_outcome, or -1 */
	char reason[300];
};

struct importer {
	const char *host, *user, *password, *state_dir, *cafile;
	int port, timeout_ms;
	struct cap_reader *reader;
	struct cap_geo *geo;
	struct np_client *c;
	/* the current file */
	const struct cap_alert *alert;
	struct ann *anns;
	size_t nanns;
	uint8_t (*refs)[NP_ID_LEN];     /* ids the Update or Cancel references */
	size_t nrefs, caprefs;
	size_t accepted;        /* of anns, accepted by the hub */
};

enum { FILE_OK = 0, FILE_BAD = -1, FILE_RETRY = -2 };

static int
say(char *why, size_t whylen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- ids ---- */

void
admin_cap_id(const char *sender, const char *identifier, size_t info, const char *province,
	     uint8_t id[16])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char num[24];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	snprintf(num, sizeof(num), "%zu", info);
	memset(md, 0x5a, sizeof(md));
	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(ctx, "np-cap-1", 9);
		EVP_DigestUpdate(ctx, sender, strlen(sender) + 1);
		EVP_DigestUpdate(ctx, identifier, strlen(identifier) + 1);
		EVP_DigestUpdate(ctx, num, strlen(num) + 1);
		EVP_DigestUpdate(ctx, province, strlen(province));
		EVP_DigestFinal_ex(ctx, md, &n);
	}
	EVP_MD_CTX_free(ctx);
	memcpy(id, md, 16);
	id[6] = (uint8_t)(0x80 | (id[6] & 0x0f));       /* UUIDv8: made from a name */
	id[8] = (uint8_t)(0x80 | (id[8] & 0x3f));
}

/* ---- planning a file's announcements ---- */

static void
anns_free(struct importer *im)
{
	size_t i;

	for (i = 0; i < im->nanns; i++)
		free(im->anns[i].body);
	free(im->anns);
	free(im->refs);
	im->anns = NULL;
	im->refs = NULL;
	im->nanns = im->nrefs = im->caprefs = 0;
}

static const char *
category_of(const struct cap_info *in)
{
	const char *np = "general";
	size_t i;

	for (i = 0; i < in->ncategories && strcmp(np, "general") == 0; i++)
		np = cap_category_to_np(in->categories[i]);
	return np;
}

/* Title and body of one <info>, within the hub's limits. */
static int
texts(const struct cap_info *in, size_t k, struct ann *a, char *why, size_t whylen)
{
	size_t dl = strlen(in->description), il = strlen(in->instruction);

	a->title = in->headline[0] ? in->headline : in->event;
	if (strlen(a->title) > TEXT_MAX)
		return say(why, whylen, FILE_BAD, "info %zu: the headline is over %d bytes", k + 1,
			   TEXT_MAX);
	if (dl > TEXT_MAX || il > TEXT_MAX)
		return say(why, whylen, FILE_BAD, "info %zu: the description or instruction is "
			   "over %d bytes, the most an announcement's text may hold", k + 1, TEXT_MAX);
	a->body = malloc(dl + il + 3);
	if (a->body == NULL)
		return say(why, whylen, FILE_BAD, "out of memory");
	if (il > 0 && dl + il + 2 <= TEXT_MAX)  /* else the instruction has its own field only */
		sprintf(a->body, "%s%s%s", in->description, dl ? "\n\n" : "", in->instruction);
	else
		strcpy(a->body, in->description);
	return FILE_OK;
}

static int
plan_info(struct importer *im, size_t k, char *why, size_t whylen)
{
	const struct cap_info *in = &im->alert->infos[k];
	bool hit[CAP_PROVINCES_MAX] = { false };
	size_t i, n = cap_geo_count(im->geo);
	struct ann *a, *v;
	char area_why[400];

	if (in->nareas == 0)
		return say(why, whylen, FILE_BAD, "info %zu (%s) has no <area>: no province to "
			   "announce to", k + 1, in->language);
	for (i = 0; i < in->nareas; i++) {
		if (cap_geo_area(im->geo, &in->areas[i], hit, area_why, sizeof(area_why)) != 0)
			return say(why, whylen, FILE_BAD, "info %zu: %s", k + 1, area_why);
	}
	for (i = 0; i < n; i++) {
		if (!hit[i])
			continue;
		v = realloc(im->anns, (im->nanns + 1) * sizeof(*v));
		if (v == NULL)
			return say(why, whylen, FILE_BAD, "out of memory");
		im->anns = v;
		a = &im->anns[im->nanns++];
		memset(a, 0, sizeof(*a));
		a->outcome = -1;
		a->info = k;
		a->category = category_of(in);
		snprintf(a->province, sizeof(a->province), "%s", cap_geo_code(im->geo, i));
		snprintf(a->topic, sizeof(a->topic), "np/ann/%s/%s", a->province, a->category);
		admin_cap_id(im->alert->sender, im->alert->identifier, k, a->province, a->id);
		if (texts(in, k, a, why, whylen) != FILE_OK)
			return FILE_BAD;
	}
	return FILE_OK;
}

static int
plan(struct importer *im, char *why, size_t whylen)
{
	const struct cap_alert *al = im->alert;
	size_t k;

	if (strcmp(al->scope, "Public") != 0)
		return say(why, whylen, FILE_BAD, "scope %s: only Public alerts are announced",
			   al->scope);
	if (strcmp(al->msg_type, "Ack") == 0 || strcmp(al->msg_type, "Error") == 0)
		return say(why, whylen, FILE_BAD, "msgType %s: an answer between systems, nothing "
			   "to announce", al->msg_type);
	if (strcmp(al->msg_type, "Alert") != 0 && al->nrefs == 0)
		return say(why, whylen, FILE_BAD, "an %s without <references>: it names no alert "
			   "to act on", al->msg_type);
	if (al->ninfos == 0)
		return say(why, whylen, FILE_BAD, "no <info>: nothing to announce");
	if (al->ninfos > MAX_INFOS)
		return say(why, whylen, FILE_BAD, "%zu <info> blocks: at most %d are imported",
			   al->ninfos, MAX_INFOS);
	for (k = 0; k < al->ninfos; k++) {
		if (plan_info(im, k, why, whylen) != FILE_OK)
			return FILE_BAD;
	}
	return FILE_OK;
}

/* ---- the hub ---- */

static void
on_outcome(void *ctx, const uint8_t id[NP_ID_LEN], enum np_outcome outcome, const char *reason)
{
	struct importer *im = ctx;
	size_t i;

	for (i = 0; i < im->nanns; i++) {
		if (memcmp(im->anns[i].id, id, NP_ID_LEN) == 0 && im->anns[i].outcome == -1) {
			im->anns[i].outcome = (int)outcome;
			snprintf(im->anns[i].reason, sizeof(im->anns[i].reason), "%s",
				 reason ? reason : "");
		}
	}
}

static int
connect_hub(struct importer *im, char *why, size_t whylen)
{
	struct np_options *o;
	char detail[300] = "";
	int rc;

	if (im->c != NULL)
		return FILE_OK;
	o = np_options_new();
	if (o == NULL)
		return say(why, whylen, FILE_BAD, "out of memory");
	rc = np_options_set_string(o, NP_OPT_HOST, im->host);
	if (rc == NP_OK && im->port > 0)
		rc = np_options_set_int(o, NP_OPT_PORT, im->port);
	if (rc == NP_OK)
		rc = np_options_set_string(o, NP_OPT_USERNAME, im->user);
	if (rc == NP_OK && im->password != NULL)
		rc = np_options_set_string(o, NP_OPT_PASSWORD, im->password);
	if (rc == NP_OK && im->cafile != NULL)
		rc = np_options_set_string(o, NP_OPT_CAFILE, im->cafile);
	if (rc == NP_OK && im->state_dir != NULL)
		rc = np_options_set_string(o, NP_OPT_STATE_DIR, im->state_dir);
	if (rc == NP_OK)
		rc = np_client_new(&im->c, o, detail, sizeof(detail));
	np_options_free(o);
	if (rc != NP_OK)
		return say(why, whylen, FILE_BAD, "cannot set up the client: %s%s%s",
			   np_strerror(rc), detail[0] ? ": " : "", detail);
	np_client_on_outcome(im->c, on_outcome, im);
	rc = np_client_connect(im->c, im->timeout_ms);
	if (rc != NP_OK) {
		snprintf(detail, sizeof(detail), "%s", np_client_last_error(im->c));
		np_client_free(im->c);
		im->c = NULL;
		return say(why, whylen, rc == NP_ERR_AUTH ? FILE_BAD : FILE_RETRY,
			   "cannot log in to the hub at %s as %s: %s", im->host, im->user, detail);
	}
	return FILE_OK;
}

/* The history pass: which of the file's announcements the hub holds, and
 * the announcements of the alerts its <references> name. */
struct scan {
	struct importer *im;
	struct hub_idset own, *ref;     /* ref: one set of candidate ids per reference */
	bool *found;
	bool nomem;
};

static void
add_ref(struct importer *im, const uint8_t id[NP_ID_LEN], bool *nomem)
{
	uint8_t (*v)[NP_ID_LEN];
	size_t i;

	for (i = 0; i < im->nrefs; i++) {
		if (memcmp(im->refs[i], id, NP_ID_LEN) == 0)
			return;
	}
	if (im->nrefs == im->caprefs) {
		v = realloc(im->refs, (im->caprefs ? im->caprefs * 2 : 16) * NP_ID_LEN);
		if (v == NULL) {
			*nomem = true;
			return;
		}
		im->refs = v;
		im->caprefs = im->caprefs ? im->caprefs * 2 : 16;
	}
	memcpy(im->refs[im->nrefs++], id, NP_ID_LEN);
}

static void
on_stored(void *ctx, const struct np_msg *m)
{
	struct scan *sc = ctx;
	size_t i;

	if (m->body != NP_BODY_ANNOUNCEMENT)
		return;
	if (hub_idset_has(&sc->own, m->id)) {
		for (i = 0; i < sc->im->nanns; i++)
			sc->im->anns[i].known |= memcmp(sc->im->anns[i].id, m->id, NP_ID_LEN) == 0;
	}
	for (i = 0; i < sc->im->alert->nrefs; i++) {
		if (hub_idset_has(&sc->ref[i], m->id)) {
			sc->found[i] = true;
			add_ref(sc->im, m->id, &sc->nomem);
		}
	}
}

/* Every id an announcement of reference r could have had: any <info> index,
 * any province (the referenced alert's are not known before the search). */
static int
candidates(struct importer *im, const struct cap_ref *r, struct hub_idset *set)
{
	uint8_t id[NP_ID_LEN];
	size_t k, p;

	for (k = 0; k < MAX_INFOS; k++) {
		for (p = 0; p < cap_geo_count(im->geo); p++) {
			admin_cap_id(r->sender, r->identifier, k, cap_geo_code(im->geo, p), id);
			if (hub_idset_add(set, id) != 0)
				return -1;
		}
	}
	return 0;
}

static int
scan_history(struct importer *im, struct scan *sc, char *why, size_t whylen)
{
	const struct cap_alert *al = im->alert;
	struct np_history_query q = { "np/ann/#", 0, 0, 0 };
	int64_t since = al->sent_ms;
	size_t i;
	int rc;

	for (i = 0; i < im->nanns; i++) {
		if (hub_idset_add(&sc->own, im->anns[i].id) != 0)
			return say(why, whylen, FILE_BAD, "out of memory");
	}
	for (i = 0; i < al->nrefs; i++) {
		if (candidates(im, &al->refs[i], &sc->ref[i]) != 0)
			return say(why, whylen, FILE_BAD, "out of memory");
		if (al->refs[i].sent_ms < since)
			since = al->refs[i].sent_ms;
	}
	/* received by the hub after CAP's sent; a day of slack for clocks */
	q.since_ms = since > DAY_MS ? since - DAY_MS : 0;
	/* the hub limits history requests per user a second: a burst of files
	 * waits a little and asks again (the sets are idempotent) */
	for (i = 0, rc = NP_ERR_HISTORY; i < HISTORY_TRIES && rc != NP_OK; i++) {
		if (i > 0)
			np_client_run(im->c, 1000 * (int)i);
		rc = np_history(im->c, &q, on_stored, sc, im->timeout_ms);
	}
	if (rc != NP_OK)
		return say(why, whylen, FILE_RETRY, "cannot read the hub's history (to find "
			   "earlier imports and referenced alerts): %s", np_client_last_error(im->c));
	return sc->nomem ? say(why, whylen, FILE_BAD, "out of memory") : FILE_OK;
}

/* The referenced alerts: none known is an error; some unknown is said. */
static int
check_refs(struct importer *im, const struct scan *sc, const char *path, char *why,
	   size_t whylen)
{
	const struct cap_alert *al = im->alert;
	size_t i, known = 0;

	for (i = 0; i < al->nrefs; i++)
		known += sc->found[i];
	if (al->nrefs > 0 && known == 0)
		return say(why, whylen, FILE_BAD, "an %s of an unknown alert: %s,%s,%s is not in "
			   "the hub's history (import that alert first)", al->msg_type,
			   al->refs[0].sender, al->refs[0].identifier, al->refs[0].sent);
	for (i = 0; i < al->nrefs; i++) {
		if (!sc->found[i])
			fprintf(admin_err(), "np-admin: %s: note: referenced alert %s,%s is not in "
				"the hub's history; the others are %s\n", path, al->refs[i].sender,
				al->refs[i].identifier, strcmp(al->msg_type, "Cancel") == 0
				? "withdrawn" : "replaced");
	}
	return FILE_OK;
}

static int
find_stored(struct importer *im, const char *path, char *why, size_t whylen)
{
	struct scan sc;
	size_t i;
	int rc;

	memset(&sc, 0, sizeof(sc));
	sc.im = im;
	sc.ref = calloc(im->alert->nrefs + 1, sizeof(*sc.ref));
	sc.found = calloc(im->alert->nrefs + 1, sizeof(*sc.found));
	if (sc.ref == NULL || sc.found == NULL)
		rc = say(why, whylen, FILE_BAD, "out of memory");
	else
		rc = scan_history(im, &sc, why, whylen);
	if (rc == FILE_OK)
		rc = check_refs(im, &sc, path, why, whylen);
	hub_idset_clear(&sc.own);
	for (i = 0; sc.ref != NULL && i < im->alert->nrefs; i++)
		hub_idset_clear(&sc.ref[i]);
	free(sc.ref);
	free(sc.found);
	return rc;
}

static int
send_one(struct importer *im, struct ann *an)
{
	const struct cap_info *in = &im->alert->infos[an->info];
	struct np_announcement a = NP_ANNOUNCEMENT_INIT;

	a.area = an->province;
	a.category = an->category;
	a.title = an->title;
	a.body = an->body;
	a.expires_at_ms = in->expires_ms;
	a.id = an->id;
	a.sent_at_ms = im->alert->sent_ms;
	a.severity = in->severity;
	a.urgency = in->urgency;
	a.certainty = in->certainty;
	a.sender_name = in->sender_name;
	a.cap_identifier = im->alert->identifier;
	a.instruction = in->instruction;
	a.language = in->language;
	a.cap_status = im->alert->status;
	a.msg_type = im->alert->msg_type;
	a.n_references = im->nrefs;
	a.references = (const uint8_t (*)[NP_ID_LEN])im->refs;
	return np_announce_ex(im->c, &a, NULL);
}

/* Sends anns[from, to) and waits for their outcomes; FILE_OK when all were
 * accepted. */
static int
send_range(struct importer *im, size_t from, size_t to, char *why, size_t whylen)
{
	size_t i;
	int rc;

	for (i = from; i < to; i++) {
		rc = send_one(im, &im->anns[i]);
		if (rc != NP_OK)
			return say(why, whylen, FILE_RETRY, "cannot send %s: %s", im->anns[i].topic,
				   np_client_last_error(im->c));
	}
	rc = np_client_flush(im->c, im->timeout_ms);
	for (i = from; i < to; i++)
		im->accepted += im->anns[i].outcome == NP_ACCEPTED;
	for (i = from; i < to; i++) {
		if (im->anns[i].outcome == NP_REFUSED)
			return say(why, whylen, FILE_BAD, "the hub refused %s: %s", im->anns[i].topic,
				   im->anns[i].reason);
	}
	if (rc != NP_OK)
		return say(why, whylen, FILE_RETRY, "no answer from the hub in time (%s)",
			   np_strerror(rc));
	return FILE_OK;
}

/* ---- one file ---- */

static void
report(struct importer *im, const char *path, int64_t now_ms)
{
	const struct cap_alert *al = im->alert;
	char hex[2 * NP_ID_LEN + 1], t[40];
	size_t i, known = 0;

	for (i = 0; i < im->nanns; i++)
		known += im->anns[i].known;
	fprintf(admin_out(), "%s: %s %s %s from %s, sent %s: %zu announcement(s) accepted%s\n",
		path, al->identifier, al->status, al->msg_type, al->sender, al->sent, im->nanns,
		known == im->nanns ? " (all imported before: nothing new)" : "");
	for (i = 0; i < im->nanns; i++) {
		np_id_to_hex(im->anns[i].id, hex);
		fprintf(admin_out(), "  %s %s %s %s%s\n", im->anns[i].topic, hex,
			al->infos[im->anns[i].info].language, im->anns[i].title,
			im->anns[i].known ? " (imported before)" : "");
	}
	for (i = 0; i < al->ninfos; i++) {
		if (al->infos[i].expires_ms == 0 || al->infos[i].expires_ms > now_ms)
			continue;
		cap_time_format(al->infos[i].expires_ms, t, sizeof(t));
		fprintf(admin_out(), "%s: info %zu (%s) expired at %s: kept in the history as "
			"expired, delivered to no one\n", path, i + 1, al->infos[i].language, t);
	}
	if (strcmp(al->status, "Actual") != 0)
		fprintf(admin_out(), "%s: status %s: kept in the history, shown to no volunteer or "
			"resident\n", path, al->status);
	if (im->nrefs > 0)
		fprintf(admin_out(), "%s: %s of %zu earlier announcement(s): no longer handed out\n",
			path, strcmp(al->msg_type, "Cancel") == 0 ? "withdrawal" : "replacement",
			im->nrefs);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Says after why how much of a failed file was published. */
static void
published(const struct importer *im, char *why, size_t whylen)
{
	size_t n = strlen(why);

	if (im->accepted == 0)
		snprintf(why + n, whylen - n, "; nothing published");
	else
		snprintf(why + n, whylen - n, "; %zu of its %zu announcements were published (their "
			 "ids make a later import of the file add the rest, once)", im->accepted,
			 im->nanns);
}

static int
import_file(struct importer *im, const char *path, char *why, size_t whylen)
{
	struct cap_alert al;
	int rc;

	im->accepted = 0;
	if (cap_read_file(im->reader, path, &al, why, whylen) != 0) {
		published(im, why, whylen);
		return FILE_BAD;
	}
	im->alert = &al;
	rc = plan(im, why, whylen);
	if (rc == FILE_OK)
		rc = connect_hub(im, why, whylen);
	if (rc == FILE_OK)
		rc = find_stored(im, path, why, whylen);
	if (rc == FILE_OK)
		rc = send_range(im, 0, 1, why, whylen);
	if (rc == FILE_OK)
		rc = send_range(im, 1, im->nanns, why, whylen);
	if (rc == FILE_OK)
		report(im, path, now_ms());
	else
		published(im, why, whylen);
	anns_free(im);
	im->alert = NULL;
	cap_alert_free(&al);
	return rc;
}

/* ---- --watch DIR ---- */

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool
is_xml(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".xml") == 0;
}

static int
xml_entry(const struct dirent *d)
{
	return is_xml(d->d_name);
}

/* Moves DIR/NAME to DIR/SUB/NAME, with DIR/SUB/NAME.err beside it when why. */
static void
file_away(const char *dir, const char *name, const char *sub, const char *why)
{
	char from[4200], to[4300];
	FILE *f;

	snprintf(from, sizeof(from), "%s/%s", dir, name);
	snprintf(to, sizeof(to), "%s/%s/%s", dir, sub, name);
	if (rename(from, to) != 0)
		fprintf(admin_err(), "np-admin: cannot move %s to %s: %s\n", from, to,
			strerror(errno));
	if (why == NULL)
		return;
	snprintf(to, sizeof(to), "%s/%s/%s.err", dir, sub, name);
	f = fopen(to, "w");
	if (f != NULL) {
		fprintf(f, "%s\n", why);
		fclose(f);
	}
}

static void
watch_once(struct importer *im, const char *dir, bool *hub_down)
{
	struct dirent **list = NULL;
	char path[4200], why[1024];
	int n, i, rc;

	n = scandir(dir, &list, xml_entry, alphasort);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (stop || *hub_down) {
			free(list[i]);
			continue;
		}
		rc = import_file(im, path, why, sizeof(why));
		if (rc == FILE_RETRY) {
			fprintf(admin_err(), "np-admin: %s: %s; left in place, tried again later\n",
				path, why);
			*hub_down = true;
			np_client_free(im->c);
			im->c = NULL;
		} else if (rc == FILE_BAD) {
			fprintf(admin_err(), "np-admin: %s: %s\n", path, why);
			file_away(dir, list[i]->d_name, "failed", why);
		} else {
			file_away(dir, list[i]->d_name, "done", NULL);
		}
		fflush(admin_out());
		free(list[i]);
	}
	free(list);
}

static int
watch(struct importer *im, const char *dir, int interval_ms)
{
	char sub[4200];
	struct sigaction sa;
	int64_t next;
	bool hub_down;

	snprintf(sub, sizeof(sub), "%s/done", dir);
	if ((mkdir(sub, 0755) != 0 && errno != EEXIST)
	    || (snprintf(sub, sizeof(sub), "%s/failed", dir), mkdir(sub, 0755) != 0
		&& errno != EEXIST)) {
		fprintf(admin_err(), "np-admin: cannot make %s: %s\n", sub, strerror(errno));
		return ADMIN_FAIL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(admin_out(), "watching %s for *.xml every %d ms (done/, failed/); SIGTERM stops\n",
		dir, interval_ms);
	fflush(admin_out());
	while (!stop) {
		hub_down = false;
		watch_once(im, dir, &hub_down);
		for (next = now_ms() + interval_ms; !stop && now_ms() < next;) {
			if (im->c != NULL)
				np_client_run(im->c, 100);     /* keeps the link alive */
			else
				usleep(100 * 1000);
		}
	}
	fprintf(admin_out(), "stopped watching %s\n", dir);
	return ADMIN_OK;
}

/* ---- the command ---- */

enum { OPT_HUB = 1, OPT_AS, OPT_STATE, OPT_CAFILE, OPT_SCHEMA, OPT_GEO, OPT_SIG, OPT_WATCH,
       OPT_INTERVAL, OPT_TIMEOUT };

static const struct option long_opts[] = {
	{ "hub", required_argument, NULL, OPT_HUB },
	{ "as", required_argument, NULL, OPT_AS },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "cafile", required_argument, NULL, OPT_CAFILE },
	{ "schema", required_argument, NULL, OPT_SCHEMA },
	{ "geo", required_argument, NULL, OPT_GEO },
	{ "require-signature", required_argument, NULL, OPT_SIG },
	{ "watch", required_argument, NULL, OPT_WATCH },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

struct import_args {
	const char *schema, *geo, *cert, *watch;
	int interval_ms;
};

static int
positive(const char *opt, const char *arg, int max, int *out)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v < 1 || v > max) {
		fprintf(admin_err(), "np-admin: %s wants a whole number from 1 to %d\n", opt, max);
		return ADMIN_USAGE;
	}
	*out = (int)v;
	return ADMIN_OK;
}

static int
hub_addr(struct importer *im, char *arg)
{
	char *colon = strrchr(arg, ':');

	im->host = arg;
	if (colon == NULL)
		return ADMIN_OK;
	*colon = '\0';
	return positive("--hub PORT", colon + 1, 65535, &im->port);
}

static int
parse(struct importer *im, struct import_args *ia, int argc, char **argv)
{
	int c, rc = ADMIN_OK, secs;

	optind = 1;
	opterr = 0;
	while (rc == ADMIN_OK && (c = getopt_long(argc, argv, "u:", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_HUB: rc = hub_addr(im, optarg); break;
		case 'u':
		case OPT_AS: im->user = optarg; break;
		case OPT_STATE: im->state_dir = optarg; break;
		case OPT_CAFILE: im->cafile = optarg; break;
		case OPT_SCHEMA: ia->schema = optarg; break;
		case OPT_GEO: ia->geo = optarg; break;
		case OPT_SIG: ia->cert = optarg; break;
		case OPT_WATCH: ia->watch = optarg; break;
		case OPT_INTERVAL: rc = positive("--interval", optarg, 3600000, &ia->interval_ms); break;
		case OPT_TIMEOUT:
			rc = positive("--timeout", optarg, 3600, &secs);
			im->timeout_ms = secs * 1000;
			break;
		default:
			fprintf(admin_err(), "np-admin: cap import: unknown option or missing value: "
				"%s\n", argv[optind - 1]);
			rc = ADMIN_USAGE;
		}
	}
	if (rc != ADMIN_OK)
		return rc;
	if (im->user == NULL) {
		fprintf(admin_err(), "np-admin: cap import needs --as USER (an agency user with "
			"the alerts' categories)\n");
		return ADMIN_USAGE;
	}
	if (im->password == NULL && im->state_dir == NULL) {
		fprintf(admin_err(), "np-admin: cap import: %s's password in NP_PASSWORD, or a "
			"token saved in --state DIR, is needed\n", im->user);
		return ADMIN_USAGE;
	}
	if (optind >= argc && ia->watch == NULL) {
		fprintf(admin_err(), "np-admin: cap import: no FILE and no --watch DIR\n");
		return ADMIN_USAGE;
	}
	return ADMIN_OK;
}

enum admin_rc
admin_cap_import(int argc, char **argv)
{
	struct importer im = { .host = "127.0.0.1", .timeout_ms = 10000 };
	struct import_args ia = { .interval_ms = 1000 };
	char xsd_buf[4200], geo_buf[4200], why[1024];
	enum admin_rc rc = ADMIN_OK;
	int i, r;

	im.password = getenv("NP_PASSWORD");
	r = parse(&im, &ia, argc, argv);
	if (r != ADMIN_OK)
		return (enum admin_rc)r;
	if (ia.schema == NULL)
		ia.schema = admin_data_path("NP_CAP_DIR", "cap", "CAP-v1.2.xsd", xsd_buf,
					    sizeof(xsd_buf));
	if (ia.geo == NULL)
		ia.geo = admin_data_dir("NP_GEO_DIR", "geo", "provinces.csv", geo_buf,
					sizeof(geo_buf));
	np_lib_init();
	if (cap_reader_new(&im.reader, ia.schema, ia.cert, why, sizeof(why)) != 0
	    || cap_geo_open(&im.geo, ia.geo, why, sizeof(why)) != 0) {
		fprintf(admin_err(), "np-admin: %s\n", why);
		rc = ADMIN_FAIL;
	}
	for (i = optind; rc != ADMIN_FAIL && i < argc; i++) {
		r = import_file(&im, argv[i], why, sizeof(why));
		if (r != FILE_OK) {
			fprintf(admin_err(), "np-admin: %s: %s\n", argv[i], why);
			rc = ADMIN_FAIL;
		}
	}
	if (ia.watch != NULL && im.reader != NULL && im.geo != NULL)
		rc = watch(&im, ia.watch, ia.interval_ms) != ADMIN_OK ? ADMIN_FAIL : rc;
	np_client_free(im.c);
	cap_geo_close(im.geo);
	cap_reader_free(im.reader);
	np_lib_cleanup();
	return rc;
}
