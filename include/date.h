/*
 * date.h - instants, calendar months, time zones and date parsing.
 *
 * Time zones come from the system's zoneinfo (TZif files under
 * /usr/share/zoneinfo, or $TZDIR), parsed here, so converting an instant
 * needs no global state (no setenv("TZ"), no localtime()).
 *
 * Everything but bp_tz_load() is pure computation, and a loaded bp_tz is
 * never modified, so threads may share one.  Wherever a `const bp_tz *`
 * is taken, NULL means UTC.
 */
#ifndef BP_DATE_H
#define BP_DATE_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* Seconds since 1970-01-01T00:00:00Z. */
typedef int64_t bp_time;
#define BP_TIME_NONE INT64_MIN

/* A calendar month as one integer: year * 12 + (month - 1). */
typedef int32_t bp_month;

typedef struct bp_tz bp_tz;

/* Loads a time zone by IANA name ("Asia/Seoul", "UTC", "Etc/GMT+5").
 * NULL, "" and "UTC" mean UTC and read no file.  Others are read from
 * $TZDIR, or /usr/share/zoneinfo when TZDIR is unset or empty.  Returns
 * NULL with BP_ECONFIG "unknown time zone 'NAME'" when the name is
 * absolute, contains "..", has no file, or the file is not valid TZif
 * (v1, v2, v3 or v4; its POSIX TZ footer governs instants after its last
 * transition).  The caller frees the zone with bp_tz_free(). */
bp_tz *bp_tz_load(const char *name, bp_err *err);
void bp_tz_free(bp_tz *tz);                 /* accepts NULL */
const char *bp_tz_name(const bp_tz *tz);    /* owned by tz; NULL: "UTC" */

/* Offset from UTC, in seconds east, in force at instant t.  A binary
 * search; cheap enough to call per row. */
int32_t bp_tz_offset(const bp_tz *tz, bp_time t);

/* The instant at which the wall clock in `tz` reads `local` (seconds since
 * 1970-01-01T00:00:00 as if that clock were UTC).  In a gap (spring
 * forward) the offset before the transition is used, so 02:30 on a
 * skipped night is 03:30 after it; in an overlap (fall back) the earlier
 * instant is returned. */
bp_time bp_tz_from_local(const bp_tz *tz, int64_t local);

/* The local calendar month of instant t in tz. */
bp_month bp_month_of(const bp_tz *tz, bp_time t);

/* A remembered month and its bounds, for callers that look up many
 * instants of the same months: most lookups then skip the zone search.
 * Start it with BP_MONTH_CACHE_INIT; one per thread. */
typedef struct bp_month_cache {
	bp_month month;
	bp_time lo, hi;
} bp_month_cache;
#define BP_MONTH_CACHE_INIT { 0, 1, 0 }

/* bp_month_of(tz, t), through the cache `c`. */
bp_month bp_month_of_cached(const bp_tz *tz, bp_month_cache *c, bp_time t);

/* The first instant of month m in tz, and the last second of it.  When
 * midnight is skipped, the month starts at the transition. */
bp_time bp_month_start(const bp_tz *tz, bp_month m);
bp_time bp_month_end(const bp_tz *tz, bp_month m);

/* "YYYY-MM" <-> bp_month.  Parse takes exactly 7 characters, month
 * 01-12, and returns -1 on anything else.  Format writes "XXXX-XX" for
 * years outside 0000-9999. */
int bp_month_parse(const char *s, bp_month *out);
void bp_month_format(bp_month m, char buf[8]);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back.  A
 * month outside 1-12 or a day outside the month carries over (month 13
 * is January of the next year), which month arithmetic relies on. */
int64_t bp_days_from_civil(int y, int m, int d);
void bp_civil_from_days(int64_t days, int *y, int *m, int *d);

/* A date or timestamp as written in a file, before time zones. */
typedef struct bp_civil {
	int y, mon, d, h, min, s;
	int has_time;    /* a time of day was given */
	int has_offset;  /* 'Z' or +HH:MM was given */
	int32_t offset;  /* seconds east of UTC when has_offset */
} bp_civil;

/* Parses a date or timestamp.  `fmt` NULL or "auto" accepts:
 *   YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM|±HHMM],
 *   YYYY/MM/DD [HH:MM[:SS]], MM/DD/YYYY [HH:MM[:SS] [AM|PM]], YYYYMMDD, YYYYMM,
 *   "Jul 8, 2025", "July 8, 2025", "8 July 2025", "8 Jul 2025".
 * Otherwise `fmt` is a strptime-like pattern with %Y %m %d %H %M %S %b %B
 * %p %z and literal characters (e.g. "%d/%m/%Y %H:%M"), plus %y (two
 * digits, 69-99 are 19xx), %e and %h as in strptime; a blank in the
 * pattern matches any run of blanks; %Y and a month are required, the
 * day defaults to 1.  Auto also takes 1-digit months, days and hours in
 * the slash forms, "Sept", "AM"/"PM" after any time and a blank before
 * an offset.  Fractions of a second are dropped.  Reads exactly n bytes
 * of s (no NUL needed).  Surrounding blanks are ignored.  Returns 1 on
 * success, 0 when the field is missing (empty, "--"), -1 when the text is
 * not a date in that format or the date does not exist (2026-02-30,
 * 24:00, second 60).  `out` is all zeros unless 1 is returned. */
int bp_date_parse(const char *s, size_t n, const char *fmt, bp_civil *out);

/* Turns a parsed value into an instant: with an offset, exactly; with a
 * time but no offset, as wall-clock time in `src`; a date with no time, as
 * the start of that day in `report` (a calendar date stays in its month in
 * the report). */
bp_time bp_civil_to_time(const bp_civil *c, const bp_tz *src,
			 const bp_tz *report);

/* Whether a value that is not a date is the "no date" placeholder some
 * systems write instead of an empty field: all its digits are zeros,
 * at least eight of them ("0000-00-00", "0000-00-00 00:00",
 * "0000-00-00T00:00:00.000Z", "00/00/0000", "00000000"), with nothing
 * but date and time separators around them.  Surrounding blanks are
 * ignored.  No such value is a date (there is no month 0), so
 * bp_date_parse() refuses every one; callers tell them apart from typos
 * with this. */
int bp_date_placeholder(const char *s, size_t n);

/* ---- dates row after row ---- */

/* Reading an export's dates one after another: bp_date_parse() followed by
 * bp_civil_to_time(), with the work shared between values of the same day.
 * Values shaped YYYY-MM-DD, optionally followed by ' ' or 'T', HH:MM,
 * optionally :SS and a fraction ".fff", and optionally 'Z' (HubSpot's
 * export and API forms) are read by position; the calendar day they name
 * is checked first (month 01-12, a day the month has), then looked up in
 * a small table of days already seen, which holds the day's midnight in
 * the source zone (when that zone's offset is the same all day and some
 * hours around it) and in the report zone.  Every other value, and every
 * value of such a shape that fails a check, goes through the general
 * parser, so the results are exactly the general ones whatever the order
 * of the values: tests/fuzz/fuzz_fastpath.c holds the two to that.
 * One per thread; init it before use. */
#define BP_DATE_DAYS 1024
typedef struct bp_date_reader {
	const bp_tz *src, *report;
	struct bp_date_day {
		int32_t key;             /* 0: empty (no valid date has key 0) */
		int64_t days;            /* since 1970-01-01 */
		bp_time src_midnight;    /* BP_TIME_NONE: the offset changes near it */
		bp_time report_midnight;
	} day[BP_DATE_DAYS];
} bp_date_reader;

/* Empties the table of days; values with a time and no offset are read in
 * `src`, dates without a time in `report` (as bp_civil_to_time()). */
void bp_date_reader_init(bp_date_reader *dr, const bp_tz *src,
			 const bp_tz *report);

/* bp_date_parse(s, n, fmt, &c) and, when it returns 1,
 * bp_civil_to_time(&c, src, report) into *t and c.has_time into
 * *has_time.  Returns what bp_date_parse() returns; *t is BP_TIME_NONE
 * and *has_time 0 unless 1 is returned. */
int bp_date_read(bp_date_reader *dr, const char *s, size_t n,
		 const char *fmt, bp_time *t, int *has_time);

/* Writes t as ISO 8601 in tz: "2026-10-31T23:59:59+09:00" ("Z" for UTC
 * offsets of zero when the zone is UTC).  Returns the length.
 * "Z" is used for zones that are always UTC (UTC, Etc/UTC, Etc/GMT), not
 * for Europe/London in winter; offsets with seconds (before 1900) are
 * written +HH:MM:SS.  Like snprintf, the text is cut to size - 1 bytes
 * and the length it would have had is returned; BP_TIME_TEXT_SIZE bytes
 * always suffice for years 0000-9999. */
#define BP_TIME_TEXT_SIZE 32
int bp_time_format(bp_time t, const bp_tz *tz, char *buf, size_t size);

/* Parses a --as-of value: an ISO 8601 timestamp with offset, or without
 * one (read in `tz`), or a date (its last second in `tz`).  Only forms
 * starting YYYY-MM-DD are taken: a cut-off must not depend on how
 * 03/04/2026 is read.  Returns 0, or -1 on a malformed text. */
int bp_time_parse_arg(const char *s, const bp_tz *tz, bp_time *out);

#endif
