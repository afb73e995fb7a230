/*
 * render.c - the template engine: metrics.xml + a template -> a document.
 *
 * The output is a new document built node by node from the template, never
 * a copy edited in place, so nothing from the template (bp: attributes,
 * namespace declarations) leaks into it unless it was meant to.  Data only
 * ever enters as text nodes or attribute values: escaping is the
 * serialiser's job, not the template author's.
 */
#include "render.h"

#include "fs.h"
#include "chart.h"
#include "format.h"
#include "labels.h"
#include "metric.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "mem.h"

#ifndef BP_PREFIX
#define BP_PREFIX "/usr/local"
#endif

#define MAX_INCLUDE_DEPTH 16
#define SVG_NS "http://www.w3.org/2000/svg"

const bp_render_limits bp_render_default_limits = {
	BP_RENDER_MAX_NODES, BP_RENDER_MAX_BYTES, BP_RENDER_MAX_XPATH_STEPS
};

typedef struct ctx {
	xmlXPathContextPtr xp;
	bp_render_limits lim;
	unsigned long nodes;      /* elements and texts made so far */
	size_t bytes;             /* bytes of text and attribute values */
	const char *currency;     /* run/@currency, points into metrics */
	const char *language;     /* run/@language */
	xmlChar *currency_s, *language_s, *period_s;
	const char *period;       /* run/@period */
	bp_labels *labels;        /* the words of run/@language */
	xmlDocPtr scratch;        /* the nodes bp:list made */
	const char *file;         /* the template being expanded */
	int depth;
	long include_line;        /* of the outermost bp:include being expanded */
	char xpath_msg[512];      /* last libxml2 XPath error */
	bp_err *err;
	/* Expressions compiled so far, by their text: a template evaluates
	 * the same few hundred for every row, month and channel. */
	struct compiled {
		xmlChar *expr;
		xmlXPathCompExprPtr comp;
	} *compiled;
	size_t n_compiled, cap_compiled; /* cap: a power of two, or 0 */
} ctx;

static int expand_node(ctx *c, xmlNodePtr t, xmlNodePtr parent,
		       xmlNodePtr here);

static int is_bp(xmlNodePtr n)
{
	return n && n->ns && xmlStrEqual(n->ns->href, BAD_CAST BP_TEMPLATE_NS);
}

static int is_bp_attr(xmlAttrPtr a)
{
	return a->ns && xmlStrEqual(a->ns->href, BAD_CAST BP_TEMPLATE_NS);
}

/* A BP_ECONFIG error at the template line of `at`.  Returns -1. */
static int cfail(ctx *c, xmlNodePtr at, const char *fmt, ...) BP_PRINTF(3, 4);
static int cfail(ctx *c, xmlNodePtr at, const char *fmt, ...)
{
	char msg[sizeof(c->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bp_err_at(c->err, BP_ECONFIG, c->file, at ? xmlGetLineNo(at) : 0,
			 0, "%s", msg);
}

/* An output element keeps the line it came from in the expanded
 * template (whose path is the output document's URL), so a later check
 * of the output, as the PDF layout's of its page vocabulary, can name
 * it; an element an included file brought in keeps the line of the
 * bp:include. */
static void set_origin(const ctx *c, xmlNodePtr t, xmlNodePtr n)
{
	long line = c->depth == 0 ? xmlGetLineNo(t) : c->include_line;

	n->line = line > 0 && line < 65535 ? (unsigned short)line : 0;
}

/* ---- XPath extension functions ---- */

/* libxml2 reports some evaluation errors (an unknown function) through
 * the generic handler: keep the text for our message instead of stderr. */
static void generic_error(void *data, const char *fmt, ...)
{
	ctx *c = data;
	size_t n = strlen(c->xpath_msg);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->xpath_msg + n, sizeof(c->xpath_msg) - n, fmt, ap);
	va_end(ap);
	n = strlen(c->xpath_msg);
	while (n && (c->xpath_msg[n - 1] == '\n' || c->xpath_msg[n - 1] == ' '))
		c->xpath_msg[--n] = '\0';
}

/* libxml2 often reports XPath errors with a code and no text. */
static const char *xpath_problem(int code)
{
	switch (code) {
	case XML_XPATH_EXPR_ERROR: return "invalid expression";
	case XML_XPATH_UNFINISHED_LITERAL_ERROR: return "unfinished string";
	case XML_XPATH_START_LITERAL_ERROR: return "a string must start with a quote";
	case XML_XPATH_VARIABLE_REF_ERROR: return "bad variable reference";
	case XML_XPATH_UNDEF_VARIABLE_ERROR: return "undefined variable";
	case XML_XPATH_INVALID_PREDICATE_ERROR: return "invalid predicate";
	case XML_XPATH_INVALID_TYPE: return "a value of the wrong type";
	case XML_XPATH_INVALID_OPERAND: return "invalid operand";
	case XML_XPATH_INVALID_ARITY: return "wrong number of arguments";
	case XML_XPATH_UNKNOWN_FUNC_ERROR: return "unknown function";
	case XML_XPATH_UNDEF_PREFIX_ERROR: return "undefined namespace prefix";
	case XML_XPATH_UNCLOSED_ERROR: return "unclosed bracket or parenthesis";
	case XML_XPATH_INVALID_CHAR_ERROR: return "invalid character";
	default: return "xpath error";
	}
}

static void xpath_error(void *data, xmlErrorPtr e)
{
	ctx *c = data;
	size_t n;

	if (c->xpath_msg[0])
		return;
	if (e && e->message)
		snprintf(c->xpath_msg, sizeof(c->xpath_msg), "%s", e->message);
	else
		snprintf(c->xpath_msg, sizeof(c->xpath_msg), "%s at character %d",
			 xpath_problem(e ? e->code : -1), e ? e->int1 + 1 : 0);
	n = strlen(c->xpath_msg);
	while (n && (c->xpath_msg[n - 1] == '\n' || c->xpath_msg[n - 1] == ' '))
		c->xpath_msg[--n] = '\0';
}

/* Pops an argument as a number; NAN when empty, absent or not a number. */
static double pop_number(xmlXPathParserContextPtr p)
{
	xmlChar *s = xmlXPathPopString(p);
	char *end;
	double v = NAN;

	if (s && *s) {
		v = strtod((const char *)s, &end);
		while (*end == ' ' || *end == '\t' || *end == '\n')
			end++;
		if (*end || end == (char *)s)
			v = NAN;
	}
	xmlFree(s);
	return v;
}

static void push_text(xmlXPathParserContextPtr p, const char *s)
{
	valuePush(p, xmlXPathNewString(BAD_CAST(s ? s : "")));
}

static ctx *ctx_of(xmlXPathParserContextPtr p)
{
	return p->context->userData;
}

/* ---- words, units and directions ---- */

static double to_number(const xmlChar *s);

/* Appends pattern to *out (a malloc'd string) with {1}..{9} replaced by
 * args[0..8]; a placeholder without an argument stays as written. */
static char *fill(const char *pattern, const char *const *args, int nargs)
{
	size_t cap = strlen(pattern) + 1, len = 0, n;
	char *out = bp_xmalloc(cap);
	const char *p, *a;

	for (p = pattern; *p; p++) {
		a = NULL;
		if (p[0] == '{' && p[1] >= '1' && p[1] <= '9' && p[2] == '}' &&
		    p[1] - '1' < nargs)
			a = args[p[1] - '1'];
		n = a ? strlen(a) : 1;
		BP_GROW(out, len + n + 1, cap);
		if (a) {
			memcpy(out + len, a, n);
			p += 2;
		} else {
			out[len] = *p;
		}
		len += n;
	}
	out[len] = '\0';
	return out;
}

/* A label, or the key itself when no table has it. */
static const char *word(const ctx *c, const char *key)
{
	const char *s = bp_labels_get(c->labels, key);

	return s ? s : key;
}

/* "2026-Q4" -> the label "quarter" filled with year and number
 * ("Q4 2026", "2026년 4분기"); "" when malformed. */
static void quarter_name(const char *q, const ctx *c, char *buf, size_t size)
{
	char year[5], num[2];
	const char *args[2] = { year, num };
	char *s;

	buf[0] = '\0';
	if (strlen(q) != 7 || q[4] != '-' || q[5] != 'Q' || q[6] < '1' ||
	    q[6] > '4' || strspn(q, "0123456789") != 4)
		return;
	memcpy(year, q, 4);
	year[4] = '\0';
	num[0] = q[6];
	num[1] = '\0';
	s = fill(word(c, "quarter"), args, 2);
	snprintf(buf, size, "%s", s);
	free(s);
}

/* How a metric's values read. */
enum { U_NUM, U_COUNT, U_MONEY, U_PCT, U_DAYS, U_MONTHS, U_TIMES };

static int unit_of(const char *name)
{
	/* the figures whose kind does not say how they read */
	static const struct { const char *name; int unit; } special[] = {
		{"roas", U_TIMES}, {"cac_payback_months", U_MONTHS},
		{"bounce_rate", U_PCT}, {"new_mrr", U_MONEY}, {"arpa", U_MONEY},
		{"pipeline_created", U_MONEY}, {"open_pipeline", U_MONEY},
		{"lost_deals", U_COUNT}, {"win_rate", U_PCT},
	};
	const bp_metric *m;
	size_t i;

	for (i = 0; name && i < sizeof(special) / sizeof(special[0]); i++)
		if (strcmp(name, special[i].name) == 0)
			return special[i].unit;
	m = name ? bp_metric_target(name) : NULL;
	switch (m ? m->kind : BP_KIND_SPECIAL) {
	case BP_KIND_COUNT: return U_COUNT;
	case BP_KIND_MONEY: case BP_KIND_MONEY_PER: return U_MONEY;
	case BP_KIND_RATIO: return U_PCT;
	case BP_KIND_DAYS: return U_DAYS;
	default: return U_NUM;
	}
}

/* BP_BETTER_* of a metric (target short forms included). */
static int better_of(const char *name)
{
	static const struct { const char *name; int better; } more[] = {
		{"pipeline_created", BP_BETTER_HIGHER}, {"open_pipeline", BP_BETTER_HIGHER},
		{"lost_deals", BP_BETTER_LOWER}, {"win_rate", BP_BETTER_HIGHER},
		{"roas", BP_BETTER_HIGHER},
	};
	const bp_metric *m = name ? bp_metric_target(name) : NULL;
	size_t i;

	if (m)
		return m->better;
	for (i = 0; name && i < sizeof(more) / sizeof(more[0]); i++)
		if (strcmp(name, more[i].name) == 0)
			return more[i].better;
	return BP_BETTER_NONE;
}

/* Writes v as the metric reads ("₩1,200", "12.3%", "41.0 days"), with a
 * "+" before a positive value when `sign`.  "" when v is NAN. */
static void metric_text(const ctx *c, const char *metric, double v, int sign,
			char *buf, size_t size)
{
	char num[64];
	const char *arg = num;
	char *s;
	int unit = unit_of(metric), n = -1;

	buf[0] = '\0';
	switch (unit) {
	case U_COUNT: n = bp_format_int(v, num, sizeof(num)); break;
	case U_MONEY: n = bp_format_money(v, c->currency, num, sizeof(num)); break;
	case U_PCT: n = bp_format_pct(v, 1, num, sizeof(num)); break;
	case U_DAYS: case U_MONTHS: case U_TIMES:
		n = bp_format_num(v, unit == U_TIMES ? 2 : 1, num, sizeof(num));
		break;
	default:
		n = v == floor(v) ? bp_format_int(v, num, sizeof(num))
				  : bp_format_num(v, 2, num, sizeof(num));
	}
	if (n < 0)
		return;
	if (sign && v > 0 && num[0] != '0')
		memmove(num + 1, num, strlen(num) + 1), num[0] = '+';
	if (unit == U_DAYS || unit == U_MONTHS || unit == U_TIMES) {
		s = fill(word(c, unit == U_DAYS ? "unit.days" : unit == U_MONTHS
			      ? "unit.months" : "unit.times"), &arg, 1);
		snprintf(buf, size, "%s", s);
		free(s);
		return;
	}
	snprintf(buf, size, "%s", num);
}

/* Pops an optional trailing decimals argument when nargs == max. */
static int pop_decimals(xmlXPathParserContextPtr p, int nargs, int max,
			int dflt)
{
	double d;

	if (nargs < max)
		return dflt;
	d = xmlXPathPopNumber(p);
	return isnan(d) || d < 0 ? 0 : d > 6 ? 6 : (int)d;
}

/* The template functions below share one shape, libxml2's XPath function
 * signature: arity check, pop, one format.c call, push.  Each is that
 * call; folding them into a table would hide which format each uses. */
static void fn_int(xmlXPathParserContextPtr ctxt, int nargs)
{
	char buf[64];

	CHECK_ARITY(1);
	bp_format_int(pop_number(ctxt), buf, sizeof(buf));
	push_text(ctxt, buf);
}

static void fn_num(xmlXPathParserContextPtr ctxt, int nargs)
{
	char buf[64];
	int d;

	if (nargs < 1 || nargs > 2) {
		XP_ERROR(XPATH_INVALID_ARITY);
	}
	d = pop_decimals(ctxt, nargs, 2, 1);
	bp_format_num(pop_number(ctxt), d, buf, sizeof(buf));
	push_text(ctxt, buf);
}

static void fn_pct(xmlXPathParserContextPtr ctxt, int nargs)
{
	char buf[64];
	int d;

	if (nargs < 1 || nargs > 2) {
		XP_ERROR(XPATH_INVALID_ARITY);
	}
	d = pop_decimals(ctxt, nargs, 2, 1);
	bp_format_pct(pop_number(ctxt), d, buf, sizeof(buf));
	push_text(ctxt, buf);
}

static void fn_money(xmlXPathParserContextPtr ctxt, int nargs)
{
	char buf[64];

	CHECK_ARITY(1);
	bp_format_money(pop_number(ctxt), ctx_of(ctxt)->currency, buf, sizeof(buf));
	push_text(ctxt, buf);
}

static void fn_money_short(xmlXPathParserContextPtr ctxt, int nargs)
{
	char buf[64];

	CHECK_ARITY(1);
	bp_format_money_short(pop_number(ctxt), ctx_of(ctxt)->currency, buf,
			      sizeof(buf));
	push_text(ctxt, buf);
}

static void fn_delta(xmlXPathParserContextPtr ctxt, int nargs)
{
	char buf[64];
	double a, b;

	CHECK_ARITY(2);
	b = pop_number(ctxt);
	a = pop_number(ctxt);
	bp_format_delta(a, b, buf, sizeof(buf));
	push_text(ctxt, buf);
}

static void fn_delta_pt(xmlXPathParserContextPtr ctxt, int nargs)
{
	char buf[64];
	double a, b;

	CHECK_ARITY(2);
	b = pop_number(ctxt);
	a = pop_number(ctxt);
	bp_format_delta_pt(a, b, buf, sizeof(buf));
	push_text(ctxt, buf);
}

/* Shared body of the string -> string functions. */
static void string_fn(xmlXPathParserContextPtr ctxt, int nargs, int which)
{
	char buf[128] = "";
	const char *lang, *out = buf;
	xmlChar *s;

	CHECK_ARITY(1);
	s = xmlXPathPopString(ctxt);
	lang = ctx_of(ctxt)->language;
	if (s && *s) {
		if (which <= 1 || which == 5)
			bp_format_month((char *)s, lang, which == 5 ? 2 : which,
					buf, sizeof(buf));
		else if (which == 2)
			bp_format_date((char *)s, lang, buf, sizeof(buf));
		else if (which == 3)
			quarter_name((char *)s, ctx_of(ctxt), buf, sizeof(buf));
		else if (!(out = bp_labels_get(ctx_of(ctxt)->labels, (char *)s)))
			out = (char *)s;
	}
	push_text(ctxt, out);
	xmlFree(s);
}

static void fn_month_name(xmlXPathParserContextPtr ctxt, int nargs)
{
	string_fn(ctxt, nargs, 0);
}

static void fn_month_short(xmlXPathParserContextPtr ctxt, int nargs)
{
	string_fn(ctxt, nargs, 1);
}

static void fn_date(xmlXPathParserContextPtr ctxt, int nargs)
{
	string_fn(ctxt, nargs, 2);
}

static void fn_month_alone(xmlXPathParserContextPtr ctxt, int nargs)
{
	string_fn(ctxt, nargs, 5);
}

static void fn_quarter(xmlXPathParserContextPtr ctxt, int nargs)
{
	string_fn(ctxt, nargs, 3);
}

static void fn_label(xmlXPathParserContextPtr ctxt, int nargs)
{
	string_fn(ctxt, nargs, 4);
}

/* bp:join(nodes[, separator]): the string values of the nodes, in
 * document order, separated by ", " or the given text. */
static void fn_join(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar *sep = NULL, *out = NULL;
	xmlNodeSetPtr set;
	int i;

	if (nargs < 1 || nargs > 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	if (nargs == 2)
		sep = xmlXPathPopString(ctxt);
	set = xmlXPathPopNodeSet(ctxt);
	for (i = 0; set && i < set->nodeNr; i++) {
		xmlChar *v = xmlXPathCastNodeToString(set->nodeTab[i]);

		if (i)
			out = xmlStrcat(out, sep ? sep : BAD_CAST ", ");
		out = xmlStrcat(out, v);
		xmlFree(v);
	}
	xmlXPathFreeNodeSet(set);
	xmlFree(sep);
	push_text(ctxt, out ? (const char *)out : "");
	xmlFree(out);
}


/* bp:fmt(pattern, a1, ..., a9): the pattern with {1}..{9} replaced. */
static void fn_fmt(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar *args[9] = {NULL};
	xmlChar *pattern;
	char *out;
	int i;

	if (nargs < 1 || nargs > 10) {
		XP_ERROR(XPATH_INVALID_ARITY);
	}
	for (i = nargs - 2; i >= 0; i--)
		args[i] = xmlXPathPopString(ctxt);
	pattern = xmlXPathPopString(ctxt);
	out = fill(pattern ? (char *)pattern : "", (const char *const *)args,
		   nargs - 1);
	push_text(ctxt, out);
	free(out);
	xmlFree(pattern);
	for (i = 0; i < nargs - 1; i++)
		xmlFree(args[i]);
}

/* The configured label of channel `id` in metrics.xml (caller frees), or
 * NULL.  Walks the document rather than evaluating XPath, which would
 * disturb the evaluation this is called from. */
static xmlChar *channel_label(const ctx *c, const xmlChar *id)
{
	xmlNodePtr n = xmlDocGetRootElement(c->xp->doc), ch;

	for (n = n ? n->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(n->name, BAD_CAST "channels"))
			break;
	for (ch = n ? n->children : NULL; id && ch; ch = ch->next) {
		xmlChar *nid;
		int same;

		if (ch->type != XML_ELEMENT_NODE)
			continue;
		nid = xmlGetProp(ch, BAD_CAST "id");
		same = nid && xmlStrEqual(nid, id);
		xmlFree(nid);
		if (same)
			return xmlGetProp(ch, BAD_CAST "label");
	}
	return NULL;
}

/* bp:channel-name(id): the label of a channel as the board reads it.  A
 * default label (the English one of METRICS.md) is said in the report's
 * language; a label the config gave stays as written.  "all" is "All
 * channels". */
static void fn_channel_name(xmlXPathParserContextPtr ctxt, int nargs)
{
	ctx *c = ctx_of(ctxt);
	xmlChar *id, *label = NULL;
	const char *en, *out;
	char *key;

	CHECK_ARITY(1);
	id = xmlXPathPopString(ctxt);
	key = bp_xasprintf("channel.%s", id ? (char *)id : "");
	if (id && strcmp((char *)id, "all") == 0) {
		push_text(ctxt, word(c, "all-channels"));
		goto out;
	}
	label = channel_label(c, id);
	en = bp_labels_english(c->labels, key);
	if (label && *label && !(en && strcmp(en, (char *)label) == 0))
		out = (char *)label;
	else if (bp_labels_get(c->labels, key))
		out = bp_labels_get(c->labels, key);
	else
		out = label && *label ? (char *)label : id ? (char *)id : "";
	push_text(ctxt, out);
	xmlFree(label);
out:
	free(key);
	xmlFree(id);
}

/* bp:group-name(group): a default group (Inbound, Paid, ...) in the
 * report's language, any other as written. */
static void fn_group_name(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar *g;
	const char *s;
	char *key;

	CHECK_ARITY(1);
	g = xmlXPathPopString(ctxt);
	key = bp_xasprintf("group.%s", g ? (char *)g : "");
	s = bp_labels_get(ctx_of(ctxt)->labels, key);
	push_text(ctxt, s ? s : g ? (char *)g : "");
	free(key);
	xmlFree(g);
}

/* bp:value(metric, x[, signed]): x as that metric reads. */
static void fn_value(xmlXPathParserContextPtr ctxt, int nargs)
{
	char buf[160];
	xmlChar *metric;
	double v;
	int sign = 0;

	if (nargs < 2 || nargs > 3) {
		XP_ERROR(XPATH_INVALID_ARITY);
	}
	if (nargs == 3)
		sign = xmlXPathPopBoolean(ctxt);
	v = pop_number(ctxt);
	metric = xmlXPathPopString(ctxt);
	metric_text(ctx_of(ctxt), (char *)metric, v, sign, buf, sizeof(buf));
	push_text(ctxt, buf);
	xmlFree(metric);
}

/* bp:change(metric, now, before): "+5.2%" for counts and money, "+1.3 pt"
 * for rates; "" when either side is absent (or before is 0). */
static void fn_change(xmlXPathParserContextPtr ctxt, int nargs)
{
	char buf[64] = "";
	xmlChar *metric;
	double a, b;

	CHECK_ARITY(3);
	b = pop_number(ctxt);
	a = pop_number(ctxt);
	metric = xmlXPathPopString(ctxt);
	if (unit_of((char *)metric) == U_PCT)
		bp_format_delta_pt(a, b, buf, sizeof(buf));
	else
		bp_format_delta(a, b, buf, sizeof(buf));
	push_text(ctxt, buf);
	xmlFree(metric);
}

/* bp:tone(metric, now, before): "good", "bad" or "flat" by the metric's
 * better direction; "" when a side is absent or no direction is better. */
static void fn_tone(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar *metric;
	double a, b;
	int better;
	const char *t = "";

	CHECK_ARITY(3);
	b = pop_number(ctxt);
	a = pop_number(ctxt);
	metric = xmlXPathPopString(ctxt);
	better = better_of((char *)metric);
	if (!isnan(a) && !isnan(b) && better != BP_BETTER_NONE) {
		/* a change under half a percent reads as no change */
		double rel = b != 0 ? (a - b) / fabs(b) : a - b;

		t = fabs(rel) < 0.005 ? "flat"
		    : (a > b) == (better == BP_BETTER_HIGHER) ? "good" : "bad";
	}
	push_text(ctxt, t);
	xmlFree(metric);
}

/* bp:better(metric): "higher", "lower" or "". */
static void fn_better(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar *metric;
	int b;

	CHECK_ARITY(1);
	metric = xmlXPathPopString(ctxt);
	b = better_of((char *)metric);
	push_text(ctxt, b == BP_BETTER_HIGHER ? "higher"
			: b == BP_BETTER_LOWER ? "lower" : "");
	xmlFree(metric);
}

/* bp:when(condition, then[, else]): XPath 1.0 has no conditional. */
static void fn_when(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlXPathObjectPtr yes, no = NULL;
	int cond;

	if (nargs < 2 || nargs > 3) {
		XP_ERROR(XPATH_INVALID_ARITY);
	}
	if (nargs == 3)
		no = valuePop(ctxt);
	yes = valuePop(ctxt);
	cond = xmlXPathPopBoolean(ctxt);
	if (cond) {
		valuePush(ctxt, yes);
		xmlXPathFreeObject(no);
	} else {
		xmlXPathFreeObject(yes);
		if (no)
			valuePush(ctxt, no);
		else
			push_text(ctxt, "");
	}
}

/* Months since 1 BC of "YYYY-MM"; NAN when malformed. */
static double month_number(const char *m)
{
	char *end;
	long y, mo;

	if (!m || strlen(m) < 7 || m[4] != '-')
		return NAN;
	y = strtol(m, &end, 10);
	if (end != m + 4)
		return NAN;
	mo = strtol(m + 5, &end, 10);
	if (end != m + 7 || mo < 1 || mo > 12)
		return NAN;
	return (double)y * 12 + (double)(mo - 1);
}

/* bp:age(month): how many months `month` lies before run/@period (0 for
 * the period itself), so a template can take "the last 12 months" or
 * "the same months a year earlier" whatever the window's length. */
static void fn_age(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar *m;

	CHECK_ARITY(1);
	m = xmlXPathPopString(ctxt);
	valuePush(ctxt, xmlXPathNewFloat(month_number(ctx_of(ctxt)->period) -
					 month_number((char *)m)));
	xmlFree(m);
}

/* bp:dash(text): the text, or "—" when it is empty (a figure that does
 * not exist, never a 0). */
static void fn_dash(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar *s;

	CHECK_ARITY(1);
	s = xmlXPathPopString(ctxt);
	push_text(ctxt, s && *s ? (char *)s : "\xe2\x80\x94");
	xmlFree(s);
}

/* bp:max(nodes) and bp:min(nodes): of the nodes that are numbers; NaN
 * when none is. */
static void extreme(xmlXPathParserContextPtr ctxt, int nargs, int sign)
{
	xmlNodeSetPtr set;
	double best = NAN;
	int i;

	CHECK_ARITY(1);
	set = xmlXPathPopNodeSet(ctxt);
	for (i = 0; set && i < set->nodeNr; i++) {
		xmlChar *v = xmlXPathCastNodeToString(set->nodeTab[i]);
		double d = to_number(v);

		xmlFree(v);
		if (!isnan(d) && (isnan(best) || (d - best) * sign > 0))
			best = d;
	}
	xmlXPathFreeNodeSet(set);
	valuePush(ctxt, xmlXPathNewFloat(best));
}

static void fn_max(xmlXPathParserContextPtr ctxt, int nargs)
{
	extreme(ctxt, nargs, 1);
}

static void fn_min(xmlXPathParserContextPtr ctxt, int nargs)
{
	extreme(ctxt, nargs, -1);
}

/* bp:list('a b c'): a node per word, each's string value the word, so a
 * template can repeat one block for a list of metrics
 * (bp:each="bp:list('new_leads new_mqls')" bp:as="m").  The nodes live in
 * a scratch document of the expansion; absolute paths inside still read
 * metrics.xml, as XPath's root is the context's document. */
static void fn_list(xmlXPathParserContextPtr ctxt, int nargs)
{
	ctx *c = ctx_of(ctxt);
	xmlNodeSetPtr set = xmlXPathNodeSetCreate(NULL);
	xmlChar *s;
	const char *p;
	size_t n;

	CHECK_ARITY(1);
	s = xmlXPathPopString(ctxt);
	if (!c->scratch) {
		c->scratch = xmlNewDoc(BAD_CAST "1.0");
		xmlDocSetRootElement(c->scratch,
				     xmlNewDocNode(c->scratch, NULL, BAD_CAST "list", NULL));
	}
	for (p = s ? (const char *)s : ""; *p; p += n) {
		xmlNodePtr item;
		char *w;

		p += strspn(p, " \t\n,");
		n = strcspn(p, " \t\n,");
		if (!n)
			break;
		/* The scratch nodes count toward the expansion's limit: a
		 * bp:list in a loop must not grow without bound. */
		if (++c->nodes > c->lim.nodes) {
			xmlFree(s);
			xmlXPathFreeNodeSet(set);
			XP_ERROR(XPATH_MEMORY_ERROR);
		}
		w = bp_xstrndup(p, n);
		item = xmlNewDocNode(c->scratch, NULL, BAD_CAST "item", BAD_CAST w);
		free(w);
		xmlAddChild(xmlDocGetRootElement(c->scratch), item);
		xmlXPathNodeSetAdd(set, item);
	}
	xmlFree(s);
	valuePush(ctxt, xmlXPathWrapNodeSet(set));
}


/* A number attribute of n; NAN when absent or not a number. */
static double attr_number(xmlNodePtr n, const char *name)
{
	xmlChar *v = n ? xmlGetProp(n, BAD_CAST name) : NULL;
	double d = to_number(v);

	xmlFree(v);
	return d;
}

/* The first node of the node-set argument (popped), or NULL. */
static xmlNodePtr pop_first_node(xmlXPathParserContextPtr ctxt)
{
	xmlNodeSetPtr set = xmlXPathPopNodeSet(ctxt);
	xmlNodePtr n = set && set->nodeNr ? set->nodeTab[0] : NULL;

	xmlXPathFreeNodeSet(set);
	return n;
}

/* bp:versus(target): where a <target> (or a story's target fact) stands,
 * in the report's words: "46% under target", "20% over target", "on
 * target", and for a quarter under way against the pace the months so far
 * call for: "3% behind the pace".  "—" without an actual. */
static void fn_versus(xmlXPathParserContextPtr ctxt, int nargs)
{
	ctx *c = ctx_of(ctxt);
	xmlNodePtr t;
	double v, elapsed;
	int pace;
	char pct[32], key[32], *out;
	const char *arg = pct;

	CHECK_ARITY(1);
	t = pop_first_node(ctxt);
	if (!t || isnan(attr_number(t, "actual"))) {
		push_text(ctxt, "\xe2\x80\x94");
		return;
	}
	elapsed = attr_number(t, "months-elapsed");
	pace = xmlHasProp(t, BAD_CAST "quarter") && !isnan(attr_number(t, "pace")) &&
	       !(elapsed >= 3);
	v = pace ? attr_number(t, "pace") - 1 : attr_number(t, "vs-target");
	if (isnan(v))
		v = attr_number(t, "actual") / attr_number(t, "value") - 1;
	if (isnan(v) || isinf(v)) {
		push_text(ctxt, "\xe2\x80\x94");
		return;
	}
	bp_format_pct(fabs(v), 0, pct, sizeof(pct));
	snprintf(key, sizeof(key), "vs.%s%s", strcmp(pct, "0%") == 0 ? "on"
		 : v < 0 ? "under" : "over", pace ? "-pace" : "");
	out = fill(word(c, key), &arg, 1);
	push_text(ctxt, out);
	free(out);
}

/* bp:status(target): "on-track", "at-risk" or "missed": the target's own
 * status, else from its attainment (met; within 10%; beyond). */
static void fn_status(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlNodePtr t;
	xmlChar *st;
	double a;

	CHECK_ARITY(1);
	t = pop_first_node(ctxt);
	st = t ? xmlGetProp(t, BAD_CAST "status") : NULL;
	if (st && *st) {
		push_text(ctxt, (char *)st);
		xmlFree(st);
		return;
	}
	xmlFree(st);
	a = attr_number(t, "attainment");
	push_text(ctxt, isnan(a) ? "" : a >= 1 ? "on-track" : a >= 0.9 ? "at-risk"
		  : "missed");
}

/* libxml2 allocates through bp_xmalloc, so registering cannot fail. */
static void register_functions(xmlXPathContextPtr xp)
{
	static const struct { const char *name; xmlXPathFunction fn; } f[] = {
		{"int", fn_int}, {"num", fn_num}, {"pct", fn_pct},
		{"money", fn_money}, {"money-short", fn_money_short},
		{"delta", fn_delta}, {"delta-pt", fn_delta_pt},
		{"month-name", fn_month_name}, {"month-short", fn_month_short},
		{"date", fn_date}, {"label", fn_label}, {"join", fn_join},
		{"quarter", fn_quarter}, {"fmt", fn_fmt},
		{"channel-name", fn_channel_name}, {"group-name", fn_group_name},
		{"value", fn_value}, {"change", fn_change}, {"tone", fn_tone},
		{"better", fn_better}, {"when", fn_when}, {"dash", fn_dash},
		{"max", fn_max}, {"min", fn_min}, {"month-alone", fn_month_alone},
		{"list", fn_list}, {"age", fn_age}, {"versus", fn_versus},
		{"status", fn_status},
	};
	size_t i;

	xmlXPathRegisterNs(xp, BAD_CAST "bp", BAD_CAST BP_TEMPLATE_NS);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		xmlXPathRegisterFuncNS(xp, BAD_CAST f[i].name,
				       BAD_CAST BP_TEMPLATE_NS, f[i].fn);
}

/* ---- evaluation ---- */

static size_t expr_hash(const xmlChar *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= *s;
		h *= 0x100000001b3ULL;
	}
	return (size_t)(h ^ h >> 32);
}

/* expr compiled, from the cache when it was compiled before; NULL when
 * it does not compile (not kept: the error is reported each time). */
static xmlXPathCompExprPtr compiled(ctx *c, const xmlChar *expr)
{
	struct compiled *e;
	size_t i;

	if (c->n_compiled * 2 >= c->cap_compiled) {
		size_t cap = c->cap_compiled ? c->cap_compiled * 2 : 256, k;
		struct compiled *t = bp_xcalloc(cap, sizeof(*t));

		for (k = 0; k < c->cap_compiled; k++) {
			if (!c->compiled[k].expr)
				continue;
			for (i = expr_hash(c->compiled[k].expr) & (cap - 1); t[i].expr;
			     i = (i + 1) & (cap - 1))
				;
			t[i] = c->compiled[k];
		}
		free(c->compiled);
		c->compiled = t;
		c->cap_compiled = cap;
	}
	for (i = expr_hash(expr) & (c->cap_compiled - 1); c->compiled[i].expr;
	     i = (i + 1) & (c->cap_compiled - 1))
		if (xmlStrEqual(c->compiled[i].expr, expr))
			return c->compiled[i].comp;
	e = &c->compiled[i];
	e->comp = xmlXPathCtxtCompile(c->xp, expr);
	if (!e->comp)
		return NULL;
	e->expr = xmlStrdup(expr);
	c->n_compiled++;
	return e->comp;
}

/* Evaluates expr with `here` as the context node.  Returns the object
 * (caller frees) or NULL with BP_ECONFIG naming `at`'s line. */
static xmlXPathObjectPtr eval(ctx *c, xmlNodePtr at, const char *what,
			      const xmlChar *expr, xmlNodePtr here)
{
	xmlXPathCompExprPtr comp;
	xmlXPathObjectPtr res = NULL;

	c->xpath_msg[0] = '\0';
	c->xp->node = here;
	comp = compiled(c, expr);
	if (comp)
		res = xmlXPathCompiledEval(comp, c->xp);
	if (res)
		return res;
	if (c->nodes > c->lim.nodes)
		cfail(c, at, "template expansion makes more than %lu elements "
		      "and texts (bp:list in %s \"%.80s\")", c->lim.nodes, what,
		      (const char *)expr);
	else if (c->xp->opLimit && c->xp->opCount >= c->xp->opLimit)
		cfail(c, at, "template expansion takes too long: its XPath "
		      "expressions have taken more than %lu steps (in %s \"%.80s\"); "
		      "a bp:each or a predicate over too many nodes?",
		      c->lim.xpath_steps, what, (const char *)expr);
	else
		cfail(c, at, "bad xpath in %s \"%s\": %s", what, (const char *)expr,
		      c->xpath_msg[0] ? c->xpath_msg : "cannot evaluate");
	return NULL;
}

/* string(expr); NULL on error.  Caller frees with xmlFree. */
static xmlChar *eval_string(ctx *c, xmlNodePtr at, const char *what,
			    const xmlChar *expr, xmlNodePtr here)
{
	xmlXPathObjectPtr o = eval(c, at, what, expr, here);
	xmlChar *s;

	if (!o)
		return NULL;
	s = xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	return s;
}

static int eval_bool(ctx *c, xmlNodePtr at, const xmlChar *expr,
		     xmlNodePtr here)
{
	xmlXPathObjectPtr o = eval(c, at, "bp:if", expr, here);
	int b;

	if (!o)
		return -1;
	b = xmlXPathCastToBoolean(o);
	xmlXPathFreeObject(o);
	return b;
}

/* ---- building the output ---- */

/* Counts what the expansion adds: past the limits (render.h) it stops
 * at the template line of `at`, whatever the data is.  Returns 0 or -1. */
static int grow(ctx *c, xmlNodePtr at, unsigned long nodes, size_t bytes)
{
	c->nodes += nodes;
	c->bytes += bytes;
	if (c->nodes > c->lim.nodes)
		return cfail(c, at, "template expansion makes more than %lu "
			     "elements and texts: a bp:each over too many nodes, or "
			     "bp:each inside bp:each?", c->lim.nodes);
	if (c->bytes > c->lim.bytes)
		return cfail(c, at, "template expansion writes more than %zu "
			     "bytes of text: a bp:text or bp:each that repeats "
			     "too much?", c->lim.bytes);
	return 0;
}

/* The namespace `src` (from the template) as declared in the output at n,
 * declaring it on n when nothing above does. */
static xmlNsPtr out_ns(xmlNodePtr n, xmlNsPtr src)
{
	xmlNsPtr ns;

	if (!src)
		return NULL;
	ns = xmlSearchNsByHref(n->doc, n, src->href);
	return ns ? ns : xmlNewNs(n, src->href, src->prefix);
}

/* Checks the bp: attributes of t: each, if, text, attr-NAME.  NAME is
 * the output attribute's name, so it must be one: "bp:attr-1" is a name
 * in the template but "1" is none in the output, and "xmlns" would
 * declare a namespace, not set an attribute. */
static int check_bp_attrs(ctx *c, xmlNodePtr t)
{
	xmlAttrPtr a;

	for (a = t->properties; a; a = a->next) {
		const char *nm = (const char *)a->name;

		if (!is_bp_attr(a))
			continue;
		if (strcmp(nm, "each") && strcmp(nm, "if") && strcmp(nm, "text") &&
		    strcmp(nm, "as") &&
		    (strncmp(nm, "attr-", 5) || !nm[5]) &&
		    (strncmp(nm, "let-", 4) || !nm[4]))
			return cfail(c, t, "unknown directive bp:%s on <%s>", nm,
				     (const char *)t->name);
		if (strncmp(nm, "attr-", 5) == 0 &&
		    (xmlValidateNCName(a->name + 5, 0) != 0 || !strcmp(nm + 5, "xmlns")))
			return cfail(c, t, "bp:%s on <%s>: '%s' cannot be an attribute "
				     "name of the output (a name starts with a "
				     "letter or '_', and xmlns declares a namespace)",
				     nm, (const char *)t->name, nm + 5);
	}
	return 0;
}

/* Copies plain attributes, then evaluates bp:attr-NAME over them. */
static int copy_attrs(ctx *c, xmlNodePtr t, xmlNodePtr n, xmlNodePtr here)
{
	xmlAttrPtr a;
	int rc;

	for (a = t->properties; a; a = a->next) {
		xmlChar *v;

		if (is_bp_attr(a))
			continue;
		v = xmlNodeGetContent((xmlNodePtr)a);
		xmlSetNsProp(n, out_ns(n, a->ns), a->name, v);
		rc = grow(c, t, 0, v ? (size_t)xmlStrlen(v) : 0);
		xmlFree(v);
		if (rc < 0)
			return -1;
	}
	for (a = t->properties; a; a = a->next) {
		xmlChar *expr, *v;

		if (!is_bp_attr(a) || strncmp((const char *)a->name, "attr-", 5))
			continue;
		expr = xmlNodeGetContent((xmlNodePtr)a);
		v = eval_string(c, t, "bp:attr", expr, here);
		xmlFree(expr);
		if (!v)
			return -1;
		xmlSetProp(n, a->name + 5, v);
		rc = grow(c, t, 0, (size_t)xmlStrlen(v));
		xmlFree(v);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int add_text(ctx *c, xmlNodePtr at, xmlNodePtr parent, const xmlChar *s)
{
	if (grow(c, at, 1, s ? (size_t)xmlStrlen(s) : 0) < 0)
		return -1;
	xmlAddChild(parent, xmlNewDocText(parent->doc, s));
	return 0;
}

/* The variables an element's bp:let-NAME attributes bind, with the
 * values they hid, to be put back when the element is done. */
typedef struct lets {
	size_t n;
	const xmlChar **name;
	xmlXPathObjectPtr *hidden;
} lets;

static int is_let(xmlAttrPtr a)
{
	return is_bp_attr(a) && strncmp((const char *)a->name, "let-", 4) == 0 &&
	       a->name[4];
}

/* Puts back what bind_lets hid, last bound first. */
static void unbind_lets(ctx *c, lets *l)
{
	while (l->n) {
		l->n--;
		xmlXPathRegisterVariable(c->xp, l->name[l->n], l->hidden[l->n]);
	}
	free(l->name);
	free(l->hidden);
	l->name = NULL;
	l->hidden = NULL;
}

/* Evaluates each bp:let-NAME of t once at `here`, in document order (a
 * later one may use an earlier one), and binds the value to $NAME for
 * t's other directives and its whole content: an expression that a
 * predicate would otherwise evaluate again for every node it tests.
 * Returns 0, or -1 with nothing left bound. */
static int bind_lets(ctx *c, xmlNodePtr t, xmlNodePtr here, lets *l)
{
	xmlAttrPtr a;
	size_t count = 0;

	memset(l, 0, sizeof(*l));
	for (a = t->properties; a; a = a->next)
		count += is_let(a) ? 1 : 0;
	if (!count)
		return 0;
	l->name = bp_xcalloc(count, sizeof(*l->name));
	l->hidden = bp_xcalloc(count, sizeof(*l->hidden));
	for (a = t->properties; a; a = a->next) {
		xmlChar *expr;
		xmlXPathObjectPtr v;

		if (!is_let(a))
			continue;
		if (xmlValidateNCName(a->name + 4, 0) != 0) {
			unbind_lets(c, l);
			return cfail(c, t, "bp:%s on <%s>: '%s' cannot name a "
				     "variable (a name starts with a letter or '_')",
				     (const char *)a->name, (const char *)t->name,
				     (const char *)a->name + 4);
		}
		expr = xmlNodeGetContent((xmlNodePtr)a);
		v = eval(c, t, "bp:let", expr, here);
		xmlFree(expr);
		if (!v) {
			unbind_lets(c, l);
			return -1;
		}
		l->name[l->n] = a->name + 4;
		l->hidden[l->n] = xmlXPathVariableLookup(c->xp, l->name[l->n]);
		l->n++;
		xmlXPathRegisterVariable(c->xp, a->name + 4, v);
	}
	return 0;
}

/* One copy of element t (bp:each already resolved) under parent. */
static int expand_once(ctx *c, xmlNodePtr t, xmlNodePtr parent,
		       xmlNodePtr here)
{
	xmlChar *cond = xmlGetNsProp(t, BAD_CAST "if", BAD_CAST BP_TEMPLATE_NS);
	xmlChar *txt = NULL, *val = NULL;
	xmlNodePtr n, ch;
	int rc = -1, keep;
	lets l;

	if (bind_lets(c, t, here, &l) < 0)
		goto out;
	if (cond) {
		keep = eval_bool(c, t, cond, here);
		if (keep <= 0) {
			rc = keep;
			goto out;
		}
	}
	if (grow(c, t, 1, 0) < 0)
		goto out;
	n = xmlNewDocNode(parent->doc, NULL, t->name, NULL);
	set_origin(c, t, n);
	xmlAddChild(parent, n);
	xmlSetNs(n, is_bp(t) ? NULL : out_ns(n, t->ns));
	if (copy_attrs(c, t, n, here) < 0)
		goto out;
	txt = xmlGetNsProp(t, BAD_CAST "text", BAD_CAST BP_TEMPLATE_NS);
	if (txt) {
		val = eval_string(c, t, "bp:text", txt, here);
		if (!val || add_text(c, t, n, val) < 0)
			goto out;
		rc = 0;
		goto out;
	}
	for (ch = t->children; ch; ch = ch->next)
		if (expand_node(c, ch, n, here) < 0)
			goto out;
	rc = 0;
out:
	unbind_lets(c, &l);
	xmlFree(cond);
	xmlFree(txt);
	xmlFree(val);
	return rc;
}

static void set_number_var(ctx *c, const char *name, double v)
{
	xmlXPathRegisterVariable(c->xp, BAD_CAST name, xmlXPathNewFloat(v));
}

static int fragment_once(ctx *c, xmlNodePtr t, xmlNodePtr parent,
			 xmlNodePtr here);

/* Repeats t per node of bp:each, with $i and $n; restores outer ones. */
static int expand_each(ctx *c, xmlNodePtr t, xmlNodePtr parent,
		       xmlNodePtr here, const xmlChar *expr)
{
	xmlXPathObjectPtr set = eval(c, t, "bp:each", expr, here);
	xmlXPathObjectPtr oi, on, oa;
	xmlChar *as;
	int i, count, rc = 0;

	if (!set)
		return -1;
	if (set->type != XPATH_NODESET) {
		xmlXPathFreeObject(set);
		return cfail(c, t, "bp:each \"%s\" is not a node-set",
			     (const char *)expr);
	}
	as = xmlGetNsProp(t, BAD_CAST "as", BAD_CAST BP_TEMPLATE_NS);
	oi = xmlXPathVariableLookup(c->xp, BAD_CAST "i");
	on = xmlXPathVariableLookup(c->xp, BAD_CAST "n");
	oa = as ? xmlXPathVariableLookup(c->xp, as) : NULL;
	count = set->nodesetval ? set->nodesetval->nodeNr : 0;
	for (i = 0; i < count && rc == 0; i++) {
		xmlNodePtr node = set->nodesetval->nodeTab[i];

		set_number_var(c, "i", i + 1);
		set_number_var(c, "n", count);
		if (as)
			xmlXPathRegisterVariable(c->xp, as, xmlXPathNewNodeSet(node));
		rc = is_bp(t) ? fragment_once(c, t, parent, node)
			      : expand_once(c, t, parent, node);
	}
	xmlXPathRegisterVariable(c->xp, BAD_CAST "i", oi);
	xmlXPathRegisterVariable(c->xp, BAD_CAST "n", on);
	if (as)
		xmlXPathRegisterVariable(c->xp, as, oa);
	xmlFree(as);
	xmlXPathFreeObject(set);
	return rc;
}

static int expand_bp(ctx *c, xmlNodePtr t, xmlNodePtr parent,
		     xmlNodePtr here);

static int expand_node(ctx *c, xmlNodePtr t, xmlNodePtr parent,
		       xmlNodePtr here)
{
	xmlChar *each;
	int rc;

	if (t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE)
		return add_text(c, t, parent, t->content);
	if (t->type != XML_ELEMENT_NODE)
		return 0;
	if (is_bp(t))
		return expand_bp(c, t, parent, here);
	if (check_bp_attrs(c, t) < 0)
		return -1;
	each = xmlGetNsProp(t, BAD_CAST "each", BAD_CAST BP_TEMPLATE_NS);
	if (!each)
		return expand_once(c, t, parent, here);
	rc = expand_each(c, t, parent, here, each);
	xmlFree(each);
	return rc;
}

/* ---- template files ---- */

/* A namespace name holding '<' or '&' would be written into the output's
 * xmlns attributes as it is (libxml2 does not escape them there), and the
 * output would not be well-formed: such a template is refused.  Returns 0,
 * or -1 with BP_ECONFIG at the line of the element declaring it. */
static int check_namespaces(xmlNodePtr n, const char *path, bp_err *err)
{
	xmlNsPtr ns;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (ns = n->nsDef; ns; ns = ns->next) {
			const char *href = (const char *)ns->href;

			if (!href || !strpbrk(href, "<&"))
				continue;
			return bp_err_at(err, BP_ECONFIG, path, xmlGetLineNo(n), 0,
					 "namespace name \"%.200s\" (xmlns%s%s on <%s>) "
					 "holds '%c': a template's namespace names "
					 "cannot contain '<' or '&'", href,
					 ns->prefix ? ":" : "",
					 ns->prefix ? (const char *)ns->prefix : "",
					 (const char *)n->name, *strpbrk(href, "<&"));
		}
		if (check_namespaces(n->children, path, err) < 0)
			return -1;
	}
	return 0;
}

/* Parses a template.  Returns the document or NULL with `code` (BP_ENOINPUT
 * for a missing top-level file, BP_ECONFIG otherwise). */
static xmlDocPtr parse_template(const char *path, int missing_code,
				bp_err *err)
{
	xmlParserCtxtPtr pc;
	xmlDocPtr doc;
	xmlErrorPtr e;

	if (access(path, R_OK) != 0)
		return bp_err_at(err, missing_code, path, 0, 0,
				 "cannot read template: %s", strerror(errno)),
		       NULL;
	pc = xmlNewParserCtxt();
	doc = xmlCtxtReadFile(pc, path, "UTF-8",
			      XML_PARSE_NONET | XML_PARSE_NOERROR |
			      XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES);
	if (!doc || !xmlDocGetRootElement(doc)) {
		e = xmlCtxtGetLastError(pc);
		bp_err_at(err, BP_ECONFIG, path, e ? e->line : 0,
			  e ? e->int2 : 0, "template is not well-formed xml: %s",
			  e && e->message ? e->message : "empty document");
		if (err) {
			size_t n = strlen(err->msg);

			while (n && err->msg[n - 1] == '\n')
				err->msg[--n] = '\0';
		}
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (check_namespaces(xmlDocGetRootElement(doc), path, err) < 0) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(pc);
	return doc;
}

/* The folder part of path, "." when none.  Caller frees. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return bp_xstrdup(".");
	return bp_xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
}

static int expand_children(ctx *c, xmlNodePtr t, xmlNodePtr parent,
			   xmlNodePtr here)
{
	xmlNodePtr ch;

	for (ch = t->children; ch; ch = ch->next)
		if (expand_node(c, ch, parent, here) < 0)
			return -1;
	return 0;
}

/* <bp:include href="file"/>: a sibling template's root, expanded here.  A
 * root <bp:fragment> contributes its children, so a file may hold several
 * sections. */
static int expand_include(ctx *c, xmlNodePtr t, xmlNodePtr parent,
			  xmlNodePtr here)
{
	xmlChar *href = xmlGetProp(t, BAD_CAST "href");
	char *dir = NULL, *path = NULL;
	const char *saved = c->file;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int rc = -1;

	if (!href || !*href || strchr((char *)href, '/')) {
		cfail(c, t, "bp:include needs href naming a file in the same folder");
		goto out;
	}
	if (c->depth >= MAX_INCLUDE_DEPTH) {
		cfail(c, t, "bp:include of '%s' nests too deep (a cycle?)",
		      (char *)href);
		goto out;
	}
	dir = dir_of(c->file);
	path = bp_xasprintf("%s/%s", dir, (char *)href);
	doc = parse_template(path, BP_ECONFIG, c->err);
	if (!doc) {
		if (access(path, R_OK) != 0)
			cfail(c, t, "bp:include: cannot read '%s': %s (an "
			      "included file is looked for in the folder of the "
			      "template that includes it; copy it there)", path,
			      strerror(errno));
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (c->depth == 0)
		c->include_line = xmlGetLineNo(t);
	c->file = path;
	c->depth++;
	if (is_bp(root) && xmlStrEqual(root->name, BAD_CAST "fragment"))
		rc = expand_children(c, root, parent, here);
	else
		rc = expand_node(c, root, parent, here);
	c->depth--;
	c->file = saved;
out:
	xmlFree(href);
	xmlFreeDoc(doc);
	free(dir);
	free(path);
	return rc;
}

static int expand_chart(ctx *c, xmlNodePtr t, xmlNodePtr parent,
			xmlNodePtr here);

static int expand_bp(ctx *c, xmlNodePtr t, xmlNodePtr parent,
		     xmlNodePtr here)
{
	const char *nm = (const char *)t->name;
	xmlChar *cond;
	int keep = 1;
	lets l;

	if (strcmp(nm, "fragment") == 0) {
		xmlChar *each = xmlGetNsProp(t, BAD_CAST "each",
					     BAD_CAST BP_TEMPLATE_NS);
		int rc;

		if (!each)
			return fragment_once(c, t, parent, here);
		rc = expand_each(c, t, parent, here, each);
		xmlFree(each);
		return rc;
	}
	if (bind_lets(c, t, here, &l) < 0)
		return -1;
	cond = xmlGetNsProp(t, BAD_CAST "if", BAD_CAST BP_TEMPLATE_NS);
	if (!cond)
		cond = xmlGetProp(t, BAD_CAST "if");
	if (cond)
		keep = eval_bool(c, t, cond, here);
	xmlFree(cond);
	if (keep > 0) {
		if (strcmp(nm, "include") == 0)
			keep = expand_include(c, t, parent, here);
		else if (strcmp(nm, "chart") == 0)
			keep = expand_chart(c, t, parent, here);
		else
			keep = cfail(c, t, "unknown directive <bp:%s>", nm);
	}
	unbind_lets(c, &l);
	return keep;
}

/* A <bp:fragment>'s children, when its bp:if (or if) holds at `here`,
 * with its bp:let-NAME variables bound. */
static int fragment_once(ctx *c, xmlNodePtr t, xmlNodePtr parent,
			 xmlNodePtr here)
{
	xmlChar *cond;
	int keep = 1;
	lets l;

	if (bind_lets(c, t, here, &l) < 0)
		return -1;
	cond = xmlGetNsProp(t, BAD_CAST "if", BAD_CAST BP_TEMPLATE_NS);
	if (!cond)
		cond = xmlGetProp(t, BAD_CAST "if");
	if (cond)
		keep = eval_bool(c, t, cond, here);
	xmlFree(cond);
	if (keep > 0)
		keep = expand_children(c, t, parent, here);
	unbind_lets(c, &l);
	return keep;
}

/* ---- charts ---- */

typedef struct strlist { char **s; size_t n, cap; } strlist;

static void strlist_free(strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->s[i]);
	free(l->s);
}

/* Index of s in l, appended when new. */
static long intern(strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->s[i], s) == 0)
			return (long)i;
	BP_GROW(l->s, l->n + 1, l->cap);
	l->s[l->n] = bp_xstrdup(s);
	return (long)l->n++;
}

typedef struct point { long cat, ser; double y, target; } point;

typedef struct chart_data {
	strlist cats, series;
	strlist keys;           /* order="..": each category's sort key */
	unsigned *colors;       /* color="..": each series' colour */
	size_t ncolors, capcolors;
	point *pts;
	size_t n, cap;
} chart_data;

static void chart_data_free(chart_data *d)
{
	strlist_free(&d->cats);
	strlist_free(&d->series);
	strlist_free(&d->keys);
	free(d->colors);
	free(d->pts);
}

typedef struct fmt_ctx { int kind; const char *currency; } fmt_ctx;

enum { F_AUTO, F_INT, F_NUM, F_MONEY, F_MONEY_SHORT, F_PCT };

static int chart_fmt(double v, char *buf, size_t size, void *p)
{
	const fmt_ctx *f = p;

	switch (f->kind) {
	case F_INT: return bp_format_int(v, buf, size);
	case F_NUM: return bp_format_num(v, 1, buf, size);
	case F_MONEY: return bp_format_money(v, f->currency, buf, size);
	case F_MONEY_SHORT: return bp_format_money_short(v, f->currency, buf, size);
	case F_PCT: return bp_format_pct(v, 1, buf, size);
	default:
		return v == floor(v) ? bp_format_int(v, buf, size)
				     : bp_format_num(v, 2, buf, size);
	}
}

static double to_number(const xmlChar *s)
{
	char *end;
	double v;

	if (!s || !*s)
		return NAN;
	v = strtod((const char *)s, &end);
	/* Infinite or denormal values have no place on an axis. */
	if (*end || end == (const char *)s || !isfinite(v) ||
	    (v != 0 && fabs(v) < 1e-300))
		return NAN;
	return v;
}

static const char *const chart_attrs[] = {
	"type", "rows", "x", "y", "series", "target", "format", "width",
	"height", "title", "target-label", "absent-label", "other-label",
	"max-series", "order", "color", "if", NULL
};

static int check_chart_attrs(ctx *c, xmlNodePtr t)
{
	xmlAttrPtr a;
	const char *nm;
	size_t i;

	for (a = t->properties; a; a = a->next) {
		nm = (const char *)a->name;
		if (is_let(a))
			continue;
		/* bp:attr-title="XPATH" and the like: a text the report's
		 * words give */
		if (is_bp_attr(a) && strncmp(nm, "attr-", 5) == 0)
			nm += 5;
		for (i = 0; chart_attrs[i]; i++)
			if (strcmp(nm, chart_attrs[i]) == 0)
				break;
		if (!chart_attrs[i] || (a->ns && !is_bp_attr(a)))
			return cfail(c, t, "unknown attribute '%s' on <bp:chart>",
				     (const char *)a->name);
	}
	return 0;
}

/* A chart's text attribute: bp:attr-NAME evaluated at `here`, else NAME
 * as written, else NULL.  Caller frees; *failed on a bad expression. */
static xmlChar *chart_text(ctx *c, xmlNodePtr t, const char *name,
			   xmlNodePtr here, int *failed)
{
	char *attr = bp_xasprintf("attr-%s", name);
	xmlChar *expr = xmlGetNsProp(t, BAD_CAST attr, BAD_CAST BP_TEMPLATE_NS);
	xmlChar *v;

	free(attr);
	if (!expr)
		return xmlGetProp(t, BAD_CAST name);
	v = eval_string(c, t, "bp:chart", expr, here);
	xmlFree(expr);
	if (!v)
		*failed = 1;
	return v;
}

/* Evaluates x, y, series, target and order for one row into d. */
static int gather_row(ctx *c, xmlNodePtr t, xmlNodePtr row, chart_data *d)
{
	static const char *const names[6] = {"x", "y", "series", "target",
					     "order", "color"};
	xmlChar *v[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
	int i, rc = -1;
	point *pt;

	for (i = 0; i < 6; i++) {
		xmlChar *expr = xmlGetProp(t, BAD_CAST names[i]);

		if (!expr)
			continue;
		v[i] = eval_string(c, t, "bp:chart", expr, row);
		xmlFree(expr);
		if (!v[i])
			goto out;
	}
	BP_GROW(d->pts, d->n + 1, d->cap);
	pt = &d->pts[d->n];
	pt->cat = intern(&d->cats, v[0] ? (char *)v[0] : "");
	pt->ser = intern(&d->series, v[2] ? (char *)v[2] : "");
	pt->y = to_number(v[1]);
	pt->target = to_number(v[3]);
	/* a category's key is the one of the first row that names it */
	if (v[4] && (size_t)pt->cat == d->keys.n) {
		BP_GROW(d->keys.s, d->keys.n + 1, d->keys.cap);
		d->keys.s[d->keys.n++] = bp_xstrdup((char *)v[4]);
	}
	/* a series' colour: the palette's at the index its first row gives */
	if (v[5] && (size_t)pt->ser == d->ncolors) {
		double k = to_number(v[5]);

		BP_GROW(d->colors, d->ncolors + 1, d->capcolors);
		d->colors[d->ncolors++] = bp_chart_color(isnan(k) || k < 0 ? 0
							 : (size_t)k);
	}
	d->n++;
	rc = 0;
out:
	for (i = 0; i < 6; i++)
		xmlFree(v[i]);
	return rc;
}

/* Keys compare as numbers when both are, else as text. */
static int key_cmp(const char *a, const char *b)
{
	double x = to_number(BAD_CAST a), y = to_number(BAD_CAST b);

	if (!isnan(x) && !isnan(y))
		return x < y ? -1 : x > y;
	return strcmp(a, b);
}

/* Puts the categories in the order of their keys (stable), renumbering
 * the points. */
static void sort_categories(chart_data *d)
{
	size_t n = d->cats.n, i, j, *rank, *where;
	char **cats;

	if (!n || d->keys.n != n)
		return;
	rank = bp_xreallocarray(NULL, n, sizeof(*rank));
	for (i = 0; i < n; i++)
		rank[i] = i;
	/* insertion sort: a chart has tens of categories */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && key_cmp(d->keys.s[rank[j - 1]],
					     d->keys.s[rank[j]]) > 0; j--) {
			size_t t = rank[j];

			rank[j] = rank[j - 1];
			rank[j - 1] = t;
		}
	cats = bp_xreallocarray(NULL, n, sizeof(*cats));
	for (i = 0; i < n; i++)
		cats[i] = d->cats.s[rank[i]];
	memcpy(d->cats.s, cats, n * sizeof(*cats));
	where = bp_xreallocarray(NULL, n, sizeof(*where));
	for (i = 0; i < n; i++)
		where[rank[i]] = i;
	for (i = 0; i < d->n; i++)
		d->pts[i].cat = (long)where[d->pts[i].cat];
	free(where);
	free(cats);
	free(rank);
}

static int gather(ctx *c, xmlNodePtr t, xmlNodePtr here, chart_data *d)
{
	xmlChar *rows = xmlGetProp(t, BAD_CAST "rows");
	xmlChar *y = xmlGetProp(t, BAD_CAST "y");
	xmlXPathObjectPtr set = NULL, saved;
	int i, rc = -1;

	if (!rows || !y || !xmlHasProp(t, BAD_CAST "x")) {
		cfail(c, t, "<bp:chart> needs rows, x and y");
		goto out;
	}
	set = eval(c, t, "bp:chart rows", rows, here);
	if (!set)
		goto out;
	if (set->type != XPATH_NODESET) {
		cfail(c, t, "bp:chart rows \"%s\" is not a node-set",
		      (char *)rows);
		goto out;
	}
	saved = xmlXPathVariableLookup(c->xp, BAD_CAST "row");
	for (i = 0; set->nodesetval && i < set->nodesetval->nodeNr; i++) {
		xmlNodePtr row = set->nodesetval->nodeTab[i];

		/* $row lets x, y and target reach other parts of metrics.xml
		 * keyed by this row (XPath 1.0 has no current()) */
		xmlXPathRegisterVariable(c->xp, BAD_CAST "row",
					 xmlXPathNewNodeSet(row));
		if (gather_row(c, t, row, d) < 0)
			break;
	}
	xmlXPathRegisterVariable(c->xp, BAD_CAST "row", saved);
	if (set->nodesetval && i < set->nodesetval->nodeNr)
		goto out;
	sort_categories(d);
	rc = 0;
out:
	xmlFree(rows);
	xmlFree(y);
	xmlXPathFreeObject(set);
	return rc;
}

static int chart_type(const char *s, bp_chart_type *out)
{
	static const struct { const char *name; bp_chart_type t; } m[] = {
		{"bar", BP_CHART_BAR}, {"line", BP_CHART_LINE},
		{"stacked-bar", BP_CHART_STACKED_BAR},
		{"heatmap", BP_CHART_HEATMAP}, {"funnel", BP_CHART_FUNNEL},
	};
	size_t i;

	for (i = 0; s && i < sizeof(m) / sizeof(m[0]); i++) {
		if (strcmp(s, m[i].name) == 0) {
			*out = m[i].t;
			return 0;
		}
	}
	return -1;
}

static int format_kind(const char *s)
{
	static const char *const k[] = {"auto", "int", "num", "money",
					"money-short", "pct"};
	size_t i;

	for (i = 0; s && i < sizeof(k) / sizeof(k[0]); i++)
		if (strcmp(s, k[i]) == 0)
			return (int)i;
	return s ? -1 : F_AUTO;
}

/* A coordinate with at most two decimals and no trailing zeros. */
static void coord(double v, char *buf, size_t size)
{
	size_t n;

	snprintf(buf, size, "%.2f", fabs(v) < 0.005 ? 0.0 : v);
	n = strlen(buf);
	while (n && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n && buf[n - 1] == '.')
		buf[--n] = '\0';
}

/* libxml2 allocates through bp_xmalloc: setting an attribute of an
 * element cannot fail. */
static void set_num(xmlNodePtr n, const char *name, double v)
{
	char buf[48];

	coord(v, buf, sizeof(buf));
	xmlSetProp(n, BAD_CAST name, BAD_CAST buf);
}

static void set_color(xmlNodePtr n, const char *name, unsigned rgb)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "#%06X", rgb & 0xFFFFFFu);
	xmlSetProp(n, BAD_CAST name, BAD_CAST buf);
}

static void shape_points(xmlNodePtr n, const bp_shape *s)
{
	char x[24], y[24];
	/* coord() writes at most 23 characters: a pair and its separators
	 * always fit. */
	size_t i, len = 0, cap = s->npts * (sizeof(x) + sizeof(y)) + 1;
	char *buf = bp_xmalloc(cap);

	buf[0] = '\0';
	for (i = 0; i < s->npts; i++) {
		coord(s->pts[2 * i], x, sizeof(x));
		coord(s->pts[2 * i + 1], y, sizeof(y));
		len += (size_t)snprintf(buf + len, cap - len, "%s%s,%s",
					i ? " " : "", x, y);
	}
	xmlSetProp(n, BAD_CAST "points", BAD_CAST buf);
	free(buf);
}

static void shape_attrs(xmlNodePtr n, const bp_shape *s)
{
	static const char *const anchors[] = {"start", "middle", "end"};

	switch (s->kind) {
	case BP_SHAPE_RECT:
		set_num(n, "x", s->x);
		set_num(n, "y", s->y);
		set_num(n, "width", s->w);
		set_num(n, "height", s->h);
		set_color(n, "fill", s->fill);
		if (s->has_stroke)
			set_color(n, "stroke", s->stroke);
		break;
	case BP_SHAPE_LINE:
		set_num(n, "x1", s->x);
		set_num(n, "y1", s->y);
		set_num(n, "x2", s->x2);
		set_num(n, "y2", s->y2);
		break;
	case BP_SHAPE_POLYLINE:
		shape_points(n, s);
		xmlSetProp(n, BAD_CAST "fill", BAD_CAST "none");
		break;
	case BP_SHAPE_CIRCLE:
		set_num(n, "cx", s->x);
		set_num(n, "cy", s->y);
		set_num(n, "r", s->r);
		set_color(n, "fill", s->fill);
		break;
	case BP_SHAPE_TEXT:
		set_num(n, "x", s->x);
		set_num(n, "y", s->y);
		set_num(n, "font-size", s->font_size);
		set_color(n, "fill", s->fill);
		xmlSetProp(n, BAD_CAST "text-anchor",
			   BAD_CAST anchors[s->anchor % 3]);
		if (s->bold)
			xmlSetProp(n, BAD_CAST "font-weight", BAD_CAST "bold");
		break;
	}
	if (s->kind == BP_SHAPE_LINE || s->kind == BP_SHAPE_POLYLINE) {
		set_color(n, "stroke", s->stroke);
		set_num(n, "stroke-width", s->stroke_width);
		if (s->dashed)
			xmlSetProp(n, BAD_CAST "stroke-dasharray", BAD_CAST "4 3");
	}
	if (s->opacity < 1.0)
		set_num(n, "opacity", s->opacity);
}

/* The <drawing> element of a chart, in no namespace. */
static xmlNodePtr drawing_of(xmlDocPtr doc, const bp_chart *ch)
{
	static const char *const names[] = {"rect", "line", "polyline",
					    "circle", "text"};
	xmlNodePtr d = xmlNewDocNode(doc, NULL, BAD_CAST "drawing", NULL);
	size_t i;

	set_num(d, "width", ch->width);
	set_num(d, "height", ch->height);
	for (i = 0; i < ch->n; i++) {
		const bp_shape *s = &ch->shapes[i];
		xmlNodePtr n = xmlNewDocNode(doc, NULL, BAD_CAST names[s->kind],
					     NULL);

		xmlAddChild(d, n);
		shape_attrs(n, s);
		if (s->kind == BP_SHAPE_TEXT)
			xmlAddChild(n, xmlNewDocText(doc, BAD_CAST s->text));
	}
	return d;
}

/* Lays the gathered points out as the series x categories matrix. */
static void chart_input(chart_data *d, bp_chart_input *in, double **vals,
			double **targets)
{
	size_t i, total = d->series.n * d->cats.n;
	int any_target = 0;

	*vals = bp_xreallocarray(NULL, total ? total : 1, sizeof(double));
	*targets = bp_xreallocarray(NULL, d->cats.n ? d->cats.n : 1,
				    sizeof(double));
	for (i = 0; i < total; i++)
		(*vals)[i] = NAN;
	for (i = 0; i < d->cats.n; i++)
		(*targets)[i] = NAN;
	for (i = 0; i < d->n; i++) {
		const point *p = &d->pts[i];
		double *v = &(*vals)[p->ser * d->cats.n + p->cat];

		if (!isnan(p->y))
			*v = isnan(*v) ? p->y : *v + p->y;
		if (!isnan(p->target) && isnan((*targets)[p->cat])) {
			(*targets)[p->cat] = p->target;
			any_target = 1;
		}
	}
	in->ncats = d->cats.n;
	in->cats = (const char *const *)d->cats.s;
	in->nseries = d->series.n ? d->series.n : 1;
	in->series = (const char *const *)d->series.s;
	in->colors = d->series.n && d->ncolors == d->series.n ? d->colors : NULL;
	in->values = *vals;
	in->target = any_target ? *targets : NULL;
}

static double num_attr(xmlNodePtr t, const char *name)
{
	xmlChar *s = xmlGetProp(t, BAD_CAST name);
	double v = to_number(s);

	xmlFree(s);
	return isnan(v) ? 0 : v;
}

static int expand_chart(ctx *c, xmlNodePtr t, xmlNodePtr parent,
			xmlNodePtr here)
{
	xmlChar *type = xmlGetProp(t, BAD_CAST "type");
	xmlChar *format = xmlGetProp(t, BAD_CAST "format");
	xmlChar *title = NULL, *tlabel = NULL, *absent = NULL, *other = NULL;
	int failed = 0;
	bp_chart_input in;
	chart_data d;
	fmt_ctx f;
	double *vals = NULL, *targets = NULL;
	bp_chart *ch = NULL;
	int rc = -1;

	memset(&in, 0, sizeof(in));
	memset(&d, 0, sizeof(d));
	if (check_chart_attrs(c, t) < 0)
		goto out;
	title = chart_text(c, t, "title", here, &failed);
	tlabel = chart_text(c, t, "target-label", here, &failed);
	absent = chart_text(c, t, "absent-label", here, &failed);
	other = chart_text(c, t, "other-label", here, &failed);
	if (failed)
		goto out;
	if (chart_type((char *)type, &in.type) < 0) {
		cfail(c, t, "unknown chart type '%s' (bar, line, stacked-bar, "
		      "heatmap, funnel)", type ? (char *)type : "");
		goto out;
	}
	f.kind = format_kind((char *)format);
	f.currency = c->currency;
	if (f.kind < 0) {
		cfail(c, t, "unknown chart format '%s' (auto, int, num, money, "
		      "money-short, pct)", (char *)format);
		goto out;
	}
	if (gather(c, t, here, &d) < 0)
		goto out;
	chart_input(&d, &in, &vals, &targets);
	in.width = num_attr(t, "width");
	in.height = num_attr(t, "height");
	in.title = (char *)title;
	in.target_label = (char *)tlabel;
	in.absent_label = (char *)absent;
	in.other_label = (char *)other;
	in.max_series = (size_t)num_attr(t, "max-series");
	in.fmt = chart_fmt;
	in.fmt_ctx = &f;
	ch = bp_chart_build(&in, c->err);
	if (!ch || grow(c, t, ch->n + 1, 0) < 0)
		goto out;
	xmlAddChild(parent, drawing_of(parent->doc, ch));
	rc = 0;
out:
	bp_chart_free(ch);
	free(vals);
	free(targets);
	chart_data_free(&d);
	xmlFree(type);
	xmlFree(format);
	xmlFree(title);
	xmlFree(tlabel);
	xmlFree(absent);
	xmlFree(other);
	return rc;
}

/* ---- public API ---- */

static void ctx_init(ctx *c, xmlDocPtr metrics, const bp_render_limits *lim,
		     bp_err *err)
{
	xmlXPathObjectPtr o;

	memset(c, 0, sizeof(*c));
	c->err = err;
	c->lim = *lim;
	c->xp = xmlXPathNewContext(metrics);
	register_functions(c->xp);
	c->xp->userData = c;
	c->xp->error = xpath_error;
	/* string() of a NULL object is "" */
	o = xmlXPathEvalExpression(BAD_CAST "string(/metrics/run/@currency)", c->xp);
	c->currency_s = xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	o = xmlXPathEvalExpression(BAD_CAST "string(/metrics/run/@language)", c->xp);
	c->language_s = xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	o = xmlXPathEvalExpression(BAD_CAST "string(/metrics/run/@period)", c->xp);
	c->period_s = xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	c->currency = (char *)c->currency_s;
	c->language = (char *)c->language_s;
	c->period = (char *)c->period_s;
	/* Counted from here: the steps of every expression the template
	 * runs, together. */
	c->xp->opCount = 0;
	c->xp->opLimit = lim->xpath_steps;
}

static void ctx_free(ctx *c)
{
	size_t i;

	for (i = 0; i < c->cap_compiled; i++) {
		if (!c->compiled[i].expr)
			continue;
		xmlFree(c->compiled[i].expr);
		xmlXPathFreeCompExpr(c->compiled[i].comp);
	}
	free(c->compiled);
	bp_labels_free(c->labels);
	xmlFreeDoc(c->scratch);
	xmlXPathFreeContext(c->xp);
	xmlFree(c->currency_s);
	xmlFree(c->language_s);
	xmlFree(c->period_s);
}

xmlDocPtr bp_render_expand(xmlDocPtr metrics, const char *template_path,
			   bp_err *err)
{
	return bp_render_expand_limited(metrics, template_path,
					&bp_render_default_limits, err);
}

xmlDocPtr bp_render_expand_limited(xmlDocPtr metrics, const char *template_path,
				   const bp_render_limits *limits, bp_err *err)
{
	xmlGenericErrorFunc saved_fn = xmlGenericError;
	void *saved_data = xmlGenericErrorContext;
	xmlDocPtr tpl = NULL, out = NULL;
	xmlNodePtr holder, root;
	char *tdir;
	ctx c;

	char *labels;

	xmlSetGenericErrorFunc(&c, generic_error);
	ctx_init(&c, metrics, limits, err);
	tpl = parse_template(template_path, BP_ENOINPUT, err);
	if (!tpl)
		goto fail;
	c.file = template_path;
	/* the words live beside the template: <folder>/labels/<language>.xml */
	tdir = dir_of(template_path);
	labels = bp_xasprintf("%s/labels", tdir);
	free(tdir);
	c.labels = bp_labels_load(labels, c.language, err);
	free(labels);
	if (!c.labels)
		goto fail;
	out = xmlNewDoc(BAD_CAST "1.0");
	out->URL = xmlStrdup(BAD_CAST template_path);
	/* a scratch parent, because the root may repeat or vanish (bp:if) */
	holder = xmlNewDocNode(out, NULL, BAD_CAST "holder", NULL);
	xmlDocSetRootElement(out, holder);
	if (expand_node(&c, xmlDocGetRootElement(tpl), holder,
			(xmlNodePtr)metrics) < 0)
		goto fail;
	for (root = holder->children; root && root->type != XML_ELEMENT_NODE;)
		root = root->next;
	if (!root || root->next) {
		cfail(&c, xmlDocGetRootElement(tpl),
		      "template must expand to exactly one root element");
		goto fail;
	}
	xmlUnlinkNode(root);
	xmlDocSetRootElement(out, root);
	xmlReconciliateNs(out, root);
	xmlFreeNode(holder);
	goto done;
fail:
	xmlFreeDoc(out);
	out = NULL;
done:
	xmlFreeDoc(tpl);
	ctx_free(&c);
	xmlSetGenericErrorFunc(saved_data, saved_fn);
	return out;
}

/* Turns every <drawing> into an inline <svg>, children moved into the SVG
 * namespace; the shapes need no other change (the vocabularies match).
 * An output <drawing> never declares a default namespace of its own (the
 * expansion declares only the prefixes its attributes use), so declaring
 * SVG's cannot fail. */
static void drawings_to_svg(xmlNodePtr n)
{
	xmlNodePtr ch;
	xmlNsPtr ns;
	xmlChar *w, *h;
	char vb[128];

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns || !xmlStrEqual(n->name, BAD_CAST "drawing")) {
			drawings_to_svg(n->children);
			continue;
		}
		ns = xmlNewNs(n, BAD_CAST SVG_NS, NULL);
		xmlNodeSetName(n, BAD_CAST "svg");
		xmlSetNs(n, ns);
		w = xmlGetProp(n, BAD_CAST "width");
		h = xmlGetProp(n, BAD_CAST "height");
		snprintf(vb, sizeof(vb), "0 0 %s %s", w ? (char *)w : "0",
			 h ? (char *)h : "0");
		xmlFree(w);
		xmlFree(h);
		xmlSetProp(n, BAD_CAST "viewBox", BAD_CAST vb);
		xmlSetProp(n, BAD_CAST "role", BAD_CAST "img");
		for (ch = n->children; ch; ch = ch->next)
			if (ch->type == XML_ELEMENT_NODE)
				xmlSetNs(ch, ns);
	}
}

char *bp_render_html_buffer(xmlDocPtr metrics, const char *template_path,
			    size_t *len, bp_err *err)
{
	static const char doctype[] = "<!DOCTYPE html>\n";
	xmlDocPtr doc = bp_render_expand(metrics, template_path, err);
	xmlBufferPtr buf;
	xmlSaveCtxtPtr save;
	char *out = NULL;
	size_t n;
	int saved;

	if (!doc)
		return NULL;
	buf = xmlBufferCreate();
	drawings_to_svg(xmlDocGetRootElement(doc));
	/* XHTML rules: void elements as <br />, empty others as <p></p>, so
	 * the file reads the same to an HTML parser and to an XML one */
	save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL | XML_SAVE_XHTML);
	saved = xmlSaveDoc(save, doc);
	if (xmlSaveClose(save) < 0 || saved < 0) {
		bp_err_at(err, BP_ESOFTWARE, template_path, 0, 0,
			  "libxml2 cannot serialise the html expanded from "
			  "this template");
		goto done;
	}
	n = (size_t)xmlBufferLength(buf);
	out = bp_xmalloc(sizeof(doctype) + n);
	memcpy(out, doctype, sizeof(doctype) - 1);
	memcpy(out + sizeof(doctype) - 1, xmlBufferContent(buf), n);
	out[sizeof(doctype) - 1 + n] = '\0';
	if (len)
		*len = sizeof(doctype) - 1 + n;
done:
	xmlBufferFree(buf);
	xmlFreeDoc(doc);
	return out;
}

/* Writes data to path through a temporary file in the same folder. */
int bp_render_html(xmlDocPtr metrics, const char *template_path,
		   const char *out_path, bp_err *err)
{
	size_t len = 0;
	char *html = bp_render_html_buffer(metrics, template_path, &len, err);
	int rc;

	if (!html)
		return -1;
	rc = bp_fs_write_file(out_path, html, len, 0644, err);
	free(html);
	return rc;
}

xmlDocPtr bp_render_load_metrics(const char *path, bp_err *err)
{
	xmlParserCtxtPtr pc;
	xmlDocPtr doc;
	xmlErrorPtr e;

	if (access(path, R_OK) != 0)
		return bp_err_at(err, BP_ENOINPUT, path, 0, 0, "cannot read: %s",
				 strerror(errno)), NULL;
	pc = xmlNewParserCtxt();
	doc = xmlCtxtReadFile(pc, path, NULL,
			      XML_PARSE_NONET | XML_PARSE_NOERROR |
			      XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES);
	if (!doc) {
		e = xmlCtxtGetLastError(pc);
		bp_err_at(err, BP_EDATA, path, e ? e->line : 0, e ? e->int2 : 0,
			  "metrics file is not well-formed xml");
	}
	xmlFreeParserCtxt(pc);
	return doc;
}

static int readable(const char *dir, const char *name)
{
	char *probe = bp_xasprintf("%s/%s", dir, name);
	int ok = access(probe, R_OK) == 0;

	free(probe);
	return ok;
}

/* 1 when `dir` holds templates (a report.html). */
static int has_report(const char *dir)
{
	return dir && *dir && readable(dir, "report.html");
}

/* Which words `dir` has for `lang`: 2 its own (labels/<lang>.xml, or the
 * base language's for a regional one), 1 English only, 0 none. */
static int has_labels(const char *dir, const char *lang)
{
	char *own = bp_xasprintf("labels/%s.xml", lang);
	char *base = bp_xasprintf("labels/%.*s.xml", (int)strcspn(lang, "-_"),
				  lang);
	int r = readable(dir, own) || readable(dir, base) ? 2
		: readable(dir, "labels/en.xml") ? 1 : 0;

	free(own);
	free(base);
	return r;
}

/* Fills bases[] with the candidate folders, in search order (caller
 * frees each). */
static int template_bases(const char *config_templates, const char *exe_path,
			  char *bases[5])
{
	const char *env = getenv("BOARDPACK_TEMPLATES");
	char *dir;
	int n = 0;

	if (config_templates && *config_templates)
		bases[n++] = bp_xstrdup(config_templates);
	if (env && *env)
		bases[n++] = bp_xstrdup(env);
	if (exe_path && strchr(exe_path, '/')) {
		dir = dir_of(exe_path);
		bases[n++] = bp_xasprintf("%s/../templates", dir);
		bases[n++] = bp_xasprintf("%s/../share/boardpack/templates", dir);
		free(dir);
	}
	bases[n++] = bp_xstrdup(BP_PREFIX "/share/boardpack/templates");
	return n;
}

int bp_render_template_dir(const char *config_templates, const char *language,
			   const char *exe_path, char *out, size_t size,
			   bp_err *err)
{
	char *bases[5];
	const char *lang = language && *language ? language : "en";
	char tried[900] = "";
	int n, i, want, rc = -1;

	n = template_bases(config_templates, exe_path, bases);
	/* the first folder with the language's words, else the first with
	 * English ones */
	for (want = 2; want >= 1; want--) {
		for (i = 0; i < n; i++) {
			if (!has_report(bases[i]) || has_labels(bases[i], lang) < want)
				continue;
			if ((size_t)snprintf(out, size, "%s", bases[i]) >= size)
				bp_err_set(err, BP_ENOINPUT, "template folder "
					   "'%s' is too long a path", bases[i]);
			else
				rc = want == 2 ? 0 : 1;
			goto done;
		}
	}
	for (i = 0; i < n; i++)
		snprintf(tried + strlen(tried), sizeof(tried) - strlen(tried),
			 "%s%s", i ? ", " : "", bases[i]);
	bp_err_set(err, BP_ENOINPUT,
		   "no templates for language '%s' (looked in %s)", lang, tried);
done:
	for (i = 0; i < n; i++)
		free(bases[i]);
	return rc;
}

int bp_render_find_templates(const char *templates, const char *language,
			     const char *config_path, char **dir,
			     int *fell_back, bp_err *err)
{
	const char *lang = language && *language ? language : "en";
	char exe[4096], found[4096];
	char *sub;
	ssize_t n;
	int rc, words;

	*fell_back = 0;
	*dir = NULL;
	if (templates) {
		/* the folder itself, or its subfolder for the language */
		sub = bp_fs_join(templates, lang);
		*dir = bp_xstrdup(has_report(templates) || !has_report(sub)
				  ? templates : sub);
		free(sub);
		if (!has_report(*dir)) {
			rc = bp_err_at(err, BP_ECONFIG, config_path, 0, 0, "template "
				       "folder '%s' has no report.html (nor %s/report.html)",
				       templates, lang);
			goto refused;
		}
		words = has_labels(*dir, lang);
		if (!words) {
			rc = bp_err_at(err, BP_ECONFIG, config_path, 0, 0, "template "
				       "folder '%s' has no labels/%s.xml nor labels/en.xml",
				       *dir, lang);
			goto refused;
		}
		*fell_back = words == 1 && strcmp(lang, "en") != 0;
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	rc = bp_render_template_dir(NULL, lang, n > 0 ? exe : NULL, found,
				    sizeof(found), err);
	if (rc < 0)
		return -1;
	*fell_back = rc == 1 && strcmp(lang, "en") != 0;
	*dir = bp_xstrdup(found);
	return 0;
refused:
	free(*dir);
	*dir = NULL;
	return rc;
}
