/*
 * fetch.c - `boardpack fetch`: downloads every remote source into the cache and
 * stops, holding the output folder's lock as `run` does; prints the cache
 * folder.
 */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>

#include "fetch.h"
#include "fs.h"
#include "funnel.h"

int cmd_fetch(const bp_opts *o)
{
	bp_err err = { 0 };
	bp_config *cfg = bp_config_load(o->config, &err);
	bp_timing t = { 0 };
	bp_conn_window w;
	bp_fs_lock *lock = NULL;
	bp_funnel *f = NULL;
	bp_fetch_check check = { bp_cli_check_download, NULL };
	char *cache = NULL;
	int rc = 0;

	if (!cfg)
		return bp_cli_fail(&err);
	if (bp_cli_timing(cfg, o, &t, &err) < 0) {
		rc = bp_cli_fail(&err);
		bp_tz_free(t.tz);
		bp_config_free(cfg);
		return rc;
	}
	bp_cli_window(cfg, &t, &w);
	/* Only to read each download's header row, as `run` would. */
	f = bp_funnel_new(t.tz, t.as_of, t.period, cfg->months,
			  (int)cfg->n_channels);
	check.ctx = bp_ingest_new(cfg, f, &err);
	cache = bp_fs_join(cfg->output_dir, ".cache");
	/* The same lock as `run`: a run never reads a cache being replaced. */
	if (!check.ctx || !(lock = bp_cli_lock_output(cfg, &err)) ||
	    bp_fetch_all_checked(cfg, cache, 0, &w, &check, &err) < 0)
		rc = bp_cli_fail(&err);
	else
		printf("%s\n", cache);
	bp_fs_unlock(lock);
	bp_ingest_free(check.ctx);
	bp_funnel_free(f);
	bp_tz_free(t.tz);
	free(cache);
	bp_config_free(cfg);
	return rc;
}
