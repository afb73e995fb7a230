/*
 * sha256.c - SHA-256 for snapshot manifests, computed by OpenSSL's
 * libcrypto.
 *
 * A snapshot hashes every export it keeps, a large CRM export included,
 * so the digest's speed is part of every run's: libcrypto picks the
 * fastest code the CPU allows (the SHA extensions, AVX2), about half
 * again as fast as the compression boardpack used to carry.
 */
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "log.h"
#include "mem.h"

/* libcrypto fails here only when it has no SHA-256 at all (a broken
 * installation) or no memory. */
_Noreturn static void no_digest(void)
{
	static const char msg[] = "boardpack: error: libcrypto cannot compute "
				  "SHA-256 (is OpenSSL installed whole?)\n";

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more can be said */
	}
	_exit(BP_ESOFTWARE);
}

void bp_sha256_init(bp_sha256 *c)
{
	c->ctx = EVP_MD_CTX_new();
	if (!c->ctx)
		bp_oom();
	if (EVP_DigestInit_ex(c->ctx, EVP_sha256(), NULL) != 1)
		no_digest();
}

void bp_sha256_update(bp_sha256 *c, const void *data, size_t n)
{
	if (n && EVP_DigestUpdate(c->ctx, data, n) != 1)
		no_digest();
}

void bp_sha256_final(bp_sha256 *c, unsigned char out[32])
{
	unsigned int len = 0;

	if (out && (EVP_DigestFinal_ex(c->ctx, out, &len) != 1 || len != 32))
		no_digest();
	EVP_MD_CTX_free(c->ctx);
	c->ctx = NULL;
}

void bp_sha256_final_hex(bp_sha256 *c, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	int i;

	bp_sha256_final(c, md);
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

int bp_sha256_fd(int fd, char hex[65])
{
	unsigned char buf[65536];
	bp_sha256 c;
	ssize_t got;
	int e;

	bp_sha256_init(&c);
	while ((got = read(fd, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			e = errno;
			bp_sha256_final(&c, NULL);
			errno = e;
			return -1;
		}
		bp_sha256_update(&c, buf, (size_t)got);
	}
	bp_sha256_final_hex(&c, hex);
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

static double cost_per_byte;
static pthread_once_t cost_once = PTHREAD_ONCE_INIT;

/* 1 MiB hashed twice, the faster time kept: the first pass also pays
 * for the buffer's first touch. */
static void measure_cost(void)
{
	enum { N = 1 << 20 };
	unsigned char *buf = bp_xcalloc(1, N), out[32];
	double best = 0;
	int k;

	for (k = 0; k < 2; k++) {
		bp_sha256 c;
		double t = bp_thread_cpu();

		bp_sha256_init(&c);
		bp_sha256_update(&c, buf, N);
		bp_sha256_final(&c, out);
		t = bp_thread_cpu() - t;
		if (k == 0 || t < best)
			best = t;
	}
	free(buf);
	cost_per_byte = best / N;
}

double bp_sha256_cost(void)
{
	pthread_once(&cost_once, measure_cost);
	return cost_per_byte;
}
