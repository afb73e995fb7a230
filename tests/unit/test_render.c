/*
 * test_render.c - the template engine: directives, escaping, errors, and
 * the shipped report against the sample metrics (xmllint as the oracle).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <libxml/parser.h>
#include "render.h"
#include "testlib.h"

#define HEAD "<r xmlns:bp=\"urn:boardpack:template:1\">"

static const char metrics_xml[] =
	"<metrics version=\"1\">"
	"<run period=\"2026-10\" currency=\"USD\" language=\"en\"/>"
	"<channels><channel id=\"a\" label=\"Alpha\"/>"
	"<channel id=\"b\" label=\"&lt;script&gt;alert(1)&lt;/script&gt;\"/>"
	"<channel id=\"c\" label=\"Gamma\"/></channels>"
	"<economics><row month=\"2026-10\" channel=\"all\" new_leads=\"1234\" cost=\"1234.5\"/>"
	"<row month=\"2026-09\" channel=\"all\" new_leads=\"100\"/></economics>"
	"</metrics>";

typedef struct fx {
	xmlDocPtr metrics;
	char *dir;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->metrics = xmlReadMemory(metrics_xml, sizeof(metrics_xml) - 1,
				   "metrics.xml", NULL, 0);
	if (!f->metrics)
		return -1;
	f->dir = tl_tmpdir("/tmp/bp-render-XXXXXX");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	tl_rmtree(f->dir);
	free(f->dir);
	xmlFreeDoc(f->metrics);
	free(f);
	return 0;
}

/* Writes a template into the fixture folder; returns its path (static). */
static const char *tpl(fx *f, const char *name, const char *text)
{
	const char *path = tl_path(f->dir, name);

	tl_write_file(path, text);
	return path;
}

/* Expands text and serialises the result without declaration. */
static char *expand(fx *f, const char *text, bp_err *err)
{
	xmlDocPtr d = bp_render_expand(f->metrics, tpl(f, "t.xml", text), err);
	xmlChar *mem = NULL;
	char *out;
	int len = 0;

	if (!d)
		return NULL;
	xmlDocDumpMemory(d, &mem, &len);
	xmlFreeDoc(d);
	out = strdup(strstr((char *)mem, "?>\n") ? strstr((char *)mem, "?>\n") + 3
						  : (char *)mem);
	xmlFree(mem);
	return out;
}

static void test_render_each_repeats_with_position(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "<i bp:each=\"/metrics/channels/channel\""
			   " bp:text=\"concat($i, '/', $n, ':', @id)\"/></r>", &err);

	assert_non_null(out);
	assert_string_equal(out, "<r><i>1/3:a</i><i>2/3:b</i><i>3/3:c</i></r>\n");
	free(out);
}

static void test_render_each_as_names_outer_node(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD
		"<o bp:each=\"/metrics/channels/channel[@id!='b']\" bp:as=\"ch\">"
		"<i bp:each=\"/metrics/run\" bp:text=\"concat(@period, $ch/@id)\"/></o></r>",
		&err);

	assert_non_null(out);
	assert_string_equal(out, "<r><o><i>2026-10a</i></o><o><i>2026-10c</i></o></r>\n");
	free(out);
}

static void test_render_if_keeps_or_drops(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "<yes bp:if=\"/metrics/run\"/>"
			   "<no bp:if=\"/metrics/nothing\"/></r>", &err);

	assert_non_null(out);
	assert_string_equal(out, "<r><yes/></r>\n");
	free(out);
}

static void test_render_text_uses_format_functions(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD
		"<a bp:text=\"bp:int(/metrics/economics/row[1]/@new_leads)\">old</a>"
		"<b bp:text=\"bp:money(/metrics/economics/row[1]/@cost)\"/>"
		"<c bp:text=\"bp:money(/metrics/economics/row[2]/@cost)\"/>"
		"<d bp:text=\"bp:month-name(/metrics/run/@period)\"/></r>", &err);

	assert_non_null(out);
	/* absent cost gives an empty string, not $0.00 */
	assert_string_equal(out, "<r><a>1,234</a><b>$1,234.50</b><c></c>"
			    "<d>October 2026</d></r>\n");
	free(out);
}

static void test_render_attr_sets_attribute(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "<a class=\"k\" bp:attr-title=\""
			   "/metrics/run/@period\"/></r>", &err);

	assert_non_null(out);
	assert_string_equal(out, "<r><a class=\"k\" title=\"2026-10\"/></r>\n");
	free(out);
}

static void test_render_include_expands_sibling(void **state)
{
	fx *f = *state;
	bp_err err = {0};
	char *out;

	tpl(f, "part.xml", "<p xmlns:bp=\"urn:boardpack:template:1\" "
	    "bp:text=\"/metrics/run/@currency\"/>");
	out = expand(f, HEAD "<bp:include href=\"part.xml\"/></r>", &err);
	assert_non_null(out);
	assert_string_equal(out, "<r><p>USD</p></r>\n");
	free(out);
}

static void test_render_hostile_value_stays_text(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "<td bp:each=\"/metrics/channels/channel[2]\""
			   " bp:text=\"@label\"/></r>", &err);

	assert_non_null(out);
	assert_non_null(strstr(out, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_null(strstr(out, "<script"));
	free(out);
}

static void test_render_bp_namespace_removed(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "<a bp:if=\"true()\"/></r>", &err);

	assert_non_null(out);
	assert_null(strstr(out, "urn:boardpack"));
	assert_null(strstr(out, "bp:"));
	free(out);
}

static void test_render_bad_xpath_names_file_and_line(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "\n\n<a bp:text=\"count(((\"/></r>", &err);

	assert_null(out);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.file, "t.xml"));
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "count((("));
}

/* An undefined variable is named as such, with where it is. */
static void test_render_undefined_variable_says_so(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "\n<a bp:text=\"concat('x', $nope)\"/></r>",
			   &err);

	assert_null(out);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "undefined variable"));
}

static void test_render_unknown_bp_attribute_is_error(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "\n<a bp:repeat=\"1\"/></r>", &err);

	assert_null(out);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "bp:repeat"));
}

static void test_render_missing_include_is_error(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "\n\n\n<bp:include href=\"nope.xml\"/></r>",
			   &err);

	assert_null(out);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.file, "t.xml"));
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "nope.xml"));
}

static void test_render_unknown_chart_type_is_error(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "<bp:chart type=\"pie\" rows=\"/\" x=\"1\""
			   " y=\"1\"/></r>", &err);

	assert_null(out);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "pie"));
}

static void test_render_chart_becomes_drawing(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "<bp:chart type=\"bar\" rows=\""
			   "/metrics/economics/row\" x=\"@month\" y=\"@new_leads\""
			   " width=\"300\" height=\"200\"/></r>", &err);

	assert_non_null(out);
	assert_non_null(strstr(out, "<drawing width=\"300\" height=\"200\">"));
	assert_non_null(strstr(out, "<rect "));
	assert_non_null(strstr(out, ">2026-09</text>"));
	free(out);
}

static void test_render_report_html_is_valid_and_closed(void **state)
{
	fx *f = *state;
	const char *src = tl_srcdir();
	char sample[512], report[512], out[256], cmd[700];
	bp_err err = {0};
	xmlDocPtr m;
	char *html;
	size_t len;

	snprintf(sample, sizeof(sample), "%s/tests/fixtures/metrics-sample.xml", src);
	snprintf(report, sizeof(report), "%s/templates/en/report.html", src);
	snprintf(out, sizeof(out), "%s/report.html", f->dir);
	m = bp_render_load_metrics(sample, &err);
	assert_non_null(m);
	assert_int_equal(bp_render_html(m, report, out, &err), 0);
	snprintf(cmd, sizeof(cmd), "xmllint --noout '%s' 2>/dev/null", out);
	assert_int_equal(system(cmd), 0);
	html = bp_render_html_buffer(m, report, &len, &err);
	assert_non_null(html);
	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)"));
	/* the only URIs are the two namespace names */
	assert_int_equal(tl_count(html, "https://"), 0);
	assert_int_equal(tl_count(html, "http://"),
			 tl_count(html, "http://www.w3.org/1999/xhtml") +
			 tl_count(html, "http://www.w3.org/2000/svg\""));
	assert_true(tl_count(html, "<svg ") >= 5);
	free(html);
	xmlFreeDoc(m);
}

/* Renders a shipped template against the sample; caller frees. */
static char *render_shipped(const char *lang, const char *name)
{
	const char *src = tl_srcdir();
	char sample[512], path[512];
	bp_err err = {0};
	xmlNodePtr run;
	xmlDocPtr m;
	char *html;
	size_t len;

	snprintf(sample, sizeof(sample), "%s/tests/fixtures/metrics-sample.xml", src);
	snprintf(path, sizeof(path), "%s/templates/%s/%s", src, lang, name);
	m = bp_render_load_metrics(sample, &err);
	assert_non_null(m);
	/* a run's language matches its template folder */
	for (run = xmlDocGetRootElement(m)->children; run; run = run->next)
		if (run->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(run->name, BAD_CAST "run"))
			xmlSetProp(run, BAD_CAST "language", BAD_CAST lang);
	html = bp_render_html_buffer(m, path, &len, &err);
	xmlFreeDoc(m);
	return html;
}

static void test_render_email_uses_no_svg_style_or_script(void **state)
{
	char *html = render_shipped("en", "email.html");

	(void)state;
	assert_non_null(html);
	assert_null(strstr(html, "<svg"));
	assert_null(strstr(html, "<style"));
	assert_null(strstr(html, "<script"));
	/* the CAC bar of the dearest channel spans its cell */
	assert_non_null(strstr(html, "width=\"100%\"><tr><td height=\"14\""));
	free(html);
}

static void test_render_korean_report_has_korean_labels(void **state)
{
	char *html = render_shipped("ko", "report.html");

	(void)state;
	assert_non_null(html);
	assert_non_null(strstr(html, "\xec\x8b\xa0\xea\xb7\x9c \xeb\xa6\xac\xeb\x93\x9c"));
	assert_non_null(strstr(html, "2026\xeb\x85\x84 10\xec\x9b\x94"));
	free(html);
}

static void test_render_template_dir_search_order(void **state)
{
	fx *f = *state;
	char base[128], sub[160], out[512];
	bp_err err = {0};

	snprintf(base, sizeof(base), "%s/tpls", f->dir);
	assert_int_equal(mkdir(base, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/en", base);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/ko", base);
	assert_int_equal(mkdir(sub, 0755), 0);
	tpl(f, "tpls/en/report.html", "");
	unsetenv("BOARDPACK_TEMPLATES");
	/* only en exists: ko falls back to it, and says so */
	assert_int_equal(bp_render_template_dir(base, "ko", NULL, out, sizeof(out), &err), 1);
	assert_non_null(strstr(out, "/tpls/en"));
	tpl(f, "tpls/ko/report.html", "");
	assert_int_equal(bp_render_template_dir(base, "ko", NULL, out, sizeof(out), &err), 0);
	assert_non_null(strstr(out, "/tpls/ko"));
}

static void test_render_template_dir_too_long_for_buffer_is_error(void **state)
{
	fx *f = *state;
	char base[128], sub[160], out[8];
	bp_err err = {0};

	snprintf(base, sizeof(base), "%s/long", f->dir);
	assert_int_equal(mkdir(base, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/en", base);
	assert_int_equal(mkdir(sub, 0755), 0);
	tpl(f, "long/en/report.html", "");
	unsetenv("BOARDPACK_TEMPLATES");
	/* the folder is found but does not fit: an error naming it, never a
	 * path cut short */
	assert_int_equal(bp_render_template_dir(base, "en", NULL, out, sizeof(out), &err), -1);
	assert_int_equal(err.code, BP_ENOINPUT);
	assert_non_null(strstr(err.msg, "/long/en' is too long a path"));
}

/* Expands text with the limits given; NULL on error. */
static xmlDocPtr expand_limited(fx *f, const char *text, unsigned long nodes,
				size_t bytes, unsigned long steps, bp_err *err)
{
	bp_render_limits lim = { nodes, bytes, steps };

	return bp_render_expand_limited(f->metrics, tpl(f, "t.xml", text), &lim, err);
}

/* Three bp:each inside each other over the three channels make 40
 * elements (no text nodes: the lines break inside the tags): with room
 * for 20 the expansion stops where the 21st would be made, a <c>, naming
 * the template and the line its tag ends on. */
static void test_render_expansion_past_node_limit_stops_at_line(void **state)
{
	static const char t[] = HEAD "<a\n"
		"bp:each=\"//channel\"><b\n"
		"bp:each=\"//channel\"><c\n"
		"bp:each=\"//channel\"/></b></a></r>";
	bp_err err = {0};
	xmlDocPtr d = expand_limited(*state, t, 20, 1 << 20, 1000000, &err);

	assert_null(d);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.file, "t.xml"));
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "more than 20 elements and texts"));
	/* With room for all 40 it expands. */
	bp_err_clear(&err);
	d = expand_limited(*state, t, 40, 1 << 20, 1000000, &err);
	assert_non_null(d);
	xmlFreeDoc(d);
}

static void test_render_expansion_past_byte_limit_stops_at_line(void **state)
{
	static const char t[] = HEAD "\n"
		"<p bp:each=\"//channel\" bp:text=\"bp:join(//@label)\"/></r>";
	bp_err err = {0};
	xmlDocPtr d = expand_limited(*state, t, 1000, 100, 1000000, &err);

	/* Each <p> holds 43 bytes ("Alpha, <script>alert(1)</script>, Gamma"). */
	assert_null(d);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "writes more than 100 bytes"));
	bp_err_clear(&err);
	d = expand_limited(*state, t, 1000, 200, 1000000, &err);
	assert_non_null(d);
	xmlFreeDoc(d);
}

/* The XPath steps of the whole expansion are counted together. */
static void test_render_expansion_past_xpath_steps_stops_at_line(void **state)
{
	static const char t[] = HEAD "\n\n"
		"<p bp:each=\"//node()\" bp:text=\"count(//node()[count(//node()) &gt; 1])\"/></r>";
	bp_err err = {0};
	xmlDocPtr d = expand_limited(*state, t, 100000, 1 << 20, 200, &err);

	assert_null(d);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "takes too long"));
	assert_non_null(strstr(err.msg, "more than 200 steps"));
	bp_err_clear(&err);
	d = expand_limited(*state, t, 100000, 1 << 20, 100000000, &err);
	assert_non_null(d);
	xmlFreeDoc(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_each_repeats_with_position),
		cmocka_unit_test(test_render_each_as_names_outer_node),
		cmocka_unit_test(test_render_if_keeps_or_drops),
		cmocka_unit_test(test_render_text_uses_format_functions),
		cmocka_unit_test(test_render_attr_sets_attribute),
		cmocka_unit_test(test_render_include_expands_sibling),
		cmocka_unit_test(test_render_hostile_value_stays_text),
		cmocka_unit_test(test_render_bp_namespace_removed),
		cmocka_unit_test(test_render_bad_xpath_names_file_and_line),
		cmocka_unit_test(test_render_undefined_variable_says_so),
		cmocka_unit_test(test_render_unknown_bp_attribute_is_error),
		cmocka_unit_test(test_render_missing_include_is_error),
		cmocka_unit_test(test_render_unknown_chart_type_is_error),
		cmocka_unit_test(test_render_chart_becomes_drawing),
		cmocka_unit_test(test_render_report_html_is_valid_and_closed),
		cmocka_unit_test(test_render_email_uses_no_svg_style_or_script),
		cmocka_unit_test(test_render_korean_report_has_korean_labels),
		cmocka_unit_test(test_render_template_dir_search_order),
		cmocka_unit_test(test_render_template_dir_too_long_for_buffer_is_error),
		cmocka_unit_test(test_render_expansion_past_node_limit_stops_at_line),
		cmocka_unit_test(test_render_expansion_past_byte_limit_stops_at_line),
		cmocka_unit_test(test_render_expansion_past_xpath_steps_stops_at_line),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
