/*
 * sha256.c - SHA-256 as specified in FIPS 180-4, for snapshot manifests.
 *
 * A snapshot hashes every export it keeps, a large CRM export included,
 * so on x86-64 CPUs with the SHA extensions the compression runs on
 * them (several times faster); elsewhere, or when a test asks, on the
 * portable code.  Both are checked against FIPS 180-4's test vectors.
 */
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHA_NI 1
#endif

/* FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of
 * the cube roots of the first 64 primes. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static uint32_t rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* One 512-bit block, FIPS 180-4 section 6.2.2. */
static void compress(uint32_t h[8], const unsigned char block[64])
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(block + 4 * i);
	for (; i < 64; i++) {
		uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 64; i++) {
		/* Named registers rather than an array shifted each round: the
		 * shift was a memmove call per round, most of the time spent. */
		t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +
		     ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

#ifdef HAVE_SHA_NI
static int cpu_has_sha(void)
{
	unsigned a, b, c, d;

	/* CPUID leaf 7: EBX bit 29 is SHA; SSE4.1 (leaf 1 ECX bit 19) and
	 * SSSE3 (bit 9) are used too. */
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 29)))
		return 0;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	return (c & (1u << 19)) && (c & (1u << 9));
}

/* The compression on the SHA extensions.  The state is kept as the
 * instructions want it: (a, b, e, f) and (c, d, g, h).  Each group of
 * four rounds takes one vector of the message schedule; from the fifth
 * group on, that vector is made from the four before it. */
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_hw(uint32_t h[8], const unsigned char *p, size_t blocks)
{
	const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
					    0x0405060700010203LL);
	__m128i t = _mm_loadu_si128((const __m128i *)&h[0]);      /* a b c d */
	__m128i s1 = _mm_loadu_si128((const __m128i *)&h[4]);     /* e f g h */
	__m128i s0;

	t = _mm_shuffle_epi32(t, 0xB1);          /* b a d c */
	s1 = _mm_shuffle_epi32(s1, 0x1B);        /* h g f e */
	s0 = _mm_alignr_epi8(t, s1, 8);          /* f e b a */
	s1 = _mm_blend_epi16(s1, t, 0xF0);       /* h g d c */
	for (; blocks; blocks--, p += 64) {
		__m128i save0 = s0, save1 = s1, m[4], w, msg;
		int g;

		for (g = 0; g < 4; g++)
			m[g] = _mm_shuffle_epi8(_mm_loadu_si128(
					(const __m128i *)(p + 16 * g)), swap);
		for (g = 0; g < 16; g++) {
			if (g < 4) {
				w = m[g];
			} else {
				w = _mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]);
				w = _mm_add_epi32(w, _mm_alignr_epi8(m[(g + 3) & 3],
								     m[(g + 2) & 3], 4));
				w = _mm_sha256msg2_epu32(w, m[(g + 3) & 3]);
				m[g & 3] = w;
			}
			msg = _mm_add_epi32(w, _mm_loadu_si128(
					(const __m128i *)&K[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
			msg = _mm_shuffle_epi32(msg, 0x0E);
			s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	t = _mm_shuffle_epi32(s0, 0x1B);         /* a b e f */
	s1 = _mm_shuffle_epi32(s1, 0xB1);        /* g h c d */
	s0 = _mm_blend_epi16(t, s1, 0xF0);       /* a b c d */
	s1 = _mm_alignr_epi8(s1, t, 8);          /* e f g h */
	_mm_storeu_si128((__m128i *)&h[0], s0);
	_mm_storeu_si128((__m128i *)&h[4], s1);
}
#endif

static void compress_blocks(bp_sha256 *c, const unsigned char *p,
			    size_t blocks)
{
#ifdef HAVE_SHA_NI
	if (c->hw) {
		compress_hw(c->h, p, blocks);
		return;
	}
#endif
	for (; blocks; blocks--, p += 64)
		compress(c->h, p);
}

void bp_sha256_init(bp_sha256 *c)
{
	/* FIPS 180-4 section 5.3.3. */
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
	};

	memcpy(c->h, h0, sizeof(h0));
	c->len = 0;
	c->n = 0;
#ifdef HAVE_SHA_NI
	c->hw = cpu_has_sha();
#else
	c->hw = 0;
#endif
}

void bp_sha256_update(bp_sha256 *c, const void *data, size_t n)
{
	const unsigned char *p = data;

	c->len += n;
	if (c->n) {
		size_t take = 64 - c->n < n ? 64 - c->n : n;
		memcpy(c->buf + c->n, p, take);
		c->n += take;
		p += take;
		n -= take;
		if (c->n < 64)
			return;
		compress_blocks(c, c->buf, 1);
		c->n = 0;
	}
	compress_blocks(c, p, n / 64);
	p += n / 64 * 64;
	n %= 64;
	memcpy(c->buf, p, n);
	c->n = n;
}

/* Pads per FIPS 180-4 section 5.1.1: a 1 bit, zeros, the length in bits. */
void bp_sha256_final(bp_sha256 *c, unsigned char out[32])
{
	uint64_t bits = c->len * 8;
	int i;

	c->buf[c->n++] = 0x80;
	if (c->n > 56) {
		memset(c->buf + c->n, 0, 64 - c->n);
		compress_blocks(c, c->buf, 1);
		c->n = 0;
	}
	memset(c->buf + c->n, 0, 56 - c->n);
	for (i = 0; i < 8; i++)
		c->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	compress_blocks(c, c->buf, 1);
	for (i = 0; i < 8; i++)
		store_be32(out + 4 * i, c->h[i]);
	memset(c, 0, sizeof(*c));
}

int bp_sha256_fd(int fd, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char buf[65536], md[32];
	bp_sha256 c;
	ssize_t got;
	int i;

	bp_sha256_init(&c);
	while ((got = read(fd, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		bp_sha256_update(&c, buf, (size_t)got);
	}
	bp_sha256_final(&c, md);
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	return 0;
}

int bp_sha256_file(const char *path, char hex[65])
{
	int fd, rc, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = bp_sha256_fd(fd, hex);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
