/*
 * funnel.c - the aggregation behind cohorts.csv and channels.csv.
 *
 * Every number here has exactly one definition, in METRICS.md; the
 * comments point at the rule each branch implements.
 */
#include "funnel.h"

#include <assert.h>

#include <stdlib.h>

#include "mem.h"

/* The months around the window whose starts are kept (bp_funnel_month_of):
 * twenty years before it, for contacts created long ago, and two after. */
#define STARTS_BEFORE 240
#define STARTS_AFTER 24
/* The mean Gregorian month, in seconds. */
#define MEAN_MONTH 2629746

static const char *const stage_names[BP_NSTAGES] = {
	"lead", "mql", "sql", "opportunity", "customer"
};

static const char *const mode_names[BP_FUNNEL_NMODES] = {
	[BP_FUNNEL_CUMULATIVE] = "cumulative",
	[BP_FUNNEL_ANY] = "any",
	[BP_FUNNEL_ORDERED] = "ordered",
};

const char *bp_funnel_mode_name(bp_funnel_mode mode)
{
	if ((int)mode < 0 || mode >= BP_FUNNEL_NMODES)
		return NULL;
	return mode_names[mode];
}

const char *bp_stage_name(int stage)
{
	if (stage < 0 || stage >= BP_NSTAGES)
		return "?";
	return stage_names[stage];
}

bp_funnel *bp_funnel_new(const bp_tz *tz, bp_time as_of, bp_month last,
			 int n_months, int n_channels)
{
	bp_funnel *f;
	int i;
	size_t cells = (size_t)n_months * (size_t)n_channels;

	if (n_months <= 0 || n_channels <= 0)
		return NULL;
	f = bp_xcalloc(1, sizeof(*f));
	f->tz = tz;
	f->as_of = as_of;
	f->first = last - (n_months - 1);
	f->n_months = n_months;
	f->n_channels = n_channels;
	f->months = (bp_month_cache)BP_MONTH_CACHE_INIT;
	f->cohort = bp_xcalloc(cells, sizeof(*f->cohort));
	f->month = bp_xcalloc(cells, sizeof(*f->month));
	f->has = bp_xcalloc((size_t)n_channels, sizeof(*f->has));
	f->gap = bp_xcalloc(cells, sizeof(*f->gap));
	f->first_data = BP_MONTH_NONE;
	f->ends = bp_xcalloc((size_t)n_months, sizeof(*f->ends));
	for (i = 0; i < n_months; i++)
		f->ends[i] = bp_month_end(tz, f->first + i);
	f->period_start = bp_month_start(tz, last);
	f->n_starts = STARTS_BEFORE + n_months + STARTS_AFTER;
	f->starts_first = f->first - STARTS_BEFORE;
	f->starts = bp_xcalloc((size_t)f->n_starts + 1, sizeof(*f->starts));
	for (i = 0; i <= f->n_starts; i++)
		f->starts[i] = bp_month_start(tz, f->starts_first + i);
	f->campaigns = bp_campaigns_new();
	return f;
}

void bp_funnel_free(bp_funnel *f)
{
	if (!f)
		return;
	free(f->cohort);
	free(f->month);
	free(f->has);
	free(f->gap);
	free(f->ends);
	free(f->starts);
	bp_campaigns_free(f->campaigns);
	free(f);
}

static long cell_index(const bp_funnel *f, bp_month m, int channel)
{
	long i = (long)m - (long)f->first;

	if (i < 0 || i >= f->n_months || channel < 0 || channel >= f->n_channels)
		return -1;
	return i * f->n_channels + channel;
}

bp_cohort_cell *bp_funnel_cohort(const bp_funnel *f, bp_month m, int channel)
{
	long i = cell_index(f, m, channel);

	return i < 0 ? NULL : &f->cohort[i];
}

bp_month_cell *bp_funnel_month(const bp_funnel *f, bp_month m, int channel)
{
	long i = cell_index(f, m, channel);

	return i < 0 ? NULL : &f->month[i];
}

/* Adds v to *cell and its magnitude to *bound, the same figure's bound
 * (funnel.h): refused, naming the figure, when the bound would pass 64
 * bits.  The cell cannot overflow then, since it never exceeds its
 * bound. */
static int add_to(bp_funnel *f, int64_t *cell, int64_t *bound, int64_t v,
		  const char *what)
{
	if (v == INT64_MIN || bp_add(bound, v < 0 ? -v : v) < 0) {
		f->overflow = what;
		return -1;
	}
	*cell += v;
	return 0;
}

/* Remembers the earliest month anything was dated in. */
static void saw(bp_funnel *f, bp_month m)
{
	if (f->first_data == BP_MONTH_NONE || m < f->first_data)
		f->first_data = m;
}

bp_month bp_funnel_month_of(bp_funnel *f, bp_time t)
{
	const bp_time *b = f->starts;
	long i;

	if (t < b[0] || t >= b[f->n_starts])
		return bp_month_of_cached(f->tz, &f->months, t);
	/* Months differ from the mean by at most a few days, and so do
	 * their sums: the guess is the month or one beside it. */
	i = (long)((t - b[0]) / MEAN_MONTH);
	if (i >= f->n_starts)
		i = f->n_starts - 1;
	while (t < b[i])
		i--;
	while (t >= b[i + 1])
		i++;
	return f->starts_first + (bp_month)i;
}

void bp_funnel_effective(const bp_contact *c, bp_time as_of,
			 bp_time eff[BP_NSTAGES])
{
	bp_time earliest = BP_TIME_NONE;
	int s;

	/* Walk from customer down so each stage sees the minimum over itself
	 * and every later stage; dates after as_of do not exist. */
	for (s = BP_NSTAGES - 1; s >= 0; s--) {
		bp_time t = c->stage[s];

		if (t != BP_TIME_NONE && t <= as_of &&
		    (earliest == BP_TIME_NONE || t < earliest))
			earliest = t;
		eff[s] = earliest;
	}
}

/* Own dates, each stage only when every one before it was reached no
 * later: HubSpot's "contacts that have gone through all stages". */
static void reached_ordered(const bp_contact *c, bp_time as_of,
			    bp_time at[BP_NSTAGES])
{
	bp_time prev = BP_TIME_NONE;
	int s, broken = 0;

	for (s = 0; s < BP_NSTAGES; s++) {
		bp_time t = c->stage[s];

		if (t == BP_TIME_NONE || t > as_of ||
		    (prev != BP_TIME_NONE && t < prev))
			broken = 1;
		at[s] = broken ? BP_TIME_NONE : t;
		prev = t;
	}
}

void bp_funnel_reached(const bp_contact *c, bp_time as_of, bp_funnel_mode mode,
		       bp_time at[BP_NSTAGES])
{
	int s;

	switch (mode) {
	case BP_FUNNEL_ANY:
		for (s = 0; s < BP_NSTAGES; s++)
			at[s] = c->stage[s] != BP_TIME_NONE && c->stage[s] <= as_of ?
				c->stage[s] : BP_TIME_NONE;
		return;
	case BP_FUNNEL_ORDERED:
		reached_ordered(c, as_of, at);
		return;
	default:
		bp_funnel_effective(c, as_of, at);
		return;
	}
}

int bp_funnel_add_contact(bp_funnel *f, const bp_contact *c)
{
	bp_time eff[BP_NSTAGES];
	bp_cohort_cell *cc;
	int s;

	if (c->created > f->as_of)
		return 0;
	bp_funnel_reached(c, f->as_of, f->mode, eff);

	saw(f, bp_funnel_month_of(f, c->created));
	cc = bp_funnel_cohort(f, bp_funnel_month_of(f, c->created), c->channel);
	if (cc) {
		cc->contacts++;
		for (s = 0; s < BP_NSTAGES; s++)
			if (eff[s] != BP_TIME_NONE)
				cc->reached[s]++;
	}

	for (s = 0; s < BP_NSTAGES; s++) {
		bp_month_cell *mc;

		if (eff[s] == BP_TIME_NONE)
			continue;
		mc = bp_funnel_month(f, bp_funnel_month_of(f, eff[s]), c->channel);
		if (!mc)
			continue;
		mc->entered[s]++;
		if (s == BP_CUSTOMER) {
			if (add_to(f, &mc->cycle_seconds, &f->bound.cycle_seconds,
				   eff[s] - c->created, "sales cycle") < 0)
				return -1;
			mc->cycle_contacts++;
		}
	}
	return 1;
}

/* Whether t, a date up to as_of, falls in the last month. */
static int in_last_month(const bp_funnel *f, bp_time t)
{
	return t != BP_TIME_NONE && t <= f->as_of && t >= f->period_start &&
	       t <= f->ends[f->n_months - 1];
}

int bp_funnel_in_period(const bp_funnel *f, const bp_contact *c)
{
	int s;

	for (s = 0; s < BP_NSTAGES; s++)
		if (in_last_month(f, c->stage[s]))
			return 1;
	return 0;
}

void bp_funnel_add_campaign_contact(const bp_funnel *f, bp_campaign *k,
				    const bp_contact *c)
{
	bp_time at[BP_NSTAGES];

	bp_funnel_reached(c, f->as_of, f->mode, at);
	k->leads += in_last_month(f, at[BP_LEAD]);
	k->mqls += in_last_month(f, at[BP_MQL]);
	k->customers += in_last_month(f, at[BP_CUSTOMER]);
}

int bp_funnel_add_campaign_spend(bp_campaign *k, bp_money spend)
{
	if (bp_add(&k->spend, spend) < 0)
		return -1;
	k->has_spend = 1;
	return 0;
}

/* The deal's amount in the open pipeline of each month's end (or as_of):
 * created by then, and not closed by then. */
static int add_open(bp_funnel *f, const bp_deal *d)
{
	int i;

	for (i = 0; i < f->n_months; i++) {
		bp_time t = f->ends[i] < f->as_of ? f->ends[i] : f->as_of;
		bp_month_cell *mc;

		if (d->created == BP_TIME_NONE || d->created > t ||
		    (d->closed != BP_TIME_NONE && d->closed <= t))
			continue;
		mc = &f->month[(size_t)i * (size_t)f->n_channels + (size_t)d->channel];
		if (add_to(f, &mc->open_pipeline, &f->bound.open_pipeline,
			   d->amount, "open pipeline") < 0)
			return -1;
	}
	return 0;
}


int bp_funnel_add_deal(bp_funnel *f, const bp_deal *d)
{
	bp_cohort_cell *cc;
	bp_month_cell *mc;
	int decided = d->won || d->lost;

	if (d->channel < 0 || d->channel >= f->n_channels)
		return 0;
	if (d->created != BP_TIME_NONE && d->created <= f->as_of) {
		bp_month m = bp_funnel_month_of(f, d->created);

		saw(f, m);
		mc = bp_funnel_month(f, m, d->channel);
		if (mc && d->has_amount &&
		    add_to(f, &mc->pipeline_created, &f->bound.pipeline_created,
			   d->amount, "pipeline") < 0)
			return -1;
	}
	/* A won or lost deal without a close date is never open; a close
	 * date after as_of has not happened. */
	if (d->has_amount && (!decided || d->closed != BP_TIME_NONE)) {
		bp_deal open = *d;

		if (!decided || open.closed > f->as_of)
			open.closed = BP_TIME_NONE;
		if (add_open(f, &open) < 0)
			return -1;
	}
	if (d->closed == BP_TIME_NONE || d->closed > f->as_of)
		return 0;
	if (d->lost) {
		mc = bp_funnel_month(f, bp_funnel_month_of(f, d->closed), d->channel);
		if (mc)
			mc->lost_deals++;
		return 0;
	}
	if (!d->won || !d->has_amount)
		return 0;
	mc = bp_funnel_month(f, bp_funnel_month_of(f, d->closed), d->channel);
	if (mc) {
		if (add_to(f, &mc->won_revenue, &f->bound.won_revenue, d->amount,
			   "won revenue") < 0)
			return -1;
		mc->won_deals++;
	}
	if (d->cohort != BP_MONTH_NONE) {
		cc = bp_funnel_cohort(f, d->cohort, d->channel);
		if (cc) {
			if (add_to(f, &cc->won_revenue, &f->cohort_bound.won_revenue,
				   d->amount, "won revenue") < 0)
				return -1;
			cc->won_deals++;
		}
	}
	return 1;
}

void bp_funnel_declare(bp_funnel *f, int channel, unsigned has)
{
	int ch;

	for (ch = 0; ch < f->n_channels; ch++)
		if (channel < 0 || ch == channel)
			f->has[ch] |= has;
}

int bp_funnel_cover(bp_funnel *f, int channel, unsigned covers, bp_time from,
		    bp_time to, unsigned char *part)
{
	int i, ch, short_of = 0;

	for (i = 0; i < f->n_months; i++) {
		bp_time start = i ? f->ends[i - 1] + 1 : bp_month_start(f->tz, f->first);
		bp_time need = f->ends[i] <= f->as_of ? f->ends[i] :
			       f->as_of - 2 * 86400;
		int state = from <= start && to >= need ? BP_COVERED :
			    from > f->ends[i] || to < start ? BP_COVERED_NONE :
			    BP_COVERED_PART;

		if (part)
			part[i] = (unsigned char)state;
		short_of += state != BP_COVERED;
		if (state != BP_COVERED_NONE)
			continue;
		for (ch = 0; ch < f->n_channels; ch++)
			if (channel < 0 || ch == channel)
				f->gap[(long)i * f->n_channels + ch] |= covers;
	}
	return short_of;
}

unsigned bp_funnel_covered(const bp_funnel *f, int channel, int from, int to)
{
	unsigned gap = 0;
	int i;

	for (i = from < 0 ? 0 : from; i <= to && i < f->n_months; i++)
		gap |= f->gap[(long)i * f->n_channels + channel];
	return BP_COVERS & ~gap;
}

int bp_funnel_add_spend(bp_funnel *f, bp_month m, int channel,
			bp_money spend, int64_t impressions, int64_t clicks,
			unsigned has)
{
	bp_month_cell *mc = bp_funnel_month(f, m, channel);
	bp_month_cell *b = &f->bound;

	saw(f, m);
	if (!mc)
		return 0;
	if (add_to(f, &mc->spend, &b->spend, spend, "spend") < 0)
		return -1;
	if ((has & BP_HAS_IMPRESSIONS) &&
	    add_to(f, &mc->impressions, &b->impressions, impressions,
		   "impressions") < 0)
		return -1;
	if (!(has & BP_HAS_CLICKS))
		return 0;
	if (add_to(f, &mc->clicks, &b->clicks, clicks, "clicks") < 0 ||
	    add_to(f, &mc->cpc_spend, &b->cpc_spend, spend, "spend") < 0)
		return -1;
	if ((has & BP_HAS_IMPRESSIONS) &&
	    add_to(f, &mc->ctr_impressions, &b->ctr_impressions, impressions,
		   "impressions") < 0)
		return -1;
	return 0;
}

int bp_funnel_add_traffic(bp_funnel *f, bp_month m, int channel,
			  int64_t sessions, int64_t new_users,
			  int64_t engaged_sessions, unsigned has)
{
	bp_month_cell *mc = bp_funnel_month(f, m, channel);
	bp_month_cell *b = &f->bound;

	saw(f, m);
	if (!mc)
		return 0;
	if (add_to(f, &mc->sessions, &b->sessions, sessions, "sessions") < 0)
		return -1;
	if ((has & BP_HAS_NEW_USERS) &&
	    add_to(f, &mc->new_users, &b->new_users, new_users, "new_users") < 0)
		return -1;
	if (!(has & BP_HAS_ENGAGED))
		return 0;
	if (add_to(f, &mc->engaged_sessions, &b->engaged_sessions,
		   engaged_sessions, "engaged_sessions") < 0 ||
	    add_to(f, &mc->bounce_sessions, &b->bounce_sessions, sessions,
		   "sessions") < 0)
		return -1;
	return 0;
}

unsigned bp_funnel_has_where(const bp_funnel *f, int (*in)(void *, int),
			     void *ctx)
{
	unsigned has = 0;
	int ch;

	for (ch = 0; ch < f->n_channels; ch++)
		if (!in || in(ctx, ch))
			has |= f->has[ch];
	return has;
}

unsigned bp_funnel_has_all(const bp_funnel *f)
{
	return bp_funnel_has_where(f, NULL, NULL);
}

int bp_cohort_cell_add(bp_cohort_cell *to, const bp_cohort_cell *c)
{
	int s, rc = 0;

	rc |= bp_add(&to->contacts, c->contacts);
	for (s = 0; s < BP_NSTAGES; s++)
		rc |= bp_add(&to->reached[s], c->reached[s]);
	rc |= bp_add(&to->won_deals, c->won_deals);
	rc |= bp_add(&to->won_revenue, c->won_revenue);
	return rc ? -1 : 0;
}

int bp_funnel_sum_cohort(const bp_funnel *f, int i, bp_cohort_cell *out)
{
	int ch, rc = 0;

	*out = (bp_cohort_cell){0};
	for (ch = 0; ch < f->n_channels; ch++)
		rc |= bp_cohort_cell_add(out, &f->cohort[i * f->n_channels + ch]);
	return rc ? -1 : 0;
}

int bp_month_cell_add(bp_month_cell *to, const bp_month_cell *c)
{
	int s, rc = 0;

	rc |= bp_add(&to->spend, c->spend);
	rc |= bp_add(&to->impressions, c->impressions);
	rc |= bp_add(&to->clicks, c->clicks);
	rc |= bp_add(&to->ctr_impressions, c->ctr_impressions);
	rc |= bp_add(&to->cpc_spend, c->cpc_spend);
	for (s = 0; s < BP_NSTAGES; s++)
		rc |= bp_add(&to->entered[s], c->entered[s]);
	rc |= bp_add(&to->won_deals, c->won_deals);
	rc |= bp_add(&to->won_revenue, c->won_revenue);
	rc |= bp_add(&to->lost_deals, c->lost_deals);
	rc |= bp_add(&to->pipeline_created, c->pipeline_created);
	rc |= bp_add(&to->open_pipeline, c->open_pipeline);
	rc |= bp_add(&to->cycle_seconds, c->cycle_seconds);
	rc |= bp_add(&to->cycle_contacts, c->cycle_contacts);
	rc |= bp_add(&to->sessions, c->sessions);
	rc |= bp_add(&to->new_users, c->new_users);
	rc |= bp_add(&to->engaged_sessions, c->engaged_sessions);
	rc |= bp_add(&to->bounce_sessions, c->bounce_sessions);
	return rc ? -1 : 0;
}

int bp_funnel_sum_month(const bp_funnel *f, int i, bp_month_cell *out)
{
	int ch, rc = 0;

	*out = (bp_month_cell){0};
	for (ch = 0; ch < f->n_channels; ch++)
		rc |= bp_month_cell_add(out, &f->month[i * f->n_channels + ch]);
	return rc ? -1 : 0;
}

int bp_funnel_merge(bp_funnel *to, const bp_funnel *from)
{
	size_t i, cells = (size_t)to->n_months * (size_t)to->n_channels;
	bp_month_cell bound = to->bound;
	bp_cohort_cell cohort_bound = to->cohort_bound;
	int ch, rc = 0;

	assert(to->first == from->first && to->n_months == from->n_months &&
	       to->n_channels == from->n_channels);
	/* Both bounds first: when they fit, no cell sum can pass them. */
	if (bp_month_cell_add(&bound, &from->bound) < 0 ||
	    bp_cohort_cell_add(&cohort_bound, &from->cohort_bound) < 0 ||
	    bp_campaigns_merge(to->campaigns, from->campaigns) < 0)
		return -1;
	to->bound = bound;
	to->cohort_bound = cohort_bound;
	for (i = 0; i < cells; i++) {
		rc |= bp_cohort_cell_add(&to->cohort[i], &from->cohort[i]);
		rc |= bp_month_cell_add(&to->month[i], &from->month[i]);
		to->month[i].cost += from->month[i].cost;
	}
	/* Counts of rows, and sums within the bounds. */
	assert(rc == 0);
	(void)rc;
	for (ch = 0; ch < to->n_channels; ch++)
		to->has[ch] |= from->has[ch];
	for (i = 0; i < cells; i++)
		to->gap[i] |= from->gap[i];
	if (from->first_data != BP_MONTH_NONE)
		saw(to, from->first_data);
	return 0;
}
