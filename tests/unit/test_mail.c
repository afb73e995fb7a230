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

static int mail_send(fixture *f, const char *dir, char **report, bp_err *err)
{
	bp_err_clear(err);
	return bp_mail_send(&f->cfg, dir, "2026-10", report, err);
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

static void test_mail_encode_header_leaves_ascii_alone(void **state)
{
	char *s;

	(void)state;
	s = bp_mail_encode_header("Acme Board - 2026-10");
	assert_string_equal(s, "Acme Board - 2026-10");
	free(s);
}

/* A line break in a title from the config cannot start a header of its
 * own: control characters force the encoded form. */
static void test_mail_encode_header_line_break_cannot_inject(void **state)
{
	char *s;

	(void)state;
	s = bp_mail_encode_header("Report\r\nX-Injected: yes");
	assert_non_null(s);
	assert_null(strstr(s, "X-Injected"));
	assert_non_null(strstr(s, "=?UTF-8?B?"));
	free(s);
}

static void test_mail_encode_header_korean_is_one_encoded_word(void **state)
{
	char *s;

	(void)state;
	/* "Acme 보드 — 2026-10" is 23 bytes; base64 by Python's module. */
	s = bp_mail_encode_header(TITLE_KO " \xe2\x80\x94 2026-10");
	assert_string_equal(s, "=?UTF-8?B?QWNtZSDrs7Trk5wg4oCUIDIwMjYtMTA=?=");
	free(s);
}

static void test_mail_encode_header_splits_between_characters(void **state)
{
	char text[61], *s, *nl;
	int i;

	(void)state;
	/* 20 times "보" (3 bytes): 45 + 15 bytes, never 44 + 16. */
	for (i = 0; i < 20; i++)
		memcpy(text + 3 * i, "\xeb\xb3\xb4", 3);
	text[60] = '\0';
	s = bp_mail_encode_header(text);
	nl = strstr(s, "\r\n ");
	assert_non_null(nl);
	assert_int_equal(nl - s, 10 + 60 + 2);
	assert_int_equal(strlen(nl + 3), 10 + 20 + 2);
	assert_null(strstr(nl + 3, "\r\n"));
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
	assert_int_equal(mail_send(&f, dir, NULL, &err), -1);
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
	assert_string_equal(report, "rejected by the server: "
			    "reject-me@acme.example (550 5.1.1 No such user here)");
	assert_int_equal(messages(&S.tls), before + 1);
	facts = parse_message(&S.tls, before + 1, dir);
	assert_has(facts, "to=board@acme.example, reject-me@acme.example\n");
	log = delivery_log(dir);
	assert_int_equal(count_lines(log, ""), 1);
	assert_has(log, "\tsent\tboard@acme.example,ops@acme.example,"
		   "hidden@acme.example\treject-me@acme.example "
		   "(550 5.1.1 No such user here)\t-\n");
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
	assert_has(log, "\tfailed\t-\treject-a@acme.example (550 5.1.1 No such "
		   "user here),reject-b@acme.example (550 5.1.1 No such user "
		   "here)\t");
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
		   "ops@acme.example,hidden@acme.example\t-\t-\n");
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
	assert_has(log, "451 4.3.0 Queue full, try again later");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_html_to_text_strips_tags_and_collapses_blanks),
		cmocka_unit_test(test_mail_html_to_text_decodes_numeric_entities),
		cmocka_unit_test(test_mail_encode_header_leaves_ascii_alone),
		cmocka_unit_test(test_mail_encode_header_line_break_cannot_inject),
		cmocka_unit_test(test_mail_encode_header_korean_is_one_encoded_word),
		cmocka_unit_test(test_mail_encode_header_splits_between_characters),
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
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
