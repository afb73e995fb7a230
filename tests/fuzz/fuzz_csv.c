/*
 * fuzz_csv.c - libFuzzer target for the csv reader and the number parsers.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude src/err.c src/csv.c \
 *         src/num.c tests/fuzz/fuzz_csv.c -o build/fuzz_csv
 *
 * Besides not crashing, checks what must always hold: every field is
 * NUL-terminated at its length, line numbers never go back, columns are
 * positive, and every error carries a code and a message.
 */
#include "csv.h"
#include "num.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int accept_first(void *ctx, const bp_field *f, size_t n)
{
	(void)ctx;
	(void)f;
	(void)n;
	return 1;
}

static void check_fields(const bp_csv *r, const bp_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bp_money m;
		double d;
		int64_t c;
		char buf[32];

		if (f[i].p[f[i].n] != '\0' || bp_csv_col(r, i) < 1)
			abort();
		if (bp_num_money(f[i].p, f[i].n, &m) == 1 &&
		    bp_num_format_money(m, buf, sizeof(buf)) <= 0)
			abort();
		bp_num_ratio(f[i].p, f[i].n, &d);
		bp_num_count(f[i].p, f[i].n, &c);
	}
}

static void check_error(const bp_err *err)
{
	if (err->code == 0 || err->msg[0] == '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bp_err err;
	bp_csv *r;
	bp_field *f;
	size_t n;
	long last = 0;
	int rc;

	bp_err_clear(&err);
	r = bp_csv_open_mem(data, size, "fuzz.csv", &err);
	if (!r)
		abort();
	if (bp_csv_header(r, accept_first, NULL, 50, &f, &n, &err) < 0) {
		check_error(&err);
		goto done;
	}
	check_fields(r, f, n);
	while ((rc = bp_csv_next(r, &f, &n, &err)) == 1) {
		if (bp_csv_line(r) <= last)
			abort();
		last = bp_csv_line(r);
		check_fields(r, f, n);
	}
	if (rc < 0)
		check_error(&err);
done:
	bp_csv_close(r);
	return 0;
}
