/*
 * secret.c - credentials from owner-only files, wiped after use.
 */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#define SECRET_FILE_MAX 8192

void bp_secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

char *bp_secret_read_file(const char *path, const char *kind,
			  const char *owner, bp_err *err)
{
	char *buf = NULL;
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		bp_err_set(err, BP_ECONFIG, "cannot open %s file '%s' of %s: %s",
			   kind, path, owner, strerror(errno));
		goto out;
	}
	/* fstat on the open file, so the file checked is the file read. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		bp_err_set(err, BP_ECONFIG, "%s file '%s' of %s is not a regular "
			   "file", kind, path, owner);
		goto out;
	}
	if (st.st_mode & 077) {
		bp_err_set(err, BP_ECONFIG, "%s file '%s' of %s may be read or "
			   "written by group or others (chmod 600 it)", kind, path,
			   owner);
		goto out;
	}
	buf = bp_xcalloc(1, SECRET_FILE_MAX + 1);
	n = read(fd, buf, SECRET_FILE_MAX);
	if (n < 0) {
		bp_err_set(err, BP_ECONFIG, "cannot read %s file '%s' of %s: %s",
			   kind, path, owner, strerror(errno));
		free(buf);
		buf = NULL;
		goto out;
	}
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
		n--;
	buf[n] = '\0';
	if (n == 0 || strchr(buf, '\n')) {
		bp_err_set(err, BP_ECONFIG, "%s file '%s' of %s does not hold one "
			   "%s on one line", kind, path, owner, kind);
		explicit_bzero(buf, SECRET_FILE_MAX + 1);
		free(buf);
		buf = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	return buf;
}
