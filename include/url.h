/*
 * url.h - the one scheme policy and the one way a URL is shown.
 *
 * Sources are fetched over https:// or read from file://; plain http://
 * only where a source says insecure-http="true"; nothing else.  A URL is
 * never shown with the user name, password, query string or fragment it
 * may carry: that is where secrets hide.
 */
#ifndef BP_URL_H
#define BP_URL_H

#include <stddef.h>

typedef enum bp_scheme {
	BP_SCHEME_NONE,    /* no scheme: a plain path */
	BP_SCHEME_FILE,
	BP_SCHEME_HTTPS,
	BP_SCHEME_HTTP,
	BP_SCHEME_OTHER
} bp_scheme;

/* The scheme of `url` (compared case-insensitively); *len, when not NULL,
 * is set to the scheme's length before the ':'. */
bp_scheme bp_url_scheme(const char *url, size_t *len);

/* Whether `url` has "user[:password]@" before its host. */
int bp_url_has_userinfo(const char *url);

/* `url` for messages and logs: without userinfo, query and fragment.
 * Cut to size - 1 bytes (a message, never a path). */
void bp_url_shown(const char *url, char *buf, size_t size);

#endif
