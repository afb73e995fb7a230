/*
 * mem.h - allocation that does not fail.
 *
 * boardpack's out-of-memory policy, for every module and every library it
 * uses: an allocation that cannot be satisfied ends the process at once
 * with "boardpack: error: out of memory" and exit status 70, as git's
 * xmalloc and redis's zmalloc do.  No caller checks for NULL, and no
 * function returns NULL or an error for want of memory.  Nothing is left
 * half-written by it: outputs are built under temporary names and only
 * renamed into place when complete, so a process that ends here leaves at
 * most a temporary folder, which the next run removes.
 *
 * bp_mem_init() routes libxml2's, libcurl's and jansson's allocations
 * through the same functions, so their out-of-memory paths end the same
 * way; libharu and OpenSSL take the functions where they are created.
 *
 * For tests (read by bp_mem_init): BOARDPACK_FAIL_ALLOC=N makes the Nth
 * allocation from then on fail as if memory had run out (counted over
 * all threads, so where a run has several at work the Nth differs from
 * one run to the next: the site below is what reproduces);
 * BOARDPACK_ALLOC_REPORT=FILE appends to FILE, once each, the call sites
 * that allocate ("boardpack+0x1f2e3": the module and the offset of the
 * allocator's return address, the same in every run of one build), and
 * BOARDPACK_FAIL_ALLOC_SITE=SITE makes the first allocation from SITE
 * fail.  Any thread may be the one that fails.  tests/fault/alloc uses
 * them to fail every site a run reaches, in turn.
 */
#ifndef BP_MEM_H
#define BP_MEM_H

#include <stddef.h>

#include "err.h"

void *bp_xmalloc(size_t n);
void *bp_xcalloc(size_t n, size_t size);
void *bp_xrealloc(void *p, size_t n);
/* realloc for n elements of `size` bytes; the product is checked. */
void *bp_xreallocarray(void *p, size_t n, size_t size);
/* bp_xcalloc for a large table that is read at random (a hash index of
 * millions): from BP_HUGE_MIN bytes on it is mapped on its own, in huge
 * pages where the system gives them, so that a probe does not miss the
 * TLB as well as the cache.  Free it with bp_free_huge() and the same
 * n and size; that accepts NULL. */
#define BP_HUGE_MIN ((size_t)4 << 20)
void *bp_xcalloc_huge(size_t n, size_t size);
void bp_free_huge(void *p, size_t n, size_t size);
/* `n` bytes at an address that is a multiple of `align` (a power of two,
 * at least sizeof(void *)), as direct I/O wants; free() frees it. */
void *bp_xmalloc_aligned(size_t align, size_t n);
char *bp_xstrdup(const char *s);          /* NULL gives NULL */
char *bp_xstrndup(const char *s, size_t n);
char *bp_xasprintf(const char *fmt, ...) BP_PRINTF(1, 2);

/* Ends the process as out of memory (the allocators call it). */
_Noreturn void bp_oom(void);

/* Installs the allocators above in the libraries and reads the test
 * variables above.  Call once, first thing in main. */
void bp_mem_init(void);

/* Makes room in the array `a` (of `cap` elements) for `n` elements,
 * doubling as needed: one macro for every array that grows.  Arguments
 * are evaluated more than once. */
#define BP_GROW(a, n, cap) do { \
	if ((n) > (cap)) { \
		size_t bp_grow_cap_ = (cap) ? (cap) : 8; \
		while (bp_grow_cap_ < (n)) \
			bp_grow_cap_ *= 2; \
		(a) = bp_xreallocarray((a), bp_grow_cap_, sizeof(*(a))); \
		(cap) = bp_grow_cap_; \
	} \
} while (0)

#endif
