/*
 * funnel.h - cohort funnels and channel economics, per METRICS.md.
 *
 * Pure aggregation: no I/O, no globals.  The ingest module turns rows into
 * the small structs below and adds them; the model module reads the cells
 * and derives every ratio.  All dates are instants (bp_time); months are
 * taken in the report time zone the funnel was made with.
 *
 * Cells are kept for the window (n_months months ending with the period)
 * times the channels (config order, `other` last).  The `all` row is not
 * stored: it is the sum, computed when the numbers are written.
 */
#ifndef BP_FUNNEL_H
#define BP_FUNNEL_H

#include <stdint.h>
#include "date.h"
#include "num.h"

enum bp_stage {
	BP_LEAD,
	BP_MQL,
	BP_SQL,
	BP_OPPORTUNITY,
	BP_CUSTOMER,
	BP_NSTAGES
};

/* Stage names as METRICS.md writes them: "lead", "mql", ... */
const char *bp_stage_name(int stage);

/* One contact.  stage[] holds the date each stage was reached, or
 * BP_TIME_NONE; evangelist dates belong in stage[BP_CUSTOMER] (the
 * earlier of the two). */
typedef struct bp_contact {
	bp_time created;
	bp_time stage[BP_NSTAGES];
	int channel;
} bp_contact;

/* Numbers per (cohort month, channel). */
typedef struct bp_cohort_cell {
	int64_t contacts;
	int64_t reached[BP_NSTAGES];
	int64_t won_deals;
	bp_money won_revenue;
} bp_cohort_cell;

/* Numbers per (calendar month, channel). */
typedef struct bp_month_cell {
	bp_money spend;
	int64_t impressions, clicks;
	int64_t entered[BP_NSTAGES];
	int64_t won_deals;
	bp_money won_revenue;
	int64_t cycle_seconds;   /* sum of (customer date - create date) */
	int64_t cycle_contacts;  /* how many contacts that sum covers */
	int64_t sessions, new_users, engaged_sessions;
} bp_month_cell;

typedef struct bp_funnel {
	const bp_tz *tz;
	bp_time as_of;
	bp_month first;       /* the window's first month */
	int n_months;
	int n_channels;
	int engaged_known;       /* a traffic source had engaged sessions */
	/* Rows come roughly in date order: most month lookups hit the last. */
	bp_month_cache months;
	bp_cohort_cell *cohort;  /* [n_months * n_channels] */
	bp_month_cell *month;    /* [n_months * n_channels] */
} bp_funnel;

/* Allocates a zeroed funnel for the `n_months` months ending with `last`.
 * `tz` must outlive it.  Returns NULL when out of memory. */
bp_funnel *bp_funnel_new(const bp_tz *tz, bp_time as_of, bp_month last,
			 int n_months, int n_channels);
void bp_funnel_free(bp_funnel *f);

/* The cell of (month, channel), or NULL when the month is outside the
 * window or the channel out of range. */
bp_cohort_cell *bp_funnel_cohort(const bp_funnel *f, bp_month m, int channel);
bp_month_cell *bp_funnel_month(const bp_funnel *f, bp_month m, int channel);

/* The month of instant t in the funnel's zone (bp_month_of, remembered). */
bp_month bp_funnel_month_of(bp_funnel *f, bp_time t);

/* Effective dates per METRICS.md: eff[S] is the earliest date among S and
 * every later stage, counting only dates <= as_of; BP_TIME_NONE when the
 * contact did not reach S by as_of. */
void bp_funnel_effective(const bp_contact *c, bp_time as_of,
			 bp_time eff[BP_NSTAGES]);

/* Adds a contact.  A contact created after as_of does not exist: nothing
 * is added and 0 is returned.  Otherwise returns 1 (whether or not its
 * cohort or stage months fall in the window). */
int bp_funnel_add_contact(bp_funnel *f, const bp_contact *c);

/* A deal as the funnel needs it: won or not, close date, amount (has_amount
 * 0 when missing), and its contact's channel and cohort month (cohort
 * BP_MONTH_NONE for a deal without a known contact). */
#define BP_MONTH_NONE INT32_MIN
typedef struct bp_deal {
	int won;
	bp_time closed;
	int has_amount;
	bp_money amount;
	int channel;
	bp_month cohort;
} bp_deal;

/* Adds a deal.  Counted only when won, closed <= as_of and with an amount.
 * Returns 1 when counted, 0 when not. */
int bp_funnel_add_deal(bp_funnel *f, const bp_deal *d);

/* Adds one spend row (a calendar month and channel). */
void bp_funnel_add_spend(bp_funnel *f, bp_month m, int channel,
			 bp_money spend, int64_t impressions, int64_t clicks);

/* Adds one traffic row. */
void bp_funnel_add_traffic(bp_funnel *f, bp_month m, int channel,
			   int64_t sessions, int64_t new_users,
			   int64_t engaged_sessions);

/* Sums the cells of every channel for month index i (0 = first) into out:
 * the `all` row. */
void bp_funnel_sum_cohort(const bp_funnel *f, int i, bp_cohort_cell *out);
void bp_funnel_sum_month(const bp_funnel *f, int i, bp_month_cell *out);

/* Adds every count of c to `to` (the sums behind `all` and the groups). */
void bp_month_cell_add(bp_month_cell *to, const bp_month_cell *c);

#endif
