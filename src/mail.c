/*
 * mail.c - delivers a snapshot by email.  See mail.h for the contract.
 *
 * The message is prepared once (subject, bodies, attachments, headers),
 * then each attempt builds a fresh curl handle and MIME tree from it.
 * libcurl does not say which recipients a server refused, so the SMTP
 * dialogue is watched through the debug callback: each "RCPT TO" command
 * is paired with the reply that follows it (curl does not pipeline SMTP).
 */
#include "mail.h"

#include "fs.h"
#include "secret.h"

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

char *bp_mail_encode_header(const char *text)
{
	/* "=?UTF-8?B?" + 60 base64 characters + "?=" is 72, under RFC 2047's
	 * 75: 45 bytes of text per word. */
	const size_t max = 45;
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text), n;
	sbuf b = { 0 };
	int ascii = 1;

	/* Control characters (a line break would start a new header) are
	 * encoded too, so text from the config can never add a header. */
	for (size_t i = 0; i < len; i++)
		if (p[i] >= 0x7f || p[i] < 0x20)
			ascii = 0;
	if (ascii)
		return bp_xstrdup(text);
	while (len > 0) {
		n = len < max ? len : max;
		/* Back off to the start of a UTF-8 sequence. */
		while (n < len && n > 0 && (p[n] & 0xc0) == 0x80)
			n--;
		if (n == 0)
			n = len < max ? len : max;
		if (b.len)
			sb_puts(&b, "\r\n ");
		sb_puts(&b, "=?UTF-8?B?");
		base64(&b, p, n);
		sb_puts(&b, "?=");
		p += n;
		len -= n;
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

static void message_id(sbuf *b, const char *from, time_t now)
{
	const char *at = strchr(from, '@');
	unsigned char r[8] = { 0 };
	unsigned long long v = 0;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		v = (unsigned long long)now ^ ((unsigned long long)getpid() << 32);
	for (size_t i = 0; i < sizeof(r); i++)
		v = v << 8 ^ r[i];
	sb_printf(b, "<boardpack.%lld.%d.%016llx@%s>", (long long)now,
		  (int)getpid(), v, at ? at + 1 : "localhost");
}

static void add_list(sbuf *b, const char *name, char **addr, size_t n)
{
	if (n == 0)
		return;
	sb_printf(b, "%s: ", name);
	for (size_t i = 0; i < n; i++)
		sb_printf(b, "%s%s", i ? ",\r\n " : "", addr[i]);
}

/* ---- the message, prepared once ------------------------------------------- */

typedef struct attachment {
	char *path;
	const char *type;
} attachment;

typedef struct message {
	struct curl_slist *headers;
	struct curl_slist *rcpt;
	char *html;        /* NULL: plain text only */
	char *text;
	attachment att[2];
	size_t n_att;
} message;

static void message_free(message *m)
{
	curl_slist_free_all(m->headers);
	curl_slist_free_all(m->rcpt);
	free(m->html);
	free(m->text);
	for (size_t i = 0; i < m->n_att; i++)
		free(m->att[i].path);
	memset(m, 0, sizeof(*m));
}

static char *path_in(const char *dir, const char *name)
{
	return bp_xasprintf("%s/%s", dir, name);
}

/* The whole file, NUL-terminated; NULL when it cannot be read. */
static char *slurp(const char *path)
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
	return sb_take(&b);
}

/* What a file grows to in base64 with a CRLF per 76 characters; -1 when
 * it is not a regular file. */
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

/* Mail lines end in CRLF; with bare LFs curl's quoted-printable encoder
 * writes every line break as "=0A" and the source becomes unreadable. */
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
	html = slurp(path);
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

/* Appends the header held in `b` to `list` and empties `b`.  (libcurl
 * allocates through bp_xmalloc, so curl_slist_append cannot fail.) */
static void append_header(struct curl_slist **list, sbuf *b)
{
	char *s = sb_take(b);

	b->s = NULL;
	b->len = b->cap = 0;
	*list = curl_slist_append(*list, s);
	free(s);
}

static void prepare_headers(message *m, const bp_config *cfg,
			    const char *period)
{
	const bp_email *e = cfg->email;
	char date[64];
	char *subject, *enc;
	sbuf b = { 0 };
	time_t now = time(NULL);

	subject = fill_subject(e->subject ? e->subject : DEFAULT_SUBJECT,
			       cfg->title ? cfg->title : "Board report", period);
	enc = bp_mail_encode_header(subject);
	mail_date(date, sizeof(date), now);
	sb_printf(&b, "From: %s", e->from);
	append_header(&m->headers, &b);
	add_list(&b, "To", e->to, e->n_to);
	if (b.len)
		append_header(&m->headers, &b);
	add_list(&b, "Cc", e->cc, e->n_cc);
	if (b.len)
		append_header(&m->headers, &b);
	sb_printf(&b, "Subject: %s", enc);
	append_header(&m->headers, &b);
	sb_printf(&b, "Date: %s", date);
	append_header(&m->headers, &b);
	sb_puts(&b, "Message-ID: ");
	message_id(&b, e->from, now);
	append_header(&m->headers, &b);
	free(subject);
	free(enc);
}

static void prepare_rcpt(message *m, const bp_email *e)
{
	char **lists[3] = { e->to, e->cc, e->bcc };
	size_t counts[3] = { e->n_to, e->n_cc, e->n_bcc };

	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < counts[k]; i++)
			m->rcpt = curl_slist_append(m->rcpt, lists[k][i]);
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
	const char *v = getenv(name);

	if (!v || !v[0]) {
		bp_err_set(err, BP_ECONFIG, "environment variable '%s' (%s of "
			   "<email>) is not set", name, attr);
		return NULL;
	}
	return bp_xstrdup(v);
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

static int check_ca(const bp_email *e, bp_err *err)
{
	if (e->ca_file && access(e->ca_file, R_OK) < 0)
		return bp_err_set(err, BP_ECONFIG, "cannot read ca-file '%s' of "
				  "<email>: %s", e->ca_file, strerror(errno));
	return 0;
}

/* ---- one attempt ---------------------------------------------------------- */

typedef struct rcpt_reply {
	const char *addr;
	int code;              /* 0: no reply seen */
	char reply[REPLY_MAX];
} rcpt_reply;

typedef struct attempt {
	rcpt_reply *r;
	size_t n, sent;
	long waiting;          /* index of the RCPT awaiting its reply, -1 */
	char last[REPLY_MAX];  /* the server's last reply line */
	char first_bad[REPLY_MAX]; /* its first 4xx/5xx reply not to a RCPT:
				    * the cause (the last is often to QUIT) */
	char curl_msg[CURL_ERROR_SIZE];
	CURLcode rc;
	long code;             /* the last SMTP reply code */
} attempt;

static void copy_line(char *dst, size_t size, const char *src, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < size; i++) {
		if (src[i] == '\r' || src[i] == '\n')
			break;
		dst[k++] = src[i] == '\t' ? ' ' : src[i];
	}
	dst[k] = '\0';
}

/* Pairs "RCPT TO:" commands with their replies.  Never looks at other
 * outgoing lines: AUTH sends the credentials. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t n,
		    void *arg)
{
	attempt *a = arg;

	(void)h;
	if (type == CURLINFO_HEADER_OUT && n >= 8 &&
	    !strncasecmp(data, "RCPT TO:", 8)) {
		a->waiting = a->sent < a->n ? (long)a->sent : -1;
		a->sent++;
	} else if (type == CURLINFO_HEADER_IN && n >= 3 &&
		   isdigit((unsigned char)data[0]) &&
		   isdigit((unsigned char)data[1]) &&
		   isdigit((unsigned char)data[2]) &&
		   (n == 3 || data[3] != '-')) {
		copy_line(a->last, sizeof(a->last), data, n);
		if (a->waiting >= 0) {
			rcpt_reply *r = &a->r[a->waiting];
			r->code = atoi(a->last);
			snprintf(r->reply, sizeof(r->reply), "%s", a->last);
			a->waiting = -1;
		} else if (atoi(a->last) >= 400 && !a->first_bad[0]) {
			snprintf(a->first_bad, sizeof(a->first_bad), "%s", a->last);
		}
	}
	return 0;
}

/* The MIME tree of the message, or NULL when an attachment cannot be
 * read or libcurl finds no randomness for a boundary.  (libcurl allocates
 * through bp_xmalloc, so curl_mime_addpart cannot fail.) */
static curl_mime *build_mime(CURL *h, const message *m)
{
	curl_mime *top = curl_mime_init(h), *alt = NULL;
	curl_mimepart *part;

	if (!top)
		return NULL;
	if (m->html) {
		if (!(alt = curl_mime_init(h)))
			goto fail;
		part = curl_mime_addpart(alt);
		curl_mime_data(part, m->text, CURL_ZERO_TERMINATED);
		curl_mime_type(part, "text/plain; charset=utf-8");
		curl_mime_encoder(part, "quoted-printable");
		part = curl_mime_addpart(alt);
		curl_mime_data(part, m->html, CURL_ZERO_TERMINATED);
		curl_mime_type(part, "text/html; charset=utf-8");
		curl_mime_encoder(part, "quoted-printable");
		part = curl_mime_addpart(top);
		if (curl_mime_subparts(part, alt) != CURLE_OK)
			goto fail;
		alt = NULL;   /* now owned by `top` */
		curl_mime_type(part, "multipart/alternative");
	} else {
		part = curl_mime_addpart(top);
		curl_mime_data(part, m->text, CURL_ZERO_TERMINATED);
		curl_mime_type(part, "text/plain; charset=utf-8");
		curl_mime_encoder(part, "quoted-printable");
	}
	for (size_t i = 0; i < m->n_att; i++) {
		part = curl_mime_addpart(top);
		if (curl_mime_filedata(part, m->att[i].path) != CURLE_OK)
			goto fail;
		curl_mime_type(part, m->att[i].type);
		curl_mime_encoder(part, "base64");
	}
	return top;
fail:
	curl_mime_free(alt);
	curl_mime_free(top);
	return NULL;
}

static void set_transport(CURL *h, const bp_email *e, const target *t,
			  attempt *a)
{
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
}

/* Runs one SMTP session.  Returns 0 when it ran (a->rc says how it
 * went), -1 when libcurl could not start a handle or an attachment
 * cannot be read. */
static int attempt_once(const bp_email *e, const target *t, const message *m,
			attempt *a)
{
	CURL *h = curl_easy_init();
	curl_mime *mime = NULL;
	int rc = -1;

	a->sent = 0;
	a->waiting = -1;
	a->last[0] = a->curl_msg[0] = a->first_bad[0] = '\0';
	a->code = 0;
	for (size_t i = 0; i < a->n; i++)
		a->r[i].code = 0, a->r[i].reply[0] = '\0';
	if (!h || !(mime = build_mime(h, m)))
		goto out;
	set_transport(h, e, t, a);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, e->from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, m->rcpt);
	curl_easy_setopt(h, OPT_RCPT_ALLOWFAILS, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, m->headers);
	curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	a->rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->code);
	rc = 0;
out:
	curl_mime_free(mime);
	curl_easy_cleanup(h);
	return rc;
}

static size_t count_accepted(const attempt *a)
{
	size_t k = 0;

	for (size_t i = 0; i < a->n; i++)
		k += a->r[i].code >= 200 && a->r[i].code < 300;
	return k;
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

/* The error for a failed attempt (never a credential: neither curl's
 * message nor the server's reply holds one). */
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
	if (a->sent > 0 && count_accepted(a) == 0 && a->code >= 500)
		return bp_err_set(err, BP_EUNAVAIL, "SMTP server %s rejected "
				  "every recipient: %s", t->shown, a->last);
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

/* ---- delivery.log --------------------------------------------------------- */

static void log_addrs(sbuf *b, const attempt *a, int accepted)
{
	size_t k = 0;

	for (size_t i = 0; a && i < a->n; i++) {
		const rcpt_reply *r = &a->r[i];
		int ok = r->code >= 200 && r->code < 300;
		if (r->code == 0 || ok != accepted)
			continue;
		sb_puts(b, k++ ? "," : "");
		sb_puts(b, r->addr);
		if (!accepted)
			sb_printf(b, " (%s)", r->reply);
	}
	if (k == 0)
		sb_puts(b, "-");
}

/* Appends one line; tabs and line breaks in `error` become spaces. */
static void log_line(int fd, const attempt *a, const char *error)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	sbuf b = { 0 };

	if (fd < 0)
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	sb_printf(&b, "%s\t%s\t", stamp, error ? "failed" : "sent");
	log_addrs(&b, a, 1);
	sb_puts(&b, "\t");
	log_addrs(&b, a, 0);
	sb_puts(&b, "\t");
	for (const char *p = error ? error : "-"; *p; p++)
		sb_add(&b, strchr("\t\r\n", *p) ? " " : p, 1);
	sb_puts(&b, "\n");
	if (write(fd, b.s, b.len) != (ssize_t)b.len) {
		/* nothing more to do: the send itself is decided */
	}
	free(b.s);
}

/* ---- sending -------------------------------------------------------------- */

static long retry_base_ms(void)
{
	const char *v = getenv("BOARDPACK_RETRY_BASE_MS");
	char *end;
	long ms;

	if (!v || !*v)
		return 1000;
	ms = strtol(v, &end, 10);
	return (*end || ms < 0) ? 1000 : ms;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static char *rejected_report(const attempt *a)
{
	sbuf b = { 0 };

	if (count_accepted(a) == a->n)
		return NULL;
	sb_puts(&b, "rejected by the server: ");
	for (size_t i = 0, k = 0; i < a->n; i++) {
		const rcpt_reply *r = &a->r[i];
		if (r->code >= 200 && r->code < 300)
			continue;
		sb_printf(&b, "%s%s (%s)", k++ ? ", " : "", r->addr,
			  r->code ? r->reply : "no reply");
	}
	return sb_take(&b);
}

/* The attempts with their backoff.  Returns 0 when the message went out. */
static int deliver(const bp_email *e, const target *t, const message *m,
		   attempt *a, int logfd, bp_err *err)
{
	long delay = retry_base_ms();
	int tries;

	for (tries = 1;; tries++) {
		if (attempt_once(e, t, m, a) < 0)
			return bp_err_set(err, BP_ESOFTWARE, "cannot set up "
					  "libcurl for email");
		if (a->rc == CURLE_OK && count_accepted(a) > 0) {
			log_line(logfd, a, NULL);
			return 0;
		}
		if (a->rc == CURLE_OK)   /* should not happen: be safe */
			a->rc = CURLE_SEND_ERROR;
		attempt_error(a, t, tries, err);
		log_line(logfd, a, err->msg);
		if (!transient(a) || tries > BP_MAIL_RETRIES)
			return -1;
		pause_ms(delay < 60000 ? delay : 60000);
		delay *= 2;
	}
}

static int open_log(const char *dir, int *fd, bp_err *err)
{
	struct stat st;
	char *path;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return bp_err_set(err, BP_ENOINPUT, "snapshot folder '%s' does "
				  "not exist", dir);
	path = path_in(dir, "delivery.log");
	*fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		   0644);
	if (*fd < 0)
		bp_err_set(err, BP_ECANTCREAT, "cannot write '%s': %s", path,
			   strerror(errno));
	free(path);
	return *fd < 0 ? -1 : 0;
}

/* One reply slot per envelope recipient, in curl's RCPT order. */
static int init_replies(const bp_email *e, attempt *a, bp_err *err)
{
	size_t i = 0;

	a->n = e->n_to + e->n_cc + e->n_bcc;
	if (a->n == 0)
		return bp_err_set(err, BP_ECONFIG, "<email> has no recipient");
	a->r = bp_xcalloc(a->n, sizeof(*a->r));
	for (size_t k = 0; k < e->n_to; k++)
		a->r[i++].addr = e->to[k];
	for (size_t k = 0; k < e->n_cc; k++)
		a->r[i++].addr = e->cc[k];
	for (size_t k = 0; k < e->n_bcc; k++)
		a->r[i++].addr = e->bcc[k];
	return 0;
}

/* Everything that can fail before connecting. */
static int prepare(const bp_config *cfg, const char *dir, const char *period,
		   target *t, message *m, bp_err *err)
{
	const bp_email *e = cfg->email;

	if (check_url(e, t, err) < 0 || check_ca(e, err) < 0 ||
	    load_credentials(e, t, err) < 0)
		return -1;
	prepare_bodies(m, e, dir, period);
	prepare_headers(m, cfg, period);
	prepare_rcpt(m, e);
	return 0;
}

int bp_mail_send(const bp_config *cfg, const char *dir, const char *period,
		 char **report, bp_err *err)
{
	const bp_email *e = cfg ? cfg->email : NULL;
	target t = { .user = NULL };
	message m = { 0 };
	attempt a = { 0 };
	bp_err mine;
	int logfd = -1, rc = -1, tried = 0;

	if (!err)
		err = &mine;
	if (report)
		*report = NULL;
	if (!e)
		return bp_err_set(err, BP_ECONFIG, "the config has no <email>");
	if (open_log(dir, &logfd, err) < 0)
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		bp_err_set(err, BP_ESOFTWARE, "cannot start libcurl");
		goto out;
	}
	if (init_replies(e, &a, err) < 0 ||
	    prepare(cfg, dir, period, &t, &m, err) < 0)
		goto out;
	tried = 1;
	rc = deliver(e, &t, &m, &a, logfd, err);
	if (rc == 0 && report)
		*report = rejected_report(&a);
out:
	/* deliver() logs its attempts; what failed before one is logged here. */
	if (rc < 0 && !tried)
		log_line(logfd, NULL, err->msg);
	if (logfd >= 0)
		close(logfd);
	message_free(&m);
	bp_secret_free(t.user);
	bp_secret_free(t.password);
	free(a.r);
	return rc;
}

/* ---- was it sent? --------------------------------------------------------- */

int bp_mail_was_sent(const char *dir)
{
	char *path = dir ? path_in(dir, "delivery.log") : NULL;
	char *log = path ? slurp(path) : NULL, *line, *save = NULL, *tab;
	int sent = 0;

	for (line = log ? strtok_r(log, "\n", &save) : NULL; line && !sent;
	     line = strtok_r(NULL, "\n", &save))
		if ((tab = strchr(line, '\t')) && !strncmp(tab + 1, "sent\t", 5))
			sent = 1;
	free(path);
	free(log);
	return sent;
}

int bp_mail_period_sent(const char *output_dir, const char *period,
			const char *except)
{
	char *dir = bp_fs_join(output_dir, period);
	DIR *d = opendir(dir);
	struct dirent *e;
	int sent = 0;

	while (d && !sent && (e = readdir(d)) != NULL) {
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = bp_fs_join(dir, e->d_name);
		sent = strcmp(path, except) != 0 && bp_mail_was_sent(path);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	return sent;
}
