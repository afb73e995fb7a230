/*
 * test_starter.c - the starter config of `boardpack init`: what it writes
 * loads as a config, for every preset and every connector, names every
 * field and header of the presets, and what it refuses.
 *
 * Which presets and connectors exist is asked of ingest and conn, so a
 * new one is tested without a change here; what a preset reads is held
 * to README.md by test_ingest.c, and init's output to README.md by
 * tests/integration/test_init.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conn.h"
#include "ingest.h"
#include "starter.h"
#include "testlib.h"

#define MAX_NAMES 16

static char *tmpdir;

static int setup(void **state)
{
	(void)state;
	tmpdir = tl_tmpdir("/tmp/bp-test-starter-XXXXXX");
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

/* The presets of `kind`, split out of bp_preset_list's "a, b, c". */
static size_t presets_of(bp_source_kind kind, char names[][64])
{
	char list[512], *p, *save = NULL;
	size_t n = 0;

	bp_preset_list(kind, list, sizeof(list));
	for (p = strtok_r(list, ", ", &save); p && n < MAX_NAMES;
	     p = strtok_r(NULL, ", ", &save))
		snprintf(names[n++], 64, "%s", p);
	assert_true(n > 0);
	return n;
}

/* The presets of `kind` as one comma-separated list; with `api`, only
 * those a connector reads. */
static void joined(bp_source_kind kind, int api, char *buf, size_t size)
{
	char names[MAX_NAMES][64];
	size_t i, n = presets_of(kind, names), o = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const bp_conn_ops *c = bp_conn_find(names[i]);

		if (api && !(c && (c->kinds & (1u << kind))))
			continue;
		o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "," : "",
				      names[i]);
	}
}

static char *make(const bp_starter *s)
{
	bp_err err = { 0 };
	char *text = bp_starter_config(s, &err);

	if (!text)
		fail_msg("bp_starter_config: %s", err.msg);
	return text;
}

/* Writes text as boardpack.xml in the test's folder and loads it. */
static bp_config *load(const char *text)
{
	const char *path = tl_path(tmpdir, "boardpack.xml");
	bp_err err = { 0 };
	bp_config *cfg;

	tl_write_file(path, text);
	cfg = bp_config_load(path, &err);
	if (!cfg)
		fail_msg("the starter config does not load: %s:%ld: %s\n%s",
			 err.file, err.line, err.msg, text);
	return cfg;
}

static void expect_refused(const bp_starter *s, const char *needle)
{
	bp_err err = { 0 };
	char *text = bp_starter_config(s, &err);

	assert_null(text);
	assert_int_equal(err.code, BP_EUSAGE);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
}

/* ---- what it writes ---- */

/* Every preset of every kind, in two configs (one contacts preset
 * each): each loads, every source reads exports/ID.csv beside the
 * config, and the ids are unique (the loader refuses duplicates). */
static void test_starter_every_preset_loads_with_files_beside_it(void **state)
{
	char contacts[MAX_NAMES][64], spend[512], traffic[512], dir[PATH_MAX];
	size_t nc = presets_of(BP_SRC_CONTACTS, contacts), c, i;

	(void)state;
	assert_non_null(realpath(tmpdir, dir));
	joined(BP_SRC_SPEND, 0, spend, sizeof(spend));
	joined(BP_SRC_TRAFFIC, 0, traffic, sizeof(traffic));
	for (c = 0; c < nc; c++) {
		bp_starter s = { .contacts = contacts[c], .spend = spend,
				 .traffic = traffic };
		char *text = make(&s);
		bp_config *cfg = load(text);
		size_t want = 1 + bp_preset_exists(BP_SRC_DEALS, contacts[c]) +
			      (size_t)tl_count(spend, ",") + 1 +
			      (size_t)tl_count(traffic, ",") + 1;

		assert_int_equal(cfg->n_sources, want);
		for (i = 0; i < cfg->n_sources; i++) {
			const bp_source *src = &cfg->sources[i];
			char *path = bp_source_path(src), expect[PATH_MAX + 128];

			snprintf(expect, sizeof(expect), "%s/exports/%s.csv", dir, src->id);
			assert_non_null(path);
			assert_string_equal(path, expect);
			assert_null(src->connector);
			free(path);
		}
		assert_string_equal(cfg->sources[0].preset, contacts[c]);
		bp_config_free(cfg);
		free(text);
	}
}

/* Every field of every preset is named, each header of it too. */
static void test_starter_names_every_field_and_header(void **state)
{
	static const bp_source_kind kinds[] = { BP_SRC_CONTACTS, BP_SRC_SPEND,
						BP_SRC_TRAFFIC };
	char names[MAX_NAMES][64];
	size_t k, p, n, i, h;

	(void)state;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		n = presets_of(kinds[k], names);
		for (p = 0; p < n; p++) {
			bp_starter s = { .contacts = "csv" };
			const char *f, *hd;
			char *text;
			int required;

			if (kinds[k] == BP_SRC_CONTACTS)
				s.contacts = names[p];
			else if (kinds[k] == BP_SRC_SPEND)
				s.spend = names[p];
			else
				s.traffic = names[p];
			text = make(&s);
			for (i = 0; (f = bp_preset_field(kinds[k], names[p], i, &required)); i++) {
				char line[128];

				snprintf(line, sizeof(line), "\n        %s%s ", f,
					 required ? " *" : "");
				if (!strstr(text, line))
					fail_msg("%s preset %s: no line for field %s",
						 bp_source_kind_name(kinds[k]), names[p], f);
				for (h = 0; (hd = bp_preset_header(kinds[k], names[p], i, h)); h++)
					if (!strstr(text, hd))
						fail_msg("%s preset %s: header '%s' missing",
							 bp_source_kind_name(kinds[k]), names[p], hd);
			}
			free(text);
		}
	}
}

/* Every preset a connector reads, with api: each source is its
 * connector's, with a placeholder account its check accepts, and the
 * credentials are exactly one of a token file and an <oauth> client whose
 * secrets are files under secrets/. */
static void test_starter_api_every_connector_loads(void **state)
{
	char contacts[MAX_NAMES][64], spend[512], traffic[512], dir[PATH_MAX];
	size_t nc = presets_of(BP_SRC_CONTACTS, contacts), c, i;
	size_t prefix;

	(void)state;
	assert_non_null(realpath(tmpdir, dir));
	prefix = strlen(dir) + strlen("/secrets/");
	joined(BP_SRC_SPEND, 1, spend, sizeof(spend));
	joined(BP_SRC_TRAFFIC, 1, traffic, sizeof(traffic));
	for (c = 0; c < nc; c++) {
		bp_starter s = { .contacts = contacts[c], .spend = spend,
				 .traffic = traffic, .api = 1 };
		bp_config *cfg;
		char *text;

		if (!bp_conn_find(contacts[c]))
			continue;
		text = make(&s);
		cfg = load(text);
		for (i = 0; i < cfg->n_sources; i++) {
			const bp_source *src = &cfg->sources[i];
			const bp_oauth *o = src->oauth >= 0 ? &cfg->oauth[src->oauth] : NULL;
			const char *secret = o ? (o->service_account_file ?
				o->service_account_file : o->refresh_token_file) :
				src->token_file;

			assert_non_null(src->connector);
			assert_null(src->url);
			assert_string_equal(src->preset, src->connector);
			assert_true((o != NULL) != (src->token_file != NULL));
			assert_non_null(secret);
			assert_true(strlen(secret) > prefix);
			assert_memory_equal(secret, dir, strlen(dir));
			assert_memory_equal(secret + strlen(dir), "/secrets/", 9);
			if (o && !o->service_account_file) {
				assert_non_null(o->client_id);
				assert_non_null(o->client_secret_file);
			}
		}
		/* Each client once, however many sources use it. */
		for (i = 0; i < cfg->n_oauth; i++) {
			size_t j, users = 0;

			for (j = 0; j < cfg->n_sources; j++)
				users += cfg->sources[j].oauth == (int)i;
			assert_true(users >= 1);
		}
		bp_config_free(cfg);
		free(text);
	}
}

static void test_starter_report_currency_and_zone(void **state)
{
	bp_starter s = { .contacts = "hubspot", .currency = "KRW",
			 .timezone = "Asia/Seoul" };
	char *text = make(&s);
	bp_config *cfg = load(text);

	(void)state;
	assert_string_equal(cfg->currency, "KRW");
	assert_string_equal(cfg->timezone, "Asia/Seoul");
	bp_config_free(cfg);
	free(text);
	s.currency = s.timezone = NULL;
	text = make(&s);
	cfg = load(text);
	assert_string_equal(cfg->currency, "USD");
	assert_string_equal(cfg->timezone, "UTC");
	bp_config_free(cfg);
	free(text);
}

/* The steps in the comments name the file they are about. */
static void test_starter_comments_name_the_file(void **state)
{
	bp_starter s = { .contacts = "hubspot", .spend = "google-ads", .api = 1,
			 .name = "/etc/boardpack/boardpack.xml" };
	char *text = make(&s);

	(void)state;
	assert_non_null(strstr(text, "boardpack check -c /etc/boardpack/boardpack.xml\n"));
	assert_non_null(strstr(text, "boardpack auth -c /etc/boardpack/boardpack.xml "));
	free(text);
	s.name = NULL;
	text = make(&s);
	assert_non_null(strstr(text, "boardpack check -c boardpack.xml\n"));
	free(text);
}

/* A double hyphen cannot be in an XML comment: not even one that a file
 * name brings in. */
static void test_starter_double_hyphen_kept_out_of_comments(void **state)
{
	bp_starter s = { .contacts = "hubspot", .name = "my--config.xml" };
	char *text = make(&s);
	bp_config *cfg = load(text);

	(void)state;
	bp_config_free(cfg);
	free(text);
}

/* ---- what it refuses ---- */

static void test_starter_unknown_preset_lists_the_valid_ones(void **state)
{
	char list[512], *p, *save = NULL;
	bp_starter s = { .contacts = "hubspot", .spend = "google-ads,tiktok" };
	bp_err err = { 0 };

	(void)state;
	assert_null(bp_starter_config(&s, &err));
	assert_int_equal(err.code, BP_EUSAGE);
	assert_non_null(strstr(err.msg, "unknown spend preset 'tiktok'"));
	bp_preset_list(BP_SRC_SPEND, list, sizeof(list));
	for (p = strtok_r(list, ", ", &save); p; p = strtok_r(NULL, ", ", &save))
		assert_non_null(strstr(err.msg, p));
	s.spend = NULL;
	s.contacts = "salesforce";
	expect_refused(&s, "unknown contacts preset 'salesforce'");
	s.contacts = "hubspot";
	s.traffic = "ga5";
	expect_refused(&s, "unknown traffic preset 'ga5'");
}

static void test_starter_refuses_what_cannot_be_a_config(void **state)
{
	bp_starter s = { .contacts = "hubspot" };

	(void)state;
	s.spend = "meta,,linkedin";
	expect_refused(&s, "empty spend preset name");
	s.spend = "meta,";
	expect_refused(&s, "empty spend preset name");
	s.spend = "meta, meta";
	expect_refused(&s, "spend preset 'meta' is named twice");
	s.spend = NULL;
	s.contacts = "hubspot,csv";
	expect_refused(&s, "one contacts preset");
	s.contacts = NULL;
	expect_refused(&s, "needs a contacts source");
	s.contacts = "hubspot";
	s.api = 1;
	s.traffic = "csv";
	expect_refused(&s, "no connector reads the traffic preset 'csv'");
	s.api = 0;
	s.traffic = NULL;
	s.currency = "usd";
	expect_refused(&s, "bad currency 'usd'");
	s.currency = "EURO";
	expect_refused(&s, "bad currency 'EURO'");
	s.currency = NULL;
	s.timezone = "Mars/Olympus_Mons";
	expect_refused(&s, "bad time zone");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_starter_every_preset_loads_with_files_beside_it),
		T(test_starter_names_every_field_and_header),
		T(test_starter_api_every_connector_loads),
		T(test_starter_report_currency_and_zone),
		T(test_starter_comments_name_the_file),
		T(test_starter_double_hyphen_kept_out_of_comments),
		T(test_starter_unknown_preset_lists_the_valid_ones),
		T(test_starter_refuses_what_cannot_be_a_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
