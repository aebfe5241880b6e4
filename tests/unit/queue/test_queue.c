/* test_queue.c: retry backoff: doubles per attempt from the base, stops at the maximum, and the jitter
 * keeps it within the upper half of the nominal delay. (Claims, leases and fencing are exercised against
 * PostgreSQL in tests/integration/queue.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shared/queue/queue.h"

static void
test_backoff_doubles_and_caps(void **state)
{
	/* unit_random 1.0 gives the nominal delay, 0.0 its half */
	assert_true(queue_backoff(1, 10, 600, 1.0) == 10.0);
	assert_true(queue_backoff(2, 10, 600, 1.0) == 20.0);
	assert_true(queue_backoff(3, 10, 600, 1.0) == 40.0);
	assert_true(queue_backoff(7, 10, 600, 1.0) == 600.0);
	assert_true(queue_backoff(40, 10, 600, 1.0) == 600.0);
	assert_true(queue_backoff(0, 10, 600, 1.0) == 10.0);
}

static void
test_backoff_jitter_range(void **state)
{
	for (int a = 1; a < 12; a++) {
		double lo = queue_backoff(a, 2, 100, 0.0), hi = queue_backoff(a, 2, 100, 1.0), mid = queue_backoff(a, 2, 100, 0.5);

		assert_true(lo * 2 == hi);
		assert_true(lo < mid && mid < hi);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_and_caps),
		cmocka_unit_test(test_backoff_jitter_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
