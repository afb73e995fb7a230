/*
 * fetch.h - downloads every source of a config, in parallel, with libcurl.
 *
 * https:// always; file:// (already made absolute by the config); plain
 * http:// only for a source with insecure-http="true".  Redirects are
 * followed (at most 5) to https:// only, even for such a source.  TLS
 * peer and host verification are always on; a source's ca-file, else the
 * config's, else the system store.  Authentication from the environment
 * variables or the token file the source names (a token file readable by
 * group or others is refused; its trailing newline is dropped).  Secrets
 * never appear in messages or logs: URLs are shown without
 * "user:password@" and without their query string.
 *
 * A file:// source is not downloaded: it is checked (a readable regular
 * file, not empty, under the size cap) and read where it is, so a large
 * local export costs one read, not a copy into the cache first; the
 * snapshot keeps the bytes the run read (snapshot.h).
 *
 * Each other source is downloaded to a staging file of this run's own
 * ("<cache>/.<id>.XXXXXX", fs.h) and renamed to "<cache>/<id>" only when
 * complete and plausible (not empty, not an HTML page, under the size
 * cap, and with a check, its header row read as the source's export), so
 * an interrupted run never leaves a partial file where a complete one is
 * expected, a refused body never replaces the last good download (the
 * error says it was kept), and two runs never write the same file.  The
 * cache folder is created owner-only (0700) and the files 0600: exports
 * hold personal data; a cache folder that is a link, another user's or
 * writable by others is refused (fs.h: bp_fs_check_private), and
 * --offline never reads a download through a link.
 *
 * A body that ends where the server closes the connection (no
 * Content-Length, not chunked) looks complete to HTTP even when it was
 * cut short, so a download is the last good one only once a run has read
 * it whole: until then the one it replaced is kept beside it
 * ("<cache>/.<id>.good", a second link to it) and bp_fetch_settle keeps
 * or puts back one of the two.  A cut that the framing shows (a chunked
 * body without its last chunk, fewer bytes than Content-Length) fails the
 * transfer, with "cut short" in the error, and replaces nothing.
 *
 * Timeouts: 30 s to connect, the source's timeout-s for the whole
 * transfer, and a transfer that moves no data for 120 s is abandoned.
 * Retries (the source's `retries`, after the first attempt) on connect
 * errors, timeouts, dropped connections, HTTP 5xx and 429, waiting
 * 1 s, 2 s, 4 s... (capped at 60 s) or the server's Retry-After (seconds
 * or HTTP-date; capped at 300 s) when that is longer.  Other 4xx fail at
 * once.  The environment variable BOARDPACK_RETRY_BASE_MS replaces the
 * 1 s base delay (tests set it to a few milliseconds).
 *
 * Logs one bp_log_info line per downloaded source (id, bytes, seconds);
 * retries and starts only at the verbose level.
 */
#ifndef BP_FETCH_H
#define BP_FETCH_H

#include "config.h"
#include "conn.h"
#include "err.h"

/* Where source `src` is read from: a file:// source's own file (it is
 * read in place, never copied into the cache); else where it lands in
 * `cache`: "<cache>/<id>", a file, or for a connector's source the
 * folder of its pull (conn.h).  Caller frees. */
char *bp_fetch_path(const char *cache, const bp_source *src);

/* Whether a body that starts with the `n` bytes at `data`, served with
 * `content_type` (NULL when none), is an HTML page rather than an export:
 * Content-Type text/html or application/xhtml+xml, or, after a UTF-8
 * byte-order mark, white space, HTML comments and an XML declaration, a
 * doctype or an element only HTML starts with (<html>, <head>, <body>,
 * <script>, ...).  A comment left open within `n` bytes counts as HTML. */
int bp_fetch_is_html(const void *data, size_t n, const char *content_type);

/* A check of a complete download before it replaces the cache's: `fn`
 * returns 0 when the staged file at `path` is an export of `src`, else -1
 * with err (the body is then dropped and the cache entry kept). */
typedef struct bp_fetch_check {
	int (*fn)(void *ctx, const bp_source *src, const char *path, bp_err *err);
	void *ctx;
} bp_fetch_check;

/* Downloads every source of `cfg` into the folder `cache` (created with
 * its parents when missing).  With `offline`, downloads nothing and
 * checks that every source has a complete earlier download (BP_ENOINPUT
 * naming the source when one is missing).  Returns 0, or -1 with `err`
 * set:
 *   BP_ECONFIG    http:// not allowed, unsupported scheme, a source id
 *                 that cannot be a file name, unreadable ca-file, token
 *                 file permissions, a missing environment variable (named,
 *                 never its value); all checked before any download
 *   BP_EUNAVAIL   connection refused, TLS failure (curl's reason), HTTP
 *                 4xx, or 5xx/429/timeouts/a body cut short after the
 *                 retries; the message names the source and its URL
 *                 without credentials
 *   BP_EDATA      body empty, an HTML page, or larger than max_bytes
 *   BP_ENOINPUT   a file:// source that cannot be read
 *   BP_ECANTCREAT the cache cannot be created or written
 *   BP_ESOFTWARE  libcurl cannot start
 * The first permanent failure stops every other transfer.  Sources with
 * a connector are pulled by it (conn.h), one after the other, for the
 * days of `w`, after the downloads; their errors are the connector's.
 * On error no
 * source's earlier complete download is replaced by a partial one, and no
 * staging file is left behind. */
int bp_fetch_all(const bp_config *cfg, const char *cache, int offline,
		 const bp_conn_window *w, bp_err *err);

/* What a run's read of a download says about it (bp_fetch_settle). */
typedef enum bp_fetch_read {
	BP_FETCH_READ_WHOLE,   /* read whole: it is the last good download */
	BP_FETCH_READ_CUT,     /* it ends where no export ends (BP_CSV_CUT) */
	BP_FETCH_READ_OTHER    /* the read failed for another reason (a
				  column the config names wrongly, a bad
				  value): it says nothing of the download */
} bp_fetch_read;

/* After a run read the download of `src` in `cache` (bp_fetch_path):
 * read whole, that download is now the last good one, and the earlier one
 * kept beside it is removed; cut, the earlier one kept, if any, is put
 * back in its place, and the end of err->msg says so, and from when, or
 * why it could not be (err may be NULL); failed otherwise, both stay as
 * they are, for a later run to settle, so the new download is what the
 * next run (--offline too) reads.  Nothing for a source read in place or
 * pulled by a connector.  Cannot fail: a kept copy that cannot be removed
 * is only logged. */
void bp_fetch_settle(const char *cache, const bp_source *src,
		     bp_fetch_read read, bp_err *err);

/* bp_fetch_all, with `check` (NULL: none) deciding on each complete
 * download of a URL source; its error is returned, with a note that the
 * cache's last good download was kept, or that there was none. */
int bp_fetch_all_checked(const bp_config *cfg, const char *cache, int offline,
			 const bp_conn_window *w, const bp_fetch_check *check,
			 bp_err *err);

#endif
