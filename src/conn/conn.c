/*
 * conn.c - the connector table and what every connector shares: one HTTP
 * client on libcurl with net.h's retry policy, the pull's staging folder
 * with its pages and index.json, and the canonical CSV the rows go into.
 *
 * One request at a time per source: vendors pace by account, and a page
 * is parsed and let go before the next is asked for, so memory stays flat
 * however many pages a pull has.
 */
#include "conn_int.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "mem.h"
#include "net.h"
#include "secret.h"

/* Pages are a few MB; anything near this is not a page. */
#define PAGE_MAX (256LL * 1024 * 1024)
/* A vendor asking to wait longer than this means a limit for the day. */
#define LONGEST_WAIT_MS (300L * 1000)
#define CONNECT_TIMEOUT_S 30L

static const bp_conn_ops *const table[] = {
	&bp_conn_hubspot, &bp_conn_google_ads, &bp_conn_meta_ads, &bp_conn_linkedin,
	&bp_conn_ga4,
};
#define N_CONN (sizeof(table) / sizeof(table[0]))

const bp_conn_ops *bp_conn_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < N_CONN; i++)
		if (!strcmp(table[i]->name, name))
			return table[i];
	return NULL;
}

const bp_conn_ops *bp_conn_attr_owner(const char *attr)
{
	size_t i;
	const char *const *a;

	for (i = 0; attr && i < N_CONN; i++)
		for (a = table[i]->attrs; a && *a; a++)
			if (!strcmp(*a, attr))
				return table[i];
	return NULL;
}

void bp_conn_names(char *buf, size_t size)
{
	size_t i, o = 0;

	if (size)
		buf[0] = '\0';
	for (i = 0; i < N_CONN && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "",
				      table[i]->name);
}

static const char *base_of(const bp_source *src, const bp_conn_ops *ops)
{
	return src->api_base ? src->api_base : ops->base;
}

void bp_conn_source_name(const bp_source *src, char *buf, size_t size)
{
	const bp_conn_ops *ops = bp_conn_find(src->connector);

	if (!ops)
		snprintf(buf, size, "connector '%s'", src->connector);
	else
		snprintf(buf, size, "%s API (%s)", ops->vendor, base_of(src, ops));
}

/* ---- small helpers ----------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int bp_conn_fail(bp_conn *c, bp_err *err, int code, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bp_err_set(err, code, "%s", msg);
	bp_err_source(err, c->src->id);
	return -1;
}

/* Adds one text to the session's secrets unless it is there already
 * (a renewal registers the same client secret again).  Takes `s`. */
static void add_secret(bp_conn *c, char *s)
{
	size_t i;

	for (i = 0; i < c->n_secrets; i++)
		if (!strcmp(c->secrets[i], s)) {
			bp_secret_free(s);
			return;
		}
	if (c->n_secrets == c->cap_secrets) {
		c->cap_secrets = c->cap_secrets ? 2 * c->cap_secrets : 8;
		c->secrets = bp_xrealloc(c->secrets,
					 c->cap_secrets * sizeof(*c->secrets));
	}
	c->secrets[c->n_secrets++] = s;
}

void bp_conn_secret(bp_conn *c, const char *s)
{
	if (!s || !*s)
		return;
	add_secret(c, bp_xstrdup(s));
	/* Links carry it percent-encoded. */
	add_secret(c, bp_conn_escape(s));
}

void bp_conn_meta(bp_conn *c, const char *key, const char *value)
{
	if (value)
		json_object_set_new(c->meta, key, json_string(value));
}

char *bp_conn_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = bp_xmalloc(3 * strlen(s) + 1), *o = out;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || strchr("-._~", ch)) {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}

/* Query parameters whose values are secrets, compared case-insensitively;
 * a trailing '*' matches any name starting with the rest. */
static const char *const secret_params[] = {
	"access_token", "appsecret_proof", "signature", "sig", "token",
	"key", "code", "client_secret", "refresh_token", "assertion",
	"x-amz-*", "x-goog-*", "expires", "credential", NULL
};

static int secret_param(const char *name, size_t n)
{
	const char *const *p;

	for (p = secret_params; *p; p++) {
		size_t k = strlen(*p);

		if ((*p)[k - 1] == '*' ? n >= k - 1 && !strncasecmp(name, *p, k - 1)
				       : n == k && !strncasecmp(name, *p, k))
			return 1;
	}
	return 0;
}

char *bp_conn_redact(const char *url)
{
	const char *q, *p;
	size_t n;
	char *out, *o;
	int signed_url = 0;

	if (!url)
		return NULL;
	q = strchr(url, '?');
	n = strlen(url);
	out = bp_xmalloc(n + 1);
	if (!q)
		return strcpy(out, url);
	/* Pre-signed: the whole query is the credential. */
	for (p = q + 1; *p; p += strcspn(p, "&"), p += *p == '&') {
		size_t k = strcspn(p, "=&");

		if ((k == 9 && !strncasecmp(p, "signature", 9)) ||
		    (k >= 6 && !strncasecmp(p, "x-amz-", 6)))
			signed_url = 1;
	}
	memcpy(out, url, (size_t)(q - url));
	o = out + (q - url);
	if (signed_url) {
		*o = '\0';
		return out;
	}
	for (p = q + 1; *p;) {
		size_t len = strcspn(p, "&"), k = strcspn(p, "=&");

		if (!secret_param(p, k)) {
			char sep = o == out + (q - url) ? '?' : '&';

			*o++ = sep;
			memcpy(o, p, len);
			o += len;
		}
		p += len;
		p += *p == '&';
	}
	*o = '\0';
	return out;
}

/* Replaces every secret in buf[0..n) by "[secret]" in place (the secrets
 * are longer than that, so the text only shrinks).  Returns the length. */
static size_t scrub(const bp_conn *c, char *buf, size_t n)
{
	static const char mark[] = "[secret]";
	size_t i, k = sizeof(mark) - 1;

	for (i = 0; i < c->n_secrets; i++) {
		size_t len = strlen(c->secrets[i]);
		char *p = buf;

		if (len < k)
			continue;
		while ((p = memmem(p, n - (size_t)(p - buf), c->secrets[i], len))) {
			memcpy(p, mark, k);
			memmove(p + k, p + len, n - (size_t)(p - buf) - len);
			n -= len - k;
			p += k;
		}
	}
	return n;
}

/* ---- JSON helpers ------------------------------------------------------ */

/* Follows the object keys in `ap`, up to a NULL one. */
static json_t *walk(json_t *o, va_list ap)
{
	const char *k;

	while (o && (k = va_arg(ap, const char *)))
		o = json_is_object(o) ? json_object_get(o, k) : NULL;
	return o;
}

json_t *bp_json_at(json_t *o, ...)
{
	va_list ap;

	va_start(ap, o);
	o = walk(o, ap);
	va_end(ap);
	return o;
}

const char *bp_json_str(json_t *o, ...)
{
	va_list ap;

	va_start(ap, o);
	o = walk(o, ap);
	va_end(ap);
	return json_is_string(o) ? json_string_value(o) : NULL;
}

void bp_conn_info_set(bp_conn_info *p, const char *name, const char *currency,
		      const char *timezone)
{
	if (name)
		snprintf(p->name, sizeof(p->name), "%s", name);
	if (currency)
		snprintf(p->currency, sizeof(p->currency), "%s", currency);
	if (timezone)
		snprintf(p->timezone, sizeof(p->timezone), "%s", timezone);
}

const char *bp_json_text(json_t *v, char *buf, size_t size)
{
	buf[0] = '\0';
	if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%.17g", json_real_value(v));
	return buf;
}

void bp_conn_micros(const char *micros, char *buf, size_t size)
{
	const char *d = micros;
	int neg = *d == '-';
	size_t n, lead;
	char digits[40];

	d += neg || *d == '+';
	n = strspn(d, "0123456789");
	if (n == 0 || n + 8 > sizeof(digits) || d[n]) {
		snprintf(buf, size, "%s", micros);   /* not an int64: let ingest say */
		return;
	}
	/* At least seven digits, so there is a units digit before the point. */
	lead = n < 7 ? 7 - n : 0;
	memset(digits, '0', lead);
	memcpy(digits + lead, d, n);
	n += lead;
	digits[n] = '\0';
	snprintf(buf, size, "%s%.*s.%s", neg ? "-" : "", (int)(n - 6), digits,
		 digits + n - 6);
}

/* ---- the HTTP client ---------------------------------------------------- */

typedef struct xfer {
	bp_conn_resp *r;
	size_t cap;
	long long max;
	int too_big;
	int fd;                /* streaming to a file, else -1 */
	int write_errno;
	unsigned long long got;
} xfer;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	xfer *x = userp;
	size_t n = size * nmemb;

	if ((long long)(x->got + n) > x->max) {
		x->too_big = 1;
		return 0;
	}
	x->got += n;
	if (x->fd >= 0) {
		size_t done = 0;

		while (done < n) {
			ssize_t w = write(x->fd, data + done, n - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				x->write_errno = errno;
				return 0;
			}
			done += (size_t)w;
		}
		return n;
	}
	if (x->r->len + n + 1 > x->cap) {
		while (x->r->len + n + 1 > x->cap)
			x->cap = x->cap ? 2 * x->cap : 65536;
		x->r->body = bp_xrealloc(x->r->body, x->cap);
	}
	memcpy(x->r->body + x->r->len, data, n);
	x->r->len += n;
	x->r->body[x->r->len] = '\0';
	return n;
}

#define HEADERS_MAX 32768

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	xfer *x = userp;
	size_t n = size * nmemb;

	/* A redirect or "100 Continue" starts a new set. */
	if (n > 5 && !strncmp(data, "HTTP/", 5))
		x->r->headers_len = 0;
	if (x->r->headers_len + n + 1 <= HEADERS_MAX) {
		x->r->headers = bp_xrealloc(x->r->headers, x->r->headers_len + n + 1);
		memcpy(x->r->headers + x->r->headers_len, data, n);
		x->r->headers_len += n;
		x->r->headers[x->r->headers_len] = '\0';
	}

	if (n > 12 && !strncasecmp(data, "Retry-After:", 12)) {
		const char *v = data + 12;

		while (*v == ' ')
			v++;
		if (isdigit((unsigned char)*v))
			x->r->retry_after_s = strtol(v, NULL, 10);
	} else if (n > 13 && !strncasecmp(data, "Content-Type:", 13)) {
		const char *v = data + 13;
		size_t k;

		while (*v == ' ')
			v++;
		k = strcspn(v, "\r\n");
		snprintf(x->r->ctype, sizeof(x->r->ctype), "%.*s", (int)k, v);
	}
	return n;
}

const char *bp_conn_header(const bp_conn_resp *r, const char *name, char *buf,
			   size_t size)
{
	size_t k = strlen(name);
	const char *p = r->headers;

	while (p && *p) {
		size_t len = strcspn(p, "\r\n");

		if (len > k && !strncasecmp(p, name, k) && p[k] == ':') {
			const char *v = p + k + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(buf, size, "%.*s", (int)(len - (size_t)(v - p)), v);
			return buf;
		}
		p += len;
		p += strspn(p, "\r\n");
	}
	return NULL;
}

void bp_conn_resp_free(bp_conn_resp *r)
{
	if (!r)
		return;
	free(r->headers);
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/* One attempt.  Returns the curl result; `r` holds what came back. */
static CURLcode attempt(bp_conn *c, const bp_conn_req *q, bp_conn_resp *r,
			xfer *x, char *errbuf)
{
	struct curl_slist *h = NULL;
	const char *ca = q->ca ? q->ca :
			 c->src->ca_file ? c->src->ca_file : c->cfg->ca_file;
	char *auth = NULL;
	CURLcode rc;
	CURL *e = c->curl;
	size_t i;

	curl_easy_reset(e);
	for (i = 0; q->headers && q->headers[i]; i++)
		h = curl_slist_append(h, q->headers[i]);
	if (q->body && q->ctype) {
		char *ct = bp_xasprintf("Content-Type: %s", q->ctype);

		h = curl_slist_append(h, ct);
		free(ct);
	}
	h = curl_slist_append(h, "Accept: application/json");
	if (!q->no_auth && c->token) {
		auth = bp_xasprintf("Authorization: Bearer %s", c->token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
			 c->src->insecure_http ? "https,http" : "https");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca)
		curl_easy_setopt(e, CURLOPT_CAINFO, ca);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	if (c->src->timeout_s > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT, c->src->timeout_s);
	curl_easy_setopt(e, CURLOPT_USERAGENT, bp_net_user_agent());
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	if (!strcmp(q->method, "POST")) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body ? q->body : "");
	}
	errbuf[0] = '\0';
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	bp_secret_free(auth);
	return rc;
}

/* Replaces control characters (a vendor's text may carry newlines or
 * terminal escapes) by spaces, runs of spaces by one, and every secret
 * by "[secret]", in place. */
void bp_conn_clean(const bp_conn *c, char *s)
{
	char *o = s, *i;

	for (i = s; *i; i++) {
		char ch = (unsigned char)*i < 0x20 || *i == 0x7f ? ' ' : *i;

		if (ch == ' ' && (o == s || o[-1] == ' '))
			continue;
		*o++ = ch;
	}
	while (o > s && o[-1] == ' ')
		o--;
	*o = '\0';
	s[scrub(c, s, strlen(s))] = '\0';
}

/* At most `size` - 1 bytes of `s` into buf, cut at a character boundary
 * and marked "..." when cut. */
static void bounded(char *buf, size_t size, const char *s)
{
	size_t n = strlen(s);

	assert(size > 4);
	if (n < size) {
		memcpy(buf, s, n + 1);
		return;
	}
	n = size - 4;
	while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(buf, s, n);
	memcpy(buf + n, "...", 4);
}

/* What an error answer says, for a message: the JSON body's category and
 * message (HubSpot's, OAuth's, google.rpc.Status, Graph's, Rest.li's),
 * else the text of the body without its markup; bounded, cleaned of
 * control characters and secrets; "" when it says nothing. */
static void answer_text(const bp_conn *c, const bp_conn_resp *r, char *buf,
			size_t size)
{
	json_t *j = json_is_array(r->json) ? json_array_get(r->json, 0) : r->json;
	json_t *e = json_is_object(bp_json_at(j, "error", NULL)) ?
		    bp_json_at(j, "error", NULL) : j;
	char text[400] = "";

	if (json_is_object(e)) {
		static const char *const cats[] = { "category", "errorType", "code",
			"type", "status", "error", NULL };
		static const char *const msgs[] = { "message", "error_description",
			"title", NULL };
		const char *cat = NULL, *msg = NULL;
		const char *const *k;

		/* HubSpot's "status": "error" names no category. */
		for (k = cats; *k && !cat; k++)
			if ((cat = bp_json_str(e, *k, NULL)) && !strcmp(cat, "error"))
				cat = NULL;
		for (k = msgs; *k && !msg; k++)
			msg = bp_json_str(e, *k, NULL);
		snprintf(text, sizeof(text), "%s%s%s", cat ? cat : "",
			 cat && msg ? ": " : "", msg ? msg : "");
	} else if (r->body) {
		const char *p = r->body;
		size_t o = 0;
		int tag = 0;

		/* An edge's HTML page: its words only. */
		for (; *p && o + 1 < sizeof(text); p++) {
			if (*p == '<')
				tag = 1;
			else if (*p == '>' && tag)
				tag = 0, text[o++] = ' ';
			else if (!tag)
				text[o++] = *p;
		}
		text[o] = '\0';
	}
	bp_conn_clean(c, text);
	bounded(buf, size, text);
}

/* The verdict on an HTTP answer when the connector has none of its own:
 * named for the vendor, with what the answer says. */
static void default_verdict(const bp_conn *c, const bp_conn_resp *r,
			    bp_conn_verdict *v)
{
	char said[240], what[260] = "";

	if (r->status >= 200 && r->status < 300) {
		v->action = BP_CONN_OK;
		return;
	}
	answer_text(c, r, said, sizeof(said));
	if (said[0])
		snprintf(what, sizeof(what), " (%s)", said);
	if (r->status == 401) {
		v->action = BP_CONN_REFRESH;
		snprintf(v->msg, sizeof(v->msg), "%s refused the access token "
			 "(HTTP 401)%s", c->ops->vendor, what);
	} else if (r->status == 429 || r->status >= 500) {
		v->action = BP_CONN_RETRY;
		/* A rate limit outlasting the retries is one for later. */
		v->code = r->status == 429 ? BP_ETEMPFAIL : 0;
		v->delay_ms = r->retry_after_s > 0 ? r->retry_after_s * 1000 : 0;
		snprintf(v->msg, sizeof(v->msg), "%s answered HTTP %ld%s",
			 c->ops->vendor, r->status, what);
	} else {
		v->action = BP_CONN_FAIL;
		v->code = r->status == 403 || r->status == 404 ? BP_ECONFIG
							       : BP_EUNAVAIL;
		snprintf(v->msg, sizeof(v->msg), "%s answered HTTP %ld%s",
			 c->ops->vendor, r->status, what);
	}
}

void bp_conn_resp_parse(bp_conn_resp *r)
{
	if (!r->json && r->body && r->len &&
	    (r->body[0] == '{' || r->body[0] == '[' || strstr(r->ctype, "json")))
		r->json = json_loadb(r->body, r->len, 0, NULL);
}

void bp_conn_judge(bp_conn *c, const bp_conn_resp *r, bp_conn_verdict *v)
{
	memset(v, 0, sizeof(*v));
	default_verdict(c, r, v);
	if (c->ops->verdict)
		c->ops->verdict(c, r, v);
	/* The vendor's words go into a one-line message. */
	bp_conn_clean(c, v->msg);
}

/* Keeps the answer as the next page of the pull and indexes it. */
int bp_conn_keep(bp_conn *c, const bp_conn_req *q, bp_conn_resp *r,
		 bp_err *err)
{
	char *path, *url;
	size_t n;
	json_t *e;

	snprintf(r->file, sizeof(r->file), "%06u-%s.json", ++c->pages, q->keep);
	path = bp_fs_join(c->dir, r->file);
	n = scrub(c, r->body, r->len);
	if (bp_fs_write_file(path, r->body, n, 0600, err) < 0) {
		free(path);
		return -1;
	}
	free(path);
	url = bp_conn_redact(q->url);
	url[scrub(c, url, strlen(url))] = '\0';
	e = json_pack("{s:s, s:s, s:s, s:I, s:I}", "file", r->file, "method",
		      q->method, "url", url, "status", (json_int_t)r->status,
		      "bytes", (json_int_t)n);
	json_array_append_new(c->index, e);
	free(url);
	return 0;
}

/* When each connector last sent a request: vendors count by account,
 * and one config's sources of a vendor (contacts and deals) share it.
 * Sources are pulled one after the other, so no lock is needed. */
static long long last_sent[N_CONN];

/* Waits as pacing asks: at least interval_ms between two requests. */
static void pace(bp_conn *c)
{
	long long *last = &c->last_ms, now = now_ms();
	size_t i;

	for (i = 0; i < N_CONN; i++)
		if (table[i] == c->ops)
			last = &last_sent[i];
	if (c->interval_ms > 0 && *last && now - *last < c->interval_ms)
		sleep_ms((long)(c->interval_ms - (now - *last)));
	*last = now_ms();
}

/* The wait before retry `tries` (1, 2...) given the vendor's own delay. */
static long retry_wait(const bp_conn *c, int tries, long vendor_ms)
{
	long d = bp_net_backoff_ms(c->base_ms, tries);

	return vendor_ms > d ? vendor_ms : d;
}

int bp_conn_call(bp_conn *c, const bp_conn_req *q, bp_conn_resp *r,
		 bp_err *err)
{
	char errbuf[CURL_ERROR_SIZE], *shown;
	int tries = 0, renewed = 0, rc = -1;
	bp_conn_verdict v;

	if (!q->url)
		return bp_conn_fail(c, err, BP_ESOFTWARE, "%s: a request without "
				    "a URL", c->ops->vendor);
	shown = bp_conn_redact(q->url);
	shown[scrub(c, shown, strlen(shown))] = '\0';
	/* No query at all in messages: bp_url_shown's rule. */
	shown[strcspn(shown, "?")] = '\0';
	for (;;) {
		xfer x = { r, 0, q->to_file ? c->src->max_bytes : PAGE_MAX, 0,
			   -1, 0, 0 };
		CURLcode cc;

		bp_conn_resp_free(r);
		r->retry_after_s = -1;
		if (q->to_file) {
			char *p = bp_fs_join(c->dir, q->to_file);

			x.fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			free(p);
			if (x.fd < 0) {
				bp_conn_fail(c, err, BP_ECANTCREAT, "cannot write '%s' in "
					     "'%s': %s", q->to_file, c->dir, strerror(errno));
				break;
			}
		}
		pace(c);
		bp_log_debug("source '%s': %s %s", c->src->id, q->method, shown);
		cc = attempt(c, q, r, &x, errbuf);
		c->requests++;
		c->bytes += x.got;
		if (x.fd >= 0 && close(x.fd) < 0 && !x.write_errno)
			x.write_errno = errno;
		if (x.write_errno) {
			bp_conn_fail(c, err, BP_ECANTCREAT, "cannot write '%s' in '%s': %s",
				     q->to_file, c->dir, strerror(x.write_errno));
			break;
		}
		if (x.too_big) {
			bp_conn_fail(c, err, BP_EDATA, "%s sent more than %lld bytes "
				     "for one request (%s)", c->ops->vendor, x.max, shown);
			break;
		}
		if (cc != CURLE_OK) {
			const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);

			if (bp_net_transient(cc) && tries < c->src->retries) {
				tries++;
				bp_log_debug("source '%s': %s, retrying", c->src->id, why);
				sleep_ms(retry_wait(c, tries, 0));
				continue;
			}
			bp_conn_fail(c, err, BP_EUNAVAIL, "cannot reach %s at %s: %s%s",
				     c->ops->vendor, shown, why,
				     tries ? " (after retries)" : "");
			break;
		}
		bp_conn_resp_parse(r);
		if (q->any_status) {
			rc = 0;
			break;
		}
		bp_conn_judge(c, r, &v);
		if (v.action == BP_CONN_OK) {
			if (q->keep && !r->json) {
				bp_conn_fail(c, err, BP_EDATA, "%s answered %s with "
					     "something that is not JSON (%s)",
					     c->ops->vendor, shown,
					     r->ctype[0] ? r->ctype : "no Content-Type");
				break;
			}
			rc = q->keep ? bp_conn_keep(c, q, r, err) : 0;
			if (rc < 0)
				bp_err_source(err, c->src->id);
			break;
		}
		if (v.action == BP_CONN_REFRESH && !renewed && !c->static_token) {
			renewed = 1;
			bp_log_debug("source '%s': access token refused, renewing it",
				     c->src->id);
			if (bp_oauth_token(c, 1, err) < 0) {
				bp_err_source(err, c->src->id);
				break;
			}
			continue;
		}
		if (v.action == BP_CONN_REFRESH) {
			bp_conn_fail(c, err, BP_ECONFIG, "%s%s", v.msg,
				     c->static_token ? ": renew the token that "
				     "token-env or token-file gives" :
				     ": a new token was refused too");
			break;
		}
		if (v.action == BP_CONN_RETRY) {
			long wait = retry_wait(c, tries + 1, v.delay_ms);

			if (v.delay_ms > LONGEST_WAIT_MS) {
				bp_conn_fail(c, err, BP_ETEMPFAIL, "%s: %s asks to wait "
					     "%ld s: try again later", v.msg,
					     c->ops->vendor, v.delay_ms / 1000);
				break;
			}
			if (tries < c->src->retries) {
				tries++;
				c->less = v.less;
				bp_log_debug("source '%s': %s, retrying in %.1f s",
					     c->src->id, v.msg, wait / 1000.0);
				sleep_ms(wait);
				if (v.less) {
					rc = 1;   /* the caller asks for less */
					break;
				}
				continue;
			}
			bp_conn_fail(c, err, v.code ? v.code : BP_EUNAVAIL,
				     "%s (%s, after %d attempt%s)%s", v.msg, shown,
				     tries + 1, tries ? "s" : "", v.code == BP_ETEMPFAIL ?
				     ": try again later" : "");
			break;
		}
		bp_conn_fail(c, err, v.code ? v.code : BP_EUNAVAIL, "%s", v.msg);
		break;
	}
	free(shown);
	if (rc < 0)
		bp_conn_resp_free(r);
	return rc;
}

/* ---- sessions ---------------------------------------------------------- */

bp_conn *bp_conn_open(const bp_config *cfg, const bp_source *src,
		      const char *cache, const bp_conn_window *w, bp_err *err)
{
	const bp_conn_ops *ops = bp_conn_find(src->connector);
	bp_conn *c;
	char owner[300];

	if (!ops) {
		bp_err_set(err, BP_ECONFIG, "unknown connector '%s'", src->connector);
		bp_err_source(err, src->id);
		return NULL;
	}
	snprintf(owner, sizeof(owner), "source '%s'", src->id);
	if (bp_net_check_ca(src->ca_file ? src->ca_file : cfg->ca_file, owner,
			    err) < 0)
		return NULL;
	c = bp_xcalloc(1, sizeof(*c));
	c->cfg = cfg;
	c->src = src;
	c->ops = ops;
	c->w = w;
	c->base = bp_xstrdup(base_of(src, ops));
	c->cache = bp_xstrdup(cache);
	c->index = json_array();
	c->meta = json_object();
	c->base_ms = bp_net_retry_base_ms();
	c->curl = curl_easy_init();
	if (!c->curl) {
		bp_err_set(err, BP_ESOFTWARE, "cannot start libcurl");
		free(c->base);
		free(c->cache);
		json_decref(c->index);
		json_decref(c->meta);
		free(c);
		return NULL;
	}
	return c;
}

void bp_conn_close(bp_conn *c)
{
	size_t i;

	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	for (i = 0; i < c->n_secrets; i++)
		bp_secret_free(c->secrets[i]);
	free(c->secrets);
	bp_secret_free(c->token);
	json_decref(c->index);
	json_decref(c->meta);
	free(c->base);
	free(c->cache);
	free(c->dir);
	free(c);
}

/* Removes a pull folder and what it holds (pages, no subfolders). */
static void remove_pull(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (!e->d_name[1] ||
		    (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int write_index(bp_conn *c, bp_err *err)
{
	json_t *doc = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:O, s:O}",
				"connector", c->ops->name, "source", c->src->id,
				"account", c->src->account, "api_base", c->base,
				"since", c->w ? c->w->since : "",
				"until", c->w ? c->w->until : "",
				"meta", c->meta, "requests", c->index);
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	char *path = bp_fs_join(c->dir, "index.json");
	int rc = bp_fs_write_file(path, text, strlen(text), 0600, err);

	free(path);
	free(text);
	json_decref(doc);
	return rc;
}

/* Puts the finished staging folder where the pull goes, replacing an
 * earlier pull in one step where the system can (RENAME_EXCHANGE). */
static int install(const char *stage, const char *final, bp_err *err)
{
	struct stat st;

	if (lstat(final, &st) == 0 &&
	    renameat2(AT_FDCWD, stage, AT_FDCWD, final, RENAME_EXCHANGE) == 0) {
		if (S_ISDIR(st.st_mode))
			remove_pull(stage);
		else
			unlink(stage);
		return 0;
	}
	if (lstat(final, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			remove_pull(final);
		else
			unlink(final);
	}
	if (rename(stage, final) < 0)
		return bp_err_set(err, BP_ECANTCREAT, "cannot rename '%s' to '%s': %s",
				  stage, final, strerror(errno));
	return 0;
}

int bp_conn_fetch(const bp_config *cfg, const bp_source *src,
		  const char *cache, const bp_conn_window *w, bp_err *err)
{
	bp_conn *c = bp_conn_open(cfg, src, cache, w, err);
	char *final = NULL, *tmpl = NULL;
	long long t0 = now_ms();
	int rc = -1, fd;

	if (!c)
		return -1;
	tmpl = bp_xasprintf("%s/.%s.XXXXXX", cache, src->id);
	if (!mkdtemp(tmpl)) {
		bp_err_set(err, BP_ECANTCREAT, "cannot create '%s': %s", tmpl,
			   strerror(errno));
		goto out;
	}
	c->dir = bp_xstrdup(tmpl);
	if (bp_oauth_token(c, 0, err) < 0) {
		bp_err_source(err, src->id);
		goto out;
	}
	bp_log_debug("source '%s': pulling %s to %s from %s", src->id,
		     w ? w->since : "", w ? w->until : "", c->base);
	if (c->ops->fetch(c, err) < 0 || write_index(c, err) < 0)
		goto out;
	/* One flush of the file system for every page at once. */
	fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		syncfs(fd);
		close(fd);
	}
	final = bp_fs_join(cache, src->id);
	if (install(c->dir, final, err) < 0)
		goto out;
	free(c->dir);
	c->dir = NULL;
	bp_fs_sync_dir(cache, NULL);
	bp_log_info("fetched '%s' from %s: %llu requests, %llu bytes in %.1f s",
		    src->id, c->ops->vendor, c->requests, c->bytes,
		    (now_ms() - t0) / 1000.0);
	rc = 0;
out:
	if (rc < 0 && c->dir)
		remove_pull(c->dir);
	free(tmpl);
	free(final);
	bp_conn_close(c);
	return rc;
}

int bp_conn_pulled(const char *dir)
{
	char *p = bp_fs_join(dir, "index.json");
	struct stat st;
	int ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);

	free(p);
	return ok;
}

/* ---- reading a pull back ------------------------------------------------ */

static json_t *load_json(const char *path, const char *what, bp_err *err)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);

	if (!j)
		bp_err_at(err, BP_EDATA, path, je.line > 0 ? je.line : 0,
			  je.column > 0 ? je.column : 0, "%s is not JSON: %s", what,
			  je.text);
	return j;
}

json_t *bp_conn_index(const char *dir, bp_err *err)
{
	char *p = bp_fs_join(dir, "index.json");
	json_t *j;

	if (access(p, R_OK) < 0) {
		bp_err_set(err, BP_ENOINPUT, "'%s' holds no pull (no index.json)", dir);
		free(p);
		return NULL;
	}
	j = load_json(p, "the pull's index", err);
	free(p);
	if (j && !json_is_array(json_object_get(j, "requests"))) {
		bp_err_set(err, BP_EDATA, "'%s/index.json' has no requests", dir);
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *bp_conn_page(const char *dir, const char *file, bp_err *err)
{
	char *p;
	json_t *j;

	if (!file || strchr(file, '/') || file[0] == '.') {
		bp_err_set(err, BP_EDATA, "'%s/index.json' names a bad file", dir);
		return NULL;
	}
	p = bp_fs_join(dir, file);
	j = load_json(p, "the page", err);
	free(p);
	return j;
}

/* An unnamed file for the rows: nothing is left behind whatever happens
 * to the process. */
static int tmpfile_fd(bp_err *err)
{
	const char *tmp = getenv("TMPDIR");
	char *path;
	int fd;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	fd = open(tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	path = bp_xasprintf("%s/.boardpack-rows.XXXXXX", tmp);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	else
		bp_err_set(err, BP_ECANTCREAT, "cannot create a file in '%s': %s",
			   tmp, strerror(errno));
	free(path);
	return fd;
}

/* An ad account's money is in the account's currency, which the pull
 * recorded; one that is not the report's stops the run, saying which
 * currency the account has and what to change (there is no rate to
 * convert with). */
static int account_currency(const bp_conn_ops *ops, const bp_source *src,
			    const char *dir, const char *currency, bp_err *err)
{
	json_t *idx;
	const char *got;
	int rc = 0;

	if (src->kind != BP_SRC_SPEND || !currency)
		return 0;
	if (!(idx = bp_conn_index(dir, err)))
		return -1;
	got = bp_json_str(idx, "meta", "currency", NULL);
	if (got && *got && strcasecmp(got, currency))
		rc = bp_err_set(err, BP_EDATA, "the %s account %s is in %.16s but the "
				"report currency is %s: boardpack does not convert; "
				"set report/@currency=\"%.16s\", or read an account "
				"kept in %s (%s fixes an account's currency when it is "
				"created)", ops->vendor, src->account ? src->account : "",
				got, currency, got, currency, ops->vendor);
	json_decref(idx);
	return rc;
}

int bp_conn_rows(const bp_source *src, const char *dir, const char *currency,
		 int *fd, bp_err *err)
{
	const bp_conn_ops *ops = bp_conn_find(src->connector);
	FILE *out;
	int rc, w;

	*fd = -1;
	if (!ops)
		return bp_err_set(err, BP_ECONFIG, "unknown connector '%s'",
				  src->connector);
	if (account_currency(ops, src, dir, currency, err) < 0)
		return -1;
	if ((w = tmpfile_fd(err)) < 0)
		return -1;
	out = fdopen(dup(w), "w");
	if (!out) {
		close(w);
		return bp_err_set(err, BP_ECANTCREAT, "cannot write the rows: %s",
				  strerror(errno));
	}
	rc = ops->rows(src, dir, currency, out, err);
	if (fclose(out) != 0 && rc == 0)
		rc = bp_err_set(err, BP_ECANTCREAT, "cannot write the rows of "
				"source '%s': %s", src->id, strerror(errno));
	if (rc < 0) {
		close(w);
		return -1;
	}
	*fd = w;
	return 0;
}

int bp_conn_probe(const bp_config *cfg, const bp_source *src,
		  const char *cache, bp_conn_info *p, bp_err *err)
{
	bp_conn *c = bp_conn_open(cfg, src, cache, NULL, err);
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (!c)
		return -1;
	if (bp_oauth_token(c, 0, err) < 0)
		bp_err_source(err, src->id);
	else
		rc = c->ops->probe(c, p, err);
	bp_conn_close(c);
	return rc;
}

void bp_conn_poll_sleep(long *wait, long *waited, long cap_ms)
{
	usleep((useconds_t)*wait * 1000);
	*waited += *wait;
	*wait = *wait * 2 > cap_ms ? cap_ms : *wait * 2;
}
