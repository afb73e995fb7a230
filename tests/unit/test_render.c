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
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <libxml/parser.h>
#include "chart.h"
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
	xmlDocDumpMemoryEnc(d, &mem, &len, "UTF-8");
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

/* The expanded document says where each element came from: the
 * template's path as its URL, the template's line on each element, and
 * for what an include brought in, the line of the bp:include. */
static void test_render_output_keeps_template_lines(void **state)
{
	fx *f = *state;
	bp_err err = {0};
	const char *path;
	xmlDocPtr d;
	xmlNodePtr r, a, p;

	tpl(f, "part.xml", "<p xmlns:bp=\"urn:boardpack:template:1\">\n\n\n</p>");
	path = tpl(f, "t.xml", HEAD "\n<a/>\n\n<bp:include href=\"part.xml\"/></r>");
	d = bp_render_expand(f->metrics, path, &err);
	assert_non_null(d);
	assert_string_equal((const char *)d->URL, path);
	r = xmlDocGetRootElement(d);
	assert_int_equal(xmlGetLineNo(r), 1);
	a = xmlFirstElementChild(r);
	assert_string_equal((const char *)a->name, "a");
	assert_int_equal(xmlGetLineNo(a), 2);
	p = xmlNextElementSibling(a);
	assert_string_equal((const char *)p->name, "p");
	assert_int_equal(xmlGetLineNo(p), 4);
	xmlFreeDoc(d);
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
	assert_non_null(strstr(err.msg, strerror(ENOENT)));
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
	snprintf(report, sizeof(report), "%s/templates/report.html", src);
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

/* Renders a shipped template against a fixture in a language; caller
 * frees. */
static char *render_fixture(const char *fixture, const char *lang,
			    const char *name)
{
	const char *src = tl_srcdir();
	char sample[512], path[512];
	bp_err err = {0};
	xmlNodePtr run;
	xmlDocPtr m;
	char *html;
	size_t len;

	snprintf(sample, sizeof(sample), "%s/tests/fixtures/%s", src, fixture);
	snprintf(path, sizeof(path), "%s/templates/%s", src, name);
	m = bp_render_load_metrics(sample, &err);
	assert_non_null(m);
	/* the run's language picks the words */
	for (run = xmlDocGetRootElement(m)->children; run; run = run->next)
		if (run->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(run->name, BAD_CAST "run"))
			xmlSetProp(run, BAD_CAST "language", BAD_CAST lang);
	html = bp_render_html_buffer(m, path, &len, &err);
	if (!html)
		fail_msg("%s:%ld: %s", err.file, err.line, err.msg);
	xmlFreeDoc(m);
	return html;
}

static char *render_shipped(const char *lang, const char *name)
{
	return render_fixture("metrics-sample.xml", lang, name);
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
	snprintf(sub, sizeof(sub), "%s/labels", base);
	assert_int_equal(mkdir(sub, 0755), 0);
	tpl(f, "tpls/report.html", "");
	tpl(f, "tpls/labels/en.xml", "<labels/>");
	unsetenv("BOARDPACK_TEMPLATES");
	/* only English words: ko falls back to them, and says so */
	assert_int_equal(bp_render_template_dir(base, "ko", NULL, out, sizeof(out), &err), 1);
	assert_non_null(strstr(out, "/tpls"));
	tpl(f, "tpls/labels/ko.xml", "<labels/>");
	assert_int_equal(bp_render_template_dir(base, "ko", NULL, out, sizeof(out), &err), 0);
	/* a region finds its base language's words */
	tpl(f, "tpls/labels/zh.xml", "<labels/>");
	assert_int_equal(bp_render_template_dir(base, "zh-TW", NULL, out, sizeof(out), &err), 0);
}

static void test_render_template_dir_too_long_for_buffer_is_error(void **state)
{
	fx *f = *state;
	char base[128], sub[160], out[8];
	bp_err err = {0};

	snprintf(base, sizeof(base), "%s/long", f->dir);
	assert_int_equal(mkdir(base, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/labels", base);
	assert_int_equal(mkdir(sub, 0755), 0);
	tpl(f, "long/report.html", "");
	tpl(f, "long/labels/en.xml", "<labels/>");
	unsetenv("BOARDPACK_TEMPLATES");
	/* the folder is found but does not fit: an error naming it, never a
	 * path cut short */
	assert_int_equal(bp_render_template_dir(base, "en", NULL, out, sizeof(out), &err), -1);
	assert_int_equal(err.code, BP_ENOINPUT);
	assert_non_null(strstr(err.msg, "/long' is too long a path"));
}

/* A configured folder is used as it is: its own report.html and words,
 * or refused naming the config. */
static void test_render_configured_folder_used_or_refused(void **state)
{
	fx *f = *state;
	char base[128], sub[160], *dir = NULL;
	bp_err err = {0};
	int fell;

	snprintf(base, sizeof(base), "%s/mine", f->dir);
	assert_int_equal(mkdir(base, 0755), 0);
	tpl(f, "mine/report.html", "");
	assert_int_equal(bp_render_find_templates(base, "ko", "cfg.xml", &dir, &fell, &err), -1);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.file, "cfg.xml");
	assert_non_null(strstr(err.msg, "labels/ko.xml nor labels/en.xml"));
	snprintf(sub, sizeof(sub), "%s/labels", base);
	assert_int_equal(mkdir(sub, 0755), 0);
	tpl(f, "mine/labels/en.xml", "<labels/>");
	assert_int_equal(bp_render_find_templates(base, "ko", "cfg.xml", &dir, &fell, &err), 0);
	assert_string_equal(dir, base);
	assert_int_equal(fell, 1);
	free(dir);
}

/* ---- words, patterns and figures --------------------------------------- */

/* Writes labels/<lang>.xml beside the fixture templates. */
static void labels(fx *f, const char *lang, const char *body)
{
	char d[160], name[64], text[2048];

	snprintf(d, sizeof(d), "%s/labels", f->dir);
	mkdir(d, 0755);
	snprintf(name, sizeof(name), "labels/%s.xml", lang);
	snprintf(text, sizeof(text), "<labels>%s</labels>", body);
	tpl(f, name, text);
}

static void set_language(fx *f, const char *lang)
{
	xmlNodePtr run;

	for (run = xmlDocGetRootElement(f->metrics)->children; run; run = run->next)
		if (xmlStrEqual(run->name, BAD_CAST "run"))
			xmlSetProp(run, BAD_CAST "language", BAD_CAST lang);
}

static void test_render_label_from_language_then_english(void **state)
{
	fx *f = *state;
	bp_err err = {0};
	char *out;

	labels(f, "en", "<label key='a'>Apple</label><label key='b'>Banana</label>");
	labels(f, "ko", "<label key='a'>\xec\x82\xac\xea\xb3\xbc</label>");
	set_language(f, "ko");
	out = expand(f, HEAD "<x bp:text=\"bp:label('a')\"/><y bp:text=\"bp:label('b')\"/>"
		     "<z bp:text=\"bp:label('nokey')\"/></r>", &err);
	set_language(f, "en");
	assert_non_null(out);
	/* the language's word, English for a key it lacks, the key itself
	 * when no table has it */
	assert_string_equal(out, "<r><x>\xec\x82\xac\xea\xb3\xbc</x><y>Banana</y>"
			    "<z>nokey</z></r>\n");
	free(out);
}

static void test_render_bad_label_table_names_file(void **state)
{
	fx *f = *state;
	bp_err err = {0};
	char *out;

	labels(f, "en", "<label key='a'>unclosed</labl>");
	out = expand(f, HEAD "<x/></r>", &err);
	assert_null(out);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.file, "labels/en.xml"));
	/* the fixture folder is shared: leave a good table behind */
	labels(f, "en", "");
}

static void test_render_fmt_fills_placeholders_in_any_order(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "<a bp:text=\"bp:fmt('{2} before {1}, {1} again; {3}', 'one', 'two')\"/></r>",
			   &err);

	assert_non_null(out);
	/* a placeholder with no argument stays as written */
	assert_string_equal(out, "<r><a>two before one, one again; {3}</a></r>\n");
	free(out);
}

/* A default channel label is said in the report's language; one the
 * config gave is kept as written. */
static void test_render_channel_name_localizes_only_default_labels(void **state)
{
	fx *f = *state;
	bp_err err = {0};
	char *out;

	labels(f, "en", "<label key='channel.a'>Alpha</label><label key='channel.c'>Default C</label>"
		  "<label key='all-channels'>All channels</label>");
	labels(f, "zh-TW", "<label key='channel.a'>\xe7\x94\xb2</label><label key='channel.c'>\xe4\xb8\x99</label>");
	set_language(f, "zh-TW");
	out = expand(f, HEAD "<a bp:text=\"bp:channel-name('a')\"/><c bp:text=\"bp:channel-name('c')\"/>"
		     "<n bp:text=\"bp:channel-name('all')\"/><u bp:text=\"bp:channel-name('zz')\"/></r>", &err);
	set_language(f, "en");
	assert_non_null(out);
	/* a: the default English label, so Chinese; c: "Gamma" was
	 * configured, so kept; all: English as zh-TW lacks it; an unknown
	 * id as itself */
	assert_string_equal(out, "<r><a>\xe7\x94\xb2</a><c>Gamma</c><n>All channels</n><u>zz</u></r>\n");
	free(out);
}

static void test_render_value_reads_as_the_metric(void **state)
{
	fx *f = *state;
	bp_err err = {0};
	char *out;

	labels(f, "en", "<label key='unit.days'>{1} days</label><label key='unit.times'>{1}\xc3\x97</label>");
	out = expand(f, HEAD "<a bp:text=\"bp:value('cac', '1234.5')\"/>"
		     "<b bp:text=\"bp:value('win_rate', '0.333333')\"/>"
		     "<c bp:text=\"bp:value('new_leads', '1234')\"/>"
		     "<d bp:text=\"bp:value('avg_sales_cycle_days', '41.25')\"/>"
		     "<e bp:text=\"bp:value('roas', '3.5')\"/>"
		     "<f bp:text=\"bp:value('won_revenue', '7700000', true())\"/>"
		     "<g bp:text=\"bp:value('cac', '')\"/></r>", &err);
	assert_non_null(out);
	assert_string_equal(out, "<r><a>$1,234.50</a><b>33.3%</b><c>1,234</c>"
			    "<d>41.3 days</d><e>3.50\xc3\x97</e><f>+$7,700,000.00</f><g></g></r>\n");
	free(out);
}

/* Lower is better for costs: a falling CAC is good news, a falling lead
 * count bad; rates change in points. */
static void test_render_change_and_tone_follow_the_better_direction(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD
		"<a bp:text=\"concat(bp:change('cac', 52, 100), ' ', bp:tone('cac', 52, 100))\"/>"
		"<b bp:text=\"concat(bp:change('new_leads', 52, 100), ' ', bp:tone('new_leads', 52, 100))\"/>"
		"<c bp:text=\"concat(bp:change('win_rate', 0.30, 0.25), ' ', bp:tone('win_rate', 0.30, 0.25))\"/>"
		"<d bp:text=\"concat(bp:tone('cost_per_mql', 100, 100.1), '|', bp:tone('cac', '', 3), '|', bp:better('cpl'))\"/></r>",
		&err);

	assert_non_null(out);
	assert_string_equal(out, "<r><a>-48.0% good</a><b>-48.0% bad</b>"
			    "<c>+5.0 pt good</c><d>flat||lower</d></r>\n");
	free(out);
}

static void test_render_when_and_dash(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD
		"<a bp:text=\"bp:when(1 = 1, 'yes', 'no')\"/>"
		"<b bp:text=\"bp:when(1 = 2, 'yes', 'no')\"/>"
		"<c bp:text=\"bp:when(1 = 2, 'yes')\"/>"
		"<d bp:text=\"bp:dash(bp:money(/metrics/economics/row[2]/@cost))\"/>"
		"<e bp:text=\"bp:dash('x')\"/></r>", &err);

	assert_non_null(out);
	assert_string_equal(out, "<r><a>yes</a><b>no</b><c></c><d>\xe2\x80\x94</d><e>x</e></r>\n");
	free(out);
}

/* bp:list repeats a block per word, and absolute paths inside still read
 * metrics.xml. */
static void test_render_list_repeats_and_reads_metrics(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD
		"<m bp:each=\"bp:list('new_leads cost')\" bp:as=\"k\""
		" bp:text=\"concat($k, '=', /metrics/economics/row[1]/@*[name()=$k])\"/></r>", &err);

	assert_non_null(out);
	assert_string_equal(out, "<r><m>new_leads=1234</m><m>cost=1234.5</m></r>\n");
	free(out);
}

static void test_render_age_counts_months_before_period(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD
		"<a bp:text=\"concat(bp:age('2026-10'), ' ', bp:age('2025-11'), ' ', bp:age('2024-10'), ' ', bp:age('bad'))\"/></r>",
		&err);

	assert_non_null(out);
	assert_string_equal(out, "<r><a>0 11 24 NaN</a></r>\n");
	free(out);
}

static void test_render_fragment_each_repeats_children(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD
		"<bp:fragment bp:each=\"/metrics/channels/channel[@id!='b']\"><i bp:text=\"@id\"/><j/></bp:fragment></r>",
		&err);

	assert_non_null(out);
	assert_string_equal(out, "<r><i>a</i><j/><i>c</i><j/></r>\n");
	free(out);
}

/* bp:let-NAME binds $NAME for the element's other directives and its
 * content, per copy of a bp:each, a later let seeing an earlier one; the
 * outer value is back once the element is done, and the variable is
 * gone where nothing bound it. */
static void test_render_let_binds_for_element_and_content(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD
		"<o bp:let-x=\"'outer'\">"
		"<i bp:each=\"/metrics/channels/channel[@id!='b']\""
		" bp:let-x=\"string(@id)\" bp:let-y=\"concat($x, $x)\""
		" bp:if=\"$y != 'cc'\" bp:attr-k=\"$y\"><j bp:text=\"$x\"/></i>"
		"<z bp:text=\"$x\"/></o></r>", &err);

	assert_non_null(out);
	assert_string_equal(out, "<r><o><i k=\"aa\"><j>a</j></i><z>outer</z></o></r>\n");
	free(out);
	out = expand(*state, HEAD "<o bp:let-x=\"1\"/>\n<z bp:text=\"$x\"/></r>", &err);
	assert_null(out);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "undefined variable"));
}

/* A node-set let is evaluated once and read as a node-set: on a
 * fragment and on a chart, as on any element. */
static void test_render_let_on_fragment_and_chart(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD
		"<bp:fragment bp:let-named=\"/metrics/channels/channel[@id!='b']\">"
		"<i bp:each=\"$named\" bp:text=\"@id\"/><n bp:text=\"count($named)\"/>"
		"</bp:fragment></r>", &err);

	assert_non_null(out);
	assert_string_equal(out, "<r><i>a</i><i>c</i><n>2</n></r>\n");
	free(out);
	out = expand(*state, HEAD "<bp:chart type=\"bar\""
		     " bp:let-rows=\"/metrics/economics/row[@new_leads &gt; 500]\""
		     " rows=\"$rows\" x=\"@month\" y=\"@new_leads\" width=\"300\" height=\"200\"/></r>",
		     &err);
	assert_non_null(out);
	assert_non_null(strstr(out, "2026-10"));
	assert_null(strstr(out, "2026-09"));
	free(out);
}

/* A let that does not evaluate is an error at its line, naming it;
 * bp:let- without a name is an unknown directive. */
static void test_render_bad_let_names_line(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "\n<a bp:let-x=\"count(((\"/></r>", &err);

	assert_null(out);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "bp:let"));
	out = expand(*state, HEAD "\n\n<a bp:let-=\"1\"/></r>", &err);
	assert_null(out);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "bp:let-"));
	out = expand(*state, HEAD "<bp:fragment bp:let-1=\"1\"/></r>", &err);
	assert_null(out);
	assert_non_null(strstr(err.msg, "cannot name a variable"));
}

/* order="..." sorts the categories by a key of their rows. */
static void test_render_chart_order_sorts_categories(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "<bp:chart type=\"bar\" rows=\""
			   "/metrics/economics/row\" x=\"@month\" y=\"@new_leads\""
			   " order=\"number(substring(@month, 6))\" width=\"300\" height=\"200\"/></r>",
			   &err);
	char *sep, *oct;

	assert_non_null(out);
	/* document order is October, September: sorted, September first */
	sep = strstr(out, ">2026-09</text>");
	oct = strstr(out, ">2026-10</text>");
	assert_non_null(sep);
	assert_non_null(oct);
	assert_true(sep < oct);
	free(out);
}

/* A bar whose value does not exist is marked, not left out silently. */
static void test_render_chart_absent_label_marks_missing_bar(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "<bp:chart type=\"bar\" rows=\""
			   "/metrics/economics/row\" x=\"@month\" y=\"@cost\""
			   " bp:attr-absent-label=\"concat('no ', 'cost')\" width=\"300\" height=\"200\"/></r>",
			   &err);

	assert_non_null(out);
	assert_non_null(strstr(out, ">no cost</text>"));
	free(out);
}

/* A month's target against its value; a quarter under way against the
 * pace its months so far call for; no actual, no comparison. */
static void test_render_versus_reads_target_or_pace(void **state)
{
	static const char doc[] =
		"<metrics><run period='2026-10' language='en'/><targets>"
		"<target metric='cac' value='5000000' actual='2679012' vs-target='-0.464198' attainment='1.866'/>"
		"<target metric='mqls' quarter='2026-Q4' months-elapsed='1' value='330' actual='107'"
		" vs-target='-0.675758' pace='0.972727' status='at-risk'/>"
		"<target metric='mqls' quarter='2026-Q3' months-elapsed='3' value='320' actual='318'"
		" vs-target='-0.00625' pace='0.99375'/>"
		"<target metric='cac' value='5000000' attainment='0.5'/>"
		"<target metric='mqls' value='100' actual='100'/>"
		"</targets></metrics>";
	fx *f = *state;
	xmlDocPtr saved = f->metrics;
	bp_err err = {0};
	char *out;

	labels(f, "en", "<label key='vs.under'>{1} under target</label>"
		  "<label key='vs.over'>{1} over target</label><label key='vs.on'>on target</label>"
		  "<label key='vs.under-pace'>{1} behind the pace</label>");
	f->metrics = xmlReadMemory(doc, sizeof(doc) - 1, "m.xml", NULL, 0);
	out = expand(f, HEAD "<v bp:each=\"/metrics/targets/target\""
		     " bp:text=\"concat(bp:versus(.), '|', bp:status(.))\"/></r>", &err);
	xmlFreeDoc(f->metrics);
	f->metrics = saved;
	labels(f, "en", "");
	assert_non_null(out);
	assert_string_equal(out, "<r><v>46% under target|on-track</v>"
			    "<v>3% behind the pace|at-risk</v><v>1% under target|</v>"
			    "<v>\xe2\x80\x94|missed</v><v>on target|</v></r>\n");
	free(out);
}

/* color="..." gives a series its palette colour whatever the chart's
 * order: the same channel looks the same everywhere. */
static void test_render_chart_color_keeps_series_colour(void **state)
{
	bp_err err = {0};
	char *out = expand(*state, HEAD "<bp:chart type=\"bar\" rows=\""
			   "/metrics/channels/channel[@id='c']\" x=\"@id\" y=\"1\" series=\"@label\""
			   " color=\"count(preceding-sibling::channel)\" width=\"300\" height=\"200\"/></r>",
			   &err);
	char want[32];

	assert_non_null(out);
	/* channel c is the third: palette colour 2, not 0 */
	snprintf(want, sizeof(want), "fill=\"#%06X\"", bp_chart_color(2));
	assert_non_null(strstr(out, want));
	free(out);
}

/* The whole report on metrics with every section: each section is there,
 * the story reads as sentences, a lower-is-better target reads "under
 * target", and no placeholder or key is left. */
static void test_render_full_report_has_every_section(void **state)
{
	static const char *const ids[] = {
		"summary", "targets", "trends", "cohorts", "channels", "groups",
		"economics", "pipeline", "campaigns", "traffic", "drift",
		"quality", "definitions"
	};
	char *html = render_fixture("metrics-full.xml", "en", "report.html");
	char want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(want, sizeof(want), "<section id=\"%s\"", ids[i]);
		if (!strstr(html, want))
			fail_msg("no section %s", ids[i]);
	}
	assert_non_null(strstr(html, "New leads reached 411, the highest in 3 months (October 2026)."));
	assert_non_null(strstr(html, "CAC \xe2\x82\xa9" "7,375,000 (39% under target, on track)"));
	assert_non_null(strstr(html, "To watch: Paid social spent"));
	assert_non_null(strstr(html, "Q4 2026, 1 of 3 months"));
	assert_non_null(strstr(html, "LinkedIn ABM"));
	assert_non_null(strstr(html, "+\xe2\x82\xa9" "7,700,000"));
	assert_null(strstr(html, "{1}"));
	assert_null(strstr(html, "story."));
	assert_null(strstr(html, "chart."));
	free(html);
}

/* Metrics without the newer sections: those sections are left out, the
 * page still says what happened. */
static void test_render_sample_without_new_sections(void **state)
{
	char *html = render_shipped("en", "report.html");

	(void)state;
	assert_null(strstr(html, "<section id=\"campaigns\""));
	assert_null(strstr(html, "<section id=\"trends\""));
	assert_non_null(strstr(html, "<section id=\"summary\""));
	assert_non_null(strstr(html, "In October 2026: 411 new leads"));
	free(html);
}

static void test_render_chinese_report_has_chinese_words(void **state)
{
	char *html = render_fixture("metrics-full.xml", "zh-TW", "report.html");

	(void)state;
	assert_non_null(strstr(html, "lang=\"zh-TW\""));
	assert_non_null(strstr(html, "\xe6\x96\xb0\xe6\xbd\x9b\xe5\x9c\xa8\xe5\xae\xa2\xe6\x88\xb6"));  /* 新潛在客戶 */
	assert_non_null(strstr(html, "2026\xe5\xb9\xb4" "10\xe6\x9c\x88"));
	assert_non_null(strstr(html, "\xe4\xbb\x98\xe8\xb2\xbb\xe6\x90\x9c\xe5\xb0\x8b"));  /* 付費搜尋 */
	free(html);
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

/* bp:attr-NAME sets attribute NAME of the output, so NAME must be an
 * attribute name there: "1" or "-x" would make output no XML parser
 * reads, "xmlns" a namespace declaration; a name with '-' or '.' inside
 * is fine. */
static void test_render_attr_name_must_be_an_output_name(void **state)
{
	static const char *const bad[] = { "1", "-x", ".x", "xmlns" };
	char t[256], *out;
	bp_err err = {0};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(t, sizeof(t), HEAD "\n<p bp:attr-%s=\"'v'\"/></r>", bad[i]);
		bp_err_clear(&err);
		assert_null(expand(*state, t, &err));
		assert_int_equal(err.code, BP_ECONFIG);
		assert_int_equal(err.line, 2);
		assert_non_null(strstr(err.msg, "cannot be an attribute name of the output"));
	}
	assert_string_equal(err.msg, "bp:attr-xmlns on <p>: 'xmlns' cannot be an "
			    "attribute name of the output (a name starts with a letter "
			    "or '_', and xmlns declares a namespace)");
	bp_err_clear(&err);
	out = expand(*state, HEAD "<p bp:attr-data-x.1=\"'v'\" bp:attr-_y=\"1\"/></r>", &err);
	assert_non_null(out);
	assert_string_equal(out, "<r><p data-x.1=\"v\" _y=\"1\"/></r>\n");
	free(out);
}

/* A namespace name with '<' or '&' (escaped in the template, as XML
 * requires) cannot be written into an xmlns attribute of the output as
 * libxml2 writes them, so the template is refused at the line declaring
 * it, also in an included file; '>' and quotes are fine, and the HTML
 * of the template that uses one is well-formed. */
static void test_render_namespace_with_lt_or_amp_refused(void **state)
{
	static const char *const bad[] = {
		HEAD "\n<x:p xmlns:x=\"urn:a&lt;b\">hi</x:p></r>",
		HEAD "\n<p xmlns=\"urn:a&amp;b\" x:q=\"1\" xmlns:x=\"urn:x\"/></r>",
		HEAD "\n<p><q xmlns:y=\"&lt;\"/></p></r>",
	};
	fx *f = *state;
	bp_err err = {0};
	size_t i, len = 0;
	char *html;
	xmlDocPtr d;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bp_err_clear(&err);
		html = bp_render_html_buffer(f->metrics, tpl(f, "t.xml", bad[i]),
					     &len, &err);
		assert_null(html);
		assert_int_equal(err.code, BP_ECONFIG);
		assert_non_null(strstr(err.file, "t.xml"));
		assert_int_equal(err.line, 2);
		assert_non_null(strstr(err.msg, "cannot contain '<' or '&'"));
	}
	assert_non_null(strstr(err.msg, "namespace name \"<\" (xmlns:y on <q>) holds '<'"));
	/* In an included file: its name and line. */
	tpl(f, "part.xml", "<s xmlns:z=\"a&amp;b\"/>");
	bp_err_clear(&err);
	assert_null(bp_render_expand(f->metrics, tpl(f, "t.xml", HEAD
				     "\n<bp:include href=\"part.xml\"/></r>"), &err));
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.file, "part.xml"));
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "holds '&'"));
	/* '>' and both quotes pass, and what comes out parses as XML. */
	bp_err_clear(&err);
	html = bp_render_html_buffer(f->metrics, tpl(f, "t.xml", HEAD
				     "<x:p xmlns:x=\"urn:a&gt;b&quot;c'\" x:q=\"1\"/></r>"),
				     &len, &err);
	assert_non_null(html);
	d = xmlReadMemory(html, (int)len, "out.html", NULL, XML_PARSE_NONET |
			  XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	assert_non_null(d);
	xmlFreeDoc(d);
	free(html);
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

/* The nodes bp:list makes count too: a list of ten words with room for
 * five stops in bp:list, at its line. */
static void test_render_expansion_list_counts_toward_node_limit(void **state)
{
	static const char t[] = HEAD "\n"
		"<p bp:each=\"bp:list('a b c d e f g h i j')\" bp:text=\".\"/></r>";
	bp_err err = {0};
	xmlDocPtr d = expand_limited(*state, t, 5, 1 << 20, 1000000, &err);

	assert_null(d);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "more than 5 elements and texts (bp:list"));
	bp_err_clear(&err);
	d = expand_limited(*state, t, 40, 1 << 20, 1000000, &err);
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
		cmocka_unit_test(test_render_output_keeps_template_lines),
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
		cmocka_unit_test(test_render_configured_folder_used_or_refused),
		cmocka_unit_test(test_render_label_from_language_then_english),
		cmocka_unit_test(test_render_bad_label_table_names_file),
		cmocka_unit_test(test_render_fmt_fills_placeholders_in_any_order),
		cmocka_unit_test(test_render_channel_name_localizes_only_default_labels),
		cmocka_unit_test(test_render_value_reads_as_the_metric),
		cmocka_unit_test(test_render_change_and_tone_follow_the_better_direction),
		cmocka_unit_test(test_render_when_and_dash),
		cmocka_unit_test(test_render_list_repeats_and_reads_metrics),
		cmocka_unit_test(test_render_age_counts_months_before_period),
		cmocka_unit_test(test_render_fragment_each_repeats_children),
		cmocka_unit_test(test_render_let_binds_for_element_and_content),
		cmocka_unit_test(test_render_let_on_fragment_and_chart),
		cmocka_unit_test(test_render_bad_let_names_line),
		cmocka_unit_test(test_render_chart_order_sorts_categories),
		cmocka_unit_test(test_render_chart_absent_label_marks_missing_bar),
		cmocka_unit_test(test_render_versus_reads_target_or_pace),
		cmocka_unit_test(test_render_chart_color_keeps_series_colour),
		cmocka_unit_test(test_render_full_report_has_every_section),
		cmocka_unit_test(test_render_sample_without_new_sections),
		cmocka_unit_test(test_render_chinese_report_has_chinese_words),
		cmocka_unit_test(test_render_expansion_past_node_limit_stops_at_line),
		cmocka_unit_test(test_render_namespace_with_lt_or_amp_refused),
		cmocka_unit_test(test_render_attr_name_must_be_an_output_name),
		cmocka_unit_test(test_render_expansion_past_byte_limit_stops_at_line),
		cmocka_unit_test(test_render_expansion_past_xpath_steps_stops_at_line),
		cmocka_unit_test(test_render_expansion_list_counts_toward_node_limit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
