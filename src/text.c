/*
 * text.c - text from exports, made fit for metrics.xml and every output.
 *
 * One pass decodes a character at a time (what a well-formed UTF-8
 * sequence is follows RFC 3629's table), decides what it becomes, and
 * appends it while it fits; the last place where an ellipsis would still
 * fit is remembered, so a text found too long is cut there.
 */
#include "text.h"

#include <stdint.h>
#include <string.h>

#include "mem.h"

#define REPLACEMENT "\xEF\xBF\xBD"   /* U+FFFD */
#define ELLIPSIS "\xE2\x80\xA6"      /* U+2026 */

/* The length of the well-formed UTF-8 sequence at s (n bytes left), its
 * code point in *cp; 0 when the byte at s starts none. */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		*cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		*cp = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;      /* overlong */
		else if (c == 0xED)
			hi = 0x9F;      /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		*cp = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;      /* overlong */
		else if (c == 0xF4)
			hi = 0x8F;      /* beyond U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 1; i < len; i++) {
		if (i > 1 && (s[i] & 0xC0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	return len;
}

/* What the character at s becomes: its own bytes (*rep NULL) or a
 * replacement written into rep (3 bytes).  Returns the input bytes it
 * takes. */
static size_t next_char(const unsigned char *s, size_t n, char rep[4],
			const char **out, size_t *out_len)
{
	uint32_t cp;
	size_t len = decode(s, n, &cp);

	if (len == 0) {
		*out = REPLACEMENT;
		*out_len = 3;
		return 1;
	}
	if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F) {
		/* U+2400 + c, DEL as U+2421: E2 90 80+c */
		uint32_t pic = cp == 0x7F ? 0x2421 : 0x2400 + cp;

		rep[0] = (char)0xE2;
		rep[1] = (char)(0x80 | ((pic >> 6) & 0x3F));
		rep[2] = (char)(0x80 | (pic & 0x3F));
		*out = rep;
		*out_len = 3;
		return 1;
	}
	if ((cp >= 0x80 && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF) {
		*out = REPLACEMENT;
		*out_len = 3;
		return len;
	}
	*out = (const char *)s;
	*out_len = len;
	return len;
}

size_t bp_text_clean(char *out, size_t size, const char *s, size_t n,
		     size_t max, unsigned *flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, fits = 0;
	unsigned fl = 0;

	if (max > size - 1)
		max = size - 1;
	while (i < n) {
		char rep[4];
		const char *c;
		size_t clen, take = next_char(p + i, n - i, rep, &c, &clen);

		if (c != (const char *)p + i)
			fl |= BP_TEXT_FIXED;
		if (o + clen > max) {
			/* Too long: back to the last place "..." fits. */
			memcpy(out + fits, ELLIPSIS, 3);
			o = fits + 3;
			fl |= BP_TEXT_CUT;
			break;
		}
		memcpy(out + o, c, clen);
		o += clen;
		i += take;
		if (o + 3 <= max)
			fits = o;
	}
	out[o] = '\0';
	if (flags)
		*flags = fl;
	return o;
}

char *bp_text_dup(const char *s, size_t n, size_t max, unsigned *flags)
{
	/* Each input byte becomes at most 3 output bytes. */
	size_t most = n <= (((size_t)-1) - 4) / 3 ? 3 * n : ((size_t)-1) - 4;
	size_t cap = (max < most ? max : most) + 1;
	char *out = bp_xmalloc(cap);

	bp_text_clean(out, cap, s, n, cap - 1, flags);
	return out;
}

int bp_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		char rep[4];
		const char *c;
		size_t clen, take;

		if (p[i] >= 0x20 && p[i] < 0x7F) {
			i++;
			continue;
		}
		take = next_char(p + i, n - i, rep, &c, &clen);
		if (c != (const char *)p + i)
			return 0;
		i += take;
	}
	return 1;
}
