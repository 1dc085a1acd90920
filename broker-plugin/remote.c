/* remote.c - see remote.h. The command itself is admin/remote_cmd.c: the
 * same code as the local np-admin, so the admin sees the same output. This
 * file reads the request, refuses what no command should get (a non-admin,
 * malformed or oversized words, unknown fields), and packs the reply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../admin/remote_cmd.h"
#include "np.pb-c.h"
#include "query.h"
#include "remote.h"
#include "token.h"
#include "validate.h"

static bool
word_ok(const char *w)
{
	size_t n = strlen(w);

	return n <= HUB_ADMIN_MAX_WORD && hub_utf8_valid(w, n);
}

static enum hub_refusal
check_request(const Np__AdminRequest *r, size_t len)
{
	size_t i;

	if (r->base.n_unknown_fields > 0)
		return HUB_R_REQUEST_UNKNOWN_FIELDS;
	/* protobuf-c cuts a string at a NUL: what was read must pack to what came */
	if (np__admin_request__get_packed_size(r) != len)
		return HUB_R_REQUEST_NOT_CANONICAL;
	if (strlen(r->correlation_id) > HUB_QUERY_MAX_CORRELATION
	    || !hub_utf8_valid(r->correlation_id, strlen(r->correlation_id)))
		return HUB_R_CORRELATION_ID;
	if (r->n_argv == 0 || r->n_argv > HUB_ADMIN_MAX_WORDS)
		return HUB_R_ADMIN_WORDS;
	for (i = 0; i < r->n_argv; i++)
		if (!word_ok(r->argv[i]))
			return HUB_R_ADMIN_WORDS;
	if (r->n_password_hashes > HUB_ADMIN_MAX_HASHES)
		return HUB_R_ADMIN_HASHES;
	for (i = 0; i < r->n_password_hashes; i++)
		if (strlen(r->password_hashes[i]) > ADMIN_HASH_TEXT_LEN)
			return HUB_R_ADMIN_HASHES;
	return HUB_OK;
}

/* "user add somchai" and the first error line, device tokens cut out. */
static void
summarise(char *out, size_t len, const Np__AdminRequest *r, const struct admin_remote_out *o)
{
	size_t n = 0, i, e;
	char *tok;

	out[0] = '\0';
	for (i = 0; r != NULL && i < r->n_argv && i < 3 && n + 1 < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%.64s", i ? " " : "", r->argv[i]);
	if (o != NULL && o->err_len > 0 && n + 3 < len) {
		e = strcspn(o->err, "\n");
		snprintf(out + n, len - n, ": %.*s", (int)(e < 200 ? e : 200), o->err);
	}
	tok = strstr(out, HUB_TOKEN_PREFIX);
	if (tok != NULL && (size_t)(tok - out) + sizeof(HUB_TOKEN_PREFIX "[redacted]") <= len)
		strcpy(tok, HUB_TOKEN_PREFIX "[redacted]");
}

uint8_t *
hub_remote_admin(struct hub_store *s, const struct hub_principal *p, const char *address,
		 enum hub_refusal why, const char *why_text, const void *req, size_t len,
		 int64_t now_ms,
		 size_t *out_len, int *status, char *summary, size_t summary_len)
{
	Np__Envelope e = NP__ENVELOPE__INIT;
	Np__AdminReply a = NP__ADMIN_REPLY__INIT;
	Np__AdminRequest *r = NULL;
	struct admin_remote_req q;
	struct admin_remote_out o = { 0 };
	char refusal[300];
	uint8_t *out;
	const char *reason = NULL;      /* a refusal's sentence when not why's own */
	bool ran = false;

	if (why != HUB_OK) {
		reason = why_text;
	} else if (p->role != HUB_ROLE_ADMIN) {
		why = HUB_R_ADMIN_ONLY;
		/* read a small request only, to echo its correlation id: no one
		 * but an admin makes the hub decode megabytes */
		if (len <= HUB_ADMIN_MAX_NONADMIN)
			r = np__admin_request__unpack(NULL, len, req);
	} else {
		r = np__admin_request__unpack(NULL, len, req);
		why = r == NULL ? HUB_R_NOT_ADMIN_REQUEST : check_request(r, len);
	}
	if (why == HUB_OK) {
		memset(&q, 0, sizeof(q));
		q.user = p->username;
		q.scope = p->scope;
		q.address = address != NULL ? address : "?";
		q.argc = (int)r->n_argv;
		q.argv = r->argv;
		q.input = r->input.data;
		q.input_len = r->input.len;
		q.hashes = r->password_hashes;
		q.nhashes = r->n_password_hashes;
		if (admin_remote_run(s, &q, &o) != 0) {
			if (r != NULL)
				np__admin_request__free_unpacked(r, NULL);
			return NULL;
		}
		ran = true;
		a.status = o.status;
		a.out.data = (uint8_t *)o.out;
		a.out.len = o.out_len;
		a.err.data = (uint8_t *)o.err;
		a.err.len = o.err_len;
	} else {
		if (reason == NULL)
			reason = hub_refusal_text(why);
		snprintf(refusal, sizeof(refusal), "np-admin: the hub refused the request: %s\n",
			 reason);
		a.status = ADMIN_FAIL;
		a.err.data = (uint8_t *)refusal;
		a.err.len = strlen(refusal);
	}
	a.correlation_id = r != NULL && why != HUB_R_CORRELATION_ID
				   && strlen(r->correlation_id) <= HUB_QUERY_MAX_CORRELATION
				   && hub_utf8_valid(r->correlation_id, strlen(r->correlation_id))
				   ? r->correlation_id : "";
	e.body_case = NP__ENVELOPE__BODY_ADMIN_REPLY;
	e.admin_reply = &a;
	out = hub_reply_pack(&e, now_ms, out_len);
	*status = a.status;
	if (ran)
		summarise(summary, summary_len, r, &o);
	else
		snprintf(summary, summary_len, "%s", reason);
	free(o.out);
	free(o.err);
	if (r != NULL)
		np__admin_request__free_unpacked(r, NULL);
	return out;
}
