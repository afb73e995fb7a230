/*
 * date.c - instants, calendar months, time zones and date parsing.
 *
 * A zone is read once from its TZif file into a sorted table of
 * transitions (instant, offset in force from then on).  The POSIX TZ rule
 * in the file's footer governs the future; its transitions are expanded
 * into the table up to RULE_HORIZON_YEAR at load time, so that converting
 * an instant is one binary search, and only instants past that year
 * evaluate the rule on the fly.  Nothing here keeps state between calls,
 * so a loaded bp_tz may be shared by threads.
 */
#include "date.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define DAY 86400
#define ZONEINFO_DIR "/usr/share/zoneinfo"
#define TZIF_MAX_BYTES (256 * 1024) /* real ones are under 10 KiB */
#define TZ_NAME_MAX 255
#define RULE_HORIZON_YEAR 2200
/* Instants beyond about +-557,000 years are clamped: no calendar
 * arithmetic below can overflow inside that range. */
#define T_LIMIT ((int64_t)1 << 44)
/* No zone has ever been more than 26 hours from UTC, so a local time's
 * instant lies within this many seconds of the local time read as UTC. */
#define LOCAL_WINDOW (30 * 3600)

/* One end of a daylight-saving period in a POSIX TZ rule. */
struct rule_day {
	char kind;     /* 'J': Jn, 'n': zero-based n, 'M': Mm.w.d */
	int a, b, c;   /* n, or m, w, d */
	int32_t time;  /* local seconds after midnight, may be negative */
};

struct rule {
	int present;
	int has_dst;
	int32_t std, dst;  /* seconds east of UTC */
	struct rule_day start, end;
};

struct bp_tz {
	char *name;
	size_t n;          /* transitions, file's and expanded */
	int64_t *at;       /* ascending instants */
	int32_t *off;      /* offset in force from at[i] */
	int32_t off0;      /* offset before at[0] */
	int is_utc;        /* every offset is zero */
	int rule_everywhere; /* the file had no transitions, only a rule */
	int64_t horizon;   /* from here on, evaluate `rule` directly */
	struct rule rule;
};

/* ---- civil calendar ---------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Counts in 400-year eras of 146097 days, with years starting on March 1
 * so that the leap day is the last day of a year. */
int64_t bp_days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y + floor_div(m - 1, 12);
	int64_t mm = m - 1 - 12 * floor_div(m - 1, 12); /* 0..11 from Jan */
	int64_t era, yoe, doy, doe;

	if (mm < 2)
		yy--;
	era = floor_div(yy, 400);
	yoe = yy - era * 400;
	doy = (153 * ((mm + 10) % 12) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int clamp_int(int64_t v)
{
	if (v > 2000000000)
		return 2000000000;
	if (v < -2000000000)
		return -2000000000;
	return (int)v;
}

void bp_civil_from_days(int64_t days, int *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153; /* 0 is March */
	int64_t mon = mp < 10 ? mp + 3 : mp - 9;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)mon;
	*y = clamp_int(yoe + era * 400 + (mon <= 2));
}

static int64_t clamp_t(int64_t t)
{
	if (t > T_LIMIT)
		return T_LIMIT;
	if (t < -T_LIMIT)
		return -T_LIMIT;
	return t;
}

static int year_of(int64_t t)
{
	int y, m, d;

	bp_civil_from_days(floor_div(clamp_t(t), DAY), &y, &m, &d);
	return y;
}

/* ---- POSIX TZ rules ---------------------------------------------------- */

static int64_t rule_day_number(const struct rule_day *r, int y)
{
	int64_t jan1 = bp_days_from_civil(y, 1, 1);
	int64_t first, day;
	int wd;

	if (r->kind == 'J')
		return jan1 + r->a - 1 + (is_leap(y) && r->a >= 60);
	if (r->kind == 'n')
		return jan1 + r->a;
	first = bp_days_from_civil(y, r->a, 1);
	wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
	day = first + (r->c - wd + 7) % 7 + 7 * (r->b - 1);
	while (day >= first + days_in_month(y, r->a))
		day -= 7;
	return day;
}

struct rule_event {
	int64_t at;
	int dst;
};

/* The two transitions of year y, in time order; at equal instants the end
 * of DST comes first, so that a rule meaning "DST all year" leaves DST on. */
static void rule_events(const struct rule *r, int y, struct rule_event ev[2])
{
	int64_t s = rule_day_number(&r->start, y) * DAY + r->start.time - r->std;
	int64_t e = rule_day_number(&r->end, y) * DAY + r->end.time - r->dst;

	if (s < e) {
		ev[0] = (struct rule_event){ s, 1 };
		ev[1] = (struct rule_event){ e, 0 };
	} else {
		ev[0] = (struct rule_event){ e, 0 };
		ev[1] = (struct rule_event){ s, 1 };
	}
}

/* Offset of the rule at t, and the next transition instant after t. */
static int32_t rule_lookup(const struct rule *r, int64_t t, int64_t *next)
{
	struct rule_event ev[6];
	int y, i, dst = -1;

	if (next)
		*next = INT64_MAX;
	if (!r->has_dst)
		return r->std;
	t = clamp_t(t);
	y = year_of(t + r->std);
	for (i = 0; i < 3; i++)
		rule_events(r, y - 1 + i, ev + 2 * i);
	for (i = 0; i < 6; i++) {
		if (ev[i].at <= t) {
			dst = ev[i].dst;
		} else {
			if (next)
				*next = ev[i].at;
			break;
		}
	}
	if (dst < 0)
		dst = !ev[0].dst;
	return dst ? r->dst : r->std;
}

struct cursor {
	const char *p, *end;
};

static int cur_peek(const struct cursor *c)
{
	return c->p < c->end ? (unsigned char)*c->p : -1;
}

static int is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Reads 1 to `max` digits into *v.  Returns the count read, 0 if none. */
static int cur_digits(struct cursor *c, int max, int *v)
{
	int n = 0;

	*v = 0;
	while (n < max && is_digit(cur_peek(c))) {
		*v = *v * 10 + (*c->p++ - '0');
		n++;
	}
	return n;
}

static int cur_accept(struct cursor *c, char ch)
{
	if (cur_peek(c) != (unsigned char)ch)
		return 0;
	c->p++;
	return 1;
}

static int tz_name_part(struct cursor *c)
{
	int n = 0;

	if (cur_accept(c, '<')) {
		while (c->p < c->end && *c->p != '>') {
			c->p++;
			n++;
		}
		return cur_accept(c, '>') && n >= 3 ? 0 : -1;
	}
	while (is_alpha(cur_peek(c))) {
		c->p++;
		n++;
	}
	return n >= 3 ? 0 : -1;
}

/* [+-]hh[:mm[:ss]] with hours up to max_h; sets *secs (sign applied). */
static int tz_hms(struct cursor *c, int max_h, int32_t *secs)
{
	int sign = 1, h, m = 0, s = 0;

	if (cur_accept(c, '-'))
		sign = -1;
	else
		cur_accept(c, '+');
	if (!cur_digits(c, 3, &h) || h > max_h)
		return -1;
	if (cur_accept(c, ':')) {
		if (cur_digits(c, 2, &m) != 2 || m > 59)
			return -1;
		if (cur_accept(c, ':') &&
		    (cur_digits(c, 2, &s) != 2 || s > 59))
			return -1;
	}
	*secs = sign * (h * 3600 + m * 60 + s);
	return 0;
}

static int tz_rule_day(struct cursor *c, struct rule_day *r)
{
	r->time = 2 * 3600;
	if (cur_accept(c, 'J')) {
		r->kind = 'J';
		if (!cur_digits(c, 3, &r->a) || r->a < 1 || r->a > 365)
			return -1;
	} else if (cur_accept(c, 'M')) {
		r->kind = 'M';
		if (!cur_digits(c, 2, &r->a) || !cur_accept(c, '.') ||
		    !cur_digits(c, 1, &r->b) || !cur_accept(c, '.') ||
		    !cur_digits(c, 1, &r->c))
			return -1;
		if (r->a < 1 || r->a > 12 || r->b < 1 || r->b > 5 || r->c > 6)
			return -1;
	} else {
		r->kind = 'n';
		if (!cur_digits(c, 3, &r->a) || r->a > 365)
			return -1;
	}
	if (cur_accept(c, '/'))
		return tz_hms(c, 167, &r->time);
	return 0;
}

/* Parses a POSIX TZ string such as "EST5EDT,M3.2.0,M11.1.0". */
static int tz_rule_parse(const char *s, size_t n, struct rule *r)
{
	struct cursor c = { s, s + n };
	int32_t west;

	memset(r, 0, sizeof(*r));
	if (tz_name_part(&c) < 0 || tz_hms(&c, 24, &west) < 0)
		return -1;
	r->present = 1;
	r->std = r->dst = -west;
	if (c.p == c.end)
		return 0;
	if (tz_name_part(&c) < 0)
		return -1;
	r->has_dst = 1;
	r->dst = r->std + 3600;
	if (cur_peek(&c) == '+' || cur_peek(&c) == '-' ||
	    is_digit(cur_peek(&c))) {
		if (tz_hms(&c, 24, &west) < 0)
			return -1;
		r->dst = -west;
	}
	if (c.p == c.end) {
		/* POSIX leaves the default open; glibc uses the US rules. */
		r->start = (struct rule_day){ 'M', 3, 2, 0, 7200 };
		r->end = (struct rule_day){ 'M', 11, 1, 0, 7200 };
		return 0;
	}
	if (!cur_accept(&c, ',') || tz_rule_day(&c, &r->start) < 0 ||
	    !cur_accept(&c, ',') || tz_rule_day(&c, &r->end) < 0)
		return -1;
	return c.p == c.end ? 0 : -1;
}

/* ---- TZif files -------------------------------------------------------- */

struct tzif_counts {
	size_t isut, isstd, leap, time, type, chars;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int64_t be_time(const unsigned char *p, size_t size)
{
	uint64_t hi, lo;

	if (size == 4)
		return (int32_t)be32(p);
	hi = be32(p);
	lo = be32(p + 4);
	return (int64_t)(hi << 32 | lo);
}

/* Reads the 44-byte header at `pos` and checks that the data block it
 * announces fits in the file.  Returns the block's size, or 0 if bad. */
static size_t tzif_header(const unsigned char *b, size_t len, size_t pos,
			  size_t tsize, struct tzif_counts *k)
{
	const unsigned char *h = b + pos;
	size_t block;

	if (len < 44 || pos > len - 44 || memcmp(h, "TZif", 4) != 0)
		return 0;
	k->isut = be32(h + 20);
	k->isstd = be32(h + 24);
	k->leap = be32(h + 28);
	k->time = be32(h + 32);
	k->type = be32(h + 36);
	k->chars = be32(h + 40);
	if (k->isut > len || k->isstd > len || k->leap > len ||
	    k->time > len || k->type > len || k->chars > len ||
	    k->type == 0 || k->type > 256)
		return 0;
	block = k->time * (tsize + 1) + k->type * 6 + k->chars +
		k->leap * (tsize + 4) + k->isstd + k->isut;
	if (block > len - 44 - pos)
		return 0;
	return block;
}

/* RFC 8536 bounds a type's offset to just under +-25 and +26 hours. */
static int type_offset(const unsigned char *types, size_t i, int32_t *off)
{
	int32_t v = (int32_t)be32(types + 6 * i);

	if (v < -89999 || v > 93599)
		return -1;
	*off = v;
	return 0;
}

/* Fills the transition table from one data block.  Returns 0, or -1 on
 * malformed data. */
static int tzif_block(bp_tz *tz, const unsigned char *p,
		      const struct tzif_counts *k, size_t tsize)
{
	const unsigned char *idx = p + k->time * tsize;
	const unsigned char *types = idx + k->time;
	size_t i;

	if (type_offset(types, 0, &tz->off0) < 0)
		return -1;
	tz->is_utc = 1;
	for (i = 0; i < k->type; i++) {
		int32_t o;

		if (type_offset(types, i, &o) < 0)
			return -1;
		if (o != 0)
			tz->is_utc = 0;
	}
	tz->at = bp_xreallocarray(NULL, k->time + 1, sizeof(*tz->at));
	tz->off = bp_xreallocarray(NULL, k->time + 1, sizeof(*tz->off));
	for (i = 0; i < k->time; i++) {
		tz->at[i] = be_time(p + i * tsize, tsize);
		if (idx[i] >= k->type || (i > 0 && tz->at[i] <= tz->at[i - 1]))
			return -1;
		type_offset(types, idx[i], &tz->off[i]);
	}
	tz->n = k->time;
	return 0;
}

/* The footer of a v2+ file: "\n<POSIX TZ string>\n". */
static int tzif_footer(bp_tz *tz, const unsigned char *b, size_t len,
		       size_t pos)
{
	const unsigned char *nl;

	if (pos >= len)
		return 0; /* no footer: the last transition holds forever */
	if (b[pos] != '\n')
		return -1;
	nl = memchr(b + pos + 1, '\n', len - pos - 1);
	if (!nl)
		return -1;
	if (nl == b + pos + 1)
		return 0;
	if (tz_rule_parse((const char *)b + pos + 1,
			  (size_t)(nl - b - pos - 1), &tz->rule) < 0)
		return -1;
	if (tz->rule.std != 0 || tz->rule.dst != 0)
		tz->is_utc = 0;
	return 0;
}

/* Returns 0, or -1 when the data is not valid TZif. */
static int tzif_parse(bp_tz *tz, const unsigned char *b, size_t len)
{
	struct tzif_counts k;
	size_t v1 = tzif_header(b, len, 0, 4, &k);
	size_t pos, v2;

	if (v1 == 0) /* a valid block is never empty: it has a type */
		return -1;
	if (b[4] == 0)
		return tzif_block(tz, b + 44, &k, 4);
	/* v2+: skip the 32-bit data, use the 64-bit data and the footer. */
	pos = 44 + v1;
	v2 = tzif_header(b, len, pos, 8, &k);
	if (v2 == 0)
		return -1;
	if (tzif_block(tz, b + pos + 44, &k, 8) < 0)
		return -1;
	return tzif_footer(tz, b, len, pos + 44 + v2);
}

/* Makes room for `cap` transitions. */
static void grow_table(bp_tz *tz, size_t cap)
{
	tz->at = bp_xreallocarray(tz->at, cap, sizeof(*tz->at));
	tz->off = bp_xreallocarray(tz->off, cap, sizeof(*tz->off));
}

/* Adds a transition after the file's.  A year's end and the next year's
 * start may be the same instant ("DST all year" rules): the later event
 * then replaces the earlier one. */
static void append_event(bp_tz *tz, int64_t at, int32_t off)
{
	if (tz->at[tz->n - 1] == at)
		tz->n--;
	if (tz->off[tz->n - 1] == off)
		return;
	tz->at[tz->n] = at;
	tz->off[tz->n++] = off;
}

/* Appends the rule's transitions after the file's last one, up to
 * RULE_HORIZON_YEAR, so that lookups there are a binary search. */
static void expand_rule(bp_tz *tz)
{
	int64_t limit = bp_days_from_civil(RULE_HORIZON_YEAR + 1, 1, 1) * DAY;
	int64_t last;
	int y, y0, i;

	assert(tz->n > 0); /* without transitions the rule is used directly */
	last = tz->at[tz->n - 1];
	/* A table from a far-past transition would be huge, and one past
	 * the horizon is not needed: the rule will do. */
	if (last >= limit || last < bp_days_from_civil(1800, 1, 1) * DAY) {
		tz->horizon = last;
		return;
	}
	y0 = year_of(last) - 1;
	grow_table(tz, tz->n + 2 * (size_t)(RULE_HORIZON_YEAR + 3 - y0));
	for (y = y0; y <= RULE_HORIZON_YEAR + 2; y++) {
		struct rule_event ev[2];

		rule_events(&tz->rule, y, ev);
		for (i = 0; i < 2; i++)
			if (ev[i].at > last && ev[i].at < limit)
				append_event(tz, ev[i].at, ev[i].dst ?
					     tz->rule.dst : tz->rule.std);
	}
	tz->horizon = limit;
}

static void set_horizon(bp_tz *tz)
{
	if (!tz->rule.present)
		tz->horizon = INT64_MAX;
	else if (tz->n == 0)
		tz->horizon = INT64_MIN; /* RFC 8536: the rule covers all time */
	else if (!tz->rule.has_dst)
		tz->horizon = tz->at[tz->n - 1];
}

static int name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n > TZ_NAME_MAX || s[0] == '/' || strstr(s, ".."))
		return 0;
	for (i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];

		if (!is_alpha(ch) && !is_digit(ch) && !strchr("/_+-.", ch))
			return 0;
	}
	return 1;
}

/* Reads a whole file of at most TZIF_MAX_BYTES.  Returns a malloc'd
 * buffer the caller frees, or NULL (too big, unreadable). */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t n = 0;

	if (!f)
		goto out;
	buf = bp_xmalloc(TZIF_MAX_BYTES + 1);
	n = fread(buf, 1, TZIF_MAX_BYTES + 1, f);
	if (ferror(f) || n > TZIF_MAX_BYTES) {
		free(buf);
		buf = NULL;
	}
out:
	if (f)
		fclose(f);
	*len = n;
	return buf;
}

static bp_tz *tz_new(const char *name)
{
	bp_tz *tz = bp_xcalloc(1, sizeof(*tz));

	tz->name = bp_xstrdup(name);
	tz->horizon = INT64_MAX;
	tz->is_utc = 1;
	return tz;
}

bp_tz *bp_tz_load(const char *name, bp_err *err)
{
	const char *dir = getenv("TZDIR");
	char *path = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	bp_tz *tz = NULL;

	if (!name || !*name || strcmp(name, "UTC") == 0)
		return tz_new("UTC");
	if (!dir || !*dir)
		dir = ZONEINFO_DIR;
	if (!name_ok(name))
		goto fail;
	path = bp_xasprintf("%s/%s", dir, name);
	buf = slurp(path, &len);
	if (!buf)
		goto fail;
	tz = tz_new(name);
	if (tzif_parse(tz, buf, len) < 0)
		goto fail;
	set_horizon(tz);
	if (tz->horizon == INT64_MAX && tz->rule.has_dst)
		expand_rule(tz);
	free(path);
	free(buf);
	return tz;
fail:
	free(path);
	free(buf);
	bp_tz_free(tz);
	bp_err_set(err, BP_ECONFIG, "unknown time zone '%.200s'", name);
	return NULL;
}

void bp_tz_free(bp_tz *tz)
{
	if (!tz)
		return;
	free(tz->name);
	free(tz->at);
	free(tz->off);
	free(tz);
}

const char *bp_tz_name(const bp_tz *tz)
{
	return tz ? tz->name : "UTC";
}

/* ---- conversions ------------------------------------------------------- */

/* The offset in force at t, and the instant of the next change (or a
 * later instant; INT64_MAX when nothing changes again). */
static int32_t tz_lookup(const bp_tz *tz, int64_t t, int64_t *next)
{
	size_t lo = 0, hi;

	if (!tz) {
		if (next)
			*next = INT64_MAX;
		return 0;
	}
	if (t >= tz->horizon)
		return rule_lookup(&tz->rule, t, next);
	hi = tz->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->at[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (next)
		*next = lo < tz->n ? tz->at[lo] : tz->horizon;
	return lo ? tz->off[lo - 1] : tz->off0;
}

int32_t bp_tz_offset(const bp_tz *tz, bp_time t)
{
	return tz_lookup(tz, t, NULL);
}

/* Walks the periods of constant offset around `local` in time order: the
 * first whose offset puts `local` inside it is the answer (the earlier one
 * in an overlap); if `local` falls between two, it is in a gap. */
bp_time bp_tz_from_local(const bp_tz *tz, int64_t local)
{
	int64_t t, next, c;
	int32_t off, prev = 0;
	int i;

	local = clamp_t(local);
	t = local - LOCAL_WINDOW;
	off = tz_lookup(tz, t, &next);
	for (i = 0; i < 64; i++) {
		c = local - off;
		if (i > 0 && c < t)
			return local - prev;
		if (c < next)
			return c;
		prev = off;
		t = next;
		off = tz_lookup(tz, t, &next);
	}
	return local - off;
}

bp_month bp_month_of(const bp_tz *tz, bp_time t)
{
	int y, m, d;

	t = clamp_t(t);
	bp_civil_from_days(floor_div(t + tz_lookup(tz, t, NULL), DAY),
			   &y, &m, &d);
	return (bp_month)y * 12 + (m - 1);
}

static void month_split(bp_month m, int *y, int *mon)
{
	*y = (int)floor_div(m, 12);
	*mon = (int)(m - (int64_t)*y * 12) + 1;
}

bp_time bp_month_start(const bp_tz *tz, bp_month m)
{
	int y, mon;

	month_split(m, &y, &mon);
	return bp_tz_from_local(tz, bp_days_from_civil(y, mon, 1) * DAY);
}

bp_time bp_month_end(const bp_tz *tz, bp_month m)
{
	int y, mon;

	month_split(m, &y, &mon);
	return bp_tz_from_local(tz, bp_days_from_civil(y, mon + 1, 1) * DAY) - 1;
}

int bp_month_parse(const char *s, bp_month *out)
{
	int i, y = 0, m;

	if (!s || strlen(s) != 7 || s[4] != '-')
		return -1;
	for (i = 0; i < 7; i++)
		if (i != 4 && !is_digit((unsigned char)s[i]))
			return -1;
	for (i = 0; i < 4; i++)
		y = y * 10 + (s[i] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	if (m < 1 || m > 12)
		return -1;
	*out = y * 12 + (m - 1);
	return 0;
}

void bp_month_format(bp_month m, char buf[8])
{
	int y, mon;

	month_split(m, &y, &mon);
	if (y < 0 || y > 9999) {
		memcpy(buf, "XXXX-XX", 8);
		return;
	}
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + mon / 10);
	buf[6] = (char)('0' + mon % 10);
	buf[7] = '\0';
}

/* ---- parsing ----------------------------------------------------------- */

static int is_blank(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static void cur_skip_blanks(struct cursor *c)
{
	while (is_blank(cur_peek(c)))
		c->p++;
}

static int lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

/* Two digits at p, or -1. */
static int two(const char *p)
{
	if (!is_digit((unsigned char)p[0]) || !is_digit((unsigned char)p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* A month name, full ("July"), abbreviated ("Jul", "Jul.") or "Sept",
 * in any case.  Returns 1-12, or -1. */
static int month_name(struct cursor *c)
{
	static const char *const names[12] = {
		"january", "february", "march", "april", "may", "june", "july",
		"august", "september", "october", "november", "december"
	};
	const char *w = c->p;
	size_t n, i, k;

	while (is_alpha(cur_peek(c)))
		c->p++;
	n = (size_t)(c->p - w);
	for (i = 0; i < 12 && n >= 3; i++) {
		for (k = 0; k < n && names[i][k] && lower(w[k]) == names[i][k];
		     k++)
			;
		if (k == n && (n == 3 || names[i][k] == '\0' ||
			       (i == 8 && n == 4))) {
			if (n == 3 || (i == 8 && n == 4))
				cur_accept(c, '.');
			return (int)i + 1;
		}
	}
	return -1;
}

/* "AM"/"PM" after an hour of 1-12: turns *h into 0-23. */
static int am_pm(struct cursor *c, int *h)
{
	int a = lower(cur_peek(c)), pm;

	if (a != 'a' && a != 'p')
		return -1;
	c->p++;
	if (lower(cur_peek(c)) != 'm')
		return -1;
	c->p++;
	if (*h < 1 || *h > 12)
		return -1;
	pm = a == 'p';
	*h = *h % 12 + (pm ? 12 : 0);
	return 0;
}

/* "Z", or +HH:MM, +HHMM, +HH (either sign). */
static int utc_offset(struct cursor *c, int32_t *off)
{
	int sign, h, m = 0;

	if (cur_accept(c, 'Z') || cur_accept(c, 'z')) {
		*off = 0;
		return 0;
	}
	if (cur_accept(c, '+'))
		sign = 1;
	else if (cur_accept(c, '-'))
		sign = -1;
	else
		return -1;
	if (cur_digits(c, 2, &h) != 2 || h > 23)
		return -1;
	if (cur_accept(c, ':') || is_digit(cur_peek(c))) {
		if (cur_digits(c, 2, &m) != 2 || m > 59)
			return -1;
	}
	*off = sign * (h * 3600 + m * 60);
	return 0;
}

/* HH:MM[:SS[.fff]] [AM|PM] [Z|+HH:MM]: a fraction of a second is
 * dropped, which rounds toward the past as instants should. */
static int time_of_day(struct cursor *c, bp_civil *out)
{
	int frac;

	if (!cur_digits(c, 2, &out->h) || !cur_accept(c, ':') ||
	    cur_digits(c, 2, &out->min) != 2)
		return -1;
	out->has_time = 1;
	if (cur_accept(c, ':')) {
		if (cur_digits(c, 2, &out->s) != 2)
			return -1;
		if ((cur_accept(c, '.') || cur_accept(c, ',')) &&
		    !cur_digits(c, 9, &frac))
			return -1;
		while (is_digit(cur_peek(c)))
			c->p++;
	}
	cur_skip_blanks(c);
	if (is_alpha(cur_peek(c)) && lower(cur_peek(c)) != 'z') {
		if (am_pm(c, &out->h) < 0)
			return -1;
		cur_skip_blanks(c);
	}
	if (c->p < c->end) {
		if (utc_offset(c, &out->offset) < 0)
			return -1;
		out->has_offset = 1;
	}
	return 0;
}

/* What may follow a date: nothing, or a separator and a time of day. */
static int time_tail(struct cursor *c, bp_civil *out, int allow_t)
{
	if (c->p == c->end)
		return 0;
	if (allow_t && (cur_accept(c, 'T') || cur_accept(c, 't')))
		return time_of_day(c, out);
	if (!is_blank(cur_peek(c)))
		return -1;
	cur_skip_blanks(c);
	return time_of_day(c, out);
}

/* YYYY-MM-DD..., the shape of nearly every row, read by position. */
static int parse_iso(struct cursor *c, bp_civil *out)
{
	const char *p = c->p;
	int hi, lo;

	if (c->end - p < 10 || p[7] != '-')
		return -1;
	hi = two(p);
	lo = two(p + 2);
	out->mon = two(p + 5);
	out->d = two(p + 8);
	if (hi < 0 || lo < 0 || out->mon < 0 || out->d < 0)
		return -1;
	out->y = hi * 100 + lo;
	c->p = p + 10;
	return time_tail(c, out, 1);
}

/* YYYY/MM/DD, MM/DD/YYYY (month and day may have one digit). */
static int parse_slashes(struct cursor *c, bp_civil *out, int lead)
{
	int a, b, y;

	if (lead == 4) {
		if (cur_digits(c, 4, &y) != 4 || !cur_accept(c, '/') ||
		    !cur_digits(c, 2, &a) || !cur_accept(c, '/') ||
		    !cur_digits(c, 2, &b))
			return -1;
	} else {
		if (!cur_digits(c, 2, &a) || !cur_accept(c, '/') ||
		    !cur_digits(c, 2, &b) || !cur_accept(c, '/') ||
		    cur_digits(c, 4, &y) != 4)
			return -1;
	}
	out->y = y;
	out->mon = a;
	out->d = b;
	return time_tail(c, out, 0);
}

/* "Jul 8, 2025", "July 8, 2025". */
static int parse_month_first(struct cursor *c, bp_civil *out)
{
	out->mon = month_name(c);
	cur_skip_blanks(c);
	if (out->mon < 0 || !cur_digits(c, 2, &out->d))
		return -1;
	cur_accept(c, ',');
	cur_skip_blanks(c);
	if (cur_digits(c, 4, &out->y) != 4)
		return -1;
	return time_tail(c, out, 0);
}

/* "8 July 2025", "8 Jul 2025". */
static int parse_day_first(struct cursor *c, bp_civil *out)
{
	if (!cur_digits(c, 2, &out->d))
		return -1;
	cur_skip_blanks(c);
	out->mon = month_name(c);
	cur_accept(c, ',');
	cur_skip_blanks(c);
	if (out->mon < 0 || cur_digits(c, 4, &out->y) != 4)
		return -1;
	return time_tail(c, out, 0);
}

/* YYYYMMDD or YYYYMM (GA4), the whole field. */
static int parse_compact(struct cursor *c, bp_civil *out, int len)
{
	const char *p = c->p;

	out->y = two(p) * 100 + two(p + 2);
	out->mon = two(p + 4);
	out->d = len == 8 ? two(p + 6) : 1;
	c->p = c->end;
	return 0;
}

static int parse_auto(struct cursor *c, bp_civil *out)
{
	const char *p = c->p;
	int lead = 0;

	if (c->end - p >= 10 && p[4] == '-')
		return parse_iso(c, out);
	while (p + lead < c->end && is_digit((unsigned char)p[lead]))
		lead++;
	if (p + lead == c->end && (lead == 8 || lead == 6))
		return parse_compact(c, out, lead);
	if (lead == 0)
		return parse_month_first(c, out);
	if (p + lead < c->end && p[lead] == '/' && (lead == 4 || lead <= 2))
		return parse_slashes(c, out, lead);
	if (lead <= 2 && p + lead < c->end && is_blank((unsigned char)p[lead]))
		return parse_day_first(c, out);
	return -1;
}

/* One %-directive of a custom format.  Returns 0 or -1. */
static int fmt_field(struct cursor *c, char f, bp_civil *out, int *seen)
{
	switch (f) {
	case 'Y':
		*seen |= 1;
		return cur_digits(c, 4, &out->y) == 4 ? 0 : -1;
	case 'y':
		*seen |= 1;
		if (cur_digits(c, 2, &out->y) != 2)
			return -1;
		out->y += out->y < 69 ? 2000 : 1900;
		return 0;
	case 'm':
		*seen |= 2;
		return cur_digits(c, 2, &out->mon) ? 0 : -1;
	case 'b':
	case 'B':
	case 'h':
		*seen |= 2;
		out->mon = month_name(c);
		return out->mon > 0 ? 0 : -1;
	case 'd':
	case 'e':
		return cur_digits(c, 2, &out->d) ? 0 : -1;
	case 'H':
		out->has_time = 1;
		return cur_digits(c, 2, &out->h) ? 0 : -1;
	case 'M':
		out->has_time = 1;
		return cur_digits(c, 2, &out->min) ? 0 : -1;
	case 'S':
		out->has_time = 1;
		return cur_digits(c, 2, &out->s) ? 0 : -1;
	case 'p':
		return am_pm(c, &out->h);
	case 'z':
		out->has_offset = 1;
		return utc_offset(c, &out->offset);
	case '%':
		return cur_accept(c, '%') ? 0 : -1;
	default:
		return -1;
	}
}

/* A strptime-like pattern: blanks match any run of blanks, %-directives
 * as in fmt_field, anything else itself.  A year and a month are needed;
 * the day defaults to the 1st. */
static int parse_fmt(struct cursor *c, const char *f, bp_civil *out)
{
	int seen = 0;

	out->d = 1;
	for (; *f; f++) {
		if (is_blank((unsigned char)*f)) {
			cur_skip_blanks(c);
		} else if (*f != '%') {
			if (!cur_accept(c, *f))
				return -1;
		} else if (!*++f || fmt_field(c, *f, out, &seen) < 0) {
			return -1;
		}
	}
	return seen == 3 ? 0 : -1;
}

static int civil_valid(const bp_civil *c)
{
	return c->y >= 0 && c->y <= 9999 && c->mon >= 1 && c->mon <= 12 &&
	       c->d >= 1 && c->d <= days_in_month(c->y, c->mon) &&
	       c->h >= 0 && c->h <= 23 && c->min >= 0 && c->min <= 59 &&
	       c->s >= 0 && c->s <= 59;
}

int bp_date_parse(const char *s, size_t n, const char *fmt, bp_civil *out)
{
	struct cursor c = { s, s + n };
	bp_civil v = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return 0;
	while (c.p < c.end && is_blank((unsigned char)c.p[0]))
		c.p++;
	while (c.end > c.p && is_blank((unsigned char)c.end[-1]))
		c.end--;
	if (c.p == c.end || (c.end - c.p == 2 && memcmp(c.p, "--", 2) == 0))
		return 0;
	if (!fmt || strcmp(fmt, "auto") == 0)
		rc = parse_auto(&c, &v);
	else
		rc = parse_fmt(&c, fmt, &v);
	if (rc < 0 || c.p != c.end || !civil_valid(&v))
		return -1;
	*out = v;
	return 1;
}

bp_time bp_civil_to_time(const bp_civil *c, const bp_tz *src,
			 const bp_tz *report)
{
	int64_t day = bp_days_from_civil(c->y, c->mon, c->d) * DAY;
	int64_t secs = (int64_t)c->h * 3600 + c->min * 60 + c->s;

	if (c->has_offset)
		return day + secs - c->offset;
	if (c->has_time)
		return bp_tz_from_local(src, day + secs);
	return bp_tz_from_local(report, day);
}

int bp_date_placeholder(const char *s, size_t n)
{
	size_t i, zeros = 0;

	if (!s)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '0')
			zeros++;
		else if (!is_blank((unsigned char)s[i]) && !strchr("-/:.,TtZz+", s[i]))
			return 0;
	}
	return zeros >= 8;
}

/* ---- dates row after row ----------------------------------------------- */

void bp_date_reader_init(bp_date_reader *dr, const bp_tz *src,
			 const bp_tz *report)
{
	memset(dr->day, 0, sizeof(dr->day));
	dr->src = src;
	dr->report = report;
}

/* The instant of local midnight `local` in tz when every local time of
 * that day maps to it plus the seconds since midnight: the offset in
 * force is the same from LOCAL_WINDOW before the day to LOCAL_WINDOW
 * after it, which is what bp_tz_from_local() looks at.  BP_TIME_NONE
 * otherwise (a day near a transition is left to the general reading). */
static bp_time steady_midnight(const bp_tz *tz, int64_t local)
{
	int64_t next;
	int32_t off = tz_lookup(tz, local - LOCAL_WINDOW, &next);

	if (next <= local + DAY + LOCAL_WINDOW || off >= LOCAL_WINDOW ||
	    off <= -LOCAL_WINDOW)
		return BP_TIME_NONE;
	return local - off;
}

/* The entry of a day known to exist, filled when it is not there. */
static const struct bp_date_day *day_entry(bp_date_reader *dr, int y, int mon,
					   int d)
{
	int32_t key = (y * 16 + mon) * 32 + d;
	struct bp_date_day *e = &dr->day[(uint32_t)key % BP_DATE_DAYS];

	assert(key > 0);
	if (e->key != key) {
		e->days = bp_days_from_civil(y, mon, d);
		e->src_midnight = steady_midnight(dr->src, e->days * DAY);
		e->report_midnight = bp_tz_from_local(dr->report, e->days * DAY);
		e->key = key;
	}
	return e;
}

static int digit_at(const char *p)
{
	return (unsigned)((unsigned char)*p - '0') <= 9;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* "YYYY-MM-DD HH:MM" (or with 'T') checked eight bytes at a time: each
 * byte XOR '0' is its digit's value when it is one, and a value of 10
 * or more (or a byte of 0x80 or more) sets that byte's top bit once 0x76
 * is added.  A carry out of a byte can only make the next one fail, which
 * leaves it to the byte-by-byte reading.  Byte i of a word is p[i]. */
#define ZEROS 0x3030303030303030ull
#define TOPS 0x8080808080808080ull
#define TO_TEN 0x7676767676767676ull
#define DIGITS_A 0x00FFFF00FFFFFFFFull  /* YYYY-MM- */
#define DASHES_A 0xFF0000FF00000000ull
#define WANT_A 0x2D00002D00000000ull     /* '-' at 4 and 7 */
#define DIGITS_B 0xFFFF00FFFF00FFFFull  /* DD HH:MM */
#define COLON_B 0x0000FF0000000000ull
#define WANT_B 0x00003A0000000000ull     /* ':' at 5 */

static uint64_t load8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int byte_at(uint64_t v, int i)
{
	return (int)(v >> (8 * i) & 0xFF);
}

/* Returns 1 with the fields of p's first 16 bytes, or 0 when they are not
 * that shape (the byte-by-byte reading refuses them too). */
static int read_minute(const char *p, int *y, int *mon, int *d, int *h,
		       int *mi)
{
	uint64_t a = load8(p), b = load8(p + 8), ta = a ^ ZEROS, tb = b ^ ZEROS;
	int sep = byte_at(b, 2);

	if (((((ta + TO_TEN) | ta) & DIGITS_A) | (((tb + TO_TEN) | tb) & DIGITS_B)) & TOPS ||
	    (a & DASHES_A) != WANT_A || (b & COLON_B) != WANT_B ||
	    (sep != ' ' && sep != 'T'))
		return 0;
	*y = byte_at(ta, 0) * 1000 + byte_at(ta, 1) * 100 + byte_at(ta, 2) * 10 +
	     byte_at(ta, 3);
	*mon = byte_at(ta, 5) * 10 + byte_at(ta, 6);
	*d = byte_at(tb, 0) * 10 + byte_at(tb, 1);
	*h = byte_at(tb, 3) * 10 + byte_at(tb, 4);
	*mi = byte_at(tb, 6) * 10 + byte_at(tb, 7);
	return 1;
}
#else
static int read_minute(const char *p, int *y, int *mon, int *d, int *h,
		       int *mi)
{
	int hi, lo;

	if (p[4] != '-' || p[7] != '-' || (hi = two(p)) < 0 ||
	    (lo = two(p + 2)) < 0 || (*mon = two(p + 5)) < 0 ||
	    (*d = two(p + 8)) < 0 || (p[10] != ' ' && p[10] != 'T') ||
	    p[13] != ':' || (*h = two(p + 11)) < 0 || (*mi = two(p + 14)) < 0)
		return 0;
	*y = hi * 100 + lo;
	return 1;
}
#endif

/* The shapes bp_date_read() reads by position.  Returns 1 with *t and
 * *has_time set, or 0 when the value is for the general parser (another
 * shape, a day or time that does not exist, a day near a change of the
 * source zone's offset).  Everything accepted here is accepted, with the
 * same result, by bp_date_parse() and bp_civil_to_time(). */
static int read_by_position(bp_date_reader *dr, const char *p, size_t n,
			    bp_time *t, int *has_time)
{
	const struct bp_date_day *e;
	int hi, lo, y, mon, d, h, mi, sec = 0, zulu = 0;
	size_t i;

	if (n >= 16) {
		if (!read_minute(p, &y, &mon, &d, &h, &mi) || mon < 1 || mon > 12 ||
		    d < 1 || d > days_in_month(y, mon) || h > 23 || mi > 59)
			return 0;
	} else {
		if (n != 10 || p[4] != '-' || p[7] != '-' || (hi = two(p)) < 0 ||
		    (lo = two(p + 2)) < 0 || (mon = two(p + 5)) < 1 || mon > 12 ||
		    (d = two(p + 8)) < 1 || d > days_in_month(y = hi * 100 + lo, mon))
			return 0;
		*t = day_entry(dr, y, mon, d)->report_midnight;
		*has_time = 0;
		return 1;
	}
	i = 16;
	if (i < n && p[i] == ':') {
		if (n < 19 || (sec = two(p + 17)) < 0 || sec > 59)
			return 0;
		i = 19;
		if (i < n && p[i] == '.') {
			if (++i >= n || !digit_at(p + i))
				return 0;
			while (i < n && digit_at(p + i))
				i++;
		}
	}
	if (i < n && p[i] == 'Z') {
		zulu = 1;
		i++;
	}
	if (i != n)
		return 0;
	e = day_entry(dr, y, mon, d);
	if (zulu)
		*t = e->days * DAY + h * 3600 + mi * 60 + sec;
	else if (e->src_midnight != BP_TIME_NONE)
		*t = e->src_midnight + h * 3600 + mi * 60 + sec;
	else
		return 0;
	*has_time = 1;
	return 1;
}

int bp_date_read(bp_date_reader *dr, const char *s, size_t n,
		 const char *fmt, bp_time *t, int *has_time)
{
	bp_civil c;
	int rc;

	if (!fmt && s && read_by_position(dr, s, n, t, has_time))
		return 1;
	if (n == 0) {
		/* Empty, as most stage dates are: missing, as parsed below. */
		*t = BP_TIME_NONE;
		*has_time = 0;
		return 0;
	}
	rc = bp_date_parse(s, n, fmt, &c);
	*t = rc > 0 ? bp_civil_to_time(&c, dr->src, dr->report) : BP_TIME_NONE;
	*has_time = rc > 0 && c.has_time;
	return rc;
}

int bp_time_format(bp_time t, const bp_tz *tz, char *buf, size_t size)
{
	int32_t off;
	int64_t local, secs;
	int y, m, d;
	char zone[48] = "Z";

	t = clamp_t(t);
	off = tz_lookup(tz, t, NULL);
	local = t + off;
	secs = local - floor_div(local, DAY) * DAY;
	bp_civil_from_days(floor_div(local, DAY), &y, &m, &d);
	if (tz && !tz->is_utc) {
		int a = off < 0 ? -off : off;

		if (a % 60)
			snprintf(zone, sizeof(zone), "%c%02d:%02d:%02d",
				 off < 0 ? '-' : '+', a / 3600, a / 60 % 60,
				 a % 60);
		else
			snprintf(zone, sizeof(zone), "%c%02d:%02d",
				 off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
	}
	return snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, m, d,
			(int)(secs / 3600), (int)(secs / 60 % 60),
			(int)(secs % 60), zone);
}

int bp_time_parse_arg(const char *s, const bp_tz *tz, bp_time *out)
{
	bp_civil c;
	size_t n;

	if (!s)
		return -1;
	while (is_blank((unsigned char)*s))
		s++;
	n = strlen(s);
	/* Only ISO 8601: 03/04/2026 would be read differently by different
	 * people, and a cut-off must mean one instant. */
	if (n < 10 || s[4] != '-' || bp_date_parse(s, n, NULL, &c) != 1)
		return -1;
	if (c.has_time || c.has_offset)
		*out = bp_civil_to_time(&c, tz, tz);
	else
		*out = bp_tz_from_local(tz, (bp_days_from_civil(c.y, c.mon,
							       c.d) + 1) * DAY) - 1;
	return 0;
}

bp_month bp_month_of_cached(const bp_tz *tz, bp_month_cache *c, bp_time t)
{
	if (t < c->lo || t > c->hi) {
		c->month = bp_month_of(tz, t);
		c->lo = bp_month_start(tz, c->month);
		c->hi = bp_month_end(tz, c->month);
	}
	return c->month;
}
