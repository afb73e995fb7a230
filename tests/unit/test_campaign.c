/*
 * test_campaign.c - the bounded campaign table: names meet across
 * sources with case and spaces aside, and hostile exports cost a fixed
 * amount of memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "campaign.h"

static void test_campaign_names_meet_case_and_spaces_aside(void **state)
{
	bp_campaigns *c = bp_campaigns_new();
	bp_campaign *a, *b;
	size_t n;

	(void)state;
	a = bp_campaigns_get(c, 1, "  Brand KR\t", 11);
	assert_non_null(a);
	assert_string_equal(a->name, "Brand KR");
	b = bp_campaigns_get(c, 1, "brand kr", 8);
	assert_ptr_equal(a, b);
	/* Another channel, another campaign; non-ASCII letters are compared
	 * as they are. */
	assert_ptr_not_equal(bp_campaigns_get(c, 2, "Brand KR", 8), a);
	assert_non_null(bp_campaigns_get(c, 1, "\xc3\x89t\xc3\xa9", 5));
	assert_ptr_not_equal(bp_campaigns_get(c, 1, "\xc3\xa9t\xc3\xa9", 5),
			     bp_campaigns_get(c, 1, "\xc3\x89t\xc3\xa9", 5));
	assert_null(bp_campaigns_get(c, 1, "   ", 3));
	bp_campaigns_list(c, &n);
	assert_int_equal(n, 4);
	assert_int_equal(bp_campaigns_folded(c), 0);
	bp_campaigns_free(c);
}

static void test_campaign_table_is_bounded(void **state)
{
	bp_campaigns *c = bp_campaigns_new();
	char name[BP_CAMPAIGN_NAME_MAX + 2];
	size_t n;
	int i;

	(void)state;
	for (i = 0; i < BP_CAMPAIGNS_MAX + 50; i++) {
		int len = snprintf(name, sizeof(name), "campaign %d", i);
		bp_campaign *k = bp_campaigns_get(c, 0, name, (size_t)len);

		if (i < BP_CAMPAIGNS_MAX)
			assert_non_null(k);
		else
			assert_null(k);
	}
	/* A name already kept is still found when the table is full. */
	assert_non_null(bp_campaigns_get(c, 0, "campaign 7", 10));
	memset(name, 'x', sizeof(name));
	assert_null(bp_campaigns_get(c, 0, name, BP_CAMPAIGN_NAME_MAX + 1));
	bp_campaigns_list(c, &n);
	assert_int_equal(n, BP_CAMPAIGNS_MAX);
	assert_int_equal(bp_campaigns_folded(c), 51);
	bp_campaigns_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_campaign_names_meet_case_and_spaces_aside),
		cmocka_unit_test(test_campaign_table_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
