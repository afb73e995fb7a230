/*
 * render.h - the template engine: metrics.xml + a template -> a document.
 *
 * Templates are XML files (XHTML for the report and the email, a page
 * vocabulary for the PDF) with directives in the namespace
 * urn:boardpack:template:1 (prefix "bp" by convention):
 *
 *   bp:each="XPATH"     repeat the element per node; $i (1-based), $n;
 *                       with bp:as="v" the node is also $v (for inner loops)
 *   bp:if="XPATH"       keep the element when boolean(XPATH)
 *   bp:text="XPATH"     replace the content by string(XPATH), as text
 *   bp:attr-NAME="X"    set attribute NAME to string(X) (NAME an attribute
 *                       name of the output: not "1", not xmlns)
 *   <bp:include href="file"/>   the expanded root of a sibling template
 *   <bp:chart type=".." rows=".." x=".." y=".." [series=".."]
 *             [target=".."] [format="int|num|money|money-short|pct"]
 *             [width=".."] [height=".."] [title=".."]/>
 *                        -> <drawing width height> with rect, line,
 *                           polyline, circle, text children (no namespace);
 *                           x, y, series, target see the row as . and $row
 *
 * XPath runs against metrics.xml (no namespace) with the template element's
 * context node; extension functions in the bp namespace:
 *   bp:int(x) bp:num(x, d) bp:money(x) bp:money-short(x) bp:pct(x [, d])
 *   bp:month-name(YYYY-MM) bp:month-short(YYYY-MM) bp:date(iso)
 *   bp:delta(a, b)   relative change "+5.2%"
 *   bp:delta-pt(a, b) difference of two ratios in points "+1.3 pt"
 *   bp:label(key)    a UI string of run/@language
 * Each returns "" when its input is empty or absent, so a template decides
 * with bp:if (or concat) what to show instead.  Money follows
 * run/@currency, names follow run/@language (en, ko; others read as en).
 *
 * Text always enters as text nodes, so data can never become markup.  The
 * bp namespace and every bp: attribute are removed from the output.
 */
#ifndef BP_RENDER_H
#define BP_RENDER_H

#include <stddef.h>
#include <libxml/tree.h>
#include "err.h"

#define BP_TEMPLATE_NS "urn:boardpack:template:1"

/* What one expansion may make, so that no template (nor the data it walks)
 * can run away with memory, disk or time: elements and text nodes, bytes
 * of text and attribute values, and steps of XPath evaluation (libxml2's
 * operation count, over every expression of the expansion).  The built-in
 * templates for 120 months of ten channels take at most 8,300 nodes,
 * 72 KB and 55 million steps. */
#define BP_RENDER_MAX_NODES 1000000UL
#define BP_RENDER_MAX_BYTES ((size_t)64 << 20)
#define BP_RENDER_MAX_XPATH_STEPS 1000000000UL

typedef struct bp_render_limits {
	unsigned long nodes;
	size_t bytes;
	unsigned long xpath_steps;
} bp_render_limits;

extern const bp_render_limits bp_render_default_limits;

/* Expands the template file against `metrics`.  Returns a new document
 * (the caller frees it with xmlFreeDoc), or NULL with BP_ECONFIG naming
 * the template file and line (bad XPath, unknown bp: directive, missing
 * include, unknown chart type, an expansion past the limits above, a
 * namespace name holding '<' or '&', which no output could carry),
 * BP_ENOINPUT when the template cannot be read.  `metrics` is not
 * modified. */
xmlDocPtr bp_render_expand(xmlDocPtr metrics, const char *template_path,
			   bp_err *err);

/* bp_render_expand with limits of the caller's (tests). */
xmlDocPtr bp_render_expand_limited(xmlDocPtr metrics, const char *template_path,
				   const bp_render_limits *limits, bp_err *err);

/* Expands an HTML template and serialises it: <!DOCTYPE html>, XHTML
 * syntax (so xmllint parses it), UTF-8, every <drawing> turned into an
 * inline <svg>.  Returns a malloc'd NUL-terminated buffer (caller frees)
 * and its length in *len, or NULL with an error as bp_render_expand (or
 * BP_ESOFTWARE when libxml2 fails to serialise the document). */
char *bp_render_html_buffer(xmlDocPtr metrics, const char *template_path,
			    size_t *len, bp_err *err);

/* Like bp_render_html_buffer, written to out_path atomically (a temporary
 * file in the same folder, then rename).  Returns 0, or -1 with the errors
 * above or BP_ECANTCREAT when the file cannot be written. */
int bp_render_html(xmlDocPtr metrics, const char *template_path,
		   const char *out_path, bp_err *err);

/* Loads metrics.xml from a file.  Returns a new document (xmlFreeDoc) or
 * NULL with BP_ENOINPUT (missing) or BP_EDATA (not well-formed, with the
 * line). */
xmlDocPtr bp_render_load_metrics(const char *path, bp_err *err);

/* Finds the template folder for `language` and writes "<base>/<language>"
 * into out.  Bases, in order: config_templates (the config's folder, may
 * be NULL); $BOARDPACK_TEMPLATES; <dir of exe_path>/../templates;
 * <dir of exe_path>/../share/boardpack/templates; BP_PREFIX
 * "/share/boardpack/templates".  A base counts when <base>/<language>/
 * report.html exists.  When no base has the language, the same search is
 * made for "en".  Returns 0 (found the language), 1 (fell back to "en"),
 * or -1 with BP_ENOINPUT when nothing was found (the message lists the
 * places tried) or the folder found does not fit in `size` bytes (the
 * message names it).  exe_path may be NULL. */
int bp_render_template_dir(const char *config_templates, const char *language,
			   const char *exe_path, char *out, size_t size,
			   bp_err *err);

/* The template folder a run uses, allocated into *dir.  A configured
 * folder (report/@templates) is used as it is, and only it: a copy of one
 * language's folder, or a folder holding one per language; one without a
 * report.html is BP_ECONFIG naming `config_path`.  Without one, the
 * installed folders are searched as bp_render_template_dir does, from this
 * executable's place; *fell_back is set when the language had none and
 * English is used.  Returns 0 or -1 (err set). */
int bp_render_find_templates(const char *templates, const char *language,
			     const char *config_path, char **dir,
			     int *fell_back, bp_err *err);

#endif
