/*
 * snapshot.h - immutable, checksummed month-end snapshots.
 *
 * Layout (contract):
 *   <output>/<period YYYY-MM>/<UTC YYYY-MM-DDTHHMMSSZ>/
 *       ...files..., sources/..., MANIFEST.sha256
 *
 * A snapshot is built in "<output>/<period>/.tmp-<stamp>-<pid>", every
 * file and folder fsync'd, MANIFEST.sha256 written last (sha256sum -c
 * compatible: "<hex>  <relative path>\n", sorted by path, every regular
 * file except the manifest itself and delivery.log), then renamed into
 * place.  A snapshot is never overwritten: when the stamp's folder already
 * exists the commit fails with BP_ECANTCREAT.
 */
#ifndef BP_SNAPSHOT_H
#define BP_SNAPSHOT_H

#include "date.h"
#include "err.h"

typedef struct bp_snapshot bp_snapshot;

/* Starts a snapshot for `period` ("YYYY-MM") stamped with `now` (UTC).
 * Creates the output and period folders as needed and removes stale
 * temporary folders left there by runs that died (their pid is gone).
 * Returns NULL with BP_ECANTCREAT on error. */
bp_snapshot *bp_snapshot_begin(const char *output_dir, const char *period,
			       bp_time now, bp_err *err);

/* The temporary folder to write the snapshot's files into. */
const char *bp_snapshot_tmpdir(const bp_snapshot *s);

/* The final path the snapshot will have once committed. */
const char *bp_snapshot_path(const bp_snapshot *s);

/* Writes MANIFEST.sha256, fsyncs, renames into place.  Returns 0, or -1
 * (BP_ECANTCREAT) after removing the temporary folder.  Frees `s` either
 * way. */
int bp_snapshot_commit(bp_snapshot *s, bp_err *err);

/* Removes the temporary folder and frees `s`.  Accepts NULL. */
void bp_snapshot_abort(bp_snapshot *s);

/* Checks a snapshot folder against its MANIFEST.sha256: every listed file
 * present with the same digest, and no unlisted regular file other than
 * delivery.log.  Returns 0, or -1 with BP_EDATA naming the first file that
 * changed, is missing or is extra (BP_ENOINPUT when there is no manifest). */
int bp_snapshot_verify(const char *dir, bp_err *err);

/* The latest committed snapshot under `output_dir` whose stamp is earlier
 * than `before` (a snapshot folder name, or NULL for any), across all
 * periods; NULL when there is none.  Caller frees. */
char *bp_snapshot_previous(const char *output_dir, const char *before);

#endif
