/*
 * mem.c - allocation that does not fail (mem.h): the one place boardpack
 * learns that memory ran out.
 *
 * For the fault tests (tests/fault/alloc) it can also fail an allocation
 * on purpose: the Nth one (BOARDPACK_FAIL_ALLOC), or the first one made
 * from a given call site (BOARDPACK_FAIL_ALLOC_SITE), and list the call
 * sites a run reaches (BOARDPACK_ALLOC_REPORT).  A site is the return
 * address of the allocator's caller, named as the module it lies in and
 * its offset there ("boardpack+0x1f2e3", "libxml2.so.2+0x5a1b0"), which
 * is the same in every run of one build whatever the address space
 * layout.  With none of the variables set this costs one test of a flag
 * per allocation.
 */
#include "mem.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libxml/xmlmemory.h>

#define SITE_SLOTS 16384   /* distinct call sites a run can record */
#define SITE_NAME 160      /* "module+0xoffset" */

/* The allocation that is to fail for a test (0: none), and how many have
 * been made since bp_mem_init (by any thread). */
static unsigned long fail_at;
static atomic_ulong made;

/* Call sites, when BOARDPACK_ALLOC_REPORT or BOARDPACK_FAIL_ALLOC_SITE is
 * set: every distinct return address seen, in an open-addressing table
 * that only grows, shared by the threads under `site_lock`. */
static int track_sites;
static int report_fd = -1;
static char fail_site[SITE_NAME];
static pthread_mutex_t site_lock = PTHREAD_MUTEX_INITIALIZER;
static struct site {
	const void *ra;    /* NULL: free slot */
	int fails;         /* the site of BOARDPACK_FAIL_ALLOC_SITE */
} sites[SITE_SLOTS];

_Noreturn void bp_oom(void)
{
	static const char msg[] = "boardpack: error: out of memory\n";
	static atomic_flag said = ATOMIC_FLAG_INIT;

	/* Threads that run out together say so once: the first ends the
	 * process, the others wait for it. */
	if (atomic_flag_test_and_set(&said))
		for (;;)
			pause();
	/* No stdio: it may want memory itself. */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more can be said */
	}
	_exit(BP_ESOFTWARE);
}

/* "module+0xoffset" for a code address.  dladdr takes no memory from
 * these allocators, so it may run inside them. */
static void site_name(const void *ra, char *buf, size_t size)
{
	Dl_info info;
	const char *base;

	if (!dladdr(ra, &info) || !info.dli_fname) {
		snprintf(buf, size, "?+%p", ra);
		return;
	}
	base = strrchr(info.dli_fname, '/');
	base = base ? base + 1 : info.dli_fname;
	snprintf(buf, size, "%s+0x%lx", *base ? base : "?",
		 (unsigned long)((const char *)ra - (const char *)info.dli_fbase));
}

/* A site seen for the first time: reported, and marked if it is the one
 * to fail.  The report is written as sites appear, with write(2), so it
 * is whole when the process ends in bp_oom. */
static void site_add(struct site *s, const void *ra)
{
	char name[SITE_NAME], line[SITE_NAME + 1];
	int n;

	s->ra = ra;
	site_name(ra, name, sizeof(name));
	s->fails = fail_site[0] && strcmp(name, fail_site) == 0;
	n = snprintf(line, sizeof(line), "%s\n", name);
	if (report_fd >= 0 && n > 0 && write(report_fd, line, (size_t)n) < 0) {
		/* a report that cannot be written shows up as missing sites */
	}
}

/* Whether the allocation made from `ra` is to fail. */
static int site_fails(const void *ra)
{
	size_t i = ((uintptr_t)ra >> 2) % SITE_SLOTS, probes;
	int fails = 0;

	pthread_mutex_lock(&site_lock);
	for (probes = 0; probes < SITE_SLOTS; probes++, i = (i + 1) % SITE_SLOTS) {
		if (sites[i].ra == ra || !sites[i].ra) {
			if (!sites[i].ra)
				site_add(&sites[i], ra);
			fails = sites[i].fails;
			break;
		}
	}
	pthread_mutex_unlock(&site_lock);
	return fails;
}

/* Whether an allocation from call site `ra` is to fail for a test. */
static int injected(const void *ra)
{
	if (fail_at && ++made == fail_at)
		return 1;
	return track_sites && site_fails(ra);
}

static void *malloc_at(size_t n, const void *ra)
{
	void *p = injected(ra) ? NULL : malloc(n ? n : 1);

	if (!p)
		bp_oom();
	return p;
}

static void *calloc_at(size_t n, size_t size, const void *ra)
{
	void *p = injected(ra) ? NULL : calloc(n ? n : 1, size ? size : 1);

	if (!p)
		bp_oom();
	return p;
}

static void *realloc_at(void *p, size_t n, const void *ra)
{
	void *q = injected(ra) ? NULL : realloc(p, n ? n : 1);

	if (!q)
		bp_oom();
	return q;
}

static char *strndup_at(const char *s, size_t n, const void *ra)
{
	size_t len = strnlen(s, n);
	char *d = malloc_at(len + 1, ra);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* Each allocator names its own caller: __builtin_return_address(0) here,
 * never in a helper it calls, so a site is where boardpack (or a library)
 * asked for the memory. */
#define CALLER __builtin_return_address(0)

void *bp_xmalloc(size_t n)
{
	return malloc_at(n, CALLER);
}

void *bp_xcalloc(size_t n, size_t size)
{
	return calloc_at(n, size, CALLER);
}

void *bp_xrealloc(void *p, size_t n)
{
	return realloc_at(p, n, CALLER);
}

void *bp_xmalloc_aligned(size_t align, size_t n)
{
	void *p = NULL;

	if (injected(CALLER) || posix_memalign(&p, align, n ? n : 1) != 0)
		bp_oom();
	return p;
}

void *bp_xcalloc_huge(size_t n, size_t size)
{
	const void *ra = CALLER;
	void *p;

	if (size && n > SIZE_MAX / size)
		bp_oom();
	if (n * size < BP_HUGE_MIN)
		return calloc_at(n, size, ra);
	p = injected(ra) ? MAP_FAILED : mmap(NULL, n * size, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		bp_oom();
#ifdef MADV_HUGEPAGE
	/* Only a hint: refused, the memory is the same. */
	(void)madvise(p, n * size, MADV_HUGEPAGE);
#endif
	return p;
}

void bp_free_huge(void *p, size_t n, size_t size)
{
	if (n * size < BP_HUGE_MIN)
		free(p);
	else if (p)
		munmap(p, n * size);
}

void *bp_xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		bp_oom();
	return realloc_at(p, n * size, CALLER);
}

char *bp_xstrndup(const char *s, size_t n)
{
	return strndup_at(s, n, CALLER);
}

char *bp_xstrdup(const char *s)
{
	return s ? strndup_at(s, strlen(s), CALLER) : NULL;
}

char *bp_xasprintf(const char *fmt, ...)
{
	const void *ra = CALLER;
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		bp_oom();
	s = malloc_at((size_t)n + 1, ra);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* libxml2 and libcurl want a strdup of their own signature. */
static char *lib_strdup(const char *s)
{
	return s ? strndup_at(s, strlen(s), CALLER) : NULL;
}

static void *lib_calloc(size_t n, size_t size)
{
	return calloc_at(n, size, CALLER);
}

/* BOARDPACK_ALLOC_REPORT and BOARDPACK_FAIL_ALLOC_SITE. */
static void sites_init(void)
{
	const char *report = getenv("BOARDPACK_ALLOC_REPORT");
	const char *site = getenv("BOARDPACK_FAIL_ALLOC_SITE");

	if (report_fd >= 0)
		close(report_fd);
	report_fd = report && *report ?
		    open(report, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
	snprintf(fail_site, sizeof(fail_site), "%s", site ? site : "");
	memset(sites, 0, sizeof(sites));
	track_sites = report_fd >= 0 || fail_site[0];
}

void bp_mem_init(void)
{
	const char *n = getenv("BOARDPACK_FAIL_ALLOC");

	fail_at = n ? strtoul(n, NULL, 10) : 0;
	made = 0;
	sites_init();
	xmlMemSetup(free, bp_xmalloc, bp_xrealloc, lib_strdup);
	curl_global_init_mem(CURL_GLOBAL_DEFAULT, bp_xmalloc, free, bp_xrealloc,
			     lib_strdup, lib_calloc);
	json_set_alloc_funcs(bp_xmalloc, free);
}
