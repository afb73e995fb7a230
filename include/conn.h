/*
 * conn.h - connectors: sources read from a vendor's API instead of a URL.
 *
 * A connector is one file under src/conn/ and one line in the table of
 * conn.c, in the manner of curl's protocol handlers: a `const
 * bp_conn_ops` of what it knows (the source kinds it reads, the preset
 * its rows are in, how to check an account id) and what it does (fetch,
 * rows, probe).  The config, the downloads, the archiving and ingest ask
 * the table; nothing else switches on a connector's name.
 *
 * A fetch writes everything the vendor answered, each JSON page or the
 * export file, byte for byte (except that any secret the answer echoes,
 * such as an access token inside Meta's paging links, is replaced by
 * "[secret]"), plus an index.json of the requests (URLs with every secret
 * removed), into a staging folder "<cache>/.<id>.XXXXXX" that becomes
 * "<cache>/<id>/" only when the whole pull succeeded.  That folder is what
 * the snapshot archives and what --offline and --from-snapshot read: rows
 * turns it back into a CSV the source's preset reads, so a connector's
 * data goes through the same ingest as an exported file.
 *
 * Errors name the source, the vendor's error code and its message; the
 * exit status says what to do: BP_ECONFIG (78) for refused credentials,
 * expired tokens and invalid_grant, with how to renew them; BP_ETEMPFAIL
 * (75) for a daily limit (try later); BP_EUNAVAIL (69) for a vendor still
 * failing after the retries; BP_EDATA (65) for an answer that is not what
 * the API documents.  Secrets never appear in a message or a log line.
 */
#ifndef BP_CONN_H
#define BP_CONN_H

#include <stdio.h>

#include "config.h"
#include "err.h"

typedef struct bp_conn bp_conn;          /* one source's session (conn.c) */
typedef struct bp_conn_resp bp_conn_resp;
typedef struct bp_conn_verdict bp_conn_verdict;

/* The days a fetch asks for, "YYYY-MM-DD" each, in the vendor's days. */
typedef struct bp_conn_window {
	char since[16], until[16];
} bp_conn_window;

/* What `check --online` prints of an account. */
typedef struct bp_conn_probe {
	char name[160];
	char currency[16];
	char timezone[64];
	char note[200];
} bp_conn_info;

typedef struct bp_conn_ops {
	const char *name;        /* connector="NAME" */
	const char *vendor;      /* for messages: "Google Ads" */
	unsigned kinds;          /* 1u << bp_source_kind of each kind it reads */
	const char *preset;      /* the preset its rows are written in */
	const char *base;        /* the API's scheme and host */
	const char *token_url;   /* its OAuth2 token endpoint */
	const char *auth_url;    /* its OAuth2 authorization endpoint */
	/* The redirect URI `boardpack auth` uses unless <oauth redirect-uri>:
	 * one the vendor's app settings must list exactly; NULL: any
	 * loopback port will do (Google's desktop clients). */
	const char *redirect_uri;
	const char *scope;       /* the OAuth2 scope it reads with */
	const char *account_what;/* "customer id, 10 digits"; NULL: no account */
	/* The source attributes only this connector takes ("method"),
	 * NULL-terminated; NULL: none. */
	const char *const *attrs;
	/* The account as the API wants it, from what the config says, or
	 * NULL with `why` saying what was expected. */
	char *(*account)(const char *given, char *why, size_t size);
	/* Pulls the window's data through bp_conn_call. */
	int (*fetch)(bp_conn *c, bp_err *err);
	/* Writes the canonical CSV of the fetched folder `dir` to `out`;
	 * `currency` is the report's, for records that carry their own. */
	int (*rows)(const bp_source *src, const char *dir, const char *currency,
		    FILE *out, bp_err *err);
	/* One cheap call: the account's name, currency and time zone. */
	int (*probe)(bp_conn *c, bp_conn_info *p, bp_err *err);
	/* Reads a vendor's error answer (conn_int.h); NULL: status only. */
	void (*verdict)(bp_conn *c, const bp_conn_resp *r, bp_conn_verdict *v);
} bp_conn_ops;

/* The connector `name`, or NULL. */
const bp_conn_ops *bp_conn_find(const char *name);

/* The connector that alone takes source attribute `attr` (its attrs),
 * or NULL when the attribute is not one connector's. */
const bp_conn_ops *bp_conn_attr_owner(const char *attr);

/* The connectors' names joined with ", " into buf. */
void bp_conn_names(char *buf, size_t size);

/* Pulls source `src` of `cfg` into "<cache>/<id>/" (replacing an earlier
 * pull only when this one is complete).  Returns 0 or -1 with err. */
int bp_conn_fetch(const bp_config *cfg, const bp_source *src,
		  const char *cache, const bp_conn_window *w, bp_err *err);

/* Whether `dir` holds a complete pull (its index.json). */
int bp_conn_pulled(const char *dir);

/* The canonical CSV of the pull in `dir`, in an unnamed temporary file
 * (O_TMPFILE in $TMPDIR or /tmp, mode 0600): *fd is its descriptor,
 * which the caller closes; "/proc/self/fd/N" opens it.  Money in another
 * currency than `currency` (the report's) stops it: an ad account's
 * whole pull, a HubSpot deal of its own.  Returns 0 or -1 with err
 * (BP_EDATA for pages that are not what the API documents, or money in
 * another currency, saying where to change it). */
int bp_conn_rows(const bp_source *src, const char *dir, const char *currency,
		 int *fd, bp_err *err);

/* check --online: one cheap call with the source's credentials.  Tokens
 * are cached in `cache` as for a fetch.  Returns 0 or -1 with err. */
int bp_conn_probe(const bp_config *cfg, const bp_source *src,
		  const char *cache, bp_conn_info *p, bp_err *err);

/* `boardpack auth ID`: the OAuth2 installed-app flow for <oauth id=ID>:
 * prints the authorization URL (with PKCE and a state) on `say`, listens
 * on 127.0.0.1 for the browser's redirect (at most `wait_s` seconds),
 * exchanges the code and writes the refresh token to the client's
 * refresh-token-file (0600, atomically).  Returns 0 or -1 with err
 * (BP_ECONFIG: no such client, no source uses it, no refresh-token-file,
 * the user or the endpoint refused). */
int bp_conn_authorize(const bp_config *cfg, const char *id, FILE *say,
		      int wait_s, bp_err *err);

/* Whether `uri` is a redirect URI `boardpack auth` can listen for:
 * http://127.0.0.1:PORT or http://localhost:PORT, PORT 1-65535, then an
 * optional path, no query or fragment.  Sets *port and *path (within uri;
 * "" for none).  Returns 0 or -1. */
int bp_conn_redirect_parse(const char *uri, int *port, const char **path);

/* What messages call a connector source: "hubspot API (https://...)". */
void bp_conn_source_name(const bp_source *src, char *buf, size_t size);

#endif
