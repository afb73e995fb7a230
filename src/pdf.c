/*
 * pdf.c - lays out an expanded page document with libharu (see pdf.h).
 *
 * Layout is one pass from top to bottom.  Every page handle is kept, so the
 * header and footer, which may name the page count, are drawn on each page
 * at the end, when the count is known.
 *
 * libharu reports errors through a handler.  Ours only records the first
 * code; the layout checks that record after each block and before saving.
 * No longjmp crosses our frames, so no cleanup is ever skipped.
 */
#include "pdf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hpdf.h>
#include <hpdf_doc.h>
#include <hpdf_fontdef.h>
#include <hpdf_objects.h>
#include <hpdf_streams.h>
#include <zlib.h>

#include "fs.h"
#include "mem.h"

#define FONT_MAX 6
#define PAD 4.0f          /* table cell padding */
#define BODY_SIZE 10.0f
#define TABLE_SIZE 8.5f
#define LEADING 1.3f      /* line height / font size */

enum { REGULAR, BOLD };

struct font {
	const char *path;
	char found[512];  /* the path fontconfig gave, when the usual one is missing */
	int state;        /* 0 untried, 1 loaded, -1 unusable */
	int missing;      /* the file does not exist */
	int required;     /* unusable is an error */
	int extra;        /* not shipped by boardpack's font packages */
	int collection;   /* a .ttc: libharu loads its face 0 */
	HPDF_Font font;
	HPDF_FontDef def;
};

struct face {
	struct font f[FONT_MAX];
	int n;
};

struct rgb {
	float r, g, b;
};

struct glyph {
	uint32_t cp;
	float w;          /* advance at size 1 */
	struct font *f;
	struct rgb c;
	unsigned char len;
	char b[4];
};

struct text {
	struct glyph *g;
	size_t n, cap;
};

struct line {
	size_t from, to;
	float w;
};

/* A laid-out paragraph: glyphs and where the lines break. */
struct para {
	struct text t;
	struct line *l;
	size_t nl;
	float size;
};

struct pdf {
	HPDF_Doc doc;
	HPDF_STATUS code, detail;
	bp_err *err;
	const char *file;         /* page document URL, for messages */
	struct face face[2];
	unsigned char *pick;      /* [face][cp] -> 1 + font index, 0 unknown;
				   * FONT_MAX + 1 + i: regular font i */
	float *advance;           /* [face][cp] -> width in em, < 0 unknown */
	float pw, ph, left, right, top, bottom;
	HPDF_Page page;
	float y;
	int fresh;                /* nothing drawn on this page yet */
	HPDF_Page *pages;
	size_t npages, cap;
	xmlNodePtr header, footer;
	xmlChar *pending_id, *pending_title;  /* the section not yet placed */
	HPDF_Dict dests;          /* the catalog's named destinations */
};

static const struct rgb INK = {0.13f, 0.13f, 0.13f};
static const struct rgb GREY = {0.42f, 0.42f, 0.42f};
static const struct rgb RULE = {0.80f, 0.82f, 0.85f};
static const struct rgb HEAD_BG = {0.93f, 0.94f, 0.96f};
static const struct rgb TOTAL_BG = {0.97f, 0.976f, 0.984f};
static const struct rgb HEAT = {0.18f, 0.43f, 0.71f};

/* ---- errors ---------------------------------------------------------- */

static void on_hpdf_error(HPDF_STATUS code, HPDF_STATUS detail, void *user)
{
	struct pdf *p = user;

	if (!p->code) {
		p->code = code;
		p->detail = detail;
	}
}

/* Turns a recorded libharu error into `err`; -1 if there was one. */
static int hpdf_check(struct pdf *p)
{
	if (!p->code)
		return 0;
	if (!p->err->code)
		bp_err_set(p->err, BP_ESOFTWARE,
			   "pdf library error 0x%04lX (detail %lu)",
			   (unsigned long)p->code, (unsigned long)p->detail);
	return -1;
}

static int bad_node(struct pdf *p, xmlNodePtr n, const char *what)
{
	return bp_err_at(p->err, BP_ECONFIG, p->file, xmlGetLineNo(n), 0,
			 "%s <%s> in the page document", what,
			 (const char *)n->name);
}

/* libharu's allocations follow boardpack's policy (mem.h): they never
 * fail, so HPDF_FAILD_TO_ALLOC_MEM is never reported. */
static void *hpdf_alloc(HPDF_UINT size)
{
	return bp_xmalloc(size);
}

/* ---- attributes ------------------------------------------------------ */

static double num_attr(xmlNodePtr n, const char *name, double def)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *end;
	double d;

	if (!v)
		return def;
	d = strtod((const char *)v, &end);
	if (end == (char *)v || !isfinite(d))
		d = def;
	xmlFree(v);
	return d;
}

static int attr_is(xmlNodePtr n, const char *name, const char *value)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	int eq = v && strcmp((const char *)v, value) == 0;

	xmlFree(v);
	return eq;
}

static int is(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, name) == 0;
}

/* "#RRGGBB", "#RGB", "none" (returns 0) or a few names; `def` otherwise. */
static int parse_color(const char *s, struct rgb def, struct rgb *out)
{
	unsigned v;
	size_t len;

	*out = def;
	if (!s)
		return 1;
	len = strlen(s);
	if (strcmp(s, "none") == 0 || strcmp(s, "transparent") == 0)
		return 0;
	if (s[0] == '#' && (len == 7 || len == 4) &&
	    strspn(s + 1, "0123456789abcdefABCDEF") == len - 1) {
		v = (unsigned)strtoul(s + 1, NULL, 16);
		if (len == 4)
			v = ((v >> 8 & 15) * 17) << 16 | ((v >> 4 & 15) * 17) << 8 |
			    (v & 15) * 17;
		out->r = (float)(v >> 16 & 255) / 255.0f;
		out->g = (float)(v >> 8 & 255) / 255.0f;
		out->b = (float)(v & 255) / 255.0f;
	} else if (strcmp(s, "white") == 0) {
		*out = (struct rgb){1, 1, 1};
	} else if (strcmp(s, "black") == 0) {
		*out = (struct rgb){0, 0, 0};
	} else if (strcmp(s, "grey") == 0 || strcmp(s, "gray") == 0) {
		*out = (struct rgb){0.5f, 0.5f, 0.5f};
	}
	return 1;
}

/* Reads a colour attribute; opacity is mixed with the white page. */
static int color_attr(xmlNodePtr n, const char *name, struct rgb def,
		      struct rgb *out)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	int on = parse_color((const char *)v, def, out);
	double a = num_attr(n, "opacity", 1.0);

	xmlFree(v);
	if (a < 0)
		a = 0;
	if (a < 1) {
		out->r = (float)(1 - a + a * out->r);
		out->g = (float)(1 - a + a * out->g);
		out->b = (float)(1 - a + a * out->b);
	}
	return on;
}

static void fill_color(struct pdf *p, struct rgb c)
{
	HPDF_Page_SetRGBFill(p->page, c.r, c.g, c.b);
}

static void stroke_color(struct pdf *p, struct rgb c)
{
	HPDF_Page_SetRGBStroke(p->page, c.r, c.g, c.b);
}

/* ---- fonts ------------------------------------------------------------ */

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* ---- libharu's glyph lookup, by bisection ----
 *
 * libharu 2.3 finds a character's glyph in a format-4 character map by
 * walking its segments from the first, and when it makes a font for the
 * UTF-8 encoder it so looks up all 65,536 code points.  NanumGothic's map
 * has 3,832 segments: that walk cost about 80 ms for each Korean font on
 * every run that draws Hangul or Hanja (two fonts in a Korean report),
 * more than the rest of the board pack's layout.
 *
 * The segments are in ascending order of their last code point (the
 * TrueType specification requires it, and font_load refuses a font whose
 * are not: cmap_in_order), so the first segment ending at or after a
 * code point, the one libharu's walk stops at, is found by bisection.
 * What follows is libharu's arithmetic over its own parsed tables, with
 * bounds checked where libharu would read past them (malformed fonts
 * only), so the glyph is the one libharu finds; tests/unit/test_pdf.c
 * compares the two over every code point of each font of the default
 * chain.
 *
 * This definition takes the place of libharu's because libharu calls
 * the function through its procedure linkage table, which the dynamic
 * linker binds to the executable's definition first.  Were libharu ever
 * linked so that it binds its own, that one would run: slower, the same
 * glyphs. */
HPDF_UINT16 HPDF_TTFontDef_GetGlyphid(HPDF_FontDef fontdef, HPDF_UINT16 unicode)
{
	const HPDF_TTF_CmapRange *m = &((HPDF_TTFontDefAttr)fontdef->attr)->cmap;
	unsigned segs = m->seg_count_x2 / 2u, lo = 0, hi, i;
	unsigned long idx;

	if (m->format == 0)
		return m->glyph_id_array ? m->glyph_id_array[unicode & 0xFF] : 0;
	if (segs == 0) {
		HPDF_SetError(fontdef->error, HPDF_TTF_INVALID_CMAP, 0);
		return 0;
	}
	if (!m->end_count || !m->start_count || !m->id_delta || !m->id_range_offset)
		return 0;
	for (hi = segs; lo < hi;) {
		unsigned mid = lo + (hi - lo) / 2;

		if (m->end_count[mid] < unicode)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	if (i >= segs || m->start_count[i] > unicode)
		return 0;
	if (m->id_range_offset[i] == 0)
		return (HPDF_UINT16)(unicode + m->id_delta[i]);
	/* The offset counts from the segment's own id_range_offset word to a
	 * word of glyph_id_array, which libharu keeps after the segs words. */
	idx = (unsigned long)m->id_range_offset[i] / 2 +
	      (unsigned long)(unicode - m->start_count[i]);
	if (idx < segs - i)
		return 0;
	idx -= segs - i;
	if (!m->glyph_id_array || idx >= m->glyph_id_array_count)
		return 0;
	return (HPDF_UINT16)(m->glyph_id_array[idx] + m->id_delta[i]);
}

/* Whether `def`'s character map may be searched by bisection: format 0,
 * or format 4 with its segments' last code points in ascending order. */
static int cmap_in_order(HPDF_FontDef def)
{
	const HPDF_TTF_CmapRange *m = &((HPDF_TTFontDefAttr)def->attr)->cmap;
	unsigned segs = m->seg_count_x2 / 2u, i;

	if (m->format == 0)
		return 1;
	if (!m->end_count)
		return 0;
	for (i = 1; i < segs; i++)
		if (m->end_count[i] < m->end_count[i - 1])
			return 0;
	return 1;
}

/* Whether the font file (face 0 of a collection) has TrueType outlines,
 * the only kind libharu embeds: 1 yes (2 in a collection), 0 no, -1 not a
 * font. */
static int has_glyf(FILE *fp)
{
	unsigned char h[12], rec[16];
	uint32_t off = 0;
	unsigned i, ntables;
	int ttc = 0;

	if (fread(h, 1, 12, fp) != 12)
		return -1;
	if (memcmp(h, "ttcf", 4) == 0) {
		if (fread(h, 1, 4, fp) != 4)
			return -1;
		off = be32(h);
		ttc = 1;
		if (fseek(fp, (long)off, SEEK_SET) != 0 ||
		    fread(h, 1, 12, fp) != 12)
			return -1;
	}
	ntables = (unsigned)h[4] << 8 | h[5];
	for (i = 0; i < ntables; i++) {
		if (fread(rec, 1, 16, fp) != 16)
			return -1;
		if (memcmp(rec, "glyf", 4) == 0)
			return 1 + ttc;
	}
	return 0;
}

/* Rewrites the text map (ToUnicode) of a font made for libharu's UTF-8
 * encoder.  The font draws each character by its code point (a 2-byte
 * code that the Identity-H encoding makes the character's CID, and the
 * font's CIDToGIDMap its glyph), but libharu 2.3 gives it, as its text
 * map, the encoding's code-to-CID ranges (begincidrange): readers that
 * copy or search text warn that the map is invalid and guess.  The map
 * written instead says what libharu's encoding does: each code of the
 * Basic Multilingual Plane is the character of that code point
 * (surrogates excepted), in ranges of 256 that keep to one high byte, at
 * most 100 to a section as the CMap format asks. */
static int text_map_identity(HPDF_Font font)
{
	static const char head[] =
		"/CIDInit /ProcSet findresource begin\n"
		"12 dict begin\n"
		"begincmap\n"
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) "
		"/Supplement 0 >> def\n"
		"/CMapName /Adobe-Identity-UCS def\n"
		"/CMapType 2 def\n"
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
	static const char tail[] =
		"endcmap\n"
		"CMapName currentdict /CMap defineresource pop\n"
		"end\n"
		"end\n";
	char buf[sizeof(head) + sizeof(tail) + 256 * 22 + 3 * 32];
	HPDF_Dict map = HPDF_Dict_GetItem(font, "ToUnicode", HPDF_OCLASS_DICT);
	size_t n = 0;
	unsigned hi, left = 0;

	if (!map || !map->stream)
		return -1;
	memcpy(buf, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	for (hi = 0; hi < 256; hi++) {
		if (hi >= 0xD8 && hi <= 0xDF)
			continue;
		if (left == 0) {
			/* 248 ranges: sections of 100, 100 and 48 */
			unsigned rest = 256 - 8 - (hi < 0xD8 ? hi : hi - 8);

			left = rest < 100 ? rest : 100;
			n += (size_t)sprintf(buf + n, "%u beginbfrange\n", left);
		}
		n += (size_t)sprintf(buf + n, "<%02X00> <%02XFF> <%02X00>\n", hi, hi, hi);
		if (--left == 0)
			n += (size_t)sprintf(buf + n, "endbfrange\n");
	}
	memcpy(buf + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	HPDF_MemStream_FreeData(map->stream);
	return HPDF_Stream_Write(map->stream, (const HPDF_BYTE *)buf,
				 (HPDF_UINT)n) == HPDF_OK ? 0 : -1;
}

/* Loads `f` into the document on first use.  A required font that cannot
 * be used is an error; another is only marked unusable. */
static int font_load(struct pdf *p, struct font *f)
{
	const char *name, *why = NULL;
	FILE *fp;
	int glyf;

	if (f->state)
		return 0;
	f->state = -1;
	fp = fopen(f->path, "rb");
	if (!fp) {
		f->missing = errno == ENOENT;
		why = f->missing ? "not found" : strerror(errno);
	} else {
		glyf = has_glyf(fp);
		fclose(fp);
		if (glyf < 0)
			why = "is not a TrueType font";
		else if (glyf == 0)
			why = "has no TrueType outlines (libharu embeds only those)";
		f->collection = glyf == 2;
	}
	if (why)
		return f->required ? bp_err_set(p->err, BP_ECONFIG,
						"font '%s' %s", f->path, why) : 0;
	name = f->collection
		       ? HPDF_LoadTTFontFromFile2(p->doc, f->path, 0, HPDF_TRUE)
		       : HPDF_LoadTTFontFromFile(p->doc, f->path, HPDF_TRUE);
	if (name) {
		f->def = HPDF_GetFontDef(p->doc, name);
		if (f->def && !cmap_in_order(f->def)) {
			f->def = NULL;
			if (f->required)
				return bp_err_set(p->err, BP_ECONFIG,
						  "font '%s' has a character map whose "
						  "segments are out of order (a damaged "
						  "font?): set report/@font to another "
						  "TrueType file, or remove it", f->path);
		}
		if (f->def)
			f->font = HPDF_GetFont(p->doc, name, "UTF-8");
		if (f->font && text_map_identity(f->font) < 0)
			f->font = NULL;
	}
	if (!name || !f->def || !f->font || p->code) {
		if (f->required)
			return bp_err_set(p->err, BP_ECONFIG,
					  "font '%s' cannot be loaded (pdf library error 0x%04lX)",
					  f->path, (unsigned long)p->code);
		HPDF_ResetError(p->doc);
		p->code = p->detail = 0;
		return 0;
	}
	f->state = 1;
	return 0;
}

/* Where fontconfig keeps `family` (a TrueType file), into buf; 0 when
 * fc-match is missing, names another kind of file, or names one whose
 * path does not fit in buf. */
static int fc_match(const char *family, char *buf, size_t size)
{
	char cmd[256];
	FILE *fp;
	size_t n;

	snprintf(cmd, sizeof(cmd), "fc-match -f '%%{file}' '%s:fontformat=TrueType' "
		 "2>/dev/null", family);
	fp = popen(cmd, "r");
	if (!fp)
		return 0;
	n = fread(buf, 1, size, fp);
	pclose(fp);
	if (n == size)   /* a path cut short would name another file */
		n = 0;
	buf[n] = '\0';
	return n > 0 && buf[0] == '/';
}

/* Adds a font by its usual Debian path; when that file is missing and
 * `family` is given, by the file fontconfig has for that family. */
static void face_add_family(struct face *fc, const char *path,
			    const char *family, int required, int extra)
{
	struct font *f;

	if (fc->n >= FONT_MAX)
		return;
	f = &fc->f[fc->n++];
	*f = (struct font){ .path = path, .required = required, .extra = extra };
	if (family && access(path, R_OK) != 0 &&
	    fc_match(family, f->found, sizeof(f->found)))
		f->path = f->found;
}

static void face_add(struct face *fc, const char *path, int required,
		     int extra)
{
	face_add_family(fc, path, NULL, required, extra);
}

static void fonts_init(struct pdf *p, const char *override)
{
	struct face *r = &p->face[REGULAR], *b = &p->face[BOLD];

	if (override) {
		face_add(r, override, 1, 0);
		face_add(b, override, 1, 0);
	}
	face_add_family(r, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
			"DejaVu Sans", !override, 0);
	face_add_family(r, "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
			"NanumGothic", 0, 0);
	face_add(r, "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0, 0);
	/* TrueType CJK fonts used when installed: they cover the simplified
	 * Chinese and kana that NanumGothic lacks, where Noto's CFF cannot. */
	face_add(r, "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, 1);
	face_add(r, "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, 1);
	face_add_family(b, "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
			"DejaVu Sans:bold", 0, 0);
	face_add_family(b, "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
			"NanumGothic:bold", 0, 0);
}

static struct font *face_find(struct pdf *p, struct face *fc, uint32_t cp,
			      int *failed)
{
	int i;

	for (i = 0; i < fc->n; i++) {
		if (font_load(p, &fc->f[i]) < 0) {
			*failed = 1;
			return NULL;
		}
		if (fc->f[i].state == 1 &&
		    HPDF_TTFontDef_GetGlyphid(fc->f[i].def, (HPDF_UINT16)cp))
			return &fc->f[i];
	}
	return NULL;
}

/* The font that draws `cp`: the first in the face's chain with a glyph,
 * then the regular chain.  No glyph anywhere: a missing fallback file is
 * reported (that is the likely cause), else the first font draws its
 * "missing glyph" box. */
static struct font *pick_font(struct pdf *p, int bold, uint32_t cp)
{
	unsigned char *slot = &p->pick[(size_t)bold * 65536 + cp];
	struct face *reg = &p->face[REGULAR];
	struct font *f;
	int i, failed = 0;

	if (*slot)
		return *slot <= FONT_MAX ? &p->face[bold].f[*slot - 1]
					 : &reg->f[*slot - FONT_MAX - 1];
	f = face_find(p, &p->face[bold], cp, &failed);
	if (f) {
		*slot = (unsigned char)(f - p->face[bold].f + 1);
		return f;
	}
	if (!failed && bold)
		f = face_find(p, reg, cp, &failed);
	if (failed)
		return NULL;
	for (i = 0; !f && i < reg->n; i++) {
		if (reg->f[i].missing && !reg->f[i].extra) {
			bp_err_set(p->err, BP_ECONFIG,
				   "font '%s' not found (needed for U+%04X)",
				   reg->f[i].path, (unsigned)cp);
			return NULL;
		}
	}
	for (i = 0; !f && i < reg->n; i++)
		if (reg->f[i].state == 1)
			f = &reg->f[i];
	if (!f)
		bp_err_set(p->err, BP_ECONFIG, "no usable font for U+%04X",
			   (unsigned)cp);
	else
		*slot = (unsigned char)(FONT_MAX + (f - reg->f) + 1);
	return f;
}

/* The width in em of `cp` in `f`, the font pick_font chose for it in
 * that face: measured once per face and code point, as libharu looks
 * the glyph up anew (a search of the font's cmap) on every call. */
static float advance(struct pdf *p, int bold, uint32_t cp, struct font *f)
{
	float *w = &p->advance[(size_t)bold * 65536 + cp];

	if (*w < 0)
		*w = (float)HPDF_TTFontDef_GetCharWidth(f->def, (HPDF_UINT16)cp) /
		     1000.0f;
	return *w;
}

/* ---- text ------------------------------------------------------------- */

/* Decodes one UTF-8 sequence; invalid bytes become U+FFFD, one byte each. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t len, i;
	uint32_t c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
	if (!len || c > 0xF4) {
		*cp = 0xFFFD;
		return 1;
	}
	c &= 0x3F >> (len - 1);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = c << 6 | (s[i] & 0x3F);
	}
	*cp = c;
	return len;
}

static size_t utf8_put(uint32_t c, char *b)
{
	if (c < 0x80) {
		b[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = (char)(0xC0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	b[0] = (char)(0xE0 | c >> 12);
	b[1] = (char)(0x80 | (c >> 6 & 0x3F));
	b[2] = (char)(0x80 | (c & 0x3F));
	return 3;
}

static void text_free(struct text *t)
{
	free(t->g);
	t->g = NULL;
	t->n = t->cap = 0;
}

/* Appends UTF-8 text in `color` as glyphs with fonts and widths, white
 * space collapsed as in HTML (also across appends, so a coloured span
 * joins its sentence).  libharu's UTF-8 encoder covers the Basic
 * Multilingual Plane only, so other characters become U+FFFD.  -1 (t
 * freed) when no font draws a character. */
static int text_add(struct pdf *p, struct text *t, const char *s, int bold,
		    struct rgb color)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;
	struct glyph *g;

	BP_GROW(t->g, t->n + strlen(s) + 1, t->cap);
	while (u[i]) {
		i += utf8_next(u + i, &cp);
		if (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0)
			cp = ' ';
		if (cp < ' ' || (cp >= 0x7F && cp < 0xA0))
			continue;
		if (cp > 0xFFFF || (cp >= 0xD800 && cp < 0xE000))
			cp = 0xFFFD;
		if (cp == ' ' && (t->n == 0 || t->g[t->n - 1].cp == ' '))
			continue;
		g = &t->g[t->n];
		g->cp = cp;
		g->c = color;
		g->f = pick_font(p, bold, cp);
		if (!g->f) {
			text_free(t);
			return -1;
		}
		g->len = (unsigned char)utf8_put(cp, g->b);
		g->w = advance(p, bold, cp, g->f);
		t->n++;
	}
	return 0;
}

static void text_end(struct text *t)
{
	while (t->n && t->g[t->n - 1].cp == ' ')
		t->n--;
}

static const struct rgb GOOD = {0.11f, 0.48f, 0.20f};
static const struct rgb BAD = {0.70f, 0.15f, 0.12f};
static const struct rgb WARN = {0.66f, 0.40f, 0.0f};

/* Whether the class attribute (space-separated names) holds `name`. */
static int has_class(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)"class");
	const char *p = (const char *)v;
	size_t len = strlen(name);
	int found = 0;

	while (p && *p && !found) {
		p += strspn(p, " ");
		found = strncmp(p, name, len) == 0 && (p[len] == ' ' || !p[len]);
		p += strcspn(p, " ");
	}
	xmlFree(v);
	return found;
}

/* The colour a `tone` attribute (or the same word as a class, which the
 * HTML templates share) asks for: good, bad, warn, flat, and the target
 * statuses st-on-track, st-at-risk, st-missed; else the `color`
 * attribute; else def. */
static struct rgb tone_of(xmlNodePtr n, struct rgb def)
{
	static const struct { const char *name; const struct rgb *c; } t[] = {
		{"good", &GOOD}, {"bad", &BAD}, {"warn", &WARN}, {"flat", &GREY},
		{"st-on-track", &GOOD}, {"st-at-risk", &WARN}, {"st-missed", &BAD},
	};
	struct rgb c = def;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (attr_is(n, "tone", t[i].name) || has_class(n, t[i].name))
			return *t[i].c;
	if (xmlHasProp(n, (const xmlChar *)"color"))
		color_attr(n, "color", def, &c);
	return c;
}

/* Appends the text of n's children: text as it is, <span> and <b>
 * children in their own tone (and bold), nested freely. */
static int text_node(struct pdf *p, struct text *t, xmlNodePtr n, int bold,
		     struct rgb color)
{
	xmlNodePtr ch;

	for (ch = n->children; ch; ch = ch->next) {
		if ((ch->type == XML_TEXT_NODE || ch->type == XML_CDATA_SECTION_NODE)
		    && ch->content) {
			if (text_add(p, t, (const char *)ch->content, bold, color) < 0)
				return -1;
		} else if (ch->type == XML_ELEMENT_NODE &&
			   text_node(p, t, ch, bold || is(ch, "b") ||
				     attr_is(ch, "bold", "1") ||
				     has_class(ch, "st-on-track") ||
				     has_class(ch, "st-at-risk") ||
				     has_class(ch, "st-missed"),
				     tone_of(ch, color)) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Characters between which a line may break with no space: ideographs,
 * kana, CJK punctuation and full-width forms.  Hangul words break at spaces
 * as Korean text does. */
static int cjk(uint32_t c)
{
	return (c >= 0x2E80 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x9FFF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF00 && c <= 0xFFEF);
}

/* Breaks `t` into lines no wider than `maxw` (in ems of size 1 times the
 * size, i.e. already scaled by the caller): at spaces, around CJK
 * characters, or anywhere in a word longer than a line.  `out` has room
 * for t->n lines. */
static size_t wrap(const struct text *t, float size, float maxw,
		   struct line *out)
{
	size_t n = 0, i = 0, start, brk;
	float w, wbrk;

	while (i < t->n) {
		start = i;
		while (start < t->n && t->g[start].cp == ' ')
			start++;
		if (start == t->n)
			break;
		w = wbrk = 0;
		brk = start;
		for (i = start; i < t->n; i++) {
			if (t->g[i].cp == ' ' || (i > start &&
			    (cjk(t->g[i].cp) || cjk(t->g[i - 1].cp)))) {
				brk = i;
				wbrk = w;
			}
			if (i > start && w + t->g[i].w * size > maxw)
				break;
			w += t->g[i].w * size;
		}
		if (i < t->n && brk > start) {
			i = brk;
			w = wbrk;
		}
		out[n++] = (struct line){start, i, w};
	}
	return n;
}

static void para_free(struct para *a)
{
	text_free(&a->t);
	free(a->l);
	a->l = NULL;
	a->nl = 0;
}

static void para_wrap(struct para *a, float size, float maxw)
{
	text_end(&a->t);
	a->size = size;
	a->l = bp_xreallocarray(NULL, a->t.n + 1, sizeof(*a->l));
	a->nl = wrap(&a->t, size, maxw, a->l);
}

/* A paragraph of plain text in one colour (para_node below is its twin
 * for an element's content: the same wrap, another way to collect the
 * glyphs). */
static int para_make(struct pdf *p, const char *s, int bold, float size,
		     struct rgb color, float maxw, struct para *a)
{
	memset(a, 0, sizeof(*a));
	if (text_add(p, &a->t, s, bold, color) < 0)
		return -1;
	para_wrap(a, size, maxw);
	return 0;
}

/* A paragraph of n's content, spans in their tones. */
static int para_node(struct pdf *p, xmlNodePtr n, int bold, float size,
		     struct rgb color, float maxw, struct para *a)
{
	memset(a, 0, sizeof(*a));
	if (text_node(p, &a->t, n, bold, color) < 0)
		return -1;
	para_wrap(a, size, maxw);
	return 0;
}

static int same_rgb(struct rgb a, struct rgb b)
{
	return a.r == b.r && a.g == b.g && a.b == b.b;
}

/* Draws one line with its left end at x and baseline at y, one text
 * operation per run of glyphs in the same font and colour. */
static void draw_line(struct pdf *p, const struct para *a, size_t k, float x,
		      float y)
{
	const struct line *l = &a->l[k];
	char buf[512];
	size_t i = l->from, j, len;
	struct font *f;
	struct rgb c;
	float w;

	HPDF_Page_BeginText(p->page);
	while (i < l->to) {
		f = a->t.g[i].f;
		c = a->t.g[i].c;
		len = 0;
		w = 0;
		for (j = i; j < l->to && a->t.g[j].f == f &&
		     same_rgb(a->t.g[j].c, c) && len + 4 < sizeof(buf); j++) {
			memcpy(buf + len, a->t.g[j].b, a->t.g[j].len);
			len += a->t.g[j].len;
			w += a->t.g[j].w * a->size;
		}
		buf[len] = '\0';
		fill_color(p, c);
		HPDF_Page_SetFontAndSize(p->page, f->font, a->size);
		HPDF_Page_TextOut(p->page, x, y, buf);
		x += w;
		i = j;
	}
	HPDF_Page_EndText(p->page);
}

/* Node text ("" for a node that has none); caller frees with xmlFree. */
static char *node_text(xmlNodePtr n)
{
	xmlChar *s = xmlNodeGetContent(n);

	return (char *)(s ? s : xmlStrdup((const xmlChar *)""));
}

/* ---- pages ------------------------------------------------------------ */

static int new_page(struct pdf *p)
{
	BP_GROW(p->pages, p->npages + 1, p->cap);
	p->page = HPDF_AddPage(p->doc);
	if (!p->page)
		return hpdf_check(p) < 0 ? -1
					 : bp_err_set(p->err, BP_ESOFTWARE,
						      "pdf library cannot add a page");
	HPDF_Page_SetWidth(p->page, p->pw);
	HPDF_Page_SetHeight(p->page, p->ph);
	p->pages[p->npages++] = p->page;
	p->y = p->top;
	p->fresh = 1;
	return hpdf_check(p);
}

/* Starts a new page unless `h` points still fit on this one. */
static int ensure(struct pdf *p, float h)
{
	if (p->fresh || p->y - h >= p->bottom)
		return 0;
	return new_page(p);
}

/* ---- sections --------------------------------------------------------- */

/* A section's place is where its first block lands, known only once that
 * block has found its page: the block calls this just before drawing.
 * The place becomes a named destination (the section's id, so a reader
 * or a test finds "economics" in any language) and a bookmark with its
 * title. */
static void anchor(struct pdf *p)
{
	HPDF_Destination d;
	HPDF_Outline o;

	if (!p->pending_id && !p->pending_title)
		return;
	if (p->pending_id) {
		if (!p->dests) {
			p->dests = HPDF_Dict_New(p->doc->mmgr);
			HPDF_Dict_Add(p->doc->catalog, "Dests", p->dests);
		}
		d = HPDF_Page_CreateDestination(p->page);
		HPDF_Destination_SetFitH(d, p->y);
		HPDF_Dict_Add(p->dests, (const char *)p->pending_id, d);
	}
	if (p->pending_title && *p->pending_title) {
		o = HPDF_CreateOutline(p->doc, NULL, (const char *)p->pending_title,
				       HPDF_GetEncoder(p->doc, "UTF-8"));
		d = HPDF_Page_CreateDestination(p->page);
		HPDF_Destination_SetFitH(d, p->y);
		HPDF_Outline_SetDestination(o, d);
	}
	xmlFree(p->pending_id);
	xmlFree(p->pending_title);
	p->pending_id = p->pending_title = NULL;
}

/* ---- blocks ----------------------------------------------------------- */

static float drawing_scale(const struct pdf *p, xmlNodePtr n, float width);
static float columns_height(const struct pdf *p, xmlNodePtr n);

/* Room a heading needs below it so it is not left alone at the foot of a
 * page: the next block's first part (a whole drawing, a table's head and
 * three rows), notes skipped. */
static float keep_with_next(const struct pdf *p, xmlNodePtr n)
{
	float notes = 0;

	for (n = n->next; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "note")) {
			/* a generous guess of its lines, without laying it out */
			xmlChar *t = xmlNodeGetContent(n);
			float w = t ? (float)xmlUTF8Strlen(t) * 7.5f * 0.62f : 0;

			notes += (float)ceil(w / (p->right - p->left)) * 7.5f * LEADING + 6;
			xmlFree(t);
			continue;
		}
		if (is(n, "drawing"))
			return notes + (float)num_attr(n, "height", 0) *
			       drawing_scale(p, n, p->right - p->left) + 16;
		if (is(n, "columns"))
			return notes + columns_height(p, n) + 16;
		if (is(n, "table"))
			return notes + 5 * (TABLE_SIZE * LEADING + 2 * PAD) + 16;
		if (is(n, "kpis"))
			return notes + 90;
		return is(n, "page-break") || is(n, "h1") || is(n, "h2") ? notes
		       : notes + 40;
	}
	return notes;
}

/* A paragraph block: headings, body text, notes, list items (indent and
 * a bullet). */
static int block_text(struct pdf *p, xmlNodePtr n, int bold, float size,
		      struct rgb color, float before, float after, float indent)
{
	struct para a;
	float lh = size * LEADING, x = p->left + indent;
	size_t k;
	int rc = -1;

	if (para_node(p, n, bold, size, tone_of(n, color),
		      p->right - x, &a) < 0)
		goto out;
	if (!a.nl) {
		rc = 0;
		goto out;
	}
	if (!p->fresh)
		p->y -= before;
	if (ensure(p, (bold ? (float)a.nl * lh + keep_with_next(p, n)
		       : (float)(a.nl < 2 ? a.nl : 2) * lh)) < 0)
		goto out;
	anchor(p);
	for (k = 0; k < a.nl; k++) {
		if (ensure(p, lh) < 0)
			goto out;
		p->y -= lh;
		if (k == 0 && indent > 0) {
			struct para b;

			if (para_make(p, "\xe2\x80\xa2", 0, size, GREY, indent, &b) < 0)
				goto out;
			draw_line(p, &b, 0, p->left + indent / 2 - 3,
				  p->y + (lh - size) / 2 + size * 0.2f);
			para_free(&b);
		}
		draw_line(p, &a, k, x, p->y + (lh - size) / 2 + size * 0.2f);
		p->fresh = 0;
	}
	p->y -= after;
	rc = hpdf_check(p);
out:
	para_free(&a);
	return rc;
}

/* Draws the lines of `a` that fit in `maxh`, in a box of width `w` at x,
 * with its top at `top`; returns the height used. */
static float draw_para(struct pdf *p, const struct para *a, float x, float w,
		       float top, float maxh, int right, int center)
{
	float lh = a->size * LEADING, dx;
	size_t k;

	for (k = 0; k < a->nl && (float)(k + 1) * lh <= maxh + 0.01f; k++) {
		dx = right ? w - a->l[k].w : center ? (w - a->l[k].w) / 2 : 0;
		draw_line(p, a, k, x + dx,
			  top - (float)(k + 1) * lh + (lh - a->size) / 2 +
			  a->size * 0.2f);
	}
	return (float)k * lh;
}

/* ---- scorecards ------------------------------------------------------- */

#define KPI_LABEL 8.0f
#define KPI_VALUE 16.0f
#define KPI_LINE 7.5f

/* A scorecard: label, value, then its note and each <line> child (rich
 * text, so a comparison can be green or red), each line cut to the box. */
struct kpi {
	struct para label, value;
	struct para *lines;
	size_t n;
};

static void kpi_free(struct kpi *k)
{
	size_t i;

	para_free(&k->label);
	para_free(&k->value);
	for (i = 0; i < k->n; i++)
		para_free(&k->lines[i]);
	free(k->lines);
	memset(k, 0, sizeof(*k));
}

static int kpi_make(struct pdf *p, xmlNodePtr n, float w, struct kpi *k)
{
	xmlChar *label = xmlGetProp(n, (const xmlChar *)"label");
	xmlChar *value = xmlGetProp(n, (const xmlChar *)"value");
	xmlChar *note = xmlGetProp(n, (const xmlChar *)"note");
	xmlNodePtr ch;
	int rc = -1;

	memset(k, 0, sizeof(*k));
	k->lines = bp_xcalloc(xmlChildElementCount(n) + 1, sizeof(*k->lines));
	if (para_make(p, label ? (char *)label : "", 0, KPI_LABEL, GREY, w, &k->label) < 0 ||
	    para_make(p, value && *value ? (char *)value : "\xe2\x80\x94", 1,
		      KPI_VALUE, tone_of(n, INK), 1e9f, &k->value) < 0)
		goto out;
	/* a figure is never broken: a long one is set smaller to fit */
	if (k->value.nl && k->value.l[0].w > w) {
		float s = KPI_VALUE * w / k->value.l[0].w;

		para_free(&k->value);
		if (para_make(p, value && *value ? (char *)value : "", 1,
			      s < 8 ? 8 : s, tone_of(n, INK), w, &k->value) < 0)
			goto out;
	}
	if (note && *note &&
	    para_make(p, (char *)note, 0, KPI_LINE, GREY, w, &k->lines[k->n++]) < 0)
		goto out;
	for (ch = n->children; ch; ch = ch->next) {
		if (!is(ch, "line"))
			continue;
		if (para_node(p, ch, 0, KPI_LINE, tone_of(ch, GREY), w,
			      &k->lines[k->n]) < 0)
			goto out;
		k->n++;
	}
	rc = 0;
out:
	/* the attributes read above, freed on every path */
	xmlFree(label);
	xmlFree(value);
	xmlFree(note);
	return rc;
}

static float kpi_height(const struct kpi *k)
{
	float h = 12 + (float)k->label.nl * KPI_LABEL * LEADING +
		  KPI_VALUE * LEADING + 2;
	size_t i;

	for (i = 0; i < k->n; i++)
		h += (float)k->lines[i].nl * KPI_LINE * LEADING;
	return h;
}

static void kpi_draw(struct pdf *p, const struct kpi *k, float x, float w,
		     float h)
{
	float top = p->y - 6, iw = w - 16;
	size_t i;

	HPDF_Page_SetLineWidth(p->page, 0.75f);
	stroke_color(p, RULE);
	fill_color(p, (struct rgb){0.98f, 0.98f, 0.99f});
	HPDF_Page_Rectangle(p->page, x, p->y - h, w, h);
	HPDF_Page_FillStroke(p->page);
	top -= draw_para(p, &k->label, x + 8, iw, top, 1e9f, 0, 0);
	top -= draw_para(p, &k->value, x + 8, iw, top, KPI_VALUE * LEADING, 0, 0) + 2;
	for (i = 0; i < k->n; i++)
		top -= draw_para(p, &k->lines[i], x + 8, iw, top, 1e9f, 0, 0);
}

/* Scorecards in rows of as many as fit 140 points wide; a row is as tall
 * as its tallest card and never split over pages. */
static int block_kpis(struct pdf *p, xmlNodePtr n)
{
	const float gap = 10, cw = p->right - p->left;
	size_t count = 0, cols, i, j, row;
	struct kpi *k = NULL;
	xmlNodePtr c;
	float w, h;
	int rc = -1;

	for (c = n->children; c; c = c->next)
		count += is(c, "kpi");
	if (!count)
		return 0;
	cols = (size_t)((cw + gap) / (140 + gap));
	cols = cols < 1 ? 1 : cols > count ? count : cols;
	w = (cw - gap * (float)(cols - 1)) / (float)cols;
	k = bp_xcalloc(count, sizeof(*k));
	for (i = 0, c = n->children; c; c = c->next)
		if (is(c, "kpi") && kpi_make(p, c, w - 16, &k[i++]) < 0)
			goto out;
	if (!p->fresh)
		p->y -= 6;
	for (row = 0; row < count; row += cols) {
		for (h = 0, j = row; j < count && j < row + cols; j++)
			h = kpi_height(&k[j]) > h ? kpi_height(&k[j]) : h;
		if (ensure(p, h) < 0)
			goto out;
		anchor(p);
		for (j = row; j < count && j < row + cols; j++)
			kpi_draw(p, &k[j], p->left + (w + gap) * (float)(j - row), w, h);
		p->y -= h + gap;
		p->fresh = 0;
	}
	p->y -= 2;
	rc = hpdf_check(p);
out:
	for (i = 0; i < count; i++)
		kpi_free(&k[i]);
	free(k);
	return rc;
}

/* ---- tables ----------------------------------------------------------- */

struct table {
	size_t ncols;
	float *x, *w;
	float size;         /* font size: smaller when the words need it */
	char *align;        /* 'l', 'r', 'c', or 0: right when numeric */
};

struct cell {
	struct para a;
	double heat;
	int right, center;
};

/* Whether a cell reads as a number ("1,234", "-12.3%", "₩12.0M",
 * "1,234.50 CHF"), which is right-aligned unless the table says otherwise. */
static int numeric(const char *s)
{
	size_t digits = 0;

	s += strspn(s, " \t\r\n");
	if (*s == '-' || *s == '+')
		s++;
	else if (strncmp(s, "\xE2\x88\x92", 3) == 0)   /* minus sign */
		s += 3;
	if (strncmp(s, "\xE2\x82\xA9", 3) == 0 || strncmp(s, "\xE2\x82\xAC", 3) == 0)
		s += 3;                                 /* won, euro */
	else if (*s == '$')
		s++;
	for (; (*s >= '0' && *s <= '9') || *s == ',' || *s == '.'; s++)
		digits += *s >= '0' && *s <= '9';
	if (*s && strchr("%KMBx", *s))
		s++;
	if (*s == ' ' && strspn(s + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3)
		s += 4;
	return (digits > 0 && s[strspn(s, " \t\r\n")] == '\0') ||
	       strcmp(s, "\xe2\x80\x94") == 0;          /* an absent figure */
}

static size_t row_cells(xmlNodePtr tr)
{
	size_t c = 0;
	xmlNodePtr td;

	for (td = tr->children; td; td = td->next)
		c += is(td, "td");
	return c;
}

static void tokens(xmlNodePtr n, const char *name, char *out, size_t max,
		   float *wout)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s = (char *)v, *end;
	size_t i;

	for (i = 0; s && *s && i < max; i++) {
		s += strspn(s, " ,");
		if (!*s)
			break;
		if (wout) {
			wout[i] = strtof(s, &end);
			if (end == s || !(wout[i] > 0))
				wout[i] = 1;
		} else {
			out[i] = *s;
		}
		s += strcspn(s, " ,");
	}
	xmlFree(v);
}

/* The widest piece of a cell that cannot be broken (a word, a number;
 * one character of CJK text), at size 1. */
static float widest_word(const struct text *t)
{
	float w = 0, best = 0;
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->g[i].cp == ' ' || cjk(t->g[i].cp)) {
			best = w > best ? w : best;
			w = cjk(t->g[i].cp) ? t->g[i].w : 0;
			continue;
		}
		w += t->g[i].w;
	}
	return w > best ? w : best;
}

/* Column widths: the table's weights, but never narrower than a column's
 * longest word, so a heading never breaks inside a word; when the words
 * cannot all fit, the whole table's type gets smaller. */
static int table_init(struct pdf *p, xmlNodePtr n, struct table *t)
{
	float cw = p->right - p->left, sum = 0, need = 0, slack = 0, x, *min;
	size_t i, c;
	xmlNodePtr tr, td;
	struct text txt;

	memset(t, 0, sizeof(*t));
	t->size = TABLE_SIZE;
	for (tr = n->children; tr; tr = tr->next) {
		if (!is(tr, "tr"))
			continue;
		c = row_cells(tr);
		t->ncols = c > t->ncols ? c : t->ncols;
	}
	if (!t->ncols)
		return 0;
	t->x = bp_xcalloc(t->ncols, sizeof(float));
	t->w = bp_xcalloc(t->ncols, sizeof(float));
	t->align = bp_xcalloc(t->ncols, 1);
	min = bp_xcalloc(t->ncols, sizeof(float));
	for (i = 0; i < t->ncols; i++)
		t->w[i] = 1;
	tokens(n, "widths", NULL, t->ncols, t->w);
	tokens(n, "align", t->align, t->ncols, NULL);
	for (tr = n->children; tr; tr = tr->next) {
		if (!is(tr, "tr"))
			continue;
		for (i = 0, td = tr->children; td && i < t->ncols; td = td->next) {
			if (!is(td, "td"))
				continue;
			memset(&txt, 0, sizeof(txt));
			if (text_node(p, &txt, td, attr_is(tr, "header", "1"), INK) < 0) {
				free(min);
				return -1;
			}
			if (widest_word(&txt) > min[i])
				min[i] = widest_word(&txt);
			text_free(&txt);
			i++;
		}
	}
	for (i = 0; i < t->ncols; i++) {
		sum += t->w[i];
		need += min[i] * t->size + 2 * PAD + 1;
	}
	if (need > cw) {
		float words = need - 2 * PAD * (float)t->ncols - (float)t->ncols;

		t->size *= (cw - 2 * PAD * (float)t->ncols - (float)t->ncols) / words;
		if (t->size < 5.5f)
			t->size = 5.5f;
	}
	/* weights first, then the columns short of their words take the room
	 * from the others in proportion to what those can spare */
	for (i = 0; i < t->ncols; i++) {
		t->w[i] = t->w[i] / sum * cw;
		min[i] = min[i] * t->size + 2 * PAD + 1;
		if (t->w[i] > min[i])
			slack += t->w[i] - min[i];
	}
	for (need = 0, i = 0; i < t->ncols; i++)
		need += t->w[i] < min[i] ? min[i] - t->w[i] : 0;
	for (i = 0; i < t->ncols && need > 0 && slack > 0; i++) {
		if (t->w[i] < min[i])
			t->w[i] = min[i];
		else
			t->w[i] -= (t->w[i] - min[i]) * (need < slack ? need / slack : 1);
	}
	for (x = p->left, i = 0; i < t->ncols; i++) {
		t->x[i] = x;
		x += t->w[i];
	}
	free(min);
	return 0;
}

static void table_free(struct table *t)
{
	free(t->x);
	free(t->w);
	free(t->align);
}

static void cells_free(struct cell *c, size_t n)
{
	size_t i;

	for (i = 0; c && i < n; i++)
		para_free(&c[i].a);
	free(c);
}

/* Lays out the cells of one row; returns the row height, or -1. */
static float row_layout(struct pdf *p, const struct table *t, xmlNodePtr tr,
			struct cell *c)
{
	int head = attr_is(tr, "header", "1");
	int bold = head || attr_is(tr, "total", "1");
	float h = t->size * LEADING, ch;
	xmlNodePtr td;
	size_t i = 0;
	char *s;
	int rc;

	for (td = tr->children; td && i < t->ncols; td = td->next) {
		if (!is(td, "td"))
			continue;
		s = node_text(td);
		rc = para_node(p, td, bold, t->size, tone_of(td, INK),
			       t->w[i] - 2 * PAD, &c[i].a);
		c[i].heat = num_attr(td, "heat", -1);
		c[i].right = t->align[i] == 'r' ||
			     (!t->align[i] && !head && numeric(s));
		c[i].center = t->align[i] == 'c';
		xmlFree(s);
		if (rc < 0)
			return -1;
		ch = (float)c[i].a.nl * t->size * LEADING;
		h = ch > h ? ch : h;
		i++;
	}
	h += 2 * PAD;
	/* A row never taller than a page: its extra lines are cut. */
	return h > p->top - p->bottom ? p->top - p->bottom : h;
}

struct row {
	xmlNodePtr tr;
	struct cell *c;
	float h;
	int head;       /* header="1": repeated on every page */
	int total;      /* total="1": set off from the rows it sums */
};

static void row_draw(struct pdf *p, const struct table *t, const struct row *r)
{
	const struct cell *c = r->c;
	float heat, h = r->h;
	struct rgb bg;
	size_t i;

	for (i = 0; i < t->ncols; i++) {
		heat = (float)c[i].heat;
		if (r->head || r->total || heat >= 0) {
			heat = heat > 1 ? 1 : heat;
			bg = r->head ? HEAD_BG : heat < 0 ? TOTAL_BG : (struct rgb){
				1 - heat * 0.6f * (1 - HEAT.r),
				1 - heat * 0.6f * (1 - HEAT.g),
				1 - heat * 0.6f * (1 - HEAT.b)};
			fill_color(p, bg);
			HPDF_Page_Rectangle(p->page, t->x[i], p->y - h, t->w[i], h);
			HPDF_Page_Fill(p->page);
		}
		draw_para(p, &c[i].a, t->x[i] + PAD, t->w[i] - 2 * PAD, p->y - PAD,
			  h - 2 * PAD, c[i].right, c[i].center);
	}
	stroke_color(p, r->total ? GREY : RULE);
	HPDF_Page_SetLineWidth(p->page, 0.5f);
	if (r->total) {
		HPDF_Page_MoveTo(p->page, p->left, p->y);
		HPDF_Page_LineTo(p->page, p->right, p->y);
	}
	HPDF_Page_MoveTo(p->page, p->left, p->y - h);
	HPDF_Page_LineTo(p->page, p->right, p->y - h);
	HPDF_Page_Stroke(p->page);
	p->y -= h;
	p->fresh = 0;
}

/* How many body rows from `from` fit in `room` under the head rows. */
static size_t rows_fitting(const struct row *r, size_t from, size_t n,
			   float room)
{
	size_t k = 0;

	while (from + k < n && room - r[from + k].h >= -0.01f) {
		room -= r[from + k].h;
		k++;
	}
	return k;
}

/* The rows of a table, head rows first on every page; a page never ends
 * or starts a table with fewer than three body rows (a shorter table is
 * never split), unless a page cannot hold three. */
static int block_table(struct pdf *p, xmlNodePtr n)
{
	struct table t;
	struct row *r = NULL;
	xmlNodePtr tr;
	size_t nr = 0, nh = 0, i, k, rest, from;
	float headh = 0;
	int rc = -1;

	if (table_init(p, n, &t) < 0)
		goto out;
	for (tr = n->children; tr; tr = tr->next)
		nr += is(tr, "tr");
	r = bp_xcalloc(nr + 1, sizeof(*r));
	for (i = 0, tr = n->children; tr; tr = tr->next) {
		if (!is(tr, "tr"))
			continue;
		r[i].tr = tr;
		r[i].head = attr_is(tr, "header", "1");
		r[i].total = attr_is(tr, "total", "1");
		r[i].c = bp_xcalloc(t.ncols ? t.ncols : 1, sizeof(struct cell));
		if ((r[i].h = row_layout(p, &t, tr, r[i].c)) < 0)
			goto out;
		i++;
	}
	/* the head: the header rows above the first body row */
	while (nh < nr && r[nh].head) {
		headh += r[nh].h;
		nh++;
	}
	if (!p->fresh)
		p->y -= 6;
	for (from = nh; from < nr || (from == nh && nh == nr);) {
		k = rows_fitting(r, from, nr, p->y - p->bottom - headh);
		rest = nr - from - k;
		if (rest > 0 && rest < 3)
			k = k > 3 - rest ? k - (3 - rest) : 0;
		if (!p->fresh && k < nr - from && (k < 3 || k == 0)) {
			if (new_page(p) < 0)
				goto out;
			continue;
		}
		if (p->fresh && (k < 3 && k < nr - from)) {
			/* a page too short for three rows: as many as fit */
			k = rows_fitting(r, from, nr, p->y - p->bottom - headh);
			k = k ? k : 1;
		}
		anchor(p);
		for (i = 0; i < nh; i++)
			row_draw(p, &t, &r[i]);
		for (i = from; i < from + k && i < nr; i++)
			row_draw(p, &t, &r[i]);
		from += k;
		if (hpdf_check(p) < 0)
			goto out;
		if (from >= nr)
			break;
		if (new_page(p) < 0)
			goto out;
	}
	p->y -= 10;
	rc = 0;
out:
	for (i = 0; r && i < nr; i++)
		cells_free(r[i].c, t.ncols);
	free(r);
	table_free(&t);
	return rc;
}

/* ---- drawings --------------------------------------------------------- */

struct view {
	float x0, y0, s;   /* page point of user (0,0); user units -> points */
};

static float vx(const struct view *v, double x)
{
	return v->x0 + (float)x * v->s;
}

static float vy(const struct view *v, double y)
{
	return v->y0 - (float)y * v->s;
}

static void set_dash(struct pdf *p, xmlNodePtr n, float s)
{
	xmlChar *d = xmlGetProp(n, (const xmlChar *)"stroke-dasharray");
	HPDF_UINT16 pat[8];
	char *q = (char *)d, *end;
	HPDF_UINT k = 0;
	double v;

	while (q && *q && k < 8) {
		q += strspn(q, " ,");
		v = strtod(q, &end);
		if (end == q)
			break;
		pat[k++] = (HPDF_UINT16)(v * s < 1 ? 1 : lround(v * s));
		q = end;
	}
	xmlFree(d);
	/* An odd list repeats, as in SVG; libharu wants pairs. */
	if (k > 1 && k % 2 && k * 2 <= 8) {
		memcpy(pat + k, pat, k * sizeof(*pat));
		k *= 2;
	} else if (k > 1 && k % 2) {
		k--;
	}
	HPDF_Page_SetDash(p->page, k ? pat : NULL, k, 0);
}

static int stroke_setup(struct pdf *p, xmlNodePtr n, float s, struct rgb def)
{
	struct rgb c;

	if (!color_attr(n, "stroke", def, &c))
		return 0;
	stroke_color(p, c);
	HPDF_Page_SetLineWidth(p->page, (float)num_attr(n, "stroke-width", 1) * s);
	set_dash(p, n, s);
	return 1;
}

static void draw_rect(struct pdf *p, const struct view *v, xmlNodePtr n)
{
	struct rgb fc;
	int fill = color_attr(n, "fill", INK, &fc);
	int stroke = xmlHasProp(n, (const xmlChar *)"stroke") &&
		     stroke_setup(p, n, v->s, INK);
	double w = num_attr(n, "width", 0), h = num_attr(n, "height", 0);

	if (w <= 0 || h <= 0 || (!fill && !stroke))
		return;
	fill_color(p, fc);
	HPDF_Page_Rectangle(p->page, vx(v, num_attr(n, "x", 0)),
			    vy(v, num_attr(n, "y", 0) + h), (float)w * v->s,
			    (float)h * v->s);
	if (fill && stroke)
		HPDF_Page_FillStroke(p->page);
	else if (fill)
		HPDF_Page_Fill(p->page);
	else
		HPDF_Page_Stroke(p->page);
	HPDF_Page_SetDash(p->page, NULL, 0, 0);
}

static void draw_linex(struct pdf *p, const struct view *v, xmlNodePtr n)
{
	if (!stroke_setup(p, n, v->s, INK))
		return;
	HPDF_Page_MoveTo(p->page, vx(v, num_attr(n, "x1", 0)),
			 vy(v, num_attr(n, "y1", 0)));
	HPDF_Page_LineTo(p->page, vx(v, num_attr(n, "x2", 0)),
			 vy(v, num_attr(n, "y2", 0)));
	HPDF_Page_Stroke(p->page);
	HPDF_Page_SetDash(p->page, NULL, 0, 0);
}

static void draw_polyline(struct pdf *p, const struct view *v, xmlNodePtr n)
{
	xmlChar *pts = xmlGetProp(n, (const xmlChar *)"points");
	char *q = (char *)pts, *end;
	double x, y;
	int k = 0;

	if (q && stroke_setup(p, n, v->s, INK)) {
		HPDF_Page_SetLineJoin(p->page, HPDF_ROUND_JOIN);
		for (;;) {
			q += strspn(q, " ,\t\n");
			x = strtod(q, &end);
			if (end == q)
				break;
			q = end + strspn(end, " ,\t\n");
			y = strtod(q, &end);
			if (end == q)
				break;
			q = end;
			if (k++)
				HPDF_Page_LineTo(p->page, vx(v, x), vy(v, y));
			else
				HPDF_Page_MoveTo(p->page, vx(v, x), vy(v, y));
		}
		if (k > 1)
			HPDF_Page_Stroke(p->page);
		else if (k == 1)
			HPDF_Page_EndPath(p->page);
		HPDF_Page_SetDash(p->page, NULL, 0, 0);
		HPDF_Page_SetLineJoin(p->page, HPDF_MITER_JOIN);
	}
	xmlFree(pts);
}

static void draw_circle(struct pdf *p, const struct view *v, xmlNodePtr n)
{
	struct rgb c;
	double r = num_attr(n, "r", 0);

	if (r <= 0 || !color_attr(n, "fill", INK, &c))
		return;
	fill_color(p, c);
	HPDF_Page_Circle(p->page, vx(v, num_attr(n, "cx", 0)),
			 vy(v, num_attr(n, "cy", 0)), (float)r * v->s);
	HPDF_Page_Fill(p->page);
}

static int draw_text(struct pdf *p, const struct view *v, xmlNodePtr n)
{
	float size = (float)num_attr(n, "font-size", 10) * v->s;
	char *s = node_text(n);
	struct para a;
	struct rgb c;
	float x, w = 0;
	size_t i;
	int rc;

	color_attr(n, "fill", INK, &c);
	rc = para_make(p, s, attr_is(n, "font-weight", "bold"),
		       size > 0.5f ? size : 0.5f, c, 1e9f, &a);
	xmlFree(s);
	if (rc < 0 || !a.nl)
		goto out;
	for (i = 0; i < a.t.n; i++)
		w += a.t.g[i].w * a.size;
	x = vx(v, num_attr(n, "x", 0));
	if (attr_is(n, "text-anchor", "middle"))
		x -= w / 2;
	else if (attr_is(n, "text-anchor", "end"))
		x -= w;
	a.l[0] = (struct line){0, a.t.n, w};
	draw_line(p, &a, 0, x, vy(v, num_attr(n, "y", 0)));
out:
	para_free(&a);
	return rc;
}

/* A drawing fills `width` but is never enlarged (its type would grow with
 * it) nor made taller than a page. */
static float drawing_scale(const struct pdf *p, xmlNodePtr n, float width)
{
	double w = num_attr(n, "width", 0), h = num_attr(n, "height", 0);
	float s;

	if (w <= 0 || h <= 0)
		return 0;
	s = width / (float)w;
	if (s > 1)
		s = 1;
	if ((float)h * s > p->top - p->bottom)
		s = (p->top - p->bottom) / (float)h;
	return s;
}

/* Draws the shapes of drawing n with its top-left corner at (x, y). */
static int drawing_at(struct pdf *p, xmlNodePtr n, float x, float y, float s)
{
	struct view v = { x, y, s };
	xmlNodePtr c;

	for (c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, "rect"))
			draw_rect(p, &v, c);
		else if (is(c, "line"))
			draw_linex(p, &v, c);
		else if (is(c, "polyline"))
			draw_polyline(p, &v, c);
		else if (is(c, "circle"))
			draw_circle(p, &v, c);
		else if (is(c, "text")) {
			if (draw_text(p, &v, c) < 0)
				return -1;
		} else
			return bad_node(p, c, "unknown drawing element");
	}
	return hpdf_check(p);
}

static int block_drawing(struct pdf *p, xmlNodePtr n)
{
	double w = num_attr(n, "width", 0), h = num_attr(n, "height", 0);
	float cw = p->right - p->left, s;

	if (w <= 0 || h <= 0)
		return bad_node(p, n, "no width or height on");
	s = drawing_scale(p, n, cw);
	if (!p->fresh)
		p->y -= 6;
	if (ensure(p, (float)h * s) < 0)
		return -1;
	anchor(p);
	if (drawing_at(p, n, p->left + (cw - (float)w * s) / 2, p->y, s) < 0)
		return -1;
	p->y -= (float)h * s + 10;
	p->fresh = 0;
	return 0;
}

#define COLUMN_GAP 18.0f

static size_t column_count(xmlNodePtr n)
{
	size_t k = 0;

	for (n = n->children; n; n = n->next)
		k += is(n, "drawing");
	return k;
}

/* The height of a row of drawings side by side. */
static float columns_height(const struct pdf *p, xmlNodePtr n)
{
	size_t k = column_count(n);
	float colw, h = 0, dh;
	xmlNodePtr c;

	if (!k)
		return 0;
	colw = (p->right - p->left - COLUMN_GAP * (float)(k - 1)) / (float)k;
	for (c = n->children; c; c = c->next) {
		if (!is(c, "drawing"))
			continue;
		dh = (float)num_attr(c, "height", 0) * drawing_scale(p, c, colw);
		h = dh > h ? dh : h;
	}
	return h;
}

/* <columns>: its drawings side by side, each scaled to its column. */
static int block_columns(struct pdf *p, xmlNodePtr n)
{
	size_t k = column_count(n), i = 0;
	float colw, h = columns_height(p, n), s;
	xmlNodePtr c;

	if (!k)
		return 0;
	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !is(c, "drawing"))
			return bad_node(p, c, "only drawings go in <columns>, not");
	colw = (p->right - p->left - COLUMN_GAP * (float)(k - 1)) / (float)k;
	if (!p->fresh)
		p->y -= 6;
	if (ensure(p, h) < 0)
		return -1;
	anchor(p);
	for (c = n->children; c; c = c->next) {
		double w = num_attr(c, "width", 0);

		if (!is(c, "drawing"))
			continue;
		if (w <= 0 || num_attr(c, "height", 0) <= 0)
			return bad_node(p, c, "no width or height on");
		s = drawing_scale(p, c, colw);
		if (drawing_at(p, c, p->left + (colw + COLUMN_GAP) * (float)i +
			       (colw - (float)w * s) / 2, p->y, s) < 0)
			return -1;
		i++;
	}
	p->y -= h + 10;
	p->fresh = 0;
	return 0;
}

/* ---- document --------------------------------------------------------- */

static int block(struct pdf *p, xmlNodePtr n);

/* The title of a section: its title attribute, else its first heading. */
static xmlChar *section_title(xmlNodePtr n)
{
	xmlNodePtr c;

	if (xmlHasProp(n, (const xmlChar *)"title"))
		return xmlGetProp(n, (const xmlChar *)"title");
	for (c = n->children; c; c = c->next)
		if (is(c, "h1") || is(c, "h2"))
			return xmlNodeGetContent(c);
	return NULL;
}

/* <section id title>: its blocks, marked where the first one lands. */
static int block_section(struct pdf *p, xmlNodePtr n)
{
	xmlNodePtr c;

	xmlFree(p->pending_id);
	xmlFree(p->pending_title);
	p->pending_id = xmlGetProp(n, (const xmlChar *)"id");
	p->pending_title = section_title(n);
	if (attr_is(n, "page", "new") && !p->fresh && new_page(p) < 0)
		return -1;
	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && block(p, c) < 0)
			return -1;
	/* a section with nothing drawn still has its place */
	anchor(p);
	return 0;
}

static int block(struct pdf *p, xmlNodePtr n)
{
	if (is(n, "h1"))
		return block_text(p, n, 1, 18, INK, 10, 6, 0);
	if (is(n, "h2"))
		return block_text(p, n, 1, 13, INK, 12, 4, 0);
	if (is(n, "h3"))
		return block_text(p, n, 1, 10.5f, INK, 8, 3, 0);
	if (is(n, "p"))
		return block_text(p, n, 0, BODY_SIZE, INK, 4, 4, 0);
	if (is(n, "li"))
		return block_text(p, n, 0, BODY_SIZE, INK, 1, 2, 14);
	if (is(n, "note"))
		return block_text(p, n, 0, 7.5f, GREY, 2, 4, 0);
	if (is(n, "kpis"))
		return block_kpis(p, n);
	if (is(n, "table"))
		return block_table(p, n);
	if (is(n, "drawing"))
		return block_drawing(p, n);
	if (is(n, "columns"))
		return block_columns(p, n);
	if (is(n, "section"))
		return block_section(p, n);
	if (is(n, "page-break"))
		return p->fresh ? 0 : new_page(p);
	if (is(n, "header") || is(n, "footer"))
		return 0;
	return bad_node(p, n, "unknown element");
}

/* Replaces {page} and {pages} in `s`; caller frees. */
static char *page_subst(const char *s, size_t page, size_t pages)
{
	size_t cap = 0, len = 0;
	char *out = NULL;

	/* Room for the text, the terminator and one number at each step. */
	BP_GROW(out, strlen(s) + 24, cap);
	while (*s) {
		BP_GROW(out, len + 24, cap);
		if (strncmp(s, "{page}", 6) == 0) {
			len += (size_t)snprintf(out + len, cap - len, "%zu", page);
			s += 6;
		} else if (strncmp(s, "{pages}", 7) == 0) {
			len += (size_t)snprintf(out + len, cap - len, "%zu", pages);
			s += 7;
		} else {
			out[len++] = *s++;
		}
	}
	out[len] = '\0';
	return out;
}

/* Draws the header or footer on page i; one line, centred when footer. */
static int running(struct pdf *p, xmlNodePtr n, size_t i, float base, int footer)
{
	char *s = node_text(n), *t = page_subst(s, i + 1, p->npages);
	float cw = p->right - p->left;
	struct para a;
	int rc = -1;

	xmlFree(s);
	if (para_make(p, t, 0, 7.5f, GREY, cw, &a) == 0) {
		p->page = p->pages[i];
		if (a.nl)
			draw_line(p, &a, 0,
				  p->left + (footer ? (cw - a.l[0].w) / 2 : 0), base);
		para_free(&a);
		rc = hpdf_check(p);
	}
	free(t);
	return rc;
}

static int running_all(struct pdf *p)
{
	float head = p->top + 10, foot = p->bottom - 18;
	size_t i;

	head = head > p->ph - 14 ? p->ph - 14 : head;
	foot = foot < 8 ? 8 : foot;
	for (i = 0; i < p->npages; i++) {
		/* the first page names the report in its own heading */
		if (p->header && !(i == 0 && attr_is(p->header, "first-page", "0")) &&
		    running(p, p->header, i, head, 0) < 0)
			return -1;
		if (p->footer && running(p, p->footer, i, foot, 1) < 0)
			return -1;
	}
	return 0;
}

static int page_geometry(struct pdf *p, xmlNodePtr root)
{
	double m = num_attr(root, "margin", 36);
	float w = 595.276f, h = 841.89f, t;

	if (attr_is(root, "size", "Letter")) {
		w = 612;
		h = 792;
	} else if (xmlHasProp(root, (const xmlChar *)"size") &&
		   !attr_is(root, "size", "A4")) {
		return bad_node(p, root, "unknown size on");
	}
	if (!attr_is(root, "orientation", "portrait")) {
		t = w;
		w = h;
		h = t;
	}
	if (m < 0 || m > 144)
		m = 36;
	p->pw = w;
	p->ph = h;
	p->left = (float)m;
	p->right = w - (float)m;
	p->top = h - (float)m;
	p->bottom = (float)m;
	return 0;
}

static int layout(struct pdf *p, xmlNodePtr root)
{
	xmlNodePtr n;

	if (!root || !is(root, "document"))
		return root ? bad_node(p, root, "expected <document>, not")
			    : bp_err_set(p->err, BP_ECONFIG, "empty page document");
	if (page_geometry(p, root) < 0 || new_page(p) < 0)
		return -1;
	/* The base font first, so a missing one fails even an empty page. */
	if (font_load(p, &p->face[REGULAR].f[0]) < 0)
		return -1;
	for (n = root->children; n; n = n->next) {
		if (is(n, "header"))
			p->header = n;
		else if (is(n, "footer"))
			p->footer = n;
	}
	for (n = root->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && block(p, n) < 0)
			return -1;
	return running_all(p);
}

static void set_info(struct pdf *p, xmlNodePtr root, const bp_pdf_options *opt)
{
	xmlChar *title = root ? xmlGetProp(root, (const xmlChar *)"title") : NULL;
	time_t t = opt && opt->created != BP_TIME_NONE ? (time_t)opt->created
						     : time(NULL);
	HPDF_Date d = {0};
	struct tm tm;

	if (opt && opt->title)
		HPDF_SetInfoAttr(p->doc, HPDF_INFO_TITLE, opt->title);
	else if (title)
		HPDF_SetInfoAttr(p->doc, HPDF_INFO_TITLE, (const char *)title);
	xmlFree(title);
	HPDF_SetInfoAttr(p->doc, HPDF_INFO_CREATOR, "boardpack");
	if (gmtime_r(&t, &tm)) {
		d.year = tm.tm_year + 1900;
		d.month = tm.tm_mon + 1;
		d.day = tm.tm_mday;
		d.hour = tm.tm_hour;
		d.minutes = tm.tm_min;
		d.seconds = tm.tm_sec;
		d.ind = 'Z';
		HPDF_SetInfoDateAttr(p->doc, HPDF_INFO_CREATION_DATE, d);
		HPDF_SetInfoDateAttr(p->doc, HPDF_INFO_MOD_DATE, d);
	}
}

/* ---- composite glyphs ------------------------------------------------- */

/* libharu embeds only the glyphs it saw used, and of a composite glyph
 * (many CJK characters of WenQuanYi are built of parts) it finds the parts
 * one level deep and only below glyph 32768: the others are left empty,
 * and the character prints blank.  Before saving, every part of every
 * used glyph, at any depth, is marked used too, read from the font file. */
static int glyph_parts(FILE *fp, HPDF_TTFontDefAttr a, unsigned gid,
		       unsigned *parts, int max)
{
	unsigned char b[4];
	uint32_t off, end;
	unsigned flags;
	int n = 0;

	if (gid + 1 > a->num_glyphs)
		return 0;
	off = a->glyph_tbl.offsets[gid];
	end = a->glyph_tbl.offsets[gid + 1];
	if (a->header.index_to_loc_format == 0) {
		off *= 2;
		end *= 2;
	}
	if (end <= off + 10 ||
	    fseek(fp, (long)(a->glyph_tbl.base_offset + off), SEEK_SET) != 0 ||
	    fread(b, 1, 2, fp) != 2 || (b[0] << 8 | b[1]) != 0xFFFF ||
	    fseek(fp, 8, SEEK_CUR) != 0)
		return 0;
	do {
		if (fread(b, 1, 4, fp) != 4)
			break;
		flags = (unsigned)(b[0] << 8 | b[1]);
		if (n < max)
			parts[n++] = (unsigned)(b[2] << 8 | b[3]);
		/* the arguments, then the scale, if any */
		if (fseek(fp, (flags & 1 ? 4 : 2) + (flags & 8 ? 2 : flags & 64 ? 4
						     : flags & 128 ? 8 : 0),
			  SEEK_CUR) != 0)
			break;
	} while (flags & 32);
	return n;
}

static void mark_parts(const struct font *f)
{
	HPDF_TTFontDefAttr a = f->def ? (HPDF_TTFontDefAttr)f->def->attr : NULL;
	unsigned parts[64];
	FILE *fp;
	int changed = 1, k, n, pass;
	unsigned g;

	if (!a || !a->embedding || !a->glyph_tbl.flgs || !(fp = fopen(f->path, "rb")))
		return;
	/* flag 2: its parts are marked; passes until no part is new (depth) */
	for (pass = 0; changed && pass < 8; pass++) {
		changed = 0;
		for (g = 0; g < a->num_glyphs; g++) {
			if (a->glyph_tbl.flgs[g] != 1)
				continue;
			a->glyph_tbl.flgs[g] = 2;
			n = glyph_parts(fp, a, g, parts, 64);
			for (k = 0; k < n; k++)
				if (parts[k] < a->num_glyphs && !a->glyph_tbl.flgs[parts[k]]) {
					a->glyph_tbl.flgs[parts[k]] = 1;
					changed = 1;
				}
		}
	}
	for (g = 0; g < a->num_glyphs; g++)
		if (a->glyph_tbl.flgs[g])
			a->glyph_tbl.flgs[g] = 1;
	fclose(fp);
}

static void mark_all_parts(struct pdf *p)
{
	int face, i;

	for (face = 0; face < 2; face++)
		for (i = 0; i < p->face[face].n; i++)
			if (p->face[face].f[i].state == 1)
				mark_parts(&p->face[face].f[i]);
}

/* ---- output ----------------------------------------------------------- */

/* ---- libharu's compression, at zlib's fastest level ----
 *
 * libharu deflates every stream of the document (the embedded fonts,
 * their CIDToGIDMaps, the pages) as it saves, at zlib's default level 6:
 * 17 ms of a 40 ms English board pack's layout, 25 of a Korean one's.
 * Level 1 takes 4–7 ms for documents 7% larger (360 KB to 384 KB, a
 * Korean one 555 KB to 592 KB): the board pack is read on screens and in
 * mail, where that is nothing, and the run is the shorter for it.
 *
 * libharu calls zlib through its procedure linkage table, so this
 * definition, which the dynamic linker binds to the executable's first,
 * takes the place of zlib's deflateInit_ (what deflateInit() expands to)
 * for the whole process.  It asks for Z_BEST_SPEED only while this
 * thread saves a document (save_to_memory), and otherwise passes the
 * caller's level on, with the parameters zlib's own deflateInit_ gives
 * deflateInit2_ (window MAX_WBITS, memory level 8, the default strategy).
 * tests/unit/test_pdf.c checks both: a board pack's streams are level 1's
 * bytes, and a deflate elsewhere is the level asked for. */
static _Thread_local int saving_pdf;

int deflateInit_(z_streamp strm, int level, const char *version, int stream_size)
{
	return deflateInit2_(strm, saving_pdf ? Z_BEST_SPEED : level, Z_DEFLATED,
			     MAX_WBITS, 8, Z_DEFAULT_STRATEGY, version,
			     stream_size);
}

/* The document as bytes, from libharu's in-memory stream; -1 with
 * p->code set when libharu fails. */
static int save_to_memory(struct pdf *p, unsigned char **out, size_t *len)
{
	HPDF_UINT32 size, off = 0, n;
	HPDF_STATUS st = HPDF_OK;
	unsigned char *buf;

	saving_pdf = 1;
	st = HPDF_SaveToStream(p->doc);
	saving_pdf = 0;
	if (st != HPDF_OK)
		return -1;
	size = HPDF_GetStreamSize(p->doc);
	buf = bp_xmalloc(size ? size : 1);
	HPDF_ResetStream(p->doc);
	while (off < size && st == HPDF_OK) {
		n = size - off;
		st = HPDF_ReadFromStream(p->doc, buf + off, &n);
		off += n;
	}
	if (off != size || (st != HPDF_OK && st != HPDF_STREAM_EOF)) {
		free(buf);
		if (!p->code)
			p->code = HPDF_FILE_IO_ERROR;
		return -1;
	}
	*out = buf;
	*len = size;
	return 0;
}

int bp_pdf_render(xmlDocPtr page_doc, const bp_pdf_options *opt,
		  unsigned char **out, size_t *len, bp_err *err)
{
	struct pdf p;
	xmlNodePtr root = page_doc ? xmlDocGetRootElement(page_doc) : NULL;
	int rc = -1;
	size_t i;

	*out = NULL;
	*len = 0;
	memset(&p, 0, sizeof(p));
	p.err = err;
	p.file = page_doc && page_doc->URL ? (const char *)page_doc->URL : NULL;
	p.pick = bp_xcalloc(2, 65536);
	p.advance = bp_xreallocarray(NULL, 2 * 65536, sizeof(*p.advance));
	for (i = 0; i < 2 * 65536; i++)
		p.advance[i] = -1.0f;
	/* libharu fails to create a document only for want of memory, which
	 * its allocator now never reports. */
	p.doc = HPDF_NewEx(on_hpdf_error, hpdf_alloc, free, 0, &p);
	fonts_init(&p, opt ? opt->font_path : NULL);
	HPDF_SetCompressionMode(p.doc, HPDF_COMP_ALL);
	HPDF_UseUTFEncodings(p.doc);
	HPDF_SetCurrentEncoder(p.doc, "UTF-8");
	if (hpdf_check(&p) < 0)
		goto out;
	set_info(&p, root, opt);
	if (layout(&p, root) < 0 || hpdf_check(&p) < 0)
		goto out;
	mark_all_parts(&p);
	if (save_to_memory(&p, out, len) < 0) {
		hpdf_check(&p);
		goto out;
	}
	rc = 0;
out:
	HPDF_Free(p.doc);
	xmlFree(p.pending_id);
	xmlFree(p.pending_title);
	free(p.pages);
	free(p.pick);
	free(p.advance);
	return rc;
}

int bp_pdf_write(xmlDocPtr page_doc, const char *out_path,
		 const bp_pdf_options *opt, bp_err *err)
{
	unsigned char *data;
	size_t len;
	int rc;

	if (bp_pdf_render(page_doc, opt, &data, &len, err) < 0)
		return -1;
	rc = bp_fs_write_file(out_path, data, len, 0644, err);
	free(data);
	return rc;
}
