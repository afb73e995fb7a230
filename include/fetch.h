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
 * Each source is downloaded to a staging file of this run's own
 * ("<cache>/.<id>.XXXXXX", fs.h) and renamed to "<cache>/<id>" only when
 * complete and plausible (not empty, not an HTML page, under the size
 * cap), so an interrupted run never leaves a partial file where a
 * complete one is expected, and two runs never write the same file.  The cache folder is created
 * owner-only (0700) and the files 0600: exports hold personal data.
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

/* Where source `src` lands in `cache`: "<cache>/<id>", a file, or for a
 * connector's source the folder of its pull (conn.h).  Caller frees. */
char *bp_fetch_path(const char *cache, const bp_source *src);

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
 *                 4xx, or 5xx/429/timeouts after the retries; the message
 *                 names the source and its URL without credentials
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

#endif
