/* test_json.c: strict parsing of untrusted bodies (trailing text, NUL bytes, depth, bare null) and typed
 * field access (missing, null, wrong type, embedded NUL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "shared/json.h"

static json_object *
parse(const char *s)
{
	char err[256];

	return json_parse(s, strlen(s), err, sizeof(err));
}

static void
test_parse(void **state)
{
	static const char *bad[] = { "", "{", "{\"a\":1} x", "{\"a\":\"\xff\"}", "{\"a\":1,}", "null", "nul",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]" };
	json_object *o;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if ((o = json_parse(bad[i], strlen(bad[i]), err, sizeof(err))) != NULL)
			fail_msg("\"%s\" should not parse", bad[i]);
		if (err[0] == '\0')
			fail_msg("no reason for \"%s\"", bad[i]);
	}
	assert_null(json_parse("{\"a\":1}\0", 8, err, sizeof(err)));
	o = parse(" {\"a\": [1, 2]}\n");
	assert_non_null(o);
	json_object_put(o);
	o = parse("[1]");
	assert_non_null(o);
	json_object_put(o);
}

static void
test_fields(void **state)
{
	json_object *o = parse("{\"s\":\"x\",\"n\":1,\"z\":null,\"o\":{},\"nul\":\"a\\u0000b\"}"), *sub;
	const char *s;

	assert_non_null(o);
	assert_int_equal(json_get_string(o, "s", &s), JSON_FIELD_OK);
	assert_string_equal(s, "x");
	assert_int_equal(json_get_string(o, "n", &s), JSON_FIELD_WRONG_TYPE);
	assert_int_equal(json_get_string(o, "z", &s), JSON_FIELD_MISSING);
	assert_int_equal(json_get_string(o, "absent", &s), JSON_FIELD_MISSING);
	assert_int_equal(json_get_string(o, "nul", &s), JSON_FIELD_NUL);
	assert_int_equal(json_get_object(o, "o", &sub), JSON_FIELD_OK);
	assert_int_equal(json_get_object(o, "s", &sub), JSON_FIELD_WRONG_TYPE);
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
