/*
 * config.c - loading, validating and resolving the config file.
 *
 * Three steps over one libxml2 tree.  The RELAX NG schema
 * (config_schema.c) decides whether the file has the right shape.  When it
 * does not, a table of the same elements and attributes explains the first
 * fault in plain words, because libxml2's own messages ("Element contacts
 * failed to validate attributes") do not say which attribute or what was
 * expected.  Then the tree becomes a bp_config: the checks a schema cannot
 * express (presets, channel references, time zones, URL schemes, duplicate
 * ids) are made with the line they are about, and every default is filled
 * in, so no other module needs to know one.
 *
 * libxml2 reports through a structured error handler installed only for
 * the duration of bp_config_load() (and restored after), so it never
 * prints.
 */
#include "config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlregexp.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "conn.h"
#include "funnel.h"
#include "ingest.h"
#include "mem.h"
#include "metric.h"

#define NS "urn:boardpack:config:1"

#define DEF_TIMEOUT 300
#define DEF_MAX_BYTES (2LL * 1024 * 1024 * 1024)
#define DEF_RETRIES 4
#define DEF_MAIL_MAX_BYTES (10LL * 1000 * 1000)

#if LIBXML_VERSION >= 21200
typedef const xmlError *xerr_arg;
#else
typedef xmlErrorPtr xerr_arg;
#endif

/* ------------------------------------------------------------------ */
/* Fixed tables                                                       */

/* METRICS.md's channel table: HubSpot's original sources. */
static const struct defchan {
	const char *id, *label, *group;
	const char *matches[4]; /* HubSpot API values and export labels */
	const char *ga4;        /* GA4 default channel group, or NULL */
} defchans[] = {
	{ "organic_search", "Organic search", "Inbound",
	  { "ORGANIC_SEARCH", "Organic search", NULL }, "Organic Search" },
	{ "paid_search", "Paid search", "Paid",
	  { "PAID_SEARCH", "Paid search", NULL }, "Paid Search" },
	{ "paid_social", "Paid social", "Paid",
	  { "PAID_SOCIAL", "Paid social", NULL }, "Paid Social" },
	{ "organic_social", "Organic social", "Inbound",
	  { "SOCIAL_MEDIA", "Social media", "Organic social", NULL },
	  "Organic Social" },
	{ "email_marketing", "Email marketing", "Inbound",
	  { "EMAIL_MARKETING", "Email marketing", NULL }, "Email" },
	{ "referrals", "Referrals", "Inbound",
	  { "REFERRALS", "Referrals", NULL }, "Referral" },
	{ "direct_traffic", "Direct traffic", "Inbound",
	  { "DIRECT_TRAFFIC", "Direct traffic", NULL }, "Direct" },
	{ "offline", "Offline sources", "Outbound",
	  { "OFFLINE", "Offline sources", NULL }, NULL },
	{ "other_campaigns", "Other campaigns", "Other",
	  { "OTHER_CAMPAIGNS", "Other campaigns", NULL }, NULL },
	{ "other", "Other", "Other", { NULL }, NULL },
};
#define N_DEFCHANS (sizeof(defchans) / sizeof(defchans[0]))

static const char *const kind_names[BP_SRC_NKINDS] = {
	[BP_SRC_CONTACTS] = "contacts",
	[BP_SRC_DEALS] = "deals",
	[BP_SRC_SPEND] = "spend",
	[BP_SRC_TRAFFIC] = "traffic",
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

/* A copy of s without surrounding blanks. */
static char *trimmed(const char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return bp_xstrndup(s, n);
}

static int is_name(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, name) == 0;
}

static xmlNode *first_child(const xmlNode *parent, const char *name)
{
	xmlNode *c;

	for (c = parent ? parent->children : NULL; c; c = c->next)
		if (is_name(c, name))
			return c;
	return NULL;
}

static size_t count_children(const xmlNode *parent, const char *name)
{
	size_t k = 0;
	xmlNode *c;

	for (c = parent ? parent->children : NULL; c; c = c->next)
		k += is_name(c, name);
	return k;
}

static int is_int_text(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return 0;
	while (isdigit((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* xsd:decimal's lexical form: [+-]?(d+(.d*)?|.d+). */
static int is_decimal(const char *s)
{
	int digits = 0;

	if (*s == '+' || *s == '-')
		s++;
	for (; isdigit((unsigned char)*s); s++)
		digits++;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			digits++;
	return digits && *s == '\0';
}

/* A decimal as a double, without strtod(): the locale must not matter. */
static double decimal_value(const char *s)
{
	double v = 0, scale = 1;
	int neg = *s == '-';

	if (*s == '+' || *s == '-')
		s++;
	for (; isdigit((unsigned char)*s); s++)
		v = v * 10 + (*s - '0');
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			v += (*s - '0') * (scale /= 10);
	return neg ? -v : v;
}

/* A decimal as money (1/10000 units, rounded half away from zero).
 * Returns -1 when it is beyond BP_MONEY_MAX, the bound of an amount in an
 * export too. */
static int decimal_money(const char *s, bp_money *out)
{
	int64_t v = 0, scale = BP_MONEY_SCALE;
	int neg = *s == '-';

	if (*s == '+' || *s == '-')
		s++;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > BP_MONEY_MAX / BP_MONEY_SCALE)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v > BP_MONEY_MAX / BP_MONEY_SCALE)
		return -1;
	v *= BP_MONEY_SCALE;
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s) && scale > 1; s++)
			v += (*s - '0') * (scale /= 10);
		if (isdigit((unsigned char)*s) && *s >= '5')
			v++;
	}
	if (v > BP_MONEY_MAX)
		return -1;
	*out = neg ? -v : v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lines                                                              */

/* The config file's bytes, kept to point at the right line: libxml2
 * gives an element the line on which its start tag ends, and nothing
 * for attributes, but a tag like DESIGN.md's <contacts> spans lines. */
struct text {
	const char *buf;
	size_t len;
};

static size_t line_offset(const struct text *t, long line)
{
	size_t i = 0;

	for (; line > 1 && i < t->len; i++)
		if (t->buf[i] == '\n')
			line--;
	return i;
}

static long lines_between(const struct text *t, size_t from, size_t to)
{
	long k = 0;

	for (; from < to && from < t->len; from++)
		k += t->buf[from] == '\n';
	return k;
}

static int name_at(const struct text *t, size_t p, const char *name,
		   const char *ends)
{
	size_t n = strlen(name);

	return p + n < t->len && memcmp(t->buf + p, name, n) == 0 &&
	       strchr(ends, t->buf[p + n]) && t->buf[p + n];
}

/* Where the start tag of `n` begins: its line, and its offset in *off
 * (t->len when it cannot be found). */
static long tag_start(const struct text *t, const xmlNode *n, size_t *off)
{
	long line = xmlGetLineNo(n);
	size_t start = line_offset(t, line), p = line_offset(t, line + 1);

	*off = t->len;
	if (line <= 0 || !t->buf)
		return line;
	while (p-- > 0) {
		if (t->buf[p] != '<')
			continue;
		if (n->ns && n->ns->prefix)
			continue; /* the config has no reason to use prefixes */
		if (name_at(t, p + 1, (const char *)n->name, " \t\r\n/>")) {
			*off = p;
			return p >= start ? line : line - lines_between(t, p, start);
		}
	}
	return line;
}

static long node_line(const struct text *t, const xmlNode *n)
{
	size_t off;

	return n ? tag_start(t, n, &off) : 0;
}

/* The line of attribute `attr` in the start tag of `n`, skipping quoted
 * values (they may hold text that looks like an attribute). */
static long attr_line(const struct text *t, const xmlNode *n, const char *attr)
{
	size_t p, q;
	long line = tag_start(t, n, &p);
	char quote;

	if (p >= t->len)
		return line;
	for (p++; p < t->len && !strchr(" \t\r\n/>", t->buf[p]); p++)
		;
	while (p < t->len && t->buf[p] != '>') {
		line += t->buf[p] == '\n';
		if (isspace((unsigned char)t->buf[p]) || t->buf[p] == '/') {
			p++;
			continue;
		}
		if (name_at(t, p, attr, " \t\r\n="))
			return line;
		for (q = p; q < t->len && t->buf[q] != '"' && t->buf[q] != '\''; q++)
			line += t->buf[q] == '\n';
		if (q >= t->len)
			break;
		quote = t->buf[q];
		for (p = q + 1; p < t->len && t->buf[p] != quote; p++)
			line += t->buf[p] == '\n';
		p++;
	}
	return node_line(t, n);
}

/* ------------------------------------------------------------------ */
/* libxml2 errors                                                     */

struct xerr {
	int set;
	long line, col;
	char msg[512];
};

/* Keeps the first error; libxml2's later ones are mostly consequences. */
static void on_xml_error(void *data, xerr_arg e)
{
	struct xerr *x = data;
	size_t n;

	if (!x || x->set || !e || e->level < XML_ERR_ERROR)
		return;
	x->set = 1;
	x->line = e->line;
	x->col = e->domain == XML_FROM_PARSER ? e->int2 : 0;
	snprintf(x->msg, sizeof(x->msg), "%s", e->message ? e->message : "");
	n = strlen(x->msg);
	while (n && isspace((unsigned char)x->msg[n - 1]))
		x->msg[--n] = '\0';
	if (isupper((unsigned char)x->msg[0]) &&
	    islower((unsigned char)x->msg[1]))
		x->msg[0] = (char)tolower((unsigned char)x->msg[0]);
}

static void no_generic_error(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

/* ------------------------------------------------------------------ */
/* Explaining a schema failure                                        */
/*                                                                    */
/* libxml2 says "Element x failed to validate attributes".  To say    */
/* which attribute and what it should hold, the config is walked      */
/* against the schema itself (bp_config_schema): which attributes and */
/* child elements each element has, which are required, what values  */
/* fit.  A value type may carry the words for its expected values as  */
/* a note:expect attribute; the others are put in words from their    */
/* facets.  The schema is the one place an element or attribute is    */
/* written down.                                                      */

#define RNG_NS "http://relaxng.org/ns/structure/1.0"
#define NOTE_NS "urn:boardpack:config-notes:1"

struct ex {
	const char *path;
	bp_err *err;
	const struct text *src;
	xmlDoc *rng;                  /* the schema, as a document */
};

/* What the schema allows inside one element. */
struct shape {
	const xmlNode *attrs[48];     /* <attribute> patterns */
	int attr_required[48];
	size_t n_attrs;
	const char *kids[24];         /* child element names */
	int kid_required[24], kid_repeats[24];
	size_t n_kids;
	const char *one_of[8];        /* a required choice of these */
	size_t n_one_of;
	int text;                     /* holds a value, not elements */
};

static int rng_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns &&
	       !strcmp((const char *)n->ns->href, RNG_NS) &&
	       (!name || !strcmp((const char *)n->name, name));
}

static const char *rng_name(const xmlNode *n)
{
	const xmlAttr *a;

	for (a = n->properties; a; a = a->next)
		if (!a->ns && !strcmp((const char *)a->name, "name") &&
		    a->children && a->children->content)
			return (const char *)a->children->content;
	return "";
}

/* The schema note `name` on n, or NULL. */
static const char *rng_note(const xmlNode *n, const char *name)
{
	const xmlAttr *a;

	for (a = n ? n->properties : NULL; a; a = a->next)
		if (a->ns && !strcmp((const char *)a->ns->href, NOTE_NS) &&
		    !strcmp((const char *)a->name, name) && a->children)
			return (const char *)a->children->content;
	return NULL;
}

static const xmlNode *rng_first(const xmlNode *n)
{
	const xmlNode *c;

	for (c = n ? n->children : NULL; c; c = c->next)
		if (rng_is(c, NULL))
			return c;
	return NULL;
}

static const xmlNode *rng_define(const struct ex *x, const char *name)
{
	const xmlNode *c;

	for (c = rng_first(xmlDocGetRootElement(x->rng)); c; c = c->next)
		if (rng_is(c, "define") && !strcmp(rng_name(c), name))
			return c;
	return NULL;
}

/* The <element> pattern named `name` anywhere in the schema. */
static const xmlNode *rng_element(const xmlNode *n, const char *name)
{
	const xmlNode *c, *hit;

	for (c = n; c; c = c->next) {
		if (!rng_is(c, NULL))
			continue;
		if (rng_is(c, "element") && !strcmp(rng_name(c), name))
			return c;
		if ((hit = rng_element(c->children, name)))
			return hit;
	}
	return NULL;
}

/* Collects what a content pattern allows, following refs, not entering
 * child elements.  `optional` and `repeats` say what the patterns around
 * it make of what it holds. */
static void walk(const struct ex *x, const xmlNode *pat, int optional,
		 int repeats, struct shape *sh, int depth)
{
	const xmlNode *c;

	for (c = pat ? pat->children : NULL; c && depth < 16; c = c->next) {
		if (!rng_is(c, NULL))
			continue;
		if (rng_is(c, "attribute") && sh->n_attrs < 48) {
			sh->attr_required[sh->n_attrs] = !optional;
			sh->attrs[sh->n_attrs++] = c;
		} else if (rng_is(c, "element") && sh->n_kids < 24) {
			sh->kid_required[sh->n_kids] = !optional;
			sh->kid_repeats[sh->n_kids] = repeats;
			sh->kids[sh->n_kids++] = rng_name(c);
		} else if (rng_is(c, "ref")) {
			const xmlNode *d = rng_define(x, rng_name(c));
			const xmlNode *first = rng_first(d);

			if (first && (rng_is(first, "data") || rng_is(first, "value") ||
				      rng_is(first, "text")))
				sh->text = 1;
			else
				walk(x, d, optional, repeats, sh, depth + 1);
		} else if (rng_is(c, "data") || rng_is(c, "text") ||
			   rng_is(c, "value")) {
			sh->text = 1;
		} else if (rng_is(c, "oneOrMore") && !optional &&
			   rng_is(rng_first(c), "choice")) {
			/* "one or more of these": each is optional, the
			 * group is not. */
			struct shape group = { 0 };
			size_t k;

			walk(x, rng_first(c), 1, 1, &group, depth + 1);
			for (k = 0; k < group.n_kids && sh->n_one_of < 8; k++)
				sh->one_of[sh->n_one_of++] = group.kids[k];
			walk(x, rng_first(c), 1, 1, sh, depth + 1);
		} else {
			int opt = optional || rng_is(c, "optional") ||
				  rng_is(c, "zeroOrMore") || rng_is(c, "choice");
			int rep = repeats || rng_is(c, "zeroOrMore") ||
				  rng_is(c, "oneOrMore");

			walk(x, c, opt, rep, sh, depth + 1);
		}
	}
}

static void shape_of(const struct ex *x, const char *element, struct shape *sh)
{
	memset(sh, 0, sizeof(*sh));
	walk(x, rng_element(xmlDocGetRootElement(x->rng), element), 0, 0, sh, 0);
}

/* The value pattern of an <attribute> (or a define's), following a ref;
 * *note gets the nearest note:expect on the way. */
static const xmlNode *value_pattern(const struct ex *x, const xmlNode *attr,
				    const char **note)
{
	const xmlNode *p = rng_first(attr);

	*note = rng_note(attr, "expect");
	if (rng_is(p, "ref")) {
		const xmlNode *d = rng_define(x, rng_name(p));

		if (!*note)
			*note = rng_note(d, "expect");
		p = rng_first(d);
	}
	return p;
}

/* The text of <param name="name"> of a <data> pattern, or NULL. */
static const char *param(const xmlNode *data, const char *name)
{
	const xmlNode *c;

	for (c = rng_first(data); c; c = c->next)
		if (rng_is(c, "param") && !strcmp(rng_name(c), name) &&
		    c->children)
			return (const char *)c->children->content;
	return NULL;
}

static const char *data_type(const xmlNode *data)
{
	const xmlAttr *a;

	for (a = data->properties; a; a = a->next)
		if (!strcmp((const char *)a->name, "type") && a->children)
			return (const char *)a->children->content;
	return "";
}

/* "a, b, c" of a <choice> of <value>s. */
static void join_values(const xmlNode *choice, char *buf, size_t size)
{
	const xmlNode *c;
	size_t o = 0;

	buf[0] = '\0';
	for (c = rng_first(choice); c && o < size; c = c->next)
		if (rng_is(c, "value") && c->children)
			o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "",
					      (const char *)c->children->content);
}

/* What the attribute's values look like, for "expected ...". */
static void expected(const struct ex *x, const xmlNode *attr, char *buf,
		     size_t size)
{
	const char *note, *lo, *hi;
	const xmlNode *p = value_pattern(x, attr, &note);
	const char *t = rng_is(p, "data") ? data_type(p) : "";
	char list[200];

	if (note) {
		snprintf(buf, size, "%s", note);
	} else if (rng_is(p, "choice")) {
		join_values(p, list, sizeof(list));
		snprintf(buf, size, "one of %s", list);
	} else if (!strcmp(t, "boolean")) {
		snprintf(buf, size, "true or false");
	} else if (!strcmp(t, "integer") || !strcmp(t, "long")) {
		lo = param(p, "minInclusive");
		hi = param(p, "maxInclusive");
		if (lo && hi)
			snprintf(buf, size, "an integer from %s to %s", lo, hi);
		else
			snprintf(buf, size, "a whole number of at least %s", lo ? lo : "0");
	} else {
		snprintf(buf, size, "a non-empty value");
	}
}

/* XML Schema's own regular expressions, as RELAX NG applies them. */
static int pattern_ok(const char *pattern, const char *v)
{
	xmlRegexpPtr re = xmlRegexpCompile(BAD_CAST pattern);
	int ok = re && xmlRegexpExec(re, BAD_CAST v) == 1;

	xmlRegFreeRegexp(re);
	return ok;
}

static int number_ok(const xmlNode *data, const char *v)
{
	const char *t = data_type(data), *b;
	int integer = !strcmp(t, "integer") || !strcmp(t, "long");
	double d;

	if (integer ? !is_int_text(v) : !is_decimal(v))
		return 0;
	d = decimal_value(v);
	if (integer && strlen(v) > 18)
		return 0;
	return (!(b = param(data, "minInclusive")) || d >= decimal_value(b)) &&
	       (!(b = param(data, "maxInclusive")) || d <= decimal_value(b)) &&
	       (!(b = param(data, "minExclusive")) || d > decimal_value(b)) &&
	       (!(b = param(data, "maxExclusive")) || d < decimal_value(b));
}

static int value_ok(const struct ex *x, const xmlNode *attr, const char *v)
{
	const char *note, *t, *min, *pat;
	const xmlNode *p = value_pattern(x, attr, &note), *c;

	if (rng_is(p, "choice")) {
		for (c = rng_first(p); c; c = c->next)
			if (rng_is(c, "value") && c->children &&
			    !strcmp((const char *)c->children->content, v))
				return 1;
		return 0;
	}
	if (!rng_is(p, "data"))
		return 1;
	t = data_type(p);
	if (!strcmp(t, "boolean"))
		return !strcmp(v, "true") || !strcmp(v, "false") ||
		       !strcmp(v, "1") || !strcmp(v, "0");
	if (!strcmp(t, "integer") || !strcmp(t, "long") || !strcmp(t, "decimal"))
		return number_ok(p, v);
	min = param(p, "minLength");
	pat = param(p, "pattern");
	return (!min || strlen(v) >= (size_t)atoi(min)) && (!pat || pattern_ok(pat, v));
}

/* Whether a value is "a non-empty value" and nothing more. */
static int plain_text(const struct ex *x, const xmlNode *attr)
{
	const char *note;
	const xmlNode *p = value_pattern(x, attr, &note);

	return !note && rng_is(p, "data") && !param(p, "pattern") &&
	       !strcmp(data_type(p), "token");
}

/* Sets `err` about element `n`, or its attribute `attr` when not NULL. */
static int vfail(bp_err *err, const char *path, const struct text *src,
		 const xmlNode *n, const char *attr, const char *fmt,
		 va_list ap)
{
	char msg[sizeof(err->msg)];
	long line = attr ? attr_line(src, n, attr) : node_line(src, n);

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return bp_err_at(err, BP_ECONFIG, path, line, 0, "%s", msg);
}

static int ex_fail(const struct ex *x, const xmlNode *n, const char *attr,
		   const char *fmt, ...) BP_PRINTF(4, 5);

static int ex_fail(const struct ex *x, const xmlNode *n, const char *attr,
		   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(x->err, x->path, x->src, n, attr, fmt, ap);
	va_end(ap);
	return rc;
}

static int ex_attr(const struct ex *x, const xmlNode *n, const struct shape *sh,
		   const xmlAttr *attr)
{
	const xmlNode *a = NULL;
	char want[256], *raw, *v;
	size_t k;
	int ok;

	for (k = 0; !attr->ns && k < sh->n_attrs; k++)
		if (!strcmp(rng_name(sh->attrs[k]), (const char *)attr->name))
			a = sh->attrs[k];
	if (!a)
		return ex_fail(x, n, (const char *)attr->name,
			       "element '%s': unknown attribute '%s%s%s'", n->name,
			       attr->ns && attr->ns->prefix ? (const char *)attr->ns->prefix : "",
			       attr->ns && attr->ns->prefix ? ":" : "", attr->name);
	raw = (char *)xmlNodeListGetString(n->doc, attr->children, 1);
	v = trimmed(raw ? raw : "");
	xmlFree(raw);
	ok = value_ok(x, a, v);
	expected(x, a, want, sizeof(want));
	if (!ok && plain_text(x, a))
		ex_fail(x, n, (const char *)attr->name, "element '%s': attribute '%s' "
			"must not be empty", n->name, attr->name);
	else if (!ok)
		ex_fail(x, n, (const char *)attr->name, "invalid value '%s' for "
			"attribute '%s': expected %s", v, attr->name, want);
	free(v);
	return ok ? 0 : -1;
}

static int ex_attrs(const struct ex *x, const xmlNode *n, const struct shape *sh)
{
	const xmlAttr *attr;
	size_t k;

	for (attr = n->properties; attr; attr = attr->next)
		if (ex_attr(x, n, sh, attr) < 0)
			return -1;
	for (k = 0; k < sh->n_attrs; k++)
		if (sh->attr_required[k] &&
		    !xmlHasNsProp(n, BAD_CAST rng_name(sh->attrs[k]), NULL))
			return ex_fail(x, n, NULL, "element '%s': attribute '%s' is "
				       "required", n->name, rng_name(sh->attrs[k]));
	return 0;
}

static int has_text(const xmlNode *n)
{
	const xmlNode *c;
	const xmlChar *p;

	for (c = n->children; c; c = c->next) {
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		for (p = c->content; p && *p; p++)
			if (!isspace(*p))
				return 1;
	}
	return 0;
}

/* "a, b, c" of names. */
static void join_names(const char *const *names, size_t n, char *buf,
		       size_t size)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "",
				      names[i]);
}

static int ex_elem(const struct ex *x, const xmlNode *n);

static int ex_child(const struct ex *x, const xmlNode *n, const struct shape *sh,
		    const xmlNode *c)
{
	char list[256];
	const xmlNode *prev;
	size_t k;

	if (!c->ns || strcmp((const char *)c->ns->href, NS) != 0)
		return ex_fail(x, c, NULL, "element '%s' is not in namespace '%s'",
			       c->name, NS);
	for (k = 0; k < sh->n_kids; k++)
		if (!strcmp(sh->kids[k], (const char *)c->name))
			break;
	if (k == sh->n_kids) {
		if (!sh->n_kids)
			return ex_fail(x, c, NULL, "element '%s' must not contain "
				       "elements (found '%s')", n->name, c->name);
		join_names(sh->kids, sh->n_kids, list, sizeof(list));
		return ex_fail(x, c, NULL, "unexpected element '%s' in '%s': "
			       "expected one of %s", c->name, n->name, list);
	}
	for (prev = n->children; !sh->kid_repeats[k] && prev != c; prev = prev->next)
		if (is_name(prev, (const char *)c->name))
			return ex_fail(x, c, NULL, "element '%s' appears twice in '%s' "
				       "(first at line %ld)", c->name, n->name,
				       node_line(x->src, prev));
	return ex_elem(x, c);
}

static int ex_elem(const struct ex *x, const xmlNode *n)
{
	char list[256];
	struct shape sh;
	const xmlNode *c;
	size_t k;

	shape_of(x, (const char *)n->name, &sh);
	if (ex_attrs(x, n, &sh) < 0)
		return -1;
	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && ex_child(x, n, &sh, c) < 0)
			return -1;
	if (sh.text && !has_text(n))
		return ex_fail(x, n, NULL, "element '%s' must not be empty", n->name);
	if (!sh.text && has_text(n))
		return ex_fail(x, n, NULL, "element '%s' must not contain text", n->name);
	for (k = 0; k < sh.n_kids; k++)
		if (sh.kid_required[k] && !first_child(n, sh.kids[k]))
			return ex_fail(x, n, NULL, "element '%s' needs a <%s> element",
				       n->name, sh.kids[k]);
	if (sh.n_one_of && !xmlFirstElementChild((xmlNode *)n)) {
		join_names(sh.one_of, sh.n_one_of, list, sizeof(list));
		return ex_fail(x, n, NULL, "element '%s' needs at least one of %s",
			       n->name, list);
	}
	return 0;
}

/* Sets `err` from the first fault the schema walk finds, or else from
 * what libxml2 said.  Always returns -1. */
static int explain(xmlDoc *doc, const char *path, const struct text *src,
		   const struct xerr *xe, bp_err *err)
{
	struct ex x = { path, err, src, NULL };
	xmlNode *root = xmlDocGetRootElement(doc);
	int rc;

	if (!is_name(root, "boardpack"))
		return ex_fail(&x, root, NULL, "root element is '%s': expected 'boardpack'",
			       root->name);
	if (!root->ns || strcmp((const char *)root->ns->href, NS) != 0)
		return ex_fail(&x, root, NULL, "root element 'boardpack' is not in namespace '%s': write <boardpack xmlns=\"%s\">",
			       NS, NS);
	x.rng = xmlReadMemory(bp_config_schema, (int)strlen(bp_config_schema),
			      "schema.rng", NULL, XML_PARSE_NONET);
	rc = x.rng ? ex_elem(&x, root) : 0;
	xmlFreeDoc(x.rng);
	if (rc < 0)
		return -1;
	return bp_err_at(err, BP_ECONFIG, path, xe->line, 0, "%s",
			 xe->msg[0] ? xe->msg : "does not match the config schema");
}

/* 0 when `doc` matches the schema; -1 with `err` set otherwise. */
static int validate(xmlDoc *doc, const char *path, const struct text *src,
		    bp_err *err)
{
	xmlRelaxNGParserCtxtPtr pc = NULL;
	xmlRelaxNGPtr rng = NULL;
	xmlRelaxNGValidCtxtPtr vc = NULL;
	struct xerr xe = { 0 };
	int rc = -1;

	pc = xmlRelaxNGNewMemParserCtxt(bp_config_schema,
					(int)strlen(bp_config_schema));
	xmlRelaxNGSetParserStructuredErrors(pc, on_xml_error, &xe);
	rng = xmlRelaxNGParse(pc);
	if (rng)
		vc = xmlRelaxNGNewValidCtxt(rng);
	if (!vc) {
		bp_err_set(err, BP_ESOFTWARE, "internal error: the config schema does not load: %s",
			   xe.msg[0] ? xe.msg : "no details");
		goto out;
	}
	xmlRelaxNGSetValidStructuredErrors(vc, on_xml_error, &xe);
	if (xmlRelaxNGValidateDoc(vc, doc) == 0)
		rc = 0;
	else
		explain(doc, path, src, &xe, err);
out:
	xmlRelaxNGFreeValidCtxt(vc);
	xmlRelaxNGFree(rng);
	xmlRelaxNGFreeParserCtxt(pc);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Building the config                                                */

struct ld {
	const char *path;
	bp_err *err;
	const struct text *src;
	bp_config *cfg;
};

static int fail(struct ld *ld, const xmlNode *n, const char *attr,
		const char *fmt, ...) BP_PRINTF(4, 5);

static int fail(struct ld *ld, const xmlNode *n, const char *attr,
		const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(ld->err, ld->path, ld->src, n, attr, fmt, ap);
	va_end(ap);
	return rc;
}

/* The attribute's value without surrounding blanks, or NULL when absent.
 * The caller frees. */
static char *prop(struct ld *ld, const xmlNode *n, const char *name)
{
	xmlChar *raw = n ? xmlGetNoNsProp(n, BAD_CAST name) : NULL;
	char *v;

	(void)ld;
	if (!raw)
		return NULL;
	v = trimmed((const char *)raw);
	xmlFree(raw);
	return v;
}

static char *prop_or(struct ld *ld, const xmlNode *n, const char *name,
		     const char *def)
{
	char *v = prop(ld, n, name);

	return v ? v : bp_xstrdup(def);
}

static long long int_prop(struct ld *ld, const xmlNode *n, const char *name,
			  long long def)
{
	char *v = prop(ld, n, name);
	long long r = v ? strtoll(v, NULL, 10) : def;

	free(v);
	return r;
}

static int bool_prop(struct ld *ld, const xmlNode *n, const char *name)
{
	char *v = prop(ld, n, name);
	int r = v && (!strcmp(v, "true") || !strcmp(v, "1"));

	free(v);
	return r;
}

/* The element's text without surrounding blanks; the caller frees. */
static char *text_of(struct ld *ld, const xmlNode *n)
{
	xmlChar *raw = xmlNodeGetContent(n);
	char *v = trimmed(raw ? (const char *)raw : "");

	(void)ld;
	xmlFree(raw);
	return v;
}

static char *join_path(const char *dir, const char *rel)
{
	size_t n = strlen(dir);

	return bp_xasprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", rel);
}

/* `p` made absolute against the config folder; NULL stays NULL. */
static char *abs_path(struct ld *ld, char *p)
{
	const char *rel = p;
	char *r;

	if (!p || p[0] == '/')
		return p;
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	r = join_path(ld->cfg->dir, rel);
	free(p);
	return r;
}

static char *path_prop(struct ld *ld, const xmlNode *n, const char *name)
{
	return abs_path(ld, prop(ld, n, name));
}

/* The absolute folder of the config file; NULL with errno set. */
static char *config_dir(const char *path)
{
	char *copy = bp_xstrdup(path), *slash, *dir;

	slash = strrchr(copy, '/');
	if (slash == copy)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	dir = realpath(slash ? copy : ".", NULL);
	free(copy);
	return dir;
}

/* ------------------------------------------------------------------ */
/* URLs                                                               */

static size_t scheme_len(const char *u)
{
	size_t i = 1;

	if (!isalpha((unsigned char)u[0]))
		return 0;
	while (isalnum((unsigned char)u[i]) || u[i] == '+' || u[i] == '-' ||
	       u[i] == '.')
		i++;
	return u[i] == ':' ? i : 0;
}

/* "file://" + the percent-encoded absolute path `dir`, then "/" + `rest`
 * as it is (already URL text) when not NULL. */
static char *file_url(const char *dir, const char *rest)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(dir), k = 0;
	char *u = bp_xmalloc(7 + 3 * n + 1 + (rest ? strlen(rest) : 0) + 1);
	const unsigned char *p;

	memcpy(u, "file://", 7);
	k = 7;
	for (p = (const unsigned char *)dir; *p; p++) {
		if (isalnum(*p) || strchr("-._~/", *p)) {
			u[k++] = (char)*p;
			continue;
		}
		u[k++] = '%';
		u[k++] = hex[*p >> 4];
		u[k++] = hex[*p & 15];
	}
	if (rest) {
		if (k == 7 || u[k - 1] != '/')
			u[k++] = '/';
		strcpy(u + k, rest);
	} else {
		u[k] = '\0';
	}
	return u;
}

/* A file: URL made absolute: "file:///abs" stays, "file://rel/x.csv" and
 * "file:rel/x.csv" resolve against the config folder. */
static char *resolve_file_url(struct ld *ld, const char *u)
{
	const char *rest = u + 5;

	if (rest[0] == '/' && rest[1] == '/') {
		rest += 2;
		if (!strncasecmp(rest, "localhost/", 10))
			rest += 9;
		if (rest[0] == '/')
			return file_url("", rest + 1);
	} else if (rest[0] == '/') {
		return file_url("", rest + 1);
	}
	while (rest[0] == '.' && rest[1] == '/')
		rest += 2;
	return file_url(ld->cfg->dir, rest);
}

const bp_oauth *bp_config_oauth(const bp_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; cfg && id && i < cfg->n_oauth; i++)
		if (!strcmp(cfg->oauth[i].id, id))
			return &cfg->oauth[i];
	return NULL;
}

char *bp_source_path(const bp_source *src)
{
	const char *p;
	char *out, *o;

	if (!src->url || strncmp(src->url, "file://", 7) != 0)
		return NULL;
	p = src->url + 7;
	out = o = bp_xmalloc(strlen(p) + 1);
	for (; *p; p++) {
		if (p[0] == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], '\0' };

			*o++ = (char)strtol(hex, NULL, 16);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

/* Secrets belong in the environment or a private file: a URL is printed
 * by `boardpack check` and in logs. */
static int has_userinfo(const char *u, size_t scheme)
{
	const char *p = u + scheme + 1;
	size_t n;

	if (strncmp(p, "//", 2) != 0)
		return 0;
	p += 2;
	n = strcspn(p, "/?#");
	return memchr(p, '@', n) != NULL;
}

/* Whether "//HOST" follows the scheme of a network URL.  curl reads
 * "https:/user:pw@host/x" and "https:host/x" as if both slashes were
 * there, so without this a URL could carry a user name and password
 * past has_userinfo, and into messages. */
static int has_host(const char *u, size_t scheme)
{
	const char *p = u + scheme + 1;

	return strncmp(p, "//", 2) == 0 && strcspn(p + 2, "/?#") > 0;
}

/* The URL a source is fetched from.  Returns NULL with `err` set. */
static char *resolve_url(struct ld *ld, const xmlNode *n, const char *u,
			 int insecure)
{
	size_t k = scheme_len(u);
	char *r, *path;

	if (k && has_userinfo(u, k)) {
		fail(ld, n, "url", "element '%s': the url holds a user name or password: use token-env, user-env and password-env instead",
		     n->name);
		return NULL;
	}
	if (k == 0) {
		path = abs_path(ld, bp_xstrdup(u));
		r = path ? file_url(path, NULL) : NULL;
		free(path);
	} else if (k == 4 && !strncasecmp(u, "file", 4)) {
		r = resolve_file_url(ld, u);
	} else if (((k == 5 && !strncasecmp(u, "https", 5)) ||
		    (k == 4 && !strncasecmp(u, "http", 4))) && !has_host(u, k)) {
		fail(ld, n, "url", "element '%s': the url has no host: expected %.*s://HOST/PATH",
		     n->name, (int)k, u);
		return NULL;
	} else if ((k == 5 && !strncasecmp(u, "https", 5)) ||
		   (k == 4 && !strncasecmp(u, "http", 4) && insecure)) {
		r = bp_xstrdup(u);
	} else if (k == 4 && !strncasecmp(u, "http", 4)) {
		fail(ld, n, "url", "element '%s': plain http:// url without insecure-http=\"true\": use https://, or set insecure-http=\"true\" to allow it",
		     n->name);
		return NULL;
	} else {
		fail(ld, n, "url", "element '%s': unsupported url scheme '%.*s': expected https://, file:// or a path (http:// with insecure-http=\"true\")",
		     n->name, (int)k, u);
		return NULL;
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* <report>                                                           */

static int check_tz(struct ld *ld, const xmlNode *n, const char *name)
{
	bp_err e;
	bp_tz *tz;

	bp_err_clear(&e);
	if (!name)
		return 0;
	tz = bp_tz_load(name, &e);
	if (!tz)
		return fail(ld, n, "timezone", "unknown time zone '%s' for attribute 'timezone': expected an IANA name such as 'Asia/Seoul' or 'UTC'",
			    name);
	bp_tz_free(tz);
	return 0;
}

/* report/@funnel; the schema allows only the mode names. */
static int funnel_prop(struct ld *ld, const xmlNode *n)
{
	char *v = prop(ld, n, "funnel");
	int mode;

	for (mode = 0; v && mode < BP_FUNNEL_NMODES; mode++)
		if (!strcmp(v, bp_funnel_mode_name((bp_funnel_mode)mode)))
			break;
	free(v);
	return v && mode < BP_FUNNEL_NMODES ? mode : BP_FUNNEL_CUMULATIVE;
}

static int load_report(struct ld *ld, const xmlNode *root)
{
	bp_config *cfg = ld->cfg;
	const xmlNode *n = first_child(root, "report");
	char *gm = n ? prop(ld, n, "gross-margin") : NULL;

	cfg->title = prop_or(ld, n, "title", "Board funnel");
	cfg->timezone = prop_or(ld, n, "timezone", "UTC");
	cfg->currency = prop_or(ld, n, "currency", "USD");
	cfg->language = prop_or(ld, n, "language", "en");
	cfg->months = (int)int_prop(ld, n, "months", 12);
	cfg->funnel_mode = funnel_prop(ld, n);
	cfg->templates = path_prop(ld, n, "templates");
	cfg->font = path_prop(ld, n, "font");
	cfg->ca_file = path_prop(ld, n, "ca-file");
	if (gm) {
		cfg->gross_margin = decimal_value(gm);
		cfg->has_gross_margin = 1;
		free(gm);
	}
	return check_tz(ld, n, n ? cfg->timezone : NULL);
}

/* ------------------------------------------------------------------ */
/* Channels                                                           */

static const struct defchan *defchan(const char *id)
{
	size_t i;

	for (i = 0; i < N_DEFCHANS; i++)
		if (strcmp(defchans[i].id, id) == 0)
			return &defchans[i];
	return NULL;
}

static void add_channel(struct ld *ld, const char *id, char *label,
			char *group)
{
	const struct defchan *d = defchan(id);
	bp_channel *c = &ld->cfg->channels[ld->cfg->n_channels++];

	c->id = bp_xstrdup(id);
	c->label = label ? label : bp_xstrdup(d ? d->label : id);
	c->group = group ? group : bp_xstrdup(d ? d->group : "Other");
}

static int channel_from_node(struct ld *ld, const xmlNode *n)
{
	char *id = prop(ld, n, "id");
	int rc = 0;
	size_t i;

	assert(id);   /* the schema requires it */
	if (!strcmp(id, "all"))
		rc = fail(ld, n, "id", "channel id 'all' is reserved: it is the total over every channel");
	for (i = 0; rc == 0 && i < ld->cfg->n_channels; i++)
		if (!strcmp(ld->cfg->channels[i].id, id))
			rc = fail(ld, n, "id", "duplicate channel id '%s'", id);
	if (rc == 0)
		add_channel(ld, id, prop(ld, n, "label"), prop(ld, n, "group"));
	free(id);
	return rc;
}

/* `other` goes last whatever its place in the file. */
static void other_last(bp_config *cfg)
{
	size_t i;
	bp_channel o;

	for (i = 0; i + 1 < cfg->n_channels; i++) {
		if (strcmp(cfg->channels[i].id, "other") != 0)
			continue;
		o = cfg->channels[i];
		memmove(&cfg->channels[i], &cfg->channels[i + 1],
			(cfg->n_channels - i - 1) * sizeof(o));
		cfg->channels[cfg->n_channels - 1] = o;
		return;
	}
}

/* A channel of METRICS.md's table that a source or rule names but
 * <channels> does not list is added after the listed ones: a config that
 * lists only the channels it relabels still gets the others it uses
 * (DESIGN.md's example lists paid_search and uses paid_social). */
/* A channel of METRICS.md's defaults that the element names. */
static void add_if_default(struct ld *ld, const xmlNode *n)
{
	xmlChar *id = xmlGetProp(n, BAD_CAST "channel");

	if (id && defchan((const char *)id) &&
	    bp_config_channel(ld->cfg, (const char *)id) < 0)
		add_channel(ld, (const char *)id, NULL, NULL);
	xmlFree(id);
}

static void add_referenced_defaults(struct ld *ld, const xmlNode *root)
{
	const xmlNode *sources = first_child(root, "sources"), *s, *r;
	static const char *const lists[][2] = { { "costs", "cost" },
						{ "targets", "target" } };
	size_t k;

	for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
		for (r = first_child(first_child(root, lists[k][0]), lists[k][1]);
		     r; r = r->next)
			if (is_name(r, lists[k][1]))
				add_if_default(ld, r);
	for (s = sources ? sources->children : NULL; s; s = s->next) {
		if (s->type != XML_ELEMENT_NODE)
			continue;
		for (r = s; r; r = r == s ? s->children : r->next)
			if (r->type == XML_ELEMENT_NODE &&
			    (r == s || is_name(r, "channel-rule")))
				add_if_default(ld, r);
	}
}

static int load_channels(struct ld *ld, const xmlNode *root)
{
	bp_config *cfg = ld->cfg;
	const xmlNode *list = first_child(root, "channels"), *c;
	size_t i, max = (list ? count_children(list, "channel") : 0) + N_DEFCHANS;

	cfg->channels = bp_xcalloc(max, sizeof(*cfg->channels));
	if (!list)
		for (i = 0; i < N_DEFCHANS; i++)
			add_channel(ld, defchans[i].id, NULL, NULL);
	for (c = list ? list->children : NULL; c; c = c->next)
		if (is_name(c, "channel") && channel_from_node(ld, c) < 0)
			return -1;
	if (list)
		add_referenced_defaults(ld, root);
	if (bp_config_channel(cfg, "other") < 0)
		add_channel(ld, "other", NULL, NULL);
	other_last(cfg);
	return 0;
}

/* The index of the channel named by attribute `attr` of `n`, or -1 with
 * `err` set. */
static int channel_ref(struct ld *ld, const xmlNode *n, const char *id)
{
	char list[768];
	size_t i, len = 0;
	int k = bp_config_channel(ld->cfg, id);

	if (k >= 0)
		return k;
	list[0] = '\0';
	for (i = 0; i < ld->cfg->n_channels && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					i ? ", " : "", ld->cfg->channels[i].id);
	return fail(ld, n, "channel", "unknown channel '%s': expected one of %s", id, list);
}

/* A cost's group must be some channel's. */
static int group_ref(struct ld *ld, const xmlNode *n, const char *group)
{
	char list[768];
	size_t i, k, len = 0;

	list[0] = '\0';
	for (i = 0; i < ld->cfg->n_channels; i++) {
		if (!strcmp(ld->cfg->channels[i].group, group))
			return 0;
		for (k = 0; k < i; k++)
			if (!strcmp(ld->cfg->channels[k].group, ld->cfg->channels[i].group))
				break;
		if (k == i && len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						len ? ", " : "", ld->cfg->channels[i].group);
	}
	return fail(ld, n, "group", "unknown group '%s': expected one of %s", group,
		    list);
}

/* ------------------------------------------------------------------ */
/* Sources                                                            */

static int add_rule(struct ld *ld, bp_source *s, const char *match, int ch)
{
	bp_rule *r = &s->rules[s->n_rules];

	(void)ld;
	r->match = bp_xstrdup(match);
	r->channel = ch;
	s->n_rules++;
	return 0;
}

static int rule_from_node(struct ld *ld, bp_source *s, const xmlNode *n)
{
	char *match = prop(ld, n, "match"), *ch = prop(ld, n, "channel");
	int k = -1, rc = -1;

	if ((k = channel_ref(ld, n, ch)) >= 0)
		rc = add_rule(ld, s, match, k);
	free(match);
	free(ch);
	return rc;
}

/* Configured rules in order, then the table's matches of every
 * configured channel the table knows. */
static int load_rules(struct ld *ld, bp_source *s, const xmlNode *n)
{
	const bp_config *cfg = ld->cfg;
	size_t i, max = count_children(n, "channel-rule") + 4 * cfg->n_channels;
	const struct defchan *d;
	const char *const *m;
	const xmlNode *c;

	s->rules = bp_xcalloc(max ? max : 1, sizeof(*s->rules));
	for (c = n->children; c; c = c->next)
		if (is_name(c, "channel-rule") && rule_from_node(ld, s, c) < 0)
			return -1;
	for (i = 0; i < cfg->n_channels; i++) {
		if (!(d = defchan(cfg->channels[i].id)))
			continue;
		if (s->kind == BP_SRC_TRAFFIC && d->ga4 &&
		    add_rule(ld, s, d->ga4, (int)i) < 0)
			return -1;
		for (m = d->matches; s->kind == BP_SRC_CONTACTS && *m; m++)
			if (add_rule(ld, s, *m, (int)i) < 0)
				return -1;
	}
	return 0;
}

static int load_columns(struct ld *ld, bp_source *s, const xmlNode *n)
{
	size_t max = count_children(n, "column");
	const xmlNode *c;
	bp_column *col;

	s->columns = bp_xcalloc(max ? max : 1, sizeof(*s->columns));
	for (c = n->children; c; c = c->next) {
		if (!is_name(c, "column"))
			continue;
		col = &s->columns[s->n_columns++];
		col->field = prop(ld, c, "field");
		col->name = prop(ld, c, "name");
		col->format = prop(ld, c, "format");
	}
	return 0;
}

/* The texts of the children called `name`. */
static char **load_texts(struct ld *ld, const xmlNode *n, const char *name,
			 size_t *count)
{
	char **list = bp_xcalloc(count_children(n, name), sizeof(*list));
	const xmlNode *c;

	*count = 0;
	for (c = n->children; c; c = c->next)
		if (is_name(c, name))
			list[(*count)++] = text_of(ld, c);
	return list;
}

static int load_stages(struct ld *ld, bp_source *s, const xmlNode *n)
{
	s->won_stages = load_texts(ld, n, "won-stage", &s->n_won_stages);
	s->lost_stages = load_texts(ld, n, "lost-stage", &s->n_lost_stages);
	return 0;
}

static int check_preset(struct ld *ld, const xmlNode *n, const bp_source *s)
{
	char list[128];

	if (bp_preset_exists(s->kind, s->preset))
		return 0;
	bp_preset_list(s->kind, list, sizeof(list));
	return fail(ld, n, "preset", "unknown preset '%s' for a %s source: expected one of %s",
		    s->preset, bp_source_kind_name(s->kind), list);
}

/* A <column> must name a field the source's preset has. */
static int check_columns(struct ld *ld, const xmlNode *n, const bp_source *s)
{
	const xmlNode *c;
	size_t k, i;

	for (c = n->children, k = 0; c; c = c->next) {
		char list[512];
		size_t o = 0;
		const char *f;

		if (!is_name(c, "column"))
			continue;
		for (i = 0; (f = bp_preset_field(s->kind, s->preset, i, NULL)); i++)
			if (!strcmp(f, s->columns[k].field))
				break;
		if (f) {
			k++;
			continue;
		}
		for (i = 0; (f = bp_preset_field(s->kind, s->preset, i, NULL)) &&
		     o < sizeof(list); i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
					      i ? ", " : "", f);
		return fail(ld, c, "field", "unknown field '%s' for the %s %s preset: expected one of %s",
			    s->columns[k].field, s->preset,
			    bp_source_kind_name(s->kind), list);
	}
	return 0;
}

static int check_unique_id(struct ld *ld, const xmlNode *n,
			   const bp_source *s)
{
	const bp_source *o;

	for (o = ld->cfg->sources; o < s; o++)
		if (!strcmp(o->id, s->id))
			return fail(ld, n, "id", "duplicate source id '%s' (first used at line %ld): give each source its own id",
				    s->id, o->line);
	return 0;
}

static void source_attrs(struct ld *ld, const xmlNode *n, bp_source *s)
{
	const char *kind = bp_source_kind_name(s->kind);

	s->id = prop_or(ld, n, "id", kind);
	s->preset = prop_or(ld, n, "preset", bp_preset_default(s->kind));
	if (s->kind == BP_SRC_CONTACTS)
		s->pipeline = prop(ld, n, "pipeline");
	s->timezone = prop(ld, n, "timezone");
	s->ca_file = path_prop(ld, n, "ca-file");
	if (!s->ca_file)
		s->ca_file = bp_xstrdup(ld->cfg->ca_file);
	s->token_env = prop(ld, n, "token-env");
	s->token_file = path_prop(ld, n, "token-file");
	s->user_env = prop(ld, n, "user-env");
	s->password_env = prop(ld, n, "password-env");
	s->insecure_http = bool_prop(ld, n, "insecure-http");
	s->timeout_s = (long)int_prop(ld, n, "timeout", DEF_TIMEOUT);
	s->max_bytes = int_prop(ld, n, "max-bytes", DEF_MAX_BYTES);
	s->retries = (int)int_prop(ld, n, "retries", DEF_RETRIES);
	s->connector = prop(ld, n, "connector");
	s->oauth = -1;
	s->pacing = 1;
	if (xmlHasProp(n, BAD_CAST "pacing"))
		s->pacing = bool_prop(ld, n, "pacing");
}

static int source_url(struct ld *ld, const xmlNode *n, bp_source *s)
{
	char *raw = prop(ld, n, "url");

	if (!raw)
		return fail(ld, n, NULL, "element '%s': attribute 'url' or 'connector' is required",
			    n->name);
	s->url = resolve_url(ld, n, raw, s->insecure_http);
	s->url_given = raw;
	return s->url ? 0 : -1;
}

/* Attributes only a connector's source may carry. */
static const char *const conn_only[] = { "account", "api-base", "oauth",
	"pacing", "method", "login-customer-id", "linkedin-version", NULL };

static int url_source(struct ld *ld, const xmlNode *n, bp_source *s)
{
	const char *const *a;

	for (a = conn_only; *a; a++)
		if (xmlHasProp(n, BAD_CAST *a))
			return fail(ld, n, *a, "element '%s': attribute '%s' is for a source with connector=\"...\", not a url",
				    n->name, *a);
	if (s->kind == BP_SRC_SPEND && !xmlHasProp(n, BAD_CAST "preset"))
		return fail(ld, n, NULL, "element 'spend': attribute 'preset' is required");
	return source_url(ld, n, s);
}

/* "https://host[:port]" without a path, user name or query. */
static int check_api_base(struct ld *ld, const xmlNode *n, bp_source *s)
{
	size_t k = scheme_len(s->api_base);
	const char *host = s->api_base + k + 3;
	size_t len = strlen(s->api_base);

	while (len && s->api_base[len - 1] == '/')
		s->api_base[--len] = '\0';
	if (!((k == 5 && !strncasecmp(s->api_base, "https", 5)) ||
	      (k == 4 && !strncasecmp(s->api_base, "http", 4) && s->insecure_http)) ||
	    strncmp(s->api_base + k, "://", 3) != 0 || !*host ||
	    strpbrk(host, "/?#@"))
		return fail(ld, n, "api-base", "invalid value '%s' for attribute 'api-base': expected https://host or https://host:port (no path, no user name)",
			    s->api_base);
	return 0;
}

/* A connector's credentials: exactly one of token-env, token-file and
 * oauth, which names an <oauth> of <auth>. */
static int conn_credentials(struct ld *ld, const xmlNode *n, bp_source *s,
			    const bp_conn_ops *ops)
{
	char *oauth = prop(ld, n, "oauth");
	const bp_oauth *o = oauth ? bp_config_oauth(ld->cfg, oauth) : NULL;
	int given = !!s->token_env + !!s->token_file + !!oauth, rc = 0;

	if (s->user_env || s->password_env)
		rc = fail(ld, n, s->user_env ? "user-env" : "password-env", "element '%s': a connector takes token-env, token-file or oauth, not a user name and password",
			  n->name);
	else if (given != 1)
		rc = fail(ld, n, NULL, "element '%s': connector '%s' needs %s of token-env, token-file and oauth",
			  n->name, s->connector, given ? "only one" : "one");
	else if (oauth && !o)
		rc = fail(ld, n, "oauth", "unknown oauth '%s': add <oauth id=\"%s\" .../> to <auth>",
			  oauth, oauth);
	else if (o && !ops->token_url)
		/* No token endpoint to renew at (Meta's tokens are made in
		 * its Business Settings, not by an OAuth2 grant). */
		rc = fail(ld, n, "oauth", "connector '%s' takes no oauth: %s has no OAuth2 token endpoint; give token-env or token-file with an access token",
			  s->connector, ops->vendor);
	else if (o)
		s->oauth = (int)(o - ld->cfg->oauth);
	free(oauth);
	return rc;
}

/* What a source with connector="NAME" must be: a kind the connector
 * reads, its preset, a valid account, credentials. */
static int conn_source(struct ld *ld, const xmlNode *n, bp_source *s)
{
	const bp_conn_ops *ops = bp_conn_find(s->connector);
	const char *const *a;
	char list[128], why[200], *given, *method;

	if (!ops) {
		bp_conn_names(list, sizeof(list));
		return fail(ld, n, "connector", "unknown connector '%s': expected one of %s",
			    s->connector, list);
	}
	if (!(ops->kinds & (1u << s->kind)))
		return fail(ld, n, "connector", "connector '%s' does not read %s sources",
			    s->connector, bp_source_kind_name(s->kind));
	if (xmlHasProp(n, BAD_CAST "url"))
		return fail(ld, n, "url", "element '%s': url and connector exclude each other",
			    n->name);
	if (xmlHasProp(n, BAD_CAST "preset") && strcmp(s->preset, ops->preset))
		return fail(ld, n, "preset", "preset '%s' does not fit connector '%s' (its rows are in preset '%s')",
			    s->preset, s->connector, ops->preset);
	free(s->preset);
	s->preset = bp_xstrdup(ops->preset);
	given = prop(ld, n, "account");
	if (ops->account && !given)
		return fail(ld, n, NULL, "element '%s': connector '%s' needs account=\"...\" (%s)",
			    n->name, s->connector, ops->account_what);
	if (!ops->account && given) {
		free(given);
		return fail(ld, n, "account", "connector '%s' takes no account", s->connector);
	}
	if (given) {
		s->account = ops->account(given, why, sizeof(why));
		if (!s->account) {
			fail(ld, n, "account", "invalid account '%s' for connector '%s': expected %s",
			     given, s->connector, why);
			free(given);
			return -1;
		}
		free(given);
	}
	s->api_base = prop(ld, n, "api-base");
	if (s->api_base && check_api_base(ld, n, s) < 0)
		return -1;
	for (a = conn_only; *a; a++) {
		const bp_conn_ops *owner = bp_conn_attr_owner(*a);

		if (owner && owner != ops && xmlHasProp(n, BAD_CAST *a))
			return fail(ld, n, *a, "attribute '%s' is for connector '%s'",
				    *a, owner->name);
	}
	s->login_customer_id = prop(ld, n, "login-customer-id");
	if (s->login_customer_id) {
		char *d = s->login_customer_id, *o = d;

		for (; *d; d++)
			if (*d != '-')
				*o++ = *d;
		*o = '\0';
	}
	s->linkedin_version = prop(ld, n, "linkedin-version");
	method = prop(ld, n, "method");
	s->export_method = method && !strcmp(method, "export");
	free(method);
	return conn_credentials(ld, n, s, ops);
}

static int spend_channel(struct ld *ld, const xmlNode *n, bp_source *s)
{
	char *ch = prop(ld, n, "channel");

	if (!ch)
		return fail(ld, n, NULL, "element 'spend': attribute 'channel' is required");
	s->channel = channel_ref(ld, n, ch);
	free(ch);
	return s->channel >= 0 ? 0 : -1;
}

static int load_source(struct ld *ld, const xmlNode *n, bp_source *s)
{
	char *amount;

	s->line = node_line(ld->src, n);
	s->channel = -1;
	source_attrs(ld, n, s);
	if (check_unique_id(ld, n, s) < 0 ||
	    (s->connector ? conn_source(ld, n, s) : url_source(ld, n, s)) < 0 ||
	    check_preset(ld, n, s) < 0 || check_tz(ld, n, s->timezone) < 0 ||
	    load_columns(ld, s, n) < 0 || check_columns(ld, n, s) < 0)
		return -1;
	if (s->kind == BP_SRC_SPEND)
		return spend_channel(ld, n, s);
	if (s->kind != BP_SRC_DEALS)
		return load_rules(ld, s, n);
	amount = prop(ld, n, "amount");
	s->amount_monthly = amount && !strcmp(amount, "monthly");
	free(amount);
	return load_stages(ld, s, n);
}

static int kind_of(const xmlNode *n, bp_source_kind *kind)
{
	int k;

	if (n->type != XML_ELEMENT_NODE)
		return -1;
	for (k = 0; k < BP_SRC_NKINDS; k++)
		if (!strcmp((const char *)n->name, kind_names[k])) {
			*kind = (bp_source_kind)k;
			return 0;
		}
	return -1;
}

static int load_sources(struct ld *ld, const xmlNode *root)
{
	bp_config *cfg = ld->cfg;
	const xmlNode *list = first_child(root, "sources"), *c;
	bp_source_kind kind;
	size_t max = 0;

	for (c = list->children; c; c = c->next)
		max += kind_of(c, &kind) == 0;
	cfg->sources = bp_xcalloc(max ? max : 1, sizeof(*cfg->sources));
	for (c = list->children; c; c = c->next) {
		if (kind_of(c, &kind) < 0)
			continue;
		cfg->sources[cfg->n_sources].kind = kind;
		if (load_source(ld, c, &cfg->sources[cfg->n_sources++]) < 0)
			return -1;
	}
	if (!bp_config_source(cfg, BP_SRC_CONTACTS))
		return fail(ld, list, NULL, "element 'sources' needs a <contacts> source: the funnel is built from contacts");
	return 0;
}

/* ------------------------------------------------------------------ */
/* <costs>, <targets>, <output>                                       */

static int month_prop(struct ld *ld, const xmlNode *n, bp_month *m)
{
	char *v = prop(ld, n, "month");
	int rc = 0;

	assert(v);   /* the schema requires it */
	if (bp_month_parse(v, m) < 0)
		rc = fail(ld, n, "month", "invalid value '%s' for attribute 'month': expected a month as YYYY-MM, such as 2026-10",
			  v);
	free(v);
	return rc;
}

/* quarter="2026-Q4": the quarter's first month. */
static int quarter_prop(struct ld *ld, const xmlNode *n, bp_month *m)
{
	char *v = prop(ld, n, "quarter");
	int ok = v && strlen(v) == 7 && v[4] == '-' && v[5] == 'Q' &&
		 v[6] >= '1' && v[6] <= '4';
	char month[16];

	if (ok) {
		snprintf(month, sizeof(month), "%.4s-%02u", v,
			 (unsigned)(v[6] - '1') * 3 + 1);
		ok = bp_month_parse(month, m) == 0;
	}
	if (!ok)
		fail(ld, n, "quarter", "invalid value '%s' for attribute 'quarter': "
		     "expected a quarter as YYYY-Qn, such as 2026-Q4", v ? v : "");
	free(v);
	return ok ? 0 : -1;
}

static int cost_from_node(struct ld *ld, const xmlNode *n, bp_cost *c)
{
	char *amount = prop(ld, n, "amount");
	int rc = -1;

	char *channel = prop(ld, n, "channel");

	c->label = prop_or(ld, n, "label", "Other costs");
	c->group = prop(ld, n, "group");
	c->channel = -1;
	assert(amount);   /* the schema requires it */
	if (decimal_money(amount, &c->amount) < 0)
		fail(ld, n, "amount", "invalid value '%s' for attribute 'amount': "
		     "the number is too large (at most 100000000000000)", amount);
	else if (month_prop(ld, n, &c->month) == 0 &&
		 (!channel || (c->channel = channel_ref(ld, n, channel)) >= 0) &&
		 (!c->group || group_ref(ld, n, c->group) == 0))
		rc = 0;
	free(amount);
	free(channel);
	return rc;
}

static int load_costs(struct ld *ld, const xmlNode *root)
{
	bp_config *cfg = ld->cfg;
	const xmlNode *list = first_child(root, "costs"), *c;
	size_t max = count_children(list, "cost");
	bp_money all = 0;

	cfg->costs = bp_xcalloc(max ? max : 1, sizeof(*cfg->costs));
	for (c = list ? list->children : NULL; c; c = c->next) {
		bp_money a;

		if (!is_name(c, "cost"))
			continue;
		if (cost_from_node(ld, c, &cfg->costs[cfg->n_costs++]) < 0)
			return -1;
		/* Their sums (a month's, a channel's, every month's) must
		 * fit in 64 bits whatever their signs. */
		a = cfg->costs[cfg->n_costs - 1].amount;
		if (bp_add(&all, a < 0 ? -a : a) < 0)
			return fail(ld, c, "amount", "the <cost> amounts add up to "
				    "more than 64 bits hold");
	}
	return 0;
}

static int target_from_node(struct ld *ld, const xmlNode *n, bp_target *t)
{
	char *value = prop(ld, n, "value");

	t->metric = prop(ld, n, "metric");
	t->channel = prop(ld, n, "channel");
	if (value)
		t->value = decimal_value(value);
	free(value);
	assert(t->metric);   /* the schema requires it */
	if (xmlHasProp(n, BAD_CAST "quarter")) {
		if (quarter_prop(ld, n, &t->month) < 0)
			return -1;
		t->quarter = 1;
	} else if (!xmlHasProp(n, BAD_CAST "month")) {
		return fail(ld, n, NULL, "element 'target' needs a month or a quarter attribute");
	} else if (month_prop(ld, n, &t->month) < 0) {
		return -1;
	}
	if (!bp_metric_target(t->metric))
		return fail(ld, n, "metric", "unknown metric '%s': expected a column of cohorts.csv or channels.csv, such as mqls, new_leads, spend or cac",
			    t->metric);
	if (t->channel && !strcmp(t->channel, "all")) {
		free(t->channel);
		t->channel = NULL;
	}
	return t->channel && channel_ref(ld, n, t->channel) < 0 ? -1 : 0;
}

/* The list loaders (targets, costs, oauth, ...) share one shape: count the
 * children, allocate, convert each.  Each converts its own element type,
 * so a shared loader would need void pointers and sizes, worse to read. */
static int load_targets(struct ld *ld, const xmlNode *root)
{
	bp_config *cfg = ld->cfg;
	const xmlNode *list = first_child(root, "targets"), *c;
	size_t max = count_children(list, "target");

	cfg->targets = bp_xcalloc(max ? max : 1, sizeof(*cfg->targets));
	for (c = list ? list->children : NULL; c; c = c->next)
		if (is_name(c, "target") &&
		    target_from_node(ld, c, &cfg->targets[cfg->n_targets++]) < 0)
			return -1;
	return 0;
}

static int load_output(struct ld *ld, const xmlNode *root)
{
	const xmlNode *n = first_child(root, "output");

	ld->cfg->output_dir = abs_path(ld, prop_or(ld, n, "dir", "reports"));
	ld->cfg->keep_months = (int)int_prop(ld, n, "keep-months", 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* <email>                                                            */

/* Addresses and the subject go into mail headers: a line break or a
 * control character there would let the config inject headers. */
static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int check_address(struct ld *ld, const xmlNode *n, const char *attr,
			 const char *what, const char *a)
{
	const char *at = strchr(a, '@');
	const char *p;

	for (p = a; *p; p++)
		if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20 ||
		    strchr("<>,;\"", *p))
			break;
	if (!at || at == a || !at[1] || *p)
		return fail(ld, n, attr, "invalid address '%s' in %s: expected one plain address such as board@acme.example",
			    a, what);
	return 0;
}

static int load_recipients(struct ld *ld, const xmlNode *n, const char *name,
			   char ***out, size_t *count)
{
	size_t max = count_children(n, name);
	const xmlNode *c;
	char *a, what[16];

	*out = bp_xcalloc(max ? max : 1, sizeof(**out));
	for (c = n->children; c; c = c->next) {
		if (!is_name(c, name))
			continue;
		a = text_of(ld, c);
		(*out)[(*count)++] = a;
		snprintf(what, sizeof(what), "<%s>", name);
		if (check_address(ld, c, NULL, what, a) < 0)
			return -1;
	}
	return 0;
}

static int email_url(struct ld *ld, const xmlNode *n, bp_email *e)
{
	size_t k;

	e->url = prop(ld, n, "url");
	assert(e->url);   /* the schema requires it */
	k = scheme_len(e->url);
	if (k && has_userinfo(e->url, k))
		return fail(ld, n, "url", "element 'email': the url holds a user name or password: use user-env and password-env instead");
	if (!(k == 4 && !strncasecmp(e->url, "smtp", 4)) &&
	    !(k == 5 && !strncasecmp(e->url, "smtps", 5)))
		return fail(ld, n, "url", "element 'email': unsupported url scheme '%.*s': expected smtps:// or smtp://",
			    (int)k, e->url);
	if (!has_host(e->url, k))
		return fail(ld, n, "url", "element 'email': the url has no host: expected %.*s://HOST:PORT",
			    (int)k, e->url);
	if (e->tls_none && k == 5)
		return fail(ld, n, "tls", "element 'email': tls=\"none\" contradicts an smtps:// url: use smtp:// for a local relay");
	return 0;
}

static void email_attrs(struct ld *ld, const xmlNode *n, bp_email *e)
{
	char *tls = prop(ld, n, "tls");

	e->tls_none = tls && !strcmp(tls, "none");
	free(tls);
	e->from = prop(ld, n, "from");
	e->user_env = prop(ld, n, "user-env");
	e->password_env = prop(ld, n, "password-env");
	e->password_file = path_prop(ld, n, "password-file");
	e->ca_file = path_prop(ld, n, "ca-file");
	if (!e->ca_file)
		e->ca_file = bp_xstrdup(ld->cfg->ca_file);
	e->subject = prop(ld, n, "subject");
	e->max_bytes = int_prop(ld, n, "max-bytes", DEF_MAIL_MAX_BYTES);
	e->attach_html = bool_prop(ld, n, "attach-html");
}

static int load_email(struct ld *ld, const xmlNode *root)
{
	const xmlNode *n = first_child(root, "email");
	bp_email *e;

	if (!n)
		return 0;
	e = ld->cfg->email = bp_xcalloc(1, sizeof(*e));
	email_attrs(ld, n, e);
	assert(e->from);   /* the schema requires it */
	if (email_url(ld, n, e) < 0 || check_address(ld, n, "from", "attribute 'from'", e->from) < 0)
		return -1;
	if (e->subject && has_ctl(e->subject))
		return fail(ld, n, "subject", "element 'email': attribute 'subject' must be one line without control characters");
	if (load_recipients(ld, n, "to", &e->to, &e->n_to) < 0 ||
	    load_recipients(ld, n, "cc", &e->cc, &e->n_cc) < 0 ||
	    load_recipients(ld, n, "bcc", &e->bcc, &e->n_bcc) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* <auth>                                                             */

static int oauth_from_node(struct ld *ld, const xmlNode *n, bp_oauth *o)
{
	int grants;

	o->line = node_line(ld->src, n);
	o->id = prop(ld, n, "id");
	o->token_url = prop(ld, n, "token-url");
	o->auth_url = prop(ld, n, "auth-url");
	o->redirect_uri = prop(ld, n, "redirect-uri");
	o->client_id = prop(ld, n, "client-id");
	o->client_id_env = prop(ld, n, "client-id-env");
	o->client_secret_env = prop(ld, n, "client-secret-env");
	o->client_secret_file = path_prop(ld, n, "client-secret-file");
	o->refresh_token_env = prop(ld, n, "refresh-token-env");
	o->refresh_token_file = path_prop(ld, n, "refresh-token-file");
	o->service_account_file = path_prop(ld, n, "service-account-file");
	o->scope = prop(ld, n, "scope");
	o->ca_file = path_prop(ld, n, "ca-file");
	if (!o->ca_file)
		o->ca_file = bp_xstrdup(ld->cfg->ca_file);
	assert(o->id);   /* the schema requires it */
	for (const bp_oauth *p = ld->cfg->oauth; p < o; p++)
		if (!strcmp(p->id, o->id))
			return fail(ld, n, "id", "duplicate oauth id '%s' (first used at line %ld)",
				    o->id, p->line);
	grants = !!o->refresh_token_env + !!o->refresh_token_file +
		 !!o->service_account_file;
	if (grants > 1)
		return fail(ld, n, NULL, "element 'oauth': give one of refresh-token-env, refresh-token-file and service-account-file");
	if (o->client_id && o->client_id_env)
		return fail(ld, n, "client-id-env", "element 'oauth': give client-id or client-id-env, not both");
	if (o->client_secret_env && o->client_secret_file)
		return fail(ld, n, "client-secret-file", "element 'oauth': give client-secret-env or client-secret-file, not both");
	if (!o->service_account_file &&
	    (!(o->client_id || o->client_id_env) ||
	     !(o->client_secret_env || o->client_secret_file)))
		return fail(ld, n, NULL, "element 'oauth': a refresh token needs client-id (or client-id-env) and client-secret-env (or client-secret-file)");
	if (o->redirect_uri) {
		int port;
		const char *path;

		if (bp_conn_redirect_parse(o->redirect_uri, &port, &path) < 0)
			return fail(ld, n, "redirect-uri", "invalid value '%s' for attribute 'redirect-uri': expected http://127.0.0.1:PORT/ or http://localhost:PORT/ with a path if the app registered one (no query)",
				    o->redirect_uri);
	}
	for (const char *const *u = (const char *const[]){ "token-url", "auth-url", NULL }; *u; u++) {
		char *v = prop(ld, n, *u);
		size_t k = v ? scheme_len(v) : 0;
		int ok = !v || (k == 5 && !strncasecmp(v, "https", 5) && has_host(v, k) &&
				!has_userinfo(v, k));

		free(v);
		if (!ok)
			return fail(ld, n, *u, "attribute '%s' must be an https:// URL with a host and without a user name", *u);
	}
	return 0;
}

static int load_auth(struct ld *ld, const xmlNode *root)
{
	bp_config *cfg = ld->cfg;
	const xmlNode *list = first_child(root, "auth"), *c;
	size_t max = count_children(list, "oauth");

	cfg->oauth = bp_xcalloc(max ? max : 1, sizeof(*cfg->oauth));
	for (c = list ? list->children : NULL; c; c = c->next)
		if (is_name(c, "oauth") &&
		    oauth_from_node(ld, c, &cfg->oauth[cfg->n_oauth++]) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                       */

static bp_config *build(xmlDoc *doc, const char *path,
			 const struct text *src, bp_err *err)
{
	struct ld ld = { path, err, src, NULL };
	const xmlNode *root = xmlDocGetRootElement(doc);

	ld.cfg = bp_xcalloc(1, sizeof(*ld.cfg));
	ld.cfg->path = bp_xstrdup(path);
	ld.cfg->dir = config_dir(path);
	if (!ld.cfg->dir) {
		bp_err_set(err, BP_ENOINPUT, "cannot resolve the folder of config '%s': %s",
			   path, strerror(errno));
		goto fail;
	}
	if (load_report(&ld, root) < 0 || load_channels(&ld, root) < 0 ||
	    load_auth(&ld, root) < 0 || load_sources(&ld, root) < 0 || load_costs(&ld, root) < 0 ||
	    load_targets(&ld, root) < 0 || load_output(&ld, root) < 0 ||
	    load_email(&ld, root) < 0)
		goto fail;
	return ld.cfg;
fail:
	bp_config_free(ld.cfg);
	return NULL;
}

#define MAX_CONFIG_BYTES (16L * 1024 * 1024)

/* Reads the whole file into t (the caller frees t->buf), in a buffer
 * that grows as the file needs, to one byte past the cap. */
static int read_config(const char *path, struct text *t, bp_err *err)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, cap = 64 * 1024, got;
	char *buf = NULL;
	int e = 0;

	if (!f)
		return bp_err_set(err, BP_ENOINPUT, "cannot read config '%s': %s",
				  path, strerror(errno));
	buf = bp_xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap > MAX_CONFIG_BYTES)
				break;
			cap = cap * 2 > MAX_CONFIG_BYTES ? MAX_CONFIG_BYTES + 1 : cap * 2;
			buf = bp_xrealloc(buf, cap + 1);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	e = ferror(f) ? (errno ? errno : EIO) : 0;
	fclose(f);
	if (e || n > MAX_CONFIG_BYTES) {
		free(buf);
		if (e)
			return bp_err_set(err, BP_ENOINPUT, "cannot read config '%s': %s",
					  path, strerror(e));
		return bp_err_at(err, BP_ECONFIG, path, 0, 0,
				 "the config is larger than %ld bytes", MAX_CONFIG_BYTES);
	}
	t->buf = buf;
	t->len = n;
	return 0;
}

/* Parsed from the bytes already read, so the lines we count are the
 * lines libxml2 saw.  The path is passed for libxml2's messages only:
 * XML_PARSE_NONET and no entity substitution keep it from fetching
 * anything else. */
static xmlDoc *parse(const char *path, const struct text *t, bp_err *err)
{
	struct xerr xe = { 0 };
	xmlDoc *doc;

	xmlSetStructuredErrorFunc(&xe, on_xml_error);
	doc = xmlReadMemory(t->buf, (int)t->len, path, NULL,
			    XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	xmlSetStructuredErrorFunc(NULL, on_xml_error);
	if (!doc)
		bp_err_at(err, BP_ECONFIG, path, xe.line, xe.col,
			  "not well-formed XML: %s",
			  xe.msg[0] ? xe.msg : "cannot parse");
	else if (!xmlDocGetRootElement(doc)) {
		bp_err_at(err, BP_ECONFIG, path, 0, 0, "the file has no root element");
		xmlFreeDoc(doc);
		doc = NULL;
	}
	return doc;
}

bp_config *bp_config_load(const char *path, bp_err *err)
{
	xmlStructuredErrorFunc old_serror = xmlStructuredError;
	void *old_sctx = xmlStructuredErrorContext;
	xmlGenericErrorFunc old_gerror = xmlGenericError;
	void *old_gctx = xmlGenericErrorContext;
	struct text src = { NULL, 0 };
	bp_config *cfg = NULL;
	xmlDoc *doc = NULL;

	if (read_config(path, &src, err) < 0)
		return NULL;
	xmlSetGenericErrorFunc(NULL, no_generic_error);
	doc = parse(path, &src, err);
	if (doc && validate(doc, path, &src, err) == 0)
		cfg = build(doc, path, &src, err);
	xmlFreeDoc(doc);
	xmlSetStructuredErrorFunc(old_sctx, old_serror);
	xmlSetGenericErrorFunc(old_gctx, old_gerror);
	free((char *)src.buf);
	return cfg;
}

static void free_source(bp_source *s)
{
	size_t i;

	free(s->id);
	free(s->url);
	free(s->preset);
	free(s->pipeline);
	free(s->url_given);
	free(s->timezone);
	free(s->ca_file);
	free(s->token_env);
	free(s->token_file);
	free(s->user_env);
	free(s->password_env);
	free(s->connector);
	free(s->account);
	free(s->api_base);
	free(s->login_customer_id);
	free(s->linkedin_version);
	for (i = 0; i < s->n_won_stages; i++)
		free(s->won_stages[i]);
	free(s->won_stages);
	for (i = 0; i < s->n_lost_stages; i++)
		free(s->lost_stages[i]);
	free(s->lost_stages);
	for (i = 0; i < s->n_rules; i++)
		free(s->rules[i].match);
	free(s->rules);
	for (i = 0; i < s->n_columns; i++) {
		free(s->columns[i].field);
		free(s->columns[i].name);
		free(s->columns[i].format);
	}
	free(s->columns);
}

static void free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void free_email(bp_email *e)
{
	if (!e)
		return;
	free(e->url);
	free(e->from);
	free(e->user_env);
	free(e->password_env);
	free(e->password_file);
	free(e->ca_file);
	free(e->subject);
	free_list(e->to, e->n_to);
	free_list(e->cc, e->n_cc);
	free_list(e->bcc, e->n_bcc);
	free(e);
}

void bp_config_free(bp_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n_sources; i++)
		free_source(&cfg->sources[i]);
	free(cfg->sources);
	for (i = 0; i < cfg->n_channels; i++) {
		free(cfg->channels[i].id);
		free(cfg->channels[i].label);
		free(cfg->channels[i].group);
	}
	free(cfg->channels);
	for (i = 0; i < cfg->n_costs; i++) {
		free(cfg->costs[i].label);
		free(cfg->costs[i].group);
	}
	free(cfg->costs);
	for (i = 0; i < cfg->n_targets; i++) {
		free(cfg->targets[i].metric);
		free(cfg->targets[i].channel);
	}
	free(cfg->targets);
	free_email(cfg->email);
	for (i = 0; i < cfg->n_oauth; i++) {
		bp_oauth *o = &cfg->oauth[i];

		free(o->id);
		free(o->token_url);
		free(o->auth_url);
		free(o->redirect_uri);
		free(o->client_id);
		free(o->client_id_env);
		free(o->client_secret_env);
		free(o->client_secret_file);
		free(o->refresh_token_env);
		free(o->refresh_token_file);
		free(o->service_account_file);
		free(o->scope);
		free(o->ca_file);
	}
	free(cfg->oauth);
	free(cfg->path);
	free(cfg->dir);
	free(cfg->title);
	free(cfg->timezone);
	free(cfg->currency);
	free(cfg->language);
	free(cfg->templates);
	free(cfg->font);
	free(cfg->ca_file);
	free(cfg->output_dir);
	free(cfg);
}

int bp_config_channel(const bp_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; cfg && id && i < cfg->n_channels; i++)
		if (strcmp(cfg->channels[i].id, id) == 0)
			return (int)i;
	return -1;
}

const bp_source *bp_config_source(const bp_config *cfg, bp_source_kind kind)
{
	size_t i;

	for (i = 0; cfg && i < cfg->n_sources; i++)
		if (cfg->sources[i].kind == kind)
			return &cfg->sources[i];
	return NULL;
}

const bp_column *bp_source_column(const bp_source *src, const char *field)
{
	size_t i;

	for (i = 0; src && field && i < src->n_columns; i++)
		if (strcmp(src->columns[i].field, field) == 0)
			return &src->columns[i];
	return NULL;
}

const char *bp_source_kind_name(bp_source_kind kind)
{
	if ((int)kind < 0 || kind >= BP_SRC_NKINDS)
		return "unknown";
	return kind_names[kind];
}
