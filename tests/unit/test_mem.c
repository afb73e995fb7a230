/*
 * test_mem.c - the allocators' test hooks (mem.h): the report of the call
 * sites that allocate, and the failure of the first allocation from one
 * site, which ends the process as out of memory does.  Each case runs in
 * a child process, since bp_mem_init reads the environment and a failed
 * allocation ends the process.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem.h"
#include "testlib.h"

/* Two call sites of their own. */
__attribute__((noinline)) static void alloc_a(void)
{
	free(bp_xmalloc(16));
}

__attribute__((noinline)) static void alloc_b(void)
{
	free(bp_xstrdup("b"));
}

static pthread_barrier_t start;

/* Every thread reaches both sites for the first time at once. */
static void *both_many_times(void *arg)
{
	int i;

	(void)arg;
	pthread_barrier_wait(&start);
	for (i = 0; i < 2000; i++) {
		alloc_a();
		alloc_b();
	}
	return NULL;
}

/* What a child does after bp_mem_init. */
enum { CALL_A_THEN_B, CALL_FROM_THREADS };

/* Runs `what` in a child whose environment has `var`=`value`; its stdout
 * and stderr go to `dir`/out and `dir`/err.  Returns its wait status. */
static int child(const char *dir, const char *var, const char *value, int what)
{
	pthread_t t[4];
	pid_t pid;
	int status, i;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen(tl_path(dir, "out"), "w", stdout) ||
		    !freopen(tl_path(dir, "err"), "w", stderr))
			_exit(99);
		setvbuf(stdout, NULL, _IONBF, 0);
		setenv(var, value, 1);
		bp_mem_init();
		if (what == CALL_FROM_THREADS) {
			pthread_barrier_init(&start, NULL, 4);
			for (i = 0; i < 4; i++)
				if (pthread_create(&t[i], NULL, both_many_times, NULL))
					_exit(98);
			for (i = 0; i < 4; i++)
				pthread_join(t[i], NULL);
			_exit(0);
		}
		for (i = 0; i < 3; i++)
			alloc_a();
		fputs("a done\n", stdout);
		alloc_b();
		fputs("b done\n", stdout);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* The report's lines for sites in this program ("test_mem+0x..."),
 * in the order they were first reached, as one string. */
static char *own_sites(const char *report)
{
	char *text = tl_read_file(report, NULL), *line, *save = NULL;
	char *own = calloc(1, strlen(text) + 1);
	const char *me = strrchr(program_invocation_name, '/');

	me = me ? me + 1 : program_invocation_name;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, me, strlen(me)) == 0 && line[strlen(me)] == '+')
			strcat(strcat(own, line), "\n");
	free(text);
	return own;
}

static void test_mem_report_names_each_site_once(void **state)
{
	const char *dir = *state;
	char report[4096], *own;
	int status;

	snprintf(report, sizeof(report), "%s", tl_path(dir, "sites"));
	status = child(dir, "BOARDPACK_ALLOC_REPORT", report, CALL_A_THEN_B);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	own = own_sites(report);
	/* alloc_a three times, alloc_b once: two sites, each once. */
	assert_int_equal(tl_count(own, "\n"), 2);
	assert_int_equal(tl_count(own, "+0x"), 2);
	free(own);
}

static void test_mem_fails_the_first_allocation_from_a_site(void **state)
{
	const char *dir = *state;
	char report[4096], *own, *site, *out, *err;
	int status;

	snprintf(report, sizeof(report), "%s", tl_path(dir, "sites"));
	assert_int_equal(child(dir, "BOARDPACK_ALLOC_REPORT", report, CALL_A_THEN_B), 0);
	own = own_sites(report);
	site = strchr(own, '\n') + 1;           /* alloc_b's, reached second */
	*strchr(site, '\n') = '\0';
	status = child(dir, "BOARDPACK_FAIL_ALLOC_SITE", site, CALL_A_THEN_B);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 70);
	out = tl_read_file(tl_path(dir, "out"), NULL);
	err = tl_read_file(tl_path(dir, "err"), NULL);
	/* alloc_a's site went on working; alloc_b's first call ended it. */
	assert_string_equal(out, "a done\n");
	assert_string_equal(err, "boardpack: error: out of memory\n");
	free(out);
	free(err);
	free(own);
}

static void test_mem_a_site_no_one_reaches_fails_nothing(void **state)
{
	const char *dir = *state;
	char *out;

	assert_int_equal(child(dir, "BOARDPACK_FAIL_ALLOC_SITE", "nowhere+0x1",
			       CALL_A_THEN_B), 0);
	out = tl_read_file(tl_path(dir, "out"), NULL);
	assert_string_equal(out, "a done\nb done\n");
	free(out);
}

/* Four threads allocating from the same two sites at once: each site is
 * recorded once, whole. */
static void test_mem_threads_report_each_site_once(void **state)
{
	const char *dir = *state;
	char report[4096], *own;

	snprintf(report, sizeof(report), "%s", tl_path(dir, "sites"));
	assert_int_equal(child(dir, "BOARDPACK_ALLOC_REPORT", report,
			       CALL_FROM_THREADS), 0);
	own = own_sites(report);
	assert_int_equal(tl_count(own, "\n"), 2);
	free(own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mem_report_names_each_site_once, tl_tmpdir_setup, tl_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_mem_fails_the_first_allocation_from_a_site, tl_tmpdir_setup, tl_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_mem_a_site_no_one_reaches_fails_nothing, tl_tmpdir_setup, tl_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_mem_threads_report_each_site_once, tl_tmpdir_setup, tl_tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
