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
	/* The values first: numbering new ones is no rehash. */
	for (i = 1; i <= 60; i++) {
		snprintf(id, sizeof(id), "%u", i);
		put(ix, id, i % 60, 1);
	}
	assert_int_equal(bp_idx_reserve(ix, 50000), 0);
	bytes = bp_idx_bytes(ix);
	/* Numbers below 2^40: 8-byte slots, at most 70% full. */
	assert_true(bytes >= (size_t)50000 * 8 * 10 / 7);
	/* Few values, as contacts have (a cohort and a channel each). */
	for (i = 61; i <= 50000; i++) {
		snprintf(id, sizeof(id), "%u", i);
		put(ix, id, i % 60, 1);
	}
	assert_int_equal(bp_idx_bytes(ix), bytes);
	assert_int_equal(get(ix, "1"), 1);
	assert_int_equal(get(ix, "50000"), 50000 % 60);
	bp_idx_free(ix);
}

/* Past the values small slots can number, IDs go on into the large
 * ones: every ID still found once, with its value, duplicates refused in
 * either table, and a chained table sees them all. */
static void test_idx_values_past_the_limit_spill(void **state)
{
	bp_idx *ix = bp_idx_new(), *top = bp_idx_new();
	char id[32];
	uint32_t i, old;

	(void)state;
	bp_idx_set_value_limit(ix, 5);
	for (i = 1; i <= 2000; i++) {
		snprintf(id, sizeof(id), "%u", i * 977u);
		put(ix, id, i % 3 == 0 ? 7 : i, 1);
	}
	for (i = 1; i <= 2000; i++) {
		snprintf(id, sizeof(id), "%u", i * 977u);
		assert_int_equal(get(ix, id), i % 3 == 0 ? 7 : i);
		old = 0;
		assert_int_equal(bp_idx_put(ix, id, strlen(id), 99, &old), 0);
		assert_int_equal(old, i % 3 == 0 ? 7 : i);
	}
	put(ix, "1099511627775", 3, 1);      /* 2^40 - 1: a large slot's */
	assert_int_equal(get(ix, "1099511627775"), 3);
	assert_int_equal(bp_idx_count(ix), 2001);
	bp_idx_chain(top, ix);
	snprintf(id, sizeof(id), "%u", 1000 * 977u);
	assert_int_equal(bp_idx_put(top, id, strlen(id), 1, &old), 0);
	assert_int_equal(old, 1000);
	assert_int_equal(bp_idx_disjoint(top, ix), 0);
	put(top, "5", 1, 1);
	assert_int_equal(bp_idx_count(top), 2002);
	bp_idx_free(top);
}

/* Tables read in parts: disjoint until an ID of one, small or large,
 * numeric or not, is in the other. */
static void test_idx_disjoint_over_both_tables(void **state)
{
	bp_idx *a = bp_idx_new(), *b = bp_idx_new();
	char id[32];
	uint32_t i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), i % 3 == 0 ? "a-%u" : i % 3 == 1 ? "%u" :
			 "%u0000000000000", i);
		put(a, id, i % 10, 1);
		snprintf(id, sizeof(id), i % 3 == 0 ? "b-%u" : i % 3 == 1 ? "%u" :
			 "%u0000000000000", i + 100000);
		put(b, id, i % 10, 1);
	}
	assert_int_equal(bp_idx_disjoint(a, b), 1);
	put(b, "a-2997", 1, 1);
	assert_int_equal(bp_idx_disjoint(a, b), 0);
	bp_idx_free(b);
	b = bp_idx_new();
	put(b, "1000", 1, 1);                 /* a's small "1000"? no: 1000 % 3 == 1 */
	assert_int_equal(bp_idx_disjoint(a, b), 0);
	bp_idx_free(b);
	b = bp_idx_new();
	put(b, "20000000000000", 1, 1);       /* a's large numeric "2" + 13 zeros */
	assert_int_equal(bp_idx_disjoint(a, b), 0);
	bp_idx_free(a);
	bp_idx_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idx_numeric_and_string_ids_are_distinct),
		cmocka_unit_test(test_idx_duplicate_keeps_first_value),
		cmocka_unit_test(test_idx_twenty_digit_id_is_a_string),
		cmocka_unit_test(test_idx_survives_growth),
		cmocka_unit_test(test_idx_reserve_avoids_rehash),
		cmocka_unit_test(test_idx_values_past_the_limit_spill),
		cmocka_unit_test(test_idx_disjoint_over_both_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
