/*
 * csvspeed.c - throughput check for the csv reader (not a test).
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude src/err.c src/csv.c \
 *      tests/fuzz/csvspeed.c -o /tmp/csvspeed && /tmp/csvspeed FILE
 */
#include "csv.h"

#include <stdio.h>
#include <time.h>

static int any_header(void *ctx, const bp_field *f, size_t n)
{
	(void)ctx;
	(void)f;
	return n > 1;
}

int main(int argc, char **argv)
{
	bp_err err;
	bp_csv *r;
	bp_field *f;
	size_t n, fields = 0, bytes = 0;
	long rows = 0;
	struct timespec t0, t1;
	clock_t c0 = clock();
	double s, cpu;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: csvspeed FILE\n");
		return 64;
	}
	bp_err_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = bp_csv_open(argv[1], NULL, &err);
	if (!r || bp_csv_header(r, any_header, NULL, 20, &f, &n, &err) < 0)
		goto fail;
	while ((rc = bp_csv_next(r, &f, &n, &err)) == 1) {
		rows++;
		fields += n;
		bytes += f[0].n;
	}
	if (rc < 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
	/* CPU time too: wall time is noisy on a shared machine. */
	printf("%ld rows, %zu fields, %llu bytes: %.3f s wall, %.0f MB/s; "
	       "%.3f s cpu, %.0f MB/s (check %zu)\n", rows, fields,
	       bp_csv_bytes(r), s, (double)bp_csv_bytes(r) / s / 1e6, cpu,
	       (double)bp_csv_bytes(r) / cpu / 1e6, bytes);
	bp_csv_close(r);
	return 0;
fail: {
	char msg[2048];

	bp_err_format(&err, msg, sizeof(msg));
	fprintf(stderr, "csvspeed: %s\n", msg);
	bp_csv_close(r);
	return err.code;
}
}
