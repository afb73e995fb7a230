/*
 * cmd.h - what boardpack's subcommands share.
 *
 * One file per subcommand (src/cmd/<name>.c, cmd_<name>()), dispatched by
 * main.c's command table.  These files and main.c are the only ones that
 * print errors and pick the exit status; the modules below them report
 * through bp_err.
 */
#ifndef BP_CMD_H
#define BP_CMD_H

#include "config.h"
#include "conn.h"
#include "date.h"
#include "err.h"
#include "fs.h"
#include "ingest.h"

/* How long `run` and `fetch` wait for another run's lock on the output
 * folder before giving up with 75, unless BOARDPACK_LOCK_WAIT says. */
#define BP_LOCK_WAIT_S 300

/* The command line after the command word. */
typedef struct bp_opts {
	const char *config;         /* -c FILE */
	const char *period;         /* --period YYYY-MM */
	const char *as_of;          /* --as-of TIMESTAMP */
	const char *from_snapshot;  /* run --from-snapshot DIR */
	int no_email, offline, resend;
	int fetch;                  /* check --fetch */
	int online;                 /* check --online */
	const char *contacts;       /* init --contacts PRESET */
	const char *spend;          /* init --spend PRESET,... */
	const char *traffic;        /* init --traffic PRESET,... */
	const char *currency;       /* init --currency CODE */
	const char *timezone;       /* init --timezone ZONE */
	const char *output;         /* init -o FILE */
	int api, force;             /* init --api, --force */
	const char *init_option;    /* the first of init's options given */
	int argc;                   /* the operands after the options */
	char **argv;
} bp_opts;

int cmd_run(const bp_opts *o);
int cmd_check(const bp_opts *o);
int cmd_fetch(const bp_opts *o);
int cmd_verify(const bp_opts *o);
int cmd_send(const bp_opts *o);
int cmd_auth(const bp_opts *o);
int cmd_init(const bp_opts *o);

/* Prints "boardpack: error: ..." and returns the exit status for it. */
int bp_cli_fail(const bp_err *e);

/* The period being reported, its as_of and the report's zone. */
typedef struct bp_timing {
	bp_tz *tz;
	bp_time now;
	bp_month period;
	bp_time as_of;
} bp_timing;

/* Resolves --period (default: the last complete month in the report's
 * zone) and --as-of (default: the period's last second, or now if that is
 * earlier).  Returns 0, or -1 with BP_EUSAGE (a malformed value, a period
 * that has not begun, an as_of before the period) or the zone's error.
 * Free t->tz with bp_tz_free. */
int bp_cli_timing(const bp_config *cfg, const bp_opts *o, bp_timing *t,
		  bp_err *err);

/* The days connectors pull for a run of t: from the first day of the
 * comparison year before the window (METRICS.md: the 12 months before
 * it) to as_of's day, in the report's time zone. */
void bp_cli_window(const bp_config *cfg, const bp_timing *t,
		   bp_conn_window *w);

/* The order sources are read in: contacts first, as deals join to them. */
extern const bp_source_kind bp_cli_read_order[BP_SRC_NKINDS];

/* What messages call a source: its path as written for a file, else its
 * URL without credentials, query or fragment. */
void bp_cli_source_name(const bp_source *src, char *buf, size_t size);

/* Prints a source's data-quality warnings on stderr, one line each. */
void bp_cli_print_warnings(const bp_quality *q, const char *name);

/* Creates the config's output folder if needed (0700) and takes its lock
 * (fs.h), waiting up to BOARDPACK_LOCK_WAIT or BP_LOCK_WAIT_S seconds;
 * then removes what dead runs' staged downloads left in the cache
 * (bp_fs_remove_staged).  Returns the lock, or NULL with err
 * (BP_ETEMPFAIL when another run holds it). */
bp_fs_lock *bp_cli_lock_output(const bp_config *cfg, bp_err *err);

/* A bp_fetch_check (fetch.h) whose ctx is a bp_ingest: a download must
 * read as its source's export (ingest.h: bp_ingest_check_header) before
 * it replaces the cache's. */
int bp_cli_check_download(void *ctx, const bp_source *src, const char *path,
			  bp_err *err);

/* Emails snapshot `dir` of `period` to the recipients not done yet
 * (`flags`: bp_mail_send's) and says so on stderr, or that nobody was
 * left.  Returns 0, or -1 with err (after saying how many recipients
 * have the report, when some do). */
int bp_cli_deliver(const bp_config *cfg, const char *dir, const char *period,
		   int flags, bp_err *err);

#endif
