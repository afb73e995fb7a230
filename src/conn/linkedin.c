/*
 * linkedin.c - LinkedIn spend: adAnalytics of one sponsored account,
 * pivoted by campaign, daily, with the query built by hand in Rest.li 2.0
 * (structure characters literal, only the URN inside percent-encoded:
 * a standard encoder's "%28" is refused), the mandatory LinkedIn-Version
 * and X-Restli-Protocol-Version headers, and one request per calendar
 * month: adAnalytics silently keeps 15,000 elements, so a month that
 * reaches the cap is asked for again by week, then by day.
 *
 * adAnalytics names a campaign only by its URN in pivotValues; the names
 * come from adCampaigns (every status: a campaign archived since it spent
 * still has its name), paged with pageToken, and rows joins the two on
 * the URN's numeric id.  Days are UTC; the currency is the account's
 * (adAccounts/{id}).  Rows are the linkedin preset's columns: Start Date
 * (in UTC), Campaign Name, Impressions, Clicks, Total Spent
 * (costInLocalCurrency, as text), Currency.
 */
#include "conn_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "mem.h"

#define DEFAULT_VERSION "202603"
#define ELEMENT_CAP 15000
#define CAMPAIGN_PAGE 1000
/* Every status a campaign can have, so that none drops out of the names. */
#define STATUSES "List(ACTIVE,PAUSED,ARCHIVED,COMPLETED,CANCELED,DRAFT," \
	"PENDING_DELETION,REMOVED)"

/* The cap adAnalytics truncates at.  BOARDPACK_LINKEDIN_MAX_ELEMENTS
 * lowers it, for tests only (a mock that truncates at 10 elements shows
 * the splitting by week and day without 15,000 of them). */
static long element_cap(void)
{
	const char *v = getenv("BOARDPACK_LINKEDIN_MAX_ELEMENTS");
	long n = v ? strtol(v, NULL, 10) : 0;

	return n > 0 && n < ELEMENT_CAP ? n : ELEMENT_CAP;
}

static char *account(const char *given, char *why, size_t size)
{
	const char *d = strncmp(given, "urn:li:sponsoredAccount:", 24) ? given
								       : given + 24;
	size_t n = strspn(d, "0123456789");

	if (n == 0 || d[n] || n > 20) {
		snprintf(why, size, "a sponsored account id of digits, such as 507404993");
		return NULL;
	}
	return bp_xstrdup(d);
}

char *bp_restli_urn(const char *urn)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = bp_xmalloc(3 * strlen(urn) + 1), *o = out;

	/* Everything but unreserved characters: ':' above all, which Rest.li
	 * would read as structure. */
	for (; *urn; urn++) {
		unsigned char ch = (unsigned char)*urn;

		if (isalnum(ch) || strchr("-._~", ch)) {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}

void bp_restli_range(const char *since, const char *until, char *buf,
		     size_t size)
{
	snprintf(buf, size, "(start:(year:%d,month:%d,day:%d),end:(year:%d,"
		 "month:%d,day:%d))", atoi(since), atoi(since + 5), atoi(since + 8),
		 atoi(until), atoi(until + 5), atoi(until + 8));
}

static void verdict(bp_conn *c, const bp_conn_resp *r, bp_conn_verdict *v)
{
	const char *code = bp_json_str(r->json, "code", NULL);
	const char *msg = bp_json_str(r->json, "message", NULL);

	if (r->status < 400)
		return;
	snprintf(v->msg, sizeof(v->msg), "LinkedIn error %s (HTTP %ld): %s",
		 code ? code : "?", r->status, msg ? msg : "no message");
	if (r->status == 429) {
		if (msg && strstr(msg, " DAY ")) {
			v->action = BP_CONN_FAIL;
			v->code = BP_ETEMPFAIL;
			strncat(v->msg, ": the daily limit resets at midnight UTC; try "
				"again later", sizeof(v->msg) - strlen(v->msg) - 1);
		}
	} else if (r->status == 401) {
		v->action = BP_CONN_REFRESH;
	} else if (r->status == 426) {
		v->action = BP_CONN_FAIL;
		v->code = BP_ECONFIG;
		snprintf(v->msg + strlen(v->msg), sizeof(v->msg) - strlen(v->msg),
			 ": set linkedin-version to a current LinkedIn-Version "
			 "(it is %s)", c->src->linkedin_version ?
			 c->src->linkedin_version : DEFAULT_VERSION);
	} else if (r->status < 500) {
		v->action = BP_CONN_FAIL;
		v->code = BP_ECONFIG;
	}
}

static const char *version(const bp_conn *c)
{
	return c->src->linkedin_version ? c->src->linkedin_version : DEFAULT_VERSION;
}

/* One span's analytics; kept unless it reached the cap (*full set). */
static int span(bp_conn *c, const char *since, const char *until, int *full,
		bp_err *err)
{
	char range[128], vh[64];
	char *urn = bp_xasprintf("urn:li:sponsoredAccount:%s", c->src->account);
	char *enc = bp_restli_urn(urn);
	char *url;
	const char *headers[] = { vh, "X-Restli-Protocol-Version: 2.0.0", NULL };
	bp_conn_req q = { "GET", NULL, NULL, NULL, headers, 0, "analytics", NULL,
			  0, NULL };
	bp_conn_resp r = { 0 };
	json_t *el;
	int rc;

	snprintf(vh, sizeof(vh), "LinkedIn-Version: %s", version(c));
	bp_restli_range(since, until, range, sizeof(range));
	url = bp_xasprintf("%s/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&"
			   "timeGranularity=DAILY&dateRange=%s&accounts=List(%s)&"
			   "fields=dateRange,pivotValues,costInLocalCurrency,"
			   "impressions,clicks", c->base, range, enc);
	q.url = url;
	q.keep = NULL;
	rc = bp_conn_call(c, &q, &r, err);
	el = json_object_get(r.json, "elements");
	*full = 0;
	if (rc == 0 && !json_is_array(el))
		rc = bp_conn_fail(c, err, BP_EDATA, "LinkedIn answered adAnalytics "
				  "without an elements array");
	else if (rc == 0 && json_array_size(el) >= (size_t)element_cap())
		*full = 1;
	else if (rc == 0) {
		q.keep = "analytics";
		rc = bp_conn_keep(c, &q, &r, err);
	}
	bp_conn_resp_free(&r);
	free(url);
	free(enc);
	free(urn);
	return rc < 0 ? -1 : 0;
}

static void day_text(int64_t days, char out[16])
{
	int y, m, d;

	bp_civil_from_days(days, &y, &m, &d);
	snprintf(out, 16, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
}

static int64_t days_of(const char *s)
{
	return bp_days_from_civil(atoi(s), atoi(s + 5), atoi(s + 8));
}

/* [from, to] in pieces of `step` days (31: calendar months), each split
 * further when it comes back at the cap. */
static int pull(bp_conn *c, int64_t from, int64_t to, int step, bp_err *err)
{
	while (from <= to) {
		int64_t end;
		char a[16], b[16];
		int full;

		if (step == 31) {
			int y, m, d;

			bp_civil_from_days(from, &y, &m, &d);
			end = bp_days_from_civil(y, m + 1, 1) - 1;
		} else {
			end = from + step - 1;
		}
		if (end > to)
			end = to;
		day_text(from, a);
		day_text(end, b);
		if (span(c, a, b, &full, err) < 0)
			return -1;
		if (full && step == 1)
			return bp_conn_fail(c, err, BP_EDATA, "LinkedIn returned %ld "
					    "elements for the single day %s: more "
					    "campaigns than adAnalytics can report",
					    element_cap(), a);
		if (full && pull(c, from, end, step == 31 ? 7 : 1, err) < 0)
			return -1;
		from = end + 1;
	}
	return 0;
}

/* Every campaign of the account, page by page (pageToken), kept as the
 * "campaigns" pages rows takes the names from. */
static int campaigns(bp_conn *c, const char *const *headers, bp_err *err)
{
	char *token = NULL;
	int rc = 0;

	do {
		char *enc = token ? bp_restli_urn(token) : NULL;
		char *url = bp_xasprintf("%s/rest/adAccounts/%s/adCampaigns?q=search&"
					 "search=(status:(values:" STATUSES "))&"
					 "pageSize=%d%s%s", c->base, c->src->account,
					 CAMPAIGN_PAGE, enc ? "&pageToken=" : "",
					 enc ? enc : "");
		bp_conn_req q = { "GET", url, NULL, NULL, headers, 0, "campaigns",
				  NULL, 0, NULL };
		bp_conn_resp r = { 0 };
		const char *next;

		rc = bp_conn_call(c, &q, &r, err);
		free(url);
		free(enc);
		free(token);
		token = NULL;
		if (rc != 0)
			break;
		/* Checked as meta.c checks its pages: each vendor names its
		 * own array and cursor, so the check stays at the call. */
		if (!json_is_array(json_object_get(r.json, "elements"))) {
			rc = bp_conn_fail(c, err, BP_EDATA, "LinkedIn answered "
					  "adCampaigns without an elements array");
			bp_conn_resp_free(&r);
			break;
		}
		next = bp_json_str(r.json, "metadata", "nextPageToken", NULL);
		token = next && *next ? bp_xstrdup(next) : NULL;
		bp_conn_resp_free(&r);
	} while (token);
	free(token);
	return rc != 0 ? -1 : 0;
}

static int fetch(bp_conn *c, bp_err *err)
{
	char vh[64];
	char *url = bp_xasprintf("%s/rest/adAccounts/%s", c->base, c->src->account);
	const char *headers[] = { vh, "X-Restli-Protocol-Version: 2.0.0", NULL };
	bp_conn_req q = { "GET", url, NULL, NULL, headers, 0, "account", NULL, 0,
			  NULL };
	bp_conn_resp r = { 0 };
	int rc;

	if (c->src->pacing)
		c->interval_ms = 1700;   /* about 6 per 10 s */
	snprintf(vh, sizeof(vh), "LinkedIn-Version: %s", version(c));
	rc = bp_conn_call(c, &q, &r, err);
	if (rc == 0)
		bp_conn_meta(c, "currency", bp_json_str(r.json, "currency", NULL));
	bp_conn_resp_free(&r);
	free(url);
	if (rc != 0)
		return -1;
	bp_conn_meta(c, "time_zone", "UTC");
	if (campaigns(c, headers, err) < 0)
		return -1;
	return pull(c, days_of(c->w->since), days_of(c->w->until), 31, err);
}

/* Whether the index entry `e` is a page whose name ends "-<what>.json". */
static const char *page_of(json_t *e, const char *what)
{
	const char *file = bp_json_str(e, "file", NULL);
	size_t n = file ? strlen(file) : 0, k = strlen(what);

	return n > k + 6 && file[n - k - 6] == '-' &&
	       !strncmp(file + n - k - 5, what, k) &&
	       !strcmp(file + n - 5, ".json") ? file : NULL;
}

/* The campaigns' names by their numeric id, from the "campaigns" pages:
 * a JSON object (id text -> name), or NULL with err. */
static json_t *campaign_names(const char *dir, json_t *reqs, bp_err *err)
{
	json_t *names = json_object(), *e, *el;
	size_t i, k;

	json_array_foreach(reqs, i, e) {
		const char *file = page_of(e, "campaigns");
		json_t *page;

		if (!file)
			continue;
		if (!(page = bp_conn_page(dir, file, err))) {
			json_decref(names);
			return NULL;
		}
		json_array_foreach(json_object_get(page, "elements"), k, el) {
			char id[32];
			const char *name = bp_json_str(el, "name", NULL);

			if (name && *bp_json_text(json_object_get(el, "id"), id, sizeof(id)))
				json_object_set_new(names, id, json_string(name));
		}
		json_decref(page);
	}
	return names;
}

/* The name of the campaign "urn:li:sponsoredCampaign:<id>", or NULL. */
static const char *name_of(json_t *names, json_t *el)
{
	const char *urn = json_string_value(json_array_get(
		json_object_get(el, "pivotValues"), 0));
	static const char prefix[] = "urn:li:sponsoredCampaign:";

	if (!urn || strncmp(urn, prefix, sizeof(prefix) - 1))
		return NULL;
	return bp_json_str(names, urn + sizeof(prefix) - 1, NULL);
}

/* The kept pages as the preset's CSV.  Every connector's rows() walks the
 * pull's index the same way (conn.c keeps the walk's parts); what differs
 * is the vendor's fields, which is why each has its own. */
static int rows(const bp_source *src, const char *dir, const char *currency,
		FILE *out, bp_err *err)
{
	json_t *idx = bp_conn_index(dir, err), *e, *el, *reqs, *names;
	const char *cur;
	size_t i, k;

	(void)currency;   /* the account's, checked by bp_conn_rows */
	(void)src;
	if (!idx)
		return -1;
	reqs = json_object_get(idx, "requests");
	if (!(names = campaign_names(dir, reqs, err))) {
		json_decref(idx);
		return -1;
	}
	cur = bp_json_str(idx, "meta", "currency", NULL);
	fputs("Start Date (in UTC),Campaign Name,Impressions,Clicks,Total Spent,"
	      "Currency\n", out);
	json_array_foreach(reqs, i, e) {
		const char *file = page_of(e, "analytics");
		json_t *page;

		if (!file)
			continue;
		if (!(page = bp_conn_page(dir, file, err))) {
			json_decref(names);
			json_decref(idx);
			return -1;
		}
		json_array_foreach(json_object_get(page, "elements"), k, el) {
			json_t *st = bp_json_at(el, "dateRange", "start", NULL);
			char day[16], n1[32], n2[32];

			snprintf(day, sizeof(day), "%04d-%02d-%02d",
				 (int)json_integer_value(json_object_get(st, "year")),
				 (int)json_integer_value(json_object_get(st, "month")),
				 (int)json_integer_value(json_object_get(st, "day")));
			bp_csv_put(out, day, ',');
			bp_csv_put(out, name_of(names, el), ',');
			bp_csv_put(out, bp_json_text(json_object_get(el, "impressions"),
						     n1, sizeof(n1)), ',');
			bp_csv_put(out, bp_json_text(json_object_get(el, "clicks"),
						     n2, sizeof(n2)), ',');
			bp_csv_put(out, bp_json_str(el, "costInLocalCurrency", NULL), ',');
			bp_csv_put(out, cur, '\n');
		}
		json_decref(page);
	}
	json_decref(names);
	json_decref(idx);
	return 0;
}

static int probe(bp_conn *c, bp_conn_info *p, bp_err *err)
{
	char vh[64];
	char *url = bp_xasprintf("%s/rest/adAccounts/%s", c->base, c->src->account);
	const char *headers[] = { vh, "X-Restli-Protocol-Version: 2.0.0", NULL };
	bp_conn_req q = { "GET", url, NULL, NULL, headers, 0, NULL, NULL, 0, NULL };
	bp_conn_resp r = { 0 };
	int rc;

	snprintf(vh, sizeof(vh), "LinkedIn-Version: %s", version(c));
	rc = bp_conn_call(c, &q, &r, err);
	if (rc == 0)
		bp_conn_info_set(p, bp_json_str(r.json, "name", NULL),
				 bp_json_str(r.json, "currency", NULL), "UTC");
	bp_conn_resp_free(&r);
	free(url);
	return rc < 0 ? -1 : 0;
}

static const char *const attrs[] = { "linkedin-version", NULL };

/* The operations table: the same fields in every connector by design
 * (conn_int.h), as curl's protocol handlers are. */
const bp_conn_ops bp_conn_linkedin = {
	.name = "linkedin",
	.vendor = "LinkedIn",
	.kinds = 1u << BP_SRC_SPEND,
	.preset = "linkedin",
	.base = "https://api.linkedin.com",
	.token_url = "https://www.linkedin.com/oauth/v2/accessToken",
	.auth_url = "https://www.linkedin.com/oauth/v2/authorization",
	/* LinkedIn takes only the redirect URLs its app lists, exactly. */
	.redirect_uri = "http://localhost:8765/",
	.scope = "r_ads r_ads_reporting",
	.account_what = "sponsored account id, digits",
	.attrs = attrs,
	.account = account,
	.fetch = fetch,
	.rows = rows,
	.probe = probe,
	.verdict = verdict,
};
