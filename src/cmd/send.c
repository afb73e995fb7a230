/*
 * send.c - `boardpack send -c FILE DIR [--resend]`: emails an existing
 * snapshot, after checking that it is complete and unchanged, to the
 * recipients its delivery.log does not record as done (so a retry of a
 * failed send never mails twice), or to everyone with --resend.  It
 * holds the output folder's lock as `run` does, so two deliveries of one
 * config never read the same delivery.log at once.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

#include "mail.h"
#include "mem.h"
#include "snapshot.h"

/* The period a snapshot folder belongs to: the layout is
 * <output>/<period>/<stamp>, so its parent's name.  Allocated; "" when
 * the path has no parent. */
static char *period_of(const char *snapshot)
{
	char *dir = bp_xstrdup(snapshot), *slash, *period;

	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	period = bp_xstrdup(!slash ? "" : strrchr(dir, '/') ? strrchr(dir, '/') + 1 :
			    dir);
	free(dir);
	return period;
}

int cmd_send(const bp_opts *o)
{
	const char *dir = o->argv[0];
	bp_err err = { 0 };
	bp_config *cfg;
	bp_fs_lock *lock = NULL;
	char *period = NULL;
	bp_month m;
	int rc = 0;

	cfg = bp_config_load(o->config, &err);
	if (!cfg)
		return bp_cli_fail(&err);
	if (!cfg->email) {
		bp_err_at(&err, BP_ECONFIG, cfg->path, 0, 0, "no <email> element: "
			  "nowhere to send the report");
		rc = bp_cli_fail(&err);
		goto out;
	}
	if (!(lock = bp_cli_lock_output(cfg, &err))) {
		rc = bp_cli_fail(&err);
		goto out;
	}
	period = period_of(dir);
	/* Only a complete, unchanged snapshot goes to the board. */
	if (bp_month_parse(period, &m) < 0) {
		bp_err_set(&err, BP_EUSAGE, "'%s' is not a snapshot folder "
			   "(<output>/<YYYY-MM>/<stamp>)", dir);
		rc = bp_cli_fail(&err);
	} else if (bp_snapshot_verify(dir, &err) < 0 ||
		   bp_cli_deliver(cfg, dir, period, o->resend ? BP_MAIL_RESEND : 0,
				  &err) < 0) {
		rc = bp_cli_fail(&err);
	}
out:
	bp_fs_unlock(lock);
	free(period);
	bp_config_free(cfg);
	return rc;
}
