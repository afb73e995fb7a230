/*
 * main.c - boardpack's command line: parses arguments, runs the pipeline
 * stages in order, prints errors and picks the exit status.  The only
 * file that prints errors or exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "config.h"
#include "date.h"
#include "err.h"
#include "fetch.h"
#include "funnel.h"
#include "ingest.h"
#include "log.h"
#include "mail.h"
#include "model.h"
#include "pdf.h"
#include "render.h"
#include "snapshot.h"

/* The Makefile passes both: VERSION's content and the git commit. */
#ifndef BP_VERSION
#define BP_VERSION "unknown"
#endif
#ifndef BP_COMMIT
#define BP_COMMIT "unknown"
#endif

static const char usage_text[] =
"usage: boardpack run    -c FILE [--period YYYY-MM] [--as-of TIMESTAMP]\n"
"                        [--no-email] [--offline] [--resend]\n"
"                        [--from-snapshot DIR] [-q|-v]\n"
"       boardpack check  -c FILE [--fetch]\n"
"       boardpack fetch  -c FILE\n"
"       boardpack verify SNAPSHOT_DIR\n"
"       boardpack send   -c FILE SNAPSHOT_DIR\n"
"       boardpack --help | --version\n";

static const char help_text[] =
"boardpack turns CRM and ad-platform exports into the monthly board pack:\n"
"cohort funnels by creation month, channel CAC, and a dated snapshot.\n"
"\n"
"Commands:\n"
"  run      fetch every source, compute the numbers for the period, write a\n"
"           new snapshot <output>/<YYYY-MM>/<UTC time>/ (report.html,\n"
"           report.pdf, email.html, cohorts.csv, channels.csv, metrics.xml,\n"
"           sources/, MANIFEST.sha256) and email it; prints its path last\n"
"  check    validate the config, print the resolved channels, period and\n"
"           window, and read each local source as run would: the header\n"
"           each field maps to, what is missing, warnings; exits non-zero\n"
"           when run would fail; --fetch also downloads remote sources\n"
"           (into a temporary folder, not the cache) to read them\n"
"  fetch    download every source into <output>/.cache/ and stop\n"
"  verify   check a snapshot against its MANIFEST.sha256\n"
"  send     email an existing snapshot\n"
"\n"
"Options:\n"
"  -c, --config FILE     the XML config (see README.md: Config)\n"
"  --period YYYY-MM      the month to report; default: the last complete\n"
"                        month in the report time zone\n"
"  --as-of TIMESTAMP     treat anything dated later as not yet happened\n"
"                        (2026-10-15, 2026-10-15T12:00, ...+09:00); default:\n"
"                        the end of the period, or now if that is earlier\n"
"  --offline             use the last complete download of each source\n"
"  --from-snapshot DIR   rebuild from the exports archived in snapshot DIR\n"
"                        (no network; its period and as_of unless given)\n"
"  --no-email            do not send the report after the run\n"
"  --resend              email even when this period was already sent\n"
"  --fetch               (check) download remote sources to read them too\n"
"  -q, --quiet           only errors and the one-line summary\n"
"  -v, --verbose         more detail on stderr\n"
"\n"
"Examples:\n"
"  boardpack check -c boardpack.xml\n"
"  boardpack run -c boardpack.xml --period 2026-10\n"
"  boardpack run -c boardpack.xml --period 2026-07 --as-of 2026-08-01 --offline\n"
"  boardpack verify reports/2026-10/2026-11-01T060003Z\n"
"  boardpack send -c boardpack.xml reports/2026-10/2026-11-01T060003Z\n"
"\n"
"Exit status: 0 done, 64 usage, 65 bad input data, 66 input missing,\n"
"69 source or server unavailable, 70 internal error (out of memory),\n"
"73 cannot write output, 75 try again later, 78 bad configuration.\n";

typedef struct options {
	const char *config;
	const char *period;
	const char *as_of;
	const char *from_snapshot;
	int no_email;
	int offline;
	int resend;
	int fetch;       /* check --fetch */
} options;

static int fail(const bp_err *e)
{
	char buf[2048];

	bp_err_format(e, buf, sizeof(buf));
	fprintf(stderr, "boardpack: error: %s\n", buf);
	return e->code ? e->code : BP_ESOFTWARE;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "boardpack: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s(boardpack --help explains every option)\n", usage_text);
	return BP_EUSAGE;
}

/* Parses the options after the command word.  Returns 0, or an exit
 * status after printing the problem. */
static int parse_options(int argc, char **argv, options *o, int *first_arg)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "period", required_argument, NULL, 'p' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "no-email", no_argument, NULL, 'n' },
		{ "offline", no_argument, NULL, 'o' },
		{ "from-snapshot", required_argument, NULL, 'f' },
		{ "resend", no_argument, NULL, 'r' },
		{ "fetch", no_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:qvh", longs, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'p': o->period = optarg; break;
		case 'a': o->as_of = optarg; break;
		case 'n': o->no_email = 1; break;
		case 'o': o->offline = 1; break;
		case 'f': o->from_snapshot = optarg; break;
		case 'r': o->resend = 1; break;
		case 'F': o->fetch = 1; break;
		case 'q': bp_log_set_level(BP_LOG_QUIET); break;
		case 'v': bp_log_set_level(BP_LOG_VERBOSE); break;
		case 'h': fputs(help_text, stdout); exit(0);
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	*first_arg = optind;
	return 0;
}

static int need_config(const options *o)
{
	if (!o->config)
		return usage_error("%s", "missing -c FILE (the config)");
	return 0;
}

/* ---- period and as_of ---- */

typedef struct timing {
	bp_tz *tz;
	bp_time now;
	bp_month period;
	bp_time as_of;
} timing;

static int resolve_timing(const bp_config *cfg, const options *o, timing *t,
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

/* What errors call a source's file: its local path for file:// URLs, else
 * the URL without query or fragment (where tokens sometimes hide). */
static void display_name(const bp_source *src, char *buf, size_t size)
{
	const char *u = src->url;
	size_t n;

	if (strncmp(u, "file://", 7) == 0) {
		/* As the user wrote it, never percent-encoded. */
		snprintf(buf, size, "%s", src->url_given ? src->url_given : u + 7);
		return;
	}
	n = strcspn(u, "?#");
	{
		const char *host = strstr(u, "://");
		const char *at = host ? memchr(host, '@', n - (size_t)(host - u)) : NULL;

		/* Never show credentials written into the URL. */
		if (at && !memchr(host + 3, '/', (size_t)(at - host - 3))) {
			snprintf(buf, size, "%.*s%.*s", (int)(host + 3 - u), u,
				 (int)(n - (size_t)(at + 1 - u)), at + 1);
			return;
		}
	}
	snprintf(buf, size, "%.*s", (int)n, u);
}

/* ---- check ---- */

/* Contacts first: deals join to them. */
static const bp_source_kind read_order[] = {
	BP_SRC_CONTACTS, BP_SRC_DEALS, BP_SRC_SPEND, BP_SRC_TRAFFIC
};

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
		else if (!m->required && o < sizeof(absent))
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

	display_name(src, name, sizeof(name));
	printf("  %-10s %-8s preset %-10s %s", src->id,
	       bp_source_kind_name(src->kind), src->preset, name);
	if (src->kind == BP_SRC_SPEND && src->channel >= 0)
		printf(" -> %s", cfg->channels[src->channel].id);
	printf("\n");
	if (!path) {
		printf("      not read: a remote source (check --fetch downloads it)\n");
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
static int check_sources(const bp_config *cfg, const timing *t,
			 const char *fetched, bp_err *err)
{
	bp_funnel *f = bp_funnel_new(t->tz, t->as_of, t->period, cfg->months,
				     (int)cfg->n_channels);
	bp_quality *q = calloc(cfg->n_sources + 1, sizeof(*q));
	bp_ingest *in = NULL;
	size_t i, k;
	int rc = 0;

	if (!f || !q) {
		rc = bp_err_set(err, BP_ESOFTWARE, "out of memory");
		goto out;
	}
	f->mode = (bp_funnel_mode)cfg->funnel_mode;
	in = bp_ingest_new(cfg, f, err);
	if (!in) {
		rc = -1;
		goto out;
	}
	for (k = 0; k < sizeof(read_order) / sizeof(read_order[0]); k++)
		for (i = 0; i < cfg->n_sources; i++) {
			const bp_source *src = &cfg->sources[i];
			char *path;
			int st;

			if (src->kind != read_order[k])
				continue;
			path = fetched ? bp_fetch_path(fetched, src) : bp_source_path(src);
			st = check_source(cfg, in, src, path, &q[i]);
			if (st && !rc)
				rc = st;
			free(path);
		}
out:
	bp_ingest_free(in);
	for (i = 0; q && i < cfg->n_sources; i++)
		bp_quality_clear(&q[i]);
	free(q);
	bp_funnel_free(f);
	return rc;
}

/* Removes the temporary download folder of check --fetch. */
static void remove_fetched(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4400];

	while (d && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void print_config(const bp_config *cfg, const timing *t)
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

static int cmd_check(const options *o)
{
	bp_err err = { 0 };
	bp_config *cfg;
	timing t = { 0 };
	char fetched[] = "/tmp/boardpack-check-XXXXXX";
	int rc = 0, made = 0;

	cfg = bp_config_load(o->config, &err);
	if (!cfg)
		return fail(&err);
	if (resolve_timing(cfg, o, &t, &err) < 0) {
		rc = fail(&err);
		goto out;
	}
	if (o->fetch) {
		/* Into a private folder of its own: check never touches the
		 * cache that run and --offline rely on. */
		if (!mkdtemp(fetched)) {
			bp_err_set(&err, BP_ECANTCREAT, "cannot create '%s': %s",
				   fetched, strerror(errno));
			rc = fail(&err);
			goto out;
		}
		made = 1;
		if (bp_fetch_all(cfg, fetched, 0, &err) < 0) {
			rc = fail(&err);
			goto out;
		}
	}
	print_config(cfg, &t);
	rc = check_sources(cfg, &t, made ? fetched : NULL, &err);
	if (rc < 0)
		rc = fail(&err);
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

/* ---- run ---- */

static char *cache_dir(const bp_config *cfg)
{
	size_t n = strlen(cfg->output_dir) + sizeof("/.cache");
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/.cache", cfg->output_dir);
	return p;
}

/* The file name a source gets in the snapshot: its id plus the extension
 * of its URL (".csv" when it has none). */
static void archive_name(const bp_source *src, char *buf, size_t size)
{
	const char *slash = strrchr(src->url, '/');
	const char *dot = slash ? strrchr(slash, '.') : NULL;
	const char *ext = ".csv";

	if (dot && strlen(dot) <= 5 && !strpbrk(dot, "?#"))
		ext = dot;
	snprintf(buf, size, "%s%s", src->id, ext);
}

/* Puts a download into the snapshot: a hard link when the cache and the
 * snapshot share a file system (no copy of a large export; the cache is
 * only ever replaced by rename, so the snapshot's bytes never change),
 * else a copy. */
static int archive_file(const char *from, const char *to, bp_source_file *sf,
			bp_err *err)
{
	static char buf[1 << 16];
	struct stat st;
	int in = -1, out = -1, rc = -1;
	ssize_t n;

	if (stat(from, &st) < 0)
		return bp_err_set(err, BP_ENOINPUT, "cannot open '%s': %s", from,
				  strerror(errno));
	sf->bytes = (unsigned long long)st.st_size;
	if (link(from, to) == 0)
		return 0;
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		bp_err_set(err, BP_ENOINPUT, "cannot open '%s': %s", from, strerror(errno));
		goto out;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		bp_err_set(err, BP_ECANTCREAT, "cannot create '%s': %s", to, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", to,
				   strerror(errno));
			goto out;
		}
	}
	if (n < 0) {
		bp_err_set(err, BP_ENOINPUT, "cannot read '%s': %s", from, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && rc == 0)
		rc = bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", to,
				strerror(errno));
	return rc;
}

typedef struct run_state {
	const char *from_snapshot; /* read sources from here, not the cache */
	bp_config *cfg;
	timing t;
	char *cache;
	bp_snapshot *snap;
	bp_funnel *funnel;
	bp_ingest *ingest;
	bp_quality *quality;
	bp_source_file *files;
	char (*names)[320];
	xmlDocPtr metrics;
} run_state;

static void run_state_free(run_state *s)
{
	size_t i;

	if (s->quality)
		for (i = 0; i < s->cfg->n_sources; i++)
			bp_quality_clear(&s->quality[i]);
	free(s->quality);
	free(s->files);
	free(s->names);
	xmlFreeDoc(s->metrics);
	bp_ingest_free(s->ingest);
	bp_funnel_free(s->funnel);
	bp_snapshot_abort(s->snap);
	free(s->cache);
	bp_tz_free(s->t.tz);
	bp_config_free(s->cfg);
}

/* Prints what a source's data quality flags, once per warning. */
static void print_warnings(const bp_quality *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->n_warnings; i++)
		bp_log_warn("source '%s' (%s): %s", q->src->id, name,
			    q->warnings[i].text);
}

/* Archives every source into the snapshot and reads it from there, so the
 * numbers come from exactly the bytes that are kept.  Contacts first:
 * deals join to them. */
static int read_sources(run_state *s, bp_err *err)
{
	const bp_config *cfg = s->cfg;
	char dir[4096], path[4400], name[300];
	size_t i, k;

	snprintf(dir, sizeof(dir), "%s/sources", bp_snapshot_tmpdir(s->snap));
	if (mkdir(dir, 0755) < 0)
		return bp_err_set(err, BP_ECANTCREAT, "cannot create '%s': %s", dir,
				  strerror(errno));
	for (i = 0; i < cfg->n_sources; i++) {
		char *from;
		int rc;

		archive_name(&cfg->sources[i], name, sizeof(name));
		if (s->from_snapshot) {
			snprintf(path, sizeof(path), "%s/sources/%s", s->from_snapshot, name);
			from = strdup(path);
		} else {
			from = bp_fetch_path(s->cache, &cfg->sources[i]);
		}
		snprintf(s->names[i], sizeof(s->names[i]), "sources/%s", name);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		s->files[i].src = &cfg->sources[i];
		s->files[i].file = s->names[i];
		rc = from ? archive_file(from, path, &s->files[i], err) :
			    bp_err_set(err, BP_ESOFTWARE, "out of memory");
		free(from);
		if (rc < 0)
			return -1;
	}
	{
		const char **rel = calloc(cfg->n_sources, sizeof(*rel));

		for (i = 0; rel && i < cfg->n_sources; i++)
			rel[i] = s->names[i];
		if (!rel || bp_snapshot_prehash(s->snap, rel, cfg->n_sources) < 0)
			bp_log_debug("hashing the sources at commit instead");
		free(rel);
	}
	for (k = 0; k < sizeof(read_order) / sizeof(read_order[0]); k++) {
		for (i = 0; i < cfg->n_sources; i++) {
			const bp_source *src = &cfg->sources[i];

			if (src->kind != read_order[k])
				continue;
			snprintf(path, sizeof(path), "%s/%s",
				 bp_snapshot_tmpdir(s->snap), s->names[i]);
			display_name(src, name, sizeof(name));
			bp_log_info("reading source '%s' (%s)", src->id, name);
			if (bp_ingest_source(s->ingest, src, path, name,
					     &s->quality[i], err) < 0)
				return -1;
			print_warnings(&s->quality[i], name);
			bp_log_debug("%s: %lld rows read, %lld used", src->id,
				     (long long)s->quality[i].rows_read,
				     (long long)s->quality[i].rows_used);
		}
	}
	return 0;
}

/* Renders report.html, email.html and report.pdf from the templates of
 * the report's language into the snapshot folder `dir`. */
static int render_reports(const bp_config *cfg, xmlDocPtr metrics,
			  const char *dir, bp_time now, bp_err *err)
{
	char tdir[4096], tpl[4200], out[4200];
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	bp_pdf_options opt = { cfg->title, now, cfg->font };
	xmlDocPtr pages;
	int rc;

	exe[n > 0 ? n : 0] = '\0';
	if (cfg->templates) {
		/* The user's own folder, and only it: a copy of one language's
		 * folder, or a folder with one per language. */
		struct stat st;

		snprintf(tdir, sizeof(tdir), "%s/%s", cfg->templates, cfg->language);
		snprintf(tpl, sizeof(tpl), "%s/report.html", tdir);
		if (stat(tpl, &st) < 0)
			snprintf(tdir, sizeof(tdir), "%s", cfg->templates);
		snprintf(tpl, sizeof(tpl), "%s/report.html", tdir);
		if (stat(tpl, &st) < 0)
			return bp_err_at(err, BP_ECONFIG, cfg->path, 0, 0, "template "
					 "folder '%s' has no report.html (nor %s/"
					 "report.html)", cfg->templates, cfg->language);
	} else {
		rc = bp_render_template_dir(NULL, cfg->language, n > 0 ? exe : NULL,
					    tdir, sizeof(tdir), err);
		if (rc < 0)
			return -1;
		if (rc == 1)
			bp_log_warn("no '%s' templates; using English ones",
				    cfg->language);
	}
	snprintf(tpl, sizeof(tpl), "%s/report.html", tdir);
	snprintf(out, sizeof(out), "%s/report.html", dir);
	if (bp_render_html(metrics, tpl, out, err) < 0)
		return -1;
	snprintf(tpl, sizeof(tpl), "%s/email.html", tdir);
	snprintf(out, sizeof(out), "%s/email.html", dir);
	if (bp_render_html(metrics, tpl, out, err) < 0)
		return -1;
	snprintf(tpl, sizeof(tpl), "%s/report.pdf.xml", tdir);
	snprintf(out, sizeof(out), "%s/report.pdf", dir);
	pages = bp_render_expand(metrics, tpl, err);
	if (!pages)
		return -1;
	rc = bp_pdf_write(pages, out, &opt, err);
	xmlFreeDoc(pages);
	return rc;
}

/* Snapshot `dir`'s metrics.xml, or NULL when it cannot be read. */
static xmlDocPtr read_metrics(const char *dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/metrics.xml", dir);
	return xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
			   XML_PARSE_NOWARNING);
}

/* The attribute `name` of the document's run element into buf ("" when
 * absent). */
static void run_attr(xmlDocPtr doc, const char *name, char *buf, size_t size)
{
	xmlNodePtr n;

	buf[0] = '\0';
	for (n = xmlDocGetRootElement(doc)->children; n; n = n->next) {
		xmlChar *v;

		if (n->type != XML_ELEMENT_NODE || strcmp((char *)n->name, "run"))
			continue;
		v = xmlGetProp(n, BAD_CAST name);
		if (v)
			snprintf(buf, size, "%s", (char *)v);
		xmlFree(v);
	}
}

/* The metrics.xml of snapshot `dir` when its as_of is not later than
 * `as_of`, else NULL (unreadable ones are reported and skipped). */
static xmlDocPtr earlier_metrics(const char *dir, bp_time as_of,
				 const bp_tz *tz)
{
	xmlDocPtr doc = read_metrics(dir);
	char text[64];
	bp_time then;

	if (!doc) {
		bp_log_warn("cannot read '%s/metrics.xml': no drift since that "
			    "snapshot", dir);
		return NULL;
	}
	run_attr(doc, "as-of", text, sizeof(text));
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
	bp_err err = { 0 };

	while (prev && !(doc = earlier_metrics(prev, as_of, tz))) {
		char *older = bp_snapshot_previous(cfg->output_dir, prev);

		free(prev);
		prev = older;
	}
	if (!prev)
		return;
	if (bp_model_drift(metrics, doc, strrchr(prev, '/') + 1, &err) < 0)
		bp_log_warn("%s", err.msg);
	else
		bp_log_info("compared with the snapshot %s", prev);
	xmlFreeDoc(doc);
	free(prev);
}

/* 1 when a snapshot of `period` other than `except` records a
 * successful send. */
static int period_sent(const char *output_dir, const char *period,
		       const char *except)
{
	char dir[4096], path[4400];
	DIR *d;
	struct dirent *e;
	int sent = 0;

	snprintf(dir, sizeof(dir), "%s/%s", output_dir, period);
	d = opendir(dir);
	if (!d)
		return 0;
	while (!sent && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (strcmp(path, except) != 0 && bp_mail_was_sent(path))
			sent = 1;
	}
	closedir(d);
	return sent;
}

/* Emails snapshot `dir`.  Returns 0, or -1 with err. */
static int deliver(const bp_config *cfg, const char *dir, const char *period,
		   bp_err *err)
{
	char *report = NULL;

	if (bp_mail_send(cfg, dir, period, &report, err) < 0)
		return -1;
	if (report)
		bp_log_warn("%s", report);
	fprintf(stderr, "boardpack: %s: emailed; the server took it for %s\n",
		period, report ? "some recipients (rejected ones above)" :
		"every recipient");
	free(report);
	return 0;
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
		     t[5] - t[4], rows, bytes, bp_ingest_index_bytes(s->ingest));
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
		s->snap = bp_snapshot_begin(s->cfg->output_dir, period, s->t.now, err);
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
static int snapshot_defaults(options *opt, char period[16], char as_of[64],
			     bp_err *err)
{
	xmlDocPtr doc = read_metrics(opt->from_snapshot);

	if (!doc)
		return bp_err_set(err, BP_ENOINPUT, "cannot read '%s/metrics.xml': "
				  "not a boardpack snapshot", opt->from_snapshot);
	run_attr(doc, "period", period, 16);
	run_attr(doc, "as-of", as_of, 64);
	xmlFreeDoc(doc);
	if (!opt->period && period[0])
		opt->period = period;
	if (!opt->as_of && as_of[0])
		opt->as_of = as_of;
	return 0;
}

/* After a committed snapshot: retention, then the email unless this
 * period was already sent.  Returns the exit status. */
static int after_snapshot(run_state *s, const options *o, const char *period,
			  const char *path)
{
	bp_err err = { 0 };

	if (bp_snapshot_prune(s->cfg->output_dir, s->cfg->keep_months, s->t.now,
			      &err) < 0)
		bp_log_warn("%s", err.msg);
	if (!s->cfg->email || o->no_email)
		return 0;
	if (!o->resend && period_sent(s->cfg->output_dir, period, path)) {
		bp_log_info("%s was already emailed; not sending again "
			    "(--resend to send anyway)", period);
		return 0;
	}
	if (deliver(s->cfg, path, period, &err) < 0)
		return fail(&err);
	return 0;
}

static int cmd_run(const options *o)
{
	run_state s = { 0 };
	bp_err err = { 0 };
	bp_run_info info;
	char period[8];
	char *final = NULL;
	double t[6];
	int rc = 0;

	options opt = *o;
	char snap_period[16], snap_as_of[64];

	t[0] = seconds();
	s.cfg = bp_config_load(o->config, &err);
	if (!s.cfg)
		return fail(&err);
	s.from_snapshot = o->from_snapshot;
	if (o->from_snapshot && snapshot_defaults(&opt, snap_period,
						  snap_as_of, &err) < 0)
		goto failed;
	if (resolve_timing(s.cfg, &opt, &s.t, &err) < 0)
		goto failed;
	bp_month_format(s.t.period, period);
	s.cache = cache_dir(s.cfg);
	s.quality = calloc(s.cfg->n_sources + 1, sizeof(*s.quality));
	s.files = calloc(s.cfg->n_sources + 1, sizeof(*s.files));
	s.names = calloc(s.cfg->n_sources + 1, sizeof(*s.names));
	s.funnel = bp_funnel_new(s.t.tz, s.t.as_of, s.t.period, s.cfg->months,
				 (int)s.cfg->n_channels);
	if (!s.cache || !s.quality || !s.files || !s.names || !s.funnel) {
		bp_err_set(&err, BP_ESOFTWARE, "out of memory");
		goto failed;
	}
	s.funnel->mode = (bp_funnel_mode)s.cfg->funnel_mode;
	s.ingest = bp_ingest_new(s.cfg, s.funnel, &err);
	if (!s.ingest)
		goto failed;

	if (!o->from_snapshot && bp_fetch_all(s.cfg, s.cache, o->offline, &err) < 0)
		goto failed;
	if (begin_snapshot(&s, period, &err) < 0)
		goto failed;
	t[1] = seconds();
	if (read_sources(&s, &err) < 0)
		goto failed;
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
	if (bp_model_write(s.metrics, bp_snapshot_tmpdir(s.snap), &err) < 0)
		goto failed;

	t[3] = seconds();
	if (render_reports(s.cfg, s.metrics, bp_snapshot_tmpdir(s.snap), s.t.now,
			   &err) < 0)
		goto failed;
	t[4] = seconds();
	final = strdup(bp_snapshot_path(s.snap));
	rc = bp_snapshot_commit(s.snap, &err);
	s.snap = NULL;
	if (rc < 0 || !final) {
		if (!final)
			bp_err_set(&err, BP_ESOFTWARE, "out of memory");
		goto failed;
	}
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
	rc = fail(&err);
	run_state_free(&s);
	return rc;
}

/* ---- fetch, verify, send ---- */

static int cmd_fetch(const options *o)
{
	bp_err err = { 0 };
	bp_config *cfg = bp_config_load(o->config, &err);
	char *cache;
	int rc = 0;

	if (!cfg)
		return fail(&err);
	cache = cache_dir(cfg);
	if (!cache)
		bp_err_set(&err, BP_ESOFTWARE, "out of memory");
	if (!cache || bp_fetch_all(cfg, cache, 0, &err) < 0)
		rc = fail(&err);
	else
		printf("%s\n", cache);
	free(cache);
	bp_config_free(cfg);
	return rc;
}

static int cmd_verify(int argc, char **argv, int first)
{
	bp_err err = { 0 };

	if (argc - first != 1)
		return usage_error("%s", "verify takes one SNAPSHOT_DIR");
	if (bp_snapshot_verify(argv[first], &err) < 0)
		return fail(&err);
	printf("%s: every file matches MANIFEST.sha256\n", argv[first]);
	return 0;
}

static int cmd_send(const options *o, int argc, char **argv, int first)
{
	bp_err err = { 0 };
	bp_config *cfg;
	char dir[4096], *slash;
	const char *period;
	int rc = 0;

	if (argc - first != 1)
		return usage_error("%s", "send takes -c FILE and one SNAPSHOT_DIR");
	snprintf(dir, sizeof(dir), "%s", argv[first]);
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	cfg = bp_config_load(o->config, &err);
	if (!cfg)
		return fail(&err);
	if (!cfg->email) {
		bp_err_at(&err, BP_ECONFIG, cfg->path, 0, 0, "no <email> element: "
			  "nowhere to send the report");
		rc = fail(&err);
		goto out;
	}
	/* The layout is <output>/<period>/<stamp>: the parent names the period. */
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	period = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : slash ? dir : "";
	/* Only a complete, unchanged snapshot goes to the board. */
	if (bp_month_parse(period, &(bp_month){ 0 }) < 0) {
		bp_err_set(&err, BP_EUSAGE, "'%s' is not a snapshot folder "
			   "(<output>/<YYYY-MM>/<stamp>)", argv[first]);
		rc = fail(&err);
	} else if (bp_snapshot_verify(argv[first], &err) < 0 ||
		   deliver(cfg, argv[first], period, &err) < 0) {
		rc = fail(&err);
	}
out:
	bp_config_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	options o = { 0 };
	const char *cmd;
	int first = 0, rc;

	if (argc < 2)
		return usage_error("%s", "missing command");
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		fputs("\n", stdout);
		fputs(help_text, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("boardpack %s (commit %s)\n", BP_VERSION, BP_COMMIT);
		return 0;
	}
	if (!isatty(STDERR_FILENO))
		bp_log_set_level(BP_LOG_QUIET);
	rc = parse_options(argc - 1, argv + 1, &o, &first);
	if (rc)
		return rc;
	first += 1;

	LIBXML_TEST_VERSION;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((strcmp(cmd, "run") == 0 || strcmp(cmd, "check") == 0 ||
	     strcmp(cmd, "fetch") == 0) && first < argc)
		rc = usage_error("unexpected argument '%s'", argv[first]);
	else if (o.period && bp_month_parse(o.period, &(bp_month){ 0 }) < 0)
		rc = usage_error("bad --period '%s': expected YYYY-MM, e.g. 2026-10",
				 o.period);
	else if (strcmp(cmd, "run") == 0)
		rc = need_config(&o) ? BP_EUSAGE : cmd_run(&o);
	else if (strcmp(cmd, "check") == 0)
		rc = need_config(&o) ? BP_EUSAGE : cmd_check(&o);
	else if (strcmp(cmd, "fetch") == 0)
		rc = need_config(&o) ? BP_EUSAGE : cmd_fetch(&o);
	else if (strcmp(cmd, "verify") == 0)
		rc = cmd_verify(argc, argv, first);
	else if (strcmp(cmd, "send") == 0)
		rc = need_config(&o) ? BP_EUSAGE : cmd_send(&o, argc, argv, first);
	else
		rc = usage_error("unknown command '%s'", cmd);
	curl_global_cleanup();
	xmlCleanupParser();
	return rc;
}
