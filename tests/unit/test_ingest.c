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

enum { PAID, ORGANIC, OTHER, NCH };

typedef struct fx {
	bp_config cfg;
	bp_channel ch[NCH];
	bp_rule rules[3];
	bp_source src[4];
	bp_column col;
	bp_tz *tz;
	bp_funnel *f;
	bp_ingest *in;
	bp_quality q[4];
	char dir[64];
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
	x->cfg.timezone = "UTC";
	x->cfg.currency = "USD";
	x->cfg.months = 2;
	x->cfg.channels = x->ch;
	x->cfg.n_channels = NCH;
	x->cfg.sources = x->src;
	x->cfg.n_sources = 4;
	x->tz = bp_tz_load("UTC", &x->err);
	x->f = bp_funnel_new(x->tz, bp_month_end(x->tz, M(2026, 10)), M(2026, 10),
			     2, NCH);
	x->in = bp_ingest_new(&x->cfg, x->f, &x->err);
	assert_non_null(x->in);
	snprintf(x->dir, sizeof(x->dir), "/tmp/bp-ingest-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fx *x = *state;
	char cmd[128];
	int i;

	for (i = 0; i < 4; i++)
		bp_quality_clear(&x->q[i]);
	bp_ingest_free(x->in);
	bp_funnel_free(x->f);
	bp_tz_free(x->tz);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
	return 0;
}

/* Writes `text` to a file in the fixture's folder and ingests it as
 * source `i`.  Returns what bp_ingest_source returns. */
static int feed(fx *x, int i, const char *text)
{
	char path[128];
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s.csv", x->dir, x->src[i].id);
	out = fopen(path, "w");
	assert_non_null(out);
	fputs(text, out);
	fclose(out);
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

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ingest_rules_map_sources_and_count_unmatched),
		T(test_ingest_header_found_by_name_in_any_order_and_spelling),
		T(test_ingest_source_zone_stamps_same_day),
		T(test_ingest_duplicate_record_id_keeps_first),
		T(test_ingest_order_kept_across_lookahead),
		T(test_ingest_bad_optional_date_counted_as_missing),
		T(test_ingest_stage_before_create_kept_and_counted),
		T(test_ingest_bad_create_date_is_fatal_with_place),
		T(test_ingest_missing_required_column_names_it),
		T(test_ingest_column_override_with_date_format),
		T(test_ingest_deal_joins_by_contact_column_and_by_contact_list),
		T(test_ingest_bad_money_is_fatal_with_place),
		T(test_ingest_foreign_currency_in_amount_is_fatal),
		T(test_ingest_meta_currency_from_header_must_match),
		T(test_ingest_google_ads_preamble_separators_and_footer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
