/*
 * num.h - numbers as exports write them.
 *
 * Pure functions, no locale: "1,234", "\"4,838.80\"" (the reader already
 * removed the quotes), " --", "4.37%", "₩12,000", "$1,234.50", "KRW 1000",
 * "1.234,56" (decimal comma when both separators appear and the comma
 * comes last), "(12.50)" as negative, leading and trailing spaces.
 *
 * A comma followed by exactly three digits (and then a separator, '.' or
 * the end) is a thousands separator; any other lone comma is a decimal
 * comma.
 *
 * Every function returns 1 when a value was parsed, 0 when the field is
 * missing (empty, blanks, "--", "-", "n/a", "(not set)"), and -1 when the
 * text is not a number; the money parsers also BP_NUM_RANGE (-2) for a
 * number beyond +-BP_MONEY_MAX.
 *
 * Sums of these values go through bp_add(), which refuses to wrap: a sum
 * that would pass 64 bits is an error its caller reports, never a
 * negative spend.
 */
#ifndef BP_NUM_H
#define BP_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Money is held in 1/10000 of the currency unit, so sums are exact. */
typedef int64_t bp_money;
#define BP_MONEY_SCALE 10000

/* The largest amount one value may hold: a hundred trillion currency
 * units (10^14; about USD 4 billion even in dong or rupiah), so a single
 * row is never near the 64-bit limit of 922 trillion (9.2 * 10^14 units)
 * that sums must stay under. */
#define BP_MONEY_MAX ((bp_money)100000000000000 * BP_MONEY_SCALE)

/* What the money parsers return for an amount beyond BP_MONEY_MAX. */
#define BP_NUM_RANGE (-2)

/* Adds v to *acc.  Returns 0, or -1 when the sum would not fit in 64
 * bits; *acc is then left as it was. */
static inline int bp_add(int64_t *acc, int64_t v)
{
	int64_t sum;

	if (__builtin_add_overflow(*acc, v, &sum))
		return -1;
	*acc = sum;
	return 0;
}

/* True when the field counts as missing. */
int bp_num_missing(const char *s, size_t n);

/* Money: digits with separators, an optional currency symbol or a three-
 * letter code before or after, an optional sign or parentheses.  More than
 * four decimals are rounded half away from zero.  An amount beyond
 * +-BP_MONEY_MAX gives BP_NUM_RANGE. */
int bp_num_money(const char *s, size_t n, bp_money *out);

/* bp_num_money, also giving the currency mark the text carried, as
 * written ("USD", "$", "US$", "\xE2\x82\xA9"), or "" when it had none. */
int bp_num_money_mark(const char *s, size_t n, bp_money *out, char mark[8]);

/* 1 when a currency mark from bp_num_money_mark can stand for the ISO
 * 4217 `code`: no mark, the code itself, or a symbol used for it ("$" for
 * USD, CAD, AUD...; "\xE2\x82\xA9" for KRW); 0 otherwise. */
int bp_num_currency_ok(const char *mark, const char *code);

/* A count: an integer with optional thousands separators ("8,833").  A
 * fractional part is an error. */
int bp_num_count(const char *s, size_t n, int64_t *out);

/* bp_num_money_mark() and bp_num_count() without their shortcut for
 * plain digits, which must give the same answers
 * (tests/fuzz/fuzz_fastpath.c compares them). */
int bp_num_money_general(const char *s, size_t n, bp_money *out, char mark[8]);
int bp_num_count_general(const char *s, size_t n, int64_t *out);

/* A ratio: "0.3998" as it is, "4.37%" as 0.0437; "< 10%" and "> 90%" give
 * the bound (0.10, 0.90). */
int bp_num_ratio(const char *s, size_t n, double *out);

/* Writes a money amount with exactly two decimals ("1234.50", "-0.25")
 * into buf; returns the length.  Rounds half away from zero. */
int bp_num_format_money(bp_money m, char *buf, size_t size);

#endif
