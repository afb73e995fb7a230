/*
 * config.h - the one XML config file, validated and resolved.
 *
 * bp_config_load() parses the file with libxml2, validates it against the
 * RELAX NG schema compiled into the binary (errors carry file and line and
 * say what was expected), then resolves defaults so the rest of the program
 * never has to: channels (METRICS.md's table when <channels> is absent, and
 * `other` always present, last), the channel rules of every contacts and
 * traffic source, time zones, months (12), output dir, relative paths.
 *
 * Relative paths and file:// URLs resolve against the config file's folder.
 */
#ifndef BP_CONFIG_H
#define BP_CONFIG_H

#include <stddef.h>
#include "err.h"
#include "date.h"
#include "num.h"

typedef enum bp_source_kind {
	BP_SRC_CONTACTS,
	BP_SRC_DEALS,
	BP_SRC_SPEND,
	BP_SRC_TRAFFIC
} bp_source_kind;
/* The count, for tables indexed by kind (outside the enum, so a switch
 * over the kinds still must name every one). */
#define BP_SRC_NKINDS (BP_SRC_TRAFFIC + 1)

/* <column field="created" name="Create Date" format="%d/%m/%Y"/>
 * `field` is not checked here: the names are the ingest presets'. */
typedef struct bp_column {
	char *field;   /* the preset's field name */
	char *name;    /* header text in the file; NULL keeps the preset's */
	char *format;  /* date format; NULL means auto */
} bp_column;

/* A rule: a source value (compared case-insensitively, ignoring
 * surrounding blanks) that puts a row into a channel. */
typedef struct bp_rule {
	char *match;
	int channel;   /* index into bp_config.channels */
} bp_rule;

typedef struct bp_source {
	bp_source_kind kind;
	char *id;           /* default: the kind name ("contacts") */
	char *url;          /* https://, http:// (only with insecure_http) or an
			       absolute, percent-encoded file:// URL; NULL for
			       a connector's source */
	char *url_given;    /* the url attribute as written, for messages */
	char *preset;       /* "hubspot", "google-ads", "linkedin", "meta", "ga4",
			       "csv"; default hubspot (contacts, deals), ga4 */
	char *timezone;     /* NULL: the report's */
	char *ca_file;      /* absolute path: its own, else report/@ca-file;
			       NULL: system CAs */
	char *token_env, *token_file, *user_env, *password_env; /* token_file absolute */
	int insecure_http;  /* plain http:// allowed */
	int channel;        /* spend: channel index; -1 elsewhere */
	int amount_monthly; /* deals: amount="monthly" (default annual) */
	char *pipeline;     /* contacts: the lifecycle stage pipeline's name in
			       'Date entered "Lead (...)"' headers; NULL:
			       HubSpot's "Lifecycle Stage Pipeline" */
	char **won_stages;  /* deals: extra won stage names */
	size_t n_won_stages;
	char **lost_stages; /* deals: extra lost stage names */
	size_t n_lost_stages;
	bp_rule *rules;     /* contacts/traffic: configured rules, then defaults */
	size_t n_rules;
	bp_column *columns;
	size_t n_columns;
	long timeout_s;     /* whole transfer, default 300 */
	long long max_bytes;/* default 2 GiB */
	int retries;        /* default 4 */
	long line;          /* where its start tag is in the config, for messages */
	/* A source read through a connector (conn.h) instead of a url. */
	char *connector;    /* its name ("hubspot"); NULL: a url source */
	char *account;      /* normalised account id; NULL when not used */
	char *api_base;     /* "https://host[:port]"; NULL: the vendor's */
	int oauth;          /* index into bp_config.oauth, -1: none */
	char *login_customer_id; /* google-ads: 10 digits, NULL: none */
	char *linkedin_version;  /* linkedin: YYYYMM, NULL: the default */
	int export_method;  /* hubspot: method="export" */
	int pacing;         /* keep under the vendor's rate limits (default 1) */
} bp_source;

/* <oauth> in <auth>: an OAuth2 client, with a refresh token or a
 * service-account key.  Paths are absolute; secrets are named, never
 * held: they are read when a token is needed. */
typedef struct bp_oauth {
	char *id;
	char *token_url;    /* NULL: the vendor's */
	char *auth_url;     /* NULL: the vendor's (boardpack auth) */
	char *redirect_uri; /* NULL: the vendor's default (boardpack auth) */
	char *client_id, *client_id_env;
	char *client_secret_env, *client_secret_file;
	char *refresh_token_env, *refresh_token_file;
	char *service_account_file;
	char *scope;        /* NULL: the scopes of the sources using it */
	char *ca_file;      /* its own, else report/@ca-file; NULL: system */
	long line;
} bp_oauth;

/* label and group default to METRICS.md's table for its ids, else to the
 * id and "Other". */
typedef struct bp_channel {
	char *id, *label, *group;
} bp_channel;

typedef struct bp_cost {
	bp_month month;
	bp_money amount;
	char *label;        /* default "Other costs" */
	int channel;        /* the channel it is assigned to, or -1 */
	char *group;        /* or the group, or NULL: then `all` only */
} bp_cost;

typedef struct bp_target {
	bp_month month;     /* a month's target, or the quarter's first month */
	char *metric;       /* a channels.csv column name, e.g. "mqls", "new_leads", "cac" */
	char *channel;      /* NULL: all */
	double value;
	int quarter;        /* 1: a quarter's target (three months from month) */
} bp_target;

typedef struct bp_email {
	char *url;          /* smtps://host:465 or smtp://host:587 */
	char *from;
	char *user_env, *password_env, *password_file; /* password_file absolute */
	int tls_none;       /* tls="none" (only with smtp://) */
	char *ca_file;      /* absolute: its own, else report/@ca-file; NULL: system */
	char **to, **cc, **bcc;
	size_t n_to, n_cc, n_bcc;
	char *subject;      /* template; NULL: "{title} — {period}" */
	long long max_bytes;/* attachment cap, default 10 MB */
	int attach_html;
} bp_email;

typedef struct bp_config {
	char *path;         /* the config file as given */
	char *dir;          /* its folder, absolute */
	char *title;
	char *timezone;     /* report time zone, default "UTC" */
	char *currency;     /* default "USD" */
	char *language;     /* default "en" */
	int months;         /* window length, default 12 */
	int funnel_mode;    /* bp_funnel_mode: report/@funnel, default cumulative */
	double gross_margin;
	int has_gross_margin;
	char *templates;    /* template folder, NULL: built-in for language */
	char *font;         /* TrueType font path, NULL: found by fontconfig */
	char *ca_file;      /* global CA bundle, NULL: system */
	bp_channel *channels;   /* config order; `other` is always the last */
	size_t n_channels;
	bp_source *sources;     /* config order */
	size_t n_sources;
	bp_cost *costs;
	size_t n_costs;
	bp_target *targets;
	size_t n_targets;
	char *output_dir;   /* absolute, default "<config dir>/reports" */
	int keep_months;    /* 0: keep everything */
	bp_email *email;    /* NULL when there is no <email> */
	bp_oauth *oauth;    /* <auth>'s clients, config order */
	size_t n_oauth;
} bp_config;

/* Loads and validates `path`.  Returns NULL on error with `err` set:
 * BP_ENOINPUT when the file cannot be read, BP_ECONFIG (file, line and
 * what was expected) when it is not valid (not well-formed XML also
 * gives the column; an error about an attribute gives that attribute's
 * line).  Free with bp_config_free().
 * libxml2's error handlers are replaced during the call and restored
 * after, so libxml2 prints nothing; the parser is not cleaned up (that is
 * main's job, once, at exit). */
bp_config *bp_config_load(const char *path, bp_err *err);
void bp_config_free(bp_config *cfg);

/* The index of channel `id`, or -1. */
int bp_config_channel(const bp_config *cfg, const char *id);

/* The first source of a kind, or NULL. */
const bp_source *bp_config_source(const bp_config *cfg, bp_source_kind kind);

/* The column override for `field` in `src`, or NULL. */
const bp_column *bp_source_column(const bp_source *src, const char *field);

/* The <oauth> client `id`, or NULL. */
const bp_oauth *bp_config_oauth(const bp_config *cfg, const char *id);

/* The local path of a file:// source, decoded; NULL for other schemes
 * and for a connector's source.
 * Caller frees. */
char *bp_source_path(const bp_source *src);

/* "contacts", "deals", "spend", "traffic". */
const char *bp_source_kind_name(bp_source_kind kind);

/* The RELAX NG schema every config is validated against (XML syntax,
 * namespace urn:boardpack:config:1), for `boardpack check` and the docs. */
extern const char bp_config_schema[];

#endif
