/*
 * metric.c - the table of every reported number (metric.h), in the order
 * of METRICS.md and of the CSV files' columns.
 */
#include "metric.h"

#include <string.h>

#define C BP_SECTION_COHORT
#define E BP_SECTION_ECONOMICS
#define LOWER BP_BETTER_LOWER
#define HIGHER BP_BETTER_HIGHER
#define CLICKS BP_HAS_CLICKS
#define COST BP_NEEDS_COST
#define SPENT BP_COVERS_SPEND
#define VISITS BP_COVERS_TRAFFIC

/* One row per metric: the rows look alike by design (metric.h). */
static const bp_metric table[] = {
	/* cohorts.csv */
	{ "contacts", C, BP_KIND_COUNT, B_CONTACTS, B_NONE, 0, HIGHER },
	{ "leads", C, BP_KIND_COUNT, B_LEADS, B_NONE, 0, HIGHER },
	{ "mqls", C, BP_KIND_COUNT, B_MQLS, B_NONE, 0, HIGHER },
	{ "sqls", C, BP_KIND_COUNT, B_SQLS, B_NONE, 0, HIGHER },
	{ "opportunities", C, BP_KIND_COUNT, B_OPPORTUNITIES, B_NONE, 0, HIGHER },
	{ "customers", C, BP_KIND_COUNT, B_CUSTOMERS, B_NONE, 0, HIGHER },
	{ "contact_to_lead", C, BP_KIND_RATIO, B_LEADS, B_CONTACTS, 0, HIGHER },
	{ "lead_to_mql", C, BP_KIND_RATIO, B_MQLS, B_LEADS, 0, HIGHER },
	{ "mql_to_sql", C, BP_KIND_RATIO, B_SQLS, B_MQLS, 0, HIGHER },
	{ "sql_to_opportunity", C, BP_KIND_RATIO, B_OPPORTUNITIES, B_SQLS, 0, HIGHER },
	{ "opportunity_to_customer", C, BP_KIND_RATIO, B_CUSTOMERS, B_OPPORTUNITIES, 0, HIGHER },
	{ "lead_to_customer", C, BP_KIND_RATIO, B_CUSTOMERS, B_LEADS, 0, HIGHER },
	{ "won_deals", C, BP_KIND_COUNT, B_WON_DEALS, B_NONE, 0, HIGHER },
	{ "won_revenue", C, BP_KIND_MONEY, B_WON_REVENUE, B_NONE, 0, HIGHER },

	/* channels.csv */
	{ "spend", E, BP_KIND_MONEY, B_SPEND, B_NONE, SPENT, LOWER },
	{ "cost", E, BP_KIND_MONEY, B_COST, B_NONE, SPENT, LOWER },
	{ "impressions", E, BP_KIND_COUNT, B_IMPRESSIONS, B_NONE, SPENT, HIGHER },
	{ "clicks", E, BP_KIND_COUNT, B_CLICKS, B_NONE, CLICKS | SPENT, HIGHER },
	{ "ctr", E, BP_KIND_RATIO, B_CLICKS, B_CTR_IMPRESSIONS, CLICKS | SPENT, HIGHER },
	{ "cpc", E, BP_KIND_MONEY_PER, B_CPC_SPEND, B_CLICKS, CLICKS | SPENT, LOWER },
	{ "new_leads", E, BP_KIND_COUNT, B_NEW_LEADS, B_NONE, 0, HIGHER },
	{ "new_mqls", E, BP_KIND_COUNT, B_NEW_MQLS, B_NONE, 0, HIGHER },
	{ "new_sqls", E, BP_KIND_COUNT, B_NEW_SQLS, B_NONE, 0, HIGHER },
	{ "new_opportunities", E, BP_KIND_COUNT, B_NEW_OPPORTUNITIES, B_NONE, 0, HIGHER },
	{ "new_customers", E, BP_KIND_COUNT, B_NEW_CUSTOMERS, B_NONE, 0, HIGHER },
	{ "cpl", E, BP_KIND_MONEY_PER, B_COST, B_NEW_LEADS, COST | SPENT, LOWER },
	{ "cost_per_mql", E, BP_KIND_MONEY_PER, B_COST, B_NEW_MQLS, COST | SPENT, LOWER },
	{ "cost_per_sql", E, BP_KIND_MONEY_PER, B_COST, B_NEW_SQLS, COST | SPENT, LOWER },
	{ "cost_per_opportunity", E, BP_KIND_MONEY_PER, B_COST, B_NEW_OPPORTUNITIES, COST | SPENT, LOWER },
	{ "cac", E, BP_KIND_MONEY_PER, B_COST, B_NEW_CUSTOMERS, COST | SPENT, LOWER },
	{ "won_deals", E, BP_KIND_COUNT, B_WON_DEALS, B_NONE, 0, HIGHER },
	{ "won_revenue", E, BP_KIND_MONEY, B_WON_REVENUE, B_NONE, 0, HIGHER },
	{ "avg_deal_size", E, BP_KIND_MONEY_PER, B_WON_REVENUE, B_WON_DEALS, 0, HIGHER },
	{ "avg_sales_cycle_days", E, BP_KIND_DAYS, B_CYCLE_SECONDS, B_CYCLE_CONTACTS, 0, LOWER },
	{ "new_mrr", E, BP_KIND_SPECIAL, B_WON_REVENUE, B_NONE, 0, HIGHER },
	{ "arpa", E, BP_KIND_SPECIAL, B_WON_REVENUE, B_WON_DEALS, 0, HIGHER },
	{ "cac_payback_months", E, BP_KIND_SPECIAL, B_COST, B_NEW_CUSTOMERS, COST | SPENT, LOWER },
	{ "sessions", E, BP_KIND_COUNT, B_SESSIONS, B_NONE, BP_HAS_TRAFFIC | VISITS, HIGHER },
	{ "new_users", E, BP_KIND_COUNT, B_NEW_USERS, B_NONE, BP_HAS_NEW_USERS | VISITS, HIGHER },
	{ "engaged_sessions", E, BP_KIND_COUNT, B_ENGAGED_SESSIONS, B_NONE, BP_HAS_ENGAGED | VISITS, HIGHER },
	{ "bounce_rate", E, BP_KIND_SPECIAL, B_ENGAGED_SESSIONS, B_BOUNCE_SESSIONS, BP_HAS_ENGAGED | VISITS, LOWER },
	{ "pipeline_created", E, BP_KIND_MONEY, B_PIPELINE_CREATED, B_NONE, 0, HIGHER },
	{ "lost_deals", E, BP_KIND_COUNT, B_LOST_DEALS, B_NONE, 0, LOWER },
	{ "win_rate", E, BP_KIND_RATIO, B_WON_DEALS, B_DECIDED_DEALS, 0, HIGHER },
	{ "open_pipeline", E, BP_KIND_MONEY, B_OPEN_PIPELINE, B_NONE, BP_STOCK, HIGHER },
	{ "roas", E, BP_KIND_RATIO, B_WON_REVENUE, B_SPEND, SPENT, HIGHER },
};
#define N_METRICS (sizeof(table) / sizeof(table[0]))

const bp_metric *bp_metrics(size_t *n)
{
	*n = N_METRICS;
	return table;
}

static const bp_metric *find(const char *name, int section)
{
	size_t i;

	for (i = 0; name && i < N_METRICS; i++)
		if ((section < 0 || (int)table[i].section == section) &&
		    strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

const bp_metric *bp_metric_find(const char *name)
{
	return find(name, -1);
}

const bp_metric *bp_metric_target(const char *name)
{
	static const char *const stages[] = {
		"leads", "mqls", "sqls", "opportunities", "customers"
	};
	char econ[64];
	size_t i;

	for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		if (name && strcmp(name, stages[i]) == 0) {
			strcpy(econ, "new_");
			strcat(econ, stages[i]);
			return find(econ, BP_SECTION_ECONOMICS);
		}
	return find(name, BP_SECTION_ECONOMICS) ? find(name, BP_SECTION_ECONOMICS) :
	       find(name, BP_SECTION_COHORT);
}

long long bp_metric_base_cohort(const bp_cohort_cell *c, bp_base b)
{
	switch (b) {
	case B_CONTACTS: return c->contacts;
	case B_LEADS: return c->reached[BP_LEAD];
	case B_MQLS: return c->reached[BP_MQL];
	case B_SQLS: return c->reached[BP_SQL];
	case B_OPPORTUNITIES: return c->reached[BP_OPPORTUNITY];
	case B_CUSTOMERS: return c->reached[BP_CUSTOMER];
	case B_WON_DEALS: return c->won_deals;
	case B_WON_REVENUE: return c->won_revenue;
	default: return 0;
	}
}

long long bp_metric_base_month(const bp_month_cell *c, bp_base b)
{
	switch (b) {
	case B_WON_DEALS: return c->won_deals;
	case B_WON_REVENUE: return c->won_revenue;
	case B_SPEND: return c->spend;
	case B_COST: return c->cost;
	case B_IMPRESSIONS: return c->impressions;
	case B_CLICKS: return c->clicks;
	case B_CTR_IMPRESSIONS: return c->ctr_impressions;
	case B_CPC_SPEND: return c->cpc_spend;
	case B_NEW_LEADS: return c->entered[BP_LEAD];
	case B_NEW_MQLS: return c->entered[BP_MQL];
	case B_NEW_SQLS: return c->entered[BP_SQL];
	case B_NEW_OPPORTUNITIES: return c->entered[BP_OPPORTUNITY];
	case B_NEW_CUSTOMERS: return c->entered[BP_CUSTOMER];
	case B_CYCLE_SECONDS: return c->cycle_seconds;
	case B_CYCLE_CONTACTS: return c->cycle_contacts;
	case B_SESSIONS: return c->sessions;
	case B_NEW_USERS: return c->new_users;
	case B_ENGAGED_SESSIONS: return c->engaged_sessions;
	case B_BOUNCE_SESSIONS: return c->bounce_sessions;
	case B_LOST_DEALS: return c->lost_deals;
	case B_DECIDED_DEALS: return c->won_deals + c->lost_deals;
	case B_PIPELINE_CREATED: return c->pipeline_created;
	case B_OPEN_PIPELINE: return c->open_pipeline;
	default: return 0;
	}
}
