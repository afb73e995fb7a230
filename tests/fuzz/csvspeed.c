/*
 * csvspeed.c - throughput of the csv reader alone (not a test; `make
 * bench` runs it as build/csvspeed).
 *
 *   csvspeed FILE [COLUMN...]
 *
 * Reads every record of FILE.  With COLUMN names (header labels, compared
 * exactly; the first column of that name), reads only those, the way
 * boardpack reads an export through bp_csv_project(); without, splits
 * every field.  Prints rows, fields, bytes and MB/s by wall and by CPU
 * time (the machine is shared: CPU time is the steadier figure).
 */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int any_header(void *ctx, const bp_field *f, size_t n)
{
	(void)ctx;
	(void)f;
	return n > 1;
}

/* The index of each named column in the header, or -1 (with a message). */
static int find_columns(const bp_field *hdr, size_t n, char **names, int k,
			int *cols)
{
	int i;
	size_t j;

	for (i = 0; i < k; i++) {
		for (j = 0; j < n && strcmp(hdr[j].p, names[i]) != 0; j++)
			;
		if (j == n) {
			fprintf(stderr, "csvspeed: no column '%s' in the header\n", names[i]);
			return -1;
		}
		cols[i] = (int)j;
	}
	return 0;
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
	int rc, k = argc - 2, *cols = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: csvspeed FILE [COLUMN...]\n");
		return 64;
	}
	bp_err_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = bp_csv_open(argv[1], NULL, &err);
	if (!r || bp_csv_header(r, any_header, NULL, 20, &f, &n, &err) < 0)
		goto fail;
	if (k > 0) {
		cols = malloc((size_t)k * sizeof(*cols));
		if (!cols || find_columns(f, n, argv + 2, k, cols) < 0) {
			bp_csv_close(r);
			free(cols);
			return 65;
		}
		if (bp_csv_project(r, cols, (size_t)k, &err) < 0)
			goto fail;
	}
	while ((rc = bp_csv_next(r, &f, &n, &err)) == 1) {
		rows++;
		fields += n;
		/* Touch what a caller would read, so nothing is optimised out. */
		bytes += k > 0 && (size_t)cols[k - 1] < n ? f[cols[k - 1]].n : f[0].n;
	}
	if (rc < 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
	printf("%ld rows, %zu fields, %llu bytes%s: %.3f s wall, %.0f MB/s; "
	       "%.3f s cpu, %.0f MB/s (check %zu)\n", rows, fields,
	       bp_csv_bytes(r), k > 0 ? ", projected" : "", s,
	       (double)bp_csv_bytes(r) / s / 1e6, cpu,
	       (double)bp_csv_bytes(r) / cpu / 1e6, bytes);
	bp_csv_close(r);
	free(cols);
	return 0;
fail: {
	char msg[2048];

	bp_err_format(&err, msg, sizeof(msg));
	fprintf(stderr, "csvspeed: %s\n", msg);
	bp_csv_close(r);
	free(cols);
	return err.code;
}
}
