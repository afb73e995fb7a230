/*
 * test_pdf.c - the PDF layout, checked with poppler's tools as the oracle:
 * pdftotext (text and word boxes), pdffonts (embedding), pdfinfo
 * (metadata, page size and count).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>

#include <hpdf.h>
#include <hpdf_fontdef.h>
#include <libxml/parser.h>
#include <zlib.h>

#include "pdf.h"
#include "render.h"
#include "testlib.h"

#define FIX "tests/fixtures/pdf/"
#define CFF_FONT "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

/* 2026-11-01T06:00:03Z: 20758 days after 1970-01-01 (56 years with 14
 * leap days to 2026-01-01 = 20454, plus 304 days to November 1st), times
 * 86400, plus 6 h 3 s. */
#define NOV_1_2026_0600 ((bp_time)20758 * 86400 + 6 * 3600 + 3)

static char *dir;
static char out[128];

static int setup(void **state)
{
	(void)state;
	dir = tl_tmpdir("/tmp/bp-test-pdf-XXXXXX");
	snprintf(out, sizeof(out), "%s/report.pdf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_rmtree(dir);
	free(dir);
	dir = NULL;
	return 0;
}

static int render_file(const char *fixture, const bp_pdf_options *opt,
		       bp_err *err)
{
	xmlDocPtr doc = xmlReadFile(fixture, NULL, XML_PARSE_NONET);
	int rc;

	assert_non_null(doc);
	rc = bp_pdf_write(doc, out, opt, err);
	xmlFreeDoc(doc);
	return rc;
}

static void render_ok(const char *fixture)
{
	bp_err err = {0};

	if (render_file(fixture, NULL, &err) != 0)
		fail_msg("bp_pdf_write: %s", err.msg);
}

static void render_string(const char *xml)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "mem.xml", NULL, 0);
	bp_err err = {0};

	assert_non_null(doc);
	if (bp_pdf_write(doc, out, NULL, &err) != 0)
		fail_msg("bp_pdf_write: %s", err.msg);
	xmlFreeDoc(doc);
}

static char *page_text(int page)
{
	return tl_run(NULL, "pdftotext -layout -f %d -l %d '%s' - 2>/dev/null",
		      page, page, out);
}

static long page_count(void)
{
	char *info = tl_run(NULL, "pdfinfo '%s' 2>/dev/null", out);
	char *p = strstr(info, "\nPages:");
	long n = p ? strtol(p + 7, NULL, 10) : -1;

	free(info);
	return n;
}

/* The word boxes of the whole file: calls fn for each word. */
struct box {
	double x0, y0, x1, y1, pw, ph;
	char text[256];
};

static size_t for_each_word(void (*fn)(const struct box *, void *), void *arg)
{
	char *html = tl_run(NULL, "pdftotext -bbox '%s' - 2>/dev/null", out);
	char *line = html, *nl;
	struct box b = {0};
	size_t n = 0;
	char *gt;

	for (; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (sscanf(line, " <page width=\"%lf\" height=\"%lf\"", &b.pw,
			   &b.ph) == 2)
			continue;
		if (sscanf(line, " <word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"",
			   &b.x0, &b.y0, &b.x1, &b.y1) != 4)
			continue;
		gt = strchr(line, '>');
		snprintf(b.text, sizeof(b.text), "%s", gt ? gt + 1 : "");
		if (strchr(b.text, '<'))
			*strchr(b.text, '<') = '\0';
		fn(&b, arg);
		n++;
	}
	free(html);
	return n;
}

static void word_inside_margins(const struct box *b, void *arg)
{
	double margin = *(double *)arg;

	if (b->x0 < margin - 0.5 || b->x1 > b->pw - margin + 0.5 ||
	    b->y0 < 0 || b->y1 > b->ph)
		fail_msg("word '%s' at x %.1f..%.1f y %.1f..%.1f is outside the page body",
			 b->text, b->x0, b->x1, b->y0, b->y1);
}

/* ---- text and fonts ---------------------------------------------------- */

static void test_pdf_text_has_english_korean_and_chinese(void **state)
{
	char *t;

	(void)state;
	render_ok(FIX "mixed.xml");
	t = tl_run(NULL, "pdftotext -layout '%s' - 2>/dev/null", out);
	assert_non_null(strstr(t, "Board report October 2026"));
	assert_non_null(strstr(t, "신규 리드"));
	assert_non_null(strstr(t, "유료 소셜"));
	assert_non_null(strstr(t, "渠道"));
	assert_non_null(strstr(t, "₩12,000,000"));
	assert_non_null(strstr(t, "1,234"));
	free(t);
}

/* Each font's text map (ToUnicode) is one a reader takes as it is: poppler
 * says nothing on reading the text, and what it reads is the text drawn,
 * in each script, also where a word is looked up by its characters. */
static void test_pdf_text_map_read_without_complaint(void **state)
{
	char *t;

	(void)state;
	render_ok(FIX "mixed.xml");
	t = tl_run(NULL, "pdftotext '%s' /dev/null 2>&1", out);
	if (*t)
		fail_msg("pdftotext complains: %s", t);
	free(t);
	t = tl_run(NULL, "pdftotext -raw '%s' - 2>&1", out);
	assert_non_null(strstr(t, "신규 리드"));
	assert_non_null(strstr(t, "渠道 经济"));
	assert_non_null(strstr(t, "₩6,500,000"));
	assert_non_null(strstr(t, "CAC trend 추세"));
	free(t);
}

static void test_pdf_fonts_are_embedded(void **state)
{
	char *t, *line, *emb;
	size_t col, rows = 0;

	(void)state;
	render_ok(FIX "mixed.xml");
	t = tl_run(NULL, "pdffonts '%s' 2>/dev/null", out);
	emb = strstr(t, " emb ");
	assert_non_null(emb);
	col = (size_t)(emb - t) + 1;
	assert_non_null(strstr(t, "DejaVuSans"));
	assert_non_null(strstr(t, "NanumGothic"));
	line = strchr(strchr(t, '\n') + 1, '\n') + 1;   /* past the rule */
	for (; *line; line = strchr(line, '\n') + 1) {
		assert_true(strlen(line) > col + 3);
		assert_memory_equal(line + col, "yes", 3);
		rows++;
		if (!strchr(line, '\n'))
			break;
		if (!strchr(line, '\n')[1])
			break;
	}
	assert_true(rows >= 2);
	free(t);
}

static void test_pdf_info_has_title_date_and_landscape_a4(void **state)
{
	bp_pdf_options opt = {NULL, NOV_1_2026_0600, NULL};
	bp_err err = {0};
	double w = 0, h = 0;
	char *t, *p;

	(void)state;
	assert_int_equal(render_file(FIX "mixed.xml", &opt, &err), 0);
	t = tl_run(NULL, "pdfinfo -isodates '%s' 2>/dev/null", out);
	assert_non_null(strstr(t, "Title:           Acme — Board Funnel\n"));
	assert_non_null(strstr(t, "CreationDate:    2026-11-01T06:00:03Z"));
	p = strstr(t, "Page size:");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "Page size: %lf x %lf", &w, &h), 2);
	assert_int_equal((long)(w + 0.5), 842);
	assert_int_equal((long)(h + 0.5), 595);
	assert_int_equal(page_count(), 2);
	free(t);
}

static void test_pdf_title_option_overrides_document(void **state)
{
	bp_pdf_options opt = {"보드 리포트 2026-10", BP_TIME_NONE, NULL};
	bp_err err = {0};
	char *t;

	(void)state;
	assert_int_equal(render_file(FIX "mixed.xml", &opt, &err), 0);
	t = tl_run(NULL, "pdfinfo '%s' 2>/dev/null", out);
	assert_non_null(strstr(t, "Title:           보드 리포트 2026-10\n"));
	free(t);
}

static void test_pdf_portrait_letter_when_document_says(void **state)
{
	char *t;

	(void)state;
	render_string("<document size='Letter' orientation='portrait'>"
		      "<p>x</p></document>");
	t = tl_run(NULL, "pdfinfo '%s' 2>/dev/null", out);
	assert_non_null(strstr(t, "612 x 792 pts"));
	free(t);
}

static void test_pdf_page_numbers_in_footer(void **state)
{
	char *p1, *p2;

	(void)state;
	render_ok(FIX "mixed.xml");
	p1 = page_text(1);
	p2 = page_text(2);
	assert_non_null(strstr(p1, "Page 1 of 2"));
	assert_non_null(strstr(p2, "Page 2 of 2"));
	assert_null(strstr(p1, "{page"));
	assert_non_null(strstr(p2, "generated 2026-11-01 06:00 UTC"));
	free(p1);
	free(p2);
}

/* ---- layout ------------------------------------------------------------- */

static void test_pdf_paragraph_wraps_inside_margins(void **state)
{
	double margin = 36;
	char *t;

	(void)state;
	render_ok(FIX "mixed.xml");
	assert_true(for_each_word(word_inside_margins, &margin) > 50);
	/* The 44-word paragraph cannot fit on one 770-point line. */
	t = page_text(1);
	assert_non_null(strstr(t, "rather than run past the"));
	assert_null(strstr(t, "past the right margin of the landscape"));
	free(t);
}

static void count_lines(const struct box *b, void *arg)
{
	double *last = arg;

	if (b->y0 != last[0]) {
		last[0] = b->y0;
		last[1]++;
	}
}

static void test_pdf_cjk_text_breaks_between_characters(void **state)
{
	char doc[8192] = "<document margin='36'><p>";
	double margin = 36, lines[2] = {-1, 0};
	int i;

	(void)state;
	for (i = 0; i < 200; i++)
		strcat(doc, "渠道");
	strcat(doc, "</p></document>");
	render_string(doc);
	for_each_word(word_inside_margins, &margin);
	for_each_word(count_lines, lines);
	/* 400 ideographs of 10 points, 770 points a line: at least 5 lines. */
	assert_true(lines[1] >= 5);
}

static void number_right_edge(const struct box *b, void *arg)
{
	double *x = arg;

	if (strcmp(b->text, "12,345") == 0)
		x[0] = b->x1;
	if (strcmp(b->text, "Words") == 0)
		x[1] = b->x0;
}

static void test_pdf_numbers_right_aligned_by_default(void **state)
{
	double x[2] = {0, 0};

	(void)state;
	render_string("<document margin='36'><table widths='1 1'>"
		      "<tr><td>Words</td><td>12,345</td></tr></table></document>");
	for_each_word(number_right_edge, x);
	/* Columns 36..421 and 421..806, 4 points of padding. */
	assert_true(x[0] > 801 && x[0] <= 802.5);
	assert_true(x[1] >= 39.5 && x[1] < 41);
}

static void test_pdf_long_table_repeats_header_on_each_page(void **state)
{
	long pages, i;
	char *t, want[32];

	(void)state;
	render_ok(FIX "long-table.xml");
	pages = page_count();
	/* 300 rows of about 19 points in 523 points: 11 or more pages. */
	assert_true(pages >= 11);
	for (i = 1; i <= pages; i++) {
		t = page_text((int)i);
		assert_int_equal(tl_count(t, "Channel name"), 1);
		snprintf(want, sizeof(want), "%ld / %ld", i, pages);
		assert_non_null(strstr(t, want));
		free(t);
	}
}

static void test_pdf_long_table_has_every_row_once(void **state)
{
	char *t, want[32];
	double margin = 36;
	int i;

	(void)state;
	render_ok(FIX "long-table.xml");
	t = tl_run(NULL, "pdftotext -layout '%s' - 2>/dev/null", out);
	for (i = 1; i <= 300; i++) {
		snprintf(want, sizeof(want), "row %04d ", i);
		if (tl_count(t, want) != 1)
			fail_msg("'%s' appears %zu times", want, tl_count(t, want));
	}
	assert_int_equal(tl_count(t, "row 0"), 300);
	free(t);
	for_each_word(word_inside_margins, &margin);
}

static void test_pdf_drawing_moves_to_new_page_when_short_of_room(void **state)
{
	char doc[8192] = "<document margin='36'>";
	char *p1, *p2;
	int i;

	(void)state;
	for (i = 0; i < 20; i++)
		strcat(doc, "<p>Filler paragraph.</p>");
	strcat(doc, "<drawing width='640' height='280'>"
		    "<rect x='0' y='0' width='640' height='280' fill='#eeeeee'/>"
		    "<text x='320' y='140' font-size='12' text-anchor='middle'>"
		    "ChartLabel</text></drawing></document>");
	render_string(doc);
	assert_int_equal(page_count(), 2);
	p1 = page_text(1);
	p2 = page_text(2);
	assert_null(strstr(p1, "ChartLabel"));
	assert_non_null(strstr(p2, "ChartLabel"));
	free(p1);
	free(p2);
}

static void test_pdf_page_break_starts_new_page(void **state)
{
	(void)state;
	render_string("<document><p>one</p><page-break/><page-break/>"
		      "<p>two</p></document>");
	/* A break on a fresh page adds nothing. */
	assert_int_equal(page_count(), 2);
}

/* ---- errors ------------------------------------------------------------- */

static void test_pdf_missing_font_names_the_path(void **state)
{
	bp_pdf_options opt = {NULL, BP_TIME_NONE, "/nonexistent/bp-font.ttf"};
	bp_err err = {0};

	(void)state;
	assert_int_equal(render_file(FIX "mixed.xml", &opt, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.msg, "font '/nonexistent/bp-font.ttf' not found");
	assert_int_equal(tl_count_entries(dir), 0);
}

static void test_pdf_postscript_outline_font_refused(void **state)
{
	bp_pdf_options opt = {NULL, BP_TIME_NONE, CFF_FONT};
	bp_err err = {0};

	(void)state;
	if (access(CFF_FONT, R_OK) != 0)
		skip();
	assert_int_equal(render_file(FIX "mixed.xml", &opt, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.msg, CFF_FONT));
	assert_non_null(strstr(err.msg, "no TrueType outlines"));
}

/* ---- compression (pdf.c deflates the board pack at level 1) ---- */

/* `in` deflated in one call at `level`, with the parameters deflateInit()
 * gives (deflateInit2_ is zlib's own: pdf.c does not replace it). */
static unsigned char *deflate_at(const unsigned char *in, size_t n, int level,
				 size_t *len)
{
	z_stream z;
	unsigned char *buf;
	size_t cap = n + n / 8 + 1024;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2_(&z, level, Z_DEFLATED, MAX_WBITS, 8,
				       Z_DEFAULT_STRATEGY, ZLIB_VERSION,
				       (int)sizeof(z)), Z_OK);
	buf = malloc(cap);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)n;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*len = z.total_out;
	deflateEnd(&z);
	return buf;
}

/* The zlib stream at `p` (at most `n` bytes), inflated. */
static unsigned char *inflated(const unsigned char *p, size_t n, size_t *len)
{
	z_stream z;
	size_t cap = 1 << 16;
	unsigned char *buf = malloc(cap);
	int rc;

	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit(&z), Z_OK);
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	do {
		if (z.total_out == cap) {
			buf = realloc(buf, cap * 2);
			cap *= 2;
		}
		z.next_out = buf + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		rc = inflate(&z, Z_NO_FLUSH);
	} while (rc == Z_OK);
	assert_int_equal(rc, Z_STREAM_END);
	*len = z.total_out;
	inflateEnd(&z);
	return buf;
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Every deflated stream of a board pack (the fonts, their maps, the
 * pages) is byte for byte what level 1 makes of its content, and some are
 * not what the default level makes: the test can tell the two apart. */
static void test_pdf_streams_are_deflated_at_level_1(void **state)
{
	size_t n, streams = 0, unlike_default = 0, raw_total = 0;
	unsigned char *pdf, *p, *end;

	(void)state;
	render_ok(FIX "mixed.xml");
	pdf = read_all(out, &n);
	end = pdf + n;
	for (p = pdf; (p = memmem(p, (size_t)(end - p), "stream\r\n", 8)) != NULL;) {
		unsigned char *data = p + 8, *stop, *raw, *one, *six;
		size_t raw_n, one_n, six_n, len;

		stop = memmem(data, (size_t)(end - data), "endstream", 9);
		assert_non_null(stop);
		/* libharu ends the data with a line end before "endstream". */
		len = (size_t)(stop - data);
		while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
			len--;
		raw = inflated(data, len, &raw_n);
		one = deflate_at(raw, raw_n, Z_BEST_SPEED, &one_n);
		six = deflate_at(raw, raw_n, Z_DEFAULT_COMPRESSION, &six_n);
		assert_true(one_n <= len);
		assert_memory_equal(data, one, one_n);
		assert_int_equal(len, one_n);
		unlike_default += six_n != one_n || memcmp(six, one, one_n) != 0;
		raw_total += raw_n;
		streams++;
		free(raw);
		free(one);
		free(six);
		p = stop + 9;
	}
	/* Two fonts with their maps and a page at least. */
	assert_true(streams >= 5);
	assert_true(unlike_default >= 1);
	assert_true(raw_total > 100000);
	free(pdf);
}

/* Away from the board pack, a deflate keeps the level it asks for: the
 * replacement deflateInit_ is the process's, and passes levels on. */
static void test_pdf_deflate_elsewhere_keeps_its_level(void **state)
{
	unsigned char in[1 << 16], got[1 << 17], *nine, *one;
	size_t nine_n, one_n, i;
	uint32_t x = 12345;
	z_stream z;

	(void)state;
	/* Text-like bytes: compressible, with matches at many distances. */
	for (i = 0; i < sizeof(in); i++) {
		x = x * 1103515245u + 12345u;
		in[i] = (unsigned char)("the board pack funnel "[(x >> 16) % 22]);
	}
	memset(&z, 0, sizeof(z));
	assert_true(dlsym(RTLD_DEFAULT, "deflateInit_") != dlsym(RTLD_NEXT, "deflateInit_"));
	assert_int_equal(deflateInit(&z, 9), Z_OK);
	z.next_in = in;
	z.avail_in = sizeof(in);
	z.next_out = got;
	z.avail_out = sizeof(got);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	nine = deflate_at(in, sizeof(in), 9, &nine_n);
	one = deflate_at(in, sizeof(in), Z_BEST_SPEED, &one_n);
	assert_int_equal(z.total_out, nine_n);
	assert_memory_equal(got, nine, nine_n);
	assert_true(one_n != nine_n || memcmp(one, nine, one_n) != 0);
	deflateEnd(&z);
	free(nine);
	free(one);
}

/* ---- the glyph lookup (pdf.c replaces libharu's linear search) ---- */

typedef HPDF_UINT16 (*glyph_fn)(HPDF_FontDef, HPDF_UINT16);

/* dlsym's answer as the function it is (POSIX guarantees the sizes). */
static glyph_fn lookup(void *handle)
{
	void *p = dlsym(handle, "HPDF_TTFontDef_GetGlyphid");
	glyph_fn f;

	memcpy(&f, &p, sizeof(f));
	return f;
}

/* The fonts of the default chain that Debian ships, and those it may. */
static const char *const chain_fonts[] = {
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
	"/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
	"/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
};

/* libharu itself calls the bisecting lookup: the name resolves, for
 * everyone, to boardpack's definition, not to the library's. */
static void test_pdf_glyph_lookup_replaces_libharus(void **state)
{
	glyph_fn global = lookup(RTLD_DEFAULT), library = lookup(RTLD_NEXT);
	glyph_fn ours = HPDF_TTFontDef_GetGlyphid;

	(void)state;
	assert_non_null(library);
	assert_true(global == ours);
	assert_true(library != ours);
}

/* On every code point of every font of the default chain, the glyph the
 * bisection finds is the one libharu's own lookup finds.  DejaVu and
 * Nanum are required (the project installs them); the others are
 * checked when present. */
static void test_pdf_glyph_lookup_agrees_with_libharu(void **state)
{
	glyph_fn theirs = lookup(RTLD_NEXT);
	size_t i, checked = 0;
	unsigned cp;

	(void)state;
	assert_non_null(theirs);
	for (i = 0; i < sizeof(chain_fonts) / sizeof(chain_fonts[0]); i++) {
		const char *path = chain_fonts[i], *name;
		HPDF_Doc doc;
		HPDF_FontDef def;
		size_t mapped = 0;

		if (access(path, R_OK) != 0) {
			if (i < 4)
				fail_msg("%s is missing: the default fonts are not installed", path);
			continue;
		}
		doc = HPDF_New(NULL, NULL);
		assert_non_null(doc);
		name = strstr(path, ".ttc") ? HPDF_LoadTTFontFromFile2(doc, path, 0, HPDF_FALSE)
					    : HPDF_LoadTTFontFromFile(doc, path, HPDF_FALSE);
		assert_non_null(name);
		def = HPDF_GetFontDef(doc, name);
		assert_non_null(def);
		for (cp = 0; cp <= 0xFFFF; cp++) {
			HPDF_UINT16 ours = HPDF_TTFontDef_GetGlyphid(def, (HPDF_UINT16)cp);

			if (ours != theirs(def, (HPDF_UINT16)cp))
				fail_msg("%s: U+%04X: glyph %u, libharu's %u", path, cp,
					 ours, theirs(def, (HPDF_UINT16)cp));
			mapped += ours != 0;
		}
		/* Not a vacuous agreement on glyph 0 everywhere. */
		assert_true(mapped > 2000);
		HPDF_Free(doc);
		checked++;
	}
	assert_true(checked >= 4);
}

static uint16_t get16(const unsigned char *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t get32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A font whose character map lists its first two segments in the wrong
 * order is refused, by path, rather than searched by bisection (which
 * could then find another glyph than libharu's walk). */
static void test_pdf_font_with_unordered_cmap_refused(void **state)
{
	const char *src = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
	char path[160];
	bp_pdf_options opt = {NULL, BP_TIME_NONE, path};
	bp_err err = {0};
	unsigned char *b;
	size_t len, swapped = 0;
	unsigned i, j, ntables, nsub;
	FILE *fp = fopen(src, "rb");

	(void)state;
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = (size_t)ftell(fp);
	rewind(fp);
	b = malloc(len);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, len, fp), len);
	fclose(fp);
	ntables = get16(b + 4);
	for (i = 0; i < ntables; i++) {
		const unsigned char *rec = b + 12 + 16 * i;
		unsigned char *cmap = b + get32(rec + 8);

		if (memcmp(rec, "cmap", 4) != 0)
			continue;
		nsub = get16(cmap + 2);
		for (j = 0; j < nsub; j++) {
			uint32_t off = get32(cmap + 4 + 8 * j + 4);
			unsigned char *st = cmap + off, t[2];
			unsigned k, seen = 0;

			/* Encoding records may share a subtable: swap it once. */
			for (k = 0; k < j; k++)
				seen |= get32(cmap + 4 + 8 * k + 4) == off;
			if (seen || get16(st) != 4 || get16(st + 6) < 4)
				continue;
			/* endCode[] starts after 7 words */
			memcpy(t, st + 14, 2);
			memcpy(st + 14, st + 16, 2);
			memcpy(st + 16, t, 2);
			swapped++;
		}
	}
	assert_true(swapped > 0);
	snprintf(path, sizeof(path), "%s/damaged.ttf", dir);
	tl_write_bytes(path, b, len, 0644);
	free(b);
	assert_int_equal(render_file(FIX "mixed.xml", &opt, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "out of order"));
}

static void test_pdf_font_override_is_used(void **state)
{
	bp_pdf_options opt = {NULL, BP_TIME_NONE,
			      "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"};
	bp_err err = {0};
	char *t;

	(void)state;
	assert_int_equal(render_file(FIX "mixed.xml", &opt, &err), 0);
	t = tl_run(NULL, "pdffonts '%s' 2>/dev/null", out);
	/* Every Latin letter NanumGothic has comes from it: DejaVu only
	 * draws what Nanum lacks (none here), so it is not in the file. */
	assert_non_null(strstr(t, "NanumGothic"));
	assert_null(strstr(t, "DejaVuSans,Book"));
	free(t);
}

static void test_pdf_output_dir_missing_fails_cleanly(void **state)
{
	bp_err err = {0};
	xmlDocPtr doc = xmlReadFile(FIX "mixed.xml", NULL, 0);
	char path[160];

	(void)state;
	snprintf(path, sizeof(path), "%s/no/such/dir/report.pdf", dir);
	assert_int_equal(bp_pdf_write(doc, path, NULL, &err), -1);
	xmlFreeDoc(doc);
	assert_int_equal(err.code, BP_ECANTCREAT);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(tl_count_entries(dir), 0);
}

static void test_pdf_unreplaceable_output_leaves_no_temp_file(void **state)
{
	bp_err err = {0};

	(void)state;
	/* A directory where the file should go: the temporary file is
	 * written, the rename fails, and the temporary file must go. */
	assert_int_equal(mkdir(out, 0755), 0);
	assert_int_equal(render_file(FIX "mixed.xml", NULL, &err), -1);
	assert_int_equal(err.code, BP_ECANTCREAT);
	assert_int_equal(tl_count_entries(dir), 1);
}

static void test_pdf_unknown_element_names_file_and_line(void **state)
{
	bp_err err = {0};

	(void)state;
	assert_int_equal(render_file(FIX "unknown.xml", NULL, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.file, FIX "unknown.xml");
	assert_int_equal(err.line, 4);
	assert_string_equal(err.msg, "unknown element <marquee> in the page document");
	assert_int_equal(tl_count_entries(dir), 0);
}

/* ---- templates ---------------------------------------------------------- */

/* Expands the one PDF template for `lang` against a metrics fixture (the
 * run's language set as a run in that language would) and lays it out. */
static void expand_and_render_from(const char *metrics_path, const char *lang)
{
	bp_err err = {0};
	xmlDocPtr metrics, page;
	xmlNodePtr run;
	int rc;

	metrics = xmlReadFile(metrics_path, NULL, 0);
	assert_non_null(metrics);
	for (run = xmlDocGetRootElement(metrics)->children; run; run = run->next)
		if (run->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(run->name, BAD_CAST "run"))
			xmlSetProp(run, BAD_CAST "language", BAD_CAST lang);
	page = bp_render_expand(metrics, "templates/report.pdf.xml", &err);
	if (!page)
		fail_msg("expand %s: %s:%ld: %s", lang, err.file, err.line, err.msg);
	rc = bp_pdf_write(page, out, NULL, &err);
	xmlFreeDoc(page);
	xmlFreeDoc(metrics);
	if (rc != 0)
		fail_msg("bp_pdf_write %s: %s", lang, err.msg);
}

static void expand_and_render(const char *lang)
{
	expand_and_render_from("tests/fixtures/metrics-sample.xml", lang);
}

static void test_pdf_english_template_renders_sample(void **state)
{
	double margin = 36;
	char *t;

	(void)state;
	expand_and_render("en");
	t = tl_run(NULL, "pdftotext -layout '%s' - 2>/dev/null", out);
	assert_non_null(strstr(t, "Acme — Board Funnel"));
	assert_non_null(strstr(t, "October 2026"));
	assert_non_null(strstr(t, "Cohort funnel"));
	assert_non_null(strstr(t, "Organic search"));
	assert_non_null(strstr(t, "Metric definitions"));
	assert_null(strstr(t, "{page"));
	free(t);
	for_each_word(word_inside_margins, &margin);
}

static void test_pdf_korean_template_renders_sample(void **state)
{
	char *t;

	(void)state;
	expand_and_render("ko");
	t = tl_run(NULL, "pdftotext -layout '%s' - 2>/dev/null", out);
	assert_non_null(strstr(t, "신규 리드"));
	assert_non_null(strstr(t, "코호트 퍼널"));
	assert_non_null(strstr(t, "지표 정의"));
	/* a default channel in Korean, by its id */
	assert_non_null(strstr(t, "자연 검색"));
	free(t);
}

static void test_pdf_chinese_template_renders_sample(void **state)
{
	char *t;

	(void)state;
	expand_and_render("zh-TW");
	t = tl_run(NULL, "pdftotext -layout '%s' - 2>/dev/null", out);
	assert_non_null(strstr(t, "新潛在客戶"));
	assert_non_null(strstr(t, "名單漏斗"));
	assert_non_null(strstr(t, "指標定義"));
	assert_non_null(strstr(t, "付費搜尋"));
	assert_non_null(strstr(t, "2026年10月"));
	free(t);
}

/* Dark pixels of page 1 rendered in grey at 72 dpi (pdftoppm). */
static long dark_pixels(void)
{
	char pgm[160], *done;
	long w, h, max, dark = 0, i;
	FILE *fp;
	int c;

	snprintf(pgm, sizeof(pgm), "%s/page", dir);
	done = tl_run(NULL, "pdftoppm -r 72 -gray -singlefile '%s' '%s' 2>/dev/null",
		      out, pgm);
	free(done);
	strcat(pgm, ".pgm");
	fp = fopen(pgm, "rb");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "P5 %ld %ld %ld", &w, &h, &max), 3);
	fgetc(fp);
	for (i = 0; i < w * h && (c = fgetc(fp)) != EOF; i++)
		dark += c < 128;
	fclose(fp);
	unlink(pgm);
	return dark;
}

/* A character WenQuanYi builds of parts (售, 贏, 众) is drawn, not left
 * blank: every part of a used glyph is embedded. */
static void test_pdf_composite_cjk_glyph_is_drawn(void **state)
{
	long blank, drawn;

	(void)state;
	if (access("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", R_OK) != 0)
		skip();
	render_string("<document><p> </p></document>");
	blank = dark_pixels();
	render_string("<document><h1>\xe5\x94\xae\xe5\x94\xae\xe5\x94\xae\xe5\x94\xae</h1></document>");
	drawn = dark_pixels();
	assert_true(drawn > blank + 100);
}

/* ---- sections and layout ------------------------------------------------ */

static void test_pdf_sections_are_named_destinations(void **state)
{
	char *d;

	(void)state;
	expand_and_render_from("tests/fixtures/metrics-full.xml", "en");
	d = tl_run(NULL, "pdfinfo -dests '%s' 2>/dev/null", out);
	/* the HTML's section ids, whatever the language */
	assert_non_null(strstr(d, "\"summary\""));
	assert_non_null(strstr(d, "\"targets\""));
	assert_non_null(strstr(d, "\"channels\""));
	assert_non_null(strstr(d, "\"pipeline\""));
	assert_non_null(strstr(d, "\"campaigns\""));
	assert_non_null(strstr(d, "\"definitions\""));
	free(d);
}

static void test_pdf_first_page_has_no_running_header(void **state)
{
	char *p1, *p2;

	(void)state;
	render_string("<document><header first-page='0'>RunningHead</header>"
		      "<h1>Title</h1><page-break/><p>two</p></document>");
	p1 = page_text(1);
	p2 = page_text(2);
	assert_null(strstr(p1, "RunningHead"));
	assert_non_null(strstr(p2, "RunningHead"));
	free(p1);
	free(p2);
}

/* A table whose last rows would fit alone on the first page: a page
 * never holds fewer than three of its rows. */
static void test_pdf_table_split_keeps_three_rows_together(void **state)
{
	char doc[16384] = "<document margin='36'>";
	char row[96], *p1, *p2;
	int i, fill;

	(void)state;
	/* 22 paragraphs of 21 points leave room for two rows */
	for (fill = 0; fill < 22; fill++)
		strcat(doc, "<p>Filler paragraph.</p>");
	strcat(doc, "<table><tr header='1'><td>Head</td></tr>");
	for (i = 1; i <= 8; i++) {
		snprintf(row, sizeof(row), "<tr><td>tablerow%d</td></tr>", i);
		strcat(doc, row);
	}
	strcat(doc, "</table></document>");
	render_string(doc);
	p1 = page_text(1);
	p2 = page_text(2);
	i = (int)tl_count(p1, "tablerow");
	assert_true(i == 0 || i >= 3);
	assert_true(tl_count(p2, "tablerow") >= 3);
	assert_int_equal(tl_count(p1, "tablerow") + tl_count(p2, "tablerow"), 8);
	free(p1);
	free(p2);
}

/* A table of 5 rows that does not fit: never 4 + 1. */
static void test_pdf_table_last_rows_never_alone(void **state)
{
	char doc[16384] = "<document margin='36'>";
	char row[96], *p1, *p2;
	int i, fill;

	(void)state;
	for (fill = 0; fill < 20; fill++)
		strcat(doc, "<p>Filler paragraph.</p>");
	strcat(doc, "<table><tr header='1'><td>Head</td></tr>");
	for (i = 1; i <= 5; i++) {
		snprintf(row, sizeof(row), "<tr><td>tablerow%d</td></tr>", i);
		strcat(doc, row);
	}
	strcat(doc, "</table></document>");
	render_string(doc);
	p1 = page_text(1);
	p2 = page_count() > 1 ? page_text(2) : strdup("");
	assert_true(tl_count(p1, "tablerow") != 4 && tl_count(p1, "tablerow") != 1);
	assert_true(tl_count(p2, "tablerow") == 0 || tl_count(p2, "tablerow") >= 3);
	free(p1);
	free(p2);
}

static void words_list(const struct box *b, void *arg)
{
	char *all = arg;

	if (strlen(all) + strlen(b->text) + 2 < 4096) {
		strcat(all, b->text);
		strcat(all, "|");
	}
}

/* A narrow column's heading wraps at its space, never inside a word. */
static void test_pdf_table_header_never_breaks_a_word(void **state)
{
	char words[4096] = "|";

	(void)state;
	render_string("<document><table widths='8 0.3 0.3'>"
		      "<tr header='1'><td>Channel</td><td>New customers</td>"
		      "<td>Opportunities</td></tr>"
		      "<tr><td>Paid search</td><td>12</td><td>34</td></tr>"
		      "</table></document>");
	for_each_word(words_list, words);
	assert_non_null(strstr(words, "|Opportunities|"));
	assert_non_null(strstr(words, "|customers|"));
}

struct value_box { double x1, box_right; };

static void value_right(const struct box *b, void *arg)
{
	struct value_box *v = arg;

	if (strstr(b->text, "1,234,567,890"))
		v->x1 = b->x1;
}

/* A long figure in a scorecard is set smaller, never broken or spilling
 * out of its box. */
static void test_pdf_long_kpi_value_fits_its_box(void **state)
{
	struct value_box v = {0, 0};

	(void)state;
	render_string("<document margin='36'><kpis>"
		      "<kpi label='a' value='₩1,234,567,890,123'/><kpi label='b' value='1'/>"
		      "<kpi label='c' value='2'/><kpi label='d' value='3'/>"
		      "<kpi label='e' value='4'/></kpis></document>");
	for_each_word(value_right, &v);
	/* five boxes of 146 points from x = 36 */
	assert_true(v.x1 > 36 && v.x1 < 36 + 146);
}

static void test_pdf_columns_put_drawings_side_by_side(void **state)
{
	char *t;

	(void)state;
	render_string("<document><columns>"
		      "<drawing width='300' height='100'><text x='10' y='50'>LeftChart</text></drawing>"
		      "<drawing width='300' height='100'><text x='10' y='50'>RightChart</text></drawing>"
		      "</columns></document>");
	assert_int_equal(page_count(), 1);
	t = tl_run(NULL, "pdftotext -layout '%s' - 2>/dev/null", out);
	/* one line holds both */
	assert_non_null(strstr(t, "LeftChart"));
	assert_true(strchr(strstr(t, "LeftChart"), '\n') > strstr(t, "RightChart"));
	free(t);
}

struct row_y {
	const char *word;
	double y;
};

static void find_row(const struct box *b, void *arg)
{
	struct row_y *r = arg;

	if (strcmp(b->text, r->word) == 0)
		r->y = (b->y0 + b->y1) / 2;
}

/* The grey level (0–255) of page 1 at (x, y) points, rendered at 72 dpi. */
static int grey_at(double x, double y)
{
	char pgm[160], *t;
	int w, h, max, v = -1;
	FILE *f;

	snprintf(pgm, sizeof(pgm), "%s/page", dir);
	t = tl_run(NULL, "pdftoppm -r 72 -gray -singlefile -f 1 -l 1 '%s' '%s' 2>&1",
		   out, pgm);
	free(t);
	strcat(pgm, ".pgm");
	f = fopen(pgm, "rb");
	assert_non_null(f);
	if (fscanf(f, "P5 %d %d %d", &w, &h, &max) == 3 && fgetc(f) != EOF &&
	    x >= 0 && x < w && y >= 0 && y < h &&
	    fseek(f, (long)((int)y * w + (int)x), SEEK_CUR) == 0)
		v = fgetc(f);
	fclose(f);
	return v;
}

static void test_pdf_total_row_bold_on_its_own_ground(void **state)
{
	struct row_y paid = {"Paid", -1}, sum = {"Total", -1};
	char *xml;
	int g;

	(void)state;
	render_string("<document margin='36'><table widths='1 1'>"
		      "<tr header='1'><td>Channel</td><td>Leads</td></tr>"
		      "<tr><td>Paid</td><td>10</td></tr>"
		      "<tr><td>Organic</td><td>5</td></tr>"
		      "<tr total='1'><td>Total</td><td>15</td></tr>"
		      "</table></document>");
	/* poppler marks the text it reads in a bold face <b> */
	xml = tl_run(NULL, "pdftohtml -xml -i -stdout '%s' 2>/dev/null", out);
	g = strstr(xml, "<b>Channel</b>") && strstr(xml, ">Paid</text>") &&
	    strstr(xml, "<b>Total</b>") && strstr(xml, "<b>15</b>");
	if (!g)
		fail_msg("want the header and the total in bold, the body not:\n%s", xml);
	free(xml);
	/* a light ground under the total, none under a body row: sampled in
	 * the first cell's padding, left of the text */
	for_each_word(find_row, &paid);
	for_each_word(find_row, &sum);
	assert_true(paid.y > 0 && sum.y > paid.y);
	assert_int_equal(grey_at(37.5, paid.y), 255);
	g = grey_at(37.5, sum.y);
	if (g < 240 || g > 252)
		fail_msg("total row ground %d, want a light grey (240-252)", g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pdf_text_has_english_korean_and_chinese, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_text_map_read_without_complaint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_fonts_are_embedded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_streams_are_deflated_at_level_1, setup, teardown),
		cmocka_unit_test(test_pdf_deflate_elsewhere_keeps_its_level),
		cmocka_unit_test(test_pdf_glyph_lookup_replaces_libharus),
		cmocka_unit_test(test_pdf_glyph_lookup_agrees_with_libharu),
		cmocka_unit_test_setup_teardown(test_pdf_font_with_unordered_cmap_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_info_has_title_date_and_landscape_a4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_title_option_overrides_document, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_portrait_letter_when_document_says, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_page_numbers_in_footer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_paragraph_wraps_inside_margins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_cjk_text_breaks_between_characters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_numbers_right_aligned_by_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_long_table_repeats_header_on_each_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_long_table_has_every_row_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_drawing_moves_to_new_page_when_short_of_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_page_break_starts_new_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_missing_font_names_the_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_postscript_outline_font_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_font_override_is_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_output_dir_missing_fails_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_unreplaceable_output_leaves_no_temp_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_unknown_element_names_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_english_template_renders_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_korean_template_renders_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_chinese_template_renders_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_composite_cjk_glyph_is_drawn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_sections_are_named_destinations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_first_page_has_no_running_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_table_split_keeps_three_rows_together, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_table_last_rows_never_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_table_header_never_breaks_a_word, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_long_kpi_value_fits_its_box, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_columns_put_drawings_side_by_side, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_total_row_bold_on_its_own_ground, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
