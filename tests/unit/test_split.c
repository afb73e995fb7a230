/*
 * test_split.c - a contacts file read in two halves at once gives what
 * one pass gives.
 *
 * Each test writes a contacts export (quoted fields with commas and line
 * breaks, CRLF and LF, duplicate IDs, campaigns, deal lists, bad and
 * placeholder dates) and a deals export, reads them once in one pass and
 * once with the contacts split at a forced byte offset, and compares
 * everything the funnel, the campaigns, the index and the quality
 * records hold, errors included.  Report zone Asia/Seoul, window
 * 2026-05 .. 2026-10.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "testlib.h"

enum { PAID, ORGANIC, OTHER, NCH };

/* One reading of the files. */
typedef struct run {
	bp_config cfg;
	bp_channel ch[NCH];
	bp_rule rules[3];
	bp_source src[2];
	bp_tz *tz;
	bp_funnel *f;
	bp_ingest *in;
	bp_quality q[2];
	bp_err err[2];
	int rc[2];
} run;

static char *dir;
static char contacts_path[256], deals_path[256];

static int setup(void **state)
{
	(void)state;
	dir = tl_tmpdir("/tmp/bp-split-XXXXXX");
	snprintf(contacts_path, sizeof(contacts_path), "%s/contacts.csv", dir);
	snprintf(deals_path, sizeof(deals_path), "%s/deals.csv", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_rmtree(dir);
	free(dir);
	return 0;
}

/* Reads the files: `threads` 1 in one pass, 2 with the contacts split
 * at byte `at`, or where the first megabytes say it pays beside the
 * archive's hash when `probed` (as a run reads). */
static run *read_files_as(int threads, unsigned long long at, int probed)
{
	run *x = calloc(1, sizeof(*x));
	bp_err err = { 0 };
	bp_month last = 2026 * 12 + 9;

	x->ch[PAID] = (bp_channel){ "paid_search", "Paid search", "Paid" };
	x->ch[ORGANIC] = (bp_channel){ "organic_search", "Organic", "Inbound" };
	x->ch[OTHER] = (bp_channel){ "other", "Other", "Other" };
	x->rules[0] = (bp_rule){ "PAID_SEARCH", PAID };
	x->rules[1] = (bp_rule){ "Paid search", PAID };
	x->rules[2] = (bp_rule){ "Organic search", ORGANIC };
	x->src[0] = (bp_source){ .kind = BP_SRC_CONTACTS, .id = "crm",
				 .preset = "hubspot", .rules = x->rules,
				 .n_rules = 3, .channel = -1,
				 .timezone = "America/New_York" };
	x->src[1] = (bp_source){ .kind = BP_SRC_DEALS, .id = "deals",
				 .preset = "hubspot", .channel = -1 };
	x->cfg.timezone = "Asia/Seoul";
	x->cfg.currency = "USD";
	x->cfg.months = 6;
	x->cfg.channels = x->ch;
	x->cfg.n_channels = NCH;
	x->cfg.sources = x->src;
	x->cfg.n_sources = 2;
	x->tz = bp_tz_load("Asia/Seoul", &err);
	assert_non_null(x->tz);
	x->f = bp_funnel_new(x->tz, bp_month_end(x->tz, last), last, 6, NCH);
	x->in = bp_ingest_new(&x->cfg, x->f, &err);
	assert_non_null(x->in);
	bp_ingest_set_threads(x->in, threads, 0, at);
	bp_ingest_set_hashed_beside(x->in, probed);
	x->rc[0] = bp_ingest_source(x->in, &x->src[0], contacts_path, "contacts.csv",
				    &x->q[0], &x->err[0]);
	x->rc[1] = x->rc[0] < 0 ? -1 :
		   bp_ingest_source(x->in, &x->src[1], deals_path, "deals.csv",
				    &x->q[1], &x->err[1]);
	return x;
}

static run *read_files(int threads, unsigned long long at)
{
	return read_files_as(threads, at, 0);
}

static void run_free(run *x)
{
	bp_quality_clear(&x->q[0]);
	bp_quality_clear(&x->q[1]);
	bp_ingest_free(x->in);
	bp_funnel_free(x->f);
	bp_tz_free(x->tz);
	free(x);
}

#define SAME(field) do { \
	if ((a)->field != (b)->field) \
		fail_msg("%s: %s is %lld in one pass, %lld in halves", what, #field, \
			 (long long)(a)->field, (long long)(b)->field); \
} while (0)

static void same_quality(const char *what, const bp_quality *a, const bp_quality *b)
{
	size_t i;
	int s;

	SAME(rows_read); SAME(rows_used); SAME(footer_rows); SAME(duplicates);
	SAME(missing_id); SAME(bad_dates); SAME(placeholder_dates);
	SAME(stage_before_create); SAME(after_as_of); SAME(unmatched_rows);
	SAME(won_without_amount); SAME(won_without_close_date);
	SAME(lost_without_close_date); SAME(unknown_contact); SAME(no_association);
	SAME(notes_rows); SAME(stage_mismatch_rows); SAME(empty_export);
	SAME(negative_cost); SAME(sanitized_values); SAME(truncated_values);
	SAME(unlisted_values); SAME(narrow_rows); SAME(narrow_line);
	SAME(wide_rows); SAME(wide_line); SAME(bad_date_line); SAME(bad_date_col);
	SAME(bad_date_field);
	assert_string_equal(a->bad_date ? a->bad_date : "", b->bad_date ? b->bad_date : "");
	SAME(bytes); SAME(n_unmatched); SAME(n_warnings);
	for (s = 0; s < BP_NSTAGES; s++)
		SAME(stage_mismatch[s]);
	for (i = 0; i < a->n_unmatched; i++) {
		assert_string_equal(a->unmatched[i].value, b->unmatched[i].value);
		SAME(unmatched[i].count);
	}
	for (i = 0; i < a->n_warnings; i++) {
		assert_string_equal(a->warnings[i].code, b->warnings[i].code);
		assert_string_equal(a->warnings[i].text, b->warnings[i].text);
	}
}

static void same_error(const char *what, const bp_err *a, const bp_err *b)
{
	SAME(code); SAME(line); SAME(col);
	assert_string_equal(a->msg, b->msg);
	assert_string_equal(a->file, b->file);
}

/* Everything the two readings hold is the same. */
static void same_results(const char *what, const run *a, const run *b)
{
	size_t cells = (size_t)a->f->n_months * NCH, i, na, nb;
	const bp_campaign *ka, *kb;
	int k;

	for (k = 0; k < 2; k++) {
		SAME(rc[k]);
		if (a->rc[k] < 0) {
			same_error(what, &a->err[k], &b->err[k]);
			return;
		}
		same_quality(what, &a->q[k], &b->q[k]);
	}
	if (memcmp(a->f->cohort, b->f->cohort, cells * sizeof(*a->f->cohort)) != 0)
		fail_msg("%s: the cohort cells differ", what);
	if (memcmp(a->f->month, b->f->month, cells * sizeof(*a->f->month)) != 0)
		fail_msg("%s: the month cells differ", what);
	SAME(f->first_data);
	assert_int_equal(bp_ingest_index_count(a->in), bp_ingest_index_count(b->in));
	ka = bp_campaigns_list(a->f->campaigns, &na);
	kb = bp_campaigns_list(b->f->campaigns, &nb);
	assert_int_equal(na, nb);
	assert_int_equal(bp_campaigns_folded(a->f->campaigns),
			 bp_campaigns_folded(b->f->campaigns));
	for (i = 0; i < na; i++) {
		assert_string_equal(ka[i].name, kb[i].name);
		assert_int_equal(ka[i].channel, kb[i].channel);
		assert_int_equal(ka[i].leads, kb[i].leads);
		assert_int_equal(ka[i].mqls, kb[i].mqls);
		assert_int_equal(ka[i].customers, kb[i].customers);
	}
}

/* ---- the exports ---- */

/* The record ID in the second column, as a view may have it; a first
 * column is where footer lines write their text. */
#define HEADER "First Name,Record ID,Notes,Create Date,Company,Phone,City," \
	"Job Title,Industry,Original Source,Original Source Drill-Down 1," \
	"Lifecycle Stage,Became a Lead Date,Became a Marketing Qualified Lead Date," \
	"Became a Customer Date,Associated Deal IDs,Owner,Score,Region,Language,Extra\n"
#define WIDTH 21
#define COMMAS ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"

typedef struct buf {
	char *p;
	size_t n, cap;
} buf;

static void put(buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->n + (size_t)n + 1 > b->cap) {
		b->cap = (b->n + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

static uint64_t rng;

static unsigned pick(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A date in one of the shapes exports write, now and then one that is
 * not a date. */
static void stamp(buf *b, int month, int day, int odd_ok)
{
	static const char *const odd[] = { "2026-08-33 10:00", "0000-00-00 00:00",
					   "2026-13-01", "soon", "" };
	int h = (int)pick(24), m = (int)pick(60), s = (int)pick(60);

	switch (pick(12) + !odd_ok) {
	case 0: put(b, "%s", odd[pick(5)]); break;
	case 1: put(b, "2026-%02d-%02d", month, day); break;
	case 2: put(b, "2026-%02d-%02d %02d:%02d:%02d", month, day, h, m, s); break;
	case 3: put(b, "2026-%02d-%02dT%02d:%02d:%02d.%03dZ", month, day, h, m, s,
		    (int)pick(1000)); break;
	default: put(b, "2026-%02d-%02d %02d:%02d", month, day, h, m); break;
	}
}

/* Free text as exports carry it: commas, doubled quotes, line breaks;
 * `fake_records` > 0 lines of it shaped like whole records of this
 * export; -1, three line breaks for sure. */
static void note(buf *b, int fake_records)
{
	int i;

	if (fake_records < 0) {
		put(b, "\"first line\nsecond, line\r\nthird\nfourth\"");
		return;
	}
	switch (fake_records ? 5 : pick(6)) {
	case 0:
		put(b, "\"Called twice,\r\nleft a \"\"message\"\"\nand an email\"");
		break;
	case 1:
		put(b, "\"Line one\nline two\"");
		break;
	case 2:
		put(b, "plain note");
		break;
	default:
		break;
	}
	if (fake_records) {
		put(b, "\"copied from the old CRM:\n");
		for (i = 0; i < fake_records; i++)
			put(b, "Fake,%d,x,2026-07-01 10:00,,,,,,Paid search,Spring,lead,"
			       "2026-07-02 10:00,,,D%d,,,,,\n", 9000 + i, 9000 + i);
		put(b, "end of copy\"");
	}
}

/* A source value longer than data quality keeps (it is cut). */
#define LONG_VALUE \
	"A source value that goes on and on and is longer than a listing keeps " \
	"A source value that goes on and on and is longer than a listing keeps " \
	"A source value that goes on and on and is longer than a listing keeps " \
	"A source value that goes on and on and is longer than a listing keeps " \
	"A source value that goes on and on and is longer than a listing keeps"

/* A row without a record ID: footer-like until a record follows it. */
#define NO_ID_ROW "Minji,,,2026-09-01 10:00,,,,,,Paid search,,lead,,,,,,,,,\n"
/* The footer lines an export may end with. */
#define FOOTER "Total,,,,,,,,,,,,,,,,,,,,\n" \
	"\"Copyright (c) 2026, all rights reserved\",,,,,,,,,,,,,,,,,,,,\n"

/* Row i (ID `id`); `fake` records of text in its notes. */
static void contact_fields(buf *b, int i, int fake);

static void contact(buf *b, int i, int id, int fake)
{
	put(b, "%s,%d,", pick(3) ? "Minji" : "\"Kim, Jr.\"", id);
	contact_fields(b, i, fake);
}

/* Row i from its Notes on. */
static void contact_fields(buf *b, int i, int fake)
{
	static const char *const sources[] = { "Paid search", "Organic search",
					       "PAID_SEARCH", "Podcast", "Webinar",
					       "Pod\001cast", "\377\376Bad", LONG_VALUE };
	static const char *const campaigns[] = { "Spring", " spring ", "Fall", "",
						 "Brand" };
	static const char *const stages[] = { "lead", "Customer", "subscriber", "",
					      "marketingqualifiedlead" };
	int month = 5 + (int)pick(6), day = 1 + (int)pick(28);

	note(b, fake);
	put(b, ",");
	stamp(b, month, day, 0);
	put(b, ",%s,,Seoul,,\"Software, B2B\",%s,%s,%s,", pick(2) ? "Acme" : "\"A, Inc.\"",
	    sources[pick(8)], campaigns[pick(5)], stages[pick(5)]);
	if (pick(3))
		stamp(b, month, day, 1);
	put(b, ",");
	if (pick(3) == 0)
		stamp(b, month < 10 ? month + 1 : 10, day, 1);
	put(b, ",");
	if (pick(4) == 0)
		stamp(b, 10, day, 1);
	put(b, ",");
	if (pick(3) == 0)
		put(b, "D%d", i % 7 == 0 ? 1 : i);
	else if (pick(5) == 0)
		put(b, "\"D%d;D%d\"", i, i + 1);
	put(b, ",Lee,%d,APAC,ko,%s", (int)pick(100), pick(9) ? "" : "\"x\ny\"");
	put(b, pick(5) ? "\n" : "\r\n");
}

/* The deals: their contacts on both sides of the middle, some unknown,
 * some joined only through the contacts' deal lists. */
static void write_deals(int rows)
{
	buf b = { 0 };
	int i;

	put(&b, "Record ID,Deal Stage,Close Date,Amount,Associated Contact IDs,Create Date\n");
	for (i = 1; i <= rows + 1; i++) {
		put(&b, "D%d,%s,2026-%02d-%02d,%d,", i, pick(3) ? "Closed Won" : "Closed Lost",
		    6 + (int)pick(5), 1 + (int)pick(28), 100 * (1 + (int)pick(50)));
		if (pick(2))
			put(&b, "%d", 1 + (int)pick((unsigned)rows + 5));
		put(&b, ",2026-05-%02d\n", 1 + (int)pick(28));
	}
	tl_write_file(deals_path, b.p);
	free(b.p);
}

/* Writes `rows` contacts; ids[i] (when given and not 0) replaces row i's
 * ID; the row `fake_at` carries `fake` record-shaped lines in its notes.
 * Returns the offset of the middle row's start. */
static size_t write_contacts(int rows, const int *ids, int fake_at, int fake,
			     uint64_t seed)
{
	buf b = { 0 };
	size_t middle = 0;
	int i;

	rng = seed;
	put(&b, HEADER);
	for (i = 1; i <= rows; i++) {
		if (i == rows / 2 + 1)
			middle = b.n;
		/* Rows without an ID, one of them where the second half
		 * starts looking for its first record. */
		if (i % 13 == 0 || i == rows / 2 + 1)
			put(&b, NO_ID_ROW);
		contact(&b, i, ids && ids[i] ? ids[i] : i, i == fake_at ? fake : 0);
	}
	put(&b, NO_ID_ROW);
	put(&b, FOOTER);
	tl_write_file(contacts_path, b.p);
	free(b.p);
	write_deals(rows);
	return middle;
}

/* About `total` bytes of contacts in all.  With `fake`, the row whose
 * notes hold `fake` record-shaped lines is placed (after blank lines, which
 * readers pass over) so that the first megabytes read alone end 30 bytes
 * into the first of them, where a record boundary seems to be and is not. */
static void write_big_contacts(size_t total, int fake, uint64_t seed)
{
	const size_t probe_end = strlen(HEADER) + BP_INGEST_PROBE_BYTES;
	buf b = { 0 }, row = { 0 };
	int i;

	rng = seed;
	put(&b, HEADER);
	for (i = 1; b.n < total; i++) {
		if (i % 13 == 0)
			put(&b, NO_ID_ROW);
		if (fake && b.n + 8192 > probe_end) {
			const char *at;
			size_t k;

			contact(&row, i, i, fake);
			at = strstr(row.p, "copied from the old CRM:\n");
			assert_non_null(at);
			at += strlen("copied from the old CRM:\n") + 30;
			assert_true(b.n + (size_t)(at - row.p) <= probe_end);
			for (k = b.n + (size_t)(at - row.p); k < probe_end; k++)
				put(&b, "\n");
			put(&b, "%s", row.p);
			fake = 0;
			continue;
		}
		contact(&b, i, i, 0);
	}
	put(&b, NO_ID_ROW);
	put(&b, FOOTER);
	tl_write_file(contacts_path, b.p);
	free(b.p);
	free(row.p);
	write_deals(i);
}

/* Reads the files split at `at`, compares with `one` (the files read in
 * one pass), and returns how the split reading went (its q.threads). */
static int compare_with(const char *what, const run *one, unsigned long long at)
{
	run *two = read_files(2, at);
	int threads = two->q[0].threads;

	assert_int_equal(one->q[0].threads, 1);
	same_results(what, one, two);
	run_free(two);
	return threads;
}

static int compare_at(const char *what, unsigned long long at)
{
	run *one = read_files(1, 0);
	int threads = compare_with(what, one, at);

	run_free(one);
	return threads;
}

/* ---- the tests ---- */

/* Every byte of the file as the place to split at: inside quoted fields
 * with line breaks, inside CRLF, at record starts.  Both ways of ending
 * happen: halves merged, and a second half read again. */
static void test_split_at_every_offset_gives_one_pass_results(void **state)
{
	int ids[61] = { 0 }, merged = 0, again = 0;
	size_t size, at;
	char *text;
	run *one;
	char what[64];

	(void)state;
	ids[9] = 3;      /* a duplicate inside the first half */
	ids[52] = 47;    /* and inside the second */
	write_contacts(60, ids, 0, 0, 0x9E3779B97F4A7C15ULL);
	text = tl_read_file(contacts_path, &size);
	free(text);
	one = read_files(1, 0);
	for (at = 0; at < size; at += 2) {
		snprintf(what, sizeof(what), "split at %zu", at);
		if (compare_with(what, one, at) == 2)
			merged++;
		else
			again++;
	}
	run_free(one);
	assert_true(merged > 0);
	assert_true(again > 0);
}

/* The middle of the file falls inside a quoted field with line breaks:
 * the second half starts at the next record, and the halves merge. */
static void test_split_quoted_line_breaks_at_the_split_point(void **state)
{
	size_t middle, i, size;
	char *text;
	int n = 0;

	(void)state;
	middle = write_contacts(40, NULL, 21, -1, 7);
	text = tl_read_file(contacts_path, &size);
	/* Before each line break inside row 21's notes (the middle row). */
	assert_non_null(strstr(text + middle, "\"first line"));
	for (i = (size_t)(strstr(text + middle, "\"first line") - text); i < size && n < 3; i++) {
		if (text[i] != '\n')
			continue;
		n++;
		assert_int_equal(compare_at("inside the middle row", i - 1), 2);
	}
	assert_int_equal(n, 3);
	free(text);
}

/* Text shaped like whole records inside a quoted field at the middle:
 * the boundary found there is no boundary, the first half says so by not
 * ending cleanly, and the second half is read again: the same results. */
static void test_split_record_shaped_text_in_quotes_is_caught(void **state)
{
	size_t middle, size;
	char *text;
	const char *fake;

	(void)state;
	middle = write_contacts(40, NULL, 21, 12, 11);
	text = tl_read_file(contacts_path, &size);
	fake = strstr(text + middle, "copied from the old CRM:\n");
	assert_non_null(fake);
	/* In the first of the twelve record-shaped lines. */
	assert_int_equal(compare_at("inside record-shaped text",
				    (unsigned long long)(fake - text) + 30), 1);
	free(text);
}

/* Duplicates on both sides of the split, each within its half: merged,
 * the first of each pair kept.  One ID in both halves: the later row is
 * the duplicate, which the second half cannot know; it is read again. */
static void test_split_duplicates_on_both_sides(void **state)
{
	int ids[81] = { 0 };
	size_t middle;
	run *two;

	(void)state;
	ids[5] = 2;
	ids[30] = 31;
	ids[55] = 44;
	ids[70] = 69;
	middle = write_contacts(80, ids, 0, 0, 3);
	assert_int_equal(compare_at("duplicates within halves", middle), 2);
	two = read_files(2, middle);
	assert_int_equal(two->q[0].duplicates, 4);
	run_free(two);

	ids[60] = 12;    /* row 12 is in the first half, row 60 in the second */
	middle = write_contacts(80, ids, 0, 0, 3);
	assert_int_equal(compare_at("an ID in both halves", middle), 1);
	two = read_files(2, middle);
	assert_int_equal(two->q[0].duplicates, 5);
	run_free(two);
}

/* Deals joined to contacts of both halves, by their contact column and
 * by the contacts' deal lists (deal D1 is listed by contacts on both
 * sides: the first lister's channel and cohort win). */
static void test_split_deals_joined_across_the_split(void **state)
{
	size_t middle;
	run *two;

	(void)state;
	middle = write_contacts(70, NULL, 0, 0, 5);
	assert_int_equal(compare_at("deals", middle), 2);
	two = read_files(2, middle);
	assert_true(two->q[1].rows_read > 0);
	assert_true(two->q[1].unknown_contact + two->q[1].no_association <
		    two->q[1].rows_read);
	run_free(two);
}

/* Errors in either half are reported as one pass reports them: the
 * first in the file, with its line and column. */
static void test_split_errors_as_in_one_pass(void **state)
{
	buf b = { 0 };
	size_t middle = 0;
	int i;

	(void)state;
	/* A create date that is no date in the second half. */
	rng = 1;
	put(&b, HEADER);
	for (i = 1; i <= 60; i++) {
		if (i == 31)
			middle = b.n;
		if (i == 45) {
			put(&b, "Minji,45,,31.10.2026,,,,,,Paid search,,lead,,,,,,,,,\n");
			continue;
		}
		contact(&b, i, i, 0);
	}
	tl_write_file(contacts_path, b.p);
	write_deals(60);
	assert_int_equal(compare_at("bad date in the second half", middle), 1);
	/* And one in the first half as well: that one is reported. */
	b.n = 0;
	rng = 1;
	put(&b, HEADER);
	for (i = 1; i <= 60; i++) {
		if (i == 31)
			middle = b.n;
		if (i == 10 || i == 45) {
			put(&b, "Minji,%d,,31.10.2026,,,,,,Paid search,,lead,,,,,,,,,\n", i);
			continue;
		}
		contact(&b, i, i, 0);
	}
	tl_write_file(contacts_path, b.p);
	compare_at("bad dates in both halves", middle);
	/* A quote that never closes, at the end of the second half. */
	b.n = 0;
	rng = 1;
	put(&b, HEADER);
	for (i = 1; i <= 60; i++) {
		if (i == 31)
			middle = b.n;
		contact(&b, i, i, 0);
	}
	put(&b, "Minji,61,\"x,2026-10-01 10:00,,,,,,Paid search,,lead,,,,,,,,,\n");
	tl_write_file(contacts_path, b.p);
	compare_at("unterminated quote in the second half", middle);
	/* The file cut inside its last row, which the second half reads. */
	b.n = 0;
	rng = 1;
	put(&b, HEADER);
	for (i = 1; i <= 60; i++) {
		if (i == 31)
			middle = b.n;
		contact(&b, i, i, 0);
	}
	put(&b, "Minji,61,,2026-10-01 10:00,,,");
	tl_write_file(contacts_path, b.p);
	{
		run *one = read_files(1, 0);
		long lines = 1;
		const char *c;

		/* The last line of the file, line breaks in quotes counted. */
		for (c = b.p; *c; c++)
			lines += *c == '\n';
		assert_int_equal(one->rc[0], -1);
		assert_int_equal(one->err[0].line, lines);
		assert_non_null(strstr(one->err[0].msg, "cut short"));
		compare_with("a file cut inside its last row", one, middle);
		run_free(one);
	}
	free(b.p);
}

/* Rows narrower than the header are counted, and the first one named by
 * its line, as in one pass: in the second half only (where lines count
 * from its start), and on both sides. */
static void test_split_narrow_rows_as_in_one_pass(void **state)
{
	static const int narrow[][2] = { { 45, 0 }, { 10, 45 } };
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(narrow) / sizeof(narrow[0]); k++) {
		buf b = { 0 };
		size_t middle = 0;
		int i;
		run *one;

		rng = 1;
		put(&b, HEADER);
		for (i = 1; i <= 60; i++) {
			if (i == 31)
				middle = b.n;
			if (i == narrow[k][0] || i == narrow[k][1])
				put(&b, "Minji,%d,,2026-10-01 10:00,,,,,,Paid search\n", i);
			else
				contact(&b, i, i, 0);
		}
		tl_write_file(contacts_path, b.p);
		write_deals(60);
		one = read_files(1, 0);
		assert_int_equal(one->rc[0], 0);
		assert_int_equal(one->q[0].narrow_rows, k + 1);
		compare_with("narrow rows", one, middle);
		run_free(one);
		free(b.p);
	}
}

/* A footer-like line that records follow is an error, named as one pass
 * names it, on either side of the split and right before it. */
static void test_split_footer_line_before_records_as_in_one_pass(void **state)
{
	static const int at[] = { 10, 30, 31, 50 };
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		buf b = { 0 };
		size_t middle = 0;
		run *two;
		int i;

		/* With the ID first, a footer's text is where the ID goes. */
		rng = 2;
		put(&b, "Record ID,%s", HEADER + strlen("First Name,Record ID,"));
		for (i = 1; i <= 60; i++) {
			if (i == 31)
				middle = b.n;
			if (i == at[k])
				put(&b, "Total%.*s\n", WIDTH - 2, COMMAS);
			put(&b, "%d,", i);
			contact_fields(&b, i, 0);
		}
		tl_write_file(contacts_path, b.p);
		free(b.p);
		write_deals(60);
		compare_at("a footer line before records", middle);
		two = read_files(2, middle);
		assert_int_equal(two->rc[0], -1);
		assert_non_null(strstr(two->err[0].msg, "looks like a footer line"));
		run_free(two);
	}
}

/* threads 1 never splits, whatever the size. */
static void test_split_one_thread_reads_in_one_pass(void **state)
{
	size_t middle;
	run *x;

	(void)state;
	middle = write_contacts(40, NULL, 0, 0, 9);
	x = read_files(1, middle);
	if (x->rc[0] != 0)
		fail_msg("%s:%ld: %s", x->err[0].file, x->err[0].line, x->err[0].msg);
	assert_int_equal(x->q[0].threads, 1);
	run_free(x);
}

/* Read as a run reads them, beside the archive's hash: the first
 * megabytes alone, then in two halves or on in one pass as their costs
 * say; either way the results of one pass. */
static void test_split_probed_gives_one_pass_results(void **state)
{
	run *one, *probed;

	(void)state;
	write_big_contacts(5 * BP_INGEST_PROBE_BYTES, 0, 21);
	one = read_files(1, 0);
	probed = read_files_as(2, 0, 1);
	assert_int_equal(one->rc[0], 0);
	same_results("probed", one, probed);
	run_free(one);
	run_free(probed);
}

/* The first megabytes end inside a quoted field that looks like records
 * there: the quote cut short by that end is no error; the file is read on
 * in one pass, with its results. */
static void test_split_probe_ending_inside_quotes_reads_on(void **state)
{
	run *one, *probed;

	(void)state;
	write_big_contacts(5 * BP_INGEST_PROBE_BYTES, 12, 22);
	one = read_files(1, 0);
	probed = read_files_as(2, 0, 1);
	assert_int_equal(one->rc[0], 0);
	same_results("probe ending inside quotes", one, probed);
	assert_int_equal(probed->q[0].threads, 1);
	run_free(one);
	run_free(probed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_at_every_offset_gives_one_pass_results),
		cmocka_unit_test(test_split_quoted_line_breaks_at_the_split_point),
		cmocka_unit_test(test_split_record_shaped_text_in_quotes_is_caught),
		cmocka_unit_test(test_split_duplicates_on_both_sides),
		cmocka_unit_test(test_split_deals_joined_across_the_split),
		cmocka_unit_test(test_split_errors_as_in_one_pass),
		cmocka_unit_test(test_split_footer_line_before_records_as_in_one_pass),
		cmocka_unit_test(test_split_narrow_rows_as_in_one_pass),
		cmocka_unit_test(test_split_one_thread_reads_in_one_pass),
		cmocka_unit_test(test_split_probed_gives_one_pass_results),
		cmocka_unit_test(test_split_probe_ending_inside_quotes_reads_on),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
