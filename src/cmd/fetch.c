/*
 * fetch.c - `boardpack fetch`: downloads every source into the cache and
 * stops; prints the cache folder.
 */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>

#include "fetch.h"
#include "fs.h"

int cmd_fetch(const bp_opts *o)
{
	bp_err err = { 0 };
	bp_config *cfg = bp_config_load(o->config, &err);
	char *cache;
	int rc = 0;

	if (!cfg)
		return bp_cli_fail(&err);
	cache = bp_fs_join(cfg->output_dir, ".cache");
	if (bp_fetch_all(cfg, cache, 0, &err) < 0)
		rc = bp_cli_fail(&err);
	else
		printf("%s\n", cache);
	free(cache);
	bp_config_free(cfg);
	return rc;
}
