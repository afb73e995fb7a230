/*
 * test_config.c - loading, validating and resolving the config file.
 *
 * Fixtures: tests/fixtures/config/{minimal,design,full}.xml; the error
 * cases are written to a temporary folder from the strings below, one
 * line per "\n", so the expected line numbers can be counted by eye.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "config.h"
#include "funnel.h"
#include "testlib.h"

#define HEAD "<boardpack xmlns=\"urn:boardpack:config:1\">\n"
#define CONTACTS "<sources><contacts url=\"https://crm.example/c.csv\"/></sources>\n"
#define TAIL "</boardpack>\n"

static char *tmpdir;
static char tmpfile_path[256];

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

static const char *fixture(const char *name)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/tests/fixtures/config/%s", tl_srcdir(),
		 name);
	return buf;
}

/* The fixture folder, resolved independently of the code under test. */
static const char *fixture_dir(void)
{
	static char buf[PATH_MAX];
	char *dir = strdup(fixture("minimal.xml"));

	assert_non_null(dir);
	*strrchr(dir, '/') = '\0';
	assert_non_null(realpath(dir, buf));
	free(dir);
	return buf;
}

static bp_config *load_text(const char *xml, bp_err *err)
{
	tl_write_file(tmpfile_path, xml);
	bp_err_clear(err);
	return bp_config_load(tmpfile_path, err);
}

static bp_config *load_ok(const char *path)
{
	bp_err err;
	bp_config *cfg;

	bp_err_clear(&err);
	cfg = bp_config_load(path, &err);
	if (!cfg)
		print_error("unexpected error: %s (line %ld)\n", err.msg, err.line);
	assert_non_null(cfg);
	return cfg;
}

static bp_config *load_text_ok(const char *xml)
{
	tl_write_file(tmpfile_path, xml);
	return load_ok(tmpfile_path);
}

static void expect_error(const char *xml, long line, const char *msg)
{
	bp_err err;
	bp_config *cfg = load_text(xml, &err);

	assert_null(cfg);
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.file, tmpfile_path);
	assert_string_equal(err.msg, msg);
	assert_int_equal(err.line, line);
}

static char *cat3(const char *a, const char *b, const char *c)
{
	static char buf[2 * PATH_MAX];

	snprintf(buf, sizeof(buf), "%s%s%s", a, b, c);
	return buf;
}

static int setup(void **state)
{
	(void)state;
	tmpdir = tl_tmpdir("/tmp/bp-test-config-XXXXXX");
	snprintf(tmpfile_path, sizeof(tmpfile_path), "%s/config.xml", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_rmtree(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Defaults                                                           */

static void test_config_minimal_gets_report_defaults(void **state)
{
	bp_config *cfg = load_ok(fixture("minimal.xml"));

	(void)state;
	assert_string_equal(cfg->title, "Board funnel");
	assert_string_equal(cfg->timezone, "UTC");
	assert_string_equal(cfg->currency, "USD");
	assert_string_equal(cfg->language, "en");
	assert_int_equal(cfg->months, 12);
	assert_int_equal(cfg->has_gross_margin, 0);
	assert_null(cfg->templates);
	assert_null(cfg->font);
	assert_null(cfg->ca_file);
	assert_null(cfg->email);
	assert_int_equal(cfg->n_costs, 0);
	assert_int_equal(cfg->n_targets, 0);
	assert_int_equal(cfg->keep_months, 0);
	assert_string_equal(cfg->dir, fixture_dir());
	assert_string_equal(cfg->output_dir, cat3(fixture_dir(), "/reports", ""));
	bp_config_free(cfg);
}

static void test_config_minimal_gets_default_channels(void **state)
{
	static const char *const want[][3] = {
		{ "organic_search", "Organic search", "Inbound" },
		{ "paid_search", "Paid search", "Paid" },
		{ "paid_social", "Paid social", "Paid" },
		{ "organic_social", "Organic social", "Inbound" },
		{ "email_marketing", "Email marketing", "Inbound" },
		{ "referrals", "Referrals", "Inbound" },
		{ "direct_traffic", "Direct traffic", "Inbound" },
		{ "offline", "Offline sources", "Outbound" },
		{ "other_campaigns", "Other campaigns", "Other" },
		{ "other", "Other", "Other" },
	};
	bp_config *cfg = load_ok(fixture("minimal.xml"));
	size_t i;

	(void)state;
	assert_int_equal(cfg->n_channels, 10);
	for (i = 0; i < 10; i++) {
		assert_string_equal(cfg->channels[i].id, want[i][0]);
		assert_string_equal(cfg->channels[i].label, want[i][1]);
		assert_string_equal(cfg->channels[i].group, want[i][2]);
	}
	assert_int_equal(bp_config_channel(cfg, "referrals"), 5);
	assert_int_equal(bp_config_channel(cfg, "nope"), -1);
	bp_config_free(cfg);
}

static void test_config_minimal_source_defaults(void **state)
{
	bp_config *cfg = load_ok(fixture("minimal.xml"));
	const bp_source *s;

	(void)state;
	assert_int_equal(cfg->n_sources, 1);
	s = bp_config_source(cfg, BP_SRC_CONTACTS);
	assert_ptr_equal(s, &cfg->sources[0]);
	assert_null(bp_config_source(cfg, BP_SRC_SPEND));
	assert_string_equal(s->id, "contacts");
	assert_string_equal(s->preset, "hubspot");
	assert_string_equal(s->url, cat3("file://", fixture_dir(), "/contacts.csv"));
	assert_null(s->timezone);
	assert_null(s->ca_file);
	assert_int_equal(s->insecure_http, 0);
	assert_int_equal(s->channel, -1);
	assert_int_equal(s->timeout_s, 300);
	assert_true(s->max_bytes == 2147483648LL);
	assert_int_equal(s->retries, 4);
	assert_int_equal(s->line, 4);
	bp_config_free(cfg);
}

/* Every default channel's HubSpot values, in table order: 2 + 2 + 2 + 3
 * + 2 + 2 + 2 + 2 + 2 = 19. */
static void test_config_contacts_default_rules(void **state)
{
	bp_config *cfg = load_ok(fixture("minimal.xml"));
	const bp_source *s = &cfg->sources[0];

	(void)state;
	assert_int_equal(s->n_rules, 19);
	assert_string_equal(s->rules[0].match, "ORGANIC_SEARCH");
	assert_int_equal(s->rules[0].channel, 0);
	assert_string_equal(s->rules[1].match, "Organic search");
	assert_string_equal(s->rules[6].match, "SOCIAL_MEDIA");
	assert_string_equal(s->rules[7].match, "Social media");
	assert_string_equal(s->rules[8].match, "Organic social");
	assert_int_equal(s->rules[8].channel, 3);
	assert_string_equal(s->rules[18].match, "Other campaigns");
	assert_int_equal(s->rules[18].channel, 8);
	bp_config_free(cfg);
}

static void test_config_traffic_default_rules_are_ga4_groups(void **state)
{
	static const char *const want[] = { "Organic Search", "Paid Search",
		"Paid Social", "Organic Social", "Email", "Referral", "Direct" };
	bp_config *cfg = load_text_ok(HEAD
		"<sources><contacts url=\"c.csv\"/><traffic url=\"t.csv\"/></sources>\n"
		TAIL);
	const bp_source *t = bp_config_source(cfg, BP_SRC_TRAFFIC);
	size_t i;

	(void)state;
	assert_non_null(t);
	assert_string_equal(t->preset, "ga4");
	assert_int_equal(t->n_rules, 7);
	for (i = 0; i < 7; i++) {
		assert_string_equal(t->rules[i].match, want[i]);
		assert_int_equal(t->rules[i].channel, (int)i);
	}
	bp_config_free(cfg);
}

static void test_config_report_is_optional(void **state)
{
	bp_config *cfg = load_text_ok(HEAD CONTACTS TAIL);

	(void)state;
	assert_string_equal(cfg->title, "Board funnel");
	assert_int_equal(cfg->months, 12);
	bp_config_free(cfg);
}

/* ------------------------------------------------------------------ */
/* The DESIGN.md example                                              */

static void test_config_design_report(void **state)
{
	bp_config *cfg = load_ok(fixture("design.xml"));

	(void)state;
	assert_string_equal(cfg->title, "Acme \xe2\x80\x94 Board Funnel");
	assert_string_equal(cfg->timezone, "Asia/Seoul");
	assert_string_equal(cfg->currency, "KRW");
	assert_int_equal(cfg->months, 12);
	assert_string_equal(cfg->language, "ko");
	assert_int_equal(cfg->has_gross_margin, 1);
	assert_true(cfg->gross_margin > 0.7999999 && cfg->gross_margin < 0.8000001);
	assert_string_equal(cfg->output_dir, cat3(fixture_dir(), "/reports", ""));
	bp_config_free(cfg);
}

static void test_config_design_channels_other_appended(void **state)
{
	bp_config *cfg = load_ok(fixture("design.xml"));

	(void)state;
	assert_int_equal(cfg->n_channels, 3);
	assert_string_equal(cfg->channels[0].id, "paid_search");
	assert_string_equal(cfg->channels[0].label, "Paid Search");
	assert_string_equal(cfg->channels[1].id, "paid_social");
	assert_string_equal(cfg->channels[2].id, "other");
	assert_string_equal(cfg->channels[2].label, "Other");
	assert_string_equal(cfg->channels[2].group, "Other");
	bp_config_free(cfg);
}

/* The configured rule first, then the table's values of paid_search and
 * paid_social (the only table channels configured). */
static void test_config_design_contacts_rules(void **state)
{
	bp_config *cfg = load_ok(fixture("design.xml"));
	const bp_source *s = bp_config_source(cfg, BP_SRC_CONTACTS);

	(void)state;
	assert_string_equal(s->id, "crm");
	assert_string_equal(s->url, "https://crm.example/contacts.csv");
	assert_string_equal(s->token_env, "CRM_TOKEN");
	assert_string_equal(s->timezone, "Asia/Seoul");
	assert_int_equal(s->line, 11);
	assert_int_equal(s->n_rules, 5);
	assert_string_equal(s->rules[0].match, "PAID_SEARCH");
	assert_int_equal(s->rules[0].channel, 0);
	assert_string_equal(s->rules[1].match, "PAID_SEARCH");
	assert_string_equal(s->rules[2].match, "Paid search");
	assert_int_equal(s->rules[2].channel, 0);
	assert_string_equal(s->rules[3].match, "PAID_SOCIAL");
	assert_string_equal(s->rules[4].match, "Paid social");
	assert_int_equal(s->rules[4].channel, 1);
	assert_string_equal(bp_source_column(s, "created")->name, "Create Date");
	assert_null(bp_source_column(s, "created")->format);
	assert_null(bp_source_column(s, "stage"));
	bp_config_free(cfg);
}

static void test_config_design_spend_and_traffic(void **state)
{
	bp_config *cfg = load_ok(fixture("design.xml"));
	const bp_source *s = cfg->sources;

	(void)state;
	assert_int_equal(cfg->n_sources, 6);
	assert_int_equal(s[1].kind, BP_SRC_DEALS);
	assert_int_equal(s[1].amount_monthly, 0);
	assert_string_equal(s[2].id, "gads");
	assert_string_equal(s[2].preset, "google-ads");
	assert_int_equal(s[2].channel, 0);
	assert_string_equal(s[3].preset, "linkedin");
	assert_int_equal(s[3].channel, 1);
	assert_int_equal(s[4].channel, 1);
	assert_int_equal(s[5].kind, BP_SRC_TRAFFIC);
	assert_int_equal(s[5].n_rules, 2);
	assert_string_equal(s[5].rules[0].match, "Paid Search");
	assert_int_equal(s[5].rules[0].channel, 0);
	assert_string_equal(s[5].rules[1].match, "Paid Social");
	assert_int_equal(s[5].rules[1].channel, 1);
	bp_config_free(cfg);
}

/* 2026-10 is 2026 * 12 + 9; 12,000,000 is 120,000,000,000 ten-thousandths. */
static void test_config_design_costs_and_targets(void **state)
{
	bp_config *cfg = load_ok(fixture("design.xml"));

	(void)state;
	assert_int_equal(cfg->n_costs, 1);
	assert_int_equal(cfg->costs[0].month, 24321);
	assert_true(cfg->costs[0].amount == 120000000000LL);
	assert_string_equal(cfg->costs[0].label, "SDR salaries");
	assert_int_equal(cfg->n_targets, 1);
	assert_int_equal(cfg->targets[0].month, 24321);
	assert_string_equal(cfg->targets[0].metric, "mqls");
	assert_null(cfg->targets[0].channel);
	assert_true(cfg->targets[0].value == 200.0);
	bp_config_free(cfg);
}

static void test_config_design_email(void **state)
{
	bp_config *cfg = load_ok(fixture("design.xml"));
	const bp_email *e = cfg->email;

	(void)state;
	assert_non_null(e);
	assert_string_equal(e->url, "smtps://smtp.example.com:465");
	assert_string_equal(e->from, "reports@acme.example");
	assert_string_equal(e->user_env, "SMTP_USER");
	assert_string_equal(e->password_env, "SMTP_PASSWORD");
	assert_int_equal(e->tls_none, 0);
	assert_int_equal(e->n_to, 1);
	assert_string_equal(e->to[0], "board@acme.example");
	assert_int_equal(e->n_cc, 0);
	assert_int_equal(e->n_bcc, 0);
	assert_null(e->subject);
	assert_true(e->max_bytes == 10000000LL);
	assert_int_equal(e->attach_html, 0);
	bp_config_free(cfg);
}

/* ------------------------------------------------------------------ */
/* Every attribute (full.xml)                                         */

static void test_config_full_channels_other_moved_last(void **state)
{
	bp_config *cfg = load_ok(fixture("full.xml"));

	(void)state;
	assert_int_equal(cfg->n_channels, 4);
	assert_string_equal(cfg->channels[0].id, "ads");
	assert_string_equal(cfg->channels[0].group, "Paid");
	assert_string_equal(cfg->channels[1].id, "mail");
	assert_string_equal(cfg->channels[1].label, "mail");
	assert_string_equal(cfg->channels[1].group, "Other");
	assert_string_equal(cfg->channels[2].label, "Organic search");
	assert_string_equal(cfg->channels[2].group, "Inbound");
	assert_string_equal(cfg->channels[3].id, "other");
	assert_string_equal(cfg->channels[3].label, "Everything else");
	assert_string_equal(cfg->channels[3].group, "Other");
	bp_config_free(cfg);
}

static void test_config_full_report_paths_relative_to_config(void **state)
{
	bp_config *cfg = load_ok(fixture("full.xml"));
	const char *d = fixture_dir();

	(void)state;
	assert_int_equal(cfg->months, 120);
	assert_string_equal(cfg->language, "de-DE");
	assert_true(cfg->gross_margin == 1.0);
	assert_string_equal(cfg->templates, cat3(d, "/tpl", ""));
	assert_string_equal(cfg->font, cat3(d, "/fonts/a.ttf", ""));
	assert_string_equal(cfg->ca_file, cat3(d, "/ca/bundle.pem", ""));
	assert_string_equal(cfg->output_dir, "/var/lib/boardpack");
	assert_int_equal(cfg->keep_months, 24);
	bp_config_free(cfg);
}

static void test_config_full_file_urls_resolved(void **state)
{
	bp_config *cfg = load_ok(fixture("full.xml"));
	const char *d = fixture_dir();

	(void)state;
	assert_string_equal(cfg->sources[0].url, cat3("file://", d, "/exports/ga4.csv"));
	assert_string_equal(cfg->sources[1].url, cat3("file://", d, "/exports/deals.csv"));
	assert_string_equal(cfg->sources[2].url, "http://intranet.example/c.csv");
	assert_string_equal(cfg->sources[3].url, "file:///data/spend.csv");
	bp_config_free(cfg);
}

static void test_config_full_source_attributes(void **state)
{
	bp_config *cfg = load_ok(fixture("full.xml"));
	const bp_source *c = bp_config_source(cfg, BP_SRC_CONTACTS);
	const bp_source *sp = bp_config_source(cfg, BP_SRC_SPEND);
	const char *d = fixture_dir();

	(void)state;
	assert_string_equal(c->id, "crm.v2");
	assert_int_equal(c->insecure_http, 1);
	assert_string_equal(c->ca_file, cat3(d, "/certs/ca.pem", ""));
	assert_string_equal(c->token_file, cat3(d, "/secrets/token", ""));
	assert_string_equal(c->user_env, "CRM_USER");
	assert_string_equal(c->password_env, "CRM_PASS");
	assert_true(c->max_bytes == 1000);
	assert_int_equal(c->retries, 0);
	assert_int_equal(c->timeout_s, 300);
	assert_string_equal(c->timezone, "America/New_York");
	assert_int_equal(cfg->sources[0].timeout_s, 60);
	/* No ca-file of its own: the report's. */
	assert_string_equal(sp->ca_file, cat3(d, "/ca/bundle.pem", ""));
	assert_int_equal(sp->channel, 0);
	assert_string_equal(sp->token_env, "T");
	bp_config_free(cfg);
}

static void test_config_full_deals_won_stages_and_columns(void **state)
{
	bp_config *cfg = load_ok(fixture("full.xml"));
	const bp_source *s = bp_config_source(cfg, BP_SRC_DEALS);
	const bp_column *col;

	(void)state;
	assert_string_equal(s->id, "deals");
	assert_int_equal(s->amount_monthly, 1);
	assert_int_equal(s->n_won_stages, 2);
	assert_string_equal(s->won_stages[0], "Signed");
	assert_string_equal(s->won_stages[1], "Paid");
	col = bp_source_column(s, "closed");
	assert_non_null(col);
	assert_string_equal(col->name, "Closed On");
	assert_string_equal(col->format, "%d/%m/%Y");
	assert_int_equal(s->n_rules, 0);
	bp_config_free(cfg);
}

/* Configured rule (Newsletter → mail), then organic_search's GA4 group:
 * the only table channel with one. */
static void test_config_full_rules_use_configured_channels(void **state)
{
	bp_config *cfg = load_ok(fixture("full.xml"));
	const bp_source *t = bp_config_source(cfg, BP_SRC_TRAFFIC);
	const bp_source *c = bp_config_source(cfg, BP_SRC_CONTACTS);

	(void)state;
	assert_int_equal(t->n_rules, 2);
	assert_string_equal(t->rules[0].match, "Newsletter");
	assert_int_equal(t->rules[0].channel, 1);
	assert_string_equal(t->rules[1].match, "Organic Search");
	assert_int_equal(t->rules[1].channel, 2);
	assert_int_equal(c->n_rules, 2);
	assert_string_equal(c->rules[0].match, "ORGANIC_SEARCH");
	bp_config_free(cfg);
}

/* 0.00005 is half a ten-thousandth: rounds away from zero to 1;
 * -12.345678 is -123456.78 ten-thousandths: -123457. */
static void test_config_full_costs_round_half_away(void **state)
{
	bp_config *cfg = load_ok(fixture("full.xml"));

	(void)state;
	assert_int_equal(cfg->n_costs, 2);
	assert_true(cfg->costs[0].amount == 1);
	assert_string_equal(cfg->costs[0].label, "Other costs");
	assert_int_equal(cfg->costs[0].month, 2025 * 12 + 11);
	assert_true(cfg->costs[1].amount == -123457);
	bp_config_free(cfg);
}

static void test_config_full_targets(void **state)
{
	bp_config *cfg = load_ok(fixture("full.xml"));

	(void)state;
	assert_int_equal(cfg->n_targets, 2);
	assert_string_equal(cfg->targets[0].metric, "cac");
	assert_string_equal(cfg->targets[0].channel, "ads");
	assert_true(cfg->targets[0].value == -1.5);
	assert_null(cfg->targets[1].channel);
	bp_config_free(cfg);
}

static void test_config_full_email(void **state)
{
	bp_config *cfg = load_ok(fixture("full.xml"));
	const bp_email *e = cfg->email;

	(void)state;
	assert_string_equal(e->url, "smtp://localhost:25");
	assert_int_equal(e->tls_none, 1);
	assert_string_equal(e->password_file, cat3(fixture_dir(), "/secrets/smtp", ""));
	assert_string_equal(e->ca_file, "/etc/ssl/mail.pem");
	assert_true(e->max_bytes == 5000000);
	assert_int_equal(e->attach_html, 1);
	assert_string_equal(e->subject, "{title}: {period}");
	assert_int_equal(e->n_to, 2);
	assert_string_equal(e->to[0], "ceo@acme.example");
	assert_string_equal(e->to[1], "board@acme.example");
	assert_int_equal(e->n_cc, 1);
	assert_string_equal(e->cc[0], "cfo@acme.example");
	assert_int_equal(e->n_bcc, 1);
	assert_string_equal(e->bcc[0], "archive@acme.example");
	bp_config_free(cfg);
}

/* ------------------------------------------------------------------ */
/* Paths                                                              */

static void test_config_relative_paths_use_config_folder_not_cwd(void **state)
{
	char old[PATH_MAX], want[PATH_MAX], cfgdir[256];
	bp_config *cfg;

	(void)state;
	assert_non_null(getcwd(old, sizeof(old)));
	snprintf(cfgdir, sizeof(cfgdir), "%s/sub", tmpdir);
	assert_int_equal(mkdir(cfgdir, 0700), 0);
	snprintf(want, sizeof(want), "%s/sub/config.xml", tmpdir);
	tl_write_file(want, HEAD "<output dir=\"out\"/>\n"
		   "<sources><contacts url=\"data/c.csv\"/></sources>\n" TAIL);
	assert_int_equal(chdir(tmpdir), 0);
	cfg = load_ok("sub/config.xml");
	assert_int_equal(chdir("/"), 0);
	assert_string_equal(cfg->path, "sub/config.xml");
	snprintf(want, sizeof(want), "file://%s/sub/data/c.csv", tmpdir);
	assert_string_equal(cfg->sources[0].url, want);
	snprintf(want, sizeof(want), "%s/sub/out", tmpdir);
	assert_string_equal(cfg->output_dir, want);
	assert_int_equal(chdir(old), 0);
	bp_config_free(cfg);
}

static void test_config_file_url_path_is_percent_encoded(void **state)
{
	char dir[256], path[PATH_MAX], want[PATH_MAX];
	bp_config *cfg;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/my data", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/config.xml", dir);
	tl_write_file(path, HEAD "<sources><contacts url=\"c%.csv\"/></sources>\n" TAIL);
	cfg = load_ok(path);
	snprintf(want, sizeof(want), "file://%s/my%%20data/c%%25.csv", tmpdir);
	assert_string_equal(cfg->sources[0].url, want);
	bp_config_free(cfg);
}

static void test_config_file_url_forms(void **state)
{
	bp_config *cfg = load_text_ok(HEAD "<sources>\n"
		"<contacts url=\"file:///srv/c.csv\"/>\n"
		"<deals url=\"file:/srv/d.csv\"/>\n"
		"<traffic url=\"file://localhost/srv/t.csv\"/>\n"
		"<spend url=\"FILE:./s.csv\" preset=\"csv\" channel=\"other\"/>\n"
		"</sources>\n" TAIL);
	char want[PATH_MAX];

	(void)state;
	assert_string_equal(cfg->sources[0].url, "file:///srv/c.csv");
	assert_string_equal(cfg->sources[1].url, "file:///srv/d.csv");
	assert_string_equal(cfg->sources[2].url, "file:///srv/t.csv");
	assert_non_null(realpath(tmpdir, want));
	strcat(want, "/s.csv");
	assert_string_equal(cfg->sources[3].url, cat3("file://", want, ""));
	assert_int_equal(cfg->sources[3].channel, 9);
	bp_config_free(cfg);
}

#if LIBXML_VERSION >= 21200
static void count_error(void *data, const xmlError *e)
#else
static void count_error(void *data, xmlErrorPtr e)
#endif
{
	(void)e;
	(*(int *)data)++;
}

/* The caller's libxml2 handlers are back in place after a load. */
static void test_config_restores_libxml2_error_handlers(void **state)
{
	int calls = 0;
	bp_err err;

	(void)state;
	xmlSetStructuredErrorFunc(&calls, count_error);
	load_text(HEAD "<report>\n" TAIL, &err);
	assert_int_equal(calls, 0);
	assert_ptr_equal(xmlStructuredError, count_error);
	assert_ptr_equal(xmlStructuredErrorContext, &calls);
	xmlFreeDoc(xmlReadMemory("<a>", 3, "x.xml", NULL, 0));
	assert_true(calls > 0);
	xmlSetStructuredErrorFunc(NULL, NULL);
}

static void test_config_http_allowed_with_insecure_http(void **state)
{
	bp_config *cfg = load_text_ok(HEAD
		"<sources><contacts url=\"http://x.example/c.csv\" insecure-http=\"1\"/></sources>\n"
		TAIL);

	(void)state;
	assert_string_equal(cfg->sources[0].url, "http://x.example/c.csv");
	assert_int_equal(cfg->sources[0].insecure_http, 1);
	bp_config_free(cfg);
}

/* ------------------------------------------------------------------ */
/* Errors: reading and well-formedness                                */

static void test_config_missing_file_is_enoinput(void **state)
{
	bp_err err;
	char path[PATH_MAX], want[PATH_MAX + 64];

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.xml", tmpdir);
	bp_err_clear(&err);
	assert_null(bp_config_load(path, &err));
	assert_int_equal(err.code, BP_ENOINPUT);
	snprintf(want, sizeof(want), "cannot read config '%s': No such file or directory", path);
	assert_string_equal(err.msg, want);
}

static void test_config_directory_is_enoinput(void **state)
{
	bp_err err;

	(void)state;
	bp_err_clear(&err);
	assert_null(bp_config_load(tmpdir, &err));
	assert_int_equal(err.code, BP_ENOINPUT);
	assert_non_null(strstr(err.msg, "cannot read config"));
}

/* HEAD, comments to `size` bytes in all, then the sources and TAIL. */
static char *padded_config(size_t size)
{
	static const char head[] = HEAD "<!--", tail[] = "-->\n" CONTACTS TAIL;
	static const char next[] = "-->\n<!--";
	char *xml = malloc(size);
	size_t at = size - (sizeof(tail) - 1), p;

	assert_non_null(xml);
	memset(xml, 'x', size);
	memcpy(xml, head, sizeof(head) - 1);
	/* Comments of 1 KiB: libxml2 refuses one of 10 MB. */
	for (p = 1024; p + sizeof(next) < at; p += 1024)
		memcpy(xml + p, next, sizeof(next) - 1);
	memcpy(xml + at, tail, sizeof(tail) - 1);
	return xml;
}

/* A config is read whole up to 16 MiB, whatever its size (the source
 * after 16 MiB of comments is found), and one byte more is refused. */
static void test_config_read_whole_to_16_mib_then_refused(void **state)
{
	const size_t max = (size_t)16 * 1024 * 1024;
	char *xml = padded_config(max), want[64];
	bp_config *cfg;
	bp_err err;

	(void)state;
	tl_write_bytes(tmpfile_path, xml, max, 0644);
	free(xml);
	cfg = load_ok(tmpfile_path);
	assert_int_equal(cfg->n_sources, 1);
	assert_string_equal(cfg->sources[0].url, "https://crm.example/c.csv");
	bp_config_free(cfg);
	xml = padded_config(max + 1);
	tl_write_bytes(tmpfile_path, xml, max + 1, 0644);
	bp_err_clear(&err);
	assert_null(bp_config_load(tmpfile_path, &err));
	assert_int_equal(err.code, BP_ECONFIG);
	snprintf(want, sizeof(want), "the config is larger than %zu bytes", max);
	assert_string_equal(err.msg, want);
	free(xml);
}

static void test_config_not_well_formed_names_line_and_column(void **state)
{
	bp_err err;

	(void)state;
	assert_null(load_text(HEAD
		"<report>\n"
		"<sources></report>\n"
		TAIL, &err));
	assert_int_equal(err.code, BP_ECONFIG);
	assert_int_equal(err.line, 3);
	assert_true(err.col > 0);
	assert_non_null(strstr(err.msg, "not well-formed XML: "));
	assert_non_null(strstr(err.msg, "mismatch"));
}

/* Nothing from libxml2 reaches stderr: main owns the terminal. */
static void test_config_libxml2_prints_nothing(void **state)
{
	char path[PATH_MAX];
	struct stat st;
	bp_err err;
	int saved, fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/stderr.txt", tmpdir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	load_text(HEAD "<report months=\"0\"><x/></report>\n" TAIL, &err);
	load_text(HEAD "<report>\n" TAIL, &err);
	load_text(HEAD "<sources><contacts url=\"a\" bogus=\"1\"/></sources>" TAIL, &err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
}

/* ------------------------------------------------------------------ */
/* Errors: schema, explained                                          */

static void test_config_missing_url_is_named(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources>\n"
		"  <contacts id=\"crm\"/>\n"
		"</sources>\n"
		TAIL, 3, "element 'contacts': attribute 'url' or 'connector' is required");
}

/* The line is the attribute's, not where the start tag begins or ends. */
static void test_config_months_out_of_range(void **state)
{
	(void)state;
	expect_error(HEAD
		CONTACTS
		"<report title=\"months=&quot;1&quot;\"\n"
		"        months=\"x\"\n"
		"        language=\"en\"/>\n"
		TAIL, 4,
		"invalid value 'x' for attribute 'months': expected an integer from 1 to 120");
	expect_error(HEAD "<report months=\"121\"/>\n" CONTACTS TAIL, 2,
		"invalid value '121' for attribute 'months': expected an integer from 1 to 120");
}

static void test_config_gross_margin_above_one(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS "<report gross-margin=\"1.5\"/>\n" TAIL, 3,
		"invalid value '1.5' for attribute 'gross-margin': expected a number greater than 0 and at most 1, such as 0.8");
	expect_error(HEAD CONTACTS "<report gross-margin=\"0\"/>\n" TAIL, 3,
		"invalid value '0' for attribute 'gross-margin': expected a number greater than 0 and at most 1, such as 0.8");
}

static void test_config_currency_must_be_three_capitals(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS "<report currency=\"usd\"/>\n" TAIL, 3,
		"invalid value 'usd' for attribute 'currency': expected a three-letter currency code such as USD");
}

static void test_config_language_code(void **state)
{
	bp_config *cfg = load_text_ok(HEAD CONTACTS "<report language=\"ko-KR\"/>\n" TAIL);

	(void)state;
	assert_string_equal(cfg->language, "ko-KR");
	bp_config_free(cfg);
	expect_error(HEAD CONTACTS "<report language=\"korean\"/>\n" TAIL, 3,
		"invalid value 'korean' for attribute 'language': expected a language code such as en or ko-KR");
}

static void test_config_unknown_attribute(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources>\n"
		"  <contacts url=\"c.csv\"\n"
		"            tokenenv=\"X\"\n"
		"            id=\"crm\"/>\n"
		"</sources>\n"
		TAIL, 4, "element 'contacts': unknown attribute 'tokenenv'");
}

static void test_config_unknown_element(void **state)
{
	(void)state;
	expect_error(HEAD
		CONTACTS
		"<reports/>\n"
		TAIL, 3,
		"unexpected element 'reports' in 'boardpack': expected one of report, channels, sources, costs, targets, output, email, auth");
}

static void test_config_source_child_unknown(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources>\n"
		"  <spend url=\"s.csv\" preset=\"meta\" channel=\"paid_social\">\n"
		"    <channel-rule match=\"a\" channel=\"paid_social\"/>\n"
		"  </spend>\n"
		"</sources>\n"
		TAIL, 4,
		"unexpected element 'channel-rule' in 'spend': expected one of column");
}

static void test_config_spend_needs_channel(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources>\n"
		"  <contacts url=\"c.csv\"/>\n"
		"  <spend url=\"s.csv\" preset=\"meta\"/>\n"
		"</sources>\n"
		TAIL, 4, "element 'spend': attribute 'channel' is required");
}

static void test_config_report_twice(void **state)
{
	(void)state;
	expect_error(HEAD
		"<report/>\n"
		CONTACTS
		"<report/>\n"
		TAIL, 4,
		"element 'report' appears twice in 'boardpack' (first at line 2)");
}

static void test_config_sources_required(void **state)
{
	(void)state;
	expect_error(HEAD "<report/>\n" TAIL, 1,
		"element 'boardpack' needs a <sources> element");
}

static void test_config_email_needs_to(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS
		"<email url=\"smtps://m.example\" from=\"a@b.example\">\n"
		"  <cc>c@b.example</cc>\n"
		"</email>\n"
		TAIL, 3, "element 'email' needs a <to> element");
}

static void test_config_wrong_namespace(void **state)
{
	(void)state;
	expect_error("<?xml version=\"1.0\"?>\n"
		"<boardpack>\n"
		"<sources><contacts url=\"c.csv\"/></sources>\n"
		TAIL, 2,
		"root element 'boardpack' is not in namespace 'urn:boardpack:config:1': write <boardpack xmlns=\"urn:boardpack:config:1\">");
}

static void test_config_empty_attribute(void **state)
{
	(void)state;
	expect_error(HEAD "<sources><contacts url=\"  \"/></sources>\n" TAIL, 2,
		"element 'contacts': attribute 'url' must not be empty");
}

static void test_config_channel_id_pattern(void **state)
{
	(void)state;
	expect_error(HEAD
		"<channels>\n"
		"  <channel id=\"Paid-Search\"/>\n"
		"</channels>\n"
		CONTACTS TAIL, 3,
		"invalid value 'Paid-Search' for attribute 'id': expected a channel id of lowercase letters, digits and '_'");
}

static void test_config_bad_boolean(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources><contacts url=\"c.csv\" insecure-http=\"yes\"/></sources>\n"
		TAIL, 2,
		"invalid value 'yes' for attribute 'insecure-http': expected true or false");
}

static void test_config_bad_enum(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources><contacts url=\"c.csv\"/>\n"
		"<deals url=\"d.csv\" amount=\"yearly\"/></sources>\n"
		TAIL, 3,
		"invalid value 'yearly' for attribute 'amount': expected one of annual, monthly");
}

/* ------------------------------------------------------------------ */
/* Errors: semantic checks                                            */

static void test_config_unknown_preset_per_kind(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources>\n"
		"  <contacts url=\"c.csv\"/>\n"
		"  <spend url=\"s.csv\" preset=\"hubspot\" channel=\"paid_search\"/>\n"
		"</sources>\n"
		TAIL, 4,
		"unknown preset 'hubspot' for a spend source: expected one of google-ads, linkedin, meta, csv");
	expect_error(HEAD
		"<sources>\n"
		"  <contacts url=\"c.csv\" preset=\"ga4\"/>\n"
		"</sources>\n"
		TAIL, 3,
		"unknown preset 'ga4' for a contacts source: expected one of hubspot, csv");
}

static void test_config_unknown_channel_in_rule(void **state)
{
	(void)state;
	expect_error(HEAD
		"<channels><channel id=\"paid\"/></channels>\n"
		"<sources>\n"
		"  <contacts url=\"c.csv\">\n"
		"    <channel-rule match=\"X\" channel=\"paid\"/>\n"
		"    <channel-rule match=\"Y\" channel=\"organic\"/>\n"
		"  </contacts>\n"
		"</sources>\n"
		TAIL, 6, "unknown channel 'organic': expected one of paid, other");
}

static void test_config_unknown_channel_in_spend(void **state)
{
	(void)state;
	expect_error(HEAD
		"<channels><channel id=\"a\"/><channel id=\"b\"/></channels>\n"
		"<sources>\n"
		"  <contacts url=\"c.csv\"/>\n"
		"  <spend url=\"s.csv\" preset=\"meta\" channel=\"podcasts\"/>\n"
		"</sources>\n"
		TAIL, 5, "unknown channel 'podcasts': expected one of a, b, other");
}

/* A channel of METRICS.md's table used but not listed is added after the
 * listed ones, with the table's label and group. */
static void test_config_referenced_default_channel_added(void **state)
{
	bp_config *cfg = load_text_ok(HEAD
		"<channels><channel id=\"paid_search\" label=\"Search ads\"/></channels>\n"
		"<sources>\n"
		"  <contacts url=\"c.csv\"/>\n"
		"  <spend url=\"s.csv\" preset=\"meta\" channel=\"paid_social\"/>\n"
		"</sources>\n"
		TAIL);

	(void)state;
	assert_int_equal(cfg->n_channels, 3);
	assert_string_equal(cfg->channels[0].label, "Search ads");
	assert_string_equal(cfg->channels[1].id, "paid_social");
	assert_string_equal(cfg->channels[1].label, "Paid social");
	assert_string_equal(cfg->channels[1].group, "Paid");
	assert_string_equal(cfg->channels[2].id, "other");
	assert_int_equal(cfg->sources[1].channel, 1);
	bp_config_free(cfg);
}

static void test_config_unknown_channel_in_target(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS
		"<targets>\n"
		"  <target month=\"2026-01\" metric=\"mqls\" value=\"1\" channel=\"tv\"/>\n"
		"</targets>\n"
		TAIL, 4,
		"unknown channel 'tv': expected one of organic_search, paid_search, paid_social, organic_social, email_marketing, referrals, direct_traffic, offline, other_campaigns, other");
}

static void test_config_unknown_target_metric(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS
		"<targets><target month=\"2026-01\" metric=\"MQLs\" value=\"1\"/></targets>\n"
		TAIL, 3,
		"unknown metric 'MQLs': expected a column of cohorts.csv or channels.csv, such as mqls, new_leads, spend or cac");
}

static void test_config_duplicate_source_id(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources>\n"
		"  <contacts url=\"c.csv\"/>\n"
		"  <spend url=\"a.csv\" preset=\"meta\" channel=\"paid_social\"/>\n"
		"  <spend url=\"b.csv\" preset=\"linkedin\" channel=\"paid_social\"/>\n"
		"</sources>\n"
		TAIL, 5,
		"duplicate source id 'spend' (first used at line 4): give each source its own id");
}

static void test_config_duplicate_channel_id(void **state)
{
	(void)state;
	expect_error(HEAD
		"<channels>\n"
		"  <channel id=\"ads\"/>\n"
		"  <channel id=\"ads\" label=\"Ads again\"/>\n"
		"</channels>\n"
		CONTACTS TAIL, 4, "duplicate channel id 'ads'");
}

static void test_config_channel_all_is_reserved(void **state)
{
	(void)state;
	expect_error(HEAD
		"<channels>\n"
		"  <channel id=\"all\"/>\n"
		"</channels>\n"
		CONTACTS TAIL, 3,
		"channel id 'all' is reserved: it is the total over every channel");
}

static void test_config_unknown_time_zone(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS "<report timezone=\"Mars/Olympus\"/>\n" TAIL, 3,
		"unknown time zone 'Mars/Olympus' for attribute 'timezone': expected an IANA name such as 'Asia/Seoul' or 'UTC'");
	expect_error(HEAD
		"<sources>\n"
		"  <contacts url=\"c.csv\" timezone=\"Seoul\"/>\n"
		"</sources>\n"
		TAIL, 3,
		"unknown time zone 'Seoul' for attribute 'timezone': expected an IANA name such as 'Asia/Seoul' or 'UTC'");
}

static void test_config_bad_month(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS
		"<costs>\n"
		"  <cost month=\"2026-10\" amount=\"1\"/>\n"
		"  <cost month=\"2026-13\" amount=\"1\"/>\n"
		"</costs>\n"
		TAIL, 5,
		"invalid value '2026-13' for attribute 'month': expected a month as YYYY-MM, such as 2026-10");
	expect_error(HEAD CONTACTS
		"<targets><target month=\"Oct 2026\" metric=\"cac\" value=\"1\"/></targets>\n"
		TAIL, 3,
		"invalid value 'Oct 2026' for attribute 'month': expected a month as YYYY-MM, such as 2026-10");
}

static void test_config_bad_amount(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS
		"<costs><cost month=\"2026-10\" amount=\"12,000\"/></costs>\n"
		TAIL, 3,
		"invalid value '12,000' for attribute 'amount': expected a number such as 1200.50");
}

/* A cost is at most 10^14, as an amount in an export; and all the costs
 * together must fit in 64 bits, whatever their signs, since the model
 * sums them. */
static void test_config_cost_beyond_bound_and_costs_that_overflow(void **state)
{
	char xml[4096], *o = xml;
	bp_err err;
	int i;

	(void)state;
	expect_error(HEAD CONTACTS
		"<costs><cost month=\"2026-10\" amount=\"100000000000000.01\"/></costs>\n"
		TAIL, 3,
		"invalid value '100000000000000.01' for attribute 'amount': the "
		"number is too large (at most 100000000000000)");
	bp_config_free(load_text_ok(HEAD CONTACTS
		"<costs><cost month=\"2026-10\" amount=\"-100000000000000\"/></costs>\n"
		TAIL));
	o += sprintf(o, HEAD CONTACTS "<costs>\n");
	for (i = 0; i < 10; i++)
		o += sprintf(o, "<cost month=\"2026-%02d\" amount=\"%s99999999999999\"/>\n",
			     i + 1, i % 2 ? "-" : "");
	sprintf(o, "</costs>\n" TAIL);
	assert_null(load_text(xml, &err));
	assert_int_equal(err.code, BP_ECONFIG);
	assert_int_equal(err.line, 13);
	assert_non_null(strstr(err.msg, "the <cost> amounts add up to more than 64 bits hold"));
}

static void test_config_http_without_insecure_flag(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources>\n"
		"  <contacts url=\"http://crm.example/c.csv\"/>\n"
		"</sources>\n"
		TAIL, 3,
		"element 'contacts': plain http:// url without insecure-http=\"true\": use https://, or set insecure-http=\"true\" to allow it");
}

static void test_config_unsupported_scheme(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources>\n"
		"  <contacts url=\"c.csv\"/>\n"
		"  <traffic url=\"ftp://ga.example/t.csv\"/>\n"
		"</sources>\n"
		TAIL, 4,
		"element 'traffic': unsupported url scheme 'ftp': expected https://, file:// or a path (http:// with insecure-http=\"true\")");
}

/* The id names the file under sources/ in a snapshot. */
static void test_config_source_id_cannot_start_with_dot(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources><contacts url=\"c.csv\" id=\"..\"/></sources>\n"
		TAIL, 2,
		"invalid value '..' for attribute 'id': expected a letter or digit, then letters, digits, '_', '.' or '-'");
}

static void test_config_credentials_in_url_rejected(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources>\n"
		"  <contacts url=\"https://bob:s3cret@crm.example/c.csv\"/>\n"
		"</sources>\n"
		TAIL, 3,
		"element 'contacts': the url holds a user name or password: use token-env, user-env and password-env instead");
	expect_error(HEAD CONTACTS
		"<email url=\"smtps://bob:pw@m.example\" from=\"a@b.example\"><to>x@y.example</to></email>\n"
		TAIL, 3,
		"element 'email': the url holds a user name or password: use user-env and password-env instead");
}

/* curl reads "https:/bob:pw@host" and "https:host" as if both slashes
 * were there: without a host after "//" a URL is refused, so that no
 * user name or password passes the check above that way. */
static void test_config_url_without_host_rejected(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources>\n"
		"  <contacts url=\"https:/bob:s3cret@crm.example/c.csv\"/>\n"
		"</sources>\n"
		TAIL, 3,
		"element 'contacts': the url has no host: expected https://HOST/PATH");
	expect_error(HEAD
		"<sources><contacts url=\"http:crm.example/c.csv\" insecure-http=\"true\"/></sources>\n"
		TAIL, 2,
		"element 'contacts': the url has no host: expected http://HOST/PATH");
	expect_error(HEAD
		"<sources><contacts url=\"https:///c.csv\"/></sources>\n"
		TAIL, 2,
		"element 'contacts': the url has no host: expected https://HOST/PATH");
	expect_error(HEAD CONTACTS
		"<email url=\"smtps:/bob:pw@m.example\" from=\"a@b.example\"><to>x@y.example</to></email>\n"
		TAIL, 3,
		"element 'email': the url has no host: expected smtps://HOST:PORT");
	expect_error(HEAD
		"<auth><oauth id=\"g\" token-url=\"https:/bob:pw@oauth.example/token\"\n"
		"  client-id=\"c\" client-secret-env=\"S\" refresh-token-env=\"R\"/></auth>\n"
		CONTACTS TAIL, 2,
		"attribute 'token-url' must be an https:// URL with a host and without a user name");
}

static void test_config_needs_contacts_source(void **state)
{
	(void)state;
	expect_error(HEAD
		"<sources>\n"
		"  <traffic url=\"t.csv\"/>\n"
		"</sources>\n"
		TAIL, 2,
		"element 'sources' needs a <contacts> source: the funnel is built from contacts");
}

static void test_config_email_scheme(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS
		"<email url=\"https://m.example\" from=\"a@b.example\"><to>x@y.example</to></email>\n"
		TAIL, 3,
		"element 'email': unsupported url scheme 'https': expected smtps:// or smtp://");
}

static void test_config_email_address_checked(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS
		"<email url=\"smtps://m.example\" from=\"a@b.example\">\n"
		"  <to>board@acme.example</to>\n"
		"  <to>Board &lt;board@acme.example&gt;</to>\n"
		"</email>\n"
		TAIL, 5,
		"invalid address 'Board <board@acme.example>' in <to>: expected one plain address such as board@acme.example");
}

/* A character reference survives attribute normalisation: a newline in
 * the subject would add a mail header. */
static void test_config_email_subject_newline_rejected(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS
		"<email url=\"smtps://m.example\" from=\"a@b.example\"\n"
		"       subject=\"Hi&#10;Bcc: x@evil.example\"\n"
		"       tls=\"required\"><to>x@y.example</to></email>\n"
		TAIL, 4,
		"element 'email': attribute 'subject' must be one line without control characters");
}

static void test_config_tls_none_with_smtps(void **state)
{
	(void)state;
	expect_error(HEAD CONTACTS
		"<email url=\"smtps://m.example\" from=\"a@b.example\" tls=\"none\"><to>x@y.example</to></email>\n"
		TAIL, 3,
		"element 'email': tls=\"none\" contradicts an smtps:// url: use smtp:// for a local relay");
}

static void test_config_helpers(void **state)
{
	(void)state;
	assert_string_equal(bp_source_kind_name(BP_SRC_CONTACTS), "contacts");
	assert_string_equal(bp_source_kind_name(BP_SRC_DEALS), "deals");
	assert_string_equal(bp_source_kind_name(BP_SRC_SPEND), "spend");
	assert_string_equal(bp_source_kind_name(BP_SRC_TRAFFIC), "traffic");
	assert_int_equal(bp_config_channel(NULL, "x"), -1);
	assert_null(bp_config_source(NULL, BP_SRC_DEALS));
	assert_null(bp_source_column(NULL, "x"));
	bp_config_free(NULL);
}


static void test_config_funnel_mode_and_pipeline(void **state)
{
	bp_config *cfg;

	(void)state;
	cfg = load_text_ok(HEAD "<report funnel=\"ordered\"/>\n"
		"<sources><contacts url=\"https://crm.example/c.csv\" "
		"pipeline=\"Partner Journey\"/></sources>\n" TAIL);
	assert_int_equal(cfg->funnel_mode, BP_FUNNEL_ORDERED);
	assert_string_equal(cfg->sources[0].pipeline, "Partner Journey");
	assert_string_equal(cfg->sources[0].url_given, "https://crm.example/c.csv");
	bp_config_free(cfg);
	cfg = load_text_ok(HEAD CONTACTS TAIL);
	assert_int_equal(cfg->funnel_mode, BP_FUNNEL_CUMULATIVE);
	assert_null(cfg->sources[0].pipeline);
	bp_config_free(cfg);
	expect_error(HEAD "<report funnel=\"all\"/>\n" CONTACTS TAIL, 2,
		"invalid value 'all' for attribute 'funnel': expected one of cumulative, any, ordered");
}

static void test_config_column_must_name_a_preset_field(void **state)
{
	(void)state;
	expect_error(HEAD "<sources><contacts url=\"https://crm.example/c.csv\">\n"
		"<column field=\"created_at\" name=\"Signup\"/>\n"
		"</contacts></sources>\n" TAIL, 3,
		"unknown field 'created_at' for the hubspot contacts preset: expected one of "
		"id, created, source, lead, mql, sql, opportunity, customer, evangelist, "
		"deals, lifecycle_stage, drill_down_1, drill_down_2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_minimal_gets_report_defaults),
		cmocka_unit_test(test_config_minimal_gets_default_channels),
		cmocka_unit_test(test_config_minimal_source_defaults),
		cmocka_unit_test(test_config_contacts_default_rules),
		cmocka_unit_test(test_config_traffic_default_rules_are_ga4_groups),
		cmocka_unit_test(test_config_report_is_optional),
		cmocka_unit_test(test_config_design_report),
		cmocka_unit_test(test_config_design_channels_other_appended),
		cmocka_unit_test(test_config_design_contacts_rules),
		cmocka_unit_test(test_config_design_spend_and_traffic),
		cmocka_unit_test(test_config_design_costs_and_targets),
		cmocka_unit_test(test_config_design_email),
		cmocka_unit_test(test_config_full_channels_other_moved_last),
		cmocka_unit_test(test_config_full_report_paths_relative_to_config),
		cmocka_unit_test(test_config_full_file_urls_resolved),
		cmocka_unit_test(test_config_full_source_attributes),
		cmocka_unit_test(test_config_full_deals_won_stages_and_columns),
		cmocka_unit_test(test_config_full_rules_use_configured_channels),
		cmocka_unit_test(test_config_full_costs_round_half_away),
		cmocka_unit_test(test_config_full_targets),
		cmocka_unit_test(test_config_full_email),
		cmocka_unit_test(test_config_relative_paths_use_config_folder_not_cwd),
		cmocka_unit_test(test_config_file_url_path_is_percent_encoded),
		cmocka_unit_test(test_config_file_url_forms),
		cmocka_unit_test(test_config_restores_libxml2_error_handlers),
		cmocka_unit_test(test_config_http_allowed_with_insecure_http),
		cmocka_unit_test(test_config_missing_file_is_enoinput),
		cmocka_unit_test(test_config_directory_is_enoinput),
		cmocka_unit_test(test_config_read_whole_to_16_mib_then_refused),
		cmocka_unit_test(test_config_not_well_formed_names_line_and_column),
		cmocka_unit_test(test_config_libxml2_prints_nothing),
		cmocka_unit_test(test_config_missing_url_is_named),
		cmocka_unit_test(test_config_months_out_of_range),
		cmocka_unit_test(test_config_gross_margin_above_one),
		cmocka_unit_test(test_config_currency_must_be_three_capitals),
		cmocka_unit_test(test_config_language_code),
		cmocka_unit_test(test_config_unknown_attribute),
		cmocka_unit_test(test_config_unknown_element),
		cmocka_unit_test(test_config_source_child_unknown),
		cmocka_unit_test(test_config_spend_needs_channel),
		cmocka_unit_test(test_config_report_twice),
		cmocka_unit_test(test_config_sources_required),
		cmocka_unit_test(test_config_email_needs_to),
		cmocka_unit_test(test_config_wrong_namespace),
		cmocka_unit_test(test_config_empty_attribute),
		cmocka_unit_test(test_config_channel_id_pattern),
		cmocka_unit_test(test_config_bad_boolean),
		cmocka_unit_test(test_config_bad_enum),
		cmocka_unit_test(test_config_unknown_preset_per_kind),
		cmocka_unit_test(test_config_unknown_channel_in_rule),
		cmocka_unit_test(test_config_unknown_channel_in_spend),
		cmocka_unit_test(test_config_referenced_default_channel_added),
		cmocka_unit_test(test_config_unknown_channel_in_target),
		cmocka_unit_test(test_config_unknown_target_metric),
		cmocka_unit_test(test_config_duplicate_source_id),
		cmocka_unit_test(test_config_duplicate_channel_id),
		cmocka_unit_test(test_config_channel_all_is_reserved),
		cmocka_unit_test(test_config_unknown_time_zone),
		cmocka_unit_test(test_config_bad_month),
		cmocka_unit_test(test_config_bad_amount),
		cmocka_unit_test(test_config_cost_beyond_bound_and_costs_that_overflow),
		cmocka_unit_test(test_config_http_without_insecure_flag),
		cmocka_unit_test(test_config_unsupported_scheme),
		cmocka_unit_test(test_config_source_id_cannot_start_with_dot),
		cmocka_unit_test(test_config_credentials_in_url_rejected),
		cmocka_unit_test(test_config_url_without_host_rejected),
		cmocka_unit_test(test_config_needs_contacts_source),
		cmocka_unit_test(test_config_email_scheme),
		cmocka_unit_test(test_config_email_address_checked),
		cmocka_unit_test(test_config_email_subject_newline_rejected),
		cmocka_unit_test(test_config_tls_none_with_smtps),
		cmocka_unit_test(test_config_helpers),
		cmocka_unit_test(test_config_funnel_mode_and_pipeline),
		cmocka_unit_test(test_config_column_must_name_a_preset_field),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
