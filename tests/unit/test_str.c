/* test_str.c: shared/str.c: str_to_long's whole-text, plain-digits parsing (empty, junk, signs, spaces,
 * overflow, the min/max bounds inclusive, the output left alone on failure) and str_fmt/str_copy reporting
 * truncation at the exact bound while always leaving a terminated (cut) string. */
#include "shared/str.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

static void
test_to_long_refused(void **state)
{
	static const char *bad[] = { "", "abc", "12abc", "1 2", " 12", "12 ", "\t5", "5\n", "+5", "-", "--5", "-+5",
		"0x10", "1e3", "1.5", "9223372036854775808", "-9223372036854775809", "99999999999999999999999" };
	long v = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (str_to_long(bad[i], LONG_MIN, LONG_MAX, &v) != -1)
			fail_msg("\"%s\" parsed as %ld", bad[i], v);
	assert_int_equal(str_to_long(NULL, 0, 10, &v), -1);
	assert_int_equal(v, 42); /* never written on failure */
}

static void
test_to_long_bounds(void **state)
{
	static const struct {
		const char *s;
		long min, max;
		int rc;
		long v;
	} cases[] = {
		{ "0", 0, 10, 0, 0 },
		{ "10", 0, 10, 0, 10 },       /* max is inclusive */
		{ "11", 0, 10, -1, 0 },
		{ "-1", 0, 10, -1, 0 },
		{ "-10", -10, 10, 0, -10 },   /* min is inclusive, a '-' is fine */
		{ "-11", -10, 10, -1, 0 },
		{ "007", 0, 10, 0, 7 },       /* leading zeros are digits */
		{ "-0", 0, 0, 0, 0 },
		{ "9223372036854775807", LONG_MIN, LONG_MAX, 0, LONG_MAX },
		{ "-9223372036854775808", LONG_MIN, LONG_MAX, 0, LONG_MIN },
		{ "9223372036854775807", 0, LONG_MAX - 1, -1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long v = 12345;
		int rc = str_to_long(cases[i].s, cases[i].min, cases[i].max, &v);

		if (rc != cases[i].rc || (rc == 0 && v != cases[i].v) || (rc != 0 && v != 12345))
			fail_msg("\"%s\" in [%ld, %ld]: rc %d value %ld", cases[i].s, cases[i].min, cases[i].max, rc, v);
	}
}

static void
test_fmt_truncation(void **state)
{
	char buf[4];

	assert_int_equal(str_fmt(buf, sizeof(buf), "%d", 123), 0); /* exactly fills: 3 characters + NUL */
	assert_string_equal(buf, "123");
	assert_int_equal(str_fmt(buf, sizeof(buf), "%d", 1234), -1);
	assert_string_equal(buf, "123"); /* cut, terminated */
	assert_int_equal(str_fmt(buf, sizeof(buf), "%s-%s", "a", "b"), 0);
	assert_string_equal(buf, "a-b");
	assert_int_equal(str_fmt(buf, sizeof(buf), "%s", ""), 0);
	assert_string_equal(buf, "");
	assert_int_equal(str_fmt(buf, 1, "x"), -1);
	assert_string_equal(buf, "");
}

static void
test_copy_truncation(void **state)
{
	char buf[4];

	assert_int_equal(str_copy(buf, sizeof(buf), "abc"), 0); /* exactly fills */
	assert_string_equal(buf, "abc");
	assert_int_equal(str_copy(buf, sizeof(buf), "abcd"), -1);
	assert_string_equal(buf, "abc"); /* cut, terminated */
	assert_int_equal(str_copy(buf, sizeof(buf), ""), 0);
	assert_string_equal(buf, "");
	assert_int_equal(str_copy(buf, 1, "a"), -1);
	assert_string_equal(buf, "");
	memcpy(buf, "zzz", 4);
	assert_int_equal(str_copy(buf, 0, "a"), -1); /* no room at all: nothing written */
	assert_string_equal(buf, "zzz");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_long_refused),
		cmocka_unit_test(test_to_long_bounds),
		cmocka_unit_test(test_fmt_truncation),
		cmocka_unit_test(test_copy_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
