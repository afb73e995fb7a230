/*
 * format.c - numbers, money, percentages and months for people to read.
 *
 * No locale on purpose: a report must read the same whatever the cron
 * host's LC_* say.
 */
#include "format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *buf, size_t size)
{
	if (size)
		buf[0] = '\0';
	return -1;
}

/* Rounds |v| to `decimals` and writes "1,234,567[.dd]" with the sign. */
static int grouped(double v, int decimals, const char *prefix,
		   const char *suffix, char *buf, size_t size)
{
	char digits[64], out[128];
	double scale, a;
	size_t len, intlen, o = 0, i;
	int neg;

	if (isnan(v) || isinf(v) || decimals < 0 || decimals > 6)
		return fail(buf, size);
	scale = pow(10.0, decimals);
	a = round(fabs(v) * scale) / scale;
	if (a >= 1e18)
		return fail(buf, size);
	neg = v < 0 && a > 0;
	snprintf(digits, sizeof(digits), "%.*f", decimals, a);
	len = strlen(digits);
	intlen = decimals ? len - (size_t)decimals - 1 : len;
	if (neg)
		out[o++] = '-';
	o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", prefix);
	for (i = 0; i < intlen; i++) {
		if (i && (intlen - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	snprintf(out + o, sizeof(out) - o, "%s%s", digits + intlen, suffix);
	return snprintf(buf, size, "%s", out);
}

int bp_format_int(double v, char *buf, size_t size)
{
	return grouped(v, 0, "", "", buf, size);
}

int bp_format_num(double v, int decimals, char *buf, size_t size)
{
	return grouped(v, decimals, "", "", buf, size);
}

/* Symbol and decimals of the currencies a report is likely to use. */
static const char *symbol_of(const char *cur, int *decimals)
{
	static const struct { const char *code, *sym; int dec; } t[] = {
		{"KRW", "\xe2\x82\xa9", 0}, {"JPY", "\xc2\xa5", 0},
		{"USD", "$", 2}, {"EUR", "\xe2\x82\xac", 2},
		{"GBP", "\xc2\xa3", 2},
	};
	size_t i;

	*decimals = 2;
	for (i = 0; cur && i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(cur, t[i].code) == 0) {
			*decimals = t[i].dec;
			return t[i].sym;
		}
	}
	return NULL;
}

int bp_format_money(double v, const char *currency, char *buf, size_t size)
{
	char suffix[16];
	int dec;
	const char *sym = symbol_of(currency, &dec);

	if (sym)
		return grouped(v, dec, sym, "", buf, size);
	snprintf(suffix, sizeof(suffix), " %.3s", currency ? currency : "");
	return grouped(v, dec, "", currency && *currency ? suffix : "", buf,
		       size);
}

int bp_format_money_short(double v, const char *currency, char *buf,
			  size_t size)
{
	static const struct { double div; const char *unit; } u[] = {
		{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"},
	};
	char suffix[24];
	const char *sym;
	int dec;
	size_t i;

	if (isnan(v) || isinf(v))
		return fail(buf, size);
	sym = symbol_of(currency, &dec);
	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		/* 999,950 rounds to 1,000.0K: promote it to 1.0M instead */
		if (fabs(v) >= u[i].div * 0.99995)
			break;
	}
	if (i == sizeof(u) / sizeof(u[0]))
		return grouped(v, 0, sym ? sym : "", "", buf, size);
	if (sym)
		snprintf(suffix, sizeof(suffix), "%s", u[i].unit);
	else
		snprintf(suffix, sizeof(suffix), "%s %.3s", u[i].unit,
			 currency ? currency : "");
	return grouped(v / u[i].div, 1, sym ? sym : "", suffix, buf, size);
}

int bp_format_pct(double fraction, int decimals, char *buf, size_t size)
{
	return grouped(fraction * 100.0, decimals, "", "%", buf, size);
}

static int signed_num(double d, int decimals, const char *suffix, char *buf,
		      size_t size)
{
	char tmp[64];
	double scale = pow(10.0, decimals);
	double r = round(fabs(d) * scale);

	if (grouped(d, decimals, "", suffix, tmp, sizeof(tmp)) < 0)
		return fail(buf, size);
	if (r == 0 || d < 0)
		return snprintf(buf, size, "%s", tmp);
	return snprintf(buf, size, "+%s", tmp);
}

int bp_format_delta(double a, double b, char *buf, size_t size)
{
	if (isnan(a) || isnan(b) || b == 0)
		return fail(buf, size);
	return signed_num((a - b) / fabs(b) * 100.0, 1, "%", buf, size);
}

int bp_format_delta_pt(double a, double b, char *buf, size_t size)
{
	if (isnan(a) || isnan(b))
		return fail(buf, size);
	return signed_num((a - b) * 100.0, 1, " pt", buf, size);
}

static const char *const month_en[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};

static int is_ko(const char *language)
{
	return language && strncmp(language, "ko", 2) == 0;
}

/* Chinese (zh, zh-TW, zh-CN): months and dates read the same in
 * traditional and simplified script. */
static int is_zh(const char *language)
{
	return language && strncmp(language, "zh", 2) == 0;
}

/* Reads exactly n digits; -1 when any is not a digit. */
static int digits_at(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int parse_month(const char *s, int *y, int *m)
{
	if (!s || strlen(s) < 7 || s[4] != '-')
		return -1;
	*y = digits_at(s, 4);
	*m = digits_at(s + 5, 2);
	return *y < 0 || *m < 1 || *m > 12 ? -1 : 0;
}

int bp_format_month(const char *yyyymm, const char *language, int abbrev,
		    char *buf, size_t size)
{
	int y, m;

	if (parse_month(yyyymm, &y, &m) < 0 || (yyyymm[7] && yyyymm[7] != '-'))
		return fail(buf, size);
	if (abbrev == 2)
		return is_ko(language) ? snprintf(buf, size, "%d\xec\x9b\x94", m)
		       : is_zh(language) ? snprintf(buf, size, "%d\xe6\x9c\x88", m)
		       : snprintf(buf, size, "%.3s", month_en[m - 1]);
	if (is_ko(language))
		return snprintf(buf, size, "%d\xeb\x85\x84 %d\xec\x9b\x94", y, m);
	if (is_zh(language))
		return snprintf(buf, size, "%d\xe5\xb9\xb4%d\xe6\x9c\x88", y, m);
	if (abbrev)
		return snprintf(buf, size, "%.3s %d", month_en[m - 1], y);
	return snprintf(buf, size, "%s %d", month_en[m - 1], y);
}

/* Writes the offset part of a timestamp ("" when none, " UTC", " +09:00"). */
static int offset_text(const char *s, char *out, size_t size)
{
	if (*s == '\0') {
		out[0] = '\0';
		return 0;
	}
	if (strcmp(s, "Z") == 0)
		return snprintf(out, size, " UTC");
	if ((s[0] == '+' || s[0] == '-') && strlen(s) == 6 && s[3] == ':' &&
	    digits_at(s + 1, 2) >= 0 && digits_at(s + 4, 2) >= 0)
		return snprintf(out, size, " %s", s);
	return -1;
}

int bp_format_date(const char *iso, const char *language, char *buf,
		   size_t size)
{
	char time[8] = "", off[16] = "";
	int y, m, d;
	const char *rest;

	if (parse_month(iso, &y, &m) < 0 || iso[7] != '-')
		return fail(buf, size);
	d = digits_at(iso + 8, 2);
	if (d < 1 || d > 31)
		return fail(buf, size);
	rest = iso + 10;
	if (*rest == 'T' || *rest == ' ') {
		if (digits_at(rest + 1, 2) < 0 || rest[3] != ':' ||
		    digits_at(rest + 4, 2) < 0)
			return fail(buf, size);
		snprintf(time, sizeof(time), " %.5s", rest + 1);
		rest += 6;
		if (rest[0] == ':' && digits_at(rest + 1, 2) >= 0)
			rest += 3;
		if (offset_text(rest, off, sizeof(off)) < 0)
			return fail(buf, size);
	} else if (*rest) {
		return fail(buf, size);
	}
	if (is_ko(language))
		return snprintf(buf, size,
				"%d\xeb\x85\x84 %d\xec\x9b\x94 %d\xec\x9d\xbc%s%s",
				y, m, d, time, off);
	if (is_zh(language))
		return snprintf(buf, size,
				"%d\xe5\xb9\xb4%d\xe6\x9c\x88%d\xe6\x97\xa5%s%s",
				y, m, d, time, off);
	return snprintf(buf, size, "%d %s %d%s%s", d, month_en[m - 1], y, time,
			off);
}
