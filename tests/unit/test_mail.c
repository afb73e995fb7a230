/*
 * test_mail.c - bp_mail_send against a real local SMTP server.
 *
 * The group setup makes a throwaway CA (tests/integration/make_ca.sh) and
 * starts tests/integration/smtp_server.py three times: STARTTLS with AUTH,
 * implicit TLS (smtps), and plain SMTP without STARTTLS.  Tests that need
 * a 421 greeting start their own server.  Received messages are parsed by
 * Python's email package (an independent MIME reader) through a small
 * oracle script written at setup.  The script paths are relative to
 * $BP_SRCDIR (default: the current folder, the repository root).
 * BP_TEST_ONLY=PATTERN runs only the tests whose names match it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mail.h"
#include "testlib.h"

#define USER "ana"
#define PASSWORD "pw-7Qx!secret"
#define TITLE_KO "Acme \xeb\xb3\xb4\xeb\x93\x9c"   /* "Acme 보드" */

static const char EMAIL_HTML[] =
	"<!DOCTYPE html>\n<html><head><title>Board pack</title>"
	"<style>td { color: red }</style></head>\n"
	"<body><h1>Board funnel &amp; CAC</h1>\n"
	"<p>New   leads:\n 120</p>"
	"<table><tr><td>Paid</td><td>40</td></tr></table>"
	"</body></html>\n";

typedef struct server {
	pid_t pid;
	int port;
	char out[128], log[128];
} server;

static struct {
	char *dir;
	char ca[128], other_ca[128], oracle[128];
	server tls, smtps, plain;
	server extra;   /* one test's own server, stopped by its teardown */
	int snaps;
} S;

/* ---- helpers ------------------------------------------------------------- */

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "")
		if (!strncmp(p, prefix, strlen(prefix)))
			n++;
	return n;
}

/* A snapshot folder: email.html (optional), report.pdf of `pdf_size`
 * bytes (none when 0), report.html and metrics.xml. */
static void make_snapshot(char *dir, size_t size, int html, size_t pdf_size)
{
	char path[256], *pdf;

	snprintf(dir, size, "%s/snap-%d", S.dir, ++S.snaps);
	assert_int_equal(mkdir(dir, 0755), 0);
	if (html) {
		snprintf(path, sizeof(path), "%s/email.html", dir);
		tl_write_file_mode(path, EMAIL_HTML, 0444);
	}
	if (pdf_size) {
		pdf = malloc(pdf_size);
		for (size_t i = 0; i < pdf_size; i++)
			pdf[i] = (char)(i * 7 + 3);   /* every byte value */
		memcpy(pdf, "%PDF-1.4\n", pdf_size < 9 ? pdf_size : 9);
		snprintf(path, sizeof(path), "%s/report.pdf", dir);
		tl_write_bytes(path, pdf, pdf_size, 0444);
		free(pdf);
	}
	snprintf(path, sizeof(path), "%s/report.html", dir);
	tl_write_file_mode(path, "<html><body>full report</body></html>\n", 0444);
	snprintf(path, sizeof(path), "%s/metrics.xml", dir);
	tl_write_file_mode(path, "<metrics/>\n", 0444);
}

static char *delivery_log(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/delivery.log", dir);
	return tl_try_read_file(path, NULL);
}

static char *to_list[] = { "board@acme.example", "cfo@acme.example" };
static char *cc_list[] = { "ops@acme.example" };
static char *bcc_list[] = { "hidden@acme.example" };

typedef struct fixture {
	bp_config cfg;
	bp_email email;
	char url[128];
} fixture;

static void fixture_init(fixture *f, const server *srv, const char *scheme)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->url, sizeof(f->url), "%s://127.0.0.1:%d", scheme, srv->port);
	f->cfg.title = (char *)"Acme Board";
	f->cfg.email = &f->email;
	f->email.url = f->url;
	f->email.from = (char *)"reports@acme.example";
	f->email.user_env = (char *)"BP_TEST_SMTP_USER";
	f->email.password_env = (char *)"BP_TEST_SMTP_PASSWORD";
	f->email.ca_file = S.ca;
	f->email.to = to_list;
	f->email.n_to = 2;
	f->email.cc = cc_list;
	f->email.n_cc = 1;
	f->email.bcc = bcc_list;
	f->email.n_bcc = 1;
	f->email.max_bytes = 10 * 1000 * 1000;
}

/* bp_mail_send; the report goes to *report (caller frees) unless
 * report is NULL. */
static int mail_send_flags(fixture *f, const char *dir, int flags,
			   char **report, bp_err *err)
{
	bp_mail_result res;
	int rc;

	bp_err_clear(err);
	rc = bp_mail_send(&f->cfg, dir, "2026-10", flags, &res, err);
	if (report) {
		*report = res.report;
		res.report = NULL;
	}
	bp_mail_result_clear(&res);
	return rc;
}

static int mail_send(fixture *f, const char *dir, char **report, bp_err *err)
{
	return mail_send_flags(f, dir, 0, report, err);
}

/* How many messages a server saved. */
static int messages(const server *srv)
{
	char path[192];
	int n = 0;

	for (;; n++) {
		snprintf(path, sizeof(path), "%s/%d.eml", srv->out, n + 1);
		if (access(path, F_OK) < 0)
			return n;
	}
}

/* The oracle's facts ("key=value" lines) about message `n` of `srv`;
 * attachments are compared with the files of the same name in `dir`. */
static char *parse_message(const server *srv, int n, const char *dir)
{
	int status;
	char *facts = tl_run(&status, "%s '%s' '%s/%d.eml' '%s'", tl_python(),
			     S.oracle, srv->out, n, dir);

	assert_int_equal(status, 0);
	return facts;
}

static void assert_has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("expected \"%s\" in:\n%s", want, text);
}

static void assert_lacks(const char *text, const char *unwanted)
{
	if (text && strstr(text, unwanted))
		fail_msg("did not expect \"%s\" in:\n%s", unwanted, text);
}

/* A snapshot as the layout has it: `out`/2026-10/`stamp`. */
static void make_snapshot_in(char *dir, size_t size, const char *out,
			     const char *stamp)
{
	char path[256];

	mkdir(out, 0755);
	snprintf(path, sizeof(path), "%s/2026-10", out);
	mkdir(path, 0755);
	snprintf(dir, size, "%s/%s", path, stamp);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/email.html", dir);
	tl_write_file_mode(path, EMAIL_HTML, 0444);
}

/* ---- many recipients ----------------------------------------------------- */

#define MANY_MAX 10000

static char *many[MANY_MAX];

/* many[0..n-1]: "r00001@acme.example", ...  Allocated once, kept. */
static char **many_recipients(size_t n)
{
	assert_true(n <= MANY_MAX);
	for (size_t i = 0; i < n; i++)
		if (!many[i]) {
			many[i] = malloc(40);
			snprintf(many[i], 40, "r%05zu@acme.example", i + 1);
		}
	return many;
}

/* A fixture whose envelope is `n` recipients: two To, one Cc, the rest
 * Bcc (a list that size goes in Bcc, or its header would be long). */
static void fixture_many(fixture *f, const server *srv, size_t n)
{
	char **r = many_recipients(n);

	fixture_init(f, srv, "smtp");
	f->email.to = r;
	f->email.n_to = 2;
	f->email.cc = r + 2;
	f->email.n_cc = 1;
	f->email.bcc = r + 3;
	f->email.n_bcc = n - 3;
}

/* How many times each of many[0..n-1] is in the envelope of the messages
 * `srv` saved after its first `from` ones (its N.rcpt files); fails the
 * test unless each is there exactly `want` times. */
static void assert_delivered(const server *srv, int from, size_t n, int want)
{
	int *seen = calloc(n, sizeof(*seen));
	char path[192], *list, *line, *save = NULL;
	unsigned idx;

	for (int k = from + 1; k <= messages(srv); k++) {
		snprintf(path, sizeof(path), "%s/%d.rcpt", srv->out, k);
		list = tl_read_file(path, NULL);
		for (line = strtok_r(list, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (sscanf(line, "r%5u@acme.example", &idx) == 1 &&
			    idx >= 1 && idx <= n)
				seen[idx - 1]++;
		free(list);
	}
	for (size_t i = 0; i < n; i++)
		if (seen[i] != want)
			fail_msg("%s was delivered %d times, want %d", many[i],
				 seen[i], want);
	free(seen);
}

/* The transactions of `srv`'s log, as "TXN N RCPTS ACCEPTED result" lines
 * give them; returns how many, and the largest RCPTS in *max_rcpts. */
static int transactions(const server *srv, int *max_rcpts, int *delivered)
{
	char *log = tl_read_file(srv->log, NULL), *line, *save = NULL;
	int n = 0, txn, rcpts, acc;
	char result[16];

	*max_rcpts = *delivered = 0;
	for (line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "TXN\t%d\t%d\t%d\t%15s", &txn, &rcpts, &acc,
			   result) == 4) {
			n++;
			if (rcpts > *max_rcpts)
				*max_rcpts = rcpts;
			*delivered += !strcmp(result, "delivered");
		}
	free(log);
	return n;
}

/* Line `k` (1-based) of `text`, in a static buffer ("" past the end). */
static const char *line_of(const char *text, int k)
{
	static char buf[1 << 16];
	const char *p = text, *nl;

	while (p && *p && --k > 0)
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
	if (!p || !*p)
		return "";
	nl = strchr(p, '\n');
	snprintf(buf, sizeof(buf), "%.*s", (int)(nl ? nl - p : (long)strlen(p)), p);
	return buf;
}

/* Field `k` (0-based) of a tab-separated line, in a static buffer. */
static const char *field_of(const char *line, int k)
{
	static char buf[1 << 16];
	const char *p = line, *tab;

	while (p && k-- > 0)
		p = strchr(p, '\t') ? strchr(p, '\t') + 1 : NULL;
	if (!p)
		return "";
	tab = strchr(p, '\t');
	snprintf(buf, sizeof(buf), "%.*s", (int)(tab ? tab - p : (long)strlen(p)), p);
	return buf;
}

/* The server of a test of its own, stopped by stop_extra. */
static void start_extra(const char *name, const char *const *opts)
{
	server *srv = &S.extra;
	char portfile[128];
	const char *argv[32];
	int k = 0;

	snprintf(portfile, sizeof(portfile), "%s/port-%s", S.dir, name);
	snprintf(srv->out, sizeof(srv->out), "%s/mail-%s", S.dir, name);
	snprintf(srv->log, sizeof(srv->log), "%s/smtp-%s.log", S.dir, name);
	argv[k++] = tl_python();
	argv[k++] = tl_src_file("tests/integration/smtp_server.py");
	argv[k++] = "--out"; argv[k++] = srv->out;
	argv[k++] = "--port-file"; argv[k++] = portfile;
	argv[k++] = "--log"; argv[k++] = srv->log;
	argv[k++] = "--cert"; argv[k++] = tl_path(S.dir, "tls/server.pem");
	argv[k++] = "--key"; argv[k++] = tl_path(S.dir, "tls/server.key");
	argv[k++] = "--tls"; argv[k++] = "starttls";
	argv[k++] = "--auth";
	while (opts && *opts && k < 31)
		argv[k++] = *opts++;
	argv[k] = NULL;
	srv->pid = tl_server_start(argv, portfile, &srv->port);
}

/* ---- the oracle ---------------------------------------------------------- */

static const char ORACLE[] =
	"import email, os, sys\n"
	"from email import policy\n"
	"with open(sys.argv[1], 'rb') as f:\n"
	"    m = email.message_from_binary_file(f, policy=policy.default)\n"
	"def h(name):\n"
	"    v = m[name]\n"
	"    return '-' if v is None else ' '.join(str(v).split())\n"
	"for name in ('From', 'To', 'Cc', 'Bcc', 'Subject', 'Date', 'Message-ID',\n"
	"             'MIME-Version'):\n"
	"    print('%s=%s' % (name.lower(), h(name)))\n"
	"print('types=' + ','.join(p.get_content_type() for p in m.walk()))\n"
	"for p in m.walk():\n"
	"    if p.is_multipart():\n"
	"        continue\n"
	"    name = p.get_filename()\n"
	"    if name:\n"
	"        with open(os.path.join(sys.argv[2], name), 'rb') as f:\n"
	"            same = f.read() == p.get_payload(decode=True)\n"
	"        print('attachment=%s %s %s' % (name, p.get_content_type(),\n"
	"              'equal' if same else 'differs'))\n"
	"    elif p.get_content_type() == 'text/plain':\n"
	"        print('text=' + p.get_content().replace('\\n', '|'))\n"
	"    elif p.get_content_type() == 'text/html':\n"
	"        print('html=' + p.get_content().replace('\\n', '|'))\n";

/* ---- the servers --------------------------------------------------------- */

/* `busy`: connections answered 421; `tempfail`: messages answered 451. */
static void start_server2(server *srv, const char *name, const char *tls,
			  int auth, int busy, int tempfail)
{
	char portfile[128], nbusy[16], ntemp[16];
	const char *argv[24];
	int k = 0;

	snprintf(portfile, sizeof(portfile), "%s/port-%s", S.dir, name);
	snprintf(srv->out, sizeof(srv->out), "%s/mail-%s", S.dir, name);
	snprintf(srv->log, sizeof(srv->log), "%s/smtp-%s.log", S.dir, name);
	snprintf(nbusy, sizeof(nbusy), "%d", busy);
	snprintf(ntemp, sizeof(ntemp), "%d", tempfail);
	argv[k++] = tl_python();
	argv[k++] = tl_src_file("tests/integration/smtp_server.py");
	argv[k++] = "--out"; argv[k++] = srv->out;
	argv[k++] = "--port-file"; argv[k++] = portfile;
	argv[k++] = "--log"; argv[k++] = srv->log;
	argv[k++] = "--cert"; argv[k++] = tl_path(S.dir, "tls/server.pem");
	argv[k++] = "--key"; argv[k++] = tl_path(S.dir, "tls/server.key");
	argv[k++] = "--tls"; argv[k++] = tls;
	argv[k++] = "--busy"; argv[k++] = nbusy;
	argv[k++] = "--tempfail-data"; argv[k++] = ntemp;
	if (auth)
		argv[k++] = "--auth";
	argv[k] = NULL;
	srv->pid = tl_server_start(argv, portfile, &srv->port);
}

static void start_server(server *srv, const char *name, const char *tls,
			 int auth, int busy)
{
	start_server2(srv, name, tls, auth, busy, 0);
}

static void stop_server(server *srv)
{
	tl_server_stop(srv->pid);
	srv->pid = 0;
}

static int group_teardown(void **state)
{
	(void)state;
	stop_server(&S.tls);
	stop_server(&S.smtps);
	stop_server(&S.plain);
	tl_rmtree(S.dir);
	free(S.dir);
	return 0;
}

static int stop_extra(void **state)
{
	(void)state;
	stop_server(&S.extra);
	return 0;
}

static int group_setup(void **state)
{
	char cmd[256];

	(void)state;
	/* Run from elsewhere, fail before anything is made. */
	tl_src_file("tests/integration/smtp_server.py");
	snprintf(cmd, sizeof(cmd), "%s -c 'import aiosmtpd' 2>/dev/null",
		 tl_python());
	if (system(cmd) != 0) {
		fprintf(stderr, "test_mail: python3-aiosmtpd is not installed\n");
		return -1;
	}
	setenv("BOARDPACK_RETRY_BASE_MS", "20", 1);
	setenv("BP_TEST_SMTP_USER", USER, 1);
	setenv("BP_TEST_SMTP_PASSWORD", PASSWORD, 1);
	S.dir = tl_tmpdir("/tmp/bp-mail-XXXXXX");
	snprintf(S.ca, sizeof(S.ca), "%s/tls/ca.pem", S.dir);
	snprintf(S.other_ca, sizeof(S.other_ca), "%s/tls/other-ca.pem", S.dir);
	snprintf(S.oracle, sizeof(S.oracle), "%s/oracle.py", S.dir);
	tl_make_ca(tl_path(S.dir, "tls"));
	tl_write_file(S.oracle, ORACLE);
	start_server(&S.tls, "starttls", "starttls", 1, 0);
	start_server(&S.smtps, "smtps", "smtps", 1, 0);
	start_server(&S.plain, "plain", "none", 0, 0);
	return 0;
}

/* ---- pure parts ---------------------------------------------------------- */

static void test_mail_html_to_text_strips_tags_and_collapses_blanks(void **state)
{
	char *t;

	(void)state;
	t = bp_mail_html_to_text(EMAIL_HTML);
	assert_string_equal(t, "Board funnel & CAC\n\nNew leads: 120\n\nPaid 40\n");
	free(t);
}

static void test_mail_html_to_text_decodes_numeric_entities(void **state)
{
	char *t;

	(void)state;
	t = bp_mail_html_to_text("<p>&#48;&#x41;&lt;b&gt; &unknown; &#xBCF4;</p>");
	assert_string_equal(t, "0A<b> &unknown; \xeb\xb3\xb4\n");
	free(t);
}

static void test_mail_header_leaves_short_ascii_alone(void **state)
{
	char *s;

	(void)state;
	s = bp_mail_header("Subject", "Acme Board - 2026-10");
	assert_string_equal(s, "Subject: Acme Board - 2026-10");
	free(s);
}

/* A line break in a title from the config cannot start a header of its
 * own: control characters force the encoded form. */
static void test_mail_header_line_break_cannot_inject(void **state)
{
	char *s;

	(void)state;
	s = bp_mail_header("Subject", "Report\r\nX-Injected: yes");
	assert_non_null(s);
	assert_null(strstr(s, "X-Injected"));
	assert_non_null(strstr(s, "=?UTF-8?B?"));
	free(s);
}

/* Text that would read as an encoded word is encoded itself. */
static void test_mail_header_encoded_word_lookalike_encoded(void **state)
{
	char *s;

	(void)state;
	s = bp_mail_header("Subject", "=?UTF-8?B?SGk=?=");
	assert_string_equal(s, "Subject: =?UTF-8?B?PT9VVEYtOD9CP1NHaz0/PQ==?=");
	free(s);
}

static void test_mail_header_korean_is_one_encoded_word(void **state)
{
	char *s;

	(void)state;
	/* "Acme 보드 — 2026-10" is 23 bytes; base64 by Python's module. */
	s = bp_mail_header("Subject", TITLE_KO " \xe2\x80\x94 2026-10");
	assert_string_equal(s, "Subject: =?UTF-8?B?QWNtZSDrs7Trk5wg4oCUIDIwMjYtMTA=?=");
	free(s);
}

/* Each line of encoded words within RFC 2047's 76 characters, the first
 * counting "Subject: ", and no character split between words. */
static void test_mail_header_splits_between_characters(void **state)
{
	char text[61], *s, *nl;
	int i;

	(void)state;
	/* 20 times "보" (3 bytes): 39 + 21 bytes after "Subject: ", then
	 * up to 45 a line. */
	for (i = 0; i < 20; i++)
		memcpy(text + 3 * i, "\xeb\xb3\xb4", 3);
	text[60] = '\0';
	s = bp_mail_header("Subject", text);
	nl = strstr(s, "\r\n ");
	assert_non_null(nl);
	assert_int_equal(nl - s, 9 + 10 + 52 + 2);
	assert_int_equal(strlen(nl + 3), 10 + 28 + 2);
	assert_null(strstr(nl + 3, "\r\n"));
	free(s);
}

/* Long ASCII folds before a space: lines of at most 78, and unfolding
 * (dropping each CRLF) gives the text back. */
static void test_mail_header_long_ascii_folded_before_spaces(void **state)
{
	char text[400], *s, *unfolded, *q;
	const char *p, *line;

	(void)state;
	for (int i = 0; i < 399; i++)
		text[i] = i % 7 == 6 ? ' ' : (char)('a' + i % 26);
	text[398] = 'x';
	text[399] = '\0';
	s = bp_mail_header("Subject", text);
	assert_null(strstr(s, "=?"));
	for (line = s; line; line = p ? p + 2 : NULL) {
		p = strstr(line, "\r\n");
		assert_true((size_t)(p ? p - line : (long)strlen(line)) <= 78);
		if (p)
			assert_int_equal(p[2], ' ');
	}
	unfolded = strdup(s);
	for (q = unfolded, p = s; *p; p++)
		if (*p != '\r' && *p != '\n')
			*q++ = *p;
	*q = '\0';
	assert_string_equal(unfolded + 9, text);
	free(unfolded);
	free(s);
}

/* A run of spaces stays on one line: no line of blanks alone. */
static void test_mail_header_fold_keeps_runs_of_spaces(void **state)
{
	char text[200], *s;

	(void)state;
	memset(text, 'w', sizeof(text));
	memcpy(text + 60, "          ", 10);   /* 10 spaces at 60 */
	text[199] = '\0';
	memset(text + 130, ' ', 1);
	s = bp_mail_header("Subject", text);
	assert_null(strstr(s, "\r\n \r\n"));
	assert_null(strstr(s, "=?"));
	free(s);
}

/* A word longer than a line cannot be folded: encoded words instead. */
static void test_mail_header_word_longer_than_a_line_encoded(void **state)
{
	char text[120], *s;

	(void)state;
	memset(text, 'q', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	s = bp_mail_header("Subject", text);
	assert_true(strncmp(s, "Subject: =?UTF-8?B?", 19) == 0);
	free(s);
}

/* ---- delivery ------------------------------------------------------------ */

static void test_mail_starttls_message_has_headers_and_parts(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *facts, *report = (char *)"unset";
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 300);
	fixture_init(&f, &S.tls, "smtp");
	assert_int_equal(mail_send(&f, dir, &report, &err), 0);
	assert_null(report);
	assert_int_equal(messages(&S.tls), before + 1);
	facts = parse_message(&S.tls, before + 1, dir);
	assert_has(facts, "from=reports@acme.example\n");
	assert_has(facts, "to=board@acme.example, cfo@acme.example\n");
	assert_has(facts, "cc=ops@acme.example\n");
	assert_has(facts, "bcc=-\n");
	assert_has(facts, "subject=Acme Board \xe2\x80\x94 2026-10\n");
	assert_lacks(facts, "date=-\n");
	assert_lacks(facts, "message-id=-\n");
	assert_has(facts, "types=multipart/mixed,multipart/alternative,"
		   "text/plain,text/html,application/pdf\n");
	assert_has(facts, "text=Board funnel & CAC||New leads: 120||Paid 40|");
	assert_has(facts, "html=<!DOCTYPE html>|<html><head>");
	assert_has(facts, "attachment=report.pdf application/pdf equal\n");
	free(facts);
}

static void test_mail_bcc_only_in_envelope(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], path[192], *raw, *log;
	char *bcc[] = { "secret-bcc@acme.example" };
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	f.email.bcc = bcc;
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	log = tl_read_file(S.tls.log, NULL);
	assert_has(log, "RCPT\tsecret-bcc@acme.example\taccepted\n");
	snprintf(path, sizeof(path), "%s/%d.eml", S.tls.out, before + 1);
	raw = tl_read_file(path, NULL);
	assert_non_null(raw);
	assert_lacks(raw, "secret-bcc");
	assert_lacks(raw, "\nBcc:");
	free(raw);
	free(log);
}

static void test_mail_login_uses_credentials_from_env(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *log;

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	log = tl_read_file(S.tls.log, NULL);
	assert_has(log, "AUTH\t" USER "\tok\n");
	assert_lacks(log, "AUTH\t" USER "\tfailed\n");
	free(log);
}

static void test_mail_password_file_0600_is_used(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], pw[160];
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	snprintf(pw, sizeof(pw), "%s/smtp-password", S.dir);
	tl_write_file_mode(pw, PASSWORD "\n", 0600);
	fixture_init(&f, &S.tls, "smtp");
	f.email.password_env = NULL;
	f.email.password_file = pw;
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	assert_int_equal(messages(&S.tls), before + 1);
}

static void test_mail_password_file_readable_by_group_refused(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], pw[160], *log;
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	snprintf(pw, sizeof(pw), "%s/smtp-password-0640", S.dir);
	tl_write_file_mode(pw, PASSWORD "\n", 0640);
	fixture_init(&f, &S.tls, "smtp");
	f.email.password_env = NULL;
	f.email.password_file = pw;
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_has(err.msg, "may be read or written by group or others");
	assert_int_equal(messages(&S.tls), before);
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 1);
	assert_has(log, "\tfailed\t-\t-\tpassword file '");
	assert_lacks(log, PASSWORD);
	free(log);
}

static void test_mail_missing_password_env_names_variable(void **state)
{
	fixture f;
	bp_err err;
	char dir[128];

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	f.email.password_env = (char *)"BP_TEST_UNSET_PASSWORD";
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.msg, "environment variable "
			    "'BP_TEST_UNSET_PASSWORD' (password-env of <email>) "
			    "is not set");
}

static void test_mail_wrong_password_is_config_error_without_secret(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *log;

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	setenv("BP_TEST_WRONG_PASSWORD", "wrong-Zq9-secret", 1);
	f.email.password_env = (char *)"BP_TEST_WRONG_PASSWORD";
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_has(err.msg, "refused the login");
	assert_lacks(err.msg, "wrong-Zq9-secret");
	log = delivery_log(dir);
	assert_has(log, "\tfailed\t");
	assert_lacks(log, "wrong-Zq9-secret");
	assert_false(bp_mail_was_sent(dir));
	free(log);
}

static void test_mail_password_absent_from_log_and_errors(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *log;
	int fd, port;

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	port = tl_refused_port(&fd);
	/* Credentials in the URL too: they must not be shown either. */
	snprintf(f.url, sizeof(f.url), "smtp://" USER ":" PASSWORD
		 "@127.0.0.1:%d", port);
	assert_int_equal(mail_send_flags(&f, dir, BP_MAIL_RESEND, NULL, &err), -1);
	close(fd);
	assert_lacks(err.msg, PASSWORD);
	log = delivery_log(dir);
	assert_has(log, "\tsent\t");
	assert_has(log, "\tfailed\t");
	assert_lacks(log, PASSWORD);
	free(log);
}

static void test_mail_rejected_recipient_reported_others_delivered(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *report = NULL, *log, *facts;
	char *to[] = { "board@acme.example", "reject-me@acme.example" };
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	f.email.to = to;
	assert_int_equal(mail_send(&f, dir, &report, &err), 0);
	assert_non_null(report);
	/* After the login, the server's words are not kept: its codes are,
	 * with what RFC 3463 says they mean. */
	assert_string_equal(report, "rejected by the server: "
			    "reject-me@acme.example (550 5.1.1 bad destination "
			    "mailbox address)");
	assert_int_equal(messages(&S.tls), before + 1);
	facts = parse_message(&S.tls, before + 1, dir);
	assert_has(facts, "to=board@acme.example, reject-me@acme.example\n");
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 1);
	assert_has(log, "\tsent\tboard@acme.example,ops@acme.example,"
		   "hidden@acme.example\treject-me@acme.example "
		   "(550 5.1.1 bad destination mailbox address)\t-\t1/1\n");
	assert_true(bp_mail_was_sent(dir));
	free(report);
	free(log);
	free(facts);
}

static void test_mail_every_recipient_rejected_is_unavailable(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *report = (char *)"unset", *log;
	char *to[] = { "reject-a@acme.example", "reject-b@acme.example" };
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	f.email.to = to;
	f.email.n_cc = f.email.n_bcc = 0;
	assert_int_equal(mail_send(&f, dir, &report, &err), -1);
	assert_null(report);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_has(err.msg, "rejected every recipient");
	assert_int_equal(messages(&S.tls), before);
	log = delivery_log(dir);
	/* 5xx: not retried. */
	assert_int_equal(count_lines(log, ""), 1);
	assert_has(log, "\tfailed\t-\treject-a@acme.example (550 5.1.1 bad "
		   "destination mailbox address),reject-b@acme.example (550 "
		   "5.1.1 bad destination mailbox address)\t");
	assert_false(bp_mail_was_sent(dir));
	free(log);
}

static void test_mail_server_down_is_unavailable_and_logged(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *log;
	int fd, port;

	(void)state;
	port = tl_refused_port(&fd);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	snprintf(f.url, sizeof(f.url), "smtp://127.0.0.1:%d", port);
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	close(fd);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_has(err.msg, "cannot reach SMTP server smtp://127.0.0.1:");
	assert_has(err.msg, "(after 4 attempts)");
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 1 + BP_MAIL_RETRIES);
	assert_int_equal(count_lines(log, "20"), 1 + BP_MAIL_RETRIES);
	assert_has(log, "Z\tfailed\t-\t-\tcannot reach SMTP server");
	assert_false(bp_mail_was_sent(dir));
	free(log);
}

static void test_mail_421_greeting_is_retried(void **state)
{
	server *busy = &S.extra;
	fixture f;
	bp_err err;
	char dir[128], *log, *slog;

	(void)state;
	start_server(busy, "busy1", "starttls", 1, 1);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, busy, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	slog = tl_read_file(busy->log, NULL);
	assert_has(slog, "CONNECT\t1\tbusy\nCONNECT\t2\tok\n");
	assert_int_equal(messages(busy), 1);
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 2);
	assert_has(log, "\tfailed\t-\t-\tSMTP server smtp://127.0.0.1:");
	assert_has(log, "421 4.3.2 Too busy, try again later");
	assert_has(log, "\tsent\tboard@acme.example,cfo@acme.example,"
		   "ops@acme.example,hidden@acme.example\t-\t-\t1/1\n");
	assert_true(bp_mail_was_sent(dir));
	free(log);
	free(slog);
}

static void test_mail_421_every_time_is_temporary_failure(void **state)
{
	server *busy = &S.extra;
	fixture f;
	bp_err err;
	char dir[128], *log, *slog;

	(void)state;
	start_server(busy, "busy9", "starttls", 1, 9);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, busy, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	slog = tl_read_file(busy->log, NULL);
	assert_int_equal(err.code, BP_ETEMPFAIL);
	assert_has(err.msg, "421");
	assert_int_equal(count_lines(slog, "CONNECT\t"), 1 + BP_MAIL_RETRIES);
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 1 + BP_MAIL_RETRIES);
	assert_false(bp_mail_was_sent(dir));
	free(log);
	free(slog);
}

static void test_mail_451_after_data_is_retried(void **state)
{
	server *srv = &S.extra;
	fixture f;
	bp_err err;
	char dir[128], *log, *slog, *facts;

	(void)state;
	start_server2(srv, "tempfail", "starttls", 1, 0, 1);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, srv, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	slog = tl_read_file(srv->log, NULL);
	assert_int_equal(count_lines(slog, "DATA\t-\ttempfail\n"), 1);
	assert_int_equal(messages(srv), 1);
	facts = parse_message(srv, 1, dir);
	assert_has(facts, "attachment=report.pdf application/pdf equal\n");
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 2);
	/* After AUTH: the code and its meaning, not the server's words. */
	assert_has(log, "451 4.3.0 mail system problem");
	assert_lacks(log, "Queue full");
	assert_true(bp_mail_was_sent(dir));
	free(facts);
	free(log);
	free(slog);
}

static void test_mail_smtps_delivers(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *facts;
	int before = messages(&S.smtps);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.smtps, "smtps");
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	assert_int_equal(messages(&S.smtps), before + 1);
	facts = parse_message(&S.smtps, before + 1, dir);
	assert_has(facts, "attachment=report.pdf application/pdf equal\n");
	free(facts);
}

static void test_mail_wrong_ca_is_unavailable_without_retry(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *log;
	int before = messages(&S.smtps);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.smtps, "smtps");
	f.email.ca_file = S.other_ca;
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_has(err.msg, "certificate");
	assert_int_equal(messages(&S.smtps), before);
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 1);
	free(log);
}

static void test_mail_server_without_starttls_refused(void **state)
{
	fixture f;
	bp_err err;
	char dir[128];
	int before = messages(&S.plain);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.plain, "smtp");
	f.email.user_env = f.email.password_env = NULL;
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_has(err.msg, "does not offer STARTTLS");
	assert_int_equal(messages(&S.plain), before);
}

static void test_mail_tls_none_allowed_for_local_relay(void **state)
{
	fixture f;
	bp_err err;
	char dir[128];
	int before = messages(&S.plain);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.plain, "smtp");
	f.email.user_env = f.email.password_env = NULL;
	f.email.tls_none = 1;
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	assert_int_equal(messages(&S.plain), before + 1);
}

static void test_mail_tls_none_refused_for_remote_host(void **state)
{
	fixture f;
	bp_err err;
	char dir[128];

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.plain, "smtp");
	snprintf(f.url, sizeof(f.url), "smtp://mail.example.com:25");
	f.email.tls_none = 1;
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.msg, "email url smtp://mail.example.com:25: "
			    "tls=\"none\" is only allowed for a relay on this host");
}

static void test_mail_tls_none_with_smtps_refused(void **state)
{
	fixture f;
	bp_err err;
	char dir[128];
	int before = messages(&S.smtps);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.smtps, "smtps");
	f.email.tls_none = 1;
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_has(err.msg, "contradicts smtps://");
	assert_int_equal(messages(&S.smtps), before);
}

static void test_mail_attachment_of_exactly_the_cap_attached(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *facts;
	int before = messages(&S.tls);

	(void)state;
	/* 300 bytes: 400 base64 characters on 6 lines of at most 76, so
	 * 400 + 6 * 2 = 412 bytes encoded. */
	make_snapshot(dir, sizeof(dir), 1, 300);
	fixture_init(&f, &S.tls, "smtp");
	f.email.max_bytes = 412;
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	facts = parse_message(&S.tls, before + 1, dir);
	assert_has(facts, "attachment=report.pdf application/pdf equal\n");
	assert_lacks(facts, "too large");
	free(facts);
}

static void test_mail_attachment_over_the_cap_replaced_by_note(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *facts, want[256];
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 300);
	fixture_init(&f, &S.tls, "smtp");
	f.email.max_bytes = 411;
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	facts = parse_message(&S.tls, before + 1, dir);
	assert_lacks(facts, "attachment=");
	assert_has(facts, "types=multipart/mixed,multipart/alternative,"
		   "text/plain,text/html\n");
	snprintf(want, sizeof(want), "The PDF report is too large to attach "
		 "(412 bytes encoded, the limit is 411); it is in the "
		 "snapshot: %s/report.pdf", dir);
	assert_has(facts, want);   /* in the text part */
	assert_has(strstr(facts, "html="), want);
	free(facts);
}

static void test_mail_missing_email_html_lists_files_in_text(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *facts;
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 0, 100);
	fixture_init(&f, &S.tls, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	facts = parse_message(&S.tls, before + 1, dir);
	assert_has(facts, "types=multipart/mixed,text/plain,application/pdf\n");
	assert_has(facts, "was not rendered");
	assert_has(facts, "|  - metrics.xml|  - report.html|  - report.pdf|");
	assert_lacks(facts, "delivery.log");
	free(facts);
}

static void test_mail_missing_pdf_says_so(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *facts;
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 0);
	fixture_init(&f, &S.tls, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	facts = parse_message(&S.tls, before + 1, dir);
	assert_lacks(facts, "attachment=");
	assert_has(facts, "The PDF report (report.pdf) is missing from the "
		   "snapshot; nothing is attached for it.");
	free(facts);
}

static void test_mail_attach_html_adds_report_html(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *facts;
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	f.email.attach_html = 1;
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	facts = parse_message(&S.tls, before + 1, dir);
	assert_has(facts, "attachment=report.pdf application/pdf equal\n");
	assert_has(facts, "attachment=report.html text/html equal\n");
	free(facts);
}

static void test_mail_korean_title_in_subject(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *facts, path[192], *raw;
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	f.cfg.title = (char *)TITLE_KO;
	f.email.subject = (char *)"[{period}] {title}";
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	facts = parse_message(&S.tls, before + 1, dir);
	assert_has(facts, "subject=[2026-10] " TITLE_KO "\n");
	snprintf(path, sizeof(path), "%s/%d.eml", S.tls.out, before + 1);
	raw = tl_read_file(path, NULL);
	assert_has(raw, "Subject: =?UTF-8?B?");
	free(raw);
	free(facts);
}

static void test_mail_no_email_config_is_config_error(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *log;

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	f.cfg.email = NULL;
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.msg, "the config has no <email>");
	log = delivery_log(dir);
	assert_null(log);
}

static void test_mail_missing_snapshot_is_no_input(void **state)
{
	fixture f;
	bp_err err;
	char dir[128];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/absent-snapshot", S.dir);
	fixture_init(&f, &S.tls, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_ENOINPUT);
}

static void test_mail_was_sent_false_without_log(void **state)
{
	char dir[128];

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	assert_false(bp_mail_was_sent(dir));
}

static void test_mail_was_sent_true_after_failure_then_success(void **state)
{
	fixture f;
	bp_err err;
	char dir[128];

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	f.email.password_env = (char *)"BP_TEST_UNSET_PASSWORD";
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_false(bp_mail_was_sent(dir));
	fixture_init(&f, &S.tls, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	assert_true(bp_mail_was_sent(dir));
}

/* ---- nothing of the AUTH exchange is kept -------------------------------- */

/* "\0ana\0pw-7Qx!secret" and "\0ana\0wrong-Zq9-secret" in base64: what
 * AUTH PLAIN sends. */
#define PLAIN_B64 "AGFuYQBwdy03UXghc2VjcmV0"
#define WRONG_B64 "AGFuYQB3cm9uZy1acTktc2VjcmV0"

static void assert_no_auth_echo(const char *text)
{
	assert_lacks(text, PASSWORD);
	assert_lacks(text, "wrong-Zq9-secret");
	assert_lacks(text, PLAIN_B64);
	assert_lacks(text, WRONG_B64);
	assert_lacks(text, "you said");
}

/* A server that repeats the login in its reply to AUTH: the refusal is
 * reported by its code, not its words. */
static void test_mail_auth_echo_of_refused_login_not_kept(void **state)
{
	static const char *const opts[] = { "--echo-auth", NULL };
	fixture f;
	bp_err err;
	char dir[128], *log, *slog;

	(void)state;
	start_extra("echo-login", opts);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.extra, "smtp");
	setenv("BP_TEST_WRONG_PASSWORD", "wrong-Zq9-secret", 1);
	f.email.password_env = (char *)"BP_TEST_WRONG_PASSWORD";
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	/* The server did echo it: the test proves something. */
	slog = tl_read_file(S.extra.log, NULL);
	assert_has(slog, "AUTH\t" USER "\tfailed\n");
	assert_int_equal(err.code, BP_ECONFIG);
	assert_has(err.msg, "refused the login: 535 5.7.8");
	assert_no_auth_echo(err.msg);
	log = delivery_log(dir);
	assert_has(log, "\tfailed\t-\t-\t");
	assert_has(log, "535 5.7.8");
	assert_no_auth_echo(log);
	free(log);
	free(slog);
}

/* After a good login the same server repeats it in every reply: to a
 * rejected recipient, to a DATA it fails.  None of that text is kept. */
static void test_mail_auth_echo_in_later_replies_not_kept(void **state)
{
	static const char *const opts[] = { "--echo-auth", "--tempfail-data",
					    "1", NULL };
	char *to[] = { "board@acme.example", "reject-me@acme.example" };
	fixture f;
	bp_err err;
	char dir[128], *log, *report = NULL;

	(void)state;
	start_extra("echo-replies", opts);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.extra, "smtp");
	f.email.to = to;
	assert_int_equal(mail_send(&f, dir, &report, &err), 0);
	assert_int_equal(messages(&S.extra), 1);
	assert_non_null(report);
	assert_has(report, "reject-me@acme.example (550 5.1.1");
	assert_no_auth_echo(report);
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 2);
	/* The 550 is final: the retry after the 451 leaves it out. */
	assert_has(line_of(log, 1), "\tfailed\t-\treject-me@acme.example "
		   "(550 5.1.1 bad destination mailbox address)\t");
	assert_has(line_of(log, 1), "451 4.3.0");
	assert_has(line_of(log, 2), "\tsent\tboard@acme.example,ops@acme.example,"
		   "hidden@acme.example\t-\t");
	assert_no_auth_echo(log);
	free(report);
	free(log);
}

/* ---- delivery.log is the owner's alone ----------------------------------- */

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_mail_delivery_log_created_owner_only(void **state)
{
	fixture f;
	bp_err err;
	char dir[128];

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	umask(022);
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	assert_int_equal(mode_of(tl_path(dir, "delivery.log")), 0600);
}

/* A log left readable by an older boardpack (0644) is closed. */
static void test_mail_delivery_log_existing_mode_fixed(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *log;

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	tl_write_file_mode(tl_path(dir, "delivery.log"),
			   "2026-11-01T06:00:03Z\tfailed\t-\t-\tearlier\n", 0644);
	fixture_init(&f, &S.tls, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	assert_int_equal(mode_of(tl_path(dir, "delivery.log")), 0600);
	log = delivery_log(dir);
	assert_has(log, "\tfailed\t-\t-\tearlier\n");   /* appended to */
	assert_has(log, "\tsent\t");
	free(log);
}

/* Whoever can write the snapshot folder must not make boardpack append
 * to another file through a link. */
static void test_mail_delivery_log_symlink_refused(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], victim[160], *target;
	int before = messages(&S.tls);

	(void)state;
	snprintf(victim, sizeof(victim), "%s/victim", S.dir);
	make_snapshot(dir, sizeof(dir), 1, 100);
	tl_write_file_mode(victim, "untouched\n", 0644);
	assert_int_equal(symlink(victim, tl_path(dir, "delivery.log")), 0);
	fixture_init(&f, &S.tls, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_ECANTCREAT);
	assert_has(err.msg, "is a symbolic link");
	assert_int_equal(messages(&S.tls), before);
	target = tl_read_file(victim, NULL);
	assert_string_equal(target, "untouched\n");
	assert_int_equal(mode_of(victim), 0644);
	free(target);
}

/* A FIFO as delivery.log would block the send forever. */
static void test_mail_delivery_log_fifo_refused_without_blocking(void **state)
{
	fixture f;
	char dir[128];
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int status = 0, waited, before = messages(&S.tls);
	pid_t pid;

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	assert_int_equal(mkfifo(tl_path(dir, "delivery.log"), 0600), 0);
	fixture_init(&f, &S.tls, "smtp");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bp_err err = { 0 };
		int rc = mail_send(&f, dir, NULL, &err);
		_exit(rc == -1 && err.code == BP_ECANTCREAT &&
		      strstr(err.msg, "not a regular file") ? 0 : 1);
	}
	for (waited = 0; waited < 500; waited++) {   /* 10 s */
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		nanosleep(&pause, NULL);
	}
	if (waited == 500) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("a FIFO as delivery.log blocked the send");
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(messages(&S.tls), before);
}

/* ---- many recipients ----------------------------------------------------- */

/* 250 recipients: three transactions of at most 100, each address
 * delivered once, each batch on a line of its own. */
static void test_mail_envelopes_split_at_100_recipients(void **state)
{
	static const char *const opts[] = { NULL };
	fixture f;
	bp_err err;
	char dir[128], *log;
	int max_rcpts, delivered;

	(void)state;
	start_extra("split", opts);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_many(&f, &S.extra, 250);
	if (mail_send(&f, dir, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(transactions(&S.extra, &max_rcpts, &delivered), 3);
	assert_int_equal(delivered, 3);
	assert_true(max_rcpts <= 100);
	assert_delivered(&S.extra, 0, 250, 1);
	/* One connection and one login for the three. */
	log = tl_read_file(S.extra.log, NULL);
	assert_int_equal(count_lines(log, "CONNECT\t"), 1);
	assert_int_equal(count_lines(log, "AUTH\t"), 1);
	free(log);
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 3);
	for (int k = 1; k <= 3; k++) {
		char want[16];
		assert_string_equal(field_of(line_of(log, k), 1), "sent");
		snprintf(want, sizeof(want), "%d/3", k);
		assert_string_equal(field_of(line_of(log, k), 5), want);
	}
	assert_int_equal(tl_count(field_of(line_of(log, 1), 2), "@"), 100);
	assert_int_equal(tl_count(field_of(line_of(log, 3), 2), "@"), 50);
	/* One message: the same Message-ID in every batch. */
	{
		char *a = parse_message(&S.extra, 1, dir);
		char *c = parse_message(&S.extra, 3, dir);
		const char *ida = strstr(a, "message-id="), *idc = strstr(c, "message-id=");
		assert_non_null(ida);
		assert_non_null(idc);
		assert_memory_equal(ida, idc, strcspn(ida, "\n"));
		free(a);
		free(c);
	}
	free(log);
}

/* Transaction 2 of 3 is refused for good: the first batch is delivered
 * and recorded, the failed one lists nobody as delivered, and sending
 * again delivers the other 150 only. */
static void test_mail_failed_batch_then_retry_sends_only_the_rest(void **state)
{
	static const char *const opts[] = { "--fail-transaction", "2:554", NULL };
	fixture f;
	bp_err err;
	char dir[128], *log;
	int max_rcpts, delivered;

	(void)state;
	start_extra("fail2", opts);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_many(&f, &S.extra, 250);
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_EUNAVAIL);
	assert_has(err.msg, "554");
	assert_int_equal(messages(&S.extra), 1);
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 2);   /* 5xx: not retried */
	assert_string_equal(field_of(line_of(log, 1), 1), "sent");
	assert_int_equal(tl_count(field_of(line_of(log, 1), 2), "@"), 100);
	assert_string_equal(field_of(line_of(log, 2), 1), "failed");
	assert_string_equal(field_of(line_of(log, 2), 2), "-");
	assert_string_equal(field_of(line_of(log, 2), 5), "2/3");
	free(log);
	/* The retry: transactions 3 and 4 are accepted. */
	if (mail_send(&f, dir, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_delivered(&S.extra, 0, 250, 1);
	assert_int_equal(transactions(&S.extra, &max_rcpts, &delivered), 4);
	assert_int_equal(delivered, 3);
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 4);
	assert_string_equal(field_of(line_of(log, 3), 5), "1/2");
	assert_string_equal(field_of(line_of(log, 4), 5), "2/2");
	free(log);
}

/* A batch that keeps failing with 4xx: retried, then a temporary
 * failure; no failed attempt lists anyone as delivered, though the
 * server accepted every RCPT of it. */
static void test_mail_batch_4xx_retried_then_temporary(void **state)
{
	static const char *const opts[] = { "--fail-transaction", "2,3,4,5",
					    NULL };
	fixture f;
	bp_err err;
	char dir[128], *log;

	(void)state;
	start_extra("fail2345", opts);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_many(&f, &S.extra, 150);
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
	assert_int_equal(err.code, BP_ETEMPFAIL);
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 1 + 1 + BP_MAIL_RETRIES);
	assert_string_equal(field_of(line_of(log, 1), 1), "sent");
	for (int k = 2; k <= 2 + BP_MAIL_RETRIES; k++) {
		assert_string_equal(field_of(line_of(log, k), 1), "failed");
		assert_string_equal(field_of(line_of(log, k), 2), "-");
		assert_string_equal(field_of(line_of(log, k), 3), "-");
		assert_has(field_of(line_of(log, k), 4), "451 4.3.0");
	}
	assert_int_equal(messages(&S.extra), 1);
	free(log);
}

/* A server that takes fewer recipients per transaction than 100 answers
 * 452 to the rest: they go in a later transaction, not in the report. */
static void test_mail_452_too_many_recipients_sent_later(void **state)
{
	static const char *const opts[] = { "--rcpt-limit", "30", NULL };
	fixture f;
	bp_err err;
	char dir[128], *report = (char *)"unset";

	(void)state;
	start_extra("limit30", opts);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_many(&f, &S.extra, 70);
	if (mail_send(&f, dir, &report, &err) != 0)
		fail_msg("%s", err.msg);
	assert_null(report);
	assert_delivered(&S.extra, 0, 70, 1);
}

/* A server that greylists (451 to every RCPT the first time) is tried
 * again; the failed attempt lists the 451s, which are not final. */
static void test_mail_greylisted_batch_retried(void **state)
{
	static const char *const opts[] = { "--greylist", "1", NULL };
	fixture f;
	bp_err err;
	char dir[128], *log;

	(void)state;
	start_extra("greylist", opts);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.extra, "smtp");
	if (mail_send(&f, dir, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(messages(&S.extra), 1);
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 2);
	assert_string_equal(field_of(line_of(log, 1), 1), "failed");
	assert_string_equal(field_of(line_of(log, 1), 2), "-");
	assert_has(field_of(line_of(log, 1), 3), "board@acme.example (451 4.7.1 "
		   "delivery not authorized)");
	assert_has(field_of(line_of(log, 1), 4), "451 4.7.1");
	assert_string_equal(field_of(line_of(log, 2), 1), "sent");
	assert_int_equal(tl_count(field_of(line_of(log, 2), 2), "@"), 4);
	free(log);
}

/* Sending a snapshot again reaches only whom its delivery.log does not
 * record; --resend reaches everyone. */
static void test_mail_send_again_sends_nothing_then_resend_all(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], *log;
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	assert_int_equal(messages(&S.tls), before + 1);
	assert_int_equal(mail_send(&f, dir, NULL, &err), 0);
	assert_int_equal(messages(&S.tls), before + 1);
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 1);
	free(log);
	assert_int_equal(mail_send_flags(&f, dir, BP_MAIL_RESEND, NULL, &err), 0);
	assert_int_equal(messages(&S.tls), before + 2);
}

/* A log an older boardpack wrote (five fields, the server's words, with
 * commas and parentheses, in REJECTED) reads the same: delivered and 5xx
 * addresses are done, a 4xx one is not. */
static void test_mail_older_log_read_back(void **state)
{
	char *to[] = { "board@acme.example", "reject-x@acme.example" };
	fixture f;
	bp_err err;
	char dir[128], path[192], *rcpts;
	int before = messages(&S.tls);

	(void)state;
	make_snapshot(dir, sizeof(dir), 1, 100);
	tl_write_file_mode(tl_path(dir, "delivery.log"),
			   "2026-11-01T06:00:03Z\tsent\tBoard@acme.example,"
			   "cfo@acme.example\treject-x@acme.example (550 5.1.1 no "
			   "such user, (really)),ops@acme.example (451 4.2.0 later)"
			   "\t-\n", 0600);
	fixture_init(&f, &S.tls, "smtp");
	f.email.to = to;
	if (mail_send(&f, dir, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(messages(&S.tls), before + 1);
	snprintf(path, sizeof(path), "%s/%d.rcpt", S.tls.out, before + 1);
	rcpts = tl_read_file(path, NULL);
	assert_string_equal(rcpts, "ops@acme.example\nhidden@acme.example\n");
	free(rcpts);
}

/* A new snapshot of a period that an earlier one reached in part (the
 * wrapper's retry of a run that exited 75) goes to the others only, and
 * its own log says who had it already. */
static void test_mail_period_retry_skips_what_an_earlier_snapshot_sent(void **state)
{
	static const char *const opts[] = { "--fail-transaction", "2:554", NULL };
	fixture f;
	bp_err err;
	char out[128], first[192], second[192], *log;

	(void)state;
	start_extra("period", opts);
	snprintf(out, sizeof(out), "%s/out-period", S.dir);
	make_snapshot_in(first, sizeof(first), out, "2026-11-01T060003Z");
	make_snapshot_in(second, sizeof(second), out, "2026-11-01T061503Z");
	fixture_many(&f, &S.extra, 250);
	f.cfg.output_dir = out;
	assert_int_equal(mail_send_flags(&f, first, BP_MAIL_PERIOD, NULL, &err), -1);
	assert_int_equal(messages(&S.extra), 1);
	if (mail_send_flags(&f, second, BP_MAIL_PERIOD, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_delivered(&S.extra, 0, 250, 1);
	log = delivery_log(second);
	assert_string_equal(field_of(line_of(log, 1), 1), "earlier");
	assert_int_equal(tl_count(field_of(line_of(log, 1), 2), "@"), 100);
	assert_has(field_of(line_of(log, 1), 4), "2026-11-01T060003Z");
	free(log);
	/* Everything is done: neither snapshot sends again. */
	assert_int_equal(mail_send_flags(&f, second, 0, NULL, &err), 0);
	assert_int_equal(mail_send_flags(&f, first, BP_MAIL_PERIOD, NULL, &err), 0);
	assert_delivered(&S.extra, 0, 250, 1);
}

/* 10,000 recipients reach every one of them, 100 at a time. */
static void test_mail_ten_thousand_recipients_delivered(void **state)
{
	static const char *const opts[] = { NULL };
	fixture f;
	bp_err err;
	char dir[128];
	int max_rcpts, delivered;

	(void)state;
	start_extra("10k", opts);
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_many(&f, &S.extra, MANY_MAX);
	if (mail_send(&f, dir, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(transactions(&S.extra, &max_rcpts, &delivered), 100);
	assert_int_equal(delivered, 100);
	assert_true(max_rcpts <= 100);
	assert_delivered(&S.extra, 0, MANY_MAX, 1);
}

/* ---- header lines -------------------------------------------------------- */

/* Every line of the header block of message `n` of `srv`: at most 78
 * characters, CRLF not counted. */
static void assert_header_lines_short(const server *srv, int n)
{
	char path[192], *raw;
	const char *p, *end;

	snprintf(path, sizeof(path), "%s/%d.eml", srv->out, n);
	raw = tl_read_file(path, NULL);
	end = strstr(raw, "\r\n\r\n");
	assert_non_null(end);
	for (p = raw; p < end;) {
		const char *nl = strstr(p, "\r\n");
		if ((size_t)(nl - p) > 78)
			fail_msg("header line of %zu characters: %.*s",
				 (size_t)(nl - p), (int)(nl - p), p);
		p = nl + 2;
	}
	free(raw);
}

/* A 2,000-character ASCII subject, folded: a server that enforces RFC
 * 5321's 1,000-character lines takes it, and it reads back the same. */
static void test_mail_long_ascii_subject_folded(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], title[2001], want[2100], *facts;
	int before = messages(&S.tls);

	(void)state;
	for (int i = 0; i < 2000; i++)
		title[i] = i % 10 == 9 ? ' ' : (char)('a' + i % 26);
	title[1999] = 'z';
	title[2000] = '\0';
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	f.cfg.title = title;
	f.email.subject = (char *)"{title}";
	if (mail_send(&f, dir, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(messages(&S.tls), before + 1);
	assert_header_lines_short(&S.tls, before + 1);
	facts = parse_message(&S.tls, before + 1, dir);
	snprintf(want, sizeof(want), "subject=%s\n", title);
	assert_has(facts, want);
	free(facts);
}

/* A word too long for any line, and long non-ASCII text: encoded words,
 * every line still within 78. */
static void test_mail_long_word_and_korean_subject_within_lines(void **state)
{
	fixture f;
	bp_err err;
	char dir[128], title[1200], want[1300], *facts;
	int before = messages(&S.tls);

	(void)state;
	for (int i = 0; i < 300; i++)
		title[i] = (char)('A' + i % 26);
	for (int i = 0; i < 100; i++)
		memcpy(title + 300 + 3 * i, "\xeb\xb3\xb4", 3);
	title[600] = '\0';
	make_snapshot(dir, sizeof(dir), 1, 100);
	fixture_init(&f, &S.tls, "smtp");
	f.cfg.title = title;
	f.email.subject = (char *)"{title}";
	if (mail_send(&f, dir, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_header_lines_short(&S.tls, before + 1);
	facts = parse_message(&S.tls, before + 1, dir);
	snprintf(want, sizeof(want), "subject=%s\n", title);
	assert_has(facts, want);
	free(facts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_html_to_text_strips_tags_and_collapses_blanks),
		cmocka_unit_test(test_mail_html_to_text_decodes_numeric_entities),
		cmocka_unit_test(test_mail_header_leaves_short_ascii_alone),
		cmocka_unit_test(test_mail_header_line_break_cannot_inject),
		cmocka_unit_test(test_mail_header_encoded_word_lookalike_encoded),
		cmocka_unit_test(test_mail_header_korean_is_one_encoded_word),
		cmocka_unit_test(test_mail_header_splits_between_characters),
		cmocka_unit_test(test_mail_header_long_ascii_folded_before_spaces),
		cmocka_unit_test(test_mail_header_fold_keeps_runs_of_spaces),
		cmocka_unit_test(test_mail_header_word_longer_than_a_line_encoded),
		cmocka_unit_test(test_mail_starttls_message_has_headers_and_parts),
		cmocka_unit_test(test_mail_bcc_only_in_envelope),
		cmocka_unit_test(test_mail_login_uses_credentials_from_env),
		cmocka_unit_test(test_mail_password_file_0600_is_used),
		cmocka_unit_test(test_mail_password_file_readable_by_group_refused),
		cmocka_unit_test(test_mail_missing_password_env_names_variable),
		cmocka_unit_test(test_mail_wrong_password_is_config_error_without_secret),
		cmocka_unit_test(test_mail_password_absent_from_log_and_errors),
		cmocka_unit_test(test_mail_rejected_recipient_reported_others_delivered),
		cmocka_unit_test(test_mail_every_recipient_rejected_is_unavailable),
		cmocka_unit_test(test_mail_server_down_is_unavailable_and_logged),
		cmocka_unit_test_teardown(test_mail_421_greeting_is_retried,
					  stop_extra),
		cmocka_unit_test_teardown(
			test_mail_421_every_time_is_temporary_failure, stop_extra),
		cmocka_unit_test_teardown(test_mail_451_after_data_is_retried,
					  stop_extra),
		cmocka_unit_test(test_mail_smtps_delivers),
		cmocka_unit_test(test_mail_wrong_ca_is_unavailable_without_retry),
		cmocka_unit_test(test_mail_server_without_starttls_refused),
		cmocka_unit_test(test_mail_tls_none_allowed_for_local_relay),
		cmocka_unit_test(test_mail_tls_none_refused_for_remote_host),
		cmocka_unit_test(test_mail_tls_none_with_smtps_refused),
		cmocka_unit_test(test_mail_attachment_of_exactly_the_cap_attached),
		cmocka_unit_test(test_mail_attachment_over_the_cap_replaced_by_note),
		cmocka_unit_test(test_mail_missing_email_html_lists_files_in_text),
		cmocka_unit_test(test_mail_missing_pdf_says_so),
		cmocka_unit_test(test_mail_attach_html_adds_report_html),
		cmocka_unit_test(test_mail_korean_title_in_subject),
		cmocka_unit_test(test_mail_no_email_config_is_config_error),
		cmocka_unit_test(test_mail_missing_snapshot_is_no_input),
		cmocka_unit_test(test_mail_was_sent_false_without_log),
		cmocka_unit_test(test_mail_was_sent_true_after_failure_then_success),
		cmocka_unit_test_teardown(test_mail_auth_echo_of_refused_login_not_kept, stop_extra),
		cmocka_unit_test_teardown(test_mail_auth_echo_in_later_replies_not_kept, stop_extra),
		cmocka_unit_test(test_mail_delivery_log_created_owner_only),
		cmocka_unit_test(test_mail_delivery_log_existing_mode_fixed),
		cmocka_unit_test(test_mail_delivery_log_symlink_refused),
		cmocka_unit_test(test_mail_delivery_log_fifo_refused_without_blocking),
		cmocka_unit_test_teardown(test_mail_envelopes_split_at_100_recipients, stop_extra),
		cmocka_unit_test_teardown(test_mail_failed_batch_then_retry_sends_only_the_rest, stop_extra),
		cmocka_unit_test_teardown(test_mail_batch_4xx_retried_then_temporary, stop_extra),
		cmocka_unit_test_teardown(test_mail_452_too_many_recipients_sent_later, stop_extra),
		cmocka_unit_test_teardown(test_mail_greylisted_batch_retried,
					  stop_extra),
		cmocka_unit_test(test_mail_send_again_sends_nothing_then_resend_all),
		cmocka_unit_test(test_mail_older_log_read_back),
		cmocka_unit_test_teardown(test_mail_period_retry_skips_what_an_earlier_snapshot_sent, stop_extra),
		cmocka_unit_test_teardown(test_mail_ten_thousand_recipients_delivered, stop_extra),
		cmocka_unit_test(test_mail_long_ascii_subject_folded),
		cmocka_unit_test(test_mail_long_word_and_korean_subject_within_lines),
	};

	if (getenv("BP_TEST_ONLY")) cmocka_set_test_filter(getenv("BP_TEST_ONLY"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
