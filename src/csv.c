/*
 * csv.c - the streaming reader for exports.
 *
 * Bytes are decoded (UTF-16 to UTF-8 when there is a BOM for it) into one
 * buffer that holds at least the current record.  A record is read in two
 * passes: the first only looks (finds field bounds, counts line breaks) and
 * can be restarted from scratch whenever the data runs out, because it has
 * changed nothing; the second unquotes and NUL-terminates in place.  So
 * refilling never has to resume a half-parsed record.
 *
 * The first pass finds a record's fields 64 bytes at a time (walk_fields):
 * a bit mask per byte class, quotes turned into "inside a quoted field" by
 * a prefix XOR; each delimiter outside quotes ends a field, the first line
 * end outside quotes the record.  That reading of the quotes is the
 * general one only while every quote opens at the start of a field or
 * closes before a delimiter, line end or doubled quote; where one does not
 * (a quote inside an unquoted field, a character after a closing quote)
 * or fewer than 65 bytes are left, the fields are read the general way,
 * one by one (jumping from one delimiter, quote or line end to the next
 * sixteen bytes at a time where SSE2 is available), from the last one the
 * masks were sure of.  bp_csv_set_general keeps a reader to that way, the
 * reference the tests compare the masks with.
 *
 * A caller that needs only some columns says so (bp_csv_project): the
 * fields between them are then passed by counting delimiters, without
 * being stored, copied or unquoted.  So a projection changes which fields
 * are stored, never how a record is split.
 */
#include "csv.h"

#include "log.h"
#include "mem.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define HAVE_SSE2 1
#endif
/* Compiled for AVX2 and used where the CPU has it (skip_fields). */
#if defined(HAVE_SSE2) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX2 1
#endif

/* For the record loops, each of which is compiled twice (with and
 * without a projection; for AVX2 and not): a call per field would cost
 * more than the field. */
#ifdef __GNUC__
#define ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define ALWAYS_INLINE inline
#endif

#define INIT_CAP (1u << 20)
/* Memory readers serve tests and the fuzz target: a tiny buffer makes
 * small inputs cross buffer boundaries the way big files do. */
#define MEM_CAP 64u
#define RAW_CAP (256u << 10)
#define MAX_RECORD ((size_t)64 << 20)
/* Vector loads may read this far past the data; the slack is zeroed. */
#define PAD 32
#define SKIP_REST ((size_t)-1)
/* Fewer fields than this are cheaper to pass one by one than by blocks. */
#define MIN_SKIP 4

enum { ENC_UTF8, ENC_UTF16LE, ENC_UTF16BE };
/* skip_fields(), in the version for this CPU. */
typedef size_t skip_fn(const bp_csv *, char **, size_t, long *);
/* walk_fields(), in the version for this CPU and projection. */
typedef size_t walk_fn(bp_csv *, char **, size_t, long *);
enum { DEC_OK, DEC_TRUNC, DEC_SURR };
enum { Q_QUOTED = 1, Q_DOUBLED = 2 };
/* Step results.  NEED: the data ran out before the step could finish. */
enum { ST_ERR = -1, ST_NEED = 0, ST_DONE = 1, ST_END = 2 };

struct bp_csv {
	int fd;
	const unsigned char *mem;
	size_t mem_size, mem_off;
	char *name;
	int enc;

	char *buf;
	size_t cap;
	size_t pos;         /* first unconsumed byte */
	size_t end;         /* end of decoded data */
	int eof;            /* no more decoded bytes will come */
	int src_eof;
	size_t max_rec;

	unsigned char *raw; /* undecoded UTF-16 */
	size_t raw_beg, raw_end;
	int dec_err;
	unsigned dec_unit;

	char delim;
	long line;          /* line of the byte at pos */
	size_t rec;         /* start of the record last returned */
	long rec_line;
	int rec_eol;        /* the record last found ended with a line end */

	bp_field *f;        /* the fields */
	unsigned char *fq;  /* per field: Q_QUOTED, Q_DOUBLED */
	size_t fcap, nf;

	/* The projection (NULL: every field is kept).  run[i], i < nrun: how
	 * many fields from i on are skipped before the next kept one (0 when
	 * i is kept, SKIP_REST when none is and the header has MIN_SKIP or
	 * more left); fields from nrun on are all skipped.  Runs of MIN_SKIP
	 * or more are passed by skip_fields() (`blocks` says whether there is
	 * one), shorter ones are read the general way and blanked afterwards.
	 * kept, blank: those columns in order. */
	size_t *run;
	size_t nrun;
	size_t *kept, *blank;
	size_t nkept, nblank;
	int blocks;
	skip_fn *skip;      /* pick_skip() */
	walk_fn *walk;      /* pick_walk(); NULL: every field the general way */
	size_t rec_len;     /* bytes of the record found by the first pass */
	long rec_breaks;    /* line breaks inside it, terminator included */

	unsigned long long nbytes;
	unsigned long long stop;  /* read the file up to this offset (0: all) */
	unsigned long long base;  /* the file offset the reader started at */

	bp_csv_comment_fn on_comment; /* sees each '#' line before the header */
	void *comment_ctx;
	double *read_cpu;   /* bp_csv_time_reads */
};


/* Reads up to n bytes of the source: the count, 0 at its end, -1 on error. */
static ssize_t read_src(bp_csv *r, void *dst, size_t n, bp_err *err)
{
	ssize_t k;

	if (r->fd < 0) {
		size_t left = r->mem_size - r->mem_off;

		if (n > left)
			n = left;
		if (n)
			memcpy(dst, r->mem + r->mem_off, n);
		r->mem_off += n;
		r->nbytes += n;
		return (ssize_t)n;
	}
	if (r->stop && n > r->stop - (r->base + r->nbytes))
		n = (size_t)(r->stop - (r->base + r->nbytes));
	if (n == 0)
		return 0;
	if (r->read_cpu)
		*r->read_cpu -= bp_thread_cpu();
	do
		k = read(r->fd, dst, n);
	while (k < 0 && errno == EINTR);
	if (r->read_cpu)
		*r->read_cpu += bp_thread_cpu();
	if (k < 0)
		return bp_err_set(err, BP_ENOINPUT, "cannot read '%s': %s",
				  r->name, strerror(errno));
	r->nbytes += (unsigned long long)k;
	return k;
}

/* Reads until n bytes or the end of the source (which sets src_eof), so
 * a record is never rescanned for a handful of new bytes. */
static ssize_t read_full(bp_csv *r, void *dst, size_t n, bp_err *err)
{
	size_t got = 0;

	while (got < n && !r->src_eof) {
		ssize_t k = read_src(r, (char *)dst + got, n - got, err);

		if (k < 0)
			return -1;
		if (k == 0)
			r->src_eof = 1;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Where `at` is, counting from the start of the unconsumed data. */
static void locate(const bp_csv *r, const char *at, long *line, long *col)
{
	const char *p = r->buf + r->pos;

	*line = r->line;
	*col = 1;
	for (; p < at; p++) {
		if (*p == '\n' || (*p == '\r' && (p + 1 >= at || p[1] != '\n'))) {
			++*line;
			*col = 1;
		} else if (*p != '\r' && ((unsigned char)*p & 0xC0) != 0x80) {
			++*col;
		}
	}
}

static int data_error(const bp_csv *r, const char *at, bp_err *err,
		      const char *msg)
{
	long line, col;

	locate(r, at, &line, &col);
	return bp_err_at(err, BP_EDATA, r->name, line, col, "%s", msg);
}

static int too_large(const bp_csv *r, bp_err *err)
{
	if (r->max_rec % ((size_t)1 << 20) == 0)
		return bp_err_at(err, BP_EDATA, r->name, r->line, 1,
				 "record is larger than %zu MiB",
				 r->max_rec >> 20);
	return bp_err_at(err, BP_EDATA, r->name, r->line, 1,
			 "record is larger than %zu bytes", r->max_rec);
}

static int grow(bp_csv *r, bp_err *err)
{
	size_t keep = r->end - r->pos, ncap;
	char *nb;

	if (keep > r->max_rec)
		return too_large(r, err);
	ncap = r->cap * 2;
	if (ncap > r->max_rec + 4)
		ncap = r->max_rec + 4;
	assert(ncap > r->cap);
	nb = bp_xrealloc(r->buf, ncap + PAD);
	memset(nb + r->cap + PAD, 0, ncap - r->cap);
	r->buf = nb;
	r->cap = ncap;
	return 0;
}

static int fill_utf8(bp_csv *r, bp_err *err)
{
	ssize_t k = read_full(r, r->buf + r->end, r->cap - r->end, err);

	if (k < 0)
		return -1;
	r->end += (size_t)k;
	r->eof = r->src_eof;
	return 0;
}

static char *put_utf8(char *o, unsigned long c)
{
	if (c < 0x80) {
		*o++ = (char)c;
	} else if (c < 0x800) {
		*o++ = (char)(0xC0 | c >> 6);
		*o++ = (char)(0x80 | (c & 0x3F));
	} else if (c < 0x10000) {
		*o++ = (char)(0xE0 | c >> 12);
		*o++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*o++ = (char)(0x80 | (c & 0x3F));
	} else {
		*o++ = (char)(0xF0 | c >> 18);
		*o++ = (char)(0x80 | ((c >> 12) & 0x3F));
		*o++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*o++ = (char)(0x80 | (c & 0x3F));
	}
	return o;
}

static unsigned unit16(const bp_csv *r, const unsigned char *s)
{
	if (r->enc == ENC_UTF16LE)
		return (unsigned)s[0] | (unsigned)s[1] << 8;
	return (unsigned)s[0] << 8 | (unsigned)s[1];
}

/* Decodes whole code points from raw into the buffer.  Stops at a bad
 * surrogate (setting dec_err), when the buffer is full, or when the raw
 * bytes left do not make a whole code point. */
static void decode16(bp_csv *r)
{
	const unsigned char *s = r->raw + r->raw_beg, *e = r->raw + r->raw_end;
	char *o = r->buf + r->end, *oe = r->buf + r->cap;

	while (e - s >= 2 && oe - o >= 4) {
		unsigned u = unit16(r, s), lo;

		if (u < 0xD800 || u > 0xDFFF) {
			o = put_utf8(o, u);
			s += 2;
			continue;
		}
		if (u >= 0xDC00) {
			r->dec_err = DEC_SURR;
			r->dec_unit = u;
			break;
		}
		if (e - s < 4)
			break;
		lo = unit16(r, s + 2);
		if (lo < 0xDC00 || lo > 0xDFFF) {
			r->dec_err = DEC_SURR;
			r->dec_unit = u;
			break;
		}
		o = put_utf8(o, 0x10000ul + ((unsigned long)(u - 0xD800) << 10) +
				    (lo - 0xDC00));
		s += 4;
	}
	r->raw_beg = (size_t)(s - r->raw);
	r->end = (size_t)(o - r->buf);
}

/* What is left in raw at the end of the source is either a lone byte
 * (odd length) or a high surrogate with nothing after it. */
static void raw_tail_error(bp_csv *r)
{
	size_t left = r->raw_end - r->raw_beg;

	if (left == 2) {
		r->dec_err = DEC_SURR;
		r->dec_unit = unit16(r, r->raw + r->raw_beg);
	} else if (left) {
		r->dec_err = DEC_TRUNC;
	}
}

static int fill_utf16(bp_csv *r, bp_err *err)
{
	for (;;) {
		size_t left;
		ssize_t k;

		decode16(r);
		if (r->dec_err || r->cap - r->end < 4)
			break;
		left = r->raw_end - r->raw_beg;
		if (r->src_eof) {
			raw_tail_error(r);
			break;
		}
		memmove(r->raw, r->raw + r->raw_beg, left);
		r->raw_beg = 0;
		r->raw_end = left;
		k = read_src(r, r->raw + left, RAW_CAP - left, err);
		if (k < 0)
			return -1;
		if (k == 0)
			r->src_eof = 1;
		r->raw_end += (size_t)k;
	}
	r->eof = r->src_eof && !r->dec_err && r->raw_beg == r->raw_end;
	return 0;
}

static int decode_error(const bp_csv *r, bp_err *err)
{
	char msg[96];

	if (r->dec_err == DEC_TRUNC)
		return data_error(r, r->buf + r->end, err,
				  "truncated UTF-16: the file ends in the middle "
				  "of a character (odd number of bytes)");
	snprintf(msg, sizeof(msg), "unpaired UTF-16 surrogate 0x%04X",
		 r->dec_unit);
	return data_error(r, r->buf + r->end, err, msg);
}

/* Keeps the unconsumed bytes, makes room, reads more.  Called only when a
 * step ran out of data before the end of the input. */
static int refill(bp_csv *r, bp_err *err)
{
	size_t keep = r->end - r->pos, before;

	assert(!r->eof);
	if (keep > r->max_rec)
		return too_large(r, err);
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, keep);
		r->pos = 0;
		r->end = keep;
	}
	if (r->cap - r->end < 4 && grow(r, err) < 0)
		return -1;
	before = r->end;
	if ((r->enc == ENC_UTF8 ? fill_utf8(r, err) : fill_utf16(r, err)) < 0)
		return -1;
	if (r->end == before && !r->eof) {
		if (r->dec_err)
			return decode_error(r, err);
		return bp_err_set(err, BP_ESOFTWARE, "csv reader made no progress");
	}
	return 0;
}

/* The first of a, b, c in [p, end), or end. */
#ifdef HAVE_SSE2
static inline char *scan3(char *p, char *end, char a, char b, char c)
{
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b),
		      vc = _mm_set1_epi8(c);

	for (; p < end; p += 16) {
		/* May read up to 15 bytes past end: the buffer has PAD. */
		__m128i v = _mm_loadu_si128((const __m128i *)(void *)p);
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va),
						      _mm_cmpeq_epi8(v, vb)),
					 _mm_cmpeq_epi8(v, vc));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);

		if (bits) {
			p += __builtin_ctz(bits);
			return p < end ? p : end;
		}
	}
	return end;
}
#else
static inline char *scan3(char *p, char *end, char a, char b, char c)
{
	while (p < end && *p != a && *p != b && *p != c)
		p++;
	return p;
}
#endif

/* What a skipped field reads as. */
static const char empty[1] = "";

/* Grows the fields to at least `need` (new ones read as empty, which is
 * what skipped fields stay). */
static int grow_fields(bp_csv *r, size_t need, bp_err *err)
{
	size_t ncap = r->fcap ? r->fcap : 32, i;

	(void)err;
	while (ncap < need || ncap == r->fcap)
		ncap *= 2;
	r->f = bp_xreallocarray(r->f, ncap, sizeof(*r->f));
	r->fq = bp_xrealloc(r->fq, ncap);
	for (i = r->fcap; i < ncap; i++) {
		r->f[i].p = empty;
		r->f[i].n = 0;
		r->fq[i] = 0;
	}
	r->fcap = ncap;
	return 0;
}

/* Consumes empty lines at pos.  ST_DONE when a non-empty line starts
 * there, ST_END at the end of the input. */
static int skip_blank(bp_csv *r)
{
	for (;;) {
		char *p = r->buf + r->pos, *end = r->buf + r->end;

		if (p >= end)
			return r->eof ? ST_END : ST_NEED;
		if (*p == '\n') {
			r->pos++;
		} else if (*p == '\r') {
			if (p + 1 >= end && !r->eof)
				return ST_NEED;
			r->pos += (p + 1 < end && p[1] == '\n') ? 2 : 1;
		} else {
			return ST_DONE;
		}
		r->line++;
	}
}

/* Scans the quoted field opening at *pp into *f and *fq; leaves *pp just
 * past its closing quote. */
static ALWAYS_INLINE int scan_quoted(bp_csv *r, char **pp, long *breaks,
				      bp_field *f, unsigned char *fq, bp_err *err)
{
	char *open = *pp, *q = open + 1, *end = r->buf + r->end;
	unsigned char kind = Q_QUOTED;

	for (;;) {
		q = scan3(q, end, '"', '\n', '\r');
		if (q >= end) {
			if (!r->eof)
				return ST_NEED;
			data_error(r, open, err, "unterminated quote: the "
				   "quoted field starting here never ends");
			if (err)
				err->sub = BP_CSV_CUT;
			return ST_ERR;
		}
		if (*q == '"') {
			if (q + 1 >= end && !r->eof)
				return ST_NEED;
			if (q + 1 < end && q[1] == '"') {
				kind |= Q_DOUBLED;
				q += 2;
				continue;
			}
			break;
		}
		/* A CR right before the end of data is counted once: the
		 * NEED that follows restarts the whole record. */
		if (*q == '\n' || q + 1 >= end || q[1] != '\n')
			++*breaks;
		q++;
	}
	f->p = open + 1;
	f->n = (size_t)(q - open - 1);
	*fq = kind;
	*pp = q + 1;
	return ST_DONE;
}

static int after_quote_error(const bp_csv *r, const char *at, bp_err *err)
{
	char msg[80];
	size_t n = 1;

	if ((unsigned char)*at < 0x20 || *at == 0x7F) {
		snprintf(msg, sizeof(msg), "unexpected character '\\x%02x' "
			 "after closing quote", (unsigned char)*at);
		return data_error(r, at, err, msg);
	}
	while (n < 4 && at + n < r->buf + r->end &&
	       ((unsigned char)at[n] & 0xC0) == 0x80)
		n++;
	snprintf(msg, sizeof(msg), "unexpected character '%.*s' after closing "
		 "quote", (int)n, at);
	return data_error(r, at, err, msg);
}

/* Which of 64 bytes are quotes, delimiters, line feeds, carriage returns
 * (bit i: byte i). */
typedef struct bytemask {
	uint64_t q, d, lf, cr;
} bytemask;

#ifdef HAVE_SSE2
static inline uint64_t eq16(__m128i v, __m128i c)
{
	return (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, c));
}

static inline void classify_plain(const char *p, char d, bytemask *m)
{
	const __m128i vq = _mm_set1_epi8('"'), vd = _mm_set1_epi8(d),
		      vl = _mm_set1_epi8('\n'), vc = _mm_set1_epi8('\r');
	int i;

	m->q = m->d = m->lf = m->cr = 0;
	for (i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));

		m->q |= eq16(v, vq) << (16 * i);
		m->d |= eq16(v, vd) << (16 * i);
		m->lf |= eq16(v, vl) << (16 * i);
		m->cr |= eq16(v, vc) << (16 * i);
	}
}
#else
static inline void classify_plain(const char *p, char d, bytemask *m)
{
	int i;

	m->q = m->d = m->lf = m->cr = 0;
	for (i = 0; i < 64; i++) {
		m->q |= (uint64_t)(p[i] == '"') << i;
		m->d |= (uint64_t)(p[i] == d) << i;
		m->lf |= (uint64_t)(p[i] == '\n') << i;
		m->cr |= (uint64_t)(p[i] == '\r') << i;
	}
}
#endif

/* Bit i: the xor of bits 0..i.  Over the quotes, that is "inside a quoted
 * field after byte i". */
static inline uint64_t prefix_xor_plain(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

/* Without the instruction, the compiler would call a library routine. */
static inline int popcount_plain(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
	return (int)((x * 0x0101010101010101ull) >> 56);
}

#ifdef HAVE_AVX2
__attribute__((target("avx2")))
static inline uint64_t eq32(__m256i lo, __m256i hi, __m256i c)
{
	return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, c)) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, c)) << 32;
}

__attribute__((target("avx2")))
static inline void classify_avx2(const char *p, char d, bytemask *m)
{
	__m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));

	m->q = eq32(lo, hi, _mm256_set1_epi8('"'));
	m->d = eq32(lo, hi, _mm256_set1_epi8(d));
	m->lf = eq32(lo, hi, _mm256_set1_epi8('\n'));
	m->cr = eq32(lo, hi, _mm256_set1_epi8('\r'));
}

/* The prefix xor as one carry-less multiplication by all ones. */
__attribute__((target("pclmul")))
static inline uint64_t prefix_xor_clmul(uint64_t x)
{
	__m128i v = _mm_set_epi64x(0, (long long)x);

	return (uint64_t)_mm_cvtsi128_si64(
		_mm_clmulepi64_si128(v, _mm_set1_epi8((char)0xFF), 0));
}
#endif

static inline int low_index(uint64_t x)
{
#ifdef __GNUC__
	return __builtin_ctzll(x);
#else
	int i = 0;

	while (!(x & 1)) {
		x >>= 1;
		i++;
	}
	return i;
#endif
}

static inline int high_index(uint64_t x)
{
#ifdef __GNUC__
	return 63 - __builtin_clzll(x);
#else
	int i = 63;

	while (!(x >> 63)) {
		x <<= 1;
		i--;
	}
	return i;
#endif
}

/* The k-th (from 1) lowest set bit of x, which has at least k. */
static inline uint64_t nth_bit(uint64_t x, size_t k)
{
	while (--k)
		x &= x - 1;
	return x & (0 - x);
}

/* Line breaks inside quotes among the bits of `in`: each LF, and each CR
 * not followed by one (next: the byte after the block). */
static inline uint64_t quoted_breaks(const bytemask *m, uint64_t in, char next)
{
	uint64_t lf_next = m->lf >> 1 | (uint64_t)(next == '\n') << 63;

	return (m->lf | (m->cr & ~lf_next)) & in;
}

#define POPCOUNT(avx2, x) ((avx2) ? __builtin_popcountll(x) : popcount_plain(x))

/* A 64-byte block as the field walks (skip_core, walk_core) read it. */
typedef struct block {
	bytemask m;
	uint64_t in;    /* the bytes inside quotes */
	uint64_t s;     /* delimiters, line ends and quotes */
	uint64_t bad;   /* quotes the masks cannot read */
	uint64_t brk;   /* line breaks inside quotes */
	uint64_t ends;  /* line ends outside quotes */
} block;

/* What a block tells the next; BLOCK_START before the first. */
typedef struct block_carry {
	uint64_t carry;   /* all ones when a quoted field runs on */
	uint64_t prev;    /* the block's last byte may precede a quote */
	uint64_t pending; /* the block ended with a closing quote */
} block_carry;

#define BLOCK_START { 0, 1, 0 }

/* Reads the block at p (p[64] readable: the byte after it tells whether
 * a CR or a quote at its end is followed properly).  A quote that opens
 * a field must follow a delimiter (or the closing quote of a doubled
 * pair), one that closes it must precede a delimiter, a line end or a
 * quote.  Both come down to: next to one of those on its side (a line end
 * before an opening quote would have ended the record already).  The
 * block's last byte is checked with the next block. */
static ALWAYS_INLINE void read_block(const char *p, char d, int avx2,
				     const block_carry *c, block *b)
{
	const uint64_t top_bit = (uint64_t)1 << 63;
	uint64_t around, lines;

#ifdef HAVE_AVX2
	if (avx2) {
		classify_avx2(p, d, &b->m);
		b->in = prefix_xor_clmul(b->m.q) ^ c->carry;
	} else
#endif
	{
		classify_plain(p, d, &b->m);
		b->in = prefix_xor_plain(b->m.q) ^ c->carry;
	}
	b->s = b->m.d | b->m.lf | b->m.cr | b->m.q;
	around = (b->s >> 1 | top_bit) ^
		 (((b->s << 1 | c->prev) ^ (b->s >> 1 | top_bit)) & b->in);
	b->bad = (b->m.q & ~around) | (c->pending & ~b->s);
	lines = b->m.lf | b->m.cr;
	b->brk = lines & b->in ? quoted_breaks(&b->m, b->in, p[64]) : 0;
	b->ends = lines & ~b->in;
}

static ALWAYS_INLINE void carry_block(block_carry *c, const block *b)
{
	c->carry = 0 - (b->in >> 63);
	c->prev = b->s >> 63;
	c->pending = (b->m.q & ~b->in) >> 63;
}

/* What skip_fields does, for one instruction set: avx2 is a constant, so
 * each caller below gets its own loop. */
static ALWAYS_INLINE size_t skip_core(const bp_csv *r, char **pp, size_t want,
				      long *breaks, int avx2)
{
	const uint64_t top_bit = (uint64_t)1 << 63;
	char *p = *pp, *end = r->buf + r->end, *last = NULL;
	char d = r->delim ? r->delim : ',';
	block_carry c = BLOCK_START;
	size_t got = 0;
	long br = 0, br_last = 0;

	for (; end - p > 64; p += 64) {
		block b;
		uint64_t bad, brk, delims, stop, settled, hit = 0;
		size_t n;

		read_block(p, d, avx2, &c, &b);
		bad = b.bad;
		brk = b.brk;
		delims = b.m.d & ~b.in;
		stop = b.ends & (0 - b.ends);
		settled = stop ? stop - 1 : ~(uint64_t)0;
		n = (size_t)POPCOUNT(avx2, delims & settled);
		if (want - got <= n) {
			hit = nth_bit(delims & settled, want - got);
			settled = hit - 1;
		} else if (stop) {
			hit = stop;
		}
		if (bad & settled) {
			/* Trust the delimiters before the first doubtful quote. */
			delims &= (bad & (0 - bad)) - 1;
			hit = 0;
		}
		if (hit) {
			*pp = p + low_index(hit);
			if (brk & settled)
				br += POPCOUNT(avx2, brk & settled);
			*breaks += br;
			return hit == stop ? got + n + 1 : want;
		}
		if (delims) {
			int top = high_index(delims);

			last = p + top;
			br_last = br;
			if (brk)
				br_last += POPCOUNT(avx2, brk & ((top_bit >> (63 - top)) - 1));
		}
		if (bad & settled) {
			got += (size_t)POPCOUNT(avx2, delims);
			break;
		}
		got += n;
		if (brk)
			br += POPCOUNT(avx2, brk);
		carry_block(&c, &b);
	}
	/* Back to the last delimiter that is sure. */
	if (got) {
		*pp = last;
		*breaks += br_last;
	}
	return got;
}

/* Passes up to `want` fields (SKIP_REST: the rest of the record) starting
 * at *pp, the start of a field, without storing them.  Returns how many
 * fields it passed, with *pp at the byte that ended the last of them (a
 * delimiter, or the line end when the record ended first) and the line
 * breaks inside them added to *breaks.  Stops early, at the last field it
 * is sure of, where the masks' reading of quotes is not the general one
 * or where fewer than 65 bytes are left (the byte after a block tells
 * whether a quote or CR at its end is followed properly); 0 means the
 * caller reads the next field the general way. */
static size_t skip_fields_plain(const bp_csv *r, char **pp, size_t want,
				long *breaks)
{
	return skip_core(r, pp, want, breaks, 0);
}

#ifdef HAVE_AVX2
__attribute__((target("avx2,popcnt,pclmul")))
static size_t skip_fields_avx2(const bp_csv *r, char **pp, size_t want,
			       long *breaks)
{
	return skip_core(r, pp, want, breaks, 1);
}
#endif

/* Stores field i of the record, the bytes [s, e) found by walk_core,
 * quoted when it opens with a quote (the masks made sure it then closes
 * with one just before e). */
static ALWAYS_INLINE void walk_put(bp_csv *r, size_t i, const char *s,
				   const char *e, int doubled)
{
	bp_field *f;

	if (i >= r->fcap)
		grow_fields(r, i + 1, NULL);
	f = &r->f[i];
	if (*s == '"') {
		f->p = s + 1;
		f->n = (size_t)(e - s - 2);
		r->fq[i] = (unsigned char)(Q_QUOTED | (doubled ? Q_DOUBLED : 0));
	} else {
		f->p = s;
		f->n = (size_t)(e - s);
		r->fq[i] = 0;
	}
}

/* What walk_fields does, for one instruction set and with or without a
 * projection (both constants, so each caller below gets its own loop).
 * The masks of skip_core, read for every field: each delimiter outside
 * quotes ends one, the first line end outside quotes ends the record.
 * A kept field is stored as it ends; a run of skipped ones is passed by
 * counting delimiters.  Quotes inside a quoted field come in doubled
 * pairs, whose first quote closes the field (for the prefix XOR) and is
 * followed by a quote: that marks a field to unquote. */
static ALWAYS_INLINE size_t walk_core(bp_csv *r, char **pp, size_t nf0,
				      long *breaks, int projected, int avx2)
{
	const uint64_t top_bit = (uint64_t)1 << 63;
	char *p = *pp, *end = r->buf + r->end, *fs = p, *last = NULL;
	char d = r->delim ? r->delim : ',';
	const size_t *run = r->run;
	size_t nrun = r->nrun, nf = nf0, nlast = nf0;
	block_carry c = BLOCK_START;
	int doubled = 0;        /* the current field had a doubled quote */
	int doubt;              /* a quote the masks cannot read */
	long br = 0, br_last = 0;

	for (; end - p > 64; p += 64) {
		block b;
		uint64_t bad, brk, stop, settled, avail, dq;
		uint64_t from = ~(uint64_t)0;

		read_block(p, d, avx2, &c, &b);
		bad = b.bad;
		brk = b.brk;
		dq = b.m.q & ~b.in & (b.m.q >> 1 | (uint64_t)(p[64] == '"') << 63);
		stop = b.ends & (0 - b.ends);
		settled = stop ? stop - 1 : ~(uint64_t)0;
		doubt = (bad & settled) != 0;
		if (doubt) {
			/* Only the delimiters before the first doubtful quote. */
			settled &= (bad & (0 - bad)) - 1;
			stop = 0;
		}
		avail = b.m.d & ~b.in & settled;
		while (avail) {
			size_t want = !projected ? 0 : nf < nrun ? run[nf] : SKIP_REST;
			uint64_t hit;

			if (want == 0) {
				hit = avail & (0 - avail);
				walk_put(r, nf, fs, p + low_index(hit),
					 doubled || (dq & (hit - 1) & from));
				nf++;
			} else {
				size_t c = (size_t)POPCOUNT(avx2, avail);

				if (c < want) {
					hit = top_bit >> (63 - high_index(avail));
					nf += c;
				} else {
					hit = nth_bit(avail, want);
					nf += want;
				}
			}
			/* hit << 1 is 0 for the top bit: nothing is left. */
			avail &= ~((hit << 1) - 1);
			from = ~((hit << 1) - 1);
			doubled = 0;
			fs = p + low_index(hit) + 1;
			last = fs - 1;
			nlast = nf;
			br_last = br + POPCOUNT(avx2, brk & (hit - 1));
		}
		if (stop) {
			size_t want = !projected ? 0 : nf < nrun ? run[nf] : SKIP_REST;

			if (want == 0)
				walk_put(r, nf, fs, p + low_index(stop),
					 doubled || (dq & (stop - 1) & from));
			*pp = p + low_index(stop);
			*breaks += br + POPCOUNT(avx2, brk & (stop - 1));
			return nf + 1 - nf0;
		}
		if (doubt)
			break;
		doubled |= (dq & from) != 0;
		br += POPCOUNT(avx2, brk);
		carry_block(&c, &b);
	}
	/* Back to the last delimiter that is sure. */
	if (nlast > nf0) {
		*pp = last;
		*breaks += br_last;
	}
	return nlast - nf0;
}

/* Finds the fields of the record from *pp, the start of a field (field
 * nf of the record), to its end, 64 bytes at a time, storing those kept.
 * Returns how many fields it passed, with *pp at the byte that ended the
 * last of them (a delimiter, or the line end when the record ended) and
 * the line breaks inside them added to *breaks.  Stops early where
 * skip_fields would; 0 means the caller reads the next field the general
 * way. */
static size_t walk_all_plain(bp_csv *r, char **pp, size_t nf, long *breaks)
{
	return walk_core(r, pp, nf, breaks, 0, 0);
}

static size_t walk_kept_plain(bp_csv *r, char **pp, size_t nf, long *breaks)
{
	return walk_core(r, pp, nf, breaks, 1, 0);
}

#ifdef HAVE_AVX2
__attribute__((target("avx2,popcnt,pclmul")))
static size_t walk_all_avx2(bp_csv *r, char **pp, size_t nf, long *breaks)
{
	return walk_core(r, pp, nf, breaks, 0, 1);
}

__attribute__((target("avx2,popcnt,pclmul")))
static size_t walk_kept_avx2(bp_csv *r, char **pp, size_t nf, long *breaks)
{
	return walk_core(r, pp, nf, breaks, 1, 1);
}
#endif

static int use_avx2(void)
{
#ifdef HAVE_AVX2
	return !getenv("BP_CSV_PORTABLE") && __builtin_cpu_supports("avx2") &&
	       __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("pclmul");
#else
	return 0;
#endif
}

/* The fastest walk_fields this CPU runs, with or without a projection. */
static walk_fn *pick_walk(int projected)
{
#ifdef HAVE_AVX2
	if (use_avx2())
		return projected ? walk_kept_avx2 : walk_all_avx2;
#endif
	return projected ? walk_kept_plain : walk_all_plain;
}

/* The fastest skip_fields this CPU runs.  BP_CSV_PORTABLE in the
 * environment picks the portable one, so that tests can check both. */
static skip_fn *pick_skip(void)
{
#ifdef HAVE_AVX2
	if (use_avx2())
		return skip_fields_avx2;
#endif
	return skip_fields_plain;
}

/* Reads one field at *pp (data up to end, delimiter d) the general way
 * into *f and *fq; leaves *pp at the byte after it. */
static ALWAYS_INLINE int read_field(bp_csv *r, char **pp, char *end, char d,
				     long *breaks, bp_field *f, unsigned char *fq,
				     bp_err *err)
{
	char *p = *pp, *q;

	if (p < end && *p == '"')
		return scan_quoted(r, pp, breaks, f, fq, err);
	q = scan3(p, end, d, '\n', '\r');
	f->p = p;
	f->n = (size_t)(q - p);
	*fq = 0;
	*pp = q;
	return ST_DONE;
}

/* How many fields from field i on the projection skips. */
static inline size_t skip_run(const bp_csv *r, size_t i)
{
	if (!r->run)
		return 0;
	return i < r->nrun ? r->run[i] : SKIP_REST;
}

/* Whether the UTF-8 character at p goes on past the data read so far: an
 * error message that shows it waits for the rest of it. */
static int char_cut(const bp_csv *r, const char *p)
{
	unsigned char c = (unsigned char)*p;
	size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;

	return !r->eof && (size_t)(r->buf + r->end - p) < len;
}

/* What scan_record does, with or without a projection: `projected` is a
 * constant, so reading every field costs nothing for the projection. */
static ALWAYS_INLINE int scan_fields(bp_csv *r, int projected, bp_err *err)
{
	char *base, *p, *end = r->buf + r->end;
	char d = r->delim ? r->delim : ',';
	const size_t *run = r->run;
	size_t nf = 0, nrun = r->nrun;
	long breaks = 0;
	int rc = skip_blank(r), eol = 0;

	if (rc != ST_DONE)
		return rc;
	base = p = r->buf + r->pos;
	for (;;) {
		size_t want = !projected ? 0 : nf < nrun ? run[nf] : SKIP_REST, got;

		if (r->walk && end - p > 64 && (got = r->walk(r, &p, nf, &breaks)) > 0) {
			nf += got;
		} else if (want >= MIN_SKIP && (got = r->skip(r, &p, want, &breaks)) > 0) {
			nf += got;
		} else {
			/* Where skip_fields() was not sure, the field is read
			 * the general way, and not kept. */
			bp_field junk, *f = &junk;
			unsigned char junk_q, *fq = &junk_q;

			if (want < MIN_SKIP) {
				if (nf >= r->fcap && grow_fields(r, nf + 1, err) < 0)
					return ST_ERR;
				f = &r->f[nf];
				fq = &r->fq[nf];
			}
			rc = read_field(r, &p, end, d, &breaks, f, fq, err);
			if (rc != ST_DONE)
				return rc;
			nf++;
		}
		if (p >= end) {
			if (!r->eof)
				return ST_NEED;
			break;
		}
		if (*p == d) {
			p++;
			continue;
		}
		if (*p == '\r') {
			if (p + 1 >= end && !r->eof)
				return ST_NEED;
			if (p + 1 < end && p[1] == '\n')
				p++;
		} else if (*p != '\n') {
			if (char_cut(r, p))
				return ST_NEED;
			return after_quote_error(r, p, err);
		}
		p++;
		breaks++;
		eol = 1;
		break;
	}
	/* Skipped fields are never written: they read as empty. */
	if (nf > r->fcap && grow_fields(r, nf, err) < 0)
		return ST_ERR;
	r->nf = nf;
	r->rec_len = (size_t)(p - base);
	r->rec_breaks = breaks;
	r->rec_eol = eol;
	if (r->rec_len > r->max_rec)
		return too_large(r, err);
	return ST_DONE;
}

/* The first pass: finds the fields of the record at pos without changing
 * a byte, so that running out of data only means starting over. */
static int scan_record(bp_csv *r, bp_err *err)
{
	return r->blocks ? scan_fields(r, 1, err) : scan_fields(r, 0, err);
}

/* Removes the doubling of quotes; returns the new length.  The bytes
 * freed at the end become '"' again so that counting characters over the
 * record (bp_csv_col) still sees as many as the file had. */
static size_t unquote(char *s, size_t n)
{
	char *w = s, *p = s, *e = s + n;

	while (p < e) {
		if (*p == '"')
			p++;
		*w++ = *p++;
	}
	if (e - w > 1)
		memset(w + 1, '"', (size_t)(e - w - 1));
	return (size_t)(w - s);
}

static inline void finish_field(bp_field *f, unsigned char q)
{
	char *s = (char *)f->p;

	if (q & Q_DOUBLED)
		f->n = unquote(s, f->n);
	s[f->n] = '\0';
}

/* The second pass: unquotes, NUL-terminates, consumes the record. */
static void finish_record(bp_csv *r)
{
	size_t i;

	/* Locals: the stores into the fields could alias r's own. */
	const size_t *kept = r->kept, *blank = r->blank;
	size_t nf = r->nf, nk = r->nkept, nb = r->nblank;
	bp_field *f = r->f;
	const unsigned char *fq = r->fq;

	/* Under a projection only the kept fields are sure to have been
	 * stored for this record (walk_fields passes the others). */
	if (r->run) {
		for (i = 0; i < nk && kept[i] < nf; i++)
			finish_field(&f[kept[i]], fq[kept[i]]);
	} else {
		for (i = 0; i < nf; i++)
			finish_field(&f[i], fq[i]);
	}
	if (r->run) {
		for (i = 0; i < nb && blank[i] < nf; i++) {
			f[blank[i]].p = empty;
			f[blank[i]].n = 0;
		}
		for (i = r->nrun; !r->blocks && i < nf; i++) {
			f[i].p = empty;
			f[i].n = 0;
		}
	}
	r->rec = r->pos;
	r->rec_line = r->line;
	r->pos += r->rec_len;
	r->line += r->rec_breaks;
}

/* Runs a step, refilling the buffer and starting the step over for as
 * long as it runs out of data. */
static int drive(bp_csv *r, int (*step)(bp_csv *, void *, bp_err *),
		 void *arg, bp_err *err)
{
	for (;;) {
		int rc = step(r, arg, err);

		if (rc != ST_NEED)
			return rc;
		if (refill(r, err) < 0)
			return ST_ERR;
	}
}

static int record_step(bp_csv *r, void *arg, bp_err *err)
{
	(void)arg;
	return scan_record(r, err);
}

/* Skips blank lines and lines starting with '#'; *seen is set when there
 * was one of the latter. */
/* Hands a '#' line (without its line end) to the caller's hook. */
static void comment(const bp_csv *r, const char *p, const char *end)
{
	if (r->on_comment)
		r->on_comment(r->comment_ctx, p, (size_t)(end - p));
}

static int junk_step(bp_csv *r, void *seen, bp_err *err)
{
	(void)err;
	for (;;) {
		char *p, *end = r->buf + r->end;
		int rc = skip_blank(r);

		if (rc != ST_DONE)
			return rc;
		p = r->buf + r->pos;
		if (*p != '#')
			return ST_DONE;
		*(int *)seen = 1;
		p = scan3(p, end, '\n', '\n', '\r');
		if (p >= end) {
			if (!r->eof)
				return ST_NEED;
			comment(r, r->buf + r->pos, end);
			r->pos = r->end;
			return ST_END;
		}
		if (*p == '\r' && p + 1 >= end && !r->eof)
			return ST_NEED;
		comment(r, r->buf + r->pos, p);
		p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
		r->pos = (size_t)(p - r->buf);
		r->line++;
	}
}

/* Picks the delimiter of the line at pos.  Which quotes open a field
 * depends on the delimiter, so any quote at the start of the line or
 * right after a candidate counts as opening one. */
static int delim_step(bp_csv *r, void *out, bp_err *err)
{
	const char *p = r->buf + r->pos, *end = r->buf + r->end;
	size_t tab = 0, semi = 0, comma = 0;
	int inq = 0, start = 1;

	(void)err;
	for (; p < end; p++) {
		if (inq) {
			if (*p != '"')
				continue;
			if (p + 1 >= end && !r->eof)
				return ST_NEED;
			if (p + 1 < end && p[1] == '"')
				p++;
			else
				inq = 0;
			continue;
		}
		if (*p == '"' && start) {
			inq = 1;
			continue;
		}
		if (*p == '\n' || *p == '\r')
			break;
		tab += *p == '\t';
		semi += *p == ';';
		comma += *p == ',';
		start = *p == '\t' || *p == ';' || *p == ',';
	}
	if (p >= end && !r->eof)
		return ST_NEED;
	if (comma >= tab && comma >= semi)
		*(char *)out = ',';
	else
		*(char *)out = tab >= semi ? '\t' : ';';
	return ST_DONE;
}

static bp_csv *new_reader(const char *name, size_t cap, bp_err *err)
{
	bp_csv *r = bp_xcalloc(1, sizeof(*r));

	r->fd = -1;
	r->line = 1;
	r->rec_line = 1;
	r->max_rec = MAX_RECORD;
	r->cap = cap;
	r->name = bp_xstrdup(name);
	r->buf = bp_xcalloc(1, r->cap + PAD);
	grow_fields(r, 1, err);
	r->walk = pick_walk(0);
	return r;
}

/* What the first bytes of a file without a BOM say it is, when it is no
 * text export: a ZIP archive (an .xlsx workbook, a zipped export), gzip,
 * a PDF, or UTF-16 without its BOM (a NUL in every other byte).  Returns
 * 0, or -1 with BP_EDATA naming what it is and what to do. */
static int not_text(const bp_csv *r, const unsigned char *h, size_t n,
		    bp_err *err)
{
	const char *what = NULL;

	if (n >= 3 && h[0] == 'P' && h[1] == 'K' && h[2] == 3)
		what = "is a ZIP archive (an .xlsx workbook, or a zipped export), "
		       "not a CSV or TSV export: export the report as CSV, or "
		       "unzip it first";
	else if (n >= 2 && h[0] == 0x1F && h[1] == 0x8B)
		what = "is compressed with gzip: decompress it first (gunzip)";
	else if (n >= 3 && h[0] == '%' && h[1] == 'P' && h[2] == 'D')
		what = "is a PDF, not an export: export the report as CSV";
	else if (n >= 2 && (h[0] == 0) != (h[1] == 0))
		what = "has a NUL byte at its start, as UTF-16 without its "
		       "byte-order mark has: save it as UTF-8, or as UTF-16 with "
		       "the mark";
	if (!what)
		return 0;
	return bp_err_at(err, BP_EDATA, r->name, 1, 1, "the file %s", what);
}

/* Reads the first bytes and decides the encoding from the BOM. */
static int start(bp_csv *r, bp_err *err)
{
	unsigned char head[3];
	ssize_t k = read_full(r, head, sizeof(head), err);
	size_t n, skip = 0;

	if (k < 0)
		return -1;
	n = (size_t)k;
	if (n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF)
		skip = 3;
	else if (n >= 2 && head[0] == 0xFF && head[1] == 0xFE)
		r->enc = ENC_UTF16LE, skip = 2;
	else if (n >= 2 && head[0] == 0xFE && head[1] == 0xFF)
		r->enc = ENC_UTF16BE, skip = 2;
	else if (not_text(r, head, n, err) < 0)
		return -1;
	if (r->enc == ENC_UTF8) {
		memcpy(r->buf, head + skip, n - skip);
		r->end = n - skip;
		r->eof = r->src_eof;
		return 0;
	}
	r->raw = bp_xmalloc(RAW_CAP);
	memcpy(r->raw, head + skip, n - skip);
	r->raw_end = n - skip;
	return 0;
}

/* A reader on the file at `path`, opened; NULL with BP_ENOINPUT. */
static bp_csv *open_file(const char *path, const char *name, bp_err *err)
{
	bp_csv *r = new_reader(name ? name : path, INIT_CAP, err);

	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		bp_err_set(err, BP_ENOINPUT, "cannot open '%s': %s", path,
			   strerror(errno));
		bp_csv_close(r);
		return NULL;
	}
	return r;
}

bp_csv *bp_csv_open(const char *path, const char *name, bp_err *err)
{
	bp_csv *r = open_file(path, name, err);

	if (!r)
		return NULL;
	if (start(r, err) < 0)
		goto fail;
	return r;
fail:
	bp_csv_close(r);
	return NULL;
}

void bp_csv_time_reads(bp_csv *r, double *cpu)
{
	r->read_cpu = cpu;
}



bp_csv *bp_csv_open_mem(const void *data, size_t size, const char *name,
			bp_err *err)
{
	bp_csv *r = new_reader(name ? name : "(memory)", MEM_CAP, err);

	r->mem = data;
	r->mem_size = data ? size : 0;
	if (start(r, err) < 0) {
		bp_csv_close(r);
		return NULL;
	}
	return r;
}

bp_csv *bp_csv_open_at(const char *path, const char *name,
			unsigned long long off, char delim, size_t width,
			bp_err *err)
{
	bp_csv *r = open_file(path, name, err);

	if (!r)
		return NULL;
	if (lseek(r->fd, (off_t)off, SEEK_SET) < 0) {
		bp_err_set(err, BP_ENOINPUT, "cannot read '%s': %s", path,
			   strerror(errno));
		goto fail;
	}
	r->base = off;
	r->delim = delim;
	/* The header's width, as bp_csv_project() reads it after a header. */
	if (width > r->fcap)
		grow_fields(r, width, err);
	r->nf = width;
	return r;
fail:
	bp_csv_close(r);
	return NULL;
}

int bp_csv_stop_at(bp_csv *r, unsigned long long off, bp_err *err)
{
	unsigned long long at = r->base + r->nbytes; /* file offset of buf[end] */

	if (r->fd < 0 || r->enc != ENC_UTF8)
		return bp_err_set(err, BP_ESOFTWARE, "a stop is only for UTF-8 files");
	if (off == 0) {
		/* Lifted: go on from the stop, wherever the file was read to. */
		if (!r->stop)
			return 0;
		at = r->base + r->nbytes - (r->end - r->pos);
		if (lseek(r->fd, (off_t)at, SEEK_SET) < 0)
			return bp_err_set(err, BP_ENOINPUT, "cannot read '%s': %s",
					  r->name, strerror(errno));
		r->nbytes = at - r->base;
		r->end = r->pos;
		r->stop = 0;
		r->eof = r->src_eof = 0;
		return 0;
	}
	if (off > at) {
		r->stop = off;
		return 0;
	}
	if (at - off > r->end - r->pos)
		return bp_err_set(err, BP_ESOFTWARE, "stop before the data read");
	/* Already read past it: what lies beyond is not in the file now. */
	r->end -= (size_t)(at - off);
	r->nbytes = off - r->base;
	r->stop = off;
	r->eof = r->src_eof = 1;
	return 0;
}

/* Whether `n_fields` fields in each of `records` records follow from p
 * (before end; the end of the file counts as the end of a record when
 * `at_eof`), read as RFC 4180 has it.  Loose on purpose: a line start
 * inside a quoted field is what it must turn down, and it does unless a
 * field's text is itself shaped like whole records. */
static int records_follow(const char *p, const char *end, int at_eof, char d,
			  size_t n_fields, int records)
{
	size_t nf = 1;

	while (records > 0) {
		if (p >= end)
			return at_eof && nf == n_fields;
		if (*p == '"') {
			for (p++;; p++) {
				if (p >= end)
					return 0;
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"')
						p++;
					else
						break;
				}
			}
			p++;
			if (p < end && *p != d && *p != '\n' && *p != '\r')
				return 0;
			continue;
		}
		while (p < end && *p != d && *p != '\n' && *p != '\r')
			p++;
		if (p >= end)
			continue;
		if (*p == d) {
			nf++;
			p++;
			continue;
		}
		if (nf != n_fields)
			return 0;
		p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
		nf = 1;
		records--;
	}
	return 1;
}

#define RESYNC_WINDOW ((size_t)1 << 20)

long long bp_csv_resync(const char *path, unsigned long long from, char delim,
			size_t n_fields, int records, bp_err *err)
{
	char *buf = bp_xmalloc(RESYNC_WINDOW);
	long long found = -1;
	ssize_t got;
	size_t i;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		bp_err_set(err, BP_ENOINPUT, "cannot open '%s': %s", path,
			   strerror(errno));
		goto out;
	}
	do
		got = pread(fd, buf, RESYNC_WINDOW, (off_t)from);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		bp_err_set(err, BP_ENOINPUT, "cannot read '%s': %s", path,
			   strerror(errno));
		goto out;
	}
	/* Only after a line feed: a CR alone may be half of a CRLF. */
	for (i = 0; i < (size_t)got; i++)
		if (buf[i] == '\n' && i + 1 < (size_t)got &&
		    records_follow(buf + i + 1, buf + got, (size_t)got < RESYNC_WINDOW,
				   delim, n_fields, records)) {
			found = (long long)(from + i + 1);
			break;
		}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return found;
}

void bp_csv_close(bp_csv *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->name);
	free(r->buf);
	free(r->raw);
	free(r->f);
	free(r->fq);
	free(r->run);
	free(r->kept);
	free(r->blank);
	free(r);
}

void bp_csv_set_general(bp_csv *r)
{
	r->walk = NULL;
}

void bp_csv_set_max_record(bp_csv *r, size_t max)
{
	r->max_rec = max;
}

static int header_end(bp_csv *r, int seen, long last, bp_err *err)
{
	r->delim = '\0';
	if (!seen) {
		bp_err_at(err, BP_EDATA, r->name, 0, 0, "file is empty");
		err->sub = BP_CSV_EMPTY;
		return -1;
	}
	bp_err_at(err, BP_EDATA, r->name, 0, 0,
		  "no header row found in the first %ld lines", last);
	err->sub = BP_CSV_NO_HEADER;
	return -1;
}

void bp_csv_on_comment(bp_csv *r, bp_csv_comment_fn fn, void *ctx)
{
	r->on_comment = fn;
	r->comment_ctx = ctx;
}

int bp_csv_header(bp_csv *r, bp_csv_header_fn is_header, void *ctx,
		  int max_lines, bp_field **fields, size_t *n, bp_err *err)
{
	int seen = 0, tried = 0, rc;
	long last = 0;

	for (;;) {
		char d = ',';

		rc = drive(r, junk_step, &seen, err);
		if (rc == ST_END)
			return header_end(r, seen, r->line - 1, err);
		if (rc == ST_DONE)
			rc = drive(r, delim_step, &d, err);
		if (rc == ST_ERR)
			return -1;
		r->delim = d;
		rc = drive(r, record_step, NULL, err);
		if (rc == ST_ERR)
			return -1;
		seen = 1;
		finish_record(r);
		last = r->rec_line;
		if (is_header(ctx, r->f, r->nf)) {
			*fields = r->f;
			*n = r->nf;
			return 0;
		}
		if (max_lines > 0 && ++tried >= max_lines)
			return header_end(r, seen, last, err);
	}
}

int bp_csv_next(bp_csv *r, bp_field **fields, size_t *n, bp_err *err)
{
	int rc = drive(r, record_step, NULL, err);

	if (rc == ST_ERR)
		return -1;
	if (rc == ST_END) {
		*n = 0;
		return 0;
	}
	finish_record(r);
	*fields = r->f;
	*n = r->nf;
	return 1;
}

int bp_csv_project(bp_csv *r, const int *cols, size_t n, bp_err *err)
{
	/* The header's width tells how many fields follow the last kept one. */
	size_t ncols = 1, nrun, i, k = 0, b = 0;
	size_t *run, *kept, *blank;

	for (i = 0; i < n; i++)
		if (cols[i] >= 0 && (size_t)cols[i] + 1 > ncols)
			ncols = (size_t)cols[i] + 1;
	nrun = r->nf > ncols ? r->nf : ncols;
	run = bp_xcalloc(nrun, sizeof(*run));
	kept = bp_xreallocarray(NULL, nrun, sizeof(*kept));
	blank = bp_xreallocarray(NULL, nrun, sizeof(*blank));
	if (nrun > r->fcap)
		grow_fields(r, nrun, err);
	/* run[] first marks the kept columns (1), then counts from the end:
	 * past the last kept one, what is left of the header. */
	run[0] = 1;
	for (i = 0; i < n; i++)
		if (cols[i] >= 0)
			run[cols[i]] = 1;
	for (i = ncols; i < nrun; i++)
		run[i] = nrun - i >= MIN_SKIP ? SKIP_REST : nrun - i;
	for (i = ncols; i-- > 0;)
		run[i] = run[i] ? 0 : run[i + 1] + 1;
	free(r->run);
	free(r->kept);
	free(r->blank);
	r->run = run;
	r->nrun = nrun;
	r->kept = kept;
	r->blank = blank;
	r->blocks = 0;
	for (i = 0; i < nrun; i++) {
		if (run[i] == 0)
			kept[k++] = i;
		else if (run[i] < MIN_SKIP)
			blank[b++] = i;
		else
			r->blocks = 1;
	}
	r->nkept = k;
	r->nblank = b;
	for (i = 0; i < r->fcap; i++) {
		if (i < nrun && run[i] == 0)
			continue;
		r->f[i].p = empty;
		r->f[i].n = 0;
		r->fq[i] = 0;
	}
	r->skip = pick_skip();
	if (r->walk)
		r->walk = pick_walk(1);
	return 0;
}

long bp_csv_line(const bp_csv *r)
{
	return r->rec_line;
}

long bp_csv_next_line(const bp_csv *r)
{
	return r->line;
}

int bp_csv_ended_line(const bp_csv *r)
{
	return r->rec_eol;
}

long bp_csv_col(const bp_csv *r, size_t i)
{
	const char *p, *e;
	long col = 1;

	if (i >= r->nf || skip_run(r, i))
		return 0;
	p = r->buf + r->rec;
	e = r->f[i].p - (r->fq[i] & Q_QUOTED);
	for (; p < e; p++)
		col += ((unsigned char)*p & 0xC0) != 0x80;
	return col;
}

char bp_csv_delimiter(const bp_csv *r)
{
	return r->delim;
}

unsigned long long bp_csv_bytes(const bp_csv *r)
{
	/* Read from the file, less what waits in the buffer: what the records
	 * so far took.  UTF-16 is decoded on the way, so there the buffer's
	 * share is only an estimate. */
	unsigned long long waiting = r->end - r->pos;

	if (r->enc != ENC_UTF8)
		waiting *= 2;
	return waiting < r->nbytes ? r->nbytes - waiting : 0;
}

void bp_csv_put(FILE *out, const char *s, char sep)
{
	if (s && strpbrk(s, ",\"\r\n")) {
		fputc('"', out);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s, out);
		}
		fputc('"', out);
	} else if (s) {
		fputs(s, out);
	}
	fputc(sep, out);
}
