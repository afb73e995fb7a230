/*
 * test_chart.c - chart geometry: ticks, proportions, absent values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
