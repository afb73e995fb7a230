/*
 * fs.c - staged files, folders and paths (fs.h).
 */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"

#define LOCK_NAME ".lock"
#define LOCK_POLL_MS 100

char *bp_fs_join(const char *dir, const char *name)
{
	return bp_xasprintf("%s/%s", dir, name);
}

int bp_fs_mkdirs(const char *path, mode_t mode, bp_err *err)
{
	char *p = bp_xstrdup(path);
	struct stat st;
	int rc = -1;
	char *s;

	if (!p[0]) {
		bp_err_set(err, BP_ECANTCREAT, "cannot create a folder with no name");
		goto out;
	}
	for (s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			bp_err_set(err, BP_ECANTCREAT, "cannot create folder '%s': %s",
				   p, strerror(errno));
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		bp_err_set(err, BP_ECANTCREAT, "cannot create folder '%s': %s", path,
			   errno ? strerror(errno) : "a file of that name is there");
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

int bp_fs_sync_dir(const char *dir, bp_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 ? fsync(fd) : -1;

	if (rc < 0 && err)
		bp_err_set(err, BP_ECANTCREAT, "cannot flush folder '%s': %s", dir,
			   strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc < 0 && err ? -1 : 0;
}

/* The folder part of a path, allocated. */
static char *dir_of(const char *path)
{
	char *copy = bp_xstrdup(path), *d = bp_xstrdup(dirname(copy));

	free(copy);
	return d;
}

int bp_fs_stage(bp_staged *st, const char *path, mode_t mode, bp_err *err)
{
	char *copy = bp_xstrdup(path), *dir = dir_of(path);

	st->path = bp_xstrdup(path);
	st->tmp = bp_xasprintf("%s/.%s.XXXXXX", dir, basename(copy));
	free(copy);
	free(dir);
	/* mkostemp creates with O_EXCL: a link planted under the name is
	 * never followed, and no other process has the file. */
	st->fd = mkostemp(st->tmp, O_CLOEXEC | O_NOFOLLOW);
	if (st->fd < 0 || fchmod(st->fd, mode) < 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot create '%s': %s", path,
			   strerror(errno));
		bp_fs_abort(st);
		return -1;
	}
	return 0;
}

/* All of data to fd, retrying short writes; `path` names it in errors. */
static int write_all(int fd, const char *path, const void *data, size_t n,
		     bp_err *err)
{
	const char *p = data;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s",
					  path, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int bp_fs_write(bp_staged *st, const void *data, size_t n, bp_err *err)
{
	return write_all(st->fd, st->path, data, n, err);
}

/* Flushes and closes a staged file: the first half of both commits.  The
 * descriptor is closed whether or not the flush failed. */
static int flush_staged(bp_staged *st, bp_err *err)
{
	int rc = fsync(st->fd), e = errno;

	if (close(st->fd) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	st->fd = -1;
	if (rc < 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", st->path,
			   strerror(e));
		bp_fs_abort(st);
		return -1;
	}
	return 0;
}

/* The last half: the folder's entry made durable, the names let go. */
static int settle_staged(bp_staged *st, bp_err *err)
{
	char *dir = dir_of(st->path);
	int rc = bp_fs_sync_dir(dir, err);

	free(dir);
	free(st->tmp);
	free(st->path);
	st->tmp = st->path = NULL;
	return rc;
}

int bp_fs_commit(bp_staged *st, bp_err *err)
{
	if (flush_staged(st, err) < 0)
		return -1;
	if (rename(st->tmp, st->path) < 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot rename '%s' to '%s': %s",
			   st->tmp, st->path, strerror(errno));
		bp_fs_abort(st);
		return -1;
	}
	return settle_staged(st, err);
}

int bp_fs_commit_new(bp_staged *st, bp_err *err)
{
	if (flush_staged(st, err) < 0)
		return -1;
	if (link(st->tmp, st->path) < 0) {
		int e = errno;

		if (e == EEXIST) {
			bp_err_set(err, BP_ECANTCREAT, "'%s' already exists", st->path);
			if (err)
				err->sub = BP_FS_EXISTS;
		} else {
			bp_err_set(err, BP_ECANTCREAT, "cannot create '%s': %s",
				   st->path, strerror(e));
		}
		bp_fs_abort(st);
		return -1;
	}
	unlink(st->tmp);
	return settle_staged(st, err);
}

void bp_fs_abort(bp_staged *st)
{
	/* Without a temporary name nothing was opened (a zeroed st's fd 0 is
	 * not ours). */
	if (st->tmp && st->fd >= 0)
		close(st->fd);
	if (st->tmp)
		unlink(st->tmp);
	free(st->tmp);
	free(st->path);
	st->fd = -1;
	st->tmp = st->path = NULL;
}

int bp_fs_write_file(const char *path, const void *data, size_t n,
		     mode_t mode, bp_err *err)
{
	bp_staged st;

	if (bp_fs_stage(&st, path, mode, err) < 0)
		return -1;
	if (bp_fs_write(&st, data, n, err) < 0) {
		bp_fs_abort(&st);
		return -1;
	}
	return bp_fs_commit(&st, err);
}

/* Whether `name` is what bp_fs_stage or mkdtemp makes beside a name:
 * ".NAME.XXXXXX", the X letters or digits. */
static int is_staged_name(const char *name)
{
	size_t n = strlen(name), i;

	if (n < 9 || name[0] != '.' || name[n - 7] != '.')
		return 0;
	for (i = n - 6; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9')))
			return 0;
	return 1;
}

/* Removes the folder `name` of the folder open as `parent`, and the
 * files in it. */
static int remove_staged_dir(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	return unlinkat(parent, name, AT_REMOVEDIR);
}

int bp_fs_remove_staged(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	int removed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (!is_staged_name(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode) ? remove_staged_dir(dirfd(d), e->d_name) == 0 :
		    unlinkat(dirfd(d), e->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

int bp_fs_write_new(const char *path, const void *data, size_t n,
		    mode_t mode, bp_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      mode);
	int rc;

	if (fd < 0)
		return bp_err_set(err, BP_ECANTCREAT, "cannot create '%s': %s",
				  path, strerror(errno));
	rc = write_all(fd, path, data, n, err);
	if (close(fd) < 0 && rc == 0)
		rc = bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", path,
				strerror(errno));
	if (rc < 0)
		unlink(path);
	return rc;
}

/* A user's name for messages, else their number. */
static const char *user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *found = NULL;
	char text[1024];

	if (getpwuid_r(uid, &pw, text, sizeof(text), &found) == 0 && found)
		snprintf(buf, size, "'%s'", found->pw_name);
	else
		snprintf(buf, size, "%ld", (long)uid);
	return buf;
}

int bp_fs_check_private(const char *path, const char *what, bp_err *err)
{
	char owner[300], me[300];
	struct stat st;

	if (lstat(path, &st) < 0)
		return bp_err_set(err, BP_ECANTCREAT, "cannot use %s '%s': %s",
				  what, path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return bp_err_set(err, BP_ECANTCREAT, "%s '%s' is a symbolic link; "
				  "boardpack writes only into a real folder of "
				  "its own: remove the link", what, path);
	if (!S_ISDIR(st.st_mode))
		return bp_err_set(err, BP_ECANTCREAT, "%s '%s' is not a folder",
				  what, path);
	if (st.st_uid != geteuid())
		return bp_err_set(err, BP_ECANTCREAT, "%s '%s' belongs to user %s, "
				  "not to the user running boardpack (%s), who "
				  "would write through whatever it holds: chown "
				  "-R it to the running user, or run boardpack as "
				  "its owner", what, path,
				  user_name(st.st_uid, owner, sizeof(owner)),
				  user_name(geteuid(), me, sizeof(me)));
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return bp_err_set(err, BP_ECANTCREAT, "%s '%s' is writable by %s "
				  "(mode %04o), so another user could plant "
				  "files in it: chmod go-w '%s'", what, path,
				  (st.st_mode & S_IWOTH) ? "others" : "its group",
				  (unsigned)(st.st_mode & 07777), path);
	return 0;
}

/* ---- the output folder's lock ---------------------------------------- */

struct bp_fs_lock {
	int fd;
	char *path;
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "pid N on HOST since TIME" from the lock file, or "" when it says
 * nothing readable (a holder that has not written it yet). */
static void holder_text(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);
	size_t i;

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	for (i = 0; i < (size_t)n; i++)
		if (buf[i] == '\n' || (unsigned char)buf[i] < ' ')
			buf[i] = buf[i] == '\n' ? '\0' : '?';
}

/* Writes who holds the lock, for the message of those who wait. */
static void write_holder(int fd)
{
	char host[256] = "", when[32] = "", text[400];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "?");
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(text, sizeof(text), "pid %ld on %s since %s\n",
		     (long)getpid(), host, when);
	/* Only a hint for others' messages: a failure changes nothing. */
	if (ftruncate(fd, 0) == 0 && n > 0 && pwrite(fd, text, (size_t)n, 0) < 0)
		return;
}

static int open_lock_file(const char *path, bp_err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct stat st;

	if (fd < 0 && errno == ELOOP)
		return bp_err_set(err, BP_ECANTCREAT, "lock file '%s' is a symbolic "
				  "link: remove it", path);
	if (fd < 0)
		return bp_err_set(err, BP_ECANTCREAT, "cannot open lock file '%s': "
				  "%s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return bp_err_set(err, BP_ECANTCREAT, "lock file '%s' is not a file "
				  "of the user running boardpack: remove it", path);
	}
	return fd;
}

bp_fs_lock *bp_fs_lock_dir(const char *dir, int wait_s, bp_err *err)
{
	char *path = bp_fs_join(dir, LOCK_NAME), holder[400];
	long long deadline = mono_ms() + (long long)wait_s * 1000;
	bp_fs_lock *l = NULL;
	int fd = open_lock_file(path, err), said = 0;

	if (fd < 0)
		goto out;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			bp_err_set(err, BP_ECANTCREAT, "cannot lock '%s': %s", path,
				   strerror(errno));
			goto out;
		}
		holder_text(fd, holder, sizeof(holder));
		if (mono_ms() >= deadline) {
			bp_err_set(err, BP_ETEMPFAIL, "another boardpack run (%s) "
				   "holds the output folder '%s'; try again when it "
				   "has finished", holder[0] ? holder : "pid unknown",
				   dir);
			goto out;
		}
		if (!said++)
			bp_log_warn("another boardpack run (%s) holds the output "
				    "folder '%s'; waiting up to %d s for it",
				    holder[0] ? holder : "pid unknown", dir, wait_s);
		nanosleep(&(struct timespec){ 0, LOCK_POLL_MS * 1000000L }, NULL);
	}
	write_holder(fd);
	l = bp_xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->path = path;
	return l;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return NULL;
}

int bp_fs_lock_covers(const bp_fs_lock *l, const char *dir)
{
	char *path;
	struct stat a, b;
	int same;

	if (!l)
		return 0;
	path = bp_fs_join(dir, LOCK_NAME);
	same = fstat(l->fd, &a) == 0 && lstat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	free(path);
	return same;
}

void bp_fs_unlock(bp_fs_lock *l)
{
	if (!l)
		return;
	/* The file stays: removing it would let a waiter lock an unlinked
	 * inode while a newcomer locks a new one. */
	close(l->fd);
	free(l->path);
	free(l);
}

int bp_fs_lock_wait(int fallback)
{
	const char *v = getenv("BOARDPACK_LOCK_WAIT");
	char *end;
	long n;

	if (!v || !*v)
		return fallback;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 0 || n > 86400)
		return fallback;
	return (int)n;
}
