/*
 * test_idx.c - the record-ID index.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "idx.h"

static void put(bp_idx *ix, const char *id, uint32_t v, int want)
{
	assert_int_equal(bp_idx_put(ix, id, strlen(id), v, NULL), want);
}

static uint32_t get(const bp_idx *ix, const char *id)
{
	uint32_t v = 0xDEAD;

	assert_int_equal(bp_idx_get(ix, id, strlen(id), &v), 1);
	return v;
}

static void test_idx_numeric_and_string_ids_are_distinct(void **state)
{
	bp_idx *ix = bp_idx_new();
	uint32_t v;

	(void)state;
	put(ix, "7", 1, 1);
	put(ix, "007", 2, 1);   /* a leading zero makes it a different ID */
	put(ix, "abc-7", 3, 1);
	put(ix, "0", 4, 1);
	assert_int_equal(get(ix, "7"), 1);
	assert_int_equal(get(ix, "007"), 2);
	assert_int_equal(get(ix, "abc-7"), 3);
	assert_int_equal(get(ix, "0"), 4);
	assert_int_equal(bp_idx_get(ix, "8", 1, &v), 0);
	assert_int_equal(bp_idx_get(ix, "abc", 3, &v), 0);
	assert_int_equal(bp_idx_count(ix), 4);
	bp_idx_free(ix);
}

static void test_idx_duplicate_keeps_first_value(void **state)
{
	bp_idx *ix = bp_idx_new();
	uint32_t old = 0;

	(void)state;
	put(ix, "123456789012", 5, 1);
	assert_int_equal(bp_idx_put(ix, "123456789012", 12, 9, &old), 0);
	assert_int_equal(old, 5);
	assert_int_equal(get(ix, "123456789012"), 5);
	put(ix, "x1", 6, 1);
	assert_int_equal(bp_idx_put(ix, "x1", 2, 9, &old), 0);
	assert_int_equal(old, 6);
	bp_idx_free(ix);
}

static void test_idx_twenty_digit_id_is_a_string(void **state)
{
	bp_idx *ix = bp_idx_new();

	(void)state;
	/* 20 digits overflow 64 bits: kept as text, not wrapped around. */
	put(ix, "18446744073709551617", 1, 1);
	put(ix, "1", 2, 1);
	assert_int_equal(get(ix, "18446744073709551617"), 1);
	assert_int_equal(get(ix, "1"), 2);
	bp_idx_free(ix);
}

static void test_idx_survives_growth(void **state)
{
	bp_idx *ix = bp_idx_new();
	char id[32];
	uint32_t i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		snprintf(id, sizeof(id), i % 2 ? "%u" : "c-%u", i * 7919u);
		put(ix, id, i, 1);
	}
	for (i = 0; i < 100000; i++) {
		snprintf(id, sizeof(id), i % 2 ? "%u" : "c-%u", i * 7919u);
		assert_int_equal(get(ix, id), i);
	}
	assert_int_equal(bp_idx_count(ix), 100000);
	bp_idx_free(ix);
}

static void test_idx_reserve_avoids_rehash(void **state)
{
	bp_idx *ix = bp_idx_new();
	char id[32];
	size_t bytes;
	uint32_t i;

	(void)state;
	put(ix, "1", 1, 1);
	assert_int_equal(bp_idx_reserve(ix, 50000), 0);
	bytes = bp_idx_bytes(ix);
	assert_true(bytes >= (size_t)50000 * 16 * 10 / 7);
	for (i = 2; i <= 50000; i++) {
		snprintf(id, sizeof(id), "%u", i);
		put(ix, id, i, 1);
	}
	assert_int_equal(bp_idx_bytes(ix), bytes);
	assert_int_equal(get(ix, "1"), 1);
	assert_int_equal(get(ix, "50000"), 50000);
	bp_idx_free(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idx_numeric_and_string_ids_are_distinct),
		cmocka_unit_test(test_idx_duplicate_keeps_first_value),
		cmocka_unit_test(test_idx_twenty_digit_id_is_a_string),
		cmocka_unit_test(test_idx_survives_growth),
		cmocka_unit_test(test_idx_reserve_avoids_rehash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
