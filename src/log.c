/*
 * log.c - stderr messages with one verbosity setting.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static int level = BP_LOG_NORMAL;

void bp_log_set_level(int l) { level = l; }
int bp_log_level(void) { return level; }

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "boardpack: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void bp_log_info(const char *fmt, ...)
{
	va_list ap;

	if (level < BP_LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void bp_log_debug(const char *fmt, ...)
{
	va_list ap;

	if (level < BP_LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void bp_log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}
