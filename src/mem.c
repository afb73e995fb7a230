/*
 * mem.c - allocation that does not fail (mem.h): the one place boardpack
 * learns that memory ran out.
 */
#include "mem.h"

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

/* The allocation that is to fail for a test (0: none), and how many have
 * been made since bp_mem_init (by any thread). */
static unsigned long fail_at;
static atomic_ulong made;

_Noreturn void bp_oom(void)
{
	static const char msg[] = "boardpack: error: out of memory\n";

	/* No stdio: it may want memory itself. */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more can be said */
	}
	_exit(BP_ESOFTWARE);
}

static int injected(void)
{
	return fail_at && ++made == fail_at;
}

void *bp_xmalloc(size_t n)
{
	void *p = injected() ? NULL : malloc(n ? n : 1);

	if (!p)
		bp_oom();
	return p;
}

void *bp_xcalloc(size_t n, size_t size)
{
	void *p = injected() ? NULL : calloc(n ? n : 1, size ? size : 1);

	if (!p)
		bp_oom();
	return p;
}

void *bp_xrealloc(void *p, size_t n)
{
	void *q = injected() ? NULL : realloc(p, n ? n : 1);

	if (!q)
		bp_oom();
	return q;
}

void *bp_xcalloc_huge(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		bp_oom();
	if (n * size < BP_HUGE_MIN)
		return bp_xcalloc(n, size);
	p = injected() ? MAP_FAILED : mmap(NULL, n * size, PROT_READ | PROT_WRITE,
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
	return bp_xrealloc(p, n * size);
}

char *bp_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = bp_xmalloc(len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *bp_xstrdup(const char *s)
{
	return s ? bp_xstrndup(s, strlen(s)) : NULL;
}

char *bp_xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		bp_oom();
	s = bp_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* libxml2 and libcurl want a strdup of their own signature. */
static char *lib_strdup(const char *s)
{
	return bp_xstrdup(s);
}

static void *lib_calloc(size_t n, size_t size)
{
	return bp_xcalloc(n, size);
}

void bp_mem_init(void)
{
	const char *n = getenv("BOARDPACK_FAIL_ALLOC");

	fail_at = n ? strtoul(n, NULL, 10) : 0;
	made = 0;
	xmlMemSetup(free, bp_xmalloc, bp_xrealloc, lib_strdup);
	curl_global_init_mem(CURL_GLOBAL_DEFAULT, bp_xmalloc, free, bp_xrealloc,
			     lib_strdup, lib_calloc);
	json_set_alloc_funcs(bp_xmalloc, free);
}
