/*
 * test_chart.c - chart geometry: ticks, proportions, absent values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "chart.h"

static void test_chart_nice_ticks_0_to_95(void **state)
{
	double first, step;
	int count;

	(void)state;
	bp_chart_nice_ticks(0, 95, 6, &first, &step, &count);
	/* 10 would need 11 ticks, 20 needs 6: 0 20 40 60 80 100 */
	assert_true(first == 0);
	assert_true(step == 20);
	assert_int_equal(count, 6);
}

static void test_chart_nice_ticks_0_to_1234(void **state)
{
	double first, step;
	int count;

	(void)state;
	bp_chart_nice_ticks(0, 1234, 5, &first, &step, &count);
	/* 100 -> 14 ticks, 200 -> 8, 500 -> 0 500 1000 1500 */
	assert_true(step == 500);
	assert_int_equal(count, 4);
}

static void test_chart_nice_ticks_fraction_and_negative(void **state)
{
	double first, step;
	int count;

	(void)state;
	bp_chart_nice_ticks(0, 0.37, 6, &first, &step, &count);
	assert_true(fabs(step - 0.1) < 1e-12);
	assert_int_equal(count, 5);
	bp_chart_nice_ticks(-30, 45, 6, &first, &step, &count);
	/* -40 -20 0 20 40 60 */
	assert_true(first == -40);
	assert_true(step == 20);
	assert_int_equal(count, 6);
}

static void test_chart_nice_ticks_flat_zero(void **state)
{
	double first, step;
	int count;

	(void)state;
	bp_chart_nice_ticks(0, 0, 6, &first, &step, &count);
	assert_true(first == 0);
	assert_true(first + step * (count - 1) >= 1);
}

/* The bars, in painting order (series colour 0 only). */
static size_t bars_of(const bp_chart *c, const bp_shape **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->n && n < max; i++)
		if (c->shapes[i].kind == BP_SHAPE_RECT &&
		    c->shapes[i].fill == bp_chart_color(0))
			out[n++] = &c->shapes[i];
	return n;
}

static void test_chart_bar_heights_proportional(void **state)
{
	const char *cats[] = {"A", "B", "C"};
	double vals[] = {10, 20, 40};
	bp_chart_input in;
	const bp_shape *b[8];
	bp_chart *c;
	bp_err err;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_BAR;
	in.ncats = 3;
	in.cats = cats;
	in.nseries = 1;
	in.values = vals;
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	assert_int_equal(bars_of(c, b, 8), 3);
	assert_true(fabs(b[1]->h - 2 * b[0]->h) < 1e-9);
	assert_true(fabs(b[2]->h - 4 * b[0]->h) < 1e-9);
	/* bars stand on the same baseline */
	assert_true(fabs((b[0]->y + b[0]->h) - (b[2]->y + b[2]->h)) < 1e-9);
	assert_true(b[0]->x < b[1]->x && b[1]->x < b[2]->x);
	bp_chart_free(c);
}

static void test_chart_bar_absent_value_not_drawn(void **state)
{
	const char *cats[] = {"A", "B", "C"};
	double vals[] = {10, NAN, 0};
	bp_chart_input in;
	const bp_shape *b[8];
	bp_chart *c;
	bp_err err;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_BAR;
	in.ncats = 3;
	in.cats = cats;
	in.nseries = 1;
	in.values = vals;
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	/* A and the real zero of C are drawn; B is absent */
	assert_int_equal(bars_of(c, b, 8), 2);
	assert_true(b[1]->h == 0);
	bp_chart_free(c);
}

static void test_chart_line_gap_splits_polyline(void **state)
{
	const char *cats[] = {"1", "2", "3", "4", "5"};
	double vals[] = {1, 2, NAN, 4, 5};
	bp_chart_input in;
	bp_chart *c;
	bp_err err;
	size_t i, lines = 0, dots = 0;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_LINE;
	in.ncats = 5;
	in.cats = cats;
	in.nseries = 1;
	in.values = vals;
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	for (i = 0; i < c->n; i++) {
		if (c->shapes[i].kind == BP_SHAPE_POLYLINE) {
			lines++;
			assert_int_equal(c->shapes[i].npts, 2);
		}
		dots += c->shapes[i].kind == BP_SHAPE_CIRCLE;
	}
	assert_int_equal(lines, 2);
	assert_int_equal(dots, 4);
	bp_chart_free(c);
}

static void test_chart_target_is_dashed(void **state)
{
	const char *cats[] = {"A", "B"};
	double vals[] = {10, 20}, target[] = {15, NAN};
	bp_chart_input in;
	bp_chart *c;
	bp_err err;
	size_t i, dashed = 0;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_BAR;
	in.ncats = 2;
	in.cats = cats;
	in.nseries = 1;
	in.values = vals;
	in.target = target;
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	for (i = 0; i < c->n; i++)
		dashed += c->shapes[i].kind == BP_SHAPE_LINE && c->shapes[i].dashed;
	/* one segment over A, none over B, one in the legend */
	assert_int_equal(dashed, 2);
	bp_chart_free(c);
}

static void test_chart_heatmap_shades_by_value(void **state)
{
	const char *cats[] = {"x", "y"};
	const char *rows[] = {"r1"};
	double vals[] = {0.1, 0.9};
	bp_chart_input in;
	bp_chart *c;
	bp_err err;
	unsigned fills[2];
	size_t i, n = 0;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_HEATMAP;
	in.ncats = 2;
	in.cats = cats;
	in.nseries = 1;
	in.series = rows;
	in.values = vals;
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	for (i = 0; i < c->n && n < 2; i++)
		if (c->shapes[i].kind == BP_SHAPE_RECT)
			fills[n++] = c->shapes[i].fill;
	assert_int_equal(n, 2);
	/* the larger value is darker: a smaller blue-channel-free sum */
	assert_true((fills[1] & 0xFF) + ((fills[1] >> 8) & 0xFF) <
		    (fills[0] & 0xFF) + ((fills[0] >> 8) & 0xFF));
	bp_chart_free(c);
}

static void test_chart_same_input_same_geometry(void **state)
{
	const char *cats[] = {"A", "B"};
	double vals[] = {3, 7};
	bp_chart_input in;
	bp_chart *a, *b;
	bp_err err;
	size_t i;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_BAR;
	in.ncats = 2;
	in.cats = cats;
	in.nseries = 1;
	in.values = vals;
	a = bp_chart_build(&in, &err);
	b = bp_chart_build(&in, &err);
	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_true(a->shapes[i].x == b->shapes[i].x);
		assert_true(a->shapes[i].y == b->shapes[i].y);
	}
	bp_chart_free(a);
	bp_chart_free(b);
}

static void test_chart_palette_twenty_distinct_colours(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < 20; i++)
		for (j = i + 1; j < 20; j++)
			assert_true(bp_chart_color(i) != bp_chart_color(j));
	/* it repeats after that */
	assert_true(bp_chart_color(20) == bp_chart_color(0));
}

/* The texts of a chart whose text equals t. */
static size_t texts_equal(const bp_chart *c, const char *t)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		n += c->shapes[i].kind == BP_SHAPE_TEXT &&
		     strcmp(c->shapes[i].text, t) == 0;
	return n;
}

/* Whole won, as the report writes them. */
static int whole_won(double v, char *buf, size_t size, void *ctx)
{
	(void)ctx;
	return snprintf(buf, size, "W%.0f", v);
}

/* A series of zeros in a format without fractions: the axis still goes
 * 0 to 1, in ticks the labels tell apart (not W0, W0, W0, W1, W1, W1). */
static void test_chart_axis_labels_never_repeat(void **state)
{
	const char *cats[] = {"A", "B", "C"};
	double vals[] = {0, 0, 0};
	bp_chart_input in;
	bp_chart *c;
	bp_err err;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_BAR;
	in.ncats = 3;
	in.cats = cats;
	in.nseries = 1;
	in.values = vals;
	in.fmt = whole_won;
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	/* One W1 on the axis; W0 once there and on the three bars. */
	assert_int_equal(texts_equal(c, "W1"), 1);
	assert_true(texts_equal(c, "W0") <= 4);
	bp_chart_free(c);
	/* Without a format, fifths are written as such. */
	in.fmt = NULL;
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	assert_int_equal(texts_equal(c, "0.20"), 1);
	bp_chart_free(c);
}

/* 36 month labels in 600 units cannot all be written: one in every k,
 * the last (the period) among them. */
static void test_chart_category_labels_thinned_last_kept(void **state)
{
	static char names[36][16];
	const char *cats[36];
	double vals[36];
	bp_chart_input in;
	bp_chart *c;
	bp_err err;
	size_t i, shown = 0;

	(void)state;
	for (i = 0; i < 36; i++) {
		snprintf(names[i], sizeof(names[i]), "Mon %04zu", 2000 + i);
		cats[i] = names[i];
		vals[i] = (double)i;
	}
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_BAR;
	in.width = 600;
	in.ncats = 36;
	in.cats = cats;
	in.nseries = 1;
	in.values = vals;
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	for (i = 0; i < 36; i++)
		shown += texts_equal(c, names[i]);
	assert_true(shown > 3 && shown < 36);
	assert_int_equal(texts_equal(c, names[35]), 1);
	bp_chart_free(c);
}

/* A few long labels wrap onto two lines at a space. */
static void test_chart_long_category_labels_wrap(void **state)
{
	const char *cats[] = {"Organic search engines", "Paid social networks",
			      "Email marketing lists", "Direct traffic visits"};
	double vals[] = {1, 2, 3, 4};
	bp_chart_input in;
	bp_chart *c;
	bp_err err;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_BAR;
	in.width = 520;
	in.ncats = 4;
	in.cats = cats;
	in.nseries = 1;
	in.values = vals;
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	assert_int_equal(texts_equal(c, "Organic search engines"), 0);
	assert_int_equal(texts_equal(c, "Organic search") + texts_equal(c, "Organic"), 1);
	assert_int_equal(texts_equal(c, "Direct traffic") + texts_equal(c, "Direct"), 1);
	bp_chart_free(c);
}

/* Twelve series over a limit of five: the four largest and "Other", the
 * rest summed into it. */
static void test_chart_series_beyond_limit_merged(void **state)
{
	static const char *names[12] = {"s0", "s1", "s2", "s3", "s4", "s5",
					"s6", "s7", "s8", "s9", "s10", "s11"};
	const char *cats[] = {"A"};
	double vals[12];
	bp_chart_input in;
	bp_chart *c;
	bp_err err;
	size_t i;

	(void)state;
	for (i = 0; i < 12; i++)
		vals[i] = (double)(i + 1);
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_STACKED_BAR;
	in.width = 600;
	in.ncats = 1;
	in.cats = cats;
	in.nseries = 12;
	in.series = names;
	in.values = vals;
	in.max_series = 5;
	in.other_label = "Rest";
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	/* kept: s8..s11 (the largest), then the rest: 1+..+8 = 36 */
	assert_int_equal(texts_equal(c, "s11") + texts_equal(c, "s8"), 2);
	assert_int_equal(texts_equal(c, "s7") + texts_equal(c, "s0"), 0);
	assert_int_equal(texts_equal(c, "Rest"), 1);
	/* the stack's total is unchanged: 78 */
	assert_int_equal(texts_equal(c, "78"), 1);
	bp_chart_free(c);
}

/* A legend wider than the chart wraps onto another line. */
static void test_chart_legend_wraps(void **state)
{
	static const char *names[8] = {"Organic search", "Paid search",
		"Paid social", "Organic social", "Email marketing", "Referrals",
		"Direct traffic", "Offline sources"};
	const char *cats[] = {"A", "B"};
	double vals[16];
	bp_chart_input in;
	bp_chart *c;
	bp_err err;
	double y0 = -1, y1 = -1;
	size_t i;

	(void)state;
	for (i = 0; i < 16; i++)
		vals[i] = 1;
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_STACKED_BAR;
	in.width = 400;
	in.ncats = 2;
	in.cats = cats;
	in.nseries = 8;
	in.series = names;
	in.values = vals;
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	for (i = 0; i < c->n; i++) {
		const bp_shape *t = &c->shapes[i];

		if (t->kind != BP_SHAPE_TEXT)
			continue;
		if (strcmp(t->text, "Organic search") == 0)
			y0 = t->y;
		if (strcmp(t->text, "Offline sources") == 0)
			y1 = t->y;
		/* no legend text runs past the drawing */
		assert_true(t->x < 400);
	}
	assert_true(y0 > 0 && y1 > y0);
	bp_chart_free(c);
}

static void test_chart_absent_bar_says_so(void **state)
{
	const char *cats[] = {"Paid search", "Paid social"};
	double vals[] = {10, NAN};
	bp_chart_input in;
	bp_chart *c;
	bp_err err;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_BAR;
	in.ncats = 2;
	in.cats = cats;
	in.nseries = 1;
	in.values = vals;
	in.absent_label = "no customer";
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	assert_int_equal(texts_equal(c, "no customer"), 1);
	bp_chart_free(c);
}

/* Two lines with the same values: each value label once, not one on top
 * of the other. */
static void test_chart_line_labels_never_stacked(void **state)
{
	const char *cats[] = {"A", "B", "C"};
	const char *names[] = {"one", "two"};
	double vals[] = {5, 6, 7, 5, 6, 7};
	bp_chart_input in;
	bp_chart *c;
	bp_err err;
	size_t i, j;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = BP_CHART_LINE;
	in.width = 500;
	in.ncats = 3;
	in.cats = cats;
	in.nseries = 2;
	in.series = names;
	in.values = vals;
	c = bp_chart_build(&in, &err);
	assert_non_null(c);
	for (i = 0; i < c->n; i++)
		for (j = i + 1; j < c->n; j++)
			if (c->shapes[i].kind == BP_SHAPE_TEXT &&
			    c->shapes[j].kind == BP_SHAPE_TEXT)
				assert_false(fabs(c->shapes[i].x - c->shapes[j].x) < 1 &&
					     fabs(c->shapes[i].y - c->shapes[j].y) < 1);
	bp_chart_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chart_nice_ticks_0_to_95),
		cmocka_unit_test(test_chart_nice_ticks_0_to_1234),
		cmocka_unit_test(test_chart_nice_ticks_fraction_and_negative),
		cmocka_unit_test(test_chart_nice_ticks_flat_zero),
		cmocka_unit_test(test_chart_bar_heights_proportional),
		cmocka_unit_test(test_chart_bar_absent_value_not_drawn),
		cmocka_unit_test(test_chart_line_gap_splits_polyline),
		cmocka_unit_test(test_chart_target_is_dashed),
		cmocka_unit_test(test_chart_heatmap_shades_by_value),
		cmocka_unit_test(test_chart_same_input_same_geometry),
		cmocka_unit_test(test_chart_palette_twenty_distinct_colours),
		cmocka_unit_test(test_chart_axis_labels_never_repeat),
		cmocka_unit_test(test_chart_category_labels_thinned_last_kept),
		cmocka_unit_test(test_chart_long_category_labels_wrap),
		cmocka_unit_test(test_chart_series_beyond_limit_merged),
		cmocka_unit_test(test_chart_legend_wraps),
		cmocka_unit_test(test_chart_absent_bar_says_so),
		cmocka_unit_test(test_chart_line_labels_never_stacked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
