/* test_json.c: strict parsing of untrusted bodies (trailing text, NUL bytes, depth, bare null, and RFC 8259
 * where json-c's strict mode is lenient) and typed field access (missing, null, wrong type, embedded NUL). */
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

/* Each of the n texts must be refused, with a reason that begins with prefix. */
static void
assert_refused(const char *const *texts, size_t n, const char *prefix)
{
	json_object *o;
	char err[256];

	for (size_t i = 0; i < n; i++) {
		err[0] = '\0';
		if ((o = json_parse(texts[i], strlen(texts[i]), err, sizeof(err))) != NULL)
			fail_msg("\"%s\" should not parse", texts[i]);
		if (err[0] == '\0' || strncmp(err, prefix, strlen(prefix)) != 0)
			fail_msg("no reason for \"%s\": %s", texts[i], err);
	}
}

static void
test_parse(void **state)
{
	static const char *bad[] = { "", "{", "{\"a\":1} x", "{\"a\":\"\xff\"}", "{\"a\":1,}", "null", "nul",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]" };
	json_object *o;
	char err[256];

	assert_refused(bad, sizeof(bad) / sizeof(bad[0]), "");
	assert_null(json_parse("{\"a\":1}\0", 8, err, sizeof(err)));
	o = parse(" {\"a\": [1, 2]}\n");
	assert_non_null(o);
	json_object_put(o);
	o = parse("[1]");
	assert_non_null(o);
	json_object_put(o);
}

/* What json-c 0.16's strict tokener accepts and RFC 8259 does not: each must be refused with a reason;
 * the valid neighbours of each must still parse. */
static void
test_parse_rfc8259(void **state)
{
	static const char *bad[] = { "{\"a\":1.}", "{\"a\":-01}", "{\"a\":NaN}", "{\"a\":Infinity}",
		"{\"a\":-Infinity}", "{'a':1}", "{\"a\":'x'}", "{\"a\":\"x\ty\"}", "{\"a\":\"x\x01y\"}",
		"{\"a\":\"x\ny\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}",
		"{\"a\":1,\"a\":2}", "{\"o\":{\"b\":1,\"b\":1}}", "[{\"x\":1,\"y\":2,\"x\":3}]", "1.", "-", "01",
		"2 x", "1e" };
	static const char *good[] = { "{\"a\":-0}", "{\"a\":1.5e+2}", "{\"a\":0.25E-3}", "{\"a\":\"x\\ty\"}",
		"{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"it's\"}", "{\"a:b\":\"c:d\",\"e\":[{\"f\":null}]}",
		"{\"a\":{\"a\":{\"a\":true}}}", "{\"a\":\"\\\"NaN\\\"\"}", "[]", "{}",
		/* a document that is only a number ends with the input (found by make fuzz) */
		"2", "-0", "1e5", "2.5", "7\r\r", "true" };
	json_object *o;
	char err[256];

	assert_refused(bad, sizeof(bad) / sizeof(bad[0]), "body is not valid JSON: ");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if ((o = json_parse(good[i], strlen(good[i]), err, sizeof(err))) == NULL)
			fail_msg("\"%s\" should parse: %s", good[i], err);
		json_object_put(o);
	}
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
		cmocka_unit_test(test_parse_rfc8259),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
