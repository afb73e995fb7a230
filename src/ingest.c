/*
 * ingest.c - presets, column mapping and row handling for each source kind.
 *
 * A preset is a list of fields, each with the header names it goes by in
 * the wild, plus the quirks of its vendor's exports (a date range in the
 * preamble instead of a day column, a row that says there was no data,
 * total rows to check the rows against).  The header row is the first line
 * (after any preamble) that holds one of the required columns; every row
 * after it is turned into a contact, deal, spend or traffic record and
 * added to the funnel.
 */
#include "ingest.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "csv.h"
#include "date.h"
#include "sha256.h"
#include "idx.h"
#include "log.h"
#include "mem.h"
#include "num.h"
#include "text.h"

#define MAX_FIELDS 13
#define MAX_ALIASES 8
#define MAX_PREAMBLE 50
#define NAME_LEN 160
#define MAX_CACHED_VALUES 4096
#define LIFE_VALUES 12
/* A contacts file at least this large is read in two halves at once
 * where two CPUs are online: below it, starting the second thread and
 * merging cost about what they save. */
#define SPLIT_MIN_BYTES ((unsigned long long)32 << 20)
/* Source values no rule matched that data quality lists, most rows
 * first: the rest are folded into one "(more values)" entry. */
#define MAX_LISTED_VALUES 100
/* Total rows ("Total: Account") kept to check the rows against. */
#define MAX_TOTALS 16
/* The longest record ID accepted (HubSpot's are 12 digits). */
#define MAX_ID_BYTES 256
/* A contact that exists in the file but not for this run (created after
 * as_of): deals joined to it are treated as having no known contact. */
#define REF_FUTURE 0xFFFFFFFFu
/* HubSpot's default lifecycle pipeline, as its current labels name it. */
#define DEFAULT_PIPELINE "Lifecycle Stage Pipeline"
/* The sanity checks on a whole export need enough rows to mean
 * something, and tolerate a little disagreement. */
#define ONE_VALUE_ROWS 50
#define NO_WON_ROWS 50
#define MISMATCH_SHARE 0.01
/* Duplicate IDs or deals without their contact: a few are normal, more
 * than this share of an export of this many rows is a broken export. */
#define MANY_ROWS 20
#define MANY_SHARE 0.05
/* What an error shows of a header row. */
#define HEADER_LIST_LEN 320

enum ftype { T_TEXT, T_DATE, T_MONEY, T_COUNT };

enum {
	F_REQUIRED = 1 << 0,
	F_RANGE = 1 << 1     /* a required date the export's range may stand for */
};

/* A header name, and the date format its values have when it implies one
 * ("Date + hour (YYYYMMDDHH)"). */
typedef struct alias {
	const char *name;
	const char *format;
} alias;

typedef struct field_spec {
	const char *field;
	unsigned flags;
	enum ftype type;
	/* In order of preference.  A trailing '*' matches any header starting
	 * with the rest ("Amount spent (USD)"). */
	alias aliases[MAX_ALIASES];
} field_spec;

/* What a vendor's exports do besides their columns. */
enum {
	Q_RANGE_LINE = 1 << 0,     /* a preamble line "July 8, 2025 - July 31, 2025" */
	Q_RANGE_COMMENTS = 1 << 1, /* "# Start date: 20261001", "# End date: ..." */
	Q_NO_DATA_ROW = 1 << 2,    /* "No data available." as the only row */
	Q_EMPTY_PREAMBLE = 1 << 3, /* an empty period: the preamble and nothing else */
	Q_TOTALS = 1 << 4,         /* "Total: Account" rows to check the rows against */
	Q_NOTES = 1 << 5,          /* an empty row ends the table; notes may follow */
	Q_SNAPSHOT = 1 << 6        /* stacked tables are a different export */
};

typedef struct preset {
	bp_source_kind kind;
	const char *name;
	const field_spec *fields;
	size_t n_fields;
	unsigned quirks;
	const char *vendor;        /* for messages: "Google Ads" */
	const char *day_advice;    /* how to get a per-day column in its UI */
	const char *export_advice; /* the export that has the columns */
} preset;

/* Field positions are fixed per kind, so row code can index by them. */
enum { C_ID, C_CREATED, C_SOURCE, C_LEAD, C_MQL, C_SQL, C_OPP, C_CUSTOMER,
       C_EVANGELIST, C_DEALS, C_LIFECYCLE, C_DRILL1, C_DRILL2, C_N };
enum { D_ID, D_STAGE, D_CLOSED, D_AMOUNT, D_CONTACTS, D_CURRENCY, D_CREATED,
       D_N };
enum { S_DATE, S_COST, S_IMPRESSIONS, S_CLICKS, S_CURRENCY, S_CAMPAIGN, S_UNTIL,
       S_N };
enum { T_DATEF, T_CHANNEL, T_SESSIONS, T_ENGAGED, T_NEW_USERS, T_N };

/* HubSpot's two generations of stage labels side by side: the current
 * "Date entered" ones first (they also cover custom stages), then the API
 * names, then the older "Became a ... Date" labels. */
#define STAGE(id, label, api, old, oldapi) \
	{ id, 0, T_DATE, { { "Date entered \"" label " (" DEFAULT_PIPELINE ")\"", NULL }, \
			   { "hs_v2_date_entered_" api, NULL }, { old, NULL }, \
			   { "hs_lifecyclestage_" oldapi "_date", NULL } } }

static const field_spec hubspot_contacts[C_N] = {
	[C_ID] = { "id", F_REQUIRED, T_TEXT, { { "Record ID", NULL },
		{ "Contact ID", NULL }, { "hs_object_id", NULL }, { "vid", NULL } } },
	[C_CREATED] = { "created", F_REQUIRED, T_DATE, { { "Create Date", NULL },
		{ "createdate", NULL } } },
	[C_SOURCE] = { "source", F_REQUIRED, T_TEXT, {
		{ "Original Traffic Source", NULL }, { "Original Source", NULL },
		{ "Original Source Type", NULL }, { "hs_analytics_source", NULL } } },
	[C_LEAD] = STAGE("lead", "Lead", "lead", "Became a Lead Date", "lead"),
	[C_MQL] = STAGE("mql", "Marketing Qualified Lead", "marketingqualifiedlead",
			"Became a Marketing Qualified Lead Date",
			"marketingqualifiedlead"),
	[C_SQL] = STAGE("sql", "Sales Qualified Lead", "salesqualifiedlead",
			"Became a Sales Qualified Lead Date", "salesqualifiedlead"),
	[C_OPP] = STAGE("opportunity", "Opportunity", "opportunity",
			"Became an Opportunity Date", "opportunity"),
	[C_CUSTOMER] = STAGE("customer", "Customer", "customer",
			     "Became a Customer Date", "customer"),
	[C_EVANGELIST] = STAGE("evangelist", "Evangelist", "evangelist",
			       "Became an Evangelist Date", "evangelist"),
	[C_DEALS] = { "deals", 0, T_TEXT, { { "Associated Deal IDs", NULL },
		{ "Associated Deal ID", NULL }, { "Associated Deals", NULL },
		{ "Associated Deal", NULL } } },
	[C_LIFECYCLE] = { "lifecycle_stage", 0, T_TEXT, {
		{ "Lifecycle Stage", NULL }, { "lifecyclestage", NULL } } },
	[C_DRILL1] = { "drill_down_1", 0, T_TEXT, {
		{ "Original Traffic Source Drill-Down 1", NULL },
		{ "Original Source Drill-Down 1", NULL },
		{ "hs_analytics_source_data_1", NULL } } },
	[C_DRILL2] = { "drill_down_2", 0, T_TEXT, {
		{ "Original Traffic Source Drill-Down 2", NULL },
		{ "Original Source Drill-Down 2", NULL },
		{ "hs_analytics_source_data_2", NULL } } },
};

static const field_spec hubspot_deals[D_N] = {
	[D_ID] = { "id", F_REQUIRED, T_TEXT, { { "Record ID", NULL },
		{ "Deal ID", NULL }, { "hs_object_id", NULL } } },
	[D_STAGE] = { "stage", F_REQUIRED, T_TEXT, { { "Deal Stage", NULL },
		{ "dealstage", NULL } } },
	[D_CLOSED] = { "closed", F_REQUIRED, T_DATE, { { "Close Date", NULL },
		{ "closedate", NULL } } },
	[D_AMOUNT] = { "amount", F_REQUIRED, T_MONEY, { { "Amount", NULL },
		{ "amount", NULL } } },
	[D_CONTACTS] = { "contacts", 0, T_TEXT, {
		{ "Associated Contact IDs", NULL }, { "Associated Contact ID", NULL },
		{ "Associated Contacts", NULL }, { "Associated Contact", NULL } } },
	[D_CURRENCY] = { "currency", 0, T_TEXT, { { "Currency", NULL },
		{ "deal_currency_code", NULL }, { "Deal currency code", NULL } } },
	[D_CREATED] = { "created", 0, T_DATE, { { "Create Date", NULL },
		{ "createdate", NULL } } },
};

static const field_spec google_ads[S_N] = {
	[S_DATE] = { "date", F_REQUIRED | F_RANGE, T_DATE, { { "Day", NULL },
		{ "Date", NULL }, { "일", NULL } } },
	[S_COST] = { "cost", F_REQUIRED, T_MONEY, { { "Cost", NULL }, { "비용", NULL } } },
	[S_IMPRESSIONS] = { "impressions", 0, T_COUNT, { { "Impr.", NULL },
		{ "Impressions", NULL }, { "노출수", NULL } } },
	[S_CLICKS] = { "clicks", 0, T_COUNT, { { "Clicks", NULL }, { "클릭수", NULL } } },
	[S_CURRENCY] = { "currency", 0, T_TEXT, { { "Currency code", NULL },
		{ "Currency", NULL }, { "통화 코드", NULL } } },
	[S_CAMPAIGN] = { "campaign", 0, T_TEXT, { { "Campaign", NULL },
		{ "캠페인", NULL } } },
	/* A row's last day, where a row may cover several (Meta's). */
	[S_UNTIL] = { "until", 0, T_DATE, { { NULL, NULL } } },
};

static const field_spec linkedin[S_N] = {
	[S_DATE] = { "date", F_REQUIRED, T_DATE, { { "Start Date (in UTC)", NULL },
		{ "Start Date", NULL }, { "Date", NULL } } },
	[S_COST] = { "cost", F_REQUIRED, T_MONEY, { { "Total Spent", NULL },
		{ "Amount Spent", NULL }, { "Spent", NULL } } },
	[S_IMPRESSIONS] = { "impressions", 0, T_COUNT, { { "Impressions", NULL } } },
	[S_CLICKS] = { "clicks", 0, T_COUNT, { { "Clicks", NULL } } },
	[S_CURRENCY] = { "currency", 0, T_TEXT, { { "Currency", NULL } } },
	[S_CAMPAIGN] = { "campaign", 0, T_TEXT, { { "Campaign Name", NULL } } },
	[S_UNTIL] = { "until", 0, T_DATE, { { NULL, NULL } } },
};

static const field_spec meta[S_N] = {
	/* A breakdown by day has its own column; without, each row covers
	 * its reporting period. */
	[S_DATE] = { "date", F_REQUIRED, T_DATE, { { "Day", NULL },
		{ "Date", NULL }, { "Reporting starts", NULL } } },
	[S_COST] = { "cost", F_REQUIRED, T_MONEY, { { "Amount spent*", NULL },
		{ "Amount spent", NULL } } },
	[S_IMPRESSIONS] = { "impressions", 0, T_COUNT, { { "Impressions", NULL } } },
	[S_CLICKS] = { "clicks", 0, T_COUNT, { { "Link clicks", NULL },
		{ "Clicks (all)", NULL }, { "Clicks", NULL } } },
	[S_CURRENCY] = { "currency", 0, T_TEXT, { { "Currency", NULL } } },
	[S_CAMPAIGN] = { "campaign", 0, T_TEXT, { { "Campaign name", NULL } } },
	[S_UNTIL] = { "until", 0, T_DATE, { { "Reporting ends", NULL } } },
};

static const field_spec ga4[T_N] = {
	[T_DATEF] = { "date", F_REQUIRED | F_RANGE, T_DATE, { { "Date", NULL },
		{ "Date + hour (YYYYMMDDHH)", "%Y%m%d%H" },
		{ "Date + hour", "%Y%m%d%H" }, { "Year month", "%Y%m" } } },
	[T_CHANNEL] = { "channel", F_REQUIRED, T_TEXT, {
		{ "Session primary channel group (Default channel group)", NULL },
		{ "Session default channel group", NULL },
		{ "Session primary channel group", NULL },
		{ "Default channel group", NULL },
		{ "First user primary channel group (Default channel group)", NULL },
		{ "First user default channel group", NULL } } },
	[T_SESSIONS] = { "sessions", F_REQUIRED, T_COUNT, { { "Sessions", NULL } } },
	[T_ENGAGED] = { "engaged_sessions", 0, T_COUNT, {
		{ "Engaged sessions", NULL } } },
	[T_NEW_USERS] = { "new_users", 0, T_COUNT, { { "New users", NULL } } },
};

#define FIELDS(f) f, sizeof(f) / sizeof((f)[0])
static const char gads_day[] = "in Google Ads, segment the report by Day "
	"(Segments > Time > Day) and download it again";
static const char ga4_day[] = "in GA4, add the Date dimension to the report "
	"and export it again";
static const char ga4_export[] = "export GA4's Traffic acquisition report "
	"(Session default channel group and Sessions, with the Date dimension)";
static const char hubspot_export[] = "add the missing properties to the "
	"view in HubSpot and export it again";

static const preset presets[] = {
	{ BP_SRC_CONTACTS, "hubspot", FIELDS(hubspot_contacts), 0, "HubSpot",
	  NULL, hubspot_export },
	{ BP_SRC_CONTACTS, "csv", FIELDS(hubspot_contacts), 0, NULL, NULL, NULL },
	{ BP_SRC_DEALS, "hubspot", FIELDS(hubspot_deals), 0, "HubSpot", NULL,
	  hubspot_export },
	{ BP_SRC_DEALS, "csv", FIELDS(hubspot_deals), 0, NULL, NULL, NULL },
	{ BP_SRC_SPEND, "google-ads", FIELDS(google_ads),
	  Q_RANGE_LINE | Q_TOTALS, "Google Ads", gads_day, NULL },
	{ BP_SRC_SPEND, "linkedin", FIELDS(linkedin), Q_EMPTY_PREAMBLE,
	  "LinkedIn", NULL, NULL },
	{ BP_SRC_SPEND, "meta", FIELDS(meta), Q_NO_DATA_ROW, "Meta", NULL, NULL },
	{ BP_SRC_SPEND, "csv", FIELDS(google_ads), 0, NULL, NULL, NULL },
	{ BP_SRC_TRAFFIC, "ga4", FIELDS(ga4),
	  Q_RANGE_COMMENTS | Q_NOTES | Q_SNAPSHOT, "GA4", ga4_day, ga4_export },
	{ BP_SRC_TRAFFIC, "csv", FIELDS(ga4), 0, NULL, NULL, NULL },
};
#define N_PRESETS (sizeof(presets) / sizeof(presets[0]))

/* HubSpot's won and lost stages as label and as internal id, after
 * stage_key(): "Closed Won", "Closed: won", "closedwon". */
static const char *const won_stages[] = { "closedwon", NULL };
static const char *const lost_stages[] = { "closedlost", NULL };

static const preset *preset_find(bp_source_kind kind, const char *name)
{
	size_t i;

	for (i = 0; name && i < N_PRESETS; i++)
		if (presets[i].kind == kind && strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

int bp_preset_exists(bp_source_kind kind, const char *name)
{
	return preset_find(kind, name) != NULL;
}

const char *bp_preset_default(bp_source_kind kind)
{
	size_t i;

	for (i = 0; i < N_PRESETS; i++)
		if (presets[i].kind == kind)
			return presets[i].name;
	return NULL;
}

void bp_preset_list(bp_source_kind kind, char *buf, size_t size)
{
	size_t i, o = 0;

	if (size)
		buf[0] = '\0';
	for (i = 0; i < N_PRESETS && o < size; i++)
		if (presets[i].kind == kind)
			o += (size_t)snprintf(buf + o, size - o, "%s%s",
					      o ? ", " : "", presets[i].name);
}

const char *bp_preset_field(bp_source_kind kind, const char *name, size_t i,
			    int *required)
{
	const preset *p = preset_find(kind, name);

	if (!p || i >= p->n_fields)
		return NULL;
	if (required)
		*required = (p->fields[i].flags & F_REQUIRED) != 0;
	return p->fields[i].field;
}

const char *bp_preset_header(bp_source_kind kind, const char *name, size_t i,
			     size_t k)
{
	const preset *p = preset_find(kind, name);

	if (!p || i >= p->n_fields || k >= MAX_ALIASES)
		return NULL;
	return p->fields[i].aliases[k].name;
}

/* A source value and the channel it maps to, cached because exports repeat
 * a handful of values over millions of rows.  The key is the value as
 * written, or for one longer than BP_TEXT_MAX its cut form (`cut`): a
 * 5 MB cell is matched against the rules as it is, never kept. */
typedef struct value_entry {
	char *s;
	size_t n;
	char *shown;     /* unmatched: the value as data quality lists it */
	unsigned flags;  /* BP_TEXT_* of `shown` */
	int cut;         /* the key is the cut form of a longer value */
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
	int contacts_list_deals; /* a contacts export had an associated-deals column */
	int threads;        /* bp_ingest_set_threads() */
	unsigned long long split_min, split_at;
	int hashed_beside;  /* bp_ingest_set_hashed_beside() */
	int split_forced;   /* BOARDPACK_THREADS=2: two halves whatever they cost */
};

static int default_threads(void);

/* A parsed contact waiting for its index slot to reach the cache. */
#define LOOKAHEAD 16
typedef struct pending {
	bp_contact c;
	long line;          /* where its row starts, for errors */
	bp_campaign *campaign;  /* where its period stages count, or NULL */
	uint32_t ref;
	int late, early;
	bp_idx_key key;     /* of id, for the index */
	uint16_t idn, dealsn;
	char id[40];
	char deals[120];
} pending;


/* An export's own date range, from its preamble. */
typedef struct range {
	int from_known, to_known, all_time;
	bp_civil from, to;
	char text[96];      /* as the export wrote it */
} range;

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
	bp_date_reader dates;          /* the days its dates were on */
	struct { char text[32]; size_t n; int stage; } life[LIFE_VALUES];
	size_t n_life;                 /* lifecycle stage values remembered */
	char norm[MAX_FIELDS][MAX_ALIASES][NAME_LEN];
	const char *alias_fmt[MAX_FIELDS][MAX_ALIASES];
	int n_norm[MAX_FIELDS];
	char currency[8];              /* from a header like "Amount spent (USD)" */
	/* How each money column has used '.' so far (dot_style()), and the
	 * first value that showed it: one column never mixes the two. */
	struct { int style; long line; char text[24]; } dots[MAX_FIELDS];
	bp_field *fields;
	size_t n;
	value_map values;
	pending ahead[LOOKAHEAD];      /* contacts not yet committed */
	int ahead_first, ahead_n;

	/* What the preamble said. */
	range range;
	int start_comments;            /* GA4 "# Start date" lines seen */
	int empty_mark;                /* a line an empty export begins with */
	int pre_lines;                 /* lines before the header, '#' lines aside */
	bp_time range_day;             /* the day rows without a date column get */
	unsigned has;                  /* BP_HAS_* of this export's columns */
	int in_notes;                  /* past the empty row that ends the table */
	/* Footer-like rows since the last record (footer_like()). */
	int64_t held, held_no_id;
	long held_line;                /* the first that has an ID or is a total */
	char *held_text;               /* its first field, cleaned and cut */
	/* Sums over every data row, for the export's own total rows. */
	bp_money sum_cost;
	int64_t sum_impressions, sum_clicks;
	int64_t costs_seen;            /* rows with a cost, empty ones aside */
	bp_money negative_sum;         /* the negative costs, for the warning */
	int64_t won_seen, won_with_amount;
	int64_t with_stage_date;       /* contacts with a date in any stage */
	bp_time first_created;         /* the earliest create date read */
	size_t width;                  /* fields in the header row */
	int64_t records;               /* rows read as records */
	unsigned long long more_bytes; /* read by the second half's reader */
	int probing;                   /* reading the first bytes alone (the
					  index is sized after) */
} reader;

/* ---- small text helpers ---- */

/* Header normalisation: ASCII lowercase, hyphens as spaces, runs of
 * blanks as one, no blanks at either end, double quotes dropped (HubSpot
 * writes 'Date entered "Lead (...)"', a spreadsheet may not). */
static void normalise(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0, i;
	int space = 0;

	for (i = 0; i < n && o + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"')
			continue;
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

/* isspace() of the C locale, the one boardpack runs in, without a call
 * per byte of every field. */
static int is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

/* Lowercase letters and digits only: "Closed: won" -> "closedwon". */
static void stage_key(const char *s, size_t n, char *out, size_t size)
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

static int is_blank_row(const bp_field *fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *s = fields[i].p;
		size_t len = fields[i].n;

		trim(&s, &len);
		if (len)
			return 0;
	}
	return 1;
}

/* Text from the export kept for the outputs, cleaned and cut as text.h
 * says, and counted when it had to be.  Caller frees. */
static char *keep_text(bp_quality *q, const char *s, size_t n)
{
	unsigned flags;
	char *t = bp_text_dup(s, n, BP_TEXT_MAX, &flags);

	q->sanitized_values += (flags & BP_TEXT_FIXED) != 0;
	q->truncated_values += (flags & BP_TEXT_CUT) != 0;
	return t;
}

/* Appends a warning to q. */
static void warn(bp_quality *q, const char *code, const char *fmt, ...)
	BP_PRINTF(3, 4);

static void warn(bp_quality *q, const char *code, const char *fmt, ...)
{
	bp_warning *w;
	char buf[1024];
	va_list ap;

	q->warnings = bp_xreallocarray(q->warnings, q->n_warnings + 1, sizeof(*w));
	w = &q->warnings[q->n_warnings++];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	w->code = code;
	w->text = bp_xstrdup(buf);
}

const bp_warning *bp_quality_warning(const bp_quality *q, const char *code)
{
	size_t i;

	for (i = 0; i < q->n_warnings; i++)
		if (strcmp(q->warnings[i].code, code) == 0)
			return &q->warnings[i];
	return NULL;
}

/* ---- value map (source value -> channel) ---- */

static void values_free(value_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		free(m->e[i].s);
		free(m->e[i].shown);
	}
	free(m->e);
	memset(m, 0, sizeof(*m));
}

static uint64_t hash_ci(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		/* ASCII only, as the rules compare: no locale call per byte. */
		h ^= c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
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

/* Finds the entry for a value (`cut`: the cut form of a longer value that
 * no rule matched), adding it when there is room.  Returns NULL when the
 * map is full; the caller then scans the rules. */
static value_entry *values_get(value_map *m, const bp_source *src, int other,
			       const char *s, size_t n, int cut)
{
	value_entry *e;
	size_t i;

	if (!m->e) {
		m->cap = 64;
		m->e = bp_xcalloc(m->cap, sizeof(*m->e));
	}
	i = hash_ci(s, n) & (m->cap - 1);
	while (m->e[i].s) {
		if (m->e[i].n == n && m->e[i].cut == cut &&
		    memcmp(m->e[i].s, s, n) == 0)
			return &m->e[i];
		i = (i + 1) & (m->cap - 1);
	}
	if (m->count >= MAX_CACHED_VALUES)
		return NULL;
	if ((m->count + 1) * 2 > m->cap) {
		value_map bigger = { bp_xcalloc(m->cap * 2, sizeof(*m->e)), m->cap * 2, 0 };
		size_t j;

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
	e = &m->e[i];
	e->s = bp_xstrndup(s, n);
	e->n = n;
	e->cut = cut;
	e->matched = !cut && rule_channel(src, s, n, &e->channel);
	if (!e->matched) {
		e->channel = other;
		e->shown = bp_text_dup(s, n, BP_TEXT_MAX, &e->flags);
		if (cut)
			e->flags |= BP_TEXT_CUT;
	}
	m->count++;
	return e;
}

/* The channel of a source value, per the source's rules; `other` (and
 * counted) when no rule matches. */
static int channel_of(reader *r, const bp_field *f)
{
	const char *s = f->p;
	size_t n = f->n;
	char key[BP_TEXT_MAX + 1];
	unsigned flags = 0;
	value_entry *e;
	int ch;

	trim(&s, &n);
	if (n > BP_TEXT_MAX) {
		/* Too long to keep: the rules see it whole, data quality its
		 * cut form. */
		if (rule_channel(r->src, s, n, &ch))
			return ch;
		n = bp_text_clean(key, sizeof(key), s, n, BP_TEXT_MAX, &flags);
		s = key;
	}
	e = values_get(&r->values, r->src, r->in->other, s, n,
		       (flags & BP_TEXT_CUT) != 0);
	if (e) {
		e->count++;
		if (!e->matched) {
			r->q->unmatched_rows++;
			r->q->sanitized_values += (e->flags & BP_TEXT_FIXED) != 0;
			r->q->truncated_values += (e->flags & BP_TEXT_CUT) != 0;
		}
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

/* The values past the cache's capacity, and those past the MAX_LISTED_VALUES
 * with most rows, are counted but not listed: one last entry says how
 * many rows they hold. */
#define MORE_VALUES "(more values)"

static void collect_unmatched(reader *r)
{
	value_map *m = &r->values;
	bp_quality *q = r->q;
	size_t i, k = 0;
	int64_t listed = 0;

	if (!m->e)
		return;
	for (i = 0; i < m->cap; i++)
		k += m->e[i].s && !m->e[i].matched;
	if (!k)
		return;
	q->unmatched = bp_xcalloc(k + 1, sizeof(*q->unmatched));
	for (i = 0; i < m->cap; i++) {
		if (!m->e[i].s || m->e[i].matched)
			continue;
		q->unmatched[q->n_unmatched].value = m->e[i].shown;
		q->unmatched[q->n_unmatched].count = m->e[i].count;
		q->n_unmatched++;
		m->e[i].shown = NULL;
	}
	qsort(q->unmatched, q->n_unmatched, sizeof(*q->unmatched), cmp_unmatched);
	while (q->n_unmatched > MAX_LISTED_VALUES)
		free(q->unmatched[--q->n_unmatched].value);
	q->unlisted_values = (int64_t)(k - q->n_unmatched);
	for (i = 0; i < q->n_unmatched; i++)
		listed += q->unmatched[i].count;
	if (q->unmatched_rows > listed) {
		q->unmatched[q->n_unmatched].value = bp_xstrdup(MORE_VALUES);
		q->unmatched[q->n_unmatched].count = q->unmatched_rows - listed;
		q->n_unmatched++;
	}
	if (q->unlisted_values || m->count >= MAX_CACHED_VALUES)
		warn(q, "many-values", "%s%lld distinct values in '%s' match no "
		     "channel rule: the %d with most rows are listed, and the "
		     "other %lld rows are counted under '%s' (channel other)",
		     m->count >= MAX_CACHED_VALUES ? "more than " : "",
		     (long long)k, q->map[r->src->kind == BP_SRC_TRAFFIC ?
					  T_CHANNEL : C_SOURCE].header,
		     MAX_LISTED_VALUES, (long long)(q->unmatched_rows - listed),
		     MORE_VALUES);
}


/* ---- the preamble ---- */

/* Reads "July 8, 2025 - July 31, 2025", "27 January 2026 - 23 February
 * 2026" or "All time" into `rg`.  Returns 1 when the text is a range. */
static int parse_range(const char *s, size_t n, range *rg)
{
	const char *dash;
	size_t i;

	trim(&s, &n);
	if (n == 8 && strncasecmp(s, "All time", 8) == 0) {
		rg->all_time = 1;
		snprintf(rg->text, sizeof(rg->text), "%.*s", (int)n, s);
		return 1;
	}
	for (dash = NULL, i = 0; i + 3 <= n; i++)
		if (memcmp(s + i, " - ", 3) == 0)
			dash = s + i;
	if (!dash ||
	    bp_date_parse(s, (size_t)(dash - s), NULL, &rg->from) <= 0 ||
	    bp_date_parse(dash + 3, n - (size_t)(dash + 3 - s), NULL, &rg->to) <= 0)
		return 0;
	rg->from_known = rg->to_known = 1;
	snprintf(rg->text, sizeof(rg->text), "%.*s", (int)n < 95 ? (int)n : 95, s);
	return 1;
}

/* "# Start date: 20261001" and "# End date: 20261031" (GA4). */
static void on_comment(void *ctx, const char *line, size_t n)
{
	reader *r = ctx;
	static const char start[] = "Start date:", end[] = "End date:";
	const char *s = line + 1;
	size_t len = n - 1;
	range *rg = &r->range;

	if (!(r->p->quirks & Q_RANGE_COMMENTS))
		return;
	trim(&s, &len);
	/* A spreadsheet's re-save adds delimiters to every line. */
	while (len && (s[len - 1] == ',' || s[len - 1] == ';' || s[len - 1] == '\t'))
		len--;
	if (len > sizeof(start) - 1 &&
	    strncasecmp(s, start, sizeof(start) - 1) == 0) {
		r->start_comments++;
		rg->from_known = bp_date_parse(s + sizeof(start) - 1,
					       len - (sizeof(start) - 1), NULL,
					       &rg->from) > 0;
	} else if (len > sizeof(end) - 1 &&
		   strncasecmp(s, end, sizeof(end) - 1) == 0) {
		rg->to_known = bp_date_parse(s + sizeof(end) - 1,
					     len - (sizeof(end) - 1), NULL,
					     &rg->to) > 0;
	}
	if (rg->from_known && rg->to_known)
		snprintf(rg->text, sizeof(rg->text), "%04d-%02d-%02d - %04d-%02d-%02d",
			 rg->from.y, rg->from.mon, rg->from.d, rg->to.y,
			 rg->to.mon, rg->to.d);
}

/* The date of "06/19/2025" or "August 18, 2019, 12:00 AM" (LinkedIn's
 * report bounds; the time of day is the bound's, and dropped). */
static int bound_date(const char *s, size_t n, bp_civil *c)
{
	const char *comma = n ? memrchr(s, ',', n) : NULL;

	if (bp_date_parse(s, n, NULL, c) > 0)
		return 1;
	return comma && bp_date_parse(s, (size_t)(comma - s), NULL, c) > 0;
}

/* LinkedIn's "Report Start: ..." and "Report End: ..." lines: the days
 * the export covers. */
static void report_bound(reader *r, const char *s, size_t n)
{
	static const char start[] = "Report Start:", end[] = "Report End:";
	range *rg = &r->range;

	if (n > sizeof(start) - 1 && strncasecmp(s, start, sizeof(start) - 1) == 0)
		rg->from_known = bound_date(s + sizeof(start) - 1,
					    n - (sizeof(start) - 1), &rg->from);
	else if (n > sizeof(end) - 1 && strncasecmp(s, end, sizeof(end) - 1) == 0)
		rg->to_known = bound_date(s + sizeof(end) - 1,
					  n - (sizeof(end) - 1), &rg->to);
	else
		return;
	if (rg->from_known && rg->to_known)
		snprintf(rg->text, sizeof(rg->text), "%04d-%02d-%02d - %04d-%02d-%02d",
			 rg->from.y, rg->from.mon, rg->from.d, rg->to.y,
			 rg->to.mon, rg->to.d);
}

/* A preamble line (not the header): a date range, or the first line of an
 * export of an empty period. */
static void preamble_line(reader *r, const bp_field *fields, size_t n)
{
	const char *s = n ? fields[0].p : "";
	size_t len = n ? fields[0].n : 0;

	r->pre_lines++;
	trim(&s, &len);
	if ((r->p->quirks & Q_RANGE_LINE) && is_blank_row(fields + 1, n ? n - 1 : 0))
		parse_range(s, len, &r->range);
	if ((r->p->quirks & Q_EMPTY_PREAMBLE) && len >= 12 &&
	    strncasecmp(s, "Report Start", 12) == 0)
		r->empty_mark = 1;
	if (r->p->quirks & Q_EMPTY_PREAMBLE)
		report_bound(r, s, len);
}

/* ---- header ---- */

/* Fills the normalised names each field goes by: the override's name
 * alone, or the preset's aliases plus the field name itself.  A custom
 * lifecycle pipeline replaces HubSpot's default one in the stage labels. */
static void prepare_names(reader *r)
{
	size_t f;

	for (f = 0; f < r->p->n_fields; f++) {
		const field_spec *fs = &r->p->fields[f];
		const bp_column *ov = bp_source_column(r->src, fs->field);
		int k = 0, a;

		r->fmt[f] = ov ? ov->format : NULL;
		r->header_name[f] = fs->aliases[0].name;
		if (ov && ov->name) {
			normalise(ov->name, strlen(ov->name), r->norm[f][k++], NAME_LEN);
			r->header_name[f] = ov->name;
			r->n_norm[f] = k;
			continue;
		}
		for (a = 0; a < MAX_ALIASES - 1 && fs->aliases[a].name; a++) {
			const char *name = fs->aliases[a].name;
			const char *pl = strstr(name, DEFAULT_PIPELINE);
			char custom[NAME_LEN];

			if (pl && r->src->pipeline) {
				snprintf(custom, sizeof(custom), "%.*s%s%s",
					 (int)(pl - name), name, r->src->pipeline,
					 pl + strlen(DEFAULT_PIPELINE));
				name = custom;
			}
			r->alias_fmt[f][k] = fs->aliases[a].format;
			normalise(name, strlen(name), r->norm[f][k++], NAME_LEN);
		}
		r->alias_fmt[f][k] = NULL;
		normalise(fs->field, strlen(fs->field), r->norm[f][k++], NAME_LEN);
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

/* The alias of field f that `header` (normalised) is, or -1. */
static int alias_of(const reader *r, size_t f, const char *header)
{
	int k;

	for (k = 0; k < r->n_norm[f]; k++)
		if (name_matches(r->norm[f][k], header))
			return k;
	return -1;
}

static int is_header(void *ctx, const bp_field *fields, size_t n)
{
	reader *r = ctx;
	char h[NAME_LEN];
	size_t i, f;

	for (i = 0; i < n; i++) {
		normalise(fields[i].p, fields[i].n, h, sizeof(h));
		for (f = 0; f < r->p->n_fields; f++)
			if ((r->p->fields[f].flags & F_REQUIRED) &&
			    alias_of(r, f, h) >= 0)
				return 1;
	}
	preamble_line(r, fields, n);
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

/* "Record ID", "Create Date", ... (N columns): what the header holds, for
 * an error that says what was found instead. */
static void list_headers(const bp_field *hdr, size_t n, char *buf, size_t size)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o + 40 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s'%.*s'", i ? ", " : "",
				      (int)(hdr[i].n < 60 ? hdr[i].n : 60), hdr[i].p);
	if (i < n)
		snprintf(buf + o, size - o, ", ... (%zu columns)", n);
}

/* Every required field the header lacks, in one message. */
static int missing_columns(reader *r, const bp_field *hdr, size_t n, bp_err *err)
{
	char missing[512] = "", found[HEADER_LIST_LEN];
	size_t f, o = 0, count = 0;
	const char *first = NULL;

	for (f = 0; f < r->p->n_fields; f++) {
		if (!(r->p->fields[f].flags & F_REQUIRED) || r->col[f] >= 0 ||
		    r->q->map[f].by_range)
			continue;
		if (!first)
			first = r->p->fields[f].field;
		count++;
		if (o < sizeof(missing))
			o += (size_t)snprintf(missing + o, sizeof(missing) - o,
					      "%s'%s' (field '%s')", o ? ", " : "",
					      r->header_name[f], r->p->fields[f].field);
	}
	if (!count)
		return 0;
	list_headers(hdr, n, found, sizeof(found));
	bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv), 0,
		  "missing required column%s %s; the header has %s: %s, or "
		  "name the column with <column field=\"%s\" name=\"...\"/>",
		  count > 1 ? "s" : "", missing, found,
		  r->p->export_advice ? r->p->export_advice :
		  "export the missing columns", first);
	return -1;
}

/* A contacts export needs at least one stage date: without any, every
 * stage count would be a silent 0. */
static int check_stage_columns(reader *r, bp_err *err)
{
	static const int stages[] = { C_LEAD, C_MQL, C_SQL, C_OPP, C_CUSTOMER,
				      C_EVANGELIST };
	char looked[400];
	size_t i, o = 0;
	int k;

	for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		if (r->col[stages[i]] >= 0)
			return 0;
	for (k = 0; k < MAX_ALIASES && r->p->fields[C_LEAD].aliases[k].name &&
	     o < sizeof(looked); k++)
		o += (size_t)snprintf(looked + o, sizeof(looked) - o, "%s'%s'",
				      k ? ", " : "",
				      r->p->fields[C_LEAD].aliases[k].name);
	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv), 0,
			 "no stage date column, so every stage count would be 0: "
			 "looked for %s and the same forms for MQL, SQL, "
			 "opportunity, customer and evangelist; add the 'Date "
			 "entered' (or 'Became a ... Date') properties to the "
			 "export, or name the columns with <column field=\"lead\" "
			 "name='...'/>", looked);
}

/* An export without a per-day column: its preamble's range dates its
 * rows when it lies inside one month. */
static int date_by_range(reader *r, size_t f, bp_err *err)
{
	const range *rg = &r->range;

	if (!(r->p->fields[f].flags & F_RANGE) || !(rg->all_time ||
	    (rg->from_known && rg->to_known)))
		return 0;
	if (rg->all_time || rg->from.y != rg->to.y || rg->from.mon != rg->to.mon)
		return bp_err_at(err, BP_EDATA, r->name, 0, 0,
				 "no %s column, and the export covers '%s', more "
				 "than one month, so its rows cannot be put in "
				 "months: %s", r->header_name[f], rg->text,
				 r->p->day_advice ? r->p->day_advice :
				 "export one row per day");
	r->range_day = bp_civil_to_time(&rg->to, r->src_tz, r->in->f->tz);
	r->q->map[f].by_range = 1;
	r->q->range = keep_text(r->q, rg->text, strlen(rg->text));
	return 1;
}

/* For each field, the header that is its most preferred name; a header
 * repeated in the file (one export had two 'Billing Contact' columns)
 * maps at its first place. */
static int map_columns(reader *r, bp_field *hdr, size_t n, bp_err *err)
{
	char (*h)[NAME_LEN] = bp_xcalloc(n, sizeof(*h));
	size_t i, f;
	int k, rc = 0;

	for (i = 0; i < n; i++)
		normalise(hdr[i].p, hdr[i].n, h[i], NAME_LEN);
	for (f = 0; f < r->p->n_fields; f++) {
		r->col[f] = -1;
		for (k = 0; k < r->n_norm[f] && r->col[f] < 0; k++)
			for (i = 0; i < n; i++)
				if (name_matches(r->norm[f][k], h[i])) {
					r->col[f] = (int)i;
					if (!r->fmt[f])
						r->fmt[f] = r->alias_fmt[f][k];
					break;
				}
		r->q->map[f].field = r->p->fields[f].field;
		r->q->map[f].required = (r->p->fields[f].flags & F_REQUIRED) != 0;
		r->q->map[f].unnamed = r->col[f] < 0 && !r->header_name[f];
		if (r->col[f] >= 0) {
			i = (size_t)r->col[f];
			r->q->map[f].header = keep_text(r->q, hdr[i].p, hdr[i].n);
			/* Errors name the column as the file writes it. */
			r->header_name[f] = r->q->map[f].header;
		} else if (rc == 0 && date_by_range(r, f, err) < 0) {
			rc = -1;
		}
	}
	r->q->n_map = r->p->n_fields;
	free(h);
	if (rc < 0 || missing_columns(r, hdr, n, err) < 0)
		return -1;
	if (r->src->kind == BP_SRC_SPEND && r->col[S_COST] >= 0)
		currency_from_header(r, &hdr[r->col[S_COST]]);
	if (r->src->kind == BP_SRC_CONTACTS)
		return check_stage_columns(r, err);
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
 * for an optional one it is counted and treated as missing (returns 0).
 * The "no date" placeholder (0000-00-00 ...) is missing too, counted on
 * its own, and a required field must not have it. */
static int date_value(reader *r, int f, int required, bp_time *t, bp_err *err)
{
	const bp_field *v = get(r, f);
	char buf[64];
	int rc = bp_date_read(&r->dates, v->p, v->n, r->fmt[f], t, &r->timed[f]);
	int placeholder;

	if (rc > 0)
		return 1;
	placeholder = rc < 0 && bp_date_placeholder(v->p, v->n);
	if (!required) {
		if (placeholder)
			r->q->placeholder_dates++;
		else if (rc < 0 && r->q->bad_dates++ == 0) {
			r->q->bad_date_line = bp_csv_line(r->csv);
			r->q->bad_date_col = col_of(r, f);
			r->q->bad_date_field = f;
			r->q->bad_date = keep_text(r->q, v->p, v->n < 40 ? v->n : 40);
		}
		return 0;
	}
	if (rc == 0)
		return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
				 col_of(r, f), "missing %s in column '%s'",
				 r->p->fields[f].field, r->header_name[f]);
	if (placeholder)
		return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
				 col_of(r, f), "'%s' in column '%s' stands for no "
				 "date, but every row needs its %s date",
				 shown(v, buf, sizeof(buf)), r->header_name[f],
				 r->p->fields[f].field);
	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv), col_of(r, f),
			 "bad date '%s' in column '%s': expected %s",
			 shown(v, buf, sizeof(buf)), r->header_name[f],
			 r->fmt[f] ? r->fmt[f] : "a date like 2026-10-31 or "
			 "2026-10-31 14:05 (set format= on <column> for others)");
}

/* A money field: 1 parsed, 0 missing, -1 error (err set).  A currency
 * written with the amount must be the report's: there is no rate to
 * convert with. */
/* How a money value uses '.': DOT_GROUP between thousands (two or more,
 * or one before a decimal comma: "12.345.678", "1.234,56"), DOT_POINT as
 * the decimal point ("4.50", "1,234.567"), DOT_EITHER for one with three
 * digits after it and no comma ("1.500": read as the decimal point, but
 * an export that groups with '.' writes 1500 so), 0 without one. */
enum { DOT_POINT = 1, DOT_GROUP, DOT_EITHER };

static int dot_style(const char *s, size_t n)
{
	size_t i, dots = 0, commas = 0, last_dot = 0, last_comma = 0, after = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '.') {
			dots++;
			last_dot = i;
		} else if (s[i] == ',') {
			commas++;
			last_comma = i;
		}
	if (dots == 0)
		return 0;
	if (dots > 1)
		return DOT_GROUP;
	if (commas)
		return last_comma > last_dot ? DOT_GROUP : DOT_POINT;
	for (i = last_dot + 1; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		after++;
	return after == 3 ? DOT_EITHER : DOT_POINT;
}

/* Whether a currency has no minor unit (ISO 4217: 0 decimals), so that
 * no amount of it has three digits after a decimal point. */
static int no_minor_unit(const char *code)
{
	static const char *const none[] = { "BIF", "CLP", "DJF", "GNF", "ISK",
		"JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF",
		"XOF", "XPF" };
	size_t i;

	for (i = 0; code && i < sizeof(none) / sizeof(none[0]); i++)
		if (strcasecmp(code, none[i]) == 0)
			return 1;
	return 0;
}

/* One money column writes '.' one way: a value that groups thousands
 * with it after one that used it as the decimal point (or could have),
 * or the other way round, is an export whose amounts cannot all be
 * right, read either way, and stops the run. */
static int same_dots(reader *r, int f, const bp_field *v, bp_err *err)
{
	int t = dot_style(v->p, v->n), seen = r->dots[f].style;
	char buf[64];

	if (!t)
		return 0;
	if (t == DOT_EITHER && no_minor_unit(r->currency[0] ? r->currency :
					     r->in->cfg->currency))
		return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
				 col_of(r, f), "amount '%s' in column '%s' has three "
				 "digits after '.', but %s has no minor unit: the '.' "
				 "is between thousands, or the amount is wrong; export "
				 "the amounts as 1,234 (the export's number format "
				 "follows the account's language)",
				 shown(v, buf, sizeof(buf)), r->header_name[f],
				 r->currency[0] ? r->currency : r->in->cfg->currency);
	if (seen && (t == DOT_GROUP) != (seen == DOT_GROUP))
		return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
				 col_of(r, f), "amount '%s' in column '%s' writes "
				 "'.' %s, but line %ld ('%s') wrote it %s: the "
				 "amounts would be off by a factor of 1,000 one way or "
				 "the other; export them in one number format",
				 shown(v, buf, sizeof(buf)), r->header_name[f],
				 t == DOT_GROUP ? "between thousands" :
				 "as the decimal point", r->dots[f].line,
				 r->dots[f].text, t == DOT_GROUP ?
				 "as the decimal point" : "between thousands");
	if (!seen || (seen == DOT_EITHER && t == DOT_POINT)) {
		r->dots[f].style = t;
		r->dots[f].line = bp_csv_line(r->csv);
		snprintf(r->dots[f].text, sizeof(r->dots[f].text), "%.*s",
			 (int)(v->n < 20 ? v->n : 20), v->p);
	}
	return 0;
}

static int money_value(reader *r, int f, bp_money *m, bp_err *err)
{
	const bp_field *v = get(r, f);
	char buf[64], mark[8];
	int rc = bp_num_money_mark(v->p, v->n, m, mark);

	if (rc > 0 && same_dots(r, f, v, err) < 0)
		return -1;

	if (rc > 0 && !bp_num_currency_ok(mark, r->in->cfg->currency))
		return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
				 col_of(r, f), "amount '%s' in column '%s' is in %s "
				 "but the report currency is %s: export in %s or set "
				 "report/@currency", shown(v, buf, sizeof(buf)),
				 r->header_name[f], mark, r->in->cfg->currency,
				 r->in->cfg->currency);
	if (rc >= 0)
		return rc;
	if (rc == BP_NUM_RANGE) {
		char most[48];

		bp_num_format_money(BP_MONEY_MAX, most, sizeof(most));
		return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
				 col_of(r, f), "amount '%s' in column '%s' is larger "
				 "than %s, the most one value may be: is this column "
				 "an amount?", shown(v, buf, sizeof(buf)),
				 r->header_name[f], most);
	}
	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv), col_of(r, f),
			 "bad money amount '%s' in column '%s': expected a number "
			 "like 1234.50 or 1,234.50", shown(v, buf, sizeof(buf)),
			 r->header_name[f]);
}

/* A sum that would pass 64 bits: the row's value in column f is named.
 * `what` is the figure ("spend", "impressions", ...). */
static int overflow_at(reader *r, int f, const char *what, bp_err *err)
{
	char buf[64];

	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv), col_of(r, f),
			 "'%s' in column '%s' makes the sum of %s overflow: the "
			 "%s of all rows together would not fit in 64 bits",
			 shown(get(r, f), buf, sizeof(buf)), r->header_name[f],
			 what, what);
}

/* The column behind a figure the funnel refused to add, for the error. */
static int overflow_field(const reader *r)
{
	static const struct { bp_source_kind kind; const char *what; int f; } m[] = {
		{ BP_SRC_SPEND, "impressions", S_IMPRESSIONS },
		{ BP_SRC_SPEND, "clicks", S_CLICKS },
		{ BP_SRC_SPEND, "spend", S_COST },
		{ BP_SRC_TRAFFIC, "new_users", T_NEW_USERS },
		{ BP_SRC_TRAFFIC, "engaged_sessions", T_ENGAGED },
		{ BP_SRC_TRAFFIC, "sessions", T_SESSIONS },
		{ BP_SRC_DEALS, NULL, D_AMOUNT },
	};
	const char *what = r->in->f->overflow;
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (m[i].kind == r->src->kind &&
		    (!m[i].what || (what && !strcmp(m[i].what, what))))
			return m[i].f;
	return 0;
}

static int funnel_overflow(reader *r, bp_err *err)
{
	return overflow_at(r, overflow_field(r), r->in->f->overflow, err);
}

/* A count field; missing counts as 0.  Returns 0 or -1 (err set).  A
 * count below zero cannot be one (an export of changes, a formula's
 * error): it is refused, never summed. */
static int count_value(reader *r, int f, int64_t *out, bp_err *err)
{
	const bp_field *v = get(r, f);
	char buf[64];
	int rc = bp_num_count(v->p, v->n, out);

	if (rc > 0 && *out < 0)
		return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
				 col_of(r, f), "negative %s '%s' in column '%s': a "
				 "count cannot be below 0", r->p->fields[f].field,
				 shown(v, buf, sizeof(buf)), r->header_name[f]);
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
	const char *column = r->col[f] >= 0 ? r->q->map[f].header : NULL;
	int money_col = r->src->kind == BP_SRC_SPEND ? S_COST : D_AMOUNT;

	trim(&s, &n);
	if (n == 0 && r->currency[0]) {
		/* Only the cost header ("Amount spent (USD)") said it. */
		s = r->currency;
		n = strlen(s);
		column = r->q->map[money_col].header;
	}
	if (n == 0 || bp_num_missing(s, n))
		return 0;
	if (n == strlen(r->in->cfg->currency) &&
	    strncasecmp(s, r->in->cfg->currency, n) == 0)
		return 0;
	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
			 r->col[f] >= 0 ? col_of(r, f) : 0,
			 "currency '%.*s' in column '%s' is not the report "
			 "currency %s: export in %s or set report/@currency",
			 (int)(n < 40 ? n : 40), s,
			 column ? column : "?", r->in->cfg->currency,
			 r->in->cfg->currency);
}

/* ---- footers ---- */

/* Whether field f of the row holds nothing ("", blanks, "--", "n/a"). */
static int holds_nothing(const reader *r, int f)
{
	const bp_field *v = get(r, f);

	return bp_num_missing(v->p, v->n);
}

/* "Total", "Total: Account": how ad platforms label a total row (in a
 * Korean interface "합계", "합계: 계정"); not "Total Recall Promo", a
 * campaign. */
static int total_label(const char *s, size_t len)
{
	static const char ko[] = "합계";
	const size_t k = sizeof(ko) - 1;

	if (len >= k && memcmp(s, ko, k) == 0)
		return len == k || s[k] == ':';
	return len >= 5 && strncasecmp(s, "total", 5) == 0 &&
	       (len == 5 || s[5] == ':');
}

/* Whether the row has the shape of a footer line rather than of a record
 * (by its shape, whatever its words: a contact may be called "Total").
 * Contacts and deals: no record ID; or, the ID being the first column,
 * where a footer writes its text, none of the record's other required
 * fields.  Spend and traffic rows have no ID: a total row ("Total: ...")
 * or a notice (one value alone) with none of the fields that tell a
 * record apart (date, campaign, channel group) outside the first
 * column. */
static int footer_like(const reader *r)
{
	static const int spend_keys[] = { S_DATE, S_CAMPAIGN };
	static const int traffic_keys[] = { T_DATEF, T_CHANNEL };
	const int *keys = r->src->kind == BP_SRC_SPEND ? spend_keys : traffic_keys;
	const char *s = r->n ? r->fields[0].p : "";
	size_t len = r->n ? r->fields[0].n : 0, f;
	int key_first = 0;

	if (r->src->kind == BP_SRC_CONTACTS || r->src->kind == BP_SRC_DEALS) {
		/* C_ID and D_ID are both field 0. */
		s = get(r, 0)->p;
		len = get(r, 0)->n;
		trim(&s, &len);
		if (r->col[0] != 0)
			return len == 0;
		/* The ID comes first: an empty one with the record's other
		 * fields is a record without an ID, not a footer. */
		for (f = 1; f < r->p->n_fields; f++)
			if ((r->p->fields[f].flags & F_REQUIRED) && r->col[f] > 0 &&
			    !holds_nothing(r, (int)f))
				return 0;
		return 1;
	}
	for (f = 0; f < 2; f++) {
		if (r->col[keys[f]] > 0 && !holds_nothing(r, keys[f]))
			return 0;
		key_first |= r->col[keys[f]] == 0;
	}
	trim(&s, &len);
	if (total_label(s, len))
		return 1;
	return len && !key_first && is_blank_row(r->fields + 1, r->n - 1);
}

/* Footer-like rows wait: they are the footer only when no record follows
 * them.  A later record makes rows without an ID what they are, rows
 * without an ID; any other such row is an error, named. */
static void hold_footer(reader *r)
{
	const char *s = r->n ? r->fields[0].p : "";
	size_t len = r->n ? r->fields[0].n : 0;
	int no_id;

	trim(&s, &len);
	no_id = (r->src->kind == BP_SRC_CONTACTS || r->src->kind == BP_SRC_DEALS) &&
		(r->col[0] != 0 || len == 0);
	r->held++;
	if (no_id) {
		r->held_no_id++;
		return;
	}
	if (r->held_line)
		return;
	r->held_line = bp_csv_line(r->csv);
	free(r->held_text);
	r->held_text = bp_text_dup(s, len, 60, NULL);
}

/* A record follows held rows: they were not the footer. */
static int settle_held(reader *r, bp_err *err)
{
	if (r->held_line)
		return bp_err_at(err, BP_EDATA, r->name, r->held_line, 1,
				 "'%s' looks like a footer line, but records follow "
				 "it (line %ld): footer lines can only come after the "
				 "last record; remove the line, or give it the "
				 "record's columns", r->held_text, bp_csv_line(r->csv));
	r->q->missing_id += r->held_no_id;
	r->held = r->held_no_id = 0;
	return 0;
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
		/* One longer than any record ID matches no deal: not kept. */
		if (n && n <= MAX_ID_BYTES &&
		    bp_idx_put(r->in->deal_refs, p, n, ref, NULL) < 0)
			return -1;
		p = q + 1;
	}
	return 0;
}

static const int contact_stage_field[BP_NSTAGES] = {
	[BP_LEAD] = C_LEAD, [BP_MQL] = C_MQL, [BP_SQL] = C_SQL,
	[BP_OPPORTUNITY] = C_OPP, [BP_CUSTOMER] = C_CUSTOMER
};

/* The funnel stage a Lifecycle Stage value names (label or internal id),
 * evangelist as customer; -1 for subscriber, other and custom stages. */
static int lifecycle_stage(const bp_field *v)
{
	static const struct { const char *key; int stage; } names[] = {
		{ "lead", BP_LEAD }, { "marketingqualifiedlead", BP_MQL },
		{ "mql", BP_MQL }, { "salesqualifiedlead", BP_SQL },
		{ "sql", BP_SQL }, { "opportunity", BP_OPPORTUNITY },
		{ "customer", BP_CUSTOMER }, { "evangelist", BP_CUSTOMER },
	};
	char key[32];
	size_t i;

	if (v->n >= sizeof(key))
		return -1;
	stage_key(v->p, v->n, key, sizeof(key));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(key, names[i].key) == 0)
			return names[i].stage;
	return -1;
}

/* lifecycle_stage() through the reader's few remembered values: an
 * export has a handful of them over millions of rows. */
static int lifecycle_stage_of(reader *r, const bp_field *v)
{
	size_t i;

	for (i = 0; i < r->n_life; i++)
		if (r->life[i].n == v->n && memcmp(r->life[i].text, v->p, v->n) == 0)
			return r->life[i].stage;
	if (r->n_life == LIFE_VALUES || v->n > sizeof(r->life[0].text))
		return lifecycle_stage(v);
	memcpy(r->life[r->n_life].text, v->p, v->n);
	r->life[r->n_life].n = v->n;
	r->life[r->n_life].stage = lifecycle_stage(v);
	return r->life[r->n_life++].stage;
}

/* A contact whose current stage is X must have a date for X or a later
 * stage (whenever it was, as_of aside): one that has none is counted by
 * its stage, and many of them mean the stage columns are not the ones the
 * portal fills. */
static void check_lifecycle(reader *r, const bp_contact *c)
{
	int now, s, dated = 0;

	for (s = 0; s < BP_NSTAGES; s++)
		if (c->stage[s] != BP_TIME_NONE)
			dated = 1;
	r->with_stage_date += dated;
	if (r->col[C_LIFECYCLE] < 0 ||
	    (now = lifecycle_stage_of(r, get(r, C_LIFECYCLE))) < 0)
		return;
	for (s = now; s < BP_NSTAGES; s++)
		if (c->stage[s] != BP_TIME_NONE)
			return;
	r->q->stage_mismatch[now]++;
	r->q->stage_mismatch_rows++;
}

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

/* No export has record IDs this long; a longer one is not an ID, and
 * the index would keep it whole. */
static int id_too_long(const reader *r, int f, size_t n, bp_err *err)
{
	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv), col_of(r, f),
			 "record ID of %zu bytes in column '%s': an ID has at "
			 "most %d", n, r->header_name[f], MAX_ID_BYTES);
}

/* The ID index holds at most 4 GiB of IDs that are not numbers. */
static int too_many_ids(const reader *r, bp_err *err)
{
	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv), 0,
			 "too many record IDs: more than 4 GiB of IDs that are "
			 "not numbers");
}

/* Adds a parsed contact: the index first (a repeated ID is skipped), then
 * its deal list, then the funnel.  `id` and `deals` may point into the
 * pending entry or the reader's current record. */
static int commit_contact(reader *r, const pending *p, const char *id,
			  size_t idn, const bp_field *deals, bp_err *err)
{
	int rc = bp_idx_put_key(r->in->contacts, p->key, id, idn, p->ref, NULL);

	if (rc < 0)
		return too_many_ids(r, err);
	if (rc == 0) {
		r->q->duplicates++;
		return 0;
	}
	if (deals->n && remember_deals(r, deals, p->ref) < 0)
		return too_many_ids(r, err);
	r->q->after_as_of += p->late;
	r->q->stage_before_create += p->early;
	rc = bp_funnel_add_contact(r->in->f, &p->c);
	if (rc < 0)
		/* Committed rows later than read: the line is the pending one's. */
		return bp_err_at(err, BP_EDATA, r->name, p->line,
				 col_of(r, C_CUSTOMER), "the customer date of "
				 "record '%.*s' makes the sum of sales cycles "
				 "overflow: the cycles of all contacts together would "
				 "not fit in 64 bits", (int)(idn < 40 ? idn : 40), id);
	r->q->rows_used += rc;
	if (rc && p->campaign)
		bp_funnel_add_campaign_contact(r->in->f, p->campaign, &p->c);
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
	if (idn > MAX_ID_BYTES)
		return id_too_long(r, C_ID, idn, err);
	if (r->ahead_n == LOOKAHEAD && commit_oldest(r, err) < 0)
		return -1;
	p = &r->ahead[(r->ahead_first + r->ahead_n) % LOOKAHEAD];
	p->early = p->late = 0;
	p->line = bp_csv_line(r->csv);
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
	check_lifecycle(r, &p->c);
	p->campaign = NULL;
	if (r->col[C_DRILL1] >= 0 && bp_funnel_in_period(f, &p->c)) {
		const bp_field *name = get(r, C_DRILL1);

		p->campaign = bp_campaigns_get(f->campaigns, p->c.channel,
					       name->p, name->n);
		/* Kept for metrics.xml, which writes it cleaned (text.h). */
		r->q->sanitized_values += p->campaign &&
					  !bp_text_ok(name->p, name->n);
	}
	if (r->first_created == BP_TIME_NONE || p->c.created < r->first_created)
		r->first_created = p->c.created;
	if (p->c.created > f->as_of)
		p->late = 1;
	p->ref = p->c.created > f->as_of ? REF_FUTURE :
		 pack_ref(bp_funnel_month_of(f, p->c.created), p->c.channel);

	p->key = bp_idx_key_of(idp, idn);
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
	bp_idx_prefetch_key(r->in->contacts, p->key);
	r->ahead_n++;
	return 0;
}


/* ---- deals ---- */

/* Whether a deal stage is one of the preset's `known` (NULL-ended) or of
 * the configured `extra` ones, compared as stage_key() makes them. */
static int stage_is(const bp_field *stage, const char *const *known,
		    char *const *extra, size_t n_extra)
{
	char key[128], want[128];
	size_t i;

	stage_key(stage->p, stage->n, key, sizeof(key));
	for (i = 0; known[i]; i++)
		if (strcmp(key, known[i]) == 0)
			return 1;
	for (i = 0; i < n_extra; i++) {
		stage_key(extra[i], strlen(extra[i]), want, sizeof(want));
		if (strcmp(key, want) == 0)
			return 1;
	}
	return 0;
}

enum { LINK_NONE = -1, LINK_UNKNOWN = 0, LINK_FOUND = 1 };

/* The ref of the deal's contact: the first ID in its own contact column,
 * else the contact that listed the deal.  LINK_FOUND with *ref set,
 * LINK_UNKNOWN when an ID was given but no contact of this run has it,
 * LINK_NONE when neither export links the deal to anyone. */
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
		return *ref != REF_FUTURE ? LINK_FOUND : LINK_UNKNOWN;
	if (bp_idx_get(r->in->deal_refs, id, id_n, ref))
		return *ref != REF_FUTURE ? LINK_FOUND : LINK_UNKNOWN;
	return n ? LINK_UNKNOWN : LINK_NONE;
}

/* Counts what a won or lost deal lacks for the run: a close date (then it
 * is never open, and never counted), a close date by as_of, an amount. */
static void decided_quality(reader *r, const bp_deal *d)
{
	if (d->lost) {
		r->q->lost_without_close_date += d->closed == BP_TIME_NONE;
		return;
	}
	r->won_seen++;
	r->won_with_amount += d->has_amount;
	if (d->closed == BP_TIME_NONE)
		r->q->won_without_close_date++;
	else if (d->closed > r->in->f->as_of)
		r->q->after_as_of++;
	else if (!d->has_amount)
		r->q->won_without_amount++;
}

/* A deal row: every deal goes to its contact's channel (pipeline created,
 * open pipeline, lost deals); a won one counts as won only when it has a
 * close date by as_of and an amount. */
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
	if (idn > MAX_ID_BYTES)
		return id_too_long(r, D_ID, idn, err);
	rc = bp_idx_put(seen, idp, idn, 0, NULL);
	if (rc < 0)
		return too_many_ids(r, err);
	if (rc == 0) {
		r->q->duplicates++;
		return 0;
	}
	d.won = stage_is(get(r, D_STAGE), won_stages, r->src->won_stages,
			 r->src->n_won_stages);
	d.lost = !d.won && stage_is(get(r, D_STAGE), lost_stages,
				    r->src->lost_stages, r->src->n_lost_stages);
	rc = money_value(r, D_AMOUNT, &d.amount, err);
	if (rc < 0)
		return -1;
	d.has_amount = rc > 0;
	if (d.has_amount && check_currency(r, D_CURRENCY, err) < 0)
		return -1;
	date_value(r, D_CLOSED, 0, &d.closed, err);
	date_value(r, D_CREATED, 0, &d.created, err);
	/* Kept as it is, as a stage date before its contact's creation is
	 * (imports and merges do this), and counted. */
	r->q->close_before_create += d.closed != BP_TIME_NONE &&
				     d.created != BP_TIME_NONE && d.closed < d.created;
	d.channel = r->in->other;
	d.cohort = BP_MONTH_NONE;
	switch (deal_contact(r, idp, idn, &ref)) {
	case LINK_FOUND: unpack_ref(ref, &d.cohort, &d.channel); break;
	case LINK_UNKNOWN: r->q->unknown_contact++; break;
	default: r->q->no_association++; break;
	}
	if (d.won || d.lost)
		decided_quality(r, &d);
	rc = bp_funnel_add_deal(r->in->f, &d);
	if (rc < 0)
		return funnel_overflow(r, err);
	/* Used: counted as won, or in the pipeline created (a won deal
	 * without a usable close date still was pipeline), or not won. */
	if (rc || !d.won || (d.has_amount && d.created != BP_TIME_NONE &&
			     d.created <= r->in->f->as_of))
		r->q->rows_used++;
	return 0;
}

/* ---- spend and traffic ---- */

/* The day a spend or traffic row is dated: its own date column, else the
 * export's range (checked to lie inside one month). */
static int row_day(reader *r, int f, bp_time *day, bp_err *err)
{
	if (r->col[f] < 0 && r->q->map[f].by_range) {
		*day = r->range_day;
		return 1;
	}
	return date_value(r, f, 1, day, err);
}

/* A row dated by the start of its reporting period (Meta's "Reporting
 * starts", without a breakdown by day) is put in that day's month: where
 * the export also has the period's end ("Reporting ends", or a column
 * named as field `until`), it must be in the same month, or the row's
 * spend would land in one month for days of two.  A breakdown by day
 * ("Day") needs no check. */
static int one_month(reader *r, bp_time day, bp_err *err)
{
	const char *dated = r->q->map[S_DATE].header;
	char a[BP_TIME_TEXT_SIZE], b[BP_TIME_TEXT_SIZE];
	bp_time until;

	if (r->col[S_UNTIL] < 0 || !dated || !strcasecmp(dated, "Day") ||
	    !strcasecmp(dated, "Date") ||
	    date_value(r, S_UNTIL, 0, &until, err) <= 0 ||
	    bp_funnel_month_of(r->in->f, until) == bp_funnel_month_of(r->in->f, day))
		return 0;
	snprintf(a, sizeof(a), "%.10s", get(r, S_DATE)->p);
	snprintf(b, sizeof(b), "%.10s", get(r, S_UNTIL)->p);
	return bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
			 col_of(r, S_UNTIL), "the row covers %s to %s, more than "
			 "one month, so its spend cannot be put in a month: "
			 "export it with a breakdown by day (Breakdown > By "
			 "time > Day), or by month", a, b);
}

static int spend_row(reader *r, bp_err *err)
{
	bp_month month;
	bp_time day;
	bp_money cost;
	int64_t impressions, clicks;
	int rc;

	if (row_day(r, S_DATE, &day, err) < 0 || one_month(r, day, err) < 0)
		return -1;
	rc = money_value(r, S_COST, &cost, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		cost = 0;
	r->costs_seen += rc > 0;
	/* A refund or credit: summed as it is, so it lowers the month's
	 * spend, and counted so the report says so. */
	if (cost < 0) {
		r->q->negative_cost++;
		r->negative_sum += cost;
	}
	if (count_value(r, S_IMPRESSIONS, &impressions, err) < 0 ||
	    count_value(r, S_CLICKS, &clicks, err) < 0)
		return -1;
	if (cost && check_currency(r, S_CURRENCY, err) < 0)
		return -1;
	/* The sums the export's own total rows are checked against. */
	if (bp_add(&r->sum_cost, cost) < 0)
		return overflow_at(r, S_COST, "spend", err);
	if (bp_add(&r->sum_impressions, impressions) < 0)
		return overflow_at(r, S_IMPRESSIONS, "impressions", err);
	if (bp_add(&r->sum_clicks, clicks) < 0)
		return overflow_at(r, S_CLICKS, "clicks", err);
	if (day > r->in->f->as_of) {
		r->q->after_as_of++;
		return 0;
	}
	r->q->rows_used++;
	month = bp_funnel_month_of(r->in->f, day);
	if (bp_funnel_add_spend(r->in->f, month, r->src->channel, cost,
				impressions, clicks, r->has) < 0)
		return funnel_overflow(r, err);
	if (r->col[S_CAMPAIGN] >= 0 &&
	    month == r->in->f->first + r->in->f->n_months - 1) {
		const bp_field *name = get(r, S_CAMPAIGN);
		bp_campaign *k = bp_campaigns_get(r->in->f->campaigns,
						  r->src->channel, name->p, name->n);

		r->q->sanitized_values += k && !bp_text_ok(name->p, name->n);
		if (k && bp_funnel_add_campaign_spend(k, cost) < 0)
			return overflow_at(r, S_COST, "a campaign's spend", err);
	}
	return 0;
}

static int traffic_row(reader *r, bp_err *err)
{
	bp_time day;
	int64_t sessions, engaged, new_users;
	int channel;

	if (row_day(r, T_DATEF, &day, err) < 0)
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
	if (bp_funnel_add_traffic(r->in->f, bp_funnel_month_of(r->in->f, day),
				  channel, sessions, new_users, engaged,
				  r->has) < 0)
		return funnel_overflow(r, err);
	return 0;
}

/* ---- rows that are not records ---- */

/* A total row the export adds ("Total: Account"), kept to compare with
 * the sum of the rows once they are all read.  Subtotals by campaign type
 * ("Total: Search") cover only some rows and are not compared. */
static int total_row(reader *r, bp_err *err)
{
	static const char *const whole[] = { "Total: Account", "Total: Campaigns",
					     "Total: Campaign", "합계: 계정",
					     "합계: 캠페인" };
	const char *s = r->n ? r->fields[0].p : "";
	size_t len = r->n ? r->fields[0].n : 0, i;
	bp_total *t;
	int64_t v;

	trim(&s, &len);
	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if (len == strlen(whole[i]) && strncasecmp(s, whole[i], len) == 0)
			break;
	/* An export has a few; more are footer rows and nothing else. */
	if (i == sizeof(whole) / sizeof(whole[0]) || r->q->n_totals >= MAX_TOTALS)
		return 0;
	r->q->totals = bp_xreallocarray(r->q->totals, r->q->n_totals + 1,
					sizeof(*t));
	t = &r->q->totals[r->q->n_totals++];
	memset(t, 0, sizeof(*t));
	t->label = keep_text(r->q, s, len);
	if (money_value(r, S_COST, &t->cost, err) < 0)
		return -1;
	t->has_impressions = r->col[S_IMPRESSIONS] >= 0 &&
			     bp_num_count(get(r, S_IMPRESSIONS)->p,
					  get(r, S_IMPRESSIONS)->n, &v) > 0;
	if (t->has_impressions)
		t->impressions = v;
	t->has_clicks = r->col[S_CLICKS] >= 0 &&
			bp_num_count(get(r, S_CLICKS)->p, get(r, S_CLICKS)->n, &v) > 0;
	if (t->has_clicks)
		t->clicks = v;
	return 0;
}

/* Whether the row says the export's period had no data. */
static int no_data_row(const reader *r)
{
	const char *s = r->n ? r->fields[0].p : "";
	size_t len = r->n ? r->fields[0].n : 0;

	trim(&s, &len);
	return (r->p->quirks & Q_NO_DATA_ROW) && len == 18 &&
	       strncasecmp(s, "No data available.", 18) == 0 &&
	       is_blank_row(r->fields + 1, r->n - 1);
}

/* The characters of a UTF-8 text. */
static long utf8_chars(const char *s, size_t n)
{
	long k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
}

/* A row narrower than the header that the file ends inside, with no line
 * end after it: the export was cut short (a download or a copy that
 * stopped), and its last values may be cut too, so nothing read from it
 * can be trusted.  Exports written without a final line end (GA4's) end
 * with a whole row.  A line of one field is a footer's or a notice's
 * ("No data available.") unless it is a record ID where the ID comes
 * first.  Returns 0, or -1 with the error. */
static int cut_short(reader *r, bp_err *err)
{
	const bp_field *last = &r->fields[r->n - 1];
	long col = bp_csv_col(r->csv, r->n - 1);
	size_t i;

	if (bp_csv_ended_line(r->csv) || r->in_notes)
		return 0;
	if (r->n == 1) {
		if (!(r->src->kind == BP_SRC_CONTACTS || r->src->kind == BP_SRC_DEALS) ||
		    r->col[0] != 0 || last->n == 0)
			return 0;
		for (i = 0; i < last->n; i++)
			if (last->p[i] < '0' || last->p[i] > '9')
				return 0;
	}
	bp_err_at(err, BP_EDATA, r->name, bp_csv_line(r->csv),
		  col ? col + utf8_chars(last->p, last->n) : 0,
		  "the file ends inside this row, after %zu of the header's %zu "
		  "fields and with no line end: the export was cut short (a "
		  "download or a copy that stopped), and its last value may be "
		  "cut too; export or download it again", r->n, r->width);
	if (err)
		err->sub = BP_CSV_CUT;
	return -1;
}

/* Rows that are not records: footers and totals, the "no data" row, and
 * notes a spreadsheet user wrote under the table.  Returns 1 when the row
 * was one of them, 0 when it is a record, -1 on error. */
static int not_a_record(reader *r, bp_err *err)
{
	if (r->in_notes) {
		r->q->notes_rows++;
		return 1;
	}
	if ((r->p->quirks & Q_NOTES) && is_blank_row(r->fields, r->n)) {
		r->in_notes = 1;
		r->q->notes_rows++;
		return 1;
	}
	if (no_data_row(r)) {
		r->q->empty_export = 1;
		return 1;
	}
	if (footer_like(r)) {
		hold_footer(r);
		return (r->p->quirks & Q_TOTALS) && total_row(r, err) < 0 ? -1 : 1;
	}
	return r->held && settle_held(r, err) < 0 ? -1 : 0;
}

/* ---- what the whole export says ---- */

/* Whether a total the vendor rounded from exact costs can be the sum of
 * `rows` costs each rounded to cents: half a cent per row, and per total. */
static int money_close(bp_money total, bp_money sum, int64_t rows)
{
	bp_money d = total > sum ? total - sum : sum - total;

	return d <= (BP_MONEY_SCALE / 200) * (rows + 1);
}

/* The export's own totals against the sum of its rows: a difference is
 * rows left out (campaigns filtered from the view) or a file cut short. */
static void compare_totals(reader *r)
{
	size_t i;

	for (i = 0; i < r->q->n_totals; i++) {
		bp_total *t = &r->q->totals[i];
		char want[48], got[48];

		t->rows_cost = r->sum_cost;
		t->rows_impressions = r->sum_impressions;
		t->rows_clicks = r->sum_clicks;
		t->matches = money_close(t->cost, r->sum_cost, r->costs_seen) &&
			     (!t->has_impressions || t->impressions == r->sum_impressions) &&
			     (!t->has_clicks || t->clicks == r->sum_clicks);
		if (t->matches)
			continue;
		bp_num_format_money(t->cost, want, sizeof(want));
		bp_num_format_money(r->sum_cost, got, sizeof(got));
		warn(r->q, "totals-differ", "the export's '%s' row says cost %s and "
		     "%lld impressions, but its rows add up to cost %s and %lld "
		     "impressions: rows may be filtered out of the view",
		     t->label, want, (long long)t->impressions, got,
		     (long long)r->sum_impressions);
	}
}

static double share(int64_t part, int64_t whole)
{
	return whole ? (double)part / (double)whole : 0;
}

/* A contacts export that reads but cannot be right: no contact by
 * as_of (fatal: nothing to report), stage dates nowhere, one source for
 * everyone, lifecycle stages the dates do not back. */
static int check_contacts(reader *r, bp_err *err)
{
	bp_quality *q = r->q;
	char when[BP_TIME_TEXT_SIZE], first[BP_TIME_TEXT_SIZE];
	int s;

	if (q->rows_read == 0)
		return bp_err_at(err, BP_EDATA, r->name, 0, 0, "no contacts after "
				 "the header: is the export empty?");
	if (q->rows_used == 0 && r->first_created != BP_TIME_NONE) {
		bp_time_format(r->in->f->as_of, r->in->f->tz, when, sizeof(when));
		bp_time_format(r->first_created, r->in->f->tz, first, sizeof(first));
		return bp_err_at(err, BP_EDATA, r->name, 0, 0, "no contact was "
				 "created by as_of %s (the earliest create date is "
				 "%s): check --period and --as-of", when, first);
	}
	if (r->with_stage_date == 0)
		warn(q, "no-stage-dates", "no contact has a date in any stage "
		     "column, so every stage count is 0: are these the columns "
		     "the portal fills?");
	if (q->rows_used >= ONE_VALUE_ROWS && r->values.count == 1)
		warn(q, "one-source-value", "all %lld contacts have the same "
		     "value in '%s': is that the right column?",
		     (long long)q->rows_used, q->map[C_SOURCE].header);
	if (share(q->stage_mismatch_rows, q->rows_read) > MISMATCH_SHARE) {
		char by[200] = "";
		size_t o = 0;

		for (s = 0; s < BP_NSTAGES; s++)
			if (q->stage_mismatch[s] && o < sizeof(by))
				o += (size_t)snprintf(by + o, sizeof(by) - o, "%s%lld %s",
						      o ? ", " : "",
						      (long long)q->stage_mismatch[s],
						      bp_stage_name(s));
		warn(q, "stage-mismatch", "%lld contacts (%.1f%%) are at a "
		     "lifecycle stage the export has no date for (%s): their "
		     "stages are undercounted; are the stage columns complete?",
		     (long long)q->stage_mismatch_rows,
		     100.0 * share(q->stage_mismatch_rows, q->rows_read), by);
	}
	return 0;
}

static void check_deals(reader *r)
{
	bp_quality *q = r->q;

	if (r->won_seen && !r->won_with_amount)
		warn(q, "no-won-amounts", "none of the %lld won deals has an amount "
		     "in '%s': won revenue, deal size and payback are missing",
		     (long long)r->won_seen, q->map[D_AMOUNT].header);
	if (!r->won_seen && q->rows_read >= NO_WON_ROWS)
		warn(q, "no-won-deals", "none of the %lld deals is at a won stage: "
		     "if the pipeline calls it something else, name it with "
		     "<won-stage>", (long long)q->rows_read);
	if (r->col[D_CONTACTS] < 0)
		warn(q, "no-associations", "the deals export has no associated-"
		     "contact column (such as '%s'): %s",
		     r->p->fields[D_CONTACTS].aliases[0].name,
		     r->in->contacts_list_deals ? "deals are joined through the "
		     "contacts' associated deal IDs only" : "no deal can be put "
		     "in a channel or cohort, so won deals count under 'other'");
}

/* The months of the cells from `lo` (an index) to the period whose
 * state[] is `want`, as spans ("2025-05 to 2026-04, 2026-10") into buf. */
static void months_in(const bp_funnel *f, const unsigned char *state,
		      int want, int lo, char *buf, size_t size)
{
	size_t o = 0;
	int i = lo < 0 ? 0 : lo, j;

	buf[0] = '\0';
	while (i < f->n_months) {
		char a[8], b[8];

		if (state[i] != want) {
			i++;
			continue;
		}
		for (j = i; j + 1 < f->n_months && state[j + 1] == want; j++)
			;
		bp_month_format(f->first + i, a);
		bp_month_format(f->first + j, b);
		if (o < size)
			o += (size_t)snprintf(buf + o, size - o, "%s%s%s%s",
					      o ? ", " : "", a, j > i ? " to " : "",
					      j > i ? b : "");
		i = j + 1;
	}
}

/* A spend or traffic export that says which days it covers (a preamble's
 * range, GA4's "# Start date"): the months it has no day of hold no
 * figure made from it, and those it has only some days of are named, so
 * that neither passes for a whole month.  Only the months the run shows,
 * or compares with data, are named. */
static void check_range(reader *r)
{
	const range *rg = &r->range;
	bp_funnel *f = r->in->f;
	int spend = r->src->kind == BP_SRC_SPEND;
	unsigned covers = spend ? BP_COVERS_SPEND : BP_COVERS_TRAFFIC;
	int lo = f->n_months - r->in->cfg->months;
	bp_civil next = { 0 }, first = { 0 };
	unsigned char *state;
	char none[160], part[160], what[200];
	bp_time from, to;

	if (rg->all_time || !rg->from_known || !rg->to_known)
		return;
	first.y = rg->from.y;
	first.mon = rg->from.mon;
	first.d = rg->from.d;
	bp_civil_from_days(bp_days_from_civil(rg->to.y, rg->to.mon, rg->to.d) + 1,
			   &next.y, &next.mon, &next.d);
	from = bp_civil_to_time(&first, r->src_tz, f->tz);
	to = bp_civil_to_time(&next, r->src_tz, f->tz) - 1;
	state = bp_xcalloc((size_t)f->n_months, 1);
	if (bp_funnel_cover(f, spend ? r->src->channel : -1, covers, from, to,
			    state) == 0) {
		free(state);
		return;
	}
	if (f->first_data != BP_MONTH_NONE && f->first_data - f->first < lo)
		lo = f->first_data - f->first;
	months_in(f, state, BP_COVERED_NONE, lo, none, sizeof(none));
	months_in(f, state, BP_COVERED_PART, lo, part, sizeof(part));
	free(state);
	if (spend)
		snprintf(what, sizeof(what), "the spend and cost of '%s' and of "
			 "all channels, and what is made from them (CPL, cost "
			 "per stage, CAC, payback, ROAS),",
			 r->in->cfg->channels[r->src->channel].id);
	else
		snprintf(what, sizeof(what), "sessions, new users, engaged "
			 "sessions and bounce rate");
	if (none[0])
		warn(r->q, "partial-range", "the export covers '%s' and has no "
		     "day of %s: there, %s are left empty, as are comparisons "
		     "that reach those months%s%s%s; export a period that "
		     "covers them (months before a campaign began too: their "
		     "rows are none, which is no spend)", rg->text, none, what,
		     part[0] ? ", and it has only some days of " : "", part,
		     part[0] ? ", whose figures count those days alone" : "");
	else if (part[0])
		warn(r->q, "partial-range", "the export covers '%s', only some "
		     "days of %s: there, %s count those days alone; export the "
		     "whole month to count all of it", rg->text, part, what);
}

/* Warnings any export can earn once its rows are read. */
static int finish_source(reader *r, bp_err *err)
{
	bp_quality *q = r->q;

	if (r->src->kind == BP_SRC_CONTACTS && check_contacts(r, err) < 0)
		return -1;
	if (r->src->kind == BP_SRC_DEALS)
		check_deals(r);
	if (r->src->kind == BP_SRC_SPEND && q->rows_used && !r->costs_seen)
		warn(q, "no-amounts", "no row has a cost in '%s'",
		     q->map[S_COST].header);
	if (q->negative_cost) {
		char sum[48];

		bp_num_format_money(r->negative_sum, sum, sizeof(sum));
		warn(q, "negative-spend", "%lld row%s a negative cost in '%s' "
		     "(refunds or credits), %s in all: summed into spend, which "
		     "they lower", (long long)q->negative_cost,
		     q->negative_cost == 1 ? " has" : "s have",
		     q->map[S_COST].header, sum);
	}
	compare_totals(r);
	if (r->src->kind == BP_SRC_SPEND || r->src->kind == BP_SRC_TRAFFIC)
		check_range(r);
	if (q->bad_dates)
		warn(q, "bad-dates", "%lld date%s could not be read and count as "
		     "no date (the first, '%s', on line %ld, column %ld, "
		     "'%s'): if the column writes its dates another way, set "
		     "format= on its <column>", (long long)q->bad_dates,
		     q->bad_dates == 1 ? "" : "s", q->bad_date ? q->bad_date : "",
		     q->bad_date_line, q->bad_date_col,
		     r->header_name[q->bad_date_field]);
	if (q->wide_rows)
		warn(q, "wide-rows", "%lld row%s more fields than the header "
		     "(the first on line %ld), and the fields past the header's "
		     "are not read: a value with the delimiter in it and no "
		     "quotes (such as 10,277) moves every field after it, so "
		     "check those rows", (long long)q->wide_rows,
		     q->wide_rows == 1 ? " has" : "s have", q->wide_line);
	if (q->rows_read >= MANY_ROWS && share(q->duplicates, q->rows_read) > MANY_SHARE)
		warn(q, "many-duplicates", "%lld of its %lld rows (%.0f%%) repeat "
		     "a record ID read before them and are left out: were the IDs "
		     "changed by a spreadsheet (such as 9.99999E+10)?",
		     (long long)q->duplicates, (long long)q->rows_read,
		     100 * share(q->duplicates, q->rows_read));
	if (r->src->kind == BP_SRC_DEALS && q->rows_read >= MANY_ROWS &&
	    share(q->unknown_contact, q->rows_read) > MANY_SHARE)
		warn(q, "unknown-contacts", "%lld of its %lld deals (%.0f%%) name "
		     "a contact the contacts export does not have: they count "
		     "under 'other', in no cohort; are both exports from the same "
		     "portal and day?", (long long)q->unknown_contact,
		     (long long)q->rows_read,
		     100 * share(q->unknown_contact, q->rows_read));
	if (q->narrow_rows)
		warn(q, "narrow-rows", "%lld row%s fewer fields than the header "
		     "(the first on line %ld): the fields missing at the end "
		     "are read as empty; an export that was edited or written "
		     "by hand?", (long long)q->narrow_rows,
		     q->narrow_rows == 1 ? " has" : "s have", q->narrow_line);
	if (q->placeholder_dates)
		warn(q, "placeholder-dates", "%lld dates are the placeholder for "
		     "no date (such as 0000-00-00 00:00): read as no date",
		     (long long)q->placeholder_dates);
	if (q->empty_export)
		warn(q, "empty-export", "the export says its period had no data: "
		     "counted as zero rows");
	else if (q->rows_read == 0)
		warn(q, "no-rows", "the export has a header and no rows: "
		     "everything it would give counts as zero; was it exported "
		     "with a filter, or for the wrong period?");
	else if (q->rows_used == 0 && q->rows_read > 0)
		warn(q, "no-rows-in-run", "none of its %lld rows counts for this "
		     "run (%lld dated after as_of)", (long long)q->rows_read,
		     (long long)q->after_as_of);
	return 0;
}

/* ---- the public part ---- */

bp_ingest *bp_ingest_new(const bp_config *cfg, bp_funnel *f, bp_err *err)
{
	bp_ingest *in = bp_xcalloc(1, sizeof(*in));
	size_t i;

	in->cfg = cfg;
	in->f = f;
	in->other = (int)cfg->n_channels - 1;
	in->contacts = bp_idx_new();
	in->deal_refs = bp_idx_new();
	in->tz = bp_xcalloc(cfg->n_sources, sizeof(*in->tz));
	in->threads = default_threads();
	in->split_forced = in->threads == 2 && getenv("BOARDPACK_THREADS") &&
			   strcmp(getenv("BOARDPACK_THREADS"), "2") == 0;
	in->split_min = SPLIT_MIN_BYTES;
	if (cfg->n_channels > 0xFFF) {
		bp_err_set(err, BP_ECONFIG, "too many channels (%zu; at most %d)",
			   cfg->n_channels, 0xFFF);
		goto fail;
	}
	/* The model adds the <cost> entries to spend: their magnitudes count
	 * toward spend's bound, so a row that would make a cost sum overflow
	 * is refused here, where it can be named.  The config keeps their
	 * own sum within 64 bits. */
	for (i = 0; i < cfg->n_costs; i++) {
		bp_money a = cfg->costs[i].amount;

		if (bp_add(&f->bound.spend, a < 0 ? -a : a) < 0) {
			bp_err_at(err, BP_ECONFIG, cfg->path, 0, 0, "the <cost> "
				  "amounts add up to more than 64 bits hold");
			goto fail;
		}
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
	for (i = 0; i < q->n_map; i++)
		free(q->map[i].header);
	free(q->map);
	for (i = 0; i < q->n_totals; i++)
		free(q->totals[i].label);
	free(q->totals);
	for (i = 0; i < q->n_warnings; i++)
		free(q->warnings[i].text);
	free(q->warnings);
	free(q->range);
	free(q->bad_date);
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

/* Reads the rows until the end of the input (returns 0) or an error
 * (-1; *csv_failed says whether the reader itself failed, rather than a
 * row).  `end` is where the input ends, in bytes, for the index's size
 * and the progress line (shown when `progress`); a set `*stop` ends the
 * reading early, as an error. */
static int read_loop(reader *r, bp_idx *seen, unsigned long long end,
		     int progress, atomic_int *stop, int *csv_failed, bp_err *err)
{
	int rc;

	*csv_failed = 0;
	for (;;) {
		rc = bp_csv_next(r->csv, &r->fields, &r->n, err);
		if (rc <= 0) {
			*csv_failed = rc < 0;
			break;
		}
		r->q->rows_read++;
		if (r->q->rows_read == SIZING_ROWS && r->src->kind == BP_SRC_CONTACTS &&
		    !r->probing)
			size_index(r, end);
		if ((r->q->rows_read & 0xFFF) == 0 && stop && atomic_load(stop))
			return bp_err_set(err, BP_ESOFTWARE, "stopped");
		if ((r->q->rows_read & 0x3FFFF) == 0 && end && progress)
			bp_log_progress("reading %s: %.0f%% (%lld rows)", r->src->id,
					100.0 * (double)bp_csv_bytes(r->csv) /
					(double)end, (long long)r->q->rows_read);
		if (r->n < r->width && cut_short(r, err) < 0) {
			rc = -1;
			break;
		}
		rc = not_a_record(r, err);
		if (rc != 0) {
			if (rc < 0)
				break;
			continue;
		}
		r->records++;
		if (r->n < r->width && r->q->narrow_rows++ == 0)
			r->q->narrow_line = bp_csv_line(r->csv);
		if (r->n > r->width && r->q->wide_rows++ == 0)
			r->q->wide_line = bp_csv_line(r->csv);
		switch (r->src->kind) {
		case BP_SRC_CONTACTS: rc = contact_row(r, err); break;
		case BP_SRC_DEALS: rc = deal_row(r, seen, err); break;
		case BP_SRC_SPEND: rc = spend_row(r, err); break;
		case BP_SRC_TRAFFIC: rc = traffic_row(r, err); break;
		}
		if (rc < 0)
			break;
	}
	if (rc == 0 && flush_contacts(r, err) < 0)
		rc = -1;
	return rc < 0 ? -1 : 0;
}

/* ---- a contacts file read in two halves at once ----
 *
 * The second half starts at a record boundary found near the middle
 * (bp_csv_resync) and is read on a thread of its own into a funnel, an
 * index and counts of its own, while the first half is read up to that
 * boundary as usual.  Then the second half's results are added to the
 * first's, which is what one pass would have made of the file when
 *   - the first half ended cleanly at the boundary (else it was no
 *     record boundary: a quoted field went on across it);
 *   - the second half read without an error (an error must be reported
 *     with its line, as one pass reports it);
 *   - no record ID is in both halves (the second one is a duplicate one
 *     pass would skip: its row is counted already);
 *   - the source values and campaigns of both fit in one table (which of
 *     them a full table keeps depends on the order).
 * Otherwise the second half's results are dropped and it is read again,
 * after the first, on this thread: slower, never different.  What the
 * first half finds first wins as in one pass (duplicate IDs, the deal
 * lists of contacts: its index is looked up first). */

/* Records that must follow a line start, each as wide as the header,
 * for it to be taken for a record boundary. */
#define RESYNC_RECORDS 8

typedef struct half {
	reader *r;           /* the second half's reader */
	bp_ingest in;        /* the ingest state it reads into */
	bp_quality q;
	bp_err err;
	unsigned long long bytes;
	int rc;
	double cpu;          /* seconds of CPU its thread took */
	atomic_int stop;     /* its results will not be used */
	pthread_t thread;
} half;

static int default_threads(void)
{
	const char *t = getenv("BOARDPACK_THREADS");

	/* An injected allocation failure must land on the same allocation
	 * every run. */
	if ((t && strcmp(t, "1") == 0) || getenv("BOARDPACK_FAIL_ALLOC"))
		return 1;
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
}

void bp_ingest_set_threads(bp_ingest *in, int threads,
			   unsigned long long min_bytes, unsigned long long at)
{
	in->threads = threads;
	in->split_min = min_bytes;
	in->split_at = at;
}

void bp_ingest_set_hashed_beside(bp_ingest *in, int beside)
{
	in->hashed_beside = beside;
}

static void half_free(half *h)
{
	if (!h)
		return;
	if (h->r) {
		bp_csv_close(h->r->csv);
		values_free(&h->r->values);
		free(h->r->held_text);
		free(h->r);
	}
	bp_idx_free(h->in.contacts);
	bp_idx_free(h->in.deal_refs);
	bp_funnel_free(h->in.f);
	bp_quality_clear(&h->q);
	free(h);
}

/* The second half's reader, from byte `at` to the end of `path`: a copy
 * of r made before r read a row, so it is r as the header left it, with
 * state of its own where r's would be shared. */
static half *half_new(reader *r, const char *path, unsigned long long at,
		      unsigned long long size, bp_err *err)
{
	const bp_funnel *f = r->in->f;
	half *h = bp_xcalloc(1, sizeof(*h));
	reader *b = bp_xmalloc(sizeof(*b));

	*b = *r;
	h->r = b;
	h->in = *r->in;
	h->in.f = bp_funnel_new(f->tz, f->as_of, f->first + f->n_months - 1,
				f->n_months, f->n_channels);
	h->in.f->mode = f->mode;
	h->in.contacts = bp_idx_new();
	h->in.deal_refs = bp_idx_new();
	h->q.src = r->src;
	h->bytes = size - at;
	b->in = &h->in;
	b->q = &h->q;
	b->fields = NULL;
	b->n = 0;
	memset(&b->values, 0, sizeof(b->values));
	b->ahead_first = b->ahead_n = 0;
	bp_date_reader_init(&b->dates, b->src_tz, f->tz);
	b->csv = bp_csv_open_at(path, r->name, at, bp_csv_delimiter(r->csv),
				r->width, err);
	if (!b->csv || bp_csv_project(b->csv, r->col, r->p->n_fields, err) < 0) {
		half_free(h);
		return NULL;
	}
	atomic_init(&h->stop, 0);
	return h;
}

static void *half_run(void *arg)
{
	half *h = arg;
	int csv_failed;

	h->rc = read_loop(h->r, NULL, h->bytes, 0, &h->stop, &csv_failed, &h->err);
	h->cpu = bp_thread_cpu();
	return NULL;
}

/* Every count of the second half's quality record, added to q's. */
static void quality_add(bp_quality *q, const bp_quality *b)
{
	int s;

	q->rows_read += b->rows_read;
	q->rows_used += b->rows_used;
	q->footer_rows += b->footer_rows;
	q->duplicates += b->duplicates;
	q->missing_id += b->missing_id;
	q->bad_dates += b->bad_dates;
	q->placeholder_dates += b->placeholder_dates;
	q->stage_before_create += b->stage_before_create;
	q->close_before_create += b->close_before_create;
	q->after_as_of += b->after_as_of;
	q->unmatched_rows += b->unmatched_rows;
	q->won_without_amount += b->won_without_amount;
	q->won_without_close_date += b->won_without_close_date;
	q->lost_without_close_date += b->lost_without_close_date;
	q->unknown_contact += b->unknown_contact;
	q->no_association += b->no_association;
	q->notes_rows += b->notes_rows;
	q->narrow_rows += b->narrow_rows;
	q->wide_rows += b->wide_rows;
	q->negative_cost += b->negative_cost;
	q->sanitized_values += b->sanitized_values;
	q->truncated_values += b->truncated_values;
	q->unlisted_values += b->unlisted_values;
	for (s = 0; s < BP_NSTAGES; s++)
		q->stage_mismatch[s] += b->stage_mismatch[s];
	q->stage_mismatch_rows += b->stage_mismatch_rows;
	q->empty_export |= b->empty_export;
}

/* The footer-like rows either half ended with (hold_footer): the first
 * half's are settled by a record of the second, as one pass settles
 * them, or go on with the second's when it has none; what waits at the
 * second half's end is the file's. */
static void merge_held(reader *r, reader *b)
{
	if (r->held && b->records) {
		r->q->missing_id += r->held_no_id;
		r->held = r->held_no_id = 0;
	}
	if (!r->held) {
		free(r->held_text);
		r->held = b->held;
		r->held_no_id = b->held_no_id;
		r->held_line = b->held_line;
		r->held_text = b->held_text;
		b->held_text = NULL;
		return;
	}
	r->held += b->held;
	r->held_no_id += b->held_no_id;
	if (!r->held_line && b->held_line) {
		r->held_line = b->held_line;
		free(r->held_text);
		r->held_text = b->held_text;
		b->held_text = NULL;
	}
}

/* The rows and dates the warnings name by their line, where the first
 * is in the second half: its lines counted from where it starts, after
 * `lines` lines of the first half. */
static void first_lines(bp_quality *q, bp_quality *b, long lines)
{
	if (!q->narrow_rows && b->narrow_rows)
		q->narrow_line = b->narrow_line + lines;
	if (!q->wide_rows && b->wide_rows)
		q->wide_line = b->wide_line + lines;
	if (!q->bad_dates && b->bad_dates) {
		q->bad_date_line = b->bad_date_line + lines;
		q->bad_date_col = b->bad_date_col;
		q->bad_date_field = b->bad_date_field;
		q->bad_date = b->bad_date;
		b->bad_date = NULL;
	}
}

/* Adds the second half's results to r's, when they are what one pass
 * would have made (see above).  Returns 0, or -1 with r unchanged. */
static int merge_half(reader *r, half *h)
{
	reader *b = h->r;
	size_t i;

	if (!bp_idx_disjoint(r->in->contacts, h->in.contacts)) {
		bp_log_debug("%s: a record ID is in both halves", r->src->id);
		return -1;
	}
	/* Footer-like rows before the boundary that records follow: one
	 * pass names the first in an error, with the line of the record. */
	if (r->held && r->held_line && b->records) {
		bp_log_debug("%s: a footer-like row before the boundary", r->src->id);
		return -1;
	}
	if (r->values.count + b->values.count > MAX_CACHED_VALUES ||
	    bp_funnel_merge(r->in->f, h->in.f) < 0) {
		bp_log_debug("%s: too many values, or sums past 64 bits", r->src->id);
		return -1;
	}
	/* Nothing below can fail. */
	first_lines(r->q, b->q, bp_csv_next_line(r->csv) - 1);
	bp_idx_chain(r->in->contacts, h->in.contacts);
	bp_idx_chain(r->in->deal_refs, h->in.deal_refs);
	h->in.contacts = h->in.deal_refs = NULL;
	for (i = 0; i < b->values.cap; i++) {
		const value_entry *e = &b->values.e[i];
		value_entry *to;

		if (!e->s)
			continue;
		to = values_get(&r->values, r->src, r->in->other, e->s, e->n, e->cut);
		assert(to);
		to->count += e->count;
	}
	merge_held(r, b);
	quality_add(r->q, &h->q);
	r->with_stage_date += b->with_stage_date;
	r->records += b->records;
	if (b->first_created != BP_TIME_NONE &&
	    (r->first_created == BP_TIME_NONE || b->first_created < r->first_created))
		r->first_created = b->first_created;
	r->more_bytes = bp_csv_bytes(b->csv);
	r->q->threads = 2;
	return 0;
}

/* Whether reading the rest of a contacts file in two halves saves time
 * while the archive hashes the file on a thread of its own: the first
 * PROBE_BYTES are read alone, timed, to weigh what parsing costs per byte
 * (P, reads included) against what the archive's copy does: hashing (H)
 * and, beside two halves, reading the file itself (R, what this reader's
 * reads cost).  Two halves and the copy make three threads on two cores,
 * sharing them alike until the halves are done: H + R + P/4 in all.  One
 * pass leaves the copy a core: P, or H + R where that is more.  So when
 * H + R is more than three quarters of P (wide exports, where most bytes
 * are only passed over), one pass is sooner.
 * Returns 1 (split), 0 (one pass; read_rows sizes the index), or -1
 * on an error in the rows read, as one pass would have it.  An error at
 * the probe's end, which was no record boundary after all, is no error:
 * the stop is lifted and the file read on in one pass. */
#define PROBE_BYTES BP_INGEST_PROBE_BYTES

static int worth_halves(reader *r, const char *path, unsigned long long size,
			bp_err *err)
{
	unsigned long long start = bp_csv_bytes(r->csv), read;
	long long at;
	double cpu, reads = 0, hash = bp_sha256_cost();
	int rc, csv_failed;

	if (hash <= 0 || size - start < 4 * PROBE_BYTES)
		return 1;
	at = bp_csv_resync(path, start + PROBE_BYTES, bp_csv_delimiter(r->csv),
			   r->width, RESYNC_RECORDS, err);
	if (at <= (long long)start ||
	    bp_csv_stop_at(r->csv, (unsigned long long)at, err) < 0) {
		bp_err_clear(err);
		return 1;
	}
	r->probing = 1;
	bp_csv_time_reads(r->csv, &reads);
	cpu = bp_thread_cpu();
	rc = read_loop(r, NULL, size, 1, NULL, &csv_failed, err);
	cpu = bp_thread_cpu() - cpu;
	bp_csv_time_reads(r->csv, NULL);
	r->probing = 0;
	read = bp_csv_bytes(r->csv) - start;
	if (rc < 0 && !csv_failed)
		return -1;
	bp_err_clear(err);
	if (bp_csv_stop_at(r->csv, 0, err) < 0)
		return -1;
	if (rc == 0 && read > 0 && hash * (double)read + reads < 0.75 * cpu)
		return 1;
	bp_log_debug("%s: reading in one pass beside the archive's hash "
		     "(CPU seconds per MB: parse %.4f, hash %.4f, read %.4f)",
		     r->src->id, read ? cpu / (double)read * 1e6 : 0, hash * 1e6,
		     read ? reads / (double)read * 1e6 : 0);
	return 0;
}

/* Reads a contacts file in two halves when a record boundary is found
 * near `at` (see above); returns 1 when it did not try, else what
 * read_loop() returns for the whole file. */
static int read_halves(reader *r, const char *path, unsigned long long size,
		       bp_err *err)
{
	unsigned long long start, from;
	long long at;
	half *h;
	double cpu, merged;
	int rc, csv_failed;

	if (!r->in->split_at && r->in->hashed_beside && !r->in->split_forced &&
	    (rc = worth_halves(r, path, size, err)) <= 0)
		return rc < 0 ? -1 : 1;
	start = bp_csv_bytes(r->csv);
	from = r->in->split_at ? r->in->split_at : start + (size - start) / 2;
	at = bp_csv_resync(path, from > start ? from : start,
			   bp_csv_delimiter(r->csv), r->width, RESYNC_RECORDS, err);
	/* The stop first: it also says whether the file is UTF-8. */
	if (at <= (long long)start ||
	    bp_csv_stop_at(r->csv, (unsigned long long)at, err) < 0) {
		bp_err_clear(err);
		return 1;
	}
	h = half_new(r, path, (unsigned long long)at, size, err);
	if (!h || pthread_create(&h->thread, NULL, half_run, h) != 0) {
		half_free(h);
		bp_err_clear(err);
		return bp_csv_stop_at(r->csv, 0, err) < 0 ? -1 : 1;
	}
	bp_log_debug("%s: reading from byte %lld on a second thread", r->src->id, at);
	/* Past the rows the index is sized after (worth_halves read them):
	 * sized now, for the first half. */
	if (r->q->rows_read >= SIZING_ROWS)
		size_index(r, (unsigned long long)at);
	cpu = bp_thread_cpu();
	rc = read_loop(r, NULL, (unsigned long long)at, 1, NULL, &csv_failed, err);
	cpu = bp_thread_cpu() - cpu;
	if (rc < 0)
		atomic_store(&h->stop, 1);
	pthread_join(h->thread, NULL);
	if (rc < 0 && !csv_failed) {
		half_free(h);
		return -1;
	}
	merged = bp_thread_cpu();
	if (rc == 0 && h->rc == 0 && merge_half(r, h) == 0) {
		bp_log_debug("%s: halves merged; CPU seconds: first half %.3f, "
			     "second %.3f, merge %.3f", r->src->id, cpu, h->cpu,
			     bp_thread_cpu() - merged);
		half_free(h);
		return 0;
	}
	bp_log_debug("%s: reading the second half again, after the first (%s)",
		     r->src->id, rc < 0 ? err->msg : h->rc < 0 ? h->err.msg :
		     "its results cannot be merged");
	half_free(h);
	bp_err_clear(err);
	if (bp_csv_stop_at(r->csv, 0, err) < 0)
		return -1;
	return read_loop(r, NULL, size, 1, NULL, &csv_failed, err);
}

static int read_rows(reader *r, const char *path, unsigned long long file_bytes,
		     bp_err *err)
{
	bp_idx *seen = NULL;
	int rc = 1, csv_failed;

	r->q->threads = 1;
	if (r->src->kind == BP_SRC_CONTACTS && r->in->threads >= 2 &&
	    file_bytes >= r->in->split_min && file_bytes)
		rc = read_halves(r, path, file_bytes, err);
	if (rc > 0) {
		/* Past the rows the index is sized after (the timed first
		 * megabytes read them, and the halves were then not read). */
		if (r->src->kind == BP_SRC_CONTACTS && r->q->rows_read >= SIZING_ROWS)
			size_index(r, file_bytes);
		if (r->src->kind == BP_SRC_DEALS)
			seen = bp_idx_new();
		rc = read_loop(r, seen, file_bytes, 1, NULL, &csv_failed, err);
	}
	bp_log_progress_done();
	bp_idx_free(seen);
	/* What waited at the end is the footer. */
	r->q->footer_rows += r->held;
	return rc;
}

/* The GA4 "Reports snapshot" export stacks a dozen small tables, each
 * after its own date lines: not a traffic export, whatever its columns. */
static int check_snapshot(const reader *r, bp_err *err)
{
	if (!(r->p->quirks & Q_SNAPSHOT) || r->start_comments < 2)
		return 0;
	return bp_err_at(err, BP_EDATA, r->name, 0, 0, "this is a %s 'Reports "
			 "snapshot' export (several small tables, each with its "
			 "own date lines), not a traffic report: %s", r->p->vendor,
			 r->p->export_advice);
}

/* The header, or why there is none.  Returns 1 when found, 0 when the
 * export is an empty period's (nothing to read), -1 on error. */
static int find_header(reader *r, bp_field **hdr, size_t *n_hdr, bp_err *err)
{
	if (bp_csv_header(r->csv, is_header, r, MAX_PREAMBLE, hdr, n_hdr, err) == 0)
		return check_snapshot(r, err) < 0 ? -1 : 1;
	if (check_snapshot(r, err) < 0)
		return -1;
	if (err->sub != BP_CSV_NO_HEADER)
		return -1;
	/* LinkedIn writes an empty period as its preamble alone. */
	if (r->empty_mark && r->pre_lines <= 6) {
		bp_err_clear(err);
		r->q->empty_export = 1;
		return 0;
	}
	return bp_err_at(err, BP_EDATA, r->name, 0, 0, "no header row with a "
			 "'%s' column in the first %d lines (is this a %s %s "
			 "export?)", r->header_name[0], MAX_PREAMBLE, r->p->name,
			 bp_source_kind_name(r->src->kind));
}

/* Which columns this export has, for the funnel: a figure no source of a
 * channel has is absent there, never 0. */
static void declare_columns(reader *r)
{
	if (r->src->kind == BP_SRC_SPEND) {
		r->has = BP_HAS_SPEND |
			 (r->col[S_IMPRESSIONS] >= 0 ? BP_HAS_IMPRESSIONS : 0) |
			 (r->col[S_CLICKS] >= 0 ? BP_HAS_CLICKS : 0);
		bp_funnel_declare(r->in->f, r->src->channel, r->has);
	} else if (r->src->kind == BP_SRC_TRAFFIC) {
		r->has = BP_HAS_TRAFFIC |
			 (r->col[T_NEW_USERS] >= 0 ? BP_HAS_NEW_USERS : 0) |
			 (r->col[T_ENGAGED] >= 0 ? BP_HAS_ENGAGED : 0);
		bp_funnel_declare(r->in->f, -1, r->has);
	} else if (r->src->kind == BP_SRC_CONTACTS && r->col[C_DEALS] >= 0) {
		r->in->contacts_list_deals = 1;
	}
}

static int read_source(reader *r, const char *path, bp_err *err)
{
	bp_field *hdr;
	size_t n_hdr;
	struct stat st;
	int rc;

	prepare_names(r);
	r->q->map = bp_xcalloc(r->p->n_fields, sizeof(*r->q->map));
	r->csv = bp_csv_open(path, r->name, err);
	if (!r->csv)
		return -1;
	bp_csv_on_comment(r->csv, on_comment, r);
	rc = find_header(r, &hdr, &n_hdr, err);
	if (rc <= 0)
		return rc < 0 ? -1 : finish_source(r, err);
	if (map_columns(r, hdr, n_hdr, err) < 0 ||
	    bp_csv_project(r->csv, r->col, r->p->n_fields, err) < 0)
		return -1;
	declare_columns(r);
	r->width = n_hdr;
	if (read_rows(r, path, stat(path, &st) == 0 ?
		      (unsigned long long)st.st_size : 0, err) < 0)
		return -1;
	r->q->bytes = bp_csv_bytes(r->csv) + r->more_bytes;
	collect_unmatched(r);
	return finish_source(r, err);
}

int bp_ingest_source(bp_ingest *in, const bp_source *src, const char *path,
		     const char *name, bp_quality *q, bp_err *err)
{
	reader *r = bp_xcalloc(1, sizeof(*r));
	int rc = -1;

	/* The reader's fields one by one, as a constructor sets them (the
	 * shape chart.c's shape constructors share, and nothing more). */
	r->in = in;
	r->src = src;
	r->name = name;
	r->q = q;
	r->first_created = BP_TIME_NONE;
	q->src = src;
	r->src_tz = in->tz[src - in->cfg->sources] ?
		    in->tz[src - in->cfg->sources] : in->f->tz;
	bp_date_reader_init(&r->dates, r->src_tz, in->f->tz);
	r->p = preset_find(src->kind, src->preset);
	if (!r->p) {
		bp_err_set(err, BP_ECONFIG, "unknown %s preset '%s'",
			   bp_source_kind_name(src->kind), src->preset);
	} else if (src->connector) {
		/* A connector's pull: its rows, written as the preset's CSV,
		 * go through the very same reading as an exported file. */
		char rows[64];
		int fd;

		if (bp_conn_rows(src, path, in->cfg->currency, &fd, err) == 0) {
			snprintf(rows, sizeof(rows), "/proc/self/fd/%d", fd);
			rc = read_source(r, rows, err);
			close(fd);
		}
	} else {
		rc = read_source(r, path, err);
	}
	if (rc < 0)
		bp_err_source(err, src->id);
	values_free(&r->values);
	bp_csv_close(r->csv);
	free(r->held_text);
	free(r);
	return rc;
}

int bp_ingest_check_header(bp_ingest *in, const bp_source *src,
			   const char *path, const char *name, bp_err *err)
{
	reader *r;
	bp_quality q = { 0 };
	bp_field *hdr;
	size_t n_hdr;
	int rc = -1;

	if (src->connector)
		return 0;
	r = bp_xcalloc(1, sizeof(*r));
	r->in = in;
	r->src = src;
	r->name = name;
	r->q = &q;
	r->first_created = BP_TIME_NONE;
	q.src = src;
	r->src_tz = in->tz[src - in->cfg->sources] ?
		    in->tz[src - in->cfg->sources] : in->f->tz;
	r->p = preset_find(src->kind, src->preset);
	if (!r->p) {
		bp_err_set(err, BP_ECONFIG, "unknown %s preset '%s'",
			   bp_source_kind_name(src->kind), src->preset);
		goto out;
	}
	/* The very steps read_source takes up to its first row. */
	prepare_names(r);
	q.map = bp_xcalloc(r->p->n_fields, sizeof(*q.map));
	r->csv = bp_csv_open(path, r->name, err);
	if (!r->csv)
		goto out;
	bp_csv_on_comment(r->csv, on_comment, r);
	rc = find_header(r, &hdr, &n_hdr, err);
	if (rc > 0)
		rc = map_columns(r, hdr, n_hdr, err) < 0 ? -1 : 0;
out:
	if (rc < 0)
		bp_err_source(err, src->id);
	values_free(&r->values);
	bp_csv_close(r->csv);
	bp_quality_clear(&q);
	free(r);
	return rc;
}
