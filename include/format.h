/*
 * format.h - numbers, money, percentages and months for people to read.
 *
 * Words (metric names, headings, sentences) are not here: they live in the
 * templates' label tables (templates/labels/<language>.xml, read by
 * render.c), so a language is added without C.
 *
 * Pure functions, no locale, no globals.  Each writes a NUL-terminated text
 * into buf (truncated to size like snprintf) and returns the length it
 * needed, or -1 when the input cannot be formatted (NaN, a malformed
 * month); buf then holds "".  Rounding is half away from zero.
 */
#ifndef BP_FORMAT_H
#define BP_FORMAT_H

#include <stddef.h>

/* 1234567 -> "1,234,567"; -1234.5 -> "-1,235". */
int bp_format_int(double v, char *buf, size_t size);

/* Fixed decimals (0..6) with thousands separators: "1,234.50". */
int bp_format_num(double v, int decimals, char *buf, size_t size);

/* Money in `currency` (ISO code): KRW and JPY "₩12,000,000" / "¥1,200"
 * without decimals; USD "$1,234.50", EUR "€1,234.50", GBP "£1,234.50";
 * others "1,234.50 CHF".  Negative: "-$12.00". */
int bp_format_money(double v, const char *currency, char *buf, size_t size);

/* Short money for chart labels: "₩12.0M", "$1.2K", "$950", "₩1.5B". */
int bp_format_money_short(double v, const char *currency, char *buf,
			  size_t size);

/* A fraction as a percentage: 0.1234 with 1 decimal -> "12.3%". */
int bp_format_pct(double fraction, int decimals, char *buf, size_t size);

/* Relative change of a against b: (a - b) / |b| as "+5.2%", "-3.0%",
 * "0.0%".  -1 when b is 0. */
int bp_format_delta(double a, double b, char *buf, size_t size);

/* Difference of two fractions in percentage points: "+1.3 pt". */
int bp_format_delta_pt(double a, double b, char *buf, size_t size);

/* "2026-10" -> en "October 2026" (abbrev: "Oct 2026"); ko "2026년 10월",
 * zh (zh-TW, zh-CN) "2026年10月" (both forms).  abbrev 2: the month
 * alone, "Oct", "10월", "10月" (to compare the same month of two years).
 * Other languages read as en.  -1 on a malformed month. */
int bp_format_month(const char *yyyymm, const char *language, int abbrev,
		    char *buf, size_t size);

/* An ISO date or timestamp ("2026-10-31" or "2026-10-31T23:59:59+09:00"):
 * en "31 October 2026" plus " 23:59" (+ " UTC" for a Z offset, or the
 * written offset) when there is a time; ko "2026년 10월 31일 23:59",
 * zh "2026年10月31日 23:59".  -1 when malformed. */
int bp_format_date(const char *iso, const char *language, char *buf,
		   size_t size);

#endif
