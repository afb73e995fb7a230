/*
 * fuzzlib.c - the private folder and the file writes of the fuzz targets
 * (fuzzlib.h).
 */
#include "fuzzlib.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[PATH_MAX];
static pid_t owner;

_Noreturn static void die(const char *what, const char *path)
{
	fprintf(stderr, "fuzz: %s '%s': %s\n", what, path, strerror(errno));
	abort();
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Only the process that made the folder removes it (libFuzzer's -fork
 * and -jobs children inherit the atexit handler). */
static void remove_dir(void)
{
	if (dir[0] && getpid() == owner)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fz_dir(const char *what)
{
	const char *tmp = getenv("TMPDIR");

	if (dir[0])
		return dir;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/bp-fuzz-%s-XXXXXX", tmp, what);
	if (!mkdtemp(dir))
		die("cannot make the folder", dir);
	owner = getpid();
	atexit(remove_dir);
	return dir;
}

const char *fz_path(const char *name)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

void fz_write(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0)
		die("cannot write", path);
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0)
			die("cannot write", path);
		p += k;
		n -= (size_t)k;
	}
	if (close(fd) < 0)
		die("cannot write", path);
}

void fz_copy(const char *from, const char *to)
{
	FILE *f = fopen(from, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0)
		die("cannot read (run from the repository root)", from);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("cannot read", from);
	fclose(f);
	fz_write(to, buf, (size_t)n);
	free(buf);
}

void fz_mkdir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		die("cannot make the folder", path);
}
