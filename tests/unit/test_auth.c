/* test_auth.c: the webhook's bearer check: the right secret passes; missing, malformed, wrong, prefixed,
 * suffixed or empty secrets fail; an unset expected secret accepts nothing. Rotation: with a
 * comma-separated list, the current and the previous secret pass, any other (a third, the whole list, a
 * prefix of an item, an empty item) fails, and the time taken does not depend on which item matched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shared/auth.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void
test_rotation(void **state)
{
	static const struct { const char *header, *list; bool ok; } cases[] = {
		{ "Bearer current-secret", "current-secret,previous-secret", true },
		{ "Bearer previous-secret", "current-secret,previous-secret", true },
		{ "Bearer third-secret", "current-secret,previous-secret", false },
		{ "Bearer current-secret,previous-secret", "current-secret,previous-secret", false },
		{ "Bearer current-secret,", "current-secret,previous-secret", false },
		{ "Bearer ,current-secret", "current-secret,previous-secret", false },
		/* empty items are ignored, never an accepted empty secret */
		{ "Bearer current-secret", ",current-secret", true },
		{ "Bearer current-secret", "current-secret,", true },
		{ "Bearer previous-secret", "current-secret,,previous-secret", true },
		{ "Bearer ,", "current-secret,,previous-secret", false },
		{ "Bearer ,", ",", false },
		{ "Bearer x", ",,", false },
		/* one item a prefix of the other: each only as itself */
		{ "Bearer abc", "abc,abcdef", true },
		{ "Bearer abcdef", "abc,abcdef", true },
		{ "Bearer abcd", "abc,abcdef", false },
		{ "Bearer ab", "abc,abcdef", false },
		{ "Bearer abcdefg", "abc,abcdef", false },
		/* spaces belong to the secret: the list has none */
		{ "Bearer previous-secret", "current-secret, previous-secret", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (auth_bearer_ok(cases[i].header, cases[i].list) != cases[i].ok)
			fail_msg("header \"%s\" with secrets \"%s\" should be %s", cases[i].header, cases[i].list,
			    cases[i].ok ? "accepted" : "refused");
	assert_true(auth_secret_listed("a", "a"));
	assert_false(auth_secret_listed(NULL, "a"));
	assert_false(auth_secret_listed("a", NULL));
	assert_false(auth_secret_listed("", ""));
	assert_false(auth_secret_listed("", ","));
}

static double
seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The fastest of a few runs of auth_bearer_ok(header, list) (the minimum is the least disturbed). */
static double
fastest(const char *header, const char *list)
{
	double best = 1e9;

	for (int run = 0; run < 7; run++) {
		double t0 = seconds_now();

		if (!auth_bearer_ok(header, list))
			fail_msg("the secret was refused");
		if (seconds_now() - t0 < best)
			best = seconds_now() - t0;
	}
	return best;
}

/* Rotation must not reveal which item matched: with many long items, a match on the first item takes as
 * long as a match on the last (an early exit would make the first about ITEMS times faster). */
static void
test_rotation_time_does_not_tell_which(void **state)
{
	enum { ITEMS = 64, ITEM = 16 * 1024 };
	size_t len = ITEMS * (ITEM + 1);
	char *list = malloc(len), *first = malloc(ITEM + 8), *last = malloc(ITEM + 8);
	double t_first, t_last;

	assert_non_null(list);
	assert_non_null(first);
	assert_non_null(last);
	for (int i = 0; i < ITEMS; i++) {
		memset(list + (size_t)i * (ITEM + 1), 'a' + i % 26, ITEM);
		list[(size_t)i * (ITEM + 1) + ITEM] = i + 1 < ITEMS ? ',' : '\0';
		list[(size_t)i * (ITEM + 1) + ITEM - 1] = (char)('0' + i % 10); /* all items differ */
	}
	memcpy(first, "Bearer ", 7);
	memcpy(first + 7, list, ITEM);
	first[7 + ITEM] = '\0';
	memcpy(last, "Bearer ", 7);
	memcpy(last + 7, list + (size_t)(ITEMS - 1) * (ITEM + 1), ITEM);
	last[7 + ITEM] = '\0';
	t_first = fastest(first, list);
	t_last = fastest(last, list);
	if (t_first < t_last / 3 || t_last < t_first / 3)
		fail_msg("a match on the first item took %.0f us, on the last %.0f us: the time tells which matched",
		    t_first * 1e6, t_last * 1e6);
	free(list);
	free(first);
	free(last);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_unset_secret_accepts_nothing),
		cmocka_unit_test(test_secret_equal),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_rotation_time_does_not_tell_which),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
