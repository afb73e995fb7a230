/*
 * labels.h - the words of the reports, one table per language.
 *
 * A template says bp:label('new_leads'); the words come from
 * <template folder>/labels/<language>.xml, so one template serves every
 * language and a language is added by writing one file:
 *
 *   <labels lang="zh-TW">
 *     <label key="new_leads">新潛在客戶</label>
 *     <label key="story.record-high">{1}創下 {3} 個月新高：{2}（{4}）。</label>
 *   </labels>
 *
 * Each run of white space in a label becomes one space (so long texts may
 * be wrapped in the file; a label that ends in a space keeps one).  A key the language lacks is looked up in
 * its base language (zh for zh-TW) and then in English, so a partial
 * translation still renders.  Placeholders {1}..{9} are filled by the
 * template (bp:fmt), in whatever order the language needs them.
 */
#ifndef BP_LABELS_H
#define BP_LABELS_H

#include "err.h"

typedef struct bp_labels bp_labels;

/* Loads the tables of `language` (NULL or "" means en) from `dir`:
 * <language>.xml, the base language's file when the language has a
 * region, and en.xml.  A file that does not exist is skipped (the table
 * may end up empty); one that is not well-formed, or whose root is not
 * <labels>, is BP_ECONFIG naming it and its line.  Returns a new table
 * (free with bp_labels_free) or NULL. */
bp_labels *bp_labels_load(const char *dir, const char *language, bp_err *err);

/* The text of `key` in the language, else its base language, else
 * English; NULL when no table has it.  Owned by the table. */
const char *bp_labels_get(const bp_labels *l, const char *key);

/* The English text of `key`, NULL when en.xml lacks it (to recognise a
 * default channel label, which is English, in a report of another
 * language). */
const char *bp_labels_english(const bp_labels *l, const char *key);

/* 1 when the language's own file (or its base language's) was found. */
int bp_labels_have_language(const bp_labels *l);

/* Frees the tables.  Accepts NULL. */
void bp_labels_free(bp_labels *l);

#endif
