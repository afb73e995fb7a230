/*
 * campaign.c - the period's numbers per campaign (campaign.h).
 */
#include "campaign.h"

#include <assert.h>

#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Open addressing over indexes into the list; twice the most campaigns
 * kept, a power of two, so a probe always ends at an empty slot. */
#define SLOTS 4096
#define EMPTY UINT16_MAX

struct bp_campaigns {
	bp_campaign list[BP_CAMPAIGNS_MAX];
	size_t n;
	uint16_t slot[SLOTS];
	int64_t folded;
};

static int fold(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static uint32_t hash(int channel, const char *s, size_t n)
{
	uint32_t h = 2166136261u ^ (uint32_t)channel;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint32_t)fold((unsigned char)s[i])) * 16777619u;
	return h;
}

static int same(const bp_campaign *k, int channel, const char *s, size_t n)
{
	size_t i;

	if (k->channel != channel || strlen(k->name) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (fold((unsigned char)k->name[i]) != fold((unsigned char)s[i]))
			return 0;
	return 1;
}

bp_campaigns *bp_campaigns_new(void)
{
	bp_campaigns *c = bp_xcalloc(1, sizeof(*c));

	memset(c->slot, 0xff, sizeof(c->slot));
	return c;
}

void bp_campaigns_free(bp_campaigns *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free(c->list[i].name);
	free(c);
}

bp_campaign *bp_campaigns_get(bp_campaigns *c, int channel, const char *name,
			      size_t n)
{
	uint32_t h;
	bp_campaign *k;

	while (n && (*name == ' ' || *name == '\t'))
		name++, n--;
	while (n && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	if (n == 0)
		return NULL;
	if (n > BP_CAMPAIGN_NAME_MAX) {
		c->folded++;
		return NULL;
	}
	for (h = hash(channel, name, n) & (SLOTS - 1); c->slot[h] != EMPTY;
	     h = (h + 1) & (SLOTS - 1))
		if (same(&c->list[c->slot[h]], channel, name, n))
			return &c->list[c->slot[h]];
	if (c->n == BP_CAMPAIGNS_MAX) {
		c->folded++;
		return NULL;
	}
	k = &c->list[c->n];
	k->name = bp_xstrndup(name, n);
	k->channel = channel;
	c->slot[h] = (uint16_t)c->n++;
	return k;
}

const bp_campaign *bp_campaigns_list(const bp_campaigns *c, size_t *n)
{
	*n = c->n;
	return c->list;
}

int64_t bp_campaigns_folded(const bp_campaigns *c)
{
	return c->folded;
}

int bp_campaigns_merge(bp_campaigns *to, const bp_campaigns *from)
{
	size_t i;

	/* With room for every name of both, none was folded for want of
	 * room, in either or in one table read in order: the sums are the
	 * same whichever came first. */
	if (to->n + from->n > BP_CAMPAIGNS_MAX)
		return -1;
	for (i = 0; i < from->n; i++) {
		const bp_campaign *f = &from->list[i];
		bp_campaign *k = bp_campaigns_get(to, f->channel, f->name,
						  strlen(f->name));

		assert(k);
		k->leads += f->leads;
		k->mqls += f->mqls;
		k->customers += f->customers;
		k->spend += f->spend;
		k->has_spend |= f->has_spend;
	}
	to->folded += from->folded;
	return 0;
}
