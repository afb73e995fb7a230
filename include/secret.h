/*
 * secret.h - reading credentials: a token or password kept in a file that
 * only its owner may read, and wiping secrets before they are freed.
 * Shared by the downloads (bearer tokens) and the mail (SMTP passwords).
 */
#ifndef BP_SECRET_H
#define BP_SECRET_H

#include "err.h"

/* The secret in file `path`: one line, trailing blanks and newline
 * dropped.  Messages call it "<kind> file '<path>' of <owner>" ("token",
 * "source 'crm'").
 * Refused when the file is readable by group or others, empty, longer
 * than 8 KiB or more than one line.  Returns a new string (free with
 * bp_secret_free), or NULL with BP_ECONFIG.  The secret itself never
 * appears in a message. */
char *bp_secret_read_file(const char *path, const char *kind,
			  const char *owner, bp_err *err);

/* Overwrites the string and frees it.  Accepts NULL. */
void bp_secret_free(char *s);

#endif
