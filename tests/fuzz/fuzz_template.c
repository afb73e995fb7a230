/*
 * fuzz_template.c - libFuzzer target for the template engine: the input is
 * a template, expanded against a real metrics.xml (the demo's, three
 * months: tests/fixtures/metrics-demo.xml).
 *
 * The template is written as t.html into a private folder that also holds
 * the built-in story.xml and health.xml (so bp:include has real files to
 * find, the template itself included) and labels/en.xml (bp:label).  Each
 * input is expanded with bp_render_expand_limited under limits a tenth of
 * the defaults or less (the engine's own bounds, not a second set), which
 * keep one input well under a second; the built-in report fits them.
 *
 * Besides not crashing or leaking, checks what must always hold: a
 * refused template gives BP_ECONFIG with a message; an expanded one has a
 * root and nothing of the bp namespace; and then bp_render_html_buffer,
 * which expands the same template with the default limits, succeeds and
 * writes HTML that parses as well-formed XML to the same elements.
 */
#include "render.h"
#include "mem.h"
#include "fuzzlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#define METRICS "tests/fixtures/metrics-demo.xml"

/* The built-in report of the demo takes about 2,400 nodes and 30 KB. */
static const bp_render_limits fuzz_limits = { 20000, 1 << 20, 20000000 };

static xmlDocPtr metrics;
static char tpl_path[4096];
static int verbose;   /* BP_FUZZ_VERBOSE=1: say what became of each input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	bp_err err = { 0 };
	const char *env = getenv("BP_FUZZ_METRICS");

	(void)argc;
	(void)argv;
	bp_mem_init();
	verbose = getenv("BP_FUZZ_VERBOSE") != NULL;
	metrics = bp_render_load_metrics(env ? env : METRICS, &err);
	if (!metrics) {
		fprintf(stderr, "fuzz_template: %s (run from the repository root)\n",
			err.msg);
		abort();
	}
	fz_dir("template");
	fz_mkdir(fz_path("labels"));
	fz_copy("templates/labels/en.xml", fz_path("labels/en.xml"));
	fz_copy("templates/story.xml", fz_path("story.xml"));
	fz_copy("templates/health.xml", fz_path("health.xml"));
	snprintf(tpl_path, sizeof(tpl_path), "%s", fz_path("t.html"));
	return 0;
}

static int in_bp(const xmlNs *ns)
{
	return ns && ns->href && !strcmp((const char *)ns->href, BP_TEMPLATE_NS);
}

/* No element, attribute or declaration of the bp namespace; returns the
 * number of elements other than <meta> (libxml2's XHTML serialiser adds a
 * <meta http-equiv="Content-Type"> to a <head> without one). */
static size_t check_no_bp(const xmlNode *n)
{
	size_t count = 0;

	for (; n; n = n->next) {
		const xmlAttr *a;
		const xmlNs *ns;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		count += strcmp((const char *)n->name, "meta") != 0;
		if (in_bp(n->ns))
			abort();
		for (ns = n->nsDef; ns; ns = ns->next)
			if (in_bp(ns))
				abort();
		for (a = n->properties; a; a = a->next)
			if (in_bp(a->ns))
				abort();
		count += check_no_bp(n->children);
	}
	return count;
}

static void check_html(const char *html, size_t len, size_t elements)
{
	xmlDocPtr d;

	if (strlen(html) != len || strncmp(html, "<!DOCTYPE html>\n", 16))
		abort();
	/* XML_PARSE_HUGE: a template that includes itself nests deeper than
	 * libxml2's default limit of 256 levels, which browsers do not have. */
	d = xmlReadMemory(html, (int)len, "out.html", "UTF-8", XML_PARSE_NONET |
			  XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
	if (!d) {
		fprintf(stderr, "fuzz_template: the HTML is not well-formed:\n%.*s\n",
			(int)(len > 4000 ? 4000 : len), html);
		abort();
	}
	/* Every element written, none more (a drawing becomes an svg). */
	if (check_no_bp(xmlDocGetRootElement(d)) != elements)
		abort();
	xmlFreeDoc(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bp_err err = { 0 };
	xmlDocPtr out;
	size_t len = 0, elements;
	char *html;

	fz_write(tpl_path, data, size);
	out = bp_render_expand_limited(metrics, tpl_path, &fuzz_limits, &err);
	if (!out) {
		if (err.code != BP_ECONFIG || !err.msg[0] || !err.file[0]) {
			fprintf(stderr, "fuzz_template: refused with %d: %s\n",
				err.code, err.msg);
			abort();
		}
		if (verbose)
			fprintf(stderr, "fuzz_template: refused: %s:%ld: %s\n",
				err.file, err.line, err.msg);
		return 0;
	}
	if (!xmlDocGetRootElement(out))
		abort();
	elements = check_no_bp(xmlDocGetRootElement(out));
	xmlFreeDoc(out);
	html = bp_render_html_buffer(metrics, tpl_path, &len, &err);
	if (!html) {
		fprintf(stderr, "fuzz_template: expanded within the limits, then "
			"refused: %d %s\n", err.code, err.msg);
		abort();
	}
	check_html(html, len, elements);
	if (verbose)
		fprintf(stderr, "fuzz_template: %zu elements, %zu bytes of HTML\n",
			elements, len);
	free(html);
	return 0;
}
