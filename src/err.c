/*
 * err.c - filling and formatting bp_err values.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void bp_err_clear(bp_err *e)
{
	if (!e)
		return;
	memset(e, 0, sizeof(*e));
}

static void vset(bp_err *e, int code, const char *file, long line, long col,
		 const char *fmt, va_list ap)
{
	e->code = code;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
	e->col = col;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	e->source[0] = '\0';
	e->sub = 0;
}

int bp_err_set(bp_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vset(e, code, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int bp_err_at(bp_err *e, int code, const char *file, long line, long col,
	      const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vset(e, code, file, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

void bp_err_source(bp_err *e, const char *id)
{
	if (e)
		snprintf(e->source, sizeof(e->source), "%s", id ? id : "");
}

void bp_err_format(const bp_err *e, char *buf, size_t size)
{
	char where[600] = "";

	if (e->file[0] && e->line && e->col)
		snprintf(where, sizeof(where), "%s:%ld:%ld: ", e->file, e->line, e->col);
	else if (e->file[0] && e->line)
		snprintf(where, sizeof(where), "%s:%ld: ", e->file, e->line);
	else if (e->file[0])
		snprintf(where, sizeof(where), "%s: ", e->file);
	if (e->source[0])
		snprintf(buf, size, "%s%s (source '%s')", where, e->msg, e->source);
	else
		snprintf(buf, size, "%s%s", where, e->msg);
}
