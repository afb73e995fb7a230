/*
 * test_conn.c - the connectors' pure pieces: pages to rows for each
 * vendor (read back from a pull folder as a fetch writes it), micros as
 * text, Rest.li encoding, the RS256 JWT (verified here with OpenSSL),
 * token-cache freshness, URL redaction and account ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "../../src/conn/conn_int.h"
#include "mem.h"

/* ---- a pull folder -------------------------------------------------- */

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A pull of the given pages (name, JSON text, ...; NULL ends), with an
 * index naming them in order and `meta`. */
static void pull(const char *meta, ...)
{
	char *index = bp_xasprintf("{\"meta\":%s,\"requests\":[", meta);
	const char *name, *text;
	va_list ap;
	int first = 1;

	strcpy(dir, "/tmp/bp-test-conn.XXXXXX");
	assert_non_null(mkdtemp(dir));
	va_start(ap, meta);
	while ((name = va_arg(ap, const char *))) {
		char *n;

		text = va_arg(ap, const char *);
		write_file(name, text);
		n = bp_xasprintf("%s%s{\"file\":\"%s\"}", index, first ? "" : ",", name);
		free(index);
		index = n;
		first = 0;
	}
	va_end(ap);
	{
		char *n = bp_xasprintf("%s]}", index);

		write_file("index.json", n);
		free(n);
	}
	free(index);
}

static void unpull(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The rows `ops` writes for a source of `kind` from the pull. */
static char *rows_of(const bp_conn_ops *ops, bp_source_kind kind)
{
	bp_source src = { 0 };
	bp_err err = { 0 };
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);

	src.kind = kind;
	src.id = "s";
	src.connector = (char *)ops->name;
	assert_int_equal(ops->rows(&src, dir, "KRW", out, &err), 0);
	fclose(out);
	return buf;
}

static void test_conn_hubspot_rows_merge_stage_families_and_dedupe(void **state)
{
	char *csv;

	(void)state;
	pull("{}", "000001-contacts.json",
	     "{\"results\":[{\"id\":\"100451\",\"properties\":{"
	     "\"hs_object_id\":\"100451\",\"createdate\":\"2024-01-17T19:55:04.281Z\","
	     "\"lifecyclestage\":\"customer\",\"hs_analytics_source\":\"PAID_SEARCH\","
	     "\"hs_v2_date_entered_lead\":null,"
	     "\"hs_lifecyclestage_lead_date\":\"2024-01-18T00:00:00Z\","
	     "\"hs_v2_date_entered_customer\":\"2024-03-01T10:00:00.000Z\","
	     "\"hs_lifecyclestage_customer_date\":\"2024-02-01T00:00:00Z\"},"
	     "\"associations\":{\"deals\":{\"results\":["
	     "{\"id\":\"15691491587\",\"type\":\"contact_to_deal\"},"
	     "{\"id\":\"15691491587\",\"type\":\"contact_to_deal_unlabeled\"},"
	     "{\"id\":\"77\",\"type\":\"contact_to_deal\"}]}}}],"
	     "\"paging\":{\"next\":{\"after\":\"NTI1Cg%3D%3D\"}}}",
	     "000002-contacts.json",
	     "{\"results\":[{\"id\":\"9\",\"properties\":{\"createdate\":\"2024-02-02T00:00:00Z\","
	     "\"hs_analytics_source\":\"Paid search, EU\"}}]}", NULL);
	csv = rows_of(&bp_conn_hubspot, BP_SRC_CONTACTS);
	assert_string_equal(csv,
		"hs_object_id,createdate,lifecyclestage,hs_analytics_source,"
		"hs_analytics_source_data_1,hs_analytics_source_data_2,"
		"hs_v2_date_entered_lead,hs_v2_date_entered_marketingqualifiedlead,"
		"hs_v2_date_entered_salesqualifiedlead,hs_v2_date_entered_opportunity,"
		"hs_v2_date_entered_customer,hs_v2_date_entered_evangelist,"
		"Associated Deal IDs\n"
		"100451,2024-01-17T19:55:04.281Z,customer,PAID_SEARCH,,,"
		"2024-01-18T00:00:00Z,,,,2024-03-01T10:00:00.000Z,,15691491587;77\n"
		/* no hs_object_id property: the record's id; a comma quoted */
		"9,2024-02-02T00:00:00Z,,\"Paid search, EU\",,,,,,,,,\n");
	free(csv);
	unpull();
}

/* A deal in another currency than the report's stops the rows, naming
 * the deal, its currency and where to change it; one in the report's
 * currency (any case) passes. */
static void test_conn_hubspot_deal_in_other_currency_stops(void **state)
{
	bp_source src = { 0 };
	bp_err err = { 0 };
	char *buf = NULL;
	size_t n = 0;
	FILE *out;

	(void)state;
	pull("{}", "000001-deals.json",
	     "{\"results\":[{\"id\":\"1\",\"properties\":{\"amount\":\"10\","
	     "\"deal_currency_code\":\"krw\"}},{\"id\":\"2\",\"properties\":{"
	     "\"amount\":\"10\",\"deal_currency_code\":\"EUR\"}}]}", NULL);
	src.kind = BP_SRC_DEALS;
	src.id = "deals";
	src.connector = "hubspot";
	out = open_memstream(&buf, &n);
	assert_int_equal(bp_conn_hubspot.rows(&src, dir, "KRW", out, &err), -1);
	fclose(out);
	free(buf);
	assert_int_equal(err.code, BP_EDATA);
	assert_non_null(strstr(err.msg, "HubSpot deal 2 is in EUR (deal_currency_code) "
			       "but the report currency is KRW"));
	assert_non_null(strstr(err.msg, "set report/@currency=\"EUR\", or change "
			       "the deal's currency in HubSpot"));
	unpull();
}

static void test_conn_hubspot_deal_rows_keep_amount_text(void **state)
{
	char *csv;

	(void)state;
	pull("{}", "000001-deals.json",
	     "{\"results\":[{\"id\":\"15691491587\",\"properties\":{"
	     "\"hs_object_id\":\"15691491587\",\"dealstage\":\"closedwon\","
	     "\"closedate\":\"2026-10-02T00:00:00Z\",\"amount\":\"1500.00\"},"
	     "\"associations\":{\"contacts\":{\"results\":[{\"id\":\"100451\"}]}}}]}",
	     NULL);
	csv = rows_of(&bp_conn_hubspot, BP_SRC_DEALS);
	assert_string_equal(csv,
		"hs_object_id,dealname,dealstage,closedate,amount,createdate,"
		"pipeline,deal_currency_code,Associated Contact IDs\n"
		"15691491587,,closedwon,2026-10-02T00:00:00Z,1500.00,,,,100451\n");
	free(csv);
	unpull();
}

static void test_conn_google_ads_rows_from_batches(void **state)
{
	char *csv;

	(void)state;
	pull("{}", "000001-stream.json",
	     "[{\"results\":[{\"customer\":{\"currencyCode\":\"EUR\"},"
	     "\"campaign\":{\"id\":\"55\",\"name\":\"Search - Brand\"},"
	     "\"metrics\":{\"clicks\":\"80\",\"costMicros\":\"2500000000\","
	     "\"impressions\":\"1000\"},\"segments\":{\"date\":\"2026-10-02\"}}],"
	     "\"requestId\":\"x\"},"
	     "{\"results\":[{\"customer\":{\"currencyCode\":\"EUR\"},"
	     "\"campaign\":{\"name\":\"Video\"},\"metrics\":{\"impressions\":\"3\"},"
	     "\"segments\":{\"date\":\"2026-10-03\"}}],\"queryResourceConsumption\":\"9\"}]",
	     NULL);
	csv = rows_of(&bp_conn_google_ads, BP_SRC_SPEND);
	assert_string_equal(csv, "Day,Campaign,Impr.,Clicks,Currency code,Cost\n"
			    "2026-10-02,Search - Brand,1000,80,EUR,2500.000000\n"
			    /* proto3 leaves zero metrics out */
			    "2026-10-03,Video,3,0,EUR,0.000000\n");
	free(csv);
	unpull();
}

/* The days searchStream leaves out (no impressions) come back as zeros
 * for every campaign the account lists, as a downloaded report has
 * them. */
static void test_conn_google_ads_rows_fill_days_without_impressions(void **state)
{
	char *csv;

	(void)state;
	pull("{\"currency\":\"EUR\"},\"since\":\"2026-10-01\",\"until\":\"2026-10-03\"",
	     "000001-stream.json",
	     "[{\"results\":[{\"customer\":{\"currencyCode\":\"EUR\"},"
	     "\"campaign\":{\"id\":\"55\",\"name\":\"Brand\"},"
	     "\"metrics\":{\"clicks\":\"1\",\"costMicros\":\"1500000\","
	     "\"impressions\":\"10\"},\"segments\":{\"date\":\"2026-10-02\"}}]}]",
	     "000002-campaigns.json",
	     "[{\"results\":[{\"campaign\":{\"id\":\"55\",\"name\":\"Brand\","
	     "\"status\":\"ENABLED\"}},{\"campaign\":{\"id\":\"56\","
	     "\"name\":\"Paused\",\"status\":\"PAUSED\"}}]}]", NULL);
	csv = rows_of(&bp_conn_google_ads, BP_SRC_SPEND);
	assert_string_equal(csv, "Day,Campaign,Impr.,Clicks,Currency code,Cost\n"
			    "2026-10-02,Brand,10,1,EUR,1.500000\n"
			    "2026-10-01,Brand,0,0,EUR,0.000000\n"
			    "2026-10-03,Brand,0,0,EUR,0.000000\n"
			    "2026-10-01,Paused,0,0,EUR,0.000000\n"
			    "2026-10-02,Paused,0,0,EUR,0.000000\n"
			    "2026-10-03,Paused,0,0,EUR,0.000000\n");
	free(csv);
	unpull();
}

static void test_conn_meta_rows(void **state)
{
	char *csv;

	(void)state;
	pull("{}", "000001-insights.json",
	     "{\"data\":[{\"campaign_id\":\"120203029307580037\",\"campaign_name\":"
	     "\"Prospecting - EU\",\"spend\":\"123.45\",\"impressions\":\"10234\","
	     "\"inline_link_clicks\":\"321\",\"account_currency\":\"EUR\","
	     "\"date_start\":\"2026-10-01\",\"date_stop\":\"2026-10-01\"}],"
	     "\"paging\":{\"next\":\"https://x/?access_token=[secret]\"}}",
	     "000002-insights.json", "{\"data\":[]}", NULL);
	csv = rows_of(&bp_conn_meta_ads, BP_SRC_SPEND);
	assert_string_equal(csv, "Reporting starts,Campaign name,Impressions,"
			    "Link clicks,Currency,Amount spent\n"
			    "2026-10-01,Prospecting - EU,10234,321,EUR,123.45\n");
	free(csv);
	unpull();
}

static void test_conn_linkedin_rows_numbers_and_strings(void **state)
{
	char *csv;

	(void)state;
	/* Names from two pages of adCampaigns, joined on the URN's id (a
	 * JSON number there); a campaign with no name stays unnamed. */
	pull("{\"currency\":\"KRW\"}", "000001-account.json", "{\"currency\":\"KRW\"}",
	     "000002-campaigns.json",
	     "{\"elements\":[{\"id\":145282384,\"name\":\"ABM, \\\"EU\\\"\"}],"
	     "\"metadata\":{\"nextPageToken\":\"MQ==\"}}",
	     "000003-campaigns.json",
	     "{\"elements\":[{\"id\":1,\"name\":\"Brand\",\"status\":\"ARCHIVED\"}],"
	     "\"metadata\":{}}",
	     "000004-analytics.json",
	     "{\"elements\":[{\"pivotValues\":[\"urn:li:sponsoredCampaign:1\"],"
	     "\"dateRange\":{\"start\":{\"year\":2026,\"month\":10,\"day\":2},"
	     "\"end\":{\"year\":2026,\"month\":10,\"day\":2}},"
	     "\"costInLocalCurrency\":\"19.91833\",\"impressions\":171,\"clicks\":11},"
	     "{\"pivotValues\":[\"urn:li:sponsoredCampaign:145282384\"],"
	     "\"dateRange\":{\"start\":{\"year\":2026,\"month\":10,\"day\":2},"
	     "\"end\":{\"year\":2026,\"month\":10,\"day\":2}},"
	     "\"costInLocalCurrency\":\"5\",\"impressions\":9,\"clicks\":1},"
	     "{\"pivotValues\":[\"urn:li:sponsoredCampaign:7\"],"
	     "\"dateRange\":{\"start\":{\"year\":2026,\"month\":10,\"day\":3},"
	     "\"end\":{\"year\":2026,\"month\":10,\"day\":3}},"
	     "\"costInLocalCurrency\":\"1\",\"impressions\":2,\"clicks\":0}]}",
	     NULL);
	csv = rows_of(&bp_conn_linkedin, BP_SRC_SPEND);
	assert_string_equal(csv, "Start Date (in UTC),Campaign Name,Impressions,Clicks,"
			    "Total Spent,Currency\n"
			    "2026-10-02,Brand,171,11,19.91833,KRW\n"
			    "2026-10-02,\"ABM, \"\"EU\"\"\",9,1,5,KRW\n"
			    "2026-10-03,,2,0,1,KRW\n");
	free(csv);
	unpull();
}

static void test_conn_ga4_rows_are_positional_by_header(void **state)
{
	char *csv;

	(void)state;
	/* Headers in another order than asked: values follow the names. */
	pull("{}", "000001-report.json",
	     "{\"dimensionHeaders\":[{\"name\":\"sessionDefaultChannelGroup\"},"
	     "{\"name\":\"date\"}],\"metricHeaders\":[{\"name\":\"newUsers\"},"
	     "{\"name\":\"sessions\"},{\"name\":\"engagedSessions\"}],"
	     "\"rows\":[{\"dimensionValues\":[{\"value\":\"Organic Search\"},"
	     "{\"value\":\"20261001\"}],\"metricValues\":[{\"value\":\"456\"},"
	     "{\"value\":\"1234\"},{\"value\":\"800\"}]}],\"rowCount\":1}", NULL);
	csv = rows_of(&bp_conn_ga4, BP_SRC_TRAFFIC);
	assert_string_equal(csv, "Date,Session default channel group,Sessions,"
			    "Engaged sessions,New users\n"
			    "20261001,Organic Search,1234,800,456\n");
	free(csv);
	unpull();
}

static void test_conn_micros_exact_text(void **state)
{
	char b[48];

	(void)state;
	bp_conn_micros("2500000000", b, sizeof(b));
	assert_string_equal(b, "2500.000000");
	bp_conn_micros("5", b, sizeof(b));
	assert_string_equal(b, "0.000005");
	bp_conn_micros("-1234567", b, sizeof(b));
	assert_string_equal(b, "-1.234567");
	/* Beyond a double's 53 bits, still exact. */
	bp_conn_micros("9223372036854775807", b, sizeof(b));
	assert_string_equal(b, "9223372036854.775807");
	bp_conn_micros("12x", b, sizeof(b));
	assert_string_equal(b, "12x");
}

static void test_conn_restli_keeps_structure_literal(void **state)
{
	char *u = bp_restli_urn("urn:li:sponsoredAccount:507404993"), r[128];

	(void)state;
	assert_string_equal(u, "urn%3Ali%3AsponsoredAccount%3A507404993");
	free(u);
	bp_restli_range("2026-10-01", "2026-10-31", r, sizeof(r));
	assert_string_equal(r, "(start:(year:2026,month:10,day:1),"
			    "end:(year:2026,month:10,day:31))");
}

static unsigned char *b64url_decode(const char *s, size_t *n)
{
	size_t len = strlen(s), i, o = 0;
	unsigned char *out = malloc(len + 4);
	unsigned v = 0;
	int bits = 0;

	for (i = 0; i < len; i++) {
		const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const char *p = strchr(abc, s[i]);

		assert_non_null(p);
		v = v << 6 | (unsigned)(p - abc);
		bits += 6;
		if (bits >= 8) {
			out[o++] = (unsigned char)(v >> (bits - 8));
			bits -= 8;
		}
	}
	*n = o;
	return out;
}

static void test_conn_jwt_rs256_verifies(void **state)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem, *jwt, *dot1, *dot2, *claims;
	unsigned char *sig, *cl;
	size_t siglen, cllen;
	long pemlen;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bp_err err = { 0 };

	(void)state;
	assert_non_null(key);
	PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	pemlen = BIO_get_mem_data(bio, &pem);
	pem = strndup(pem, (size_t)pemlen);
	jwt = bp_oauth_jwt("sa@p.iam.gserviceaccount.com", "kid-1",
			   "https://www.googleapis.com/auth/analytics.readonly",
			   "https://oauth2.googleapis.com/token", 1760000000, pem, &err);
	assert_non_null(jwt);
	dot1 = strchr(jwt, '.');
	dot2 = strrchr(jwt, '.');
	assert_true(dot1 && dot2 && dot1 < dot2);
	/* No padding, URL-safe alphabet. */
	assert_null(strpbrk(jwt, "=+/"));
	sig = b64url_decode(dot2 + 1, &siglen);
	assert_int_equal(siglen, 256);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestVerify(md, sig, siglen, (unsigned char *)jwt,
					  (size_t)(dot2 - jwt)), 1);
	claims = strndup(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	cl = b64url_decode(claims, &cllen);
	cl[cllen] = '\0';
	assert_non_null(strstr((char *)cl, "\"iss\":\"sa@p.iam.gserviceaccount.com\""));
	assert_non_null(strstr((char *)cl, "\"aud\":\"https://oauth2.googleapis.com/token\""));
	assert_non_null(strstr((char *)cl, "\"iat\":1759999970"));
	assert_non_null(strstr((char *)cl, "\"exp\":1760003570"));
	/* A tampered claim no longer verifies. */
	jwt[(dot1 - jwt) + 3] ^= 1;
	EVP_MD_CTX_reset(md);
	EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key);
	assert_int_not_equal(EVP_DigestVerify(md, sig, siglen, (unsigned char *)jwt,
					      (size_t)(dot2 - jwt)), 1);
	/* Not a key: a configuration error, not a crash. */
	assert_null(bp_oauth_jwt("a", NULL, "s", "aud", 0, "not a pem", &err));
	assert_int_equal(err.code, BP_ECONFIG);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	BIO_free(bio);
	free(pem);
	free(jwt);
	free(sig);
	free(claims);
	free(cl);
}

static void test_conn_token_cache_expiry(void **state)
{
	(void)state;
	assert_true(bp_oauth_fresh(1000 + 3599, 1000));
	assert_true(bp_oauth_fresh(1061, 1000));
	assert_false(bp_oauth_fresh(1060, 1000));   /* a minute left: renew */
	assert_false(bp_oauth_fresh(900, 1000));
}

static void test_conn_redact_removes_secrets(void **state)
{
	char *u;

	(void)state;
	u = bp_conn_redact("https://g/v26.0/act_1/insights?level=campaign&access_token=EAAB&after=MjQZD");
	assert_string_equal(u, "https://g/v26.0/act_1/insights?level=campaign&after=MjQZD");
	free(u);
	u = bp_conn_redact("https://x/e.zip?Expires=1&Signature=abc");
	assert_string_equal(u, "https://x/e.zip");
	free(u);
	u = bp_conn_redact("https://x/a?appsecret_proof=1&code=2&limit=5");
	assert_string_equal(u, "https://x/a?limit=5");
	free(u);
}

/* More secrets than a fixed table would hold, each registered several
 * times as renewals do: each is kept once, and the last one is still
 * kept out of a page. */
static void test_conn_secrets_unbounded_and_once(void **state)
{
	bp_conn c = { 0 };
	bp_conn_req q = { 0 };
	bp_conn_resp r = { 0 };
	bp_source src = { 0 };
	bp_err err = { 0 };
	char name[64], *page, body[256];
	int i, k;
	FILE *f;

	(void)state;
	pull("{}", NULL);
	src.id = "s";
	c.src = &src;
	c.dir = dir;
	c.index = json_array();
	for (k = 0; k < 3; k++)
		for (i = 0; i < 20; i++) {
			snprintf(name, sizeof(name), "secret-number-%02d-abcdefgh", i);
			bp_conn_secret(&c, name);
		}
	assert_int_equal(c.n_secrets, 20);
	snprintf(body, sizeof(body), "{\"a\":\"secret-number-19-abcdefgh\","
		 "\"b\":\"secret-number-00-abcdefgh\"}");
	r.body = bp_xstrdup(body);
	r.len = strlen(body);
	q.method = "GET";
	q.url = "https://x/y";
	q.keep = "page";
	assert_int_equal(bp_conn_keep(&c, &q, &r, &err), 0);
	page = bp_xasprintf("%s/%s", dir, r.file);
	f = fopen(page, "r");
	assert_non_null(f);
	assert_non_null(fgets(body, sizeof(body), f));
	fclose(f);
	assert_string_equal(body, "{\"a\":\"[secret]\",\"b\":\"[secret]\"}");
	free(page);
	free(r.body);
	json_decref(c.index);
	for (i = 0; i < (int)c.n_secrets; i++)
		free(c.secrets[i]);
	free(c.secrets);
	unpull();
}

static void test_conn_redact_null_is_null(void **state)
{
	(void)state;
	assert_null(bp_conn_redact(NULL));
}

static void test_conn_accounts_normalised(void **state)
{
	char why[128], *a;

	(void)state;
	a = bp_conn_google_ads.account("123-456-7890", why, sizeof(why));
	assert_string_equal(a, "1234567890");
	free(a);
	assert_null(bp_conn_google_ads.account("123-456-789", why, sizeof(why)));
	assert_null(bp_conn_google_ads.account("12345678901", why, sizeof(why)));
	a = bp_conn_meta_ads.account("act_1029384756", why, sizeof(why));
	assert_string_equal(a, "1029384756");
	free(a);
	assert_null(bp_conn_meta_ads.account("act_", why, sizeof(why)));
	a = bp_conn_ga4.account("properties/123", why, sizeof(why));
	assert_string_equal(a, "123");
	free(a);
	assert_null(bp_conn_linkedin.account("5O7", why, sizeof(why)));
	assert_ptr_equal(bp_conn_find("linkedin"), &bp_conn_linkedin);
	assert_null(bp_conn_find("tiktok"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conn_hubspot_rows_merge_stage_families_and_dedupe),
		cmocka_unit_test(test_conn_hubspot_deal_rows_keep_amount_text),
		cmocka_unit_test(test_conn_google_ads_rows_from_batches),
		cmocka_unit_test(test_conn_meta_rows),
		cmocka_unit_test(test_conn_linkedin_rows_numbers_and_strings),
		cmocka_unit_test(test_conn_ga4_rows_are_positional_by_header),
		cmocka_unit_test(test_conn_micros_exact_text),
		cmocka_unit_test(test_conn_restli_keeps_structure_literal),
		cmocka_unit_test(test_conn_jwt_rs256_verifies),
		cmocka_unit_test(test_conn_token_cache_expiry),
		cmocka_unit_test(test_conn_redact_removes_secrets),
		cmocka_unit_test(test_conn_redact_null_is_null),
		cmocka_unit_test(test_conn_google_ads_rows_fill_days_without_impressions),
		cmocka_unit_test(test_conn_hubspot_deal_in_other_currency_stops),
		cmocka_unit_test(test_conn_secrets_unbounded_and_once),
		cmocka_unit_test(test_conn_accounts_normalised),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
