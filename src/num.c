/*
 * num.c - numbers as exports write them.
 *
 * Every parser strips what surrounds the number (blanks, sign, currency,
 * percent) and hands the rest to one routine, split_number(), which decides
 * which of ',' and '.' is the decimal separator and returns the integer and
 * fraction digits.  Plain digits skip all of that.
 */
#include "num.h"

#include <stdio.h>
#include <string.h>

/* A number's core text (digits and separators) and which separator, if
 * any, is the decimal one. */
typedef struct digits {
	const char *s;  /* the core text: digits and separators */
	size_t n;
	char dec;       /* the decimal separator, '\0' when none */
	size_t dec_at;  /* its offset in s */
} digits;

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_blank_at(const char *s, size_t n, size_t *len)
{
	if (n >= 1 && (s[0] == ' ' || s[0] == '\t')) {
		*len = 1;
		return 1;
	}
	/* U+00A0 no-break space, as spreadsheets write it. */
	if (n >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0) {
		*len = 2;
		return 1;
	}
	return 0;
}

static void trim(const char **s, size_t *n)
{
	size_t k;

	while (*n && is_blank_at(*s, *n, &k)) {
		*s += k;
		*n -= k;
	}
	while (*n) {
		if ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')
			--*n;
		else if (*n >= 2 && (unsigned char)(*s)[*n - 2] == 0xC2 &&
			 (unsigned char)(*s)[*n - 1] == 0xA0)
			*n -= 2;
		else
			break;
	}
}

static int equals_nocase(const char *s, size_t n, const char *word)
{
	size_t i;

	if (strlen(word) != n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return 1;
}

int bp_num_missing(const char *s, size_t n)
{
	trim(&s, &n);
	return n == 0 || equals_nocase(s, n, "--") || equals_nocase(s, n, "-") ||
	       equals_nocase(s, n, "n/a") || equals_nocase(s, n, "(not set)");
}

/* Checks grouping: after the first group, groups of 2 or 3 digits (3 and
 * 2 cover Western and Indian grouping), the last one exactly 3. */
static int groups_ok(const char *s, size_t n, char sep)
{
	size_t i, run = 0;
	int seen = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != sep) {
			run++;
			continue;
		}
		if (run == 0 || (seen && run != 2 && run != 3))
			return 0;
		seen = 1;
		run = 0;
	}
	return !seen || run == 3;
}

static size_t count_char(const char *s, size_t n, char c, size_t *last)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == c) {
			k++;
			*last = i;
		}
	}
	return k;
}

/* Decides the separators of a core made of digits, ',' and '.'.
 * Returns 0, or -1 when the core is not a number. */
static int split_number(const char *s, size_t n, digits *d)
{
	size_t i, lc = 0, ld = 0, nc, nd, digits_seen = 0;
	char grp = '\0';

	for (i = 0; i < n; i++) {
		if (is_digit(s[i]))
			digits_seen++;
		else if (s[i] != ',' && s[i] != '.')
			return -1;
	}
	if (!digits_seen)
		return -1;
	nc = count_char(s, n, ',', &lc);
	nd = count_char(s, n, '.', &ld);
	d->s = s;
	d->n = n;
	d->dec = '\0';
	if (nc && nd) {
		d->dec = lc > ld ? ',' : '.';
		grp = lc > ld ? '.' : ',';
	} else if (nc == 1) {
		/* The rule from num.h: ",ddd" at the end is a thousands
		 * separator, any other lone comma a decimal comma. */
		if (n - lc - 1 == 3 && is_digit(s[n - 1]) && is_digit(s[n - 2]) &&
		    is_digit(s[n - 3]))
			grp = ',';
		else
			d->dec = ',';
	} else if (nc > 1) {
		grp = ',';
	} else if (nd == 1) {
		d->dec = '.';
	} else if (nd > 1) {
		grp = '.';
	}
	if (d->dec) {
		d->dec_at = d->dec == ',' ? lc : ld;
		if (count_char(s, n, d->dec, &i) != 1 || d->dec_at + 1 == n)
			return -1;
	} else {
		d->dec_at = n;
	}
	return grp && !groups_ok(s, d->dec_at, grp) ? -1 : 0;
}

/* Accumulates the integer digits of d; -1 on overflow. */
static int int_part(const digits *d, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; i < d->dec_at; i++) {
		if (!is_digit(d->s[i]))
			continue;
		if (v > (INT64_MAX - (d->s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (d->s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Plain digits, no sign, no separators, at most 18 of them: the common
 * case, and one that cannot overflow. */
static int plain_digits(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 18)
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

static int strip_sign(const char **s, size_t *n)
{
	if (*n && (**s == '-' || **s == '+')) {
		int neg = **s == '-';

		++*s;
		--*n;
		trim(s, n);
		return neg;
	}
	/* U+2212 minus sign */
	if (*n >= 3 && !memcmp(*s, "\xE2\x88\x92", 3)) {
		*s += 3;
		*n -= 3;
		trim(s, n);
		return 1;
	}
	return 0;
}

static const char *const symbols[] = {
	"$", "\xE2\x82\xAC" /* € */, "\xC2\xA3" /* £ */, "\xC2\xA5" /* ¥ */,
	"\xE2\x82\xA9" /* ₩ */, "\xEF\xBF\xA6" /* ￦ */, "\xEF\xBF\xA5" /* ￥ */,
	"\xE2\x82\xB9" /* ₹ */, "\xE2\x82\xBD" /* ₽ */, "\xE2\x82\xBA" /* ₺ */,
	"\xE2\x82\xAB" /* ₫ */, "\xE2\x82\xB1" /* ₱ */, "\xE2\x82\xAA" /* ₪ */,
	"\xE0\xB8\xBF" /* ฿ */, "\xE5\x86\x86" /* 円 */, "\xE5\x85\x83" /* 元 */,
};

static int is_upper_alpha(char c)
{
	return c >= 'A' && c <= 'Z';
}

/* Length of a currency mark at the start of s: a symbol, up to two
 * letters and '$' ("US$", "R$"), or a three-letter code not followed by a
 * letter.  0 when there is none. */
static size_t currency_prefix(const char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		k = strlen(symbols[i]);
		if (n >= k && !memcmp(s, symbols[i], k))
			return k;
	}
	for (k = 0; k < n && k < 3 && is_upper_alpha(s[k]); k++)
		;
	if (k >= 1 && k <= 2 && k < n && s[k] == '$')
		return k + 1;
	if (k == 3 && (n == 3 || !is_upper_alpha(s[3])))
		return 3;
	return 0;
}

static size_t currency_suffix(const char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		k = strlen(symbols[i]);
		if (n >= k && !memcmp(s + n - k, symbols[i], k))
			return k;
	}
	if (n >= 3 && is_upper_alpha(s[n - 1]) && is_upper_alpha(s[n - 2]) &&
	    is_upper_alpha(s[n - 3]) && (n == 3 || !is_upper_alpha(s[n - 4])))
		return 3;
	return 0;
}

/* Strips sign, parentheses and currency around a money amount; returns
 * 1 for a negative amount, 0 otherwise, -1 when the decorations are not
 * well formed. */
static int strip_money(const char **s, size_t *n, char mark[8])
{
	int neg = 0;
	size_t k;

	mark[0] = '\0';
	if (*n >= 2 && **s == '(' && (*s)[*n - 1] == ')') {
		neg = 1;
		++*s;
		*n -= 2;
		trim(s, n);
	}
	neg ^= strip_sign(s, n);
	k = currency_prefix(*s, *n);
	if (k) {
		snprintf(mark, 8, "%.*s", (int)(k < 7 ? k : 7), *s);
		*s += k;
		*n -= k;
		trim(s, n);
		neg ^= strip_sign(s, n);
	} else {
		k = currency_suffix(*s, *n);
		if (k)
			snprintf(mark, 8, "%.*s", (int)(k < 7 ? k : 7), *s + *n - k);
		*n -= k;
		trim(s, n);
	}
	return neg;
}

/* The fraction digits as 1/10000 units, rounding half away from zero on
 * the fifth digit. */
static int64_t frac_units(const digits *d)
{
	int64_t v = 0;
	size_t i, k = 0;

	for (i = d->dec_at + 1; i < d->n && k < 4; i++, k++)
		v = v * 10 + (d->s[i] - '0');
	for (; k < 4; k++)
		v *= 10;
	if (i < d->n && d->s[i] >= '5')
		v++;
	return v;
}

int bp_num_money_mark(const char *s, size_t n, bp_money *out, char mark[8])
{
	int64_t ip;

	if (plain_digits(s, n, &ip)) {
		mark[0] = '\0';
		if (ip > BP_MONEY_MAX / BP_MONEY_SCALE)
			return BP_NUM_RANGE;
		*out = ip * BP_MONEY_SCALE;
		return 1;
	}
	return bp_num_money_general(s, n, out, mark);
}

int bp_num_money_general(const char *s, size_t n, bp_money *out, char mark[8])
{
	digits d;
	int64_t ip, fp;
	int neg;

	mark[0] = '\0';
	if (bp_num_missing(s, n))
		return 0;
	trim(&s, &n);
	neg = strip_money(&s, &n, mark);
	if (split_number(s, n, &d) < 0)
		return -1;
	/* Digits past 64 bits are a number too large, not text. */
	if (int_part(&d, &ip) < 0 || ip > BP_MONEY_MAX / BP_MONEY_SCALE)
		return BP_NUM_RANGE;
	fp = d.dec ? frac_units(&d) : 0;
	if (ip * BP_MONEY_SCALE + fp > BP_MONEY_MAX)
		return BP_NUM_RANGE;
	*out = ip * BP_MONEY_SCALE + fp;
	if (neg)
		*out = -*out;
	return 1;
}

int bp_num_money(const char *s, size_t n, bp_money *out)
{
	char mark[8];

	return bp_num_money_mark(s, n, out, mark);
}

/* Symbols and the ISO 4217 codes each may stand for. */
static const struct {
	const char *symbol, *codes;
} symbol_codes[] = {
	{ "$", "USD CAD AUD NZD SGD HKD TWD MXN" },
	{ "US$", "USD" }, { "C$", "CAD" }, { "A$", "AUD" }, { "NZ$", "NZD" },
	{ "S$", "SGD" }, { "HK$", "HKD" }, { "NT$", "TWD" }, { "R$", "BRL" },
	{ "\xE2\x82\xAC", "EUR" }, { "\xC2\xA3", "GBP" },
	{ "\xC2\xA5", "JPY CNY" }, { "\xEF\xBF\xA5", "JPY CNY" },
	{ "\xE5\x86\x86", "JPY" }, { "\xE5\x85\x83", "CNY" },
	{ "\xE2\x82\xA9", "KRW" }, { "\xEF\xBF\xA6", "KRW" },
	{ "\xE2\x82\xB9", "INR" }, { "\xE2\x82\xBD", "RUB" },
	{ "\xE2\x82\xBA", "TRY" }, { "\xE2\x82\xAB", "VND" },
	{ "\xE2\x82\xB1", "PHP" }, { "\xE2\x82\xAA", "ILS" },
	{ "\xE0\xB8\xBF", "THB" },
};

int bp_num_currency_ok(const char *mark, const char *code)
{
	size_t i, n = strlen(code);

	if (!mark[0] || strcmp(mark, code) == 0)
		return 1;
	for (i = 0; i < sizeof(symbol_codes) / sizeof(symbol_codes[0]); i++) {
		const char *c = symbol_codes[i].codes;

		if (strcmp(mark, symbol_codes[i].symbol) != 0)
			continue;
		for (; *c; c += c[n] ? n + 1 : n)
			if (strncmp(c, code, n) == 0 && (c[n] == ' ' || !c[n]))
				return 1;
		return 0;
	}
	return 0;
}

int bp_num_count(const char *s, size_t n, int64_t *out)
{
	if (plain_digits(s, n, out))
		return 1;
	return bp_num_count_general(s, n, out);
}

int bp_num_count_general(const char *s, size_t n, int64_t *out)
{
	digits d;
	int64_t v;
	int neg;

	if (bp_num_missing(s, n))
		return 0;
	trim(&s, &n);
	neg = strip_sign(&s, &n);
	if (split_number(s, n, &d) < 0 || d.dec || int_part(&d, &v) < 0)
		return -1;
	*out = neg ? -v : v;
	return 1;
}

/* The digits of d divided by 10^shift, as a double: at most 15
 * significant digits (exact in a double) divided by an exact power of ten,
 * so "4.37%" gives the double nearest 0.0437. */
static double to_double(const digits *d, size_t shift)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
				     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
				     1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
				     1e22};
	double m = 0;
	size_t i, fd = shift, sig = 0, up = 0;

	for (i = 0; i < d->n; i++) {
		if (!is_digit(d->s[i]))
			continue;
		if (sig < 15) {
			m = m * 10 + (d->s[i] - '0');
			sig += m > 0;
			fd += i > d->dec_at;
		} else if (i < d->dec_at) {
			up++;
		}
	}
	for (; up > 0; up--)
		m *= 10;
	for (; fd > 22; fd--)
		m /= 10;
	return m / p10[fd];
}

int bp_num_ratio(const char *s, size_t n, double *out)
{
	digits d;
	int neg, pct = 0;

	if (bp_num_missing(s, n))
		return 0;
	trim(&s, &n);
	if (n && (*s == '<' || *s == '>')) {
		s++;
		n--;
		if (n && *s == '=')
			s++, n--;
		trim(&s, &n);
	}
	if (n && s[n - 1] == '%') {
		pct = 1;
		n--;
		trim(&s, &n);
	}
	neg = strip_sign(&s, &n);
	if (split_number(s, n, &d) < 0)
		return -1;
	*out = to_double(&d, pct ? 2 : 0);
	if (neg)
		*out = -*out;
	return 1;
}

int bp_num_format_money(bp_money m, char *buf, size_t size)
{
	uint64_t u = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;
	uint64_t cents = u / 100 + (u % 100 >= 50);

	return snprintf(buf, size, "%s%llu.%02llu", m < 0 && cents ? "-" : "",
			(unsigned long long)(cents / 100),
			(unsigned long long)(cents % 100));
}
