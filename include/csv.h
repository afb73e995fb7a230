/*
 * csv.h - the streaming reader for exports as they really come.
 *
 * Reads a file (or a memory buffer) in fixed-size chunks and hands out one
 * record at a time, so memory does not grow with the number of rows.
 *
 * Handles: UTF-8 with or without BOM; UTF-16LE/BE with BOM (converted to
 * UTF-8 while reading); CRLF, LF and lone CR line ends; RFC 4180 quoting
 * (delimiters, doubled quotes and line breaks inside quoted fields); a
 * delimiter (tab, semicolon or comma) chosen from the header line; blank
 * lines and lines starting with '#' before the header; any other preamble
 * lines before the header (the caller decides which line is the header).
 *
 * Errors name the source, the line and the column (1-based, in characters
 * of the decoded line): an unterminated quote, a character after a closing
 * quote, a truncated or malformed UTF-16 stream, invalid UTF-8 is accepted
 * as it is (bytes pass through), an empty file.
 */
#ifndef BP_CSV_H
#define BP_CSV_H

#include <stddef.h>
#include <stdio.h>
#include "err.h"

typedef struct bp_csv bp_csv;

/* bp_err.sub of the header search's two failures. */
enum { BP_CSV_EMPTY = 1, BP_CSV_NO_HEADER = 2 };
/* bp_err.sub of an error that says the input was cut short: it ends in
 * a quoted field, or (the caller's, ingest.h) inside a row. */
enum { BP_CSV_CUT = 3 };

/* One field of the current record: UTF-8, unquoted, NUL-terminated.
 * `p` points into the reader's buffer and stays valid until the next call
 * to bp_csv_next() or bp_csv_close(). */
typedef struct bp_field {
	const char *p;
	size_t n;
} bp_field;

/* Decides whether a split line is the header row.  Returns 1 when it is,
 * 0 when the line is preamble to skip. */
typedef int (*bp_csv_header_fn)(void *ctx, const bp_field *fields, size_t n);

/* Opens `path` for reading.  `name` is what errors call the file (a source
 * id, a path); NULL means `path`.  Returns NULL on error (BP_ENOINPUT when
 * the file cannot be opened) with `err` set. */
bp_csv *bp_csv_open(const char *path, const char *name, bp_err *err);

/* While `cpu` is not NULL, adds to *cpu the CPU seconds the calling
 * thread spends in each read from the file (the kernel's copy). */
void bp_csv_time_reads(bp_csv *r, double *cpu);

/* Reads from memory instead (tests, the fuzz target).  The buffer is not
 * copied and must outlive the reader.  The reader's own buffer starts
 * tiny and grows, so small inputs cross buffer boundaries as big files
 * do; this is not the fast path. */
bp_csv *bp_csv_open_mem(const void *data, size_t size, const char *name,
			bp_err *err);

/* ---- reading a file in parts (UTF-8 files only) ---- */

/* Opens `path` to read records from byte `off` on, which must be where a
 * record starts (see bp_csv_resync), with the delimiter and header width
 * of a reader that read its header: records split exactly as that
 * reader splits them there.  Line numbers count from 1 at `off`.
 * Returns NULL with `err` set (BP_ENOINPUT) when the file cannot be
 * opened or read. */
bp_csv *bp_csv_open_at(const char *path, const char *name,
		       unsigned long long off, char delim, size_t width,
		       bp_err *err);

/* Makes the file end, for the reader, at byte `off`: a record that goes
 * on past it reads as cut short there (an unterminated quote, when the
 * stop was inside a quoted field).  `off` 0 lifts the stop, and reading
 * goes on from it as if it had never been there, also after the reader
 * reported the end or an error at it.  Returns 0, or -1 (err set) when
 * the reader is not a UTF-8 file reader or has already handed out
 * records past `off`. */
int bp_csv_stop_at(bp_csv *r, unsigned long long off, bp_err *err);

/* The offset of the first line start after `from` (the byte after a
 * line feed in the next MiB of the file) from which `records` records in
 * a row have exactly `n_fields` fields each, read with delimiter
 * `delim`: a place where a reader can start in the middle of a file.
 * Quotes may hold line breaks, and a line start inside a quoted field
 * almost never passes; a caller that must be sure checks that the part
 * before it ends there cleanly (bp_csv_stop_at, then reading to it).
 * Returns -1 when there is none (err set only when the file cannot be
 * read). */
long long bp_csv_resync(const char *path, unsigned long long from, char delim,
			size_t n_fields, int records, bp_err *err);

/* Frees the reader and closes its file.  Accepts NULL. */
void bp_csv_close(bp_csv *r);

/* Sees each line starting with '#' that bp_csv_header() skips, as
 * decoded text without its line end (GA4 writes its date range there:
 * "# Start date: 20261001").  `line` is valid during the call only. */
typedef void (*bp_csv_comment_fn)(void *ctx, const char *line, size_t n);
void bp_csv_on_comment(bp_csv *r, bp_csv_comment_fn fn, void *ctx);

/* Finds the header row: skips blank lines and lines starting with '#',
 * picks the delimiter of each remaining line (the most frequent of tab,
 * ';' and ',' outside quotes; ',' when none), splits it and asks `is_header`.
 * Stops at the first line it accepts and fixes the delimiter for the rest
 * of the file.  The header's fields are returned through `fields`/`n`
 * (valid until the next call).  Gives up after `max_lines` lines that are
 * not the header (no limit when `max_lines` <= 0); blank and '#' lines do
 * not count.  Returns 0 on success, -1 on error: BP_EDATA "file is
 * empty" (sub BP_CSV_EMPTY) or "no header row found in the first N lines"
 * (sub BP_CSV_NO_HEADER; the caller usually replaces it with a message
 * naming the columns it expected). */
int bp_csv_header(bp_csv *r, bp_csv_header_fn is_header, void *ctx,
		  int max_lines, bp_field **fields, size_t *n, bp_err *err);

/* Reads the next record.  Returns 1 and sets `fields`/`n` when there is one,
 * 0 at the end of the file, -1 on error (BP_EDATA, with line and column).
 * Blank lines are skipped.  The number of fields is whatever the line has;
 * comparing it with the header is up to the caller.  Without a call to
 * bp_csv_header() first, records are split at ','.  Errors also include
 * BP_EDATA "record is larger than 64 MiB" and BP_ENOINPUT when reading the
 * file fails. */
int bp_csv_next(bp_csv *r, bp_field **fields, size_t *n, bp_err *err);

/* Reads only the columns listed in `cols` (0-based field indexes; negative
 * entries are ignored, so a column map with -1 for "absent" can be passed
 * as it is) in the records that follow, plus column 0, which is always
 * read: it is where exports put their total and footer rows.  Call it after
 * bp_csv_header(); fields returned before it are no longer valid.  Other
 * fields read as empty strings, and bp_csv_col() is 0 for them; where
 * several come in a row (the header says how many follow the last column
 * listed), they are only scanned for their end, never copied or unquoted,
 * 64 bytes at a time.  Everything else
 * stays as without a projection: the number of fields, line numbers, and
 * the errors (a malformed quote in a skipped field is still an error).  A
 * second call replaces the first.  Long runs of skipped fields are passed
 * with AVX2 where the CPU has it (BP_CSV_PORTABLE in the environment
 * makes the reader use its portable code, for tests).  Returns 0. */
int bp_csv_project(bp_csv *r, const int *cols, size_t n, bp_err *err);

/* Makes the reader find every field one by one, the general way, instead
 * of 64 bytes at a time: the reference that tests compare the block
 * reading with.  Call it before the first record; a projection set later
 * still skips long runs of fields by blocks. */
void bp_csv_set_general(bp_csv *r);

/* Changes the largest record accepted (64 MiB unless changed; counted in
 * decoded bytes, line end included). */
void bp_csv_set_max_record(bp_csv *r, size_t max);

/* The line number (1-based, of the decoded text) where the current record
 * starts. */
long bp_csv_line(const bp_csv *r);

/* The line number where reading goes on: after the last record read (and
 * any blank lines after it), where bp_csv_next() would start.  A reader
 * that stopped at a byte (bp_csv_stop_at) has read this many lines less
 * one, which is what a reader opened at that byte (bp_csv_open_at) adds
 * to its own line numbers to make them the file's. */
long bp_csv_next_line(const bp_csv *r);

/* Whether the current record ended with a line end: 0 when the input
 * ended inside it, after its last character, which only the last record
 * of a file can do (an export that was cut short, or one written without
 * a final line end). */
int bp_csv_ended_line(const bp_csv *r);

/* The column (1-based, in characters) where field `i` of the current
 * record starts, for error messages; counted from the start of the line
 * bp_csv_line() names, so a line break inside an earlier quoted field
 * counts as one character.  0 when there is no field `i` or a projection
 * skips it. */
long bp_csv_col(const bp_csv *r, size_t i);

/* The delimiter in use ('\0' before the header is found). */
char bp_csv_delimiter(const bp_csv *r);

/* Bytes of the input that the records returned so far took (the whole
 * file once the end is reached): for throughput figures and estimates. */
unsigned long long bp_csv_bytes(const bp_csv *r);

/* Writes one field, quoted when it has to be (RFC 4180; NULL is an empty
 * field), then `sep` (',' or '\n'): the CSV files boardpack writes. */
void bp_csv_put(FILE *out, const char *s, char sep);

#endif
