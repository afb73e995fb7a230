/*
 * text.h - text from exports, made fit for metrics.xml and every output.
 *
 * An export holds whatever bytes its users typed and its tools wrote: a
 * control character pasted into a campaign name, a Latin-1 byte in a
 * UTF-8 file, a 5 MB cell.  XML 1.0 admits none of the first two, and a
 * document holding one is not well-formed: no browser, no later run's
 * drift and no --from-snapshot could read it.  So every piece of text
 * that comes from data passes through bp_text_clean() before it is kept
 * for an output:
 *
 *   - a byte that does not start a well-formed UTF-8 sequence (a stray
 *     continuation byte, an overlong form, a surrogate, beyond U+10FFFF,
 *     a sequence cut short) becomes U+FFFD;
 *   - a C0 control character other than tab, line feed and carriage
 *     return, and DEL, becomes its visible symbol from the Control
 *     Pictures block (U+0001 -> U+2401, DEL -> U+2421), so what was there
 *     can still be seen; C1 controls (U+0080..U+009F) and the
 *     noncharacters U+FFFE and U+FFFF become U+FFFD;
 *   - text longer than `max` bytes (once cleaned) is cut at a character
 *     boundary and ends in "..." (U+2026), `max` bytes in all.
 *
 * Pure functions, no allocation except bp_text_dup's result.
 */
#ifndef BP_TEXT_H
#define BP_TEXT_H

#include <stddef.h>

/* The most bytes of one value boardpack keeps or lists (a source value
 * no rule matched, a header, a label), the ellipsis included. */
#define BP_TEXT_MAX 256

/* No limit on the length: for text already cut, or that must not be. */
#define BP_TEXT_UNLIMITED ((size_t)-1)

/* What cleaning did, in *flags. */
enum {
	BP_TEXT_FIXED = 1 << 0,   /* a byte or a character was replaced */
	BP_TEXT_CUT = 1 << 1      /* the text was cut to `max` bytes */
};

/* Writes s[0..n) cleaned as above into out, at most `max` bytes plus a
 * NUL; `size` must be at least max + 1 (and max at least 3).  Returns the
 * length written; sets *flags (may be NULL) to the BP_TEXT_* that apply,
 * 0 when out is s as it was. */
size_t bp_text_clean(char *out, size_t size, const char *s, size_t n,
		     size_t max, unsigned *flags);

/* bp_text_clean into a new string, which the caller frees; `max` may be
 * BP_TEXT_UNLIMITED. */
char *bp_text_dup(const char *s, size_t n, size_t max, unsigned *flags);

/* 1 when s[0..n) is valid as it is (bp_text_clean would change nothing,
 * length aside), else 0. */
int bp_text_ok(const char *s, size_t n);

#endif
