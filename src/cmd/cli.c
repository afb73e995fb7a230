/*
 * cli.c - what boardpack's subcommands share (cmd.h): printing errors,
 * the period and as_of, naming sources in messages, delivering a
 * snapshot.
 */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mail.h"
#include "url.h"

const bp_source_kind bp_cli_read_order[BP_SRC_NKINDS] = {
	BP_SRC_CONTACTS, BP_SRC_DEALS, BP_SRC_SPEND, BP_SRC_TRAFFIC
};

int bp_cli_fail(const bp_err *e)
{
	char buf[2048];

	bp_err_format(e, buf, sizeof(buf));
	fprintf(stderr, "boardpack: error: %s\n", buf);
	return e->code ? e->code : BP_ESOFTWARE;
}

int bp_cli_timing(const bp_config *cfg, const bp_opts *o, bp_timing *t,
		  bp_err *err)
{
	t->tz = bp_tz_load(cfg->timezone, err);
	if (!t->tz)
		return -1;
	t->now = (bp_time)time(NULL);
	if (o->period) {
		if (bp_month_parse(o->period, &t->period) < 0)
			return bp_err_set(err, BP_EUSAGE, "bad --period '%s': expected "
					  "YYYY-MM, e.g. 2026-10", o->period);
	} else {
		t->period = bp_month_of(t->tz, t->now) - 1;
	}
	if (o->as_of) {
		if (bp_time_parse_arg(o->as_of, t->tz, &t->as_of) < 0)
			return bp_err_set(err, BP_EUSAGE, "bad --as-of '%s': expected "
					  "a date or time like 2026-10-31 or "
					  "2026-10-31T18:00:00+09:00", o->as_of);
	} else {
		t->as_of = bp_month_end(t->tz, t->period);
		if (t->now < t->as_of)
			t->as_of = t->now;
	}
	/* A month that has not begun has no numbers, and neither has a
	 * period seen from before it started: both are mistakes to say. */
	if (t->period > bp_month_of(t->tz, t->now)) {
		char now[8];

		bp_month_format(bp_month_of(t->tz, t->now), now);
		return bp_err_set(err, BP_EUSAGE, "--period %s has not begun (it is "
				  "%s in %s)", o->period, now, bp_tz_name(t->tz));
	}
	if (t->as_of < bp_month_start(t->tz, t->period)) {
		char month[8];

		bp_month_format(t->period, month);
		return bp_err_set(err, BP_EUSAGE, "--as-of %s is before the period "
				  "%s begins", o->as_of, month);
	}
	return 0;
}

void bp_cli_window(const bp_config *cfg, const bp_timing *t,
		   bp_conn_window *w)
{
	bp_month first = t->period - cfg->months - 12 + 1;
	bp_time last = t->as_of;
	int64_t day;
	int y, m, d;

	snprintf(w->since, sizeof(w->since), "%04d-%02d-01",
		 (int)(first / 12) % 10000, (int)(first % 12) % 12 + 1);
	day = (last + bp_tz_offset(t->tz, last)) / 86400 -
	      ((last + bp_tz_offset(t->tz, last)) % 86400 < 0);
	bp_civil_from_days(day, &y, &m, &d);
	snprintf(w->until, sizeof(w->until), "%04d-%02d-%02d", y % 10000, m % 100,
		 d % 100);
}

void bp_cli_source_name(const bp_source *src, char *buf, size_t size)
{
	if (src->connector)
		bp_conn_source_name(src, buf, size);
	/* A path as the user wrote it, never percent-encoded. */
	else if (bp_url_scheme(src->url, NULL) == BP_SCHEME_FILE)
		snprintf(buf, size, "%s", src->url_given ? src->url_given : src->url + 7);
	else
		bp_url_shown(src->url, buf, size);
}

void bp_cli_print_warnings(const bp_quality *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->n_warnings; i++)
		bp_log_warn("source '%s' (%s): %s", q->src->id, name,
			    q->warnings[i].text);
}

int bp_cli_deliver(const bp_config *cfg, const char *dir, const char *period,
		   int flags, bp_err *err)
{
	bp_mail_result res;
	size_t have, recorded;

	if (bp_mail_send(cfg, dir, period, flags, &res, err) < 0) {
		/* Who is done is what delivery.log records. */
		recorded = res.delivered - res.unrecorded;
		have = res.earlier + recorded;
		if (recorded > 0)
			bp_log_warn("%s: %zu of %zu recipients are done "
				    "(delivery.log); sending again (boardpack send "
				    "-c %s %s) mails only the %zu others", period, have,
				    res.recipients, cfg->path, dir,
				    res.recipients - have);
		bp_mail_result_clear(&res);
		return -1;
	}
	if (res.delivered == 0 && res.rejected == 0) {
		if (flags & BP_MAIL_PERIOD)
			bp_log_info("%s was already emailed; not sending again "
				    "(--resend to send anyway)", period);
		else   /* what send did, said even under cron */
			fprintf(stderr, "boardpack: %s: nothing sent: delivery.log "
				"records every recipient as done (--resend to "
				"send again)\n", period);
		return 0;
	}
	if (res.report)
		bp_log_warn("%s", res.report);
	fprintf(stderr, "boardpack: %s: emailed; the server took it for %s",
		period, res.report ? "some recipients (rejected ones above)" :
		"every recipient");
	if (res.earlier > 0)
		fprintf(stderr, " (%zu had it already)", res.earlier);
	fputc('\n', stderr);
	bp_mail_result_clear(&res);
	return 0;
}

bp_fs_lock *bp_cli_lock_output(const bp_config *cfg, bp_err *err)
{
	bp_fs_lock *lock;
	char *cache;

	if (bp_fs_mkdirs(cfg->output_dir, 0700, err) < 0)
		return NULL;
	lock = bp_fs_lock_dir(cfg->output_dir, bp_fs_lock_wait(BP_LOCK_WAIT_S),
			      err);
	if (!lock)
		return NULL;
	/* Holding the lock, no live run is downloading: what a staged
	 * download or pull left in the cache is a dead run's. */
	cache = bp_fs_join(cfg->output_dir, ".cache");
	bp_fs_remove_staged(cache);
	free(cache);
	return lock;
}

int bp_cli_check_download(void *ctx, const bp_source *src, const char *path,
			  bp_err *err)
{
	char name[1024];

	bp_cli_source_name(src, name, sizeof(name));
	return bp_ingest_check_header(ctx, src, path, name, err);
}
