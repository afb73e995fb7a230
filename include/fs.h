/*
 * fs.h - files and folders, written so that nothing is ever half-written.
 *
 * Every file boardpack writes outside a snapshot's temporary folder is
 * staged: written under a unique temporary name beside its final place
 * (".<name>.XXXXXX", created with O_EXCL, so a link planted there is never
 * followed and two processes never share one), flushed, and renamed into
 * place only when complete.  Folders are made with one mode and one kind
 * of error.  Paths are built with bp_fs_join, which never truncates.
 *
 * The folders that hold personal data or that a run writes into (the
 * download cache, a period's folder) must be the running user's own and
 * closed to writes by others (bp_fs_check_private): a user who could
 * write there could plant a link that a run from root's crontab follows.
 * An output folder is used by one run at a time (bp_fs_lock_dir).
 *
 * Errors: BP_ECANTCREAT naming the path and the system's reason.
 */
#ifndef BP_FS_H
#define BP_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* "dir/name", allocated (mem.h: never NULL). */
char *bp_fs_join(const char *dir, const char *name);

/* mkdir -p: creates `path` and its missing parents with `mode`; an
 * existing one must be a folder.  Returns 0 or -1. */
int bp_fs_mkdirs(const char *path, mode_t mode, bp_err *err);

/* fsync of a folder, so the names renamed into it survive a power loss.
 * Returns 0 or -1 (err set; NULL err ignores the failure). */
int bp_fs_sync_dir(const char *dir, bp_err *err);

/* A file being written under its temporary name. */
typedef struct bp_staged {
	int fd;
	char *tmp;      /* the temporary name */
	char *path;     /* where it goes */
} bp_staged;

/* Starts `path`: creates its temporary file with `mode` (the folder must
 * exist).  Returns 0 or -1.  End with bp_fs_commit or bp_fs_abort. */
int bp_fs_stage(bp_staged *st, const char *path, mode_t mode, bp_err *err);

/* Writes all of data (retrying short writes).  Returns 0 or -1. */
int bp_fs_write(bp_staged *st, const void *data, size_t n, bp_err *err);

/* Flushes, closes and renames the file into place, then flushes its
 * folder.  Returns 0, or -1 after removing the temporary file; either way
 * st is ended. */
int bp_fs_commit(bp_staged *st, bp_err *err);

/* bp_fs_commit, except that it never replaces a file: when `path`
 * exists, or appears meanwhile, it returns -1 with BP_ECANTCREAT and
 * err->sub BP_FS_EXISTS, and removes the temporary file.  (link(2) makes
 * the name, so a file made at the same moment is never overwritten.) */
enum { BP_FS_EXISTS = 1 };
int bp_fs_commit_new(bp_staged *st, bp_err *err);

/* Removes the temporary file and ends st.  Accepts an ended or zeroed st. */
void bp_fs_abort(bp_staged *st);

/* The whole of a small file, staged and committed. */
int bp_fs_write_file(const char *path, const void *data, size_t n,
		     mode_t mode, bp_err *err);

/* Removes from folder `dir` what staging left there when the process
 * writing it died before its commit: files named as bp_fs_stage names
 * them (".NAME.XXXXXX"), and folders so named that hold only files (a
 * connector's pull, staged with mkdtemp).  No link is followed.  Only for
 * a process holding the lock of the output folder `dir` belongs to
 * (bp_fs_lock_dir): then no live process can be writing there.  Returns
 * how many it removed. */
int bp_fs_remove_staged(const char *dir);

/* Writes `path`, which must not exist yet, whole and in place: created
 * with `mode`, O_EXCL and without following a link, not flushed, removed
 * again on failure.  For files inside a folder that is itself staged (a
 * snapshot's temporary folder), whose rename makes them visible and whose
 * seal flushes them.  Returns 0 or -1. */
int bp_fs_write_new(const char *path, const void *data, size_t n,
		    mode_t mode, bp_err *err);

/* Checks that `path` (`what` in the message: "cache folder", "period
 * folder") is a folder, not a symbolic link, owned by the effective user
 * and not writable by group or others.  Returns 0, or -1 with
 * BP_ECANTCREAT naming the folder and the chown or chmod that fixes it. */
int bp_fs_check_private(const char *path, const char *what, bp_err *err);

/* The lock a run holds on its output folder. */
typedef struct bp_fs_lock bp_fs_lock;

/* Takes the exclusive lock of folder `dir` (which must exist): flock(2)
 * on "<dir>/.lock", created 0600 and opened without following a link, so
 * it also excludes runs on other hosts where the file system passes
 * flock on (NFS does).  While another process holds it, waits up to
 * `wait_s` seconds (0: not at all), saying once at the normal log level
 * that it waits.  The holder's pid, host and start time are written into
 * the file for the message others get.  Returns the lock, or NULL with
 * BP_ETEMPFAIL "another boardpack run (pid N on HOST since TIME) holds
 * the output folder 'dir'; try again when it has finished", or
 * BP_ECANTCREAT when the lock file cannot be opened (a link, another
 * user's).  The lock ends with bp_fs_unlock or the process. */
bp_fs_lock *bp_fs_lock_dir(const char *dir, int wait_s, bp_err *err);

/* Whether `l` is the lock of folder `dir` (the same .lock file).  A NULL
 * `l` is no one's. */
int bp_fs_lock_covers(const bp_fs_lock *l, const char *dir);

/* Releases and frees the lock.  Accepts NULL. */
void bp_fs_unlock(bp_fs_lock *l);

/* How long a run waits for another one's lock: BOARDPACK_LOCK_WAIT
 * (seconds) when set to a number, else `fallback`. */
int bp_fs_lock_wait(int fallback);

#endif
