/*
 * metric.h - every number boardpack reports, in one table.
 *
 * Each row of cohorts.csv and channels.csv, each attribute of their rows in
 * metrics.xml, each metric a <target> may name and which way is better, is
 * a row of this table, in file order: a metric is added with one line
 * here (and its label in each language's label file).  The definitions are
 * METRICS.md's; a figure is computed from the sums of one cell (a cohort
 * cell or a month cell) as its numerator over its denominator, in its
 * kind's units, and is absent when the denominator is 0 or the cell's
 * sources lack what it needs.
 */
#ifndef BP_METRIC_H
#define BP_METRIC_H

#include <stddef.h>

#include "funnel.h"

typedef enum bp_section {
	BP_SECTION_COHORT,     /* cohorts.csv: bp_cohort_cell */
	BP_SECTION_ECONOMICS   /* channels.csv: bp_month_cell */
} bp_section;

typedef enum bp_kind {
	BP_KIND_COUNT,         /* an integer: the numerator */
	BP_KIND_MONEY,         /* money (2 decimals): the numerator */
	BP_KIND_RATIO,         /* numerator / denominator, 6 decimals */
	BP_KIND_MONEY_PER,     /* money / a count, rounded to cents exactly */
	BP_KIND_DAYS,          /* seconds / (count * 86400), 1 decimal */
	BP_KIND_SPECIAL        /* computed by its own rule in model.c */
} bp_kind;

/* Which way is good, for colour and for target attainment. */
enum { BP_BETTER_NONE = 0, BP_BETTER_HIGHER = 1, BP_BETTER_LOWER = -1 };

/* A metric's flags: what a cell's sources must have for the figure to
 * exist (BP_HAS_* of funnel.h, and BP_NEEDS_COST: something can carry a
 * cost to the row), and BP_STOCK for a balance at a month's end (open
 * pipeline), which a span of months takes from its last month instead of
 * summing. */
#define BP_NEEDS_COST (1u << 16)
#define BP_STOCK (1u << 17)
#define BP_NEEDS (~BP_STOCK)

/* The sums of a cell, named for the table.  `B_` values index
 * bp_metric_sums. */
typedef enum bp_base {
	B_NONE,
	B_CONTACTS, B_LEADS, B_MQLS, B_SQLS, B_OPPORTUNITIES, B_CUSTOMERS,
	B_WON_DEALS, B_WON_REVENUE,
	B_SPEND, B_COST, B_IMPRESSIONS, B_CLICKS, B_CTR_IMPRESSIONS,
	B_CPC_SPEND,
	B_NEW_LEADS, B_NEW_MQLS, B_NEW_SQLS, B_NEW_OPPORTUNITIES,
	B_NEW_CUSTOMERS,
	B_CYCLE_SECONDS, B_CYCLE_CONTACTS,
	B_SESSIONS, B_NEW_USERS, B_ENGAGED_SESSIONS, B_BOUNCE_SESSIONS,
	B_LOST_DEALS, B_DECIDED_DEALS, B_PIPELINE_CREATED, B_OPEN_PIPELINE,
	B_NBASES
} bp_base;

typedef struct bp_metric {
	const char *name;      /* column and attribute name */
	bp_section section;
	bp_kind kind;
	bp_base num, den;      /* den B_NONE: not a quotient */
	unsigned flags;        /* BP_HAS_*, BP_NEEDS_COST, BP_STOCK */
	int better;            /* BP_BETTER_* */
} bp_metric;

/* The metrics, in file order; n gets how many there are. */
const bp_metric *bp_metrics(size_t *n);

/* The metric called `name` (a target's short form "mqls" is the cohort
 * column; see bp_metric_target), or NULL. */
const bp_metric *bp_metric_find(const char *name);

/* The metric a <target metric="..."> means: a channels.csv column, or a
 * cohorts.csv column; the stage counts "leads" ... "customers" are the
 * channels.csv new_ ones (a target is for the month).  NULL when none. */
const bp_metric *bp_metric_target(const char *name);

/* The value of base `b` in a cell of its section (cohort or month). */
long long bp_metric_base_cohort(const bp_cohort_cell *c, bp_base b);
long long bp_metric_base_month(const bp_month_cell *c, bp_base b);

#endif
