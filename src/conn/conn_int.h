/*
 * conn_int.h - what the connectors under src/conn/ share (conn.c,
 * oauth.c): the session of one source, the one HTTP client with the retry
 * policy of net.h, the pages and the request index, CSV output.
 *
 * Ownership: a bp_conn_resp owns its body and its parsed JSON until
 * bp_conn_resp_free; JSON values handed out by the helpers below are
 * borrowed from the document they came from.
 */
#ifndef BP_CONN_INT_H
#define BP_CONN_INT_H

#include <stdio.h>

#include <curl/curl.h>
#include <jansson.h>

#include "conn.h"
#include "csv.h"

/* A request's answer. */
struct bp_conn_resp {
	long status;
	char *body;            /* NUL-terminated; NULL when streamed to a file */
	size_t len;
	json_t *json;          /* the body parsed, or NULL when it is not JSON */
	long retry_after_s;    /* Retry-After, or -1 */
	char ctype[128];       /* Content-Type, "" when none */
	char file[64];         /* the page's name in the pull, "" when not kept */
	char *headers;         /* the answer's header lines, as received */
	size_t headers_len;
};

/* The value of header `name` of the answer into buf; NULL when absent. */
const char *bp_conn_header(const bp_conn_resp *r, const char *name, char *buf,
			   size_t size);

/* What a connector makes of an answer. */
enum {
	BP_CONN_OK,            /* data: keep it */
	BP_CONN_RETRY,         /* transient: wait, then ask again */
	BP_CONN_REFRESH,       /* the access token was refused: renew once */
	BP_CONN_FAIL           /* stop the run: `code`, `msg` */
};

/* How a vendor asks for less. */
enum {
	BP_CONN_LESS_ROWS = 1, /* smaller pages (Meta's "reduce the amount") */
	BP_CONN_LESS_WAIT      /* it timed out: a slower way (Meta's async
				  report runs) */
};

struct bp_conn_verdict {
	int action;
	long delay_ms;         /* RETRY: at least this long; 0: the backoff */
	int code;              /* FAIL: the exit status (BP_E*) */
	int less;              /* RETRY: ask for less (BP_CONN_LESS_*) */
	char msg[700];         /* FAIL (and REFRESH, if the renewal fails) */
};

/* One source's session. */
struct bp_conn {
	const bp_config *cfg;
	const bp_source *src;
	const bp_conn_ops *ops;
	const bp_conn_window *w;
	char *base;            /* api-base or the vendor's, no trailing '/' */
	char *dir;             /* the staging folder; NULL for a probe */
	char *cache;           /* the cache folder (token cache) */
	CURL *curl;
	char *token;           /* the access token (secret) */
	int static_token;      /* from token-env / token-file: cannot renew */
	json_t *index;         /* the requests kept, in order */
	json_t *meta;          /* what the pull learnt: time zone, currency */
	unsigned pages;
	long base_ms;          /* first retry delay (net.h) */
	long interval_ms;      /* pacing: least time between requests */
	long long last_ms;
	char **secrets;        /* texts never to keep or show, each once */
	size_t n_secrets, cap_secrets;
	unsigned long long requests, bytes;
	int less;              /* how the last retry asked for less */
};

/* A session for `src` (checks its CA file).  NULL with err. */
bp_conn *bp_conn_open(const bp_config *cfg, const bp_source *src,
		      const char *cache, const bp_conn_window *w, bp_err *err);
void bp_conn_close(bp_conn *c);

/* A request.  `headers` are extra "Name: value" lines, NULL-terminated. */
typedef struct bp_conn_req {
	const char *method;    /* "GET" or "POST" */
	const char *url;
	const char *body;      /* NULL: none */
	const char *ctype;     /* of the body */
	const char *const *headers;
	int no_auth;           /* send no Authorization (pre-signed URLs) */
	const char *keep;      /* keep the answer as page "NNNNNN-<keep>.json" */
	const char *to_file;   /* stream the body into this file of the pull */
	int any_status;        /* return every HTTP answer; retry only the
				  transport's failures */
	const char *ca;        /* trust this CA file, not the source's */
} bp_conn_req;

/* Sends `q`, following the retry policy: transport failures, 5xx and
 * 429 are retried (the source's `retries`) after net.h's backoff or the
 * vendor's own delay (Retry-After, retryDelay...; a delay longer than
 * five minutes is a limit for today: BP_ETEMPFAIL), a refused token is
 * renewed once when it can be, and the connector's verdict decides the
 * rest.  Pacing waits first.  On success the answer is in `r` (free with
 * bp_conn_resp_free) and, with q->keep, kept as a page and indexed.
 * Returns 0, 1 when the vendor asked for less (c->less says how: the
 * caller asks again for a smaller page, or another way), or -1 with err
 * (err->source set). */
int bp_conn_call(bp_conn *c, const bp_conn_req *q, bp_conn_resp *r,
		 bp_err *err);
void bp_conn_resp_free(bp_conn_resp *r);

/* The two steps of bp_conn_call that read an answer, on their own for
 * the fuzz target.  bp_conn_resp_parse parses the body into r->json when
 * it looks like JSON (it starts with '{' or '[', or its Content-Type
 * says json) and r->json is not set yet; r->json stays NULL when the
 * body is not JSON.  bp_conn_judge overwrites `v` with what the answer
 * means: the verdict on its HTTP status (named for the vendor, with what
 * the answer says), then the connector's own reading of it, its message
 * made one line without any secret of the session. */
void bp_conn_resp_parse(bp_conn_resp *r);
void bp_conn_judge(bp_conn *c, const bp_conn_resp *r, bp_conn_verdict *v);

/* Keeps an answer as the next page "NNNNNN-<q->keep>.json" and indexes
 * it (for a connector that looks at an answer before keeping it). */
int bp_conn_keep(bp_conn *c, const bp_conn_req *q, bp_conn_resp *r,
		 bp_err *err);

/* Fails with `code` and a message naming the source; returns -1. */
int bp_conn_fail(bp_conn *c, bp_err *err, int code, const char *fmt, ...)
	BP_PRINTF(4, 5);

/* Records what the pull learnt in index.json's "meta" (time zone...). */
void bp_conn_meta(bp_conn *c, const char *key, const char *value);

/* A secret to keep out of pages, the index and messages (copied, with
 * its percent-encoded form; a text already registered is not added
 * again, and there is no limit on how many). */
void bp_conn_secret(bp_conn *c, const char *s);

/* `url` without the query parameters that carry secrets (access_token,
 * appsecret_proof, signatures, codes, keys); a pre-signed URL (one with a
 * signature) without its whole query.  Allocated; NULL for NULL. */
char *bp_conn_redact(const char *url);

/* A vendor's text made fit for a one-line message, in place: control
 * characters (newlines, terminal escapes) become spaces, runs of spaces
 * one, and every secret of the session "[secret]". */
void bp_conn_clean(const bp_conn *c, char *s);

/* Percent-encodes s for a query string or form (allocated). */
char *bp_conn_escape(const char *s);

/* ---- JSON helpers (borrowed values; NULL when absent) ---------------- */

/* The value at a path of object keys: bp_json_at(o, "paging", "next",
 * NULL). */
json_t *bp_json_at(json_t *o, ...);
/* The string at a path, or NULL (numbers are not strings). */
const char *bp_json_str(json_t *o, ...);

/* Sets what `check --online` shows of an account from a probe's answer:
 * each of name, currency and timezone that is not NULL, truncated to
 * its field. */
void bp_conn_info_set(bp_conn_info *p, const char *name, const char *currency,
		      const char *timezone);
/* A string or an integer as text into buf ("" when absent). */
const char *bp_json_text(json_t *v, char *buf, size_t size);

/* ---- the pull on disk ------------------------------------------------- */

/* The index of the pull in `dir` (its "requests" array is
 * [{file, method, url, status, bytes}], in request order), or NULL with
 * BP_EDATA.  Free with json_decref. */
json_t *bp_conn_index(const char *dir, bp_err *err);

/* Between two polls of a job the vendor runs (an export, a report run):
 * sleeps *wait ms, adds it to *waited, and doubles *wait up to cap_ms. */
void bp_conn_poll_sleep(long *wait, long *waited, long cap_ms);

/* A kept page of the pull, parsed; NULL with BP_EDATA naming it. */
json_t *bp_conn_page(const char *dir, const char *file, bp_err *err);

/* "2500000000" micros as "2500.000000": exact, as text. */
void bp_conn_micros(const char *micros, char *buf, size_t size);

/* ---- OAuth2 (oauth.c) ----------------------------------------------- */

/* Sets c->token for the source: its token-env or token-file, or an access
 * token of its <oauth> client, from the token cache while it has more
 * than a minute left, else from the token endpoint (refresh-token or
 * JWT-bearer grant).  `renew` skips the cache (after a 401).  Returns 0
 * or -1 with err: BP_ECONFIG for refused credentials (invalid_grant,
 * invalid_client) with what to do, BP_EUNAVAIL for an endpoint that keeps
 * failing. */
int bp_oauth_token(bp_conn *c, int renew, bp_err *err);

/* The JWT a service account signs for the JWT-bearer grant (RS256 with
 * OpenSSL): header {"alg":"RS256","typ":"JWT","kid":kid}, claims iss,
 * scope, aud, iat = now - 30 and exp = iat + 3600.  `pem` is the PKCS#8
 * private key.  Returns the allocated JWT, or NULL with BP_ECONFIG. */
char *bp_oauth_jwt(const char *email, const char *kid, const char *scope,
		   const char *aud, long long now, const char *pem,
		   bp_err *err);

/* base64url without padding (allocated). */
char *bp_b64url(const unsigned char *p, size_t n);

/* Whether an access token cached with `expires_at` (Unix seconds) may be
 * used at `now`: more than 60 s left. */
int bp_oauth_fresh(long long expires_at, long long now);

/* ---- the connectors -------------------------------------------------- */

extern const bp_conn_ops bp_conn_hubspot, bp_conn_google_ads, bp_conn_meta_ads,
	bp_conn_linkedin, bp_conn_ga4;

/* Rest.li 2.0: `urn` percent-encoded as a value inside structure, where
 * ( ) : , stay literal (linkedin.c; exposed for its unit test). */
char *bp_restli_urn(const char *urn);
/* The dateRange of one span: "(start:(year:Y,month:M,day:D),end:(...))". */
void bp_restli_range(const char *since, const char *until, char *buf,
		     size_t size);

#endif
