/*
 * meta.c - Meta (Facebook) spend: the Marketing API's insights of an ad
 * account at campaign level, one row per campaign and day, following
 * paging.next until it is absent (an empty page may still have one).
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

#include "mem.h"
#include "secret.h"

#define VERSION "v26.0"
#define PAGE_LIMIT 500

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
	} else if (strstr(msg, "reduce the amount of data")) {
		v->action = BP_CONN_RETRY;
		v->halve = 1;
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

static int fetch(bp_conn *c, bp_err *err)
{
	char *tok = bp_conn_escape(c->token);
	char *range = bp_xasprintf("%%7B%%22since%%22%%3A%%22%s%%22%%2C%%22until%%22"
				   "%%3A%%22%s%%22%%7D", c->w->since, c->w->until);
	char *url = bp_xasprintf("%s/" VERSION "/act_%s/insights?level=campaign"
				 "&time_increment=1&time_range=%s&fields=campaign_id,"
				 "campaign_name,spend,impressions,inline_link_clicks,"
				 "account_currency&limit=%d&access_token=%s", c->base,
				 c->src->account, range, PAGE_LIMIT, tok);
	int rc = 0, limit = PAGE_LIMIT;

	if (c->src->pacing)
		c->interval_ms = 500;
	while (url) {
		bp_conn_req q = { "GET", url, NULL, NULL, NULL, 1, "insights", NULL,
				  0, NULL };
		bp_conn_resp r = { 0 };
		const char *next;

		rc = bp_conn_call(c, &q, &r, err);
		if (rc == 1 && limit > 1) {
			/* "Please reduce the amount of data": the same page,
			 * smaller. */
			char *smaller = with_limit(url, limit /= 2);

			bp_secret_free(url);
			url = smaller;
			continue;
		}
		bp_secret_free(url);
		url = NULL;
		if (rc != 0) {
			if (rc > 0)
				rc = bp_conn_fail(c, err, BP_EUNAVAIL, "Meta keeps asking "
						  "for less data, even one row at a time");
			break;
		}
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
		if (!c->meta || !json_object_get(c->meta, "currency"))
			bp_conn_meta(c, "currency", bp_json_str(json_array_get(
				json_object_get(r.json, "data"), 0), "account_currency", NULL));
		bp_conn_resp_free(&r);
	}
	bp_secret_free(url);
	free(range);
	bp_secret_free(tok);
	return rc < 0 ? -1 : 0;
}

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
	if (rc == 0) {
		const char *v;

		if ((v = bp_json_str(r.json, "name", NULL)))
			snprintf(p->name, sizeof(p->name), "%s", v);
		if ((v = bp_json_str(r.json, "currency", NULL)))
			snprintf(p->currency, sizeof(p->currency), "%s", v);
		if ((v = bp_json_str(r.json, "timezone_name", NULL)))
			snprintf(p->timezone, sizeof(p->timezone), "%s", v);
	}
	bp_conn_resp_free(&r);
	bp_secret_free(url);
	bp_secret_free(tok);
	return rc < 0 ? -1 : 0;
}

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
