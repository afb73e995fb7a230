/*
 * test_csv.c - the streaming reader, one quirk per test.
 *
 * UTF-16 inputs are written out byte by byte; their expected UTF-8 is the
 * compiler's own encoding of the literal, an independent source.
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

#include "csv.h"
#include "testlib.h"

static bp_err err;

static bp_csv *open_bytes(const void *s, size_t n)
{
	bp_csv *r;

	bp_err_clear(&err);
	r = bp_csv_open_mem(s, n, "t.csv", &err);
	assert_non_null(r);
	return r;
}

#define OPEN(lit) open_bytes(lit, sizeof(lit) - 1)

static int accept_first(void *ctx, const bp_field *f, size_t n)
{
	(void)ctx;
	(void)f;
	(void)n;
	return 1;
}

/* Accepts the line whose first field is the string ctx. */
static int first_is(void *ctx, const bp_field *f, size_t n)
{
	return n > 0 && strcmp(f[0].p, (const char *)ctx) == 0;
}

static void expect_fields(const bp_field *f, size_t n, const char *const *want,
			  size_t nwant)
{
	size_t i;

	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++) {
		assert_int_equal(f[i].n, strlen(want[i]));
		assert_memory_equal(f[i].p, want[i], f[i].n);
		assert_int_equal(f[i].p[f[i].n], '\0');
	}
}

static void expect_next(bp_csv *r, long line, const char *const *want,
			size_t nwant)
{
	bp_field *f;
	size_t n;

	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_int_equal(bp_csv_line(r), line);
	expect_fields(f, n, want, nwant);
}

static void expect_header(bp_csv *r, long line, const char *const *want,
			  size_t nwant)
{
	bp_field *f;
	size_t n;

	assert_int_equal(bp_csv_header(r, accept_first, NULL, 10, &f, &n, &err), 0);
	assert_int_equal(bp_csv_line(r), line);
	expect_fields(f, n, want, nwant);
}

#define LIST(...) (const char *const[]){__VA_ARGS__}, \
	sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)
#define NEXT(r, line, ...) expect_next(r, line, LIST(__VA_ARGS__))
#define HEADER(r, line, ...) expect_header(r, line, LIST(__VA_ARGS__))

static void expect_end(bp_csv *r)
{
	bp_field *f;
	size_t n;

	assert_int_equal(bp_csv_next(r, &f, &n, &err), 0);
}

static void expect_next_error(bp_csv *r, long line, long col, const char *msg)
{
	bp_field *f;
	size_t n;

	assert_int_equal(bp_csv_next(r, &f, &n, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_string_equal(err.file, "t.csv");
	assert_int_equal(err.line, line);
	assert_int_equal(err.col, col);
	assert_string_equal(err.msg, msg);
}

static void test_csv_plain_comma_records(void **state)
{
	bp_csv *r = OPEN("a,b,c\n1,2,3\n");

	(void)state;
	HEADER(r, 1, "a", "b", "c");
	assert_int_equal(bp_csv_delimiter(r), ',');
	NEXT(r, 2, "1", "2", "3");
	expect_end(r);
	bp_csv_close(r);
}

static void test_csv_utf8_bom_skipped(void **state)
{
	bp_csv *r = OPEN("\xEF\xBB\xBFRecord ID,Email\n7,a@b.c\n");

	(void)state;
	HEADER(r, 1, "Record ID", "Email");
	NEXT(r, 2, "7", "a@b.c");
	bp_csv_close(r);
}

static void test_csv_no_bom_first_bytes_kept(void **state)
{
	bp_csv *r = OPEN("Re,x\n");

	(void)state;
	HEADER(r, 1, "Re", "x");
	bp_csv_close(r);
}

/* Files that are no text export say what they are, at once: not an
 * "unexpected character" somewhere inside them. */
static void test_csv_archives_and_utf16_without_bom_named(void **state)
{
	static const struct { const char *bytes; size_t n; const char *says; } cases[] = {
		{ "PK\003\004\024\0\0\0", 8, "the file is a ZIP archive (an .xlsx workbook" },
		{ "\037\213\010\0\0\0", 6, "the file is compressed with gzip" },
		{ "%PDF-1.7\n", 9, "the file is a PDF" },
		{ "R\0e\0c\0,\0", 8, "as UTF-16 without its byte-order mark has" },
		{ "\0R\0e\0c\0,", 8, "as UTF-16 without its byte-order mark has" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bp_err_clear(&err);
		assert_null(bp_csv_open_mem(cases[i].bytes, cases[i].n, "t.csv", &err));
		assert_int_equal(err.code, BP_EDATA);
		assert_int_equal(err.line, 1);
		if (!strstr(err.msg, cases[i].says))
			fail_msg("case %zu: %s", i, err.msg);
	}
	/* A UTF-8 file whose first bytes are text reads as before. */
	{
		bp_csv *r = OPEN("PKey,x\n1,2\n");

		HEADER(r, 1, "PKey", "x");
		bp_csv_close(r);
	}
}

static void test_csv_utf16le_decoded(void **state)
{
	static const unsigned char in[] = {
		0xFF, 0xFE, 'a', 0, '\t', 0, 'b', 0, '\n', 0,
		'1', 0, '\t', 0, '2', 0, '\n', 0,
	};
	bp_csv *r = open_bytes(in, sizeof(in));

	(void)state;
	HEADER(r, 1, "a", "b");
	assert_int_equal(bp_csv_delimiter(r), '\t');
	NEXT(r, 2, "1", "2");
	expect_end(r);
	bp_csv_close(r);
}

static void test_csv_utf16be_decoded(void **state)
{
	static const unsigned char in[] = {
		0xFE, 0xFF, 0, 'a', 0, ';', 0, 'b', 0, '\r', 0, '\n',
		0, 'x', 0, ';', 0, 'y',
	};
	bp_csv *r = open_bytes(in, sizeof(in));

	(void)state;
	HEADER(r, 1, "a", "b");
	assert_int_equal(bp_csv_delimiter(r), ';');
	NEXT(r, 2, "x", "y");
	expect_end(r);
	bp_csv_close(r);
}

static void test_csv_utf16le_korean_header(void **state)
{
	/* 일 U+C77C, 캠 U+CEA0, 페 U+D398, 인 U+C778, 비 U+BE44, 용 U+C6A9 */
	static const unsigned char in[] = {
		0xFF, 0xFE, 0x7C, 0xC7, '\t', 0, 0xA0, 0xCE, 0x98, 0xD3,
		0x78, 0xC7, '\t', 0, 0x44, 0xBE, 0xA9, 0xC6, '\n', 0,
	};
	bp_csv *r = open_bytes(in, sizeof(in));

	(void)state;
	HEADER(r, 1, "일", "캠페인", "비용");
	bp_csv_close(r);
}

static void test_csv_utf16le_surrogate_pair(void **state)
{
	/* U+1D11E is D834 DD1E in UTF-16 */
	static const unsigned char in[] = {
		0xFF, 0xFE, 'h', 0, '\n', 0, 0x34, 0xD8, 0x1E, 0xDD, '!', 0,
	};
	bp_csv *r = open_bytes(in, sizeof(in));

	(void)state;
	HEADER(r, 1, "h");
	NEXT(r, 2, "\xF0\x9D\x84\x9E!");
	expect_end(r);
	bp_csv_close(r);
}

static void test_csv_utf16_truncated_odd_byte(void **state)
{
	static const unsigned char in[] = {
		0xFF, 0xFE, 'a', 0, '\n', 0, 'b', 0, '\n', 0, 'c', 0, 'd',
	};
	bp_csv *r = open_bytes(in, sizeof(in));

	(void)state;
	HEADER(r, 1, "a");
	NEXT(r, 2, "b");
	expect_next_error(r, 3, 2, "truncated UTF-16: the file ends in the "
			  "middle of a character (odd number of bytes)");
	bp_csv_close(r);
}

static void test_csv_utf16_unpaired_high_surrogate(void **state)
{
	static const unsigned char in[] = {
		0xFF, 0xFE, 'a', 0, '\n', 0, 'x', 0, 0x3D, 0xD8, 'y', 0, '\n', 0,
	};
	bp_csv *r = open_bytes(in, sizeof(in));

	(void)state;
	HEADER(r, 1, "a");
	expect_next_error(r, 2, 2, "unpaired UTF-16 surrogate 0xD83D");
	bp_csv_close(r);
}

static void test_csv_utf16_lone_low_surrogate(void **state)
{
	static const unsigned char in[] = {
		0xFE, 0xFF, 0, 'a', 0, '\n', 0xDC, 0x00,
	};
	bp_csv *r = open_bytes(in, sizeof(in));

	(void)state;
	HEADER(r, 1, "a");
	expect_next_error(r, 2, 1, "unpaired UTF-16 surrogate 0xDC00");
	bp_csv_close(r);
}

static char *temp_file(FILE **fp)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/test_csv_XXXXXX");
	*fp = tl_tmpfile(path);
	return path;
}

/* 200,000 rows of "<n>,𝄞한\n" in UTF-16LE (about 3.4 MB): the BOM and the
 * reads leave code units and surrogate pairs split across every kind of
 * boundary. */
static void test_csv_utf16_large_file_split_units(void **state)
{
	static const unsigned char pair[] = {0x34, 0xD8, 0x1E, 0xDD, 0x5C, 0xD5};
	FILE *fp;
	char *path = temp_file(&fp), num[24];
	bp_csv *r;
	bp_field *f;
	size_t n, i;
	long row;

	(void)state;
	fwrite("\xFF\xFEh\0\n\0", 1, 6, fp);
	for (row = 0; row < 200000; row++) {
		snprintf(num, sizeof(num), "%ld", row);
		for (i = 0; num[i]; i++)
			fwrite((char[]){num[i], 0}, 1, 2, fp);
		fwrite(",\0", 1, 2, fp);
		fwrite(pair, 1, sizeof(pair), fp);
		fwrite("\n\0", 1, 2, fp);
	}
	assert_int_equal(fclose(fp), 0);
	bp_err_clear(&err);
	r = bp_csv_open(path, NULL, &err);
	assert_non_null(r);
	assert_int_equal(bp_csv_header(r, accept_first, NULL, 1, &f, &n, &err), 0);
	for (row = 0; row < 200000; row++) {
		snprintf(num, sizeof(num), "%ld", row);
		assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
		assert_int_equal(bp_csv_line(r), row + 2);
		assert_int_equal(n, 2);
		assert_string_equal(f[0].p, num);
		/* U+D55C 한 is ED 95 9C */
		assert_string_equal(f[1].p, "\xF0\x9D\x84\x9E\xED\x95\x9C");
	}
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 0);
	bp_csv_close(r);
	unlink(path);
}

static void test_csv_tab_delimiter_detected(void **state)
{
	bp_csv *r = OPEN("Day\tCampaign\tCost\n2026-01-01\tBrand, KR\t1,000\n");

	(void)state;
	HEADER(r, 1, "Day", "Campaign", "Cost");
	assert_int_equal(bp_csv_delimiter(r), '\t');
	NEXT(r, 2, "2026-01-01", "Brand, KR", "1,000");
	bp_csv_close(r);
}

static void test_csv_semicolon_delimiter_detected(void **state)
{
	bp_csv *r = OPEN("\"x,y,z\";b;c\n1,5;2;3\n");

	(void)state;
	HEADER(r, 1, "x,y,z", "b", "c");
	assert_int_equal(bp_csv_delimiter(r), ';');
	NEXT(r, 2, "1,5", "2", "3");
	bp_csv_close(r);
}

static void test_csv_comma_when_no_delimiter(void **state)
{
	bp_csv *r = OPEN("Email\na@b.c\n");

	(void)state;
	HEADER(r, 1, "Email");
	assert_int_equal(bp_csv_delimiter(r), ',');
	bp_csv_close(r);
}

static void test_csv_quoted_delimiter_in_field(void **state)
{
	bp_csv *r = OPEN("a,b\n\"x,y\",z\n");

	(void)state;
	HEADER(r, 1, "a", "b");
	NEXT(r, 2, "x,y", "z");
	bp_csv_close(r);
}

static void test_csv_doubled_quote(void **state)
{
	bp_csv *r = OPEN("a,b\n\"say \"\"hi\"\"\",2\n\"\"\"\",\"\"\n");

	(void)state;
	HEADER(r, 1, "a", "b");
	NEXT(r, 2, "say \"hi\"", "2");
	NEXT(r, 3, "\"", "");
	bp_csv_close(r);
}

static void test_csv_quoted_newline_in_field(void **state)
{
	bp_csv *r = OPEN("h1,h2\n\"line1\nline2\",x\nnext,y\n");

	(void)state;
	HEADER(r, 1, "h1", "h2");
	NEXT(r, 2, "line1\nline2", "x");
	NEXT(r, 4, "next", "y");
	bp_csv_close(r);
}

static void test_csv_quoted_crlf_counts_one_line(void **state)
{
	bp_csv *r = OPEN("h\r\n\"a\r\nb\rc\"\r\nz\r\n");

	(void)state;
	HEADER(r, 1, "h");
	NEXT(r, 2, "a\r\nb\rc");
	NEXT(r, 5, "z");
	bp_csv_close(r);
}

static void test_csv_crlf_line_ends(void **state)
{
	bp_csv *r = OPEN("a,b\r\n1,2\r\n3,4\r\n");

	(void)state;
	HEADER(r, 1, "a", "b");
	NEXT(r, 2, "1", "2");
	NEXT(r, 3, "3", "4");
	expect_end(r);
	bp_csv_close(r);
}

static void test_csv_lone_cr_line_ends(void **state)
{
	bp_csv *r = OPEN("a,b\r1,2\r3,4");

	(void)state;
	HEADER(r, 1, "a", "b");
	NEXT(r, 2, "1", "2");
	NEXT(r, 3, "3", "4");
	expect_end(r);
	bp_csv_close(r);
}

/* Whether each record ended with a line end, and after the end, whether
 * the file's last one did: only a record the input ends inside has none. */
static void expect_last_line_end(const char *text, int ended)
{
	bp_csv *r = open_bytes(text, strlen(text));
	bp_field *f;
	size_t n;
	int rc;

	assert_int_equal(bp_csv_header(r, accept_first, NULL, 10, &f, &n, &err), 0);
	while ((rc = bp_csv_next(r, &f, &n, &err)) == 1)
		if (bp_csv_ended_line(r) != 1)
			break;
	if (rc == 1) {
		/* A record without a line end is the last. */
		assert_int_equal(ended, 0);
		assert_int_equal(bp_csv_next(r, &f, &n, &err), 0);
	}
	assert_int_equal(rc == 1 ? 0 : 1, ended);
	assert_int_equal(bp_csv_ended_line(r), ended);
	bp_csv_close(r);
}

static void test_csv_line_end_of_the_last_record(void **state)
{
	(void)state;
	expect_last_line_end("a,b\n1,2\n3,4\n", 1);
	expect_last_line_end("a,b\n1,2\n3,4", 0);
	expect_last_line_end("a,b\n1,2\n3,", 0);
	expect_last_line_end("a,b\r\n1,2\r\n3,4\r\n", 1);
	expect_last_line_end("a,b\r1,2\r3,4\r", 1);
	expect_last_line_end("a,b\n1,2\n3,4\n\n\n", 1);
	expect_last_line_end("a,b\n1,\"x\ny\"\n", 1);
	expect_last_line_end("a,b\n1,\"x\ny\"", 0);
	expect_last_line_end("a,b\n1,\"x\n\"", 0);
}

/* The same through the file reader with a projection, where the skipped
 * fields are passed 64 bytes at a time up to the end of the file. */
static void test_csv_line_end_of_the_last_record_projected(void **state)
{
	static const int keep[] = { 0, 3 };
	int ended;

	(void)state;
	for (ended = 0; ended <= 1; ended++) {
		int row, col;
		FILE *fp;
		char *path = temp_file(&fp);
		bp_csv *r;
		bp_field *f;
		size_t n;

		/* 20 lines of 100 fields, the last one ended when `ended`. */
		for (row = 0; row < 20; row++) {
			for (col = 0; col < 100; col++)
				fprintf(fp, "%s%d", col ? "," : "", row * col % 7);
			if (row < 19 || ended)
				fputc('\n', fp);
		}
		fclose(fp);
		r = bp_csv_open(path, "t.csv", &err);
		assert_non_null(r);
		assert_int_equal(bp_csv_header(r, accept_first, NULL, 10, &f, &n, &err), 0);
		bp_csv_project(r, keep, 2, &err);
		for (row = 1; row < 20; row++) {
			assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
			assert_int_equal(n, 100);
			assert_int_equal(bp_csv_ended_line(r), row < 19 || ended);
		}
		assert_int_equal(bp_csv_next(r, &f, &n, &err), 0);
		assert_int_equal(bp_csv_ended_line(r), ended);
		bp_csv_close(r);
		unlink(path);
	}
}

static void test_csv_hash_preamble_skipped(void **state)
{
	bp_csv *r = OPEN("# Traffic acquisition\n# Start date: 20251101\n"
			 "#\n\nSession default channel group,Sessions\n"
			 "Direct,5\n");

	(void)state;
	HEADER(r, 5, "Session default channel group", "Sessions");
	NEXT(r, 6, "Direct", "5");
	bp_csv_close(r);
}

struct seen {
	int calls;
	size_t n[4];
	char first[4][64];
};

static int campaign_header(void *ctx, const bp_field *f, size_t n)
{
	struct seen *s = ctx;

	if (s->calls < 4) {
		s->n[s->calls] = n;
		snprintf(s->first[s->calls], sizeof(s->first[0]), "%s", f[0].p);
	}
	s->calls++;
	return strcmp(f[0].p, "Campaign") == 0;
}

static void test_csv_google_ads_two_line_preamble(void **state)
{
	bp_csv *r = OPEN("Campaign performance\n"
			 "\"July 8, 2025 - July 31, 2025\"\n"
			 "Campaign,Clicks,Cost\n"
			 "Brand,\"8,833\",\"4,838.80\"\n");
	struct seen s = {0};
	bp_field *f;
	size_t n;

	(void)state;
	assert_int_equal(bp_csv_header(r, campaign_header, &s, 10, &f, &n, &err), 0);
	assert_int_equal(s.calls, 3);
	assert_int_equal(s.n[0], 1);
	assert_string_equal(s.first[0], "Campaign performance");
	assert_int_equal(s.n[1], 1);
	assert_string_equal(s.first[1], "July 8, 2025 - July 31, 2025");
	assert_int_equal(bp_csv_line(r), 3);
	expect_fields(f, n, LIST("Campaign", "Clicks", "Cost"));
	NEXT(r, 4, "Brand", "8,833", "4,838.80");
	bp_csv_close(r);
}

static void test_csv_header_delimiter_fixed_after_header(void **state)
{
	bp_csv *r = OPEN("a\tb\nx,y\tz\n");

	(void)state;
	HEADER(r, 1, "a", "b");
	NEXT(r, 2, "x,y", "z");
	bp_csv_close(r);
}

static void expect_header_error(bp_csv *r, const char *msg)
{
	bp_field *f;
	size_t n;

	assert_int_equal(bp_csv_header(r, accept_first, NULL, 10, &f, &n, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_string_equal(err.file, "t.csv");
	assert_string_equal(err.msg, msg);
}

static void test_csv_empty_file(void **state)
{
	bp_csv *r = open_bytes("", 0);

	(void)state;
	expect_header_error(r, "file is empty");
	bp_csv_close(r);
}

static void test_csv_bom_only_is_empty(void **state)
{
	bp_csv *r = OPEN("\xEF\xBB\xBF");

	(void)state;
	expect_header_error(r, "file is empty");
	bp_csv_close(r);
}

static void test_csv_utf16_bom_only_is_empty(void **state)
{
	bp_csv *r = OPEN("\xFF\xFE");

	(void)state;
	expect_header_error(r, "file is empty");
	bp_csv_close(r);
}

static void test_csv_blank_lines_only_is_empty(void **state)
{
	bp_csv *r = OPEN("\n\r\n\r\n\n");

	(void)state;
	expect_header_error(r, "file is empty");
	bp_csv_close(r);
}

static int never(void *ctx, const bp_field *f, size_t n)
{
	(void)ctx;
	(void)f;
	(void)n;
	return 0;
}

static void test_csv_no_header_found(void **state)
{
	bp_csv *r = OPEN("x\ny\nz\nw\n");
	bp_field *f;
	size_t n;

	(void)state;
	assert_int_equal(bp_csv_header(r, never, NULL, 3, &f, &n, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_string_equal(err.msg, "no header row found in the first 3 lines");
	bp_csv_close(r);
}

static void test_csv_header_by_name_after_preamble(void **state)
{
	bp_csv *r = OPEN("Report\nAccount: Acme\nStart Date (in UTC)\tClicks\n");
	bp_field *f;
	size_t n;

	(void)state;
	assert_int_equal(bp_csv_header(r, first_is, "Start Date (in UTC)", 10,
				       &f, &n, &err), 0);
	assert_int_equal(bp_csv_line(r), 3);
	expect_fields(f, n, LIST("Start Date (in UTC)", "Clicks"));
	bp_csv_close(r);
}

static void test_csv_char_after_closing_quote_error(void **state)
{
	bp_csv *r = OPEN("a,b,c\n1,\"x\"y,3\n");

	(void)state;
	HEADER(r, 1, "a", "b", "c");
	expect_next_error(r, 2, 6, "unexpected character 'y' after closing quote");
	bp_csv_close(r);
}

static void test_csv_error_column_counts_characters(void **state)
{
	bp_csv *r = OPEN("a,b\n한,\"x\"동\n");

	(void)state;
	HEADER(r, 1, "a", "b");
	expect_next_error(r, 2, 6, "unexpected character '동' after closing quote");
	bp_csv_close(r);
}

/* However the buffer's edge cuts the character after a closing quote, the
 * message shows all of it. */
static void test_csv_error_character_across_buffer_edge(void **state)
{
	char in[160];
	int k;

	(void)state;
	for (k = 40; k < 130; k++) {
		bp_csv *r;

		snprintf(in, sizeof(in), "a\n\"%.*s\"데\n", k,
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		r = open_bytes(in, strlen(in));
		HEADER(r, 1, "a");
		expect_next_error(r, 2, k + 3, "unexpected character '데' after closing quote");
		bp_csv_close(r);
	}
}

static void test_csv_unterminated_quote(void **state)
{
	bp_csv *r = OPEN("a,b\nx,\"open\nmore\n");

	(void)state;
	HEADER(r, 1, "a", "b");
	expect_next_error(r, 2, 3, "unterminated quote: the quoted field "
			  "starting here never ends");
	bp_csv_close(r);
}

static void test_csv_unterminated_quote_after_multiline_field(void **state)
{
	bp_csv *r = OPEN("a,b,c\n\"1\n2\",x,\"oops\n");

	(void)state;
	HEADER(r, 1, "a", "b", "c");
	expect_next_error(r, 3, 6, "unterminated quote: the quoted field "
			  "starting here never ends");
	bp_csv_close(r);
}

static void test_csv_quote_inside_unquoted_field_kept(void **state)
{
	bp_csv *r = OPEN("a,b\nab\"c,5\" screen\n");

	(void)state;
	HEADER(r, 1, "a", "b");
	NEXT(r, 2, "ab\"c", "5\" screen");
	bp_csv_close(r);
}

static void test_csv_field_counts_vary(void **state)
{
	bp_csv *r = OPEN("a,b,c\n1\n1,2,3,4\n,\n");

	(void)state;
	HEADER(r, 1, "a", "b", "c");
	NEXT(r, 2, "1");
	NEXT(r, 3, "1", "2", "3", "4");
	NEXT(r, 4, "", "");
	expect_end(r);
	bp_csv_close(r);
}

static void test_csv_blank_lines_skipped(void **state)
{
	bp_csv *r = OPEN("\n\na\n\n1\r\n\r\n\r2\n\n");

	(void)state;
	HEADER(r, 3, "a");
	NEXT(r, 5, "1");
	NEXT(r, 8, "2");
	expect_end(r);
	bp_csv_close(r);
}

static void test_csv_column_of_fields(void **state)
{
	bp_csv *r = OPEN("a,b,c\n한국,\"x\"\"y\",z\n");

	(void)state;
	HEADER(r, 1, "a", "b", "c");
	NEXT(r, 2, "한국", "x\"y", "z");
	assert_int_equal(bp_csv_col(r, 0), 1);
	assert_int_equal(bp_csv_col(r, 1), 4);
	assert_int_equal(bp_csv_col(r, 2), 11);
	assert_int_equal(bp_csv_col(r, 3), 0);
	bp_csv_close(r);
}

/* Two doubled quotes removed before a multibyte character: the column of
 * the next field still counts the characters of the file. */
static void test_csv_column_after_doubled_quotes(void **state)
{
	bp_csv *r = OPEN("a,b\n\"\"\"\"\"한\",z\n");

	(void)state;
	HEADER(r, 1, "a", "b");
	NEXT(r, 2, "\"\"한", "z");
	assert_int_equal(bp_csv_col(r, 1), 9);
	bp_csv_close(r);
}

/* Rows of 1 to 300 characters: some CR LF pair falls across every buffer
 * edge, and each must still count as one line end. */
static void test_csv_crlf_split_across_buffer_edge(void **state)
{
	size_t len = 3 + 300 * 303, at = 3, k;
	char *in = malloc(len);
	bp_csv *r;
	bp_field *f;
	size_t n;

	(void)state;
	assert_non_null(in);
	memcpy(in, "h\r\n", 3);
	for (k = 1; k <= 300; k++) {
		memset(in + at, 'x', k);
		memcpy(in + at + k, "\r\n", 2);
		at += k + 2;
	}
	r = open_bytes(in, at);
	HEADER(r, 1, "h");
	for (k = 1; k <= 300; k++) {
		assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
		assert_int_equal(bp_csv_line(r), (long)k + 1);
		assert_int_equal(f[0].n, k);
	}
	expect_end(r);
	bp_csv_close(r);
	free(in);
}

/* '#' lines of 1 to 200 characters with CR LF ends: the header after
 * them is on line 201 wherever the buffer edges fall. */
static void test_csv_hash_lines_crlf_across_buffer_edge(void **state)
{
	char *in = malloc(200 * 203 + 8);
	size_t at = 0, k;
	bp_csv *r;

	(void)state;
	assert_non_null(in);
	for (k = 1; k <= 200; k++) {
		in[at] = '#';
		memset(in + at + 1, 'x', k - 1);
		memcpy(in + at + k, "\r\n", 2);
		at += k + 2;
	}
	memcpy(in + at, "a,b\r\n", 5);
	r = open_bytes(in, at + 5);
	HEADER(r, 201, "a", "b");
	expect_end(r);
	bp_csv_close(r);
	free(in);
}

/* A 3 MiB quoted field read from a file: more than the 1 MiB a file
 * reader starts with. */
static void test_csv_record_larger_than_initial_buffer(void **state)
{
	size_t big = 3u << 20, n, i;
	char *in = malloc(big);
	FILE *fp;
	char *path = temp_file(&fp);
	bp_csv *r;
	bp_field *f;

	(void)state;
	assert_non_null(in);
	memset(in, 'a', big);
	fputs("h\n\"", fp);
	assert_int_equal(fwrite(in, 1, big, fp), big);
	fputs("\"\nend\n", fp);
	assert_int_equal(fclose(fp), 0);
	bp_err_clear(&err);
	r = bp_csv_open(path, "t.csv", &err);
	assert_non_null(r);
	HEADER(r, 1, "h");
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].n, big);
	for (i = 0; i < big && f[0].p[i] == 'a'; i++)
		;
	assert_int_equal(i, big);
	NEXT(r, 3, "end");
	expect_end(r);
	bp_csv_close(r);
	unlink(path);
	free(in);
}

static void test_csv_record_over_limit_error(void **state)
{
	bp_csv *r = OPEN("h\nshort\n0123456789abcdef\n");
	bp_field *f;
	size_t n;

	(void)state;
	bp_csv_set_max_record(r, 10);
	HEADER(r, 1, "h");
	NEXT(r, 2, "short");
	assert_int_equal(bp_csv_next(r, &f, &n, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.msg, "record is larger than 10 bytes");
	bp_csv_close(r);
}

/* About 3 MB in rows of 35 bytes, so records straddle every 1 MiB read. */
static void test_csv_record_spans_read_boundary(void **state)
{
	FILE *fp;
	char *path = temp_file(&fp), want[48];
	bp_csv *r;
	bp_field *f;
	size_t n;
	long row, rows = 85000;

	(void)state;
	fputs("id,name,amount\n", fp);
	for (row = 0; row < rows; row++)
		fprintf(fp, "%07ld,\"Kim, Lee %07ld\",%06ld\r\n", row, row, row);
	assert_int_equal(fclose(fp), 0);
	bp_err_clear(&err);
	r = bp_csv_open(path, "big.csv", &err);
	assert_non_null(r);
	HEADER(r, 1, "id", "name", "amount");
	for (row = 0; row < rows; row++) {
		assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
		assert_int_equal(bp_csv_line(r), row + 2);
		assert_int_equal(n, 3);
		snprintf(want, sizeof(want), "%07ld", row);
		assert_string_equal(f[0].p, want);
		snprintf(want, sizeof(want), "Kim, Lee %07ld", row);
		assert_string_equal(f[1].p, want);
		snprintf(want, sizeof(want), "%06ld", row);
		assert_string_equal(f[2].p, want);
	}
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 0);
	assert_int_equal(bp_csv_bytes(r), 15 + 35 * (unsigned long long)rows);
	bp_csv_close(r);
	unlink(path);
}

static void test_csv_open_missing_file(void **state)
{
	bp_csv *r;

	(void)state;
	bp_err_clear(&err);
	r = bp_csv_open("/nonexistent/contacts.csv", "crm", &err);
	assert_null(r);
	assert_int_equal(err.code, BP_ENOINPUT);
	assert_string_equal(err.msg, "cannot open '/nonexistent/contacts.csv': "
			    "No such file or directory");
}

static void test_csv_trailing_delimiter_gives_empty_field(void **state)
{
	bp_csv *r = OPEN("a,b,\n1,,\n");

	(void)state;
	HEADER(r, 1, "a", "b", "");
	NEXT(r, 2, "1", "", "");
	bp_csv_close(r);
}

static void test_csv_last_record_without_line_end(void **state)
{
	bp_csv *r = OPEN("a,b\n\"1\",2");

	(void)state;
	HEADER(r, 1, "a", "b");
	NEXT(r, 2, "1", "2");
	expect_end(r);
	bp_csv_close(r);
}

static void test_csv_close_accepts_null(void **state)
{
	(void)state;
	bp_csv_close(NULL);
}

/* ---- projections: only some columns read ---- */

static void project(bp_csv *r, const int *cols, size_t n)
{
	assert_int_equal(bp_csv_project(r, cols, n, &err), 0);
}

#define PROJECT(r, ...) project(r, (const int[]){__VA_ARGS__}, \
	sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

static void test_csv_projection_reads_listed_columns(void **state)
{
	bp_csv *r = OPEN("a,b,c,d,e\n1,\"2,x\",3,\"4\"\"\",5\n6,7\n");

	(void)state;
	HEADER(r, 1, "a", "b", "c", "d", "e");
	PROJECT(r, 3, -1, 1);
	NEXT(r, 2, "1", "2,x", "", "4\"", "");
	NEXT(r, 3, "6", "7");
	expect_end(r);
	bp_csv_close(r);
}

/* Column 0 holds total and footer rows: read even when not asked for. */
static void test_csv_projection_always_reads_column_zero(void **state)
{
	bp_csv *r = OPEN("a,b,c\n1,2,3\nTotal: Account,x,9\n");

	(void)state;
	HEADER(r, 1, "a", "b", "c");
	PROJECT(r, 2);
	NEXT(r, 2, "1", "", "3");
	NEXT(r, 3, "Total: Account", "", "9");
	bp_csv_close(r);
}

static void test_csv_projection_column_of_skipped_field_is_zero(void **state)
{
	bp_csv *r = OPEN("a,b,c,d\n한국,x,\"y\",z\n");

	(void)state;
	HEADER(r, 1, "a", "b", "c", "d");
	PROJECT(r, 2);
	NEXT(r, 2, "한국", "", "y", "");
	assert_int_equal(bp_csv_col(r, 0), 1);
	assert_int_equal(bp_csv_col(r, 1), 0);
	assert_int_equal(bp_csv_col(r, 2), 6);
	assert_int_equal(bp_csv_col(r, 3), 0);
	assert_int_equal(bp_csv_col(r, 4), 0);
	bp_csv_close(r);
}

/* The file names 100 columns; rows end long after the last one read. */
static char *wide_file(const char *rows)
{
	FILE *fp;
	char *path = temp_file(&fp);
	int i;

	for (i = 0; i < 100; i++)
		fprintf(fp, "%sh%d", i ? "," : "", i);
	fputc('\n', fp);
	fputs(rows, fp);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static bp_csv *open_path(const char *path)
{
	bp_csv *r;

	bp_err_clear(&err);
	r = bp_csv_open(path, "t.csv", &err);
	assert_non_null(r);
	return r;
}

/* Line breaks inside skipped quoted fields still count: the next record's
 * line number is right.  Rows are long, so the fields are passed by the
 * 64-byte masks. */
static void test_csv_projection_counts_lines_in_skipped_fields(void **state)
{
	char rows[4096], *path;
	bp_csv *r;
	bp_field *f;
	size_t n;
	int i;

	(void)state;
	strcpy(rows, "1");
	for (i = 1; i < 40; i++)
		strcat(rows, i % 7 ? ",\"some text, with\na line break\"" :
		       ",\"lone CR\rand CR LF\r\nhere\"");
	strcat(rows, ",last\r\n2,x\n");
	path = wide_file(rows);
	r = open_path(path);
	assert_int_equal(bp_csv_header(r, accept_first, NULL, 10, &f, &n, &err), 0);
	PROJECT(r, 40);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_int_equal(n, 41);
	assert_string_equal(f[0].p, "1");
	assert_string_equal(f[40].p, "last");
	assert_string_equal(f[20].p, "");
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	/* 34 fields with one break, 5 with two (the lone CR and CR LF). */
	assert_int_equal(bp_csv_line(r), 2 + 1 + 34 + 5 * 2);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].p, "2");
	bp_csv_close(r);
	unlink(path);
}

/* A quote inside an unquoted field is a character, not the start of a
 * quoted field: the masks cannot tell, so such fields are read the
 * general way, and the split is the same. */
static void test_csv_projection_quote_inside_skipped_unquoted_field(void **state)
{
	char rows[4096], *path;
	bp_csv *r;
	bp_field *f;
	size_t n;
	int i;

	(void)state;
	strcpy(rows, "1");
	for (i = 1; i < 30; i++)
		strcat(rows, i == 12 ? ",5\" screen, \"x" : ",filler text");
	strcat(rows, ",\"last\"\n");
	path = wide_file(rows);
	r = open_path(path);
	assert_int_equal(bp_csv_header(r, accept_first, NULL, 10, &f, &n, &err), 0);
	PROJECT(r, 13, 31);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	/* The comma after 'screen' splits field 12 in two. */
	assert_int_equal(n, 32);
	assert_string_equal(f[13].p, " \"x");
	assert_string_equal(f[31].p, "last");
	bp_csv_close(r);
	unlink(path);
}

/* A malformed field is an error whether or not it is read. */
static void test_csv_projection_error_in_skipped_field(void **state)
{
	char rows[4096], *path;
	bp_csv *r;
	bp_field *f;
	size_t n;
	int i;

	(void)state;
	strcpy(rows, "1");
	for (i = 1; i < 30; i++)
		strcat(rows, i == 20 ? ",\"x\"y" : ",\"filler\"");
	strcat(rows, "\n");
	path = wide_file(rows);
	r = open_path(path);
	assert_int_equal(bp_csv_header(r, accept_first, NULL, 10, &f, &n, &err), 0);
	PROJECT(r, 2);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), -1);
	assert_int_equal(err.code, BP_EDATA);
	assert_int_equal(err.line, 2);
	/* "1", 19 times ,"filler", then ,"x" and the y. */
	assert_int_equal(err.col, 1 + 19 * 9 + 4 + 1);
	assert_string_equal(err.msg, "unexpected character 'y' after closing quote");
	bp_csv_close(r);
	unlink(path);
}

/* ---- differential: a projection against splitting every field ---- */

static uint64_t rnd_state;

static unsigned rnd(unsigned n)
{
	uint64_t z = (rnd_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return (unsigned)((z ^ (z >> 31)) % n);
}

typedef struct text {
	char *s;
	size_t n, cap;
} text;

static void put(text *t, const char *s)
{
	size_t k = strlen(s);

	if (t->n + k + 1 > t->cap) {
		t->cap = (t->n + k + 1) * 2;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	memcpy(t->s + t->n, s, k + 1);
	t->n += k;
}

/* One field of every kind the reader knows. */
static void put_field(text *t, char d)
{
	static const char *const kinds[] = {
		"", "plain", "\"quoted\"", "\"with %c delimiter\"",
		"\"say \"\"hi\"\"\"", "\"two\nlines\"", "\"crlf\r\ninside\"",
		"\"lone\rcr\"", "\"\"", "in\"side", "\"\"\"\"", "한국어 텍스트",
		"\"a long note, with commas, %c delimiters, \"\"quotes\"\" and a\n"
		"line break, long enough to span a whole 64-byte block\"",
	};
	char buf[256];

	snprintf(buf, sizeof(buf), kinds[rnd(sizeof(kinds) / sizeof(kinds[0]))], d);
	put(t, buf);
}

/* A file of quirky records around `width` fields wide: some short, some
 * long, some blank lines, LF, CR LF and lone CR line ends. */
static text quirky_csv(uint64_t seed, int rows, int width, char d)
{
	text t = { NULL, 0, 0 };
	char sep[2] = { d, '\0' }, name[16];
	int row, i, w;

	rnd_state = seed;
	for (i = 0; i < width; i++) {
		snprintf(name, sizeof(name), "%sh%d", i ? sep : "", i);
		put(&t, name);
	}
	put(&t, "\n");
	for (row = 0; row < rows; row++) {
		w = rnd(10) == 0 ? 1 + (int)rnd((unsigned)width) : width + (rnd(10) == 0 ? 3 : 0);
		for (i = 0; i < w; i++) {
			if (i)
				put(&t, sep);
			put_field(&t, d);
		}
		put(&t, rnd(4) == 0 ? "\r\n" : rnd(20) == 0 ? "\r" : "\n");
		if (rnd(30) == 0)
			put(&t, "\n");
	}
	return t;
}

/* UTF-8 (BMP only, as quirky_csv writes) to UTF-16 with a BOM. */
static text to_utf16(const text *in, int big_endian)
{
	text t = { malloc(in->n * 2 + 2), 0, 0 };
	const unsigned char *p = (const unsigned char *)in->s, *e = p + in->n;

	assert_non_null(t.s);
	t.s[t.n++] = big_endian ? '\xFE' : '\xFF';
	t.s[t.n++] = big_endian ? '\xFF' : '\xFE';
	while (p < e) {
		unsigned cp;

		if (*p < 0x80) {
			cp = *p++;
		} else if ((*p & 0xE0) == 0xC0) {
			cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
			p += 2;
		} else {
			cp = ((unsigned)(p[0] & 0x0F) << 12) |
			     ((unsigned)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
			p += 3;
		}
		t.s[t.n++] = (char)(big_endian ? cp >> 8 : cp & 0xFF);
		t.s[t.n++] = (char)(big_endian ? cp & 0xFF : cp >> 8);
	}
	return t;
}

static int kept(const int *cols, size_t ncols, size_t i)
{
	size_t k;

	for (k = 0; k < ncols; k++)
		if (cols[k] >= 0 && (size_t)cols[k] == i)
			return 1;
	return i == 0;
}

static void same_error(const bp_err *a, const bp_err *b)
{
	assert_int_equal(a->code, b->code);
	assert_int_equal(a->line, b->line);
	assert_int_equal(a->col, b->col);
	assert_string_equal(a->msg, b->msg);
}

/* Reads `in` splitting every field one by one (the general way, from
 * memory) and four more ways: splitting every field by blocks, from a
 * file (whose large buffer lets the masks run) and from memory (whose
 * small one puts record edges everywhere), and through the projection,
 * from a file and from memory: same records, lines, fields and columns
 * (kept fields, under the projection; skipped ones empty), same error if
 * any.  Returns the number of records compared. */
enum { N_WAYS = 4 };

static long diff_projection(const text *in, const int *cols, size_t ncols)
{
	FILE *fp;
	char *path = temp_file(&fp);
	bp_csv *all, *way[N_WAYS];
	bp_err e[N_WAYS + 1];
	bp_field *f[N_WAYS + 1];
	size_t n[N_WAYS + 1], i;
	long records = 0;
	int rc[N_WAYS + 1], k;

	assert_int_equal(fwrite(in->s, 1, in->n, fp), in->n);
	assert_int_equal(fclose(fp), 0);
	for (k = 0; k <= N_WAYS; k++)
		bp_err_clear(&e[k]);
	all = bp_csv_open_mem(in->s, in->n, "t.csv", &e[0]);
	assert_non_null(all);
	bp_csv_set_general(all);
	for (k = 0; k < N_WAYS; k++) {
		way[k] = k % 2 == 0 ? bp_csv_open(path, "t.csv", &e[k + 1])
				    : bp_csv_open_mem(in->s, in->n, "t.csv", &e[k + 1]);
		assert_non_null(way[k]);
	}
	assert_int_equal(bp_csv_header(all, accept_first, NULL, 10, &f[0], &n[0], &e[0]), 0);
	for (k = 0; k < N_WAYS; k++) {
		assert_int_equal(bp_csv_header(way[k], accept_first, NULL, 10, &f[k + 1],
					       &n[k + 1], &e[k + 1]), 0);
		assert_int_equal(n[k + 1], n[0]);
		if (k >= 2)
			assert_int_equal(bp_csv_project(way[k], cols, ncols, &e[k + 1]), 0);
	}
	for (;;) {
		rc[0] = bp_csv_next(all, &f[0], &n[0], &e[0]);
		for (k = 0; k < N_WAYS; k++) {
			rc[k + 1] = bp_csv_next(way[k], &f[k + 1], &n[k + 1], &e[k + 1]);
			assert_int_equal(rc[k + 1], rc[0]);
			if (rc[0] < 0)
				same_error(&e[k + 1], &e[0]);
			if (rc[0] != 1)
				continue;
			assert_int_equal(bp_csv_line(way[k]), bp_csv_line(all));
			assert_int_equal(n[k + 1], n[0]);
			for (i = 0; i < n[0]; i++) {
				const bp_field *g = &f[k + 1][i];

				if (k >= 2 && !kept(cols, ncols, i)) {
					assert_int_equal(g->n, 0);
					assert_int_equal(g->p[0], '\0');
					assert_int_equal(bp_csv_col(way[k], i), 0);
					continue;
				}
				assert_int_equal(g->n, f[0][i].n);
				assert_memory_equal(g->p, f[0][i].p, g->n);
				assert_int_equal(g->p[g->n], '\0');
				assert_int_equal(bp_csv_col(way[k], i), bp_csv_col(all, i));
			}
		}
		if (rc[0] != 1)
			break;
		records++;
	}
	assert_int_equal(bp_csv_bytes(way[0]), bp_csv_bytes(all));
	assert_int_equal(bp_csv_bytes(way[2]), bp_csv_bytes(all));
	bp_csv_close(all);
	for (k = 0; k < N_WAYS; k++)
		bp_csv_close(way[k]);
	unlink(path);
	return records;
}

#define DIFF(in, ...) diff_projection(in, (const int[]){__VA_ARGS__}, \
	sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

static void test_csv_projection_same_as_full_split_comma(void **state)
{
	text in = quirky_csv(1, 3000, 40, ',');

	(void)state;
	assert_int_equal(DIFF(&in, 3, 7, 8, 20, 39), 3000);
	assert_int_equal(DIFF(&in, 39), 3000);
	assert_int_equal(DIFF(&in, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 3000);
	assert_int_equal(DIFF(&in, -1), 3000);
	assert_int_equal(DIFF(&in, 45), 3000);
	free(in.s);
}

static void test_csv_projection_same_as_full_split_tab(void **state)
{
	text in = quirky_csv(2, 2000, 60, '\t');

	(void)state;
	assert_int_equal(DIFF(&in, 5, 30, 59), 2000);
	free(in.s);
}

static void test_csv_projection_same_as_full_split_utf16(void **state)
{
	text in = quirky_csv(3, 2000, 40, ','), le = to_utf16(&in, 0),
	     be = to_utf16(&in, 1);

	(void)state;
	assert_int_equal(DIFF(&le, 2, 17, 33), 2000);
	assert_int_equal(DIFF(&be, 2, 17, 33), 2000);
	free(in.s);
	free(le.s);
	free(be.s);
}

/* Many seeds, each cut short somewhere, so that the end of the data (and
 * any error there: an unterminated quote, say) falls everywhere. */
static void test_csv_projection_same_as_full_split_cut_anywhere(void **state)
{
	uint64_t seed;

	(void)state;
	for (seed = 10; seed < 60; seed++) {
		text in = quirky_csv(seed, 60, 30, ',');

		in.n = in.n / 2 + rnd((unsigned)(in.n / 2));
		DIFF(&in, 4, 15, 29);
		free(in.s);
	}
}

/* A character after a closing quote, somewhere in the rows. */
static void test_csv_projection_same_error_as_full_split(void **state)
{
	uint64_t seed;

	(void)state;
	for (seed = 100; seed < 120; seed++) {
		text in = quirky_csv(seed, 200, 30, ',');
		size_t at = in.n / 3 + rnd((unsigned)(in.n / 2)), q;

		for (q = at; q < in.n && in.s[q] != '"'; q++)
			;
		if (q + 1 < in.n && in.s[q + 1] != '"')
			in.s[q + 1] = 'Z';
		DIFF(&in, 4, 15, 29);
		free(in.s);
	}
}

/* The same checks on the portable code, which CPUs without AVX2 run. */
static void test_csv_projection_portable_same_as_full_split(void **state)
{
	assert_int_equal(setenv("BP_CSV_PORTABLE", "1", 1), 0);
	test_csv_projection_same_as_full_split_comma(state);
	test_csv_projection_same_as_full_split_utf16(state);
	test_csv_projection_same_as_full_split_cut_anywhere(state);
	test_csv_projection_same_error_as_full_split(state);
	assert_int_equal(unsetenv("BP_CSV_PORTABLE"), 0);
}

/* ---- reading a file in parts ---- */

/* A file of the tests' own, for the functions that need a path. */
static const char *part_file(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/bp-csv-part-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static const char parts[] =
	"id,note,n\n"
	"1,\"two\nlines\",a\n"
	"2,\"one\",b\r\n"
	"3,\"x\ny\nz\",c\n"
	"4,plain,d\n"
	"5,\"q \"\"w\"\"\",e\n";

/* From inside a quoted field with line breaks, the next line start that
 * records follow is the next record's; a line start inside quotes is
 * turned down. */
static void test_csv_resync_skips_line_breaks_inside_quotes(void **state)
{
	const char *path = part_file(parts);
	const char *rec3 = strstr(parts, "3,"), *rec4 = strstr(parts, "4,");

	(void)state;
	/* Inside record 1's note: its "lines" line has 2 fields, not 3. */
	assert_int_equal(bp_csv_resync(path, 12, ',', 3, 2, &err),
			 strstr(parts, "2,") - parts);
	/* Inside record 3's note: "y" and "z\",c" are no records. */
	assert_int_equal(bp_csv_resync(path, (unsigned long long)(rec3 - parts + 5),
				       ',', 3, 2, &err), rec4 - parts);
	/* Three fields a record, not four: none. */
	assert_int_equal(bp_csv_resync(path, 0, ',', 4, 2, &err), -1);
	unlink(path);
}

/* A stop at a record boundary ends the file there; lifted, the rest
 * reads as if it had never been.  A stop inside a quoted field reads as
 * an unterminated quote, and lifting it then reads the record whole. */
static void test_csv_stop_at_ends_the_file_there_until_lifted(void **state)
{
	const char *path = part_file(parts);
	unsigned long long rec3 = (unsigned long long)(strstr(parts, "3,") - parts);
	bp_csv *r;
	bp_field *f;
	size_t n;

	(void)state;
	r = bp_csv_open(path, NULL, &err);
	assert_non_null(r);
	assert_int_equal(bp_csv_header(r, accept_first, NULL, 0, &f, &n, &err), 0);
	assert_int_equal(bp_csv_stop_at(r, rec3, &err), 0);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_string_equal(f[0].p, "1");
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_string_equal(f[0].p, "2");
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 0);
	assert_int_equal(bp_csv_stop_at(r, 0, &err), 0);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_string_equal(f[1].p, "x\ny\nz");
	assert_int_equal(bp_csv_line(r), 5);
	bp_csv_close(r);

	r = bp_csv_open(path, NULL, &err);
	assert_int_equal(bp_csv_header(r, accept_first, NULL, 0, &f, &n, &err), 0);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_int_equal(bp_csv_stop_at(r, rec3 + 6, &err), 0);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), -1);
	assert_non_null(strstr(err.msg, "unterminated quote"));
	assert_int_equal(bp_csv_stop_at(r, 0, &err), 0);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_string_equal(f[1].p, "x\ny\nz");
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_string_equal(f[1].p, "q \"w\"");
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 0);
	/* A stop before what was handed out is refused. */
	assert_int_equal(bp_csv_stop_at(r, 5, &err), -1);
	bp_csv_close(r);
	unlink(path);
}

/* A reader opened at a record boundary splits the records there as a
 * reader from the start does, projection included. */
static void test_csv_open_at_reads_from_the_offset(void **state)
{
	const char *path = part_file(parts);
	unsigned long long rec3 = (unsigned long long)(strstr(parts, "3,") - parts);
	static const int cols[] = { 2 };
	bp_csv *r;
	bp_field *f;
	size_t n;

	(void)state;
	r = bp_csv_open_at(path, NULL, rec3, ',', 3, &err);
	assert_non_null(r);
	assert_int_equal(bp_csv_project(r, cols, 1, &err), 0);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_int_equal(n, 3);
	assert_string_equal(f[0].p, "3");
	assert_string_equal(f[1].p, "");
	assert_string_equal(f[2].p, "c");
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_string_equal(f[2].p, "d");
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 1);
	assert_int_equal(bp_csv_next(r, &f, &n, &err), 0);
	assert_int_equal(bp_csv_bytes(r), sizeof(parts) - 1 - rec3);
	bp_csv_close(r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_plain_comma_records),
		cmocka_unit_test(test_csv_resync_skips_line_breaks_inside_quotes),
		cmocka_unit_test(test_csv_stop_at_ends_the_file_there_until_lifted),
		cmocka_unit_test(test_csv_open_at_reads_from_the_offset),
		cmocka_unit_test(test_csv_utf8_bom_skipped),
		cmocka_unit_test(test_csv_no_bom_first_bytes_kept),
		cmocka_unit_test(test_csv_archives_and_utf16_without_bom_named),
		cmocka_unit_test(test_csv_utf16le_decoded),
		cmocka_unit_test(test_csv_utf16be_decoded),
		cmocka_unit_test(test_csv_utf16le_korean_header),
		cmocka_unit_test(test_csv_utf16le_surrogate_pair),
		cmocka_unit_test(test_csv_utf16_truncated_odd_byte),
		cmocka_unit_test(test_csv_utf16_unpaired_high_surrogate),
		cmocka_unit_test(test_csv_utf16_lone_low_surrogate),
		cmocka_unit_test(test_csv_utf16_large_file_split_units),
		cmocka_unit_test(test_csv_tab_delimiter_detected),
		cmocka_unit_test(test_csv_semicolon_delimiter_detected),
		cmocka_unit_test(test_csv_comma_when_no_delimiter),
		cmocka_unit_test(test_csv_quoted_delimiter_in_field),
		cmocka_unit_test(test_csv_doubled_quote),
		cmocka_unit_test(test_csv_quoted_newline_in_field),
		cmocka_unit_test(test_csv_quoted_crlf_counts_one_line),
		cmocka_unit_test(test_csv_crlf_line_ends),
		cmocka_unit_test(test_csv_lone_cr_line_ends),
		cmocka_unit_test(test_csv_line_end_of_the_last_record),
		cmocka_unit_test(test_csv_line_end_of_the_last_record_projected),
		cmocka_unit_test(test_csv_hash_preamble_skipped),
		cmocka_unit_test(test_csv_google_ads_two_line_preamble),
		cmocka_unit_test(test_csv_header_delimiter_fixed_after_header),
		cmocka_unit_test(test_csv_empty_file),
		cmocka_unit_test(test_csv_bom_only_is_empty),
		cmocka_unit_test(test_csv_utf16_bom_only_is_empty),
		cmocka_unit_test(test_csv_blank_lines_only_is_empty),
		cmocka_unit_test(test_csv_no_header_found),
		cmocka_unit_test(test_csv_header_by_name_after_preamble),
		cmocka_unit_test(test_csv_char_after_closing_quote_error),
		cmocka_unit_test(test_csv_error_column_counts_characters),
		cmocka_unit_test(test_csv_error_character_across_buffer_edge),
		cmocka_unit_test(test_csv_unterminated_quote),
		cmocka_unit_test(test_csv_unterminated_quote_after_multiline_field),
		cmocka_unit_test(test_csv_quote_inside_unquoted_field_kept),
		cmocka_unit_test(test_csv_field_counts_vary),
		cmocka_unit_test(test_csv_blank_lines_skipped),
		cmocka_unit_test(test_csv_column_of_fields),
		cmocka_unit_test(test_csv_column_after_doubled_quotes),
		cmocka_unit_test(test_csv_crlf_split_across_buffer_edge),
		cmocka_unit_test(test_csv_hash_lines_crlf_across_buffer_edge),
		cmocka_unit_test(test_csv_record_larger_than_initial_buffer),
		cmocka_unit_test(test_csv_record_over_limit_error),
		cmocka_unit_test(test_csv_record_spans_read_boundary),
		cmocka_unit_test(test_csv_open_missing_file),
		cmocka_unit_test(test_csv_trailing_delimiter_gives_empty_field),
		cmocka_unit_test(test_csv_last_record_without_line_end),
		cmocka_unit_test(test_csv_projection_reads_listed_columns),
		cmocka_unit_test(test_csv_projection_always_reads_column_zero),
		cmocka_unit_test(test_csv_projection_column_of_skipped_field_is_zero),
		cmocka_unit_test(test_csv_projection_counts_lines_in_skipped_fields),
		cmocka_unit_test(test_csv_projection_quote_inside_skipped_unquoted_field),
		cmocka_unit_test(test_csv_projection_error_in_skipped_field),
		cmocka_unit_test(test_csv_projection_same_as_full_split_comma),
		cmocka_unit_test(test_csv_projection_same_as_full_split_tab),
		cmocka_unit_test(test_csv_projection_same_as_full_split_utf16),
		cmocka_unit_test(test_csv_projection_same_as_full_split_cut_anywhere),
		cmocka_unit_test(test_csv_projection_same_error_as_full_split),
		cmocka_unit_test(test_csv_projection_portable_same_as_full_split),
		cmocka_unit_test(test_csv_close_accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
