/*
 * fuzz_json.c - libFuzzer target for what the connectors make of their
 * vendors' answers: the verdict on an HTTP answer (retry, renew the
 * token, stop, with which message) and the rows of a pull folder.
 *
 * Input: byte 0 picks the source (HubSpot contacts, HubSpot deals,
 * Google Ads, Meta, LinkedIn, GA4), byte 1 the HTTP status, byte 2 the
 * layout (below); the rest is the answer, cut at NUL bytes into at most
 * four parts.
 *
 *   verdict  part 1 is the body (parsed as bp_conn_call parses it), part
 *            2 the header lines as received; bp_conn_judge reads them.
 *   rows     every part is a page of a pull (index.json lists them in
 *            order), read back by bp_conn_rows as ingest reads a
 *            connector's source.  Layout bits 0-3: part i is the
 *            vendor's second kind of page (HubSpot: the export file, as
 *            CSV; Google Ads: the campaigns; LinkedIn: the campaigns);
 *            bits 4-5: the currency the pull recorded (none, the
 *            report's, another, the report's in lower case); bit 6: a
 *            JSON Content-Type; bit 7: a Retry-After.
 *
 * Besides not crashing or leaking, checks what must always hold: a
 * verdict is one of the four, with an exit status of the contract, and
 * every one but OK carries a message of one line without the session's
 * secret; rows either fail with a message or are a CSV whose every
 * record has the header's fields.
 */
#include "../../src/conn/conn_int.h"
#include "csv.h"
#include "mem.h"
#include "fuzzlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "EAAB-fuzz-access-token-0123456789"
#define CURRENCY "KRW"
#define MAX_PARTS 4

static const struct vendor {
	const bp_conn_ops *ops;
	bp_source_kind kind;
	const char *account;
	const char *page[2];   /* the two kinds of page: "-NAME.json" */
} vendors[] = {
	{ &bp_conn_hubspot, BP_SRC_CONTACTS, NULL, { "contacts", NULL } },
	{ &bp_conn_hubspot, BP_SRC_DEALS, NULL, { "deals", NULL } },
	{ &bp_conn_google_ads, BP_SRC_SPEND, "1234567890", { "stream", "campaigns" } },
	{ &bp_conn_meta_ads, BP_SRC_SPEND, "1029384756", { "insights", "insights" } },
	{ &bp_conn_linkedin, BP_SRC_SPEND, "508812345", { "analytics", "campaigns" } },
	{ &bp_conn_ga4, BP_SRC_TRAFFIC, "123456789", { "report", "report" } },
};
#define N_VENDORS (sizeof(vendors) / sizeof(vendors[0]))

static const long statuses[] = { 200, 201, 204, 301, 400, 401, 403, 404,
	409, 426, 429, 500, 502, 503, 504, 530 };

static bp_config cfg;
static bp_source sources[N_VENDORS];
static bp_conn *conns[N_VENDORS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	bp_mem_init();
	cfg.currency = CURRENCY;
	fz_dir("json");   /* the pull folder, and the connectors' cache */
	for (i = 0; i < N_VENDORS; i++) {
		bp_err err = { 0 };
		bp_source *s = &sources[i];

		s->kind = vendors[i].kind;
		s->id = (char *)bp_source_kind_name(s->kind);
		s->connector = (char *)vendors[i].ops->name;
		s->account = (char *)vendors[i].account;
		s->channel = s->kind == BP_SRC_SPEND ? 0 : -1;
		s->oauth = -1;
		conns[i] = bp_conn_open(&cfg, s, fz_dir("json"), NULL, &err);
		if (!conns[i]) {
			fprintf(stderr, "fuzz_json: %s\n", err.msg);
			abort();
		}
		bp_conn_secret(conns[i], SECRET);
	}
	return 0;
}

typedef struct part { const uint8_t *p; size_t n; } part;

static size_t split(const uint8_t *data, size_t size, part *parts)
{
	size_t k = 0;

	while (k < MAX_PARTS) {
		const uint8_t *nul = k + 1 < MAX_PARTS ? memchr(data, 0, size) : NULL;
		size_t n = nul ? (size_t)(nul - data) : size;

		parts[k].p = data;
		parts[k++].n = n;
		if (!nul)
			break;
		data += n + 1;
		size -= n + 1;
	}
	return k;
}

static char *dup_bytes(const part *p)
{
	char *s = bp_xmalloc(p->n + 1);

	memcpy(s, p->p, p->n);
	s[p->n] = '\0';
	return s;
}

static void check_verdict(const bp_conn_verdict *v)
{
	size_t i, n = strnlen(v->msg, sizeof(v->msg));

	if (v->action < BP_CONN_OK || v->action > BP_CONN_FAIL || n == sizeof(v->msg))
		abort();
	if (v->code != 0 && v->code != BP_ECONFIG && v->code != BP_ETEMPFAIL &&
	    v->code != BP_EUNAVAIL && v->code != BP_EDATA)
		abort();
	if (v->action != BP_CONN_OK && n == 0)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)v->msg[i] < 0x20 || v->msg[i] == 0x7f)
			abort();
	if (strstr(v->msg, SECRET))
		abort();
}

static void verdict(bp_conn *c, long status, int layout, const part *parts,
		    size_t n)
{
	bp_conn_resp r = { 0 };
	bp_conn_verdict v;

	r.status = status;
	r.body = dup_bytes(&parts[0]);
	r.len = parts[0].n;
	r.retry_after_s = layout & 0x80 ? 7 : -1;
	if (layout & 0x40)
		snprintf(r.ctype, sizeof(r.ctype), "application/json; charset=UTF-8");
	if (n > 1) {
		r.headers = dup_bytes(&parts[1]);
		r.headers_len = parts[1].n;
	}
	bp_conn_resp_parse(&r);
	bp_conn_judge(c, &r, &v);
	check_verdict(&v);
	bp_conn_resp_free(&r);
}

/* The pull: each part a page, an index naming them in order. */
static void write_pull(const struct vendor *vd, int layout, const part *parts,
		       size_t n)
{
	static const char *const currencies[] = { NULL, CURRENCY, "EUR", "krw" };
	const char *cur = currencies[(layout >> 4) & 3];
	json_t *idx = json_object(), *reqs = json_array(), *meta = json_object();
	char name[64];
	size_t i;

	for (i = 0; i < n; i++) {
		const char *kind = vd->page[(layout >> i) & 1];

		if (kind)
			snprintf(name, sizeof(name), "%06zu-%s.json", i + 1, kind);
		else
			snprintf(name, sizeof(name), "export.csv");
		fz_write(fz_path(name), parts[i].p, parts[i].n);
		json_array_append_new(reqs, json_pack("{s:s, s:s, s:s, s:i}", "file",
			name, "method", "GET", "url", "https://api.example/x",
			"status", 200));
	}
	if (cur)
		json_object_set_new(meta, "currency", json_string(cur));
	json_object_set_new(meta, "time_zone", json_string("Asia/Seoul"));
	json_object_set_new(idx, "meta", meta);
	json_object_set_new(idx, "requests", reqs);
	json_object_set_new(idx, "since", json_string("2026-09-28"));
	json_object_set_new(idx, "until", json_string("2026-10-03"));
	if (json_dump_file(idx, fz_path("index.json"), 0) < 0)
		abort();
	json_decref(idx);
}

static int first_line(void *ctx, const bp_field *f, size_t n)
{
	(void)ctx;
	(void)f;
	(void)n;
	return 1;
}

/* The rows are a CSV: every record has the header's fields. */
static void check_rows(int fd)
{
	char path[64];
	bp_err err = { 0 };
	bp_csv *r;
	bp_field *f;
	size_t n, width;
	int rc;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!(r = bp_csv_open(path, "rows.csv", &err)))
		abort();
	if (bp_csv_header(r, first_line, NULL, 1, &f, &n, &err) < 0)
		abort();
	width = n;
	while ((rc = bp_csv_next(r, &f, &n, &err)) == 1)
		if (n != width)
			abort();
	if (rc < 0) {
		fprintf(stderr, "fuzz_json: the rows are not a CSV: %s\n", err.msg);
		abort();
	}
	bp_csv_close(r);
}

static void rows(const bp_source *src, const struct vendor *vd, int layout,
		 const part *parts, size_t n)
{
	bp_err err = { 0 };
	int fd = -1;
	size_t i;

	/* The pages of the input before, no other. */
	for (i = 0; i < MAX_PARTS; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%06zu-%s.json", i + 1, vd->page[0] ?
			 vd->page[0] : "x");
		unlink(fz_path(name));
		if (vd->page[1]) {
			snprintf(name, sizeof(name), "%06zu-%s.json", i + 1, vd->page[1]);
			unlink(fz_path(name));
		}
	}
	unlink(fz_path("export.csv"));
	write_pull(vd, layout, parts, n);
	if (bp_conn_rows(src, fz_dir("json"), CURRENCY, &fd, &err) < 0) {
		if (!err.code || !err.msg[0] || fd != -1)
			abort();
		return;
	}
	check_rows(fd);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	part parts[MAX_PARTS];
	size_t v, n;
	int layout;

	if (size < 3)
		return 0;
	v = data[0] % N_VENDORS;
	layout = data[2];
	n = split(data + 3, size - 3, parts);
	verdict(conns[v], statuses[data[1] % 16], layout, parts, n);
	rows(&sources[v], &vendors[v], layout, parts, n);
	return 0;
}
