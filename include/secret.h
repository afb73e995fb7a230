/*
 * secret.h - reading credentials: a token or password kept in a file that
 * only its owner may read, and wiping secrets before they are freed.
 * Shared by the downloads (bearer tokens), the connectors (OAuth2 client
 * secrets, refresh tokens, key files) and the mail (SMTP passwords).
 *
 * Which files pass, the same for every secret file:
 *   - a regular file: a FIFO, device or folder is refused, and opening
 *     never blocks (the file is opened non-blocking and fstat'ed before
 *     anything is read, so what is checked is what is read);
 *   - not readable or writable by group or others (mode 0600 or 0400),
 *     as ssh demands of a private key; a symbolic link is followed
 *     (secret stores such as Kubernetes mount secrets as links) and the
 *     file it leads to is what must be private;
 *   - owned by the user boardpack runs as, or by root: a file another
 *     user owns is theirs to read and to change;
 *   - at most its size limit: a longer file is refused, never cut.
 * These are refused, not warned about: a secret that others can read is
 * already disclosed, and a run from cron has no one to read a warning.
 */
#ifndef BP_SECRET_H
#define BP_SECRET_H

#include <stddef.h>

#include "err.h"

/* The largest one-line secret file, its line end included. */
#define BP_SECRET_FILE_MAX 8192

/* The secret in file `path`: one line, without its line end (LF or CR
 * LF) and the spaces before it.  Messages call it "<kind> file '<path>'
 * of <owner>" ("token", "source 'crm'").
 * Refused, besides the rules above: a file larger than
 * BP_SECRET_FILE_MAX bytes, an empty one, one of more than one line, and
 * a line holding a carriage return or any other control character
 * (bytes below 0x20 and 0x7f; tokens go into headers, where a CR or LF
 * would end the header).  Returns a new string (free with
 * bp_secret_free), or NULL with BP_ECONFIG.  The secret itself never
 * appears in a message. */
char *bp_secret_read_file(const char *path, const char *kind,
			  const char *owner, bp_err *err);

/* The whole of file `path` (a key file of several lines), at most `max`
 * bytes, NUL-terminated; its length in *len unless len is NULL.
 * Messages call it "<what> '<path>' of <owner>".  Refused by the rules
 * above, or when larger than `max`.  Returns a new buffer (free with
 * bp_secret_free), or NULL with BP_ECONFIG. */
char *bp_secret_read_all(const char *path, const char *what,
			 const char *owner, size_t max, size_t *len,
			 bp_err *err);

/* Overwrites the string and frees it.  Accepts NULL. */
void bp_secret_free(char *s);

#endif
