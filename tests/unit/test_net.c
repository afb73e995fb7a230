/*
 * test_net.c - what every network client shares: credentials from the
 * environment and the retry delays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net.h"

static void test_net_env_value_returned(void **state)
{
	bp_err err = { 0 };

	(void)state;
	setenv("BP_TEST_NET_TOKEN", "tok-123", 1);
	assert_string_equal(bp_net_env("BP_TEST_NET_TOKEN", "token-env of "
				       "source 'crm'", &err), "tok-123");
}

static void test_net_env_unset_named(void **state)
{
	bp_err err = { 0 };

	(void)state;
	unsetenv("BP_TEST_NET_UNSET");
	assert_null(bp_net_env("BP_TEST_NET_UNSET", "token-env of source 'crm'",
			       &err));
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.msg, "environment variable 'BP_TEST_NET_UNSET' "
			    "(token-env of source 'crm') is not set");
}

/* Set but empty is a different mistake from unset: say which. */
static void test_net_env_empty_named(void **state)
{
	bp_err err = { 0 };

	(void)state;
	setenv("BP_TEST_NET_EMPTY", "", 1);
	assert_null(bp_net_env("BP_TEST_NET_EMPTY", "token-env of source 'crm'",
			       &err));
	assert_int_equal(err.code, BP_ECONFIG);
	assert_string_equal(err.msg, "environment variable 'BP_TEST_NET_EMPTY' "
			    "(token-env of source 'crm') is empty");
}

/* A token with a CR would end its Authorization header early. */
static void test_net_env_control_character_refused(void **state)
{
	static const char *const bad[] = { "tok\r\nX-Injected: 1", "tok\r",
					   "to\tk", "tok\x7f" };
	bp_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bp_err_clear(&err);
		setenv("BP_TEST_NET_BAD", bad[i], 1);
		assert_null(bp_net_env("BP_TEST_NET_BAD", "password-env of <email>",
				       &err));
		assert_int_equal(err.code, BP_ECONFIG);
		assert_string_equal(err.msg, "environment variable 'BP_TEST_NET_BAD' "
				    "(password-env of <email>) holds a line break "
				    "or another control character");
	}
}

static void test_net_backoff_doubles_up_to_the_cap(void **state)
{
	(void)state;
	assert_int_equal(bp_net_backoff_ms(1000, 1), 1000);
	assert_int_equal(bp_net_backoff_ms(1000, 3), 4000);
	assert_int_equal(bp_net_backoff_ms(1000, 40), BP_NET_BACKOFF_CAP_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_env_value_returned),
		cmocka_unit_test(test_net_env_unset_named),
		cmocka_unit_test(test_net_env_empty_named),
		cmocka_unit_test(test_net_env_control_character_refused),
		cmocka_unit_test(test_net_backoff_doubles_up_to_the_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
