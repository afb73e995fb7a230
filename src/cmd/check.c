/*
 * check.c - `boardpack check`: validates the config, prints what it
 * resolved to, and reads every source it can without side effects as run
 * would, showing how each export's columns map.
 */
#include "cmd.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "fs.h"
#include "funnel.h"
#include "log.h"
#include "mem.h"

/* How a source's columns were found, as check shows it. */
static void print_mapping(const bp_quality *q)
{
	char absent[512] = "";
	size_t k, o = 0;

	for (k = 0; k < q->n_map; k++) {
		const bp_mapped *m = &q->map[k];

		if (m->header)
			printf("      %-18s '%s'\n", m->field, m->header);
		else if (m->by_range)
			printf("      %-18s (none: the export's range '%s' dates its rows)\n",
			       m->field, q->range ? q->range : "");
		else if (!m->required && !m->unnamed && o < sizeof(absent))
			o += (size_t)snprintf(absent + o, sizeof(absent) - o, "%s%s",
					      o ? ", " : "", m->field);
	}
	if (o)
		printf("      not in the export (optional): %s\n", absent);
}

/* Reads one source as run would, without writing anything, and prints
 * what it found.  Returns 0, or the exit status run would end with. */
static int check_source(const bp_config *cfg, bp_ingest *in,
			const bp_source *src, const char *path, bp_quality *q)
{
	char name[1024], buf[2048];
	bp_err err = { 0 };
	size_t k;
	int rc;

	bp_cli_source_name(src, name, sizeof(name));
	printf("  %-10s %-8s preset %-10s %s", src->id,
	       bp_source_kind_name(src->kind), src->preset, name);
	if (src->kind == BP_SRC_SPEND && src->channel >= 0)
		printf(" -> %s", cfg->channels[src->channel].id);
	printf("\n");
	if (!path) {
		printf("      not read: %s (check --fetch downloads it)\n",
		       src->connector ? "a connector's source" : "a remote source");
		return 0;
	}
	rc = bp_ingest_source(in, src, path, name, q, &err);
	print_mapping(q);
	if (rc < 0) {
		bp_err_format(&err, buf, sizeof(buf));
		printf("      error: %s\n", buf);
		return err.code ? err.code : BP_ESOFTWARE;
	}
	printf("      %lld row%s read, %lld count%s for this run\n",
	       (long long)q->rows_read, q->rows_read == 1 ? "" : "s",
	       (long long)q->rows_used, q->rows_used == 1 ? "s" : "");
	for (k = 0; k < q->n_warnings; k++)
		printf("      warning: %s\n", q->warnings[k].text);
	return 0;
}

/* Every source check can read without side effects: local files, and
 * with --fetch the downloads in `fetched`.  Returns 0, or the status of
 * the first source that would fail the run. */
static int check_sources(const bp_config *cfg, const bp_timing *t,
			 const char *fetched, bp_err *err)
{
	bp_funnel *f = bp_funnel_new(t->tz, t->as_of, t->period, cfg->months,
				     (int)cfg->n_channels);
	bp_quality *q = bp_xcalloc(cfg->n_sources, sizeof(*q));
	bp_ingest *in = NULL;
	size_t i, k;
	int rc = 0;

	f->mode = (bp_funnel_mode)cfg->funnel_mode;
	in = bp_ingest_new(cfg, f, err);
	if (!in) {
		rc = -1;
		goto out;
	}
	for (k = 0; k < sizeof(bp_cli_read_order) / sizeof(bp_cli_read_order[0]); k++)
		for (i = 0; i < cfg->n_sources; i++) {
			const bp_source *src = &cfg->sources[i];
			char *path;
			int st;

			if (src->kind != bp_cli_read_order[k])
				continue;
			path = fetched ? bp_fetch_path(fetched, src) : bp_source_path(src);
			st = check_source(cfg, in, src, path, &q[i]);
			if (st && !rc)
				rc = st;
			free(path);
		}
out:
	bp_ingest_free(in);
	for (i = 0; i < cfg->n_sources; i++)
		bp_quality_clear(&q[i]);
	free(q);
	bp_funnel_free(f);
	return rc;
}

/* Removes the temporary download folder of check --fetch, with the
 * folders of connectors' pulls in it. */
static void remove_fetched(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		char *path;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path = bp_fs_join(dir, e->d_name);
		if (unlink(path) < 0 && errno == EISDIR)
			remove_fetched(path);
		free(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* The folders `check --fetch` downloads into are named for the process
 * (/tmp/boardpack-check-PID-XXXXXX): one whose process is gone was left
 * by a check that was killed, and holds its partial exports.  Removed,
 * when this user's, by the next check. */
#define CHECK_DIR "boardpack-check-"

static void sweep_fetched(void)
{
	DIR *d = opendir("/tmp");
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		const char *name = e->d_name + strlen(CHECK_DIR);
		struct stat st;
		char *end, *path;
		long pid;

		if (strncmp(e->d_name, CHECK_DIR, strlen(CHECK_DIR)) != 0)
			continue;
		errno = 0;
		pid = strtol(name, &end, 10);
		if (errno || end == name || *end != '-' || pid <= 0 ||
		    pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		path = bp_fs_join("/tmp", e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_uid == geteuid()) {
			bp_log_debug("removing '%s', left by a check that was stopped",
				     path);
			remove_fetched(path);
		}
		free(path);
	}
	if (d)
		closedir(d);
}

/* check --online: one cheap call per connector's source.  Returns 0, or
 * the exit status of the first that failed. */
static int check_online(const bp_config *cfg)
{
	char *cache = bp_fs_join(cfg->output_dir, ".cache");
	int rc = 0;
	size_t i;

	printf("online:\n");
	for (i = 0; i < cfg->n_sources; i++) {
		const bp_source *src = &cfg->sources[i];
		bp_conn_info p;
		bp_err err = { 0 };
		char buf[2048];

		if (!src->connector)
			continue;
		if (bp_conn_probe(cfg, src, cache, &p, &err) < 0) {
			bp_err_format(&err, buf, sizeof(buf));
			printf("  %-10s %-11s error: %s\n", src->id, src->connector, buf);
			if (!rc)
				rc = err.code ? err.code : BP_ESOFTWARE;
			continue;
		}
		printf("  %-10s %-11s %s%scurrency %s, time zone %s%s%s\n", src->id,
		       src->connector, p.name, p.name[0] ? ", " : "",
		       p.currency[0] ? p.currency : "not said",
		       p.timezone[0] ? p.timezone : "not said",
		       p.note[0] ? "; " : "", p.note);
	}
	free(cache);
	return rc;
}

static void print_config(const bp_config *cfg, const bp_timing *t)
{
	char buf[64], start[8], end[8];
	size_t i;

	printf("config:   %s\n", cfg->path);
	printf("report:   %s (%s, %s, language %s, %s funnel)\n", cfg->title,
	       cfg->timezone, cfg->currency, cfg->language,
	       bp_funnel_mode_name((bp_funnel_mode)cfg->funnel_mode));
	bp_month_format(t->period, buf);
	printf("period:   %s\n", buf);
	bp_time_format(t->as_of, t->tz, buf, sizeof(buf));
	printf("as of:    %s\n", buf);
	bp_month_format(t->period - cfg->months + 1, start);
	bp_month_format(t->period, end);
	printf("window:   %s to %s (%d months)\n", start, end, cfg->months);
	printf("output:   %s\n", cfg->output_dir);
	printf("channels:\n");
	for (i = 0; i < cfg->n_channels; i++)
		printf("  %-16s %-20s %s\n", cfg->channels[i].id,
		       cfg->channels[i].label, cfg->channels[i].group);
	for (i = 0; i < cfg->n_sources; i++) {
		const bp_source *s = &cfg->sources[i];
		size_t k;

		for (k = 0; k < s->n_rules; k++)
			bp_log_debug("source '%s': rule '%s' -> %s", s->id,
				     s->rules[k].match,
				     cfg->channels[s->rules[k].channel].id);
	}
	if (cfg->email)
		printf("email:    %zu recipient(s) via %s\n", cfg->email->n_to +
		       cfg->email->n_cc + cfg->email->n_bcc, cfg->email->url);
	printf("sources:\n");
}

int cmd_check(const bp_opts *o)
{
	bp_err err = { 0 };
	bp_config *cfg;
	bp_timing t = { 0 };
	bp_conn_window w;
	char fetched[64];
	int rc = 0, made = 0;

	cfg = bp_config_load(o->config, &err);
	if (!cfg)
		return bp_cli_fail(&err);
	if (bp_cli_timing(cfg, o, &t, &err) < 0) {
		rc = bp_cli_fail(&err);
		goto out;
	}
	if (o->fetch) {
		/* Into a private folder of its own: check never touches the
		 * cache that run and --offline rely on. */
		sweep_fetched();
		snprintf(fetched, sizeof(fetched), "/tmp/" CHECK_DIR "%ld-XXXXXX",
			 (long)getpid());
		if (!mkdtemp(fetched)) {
			bp_err_set(&err, BP_ECANTCREAT, "cannot create '%s': %s",
				   fetched, strerror(errno));
			rc = bp_cli_fail(&err);
			goto out;
		}
		made = 1;
		bp_cli_window(cfg, &t, &w);
		if (bp_fetch_all(cfg, fetched, 0, &w, &err) < 0) {
			rc = bp_cli_fail(&err);
			goto out;
		}
	}
	print_config(cfg, &t);
	rc = check_sources(cfg, &t, made ? fetched : NULL, &err);
	if (rc >= 0 && o->online) {
		int st = check_online(cfg);

		if (st && !rc)
			rc = st;
	}
	if (rc < 0)
		rc = bp_cli_fail(&err);
	else if (rc)
		printf("the config is valid, but a run would fail on the data above\n");
	else
		printf("config is valid\n");
out:
	if (made)
		remove_fetched(fetched);
	bp_tz_free(t.tz);
	bp_config_free(cfg);
	return rc;
}

