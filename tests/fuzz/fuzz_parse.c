/*
 * fuzz_parse.c - libFuzzer target for the date and number parsers.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude src/err.c src/date.c \
 *         src/num.c tests/fuzz/fuzz_parse.c -o build/fuzz/fuzz_parse
 *
 * The input is "FORMAT\nVALUE": the format (a strptime-like pattern from
 * a config file, or "auto") up to the first newline, the value after it;
 * without a newline the whole input is the value, parsed in auto mode.
 * The value is copied to a buffer of exactly its length, without a NUL,
 * so that reading past n bytes is caught.  Besides not crashing, checks
 * what the headers promise: return values, field ranges of a parsed
 * date, an all-zero result when none was parsed, and that a parsed money
 * amount formats.
 */
#include "date.h"
#include "num.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_civil(int rc, const bp_civil *c)
{
	static const bp_civil zero;

	if (rc < -1 || rc > 1)
		abort();
	if (rc != 1) {
		if (memcmp(c, &zero, sizeof(zero)) != 0)
			abort();
		return;
	}
	if (c->mon < 1 || c->mon > 12 || c->d < 1 || c->d > 31 ||
	    c->h < 0 || c->h > 23 || c->min < 0 || c->min > 59 ||
	    c->s < 0 || c->s > 59)
		abort();
	/* The day must exist in its month: 2026-02-30 is an error. */
	{
		int y, m, d;
		bp_civil_from_days(bp_days_from_civil(c->y, c->mon, c->d), &y, &m, &d);
		if (y != c->y || m != c->mon || d != c->d)
			abort();
	}
	(void)bp_civil_to_time(c, NULL, NULL);
}

static void check_numbers(const char *s, size_t n)
{
	bp_money m;
	int64_t count;
	double ratio;
	char buf[32];
	int rc;

	rc = bp_num_money(s, n, &m);
	if (rc < BP_NUM_RANGE || rc > 1)
		abort();
	/* An amount is within the bound, so a few of them never wrap. */
	if (rc == 1 && (m > BP_MONEY_MAX || m < -BP_MONEY_MAX ||
			bp_num_format_money(m, buf, sizeof(buf)) <= 0))
		abort();
	rc = bp_num_count(s, n, &count);
	if (rc < -1 || rc > 1)
		abort();
	rc = bp_num_ratio(s, n, &ratio);
	if (rc < -1 || rc > 1)
		abort();
	if (bp_num_missing(s, n) && bp_num_money(s, n, &m) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t flen = nl ? (size_t)(nl - data) : 0;
	size_t vlen = nl ? size - flen - 1 : size;
	char *fmt = NULL, *val;
	bp_civil c;

	val = malloc(vlen ? vlen : 1);
	if (!val)
		return 0;
	memcpy(val, nl ? nl + 1 : data, vlen);
	if (nl) {
		fmt = malloc(flen + 1);
		if (!fmt) {
			free(val);
			return 0;
		}
		memcpy(fmt, data, flen);
		fmt[flen] = '\0';
		check_civil(bp_date_parse(val, vlen, fmt, &c), &c);
	}
	check_civil(bp_date_parse(val, vlen, NULL, &c), &c);
	check_numbers(val, vlen);
	free(fmt);
	free(val);
	return 0;
}
