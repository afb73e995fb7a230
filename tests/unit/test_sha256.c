/*
 * test_sha256.c - SHA-256 against the FIPS 180-2 example vectors and
 * against the system's sha256sum.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sha256.h"
#include "testlib.h"

static void hex_of(const unsigned char md[32], char out[65])
{
	int i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void digest_of(const void *data, size_t n, char out[65])
{
	bp_sha256 c;
	unsigned char md[32];

	bp_sha256_init(&c);
	bp_sha256_update(&c, data, n);
	bp_sha256_final(&c, md);
	hex_of(md, out);
}

/* The digest `sha256sum` prints for `path`: the independent oracle. */
static void sha256sum_of(const char *path, char out[65])
{
	int status;
	char *said = tl_run(&status, "sha256sum '%s'", path);

	assert_int_equal(sscanf(said, "%64s", out), 1);
	assert_int_equal(status, 0);
	free(said);
}

/* Writes `n` bytes of `data` to a fresh temporary file; caller unlinks. */
static void write_temp(char path[64], const void *data, size_t n)
{
	FILE *f;

	strcpy(path, "/tmp/bp-sha256-XXXXXX");
	f = tl_tmpfile(path);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void test_sha256_abc(void **state)
{
	char hex[65];

	(void)state;
	digest_of("abc", 3, hex);
	assert_string_equal(hex,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_sha256_448_bit_message_needs_two_blocks(void **state)
{
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[65];

	(void)state;
	digest_of(m, strlen(m), hex);
	assert_string_equal(hex,
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_one_million_a(void **state)
{
	char *m = malloc(1000000), hex[65];

	(void)state;
	assert_non_null(m);
	memset(m, 'a', 1000000);
	digest_of(m, 1000000, hex);
	free(m);
	assert_string_equal(hex,
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256_empty_message(void **state)
{
	char hex[65];

	(void)state;
	digest_of("", 0, hex);
	assert_string_equal(hex,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* Feeding the million 'a's in odd-sized pieces crosses block boundaries
 * at every offset; the digest must not change. */
static void test_sha256_odd_sized_pieces_give_same_digest(void **state)
{
	static const size_t sizes[] = { 1, 3, 7, 13, 55, 56, 63, 64, 65, 127, 1000 };
	char *m = malloc(1000000), hex[65];
	unsigned char md[32];
	bp_sha256 c;
	size_t off = 0, k = 0, n;

	(void)state;
	assert_non_null(m);
	memset(m, 'a', 1000000);
	bp_sha256_init(&c);
	while (off < 1000000) {
		n = sizes[k++ % (sizeof(sizes) / sizeof(sizes[0]))];
		if (n > 1000000 - off)
			n = 1000000 - off;
		bp_sha256_update(&c, m + off, n);
		off += n;
	}
	bp_sha256_final(&c, md);
	free(m);
	hex_of(md, hex);
	assert_string_equal(hex,
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Messages whose padding lands right at, or just past, the 56-byte mark
 * where the length no longer fits in the last block. */
static void test_sha256_padding_boundaries_match_sha256sum(void **state)
{
	static const size_t lens[] = { 55, 56, 57, 63, 64, 65, 119, 120 };
	unsigned char *data = tl_pseudo_random(200);
	char path[64], want[65], got[65];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		write_temp(path, data, lens[i]);
		sha256sum_of(path, want);
		unlink(path);
		digest_of(data, lens[i], got);
		assert_string_equal(got, want);
	}
	free(data);
}

/* Larger than bp_sha256_file's read buffer, and not a multiple of 64. */
static void test_sha256_file_matches_sha256sum(void **state)
{
	size_t n = 300001;
	unsigned char *data = tl_pseudo_random(n);
	char path[64], want[65], got[65];

	(void)state;
	write_temp(path, data, n);
	free(data);
	sha256sum_of(path, want);
	assert_int_equal(bp_sha256_file(path, got), 0);
	unlink(path);
	assert_string_equal(got, want);
}

static void test_sha256_file_missing_sets_errno(void **state)
{
	char hex[65];

	(void)state;
	errno = 0;
	assert_int_equal(bp_sha256_file("/nonexistent/bp-sha256", hex), -1);
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_abc),
		cmocka_unit_test(test_sha256_448_bit_message_needs_two_blocks),
		cmocka_unit_test(test_sha256_one_million_a),
		cmocka_unit_test(test_sha256_empty_message),
		cmocka_unit_test(test_sha256_odd_sized_pieces_give_same_digest),
		cmocka_unit_test(test_sha256_padding_boundaries_match_sha256sum),
		cmocka_unit_test(test_sha256_file_matches_sha256sum),
		cmocka_unit_test(test_sha256_file_missing_sets_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
