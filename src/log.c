/*
 * log.c - stderr messages with one verbosity setting.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int level = BP_LOG_NORMAL;
static int progress_shown;

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

void bp_log_progress(const char *fmt, ...)
{
	va_list ap;

	if (level < BP_LOG_NORMAL || !isatty(STDERR_FILENO))
		return;
	fputs("\rboardpack: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
	progress_shown = 1;
}

void bp_log_progress_done(void)
{
	if (!progress_shown)
		return;
	fputc('\n', stderr);
	progress_shown = 0;
}

double bp_thread_cpu(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
