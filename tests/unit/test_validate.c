/* test_validate.c: the input validators, table-driven: opaque ids, tenant-prefixed storage keys,
 * ISO 8601 timestamps and SQL identifiers, each with valid and invalid cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "shared/validate.h"

static void
test_ids(void **state)
{
	static const struct { const char *s; bool ok; } cases[] = {
		{ "video-123", true }, { "a", true }, { "A_b-9", true },
		{ "550e8400-e29b-41d4-a716-446655440000", true },
		{ "", false }, { "a b", false }, { "a/b", false }, { "a.b", false }, { "é", false },
		{ "a\nb", false }, { "tenant'; DROP TABLE jobs;--", false },
	};
	char longest[VALIDATE_ID_MAX + 2];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (validate_id(cases[i].s) != cases[i].ok)
			fail_msg("validate_id(\"%s\") should be %d", cases[i].s, cases[i].ok);
	}
	memset(longest, 'x', VALIDATE_ID_MAX);
	longest[VALIDATE_ID_MAX] = '\0';
	assert_true(validate_id(longest));
	longest[VALIDATE_ID_MAX] = 'x';
	longest[VALIDATE_ID_MAX + 1] = '\0';
	assert_false(validate_id(longest));
}

static void
test_storage_keys(void **state)
{
	static const struct { const char *key; bool ok; } cases[] = {
		{ "tenant-456/videos/video-123.mp4", true },
		{ "tenant-456/x", true },
		{ "tenant-456/client/videos/v-1/full_frames/frame_000001.jpg", true },
		{ "tenant-456/a.b/c=d/e_f-g.db.gz", true },
		{ "tenant-456/with space.mp4", false },
		{ "tenant-456/and (parens).mp4", false },
		{ "tenant-456/star*.mp4", false },
		{ "tenant-456/quote'.mp4", false },
		{ "tenant-456/caf\xc3\xa9.mp4", false },
		{ "tenant-456/videos/", false },
		{ "tenant-456/./a.mp4", false },
		{ "tenant-456/a/.", false },
		{ "tenant-456", false },
		{ "tenant-456/", false },
		{ "tenant-4567/videos/a.mp4", false },
		{ "other/videos/a.mp4", false },
		{ "/tenant-456/videos/a.mp4", false },
		{ "tenant-456/../other/a.mp4", false },
		{ "tenant-456/videos/..", false },
		{ "tenant-456//a.mp4", false },
		{ "tenant-456/videos//a.mp4", false },
		{ "tenant-456/a\tb.mp4", false },
		{ "tenant-456/a\x7f.mp4", false },
	};
	char why[160], big[VALIDATE_KEY_MAX + 16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		if (validate_storage_key(cases[i].key, "tenant-456", why, sizeof(why)) != cases[i].ok)
			fail_msg("validate_storage_key(\"%s\") should be %d", cases[i].key, cases[i].ok);
		if (!cases[i].ok && why[0] == '\0')
			fail_msg("no reason given for \"%s\"", cases[i].key);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "tenant-456/", 11);
	assert_false(validate_storage_key(big, "tenant-456", why, sizeof(why)));
	/* A key of another tenant is refused whatever it looks like. */
	assert_false(validate_storage_key("tenant-456/a.mp4", "tenant-45", why, sizeof(why)));
	assert_false(validate_storage_key("tenant-456/a.mp4", "", why, sizeof(why)));
}

static void
test_storage_prefixes(void **state)
{
	static const struct { const char *prefix; bool ok; } cases[] = {
		{ "tenant-456/", true },
		{ "tenant-456/client/videos/v-1/", true },
		{ "tenant-456/client/videos/v-1/frame_", true },
		{ "tenant-456", false },
		{ "tenant-45/", false },
		{ "", false },
		{ "/", false },
		{ "tenant-456//", false },
		{ "tenant-456/../", false },
		{ "tenant-456/a b/", false },
	};
	char why[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		if (validate_storage_prefix(cases[i].prefix, "tenant-456", why, sizeof(why)) != cases[i].ok)
			fail_msg("validate_storage_prefix(\"%s\") should be %d", cases[i].prefix, cases[i].ok);
		if (!cases[i].ok && why[0] == '\0')
			fail_msg("no reason given for \"%s\"", cases[i].prefix);
	}
}

static void
test_timestamps(void **state)
{
	static const struct { const char *s; long long t; } good[] = {
		{ "2024-01-01T00:00:00Z", 1704067200LL },
		{ "2024-01-01T00:00:00", 1704067200LL },
		{ "2024-01-01 00:00:00", 1704067200LL },
		{ "2024-01-01T00:00", 1704067200LL },
		{ "2024-01-01T00:00:00.123456+00:00", 1704067200LL },
		{ "2024-01-01T02:00:00+02:00", 1704067200LL },
		{ "2023-12-31T19:00:00-05:00", 1704067200LL },
		{ "2024-01-01T05:30:00+0530", 1704067200LL },
		{ "2024-02-29T12:00:00Z", 1709208000LL },
		{ "1970-01-01T00:00:00Z", 0LL },
	};
	static const char *bad[] = {
		"", "2024", "2024-01-01", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-32T00:00:00Z",
		"2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:00Q", "2024-01-01T00:00:00+25:00",
		"2024-01-01T00:00:00.Z", "yesterday", "2024-01-01T00:00:00Z trailing", "1969-12-31T23:59:59Z",
		"2024-1-01T00:00:00Z",
	};
	time_t t;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (validate_timestamp(good[i].s, &t) != 0)
			fail_msg("\"%s\" should parse", good[i].s);
		if ((long long)t != good[i].t)
			fail_msg("\"%s\" gave %lld, expected %lld", good[i].s, (long long)t, good[i].t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (validate_timestamp(bad[i], &t) == 0)
			fail_msg("\"%s\" should be refused", bad[i]);
}

static void
test_identifiers(void **state)
{
	assert_true(validate_identifier("public"));
	assert_true(validate_identifier("captionacc_2"));
	assert_true(validate_identifier("_x"));
	assert_false(validate_identifier(""));
	assert_false(validate_identifier("Public"));
	assert_false(validate_identifier("2x"));
	assert_false(validate_identifier("a-b"));
	assert_false(validate_identifier("a\"; drop"));
}

static void
test_uuids(void **state)
{
	static const char *good[] = { "00000000-0000-4000-8000-000000000057", "A1B2C3D4-e5f6-7890-abcd-ef0123456789" };
	static const char *bad[] = { "", "00000000-0000-4000-8000-00000000005", "00000000-0000-4000-8000-0000000000577",
		"00000000x0000-4000-8000-000000000057", "g0000000-0000-4000-8000-000000000057",
		"00000000-0000-4000-8000-00000000005 ", "{00000000-0000-4000-8000-0000000000}", "video-1" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(validate_uuid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (validate_uuid(bad[i]))
			fail_msg("\"%s\" is not a uuid", bad[i]);
	assert_false(validate_uuid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_storage_keys),
		cmocka_unit_test(test_storage_prefixes),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_identifiers),
		cmocka_unit_test(test_uuids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
