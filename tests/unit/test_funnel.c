/*
 * test_funnel.c - the funnel's aggregation on small hand-computed cases.
 * Report time zone UTC unless a test says otherwise; the window is
 * 2026-08 .. 2026-10 with as_of at the end of October.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "funnel.h"

#define OTHER 2

static bp_time T(int y, int m, int d, int h)
{
	return bp_days_from_civil(y, m, d) * 86400 + h * 3600;
}

static bp_month M(int y, int m)
{
	return y * 12 + m - 1;
}

static bp_contact contact(bp_time created, int channel)
{
	bp_contact c;
	int s;

	c.created = created;
	c.channel = channel;
	for (s = 0; s < BP_NSTAGES; s++)
		c.stage[s] = BP_TIME_NONE;
	return c;
}

static bp_funnel *make(bp_tz **tz)
{
	bp_err err = { 0 };

	*tz = bp_tz_load("UTC", &err);
	assert_non_null(*tz);
	return bp_funnel_new(*tz, T(2026, 10, 31, 0) + 86399, M(2026, 10), 3, 3);
}

static void test_funnel_skipped_stage_counts_as_reached(void **state)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	bp_contact c = contact(T(2026, 9, 1, 10), 0);
	bp_cohort_cell *cell;

	(void)state;
	c.stage[BP_LEAD] = T(2026, 9, 1, 10);
	c.stage[BP_CUSTOMER] = T(2026, 10, 5, 0); /* no MQL, SQL, opportunity */
	assert_int_equal(bp_funnel_add_contact(f, &c), 1);
	cell = bp_funnel_cohort(f, M(2026, 9), 0);
	assert_int_equal(cell->contacts, 1);
	assert_int_equal(cell->reached[BP_LEAD], 1);
	assert_int_equal(cell->reached[BP_MQL], 1);
	assert_int_equal(cell->reached[BP_SQL], 1);
	assert_int_equal(cell->reached[BP_OPPORTUNITY], 1);
	assert_int_equal(cell->reached[BP_CUSTOMER], 1);
	/* The skipped stages are entered when the customer stage was. */
	assert_int_equal(bp_funnel_month(f, M(2026, 10), 0)->entered[BP_MQL], 1);
	assert_int_equal(bp_funnel_month(f, M(2026, 9), 0)->entered[BP_MQL], 0);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

static void test_funnel_effective_date_is_earliest_later_stage(void **state)
{
	bp_contact c = contact(T(2026, 1, 1, 0), 0);
	bp_time eff[BP_NSTAGES];

	(void)state;
	c.stage[BP_MQL] = T(2026, 3, 1, 0);
	c.stage[BP_SQL] = T(2026, 2, 1, 0); /* SQL recorded before MQL */
	bp_funnel_effective(&c, T(2027, 1, 1, 0), eff);
	assert_true(eff[BP_LEAD] == T(2026, 2, 1, 0));
	assert_true(eff[BP_MQL] == T(2026, 2, 1, 0));
	assert_true(eff[BP_SQL] == T(2026, 2, 1, 0));
	assert_true(eff[BP_OPPORTUNITY] == BP_TIME_NONE);
	assert_true(eff[BP_CUSTOMER] == BP_TIME_NONE);
}

static void test_funnel_stage_after_as_of_not_reached(void **state)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	bp_contact c = contact(T(2026, 10, 1, 0), 1);
	bp_cohort_cell *cell;

	(void)state;
	c.stage[BP_LEAD] = T(2026, 10, 2, 0);
	c.stage[BP_CUSTOMER] = T(2026, 11, 1, 0); /* one second too late */
	bp_funnel_add_contact(f, &c);
	cell = bp_funnel_cohort(f, M(2026, 10), 1);
	assert_int_equal(cell->reached[BP_LEAD], 1);
	assert_int_equal(cell->reached[BP_MQL], 0);
	assert_int_equal(cell->reached[BP_CUSTOMER], 0);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

static void test_funnel_contact_created_after_as_of_does_not_exist(void **state)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	bp_contact c = contact(T(2026, 11, 1, 0), 0);

	(void)state;
	assert_int_equal(bp_funnel_add_contact(f, &c), 0);
	assert_int_equal(bp_funnel_cohort(f, M(2026, 10), 0)->contacts, 0);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

static void test_funnel_cohort_month_in_report_time_zone(void **state)
{
	bp_err err = { 0 };
	bp_tz *seoul = bp_tz_load("Asia/Seoul", &err);
	bp_funnel *f;
	/* 2026-09-30 16:00 UTC is 2026-10-01 01:00 in Seoul. */
	bp_contact c = contact(T(2026, 9, 30, 16), 0);

	(void)state;
	assert_non_null(seoul);
	f = bp_funnel_new(seoul, T(2026, 10, 31, 15) - 1, M(2026, 10), 3, 3);
	bp_funnel_add_contact(f, &c);
	assert_int_equal(bp_funnel_cohort(f, M(2026, 10), 0)->contacts, 1);
	assert_int_equal(bp_funnel_cohort(f, M(2026, 9), 0)->contacts, 0);
	bp_funnel_free(f);
	bp_tz_free(seoul);
}

static void test_funnel_sales_cycle_sums_customer_contacts(void **state)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	bp_contact a = contact(T(2026, 9, 1, 0), 0);
	bp_contact b = contact(T(2026, 10, 1, 0), 0);
	bp_month_cell *mc;

	(void)state;
	a.stage[BP_CUSTOMER] = T(2026, 10, 11, 0);  /* 40 days */
	b.stage[BP_CUSTOMER] = T(2026, 10, 21, 12); /* 20.5 days */
	bp_funnel_add_contact(f, &a);
	bp_funnel_add_contact(f, &b);
	mc = bp_funnel_month(f, M(2026, 10), 0);
	assert_int_equal(mc->entered[BP_CUSTOMER], 2);
	assert_int_equal(mc->cycle_contacts, 2);
	assert_int_equal(mc->cycle_seconds, (40 * 24 + 20 * 24 + 12) * 3600);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

static void test_funnel_won_deal_counts_in_cohort_and_close_month(void **state)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	bp_deal d = { .won = 1, .created = BP_TIME_NONE, .closed = T(2026, 10, 3, 0),
		      .has_amount = 1, .amount = 5000 * BP_MONEY_SCALE, .channel = 1,
		      .cohort = M(2026, 8) };

	(void)state;
	assert_int_equal(bp_funnel_add_deal(f, &d), 1);
	assert_int_equal(bp_funnel_cohort(f, M(2026, 8), 1)->won_deals, 1);
	assert_int_equal(bp_funnel_cohort(f, M(2026, 8), 1)->won_revenue,
			 5000 * BP_MONEY_SCALE);
	assert_int_equal(bp_funnel_month(f, M(2026, 10), 1)->won_deals, 1);
	assert_int_equal(bp_funnel_month(f, M(2026, 8), 1)->won_deals, 0);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

static void test_funnel_deal_closed_after_as_of_is_open(void **state)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	bp_deal d = { .won = 1, .created = BP_TIME_NONE, .closed = T(2026, 11, 1, 0),
		      .has_amount = 1, .amount = 100, .channel = 0, .cohort = M(2026, 9) };

	(void)state;
	assert_int_equal(bp_funnel_add_deal(f, &d), 0);
	assert_int_equal(bp_funnel_cohort(f, M(2026, 9), 0)->won_deals, 0);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

static void test_funnel_deal_without_contact_has_no_cohort(void **state)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	bp_deal d = { .won = 1, .created = BP_TIME_NONE, .closed = T(2026, 9, 15, 0),
		      .has_amount = 1, .amount = 700, .channel = OTHER,
		      .cohort = BP_MONTH_NONE };
	bp_cohort_cell all;
	int i;

	(void)state;
	assert_int_equal(bp_funnel_add_deal(f, &d), 1);
	assert_int_equal(bp_funnel_month(f, M(2026, 9), OTHER)->won_revenue, 700);
	for (i = 0; i < 3; i++) {
		bp_funnel_sum_cohort(f, i, &all);
		assert_int_equal(all.won_deals, 0);
	}
	bp_funnel_free(f);
	bp_tz_free(tz);
}

static void test_funnel_lost_or_amountless_deal_not_counted(void **state)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	bp_deal lost = { .won = 0, .created = BP_TIME_NONE, .closed = T(2026, 9, 15, 0),
			 .has_amount = 1, .amount = 700, .channel = 0, .cohort = M(2026, 9) };
	bp_deal no_amount = { .won = 1, .created = BP_TIME_NONE,
			      .closed = T(2026, 9, 15, 0), .has_amount = 0, .amount = 0,
			      .channel = 0, .cohort = M(2026, 9) };

	(void)state;
	assert_int_equal(bp_funnel_add_deal(f, &lost), 0);
	assert_int_equal(bp_funnel_add_deal(f, &no_amount), 0);
	assert_int_equal(bp_funnel_month(f, M(2026, 9), 0)->won_deals, 0);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

static void test_funnel_spend_outside_window_ignored(void **state)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	bp_month_cell all;
	int i;
	int64_t total = 0;

	(void)state;
	bp_funnel_add_spend(f, M(2026, 7), 0, 999, 10, 1, BP_HAS_ALL_SPEND);
	bp_funnel_add_spend(f, M(2026, 8), 0, 300, 100, 7, BP_HAS_ALL_SPEND);
	bp_funnel_add_spend(f, M(2026, 8), 1, 200, 50, 3, BP_HAS_ALL_SPEND);
	bp_funnel_add_spend(f, M(2026, 11), 0, 999, 10, 1, BP_HAS_ALL_SPEND);
	for (i = 0; i < 3; i++) {
		bp_funnel_sum_month(f, i, &all);
		total += all.spend;
	}
	assert_int_equal(total, 500);
	bp_funnel_sum_month(f, 0, &all);
	assert_int_equal(all.impressions, 150);
	assert_int_equal(all.clicks, 10);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

/* The remembered month lookup agrees with the time-zone search for
 * instants in any order, across DST changes and month edges. */
static void test_funnel_cached_month_equals_lookup(void **state)
{
	bp_err err = { 0 };
	bp_tz *ny = bp_tz_load("America/New_York", &err);
	bp_funnel *f;
	uint64_t r = 88172645463325252ULL;
	int i;

	(void)state;
	assert_non_null(ny);
	f = bp_funnel_new(ny, T(2027, 1, 1, 0), M(2026, 12), 12, 1);
	for (i = 0; i < 200000; i++) {
		bp_time t;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		/* Mostly near the previous instant, sometimes far away. */
		t = T(2024, 1, 1, 0) + (bp_time)(r % (3ULL * 365 * 86400));
		if (i % 3)
			t = bp_month_start(ny, bp_month_of(ny, t)) + (bp_time)(r % 7) - 3;
		assert_int_equal(bp_funnel_month_of(f, t), bp_month_of(ny, t));
	}
	bp_funnel_free(f);
	bp_tz_free(ny);
}


/* Five contacts created in October with skipped and out-of-order stages,
 * counted under each funnel mode (METRICS.md, report/@funnel):
 *   A  lead 1, MQL 5, SQL 7, no opportunity, customer 20
 *   B  lead 2, customer 3 (MQL, SQL, opportunity skipped)
 *   C  lead 10, MQL 5 (before the lead date), SQL 12
 *   D  MQL 4 only
 *   E  lead 1, MQL on 5 November (after as_of)
 * By hand: cumulative 5/4/3/2/2, any 4/3/2/0/2, ordered 4/1/1/0/0. */
static void add_mode_contacts(bp_funnel *f)
{
	static const int day[5][BP_NSTAGES] = {
		{ 1, 5, 7, 0, 20 }, { 2, 0, 0, 0, 3 }, { 10, 5, 12, 0, 0 },
		{ 0, 4, 0, 0, 0 }, { 1, 0, 0, 0, 0 },
	};
	int i, s;

	for (i = 0; i < 5; i++) {
		bp_contact c = contact(T(2026, 10, 1, 0), 0);

		for (s = 0; s < BP_NSTAGES; s++)
			if (day[i][s])
				c.stage[s] = T(2026, 10, day[i][s], 12);
		if (i == 4)
			c.stage[BP_MQL] = T(2026, 11, 5, 12);
		assert_int_equal(bp_funnel_add_contact(f, &c), 1);
	}
}

static void check_mode(bp_funnel_mode mode, const int64_t want[BP_NSTAGES],
		       int64_t want_cycle_contacts)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	int s;

	f->mode = mode;
	add_mode_contacts(f);
	for (s = 0; s < BP_NSTAGES; s++) {
		assert_int_equal(bp_funnel_cohort(f, M(2026, 10), 0)->reached[s], want[s]);
		/* Every date here is in October: entered equals reached. */
		assert_int_equal(bp_funnel_month(f, M(2026, 10), 0)->entered[s], want[s]);
	}
	assert_int_equal(bp_funnel_month(f, M(2026, 10), 0)->cycle_contacts,
			 want_cycle_contacts);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

static void test_funnel_cumulative_mode_counts_skipped_stages(void **state)
{
	static const int64_t want[BP_NSTAGES] = { 5, 4, 3, 2, 2 };

	(void)state;
	check_mode(BP_FUNNEL_CUMULATIVE, want, 2);
}

static void test_funnel_any_mode_counts_own_dates(void **state)
{
	static const int64_t want[BP_NSTAGES] = { 4, 3, 2, 0, 2 };

	(void)state;
	check_mode(BP_FUNNEL_ANY, want, 2);
}

static void test_funnel_ordered_mode_needs_every_stage_in_order(void **state)
{
	static const int64_t want[BP_NSTAGES] = { 4, 1, 1, 0, 0 };

	(void)state;
	check_mode(BP_FUNNEL_ORDERED, want, 0);
}

/* In the any mode a stage enters the month of its own date, not of a
 * later stage's. */
static void test_funnel_any_mode_enters_by_own_date(void **state)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	bp_contact c = contact(T(2026, 8, 1, 0), 0);

	(void)state;
	f->mode = BP_FUNNEL_ANY;
	c.stage[BP_MQL] = T(2026, 10, 2, 0);
	c.stage[BP_CUSTOMER] = T(2026, 9, 3, 0);
	bp_funnel_add_contact(f, &c);
	assert_int_equal(bp_funnel_month(f, M(2026, 10), 0)->entered[BP_MQL], 1);
	assert_int_equal(bp_funnel_month(f, M(2026, 9), 0)->entered[BP_MQL], 0);
	assert_int_equal(bp_funnel_month(f, M(2026, 9), 0)->entered[BP_CUSTOMER], 1);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

static void test_funnel_mode_names(void **state)
{
	(void)state;
	assert_string_equal(bp_funnel_mode_name(BP_FUNNEL_CUMULATIVE), "cumulative");
	assert_string_equal(bp_funnel_mode_name(BP_FUNNEL_ANY), "any");
	assert_string_equal(bp_funnel_mode_name(BP_FUNNEL_ORDERED), "ordered");
	assert_null(bp_funnel_mode_name(BP_FUNNEL_NMODES));
}

/* Five deals of one channel (amounts in whole units), by hand:
 *   A won,  created 10 Aug, closed 15 Sep, 100
 *   B lost, created  1 Sep, closed  5 Oct,  50
 *   C open, created 20 Aug, expected to close 10 Sep,  30
 *   D won without a close date, created 1 Oct, 70: never open
 *   E won, created 10 Oct, closed 3 Nov (after as_of), 20: open at as_of
 * pipeline created Aug 130, Sep 50, Oct 90; open at the months' ends
 * Aug 130 (A, C), Sep 80 (B, C), Oct 50 (C, E); lost Oct 1; won Sep 1. */
static void test_funnel_pipeline_lost_and_open_deals(void **state)
{
	static const struct { int won, lost, cm, cd, xm, xd, amount; } deals[] = {
		{ 1, 0, 8, 10, 9, 15, 100 }, { 0, 1, 9, 1, 10, 5, 50 },
		{ 0, 0, 8, 20, 9, 10, 30 }, { 1, 0, 10, 1, 0, 0, 70 },
		{ 1, 0, 10, 10, 11, 3, 20 },
	};
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(deals) / sizeof(deals[0]); i++) {
		bp_deal d = { 0 };

		d.won = deals[i].won;
		d.lost = deals[i].lost;
		d.created = T(2026, deals[i].cm, deals[i].cd, 12);
		d.closed = deals[i].xm ? T(2026, deals[i].xm, deals[i].xd, 12) : BP_TIME_NONE;
		d.has_amount = 1;
		d.amount = deals[i].amount * BP_MONEY_SCALE;
		d.channel = 0;
		d.cohort = BP_MONTH_NONE;
		bp_funnel_add_deal(f, &d);
	}
	assert_int_equal(bp_funnel_month(f, M(2026, 8), 0)->pipeline_created, 130 * BP_MONEY_SCALE);
	assert_int_equal(bp_funnel_month(f, M(2026, 9), 0)->pipeline_created, 50 * BP_MONEY_SCALE);
	assert_int_equal(bp_funnel_month(f, M(2026, 10), 0)->pipeline_created, 90 * BP_MONEY_SCALE);
	assert_int_equal(bp_funnel_month(f, M(2026, 8), 0)->open_pipeline, 130 * BP_MONEY_SCALE);
	assert_int_equal(bp_funnel_month(f, M(2026, 9), 0)->open_pipeline, 80 * BP_MONEY_SCALE);
	assert_int_equal(bp_funnel_month(f, M(2026, 10), 0)->open_pipeline, 50 * BP_MONEY_SCALE);
	assert_int_equal(bp_funnel_month(f, M(2026, 10), 0)->lost_deals, 1);
	assert_int_equal(bp_funnel_month(f, M(2026, 9), 0)->lost_deals, 0);
	assert_int_equal(bp_funnel_month(f, M(2026, 9), 0)->won_deals, 1);
	assert_int_equal(bp_funnel_month(f, M(2026, 10), 0)->won_deals, 0);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

/* The month of an instant through the funnel's table of month bounds is
 * bp_month_of()'s, at each second around every month edge from 1990 to
 * 2040 (inside the table and past both of its ends), in zones with DST,
 * a half-hour DST and a midnight change, taken in an order that jumps
 * about. */
static void test_funnel_month_of_matches_month_of_around_every_edge(void **state)
{
	static const char *const zones[] = { "America/New_York", "Australia/Lord_Howe",
					     "America/Sao_Paulo", "Asia/Seoul" };
	static const int64_t around[] = { -86400, -3601, -1, 0, 1, 3599, 86400 };
	size_t z, k;

	(void)state;
	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		bp_err err = { 0 };
		bp_tz *tz = bp_tz_load(zones[z], &err);
		bp_funnel *f;
		bp_month m;

		assert_non_null(tz);
		f = bp_funnel_new(tz, T(2026, 10, 31, 0), M(2026, 10), 14, 2);
		assert_non_null(f);
		for (k = 0; k < sizeof(around) / sizeof(around[0]); k++)
			for (m = M(1990, 1); m <= M(2040, 12); m++) {
				bp_month mm = (m * 7919) % (M(2040, 12) - M(1990, 1)) + M(1990, 1);
				bp_time t = bp_month_start(tz, mm) + around[k];

				if (bp_funnel_month_of(f, t) != bp_month_of(tz, t))
					fail_msg("%s: %lld gives month %d, bp_month_of %d", zones[z],
						 (long long)t, bp_funnel_month_of(f, t),
						 bp_month_of(tz, t));
			}
		bp_funnel_free(f);
		bp_tz_free(tz);
	}
}

/* Every figure's bound is the sum of the magnitudes added to any cell: a
 * row that would take it past 64 bits is refused (naming the figure) and
 * leaves the cells as they were, so every sum of cells still fits, the
 * all row over channels included. */
static void test_funnel_add_refuses_sums_past_64_bits(void **state)
{
	bp_tz *tz;
	bp_funnel *f = make(&tz);
	bp_month_cell all;
	const int64_t half = INT64_MAX / 2;
	bp_deal d = { .won = 1, .created = T(2026, 10, 1, 0), .closed = T(2026, 10, 3, 0),
		      .has_amount = 1, .amount = BP_MONEY_MAX, .channel = 1,
		      .cohort = M(2026, 8) };
	int i;

	(void)state;
	/* Two channels, each well under 64 bits; their sum is just under. */
	assert_int_equal(bp_funnel_add_spend(f, M(2026, 10), 0, half, 1, 1,
					     BP_HAS_ALL_SPEND), 0);
	assert_int_equal(bp_funnel_add_spend(f, M(2026, 9), 1, half, 1, 1,
					     BP_HAS_ALL_SPEND), 0);
	assert_int_equal(bp_funnel_add_spend(f, M(2026, 10), 1, 10, 1, 1,
					     BP_HAS_ALL_SPEND), -1);
	assert_string_equal(f->overflow, "spend");
	assert_int_equal(bp_funnel_month(f, M(2026, 10), 1)->spend, 0);
	/* A refund counts by its magnitude too. */
	assert_int_equal(bp_funnel_add_spend(f, M(2026, 10), 1, -10, 1, 1,
					     BP_HAS_ALL_SPEND), -1);
	assert_int_equal(bp_funnel_sum_month(f, 2, &all), 0);
	assert_true(all.spend == half);
	/* Impressions, likewise, named as such. */
	assert_int_equal(bp_funnel_add_spend(f, M(2026, 10), 2, 0, INT64_MAX - 1, 0,
					     BP_HAS_ALL_SPEND), -1);
	assert_string_equal(f->overflow, "impressions");
	assert_int_equal(bp_funnel_add_traffic(f, M(2026, 10), 0, INT64_MAX, 0, 0,
					       BP_HAS_ALL_TRAFFIC), 0);
	assert_int_equal(bp_funnel_add_traffic(f, M(2026, 10), 1, 1, 0, 0,
					       BP_HAS_ALL_TRAFFIC), -1);
	assert_string_equal(f->overflow, "sessions");
	/* Won deals at the largest amount one value may have: nine fit in
	 * 64 bits, the tenth does not.  Each also adds to the pipeline. */
	for (i = 0; i < 9; i++)
		assert_int_equal(bp_funnel_add_deal(f, &d), 1);
	assert_int_equal(bp_funnel_add_deal(f, &d), -1);
	assert_string_equal(f->overflow, "pipeline");
	assert_true(bp_funnel_month(f, M(2026, 10), 1)->won_revenue == 9 * BP_MONEY_MAX);
	assert_int_equal(bp_funnel_month(f, M(2026, 10), 1)->won_deals, 9);
	bp_funnel_free(f);
	bp_tz_free(tz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_funnel_skipped_stage_counts_as_reached),
		cmocka_unit_test(test_funnel_effective_date_is_earliest_later_stage),
		cmocka_unit_test(test_funnel_stage_after_as_of_not_reached),
		cmocka_unit_test(test_funnel_contact_created_after_as_of_does_not_exist),
		cmocka_unit_test(test_funnel_cohort_month_in_report_time_zone),
		cmocka_unit_test(test_funnel_sales_cycle_sums_customer_contacts),
		cmocka_unit_test(test_funnel_won_deal_counts_in_cohort_and_close_month),
		cmocka_unit_test(test_funnel_deal_closed_after_as_of_is_open),
		cmocka_unit_test(test_funnel_deal_without_contact_has_no_cohort),
		cmocka_unit_test(test_funnel_lost_or_amountless_deal_not_counted),
		cmocka_unit_test(test_funnel_spend_outside_window_ignored),
		cmocka_unit_test(test_funnel_cached_month_equals_lookup),
		cmocka_unit_test(test_funnel_cumulative_mode_counts_skipped_stages),
		cmocka_unit_test(test_funnel_any_mode_counts_own_dates),
		cmocka_unit_test(test_funnel_ordered_mode_needs_every_stage_in_order),
		cmocka_unit_test(test_funnel_any_mode_enters_by_own_date),
		cmocka_unit_test(test_funnel_mode_names),
		cmocka_unit_test(test_funnel_pipeline_lost_and_open_deals),
		cmocka_unit_test(test_funnel_month_of_matches_month_of_around_every_edge),
		cmocka_unit_test(test_funnel_add_refuses_sums_past_64_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
