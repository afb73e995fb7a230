/*
 * idx.c - open-addressing hash index of record IDs.
 *
 * Two tables.  IDs that are numbers below 2^40 (every record ID HubSpot
 * hands out) go into 8-byte slots that hold the number and the value
 * together; any other ID into 16-byte slots, a number or the hash of a
 * string kept in the arena.  An ID's table follows from the ID alone, so a
 * lookup probes one table.  The values are few and repeat (a contact's
 * cohort and channel), so a small slot holds the value's number in the
 * order values were first put (24 bits), and `vals` maps it back; past
 * 2^24 distinct values (not an export boardpack reads), new ones spill
 * into the large slots, which lookups of small IDs then probe too.
 */
#include "idx.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* An empty slot is all zero bytes, so a fresh table is calloc'd (in huge
 * pages when large: every probe of a big index lands on a random page) and the
 * emptiness test reads the slot the probe needs anyway (no side array,
 * no second cache miss). */
#define EMPTY 0
#define NUMERIC 1

typedef struct slot {
	uint64_t key;    /* the number, or the string's hash */
	uint32_t str;    /* EMPTY, NUMERIC, or arena offset + 2 */
	uint32_t value;
} slot;

/* A small slot: 0, or (number + 1) << 24 | the value's number. */
typedef uint64_t small;
#define SMALL_BITS 24
#define SMALL_VID ((((uint64_t)1) << SMALL_BITS) - 1)
#define SMALL_MAX ((((uint64_t)1) << 40) - 2)  /* number + 1 fits 40 bits */

struct bp_idx {
	small *sm;       /* numbers up to SMALL_MAX */
	size_t smcap, smcount;  /* power of two */
	slot *slots;     /* every other ID, and the spilled ones */
	size_t cap, count;      /* power of two */
	int spill;       /* some small IDs are in `slots` */
	uint32_t *vals;  /* value number -> value */
	size_t nvals, capvals;
	size_t maxvals;  /* numbers a small slot can hold */
	uint32_t *vmap;  /* value -> its number + 1, open addressing */
	size_t vmapcap;
	char *arena;     /* strings: uint32 length, then bytes */
	size_t arena_len, arena_cap;
	bp_idx *below;   /* IDs held before this table's, read after it */
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return mix(h);
}

/* Returns 1 and the number when `s` is all digits, at most 19 of them, and
 * has no leading zero (so "007" and "7" stay different IDs). */
static int numeric_id(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return 1;
}

static int is_small(bp_idx_key k)
{
	return k.numeric && k.key <= SMALL_MAX;
}

bp_idx *bp_idx_new(void)
{
	bp_idx *ix = bp_xcalloc(1, sizeof(*ix));

	ix->smcap = 1024;
	ix->sm = bp_xcalloc_huge(ix->smcap, sizeof(small));
	ix->cap = 64;
	ix->slots = bp_xcalloc_huge(ix->cap, sizeof(slot));
	ix->maxvals = SMALL_VID + 1;
	return ix;
}

void bp_idx_free(bp_idx *ix)
{
	if (!ix)
		return;
	bp_idx_free(ix->below);
	bp_free_huge(ix->sm, ix->smcap, sizeof(small));
	bp_free_huge(ix->slots, ix->cap, sizeof(slot));
	free(ix->vals);
	free(ix->vmap);
	free(ix->arena);
	free(ix);
}

static int str_equal(const bp_idx *ix, uint32_t str, const char *s, size_t n)
{
	uint32_t len;
	const char *p = ix->arena + str - 2;

	memcpy(&len, p, sizeof(len));
	return len == n && memcmp(p + sizeof(len), s, n) == 0;
}

/* Finds the large slot for a key: the one holding it, or the empty one
 * where it would go. */
static size_t probe(const bp_idx *ix, uint64_t key, int numeric,
		    const char *s, size_t n)
{
	size_t mask = ix->cap - 1;
	size_t i = (size_t)(numeric ? mix(key) : key) & mask;

	while (ix->slots[i].str != EMPTY) {
		const slot *sl = &ix->slots[i];

		if (sl->key == key && (numeric ? sl->str == NUMERIC :
				       sl->str != NUMERIC && str_equal(ix, sl->str, s, n)))
			return i;
		i = (i + 1) & mask;
	}
	return i;
}

/* The same for a small slot. */
static size_t probe_small(const bp_idx *ix, uint64_t key)
{
	size_t mask = ix->smcap - 1;
	size_t i = (size_t)mix(key) & mask;
	uint64_t want = key + 1;

	while (ix->sm[i] != 0 && ix->sm[i] >> SMALL_BITS != want)
		i = (i + 1) & mask;
	return i;
}

/* At most 70% full: linear probing stays within a cache line or two,
 * and ten million IDs fit in 2^24 slots rather than 2^25. */
static int fits(size_t cap, size_t n)
{
	return n <= cap / 10 * 7;
}

static void rehash(bp_idx *ix, size_t cap)
{
	size_t i, mask = cap - 1;
	slot *slots = bp_xcalloc_huge(cap, sizeof(slot));

	for (i = 0; i < ix->cap; i++) {
		const slot *sl = &ix->slots[i];
		size_t j;

		if (sl->str == EMPTY)
			continue;
		j = (size_t)(sl->str == NUMERIC ? mix(sl->key) : sl->key) & mask;
		while (slots[j].str != EMPTY)
			j = (j + 1) & mask;
		slots[j] = *sl;
	}
	bp_free_huge(ix->slots, ix->cap, sizeof(slot));
	ix->slots = slots;
	ix->cap = cap;
}

static void rehash_small(bp_idx *ix, size_t cap)
{
	size_t i, mask = cap - 1;
	small *sm = bp_xcalloc_huge(cap, sizeof(small));

	for (i = 0; i < ix->smcap; i++) {
		size_t j;

		if (ix->sm[i] == 0)
			continue;
		j = (size_t)mix((ix->sm[i] >> SMALL_BITS) - 1) & mask;
		while (sm[j] != 0)
			j = (j + 1) & mask;
		sm[j] = ix->sm[i];
	}
	bp_free_huge(ix->sm, ix->smcap, sizeof(small));
	ix->sm = sm;
	ix->smcap = cap;
}

/* The capacity, from `cap` up, that holds `n`; 0 past any this machine
 * can address. */
static size_t cap_for(size_t cap, size_t n, size_t size)
{
	while (!fits(cap, n)) {
		if (cap > SIZE_MAX / 4 / size)
			return 0;
		cap *= 2;
	}
	return cap;
}

int bp_idx_reserve(bp_idx *ix, size_t n)
{
	size_t have = ix->smcount + ix->count;
	size_t nl, ns, cs, cl;

	/* Beyond any table this machine can address (and where the share
	 * below would not come back from a double exactly). */
	if (n > SIZE_MAX / 4 / sizeof(slot))
		return -1;
	/* Shared between the tables as the IDs so far are. */
	nl = have ? (size_t)((double)n * (double)ix->count / (double)have) : 0;
	ns = n - (nl < n ? nl : n);
	cs = cap_for(ix->smcap, ns, sizeof(small));
	cl = cap_for(ix->cap, nl, sizeof(slot));

	if (!cs || !cl)
		return -1;
	if (cs != ix->smcap)
		rehash_small(ix, cs);
	if (cl != ix->cap)
		rehash(ix, cl);
	return 0;
}

static int arena_add(bp_idx *ix, const char *s, size_t n, uint32_t *str)
{
	uint32_t len = (uint32_t)n;
	size_t need = ix->arena_len + sizeof(len) + n;

	if (n > UINT32_MAX || need >= UINT32_MAX - 2)
		return -1;
	if (need > ix->arena_cap) {
		size_t cap = ix->arena_cap ? ix->arena_cap : 4096;
		while (cap < need)
			cap *= 2;
		ix->arena = bp_xrealloc(ix->arena, cap);
		ix->arena_cap = cap;
	}
	memcpy(ix->arena + ix->arena_len, &len, sizeof(len));
	memcpy(ix->arena + ix->arena_len + sizeof(len), s, n);
	*str = (uint32_t)ix->arena_len + 2;
	ix->arena_len = need;
	return 0;
}

/* The number of `value`, numbered now when new; -1 when every number is
 * taken. */
static long value_number(bp_idx *ix, uint32_t value)
{
	size_t i, mask;

	if ((ix->nvals + 1) * 2 > ix->vmapcap) {
		size_t cap = ix->vmapcap ? ix->vmapcap * 2 : 64, k;
		uint32_t *m = bp_xcalloc(cap, sizeof(*m));

		for (k = 0; k < ix->nvals; k++) {
			for (i = (size_t)mix(ix->vals[k]) & (cap - 1); m[i];
			     i = (i + 1) & (cap - 1))
				;
			m[i] = (uint32_t)k + 1;
		}
		free(ix->vmap);
		ix->vmap = m;
		ix->vmapcap = cap;
	}
	mask = ix->vmapcap - 1;
	for (i = (size_t)mix(value) & mask; ix->vmap[i]; i = (i + 1) & mask)
		if (ix->vals[ix->vmap[i] - 1] == value)
			return (long)ix->vmap[i] - 1;
	if (ix->nvals >= ix->maxvals)
		return -1;
	BP_GROW(ix->vals, ix->nvals + 1, ix->capvals);
	ix->vals[ix->nvals] = value;
	ix->vmap[i] = (uint32_t)++ix->nvals;
	return (long)ix->nvals - 1;
}

bp_idx_key bp_idx_key_of(const char *id, size_t n)
{
	bp_idx_key k;

	k.numeric = numeric_id(id, n, &k.key);
	if (!k.numeric)
		k.key = hash_bytes(id, n);
	return k;
}

void bp_idx_prefetch_key(const bp_idx *ix, bp_idx_key k)
{
	const void *at = is_small(k) ?
		(const void *)&ix->sm[(size_t)mix(k.key) & (ix->smcap - 1)] :
		(const void *)&ix->slots[(size_t)(k.numeric ? mix(k.key) : k.key) &
					 (ix->cap - 1)];

#if defined(__GNUC__)
	/* Into every level of the cache (prefetcht0): sixteen rows later the
	 * insert finds it in L1; a hint of L2 only left the CPU about 15% more
	 * work per contact on this index. */
	__builtin_prefetch(at, 1, 3);
#else
	(void)at;
#endif
}

void bp_idx_prefetch(const bp_idx *ix, const char *id, size_t n)
{
	bp_idx_prefetch_key(ix, bp_idx_key_of(id, n));
}

/* Looks a key up in ix's own tables (not those below it). */
static int get_here(const bp_idx *ix, bp_idx_key k, const char *s, size_t n,
		    uint32_t *value)
{
	size_t i;

	if (is_small(k)) {
		i = probe_small(ix, k.key);
		if (ix->sm[i] != 0) {
			if (value)
				*value = ix->vals[ix->sm[i] & SMALL_VID];
			return 1;
		}
		if (!ix->spill)
			return 0;
	}
	i = probe(ix, k.key, k.numeric, s, n);
	if (ix->slots[i].str == EMPTY)
		return 0;
	if (value)
		*value = ix->slots[i].value;
	return 1;
}

/* Looks a key up in the tables below ix (not ix itself). */
static int get_below(const bp_idx *ix, bp_idx_key k, const char *s, size_t n,
		     uint32_t *value)
{
	const bp_idx *t;

	for (t = ix->below; t; t = t->below)
		if (get_here(t, k, s, n, value))
			return 1;
	return 0;
}

int bp_idx_get(const bp_idx *ix, const char *id, size_t n, uint32_t *value)
{
	bp_idx_key k = bp_idx_key_of(id, n);

	return get_here(ix, k, id, n, value) || get_below(ix, k, id, n, value);
}

/* Puts a new ID (in no table of the chain) into the large slots. */
static int put_large(bp_idx *ix, bp_idx_key k, const char *id, size_t n,
		     uint32_t value)
{
	uint32_t str = NUMERIC;
	size_t i;

	if (!k.numeric && arena_add(ix, id, n, &str) < 0)
		return -1;
	if (!fits(ix->cap, ix->count + 1))
		rehash(ix, ix->cap * 2);
	i = probe(ix, k.key, k.numeric, id, n);
	ix->slots[i] = (slot){ k.key, str, value };
	ix->count++;
	return 1;
}

int bp_idx_put_key(bp_idx *ix, bp_idx_key k, const char *id, size_t n,
		   uint32_t value, uint32_t *old)
{
	size_t i;
	long vid;

	if (!is_small(k)) {
		if (get_here(ix, k, id, n, old) ||
		    (ix->below && get_below(ix, k, id, n, old)))
			return 0;
		return put_large(ix, k, id, n, value);
	}
	/* The small slot probed once: where the ID is, or where it goes. */
	i = probe_small(ix, k.key);
	if (ix->sm[i] != 0) {
		if (old)
			*old = ix->vals[ix->sm[i] & SMALL_VID];
		return 0;
	}
	if ((ix->spill && get_here(ix, k, id, n, old)) ||
	    (ix->below && get_below(ix, k, id, n, old)))
		return 0;
	if ((vid = value_number(ix, value)) < 0) {
		ix->spill = 1;
		return put_large(ix, k, id, n, value);
	}
	if (!fits(ix->smcap, ix->smcount + 1)) {
		rehash_small(ix, ix->smcap * 2);
		i = probe_small(ix, k.key);
	}
	ix->sm[i] = (k.key + 1) << SMALL_BITS | (uint64_t)vid;
	ix->smcount++;
	return 1;
}

int bp_idx_put(bp_idx *ix, const char *id, size_t n, uint32_t value,
	       uint32_t *old)
{
	return bp_idx_put_key(ix, bp_idx_key_of(id, n), id, n, value, old);
}

void bp_idx_set_value_limit(bp_idx *ix, size_t n)
{
	if (n <= SMALL_VID + 1)
		ix->maxvals = n;
}

void bp_idx_chain(bp_idx *ix, bp_idx *below)
{
	while (ix->below)
		ix = ix->below;
	ix->below = below;
}

/* How far ahead bp_idx_disjoint() loads the slots it will probe. */
#define AHEAD 16

/* Whether an ID of b is in a or its chain. */
static int in_chain(const bp_idx *a, bp_idx_key k, const char *s, size_t n)
{
	return get_here(a, k, s, n, NULL) || get_below(a, k, s, n, NULL);
}

int bp_idx_disjoint(const bp_idx *a, const bp_idx *b)
{
	bp_idx_key at[AHEAD];
	size_t i, k, n = 0;

	/* b's slots are read in order; a's, at random, AHEAD at a time. */
	for (i = 0; i < b->smcap;) {
		for (; n < AHEAD && i < b->smcap; i++) {
			if (b->sm[i] == 0)
				continue;
			at[n].key = (b->sm[i] >> SMALL_BITS) - 1;
			at[n].numeric = 1;
			bp_idx_prefetch_key(a, at[n]);
			n++;
		}
		for (k = 0; k < n; k++)
			if (in_chain(a, at[k], NULL, 0))
				return 0;
		n = 0;
	}
	for (i = 0; i < b->cap; i++) {
		const slot *sl = &b->slots[i];
		bp_idx_key key = { sl->key, sl->str == NUMERIC };
		const char *s = NULL;
		uint32_t len = 0;

		if (sl->str == EMPTY)
			continue;
		if (!key.numeric) {
			memcpy(&len, b->arena + sl->str - 2, sizeof(len));
			s = b->arena + sl->str - 2 + sizeof(len);
		}
		if (in_chain(a, key, s, len))
			return 0;
	}
	return 1;
}

size_t bp_idx_count(const bp_idx *ix)
{
	return ix->smcount + ix->count + (ix->below ? bp_idx_count(ix->below) : 0);
}

size_t bp_idx_bytes(const bp_idx *ix)
{
	return ix->smcap * sizeof(small) + ix->cap * sizeof(slot) +
	       ix->arena_cap + ix->capvals * sizeof(*ix->vals) +
	       ix->vmapcap * sizeof(*ix->vmap) +
	       (ix->below ? bp_idx_bytes(ix->below) : 0);
}
