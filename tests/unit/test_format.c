/*
 * test_format.c - human-readable numbers, money, percentages and months.
 * Expected texts are written out by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "format.h"

static char buf[128];

static void test_format_int_thousands(void **state)
{
	(void)state;
	bp_format_int(1234567, buf, sizeof(buf));
	assert_string_equal(buf, "1,234,567");
	bp_format_int(999, buf, sizeof(buf));
	assert_string_equal(buf, "999");
	bp_format_int(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1,000");
}

static void test_format_int_rounds_half_away_and_negative(void **state)
{
	(void)state;
	bp_format_int(-1234.5, buf, sizeof(buf));
	assert_string_equal(buf, "-1,235");
	bp_format_int(2.5, buf, sizeof(buf));
	assert_string_equal(buf, "3");
	bp_format_int(-0.4, buf, sizeof(buf));
	assert_string_equal(buf, "0");
}

static void test_format_nan_is_error_and_empty(void **state)
{
	(void)state;
	assert_int_equal(bp_format_int(NAN, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	assert_int_equal(bp_format_money(INFINITY, "USD", buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
}

static void test_format_num_decimals(void **state)
{
	(void)state;
	bp_format_num(1234.5, 2, buf, sizeof(buf));
	assert_string_equal(buf, "1,234.50");
	bp_format_num(0.125, 1, buf, sizeof(buf));
	assert_string_equal(buf, "0.1");
}

static void test_format_money_krw_no_decimals(void **state)
{
	(void)state;
	bp_format_money(12000000, "KRW", buf, sizeof(buf));
	assert_string_equal(buf, "\xe2\x82\xa9" "12,000,000");
	bp_format_money(71776.16, "KRW", buf, sizeof(buf));
	assert_string_equal(buf, "\xe2\x82\xa9" "71,776");
}

static void test_format_money_usd_two_decimals(void **state)
{
	(void)state;
	bp_format_money(1234.5, "USD", buf, sizeof(buf));
	assert_string_equal(buf, "$1,234.50");
	bp_format_money(-12, "USD", buf, sizeof(buf));
	assert_string_equal(buf, "-$12.00");
}

static void test_format_money_eur_and_unknown_code(void **state)
{
	(void)state;
	bp_format_money(1234.5, "EUR", buf, sizeof(buf));
	assert_string_equal(buf, "\xe2\x82\xac" "1,234.50");
	bp_format_money(1234.5, "CHF", buf, sizeof(buf));
	assert_string_equal(buf, "1,234.50 CHF");
}

static void test_format_money_short_units(void **state)
{
	(void)state;
	bp_format_money_short(12000000, "KRW", buf, sizeof(buf));
	assert_string_equal(buf, "\xe2\x82\xa9" "12.0M");
	bp_format_money_short(1200, "USD", buf, sizeof(buf));
	assert_string_equal(buf, "$1.2K");
	bp_format_money_short(950, "USD", buf, sizeof(buf));
	assert_string_equal(buf, "$950");
	bp_format_money_short(999960, "USD", buf, sizeof(buf));
	assert_string_equal(buf, "$1.0M");
}

static void test_format_pct(void **state)
{
	(void)state;
	bp_format_pct(0.1234, 1, buf, sizeof(buf));
	assert_string_equal(buf, "12.3%");
	bp_format_pct(0.935, 0, buf, sizeof(buf));
	assert_string_equal(buf, "94%");
	bp_format_pct(1.111111, 1, buf, sizeof(buf));
	assert_string_equal(buf, "111.1%");
}

static void test_format_delta_signs(void **state)
{
	(void)state;
	bp_format_delta(411, 384, buf, sizeof(buf));
	assert_string_equal(buf, "+7.0%");
	bp_format_delta(35, 39, buf, sizeof(buf));
	assert_string_equal(buf, "-10.3%");
	bp_format_delta(4, 4, buf, sizeof(buf));
	assert_string_equal(buf, "0.0%");
	assert_int_equal(bp_format_delta(4, 0, buf, sizeof(buf)), -1);
	bp_format_delta_pt(0.30, 0.287, buf, sizeof(buf));
	assert_string_equal(buf, "+1.3 pt");
}

static void test_format_month_en_and_ko(void **state)
{
	(void)state;
	bp_format_month("2026-10", "en", 0, buf, sizeof(buf));
	assert_string_equal(buf, "October 2026");
	bp_format_month("2026-10", "en", 1, buf, sizeof(buf));
	assert_string_equal(buf, "Oct 2026");
	bp_format_month("2026-01", "ko", 0, buf, sizeof(buf));
	assert_string_equal(buf, "2026\xeb\x85\x84 1\xec\x9b\x94");
	bp_format_month("2026-09", "ja", 1, buf, sizeof(buf));
	assert_string_equal(buf, "Sep 2026");
}

static void test_format_month_malformed(void **state)
{
	(void)state;
	assert_int_equal(bp_format_month("2026-13", "en", 0, buf, sizeof(buf)), -1);
	assert_int_equal(bp_format_month("Oct 2026", "en", 0, buf, sizeof(buf)), -1);
	assert_int_equal(bp_format_month("2026-1", "en", 0, buf, sizeof(buf)), -1);
}

static void test_format_date_with_offset(void **state)
{
	(void)state;
	bp_format_date("2026-10-31T23:59:59+09:00", "en", buf, sizeof(buf));
	assert_string_equal(buf, "31 October 2026 23:59 +09:00");
	bp_format_date("2026-11-01T06:00:03Z", "ko", buf, sizeof(buf));
	assert_string_equal(buf, "2026\xeb\x85\x84 11\xec\x9b\x94 1\xec\x9d\xbc 06:00 UTC");
	bp_format_date("2026-10-31", "en", buf, sizeof(buf));
	assert_string_equal(buf, "31 October 2026");
	assert_int_equal(bp_format_date("2026-10-31X", "en", buf, sizeof(buf)), -1);
}

static void test_format_month_and_date_in_chinese(void **state)
{
	(void)state;
	bp_format_month("2026-10", "zh-TW", 0, buf, sizeof(buf));
	assert_string_equal(buf, "2026\xe5\xb9\xb4" "10\xe6\x9c\x88");
	bp_format_month("2026-03", "zh-TW", 1, buf, sizeof(buf));
	assert_string_equal(buf, "2026\xe5\xb9\xb4" "3\xe6\x9c\x88");
	bp_format_date("2026-10-31T23:59:59+08:00", "zh-TW", buf, sizeof(buf));
	assert_string_equal(buf, "2026\xe5\xb9\xb4" "10\xe6\x9c\x88" "31\xe6\x97\xa5 23:59 +08:00");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_int_thousands),
		cmocka_unit_test(test_format_int_rounds_half_away_and_negative),
		cmocka_unit_test(test_format_nan_is_error_and_empty),
		cmocka_unit_test(test_format_num_decimals),
		cmocka_unit_test(test_format_money_krw_no_decimals),
		cmocka_unit_test(test_format_money_usd_two_decimals),
		cmocka_unit_test(test_format_money_eur_and_unknown_code),
		cmocka_unit_test(test_format_money_short_units),
		cmocka_unit_test(test_format_pct),
		cmocka_unit_test(test_format_delta_signs),
		cmocka_unit_test(test_format_month_en_and_ko),
		cmocka_unit_test(test_format_month_malformed),
		cmocka_unit_test(test_format_date_with_offset),
		cmocka_unit_test(test_format_month_and_date_in_chinese),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
