/*
 * gen.c - bp-gen, the demo export generator for boardpack.
 *
 * Writes the six exports boardpack reads (HubSpot contacts and deals,
 * Google Ads, LinkedIn, Meta, GA4) into one folder, each in the format the
 * real product produces (see FORMATS.md), with the untidy parts that real
 * files have: a BOM, UTF-16, preamble and footer lines, thousands
 * separators inside quotes, ` --` for missing, Korean and hostile campaign
 * names, duplicate record IDs.  Everything follows from the seed, so two
 * runs with the same options write identical bytes.
 *
 * Contacts are streamed: one contact exists at a time and its deals are
 * written to deals.csv as it is made, so memory does not grow with
 * --contacts.  Standalone on purpose: it links nothing from boardpack.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EX_USAGE 64
#define EX_CANTCREAT 73
#define NONE INT64_MIN
#define MIN_PER_DAY 1440
#define OUT_BUFSZ (4u << 20)

/* ---- options ---------------------------------------------------------- */

typedef struct opts {
	uint64_t seed;
	uint64_t contacts;
	int months;
	int end_y, end_m;
	long spend_days;    /* 0: the contact months */
	int shape;          /* enum shape: the layout of contacts.csv */
	const char *outdir;
} opts;

static const char usage[] =
"usage: bp-gen [--seed N] [--contacts N] [--months N] [--end YYYY-MM]\n"
"              [--spend-days N] [--shape NAME] OUTDIR\n"
"\n"
"Writes realistic demo exports for boardpack into OUTDIR:\n"
"  contacts.csv   HubSpot contacts (UTF-8 BOM, every field quoted)\n"
"  deals.csv      HubSpot deals\n"
"  google-ads.csv Google Ads campaign report by day\n"
"  linkedin.tsv   LinkedIn Campaign Manager (UTF-16LE, tab-separated)\n"
"  meta.csv       Meta Ads Manager\n"
"  ga4.csv        GA4 traffic acquisition by day\n"
"\n"
"  --seed N        random seed (default 42); same seed, same bytes\n"
"  --contacts N    contact rows (default 6000)\n"
"  --months N      months of contacts, ending with --end (default 18)\n"
"  --end YYYY-MM   last month of data (default 2026-10)\n"
"  --spend-days N  days of ad spend and traffic ending with --end's last\n"
"                  day (default: the contact months)\n"
"  --shape NAME    contacts.csv as the benchmark's shapes write it: demo\n"
"                  (default), dense (every stage date set, with seconds),\n"
"                  api (UTC ISO 8601 stamps with milliseconds), text\n"
"                  (free text with commas and line breaks), wide (300\n"
"                  columns in the current HubSpot labels); the same\n"
"                  contacts and deals whatever the shape, except that\n"
"                  dense fills in every stage date\n"
"  --help          this text\n";

/* ---- random numbers: splitmix64, one stream per file ------------------ */

typedef struct rng {
	uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Streams are independent so that, say, --spend-days leaves the contacts
 * byte-for-byte unchanged. */
static rng rng_stream(uint64_t seed, uint64_t stream)
{
	rng r = { seed ^ (stream * 0xD1B54A32D192ED03ull) };
	rng_next(&r);
	return r;
}

static double rng_unit(rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [lo, hi]. */
static int64_t rng_range(rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static int rng_chance(rng *r, double p)
{
	return rng_unit(r) < p;
}

static double rng_between(rng *r, double lo, double hi)
{
	return lo + (hi - lo) * rng_unit(r);
}

static size_t rng_pick(rng *r, size_t n)
{
	return (size_t)(rng_next(r) % n);
}

/* ---- calendar: days since 1970-01-01, minutes since its midnight ------ */

static int64_t days_from_civil(int y, int m, int d)
{
	/* Counting years from March puts the leap day last. */
	int64_t yy = m <= 2 ? y - 1 : y;
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t mp = (m + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int days_in_month(int y, int m)
{
	int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
	return (int)(days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1));
}

static void month_add(int y, int m, int add, int *oy, int *om)
{
	int idx = y * 12 + (m - 1) + add;
	*oy = idx / 12;
	*om = idx % 12 + 1;
}

/* 0 = Monday. */
static int weekday(int64_t day)
{
	return (int)(((day % 7) + 7 + 3) % 7);
}

static const char *const month_names[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};

/* ---- buffered output: one large buffer per file, no per-row mallocs ---- */

typedef struct out {
	FILE *f;
	char *buf;
	size_t len;
	int failed;
} out;

static void out_flush(out *o)
{
	if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
		o->failed = 1;
	o->len = 0;
}

static void out_mem(out *o, const char *s, size_t n)
{
	if (o->len + n > OUT_BUFSZ)
		out_flush(o);
	if (n > OUT_BUFSZ) {
		if (fwrite(s, 1, n, o->f) != n)
			o->failed = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void out_s(out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void out_c(out *o, char c)
{
	if (o->len + 1 > OUT_BUFSZ)
		out_flush(o);
	o->buf[o->len++] = c;
}

static void out_u64(out *o, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_mem(o, tmp + sizeof tmp - n, (size_t)n);
}

static void out_fmt(out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_fmt(out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		out_mem(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Always quoted, as some HubSpot exports do. */
static void out_quoted(out *o, const char *s)
{
	out_c(o, '"');
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		out_mem(o, s, (size_t)(q - s) + 1);
		out_c(o, '"');
	}
	out_s(o, s);
	out_c(o, '"');
}

/* Quoted only where RFC 4180 needs it. */
static void out_field(out *o, const char *s)
{
	if (strpbrk(s, ",\"\r\n"))
		out_quoted(o, s);
	else
		out_s(o, s);
}

static void fmt_date(char *dst, int64_t day)
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	dst[0] = (char)('0' + y / 1000 % 10);
	dst[1] = (char)('0' + y / 100 % 10);
	dst[2] = (char)('0' + y / 10 % 10);
	dst[3] = (char)('0' + y % 10);
	dst[4] = '-';
	dst[5] = (char)('0' + m / 10);
	dst[6] = (char)('0' + m % 10);
	dst[7] = '-';
	dst[8] = (char)('0' + d / 10);
	dst[9] = (char)('0' + d % 10);
}

/* HubSpot's "YYYY-MM-DD HH:MM", local time of the account. */
static void out_datetime(out *o, int64_t minute)
{
	char s[16];
	int64_t day = floor_div(minute, MIN_PER_DAY);
	int mod = (int)(minute - day * MIN_PER_DAY);
	fmt_date(s, day);
	s[10] = ' ';
	s[11] = (char)('0' + mod / 60 / 10);
	s[12] = (char)('0' + mod / 60 % 10);
	s[13] = ':';
	s[14] = (char)('0' + mod % 60 / 10);
	s[15] = (char)('0' + mod % 10);
	out_mem(o, s, 16);
}

/* "1,234,567" into dst (at least 32 bytes). */
static void fmt_thousands(char *dst, uint64_t v)
{
	char tmp[32];
	int n = 0, digits = 0;
	do {
		if (digits && digits % 3 == 0)
			tmp[n++] = ',';
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
		digits++;
	} while (v);
	for (int i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	dst[n] = '\0';
}

/* Hundredths as "4,838.80". */
static void fmt_money(char *dst, uint64_t cents)
{
	fmt_thousands(dst, cents / 100);
	size_t n = strlen(dst);
	snprintf(dst + n, 8, ".%02u", (unsigned)(cents % 100));
}

static int out_open(out *o, const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	o->f = fopen(path, "wb");
	o->buf = o->f ? malloc(OUT_BUFSZ) : NULL;
	o->len = 0;
	o->failed = 0;
	if (!o->f || !o->buf) {
		fprintf(stderr, "bp-gen: cannot write '%s': %s\n", path, strerror(errno));
		if (o->f)
			fclose(o->f);
		o->f = NULL;
		return -1;
	}
	return 0;
}

/* Returns -1 when anything written to the file was lost. */
static int out_close(out *o, const char *name)
{
	int rc = 0;
	if (!o->f)
		return 0;
	out_flush(o);
	if (o->failed || ferror(o->f))
		rc = -1;
	if (fclose(o->f) != 0)
		rc = -1;
	free(o->buf);
	o->f = NULL;
	o->buf = NULL;
	if (rc)
		fprintf(stderr, "bp-gen: error writing '%s'\n", name);
	return rc;
}

/* ---- the business being simulated ------------------------------------- */

typedef struct source {
	const char *label, *api, *channel;
	unsigned weight;            /* share of contacts, percent */
	const char *const *drill;   /* Original Source Drill-Down 1 values */
	size_t n_drill;
} source;

static const char *const dd_organic[] = { "google", "naver", "bing", "daum" };
static const char *const dd_paid_search[] = {
	"브랜드 검색_2026", "Generic - B2B Analytics", "Competitor - KR"
};
static const char *const dd_paid_social[] = {
	"리타게팅 캠페인", "Lead Gen - Lookalike", "ABM - Enterprise KR",
	"의사결정자 타겟팅 2026"
};
static const char *const dd_social[] = { "LinkedIn", "Facebook", "Instagram" };
static const char *const dd_email[] = {
	"Newsletter \"Board metrics\", Oct", "Nurture - Trial users",
	"웨비나 초대 메일"
};
static const char *const dd_referrals[] = {
	"partner.example.com", "blog.example.co.kr", "g2.com"
};
static const char *const dd_direct[] = { "", "", "www.acme.example" };
static const char *const dd_offline[] = {
	"IMPORT", "CRM_UI", "Trade show: Seoul SaaS Expo, 2026"
};
static const char *const dd_other[] = {
	"Webinar: \"Scaling Sales\", Q3", "Partner co-marketing"
};

#define DD(a) a, sizeof a / sizeof a[0]
static const source sources[] = {
	{ "Organic search", "ORGANIC_SEARCH", "organic_search", 26, DD(dd_organic) },
	{ "Paid search", "PAID_SEARCH", "paid_search", 22, DD(dd_paid_search) },
	{ "Paid social", "PAID_SOCIAL", "paid_social", 14, DD(dd_paid_social) },
	{ "Organic social", "SOCIAL_MEDIA", "organic_social", 7, DD(dd_social) },
	{ "Email marketing", "EMAIL_MARKETING", "email_marketing", 9, DD(dd_email) },
	{ "Referrals", "REFERRALS", "referrals", 7, DD(dd_referrals) },
	{ "Direct traffic", "DIRECT_TRAFFIC", "direct_traffic", 10, DD(dd_direct) },
	{ "Offline sources", "OFFLINE", "offline", 3, DD(dd_offline) },
	{ "Other campaigns", "OTHER_CAMPAIGNS", "other_campaigns", 2, DD(dd_other) },
};
#define N_SOURCES (sizeof sources / sizeof sources[0])
enum { SRC_PAID_SEARCH = 1, SRC_PAID_SOCIAL = 2 };

/* Funnel probabilities and delays (days).  P_CUSTOMER is the product,
 * used to size ad spend so that CAC comes out plausible. */
#define P_LEAD_AT_CREATION 0.70
#define P_LEAD_LATER 0.15
#define P_MQL 0.30
#define P_SQL 0.40
#define P_OPP 0.50
#define P_CUSTOMER 0.25
#define P_CONTACT_TO_CUSTOMER \
	((P_LEAD_AT_CREATION + (1 - P_LEAD_AT_CREATION) * P_LEAD_LATER) * \
	 P_MQL * P_SQL * P_OPP * P_CUSTOMER)
#define CAC_PAID_SEARCH 2400000.0
#define CAC_PAID_SOCIAL 3000000.0

static const struct { const char *hangul, *latin; } first_names[] = {
	{ "민준", "minjun" }, { "서연", "seoyeon" }, { "지훈", "jihoon" },
	{ "하은", "haeun" }, { "도윤", "doyoon" }, { "수아", "sua" },
	{ "예준", "yejun" }, { "지우", "jiwoo" }, { "Jisoo", "jisoo" },
	{ "Minho", "minho" }, { "Sarah", "sarah" }, { "David", "david" },
	{ "Yuna", "yuna" }, { "Hyun-woo", "hyunwoo" }, { "Emily", "emily" },
	{ "Daniel", "daniel" }, { "", "info" }, { "은지", "eunji" },
};
static const char *const domains[] = {
	"example.com", "example.co.kr", "example.org", "example.net",
	"acme.example"
};
static const char *const companies[] = {
	"Hanbit Systems", "(주)누리테크", "Kim, Lee & Partners", "Blue \"Ocean\" Labs",
	"Seoul Logistics", "한강 데이터", "Daehan Foods", "Pangyo AI", "새솔 제약",
	"Busan Marine Co."
};
static const char *const products[] = {
	"Annual plan", "연간 구독", "Enterprise license", "Growth plan"
};
static const char *const owners[] = {
	"Jiwon Park", "Minseo Kim", "Daniel Cho", "Hyejin Lee"
};
static const char *const open_stages[] = {
	"Appointment scheduled", "Qualified to buy", "Presentation scheduled",
	"Decision maker bought-in", "Contract sent"
};
static const char *const lost_reasons[] = {
	"Budget", "Chose competitor", "No decision", "Timing", "Price too high"
};
static const char *const unknown_sources[] = { "AI referrals", "Partner portal" };
static const char hostile[] = "<script>alert(1)</script>";

/* ---- contacts and deals ----------------------------------------------- */

enum { ST_LEAD, ST_MQL, ST_SQL, ST_OPP, ST_CUST, N_STAGES };

static const char *const stage_labels[] = {
	"Lead", "Marketing Qualified Lead", "Sales Qualified Lead",
	"Opportunity", "Customer"
};

typedef struct contact {
	uint64_t id;
	int64_t created;            /* minutes */
	int64_t stage[N_STAGES];    /* NONE when not reached by the end */
	int64_t future_customer;    /* customer date after the end, or NONE */
	size_t src;
	const char *source_value;
	const char *drill;
	size_t name;
	uint64_t deals[2];
	int n_deals;
} contact;

enum col {
	C_ID, C_FIRST, C_EMAIL, C_CREATE, C_LIFE, C_LEAD, C_MQL, C_SQL, C_OPP,
	C_CUST, C_SRC, C_DRILL, C_DEALS,
	/* only in the benchmark's shapes (--shape) */
	C_EVANG, C_DRILL2, C_MODIFIED, C_DEAL_NAMES, C_N_DEALS, C_FILL
};

/* What a filler column of a wide export holds. */
enum kind {
	K_WORD, K_LAST, K_COMPANY, K_JOB, K_DOMAIN, K_EMAIL, K_URL, K_STAMP,
	K_DATE, K_DECIMAL, K_COUNT, K_BOOL, K_CITY, K_REGION, K_COUNTRY, K_CC,
	K_PHONE, K_POSTAL, K_TZ, K_LANG, K_CAMPAIGN, K_OWNER, K_ID, K_IDS,
	K_MONEY, K_TEXT, K_ADDRESS, K_SOURCE, K_KEYWORD, K_FORM, K_MAIL_NAME,
	K_CLICK_ID, K_DURATION, K_RECORD_SOURCE
};

typedef struct column {
	enum col col;
	const char *label;
	unsigned char kind;         /* C_FILL: what it holds */
	unsigned char fill;         /* C_FILL: percent of rows with a value */
} column;

/* The user's view order, deliberately not the canonical one. */
static const column demo_cols[] = {
	{ C_FIRST, "First Name", 0, 0 },
	{ C_ID, "Record ID", 0, 0 },
	{ C_EMAIL, "Email", 0, 0 },
	{ C_LIFE, "Lifecycle Stage", 0, 0 },
	{ C_CREATE, "Create Date", 0, 0 },
	{ C_SRC, "Original Source", 0, 0 },
	{ C_CUST, "Became a Customer Date", 0, 0 },
	{ C_LEAD, "Became a Lead Date", 0, 0 },
	{ C_DRILL, "Original Source Drill-Down 1", 0, 0 },
	{ C_SQL, "Became a Sales Qualified Lead Date", 0, 0 },
	{ C_DEALS, "Associated Deal IDs", 0, 0 },
	{ C_OPP, "Became an Opportunity Date", 0, 0 },
	{ C_MQL, "Became a Marketing Qualified Lead Date", 0, 0 },
};

#define F(label, kind, fill) { C_FILL, label, kind, fill }

/* The demo's columns with free text between them: names with commas,
 * addresses and notes over several lines. */
static const column text_cols[] = {
	{ C_FIRST, "First Name", 0, 0 },
	F("Last Name", K_LAST, 80),
	{ C_ID, "Record ID", 0, 0 },
	{ C_EMAIL, "Email", 0, 0 },
	F("Company Name", K_COMPANY, 60),
	F("Job Title", K_JOB, 50),
	{ C_LIFE, "Lifecycle Stage", 0, 0 },
	{ C_CREATE, "Create Date", 0, 0 },
	{ C_SRC, "Original Source", 0, 0 },
	{ C_CUST, "Became a Customer Date", 0, 0 },
	F("Street Address", K_ADDRESS, 40),
	{ C_LEAD, "Became a Lead Date", 0, 0 },
	{ C_DRILL, "Original Source Drill-Down 1", 0, 0 },
	{ C_SQL, "Became a Sales Qualified Lead Date", 0, 0 },
	F("Message", K_TEXT, 30),
	{ C_DEALS, "Associated Deal IDs", 0, 0 },
	{ C_OPP, "Became an Opportunity Date", 0, 0 },
	F("Description of first engagement", K_TEXT, 20),
	{ C_MQL, "Became a Marketing Qualified Lead Date", 0, 0 },
};

#define ENTERED(stage) "Date entered \"" stage " (Lifecycle Stage Pipeline)\""
#define EXITED(stage) "Date exited \"" stage " (Lifecycle Stage Pipeline)\""
/* Association columns come in pairs: names, then (further on) IDs. */
#define ASSOC(what, kind, fill) F("Associated " what, kind, fill)
#define ASSOC_IDS(what, fill) F("Associated " what " IDs", K_IDS, fill)

/* A view of 300 columns in the current labels, as HubSpot exports "all
 * properties": Record ID first, the rest by label, associations last.
 * The dozen columns boardpack reads are scattered among the others. */
static const column wide_cols[] = {
	{ C_ID, "Record ID", 0, 0 },
	{ C_FIRST, "First Name", 0, 0 },
	F("Last Name", K_LAST, 70),
	F("Annual Revenue", K_MONEY, 3),
	F("Average Pageviews", K_DECIMAL, 95),
	F("Broadcast Clicks", K_COUNT, 0),
	F("Buying Role", K_WORD, 2),
	F("Campaign of last booking in meetings tool", K_CAMPAIGN, 1),
	F("Chat Assistant IQL Date", K_STAMP, 1),
	F("Chat Assistant Source", K_WORD, 1),
	F("Chat Assistant:Summary", K_TEXT, 1),
	F("City", K_CITY, 35),
	F("Close Date", K_STAMP, 2),
	F("Company Name", K_COMPANY, 45),
	F("Company size", K_WORD, 10),
	F("Contact owner", K_OWNER, 40),
	F("Contact unworked", K_BOOL, 95),
	F("Country/Region", K_COUNTRY, 30),
	F("Country/Region Code", K_CC, 30),
	{ C_CREATE, "Create Date", 0, 0 },
	F("Created by user ID", K_ID, 5),
	F("Currently in Sequence", K_BOOL, 10),
	{ C_CUST, ENTERED("Customer"), 0, 0 },
	{ C_EVANG, ENTERED("Evangelist"), 0, 0 },
	{ C_LEAD, ENTERED("Lead"), 0, 0 },
	{ C_MQL, ENTERED("Marketing Qualified Lead"), 0, 0 },
	{ C_OPP, ENTERED("Opportunity"), 0, 0 },
	F(ENTERED("Other"), K_STAMP, 1),
	{ C_SQL, ENTERED("Sales Qualified Lead"), 0, 0 },
	F(ENTERED("Subscriber"), K_STAMP, 25),
	F(EXITED("Customer"), K_STAMP, 1),
	F(EXITED("Evangelist"), K_STAMP, 0),
	F(EXITED("Lead"), K_STAMP, 8),
	F(EXITED("Marketing Qualified Lead"), K_STAMP, 4),
	F(EXITED("Opportunity"), K_STAMP, 1),
	F(EXITED("Other"), K_STAMP, 0),
	F(EXITED("Sales Qualified Lead"), K_STAMP, 2),
	F(EXITED("Subscriber"), K_STAMP, 25),
	F("Date of birth", K_DATE, 1),
	F("Date of first engagement", K_STAMP, 5),
	F("Date of last meeting booked in meetings tool", K_STAMP, 2),
	F("Days To Close", K_COUNT, 2),
	F("Degree", K_WORD, 0),
	F("Description of first engagement", K_TEXT, 3),
	F("Domain to which registration email was sent", K_DOMAIN, 1),
	{ C_EMAIL, "Email", 0, 0 },
	F("Email address automated quarantine reason", K_WORD, 0),
	F("Email address quarantine reason", K_WORD, 0),
	F("Email Address Quarantined", K_BOOL, 1),
	F("Email Confirmed", K_BOOL, 5),
	F("Email Domain", K_DOMAIN, 98),
	F("Email hard bounce reason", K_TEXT, 2),
	F("Email type", K_WORD, 5),
	F("Employment Role", K_WORD, 3),
	F("Employment Seniority", K_WORD, 3),
	F("Employment Sub Role", K_WORD, 1),
	F("Enriched Email Bounce Detected (Deprecated)", K_BOOL, 0),
	F("Enrichment opt out", K_BOOL, 0),
	F("Enrichment opt out timestamp", K_STAMP, 0),
	F("Event Revenue", K_MONEY, 90),
	F("Facebook Clicks", K_COUNT, 1),
	F("Facebook click id", K_CLICK_ID, 20),
	F("Favorite Content Topics", K_WORD, 1),
	F("Fax Number", K_PHONE, 0),
	F("Field of study", K_WORD, 0),
	F("First Closed Order ID", K_ID, 0),
	F("First Conversion", K_FORM, 95),
	F("First Conversion Date", K_STAMP, 95),
	F("First Deal Created Date", K_STAMP, 3),
	F("First marketing email click date", K_STAMP, 3),
	F("First marketing email open date", K_STAMP, 22),
	F("First marketing email reply date", K_STAMP, 0),
	F("First marketing email send date", K_STAMP, 60),
	F("First Order Closed Date", K_STAMP, 0),
	F("First Page Seen", K_URL, 90),
	F("First Referring Site", K_URL, 70),
	F("First Touch Converting Campaign", K_CAMPAIGN, 5),
	F("Follower Count", K_COUNT, 0),
	F("Gender", K_WORD, 0),
	F("Google ad click id", K_CLICK_ID, 15),
	F("Graduation date", K_DATE, 0),
	F("Has been enriched", K_BOOL, 5),
	F("HubSpot Score", K_COUNT, 10),
	F("HubSpot Team", K_WORD, 5),
	F("ID of first engagement", K_ID, 5),
	F("Industry", K_WORD, 10),
	F("Inferred Language Codes", K_LANG, 5),
	F("Intent Signals active", K_BOOL, 0),
	F("Invalid email address", K_BOOL, 1),
	F("IP City", K_CITY, 80),
	F("IP Country", K_COUNTRY, 95),
	F("IP Country Code", K_CC, 95),
	F("IP State Code/Region Code", K_CC, 95),
	F("IP State/Region", K_REGION, 95),
	F("IP Timezone", K_TZ, 95),
	F("Job function", K_WORD, 3),
	F("Job Title", K_JOB, 30),
	F("Last Activity Date", K_STAMP, 20),
	F("Last Contacted", K_STAMP, 15),
	F("Last Engagement Date", K_STAMP, 20),
	F("Last marketing email click date", K_STAMP, 3),
	F("Last marketing email name", K_MAIL_NAME, 60),
	F("Last marketing email open date", K_STAMP, 22),
	F("Last marketing email reply date", K_STAMP, 0),
	F("Last marketing email send date", K_STAMP, 60),
	{ C_MODIFIED, "Last Modified Date", 0, 0 },
	F("Last Page Seen", K_URL, 90),
	F("Last Referring Site", K_URL, 80),
	F("Last sequence ended date", K_STAMP, 2),
	F("Last sequence enrolled", K_CAMPAIGN, 2),
	F("Last sequence enrolled date", K_STAMP, 2),
	F("Last Touch Converting Campaign", K_CAMPAIGN, 5),
	F("Latest Disqualified Lead Date", K_STAMP, 1),
	F("Latest Open Lead Date", K_STAMP, 5),
	F("Latest Qualified Lead Date", K_STAMP, 3),
	F("Latest Traffic Source", K_SOURCE, 100),
	F("Latest Traffic Source Date", K_STAMP, 100),
	F("Latest Traffic Source Drill-Down 1", K_KEYWORD, 100),
	F("Latest Traffic Source Drill-Down 2", K_KEYWORD, 15),
	F("Lead response time (HH:mm:ss)", K_DURATION, 2),
	F("Lead Status", K_WORD, 10),
	F("Legal basis for processing contact's data", K_WORD, 20),
	{ C_LIFE, "Lifecycle Stage", 0, 0 },
	F("LinkedIn click id", K_CLICK_ID, 3),
	F("LinkedIn Bio", K_TEXT, 0),
	F("LinkedIn Connections", K_COUNT, 0),
	F("LinkedIn URL", K_URL, 3),
	F("Marital Status", K_WORD, 0),
	F("Marketing contact status", K_WORD, 90),
	F("Marketing email confirmation status", K_WORD, 5),
	F("Marketing emails bounced", K_COUNT, 60),
	F("Marketing emails clicked", K_COUNT, 60),
	F("Marketing emails delivered", K_COUNT, 60),
	F("Marketing emails opened", K_COUNT, 60),
	F("Marketing emails replied", K_COUNT, 60),
	F("Medium of last booking in meetings tool", K_WORD, 1),
	F("Member email", K_EMAIL, 0),
	F("Member has accessed private content", K_BOOL, 95),
	F("Membership last private content access date", K_STAMP, 0),
	F("Membership Notes", K_TEXT, 0),
	F("Merged Contact IDs", K_IDS, 2),
	F("Message", K_TEXT, 5),
	F("Military status", K_WORD, 0),
	F("Mobile Phone Number", K_PHONE, 10),
	F("Next Activity Date", K_STAMP, 3),
	{ C_N_DEALS, "Number of Associated Deals", 0, 0 },
	F("Number of Employees", K_COUNT, 5),
	F("Number of event completions", K_COUNT, 95),
	F("Number of Form Submissions", K_DECIMAL, 100),
	F("Number of Pageviews", K_DECIMAL, 100),
	F("Number of Sales Activities", K_COUNT, 100),
	F("Number of sequences enrolled", K_COUNT, 3),
	F("Number of Sessions", K_DECIMAL, 100),
	F("Number of times contacted", K_COUNT, 15),
	F("Number of Unique Forms Submitted", K_COUNT, 100),
	F("Opted out of email: Marketing Information", K_BOOL, 3),
	F("Opted out of email: One to One", K_BOOL, 2),
	{ C_SRC, "Original Traffic Source", 0, 0 },
	{ C_DRILL, "Original Traffic Source Drill-Down 1", 0, 0 },
	{ C_DRILL2, "Original Traffic Source Drill-Down 2", 0, 0 },
	F("Owner assigned date", K_STAMP, 40),
	F("Persona", K_WORD, 3),
	F("Phone Number", K_PHONE, 95),
	F("Postal Code", K_POSTAL, 20),
	F("Preferred channels", K_WORD, 1),
	F("Preferred language", K_LANG, 5),
	F("Prospecting Agent Last Enrolled", K_STAMP, 0),
	F("Prospecting Agent Total Enrolled Count", K_COUNT, 100),
	F("Quarantined Emails", K_WORD, 0),
	F("Recent Closed Order Date", K_STAMP, 0),
	F("Recent Conversion", K_FORM, 95),
	F("Recent Conversion Date", K_STAMP, 95),
	F("Recent Deal Amount", K_MONEY, 3),
	F("Recent Deal Close Date", K_STAMP, 3),
	F("Recent Sales Email Clicked Date", K_STAMP, 2),
	F("Recent Sales Email Opened Date", K_STAMP, 5),
	F("Recent Sales Email Replied Date", K_STAMP, 1),
	F("Record source", K_RECORD_SOURCE, 100),
	F("Record source detail 1", K_KEYWORD, 95),
	F("Record source detail 2", K_WORD, 5),
	F("Record source detail 3", K_WORD, 0),
	F("Registered At", K_STAMP, 0),
	F("Registered member", K_BOOL, 100),
	F("Registration Method", K_WORD, 0),
	F("Relationship Status", K_WORD, 0),
	F("Salutation", K_WORD, 2),
	F("School", K_WORD, 0),
	F("Sends Since Last Engagement", K_COUNT, 60),
	F("Seniority", K_WORD, 3),
	F("Source of last booking in meetings tool", K_WORD, 1),
	F("Start date", K_DATE, 0),
	F("State/Region", K_REGION, 20),
	F("State/Region Code", K_CC, 20),
	F("Status", K_WORD, 2),
	F("Street Address", K_ADDRESS, 15),
	F("Time enrolled in registration follow up emails", K_STAMP, 0),
	F("Time First Seen", K_STAMP, 100),
	F("Time Last Seen", K_STAMP, 95),
	F("Time of First Session", K_STAMP, 95),
	F("Time of Last Session", K_STAMP, 95),
	F("Time registration email was sent", K_STAMP, 0),
	F("Time Zone", K_TZ, 95),
	F("Total Revenue", K_MONEY, 3),
	F("Twitter Bio", K_TEXT, 0),
	F("Twitter Clicks", K_COUNT, 0),
	F("Twitter Username", K_WORD, 0),
	F("Type of first engagement", K_WORD, 5),
	F("Unsubscribed from all email", K_BOOL, 3),
	F("Updated by user ID", K_ID, 10),
	F("Website URL", K_URL, 10),
	F("WhatsApp Phone Number", K_PHONE, 1),
	F("Work email", K_EMAIL, 2),
	ASSOC("Data Privacy Request", K_TEXT, 0),
	ASSOC("Customer success alert", K_TEXT, 0),
	ASSOC("Postal Mail", K_TEXT, 0),
	ASSOC("Form submission", K_FORM, 95),
	ASSOC("Social profile", K_URL, 1),
	ASSOC("Email", K_MAIL_NAME, 5),
	ASSOC("Meeting", K_TEXT, 3),
	ASSOC("Partner Client", K_COMPANY, 0),
	ASSOC("SMS message", K_TEXT, 0),
	ASSOC("Company (Primary)", K_COMPANY, 25),
	ASSOC("Payment Link", K_TEXT, 0),
	ASSOC("Data Privacy Consent", K_TEXT, 0),
	ASSOC("Payment", K_TEXT, 0),
	ASSOC("Topic mention", K_TEXT, 0),
	ASSOC("Campaign", K_CAMPAIGN, 10),
	ASSOC("File", K_TEXT, 0),
	F("Links to Sales Task that is based on the Contact (hidden)", K_TEXT, 0),
	ASSOC("Communication", K_TEXT, 1),
	{ C_DEAL_NAMES, "Associated Deal", 0, 0 },
	ASSOC("Contact create attribution", K_TEXT, 0),
	F("Lead with Primary Contact", K_TEXT, 0),
	ASSOC("Invoice", K_TEXT, 0),
	ASSOC("Abandoned Cart", K_TEXT, 0),
	ASSOC("Company", K_COMPANY, 25),
	ASSOC("Conversation session", K_TEXT, 1),
	ASSOC("Survey response", K_TEXT, 0),
	ASSOC("Sequence enrollment", K_TEXT, 2),
	ASSOC("Subscription", K_TEXT, 0),
	ASSOC("Lead", K_TEXT, 0),
	ASSOC("Conversation", K_TEXT, 1),
	ASSOC("Note", K_TEXT, 5),
	ASSOC("Cart", K_TEXT, 0),
	F("Billing Contact", K_TEXT, 0),
	F("Contact Signer", K_TEXT, 0),
	ASSOC("Revenue attribution", K_TEXT, 0),
	ASSOC("Order", K_TEXT, 0),
	F("Billing Contact", K_TEXT, 0),   /* twice, as in real exports */
	ASSOC("Ticket", K_TEXT, 2),
	ASSOC("Deal create attribution", K_TEXT, 0),
	ASSOC("Call", K_TEXT, 3),
	ASSOC("Sales Activity", K_TEXT, 0),
	ASSOC("Task", K_TEXT, 3),
	ASSOC("Contact", K_TEXT, 0),
	ASSOC("Quote", K_TEXT, 0),
	ASSOC_IDS("Data Privacy Request", 0),
	ASSOC_IDS("Customer success alert", 0),
	ASSOC_IDS("Postal Mail", 0),
	ASSOC_IDS("Form submission", 95),
	ASSOC_IDS("Social profile", 1),
	ASSOC_IDS("Email", 5),
	ASSOC_IDS("Meeting", 3),
	ASSOC_IDS("Partner Client", 0),
	ASSOC_IDS("SMS message", 0),
	ASSOC_IDS("Company (Primary)", 25),
	ASSOC_IDS("Payment Link", 0),
	ASSOC_IDS("Data Privacy Consent", 0),
	ASSOC_IDS("Payment", 0),
	ASSOC_IDS("Topic mention", 0),
	ASSOC_IDS("Campaign", 10),
	ASSOC_IDS("File", 0),
	F("Links to Sales Task that is based on the Contact (hidden) IDs", K_IDS, 0),
	ASSOC_IDS("Communication", 1),
	{ C_DEALS, "Associated Deal IDs", 0, 0 },
	ASSOC_IDS("Contact create attribution", 0),
	F("Lead with Primary Contact IDs", K_IDS, 0),
	ASSOC_IDS("Invoice", 0),
	ASSOC_IDS("Abandoned Cart", 0),
	ASSOC_IDS("Company", 25),
	ASSOC_IDS("Conversation session", 1),
	ASSOC_IDS("Survey response", 0),
	ASSOC_IDS("Sequence enrollment", 2),
	ASSOC_IDS("Subscription", 0),
	ASSOC_IDS("Lead", 0),
	ASSOC_IDS("Conversation", 1),
	ASSOC_IDS("Note", 5),
	ASSOC_IDS("Cart", 0),
	F("Billing Contact IDs", K_IDS, 0),
	F("Contact Signer IDs", K_IDS, 0),
	ASSOC_IDS("Revenue attribution", 0),
	ASSOC_IDS("Order", 0),
	F("Billing Contact IDs", K_IDS, 0),
	ASSOC_IDS("Ticket", 2),
	ASSOC_IDS("Deal create attribution", 0),
	ASSOC_IDS("Call", 3),
	ASSOC_IDS("Sales Activity", 0),
	ASSOC_IDS("Task", 3),
	ASSOC_IDS("Contact", 0),
	ASSOC_IDS("Quote", 0),
};
#undef F

/* contacts.csv layouts: the demo's, and four more for the benchmark. */
enum shape { SH_DEMO, SH_DENSE, SH_API, SH_TEXT, SH_WIDE, N_SHAPES };

static const struct {
	const char *name;
	const column *cols;
	size_t n_cols;
	int quote_all;
} shapes[N_SHAPES] = {
#define SHAPE(name, cols, all) { name, cols, sizeof cols / sizeof cols[0], all }
	SHAPE("demo", demo_cols, 1),
	SHAPE("dense", demo_cols, 1),
	SHAPE("api", demo_cols, 1),
	SHAPE("text", text_cols, 0),
	SHAPE("wide", wide_cols, 1),
#undef SHAPE
};

/* Rows at these positions carry the planted data-quality cases. */
typedef struct specials {
	uint64_t dup[3];            /* repeat the previous row's Record ID */
	uint64_t before_create;     /* lead date before the create date */
	uint64_t hostile[3];        /* <script> campaign name */
	uint64_t unknown[5];        /* a source value no rule matches */
} specials;

typedef struct gen {
	opts o;
	rng r;
	rng fill;                   /* what only a shape adds: its own stream */
	out contacts, deals;
	int start_y, start_m;       /* first contact month */
	int64_t end_minute;         /* last minute of the end month */
	uint64_t *month_count;      /* contacts per contact month */
	specials sp;
	uint64_t idx, prev_id, next_deal_id;
	uint64_t n_deals, n_won;
} gen;

/* 1 + the position of idx in list, or 0. */
static size_t is_at(const uint64_t *list, size_t n, uint64_t idx)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == idx)
			return i + 1;
	return 0;
}

static void plan_specials(gen *g)
{
	uint64_t n = g->o.contacts;
	specials *s = &g->sp;
	memset(s, 0xff, sizeof *s);  /* UINT64_MAX: nowhere */
	if (n < 64)
		return;
	for (int i = 0; i < 3; i++) {
		s->dup[i] = n * (uint64_t)(i + 1) / 4 + 1;
		s->hostile[i] = n * (uint64_t)(2 * i + 1) / 7 + 5;
	}
	for (int i = 0; i < 5; i++)
		s->unknown[i] = n * (uint64_t)(i + 1) / 6 + 3;
	s->before_create = n / 3 + 2;
}

/* Seasonal B2B volume (slow summer and December) on a growth trend. */
static void plan_months(gen *g)
{
	static const double season[12] = {
		0.85, 0.90, 1.10, 1.05, 1.00, 0.95, 0.85, 0.80, 1.05, 1.15, 1.10, 0.75
	};
	int n = g->o.months;
	double total = 0, *w = malloc((size_t)n * sizeof *w);
	uint64_t given = 0;
	if (!w)
		abort();
	for (int i = 0; i < n; i++) {
		int y, m;
		month_add(g->start_y, g->start_m, i, &y, &m);
		w[i] = season[m - 1] * (1.0 + 0.03 * i);
		total += w[i];
	}
	for (int i = 0; i < n; i++) {
		g->month_count[i] = (uint64_t)((double)g->o.contacts * w[i] / total);
		given += g->month_count[i];
	}
	for (int i = n - 1; given < g->o.contacts; i = (i + n - 1) % n) {
		g->month_count[i]++;
		given++;
	}
	free(w);
}

/* A weekday office-hours curve, with some evening sign-ups. */
static int pick_minute_of_day(rng *r)
{
	static const unsigned hour_w[24] = {
		1, 1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 13, 9, 12, 14, 13, 11, 9, 6, 5,
		5, 4, 3, 2
	};
	unsigned total = 0, x;
	for (int h = 0; h < 24; h++)
		total += hour_w[h];
	x = (unsigned)rng_range(r, 0, total - 1);
	for (int h = 0; h < 24; h++) {
		if (x < hour_w[h])
			return h * 60 + (int)rng_range(r, 0, 59);
		x -= hour_w[h];
	}
	return 12 * 60;
}

static int64_t after_days(rng *r, int64_t t, int lo, int hi)
{
	return t + rng_range(r, (int64_t)lo * MIN_PER_DAY, (int64_t)hi * MIN_PER_DAY);
}

/* Draws the whole path, then forgets every stage after the end: a recent
 * cohort has simply not got that far yet. */
static void make_funnel(gen *g, contact *c)
{
	rng *r = &g->r;
	int64_t raw[N_STAGES];
	for (int s = 0; s < N_STAGES; s++)
		raw[s] = NONE;
	if (rng_chance(r, P_LEAD_AT_CREATION))
		raw[ST_LEAD] = c->created;
	else if (rng_chance(r, P_LEAD_LATER))
		raw[ST_LEAD] = after_days(r, c->created, 1, 60);
	if (raw[ST_LEAD] != NONE && rng_chance(r, P_MQL))
		raw[ST_MQL] = after_days(r, raw[ST_LEAD], 0, 30);
	if (raw[ST_MQL] != NONE && rng_chance(r, P_SQL))
		raw[ST_SQL] = after_days(r, raw[ST_MQL], 3, 20);
	if (raw[ST_SQL] != NONE && rng_chance(r, P_OPP))
		raw[ST_OPP] = after_days(r, raw[ST_SQL], 2, 25);
	if (raw[ST_OPP] != NONE && rng_chance(r, P_CUSTOMER))
		raw[ST_CUST] = after_days(r, raw[ST_OPP], 10, 90);
	c->future_customer = raw[ST_CUST] > g->end_minute ? raw[ST_CUST] : NONE;
	for (int s = 0; s < N_STAGES; s++)
		c->stage[s] = raw[s] <= g->end_minute ? raw[s] : NONE;
	/* Sales moves some contacts straight on: stages skipped. */
	if (c->stage[ST_CUST] != NONE && rng_chance(r, 0.05))
		c->stage[ST_MQL] = NONE;
	if (c->stage[ST_OPP] != NONE && rng_chance(r, 0.03))
		c->stage[ST_SQL] = NONE;
}

static void make_source(gen *g, contact *c)
{
	rng *r = &g->r;
	unsigned x = (unsigned)rng_range(r, 0, 99);
	size_t i = 0;
	while (i + 1 < N_SOURCES && x >= sources[i].weight)
		x -= sources[i++].weight;
	c->src = i;
	c->source_value = sources[i].label;
	if (rng_chance(r, 0.05))
		c->source_value = sources[i].api;
	else if (i == 3 && rng_chance(r, 0.2))
		c->source_value = "Social media";   /* the label before the rename */
	c->drill = sources[i].drill[rng_pick(r, sources[i].n_drill)];
	size_t u = is_at(g->sp.unknown, 5, g->idx);
	if (u)
		c->source_value = unknown_sources[u % 2];
	if (is_at(g->sp.hostile, 3, g->idx))
		c->drill = hostile;
}

/* Annual contract value, skewed to the small end, in 100,000 KRW steps. */
static int64_t deal_amount(rng *r)
{
	double v = 6000000.0 * pow(10.0, rng_unit(r) * rng_unit(r) * 1.0);
	return (int64_t)(v / 100000.0 + 0.5) * 100000;
}

typedef struct deal {
	const char *stage;
	int64_t created, closed, modified;
	int64_t amount;             /* -1: empty */
	const char *lost_reason;
} deal;

static void write_deal(gen *g, const deal *d, uint64_t id, uint64_t contact_id)
{
	rng *r = &g->r;
	out *o = &g->deals;
	char name[256];
	snprintf(name, sizeof name, "%s - %s",
	         companies[rng_pick(r, sizeof companies / sizeof companies[0])],
	         products[rng_pick(r, sizeof products / sizeof products[0])]);
	out_u64(o, id);
	out_c(o, ',');
	out_field(o, name);
	out_c(o, ',');
	out_field(o, d->stage);
	out_c(o, ',');
	out_datetime(o, d->closed);
	out_c(o, ',');
	out_s(o, owners[rng_pick(r, sizeof owners / sizeof owners[0])]);
	out_c(o, ',');
	if (d->amount >= 0)
		out_u64(o, (uint64_t)d->amount);
	out_c(o, ',');
	out_field(o, d->lost_reason);
	out_c(o, ',');
	out_datetime(o, d->modified);
	out_c(o, ',');
	out_datetime(o, d->created);
	out_c(o, ',');
	out_u64(o, contact_id);
	out_c(o, '\n');
	g->n_deals++;
}

static uint64_t new_deal_id(gen *g)
{
	g->next_deal_id += (uint64_t)rng_range(&g->r, 1, 4);
	return g->next_deal_id;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static void add_deal(gen *g, contact *c, const deal *d)
{
	uint64_t id = new_deal_id(g);
	write_deal(g, d, id, c->id);
	if (c->n_deals < 2)
		c->deals[c->n_deals++] = id;
}

static void make_won_deal(gen *g, contact *c)
{
	rng *r = &g->r;
	deal d = { "Closed Won", c->stage[ST_OPP], c->stage[ST_CUST], 0,
	           deal_amount(r), "" };
	if (d.created == NONE)
		d.created = c->created;
	d.modified = min64(after_days(r, d.closed, 0, 5), g->end_minute);
	g->n_won++;
	/* A couple of won deals nobody priced: the report must count them. */
	if (g->n_won == 4 || g->n_won == 11)
		d.amount = -1;
	add_deal(g, c, &d);
	if (rng_chance(r, 0.10)) {
		deal up = { open_stages[rng_pick(r, 5)],
		            after_days(r, d.closed, 30, 120), 0, 0,
		            deal_amount(r) / 4, "" };
		if (up.created <= g->end_minute) {
			up.closed = after_days(r, up.created, 20, 60);
			up.modified = min64(after_days(r, up.created, 0, 10), g->end_minute);
			add_deal(g, c, &up);
		}
	}
}

/* Deals of an opportunity that did not (yet) become a customer: open when
 * its outcome lies after the end, Closed Lost otherwise; some have none. */
static void make_other_deal(gen *g, contact *c)
{
	rng *r = &g->r;
	int64_t opp = c->stage[ST_OPP];
	deal d = { NULL, opp, 0, 0, deal_amount(r), "" };
	int has_deal = rng_chance(r, 0.8);
	int64_t lost_at = after_days(r, opp, 10, 90);
	if (c->future_customer != NONE) {
		d.stage = open_stages[rng_pick(r, 5)];
		d.closed = c->future_customer;
	} else if (lost_at <= g->end_minute) {
		d.stage = "Closed Lost";
		d.closed = lost_at;
		d.lost_reason = lost_reasons[rng_pick(r, 5)];
	} else {
		d.stage = open_stages[rng_pick(r, 5)];
		d.closed = lost_at;
	}
	if (d.lost_reason[0])
		d.modified = min64(after_days(r, d.closed, 0, 3), g->end_minute);
	else
		d.modified = rng_range(r, opp, g->end_minute);
	if (has_deal || c->future_customer != NONE)
		add_deal(g, c, &d);
}

static void make_contact(gen *g, contact *c, int64_t created)
{
	rng *r = &g->r;
	memset(c, 0, sizeof *c);
	/* Straddles 10^11, so IDs of 11 and 12 digits both occur. */
	c->id = (uint64_t)100000000000ull - 2 * g->o.contacts + 4 * g->idx
	        + (uint64_t)rng_range(r, 0, 3);
	c->created = created;
	c->name = rng_pick(r, sizeof first_names / sizeof first_names[0]);
	make_source(g, c);
	make_funnel(g, c);
	if (is_at(g->sp.dup, 3, g->idx)) {
		/* Same Record ID as the row before, as after a CRM merge. */
		c->id = g->prev_id;
		for (int s = ST_MQL; s < N_STAGES; s++)
			c->stage[s] = NONE;
		return;
	}
	if (g->idx == g->sp.before_create)
		c->stage[ST_LEAD] = c->created - 2 * MIN_PER_DAY - 17;
	if (c->stage[ST_OPP] == NONE)
		return;
	if (c->stage[ST_CUST] != NONE)
		make_won_deal(g, c);
	else
		make_other_deal(g, c);
}

static const char *lifecycle(const contact *c)
{
	for (int s = N_STAGES - 1; s >= 0; s--)
		if (c->stage[s] != NONE)
			return stage_labels[s];
	return "Subscriber";
}

/* ---- contact cells, as each shape writes them -------------------------- */

/* One cell's text before it is quoted. */
typedef struct cell {
	char s[1024];
	size_t n;
} cell;

static void cell_mem(cell *b, const char *s, size_t n)
{
	if (n > sizeof b->s - 1 - b->n)
		n = sizeof b->s - 1 - b->n;
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void cell_s(cell *b, const char *s)
{
	cell_mem(b, s, strlen(s));
}

static void cell_fmt(cell *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void cell_fmt(cell *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->n += (size_t)n < sizeof b->s - b->n ? (size_t)n : sizeof b->s - 1 - b->n;
}

static void cell_u64(cell *b, uint64_t v)
{
	cell_fmt(b, "%" PRIu64, v);
}

/* The simulated account keeps HubSpot in Asia/Seoul: UTC+9, no DST. */
#define ACCOUNT_UTC_OFFSET_MIN (9 * 60)

/* Milliseconds within a stamp's minute: the same for the same minute of
 * one contact, so a stage reached at creation keeps the create time. */
static int64_t stamp_ms(const gen *g, int64_t minute)
{
	rng h = { g->o.seed ^ (g->idx * 0x9E3779B97F4A7C15ull) ^ (uint64_t)minute };
	return (int64_t)(rng_next(&h) % 60000);
}

/* HubSpot's export form, "YYYY-MM-DD HH:MM"; with seconds (dense); or the
 * API's UTC ISO 8601 with milliseconds (api). */
static void cell_stamp(const gen *g, cell *b, int64_t minute)
{
	char s[16];
	int64_t ms = 0, day;
	int mod;
	if (g->o.shape == SH_DENSE || g->o.shape == SH_API)
		ms = stamp_ms(g, minute);
	if (g->o.shape == SH_API)
		minute -= ACCOUNT_UTC_OFFSET_MIN;
	day = floor_div(minute, MIN_PER_DAY);
	mod = (int)(minute - day * MIN_PER_DAY);
	fmt_date(s, day);
	cell_mem(b, s, 10);
	cell_fmt(b, "%c%02d:%02d", g->o.shape == SH_API ? 'T' : ' ', mod / 60, mod % 60);
	if (g->o.shape == SH_DENSE)
		cell_fmt(b, ":%02d", (int)(ms / 1000));
	else if (g->o.shape == SH_API)
		cell_fmt(b, ":%02d.%03dZ", (int)(ms / 1000), (int)(ms % 1000));
}

/* The stage dates as the shape writes them. */
typedef struct row {
	int64_t stage[N_STAGES];
	int64_t evangelist;
} row;

/* dense: every stage has a date, the missing ones made up after the one
 * before and no later than the end.  wide: some customers went on to
 * evangelist, and a few were set to evangelist directly (no customer
 * date), which counts as customer all the same. */
static void make_row(gen *g, const contact *c, row *w)
{
	rng *r = &g->fill;
	int64_t prev = c->created;
	memcpy(w->stage, c->stage, sizeof w->stage);
	w->evangelist = NONE;
	if (g->o.shape == SH_DENSE) {
		for (int s = 0; s < N_STAGES; s++) {
			if (w->stage[s] == NONE) {
				int64_t t = after_days(r, prev, 0, 30);
				w->stage[s] = t <= g->end_minute ? t : rng_range(r, prev, g->end_minute);
			}
			if (w->stage[s] > prev)
				prev = w->stage[s];
		}
	} else if (g->o.shape == SH_WIDE && w->stage[ST_CUST] != NONE) {
		int64_t t = after_days(r, w->stage[ST_CUST], 1, 200);
		if (rng_chance(r, 0.02)) {
			w->evangelist = w->stage[ST_CUST];
			w->stage[ST_CUST] = NONE;
		} else if (rng_chance(r, 0.10) && t <= g->end_minute) {
			w->evangelist = t;
		}
	}
}

static const char *const last_names[] = {
	"Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang",
	"Lim", "Han", "Smith", "O'Neil", "García", "Kim, Jr."
};
static const char *const words[] = {
	"Decision maker", "Marketing contact", "Influencer", "Open",
	"In progress", "Attempted to contact", "Connected", "Unqualified",
	"11-50", "51-200", "201-500", "Computer Software", "Marketing",
	"Manager", "Director", "Legitimate interest – prospect/lead",
	"Freely given consent from contact", "Non-marketing contact"
};
static const char *const jobs[] = {
	"Head of Growth, APAC", "VP, Marketing", "Marketing Manager", "CFO",
	"Founder & CEO", "Revenue Operations Lead", "마케팅 팀장",
	"Director, Demand Generation"
};
static const char *const urls[] = {
	"https://www.acme.example/", "https://www.acme.example/pricing",
	"https://www.acme.example/blog/board-metrics-that-matter",
	"https://www.acme.example/demo?utm_source=google&utm_medium=cpc&utm_campaign=brand_2026",
	"https://www.google.com/", "https://search.naver.com/search.naver?query=acme",
	"https://www.linkedin.com/", "https://l.facebook.com/"
};
static const char *const cities[] = {
	"Seoul", "Busan", "Incheon", "Seongnam", "Daejeon", "Suwon",
	"Singapore", "Tokyo", "San Francisco"
};
static const char *const regions[] = {
	"Seoul", "Gyeonggi-do", "Busan", "Incheon", "California", "Tokyo"
};
static const char *const countries[] = {
	"South Korea", "United States", "Japan", "Singapore", "Germany"
};
static const char *const country_codes[] = { "kr", "us", "jp", "sg", "de" };
static const char *const time_zones[] = {
	"Asia/Seoul", "Asia/Seoul", "Asia/Seoul", "America/Los_Angeles", "Asia/Tokyo"
};
static const char *const languages[] = { "ko", "ko-kr", "en-us", "ja" };
static const char *const campaigns[] = {
	"Webinar: \"Scaling Sales\", Q3", "브랜드 검색_2026", "Nurture - Trial users",
	"Q4 Board Pack Launch", "ABM - Enterprise KR"
};
static const char *const texts[] = {
	"Asked about annual pricing, SSO and onboarding.",
	"Call back next week.\nPrefers email, not phone.",
	"Met at Seoul SaaS Expo, 2026; wants a demo for the \"board pack\".",
	"데모 요청, 다음 주 화요일 오후",
	"Forwarded to sales."
};
static const char *const addresses[] = {
	"152 Teheran-ro, Gangnam-gu", "5F, 27 Pangyoyeok-ro\nBundang-gu, Seongnam-si",
	"1 Market St, Suite 300\nSan Francisco, CA", "서울특별시 중구 세종대로 110"
};
static const char *const keywords[] = {
	"google", "naver", "acme board report", "IMPORT", "CRM_UI", "Integration",
	"www.acme.example/pricing", "board metrics template"
};
static const char *const forms[] = {
	"Contact us: Pricing page", "Demo request - Website", "Newsletter sign-up",
	"Webinar registration: Scaling Sales, Q3"
};
static const char *const mail_names[] = {
	"Newsletter 2026-10: Board metrics", "Trial nurture #3", "웨비나 초대 메일",
	"Product update, October"
};
static const char *const record_sources[] = {
	"Forms", "CRM UI", "Import", "Integration", "Sales extension", "Meetings"
};

#define PICK(r, list) list[rng_pick(r, sizeof list / sizeof list[0])]

static int64_t later_stamp(gen *g, const contact *c, int max_days)
{
	int64_t t = after_days(&g->fill, c->created, 0, max_days);
	return t <= g->end_minute ? t : g->end_minute;
}

static void cell_filler(gen *g, const contact *c, cell *b, enum kind k)
{
	rng *r = &g->fill;
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	switch (k) {
	case K_WORD: cell_s(b, PICK(r, words)); break;
	case K_LAST: cell_s(b, PICK(r, last_names)); break;
	case K_COMPANY: cell_s(b, PICK(r, companies)); break;
	case K_JOB: cell_s(b, PICK(r, jobs)); break;
	case K_DOMAIN: cell_s(b, PICK(r, domains)); break;
	case K_EMAIL:
		cell_fmt(b, "%s.%s@%s", first_names[c->name].latin, PICK(r, country_codes),
		         PICK(r, domains));
		break;
	case K_URL: cell_s(b, PICK(r, urls)); break;
	case K_STAMP: cell_stamp(g, b, later_stamp(g, c, 90)); break;
	case K_DATE: {
		char s[10];
		fmt_date(s, floor_div(c->created, MIN_PER_DAY) - rng_range(r, 0, 20000));
		cell_mem(b, s, 10);
		break;
	}
	case K_DECIMAL: cell_fmt(b, "%d.0", (int)rng_range(r, 1, 25)); break;
	case K_COUNT: cell_fmt(b, "%d", (int)rng_range(r, 0, 40)); break;
	case K_BOOL: cell_s(b, rng_chance(r, 0.8) ? "false" : "true"); break;
	case K_CITY: cell_s(b, PICK(r, cities)); break;
	case K_REGION: cell_s(b, PICK(r, regions)); break;
	case K_COUNTRY: cell_s(b, PICK(r, countries)); break;
	case K_CC: cell_s(b, PICK(r, country_codes)); break;
	case K_PHONE:
		cell_fmt(b, "+82 10-%04d-%04d", (int)rng_range(r, 0, 9999),
		         (int)rng_range(r, 0, 9999));
		break;
	case K_POSTAL: cell_fmt(b, "%05d", (int)rng_range(r, 1000, 63999)); break;
	case K_TZ: cell_s(b, PICK(r, time_zones)); break;
	case K_LANG: cell_s(b, PICK(r, languages)); break;
	case K_CAMPAIGN: cell_s(b, PICK(r, campaigns)); break;
	case K_OWNER: cell_s(b, PICK(r, owners)); break;
	case K_ID: cell_u64(b, (uint64_t)rng_range(r, 100000000, 999999999999)); break;
	case K_IDS:
		cell_u64(b, (uint64_t)rng_range(r, 10000000000, 999999999999));
		if (rng_chance(r, 0.2)) {
			cell_s(b, ";");
			cell_u64(b, (uint64_t)rng_range(r, 10000000000, 999999999999));
		}
		break;
	case K_MONEY: cell_fmt(b, "%d", (int)rng_range(r, 0, 120) * 100000); break;
	case K_TEXT: cell_s(b, PICK(r, texts)); break;
	case K_ADDRESS: cell_s(b, PICK(r, addresses)); break;
	case K_SOURCE: cell_s(b, sources[rng_pick(r, N_SOURCES)].label); break;
	case K_KEYWORD: cell_s(b, PICK(r, keywords)); break;
	case K_FORM: cell_s(b, PICK(r, forms)); break;
	case K_MAIL_NAME: cell_s(b, PICK(r, mail_names)); break;
	case K_CLICK_ID:
		for (int i = 0, n = (int)rng_range(r, 40, 90); i < n; i++)
			cell_mem(b, &b64[rng_pick(r, 64)], 1);
		break;
	case K_DURATION:
		cell_fmt(b, "%02d:%02d:%02d", (int)rng_range(r, 0, 72),
		         (int)rng_range(r, 0, 59), (int)rng_range(r, 0, 59));
		break;
	case K_RECORD_SOURCE: cell_s(b, PICK(r, record_sources)); break;
	}
}

static void cell_opt_stamp(const gen *g, cell *b, int64_t minute)
{
	if (minute != NONE)
		cell_stamp(g, b, minute);
}

static void make_cell(gen *g, const contact *c, const row *w, const column *col,
                      cell *b)
{
	b->n = 0;
	b->s[0] = '\0';
	switch (col->col) {
	case C_ID: cell_u64(b, c->id); break;
	case C_FIRST: cell_s(b, first_names[c->name].hangul); break;
	case C_EMAIL:
		cell_s(b, first_names[c->name].latin);
		cell_u64(b, g->idx);
		cell_s(b, "@");
		cell_s(b, domains[(g->idx * 7 + c->name) % (sizeof domains / sizeof domains[0])]);
		break;
	case C_CREATE: cell_stamp(g, b, c->created); break;
	case C_LIFE: cell_s(b, lifecycle(c)); break;
	case C_LEAD: cell_opt_stamp(g, b, w->stage[ST_LEAD]); break;
	case C_MQL: cell_opt_stamp(g, b, w->stage[ST_MQL]); break;
	case C_SQL: cell_opt_stamp(g, b, w->stage[ST_SQL]); break;
	case C_OPP: cell_opt_stamp(g, b, w->stage[ST_OPP]); break;
	case C_CUST: cell_opt_stamp(g, b, w->stage[ST_CUST]); break;
	case C_EVANG: cell_opt_stamp(g, b, w->evangelist); break;
	case C_SRC: cell_s(b, c->source_value); break;
	case C_DRILL: cell_s(b, c->drill); break;
	case C_DRILL2:
		if (rng_chance(&g->fill, 0.10))
			cell_s(b, PICK(&g->fill, keywords));
		break;
	case C_DEALS:
		for (int i = 0; i < c->n_deals; i++) {
			if (i)
				cell_s(b, ";");
			cell_u64(b, c->deals[i]);
		}
		break;
	case C_DEAL_NAMES:
		for (int i = 0; i < c->n_deals; i++)
			cell_fmt(b, "%s%s - %s", i ? ";" : "", PICK(&g->fill, companies),
			         PICK(&g->fill, products));
		break;
	case C_N_DEALS:
		if (c->n_deals)
			cell_fmt(b, "%d", c->n_deals);
		break;
	case C_MODIFIED: cell_stamp(g, b, later_stamp(g, c, 120)); break;
	case C_FILL:
		if (col->fill && rng_chance(&g->fill, col->fill / 100.0))
			cell_filler(g, c, b, (enum kind)col->kind);
		break;
	}
}

static void write_contact(gen *g, const contact *c)
{
	const column *cols = shapes[g->o.shape].cols;
	size_t n = shapes[g->o.shape].n_cols;
	cell b;
	row w;
	make_row(g, c, &w);
	for (size_t i = 0; i < n; i++) {
		if (i)
			out_c(&g->contacts, ',');
		make_cell(g, c, &w, &cols[i], &b);
		if (shapes[g->o.shape].quote_all)
			out_quoted(&g->contacts, b.s);
		else
			out_field(&g->contacts, b.s);
	}
	out_c(&g->contacts, '\n');
}

/* Two won deals whose contacts are not in the export (deleted, or owned
 * by another team): they belong to channel `other`. */
static void write_orphan_deals(gen *g)
{
	int64_t end_day = floor_div(g->end_minute, MIN_PER_DAY);
	for (int i = 0; i < 2; i++) {
		deal d = { "Closed Won", 0, 0, 0, deal_amount(&g->r), "" };
		d.closed = (end_day - 3 - 9 * i) * MIN_PER_DAY + 15 * 60 + 10 * i;
		d.created = d.closed - 40 * MIN_PER_DAY;
		d.modified = d.closed + 30;
		g->n_won++;
		write_deal(g, &d, new_deal_id(g), 123456789012ull + (uint64_t)i * 1111);
	}
}

static void write_contact_headers(gen *g)
{
	const column *cols = shapes[g->o.shape].cols;
	out_s(&g->contacts, "\xEF\xBB\xBF");
	for (size_t i = 0; i < shapes[g->o.shape].n_cols; i++) {
		if (i)
			out_c(&g->contacts, ',');
		if (shapes[g->o.shape].quote_all)
			out_quoted(&g->contacts, cols[i].label);
		else
			out_field(&g->contacts, cols[i].label);
	}
	out_c(&g->contacts, '\n');
	out_s(&g->deals, "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,"
	      "Closed Lost Reason,Last Modified Date,Create Date,Associated Contact IDs\n");
}

static void gen_crm(gen *g)
{
	contact c;
	write_contact_headers(g);
	g->idx = 0;
	g->prev_id = 0;
	g->next_deal_id = 30112233000ull;
	for (int mi = 0; mi < g->o.months; mi++) {
		int y, m;
		month_add(g->start_y, g->start_m, mi, &y, &m);
		int64_t day0 = days_from_civil(y, m, 1);
		uint64_t count = g->month_count[mi];
		int ndays = days_in_month(y, m);
		for (uint64_t k = 0; k < count; k++, g->idx++) {
			/* Spread evenly so record IDs rise with the create date. */
			double pos = ((double)k + rng_unit(&g->r)) / (double)count;
			int64_t day = day0 + (int64_t)(pos * ndays);
			make_contact(g, &c, day * MIN_PER_DAY + pick_minute_of_day(&g->r));
			write_contact(g, &c);
			g->prev_id = c.id;
		}
	}
	write_orphan_deals(g);
}

/* ---- ad spend and traffic --------------------------------------------- */

typedef struct span {
	int64_t first, last;        /* days, inclusive */
} span;

/* Contacts per day around `day`, from the contact month it falls in (the
 * nearest one outside the contact months). */
static double contacts_per_day(const gen *g, int64_t day)
{
	int y, m, d, mi;
	civil_from_days(day, &y, &m, &d);
	mi = (y * 12 + m - 1) - (g->start_y * 12 + g->start_m - 1);
	if (mi < 0)
		mi = 0;
	if (mi >= g->o.months)
		mi = g->o.months - 1;
	month_add(g->start_y, g->start_m, mi, &y, &m);
	return (double)g->month_count[mi] / days_in_month(y, m);
}

/* Daily budget of a paid channel: what its expected customers cost at the
 * channel's target CAC. */
static double channel_budget(const gen *g, int64_t day, int src, double cac)
{
	return contacts_per_day(g, day) * sources[src].weight / 100.0
	       * P_CONTACT_TO_CUSTOMER * cac;
}

typedef struct campaign {
	const char *name, *state, *type;
	double share, cpc_lo, cpc_hi, ctr_lo, ctr_hi;
	int paused_last_months;     /* no delivery in the last N months */
	uint64_t id;
} campaign;

typedef struct delivery {
	uint64_t cost_cents, clicks, impressions;
} delivery;

static int64_t month_first_day(const gen *g, int back)
{
	int y, m;
	month_add(g->o.end_y, g->o.end_m, -back, &y, &m);
	return days_from_civil(y, m, 1);
}

static delivery deliver(rng *r, const gen *g, const campaign *c, int64_t day,
                        double budget)
{
	delivery dv = { 0, 0, 0 };
	double noise = rng_between(r, 0.7, 1.3);
	double cpc = rng_between(r, c->cpc_lo, c->cpc_hi);
	double ctr = rng_between(r, c->ctr_lo, c->ctr_hi);
	if (c->paused_last_months && day >= month_first_day(g, c->paused_last_months - 1))
		return dv;
	if (weekday(day) >= 5)
		noise *= 0.6;
	dv.cost_cents = (uint64_t)(budget * c->share * noise * 100.0);
	if (dv.cost_cents == 0)
		return dv;
	dv.clicks = (uint64_t)(dv.cost_cents / 100.0 / cpc + 0.5);
	if (dv.clicks == 0)
		dv.clicks = 1;
	dv.impressions = (uint64_t)((double)dv.clicks / ctr + 0.5);
	return dv;
}

/* A CSV field with thousands separators: quoted, as Google Ads does. */
static void out_sep_count(out *o, uint64_t v)
{
	char s[32];
	fmt_thousands(s, v);
	out_field(o, s);
}

static void out_sep_money(out *o, uint64_t cents)
{
	char s[40];
	fmt_money(s, cents);
	out_field(o, s);
}

static const campaign gads_campaigns[] = {
	{ "브랜드 검색_2026", "Enabled", "Search", 0.30, 900, 1400, 0.08, 0.12, 0, 0 },
	{ "Generic - B2B Analytics", "Enabled", "Search", 0.50, 2500, 4000, 0.025, 0.045, 0, 0 },
	{ "Competitor - KR", "Paused", "Search", 0.20, 3000, 5200, 0.015, 0.03, 3, 0 },
};

typedef struct gads_total {
	uint64_t cost, clicks, impressions, conv_hundredths;
} gads_total;

static void gads_metrics(out *o, uint64_t clicks, uint64_t impr, uint64_t cost,
                         uint64_t conv, int conv_missing)
{
	out_sep_count(o, clicks);
	out_c(o, ',');
	out_sep_count(o, impr);
	out_c(o, ',');
	if (impr)
		out_fmt(o, "%.2f%%", 100.0 * (double)clicks / (double)impr);
	else
		out_s(o, " --");
	out_s(o, ",KRW,");
	if (clicks)
		out_sep_money(o, (cost + clicks / 2) / clicks);
	else
		out_s(o, " --");
	out_c(o, ',');
	out_sep_money(o, cost);
	out_c(o, ',');
	if (conv_missing)
		out_s(o, " --");
	else
		out_sep_money(o, conv);
	out_c(o, '\n');
}

static void gads_row(out *o, rng *r, const gen *g, const campaign *c,
                     int64_t day, gads_total *t)
{
	char date[11];
	delivery dv = deliver(r, g, c, day, channel_budget(g, day, SRC_PAID_SEARCH, CAC_PAID_SEARCH));
	/* Data-driven attribution gives fractional conversions. */
	uint64_t conv = (uint64_t)((double)dv.clicks * rng_between(r, 0.0, 0.08) * 4.0) * 25;
	fmt_date(date, day);
	date[10] = '\0';
	out_s(o, date);
	out_c(o, ',');
	out_field(o, c->name);
	out_c(o, ',');
	out_s(o, c->state);
	out_c(o, ',');
	out_s(o, c->type);
	out_c(o, ',');
	gads_metrics(o, dv.clicks, dv.impressions, dv.cost_cents, conv,
	             conv == 0 && rng_chance(r, 0.5));
	t->cost += dv.cost_cents;
	t->clicks += dv.clicks;
	t->impressions += dv.impressions;
	t->conv_hundredths += conv;
}

static void fmt_long_date(char *dst, size_t n, int64_t day)
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(dst, n, "%s %d, %d", month_names[m - 1], d, y);
}

static int gen_google_ads(const gen *g, span sp)
{
	out o;
	rng r = rng_stream(g->o.seed, 2);
	gads_total t = { 0, 0, 0, 0 };
	char a[40], b[40];
	if (out_open(&o, g->o.outdir, "google-ads.csv"))
		return -1;
	fmt_long_date(a, sizeof a, sp.first);
	fmt_long_date(b, sizeof b, sp.last);
	out_fmt(&o, "Campaign performance report\n\"%s - %s\"\n", a, b);
	out_s(&o, "Day,Campaign,Campaign state,Campaign type,Clicks,Impr.,CTR,"
	      "Currency code,Avg. CPC,Cost,Conversions\n");
	for (int64_t day = sp.first; day <= sp.last; day++)
		for (size_t i = 0; i < sizeof gads_campaigns / sizeof gads_campaigns[0]; i++)
			gads_row(&o, &r, g, &gads_campaigns[i], day, &t);
	out_s(&o, "Total: Campaigns, --, --, --,");
	gads_metrics(&o, t.clicks, t.impressions, t.cost, t.conv_hundredths, 0);
	out_s(&o, "Total: Account, --, --, --,");
	gads_metrics(&o, t.clicks, t.impressions, t.cost, t.conv_hundredths, 0);
	return out_close(&o, "google-ads.csv");
}

/* Paid social budget splits 60/40 between LinkedIn and Meta. */
static const campaign li_campaigns[] = {
	{ "ABM - Enterprise KR", "", "", 0.55 * 0.6, 7000, 11000, 0.004, 0.007, 0, 512340871 },
	{ "의사결정자 타겟팅 2026", "", "", 0.45 * 0.6, 6000, 9500, 0.005, 0.008, 0, 512341093 },
};

/* UTF-8 (BMP only, which is all this file holds) to UTF-16LE. */
static void out_utf16le(out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned cp;
		if (*p < 0x80)
			cp = *p++;
		else if ((*p & 0xE0) == 0xC0) {
			cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
			p += 2;
		} else {
			cp = ((unsigned)(p[0] & 0x0F) << 12) | ((unsigned)(p[1] & 0x3F) << 6)
			     | (p[2] & 0x3F);
			p += 3;
		}
		out_c(o, (char)(cp & 0xFF));
		out_c(o, (char)(cp >> 8));
	}
}

static void li_line(out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void li_line(out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	out_utf16le(o, tmp);
	out_utf16le(o, "\r\n");
}

static void us_date(char *dst, size_t n, int64_t day)
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(dst, n, "%02d/%02d/%04d", m, d, y);
}

static void li_row(out *o, rng *r, const gen *g, size_t ci, int64_t day)
{
	const campaign *c = &li_campaigns[ci];
	char date[16];
	delivery dv = deliver(r, g, c, day, channel_budget(g, day, SRC_PAID_SOCIAL, CAC_PAID_SOCIAL));
	uint64_t leads = (uint64_t)((double)dv.clicks * rng_between(r, 0.0, 0.15));
	uint64_t conv = (uint64_t)((double)dv.clicks * rng_between(r, 0.0, 0.05));
	us_date(date, sizeof date, day);
	/* Whether Total Spent carries a symbol varies: one campaign has it. */
	li_line(o, "%s\tAcme Corp\t%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
	        "\t%s%" PRIu64 ".%02u\t%" PRIu64 "\t%" PRIu64,
	        date, c->name, c->id, dv.impressions, dv.clicks,
	        ci == 1 ? "₩" : "", dv.cost_cents / 100, (unsigned)(dv.cost_cents % 100),
	        leads, conv);
}

static int gen_linkedin(const gen *g, span sp)
{
	out o;
	rng r = rng_stream(g->o.seed, 3);
	char a[16], b[16];
	if (out_open(&o, g->o.outdir, "linkedin.tsv"))
		return -1;
	out_s(&o, "\xFF\xFE");
	us_date(a, sizeof a, sp.first);
	us_date(b, sizeof b, sp.last);
	li_line(&o, "Campaign Performance Report");
	li_line(&o, "Report Start: %s", a);
	li_line(&o, "Report End: %s", b);
	li_line(&o, "Account: Acme Corp (508812345)");
	li_line(&o, "Start Date (in UTC)\tAccount Name\tCampaign Name\tCampaign ID\t"
	        "Impressions\tClicks\tTotal Spent\tLeads\tConversions");
	for (int64_t day = sp.first; day <= sp.last; day++)
		for (size_t i = 0; i < sizeof li_campaigns / sizeof li_campaigns[0]; i++)
			li_row(&o, &r, g, i, day);
	return out_close(&o, "linkedin.tsv");
}

static const campaign meta_campaigns[] = {
	{ "리타게팅 캠페인", "active", "", 0.6 * 0.4, 400, 900, 0.008, 0.015, 0, 0 },
	{ "Lead Gen - Lookalike", "active", "", 0.4 * 0.4, 600, 1200, 0.006, 0.012, 0, 0 },
};

static void meta_row(out *o, rng *r, const gen *g, const campaign *c, int64_t day)
{
	char date[11];
	delivery dv = deliver(r, g, c, day, channel_budget(g, day, SRC_PAID_SOCIAL, CAC_PAID_SOCIAL));
	uint64_t results = (uint64_t)((double)dv.clicks * rng_between(r, 0.0, 0.04));
	fmt_date(date, day);
	date[10] = '\0';
	out_fmt(o, "%s,%s,", date, date);
	out_field(o, c->name);
	out_fmt(o, ",%s,%" PRIu64 ",%" PRIu64 ",", c->state,
	        (dv.cost_cents + 50) / 100, dv.impressions);
	/* Ads Manager leaves zero link clicks and results blank. */
	if (dv.clicks)
		out_u64(o, dv.clicks);
	out_c(o, ',');
	if (results)
		out_u64(o, results);
	out_c(o, '\n');
}

static int gen_meta(const gen *g, span sp)
{
	out o;
	rng r = rng_stream(g->o.seed, 4);
	if (out_open(&o, g->o.outdir, "meta.csv"))
		return -1;
	out_s(&o, "\xEF\xBB\xBF" "Reporting starts,Reporting ends,Campaign name,"
	      "Campaign delivery,Amount spent (KRW),Impressions,Link clicks,Results\n");
	for (int64_t day = sp.first; day <= sp.last; day++)
		for (size_t i = 0; i < sizeof meta_campaigns / sizeof meta_campaigns[0]; i++)
			meta_row(&o, &r, g, &meta_campaigns[i], day);
	return out_close(&o, "meta.csv");
}

static const struct ga4_group {
	const char *name;
	int src;                    /* the contacts' source it feeds, -1: none */
	double extra_share;         /* of all sessions, when src is -1 */
	double engaged_lo, engaged_hi;
} ga4_groups[] = {
	{ "Direct", 6, 0, 0.55, 0.70 },
	{ "Organic Search", 0, 0, 0.60, 0.72 },
	{ "Paid Search", 1, 0, 0.50, 0.65 },
	{ "Organic Social", 3, 0, 0.40, 0.55 },
	{ "Paid Social", 2, 0, 0.30, 0.45 },
	{ "Email", 4, 0, 0.62, 0.78 },
	{ "Referral", 5, 0, 0.55, 0.70 },
	{ "Unassigned", -1, 0.03, 0.10, 0.30 },
};

/* Roughly one visit in fifty leaves its details. */
#define SESSIONS_PER_CONTACT 50.0

static void ga4_row(out *o, rng *r, const gen *g, const struct ga4_group *grp,
                    int64_t day)
{
	int y, m, d;
	double per_day = contacts_per_day(g, day) * SESSIONS_PER_CONTACT;
	double share = grp->src >= 0 ? sources[grp->src].weight / 100.0 : grp->extra_share;
	double noise = rng_between(r, 0.8, 1.2) * (weekday(day) >= 5 ? 0.55 : 1.0);
	uint64_t sessions = (uint64_t)(per_day * share * noise + 0.5);
	uint64_t engaged = (uint64_t)((double)sessions * rng_between(r, grp->engaged_lo, grp->engaged_hi));
	uint64_t users = (uint64_t)((double)sessions * rng_between(r, 0.78, 0.92) + 0.5);
	uint64_t new_users = (uint64_t)((double)users * rng_between(r, 0.6, 0.85));
	civil_from_days(day, &y, &m, &d);
	out_fmt(o, "%04d%02d%02d,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",",
	        y, m, d, grp->name, sessions, engaged, new_users, users);
	if (sessions)
		out_fmt(o, "%.6g\n", (double)engaged / (double)sessions);
	else
		out_s(o, "0\n");
}

static int gen_ga4(const gen *g, span sp)
{
	out o;
	rng r = rng_stream(g->o.seed, 5);
	char a[11], b[11];
	if (out_open(&o, g->o.outdir, "ga4.csv"))
		return -1;
	fmt_date(a, sp.first);
	fmt_date(b, sp.last);
	out_s(&o, "# ----------------------------------------\n"
	      "# Traffic acquisition: Session primary channel group (Default channel group)\n"
	      "# Account: Acme\n"
	      "# Property: Acme Web\n"
	      "# ----------------------------------------\n"
	      "#\n");
	out_fmt(&o, "# Start date: %.4s%.2s%.2s\n# End date: %.4s%.2s%.2s\n\n",
	        a, a + 5, a + 8, b, b + 5, b + 8);
	out_s(&o, "Date,Session primary channel group (Default channel group),Sessions,"
	      "Engaged sessions,New users,Total users,Engagement rate\n");
	for (int64_t day = sp.first; day <= sp.last; day++)
		for (size_t i = 0; i < sizeof ga4_groups / sizeof ga4_groups[0]; i++)
			ga4_row(&o, &r, g, &ga4_groups[i], day);
	return out_close(&o, "ga4.csv");
}

/* ---- command line ----------------------------------------------------- */

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;
	unsigned long long x;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

static int parse_month(const char *s, int *y, int *m)
{
	if (!s || strlen(s) != 7 || s[4] != '-')
		return -1;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return -1;
	*y = atoi(s);
	*m = atoi(s + 5);
	return *y >= 1971 && *m >= 1 && *m <= 12 ? 0 : -1;
}

static int bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, "bp-gen: %s%s%s\n%s", what, arg ? ": " : "", arg ? arg : "", usage);
	return EX_USAGE;
}

/* Returns 0, or the exit status to stop with (-1: --help shown). */
static int parse_args(int argc, char **argv, opts *o)
{
	*o = (opts){ 42, 6000, 18, 2026, 10, 0, SH_DEMO, NULL };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return -1;
		} else if (!strcmp(a, "--seed")) {
			if (parse_u64(v, 0, UINT64_MAX, &o->seed))
				return bad_usage("--seed needs a number", v);
		} else if (!strcmp(a, "--contacts")) {
			if (parse_u64(v, 1, 1000000000, &o->contacts))
				return bad_usage("--contacts needs 1 to 1000000000", v);
		} else if (!strcmp(a, "--months")) {
			if (parse_u64(v, 1, 600, &x))
				return bad_usage("--months needs 1 to 600", v);
			o->months = (int)x;
		} else if (!strcmp(a, "--end")) {
			if (parse_month(v, &o->end_y, &o->end_m))
				return bad_usage("--end needs YYYY-MM", v);
		} else if (!strcmp(a, "--spend-days")) {
			if (parse_u64(v, 1, 36500, &x))
				return bad_usage("--spend-days needs 1 to 36500", v);
			o->spend_days = (long)x;
		} else if (!strcmp(a, "--shape")) {
			int k = 0;
			while (k < N_SHAPES && (!v || strcmp(v, shapes[k].name)))
				k++;
			if (k == N_SHAPES)
				return bad_usage("--shape needs demo, dense, api, text or wide", v);
			o->shape = k;
		} else if (a[0] == '-' && a[1]) {
			return bad_usage("unknown option", a);
		} else if (!o->outdir) {
			o->outdir = a;
			continue;
		} else {
			return bad_usage("more than one OUTDIR", a);
		}
		i++;
	}
	if (!o->outdir)
		return bad_usage("OUTDIR missing", NULL);
	return 0;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return -1;
		buf[i] = c;
	}
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static int run_crm(gen *g)
{
	int rc = 0;
	g->r = rng_stream(g->o.seed, 1);
	g->fill = rng_stream(g->o.seed, 6);
	if (out_open(&g->contacts, g->o.outdir, "contacts.csv"))
		return -1;
	if (out_open(&g->deals, g->o.outdir, "deals.csv")) {
		out_close(&g->contacts, "contacts.csv");
		return -1;
	}
	gen_crm(g);
	rc |= out_close(&g->contacts, "contacts.csv");
	rc |= out_close(&g->deals, "deals.csv");
	return rc;
}

int main(int argc, char **argv)
{
	gen g;
	span sp;
	int rc = parse_args(argc, argv, &g.o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (make_dirs(g.o.outdir)) {
		fprintf(stderr, "bp-gen: cannot create '%s': %s\n", g.o.outdir, strerror(errno));
		return EX_CANTCREAT;
	}
	month_add(g.o.end_y, g.o.end_m, -(g.o.months - 1), &g.start_y, &g.start_m);
	g.end_minute = days_from_civil(g.o.end_y, g.o.end_m, days_in_month(g.o.end_y, g.o.end_m))
	               * MIN_PER_DAY + MIN_PER_DAY - 1;
	g.month_count = calloc((size_t)g.o.months, sizeof *g.month_count);
	if (!g.month_count)
		return EX_CANTCREAT;
	plan_months(&g);
	plan_specials(&g);
	sp.last = floor_div(g.end_minute, MIN_PER_DAY);
	sp.first = g.o.spend_days ? sp.last - g.o.spend_days + 1
	                          : days_from_civil(g.start_y, g.start_m, 1);
	rc = run_crm(&g);
	rc |= gen_google_ads(&g, sp);
	rc |= gen_linkedin(&g, sp);
	rc |= gen_meta(&g, sp);
	rc |= gen_ga4(&g, sp);
	free(g.month_count);
	if (rc)
		return EX_CANTCREAT;
	fprintf(stderr, "bp-gen: %" PRIu64 " contacts, %" PRIu64 " deals (%" PRIu64
	        " won), %ld days of spend in %s\n", g.o.contacts, g.n_deals, g.n_won,
	        (long)(sp.last - sp.first + 1), g.o.outdir);
	return 0;
}
