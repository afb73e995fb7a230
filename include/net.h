/*
 * net.h - what every network client of boardpack shares: the retry
 * policy, credentials from the environment, and the CA check.  The
 * downloads (fetch), the mail and the connectors use these and nothing of
 * their own, so they cannot drift apart.
 */
#ifndef BP_NET_H
#define BP_NET_H

#include <curl/curl.h>

#include "err.h"

/* The first retry's delay in milliseconds: 1000, or
 * BOARDPACK_RETRY_BASE_MS (tests set a few milliseconds). */
long bp_net_retry_base_ms(void);

/* The delay before retry `attempt` (1, 2, 3...): base, 2 base, 4 base...,
 * capped at BP_NET_BACKOFF_CAP_MS. */
#define BP_NET_BACKOFF_CAP_MS 60000L
long bp_net_backoff_ms(long base, int attempt);

/* The value of environment variable `name`, which `what` names ("token-env
 * of source 'crm'"), or NULL with BP_ECONFIG when it is unset, empty, or
 * holds a control character (a CR or LF would end the header it goes
 * into).  The value is never put in a message. */
const char *bp_net_env(const char *name, const char *what, bp_err *err);

/* A CA bundle that cannot be read is a configuration mistake, not a TLS
 * failure: 0, or -1 with BP_ECONFIG naming `ca` and `owner` ("source
 * 'crm'").  NULL `ca` (the system's store) is fine. */
int bp_net_check_ca(const char *ca, const char *owner, bp_err *err);

/* Whether a transfer that ended with `rc` may succeed when tried again
 * (no connection, a timeout, a dropped or cut-short answer). */
int bp_net_transient(CURLcode rc);

/* The User-Agent every request sends: "boardpack/VERSION". */
const char *bp_net_user_agent(void);

#endif
