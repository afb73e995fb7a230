/*
 * testlib.h - the helpers boardpack's unit tests share: files, temporary
 * folders, shell commands and local servers.
 *
 * Using it from a test:
 *
 *	#include <setjmp.h>
 *	#include <stdarg.h>
 *	#include <stddef.h>
 *	#include <stdint.h>
 *	#include <cmocka.h>
 *
 *	#include "testlib.h"
 *
 * The Makefile builds testlib.c once (build/tests/testlib.o, with the
 * tests' sanitizers) and links it into every build/tests/test_*, so a new
 * tests/unit/test_<module>.c needs no Makefile change; `make unit` runs
 * them all, `make build/tests/test_x && build/tests/test_x` one.
 *
 * What goes here: a helper as soon as a second test file needs it, with
 * the tl_ prefix.  A helper one file alone uses stays static in it.
 *
 * Failures: a helper that cannot do its job (a file that cannot be
 * written, a server that does not start) fails the running test, setup or
 * teardown through cmocka, and the failure is reported at the line of the
 * test that called the helper, with what went wrong and the path it
 * concerns.  So a helper's result never needs checking; the functions
 * that may legitimately find nothing (tl_try_read_file, tl_exists) say so.
 * A helper that can fail is a macro, tl_x, passing __FILE__ and __LINE__
 * to tl_x_at(): call tl_x.
 *
 * Memory: what a helper returns as char * is the caller's to free(); the
 * const char * of tl_path, tl_src_file, tl_srcdir and tl_python is not.
 * Helpers never return NULL unless their comment says when.
 *
 * Paths: tests run from the repository root, or with BP_SRCDIR set to it
 * (tests/run-unit sets it); tl_srcdir() is that folder.
 */
#ifndef BP_TESTLIB_H
#define BP_TESTLIB_H

#include <stdio.h>
#include <sys/types.h>

/* ---- files ---------------------------------------------------------------- */

/* Writes `text` to `path` (created or truncated), mode 0644. */
#define tl_write_file(path, text) \
	tl_write_file_at(__FILE__, __LINE__, path, text)
void tl_write_file_at(const char *file, int line, const char *path,
		      const char *text);

/* Writes `text` to `path` and gives it exactly `mode`, whatever the umask
 * and whether or not the file existed. */
#define tl_write_file_mode(path, text, mode) \
	tl_write_file_mode_at(__FILE__, __LINE__, path, text, mode)
void tl_write_file_mode_at(const char *file, int line, const char *path,
			   const char *text, mode_t mode);

/* Writes `n` bytes of `data` to `path` with exactly `mode`: the core of
 * the two above. */
#define tl_write_bytes(path, data, n, mode) \
	tl_write_bytes_at(__FILE__, __LINE__, path, data, n, mode)
void tl_write_bytes_at(const char *file, int line, const char *path,
		       const void *data, size_t n, mode_t mode);

/* The whole of `path`, with a NUL after its last byte; its length (not
 * counting the NUL) in *len unless len is NULL.  Caller frees. */
#define tl_read_file(path, len) tl_read_file_at(__FILE__, __LINE__, path, len)
char *tl_read_file_at(const char *file, int line, const char *path,
		      size_t *len);

/* tl_read_file, except that a file that does not exist gives NULL (for
 * tests that assert something was not written). */
#define tl_try_read_file(path, len) \
	tl_try_read_file_at(__FILE__, __LINE__, path, len)
char *tl_try_read_file_at(const char *file, int line, const char *path,
			  size_t *len);

/* 1 when `path` names anything, a dangling symbolic link included, else 0. */
int tl_exists(const char *path);

/* How many entries the folder `dir` holds, "." and ".." not counted. */
#define tl_count_entries(dir) tl_count_entries_at(__FILE__, __LINE__, dir)
size_t tl_count_entries_at(const char *file, int line, const char *dir);

/* Makes a new file from the mkstemp(3) template `tmpl` ("/tmp/x-XXXXXX",
 * rewritten in place to the name chosen) and returns it open for writing
 * ("wb").  The caller closes it and unlinks the file. */
#define tl_tmpfile(tmpl) tl_tmpfile_at(__FILE__, __LINE__, tmpl)
FILE *tl_tmpfile_at(const char *file, int line, char *tmpl);

/* ---- folders -------------------------------------------------------------- */

/* Makes a new folder from the mkdtemp(3) template `tmpl`, which is not
 * changed, e.g. "/tmp/bp-fetch-XXXXXX".  Returns its path; caller frees
 * it after tl_rmtree. */
#define tl_tmpdir(tmpl) tl_tmpdir_at(__FILE__, __LINE__, tmpl)
char *tl_tmpdir_at(const char *file, int line, const char *tmpl);

/* Removes `dir` and everything below it, without following symbolic
 * links.  NULL, or a folder already gone, is no operation. */
#define tl_rmtree(dir) tl_rmtree_at(__FILE__, __LINE__, dir)
void tl_rmtree_at(const char *file, int line, const char *dir);

/* cmocka setup and teardown of a test that works in a fresh temporary
 * folder: *state is its path (a char *), removed with all below it. */
int tl_tmpdir_setup(void **state);
int tl_tmpdir_teardown(void **state);

/* "dir/rel", in one of eight buffers used in turn: valid until the eighth
 * call after this one, so a few can be used in one expression.  Not to be
 * freed. */
#define tl_path(dir, rel) tl_path_at(__FILE__, __LINE__, dir, rel)
const char *tl_path_at(const char *file, int line, const char *dir,
		       const char *rel);

/* ---- text ----------------------------------------------------------------- */

/* How many times `needle` (not empty) occurs in `hay`, occurrences not
 * overlapping. */
size_t tl_count(const char *hay, const char *needle);

/* ---- commands ------------------------------------------------------------- */

/* The repository root: $BP_SRCDIR, else ".". */
const char *tl_srcdir(void);

/* The path of `rel`, a file of the repository, under tl_srcdir(), as
 * tl_path returns it.  Fails when the file is not there, saying to run
 * from the repository root or set BP_SRCDIR. */
#define tl_src_file(rel) tl_src_file_at(__FILE__, __LINE__, rel)
const char *tl_src_file_at(const char *file, int line, const char *rel);

/* The Python interpreter the test servers run under: /usr/bin/python3 when
 * it is there (a virtualenv's python3 may lack the Debian modules), else
 * python3 from PATH. */
const char *tl_python(void);

/* Runs the shell command made from `fmt` and returns what it wrote to
 * stdout.  Its status, as pclose(3) gives it (0 when it exited 0), goes to
 * *status unless status is NULL; a test that cares asserts it.  Caller
 * frees. */
#define tl_run(status, ...) tl_run_at(__FILE__, __LINE__, status, __VA_ARGS__)
char *tl_run_at(const char *file, int line, int *status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A throwaway test CA and a certificate for 127.0.0.1 and localhost signed
 * by it, in `dir` (created if missing), by tests/integration/make_ca.sh:
 * ca.pem, other-ca.pem (a CA that signed nothing), server.pem and
 * server.key. */
#define tl_make_ca(dir) tl_make_ca_at(__FILE__, __LINE__, dir)
void tl_make_ca_at(const char *file, int line, const char *dir);

/* ---- servers -------------------------------------------------------------- */

/* Starts argv[0] (looked up in PATH when it has no slash) with `argv`,
 * NULL-terminated, and waits up to 10 s for it to write the port it
 * listens on, as decimal digits and a newline, to `port_file` (removed
 * first, so a file left by an earlier server is never read).  The server
 * is sent SIGTERM if the test process dies, so a crashed test never
 * leaves one running.  Stores the port in *port and returns the server's
 * pid, for tl_server_stop. */
#define tl_server_start(argv, port_file, port) \
	tl_server_start_at(__FILE__, __LINE__, argv, port_file, port)
pid_t tl_server_start_at(const char *file, int line, const char *const argv[],
			 const char *port_file, int *port);

/* A loopback port that refuses connections: bound by the new socket *fd,
 * so no other program takes it meanwhile, but not listening.  The caller
 * closes *fd when done. */
#define tl_refused_port(fd) tl_refused_port_at(__FILE__, __LINE__, fd)
int tl_refused_port_at(const char *file, int line, int *fd);

/* Stops a server tl_server_start started (SIGTERM) and waits for it.
 * A pid of 0 or less is no operation. */
void tl_server_stop(pid_t pid);

/* `n` bytes of a fixed xorshift sequence (the same in every run), in
 * memory the caller frees. */
unsigned char *tl_pseudo_random(size_t n);

#endif
