/* tokens.c - see tokens.h. Last-used times wait in a uthash table keyed by
 * token id (one entry per token used since the last write), so 24,700 logins
 * after a restart are one write transaction, not 24,700. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "np.pb-c.h"
#include "query.h"
#include "tokens.h"
#include "validate.h"

struct use {
	struct hub_token_use u;
	UT_hash_handle hh;
};

struct hub_tokens {
	struct hub_store *store;
	unsigned default_days;
	struct use *uses;
	size_t nuses;
	uint64_t generation;
	uint64_t version;       /* of the store when generation was read */
	int64_t next_flush_ms;
};

int
hub_tokens_new(struct hub_tokens **out, struct hub_store *store, unsigned default_days)
{
	struct hub_tokens *t = calloc(1, sizeof(*t));

	*out = t;
	if (t == NULL)
		return -1;
	t->store = store;
	t->default_days = default_days;
	t->generation = hub_store_tokens_generation(store);
	return 0;
}

static void
uses_clear(struct hub_tokens *t)
{
	struct use *e, *tmp;

	HASH_ITER(hh, t->uses, e, tmp) {
		HASH_DEL(t->uses, e);
		free(e);
	}
	t->nuses = 0;
}

/* Writes every waiting last-used time in one transaction. */
static int
flush(struct hub_tokens *t)
{
	struct hub_token_use *v;
	struct use *e;
	size_t i = 0;
	int rc;

	if (t->nuses == 0)
		return 0;
	v = malloc(t->nuses * sizeof(*v));
	if (v == NULL)
		return -1;
	for (e = t->uses; e != NULL; e = e->hh.next)
		v[i++] = e->u;
	rc = hub_store_tokens_touch(t->store, v, i);
	free(v);
	if (rc == 0)
		uses_clear(t);
	return rc == 0 ? 0 : -1;
}

void
hub_tokens_free(struct hub_tokens *t)
{
	if (t == NULL)
		return;
	flush(t);
	uses_clear(t);
	free(t);
}

static void
note_use(struct hub_tokens *t, const uint8_t id[HUB_TOKEN_ID_LEN], int64_t now_ms)
{
	struct use *e;

	HASH_FIND(hh, t->uses, id, HUB_TOKEN_ID_LEN, e);
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return;         /* a last-used time is worth no refusal */
		memcpy(e->u.id, id, HUB_TOKEN_ID_LEN);
		HASH_ADD(hh, t->uses, u.id, HUB_TOKEN_ID_LEN, e);
		t->nuses++;
	}
	e->u.ms = now_ms;
}

/* The record's verdict, once the secret matched (or for a live session). */
static enum hub_refusal
judge(const struct hub_token_rec *r, const char *user, int64_t now_ms)
{
	if (strcmp(r->user, user) != 0)
		return HUB_R_TOKEN_OTHER_USER;
	if (r->expires_ms != 0 && now_ms >= r->expires_ms)
		return HUB_R_TOKEN_EXPIRED;
	return HUB_OK;
}

enum hub_refusal
hub_tokens_login(struct hub_tokens *t, const char *username, const char *password,
		 int64_t now_ms, uint8_t id[HUB_TOKEN_ID_LEN], int64_t *expires_ms)
{
	struct hub_token tok;
	struct hub_token_rec r;
	enum hub_refusal why;
	int rc;

	if (username == NULL)
		return HUB_R_NO_USERNAME;
	why = hub_token_parse(password, &tok);
	if (why != HUB_OK)
		return why;
	rc = hub_store_token_get(t->store, tok.id, &r);
	if (rc == 0 && !hub_token_matches(&tok, r.hash))
		why = HUB_R_TOKEN_WRONG_SECRET;         /* before anything the record tells */
	else if (rc == 0)
		why = judge(&r, username, now_ms);
	else
		why = rc == HUB_STORE_NOTFOUND ? HUB_R_TOKEN_UNKNOWN : HUB_R_USER_DB;
	hub_token_wipe(&tok);
	if (why != HUB_OK)
		return why;
	memcpy(id, r.id, HUB_TOKEN_ID_LEN);
	*expires_ms = r.expires_ms;
	note_use(t, r.id, now_ms);
	return HUB_OK;
}

enum hub_refusal
hub_tokens_holds(struct hub_tokens *t, const char *user, const uint8_t id[HUB_TOKEN_ID_LEN],
		 int64_t now_ms)
{
	struct hub_token_rec r;
	int rc = hub_store_token_get(t->store, id, &r);

	if (rc == HUB_STORE_NOTFOUND)
		return HUB_R_TOKEN_UNKNOWN;
	if (rc != 0) {
		/* a read error cuts no one now, and the next look asks every
		 * token session again: the revocation is not lost */
		t->generation = 0;
		t->version = 0;
		return HUB_OK;
	}
	return judge(&r, user, now_ms);
}

bool
hub_tokens_revoked(struct hub_tokens *t)
{
	uint64_t gen, version = hub_store_version(t->store);

	/* called before every message: no LMDB read unless some process committed */
	if (version != 0 && version == t->version)
		return false;
	gen = hub_store_tokens_generation(t->store);
	t->version = version;
	if (gen == t->generation)
		return false;
	t->generation = gen;
	return true;
}

/* ---- grants ---- */

static bool
echoable(const char *id)
{
	size_t n = strlen(id);

	return n <= HUB_QUERY_MAX_CORRELATION && hub_utf8_valid(id, n);
}

static enum hub_refusal
check_request(const Np__TokenRequest *r, size_t len)
{
	if (r->base.n_unknown_fields > 0)
		return HUB_R_REQUEST_UNKNOWN_FIELDS;
	/* protobuf-c cuts a string at a NUL: what was read must pack to what came */
	if (np__token_request__get_packed_size(r) != len)
		return HUB_R_REQUEST_NOT_CANONICAL;
	if (strlen(r->label) > HUB_TOKEN_LABEL_MAX
	    || !hub_utf8_valid(r->label, strlen(r->label)))
		return HUB_R_TOKEN_LABEL;
	if (r->days > HUB_TOKEN_MAX_DAYS)
		return HUB_R_TOKEN_DAYS;
	if (!echoable(r->correlation_id))
		return HUB_R_CORRELATION_ID;
	return HUB_OK;
}

/* Mints the token of r for user into text and stores its record. */
static enum hub_refusal
mint(struct hub_tokens *t, const char *user, const Np__TokenRequest *r, int64_t now_ms,
     char text[HUB_TOKEN_TEXT_LEN + 1], struct hub_token_rec *rec)
{
	struct hub_token tok;
	unsigned days = r->days ? r->days : t->default_days;
	size_t bad;
	int rc;

	if (hub_token_new(&tok) != 0)
		return HUB_R_TOKEN_STORE;
	memset(rec, 0, sizeof(*rec));
	memcpy(rec->id, tok.id, HUB_TOKEN_ID_LEN);
	snprintf(rec->user, sizeof(rec->user), "%s", user);
	hub_token_hash(&tok, rec->hash);
	snprintf(rec->label, sizeof(rec->label), "%s", r->label);
	rec->created_ms = now_ms;
	rec->expires_ms = days ? now_ms + days * HUB_DAY_MS : 0;
	hub_token_format(&tok, text);
	hub_token_wipe(&tok);
	rc = hub_store_tokens_add(t->store, rec, 1, &bad);
	if (rc == HUB_STORE_NOTFOUND)
		return HUB_R_UNKNOWN_USER;
	return rc == 0 ? HUB_OK : HUB_R_TOKEN_STORE;
}

/* TokenRequest.revoke: the session's own token, which it logged in with. */
static enum hub_refusal
revoke_own(struct hub_tokens *t, const uint8_t *session, uint8_t id[HUB_TOKEN_ID_LEN])
{
	int rc;

	if (session == NULL)
		return HUB_R_TOKEN_REVOKE_PASSWORD;
	memcpy(id, session, HUB_TOKEN_ID_LEN);
	rc = hub_store_token_del(t->store, session);
	if (rc == HUB_STORE_NOTFOUND)
		return HUB_R_TOKEN_UNKNOWN;
	return rc == 0 ? HUB_OK : HUB_R_TOKEN_STORE;
}

uint8_t *
hub_tokens_grant(struct hub_tokens *t, const struct hub_principal *p, const uint8_t *session,
		 enum hub_refusal why, const void *req, size_t len, int64_t now_ms,
		 size_t *out_len, struct hub_grant_out *out)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__TokenGrant g = NP__TOKEN_GRANT__INIT;
	Np__Sender holder = NP__SENDER__INIT;
	Np__TokenRequest *r = NULL;
	struct hub_token_rec rec;
	char text[HUB_TOKEN_TEXT_LEN + 1];
	uint8_t *buf;

	memset(out, 0, sizeof(*out));
	if (why == HUB_OK) {
		r = np__token_request__unpack(NULL, len, req);
		why = r == NULL ? HUB_R_NOT_TOKEN_REQUEST : check_request(r, len);
	}
	if (why == HUB_OK && r->revoke) {
		why = revoke_own(t, session, out->id);
		out->revoked = true;
	} else if (why == HUB_OK && session != NULL) {
		why = HUB_R_TOKEN_BY_TOKEN;
	} else if (why == HUB_OK) {
		why = mint(t, p->username, r, now_ms, text, &rec);
		memcpy(out->id, rec.id, HUB_TOKEN_ID_LEN);
	}
	g.correlation_id = r != NULL && echoable(r->correlation_id) ? r->correlation_id : "";
	if (why == HUB_OK) {
		g.token = out->revoked ? "" : text;
		g.token_id.data = out->id;
		g.token_id.len = HUB_TOKEN_ID_LEN;
		g.expires_at_ms = out->revoked ? 0 : rec.expires_ms;
	} else {
		g.error = (char *)hub_refusal_text(why);
	}
	holder.username = (char *)p->username;
	holder.role = (Np__Role)p->role;
	holder.area = (char *)p->scope;
	g.holder = &holder;
	e.body_case = NP__ENVELOPE__BODY_TOKEN_GRANT;
	e.token_grant = &g;
	buf = hub_reply_pack(&e, now_ms, out_len);
	memset(text, 0, sizeof(text));
	if (r != NULL)
		np__token_request__free_unpacked(r, NULL);
	out->why = why;
	return buf;
}

int
hub_tokens_tick(struct hub_tokens *t, int64_t now_ms)
{
	if (now_ms < t->next_flush_ms)
		return 0;
	t->next_flush_ms = now_ms + HUB_TOKENS_FLUSH_MS;
	return flush(t);
}
