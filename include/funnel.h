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
 *
 * No sum wraps.  Every value added to a cell is also added, as its
 * magnitude, to the funnel's `bound` of that figure, with a checked add:
 * an add function refuses the row that would take a bound past 64 bits
 * (returning -1 and naming the figure in `overflow`), so the caller can
 * name the row.  Any sum of distinct cells a caller then forms (every
 * channel, a group, a span of months) is at most the bound and fits;
 * the sum functions below check anyway.
 */
#ifndef BP_FUNNEL_H
#define BP_FUNNEL_H

#include <stdint.h>
#include "campaign.h"
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

/* How "reached stage S" is decided (METRICS.md, report/@funnel). */
typedef enum bp_funnel_mode {
	BP_FUNNEL_CUMULATIVE,  /* the effective date: a skipped stage counts */
	BP_FUNNEL_ANY,         /* the stage's own date */
	BP_FUNNEL_ORDERED,     /* own dates for lead..S, none earlier than the last */
	BP_FUNNEL_NMODES
} bp_funnel_mode;

/* "cumulative", "any", "ordered"; NULL for anything else. */
const char *bp_funnel_mode_name(bp_funnel_mode mode);

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

/* Numbers per (calendar month, channel).  Figures a source's export may
 * lack (clicks, new users, engaged sessions) sum only the sources that
 * have the column; the ratios over them keep their own like-for-like
 * bases (the impressions and spend of the sources with clicks, the
 * sessions of the sources with engaged sessions). */
typedef struct bp_month_cell {
	bp_money spend;
	bp_money cost;                /* spend plus the <cost> entries that land
				       on the row: set by the model */
	int64_t impressions, clicks;
	int64_t ctr_impressions;      /* impressions of rows with clicks */
	bp_money cpc_spend;           /* spend of rows with clicks */
	int64_t entered[BP_NSTAGES];
	int64_t won_deals;
	bp_money won_revenue;
	int64_t lost_deals;           /* lost with close date in the month */
	bp_money pipeline_created;    /* amounts of deals created in the month */
	bp_money open_pipeline;       /* amounts of deals open at the month's end */
	int64_t cycle_seconds;   /* sum of (customer date - create date) */
	int64_t cycle_contacts;  /* how many contacts that sum covers */
	int64_t sessions, new_users, engaged_sessions;
	int64_t bounce_sessions;      /* sessions of rows with engaged sessions */
} bp_month_cell;

/* What the sources of a channel have: a figure no source of the channel
 * has is absent, never 0 (METRICS.md, "Columns an export lacks"). */
enum {
	BP_HAS_IMPRESSIONS = 1 << 0,
	BP_HAS_CLICKS = 1 << 1,
	BP_HAS_NEW_USERS = 1 << 2,
	BP_HAS_ENGAGED = 1 << 3,
	BP_HAS_SPEND = 1 << 4,    /* a spend source feeds the channel */
	BP_HAS_TRAFFIC = 1 << 5   /* a traffic source feeds the channel */
};
/* Whether the sources of a cell's channel cover its whole month: every
 * cell has both bits until a spend or traffic source whose export states
 * the period it covers leaves the month out, wholly or in part
 * (bp_funnel_cover); the figures made from that kind of source are then
 * absent there, never a part of the month passed off as the whole. */
enum {
	BP_COVERS_SPEND = 1 << 6,
	BP_COVERS_TRAFFIC = 1 << 7
};
#define BP_COVERS (BP_COVERS_SPEND | BP_COVERS_TRAFFIC)
#define BP_HAS_ALL_SPEND (BP_HAS_SPEND | BP_HAS_IMPRESSIONS | BP_HAS_CLICKS)
#define BP_HAS_ALL_TRAFFIC (BP_HAS_TRAFFIC | BP_HAS_NEW_USERS | BP_HAS_ENGAGED)

typedef struct bp_funnel {
	const bp_tz *tz;
	bp_time as_of;
	bp_month first;       /* the first month with cells */
	int n_months;         /* months with cells: the window, after any
				 lookback the caller asked for */
	bp_month first_data;  /* the earliest month anything was dated in
				 (BP_MONTH_NONE: nothing yet) */
	bp_time *ends;        /* [n_months] each month's last instant */
	bp_time period_start; /* the first instant of the last month */
	int n_channels;
	bp_funnel_mode mode;     /* BP_FUNNEL_CUMULATIVE unless set */
	unsigned *has;           /* [n_channels] BP_HAS_* of the channel's sources */
	unsigned *gap;           /* [n_months * n_channels] BP_COVERS_* a source's
				    stated period leaves out of the cell */
	/* The starts of the months from well before the window to after
	 * it (starts[i] is month starts_first + i; n_starts months), where
	 * nearly every date of an export falls: its month is then a guess
	 * and a comparison or two.  Dates outside go through `months`. */
	bp_time *starts;      /* [n_starts + 1] */
	bp_month starts_first;
	int n_starts;
	bp_month_cache months;
	bp_cohort_cell *cohort;  /* [n_months * n_channels] */
	bp_month_cell *month;    /* [n_months * n_channels] */
	/* Per figure, the sum of the magnitudes of every value added to a
	 * cell (see above).  bound.spend may start above 0: the caller adds
	 * the magnitudes of the costs that the model adds to spend. */
	bp_month_cell bound;
	bp_cohort_cell cohort_bound;
	const char *overflow;    /* the figure an add refused: "spend", ... */
	bp_campaigns *campaigns; /* the last month's numbers per campaign */
} bp_funnel;

/* Allocates a zeroed funnel for the `n_months` months ending with `last`,
 * in the cumulative mode (set `mode` before adding contacts for another).
 * `tz` must outlive it.  Returns NULL when n_months or n_channels is not
 * positive. */
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

/* The date each stage is reached by under `mode`, counting only dates
 * <= as_of; BP_TIME_NONE when not reached.  Cumulative: the effective
 * date; any: the stage's own date; ordered: the stage's own date when
 * every stage from lead to it has one, each no earlier than the one
 * before. */
void bp_funnel_reached(const bp_contact *c, bp_time as_of, bp_funnel_mode mode,
		       bp_time at[BP_NSTAGES]);

/* Adds a contact, under the funnel's mode.  A contact created after as_of
 * does not exist: nothing is added and 0 is returned.  Otherwise returns
 * 1 (whether or not its cohort or stage months fall in the window), or -1
 * when its sales cycle would take the sum of cycles past 64 bits. */
int bp_funnel_add_contact(bp_funnel *f, const bp_contact *c);

/* Whether any of the contact's stage dates, up to as_of, falls in the
 * last month: only such a contact can count for a campaign. */
int bp_funnel_in_period(const bp_funnel *f, const bp_contact *c);

/* Adds to campaign k the stages (lead, MQL, customer) the contact
 * reached in the last month under the funnel's mode: call it for a
 * contact bp_funnel_add_contact() counted. */
void bp_funnel_add_campaign_contact(const bp_funnel *f, bp_campaign *k,
				    const bp_contact *c);

/* Adds one spend row of the last month to campaign k.  Returns 0, or -1
 * when the campaign's spend would pass 64 bits (it cannot when the row
 * was added to its cell first: a campaign's rows are some of its
 * cell's). */
int bp_funnel_add_campaign_spend(bp_campaign *k, bp_money spend);

/* A deal as the funnel needs it: won, lost or open, its create and close
 * dates (BP_TIME_NONE when missing), amount (has_amount 0 when missing),
 * and its contact's channel and cohort month (cohort BP_MONTH_NONE for a
 * deal without a known contact). */
#define BP_MONTH_NONE INT32_MIN
typedef struct bp_deal {
	int won;
	int lost;
	bp_time created;
	bp_time closed;
	int has_amount;
	bp_money amount;
	int channel;
	bp_month cohort;
} bp_deal;

/* Adds a deal (METRICS.md): a won one with an amount, closed by as_of, to
 * won deals and revenue of its close month and its cohort; a lost one
 * closed by as_of to lost deals; its amount to the pipeline created in
 * its create month (created by as_of), and to the open pipeline of every
 * month at whose end (or as_of, if earlier) it was created and not yet
 * closed.  A won or lost deal without a close date is never open.
 * Returns 1 when it counted as won, 0 when not, -1 when its amount would
 * take a sum past 64 bits (`overflow` names which). */
int bp_funnel_add_deal(bp_funnel *f, const bp_deal *d);

/* Records that a source with the columns `has` (BP_HAS_*) feeds
 * `channel` (-1: every channel, as a traffic source's rules may), whether
 * or not any of its rows fall in the window. */
void bp_funnel_declare(bp_funnel *f, int channel, unsigned has);

/* Records that a source feeding `channel` (-1: every channel) covers the
 * instants [from, to] only, as its export says (a preamble's "April 15,
 * 2026 - October 31, 2026"): each month of the cells it has no day of
 * loses `covers` (BP_COVERS_*) on that channel's cells, so its figures
 * there are absent rather than 0.  A month it has some days of is kept,
 * and marked in `part` for the caller to say so.  A month is wholly
 * covered from its first instant to its last, or, for the month as_of
 * falls in, to two days before as_of (an export made in the morning ends
 * with yesterday, in an ad account's time zone that may be a day behind
 * the report's).  `part`, when not NULL, has n_months entries: each
 * gets BP_COVERED, BP_COVERED_PART or BP_COVERED_NONE.  Returns how many
 * months are not wholly covered. */
enum { BP_COVERED, BP_COVERED_PART, BP_COVERED_NONE };
int bp_funnel_cover(bp_funnel *f, int channel, unsigned covers, bp_time from,
		    bp_time to, unsigned char *part);

/* The BP_COVERS_* bits every cell of `channel` holds over the months
 * [from, to] (indexes of the cells). */
unsigned bp_funnel_covered(const bp_funnel *f, int channel, int from, int to);

/* Adds one spend row (a calendar month and channel) from a source whose
 * export has the columns `has`; a column it lacks adds nothing.  Returns
 * 0, or -1 when a sum would pass 64 bits (`overflow` names the figure:
 * "spend", "impressions" or "clicks"). */
int bp_funnel_add_spend(bp_funnel *f, bp_month m, int channel,
			bp_money spend, int64_t impressions, int64_t clicks,
			unsigned has);

/* Adds one traffic row, likewise ("sessions", "new_users",
 * "engaged_sessions"). */
int bp_funnel_add_traffic(bp_funnel *f, bp_month m, int channel,
			  int64_t sessions, int64_t new_users,
			  int64_t engaged_sessions, unsigned has);

/* The BP_HAS_* of the `all` row (every channel), and of the channels for
 * which `in(ctx, channel)` is true (a group). */
unsigned bp_funnel_has_all(const bp_funnel *f);
unsigned bp_funnel_has_where(const bp_funnel *f, int (*in)(void *, int),
			     void *ctx);

/* Sums the cells of every channel for month index i (0 = first) into out:
 * the `all` row.  Returns 0, or -1 when a sum would pass 64 bits. */
int bp_funnel_sum_cohort(const bp_funnel *f, int i, bp_cohort_cell *out);
int bp_funnel_sum_month(const bp_funnel *f, int i, bp_month_cell *out);

/* Adds everything `from` counted to `to`, a funnel of the same window,
 * channels and mode: for a file read in parts, each into a funnel of its
 * own.  Returns 0, or -1 with nothing changed when a figure's bound (the
 * magnitudes added, above) would pass 64 bits, which rows read in one
 * funnel would have met on the way, or when the campaigns of both do not
 * fit one table (bp_campaigns_merge). */
int bp_funnel_merge(bp_funnel *to, const bp_funnel *from);

/* Adds every count and amount of c to `to` (the sums behind `all`, the
 * groups and the spans; cost aside, which the model sets).  Returns 0, or -1 when a sum
 * would pass 64 bits (`to` is then partly added to). */
int bp_month_cell_add(bp_month_cell *to, const bp_month_cell *c);
int bp_cohort_cell_add(bp_cohort_cell *to, const bp_cohort_cell *c);

#endif
