/*
 * oauth.c - access tokens for the connectors: a source's own token
 * (token-env, token-file), or an <oauth> client's, obtained with the
 * OAuth2 refresh-token grant or, for a Google service account, the
 * JWT-bearer grant signed RS256 with OpenSSL.
 *
 * Access tokens are cached in "<cache>/.oauth-<id>.json" (0600) until a
 * minute before they expire, so a run does not ask for a new one per
 * source; a refresh token the endpoint rotates is written back to its
 * file at once, atomically.  Every secret read here is registered with
 * the session, so no page, index or message can carry it.
 */
#include "conn_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "fs.h"
#include "log.h"
#include "mem.h"
#include "net.h"
#include "secret.h"

#define JWT_GRANT "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define KEY_FILE_MAX (64 * 1024)
#define TOKEN_TRIES 3
/* LinkedIn's refresh tokens do not roll: say so while there is time. */
#define REFRESH_WARN_S (30L * 86400)

char *bp_b64url(const unsigned char *p, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = bp_xmalloc(4 * (n / 3 + 1) + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		*o++ = abc[v >> 18];
		*o++ = abc[(v >> 12) & 63];
		*o++ = abc[(v >> 6) & 63];
		*o++ = abc[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		*o++ = abc[v >> 18];
		*o++ = abc[(v >> 12) & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		*o++ = abc[v >> 18];
		*o++ = abc[(v >> 12) & 63];
		*o++ = abc[(v >> 6) & 63];
	}
	*o = '\0';
	return out;
}

int bp_oauth_fresh(long long expires_at, long long now)
{
	return expires_at - now > 60;
}

static char *b64url_json(json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *b = bp_b64url((const unsigned char *)text, strlen(text));

	free(text);
	return b;
}

char *bp_oauth_jwt(const char *email, const char *kid, const char *scope,
		   const char *aud, long long now, const char *pem,
		   bp_err *err)
{
	json_t *hdr = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", email,
				   "scope", scope, "aud", aud,
				   "iat", (json_int_t)(now - 30),
				   "exp", (json_int_t)(now - 30 + 3600));
	char *h, *cl, *input = NULL, *sig64 = NULL, *jwt = NULL;
	unsigned char *sig = NULL;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	BIO *bio = NULL;
	size_t siglen = 0;

	if (kid)
		json_object_set_new(hdr, "kid", json_string(kid));
	h = b64url_json(hdr);
	cl = b64url_json(claims);
	input = bp_xasprintf("%s.%s", h, cl);
	bio = BIO_new_mem_buf(pem, -1);
	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	if (!key) {
		bp_err_set(err, BP_ECONFIG, "the private_key of the service account "
			   "is not a PEM private key");
		goto out;
	}
	md = EVP_MD_CTX_new();
	/* RSA's default padding is PKCS#1 v1.5: RS256. */
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSignUpdate(md, input, strlen(input)) != 1 ||
	    EVP_DigestSignFinal(md, NULL, &siglen) != 1) {
		bp_err_set(err, BP_ECONFIG, "cannot sign with the service account's "
			   "private key (RS256 needs an RSA key)");
		goto out;
	}
	sig = bp_xmalloc(siglen);
	if (EVP_DigestSignFinal(md, sig, &siglen) != 1) {
		bp_err_set(err, BP_ECONFIG, "cannot sign with the service account's "
			   "private key");
		goto out;
	}
	sig64 = bp_b64url(sig, siglen);
	jwt = bp_xasprintf("%s.%s", input, sig64);
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	BIO_free(bio);
	free(sig);
	free(sig64);
	free(input);
	free(h);
	free(cl);
	json_decref(hdr);
	json_decref(claims);
	return jwt;
}

/* ---- secrets from the config ------------------------------------------ */

/* A whole file that only its owner may read (a key file is several
 * lines, unlike secret.h's one-line files).  NULL with BP_ECONFIG. */
static char *read_private(const char *path, const char *what,
			  const char *owner, bp_err *err)
{
	return bp_secret_read_all(path, what, owner, KEY_FILE_MAX, NULL, err);
}

/* An environment variable's value or a private file's line (copied). */
static char *secret_of(const char *env, const char *file, const char *what,
		       const char *owner, bp_err *err)
{
	char w[400];
	const char *v;

	if (env) {
		snprintf(w, sizeof(w), "%s-env of %s", what, owner);
		v = bp_net_env(env, w, err);
		return v ? bp_xstrdup(v) : NULL;
	}
	if (file)
		return bp_secret_read_file(file, what, owner, err);
	bp_err_set(err, BP_ECONFIG, "%s has no %s", owner, what);
	return NULL;
}

/* A file of secrets others may read or write is a mistake to stop on. */
static int private_ok(const char *path, const char *what, const bp_oauth *o,
		      bp_err *err)
{
	struct stat st;

	if (!path || stat(path, &st) < 0 || !(st.st_mode & 077))
		return 0;
	return bp_err_set(err, BP_ECONFIG, "%s '%s' of oauth '%s' may be read or "
			  "written by group or others (chmod 600 it)", what, path,
			  o->id);
}

/* ---- the token cache -------------------------------------------------- */

static char *cache_path(const bp_conn *c, const bp_oauth *o)
{
	char *name = bp_xasprintf(".oauth-%s.json", o->id);
	char *p = bp_fs_join(c->cache, name);

	free(name);
	return p;
}

static char *cached_token(const bp_conn *c, const bp_oauth *o)
{
	char *p = cache_path(c, o), *tok = NULL;
	json_t *j = json_load_file(p, 0, NULL);
	json_t *exp = json_object_get(j, "expires_at");
	const char *t = bp_json_str(j, "access_token", NULL);

	if (t && json_is_integer(exp) &&
	    bp_oauth_fresh(json_integer_value(exp), (long long)time(NULL)))
		tok = bp_xstrdup(t);
	free(p);
	json_decref(j);
	return tok;
}

static void cache_token(const bp_conn *c, const bp_oauth *o, const char *tok,
			long long expires_in)
{
	char *p = cache_path(c, o), *text;
	json_t *j = json_pack("{s:s, s:I}", "access_token", tok, "expires_at",
			      (json_int_t)((long long)time(NULL) + expires_in));
	bp_err e = { 0 };

	text = json_dumps(j, JSON_COMPACT);
	if (bp_fs_mkdirs(c->cache, 0700, &e) < 0 ||
	    bp_fs_write_file(p, text, strlen(text), 0600, &e) < 0)
		bp_log_debug("cannot cache the access token of oauth '%s': %s",
			     o->id, e.msg);
	bp_secret_free(text);
	json_decref(j);
	free(p);
}

/* ---- the grants -------------------------------------------------------- */

/* The scopes the client's sources read with, unless <oauth scope=...>. */
static char *scopes_of(const bp_conn *c, const bp_oauth *o)
{
	const bp_config *cfg = c->cfg;
	char *s = bp_xstrdup("");
	size_t i;

	if (o->scope)
		return bp_xstrdup(o->scope);
	for (i = 0; i < cfg->n_sources; i++) {
		const bp_source *src = &cfg->sources[i];
		const bp_conn_ops *ops = src->connector ? bp_conn_find(src->connector) : NULL;
		char *n;

		if (!ops || src->oauth != (int)(o - cfg->oauth) || !ops->scope ||
		    strstr(s, ops->scope))
			continue;
		n = bp_xasprintf("%s%s%s", s, *s ? " " : "", ops->scope);
		free(s);
		s = n;
	}
	return s;
}

/* The form of the grant: refresh token, or a signed JWT. */
static char *grant_form(bp_conn *c, const bp_oauth *o, const char *token_url,
			int *jwt, bp_err *err)
{
	char owner[300], *form = NULL;

	snprintf(owner, sizeof(owner), "oauth '%s'", o->id);
	*jwt = o->service_account_file != NULL;
	if (*jwt) {
		char *key = read_private(o->service_account_file,
					 "service-account-file", owner, err);
		json_t *j = key ? json_loads(key, 0, NULL) : NULL;
		const char *email = bp_json_str(j, "client_email", NULL);
		const char *pem = bp_json_str(j, "private_key", NULL);
		char *scope = scopes_of(c, o), *a, *jwtext;

		if (key && (!email || !pem))
			bp_err_set(err, BP_ECONFIG, "service-account-file '%s' of %s "
				   "is not a Google service account key (JSON with "
				   "client_email and private_key)",
				   o->service_account_file, owner);
		else if (key && !(jwtext = bp_oauth_jwt(email,
				 bp_json_str(j, "private_key_id", NULL), scope,
				 token_url, (long long)time(NULL), pem, err))) {
			/* Say whose key it is. */
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err->msg);
			bp_err_set(err, err->code, "service-account-file '%s' of %s: "
				   "%s: download a new JSON key of the service account",
				   o->service_account_file, owner, why);
		} else if (key) {
			a = bp_conn_escape(jwtext);
			form = bp_xasprintf("grant_type=%s&assertion=%s",
					    "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
					    a);
			bp_conn_secret(c, jwtext);
			bp_secret_free(jwtext);
			bp_secret_free(a);
		}
		free(scope);
		json_decref(j);
		bp_secret_free(key);
		return form;
	} else {
		char *id = o->client_id ? bp_xstrdup(o->client_id) :
			   secret_of(o->client_id_env, NULL, "client-id", owner, err);
		char *secret = id ? secret_of(o->client_secret_env,
					      o->client_secret_file,
					      "client-secret", owner, err) : NULL;
		char *refresh = secret ? secret_of(o->refresh_token_env,
						   o->refresh_token_file,
						   "refresh-token", owner, err) : NULL;

		if (refresh) {
			char *e1 = bp_conn_escape(id), *e2 = bp_conn_escape(secret),
			     *e3 = bp_conn_escape(refresh);

			bp_conn_secret(c, secret);
			bp_conn_secret(c, refresh);
			form = bp_xasprintf("grant_type=refresh_token&client_id=%s&"
					    "client_secret=%s&refresh_token=%s",
					    e1, e2, e3);
			free(e1);
			bp_secret_free(e2);
			bp_secret_free(e3);
		}
		free(id);
		bp_secret_free(secret);
		bp_secret_free(refresh);
	}
	return form;
}

/* What to do about a refused grant, in words. */
static void grant_advice(const bp_oauth *o, int jwt, const char *error,
			 char *buf, size_t size)
{
	if (jwt)
		snprintf(buf, size, "check service-account-file (a current key of "
			 "the service account, which must be allowed to read the "
			 "account) and the machine's clock");
	else if (error && !strcmp(error, "invalid_client"))
		snprintf(buf, size, "check the client id and secret of oauth '%s'",
			 o->id);
	else
		snprintf(buf, size, "get a new refresh token with 'boardpack auth %s "
			 "-c CONFIG'", o->id);
}

/* Saves a rotated refresh token where it came from. */
static void rotated(bp_conn *c, const bp_oauth *o, const char *refresh)
{
	bp_err e = { 0 };
	char *line;

	bp_conn_secret(c, refresh);
	if (!o->refresh_token_file) {
		bp_log_warn("oauth '%s': the token endpoint issued a new refresh "
			    "token; put it in %s (refresh-token-file keeps it "
			    "up to date)", o->id, o->refresh_token_env);
		return;
	}
	line = bp_xasprintf("%s\n", refresh);
	if (bp_fs_write_file(o->refresh_token_file, line, strlen(line), 0600,
			     &e) < 0)
		bp_log_warn("oauth '%s': cannot save the new refresh token: %s",
			    o->id, e.msg);
	else
		bp_log_info("oauth '%s': saved the rotated refresh token", o->id);
	bp_secret_free(line);
}

/* Reads the token endpoint's answer.  Returns 0 or -1 with err. */
static int grant_answer(bp_conn *c, const bp_oauth *o, int jwt,
			const bp_conn_resp *r, const char *old_refresh,
			bp_err *err)
{
	const char *tok = bp_json_str(r->json, "access_token", NULL);
	const char *refresh = bp_json_str(r->json, "refresh_token", NULL);
	json_t *exp = bp_json_at(r->json, "expires_in", NULL);
	json_t *rexp = bp_json_at(r->json, "refresh_token_expires_in", NULL);
	char advice[300];

	if (r->status == 200 && tok) {
		long long ttl = json_is_integer(exp) ? json_integer_value(exp) : 3600;

		bp_conn_secret(c, tok);
		bp_secret_free(c->token);
		c->token = bp_xstrdup(tok);
		cache_token(c, o, tok, ttl);
		if (refresh && (!old_refresh || strcmp(refresh, old_refresh)))
			rotated(c, o, refresh);
		if (json_is_integer(rexp) && json_integer_value(rexp) < REFRESH_WARN_S)
			bp_log_warn("oauth '%s': the refresh token expires in %lld "
				    "days: run 'boardpack auth %s -c CONFIG' before then",
				    o->id, (long long)json_integer_value(rexp) / 86400,
				    o->id);
		return 0;
	}
	{
		const char *e = bp_json_str(r->json, "error", NULL);
		const char *d = bp_json_str(r->json, "error_description", NULL);
		char said[300];

		grant_advice(o, jwt, e, advice, sizeof(advice));
		snprintf(said, sizeof(said), "%.60s: %.230s", e ? e : "",
			 d ? d : "no description");
		bp_conn_clean(c, said);
		if (r->status >= 400 && r->status < 500 && e)
			return bp_err_set(err, BP_ECONFIG, "oauth '%s': the token "
					  "endpoint refused the %s (%s): %s",
					  o->id, jwt ? "service account's JWT" :
					  "refresh token", said, advice);
		return bp_err_set(err, r->status >= 500 ? BP_EUNAVAIL : BP_EDATA,
				  "oauth '%s': the token endpoint answered HTTP %ld "
				  "without an access token", o->id, r->status);
	}
}

static int oauth_grant(bp_conn *c, const bp_oauth *o, bp_err *err)
{
	const char *token_url = o->token_url ? o->token_url : c->ops->token_url;
	bp_conn_req q = { "POST", token_url, NULL,
			  "application/x-www-form-urlencoded", NULL, 1, NULL,
			  NULL, 1, o->ca_file };
	bp_conn_resp r = { 0 };
	char owner[300], *old_refresh = NULL, *form;
	int jwt, tries, rc = -1;

	snprintf(owner, sizeof(owner), "oauth '%s'", o->id);
	if (bp_net_check_ca(o->ca_file, owner, err) < 0)
		return -1;
	form = grant_form(c, o, token_url, &jwt, err);
	if (!form)
		return -1;
	if (!jwt && o->refresh_token_file)
		old_refresh = bp_secret_read_file(o->refresh_token_file,
						  "refresh-token", owner, NULL);
	else if (!jwt)
		old_refresh = bp_xstrdup(getenv(o->refresh_token_env));
	q.body = form;
	for (tries = 0; tries < TOKEN_TRIES; tries++) {
		if (tries)
			usleep((useconds_t)bp_net_backoff_ms(c->base_ms, tries) * 1000);
		if (bp_conn_call(c, &q, &r, err) < 0)
			break;
		if (r.status < 500 && r.status != 429) {
			rc = grant_answer(c, o, jwt, &r, old_refresh, err);
			break;
		}
		if (tries + 1 == TOKEN_TRIES)
			bp_err_set(err, BP_EUNAVAIL, "oauth '%s': the token endpoint "
				   "answered HTTP %ld (after %d attempts)", o->id,
				   r.status, TOKEN_TRIES);
	}
	bp_conn_resp_free(&r);
	bp_secret_free(form);
	bp_secret_free(old_refresh);
	return rc;
}

int bp_oauth_token(bp_conn *c, int renew, bp_err *err)
{
	const bp_source *src = c->src;
	const bp_oauth *o;
	char owner[300], *tok;

	snprintf(owner, sizeof(owner), "source '%s'", src->id);
	if (src->oauth < 0) {
		c->static_token = 1;
		tok = src->token_env ? secret_of(src->token_env, NULL, "token", owner, err)
				     : bp_secret_read_file(src->token_file, "token",
							   owner, err);
		if (!tok)
			return -1;
		bp_conn_secret(c, tok);
		bp_secret_free(c->token);
		c->token = tok;
		return 0;
	}
	o = &c->cfg->oauth[src->oauth];
	/* Refused whether or not a cached token spares reading them. */
	if (private_ok(o->refresh_token_file, "refresh-token file", o, err) < 0 ||
	    private_ok(o->service_account_file, "service-account-file", o, err) < 0 ||
	    private_ok(o->client_secret_file, "client-secret file", o, err) < 0)
		return -1;
	if (!renew && (tok = cached_token(c, o))) {
		bp_conn_secret(c, tok);
		bp_secret_free(c->token);
		c->token = tok;
		return 0;
	}
	return oauth_grant(c, o, err);
}

/* ---- boardpack auth: the installed-app loopback flow ------------------- */

static char *random_b64url(size_t bytes)
{
	unsigned char buf[64];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, bytes) : -1;

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)bytes)
		return NULL;
	return bp_b64url(buf, bytes);
}

/* The decoded value of query parameter `name` (allocated), or NULL. */
static char *query_param(const char *q, const char *name)
{
	size_t k = strlen(name);

	while (q && *q) {
		size_t len = strcspn(q, "&");

		if (len > k && !strncmp(q, name, k) && q[k] == '=') {
			char *v = bp_xstrndup(q + k + 1, len - k - 1), *o = v, *i = v;

			for (; *i; i++) {
				if (*i == '%' && isxdigit((unsigned char)i[1]) &&
				    isxdigit((unsigned char)i[2])) {
					char hex[3] = { i[1], i[2], 0 };

					*o++ = (char)strtol(hex, NULL, 16);
					i += 2;
				} else {
					*o++ = *i == '+' ? ' ' : *i;
				}
			}
			*o = '\0';
			return v;
		}
		q += len + (q[len] == '&');
	}
	return NULL;
}

int bp_conn_redirect_parse(const char *uri, int *port, const char **path)
{
	const char *h = uri, *p;
	long n;
	char *end;

	if (!uri || strncmp(uri, "http://", 7))
		return -1;
	h += 7;
	if (!strncmp(h, "127.0.0.1:", 10))
		p = h + 10;
	else if (!strncmp(h, "localhost:", 10))
		p = h + 10;
	else
		return -1;
	if (!isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	n = strtol(p, &end, 10);
	if (errno || n < 1 || n > 65535 || (*end && *end != '/') ||
	    strpbrk(end, "?#"))
		return -1;
	*port = (int)n;
	*path = end;
	return 0;
}

static long long clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A browser's connection to the redirect listener: what it sent so far,
 * and until when it may take to send a request. */
typedef struct peer {
	int fd;
	long long until;
	size_t n;
	char buf[8192];
} peer;

#define PEERS 8
/* A connection that sends no request in this time is closed: browsers
 * open some ahead of need and may never use them. */
#define PEER_MS 10000LL

static void answer(int fd, const char *status, const char *text)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: "
			 "text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", status, strlen(text));

	/* The browser may have left: the code is what matters. */
	if (write(fd, head, (size_t)n) < 0 || write(fd, text, strlen(text)) < 0)
		return;
}

/* The query of a complete request in `pr` for `path` that carries
 * `state` (allocated): the redirect.  NULL after answering anything else
 * (another path, a favicon, a stale tab's state). */
static char *redirect_of(peer *pr, const char *path, const char *state)
{
	char *target, *end, *q, *st;
	size_t plen = *path ? strlen(path) : 1;

	pr->buf[pr->n] = '\0';
	if (strncmp(pr->buf, "GET ", 4) || !(end = strchr(pr->buf + 4, ' '))) {
		answer(pr->fd, "400 Bad Request", "not a request boardpack waits for\n");
		return NULL;
	}
	target = pr->buf + 4;
	*end = '\0';
	q = strchr(target, '?');
	if ((q ? (size_t)(q - target) : strlen(target)) != plen ||
	    strncmp(target, *path ? path : "/", plen)) {
		answer(pr->fd, "404 Not Found", "not found\n");
		return NULL;
	}
	st = q ? query_param(q + 1, "state") : NULL;
	if (!st || strcmp(st, state)) {
		answer(pr->fd, "400 Bad Request", "this is not the authorization "
		       "boardpack is waiting for (an older tab?): use the URL it "
		       "printed last\n");
		free(st);
		return NULL;
	}
	free(st);
	answer(pr->fd, "200 OK", "boardpack has the authorization; you may close "
	       "this window.\n");
	return bp_xstrdup(q + 1);
}

/* Waits for the browser's redirect on `lfd`: accepts connections, reads
 * each as it sends (a connection that sends nothing, such as a browser's
 * preconnect, holds up no other), answers every request, and returns the
 * query of the first for `path` that carries `state` (allocated), or
 * NULL when `wait_s` seconds have passed. */
static char *await_redirect(int lfd, const char *path, const char *state,
			    int wait_s)
{
	long long deadline = clock_ms() + wait_s * 1000LL;
	peer *peers = bp_xcalloc(PEERS, sizeof(*peers));
	char *got = NULL;
	size_t i;

	for (i = 0; i < PEERS; i++)
		peers[i].fd = -1;
	while (!got) {
		struct pollfd fds[PEERS + 1];
		size_t map[PEERS + 1], nf = 0, free_slot = PEERS;
		long long now = clock_ms(), next = deadline;
		int r;

		if (now >= deadline)
			break;
		for (i = 0; i < PEERS; i++) {
			if (peers[i].fd < 0) {
				free_slot = free_slot < PEERS ? free_slot : i;
				continue;
			}
			if (peers[i].until <= now) {
				close(peers[i].fd);
				peers[i].fd = -1;
				free_slot = free_slot < PEERS ? free_slot : i;
				continue;
			}
			next = peers[i].until < next ? peers[i].until : next;
			fds[nf].fd = peers[i].fd;
			fds[nf].events = POLLIN;
			map[nf++] = i;
		}
		if (free_slot < PEERS) {
			fds[nf].fd = lfd;
			fds[nf].events = POLLIN;
			map[nf++] = PEERS;
		}
		r = poll(fds, nf, (int)(next - now));
		if (r < 0 && errno != EINTR)
			break;
		for (i = 0; r > 0 && i < nf && !got; i++) {
			peer *pr;
			ssize_t n;

			if (!fds[i].revents)
				continue;
			if (map[i] == PEERS) {
				int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

				if (fd >= 0) {
					peers[free_slot].fd = fd;
					peers[free_slot].n = 0;
					peers[free_slot].until = clock_ms() + PEER_MS;
				}
				continue;
			}
			pr = &peers[map[i]];
			n = read(pr->fd, pr->buf + pr->n, sizeof(pr->buf) - 1 - pr->n);
			if (n > 0)
				pr->n += (size_t)n;
			pr->buf[pr->n] = '\0';
			if (n > 0 && !strstr(pr->buf, "\r\n\r\n") &&
			    !strstr(pr->buf, "\n\n") && pr->n < sizeof(pr->buf) - 1)
				continue;
			if (n > 0)
				got = redirect_of(pr, path, state);
			close(pr->fd);
			pr->fd = -1;
		}
	}
	for (i = 0; i < PEERS; i++)
		if (peers[i].fd >= 0)
			close(peers[i].fd);
	free(peers);
	return got;
}

static int exchange(bp_conn *c, const bp_oauth *o, const char *code,
		    const char *redirect, const char *verifier, bp_err *err)
{
	const char *token_url = o->token_url ? o->token_url : c->ops->token_url;
	char owner[300], *id, *secret = NULL, *form = NULL;
	bp_conn_req q = { "POST", token_url, NULL,
			  "application/x-www-form-urlencoded", NULL, 1, NULL,
			  NULL, 1, o->ca_file };
	bp_conn_resp r = { 0 };
	int rc = -1;

	snprintf(owner, sizeof(owner), "oauth '%s'", o->id);
	id = o->client_id ? bp_xstrdup(o->client_id) :
	     secret_of(o->client_id_env, NULL, "client-id", owner, err);
	if (id)
		secret = secret_of(o->client_secret_env, o->client_secret_file,
				   "client-secret", owner, err);
	if (secret) {
		char *e1 = bp_conn_escape(code), *e2 = bp_conn_escape(redirect),
		     *e3 = bp_conn_escape(id), *e4 = bp_conn_escape(secret);

		bp_conn_secret(c, secret);
		bp_conn_secret(c, code);
		form = bp_xasprintf("grant_type=authorization_code&code=%s&"
				    "redirect_uri=%s&client_id=%s&client_secret=%s&"
				    "code_verifier=%s", e1, e2, e3, e4, verifier);
		bp_secret_free(e1);
		free(e2);
		free(e3);
		bp_secret_free(e4);
		q.body = form;
		if (bp_conn_call(c, &q, &r, err) == 0) {
			const char *refresh = bp_json_str(r.json, "refresh_token", NULL);
			const char *e = bp_json_str(r.json, "error", NULL);

			if (r.status == 200 && refresh) {
				char *line = bp_xasprintf("%s\n", refresh);

				rc = bp_fs_write_file(o->refresh_token_file, line,
						      strlen(line), 0600, err);
				bp_secret_free(line);
			} else if (r.status == 200) {
				bp_err_set(err, BP_ECONFIG, "oauth '%s': the token endpoint "
					   "gave no refresh token (ask for offline access "
					   "in the client's settings)", o->id);
			} else {
				bp_err_set(err, BP_ECONFIG, "oauth '%s': the token endpoint "
					   "refused the code (%s: %s)", o->id,
					   e ? e : "HTTP error",
					   bp_json_str(r.json, "error_description", NULL) ?
					   bp_json_str(r.json, "error_description", NULL) : "");
			}
		}
	}
	bp_conn_resp_free(&r);
	bp_secret_free(form);
	bp_secret_free(secret);
	free(id);
	return rc;
}

int bp_conn_authorize(const bp_config *cfg, const char *id, FILE *say,
		      int wait_s, bp_err *err)
{
	const bp_oauth *o = bp_config_oauth(cfg, id);
	const bp_source *src = NULL;
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	char *state = NULL, *verifier = NULL, *challenge = NULL, *query = NULL;
	char *redirect = NULL, *url = NULL, *got = NULL, *code = NULL, *cache;
	const char *fixed, *path = "/";
	unsigned char digest[32];
	bp_conn *c = NULL;
	int lfd = -1, rc = -1, port = 0, one = 1;
	size_t i;

	if (!o)
		return bp_err_set(err, BP_ECONFIG, "no <oauth id=\"%s\"> in the config", id);
	for (i = 0; i < cfg->n_sources && !src; i++)
		if (cfg->sources[i].oauth == (int)(o - cfg->oauth))
			src = &cfg->sources[i];
	if (!src)
		return bp_err_set(err, BP_ECONFIG, "no source uses oauth '%s' (oauth=\"%s\")",
				  id, id);
	if (o->service_account_file || !o->refresh_token_file)
		return bp_err_set(err, BP_ECONFIG, "oauth '%s' needs refresh-token-file "
				  "to write the refresh token to", id);
	cache = bp_fs_join(cfg->output_dir, ".cache");
	c = bp_conn_open(cfg, src, cache, NULL, err);
	free(cache);
	if (!c)
		return -1;
	if (!(o->auth_url ? o->auth_url : c->ops->auth_url)) {
		bp_err_set(err, BP_ECONFIG, "%s has no OAuth2 authorization flow: give "
			   "the source token-env or token-file", c->ops->vendor);
		goto out;
	}
	state = random_b64url(24);
	verifier = random_b64url(48);
	if (!state || !verifier) {
		bp_err_set(err, BP_ESOFTWARE, "cannot read /dev/urandom");
		goto out;
	}
	SHA256((const unsigned char *)verifier, strlen(verifier), digest);
	challenge = bp_b64url(digest, sizeof(digest));
	/* The redirect URI: the client's, else the vendor's registered
	 * default, else (Google's desktop clients take any loopback port)
	 * a free port. */
	fixed = o->redirect_uri ? o->redirect_uri : c->ops->redirect_uri;
	if (fixed && bp_conn_redirect_parse(fixed, &port, &path) < 0) {
		bp_err_set(err, BP_ECONFIG, "oauth '%s': redirect URI '%s' is not "
			   "http://127.0.0.1:PORT/ or http://localhost:PORT/", id, fixed);
		goto out;
	}
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd >= 0)
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(lfd, 8) < 0 || getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
		if (fixed)
			bp_err_set(err, BP_EUNAVAIL, "cannot listen on 127.0.0.1:%d for "
				   "the redirect URI %s of oauth '%s': %s: free the "
				   "port, or register another redirect URI with %s and "
				   "set it as redirect-uri", port, fixed, id,
				   strerror(errno), c->ops->vendor);
		else
			bp_err_set(err, BP_EUNAVAIL, "cannot listen on 127.0.0.1: %s",
				   strerror(errno));
		goto out;
	}
	redirect = fixed ? bp_xstrdup(fixed) :
		   bp_xasprintf("http://127.0.0.1:%d/", ntohs(a.sin_port));
	{
		char *sc = scopes_of(c, o), *e1 = bp_conn_escape(sc),
		     *e2 = bp_conn_escape(redirect), *e3 = NULL;
		char *cid = o->client_id ? bp_xstrdup(o->client_id) :
			    secret_of(o->client_id_env, NULL, "client-id", id, err);

		if (cid) {
			const char *au = o->auth_url ? o->auth_url : c->ops->auth_url;

			e3 = bp_conn_escape(cid);
			url = bp_xasprintf("%s%sresponse_type=code&client_id=%s&"
					   "redirect_uri=%s&scope=%s&state=%s&"
					   "code_challenge=%s&code_challenge_method=S256&"
					   "access_type=offline&prompt=consent", au,
					   strchr(au, '?') ? "&" : "?", e3, e2, e1,
					   state, challenge);
		}
		free(sc);
		free(e1);
		free(e2);
		free(e3);
		free(cid);
		if (!url)
			goto out;
	}
	fprintf(say, "Open this URL in a browser on this machine and allow "
		"access:\n\n  %s\n\nwaiting for the browser at %s (%d s) ...\n",
		url, redirect, wait_s);
	fflush(say);
	got = await_redirect(lfd, fixed ? path : "/", state, wait_s);
	if (!got) {
		bp_err_set(err, BP_ETEMPFAIL, "oauth '%s': no authorization came back "
			   "to %s within %d s: run 'boardpack auth %s' again and "
			   "allow access in the browser%s%s%s", id, redirect, wait_s,
			   id, fixed ? " (the app's redirect URLs at " : "",
			   fixed ? c->ops->vendor : "",
			   fixed ? " must list it exactly)" : "");
		goto out;
	}
	{
		char *st = query_param(got, "state"), *e = query_param(got, "error");

		code = query_param(got, "code");
		if (e)
			bp_err_set(err, BP_ECONFIG, "the authorization was refused (%s)", e);
		else if (!st || strcmp(st, state))
			bp_err_set(err, BP_ESOFTWARE, "the browser's answer does not carry "
				   "this request's state");
		else if (!code)
			bp_err_set(err, BP_ECONFIG, "the browser's answer has no code");
		else
			rc = exchange(c, o, code, redirect, verifier, err);
		free(st);
		free(e);
	}
	if (rc == 0)
		fprintf(say, "saved the refresh token of oauth '%s' in %s\n", id,
			o->refresh_token_file);
out:
	if (lfd >= 0)
		close(lfd);
	bp_secret_free(code);
	bp_secret_free(got);
	free(state);
	bp_secret_free(verifier);
	free(challenge);
	free(query);
	free(redirect);
	free(url);
	bp_conn_close(c);
	return rc;
}
