/*
 * ingest.h - reads each source's export with its preset and feeds the
 * funnel.
 *
 * Columns are found by header name (a preset's aliases compared case-
 * insensitively, hyphens as spaces, runs of spaces as one; a <column>
 * override replaces them), never by position.  Rows stream through: the
 * only memory that grows with the file is the contact index the deal join
 * needs.  Contacts must be read before deals.
 *
 * Data quality is counted per source (struct bp_quality); fatal problems
 * (a missing required column, an unparseable create date or money amount,
 * a foreign currency) stop with BP_EDATA naming the file, line and column.
 */
#ifndef BP_INGEST_H
#define BP_INGEST_H

#include <stdint.h>
#include "config.h"
#include "err.h"
#include "funnel.h"

typedef struct bp_unmatched {
	char *value;
	int64_t count;
} bp_unmatched;

typedef struct bp_quality {
	const bp_source *src;
	int64_t rows_read;          /* data rows after the header */
	int64_t rows_used;          /* rows that count for this run */
	int64_t footer_rows;        /* total/footer rows skipped */
	int64_t duplicates;         /* later rows of a repeated record ID */
	int64_t missing_id;         /* rows without a record ID, skipped */
	int64_t bad_dates;          /* unparseable optional dates, as missing */
	int64_t stage_before_create;
	int64_t after_as_of;        /* rows with a date after as_of */
	int64_t unmatched_rows;     /* rows put in `other` by no rule */
	int64_t won_without_amount;
	int64_t won_without_close_date; /* won deals with no usable close date */
	int64_t unknown_contact;    /* won deals without a known contact */
	bp_unmatched *unmatched;    /* distinct values, most first after finish */
	size_t n_unmatched;
	unsigned long long bytes;   /* bytes read */
} bp_quality;

typedef struct bp_ingest bp_ingest;

/* Prepares ingestion for `cfg` into `f`.  Returns NULL when out of memory
 * or when a source's time zone cannot be loaded (err set). */
bp_ingest *bp_ingest_new(const bp_config *cfg, bp_funnel *f, bp_err *err);
void bp_ingest_free(bp_ingest *in);

/* Reads `path`, the download of `src`; errors call it `name`.  Fills `q`
 * (zero it first; free with bp_quality_clear).  Returns 0 or -1. */
int bp_ingest_source(bp_ingest *in, const bp_source *src, const char *path,
		     const char *name, bp_quality *q, bp_err *err);

/* Contacts held in the join index so far, and its size in bytes. */
size_t bp_ingest_index_count(const bp_ingest *in);
size_t bp_ingest_index_bytes(const bp_ingest *in);

void bp_quality_clear(bp_quality *q);

#endif
