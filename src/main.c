/*
 * main.c - boardpack's command line: the command table, the options, and
 * the libraries' set-up.  Each command is a file of its own under
 * src/cmd/ (cmd.h); this file only finds it and calls it.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "cmd/cmd.h"
#include "log.h"
#include "mem.h"

/* The Makefile passes both: VERSION's content and the git commit. */
#ifndef BP_VERSION
#define BP_VERSION "unknown"
#endif
#ifndef BP_COMMIT
#define BP_COMMIT "unknown"
#endif

static const char usage_text[] =
"usage: boardpack run    -c FILE [--period YYYY-MM] [--as-of TIMESTAMP]\n"
"                        [--no-email] [--offline] [--resend]\n"
"                        [--from-snapshot DIR] [-q|-v]\n"
"       boardpack check  -c FILE [--fetch] [--online]\n"
"       boardpack fetch  -c FILE\n"
"       boardpack verify SNAPSHOT_DIR\n"
"       boardpack send   -c FILE SNAPSHOT_DIR [--resend]\n"
"       boardpack auth   -c FILE ID\n"
"       boardpack init   [--contacts PRESET] [--spend LIST] [--traffic LIST]\n"
"                        [--api] [--currency CODE] [--timezone ZONE]\n"
"                        [-o FILE [--force]]\n"
"       boardpack --help | --version\n";

static const char help_text[] =
"boardpack turns CRM and ad-platform exports into the monthly board pack:\n"
"cohort funnels by creation month, channel CAC, and a dated snapshot.\n"
"\n"
"Commands:\n"
"  run      fetch every source, compute the numbers for the period, write a\n"
"           new snapshot <output>/<YYYY-MM>/<UTC time>/ (report.html,\n"
"           report.pdf, email.html, cohorts.csv, channels.csv, metrics.xml,\n"
"           sources/, MANIFEST.sha256) and email it; prints its path last\n"
"  check    validate the config, print the resolved channels, period and\n"
"           window, and read each local source as run would: the header\n"
"           each field maps to, what is missing, warnings; exits non-zero\n"
"           when run would fail; --fetch also downloads remote sources\n"
"           (into a temporary folder, not the cache) to read them\n"
"  fetch    download every source into <output>/.cache/ and stop\n"
"  verify   check a snapshot against its MANIFEST.sha256\n"
"  send     email an existing snapshot to the recipients its delivery.log\n"
"           does not record as done\n"
"  auth     obtain the first refresh token of <oauth id=\"ID\">: prints a URL\n"
"           to open, listens on 127.0.0.1 for the browser's answer and\n"
"           writes the token to the client's refresh-token-file (0600)\n"
"  init     write a starter config for the sources named, to stdout or\n"
"           -o FILE: every field each preset reads, and each connector's\n"
"           credentials, explained in comments; check accepts it as it is\n"
"\n"
"Options:\n"
"  -c, --config FILE     the XML config (see README.md: Config)\n"
"  --period YYYY-MM      the month to report; default: the last complete\n"
"                        month in the report time zone\n"
"  --as-of TIMESTAMP     treat anything dated later as not yet happened\n"
"                        (2026-10-15, 2026-10-15T12:00, ...+09:00); default:\n"
"                        the end of the period, or now if that is earlier\n"
"  --offline             use the last complete download of each source\n"
"  --from-snapshot DIR   rebuild from the exports archived in snapshot DIR\n"
"                        (no network; its period and as_of unless given)\n"
"  --no-email            do not send the report after the run\n"
"  --resend              (run, send) email every recipient, even those this\n"
"                        period's snapshots already reached\n"
"  --fetch               (check) download remote sources to read them too\n"
"  --online              (check) one cheap call per connector: the account's\n"
"                        name, currency and time zone, or what is wrong\n"
"                        with its credentials\n"
"  --contacts PRESET     (init) the contacts export's preset, e.g. hubspot;\n"
"                        its deals come with it (default: the first preset)\n"
"  --spend LIST          (init) spend presets, comma-separated, e.g.\n"
"                        google-ads,meta\n"
"  --traffic LIST        (init) traffic presets, e.g. ga4\n"
"  --api                 (init) read the sources from the vendors' APIs\n"
"                        (connectors) instead of export files\n"
"  --currency CODE       (init) the report's currency; default USD\n"
"  --timezone ZONE       (init) the report's time zone; default UTC\n"
"  -o, --output FILE     (init) write the config to FILE, not stdout\n"
"  --force               (init) replace FILE when it exists\n"
"  -q, --quiet           only errors and the one-line summary\n"
"  -v, --verbose         more detail on stderr\n"
"\n"
"Examples:\n"
"  boardpack init --contacts hubspot --spend google-ads,meta >boardpack.xml\n"
"  boardpack check -c boardpack.xml\n"
"  boardpack run -c boardpack.xml --period 2026-10\n"
"  boardpack run -c boardpack.xml --period 2026-07 --as-of 2026-08-01 --offline\n"
"  boardpack verify reports/2026-10/2026-11-01T060003Z\n"
"  boardpack send -c boardpack.xml reports/2026-10/2026-11-01T060003Z\n"
"\n"
"Exit status: 0 done, 64 usage, 65 bad input data, 66 input missing,\n"
"69 source or server unavailable, 70 internal error (out of memory),\n"
"73 cannot write output, 75 try again later, 78 bad configuration.\n";

/* A subcommand: one line here and one file under src/cmd/.  `operands`
 * is how many arguments it takes after its options; `needs_config` that
 * -c FILE is required; `operands_error` what to say otherwise. */
static const struct command {
	const char *name;
	int (*run)(const bp_opts *o);
	int needs_config;
	int operands;
	const char *operands_error;
	const char *options;  /* what `boardpack NAME --help` lists */
} commands[] = {
	{ "run", cmd_run, 1, 0, NULL,
	  "-c --period --as-of --offline --from-snapshot --no-email --resend" },
	{ "check", cmd_check, 1, 0, NULL, "-c --period --as-of --fetch --online" },
	{ "fetch", cmd_fetch, 1, 0, NULL, "-c --period --as-of" },
	{ "verify", cmd_verify, 0, 1, "verify takes one SNAPSHOT_DIR", "" },
	{ "send", cmd_send, 1, 1, "send takes -c FILE and one SNAPSHOT_DIR",
	  "-c --resend" },
	{ "auth", cmd_auth, 1, 1, "auth takes -c FILE and one oauth ID", "-c" },
	{ "init", cmd_init, 0, 0, NULL,
	  "--contacts --spend --traffic --api --currency --timezone -o --force" },
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Whether the word `w` (n bytes) is one of the space-separated `list`. */
static int listed(const char *list, const char *w, size_t n)
{
	while (*list) {
		size_t k = strcspn(list, " ");

		if (k == n && strncmp(list, w, n) == 0)
			return 1;
		list += k;
		list += *list == ' ';
	}
	return 0;
}

/* The entries of `text` that `want` accepts: an entry is a line that
 * starts with `lead` spaces and then a word, with the lines after it
 * that start with `cont` or more spaces.  The word (its trailing comma
 * dropped) is passed to `want`. */
static void print_entries(const char *text, size_t lead, size_t cont,
			  int (*want)(const char *word, size_t n, const void *ctx),
			  const void *ctx)
{
	const char *line = text;
	int on = 0;

	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) + 1 : strlen(line), sp;

		for (sp = 0; sp < len && line[sp] == ' '; sp++)
			;
		if (sp == lead && sp < len && line[sp] != '\n') {
			size_t w = strcspn(line + sp, " \n");

			if (w && line[sp + w - 1] == ',')
				w--;
			on = want(line + sp, w, ctx);
		} else if (sp < cont) {
			on = 0;
		}
		if (on)
			fwrite(line, 1, len, stdout);
		line += len;
	}
}

static int word_is(const char *word, size_t n, const void *ctx)
{
	return strlen(ctx) == n && strncmp(word, ctx, n) == 0;
}

static int option_of(const char *word, size_t n, const void *ctx)
{
	const struct command *cmd = ctx;

	return word[0] == '-' && (listed(cmd->options, word, n) ||
				  (n == 2 && (word[1] == 'q' || word[1] == 'v')));
}

/* help_text from the line `from` on. */
static const char *section(const char *from)
{
	const char *p = strstr(help_text, from);

	return p ? p : "";
}

/* `boardpack NAME --help`: that command's usage, what it does, its
 * options and examples, all taken from the general help, so the two
 * never differ. */
static void command_help(const struct command *cmd)
{
	char word[64];
	const char *u, *end, *ex;

	/* The command's usage line, and the lines of options under it. */
	snprintf(word, sizeof(word), "boardpack %s ", cmd->name);
	u = strstr(usage_text, word);
	if (u) {
		end = strchr(u, '\n') + 1;
		while (*end == ' ' && end[strspn(end, " ")] == '[')
			end = strchr(end, '\n') + 1;
		printf("usage: %.*s\n", (int)(end - u), u);
	}
	print_entries(section("Commands:\n"), 2, 11, word_is, cmd->name);
	fputs("\nOptions:\n", stdout);
	print_entries(section("Options:\n"), 2, 24, option_of, cmd);
	ex = strstr(help_text, "Examples:\n");
	if (ex && strstr(ex, word)) {
		const char *line = ex;

		fputs("\nExamples:\n", stdout);
		while ((line = strstr(line, word))) {
			const char *eol = strchr(line, '\n');

			fputs("  ", stdout);
			fwrite(line, 1, (size_t)(eol - line) + 1, stdout);
			line = eol;
		}
	}
	fputs("\n(boardpack --help: every command and option, and the exit statuses)\n",
	      stdout);
}

/* getopt values of the options that have no short form. */
enum { OPT_OFFLINE = 256, OPT_CONTACTS, OPT_SPEND, OPT_TRAFFIC, OPT_API,
       OPT_CURRENCY, OPT_TIMEZONE, OPT_FORCE };

static int usage_error(const char *fmt, ...) BP_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("boardpack: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s(boardpack --help explains every option)\n", usage_text);
	return BP_EUSAGE;
}

/* Parses the options after the command word into o.  Returns 0, or an
 * exit status after printing the problem. */
static int parse_options(int argc, char **argv, bp_opts *o)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "period", required_argument, NULL, 'p' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "no-email", no_argument, NULL, 'n' },
		{ "offline", no_argument, NULL, OPT_OFFLINE },
		{ "from-snapshot", required_argument, NULL, 'f' },
		{ "resend", no_argument, NULL, 'r' },
		{ "fetch", no_argument, NULL, 'F' },
		{ "online", no_argument, NULL, 'O' },
		{ "contacts", required_argument, NULL, OPT_CONTACTS },
		{ "spend", required_argument, NULL, OPT_SPEND },
		{ "traffic", required_argument, NULL, OPT_TRAFFIC },
		{ "api", no_argument, NULL, OPT_API },
		{ "currency", required_argument, NULL, OPT_CURRENCY },
		{ "timezone", required_argument, NULL, OPT_TIMEZONE },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:o:qvh", longs, NULL)) != -1) {
		const char *init_option = NULL;

		switch (c) {
		case 'c': o->config = optarg; break;
		case 'p': o->period = optarg; break;
		case 'a': o->as_of = optarg; break;
		case 'n': o->no_email = 1; break;
		case OPT_OFFLINE: o->offline = 1; break;
		case 'f': o->from_snapshot = optarg; break;
		case 'r': o->resend = 1; break;
		case 'F': o->fetch = 1; break;
		case 'O': o->online = 1; break;
		case OPT_CONTACTS: o->contacts = optarg; init_option = "--contacts"; break;
		case OPT_SPEND: o->spend = optarg; init_option = "--spend"; break;
		case OPT_TRAFFIC: o->traffic = optarg; init_option = "--traffic"; break;
		case OPT_API: o->api = 1; init_option = "--api"; break;
		case OPT_CURRENCY: o->currency = optarg; init_option = "--currency"; break;
		case OPT_TIMEZONE: o->timezone = optarg; init_option = "--timezone"; break;
		case 'o': o->output = optarg; init_option = "-o"; break;
		case OPT_FORCE: o->force = 1; init_option = "--force"; break;
		case 'q': bp_log_set_level(BP_LOG_QUIET); break;
		case 'v': bp_log_set_level(BP_LOG_VERBOSE); break;
		case 'h':
			if (find_command(argv[0]))
				command_help(find_command(argv[0]));
			else
				fputs(help_text, stdout);
			exit(0);
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
		if (init_option && !o->init_option)
			o->init_option = init_option;
	}
	o->argc = argc - optind;
	o->argv = argv + optind;
	return 0;
}

/* What the command line must hold for `cmd`, before any work. */
static int check_usage(const struct command *cmd, const bp_opts *o)
{
	bp_month m;

	if (o->argc != cmd->operands) {
		if (cmd->operands_error)
			return usage_error("%s", cmd->operands_error);
		return usage_error("unexpected argument '%s'", o->argv[0]);
	}
	if (o->period && bp_month_parse(o->period, &m) < 0)
		return usage_error("bad --period '%s': expected YYYY-MM, e.g. 2026-10",
				   o->period);
	if (cmd->needs_config && !o->config)
		return usage_error("%s", "missing -c FILE (the config)");
	if (cmd->run != cmd_init && o->init_option)
		return usage_error("%s is an option of init", o->init_option);
	if (cmd->run == cmd_init && o->config)
		return usage_error("%s", "init writes a config and reads none: "
				   "-o FILE says where it goes");
	if (o->force && !o->output)
		return usage_error("%s", "--force replaces the file of -o FILE, "
				   "and there is none");
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	bp_opts o = { 0 };
	int rc;

	if (argc < 2)
		return usage_error("%s", "missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		fputs("\n", stdout);
		fputs(help_text, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("boardpack %s (commit %s)\n", BP_VERSION, BP_COMMIT);
		return 0;
	}
	if (!isatty(STDERR_FILENO))
		bp_log_set_level(BP_LOG_QUIET);
	rc = parse_options(argc - 1, argv + 1, &o);
	if (rc)
		return rc;
	cmd = find_command(argv[1]);
	if (!cmd)
		return usage_error("unknown command '%s'", argv[1]);
	rc = check_usage(cmd, &o);
	if (rc)
		return rc;
	bp_mem_init();
	LIBXML_TEST_VERSION;
	rc = cmd->run(&o);
	curl_global_cleanup();
	xmlCleanupParser();
	return rc;
}
