/*
 * test_fetch.c - bp_fetch_all against a real local HTTPS server.
 *
 * The group setup makes a throwaway CA (tests/integration/make_ca.sh),
 * starts tests/integration/https_server.py on a kernel-chosen port and
 * serves a few fixture files.  The script paths are relative to $BP_SRCDIR
 * (default: the current folder, the repository root).  Each test uses
 * its own server path, so the server's request log tells what it received.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "log.h"
#include "testlib.h"

/* 9 + 16 + 16 bytes, counted by hand. */
static const char CONTACTS[] = "id,email\n1,a@example.com\n2,b@example.com\n";
#define CONTACTS_LEN 41
#define SECRET_TOKEN "tok-9f8e7d6c5b4a"

/* One HTTPS server, and one plain HTTP server for insecure-http and
 * downgrade tests. */
typedef struct server {
	pid_t pid;
	int port;
	char log[128];
} server;

static struct {
	char *dir;
	char www[128], ca[128], other_ca[128];
	server tls, plain;
} S;

/* ---- helpers ------------------------------------------------------------- */

static void https_url(char *buf, size_t size, const char *path)
{
	snprintf(buf, size, "https://127.0.0.1:%d/%s", S.tls.port, path);
}

/* A fresh cache folder path for one test (not created: fetch does it). */
static void cache_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/cache-%s", S.dir, name);
}

static void cache_file(char *buf, size_t size, const char *cache,
		       const char *name)
{
	snprintf(buf, size, "%s/%s", cache, name);
}

static void src_init(bp_source *s, const char *id, const char *url)
{
	memset(s, 0, sizeof(*s));
	s->kind = BP_SRC_CONTACTS;
	s->id = (char *)id;
	s->url = (char *)url;
	s->preset = (char *)"csv";
	s->channel = -1;
	s->timeout_s = 30;
	s->max_bytes = 1 << 20;
	s->retries = 2;
}

static void cfg_init(bp_config *c, bp_source *srcs, size_t n)
{
	memset(c, 0, sizeof(*c));
	c->sources = srcs;
	c->n_sources = n;
	c->ca_file = S.ca;
}

/* How many requests for exactly `path` a server logged. */
static int requests_in(const server *srv, const char *path)
{
	char *log = tl_try_read_file(srv->log, NULL), *line, *save = NULL;
	char want[512];
	int n = 0;

	if (!log)
		return 0;
	snprintf(want, sizeof(want), "GET\t%s\t", path);
	for (line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, want, strlen(want)) == 0)
			n++;
	free(log);
	return n;
}

static int requests_for(const char *path)
{
	return requests_in(&S.tls, path);
}

/* The Authorization header of the last request for `path` ("-" when
 * none), copied into buf. */
static void auth_for(const char *path, char *buf, size_t size)
{
	char *log = tl_try_read_file(S.tls.log, NULL), *line, *save = NULL;
	char want[512];

	snprintf(buf, size, "(no request)");
	if (!log)
		return;
	snprintf(want, sizeof(want), "GET\t%s\t", path);
	for (line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, want, strlen(want)) == 0)
			snprintf(buf, size, "%s", line + strlen(want));
	free(log);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Fetches one source into a fresh cache; returns bp_fetch_all's result. */
static int fetch_one(bp_source *src, const char *cache, bp_err *err)
{
	bp_config cfg;

	cfg_init(&cfg, src, 1);
	bp_err_clear(err);
	return bp_fetch_all(&cfg, cache, 0, NULL, err);
}

/* ---- the server ---------------------------------------------------------- */

static void start_server(server *srv, int plain)
{
	const char *argv[16];
	char portfile[128];
	int k = 0;

	snprintf(portfile, sizeof(portfile), "%s/port-%d", S.dir, plain);
	snprintf(srv->log, sizeof(srv->log), "%s/requests-%d.log", S.dir, plain);
	argv[k++] = tl_python();
	argv[k++] = tl_src_file("tests/integration/https_server.py");
	argv[k++] = "--root"; argv[k++] = S.www;
	argv[k++] = "--cert"; argv[k++] = tl_path(S.dir, "tls/server.pem");
	argv[k++] = "--key"; argv[k++] = tl_path(S.dir, "tls/server.key");
	argv[k++] = "--port-file"; argv[k++] = portfile;
	argv[k++] = "--log"; argv[k++] = srv->log;
	if (plain)
		argv[k++] = "--plain";
	argv[k] = NULL;
	srv->pid = tl_server_start(argv, portfile, &srv->port);
}

static int group_setup(void **state)
{
	char big[4097];

	(void)state;
	/* Run from elsewhere, fail before anything is made. */
	tl_src_file("tests/integration/https_server.py");
	setenv("BOARDPACK_RETRY_BASE_MS", "50", 1);
	setenv("BP_TEST_TOKEN", SECRET_TOKEN, 1);
	setenv("BP_TEST_USER", "ana", 1);
	setenv("BP_TEST_PASSWORD", "pa55", 1);
	bp_log_set_level(BP_LOG_QUIET);
	S.dir = tl_tmpdir("/tmp/bp-fetch-XXXXXX");
	snprintf(S.www, sizeof(S.www), "%s/www", S.dir);
	snprintf(S.ca, sizeof(S.ca), "%s/tls/ca.pem", S.dir);
	snprintf(S.other_ca, sizeof(S.other_ca), "%s/tls/other-ca.pem", S.dir);
	tl_make_ca(tl_path(S.dir, "tls"));
	if (mkdir(S.www, 0700) < 0)
		return -1;
	tl_write_file(tl_path(S.www, "contacts.csv"), CONTACTS);
	memset(big, 'x', 4096);
	big[4096] = '\0';
	tl_write_file(tl_path(S.www, "big.csv"), big);
	start_server(&S.tls, 0);
	start_server(&S.plain, 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tl_server_stop(S.tls.pid);
	tl_server_stop(S.plain.pid);
	tl_rmtree(S.dir);
	free(S.dir);
	return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void test_fetch_path_is_cache_slash_id_or_the_local_file(void **state)
{
	bp_source src;
	char *p;

	(void)state;
	src_init(&src, "crm", "https://example.com/contacts.csv");
	p = bp_fetch_path("/var/cache/bp", &src);
	assert_string_equal(p, "/var/cache/bp/crm");
	free(p);
	/* A local file is read where it is. */
	src_init(&src, "crm", "file:///data/hub%20spot/contacts.csv");
	p = bp_fetch_path("/var/cache/bp", &src);
	assert_string_equal(p, "/data/hub spot/contacts.csv");
	free(p);
}

/* A file:// source is checked and read in place: nothing is copied into
 * the cache, and the cache folder still exists for the other sources. */
static void test_fetch_file_url_read_in_place(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256];

	(void)state;
	snprintf(url, sizeof(url), "file://%s/contacts.csv", S.www);
	cache_path(cache, sizeof(cache), "file");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	cache_file(out, sizeof(out), cache, "crm");
	assert_false(tl_exists(out));
	assert_true(tl_exists(cache));
}

/* What a download would be refused for, a local file is refused for. */
static void test_fetch_file_url_empty_or_too_large_refused(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	tl_write_file(tl_path(S.www, "empty-local.csv"), "");
	snprintf(url, sizeof(url), "file://%s/empty-local.csv", S.www);
	cache_path(cache, sizeof(cache), "file-empty");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_non_null(strstr(err.msg, "source 'crm' is an empty file"));

	snprintf(url, sizeof(url), "file://%s/contacts.csv", S.www);
	src_init(&src, "crm", url);
	src.max_bytes = 10;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_non_null(strstr(err.msg, "is larger than 10 bytes"));

	snprintf(url, sizeof(url), "file://%s", S.www);
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_ENOINPUT);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

static void test_fetch_missing_file_url_is_no_input(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	snprintf(url, sizeof(url), "file://%s/absent.csv", S.www);
	cache_path(cache, sizeof(cache), "file-missing");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_ENOINPUT);
	assert_non_null(strstr(err.msg, "'crm'"));
}

static void test_fetch_https_with_right_ca(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256];
	char *got;

	(void)state;
	https_url(url, sizeof(url), "contacts.csv");
	cache_path(cache, sizeof(cache), "https");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	cache_file(out, sizeof(out), cache, "crm");
	got = tl_read_file(out, NULL);
	assert_non_null(got);
	assert_int_equal(strlen(got), CONTACTS_LEN);
	assert_string_equal(got, CONTACTS);
	free(got);
}

static void test_fetch_source_ca_file_overrides_global(void **state)
{
	bp_source src;
	bp_config cfg;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "contacts.csv");
	cache_path(cache, sizeof(cache), "source-ca");
	src_init(&src, "crm", url);
	src.ca_file = S.ca;
	cfg_init(&cfg, &src, 1);
	cfg.ca_file = S.other_ca;
	assert_int_equal(bp_fetch_all(&cfg, cache, 0, NULL, &err), 0);
}

static void test_fetch_wrong_ca_is_unavailable_and_writes_nothing(void **state)
{
	bp_source src;
	bp_config cfg;
	bp_err err;
	char url[256], cache[160], out[256], part[256];

	(void)state;
	https_url(url, sizeof(url), "contacts.csv");
	cache_path(cache, sizeof(cache), "wrong-ca");
	src_init(&src, "crm", url);
	cfg_init(&cfg, &src, 1);
	cfg.ca_file = S.other_ca;
	assert_int_equal(bp_fetch_all(&cfg, cache, 0, NULL, &err), -1);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_non_null(strstr(err.msg, "'crm'"));
	assert_non_null(strstr(err.msg, "certificate"));
	cache_file(out, sizeof(out), cache, "crm");
	cache_file(part, sizeof(part), cache, ".crm.part");
	assert_false(tl_exists(out));
	assert_false(tl_exists(part));
}

static void test_fetch_missing_ca_file_is_config_error(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], ca[128];

	(void)state;
	snprintf(ca, sizeof(ca), "%s/tls/absent-ca.pem", S.dir);
	https_url(url, sizeof(url), "contacts.csv?absent-ca");
	cache_path(cache, sizeof(cache), "absent-ca");
	src_init(&src, "crm", url);
	src.ca_file = ca;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.msg, "absent-ca.pem"));
	assert_int_equal(requests_for("/contacts.csv?absent-ca"), 0);
}

static void test_fetch_500_then_200_is_retried(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256];
	char *got;

	(void)state;
	https_url(url, sizeof(url), "flaky/1/contacts.csv");
	cache_path(cache, sizeof(cache), "flaky");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	assert_int_equal(requests_for("/flaky/1/contacts.csv"), 2);
	cache_file(out, sizeof(out), cache, "crm");
	got = tl_read_file(out, NULL);
	assert_non_null(got);
	assert_string_equal(got, CONTACTS);
	free(got);
}

static void test_fetch_503_gives_up_after_retries(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "status/503/giveup.csv");
	cache_path(cache, sizeof(cache), "giveup");
	src_init(&src, "crm", url);
	src.retries = 2;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_non_null(strstr(err.msg, "503"));
	assert_int_equal(requests_for("/status/503/giveup.csv"), 3);
}

/* A server that keeps asking for fewer requests: try again later (75),
 * as the connectors say; one that refuses the credentials: the config's
 * (78), at once. */
static void test_fetch_429_given_up_is_temporary(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "status/429/busy.csv");
	cache_path(cache, sizeof(cache), "busy");
	src_init(&src, "crm", url);
	src.retries = 1;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_ETEMPFAIL);
	assert_non_null(strstr(err.msg, "HTTP 429, try again later"));
	assert_int_equal(requests_for("/status/429/busy.csv"), 2);
}

static void test_fetch_401_is_the_configs_without_retry(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "status/401/locked.csv");
	cache_path(cache, sizeof(cache), "locked");
	src_init(&src, "crm", url);
	src.retries = 2;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.msg, "HTTP 401: the server refused the request's credentials"));
	assert_int_equal(requests_for("/status/401/locked.csv"), 1);
}

static void test_fetch_404_is_unavailable_without_retry(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "absent.csv");
	cache_path(cache, sizeof(cache), "404");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_non_null(strstr(err.msg, "404"));
	assert_non_null(strstr(err.msg, "'crm'"));
	assert_int_equal(requests_for("/absent.csv"), 1);
}

static void test_fetch_429_waits_for_retry_after(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];
	struct timespec t0;

	(void)state;
	https_url(url, sizeof(url), "429/contacts.csv");
	cache_path(cache, sizeof(cache), "429");
	src_init(&src, "crm", url);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	/* Retry-After: 1 outweighs the 50 ms backoff the tests configure. */
	assert_true(seconds_since(&t0) >= 0.95);
	assert_int_equal(requests_for("/429/contacts.csv"), 2);
}

static void test_fetch_429_with_http_date_is_retried(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "429date/contacts.csv");
	cache_path(cache, sizeof(cache), "429date");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	assert_int_equal(requests_for("/429date/contacts.csv"), 2);
}

static void test_fetch_html_page_rejected_and_earlier_kept(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256], part[256];
	char *got;

	(void)state;
	https_url(url, sizeof(url), "html/contacts.csv");
	cache_path(cache, sizeof(cache), "html");
	assert_int_equal(mkdir(cache, 0700), 0);
	cache_file(out, sizeof(out), cache, "crm");
	tl_write_file_mode(out, "earlier,download\n", 0600);
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_non_null(strstr(err.msg, "source 'crm' returned an HTML page, "
				"not an export (a login page?)"));
	got = tl_read_file(out, NULL);
	assert_non_null(got);
	assert_string_equal(got, "earlier,download\n");
	cache_file(part, sizeof(part), cache, ".crm.part");
	assert_false(tl_exists(part));
	free(got);
}

static void test_fetch_html_body_under_csv_type_rejected(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "htmlbody/contacts.csv");
	cache_path(cache, sizeof(cache), "htmlbody");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_non_null(strstr(err.msg, "HTML page"));
}

static void test_fetch_html_content_type_rejected(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "htmltype/contacts.csv");
	cache_path(cache, sizeof(cache), "htmltype");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_non_null(strstr(err.msg, "HTML page"));
}

static void test_fetch_empty_body_rejected(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256];

	(void)state;
	https_url(url, sizeof(url), "empty/contacts.csv");
	cache_path(cache, sizeof(cache), "empty");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_non_null(strstr(err.msg, "source 'crm' returned an empty file"));
	cache_file(out, sizeof(out), cache, "crm");
	assert_false(tl_exists(out));
}

static void test_fetch_bearer_token_env_reaches_server(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], auth[256];

	(void)state;
	https_url(url, sizeof(url), "auth/contacts.csv");
	cache_path(cache, sizeof(cache), "bearer");
	src_init(&src, "crm", url);
	src.token_env = (char *)"BP_TEST_TOKEN";
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	auth_for("/auth/contacts.csv", auth, sizeof(auth));
	assert_string_equal(auth, "Bearer " SECRET_TOKEN);
}

static void test_fetch_token_absent_from_failure_message(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], auth[256];

	(void)state;
	setenv("BP_TEST_WRONG_TOKEN", "wrong-s3cr3t-token", 1);
	https_url(url, sizeof(url), "auth/denied.csv?api_key=query-s3cr3t");
	cache_path(cache, sizeof(cache), "bearer-denied");
	src_init(&src, "crm", url);
	src.token_env = (char *)"BP_TEST_WRONG_TOKEN";
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.msg, "401"));
	assert_non_null(strstr(err.msg, "check the token in $BP_TEST_WRONG_TOKEN"));
	assert_null(strstr(err.msg, "wrong-s3cr3t-token"));
	assert_null(strstr(err.msg, "query-s3cr3t"));
	auth_for("/auth/denied.csv?api_key=query-s3cr3t", auth, sizeof(auth));
	assert_string_equal(auth, "Bearer wrong-s3cr3t-token");
}

static void test_fetch_userinfo_absent_from_failure_message(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	snprintf(url, sizeof(url), "https://ana:userinfo-s3cr3t@127.0.0.1:%d/"
		 "absent-userinfo.csv", S.tls.port);
	cache_path(cache, sizeof(cache), "userinfo");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_non_null(strstr(err.msg, "127.0.0.1"));
	assert_null(strstr(err.msg, "userinfo-s3cr3t"));
}

static void test_fetch_missing_token_env_names_variable(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	unsetenv("BP_TEST_NO_SUCH_TOKEN");
	https_url(url, sizeof(url), "auth/noenv.csv");
	cache_path(cache, sizeof(cache), "noenv");
	src_init(&src, "crm", url);
	src.token_env = (char *)"BP_TEST_NO_SUCH_TOKEN";
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.msg, "BP_TEST_NO_SUCH_TOKEN"));
	assert_int_equal(requests_for("/auth/noenv.csv"), 0);
}

static void test_fetch_token_file_0644_refused(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], tok[256];

	(void)state;
	snprintf(tok, sizeof(tok), "%s/token-0644", S.dir);
	tl_write_file_mode(tok, "file-s3cr3t\n", 0644);
	https_url(url, sizeof(url), "auth/tokfile-open.csv");
	cache_path(cache, sizeof(cache), "tokfile-open");
	src_init(&src, "crm", url);
	src.token_file = tok;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.msg, "token-0644"));
	assert_null(strstr(err.msg, "file-s3cr3t"));
	assert_int_equal(requests_for("/auth/tokfile-open.csv"), 0);
}

static void test_fetch_token_file_0600_used_without_newline(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], tok[256], auth[256];

	(void)state;
	snprintf(tok, sizeof(tok), "%s/token-0600", S.dir);
	tl_write_file_mode(tok, SECRET_TOKEN "\n", 0600);
	https_url(url, sizeof(url), "auth/contacts.csv?tokfile");
	cache_path(cache, sizeof(cache), "tokfile");
	src_init(&src, "crm", url);
	src.token_file = tok;
	if (fetch_one(&src, cache, &err) != 0)
		fail_msg("%s", err.msg);
	auth_for("/auth/contacts.csv?tokfile", auth, sizeof(auth));
	assert_string_equal(auth, "Bearer " SECRET_TOKEN);
}

static void test_fetch_basic_auth_from_env(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], auth[256];

	(void)state;
	https_url(url, sizeof(url), "basic/contacts.csv");
	cache_path(cache, sizeof(cache), "basic");
	src_init(&src, "crm", url);
	src.user_env = (char *)"BP_TEST_USER";
	src.password_env = (char *)"BP_TEST_PASSWORD";
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	auth_for("/basic/contacts.csv", auth, sizeof(auth));
	/* base64("ana:pa55"), worked out by hand. */
	assert_string_equal(auth, "Basic YW5hOnBhNTU=");
}

static void test_fetch_plain_http_refused_without_opt_in(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/contacts.csv",
		 S.plain.port);
	cache_path(cache, sizeof(cache), "http");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.msg, "'crm'"));
	assert_non_null(strstr(err.msg, "http://"));
	assert_int_equal(requests_in(&S.plain, "/contacts.csv"), 0);
}

static void test_fetch_plain_http_allowed_with_opt_in(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256];
	char *got;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/contacts.csv?opt-in",
		 S.plain.port);
	cache_path(cache, sizeof(cache), "http-opt-in");
	src_init(&src, "crm", url);
	src.insecure_http = 1;
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	assert_int_equal(requests_in(&S.plain, "/contacts.csv?opt-in"), 1);
	cache_file(out, sizeof(out), cache, "crm");
	got = tl_read_file(out, NULL);
	assert_non_null(got);
	assert_string_equal(got, CONTACTS);
	free(got);
}

static void test_fetch_other_scheme_refused(void **state)
{
	bp_source src;
	bp_err err;
	char cache[160];

	(void)state;
	cache_path(cache, sizeof(cache), "ftp");
	src_init(&src, "crm", "ftp://127.0.0.1/contacts.csv");
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.msg, "'crm'"));
}

static void test_fetch_redirect_followed(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "redirect/contacts.csv");
	cache_path(cache, sizeof(cache), "redirect");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	assert_int_equal(requests_for("/redirect/contacts.csv"), 1);
}

static void test_fetch_redirect_to_plain_http_refused(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], path[128];

	(void)state;
	snprintf(path, sizeof(path), "redirect-http/%d/contacts.csv?downgrade",
		 S.plain.port);
	https_url(url, sizeof(url), path);
	cache_path(cache, sizeof(cache), "redirect-http");
	src_init(&src, "crm", url);
	src.retries = 0;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_non_null(strstr(err.msg, "'crm'"));
	assert_int_equal(requests_in(&S.plain, "/contacts.csv?downgrade"), 0);
}

static void test_fetch_redirect_to_http_refused_even_with_opt_in(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], path[128];

	(void)state;
	snprintf(path, sizeof(path), "redirect-http/%d/contacts.csv?opt-in-down",
		 S.plain.port);
	https_url(url, sizeof(url), path);
	cache_path(cache, sizeof(cache), "redirect-http-opt-in");
	src_init(&src, "crm", url);
	src.insecure_http = 1;
	src.retries = 0;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_int_equal(requests_in(&S.plain, "/contacts.csv?opt-in-down"), 0);
}

static void test_fetch_size_cap_with_content_length(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256];

	(void)state;
	https_url(url, sizeof(url), "big.csv");
	cache_path(cache, sizeof(cache), "cap");
	src_init(&src, "crm", url);
	src.max_bytes = 1000;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_non_null(strstr(err.msg, "larger than 1000 bytes"));
	cache_file(out, sizeof(out), cache, "crm");
	assert_false(tl_exists(out));
}

static void test_fetch_size_cap_without_content_length(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256], part[256];

	(void)state;
	https_url(url, sizeof(url), "nolength/big.csv");
	cache_path(cache, sizeof(cache), "cap-stream");
	src_init(&src, "crm", url);
	src.max_bytes = 1000;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_non_null(strstr(err.msg, "larger than 1000 bytes"));
	cache_file(out, sizeof(out), cache, "crm");
	cache_file(part, sizeof(part), cache, ".crm.part");
	assert_false(tl_exists(out));
	assert_false(tl_exists(part));
}

static void test_fetch_body_of_exactly_the_cap_accepted(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "nolength/contacts.csv");
	cache_path(cache, sizeof(cache), "cap-exact");
	src_init(&src, "crm", url);
	src.max_bytes = CONTACTS_LEN;
	assert_int_equal(fetch_one(&src, cache, &err), 0);
}

static void test_fetch_connection_refused_is_unavailable(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];
	int fd, port;

	(void)state;
	port = tl_refused_port(&fd);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/x.csv", port);
	cache_path(cache, sizeof(cache), "refused");
	src_init(&src, "crm", url);
	src.retries = 1;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	close(fd);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_non_null(strstr(err.msg, "after 2 attempts"));
}

static void test_fetch_transfer_timeout_is_unavailable(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];
	struct timespec t0;

	(void)state;
	https_url(url, sizeof(url), "slow/3/contacts.csv");
	cache_path(cache, sizeof(cache), "timeout");
	src_init(&src, "crm", url);
	src.timeout_s = 1;
	src.retries = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_true(seconds_since(&t0) < 2.5);
}

static void test_fetch_sources_download_in_parallel(void **state)
{
	bp_source src[3];
	bp_config cfg;
	bp_err err;
	char url[3][256], cache[160], out[256];
	const char *ids[3] = { "a", "b", "c" };
	struct timespec t0;

	(void)state;
	cache_path(cache, sizeof(cache), "parallel");
	for (int i = 0; i < 3; i++) {
		char path[64];
		snprintf(path, sizeof(path), "slow/1/contacts.csv?%d", i);
		https_url(url[i], sizeof(url[i]), path);
		src_init(&src[i], ids[i], url[i]);
	}
	cfg_init(&cfg, src, 3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(bp_fetch_all(&cfg, cache, 0, NULL, &err), 0);
	/* One after another would take 3 s. */
	assert_true(seconds_since(&t0) < 2.5);
	for (int i = 0; i < 3; i++) {
		cache_file(out, sizeof(out), cache, ids[i]);
		assert_true(tl_exists(out));
	}
}

static void test_fetch_creates_nested_cache_folder(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	snprintf(url, sizeof(url), "file://%s/contacts.csv", S.www);
	snprintf(cache, sizeof(cache), "%s/nested/deeper/cache", S.dir);
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	assert_true(tl_exists(cache));
}

static void test_fetch_offline_without_earlier_download(void **state)
{
	bp_source src;
	bp_config cfg;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "offline-none.csv");
	cache_path(cache, sizeof(cache), "offline-none");
	src_init(&src, "crm", url);
	cfg_init(&cfg, &src, 1);
	assert_int_equal(bp_fetch_all(&cfg, cache, 1, NULL, &err), -1);
	assert_int_equal(err.code, BP_ENOINPUT);
	assert_string_equal(err.msg, "no earlier download of source 'crm' "
			    "(run without --offline first)");
	assert_int_equal(requests_for("/offline-none.csv"), 0);
}

static void test_fetch_offline_with_earlier_download(void **state)
{
	bp_source src;
	bp_config cfg;
	bp_err err;
	char url[256], cache[160], out[256];
	char *got;

	(void)state;
	https_url(url, sizeof(url), "offline-some.csv");
	cache_path(cache, sizeof(cache), "offline-some");
	assert_int_equal(mkdir(cache, 0700), 0);
	cache_file(out, sizeof(out), cache, "crm");
	tl_write_file_mode(out, "kept\n", 0600);
	src_init(&src, "crm", url);
	cfg_init(&cfg, &src, 1);
	assert_int_equal(bp_fetch_all(&cfg, cache, 1, NULL, &err), 0);
	assert_int_equal(requests_for("/offline-some.csv"), 0);
	got = tl_read_file(out, NULL);
	assert_string_equal(got, "kept\n");
	free(got);
}

/* The login-page check looks past what a page may start with, and
 * never mistakes an export for a page. */
static void test_fetch_is_html_looks_past_comments_and_space(void **state)
{
	static const char page[] = "<html><body><form>Sign in</form></body></html>";
	char buf[4096];

	(void)state;
	snprintf(buf, sizeof(buf), "<!-- build 42 -->\n%s", page);
	assert_true(bp_fetch_is_html(buf, strlen(buf), "text/csv"));
	memset(buf, ' ', 1500);
	snprintf(buf + 1500, sizeof(buf) - 1500, "\n%s", page);
	assert_true(bp_fetch_is_html(buf, strlen(buf), NULL));
	snprintf(buf, sizeof(buf), "\xEF\xBB\xBF \r\n<!--a--> <!-- b -->"
		 "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">x");
	assert_true(bp_fetch_is_html(buf, strlen(buf), NULL));
	snprintf(buf, sizeof(buf), "<?xml version=\"1.0\"?>\n<html xmlns=\"x\">");
	assert_true(bp_fetch_is_html(buf, strlen(buf), NULL));
	snprintf(buf, sizeof(buf), "\n\n<HEAD><TITLE>Login</TITLE>");
	assert_true(bp_fetch_is_html(buf, strlen(buf), NULL));
	/* A comment longer than what was read: still no export. */
	snprintf(buf, sizeof(buf), "<!-- %0*d", 2000, 0);
	assert_true(bp_fetch_is_html(buf, strlen(buf), NULL));
	assert_true(bp_fetch_is_html("a,b\n", 4, " Text/HTML; charset=utf-8"));
	assert_true(bp_fetch_is_html("a,b\n", 4, "application/xhtml+xml"));
	/* Exports, even with markup in a value or a BOM first. */
	snprintf(buf, sizeof(buf), "\xEF\xBB\xBFRecord ID,Email\n1,<html>@x\n");
	assert_false(bp_fetch_is_html(buf, strlen(buf), "text/csv"));
	assert_false(bp_fetch_is_html("\n\nDay,Cost\n", 12, NULL));
	assert_false(bp_fetch_is_html("", 0, NULL));
}

static int refuse_all(void *ctx, const bp_source *src, const char *path,
		      bp_err *err)
{
	char *got = tl_read_file(path, NULL);

	/* The check sees the complete download under its staging name. */
	assert_string_equal(got, CONTACTS);
	free(got);
	++*(int *)ctx;
	return bp_err_at(err, BP_EDATA, src->url, 0, 0, "no header row");
}

/* A body the check refuses never replaces the last good download, and
 * the error says the cache kept it. */
static void test_fetch_check_refusal_keeps_earlier_download(void **state)
{
	bp_source src;
	bp_config cfg;
	bp_err err;
	int calls = 0;
	bp_fetch_check check = { refuse_all, &calls };
	char url[256], cache[160], out[256];
	char *got;

	(void)state;
	https_url(url, sizeof(url), "contacts.csv");
	cache_path(cache, sizeof(cache), "check-refused");
	assert_int_equal(mkdir(cache, 0700), 0);
	cache_file(out, sizeof(out), cache, "crm");
	tl_write_file_mode(out, "earlier,download\n", 0600);
	src_init(&src, "crm", url);
	cfg_init(&cfg, &src, 1);
	assert_int_equal(bp_fetch_all_checked(&cfg, cache, 0, NULL, &check, &err), -1);
	assert_int_equal(calls, 1);
	assert_int_equal(err.code, BP_EDATA);
	assert_non_null(strstr(err.msg, "no header row; the last good download ("));
	assert_non_null(strstr(err.msg, "is kept in the cache and was not replaced"));
	got = tl_read_file(out, NULL);
	assert_string_equal(got, "earlier,download\n");
	free(got);
	assert_int_equal(tl_count_entries(cache), 1);
}

static void test_fetch_check_refusal_without_earlier_says_so(void **state)
{
	bp_source src;
	bp_config cfg;
	bp_err err;
	int calls = 0;
	bp_fetch_check check = { refuse_all, &calls };
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "contacts.csv");
	cache_path(cache, sizeof(cache), "check-refused-first");
	src_init(&src, "crm", url);
	cfg_init(&cfg, &src, 1);
	assert_int_equal(bp_fetch_all_checked(&cfg, cache, 0, NULL, &check, &err), -1);
	assert_non_null(strstr(err.msg, "; nothing was written to the cache"));
	assert_int_equal(tl_count_entries(cache), 0);
}

/* Another user could plant a link in a cache folder they can write. */
static void test_fetch_cache_folder_others_can_write_refused(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160];

	(void)state;
	https_url(url, sizeof(url), "contacts.csv");
	cache_path(cache, sizeof(cache), "open");
	assert_int_equal(mkdir(cache, 0700), 0);
	assert_int_equal(chmod(cache, 0773), 0);
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_ECANTCREAT);
	assert_non_null(strstr(err.msg, "cache folder '"));
	assert_non_null(strstr(err.msg, "is writable by others (mode 0773)"));
	assert_non_null(strstr(err.msg, "chmod go-w"));
	assert_int_equal(tl_count_entries(cache), 0);
}

/* --offline reads a cache entry only as a file of its own, never through
 * a link to whatever its planter chose. */
static void test_fetch_offline_refuses_link_in_cache(void **state)
{
	bp_source src;
	bp_config cfg;
	bp_err err;
	char url[256], cache[160], out[256];

	(void)state;
	https_url(url, sizeof(url), "offline-link.csv");
	cache_path(cache, sizeof(cache), "offline-link");
	assert_int_equal(mkdir(cache, 0700), 0);
	cache_file(out, sizeof(out), cache, "crm");
	assert_int_equal(symlink("/etc/passwd", out), 0);
	src_init(&src, "crm", url);
	cfg_init(&cfg, &src, 1);
	assert_int_equal(bp_fetch_all(&cfg, cache, 1, NULL, &err), -1);
	assert_int_equal(err.code, BP_ENOINPUT);
	assert_non_null(strstr(err.msg, "is a symbolic link"));
}

/* ---- downloads cut short ------------------------------------------------- */

/* A cache folder holding `bytes` as the earlier download of "crm"; its
 * path in `cache`, the file's in `out`. */
static void earlier_download(const char *name, const char *bytes, char *cache,
			     size_t cache_size, char *out, size_t out_size)
{
	cache_path(cache, cache_size, name);
	assert_int_equal(mkdir(cache, 0700), 0);
	cache_file(out, out_size, cache, "crm");
	tl_write_file_mode(out, bytes, 0600);
}

static void assert_file_is(const char *path, const char *want)
{
	char *got = tl_read_file(path, NULL);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* Chunked without its last chunk: curl tells, every attempt fails, the
 * error says it was cut short, and the earlier download stays alone. */
static void test_fetch_chunked_body_cut_short_keeps_earlier(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256];

	(void)state;
	earlier_download("cut-chunked", "earlier,download\n", cache,
			 sizeof(cache), out, sizeof(out));
	https_url(url, sizeof(url), "cutchunked/contacts.csv");
	src_init(&src, "crm", url);
	src.retries = 1;
	assert_int_equal(fetch_one(&src, cache, &err), -1);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_non_null(strstr(err.msg, "cannot download source 'crm' from "));
	assert_non_null(strstr(err.msg, "/cutchunked/contacts.csv: the download "
				"was cut short: the connection ended after 20 "
				"bytes, before the end of the export ("));
	assert_non_null(strstr(err.msg, "(after 2 attempts); the last good "
				"download ("));
	assert_non_null(strstr(err.msg, "is kept in the cache and was not replaced"));
	assert_int_equal(requests_for("/cutchunked/contacts.csv"), 2);
	assert_file_is(out, "earlier,download\n");
	assert_int_equal(tl_count_entries(cache), 1);
}

/* Ended by a close, no Content-Length: HTTP takes half a file for whole,
 * so it replaces the cache's with the earlier one kept beside it, which a
 * failed read puts back, saying so. */
static void test_fetch_close_ended_body_put_back_when_unread(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256], good[256];

	(void)state;
	earlier_download("cut-close", "earlier,download\n", cache, sizeof(cache),
			 out, sizeof(out));
	cache_file(good, sizeof(good), cache, ".crm.good");
	https_url(url, sizeof(url), "cutclose/contacts.csv");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	assert_file_is(out, "id,email\n1,a@example");
	assert_file_is(good, "earlier,download\n");

	bp_err_set(&err, BP_EDATA, "unterminated quote");
	bp_fetch_settle(cache, &src, BP_FETCH_READ_CUT, &err);
	assert_int_equal(err.code, BP_EDATA);
	assert_non_null(strstr(err.msg, "unterminated quote; the last good "
				"download ("));
	assert_non_null(strstr(err.msg, " UTC) was put back in the cache in place "
				"of this one (run --offline reads it)"));
	assert_file_is(out, "earlier,download\n");
	assert_false(tl_exists(good));
	assert_int_equal(tl_count_entries(cache), 1);
}

/* Read whole, the new download is the last good one: nothing is kept. */
static void test_fetch_settle_after_whole_read_drops_earlier(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256], good[256];

	(void)state;
	earlier_download("settle-ok", "earlier,download\n", cache, sizeof(cache),
			 out, sizeof(out));
	cache_file(good, sizeof(good), cache, ".crm.good");
	https_url(url, sizeof(url), "contacts.csv");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	assert_true(tl_exists(good));
	bp_err_clear(&err);
	bp_fetch_settle(cache, &src, BP_FETCH_READ_WHOLE, &err);
	assert_int_equal(err.code, 0);
	assert_false(tl_exists(good));
	assert_file_is(out, CONTACTS);
	/* Nothing kept, nothing to put back: the message is left alone. */
	bp_err_set(&err, BP_EDATA, "bad row");
	bp_fetch_settle(cache, &src, BP_FETCH_READ_CUT, &err);
	assert_string_equal(err.msg, "bad row");
	assert_file_is(out, CONTACTS);
}

/* Two downloads that no run read: the one kept is the one before both,
 * the last that was read whole. */
static void test_fetch_unread_download_never_becomes_the_kept_one(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256], good[256];

	(void)state;
	earlier_download("unread-twice", "earlier,download\n", cache,
			 sizeof(cache), out, sizeof(out));
	cache_file(good, sizeof(good), cache, ".crm.good");
	https_url(url, sizeof(url), "cutclose/contacts.csv");
	src_init(&src, "crm", url);
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	https_url(url, sizeof(url), "contacts.csv");
	assert_int_equal(fetch_one(&src, cache, &err), 0);
	assert_file_is(out, CONTACTS);
	assert_file_is(good, "earlier,download\n");
	bp_fetch_settle(cache, &src, BP_FETCH_READ_CUT, NULL);
	assert_file_is(out, "earlier,download\n");
	assert_false(tl_exists(good));
}

/* A kept copy that is a link is never read through: left, and said. */
static void test_fetch_settle_refuses_a_planted_link(void **state)
{
	bp_source src;
	bp_err err;
	char url[256], cache[160], out[256], good[256], target[256];

	(void)state;
	earlier_download("settle-link", "new,download\n", cache, sizeof(cache),
			 out, sizeof(out));
	cache_file(good, sizeof(good), cache, ".crm.good");
	cache_file(target, sizeof(target), cache, "elsewhere");
	tl_write_file_mode(target, "planted\n", 0600);
	assert_int_equal(symlink(target, good), 0);
	https_url(url, sizeof(url), "contacts.csv");
	src_init(&src, "crm", url);
	bp_err_set(&err, BP_EDATA, "bad row");
	bp_fetch_settle(cache, &src, BP_FETCH_READ_CUT, &err);
	assert_non_null(strstr(err.msg, "bad row; the last good download ('"));
	assert_non_null(strstr(err.msg, "is not a regular file and was not put back"));
	assert_file_is(out, "new,download\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_path_is_cache_slash_id_or_the_local_file),
		cmocka_unit_test(test_fetch_file_url_read_in_place),
		cmocka_unit_test(test_fetch_file_url_empty_or_too_large_refused),
		cmocka_unit_test(test_fetch_missing_file_url_is_no_input),
		cmocka_unit_test(test_fetch_https_with_right_ca),
		cmocka_unit_test(test_fetch_source_ca_file_overrides_global),
		cmocka_unit_test(test_fetch_wrong_ca_is_unavailable_and_writes_nothing),
		cmocka_unit_test(test_fetch_missing_ca_file_is_config_error),
		cmocka_unit_test(test_fetch_500_then_200_is_retried),
		cmocka_unit_test(test_fetch_503_gives_up_after_retries),
		cmocka_unit_test(test_fetch_429_given_up_is_temporary),
		cmocka_unit_test(test_fetch_401_is_the_configs_without_retry),
		cmocka_unit_test(test_fetch_404_is_unavailable_without_retry),
		cmocka_unit_test(test_fetch_429_waits_for_retry_after),
		cmocka_unit_test(test_fetch_429_with_http_date_is_retried),
		cmocka_unit_test(test_fetch_html_page_rejected_and_earlier_kept),
		cmocka_unit_test(test_fetch_html_body_under_csv_type_rejected),
		cmocka_unit_test(test_fetch_html_content_type_rejected),
		cmocka_unit_test(test_fetch_empty_body_rejected),
		cmocka_unit_test(test_fetch_bearer_token_env_reaches_server),
		cmocka_unit_test(test_fetch_token_absent_from_failure_message),
		cmocka_unit_test(test_fetch_userinfo_absent_from_failure_message),
		cmocka_unit_test(test_fetch_missing_token_env_names_variable),
		cmocka_unit_test(test_fetch_token_file_0644_refused),
		cmocka_unit_test(test_fetch_token_file_0600_used_without_newline),
		cmocka_unit_test(test_fetch_basic_auth_from_env),
		cmocka_unit_test(test_fetch_plain_http_refused_without_opt_in),
		cmocka_unit_test(test_fetch_plain_http_allowed_with_opt_in),
		cmocka_unit_test(test_fetch_other_scheme_refused),
		cmocka_unit_test(test_fetch_redirect_followed),
		cmocka_unit_test(test_fetch_redirect_to_plain_http_refused),
		cmocka_unit_test(test_fetch_redirect_to_http_refused_even_with_opt_in),
		cmocka_unit_test(test_fetch_size_cap_with_content_length),
		cmocka_unit_test(test_fetch_size_cap_without_content_length),
		cmocka_unit_test(test_fetch_body_of_exactly_the_cap_accepted),
		cmocka_unit_test(test_fetch_connection_refused_is_unavailable),
		cmocka_unit_test(test_fetch_transfer_timeout_is_unavailable),
		cmocka_unit_test(test_fetch_sources_download_in_parallel),
		cmocka_unit_test(test_fetch_creates_nested_cache_folder),
		cmocka_unit_test(test_fetch_offline_without_earlier_download),
		cmocka_unit_test(test_fetch_offline_with_earlier_download),
		cmocka_unit_test(test_fetch_is_html_looks_past_comments_and_space),
		cmocka_unit_test(test_fetch_check_refusal_keeps_earlier_download),
		cmocka_unit_test(test_fetch_check_refusal_without_earlier_says_so),
		cmocka_unit_test(test_fetch_cache_folder_others_can_write_refused),
		cmocka_unit_test(test_fetch_offline_refuses_link_in_cache),
		cmocka_unit_test(test_fetch_chunked_body_cut_short_keeps_earlier),
		cmocka_unit_test(test_fetch_close_ended_body_put_back_when_unread),
		cmocka_unit_test(test_fetch_settle_after_whole_read_drops_earlier),
		cmocka_unit_test(test_fetch_unread_download_never_becomes_the_kept_one),
		cmocka_unit_test(test_fetch_settle_refuses_a_planted_link),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
