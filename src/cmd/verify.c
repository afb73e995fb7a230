/*
 * verify.c - `boardpack verify DIR`: checks a snapshot against its
 * MANIFEST.sha256.
 */
#include "cmd.h"

#include <stdio.h>

#include "snapshot.h"

int cmd_verify(const bp_opts *o)
{
	bp_err err = { 0 };

	if (bp_snapshot_verify(o->argv[0], &err) < 0)
		return bp_cli_fail(&err);
	printf("%s: every file matches MANIFEST.sha256\n", o->argv[0]);
	return 0;
}
