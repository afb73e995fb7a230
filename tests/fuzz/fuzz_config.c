/*
 * fuzz_config.c - libFuzzer target for the config loader: the input is
 * written as boardpack.xml into a private folder and loaded with
 * bp_config_load, as `boardpack check` and `run` load a config.
 *
 * Besides not crashing or leaking, checks what must always hold: a
 * refused config gives BP_ECONFIG naming the file, with a message and a
 * line inside the file; a loaded one is resolved as config.h promises
 * (channels end with `other`, every channel index in range, paths and
 * folders absolute, a URL or a connector for every source, a window of
 * at least one month).
 */
#include "config.h"
#include "mem.h"
#include "fuzzlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char cfg_path[4096];
static int verbose;   /* BP_FUZZ_VERBOSE=1: say what became of each input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	bp_mem_init();
	verbose = getenv("BP_FUZZ_VERBOSE") != NULL;
	fz_dir("config");
	snprintf(cfg_path, sizeof(cfg_path), "%s", fz_path("boardpack.xml"));
	return 0;
}

static void check_abs(const char *p)
{
	if (p && p[0] != '/')
		abort();
}

static void check_channel(const bp_config *cfg, int ch, int may_be_none)
{
	if (ch < (may_be_none ? -1 : 0) || ch >= (int)cfg->n_channels)
		abort();
}

static void check_source(const bp_config *cfg, const bp_source *s)
{
	size_t i;

	if (!s->id || !s->id[0] || (int)s->kind < 0 || (int)s->kind >= BP_SRC_NKINDS)
		abort();
	if (!s->connector == !s->url)   /* one or the other */
		abort();
	if (s->url && strncmp(s->url, "https://", 8) && strncmp(s->url, "file://", 7) &&
	    !(s->insecure_http && !strncmp(s->url, "http://", 7)))
		abort();
	if (s->url && !strncmp(s->url, "file://", 7)) {
		char *p = bp_source_path(s);

		check_abs(p);
		free(p);
	}
	check_abs(s->ca_file);
	check_abs(s->token_file);
	check_channel(cfg, s->channel, s->kind != BP_SRC_SPEND);
	for (i = 0; i < s->n_rules; i++) {
		if (!s->rules[i].match)
			abort();
		check_channel(cfg, s->rules[i].channel, 0);
	}
	for (i = 0; i < s->n_columns; i++)
		if (!s->columns[i].field)
			abort();
	if (s->oauth >= (int)cfg->n_oauth || (s->oauth >= 0 && !s->connector))
		abort();
}

static void check_config(const bp_config *cfg)
{
	size_t i;

	check_abs(cfg->dir);
	check_abs(cfg->output_dir);
	check_abs(cfg->ca_file);
	if (!cfg->output_dir || cfg->months < 1 || !cfg->timezone ||
	    !cfg->currency || !cfg->language)
		abort();
	if (cfg->n_channels == 0 ||
	    strcmp(cfg->channels[cfg->n_channels - 1].id, "other"))
		abort();
	for (i = 0; i < cfg->n_channels; i++) {
		const bp_channel *c = &cfg->channels[i];

		if (!c->label || !c->group || bp_config_channel(cfg, c->id) != (int)i)
			abort();
	}
	for (i = 0; i < cfg->n_sources; i++)
		check_source(cfg, &cfg->sources[i]);
	for (i = 0; i < cfg->n_costs; i++)
		check_channel(cfg, cfg->costs[i].channel, 1);
	for (i = 0; i < cfg->n_targets; i++)
		if (!cfg->targets[i].metric)
			abort();
	for (i = 0; i < cfg->n_oauth; i++) {
		check_abs(cfg->oauth[i].refresh_token_file);
		check_abs(cfg->oauth[i].service_account_file);
		if (bp_config_oauth(cfg, cfg->oauth[i].id) != &cfg->oauth[i])
			abort();
	}
	if (cfg->email) {
		check_abs(cfg->email->password_file);
		if (!cfg->email->url || cfg->email->n_to == 0)
			abort();
	}
}

/* The error a refused config gives: named for the file, at a line that
 * is in it. */
static void check_error(const bp_err *err, const uint8_t *data, size_t size)
{
	long lines = 1;
	size_t i;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (err->code != BP_ECONFIG || !err->msg[0] || strcmp(err->file, cfg_path) ||
	    err->line < 0 || err->line > lines || err->col < 0) {
		fprintf(stderr, "fuzz_config: refused with %d at %s:%ld:%ld (of %ld "
			"lines): %s\n", err->code, err->file, err->line, err->col,
			lines, err->msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bp_err err = { 0 };
	bp_config *cfg;

	fz_write(cfg_path, data, size);
	cfg = bp_config_load(cfg_path, &err);
	if (!cfg) {
		check_error(&err, data, size);
		if (verbose)
			fprintf(stderr, "fuzz_config: refused: %ld:%ld: %s\n",
				err.line, err.col, err.msg);
		return 0;
	}
	check_config(cfg);
	if (verbose)
		fprintf(stderr, "fuzz_config: loaded, %zu sources, %zu channels\n",
			cfg->n_sources, cfg->n_channels);
	bp_config_free(cfg);
	return 0;
}
