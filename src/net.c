/*
 * net.c - the retry policy and checks shared by every network client
 * (net.h).
 */
#include "net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef BP_VERSION
#define BP_VERSION "unknown"
#endif

long bp_net_retry_base_ms(void)
{
	const char *s = getenv("BOARDPACK_RETRY_BASE_MS");
	char *end;
	long v;

	if (!s || !*s)
		return 1000;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > BP_NET_BACKOFF_CAP_MS)
		return 1000;
	return v;
}

long bp_net_backoff_ms(long base, int attempt)
{
	long d = base;

	while (--attempt > 0 && d < BP_NET_BACKOFF_CAP_MS)
		d *= 2;
	return d < BP_NET_BACKOFF_CAP_MS ? d : BP_NET_BACKOFF_CAP_MS;
}

const char *bp_net_env(const char *name, const char *what, bp_err *err)
{
	const char *v = getenv(name);

	if (!v || !v[0]) {
		bp_err_set(err, BP_ECONFIG, "environment variable '%s' (%s) is "
			   "%s", name, what, v ? "empty" : "not set");
		return NULL;
	}
	/* Credentials go into headers, where a CR or LF would end one. */
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			bp_err_set(err, BP_ECONFIG, "environment variable '%s' (%s) "
				   "holds a line break or another control "
				   "character", name, what);
			return NULL;
		}
	return v;
}

int bp_net_check_ca(const char *ca, const char *owner, bp_err *err)
{
	if (ca && access(ca, R_OK) < 0)
		return bp_err_set(err, BP_ECONFIG, "cannot read ca-file '%s' of %s: %s",
				  ca, owner, strerror(errno));
	return 0;
}

const char *bp_net_user_agent(void)
{
	return "boardpack/" BP_VERSION;
}

int bp_net_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}
