/*
 * run.c - `boardpack run`: the whole pipeline for one period.
 *
 * config -> lock the output folder -> fetch -> snapshot (sources
 * archived first) -> ingest, read from the archived bytes -> model ->
 * drift -> render -> commit -> retention -> mail, all under the lock.
 * Only the order lives here; each step is its module's.
 */
#include "cmd.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "csv.h"
#include "fetch.h"
#include "fs.h"
#include "funnel.h"
#include "log.h"
#include "mail.h"
#include "mem.h"
#include "model.h"
#include "pdf.h"
#include "render.h"
#include "snapshot.h"
#include "url.h"

typedef struct run_state {
	const char *from_snapshot; /* read sources from here, not the cache */
	bp_config *cfg;
	bp_timing t;
	char *cache;
	bp_snapshot *snap;
	bp_funnel *funnel;
	bp_ingest *ingest;
	size_t index_bytes;        /* the join index's, before it is freed */
	bp_quality *quality;
	bp_source_file *files;
	char **names;              /* each source's path inside the snapshot */
	char **read;               /* where each source is parsed from */
	bp_fs_lock *lock;          /* on the output folder, for the whole run */
	xmlDocPtr metrics;
} run_state;

static void run_state_free(run_state *s)
{
	size_t i;

	for (i = 0; s->cfg && i < s->cfg->n_sources; i++) {
		if (s->quality)
			bp_quality_clear(&s->quality[i]);
		if (s->names)
			free(s->names[i]);
		if (s->read)
			free(s->read[i]);
	}
	free(s->quality);
	free(s->files);
	free(s->names);
	free(s->read);
	xmlFreeDoc(s->metrics);
	bp_ingest_free(s->ingest);
	bp_funnel_free(s->funnel);
	bp_snapshot_abort(s->snap);
	bp_fs_unlock(s->lock);
	free(s->cache);
	bp_tz_free(s->t.tz);
	bp_config_free(s->cfg);
}

/* The file name a source gets in the snapshot: its id plus the extension
 * of its URL (".csv" when it has none). */
static char *archive_name(const bp_source *src)
{
	const char *slash = src->url ? strrchr(src->url, '/') : NULL;
	const char *dot = slash ? strrchr(slash, '.') : NULL;
	const char *ext = ".csv";

	/* A connector's pull is a folder: sources/<id>/. */
	if (src->connector)
		return bp_xstrdup(src->id);
	if (dot && strlen(dot) <= 5 && !strpbrk(dot, "?#"))
		ext = dot;
	return bp_xasprintf("%s%s", src->id, ext);
}

/* Archives every source into the snapshot (snapshot.h: a clone, or a
 * copy made on the other core while the source is parsed), so the
 * numbers come from exactly the bytes that are kept. */
static int archive_sources(run_state *s, bp_err *err)
{
	const bp_config *cfg = s->cfg;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < cfg->n_sources; i++) {
		const bp_source *src = &cfg->sources[i];
		char *name = archive_name(src);
		char *from = s->from_snapshot ?
			     bp_xasprintf("%s/sources/%s", s->from_snapshot, name) :
			     bp_fetch_path(s->cache, src);
		const char *via = NULL;

		s->names[i] = bp_xasprintf("sources/%s", name);
		s->files[i].src = src;
		s->files[i].file = s->names[i];
		if (src->connector) {
			rc = bp_snapshot_archive_dir(s->snap, s->names[i], from,
						     &s->files[i].bytes, err);
			s->read[i] = bp_fs_join(bp_snapshot_tmpdir(s->snap),
						s->names[i]);
		} else {
			/* A local export read in place may be a link the user
			 * made (exports/latest.csv): archived is what it names. */
			char *real = s->from_snapshot ||
				     bp_url_scheme(src->url, NULL) != BP_SCHEME_FILE ?
				     NULL : realpath(from, NULL);

			if (real) {
				free(from);
				from = real;
			}
			rc = bp_snapshot_archive(s->snap, s->names[i], from, &via,
						 &s->files[i].bytes, err);
			s->read[i] = bp_xstrdup(via);
		}
		free(name);
		free(from);
	}
	if (rc == 0 && bp_snapshot_archive_start(s->snap) < 0)
		bp_log_debug("archiving the sources before reading them");
	return rc;
}

/* Reads every archived source, contacts first: deals join to them. */
static int read_sources(run_state *s, bp_err *err)
{
	const bp_config *cfg = s->cfg;
	size_t i, k;

	if (archive_sources(s, err) < 0)
		return -1;
	for (k = 0; k < sizeof(bp_cli_read_order) / sizeof(bp_cli_read_order[0]); k++) {
		for (i = 0; i < cfg->n_sources; i++) {
			const bp_source *src = &cfg->sources[i];
			char name[1024];
			int rc;

			if (src->kind != bp_cli_read_order[k])
				continue;
			bp_cli_source_name(src, name, sizeof(name));
			bp_log_info("reading source '%s' (%s)", src->id, name);
			rc = bp_ingest_source(s->ingest, src, s->read[i], name,
					      &s->quality[i], err);
			/* Read whole or not, the download is now known to be
			 * the last good one, or not (fetch.h). */
			if (!s->from_snapshot)
				bp_fetch_settle(s->cache, src, rc == 0 ?
						BP_FETCH_READ_WHOLE :
						err->code == BP_EDATA &&
						err->sub == BP_CSV_CUT ?
						BP_FETCH_READ_CUT :
						BP_FETCH_READ_OTHER, err);
			if (rc < 0)
				return -1;
			bp_cli_print_warnings(&s->quality[i], name);
			bp_log_debug("%s: %lld rows read, %lld used", src->id,
				     (long long)s->quality[i].rows_read,
				     (long long)s->quality[i].rows_used);
		}
	}
	return 0;
}

/* The warnings the numbers give about the config (its <cost> entries)
 * and about the run against the last snapshot, on stderr as the
 * sources' are. */
static void print_config_warnings(xmlDocPtr metrics)
{
	xmlNodePtr n, w;

	for (n = xmlDocGetRootElement(metrics)->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "warnings"))
			continue;
		for (w = n->children; w; w = w->next) {
			xmlChar *src = xmlGetProp(w, BAD_CAST "source");
			xmlChar *text = xmlNodeGetContent(w);

			if (src && text && (!strcmp((char *)src, "config") ||
					    !strcmp((char *)src, "drift")))
				bp_log_warn("%s: %s", (char *)src, (char *)text);
			xmlFree(src);
			xmlFree(text);
		}
	}
}

/* The board pack, laid out in memory on a thread of its own while the
 * calling thread renders the HTML: the two share only the metrics
 * document, which both only read. */
typedef struct pdf_job {
	xmlDocPtr metrics;
	char *template_path;
	bp_pdf_options opt;
	unsigned char *data;  /* the PDF, when rc is 0 */
	size_t len;
	int rc;
	bp_err err;           /* the thread's own */
} pdf_job;

static void *pdf_job_run(void *arg)
{
	pdf_job *j = arg;
	xmlDocPtr pages = bp_render_expand(j->metrics, j->template_path, &j->err);

	j->rc = -1;
	if (pages) {
		j->rc = bp_pdf_render(pages, &j->opt, &j->data, &j->len, &j->err);
		xmlFreeDoc(pages);
	}
	return NULL;
}

/* A report file into the snapshot's folder `dir`, which its seal flushes
 * (as metrics.xml): written in place, removed again on failure. */
static int write_report(const char *dir, const char *name, const void *data,
			size_t len, bp_err *err)
{
	char *path = bp_fs_join(dir, name);
	int rc = bp_fs_write_new(path, data, len, 0600, err);

	free(path);
	return rc;
}

/* Renders report.html, email.html and report.pdf from the templates of
 * the report's language into the snapshot folder `dir`.  The files are
 * written by the calling thread alone, in that order, whichever thread
 * laid them out; the first error in that order is the one reported. */
static int render_reports(const bp_config *cfg, xmlDocPtr metrics,
			  const char *dir, bp_time now, bp_err *err)
{
	static const char *const html[] = { "report.html", "email.html" };
	pdf_job job = { .metrics = metrics, .opt = { cfg->title, now, cfg->font } };
	pthread_t thread;
	char *tdir = NULL, *tpl;
	size_t i;
	int rc = 0, fell_back, threaded;

	if (bp_render_find_templates(cfg->templates, cfg->language, cfg->path,
				     &tdir, &fell_back, err) < 0)
		return -1;
	if (fell_back)
		bp_log_warn("no words for language '%s' in the templates; English ones used", cfg->language);
	job.template_path = bp_fs_join(tdir, "report.pdf.xml");
	/* Without a thread (none to be had), the board pack is laid out
	 * after the HTML, on this one. */
	threaded = pthread_create(&thread, NULL, pdf_job_run, &job) == 0;
	for (i = 0; rc == 0 && i < sizeof(html) / sizeof(html[0]); i++) {
		char *text;
		size_t len;

		tpl = bp_fs_join(tdir, html[i]);
		text = bp_render_html_buffer(metrics, tpl, &len, err);
		free(tpl);
		rc = text ? write_report(dir, html[i], text, len, err) : -1;
		free(text);
	}
	if (threaded)
		pthread_join(thread, NULL);
	else if (rc == 0)
		pdf_job_run(&job);
	if (rc == 0 && job.rc < 0) {
		*err = job.err;
		rc = -1;
	}
	if (rc == 0)
		rc = write_report(dir, "report.pdf", job.data, job.len, err);
	free(job.data);
	free(job.template_path);
	free(tdir);
	return rc;
}

/* The metrics.xml of snapshot `dir` when its as_of is not later than
 * `as_of`, else NULL (unreadable ones are reported and skipped). */
static xmlDocPtr earlier_metrics(const char *dir, bp_time as_of,
				 const bp_tz *tz)
{
	xmlDocPtr doc = bp_model_read(dir);
	char text[64];
	bp_time then;

	if (!doc) {
		bp_log_warn("cannot read '%s/metrics.xml': no drift since that "
			    "snapshot", dir);
		return NULL;
	}
	bp_model_run_attr(doc, "as-of", text, sizeof(text));
	if (!text[0] || bp_time_parse_arg(text, tz, &then) < 0 || then > as_of) {
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

/* Adds to `metrics` how cohorts changed since the latest earlier snapshot
 * that saw the data no later than this run does (re-running an old month
 * is not compared with a newer view of it).  Drift is information, not a
 * reason to fail the month's run. */
static void add_drift(const bp_config *cfg, xmlDocPtr metrics, bp_time as_of,
		      const bp_tz *tz)
{
	char *prev = bp_snapshot_previous(cfg->output_dir, NULL);
	xmlDocPtr doc = NULL;

	while (prev && !(doc = earlier_metrics(prev, as_of, tz))) {
		char *older = bp_snapshot_previous(cfg->output_dir, prev);

		free(prev);
		prev = older;
	}
	if (!prev)
		return;
	bp_model_drift(metrics, doc, strrchr(prev, '/') + 1);
	bp_log_info("compared with the snapshot %s", prev);
	xmlFreeDoc(doc);
	free(prev);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One line of phase timings for `make bench` (shown with -v). */
static void log_timing(const run_state *s, const double *t)
{
	long long rows = 0;
	unsigned long long bytes = 0;
	size_t i;

	for (i = 0; i < s->cfg->n_sources; i++) {
		rows += s->quality[i].rows_read;
		bytes += s->quality[i].bytes;
	}
	bp_log_debug("timing: fetch=%.4f read=%.4f model=%.4f render=%.4f "
		     "snapshot=%.4f rows=%lld bytes=%llu index_bytes=%zu",
		     t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3],
		     t[5] - t[4], rows, bytes, s->index_bytes);
}

/* Starts the snapshot.  Names are stamped to the second, so a run that
 * follows another within the same second waits for the next one rather
 * than fail; the commit's no-replace rename still guards against a
 * concurrent run. */
static int begin_snapshot(run_state *s, const char *period, bp_err *err)
{
	struct stat st;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		s->snap = bp_snapshot_begin(s->cfg->output_dir, period, s->t.now,
					    s->lock, err);
		if (!s->snap)
			return -1;
		if (stat(bp_snapshot_path(s->snap), &st) < 0)
			return 0;
		bp_snapshot_abort(s->snap);
		s->snap = NULL;
		sleep(1);
		s->t.now = (bp_time)time(NULL);
	}
	return bp_err_set(err, BP_ETEMPFAIL, "a snapshot of %s stamped this "
			  "second already exists; try again", period);
}

/* With --from-snapshot, that snapshot's period and as_of stand unless
 * given: the numbers the board saw.  The buffers hold the texts. */
static int snapshot_defaults(bp_opts *opt, char period[16], char as_of[64],
			     bp_err *err)
{
	xmlDocPtr doc = bp_model_read(opt->from_snapshot);

	if (!doc)
		return bp_err_set(err, BP_ENOINPUT, "cannot read '%s/metrics.xml': "
				  "not a boardpack snapshot", opt->from_snapshot);
	bp_model_run_attr(doc, "period", period, 16);
	bp_model_run_attr(doc, "as-of", as_of, 64);
	xmlFreeDoc(doc);
	if (!opt->period && period[0])
		opt->period = period;
	if (!opt->as_of && as_of[0])
		opt->as_of = as_of;
	return 0;
}

/* After a committed snapshot: retention, then the email to whom no
 * snapshot of this period reached yet (everyone with --resend).  Returns
 * the exit status. */
static int after_snapshot(run_state *s, const bp_opts *o, const char *period,
			  const char *path)
{
	bp_err err = { 0 };

	if (bp_snapshot_prune(s->cfg->output_dir, s->cfg->keep_months, s->t.now,
			      &err) < 0)
		bp_log_warn("%s", err.msg);
	if (!s->cfg->email || o->no_email)
		return 0;
	if (bp_cli_deliver(s->cfg, path, period, o->resend ? BP_MAIL_RESEND :
			   BP_MAIL_PERIOD, &err) < 0)
		return bp_cli_fail(&err);
	return 0;
}

/* Config, the output folder's lock, timing and the empty state of the
 * run. */
static int prepare(run_state *s, const bp_opts *o, char period[8], bp_err *err)
{
	bp_opts opt = *o;
	char snap_period[16], snap_as_of[64];

	s->cfg = bp_config_load(o->config, err);
	if (!s->cfg)
		return -1;
	/* Before the clock is read: a run that waited for another is stamped
	 * when it runs, after the one it waited for. */
	if (!(s->lock = bp_cli_lock_output(s->cfg, err)))
		return -1;
	s->from_snapshot = o->from_snapshot;
	/* As `send` does: a snapshot that fails `verify` was changed since it
	 * was made, and its edited data must not be sealed again as if it
	 * had been received. */
	if (o->from_snapshot && (bp_snapshot_verify(o->from_snapshot, err) < 0 ||
				 snapshot_defaults(&opt, snap_period, snap_as_of,
						   err) < 0))
		return -1;
	if (bp_cli_timing(s->cfg, &opt, &s->t, err) < 0)
		return -1;
	bp_month_format(s->t.period, period);
	s->cache = bp_fs_join(s->cfg->output_dir, ".cache");
	s->quality = bp_xcalloc(s->cfg->n_sources, sizeof(*s->quality));
	s->files = bp_xcalloc(s->cfg->n_sources, sizeof(*s->files));
	s->names = bp_xcalloc(s->cfg->n_sources, sizeof(*s->names));
	s->read = bp_xcalloc(s->cfg->n_sources, sizeof(*s->read));
	s->funnel = bp_funnel_new(s->t.tz, s->t.as_of, s->t.period,
				  s->cfg->months + BP_MODEL_LOOKBACK,
				  (int)s->cfg->n_channels);
	s->funnel->mode = (bp_funnel_mode)s->cfg->funnel_mode;
	s->ingest = bp_ingest_new(s->cfg, s->funnel, err);
	if (!s->ingest)
		return -1;
	/* The snapshot's archive hashes each source while it is read. */
	bp_ingest_set_hashed_beside(s->ingest, 1);
	return 0;
}

int cmd_run(const bp_opts *o)
{
	run_state s = { 0 };
	bp_err err = { 0 };
	bp_conn_window window;
	bp_fetch_check check;
	bp_run_info info;
	char period[8];
	char *final = NULL;
	double t[6];
	int rc = 0;

	t[0] = seconds();
	if (prepare(&s, o, period, &err) < 0)
		goto failed;
	bp_cli_window(s.cfg, &s.t, &window);
	check.fn = bp_cli_check_download;
	check.ctx = s.ingest;
	if (!o->from_snapshot &&
	    bp_fetch_all_checked(s.cfg, s.cache, o->offline, &window, &check,
				 &err) < 0)
		goto failed;
	if (begin_snapshot(&s, period, &err) < 0)
		goto failed;
	t[1] = seconds();
	if (read_sources(&s, &err) < 0)
		goto failed;
	/* The join index is the run's largest memory: gone before rendering. */
	s.index_bytes = bp_ingest_index_bytes(s.ingest);
	bp_ingest_free(s.ingest);
	s.ingest = NULL;
	t[2] = seconds();

	info.generated = s.t.now;
	info.period = s.t.period;
	info.as_of = s.t.as_of;
	info.version = BP_VERSION;
	s.metrics = bp_model_build(s.cfg, s.funnel, s.quality, s.files,
				   s.cfg->n_sources, &info, &err);
	if (!s.metrics)
		goto failed;
	add_drift(s.cfg, s.metrics, s.t.as_of, s.t.tz);
	print_config_warnings(s.metrics);
	if (bp_model_write(s.metrics, bp_snapshot_tmpdir(s.snap), &err) < 0)
		goto failed;

	t[3] = seconds();
	if (render_reports(s.cfg, s.metrics, bp_snapshot_tmpdir(s.snap), s.t.now,
			   &err) < 0)
		goto failed;
	t[4] = seconds();
	final = bp_xstrdup(bp_snapshot_path(s.snap));
	rc = bp_snapshot_commit(s.snap, &err);
	s.snap = NULL;
	if (rc < 0)
		goto failed;
	t[5] = seconds();
	log_timing(&s, t);
	fprintf(stderr, "boardpack: %s: %zu source%s read, snapshot written\n",
		period, s.cfg->n_sources, s.cfg->n_sources == 1 ? "" : "s");
	rc = after_snapshot(&s, o, period, final);
	/* The snapshot exists even when the email failed: `send` retries. */
	printf("%s\n", final);
	free(final);
	run_state_free(&s);
	return rc;
failed:
	free(final);
	rc = bp_cli_fail(&err);
	run_state_free(&s);
	return rc;
}
