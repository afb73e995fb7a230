/*
 * test_story.c - comparisons, targets and the story's facts in
 * metrics.xml, on a hand-computed two-year funnel.
 *
 * The case: a 12-month window ending 2026-10 with the 12-month lookback
 * before it (24 month cells, index 0 = 2024-11, 23 = 2026-10), UTC,
 * channels paid (0), other (1) and social (2).
 *   paid:   new leads 20 + i in month i, 10 MQLs, 10 customers (25 in the
 *           period), spend 1000.00 a month;
 *   other:  5 leads a month, no spend source;
 *   social: 12 leads a month, spend 300.00 a month, no customer ever.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpath.h>

#include "model.h"

#define MONTHS 24
#define OCT_2026 (2026 * 12 + 9)

typedef struct fixture {
	bp_config cfg;
	bp_channel channels[3];
	bp_target targets[5];
	bp_tz *tz;
	bp_funnel *f;
	xmlDocPtr doc;
} fixture;

static void build(fixture *x)
{
	bp_run_info run = { 0, OCT_2026, 0, "test" };
	bp_err err = { 0 };

	xmlFreeDoc(x->doc);
	x->doc = bp_model_build(&x->cfg, x->f, NULL, NULL, 0, &run, &err);
	assert_non_null(x->doc);
}

static int setup(void **state)
{
	fixture *x = calloc(1, sizeof(*x));
	bp_err err = { 0 };
	int i;

	x->channels[0] = (bp_channel){ "paid", "Paid", "Paid" };
	x->channels[1] = (bp_channel){ "other", "Other", "Other" };
	x->channels[2] = (bp_channel){ "social", "Social", "Paid" };
	/* The quarter in progress (one month of three gone), a cost target
	 * met, and two MQL targets: one within 10%, one beyond. */
	x->targets[0] = (bp_target){ OCT_2026, "new_leads", NULL, 180, 1 };
	x->targets[1] = (bp_target){ OCT_2026, "cac", "paid", 50, 0 };
	x->targets[2] = (bp_target){ OCT_2026, "mqls", NULL, 11, 0 };
	x->targets[3] = (bp_target){ OCT_2026, "mqls", "paid", 12, 0 };
	x->targets[4] = (bp_target){ OCT_2026 - 1, "new_leads", "paid", 40, 0 };
	x->cfg.title = "Test";
	x->cfg.timezone = "UTC";
	x->cfg.currency = "USD";
	x->cfg.language = "en";
	x->cfg.months = 12;
	x->cfg.channels = x->channels;
	x->cfg.n_channels = 3;
	x->cfg.targets = x->targets;
	x->cfg.n_targets = 5;
	x->tz = bp_tz_load("UTC", &err);
	assert_non_null(x->tz);
	x->f = bp_funnel_new(x->tz, 0, OCT_2026, MONTHS, 3);
	x->f->has[0] = x->f->has[2] = BP_HAS_ALL_SPEND;
	x->f->first_data = x->f->first;
	for (i = 0; i < MONTHS; i++) {
		bp_month_cell *p = bp_funnel_month(x->f, x->f->first + i, 0);
		bp_month_cell *o = bp_funnel_month(x->f, x->f->first + i, 1);
		bp_month_cell *s = bp_funnel_month(x->f, x->f->first + i, 2);

		p->entered[BP_LEAD] = 20 + i;
		p->entered[BP_MQL] = 10;
		p->entered[BP_CUSTOMER] = i == MONTHS - 1 ? 25 : 10;
		p->spend = 1000 * BP_MONEY_SCALE;
		o->entered[BP_LEAD] = 5;
		s->entered[BP_LEAD] = 12;
		s->spend = 300 * BP_MONEY_SCALE;
	}
	build(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fixture *x = *state;

	xmlFreeDoc(x->doc);
	bp_funnel_free(x->f);
	bp_tz_free(x->tz);
	free(x);
	return 0;
}

/* The string value of an XPath over the document ("" when nothing). */
static const char *xp(fixture *x, const char *fmt, ...)
{
	static char out[256];
	char expr[512];
	xmlXPathContextPtr ctx = xmlXPathNewContext(x->doc);
	xmlXPathObjectPtr o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(expr, sizeof(expr), fmt, ap);
	va_end(ap);
	o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(o);
	snprintf(out, sizeof(out), "%s", o->stringval ? (char *)o->stringval : "");
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return out;
}

#define SPAN(id, ch, col) \
	xp(x, "string(/metrics/comparisons/row[@span='%s'][@channel='%s']/@%s)", \
	   id, ch, col)

static void test_story_spans_sum_months_and_recompute_ratios(void **state)
{
	fixture *x = *state;

	assert_string_equal(xp(x, "string(/metrics/comparisons/span[@id='quarter']/@from)"),
			    "2026-08");
	assert_string_equal(xp(x, "string(/metrics/comparisons/span[@id='previous-trailing-12']/@to)"),
			    "2025-10");
	assert_string_equal(SPAN("month", "paid", "new_leads"), "43");
	assert_string_equal(SPAN("month", "all", "new_leads"), "60");
	assert_string_equal(SPAN("previous-month", "paid", "new_leads"), "42");
	assert_string_equal(SPAN("quarter", "paid", "new_leads"), "126");
	assert_string_equal(SPAN("quarter", "all", "new_leads"), "177");
	assert_string_equal(SPAN("previous-quarter", "paid", "new_leads"), "117");
	assert_string_equal(SPAN("year-ago-month", "paid", "new_leads"), "31");
	assert_string_equal(SPAN("trailing-12", "paid", "new_leads"), "450");
	assert_string_equal(SPAN("previous-trailing-12", "paid", "new_leads"), "306");
	/* A span's ratio is its sums' ratio, not an average of months:
	 * 3000.00 / 126 and 3000.00 / 45. */
	assert_string_equal(SPAN("quarter", "paid", "cpl"), "23.81");
	assert_string_equal(SPAN("quarter", "paid", "cac"), "66.67");
	/* Groups sum their channels: Paid is paid and social. */
	assert_string_equal(xp(x, "string(/metrics/comparisons/row[@span='quarter']"
				  "[@group='Paid']/@new_leads)"), "162");
	/* No spend source, no cost figures: absent, not 0. */
	assert_string_equal(SPAN("quarter", "other", "cpl"), "");
}

static void test_story_span_beyond_the_data_is_absent(void **state)
{
	fixture *x = *state;

	/* Data from the window's first month on: no year-ago month, no
	 * previous twelve months. */
	x->f->first_data = x->f->first + 12;
	build(x);
	assert_string_equal(xp(x, "string(count(/metrics/comparisons/span[@id='year-ago-month']))"), "0");
	assert_string_equal(xp(x, "string(count(/metrics/comparisons/span[@id='previous-trailing-12']))"), "0");
	assert_string_equal(xp(x, "string(count(/metrics/comparisons/row[@span='year-ago-month']))"), "0");
	assert_string_equal(SPAN("trailing-12", "paid", "new_leads"), "450");
	assert_string_equal(SPAN("quarter", "paid", "new_leads"), "126");
}

#define TARGET(metric, ch, col) \
	xp(x, "string(/metrics/targets/target[@metric='%s'][@channel='%s']/@%s)", \
	   metric, ch, col)

static void test_story_targets_status_and_quarter_pace(void **state)
{
	fixture *x = *state;

	/* The quarter so far: 60 of 180, one month of three, so 60 were
	 * expected: on track, and on target by its pace. */
	assert_string_equal(TARGET("new_leads", "all", "quarter"), "2026-Q4");
	assert_string_equal(TARGET("new_leads", "all", "months-elapsed"), "1");
	assert_string_equal(TARGET("new_leads", "all", "actual"), "60");
	assert_string_equal(TARGET("new_leads", "all", "expected"), "60");
	assert_string_equal(TARGET("new_leads", "all", "pace"), "1.000000");
	assert_string_equal(TARGET("new_leads", "all", "vs-target"), "0.000000");
	assert_string_equal(TARGET("new_leads", "all", "status"), "on-track");
	/* CAC 1000.00 / 25 = 40.00 against 50: better, as lower is. */
	assert_string_equal(TARGET("cac", "paid", "actual"), "40.00");
	assert_string_equal(TARGET("cac", "paid", "better"), "lower");
	assert_string_equal(TARGET("cac", "paid", "vs-target"), "-0.200000");
	assert_string_equal(TARGET("cac", "paid", "status"), "on-track");
	/* 10 MQLs against 11 is within 10%; against 12, beyond it. */
	assert_string_equal(TARGET("new_mqls", "all", "status"), "at-risk");
	assert_string_equal(TARGET("new_mqls", "paid", "status"), "missed");
	/* A past month's target is judged on that month: 42 against 40. */
	assert_string_equal(xp(x, "string(/metrics/targets/target[@month='2026-09']/@actual)"),
			    "42");
	assert_string_equal(xp(x, "string(/metrics/targets/target[@month='2026-09']/@status)"),
			    "on-track");
	/* The story tells the period's targets only, the quarter with its
	 * pace. */
	assert_string_equal(xp(x, "string(count(/metrics/story/fact[@kind='target']))"), "4");
	assert_string_equal(xp(x, "string(/metrics/story/fact[@kind='target'][@quarter='2026-Q4']/@pace)"),
			    "1.000000");
}

#define FACT(pred, col) xp(x, "string(/metrics/story/fact[%s]/@%s)", pred, col)

static void test_story_records_movers_and_watch(void **state)
{
	fixture *x = *state;

	/* 60 leads, more than any of the window's other eleven months. */
	assert_string_equal(FACT("@kind='record-high'][@metric='new_leads'", "value"), "60");
	assert_string_equal(FACT("@kind='record-high'][@metric='new_leads'", "months"), "12");
	/* Paid customers 10 -> 25 is the month's largest move, then its CAC
	 * 100.00 -> 40.00; other's 5 leads are too few to count. */
	assert_string_equal(FACT("@kind='mover'][@span='month'][1", "metric"), "new_customers");
	assert_string_equal(FACT("@kind='mover'][@span='month'][1", "channel"), "paid");
	assert_string_equal(FACT("@kind='mover'][@span='month'][1", "before"), "10");
	assert_string_equal(FACT("@kind='mover'][@span='month'][1", "after"), "25");
	assert_string_equal(FACT("@kind='mover'][@span='month'][1", "change"), "1.500000");
	assert_string_equal(FACT("@kind='mover'][@span='month'][2", "metric"), "cac");
	assert_string_equal(FACT("@kind='mover'][@span='month'][2", "change"), "-0.600000");
	assert_string_equal(xp(x, "string(count(/metrics/story/fact[@kind='mover'][@channel='other']))"), "0");
	/* Social spent 900.00 over the quarter and won nobody. */
	assert_string_equal(FACT("@kind='watch'][@channel='social'", "reason"),
			    "spend-without-customers");
	assert_string_equal(FACT("@kind='watch'][@channel='social'", "spend"), "900.00");
	assert_string_equal(FACT("@kind='watch'][@channel='social'", "from"), "2026-08");
	assert_string_equal(xp(x, "string(count(/metrics/story/fact[@kind='watch'][@channel='paid']))"), "0");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_story_spans_sum_months_and_recompute_ratios),
		T(test_story_span_beyond_the_data_is_absent),
		T(test_story_targets_status_and_quarter_pace),
		T(test_story_records_movers_and_watch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
