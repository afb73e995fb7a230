/*
 * test_num.c - numbers as exports write them.  Expected values are worked
 * out by hand: money is in 1/10000 units.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "num.h"

static void expect_money(const char *s, bp_money want)
{
	bp_money m = 12345;

	assert_int_equal(bp_num_money(s, strlen(s), &m), 1);
	assert_int_equal(m, want);
}

static void expect_money_rc(const char *s, int rc)
{
	bp_money m;

	assert_int_equal(bp_num_money(s, strlen(s), &m), rc);
}

static void expect_count(const char *s, int64_t want)
{
	int64_t v = 12345;

	assert_int_equal(bp_num_count(s, strlen(s), &v), 1);
	assert_int_equal(v, want);
}

static void expect_count_rc(const char *s, int rc)
{
	int64_t v;

	assert_int_equal(bp_num_count(s, strlen(s), &v), rc);
}

static void expect_ratio(const char *s, double want)
{
	double v = -1;

	assert_int_equal(bp_num_ratio(s, strlen(s), &v), 1);
	assert_true(v == want);
}

static void expect_format(bp_money m, const char *want)
{
	char buf[32];

	assert_int_equal(bp_num_format_money(m, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

static void test_num_count_plain_digits(void **state)
{
	(void)state;
	expect_count("0", 0);
	expect_count("120934", 120934);
}

static void test_num_count_thousands_comma(void **state)
{
	(void)state;
	expect_count("1,234", 1234);
}

static void test_num_count_unquoted_google_ads_count(void **state)
{
	(void)state;
	expect_count("8,833", 8833);
	expect_count("1,234,567", 1234567);
}

static void test_num_count_negative(void **state)
{
	(void)state;
	expect_count("-3", -3);
}

static void test_num_count_fraction_is_error(void **state)
{
	(void)state;
	expect_count_rc("1.5", -1);
	expect_count_rc("1,5", -1);
}

static void test_num_count_text_is_error(void **state)
{
	(void)state;
	expect_count_rc("abc", -1);
	expect_count_rc("12abc", -1);
}

static void test_num_count_overflow_is_error(void **state)
{
	(void)state;
	expect_count("9223372036854775807", INT64_MAX);
	expect_count_rc("9223372036854775808", -1);
	expect_count_rc("99,999,999,999,999,999,999", -1);
}

static void test_num_count_surrounding_blanks(void **state)
{
	(void)state;
	expect_count("  42 ", 42);
	expect_count("\xC2\xA0" "7", 7);
}

static void test_num_missing_values(void **state)
{
	(void)state;
	assert_int_equal(bp_num_missing("", 0), 1);
	assert_int_equal(bp_num_missing("   ", 3), 1);
	assert_int_equal(bp_num_missing(" --", 3), 1);
	assert_int_equal(bp_num_missing("-", 1), 1);
	assert_int_equal(bp_num_missing("N/A", 3), 1);
	assert_int_equal(bp_num_missing("(not set)", 9), 1);
	assert_int_equal(bp_num_missing("0", 1), 0);
	assert_int_equal(bp_num_missing("-1", 2), 0);
}

static void test_num_google_ads_dashes_missing(void **state)
{
	bp_money m = 5;
	int64_t c = 5;
	double d = 5;

	(void)state;
	assert_int_equal(bp_num_money(" --", 3, &m), 0);
	assert_int_equal(bp_num_count(" --", 3, &c), 0);
	assert_int_equal(bp_num_ratio(" --", 3, &d), 0);
	assert_int_equal(bp_num_money("", 0, &m), 0);
}

static void test_num_money_plain(void **state)
{
	(void)state;
	expect_money("1234", 12340000);
	expect_money("0", 0);
}

static void test_num_money_thousands_and_decimals(void **state)
{
	(void)state;
	expect_money("4,838.80", 48388000);
}

static void test_num_money_dollar(void **state)
{
	(void)state;
	expect_money("$1,234.50", 12345000);
}

static void test_num_money_won_sign(void **state)
{
	(void)state;
	expect_money("₩12,000", 120000000);
	expect_money("￦12,000", 120000000);
}

static void test_num_money_currency_code_before(void **state)
{
	(void)state;
	expect_money("KRW 1000", 10000000);
}

static void test_num_money_currency_after(void **state)
{
	(void)state;
	expect_money("12.50 EUR", 125000);
	expect_money("12,50 €", 125000);
}

static void test_num_money_decimal_comma(void **state)
{
	(void)state;
	expect_money("1.234,56", 12345600);
	expect_money("1.234.567,8", 12345678000);
}

static void test_num_money_lone_comma_not_three_digits(void **state)
{
	(void)state;
	expect_money("3,5", 35000);
	expect_money("1,2345", 12345);
}

static void test_num_money_parentheses_negative(void **state)
{
	(void)state;
	expect_money("(12.50)", -125000);
	expect_money("($1,000)", -10000000);
}

static void test_num_money_minus_sign(void **state)
{
	(void)state;
	expect_money("-3", -30000);
	expect_money("-$2.25", -22500);
	expect_money("$-2.25", -22500);
}

static void test_num_money_rounds_fifth_decimal(void **state)
{
	(void)state;
	expect_money("0.12345", 1235);
	expect_money("0.12344", 1234);
	expect_money("-0.00005", -1);
	expect_money("0.99995", 10000);
}

static void test_num_money_text_is_error(void **state)
{
	(void)state;
	expect_money_rc("abc", -1);
	/* Only an upper-case ISO 4217 code is a currency: "12abc" is a typo. */
	expect_money_rc("12abc", -1);
	expect_money_rc("usd 12", -1);
	expect_money_rc("$", -1);
	expect_money_rc("12.5.3", -1);
	expect_money_rc("1,23.4", -1);
	expect_money_rc("4.37%", -1);
}

/* One amount may be at most 10^14 units, so a sum of a few rows is never
 * near 64 bits; beyond it, or past 64 bits altogether, is BP_NUM_RANGE,
 * whatever the sign or the decoration. */
static void test_num_money_beyond_bound_is_range_error(void **state)
{
	(void)state;
	expect_money("100000000000000", BP_MONEY_MAX);
	expect_money("-100,000,000,000,000.00", -BP_MONEY_MAX);
	expect_money_rc("100000000000000.0001", BP_NUM_RANGE);
	expect_money_rc("100000000000001", BP_NUM_RANGE);
	expect_money_rc("500000000000000", BP_NUM_RANGE);
	expect_money_rc("$500,000,000,000,000", BP_NUM_RANGE);
	expect_money_rc("-500000000000000", BP_NUM_RANGE);
	expect_money_rc("(500000000000000.00)", BP_NUM_RANGE);
	/* INT64_MAX / 10000 = 922337203685477: no longer near it. */
	expect_money_rc("922337203685478", BP_NUM_RANGE);
	expect_money_rc("100000000000000000000000", BP_NUM_RANGE);
	expect_money_rc("99999999999999999999999999999999999999", BP_NUM_RANGE);
}

/* bp_add refuses to wrap, both ways, and leaves the sum as it was. */
static void test_num_add_refuses_to_wrap(void **state)
{
	int64_t acc = INT64_MAX - 5;

	(void)state;
	assert_int_equal(bp_add(&acc, 5), 0);
	assert_true(acc == INT64_MAX);
	assert_int_equal(bp_add(&acc, 1), -1);
	assert_true(acc == INT64_MAX);
	acc = INT64_MIN + 1;
	assert_int_equal(bp_add(&acc, -2), -1);
	assert_true(acc == INT64_MIN + 1);
	acc = 0;
	assert_int_equal(bp_add(&acc, -7), 0);
	assert_true(acc == -7);
	/* Two amounts at the bound and the rest of 64 bits. */
	acc = BP_MONEY_MAX;
	assert_int_equal(bp_add(&acc, BP_MONEY_MAX), 0);
	assert_int_equal(bp_add(&acc, INT64_MAX - BP_MONEY_MAX), -1);
}

static void test_num_ratio_plain_fraction(void **state)
{
	(void)state;
	expect_ratio("0.3998", 0.3998);
}

static void test_num_ratio_percent(void **state)
{
	(void)state;
	expect_ratio("4.37%", 0.0437);
	expect_ratio("100%", 1.0);
}

static void test_num_ratio_bounds(void **state)
{
	(void)state;
	expect_ratio("< 10%", 0.10);
	expect_ratio("> 90%", 0.90);
}

static void test_num_ratio_text_is_error(void **state)
{
	double d;

	(void)state;
	assert_int_equal(bp_num_ratio("abc", 3, &d), -1);
	assert_int_equal(bp_num_ratio("%", 1, &d), -1);
}

static void test_num_format_money_two_decimals(void **state)
{
	(void)state;
	expect_format(12345000, "1234.50");
	expect_format(0, "0.00");
	expect_format(-2500, "-0.25");
}

static void test_num_format_money_rounds_half_away(void **state)
{
	(void)state;
	expect_format(50, "0.01");
	expect_format(49, "0.00");
	expect_format(-50, "-0.01");
	expect_format(-49, "0.00");
	expect_format(19950, "2.00");
}

static void test_num_format_money_extremes(void **state)
{
	(void)state;
	/* INT64_MAX = 9223372036854775807 units = 922337203685477.5807 */
	expect_format(INT64_MAX, "922337203685477.58");
	expect_format(INT64_MIN, "-922337203685477.58");
}

static void test_num_money_mark_reports_currency(void **state)
{
	char mark[8];
	bp_money m;

	(void)state;
	assert_int_equal(bp_num_money_mark("EUR 1,200", 9, &m, mark), 1);
	assert_string_equal(mark, "EUR");
	assert_int_equal(m, 1200 * BP_MONEY_SCALE);
	assert_int_equal(bp_num_money_mark("\xE2\x82\xA9" "500", 6, &m, mark), 1);
	assert_string_equal(mark, "\xE2\x82\xA9");
	assert_int_equal(bp_num_money_mark("12.50 USD", 9, &m, mark), 1);
	assert_string_equal(mark, "USD");
	assert_int_equal(bp_num_money_mark("1234", 4, &m, mark), 1);
	assert_string_equal(mark, "");
}

static void test_num_currency_ok_maps_symbols_to_codes(void **state)
{
	(void)state;
	assert_true(bp_num_currency_ok("", "KRW"));
	assert_true(bp_num_currency_ok("KRW", "KRW"));
	assert_false(bp_num_currency_ok("EUR", "USD"));
	assert_true(bp_num_currency_ok("$", "USD"));
	assert_true(bp_num_currency_ok("$", "CAD"));
	assert_false(bp_num_currency_ok("$", "KRW"));
	assert_true(bp_num_currency_ok("\xE2\x82\xA9", "KRW"));
	assert_false(bp_num_currency_ok("\xE2\x82\xAC", "USD"));
	assert_true(bp_num_currency_ok("\xC2\xA5", "JPY"));
	assert_true(bp_num_currency_ok("\xC2\xA5", "CNY"));
	assert_false(bp_num_currency_ok("US$", "CAD"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_num_count_plain_digits),
		cmocka_unit_test(test_num_count_thousands_comma),
		cmocka_unit_test(test_num_count_unquoted_google_ads_count),
		cmocka_unit_test(test_num_count_negative),
		cmocka_unit_test(test_num_count_fraction_is_error),
		cmocka_unit_test(test_num_count_text_is_error),
		cmocka_unit_test(test_num_count_overflow_is_error),
		cmocka_unit_test(test_num_count_surrounding_blanks),
		cmocka_unit_test(test_num_missing_values),
		cmocka_unit_test(test_num_google_ads_dashes_missing),
		cmocka_unit_test(test_num_money_plain),
		cmocka_unit_test(test_num_money_thousands_and_decimals),
		cmocka_unit_test(test_num_money_dollar),
		cmocka_unit_test(test_num_money_mark_reports_currency),
		cmocka_unit_test(test_num_currency_ok_maps_symbols_to_codes),
		cmocka_unit_test(test_num_money_won_sign),
		cmocka_unit_test(test_num_money_currency_code_before),
		cmocka_unit_test(test_num_money_currency_after),
		cmocka_unit_test(test_num_money_decimal_comma),
		cmocka_unit_test(test_num_money_lone_comma_not_three_digits),
		cmocka_unit_test(test_num_money_parentheses_negative),
		cmocka_unit_test(test_num_money_minus_sign),
		cmocka_unit_test(test_num_money_rounds_fifth_decimal),
		cmocka_unit_test(test_num_money_text_is_error),
		cmocka_unit_test(test_num_money_beyond_bound_is_range_error),
		cmocka_unit_test(test_num_add_refuses_to_wrap),
		cmocka_unit_test(test_num_ratio_plain_fraction),
		cmocka_unit_test(test_num_ratio_percent),
		cmocka_unit_test(test_num_ratio_bounds),
		cmocka_unit_test(test_num_ratio_text_is_error),
		cmocka_unit_test(test_num_format_money_two_decimals),
		cmocka_unit_test(test_num_format_money_rounds_half_away),
		cmocka_unit_test(test_num_format_money_extremes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
