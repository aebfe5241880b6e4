/* test_auth.c: the webhook's bearer check: the right secret passes; missing, malformed, wrong, prefixed,
 * suffixed or empty secrets fail; an unset expected secret accepts nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shared/auth.h"

static void
test_bearer(void **state)
{
	static const struct { const char *header; bool ok; } cases[] = {
		{ "Bearer test-secret", true },
		{ "bearer test-secret", true },
		{ "BEARER  test-secret", true },
		{ NULL, false },
		{ "", false },
		{ "Bearer", false },
		{ "Bearer ", false },
		{ "Bearer wrong-secret", false },
		{ "Bearer test-secre", false },
		{ "Bearer test-secret2", false },
		{ "Bearer test-secret ", false },
		{ "Basic dGVzdDp0ZXN0", false },
		{ "test-secret", false },
		{ "Token test-secret", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (auth_bearer_ok(cases[i].header, "test-secret") != cases[i].ok)
			fail_msg("header \"%s\" should be %s", cases[i].header ? cases[i].header : "(none)",
			    cases[i].ok ? "accepted" : "refused");
}

static void
test_unset_secret_accepts_nothing(void **state)
{
	assert_false(auth_bearer_ok("Bearer ", ""));
	assert_false(auth_bearer_ok("Bearer x", ""));
	assert_false(auth_bearer_ok("Bearer x", NULL));
	assert_false(auth_secret_equal("", ""));
}

static void
test_secret_equal(void **state)
{
	assert_true(auth_secret_equal("s3cr3t", "s3cr3t"));
	assert_false(auth_secret_equal("s3cr3t", "s3cr3T"));
	assert_false(auth_secret_equal(NULL, "s3cr3t"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_unset_secret_accepts_nothing),
		cmocka_unit_test(test_secret_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
