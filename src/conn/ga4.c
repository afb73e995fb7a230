/*
 * ga4.c - GA4 traffic: the Data API's runReport of one property by date
 * and sessionDefaultChannelGroup, paged with limit/offset until rowCount.
 *
 * Rows are positional: each value is matched to its dimensionHeaders or
 * metricHeaders name, never assumed by place.  Dates are the property's
 * (its time zone is in the answer's metadata, recorded in the index).
 * Rows are the ga4 preset's columns: Date, Session default channel group,
 * Sessions, Engaged sessions, New users.
 */
#include "conn_int.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define PAGE_ROWS 100000
#define MAX_PAGE_ROWS 250000   /* the API's largest limit */
#define CHANNEL "sessionDefaultChannelGroup"

/* Rows asked per runReport.  BOARDPACK_GA4_PAGE_ROWS sets it, for tests
 * only: the demo's few thousand rows then take several pages. */
static long page_rows(void)
{
	const char *v = getenv("BOARDPACK_GA4_PAGE_ROWS");
	long n = v ? strtol(v, NULL, 10) : 0;

	return n > 0 && n <= MAX_PAGE_ROWS ? n : PAGE_ROWS;
}

static char *account(const char *given, char *why, size_t size)
{
	const char *d = strncmp(given, "properties/", 11) ? given : given + 11;
	size_t n = strspn(d, "0123456789");

	if (n == 0 || d[n] || n > 20) {
		snprintf(why, size, "a GA4 property id of digits, such as 123456789");
		return NULL;
	}
	return bp_xstrdup(d);
}

static void verdict(bp_conn *c, const bp_conn_resp *r, bp_conn_verdict *v)
{
	json_t *e = bp_json_at(r->json, "error", NULL);
	const char *status = bp_json_str(e, "status", NULL);
	const char *msg = bp_json_str(e, "message", NULL);

	(void)c;
	if (r->status < 400)
		return;
	snprintf(v->msg, sizeof(v->msg), "GA4 error %s (HTTP %ld): %s",
		 status ? status : "?", r->status, msg ? msg : "no message");
	if ((status && !strcmp(status, "RESOURCE_EXHAUSTED")) || r->status == 429) {
		/* Hourly tokens come back within the hour, daily ones at
		 * midnight Pacific: either way a later run, if retries fail. */
		v->action = BP_CONN_RETRY;
		v->code = BP_ETEMPFAIL;
	} else if (r->status == 401) {
		v->action = BP_CONN_REFRESH;
	} else if (r->status < 500 && r->status != 429) {
		v->action = BP_CONN_FAIL;
		v->code = BP_ECONFIG;
		if (r->status == 403)
			strncat(v->msg, ": add the service account or user as a Viewer "
				"of the property", sizeof(v->msg) - strlen(v->msg) - 1);
	}
}

static char *report_body(const char *since, const char *until, long limit,
			 long offset)
{
	return bp_xasprintf("{\"dateRanges\":[{\"startDate\":\"%s\",\"endDate\":"
		"\"%s\"}],\"dimensions\":[{\"name\":\"date\"},{\"name\":\"" CHANNEL
		"\"}],\"metrics\":[{\"name\":\"sessions\"},{\"name\":"
		"\"engagedSessions\"},{\"name\":\"newUsers\"}],\"orderBys\":["
		"{\"dimension\":{\"dimensionName\":\"date\"}},{\"dimension\":"
		"{\"dimensionName\":\"" CHANNEL "\"}}],\"limit\":\"%ld\","
		"\"offset\":\"%ld\",\"keepEmptyRows\":false}", since, until, limit,
		offset);
}

static int fetch(bp_conn *c, bp_err *err)
{
	char *url = bp_xasprintf("%s/v1beta/properties/%s:runReport", c->base,
				 c->src->account);
	long offset = 0, count = 0, limit = page_rows();
	int rc = 0;

	if (c->src->pacing)
		c->interval_ms = 500;
	do {
		char *body = report_body(c->w->since, c->w->until, limit, offset);
		bp_conn_req q = { "POST", url, body, "application/json", NULL, 0,
				  "report", NULL, 0, NULL };
		bp_conn_resp r = { 0 };
		json_t *rc_j;

		rc = bp_conn_call(c, &q, &r, err);
		free(body);
		if (rc != 0)
			break;
		rc_j = json_object_get(r.json, "rowCount");
		count = json_is_integer(rc_j) ? (long)json_integer_value(rc_j) :
			json_is_string(rc_j) ? atol(json_string_value(rc_j)) : 0;
		if (offset == 0) {
			bp_conn_meta(c, "time_zone", bp_json_str(r.json, "metadata",
								"timeZone", NULL));
			bp_conn_meta(c, "currency", bp_json_str(r.json, "metadata",
							       "currencyCode", NULL));
		}
		bp_conn_resp_free(&r);
		offset += limit;
	} while (offset < count);
	free(url);
	return rc != 0 ? -1 : 0;
}

/* The position of header `name` in headers[], or -1. */
static int position(json_t *headers, const char *name)
{
	size_t i;
	json_t *h;

	json_array_foreach(headers, i, h) {
		const char *n = bp_json_str(h, "name", NULL);

		if (n && !strcmp(n, name))
			return (int)i;
	}
	return -1;
}

static const char *value(json_t *row, const char *list, int i)
{
	return i < 0 ? NULL : bp_json_str(json_array_get(json_object_get(row, list),
						    (size_t)i), "value", NULL);
}

/* The kept pages as the preset's CSV.  Every connector's rows() walks the
 * pull's index the same way (conn.c keeps the walk's parts); what differs
 * is the vendor's fields, which is why each has its own. */
static int rows(const bp_source *src, const char *dir, const char *currency,
		FILE *out, bp_err *err)
{
	json_t *idx = bp_conn_index(dir, err), *e, *row;
	size_t i, k;

	(void)currency;   /* the account's, checked by bp_conn_rows */
	if (!idx)
		return -1;
	fputs("Date,Session default channel group,Sessions,Engaged sessions,"
	      "New users\n", out);
	json_array_foreach(json_object_get(idx, "requests"), i, e) {
		json_t *page = bp_conn_page(dir, bp_json_str(e, "file", NULL), err);
		json_t *dims = json_object_get(page, "dimensionHeaders");
		json_t *mets = json_object_get(page, "metricHeaders");
		int d = position(dims, "date"), ch = position(dims, CHANNEL);
		int se = position(mets, "sessions"), en = position(mets, "engagedSessions");
		int nu = position(mets, "newUsers");

		if (!page) {
			json_decref(idx);
			return -1;
		}
		if (json_array_size(json_object_get(page, "rows")) && (d < 0 || ch < 0 || se < 0)) {
			json_decref(page);
			json_decref(idx);
			return bp_err_set(err, BP_EDATA, "a runReport page of source '%s' "
					  "lacks the date, channel group or sessions "
					  "column", src->id);
		}
		json_array_foreach(json_object_get(page, "rows"), k, row) {
			bp_csv_put(out, value(row, "dimensionValues", d), ',');
			bp_csv_put(out, value(row, "dimensionValues", ch), ',');
			bp_csv_put(out, value(row, "metricValues", se), ',');
			bp_csv_put(out, value(row, "metricValues", en), ',');
			bp_csv_put(out, value(row, "metricValues", nu), '\n');
		}
		json_decref(page);
	}
	json_decref(idx);
	return 0;
}

static int probe(bp_conn *c, bp_conn_info *p, bp_err *err)
{
	char *url = bp_xasprintf("%s/v1beta/properties/%s:runReport", c->base,
				 c->src->account);
	char *body = report_body("yesterday", "today", 1, 0);
	bp_conn_req q = { "POST", url, body, "application/json", NULL, 0, NULL,
			  NULL, 0, NULL };
	bp_conn_resp r = { 0 };
	int rc = bp_conn_call(c, &q, &r, err);

	if (rc == 0) {
		snprintf(p->name, sizeof(p->name), "property %s", c->src->account);
		bp_conn_info_set(p, NULL,
				 bp_json_str(r.json, "metadata", "currencyCode", NULL),
				 bp_json_str(r.json, "metadata", "timeZone", NULL));
	}
	bp_conn_resp_free(&r);
	free(body);
	free(url);
	return rc < 0 ? -1 : 0;
}

/* The operations table: the same fields in every connector by design
 * (conn_int.h), as curl's protocol handlers are. */
const bp_conn_ops bp_conn_ga4 = {
	.name = "ga4",
	.vendor = "GA4",
	.kinds = 1u << BP_SRC_TRAFFIC,
	.preset = "ga4",
	.base = "https://analyticsdata.googleapis.com",
	.token_url = "https://oauth2.googleapis.com/token",
	.auth_url = "https://accounts.google.com/o/oauth2/v2/auth",
	.scope = "https://www.googleapis.com/auth/analytics.readonly",
	.account_what = "property id, digits",
	.account = account,
	.fetch = fetch,
	.rows = rows,
	.probe = probe,
	.verdict = verdict,
};
