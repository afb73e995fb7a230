/*
 * model.c - derives every column of METRICS.md and writes the run's data
 * files.
 *
 * The numbers are computed once, into metrics.xml; cohorts.csv and
 * channels.csv are then written from that document, so the CSV files and
 * the reports can never disagree.
 */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "fs.h"
#include "mem.h"
#include "metric.h"
#include "num.h"
#include "text.h"

/* ---- attribute writers: absent when the value does not exist ---- */

/* Text from an export, as an attribute or as content.  Ingest cleaned it
 * (text.h); whatever still is not valid is cleaned here, so no byte XML
 * refuses can reach metrics.xml by any path. */
static void data_text(xmlNodePtr n, const char *name, const char *text)
{
	char *clean = NULL;
	size_t len = strlen(text);

	if (!bp_text_ok(text, len))
		text = clean = bp_text_dup(text, len, BP_TEXT_UNLIMITED, NULL);
	if (name)
		xmlNewProp(n, BAD_CAST name, BAD_CAST text);
	else
		xmlNodeAddContent(n, BAD_CAST text);
	free(clean);
}

static void set_int(xmlNodePtr n, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	xmlNewProp(n, BAD_CAST name, BAD_CAST buf);
}

static void set_money(xmlNodePtr n, const char *name, bp_money v)
{
	char buf[48];

	bp_num_format_money(v, buf, sizeof(buf));
	xmlNewProp(n, BAD_CAST name, BAD_CAST buf);
}

/* num / den with `decimals` decimals; nothing when den is 0. */
static void set_ratio(xmlNodePtr n, const char *name, double num, double den,
		      int decimals)
{
	char buf[64];

	if (den == 0)
		return;
	snprintf(buf, sizeof(buf), "%.*f", decimals, num / den);
	if (strcmp(buf, "-0.000000") == 0 || strcmp(buf, "-0.00") == 0)
		snprintf(buf, sizeof(buf), "%.*f", decimals, 0.0);
	xmlNewProp(n, BAD_CAST name, BAD_CAST buf);
}

/* Sums of money fit in 64 bits; the rounding below doubles them. */
__extension__ typedef __int128 wide;

/* money_units / (den * scale) rounded to cents, exactly, half away from
 * zero; nothing when den is 0. */
static void set_money_div(xmlNodePtr n, const char *name, bp_money units,
			  int64_t den)
{
	wide num = units, d = (wide)den * (BP_MONEY_SCALE / 100);
	wide cents;

	if (den == 0)
		return;
	if (d < 0) {
		d = -d;
		num = -num;
	}
	cents = num >= 0 ? (2 * num + d) / (2 * d) : -((-2 * num + d) / (2 * d));
	set_money(n, name, (bp_money)(cents * (BP_MONEY_SCALE / 100)));
}

static double money_d(bp_money m)
{
	return (double)m / BP_MONEY_SCALE;
}

/* ---- rows ---- */

/* What a row's figures are computed from, besides its cell. */
typedef struct row_ctx {
	const bp_config *cfg;
	int64_t per;       /* months an amount covers: 12 annual, 1 monthly */
	unsigned has;      /* BP_HAS_* of the row's sources */
	int *overflow;     /* set when a sum would pass 64 bits */
} row_ctx;

/* The rules of METRICS.md that are not one quotient: MRR and ARPA from
 * the deal amounts' period, CAC payback over the gross margin, and the
 * bounce rate as GA4 defines it. */
static void special(xmlNodePtr n, const bp_metric *m, const bp_month_cell *c,
		    const row_ctx *x)
{
	if (!strcmp(m->name, "new_mrr")) {
		set_money_div(n, m->name, c->won_revenue, x->per);
	} else if (!strcmp(m->name, "arpa")) {
		set_money_div(n, m->name, c->won_revenue, x->per * c->won_deals);
	} else if (!strcmp(m->name, "cac_payback_months")) {
		double cac, arpa;

		if (!x->cfg->has_gross_margin || !c->entered[BP_CUSTOMER] ||
		    !c->won_deals)
			return;
		cac = money_d(c->cost) / (double)c->entered[BP_CUSTOMER];
		arpa = money_d(c->won_revenue) / (double)(x->per * c->won_deals);
		set_ratio(n, m->name, cac, arpa * x->cfg->gross_margin, 2);
	} else if (!strcmp(m->name, "bounce_rate")) {
		set_ratio(n, m->name, (double)(c->bounce_sessions - c->engaged_sessions),
			  (double)c->bounce_sessions, 6);
	}
}

/* One figure of a row, by its kind; nothing when it does not exist. */
static void figure(xmlNodePtr n, const bp_metric *m, long long num,
		   long long den)
{
	switch (m->kind) {
	case BP_KIND_COUNT: set_int(n, m->name, num); break;
	case BP_KIND_MONEY: set_money(n, m->name, num); break;
	case BP_KIND_RATIO: set_ratio(n, m->name, (double)num, (double)den, 6); break;
	case BP_KIND_MONEY_PER: set_money_div(n, m->name, num, den); break;
	case BP_KIND_DAYS:
		set_ratio(n, m->name, (double)num, (double)den * 86400.0, 1);
		break;
	case BP_KIND_SPECIAL: break;
	}
}

static void cohort_row(xmlNodePtr parent, const char *month, const char *ch,
		       const bp_cohort_cell *c)
{
	xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST "row", NULL);
	const bp_metric *m;
	size_t i, count;

	xmlNewProp(n, BAD_CAST "cohort", BAD_CAST month);
	xmlNewProp(n, BAD_CAST "channel", BAD_CAST ch);
	for (m = bp_metrics(&count), i = 0; i < count; i++, m++)
		if (m->section == BP_SECTION_COHORT)
			figure(n, m, bp_metric_base_cohort(c, m->num),
			       bp_metric_base_cohort(c, m->den));
}

/* One economics row, named by two attributes: ("month", "2026-10") or
 * ("span", "quarter"), then ("channel", id) or ("group", name).  Its
 * cell's cost is set. */
static xmlNodePtr econ_row(xmlNodePtr parent, const row_ctx *x,
			   const char *when_key, const char *when,
			   const char *key, const char *value,
			   const bp_month_cell *c)
{
	xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST "row", NULL);
	const bp_metric *m;
	size_t i, count;

	xmlNewProp(n, BAD_CAST when_key, BAD_CAST when);
	xmlNewProp(n, BAD_CAST key, BAD_CAST value);
	for (m = bp_metrics(&count), i = 0; i < count; i++, m++) {
		if (m->section != BP_SECTION_ECONOMICS ||
		    (m->flags & BP_NEEDS & ~x->has))
			continue;
		if (m->kind == BP_KIND_SPECIAL)
			special(n, m, c, x);
		else
			figure(n, m, bp_metric_base_month(c, m->num),
			       bp_metric_base_month(c, m->den));
	}
	return n;
}

/* Which <cost> entries a row takes (METRICS.md, "Costs that are not ad
 * spend"): a channel's row those that name it; a group's those that name
 * its group or one of its channels; `all` every one. */
typedef struct cost_scope {
	int channel;           /* >= 0: a channel's row */
	const char *group;     /* non-NULL: a group's row */
} cost_scope;

static int cost_lands(const bp_config *cfg, const bp_cost *c, cost_scope sc)
{
	if (sc.channel >= 0)
		return c->channel == sc.channel;
	if (sc.group)
		return (c->group && !strcmp(c->group, sc.group)) ||
		       (c->channel >= 0 && !strcmp(cfg->channels[c->channel].group,
						   sc.group));
	return 1;
}

/* Adds the <cost> entries of month m a row takes to *sum.  Returns 0, or
 * -1 when the sum would pass 64 bits. */
static int row_costs(const bp_config *cfg, bp_month m, cost_scope sc,
		     bp_money *sum)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < cfg->n_costs; i++)
		if (cfg->costs[i].month == m && cost_lands(cfg, &cfg->costs[i], sc))
			rc |= bp_add(sum, cfg->costs[i].amount);
	return rc ? -1 : 0;
}

/* Whether anything can carry a cost to a row: a spend source of its
 * channels, or a <cost> entry for it (or, for a channel, for its group),
 * in any month.  Without, its cost-based figures are absent: an organic
 * channel never shows a CPL of 0. */
static int carries_cost(const bp_config *cfg, const bp_funnel *f, cost_scope sc)
{
	size_t i;
	int ch;

	for (ch = 0; ch < f->n_channels; ch++)
		if ((f->has[ch] & BP_HAS_SPEND) &&
		    (sc.channel >= 0 ? ch == sc.channel : !sc.group ||
		     !strcmp(cfg->channels[ch].group, sc.group)))
			return 1;
	for (i = 0; i < cfg->n_costs; i++) {
		const bp_cost *c = &cfg->costs[i];

		if (cost_lands(cfg, c, sc) ||
		    (sc.channel >= 0 && c->group &&
		     !strcmp(c->group, cfg->channels[sc.channel].group)))
			return 1;
	}
	return 0;
}

/* ---- document sections ---- */

static int group_seen(const bp_config *cfg, size_t upto, const char *g)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (strcmp(cfg->channels[i].group, g) == 0)
			return 1;
	return 0;
}

static void add_channels(xmlNodePtr root, const bp_config *cfg)
{
	xmlNodePtr chs = xmlNewChild(root, NULL, BAD_CAST "channels", NULL);
	xmlNodePtr gs = xmlNewChild(root, NULL, BAD_CAST "groups", NULL);
	size_t i;

	for (i = 0; i < cfg->n_channels; i++) {
		xmlNodePtr n = xmlNewChild(chs, NULL, BAD_CAST "channel", NULL);

		xmlNewProp(n, BAD_CAST "id", BAD_CAST cfg->channels[i].id);
		xmlNewProp(n, BAD_CAST "label", BAD_CAST cfg->channels[i].label);
		xmlNewProp(n, BAD_CAST "group", BAD_CAST cfg->channels[i].group);
		if (!group_seen(cfg, i, cfg->channels[i].group))
			xmlNewProp(xmlNewChild(gs, NULL, BAD_CAST "group", NULL),
				   BAD_CAST "id", BAD_CAST cfg->channels[i].group);
	}
}

/* Months an amount covers: deal amounts are annual contract values
 * unless the config says monthly. */
static int64_t amount_months(const bp_config *cfg)
{
	const bp_source *deals = bp_config_source(cfg, BP_SRC_DEALS);

	return deals && deals->amount_monthly ? 1 : 12;
}

/* Whether channel ch is in a row's scope. */
static int in_scope(const bp_config *cfg, cost_scope sc, int ch)
{
	if (sc.channel >= 0)
		return ch == sc.channel;
	return !sc.group || !strcmp(cfg->channels[ch].group, sc.group);
}

/* The sums of a scope's channels over the months [from, to] (indexes of
 * the funnel's cells), its costs included; a balance (open pipeline) is
 * the last month's.  A sum that would pass 64 bits sets *x->overflow
 * (the funnel's bounds keep that from happening with the data it took;
 * checked all the same). */
static void scope_cell(const row_ctx *x, const bp_funnel *f, cost_scope sc,
		       int from, int to, bp_month_cell *out)
{
	const bp_config *cfg = x->cfg;
	int i, ch, rc = 0;

	memset(out, 0, sizeof(*out));
	for (i = from; i <= to; i++) {
		bp_money open = 0;

		for (ch = 0; ch < f->n_channels; ch++)
			if (in_scope(cfg, sc, ch)) {
				const bp_month_cell *c = bp_funnel_month(f, f->first + i, ch);

				rc |= bp_month_cell_add(out, c);
				rc |= bp_add(&open, c->open_pipeline);
			}
		out->open_pipeline = open;
		rc |= row_costs(cfg, f->first + i, sc, &out->cost);
	}
	rc |= bp_add(&out->cost, out->spend);
	if (rc)
		*x->overflow = 1;
}

/* What a scope's sources have over the months [from, to], and whether
 * it can carry a cost: a month a source's export leaves out, wholly or
 * in part, takes the figures made from that kind of source off every
 * row and span that holds it. */
static unsigned scope_has(const bp_config *cfg, const bp_funnel *f,
			  cost_scope sc, int from, int to)
{
	unsigned has = carries_cost(cfg, f, sc) ? BP_NEEDS_COST : 0;
	unsigned covers = BP_COVERS;
	int ch;

	for (ch = 0; ch < f->n_channels; ch++)
		if (in_scope(cfg, sc, ch)) {
			has |= f->has[ch];
			covers &= bp_funnel_covered(f, ch, from, to);
		}
	return has | covers;
}

/* The economics rows of month index i: every channel and `all` into
 * `chans`, every group into `groups`. */
static void month_rows(xmlNodePtr chans, xmlNodePtr groups, row_ctx *x,
		       const bp_funnel *f, int i)
{
	const bp_config *cfg = x->cfg;
	char month[8];
	bp_month_cell c;
	size_t g;
	int ch;

	bp_month_format(f->first + i, month);
	for (ch = 0; ch <= f->n_channels; ch++) {
		cost_scope sc = { ch < f->n_channels ? ch : -1, NULL };

		scope_cell(x, f, sc, i, i, &c);
		x->has = scope_has(cfg, f, sc, i, i);
		econ_row(chans, x, "month", month, "channel",
			 ch < f->n_channels ? cfg->channels[ch].id : "all", &c);
	}
	for (g = 0; g < cfg->n_channels; g++) {
		cost_scope sc = { -1, cfg->channels[g].group };

		if (group_seen(cfg, g, sc.group))
			continue;
		scope_cell(x, f, sc, i, i, &c);
		x->has = scope_has(cfg, f, sc, i, i);
		econ_row(groups, x, "month", month, "group", sc.group, &c);
	}
}

/* The window's first month, as an index of the funnel's cells: the
 * months before it are the lookback the comparisons reach into. */
static int window_start(const bp_config *cfg, const bp_funnel *f)
{
	return f->n_months > cfg->months ? f->n_months - cfg->months : 0;
}

static void add_numbers(xmlNodePtr root, const bp_config *cfg,
			const bp_funnel *f, int *overflow)
{
	xmlNodePtr win = xmlNewChild(root, NULL, BAD_CAST "window", NULL);
	xmlNodePtr coh = xmlNewChild(root, NULL, BAD_CAST "cohorts", NULL);
	xmlNodePtr eco = xmlNewChild(root, NULL, BAD_CAST "economics", NULL);
	xmlNodePtr grp = xmlNewChild(root, NULL, BAD_CAST "groups-economics", NULL);
	xmlNodePtr back = NULL;
	row_ctx x = { cfg, amount_months(cfg), 0, overflow };
	int i, ch, w0 = window_start(cfg, f);

	for (i = 0; i < f->n_months; i++) {
		bp_month m = f->first + i;
		char month[8];
		bp_cohort_cell call;

		if (i < w0) {
			/* The lookback: only what comparisons and trends need
			 * and where the data reaches. */
			if (f->first_data == BP_MONTH_NONE || m < f->first_data)
				continue;
			if (!back)
				back = xmlNewChild(root, NULL, BAD_CAST "lookback", NULL);
			month_rows(back, back, &x, f, i);
			continue;
		}
		bp_month_format(m, month);
		xmlNewProp(xmlNewChild(win, NULL, BAD_CAST "month", NULL),
			   BAD_CAST "id", BAD_CAST month);
		for (ch = 0; ch < f->n_channels; ch++)
			cohort_row(coh, month, cfg->channels[ch].id,
				   bp_funnel_cohort(f, m, ch));
		if (bp_funnel_sum_cohort(f, i, &call) < 0)
			*overflow = 1;
		cohort_row(coh, month, "all", &call);
		month_rows(eco, grp, &x, f, i);
	}
}

/* The attribute `name` of `n` as a number, or 0 with *present 0. */
static double attr_number(xmlNodePtr n, const char *name, int *present)
{
	xmlChar *v = n ? xmlGetProp(n, BAD_CAST name) : NULL;
	double d = v ? strtod((char *)v, NULL) : 0;

	*present = v != NULL;
	xmlFree(v);
	return d;
}

/* A metric of a scope over the months [from, to] (cell indexes), computed
 * as a row would be: the row, detached, for the caller to read and free.
 * `m` is a cohort or an economics metric. */
static xmlNodePtr span_row(row_ctx *x, const bp_funnel *f, const bp_metric *m,
			   cost_scope sc, int from, int to)
{
	xmlNodePtr holder = xmlNewNode(NULL, BAD_CAST "holder");

	if (m->section == BP_SECTION_ECONOMICS) {
		bp_month_cell c;

		scope_cell(x, f, sc, from, to, &c);
		x->has = scope_has(x->cfg, f, sc, from, to);
		econ_row(holder, x, "span", "", "channel", "", &c);
	} else {
		bp_cohort_cell sum = { 0 }, *c;
		int i, ch;

		for (i = from; i <= to; i++)
			for (ch = 0; ch < f->n_channels; ch++) {
				if (!in_scope(x->cfg, sc, ch))
					continue;
				c = bp_funnel_cohort(f, f->first + i, ch);
				if (bp_cohort_cell_add(&sum, c) < 0)
					*x->overflow = 1;
			}
		cohort_row(holder, "", "", &sum);
	}
	return holder;
}

/* on-track, at-risk (within 10%) or missed, from how far along a target
 * is: 1 is on target, whichever way is better. */
static const char *status_of(double pace)
{
	return pace >= 1 ? "on-track" : pace >= 0.9 ? "at-risk" : "missed";
}

static void set_fraction(xmlNodePtr n, const char *name, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.6f", v);
	if (!strcmp(buf, "-0.000000"))
		snprintf(buf, sizeof(buf), "%.6f", 0.0);
	xmlNewProp(n, BAD_CAST name, BAD_CAST buf);
}

/* One target: its actual over the months that have passed, its
 * attainment, and for a quarter its pace against the share of the value
 * the months so far call for. */
static void add_target(xmlNodePtr ts, row_ctx *x, const bp_funnel *f,
		       const bp_target *t)
{
	const bp_metric *m = bp_metric_target(t->metric);
	const char *ch = t->channel ? t->channel : "all";
	int period = f->n_months - 1, i0 = (int)(t->month - f->first);
	int months = t->quarter ? 3 : 1, elapsed, have;
	cost_scope sc = { t->channel ? bp_config_channel(x->cfg, t->channel) : -1,
			  NULL };
	xmlNodePtr tn = xmlNewChild(ts, NULL, BAD_CAST "target", NULL);
	xmlNodePtr row;
	xmlChar *text;
	char buf[64];
	double a, expected, pace;
	int lower = m && m->better == BP_BETTER_LOWER;

	bp_month_format(t->month, buf);
	if (t->quarter) {
		snprintf(buf, sizeof(buf), "%d-Q%d", t->month / 12,
			 t->month % 12 / 3 + 1);
		xmlNewProp(tn, BAD_CAST "quarter", BAD_CAST buf);
		bp_month_format(t->month, buf);
		xmlNewProp(tn, BAD_CAST "from", BAD_CAST buf);
		bp_month_format(t->month + 2, buf);
		xmlNewProp(tn, BAD_CAST "to", BAD_CAST buf);
	} else {
		xmlNewProp(tn, BAD_CAST "month", BAD_CAST buf);
	}
	xmlNewProp(tn, BAD_CAST "metric", BAD_CAST (m ? m->name : t->metric));
	xmlNewProp(tn, BAD_CAST "channel", BAD_CAST ch);
	snprintf(buf, sizeof(buf), "%.15g", t->value);
	xmlNewProp(tn, BAD_CAST "value", BAD_CAST buf);
	xmlNewProp(tn, BAD_CAST "better", BAD_CAST (lower ? "lower" : "higher"));
	elapsed = period - i0 + 1 < months ? period - i0 + 1 : months;
	if (!m || elapsed <= 0 || i0 < 0)
		return;
	if (t->quarter)
		set_int(tn, "months-elapsed", elapsed);
	row = span_row(x, f, m, sc, i0, i0 + elapsed - 1);
	text = xmlGetProp(row->children, BAD_CAST m->name);
	a = attr_number(row->children, m->name, &have);
	xmlFreeNode(row);
	if (!have)
		return;
	xmlNewProp(tn, BAD_CAST "actual", text);
	xmlFree(text);
	/* 100% is on target and more is better, either way: for a cost, a
	 * CAC of half the target is 200% attained. */
	if (lower)
		set_ratio(tn, "attainment", t->value, a, 6);
	else
		set_ratio(tn, "attainment", a, t->value, 6);
	/* Flows accrue over the quarter; a ratio or a balance does not. */
	expected = t->value;
	if (t->quarter && (m->kind == BP_KIND_COUNT || m->kind == BP_KIND_MONEY) &&
	    !(m->flags & BP_STOCK))
		expected = t->value * elapsed / 3;
	if (t->quarter) {
		snprintf(buf, sizeof(buf), "%.15g", expected);
		xmlNewProp(tn, BAD_CAST "expected", BAD_CAST buf);
	}
	/* How far from the target: for a quarter under way, from what its
	 * months so far call for, so "under target" means what status says. */
	if (expected != 0)
		set_fraction(tn, "vs-target", a / expected - 1);
	if (lower ? a == 0 : expected == 0)
		return;
	pace = lower ? expected / a : a / expected;
	if (t->quarter)
		set_fraction(tn, "pace", pace);
	xmlNewProp(tn, BAD_CAST "status", BAD_CAST status_of(pace));
}

static xmlNodePtr add_targets(xmlNodePtr root, const bp_config *cfg,
			      const bp_funnel *f, int *overflow)
{
	xmlNodePtr ts = xmlNewChild(root, NULL, BAD_CAST "targets", NULL);
	row_ctx x = { cfg, amount_months(cfg), 0, overflow };
	size_t i;

	for (i = 0; i < cfg->n_targets; i++)
		add_target(ts, &x, f, &cfg->targets[i]);
	return ts;
}

/* ---- comparisons (METRICS.md) ---- */

/* Spans of months, as offsets from the period. */
static const struct span {
	const char *id;
	int from, to;
} spans[] = {
	{ "month", 0, 0 },
	{ "previous-month", -1, -1 },
	{ "quarter", -2, 0 },
	{ "previous-quarter", -5, -3 },
	{ "year-ago-month", -12, -12 },
	{ "trailing-12", -11, 0 },
	{ "previous-trailing-12", -23, -12 },
};
#define N_SPANS (sizeof(spans) / sizeof(spans[0]))

/* Whether the funnel's cells and the data reach back to a span's start:
 * a comparison with months the data does not cover is absent, not 0. */
static int span_covered(const bp_funnel *f, const struct span *sp)
{
	int from = f->n_months - 1 + sp->from;

	return from >= 0 && f->first_data != BP_MONTH_NONE &&
	       f->first + from >= f->first_data;
}

static void span_rows(xmlNodePtr parent, row_ctx *x, const bp_funnel *f,
		      const struct span *sp)
{
	const bp_config *cfg = x->cfg;
	int p = f->n_months - 1, ch;
	bp_month_cell c;
	size_t g;

	for (ch = 0; ch <= f->n_channels; ch++) {
		cost_scope sc = { ch < f->n_channels ? ch : -1, NULL };

		scope_cell(x, f, sc, p + sp->from, p + sp->to, &c);
		x->has = scope_has(cfg, f, sc, p + sp->from, p + sp->to);
		econ_row(parent, x, "span", sp->id, "channel",
			 ch < f->n_channels ? cfg->channels[ch].id : "all", &c);
	}
	for (g = 0; g < cfg->n_channels; g++) {
		cost_scope sc = { -1, cfg->channels[g].group };

		if (group_seen(cfg, g, sc.group))
			continue;
		scope_cell(x, f, sc, p + sp->from, p + sp->to, &c);
		x->has = scope_has(cfg, f, sc, p + sp->from, p + sp->to);
		econ_row(parent, x, "span", sp->id, "group", sc.group, &c);
	}
}

static void add_comparisons(xmlNodePtr root, const bp_config *cfg,
			    const bp_funnel *f, int *overflow)
{
	xmlNodePtr cmp = xmlNewChild(root, NULL, BAD_CAST "comparisons", NULL);
	row_ctx x = { cfg, amount_months(cfg), 0, overflow };
	size_t i;

	for (i = 0; i < N_SPANS; i++) {
		bp_month period = f->first + f->n_months - 1;
		xmlNodePtr n;
		char buf[8];

		if (!span_covered(f, &spans[i]))
			continue;
		n = xmlNewChild(cmp, NULL, BAD_CAST "span", NULL);
		xmlNewProp(n, BAD_CAST "id", BAD_CAST spans[i].id);
		bp_month_format(period + spans[i].from, buf);
		xmlNewProp(n, BAD_CAST "from", BAD_CAST buf);
		bp_month_format(period + spans[i].to, buf);
		xmlNewProp(n, BAD_CAST "to", BAD_CAST buf);
	}
	for (i = 0; i < N_SPANS; i++)
		if (span_covered(f, &spans[i]))
			span_rows(cmp, &x, f, &spans[i]);
}

/* ---- the story: facts the first page's sentences are made of ---- */

/* A metric of a scope over cell months [from, to]; 0 with *have 0 when
 * the figure does not exist. */
static double value_of(row_ctx *x, const bp_funnel *f, const char *metric,
		       cost_scope sc, int from, int to, int *have)
{
	const bp_metric *m = bp_metric_find(metric);
	xmlNodePtr row;
	double v;

	if (m && m->section != BP_SECTION_ECONOMICS)
		m = bp_metric_target(metric);
	if (!m || from < 0) {
		*have = 0;
		return 0;
	}
	row = span_row(x, f, m, sc, from, to);
	v = attr_number(row->children, m->name, have);
	xmlFreeNode(row);
	return v;
}

static xmlNodePtr fact(xmlNodePtr story, const char *kind, const char *metric,
		       const char *channel)
{
	xmlNodePtr n = xmlNewChild(story, NULL, BAD_CAST "fact", NULL);
	const bp_metric *m = metric ? bp_metric_find(metric) : NULL;

	xmlNewProp(n, BAD_CAST "kind", BAD_CAST kind);
	if (metric)
		xmlNewProp(n, BAD_CAST "metric", BAD_CAST metric);
	if (channel)
		xmlNewProp(n, BAD_CAST "channel", BAD_CAST channel);
	if (m)
		xmlNewProp(n, BAD_CAST "better", BAD_CAST (m->better == BP_BETTER_LOWER ?
							  "lower" : "higher"));
	return n;
}

static void set_number(xmlNodePtr n, const char *name, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.15g", v);
	xmlNewProp(n, BAD_CAST name, BAD_CAST buf);
}

/* The window's highest and lowest month of the key figures, when the
 * period is one of them. */
static void records(xmlNodePtr story, row_ctx *x, const bp_funnel *f)
{
	static const char *const keys[] = {
		"new_leads", "new_mqls", "new_customers", "won_revenue",
		"pipeline_created", "cpl", "cac"
	};
	const cost_scope all = { -1, NULL };
	int p = f->n_months - 1, w0 = window_start(x->cfg, f), i, have;
	size_t k;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		double now = value_of(x, f, keys[k], all, p, p, &have), v;
		int higher = 1, lower = 1, months = 0;
		char month[8];
		xmlNodePtr n;

		if (!have)
			continue;
		for (i = w0; i < p; i++) {
			if (f->first + i < f->first_data)
				continue;
			v = value_of(x, f, keys[k], all, i, i, &have);
			if (!have)
				continue;
			months++;
			higher &= now > v;
			lower &= now < v;
		}
		if (months < 2 || (!higher && !lower))
			continue;
		n = fact(story, higher ? "record-high" : "record-low", keys[k], "all");
		bp_month_format(f->first + p, month);
		xmlNewProp(n, BAD_CAST "month", BAD_CAST month);
		set_number(n, "value", now);
		set_int(n, "months", months + 1);
	}
}

/* The period's targets, as facts. */
static void target_facts(xmlNodePtr story, xmlNodePtr targets, const char *period)
{
	/* A quarter in progress is judged by its pace, so its fact carries
	 * what the sentence needs to say so. */
	static const char *const copy[] = { "metric", "channel", "status", "value",
					    "actual", "vs-target", "better",
					    "quarter", "months-elapsed",
					    "expected", "pace" };
	xmlNodePtr t;
	size_t k;

	for (t = targets->children; t; t = t->next) {
		xmlChar *month = xmlGetProp(t, BAD_CAST "month");
		xmlChar *from = xmlGetProp(t, BAD_CAST "from");
		xmlChar *to = xmlGetProp(t, BAD_CAST "to");
		xmlChar *status = xmlGetProp(t, BAD_CAST "status");
		int now = status && ((month && !strcmp((char *)month, period)) ||
				     (from && to && strcmp((char *)from, period) <= 0 &&
				      strcmp(period, (char *)to) <= 0));

		if (now) {
			xmlNodePtr n = xmlNewChild(story, NULL, BAD_CAST "fact", NULL);

			xmlNewProp(n, BAD_CAST "kind", BAD_CAST "target");
			for (k = 0; k < sizeof(copy) / sizeof(copy[0]); k++) {
				xmlChar *v = xmlGetProp(t, BAD_CAST copy[k]);

				if (v)
					xmlNewProp(n, BAD_CAST copy[k], v);
				xmlFree(v);
			}
		}
		xmlFree(month);
		xmlFree(from);
		xmlFree(to);
		xmlFree(status);
	}
}

/* The largest relative moves of the key figures by channel, month on
 * month and quarter on quarter, among channels with enough volume. */
#define MOVER_MIN 10
#define MOVERS 2
static void movers(xmlNodePtr story, row_ctx *x, const bp_funnel *f)
{
	static const char *const keys[] = {
		"new_leads", "new_mqls", "new_customers", "won_revenue", "cac"
	};
	static const struct { const char *span; int now_from, then_from, len; }
	pairs[] = { { "month", 0, -1, 1 }, { "quarter", -2, -5, 3 } };
	int p = f->n_months - 1;
	size_t s, k;
	int ch;

	for (s = 0; s < sizeof(pairs) / sizeof(pairs[0]); s++) {
		struct { double change, before, after; int ch; size_t key; }
			best[MOVERS] = { { 0, 0, 0, -1, 0 }, { 0, 0, 0, -1, 0 } };
		int then = p + pairs[s].then_from, j;

		if (then < 0 || f->first + then < f->first_data)
			continue;
		for (ch = 0; ch < f->n_channels; ch++)
			for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
				const bp_metric *m = bp_metric_find(keys[k]);
				cost_scope sc = { ch, NULL };
				int h1, h2;
				double a = value_of(x, f, keys[k], sc, p + pairs[s].now_from,
						    p, &h1);
				double b = value_of(x, f, keys[k], sc, then,
						    then + pairs[s].len - 1, &h2);
				double change;

				if (!h1 || !h2 || b <= 0 || a <= 0 ||
				    (m->kind == BP_KIND_COUNT && (a < MOVER_MIN || b < MOVER_MIN)))
					continue;
				change = a / b - 1;
				for (j = 0; j < MOVERS; j++)
					if (best[j].ch < 0 || fabs(change) > fabs(best[j].change)) {
						memmove(&best[j + 1], &best[j],
							(MOVERS - 1 - (size_t)j) * sizeof(best[0]));
						best[j].change = change;
						best[j].before = b;
						best[j].after = a;
						best[j].ch = ch;
						best[j].key = k;
						break;
					}
			}
		for (j = 0; j < MOVERS && best[j].ch >= 0; j++) {
			xmlNodePtr n = fact(story, "mover", keys[best[j].key],
					    x->cfg->channels[best[j].ch].id);

			xmlNewProp(n, BAD_CAST "span", BAD_CAST pairs[s].span);
			set_number(n, "before", best[j].before);
			set_number(n, "after", best[j].after);
			set_fraction(n, "change", best[j].change);
		}
	}
}

/* What the board should watch: a channel that spent over the trailing
 * quarter and won no customer; a stage converting far worse this quarter
 * than over the year. */
static void watch(xmlNodePtr story, row_ctx *x, const bp_funnel *f)
{
	static const struct { const char *metric, *num, *den; } stages[] = {
		{ "lead_to_mql", "new_mqls", "new_leads" },
		{ "mql_to_sql", "new_sqls", "new_mqls" },
		{ "sql_to_opportunity", "new_opportunities", "new_sqls" },
		{ "opportunity_to_customer", "new_customers", "new_opportunities" },
	};
	const cost_scope all = { -1, NULL };
	int p = f->n_months - 1, q0 = p - 2 >= 0 ? p - 2 : 0, y0 = p - 11, ch, h, h2;
	char from[8], to[8];
	size_t k;

	bp_month_format(f->first + q0, from);
	bp_month_format(f->first + p, to);
	for (ch = 0; ch < f->n_channels; ch++) {
		cost_scope sc = { ch, NULL };
		double spend = value_of(x, f, "spend", sc, q0, p, &h);
		double customers = value_of(x, f, "new_customers", sc, q0, p, &h2);
		xmlNodePtr n;

		if (!h || spend <= 0 || !h2 || customers > 0)
			continue;
		n = fact(story, "watch", "spend", x->cfg->channels[ch].id);
		xmlNewProp(n, BAD_CAST "reason", BAD_CAST "spend-without-customers");
		set_money(n, "spend", (bp_money)llround(spend * BP_MONEY_SCALE));
		xmlNewProp(n, BAD_CAST "from", BAD_CAST from);
		xmlNewProp(n, BAD_CAST "to", BAD_CAST to);
	}
	if (y0 < 0 || f->first + y0 < f->first_data)
		return;
	for (k = 0; k < sizeof(stages) / sizeof(stages[0]); k++) {
		int h3, h4;
		double qn = value_of(x, f, stages[k].num, all, q0, p, &h);
		double qd = value_of(x, f, stages[k].den, all, q0, p, &h2);
		double yn = value_of(x, f, stages[k].num, all, y0, p, &h3);
		double yd = value_of(x, f, stages[k].den, all, y0, p, &h4);
		xmlNodePtr n;

		if (!h || !h2 || !h3 || !h4 || qd < MOVER_MIN || yd <= 0 || yn <= 0 ||
		    qn / qd >= 0.8 * (yn / yd))
			continue;
		n = fact(story, "watch", stages[k].metric, "all");
		xmlNewProp(n, BAD_CAST "reason", BAD_CAST "stalling-stage");
		set_fraction(n, "value", qn / qd);
		set_fraction(n, "year", yn / yd);
		xmlNewProp(n, BAD_CAST "from", BAD_CAST from);
		xmlNewProp(n, BAD_CAST "to", BAD_CAST to);
	}
}

static void add_story(xmlNodePtr root, xmlNodePtr targets, const bp_config *cfg,
		      const bp_funnel *f, int *overflow)
{
	xmlNodePtr story = xmlNewChild(root, NULL, BAD_CAST "story", NULL);
	row_ctx x = { cfg, amount_months(cfg), 0, overflow };
	char period[8];

	if (f->first_data == BP_MONTH_NONE)
		return;
	bp_month_format(f->first + f->n_months - 1, period);
	records(story, &x, f);
	target_facts(story, targets, period);
	movers(story, &x, f);
	watch(story, &x, f);
}

/* ---- campaigns: the period's top ten, by leads ---- */

#define TOP_CAMPAIGNS 10

static int by_leads(const void *a, const void *b)
{
	const bp_campaign *x = *(const bp_campaign *const *)a;
	const bp_campaign *y = *(const bp_campaign *const *)b;

	if (x->leads != y->leads)
		return x->leads > y->leads ? -1 : 1;
	if (x->customers != y->customers)
		return x->customers > y->customers ? -1 : 1;
	if (x->spend != y->spend)
		return x->spend > y->spend ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Campaigns with a lead, MQL, customer or spend in the period.  A name
 * only the CRM wrote has no spend and no CPL (not a spend of 0). */
static void add_campaigns(xmlNodePtr root, const bp_config *cfg,
			  const bp_funnel *f)
{
	xmlNodePtr cs = xmlNewChild(root, NULL, BAD_CAST "campaigns", NULL);
	size_t n, i, kept = 0;
	const bp_campaign *list = bp_campaigns_list(f->campaigns, &n);
	const bp_campaign **order = bp_xcalloc(n ? n : 1, sizeof(*order));
	char month[8];

	bp_month_format(f->first + f->n_months - 1, month);
	xmlNewProp(cs, BAD_CAST "month", BAD_CAST month);
	if (bp_campaigns_folded(f->campaigns))
		set_int(cs, "folded", bp_campaigns_folded(f->campaigns));
	for (i = 0; i < n; i++)
		if (list[i].leads || list[i].mqls || list[i].customers ||
		    list[i].spend)
			order[kept++] = &list[i];
	qsort(order, kept, sizeof(*order), by_leads);
	for (i = 0; i < kept && i < TOP_CAMPAIGNS; i++) {
		const bp_campaign *k = order[i];
		xmlNodePtr c = xmlNewChild(cs, NULL, BAD_CAST "campaign", NULL);

		data_text(c, "name", k->name);
		xmlNewProp(c, BAD_CAST "channel",
			   BAD_CAST cfg->channels[k->channel].id);
		set_int(c, "leads", k->leads);
		set_int(c, "mqls", k->mqls);
		set_int(c, "customers", k->customers);
		/* No spend in the period (a paused campaign whose leads come
		 * late) gives no CPL: leads that cost nothing would mislead;
		 * nor does an export that leaves part of the period out. */
		if (k->has_spend &&
		    (bp_funnel_covered(f, k->channel, f->n_months - 1,
				       f->n_months - 1) & BP_COVERS_SPEND)) {
			set_money(c, "spend", k->spend);
			if (k->spend > 0)
				set_money_div(c, "cpl", k->spend, k->leads);
		}
	}
	free(order);
}

/* How the export's columns were found, its own totals, its mismatches by
 * stage and its warnings, under the source's quality element. */
static void add_source_detail(xmlNodePtr s, const bp_quality *q)
{
	size_t k;
	int st;

	for (k = 0; k < q->n_map; k++) {
		xmlNodePtr c;

		/* A field no header is looked for is not one the export lacks. */
		if (q->map[k].unnamed)
			continue;
		c = xmlNewChild(s, NULL, BAD_CAST "field", NULL);

		xmlNewProp(c, BAD_CAST "id", BAD_CAST q->map[k].field);
		xmlNewProp(c, BAD_CAST "required", BAD_CAST (q->map[k].required ? "1" : "0"));
		if (q->map[k].header)
			data_text(c, "header", q->map[k].header);
		else if (q->map[k].by_range)
			xmlNewProp(c, BAD_CAST "by-range", BAD_CAST "1");
	}
	for (st = 0; st < BP_NSTAGES; st++) {
		xmlNodePtr m;

		if (!q->stage_mismatch[st])
			continue;
		m = xmlNewChild(s, NULL, BAD_CAST "stage-mismatch", NULL);
		xmlNewProp(m, BAD_CAST "stage", BAD_CAST bp_stage_name(st));
		set_int(m, "count", q->stage_mismatch[st]);
	}
	for (k = 0; k < q->n_totals; k++) {
		const bp_total *t = &q->totals[k];
		xmlNodePtr n = xmlNewChild(s, NULL, BAD_CAST "total", NULL);

		data_text(n, "label", t->label);
		set_money(n, "cost", t->cost);
		set_money(n, "rows-cost", t->rows_cost);
		if (t->has_impressions) {
			set_int(n, "impressions", t->impressions);
			set_int(n, "rows-impressions", t->rows_impressions);
		}
		if (t->has_clicks) {
			set_int(n, "clicks", t->clicks);
			set_int(n, "rows-clicks", t->rows_clicks);
		}
		xmlNewProp(n, BAD_CAST "matches", BAD_CAST (t->matches ? "1" : "0"));
	}
	for (k = 0; k < q->n_warnings; k++) {
		xmlNodePtr w = xmlNewChild(s, NULL, BAD_CAST "warning", NULL);

		xmlNewProp(w, BAD_CAST "code", BAD_CAST q->warnings[k].code);
		data_text(w, NULL, q->warnings[k].text);
	}
}

/* Every source's warnings in one place, for the report's first page. */
/* The comparisons of METRICS.md as pairs of spans (offsets from the
 * period), for what the config's costs do to them. */
static const struct pair {
	const char *name;
	int now_from, now_to, then_from, then_to;
} pairs[] = {
	{ "month on month", 0, 0, -1, -1 },
	{ "quarter on quarter", -2, 0, -5, -3 },
	{ "year on year", 0, 0, -12, -12 },
	{ "the trailing twelve months", -11, 0, -23, -12 },
};

/* A <cost> label given for some months and for none before them (SDR
 * salaries from the month the config began to list them): a comparison
 * whose recent side has it and whose earlier side, which the data
 * reaches, starts before its first month compares a cost with it against
 * one without, and the cost figures move by it alone.  That may be true
 * (a team hired that month) or a config that lists only recent months:
 * the run says which comparisons it touches. */
static void cost_warnings(xmlNodePtr ws, const bp_config *cfg,
			  const bp_funnel *f)
{
	bp_month period = f->first + f->n_months - 1;
	size_t i, j, k;

	for (i = 0; i < cfg->n_costs; i++) {
		const char *label = cfg->costs[i].label ? cfg->costs[i].label : "";
		bp_month first = cfg->costs[i].month;
		char text[512], names[160] = "", m[8];
		size_t o = 0, hit = 0;
		int seen = 0, months = 0;

		for (j = 0; j < i; j++)
			seen |= !strcmp(cfg->costs[j].label ? cfg->costs[j].label : "", label);
		if (seen)
			continue;
		for (j = i; j < cfg->n_costs; j++)
			if (!strcmp(cfg->costs[j].label ? cfg->costs[j].label : "", label)) {
				months += cfg->costs[j].month != cfg->costs[i].month;
				if (cfg->costs[j].month < first)
					first = cfg->costs[j].month;
			}
		/* A one-off (a trade show's booth) is no cost that was left
		 * out of the months before it. */
		if (!months)
			continue;
		for (k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
			const struct pair *pr = &pairs[k];
			bp_month then = period + pr->then_from;
			int now = 0;

			if (then >= first || f->first_data == BP_MONTH_NONE ||
			    then < f->first_data || then < f->first)
				continue;
			for (j = 0; j < cfg->n_costs; j++)
				now |= !strcmp(cfg->costs[j].label ? cfg->costs[j].label : "",
					       label) &&
				       cfg->costs[j].month >= period + pr->now_from &&
				       cfg->costs[j].month <= period + pr->now_to;
			if (now && o < sizeof(names))
				o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s",
						      hit++ ? ", " : "", pr->name);
		}
		if (!hit)
			continue;
		bp_month_format(first, m);
		snprintf(text, sizeof(text), "<cost> '%s' is given from %s on, and "
			 "%s compare%s a cost that holds it with one from before "
			 "it: cost, CPL, cost per stage, CAC and payback move by it "
			 "alone there; if it was paid before %s too, give those "
			 "months as <cost> entries", label, m, names,
			 hit == 1 && strcmp(names, "the trailing twelve months") ? "s" : "",
			 m);
		{
			xmlNodePtr w = xmlNewChild(ws, NULL, BAD_CAST "warning", NULL);

			xmlNewProp(w, BAD_CAST "source", BAD_CAST "config");
			xmlNewProp(w, BAD_CAST "code", BAD_CAST "cost-entries-start");
			data_text(w, NULL, text);
		}
	}
}

static void add_warnings(xmlNodePtr root, const bp_quality *q, size_t n,
			 const bp_config *cfg, const bp_funnel *f)
{
	xmlNodePtr ws = xmlNewChild(root, NULL, BAD_CAST "warnings", NULL);
	size_t i, k;

	cost_warnings(ws, cfg, f);
	for (i = 0; i < n; i++)
		for (k = 0; k < q[i].n_warnings; k++) {
			xmlNodePtr w = xmlNewChild(ws, NULL, BAD_CAST "warning", NULL);

			xmlNewProp(w, BAD_CAST "source", BAD_CAST q[i].src->id);
			xmlNewProp(w, BAD_CAST "code", BAD_CAST q[i].warnings[k].code);
			data_text(w, NULL, q[i].warnings[k].text);
		}
}

static void add_quality(xmlNodePtr root, const bp_quality *q,
			const bp_source_file *files, size_t n)
{
	xmlNodePtr qs = xmlNewChild(root, NULL, BAD_CAST "quality", NULL);
	xmlNodePtr ss = xmlNewChild(root, NULL, BAD_CAST "sources", NULL);
	size_t i, k;

	for (i = 0; i < n; i++) {
		const bp_source *src = files[i].src;
		xmlNodePtr s = xmlNewChild(qs, NULL, BAD_CAST "source", NULL);
		xmlNodePtr a = xmlNewChild(ss, NULL, BAD_CAST "source", NULL);
		char bytes[32];

		xmlNewProp(s, BAD_CAST "id", BAD_CAST src->id);
		xmlNewProp(s, BAD_CAST "kind", BAD_CAST bp_source_kind_name(src->kind));
		xmlNewProp(s, BAD_CAST "preset", BAD_CAST src->preset);
		xmlNewProp(s, BAD_CAST "file", BAD_CAST files[i].file);
		set_int(s, "rows-read", q[i].rows_read);
		set_int(s, "rows-used", q[i].rows_used);
		set_int(s, "rows-skipped", q[i].rows_read - q[i].rows_used);
		set_int(s, "footer-rows", q[i].footer_rows);
		set_int(s, "duplicates", q[i].duplicates);
		set_int(s, "missing-id", q[i].missing_id);
		set_int(s, "bad-dates", q[i].bad_dates);
		set_int(s, "placeholder-dates", q[i].placeholder_dates);
		set_int(s, "stage-before-create", q[i].stage_before_create);
		set_int(s, "after-as-of", q[i].after_as_of);
		set_int(s, "unmatched-rows", q[i].unmatched_rows);
		set_int(s, "won-without-amount", q[i].won_without_amount);
		set_int(s, "won-without-close-date", q[i].won_without_close_date);
		set_int(s, "lost-without-close-date", q[i].lost_without_close_date);
		set_int(s, "unknown-contact", q[i].unknown_contact);
		if (src->kind == BP_SRC_DEALS)
			set_int(s, "close-before-create", q[i].close_before_create);
		set_int(s, "no-association", q[i].no_association);
		set_int(s, "notes-rows", q[i].notes_rows);
		set_int(s, "narrow-rows", q[i].narrow_rows);
		set_int(s, "wide-rows", q[i].wide_rows);
		if (src->kind == BP_SRC_SPEND)
			set_int(s, "negative-spend", q[i].negative_cost);
		set_int(s, "stage-mismatch", q[i].stage_mismatch_rows);
		set_int(s, "sanitized-values", q[i].sanitized_values);
		set_int(s, "truncated-values", q[i].truncated_values);
		set_int(s, "unlisted-values", q[i].unlisted_values);
		if (q[i].empty_export)
			xmlNewProp(s, BAD_CAST "empty-export", BAD_CAST "1");
		if (q[i].range)
			data_text(s, "dated-by-range", q[i].range);
		for (k = 0; k < q[i].n_unmatched; k++) {
			xmlNodePtr u = xmlNewChild(s, NULL, BAD_CAST "unmatched", NULL);

			data_text(u, "value", q[i].unmatched[k].value);
			set_int(u, "count", q[i].unmatched[k].count);
		}
		add_source_detail(s, &q[i]);

		xmlNewProp(a, BAD_CAST "id", BAD_CAST src->id);
		xmlNewProp(a, BAD_CAST "kind", BAD_CAST bp_source_kind_name(src->kind));
		xmlNewProp(a, BAD_CAST "preset", BAD_CAST src->preset);
		xmlNewProp(a, BAD_CAST "file", BAD_CAST files[i].file);
		snprintf(bytes, sizeof(bytes), "%llu", files[i].bytes);
		xmlNewProp(a, BAD_CAST "bytes", BAD_CAST bytes);
	}
}

static void add_costs(xmlNodePtr root, const bp_config *cfg)
{
	xmlNodePtr cs = xmlNewChild(root, NULL, BAD_CAST "costs", NULL);
	size_t i;

	for (i = 0; i < cfg->n_costs; i++) {
		xmlNodePtr c = xmlNewChild(cs, NULL, BAD_CAST "cost", NULL);
		char month[8];

		bp_month_format(cfg->costs[i].month, month);
		xmlNewProp(c, BAD_CAST "month", BAD_CAST month);
		set_money(c, "amount", cfg->costs[i].amount);
		if (cfg->costs[i].label)
			xmlNewProp(c, BAD_CAST "label", BAD_CAST cfg->costs[i].label);
		if (cfg->costs[i].channel >= 0)
			xmlNewProp(c, BAD_CAST "channel",
				   BAD_CAST cfg->channels[cfg->costs[i].channel].id);
		if (cfg->costs[i].group)
			xmlNewProp(c, BAD_CAST "group", BAD_CAST cfg->costs[i].group);
	}
}

static void add_run(xmlNodePtr root, const bp_config *cfg, const bp_funnel *f,
		    const bp_run_info *run)
{
	xmlNodePtr r = xmlNewChild(root, NULL, BAD_CAST "run", NULL);
	xmlNodePtr rep = xmlNewChild(root, NULL, BAD_CAST "report", NULL);
	char buf[64];

	bp_time_format(run->generated, NULL, buf, sizeof(buf));
	xmlNewProp(r, BAD_CAST "generated", BAD_CAST buf);
	bp_month_format(run->period, buf);
	xmlNewProp(r, BAD_CAST "period", BAD_CAST buf);
	bp_month_format(run->period - 1, buf);
	xmlNewProp(r, BAD_CAST "previous", BAD_CAST buf);
	bp_time_format(run->as_of, f->tz, buf, sizeof(buf));
	xmlNewProp(r, BAD_CAST "as-of", BAD_CAST buf);
	xmlNewProp(r, BAD_CAST "timezone", BAD_CAST cfg->timezone);
	xmlNewProp(r, BAD_CAST "currency", BAD_CAST cfg->currency);
	xmlNewProp(r, BAD_CAST "language", BAD_CAST cfg->language);
	xmlNewProp(r, BAD_CAST "boardpack", BAD_CAST run->version);
	/* The window, not the lookback before it the comparisons read. */
	bp_month_format(f->first + window_start(cfg, f), buf);
	xmlNewProp(r, BAD_CAST "window-start", BAD_CAST buf);
	bp_month_format(f->first + f->n_months - 1, buf);
	xmlNewProp(r, BAD_CAST "window-end", BAD_CAST buf);
	set_int(r, "months", f->n_months - window_start(cfg, f));
	xmlNewProp(r, BAD_CAST "funnel", BAD_CAST bp_funnel_mode_name(f->mode));

	xmlNewProp(rep, BAD_CAST "title", BAD_CAST cfg->title);
	if (cfg->has_gross_margin) {
		snprintf(buf, sizeof(buf), "%.4f", cfg->gross_margin);
		xmlNewProp(rep, BAD_CAST "gross-margin", BAD_CAST buf);
	}
}

xmlDocPtr bp_model_build(const bp_config *cfg, const bp_funnel *f,
			 const bp_quality *q, const bp_source_file *files,
			 size_t n_sources, const bp_run_info *run, bp_err *err)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root;
	int overflow = 0;

	root = xmlNewNode(NULL, BAD_CAST "metrics");
	xmlDocSetRootElement(doc, root);
	xmlNewProp(root, BAD_CAST "version", BAD_CAST "1");
	add_run(root, cfg, f, run);
	add_channels(root, cfg);
	add_numbers(root, cfg, f, &overflow);
	add_costs(root, cfg);
	add_comparisons(root, cfg, f, &overflow);
	add_story(root, add_targets(root, cfg, f, &overflow), cfg, f, &overflow);
	add_campaigns(root, cfg, f);
	add_quality(root, q, files, n_sources);
	add_warnings(root, q, n_sources, cfg, f);
	if (overflow) {
		xmlFreeDoc(doc);
		bp_err_set(err, BP_EDATA, "a sum over channels, groups or months "
			   "overflows: the exports' amounts or counts together do "
			   "not fit in 64 bits");
		return NULL;
	}
	return doc;
}

/* ---- drift since the previous snapshot ---- */

/* The first child element of the root called `name`, or NULL. */
static xmlNodePtr section(xmlDocPtr doc, const char *name);

/* The previous document's cohort row for (cohort, channel), or NULL.
 * Rows are written in (cohort, channel) order, so one forward scan over
 * both documents would do; a lookup keeps this short and the documents
 * hold at most a few thousand rows. */
static xmlNodePtr find_cohort(xmlNodePtr rows, const xmlChar *cohort,
			      const xmlChar *channel)
{
	xmlNodePtr r;

	for (r = rows ? rows->children : NULL; r; r = r->next) {
		xmlChar *c = xmlGetProp(r, BAD_CAST "cohort");
		xmlChar *ch = xmlGetProp(r, BAD_CAST "channel");
		int hit = c && ch && xmlStrEqual(c, cohort) && xmlStrEqual(ch, channel);

		xmlFree(c);
		xmlFree(ch);
		if (hit)
			return r;
	}
	return NULL;
}

static void drift_row(xmlNodePtr drift, xmlNodePtr now, xmlNodePtr then,
		      const xmlChar *cohort, const xmlChar *channel)
{
	const bp_metric *m;
	size_t k, count;

	/* The cohort's counts and money, not its ratios: they follow. */
	for (m = bp_metrics(&count), k = 0; k < count; k++, m++) {
		xmlChar *a, *b;

		if (m->section != BP_SECTION_COHORT || m->kind == BP_KIND_RATIO)
			continue;
		a = xmlGetProp(now, BAD_CAST m->name);
		b = xmlGetProp(then, BAD_CAST m->name);

		if (a && b && !xmlStrEqual(a, b)) {
			xmlNodePtr c = xmlNewChild(drift, NULL, BAD_CAST "change", NULL);
			double d = strtod((char *)a, NULL) - strtod((char *)b, NULL);
			char buf[48];

			xmlNewProp(c, BAD_CAST "cohort", cohort);
			xmlNewProp(c, BAD_CAST "channel", channel);
			xmlNewProp(c, BAD_CAST "metric", BAD_CAST m->name);
			xmlNewProp(c, BAD_CAST "before", b);
			xmlNewProp(c, BAD_CAST "after", a);
			if (m->kind == BP_KIND_MONEY)
				snprintf(buf, sizeof(buf), "%+.2f", d);
			else
				snprintf(buf, sizeof(buf), "%+.0f", d);
			xmlNewProp(c, BAD_CAST "change", BAD_CAST buf);
		}
		xmlFree(a);
		xmlFree(b);
	}
}

/* A contact stays in the cohort of its creation, and a later run counts
 * every contact an earlier one did (merges and deletions take a few): the
 * cohorts both snapshots hold losing more than a twentieth of their
 * contacts means a contacts export cut at a line end, filtered, or from
 * elsewhere, which no row of it can show.  A warning of the run's. */
#define SHRINK_SHARE 0.05
#define SHRINK_MIN 10
static void shrank(xmlNodePtr root, double before, double after,
		   const char *prev_stamp)
{
	xmlNodePtr n, w;
	char text[400];

	if (before - after < SHRINK_MIN || after >= before * (1 - SHRINK_SHARE))
		return;
	snprintf(text, sizeof(text), "the cohorts this run shares with the "
		 "snapshot %s held %.0f contacts there and hold %.0f now (%.0f%% "
		 "fewer), but a contact stays in the cohort it was created in: "
		 "was the contacts export cut short, filtered, or taken from "
		 "another portal?", prev_stamp, before, after,
		 100 * (before - after) / before);
	for (n = root->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, "warnings"))
			break;
	if (!n)
		n = xmlNewChild(root, NULL, BAD_CAST "warnings", NULL);
	w = xmlNewChild(n, NULL, BAD_CAST "warning", NULL);
	xmlNewProp(w, BAD_CAST "source", BAD_CAST "drift");
	xmlNewProp(w, BAD_CAST "code", BAD_CAST "contacts-shrank");
	data_text(w, NULL, text);
}

void bp_model_drift(xmlDocPtr metrics, xmlDocPtr prev, const char *prev_stamp)
{
	xmlNodePtr root = xmlDocGetRootElement(metrics);
	xmlNodePtr drift = xmlNewChild(root, NULL, BAD_CAST "drift", NULL);
	xmlNodePtr prun = section(prev, "run");
	xmlNodePtr now = section(metrics, "cohorts"), then = section(prev, "cohorts");
	xmlNodePtr r;
	static const char *const run_attrs[] = { "period", "as-of", "generated" };
	size_t k;
	double before = 0, after = 0;
	int have;

	xmlNewProp(drift, BAD_CAST "previous", BAD_CAST prev_stamp);
	for (k = 0; prun && k < 3; k++) {
		xmlChar *v = xmlGetProp(prun, BAD_CAST run_attrs[k]);
		char name[32];

		snprintf(name, sizeof(name), "previous-%s", run_attrs[k]);
		if (v)
			xmlNewProp(drift, BAD_CAST name, v);
		xmlFree(v);
	}
	for (r = now ? now->children : NULL; r; r = r->next) {
		xmlChar *cohort = xmlGetProp(r, BAD_CAST "cohort");
		xmlChar *channel = xmlGetProp(r, BAD_CAST "channel");
		xmlNodePtr old = cohort && channel ? find_cohort(then, cohort, channel) : NULL;

		if (old)
			drift_row(drift, r, old, cohort, channel);
		if (old && !strcmp((char *)channel, "all")) {
			before += attr_number(old, "contacts", &have);
			after += attr_number(r, "contacts", &have);
		}
		xmlFree(cohort);
		xmlFree(channel);
	}
	shrank(root, before, after, prev_stamp);
}

/* ---- CSV from the document ---- */

/* One CSV file of a section of metrics.xml: the row's key columns, then
 * every metric of the section, in the table's order.  Built in memory and
 * written in one checked piece, so a write that fails says why. */
static int write_csv(xmlNodePtr rows, const char *key, bp_section sec,
		     const char *path, bp_err *err)
{
	char *text = NULL;
	size_t len = 0, i, count, last = 0;
	FILE *out = open_memstream(&text, &len);
	const bp_metric *metrics, *m;
	xmlNodePtr row;
	int rc;

	if (!out)
		bp_oom();
	metrics = bp_metrics(&count);
	for (m = metrics, i = 0; i < count; i++, m++)
		if (m->section == sec)
			last = i;
	fprintf(out, "%s,channel,", key);
	for (m = metrics, i = 0; i < count; i++, m++)
		if (m->section == sec)
			bp_csv_put(out, m->name, i == last ? '\n' : ',');
	for (row = rows->children; row; row = row->next) {
		xmlChar *k = xmlGetProp(row, BAD_CAST key);
		xmlChar *ch = xmlGetProp(row, BAD_CAST "channel");

		bp_csv_put(out, (const char *)k, ',');
		bp_csv_put(out, (const char *)ch, ',');
		xmlFree(k);
		xmlFree(ch);
		for (m = metrics, i = 0; i < count; i++, m++) {
			xmlChar *v;

			if (m->section != sec)
				continue;
			v = xmlGetProp(row, BAD_CAST m->name);
			bp_csv_put(out, (const char *)v, i == last ? '\n' : ',');
			xmlFree(v);
		}
	}
	/* A memory stream fails only for want of memory. */
	if (ferror(out) | (fclose(out) != 0) || !text)
		bp_oom();
	rc = bp_fs_write_new(path, text, len, 0600, err);
	free(text);
	return rc;
}

static xmlNodePtr section(xmlDocPtr doc, const char *name)
{
	xmlNodePtr n;

	for (n = xmlDocGetRootElement(doc)->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

xmlDocPtr bp_model_read(const char *dir)
{
	char *path = bp_fs_join(dir, "metrics.xml");
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET |
				    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

	free(path);
	if (doc && !xmlDocGetRootElement(doc)) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	return doc;
}

void bp_model_run_attr(xmlDocPtr doc, const char *name, char *buf, size_t size)
{
	xmlNodePtr run = section(doc, "run");
	xmlChar *v = run ? xmlGetProp(run, BAD_CAST name) : NULL;

	snprintf(buf, size, "%s", v ? (char *)v : "");
	xmlFree(v);
}

/* metrics.xml, serialised in memory and written in one checked piece:
 * libxml2's own file output prints its I/O errors on stderr and does not
 * say why it failed. */
static int write_xml(xmlDocPtr metrics, const char *path, bp_err *err)
{
	xmlChar *text = NULL;
	int len = 0, rc;

	xmlDocDumpFormatMemoryEnc(metrics, &text, &len, "UTF-8", 1);
	if (!text || len < 0)
		return bp_err_set(err, BP_ESOFTWARE, "libxml2 cannot serialise "
				  "metrics.xml");
	rc = bp_fs_write_new(path, text, (size_t)len, 0600, err);
	xmlFree(text);
	return rc;
}

int bp_model_write(xmlDocPtr metrics, const char *dir, bp_err *err)
{
	char *path = bp_fs_join(dir, "cohorts.csv");
	int rc = write_csv(section(metrics, "cohorts"), "cohort",
			   BP_SECTION_COHORT, path, err);

	free(path);
	path = bp_fs_join(dir, "channels.csv");
	if (rc == 0)
		rc = write_csv(section(metrics, "economics"), "month",
			       BP_SECTION_ECONOMICS, path, err);
	free(path);
	path = bp_fs_join(dir, "metrics.xml");
	if (rc == 0)
		rc = write_xml(metrics, path, err);
	free(path);
	return rc;
}
