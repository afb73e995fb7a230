/*
 * google_ads.c - Google Ads spend: one googleAds:searchStream with a GAQL
 * query for the window, by campaign and day.
 *
 * The answer is a JSON array of batches, int64 values as strings and keys
 * in lowerCamelCase; an error comes as google.rpc.Status, wrapped in the
 * array too, possibly after good batches under HTTP 200.  Rows are the
 * google-ads preset's columns: Day, Campaign, Impr., Clicks, Currency code
 * and Cost (costMicros / 10^6, written exactly as text), so the currency
 * check and the rest of ingest are those of a downloaded report.
 */
#include "conn_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define VERSION "v26"

static char *account(const char *given, char *why, size_t size)
{
	char digits[16];
	size_t n = 0;
	const char *p;

	for (p = given; *p; p++) {
		if (*p == '-')
			continue;
		if (!isdigit((unsigned char)*p) || n >= 10) {
			n = 11;
			break;
		}
		digits[n++] = *p;
	}
	if (n != 10) {
		snprintf(why, size, "a customer id of 10 digits, such as 123-456-7890");
		return NULL;
	}
	digits[n] = '\0';
	return bp_xstrdup(digits);
}

/* The google.rpc.Status of an answer: the object's "error", or that of
 * the first element of the stream's array that has one. */
static json_t *status_of(json_t *j)
{
	size_t i;
	json_t *e;

	if (json_is_object(j))
		return json_object_get(j, "error");
	json_array_foreach(j, i, e)
		if (json_object_get(e, "error"))
			return json_object_get(e, "error");
	return NULL;
}

/* "30s", "1.5s" as milliseconds; 0 when absent. */
static long duration_ms(const char *d)
{
	return d ? (long)(strtod(d, NULL) * 1000) : 0;
}

static void verdict(bp_conn *c, const bp_conn_resp *r, bp_conn_verdict *v)
{
	json_t *st = status_of(r->json);
	json_t *fail = json_array_get(bp_json_at(json_array_get(
			bp_json_at(st, "details", NULL), 0), "errors", NULL), 0);
	json_t *code = bp_json_at(fail, "errorCode", NULL);
	const char *status = bp_json_str(st, "status", NULL);
	const char *msg = bp_json_str(fail, "message", NULL);
	const char *kind = NULL, *what = NULL, *delay;
	long http = json_is_integer(json_object_get(st, "code")) ?
		    (long)json_integer_value(json_object_get(st, "code")) : r->status;

	(void)c;
	if (!st && r->status < 300)
		return;
	if (json_is_object(code) && json_object_size(code)) {
		void *it = json_object_iter(code);

		kind = json_object_iter_key(it);
		what = json_string_value(json_object_iter_value(it));
	}
	if (!msg)
		msg = bp_json_str(st, "message", NULL);
	if (kind)
		snprintf(v->msg, sizeof(v->msg), "Google Ads error %s (%s %s): %s",
			 status ? status : "HTTP", kind, what ? what : "",
			 msg ? msg : "no message");
	else
		snprintf(v->msg, sizeof(v->msg), "Google Ads error %s (HTTP %ld): %s",
			 status ? status : "", http, msg ? msg : "no message");
	delay = bp_json_str(fail, "details", "quotaErrorDetails", "retryDelay", NULL);
	if (http == 401 || (status && !strcmp(status, "UNAUTHENTICATED"))) {
		v->action = BP_CONN_REFRESH;
	} else if (http == 429 || (status && !strcmp(status, "RESOURCE_EXHAUSTED")) ||
		   (kind && !strcmp(kind, "quotaError"))) {
		/* A quota, with or without retryDelay: retried, and when the
		 * retries do not outlast it, a run for later. */
		v->action = BP_CONN_RETRY;
		v->code = BP_ETEMPFAIL;
		v->delay_ms = duration_ms(delay);
	} else if (http >= 500 ||
		   (status && (!strcmp(status, "UNAVAILABLE") ||
			       !strcmp(status, "INTERNAL")))) {
		v->action = BP_CONN_RETRY;
		v->delay_ms = duration_ms(delay);
	} else {
		v->action = BP_CONN_FAIL;
		v->code = http == 403 || http == 400 ? BP_ECONFIG : BP_EUNAVAIL;
		if (http == 403)
			strncat(v->msg, "; check the account, and login-customer-id when "
				"the account is reached through a manager",
				sizeof(v->msg) - strlen(v->msg) - 1);
	}
}

static int fetch(bp_conn *c, bp_err *err)
{
	char *url = bp_xasprintf("%s/" VERSION "/customers/%s/googleAds:searchStream",
				 c->base, c->src->account);
	char *body = bp_xasprintf("{\"query\":\"SELECT customer.currency_code, "
		"customer.time_zone, campaign.id, campaign.name, segments.date, "
		"metrics.cost_micros, metrics.impressions, metrics.clicks FROM "
		"campaign WHERE segments.date BETWEEN '%s' AND '%s' ORDER BY "
		"segments.date, campaign.id\"}", c->w->since, c->w->until);
	char *login = c->src->login_customer_id ?
		      bp_xasprintf("login-customer-id: %s", c->src->login_customer_id) :
		      NULL;
	const char *headers[] = { login, NULL };
	bp_conn_req q = { "POST", url, body, "application/json", headers, 0,
			  "stream", NULL, 0, NULL };
	bp_conn_resp r = { 0 };
	int rc;

	if (c->src->pacing)
		c->interval_ms = 1000;
	rc = bp_conn_call(c, &q, &r, err);
	if (rc == 0 && !json_is_array(r.json))
		rc = bp_conn_fail(c, err, BP_EDATA, "Google Ads answered searchStream "
				  "with something other than an array of batches");
	if (rc == 0) {
		json_t *first = json_array_get(bp_json_at(json_array_get(r.json, 0),
							  "results", NULL), 0);

		bp_conn_meta(c, "time_zone", bp_json_str(first, "customer", "timeZone", NULL));
		bp_conn_meta(c, "currency", bp_json_str(first, "customer", "currencyCode", NULL));
	}
	bp_conn_resp_free(&r);
	free(login);
	free(body);
	free(url);
	return rc < 0 ? -1 : 0;
}

/* A metric proto3 JSON leaves out when it is zero. */
static const char *metric(json_t *row, const char *name)
{
	const char *v = bp_json_str(row, "metrics", name, NULL);

	return v ? v : "0";
}

static int rows(const bp_source *src, const char *dir, const char *currency,
		FILE *out, bp_err *err)
{
	json_t *idx = bp_conn_index(dir, err), *e;
	size_t i, b, k;

	(void)currency;   /* the account's, checked by bp_conn_rows */
	if (!idx)
		return -1;
	fputs("Day,Campaign,Impr.,Clicks,Currency code,Cost\n", out);
	json_array_foreach(json_object_get(idx, "requests"), i, e) {
		json_t *page = bp_conn_page(dir, bp_json_str(e, "file", NULL), err);
		json_t *batch, *row;

		if (!page) {
			json_decref(idx);
			return -1;
		}
		if (!json_is_array(page)) {
			json_decref(page);
			json_decref(idx);
			bp_err_set(err, BP_EDATA, "a searchStream page of source '%s' "
				   "is not an array of batches", src->id);
			return -1;
		}
		json_array_foreach(page, b, batch) {
			json_array_foreach(json_object_get(batch, "results"), k, row) {
				char cost[48];

				bp_conn_micros(metric(row, "costMicros"), cost, sizeof(cost));
				bp_csv_put(out, bp_json_str(row, "segments", "date", NULL), ',');
				bp_csv_put(out, bp_json_str(row, "campaign", "name", NULL), ',');
				bp_csv_put(out, metric(row, "impressions"), ',');
				bp_csv_put(out, metric(row, "clicks"), ',');
				bp_csv_put(out, bp_json_str(row, "customer", "currencyCode", NULL), ',');
				bp_csv_put(out, cost, '\n');
			}
		}
		json_decref(page);
	}
	json_decref(idx);
	return 0;
}

static int probe(bp_conn *c, bp_conn_info *p, bp_err *err)
{
	char *url = bp_xasprintf("%s/" VERSION "/customers/%s/googleAds:searchStream",
				 c->base, c->src->account);
	const char *body = "{\"query\":\"SELECT customer.descriptive_name, "
		"customer.currency_code, customer.time_zone, campaign.id FROM "
		"campaign LIMIT 1\"}";
	char *login = c->src->login_customer_id ?
		      bp_xasprintf("login-customer-id: %s", c->src->login_customer_id) :
		      NULL;
	const char *headers[] = { login, NULL };
	bp_conn_req q = { "POST", url, body, "application/json", headers, 0,
			  NULL, NULL, 0, NULL };
	bp_conn_resp r = { 0 };
	int rc = bp_conn_call(c, &q, &r, err);

	if (rc == 0) {
		json_t *row = json_array_get(bp_json_at(json_array_get(r.json, 0),
							"results", NULL), 0);
		const char *v;

		if ((v = bp_json_str(row, "customer", "descriptiveName", NULL)))
			snprintf(p->name, sizeof(p->name), "%s", v);
		if ((v = bp_json_str(row, "customer", "currencyCode", NULL)))
			snprintf(p->currency, sizeof(p->currency), "%s", v);
		if ((v = bp_json_str(row, "customer", "timeZone", NULL)))
			snprintf(p->timezone, sizeof(p->timezone), "%s", v);
		if (!row)
			snprintf(p->note, sizeof(p->note), "the account has no campaigns");
	}
	bp_conn_resp_free(&r);
	free(login);
	free(url);
	return rc < 0 ? -1 : 0;
}

static const char *const attrs[] = { "login-customer-id", NULL };

const bp_conn_ops bp_conn_google_ads = {
	.name = "google-ads",
	.vendor = "Google Ads",
	.kinds = 1u << BP_SRC_SPEND,
	.preset = "google-ads",
	.base = "https://googleads.googleapis.com",
	.token_url = "https://oauth2.googleapis.com/token",
	.auth_url = "https://accounts.google.com/o/oauth2/v2/auth",
	.scope = "https://www.googleapis.com/auth/adwords",
	.account_what = "customer id, 10 digits (hyphens allowed)",
	.attrs = attrs,
	.account = account,
	.fetch = fetch,
	.rows = rows,
	.probe = probe,
	.verdict = verdict,
};
