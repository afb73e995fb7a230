/*
 * starter.c - the starter config of `boardpack init` (starter.h).
 *
 * What a preset reads comes from the presets themselves (ingest.h), and a
 * connector's kinds, scope and account form from the connectors' table
 * (conn.h), so neither list can drift from the code that reads the data.
 * Written here by hand is only what neither table knows: how to get each
 * vendor's export, the channel a vendor's spend usually is, and how each
 * connector's credentials are made.
 */
#include "starter.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conn.h"
#include "date.h"
#include "ingest.h"
#include "mem.h"

#define MAX_PICKS 32
#define NAME_MAX_LEN 64
#define WIDTH 76            /* where comment text wraps */
#define FIELD_COL 20        /* the width of a field's name in its list */

/* One source to write. */
typedef struct pick {
	bp_source_kind kind;
	char preset[NAME_MAX_LEN];
	char id[NAME_MAX_LEN + 8];
	const bp_conn_ops *conn;   /* s->api: the connector that reads it */
	int shares_token;          /* its token is that of the source before */
} pick;

typedef struct plan {
	const bp_starter *s;
	const char *name;          /* the config file, for the comments */
	pick p[MAX_PICKS];
	size_t n;
} plan;

/* The export each vendor's preset reads, and the channel its spend is. */
static const struct about {
	bp_source_kind kind;
	const char *preset;
	const char *export;
	const char *channel;
} abouts[] = {
	{ BP_SRC_CONTACTS, "hubspot", "HubSpot's contacts export: in HubSpot, "
	  "CRM > Contacts, a view with at least the columns below (or every "
	  "property), then Export.", NULL },
	{ BP_SRC_DEALS, "hubspot", "HubSpot's deals export: CRM > Deals, a "
	  "view with the columns below and the associated contacts, then "
	  "Export.  Without deals, revenue, deal size and payback stay empty: "
	  "remove this element.", NULL },
	{ BP_SRC_SPEND, "google-ads", "A Google Ads campaign report by day: "
	  "Campaigns, Segments > Time > Day, then Download as CSV.  A report "
	  "without the Day column is dated by its range, which must then lie "
	  "in one month.", "paid_search" },
	{ BP_SRC_SPEND, "linkedin", "LinkedIn Campaign Manager's campaign "
	  "performance export with a daily time breakdown, as it comes "
	  "(UTF-16, tab-separated).", "paid_social" },
	{ BP_SRC_SPEND, "meta", "Meta Ads Manager's campaigns table broken "
	  "down by day (Breakdown > By time > Day), exported as CSV.",
	  "paid_social" },
	{ BP_SRC_TRAFFIC, "ga4", "GA4's Traffic acquisition report (Reports > "
	  "Acquisition) with the Date dimension added, downloaded as CSV.",
	  NULL },
};

/* How a connector's credentials are made.  `oauth` names the <oauth>
 * client it gets (NULL: an access token in a file); `account` is a
 * placeholder its account check accepts. */
static const struct cred {
	const char *connector;
	const char *account;
	const char *oauth;
	int service_account;
	const char *client_id;
	const char *setup;
} creds[] = {
	{ "hubspot", NULL, NULL, 0, NULL,
	  "In HubSpot, create a private app (Settings > Integrations > Private "
	  "apps) with the scopes below; its access token (pat-...) does not "
	  "expire.  For a large portal, method=\"export\" reads through the "
	  "CRM Exports API instead of the list endpoints." },
	{ "google-ads", "000-000-0000", "google", 0,
	  "YOUR-CLIENT-ID.apps.googleusercontent.com",
	  "In Google Cloud, enable the Google Ads API and create an OAuth "
	  "client of type Desktop app; put its id in client-id.  Publish the "
	  "app: one in Testing mode gets refresh tokens that expire after 7 "
	  "days.  No developer token is needed.  Through a manager account, "
	  "add login-customer-id=\"...\" to the source." },
	{ "meta", "act_0000000000", NULL, 0, NULL,
	  "In Meta Business Settings > Users > System users, create a system "
	  "user with access to the ad account and generate a token for your "
	  "app with the scope below.  An expired token (error 190) stops the "
	  "run: generate a new one." },
	{ "linkedin", "000000000", "linkedin", 0, "YOUR-CLIENT-ID",
	  "Create a LinkedIn app with the Advertising API (Marketing Developer "
	  "Platform) and put its client id in client-id.  Refresh tokens live "
	  "a year and do not roll: boardpack warns a month before." },
	{ "ga4", "000000000", "ga4", 1, NULL,
	  "In Google Cloud, enable the Google Analytics Data API, create a "
	  "service account and download its JSON key; in GA4, Admin > "
	  "Property access management, add the service account's e-mail as "
	  "a Viewer." },
};

static const struct about *about_of(bp_source_kind kind, const char *preset)
{
	size_t i;

	for (i = 0; i < sizeof(abouts) / sizeof(abouts[0]); i++)
		if (abouts[i].kind == kind && !strcmp(abouts[i].preset, preset))
			return &abouts[i];
	return NULL;
}

static const struct cred *cred_of(const char *connector)
{
	static const struct cred plain = { NULL, "0000000000", NULL, 0, NULL,
		"Get an access token from the vendor." };
	size_t i;

	for (i = 0; i < sizeof(creds) / sizeof(creds[0]); i++)
		if (!strcmp(creds[i].connector, connector))
			return &creds[i];
	return &plain;
}

/* ---- what to write ---- */

/* Whether a preset of this name exists for another kind of source: its
 * name alone would not tell the sources apart ("csv"). */
static int name_is_shared(bp_source_kind kind, const char *preset)
{
	int k;

	for (k = BP_SRC_CONTACTS; k <= BP_SRC_TRAFFIC; k++)
		if ((bp_source_kind)k != kind &&
		    bp_preset_exists((bp_source_kind)k, preset))
			return 1;
	return 0;
}

static int add_pick(plan *pl, bp_source_kind kind, const char *preset,
		    bp_err *err)
{
	const char *kname = bp_source_kind_name(kind);
	pick *p;
	size_t i;

	for (i = 0; i < pl->n; i++)
		if (pl->p[i].kind == kind && !strcmp(pl->p[i].preset, preset))
			return bp_err_set(err, BP_EUSAGE, "%s preset '%s' is named twice",
					  kname, preset);
	assert(pl->n < MAX_PICKS);   /* each preset once: the table bounds it */
	p = &pl->p[pl->n];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	snprintf(p->preset, sizeof(p->preset), "%s", preset);
	if (kind == BP_SRC_CONTACTS || kind == BP_SRC_DEALS ||
	    name_is_shared(kind, preset))
		snprintf(p->id, sizeof(p->id), "%s", kname);
	else
		snprintf(p->id, sizeof(p->id), "%s", preset);
	if (pl->s->api) {
		char list[256];

		p->conn = bp_conn_find(preset);
		if (!p->conn || strcmp(p->conn->preset, preset) ||
		    !(p->conn->kinds & (1u << kind))) {
			bp_conn_names(list, sizeof(list));
			return bp_err_set(err, BP_EUSAGE, "no connector reads the %s "
					  "preset '%s': it is read from a file "
					  "(the connectors: %s)", kname, preset, list);
		}
	}
	pl->n++;
	return 0;
}

/* Adds the presets of the comma-separated `list` for `kind`. */
static int add_list(plan *pl, bp_source_kind kind, const char *list,
		    bp_err *err)
{
	const char *kname = bp_source_kind_name(kind), *p = list, *e;
	char name[NAME_MAX_LEN], valid[256];

	for (;;) {
		size_t n;

		while (*p == ' ')
			p++;
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		while (n && p[n - 1] == ' ')
			n--;
		bp_preset_list(kind, valid, sizeof(valid));
		if (!n)
			return bp_err_set(err, BP_EUSAGE, "an empty %s preset name in "
					  "'%s': expected names from %s, separated "
					  "by commas", kname, list, valid);
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		if (n >= sizeof(name) || !bp_preset_exists(kind, name))
			return bp_err_set(err, BP_EUSAGE, "unknown %s preset '%.*s': "
					  "expected one of %s", kname, (int)n, p,
					  valid);
		if (add_pick(pl, kind, name, err) < 0)
			return -1;
		if (!e)
			return 0;
		p = e + 1;
	}
}

static int make_plan(plan *pl, bp_err *err)
{
	const bp_starter *s = pl->s;
	const char *c = s->contacts;
	int deals;

	if (!c)
		return bp_err_set(err, BP_EUSAGE, "a config needs a contacts source: "
				  "the funnel is built from contacts");
	if (strchr(c, ','))
		return bp_err_set(err, BP_EUSAGE, "one contacts preset, not '%s': the "
				  "funnel is built from one CRM's contacts", c);
	if (add_list(pl, BP_SRC_CONTACTS, c, err) < 0)
		return -1;
	/* The deals come from the same CRM, in its own deals preset. */
	deals = bp_preset_exists(BP_SRC_DEALS, pl->p[0].preset) &&
		(!pl->p[0].conn || (pl->p[0].conn->kinds & (1u << BP_SRC_DEALS)));
	if (deals && add_pick(pl, BP_SRC_DEALS, pl->p[0].preset, err) < 0)
		return -1;
	if (deals && pl->p[0].conn)
		pl->p[1].shares_token = 1;
	if (s->spend && add_list(pl, BP_SRC_SPEND, s->spend, err) < 0)
		return -1;
	if (s->traffic && add_list(pl, BP_SRC_TRAFFIC, s->traffic, err) < 0)
		return -1;
	return 0;
}

static int check_report(const bp_starter *s, bp_err *err)
{
	const char *c = s->currency;
	bp_tz *tz;

	if (c && !(strlen(c) == 3 && isupper((unsigned char)c[0]) &&
		   isupper((unsigned char)c[1]) && isupper((unsigned char)c[2])))
		return bp_err_set(err, BP_EUSAGE, "bad currency '%s': expected a "
				  "three-letter code such as USD or EUR", c);
	if (!s->timezone)
		return 0;
	tz = bp_tz_load(s->timezone, err);
	if (!tz) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		return bp_err_set(err, BP_EUSAGE, "bad time zone: %s", why);
	}
	bp_tz_free(tz);
	return 0;
}

/* ---- writing ---- */

/* An attribute value, escaped. */
static void put_attr(FILE *o, const char *name, const char *v)
{
	fprintf(o, " %s=\"", name);
	for (; *v; v++) {
		switch (*v) {
		case '&': fputs("&amp;", o); break;
		case '<': fputs("&lt;", o); break;
		case '"': fputs("&quot;", o); break;
		default: fputc(*v, o);
		}
	}
	fputc('"', o);
}

/* n bytes of comment text as XML allows them: a "--" never occurs
 * inside a comment.  Header names come from the presets, so a future one
 * with a double hyphen is split rather than breaking the file. */
static void put_safe(FILE *o, const char *text, size_t n)
{
	size_t i;

	for (i = 0; i < n && text[i]; i++) {
		fputc(text[i], o);
		if (text[i] == '-' && i + 1 < n && text[i + 1] == '-')
			fputc(' ', o);
	}
}

/* `text` as lines of at most WIDTH columns, the first starting with
 * `first`, the others with `indent`; words are never split, and two
 * spaces after a sentence stay two. */
static void put_item(FILE *o, const char *first, const char *indent,
		     const char *text)
{
	size_t col = 0, gap = 0, lines = 0;
	const char *w = text + strspn(text, " ");

	while (*w) {
		size_t n = strcspn(w, " ");

		if (col && col + gap + n > WIDTH) {
			fputc('\n', o);
			col = 0;
		}
		if (!col) {
			fputs(lines++ ? indent : first, o);
			col = strlen(lines > 1 ? indent : first);
		} else {
			fprintf(o, "%*s", (int)gap, "");
			col += gap;
		}
		put_safe(o, w, n);
		col += n;
		w += n;
		gap = strspn(w, " ");
		w += gap;
		if (gap > 2)
			gap = 2;
	}
	if (col)
		fputc('\n', o);
}

static void put_wrapped(FILE *o, const char *indent, const char *text)
{
	put_item(o, indent, indent, text);
}

/* One field of a preset: its name, " *" when required, and the header
 * names it goes by joined with " | ", wrapped under one another. */
static void put_field(FILE *o, const pick *p, size_t i, const char *f,
		      int required)
{
	static const char indent[] = "        ";
	size_t start = sizeof(indent) - 1 + FIELD_COL, col, k;
	char label[NAME_MAX_LEN + 4];
	const char *h;

	snprintf(label, sizeof(label), "%s%s", f, required ? " *" : "");
	fputs(indent, o);
	put_safe(o, label, strlen(label));
	col = sizeof(indent) - 1 + strlen(label);
	fprintf(o, "%*s", col < start ? (int)(start - col) : 1, "");
	col = col < start ? start : col + 1;
	for (k = 0; (h = bp_preset_header(p->kind, p->preset, i, k)); k++) {
		if (k && col + 3 + strlen(h) > WIDTH) {
			fprintf(o, " |\n%*s", (int)start, "");
			col = start;
		} else if (k) {
			fputs(" | ", o);
			col += 3;
		}
		put_safe(o, h, strlen(h));
		col += strlen(h);
	}
	fputc('\n', o);
}

/* The fields a preset reads, as the lines of a comment. */
static void put_fields(FILE *o, const pick *p)
{
	const char *f;
	char list[1024];
	size_t i, n = 0;
	int required, star = 0;

	if (p->conn) {
		for (i = 0; (f = bp_preset_field(p->kind, p->preset, i, &required)) &&
		     n < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s%s",
					      i ? ", " : "", f, required ? " *" : "");
		snprintf(list + (n < sizeof(list) ? n : sizeof(list) - 1),
			 sizeof(list) - (n < sizeof(list) ? n : sizeof(list) - 1),
			 ".");
		put_wrapped(o, "      ", "The connector writes its rows in the "
			    "columns of the preset, whose fields are (* required):");
		put_wrapped(o, "        ", list);
		return;
	}
	fputs("      Fields (* required), and the headers each is found by, the "
	      "first\n      preferred:\n", o);
	for (i = 0; (f = bp_preset_field(p->kind, p->preset, i, &required)); i++) {
		const char *h;
		size_t k;

		put_field(o, p, i, f, required);
		for (k = 0; (h = bp_preset_header(p->kind, p->preset, i, k)); k++)
			star |= h[0] && h[strlen(h) - 1] == '*';
	}
	if (star)
		put_wrapped(o, "      ", "A name ending in * stands for any header "
			    "that starts with the rest (\"Amount spent (USD)\").");
}

static void put_about(FILE *o, const pick *p)
{
	const struct about *a = about_of(p->kind, p->preset);
	char line[1024];

	if (p->conn) {
		snprintf(line, sizeof(line), "%s %s, read from the %s API.",
			 p->conn->vendor, bp_source_kind_name(p->kind),
			 p->conn->vendor);
		put_wrapped(o, "      ", line);
		if (p->conn->account_what) {
			snprintf(line, sizeof(line), "account: your %s, in place "
				 "of the zeros.", p->conn->account_what);
			put_wrapped(o, "      ", line);
		}
		return;
	}
	if (a) {
		put_wrapped(o, "      ", a->export);
		return;
	}
	snprintf(line, sizeof(line), "A %s CSV file of your own, with a header "
		 "row: each field's own name below is a header it is found by.",
		 bp_source_kind_name(p->kind));
	put_wrapped(o, "      ", line);
}

/* Where a connector source's secret goes. */
static void secret_path(const pick *p, const char *what, char *buf,
			size_t size)
{
	const struct cred *c = cred_of(p->conn->name);

	if (c->oauth)
		snprintf(buf, size, "secrets/%s.%s", c->oauth, what);
	else
		snprintf(buf, size, "secrets/%s.token", p->conn->name);
}

static void put_credentials_note(FILE *o, const pick *p)
{
	const struct cred *c = cred_of(p->conn->name);
	char line[1024], file[128];

	if (p->shares_token) {
		put_wrapped(o, "      ", "Credentials: the same token as the "
			    "contacts.");
		return;
	}
	if (c->oauth) {
		snprintf(line, sizeof(line), "Credentials: <oauth id=\"%s\"> in "
			 "<auth> above.", c->oauth);
		put_wrapped(o, "      ", line);
		return;
	}
	secret_path(p, "token", file, sizeof(file));
	put_wrapped(o, "      ", c->setup);
	snprintf(line, sizeof(line), "Scope: %s.  The token goes in %s, one "
		 "line, readable only by the user that runs boardpack (chmod "
		 "600).", p->conn->scope, file);
	put_wrapped(o, "      ", line);
}

static void put_source(FILE *o, const pick *p)
{
	const char *kname = bp_source_kind_name(p->kind);
	const struct about *a = about_of(p->kind, p->preset);
	char buf[256];

	fprintf(o, "    <!--\n");
	put_about(o, p);
	if (p->conn)
		put_credentials_note(o, p);
	if (p->kind == BP_SRC_SPEND)
		put_wrapped(o, "      ", "channel: the channel this spend counts "
			    "for, such as paid_search or paid_social, or one of "
			    "your own <channels>.");
	if (p->kind == BP_SRC_DEALS)
		put_wrapped(o, "      ", "amount: annual when a deal's amount is a "
			    "year's contract value (MRR is a twelfth of it), "
			    "monthly when it is the MRR.");
	put_fields(o, p);
	if (!p->conn && p->kind == BP_SRC_CONTACTS)
		put_wrapped(o, "      ", "A custom lifecycle pipeline: "
			    "pipeline=\"Its name\", as in its Date entered "
			    "labels.");
	if (!p->conn)
		put_wrapped(o, "      ", "Another header for a field: <column "
			    "field=\"FIELD\" name=\"Your header\"/> inside this "
			    "element.");
	fprintf(o, "    -->\n");
	fprintf(o, "    <%s", kname);
	put_attr(o, "id", p->id);
	if (p->conn) {
		const struct cred *c = cred_of(p->conn->name);

		put_attr(o, "connector", p->conn->name);
		if (p->conn->account)
			put_attr(o, "account", c->account);
		if (c->oauth) {
			put_attr(o, "oauth", c->oauth);
		} else {
			secret_path(p, "token", buf, sizeof(buf));
			put_attr(o, "token-file", buf);
		}
	} else {
		snprintf(buf, sizeof(buf), "exports/%s.csv", p->id);
		put_attr(o, "url", buf);
		put_attr(o, "preset", p->preset);
	}
	if (p->kind == BP_SRC_SPEND)
		put_attr(o, "channel", a && a->channel ? a->channel : "other");
	if (p->kind == BP_SRC_DEALS)
		put_attr(o, "amount", "annual");
	fprintf(o, "/>\n");
}

/* <auth>: one <oauth> client for each vendor whose sources need one. */
static void put_auth(FILE *o, const plan *pl)
{
	size_t i, j;
	int any = 0;

	for (i = 0; i < pl->n; i++) {
		const pick *p = &pl->p[i];
		const struct cred *c = p->conn ? cred_of(p->conn->name) : NULL;
		char line[1024], file[128], secret[128];

		if (!c || !c->oauth)
			continue;
		for (j = 0; j < i; j++)
			if (pl->p[j].conn && cred_of(pl->p[j].conn->name) == c)
				break;
		if (j < i)
			continue;
		if (!any)
			fprintf(o, "  <auth>\n");
		any = 1;
		fprintf(o, "    <!--\n");
		put_wrapped(o, "      ", c->setup);
		if (c->service_account) {
			secret_path(p, "json", file, sizeof(file));
			snprintf(line, sizeof(line), "Scope: %s.  The key goes in %s, "
				 "readable only by the user that runs boardpack "
				 "(chmod 600).", p->conn->scope, file);
			put_wrapped(o, "      ", line);
			fprintf(o, "    -->\n    <oauth");
			put_attr(o, "id", c->oauth);
			put_attr(o, "service-account-file", file);
			fprintf(o, "/>\n");
			continue;
		}
		secret_path(p, "client-secret", secret, sizeof(secret));
		secret_path(p, "refresh", file, sizeof(file));
		snprintf(line, sizeof(line), "Scope: %s.  The client's secret goes "
			 "in %s (chmod 600).  Then, once,", p->conn->scope, secret);
		put_wrapped(o, "      ", line);
		snprintf(line, sizeof(line), "boardpack auth -c %s %s", pl->name,
			 c->oauth);
		put_wrapped(o, "          ", line);
		snprintf(line, sizeof(line), "opens the consent in a browser and "
			 "writes the refresh token to %s.", file);
		put_wrapped(o, "      ", line);
		fprintf(o, "    -->\n    <oauth");
		put_attr(o, "id", c->oauth);
		put_attr(o, "client-id", c->client_id);
		put_attr(o, "client-secret-file", secret);
		put_attr(o, "refresh-token-file", file);
		fprintf(o, "/>\n");
	}
	if (any)
		fprintf(o, "  </auth>\n");
}

static void put_header(FILE *o, const plan *pl)
{
	char line[1024];
	size_t i, n = 0;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--\n", o);
	for (i = 0; i < pl->n && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %s%s",
				      i ? (i + 1 == pl->n ? " and " : ", ") : "",
				      pl->p[i].preset,
				      bp_source_kind_name(pl->p[i].kind),
				      i + 1 == pl->n ? "." : "");
	put_wrapped(o, "  ", "A boardpack config, written by boardpack init for");
	put_wrapped(o, "    ", line);
	fputs("\n  Next:\n", o);
	/* Two lists of next steps, one per kind of starter: alike in shape
	 * (numbered items, each with its note), different in every word. */
	if (pl->s->api) {
		put_item(o, "  1. ", "     ", "Set up each connector's credentials as "
			    "its comment says.");
		put_wrapped(o, "     ", "Secrets go in files under secrets/ beside "
			    "this file, which only the user that runs boardpack "
			    "may read: mkdir -m 700 secrets, and chmod 600 each "
			    "file.");
		put_item(o, "  2. ", "     ", "Replace each account=\"0...\" with your "
			    "account's id.");
		snprintf(line, sizeof(line), "boardpack check -c %s", pl->name);
		put_item(o, "  3. ", "     ", line);
		put_wrapped(o, "     ", "validates the config; its online option "
			    "(see boardpack(1)) makes one call per connector and "
			    "shows the account's name, currency and time zone, or "
			    "what is wrong with the credentials.");
	} else {
		put_item(o, "  1. ", "     ", "Put each export where its url says: "
			    "exports/ beside this file (a relative path starts "
			    "from this file's folder), or change the url to "
			    "another path, a file:// URL or an https:// URL.");
		snprintf(line, sizeof(line), "boardpack check -c %s", pl->name);
		put_item(o, "  2. ", "     ", line);
		put_wrapped(o, "     ", "reads every export as a run would and "
			    "shows the header each field was found under.  Until "
			    "the files are there, it says the config is valid "
			    "and names each file it cannot open (exit status 66).");
	}
	snprintf(line, sizeof(line), "boardpack run -c %s", pl->name);
	put_item(o, pl->s->api ? "  4. " : "  3. ", "     ", line);
	put_wrapped(o, "     ", "writes the report for the last complete month "
		    "into reports/; without <email>, nothing is sent.");
	fputs("\n", o);
	put_wrapped(o, "  ", "Each source's comment lists the fields its preset "
		    "reads, * marking those an export must have, and for a "
		    "file the headers each is found by (compared without "
		    "regard to case and hyphens; the field's own name is one "
		    "too).  boardpack.xml(5) describes every element and "
		    "attribute, with its default.");
	fputs("-->\n", o);
}

static void put_config(FILE *o, const plan *pl)
{
	const bp_starter *s = pl->s;
	size_t i;

	put_header(o, pl);
	fputs("<boardpack xmlns=\"urn:boardpack:config:1\">\n", o);
	fputs("  <!--\n", o);
	put_wrapped(o, "    ", "timezone: the IANA zone whose calendar puts "
		    "dates in months.  currency: that of every amount; a row in "
		    "another stops the run.  months: how many months the "
		    "report shows.");
	fputs("  -->\n  <report", o);
	put_attr(o, "title", "Board funnel");
	put_attr(o, "timezone", s->timezone ? s->timezone : "UTC");
	put_attr(o, "currency", s->currency ? s->currency : "USD");
	put_attr(o, "months", "12");
	put_attr(o, "language", "en");
	fputs("/>\n", o);
	if (s->api)
		put_auth(o, pl);
	fputs("  <sources>\n", o);
	for (i = 0; i < pl->n; i++)
		put_source(o, &pl->p[i]);
	fputs("  </sources>\n", o);
	fputs("  <!-- Costs besides ad spend, and targets, month by month:\n"
	      "  <costs>\n"
	      "    <cost month=\"2026-10\" amount=\"12000\" label=\"SDR salaries\"/>\n"
	      "  </costs>\n"
	      "  <targets>\n"
	      "    <target month=\"2026-10\" metric=\"mqls\" value=\"200\"/>\n"
	      "  </targets>\n"
	      "  -->\n"
	      "  <!-- Snapshots: a folder per month, each run's report in its "
	      "own. -->\n"
	      "  <output dir=\"reports\"/>\n"
	      "  <!-- Without <email>, nothing is sent.\n"
	      "  <email url=\"smtps://smtp.example.com:465\" "
	      "from=\"reports@example.com\"\n"
	      "         user-env=\"SMTP_USER\" password-env=\"SMTP_PASSWORD\">\n"
	      "    <to>board@example.com</to>\n"
	      "  </email>\n"
	      "  -->\n"
	      "</boardpack>\n", o);
}

char *bp_starter_config(const bp_starter *s, bp_err *err)
{
	plan pl;
	char *text = NULL;
	size_t len = 0;
	FILE *o;

	memset(&pl, 0, sizeof(pl));
	pl.s = s;
	pl.name = s->name ? s->name : "boardpack.xml";
	if (make_plan(&pl, err) < 0 || check_report(s, err) < 0)
		return NULL;
	o = open_memstream(&text, &len);
	if (!o)
		bp_oom();
	put_config(o, &pl);
	if (fclose(o) != 0 || !text)
		bp_oom();
	return text;
}
