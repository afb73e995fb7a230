/*
 * fetch.c - downloads every source in parallel with the libcurl multi
 * interface, into a staging file that is renamed only when complete.
 *
 * A run goes: check every source's id, URL scheme and CA file, create the
 * cache folder, read every source's credentials (so a configuration
 * mistake is reported before any network traffic), then drive one easy
 * handle per source in one multi handle.  A source that fails with a transient error is taken out of the
 * multi handle and put back after its backoff delay; the first permanent
 * failure stops every transfer.  The download a new one replaces is kept
 * beside it until a run has read the new one whole (bp_fetch_settle).
 */
#include "fetch.h"

#include "fs.h"
#include "log.h"
#include "mem.h"
#include "net.h"
#include "secret.h"
#include "url.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_S 30L
/* Export endpoints may think for a minute before the first byte. */
#define LOW_SPEED_BYTES 1L
#define LOW_SPEED_TIME_S 120L
#define MAX_REDIRECTS 5L
#define RETRY_AFTER_CAP_S 300L
/* How much of a body the HTML check reads: enough for a long comment or
 * script block before a login page's <html>. */
#define HEAD_SIZE 8192

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_DONE };

typedef struct job {
	const bp_source *src;
	CURL *easy;
	char *final_path;
	bp_staged staged;       /* the download under its temporary name */
	char url[512];          /* without userinfo and query, for messages */
	char errbuf[CURL_ERROR_SIZE];
	char *token;            /* secret: wiped before it is freed */
	enum job_state state;
	int attempt;            /* attempts started so far */
	long long start_at_ms;  /* when a waiting job may start */
	long long begun_ms;
	long long bytes;
	int too_big;
	int write_errno;
} job;

typedef struct run {
	const bp_config *cfg;
	const char *cache;
	const bp_fetch_check *check;
	CURLM *multi;
	job *jobs;
	size_t n_jobs;
	long base_ms;
} run;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

char *bp_fetch_path(const char *cache, const bp_source *src)
{
	char *local = src->connector ? NULL : bp_source_path(src);

	return local ? local : bp_fs_join(cache, src->id);
}

/* A file:// source, read in place: what a download of it would have
 * been refused for is refused here, with the same words. */
static int check_local(const bp_source *src, bp_err *err)
{
	char *path = bp_source_path(src), shown[1024], *named;
	struct stat st;
	int fd, rc = -1, relative;

	bp_url_shown(src->url, shown, sizeof(shown));
	/* A relative url starts at the config's folder, not at the folder
	 * boardpack runs in: the path it came to is named with it. */
	relative = src->url_given && strcmp(src->url_given, path) != 0;
	named = relative ? bp_xasprintf("%s, that is %s", src->url_given, path)
			 : bp_xstrdup(src->url_given ? src->url_given : shown);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		char *hint = relative ? bp_xasprintf("; a relative url starts at "
			"the config's folder (<%s> on line %ld of the config)",
			bp_source_kind_name(src->kind), src->line) : bp_xstrdup("");

		bp_err_set(err, BP_ENOINPUT, "cannot read source '%s' (%s): %s%s",
			   src->id, named, strerror(e), hint);
		free(hint);
	} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		bp_err_set(err, BP_ENOINPUT, "cannot read source '%s' (%s): not a "
			   "regular file", src->id, named);
	} else if (st.st_size == 0) {
		bp_err_set(err, BP_EDATA, "source '%s' is an empty file (%s)",
			   src->id, named);
	} else if (src->max_bytes > 0 && st.st_size > src->max_bytes) {
		bp_err_set(err, BP_EDATA, "source '%s' (%s) is larger than %lld "
			   "bytes", src->id, named, src->max_bytes);
	} else {
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
	free(named);
	free(path);
	return rc;
}

/* Whether the source is a local file, read in place. */
static int is_local(const bp_source *src)
{
	return !src->connector && bp_url_scheme(src->url, NULL) == BP_SCHEME_FILE;
}

/* ---- checks made before any download ---------------------------------- */

/* The id becomes a file name in the cache, so it must not climb out. */
static int check_id(const bp_source *src, bp_err *err)
{
	const char *id = src->id;

	if (!id || !id[0] || id[0] == '.' || strchr(id, '/'))
		return bp_err_set(err, BP_ECONFIG,
				  "source id '%s' cannot be used as a file name",
				  id ? id : "");
	return 0;
}

static int check_ca(const bp_config *cfg, const bp_source *src, bp_err *err)
{
	char owner[300];

	snprintf(owner, sizeof(owner), "source '%s'", src->id);
	return bp_net_check_ca(src->ca_file ? src->ca_file : cfg->ca_file, owner,
			       err);
}

static int check_scheme(const bp_source *src, bp_err *err)
{
	bp_scheme scheme = bp_url_scheme(src->url, NULL);
	char shown[512];

	if (scheme == BP_SCHEME_HTTPS || scheme == BP_SCHEME_FILE)
		return 0;
	bp_url_shown(src->url, shown, sizeof(shown));
	if (scheme == BP_SCHEME_HTTP) {
		if (src->insecure_http)
			return 0;
		return bp_err_set(err, BP_ECONFIG,
				  "source '%s' uses plain http:// (%s); use https:// "
				  "or set insecure-http=\"true\" on the source",
				  src->id, shown);
	}
	return bp_err_set(err, BP_ECONFIG,
			  "source '%s' has an unsupported url '%s' "
			  "(https:// or file:// expected)", src->id, shown);
}

/* The value of environment variable `name`, or NULL with BP_ECONFIG. */
static const char *need_env(const bp_source *src, const char *what,
			    const char *name, bp_err *err)
{
	char owner[300];

	snprintf(owner, sizeof(owner), "%s of source '%s'", what, src->id);
	return bp_net_env(name, owner, err);
}

/* Sets the credentials of `j` on its easy handle. */
static int set_auth(job *j, bp_err *err)
{
	const bp_source *src = j->src;
	const char *v;

	if (src->token_env) {
		if (!(v = need_env(src, "token-env", src->token_env, err)))
			return -1;
		j->token = bp_xstrdup(v);
	} else if (src->token_file) {
		char owner[300];

		snprintf(owner, sizeof(owner), "source '%s'", src->id);
		if (!(j->token = bp_secret_read_file(src->token_file, "token",
						     owner, err)))
			return -1;
	}
	if (j->token) {
		curl_easy_setopt(j->easy, CURLOPT_XOAUTH2_BEARER, j->token);
		curl_easy_setopt(j->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
	}
	if (src->user_env) {
		if (!(v = need_env(src, "user-env", src->user_env, err)))
			return -1;
		curl_easy_setopt(j->easy, CURLOPT_USERNAME, v);
		curl_easy_setopt(j->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
	if (src->password_env) {
		if (!(v = need_env(src, "password-env", src->password_env, err)))
			return -1;
		curl_easy_setopt(j->easy, CURLOPT_PASSWORD, v);
	}
	return 0;
}

/* ---- one transfer -------------------------------------------------------- */

static long http_status(const job *j)
{
	long code = 0;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
	job *j = userp;
	size_t n = size * nmemb, done = 0;
	long code = http_status(j);

	/* An error page's body is not the export: drop it. */
	if (code >= 300)
		return n;
	if (j->src->max_bytes > 0 && j->bytes + (long long)n > j->src->max_bytes) {
		j->too_big = 1;
		return 0;
	}
	while (done < n) {
		ssize_t w = write(j->staged.fd, data + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			j->write_errno = errno;
			return 0;
		}
		done += (size_t)w;
	}
	j->bytes += (long long)n;
	return n;
}

static int set_options(const run *r, job *j, bp_err *err)
{
	const bp_source *src = j->src;
	const char *ca = src->ca_file ? src->ca_file : r->cfg->ca_file;
	CURL *e = j->easy;
	CURLcode rc = CURLE_OK;

	/* Only the first failure matters: every option below is supported by
	 * the libcurl this is built against, so a failure means no memory. */
#define SET(opt, val) if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val)
	SET(CURLOPT_URL, src->url);
	SET(CURLOPT_PROTOCOLS_STR, src->insecure_http ? "https,http,file"
						       : "https,file");
	/* Even a source allowed plain http:// is never redirected to it: a
	 * redirect is the server's choice, not the config's. */
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, MAX_REDIRECTS);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca)
		SET(CURLOPT_CAINFO, ca);
	SET(CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	if (src->timeout_s > 0)
		SET(CURLOPT_TIMEOUT, src->timeout_s);
	SET(CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
	SET(CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME_S);
	if (src->max_bytes > 0)
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)src->max_bytes);
	SET(CURLOPT_USERAGENT, bp_net_user_agent());
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, j);
	SET(CURLOPT_ERRORBUFFER, j->errbuf);
	SET(CURLOPT_PRIVATE, j);
#undef SET
	if (rc != CURLE_OK)
		return bp_err_set(err, BP_ESOFTWARE, "cannot set up the download "
				  "of source '%s': %s", src->id,
				  curl_easy_strerror(rc));
	return 0;
}

static int starts_ci(const unsigned char *p, const unsigned char *end,
		     const char *word)
{
	size_t k = strlen(word);

	return (size_t)(end - p) >= k && strncasecmp((const char *)p, word, k) == 0;
}

static const unsigned char *skip_space(const unsigned char *p,
				       const unsigned char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
			   *p == '\f' || *p == '\v'))
		p++;
	return p;
}

/* Just past the first `close` at or after `p`, or NULL. */
static const unsigned char *after(const unsigned char *p,
				  const unsigned char *end, const char *close)
{
	size_t k = strlen(close);

	for (; (size_t)(end - p) >= k; p++)
		if (memcmp(p, close, k) == 0)
			return p + k;
	return NULL;
}

/* Whether the start of a body is an HTML page: after a byte-order mark,
 * white space, comments, an XML declaration and a doctype (any of which
 * alone no export starts with), an element that only HTML opens with.
 * A comment or declaration that runs past what was read counts as HTML:
 * no CSV starts with "<!--". */
int bp_fetch_is_html(const void *data, size_t n, const char *content_type)
{
	static const char *const tags[] = { "<html", "<head", "<body", "<title",
					    "<meta", "<script", "<style", "<link",
					    "<form", "<div", "<p>", "<h1", "<table",
					    "<frameset", "<noscript" };
	const unsigned char *p = data, *end = p + n;
	size_t i;

	if (content_type) {
		while (*content_type == ' ')
			content_type++;
		if (has_prefix_ci(content_type, "text/html") ||
		    has_prefix_ci(content_type, "application/xhtml+xml"))
			return 1;
	}
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	for (;;) {
		p = skip_space(p, end);
		if (starts_ci(p, end, "<!--")) {
			if (!(p = after(p + 4, end, "-->")))
				return 1;
		} else if (starts_ci(p, end, "<?xml")) {
			if (!(p = after(p + 5, end, "?>")))
				return 1;
		} else if (starts_ci(p, end, "<!doctype")) {
			return 1;
		} else {
			break;
		}
	}
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (starts_ci(p, end, tags[i]))
			return 1;
	return 0;
}

/* A login or error page served with status 200 instead of the export:
 * judged from the start of the staged file and the Content-Type. */
static int looks_like_html(const job *j)
{
	unsigned char head[HEAD_SIZE];
	char *ct = NULL;
	ssize_t n = pread(j->staged.fd, head, sizeof(head), 0);

	if (curl_easy_getinfo(j->easy, CURLINFO_CONTENT_TYPE, &ct) != CURLE_OK)
		ct = NULL;
	return bp_fetch_is_html(head, n > 0 ? (size_t)n : 0, ct);
}

static int start_attempt(run *r, job *j, bp_err *err)
{
	CURLMcode mc;

	/* A file of this run's own: two runs sharing a cache never write
	 * into each other's download. */
	if (bp_fs_stage(&j->staged, j->final_path, 0600, err) < 0)
		return -1;
	j->bytes = 0;
	j->too_big = 0;
	j->write_errno = 0;
	j->errbuf[0] = '\0';
	j->attempt++;
	j->begun_ms = now_ms();
	if (j->attempt == 1)
		bp_log_debug("fetching '%s' from %s", j->src->id, j->url);
	mc = curl_multi_add_handle(r->multi, j->easy);
	if (mc != CURLM_OK)
		return bp_err_set(err, BP_ESOFTWARE, "cannot start the download "
				  "of source '%s': %s", j->src->id,
				  curl_multi_strerror(mc));
	j->state = JOB_RUNNING;
	return 0;
}

/* Takes `j` out of the multi handle and drops its staging file. */
static void abandon(run *r, job *j)
{
	curl_multi_remove_handle(r->multi, j->easy);
	bp_fs_abort(&j->staged);
}

/* Puts `j` back in the queue after the backoff, or after the server's
 * Retry-After when that is longer (capped: a server cannot stall a
 * monthly run for a day). */
static void schedule_retry(run *r, job *j, const char *why)
{
	long delay = bp_net_backoff_ms(r->base_ms, j->attempt);
	curl_off_t after = 0;

	if (curl_easy_getinfo(j->easy, CURLINFO_RETRY_AFTER, &after) == CURLE_OK &&
	    after > 0) {
		if (after > RETRY_AFTER_CAP_S)
			after = RETRY_AFTER_CAP_S;
		if (after * 1000 > delay)
			delay = (long)after * 1000;
	}
	abandon(r, j);
	j->state = JOB_WAITING;
	j->start_at_ms = now_ms() + delay;
	bp_log_debug("source '%s': %s, retrying in %.1f s (attempt %d of %d)",
		     j->src->id, why, delay / 1000.0, j->attempt + 1,
		     j->src->retries + 1);
}

static int tries_left(const job *j)
{
	return j->attempt <= j->src->retries;
}

static int is_tls_error(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION ||
	       rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CACERT_BADFILE ||
	       rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CIPHER ||
	       rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_CRL_BADFILE ||
	       rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

/* The error of a download that failed for good: the source, where from,
 * why, and after how many attempts. */
static int gave_up(const job *j, const char *why, bp_err *err)
{
	if (j->attempt > 1)
		return bp_err_set(err, BP_EUNAVAIL, "cannot download source '%s' "
				  "from %s: %s (after %d attempts)", j->src->id,
				  j->url, why, j->attempt);
	return bp_err_set(err, BP_EUNAVAIL, "cannot download source '%s' from "
			  "%s: %s", j->src->id, j->url, why);
}

/* Appended to the error of a body that is refused: the cache still holds
 * the last good download, and says since when, so nobody mistakes this
 * month's failure for this month's data. */
static void kept_note(const job *j, bp_err *err)
{
	size_t len = strlen(err->msg);
	struct stat st;
	char when[32] = "";
	struct tm tm;

	if (lstat(j->final_path, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err->msg + len, sizeof(err->msg) - len, "; nothing was "
			 "written to the cache");
		return;
	}
	if (gmtime_r(&st.st_mtime, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	snprintf(err->msg + len, sizeof(err->msg) - len, "; the last good "
		 "download (%s) is kept in the cache and was not replaced (run "
		 "--offline reads it)", when);
}

/* Whether a transfer ended inside the body: the framing (a chunked body
 * without its last chunk, fewer bytes than Content-Length) says more was
 * to come.  A body that ends where the server closes the connection has
 * no framing to say so: that cut is caught when the run reads the file
 * (bp_fetch_settle). */
static int cut_short(const job *j, CURLcode rc)
{
	return rc == CURLE_PARTIAL_FILE ||
	       (rc == CURLE_RECV_ERROR && j->bytes > 0);
}

static int cut_error(const job *j, const char *why, bp_err *err)
{
	char tries[32] = "";

	if (j->attempt > 1)
		snprintf(tries, sizeof(tries), " (after %d attempts)",
			 j->attempt);
	bp_err_set(err, BP_EUNAVAIL, "cannot download source '%s' from %s: the "
		   "download was cut short: the connection ended after %lld "
		   "bytes, before the end of the export (%s)%s", j->src->id,
		   j->url, j->bytes, why, tries);
	kept_note(j, err);
	return -1;
}

/* A transfer that ended in a curl error.  Returns 1 when retried, else -1
 * with `err` set. */
static int failed_transfer(run *r, job *j, CURLcode rc, bp_err *err)
{
	const char *why = j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc);

	if (j->write_errno)
		return bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s",
				  j->staged.tmp, strerror(j->write_errno));
	if (j->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return bp_err_set(err, BP_EDATA, "source '%s' (%s) is larger "
				  "than %lld bytes", j->src->id, j->url,
				  j->src->max_bytes);
	if (bp_net_transient(rc) && tries_left(j)) {
		schedule_retry(r, j, why);
		return 1;
	}
	if (cut_short(j, rc))
		return cut_error(j, why, err);
	if (rc == CURLE_FILE_COULDNT_READ_FILE)
		return bp_err_set(err, BP_ENOINPUT, "cannot read source '%s' "
				  "(%s): %s", j->src->id, j->url, why);
	if (is_tls_error(rc))
		return bp_err_set(err, BP_EUNAVAIL, "cannot download source '%s' "
				  "from %s: TLS failure: %s", j->src->id, j->url,
				  why);
	return gave_up(j, why, err);
}

/* A transfer that completed with an HTTP error status.  Returns 1 when
 * retried, else -1 with `err` set. */
static int failed_status(run *r, job *j, long code, bp_err *err)
{
	char why[160];

	snprintf(why, sizeof(why), "HTTP %ld", code);
	if ((code == 429 || code >= 500) && tries_left(j)) {
		schedule_retry(r, j, why);
		return 1;
	}
	/* As the connectors answer the same statuses: a server that asks
	 * for fewer requests is worth another try later (a cron wrapper
	 * retries 75), one that fails is unavailable (69), one that refuses
	 * the request's credentials is the config's to fix (78). */
	if (code == 429) {
		snprintf(why, sizeof(why), "HTTP %ld, try again later", code);
		gave_up(j, why, err);
		err->code = BP_ETEMPFAIL;
		return -1;
	}
	if (code == 401 || code == 403) {
		if (j->src->token_env)
			snprintf(why, sizeof(why), "HTTP %ld: the server refused "
				 "the request's credentials; check the token in $%s",
				 code, j->src->token_env);
		else
			snprintf(why, sizeof(why), "HTTP %ld: the server refused "
				 "the request's credentials; check the url (and any "
				 "token in it) in the config", code);
		gave_up(j, why, err);
		err->code = BP_ECONFIG;
		return -1;
	}
	return gave_up(j, why, err);
}

/* What makes a complete body not the export: empty, an HTML page, or
 * (with a check) a header row that does not read as the source's. */
static int refuse_body(run *r, job *j, bp_err *err)
{
	if (j->bytes == 0)
		return bp_err_set(err, BP_EDATA, "source '%s' returned an empty "
				  "file (%s)", j->src->id, j->url);
	if (looks_like_html(j))
		return bp_err_set(err, BP_EDATA, "source '%s' returned an HTML "
				  "page, not an export (a login page?) (%s)",
				  j->src->id, j->url);
	/* The reader's own error: it names the line and what was expected. */
	if (r->check)
		return r->check->fn(r->check->ctx, j->src, j->staged.tmp, err);
	return 0;
}

/* Where the last good download of `src` waits, under a name of its own
 * (".ID.good", never a staging name), while the newer one beside it has
 * not been read whole by a run yet.  Caller frees. */
static char *good_path(const char *cache, const bp_source *src)
{
	return bp_xasprintf("%s/.%s.good", cache, src->id);
}

/* Before a download replaces the cache's: the one it replaces is kept
 * beside it (a second name, so the cache's is never missing), unless one
 * is kept already, in which case the one replaced was never read whole and
 * the kept one stays the last good. */
static int keep_previous(const run *r, const job *j, bp_err *err)
{
	char *good = good_path(r->cache, j->src);
	struct stat st;
	int rc = 0;

	if (lstat(good, &st) < 0 && errno == ENOENT &&
	    lstat(j->final_path, &st) == 0 && S_ISREG(st.st_mode) &&
	    link(j->final_path, good) < 0)
		rc = bp_err_set(err, BP_ECANTCREAT, "cannot keep the last good "
				"download of source '%s' as '%s': %s",
				j->src->id, good, strerror(errno));
	free(good);
	return rc;
}

/* The body arrived: check it, then move it into place. */
static int keep_body(run *r, job *j, bp_err *err)
{
	double secs = (now_ms() - j->begun_ms) / 1000.0;

	if (refuse_body(r, j, err) < 0) {
		kept_note(j, err);
		return -1;
	}
	curl_multi_remove_handle(r->multi, j->easy);
	if (keep_previous(r, j, err) < 0 || bp_fs_commit(&j->staged, err) < 0)
		return -1;
	j->state = JOB_DONE;
	bp_log_info("fetched '%s': %lld bytes in %.1f s", j->src->id, j->bytes,
		    secs);
	return 0;
}

/* Returns 0 when `j` is done, 1 when it will be retried, -1 on error. */
static int end_attempt(run *r, job *j, CURLcode rc, bp_err *err)
{
	long code;

	if (rc != CURLE_OK)
		return failed_transfer(r, j, rc, err);
	code = http_status(j);
	if (code >= 300)
		return failed_status(r, j, code, err);
	return keep_body(r, j, err);
}

/* ---- the whole run ------------------------------------------------------- */

static int start_due(run *r, long *wait_ms, bp_err *err)
{
	long long now = now_ms();

	for (size_t i = 0; i < r->n_jobs; i++) {
		job *j = &r->jobs[i];
		if (j->state != JOB_WAITING)
			continue;
		if (j->start_at_ms <= now) {
			if (start_attempt(r, j, err) < 0)
				return -1;
		} else if (j->start_at_ms - now < *wait_ms) {
			*wait_ms = (long)(j->start_at_ms - now);
		}
	}
	return 0;
}

static int drive(run *r, bp_err *err)
{
	size_t left = r->n_jobs;

	while (left > 0) {
		long wait_ms = 1000;
		int running, queued;
		CURLMsg *m;
		CURLMcode mc;

		mc = curl_multi_perform(r->multi, &running);
		if (mc != CURLM_OK)
			return bp_err_set(err, BP_ESOFTWARE, "download failed: %s",
					  curl_multi_strerror(mc));
		while ((m = curl_multi_info_read(r->multi, &queued))) {
			job *j = NULL;
			int res;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &j);
			res = end_attempt(r, j, m->data.result, err);
			if (res < 0)
				return -1;
			if (res == 0)
				left--;
		}
		if (left == 0 || start_due(r, &wait_ms, err) < 0)
			break;
		curl_multi_poll(r->multi, NULL, 0, (int)wait_ms, NULL);
	}
	return left == 0 ? 0 : -1;
}

static int prepare_job(run *r, job *j, const bp_source *src, bp_err *err)
{
	j->src = src;
	j->staged.fd = -1;
	j->state = JOB_WAITING;
	bp_url_shown(src->url, j->url, sizeof(j->url));
	j->final_path = bp_fetch_path(r->cache, src);
	j->easy = curl_easy_init();
	if (!j->easy)
		return bp_err_set(err, BP_ESOFTWARE, "cannot start libcurl");
	if (set_options(r, j, err) < 0 || set_auth(j, err) < 0)
		return -1;
	return 0;
}

static void free_jobs(run *r)
{
	for (size_t i = 0; r->jobs && i < r->n_jobs; i++) {
		job *j = &r->jobs[i];
		if (j->easy) {
			abandon(r, j);
			curl_easy_cleanup(j->easy);
		}
		bp_secret_free(j->token);
		free(j->final_path);
	}
	free(r->jobs);
	r->jobs = NULL;
}

static int check_offline(const bp_config *cfg, const char *cache, bp_err *err)
{
	struct stat st;

	if (lstat(cache, &st) == 0 &&
	    bp_fs_check_private(cache, "cache folder", err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_sources; i++) {
		const bp_source *src = &cfg->sources[i];
		char *path;
		int ok, link;

		if (check_id(src, err) < 0)
			return -1;
		if (is_local(src)) {
			if (check_local(src, err) < 0)
				return -1;
			continue;
		}
		path = bp_fetch_path(cache, src);
		/* Never through a link: whoever planted it chose what is read. */
		ok = lstat(path, &st) == 0;
		link = ok && S_ISLNK(st.st_mode);
		ok = ok && (src->connector ? S_ISDIR(st.st_mode) &&
			    bp_conn_pulled(path) : S_ISREG(st.st_mode));
		if (link)
			bp_err_set(err, BP_ENOINPUT, "the download of source '%s' "
				   "in the cache ('%s') is a symbolic link; remove "
				   "it and run without --offline", src->id, path);
		free(path);
		if (link)
			return -1;
		if (!ok)
			return bp_err_set(err, BP_ENOINPUT, "no earlier download of "
					  "source '%s' (run without --offline "
					  "first)", src->id);
	}
	return 0;
}

/* The connectors' sources, one after the other: each paces itself by its
 * vendor's account limits. */
static int pull_all(const bp_config *cfg, const char *cache,
		    const bp_conn_window *w, bp_err *err)
{
	for (size_t i = 0; i < cfg->n_sources; i++)
		if (cfg->sources[i].connector &&
		    bp_conn_fetch(cfg, &cfg->sources[i], cache, w, err) < 0)
			return -1;
	return 0;
}

/* Puts the kept download `good` (lstat'ed as `st`) back at `path`, and
 * says so, or why not, at the end of err->msg (err may be NULL). */
static void put_back(const char *good, const struct stat *st,
		     const char *path, bp_err *err)
{
	char note[600], when[32] = "";
	struct tm tm;
	size_t len;

	/* Never through a link: whoever planted it chose what is read. */
	if (!S_ISREG(st->st_mode)) {
		snprintf(note, sizeof(note), "; the last good download ('%s') "
			 "is not a regular file and was not put back", good);
	} else if (rename(good, path) < 0) {
		snprintf(note, sizeof(note), "; the last good download ('%s') "
			 "could not be put back: %s", good, strerror(errno));
	} else {
		if (gmtime_r(&st->st_mtime, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		snprintf(note, sizeof(note), "; the last good download (%s) was "
			 "put back in the cache in place of this one (run "
			 "--offline reads it)", when);
	}
	if (err) {
		len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, "%s", note);
	}
}

void bp_fetch_settle(const char *cache, const bp_source *src,
		     bp_fetch_read read, bp_err *err)
{
	char *good, *path;
	struct stat st;

	if (src->connector || is_local(src) || read == BP_FETCH_READ_OTHER)
		return;
	good = good_path(cache, src);
	path = bp_fetch_path(cache, src);
	/* Nothing kept: the cache's download is the last good one. */
	if (lstat(good, &st) == 0) {
		if (read == BP_FETCH_READ_CUT)
			put_back(good, &st, path, err);
		else if (unlink(good) < 0)
			bp_log_warn("cannot remove '%s', the download of source "
				    "'%s' before this one: %s", good, src->id,
				    strerror(errno));
	}
	free(path);
	free(good);
}

int bp_fetch_all(const bp_config *cfg, const char *cache, int offline,
		 const bp_conn_window *w, bp_err *err)
{
	return bp_fetch_all_checked(cfg, cache, offline, w, NULL, err);
}

int bp_fetch_all_checked(const bp_config *cfg, const char *cache, int offline,
			 const bp_conn_window *w, const bp_fetch_check *check,
			 bp_err *err)
{
	run r = { .cfg = cfg, .cache = cache, .check = check };
	size_t n_urls = 0;
	int rc = -1, curl_ready = 0;

	if (offline)
		return check_offline(cfg, cache, err);
	for (size_t i = 0; i < cfg->n_sources; i++)
		if (check_id(&cfg->sources[i], err) < 0 ||
		    (!cfg->sources[i].connector &&
		     check_scheme(&cfg->sources[i], err) < 0) ||
		    check_ca(cfg, &cfg->sources[i], err) < 0)
			return -1;
	/* Owner-only: exports hold personal data, and a folder others can
	 * write would let them plant what a run (from root's crontab, say)
	 * writes through. */
	if (bp_fs_mkdirs(cache, 0700, err) < 0 ||
	    bp_fs_check_private(cache, "cache folder", err) < 0)
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return bp_err_set(err, BP_ESOFTWARE, "cannot initialise libcurl");
	curl_ready = 1;
	r.base_ms = bp_net_retry_base_ms();
	r.multi = curl_multi_init();
	r.jobs = bp_xcalloc(cfg->n_sources, sizeof(job));
	if (!r.multi) {
		bp_err_set(err, BP_ESOFTWARE, "cannot start libcurl");
		goto out;
	}
	for (size_t i = 0; i < cfg->n_sources; i++) {
		if (cfg->sources[i].connector)
			continue;
		if (is_local(&cfg->sources[i])) {
			if (check_local(&cfg->sources[i], err) < 0)
				goto out;
			continue;
		}
		n_urls++;
		if (prepare_job(&r, &r.jobs[r.n_jobs++], &cfg->sources[i], err) < 0)
			goto out;
	}
	rc = n_urls ? drive(&r, err) : 0;
	if (rc == 0)
		rc = pull_all(cfg, cache, w, err);
out:
	free_jobs(&r);
	if (r.multi)
		curl_multi_cleanup(r.multi);
	if (curl_ready)
		curl_global_cleanup();
	return rc;
}
