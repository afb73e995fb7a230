/*
 * meta.c - Meta (Facebook) spend: the Marketing API's insights of an ad
 * account at campaign level, one row per campaign and day, following
 * paging.next until it is absent (an empty page may still have one).
 * The request filters on every campaign.effective_status, archived and
 * deleted too: without the filter Meta leaves those campaigns out and the
 * spend falls short of Ads Manager's.  A synchronous call that times out
 * (100/1504018, 2/1504038) is asked again as an asynchronous report run,
 * polled until "Job Completed" (a failed run is started again) and read
 * the same way.
 *
 * The token travels as the access_token parameter, as Meta's own SDK
 * sends it; the paging links Meta returns carry it too, so neither they
 * nor any URL is ever logged, and the kept pages have it replaced.
 * Rows are the meta preset's columns: Reporting starts, Campaign name,
 * Impressions, Link clicks, Currency, Amount spent.
 */
#include "conn_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "secret.h"

#define VERSION "v26.0"
#define PAGE_LIMIT 500
#define RUN_TRIES 3
#define POLL_MAX_MS 30000L
/* campaign.effective_status values a campaign may have had in a window. */
#define FILTERING "[{\"field\":\"campaign.effective_status\",\"operator\":" \
	"\"IN\",\"value\":[\"ACTIVE\",\"PAUSED\",\"ARCHIVED\",\"DELETED\"," \
	"\"IN_PROCESS\",\"WITH_ISSUES\"]}]"

static char *account(const char *given, char *why, size_t size)
{
	const char *d = strncmp(given, "act_", 4) ? given : given + 4;
	size_t n = strspn(d, "0123456789");

	if (n == 0 || d[n] || n > 20) {
		snprintf(why, size, "an ad account id: act_ and digits, or the digits");
		return NULL;
	}
	return bp_xstrdup(d);
}

static int rate_code(long code)
{
	return code == 4 || code == 17 || code == 32 || code == 613 ||
	       (code >= 80000 && code <= 80008);
}

/* Minutes Meta says the account needs before it may ask again, from
 * X-Business-Use-Case-Usage; 0 when it does not say. */
static long regain_minutes(const bp_conn_resp *r)
{
	char buf[4096];
	json_t *j, *v, *e;
	const char *k;
	size_t i;
	long most = 0;

	if (!bp_conn_header(r, "X-Business-Use-Case-Usage", buf, sizeof(buf)))
		return 0;
	j = json_loads(buf, 0, NULL);
	json_object_foreach(j, k, v) {
		json_array_foreach(v, i, e) {
			json_t *m = json_object_get(e, "estimated_time_to_regain_access");

			if (json_is_integer(m) && json_integer_value(m) > most)
				most = (long)json_integer_value(m);
		}
	}
	json_decref(j);
	return most;
}

static void verdict(bp_conn *c, const bp_conn_resp *r, bp_conn_verdict *v)
{
	json_t *e = bp_json_at(r->json, "error", NULL);
	json_t *jc = json_object_get(e, "code"), *js = json_object_get(e, "error_subcode");
	long code = json_is_integer(jc) ? (long)json_integer_value(jc) : 0;
	long sub = json_is_integer(js) ? (long)json_integer_value(js) : 0;
	const char *msg = bp_json_str(e, "message", NULL);

	(void)c;
	if (!e)
		return;
	if (!msg)
		msg = "no message";
	if (sub)
		snprintf(v->msg, sizeof(v->msg), "Meta error %ld/%ld: %s", code, sub, msg);
	else
		snprintf(v->msg, sizeof(v->msg), "Meta error %ld: %s", code, msg);
	if (code == 190) {
		v->action = BP_CONN_FAIL;
		v->code = BP_ECONFIG;
		strncat(v->msg, ": the access token is expired or invalid: generate a "
			"new system user token (Business Settings, System users, with "
			"ads_read) and put it where token-env or token-file says",
			sizeof(v->msg) - strlen(v->msg) - 1);
	} else if (rate_code(code)) {
		v->action = BP_CONN_RETRY;
		v->code = BP_ETEMPFAIL;
		v->delay_ms = regain_minutes(r) * 60000L;
	} else if ((code == 100 && sub == 1504018) || (code == 2 && sub == 1504038)) {
		/* "Request Timed Out": the same request would time out again;
		 * Meta's advice is a smaller range or an async report run. */
		v->action = BP_CONN_RETRY;
		v->less = BP_CONN_LESS_WAIT;
	} else if (strstr(msg, "reduce the amount of data")) {
		v->action = BP_CONN_RETRY;
		v->less = BP_CONN_LESS_ROWS;
	} else if (json_is_true(json_object_get(e, "is_transient")) ||
		   r->status >= 500 || code == 1 || code == 2) {
		v->action = BP_CONN_RETRY;
	} else {
		v->action = BP_CONN_FAIL;
		v->code = BP_ECONFIG;
	}
}

/* `url` with its limit parameter set to `limit` (allocated). */
static char *with_limit(const char *url, int limit)
{
	const char *p = strstr(url, "limit=");
	size_t k;

	while (p && p != url && p[-1] != '?' && p[-1] != '&')
		p = strstr(p + 1, "limit=");
	if (!p)
		return bp_xasprintf("%s&limit=%d", url, limit);
	k = strspn(p + 6, "0123456789");
	return bp_xasprintf("%.*slimit=%d%s", (int)(p - url), url, limit, p + 6 + k);
}

/* Forgets the pages kept after the first `mark` requests of the index
 * (a listing that is asked again another way). */
static void forget_pages(bp_conn *c, size_t mark)
{
	while (json_array_size(c->index) > mark) {
		size_t last = json_array_size(c->index) - 1;
		const char *file = bp_json_str(json_array_get(c->index, last),
					       "file", NULL);

		if (file) {
			char *p = bp_xasprintf("%s/%s", c->dir, file);

			unlink(p);
			free(p);
		}
		json_array_remove(c->index, last);
	}
}

/* Reads a listing of insights from `url` on, page by page through
 * paging.next.  Returns 0, -1 with err, or 1 when Meta timed out (the
 * pages read so far are forgotten: the caller asks another way). */
static int listing(bp_conn *c, char *url, bp_err *err)
{
	size_t mark = json_array_size(c->index);
	int rc = 0, limit = PAGE_LIMIT;

	while (url) {
		bp_conn_req q = { "GET", url, NULL, NULL, NULL, 1, "insights", NULL,
				  0, NULL };
		bp_conn_resp r = { 0 };
		const char *next;

		rc = bp_conn_call(c, &q, &r, err);
		if (rc == 1 && c->less == BP_CONN_LESS_ROWS && limit > 1) {
			/* "Please reduce the amount of data": the same page,
			 * smaller. */
			char *smaller = with_limit(url, limit /= 2);

			bp_secret_free(url);
			url = smaller;
			continue;
		}
		bp_secret_free(url);
		url = NULL;
		if (rc == 1 && c->less == BP_CONN_LESS_WAIT) {
			forget_pages(c, mark);
			return 1;
		}
		if (rc != 0) {
			if (rc > 0)
				rc = bp_conn_fail(c, err, BP_EUNAVAIL, "Meta keeps asking "
						  "for less data, even one row at a time");
			break;
		}
		/* Checked as linkedin.c checks its pages: each vendor names its
		 * own array and cursor, so the check stays at the call. */
		if (!json_is_array(json_object_get(r.json, "data"))) {
			rc = bp_conn_fail(c, err, BP_EDATA, "Meta answered insights "
					  "without a data array");
			bp_conn_resp_free(&r);
			break;
		}
		next = bp_json_str(r.json, "paging", "next", NULL);
		if (next && strncmp(next, "https://", 8) &&
		    !(c->src->insecure_http && !strncmp(next, "http://", 7))) {
			rc = bp_conn_fail(c, err, BP_EDATA, "Meta's paging.next is not "
					  "an https:// URL");
			bp_conn_resp_free(&r);
			break;
		}
		url = next ? bp_xstrdup(next) : NULL;
		if (!json_object_get(c->meta, "currency"))
			bp_conn_meta(c, "currency", bp_json_str(json_array_get(
				json_object_get(r.json, "data"), 0), "account_currency", NULL));
		bp_conn_resp_free(&r);
	}
	bp_secret_free(url);
	return rc < 0 ? -1 : 0;
}

/* Polls report run `id` until it is done.  Returns 0 (Job Completed), 1
 * (Job Failed or Skipped: start another), or -1 with err. */
static int await_run(bp_conn *c, const char *id, const char *tok, bp_err *err)
{
	char *url = bp_xasprintf("%s/" VERSION "/%s?access_token=%s", c->base, id,
				 tok);
	long wait = c->base_ms, waited = 0;
	long most = c->src->timeout_s > 0 ? c->src->timeout_s * 1000L : 300000L;
	int rc = -1;

	for (;;) {
		bp_conn_req q = { "GET", url, NULL, NULL, NULL, 1, NULL, NULL, 0,
				  NULL };
		bp_conn_resp r = { 0 };
		const char *st;
		json_t *pct;

		if (bp_conn_call(c, &q, &r, err) != 0) {
			if (!err->code)
				bp_conn_fail(c, err, BP_EUNAVAIL, "Meta's report run %s "
					     "could not be polled", id);
			break;
		}
		st = bp_json_str(r.json, "async_status", NULL);
		pct = json_object_get(r.json, "async_percent_completion");
		if (st && !strcmp(st, "Job Completed") &&
		    (!json_is_integer(pct) || json_integer_value(pct) == 100)) {
			bp_conn_resp_free(&r);
			rc = 0;
			break;
		}
		if (!st || !strcmp(st, "Job Failed") || !strcmp(st, "Job Skipped")) {
			bp_log_debug("source '%s': Meta's report run %s: %s",
				     c->src->id, id, st ? st : "no async_status");
			bp_conn_resp_free(&r);
			rc = 1;
			break;
		}
		bp_conn_resp_free(&r);
		if (waited > most) {
			bp_conn_fail(c, err, BP_ETEMPFAIL, "Meta's report run %s is "
				     "still '%s' after %ld s: try again later", id, st,
				     waited / 1000);
			break;
		}
		bp_conn_poll_sleep(&wait, &waited, POLL_MAX_MS);
	}
	bp_secret_free(url);
	return rc;
}

/* The window as an asynchronous report run: started, polled until done
 * (one that fails is started again, as Meta advises), then read like the
 * synchronous listing. */
static int report_run(bp_conn *c, const char *params, const char *tok,
		      bp_err *err)
{
	char *url = bp_xasprintf("%s/" VERSION "/act_%s/insights", c->base,
				 c->src->account);
	char *body = bp_xasprintf("%s&access_token=%s", params, tok);
	int tries, rc = -1;

	for (tries = 0; tries < RUN_TRIES; tries++) {
		bp_conn_req q = { "POST", url, body,
				  "application/x-www-form-urlencoded", NULL, 1, NULL,
				  NULL, 0, NULL };
		bp_conn_resp r = { 0 };
		char id[64];

		if (bp_conn_call(c, &q, &r, err) != 0) {
			if (!err->code)
				bp_conn_fail(c, err, BP_EUNAVAIL, "Meta refused to start "
					     "a report run");
			break;
		}
		bp_json_text(json_object_get(r.json, "report_run_id"), id, sizeof(id));
		bp_conn_resp_free(&r);
		if (!id[0] || strspn(id, "0123456789") != strlen(id)) {
			bp_conn_fail(c, err, BP_EDATA, "Meta started a report run "
				     "without a report_run_id");
			break;
		}
		bp_log_debug("source '%s': Meta report run %s started", c->src->id, id);
		rc = await_run(c, id, tok, err);
		if (rc == 0) {
			rc = listing(c, bp_xasprintf("%s/" VERSION "/%s/insights?limit=%d"
						     "&access_token=%s", c->base, id,
						     PAGE_LIMIT, tok), err);
			if (rc > 0)
				rc = bp_conn_fail(c, err, BP_EUNAVAIL, "Meta timed out "
						  "reading report run %s", id);
			break;
		}
		if (rc < 0)
			break;
		rc = -1;
	}
	if (tries == RUN_TRIES)
		bp_conn_fail(c, err, BP_EUNAVAIL, "Meta's report runs failed %d times "
			     "(Job Failed): try again later", RUN_TRIES);
	bp_secret_free(body);
	free(url);
	return rc;
}

static int fetch(bp_conn *c, bp_err *err)
{
	char *tok = bp_conn_escape(c->token);
	char *range = bp_xasprintf("{\"since\":\"%s\",\"until\":\"%s\"}",
				   c->w->since, c->w->until);
	char *erange = bp_conn_escape(range), *efilter = bp_conn_escape(FILTERING);
	/* Every campaign the account had: archived and deleted ones drop out
	 * of insights unless the filter names them. */
	char *params = bp_xasprintf("level=campaign&time_increment=1&time_range=%s"
				    "&fields=campaign_id,campaign_name,spend,"
				    "impressions,inline_link_clicks,account_currency"
				    "&filtering=%s", erange, efilter);
	int rc;

	if (c->src->pacing)
		c->interval_ms = 500;
	rc = listing(c, bp_xasprintf("%s/" VERSION "/act_%s/insights?%s&limit=%d"
				     "&access_token=%s", c->base, c->src->account,
				     params, PAGE_LIMIT, tok), err);
	if (rc > 0) {
		bp_log_debug("source '%s': Meta timed out: asking for an async "
			     "report run", c->src->id);
		rc = report_run(c, params, tok, err);
	}
	free(params);
	free(efilter);
	free(erange);
	free(range);
	bp_secret_free(tok);
	return rc < 0 ? -1 : 0;
}

/* The kept pages as the preset's CSV.  Every connector's rows() walks the
 * pull's index the same way (conn.c keeps the walk's parts); what differs
 * is the vendor's fields, which is why each has its own. */
static int rows(const bp_source *src, const char *dir, const char *currency,
		FILE *out, bp_err *err)
{
	json_t *idx = bp_conn_index(dir, err), *e, *d;
	size_t i, k;

	(void)currency;   /* the account's, checked by bp_conn_rows */
	if (!idx)
		return -1;
	fputs("Reporting starts,Campaign name,Impressions,Link clicks,Currency,"
	      "Amount spent\n", out);
	json_array_foreach(json_object_get(idx, "requests"), i, e) {
		json_t *page = bp_conn_page(dir, bp_json_str(e, "file", NULL), err);
		json_t *data = json_object_get(page, "data");

		if (!page || !json_is_array(data)) {
			if (page)
				bp_err_set(err, BP_EDATA, "an insights page of source '%s' "
					   "has no data array", src->id);
			json_decref(page);
			json_decref(idx);
			return -1;
		}
		json_array_foreach(data, k, d) {
			bp_csv_put(out, bp_json_str(d, "date_start", NULL), ',');
			bp_csv_put(out, bp_json_str(d, "campaign_name", NULL), ',');
			bp_csv_put(out, bp_json_str(d, "impressions", NULL), ',');
			bp_csv_put(out, bp_json_str(d, "inline_link_clicks", NULL), ',');
			bp_csv_put(out, bp_json_str(d, "account_currency", NULL), ',');
			bp_csv_put(out, bp_json_str(d, "spend", NULL), '\n');
		}
		json_decref(page);
	}
	json_decref(idx);
	return 0;
}

static int probe(bp_conn *c, bp_conn_info *p, bp_err *err)
{
	char *tok = bp_conn_escape(c->token);
	char *url = bp_xasprintf("%s/" VERSION "/act_%s?fields=name,currency,"
				 "timezone_name&access_token=%s", c->base,
				 c->src->account, tok);
	bp_conn_req q = { "GET", url, NULL, NULL, NULL, 1, NULL, NULL, 0, NULL };
	bp_conn_resp r = { 0 };
	int rc;

	/* The account object has no data array: only errors matter. */
	rc = bp_conn_call(c, &q, &r, err);
	if (rc == 0)
		bp_conn_info_set(p, bp_json_str(r.json, "name", NULL),
				 bp_json_str(r.json, "currency", NULL),
				 bp_json_str(r.json, "timezone_name", NULL));
	bp_conn_resp_free(&r);
	bp_secret_free(url);
	bp_secret_free(tok);
	return rc < 0 ? -1 : 0;
}

/* The operations table: the same fields in every connector by design
 * (conn_int.h), as curl's protocol handlers are. */
const bp_conn_ops bp_conn_meta_ads = {
	.name = "meta",
	.vendor = "Meta",
	.kinds = 1u << BP_SRC_SPEND,
	.preset = "meta",
	.base = "https://graph.facebook.com",
	.token_url = NULL,
	.auth_url = NULL,
	.scope = "ads_read",
	.account_what = "ad account id, act_123... or the digits",
	.account = account,
	.fetch = fetch,
	.rows = rows,
	.probe = probe,
	.verdict = verdict,
};
