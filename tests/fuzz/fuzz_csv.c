/*
 * fuzz_csv.c - libFuzzer target for the csv reader and the number parsers.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude src/err.c src/csv.c \
 *         src/num.c tests/fuzz/fuzz_csv.c -o build/fuzz_csv
 *
 * Besides not crashing, checks what must always hold: every field is
 * NUL-terminated at its length, line numbers never go back, columns are
 * positive, and every error carries a code and a message.  Then reads the
 * input through a projection (columns chosen by the input's first byte)
 * beside a reader that splits every field one by one (bp_csv_set_general),
 * both from memory and both from a file (whose large buffer is where
 * fields are found 64 bytes at a time), and checks that the projection
 * gives the same records, lines, kept fields and errors; and, from the
 * file, that splitting every field 64 bytes at a time does too.
 */
#include "csv.h"
#include "num.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* Columns 1..8 kept where the bits of `pick` say, and one far column. */
static size_t projection(uint8_t pick, int *cols)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 8; i++)
		if (pick & (1u << i))
			cols[n++] = 1 + 3 * i;
	cols[n++] = pick % 5 == 0 ? -1 : 40 + pick % 7;
	return n;
}

static int is_kept(const int *cols, size_t n, size_t i)
{
	size_t k;

	if (!cols)
		return 1;

	for (k = 0; k < n; k++)
		if (cols[k] >= 0 && (size_t)cols[k] == i)
			return 1;
	return i == 0;
}

static void same_record(const bp_csv *a, const bp_field *fa, size_t na,
			const bp_csv *b, const bp_field *fb, size_t nb,
			const int *cols, size_t ncols)
{
	size_t i;

	if (na != nb || bp_csv_line(a) != bp_csv_line(b) ||
	    bp_csv_ended_line(a) != bp_csv_ended_line(b))
		abort();
	for (i = 0; i < na; i++) {
		if (!is_kept(cols, ncols, i)) {
			if (fb[i].n != 0 || fb[i].p[0] != '\0' || bp_csv_col(b, i) != 0)
				abort();
		} else if (fa[i].n != fb[i].n || memcmp(fa[i].p, fb[i].p, fa[i].n) != 0 ||
			   fb[i].p[fb[i].n] != '\0' || bp_csv_col(a, i) != bp_csv_col(b, i)) {
			abort();
		}
	}
}

static void same_error(const bp_err *a, const bp_err *b)
{
	if (a->code != b->code || a->line != b->line || a->col != b->col ||
	    strcmp(a->msg, b->msg) != 0)
		abort();
}

/* The projection (or, with `project` 0, the same reader splitting every
 * field 64 bytes at a time) against the full split field by field, the
 * general way, record by record. */
static void diff_projection(const uint8_t *data, size_t size, const char *path,
			    int project)
{
	bp_err ea, eb;
	bp_csv *a, *b;
	bp_field *fa, *fb;
	size_t na, nb, ncols;
	int cols[9], ra, rb;

	if (size == 0)
		return;
	ncols = projection(data[0], cols);
	bp_err_clear(&ea);
	bp_err_clear(&eb);
	a = path ? bp_csv_open(path, "fuzz.csv", &ea) : bp_csv_open_mem(data, size, "fuzz.csv", &ea);
	b = path ? bp_csv_open(path, "fuzz.csv", &eb) : bp_csv_open_mem(data, size, "fuzz.csv", &eb);
	/* A file that is no text export (a ZIP's or gzip's first bytes, a
	 * NUL at the start) is refused at open, by both alike. */
	if (!a || !b) {
		if (a || b || strcmp(ea.msg, eb.msg) != 0)
			abort();
		check_error(&ea);
		return;
	}
	bp_csv_set_general(a);
	ra = bp_csv_header(a, accept_first, NULL, 50, &fa, &na, &ea);
	rb = bp_csv_header(b, accept_first, NULL, 50, &fb, &nb, &eb);
	if (ra != rb)
		abort();
	if (ra < 0) {
		same_error(&ea, &eb);
		goto done;
	}
	if (project && bp_csv_project(b, cols, ncols, &eb) < 0)
		abort();
	for (;;) {
		ra = bp_csv_next(a, &fa, &na, &ea);
		rb = bp_csv_next(b, &fb, &nb, &eb);
		if (ra != rb)
			abort();
		if (ra < 0)
			same_error(&ea, &eb);
		if (ra != 1)
			break;
		same_record(a, fa, na, b, fb, nb, project ? cols : NULL, ncols);
	}
done:
	bp_csv_close(a);
	bp_csv_close(b);
}

/* The input as a file, for the reader's own (large) buffer. */
static int as_file(const uint8_t *data, size_t size, char *path, size_t n)
{
	int fd = memfd_create("fuzz_csv", 0);

	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, n, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bp_err err;
	bp_csv *r;
	bp_field *f;
	size_t n;
	long last = 0;
	int rc, unended = 0;

	bp_err_clear(&err);
	r = bp_csv_open_mem(data, size, "fuzz.csv", &err);
	if (!r) {
		check_error(&err);
		return 0;
	}
	if (bp_csv_header(r, accept_first, NULL, 50, &f, &n, &err) < 0) {
		check_error(&err);
		goto done;
	}
	check_fields(r, f, n);
	while ((rc = bp_csv_next(r, &f, &n, &err)) == 1) {
		if (bp_csv_line(r) <= last || unended)
			abort();
		last = bp_csv_line(r);
		/* Only the input's last record can end without a line end. */
		unended = !bp_csv_ended_line(r);
		check_fields(r, f, n);
	}
	if (rc < 0)
		check_error(&err);
done:
	bp_csv_close(r);
	diff_projection(data, size, NULL, 1);
	{
		char path[64];
		int fd = as_file(data, size, path, sizeof(path));

		if (fd >= 0) {
			diff_projection(data, size, path, 1);
			diff_projection(data, size, path, 0);
			close(fd);
		}
	}
	return 0;
}
