/*
 * testlib.c - the helpers boardpack's unit tests share (see testlib.h).
 *
 * Every failure goes through failed_at(), which does what cmocka's
 * fail_msg() does but names the calling test's file and line, which the
 * tl_* macros pass in, instead of a line of this file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* How long tl_server_start waits for the port file: 500 polls 20 ms apart. */
#define PORT_POLLS 500
#define PORT_POLL_US 20000

static void failed_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

static void failed_at(const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error("ERROR: %s\n", msg);
	_fail(file, line);
	abort();	/* _fail does not return: it ends the test */
}

/* ---- files ---------------------------------------------------------------- */

void tl_write_bytes_at(const char *file, int line, const char *path,
		       const void *data, size_t n, mode_t mode)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int e;

	if (fd < 0)
		failed_at(file, line, "cannot create '%s': %s", path,
			  strerror(errno));
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			close(fd);
			failed_at(file, line, "cannot write '%s': %s", path,
				  strerror(e));
		}
		p += w;
		n -= (size_t)w;
	}
	/* open() honours the umask and leaves an existing file's mode alone;
	 * tests of permission checks need exactly `mode`. */
	if (fchmod(fd, mode) < 0) {
		e = errno;
		close(fd);
		failed_at(file, line, "cannot chmod '%s': %s", path, strerror(e));
	}
	if (close(fd) < 0)
		failed_at(file, line, "cannot write '%s': %s", path,
			  strerror(errno));
}

void tl_write_file_mode_at(const char *file, int line, const char *path,
			   const char *text, mode_t mode)
{
	tl_write_bytes_at(file, line, path, text, strlen(text), mode);
}

void tl_write_file_at(const char *file, int line, const char *path,
		      const char *text)
{
	tl_write_bytes_at(file, line, path, text, strlen(text), 0644);
}

/* Reads `f` to its end into a new NUL-terminated buffer.  Returns 0, or
 * an errno value with *out NULL. */
static int read_stream(FILE *f, char **out, size_t *len)
{
	size_t n = 0, cap = 0, got;
	char *buf = NULL, *grown;

	*out = NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 8192;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				return ENOMEM;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		free(buf);
		return errno ? errno : EIO;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

static char *read_file(const char *file, int line, const char *path,
		       size_t *len, int absent_ok)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	int e;

	if (!f) {
		if (absent_ok && errno == ENOENT)
			return NULL;
		failed_at(file, line, "cannot open '%s': %s", path,
			  strerror(errno));
	}
	e = read_stream(f, &buf, len);
	fclose(f);
	if (e)
		failed_at(file, line, "cannot read '%s': %s", path, strerror(e));
	return buf;
}

char *tl_read_file_at(const char *file, int line, const char *path,
		      size_t *len)
{
	return read_file(file, line, path, len, 0);
}

char *tl_try_read_file_at(const char *file, int line, const char *path,
			  size_t *len)
{
	return read_file(file, line, path, len, 1);
}

int tl_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

size_t tl_count_entries_at(const char *file, int line, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		failed_at(file, line, "cannot open folder '%s': %s", dir,
			  strerror(errno));
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

FILE *tl_tmpfile_at(const char *file, int line, char *tmpl)
{
	int fd = mkstemp(tmpl);
	FILE *f;

	if (fd < 0)
		failed_at(file, line, "cannot make a file from '%s': %s", tmpl,
			  strerror(errno));
	f = fdopen(fd, "wb");
	if (!f) {
		int e = errno;

		close(fd);
		unlink(tmpl);
		failed_at(file, line, "cannot open '%s': %s", tmpl, strerror(e));
	}
	return f;
}

/* ---- folders -------------------------------------------------------------- */

char *tl_tmpdir_at(const char *file, int line, const char *tmpl)
{
	char *dir = strdup(tmpl);

	if (!dir)
		failed_at(file, line, "out of memory");
	if (!mkdtemp(dir)) {
		int e = errno;

		free(dir);
		failed_at(file, line, "cannot make a folder from '%s': %s",
			  tmpl, strerror(e));
	}
	return dir;
}

/* nftw passes no context: the entry that could not be removed. */
static char rm_failed[PATH_MAX];

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) == 0)
		return 0;
	snprintf(rm_failed, sizeof(rm_failed), "%s", path);
	return -1;
}

void tl_rmtree_at(const char *file, int line, const char *dir)
{
	if (!dir)
		return;
	snprintf(rm_failed, sizeof(rm_failed), "%s", dir);
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		failed_at(file, line, "cannot remove '%s': %s", rm_failed,
			  strerror(errno));
}

const char *tl_path_at(const char *file, int line, const char *dir,
		       const char *rel)
{
	static char buf[8][PATH_MAX];
	static unsigned k;
	char *p = buf[k++ % 8];

	if ((size_t)snprintf(p, PATH_MAX, "%s/%s", dir, rel) >= PATH_MAX)
		failed_at(file, line, "path '%s/%s' is too long", dir, rel);
	return p;
}

/* ---- text ----------------------------------------------------------------- */

size_t tl_count(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += len;
	}
	return n;
}

/* ---- commands ------------------------------------------------------------- */

const char *tl_srcdir(void)
{
	const char *s = getenv("BP_SRCDIR");

	return s && *s ? s : ".";
}

const char *tl_src_file_at(const char *file, int line, const char *rel)
{
	const char *path = tl_path_at(file, line, tl_srcdir(), rel);

	if (access(path, R_OK) < 0)
		failed_at(file, line, "cannot find '%s' (%s): run from the "
			  "repository root or set BP_SRCDIR", path,
			  strerror(errno));
	return path;
}

const char *tl_python(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
						      : "python3";
}

char *tl_run_at(const char *file, int line, int *status, const char *fmt, ...)
{
	char *cmd, *out;
	va_list ap;
	FILE *p;
	int rc, e;

	va_start(ap, fmt);
	rc = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (rc < 0)
		failed_at(file, line, "out of memory");
	p = popen(cmd, "r");
	if (!p) {
		e = errno;
		free(cmd);
		failed_at(file, line, "cannot run a shell: %s", strerror(e));
	}
	e = read_stream(p, &out, NULL);
	rc = pclose(p);
	if (e) {
		char what[256];

		snprintf(what, sizeof(what), "%s", cmd);
		free(cmd);
		failed_at(file, line, "cannot read the output of '%s': %s", what,
			  strerror(e));
	}
	free(cmd);
	if (status)
		*status = rc;
	return out;
}

/* Runs argv (no shell) and returns its wait status, or -1 with errno set
 * when it cannot be started. */
static int run_argv(const char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

void tl_make_ca_at(const char *file, int line, const char *dir)
{
	const char *script = tl_src_file_at(file, line,
					    "tests/integration/make_ca.sh");
	const char *argv[] = { "sh", script, dir, NULL };
	int status = run_argv(argv);

	if (status != 0)
		failed_at(file, line, "'sh %s %s' failed (status %d)", script,
			  dir, status);
}

/* ---- servers -------------------------------------------------------------- */

/* The port in `port_file`: >0 once the whole line is there, 0 while it is
 * not, -1 when the line is there but no port. */
static int read_port(const char *port_file)
{
	char buf[32], *end;
	FILE *f = fopen(port_file, "r");
	size_t n;
	long v;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (!memchr(buf, '\n', n))
		return n < sizeof(buf) - 1 ? 0 : -1;
	v = strtol(buf, &end, 10);
	return end != buf && *end == '\n' && v > 0 && v < 65536 ? (int)v : -1;
}

/* argv as one line, for messages. */
static void describe(const char *const argv[], char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; argv[i] && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? " " : "",
				      argv[i]);
}

pid_t tl_server_start_at(const char *file, int line, const char *const argv[],
			 const char *port_file, int *port)
{
	pid_t parent = getpid(), pid;
	char what[512];
	int status;

	describe(argv, what, sizeof(what));
	if (unlink(port_file) < 0 && errno != ENOENT)
		failed_at(file, line, "cannot remove '%s': %s", port_file,
			  strerror(errno));
	pid = fork();
	if (pid < 0)
		failed_at(file, line, "cannot start '%s': %s", what,
			  strerror(errno));
	if (pid == 0) {
		/* A test binary that crashes must not leave servers behind
		 * (they would also hold its output pipe open).  The check of
		 * the parent catches a test that died before prctl. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < PORT_POLLS; i++) {
		int p = read_port(port_file);

		if (p > 0) {
			*port = p;
			return pid;
		}
		if (p < 0) {
			tl_server_stop(pid);
			failed_at(file, line, "'%s' wrote no port to '%s'", what,
				  port_file);
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (WIFSIGNALED(status))
				failed_at(file, line, "'%s' was killed by signal "
					  "%d before it listened", what,
					  WTERMSIG(status));
			failed_at(file, line, "'%s' exited with status %d before "
				  "it listened", what, WEXITSTATUS(status));
		}
		usleep(PORT_POLL_US);
	}
	tl_server_stop(pid);
	failed_at(file, line, "'%s' did not write '%s' within %d s", what,
		  port_file, PORT_POLLS * (PORT_POLL_US / 1000) / 1000);
}

int tl_refused_port_at(const char *file, int line, int *fd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int e;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		failed_at(file, line, "cannot make a socket: %s", strerror(errno));
	if (bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(*fd, (struct sockaddr *)&sa, &len) < 0) {
		e = errno;
		close(*fd);
		failed_at(file, line, "cannot bind a loopback port: %s",
			  strerror(e));
	}
	return ntohs(sa.sin_port);
}

void tl_server_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int tl_tmpdir_setup(void **state)
{
	*state = tl_tmpdir("/tmp/bp-test-XXXXXX");
	return 0;
}

int tl_tmpdir_teardown(void **state)
{
	tl_rmtree(*state);
	free(*state);
	*state = NULL;
	return 0;
}

unsigned char *tl_pseudo_random(size_t n)
{
	unsigned char *p = malloc(n ? n : 1);
	uint32_t x = 2463534242u;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	return p;
}
