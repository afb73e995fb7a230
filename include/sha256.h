/*
 * sha256.h - SHA-256 (FIPS 180-4), for snapshot manifests (libcrypto's).
 */
#ifndef BP_SHA256_H
#define BP_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct evp_md_ctx_st;

/* A digest under way.  bp_sha256_init never fails (without memory, or
 * without a working libcrypto, the process ends with a message);
 * bp_sha256_final ends it, and with `out` NULL abandons it. */
typedef struct bp_sha256 {
	struct evp_md_ctx_st *ctx;
} bp_sha256;

void bp_sha256_init(bp_sha256 *c);
void bp_sha256_update(bp_sha256 *c, const void *data, size_t n);
void bp_sha256_final(bp_sha256 *c, unsigned char out[32]);
/* bp_sha256_final, as 64 lowercase hex digits plus NUL. */
void bp_sha256_final_hex(bp_sha256 *c, char hex[65]);

/* Digest of a whole file as 64 lowercase hex digits plus NUL.  Returns 0,
 * or -1 with errno set when the file cannot be read. */
int bp_sha256_file(const char *path, char hex[65]);

/* Digest of everything read from `fd` from its current offset to the end
 * of file, as for bp_sha256_file.  Does not close `fd`.  Returns 0, or -1
 * with errno set on a read error. */
int bp_sha256_fd(int fd, char hex[65]);

/* CPU seconds per byte that hashing takes on this machine, measured once
 * per process (a millisecond or so); 0 when the clock cannot tell. */
double bp_sha256_cost(void);

#endif
