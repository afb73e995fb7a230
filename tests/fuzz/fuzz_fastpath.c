/*
 * fuzz_fastpath.c - libFuzzer target holding the fast paths to their
 * general parsers.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude src/err.c src/mem.c \
 *         src/date.c src/num.c tests/fuzz/fuzz_fastpath.c -o build/fuzz/fuzz_fastpath
 *
 * The input's first byte picks the source and report zones; the rest is
 * values, one per line, read in order through one bp_date_reader, so
 * that a value meets the days of the values before it as a column of an
 * export does.  Each value is copied to a buffer of exactly its length
 * (reading past it is caught) and must give:
 *   - from bp_date_read(): the result code, instant and time flag of
 *     bp_date_parse() and bp_civil_to_time();
 *   - from bp_num_money_mark() and bp_num_count(): the result, amount and
 *     currency mark of their general readings.
 * A value shaped YYYY-MM-DD is also tried with the month and day digits
 * a careless fast path gets wrong (days 29-32, months 00 and 13), and
 * every value a second time once all of them were read.  Any difference
 * aborts, naming both answers.
 */
#include "date.h"
#include "num.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Zones with something to get wrong: none, DST, half an hour of DST,
 * a negative DST, half-hour offsets, +14, a skipped calendar day. */
static const char *const zone_names[] = {
	"UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Seoul",
	"Europe/Dublin", "America/St_Johns", "Pacific/Kiritimati", "Pacific/Apia",
	"Africa/Casablanca", "Asia/Kathmandu", "Antarctica/Troll", "Europe/London",
	"America/Sao_Paulo", "Asia/Tehran", "Australia/Adelaide", "America/Santiago",
};
#define N_ZONES (sizeof(zone_names) / sizeof(zone_names[0]))
static bp_tz *zones[N_ZONES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < N_ZONES; i++) {
		bp_err err = { 0 };

		zones[i] = bp_tz_load(zone_names[i], &err);
		if (!zones[i]) {
			fprintf(stderr, "fuzz_fastpath: %s\n", err.msg);
			abort();
		}
	}
	return 0;
}

static void check_date(bp_date_reader *dr, const char *v, size_t n)
{
	bp_civil c;
	bp_time t, want = BP_TIME_NONE;
	int has_time, rc = bp_date_read(dr, v, n, NULL, &t, &has_time);
	int want_rc = bp_date_parse(v, n, NULL, &c);

	if (want_rc > 0)
		want = bp_civil_to_time(&c, dr->src, dr->report);
	if (rc != want_rc || t != want || has_time != (want_rc > 0 && c.has_time)) {
		fprintf(stderr, "date '%.*s' in %s / %s: read %d %lld (time %d), "
			"parse %d %lld (time %d)\n", (int)n, v, bp_tz_name(dr->src),
			bp_tz_name(dr->report), rc, (long long)t, has_time, want_rc,
			(long long)want, want_rc > 0 && c.has_time);
		abort();
	}
}

static void check_numbers(const char *v, size_t n)
{
	bp_money m = 0, gm = 0;
	int64_t k = 0, gk = 0;
	char mark[8], gmark[8];
	int rc = bp_num_money_mark(v, n, &m, mark);
	int grc = bp_num_money_general(v, n, &gm, gmark);

	if (rc != grc || (rc > 0 && (m != gm || strcmp(mark, gmark) != 0))) {
		fprintf(stderr, "money '%.*s': fast %d %lld '%s', general %d %lld '%s'\n",
			(int)n, v, rc, (long long)m, rc > 0 ? mark : "", grc,
			(long long)gm, grc > 0 ? gmark : "");
		abort();
	}
	rc = bp_num_count(v, n, &k);
	grc = bp_num_count_general(v, n, &gk);
	if (rc != grc || (rc > 0 && k != gk)) {
		fprintf(stderr, "count '%.*s': fast %d %lld, general %d %lld\n",
			(int)n, v, rc, (long long)k, grc, (long long)gk);
		abort();
	}
}

/* The month and day digits a careless fast path gets wrong: the ends of
 * months, days past them, months 00 and 13. */
static const char *const edges[][2] = {
	{ NULL, "29" }, { NULL, "30" }, { NULL, "31" }, { NULL, "32" },
	{ "00", NULL }, { "13", NULL }, { "02", "29" }, { "02", "30" },
};

/* A value shaped YYYY-MM-DD... is also read with its month or day set
 * to each edge, and every value once more after all of them, when its
 * day is in the table. */
static void check_value(bp_date_reader *dr, const uint8_t *p, size_t n, int again)
{
	char *v = malloc(n ? n : 1);
	size_t k;

	if (!v)
		abort();
	memcpy(v, p, n);
	check_date(dr, v, n);
	if (!again)
		check_numbers(v, n);
	for (k = 0; !again && n >= 10 && v[4] == '-' && v[7] == '-' &&
	     k < sizeof(edges) / sizeof(edges[0]); k++) {
		if (edges[k][0])
			memcpy(v + 5, edges[k][0], 2);
		if (edges[k][1])
			memcpy(v + 8, edges[k][1], 2);
		check_date(dr, v, n);
		memcpy(v, p, n);
	}
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bp_date_reader dr;
	const uint8_t *p, *end = data + size;
	int again;

	if (size == 0)
		return 0;
	bp_date_reader_init(&dr, zones[data[0] % N_ZONES],
			    zones[(data[0] / N_ZONES) % N_ZONES]);
	for (again = 0; again < 2; again++) {
		for (p = data + 1; p <= end;) {
			const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = (size_t)((nl ? nl : end) - p);

			check_value(&dr, p, n, again);
			if (!nl)
				break;
			p = nl + 1;
		}
	}
	return 0;
}
