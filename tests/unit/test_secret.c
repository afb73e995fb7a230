/*
 * test_secret.c - secret files: what bp_secret_read_file accepts (one
 * line, owner-only, a regular file within the size limit) and what it
 * refuses, with messages that never hold the secret.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "secret.h"
#include "testlib.h"

#define TOKEN "tok-9f2Kq7"

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = tl_tmpdir("/tmp/bp-secret-XXXXXX");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_rmtree(dir);
	free(dir);
	return 0;
}

/* Writes `n` bytes to dir/name with `mode` and returns its path (a
 * tl_path buffer). */
static const char *secret_file(const char *name, const char *data, size_t n,
			       mode_t mode)
{
	const char *path = tl_path(dir, name);

	tl_write_bytes(path, data, n, mode);
	return path;
}

/* The secret read from `path`, or NULL with err set. */
static char *read_secret(const char *path, bp_err *err)
{
	bp_err_clear(err);
	return bp_secret_read_file(path, "token", "source 'crm'", err);
}

static void assert_refused(const char *path, const char *why)
{
	bp_err err;
	char *s = read_secret(path, &err);

	if (s)
		fail_msg("'%s' was accepted, want refused with \"%s\"", path, why);
	assert_int_equal(err.code, BP_ECONFIG);
	if (!strstr(err.msg, why))
		fail_msg("want \"%s\" in: %s", why, err.msg);
	assert_non_null(strstr(err.msg, path));
	assert_null(strstr(err.msg, TOKEN));
}

static void assert_reads(const char *path, const char *want)
{
	bp_err err;
	char *s = read_secret(path, &err);

	if (!s)
		fail_msg("'%s' refused: %s", path, err.msg);
	assert_string_equal(s, want);
	bp_secret_free(s);
}

static void test_secret_one_line_with_newline(void **state)
{
	(void)state;
	assert_reads(secret_file("lf", TOKEN "\n", strlen(TOKEN) + 1, 0600),
		     TOKEN);
	assert_reads(secret_file("none", TOKEN, strlen(TOKEN), 0400), TOKEN);
}

/* A file saved on Windows ends in CR LF: that is one line end too. */
static void test_secret_crlf_line_end_accepted(void **state)
{
	(void)state;
	assert_reads(secret_file("crlf", TOKEN "\r\n", strlen(TOKEN) + 2, 0600),
		     TOKEN);
}

static void test_secret_exactly_the_limit_accepted(void **state)
{
	char *big = malloc(BP_SECRET_FILE_MAX + 1);
	const char *path;

	(void)state;
	memset(big, 'k', BP_SECRET_FILE_MAX);
	big[BP_SECRET_FILE_MAX - 1] = '\n';
	path = secret_file("limit", big, BP_SECRET_FILE_MAX, 0600);
	big[BP_SECRET_FILE_MAX - 1] = '\0';
	assert_reads(path, big);
	free(big);
}

/* Cutting a long file to the limit would send a token that is not the
 * one in the file. */
static void test_secret_over_the_limit_refused_not_truncated(void **state)
{
	char *big = malloc(BP_SECRET_FILE_MAX + 1);
	char want[64];

	(void)state;
	memset(big, 'k', BP_SECRET_FILE_MAX + 1);
	snprintf(want, sizeof(want), "is larger than %d bytes",
		 BP_SECRET_FILE_MAX);
	assert_refused(secret_file("over", big, BP_SECRET_FILE_MAX + 1, 0600),
		       want);
	free(big);
}

static void test_secret_second_line_refused(void **state)
{
	(void)state;
	assert_refused(secret_file("two", TOKEN "\nmore\n", strlen(TOKEN) + 6,
				   0600), "more than one line");
	/* An empty line after it is a second line too. */
	assert_refused(secret_file("blank", TOKEN "\n\n", strlen(TOKEN) + 2,
				   0600), "more than one line");
}

/* A CR inside would end the Authorization header early. */
static void test_secret_carriage_return_refused(void **state)
{
	(void)state;
	assert_refused(secret_file("cr", "tok\rX-Injected: 1\n", 18, 0600),
		       "carriage return");
	assert_refused(secret_file("cr-end", TOKEN "\r", strlen(TOKEN) + 1,
				   0600), "carriage return");
}

static void test_secret_control_characters_refused(void **state)
{
	static const char *const bad[] = { "to\x01k\n", "to\tk\n", "to\x7fk\n",
					   "tok\t\n", "to\0k\n" };
	char name[32];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "ctl-%zu", i);
		assert_refused(secret_file(name, bad[i], 5, 0600),
			       "control character");
	}
}

static void test_secret_empty_refused(void **state)
{
	(void)state;
	assert_refused(secret_file("empty", "", 0, 0600), "is empty");
	assert_refused(secret_file("just-lf", "\n", 1, 0600), "is empty");
}

/* Non-ASCII text (a password in UTF-8) is not a control character. */
static void test_secret_utf8_accepted(void **state)
{
	(void)state;
	assert_reads(secret_file("utf8", "p\xc3\xa4ss\n", 6, 0600),
		     "p\xc3\xa4ss");
}

static void test_secret_readable_by_group_or_others_refused(void **state)
{
	(void)state;
	assert_refused(secret_file("g", TOKEN, strlen(TOKEN), 0640),
		       "may be read or written by group or others");
	assert_refused(secret_file("o", TOKEN, strlen(TOKEN), 0604),
		       "may be read or written by group or others");
	assert_refused(secret_file("gw", TOKEN, strlen(TOKEN), 0620),
		       "may be read or written by group or others");
}

/* A FIFO would block the run forever waiting for a writer. */
static void test_secret_fifo_refused_without_blocking(void **state)
{
	const char *path = tl_path(dir, "fifo");
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int status = 0, waited;
	pid_t pid;

	(void)state;
	assert_int_equal(mkfifo(path, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bp_err err = { 0 };
		char *s = bp_secret_read_file(path, "token", "source 'crm'", &err);
		_exit(!s && err.code == BP_ECONFIG &&
		      strstr(err.msg, "not a regular file") ? 0 : 1);
	}
	for (waited = 0; waited < 250; waited++) {   /* 5 s */
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		nanosleep(&pause, NULL);
	}
	if (waited == 250) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("reading a FIFO as a secret file blocked");
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_secret_folder_and_device_refused(void **state)
{
	const char *sub = tl_path(dir, "folder");

	(void)state;
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_refused(sub, "not a regular file");
	assert_refused("/dev/null", "not a regular file");
}

/* Secret stores (Kubernetes, Docker) mount secrets as symbolic links:
 * they are followed, and the file they lead to is what is checked. */
static void test_secret_symlink_followed_and_target_checked(void **state)
{
	const char *link = tl_path(dir, "link"), *open_link = tl_path(dir, "open-link");

	(void)state;
	secret_file("target", TOKEN "\n", strlen(TOKEN) + 1, 0600);
	secret_file("open-target", TOKEN "\n", strlen(TOKEN) + 1, 0644);
	assert_int_equal(symlink("target", link), 0);
	assert_int_equal(symlink("open-target", open_link), 0);
	assert_reads(link, TOKEN);
	assert_refused(open_link, "may be read or written by group or others");
}

/* Root can read any user's file; one another user owns is that user's
 * to read and change, so it is not ours alone. */
static void test_secret_owned_by_another_user_refused(void **state)
{
	const char *path = secret_file("theirs", TOKEN, strlen(TOKEN), 0600);

	(void)state;
	if (geteuid() != 0) {
		/* Only root can give a file away; nothing to check. */
		return;
	}
	assert_int_equal(chown(path, 4321, 4321), 0);
	assert_refused(path, "is owned by another user (uid 4321)");
}

static void test_secret_missing_file_named(void **state)
{
	(void)state;
	assert_refused(tl_path(dir, "absent"), "cannot open token file");
}

static void test_secret_free_accepts_null(void **state)
{
	(void)state;
	bp_secret_free(NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_secret_one_line_with_newline),
		T(test_secret_crlf_line_end_accepted),
		T(test_secret_exactly_the_limit_accepted),
		T(test_secret_over_the_limit_refused_not_truncated),
		T(test_secret_second_line_refused),
		T(test_secret_carriage_return_refused),
		T(test_secret_control_characters_refused),
		T(test_secret_empty_refused),
		T(test_secret_utf8_accepted),
		T(test_secret_readable_by_group_or_others_refused),
		T(test_secret_fifo_refused_without_blocking),
		T(test_secret_folder_and_device_refused),
		T(test_secret_symlink_followed_and_target_checked),
		T(test_secret_owned_by_another_user_refused),
		T(test_secret_missing_file_named),
		T(test_secret_free_accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
