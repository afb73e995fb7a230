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

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"

#define MANIFEST "MANIFEST.sha256"
#define MANIFEST_TMP ".MANIFEST.sha256.tmp"
#define DELIVERY_LOG "delivery.log"
#define STAMP_LEN 18 /* YYYY-MM-DDTHHMMSSZ */

/* One file archived into the snapshot.  A clone (or a folder's page)
 * is only hashed by the background thread; a copy is copied and hashed
 * there in one pass, from `in`, the descriptor the run's reader shares,
 * so the digest is of the very bytes written. */
struct job {
	char *rel;          /* its path in the snapshot */
	int in, out;        /* a copy's source and archive; -1 otherwise */
	struct stat st;     /* the source when opened: it must not change */
	char hex[65];       /* "" until hashed */
	int copy_errno;     /* why the copy failed; 0 when it did not */
};

struct archive {
	pthread_t thread;
	int running;
	int started;        /* bp_snapshot_archive_start was called */
	const char *dir;
	struct job *jobs;
	size_t n, cap;
	char **read_paths;  /* handed to the caller, freed with the snapshot */
	size_t n_paths, cap_paths;
};

struct bp_snapshot {
	char *output_dir;
	char *period_dir;
	char *tmpdir;
	char *path;
	struct archive ar;
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

/* Like mkdir -p: creates each missing folder of `path`, owner-only.  Returns 0, or -1
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
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			goto out;
		*s = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
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

/* A listing of the folder open as `fd`, which it now owns (closed on
 * failure too). */
static DIR *dir_of_fd(int fd)
{
	DIR *d = fdopendir(fd);

	if (!d)
		close(fd);
	return d;
}

static int remove_children(int fd)
{
	DIR *d = dir_of_fd(fd);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -1;
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
	DIR *d = dir_of_fd(fd);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -1;
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

/* Whether `name` is a temporary snapshot folder: ".tmp-<stamp>-<pid>". */
static int is_tmp_name(const char *name)
{
	const char *dash = strrchr(name, '-');

	return strncmp(name, ".tmp-", 5) == 0 && dash && dash[1] &&
	       is_digits(dash + 1, strlen(dash + 1));
}

/* Removes the temporary folders of runs that died.  Only a run holding
 * the output folder's lock calls it, so no other live run can be writing
 * one: a pid says nothing about a run in another container or on
 * another host that shares the folder. */
static void remove_stale(const char *period_dir)
{
	DIR *d = opendir(period_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (is_tmp_name(e->d_name))
			remove_at(dirfd(d), e->d_name);
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

static void archive_wait(struct archive *ar)
{
	if (ar->running)
		pthread_join(ar->thread, NULL);
	ar->running = 0;
}

static void archive_finish(struct archive *ar)
{
	size_t i;

	archive_wait(ar);
	for (i = 0; i < ar->n; i++) {
		free(ar->jobs[i].rel);
		if (ar->jobs[i].in >= 0)
			close(ar->jobs[i].in);
		if (ar->jobs[i].out >= 0)
			close(ar->jobs[i].out);
	}
	for (i = 0; i < ar->n_paths; i++)
		free(ar->read_paths[i]);
	free(ar->jobs);
	free(ar->read_paths);
	memset(ar, 0, sizeof(*ar));
}

static void snapshot_free(bp_snapshot *s)
{
	if (!s)
		return;
	archive_finish(&s->ar);
	free(s->output_dir);
	free(s->period_dir);
	free(s->tmpdir);
	free(s->path);
	free(s);
}

bp_snapshot *bp_snapshot_begin(const char *output_dir, const char *period,
			       bp_time now, const bp_fs_lock *held, bp_err *err)
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
	if (bp_fs_check_private(s->period_dir, "period folder", err) < 0)
		goto fail;
	if (bp_fs_lock_covers(held, output_dir))
		remove_stale(s->period_dir);
	if (mkdir(s->tmpdir, 0700) < 0) {
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
	archive_finish(&s->ar);
	remove_tree(s->tmpdir);
	/* A failed first run of a month leaves no empty month folder. */
	rmdir(s->period_dir);
	snapshot_free(s);
}

/* ---- archiving the sources --------------------------------------------- */

/* The archive's copy: chunks of whole blocks (of the largest logical
 * block size in use, as direct I/O wants), in buffers aligned to a page. */
#define COPY_CHUNK ((size_t)1 << 20)
#define DIRECT_BLOCK 4096

static struct job *add_job(struct archive *ar, const char *rel)
{
	struct job *j;

	BP_GROW(ar->jobs, ar->n + 1, ar->cap);
	j = &ar->jobs[ar->n++];
	memset(j, 0, sizeof(*j));
	j->rel = bp_xstrdup(rel);
	j->in = j->out = -1;
	return j;
}

static const char *keep_path(struct archive *ar, char *path)
{
	BP_GROW(ar->read_paths, ar->n_paths + 1, ar->cap_paths);
	ar->read_paths[ar->n_paths++] = path;
	return path;
}

/* Creates the folders of `rel` inside the folder open as `root`. */
static int make_parents(int root, const char *rel)
{
	char *p = bp_xstrdup(rel), *s;
	int rc = 0;

	for (s = strchr(p, '/'); s && rc == 0; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(root, p, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	free(p);
	return rc;
}

/* Opens the file to archive: never through a link, never a device or a
 * FIFO that could block or change under the reader. */
static int open_source(const char *from, struct stat *st, bp_err *err)
{
	int fd = open(from, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 && errno == ELOOP)
		return bp_err_set(err, BP_ENOINPUT, "'%s' is a symbolic link; "
				  "boardpack reads downloads only from files of "
				  "its own: remove it", from);
	if (fd < 0)
		return bp_err_set(err, BP_ENOINPUT, "cannot open '%s': %s", from,
				  strerror(errno));
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return bp_err_set(err, BP_ENOINPUT, "'%s' is not a regular file",
				  from);
	}
	return fd;
}

static int create_archive(bp_snapshot *s, const char *rel, bp_err *err)
{
	int root = open(s->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1;

	if (root >= 0 && make_parents(root, rel) == 0)
		fd = openat(root, rel, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
	if (fd < 0)
		bp_err_set(err, BP_ECANTCREAT, "cannot create '%s/%s': %s",
			   s->tmpdir, rel, strerror(errno));
	if (root >= 0)
		close(root);
	return fd;
}

/* A reflink: the archive shares the source's blocks, copy-on-write, so
 * nothing is read or written now and a later write to either file never
 * reaches the other.  Any failure (EOPNOTSUPP on ext4 or tmpfs, EXDEV
 * across file systems) means a copy instead. */
static int clone_file(int out, int in)
{
	return ioctl(out, FICLONE, in);
}

/* Reads up to `n` bytes at `off`, fewer only at the end of the file.
 * Returns the count, or -1 with errno. */
static ssize_t pread_full(int fd, unsigned char *buf, size_t n, off_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got, off + (off_t)got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* The writing half of the archive's copy: two buffers, one being filled and
 * hashed by the archive thread while the other is written by a thread
 * of this one's, so the digest's CPU time overlaps the disk's.  A buffer
 * is handed over once hashed and handed back once written, so the bytes
 * hashed are the bytes written. */
struct direct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int out, fl;          /* the archive, and its flags without O_DIRECT */
	int direct;           /* O_DIRECT still set on out */
	unsigned char *buf[2];
	size_t len[2];
	off_t off[2];
	int full[2];          /* handed to the writer, not yet written */
	int done;             /* no more buffers will come */
	int err;              /* the first write's errno */
};

/* Takes O_DIRECT off the archive: the rest goes through the page cache. */
static int stop_direct(struct direct *d)
{
	d->direct = 0;
	return fcntl(d->out, F_SETFL, d->fl) < 0 ? errno : 0;
}

/* Writes buffer b; the caller holds no lock.  Returns 0 or an errno.
 * Direct I/O wants whole blocks: the partial last chunk, and whatever a
 * device or file system refuses (EINVAL: blocks larger than the chunk's
 * multiple, or a flag taken but not honoured), is written through the
 * page cache instead. */
static int direct_write(struct direct *d, int b)
{
	const unsigned char *p = d->buf[b];
	size_t n = d->len[b];
	off_t off = d->off[b];
	int e;

	if (d->direct && n % DIRECT_BLOCK != 0 && (e = stop_direct(d)) != 0)
		return e;
	while (n) {
		ssize_t k = pwrite(d->out, p, n, off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EINVAL && d->direct) {
			if ((e = stop_direct(d)) != 0)
				return e;
			continue;
		}
		if (k < 0)
			return errno;
		if (k == 0)
			return EIO;
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return 0;
}

static void *direct_writer(void *arg)
{
	struct direct *d = arg;
	int b = 0, e;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->full[b] && !d->done)
			pthread_cond_wait(&d->cv, &d->mu);
		if (!d->full[b])
			break;
		pthread_mutex_unlock(&d->mu);
		e = direct_write(d, b);
		pthread_mutex_lock(&d->mu);
		d->full[b] = 0;
		if (e && !d->err)
			d->err = e;
		pthread_cond_broadcast(&d->cv);
		if (d->err)
			break;
		b ^= 1;
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* Copies `in` to `out` from the start, hashing the bytes copied: each
 * chunk is read into this process, hashed, and written from the same
 * buffer, so the digest is of the very bytes written.  Where the file
 * system takes it, the write is direct (O_DIRECT), straight to the
 * device: the archive then takes no page cache (on a virtual machine,
 * fresh page-cache pages can cost more than the copy), and the threads
 * wait for the disk instead of competing with the parser for a core.
 * The last, partial chunk goes through the page cache (direct I/O wants
 * whole blocks), as does everything where direct I/O is refused
 * (direct_write).  Returns 0, or an errno. */
static int copy_and_hash(int in, int out, char hex[65])
{
	struct direct d = { .out = out };
	bp_sha256 c;
	pthread_t writer;
	off_t off = 0;
	int b = 0, rc = 0, threaded;

	d.fl = fcntl(out, F_GETFL);
	if (d.fl < 0)
		return errno;
	d.direct = fcntl(out, F_SETFL, d.fl | O_DIRECT) == 0;
	pthread_mutex_init(&d.mu, NULL);
	pthread_cond_init(&d.cv, NULL);
	d.buf[0] = bp_xmalloc_aligned(DIRECT_BLOCK, COPY_CHUNK);
	d.buf[1] = bp_xmalloc_aligned(DIRECT_BLOCK, COPY_CHUNK);
	bp_sha256_init(&c);
	/* Without a second thread, each buffer is written when hashed. */
	threaded = pthread_create(&writer, NULL, direct_writer, &d) == 0;
	for (;;) {
		ssize_t n;

		pthread_mutex_lock(&d.mu);
		while (d.full[b] && !d.err)
			pthread_cond_wait(&d.cv, &d.mu);
		rc = d.err;
		pthread_mutex_unlock(&d.mu);
		if (rc)
			break;
		n = pread_full(in, d.buf[b], COPY_CHUNK, off);
		if (n <= 0) {
			rc = n < 0 ? (errno ? errno : EIO) : 0;
			break;
		}
		bp_sha256_update(&c, d.buf[b], (size_t)n);
		d.len[b] = (size_t)n;
		d.off[b] = off;
		if (threaded) {
			pthread_mutex_lock(&d.mu);
			d.full[b] = 1;
			pthread_cond_broadcast(&d.cv);
			pthread_mutex_unlock(&d.mu);
		} else if ((rc = direct_write(&d, b)) != 0) {
			break;
		}
		off += n;
		b ^= 1;
		if ((size_t)n < COPY_CHUNK)
			break;
	}
	pthread_mutex_lock(&d.mu);
	d.done = 1;
	pthread_cond_broadcast(&d.cv);
	pthread_mutex_unlock(&d.mu);
	if (threaded)
		pthread_join(writer, NULL);
	if (!rc)
		rc = d.err;
	free(d.buf[0]);
	free(d.buf[1]);
	pthread_cond_destroy(&d.cv);
	pthread_mutex_destroy(&d.mu);
	if (rc == 0)
		bp_sha256_final_hex(&c, hex);
	else
		bp_sha256_final(&c, NULL);
	return rc;
}

static void run_job(const char *dir, struct job *j)
{
	if (j->out >= 0) {
		j->copy_errno = copy_and_hash(j->in, j->out, j->hex);
		/* Flushed here, while the run still parses, rather than by the
		 * seal's fsync on the run's own time. */
		if (!j->copy_errno && fsync(j->out) < 0)
			j->copy_errno = errno;
		if (j->copy_errno)
			j->hex[0] = '\0';
		return;
	}
	{
		char *path = join(dir, j->rel);

		/* Not hashed now: hashed again at commit. */
		if (bp_sha256_file(path, j->hex) < 0)
			j->hex[0] = '\0';
		free(path);
	}
}

static void *archive_run(void *arg)
{
	struct archive *ar = arg;
	size_t i;

	for (i = 0; i < ar->n; i++)
		run_job(ar->dir, &ar->jobs[i]);
	return NULL;
}

/* The path through which the caller reads the open file `fd`: the same
 * open file, so the bytes parsed are the bytes copied whatever happens
 * to the source's name meanwhile.  NULL without /proc. */
static char *fd_path(int fd, const struct stat *st)
{
	char *p = bp_xasprintf("/proc/self/fd/%d", fd);
	struct stat here;

	if (stat(p, &here) == 0 && here.st_dev == st->st_dev &&
	    here.st_ino == st->st_ino)
		return p;
	free(p);
	return NULL;
}

int bp_snapshot_archive(bp_snapshot *s, const char *rel, const char *from,
			const char **read_path, unsigned long long *bytes,
			bp_err *err)
{
	struct archive *ar = &s->ar;
	struct stat st;
	struct job *j;
	char *via;
	int in, out;

	assert(!ar->started);
	if ((in = open_source(from, &st, err)) < 0)
		return -1;
	if ((out = create_archive(s, rel, err)) < 0) {
		close(in);
		return -1;
	}
	*bytes = (unsigned long long)st.st_size;
	j = add_job(ar, rel);
	j->st = st;
	if (clone_file(out, in) == 0) {
		close(in);
		close(out);
		*read_path = keep_path(ar, join(s->tmpdir, rel));
		return 0;
	}
	j->in = in;
	j->out = out;
	via = fd_path(in, &st);
	if (via) {
		*read_path = keep_path(ar, via);
		return 0;
	}
	/* No way to share the open file: copy first, then read the copy. */
	run_job(s->tmpdir, j);
	if (j->copy_errno)
		return bp_err_set(err, BP_ECANTCREAT, "cannot write '%s/%s': %s",
				  s->tmpdir, rel, strerror(j->copy_errno));
	*read_path = keep_path(ar, join(s->tmpdir, rel));
	return 0;
}

/* One page of a pull, cloned or copied at once (pages are small), and
 * hashed later by the background thread. */
static int archive_page(bp_snapshot *s, const char *rel, const char *from,
			unsigned long long *bytes, bp_err *err)
{
	struct stat st;
	char hex[65];
	int in, out, e = 0;

	if ((in = open_source(from, &st, err)) < 0)
		return -1;
	if ((out = create_archive(s, rel, err)) < 0) {
		close(in);
		return -1;
	}
	if (clone_file(out, in) < 0)
		e = copy_and_hash(in, out, hex);
	if (close(out) < 0 && !e)
		e = errno;
	close(in);
	if (e)
		return bp_err_set(err, BP_ECANTCREAT, "cannot write '%s/%s': %s",
				  s->tmpdir, rel, strerror(e));
	add_job(&s->ar, rel);
	*bytes += (unsigned long long)st.st_size;
	return 0;
}

int bp_snapshot_archive_dir(bp_snapshot *s, const char *rel, const char *from,
			    unsigned long long *bytes, bp_err *err)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	int rc = 0, root;

	assert(!s->ar.started);
	*bytes = 0;
	if (lstat(from, &st) < 0)
		return bp_err_set(err, BP_ENOINPUT, "cannot open '%s': %s", from,
				  strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return bp_err_set(err, BP_ENOINPUT, "'%s' is not a folder%s", from,
				  S_ISLNK(st.st_mode) ? " but a symbolic link" : "");
	if (!(d = opendir(from)))
		return bp_err_set(err, BP_ENOINPUT, "cannot open '%s': %s", from,
				  strerror(errno));
	root = open(s->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || make_parents(root, rel) < 0 ||
	    (mkdirat(root, rel, 0700) < 0 && errno != EEXIST))
		rc = bp_err_set(err, BP_ECANTCREAT, "cannot create '%s/%s': %s",
				s->tmpdir, rel, strerror(errno));
	if (root >= 0)
		close(root);
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char *f, *t;

		if (e->d_name[0] == '.')
			continue;
		f = join(from, e->d_name);
		t = join(rel, e->d_name);
		rc = archive_page(s, t, f, bytes, err);
		free(f);
		free(t);
	}
	closedir(d);
	return rc;
}

int bp_snapshot_archive_start(bp_snapshot *s)
{
	struct archive *ar = &s->ar;

	if (ar->started)
		return -1;
	ar->started = 1;
	ar->dir = s->tmpdir;
	if (ar->n == 0)
		return 0;
	if (pthread_create(&ar->thread, NULL, archive_run, ar) != 0) {
		archive_run(ar);
		return -1;
	}
	ar->running = 1;
	return 0;
}

/* Waits for the background thread and checks that every copy is whole
 * and that no source changed since it was opened: what was parsed is
 * then what was archived. */
static int archive_complete(bp_snapshot *s, bp_err *err)
{
	struct archive *ar = &s->ar;
	size_t i;

	if (!ar->started)
		bp_snapshot_archive_start(s);
	archive_wait(ar);
	for (i = 0; i < ar->n; i++) {
		struct job *j = &ar->jobs[i];
		struct stat now;

		if (j->in < 0)
			continue;
		if (j->copy_errno)
			return bp_err_set(err, BP_ECANTCREAT, "cannot write '%s/%s': "
					  "%s", s->tmpdir, j->rel,
					  strerror(j->copy_errno));
		if (fstat(j->in, &now) < 0 || now.st_size != j->st.st_size ||
		    now.st_mtim.tv_sec != j->st.st_mtim.tv_sec ||
		    now.st_mtim.tv_nsec != j->st.st_mtim.tv_nsec ||
		    now.st_ctim.tv_sec != j->st.st_ctim.tv_sec ||
		    now.st_ctim.tv_nsec != j->st.st_ctim.tv_nsec)
			return bp_err_set(err, BP_ETEMPFAIL, "the download archived "
					  "as '%s' changed while it was read; run "
					  "again", j->rel);
		if (close(j->out) < 0) {
			j->out = -1;
			return bp_err_set(err, BP_ECANTCREAT, "cannot write '%s/%s': "
					  "%s", s->tmpdir, j->rel, strerror(errno));
		}
		j->out = -1;
	}
	return 0;
}

/* ---- commit ---------------------------------------------------------- */

/* sha256sum escapes names with a newline or backslash; boardpack never
 * writes such names, so rather than escape them it refuses them. */
static int listable(const char *rel)
{
	return !strpbrk(rel, "\n\\");
}

/* The digest the background thread computed for `rel`, or NULL. */
static const char *prehashed(const struct archive *ar, const char *rel)
{
	size_t i;

	for (i = 0; i < ar->n; i++)
		if (strcmp(ar->jobs[i].rel, rel) == 0 && ar->jobs[i].hex[0])
			return ar->jobs[i].hex;
	return NULL;
}

/* Hashes one file (unless the background thread did), flushes it to disk
 * and makes it read-only for its owner alone. */
static int seal_file(int root, const char *rel, const struct archive *ar,
		     char hex[65])
{
	int fd = openat(root, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	const char *known = prehashed(ar, rel);
	int rc = -1, saved;

	if (fd < 0)
		return -1;
	if (known)
		memcpy(hex, known, 65);
	if ((known || bp_sha256_fd(fd, hex) == 0) && fsync(fd) == 0 &&
	    fchmod(fd, 0400) == 0)
		rc = 0;
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Seals each file of `t` in the snapshot folder `dir` (open as `root`)
 * and writes its line to `out`. */
static int write_lines(const char *dir, int root, const struct tree *t,
		       const struct archive *ar, FILE *out, bp_err *err)
{
	char hex[65];
	size_t i;

	for (i = 0; i < t->files.n; i++) {
		const char *rel = t->files.v[i];
		if (!listable(rel))
			return bp_err_set(err, BP_ECANTCREAT,
					  "file name '%s' cannot be listed in a manifest", rel);
		if (seal_file(root, rel, ar, hex) < 0)
			return bp_err_set(err, BP_ECANTCREAT, "cannot seal '%s/%s': %s",
					  dir, rel, strerror(errno));
		fprintf(out, "%s  %s\n", hex, rel);
	}
	return 0;
}

/* Writes MANIFEST.sha256 under a temporary name, flushes it, then renames
 * it, so a manifest that exists is always complete. */
static int write_manifest(const char *dir, int root, const struct tree *t,
			  const struct archive *ar, bp_err *err)
{
	FILE *out = NULL;
	int fd, rc = -1;

	fd = openat(root, MANIFEST_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd < 0 || !(out = fdopen(fd, "w"))) {
		bp_err_set(err, BP_ECANTCREAT, "cannot write '%s/%s': %s", dir,
			   MANIFEST, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (write_lines(dir, root, t, ar, out, err) < 0)
		goto out;
	if (fflush(out) != 0 || fsync(fd) != 0 || fchmod(fd, 0400) != 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot write '%s/%s': %s", dir,
			   MANIFEST, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fclose(out) != 0 && rc == 0)
		rc = bp_err_set(err, BP_ECANTCREAT, "cannot write '%s/%s': %s", dir,
				MANIFEST, strerror(errno));
	if (rc == 0 && renameat(root, MANIFEST_TMP, root, MANIFEST) < 0)
		rc = bp_err_set(err, BP_ECANTCREAT, "cannot write '%s/%s': %s", dir,
				MANIFEST, strerror(errno));
	return rc;
}

/* Subfolders first, the root last: each fsync makes its entries durable.
 * Every folder is closed to others: exports hold personal data.  An
 * error names the folder of `dir` (open as `root`) that failed. */
static int sync_dirs(const char *dir, int root, const struct tree *t,
		     bp_err *err)
{
	size_t i;
	int fd, rc, e;

	for (i = 0; i < t->dirs.n; i++) {
		fd = openat(root, t->dirs.v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		rc = fd < 0 ? -1 : fchmod(fd, 0700) == 0 ? fsync(fd) : -1;
		e = errno;
		if (fd >= 0)
			close(fd);
		if (rc < 0)
			return bp_err_set(err, BP_ECANTCREAT, "cannot flush '%s/%s': %s",
					  dir, t->dirs.v[i], strerror(e));
	}
	if ((fchmod(root, 0700) == 0 ? fsync(root) : -1) < 0)
		return bp_err_set(err, BP_ECANTCREAT, "cannot flush '%s': %s", dir,
				  strerror(errno));
	return 0;
}

static int seal_tree(const char *dir, const struct archive *ar, bp_err *err)
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
	if (write_manifest(dir, root, &t, ar, err) < 0)
		goto out;
	if (sync_dirs(dir, root, &t, err) < 0)
		goto out;
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
	if (mkdir(to, 0700) < 0)
		return -1;
	if (rename(from, to) < 0) {
		int saved = errno;
		rmdir(to);
		errno = saved == ENOTEMPTY ? EEXIST : saved;
		return -1;
	}
	return 0;
}

/* After the rename: the period folder's entry for the snapshot, then the
 * output folder's for the period, made durable. */
static int flush_names(const bp_snapshot *s, bp_err *err)
{
	const char *dirs[] = { s->period_dir, s->output_dir };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (fsync_path(dirs[i]) < 0)
			return bp_err_set(err, BP_ECANTCREAT, "snapshot '%s' is "
					  "written, but cannot flush folder '%s' "
					  "(its name may not survive a power "
					  "loss): %s", s->path, dirs[i],
					  strerror(errno));
	return 0;
}

int bp_snapshot_commit(bp_snapshot *s, bp_err *err)
{
	int rc = -1;

	if (archive_complete(s, err) < 0 || seal_tree(s->tmpdir, &s->ar, err) < 0)
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
	if (flush_names(s, err) == 0)
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
