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
 * fails with BP_ECANTCREAT.  Committed files are made read-only (0444);
 * folders stay 0755 so that retention can remove old snapshots.
 *
 * Symbolic links are never followed: walks use fstatat/openat with
 * AT_SYMLINK_NOFOLLOW/O_NOFOLLOW.
 */
#ifndef BP_SNAPSHOT_H
#define BP_SNAPSHOT_H

#include <stddef.h>

#include "date.h"
#include "err.h"

typedef struct bp_snapshot bp_snapshot;

/* Starts a snapshot for `period` ("YYYY-MM") stamped with `now` (UTC).
 * Creates the output and period folders as needed (mkdir -p) and removes
 * stale temporary folders ".tmp-*-<pid>" left there by runs that died
 * (kill(pid, 0) fails with ESRCH).  Returns NULL with BP_ECANTCREAT on
 * error (a malformed period, a folder that cannot be created, a temporary
 * folder of this very process and stamp that is still there).  The
 * caller ends the snapshot with bp_snapshot_commit or bp_snapshot_abort,
 * which free it. */
bp_snapshot *bp_snapshot_begin(const char *output_dir, const char *period,
			       bp_time now, bp_err *err);

/* The temporary folder to write the snapshot's files into.  Owned by `s`. */
const char *bp_snapshot_tmpdir(const bp_snapshot *s);

/* The final path the snapshot will have once committed
 * ("<output>/<period>/<stamp>").  Owned by `s`: copy it before commit. */
const char *bp_snapshot_path(const bp_snapshot *s);

/* Starts hashing the files `rel` (paths inside the temporary folder,
 * complete and never changed again) in a background thread, so a large
 * export is hashed on another core while the run parses it.  The commit
 * waits for the thread and uses those digests; a file the thread could not
 * read is hashed again at commit.  Call at most once.  Returns 0, or -1
 * when the thread cannot start (the commit then hashes everything). */
int bp_snapshot_prehash(bp_snapshot *s, const char *const *rel, size_t n);

/* Writes MANIFEST.sha256, fsyncs every file and folder, renames into
 * place with renameat2(RENAME_NOREPLACE) and fsyncs the period and output
 * folders.  Returns 0, or -1 with BP_ECANTCREAT ("snapshot '<path>'
 * already exists" when the name is taken) after removing the temporary
 * folder.  Only if the final fsync of the period folder fails is the
 * snapshot left in place while -1 is returned (it is complete; its name
 * may not survive a power loss).  Symbolic links, devices and file names
 * with a newline or backslash make the commit fail.  Frees `s` either
 * way.
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
