/*
 * campaign.h - the period's numbers per campaign (METRICS.md, docs/metrics-xml.md).
 *
 * A campaign is a name within a channel: the CRM's drill-down of a
 * contact's source, and the campaign name an ad platform writes on its
 * spend rows.  The two meet when they spell the same name, compared with
 * surrounding spaces and ASCII case aside; a CRM name no ad platform
 * spends on has no spend and no CPL, and never a CPL of 0.
 *
 * The table is bounded: names beyond BP_CAMPAIGNS_MAX, or longer than
 * BP_CAMPAIGN_NAME_MAX bytes, are not kept, only counted in `folded`, so
 * an export with a new name on every row costs a fixed amount of memory.
 */
#ifndef BP_CAMPAIGN_H
#define BP_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "num.h"

#define BP_CAMPAIGNS_MAX 2000
#define BP_CAMPAIGN_NAME_MAX 200

typedef struct bp_campaign {
	char *name;         /* as first seen, spaces around it trimmed */
	int channel;
	int64_t leads, mqls, customers;
	bp_money spend;
	int has_spend;      /* an ad platform's rows named it */
} bp_campaign;

typedef struct bp_campaigns bp_campaigns;

bp_campaigns *bp_campaigns_new(void);
void bp_campaigns_free(bp_campaigns *c);

/* The campaign (channel, name), made when new; NULL for an empty name,
 * and for one the table has no room for (then counted in folded). */
bp_campaign *bp_campaigns_get(bp_campaigns *c, int channel, const char *name,
			      size_t n);

/* The campaigns in the order they were first seen, and how many. */
const bp_campaign *bp_campaigns_list(const bp_campaigns *c, size_t *n);

/* Rows whose name was not kept (table full, or name too long). */
int64_t bp_campaigns_folded(const bp_campaigns *c);

/* Adds the campaigns of `from` to `to`, in from's order, as if the rows
 * behind them had come after to's (a file read in parts).  Returns 0,
 * or -1 with nothing changed when the two hold more names than one table
 * does: which names a table keeps then depends on the order of the rows. */
int bp_campaigns_merge(bp_campaigns *to, const bp_campaigns *from);

#endif
