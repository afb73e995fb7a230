/*
 * test_ingest.c - presets, column mapping, joins and data-quality counts
 * on small files written by each test.  Report zone UTC, window 2026-09 ..
 * 2026-10, as_of the end of October.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"
#include "text.h"
#include "testlib.h"

enum { PAID, ORGANIC, OTHER, NCH };

typedef struct fx {
	bp_config cfg;
	bp_channel ch[NCH];
	bp_rule rules[3];
	bp_source src[6];
	bp_column col;
	bp_tz *tz;
	bp_funnel *f;
	bp_ingest *in;
	bp_quality q[6];
	char *dir;
	bp_err err;
} fx;

static bp_month M(int y, int m) { return y * 12 + m - 1; }

static int setup(void **state)
{
	fx *x = calloc(1, sizeof(*x));

	x->ch[PAID] = (bp_channel){ "paid_search", "Paid search", "Paid" };
	x->ch[ORGANIC] = (bp_channel){ "organic_search", "Organic", "Inbound" };
	x->ch[OTHER] = (bp_channel){ "other", "Other", "Other" };
	x->rules[0] = (bp_rule){ "PAID_SEARCH", PAID };
	x->rules[1] = (bp_rule){ "Paid search", PAID };
	x->rules[2] = (bp_rule){ "Organic search", ORGANIC };
	x->src[0] = (bp_source){ .kind = BP_SRC_CONTACTS, .id = "crm",
				 .preset = "hubspot", .rules = x->rules,
				 .n_rules = 3, .channel = -1 };
	x->src[1] = (bp_source){ .kind = BP_SRC_DEALS, .id = "deals",
				 .preset = "hubspot", .channel = -1 };
	x->src[2] = (bp_source){ .kind = BP_SRC_SPEND, .id = "ads",
				 .preset = "meta", .channel = PAID };
	x->src[3] = (bp_source){ .kind = BP_SRC_SPEND, .id = "gads",
				 .preset = "google-ads", .channel = PAID };
	x->src[4] = (bp_source){ .kind = BP_SRC_SPEND, .id = "li",
				 .preset = "linkedin", .channel = PAID };
	x->src[5] = (bp_source){ .kind = BP_SRC_TRAFFIC, .id = "ga4",
				 .preset = "ga4", .rules = x->rules,
				 .n_rules = 3, .channel = -1 };
	x->cfg.timezone = "UTC";
	x->cfg.currency = "USD";
	x->cfg.months = 2;
	x->cfg.channels = x->ch;
	x->cfg.n_channels = NCH;
	x->cfg.sources = x->src;
	x->cfg.n_sources = 6;
	x->tz = bp_tz_load("UTC", &x->err);
	x->f = bp_funnel_new(x->tz, bp_month_end(x->tz, M(2026, 10)), M(2026, 10),
			     2, NCH);
	x->in = bp_ingest_new(&x->cfg, x->f, &x->err);
	assert_non_null(x->in);
	x->dir = tl_tmpdir("/tmp/bp-ingest-XXXXXX");
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fx *x = *state;
	int i;

	for (i = 0; i < 6; i++)
		bp_quality_clear(&x->q[i]);
	bp_ingest_free(x->in);
	bp_funnel_free(x->f);
	bp_tz_free(x->tz);
	tl_rmtree(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

/* Writes `text` to a file in the fixture's folder and ingests it as
 * source `i`.  Returns what bp_ingest_source returns. */
static int feed(fx *x, int i, const char *text)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s.csv", x->dir, x->src[i].id);
	tl_write_file(path, text);
	return bp_ingest_source(x->in, &x->src[i], path, path, &x->q[i], &x->err);
}

#define CONTACT_HEADER "Record ID,Create Date,Original Source,Became a Lead Date," \
	"Became a Customer Date,Associated Deal IDs\n"

static void test_ingest_rules_map_sources_and_count_unmatched(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-10-01 10:00,PAID_SEARCH,,,\n"
		"2,2026-10-02 10:00,paid search,,,\n"
		"3,2026-10-03 10:00, Organic search ,,,\n"
		"4,2026-10-04 10:00,Podcast,,,\n"
		"5,2026-10-05 10:00,Podcast,,,\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->contacts, 2);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), ORGANIC)->contacts, 1);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), OTHER)->contacts, 2);
	assert_int_equal(x->q[0].unmatched_rows, 2);
	assert_int_equal(x->q[0].n_unmatched, 1);
	assert_string_equal(x->q[0].unmatched[0].value, "Podcast");
	assert_int_equal(x->q[0].unmatched[0].count, 2);
}

static void test_ingest_header_found_by_name_in_any_order_and_spelling(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0,
		"Original Source,Became A Lead Date,Create  Date,record id\n"
		"Paid search,2026-09-03 00:00,2026-09-02 00:00,7\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 9), PAID)->contacts, 1);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 9), PAID)->reached[BP_LEAD], 1);
}

/* Stamps of one day in the source's zone: the remembered day gives the
 * same instants as the full parse, across a month edge in UTC and on a
 * day when the clocks change. */
static void test_ingest_source_zone_stamps_same_day(void **state)
{
	fx *x = *state;

	bp_ingest_free(x->in);
	x->src[0].timezone = "America/New_York";
	x->in = bp_ingest_new(&x->cfg, x->f, &x->err);
	assert_non_null(x->in);
	/* EDT is UTC-4: 19:00 is 23:00 UTC on the 30th; 20:00 and later are
	 * October in UTC. */
	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-09-30 19:00,Paid search,2026-09-30 21:00,,\n"
		"2,2026-09-30 21:00,Paid search,2026-09-30 19:00,,\n"
		"3,2026-09-30 20:59,Paid search,,,\n"
		"4,2026-09-30 20:00,Paid search,,,\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, 2026 * 12 + 8, PAID)->contacts, 1);
	assert_int_equal(bp_funnel_cohort(x->f, 2026 * 12 + 9, PAID)->contacts, 3);
	/* Contact 1's lead date is in October (UTC), contact 2's in September. */
	assert_int_equal(bp_funnel_month(x->f, 2026 * 12 + 9, PAID)->entered[BP_LEAD], 1);
	assert_int_equal(bp_funnel_month(x->f, 2026 * 12 + 8, PAID)->entered[BP_LEAD], 1);
	assert_int_equal(x->q[0].stage_before_create, 1);
}

static void test_ingest_duplicate_record_id_keeps_first(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-10-01 10:00,Paid search,,,\n"
		"1,2026-09-01 10:00,Organic search,,,\n"), 0);
	assert_int_equal(x->q[0].duplicates, 1);
	assert_int_equal(x->q[0].rows_read, 2);
	assert_int_equal(x->q[0].rows_used, 1);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 9), ORGANIC)->contacts, 0);
}

/* The campaign a contact's drill-down names within its channel, and the
 * ad platform's spend under the same name (case and spaces aside): only
 * the period's stages and spend count, a duplicate ID counts once, and a
 * name no platform spends on has no spend. */
static const bp_campaign *find_campaign(const fx *x, const char *name)
{
	size_t n, i;
	const bp_campaign *k = bp_campaigns_list(x->f->campaigns, &n);

	for (i = 0; i < n; i++)
		if (strcmp(k[i].name, name) == 0)
			return &k[i];
	return NULL;
}

static void test_ingest_campaigns_from_drill_down_and_spend(void **state)
{
	fx *x = *state;
	const bp_campaign *k;

	assert_int_equal(feed(x, 0, "Record ID,Create Date,Original Source,"
		"Original Source Drill-Down 1,Became a Lead Date,"
		"Became a Marketing Qualified Lead Date,Became a Customer Date\n"
		/* lead and MQL in October */
		"1,2026-10-01 10:00,Paid search,Brand,2026-10-01 10:00,2026-10-03 10:00,\n"
		/* lead in September, customer in October: MQL skipped, so
		 * reached with the customer date (cumulative) */
		"2,2026-09-01 10:00,Paid search, brand ,2026-09-01 10:00,,2026-10-20 10:00\n"
		/* nothing in October: not counted */
		"3,2026-09-02 10:00,Paid search,Brand,2026-09-02 10:00,,\n"
		/* a repeated ID is skipped */
		"1,2026-10-01 10:00,Paid search,Brand,2026-10-01 10:00,,\n"
		/* the same name in another channel is another campaign */
		"4,2026-10-05 10:00,Organic search,Brand,2026-10-05 10:00,,\n"
		"5,2026-10-06 10:00,Organic search,Blog,2026-10-06 10:00,,\n"), 0);
	assert_int_equal(feed(x, 2, "Reporting starts,Reporting ends,Campaign name,"
		"Amount spent (USD),Impressions,Link clicks\n"
		"2026-09-30,2026-09-30,BRAND,500.00,10,1\n"
		"2026-10-01,2026-10-01,BRAND,100.50,10,1\n"
		"2026-10-02,2026-10-02,Brand ,20.00,10,1\n"
		"2026-10-02,2026-10-02,Prospecting,7.00,10,1\n"), 0);

	k = find_campaign(x, "Brand");
	assert_non_null(k);
	assert_int_equal(k->channel, PAID);
	assert_int_equal(k->leads, 1);
	assert_int_equal(k->mqls, 2);
	assert_int_equal(k->customers, 1);
	assert_true(k->has_spend);
	assert_int_equal(k->spend, 12050 * (BP_MONEY_SCALE / 100));

	k = find_campaign(x, "Prospecting");
	assert_non_null(k);
	assert_int_equal(k->leads, 0);
	assert_int_equal(k->spend, 700 * (BP_MONEY_SCALE / 100));

	k = find_campaign(x, "Blog");
	assert_non_null(k);
	assert_int_equal(k->channel, ORGANIC);
	assert_int_equal(k->leads, 1);
	assert_false(k->has_spend);
	assert_int_equal(bp_campaigns_folded(x->f->campaigns), 0);
}

/* Contacts wait a few rows before they are committed; duplicates near and
 * far, and IDs or deal lists too long to wait, keep the file's order. */
static void test_ingest_order_kept_across_lookahead(void **state)
{
	fx *x = *state;
	char text[8192], *o = text;
	int i;

	o += sprintf(o, CONTACT_HEADER);
	for (i = 1; i <= 40; i++)
		o += sprintf(o, "%d,2026-10-01 10:00,Paid search,,,\n", i);
	/* 3 rows back, 30 rows back: both later rows are the duplicates. */
	o += sprintf(o, "38,2026-09-01 10:00,Organic search,,,\n");
	o += sprintf(o, "10,2026-09-01 10:00,Organic search,,,\n");
	o += sprintf(o, "id-with-a-very-long-name-that-cannot-wait-0001,2026-09-02 10:00,Organic search,,,\n");
	o += sprintf(o, "id-with-a-very-long-name-that-cannot-wait-0001,2026-10-02 10:00,Paid search,,,\n");
	o += sprintf(o, "99,2026-09-03 10:00,Organic search,,,\"");
	for (i = 0; i < 40; i++)
		o += sprintf(o, "%d;", 5000 + i);
	o += sprintf(o, "777\"\n");
	assert_int_equal(feed(x, 0, text), 0);
	assert_int_equal(x->q[0].duplicates, 3);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->contacts, 40);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 9), ORGANIC)->contacts, 2);
	/* The long deal list was remembered: deal 777 joins contact 99. */
	assert_int_equal(feed(x, 1, "Record ID,Deal Stage,Close Date,Amount\n"
				    "777,Closed Won,2026-10-05,100\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 9), ORGANIC)->won_deals, 1);
}

static void test_ingest_bad_optional_date_counted_as_missing(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-10-01 10:00,Paid search,soon,,\n"), 0);
	assert_int_equal(x->q[0].bad_dates, 1);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->reached[BP_LEAD], 0);
}

static void test_ingest_stage_before_create_kept_and_counted(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-10-05 10:00,Paid search,2026-09-20 10:00,,\n"), 0);
	assert_int_equal(x->q[0].stage_before_create, 1);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 9), PAID)->entered[BP_LEAD], 1);
}

static void test_ingest_bad_create_date_is_fatal_with_place(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-10-01 10:00,Paid search,,,\n"
		"2,31.10.2026,Paid search,,,\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_int_equal(x->err.line, 3);
	assert_int_equal(x->err.col, 3);
	assert_non_null(strstr(x->err.msg, "bad date '31.10.2026' in column 'Create Date'"));
}

/* "0000-00-00 00:00" is how some exports write "no date": the contact
 * did not become a customer (not on 1970-01-01), whether or not a row
 * before it had a real date, and the placeholder is counted and warned. */
static void test_ingest_placeholder_date_is_no_date_counted_and_warned(void **state)
{
	fx *x = *state;
	const bp_warning *w;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-10-01 10:00,Paid search,,0000-00-00 00:00,\n"
		"2,2026-10-01 11:00,Paid search,1970-01-01 00:00,2026-10-02 10:00,\n"
		"3,2026-10-01 12:00,Paid search,0000-00-00,0000-00-00 00:00,\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->contacts, 3);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->reached[BP_CUSTOMER], 1);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->reached[BP_LEAD], 1);
	assert_int_equal(x->q[0].placeholder_dates, 3);
	assert_int_equal(x->q[0].bad_dates, 0);
	w = bp_quality_warning(&x->q[0], "placeholder-dates");
	assert_non_null(w);
	assert_non_null(strstr(w->text, "3 dates"));
}

/* A create date is required: the placeholder there stops the run. */
static void test_ingest_placeholder_create_date_is_fatal(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-10-01 10:00,Paid search,,,\n"
		"2,0000-00-00 00:00,Paid search,,,\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_int_equal(x->err.line, 3);
	assert_int_equal(x->err.col, 3);
	assert_non_null(strstr(x->err.msg, "'0000-00-00 00:00' in column 'Create Date' "
				"stands for no date"));
}

/* Days that do not exist, each after and before a real day that a
 * careless reading would take it for (2026-08-33 as 2026-09-01,
 * 2026-13-01 as 2027-01-01, 2026-00-15 as 2025-12-15): refused the same
 * whatever came before. */
static const char *const impossible[][2] = {
	{ "2026-09-01", "2026-08-33" },
	{ "2027-01-01", "2026-13-01" },
	{ "2025-12-15", "2026-00-15" },
	{ "2026-10-01", "2026-09-31" },
	{ "2028-03-01", "2027-02-29" },
};

static void impossible_dates(fx *x, int real_first)
{
	char text[2048], *o = text;
	size_t i, n = sizeof(impossible) / sizeof(impossible[0]);

	o += sprintf(o, CONTACT_HEADER);
	for (i = 0; i < n; i++) {
		const char *a = impossible[i][!real_first], *b = impossible[i][real_first];

		o += sprintf(o, "%zu,2026-10-01 10:00,Paid search,%s 10:00,,\n", 2 * i + 1, a);
		o += sprintf(o, "%zu,2026-10-01 10:00,Organic search,%s 10:00,,\n", 2 * i + 2, b);
	}
	assert_int_equal(feed(x, 0, text), 0);
	assert_int_equal(x->q[0].bad_dates, (int64_t)n);
	/* Every real lead date counts (all lie on or before as_of but the
	 * 2027 and 2028 ones); no impossible one does. */
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), real_first ? PAID : ORGANIC)
			 ->reached[BP_LEAD], 3);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), real_first ? ORGANIC : PAID)
			 ->reached[BP_LEAD], 0);
}

static void test_ingest_impossible_dates_refused_after_real_ones(void **state)
{
	impossible_dates(*state, 1);
}

static void test_ingest_impossible_dates_refused_before_real_ones(void **state)
{
	impossible_dates(*state, 0);
}

/* The same for a required date: fatal in either order. */
static void test_ingest_impossible_create_date_fatal_in_either_order(void **state)
{
	fx *x = *state;
	size_t i;

	for (i = 0; i < sizeof(impossible) / sizeof(impossible[0]); i++) {
		char text[512];

		snprintf(text, sizeof(text), CONTACT_HEADER
			 "1,%s 10:00,Paid search,,,\n2,%s 11:00,Paid search,,,\n",
			 impossible[i][0], impossible[i][1]);
		bp_quality_clear(&x->q[0]);
		assert_int_equal(feed(x, 0, text), -1);
		assert_int_equal(x->err.line, 3);
		assert_non_null(strstr(x->err.msg, impossible[i][1]));
		snprintf(text, sizeof(text), CONTACT_HEADER
			 "1,%s 10:00,Paid search,,,\n2,%s 11:00,Paid search,,,\n",
			 impossible[i][1], impossible[i][0]);
		bp_quality_clear(&x->q[0]);
		assert_int_equal(feed(x, 0, text), -1);
		assert_int_equal(x->err.line, 2);
		assert_non_null(strstr(x->err.msg, impossible[i][1]));
	}
}

static void test_ingest_missing_required_column_names_it(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, "Record ID,Original Source\n1,Paid search\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_int_equal(x->err.line, 1);
	assert_non_null(strstr(x->err.msg, "missing required column 'Create Date'"));
}

static void test_ingest_column_override_with_date_format(void **state)
{
	fx *x = *state;

	x->col = (bp_column){ "created", "Signup", "%d/%m/%Y" };
	x->src[0].columns = &x->col;
	x->src[0].n_columns = 1;
	assert_int_equal(feed(x, 0, "Record ID,Signup,Original Source,Became a Lead Date\n"
				    "1,30/09/2026,Paid search,\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 9), PAID)->contacts, 1);
}

static void test_ingest_deal_joins_by_contact_column_and_by_contact_list(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-09-01 10:00,Paid search,,2026-10-02 10:00,\n"
		"2,2026-10-01 10:00,Organic search,,2026-10-03 10:00,77;78\n"), 0);
	assert_int_equal(feed(x, 1,
		"Record ID,Deal Stage,Close Date,Amount,Associated Contact IDs\n"
		"50,Closed Won,2026-10-02 10:00,1000,1\n"
		"77,closedwon,2026-10-03 10:00,\"2,500.50\",\n"
		"78,Closed Lost,2026-10-03 10:00,99,\n"
		"79,Closed: won,2026-10-04 10:00,10,999\n"
		"80,Closed Won,2026-10-04 10:00,,1\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 9), PAID)->won_deals, 1);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 9), PAID)->won_revenue,
			 1000 * BP_MONEY_SCALE);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), ORGANIC)->won_revenue,
			 25005 * BP_MONEY_SCALE / 10);
	/* Deal 79's contact is unknown: channel other, no cohort. */
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), OTHER)->won_deals, 1);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), OTHER)->won_deals, 0);
	assert_int_equal(x->q[1].unknown_contact, 1);
	assert_int_equal(x->q[1].won_without_amount, 1);
}

static void test_ingest_bad_money_is_fatal_with_place(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 1, "Record ID,Deal Stage,Close Date,Amount\n"
				    "9,Closed Won,2026-10-05,12abc\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_int_equal(x->err.line, 2);
	assert_int_equal(x->err.col, 25);
	assert_non_null(strstr(x->err.msg, "bad money amount '12abc'"));
}

static void test_ingest_foreign_currency_in_amount_is_fatal(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 1, "Record ID,Deal Stage,Close Date,Amount\n"
				    "9,Closed Won,2026-10-05,$100\n"
				    "10,Closed Won,2026-10-05,EUR 1200\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_int_equal(x->err.line, 3);
	assert_int_equal(x->err.col, 26);
	assert_non_null(strstr(x->err.msg, "is in EUR but the report currency is USD"));
}

static void test_ingest_meta_currency_from_header_must_match(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 2, "Reporting starts,Reporting ends,Campaign name,"
				    "Amount spent (KRW),Impressions,Link clicks\n"
				    "2026-10-01,2026-10-01,A,1000,10,1\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_non_null(strstr(x->err.msg, "KRW"));
	assert_non_null(strstr(x->err.msg, "USD"));
}

static void test_ingest_google_ads_preamble_separators_and_footer(void **state)
{
	fx *x = *state;
	bp_month_cell *mc;

	assert_int_equal(feed(x, 3,
		"Campaign performance\n"
		"\"September 1, 2026 - October 31, 2026\"\n"
		"Day,Campaign,Clicks,Impr.,Currency code,Cost,Conversions\n"
		"2026-09-30,Brand,\"1,204\",\"8,833\",USD,\"4,838.80\", --\n"
		"2026-10-01,Brand,10,100,USD,1.20, --\n"
		"Total: Campaigns,,\"1,214\",\"8,933\",USD,\"4,840.00\",0\n"
		"Total: Account,,\"1,214\",\"8,933\",USD,\"4,840.00\",0\n"), 0);
	mc = bp_funnel_month(x->f, M(2026, 9), PAID);
	assert_int_equal(mc->spend, 48388 * BP_MONEY_SCALE / 10);
	assert_int_equal(mc->impressions, 8833);
	assert_int_equal(mc->clicks, 1204);
	assert_int_equal(x->q[3].footer_rows, 2);
	assert_int_equal(x->q[3].rows_used, 2);
}


/* ---- HubSpot's current labels ---- */

#define CURRENT_HEADER "\"Record ID\",\"Create Date\",\"Original Traffic Source\"," \
	"\"Date entered \"\"Lead (Lifecycle Stage Pipeline)\"\"\"," \
	"\"Date entered \"\"Customer (Lifecycle Stage Pipeline)\"\"\"\n"

static void test_ingest_current_hubspot_labels_read_without_config(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CURRENT_HEADER
		"\"1\",\"2026-10-01 10:00\",\"Paid search\",\"2026-10-01 10:00\",\"\"\n"
		"\"2\",\"2026-10-02 10:00\",\"Organic Search\",\"2026-10-02 10:00\",\"2026-10-20 09:00\"\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->reached[BP_LEAD], 1);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), ORGANIC)->reached[BP_CUSTOMER], 1);
	assert_string_equal(x->q[0].map[2].header, "Original Traffic Source");
}

static void test_ingest_hs_v2_api_names_read(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, "hs_object_id,createdate,hs_analytics_source,"
		"hs_v2_date_entered_lead,hs_v2_date_entered_marketingqualifiedlead\n"
		"11,2026-10-01T01:00:00.000Z,PAID_SEARCH,2026-10-01T01:00:00Z,"
		"2026-10-03T01:00:00.123Z\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->reached[BP_MQL], 1);
}

/* With both generations in one file, the current label wins wherever its
 * column is: here its MQL date is in October, the older one's in
 * September. */
static void test_ingest_current_label_wins_over_older_one(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, "Record ID,Create Date,Original Source,"
		"Became a Marketing Qualified Lead Date,"
		"\"Date entered \"\"Marketing Qualified Lead (Lifecycle Stage Pipeline)\"\"\"\n"
		"1,2026-09-01 10:00,Paid search,2026-09-02 10:00,2026-10-02 10:00\n"), 0);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), PAID)->entered[BP_MQL], 1);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 9), PAID)->entered[BP_MQL], 0);
}

static void test_ingest_custom_pipeline_named_once(void **state)
{
	fx *x = *state;

	x->src[0].pipeline = "Partner Journey";
	assert_int_equal(feed(x, 0, "Record ID,Create Date,Original Source,"
		"\"Date entered \"\"Lead (Partner Journey)\"\"\","
		"\"Date entered \"\"Customer (Partner Journey)\"\"\"\n"
		"1,2026-10-01 10:00,Paid search,2026-10-01 10:00,2026-10-09 10:00\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->reached[BP_CUSTOMER], 1);
}

/* ---- no silent zero funnel ---- */

static void test_ingest_no_stage_column_is_fatal_and_lists_headers(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, "Record ID,Create Date,Original Traffic Source,Lifecycle Stage\n"
		"1,2026-10-01 10:00,Paid search,Lead\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_non_null(strstr(x->err.msg, "no stage date column"));
	assert_non_null(strstr(x->err.msg, "'Date entered \"Lead (Lifecycle Stage Pipeline)\"'"));
	assert_non_null(strstr(x->err.msg, "'Became a Lead Date'"));
	assert_string_equal(x->err.source, "crm");
}

static void test_ingest_lifecycle_stage_without_date_counted_and_warned(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, "Record ID,Create Date,Original Source,Lifecycle Stage,"
		"Became a Lead Date,Became a Customer Date\n"
		"1,2026-10-01 10:00,Paid search,customer,2026-10-01 10:00,\n"
		"2,2026-10-01 10:00,Paid search,Customer,,2026-10-05 10:00\n"
		"3,2026-10-01 10:00,Paid search,Marketing Qualified Lead,2026-10-01 10:00,\n"
		"4,2026-10-01 10:00,Paid search,subscriber,,\n"), 0);
	assert_int_equal(x->q[0].stage_mismatch[BP_CUSTOMER], 1);
	assert_int_equal(x->q[0].stage_mismatch[BP_MQL], 1);
	assert_int_equal(x->q[0].stage_mismatch_rows, 2);
	assert_non_null(bp_quality_warning(&x->q[0], "stage-mismatch"));
}

static void test_ingest_every_contact_after_as_of_is_fatal(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-11-03 10:00,Paid search,2026-11-03 10:00,,\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_non_null(strstr(x->err.msg, "no contact was created by as_of"));
}

static void test_ingest_one_source_value_and_no_stage_dates_warned(void **state)
{
	fx *x = *state;
	char text[8192];
	size_t o;
	int i;

	o = (size_t)snprintf(text, sizeof(text), "%s", CONTACT_HEADER);
	for (i = 0; i < 60; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "%d,2026-10-01 10:00,Offline sources,,,\n", i + 1);
	assert_int_equal(feed(x, 0, text), 0);
	assert_non_null(bp_quality_warning(&x->q[0], "one-source-value"));
	assert_non_null(bp_quality_warning(&x->q[0], "no-stage-dates"));
}

static void test_ingest_won_deals_without_any_amount_warned(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER "1,2026-10-01 10:00,Paid search,2026-10-01 10:00,,\n"), 0);
	assert_int_equal(feed(x, 1, "Record ID,Deal Stage,Close Date,Amount,Associated Contact IDs\n"
		"7,Closed Won,2026-10-05,,1\n8,closedwon,2026-10-06,,1\n"), 0);
	assert_int_equal(x->q[1].won_without_amount, 2);
	assert_non_null(bp_quality_warning(&x->q[1], "no-won-amounts"));
}

static void test_ingest_deals_without_association_column_counted_apart(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER "1,2026-10-01 10:00,Paid search,2026-10-01 10:00,,\n"), 0);
	assert_int_equal(feed(x, 1, "hs_object_id,dealstage,closedate,amount\n"
		"7,closedwon,2026-10-05,100\n"), 0);
	assert_int_equal(x->q[1].no_association, 1);
	assert_int_equal(x->q[1].unknown_contact, 0);
	assert_non_null(bp_quality_warning(&x->q[1], "no-associations"));
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), OTHER)->won_deals, 1);
}

/* ---- exports dated by their range ---- */

static void test_ingest_google_ads_without_day_dated_by_range_in_one_month(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Campaign report\n"
		"\"October 3, 2026 - October 30, 2026\"\n"
		"Campaign,Impr.,Clicks,Currency code,Cost\n"
		"Brand,100,10,USD,12.50\nGeneric,200,5,USD,7.50\n"
		"Total: Campaigns,300,15,USD,20.00\n"), 0);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), PAID)->spend, 20 * BP_MONEY_SCALE);
	assert_string_equal(x->q[3].range, "October 3, 2026 - October 30, 2026");
	assert_int_equal(x->q[3].map[0].by_range, 1);
	assert_null(bp_quality_warning(&x->q[3], "totals-differ"));
}

static void test_ingest_range_over_months_is_fatal_with_advice(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Campaign report\n27 January 2026 - 23 February 2026\n"
		"Campaign,Currency code,Cost\nBrand,USD,1.00\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_non_null(strstr(x->err.msg, "'27 January 2026 - 23 February 2026'"));
	assert_non_null(strstr(x->err.msg, "segment the report by Day"));
	assert_string_equal(x->err.source, "gads");
}

static void test_ingest_all_time_export_is_fatal(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Campaign report\nAll time\n"
		"Campaign,Currency code,Cost\nBrand,USD,1.00\n"), -1);
	assert_non_null(strstr(x->err.msg, "'All time'"));
}

static void test_ingest_ga4_dated_by_comment_range(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 5, "# Report CSV Export\n# Start date: 20261001\n"
		"# End date: 20261031\n"
		"Session default channel group,Sessions,Engaged sessions\n"
		"Paid Search,30,20\nOrganic Search,50,10\n"), 0);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), PAID)->sessions, 30);
	assert_non_null(x->q[5].range);
	bp_quality_clear(&x->q[5]);
	assert_int_equal(feed(x, 5, "# Start date: 20260925\n# End date: 20261002\n"
		"Session default channel group,Sessions\nDirect,3\n"), -1);
	assert_non_null(strstr(x->err.msg, "add the Date dimension"));
}

static void test_ingest_ga4_date_hour_and_year_month(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 5, "Session primary channel group (Default channel group),"
		"Date + hour (YYYYMMDDHH),Sessions\nPaid Search,2026093023,4\n"
		"Paid Search,2026100100,6\n"), 0);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 9), PAID)->sessions, 4);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), PAID)->sessions, 6);
	bp_quality_clear(&x->q[5]);
	assert_int_equal(feed(x, 5, "Year month,Session default channel group,Sessions\n"
		"202609,Paid Search,7\n"), 0);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 9), PAID)->sessions, 11);
}

static void test_ingest_ga4_reports_snapshot_refused(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 5, "# Start date: 20261001\n# End date: 20261031\n"
		"Nth day,Users\n0000,1\n\n# Start date: 20261001\n# End date: 20261031\n"
		"Session default channel group,Sessions\nDirect,3\n"), -1);
	assert_non_null(strstr(x->err.msg, "Reports snapshot"));
	assert_non_null(strstr(x->err.msg, "Traffic acquisition"));
}

static void test_ingest_ga4_notes_under_the_table_skipped(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 5, "Date,Session default channel group,Sessions,\n"
		"20261001,Direct,3,\n,,,\n,,,\nmy note,,,\n0.5,,,\n"), 0);
	assert_int_equal(x->q[5].notes_rows, 4);
	assert_int_equal(x->q[5].rows_used, 1);
}

/* ---- empty periods ---- */

static void test_ingest_meta_no_data_is_an_empty_period(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 2, "\"Reporting starts\",\"Reporting ends\",\"Campaign name\","
		"Impressions,\"Amount spent (USD)\"\n\"No data available.\"\n"), 0);
	assert_int_equal(x->q[2].empty_export, 1);
	assert_int_equal(x->q[2].rows_used, 0);
	assert_non_null(bp_quality_warning(&x->q[2], "empty-export"));
}

static void test_ingest_linkedin_preamble_only_is_an_empty_period(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 4, "Ad Performance Report (in UTC)\n"
		"\"Report Start: August 18, 2019, 12:00 AM\"\n"
		"\"Report End: September 16, 2019, 11:59 PM\"\n"
		"\"Date Generated: September 16, 2019, 5:55 AM\"\n\n"), 0);
	assert_int_equal(x->q[4].empty_export, 1);
	assert_non_null(bp_quality_warning(&x->q[4], "empty-export"));
}

/* ---- absent columns and totals ---- */

static void test_ingest_absent_clicks_declared_absent(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Day,Campaign,Impr.,Interactions,Currency code,Cost\n"
		"2026-10-01,Video,1000,300,USD,5.00\n"), 0);
	assert_false(x->f->has[PAID] & BP_HAS_CLICKS);
	assert_true(x->f->has[PAID] & BP_HAS_IMPRESSIONS);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), PAID)->clicks, 0);
	assert_null(x->q[3].map[3].header);
}

/* Clicks from one source and none from another: CTR and CPC over the
 * source that has them only. */
static void test_ingest_ctr_like_for_like_over_sources_with_clicks(void **state)
{
	fx *x = *state;
	bp_month_cell *mc;

	assert_int_equal(feed(x, 3, "Day,Impr.,Currency code,Cost\n2026-10-01,1000,USD,5.00\n"), 0);
	assert_int_equal(feed(x, 4, "Start Date (in UTC)\tImpressions\tClicks\tTotal Spent\n"
		"10/02/2026\t100\t4\t2.00\n"), 0);
	mc = bp_funnel_month(x->f, M(2026, 10), PAID);
	assert_int_equal(mc->impressions, 1100);
	assert_int_equal(mc->clicks, 4);
	assert_int_equal(mc->ctr_impressions, 100);
	assert_int_equal(mc->cpc_spend, 2 * BP_MONEY_SCALE);
	assert_true(x->f->has[PAID] & BP_HAS_CLICKS);
}

static void test_ingest_account_total_that_differs_is_warned(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Day,Impr.,Clicks,Currency code,Cost\n"
		"2026-10-01,100,1,USD,1.67\n2026-10-02,100,1,USD,0.91\n"
		"Total: Campaigns,200,2,USD,2.57\n"
		"Total: Account,250,3,USD,3.00\n"), 0);
	assert_int_equal(x->q[3].n_totals, 2);
	assert_int_equal(x->q[3].totals[0].matches, 1);   /* a cent of rounding */
	assert_int_equal(x->q[3].totals[1].matches, 0);
	assert_non_null(strstr(bp_quality_warning(&x->q[3], "totals-differ")->text,
			       "'Total: Account'"));
}

/* ---- messages ---- */

static void test_ingest_currency_error_names_the_column(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Day,Currency code,Cost\n2026-10-01,GBP,5.00\n"), -1);
	assert_non_null(strstr(x->err.msg, "currency 'GBP' in column 'Currency code'"));
	assert_string_equal(x->err.source, "gads");
}

/* ---- the README's preset tables ---- */

/* The README lists every field of every preset with the header names it
 * goes by, in this module's order: adding an alias without documenting
 * it fails here. */
static void test_ingest_readme_lists_every_preset_field(void **state)
{
	static const bp_source_kind kinds[] = { BP_SRC_CONTACTS, BP_SRC_DEALS,
						BP_SRC_SPEND, BP_SRC_TRAFFIC };
	static const char *const names[] = { "hubspot", "hubspot", "google-ads",
					     "linkedin", "meta", "ga4" };
	static const int kind_of[] = { 0, 1, 2, 2, 2, 3 };
	char *readme, heading[64];
	size_t p, i, k;

	(void)state;
	readme = tl_read_file(tl_src_file("README.md"), NULL);
	for (p = 0; p < sizeof(names) / sizeof(names[0]); p++) {
		bp_source_kind kind = kinds[kind_of[p]];
		const char *section, *f;
		int required;

		snprintf(heading, sizeof(heading), "**`%s` %s**", names[p],
			 bp_source_kind_name(kind));
		section = strstr(readme, heading);
		assert_non_null(section);
		for (i = 0; (f = bp_preset_field(kind, names[p], i, &required)); i++) {
			char want[512];
			const char *h;
			size_t o;

			o = (size_t)snprintf(want, sizeof(want), "| `%s` | %s | ", f,
					     required ? "yes" : "");
			for (k = 0; (h = bp_preset_header(kind, names[p], i, k)); k++)
				o += (size_t)snprintf(want + o, sizeof(want) - o,
						      "%s`%s`", k ? ", " : "", h);
			snprintf(want + o, sizeof(want) - o, " |\n");
			if (!strstr(section, want))
				fail_msg("README.md's %s table lacks: %s", heading, want);
		}
	}
	free(readme);
}

/* Won deals each under the bound of one amount: the row whose amount
 * would take won revenue past 64 bits stops the run, named by line and
 * column. */
static void test_ingest_deal_amounts_that_overflow_name_the_row(void **state)
{
	fx *x = *state;
	char text[4096], *o = text;
	int i;

	o += sprintf(o, "Record ID,Deal Stage,Close Date,Amount\n");
	for (i = 1; i <= 10; i++)
		o += sprintf(o, "%d,Closed Won,2026-10-05,99999999999999\n", i);
	assert_int_equal(feed(x, 1, text), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_int_equal(x->err.line, 11);
	assert_int_equal(x->err.col, 26);
	assert_non_null(strstr(x->err.msg, "'99999999999999' in column 'Amount'"));
	assert_non_null(strstr(x->err.msg, "overflow"));
	assert_string_equal(x->err.source, "deals");
}

/* An amount beyond the bound one value may have is refused as such, not
 * as "not a number", and not wrapped. */
static void test_ingest_money_beyond_bound_is_fatal(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Day,Cost\n2026-10-01,5.00\n"
			      "2026-10-02,\"500,000,000,000,000.00\"\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_int_equal(x->err.line, 3);
	assert_int_equal(x->err.col, 12);
	assert_non_null(strstr(x->err.msg, "is larger than 100000000000000.00"));
}

/* Sessions, engaged sessions and new users are counts: one below zero is
 * refused with its place, like impressions and clicks. */
static void test_ingest_negative_traffic_counts_are_fatal(void **state)
{
	static const char *const rows[] = {
		"20261001,Paid Search,-4,1,1\n", "20261001,Paid Search,4,-1,1\n",
		"20261001,Paid Search,4,1,-1\n",
	};
	static const char *const what[] = {
		"negative sessions '-4' in column 'Sessions'",
		"negative engaged_sessions '-1' in column 'Engaged sessions'",
		"negative new_users '-1' in column 'New users'",
	};
	static const long cols[] = { 22, 24, 26 };
	fx *x = *state;
	char text[256];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "Date,Session default channel group,"
			 "Sessions,Engaged sessions,New users\n20261002,Direct,1,1,1\n%s",
			 rows[i]);
		bp_quality_clear(&x->q[5]);
		bp_err_clear(&x->err);
		assert_int_equal(feed(x, 5, text), -1);
		assert_int_equal(x->err.code, BP_EDATA);
		assert_int_equal(x->err.line, 3);
		assert_int_equal(x->err.col, cols[i]);
		assert_non_null(strstr(x->err.msg, what[i]));
	}
}

/* A negative cost is a refund or a credit: summed, so it lowers the
 * month's spend, counted, and warned about. */
static void test_ingest_negative_cost_summed_counted_and_warned(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Day,Cost,Impr.,Clicks\n2026-10-01,100.00,10,1\n"
			      "2026-10-02,(25.50),0,0\n2026-10-03,-4.50,0,0\n"), 0);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), PAID)->spend,
			 70 * BP_MONEY_SCALE);
	assert_int_equal(x->q[3].negative_cost, 2);
	assert_non_null(bp_quality_warning(&x->q[3], "negative-spend"));
	assert_non_null(strstr(bp_quality_warning(&x->q[3], "negative-spend")->text,
			       "2 rows have a negative cost in 'Cost' (refunds or "
			       "credits), -30.00 in all"));
}

/* ---- text kept for the outputs ---- */

/* A header the preset matches by its start ("Amount spent*") is kept as
 * written, so its control character and stray byte are cleaned there
 * and counted; a source value likewise, once per row it is on. */
static void test_ingest_kept_text_is_cleaned_and_counted(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 2, "Reporting starts,Amount spent \x01(x)\xff,Impressions\n"
			      "2026-10-01,10,1\n"), 0);
	assert_string_equal(x->q[2].map[1].header,
			    "Amount spent \xE2\x90\x81(x)\xEF\xBF\xBD");
	assert_int_equal(x->q[2].sanitized_values, 1);
	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-10-01 10:00,Pod\x1b[2Jcast,,,\n"
		"2,2026-10-02 10:00,Pod\x1b[2Jcast,,,\n"
		"3,2026-10-02 10:00,caf\xe9,,,\n"
		"4,2026-10-02 10:00,Paid search,,,\n"), 0);
	assert_int_equal(x->q[0].n_unmatched, 2);
	assert_string_equal(x->q[0].unmatched[0].value, "Pod\xE2\x90\x9B[2Jcast");
	assert_int_equal(x->q[0].unmatched[0].count, 2);
	assert_string_equal(x->q[0].unmatched[1].value, "caf\xEF\xBF\xBD");
	assert_int_equal(x->q[0].sanitized_values, 3);
	assert_int_equal(x->q[0].truncated_values, 0);
}

/* A value longer than BP_TEXT_MAX is matched by the rules whole, and kept
 * only cut: two long values with one start are listed as one. */
static void test_ingest_long_values_cut_and_counted(void **state)
{
	fx *x = *state;
	size_t big = 100000;
	char *text = malloc(3 * big + 512), *o = text;
	int i;

	o += sprintf(o, CONTACT_HEADER);
	for (i = 0; i < 3; i++) {
		o += sprintf(o, "%d,2026-10-01 10:00,", i + 1);
		memset(o, 'x', big);
		o += big;
		o += sprintf(o, "%c,,,\n", 'a' + i);
	}
	*o = '\0';
	assert_int_equal(feed(x, 0, text), 0);
	free(text);
	assert_int_equal(x->q[0].unmatched_rows, 3);
	assert_int_equal(x->q[0].n_unmatched, 1);
	assert_int_equal(strlen(x->q[0].unmatched[0].value), BP_TEXT_MAX);
	assert_non_null(strstr(x->q[0].unmatched[0].value, "xxx\xE2\x80\xA6"));
	assert_int_equal(x->q[0].unmatched[0].count, 3);
	assert_int_equal(x->q[0].truncated_values, 3);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), OTHER)->contacts, 3);
}

/* Past 100 distinct unmatched values, the ones with most rows are listed
 * and the rest fold into "(more values)", with a warning. */
static void test_ingest_distinct_values_listed_up_to_a_cap(void **state)
{
	fx *x = *state;
	char *text = malloc(200 * 64), *o = text;
	int i;

	o += sprintf(o, CONTACT_HEADER);
	for (i = 0; i < 150; i++)
		o += sprintf(o, "%d,2026-10-01 10:00,Partner %03d,,,\n", i + 1, i);
	/* One value with three rows, one with two: listed first. */
	o += sprintf(o, "901,2026-10-01 10:00,Partner 149,,,\n"
		     "902,2026-10-01 10:00,Partner 149,,,\n"
		     "903,2026-10-01 10:00,Partner 007,,,\n");
	assert_int_equal(feed(x, 0, text), 0);
	free(text);
	assert_int_equal(x->q[0].n_unmatched, 101);
	assert_string_equal(x->q[0].unmatched[0].value, "Partner 149");
	assert_int_equal(x->q[0].unmatched[0].count, 3);
	assert_string_equal(x->q[0].unmatched[1].value, "Partner 007");
	assert_string_equal(x->q[0].unmatched[100].value, "(more values)");
	assert_int_equal(x->q[0].unmatched[100].count, 50);
	assert_int_equal(x->q[0].unlisted_values, 50);
	assert_int_equal(x->q[0].unmatched_rows, 153);
	assert_non_null(strstr(bp_quality_warning(&x->q[0], "many-values")->text,
			       "150 distinct values in 'Original Source' match no "
			       "channel rule: the 100 with most rows are listed, "
			       "and the other 50 rows"));
}

/* An export's total rows are kept up to a few; more are footer rows. */
static void test_ingest_total_rows_kept_up_to_a_cap(void **state)
{
	fx *x = *state;
	char text[4096], *o = text;
	int i;

	o += sprintf(o, "Day,Impr.,Clicks,Currency code,Cost\n2026-10-01,100,1,USD,1.00\n");
	for (i = 0; i < 40; i++)
		o += sprintf(o, "Total: Account,100,1,USD,1.00\n");
	assert_int_equal(feed(x, 3, text), 0);
	assert_int_equal(x->q[3].n_totals, 16);
	assert_int_equal(x->q[3].footer_rows, 40);
}

/* A record ID longer than any export has is refused with its place: the
 * contact index would keep it whole. */
static void test_ingest_record_id_too_long_is_fatal(void **state)
{
	fx *x = *state;
	char text[1024], id[300];

	memset(id, '7', 257);
	id[257] = '\0';
	snprintf(text, sizeof(text), CONTACT_HEADER
		 "1,2026-10-01 10:00,Paid search,,,\n%s,2026-10-01 10:00,Paid search,,,\n", id);
	assert_int_equal(feed(x, 0, text), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_int_equal(x->err.line, 3);
	assert_int_equal(x->err.col, 1);
	assert_non_null(strstr(x->err.msg, "record ID of 257 bytes in column 'Record ID'"));
	/* 256 is still an ID. */
	id[256] = '\0';
	snprintf(text, sizeof(text), CONTACT_HEADER "%s,2026-10-01 10:00,Paid search,,,\n", id);
	bp_quality_clear(&x->q[0]);
	assert_int_equal(feed(x, 0, text), 0);
}

/* ---- footers, by their shape ---- */

/* Contacts whose first field reads "Total", "Copyright ..." or
 * "Confidential ..." are contacts: they have a record ID.  The lines
 * after the last record that have none are the footer. */
static void test_ingest_footer_known_by_shape_not_first_word(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0,
		"First Name,Record ID,Create Date,Original Source,Became a Lead Date\n"
		"Total,1,2026-10-01 10:00,Paid search,\n"
		"Copyright Agency,2,2026-10-02 10:00,Paid search,\n"
		"Confidential Information Ltd,3,2026-10-03 10:00,Paid search,\n"
		"Ann,,2026-10-03 10:00,Paid search,\n"
		"Total: Account,4,2026-10-04 10:00,Paid search,\n"
		"\n"
		"Total,,,,\n"
		"Confidential Information - Do Not Distribute\n"
		"\"Copyright \xC2\xA9 2000-2025 salesforce.com, inc. All rights reserved.\"\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->contacts, 4);
	assert_int_equal(x->q[0].footer_rows, 3);
	/* A row without an ID among the records is not a footer. */
	assert_int_equal(x->q[0].missing_id, 1);
	assert_int_equal(x->q[0].rows_used, 4);
}

/* An export the file ends inside, in a row narrower than the header and
 * with no line end: the row's last value may be cut too (an amount of
 * 7438 read as 7), so the run stops, naming the place where it ends. */
static void test_ingest_export_cut_inside_a_row_is_fatal_with_place(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 2, "Reporting starts,Reporting ends,Campaign name,"
				    "Amount spent (USD),Impressions,Link clicks\n"
				    "2026-10-01,2026-10-01,A,7438,10,1\n"
				    "2026-10-02,2026-10-02,A,7"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_int_equal(x->err.line, 3);
	assert_int_equal(x->err.col, 26);
	assert_non_null(strstr(x->err.msg, "after 4 of the header's 6 fields"));
	assert_non_null(strstr(x->err.msg, "cut short"));
	/* A deal cut after its name (else a footer by its shape), and one
	 * cut inside its ID. */
	assert_int_equal(feed(x, 1, "Record ID,Deal Name,Deal Stage,Close Date,Amount\n"
				    "9,A,Closed Won,2026-10-05,100\n"
				    "10,Pangyo AI - \xEC\x97\xB0\xEA\xB0\x84,"), -1);
	assert_int_equal(x->err.line, 3);
	assert_int_equal(x->err.col, 19);
	assert_non_null(strstr(x->err.msg, "after 3 of the header's 5 fields"));
	bp_quality_clear(&x->q[1]);
	assert_int_equal(feed(x, 1, "Record ID,Deal Name,Deal Stage,Close Date,Amount\n"
				    "9,A,Closed Won,2026-10-05,100\n"
				    "1011"), -1);
	assert_int_equal(x->err.line, 3);
	assert_int_equal(x->err.col, 5);
}

/* Exports written without a final line end are read: their last row is
 * whole (GA4's), or a footer's or a notice's one field.  A narrow row
 * with its line end is a row with empty fields, as before. */
static void test_ingest_last_row_without_line_end_read_when_whole(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 5, "# Start date: 20261001\n"
				    "Date,Session default channel group,Sessions\n"
				    "20261001,Paid Search,5\n"
				    "20261002,Paid Search,7"), 0);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), PAID)->sessions, 12);
	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"7,2026-10-02 10:00,Paid search,,,\n"
		"Copyright 2026 Example Inc."), 0);
	assert_int_equal(x->q[0].footer_rows, 1);
	assert_int_equal(feed(x, 2, "Reporting starts,Reporting ends,Campaign name,"
				    "Amount spent (USD),Impressions,Link clicks\n"
				    "\"No data available.\""), 0);
	assert_int_equal(feed(x, 1, "Record ID,Deal Stage,Close Date,Amount\n"
				    "9,Closed Won,2026-10-05\n"
				    "10,Closed Won,2026-10-05,100"), 0);
	assert_int_equal(x->q[1].won_without_amount, 1);
	/* The narrow row is counted, and warned about with its line. */
	assert_int_equal(x->q[1].narrow_rows, 1);
	assert_int_equal(x->q[1].narrow_line, 2);
	assert_true(x->q[1].n_warnings >= 1);
	assert_string_equal(x->q[1].warnings[x->q[1].n_warnings - 1].code, "narrow-rows");
	assert_non_null(strstr(x->q[1].warnings[x->q[1].n_warnings - 1].text,
			       "1 row has fewer fields than the header (the first on line 2)"));
	assert_int_equal(x->q[0].narrow_rows, 0);
}

/* With the record ID in the first column a footer's text sits where the
 * ID would: the row is a footer when the record's other required columns
 * are empty, and a record named "Total" is still a record. */
static void test_ingest_footer_in_the_id_column(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"Total,2026-10-01 10:00,Paid search,,,\n"
		"Copyright,2026-10-02 10:00,Paid search,,,\n"
		"7,2026-10-02 10:00,Paid search,,,\n"
		"Total,,,,,\n"
		"Copyright 2026 Example Inc.\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->contacts, 3);
	assert_int_equal(x->q[0].footer_rows, 2);
	assert_int_equal(x->q[0].missing_id, 0);
}

/* With the record ID in the first column, a row whose ID is empty but
 * whose other fields are there is a record without an ID among the
 * records, counted, not a footer line that stops the run. */
static void test_ingest_empty_first_column_id_is_missing_not_footer(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-10-01 10:00,Paid search,,,\n"
		",2026-10-02 10:00,Paid search,,,\n"
		"2,2026-10-02 10:00,Paid search,,,\n"
		"Total,,,,,\n"), 0);
	assert_int_equal(bp_funnel_cohort(x->f, M(2026, 10), PAID)->contacts, 2);
	assert_int_equal(x->q[0].missing_id, 1);
	assert_int_equal(x->q[0].footer_rows, 1);
}

/* A line shaped like a footer with records after it is neither: the run
 * stops naming it, rather than drop or count it. */
static void test_ingest_footer_shape_before_records_is_fatal(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-10-01 10:00,Paid search,,,\n"
		"Confidential Information - Do Not Distribute\n"
		"Total,,,,,\n"
		"2,2026-10-02 10:00,Paid search,,,\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_int_equal(x->err.line, 3);
	assert_non_null(strstr(x->err.msg, "'Confidential Information - Do Not "
			       "Distribute' looks like a footer line, but records "
			       "follow it (line 5)"));
	/* Spend: a total row with spend rows after it. */
	bp_err_clear(&x->err);
	assert_int_equal(feed(x, 3, "Day,Campaign,Cost\n2026-10-01,Brand,1.00\n"
			      "Total: Search,,1.00\n2026-10-02,Brand,2.00\n"), -1);
	assert_int_equal(x->err.line, 3);
	assert_non_null(strstr(x->err.msg, "'Total: Search' looks like a footer"));
}

/* Spend: a campaign called "Total: Brand" is spend when its row has a
 * date; "Total" rows with no date and no campaign are the export's
 * totals. */
static void test_ingest_spend_total_rows_by_shape(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Campaign,Day,Cost\n"
			      "Total: Brand,2026-10-01,5.00\n"
			      "Generic,2026-10-02,2.00\n"
			      "Total: Campaigns, --,7.00\n"
			      "Total: Account,,7.00\n"), 0);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), PAID)->spend,
			 7 * BP_MONEY_SCALE);
	assert_int_equal(x->q[3].rows_used, 2);
	assert_int_equal(x->q[3].footer_rows, 2);
	assert_int_equal(x->q[3].n_totals, 2);
	assert_null(bp_quality_warning(&x->q[3], "totals-differ"));
}

/* ---- what an export covers, and what it says about itself ---- */

/* Whether the text of warning `code` of q holds `part`. */
static int warned(const bp_quality *q, const char *code, const char *part)
{
	const bp_warning *w = bp_quality_warning(q, code);

	return w && strstr(w->text, part) != NULL;
}

static void test_ingest_range_month_without_a_day_has_no_spend(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Campaign performance\n"
		"\"October 1, 2026 - October 31, 2026\"\n"
		"Day,Campaign,Clicks,Impr.,Currency code,Cost\n"
		"2026-10-01,Brand,10,100,USD,1.20\n"), 0);
	/* September: not a day of it, so its spend is not known to be 0. */
	assert_false(bp_funnel_covered(x->f, PAID, 0, 0) & BP_COVERS_SPEND);
	assert_true(bp_funnel_covered(x->f, PAID, 1, 1) & BP_COVERS_SPEND);
	assert_false(bp_funnel_covered(x->f, PAID, 0, 1) & BP_COVERS_SPEND);
	/* Another channel's spend, and the traffic, are not this export's. */
	assert_true(bp_funnel_covered(x->f, ORGANIC, 0, 0) & BP_COVERS_SPEND);
	assert_true(bp_funnel_covered(x->f, PAID, 0, 0) & BP_COVERS_TRAFFIC);
	assert_true(warned(&x->q[3], "partial-range",
			   "covers 'October 1, 2026 - October 31, 2026' and has no "
			   "day of 2026-09:"));
	assert_false(warned(&x->q[3], "partial-range", "2026-10"));
}

static void test_ingest_range_part_of_a_month_kept_and_named(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Campaign performance\n"
		"\"September 15, 2026 - October 31, 2026\"\n"
		"Day,Campaign,Clicks,Impr.,Currency code,Cost\n"
		"2026-09-15,Brand,10,100,USD,1.20\n"), 0);
	assert_true(bp_funnel_covered(x->f, PAID, 0, 1) & BP_COVERS_SPEND);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 9), PAID)->spend,
			 12 * BP_MONEY_SCALE / 10);
	assert_true(warned(&x->q[3], "partial-range", "only some days of 2026-09:"));
}

static void test_ingest_range_whole_window_says_nothing(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Campaign performance\n"
		"\"September 1, 2026 - October 31, 2026\"\n"
		"Day,Campaign,Clicks,Impr.,Currency code,Cost\n"
		"2026-09-15,Brand,10,100,USD,1.20\n"), 0);
	assert_true(bp_funnel_covered(x->f, PAID, 0, 1) & BP_COVERS_SPEND);
	assert_null(bp_quality_warning(&x->q[3], "partial-range"));
}

/* The last day counts up to two days before as_of, in the month as_of is
 * in: an export made in the morning ends with yesterday, in an ad
 * account's time zone that may be a day behind the report's.  A past
 * month needs its last day. */
static void test_ingest_range_to_yesterday_covers_the_month_of_as_of(void **state)
{
	fx *x = *state;
	bp_funnel *f = bp_funnel_new(x->tz, bp_month_start(x->tz, M(2026, 10)) +
				     20 * 86400 + 6 * 3600, M(2026, 10), 2, NCH);
	unsigned char part[2];

	/* as_of 2026-10-21 06:00: the export ends 2026-10-20. */
	assert_int_equal(bp_funnel_cover(f, PAID, BP_COVERS_SPEND,
					 bp_month_start(x->tz, M(2026, 9)),
					 bp_month_start(x->tz, M(2026, 10)) + 20 * 86400 - 1,
					 part), 0);
	assert_int_equal(part[1], BP_COVERED);
	/* Ending 2026-10-19 (an account a day behind): covered still. */
	assert_int_equal(bp_funnel_cover(f, PAID, BP_COVERS_SPEND,
					 bp_month_start(x->tz, M(2026, 9)),
					 bp_month_start(x->tz, M(2026, 10)) + 19 * 86400 - 1,
					 part), 0);
	/* Ending 2026-10-18 leaves a day out. */
	assert_int_equal(bp_funnel_cover(f, PAID, BP_COVERS_SPEND,
					 bp_month_start(x->tz, M(2026, 9)),
					 bp_month_start(x->tz, M(2026, 10)) + 18 * 86400 - 1,
					 part), 1);
	assert_int_equal(part[1], BP_COVERED_PART);
	bp_funnel_free(f);
	/* The fixture's as_of is October's last instant: the 30th is short. */
	assert_int_equal(bp_funnel_cover(x->f, PAID, BP_COVERS_SPEND,
					 bp_month_start(x->tz, M(2026, 9)),
					 bp_month_end(x->tz, M(2026, 10)) - 86400, part), 1);
	assert_int_equal(part[0], BP_COVERED);
	assert_int_equal(part[1], BP_COVERED_PART);
}

static void test_ingest_linkedin_report_bounds_are_its_range(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 4, "Campaign Performance Report\n"
		"Report Start: 10/01/2026\nReport End: 10/31/2026\n"
		"Start Date (in UTC),Campaign Name,Impressions,Clicks,Total Spent\n"
		"10/02/2026,ABM,100,1,5.00\n"), 0);
	assert_false(bp_funnel_covered(x->f, PAID, 0, 0) & BP_COVERS_SPEND);
	assert_true(bp_funnel_covered(x->f, PAID, 1, 1) & BP_COVERS_SPEND);
	assert_true(warned(&x->q[4], "partial-range",
			   "covers '2026-10-01 - 2026-10-31' and has no day of 2026-09"));
}

static void test_ingest_linkedin_bounds_with_time_of_day(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 4, "Ad Performance Report (in UTC)\n"
		"\"Report Start: September 18, 2026, 12:00 AM\"\n"
		"\"Report End: October 31, 2026, 11:59 PM\"\n"
		"\"Date Generated: November 1, 2026, 5:55 AM\"\n\n"), 0);
	assert_true(warned(&x->q[4], "partial-range",
			   "'2026-09-18 - 2026-10-31', only some days of 2026-09"));
}

static void test_ingest_ga4_range_takes_traffic_off_every_channel(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 5, "# Start date: 20261001\n# End date: 20261031\n\n"
		"Date,Session default channel group,Sessions\n"
		"20261001,Paid Search,7\n"), 0);
	assert_false(bp_funnel_covered(x->f, PAID, 0, 0) & BP_COVERS_TRAFFIC);
	assert_false(bp_funnel_covered(x->f, ORGANIC, 0, 0) & BP_COVERS_TRAFFIC);
	assert_true(bp_funnel_covered(x->f, ORGANIC, 0, 0) & BP_COVERS_SPEND);
	assert_true(bp_funnel_covered(x->f, OTHER, 1, 1) & BP_COVERS_TRAFFIC);
	assert_true(warned(&x->q[5], "partial-range", "sessions, new users"));
}

static void test_ingest_bad_optional_dates_warned_with_the_first(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 0, CONTACT_HEADER
		"1,2026-10-01 10:00,Paid search,2026-10-02 10:00,,\n"
		"2,2026-10-01 10:00,Paid search,n/a,,\n"
		"3,2026-10-01 10:00,Paid search,31/10/2026,,\n"), 0);
	assert_int_equal(x->q[0].bad_dates, 2);
	assert_true(warned(&x->q[0], "bad-dates",
			   "2 dates could not be read and count as no date (the "
			   "first, 'n/a', on line 3, column 32, 'Became a Lead Date')"));
}

static void test_ingest_rows_wider_than_the_header_warned(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 2, "Reporting starts,Campaign name,Amount spent (USD),"
		"Impressions\n"
		"2026-10-01,Brand,5.00,100\n"
		"2026-10-02,Brand,10,277,2153\n"), 0);
	assert_int_equal(x->q[2].wide_rows, 1);
	assert_int_equal(x->q[2].wide_line, 3);
	assert_true(warned(&x->q[2], "wide-rows", "(the first on line 3)"));
}

static void test_ingest_header_only_export_warned(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 1, "Record ID,Deal Stage,Close Date,Amount\n"), 0);
	assert_non_null(bp_quality_warning(&x->q[1], "no-rows"));
	assert_int_equal(feed(x, 3, "Campaign performance\n"
		"\"October 1, 2026 - October 31, 2026\"\n"
		"Day,Campaign,Clicks,Impr.,Currency code,Cost\n"), 0);
	assert_non_null(bp_quality_warning(&x->q[3], "no-rows"));
}

static void test_ingest_many_duplicates_and_unknown_contacts_warned(void **state)
{
	fx *x = *state;
	char text[8192];
	size_t o;
	int i;

	o = (size_t)snprintf(text, sizeof(text), "%s", CONTACT_HEADER);
	for (i = 0; i < 30; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "%d,2026-10-01 10:00,Paid search,,,\n",
				      i < 25 ? 1 : 2 + i);
	assert_int_equal(feed(x, 0, text), 0);
	assert_int_equal(x->q[0].duplicates, 24);
	assert_true(warned(&x->q[0], "many-duplicates", "24 of its 30 rows (80%)"));
	o = (size_t)snprintf(text, sizeof(text), "Record ID,Deal Stage,Close Date,"
			     "Amount,Associated Contact IDs\n");
	for (i = 0; i < 25; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "D%d,Closed Won,2026-10-05,100,%d\n", i,
				      i < 5 ? 1 : 900 + i);
	assert_int_equal(feed(x, 1, text), 0);
	assert_true(warned(&x->q[1], "unknown-contacts", "20 of its 25 deals (80%)"));
}

static void test_ingest_few_duplicates_not_warned(void **state)
{
	fx *x = *state;
	char text[8192];
	size_t o;
	int i;

	o = (size_t)snprintf(text, sizeof(text), "%s", CONTACT_HEADER);
	for (i = 0; i < 40; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "%d,2026-10-01 10:00,Paid search,,,\n",
				      i == 39 ? 1 : i + 1);
	assert_int_equal(feed(x, 0, text), 0);
	assert_int_equal(x->q[0].duplicates, 1);
	assert_null(bp_quality_warning(&x->q[0], "many-duplicates"));
}

static void test_ingest_meta_row_over_two_months_is_fatal(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 2, "Reporting starts,Reporting ends,Campaign name,"
		"Amount spent (USD)\n"
		"2026-10-01,2026-10-31,Brand,5.00\n"
		"2026-09-15,2026-10-14,Brand,4000.00\n"), -1);
	assert_int_equal(x->err.line, 3);
	assert_int_equal(x->err.col, 12);
	assert_non_null(strstr(x->err.msg, "2026-09-15 to 2026-10-14, more than one month"));
}

/* Google Ads names no header for a row's last day: the field is not one
 * its export lacks. */
static void test_ingest_field_without_a_header_is_not_missing(void **state)
{
	fx *x = *state;
	size_t k, seen = 0;

	assert_int_equal(feed(x, 3, "Campaign performance\n"
		"\"October 1, 2026 - October 31, 2026\"\n"
		"Day,Campaign,Impr.,Currency code,Cost\n"
		"2026-10-01,Brand,100,USD,1.20\n"), 0);
	for (k = 0; k < x->q[3].n_map; k++)
		if (!strcmp(x->q[3].map[k].field, "until")) {
			seen++;
			assert_int_equal(x->q[3].map[k].unnamed, 1);
		} else {
			assert_int_equal(x->q[3].map[k].unnamed, 0);
		}
	assert_int_equal(seen, 1);
}

/* With a breakdown by day, each row is its day, whatever the reporting
 * period around it. */
static void test_ingest_meta_day_column_wins_over_reporting_starts(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 2, "Reporting starts,Reporting ends,Day,Campaign name,"
		"Amount spent (USD)\n"
		"2026-09-01,2026-10-31,2026-10-03,Brand,5.00\n"
		"2026-09-01,2026-10-31,2026-09-03,Brand,4.00\n"), 0);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), PAID)->spend, 5 * BP_MONEY_SCALE);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 9), PAID)->spend, 4 * BP_MONEY_SCALE);
}

/* A deal closed before it was created is kept as it is and counted; a
 * won deal without a usable close date still is pipeline, so its row is
 * used. */
static void test_ingest_deal_dates_counted_and_rows_used(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 1, "Record ID,Deal Stage,Close Date,Amount,"
		"Create Date\n"
		"D1,Closed Won,2026-10-03,100,2026-10-20\n"
		"D2,Closed Won,,200,2026-10-05\n"
		"D3,Closed Won,,300,\n"
		"D4,Closed Won,2026-10-21,400,2026-10-02\n"), 0);
	assert_int_equal(x->q[1].close_before_create, 1);
	assert_int_equal(x->q[1].won_without_close_date, 2);
	/* D3 has nothing the run can count: no close date, no create date. */
	assert_int_equal(x->q[1].rows_used, 3);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), OTHER)->won_deals, 2);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), OTHER)->pipeline_created,
			 700 * BP_MONEY_SCALE);
}

/* A money column that writes '.' between thousands in one row and as the
 * decimal point (or what reads as one) in another cannot be right either
 * way: the run stops at the second, naming the first. */
static void test_ingest_money_column_mixing_dot_styles_is_fatal(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Campaign performance\n"
		"\"October 1, 2026 - October 31, 2026\"\n"
		"Day,Campaign,Impr.,Currency code,Cost\n"
		"2026-10-01,Brand,100,USD,1.500\n"
		"2026-10-02,Brand,100,USD,\"12.345.678\"\n"), -1);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_int_equal(x->err.line, 5);
	assert_non_null(strstr(x->err.msg, "amount '12.345.678' in column 'Cost' "
			       "writes '.' between thousands, but line 4 ('1.500') "
			       "wrote it as the decimal point"));
	bp_err_clear(&x->err);
	assert_int_equal(feed(x, 2, "Reporting starts,Campaign name,Amount spent (USD)\n"
		"2026-10-01,Brand,\"1.234,56\"\n"
		"2026-10-02,Brand,4.50\n"), -1);
	assert_non_null(strstr(x->err.msg, "'4.50' in column 'Amount spent (USD)' writes "
			       "'.' as the decimal point, but line 2 ('1.234,56') "
			       "wrote it between thousands"));
}

/* In a currency without a minor unit, three digits after '.' are no
 * decimals: the export groups thousands with '.', and every amount read
 * as a decimal would be 1,000 times too small. */
static void test_ingest_three_decimals_of_krw_are_fatal(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 2, "Reporting starts,Campaign name,Amount spent (KRW)\n"
		"2026-10-01,Brand,10.277\n"), -1);
	assert_int_equal(x->err.line, 2);
	assert_non_null(strstr(x->err.msg, "amount '10.277' in column 'Amount spent "
			       "(KRW)' has three digits after '.', but KRW has no "
			       "minor unit"));
}

static void test_ingest_money_column_one_dot_style_reads(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "Campaign performance\n"
		"\"October 1, 2026 - October 31, 2026\"\n"
		"Day,Campaign,Impr.,Currency code,Cost\n"
		"2026-10-01,Brand,100,USD,1.500\n"
		"2026-10-02,Brand,100,USD,\"4,838.80\"\n"
		"2026-10-03,Brand,100,USD,2.25\n"), 0);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), PAID)->spend,
			 (bp_money)484255 * BP_MONEY_SCALE / 100);
	assert_int_equal(feed(x, 2, "Reporting starts,Campaign name,Amount spent (USD)\n"
		"2026-10-01,Brand,\"1.234,56\"\n"
		"2026-10-02,Brand,\"12.345.678\"\n"), 0);
}

/* A Korean interface's export: translated headers and total rows. */
static void test_ingest_google_ads_korean_total_rows(void **state)
{
	fx *x = *state;

	assert_int_equal(feed(x, 3, "캠페인 보고서\n"
		"\"2026년 10월 1일 - 2026년 10월 31일\"\n"
		"일,캠페인,노출수,클릭수,통화 코드,비용\n"
		"2026-10-01,브랜드,100,10,USD,1.20\n"
		"2026-10-02,브랜드,50,5,USD,2.30\n"
		"합계: 캠페인,,150,15,USD,3.50\n"
		"합계: 계정,,150,15,USD,9.50\n"), 0);
	assert_int_equal(x->q[3].footer_rows, 2);
	assert_int_equal(bp_funnel_month(x->f, M(2026, 10), PAID)->spend,
			 35 * BP_MONEY_SCALE / 10);
	/* The account's total is checked against the rows. */
	assert_non_null(bp_quality_warning(&x->q[3], "totals-differ"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ingest_rules_map_sources_and_count_unmatched),
		T(test_ingest_header_found_by_name_in_any_order_and_spelling),
		T(test_ingest_source_zone_stamps_same_day),
		T(test_ingest_duplicate_record_id_keeps_first),
		T(test_ingest_campaigns_from_drill_down_and_spend),
		T(test_ingest_order_kept_across_lookahead),
		T(test_ingest_bad_optional_date_counted_as_missing),
		T(test_ingest_field_without_a_header_is_not_missing),
		T(test_ingest_google_ads_korean_total_rows),
		T(test_ingest_money_column_mixing_dot_styles_is_fatal),
		T(test_ingest_money_column_one_dot_style_reads),
		T(test_ingest_three_decimals_of_krw_are_fatal),
		T(test_ingest_deal_dates_counted_and_rows_used),
		T(test_ingest_range_month_without_a_day_has_no_spend),
		T(test_ingest_range_part_of_a_month_kept_and_named),
		T(test_ingest_range_whole_window_says_nothing),
		T(test_ingest_range_to_yesterday_covers_the_month_of_as_of),
		T(test_ingest_linkedin_report_bounds_are_its_range),
		T(test_ingest_linkedin_bounds_with_time_of_day),
		T(test_ingest_ga4_range_takes_traffic_off_every_channel),
		T(test_ingest_bad_optional_dates_warned_with_the_first),
		T(test_ingest_rows_wider_than_the_header_warned),
		T(test_ingest_header_only_export_warned),
		T(test_ingest_many_duplicates_and_unknown_contacts_warned),
		T(test_ingest_few_duplicates_not_warned),
		T(test_ingest_meta_row_over_two_months_is_fatal),
		T(test_ingest_meta_day_column_wins_over_reporting_starts),
		T(test_ingest_stage_before_create_kept_and_counted),
		T(test_ingest_bad_create_date_is_fatal_with_place),
		T(test_ingest_placeholder_date_is_no_date_counted_and_warned),
		T(test_ingest_placeholder_create_date_is_fatal),
		T(test_ingest_impossible_dates_refused_after_real_ones),
		T(test_ingest_impossible_dates_refused_before_real_ones),
		T(test_ingest_impossible_create_date_fatal_in_either_order),
		T(test_ingest_missing_required_column_names_it),
		T(test_ingest_column_override_with_date_format),
		T(test_ingest_deal_joins_by_contact_column_and_by_contact_list),
		T(test_ingest_bad_money_is_fatal_with_place),
		T(test_ingest_foreign_currency_in_amount_is_fatal),
		T(test_ingest_meta_currency_from_header_must_match),
		T(test_ingest_google_ads_preamble_separators_and_footer),
		T(test_ingest_current_hubspot_labels_read_without_config),
		T(test_ingest_hs_v2_api_names_read),
		T(test_ingest_current_label_wins_over_older_one),
		T(test_ingest_custom_pipeline_named_once),
		T(test_ingest_no_stage_column_is_fatal_and_lists_headers),
		T(test_ingest_lifecycle_stage_without_date_counted_and_warned),
		T(test_ingest_every_contact_after_as_of_is_fatal),
		T(test_ingest_one_source_value_and_no_stage_dates_warned),
		T(test_ingest_won_deals_without_any_amount_warned),
		T(test_ingest_deals_without_association_column_counted_apart),
		T(test_ingest_google_ads_without_day_dated_by_range_in_one_month),
		T(test_ingest_range_over_months_is_fatal_with_advice),
		T(test_ingest_all_time_export_is_fatal),
		T(test_ingest_ga4_dated_by_comment_range),
		T(test_ingest_ga4_date_hour_and_year_month),
		T(test_ingest_ga4_reports_snapshot_refused),
		T(test_ingest_ga4_notes_under_the_table_skipped),
		T(test_ingest_meta_no_data_is_an_empty_period),
		T(test_ingest_linkedin_preamble_only_is_an_empty_period),
		T(test_ingest_absent_clicks_declared_absent),
		T(test_ingest_ctr_like_for_like_over_sources_with_clicks),
		T(test_ingest_account_total_that_differs_is_warned),
		T(test_ingest_currency_error_names_the_column),
		T(test_ingest_readme_lists_every_preset_field),
		T(test_ingest_deal_amounts_that_overflow_name_the_row),
		T(test_ingest_money_beyond_bound_is_fatal),
		T(test_ingest_negative_traffic_counts_are_fatal),
		T(test_ingest_negative_cost_summed_counted_and_warned),
		T(test_ingest_kept_text_is_cleaned_and_counted),
		T(test_ingest_long_values_cut_and_counted),
		T(test_ingest_distinct_values_listed_up_to_a_cap),
		T(test_ingest_total_rows_kept_up_to_a_cap),
		T(test_ingest_record_id_too_long_is_fatal),
		T(test_ingest_footer_known_by_shape_not_first_word),
		T(test_ingest_export_cut_inside_a_row_is_fatal_with_place),
		T(test_ingest_last_row_without_line_end_read_when_whole),
		T(test_ingest_footer_in_the_id_column),
		T(test_ingest_empty_first_column_id_is_missing_not_footer),
		T(test_ingest_footer_shape_before_records_is_fatal),
		T(test_ingest_spend_total_rows_by_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
