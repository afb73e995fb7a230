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
 *
 * Segmented by date, the API leaves out a campaign's days without
 * impressions, which a downloaded report lists with a cost of 0; a second
 * query lists the account's campaigns (without metrics, so none is left
 * out), and rows writes those days back as zeros: a paused campaign keeps
 * its place, with spend 0, among the period's campaigns.
 */
#include "conn_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
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
	if (rc == 0) {
		q.body = "{\"query\":\"SELECT campaign.id, campaign.name, "
			 "campaign.status FROM campaign WHERE campaign.status != "
			 "'REMOVED' ORDER BY campaign.id\"}";
		q.keep = "campaigns";
		rc = bp_conn_call(c, &q, &r, err);
		if (rc == 0 && !json_is_array(r.json))
			rc = bp_conn_fail(c, err, BP_EDATA, "Google Ads answered the "
					  "campaigns' searchStream with something other "
					  "than an array of batches");
		bp_conn_resp_free(&r);
	}
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

/* The page of index entry `e` when its name ends "-<what>.json". */
static json_t *page_of(const char *dir, json_t *e, const char *what,
		       bp_err *err, int *bad)
{
	const char *file = bp_json_str(e, "file", NULL);
	size_t n = file ? strlen(file) : 0, k = strlen(what);
	json_t *page;

	*bad = 0;
	if (n < k + 6 || strncmp(file + n - k - 5, what, k) ||
	    file[n - k - 6] != '-' || strcmp(file + n - 5, ".json"))
		return NULL;
	if (!(page = bp_conn_page(dir, file, err)) || !json_is_array(page)) {
		if (page)
			bp_err_set(err, BP_EDATA, "searchStream page '%s' is not an "
				   "array of batches", file);
		json_decref(page);
		*bad = 1;
		return NULL;
	}
	return page;
}

static void put_row(FILE *out, const char *day, const char *campaign,
		    const char *impressions, const char *clicks,
		    const char *currency, const char *cost)
{
	bp_csv_put(out, day, ',');
	bp_csv_put(out, campaign, ',');
	bp_csv_put(out, impressions, ',');
	bp_csv_put(out, clicks, ',');
	bp_csv_put(out, currency, ',');
	bp_csv_put(out, cost, '\n');
}

/* Day `i` of the window [since, ...] as text. */
static void day_text(int64_t first, int64_t i, char out[16])
{
	int y, m, d;

	bp_civil_from_days(first + i, &y, &m, &d);
	snprintf(out, 16, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
}

/* The zero rows of the window's days a listed campaign has no row for. */
static void put_zero_days(FILE *out, json_t *page, json_t *seen,
			  const char *since, const char *until,
			  const char *currency)
{
	int64_t first = bp_days_from_civil(atoi(since), atoi(since + 5),
					   atoi(since + 8));
	int64_t days = bp_days_from_civil(atoi(until), atoi(until + 5),
					  atoi(until + 8)) - first + 1;
	size_t b, k;
	json_t *batch, *row;

	json_array_foreach(page, b, batch) {
		json_array_foreach(json_object_get(batch, "results"), k, row) {
			const char *id = bp_json_str(row, "campaign", "id", NULL);
			const char *name = bp_json_str(row, "campaign", "name", NULL);
			int64_t i;

			for (i = 0; id && name && i < days && i < 40000; i++) {
				char day[16], key[96];

				day_text(first, i, day);
				snprintf(key, sizeof(key), "%s|%s", day, id);
				if (!json_object_get(seen, key))
					put_row(out, day, name, "0", "0", currency,
						"0.000000");
			}
		}
	}
}

/* The kept pages as the preset's CSV.  Every connector's rows() walks the
 * pull's index the same way (conn.c keeps the walk's parts); what differs
 * is the vendor's fields, which is why each has its own. */
static int rows(const bp_source *src, const char *dir, const char *currency,
		FILE *out, bp_err *err)
{
	json_t *idx = bp_conn_index(dir, err), *e, *seen;
	const char *cur, *since, *until;
	size_t i, b, k;
	int bad;

	(void)currency;   /* the account's, checked by bp_conn_rows */
	if (!idx)
		return -1;
	seen = json_object();
	cur = bp_json_str(idx, "meta", "currency", NULL);
	since = bp_json_str(idx, "since", NULL);
	until = bp_json_str(idx, "until", NULL);
	fputs("Day,Campaign,Impr.,Clicks,Currency code,Cost\n", out);
	json_array_foreach(json_object_get(idx, "requests"), i, e) {
		json_t *page = page_of(dir, e, "stream", err, &bad), *batch, *row;

		if (bad)
			goto fail;
		json_array_foreach(page, b, batch) {
			json_array_foreach(json_object_get(batch, "results"), k, row) {
				const char *day = bp_json_str(row, "segments", "date", NULL);
				const char *id = bp_json_str(row, "campaign", "id", NULL);
				char cost[48], key[96];

				bp_conn_micros(metric(row, "costMicros"), cost, sizeof(cost));
				put_row(out, day, bp_json_str(row, "campaign", "name", NULL),
					metric(row, "impressions"), metric(row, "clicks"),
					bp_json_str(row, "customer", "currencyCode", NULL),
					cost);
				snprintf(key, sizeof(key), "%s|%s", day ? day : "",
					 id ? id : "");
				json_object_set_new(seen, key, json_true());
			}
		}
		json_decref(page);
	}
	if (since && until && strlen(since) == 10 && strlen(until) == 10)
		json_array_foreach(json_object_get(idx, "requests"), i, e) {
			json_t *page = page_of(dir, e, "campaigns", err, &bad);

			if (bad)
				goto fail;
			put_zero_days(out, page, seen, since, until, cur);
			json_decref(page);
		}
	json_decref(seen);
	json_decref(idx);
	return 0;
fail:
	bp_err_source(err, src->id);
	json_decref(seen);
	json_decref(idx);
	return -1;
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

		bp_conn_info_set(p, bp_json_str(row, "customer", "descriptiveName", NULL),
				 bp_json_str(row, "customer", "currencyCode", NULL),
				 bp_json_str(row, "customer", "timeZone", NULL));
		if (!row)
			snprintf(p->note, sizeof(p->note), "the account has no campaigns");
	}
	bp_conn_resp_free(&r);
	free(login);
	free(url);
	return rc < 0 ? -1 : 0;
}

static const char *const attrs[] = { "login-customer-id", NULL };

/* The operations table: the same fields in every connector by design
 * (conn_int.h), as curl's protocol handlers are. */
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
