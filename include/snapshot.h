/*
 * snapshot.h - immutable, checksummed month-end snapshots.
 *
 * Layout (contract):
 *   <output>/<period YYYY-MM>/<UTC YYYY-MM-DDTHHMMSSZ>/
 *       ...files..., sources/..., MANIFEST.sha256
 *
 * A snapshot is built in "<output>/<period>/.tmp-<stamp>-<pid>", every
 * file and folder fsync'd, MANIFEST.sha256 written last (sha256sum -c
 * compatible: "<hex>  <relative path>\n", sorted by the whole relative
 * path in byte order, every regular file except the manifest itself and
 * the top-level delivery.log), then renamed into place.  A snapshot is
 * never overwritten: when the stamp's folder already exists the commit
 * fails with BP_ECANTCREAT.
 *
 * Snapshots hold personal data, so they are the owner's alone: folders
 * (period, snapshot, sources/) 0700, files 0600 while written and 0400
 * once sealed.  A sealed snapshot shares no inode with anything: the
 * sources are reflinked or copied into it (bp_snapshot_archive), never
 * hard-linked, so no later write to the cache can reach it.
 *
 * Symbolic links are never followed: walks use fstatat/openat with
 * AT_SYMLINK_NOFOLLOW/O_NOFOLLOW.
 */
#ifndef BP_SNAPSHOT_H
#define BP_SNAPSHOT_H

#include <stddef.h>

#include "date.h"
#include "err.h"
#include "fs.h"

typedef struct bp_snapshot bp_snapshot;

/* Starts a snapshot for `period` ("YYYY-MM") stamped with `now` (UTC).
 * Creates the output and period folders as needed (mkdir -p, 0700), and
 * refuses a period folder that is a link, another user's or writable by
 * others (fs.h: bp_fs_check_private).  When `held` is the lock of
 * `output_dir` (bp_fs_lock_dir), no other run can be writing there, so
 * every temporary folder ".tmp-*" in the period folder is a dead run's
 * and is removed; without it (NULL) none is touched.  Returns NULL with
 * BP_ECANTCREAT on error (a malformed period, a folder that cannot be
 * created or is refused, a temporary folder of this very process and
 * stamp that is still there).  The caller ends the snapshot with
 * bp_snapshot_commit or bp_snapshot_abort, which free it. */
bp_snapshot *bp_snapshot_begin(const char *output_dir, const char *period,
			       bp_time now, const bp_fs_lock *held, bp_err *err);

/* The temporary folder to write the snapshot's files into.  Owned by `s`. */
const char *bp_snapshot_tmpdir(const bp_snapshot *s);

/* The final path the snapshot will have once committed
 * ("<output>/<period>/<stamp>").  Owned by `s`: copy it before commit. */
const char *bp_snapshot_path(const bp_snapshot *s);

/* Archives the regular file `from` (a download in the cache, or a file of
 * an earlier snapshot) as `rel` in the temporary folder (for instance
 * "sources/crm.csv"; missing folders are made), 0600.  `from` is opened
 * once, without following a link (a link, a folder, a device is refused
 * with BP_ENOINPUT).  Where the file system shares blocks (ioctl FICLONE:
 * Btrfs, XFS, bcachefs), the archive is a clone of that open file: no
 * byte is read or copied, and a later write to either never reaches the
 * other.  Elsewhere the archive is copied from that same open file by the
 * background thread bp_snapshot_archive_start starts, hashing each byte
 * as it is written, while the caller parses.
 *
 * *read_path (owned by `s`, valid until commit or abort) is what the
 * caller must parse: the clone, or the open file the copy reads
 * ("/proc/self/fd/N"), so the bytes parsed are the bytes archived and
 * hashed whatever happens to `from`'s name.  The commit fails with
 * BP_ETEMPFAIL when the source's size, mtime or ctime changed while the
 * snapshot was open.  *bytes is the file's size.  Returns 0, or -1 with
 * BP_ENOINPUT (the source) or BP_ECANTCREAT (the archive).  Call before
 * bp_snapshot_archive_start. */
int bp_snapshot_archive(bp_snapshot *s, const char *rel, const char *from,
			const char **read_path, unsigned long long *bytes,
			bp_err *err);

/* Archives the folder `from` (a connector's pull) as the folder `rel`:
 * each regular file in it whose name does not start with '.', cloned or
 * copied at once, and hashed by the background thread.  The archive is
 * then read at "<tmpdir>/<rel>".  *bytes is their total size.  Returns 0
 * or -1 as bp_snapshot_archive does. */
int bp_snapshot_archive_dir(bp_snapshot *s, const char *rel, const char *from,
			    unsigned long long *bytes, bp_err *err);

/* Starts the background thread that copies what could not be cloned and
 * hashes every archived file, on the other core while the run parses.
 * Call once, after the last archive call; the commit waits for the thread
 * and puts its digests in the manifest (calling this itself when the
 * caller did not).  Returns 0, or -1 when called twice or when no thread
 * could start (the work is then done before it returns). */
int bp_snapshot_archive_start(bp_snapshot *s);

/* Waits for the archiving thread (failing as it failed), writes
 * MANIFEST.sha256, fsyncs every file and folder, renames into
 * place with renameat2(RENAME_NOREPLACE) and fsyncs the period and output
 * folders.  Returns 0, or -1 with BP_ECANTCREAT ("snapshot '<path>'
 * already exists" when the name is taken) after removing the temporary
 * folder.  Only if the final fsync of the period or the output folder
 * fails is the snapshot left in place while -1 is returned (it is
 * complete; its name may not survive a power loss), with "snapshot
 * '<path>' is written, but cannot flush folder '<folder>' ...": the one
 * failure after which a sealed snapshot is there.  Symbolic links,
 * devices and file names with a newline or backslash make the commit
 * fail.  Frees `s` either way.
 *
 * Where the file system lacks RENAME_NOREPLACE, the name is claimed with
 * mkdir() first and the rename replaces that empty folder: a reader may
 * briefly see an empty snapshot folder, but a snapshot is still never
 * replaced. */
int bp_snapshot_commit(bp_snapshot *s, bp_err *err);

/* Removes the temporary folder and frees `s`.  Accepts NULL. */
void bp_snapshot_abort(bp_snapshot *s);

/* Checks a snapshot folder against its MANIFEST.sha256: every listed file
 * present with the same digest, and no unlisted file other than the
 * top-level delivery.log.  Returns 0, or -1 with BP_EDATA and one of
 *   "file 'cohorts.csv' changed since the snapshot was made"
 *   "file 'sources/crm.csv' is missing"
 *   "file 'x' is not in the manifest"
 * for the first such file (listed files in manifest order first), or with
 * BP_EDATA and the manifest's file:line:col for a malformed line or a path
 * that is absolute or contains "." or ".." components.  BP_ENOINPUT when
 * `dir` or its manifest does not exist.  Lines may use sha256sum's binary
 * marker ("<hex> *<path>"); digits may be upper or lower case. */
int bp_snapshot_verify(const char *dir, bp_err *err);

/* The latest committed snapshot under `output_dir` whose stamp is earlier
 * than `before` (a snapshot folder name, or NULL for any), across all
 * periods; NULL when there is none.  Only folders named exactly like a
 * stamp count (temporary folders and anything else are ignored); stamps
 * compare as text.  If `before` is a path, only its last component is
 * compared.  Returns "<output_dir>/<period>/<stamp>"; caller frees.  NULL
 * also when `output_dir` cannot be read. */
char *bp_snapshot_previous(const char *output_dir, const char *before);

/* Retention: removes committed snapshots whose stamp is more than
 * `keep_months` months before `now`, except the latest snapshot of each
 * period folder, which is always kept.  Returns how many were removed
 * (0 when keep_months <= 0), or -1 with BP_ECANTCREAT when one could not
 * be removed (the others are still tried). */
int bp_snapshot_prune(const char *output_dir, int keep_months, bp_time now,
		      bp_err *err);

#endif
