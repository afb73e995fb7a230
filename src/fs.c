/*
 * fs.c - staged files, folders and paths (fs.h).
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

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
	st->fd = mkostemp(st->tmp, O_CLOEXEC);
	if (st->fd < 0 || fchmod(st->fd, mode) < 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot create '%s': %s", path,
			   strerror(errno));
		bp_fs_abort(st);
		return -1;
	}
	return 0;
}

int bp_fs_write(bp_staged *st, const void *data, size_t n, bp_err *err)
{
	const char *p = data;

	while (n) {
		ssize_t w = write(st->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s",
					  st->path, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int bp_fs_commit(bp_staged *st, bp_err *err)
{
	char *dir;
	int rc;

	if (fsync(st->fd) < 0 || close(st->fd) < 0) {
		st->fd = -1;
		bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", st->path,
			   strerror(errno));
		bp_fs_abort(st);
		return -1;
	}
	st->fd = -1;
	if (rename(st->tmp, st->path) < 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot rename '%s' to '%s': %s",
			   st->tmp, st->path, strerror(errno));
		bp_fs_abort(st);
		return -1;
	}
	dir = dir_of(st->path);
	rc = bp_fs_sync_dir(dir, err);
	free(dir);
	free(st->tmp);
	free(st->path);
	st->tmp = st->path = NULL;
	return rc;
}

int bp_fs_commit_new(bp_staged *st, bp_err *err)
{
	char *dir;
	int rc;

	if (fsync(st->fd) < 0 || close(st->fd) < 0) {
		st->fd = -1;
		bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", st->path,
			   strerror(errno));
		bp_fs_abort(st);
		return -1;
	}
	st->fd = -1;
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
	dir = dir_of(st->path);
	rc = bp_fs_sync_dir(dir, err);
	free(dir);
	free(st->tmp);
	free(st->path);
	st->tmp = st->path = NULL;
	return rc;
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
