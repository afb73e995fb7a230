/*
 * test_snapshot.c - snapshots built, sealed, checked and found in a
 * scratch folder; sha256sum -c is the independent judge of the manifest.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs.h"
#include "mem.h"
#include "snapshot.h"
#include "testlib.h"

/* 2026-10-31T23:59:59Z, worked out by hand: 20454 days to 2026-01-01,
 * 304 more to 2026-11-01, one second back. */
#define OCT_END ((bp_time)1793491199)
#define OCT_STAMP "2026-10-31T235959Z"

/* FIPS 180-2 example digests of "abc", "" and the 448-bit message. */
#define D_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define D_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define D_448 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define MSG_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

static void write_file(const char *dir, const char *rel, const char *text)
{
	tl_write_file(tl_path(dir, rel), text);
}

/* The whole of `path`, kept until the next call, so that a test can
 * compare it in one expression. */
static const char *read_all(const char *path)
{
	static char *last;

	free(last);
	last = tl_read_file(path, NULL);
	return last;
}

/* The files of a typical snapshot, plus a name that sorts between
 * "sources" and "sources/..." in byte order. */
static void fill(const char *dir)
{
	char sub[1024];

	snprintf(sub, sizeof(sub), "%s/sources", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(dir, "cohorts.csv", "abc");
	write_file(dir, "sources-old.txt", "");
	write_file(dir, "sources/crm.csv", MSG_448);
}

/* Builds and commits the typical snapshot; returns its path (static). */
static const char *committed(const char *root)
{
	static char path[1024];
	bp_err err = { 0 };
	bp_snapshot *s = bp_snapshot_begin(root, "2026-10", OCT_END, NULL, &err);

	assert_non_null(s);
	fill(bp_snapshot_tmpdir(s));
	snprintf(path, sizeof(path), "%s", bp_snapshot_path(s));
	assert_int_equal(bp_snapshot_commit(s, &err), 0);
	return path;
}

static void test_snapshot_begin_creates_temp_folder_in_period(void **state)
{
	const char *root = *state;
	char out[1024], want[1200];
	bp_err err = { 0 };
	bp_snapshot *s;

	snprintf(out, sizeof(out), "%s/reports/board", root);
	s = bp_snapshot_begin(out, "2026-10", OCT_END, NULL, &err);
	assert_non_null(s);
	snprintf(want, sizeof(want), "%s/2026-10/.tmp-" OCT_STAMP "-%ld", out,
		 (long)getpid());
	assert_string_equal(bp_snapshot_tmpdir(s), want);
	assert_true(tl_exists(want));
	snprintf(want, sizeof(want), "%s/2026-10/" OCT_STAMP, out);
	assert_string_equal(bp_snapshot_path(s), want);
	assert_false(tl_exists(want));
	bp_snapshot_abort(s);
}

static void test_snapshot_begin_rejects_malformed_period(void **state)
{
	bp_err err = { 0 };

	assert_null(bp_snapshot_begin(*state, "../x", OCT_END, NULL, &err));
	assert_int_equal(err.code, BP_ECANTCREAT);
	assert_int_equal(tl_count_entries(*state), 0);
}

static void test_snapshot_commit_writes_sorted_manifest(void **state)
{
	const char *snap = committed(*state);

	assert_string_equal(read_all(tl_path(snap, "MANIFEST.sha256")),
			    D_ABC "  cohorts.csv\n"
			    D_EMPTY "  sources-old.txt\n"
			    D_448 "  sources/crm.csv\n");
}

/* A file archived from outside the snapshot: its own inode (no hard
 * link the cache could write through), the same bytes, and the digest the
 * background thread computed while copying lands in the manifest. */
static void test_snapshot_archive_copies_into_an_inode_of_its_own(void **state)
{
	char src[1024], snap[1024];
	struct stat a, b;
	const char *via = NULL;
	unsigned long long bytes = 0;
	bp_err err = { 0 };
	bp_snapshot *s;

	snprintf(src, sizeof(src), "%s", tl_path(*state, "crm"));
	tl_write_file(src, MSG_448);
	assert_int_equal(chmod(src, 0600), 0);
	s = bp_snapshot_begin(tl_path(*state, "out"), "2026-10", OCT_END, NULL, &err);
	assert_non_null(s);
	assert_int_equal(bp_snapshot_archive(s, "sources/crm.csv", src, &via,
					     &bytes, &err), 0);
	assert_int_equal(bytes, strlen(MSG_448));
	assert_non_null(via);
	/* What the caller parses holds the very bytes. */
	assert_string_equal(read_all(via), MSG_448);
	assert_int_equal(bp_snapshot_archive_start(s), 0);
	assert_int_equal(bp_snapshot_archive_start(s), -1); /* once only */
	snprintf(snap, sizeof(snap), "%s", bp_snapshot_path(s));
	assert_int_equal(bp_snapshot_commit(s, &err), 0);
	assert_string_equal(read_all(tl_path(snap, "MANIFEST.sha256")),
			    D_448 "  sources/crm.csv\n");
	assert_int_equal(stat(src, &a), 0);
	assert_int_equal(stat(tl_path(snap, "sources/crm.csv"), &b), 0);
	assert_true(a.st_ino != b.st_ino);
	assert_int_equal(a.st_nlink, 1);
	assert_int_equal(b.st_nlink, 1);
	/* Sealing the snapshot left the cache's file as it was. */
	assert_int_equal(a.st_mode & 07777, 0600);
	/* Writing the cache's file in place never reaches the snapshot. */
	tl_write_file(src, "changed");
	assert_string_equal(read_all(tl_path(snap, "sources/crm.csv")), MSG_448);
}

/* Archives of every size around the copy's chunks and blocks (1 MiB
 * and 4 KiB: whole ones are written with direct I/O, a partial last one
 * through the page cache) hold the very bytes, and the manifest's digest
 * is the one sha256sum computes. */
static void test_snapshot_archive_copies_every_size_whole(void **state)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 65536,
		(size_t)1 << 20, ((size_t)1 << 20) + 1, ((size_t)1 << 20) + 4096,
		((size_t)2 << 20) - 1, ((size_t)2 << 20), ((size_t)5 << 20) + 123 };
	size_t n = sizeof(sizes) / sizeof(sizes[0]), i, max = sizes[n - 1];
	unsigned char *data = tl_pseudo_random(max);
	char src[64][1024], rel[64][64], snap[1024], *line;
	const char *via;
	unsigned long long bytes;
	bp_err err = { 0 };
	bp_snapshot *s;

	(void)state;
	s = bp_snapshot_begin(tl_path(*state, "out"), "2026-10", OCT_END, NULL, &err);
	assert_non_null(s);
	for (i = 0; i < n; i++) {
		snprintf(src[i], sizeof(src[i]), "%s-%zu", tl_path(*state, "src"), sizes[i]);
		tl_write_bytes(src[i], data + (max - sizes[i]), sizes[i], 0600);
		snprintf(rel[i], sizeof(rel[i]), "sources/f%zu.csv", sizes[i]);
		assert_int_equal(bp_snapshot_archive(s, rel[i], src[i], &via, &bytes, &err), 0);
		assert_int_equal(bytes, sizes[i]);
	}
	assert_int_equal(bp_snapshot_archive_start(s), 0);
	snprintf(snap, sizeof(snap), "%s", bp_snapshot_path(s));
	assert_int_equal(bp_snapshot_commit(s, &err), 0);
	for (i = 0; i < n; i++) {
		char *archived = bp_xasprintf("%s/%s", snap, rel[i]);
		int status;

		line = tl_run(&status, "cmp '%s' '%s' && cd '%s' && sha256sum -c --quiet MANIFEST.sha256",
			      src[i], archived, snap);
		assert_int_equal(status, 0);
		free(line);
		free(archived);
	}
	free(data);
}

/* Without a call to start, the commit does the copying itself. */
static void test_snapshot_archive_commit_copies_when_not_started(void **state)
{
	char src[1024], snap[1024];
	const char *via;
	unsigned long long bytes;
	bp_err err = { 0 };
	bp_snapshot *s;

	snprintf(src, sizeof(src), "%s", tl_path(*state, "crm"));
	tl_write_file(src, "abc");
	s = bp_snapshot_begin(tl_path(*state, "out"), "2026-10", OCT_END, NULL, &err);
	assert_non_null(s);
	assert_int_equal(bp_snapshot_archive(s, "sources/crm.csv", src, &via,
					     &bytes, &err), 0);
	snprintf(snap, sizeof(snap), "%s", bp_snapshot_path(s));
	assert_int_equal(bp_snapshot_commit(s, &err), 0);
	assert_string_equal(read_all(tl_path(snap, "sources/crm.csv")), "abc");
	assert_string_equal(read_all(tl_path(snap, "MANIFEST.sha256")),
			    D_ABC "  sources/crm.csv\n");
}

/* A download changed in place while the snapshot was open: what was
 * parsed may not be what was archived, so nothing is sealed. */
static void test_snapshot_archive_source_changed_fails_commit(void **state)
{
	char src[1024];
	const char *via;
	unsigned long long bytes;
	bp_err err = { 0 };
	bp_snapshot *s;
	FILE *f;

	snprintf(src, sizeof(src), "%s", tl_path(*state, "crm"));
	tl_write_file(src, "abc");
	s = bp_snapshot_begin(tl_path(*state, "out"), "2026-10", OCT_END, NULL, &err);
	assert_non_null(s);
	assert_int_equal(bp_snapshot_archive(s, "sources/crm.csv", src, &via,
					     &bytes, &err), 0);
	assert_int_equal(bp_snapshot_archive_start(s), 0);
	f = fopen(src, "a");
	assert_non_null(f);
	fputs("more", f);
	fclose(f);
	assert_int_equal(bp_snapshot_commit(s, &err), -1);
	assert_int_equal(err.code, BP_ETEMPFAIL);
	assert_string_equal(err.msg, "the download archived as 'sources/crm.csv' "
			    "changed while it was read; run again");
	assert_false(tl_exists(tl_path(*state, "out/2026-10")));
}

static void test_snapshot_archive_refuses_a_link(void **state)
{
	char src[1024];
	const char *via = NULL;
	unsigned long long bytes;
	bp_err err = { 0 };
	bp_snapshot *s;

	snprintf(src, sizeof(src), "%s", tl_path(*state, "crm"));
	assert_int_equal(symlink("/etc/hostname", src), 0);
	s = bp_snapshot_begin(tl_path(*state, "out"), "2026-10", OCT_END, NULL, &err);
	assert_non_null(s);
	assert_int_equal(bp_snapshot_archive(s, "sources/crm.csv", src, &via,
					     &bytes, &err), -1);
	assert_int_equal(err.code, BP_ENOINPUT);
	assert_non_null(strstr(err.msg, "is a symbolic link"));
	assert_null(via);
	bp_snapshot_abort(s);
}

/* A connector's pull: every page, dot files left out, hashed in the
 * background like the rest. */
static void test_snapshot_archive_dir_takes_every_page(void **state)
{
	char pull[1024], snap[1024];
	unsigned long long bytes = 0;
	bp_err err = { 0 };
	bp_snapshot *s;

	snprintf(pull, sizeof(pull), "%s", tl_path(*state, "pull"));
	assert_int_equal(mkdir(pull, 0700), 0);
	write_file(pull, "index.json", "abc");
	write_file(pull, "page-1.json", "");
	write_file(pull, ".partial", "x");
	s = bp_snapshot_begin(tl_path(*state, "out"), "2026-10", OCT_END, NULL, &err);
	assert_non_null(s);
	assert_int_equal(bp_snapshot_archive_dir(s, "sources/hs", pull, &bytes,
						 &err), 0);
	assert_int_equal(bytes, 3);
	snprintf(snap, sizeof(snap), "%s", bp_snapshot_path(s));
	assert_int_equal(bp_snapshot_archive_start(s), 0);
	assert_int_equal(bp_snapshot_commit(s, &err), 0);
	assert_string_equal(read_all(tl_path(snap, "MANIFEST.sha256")),
			    D_ABC "  sources/hs/index.json\n"
			    D_EMPTY "  sources/hs/page-1.json\n");
}

static void test_snapshot_abort_waits_for_the_archiver(void **state)
{
	char src[1024];
	const char *via;
	unsigned long long bytes;
	bp_err err = { 0 };
	bp_snapshot *s;

	snprintf(src, sizeof(src), "%s", tl_path(*state, "crm"));
	tl_write_file(src, MSG_448);
	s = bp_snapshot_begin(*state, "2026-10", OCT_END, NULL, &err);
	assert_non_null(s);
	assert_int_equal(bp_snapshot_archive(s, "sources/crm.csv", src, &via,
					     &bytes, &err), 0);
	assert_int_equal(bp_snapshot_archive_start(s), 0);
	bp_snapshot_abort(s);
	assert_false(tl_exists(tl_path(*state, "2026-10")));
}

static void test_snapshot_manifest_accepted_by_sha256sum(void **state)
{
	const char *snap = committed(*state);
	char cmd[1200];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && sha256sum --quiet --strict -c MANIFEST.sha256", snap);
	assert_int_equal(system(cmd), 0);
}

/* Personal data: read-only for the owner, closed to everyone else, from
 * the period folder down, whatever modes the files were written with. */
static void test_snapshot_commit_makes_files_owner_read_only(void **state)
{
	const char *snap = committed(*state);
	struct stat st;

	assert_int_equal(stat(tl_path(snap, "cohorts.csv"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	assert_int_equal(stat(tl_path(snap, "sources/crm.csv"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	assert_int_equal(stat(tl_path(snap, "MANIFEST.sha256"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	assert_int_equal(stat(tl_path(snap, "sources"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(snap, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(tl_path(*state, "2026-10"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

/* A period folder others could write into is where a planted link would
 * wait for a run from root's crontab. */
static void test_snapshot_begin_refuses_period_folder_others_can_write(void **state)
{
	bp_err err = { 0 };

	assert_int_equal(mkdir(tl_path(*state, "2026-10"), 0700), 0);
	assert_int_equal(chmod(tl_path(*state, "2026-10"), 0777), 0);
	assert_null(bp_snapshot_begin(*state, "2026-10", OCT_END, NULL, &err));
	assert_int_equal(err.code, BP_ECANTCREAT);
	assert_non_null(strstr(err.msg, "period folder '"));
	assert_non_null(strstr(err.msg, "chmod go-w"));
	assert_int_equal(tl_count_entries(tl_path(*state, "2026-10")), 0);
}

static void test_snapshot_begin_refuses_period_folder_that_is_a_link(void **state)
{
	bp_err err = { 0 };

	assert_int_equal(mkdir(tl_path(*state, "elsewhere"), 0700), 0);
	assert_int_equal(symlink(tl_path(*state, "elsewhere"),
				 tl_path(*state, "2026-10")), 0);
	assert_null(bp_snapshot_begin(*state, "2026-10", OCT_END, NULL, &err));
	assert_int_equal(err.code, BP_ECANTCREAT);
	assert_non_null(strstr(err.msg, "is a symbolic link"));
	assert_int_equal(tl_count_entries(tl_path(*state, "elsewhere")), 0);
}

static void test_snapshot_commit_leaves_only_the_snapshot(void **state)
{
	const char *root = *state;

	committed(root);
	assert_int_equal(tl_count_entries(tl_path(root, "2026-10")), 1);
	assert_true(tl_exists(tl_path(root, "2026-10/" OCT_STAMP)));
	/* Only the three files and the manifest; no manifest temp file. */
	assert_int_equal(tl_count_entries(tl_path(root, "2026-10/" OCT_STAMP)), 4);
}

static void test_snapshot_commit_refuses_existing_snapshot(void **state)
{
	const char *root = *state;
	const char *snap = committed(root);
	char want[1200];
	bp_err err = { 0 };
	bp_snapshot *s = bp_snapshot_begin(root, "2026-10", OCT_END, NULL, &err);

	assert_non_null(s);
	write_file(bp_snapshot_tmpdir(s), "cohorts.csv", "changed");
	assert_int_equal(bp_snapshot_commit(s, &err), -1);
	assert_int_equal(err.code, BP_ECANTCREAT);
	snprintf(want, sizeof(want), "snapshot '%s' already exists", snap);
	assert_string_equal(err.msg, want);
	assert_int_equal(tl_count_entries(tl_path(root, "2026-10")), 1);
	assert_string_equal(read_all(tl_path(snap, "cohorts.csv")), "abc");
	assert_true(tl_exists(tl_path(snap, "sources/crm.csv")));
}

/* rename() alone would quietly replace an empty folder of that name. */
static void test_snapshot_commit_refuses_existing_empty_folder(void **state)
{
	const char *root = *state;
	bp_err err = { 0 };
	bp_snapshot *s = bp_snapshot_begin(root, "2026-10", OCT_END, NULL, &err);

	assert_non_null(s);
	fill(bp_snapshot_tmpdir(s));
	assert_int_equal(mkdir(bp_snapshot_path(s), 0755), 0);
	assert_int_equal(bp_snapshot_commit(s, &err), -1);
	assert_int_equal(err.code, BP_ECANTCREAT);
	assert_non_null(strstr(err.msg, "already exists"));
	assert_int_equal(tl_count_entries(tl_path(root, "2026-10/" OCT_STAMP)), 0);
	assert_int_equal(tl_count_entries(tl_path(root, "2026-10")), 1);
}

static void test_snapshot_commit_refuses_symlink(void **state)
{
	const char *root = *state;
	bp_err err = { 0 };
	bp_snapshot *s = bp_snapshot_begin(root, "2026-10", OCT_END, NULL, &err);

	assert_non_null(s);
	fill(bp_snapshot_tmpdir(s));
	assert_int_equal(symlink("/etc/hostname", tl_path(bp_snapshot_tmpdir(s),
							  "sources/link.csv")), 0);
	assert_int_equal(bp_snapshot_commit(s, &err), -1);
	assert_int_equal(err.code, BP_ECANTCREAT);
	assert_non_null(strstr(err.msg, "'sources/link.csv'"));
	assert_false(tl_exists(tl_path(root, "2026-10")));
}

static void test_snapshot_abort_leaves_nothing(void **state)
{
	const char *root = *state;
	bp_err err = { 0 };
	bp_snapshot *s = bp_snapshot_begin(root, "2026-10", OCT_END, NULL, &err);

	assert_non_null(s);
	fill(bp_snapshot_tmpdir(s));
	bp_snapshot_abort(s);
	assert_false(tl_exists(tl_path(root, "2026-10")));
}

static void test_snapshot_abort_accepts_null(void **state)
{
	(void)state;
	bp_snapshot_abort(NULL);
}

/* A temporary folder with a few files in it, as a crashed run leaves. */
static void make_temp_of(const char *root, pid_t pid, char *out, size_t size)
{
	snprintf(out, size, "%s/2026-10/.tmp-2026-10-31T120000Z-%ld", root, (long)pid);
	assert_int_equal(mkdir(tl_path(root, "2026-10"), 0755), 0);
	assert_int_equal(mkdir(out, 0755), 0);
	assert_int_equal(mkdir(tl_path(out, "sources"), 0755), 0);
	write_file(out, "sources/crm.csv", "x");
	write_file(out, "report.html", "<p/>");
}

/* A process that stays alive until killed. */
static pid_t live_process(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static void end_process(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Holding the output folder's lock, no other run can be writing there:
 * every temporary folder is debris, even one named for a pid that is
 * alive here (an unrelated process that got the number). */
static void test_snapshot_begin_under_the_lock_removes_every_temp_folder(void **state)
{
	const char *root = *state;
	char stale[1024];
	bp_err err = { 0 };
	bp_fs_lock *lock;
	bp_snapshot *s;
	pid_t pid = live_process();

	make_temp_of(root, pid, stale, sizeof(stale));
	lock = bp_fs_lock_dir(root, 0, &err);
	assert_non_null(lock);
	s = bp_snapshot_begin(root, "2026-10", OCT_END, lock, &err);
	end_process(pid);
	assert_non_null(s);
	assert_false(tl_exists(stale));
	bp_snapshot_abort(s);
	bp_fs_unlock(lock);
}

/* Without the lock a temporary folder may be a live run's on another host
 * (whose pid means nothing here): it is left alone, even when no process
 * here has its pid. */
static void test_snapshot_begin_without_the_lock_keeps_temp_folders(void **state)
{
	const char *root = *state;
	char live[1024];
	bp_err err = { 0 };
	bp_snapshot *s;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	make_temp_of(root, pid, live, sizeof(live));
	s = bp_snapshot_begin(root, "2026-10", OCT_END, NULL, &err);
	assert_non_null(s);
	assert_true(tl_exists(tl_path(live, "sources/crm.csv")));
	bp_snapshot_abort(s);
}

/* The lock of another folder proves nothing about this one. */
static void test_snapshot_begin_with_another_folders_lock_keeps_temp_folders(void **state)
{
	const char *root = *state;
	char live[1024], other[1024];
	bp_err err = { 0 };
	bp_fs_lock *lock;
	bp_snapshot *s;

	snprintf(other, sizeof(other), "%s", tl_path(root, "other"));
	assert_int_equal(mkdir(other, 0700), 0);
	make_temp_of(root, 1, live, sizeof(live));
	lock = bp_fs_lock_dir(other, 0, &err);
	assert_non_null(lock);
	s = bp_snapshot_begin(root, "2026-10", OCT_END, lock, &err);
	assert_non_null(s);
	assert_true(tl_exists(tl_path(live, "sources/crm.csv")));
	bp_snapshot_abort(s);
	bp_fs_unlock(lock);
}

/* A second holder waits, then gives up with 75 naming the holder; once
 * the first lets go, the lock is free again. */
static void test_fs_lock_is_exclusive_and_says_who_holds_it(void **state)
{
	const char *root = *state;
	bp_err err = { 0 };
	bp_fs_lock *first = bp_fs_lock_dir(root, 0, &err), *second;
	char want[64];
	struct stat st;

	assert_non_null(first);
	second = bp_fs_lock_dir(root, 0, &err);
	assert_null(second);
	assert_int_equal(err.code, BP_ETEMPFAIL);
	snprintf(want, sizeof(want), "(pid %ld on ", (long)getpid());
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, "holds the output folder"));
	assert_true(bp_fs_lock_covers(first, root));
	assert_false(bp_fs_lock_covers(NULL, root));
	assert_int_equal(stat(tl_path(root, ".lock"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	bp_fs_unlock(first);
	second = bp_fs_lock_dir(root, 0, &err);
	assert_non_null(second);
	bp_fs_unlock(second);
}

static void test_fs_lock_refuses_a_link(void **state)
{
	const char *root = *state;
	bp_err err = { 0 };

	tl_write_file(tl_path(root, "victim"), "keep");
	assert_int_equal(symlink(tl_path(root, "victim"), tl_path(root, ".lock")), 0);
	assert_null(bp_fs_lock_dir(root, 0, &err));
	assert_int_equal(err.code, BP_ECANTCREAT);
	assert_non_null(strstr(err.msg, "is a symbolic link"));
	assert_string_equal(read_all(tl_path(root, "victim")), "keep");
}

static void test_snapshot_verify_passes_after_commit(void **state)
{
	bp_err err = { 0 };

	assert_int_equal(bp_snapshot_verify(committed(*state), &err), 0);
	assert_int_equal(err.code, 0);
}

static void test_snapshot_verify_names_changed_file(void **state)
{
	const char *snap = committed(*state);
	bp_err err = { 0 };

	assert_int_equal(chmod(tl_path(snap, "cohorts.csv"), 0644), 0);
	write_file(snap, "cohorts.csv", "abd");
	assert_int_equal(bp_snapshot_verify(snap, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_string_equal(err.msg,
			    "file 'cohorts.csv' changed since the snapshot was made");
}

static void test_snapshot_verify_names_missing_file(void **state)
{
	const char *snap = committed(*state);
	bp_err err = { 0 };

	assert_int_equal(unlink(tl_path(snap, "sources/crm.csv")), 0);
	assert_int_equal(bp_snapshot_verify(snap, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_string_equal(err.msg, "file 'sources/crm.csv' is missing");
}

static void test_snapshot_verify_names_added_file(void **state)
{
	const char *snap = committed(*state);
	bp_err err = { 0 };

	write_file(snap, "sources/extra.csv", "");
	assert_int_equal(bp_snapshot_verify(snap, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_string_equal(err.msg, "file 'sources/extra.csv' is not in the manifest");
}

static void test_snapshot_verify_ignores_delivery_log(void **state)
{
	const char *root = *state;
	bp_err err = { 0 };
	bp_snapshot *s = bp_snapshot_begin(root, "2026-10", OCT_END, NULL, &err);
	char snap[1024];

	assert_non_null(s);
	fill(bp_snapshot_tmpdir(s));
	write_file(bp_snapshot_tmpdir(s), "delivery.log", "queued\n");
	snprintf(snap, sizeof(snap), "%s", bp_snapshot_path(s));
	assert_int_equal(bp_snapshot_commit(s, &err), 0);
	assert_null(strstr(read_all(tl_path(snap, "MANIFEST.sha256")), "delivery.log"));
	chmod(tl_path(snap, "delivery.log"), 0644);
	write_file(snap, "delivery.log", "queued\nsent to board@acme.example\n");
	assert_int_equal(bp_snapshot_verify(snap, &err), 0);
}

/* The other direction of compatibility: a manifest sha256sum wrote. */
static void test_snapshot_verify_accepts_sha256sum_output(void **state)
{
	char dir[1024], cmd[1200];
	bp_err err = { 0 };

	snprintf(dir, sizeof(dir), "%s/snap", (const char *)*state);
	assert_int_equal(mkdir(dir, 0755), 0);
	fill(dir);
	snprintf(cmd, sizeof(cmd), "cd '%s' && sha256sum cohorts.csv sources-old.txt "
		 "> MANIFEST.sha256 && sha256sum -b sources/crm.csv >> MANIFEST.sha256",
		 dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(bp_snapshot_verify(dir, &err), 0);
}

/* A manifest with CRLF line ends and a blank line, which sha256sum -c
 * accepts, verifies here too. */
static void test_snapshot_verify_accepts_crlf_and_blank_lines(void **state)
{
	char dir[1024], cmd[1400];
	bp_err err = { 0 };

	snprintf(dir, sizeof(dir), "%s/snap", (const char *)*state);
	assert_int_equal(mkdir(dir, 0755), 0);
	fill(dir);
	snprintf(cmd, sizeof(cmd), "cd '%s' && sha256sum cohorts.csv sources-old.txt "
		 "sources/crm.csv | sed 's/$/\\r/' > M && printf '\\r\\n' >> M && "
		 "mv M MANIFEST.sha256 && sha256sum --quiet -c MANIFEST.sha256", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(bp_snapshot_verify(dir, &err), 0);
}

static void test_snapshot_verify_rejects_parent_path(void **state)
{
	const char *root = *state;
	bp_err err = { 0 };

	write_file(root, "x", "abc");
	assert_int_equal(mkdir(tl_path(root, "snap"), 0755), 0);
	write_file(tl_path(root, "snap"), "MANIFEST.sha256", D_ABC "  ../x\n");
	assert_int_equal(bp_snapshot_verify(tl_path(root, "snap"), &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "'../x'"));
}

static void test_snapshot_verify_rejects_absolute_path(void **state)
{
	const char *root = *state;
	char line[1200];
	bp_err err = { 0 };

	write_file(root, "x", "abc");
	assert_int_equal(mkdir(tl_path(root, "snap"), 0755), 0);
	snprintf(line, sizeof(line), D_ABC "  %s/x\n", root);
	write_file(tl_path(root, "snap"), "MANIFEST.sha256", line);
	assert_int_equal(bp_snapshot_verify(tl_path(root, "snap"), &err), -1);
	assert_int_equal(err.code, BP_EDATA);
}

static void test_snapshot_verify_rejects_short_digest(void **state)
{
	const char *root = *state;
	bp_err err = { 0 };

	assert_int_equal(mkdir(tl_path(root, "snap"), 0755), 0);
	write_file(tl_path(root, "snap"), "x", "abc");
	write_file(tl_path(root, "snap"), "MANIFEST.sha256",
		   D_ABC "  x\n" "ba7816bf  x\n");
	assert_int_equal(bp_snapshot_verify(tl_path(root, "snap"), &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_int_equal(err.line, 2);
}

static void test_snapshot_verify_without_manifest_is_no_input(void **state)
{
	const char *root = *state;
	bp_err err = { 0 };

	assert_int_equal(mkdir(tl_path(root, "snap"), 0755), 0);
	assert_int_equal(bp_snapshot_verify(tl_path(root, "snap"), &err), -1);
	assert_int_equal(err.code, BP_ENOINPUT);
}

static void test_snapshot_verify_missing_folder_is_no_input(void **state)
{
	bp_err err = { 0 };

	assert_int_equal(bp_snapshot_verify(tl_path(*state, "nope"), &err), -1);
	assert_int_equal(err.code, BP_ENOINPUT);
}

/* Three months of snapshots, a crashed run's temp folder and a stray
 * folder that is not a stamp. */
static void make_history(const char *root)
{
	static const char *dirs[] = {
		"2026-09", "2026-09/2026-09-30T235959Z",
		"2026-10", "2026-10/" OCT_STAMP, "2026-10/.tmp-2026-10-20T000000Z-1",
		"2026-10/notes-2026-10-25T000000Z", "2026-11", "2026-11/2026-11-30T235959Z",
	};
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		assert_int_equal(mkdir(tl_path(root, dirs[i]), 0755), 0);
}

static void expect_previous(const char *root, const char *before, const char *want)
{
	char *got = bp_snapshot_previous(root, before);

	assert_non_null(got);
	assert_string_equal(got, tl_path(root, want));
	free(got);
}

static void test_snapshot_previous_finds_latest_earlier_across_periods(void **state)
{
	make_history(*state);
	expect_previous(*state, "2026-11-30T235959Z", "2026-10/" OCT_STAMP);
}

static void test_snapshot_previous_skips_to_earlier_period(void **state)
{
	make_history(*state);
	expect_previous(*state, OCT_STAMP, "2026-09/2026-09-30T235959Z");
}

static void test_snapshot_previous_ignores_temp_and_other_folders(void **state)
{
	make_history(*state);
	expect_previous(*state, "2026-10-30T000000Z", "2026-09/2026-09-30T235959Z");
}

static void test_snapshot_previous_without_bound_is_latest(void **state)
{
	make_history(*state);
	expect_previous(*state, NULL, "2026-11/2026-11-30T235959Z");
}

static void test_snapshot_previous_none_earlier_is_null(void **state)
{
	make_history(*state);
	assert_null(bp_snapshot_previous(*state, "2026-09-30T235959Z"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, tl_tmpdir_setup, tl_tmpdir_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_snapshot_begin_creates_temp_folder_in_period),
		T(test_snapshot_begin_rejects_malformed_period),
		T(test_snapshot_commit_writes_sorted_manifest),
		T(test_snapshot_archive_copies_into_an_inode_of_its_own),
		T(test_snapshot_archive_copies_every_size_whole),
		T(test_snapshot_archive_commit_copies_when_not_started),
		T(test_snapshot_archive_source_changed_fails_commit),
		T(test_snapshot_archive_refuses_a_link),
		T(test_snapshot_archive_dir_takes_every_page),
		T(test_snapshot_abort_waits_for_the_archiver),
		T(test_snapshot_manifest_accepted_by_sha256sum),
		T(test_snapshot_commit_makes_files_owner_read_only),
		T(test_snapshot_begin_refuses_period_folder_others_can_write),
		T(test_snapshot_begin_refuses_period_folder_that_is_a_link),
		T(test_snapshot_commit_leaves_only_the_snapshot),
		T(test_snapshot_commit_refuses_existing_snapshot),
		T(test_snapshot_commit_refuses_existing_empty_folder),
		T(test_snapshot_commit_refuses_symlink),
		T(test_snapshot_abort_leaves_nothing),
		T(test_snapshot_abort_accepts_null),
		T(test_snapshot_begin_under_the_lock_removes_every_temp_folder),
		T(test_snapshot_begin_without_the_lock_keeps_temp_folders),
		T(test_snapshot_begin_with_another_folders_lock_keeps_temp_folders),
		T(test_fs_lock_is_exclusive_and_says_who_holds_it),
		T(test_fs_lock_refuses_a_link),
		T(test_snapshot_verify_passes_after_commit),
		T(test_snapshot_verify_names_changed_file),
		T(test_snapshot_verify_names_missing_file),
		T(test_snapshot_verify_names_added_file),
		T(test_snapshot_verify_ignores_delivery_log),
		T(test_snapshot_verify_accepts_sha256sum_output),
		T(test_snapshot_verify_accepts_crlf_and_blank_lines),
		T(test_snapshot_verify_rejects_parent_path),
		T(test_snapshot_verify_rejects_absolute_path),
		T(test_snapshot_verify_rejects_short_digest),
		T(test_snapshot_verify_without_manifest_is_no_input),
		T(test_snapshot_verify_missing_folder_is_no_input),
		T(test_snapshot_previous_finds_latest_earlier_across_periods),
		T(test_snapshot_previous_skips_to_earlier_period),
		T(test_snapshot_previous_ignores_temp_and_other_folders),
		T(test_snapshot_previous_without_bound_is_latest),
		T(test_snapshot_previous_none_earlier_is_null),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
