/*
 * ingest.c - presets, column mapping and row handling for each source kind.
 *
 * A preset is a list of fields, each with the header names it goes by in
 * the wild.  The header row is the first line (after any preamble) that
 * holds one of the required columns; every row after it is turned into a
 * contact, deal, spend or traffic record and added to the funnel.
 */
#include "ingest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"
#include "date.h"
#include "idx.h"
#include "log.h"
#include "num.h"

#define MAX_FIELDS 12
#define MAX_ALIASES 8
#define MAX_PREAMBLE 50
#define DAY_CACHE 1024
#define MAX_CACHED_VALUES 4096
/* A contact that exists in the file but not for this run (created after
 * as_of): deals joined to it are treated as having no known contact. */
#define REF_FUTURE 0xFFFFFFFFu

enum ftype { T_TEXT, T_DATE, T_MONEY, T_COUNT };

typedef struct field_spec {
	const char *field;
	int required;
	enum ftype type;
	/* Header names, compared after normalisation; a trailing '*' matches
	 * any header starting with the rest ("Amount spent (USD)"). */
	const char *aliases[MAX_ALIASES];
} field_spec;

typedef struct preset {
	bp_source_kind kind;
	const char *name;
	const field_spec *fields;
	size_t n_fields;
} preset;

/* Field positions are fixed per kind, so row code can index by them. */
enum { C_ID, C_CREATED, C_SOURCE, C_LEAD, C_MQL, C_SQL, C_OPP, C_CUSTOMER,
       C_EVANGELIST, C_DEALS, C_N };
enum { D_ID, D_STAGE, D_CLOSED, D_AMOUNT, D_CONTACTS, D_CURRENCY, D_N };
enum { S_DATE, S_COST, S_IMPRESSIONS, S_CLICKS, S_CURRENCY, S_N };
enum { T_DATEF, T_CHANNEL, T_SESSIONS, T_ENGAGED, T_NEW_USERS, T_N };

static const field_spec hubspot_contacts[C_N] = {
	{ "id", 1, T_TEXT, { "Record ID", "Contact ID", "hs_object_id", "vid" } },
	{ "created", 1, T_DATE, { "Create Date", "createdate" } },
	{ "source", 1, T_TEXT, { "Original Source", "Original Source Type",
				 "hs_analytics_source" } },
	{ "lead", 0, T_DATE, { "Became a Lead Date",
			       "hs_lifecyclestage_lead_date" } },
	{ "mql", 0, T_DATE, { "Became a Marketing Qualified Lead Date",
			      "hs_lifecyclestage_marketingqualifiedlead_date" } },
	{ "sql", 0, T_DATE, { "Became a Sales Qualified Lead Date",
			      "hs_lifecyclestage_salesqualifiedlead_date" } },
	{ "opportunity", 0, T_DATE, { "Became an Opportunity Date",
				      "hs_lifecyclestage_opportunity_date" } },
	{ "customer", 0, T_DATE, { "Became a Customer Date",
				   "hs_lifecyclestage_customer_date" } },
	{ "evangelist", 0, T_DATE, { "Became an Evangelist Date",
				     "hs_lifecyclestage_evangelist_date" } },
	{ "deals", 0, T_TEXT, { "Associated Deal IDs", "Associated Deal ID",
				"Associated Deals", "Associated Deal" } },
};

static const field_spec hubspot_deals[D_N] = {
	{ "id", 1, T_TEXT, { "Record ID", "Deal ID", "hs_object_id" } },
	{ "stage", 1, T_TEXT, { "Deal Stage", "dealstage" } },
	{ "closed", 1, T_DATE, { "Close Date", "closedate" } },
	{ "amount", 1, T_MONEY, { "Amount", "amount" } },
	{ "contacts", 0, T_TEXT, { "Associated Contact IDs",
				   "Associated Contact ID",
				   "Associated Contacts", "Associated Contact" } },
	{ "currency", 0, T_TEXT, { "Currency", "deal_currency_code",
				   "Deal currency code" } },
};

static const field_spec google_ads[S_N] = {
	{ "date", 1, T_DATE, { "Day", "Date", "일" } },
	{ "cost", 1, T_MONEY, { "Cost", "비용" } },
	{ "impressions", 0, T_COUNT, { "Impr.", "Impressions", "노출수" } },
	{ "clicks", 0, T_COUNT, { "Clicks", "클릭수" } },
	{ "currency", 0, T_TEXT, { "Currency code", "Currency", "통화 코드" } },
};

static const field_spec linkedin[S_N] = {
	{ "date", 1, T_DATE, { "Start Date (in UTC)", "Start Date", "Date" } },
	{ "cost", 1, T_MONEY, { "Total Spent", "Amount Spent", "Spent" } },
	{ "impressions", 0, T_COUNT, { "Impressions" } },
	{ "clicks", 0, T_COUNT, { "Clicks" } },
	{ "currency", 0, T_TEXT, { "Currency" } },
};

static const field_spec meta[S_N] = {
	{ "date", 1, T_DATE, { "Reporting starts", "Day", "Date" } },
	{ "cost", 1, T_MONEY, { "Amount spent*", "Amount spent" } },
	{ "impressions", 0, T_COUNT, { "Impressions" } },
	{ "clicks", 0, T_COUNT, { "Link clicks", "Clicks (all)", "Clicks" } },
	{ "currency", 0, T_TEXT, { "Currency" } },
};

static const field_spec ga4[T_N] = {
	{ "date", 1, T_DATE, { "Date", "Year month", "Month" } },
	{ "channel", 1, T_TEXT, {
		"Session primary channel group (Default channel group)",
		"Session default channel group",
		"Session primary channel group", "Default channel group",
		"First user primary channel group (Default channel group)",
		"First user default channel group" } },
	{ "sessions", 1, T_COUNT, { "Sessions" } },
	{ "engaged_sessions", 0, T_COUNT, { "Engaged sessions" } },
	{ "new_users", 0, T_COUNT, { "New users" } },
};

#define PRESET(k, n, f) { k, n, f, sizeof(f) / sizeof((f)[0]) }
static const preset presets[] = {
	PRESET(BP_SRC_CONTACTS, "hubspot", hubspot_contacts),
	PRESET(BP_SRC_CONTACTS, "csv", hubspot_contacts),
	PRESET(BP_SRC_DEALS, "hubspot", hubspot_deals),
	PRESET(BP_SRC_DEALS, "csv", hubspot_deals),
	PRESET(BP_SRC_SPEND, "google-ads", google_ads),
	PRESET(BP_SRC_SPEND, "linkedin", linkedin),
	PRESET(BP_SRC_SPEND, "meta", meta),
	PRESET(BP_SRC_SPEND, "csv", google_ads),
	PRESET(BP_SRC_TRAFFIC, "ga4", ga4),
	PRESET(BP_SRC_TRAFFIC, "csv", ga4),
};

/* HubSpot's won stage as label and as internal id, after won_key(). */
static const char *const won_stages[] = { "closedwon" };

/* A source value and the channel it maps to, cached because exports repeat
 * a handful of values over millions of rows. */
typedef struct value_entry {
	char *s;
	size_t n;
	int channel;
	int matched;
	int64_t count;
} value_entry;

typedef struct value_map {
	value_entry *e;
	size_t cap, count;
} value_map;

struct bp_ingest {
	const bp_config *cfg;
	bp_funnel *f;
	bp_idx *contacts;   /* contact ID -> packed (cohort, channel) */
	bp_idx *deal_refs;  /* deal ID -> packed ref, from contacts' deal lists */
	bp_tz **tz;         /* per source; NULL means the report's */
	int other;          /* the `other` channel */
};

/* A parsed contact waiting for its index slot to reach the cache. */
#define LOOKAHEAD 16
typedef struct pending {
	bp_contact c;
	uint32_t ref;
	int late, early;
	uint16_t idn, dealsn;
	char id[40];
	char deals[120];
} pending;

/* The state of reading one file. */
typedef struct reader {
	bp_ingest *in;
	const bp_source *src;
	const preset *p;
	const char *name;
	bp_csv *csv;
	bp_quality *q;
	const bp_tz *src_tz;
	int col[MAX_FIELDS];           /* field -> column, -1 when absent */
	const char *fmt[MAX_FIELDS];   /* field -> date format, NULL: auto */
	const char *header_name[MAX_FIELDS];
	int timed[MAX_FIELDS];         /* the last date read had a time of day */
	/* Days of "YYYY-MM-DD HH:MM" stamps already read in the source's
	 * zone, when the day has no offset change: another stamp of the same
	 * day is its midnight plus the time, without the full parse.
	 * Direct-mapped on the date; a key of 0 is an empty entry. */
	struct { int32_t key; bp_time midnight; } days[DAY_CACHE];
	char norm[MAX_FIELDS][MAX_ALIASES][160];
	int n_norm[MAX_FIELDS];
	char currency[8];              /* from a header like "Amount spent (USD)" */
	bp_field *fields;
	size_t n;
	value_map values;
	pending ahead[LOOKAHEAD];      /* contacts not yet committed */
	int ahead_first, ahead_n;
} reader;

/* ---- small text helpers ---- */

/* Header normalisation: ASCII lowercase, hyphens as spaces, runs of
 * blanks as one, no blanks at either end. */
static void normalise(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0, i;
	int space = 0;

	for (i = 0; i < n && o + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '-' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < size)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)tolower(c);
	}
	out[o] = '\0';
}

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* Lowercase letters and digits only: "Closed: won" -> "closedwon". */
static void won_key(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 1 < size; i++)
		if (isalnum((unsigned char)s[i]))
			out[o++] = (char)tolower((unsigned char)s[i]);
	out[o] = '\0';
}

/* Shortens a value for an error message. */
static const char *shown(const bp_field *f, char *buf, size_t size)
{
	if (f->n + 1 <= size)
		return f->p;
	snprintf(buf, size, "%.*s...", (int)(size - 4), f->p);
	return buf;
}

/* ---- value map (source value -> channel) ---- */

static void values_free(value_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->e[i].s);
	free(m->e);
	memset(m, 0, sizeof(*m));
}

static uint64_t hash_ci(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)tolower((unsigned char)s[i]);
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int rule_channel(const bp_source *src, const char *s, size_t n, int *ch)
{
	size_t i;

	for (i = 0; i < src->n_rules; i++) {
		const char *m = src->rules[i].match;
		size_t mn = strlen(m);

		trim(&m, &mn);
		if (mn == n && strncasecmp(m, s, n) == 0) {
			*ch = src->rules[i].channel;
			return 1;
		}
	}
	return 0;
}

/* Finds the entry for a value, adding it when there is room.  Returns NULL
 * when the map is full or out of memory; the caller then scans the rules. */
static value_entry *values_get(value_map *m, const bp_source *src, int other,
			       const char *s, size_t n)
{
	size_t i;

	if (!m->e) {
		m->cap = 64;
		m->e = calloc(m->cap, sizeof(*m->e));
		if (!m->e)
			return NULL;
	}
	i = hash_ci(s, n) & (m->cap - 1);
	while (m->e[i].s) {
		if (m->e[i].n == n && memcmp(m->e[i].s, s, n) == 0)
			return &m->e[i];
		i = (i + 1) & (m->cap - 1);
	}
	if (m->count >= MAX_CACHED_VALUES)
		return NULL;
	if ((m->count + 1) * 2 > m->cap) {
		value_map bigger = { calloc(m->cap * 2, sizeof(*m->e)), m->cap * 2, 0 };
		size_t j;

		if (!bigger.e)
			return NULL;
		for (j = 0; j < m->cap; j++) {
			size_t k;

			if (!m->e[j].s)
				continue;
			k = hash_ci(m->e[j].s, m->e[j].n) & (bigger.cap - 1);
			while (bigger.e[k].s)
				k = (k + 1) & (bigger.cap - 1);
			bigger.e[k] = m->e[j];
			bigger.count++;
		}
		free(m->e);
		*m = bigger;
		i = hash_ci(s, n) & (m->cap - 1);
		while (m->e[i].s)
			i = (i + 1) & (m->cap - 1);
	}
	m->e[i].s = malloc(n + 1);
	if (!m->e[i].s)
		return NULL;
	memcpy(m->e[i].s, s, n);
	m->e[i].s[n] = '\0';
	m->e[i].n = n;
	m->e[i].matched = rule_channel(src, s, n, &m->e[i].channel);
	if (!m->e[i].matched)
		m->e[i].channel = other;
	m->count++;
	return &m->e[i];
}

/* The channel of a source value, per the source's rules; `other` (and
 * counted) when no rule matches. */
static int channel_of(reader *r, const bp_field *f)
{
	const char *s = f->p;
	size_t n = f->n;
	value_entry *e;
	int ch;

	trim(&s, &n);
	e = values_get(&r->values, r->src, r->in->other, s, n);
	if (e) {
		e->count++;
		if (!e->matched)
			r->q->unmatched_rows++;
		return e->channel;
	}
	if (rule_channel(r->src, s, n, &ch))
		return ch;
	r->q->unmatched_rows++;
	return r->in->other;
}

/* Moves the unmatched values into the quality record, most frequent
 * first. */
static int cmp_unmatched(const void *a, const void *b)
{
	const bp_unmatched *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->value, y->value);
}

/* The values past the cache's capacity are counted but not kept: one
 * entry says how many rows they hold. */
#define MORE_VALUES "(more values)"

static void collect_unmatched(reader *r)
{
	value_map *m = &r->values;
	size_t i, k = 0;
	int64_t listed = 0;

	if (!m->e)
		return;
	for (i = 0; i < m->cap; i++)
		if (m->e[i].s && !m->e[i].matched) {
			k++;
			listed += m->e[i].count;
		}
	if (!k)
		return;
	r->q->unmatched = calloc(k + 1, sizeof(*r->q->unmatched));
	if (!r->q->unmatched)
		return;
	if (r->q->unmatched_rows > listed) {
		r->q->unmatched[0].value = strdup(MORE_VALUES);
		r->q->unmatched[0].count = r->q->unmatched_rows - listed;
		r->q->n_unmatched = r->q->unmatched[0].value != NULL;
	}
	for (i = 0; i < m->cap; i++) {
		if (!m->e[i].s || m->e[i].matched)
			continue;
		r->q->unmatched[r->q->n_unmatched].value = m->e[i].s;
		r->q->unmatched[r->q->n_unmatched].count = m->e[i].count;
		r->q->n_unmatched++;
		m->e[i].s = NULL;
	}
	qsort(r->q->unmatched, r->q->n_unmatched, sizeof(*r->q->unmatched),
	      cmp_unmatched);
}

/* ---- header ---- */

static const preset *find_preset(const bp_source *src)
{
	size_t i;

	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (presets[i].kind == src->kind &&
		    strcmp(presets[i].name, src->preset) == 0)
			return &presets[i];
	return NULL;
}

/* Fills the normalised names each field goes by: the override's name
 * alone, or the preset's aliases plus the field name itself. */
static void prepare_names(reader *r)
{
	size_t f;

	for (f = 0; f < r->p->n_fields; f++) {
		const field_spec *fs = &r->p->fields[f];
		const bp_column *ov = bp_source_column(r->src, fs->field);
		int k = 0, a;

		r->fmt[f] = ov ? ov->format : NULL;
		r->header_name[f] = fs->aliases[0];
		if (ov && ov->name) {
			normalise(ov->name, strlen(ov->name), r->norm[f][k++], 160);
			r->header_name[f] = ov->name;
		} else {
			for (a = 0; a < MAX_ALIASES - 1 && fs->aliases[a]; a++)
				normalise(fs->aliases[a], strlen(fs->aliases[a]),
					  r->norm[f][k++], 160);
			normalise(fs->field, strlen(fs->field), r->norm[f][k++], 160);
		}
		r->n_norm[f] = k;
	}
}

static int name_matches(const char *alias, const char *header)
{
	size_t n = strlen(alias);

	if (n && alias[n - 1] == '*')
		return strncmp(alias, header, n - 1) == 0;
	return strcmp(alias, header) == 0;
}

static int field_matches(const reader *r, size_t f, const char *header)
{
	int k;

	for (k = 0; k < r->n_norm[f]; k++)
		if (name_matches(r->norm[f][k], header))
			return 1;
	return 0;
}

static int is_header(void *ctx, const bp_field *fields, size_t n)
{
	const reader *r = ctx;
	char h[160];
	size_t i, f;

	for (i = 0; i < n; i++) {
		normalise(fields[i].p, fields[i].n, h, sizeof(h));
		for (f = 0; f < r->p->n_fields; f++)
			if (r->p->fields[f].required && field_matches(r, f, h))
				return 1;
	}
	return 0;
}

/* "Amount spent (USD)" carries the currency in its header. */
static void currency_from_header(reader *r, const bp_field *h)
{
	const char *open = memchr(h->p, '(', h->n);

	if (open && h->p + h->n - open >= 5 && open[4] == ')' &&
	    isupper((unsigned char)open[1]) && isupper((unsigned char)open[2]) &&
	    isupper((unsigned char)open[3]))
		snprintf(r->currency, sizeof(r->currency), "%.3s", open + 1);
}

static int map_columns(reader *r, bp_field *hdr, size_t n, bp_err *err)
{
	char h[160];
	size_t i, f;

	for (f = 0; f < r->p->n_fields; f++)
		r->col[f] = -1;
	for (i = 0; i < n; i++) {
		normalise(hdr[i].p, hdr[i].n, h, sizeof(h));
		for (f = 0; f < r->p->n_fields; f++) {
			if (r->col[f] >= 0 || !field_matches(r, f, h))
				continue;
			r->col[f] = (int)i;
			if (r->src->kind == BP_SRC_SPEND && f == S_COST)
				currency_from_header(r, &hdr[i]);
			break;
		}
	}
	for (f = 0; f < r->p->n_fields; f++)
		if (r->p->fields[f].required && r->col[f] < 0)
			return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
					 0, "missing required column '%s' (%s %s "
					 "field '%s'; name it with <column field=\"%s\" "
					 "name=\"...\"/>)", r->header_name[f],
					 r->p->name, bp_source_kind_name(r->src->kind),
					 r->p->fields[f].field, r->p->fields[f].field);
	return 0;
}

/* ---- per-row values ---- */

static const bp_field *get(const reader *r, int f)
{
	static const bp_field empty = { "", 0 };
	int c = r->col[f];

	if (c < 0 || (size_t)c >= r->n)
		return &empty;
	return &r->fields[c];
}

static long col_of(const reader *r, int f)
{
	return r->col[f] < 0 ? 0 : bp_csv_col(r->csv, (size_t)r->col[f]);
}

/* A date field.  Returns 1 with *t set, 0 when missing, and -1 when the
 * text is not a date: for a required field that is an error (err set),
 * for an optional one it is counted and treated as missing (returns 0). */
/* Whether v is "YYYY-MM-DD HH:MM" (HubSpot's export form). */
static int export_stamp(const bp_field *v)
{
	static const char shape[] = "dddd-dd-dd dd:dd";
	size_t i;

	if (v->n != 16)
		return 0;
	for (i = 0; i < 16; i++)
		if (shape[i] == 'd' ? (unsigned)(v->p[i] - '0') > 9 : v->p[i] != shape[i])
			return 0;
	return 1;
}

static int32_t day_key(const char *p)
{
	int32_t y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 +
		    (p[3] - '0');

	return (y * 12 + (p[5] - '0') * 10 + (p[6] - '0')) * 32 +
	       (p[8] - '0') * 10 + (p[9] - '0');
}

/* The instant of an export stamp from a remembered day, or BP_TIME_NONE
 * when its day is not remembered (or the time is not valid). */
static bp_time stamp_from_day(const reader *r, const bp_field *v)
{
	int32_t key = day_key(v->p);
	int h = (v->p[11] - '0') * 10 + (v->p[12] - '0');
	int m = (v->p[14] - '0') * 10 + (v->p[15] - '0');

	if (r->days[key % DAY_CACHE].key != key || h > 23 || m > 59)
		return BP_TIME_NONE;
	return r->days[key % DAY_CACHE].midnight + h * 3600 + m * 60;
}

/* Remembers the day of a parsed export stamp when its offset holds from
 * 00:00 to 23:59. */
static void remember_day(reader *r, const bp_field *v, const bp_civil *c)
{
	int64_t midnight = bp_days_from_civil(c->y, c->mon, c->d) * 86400;
	bp_time t0 = bp_tz_from_local(r->src_tz, midnight);
	bp_time t1 = bp_tz_from_local(r->src_tz, midnight + 86340);
	int32_t key = day_key(v->p);

	if (t1 - t0 != 86340 || key <= 0)
		return;
	r->days[key % DAY_CACHE].key = key;
	r->days[key % DAY_CACHE].midnight = t0;
}

static int date_value(reader *r, int f, int required, bp_time *t, bp_err *err)
{
	const bp_field *v = get(r, f);
	bp_civil c;
	char buf[64];
	int stamp = !r->fmt[f] && export_stamp(v), rc;

	if (stamp && (*t = stamp_from_day(r, v)) != BP_TIME_NONE) {
		r->timed[f] = 1;
		return 1;
	}
	rc = bp_date_parse(v->p, v->n, r->fmt[f], &c);
	*t = BP_TIME_NONE;
	if (rc > 0) {
		*t = bp_civil_to_time(&c, r->src_tz, r->in->f->tz);
		r->timed[f] = c.has_time;
		if (stamp && !c.has_offset)
			remember_day(r, v, &c);
		return 1;
	}
	if (rc == 0 && !required)
		return 0;
	if (rc < 0 && !required) {
		r->q->bad_dates++;
		return 0;
	}
	if (rc == 0)
		return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
				 col_of(r, f), "missing %s in column '%s'",
				 r->p->fields[f].field, r->header_name[f]);
	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv), col_of(r, f),
			 "bad date '%s' in column '%s': expected %s",
			 shown(v, buf, sizeof(buf)), r->header_name[f],
			 r->fmt[f] ? r->fmt[f] : "a date like 2026-10-31 or "
			 "2026-10-31 14:05 (set format= on <column> for others)");
}

/* A money field: 1 parsed, 0 missing, -1 error (err set).  A currency
 * written with the amount must be the report's: there is no rate to
 * convert with. */
static int money_value(reader *r, int f, bp_money *m, bp_err *err)
{
	const bp_field *v = get(r, f);
	char buf[64], mark[8];
	int rc = bp_num_money_mark(v->p, v->n, m, mark);

	if (rc > 0 && !bp_num_currency_ok(mark, r->in->cfg->currency))
		return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
				 col_of(r, f), "amount '%s' in column '%s' is in %s "
				 "but the report currency is %s: export in %s or set "
				 "report/@currency", shown(v, buf, sizeof(buf)),
				 r->header_name[f], mark, r->in->cfg->currency,
				 r->in->cfg->currency);
	if (rc >= 0)
		return rc;
	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv), col_of(r, f),
			 "bad money amount '%s' in column '%s': expected a number "
			 "like 1234.50 or 1,234.50", shown(v, buf, sizeof(buf)),
			 r->header_name[f]);
}

/* A count field; missing counts as 0.  Returns 0 or -1 (err set). */
static int count_value(reader *r, int f, int64_t *out, bp_err *err)
{
	const bp_field *v = get(r, f);
	char buf[64];
	int rc = bp_num_count(v->p, v->n, out);

	if (rc > 0)
		return 0;
	*out = 0;
	if (rc == 0)
		return 0;
	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv), col_of(r, f),
			 "bad number '%s' in column '%s': expected a whole number",
			 shown(v, buf, sizeof(buf)), r->header_name[f]);
}

/* The currency on a row (its column, else its header) must be the
 * report's: there is no conversion rate to apply. */
static int check_currency(reader *r, int f, bp_err *err)
{
	const bp_field *v = get(r, f);
	const char *s = v->p;
	size_t n = v->n;
	char buf[64];

	trim(&s, &n);
	if (n == 0 && r->currency[0]) {
		s = r->currency;
		n = strlen(s);
	}
	if (n == 0 || bp_num_missing(s, n))
		return 0;
	if (n == strlen(r->in->cfg->currency) &&
	    strncasecmp(s, r->in->cfg->currency, n) == 0)
		return 0;
	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
			 r->col[f] >= 0 ? col_of(r, f) : 0,
			 "amount in %s but the report currency is %s: export "
			 "in %s or set report/@currency",
			 n < sizeof(buf) ? s : shown(v, buf, sizeof(buf)),
			 r->in->cfg->currency, r->in->cfg->currency);
}

/* Salesforce and Google Ads end with total and notice rows. */
static int is_footer(const bp_field *fields, size_t n)
{
	const char *s;
	size_t len;

	if (n == 0)
		return 0;
	s = fields[0].p;
	len = fields[0].n;
	trim(&s, &len);
	/* "Total", "Total: Account": not "Total Recall Promo", a campaign. */
	if (len >= 5 && strncasecmp(s, "total", 5) == 0 &&
	    (len == 5 || s[5] == ':'))
		return 1;
	return (len >= 24 && strncmp(s, "Confidential Information", 24) == 0) ||
	       (len >= 9 && strncmp(s, "Copyright", 9) == 0);
}

/* ---- contacts ---- */

static uint32_t pack_ref(bp_month cohort, int channel)
{
	return ((uint32_t)cohort << 12) | (uint32_t)channel;
}

static void unpack_ref(uint32_t ref, bp_month *cohort, int *channel)
{
	*cohort = (bp_month)(ref >> 12);
	*channel = (int)(ref & 0xFFF);
}

/* Records each deal a contact lists so deals without a contact column can
 * still be joined; the first contact to list a deal keeps it. */
static int remember_deals(reader *r, const bp_field *v, uint32_t ref)
{
	const char *p = v->p, *end = v->p + v->n;

	while (p < end) {
		const char *q = p;
		size_t n;

		while (q < end && *q != ';' && *q != ',')
			q++;
		n = (size_t)(q - p);
		trim(&p, &n);
		if (n && bp_idx_put(r->in->deal_refs, p, n, ref, NULL) < 0)
			return -1;
		p = q + 1;
	}
	return 0;
}

static const int contact_stage_field[BP_NSTAGES] = {
	C_LEAD, C_MQL, C_SQL, C_OPP, C_CUSTOMER
};

/* The local calendar day of t in the report's zone. */
static int64_t local_day(const bp_tz *tz, bp_time t)
{
	int64_t local = t + bp_tz_offset(tz, t);

	return local / 86400 - (local % 86400 < 0);
}

/* Whether stage s was reached before the contact was created.  A date
 * without a time means that whole day, so it is compared by day: a lead
 * "on 2026-10-31" is not before a creation at 10:00 that day. */
static int before_create(const reader *r, const bp_contact *c, int s)
{
	int f = contact_stage_field[s];

	if (r->timed[f] && r->timed[C_CREATED])
		return c->stage[s] < c->created;
	return local_day(r->in->f->tz, c->stage[s]) <
	       local_day(r->in->f->tz, c->created);
}

/* Adds a parsed contact: the index first (a repeated ID is skipped), then
 * its deal list, then the funnel.  `id` and `deals` may point into the
 * pending entry or the reader's current record. */
static int commit_contact(reader *r, const pending *p, const char *id,
			  size_t idn, const bp_field *deals, bp_err *err)
{
	int rc = bp_idx_put(r->in->contacts, id, idn, p->ref, NULL);

	if (rc < 0)
		return bp_err_set(err, BP_ESOFTWARE, "out of memory");
	if (rc == 0) {
		r->q->duplicates++;
		return 0;
	}
	if (deals->n && remember_deals(r, deals, p->ref) < 0)
		return bp_err_set(err, BP_ESOFTWARE, "out of memory");
	r->q->after_as_of += p->late;
	r->q->stage_before_create += p->early;
	if (bp_funnel_add_contact(r->in->f, &p->c))
		r->q->rows_used++;
	return 0;
}

static int commit_oldest(reader *r, bp_err *err)
{
	const pending *p = &r->ahead[r->ahead_first];
	bp_field deals = { p->deals, p->dealsn };

	r->ahead_first = (r->ahead_first + 1) % LOOKAHEAD;
	r->ahead_n--;
	return commit_contact(r, p, p->id, p->idn, &deals, err);
}

/* Commits every contact still waiting (at the end of the file, and
 * before a contact too large to wait). */
static int flush_contacts(reader *r, bp_err *err)
{
	while (r->ahead_n)
		if (commit_oldest(r, err) < 0)
			return -1;
	return 0;
}

/* A contact row.  Looking an ID up in an index of millions misses the
 * cache every time, so each parsed contact waits LOOKAHEAD rows with its
 * slot prefetched before it is committed: the misses overlap with the
 * parsing of the rows in between.  Order is kept, so of two rows with
 * the same ID the later one is still the one skipped. */
static int contact_row(reader *r, bp_err *err)
{
	bp_funnel *f = r->in->f;
	const bp_field *id = get(r, C_ID), *deals = get(r, C_DEALS);
	pending *p;
	bp_time evangelist;
	int s;
	const char *idp = id->p;
	size_t idn = id->n;

	trim(&idp, &idn);
	if (idn == 0) {
		r->q->missing_id++;
		return 0;
	}
	if (r->ahead_n == LOOKAHEAD && commit_oldest(r, err) < 0)
		return -1;
	p = &r->ahead[(r->ahead_first + r->ahead_n) % LOOKAHEAD];
	p->early = p->late = 0;
	if (date_value(r, C_CREATED, 1, &p->c.created, err) < 0)
		return -1;
	for (s = 0; s < BP_NSTAGES; s++)
		date_value(r, contact_stage_field[s], 0, &p->c.stage[s], err);
	date_value(r, C_EVANGELIST, 0, &evangelist, err);
	if (evangelist != BP_TIME_NONE && (p->c.stage[BP_CUSTOMER] == BP_TIME_NONE ||
					   evangelist < p->c.stage[BP_CUSTOMER]))
		p->c.stage[BP_CUSTOMER] = evangelist;
	p->c.channel = channel_of(r, get(r, C_SOURCE));
	for (s = 0; s < BP_NSTAGES; s++) {
		if (p->c.stage[s] == BP_TIME_NONE)
			continue;
		if (before_create(r, &p->c, s))
			p->early = 1;
		if (p->c.stage[s] > f->as_of)
			p->late = 1;
	}
	if (p->c.created > f->as_of)
		p->late = 1;
	p->ref = p->c.created > f->as_of ? REF_FUTURE :
		 pack_ref(bp_funnel_month_of(f, p->c.created), p->c.channel);

	if (idn > sizeof(p->id) || deals->n > sizeof(p->deals)) {
		/* Too large to wait: commit everything before it, then it. */
		pending big = *p;

		if (flush_contacts(r, err) < 0)
			return -1;
		return commit_contact(r, &big, idp, idn, deals, err);
	}
	memcpy(p->id, idp, idn);
	p->idn = (uint16_t)idn;
	memcpy(p->deals, deals->p, deals->n);
	p->dealsn = (uint16_t)deals->n;
	bp_idx_prefetch(r->in->contacts, p->id, p->idn);
	r->ahead_n++;
	return 0;
}

/* ---- deals ---- */

static int is_won(const reader *r, const bp_field *stage)
{
	char key[128], want[128];
	size_t i;

	won_key(stage->p, stage->n, key, sizeof(key));
	for (i = 0; i < sizeof(won_stages) / sizeof(won_stages[0]); i++)
		if (strcmp(key, won_stages[i]) == 0)
			return 1;
	for (i = 0; i < r->src->n_won_stages; i++) {
		won_key(r->src->won_stages[i], strlen(r->src->won_stages[i]),
			want, sizeof(want));
		if (strcmp(key, want) == 0)
			return 1;
	}
	return 0;
}

/* The ref of the deal's contact: the first ID in its own contact column,
 * else the contact that listed the deal.  Returns 0 when none is known. */
static int deal_contact(reader *r, const char *id, size_t id_n, uint32_t *ref)
{
	const bp_field *v = get(r, D_CONTACTS);
	const char *p = v->p, *end = v->p + v->n, *q = p;
	size_t n;

	while (q < end && *q != ';' && *q != ',')
		q++;
	n = (size_t)(q - p);
	trim(&p, &n);
	if (n && bp_idx_get(r->in->contacts, p, n, ref))
		return *ref != REF_FUTURE;
	if (bp_idx_get(r->in->deal_refs, id, id_n, ref))
		return *ref != REF_FUTURE;
	return 0;
}

/* A deal row.  Open and lost deals are used (they are correctly not
 * won); a won deal is used only when it counts: closed by as_of, with a
 * close date and an amount. */
static int deal_row(reader *r, bp_idx *seen, bp_err *err)
{
	const bp_field *id = get(r, D_ID);
	const char *idp = id->p;
	size_t idn = id->n;
	bp_deal d = { 0 };
	uint32_t ref;
	int rc;

	trim(&idp, &idn);
	if (idn == 0) {
		r->q->missing_id++;
		return 0;
	}
	rc = bp_idx_put(seen, idp, idn, 0, NULL);
	if (rc < 0)
		return bp_err_set(err, BP_ESOFTWARE, "out of memory");
	if (rc == 0) {
		r->q->duplicates++;
		return 0;
	}
	d.won = is_won(r, get(r, D_STAGE));
	rc = money_value(r, D_AMOUNT, &d.amount, err);
	if (rc < 0)
		return -1;
	d.has_amount = rc > 0;
	if (d.has_amount && check_currency(r, D_CURRENCY, err) < 0)
		return -1;
	date_value(r, D_CLOSED, 0, &d.closed, err);
	if (!d.won) {
		r->q->rows_used++;
		return 0;
	}
	if (d.closed == BP_TIME_NONE) {
		r->q->won_without_close_date++;
		return 0;
	}
	if (d.closed > r->in->f->as_of) {
		r->q->after_as_of++;
		return 0;
	}
	if (!d.has_amount) {
		r->q->won_without_amount++;
		return 0;
	}
	d.channel = r->in->other;
	d.cohort = BP_MONTH_NONE;
	if (deal_contact(r, idp, idn, &ref))
		unpack_ref(ref, &d.cohort, &d.channel);
	else
		r->q->unknown_contact++;
	bp_funnel_add_deal(r->in->f, &d);
	r->q->rows_used++;
	return 0;
}

/* ---- spend and traffic ---- */

static int spend_row(reader *r, bp_err *err)
{
	bp_time day;
	bp_money cost;
	int64_t impressions, clicks;
	int rc;

	if (date_value(r, S_DATE, 1, &day, err) < 0)
		return -1;
	rc = money_value(r, S_COST, &cost, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		cost = 0;
	if (count_value(r, S_IMPRESSIONS, &impressions, err) < 0 ||
	    count_value(r, S_CLICKS, &clicks, err) < 0)
		return -1;
	if (cost && check_currency(r, S_CURRENCY, err) < 0)
		return -1;
	if (day > r->in->f->as_of) {
		r->q->after_as_of++;
		return 0;
	}
	r->q->rows_used++;
	bp_funnel_add_spend(r->in->f, bp_funnel_month_of(r->in->f, day),
			    r->src->channel, cost, impressions, clicks);
	return 0;
}

static int traffic_row(reader *r, bp_err *err)
{
	bp_time day;
	int64_t sessions, engaged, new_users;
	int channel;

	if (date_value(r, T_DATEF, 1, &day, err) < 0)
		return -1;
	if (count_value(r, T_SESSIONS, &sessions, err) < 0 ||
	    count_value(r, T_ENGAGED, &engaged, err) < 0 ||
	    count_value(r, T_NEW_USERS, &new_users, err) < 0)
		return -1;
	channel = channel_of(r, get(r, T_CHANNEL));
	if (day > r->in->f->as_of) {
		r->q->after_as_of++;
		return 0;
	}
	r->q->rows_used++;
	bp_funnel_add_traffic(r->in->f, bp_funnel_month_of(r->in->f, day), channel,
			      sessions, new_users, engaged);
	return 0;
}

/* ---- the public part ---- */

bp_ingest *bp_ingest_new(const bp_config *cfg, bp_funnel *f, bp_err *err)
{
	bp_ingest *in = calloc(1, sizeof(*in));
	size_t i;

	if (!in)
		goto oom;
	in->cfg = cfg;
	in->f = f;
	in->other = (int)cfg->n_channels - 1;
	in->contacts = bp_idx_new();
	in->deal_refs = bp_idx_new();
	in->tz = calloc(cfg->n_sources ? cfg->n_sources : 1, sizeof(*in->tz));
	if (!in->contacts || !in->deal_refs || !in->tz)
		goto oom;
	if (cfg->n_channels > 0xFFF) {
		bp_err_set(err, BP_ECONFIG, "too many channels (%zu; at most %d)",
			   cfg->n_channels, 0xFFF);
		goto fail;
	}
	for (i = 0; i < cfg->n_sources; i++) {
		const char *name = cfg->sources[i].timezone;

		if (!name)
			continue;
		in->tz[i] = bp_tz_load(name, err);
		if (!in->tz[i])
			goto fail;
	}
	return in;
oom:
	bp_err_set(err, BP_ESOFTWARE, "out of memory");
fail:
	bp_ingest_free(in);
	return NULL;
}

void bp_ingest_free(bp_ingest *in)
{
	size_t i;

	if (!in)
		return;
	bp_idx_free(in->contacts);
	bp_idx_free(in->deal_refs);
	if (in->tz)
		for (i = 0; i < in->cfg->n_sources; i++)
			bp_tz_free(in->tz[i]);
	free(in->tz);
	free(in);
}

size_t bp_ingest_index_count(const bp_ingest *in)
{
	return bp_idx_count(in->contacts);
}

size_t bp_ingest_index_bytes(const bp_ingest *in)
{
	return bp_idx_bytes(in->contacts) + bp_idx_bytes(in->deal_refs);
}

void bp_quality_clear(bp_quality *q)
{
	size_t i;

	if (!q)
		return;
	for (i = 0; i < q->n_unmatched; i++)
		free(q->unmatched[i].value);
	free(q->unmatched);
	memset(q, 0, sizeof(*q));
}

/* After the first rows of a contacts file, sizes the contact index for
 * the whole file from its size and the bytes per row so far, so the index
 * is built once instead of rehashed as it grows.  An estimate too small
 * only means the usual growth; too large costs untouched memory. */
#define SIZING_ROWS 4096

static void size_index(reader *r, unsigned long long file_bytes)
{
	unsigned long long used = bp_csv_bytes(r->csv);
	double per_row;

	if (!used || file_bytes <= used)
		return;
	per_row = (double)used / (double)r->q->rows_read;
	bp_idx_reserve(r->in->contacts,
		       bp_idx_count(r->in->contacts) +
		       (size_t)((double)(file_bytes - used) / per_row * 1.05));
}

static int read_rows(reader *r, unsigned long long file_bytes, bp_err *err)
{
	bp_idx *seen = NULL;
	int rc;

	if (r->src->kind == BP_SRC_DEALS && !(seen = bp_idx_new()))
		return bp_err_set(err, BP_ESOFTWARE, "out of memory");
	while ((rc = bp_csv_next(r->csv, &r->fields, &r->n, err)) > 0) {
		r->q->rows_read++;
		if (r->q->rows_read == SIZING_ROWS && r->src->kind == BP_SRC_CONTACTS)
			size_index(r, file_bytes);
		if ((r->q->rows_read & 0x3FFFF) == 0 && file_bytes)
			bp_log_progress("reading %s: %.0f%% (%lld rows)", r->src->id,
					100.0 * (double)bp_csv_bytes(r->csv) /
					(double)file_bytes, (long long)r->q->rows_read);
		if (is_footer(r->fields, r->n)) {
			r->q->footer_rows++;
			continue;
		}
		switch (r->src->kind) {
		case BP_SRC_CONTACTS: rc = contact_row(r, err); break;
		case BP_SRC_DEALS: rc = deal_row(r, seen, err); break;
		case BP_SRC_SPEND: rc = spend_row(r, err); break;
		case BP_SRC_TRAFFIC: rc = traffic_row(r, err); break;
		}
		if (rc < 0)
			break;
	}
	bp_log_progress_done();
	bp_idx_free(seen);
	if (rc == 0 && flush_contacts(r, err) < 0)
		rc = -1;
	return rc < 0 ? -1 : 0;
}

int bp_ingest_source(bp_ingest *in, const bp_source *src, const char *path,
		     const char *name, bp_quality *q, bp_err *err)
{
	reader *r = calloc(1, sizeof(*r));
	bp_field *hdr;
	size_t n_hdr;
	struct stat st;
	int rc = -1;

	if (!r)
		return bp_err_set(err, BP_ESOFTWARE, "out of memory");
	r->in = in;
	r->src = src;
	r->name = name;
	r->q = q;
	q->src = src;
	r->src_tz = in->tz[src - in->cfg->sources] ?
		    in->tz[src - in->cfg->sources] : in->f->tz;
	r->p = find_preset(src);
	if (!r->p) {
		bp_err_set(err, BP_ECONFIG, "source '%s': unknown %s preset '%s'",
			   src->id, bp_source_kind_name(src->kind), src->preset);
		goto out;
	}
	prepare_names(r);
	r->csv = bp_csv_open(path, name, err);
	if (!r->csv)
		goto out;
	if (bp_csv_header(r->csv, is_header, r, MAX_PREAMBLE, &hdr, &n_hdr, err) < 0) {
		if (strstr(err->msg, "no header row"))
			bp_err_at(err, BP_EDATA, name, 0, 0, "no header row with a "
				  "'%s' column in the first %d lines (is this a %s %s "
				  "export?)", r->header_name[0], MAX_PREAMBLE,
				  r->p->name, bp_source_kind_name(src->kind));
		goto out;
	}
	if (map_columns(r, hdr, n_hdr, err) < 0 ||
	    bp_csv_project(r->csv, r->col, r->p->n_fields, err) < 0)
		goto out;
	/* Without engaged sessions there is no bounce rate, not 100%. */
	if (src->kind == BP_SRC_TRAFFIC && r->col[T_ENGAGED] >= 0)
		in->f->engaged_known = 1;
	rc = read_rows(r, stat(path, &st) == 0 ? (unsigned long long)st.st_size : 0,
		       err);
	q->bytes = bp_csv_bytes(r->csv);
	collect_unmatched(r);
out:
	values_free(&r->values);
	bp_csv_close(r->csv);
	free(r);
	return rc;
}
