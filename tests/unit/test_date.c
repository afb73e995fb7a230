/*
 * test_date.c - time zones, months and date parsing.
 *
 * Expected instants and offsets were worked out by hand and checked
 * against GNU date (TZ=zone date -d ... +%s) when the tests were written;
 * they are literals here so that the tests do not depend on libc.
 * Real zones come from the system's zoneinfo; hand-built TZif files cover
 * v1, v2/v3 and POSIX TZ footers on their own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "testlib.h"

#define HOUR 3600

static char *fixture_dir;

/* ---- helpers ----------------------------------------------------------- */

static bp_tz *zone(const char *name)
{
	bp_err err = { 0 };
	bp_tz *tz = bp_tz_load(name, &err);

	if (!tz)
		fail_msg("cannot load %s: %s", name, err.msg);
	return tz;
}

static int parse(const char *s, bp_civil *c)
{
	return bp_date_parse(s, strlen(s), NULL, c);
}

static int parse_fmt(const char *s, const char *fmt, bp_civil *c)
{
	return bp_date_parse(s, strlen(s), fmt, c);
}

static void assert_civil(const bp_civil *c, int y, int mon, int d, int h,
			 int min, int s)
{
	assert_int_equal(c->y, y);
	assert_int_equal(c->mon, mon);
	assert_int_equal(c->d, d);
	assert_int_equal(c->h, h);
	assert_int_equal(c->min, min);
	assert_int_equal(c->s, s);
}

static bp_month month(int y, int m)
{
	return y * 12 + (m - 1);
}

/* A TZif file under construction. */
struct tzif {
	unsigned char b[4096];
	size_t n;
};

static void put32(struct tzif *f, uint32_t v)
{
	f->b[f->n++] = (unsigned char)(v >> 24);
	f->b[f->n++] = (unsigned char)(v >> 16);
	f->b[f->n++] = (unsigned char)(v >> 8);
	f->b[f->n++] = (unsigned char)v;
}

static void put_header(struct tzif *f, char version, uint32_t ntimes,
		       uint32_t ntypes)
{
	memcpy(f->b + f->n, "TZif", 4);
	f->b[f->n + 4] = (unsigned char)version;
	memset(f->b + f->n + 5, 0, 15);
	f->n += 20;
	put32(f, 0); /* isutcnt */
	put32(f, 0); /* isstdcnt */
	put32(f, 0); /* leapcnt */
	put32(f, ntimes);
	put32(f, ntypes);
	put32(f, 2); /* charcnt: "X\0" */
}

/* Transition i switches to type idx[i]; type j has offset off[j]. */
static void put_block(struct tzif *f, int tsize, size_t ntimes,
		      const int64_t *at, const unsigned char *idx,
		      size_t ntypes, const int32_t *off)
{
	size_t i;

	for (i = 0; i < ntimes; i++) {
		if (tsize == 8)
			put32(f, (uint32_t)((uint64_t)at[i] >> 32));
		put32(f, (uint32_t)at[i]);
	}
	for (i = 0; i < ntimes; i++)
		f->b[f->n++] = idx[i];
	for (i = 0; i < ntypes; i++) {
		put32(f, (uint32_t)off[i]);
		f->b[f->n++] = 0; /* isdst */
		f->b[f->n++] = 0; /* abbreviation index */
	}
	memcpy(f->b + f->n, "X", 2);
	f->n += 2;
}

/* A v2+ file whose 32-bit part is a single type of offset v1_off (as zic
 * writes slim files) and whose 64-bit part is the real data. */
static void put_v2(struct tzif *f, char version, int32_t v1_off,
		   size_t ntimes, const int64_t *at, const unsigned char *idx,
		   size_t ntypes, const int32_t *off, const char *footer)
{
	put_header(f, version, 0, 1);
	put_block(f, 4, 0, NULL, NULL, 1, &v1_off);
	put_header(f, version, (uint32_t)ntimes, (uint32_t)ntypes);
	put_block(f, 8, ntimes, at, idx, ntypes, off);
	f->n += (size_t)sprintf((char *)f->b + f->n, "\n%s\n", footer);
}

static void write_fixture(const char *name, const void *data, size_t len)
{
	tl_write_bytes(tl_path(fixture_dir, name), data, len, 0644);
}

/* Loads `name` from the fixture folder; TZDIR is put back before any
 * assertion can jump out of the test. */
static bp_tz *load_fixture(const char *name, bp_err *err)
{
	const char *old = getenv("TZDIR");
	char *saved = old ? strdup(old) : NULL;
	bp_tz *tz;

	setenv("TZDIR", fixture_dir, 1);
	tz = bp_tz_load(name, err);
	if (saved)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);
	return tz;
}

static bp_tz *footer_zone(const char *name, const char *footer)
{
	struct tzif f = { .n = 0 };
	int32_t off = 0;
	bp_err err = { 0 };
	bp_tz *tz;

	put_v2(&f, '3', 0, 0, NULL, NULL, 1, &off, footer);
	write_fixture(name, f.b, f.n);
	tz = load_fixture(name, &err);
	if (!tz)
		fail_msg("cannot load fixture %s: %s", name, err.msg);
	return tz;
}

static int setup_fixtures(void **state)
{
	(void)state;
	fixture_dir = tl_tmpdir("/tmp/bp-test-date-XXXXXX");
	return 0;
}

static int remove_fixtures(void **state)
{
	(void)state;
	tl_rmtree(fixture_dir);
	free(fixture_dir);
	return 0;
}

/* ---- civil calendar ---------------------------------------------------- */

static void test_date_days_from_civil_known_dates(void **state)
{
	(void)state;
	assert_int_equal(bp_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(bp_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(bp_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(bp_days_from_civil(2024, 2, 29), 19782);
	assert_int_equal(bp_days_from_civil(1600, 1, 1), -135140);
	assert_int_equal(bp_days_from_civil(2400, 12, 31), 157419);
}

static void test_date_civil_from_days_known_dates(void **state)
{
	int y, m, d;

	(void)state;
	bp_civil_from_days(19782, &y, &m, &d);
	assert_int_equal(y, 2024);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	bp_civil_from_days(-135140, &y, &m, &d);
	assert_int_equal(y, 1600);
	assert_int_equal(m, 1);
	assert_int_equal(d, 1);
	bp_civil_from_days(-1, &y, &m, &d);
	assert_int_equal(y, 1969);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
}

/* Every day from 1600 to 2400 must follow the one before by the
 * calendar's own rule, and map back to its number. */
static void test_date_civil_days_walk_the_calendar_one_day_at_a_time(void **state)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	int64_t day = -135140;
	int y = 1600, m = 1, d = 1;

	(void)state;
	for (; y <= 2400; day++) {
		int gy, gm, gd, leap = (y % 4 == 0 && y % 100 != 0) ||
				       y % 400 == 0;

		bp_civil_from_days(day, &gy, &gm, &gd);
		if (gy != y || gm != m || gd != d)
			fail_msg("day %lld is %d-%d-%d, not %d-%d-%d",
				 (long long)day, gy, gm, gd, y, m, d);
		assert_int_equal(bp_days_from_civil(y, m, d), day);
		if (++d > dim[m - 1] + (m == 2 && leap)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
}

/* ---- loading zones ----------------------------------------------------- */

static void test_date_utc_loads_without_zoneinfo(void **state)
{
	bp_err err = { 0 };
	bp_tz *a, *b, *c;

	(void)state;
	/* An empty TZDIR folder: UTC must not need a file. */
	a = load_fixture("UTC", &err);
	b = load_fixture("", &err);
	c = load_fixture(NULL, &err);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_string_equal(bp_tz_name(a), "UTC");
	assert_string_equal(bp_tz_name(c), "UTC");
	assert_int_equal(bp_tz_offset(a, 1784116800), 0);
	assert_int_equal(bp_tz_offset(c, -5000000000LL), 0);
	bp_tz_free(a);
	bp_tz_free(b);
	bp_tz_free(c);
}

static void test_date_unknown_zone_is_config_error(void **state)
{
	bp_err err = { 0 };

	(void)state;
	assert_null(bp_tz_load("Mars/Olympus_Mons", &err));
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.msg, "unknown time zone 'Mars/Olympus_Mons'");
}

static void test_date_zone_name_with_dotdot_rejected(void **state)
{
	bp_err err = { 0 };

	(void)state;
	assert_null(bp_tz_load("../zoneinfo/Asia/Seoul", &err));
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.msg,
			    "unknown time zone '../zoneinfo/Asia/Seoul'");
	assert_null(bp_tz_load("Asia/../Asia/Seoul", &err));
	assert_int_equal(err.code, BP_ECONFIG);
}

static void test_date_absolute_zone_name_rejected(void **state)
{
	bp_err err = { 0 };

	(void)state;
	assert_null(bp_tz_load("/usr/share/zoneinfo/Asia/Seoul", &err));
	assert_int_equal(err.code, BP_ECONFIG);
}

static void test_date_file_that_is_not_tzif_rejected(void **state)
{
	static const char text[] = "# not a zone\nKR\t+3733+12658\tAsia/Seoul\n"
				   "padding so the file is longer than a header\n";
	bp_err err = { 0 };

	(void)state;
	write_fixture("Text_Zone", text, sizeof(text) - 1);
	assert_null(load_fixture("Text_Zone", &err));
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.msg, "unknown time zone 'Text_Zone'");
}

static void test_date_truncated_tzif_rejected(void **state)
{
	struct tzif f = { .n = 0 };
	bp_err err = { 0 };

	(void)state;
	put_header(&f, '2', 10, 1); /* promises 10 transitions, has none */
	write_fixture("Truncated", f.b, f.n + 8);
	assert_null(load_fixture("Truncated", &err));
	assert_int_equal(err.code, BP_ECONFIG);
}

static void test_date_tzif_v1_transitions_without_footer(void **state)
{
	static const int64_t at[2] = { 1000000000, 1100000000 };
	static const unsigned char idx[2] = { 1, 0 };
	static const int32_t off[2] = { HOUR, 2 * HOUR };
	struct tzif f = { .n = 0 };
	bp_err err = { 0 };
	bp_tz *tz;

	(void)state;
	put_header(&f, 0, 2, 2);
	put_block(&f, 4, 2, at, idx, 2, off);
	write_fixture("Version_One", f.b, f.n);
	tz = load_fixture("Version_One", &err);
	assert_non_null(tz);
	assert_int_equal(bp_tz_offset(tz, 999999999), HOUR);
	assert_int_equal(bp_tz_offset(tz, 1000000000), 2 * HOUR);
	assert_int_equal(bp_tz_offset(tz, 1099999999), 2 * HOUR);
	assert_int_equal(bp_tz_offset(tz, 1100000000), HOUR);
	assert_int_equal(bp_tz_offset(tz, 4000000000LL), HOUR);
	bp_tz_free(tz);
}

/* A transition in 1874 only exists in the 64-bit data, and the 32-bit
 * data claims a different offset, so reading the wrong part shows. */
static void test_date_tzif_v2_uses_64_bit_data(void **state)
{
	static const int64_t at[1] = { -3000000000LL };
	static const unsigned char idx[1] = { 1 };
	static const int32_t off[2] = { 30472, 9 * HOUR };
	struct tzif f = { .n = 0 };
	bp_err err = { 0 };
	bp_tz *tz;

	(void)state;
	put_v2(&f, '2', 0, 1, at, idx, 2, off, "KST-9");
	write_fixture("Version_Two", f.b, f.n);
	tz = load_fixture("Version_Two", &err);
	assert_non_null(tz);
	assert_int_equal(bp_tz_offset(tz, -3000000001LL), 30472);
	assert_int_equal(bp_tz_offset(tz, -3000000000LL), 9 * HOUR);
	assert_int_equal(bp_tz_offset(tz, 1784116800), 9 * HOUR);
	bp_tz_free(tz);
}

/* ---- offsets of real zones --------------------------------------------- */

static void test_date_seoul_is_nine_hours_without_dst(void **state)
{
	bp_tz *tz = zone("Asia/Seoul");

	(void)state;
	assert_int_equal(bp_tz_offset(tz, 648000000), 9 * HOUR);  /* 1990-07-15 */
	assert_int_equal(bp_tz_offset(tz, 1768478400), 9 * HOUR); /* 2026-01-15 */
	assert_int_equal(bp_tz_offset(tz, 1784116800), 9 * HOUR); /* 2026-07-15 */
	assert_int_equal(bp_tz_offset(tz, 2224756800LL), 9 * HOUR); /* 2040 */
	/* 1987 still had summer time (+10), so the file is really read. */
	assert_int_equal(bp_tz_offset(tz, 553348800), 10 * HOUR);
	assert_string_equal(bp_tz_name(tz), "Asia/Seoul");
	bp_tz_free(tz);
}

static void test_date_new_york_dst_2026_starts_at_two_local(void **state)
{
	bp_tz *tz = zone("America/New_York");

	(void)state;
	/* 2026-03-08 02:00 EST is 07:00Z. */
	assert_int_equal(bp_tz_offset(tz, 1772953199), -5 * HOUR);
	assert_int_equal(bp_tz_offset(tz, 1772953200), -4 * HOUR);
	bp_tz_free(tz);
}

static void test_date_new_york_dst_2026_ends_at_two_local(void **state)
{
	bp_tz *tz = zone("America/New_York");

	(void)state;
	/* 2026-11-01 02:00 EDT is 06:00Z. */
	assert_int_equal(bp_tz_offset(tz, 1793512799), -4 * HOUR);
	assert_int_equal(bp_tz_offset(tz, 1793512800), -5 * HOUR);
	bp_tz_free(tz);
}

static void test_date_london_bst_2026_bounds(void **state)
{
	bp_tz *tz = zone("Europe/London");

	(void)state;
	assert_int_equal(bp_tz_offset(tz, 1774745999), 0);     /* 03-29 00:59:59Z */
	assert_int_equal(bp_tz_offset(tz, 1774746000), HOUR);  /* 03-29 01:00Z */
	assert_int_equal(bp_tz_offset(tz, 1792889999), HOUR);  /* 10-25 00:59:59Z */
	assert_int_equal(bp_tz_offset(tz, 1792890000), 0);     /* 10-25 01:00Z */
	bp_tz_free(tz);
}

static void test_date_lord_howe_dst_is_half_an_hour(void **state)
{
	bp_tz *tz = zone("Australia/Lord_Howe");

	(void)state;
	assert_int_equal(bp_tz_offset(tz, 1768478400), 11 * HOUR);       /* Jan */
	assert_int_equal(bp_tz_offset(tz, 1784116800), 10 * HOUR + 1800); /* Jul */
	bp_tz_free(tz);
}

static void test_date_new_york_far_future_follows_footer_rule(void **state)
{
	bp_tz *tz = zone("America/New_York");

	(void)state;
	assert_int_equal(bp_tz_offset(tz, 2130062400LL), -4 * HOUR);  /* 2037-07-01 */
	assert_int_equal(bp_tz_offset(tz, 2224756800LL), -4 * HOUR);  /* 2040-07-01 */
	assert_int_equal(bp_tz_offset(tz, 2210241600LL), -5 * HOUR);  /* 2040-01-15 */
	assert_int_equal(bp_tz_offset(tz, 10429473600LL), -4 * HOUR); /* 2300-07-01 */
	assert_int_equal(bp_tz_offset(tz, 10413835200LL), -5 * HOUR); /* 2300-01-01 */
	bp_tz_free(tz);
}

/* ---- POSIX TZ footers -------------------------------------------------- */

static void test_date_footer_month_week_day_rule(void **state)
{
	bp_tz *tz = footer_zone("Rule_M", "EST5EDT,M3.2.0,M11.1.0");

	(void)state;
	assert_int_equal(bp_tz_offset(tz, 1772953199), -5 * HOUR);
	assert_int_equal(bp_tz_offset(tz, 1772953200), -4 * HOUR);
	assert_int_equal(bp_tz_offset(tz, 1793512799), -4 * HOUR);
	assert_int_equal(bp_tz_offset(tz, 1793512800), -5 * HOUR);
	bp_tz_free(tz);
}

/* Jn never counts February 29: J60 is March 1 even in 2024. */
static void test_date_footer_julian_rule_skips_leap_day(void **state)
{
	bp_tz *tz = footer_zone("Rule_J", "AAA3BBB,J60/2,J300/2");

	(void)state;
	assert_int_equal(bp_tz_offset(tz, 1709182800), -3 * HOUR); /* 02-29 05:00Z */
	assert_int_equal(bp_tz_offset(tz, 1709269199), -3 * HOUR); /* 03-01 04:59:59Z */
	assert_int_equal(bp_tz_offset(tz, 1709269200), -2 * HOUR); /* 03-01 05:00Z */
	bp_tz_free(tz);
}

/* n counts from zero and does count February 29: 59 is Feb 29 in 2024,
 * March 1 in 2025. */
static void test_date_footer_zero_based_rule_counts_leap_day(void **state)
{
	bp_tz *tz = footer_zone("Rule_N", "CCC3DDD,59/2,300/2");

	(void)state;
	assert_int_equal(bp_tz_offset(tz, 1709182799), -3 * HOUR); /* 2024-02-29 04:59:59Z */
	assert_int_equal(bp_tz_offset(tz, 1709182800), -2 * HOUR); /* 2024-02-29 05:00Z */
	assert_int_equal(bp_tz_offset(tz, 1740718800), -3 * HOUR); /* 2025-02-28 05:00Z */
	assert_int_equal(bp_tz_offset(tz, 1740805200), -2 * HOUR); /* 2025-03-01 05:00Z */
	bp_tz_free(tz);
}

/* v3 allows a negative time: -1 is 23:00 on the day before. */
static void test_date_footer_negative_transition_time(void **state)
{
	bp_tz *tz = footer_zone("Rule_Neg", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");

	(void)state;
	assert_int_equal(bp_tz_offset(tz, 1774745999), -2 * HOUR); /* 03-29 00:59:59Z */
	assert_int_equal(bp_tz_offset(tz, 1774746000), -1 * HOUR); /* 03-29 01:00Z */
	bp_tz_free(tz);
}

static void test_date_footer_southern_hemisphere_rule(void **state)
{
	bp_tz *tz = footer_zone("Rule_South", "AEST-10AEDT,M10.1.0,M4.1.0/3");

	(void)state;
	assert_int_equal(bp_tz_offset(tz, 1768435200), 11 * HOUR); /* 2026-01-15 */
	assert_int_equal(bp_tz_offset(tz, 1784073600), 10 * HOUR); /* 2026-07-15 */
	assert_int_equal(bp_tz_offset(tz, 1791043199), 10 * HOUR); /* 10-03 15:59:59Z */
	assert_int_equal(bp_tz_offset(tz, 1791043200), 11 * HOUR); /* 10-03 16:00Z */
	bp_tz_free(tz);
}

/* RFC 8536 3.3.1: starting Jan 1 00:00 and ending Dec 31 at 24:00 plus
 * the DST shift means DST all year, also across New Year. */
static void test_date_footer_dst_all_year(void **state)
{
	static const int64_t at[1] = { 1000000000 };
	static const unsigned char idx[1] = { 1 };
	static const int32_t off[2] = { -5 * HOUR, -4 * HOUR };
	struct tzif f = { .n = 0 };
	bp_err err = { 0 };
	bp_tz *expanded, *direct;

	(void)state;
	put_v2(&f, '3', 0, 1, at, idx, 2, off, "EST5EDT,0/0,J365/25");
	write_fixture("All_Year", f.b, f.n);
	expanded = load_fixture("All_Year", &err);
	direct = footer_zone("All_Year_Only_Rule", "EST5EDT,0/0,J365/25");
	assert_non_null(expanded);
	/* 2026-07-01 00:00Z, 2027-01-01 04:30Z, 05:00Z, and 2500-01-01 05:00Z */
	assert_int_equal(bp_tz_offset(expanded, 1782864000), -4 * HOUR);
	assert_int_equal(bp_tz_offset(expanded, 1798777800), -4 * HOUR);
	assert_int_equal(bp_tz_offset(expanded, 1798779600), -4 * HOUR);
	assert_int_equal(bp_tz_offset(expanded, 16725243600LL), -4 * HOUR);
	assert_int_equal(bp_tz_offset(direct, 1798777800), -4 * HOUR);
	assert_int_equal(bp_tz_offset(direct, 1798779600), -4 * HOUR);
	bp_tz_free(expanded);
	bp_tz_free(direct);
}

static void test_date_footer_that_is_not_a_tz_rule_rejected(void **state)
{
	struct tzif f = { .n = 0 };
	int32_t off = 0;
	bp_err err = { 0 };

	(void)state;
	put_v2(&f, '2', 0, 0, NULL, NULL, 1, &off, "EST5EDT,M13.2.0,M11.1.0");
	write_fixture("Bad_Footer", f.b, f.n);
	assert_null(load_fixture("Bad_Footer", &err));
	assert_int_equal(err.code, BP_ECONFIG);
}

/* zic once wrote a transition at -2^59 ("the big bang"); a rule after
 * such a file's last transition must still apply to this century. */
static void test_date_footer_after_ancient_last_transition(void **state)
{
	static const int64_t at[1] = { -576460752303423488LL };
	static const unsigned char idx[1] = { 1 };
	static const int32_t off[2] = { -17762, -5 * HOUR };
	struct tzif f = { .n = 0 };
	bp_err err = { 0 };
	bp_tz *tz;

	(void)state;
	put_v2(&f, '2', 0, 1, at, idx, 2, off, "EST5EDT,M3.2.0,M11.1.0");
	write_fixture("Big_Bang", f.b, f.n);
	tz = load_fixture("Big_Bang", &err);
	assert_non_null(tz);
	assert_int_equal(bp_tz_offset(tz, 1772953199), -5 * HOUR);
	assert_int_equal(bp_tz_offset(tz, 1772953200), -4 * HOUR);
	assert_int_equal(bp_tz_from_local(tz, 1772937000), 1772955000);
	bp_tz_free(tz);
}

/* Damaged files must be refused or read, never read out of bounds (the
 * tests run under AddressSanitizer). */
static void test_date_damaged_tzif_never_crashes(void **state)
{
	static const int64_t at[3] = { -3000000000LL, 1000000000, 1100000000 };
	static const unsigned char idx[3] = { 1, 2, 1 };
	static const int32_t off[3] = { 30472, 9 * HOUR, 10 * HOUR };
	struct tzif f = { .n = 0 }, g;
	unsigned seed = 12345;
	int i, loaded = 0;

	(void)state;
	put_v2(&f, '2', 0, 3, at, idx, 3, off, "EST5EDT,M3.2.0,M11.1.0");
	for (i = 0; i < 1000; i++) {
		bp_err err = { 0 };
		bp_tz *tz;
		size_t len = f.n;

		g = f;
		seed = seed * 1103515245u + 12345u;
		g.b[(seed >> 8) % f.n] ^= (unsigned char)(1u << (seed % 8));
		if (i % 3 == 0)
			len = (seed >> 4) % f.n;
		write_fixture("Damaged", g.b, len);
		tz = load_fixture("Damaged", &err);
		if (tz) {
			loaded++;
			bp_tz_offset(tz, 1772953200);
			bp_tz_from_local(tz, 1772937000);
		} else {
			assert_int_equal(err.code, BP_ECONFIG);
		}
		bp_tz_free(tz);
	}
	assert_true(loaded > 0);
}

/* ---- local time to instant --------------------------------------------- */

static void test_date_from_local_ordinary_time(void **state)
{
	bp_tz *tz = zone("Asia/Seoul");

	(void)state;
	/* 2024-03-05 14:23 KST */
	assert_int_equal(bp_tz_from_local(tz, 1709648580), 1709616180);
	bp_tz_free(tz);
}

static void test_date_from_local_gap_uses_offset_before(void **state)
{
	bp_tz *tz = zone("America/New_York");

	(void)state;
	/* 2026-03-08 02:30 never happens; read as EST it is 07:30Z, which
	 * the clock shows as 03:30 EDT. */
	assert_int_equal(bp_tz_from_local(tz, 1772937000), 1772955000);
	bp_tz_free(tz);
}

static void test_date_from_local_overlap_returns_earlier(void **state)
{
	bp_tz *tz = zone("America/New_York");

	(void)state;
	/* 2026-11-01 01:30 happens at 05:30Z (EDT) and 06:30Z (EST). */
	assert_int_equal(bp_tz_from_local(tz, 1793496600), 1793511000);
	bp_tz_free(tz);
}

/* ---- months ------------------------------------------------------------ */

static void test_date_month_of_last_second_in_seoul(void **state)
{
	bp_tz *tz = zone("Asia/Seoul");

	(void)state;
	/* 2026-10-31 23:59:59 KST = 14:59:59Z */
	assert_int_equal(bp_month_of(tz, 1793458799), month(2026, 10));
	assert_int_equal(bp_month_of(tz, 1793458800), month(2026, 11));
	bp_tz_free(tz);
}

static void test_date_month_of_seoul_after_midnight_is_utc_previous_month(void **state)
{
	bp_tz *tz = zone("Asia/Seoul");

	(void)state;
	/* 2026-11-01 00:30 KST = 2026-10-31 15:30Z */
	assert_int_equal(bp_month_of(tz, 1793460600), month(2026, 11));
	assert_int_equal(bp_month_of(NULL, 1793460600), month(2026, 10));
	bp_tz_free(tz);
}

static void test_date_month_of_new_york_last_second_is_utc_next_month(void **state)
{
	bp_tz *tz = zone("America/New_York");

	(void)state;
	/* 2026-10-31 23:59:59 EDT = 2026-11-01 03:59:59Z */
	assert_int_equal(bp_month_of(tz, 1793505599), month(2026, 10));
	assert_int_equal(bp_month_of(NULL, 1793505599), month(2026, 11));
	bp_tz_free(tz);
}

static void test_date_month_start_end_across_spring_forward(void **state)
{
	bp_tz *tz = zone("America/New_York");

	(void)state;
	/* March 2026 begins in EST and ends in EDT. */
	assert_int_equal(bp_month_start(tz, month(2026, 3)), 1772341200);
	assert_int_equal(bp_month_end(tz, month(2026, 3)), 1775015999);
	bp_tz_free(tz);
}

static void test_date_month_start_end_across_fall_back(void **state)
{
	bp_tz *ny = zone("America/New_York");
	bp_tz *london = zone("Europe/London");

	(void)state;
	assert_int_equal(bp_month_start(ny, month(2026, 11)), 1793505600);
	assert_int_equal(bp_month_end(ny, month(2026, 11)), 1796101199);
	assert_int_equal(bp_month_start(london, month(2026, 10)), 1790809200);
	assert_int_equal(bp_month_end(london, month(2026, 10)), 1793491199);
	bp_tz_free(ny);
	bp_tz_free(london);
}

static void test_date_month_end_of_december_reaches_next_year(void **state)
{
	(void)state;
	/* 2026-12-31 23:59:59Z; 2027-01-01 is 1798761600. */
	assert_int_equal(bp_month_end(NULL, month(2026, 12)), 1798761599);
}

static void test_date_month_parse_and_format(void **state)
{
	bp_month m = 0;
	char buf[8];

	(void)state;
	assert_int_equal(bp_month_parse("2026-10", &m), 0);
	assert_int_equal(m, 2026 * 12 + 9);
	bp_month_format(2026 * 12, buf);
	assert_string_equal(buf, "2026-01");
	bp_month_format(999 * 12 + 11, buf);
	assert_string_equal(buf, "0999-12");
}

static void test_date_month_parse_rejects_malformed(void **state)
{
	bp_month m = 0;

	(void)state;
	assert_int_equal(bp_month_parse("2026-13", &m), -1);
	assert_int_equal(bp_month_parse("2026-00", &m), -1);
	assert_int_equal(bp_month_parse("2026-1", &m), -1);
	assert_int_equal(bp_month_parse("26-10", &m), -1);
	assert_int_equal(bp_month_parse("2026-10x", &m), -1);
	assert_int_equal(bp_month_parse("2026/10", &m), -1);
	assert_int_equal(bp_month_parse("", &m), -1);
}

/* ---- parsing ----------------------------------------------------------- */

static void test_date_parse_hubspot_export_minutes(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("2024-03-05 14:23", &c), 1);
	assert_civil(&c, 2024, 3, 5, 14, 23, 0);
	assert_true(c.has_time);
	assert_false(c.has_offset);
}

static void test_date_parse_hubspot_api_millis_z(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("2024-03-05T14:23:11.123Z", &c), 1);
	assert_civil(&c, 2024, 3, 5, 14, 23, 11);
	assert_true(c.has_offset);
	assert_int_equal(c.offset, 0);
	assert_int_equal(bp_civil_to_time(&c, NULL, NULL), 1709648591);
}

static void test_date_parse_offset_with_colon(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("2026-10-31T23:59:59+09:00", &c), 1);
	assert_int_equal(c.offset, 9 * HOUR);
	assert_int_equal(bp_civil_to_time(&c, NULL, NULL), 1793458799);
}

static void test_date_parse_offset_without_colon(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("2026-01-02T03:04:05-0500", &c), 1);
	assert_int_equal(c.offset, -5 * HOUR);
	assert_int_equal(bp_civil_to_time(&c, NULL, NULL), 1767341045);
}

static void test_date_parse_fractional_seconds_dropped(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("2024-03-05T14:23:11.999999+00:00", &c), 1);
	assert_civil(&c, 2024, 3, 5, 14, 23, 11);
}

static void test_date_parse_leap_day_2024_valid(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("2024-02-29", &c), 1);
	assert_civil(&c, 2024, 2, 29, 0, 0, 0);
	assert_false(c.has_time);
	assert_int_equal(parse("2000-02-29", &c), 1);
}

static void test_date_parse_leap_day_2026_invalid(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("2026-02-29", &c), -1);
	assert_int_equal(parse("1900-02-29", &c), -1);
	assert_int_equal(parse("2026-02-30", &c), -1);
	assert_int_equal(parse("2026-04-31", &c), -1);
}

static void test_date_parse_out_of_range_fields_invalid(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("2026-13-01", &c), -1);
	assert_int_equal(parse("2026-00-01", &c), -1);
	assert_int_equal(parse("2026-01-00", &c), -1);
	assert_int_equal(parse("2026-01-01 24:00", &c), -1);
	assert_int_equal(parse("2026-01-01 23:60", &c), -1);
	assert_int_equal(parse("2026-01-01 23:59:60", &c), -1);
	assert_int_equal(parse("2026-01-01T10:00+24:00", &c), -1);
}

static void test_date_parse_missing_values(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("", &c), 0);
	assert_int_equal(parse("   ", &c), 0);
	assert_int_equal(parse("--", &c), 0);
	assert_int_equal(parse(" --", &c), 0);
	assert_int_equal(bp_date_parse(NULL, 0, NULL, &c), 0);
}

static void test_date_parse_surrounding_blanks_ignored(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse(" 2026-07-08\t", &c), 1);
	assert_civil(&c, 2026, 7, 8, 0, 0, 0);
}

/* The "no date" placeholder is not a date, and is told apart from typos
 * and from real dates of year 0. */
static void test_date_placeholder_all_zero_dates_only(void **state)
{
	static const char *const yes[] = {
		"0000-00-00", "0000-00-00 00:00", " 0000-00-00 00:00:00 ",
		"0000-00-00T00:00:00.000Z", "0000-00-00T00:00:00+00:00",
		"00/00/0000", "00000000",
	};
	static const char *const no[] = {
		"", "--", "0000-00", "000000", "0000-01-01", "0000-00-00 00:01",
		"2026-00-00", "0000-00-00 n/a", "0000-00-00x",
	};
	bp_civil c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		assert_int_equal(parse(yes[i], &c), -1);
		assert_true(bp_date_placeholder(yes[i], strlen(yes[i])));
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(bp_date_placeholder(no[i], strlen(no[i])));
	assert_false(bp_date_placeholder(NULL, 0));
}

/* The length is honoured: the text need not end at n. */
static void test_date_parse_reads_only_n_bytes(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(bp_date_parse("2026-07-08,2026-07-09", 10, NULL, &c), 1);
	assert_civil(&c, 2026, 7, 8, 0, 0, 0);
	assert_int_equal(bp_date_parse("20260708", 6, NULL, &c), 1);
	assert_civil(&c, 2026, 7, 1, 0, 0, 0);
}

static void test_date_parse_garbage_invalid(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("hello", &c), -1);
	assert_int_equal(parse("2026-10-3", &c), -1);
	assert_int_equal(parse("2026-10-31T", &c), -1);
	assert_int_equal(parse("2026-10-31 10", &c), -1);
	assert_int_equal(parse("2026-10-31x", &c), -1);
	assert_int_equal(parse("1234567", &c), -1);
	assert_int_equal(parse("Foo 8, 2025", &c), -1);
}

static void test_date_parse_us_month_day_year(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("07/08/2025", &c), 1);
	assert_civil(&c, 2025, 7, 8, 0, 0, 0);
	assert_int_equal(parse("7/8/2025", &c), 1);
	assert_civil(&c, 2025, 7, 8, 0, 0, 0);
	assert_int_equal(parse("13/08/2025", &c), -1);
}

static void test_date_parse_us_time_with_am_pm(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("07/08/2025 3:05 PM", &c), 1);
	assert_civil(&c, 2025, 7, 8, 15, 5, 0);
	assert_int_equal(parse("07/08/2025 12:30:15 am", &c), 1);
	assert_civil(&c, 2025, 7, 8, 0, 30, 15);
	assert_int_equal(parse("07/08/2025 12:00 PM", &c), 1);
	assert_civil(&c, 2025, 7, 8, 12, 0, 0);
	assert_int_equal(parse("07/08/2025 13:00 PM", &c), -1);
}

static void test_date_parse_year_first_slashes(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("2025/07/08 09:10:11", &c), 1);
	assert_civil(&c, 2025, 7, 8, 9, 10, 11);
}

static void test_date_parse_ga4_compact_day(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("20251101", &c), 1);
	assert_civil(&c, 2025, 11, 1, 0, 0, 0);
	assert_int_equal(parse("20251131", &c), -1);
}

static void test_date_parse_ga4_compact_month(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("202511", &c), 1);
	assert_civil(&c, 2025, 11, 1, 0, 0, 0);
	assert_false(c.has_time);
	assert_int_equal(parse("202513", &c), -1);
}

static void test_date_parse_month_name_first(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("Jul 8, 2025", &c), 1);
	assert_civil(&c, 2025, 7, 8, 0, 0, 0);
	assert_int_equal(parse("July 8, 2025", &c), 1);
	assert_civil(&c, 2025, 7, 8, 0, 0, 0);
	assert_int_equal(parse("SEPT 30 2025", &c), 1);
	assert_civil(&c, 2025, 9, 30, 0, 0, 0);
}

static void test_date_parse_day_first_with_month_name(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse("8 July 2025", &c), 1);
	assert_civil(&c, 2025, 7, 8, 0, 0, 0);
	assert_int_equal(parse("29 May 2026", &c), 1);
	assert_civil(&c, 2026, 5, 29, 0, 0, 0);
	assert_int_equal(parse("8 Jul 2025", &c), 1);
	assert_civil(&c, 2025, 7, 8, 0, 0, 0);
	assert_int_equal(parse("31 Jun 2025", &c), -1);
}

static void test_date_parse_custom_day_month_year(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse_fmt("08/07/2025", "%d/%m/%Y", &c), 1);
	assert_civil(&c, 2025, 7, 8, 0, 0, 0);
	assert_false(c.has_time);
	assert_int_equal(parse_fmt("2025-07-08", "%d/%m/%Y", &c), -1);
	assert_int_equal(parse_fmt("31/02/2025", "%d/%m/%Y", &c), -1);
}

static void test_date_parse_custom_with_time_and_offset(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse_fmt("08 Jul 2025  03:04 pm +0900",
				   "%d %b %Y %H:%M %p %z", &c), 1);
	assert_civil(&c, 2025, 7, 8, 15, 4, 0);
	assert_true(c.has_time);
	assert_true(c.has_offset);
	assert_int_equal(c.offset, 9 * HOUR);
}

static void test_date_parse_custom_unknown_directive_invalid(void **state)
{
	bp_civil c;

	(void)state;
	assert_int_equal(parse_fmt("08/07/2025", "%d/%m/%Q", &c), -1);
	assert_int_equal(parse_fmt("08/07/2025", "%d/%m/%Y%", &c), -1);
}

/* ---- instants from parsed values --------------------------------------- */

static void test_date_civil_without_offset_read_in_source_zone(void **state)
{
	bp_tz *seoul = zone("Asia/Seoul");
	bp_civil c;

	(void)state;
	assert_int_equal(parse("2024-03-05 14:23", &c), 1);
	assert_int_equal(bp_civil_to_time(&c, seoul, NULL), 1709616180);
	bp_tz_free(seoul);
}

static void test_date_date_only_stays_in_month_east_of_utc(void **state)
{
	bp_tz *kiri = zone("Pacific/Kiritimati"); /* +14 */
	bp_civil c;
	bp_time t;

	(void)state;
	assert_int_equal(parse("2026-11-01", &c), 1);
	t = bp_civil_to_time(&c, NULL, kiri);
	assert_int_equal(t, 1793440800); /* 2026-10-31 10:00Z */
	assert_int_equal(bp_month_of(kiri, t), month(2026, 11));
	bp_tz_free(kiri);
}

static void test_date_date_only_stays_in_month_west_of_utc(void **state)
{
	bp_tz *pago = zone("Pacific/Pago_Pago"); /* -11 */
	bp_civil c;
	bp_time t;

	(void)state;
	assert_int_equal(parse("2026-10-31", &c), 1);
	t = bp_civil_to_time(&c, NULL, pago);
	assert_int_equal(t, 1793444400); /* 2026-10-31 11:00Z */
	assert_int_equal(bp_month_of(pago, t), month(2026, 10));
	assert_int_equal(parse("2026-10-01", &c), 1);
	assert_int_equal(bp_civil_to_time(&c, NULL, pago), 1790852400);
	bp_tz_free(pago);
}

/* ---- formatting and --as-of -------------------------------------------- */

static void test_date_format_with_zone_offset(void **state)
{
	bp_tz *seoul = zone("Asia/Seoul");
	bp_tz *ny = zone("America/New_York");
	bp_tz *lh = zone("Australia/Lord_Howe");
	char buf[40];

	(void)state;
	assert_int_equal(bp_time_format(1793458799, seoul, buf, sizeof(buf)), 25);
	assert_string_equal(buf, "2026-10-31T23:59:59+09:00");
	bp_time_format(1768478400, ny, buf, sizeof(buf));
	assert_string_equal(buf, "2026-01-15T07:00:00-05:00");
	bp_time_format(1784116800, lh, buf, sizeof(buf));
	assert_string_equal(buf, "2026-07-15T22:30:00+10:30");
	bp_tz_free(seoul);
	bp_tz_free(ny);
	bp_tz_free(lh);
}

static void test_date_format_utc_uses_z_but_london_winter_does_not(void **state)
{
	bp_tz *utc = zone("UTC");
	bp_tz *london = zone("Europe/London");
	char buf[40];

	(void)state;
	assert_int_equal(bp_time_format(1768478400, utc, buf, sizeof(buf)), 20);
	assert_string_equal(buf, "2026-01-15T12:00:00Z");
	bp_time_format(1768478400, london, buf, sizeof(buf));
	assert_string_equal(buf, "2026-01-15T12:00:00+00:00");
	bp_tz_free(utc);
	utc = zone("Etc/UTC");
	bp_time_format(1768478400, utc, buf, sizeof(buf));
	assert_string_equal(buf, "2026-01-15T12:00:00Z");
	bp_time_format(1768478400, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-01-15T12:00:00Z");
	bp_tz_free(utc);
	bp_tz_free(london);
}

static void test_date_as_of_date_is_its_last_second_in_zone(void **state)
{
	bp_tz *seoul = zone("Asia/Seoul");
	bp_tz *ny = zone("America/New_York");
	bp_time t = 0;

	(void)state;
	assert_int_equal(bp_time_parse_arg("2026-10-31", seoul, &t), 0);
	assert_int_equal(t, 1793458799);
	/* Days on which the clock changes: 23 and 25 hours long. */
	assert_int_equal(bp_time_parse_arg("2026-03-08", ny, &t), 0);
	assert_int_equal(t, 1773028799);
	assert_int_equal(bp_time_parse_arg("2026-11-01", ny, &t), 0);
	assert_int_equal(t, 1793595599);
	bp_tz_free(seoul);
	bp_tz_free(ny);
}

static void test_date_as_of_timestamp_with_and_without_offset(void **state)
{
	bp_tz *seoul = zone("Asia/Seoul");
	bp_time t = 0;

	(void)state;
	assert_int_equal(bp_time_parse_arg("2026-01-02T03:04:05-05:00", seoul,
					   &t), 0);
	assert_int_equal(t, 1767341045);
	assert_int_equal(bp_time_parse_arg("2024-03-05T14:23", seoul, &t), 0);
	assert_int_equal(t, 1709616180);
	bp_tz_free(seoul);
}

static void test_date_as_of_malformed_rejected(void **state)
{
	bp_time t = 0;

	(void)state;
	assert_int_equal(bp_time_parse_arg("10/31/2026", NULL, &t), -1);
	assert_int_equal(bp_time_parse_arg("2026-10-32", NULL, &t), -1);
	assert_int_equal(bp_time_parse_arg("yesterday", NULL, &t), -1);
	assert_int_equal(bp_time_parse_arg("", NULL, &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_days_from_civil_known_dates),
		cmocka_unit_test(test_date_civil_from_days_known_dates),
		cmocka_unit_test(test_date_civil_days_walk_the_calendar_one_day_at_a_time),
		cmocka_unit_test(test_date_utc_loads_without_zoneinfo),
		cmocka_unit_test(test_date_unknown_zone_is_config_error),
		cmocka_unit_test(test_date_zone_name_with_dotdot_rejected),
		cmocka_unit_test(test_date_absolute_zone_name_rejected),
		cmocka_unit_test(test_date_file_that_is_not_tzif_rejected),
		cmocka_unit_test(test_date_truncated_tzif_rejected),
		cmocka_unit_test(test_date_tzif_v1_transitions_without_footer),
		cmocka_unit_test(test_date_tzif_v2_uses_64_bit_data),
		cmocka_unit_test(test_date_seoul_is_nine_hours_without_dst),
		cmocka_unit_test(test_date_new_york_dst_2026_starts_at_two_local),
		cmocka_unit_test(test_date_new_york_dst_2026_ends_at_two_local),
		cmocka_unit_test(test_date_london_bst_2026_bounds),
		cmocka_unit_test(test_date_lord_howe_dst_is_half_an_hour),
		cmocka_unit_test(test_date_new_york_far_future_follows_footer_rule),
		cmocka_unit_test(test_date_footer_month_week_day_rule),
		cmocka_unit_test(test_date_footer_julian_rule_skips_leap_day),
		cmocka_unit_test(test_date_footer_zero_based_rule_counts_leap_day),
		cmocka_unit_test(test_date_footer_negative_transition_time),
		cmocka_unit_test(test_date_footer_southern_hemisphere_rule),
		cmocka_unit_test(test_date_footer_dst_all_year),
		cmocka_unit_test(test_date_footer_that_is_not_a_tz_rule_rejected),
		cmocka_unit_test(test_date_footer_after_ancient_last_transition),
		cmocka_unit_test(test_date_damaged_tzif_never_crashes),
		cmocka_unit_test(test_date_from_local_ordinary_time),
		cmocka_unit_test(test_date_from_local_gap_uses_offset_before),
		cmocka_unit_test(test_date_from_local_overlap_returns_earlier),
		cmocka_unit_test(test_date_month_of_last_second_in_seoul),
		cmocka_unit_test(test_date_month_of_seoul_after_midnight_is_utc_previous_month),
		cmocka_unit_test(test_date_month_of_new_york_last_second_is_utc_next_month),
		cmocka_unit_test(test_date_month_start_end_across_spring_forward),
		cmocka_unit_test(test_date_month_start_end_across_fall_back),
		cmocka_unit_test(test_date_month_end_of_december_reaches_next_year),
		cmocka_unit_test(test_date_month_parse_and_format),
		cmocka_unit_test(test_date_month_parse_rejects_malformed),
		cmocka_unit_test(test_date_parse_hubspot_export_minutes),
		cmocka_unit_test(test_date_parse_hubspot_api_millis_z),
		cmocka_unit_test(test_date_parse_offset_with_colon),
		cmocka_unit_test(test_date_parse_offset_without_colon),
		cmocka_unit_test(test_date_parse_fractional_seconds_dropped),
		cmocka_unit_test(test_date_parse_leap_day_2024_valid),
		cmocka_unit_test(test_date_parse_leap_day_2026_invalid),
		cmocka_unit_test(test_date_parse_out_of_range_fields_invalid),
		cmocka_unit_test(test_date_parse_missing_values),
		cmocka_unit_test(test_date_parse_surrounding_blanks_ignored),
		cmocka_unit_test(test_date_parse_reads_only_n_bytes),
		cmocka_unit_test(test_date_parse_garbage_invalid),
		cmocka_unit_test(test_date_placeholder_all_zero_dates_only),
		cmocka_unit_test(test_date_parse_us_month_day_year),
		cmocka_unit_test(test_date_parse_us_time_with_am_pm),
		cmocka_unit_test(test_date_parse_year_first_slashes),
		cmocka_unit_test(test_date_parse_ga4_compact_day),
		cmocka_unit_test(test_date_parse_ga4_compact_month),
		cmocka_unit_test(test_date_parse_month_name_first),
		cmocka_unit_test(test_date_parse_day_first_with_month_name),
		cmocka_unit_test(test_date_parse_custom_day_month_year),
		cmocka_unit_test(test_date_parse_custom_with_time_and_offset),
		cmocka_unit_test(test_date_parse_custom_unknown_directive_invalid),
		cmocka_unit_test(test_date_civil_without_offset_read_in_source_zone),
		cmocka_unit_test(test_date_date_only_stays_in_month_east_of_utc),
		cmocka_unit_test(test_date_date_only_stays_in_month_west_of_utc),
		cmocka_unit_test(test_date_format_with_zone_offset),
		cmocka_unit_test(test_date_format_utc_uses_z_but_london_winter_does_not),
		cmocka_unit_test(test_date_as_of_date_is_its_last_second_in_zone),
		cmocka_unit_test(test_date_as_of_timestamp_with_and_without_offset),
		cmocka_unit_test(test_date_as_of_malformed_rejected),
	};

	return cmocka_run_group_tests(tests, setup_fixtures, remove_fixtures);
}
