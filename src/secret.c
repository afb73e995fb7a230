/*
 * secret.c - credentials from owner-only files, wiped after use.  The
 * rules a secret file must pass are in secret.h.
 */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

void bp_secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Frees a buffer of `size` bytes that may hold NULs. */
static void wipe(char *buf, size_t size)
{
	if (!buf)
		return;
	explicit_bzero(buf, size);
	free(buf);
}

/* Opens `path` and checks what it is on the open file.  O_NONBLOCK: a
 * FIFO opens at once (and is then refused) instead of waiting for a
 * writer.  Returns the descriptor, or -1 with BP_ECONFIG. */
static int open_private(const char *path, const char *what, const char *owner,
			size_t max, bp_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		bp_err_set(err, BP_ECONFIG, "cannot open %s '%s' of %s: %s", what,
			   path, owner, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		bp_err_set(err, BP_ECONFIG, "%s '%s' of %s is not a regular file",
			   what, path, owner);
	else if (st.st_mode & 077)
		bp_err_set(err, BP_ECONFIG, "%s '%s' of %s may be read or written "
			   "by group or others (chmod 600 it)", what, path, owner);
	else if (st.st_uid != geteuid() && st.st_uid != 0)
		bp_err_set(err, BP_ECONFIG, "%s '%s' of %s is owned by another "
			   "user (uid %ld): chown it to the user boardpack runs as",
			   what, path, owner, (long)st.st_uid);
	else if ((unsigned long long)st.st_size > max)
		bp_err_set(err, BP_ECONFIG, "%s '%s' of %s is larger than %zu "
			   "bytes", what, path, owner, max);
	else
		return fd;
	close(fd);
	return -1;
}

char *bp_secret_read_all(const char *path, const char *what,
			 const char *owner, size_t max, size_t *len,
			 bp_err *err)
{
	int fd = open_private(path, what, owner, max, err);
	char *buf;
	size_t n = 0;
	ssize_t got;

	if (fd < 0)
		return NULL;
	/* Read to the end, one byte past the limit: a file that grew since
	 * fstat is refused too, never cut. */
	buf = bp_xcalloc(1, max + 2);
	while (n <= max && (got = read(fd, buf + n, max + 1 - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			bp_err_set(err, BP_ECONFIG, "cannot read %s '%s' of %s: %s",
				   what, path, owner, strerror(errno));
			goto fail;
		}
		n += (size_t)got;
	}
	if (n > max) {
		bp_err_set(err, BP_ECONFIG, "%s '%s' of %s is larger than %zu "
			   "bytes", what, path, owner, max);
		goto fail;
	}
	close(fd);
	if (len)
		*len = n;
	return buf;
fail:
	close(fd);
	wipe(buf, max + 2);
	return NULL;
}

/* What is wrong with the one line `s` (`n` bytes, line end removed), or
 * NULL when nothing is.  `*byte` gets the control character found. */
static const char *line_problem(const char *s, size_t n, unsigned char *byte)
{
	if (n == 0)
		return "is empty";
	for (size_t i = 0; i < n; i++) {
		*byte = (unsigned char)s[i];
		if (*byte == '\n')
			return "holds more than one line";
		if (*byte == '\r')
			return "holds a carriage return (CR) that is not part of "
			       "its line end";
		if (*byte < 0x20 || *byte == 0x7f)
			return "holds a control character";
	}
	return NULL;
}

char *bp_secret_read_file(const char *path, const char *kind,
			  const char *owner, bp_err *err)
{
	char *what = bp_xasprintf("%s file", kind), *buf;
	const char *why;
	unsigned char byte = 0;
	size_t n;

	buf = bp_secret_read_all(path, what, owner, BP_SECRET_FILE_MAX, &n, err);
	if (!buf)
		goto out;
	/* One line end, LF or CR LF, and the blanks before it. */
	if (n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	why = line_problem(buf, n, &byte);
	if (why) {
		if (byte >= 0x20 || byte == '\n' || byte == '\r' || n == 0)
			bp_err_set(err, BP_ECONFIG, "%s '%s' of %s %s (one %s on "
				   "one line expected)", what, path, owner, why,
				   kind);
		else
			bp_err_set(err, BP_ECONFIG, "%s '%s' of %s %s (byte 0x%02x)",
				   what, path, owner, why, byte);
		wipe(buf, BP_SECRET_FILE_MAX + 2);
		buf = NULL;
		goto out;
	}
	explicit_bzero(buf + n, BP_SECRET_FILE_MAX + 2 - n);
out:
	free(what);
	return buf;
}
