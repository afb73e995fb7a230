/*
 * mail.c - delivers a snapshot by email.  See mail.h for the contract.
 *
 * The message is prepared once, MIME and all, as the bytes every
 * transaction uploads: so each batch of recipients gets the same message
 * (one Message-ID), and every header line is one this file wrote.  The
 * recipients are sent in batches of at most BP_MAIL_BATCH, one SMTP
 * transaction each, over one connection while transactions succeed.
 * libcurl does not say which recipients a server refused, so the SMTP
 * dialogue is watched through the debug callback: each "RCPT TO" command
 * is paired with the reply that follows it (curl does not pipeline SMTP).
 */
#include "mail.h"

#include "fs.h"
#include "net.h"
#include "secret.h"

#include <assert.h>
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"

/* Renamed in libcurl 8.2; the misspelt name is all 7.88 has. */
#if LIBCURL_VERSION_NUM >= 0x080200
#define OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

#define DEFAULT_SUBJECT "{title} \xe2\x80\x94 {period}"
#define REPLY_MAX 200
#define REPORT_MAX 20   /* rejected addresses the report names */

/* ---- a growable string ---------------------------------------------------- */

typedef struct sbuf {
	char *s;
	size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *p, size_t n)
{
	BP_GROW(b->s, b->len + n + 1, b->cap);
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) BP_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...)
{
	char small[512], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)	/* as bp_xasprintf: a text too long to hold */
		bp_oom();
	if ((size_t)n < sizeof(small)) {
		sb_add(b, small, (size_t)n);
		return;
	}
	big = bp_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, (size_t)n);
	free(big);
}

/* The string (caller frees); an empty buffer gives "". */
static char *sb_take(sbuf *b)
{
	return b->s ? b->s : bp_xstrdup("");
}

/* ---- HTML to plain text --------------------------------------------------- */

static int is_tag(const char *name, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (strlen(*list) == n && !strncasecmp(name, *list, n))
			return 1;
	return 0;
}

static const char *const BLOCK_TAGS[] = {
	"p", "div", "br", "tr", "li", "table", "ul", "ol", "h1", "h2", "h3",
	"h4", "h5", "h6", "hr", "blockquote", "section", "header", "footer",
	"tbody", "thead", "caption", "body", NULL
};
static const char *const HIDDEN_TAGS[] = { "head", "style", "script", "title",
					   NULL };

static void put_utf8(sbuf *b, unsigned long c)
{
	char u[4];

	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	if (c < 0x80) {
		u[0] = (char)c;
		sb_add(b, u, 1);
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		sb_add(b, u, 2);
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		sb_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		sb_add(b, u, 4);
	}
}

/* Decodes the entity at `p` ('&') into `b`; returns its length, or 0
 * when it is not one we know (the '&' is then kept as text). */
static size_t entity(const char *p, sbuf *b)
{
	static const struct { const char *name, *text; } named[] = {
		{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
		{ "apos", "'" }, { "nbsp", " " }, { "mdash", "\xe2\x80\x94" },
		{ "ndash", "\xe2\x80\x93" }, { "hellip", "\xe2\x80\xa6" },
	};
	const char *semi = strchr(p, ';');
	size_t n;
	char *end;
	unsigned long c;

	if (!semi || semi - p > 10)
		return 0;
	n = (size_t)(semi - p - 1);
	if (p[1] == '#') {
		int hex = p[2] == 'x' || p[2] == 'X';
		c = strtoul(p + 2 + hex, &end, hex ? 16 : 10);
		if (end != semi || end == p + 2 + hex)
			return 0;
		put_utf8(b, c);
		return n + 2;
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == n && !strncmp(p + 1, named[i].name, n)) {
			sb_puts(b, named[i].text);
			return n + 2;
		}
	return 0;
}

/* Skips the tag at `p` ('<'), writing a line break or a space for it.
 * `*hidden` is the name of the element whose content is being dropped.
 * Returns the first character after the tag. */
static const char *tag(const char *p, sbuf *b, const char **hidden)
{
	const char *name, *end;
	int closing = p[1] == '/';
	size_t n;

	if (!strncmp(p, "<!--", 4)) {
		end = strstr(p + 4, "-->");
		return end ? end + 3 : p + strlen(p);
	}
	name = p + 1 + closing;
	for (n = 0; isalnum((unsigned char)name[n]); n++)
		;
	end = strchr(p, '>');
	end = end ? end + 1 : p + strlen(p);
	if (*hidden) {
		if (closing && strlen(*hidden) == n && !strncasecmp(name, *hidden, n))
			*hidden = NULL;
		return end;
	}
	if (!closing && is_tag(name, n, HIDDEN_TAGS) && end[-2] != '/') {
		for (const char *const *h = HIDDEN_TAGS; *h; h++)
			if (strlen(*h) == n && !strncasecmp(name, *h, n))
				*hidden = *h;
	} else if (is_tag(name, n, BLOCK_TAGS)) {
		sb_puts(b, "\n");
	} else if (n == 2 && (!strncasecmp(name, "td", 2) ||
			      !strncasecmp(name, "th", 2))) {
		sb_puts(b, " ");
	}
	return end;
}

/* Collapses blanks: one space between words, no blanks at line ends or
 * starts, at most one empty line in a row, none at the start or end. */
static char *collapse(const char *s)
{
	sbuf b = { 0 };
	int space = 0, newlines = 0;

	for (; *s; s++) {
		if (*s == '\n') {
			newlines++;
			space = 0;
		} else if (*s == ' ' || *s == '\t' || *s == '\r') {
			space = 1;
		} else {
			if (newlines && b.len)
				sb_add(&b, "\n\n", newlines > 1 ? 2 : 1);
			else if (space && b.len && !newlines)
				sb_add(&b, " ", 1);
			newlines = space = 0;
			sb_add(&b, s, 1);
		}
	}
	if (b.len)
		sb_add(&b, "\n", 1);
	return sb_take(&b);
}

char *bp_mail_html_to_text(const char *html)
{
	sbuf b = { 0 };
	const char *p = html, *hidden = NULL;
	char *out;
	size_t k;

	while (*p) {
		if (*p == '<') {
			p = tag(p, &b, &hidden);
		} else if (hidden) {
			p++;
		} else if (*p == '&' && (k = entity(p, &b)) > 0) {
			p += k;
		} else {
			sb_add(&b, isspace((unsigned char)*p) ? " " : p, 1);
			p++;
		}
	}
	if (!b.s)
		return bp_xstrdup("");
	out = collapse(b.s);
	free(b.s);
	return out;
}

/* ---- headers -------------------------------------------------------------- */

static void base64(sbuf *b, const unsigned char *p, size_t n)
{
	static const char A[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = A[(v >> 18) & 63];
		q[1] = A[(v >> 12) & 63];
		q[2] = i + 1 < n ? A[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? A[v & 63] : '=';
		sb_add(b, q, 4);
	}
}

/* `text` as RFC 2047 "=?UTF-8?B?...?=" words, the first after `used`
 * characters of its line, the others each on a line of its own after a
 * space.  A line holding encoded words has at most 76 characters (RFC
 * 2047), so each word takes as many whole 3-byte groups as fit, backing
 * off to the start of a UTF-8 sequence so no character is split. */
static void encoded_words(sbuf *b, const char *text, size_t used)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text), n, max;

	do {
		/* 12: "=?UTF-8?B?" and "?=". */
		max = (BP_MAIL_EW_LINE - used - 12) / 4 * 3;
		n = len < max ? len : max;
		while (n < len && n > 0 && (p[n] & 0xc0) == 0x80)
			n--;
		if (n == 0)
			n = len < max ? len : max;
		sb_puts(b, "=?UTF-8?B?");
		base64(b, p, n);
		sb_puts(b, "?=");
		p += n;
		len -= n;
		if (len > 0)
			sb_puts(b, "\r\n ");
		used = 1;
	} while (len > 0);
}

/* Printable ASCII folded before spaces, so that no line passes
 * BP_MAIL_LINE characters, the first starting after `used`.  A fold goes
 * before the last space of a run, so no line is only blanks.  Returns -1
 * (and `b` is to be dropped) when a word is too long for a line. */
static int fold_ascii(sbuf *b, const char *text, size_t used)
{
	const char *p = text, *end;
	size_t col = used, n;

	while (*p) {
		/* One segment: to the next space that a word follows. */
		for (end = p + 1; *end; end++)
			if (*end == ' ' && end[1] && end[1] != ' ')
				break;
		n = (size_t)(end - p);
		if (col + n > BP_MAIL_LINE) {
			if (p == text || n > BP_MAIL_LINE)
				return -1;
			sb_puts(b, "\r\n");
			col = 0;
		}
		sb_add(b, p, n);
		col += n;
		p = end;
	}
	return 0;
}

char *bp_mail_header(const char *name, const char *text)
{
	sbuf b = { 0 };
	size_t used = strlen(name) + 2, mark;
	int plain = strstr(text, "=?") == NULL;

	/* Control characters (a line break would start a new header) and
	 * text that reads as an encoded word are encoded, so text from the
	 * config can never add a header or pass for something else. */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p >= 0x7f || *p < 0x20)
			plain = 0;
	assert(used + 12 + 4 < BP_MAIL_EW_LINE);
	sb_printf(&b, "%s: ", name);
	mark = b.len;
	if (!plain || fold_ascii(&b, text, used) < 0) {
		b.len = mark;
		b.s[mark] = '\0';
		encoded_words(&b, text, used);
	}
	return sb_take(&b);
}

/* The subject template with {title} and {period} filled in. */
static char *fill_subject(const char *tmpl, const char *title,
			  const char *period)
{
	sbuf b = { 0 };
	const char *p = tmpl;

	while (*p) {
		if (!strncmp(p, "{title}", 7)) {
			sb_puts(&b, title);
			p += 7;
		} else if (!strncmp(p, "{period}", 8)) {
			sb_puts(&b, period);
			p += 8;
		} else {
			sb_add(&b, p++, 1);
		}
	}
	return sb_take(&b);
}

/* RFC 5322 date, in English whatever the locale. */
static void mail_date(char *buf, size_t size, time_t now)
{
	static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
					   "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
					   "Jun", "Jul", "Aug", "Sep", "Oct",
					   "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&now, &tm);
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
		 day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* 8 random bytes as 16 hex digits (the time and pid when the kernel has
 * no randomness to give). */
static void random_hex(char out[17], time_t now)
{
	unsigned char r[8] = { 0 };
	unsigned long long v = 0;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		v = (unsigned long long)now ^ ((unsigned long long)getpid() << 32);
	for (size_t i = 0; i < sizeof(r); i++)
		v = v << 8 ^ r[i];
	snprintf(out, 17, "%016llx", v);
}

static void message_id(sbuf *b, const char *from, time_t now)
{
	const char *at = strchr(from, '@');
	char hex[17];

	random_hex(hex, now);
	sb_printf(b, "Message-ID: <boardpack.%lld.%d.%s@%s>\r\n", (long long)now,
		  (int)getpid(), hex, at ? at + 1 : "localhost");
}

/* "To: a,\r\n b": one address a line (an address cannot be folded, and
 * is at most BP_MAIL_ADDR_MAX characters). */
static void add_list(sbuf *b, const char *name, char **addr, size_t n)
{
	if (n == 0)
		return;
	sb_printf(b, "%s: ", name);
	for (size_t i = 0; i < n; i++)
		sb_printf(b, "%s%s", i ? ",\r\n " : "", addr[i]);
	sb_puts(b, "\r\n");
}

/* ---- the message, prepared once ------------------------------------------- */

typedef struct attachment {
	char *path;
	const char *type;
} attachment;

typedef struct message {
	char *html;        /* NULL: plain text only */
	char *text;
	attachment att[2];
	size_t n_att;
	sbuf data;         /* the whole message as sent: headers and body */
} message;

static void message_free(message *m)
{
	free(m->html);
	free(m->text);
	for (size_t i = 0; i < m->n_att; i++)
		free(m->att[i].path);
	free(m->data.s);
	memset(m, 0, sizeof(*m));
}

static char *path_in(const char *dir, const char *name)
{
	return bp_xasprintf("%s/%s", dir, name);
}

/* The whole file, NUL-terminated, its length in *len unless len is NULL;
 * NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	sbuf b = { 0 };
	char chunk[8192];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sb_add(&b, chunk, n);
	if (ferror(f)) {
		fclose(f);
		free(b.s);
		return NULL;
	}
	fclose(f);
	if (len)
		*len = b.len;
	return sb_take(&b);
}

/* What a file grows to in base64 with a CRLF per 76 characters (as
 * put_base64 writes it); -1 when it is not a regular file. */
static long long encoded_size(const char *path)
{
	struct stat st;
	long long b64;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	b64 = ((long long)st.st_size + 2) / 3 * 4;
	return b64 + (b64 + 75) / 76 * 2;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The plain body used when the reports were not rendered. */
static void file_list(sbuf *b, const char *dir, const char *period)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[256];
	size_t n = 0;

	sb_printf(b, "The board report for %s was not rendered; the snapshot "
		  "holds the data:\n\n    %s\n\n", period, dir);
	while (d && (e = readdir(d)) && n < 256)
		if (e->d_name[0] != '.' && strcmp(e->d_name, "delivery.log"))
			names[n++] = bp_xstrdup(e->d_name);
	if (d)
		closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		sb_printf(b, "  - %s\n", names[i]);
		free(names[i]);
	}
}

static void html_escape(sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sb_puts(b, "&amp;"); break;
		case '<': sb_puts(b, "&lt;"); break;
		case '>': sb_puts(b, "&gt;"); break;
		case '"': sb_puts(b, "&quot;"); break;
		default: sb_add(b, s, 1);
		}
	}
}

/* Puts the notes (one per line in `notes`) into the HTML body before
 * </body>, or at its end. */
static char *html_with_notes(const char *html, const char *notes)
{
	const char *end = strstr(html, "</body>");
	sbuf b = { 0 };
	const char *p = notes, *nl;

	if (!end)
		end = html + strlen(html);
	sb_add(&b, html, (size_t)(end - html));
	while (*p && (nl = strchr(p, '\n'))) {
		char *line = bp_xstrndup(p, (size_t)(nl - p));
		sb_puts(&b, "<p style=\"font-size:13px;color:#555\">");
		html_escape(&b, line);
		sb_puts(&b, "</p>\n");
		free(line);
		p = nl + 1;
	}
	sb_puts(&b, end);
	return sb_take(&b);
}

/* Chooses the attachments within the size cap; writes a note line for
 * each file that is missing or left out. */
static void pick_attachments(message *m, const bp_email *e, const char *dir,
			     sbuf *notes)
{
	static const struct { const char *name, *type, *what; } files[] = {
		{ "report.pdf", "application/pdf", "The PDF report" },
		{ "report.html", "text/html; charset=utf-8", "The HTML report" },
	};
	long long cap = e->max_bytes > 0 ? e->max_bytes : 10LL * 1000 * 1000;
	long long total = 0, size;

	for (size_t i = 0; i < 2; i++) {
		char *path;
		if (i == 1 && !e->attach_html)
			break;
		path = path_in(dir, files[i].name);
		size = encoded_size(path);
		if (size < 0) {
			sb_printf(notes, "%s (%s) is missing from the snapshot; "
				  "nothing is attached for it.\n", files[i].what,
				  files[i].name);
			free(path);
		} else if (total + size > cap) {
			sb_printf(notes, "%s is too large to attach (%lld bytes "
				  "encoded, the limit is %lld); it is in the "
				  "snapshot: %s\n", files[i].what, size, cap, path);
			free(path);
		} else {
			total += size;
			m->att[m->n_att].path = path;
			m->att[m->n_att++].type = files[i].type;
		}
	}
}

/* Mail lines end in CRLF: a bare LF would be encoded as "=0A" and the
 * source would become unreadable. */
static char *to_crlf(char *s)
{
	sbuf b = { 0 };

	for (const char *p = s; *p; p++) {
		if (*p == '\n' && (p == s || p[-1] != '\r'))
			sb_add(&b, "\r", 1);
		sb_add(&b, p, 1);
	}
	free(s);
	return sb_take(&b);
}

static void prepare_bodies(message *m, const bp_email *e, const char *dir,
			   const char *period)
{
	sbuf notes = { 0 }, text = { 0 };
	char *path = path_in(dir, "email.html"), *html, *plain = NULL;

	pick_attachments(m, e, dir, &notes);
	html = slurp(path, NULL);
	if (html) {
		plain = bp_mail_html_to_text(html);
		sb_puts(&text, plain);
		if (notes.len)
			sb_printf(&text, "\n%s", notes.s);
		m->html = to_crlf(html_with_notes(html, notes.s ? notes.s : ""));
	} else {
		file_list(&text, dir, period);
		if (notes.len)
			sb_printf(&text, "\n%s", notes.s);
	}
	m->text = to_crlf(sb_take(&text));
	free(path);
	free(html);
	free(plain);
	free(notes.s);
}

/* ---- MIME ------------------------------------------------------------------
 * Written here rather than by libcurl, so that every line of the header,
 * the parts' headers included, is one we chose: libcurl's boundaries make
 * Content-Type lines of 80 and more characters.  A boundary starts with
 * "=_", which neither quoted-printable nor base64 output can hold. */

/* CRLF-separated text as quoted-printable: lines of at most 76
 * characters, "=" soft breaks, blanks before a line end encoded.  Ends as
 * the text does: the CRLF before the next boundary is the boundary's. */
static void put_qp(sbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char q[3];
		size_t n = 1;
		int eol = p[0] == '\r' && p[1] == '\n';

		if (eol) {
			sb_puts(b, "\r\n");
			col = 0;
			p++;
			continue;
		}
		q[0] = (char)*p;
		if (*p == '=' || *p > 126 || (*p < 32 && *p != '\t') ||
		    ((*p == ' ' || *p == '\t') &&
		     (!p[1] || (p[1] == '\r' && p[2] == '\n')))) {
			q[0] = '=';
			q[1] = hex[*p >> 4];
			q[2] = hex[*p & 15];
			n = 3;
		}
		if (col + n > 75) {   /* 75 and the "=" of the soft break */
			sb_puts(b, "=\r\n");
			col = 0;
		}
		sb_add(b, q, n);
		col += n;
	}
}

static void put_base64(sbuf *b, const unsigned char *p, size_t n)
{
	/* 57 bytes make one line of 76 characters. */
	for (size_t i = 0; i < n; i += 57) {
		base64(b, p + i, n - i < 57 ? n - i : 57);
		sb_puts(b, "\r\n");
	}
}

static void put_text_part(sbuf *b, const char *boundary, const char *type,
			  const char *text)
{
	sb_printf(b, "--%s\r\nContent-Type: %s; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary,
		  type);
	put_qp(b, text);
	sb_puts(b, "\r\n");
}

/* Appends report.pdf (and report.html) as base64 parts.  Returns -1 when
 * one can no longer be read. */
static int put_attachments(sbuf *b, const message *m, const char *boundary,
			   bp_err *err)
{
	for (size_t i = 0; i < m->n_att; i++) {
		const char *name = strrchr(m->att[i].path, '/');
		size_t len;
		char *data = slurp(m->att[i].path, &len);

		if (!data)
			return bp_err_set(err, BP_ESOFTWARE, "cannot read '%s' to "
					  "attach it: %s", m->att[i].path,
					  strerror(errno));
		name = name ? name + 1 : m->att[i].path;
		sb_printf(b, "--%s\r\nContent-Type: %s\r\n"
			  "Content-Transfer-Encoding: base64\r\n"
			  "Content-Disposition: attachment;\r\n filename=\"%s\"\r\n\r\n",
			  boundary, m->att[i].type, name);
		put_base64(b, (const unsigned char *)data, len);
		free(data);
	}
	return 0;
}

/* The body after the message's own headers: MIME-Version, the top
 * Content-Type, and the parts.  Returns -1 when an attachment cannot be
 * read. */
static int put_body(sbuf *b, const message *m, time_t now, bp_err *err)
{
	char hex[17], mixed[40], alt[40];

	random_hex(hex, now);
	snprintf(mixed, sizeof(mixed), "=_bp_mixed_%s", hex);
	snprintf(alt, sizeof(alt), "=_bp_alt_%s", hex);
	sb_printf(b, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n"
		  " boundary=\"%s\"\r\n\r\n", mixed);
	if (m->html) {
		sb_printf(b, "--%s\r\nContent-Type: multipart/alternative;\r\n"
			  " boundary=\"%s\"\r\n\r\n", mixed, alt);
		put_text_part(b, alt, "text/plain", m->text);
		put_text_part(b, alt, "text/html", m->html);
		sb_printf(b, "--%s--\r\n", alt);
	} else {
		put_text_part(b, mixed, "text/plain", m->text);
	}
	if (put_attachments(b, m, mixed, err) < 0)
		return -1;
	sb_printf(b, "--%s--\r\n", mixed);
	return 0;
}

/* The whole message into m->data. */
static int prepare_message(message *m, const bp_config *cfg,
			   const char *period, bp_err *err)
{
	const bp_email *e = cfg->email;
	char date[64];
	char *subject, *header;
	sbuf *b = &m->data;
	time_t now = time(NULL);

	subject = fill_subject(e->subject ? e->subject : DEFAULT_SUBJECT,
			       cfg->title ? cfg->title : "Board report", period);
	header = bp_mail_header("Subject", subject);
	mail_date(date, sizeof(date), now);
	sb_printf(b, "From: %s\r\n", e->from);
	add_list(b, "To", e->to, e->n_to);
	add_list(b, "Cc", e->cc, e->n_cc);
	sb_printf(b, "%s\r\nDate: %s\r\n", header, date);
	message_id(b, e->from, now);
	free(subject);
	free(header);
	return put_body(b, m, now, err);
}

/* ---- transport and credentials -------------------------------------------- */

typedef struct target {
	char shown[256];   /* scheme://host:port, for messages */
	int smtps;
	char *user, *password;
} target;

static int is_local_host(const char *h)
{
	return !strcasecmp(h, "localhost") || !strncmp(h, "127.", 4) ||
	       !strcmp(h, "[::1]") || !strcmp(h, "::1");
}

/* Parses the URL, checks the TLS policy and fills t->shown. */
static int check_url(const bp_email *e, target *t, bp_err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	if (!e->url || curl_url_set(u, CURLUPART_URL, e->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		bp_err_set(err, BP_ECONFIG, "email url is not a valid "
			   "smtps:// or smtp:// url");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		port = NULL;
	snprintf(t->shown, sizeof(t->shown), "%s://%s:%s", scheme, host,
		 port ? port : "?");
	t->smtps = !strcasecmp(scheme, "smtps");
	if (!t->smtps && strcasecmp(scheme, "smtp"))
		bp_err_set(err, BP_ECONFIG, "email url %s: unsupported scheme "
			   "(smtps:// or smtp:// expected)", t->shown);
	else if (e->tls_none && t->smtps)
		bp_err_set(err, BP_ECONFIG, "email url %s: tls=\"none\" "
			   "contradicts smtps://", t->shown);
	else if (e->tls_none && !is_local_host(host))
		bp_err_set(err, BP_ECONFIG, "email url %s: tls=\"none\" is "
			   "only allowed for a relay on this host", t->shown);
	else
		rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static char *need_env(const char *attr, const char *name, bp_err *err)
{
	char what[64];
	const char *v;

	snprintf(what, sizeof(what), "%s of <email>", attr);
	v = bp_net_env(name, what, err);
	return v ? bp_xstrdup(v) : NULL;
}

static int load_credentials(const bp_email *e, target *t, bp_err *err)
{
	if (e->user_env && !(t->user = need_env("user-env", e->user_env, err)))
		return -1;
	if (e->password_env) {
		if (!(t->password = need_env("password-env", e->password_env, err)))
			return -1;
	} else if (e->password_file) {
		if (!(t->password = bp_secret_read_file(e->password_file,
							"password", "<email>", err)))
			return -1;
	}
	if (!t->user != !t->password)
		return bp_err_set(err, BP_ECONFIG, "<email> has %s: set both "
				  "user-env and password-env or password-file",
				  t->user ? "a user but no password"
					  : "a password but no user-env");
	return 0;
}

/* ---- replies ---------------------------------------------------------------
 * Once AUTH has been sent, no reply text of the server is kept: some
 * servers repeat the login, even the password or its base64, in their
 * replies.  A reply is then its code, its enhanced code (RFC 3463) and
 * what they mean, in our words (RFC 5321 and RFC 3463's). */

static const char *basic_meaning(int code)
{
	static const struct { int code; const char *words; } t[] = {
		{ 421, "service not available" },
		{ 450, "mailbox unavailable" },
		{ 451, "local error in processing" },
		{ 452, "insufficient system storage" },
		{ 454, "temporary authentication failure" },
		{ 455, "server unable to accommodate parameters" },
		{ 500, "syntax error or command unrecognized" },
		{ 501, "syntax error in parameters" },
		{ 502, "command not implemented" },
		{ 503, "bad sequence of commands" },
		{ 504, "parameter not implemented" },
		{ 530, "authentication required" },
		{ 534, "authentication mechanism too weak" },
		{ 535, "authentication credentials invalid" },
		{ 538, "encryption required" },
		{ 550, "mailbox unavailable" },
		{ 551, "user not local" },
		{ 552, "exceeded storage allocation" },
		{ 553, "mailbox name not allowed" },
		{ 554, "transaction failed" },
		{ 555, "parameters not recognized" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == code)
			return t[i].words;
	return code >= 500 ? "permanent failure" : code >= 400 ?
	       "temporary failure" : code >= 300 ? "continue" : "ok";
}

/* RFC 3463's subject.detail, the class left out. */
static const char *enhanced_meaning(const char *sd)
{
	static const struct { const char *sd, *words; } t[] = {
		{ "1.1", "bad destination mailbox address" },
		{ "1.2", "bad destination system address" },
		{ "1.3", "bad destination mailbox address syntax" },
		{ "1.6", "destination mailbox has moved" },
		{ "1.10", "recipient address has null MX" },
		{ "2.1", "mailbox disabled" },
		{ "2.2", "mailbox full" },
		{ "2.3", "message length exceeds administrative limit" },
		{ "3.0", "mail system problem" },
		{ "3.1", "mail system full" },
		{ "3.4", "message too big for system" },
		{ "4.7", "delivery time expired" },
		{ "5.3", "too many recipients" },
		{ "7.1", "delivery not authorized" },
		{ "7.8", "authentication credentials invalid" },
		{ "7.9", "authentication mechanism too weak" },
		{ "7.11", "encryption required" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].sd, sd))
			return t[i].words;
	return NULL;
}

/* The reply line `s` (n bytes, starting with 3 digits) as "CODE[ X.Y.Z]
 * MEANING".  No server text, no comma, no parenthesis: delivery.log's
 * REJECTED field can be read back. */
static void coded_reply(char *dst, size_t size, const char *s, size_t n)
{
	int code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	const char *words = NULL;
	char enh[16] = "";
	size_t i = 4, k = 0;
	int dots = 0, digits = 0;

	/* "5.1.1": the class as the code's, then 1-3 digits twice. */
	if (n > 5 && s[3] == ' ' && s[4] == s[0] && s[5] == '.') {
		for (i = 4; i < n && k + 1 < sizeof(enh); i++) {
			if (s[i] == '.' && digits > 0 && dots < 2)
				dots++, digits = 0;
			else if (isdigit((unsigned char)s[i]) && digits < 3)
				digits++;
			else
				break;
			enh[k++] = s[i];
		}
		enh[k] = '\0';
		if (dots != 2 || digits == 0 || (i < n && s[i] != ' ' &&
						 s[i] != '\r' && s[i] != '\n'))
			enh[0] = '\0';
	}
	if (enh[0])
		words = enhanced_meaning(enh + 2);
	if (!words)
		words = basic_meaning(code);
	snprintf(dst, size, "%03d%s%s %s", code, enh[0] ? " " : "", enh, words);
}

/* A reply line as kept before AUTH: up to its end, control characters
 * as spaces. */
static void copy_line(char *dst, size_t size, const char *src, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < size; i++) {
		if (src[i] == '\r' || src[i] == '\n')
			break;
		dst[k++] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? ' '
									 : src[i];
	}
	dst[k] = '\0';
}

/* ---- recipients ----------------------------------------------------------- */

enum {
	R_PENDING,          /* to be sent */
	R_DELIVERED,        /* by this send */
	R_REJECTED,         /* 5xx to RCPT in this send: final */
	R_DEFERRED,         /* 4xx to RCPT, still after the retries */
	R_DONE,             /* delivery.log records it delivered or refused */
	R_EARLIER,          /* another snapshot of the period delivered it */
	R_EARLIER_REJECTED, /* ... or had it refused for good */
	R_DUP               /* the address again, in another list */
};

typedef struct rcpt {
	const char *addr;
	int state;
	int deferrals;         /* 4xx replies to its RCPT so far */
	int code;              /* the reply to its RCPT this attempt, 0: none */
	char reply[REPLY_MAX]; /* that reply, coded_reply's form */
	const char *where;     /* R_EARLIER*: that snapshot's folder name */
} rcpt;

/* A recipient by address, case-insensitively: sorted pointers. */
static int by_addr(const void *a, const void *b)
{
	return strcasecmp((*(rcpt *const *)a)->addr, (*(rcpt *const *)b)->addr);
}

static rcpt *find_rcpt(rcpt **index, size_t n, const char *addr, size_t len)
{
	char key[BP_MAIL_ADDR_MAX + 1];
	rcpt probe = { .addr = key }, *pp = &probe, **hit;

	if (len == 0 || len > BP_MAIL_ADDR_MAX)
		return NULL;
	memcpy(key, addr, len);
	key[len] = '\0';
	hit = bsearch(&pp, index, n, sizeof(*index), by_addr);
	return hit ? *hit : NULL;
}

/* ---- one attempt ---------------------------------------------------------- */

typedef struct attempt {
	rcpt **b;              /* the batch: its recipients, in RCPT order */
	size_t nb, sent;
	long waiting;          /* index of the RCPT awaiting its reply, -1 */
	int after_auth;        /* AUTH was sent: keep no server text */
	char last[REPLY_MAX];  /* the server's last reply line */
	char first_bad[REPLY_MAX]; /* its first 4xx/5xx reply not to a RCPT:
				    * the cause (the last is often to QUIT) */
	char curl_msg[CURL_ERROR_SIZE];
	CURLcode rc;
	long code;             /* the last SMTP reply code */
	const sbuf *msg;       /* the message being uploaded */
	size_t pos;
} attempt;

/* Pairs "RCPT TO:" commands with their replies and notes when AUTH
 * starts.  Never looks further into outgoing lines: AUTH sends the
 * credentials. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t n,
		    void *arg)
{
	attempt *a = arg;
	char line[REPLY_MAX];

	(void)h;
	if (type == CURLINFO_HEADER_OUT && n >= 8 &&
	    !strncasecmp(data, "RCPT TO:", 8)) {
		a->waiting = a->sent < a->nb ? (long)a->sent : -1;
		a->sent++;
	} else if (type == CURLINFO_HEADER_OUT && n >= 5 &&
		   !strncasecmp(data, "AUTH", 4) &&
		   (data[4] == ' ' || data[4] == '\r')) {
		a->after_auth = 1;
	} else if (type == CURLINFO_HEADER_IN && n >= 3 &&
		   isdigit((unsigned char)data[0]) &&
		   isdigit((unsigned char)data[1]) &&
		   isdigit((unsigned char)data[2]) &&
		   (n == 3 || data[3] != '-')) {
		if (a->after_auth)
			coded_reply(line, sizeof(line), data, n);
		else
			copy_line(line, sizeof(line), data, n);
		snprintf(a->last, sizeof(a->last), "%s", line);
		if (a->waiting >= 0) {
			rcpt *r = a->b[a->waiting];
			r->code = atoi(line);
			coded_reply(r->reply, sizeof(r->reply), data, n);
			a->waiting = -1;
		} else if (atoi(line) >= 400 && !a->first_bad[0]) {
			snprintf(a->first_bad, sizeof(a->first_bad), "%s", line);
		}
	}
	return 0;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	attempt *a = arg;
	size_t n = size * nitems, left = a->msg->len - a->pos;

	if (n > left)
		n = left;
	memcpy(buf, a->msg->s + a->pos, n);
	a->pos += n;
	return n;
}

/* A handle for one connection: kept while transactions succeed, so that
 * the batches share one login.  NULL when libcurl cannot make one. */
static CURL *new_handle(const bp_email *e, const target *t, attempt *a)
{
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, e->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_USE_SSL,
			 e->tls_none ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (e->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, e->ca_file);
	if (t->user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, t->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, t->password);
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->curl_msg);
	/* The debug callback only receives data with VERBOSE on; nothing
	 * reaches stderr because the callback replaces curl's printing. */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, a);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, e->from);
	curl_easy_setopt(h, OPT_RCPT_ALLOWFAILS, 1L);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, a);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)a->msg->len);
	return h;
}

/* Runs one transaction (MAIL, a RCPT per batch recipient, DATA) on *h,
 * making the handle first when there is none.  Returns 0 when it ran
 * (a->rc says how it went), -1 when libcurl cannot make a handle. */
static int transaction(CURL **h, const bp_email *e, const target *t,
		       attempt *a)
{
	struct curl_slist *rcpt = NULL;

	a->sent = 0;
	a->waiting = -1;
	a->pos = 0;
	a->last[0] = a->curl_msg[0] = a->first_bad[0] = '\0';
	a->code = 0;
	for (size_t i = 0; i < a->nb; i++) {
		a->b[i]->code = 0;
		a->b[i]->reply[0] = '\0';
		/* libcurl allocates through bp_xmalloc: this cannot fail. */
		rcpt = curl_slist_append(rcpt, a->b[i]->addr);
	}
	if (!*h && !(*h = new_handle(e, t, a))) {
		curl_slist_free_all(rcpt);
		return -1;
	}
	curl_easy_setopt(*h, CURLOPT_MAIL_RCPT, rcpt);
	a->rc = curl_easy_perform(*h);
	curl_easy_getinfo(*h, CURLINFO_RESPONSE_CODE, &a->code);
	curl_easy_setopt(*h, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	return 0;
}

static size_t count_accepted(const attempt *a)
{
	size_t k = 0;

	for (size_t i = 0; i < a->nb; i++)
		k += a->b[i]->code >= 200 && a->b[i]->code < 300;
	return k;
}

/* The server answered every RCPT of the batch with a 5xx: about the
 * recipients, not the connection, and final. */
static int refused_every_rcpt(const attempt *a)
{
	if (a->rc == CURLE_OK || a->sent < a->nb)
		return 0;
	for (size_t i = 0; i < a->nb; i++)
		if (a->b[i]->code < 500)
			return 0;
	return 1;
}

/* When every RCPT got a 4xx or 5xx, the first 4xx is the failure: the
 * server wants the batch later (curl's last code may be another). */
static void rcpt_failure(attempt *a)
{
	if (a->sent < a->nb || count_accepted(a) > 0)
		return;
	for (size_t i = 0; i < a->nb; i++)
		if (a->b[i]->code >= 400 && a->b[i]->code < 500) {
			a->code = a->b[i]->code;
			snprintf(a->first_bad, sizeof(a->first_bad), "%s",
				 a->b[i]->reply);
			return;
		}
}

/* Retry-worthy: the server may take it next time. */
static int transient(const attempt *a)
{
	if (a->code >= 400 && a->code < 500)
		return 1;
	if (a->code >= 500)
		return 0;
	switch (a->rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
		return 1;
	default:
		return 0;
	}
}

/* The error for a failed attempt.  Never a credential: curl's messages
 * hold none, and replies after AUTH are kept as codes only. */
static int attempt_error(const attempt *a, const target *t, int tries,
			 bp_err *err)
{
	const char *why = a->curl_msg[0] ? a->curl_msg : curl_easy_strerror(a->rc);
	const char *reply = a->first_bad[0] ? a->first_bad : a->last;

	if (atoi(reply) == 530)
		return bp_err_set(err, BP_ECONFIG, "SMTP server %s requires a "
				  "login (set user-env and password-env or "
				  "password-file on <email>): %s", t->shown, reply);
	if (a->rc == CURLE_LOGIN_DENIED)
		return bp_err_set(err, BP_ECONFIG, "SMTP server %s refused the "
				  "login: %s", t->shown, a->last[0] ? a->last : why);
	if (a->rc == CURLE_USE_SSL_FAILED)
		return bp_err_set(err, BP_EUNAVAIL, "SMTP server %s does not "
				  "offer STARTTLS (set tls=\"none\" only for a "
				  "relay on this host)", t->shown);
	if (a->code >= 400 && a->code < 500)
		return bp_err_set(err, BP_ETEMPFAIL, "SMTP server %s: %s (after "
				  "%d attempts)", t->shown, reply, tries);
	if (a->code >= 500)
		return bp_err_set(err, BP_EUNAVAIL, "SMTP server %s: %s",
				  t->shown, reply);
	if (transient(a))
		return bp_err_set(err, BP_EUNAVAIL, "cannot reach SMTP server "
				  "%s: %s (after %d attempts)", t->shown, why,
				  tries);
	return bp_err_set(err, BP_EUNAVAIL, "SMTP server %s: %s", t->shown, why);
}

/* ---- delivery.log ------------------------------------------------------------
 * Who has the report is what delivery.log says: "sent" and "earlier" lines
 * list whom it reached, and a 5xx in any line's REJECTED field is the
 * server's final answer for that address.  A retry reads it back and
 * sends to the others only. */

/* Opens `path` for reading or appending without following a link and
 * without blocking on a FIFO; only a regular file with one name passes
 * (through a second name a planted hard link would be written).  Returns
 * the descriptor, or -1 with errno set (ELOOP: a link, EINVAL: not a
 * regular file or several names). */
static int open_log_file(const char *path, int flags)
{
	struct stat st;
	int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
		      O_NOCTTY, 0600);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Opens dir/delivery.log to append: created 0600, or made 0600 when an
 * older boardpack left it readable; never through a symbolic link. */
static int open_log(const char *dir, int *fd, bp_err *err)
{
	char *path = path_in(dir, "delivery.log");
	struct stat st;

	*fd = open_log_file(path, O_WRONLY | O_APPEND | O_CREAT);
	/* ENXIO: a FIFO that no one reads, which O_NONBLOCK does not wait
	 * for. */
	if (*fd < 0 && errno == ENXIO)
		errno = EINVAL;
	if (*fd < 0 && errno == ELOOP)
		bp_err_set(err, BP_ECANTCREAT, "'%s' is a symbolic link: not "
			   "writing through it", path);
	else if (*fd < 0 && errno == EINVAL)
		bp_err_set(err, BP_ECANTCREAT, "'%s' is not a regular file (or "
			   "has other names): not writing to it", path);
	else if (*fd < 0)
		bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", path,
			   strerror(errno));
	else if (fstat(*fd, &st) < 0 || ((st.st_mode & 077) &&
					 fchmod(*fd, 0600) < 0)) {
		bp_err_set(err, BP_ECANTCREAT, "cannot make '%s' private (chmod "
			   "600): %s", path, strerror(errno));
		close(*fd);
		*fd = -1;
	}
	free(path);
	return *fd < 0 ? -1 : 0;
}

/* Appends `line` and makes it durable: what is recorded as sent is not
 * sent again, so the record must survive a crash.  Returns -1 with errno
 * set when it cannot be written. */
static int log_write(int fd, const sbuf *line)
{
	if (fd < 0)
		return 0;
	if (write(fd, line->s, line->len) != (ssize_t)line->len) {
		if (errno == 0)
			errno = ENOSPC;
		return -1;
	}
	return fdatasync(fd);
}

static void log_start(sbuf *b, const char *status)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	sb_printf(b, "%s\t%s\t", stamp, status);
}

/* NOTE (tabs and line breaks as spaces) and BATCH, and the line end. */
static void log_end(sbuf *b, const char *note, const char *batch)
{
	sb_puts(b, "\t");
	for (const char *p = note ? note : "-"; *p; p++)
		sb_add(b, strchr("\t\r\n", *p) ? " " : p, 1);
	sb_printf(b, "\t%s\n", batch ? batch : "-");
}

/* The batch's ACCEPTED (`delivered`: those with a 2xx, else none) and
 * REJECTED fields. */
static void log_batch(sbuf *b, const attempt *a, int delivered)
{
	size_t k = 0;

	for (size_t i = 0; delivered && i < a->nb; i++)
		if (a->b[i]->code >= 200 && a->b[i]->code < 300)
			sb_printf(b, "%s%s", k++ ? "," : "", a->b[i]->addr);
	sb_puts(b, k ? "\t" : "-\t");
	k = 0;
	for (size_t i = 0; i < a->nb; i++)
		if (a->b[i]->code >= 400)
			sb_printf(b, "%s%s (%s)", k++ ? "," : "", a->b[i]->addr,
				  a->b[i]->reply);
	if (k == 0)
		sb_puts(b, "-");
}

/* The length of a log line's field: up to the next tab. */
static size_t field_len(const char *p)
{
	const char *tab = strchr(p, '\t');

	return tab ? (size_t)(tab - p) : strlen(p);
}

/* Marks pending recipients from one log line's ACCEPTED (`acc`; NULL for
 * a line that delivered nothing) and REJECTED fields: `done` for a
 * delivery, `refused` for a final 5xx.  Returns how many it marked as
 * delivered. */
static size_t mark_line(rcpt **index, size_t n, const char *acc, size_t acc_n,
			const char *rej, size_t rej_n, int done, int refused,
			const char *where)
{
	const char *p, *end, *stop, *close;
	size_t delivered = 0;
	rcpt *r;

	for (p = acc, stop = acc + acc_n; acc && p < stop; p = end + 1) {
		end = memchr(p, ',', (size_t)(stop - p));
		end = end ? end : stop;
		if ((r = find_rcpt(index, n, p, (size_t)(end - p))) &&
		    r->state == R_PENDING) {
			r->state = done;
			r->where = where;
			delivered++;
		}
	}
	/* "addr (550 5.1.1 words),addr (...)": the ')' that a ',' or the
	 * field's end follows ends an entry (older logs kept the server's
	 * words, which may hold either). */
	for (p = rej, stop = rej + rej_n; p < stop && !(rej_n == 1 && *p == '-');
	     p = close + 2) {
		const char *open = memchr(p, '(', (size_t)(stop - p));
		size_t len;

		close = open;
		while (close && (close = memchr(close + 1, ')',
						(size_t)(stop - close - 1))) &&
		       close + 1 < stop && close[1] != ',')
			;
		if (!open || !close)
			break;
		len = (size_t)(open - p);
		if (len > 0 && p[len - 1] == ' ')
			len--;
		if (close - open > 3 && open[1] == '5' &&
		    isdigit((unsigned char)open[2]) &&
		    isdigit((unsigned char)open[3]) &&
		    (r = find_rcpt(index, n, p, len)) && r->state == R_PENDING) {
			r->state = refused;
			r->where = where;
			coded_reply(r->reply, sizeof(r->reply), open + 1,
				    (size_t)(close - open - 1));
		}
	}
	return delivered;
}

/* Marks the pending recipients that the delivery.log at `path` records
 * as done; `done` and `refused` are the states to give them.  A log
 * that is missing or cannot be read records nothing.  Returns how many
 * it marked as delivered. */
static size_t read_done(rcpt **index, size_t n, const char *path, int done,
			int refused, const char *where)
{
	int fd = open_log_file(path, O_RDONLY);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *line = NULL;
	size_t cap = 0, delivered = 0, acc_n, rej_n, k;
	const char *status, *acc, *rej;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		/* TIME, STATUS, ACCEPTED, REJECTED, ... */
		if (!(status = strchr(line, '\t')) || !(acc = strchr(++status, '\t')))
			continue;
		acc_n = field_len(++acc);
		rej = acc[acc_n] ? acc + acc_n + 1 : acc + acc_n;
		rej_n = field_len(rej);
		k = (size_t)(acc - 1 - status);
		if ((k == 4 && !strncmp(status, "sent", 4)) ||
		    (k == 7 && !strncmp(status, "earlier", 7)))
			delivered += mark_line(index, n, acc, acc_n, rej, rej_n,
					       done, refused, where);
		else
			mark_line(index, n, NULL, 0, rej, rej_n, done, refused,
				  where);
	}
	free(line);
	fclose(f);
	return delivered;
}

/* ---- sending -------------------------------------------------------------- */

/* One bp_mail_send: the recipients, their queue, the connection. */
typedef struct mailing {
	const bp_email *e;
	const char *dir;
	target t;
	message m;
	rcpt *r;
	size_t n;
	rcpt **index;          /* r by address, for find_rcpt, no R_DUP */
	size_t n_index;
	rcpt **queue;          /* pending, in sending order; a deferred one
				* goes again at the back */
	size_t qhead, qtail, qcap;
	size_t batch_max;
	size_t delivered_before; /* delivered earlier, by the logs */
	char **where;          /* the other snapshots the logs named */
	size_t n_where, where_cap;
	int logfd;
	CURL *h;
	attempt a;
	bp_mail_result *res;
} mailing;

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void push(mailing *g, rcpt *r)
{
	BP_GROW(g->queue, g->qtail + 1, g->qcap);
	g->queue[g->qtail++] = r;
}

static void drop_handle(mailing *g)
{
	curl_easy_cleanup(g->h);
	g->h = NULL;
}

/* Takes the next batch off the queue into g->a.  Returns its size. */
static size_t next_batch(mailing *g)
{
	attempt *a = &g->a;

	a->nb = 0;
	while (g->qhead < g->qtail && a->nb < g->batch_max) {
		rcpt *r = g->queue[g->qhead++];
		if (r->state == R_PENDING)
			a->b[a->nb++] = r;
	}
	return a->nb;
}

/* Drops from the batch those that need no retry (refused for good). */
static void keep_retryable(attempt *a)
{
	size_t k = 0;

	for (size_t i = 0; i < a->nb; i++)
		if (a->b[i]->state == R_PENDING)
			a->b[k++] = a->b[i];
	a->nb = k;
}

/* Settles the batch after a transaction, `delivered` when the server took
 * the message.  A 5xx to RCPT is final.  A 4xx in a delivered
 * transaction sends that recipient in a later batch (RFC 5321
 * 4.5.3.1.10: what a 452 asks for), up to BP_MAIL_RETRIES times; in a
 * failed one it stays in the batch, which is retried whole. */
static void settle(mailing *g, int delivered)
{
	attempt *a = &g->a;
	size_t accepted = 0;
	int too_many = 0;

	for (size_t i = 0; i < a->nb; i++) {
		rcpt *r = a->b[i];
		if (delivered && r->code >= 200 && r->code < 300) {
			r->state = R_DELIVERED;
			g->res->delivered++;
			accepted++;
		} else if (r->code >= 500) {
			r->state = R_REJECTED;
			g->res->rejected++;
		} else if (r->code >= 400 && delivered) {
			too_many |= r->code == 452;
			if (++r->deferrals > BP_MAIL_RETRIES) {
				r->state = R_DEFERRED;
				g->res->rejected++;
			} else {
				push(g, r);
			}
		}
	}
	/* A server that takes fewer recipients per transaction than the
	 * RFC's 100 gets batches of what it took. */
	if (too_many && accepted > 0 && accepted < g->batch_max)
		g->batch_max = accepted;
}

/* How many of the batch the server took the message for. */
static size_t batch_delivered(const attempt *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->nb; i++)
		n += a->b[i]->state == R_DELIVERED;
	return n;
}

/* Writes a line of the batch in g->a; a "sent" line that cannot be
 * written stops the send (BP_ECANTCREAT), since an unrecorded batch
 * would be sent again. */
static int log_attempt(mailing *g, const char *status, const char *note,
		       const char *label, bp_err *err)
{
	sbuf b = { 0 };
	int rc = 0, sent = !strcmp(status, "sent");

	log_start(&b, status);
	log_batch(&b, &g->a, sent);
	log_end(&b, note, label);
	if (log_write(g->logfd, &b) < 0 && sent) {
		size_t took = batch_delivered(&g->a);

		g->res->unrecorded += took;
		rc = bp_err_set(err, BP_ECANTCREAT, "cannot record the delivery "
				"in '%s/delivery.log': %s; the server took the "
				"message for %zu recipient%s of this batch, whom a "
				"later send may mail again; stopped so that no "
				"other batch goes out unrecorded", g->dir,
				strerror(errno), took, took == 1 ? "" : "s");
	}
	free(b.s);
	return rc;
}

/* One batch, with its retries.  Returns 1 when the batch is settled, 0
 * when it failed for now (err set: the send stops), -1 on an error that
 * is not the server's (err set). */
static int send_batch(mailing *g, const char *label, bp_err *err)
{
	attempt *a = &g->a;
	long base = bp_net_retry_base_ms();

	for (int tries = 1;; tries++) {
		if (transaction(&g->h, g->e, &g->t, a) < 0)
			return bp_err_set(err, BP_ESOFTWARE, "cannot set up "
					  "libcurl for email");
		if (a->rc == CURLE_OK && count_accepted(a) > 0) {
			settle(g, 1);
			return log_attempt(g, "sent", NULL, label, err) < 0 ? -1 : 1;
		}
		drop_handle(g);   /* a fresh connection for whatever comes next */
		if (refused_every_rcpt(a)) {
			settle(g, 0);
			log_attempt(g, "failed", "the server refused every "
				    "recipient of this batch", label, err);
			return 1;
		}
		if (a->rc == CURLE_OK)   /* should not happen: be safe */
			a->rc = CURLE_SEND_ERROR;
		rcpt_failure(a);
		settle(g, 0);
		attempt_error(a, &g->t, tries, err);
		log_attempt(g, "failed", err->msg, label, err);
		if (!transient(a) || tries > BP_MAIL_RETRIES)
			return 0;
		keep_retryable(a);
		if (a->nb == 0)
			return 1;
		pause_ms(bp_net_backoff_ms(base, tries));
	}
}

/* Records in the log whom other snapshots of the period reached: one
 * "earlier" line per snapshot. */
static void log_earlier(mailing *g)
{
	for (size_t w = 0; w < g->n_where; w++) {
		sbuf b = { 0 };
		size_t k = 0;

		log_start(&b, "earlier");
		for (size_t i = 0; i < g->n; i++)
			if (g->r[i].state == R_EARLIER && g->r[i].where == g->where[w])
				sb_printf(&b, "%s%s", k++ ? "," : "", g->r[i].addr);
		sb_puts(&b, k ? "\t" : "-\t");
		k = 0;
		for (size_t i = 0; i < g->n; i++)
			if (g->r[i].state == R_EARLIER_REJECTED &&
			    g->r[i].where == g->where[w])
				sb_printf(&b, "%s%s (%s)", k++ ? "," : "",
					  g->r[i].addr, g->r[i].reply);
		if (k == 0)
			sb_puts(&b, "-");
		{
			char *note = bp_xasprintf("reached with snapshot %s",
						  g->where[w]);
			log_end(&b, note, NULL);
			free(note);
		}
		log_write(g->logfd, &b);
		free(b.s);
	}
}

/* Every batch, in order.  Returns 0 when all are settled. */
static int deliver(mailing *g, bp_err *err)
{
	size_t k = 0, n;
	char label[48];

	while (g->qhead < g->qtail) {
		size_t left = g->qtail - g->qhead;
		int rc;

		/* "K/N": N as planned when batch K starts. */
		snprintf(label, sizeof(label), "%zu/%zu", k + 1,
			 k + (left + g->batch_max - 1) / g->batch_max);
		if ((n = next_batch(g)) == 0)
			continue;
		k++;
		rc = send_batch(g, label, err);
		if (rc <= 0)
			return -1;
	}
	return 0;
}

/* The result after every batch settled: rejected and deferred ones
 * listed, or the error when nobody has the report. */
static int conclude(mailing *g, bp_err *err)
{
	sbuf b = { 0 };
	size_t shown = 0, deferred = 0;
	const rcpt *first = NULL;

	for (size_t i = 0; i < g->n; i++) {
		const rcpt *r = &g->r[i];
		if (r->state != R_REJECTED && r->state != R_DEFERRED)
			continue;
		deferred += r->state == R_DEFERRED;
		first = first ? first : r;
		if (shown++ < REPORT_MAX)
			sb_printf(&b, "%s%s (%s)", shown > 1 ? ", " : "",
				  r->addr, r->reply);
	}
	if (shown > REPORT_MAX)
		sb_printf(&b, " and %zu others (delivery.log lists them)",
			  shown - REPORT_MAX);
	if (g->res->delivered == 0 && g->delivered_before == 0 && first) {
		bp_err_set(err, deferred == shown ? BP_ETEMPFAIL : BP_EUNAVAIL,
			   "SMTP server %s %s every recipient: %s", g->t.shown,
			   deferred == shown ? "deferred" : "rejected", b.s);
		free(b.s);
		return -1;
	}
	if (shown)
		g->res->report = bp_xasprintf("rejected by the server: %s", b.s);
	free(b.s);
	return 0;
}

/* Address order, then envelope order: the first of equal addresses
 * sorts first. */
static int by_addr_then_place(const void *a, const void *b)
{
	const rcpt *x = *(rcpt *const *)a, *y = *(rcpt *const *)b;
	int c = strcasecmp(x->addr, y->addr);

	return c ? c : x < y ? -1 : x > y;
}

/* The envelope: To, Cc, then Bcc, each address once (a later copy is
 * R_DUP and never sent).  Returns -1 with BP_ECONFIG when there is no
 * recipient or one is too long for SMTP. */
static int init_recipients(mailing *g, bp_err *err)
{
	const bp_email *e = g->e;
	char **lists[3] = { e->to, e->cc, e->bcc };
	size_t counts[3] = { e->n_to, e->n_cc, e->n_bcc }, total = 0, k = 0;

	for (size_t l = 0; l < 3; l++)
		total += counts[l];
	if (total == 0)
		return bp_err_set(err, BP_ECONFIG, "<email> has no recipient");
	g->r = bp_xcalloc(total, sizeof(*g->r));
	g->index = bp_xcalloc(total, sizeof(*g->index));
	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++) {
			if (strlen(lists[l][i]) > BP_MAIL_ADDR_MAX)
				return bp_err_set(err, BP_ECONFIG, "<email> address "
						  "'%.40s...' is longer than %d "
						  "characters", lists[l][i],
						  BP_MAIL_ADDR_MAX);
			g->r[g->n].addr = lists[l][i];
			g->index[g->n] = &g->r[g->n];
			g->n++;
		}
	qsort(g->index, g->n, sizeof(*g->index), by_addr_then_place);
	for (size_t i = 0; i < g->n; i++) {
		if (k > 0 && !strcasecmp(g->index[k - 1]->addr, g->index[i]->addr))
			g->index[i]->state = R_DUP;
		else
			g->index[k++] = g->index[i];
	}
	g->n_index = k;
	g->res->recipients = k;
	return 0;
}

/* Marks what the logs of the period's other snapshots record, naming
 * each snapshot that reached someone in g->where. */
static void read_period(mailing *g, const bp_config *cfg, const char *period)
{
	char *pdir = bp_fs_join(cfg->output_dir, period);
	DIR *d = opendir(pdir);
	struct dirent *ent;
	struct stat self, st;

	if (!d || stat(g->dir, &self) < 0)
		goto out;
	while ((ent = readdir(d)) != NULL) {
		char *snap, *log, *name;
		size_t before = 0, after = 0;

		if (ent->d_name[0] == '.')
			continue;
		snap = bp_fs_join(pdir, ent->d_name);
		if (lstat(snap, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    (st.st_dev == self.st_dev && st.st_ino == self.st_ino)) {
			free(snap);
			continue;
		}
		log = bp_fs_join(snap, "delivery.log");
		name = bp_xstrdup(ent->d_name);
		for (size_t i = 0; i < g->n; i++)
			before += g->r[i].state != R_PENDING;
		g->delivered_before += read_done(g->index, g->n_index, log, R_EARLIER,
						 R_EARLIER_REJECTED, name);
		for (size_t i = 0; i < g->n; i++)
			after += g->r[i].state != R_PENDING;
		if (after > before) {
			BP_GROW(g->where, g->n_where + 1, g->where_cap);
			g->where[g->n_where++] = name;
		} else {
			free(name);
		}
		free(log);
		free(snap);
	}
out:
	if (d)
		closedir(d);
	free(pdir);
}

/* Everything that can fail before connecting. */
static int prepare(mailing *g, const bp_config *cfg, const char *period,
		   bp_err *err)
{
	if (check_url(g->e, &g->t, err) < 0 ||
	    bp_net_check_ca(g->e->ca_file, "<email>", err) < 0 ||
	    load_credentials(g->e, &g->t, err) < 0)
		return -1;
	prepare_bodies(&g->m, g->e, g->dir, period);
	return prepare_message(&g->m, cfg, period, err);
}

/* A line for a failure before any attempt. */
static void log_failure(int fd, const char *msg)
{
	sbuf b = { 0 };

	log_start(&b, "failed");
	sb_puts(&b, "-\t-");
	log_end(&b, msg, NULL);
	log_write(fd, &b);
	free(b.s);
}

/* Who is left to send to: the pending recipients, in envelope order. */
static void pick_pending(mailing *g, const bp_config *cfg, const char *period,
			 int flags)
{
	char *own = path_in(g->dir, "delivery.log");

	if (!(flags & BP_MAIL_RESEND)) {
		g->delivered_before = read_done(g->index, g->n_index, own, R_DONE,
						R_DONE, NULL);
		if ((flags & BP_MAIL_PERIOD) && cfg->output_dir && period)
			read_period(g, cfg, period);
	}
	for (size_t i = 0; i < g->n; i++) {
		if (g->r[i].state == R_PENDING)
			push(g, &g->r[i]);
		else if (g->r[i].state != R_DUP)
			g->res->earlier++;
	}
	free(own);
}

static void mailing_free(mailing *g)
{
	curl_easy_cleanup(g->h);
	message_free(&g->m);
	bp_secret_free(g->t.user);
	bp_secret_free(g->t.password);
	for (size_t i = 0; i < g->n_where; i++)
		free(g->where[i]);
	free(g->where);
	free(g->queue);
	free(g->index);
	free(g->r);
	free(g->a.b);
	if (g->logfd >= 0)
		close(g->logfd);
}

int bp_mail_send(const bp_config *cfg, const char *dir, const char *period,
		 int flags, bp_mail_result *res, bp_err *err)
{
	bp_mail_result mine_res;
	bp_err mine;
	mailing g = { .e = cfg ? cfg->email : NULL, .dir = dir, .logfd = -1,
		      .batch_max = BP_MAIL_BATCH };
	struct stat st;
	int rc = -1, tried = 0;

	if (!err)
		err = &mine;
	if (!res)
		res = &mine_res;
	memset(res, 0, sizeof(*res));
	g.res = res;
	if (!g.e)
		return bp_err_set(err, BP_ECONFIG, "the config has no <email>");
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return bp_err_set(err, BP_ENOINPUT, "snapshot folder '%s' does "
				  "not exist", dir);
	if (init_recipients(&g, err) < 0) {
		open_log(dir, &g.logfd, NULL);   /* to record why, if it can */
		goto out;
	}
	pick_pending(&g, cfg, period, flags);
	if (g.qtail == 0) {   /* everyone has it already */
		rc = 0;
		goto out;
	}
	if (open_log(dir, &g.logfd, err) < 0)
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		bp_err_set(err, BP_ESOFTWARE, "cannot start libcurl");
		goto out;
	}
	if (prepare(&g, cfg, period, err) < 0)
		goto out;
	tried = 1;
	g.a.msg = &g.m.data;
	g.a.b = bp_xcalloc(BP_MAIL_BATCH, sizeof(*g.a.b));
	log_earlier(&g);
	if (deliver(&g, err) == 0)
		rc = conclude(&g, err);
out:
	/* deliver() logs its attempts; what failed before one is logged here. */
	if (rc < 0 && !tried && g.logfd >= 0)
		log_failure(g.logfd, err->msg);
	mailing_free(&g);
	if (res == &mine_res)
		bp_mail_result_clear(res);
	return rc;
}

void bp_mail_result_clear(bp_mail_result *res)
{
	if (!res)
		return;
	free(res->report);
	memset(res, 0, sizeof(*res));
}

/* ---- was it sent? --------------------------------------------------------- */

int bp_mail_was_sent(const char *dir)
{
	char *path = dir ? path_in(dir, "delivery.log") : NULL;
	char *log = path ? slurp(path, NULL) : NULL, *line, *save = NULL, *tab;
	int sent = 0;

	for (line = log ? strtok_r(log, "\n", &save) : NULL; line && !sent;
	     line = strtok_r(NULL, "\n", &save))
		if ((tab = strchr(line, '\t')) && !strncmp(tab + 1, "sent\t", 5))
			sent = 1;
	free(path);
	free(log);
	return sent;
}
