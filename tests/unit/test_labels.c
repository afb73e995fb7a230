/*
 * test_labels.c - the label tables: a language, its base language and
 * English, in that order; broken files named; white space collapsed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "labels.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/bp-labels-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_table(const char *lang, const char *body)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.xml", dir, lang);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(body, fp);
	fclose(fp);
}

static void test_labels_region_then_base_then_english(void **state)
{
	bp_err err = {0};
	bp_labels *l;

	(void)state;
	write_table("en", "<labels><label key='a'>A</label><label key='b'>B</label>"
		    "<label key='c'>C</label></labels>");
	write_table("zh", "<labels><label key='a'>zh-a</label><label key='b'>zh-b</label></labels>");
	write_table("zh-TW", "<labels><label key='a'>tw-a</label></labels>");
	l = bp_labels_load(dir, "zh-TW", &err);
	assert_non_null(l);
	assert_string_equal(bp_labels_get(l, "a"), "tw-a");
	assert_string_equal(bp_labels_get(l, "b"), "zh-b");
	assert_string_equal(bp_labels_get(l, "c"), "C");
	assert_null(bp_labels_get(l, "d"));
	/* English stays reachable, to recognise a default channel label */
	assert_string_equal(bp_labels_english(l, "a"), "A");
	assert_true(bp_labels_have_language(l));
	bp_labels_free(l);
}

static void test_labels_english_alone(void **state)
{
	bp_err err = {0};
	bp_labels *l;

	(void)state;
	write_table("en", "<labels><label key='a'>A</label></labels>");
	l = bp_labels_load(dir, "en", &err);
	assert_string_equal(bp_labels_get(l, "a"), "A");
	assert_string_equal(bp_labels_english(l, "a"), "A");
	assert_true(bp_labels_have_language(l));
	bp_labels_free(l);
	/* NULL and "" mean English */
	l = bp_labels_load(dir, NULL, &err);
	assert_string_equal(bp_labels_get(l, "a"), "A");
	bp_labels_free(l);
}

static void test_labels_missing_language_falls_back(void **state)
{
	bp_err err = {0};
	bp_labels *l;

	(void)state;
	write_table("en", "<labels><label key='a'>A</label></labels>");
	l = bp_labels_load(dir, "fr", &err);
	assert_non_null(l);
	assert_string_equal(bp_labels_get(l, "a"), "A");
	assert_false(bp_labels_have_language(l));
	bp_labels_free(l);
}

static void test_labels_no_tables_is_empty_not_error(void **state)
{
	bp_err err = {0};
	char empty[96];
	bp_labels *l;

	(void)state;
	snprintf(empty, sizeof(empty), "%s/none", dir);
	l = bp_labels_load(empty, "ko", &err);
	assert_non_null(l);
	assert_null(bp_labels_get(l, "a"));
	bp_labels_free(l);
	bp_labels_free(NULL);
}

static void test_labels_white_space_collapsed_ends_kept(void **state)
{
	bp_err err = {0};
	bp_labels *l;

	(void)state;
	write_table("en", "<labels><label key='sep'>; </label>"
		    "<label key='long'>one\n      two   three</label></labels>");
	l = bp_labels_load(dir, "en", &err);
	assert_string_equal(bp_labels_get(l, "sep"), "; ");
	assert_string_equal(bp_labels_get(l, "long"), "one two three");
	bp_labels_free(l);
}

static void test_labels_broken_file_named(void **state)
{
	bp_err err = {0};

	(void)state;
	write_table("en", "<labels>\n<label key='a'>A</label>\n<label key='b'>B</labels>");
	assert_null(bp_labels_load(dir, "en", &err));
	assert_int_equal(err.code, BP_ECONFIG);
	assert_non_null(strstr(err.file, "/en.xml"));
	assert_int_equal(err.line, 3);
}

static void test_labels_wrong_root_and_missing_key_refused(void **state)
{
	bp_err err = {0};

	(void)state;
	write_table("en", "<words><label key='a'>A</label></words>");
	assert_null(bp_labels_load(dir, "en", &err));
	assert_non_null(strstr(err.msg, "<labels>"));
	write_table("en", "<labels>\n<label>A</label></labels>");
	memset(&err, 0, sizeof(err));
	assert_null(bp_labels_load(dir, "en", &err));
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "without a key"));
}

/* The shipped tables parse and say the same key in their languages. */
static void test_labels_shipped_tables_load(void **state)
{
	const char *src = getenv("BP_SRCDIR") ? getenv("BP_SRCDIR") : ".";
	char path[512];
	bp_err err = {0};
	bp_labels *l;

	(void)state;
	snprintf(path, sizeof(path), "%s/templates/labels", src);
	l = bp_labels_load(path, "ko", &err);
	assert_non_null(l);
	assert_string_equal(bp_labels_get(l, "new_leads"), "\xec\x8b\xa0\xea\xb7\x9c \xeb\xa6\xac\xeb\x93\x9c");
	assert_string_equal(bp_labels_english(l, "new_leads"), "New leads");
	bp_labels_free(l);
	l = bp_labels_load(path, "zh-TW", &err);
	assert_non_null(l);
	assert_true(bp_labels_have_language(l));
	assert_string_equal(bp_labels_get(l, "channel.paid_search"), "\xe4\xbb\x98\xe8\xb2\xbb\xe6\x90\x9c\xe5\xb0\x8b");
	bp_labels_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels_region_then_base_then_english),
		cmocka_unit_test(test_labels_english_alone),
		cmocka_unit_test(test_labels_missing_language_falls_back),
		cmocka_unit_test(test_labels_no_tables_is_empty_not_error),
		cmocka_unit_test(test_labels_white_space_collapsed_ends_kept),
		cmocka_unit_test(test_labels_broken_file_named),
		cmocka_unit_test(test_labels_wrong_root_and_missing_key_refused),
		cmocka_unit_test(test_labels_shipped_tables_load),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
