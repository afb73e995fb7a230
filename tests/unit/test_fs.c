/*
 * test_fs.c - staged and in-place files (fs.h) in a scratch folder,
 * including what is left when a write or a flush fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs.h"
#include "testlib.h"

/* Fails the test unless `path` holds exactly `want`. */
static void file_is(const char *path, const char *want)
{
	char *got = tl_read_file(path, NULL);

	assert_string_equal(got, want);
	free(got);
}

static void test_fs_commit_puts_the_file_in_place(void **state)
{
	const char *path = tl_path(*state, "a.txt");
	bp_err err = { 0 };
	bp_staged st;

	assert_int_equal(bp_fs_stage(&st, path, 0600, &err), 0);
	assert_int_equal(bp_fs_write(&st, "hello", 5, &err), 0);
	assert_int_equal(bp_fs_commit(&st, &err), 0);
	file_is(path, "hello");
	assert_int_equal(tl_count_entries(*state), 1);
}

/* fsync refuses a pipe (EINVAL): the staged file's descriptor is made to
 * be one, so the commit's flush fails as on a failing disk. */
static void test_fs_commit_closes_the_file_when_the_flush_fails(void **state)
{
	const char *path = tl_path(*state, "b.txt");
	bp_err err = { 0 };
	bp_staged st;
	int p[2], fd;

	assert_int_equal(bp_fs_stage(&st, path, 0600, &err), 0);
	assert_int_equal(pipe(p), 0);
	fd = st.fd;
	assert_int_equal(dup2(p[1], fd), fd);
	close(p[0]);
	close(p[1]);
	assert_int_equal(bp_fs_commit(&st, &err), -1);
	assert_int_equal(err.code, BP_ECANTCREAT);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, strerror(EINVAL)));
	/* Closed, not leaked; and no temporary file is left. */
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(tl_count_entries(*state), 0);
}

static void test_fs_write_new_writes_the_whole_file(void **state)
{
	const char *path = tl_path(*state, "c.csv");
	bp_err err = { 0 };
	struct stat st;

	assert_int_equal(bp_fs_write_new(path, "a,b\n1,2\n", 8, 0600, &err), 0);
	file_is(path, "a,b\n1,2\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_fs_write_new_refuses_a_file_that_is_there(void **state)
{
	const char *path = tl_path(*state, "d.xml");
	bp_err err = { 0 };
	char want[1024];

	tl_write_file(path, "old");
	assert_int_equal(bp_fs_write_new(path, "new", 3, 0600, &err), -1);
	assert_int_equal(err.code, BP_ECANTCREAT);
	snprintf(want, sizeof(want), "cannot create '%s': %s", path,
		 strerror(EEXIST));
	assert_string_equal(err.msg, want);
	file_is(path, "old");
}

static void test_fs_write_new_never_writes_through_a_link(void **state)
{
	const char *target = tl_path(*state, "target");
	const char *path = tl_path(*state, "e.xml");
	bp_err err = { 0 };

	tl_write_file(target, "kept");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(bp_fs_write_new(path, "new", 3, 0600, &err), -1);
	file_is(target, "kept");
}

/* What dead runs' staging left goes; finished downloads, other names
 * and whatever a link points at stay. */
static void test_fs_remove_staged_takes_only_what_staging_left(void **state)
{
	const char *dir = *state;
	char *outside = tl_tmpdir("/tmp/bp-fs-outside-XXXXXX");

	tl_write_file(tl_path(dir, ".deals.AbC123"), "half a download");
	assert_int_equal(mkdir(tl_path(dir, ".crm.XyZ789"), 0700), 0);
	tl_write_file(tl_path(dir, ".crm.XyZ789/page-1.json"), "{}");
	tl_write_file(tl_path(dir, ".crm.XyZ789/index.json"), "[]");
	tl_write_file(tl_path(dir, "deals"), "a whole download");
	tl_write_file(tl_path(dir, ".deals.AbC12"), "not a staged name");
	tl_write_file(tl_path(outside, "keep"), "kept");
	assert_int_equal(symlink(outside, tl_path(dir, ".evil.Abc123")), 0);

	assert_int_equal(bp_fs_remove_staged(dir), 3);
	assert_false(tl_exists(tl_path(dir, ".deals.AbC123")));
	assert_false(tl_exists(tl_path(dir, ".crm.XyZ789")));
	assert_false(tl_exists(tl_path(dir, ".evil.Abc123")));
	file_is(tl_path(dir, "deals"), "a whole download");
	file_is(tl_path(dir, ".deals.AbC12"), "not a staged name");
	file_is(tl_path(outside, "keep"), "kept");
	assert_int_equal(bp_fs_remove_staged(tl_path(dir, "no-such-folder")), 0);
	tl_rmtree(outside);
	free(outside);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fs_commit_puts_the_file_in_place, tl_tmpdir_setup, tl_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_fs_commit_closes_the_file_when_the_flush_fails, tl_tmpdir_setup, tl_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_fs_write_new_writes_the_whole_file, tl_tmpdir_setup, tl_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_fs_write_new_refuses_a_file_that_is_there, tl_tmpdir_setup, tl_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_fs_write_new_never_writes_through_a_link, tl_tmpdir_setup, tl_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_fs_remove_staged_takes_only_what_staging_left, tl_tmpdir_setup, tl_tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
