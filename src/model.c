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
#include "num.h"

#define CSV_COHORT_COLS 16
#define CSV_ECON_COLS 29

static const char *const cohort_cols[CSV_COHORT_COLS] = {
	"cohort", "channel", "contacts", "leads", "mqls", "sqls",
	"opportunities", "customers", "contact_to_lead", "lead_to_mql",
	"mql_to_sql", "sql_to_opportunity", "opportunity_to_customer",
	"lead_to_customer", "won_deals", "won_revenue"
};

static const char *const econ_cols[CSV_ECON_COLS] = {
	"month", "channel", "spend", "cost", "impressions", "clicks", "ctr",
	"cpc", "new_leads", "new_mqls", "new_sqls", "new_opportunities",
	"new_customers", "cpl", "cost_per_mql", "cost_per_sql",
	"cost_per_opportunity", "cac", "won_deals", "won_revenue",
	"avg_deal_size", "avg_sales_cycle_days", "new_mrr", "arpa",
	"cac_payback_months", "sessions", "new_users", "engaged_sessions",
	"bounce_rate"
};

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

static void cohort_row(xmlNodePtr parent, const char *month, const char *ch,
		       const bp_cohort_cell *c)
{
	xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST "row", NULL);
	static const char *const stage_cols[BP_NSTAGES] = {
		"leads", "mqls", "sqls", "opportunities", "customers"
	};
	int s;

	xmlNewProp(n, BAD_CAST "cohort", BAD_CAST month);
	xmlNewProp(n, BAD_CAST "channel", BAD_CAST ch);
	set_int(n, "contacts", c->contacts);
	for (s = 0; s < BP_NSTAGES; s++)
		set_int(n, stage_cols[s], c->reached[s]);
	set_ratio(n, "contact_to_lead", (double)c->reached[BP_LEAD], (double)c->contacts, 6);
	set_ratio(n, "lead_to_mql", (double)c->reached[BP_MQL], (double)c->reached[BP_LEAD], 6);
	set_ratio(n, "mql_to_sql", (double)c->reached[BP_SQL], (double)c->reached[BP_MQL], 6);
	set_ratio(n, "sql_to_opportunity", (double)c->reached[BP_OPPORTUNITY],
		  (double)c->reached[BP_SQL], 6);
	set_ratio(n, "opportunity_to_customer", (double)c->reached[BP_CUSTOMER],
		  (double)c->reached[BP_OPPORTUNITY], 6);
	set_ratio(n, "lead_to_customer", (double)c->reached[BP_CUSTOMER],
		  (double)c->reached[BP_LEAD], 6);
	set_int(n, "won_deals", c->won_deals);
	set_money(n, "won_revenue", c->won_revenue);
}

/* One economics row.  `extra` is the non-ad cost added on `all`; `key` and
 * `value` name the row ("channel", id) or ("group", name); `has` says
 * which figures its sources have (BP_HAS_*): the others are absent. */
static void econ_row(xmlNodePtr parent, const bp_config *cfg,
		     const char *month, const char *key, const char *value,
		     const bp_month_cell *c, bp_money extra, unsigned has)
{
	xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST "row", NULL);
	static const char *const new_cols[BP_NSTAGES] = {
		"new_leads", "new_mqls", "new_sqls", "new_opportunities",
		"new_customers"
	};
	const bp_source *deals = bp_config_source(cfg, BP_SRC_DEALS);
	/* Deal amounts are annual contract values unless the config says
	 * monthly; MRR is the monthly figure. */
	int64_t per = deals && deals->amount_monthly ? 1 : 12;
	bp_money cost = c->spend + extra;
	int s;

	xmlNewProp(n, BAD_CAST "month", BAD_CAST month);
	xmlNewProp(n, BAD_CAST key, BAD_CAST value);
	set_money(n, "spend", c->spend);
	set_money(n, "cost", cost);
	set_int(n, "impressions", c->impressions);
	if (has & BP_HAS_CLICKS) {
		set_int(n, "clicks", c->clicks);
		set_ratio(n, "ctr", (double)c->clicks, (double)c->ctr_impressions, 6);
		set_money_div(n, "cpc", c->cpc_spend, c->clicks);
	}
	for (s = 0; s < BP_NSTAGES; s++)
		set_int(n, new_cols[s], c->entered[s]);
	set_money_div(n, "cpl", cost, c->entered[BP_LEAD]);
	set_money_div(n, "cost_per_mql", cost, c->entered[BP_MQL]);
	set_money_div(n, "cost_per_sql", cost, c->entered[BP_SQL]);
	set_money_div(n, "cost_per_opportunity", cost, c->entered[BP_OPPORTUNITY]);
	set_money_div(n, "cac", cost, c->entered[BP_CUSTOMER]);
	set_int(n, "won_deals", c->won_deals);
	set_money(n, "won_revenue", c->won_revenue);
	set_money_div(n, "avg_deal_size", c->won_revenue, c->won_deals);
	set_ratio(n, "avg_sales_cycle_days", (double)c->cycle_seconds,
		  (double)c->cycle_contacts * 86400.0, 1);
	set_money_div(n, "new_mrr", c->won_revenue, per);
	set_money_div(n, "arpa", c->won_revenue, per * c->won_deals);
	if (cfg->has_gross_margin && c->entered[BP_CUSTOMER] && c->won_deals) {
		double cac = money_d(cost) / (double)c->entered[BP_CUSTOMER];
		double arpa = money_d(c->won_revenue) / (double)(per * c->won_deals);

		set_ratio(n, "cac_payback_months", cac, arpa * cfg->gross_margin, 2);
	}
	set_int(n, "sessions", c->sessions);
	if (has & BP_HAS_NEW_USERS)
		set_int(n, "new_users", c->new_users);
	if (has & BP_HAS_ENGAGED) {
		set_int(n, "engaged_sessions", c->engaged_sessions);
		set_ratio(n, "bounce_rate",
			  (double)(c->bounce_sessions - c->engaged_sessions),
			  (double)c->bounce_sessions, 6);
	}
}

static bp_money extra_cost(const bp_config *cfg, bp_month m)
{
	bp_money sum = 0;
	size_t i;

	for (i = 0; i < cfg->n_costs; i++)
		if (cfg->costs[i].month == m)
			sum += cfg->costs[i].amount;
	return sum;
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

static void add_numbers(xmlNodePtr root, const bp_config *cfg,
			const bp_funnel *f)
{
	xmlNodePtr win = xmlNewChild(root, NULL, BAD_CAST "window", NULL);
	xmlNodePtr coh = xmlNewChild(root, NULL, BAD_CAST "cohorts", NULL);
	xmlNodePtr eco = xmlNewChild(root, NULL, BAD_CAST "economics", NULL);
	xmlNodePtr grp = xmlNewChild(root, NULL, BAD_CAST "groups-economics", NULL);
	int i, ch;
	size_t g;

	for (i = 0; i < f->n_months; i++) {
		bp_month m = f->first + i;
		char month[8];
		bp_cohort_cell call;
		bp_month_cell mall;

		bp_month_format(m, month);
		xmlNewProp(xmlNewChild(win, NULL, BAD_CAST "month", NULL),
			   BAD_CAST "id", BAD_CAST month);
		for (ch = 0; ch < f->n_channels; ch++) {
			cohort_row(coh, month, cfg->channels[ch].id,
				   bp_funnel_cohort(f, m, ch));
			econ_row(eco, cfg, month, "channel", cfg->channels[ch].id,
				 bp_funnel_month(f, m, ch), 0, f->has[ch]);
		}
		bp_funnel_sum_cohort(f, i, &call);
		cohort_row(coh, month, "all", &call);
		bp_funnel_sum_month(f, i, &mall);
		econ_row(eco, cfg, month, "channel", "all", &mall,
			 extra_cost(cfg, m), bp_funnel_has_all(f));

		for (g = 0; g < cfg->n_channels; g++) {
			bp_month_cell sum = { 0 };
			const char *name = cfg->channels[g].group;
			unsigned has = 0;

			if (group_seen(cfg, g, name))
				continue;
			for (ch = 0; ch < f->n_channels; ch++)
				if (strcmp(cfg->channels[ch].group, name) == 0) {
					bp_month_cell_add(&sum, bp_funnel_month(f, m, ch));
					has |= f->has[ch];
				}
			econ_row(grp, cfg, month, "group", name, &sum, 0, has);
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

/* Costs, durations and the bounce rate are better when lower. */
static int lower_is_better(const char *col)
{
	static const char *const lower[] = {
		"spend", "cost", "cpc", "cpl", "cost_per_mql", "cost_per_sql",
		"cost_per_opportunity", "cac", "cac_payback_months",
		"avg_sales_cycle_days", "bounce_rate"
	};
	size_t i;

	for (i = 0; i < sizeof(lower) / sizeof(lower[0]); i++)
		if (strcmp(col, lower[i]) == 0)
			return 1;
	return 0;
}

static void add_targets(xmlNodePtr root, const bp_config *cfg)
{
	xmlNodePtr eco = NULL, ts, n;
	size_t i;

	for (n = root->children; n; n = n->next)
		if (strcmp((const char *)n->name, "economics") == 0)
			eco = n;
	ts = xmlNewChild(root, NULL, BAD_CAST "targets", NULL);
	for (i = 0; i < cfg->n_targets; i++) {
		const bp_target *t = &cfg->targets[i];
		const char *ch = t->channel ? t->channel : "all";
		static const char *const short_names[] = {
			"leads", "mqls", "sqls", "opportunities", "customers"
		};
		char month[8], col[64], val[64];
		xmlNodePtr row, tn;
		xmlChar *actual;
		size_t k;

		bp_month_format(t->month, month);
		snprintf(col, sizeof(col), "%s", t->metric);
		for (k = 0; k < 5; k++)
			if (strcmp(t->metric, short_names[k]) == 0)
				snprintf(col, sizeof(col), "new_%s", short_names[k]);
		tn = xmlNewChild(ts, NULL, BAD_CAST "target", NULL);
		xmlNewProp(tn, BAD_CAST "month", BAD_CAST month);
		xmlNewProp(tn, BAD_CAST "metric", BAD_CAST col);
		xmlNewProp(tn, BAD_CAST "channel", BAD_CAST ch);
		snprintf(val, sizeof(val), "%.15g", t->value);
		xmlNewProp(tn, BAD_CAST "value", BAD_CAST val);
		row = eco ? econ_find(eco, month, ch) : NULL;
		actual = row ? xmlGetProp(row, BAD_CAST col) : NULL;
		xmlNewProp(tn, BAD_CAST "better",
			   BAD_CAST (lower_is_better(col) ? "lower" : "higher"));
		if (actual) {
			double a = strtod((char *)actual, NULL);

			xmlNewProp(tn, BAD_CAST "actual", actual);
			/* 100% is on target and more is better, either way: for a
			 * cost, a CAC of half the target is 200% attained. */
			if (lower_is_better(col))
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

static const char *const drift_cols[] = {
	"contacts", "leads", "mqls", "sqls", "opportunities", "customers",
	"won_deals", "won_revenue"
};

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
	size_t k;

	for (k = 0; k < sizeof(drift_cols) / sizeof(drift_cols[0]); k++) {
		xmlChar *a = xmlGetProp(now, BAD_CAST drift_cols[k]);
		xmlChar *b = xmlGetProp(then, BAD_CAST drift_cols[k]);

		if (a && b && !xmlStrEqual(a, b)) {
			xmlNodePtr c = xmlNewChild(drift, NULL, BAD_CAST "change", NULL);
			double d = strtod((char *)a, NULL) - strtod((char *)b, NULL);
			char buf[48];

			xmlNewProp(c, BAD_CAST "cohort", cohort);
			xmlNewProp(c, BAD_CAST "channel", channel);
			xmlNewProp(c, BAD_CAST "metric", BAD_CAST drift_cols[k]);
			xmlNewProp(c, BAD_CAST "before", b);
			xmlNewProp(c, BAD_CAST "after", a);
			if (strcmp(drift_cols[k], "won_revenue") == 0)
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

static int write_csv(xmlNodePtr section, const char *const *cols, size_t n,
		     const char *path, bp_err *err)
{
	FILE *out = fopen(path, "w");
	xmlNodePtr row;
	size_t i;

	if (!out)
		return bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", path,
				  strerror(errno));
	for (i = 0; i < n; i++) {
		fputs(cols[i], out);
		fputc(i + 1 < n ? ',' : '\n', out);
	}
	for (row = section->children; row; row = row->next) {
		for (i = 0; i < n; i++) {
			xmlChar *v = xmlGetProp(row, BAD_CAST cols[i]);

			if (v)
				csv_field(out, (const char *)v);
			xmlFree(v);
			fputc(i + 1 < n ? ',' : '\n', out);
		}
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
	char path[4096];

	snprintf(path, sizeof(path), "%s/cohorts.csv", dir);
	if (write_csv(section(metrics, "cohorts"), cohort_cols, CSV_COHORT_COLS,
		      path, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/channels.csv", dir);
	if (write_csv(section(metrics, "economics"), econ_cols, CSV_ECON_COLS,
		      path, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/metrics.xml", dir);
	if (xmlSaveFormatFileEnc(path, metrics, "UTF-8", 1) < 0)
		return bp_err_set(err, BP_ECANTCREAT, "cannot write '%s'", path);
	return 0;
}
