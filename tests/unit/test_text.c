/*
 * test_text.c - text from exports made fit for XML: what each kind of bad
 * byte becomes, where a long text is cut, and that every result is
 * accepted by libxml2's own parser (the oracle for "well-formed").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "text.h"

/* Cleans s (n bytes) with no length limit and checks the result and the
 * flags. */
static void expect_clean(const char *s, size_t n, const char *want,
			 unsigned want_flags)
{
	unsigned flags = 99;
	char *out = bp_text_dup(s, n, BP_TEXT_UNLIMITED, &flags);

	assert_string_equal(out, want);
	assert_int_equal(flags, want_flags);
	assert_int_equal(bp_text_ok(s, n), want_flags == 0);
	free(out);
}

/* 1 when libxml2 parses <v a="TEXT">TEXT</v> built by its own tree API
 * and saved: what metrics.xml goes through. */
static int survives_xml(const char *text)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0"), back;
	xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "v");
	xmlChar *mem = NULL;
	int len = 0, ok;

	xmlDocSetRootElement(doc, root);
	xmlNewProp(root, BAD_CAST "a", BAD_CAST text);
	xmlNodeAddContent(root, BAD_CAST text);
	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	back = xmlReadMemory((char *)mem, len, "v.xml", NULL,
			     XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	ok = back != NULL;
	xmlFreeDoc(back);
	xmlFree(mem);
	xmlFreeDoc(doc);
	return ok;
}

static void test_text_valid_utf8_kept_as_it_is(void **state)
{
	static const char s[] = "Paid search \xEC\x9C\xA0\xEB\xA3\x8C \xF0\x9F\x93\x88 tab\there\nnext";

	(void)state;
	expect_clean(s, sizeof(s) - 1, s, 0);
	expect_clean("", 0, "", 0);
}

static void test_text_control_characters_become_visible_symbols(void **state)
{
	(void)state;
	/* U+0001 -> U+2401, U+001B -> U+241B, NUL -> U+2400, DEL -> U+2421 */
	expect_clean("Pod\x01" "cast", 8, "Pod\xE2\x90\x81" "cast", BP_TEXT_FIXED);
	expect_clean("\x1B[31m", 5, "\xE2\x90\x9B[31m", BP_TEXT_FIXED);
	expect_clean("a\0b", 3, "a\xE2\x90\x80" "b", BP_TEXT_FIXED);
	expect_clean("x\x7Fy", 3, "x\xE2\x90\xA1y", BP_TEXT_FIXED);
	/* A C1 control (U+0085, well-formed UTF-8) and U+FFFE: U+FFFD. */
	expect_clean("a\xC2\x85" "b", 4, "a\xEF\xBF\xBD" "b", BP_TEXT_FIXED);
	expect_clean("\xEF\xBF\xBE", 3, "\xEF\xBF\xBD", BP_TEXT_FIXED);
}

static void test_text_invalid_utf8_becomes_replacement_character(void **state)
{
	static const struct { const char *in; size_t n; const char *out; } cases[] = {
		{ "caf\xE9", 4, "caf\xEF\xBF\xBD" },                 /* Latin-1 */
		{ "\x80x", 2, "\xEF\xBF\xBDx" },                     /* stray continuation */
		{ "\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD" },       /* overlong '/' */
		{ "\xE0\x80\xAF", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" }, /* surrogate */
		{ "\xF4\x90\x80\x80", 4,
		  "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },  /* > U+10FFFF */
		{ "ok\xE2\x82", 4, "ok\xEF\xBF\xBD\xEF\xBF\xBD" },   /* cut short */
		{ "\xFF\xFE", 2, "\xEF\xBF\xBD\xEF\xBF\xBD" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_clean(cases[i].in, cases[i].n, cases[i].out, BP_TEXT_FIXED);
}

static void test_text_long_value_cut_at_character_with_ellipsis(void **state)
{
	char in[100], out[BP_TEXT_MAX + 1];
	unsigned flags;
	size_t n;

	(void)state;
	memset(in, 'a', sizeof(in));
	n = bp_text_clean(out, sizeof(out), in, sizeof(in), 10, &flags);
	assert_int_equal(n, 10);
	assert_string_equal(out, "aaaaaaa\xE2\x80\xA6");
	assert_int_equal(flags, BP_TEXT_CUT);
	/* Exactly max bytes is not cut. */
	n = bp_text_clean(out, sizeof(out), in, 10, 10, &flags);
	assert_int_equal(n, 10);
	assert_int_equal(flags, 0);
	/* Korean (3 bytes a character) is never cut inside a character. */
	n = bp_text_clean(out, sizeof(out), "\xEC\x9C\xA0\xEB\xA3\x8C\xEC\x9C\xA0", 9,
			  8, &flags);
	assert_string_equal(out, "\xEC\x9C\xA0\xE2\x80\xA6");
	assert_int_equal(n, 6);
	assert_int_equal(flags, BP_TEXT_CUT);
	/* Both at once. */
	n = bp_text_clean(out, sizeof(out), "\x01\x02\x03\x04", 4, 7, &flags);
	assert_string_equal(out, "\xE2\x90\x81\xE2\x80\xA6");
	assert_int_equal(flags, BP_TEXT_CUT | BP_TEXT_FIXED);
}

/* Every byte value, alone and around others, comes out as text the XML
 * parser reads back, and cleaning twice changes nothing more. */
static void test_text_every_byte_survives_xml(void **state)
{
	char in[8], out[64];
	unsigned flags;
	int b;

	(void)state;
	for (b = 0; b < 256; b++) {
		snprintf(in, sizeof(in), "a%cb", b ? b : ' ');
		in[1] = (char)b;
		bp_text_clean(out, sizeof(out), in, 3, 60, &flags);
		assert_true(survives_xml(out));
		assert_true(bp_text_ok(out, strlen(out)));
	}
	assert_false(survives_xml("raw \x01 control"));
	assert_false(survives_xml("raw \xFF byte"));
}

/* Random bytes, weighted toward the ones that start or continue UTF-8
 * sequences: whatever comes in, what comes out is valid, within `max`,
 * read back by the XML parser, and cleaning it again changes nothing. */
static void test_text_random_bytes_always_come_out_valid(void **state)
{
	static const unsigned char pick[] = { 0x00, 0x01, 0x1F, 0x7F, 0x80, 0xBF,
		0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF,
		'a', ' ', '\t', '\n' };
	unsigned seed = 12345;
	char in[64], out[96], again[96];
	unsigned flags;
	int round;
	size_t i, n, m;

	(void)state;
	for (round = 0; round < 20000; round++) {
		n = (size_t)(round % 40);
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (seed >> 16) & 1 ? (char)pick[(seed >> 17) % sizeof(pick)]
						 : (char)(seed >> 20);
		}
		m = bp_text_clean(out, sizeof(out), in, n, 32, &flags);
		assert_true(m <= 32);
		assert_int_equal(m, strlen(out));   /* NUL became a symbol too */
		assert_true(bp_text_ok(out, m));
		assert_true(survives_xml(out));
		bp_text_clean(again, sizeof(again), out, m, 32, &flags);
		assert_string_equal(again, out);
		assert_int_equal(flags, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_valid_utf8_kept_as_it_is),
		cmocka_unit_test(test_text_control_characters_become_visible_symbols),
		cmocka_unit_test(test_text_invalid_utf8_becomes_replacement_character),
		cmocka_unit_test(test_text_long_value_cut_at_character_with_ellipsis),
		cmocka_unit_test(test_text_every_byte_survives_xml),
		cmocka_unit_test(test_text_random_bytes_always_come_out_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
