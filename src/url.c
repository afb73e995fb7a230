/*
 * url.c - URL schemes and the redacted form of a URL (url.h).
 */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bp_scheme bp_url_scheme(const char *url, size_t *len)
{
	size_t i = 1;

	if (len)
		*len = 0;
	if (!isalpha((unsigned char)url[0]))
		return BP_SCHEME_NONE;
	while (isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' ||
	       url[i] == '.')
		i++;
	if (url[i] != ':')
		return BP_SCHEME_NONE;
	if (len)
		*len = i;
	if (i == 4 && !strncasecmp(url, "file", 4))
		return BP_SCHEME_FILE;
	if (i == 5 && !strncasecmp(url, "https", 5))
		return BP_SCHEME_HTTPS;
	if (i == 4 && !strncasecmp(url, "http", 4))
		return BP_SCHEME_HTTP;
	return BP_SCHEME_OTHER;
}

/* Where the authority ("user@host:port") begins, or NULL. */
static const char *authority(const char *url)
{
	const char *p = strstr(url, "://");

	return p ? p + 3 : NULL;
}

int bp_url_has_userinfo(const char *url)
{
	const char *host = authority(url);

	return host && memchr(host, '@', strcspn(host, "/?#")) != NULL;
}

void bp_url_shown(const char *url, char *buf, size_t size)
{
	const char *host = authority(url);
	const char *rest = host ? host : url;
	const char *at = host ? memchr(host, '@', strcspn(host, "/?#")) : NULL;

	if (at)
		rest = at + 1;
	snprintf(buf, size, "%.*s%.*s", (int)(host ? host - url : 0), url,
		 (int)strcspn(rest, "?#"), rest);
}
