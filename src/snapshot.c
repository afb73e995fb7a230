/*
 * snapshot.c - building, sealing, checking and finding month-end snapshots.
 *
 * A snapshot is written under a temporary name in its period folder and
 * renamed into place only once every file, the manifest and every folder
 * are on disk, so a reader (or the next month's drift comparison) never
 * sees a half-written snapshot, and a crash leaves only a ".tmp-*" folder
 * that the next run removes.
 *
 * File walks go through openat()/fstatat() without following symbolic
 * links, so a link planted in a snapshot can neither be hashed in place of
 * the file it stands for nor lead a removal outside the snapshot.
 */
#include "snapshot.h"
#include "sha256.h"

#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"

#define MANIFEST "MANIFEST.sha256"
#define MANIFEST_TMP ".MANIFEST.sha256.tmp"
#define DELIVERY_LOG "delivery.log"
#define STAMP_LEN 18 /* YYYY-MM-DDTHHMMSSZ */

/* Files hashed in a background thread while the run goes on (the raw
 * exports, the largest files, are hashed while they are being parsed). */
struct prehash {
	pthread_t thread;
	int running;
	const char *dir;
	char **rel;
	char (*hex)[65];  /* "" when that file could not be hashed */
	size_t n;
};

struct bp_snapshot {
	char *output_dir;
	char *period_dir;
	char *tmpdir;
	char *path;
	struct prehash ph;
};

/* ---- small helpers ------------------------------------------------- */

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = bp_xmalloc(la + lb + 2);

	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

/* Like mkdir -p: creates each missing folder of `path`.  Returns 0, or -1
 * with errno set (ENOTDIR when something in the way is not a folder). */
static int mkdir_p(const char *path)
{
	char *p = bp_xstrdup(path), *s;
	struct stat st;
	int rc = -1;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			goto out;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		goto out;
	if (stat(p, &st) < 0)
		goto out;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, saved;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int is_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int is_period(const char *s)
{
	return strlen(s) == 7 && is_digits(s, 4) && s[4] == '-' &&
	       is_digits(s + 5, 2);
}

/* A snapshot folder name: YYYY-MM-DDTHHMMSSZ. */
static int is_stamp(const char *s)
{
	return strlen(s) == STAMP_LEN && is_digits(s, 4) && s[4] == '-' &&
	       is_digits(s + 5, 2) && s[7] == '-' && is_digits(s + 8, 2) &&
	       s[10] == 'T' && is_digits(s + 11, 6) && s[17] == 'Z';
}

static int format_stamp(bp_time now, char out[STAMP_LEN + 1])
{
	time_t t = (time_t)now;
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return -1;
	if (strftime(out, STAMP_LEN + 1, "%Y-%m-%dT%H%M%SZ", &tm) != STAMP_LEN)
		return -1;
	return 0;
}

/* ---- recursive removal --------------------------------------------- */

static int remove_at(int dirfd, const char *name);

static int remove_children(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (remove_at(dirfd(d), e->d_name) < 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/* Removes `name` in `dirfd` and, for a folder, everything under it,
 * without following symbolic links.  Keeps going past errors so as much
 * as possible is removed; returns -1 if anything was left behind. */
static int remove_at(int dirfd, const char *name)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (remove_children(fd) < 0)
		return -1;
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

static int remove_tree(const char *path)
{
	return remove_at(AT_FDCWD, path);
}

/* ---- walking a snapshot -------------------------------------------- */

struct paths {
	char **v;
	size_t n, cap;
};

struct tree {
	struct paths files;  /* regular files */
	struct paths dirs;   /* folders below the root */
	struct paths other;  /* links, devices, sockets: never in a snapshot */
};

static void paths_push(struct paths *p, const char *prefix, const char *name)
{
	BP_GROW(p->v, p->n + 1, p->cap);
	p->v[p->n++] = prefix ? join(prefix, name) : bp_xstrdup(name);
}

static void paths_free(struct paths *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Byte order of the whole relative path, as `sort` in the C locale would
 * list them ("sources-old.txt" before "sources/a.csv"). */
static void paths_sort(struct paths *p)
{
	if (p->n)
		qsort(p->v, p->n, sizeof(p->v[0]), cmp_str);
}

static void tree_free(struct tree *t)
{
	paths_free(&t->files);
	paths_free(&t->dirs);
	paths_free(&t->other);
}

/* The manifest and the delivery log live beside the files they describe
 * but are not part of what the manifest seals. */
static int is_unsealed(const char *prefix, const char *name)
{
	return !prefix && (!strcmp(name, MANIFEST) || !strcmp(name, DELIVERY_LOG));
}

static int walk(int fd, const char *prefix, struct tree *t);

static int walk_entry(int fd, const char *prefix, const char *name,
		      struct tree *t)
{
	struct stat st;
	char *rel;
	int sub;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (S_ISREG(st.st_mode)) {
		if (!is_unsealed(prefix, name))
			paths_push(&t->files, prefix, name);
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		paths_push(&t->other, prefix, name);
		return 0;
	}
	paths_push(&t->dirs, prefix, name);
	rel = t->dirs.v[t->dirs.n - 1];
	sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return -1;
	return walk(sub, rel, t);
}

/* Lists everything under the folder open as `fd` (which it closes) into
 * `t`, relative paths prefixed with `prefix` (NULL at the root). */
static int walk(int fd, const char *prefix, struct tree *t)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		close(fd);
		return -1;
	}
	errno = 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = walk_entry(dirfd(d), prefix, e->d_name, t);
	}
	if (rc == 0 && errno)
		rc = -1;
	closedir(d);
	return rc;
}

static int walk_root(const char *dir, struct tree *t)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	memset(t, 0, sizeof(*t));
	if (fd < 0)
		return -1;
	if (walk(fd, NULL, t) < 0)
		return -1;
	paths_sort(&t->files);
	paths_sort(&t->dirs);
	paths_sort(&t->other);
	return 0;
}

/* ---- begin ----------------------------------------------------------- */

/* ".tmp-<stamp>-<pid>": the pid of the run that made it, or 0 if `name`
 * is not a temporary folder name. */
static pid_t tmp_owner(const char *name)
{
	const char *dash = strrchr(name, '-');
	long pid;

	if (strncmp(name, ".tmp-", 5) || !dash || !dash[1] ||
	    !is_digits(dash + 1, strlen(dash + 1)) || strlen(dash + 1) > 9)
		return 0;
	pid = strtol(dash + 1, NULL, 10);
	return (pid_t)pid;
}

/* Removes temporary folders whose run is gone.  A pid reused by an
 * unrelated process keeps its folder until that process ends too; that
 * costs disk space for a while, never a snapshot. */
static void remove_stale(const char *period_dir)
{
	DIR *d = opendir(period_dir);
	struct dirent *e;
	pid_t pid;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		pid = tmp_owner(e->d_name);
		if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH)
			remove_at(dirfd(d), e->d_name);
	}
	closedir(d);
}

static bp_snapshot *snapshot_new(const char *output_dir, const char *period,
				 const char *stamp)
{
	bp_snapshot *s = bp_xcalloc(1, sizeof(*s));

	s->output_dir = bp_xstrdup(output_dir);
	s->period_dir = join(output_dir, period);
	s->tmpdir = bp_xasprintf("%s/.tmp-%s-%ld", s->period_dir, stamp,
				 (long)getpid());
	s->path = join(s->period_dir, stamp);
	return s;
}

static void prehash_finish(struct prehash *ph)
{
	size_t i;

	if (ph->running)
		pthread_join(ph->thread, NULL);
	ph->running = 0;
	for (i = 0; i < ph->n; i++)
		free(ph->rel[i]);
	free(ph->rel);
	free(ph->hex);
	memset(ph, 0, sizeof(*ph));
}

static void snapshot_free(bp_snapshot *s)
{
	if (!s)
		return;
	prehash_finish(&s->ph);
	free(s->output_dir);
	free(s->period_dir);
	free(s->tmpdir);
	free(s->path);
	free(s);
}

bp_snapshot *bp_snapshot_begin(const char *output_dir, const char *period,
			       bp_time now, bp_err *err)
{
	char stamp[STAMP_LEN + 1];
	bp_snapshot *s = NULL;

	if (!is_period(period)) {
		bp_err_set(err, BP_ECANTCREAT, "invalid snapshot period '%s'", period);
		return NULL;
	}
	if (format_stamp(now, stamp) < 0) {
		bp_err_set(err, BP_ECANTCREAT, "snapshot time out of range");
		return NULL;
	}
	s = snapshot_new(output_dir, period, stamp);
	if (mkdir_p(s->period_dir) < 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot create '%s': %s",
			   s->period_dir, strerror(errno));
		goto fail;
	}
	remove_stale(s->period_dir);
	if (mkdir(s->tmpdir, 0755) < 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot create '%s': %s",
			   s->tmpdir, strerror(errno));
		goto fail;
	}
	return s;
fail:
	snapshot_free(s);
	return NULL;
}

const char *bp_snapshot_tmpdir(const bp_snapshot *s)
{
	return s->tmpdir;
}

const char *bp_snapshot_path(const bp_snapshot *s)
{
	return s->path;
}

void bp_snapshot_abort(bp_snapshot *s)
{
	if (!s)
		return;
	prehash_finish(&s->ph);
	remove_tree(s->tmpdir);
	/* A failed first run of a month leaves no empty month folder. */
	rmdir(s->period_dir);
	snapshot_free(s);
}

/* ---- commit ---------------------------------------------------------- */

/* sha256sum escapes names with a newline or backslash; boardpack never
 * writes such names, so rather than escape them it refuses them. */
static int listable(const char *rel)
{
	return !strpbrk(rel, "\n\\");
}

/* Hashes one file, flushes it to disk and makes it read-only. */
/* The digest the background thread computed for `rel`, or NULL. */
static const char *prehashed(const struct prehash *ph, const char *rel)
{
	size_t i;

	for (i = 0; i < ph->n; i++)
		if (strcmp(ph->rel[i], rel) == 0 && ph->hex[i][0])
			return ph->hex[i];
	return NULL;
}

static int seal_file(int root, const char *rel, const struct prehash *ph,
		     char hex[65])
{
	int fd = openat(root, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	const char *known = prehashed(ph, rel);
	int rc = -1, saved;

	if (fd < 0)
		return -1;
	if (known)
		memcpy(hex, known, 65);
	if ((known || bp_sha256_fd(fd, hex) == 0) && fsync(fd) == 0 &&
	    fchmod(fd, 0444) == 0)
		rc = 0;
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int write_lines(int root, const struct tree *t, const struct prehash *ph,
		       FILE *out, bp_err *err)
{
	char hex[65];
	size_t i;

	for (i = 0; i < t->files.n; i++) {
		const char *rel = t->files.v[i];
		if (!listable(rel))
			return bp_err_set(err, BP_ECANTCREAT,
					  "file name '%s' cannot be listed in a manifest", rel);
		if (seal_file(root, rel, ph, hex) < 0)
			return bp_err_set(err, BP_ECANTCREAT, "cannot seal '%s': %s",
					  rel, strerror(errno));
		fprintf(out, "%s  %s\n", hex, rel);
	}
	return 0;
}

/* Writes MANIFEST.sha256 under a temporary name, flushes it, then renames
 * it, so a manifest that exists is always complete. */
static int write_manifest(int root, const struct tree *t,
			  const struct prehash *ph, bp_err *err)
{
	FILE *out = NULL;
	int fd, rc = -1;

	fd = openat(root, MANIFEST_TMP, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || !(out = fdopen(fd, "w"))) {
		bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", MANIFEST,
			   strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (write_lines(root, t, ph, out, err) < 0)
		goto out;
	if (fflush(out) != 0 || fsync(fd) != 0 || fchmod(fd, 0444) != 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", MANIFEST,
			   strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fclose(out) != 0 && rc == 0)
		rc = bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", MANIFEST,
				strerror(errno));
	if (rc == 0 && renameat(root, MANIFEST_TMP, root, MANIFEST) < 0)
		rc = bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", MANIFEST,
				strerror(errno));
	return rc;
}

/* Subfolders first, the root last: each fsync makes its entries durable. */
static int sync_dirs(int root, const struct tree *t)
{
	size_t i;
	int fd, rc;

	for (i = 0; i < t->dirs.n; i++) {
		fd = openat(root, t->dirs.v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -1;
		rc = fsync(fd);
		close(fd);
		if (rc < 0)
			return -1;
	}
	return fsync(root);
}

static int seal_tree(const char *dir, const struct prehash *ph, bp_err *err)
{
	struct tree t;
	int root = -1, rc = -1;

	if (walk_root(dir, &t) < 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot read '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (t.other.n) {
		bp_err_set(err, BP_ECANTCREAT, "'%s' in a snapshot is not a regular "
			   "file or folder", t.other.v[0]);
		goto out;
	}
	root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot open '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (write_manifest(root, &t, ph, err) < 0)
		goto out;
	if (sync_dirs(root, &t) < 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot flush '%s': %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (root >= 0)
		close(root);
	tree_free(&t);
	return rc;
}

/* rename() without replacing `to`.  Where the file system lacks
 * RENAME_NOREPLACE, an empty folder is first claimed at `to` with mkdir
 * (atomic, fails if anything is there) and the rename then replaces that
 * empty folder; between the two a reader may see an empty snapshot folder,
 * and a process that fills the claimed folder makes the rename fail
 * instead of being overwritten. */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
	if (mkdir(to, 0755) < 0)
		return -1;
	if (rename(from, to) < 0) {
		int saved = errno;
		rmdir(to);
		errno = saved == ENOTEMPTY ? EEXIST : saved;
		return -1;
	}
	return 0;
}

int bp_snapshot_commit(bp_snapshot *s, bp_err *err)
{
	int rc = -1;

	if (s->ph.running) {
		pthread_join(s->ph.thread, NULL);
		s->ph.running = 0;
	}
	if (seal_tree(s->tmpdir, &s->ph, err) < 0)
		goto fail;
	if (rename_noreplace(s->tmpdir, s->path) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			bp_err_set(err, BP_ECANTCREAT, "snapshot '%s' already exists", s->path);
		else
			bp_err_set(err, BP_ECANTCREAT, "cannot rename '%s' to '%s': %s",
				   s->tmpdir, s->path, strerror(errno));
		goto fail;
	}
	/* The snapshot is complete and in place; a failure here only means
	 * its name may not survive a power loss, which the caller must hear. */
	if (fsync_path(s->period_dir) < 0 || fsync_path(s->output_dir) < 0)
		bp_err_set(err, BP_ECANTCREAT, "cannot flush '%s': %s", s->period_dir,
			   strerror(errno));
	else
		rc = 0;
	snapshot_free(s);
	return rc;
fail:
	bp_snapshot_abort(s);
	return -1;
}

/* ---- verify ---------------------------------------------------------- */

/* Absolute paths, empty components, "." and ".." could make a manifest
 * vouch for a file outside the snapshot. */
static int unsafe_path(const char *p)
{
	const char *c = p, *end;
	size_t n;

	for (;;) {
		end = strchr(c, '/');
		n = end ? (size_t)(end - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 1;
		if (!end)
			return 0;
		c = end + 1;
	}
}

static int is_hex64(const char *s)
{
	int i;

	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* One "<hex>  <path>" line (newline removed).  Sets *path to point into
 * `line`.  Returns 0, or -1 with BP_EDATA at the place that is wrong. */
static int parse_line(char *line, const char *manifest, long lineno,
		      char **path, bp_err *err)
{
	if (strlen(line) < 66 || !is_hex64(line))
		return bp_err_at(err, BP_EDATA, manifest, lineno, 1,
				 "expected a sha-256 digest of 64 hex digits");
	if (line[64] != ' ' || (line[65] != ' ' && line[65] != '*'))
		return bp_err_at(err, BP_EDATA, manifest, lineno, 65,
				 "expected two spaces after the digest");
	*path = line + 66;
	if (unsafe_path(*path))
		return bp_err_at(err, BP_EDATA, manifest, lineno, 67,
				 "path '%s' is not a plain relative path inside the snapshot",
				 *path);
	return 0;
}

static int check_file(int root, const char *rel, const char *want, bp_err *err)
{
	char hex[65];
	struct stat st;
	int fd = openat(root, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc;

	if (fd < 0 && errno == ENOENT)
		return bp_err_set(err, BP_EDATA, "file '%s' is missing", rel);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return bp_err_set(err, BP_EDATA, "file '%s' is not a readable regular file",
				  rel);
	}
	rc = bp_sha256_fd(fd, hex);
	close(fd);
	if (rc < 0)
		return bp_err_set(err, BP_EDATA, "cannot read '%s': %s", rel, strerror(errno));
	if (strcasecmp(hex, want) != 0)
		return bp_err_set(err, BP_EDATA,
				  "file '%s' changed since the snapshot was made", rel);
	return 0;
}

/* Checks every line of the manifest open as `in`, collecting the listed
 * paths into `listed`. */
static int check_listed(int root, FILE *in, const char *manifest,
			struct paths *listed, bp_err *err)
{
	char *line = NULL, *path = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int rc = 0;

	while (rc == 0 && (n = getline(&line, &cap, in)) >= 0) {
		lineno++;
		/* As sha256sum: LF or CRLF line ends, blank lines skipped. */
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0)
			continue;
		rc = parse_line(line, manifest, lineno, &path, err);
		if (rc == 0) {
			line[64] = '\0';
			rc = check_file(root, path, line, err);
		}
		if (rc == 0)
			paths_push(listed, NULL, path);
	}
	if (rc == 0 && ferror(in))
		rc = bp_err_set(err, BP_EDATA, "cannot read '%s': %s", manifest,
				strerror(errno));
	/* getline grows its buffer with libc's malloc: when it stops short of
	 * the end for want of memory, that ends the process as any other
	 * allocation does, rather than reading as a shorter manifest. */
	else if (rc == 0 && !feof(in))
		bp_oom();
	free(line);
	return rc;
}

static int is_listed(const struct paths *listed, const char *rel)
{
	return bsearch(&rel, listed->v, listed->n, sizeof(listed->v[0]), cmp_str) != NULL;
}

static int check_unlisted(const char *dir, struct paths *listed, bp_err *err)
{
	struct tree t;
	size_t i;
	int rc = 0;

	if (walk_root(dir, &t) < 0) {
		tree_free(&t);
		return bp_err_set(err, BP_ENOINPUT, "cannot read '%s': %s", dir,
				  strerror(errno));
	}
	paths_sort(listed);
	for (i = 0; rc == 0 && i < t.files.n; i++)
		if (!is_listed(listed, t.files.v[i]))
			rc = bp_err_set(err, BP_EDATA, "file '%s' is not in the manifest",
					t.files.v[i]);
	for (i = 0; rc == 0 && i < t.other.n; i++)
		rc = bp_err_set(err, BP_EDATA, "file '%s' is not in the manifest",
				t.other.v[i]);
	tree_free(&t);
	return rc;
}

int bp_snapshot_verify(const char *dir, bp_err *err)
{
	struct paths listed = { 0 };
	char *manifest = join(dir, MANIFEST);
	FILE *in = NULL;
	int root, rc = -1;

	root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		bp_err_set(err, BP_ENOINPUT, "cannot open snapshot '%s': %s", dir,
			   strerror(errno));
		goto out;
	}
	in = fopen(manifest, "re");
	if (!in) {
		bp_err_set(err, errno == ENOENT ? BP_ENOINPUT : BP_EDATA,
			   "cannot open '%s': %s", manifest, strerror(errno));
		goto out;
	}
	if (check_listed(root, in, manifest, &listed, err) < 0)
		goto out;
	rc = check_unlisted(dir, &listed, err);
out:
	if (in)
		fclose(in);
	if (root >= 0)
		close(root);
	paths_free(&listed);
	free(manifest);
	return rc;
}

/* ---- previous -------------------------------------------------------- */

/* Keeps in *best the latest stamp folder of `period` earlier than
 * `before`.  Ties across periods go to the later period name. */
static void scan_period(int outfd, const char *period, const char *before,
			char *best, char *best_period)
{
	int fd = openat(outfd, period, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	struct stat st;
	int c;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_stamp(e->d_name) || (before && strcmp(e->d_name, before) >= 0))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		c = strcmp(e->d_name, best);
		if (c > 0 || (c == 0 && strcmp(period, best_period) > 0)) {
			strcpy(best, e->d_name);
			snprintf(best_period, 256, "%s", period);
		}
	}
	closedir(d);
}

char *bp_snapshot_previous(const char *output_dir, const char *before)
{
	char best[STAMP_LEN + 1] = "", best_period[256] = "";
	const char *slash = before ? strrchr(before, '/') : NULL;
	DIR *d = opendir(output_dir);
	struct dirent *e;

	if (!d)
		return NULL;
	/* Only the stamp is compared, so a full path is as good as a name. */
	if (slash)
		before = slash + 1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && strlen(e->d_name) < sizeof(best_period))
			scan_period(dirfd(d), e->d_name, before, best, best_period);
	closedir(d);
	if (!best[0])
		return NULL;
	return bp_xasprintf("%s/%s/%s", output_dir, best_period, best);
}

/* ---- hashing ahead ------------------------------------------------- */

static void *prehash_run(void *arg)
{
	struct prehash *ph = arg;
	size_t i;

	for (i = 0; i < ph->n; i++) {
		char *path = join(ph->dir, ph->rel[i]);

		if (bp_sha256_file(path, ph->hex[i]) < 0)
			ph->hex[i][0] = '\0';
		free(path);
	}
	return NULL;
}

int bp_snapshot_prehash(bp_snapshot *s, const char *const *rel, size_t n)
{
	struct prehash *ph = &s->ph;
	size_t i;

	if (ph->running || ph->n || n == 0)
		return -1;
	ph->rel = bp_xcalloc(n, sizeof(*ph->rel));
	ph->hex = bp_xcalloc(n, sizeof(*ph->hex));
	for (i = 0; i < n; i++)
		ph->rel[i] = bp_xstrdup(rel[i]);
	ph->n = n;
	ph->dir = s->tmpdir;
	if (pthread_create(&ph->thread, NULL, prehash_run, ph) != 0) {
		prehash_finish(ph);
		return -1;
	}
	ph->running = 1;
	return 0;
}

/* ---- retention ----------------------------------------------------- */

static int cmp_desc(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes the old snapshots of one period folder, all but its latest. */
static int prune_period(const char *period_dir, const char *cutoff, bp_err *err)
{
	struct paths names = { 0 };
	DIR *d = opendir(period_dir);
	struct dirent *e;
	size_t i;
	int removed = 0, failed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (is_stamp(e->d_name))
			paths_push(&names, NULL, e->d_name);
	closedir(d);
	qsort(names.v, names.n, sizeof(names.v[0]), cmp_desc);
	for (i = 1; i < names.n; i++) {
		char *path;

		if (strcmp(names.v[i], cutoff) >= 0)
			continue;
		path = join(period_dir, names.v[i]);
		if (remove_tree(path) < 0) {
			bp_err_set(err, BP_ECANTCREAT, "cannot remove old snapshot "
				   "'%s': %s", path, strerror(errno));
			failed = 1;
		} else {
			removed++;
		}
		free(path);
	}
	paths_free(&names);
	return failed ? -1 : removed;
}

int bp_snapshot_prune(const char *output_dir, int keep_months, bp_time now,
		      bp_err *err)
{
	char cutoff[STAMP_LEN + 1];
	DIR *d;
	struct dirent *e;
	int total = 0, failed = 0;

	if (keep_months <= 0)
		return 0;
	/* Months as 30.44 days: retention needs no calendar precision. */
	if (format_stamp(now - (bp_time)keep_months * 2629746, cutoff) < 0)
		return bp_err_set(err, BP_ESOFTWARE, "cannot format a time stamp");
	d = opendir(output_dir);
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char *period_dir;
		int n;

		if (!is_period(e->d_name))
			continue;
		period_dir = join(output_dir, e->d_name);
		n = prune_period(period_dir, cutoff, err);
		free(period_dir);
		if (n < 0)
			failed = 1;
		else
			total += n;
	}
	closedir(d);
	return failed ? -1 : total;
}
