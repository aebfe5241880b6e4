/* test_priority.c: the seed's priority rules (test-plan-full.md "Priority Service Tests") and SPEC §6's
 * examples: tier bases, disabled and 60-minute boosting, the cap, override, custom parameters, future
 * timestamps, and the four tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "shared/intake/priority.h"

#define NOW ((time_t)1767225600) /* 2026-01-01T00:00:00Z */
#define MIN(m) (NOW - (time_t)(m) * 60)

static int
prio(enum priority_tier tier, bool has_time, time_t t, bool boost, int per, int cap, int override)
{
	struct priority_params p;

	priority_defaults(&p);
	p.age_boost = boost;
	p.per_minutes = per;
	p.cap = cap;
	p.override = override;
	return priority_compute(&p, tier, has_time, t, NOW);
}

static void
test_base_by_tier(void **state)
{
	assert_int_equal(prio(PRIORITY_TIER_FREE, false, 0, false, 60, 20, -1), 50);
	assert_int_equal(prio(PRIORITY_TIER_PREMIUM, false, 0, false, 60, 20, -1), 70);
	assert_int_equal(prio(PRIORITY_TIER_ENTERPRISE, false, 0, false, 60, 20, -1), 90);
}

static void
test_no_time_means_no_boost(void **state)
{
	assert_int_equal(prio(PRIORITY_TIER_FREE, false, 0, true, 60, 20, -1), 50);
}

static void
test_boost_disabled(void **state)
{
	assert_int_equal(prio(PRIORITY_TIER_FREE, true, MIN(300), false, 60, 20, -1), 50);
}

static void
test_boost_60_minutes(void **state)
{
	/* SPEC §6: free, 120 min -> 52; enterprise, 120 min -> 92 */
	assert_int_equal(prio(PRIORITY_TIER_FREE, true, MIN(120), true, 60, 20, -1), 52);
	assert_int_equal(prio(PRIORITY_TIER_ENTERPRISE, true, MIN(120), true, 60, 20, -1), 92);
	/* whole periods only: 119 minutes is one period */
	assert_int_equal(prio(PRIORITY_TIER_FREE, true, MIN(119), true, 60, 20, -1), 51);
	assert_int_equal(prio(PRIORITY_TIER_FREE, true, NOW - 59 * 60 - 59, true, 60, 20, -1), 50);
}

static void
test_boost_cap(void **state)
{
	/* free, 50 h -> 70 */
	assert_int_equal(prio(PRIORITY_TIER_FREE, true, MIN(50 * 60), true, 60, 20, -1), 70);
	assert_int_equal(prio(PRIORITY_TIER_ENTERPRISE, true, MIN(10 * 24 * 60), true, 60, 20, -1), 110);
	assert_int_equal(prio(PRIORITY_TIER_FREE, true, MIN(600), true, 60, 0, -1), 50);
}

static void
test_override(void **state)
{
	assert_int_equal(prio(PRIORITY_TIER_FREE, false, 0, false, 60, 20, 100), 100);
	assert_int_equal(prio(PRIORITY_TIER_ENTERPRISE, false, 0, false, 60, 20, 0), 0);
	/* the override replaces the base; the boost still applies on top */
	assert_int_equal(prio(PRIORITY_TIER_FREE, true, MIN(120), true, 60, 20, 100), 102);
}

static void
test_custom_parameters(void **state)
{
	/* premium, 300 min, +1 per 30, cap 15 -> 80 */
	assert_int_equal(prio(PRIORITY_TIER_PREMIUM, true, MIN(300), true, 30, 15, -1), 80);
}

static void
test_future_time_gives_no_boost(void **state)
{
	assert_int_equal(prio(PRIORITY_TIER_FREE, true, NOW + 3600, true, 60, 20, -1), 50);
}

static void
test_configured_bases(void **state)
{
	struct priority_params p;

	priority_defaults(&p);
	p.base[PRIORITY_TIER_PREMIUM] = 75;
	assert_int_equal(priority_compute(&p, PRIORITY_TIER_PREMIUM, false, 0, NOW), 75);
	assert_int_equal(priority_base(&p, PRIORITY_TIER_PREMIUM), 75);
}

static void
test_tags_enabled(void **state)
{
	char tags[PRIORITY_NTAGS][PRIORITY_TAG_MAX];

	assert_int_equal(priority_tags(tags, "tenant-123", PRIORITY_TIER_PREMIUM, 75, true), 0);
	assert_string_equal(tags[0], "tenant:tenant-123");
	assert_string_equal(tags[1], "tier:premium");
	assert_string_equal(tags[2], "priority:75");
	assert_string_equal(tags[3], "age-boosting:enabled");
	/* The same four, in order, as the JSON array jobs and Prefect get. */
	{
		json_object *a = priority_tags_json(tags);

		assert_int_equal(json_object_array_length(a), PRIORITY_NTAGS);
		for (int i = 0; i < PRIORITY_NTAGS; i++)
			assert_string_equal(json_object_get_string(json_object_array_get_idx(a, i)), tags[i]);
		json_object_put(a);
	}
}

static void
test_tags_disabled(void **state)
{
	char tags[PRIORITY_NTAGS][PRIORITY_TAG_MAX];

	assert_int_equal(priority_tags(tags, "tenant-456", PRIORITY_TIER_FREE, 50, false), 0);
	assert_string_equal(tags[1], "tier:free");
	assert_string_equal(tags[3], "age-boosting:disabled");
}

static void
test_tier_names(void **state)
{
	enum priority_tier t;

	assert_int_equal(priority_tier_parse("enterprise", &t), 0);
	assert_int_equal(t, PRIORITY_TIER_ENTERPRISE);
	assert_int_equal(priority_tier_parse("gold", &t), -1);
	assert_string_equal(priority_tier_name(PRIORITY_TIER_FREE), "free");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_by_tier),
		cmocka_unit_test(test_no_time_means_no_boost),
		cmocka_unit_test(test_boost_disabled),
		cmocka_unit_test(test_boost_60_minutes),
		cmocka_unit_test(test_boost_cap),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_custom_parameters),
		cmocka_unit_test(test_future_time_gives_no_boost),
		cmocka_unit_test(test_configured_bases),
		cmocka_unit_test(test_tags_enabled),
		cmocka_unit_test(test_tags_disabled),
		cmocka_unit_test(test_tier_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
