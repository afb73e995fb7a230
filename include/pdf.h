/*
 * pdf.h - the PDF board report: lays out an expanded page document with
 * libharu.
 *
 * The input is the page vocabulary of templates/<lang>/report.pdf.xml after
 * the template engine has expanded it (see the render design):
 *
 *   <document title size="A4|Letter" orientation="landscape|portrait"
 *             margin="36">
 *     <header>..{page}..{pages}..</header> <footer>..</footer>
 *     <h1/> <h2/> <p/> <note/>
 *     <kpis><kpi label value note/>..</kpis>
 *     <table widths="3 1 1" align="left right right">
 *       <tr header="1"><td>..</td></tr> <tr><td heat="0.4">..</td></tr>
 *     </table>
 *     <drawing width height> rect line polyline circle text </drawing>
 *     <page-break/>
 *   </document>
 *
 * Text is UTF-8 in embedded TrueType fonts.  Each character is drawn with
 * the first font of the chain that has a glyph for it: the override font
 * (if any), DejaVu Sans, NanumGothic (Hangul and the common Hanja, which
 * covers much Chinese), Noto Sans CJK.  libharu embeds only TrueType
 * outlines, so a font with PostScript (CFF) outlines, as Debian's Noto Sans
 * CJK is, is skipped when it comes from the default chain and refused when
 * it is the override.
 */
#ifndef BP_PDF_H
#define BP_PDF_H

#include <libxml/tree.h>

#include "date.h"
#include "err.h"

typedef struct bp_pdf_options {
	/* Document info Title; NULL: the <document title> attribute. */
	const char *title;
	/* Document info CreationDate; BP_TIME_NONE: the current time. */
	bp_time created;
	/* A TrueType file (.ttf, or .ttc face 0) tried first for every
	 * character, before the default chain; NULL: the defaults only
	 * (config report/@font). */
	const char *font_path;
} bp_pdf_options;

/* Lays out `page_doc` into a PDF in memory: *out (the caller frees it)
 * and *len.  `opt` may be NULL (all defaults).  Page numbers in the header
 * and footer ({page}, {pages}) are filled in after the whole document is
 * laid out.  It touches no file but the fonts and nothing shared, so it
 * may run on a thread of its own while another thread renders the HTML
 * from the same metrics document.
 *
 * Returns 0, or -1 with `err` set and *out NULL:
 *   BP_ECONFIG    a font is missing or unusable (the message names the
 *                 path), or the page document has an unknown element or a
 *                 bad attribute (file and line of the element);
 *   BP_ESOFTWARE  libharu failed (the message gives its error code).
 * The caller keeps ownership of `page_doc`. */
int bp_pdf_render(xmlDocPtr page_doc, const bp_pdf_options *opt,
		  unsigned char **out, size_t *len, bp_err *err);

/* bp_pdf_render, then the bytes written to `out_path` whole or not at all
 * (fs.h's bp_fs_write_file: a temporary file in the same folder, flushed
 * and renamed over `out_path`).  Errors as bp_pdf_render's, and
 * BP_ECANTCREAT when the file cannot be written (none is left behind). */
int bp_pdf_write(xmlDocPtr page_doc, const char *out_path,
		 const bp_pdf_options *opt, bp_err *err);

#endif
