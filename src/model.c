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

#include "fs.h"
#include "metric.h"
#include "num.h"

/* ---- attribute writers: absent when the value does not exist ---- */

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

/* One economics row.  `key` and `value` name the row ("channel", id) or
 * ("group", name); its cell's cost is set. */
static void econ_row(xmlNodePtr parent, const row_ctx *x, const char *month,
		     const char *key, const char *value, const bp_month_cell *c)
{
	xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST "row", NULL);
	const bp_metric *m;
	size_t i, count;

	xmlNewProp(n, BAD_CAST "month", BAD_CAST month);
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

/* The <cost> entries of month m a row takes. */
static bp_money row_costs(const bp_config *cfg, bp_month m, cost_scope sc)
{
	bp_money sum = 0;
	size_t i;

	for (i = 0; i < cfg->n_costs; i++)
		if (cfg->costs[i].month == m && cost_lands(cfg, &cfg->costs[i], sc))
			sum += cfg->costs[i].amount;
	return sum;
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

static void add_numbers(xmlNodePtr root, const bp_config *cfg,
			const bp_funnel *f)
{
	xmlNodePtr win = xmlNewChild(root, NULL, BAD_CAST "window", NULL);
	xmlNodePtr coh = xmlNewChild(root, NULL, BAD_CAST "cohorts", NULL);
	xmlNodePtr eco = xmlNewChild(root, NULL, BAD_CAST "economics", NULL);
	xmlNodePtr grp = xmlNewChild(root, NULL, BAD_CAST "groups-economics", NULL);
	row_ctx x = { cfg, amount_months(cfg), 0 };
	const cost_scope all = { -1, NULL };
	int i, ch;
	size_t g;

	for (i = 0; i < f->n_months; i++) {
		bp_month m = f->first + i;
		char month[8];
		bp_cohort_cell call;
		bp_month_cell mall, c;

		bp_month_format(m, month);
		xmlNewProp(xmlNewChild(win, NULL, BAD_CAST "month", NULL),
			   BAD_CAST "id", BAD_CAST month);
		for (ch = 0; ch < f->n_channels; ch++) {
			cost_scope sc = { ch, NULL };

			cohort_row(coh, month, cfg->channels[ch].id,
				   bp_funnel_cohort(f, m, ch));
			c = *bp_funnel_month(f, m, ch);
			c.cost = c.spend + row_costs(cfg, m, sc);
			x.has = f->has[ch] |
				(carries_cost(cfg, f, sc) ? BP_NEEDS_COST : 0);
			econ_row(eco, &x, month, "channel", cfg->channels[ch].id, &c);
		}
		bp_funnel_sum_cohort(f, i, &call);
		cohort_row(coh, month, "all", &call);
		bp_funnel_sum_month(f, i, &mall);
		mall.cost = mall.spend + row_costs(cfg, m, all);
		x.has = bp_funnel_has_all(f) |
			(carries_cost(cfg, f, all) ? BP_NEEDS_COST : 0);
		econ_row(eco, &x, month, "channel", "all", &mall);

		for (g = 0; g < cfg->n_channels; g++) {
			bp_month_cell sum = { 0 };
			cost_scope sc = { -1, cfg->channels[g].group };

			if (group_seen(cfg, g, sc.group))
				continue;
			x.has = carries_cost(cfg, f, sc) ? BP_NEEDS_COST : 0;
			for (ch = 0; ch < f->n_channels; ch++)
				if (strcmp(cfg->channels[ch].group, sc.group) == 0) {
					bp_month_cell_add(&sum, bp_funnel_month(f, m, ch));
					x.has |= f->has[ch];
				}
			sum.cost = sum.spend + row_costs(cfg, m, sc);
			econ_row(grp, &x, month, "group", sc.group, &sum);
		}
	}
}

/* The row of economics for (month, channel), or NULL. */
static xmlNodePtr econ_find(xmlNodePtr eco, const char *month, const char *ch)
{
	xmlNodePtr n;

	for (n = eco->children; n; n = n->next) {
		xmlChar *m = xmlGetProp(n, BAD_CAST "month");
		xmlChar *c = xmlGetProp(n, BAD_CAST "channel");
		int hit = m && c && strcmp((char *)m, month) == 0 &&
			  strcmp((char *)c, ch) == 0;

		xmlFree(m);
		xmlFree(c);
		if (hit)
			return n;
	}
	return NULL;
}

/* The row of cohorts for (cohort, channel), or NULL. */
static xmlNodePtr cohort_find(xmlNodePtr coh, const char *month, const char *ch)
{
	xmlNodePtr n;

	for (n = coh->children; n; n = n->next) {
		xmlChar *m = xmlGetProp(n, BAD_CAST "cohort");
		xmlChar *c = xmlGetProp(n, BAD_CAST "channel");
		int hit = m && c && strcmp((char *)m, month) == 0 &&
			  strcmp((char *)c, ch) == 0;

		xmlFree(m);
		xmlFree(c);
		if (hit)
			return n;
	}
	return NULL;
}

static xmlNodePtr child_named(xmlNodePtr root, const char *name)
{
	xmlNodePtr n;

	for (n = root->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
			return n;
	return NULL;
}

static void add_targets(xmlNodePtr root, const bp_config *cfg)
{
	xmlNodePtr eco = child_named(root, "economics");
	xmlNodePtr coh = child_named(root, "cohorts");
	xmlNodePtr ts = xmlNewChild(root, NULL, BAD_CAST "targets", NULL);
	size_t i;

	for (i = 0; i < cfg->n_targets; i++) {
		const bp_target *t = &cfg->targets[i];
		const bp_metric *m = bp_metric_target(t->metric);
		const char *ch = t->channel ? t->channel : "all";
		char month[8], val[64];
		xmlNodePtr row = NULL, tn;
		xmlChar *actual;

		bp_month_format(t->month, month);
		tn = xmlNewChild(ts, NULL, BAD_CAST "target", NULL);
		xmlNewProp(tn, BAD_CAST "month", BAD_CAST month);
		xmlNewProp(tn, BAD_CAST "metric", BAD_CAST (m ? m->name : t->metric));
		xmlNewProp(tn, BAD_CAST "channel", BAD_CAST ch);
		snprintf(val, sizeof(val), "%.15g", t->value);
		xmlNewProp(tn, BAD_CAST "value", BAD_CAST val);
		if (m)
			row = m->section == BP_SECTION_ECONOMICS ?
			      econ_find(eco, month, ch) : cohort_find(coh, month, ch);
		actual = row ? xmlGetProp(row, BAD_CAST m->name) : NULL;
		xmlNewProp(tn, BAD_CAST "better",
			   BAD_CAST (m && m->better == BP_BETTER_LOWER ? "lower" : "higher"));
		if (actual) {
			double a = strtod((char *)actual, NULL);

			xmlNewProp(tn, BAD_CAST "actual", actual);
			/* 100% is on target and more is better, either way: for a
			 * cost, a CAC of half the target is 200% attained. */
			if (m->better == BP_BETTER_LOWER)
				set_ratio(tn, "attainment", t->value, a, 6);
			else
				set_ratio(tn, "attainment", a, t->value, 6);
			xmlFree(actual);
		}
	}
}

/* How the export's columns were found, its own totals, its mismatches by
 * stage and its warnings, under the source's quality element. */
static void add_source_detail(xmlNodePtr s, const bp_quality *q)
{
	size_t k;
	int st;

	for (k = 0; k < q->n_map; k++) {
		xmlNodePtr c = xmlNewChild(s, NULL, BAD_CAST "field", NULL);

		xmlNewProp(c, BAD_CAST "id", BAD_CAST q->map[k].field);
		xmlNewProp(c, BAD_CAST "required", BAD_CAST (q->map[k].required ? "1" : "0"));
		if (q->map[k].header)
			xmlNewProp(c, BAD_CAST "header", BAD_CAST q->map[k].header);
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

		xmlNewProp(n, BAD_CAST "label", BAD_CAST t->label);
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
		xmlNodeAddContent(w, BAD_CAST q->warnings[k].text);
	}
}

/* Every source's warnings in one place, for the report's first page. */
static void add_warnings(xmlNodePtr root, const bp_quality *q, size_t n)
{
	xmlNodePtr ws = xmlNewChild(root, NULL, BAD_CAST "warnings", NULL);
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < q[i].n_warnings; k++) {
			xmlNodePtr w = xmlNewChild(ws, NULL, BAD_CAST "warning", NULL);

			xmlNewProp(w, BAD_CAST "source", BAD_CAST q[i].src->id);
			xmlNewProp(w, BAD_CAST "code", BAD_CAST q[i].warnings[k].code);
			xmlNodeAddContent(w, BAD_CAST q[i].warnings[k].text);
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
		set_int(s, "stage-before-create", q[i].stage_before_create);
		set_int(s, "after-as-of", q[i].after_as_of);
		set_int(s, "unmatched-rows", q[i].unmatched_rows);
		set_int(s, "won-without-amount", q[i].won_without_amount);
		set_int(s, "won-without-close-date", q[i].won_without_close_date);
		set_int(s, "lost-without-close-date", q[i].lost_without_close_date);
		set_int(s, "unknown-contact", q[i].unknown_contact);
		set_int(s, "no-association", q[i].no_association);
		set_int(s, "notes-rows", q[i].notes_rows);
		set_int(s, "stage-mismatch", q[i].stage_mismatch_rows);
		if (q[i].empty_export)
			xmlNewProp(s, BAD_CAST "empty-export", BAD_CAST "1");
		if (q[i].range)
			xmlNewProp(s, BAD_CAST "dated-by-range", BAD_CAST q[i].range);
		for (k = 0; k < q[i].n_unmatched; k++) {
			xmlNodePtr u = xmlNewChild(s, NULL, BAD_CAST "unmatched", NULL);

			xmlNewProp(u, BAD_CAST "value", BAD_CAST q[i].unmatched[k].value);
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
	bp_month_format(f->first, buf);
	xmlNewProp(r, BAD_CAST "window-start", BAD_CAST buf);
	bp_month_format(f->first + f->n_months - 1, buf);
	xmlNewProp(r, BAD_CAST "window-end", BAD_CAST buf);
	set_int(r, "months", f->n_months);
	xmlNewProp(r, BAD_CAST "funnel", BAD_CAST bp_funnel_mode_name(f->mode));

	xmlNewProp(rep, BAD_CAST "title", BAD_CAST cfg->title);
	if (cfg->has_gross_margin) {
		snprintf(buf, sizeof(buf), "%.4f", cfg->gross_margin);
		xmlNewProp(rep, BAD_CAST "gross-margin", BAD_CAST buf);
	}
}

xmlDocPtr bp_model_build(const bp_config *cfg, const bp_funnel *f,
			 const bp_quality *q, const bp_source_file *files,
			 size_t n_sources, const bp_run_info *run)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root;

	root = xmlNewNode(NULL, BAD_CAST "metrics");
	xmlDocSetRootElement(doc, root);
	xmlNewProp(root, BAD_CAST "version", BAD_CAST "1");
	add_run(root, cfg, f, run);
	add_channels(root, cfg);
	add_numbers(root, cfg, f);
	add_costs(root, cfg);
	add_targets(root, cfg);
	add_quality(root, q, files, n_sources);
	add_warnings(root, q, n_sources);
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

void bp_model_drift(xmlDocPtr metrics, xmlDocPtr prev, const char *prev_stamp)
{
	xmlNodePtr root = xmlDocGetRootElement(metrics);
	xmlNodePtr drift = xmlNewChild(root, NULL, BAD_CAST "drift", NULL);
	xmlNodePtr prun = section(prev, "run");
	xmlNodePtr now = section(metrics, "cohorts"), then = section(prev, "cohorts");
	xmlNodePtr r;
	static const char *const run_attrs[] = { "period", "as-of", "generated" };
	size_t k;

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
		xmlFree(cohort);
		xmlFree(channel);
	}
}

/* ---- CSV from the document ---- */

static void csv_field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* One CSV file of a section of metrics.xml: the row's key columns, then
 * every metric of the section, in the table's order. */
static int write_csv(xmlNodePtr rows, const char *key, bp_section sec,
		     const char *path, bp_err *err)
{
	FILE *out = fopen(path, "w");
	const bp_metric *metrics, *m;
	size_t i, count;
	xmlNodePtr row;

	if (!out)
		return bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", path,
				  strerror(errno));
	metrics = bp_metrics(&count);
	fprintf(out, "%s,channel", key);
	for (m = metrics, i = 0; i < count; i++, m++)
		if (m->section == sec)
			fprintf(out, ",%s", m->name);
	fputc('\n', out);
	for (row = rows->children; row; row = row->next) {
		xmlChar *k = xmlGetProp(row, BAD_CAST key);
		xmlChar *ch = xmlGetProp(row, BAD_CAST "channel");

		csv_field(out, k ? (const char *)k : "");
		fputc(',', out);
		csv_field(out, ch ? (const char *)ch : "");
		xmlFree(k);
		xmlFree(ch);
		for (m = metrics, i = 0; i < count; i++, m++) {
			xmlChar *v;

			if (m->section != sec)
				continue;
			fputc(',', out);
			v = xmlGetProp(row, BAD_CAST m->name);
			if (v)
				csv_field(out, (const char *)v);
			xmlFree(v);
		}
		fputc('\n', out);
	}
	if (ferror(out) | (fclose(out) != 0))
		return bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", path,
				  strerror(errno));
	return 0;
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
	if (rc == 0 && xmlSaveFormatFileEnc(path, metrics, "UTF-8", 1) < 0)
		rc = bp_err_set(err, BP_ECANTCREAT, "cannot write '%s'", path);
	free(path);
	return rc;
}
