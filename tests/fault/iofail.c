/*
 * iofail.c - an LD_PRELOAD library for tests/fault/io: counts the calls
 * that write into one folder (a run's output folder) and makes one of
 * them fail with a chosen errno, as a full disk (ENOSPC) or a failing one
 * (EIO) would.
 *
 *   BOARDPACK_IOFAIL_DIR    the folder (absolute); unset: the library
 *                           does nothing
 *   BOARDPACK_IOFAIL_LOG    a file that gets one line per counted call,
 *                           "m12 write /path" (m: the main thread, t: any
 *                           other), and "m12 write /path FAILED ENOSPC"
 *                           for the failed one
 *   BOARDPACK_IOFAIL_AT     the call to fail: "m12" (the 12th of the main
 *                           thread) or "t3" (the 3rd of the others);
 *                           unset: none, the calls are only counted
 *   BOARDPACK_IOFAIL_ERRNO  ENOSPC (default) or EIO
 *   BOARDPACK_IOFAIL_PERSIST  1: every counted call after that one fails
 *                           too, in any thread, as on a disk that stays
 *                           full
 *
 * Counted, when the file or folder they act on is in the folder: write,
 * pwrite, writev, fsync, fdatasync, rename, renameat, renameat2, link,
 * linkat, open/openat/creat that create (O_CREAT, O_TMPFILE), mkstemp
 * and its kin, mkdir, mkdirat, copy_file_range (its output),
 * sync_file_range, and fopen/fdopen for writing.  glibc's stdio writes
 * through calls of its own that no preloaded library can replace, so a
 * stream opened for writing in the folder is handed back as a stream of
 * fopencookie(3) whose writes go through write() here: buffered, flushed
 * and failing as the real one would.  The main thread and the others
 * are numbered apart, because the archiving thread's calls interleave
 * with the main thread's differently in every run while each sequence
 * alone is the same.  The failed call does nothing but fail.
 *
 * A file descriptor's path is read from /proc/self/fd, so descriptors
 * that were duplicated, or opened by a library, count as well; standard
 * error, pipes and sockets never do.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static char dir[PATH_MAX], real_dir[PATH_MAX];
static int active, log_fd = -1, fail_errno = ENOSPC;
static char fail_kind;          /* 'm' or 't'; 0: count only */
static unsigned long fail_n;
static int persist;
static atomic_ulong count_main, count_other;
static atomic_int failing;      /* the persistent failure has begun */

/* The real functions, found once. */
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_link)(const char *, const char *);
static int (*real_linkat)(int, const char *, int, const char *, int);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_mkstemp)(char *);
static int (*real_mkostemp)(char *, int);
static int (*real_mkstemps)(char *, int);
static int (*real_mkostemps)(char *, int, int);
static int (*real_mkdir)(const char *, mode_t);
static int (*real_mkdirat)(int, const char *, mode_t);
static ssize_t (*real_copy_file_range)(int, off_t *, int, off_t *, size_t,
				       unsigned);
static int (*real_sync_file_range)(int, off_t, off_t, unsigned);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fdopen)(int, const char *);

/* POSIX's way of storing dlsym's object pointer as a function
 * pointer, which ISO C does not convert. */
#define FIND(name) (*(void **)&real_##name = dlsym(RTLD_NEXT, #name))

__attribute__((constructor)) static void iofail_init(void)
{
	const char *d = getenv("BOARDPACK_IOFAIL_DIR");
	const char *at = getenv("BOARDPACK_IOFAIL_AT");
	const char *e = getenv("BOARDPACK_IOFAIL_ERRNO");
	const char *log = getenv("BOARDPACK_IOFAIL_LOG");
	const char *p = getenv("BOARDPACK_IOFAIL_PERSIST");

	FIND(write); FIND(pwrite); FIND(writev); FIND(fsync); FIND(fdatasync);
	FIND(rename); FIND(renameat); FIND(renameat2); FIND(link); FIND(linkat);
	FIND(open); FIND(openat); FIND(mkstemp); FIND(mkostemp); FIND(mkstemps);
	FIND(mkostemps); FIND(mkdir); FIND(mkdirat); FIND(copy_file_range);
	FIND(sync_file_range); FIND(fopen); FIND(fdopen);
	if (!d || d[0] != '/' || strlen(d) >= sizeof(dir))
		return;
	snprintf(dir, sizeof(dir), "%s", d);
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	/* The folder may not exist yet: then the name as given is all. */
	if (!realpath(dir, real_dir))
		snprintf(real_dir, sizeof(real_dir), "%s", dir);
	if (at && (at[0] == 'm' || at[0] == 't') && at[1]) {
		fail_kind = at[0];
		fail_n = strtoul(at + 1, NULL, 10);
	}
	if (e && strcmp(e, "EIO") == 0)
		fail_errno = EIO;
	persist = p && strcmp(p, "1") == 0;
	if (log && *log)
		log_fd = real_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				   0600);
	active = 1;
}

static int under(const char *path, const char *folder)
{
	size_t n = strlen(folder);

	return strncmp(path, folder, n) == 0 && (path[n] == '/' || !path[n]);
}

static int in_folder(const char *path)
{
	return under(path, dir) || under(path, real_dir);
}

/* The path open as `fd`, or "" when it has none in the file system. */
static void fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* The absolute path of `path` as seen from folder `dirfd`. */
static void at_path(int dirfd, const char *path, char *buf, size_t size)
{
	char base[PATH_MAX] = "";

	if (path[0] == '/') {
		snprintf(buf, size, "%s", path);
		return;
	}
	if (dirfd == AT_FDCWD) {
		if (!getcwd(base, sizeof(base)))
			base[0] = '\0';
	} else {
		fd_path(dirfd, base, sizeof(base));
	}
	snprintf(buf, size, "%s/%s", base, path);
}

static const char *errno_name(int e)
{
	return e == EIO ? "EIO" : "ENOSPC";
}

/* Counts a call on `path` (and `path2`, for a rename or a link) if either
 * is in the folder, logs it, and says whether it is the one to fail.
 * Keeps errno as it was. */
static int hit(const char *call, const char *path, const char *path2)
{
	char line[2 * PATH_MAX + 128];
	int saved = errno, main_thread, fails;
	unsigned long n;
	int len;

	if (!active || !(in_folder(path) || (path2 && in_folder(path2)))) {
		errno = saved;
		return 0;
	}
	main_thread = syscall(SYS_gettid) == getpid();
	n = atomic_fetch_add(main_thread ? &count_main : &count_other, 1) + 1;
	fails = (fail_kind == (main_thread ? 'm' : 't') && n == fail_n) ||
		(persist && failing);
	if (fails && persist)
		failing = 1;
	len = snprintf(line, sizeof(line), "%c%lu %s %s%s%s%s%s\n",
		       main_thread ? 'm' : 't', n, call, path,
		       path2 ? " " : "", path2 ? path2 : "",
		       fails ? " FAILED " : "", fails ? errno_name(fail_errno) : "");
	if (log_fd >= 0 && len > 0)
		real_write(log_fd, line, (size_t)len < sizeof(line) ? (size_t)len :
			   sizeof(line) - 1);
	errno = saved;
	return fails;
}

static int hit_fd(const char *call, int fd)
{
	char path[PATH_MAX];
	int saved = errno;

	if (!active)
		return 0;
	fd_path(fd, path, sizeof(path));
	errno = saved;
	return hit(call, path, NULL);
}

static int hit_at(const char *call, int dirfd, const char *path)
{
	char abs[PATH_MAX];
	int saved = errno;

	if (!active || !path)
		return 0;
	at_path(dirfd, path, abs, sizeof(abs));
	errno = saved;
	return hit(call, abs, NULL);
}

static int hit_at2(const char *call, int d1, const char *p1, int d2,
		   const char *p2)
{
	char a1[PATH_MAX], a2[PATH_MAX];
	int saved = errno;

	if (!active || !p1 || !p2)
		return 0;
	at_path(d1, p1, a1, sizeof(a1));
	at_path(d2, p2, a2, sizeof(a2));
	errno = saved;
	return hit(call, a1, a2);
}

#define FAIL(type) do { errno = fail_errno; return (type)-1; } while (0)

ssize_t write(int fd, const void *buf, size_t n)
{
	if (hit_fd("write", fd))
		FAIL(ssize_t);
	return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (hit_fd("pwrite", fd))
		FAIL(ssize_t);
	return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
	__attribute__((alias("pwrite")));

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	if (hit_fd("writev", fd))
		FAIL(ssize_t);
	return real_writev(fd, iov, n);
}

int fsync(int fd)
{
	if (hit_fd("fsync", fd))
		FAIL(int);
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	if (hit_fd("fdatasync", fd))
		FAIL(int);
	return real_fdatasync(fd);
}

int rename(const char *from, const char *to)
{
	if (hit_at2("rename", AT_FDCWD, from, AT_FDCWD, to))
		FAIL(int);
	return real_rename(from, to);
}

int renameat(int d1, const char *from, int d2, const char *to)
{
	if (hit_at2("renameat", d1, from, d2, to))
		FAIL(int);
	return real_renameat(d1, from, d2, to);
}

int renameat2(int d1, const char *from, int d2, const char *to, unsigned flags)
{
	if (hit_at2("renameat2", d1, from, d2, to))
		FAIL(int);
	return real_renameat2(d1, from, d2, to, flags);
}

int link(const char *from, const char *to)
{
	if (hit_at2("link", AT_FDCWD, from, AT_FDCWD, to))
		FAIL(int);
	return real_link(from, to);
}

int linkat(int d1, const char *from, int d2, const char *to, int flags)
{
	if (hit_at2("linkat", d1, from, d2, to))
		FAIL(int);
	return real_linkat(d1, from, d2, to, flags);
}

static int creates(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* The mode argument is there only when the flags create. */
static mode_t mode_arg(int flags, va_list ap)
{
	return creates(flags) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (creates(flags) && hit_at("open", AT_FDCWD, path))
		FAIL(int);
	return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (creates(flags) && hit_at("openat", dirfd, path))
		FAIL(int);
	return real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
	__attribute__((alias("openat")));

int creat(const char *path, mode_t mode)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode) __attribute__((alias("creat")));

/* _FORTIFY_SOURCE's checked forms of open, for a build that uses them. */
int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags)
	__attribute__((alias("__openat_2")));

int mkstemp(char *tmpl)
{
	if (hit_at("mkstemp", AT_FDCWD, tmpl))
		FAIL(int);
	return real_mkstemp(tmpl);
}

int mkstemp64(char *tmpl) __attribute__((alias("mkstemp")));

int mkostemp(char *tmpl, int flags)
{
	if (hit_at("mkostemp", AT_FDCWD, tmpl))
		FAIL(int);
	return real_mkostemp(tmpl, flags);
}

int mkostemp64(char *tmpl, int flags) __attribute__((alias("mkostemp")));

int mkstemps(char *tmpl, int suffix)
{
	if (hit_at("mkstemps", AT_FDCWD, tmpl))
		FAIL(int);
	return real_mkstemps(tmpl, suffix);
}

int mkostemps(char *tmpl, int suffix, int flags)
{
	if (hit_at("mkostemps", AT_FDCWD, tmpl))
		FAIL(int);
	return real_mkostemps(tmpl, suffix, flags);
}

int mkdir(const char *path, mode_t mode)
{
	if (hit_at("mkdir", AT_FDCWD, path))
		FAIL(int);
	return real_mkdir(path, mode);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
	if (hit_at("mkdirat", dirfd, path))
		FAIL(int);
	return real_mkdirat(dirfd, path, mode);
}

ssize_t copy_file_range(int in, off_t *in_off, int out, off_t *out_off,
			size_t n, unsigned flags)
{
	if (hit_fd("copy_file_range", out))
		FAIL(ssize_t);
	return real_copy_file_range(in, in_off, out, out_off, n, flags);
}

int sync_file_range(int fd, off_t off, off_t n, unsigned flags)
{
	if (hit_fd("sync_file_range", fd))
		FAIL(int);
	return real_sync_file_range(fd, off, n, flags);
}

/* ---- streams ----------------------------------------------------------- */

static ssize_t cookie_read(void *c, char *buf, size_t n)
{
	return read((int)(intptr_t)c, buf, n);
}

/* Through write() above: counted, and failing when its turn comes.  As
 * fopencookie(3) wants, a failure is 0 bytes written (errno set), never
 * a negative count. */
static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
	ssize_t w = write((int)(intptr_t)c, buf, n);

	return w < 0 ? 0 : w;
}

static int cookie_seek(void *c, off64_t *off, int whence)
{
	off_t to = lseek((int)(intptr_t)c, (off_t)*off, whence);

	if (to < 0)
		return -1;
	*off = to;
	return 0;
}

static int cookie_close(void *c)
{
	return close((int)(intptr_t)c);
}

static const cookie_io_functions_t cookie_io = {
	cookie_read, cookie_write, cookie_seek, cookie_close
};

static int writes(const char *mode)
{
	return strpbrk(mode, "wa+") != NULL;
}

static FILE *wrap(int fd, const char *mode)
{
	return fopencookie((void *)(intptr_t)fd, mode, cookie_io);
}

FILE *fopen(const char *path, const char *mode)
{
	char abs[PATH_MAX];
	FILE *f = NULL;
	int flags, fd;

	if (!active || !writes(mode))
		return real_fopen(path, mode);
	at_path(AT_FDCWD, path, abs, sizeof(abs));
	if (!in_folder(abs))
		return real_fopen(path, mode);
	flags = strchr(mode, '+') ? O_RDWR : O_WRONLY;
	if (mode[0] == 'w')
		flags |= O_CREAT | O_TRUNC;
	else if (mode[0] == 'a')
		flags |= O_CREAT | O_APPEND;
	if (strchr(mode, 'e'))
		flags |= O_CLOEXEC;
	if (strchr(mode, 'x'))
		flags |= O_EXCL;
	/* open() above counts the creation. */
	fd = open(path, flags, 0666);
	if (fd >= 0 && !(f = wrap(fd, mode))) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return fd < 0 ? NULL : f;
}

FILE *fopen64(const char *path, const char *mode) __attribute__((alias("fopen")));

FILE *fdopen(int fd, const char *mode)
{
	char path[PATH_MAX];
	int saved = errno;

	if (!active || !writes(mode))
		return real_fdopen(fd, mode);
	fd_path(fd, path, sizeof(path));
	errno = saved;
	if (!in_folder(path))
		return real_fdopen(fd, mode);
	return wrap(fd, mode);
}
