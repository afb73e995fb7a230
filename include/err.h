/*
 * err.h - the error value every boardpack module reports through.
 *
 * Modules never print and never exit.  A function that can fail takes a
 * caller-owned `bp_err *`, fills it on failure and returns -1 (or NULL).
 * Only main.c prints the message and turns `code` into the exit status.
 *
 * `code` is one of the exit statuses of the command-line contract, so the
 * module that knows what went wrong also decides how the process ends.
 */
#ifndef BP_ERR_H
#define BP_ERR_H

#include <stddef.h>

enum {
	BP_OK = 0,
	BP_EUSAGE = 64,     /* bad command line */
	BP_EDATA = 65,      /* bad input data */
	BP_ENOINPUT = 66,   /* input missing */
	BP_EUNAVAIL = 69,   /* a source or server unavailable */
	BP_ESOFTWARE = 70,  /* internal error (out of memory, a bug) */
	BP_ECANTCREAT = 73, /* cannot write output */
	BP_ETEMPFAIL = 75,  /* temporary failure: try again later */
	BP_ECONFIG = 78     /* bad configuration */
};

typedef struct bp_err {
	int code;        /* BP_E*, 0 when no error was set */
	char file[512];  /* file at fault, "" when none */
	long line;       /* 1-based, 0 when unknown */
	long col;        /* 1-based, 0 when unknown */
	char msg[1024];  /* lowercase, says what went wrong first */
	char source[64]; /* the config's id of the source at fault, "" when none */
	int sub;         /* a module's own refinement of `code`, 0 when none:
			    callers decide on it, never on the text */
} bp_err;

#if defined(__GNUC__)
#define BP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BP_PRINTF(f, a)
#endif

/* Clears `e` (code 0, empty message).  Accepts NULL. */
void bp_err_clear(bp_err *e);

/* Sets code and message; clears file/line/col, source and sub.  Returns
 * -1 so callers can write `return bp_err_set(err, BP_EDATA, "...")`.
 * Accepts a NULL `e`. */
int bp_err_set(bp_err *e, int code, const char *fmt, ...) BP_PRINTF(3, 4);

/* Like bp_err_set, with the place in a file the error is about.  `file` may
 * be NULL; `line` and `col` may be 0 when unknown. */
int bp_err_at(bp_err *e, int code, const char *file, long line, long col,
	      const char *fmt, ...) BP_PRINTF(6, 7);

/* Names the source an error is about (its config id); the formatted
 * message ends with " (source 'id')".  Keeps the rest of `e`. */
void bp_err_source(bp_err *e, const char *id);

/* Writes "file:line:col: msg (source 'id')" (parts that are unknown left
 * out) into buf. */
void bp_err_format(const bp_err *e, char *buf, size_t size);

#endif
