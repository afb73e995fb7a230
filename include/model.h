/*
 * model.h - the run's numbers as files: cohorts.csv, channels.csv and
 * metrics.xml (docs/metrics-xml.md), every ratio derived per METRICS.md.
 */
#ifndef BP_MODEL_H
#define BP_MODEL_H

#include <libxml/tree.h>

#include "config.h"
#include "err.h"
#include "funnel.h"
#include "ingest.h"

/* The months before the window the comparisons reach back to (METRICS.md:
 * year on year over trailing twelve months): a funnel made for the model
 * covers cfg->months + BP_MODEL_LOOKBACK months ending with the period. */
#define BP_MODEL_LOOKBACK 12

/* What the run knows about itself. */
typedef struct bp_run_info {
	bp_time generated;     /* when the run started (UTC) */
	bp_month period;
	bp_time as_of;
	const char *version;
} bp_run_info;

/* A source as archived in the snapshot. */
typedef struct bp_source_file {
	const bp_source *src;
	const char *file;      /* path inside the snapshot: "sources/crm.csv" */
	unsigned long long bytes;   /* digests are in MANIFEST.sha256 */
} bp_source_file;

/* Builds metrics.xml.  The caller frees the document with xmlFreeDoc().
 * Every sum (over channels, groups, months, spans, with the <cost>
 * entries) is checked: one that would pass 64 bits gives NULL with
 * BP_EDATA.  A funnel filled through its add functions never does (its
 * bounds refuse the row first, where it can be named). */
xmlDocPtr bp_model_build(const bp_config *cfg, const bp_funnel *f,
			 const bp_quality *q, const bp_source_file *files,
			 size_t n_sources, const bp_run_info *run, bp_err *err);

/* Writes cohorts.csv, channels.csv and metrics.xml into `dir`.
 * Returns 0, or -1 with BP_ECANTCREAT. */
int bp_model_write(xmlDocPtr metrics, const char *dir, bp_err *err);

/* Records in `metrics` how every cohort's counts changed since the
 * snapshot `prev` (its metrics.xml document; `prev_stamp` its folder
 * name, e.g. "2026-10-01T060003Z"): a <drift> element holding one
 * <change> per (cohort, channel, count) that differs, as a signed
 * difference.  Cohorts absent from either document are not compared.
 * When the cohorts both hold have lost more than a twentieth of their
 * contacts (at least ten), a warning (source "drift", code
 * "contacts-shrank") says so: contacts do not leave their cohort. */
void bp_model_drift(xmlDocPtr metrics, xmlDocPtr prev, const char *prev_stamp);

/* The metrics.xml of snapshot folder `dir`, or NULL when it cannot be
 * read or parsed.  Free with xmlFreeDoc(). */
xmlDocPtr bp_model_read(const char *dir);

/* Attribute `name` of a metrics document's <run> element ("period",
 * "as-of") into buf, "" when absent; cut to size - 1 bytes. */
void bp_model_run_attr(xmlDocPtr doc, const char *name, char *buf, size_t size);

#endif
