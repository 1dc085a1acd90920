/* token.c - the device token on the client's side (DESIGN.md "Credentials"):
 * its file in the state directory (NP_OPT_STATE_DIR), and asking the hub for
 * one. Given a password and no token, the first login uses the password and
 * publishes a TokenRequest on $CONTROL/np/v1/token; the grant comes on
 * np/reply/<user>/token (inside the np/reply/<user>/# the client follows
 * anyway) and is saved; every later login carries the token. conn.c asks
 * here which password a login carries and tells a refusal; a refused token is
 * deleted and the app's password tried. The password is never written. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "np_int.h"

#define TOKEN_PREFIX "npt_"
#define LABEL_HOST_MAX 50       /* "libnpclient " + 50 bytes stays within the hub's 64 */

void
np__escape(char *out, size_t len, const char *name)
{
	static const char keep[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789._-";
	size_t n = strlen(out);

	for (; *name != '\0' && n + 4 < len; name++) {
		if (strchr(keep, *name) != NULL)
			out[n++] = *name;
		else
			n += (size_t)snprintf(out + n, len - n, "%%%02X", (unsigned char)*name);
	}
	out[n] = '\0';
}

char *
np__state_path(const char *state_dir, const char *user, const char *host, long long port,
	       const char *suffix)
{
	char name[4 * NAME_MAX] = "", *path;
	size_t n;

	if (user != NULL) {
		np__escape(name, sizeof(name), user);
		strcat(name, "@");
	}
	np__escape(name, sizeof(name), host);
	n = strlen(name);
	snprintf(name + n, sizeof(name) - n, ":%lld%s", port, suffix);
	if (strlen(name) > NAME_MAX)
		return NULL;
	n = strlen(state_dir) + 1 + strlen(name) + 1;
	path = malloc(n);
	if (path != NULL)
		snprintf(path, n, "%s/%s", state_dir, name);
	return path;
}

bool
np__token_valid(const char *text)
{
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789-_";
	size_t plen = strlen(TOKEN_PREFIX);

	return text != NULL && strlen(text) == NP__TOKEN_TEXT_LEN
	       && strncmp(text, TOKEN_PREFIX, plen) == 0
	       && strspn(text + plen, b64url) == NP__TOKEN_TEXT_LEN - plen;
}

int
np__token_load(const char *path, char text[NP__TOKEN_TEXT_LEN + 1])
{
	char buf[NP__TOKEN_TEXT_LEN + 3];
	ssize_t n;
	int fd;

	text[0] = '\0';
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NP_ERR_INVAL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NP_ERR_INVAL;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (!np__token_valid(buf))
		return NP_ERR_INVAL;            /* malformed: as if there were none */
	memcpy(text, buf, NP__TOKEN_TEXT_LEN + 1);
	return NP_OK;
}

/* fsync of the directory holding path, so that the rename lasts. */
static void
sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int
np__token_save(const char *path, const char *text)
{
	char tmp[PATH_MAX], line[NP__TOKEN_TEXT_LEN + 2];
	int fd, rc = NP_ERR_OUTBOX, saved;

	if (!np__token_valid(text))
		return NP_ERR_INVAL;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return NP_ERR_INVAL;
	fd = mkstemp(tmp);                      /* mode 0600 */
	if (fd < 0)
		return NP_ERR_OUTBOX;
	snprintf(line, sizeof(line), "%s\n", text);
	if (fchmod(fd, 0600) == 0 && write(fd, line, strlen(line)) == (ssize_t)strlen(line)
	    && fsync(fd) == 0)
		rc = NP_OK;
	memset(line, 0, sizeof(line));
	if (close(fd) != 0)
		rc = NP_ERR_OUTBOX;
	if (rc == NP_OK && rename(tmp, path) == 0) {
		sync_dir_of(path);
		return NP_OK;
	}
	saved = errno;
	unlink(tmp);
	errno = saved;
	return NP_ERR_OUTBOX;
}

int
np__token_open(struct np_client *c, char *err, size_t errlen)
{
	const struct np_options *o = &c->opt;

	np__topic_reply(c->tok.topic, sizeof(c->tok.topic), o->username, "token");
	if (o->state_dir == NULL || o->username == NULL)
		return NP_OK;
	if (mkdir(o->state_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the state directory %s: %s", o->state_dir,
			 strerror(errno));
		return NP_ERR_STATE;
	}
	c->tok.path = np__state_path(o->state_dir, o->username, o->host, o->port, ".token");
	if (c->tok.path == NULL) {
		snprintf(err, errlen, "no token file for '%s' at %s in %s (out of memory or "
			 "name too long)", o->username, o->host, o->state_dir);
		return NP_ERR_INVAL;
	}
	if (np__token_load(c->tok.path, c->tok.text) != NP_OK && o->password == NULL) {
		snprintf(err, errlen, "no password, and no token saved for '%s' at %s:%lld in %s",
			 o->username, o->host, o->port, o->state_dir);
		return NP_ERR_INVAL;
	}
	return NP_OK;
}

void
np__token_close(struct np_client *c)
{
	free(c->tok.path);
	c->tok.path = NULL;
	memset(c->tok.text, 0, sizeof(c->tok.text));
}

const char *
np__token_login_password(struct np_client *c)
{
	c->tok.using = c->tok.text[0] != '\0';
	return c->tok.using ? c->tok.text : c->opt.password;
}

bool
np__token_refused(struct np_client *c)
{
	if (!c->tok.using)
		return false;
	c->tok.using = false;
	memset(c->tok.text, 0, sizeof(c->tok.text));
	if (c->tok.path != NULL && unlink(c->tok.path) != 0 && errno != ENOENT)
		return false;   /* it would be read again: stop here rather than loop */
	return c->opt.password != NULL;
}

/* "libnpclient <hostname>", what the hub lists as the token's label. */
static void
token_label(char *out, size_t len)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	snprintf(out, len, "libnpclient %.*s", LABEL_HOST_MAX, host);
}

void
np__token_on_connect(struct np_client *c)
{
	char label[80];
	uint8_t *buf;
	size_t len;

	c->tok.corr[0] = '\0';
	if (c->tok.path == NULL || c->tok.using || c->opt.password == NULL)
		return;
	snprintf(c->tok.corr, sizeof(c->tok.corr), "t-%08x", (unsigned)np__random());
	token_label(label, sizeof(label));
	if (np__encode_token_request(label, c->tok.corr, &buf, &len) != NP_OK) {
		c->tok.corr[0] = '\0';
		return;         /* no token this time; the password still works */
	}
	if (mosquitto_publish_v5(c->conn.mosq, NULL, NP__TOKEN_REQUEST_TOPIC, (int)len, buf, 1,
				 false, NULL) != MOSQ_ERR_SUCCESS)
		c->tok.corr[0] = '\0';
	free(buf);
}

/* A grant for the request of this connection: saved, used from the next login. */
static void
take_grant(struct np_client *c, const char *token, const char *error)
{
	if (error[0] != '\0' || !np__token_valid(token)) {
		np__set_err(c, 0, "the hub gave no token to '%s' (%s); logging in with the "
			    "password", c->opt.username, error[0] ? error : "malformed token");
		return;
	}
	if (np__token_save(c->tok.path, token) != NP_OK) {
		np__set_err(c, 0, "cannot save the token in %s: %s", c->tok.path,
			    strerror(errno));
		return;
	}
	memcpy(c->tok.text, token, NP__TOKEN_TEXT_LEN + 1);
}

bool
np__token_on_message(struct np_client *c, const struct mosquitto_message *msg)
{
	char *corr, *token, *error;

	if (strcmp(msg->topic, c->tok.topic) != 0)
		return false;
	if (c->tok.corr[0] == '\0'
	    || np__decode_token_grant(msg->payload, (size_t)msg->payloadlen, &corr, &token,
				      &error) != NP_OK)
		return true;
	if (strcmp(corr, c->tok.corr) == 0) {
		c->tok.corr[0] = '\0';
		take_grant(c, token, error);
	}
	memset(token, 0, strlen(token));
	free(corr);
	free(token);
	free(error);
	return true;
}
