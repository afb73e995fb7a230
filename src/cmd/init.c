/*
 * init.c - `boardpack init`: writes a commented starter config for the
 * sources named (starter.h) to stdout, or to -o FILE, which it never
 * replaces without --force.
 */
#include "cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "ingest.h"
#include "starter.h"

/* What -o FILE is made with: readable by all, as configs hold no secret
 * (only the names of the files and variables that do), within the
 * umask. */
static mode_t file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

static int write_output(const char *path, const char *text, int force,
			bp_err *err)
{
	bp_staged st;

	if (bp_fs_stage(&st, path, file_mode(), err) < 0)
		return -1;
	if (bp_fs_write(&st, text, strlen(text), err) < 0) {
		bp_fs_abort(&st);
		return -1;
	}
	if (force)
		return bp_fs_commit(&st, err);
	if (bp_fs_commit_new(&st, err) < 0) {
		if (err->sub == BP_FS_EXISTS)
			bp_err_set(err, BP_ECANTCREAT, "'%s' already exists: init "
				   "never replaces a config unless --force is given",
				   path);
		return -1;
	}
	return 0;
}

/* With no source named, init still writes something useful, and says
 * what it chose and how to choose otherwise. */
static void choose_defaults(const bp_opts *o, bp_starter *s)
{
	const char *contacts = bp_preset_default(BP_SRC_CONTACTS);
	const char *deals = bp_preset_exists(BP_SRC_DEALS, contacts) ?
			    " and deals" : "";
	char c[128], sp[128], t[128];

	if (o->contacts)
		return;
	s->contacts = contacts;
	if (o->spend || o->traffic) {
		fprintf(stderr, "boardpack: no --contacts: writing %s contacts%s, "
			"as the funnel is built from contacts\n", contacts, deals);
		return;
	}
	s->spend = bp_preset_default(BP_SRC_SPEND);
	bp_preset_list(BP_SRC_CONTACTS, c, sizeof(c));
	bp_preset_list(BP_SRC_SPEND, sp, sizeof(sp));
	bp_preset_list(BP_SRC_TRAFFIC, t, sizeof(t));
	fprintf(stderr, "boardpack: no sources named: writing %s contacts%s and "
		"%s spend;\nname yours, comma-separated, with\n"
		"  --contacts  %s\n  --spend     %s\n  --traffic   %s\n"
		"and --api to read them from the vendors' APIs\n", contacts, deals,
		s->spend, c, sp, t);
}

int cmd_init(const bp_opts *o)
{
	bp_starter s = { 0 };
	bp_err err = { 0 };
	char *text;
	int rc = 0;

	s.contacts = o->contacts;
	s.spend = o->spend;
	s.traffic = o->traffic;
	s.api = o->api;
	s.currency = o->currency;
	s.timezone = o->timezone;
	s.name = o->output;
	choose_defaults(o, &s);
	text = bp_starter_config(&s, &err);
	if (!text)
		return bp_cli_fail(&err);
	if (o->output) {
		if (write_output(o->output, text, o->force, &err) < 0)
			rc = bp_cli_fail(&err);
		else
			fprintf(stderr, "boardpack: wrote %s; next, %s, then: "
				"boardpack check -c %s%s\n", o->output,
				o->api ? "set up the credentials its comments "
				"describe" : "put the exports where its urls say",
				o->output, o->api ? " --online" : "");
	} else if (fputs(text, stdout) == EOF || fflush(stdout) == EOF) {
		bp_err_set(&err, BP_ECANTCREAT, "cannot write the config to "
			   "standard output: %s", strerror(errno));
		rc = bp_cli_fail(&err);
	}
	free(text);
	return rc;
}
