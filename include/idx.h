/*
 * idx.h - record-ID index: maps export record IDs to small integers.
 *
 * The one structure whose memory grows with the number of rows: joining
 * deals to contacts needs every contact's channel and cohort.  IDs that are
 * decimal numbers of up to 19 digits (HubSpot's) are stored as 64-bit
 * integers; any other ID is kept as a string in an arena.  Open addressing,
 * at most 70% full: numbers below 2^40 (every HubSpot record ID) in 8-byte
 * slots with their value, 11 to 23 bytes per ID; others in 16-byte slots,
 * 23 to 46 bytes per ID.
 */
#ifndef BP_IDX_H
#define BP_IDX_H

#include <stddef.h>
#include <stdint.h>

typedef struct bp_idx bp_idx;

bp_idx *bp_idx_new(void);
void bp_idx_free(bp_idx *ix);

/* Looks up `id` (n bytes).  Returns 1 and sets *value when found, else 0. */
int bp_idx_get(const bp_idx *ix, const char *id, size_t n, uint32_t *value);

/* Inserts `id` with `value` unless present.  Returns 1 when inserted, 0
 * when the ID was already there (its value is left and written to *old
 * when old is not NULL), -1 when the IDs that are not numbers would
 * take more than 4 GiB. */
int bp_idx_put(bp_idx *ix, const char *id, size_t n, uint32_t value,
	       uint32_t *old);

/* Starts loading the slot where `id` would be, so the cache miss of a
 * large index overlaps with the caller's other work on the row before it
 * calls bp_idx_get or bp_idx_put.  A hint: no effect on results. */
void bp_idx_prefetch(const bp_idx *ix, const char *id, size_t n);

/* What the index files an ID under, worked out once for an ID that is
 * prefetched now and put later (bp_idx_key_of, bp_idx_prefetch_key,
 * bp_idx_put_key: the same as bp_idx_prefetch and bp_idx_put). */
typedef struct bp_idx_key {
	uint64_t key;    /* the number, or the hash of the bytes */
	int numeric;
} bp_idx_key;

bp_idx_key bp_idx_key_of(const char *id, size_t n);
void bp_idx_prefetch_key(const bp_idx *ix, bp_idx_key k);
int bp_idx_put_key(bp_idx *ix, bp_idx_key k, const char *id, size_t n,
		   uint32_t value, uint32_t *old);

/* Makes room for `n` IDs in all, so that inserting them never rehashes
 * (a rehash of a large index costs as much as building it, and holds the
 * old and new tables at once).  Returns 0, or -1 when `n` is beyond any
 * table this machine can address (the index is unchanged). */
int bp_idx_reserve(bp_idx *ix, size_t n);

/* Lets the small slots hold at most `n` distinct values (2^24 unless set
 * lower; IDs put with further values go into the large slots): for
 * tests, which reach that limit this way. */
void bp_idx_set_value_limit(bp_idx *ix, size_t n);

/* Puts the table `below` under ix (and its chain): lookups and inserts
 * see every table of the chain, ix's first, so an ID in both reads as
 * ix's, as if below's IDs had been inserted after ix's; new IDs go into
 * ix, and freeing ix frees below.  For IDs read in parts of a file at
 * once, each part into its own table. */
void bp_idx_chain(bp_idx *ix, bp_idx *below);

/* 1 when no ID of b's own table is in ix or any table of its chain, 0
 * when one is. */
int bp_idx_disjoint(const bp_idx *ix, const bp_idx *b);

/* Number of IDs and bytes held (for the benchmark's bytes-per-contact),
 * over the whole chain. */
size_t bp_idx_count(const bp_idx *ix);
size_t bp_idx_bytes(const bp_idx *ix);

#endif
