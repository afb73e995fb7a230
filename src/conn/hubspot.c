/*
 * hubspot.c - HubSpot contacts and deals: the CRM v3 list endpoints, or
 * for large portals (method="export") the CRM Exports API.
 *
 * Both ask for the properties the hubspot preset reads, by their API
 * names, and rows writes them as columns of those names: a stage date is
 * hs_v2_date_entered_<stage> when HubSpot has it, else the older
 * hs_lifecyclestage_<stage>_date (one column, so a contact whose new
 * property is empty keeps its old date), and the associations become
 * "Associated Deal IDs" / "Associated Contact IDs", each id once (HubSpot
 * lists a labelled association twice).
 */
#include "conn_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zip.h>

#include "csv.h"
#include "log.h"
#include "mem.h"
#include "net.h"

#define LIST_LIMIT 100
/* 190 requests per 10 s for a private app; CONNECTORS.md: stay at 9/s. */
#define PACE_MS 112
#define POLL_MAX_MS 10000L
#define DOWNLOAD_TRIES 3

static const char *const stages[] = { "lead", "marketingqualifiedlead",
	"salesqualifiedlead", "opportunity", "customer", "evangelist" };
#define N_STAGES (sizeof(stages) / sizeof(stages[0]))

/* The columns of the rows, in order; for contacts, a stage column after
 * the fixed ones per stage, then the associations. */
static const char *const contact_cols[] = { "hs_object_id", "createdate",
	"lifecyclestage", "hs_analytics_source", "hs_analytics_source_data_1",
	"hs_analytics_source_data_2" };
#define N_CONTACT_COLS 6
static const char *const deal_cols[] = { "hs_object_id", "dealname",
	"dealstage", "closedate", "amount", "createdate", "pipeline",
	"deal_currency_code" };
#define N_DEAL_COLS 8

typedef struct kind {
	const char *object;       /* "contacts" */
	const char *export_type;  /* "CONTACT" */
	const char *other;        /* the associated object: "deals" */
	const char *other_type;   /* "DEAL" */
	const char *assoc_col;    /* "Associated Deal IDs" */
	const char *const *cols;
	size_t n_cols;
	int stages;               /* has the stage columns */
} kind;

static const kind contacts_kind = { "contacts", "CONTACT", "deals", "DEAL",
	"Associated Deal IDs", contact_cols, N_CONTACT_COLS, 1 };
static const kind deals_kind = { "deals", "DEAL", "contacts", "CONTACT",
	"Associated Contact IDs", deal_cols, N_DEAL_COLS, 0 };

static const kind *kind_of(const bp_source *src)
{
	return src->kind == BP_SRC_DEALS ? &deals_kind : &contacts_kind;
}

/* Every property asked for: the columns, and both stage families. */
static char *property_list(const kind *k, const char *sep)
{
	char *s = bp_xstrdup(""), *n;
	size_t i;

	for (i = 0; i < k->n_cols; i++) {
		n = bp_xasprintf("%s%s%s", s, i ? sep : "", k->cols[i]);
		free(s);
		s = n;
	}
	for (i = 0; k->stages && i < N_STAGES; i++) {
		n = bp_xasprintf("%s%shs_v2_date_entered_%s%shs_lifecyclestage_%s_date",
				 s, sep, stages[i], sep, stages[i]);
		free(s);
		s = n;
	}
	return s;
}

/* ---- errors ------------------------------------------------------------ */

static void verdict(bp_conn *c, const bp_conn_resp *r, bp_conn_verdict *v)
{
	const char *msg = bp_json_str(r->json, "message", NULL);
	const char *policy = bp_json_str(r->json, "policyName", NULL);
	const char *cat = bp_json_str(r->json, "category", NULL);

	(void)c;
	if (!msg)
		msg = "no message";
	if (r->status == 429) {
		if (policy && !strcmp(policy, "DAILY")) {
			v->action = BP_CONN_FAIL;
			v->code = BP_ETEMPFAIL;
			snprintf(v->msg, sizeof(v->msg), "HubSpot's daily API limit is "
				 "spent (DAILY: %s): try again after midnight in the "
				 "portal's time zone", msg);
			return;
		}
		v->action = BP_CONN_RETRY;
		v->code = BP_ETEMPFAIL;
		/* The window is ten seconds (one for search): wait it out when
		 * HubSpot says nothing, scaled like every other backoff. */
		if (r->retry_after_s > 0)
			v->delay_ms = r->retry_after_s * 1000;
		else
			v->delay_ms = (policy && !strcmp(policy, "SECONDLY") ? 1 : 10) *
				      c->base_ms;
		snprintf(v->msg, sizeof(v->msg), "HubSpot rate limit (%s: %s)",
			 policy ? policy : "429", msg);
	} else if (r->status == 401 || r->status == 530) {
		v->action = BP_CONN_REFRESH;
		snprintf(v->msg, sizeof(v->msg), "HubSpot refused the access token "
			 "(%s: %s)", cat ? cat : "HTTP 401", msg);
	} else if (r->status >= 400 && r->status < 500) {
		v->action = BP_CONN_FAIL;
		v->code = r->status == 403 ? BP_ECONFIG : BP_EUNAVAIL;
		snprintf(v->msg, sizeof(v->msg), "HubSpot answered HTTP %ld (%s: %s)%s",
			 r->status, cat ? cat : "error", msg, r->status == 403 ?
			 ": the token lacks a scope (crm.objects.contacts.read, "
			 "crm.objects.deals.read, crm.export)" : "");
	}
}

/* ---- the list endpoint ------------------------------------------------- */

static int fetch_list(bp_conn *c, const kind *k, bp_err *err)
{
	char *props = property_list(k, ",");
	char *after = NULL;
	int rc = 0;

	do {
		char *url = bp_xasprintf("%s/crm/v3/objects/%s?limit=%d&archived=false"
					 "&properties=%s&associations=%s%s%s",
					 c->base, k->object, LIST_LIMIT, props,
					 k->other, after ? "&after=" : "",
					 after ? after : "");
		bp_conn_req q = { "GET", url, NULL, NULL, NULL, 0, k->object, NULL,
				  0, NULL };
		bp_conn_resp r = { 0 };
		const char *next;

		rc = bp_conn_call(c, &q, &r, err);
		free(url);
		free(after);
		after = NULL;
		if (rc < 0)
			break;
		if (!json_is_array(json_object_get(r.json, "results"))) {
			rc = bp_conn_fail(c, err, BP_EDATA, "HubSpot's %s page %s has no "
					  "results array", k->object, r.file);
			bp_conn_resp_free(&r);
			break;
		}
		/* Already URL-encoded by HubSpot: sent as it is. */
		next = bp_json_str(r.json, "paging", "next", "after", NULL);
		after = next ? bp_xstrdup(next) : NULL;
		bp_conn_resp_free(&r);
		if (c->pages % 50 == 0)
			bp_log_progress("fetching %s: %u pages", c->src->id, c->pages);
	} while (after);
	bp_log_progress_done();
	free(after);
	free(props);
	return rc < 0 ? -1 : 0;
}

/* ---- the exports API --------------------------------------------------- */

static int start_export(bp_conn *c, const kind *k, char **task, bp_err *err)
{
	char *props = property_list(k, "\",\"");
	char *body = bp_xasprintf("{\"exportType\":\"VIEW\",\"exportName\":"
				  "\"boardpack-%s\",\"format\":\"CSV\",\"language\":"
				  "\"EN\",\"objectType\":\"%s\",\"objectProperties\":"
				  "[\"%s\"],\"associatedObjectType\":\"%s\","
				  "\"exportInternalValuesOptions\":[\"NAMES\",\"VALUES\"]}",
				  k->object, k->export_type, props, k->other_type);
	char *url = bp_xasprintf("%s/crm/v3/exports/export/async", c->base);
	bp_conn_req q = { "POST", url, body, "application/json", NULL, 0,
			  "export-start", NULL, 0, NULL };
	bp_conn_resp r = { 0 };
	char id[64];
	int rc = bp_conn_call(c, &q, &r, err);

	if (rc == 0) {
		bp_json_text(bp_json_at(r.json, "id", NULL), id, sizeof(id));
		if (!id[0] || strpbrk(id, "/?#&"))
			rc = bp_conn_fail(c, err, BP_EDATA, "HubSpot started an export "
					  "without a task id");
		else
			*task = bp_xstrdup(id);
	}
	bp_conn_resp_free(&r);
	free(url);
	free(body);
	free(props);
	return rc < 0 ? -1 : 0;
}

/* Polls the task until COMPLETE; *result gets the download URL (a
 * credential of its own: never kept or shown with its query). */
static int poll_export(bp_conn *c, const char *task, char **result, bp_err *err)
{
	char *url = bp_xasprintf("%s/crm/v3/exports/export/async/tasks/%s/status",
				 c->base, task);
	long wait = c->base_ms, waited = 0;
	long limit = c->src->timeout_s > 0 ? c->src->timeout_s * 1000L : 300000L;
	int rc = -1;

	for (;;) {
		bp_conn_req q = { "GET", url, NULL, NULL, NULL, 0, NULL, NULL, 0,
				  NULL };
		bp_conn_resp r = { 0 };
		const char *st, *res;

		if (bp_conn_call(c, &q, &r, err) < 0)
			break;
		st = bp_json_str(r.json, "status", NULL);
		res = bp_json_str(r.json, "result", NULL);
		if (st && !strcmp(st, "COMPLETE") && res) {
			*result = bp_xstrdup(res);
			bp_conn_resp_free(&r);
			rc = 0;
			break;
		}
		if (!st || !strcmp(st, "CANCELED") || !strcmp(st, "COMPLETE")) {
			char m[300];

			bp_json_text(bp_json_at(json_array_get(json_object_get(r.json,
				     "errors"), 0), "message", NULL), m, sizeof(m));
			bp_conn_fail(c, err, st ? BP_EUNAVAIL : BP_EDATA, "HubSpot's "
				     "export %s %s%s%s%s", task, st ? "ended " : "has no status",
				     st ? st : "", m[0] ? ": " : "", m);
			bp_conn_resp_free(&r);
			break;
		}
		bp_conn_resp_free(&r);
		if (waited > limit) {
			bp_conn_fail(c, err, BP_ETEMPFAIL, "HubSpot's export %s is "
				     "still %s after %ld s: try again later", task, st,
				     waited / 1000);
			break;
		}
		bp_conn_poll_sleep(&wait, &waited, POLL_MAX_MS);
	}
	free(url);
	return rc;
}

/* The first bytes of the download: a zip ("PK\3\4") or the CSV itself. */
static int is_zip(const char *path)
{
	unsigned char head[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC), z;

	z = fd >= 0 && read(fd, head, 4) == 4 && !memcmp(head, "PK\3\4", 4);
	if (fd >= 0)
		close(fd);
	return z;
}

static int fetch_export(bp_conn *c, const kind *k, bp_err *err)
{
	char *task = NULL, *result = NULL, *tmp, *final;
	int tries, rc = -1;

	if (start_export(c, k, &task, err) < 0)
		return -1;
	for (tries = 0; tries < DOWNLOAD_TRIES; tries++) {
		/* No Authorization: the URL is pre-signed, and the bearer
		 * token must not travel to the file host. */
		bp_conn_req q = { "GET", NULL, NULL, NULL, NULL, 1, NULL,
				  "export.download", 1, NULL };
		bp_conn_resp r = { 0 };
		long status;

		free(result);
		result = NULL;
		if (poll_export(c, task, &result, err) < 0)
			goto out;
		q.url = result;
		if (bp_conn_call(c, &q, &r, err) < 0)
			goto out;
		status = r.status;
		bp_conn_resp_free(&r);
		if (status == 200)
			break;
		/* The URL lives five minutes after the status that gave it:
		 * a fresh poll gives a fresh one. */
		bp_log_debug("source '%s': export download answered HTTP %ld, "
			     "asking for a fresh URL", c->src->id, status);
		if (tries + 1 == DOWNLOAD_TRIES) {
			bp_conn_fail(c, err, BP_EUNAVAIL, "HubSpot's export file could "
				     "not be downloaded (HTTP %ld, %d attempts)",
				     status, DOWNLOAD_TRIES);
			goto out;
		}
	}
	tmp = bp_xasprintf("%s/export.download", c->dir);
	final = bp_xasprintf("%s/export.%s", c->dir, is_zip(tmp) ? "zip" : "csv");
	if (rename(tmp, final) < 0) {
		bp_conn_fail(c, err, BP_ECANTCREAT, "cannot rename '%s': %s", tmp,
			     strerror(errno));
	} else {
		char *url = bp_conn_redact(result);
		struct stat st;

		stat(final, &st);
		json_array_append_new(c->index, json_pack("{s:s, s:s, s:s, s:i, s:I}",
			"file", strrchr(final, '/') + 1, "method", "GET", "url", url,
			"status", 200, "bytes", (json_int_t)st.st_size));
		free(url);
		rc = 0;
	}
	free(tmp);
	free(final);
out:
	free(task);
	free(result);
	return rc;
}

static int fetch(bp_conn *c, bp_err *err)
{
	const kind *k = kind_of(c->src);

	if (c->src->pacing)
		c->interval_ms = PACE_MS;
	return c->src->export_method ? fetch_export(c, k, err)
				     : fetch_list(c, k, err);
}

/* ---- rows --------------------------------------------------------------- */

static void put_header(FILE *out, const kind *k)
{
	size_t i;

	for (i = 0; i < k->n_cols; i++)
		bp_csv_put(out, k->cols[i], ',');
	for (i = 0; k->stages && i < N_STAGES; i++) {
		char name[64];

		snprintf(name, sizeof(name), "hs_v2_date_entered_%s", stages[i]);
		bp_csv_put(out, name, ',');
	}
	bp_csv_put(out, k->assoc_col, '\n');
}

/* Appends id to the ';'-separated list unless it is there already. */
static void add_id(char **list, const char *id)
{
	size_t n = strlen(id);
	const char *p = *list;
	char *s;

	while (p && *p) {
		size_t k = strcspn(p, ";");

		if (k == n && !strncmp(p, id, n))
			return;
		p += k + (p[k] == ';');
	}
	s = bp_xasprintf("%s%s%s", *list ? *list : "", *list && **list ? ";" : "", id);
	free(*list);
	*list = s;
}

static const char *prop(json_t *rec, const char *name)
{
	return bp_json_str(rec, "properties", name, NULL);
}

/* A deal of a multi-currency portal in another currency than the
 * report's stops the rows: there is no rate to convert with. */
static int deal_currency(const kind *k, const char *id, const char *code,
			 const char *currency, bp_err *err)
{
	if (k != &deals_kind || !currency || !code || !*code ||
	    !strcasecmp(code, currency))
		return 0;
	return bp_err_set(err, BP_EDATA, "HubSpot deal %.40s is in %.16s "
			  "(deal_currency_code) but the report currency is %s: "
			  "boardpack does not convert; set report/@currency=\"%.16s\", "
			  "or change the deal's currency in HubSpot", id ? id : "?",
			  code, currency, code);
}

static int put_record(FILE *out, const kind *k, json_t *rec,
		      const char *currency, bp_err *err)
{
	char id[40], name[64], *assoc = NULL;
	json_t *list = bp_json_at(rec, "associations", k->other, "results", NULL);
	size_t i;
	json_t *a;

	if (deal_currency(k, bp_json_text(json_object_get(rec, "id"), id,
					  sizeof(id)),
			  prop(rec, "deal_currency_code"), currency, err) < 0)
		return -1;
	for (i = 0; i < k->n_cols; i++) {
		const char *v = prop(rec, k->cols[i]);

		if (!v && i == 0)
			v = bp_json_text(json_object_get(rec, "id"), id, sizeof(id));
		bp_csv_put(out, v, ',');
	}
	for (i = 0; k->stages && i < N_STAGES; i++) {
		const char *v;

		snprintf(name, sizeof(name), "hs_v2_date_entered_%s", stages[i]);
		v = prop(rec, name);
		if (!v || !*v) {
			snprintf(name, sizeof(name), "hs_lifecyclestage_%s_date", stages[i]);
			v = prop(rec, name);
		}
		bp_csv_put(out, v, ',');
	}
	json_array_foreach(list, i, a) {
		char aid[40];

		if (*bp_json_text(json_object_get(a, "id"), aid, sizeof(aid)))
			add_id(&assoc, aid);
	}
	bp_csv_put(out, assoc, '\n');
	free(assoc);
	return 0;
}

static int rows_pages(const bp_source *src, const kind *k, const char *dir,
		      json_t *reqs, const char *currency, FILE *out, bp_err *err)
{
	size_t i, j;
	json_t *e, *rec;
	char suffix[32];

	snprintf(suffix, sizeof(suffix), "-%s.json", k->object);
	json_array_foreach(reqs, i, e) {
		const char *file = bp_json_str(e, "file", NULL);
		size_t n = file ? strlen(file) : 0;
		json_t *page, *results;

		if (n < strlen(suffix) || strcmp(file + n - strlen(suffix), suffix))
			continue;
		if (!(page = bp_conn_page(dir, file, err)))
			return -1;
		results = json_object_get(page, "results");
		if (!json_is_array(results)) {
			json_decref(page);
			bp_err_source(err, src->id);
			return bp_err_at(err, BP_EDATA, file, 0, 0, "HubSpot page "
					 "without a results array (source '%s')", src->id);
		}
		json_array_foreach(results, j, rec)
			if (put_record(out, k, rec, currency, err) < 0) {
				json_decref(page);
				return -1;
			}
		json_decref(page);
	}
	return 0;
}

/* ---- rows of an export file --------------------------------------------- */

/* "1705521304281" (epoch milliseconds, the VALUES form) as ISO 8601 UTC. */
static const char *iso_of_ms(const char *v, size_t n, char *buf, size_t size)
{
	long long ms;
	time_t t;
	struct tm tm;
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)v[i]))
			return NULL;
	if (n < 10 || n > 15)
		return NULL;
	ms = strtoll(v, NULL, 10);
	t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
		 tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100,
		 (int)(ms % 1000));
	return buf;
}

static int is_date_prop(const char *name)
{
	return !strcmp(name, "createdate") || !strcmp(name, "closedate") ||
	       !strncmp(name, "hs_v2_date_entered_", 19) ||
	       !strncmp(name, "hs_lifecyclestage_", 18);
}

typedef struct xcols {
	const kind *k;
	int col[N_DEAL_COLS + 2 * N_STAGES + 1];  /* -1: absent */
	char names[N_DEAL_COLS + 2 * N_STAGES + 1][64];
	size_t n;
} xcols;

static int has_id_col(void *ctx, const bp_field *f, size_t n)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < n; i++)
		if (f[i].n == 12 && !strncasecmp(f[i].p, "hs_object_id", 12))
			return 1;
	return 0;
}

static void map_export(xcols *x, const bp_field *f, size_t n)
{
	size_t i, j;

	x->n = 0;
	for (i = 0; i < x->k->n_cols; i++)
		snprintf(x->names[x->n++], 64, "%s", x->k->cols[i]);
	for (i = 0; x->k->stages && i < N_STAGES; i++) {
		snprintf(x->names[x->n++], 64, "hs_v2_date_entered_%s", stages[i]);
		snprintf(x->names[x->n++], 64, "hs_lifecyclestage_%s_date", stages[i]);
	}
	x->names[x->n++][0] = '\0';   /* the associations: any "Associated ..." */
	for (j = 0; j < x->n; j++) {
		x->col[j] = -1;
		for (i = 0; i < n; i++)
			if (x->names[j][0] ? strlen(x->names[j]) == f[i].n &&
			    !strncasecmp(f[i].p, x->names[j], f[i].n) :
			    (f[i].n > 11 && !strncasecmp(f[i].p, "Associated ", 11)))
				x->col[j] = (int)i;
	}
}

static const char *cell(const xcols *x, size_t j, bp_field *f, size_t n,
			char *buf, size_t size)
{
	const char *iso;
	int c = x->col[j];

	if (c < 0 || (size_t)c >= n)
		return "";
	if (is_date_prop(x->names[j]) &&
	    (iso = iso_of_ms(f[c].p, f[c].n, buf, size)))
		return iso;
	return f[c].p;
}

static int put_export_record(FILE *out, const xcols *x, bp_field *f,
			     size_t n, const char *currency, bp_err *err)
{
	char buf[64], alt[64];
	size_t i, j = 0;

	/* Deals: the id is the first column, the currency the last. */
	if (x->k == &deals_kind &&
	    deal_currency(x->k, cell(x, 0, f, n, buf, sizeof(buf)),
			  cell(x, N_DEAL_COLS - 1, f, n, alt, sizeof(alt)),
			  currency, err) < 0)
		return -1;
	for (i = 0; i < x->k->n_cols; i++, j++)
		bp_csv_put(out, cell(x, j, f, n, buf, sizeof(buf)), ',');
	for (i = 0; x->k->stages && i < N_STAGES; i++, j += 2) {
		const char *v = cell(x, j, f, n, buf, sizeof(buf));

		bp_csv_put(out, *v ? v : cell(x, j + 1, f, n, alt, sizeof(alt)), ',');
	}
	/* The export separates ids with ';' (or ','): kept as it is. */
	bp_csv_put(out, cell(x, j, f, n, buf, sizeof(buf)), '\n');
	return 0;
}

static int rows_csv(const bp_source *src, const kind *k, const char *path,
		    const char *name, const char *currency, FILE *out,
		    bp_err *err)
{
	bp_csv *r = bp_csv_open(path, name, err);
	bp_field *f;
	size_t n;
	xcols x = { .k = k };
	int rc;

	if (!r)
		return -1;
	rc = bp_csv_header(r, has_id_col, NULL, 5, &f, &n, err);
	if (rc == 0) {
		map_export(&x, f, n);
		while ((rc = bp_csv_next(r, &f, &n, err)) > 0)
			if (put_export_record(out, &x, f, n, currency, err) < 0) {
				rc = -1;
				break;
			}
	}
	bp_csv_close(r);
	if (rc < 0)
		bp_err_source(err, src->id);
	return rc < 0 ? -1 : 0;
}

/* Each CSV of the zip in name order (HubSpot splits a large export in
 * parts), through an unnamed file so that memory stays flat. */
static int rows_zip(const bp_source *src, const kind *k, const char *path,
		    const char *currency, FILE *out, bp_err *err)
{
	int zerr = 0, rc = 0;
	zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
	zip_int64_t i, n;
	char **names = NULL;

	if (!z)
		return bp_err_at(err, BP_EDATA, path, 0, 0, "HubSpot's export is not "
				 "a readable zip (libzip error %d)", zerr);
	n = zip_get_num_entries(z, 0);
	names = bp_xcalloc((size_t)n + 1, sizeof(*names));
	for (i = 0; i < n; i++)
		names[i] = bp_xstrdup(zip_get_name(z, (zip_uint64_t)i, 0));
	qsort(names, (size_t)n, sizeof(*names),
	      (int (*)(const void *, const void *))strcmp);
	for (i = 0; i < n && rc == 0; i++) {
		zip_file_t *zf = zip_fopen(z, names[i], 0);
		char buf[65536], proc[64];
		zip_int64_t got;
		FILE *tmp = tmpfile();

		if (!zf || !tmp) {
			rc = bp_err_at(err, BP_EDATA, path, 0, 0, "cannot read '%s' in "
				       "HubSpot's export", names[i]);
		} else {
			while ((got = zip_fread(zf, buf, sizeof(buf))) > 0)
				fwrite(buf, 1, (size_t)got, tmp);
			if (got < 0 || fflush(tmp) != 0)
				rc = bp_err_at(err, BP_EDATA, path, 0, 0, "cannot "
					       "inflate '%s' in HubSpot's export",
					       names[i]);
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(tmp));
			if (rc == 0)
				rc = rows_csv(src, k, proc, names[i], currency,
					      out, err);
		}
		if (zf)
			zip_fclose(zf);
		if (tmp)
			fclose(tmp);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	zip_discard(z);
	return rc;
}

/* The kept pages as the preset's CSV.  Every connector's rows() walks the
 * pull's index the same way (conn.c keeps the walk's parts); what differs
 * is the vendor's fields, which is why each has its own. */
static int rows(const bp_source *src, const char *dir, const char *currency,
		FILE *out, bp_err *err)
{
	const kind *k = kind_of(src);
	json_t *idx = bp_conn_index(dir, err), *e;
	json_t *reqs = json_object_get(idx, "requests");
	size_t i;
	int rc = 0, exported = 0;

	if (!idx)
		return -1;
	put_header(out, k);
	json_array_foreach(reqs, i, e) {
		const char *file = bp_json_str(e, "file", NULL);
		char *path;

		if (!file || (strcmp(file, "export.zip") && strcmp(file, "export.csv")))
			continue;
		exported = 1;
		path = bp_xasprintf("%s/%s", dir, file);
		rc = !strcmp(file, "export.zip") ?
		     rows_zip(src, k, path, currency, out, err) :
		     rows_csv(src, k, path, path, currency, out, err);
		free(path);
		break;
	}
	if (!exported)
		rc = rows_pages(src, k, dir, reqs, currency, out, err);
	json_decref(idx);
	return rc;
}

static int probe(bp_conn *c, bp_conn_info *p, bp_err *err)
{
	const kind *k = kind_of(c->src);
	char *url = bp_xasprintf("%s/crm/v3/objects/%s?limit=1", c->base, k->object);
	bp_conn_req q = { "GET", url, NULL, NULL, NULL, 0, NULL, NULL, 0, NULL };
	bp_conn_resp r = { 0 };
	int rc = bp_conn_call(c, &q, &r, err);

	if (rc == 0)
		snprintf(p->note, sizeof(p->note), "the token reads %s", k->object);
	snprintf(p->timezone, sizeof(p->timezone), "UTC instants");
	bp_conn_resp_free(&r);
	free(url);
	return rc < 0 ? -1 : 0;
}

static const char *const attrs[] = { "method", NULL };

/* The operations table: the same fields in every connector by design
 * (conn_int.h), as curl's protocol handlers are. */
const bp_conn_ops bp_conn_hubspot = {
	.name = "hubspot",
	.vendor = "HubSpot",
	.kinds = 1u << BP_SRC_CONTACTS | 1u << BP_SRC_DEALS,
	.preset = "hubspot",
	.base = "https://api.hubapi.com",
	.token_url = "https://api.hubapi.com/oauth/v1/token",
	.auth_url = "https://app.hubspot.com/oauth/authorize",
	/* A HubSpot app's redirect URL must match exactly. */
	.redirect_uri = "http://localhost:8765/",
	.scope = "crm.objects.contacts.read crm.objects.deals.read crm.export",
	.account_what = NULL,
	.attrs = attrs,
	.account = NULL,
	.fetch = fetch,
	.rows = rows,
	.probe = probe,
	.verdict = verdict,
};
