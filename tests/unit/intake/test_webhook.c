/* test_webhook.c: SPEC §4's rules for the Supabase videos webhook payload: INSERT fields, ignored event
 * types, and every class of invalid payload answered with a reason (not JSON, not an object, type or
 * record missing or ill-typed, bad ids, storage keys outside the tenant's prefix, bad created_at). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "shared/intake/webhook.h"

static int
parse(const char *body, struct webhook_video *ev, char *err, size_t errlen)
{
	return webhook_parse(body, strlen(body), ev, err, errlen);
}

static void
test_insert(void **state)
{
	struct webhook_video ev;
	char err[256];

	assert_int_equal(parse("{\"type\":\"INSERT\",\"table\":\"videos\",\"schema\":\"public\",\"record\":{"
	    "\"id\":\"video-123\",\"tenant_id\":\"tenant-456\",\"storage_key\":\"tenant-456/videos/video-123.mp4\","
	    "\"created_at\":\"2024-01-01T00:00:00Z\",\"extra\":[1,2]},\"old_record\":null,\"user_id\":\"u\"}",
	    &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.type, WEBHOOK_INSERT);
	assert_string_equal(ev.video_id, "video-123");
	assert_string_equal(ev.tenant_id, "tenant-456");
	assert_string_equal(ev.storage_key, "tenant-456/videos/video-123.mp4");
	assert_true(ev.has_created_at);
	assert_int_equal((long long)ev.created_at, 1704067200LL);
}

static void
test_insert_without_created_at(void **state)
{
	struct webhook_video ev;
	char err[256];

	assert_int_equal(parse("{\"type\":\"INSERT\",\"record\":{\"id\":\"v\",\"tenant_id\":\"t\","
	    "\"storage_key\":\"t/v.mp4\",\"created_at\":null}}", &ev, err, sizeof(err)), 0);
	assert_false(ev.has_created_at);
}

static void
test_ignored_types(void **state)
{
	static const char *bodies[] = {
		"{\"type\":\"UPDATE\",\"table\":\"videos\",\"record\":{\"id\":\"video-123\"}}",
		"{\"type\":\"DELETE\",\"table\":\"videos\",\"record\":null,\"old_record\":{\"id\":\"v\"}}",
		"{\"type\":\"TRUNCATE\",\"record\":null}",
	};
	static const enum webhook_type want[] = { WEBHOOK_UPDATE, WEBHOOK_DELETE, WEBHOOK_OTHER };
	struct webhook_video ev;
	char err[256];

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		if (parse(bodies[i], &ev, err, sizeof(err)) != 0)
			fail_msg("%s: %s", bodies[i], err);
		assert_int_equal(ev.type, want[i]);
	}
}

static void
test_invalid(void **state)
{
	static const struct { const char *body; const char *reason; } cases[] = {
		{ "not json", "JSON" },
		{ "[1,2]", "object" },
		{ "\"INSERT\"", "object" },
		{ "{\"invalid\":\"payload\"}", "type" },
		{ "{\"type\":1,\"record\":{}}", "type" },
		{ "{\"type\":\"INSERT\"}", "record" },
		{ "{\"type\":\"INSERT\",\"record\":null}", "record" },
		{ "{\"type\":\"INSERT\",\"record\":[]}", "record" },
		{ "{\"type\":\"INSERT\",\"record\":\"x\"}", "record" },
		{ "{\"type\":\"INSERT\",\"table\":\"users\",\"record\":{}}", "table" },
		{ "{\"type\":\"INSERT\",\"table\":7,\"record\":{}}", "table" },
		{ "{\"type\":\"INSERT\",\"record\":{}}", "record.id" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":5,\"tenant_id\":\"t\",\"storage_key\":\"t/a\"}}", "record.id" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"a b\",\"tenant_id\":\"t\",\"storage_key\":\"t/a\"}}",
		  "record.id" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"\",\"tenant_id\":\"t\",\"storage_key\":\"t/a\"}}",
		  "record.id" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"v\",\"storage_key\":\"t/a\"}}", "record.tenant_id" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"v\",\"tenant_id\":\"../t\",\"storage_key\":\"t/a\"}}",
		  "record.tenant_id" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"v\",\"tenant_id\":\"t\"}}", "record.storage_key" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"v\",\"tenant_id\":\"t\",\"storage_key\":\"u/a\"}}",
		  "record.storage_key" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"v\",\"tenant_id\":\"t\",\"storage_key\":\"t/../u/a\"}}",
		  "record.storage_key" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"v\",\"tenant_id\":\"t\",\"storage_key\":\"t//a\"}}",
		  "record.storage_key" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"v\",\"tenant_id\":\"t\",\"storage_key\":\"t/a\\nb\"}}",
		  "record.storage_key" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"v\",\"tenant_id\":\"t\",\"storage_key\":\"t/a\\u0000b\"}}",
		  "record.storage_key" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"v\",\"tenant_id\":\"t\",\"storage_key\":\"t/a\","
		  "\"created_at\":\"last tuesday\"}}", "created_at" },
		{ "{\"type\":\"INSERT\",\"record\":{\"id\":\"v\",\"tenant_id\":\"t\",\"storage_key\":\"t/a\","
		  "\"created_at\":12}}", "created_at" },
	};
	struct webhook_video ev;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (parse(cases[i].body, &ev, err, sizeof(err)) == 0)
			fail_msg("should be refused: %s", cases[i].body);
		if (strstr(err, cases[i].reason) == NULL)
			fail_msg("reason for %s is \"%s\", expected it to mention %s", cases[i].body, err,
			    cases[i].reason);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_insert_without_created_at),
		cmocka_unit_test(test_ignored_types),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
