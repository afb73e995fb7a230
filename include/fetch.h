/*
 * fetch.h - downloads every source of a config, in parallel, with libcurl.
 *
 * https:// always; file:// (already made absolute by the config); plain
 * http:// only for a source with insecure-http="true".  TLS peer and host
 * verification are always on; a source's ca-file, else the config's, else
 * the system store.  Authentication from the environment variables or the
 * token file the source names (a token file readable by group or others
 * is refused).  Secrets never appear in messages.
 *
 * Each source is downloaded to "<cache>/.<id>.part" and renamed to
 * "<cache>/<id>" only when complete and plausible (not empty, not an HTML
 * page, under the size cap), so an interrupted run never leaves a partial
 * file where a complete one is expected.  Retries with exponential backoff
 * on connect errors, timeouts, 5xx and 429 (Retry-After honoured).
 */
#ifndef BP_FETCH_H
#define BP_FETCH_H

#include "config.h"
#include "err.h"

/* Where source `src` lands in `cache`: "<cache>/<id>".  Caller frees. */
char *bp_fetch_path(const char *cache, const bp_source *src);

/* Downloads every source of `cfg` into the folder `cache` (created when
 * missing).  With `offline`, downloads nothing and checks that every
 * source has a complete earlier download (BP_ENOINPUT naming the source
 * when one is missing).  Returns 0, or -1 with `err` set: BP_EUNAVAIL
 * (connection refused, TLS failure, 4xx/5xx after retries, with the
 * source id and the URL without credentials), BP_EDATA (body empty or not
 * the expected format), BP_ECONFIG (http:// not allowed, token file
 * permissions, missing environment variable), BP_ECANTCREAT (cannot write
 * the cache).  On error no source's earlier complete download is
 * replaced by a partial one. */
int bp_fetch_all(const bp_config *cfg, const char *cache, int offline,
		 bp_err *err);

#endif
