/*
 * ingest.h - reads each source's export with its preset and feeds the
 * funnel.
 *
 * A preset is the list of fields a kind of export has, each with the
 * header names it goes by in the wild.  Columns are found by header name
 * (compared case-insensitively, hyphens and double quotes ignored, runs of
 * spaces as one; a <column> override replaces the preset's names), never
 * by position.  When a file has two headers for one field (HubSpot's
 * current and older labels side by side), the name listed first in the
 * preset wins, wherever its column is.  Rows stream through: the only
 * memory that grows with the file is the contact index the deal join
 * needs.  Contacts must be read before deals.
 *
 * Data quality is counted per source (struct bp_quality), and what looks
 * wrong without being fatal (an empty export, stages that disagree with
 * the lifecycle stage, totals that disagree with the rows) is a warning
 * in it.  Fatal problems (missing required columns, an unparseable create
 * date or money amount, a foreign currency, an export whose rows cannot
 * be put in months) stop with BP_EDATA naming the file, line and column,
 * with err->source set to the source's id.
 *
 * This module owns the presets: config asks it which names exist.
 */
#ifndef BP_INGEST_H
#define BP_INGEST_H

#include <stdint.h>
#include "config.h"
#include "err.h"
#include "funnel.h"

/* ---- presets ---- */

/* Whether `name` is a preset for sources of `kind`. */
int bp_preset_exists(bp_source_kind kind, const char *name);

/* The preset a source of `kind` gets when it names none. */
const char *bp_preset_default(bp_source_kind kind);

/* The names of the presets for `kind`, joined with ", " into buf. */
void bp_preset_list(bp_source_kind kind, char *buf, size_t size);

/* Field i of preset `name` for `kind`: its id (what <column field="...">
 * names), or NULL when i is past the last field or the preset is unknown.
 * *required is set to 1 when a file must have it. */
const char *bp_preset_field(bp_source_kind kind, const char *name, size_t i,
			    int *required);

/* The k-th header name field i goes by, in order of preference; NULL
 * after the last. */
const char *bp_preset_header(bp_source_kind kind, const char *name, size_t i,
			     size_t k);

/* ---- data quality ---- */

typedef struct bp_unmatched {
	char *value;
	int64_t count;
} bp_unmatched;

/* How one field of the preset was found in the header. */
typedef struct bp_mapped {
	const char *field;   /* the field id (static) */
	char *header;        /* the header as written in the file; NULL: absent */
	int required;
	int by_range;        /* absent, and the export's date range stands in */
	int unnamed;         /* no header is looked for: the preset knows none
				and the config names none (Google Ads' `until`) */
} bp_mapped;

/* A total row the export carries ("Total: Account"), against the rows. */
typedef struct bp_total {
	char *label;
	bp_money cost, rows_cost;
	int64_t impressions, rows_impressions;
	int64_t clicks, rows_clicks;
	int has_impressions, has_clicks;
	int matches;
} bp_total;

/* What looks wrong but does not stop the run.  `code` is stable (the
 * report and tests key on it); `text` is a sentence for people. */
typedef struct bp_warning {
	const char *code;
	char *text;
} bp_warning;

typedef struct bp_quality {
	const bp_source *src;
	int64_t rows_read;          /* data rows after the header */
	int64_t rows_used;          /* rows that count for this run */
	int64_t footer_rows;        /* total/footer rows skipped */
	int64_t duplicates;         /* later rows of a repeated record ID */
	int64_t missing_id;         /* rows without a record ID, skipped */
	int64_t bad_dates;          /* unparseable optional dates, as missing */
	int64_t placeholder_dates;  /* optional dates "0000-00-00 ...", as missing */
	int64_t stage_before_create;
	int64_t close_before_create; /* deals closed before they were created */
	int64_t after_as_of;        /* rows with a date after as_of */
	int64_t unmatched_rows;     /* rows put in `other` by no rule */
	int64_t won_without_amount;
	int64_t won_without_close_date; /* won deals with no usable close date */
	int64_t lost_without_close_date; /* lost deals with none: never open */
	int64_t unknown_contact;    /* deals whose contact ID is not in contacts */
	int64_t no_association;     /* deals neither export links to a contact */
	int64_t notes_rows;         /* rows under the table (after an empty row) */
	int64_t narrow_rows;        /* records with fewer fields than the header:
				       the fields missing read as empty */
	long narrow_line;           /* the first one's line */
	int64_t wide_rows;          /* records with more fields than the header:
				       the fields past it are not read */
	long wide_line;             /* the first one's line */
	long bad_date_line;         /* the first unparseable optional date's */
	long bad_date_col;
	int bad_date_field;         /* its field, an index of `map` */
	char *bad_date;             /* its text, cleaned and cut */
	int64_t negative_cost;      /* spend rows with a cost below 0 (refunds,
				       credits): summed, and warned about */
	int64_t sanitized_values;   /* kept text (listed values, headers, labels)
				       with control characters or invalid UTF-8
				       replaced (text.h); a listed value once a row */
	int64_t truncated_values;   /* kept text cut to BP_TEXT_MAX bytes, likewise */
	int64_t unlisted_values;    /* distinct unmatched values not listed: their
				       rows are in the "(more values)" entry */
	int64_t stage_mismatch[BP_NSTAGES]; /* lifecycle stage X, no date for X or later */
	int64_t stage_mismatch_rows;
	int empty_export;           /* the export says its period had no data */
	char *range;                /* the export's own date range when its rows
				       are dated by it ("July 8, 2025 - July 31, 2025") */
	bp_unmatched *unmatched;    /* distinct values, most rows first, at most
				       100, then "(more values)" for the rest */
	size_t n_unmatched;
	bp_mapped *map;             /* one per preset field, preset order */
	size_t n_map;
	bp_total *totals;
	size_t n_totals;
	bp_warning *warnings;
	size_t n_warnings;
	unsigned long long bytes;   /* bytes read */
	int threads;                /* 2 when its rows were read in two halves
				       at once (bp_ingest_set_threads), else 1 */
} bp_quality;

/* The warning with `code` in q, or NULL. */
const bp_warning *bp_quality_warning(const bp_quality *q, const char *code);

void bp_quality_clear(bp_quality *q);

/* ---- reading ---- */

typedef struct bp_ingest bp_ingest;

/* Prepares ingestion for `cfg` into `f`.  Returns NULL when a source's
 * time zone cannot be loaded (err set). */
bp_ingest *bp_ingest_new(const bp_config *cfg, bp_funnel *f, bp_err *err);
void bp_ingest_free(bp_ingest *in);

/* Reads `path`, the download of `src` (for a connector's source, the
 * folder of its pull, read through the connector's rows); errors call it
 * `name`.  Fills `q`
 * (zero it first; free with bp_quality_clear), also when it fails: the
 * mapping found so far stays in q->map.  Returns 0 or -1. */
int bp_ingest_source(bp_ingest *in, const bp_source *src, const char *path,
		     const char *name, bp_quality *q, bp_err *err);

/* How a contacts file is read.  With `threads` 2 (the default where two
 * CPUs are online), a UTF-8 file of `min_bytes` (32 MiB by default) or
 * more is read in two halves at once: the second starts at the first
 * record boundary after byte `at` (0: the middle of the rows) and is read
 * on a thread of its own; the results are the ones one pass gives, rows
 * and errors alike (when a record ID is in both halves, or a value table
 * would overflow, the second half is read again after the first).
 * `threads` 1 reads every file in one pass, as BOARDPACK_THREADS=1 in the
 * environment (and BOARDPACK_FAIL_ALLOC) makes the default. */
void bp_ingest_set_threads(bp_ingest *in, int threads,
			   unsigned long long min_bytes, unsigned long long at);

/* Says that each source is hashed on another thread while it is read
 * (the run's archive): a contacts file is then read in two halves only
 * where parsing costs enough more than hashing that both save time
 * (measured on its first megabytes); with bp_ingest_set_threads' `at`
 * set, it always is. */
void bp_ingest_set_hashed_beside(bp_ingest *in, int beside);

/* How much of a contacts file is read alone and timed for that. */
#define BP_INGEST_PROBE_BYTES ((unsigned long long)2 << 20)

/* Whether the file at `path` reads as an export of `src`, without
 * reading its rows: the header row is found as bp_ingest_source finds it
 * and has every required column (an empty period's export passes).
 * Feeds nothing into the funnel.  A connector's source always passes.
 * Returns 0, or -1 with the error bp_ingest_source would give. */
int bp_ingest_check_header(bp_ingest *in, const bp_source *src,
			   const char *path, const char *name, bp_err *err);

/* Contacts held in the join index so far, and its size in bytes. */
size_t bp_ingest_index_count(const bp_ingest *in);
size_t bp_ingest_index_bytes(const bp_ingest *in);

#endif
