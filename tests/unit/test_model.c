/*
 * test_model.c - every derived column of METRICS.md on one hand-computed
 * month, and the CSV files written from it.
 *
 * The case: window of one month (2026-10), channels paid (0) and other
 * (1), a 500.00 non-ad cost in October, gross margin 0.75, annual deal
 * amounts.  paid: spend 1000.00, 50000 impressions, 250 clicks, entered
 * 40 leads, 10 MQLs, 5 SQLs, 4 opportunities, 2 customers (cycles of 30
 * and 45 days), 2 won deals worth 24000.00, 1000 sessions of which 600
 * engaged, 800 new users.  other: no spend, 10 leads, 1 customer, 1 won
 * deal worth 12000.00.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "testlib.h"

typedef struct fixture {
	bp_config cfg;
	bp_channel channels[2];
	bp_source deals;
	bp_cost cost;
	bp_target target[2];
	bp_tz *tz;
	bp_funnel *f;
	xmlDocPtr doc;
	bp_err err;
} fixture;

static int setup(void **state)
{
	fixture *x = calloc(1, sizeof(*x));
	bp_err err = { 0 };
	bp_month oct = 2026 * 12 + 9;
	bp_month_cell *p, *o;
	bp_run_info run = { 0, oct, 0, "test" };

	x->channels[0] = (bp_channel){ "paid", "Paid", "Paid" };
	x->channels[1] = (bp_channel){ "other", "Other", "Other" };
	x->deals.kind = BP_SRC_DEALS;
	x->deals.id = "deals";
	x->deals.preset = "hubspot";
	x->cost = (bp_cost){ oct, 500 * BP_MONEY_SCALE, "SDR", -1, NULL };
	x->target[0] = (bp_target){ oct, "customers", NULL, 4, 0 };
	x->target[1] = (bp_target){ oct, "cac", NULL, 1000, 0 };
	x->cfg.title = "Test";
	x->cfg.timezone = "UTC";
	x->cfg.currency = "USD";
	x->cfg.language = "en";
	x->cfg.months = 1;
	x->cfg.gross_margin = 0.75;
	x->cfg.has_gross_margin = 1;
	x->cfg.channels = x->channels;
	x->cfg.n_channels = 2;
	x->cfg.sources = &x->deals;
	x->cfg.n_sources = 1;
	x->cfg.costs = &x->cost;
	x->cfg.n_costs = 1;
	x->cfg.targets = x->target;
	x->cfg.n_targets = 2;
	x->tz = bp_tz_load("UTC", &err);
	x->f = bp_funnel_new(x->tz, 0, oct, 1, 2);
	x->f->has[0] = x->f->has[1] = BP_HAS_ALL_SPEND | BP_HAS_ALL_TRAFFIC;

	p = bp_funnel_month(x->f, oct, 0);
	p->spend = 1000 * BP_MONEY_SCALE;
	p->impressions = 50000;
	p->clicks = 250;
	p->ctr_impressions = p->impressions;
	p->cpc_spend = p->spend;
	p->entered[BP_LEAD] = 40;
	p->entered[BP_MQL] = 10;
	p->entered[BP_SQL] = 5;
	p->entered[BP_OPPORTUNITY] = 4;
	p->entered[BP_CUSTOMER] = 2;
	p->cycle_seconds = 75 * 86400;
	p->cycle_contacts = 2;
	p->won_deals = 2;
	p->won_revenue = 24000 * BP_MONEY_SCALE;
	p->sessions = 1000;
	p->engaged_sessions = 600;
	p->new_users = 800;
	p->bounce_sessions = p->sessions;
	o = bp_funnel_month(x->f, oct, 1);
	o->entered[BP_LEAD] = 10;
	o->entered[BP_CUSTOMER] = 1;
	o->won_deals = 1;
	o->won_revenue = 12000 * BP_MONEY_SCALE;

	x->doc = bp_model_build(&x->cfg, x->f, NULL, NULL, 0, &run, &x->err);
	assert_non_null(x->doc);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fixture *x = *state;

	xmlFreeDoc(x->doc);
	bp_funnel_free(x->f);
	bp_tz_free(x->tz);
	free(x);
	return 0;
}

/* The attribute `name` of the first row of `section` whose channel is
 * `channel` and, when `span` is not NULL, whose span is `span`; NULL when
 * there is none or it lacks the attribute. */
static char *row_attr(xmlDocPtr doc, const char *section, const char *span,
		      const char *channel, const char *name)
{
	static char buf[64];
	xmlNodePtr s, r;

	for (s = xmlDocGetRootElement(doc)->children; s; s = s->next) {
		if (strcmp((const char *)s->name, section) != 0)
			continue;
		for (r = s->children; r; r = r->next) {
			xmlChar *ch = xmlGetProp(r, BAD_CAST "channel");
			xmlChar *sp = span ? xmlGetProp(r, BAD_CAST "span") : NULL;
			xmlChar *v = NULL;

			if (ch && !strcmp((char *)ch, channel) &&
			    (!span || (sp && !strcmp((char *)sp, span))))
				v = xmlGetProp(r, BAD_CAST name);
			xmlFree(ch);
			xmlFree(sp);
			if (v) {
				snprintf(buf, sizeof(buf), "%s", (char *)v);
				xmlFree(v);
				return buf;
			}
		}
	}
	return NULL;
}

/* The attribute `name` of the economics row of `channel`, or NULL. */
static char *econ(fixture *x, const char *channel, const char *name)
{
	return row_attr(x->doc, "economics", NULL, channel, name);
}

static void test_model_cost_ratios_per_channel(void **state)
{
	fixture *x = *state;

	assert_string_equal(econ(x, "paid", "cost"), "1000.00");
	assert_string_equal(econ(x, "paid", "cpl"), "25.00");
	assert_string_equal(econ(x, "paid", "cost_per_mql"), "100.00");
	assert_string_equal(econ(x, "paid", "cost_per_sql"), "200.00");
	assert_string_equal(econ(x, "paid", "cost_per_opportunity"), "250.00");
	assert_string_equal(econ(x, "paid", "cac"), "500.00");
}

static void test_model_ctr_cpc_and_bounce_rate(void **state)
{
	fixture *x = *state;

	assert_string_equal(econ(x, "paid", "ctr"), "0.005000");
	assert_string_equal(econ(x, "paid", "cpc"), "4.00");
	assert_string_equal(econ(x, "paid", "bounce_rate"), "0.400000");
}

static void test_model_deal_economics_and_payback(void **state)
{
	fixture *x = *state;

	assert_string_equal(econ(x, "paid", "avg_deal_size"), "12000.00");
	assert_string_equal(econ(x, "paid", "new_mrr"), "2000.00");
	assert_string_equal(econ(x, "paid", "arpa"), "1000.00");
	/* 500 / (1000 * 0.75) = 0.666... */
	assert_string_equal(econ(x, "paid", "cac_payback_months"), "0.67");
	assert_string_equal(econ(x, "paid", "avg_sales_cycle_days"), "37.5");
}

static void test_model_zero_denominator_is_absent(void **state)
{
	fixture *x = *state;

	assert_null(econ(x, "other", "ctr"));
	assert_null(econ(x, "other", "cpc"));
	assert_null(econ(x, "other", "cost_per_mql"));
	assert_null(econ(x, "other", "bounce_rate"));
	assert_null(econ(x, "other", "avg_sales_cycle_days"));
	/* A zero cost over real leads is a real zero. */
	assert_string_equal(econ(x, "other", "cpl"), "0.00");
}

/* Rebuilds the fixture's document after the test changed its funnel. */
static void rebuild(fixture *x)
{
	bp_run_info run = { 0, 2026 * 12 + 9, 0, "test" };

	xmlFreeDoc(x->doc);
	x->doc = bp_model_build(&x->cfg, x->f, NULL, NULL, 0, &run, &x->err);
	assert_non_null(x->doc);
}

static void test_model_no_bounce_rate_without_engaged_sessions(void **state)
{
	fixture *x = *state;

	x->f->has[0] &= ~(unsigned)BP_HAS_ENGAGED;
	x->f->has[1] &= ~(unsigned)BP_HAS_ENGAGED;
	rebuild(x);
	assert_null(econ(x, "paid", "bounce_rate"));
	assert_string_equal(econ(x, "paid", "sessions"), "1000");
}

/* Cells that each fit but whose sum does not: the all row over two
 * channels, and a channel's spend with the month's <cost>.  The funnel's
 * bounds refuse such rows when they come from exports; the model checks
 * its own sums all the same. */
static void test_model_sum_that_overflows_is_error(void **state)
{
	fixture *x = *state;
	bp_run_info run = { 0, 2026 * 12 + 9, 0, "test" };
	bp_month_cell *p = bp_funnel_month(x->f, 2026 * 12 + 9, 0);
	bp_month_cell *o = bp_funnel_month(x->f, 2026 * 12 + 9, 1);

	xmlFreeDoc(x->doc);
	p->spend = p->cpc_spend = INT64_MAX / 2 + 1;
	o->spend = o->cpc_spend = INT64_MAX / 2 + 1;
	x->doc = bp_model_build(&x->cfg, x->f, NULL, NULL, 0, &run, &x->err);
	assert_null(x->doc);
	assert_int_equal(x->err.code, BP_EDATA);
	assert_non_null(strstr(x->err.msg, "overflows"));

	/* spend alone fits; spend + the 500.00 <cost> on all does not. */
	o->spend = o->cpc_spend = 0;
	p->spend = p->cpc_spend = INT64_MAX - 100;
	bp_err_clear(&x->err);
	x->doc = bp_model_build(&x->cfg, x->f, NULL, NULL, 0, &run, &x->err);
	assert_null(x->doc);
	assert_int_equal(x->err.code, BP_EDATA);

	/* Back under: a document again. */
	p->spend = p->cpc_spend = INT64_MAX - 500 * BP_MONEY_SCALE;
	bp_err_clear(&x->err);
	x->doc = bp_model_build(&x->cfg, x->f, NULL, NULL, 0, &run, &x->err);
	assert_non_null(x->doc);
}

static void test_model_all_row_adds_non_ad_costs(void **state)
{
	fixture *x = *state;

	assert_string_equal(econ(x, "all", "spend"), "1000.00");
	assert_string_equal(econ(x, "all", "cost"), "1500.00");
	assert_string_equal(econ(x, "all", "new_leads"), "50");
	assert_string_equal(econ(x, "all", "cpl"), "30.00");
	assert_string_equal(econ(x, "all", "cac"), "500.00");
	assert_string_equal(econ(x, "all", "new_mrr"), "3000.00");
	assert_string_equal(econ(x, "all", "cac_payback_months"), "0.67");
}

static void test_model_target_attainment(void **state)
{
	fixture *x = *state;
	xmlNodePtr s, t = NULL;
	xmlChar *actual, *att, *metric;

	for (s = xmlDocGetRootElement(x->doc)->children; s; s = s->next)
		if (strcmp((const char *)s->name, "targets") == 0)
			t = s->children;
	assert_non_null(t);
	metric = xmlGetProp(t, BAD_CAST "metric");
	actual = xmlGetProp(t, BAD_CAST "actual");
	att = xmlGetProp(t, BAD_CAST "attainment");
	assert_string_equal((char *)metric, "new_customers");
	assert_string_equal((char *)actual, "3");
	assert_string_equal((char *)att, "0.750000");
	xmlFree(metric);
	xmlFree(actual);
	xmlFree(att);
}

/* For a cost, attainment is target over actual: a CAC of 500 against a
 * target of 1000 is 200% attained. */
static void test_model_target_attainment_lower_is_better(void **state)
{
	fixture *x = *state;
	xmlNodePtr s, t = NULL;
	xmlChar *att, *better;

	for (s = xmlDocGetRootElement(x->doc)->children; s; s = s->next)
		if (strcmp((const char *)s->name, "targets") == 0)
			t = s->children->next;
	assert_non_null(t);
	att = xmlGetProp(t, BAD_CAST "attainment");
	better = xmlGetProp(t, BAD_CAST "better");
	assert_string_equal((char *)att, "2.000000");
	assert_string_equal((char *)better, "lower");
	xmlFree(att);
	xmlFree(better);
}

static void test_model_csv_columns_and_empty_ratio(void **state)
{
	fixture *x = *state;
	char *dir = tl_tmpdir("/tmp/bp-model-XXXXXX"), path[256], line[2048];
	bp_err err = { 0 };
	FILE *in;
	int found = 0;

	assert_int_equal(bp_model_write(x->doc, dir, &err), 0);
	snprintf(path, sizeof(path), "%s/cohorts.csv", dir);
	in = fopen(path, "r");
	assert_non_null(in);
	assert_non_null(fgets(line, sizeof(line), in));
	assert_string_equal(line, "cohort,channel,contacts,leads,mqls,sqls,"
			    "opportunities,customers,contact_to_lead,lead_to_mql,"
			    "mql_to_sql,sql_to_opportunity,opportunity_to_customer,"
			    "lead_to_customer,won_deals,won_revenue\n");
	/* No contacts in the cohort: every ratio is an empty field. */
	while (fgets(line, sizeof(line), in))
		if (strncmp(line, "2026-10,paid,", 13) == 0) {
			assert_string_equal(line, "2026-10,paid,0,0,0,0,0,0,,,,,,,0,0.00\n");
			found = 1;
		}
	fclose(in);
	assert_true(found);
	snprintf(path, sizeof(path), "%s/channels.csv", dir);
	in = fopen(path, "r");
	assert_non_null(in);
	assert_non_null(fgets(line, sizeof(line), in));
	assert_non_null(strstr(line, "month,channel,spend,cost,impressions,clicks,ctr,cpc,"));
	/* METRICS.md: the pipeline columns are appended after the others. */
	assert_non_null(strstr(line, ",sessions,new_users,engaged_sessions,bounce_rate,"
			       "pipeline_created,lost_deals,win_rate,open_pipeline,roas\n"));
	fclose(in);
	tl_rmtree(dir);
	free(dir);
}

/* A metrics.xml that cannot be written (a folder is in its place) is an
 * error that names the file and says why, and nothing is printed: only
 * main prints. */
static void test_model_write_error_says_why_and_prints_nothing(void **state)
{
	fixture *x = *state;
	char *dir = tl_tmpdir("/tmp/bp-model-XXXXXX"), *printed, want[512];
	char *out = tl_tmpdir("/tmp/bp-model-stderr-XXXXXX");
	const char *log = tl_path(out, "stderr");
	bp_err err = { 0 };
	int saved = dup(STDERR_FILENO), fd, rc;

	assert_int_equal(mkdir(tl_path(dir, "metrics.xml"), 0700), 0);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	rc = bp_model_write(x->doc, dir, &err);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, BP_ECANTCREAT);
	snprintf(want, sizeof(want), "%s/metrics.xml': ", dir);
	assert_non_null(strstr(err.msg, want));
	assert_true(strlen(strstr(err.msg, want)) > strlen(want));
	printed = tl_read_file(log, NULL);
	assert_string_equal(printed, "");
	free(printed);
	tl_rmtree(out);
	free(out);
	tl_rmtree(dir);
	free(dir);
}

/* A spend export that has no day of October: paid's spend is not known,
 * so nothing made from it exists there, nor on `all`; the CRM's figures
 * stay, and so does the channel the export does not feed. */
static void test_model_month_a_spend_export_lacks_has_no_spend(void **state)
{
	fixture *x = *state;
	bp_month oct = 2026 * 12 + 9;
	static const char *const gone[] = { "spend", "cost", "impressions",
		"clicks", "ctr", "cpc", "cpl", "cost_per_mql", "cac",
		"cac_payback_months", "roas" };
	size_t i;

	assert_int_equal(bp_funnel_cover(x->f, 0, BP_COVERS_SPEND,
					 bp_month_start(x->tz, oct + 1),
					 bp_month_end(x->tz, oct + 1), NULL), 1);
	rebuild(x);
	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		if (econ(x, "paid", gone[i]))
			fail_msg("paid has %s", gone[i]);
		if (econ(x, "all", gone[i]))
			fail_msg("all has %s", gone[i]);
	}
	assert_string_equal(econ(x, "paid", "new_leads"), "40");
	assert_string_equal(econ(x, "paid", "won_revenue"), "24000.00");
	assert_string_equal(econ(x, "paid", "sessions"), "1000");
	assert_string_equal(econ(x, "other", "cpl"), "0.00");
}

static void test_model_month_a_traffic_export_lacks_has_no_sessions(void **state)
{
	fixture *x = *state;
	bp_month oct = 2026 * 12 + 9;

	bp_funnel_cover(x->f, -1, BP_COVERS_TRAFFIC, bp_month_start(x->tz, oct + 1),
			bp_month_end(x->tz, oct + 1), NULL);
	rebuild(x);
	assert_null(econ(x, "paid", "sessions"));
	assert_null(econ(x, "other", "new_users"));
	assert_null(econ(x, "all", "bounce_rate"));
	assert_string_equal(econ(x, "paid", "spend"), "1000.00");
}

/* Without a traffic source, sessions are absent, not 0. */
static void test_model_no_sessions_without_a_traffic_source(void **state)
{
	fixture *x = *state;

	x->f->has[0] &= ~(unsigned)BP_HAS_ALL_TRAFFIC;
	x->f->has[1] &= ~(unsigned)BP_HAS_ALL_TRAFFIC;
	rebuild(x);
	assert_null(econ(x, "paid", "sessions"));
	assert_null(econ(x, "all", "sessions"));
}

/* The attribute `name` of the comparisons row of `span` and `channel`. */
static char *span_attr(xmlDocPtr doc, const char *span, const char *channel,
		       const char *name)
{
	return row_attr(doc, "comparisons", span, channel, name);
}

/* A span that holds a month the export has no day of has no spend: the
 * quarter and the trailing twelve months, not the month or the one
 * before. */
static void test_model_span_over_an_uncovered_month_has_no_spend(void **state)
{
	fixture *x = *state;
	bp_month oct = 2026 * 12 + 9, m;
	bp_run_info run = { 0, oct, 0, "test" };
	bp_funnel *f = bp_funnel_new(x->tz, bp_month_end(x->tz, oct), oct, 13, 2);
	xmlDocPtr doc;

	f->has[0] = f->has[1] = BP_HAS_ALL_SPEND;
	f->first_data = f->first;
	for (m = f->first; m <= oct; m++) {
		bp_funnel_month(f, m, 0)->spend = 100 * BP_MONEY_SCALE;
		bp_funnel_month(f, m, 0)->entered[BP_LEAD] = 10;
	}
	/* The export covers 2026-09-01 to 2026-10-31: August has no day. */
	bp_funnel_cover(f, 0, BP_COVERS_SPEND, bp_month_start(x->tz, oct - 1),
			bp_month_end(x->tz, oct), NULL);
	x->cfg.months = 1;
	doc = bp_model_build(&x->cfg, f, NULL, NULL, 0, &run, &x->err);
	assert_non_null(doc);
	assert_string_equal(span_attr(doc, "month", "paid", "spend"), "100.00");
	assert_string_equal(span_attr(doc, "previous-month", "paid", "cpl"), "10.00");
	assert_null(span_attr(doc, "quarter", "paid", "spend"));
	assert_null(span_attr(doc, "quarter", "all", "cpl"));
	assert_null(span_attr(doc, "trailing-12", "paid", "cac"));
	assert_string_equal(span_attr(doc, "quarter", "paid", "new_leads"), "30");
	/* The other channel's spend is not the export's to take. */
	assert_string_equal(span_attr(doc, "quarter", "other", "spend"), "0.00");
	xmlFreeDoc(doc);
	bp_funnel_free(f);
}

/* The text of the config's warning `code` in doc, or NULL. */
static char *config_warning(xmlDocPtr doc, const char *code)
{
	static char buf[1024];
	xmlNodePtr s, w;

	for (s = xmlDocGetRootElement(doc)->children; s; s = s->next) {
		if (strcmp((const char *)s->name, "warnings") != 0)
			continue;
		for (w = s->children; w; w = w->next) {
			xmlChar *c = xmlGetProp(w, BAD_CAST "code");
			xmlChar *src = xmlGetProp(w, BAD_CAST "source");
			int hit = c && src && !strcmp((char *)c, code) &&
				  !strcmp((char *)src, "config");

			xmlFree(c);
			xmlFree(src);
			if (hit) {
				xmlChar *t = xmlNodeGetContent(w);

				snprintf(buf, sizeof(buf), "%s", (char *)t);
				xmlFree(t);
				return buf;
			}
		}
	}
	return NULL;
}

/* A cost given for the last three months only: quarter on quarter and
 * year on year compare a cost with it against one without, month on
 * month does not; a one-off in a month no recent span holds says
 * nothing. */
static void test_model_cost_entries_starting_late_warned(void **state)
{
	fixture *x = *state;
	bp_month oct = 2026 * 12 + 9;
	bp_run_info run = { 0, oct, 0, "test" };
	bp_funnel *f = bp_funnel_new(x->tz, bp_month_end(x->tz, oct), oct, 13, 2);
	bp_cost costs[4] = {
		{ oct - 2, 100 * BP_MONEY_SCALE, "SDR", 0, NULL },
		{ oct - 1, 100 * BP_MONEY_SCALE, "SDR", 0, NULL },
		{ oct, 100 * BP_MONEY_SCALE, "SDR", 0, NULL },
		{ oct - 8, 900 * BP_MONEY_SCALE, "Booth", 0, NULL },
	};
	xmlDocPtr doc;
	const char *w;

	f->has[0] = f->has[1] = BP_HAS_ALL_SPEND;
	f->first_data = f->first;
	x->cfg.costs = costs;
	x->cfg.n_costs = 4;
	x->cfg.n_targets = 0;
	doc = bp_model_build(&x->cfg, f, NULL, NULL, 0, &run, &x->err);
	assert_non_null(doc);
	w = config_warning(doc, "cost-entries-start");
	assert_non_null(w);
	assert_non_null(strstr(w, "<cost> 'SDR' is given from 2026-08 on, and "
			       "quarter on quarter, year on year compare a cost"));
	assert_null(strstr(w, "month on month"));
	assert_null(strstr(w, "Booth"));
	xmlFreeDoc(doc);
	/* Given from a year before the period on, it touches nothing the data
	 * reaches. */
	costs[0].month = oct - 12;
	doc = bp_model_build(&x->cfg, f, NULL, NULL, 0, &run, &x->err);
	assert_null(config_warning(doc, "cost-entries-start"));
	xmlFreeDoc(doc);
	/* A one-off in the period itself is no recurring cost left out of
	 * the months before it. */
	costs[3].month = oct;
	doc = bp_model_build(&x->cfg, f, NULL, NULL, 0, &run, &x->err);
	assert_null(config_warning(doc, "cost-entries-start"));
	xmlFreeDoc(doc);
	bp_funnel_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_model_cost_ratios_per_channel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_cost_entries_starting_late_warned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_month_a_spend_export_lacks_has_no_spend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_month_a_traffic_export_lacks_has_no_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_no_sessions_without_a_traffic_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_span_over_an_uncovered_month_has_no_spend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_ctr_cpc_and_bounce_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_deal_economics_and_payback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_zero_denominator_is_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_all_row_adds_non_ad_costs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_sum_that_overflows_is_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_no_bounce_rate_without_engaged_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_target_attainment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_target_attainment_lower_is_better, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_csv_columns_and_empty_ratio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_write_error_says_why_and_prints_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
