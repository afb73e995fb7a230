/*
 * log.h - messages to stderr.
 *
 * The only module-level state in boardpack: how chatty to be.  Modules may
 * log progress (bp_log_info) but never errors: errors travel back in a
 * bp_err and main.c prints them.  Never pass a secret to these functions.
 */
#ifndef BP_LOG_H
#define BP_LOG_H

#include "err.h"

enum { BP_LOG_QUIET = 0, BP_LOG_NORMAL = 1, BP_LOG_VERBOSE = 2 };

void bp_log_set_level(int level);
int bp_log_level(void);

/* "boardpack: ..." on stderr at NORMAL and above. */
void bp_log_info(const char *fmt, ...) BP_PRINTF(1, 2);
/* Only at VERBOSE. */
void bp_log_debug(const char *fmt, ...) BP_PRINTF(1, 2);
/* Always printed, even when quiet ("boardpack: warning: ..."). */
void bp_log_warn(const char *fmt, ...) BP_PRINTF(1, 2);

/* A progress line for long work, redrawn in place; printed only when
 * stderr is a terminal and the level is NORMAL or above.  End it with
 * bp_log_progress_done(), which moves to a new line if one was drawn. */
void bp_log_progress(const char *fmt, ...) BP_PRINTF(1, 2);
void bp_log_progress_done(void);

/* CPU seconds the calling thread has used (0 where that cannot be told):
 * for timing lines, and for what a part of the work costs. */
double bp_thread_cpu(void);

#endif
