/*
 * test_fastpath.c - the fast paths agree with the general ones.
 *
 * The auto-detecting date parser reads HubSpot's timestamps with a
 * hand-written scanner; an explicit pattern goes through the strptime-like
 * interpreter.  Plain digits skip the number parser's separator and
 * currency handling.  Each pair must give the same answer on the same
 * value, for every date of several centuries and numbers of every size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "num.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void same_civil(const char *text, const char *fmt)
{
	bp_civil a, b;
	int ra = bp_date_parse(text, strlen(text), NULL, &a);
	int rb = bp_date_parse(text, strlen(text), fmt, &b);

	if (ra != rb || (ra == 1 && memcmp(&a, &b, sizeof(a)) != 0))
		fail_msg("'%s': auto gives %d, '%s' gives %d", text, ra, fmt, rb);
}

/* Every day from 1900 to 2100 at a varying time, in HubSpot's export
 * form, through both parsers. */
static void test_fastpath_export_timestamps_every_day(void **state)
{
	int64_t day;
	char text[32];
	int y, m, d;

	(void)state;
	for (day = bp_days_from_civil(1900, 1, 1); day <= bp_days_from_civil(2100, 12, 31); day++) {
		bp_civil_from_days(day, &y, &m, &d);
		snprintf(text, sizeof(text), "%04d-%02d-%02d %02d:%02d", y, m, d,
			 (int)(day % 24), (int)(day % 60));
		same_civil(text, "%Y-%m-%d %H:%M");
	}
}

static void test_fastpath_api_timestamps_with_zone(void **state)
{
	char text[40];
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		uint64_t r = next();
		int y = 1970 + (int)(r % 130), m = 1 + (int)((r >> 8) % 12);
		int d = 1 + (int)((r >> 16) % 28), h = (int)((r >> 24) % 24);
		int mi = (int)((r >> 32) % 60), s = (int)((r >> 40) % 60);

		snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, h, mi, s);
		same_civil(text, "%Y-%m-%dT%H:%M:%S%z");
		snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d+09:00", y, m, d, h, mi, s);
		same_civil(text, "%Y-%m-%dT%H:%M:%S%z");
		snprintf(text, sizeof(text), "%04d%02d%02d", y, m, d);
		same_civil(text, "%Y%m%d");
		snprintf(text, sizeof(text), "%02d/%02d/%04d", m, d, y);
		same_civil(text, "%m/%d/%Y");
	}
}

static void test_fastpath_invalid_dates_rejected_by_both(void **state)
{
	static const char *const bad[] = {
		"2026-02-29 10:00", "2026-13-01 00:00", "2026-00-10 00:00",
		"2026-01-32 00:00", "2026-01-01 24:00", "2026-01-01 23:60",
		"1900-02-29 00:00", "2026-01-01 10:00x", "2026-01-01 10",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		same_civil(bad[i], "%Y-%m-%d %H:%M");
}

/* Plain digits, the same digits with separators, blanks, a currency:
 * the fast path and the general path give the same amount. */
static void test_fastpath_money_plain_digits_equal_general(void **state)
{
	char plain[32], spaced[40], grouped[48], sym[64];
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		uint64_t v = next() % (i % 2 ? 1000000000000ULL : 100000ULL);
		bp_money a, b, c, d;
		int64_t ca, cb;
		size_t k, n, o = 0;

		snprintf(plain, sizeof(plain), "%llu", (unsigned long long)v);
		snprintf(spaced, sizeof(spaced), " %s ", plain);
		n = strlen(plain);
		for (k = 0; k < n; k++) {
			grouped[o++] = plain[k];
			if (k + 1 < n && (n - k - 1) % 3 == 0)
				grouped[o++] = ',';
		}
		grouped[o] = '\0';
		snprintf(sym, sizeof(sym), "$%s.00", grouped);
		assert_int_equal(bp_num_money(plain, strlen(plain), &a), 1);
		assert_int_equal(bp_num_money(spaced, strlen(spaced), &b), 1);
		assert_int_equal(bp_num_money(grouped, strlen(grouped), &c), 1);
		assert_int_equal(bp_num_money(sym, strlen(sym), &d), 1);
		assert_int_equal(a, (bp_money)v * BP_MONEY_SCALE);
		assert_int_equal(a, b);
		assert_int_equal(a, c);
		assert_int_equal(a, d);
		assert_int_equal(bp_num_count(plain, strlen(plain), &ca), 1);
		assert_int_equal(bp_num_count(grouped, strlen(grouped), &cb), 1);
		assert_int_equal(ca, (int64_t)v);
		assert_int_equal(ca, cb);
	}
}

/* bp_date_read() against bp_date_parse() and bp_civil_to_time() on one
 * value: same result code, instant and time flag. */
static void same_instant(bp_date_reader *dr, const char *text)
{
	bp_civil c;
	bp_time t, want;
	int has_time, rc = bp_date_read(dr, text, strlen(text), NULL, &t, &has_time);
	int want_rc = bp_date_parse(text, strlen(text), NULL, &c);

	want = want_rc > 0 ? bp_civil_to_time(&c, dr->src, dr->report) : BP_TIME_NONE;
	if (rc != want_rc || t != want || has_time != (want_rc > 0 && c.has_time))
		fail_msg("'%s' in %s: read gives %d %lld, parse gives %d %lld", text,
			 bp_tz_name(dr->src), rc, (long long)t, want_rc,
			 (long long)want);
}

/* Stamps in the shapes read by position, every 20 minutes of every day
 * around the clock changes of a few zones (a half-hour one among them),
 * and every day of 1969-2040 at one time, read forward and then
 * backward so that each day is met first and again. */
static void test_fastpath_date_reader_equals_general_in_zones(void **state)
{
	static const char *const zones[] = { "America/New_York", "Australia/Lord_Howe",
					     "Asia/Seoul", "Europe/London", "UTC" };
	static const char *const shapes[] = { "%s %02d:%02d", "%sT%02d:%02d:%02d",
					      "%s %02d:%02d:%02d.%03d", "%sT%02d:%02d:%02d.%03dZ" };
	int64_t first = bp_days_from_civil(1969, 1, 1), last = bp_days_from_civil(2040, 12, 31);
	size_t z;

	(void)state;
	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		bp_err err = { 0 };
		bp_tz *src = bp_tz_load(zones[z], &err), *report = bp_tz_load("Asia/Seoul", &err);
		bp_date_reader *dr = calloc(1, sizeof(*dr));
		int pass;

		assert_non_null(src);
		assert_non_null(report);
		bp_date_reader_init(dr, src, report);
		for (pass = 0; pass < 2; pass++) {
			int64_t k;

			for (k = 0; k <= last - first; k++) {
				int64_t day = pass ? last - k : first + k, u = day - first;
				int y, m, d, mins;
				char date[16], text[48];
				bp_time noon = bp_tz_from_local(src, day * 86400 + 43200);
				int near = bp_tz_offset(src, noon - 86400) != bp_tz_offset(src, noon + 86400);

				bp_civil_from_days(day, &y, &m, &d);
				snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
				same_instant(dr, date);
				for (mins = (int)(u % 7) * 11; mins < 1440; mins += near ? 20 : 1440) {
					snprintf(text, sizeof(text), shapes[(u + mins) % 4], date,
						 mins / 60, mins % 60, (int)(u % 60), (int)(u % 1000));
					same_instant(dr, text);
				}
			}
		}
		free(dr);
		bp_tz_free(src);
		bp_tz_free(report);
	}
}

/* Values the position reading must leave to the general parser, met
 * after the real days they could be mistaken for. */
static void test_fastpath_date_reader_impossible_and_odd_values(void **state)
{
	static const char *const values[] = {
		"2026-09-01 10:00", "2026-08-33 10:00", "2027-01-01", "2026-13-01",
		"2025-12-15", "2026-00-15", "1970-01-01 00:00", "0000-00-00 00:00",
		"0000-00-00", "2026-02-28 10:00", "2026-02-29 10:00", "2024-02-29",
		"2026-10-05T24:00", "2026-10-05 23:60", "2026-10-05 23:59:60",
		"2026-10-05 7:05", "2026-10-05  07:05", "2026-10-05t07:05",
		"2026-10-05T07:05Z", "2026-10-05T07:05:09.Z", "2026-10-05T07:05:09.1234567890Z",
		"2026-10-05T07:05:09,5Z", "2026-10-05T07:05:09+09:00", "2026-10-05 07:05 PM",
		" 2026-10-05 07:05", "2026-10-05 07:05 ", "2026-10-05 07:05x", "2026-1a-05",
		"20a6-10-05", "2026-10-05 07:0", "2026-10-05 07:05:0", "--", "",
	};
	bp_err err = { 0 };
	bp_tz *src = bp_tz_load("America/New_York", &err);
	bp_date_reader *dr = calloc(1, sizeof(*dr));
	size_t i;

	(void)state;
	assert_non_null(src);
	bp_date_reader_init(dr, src, NULL);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		same_instant(dr, values[i]);
	for (i = sizeof(values) / sizeof(values[0]); i-- > 0;)
		same_instant(dr, values[i]);
	free(dr);
	bp_tz_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fastpath_export_timestamps_every_day),
		cmocka_unit_test(test_fastpath_api_timestamps_with_zone),
		cmocka_unit_test(test_fastpath_invalid_dates_rejected_by_both),
		cmocka_unit_test(test_fastpath_money_plain_digits_equal_general),
		cmocka_unit_test(test_fastpath_date_reader_equals_general_in_zones),
		cmocka_unit_test(test_fastpath_date_reader_impossible_and_odd_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
