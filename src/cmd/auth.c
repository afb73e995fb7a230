/*
 * auth.c - `boardpack auth ID -c FILE`: obtains the first refresh token of
 * the config's <oauth id="ID"> through the OAuth2 installed-app flow (the
 * URL to open is printed; the browser's answer comes to 127.0.0.1).
 */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>

#include "conn.h"

/* Long enough to sign in and consent; a cron run never gets here. */
#define WAIT_S 300

/* The wait, which BOARDPACK_AUTH_WAIT_S shortens for tests only. */
static int wait_s(void)
{
	const char *v = getenv("BOARDPACK_AUTH_WAIT_S");
	long n = v ? strtol(v, NULL, 10) : 0;

	return n > 0 && n < WAIT_S ? (int)n : WAIT_S;
}

int cmd_auth(const bp_opts *o)
{
	bp_err err = { 0 };
	bp_config *cfg = bp_config_load(o->config, &err);
	int rc = 0;

	if (!cfg)
		return bp_cli_fail(&err);
	if (bp_conn_authorize(cfg, o->argv[0], stdout, wait_s(), &err) < 0)
		rc = bp_cli_fail(&err);
	bp_config_free(cfg);
	return rc;
}
