/* test_params.c: the flows by name and the one parser of their parameters (shared/intake/params.c), as
 * the API, the operator's enqueue and the runner see them: every flow's valid parameters, each rule's
 * refusals with a sentence naming the field (ids, the tenant's storage key, the crop region, caption ids
 * as whole numbers from 1, 1 to 10000 of them, the diagnostic flow's options), a jobs row whose ids are
 * the job's (parameters may repeat them but not contradict them), and the JSON written back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/intake/params.h"
#include "shared/json.h"

/* Parses text as the parameters of flow; returns params_parse's result and the reason. */
static int
parse(enum flow_id flow, const char *text, struct flow_params *p, char *why, size_t whylen)
{
	char err[128];
	json_object *o = json_parse(text, strlen(text), err, sizeof(err));
	int rc;

	if (o == NULL)
		fail_msg("test JSON does not parse: %s: %s", text, err);
	why[0] = '\0';
	rc = params_parse(flow, o, p, why, whylen);
	json_object_put(o);
	return rc;
}

static void
test_flow_names(void **state)
{
	enum flow_id f;

	for (int i = 0; i < FLOW__MAX; i++) {
		assert_int_equal(params_flow_parse(params_flow_name((enum flow_id)i), &f), 0);
		assert_int_equal(f, i);
		assert_non_null(strstr(params_flow_list(), params_flow_name((enum flow_id)i)));
	}
	assert_int_equal(params_flow_parse("video_initial_processing", &f), 0);
	assert_int_equal(f, FLOW_VIDEO_INITIAL_PROCESSING);
	assert_int_equal(params_flow_parse("nope", &f), -1);
	assert_int_equal(params_flow_parse("", &f), -1);
	assert_int_equal(params_flow_parse(NULL, &f), -1);
	assert_string_equal(params_flow_name(FLOW__MAX), "?");
	assert_true(params_flow_needs_video(FLOW_CROP_AND_INFER));
	assert_false(params_flow_needs_video(FLOW_DIAGNOSTIC));
}

static void
test_valid(void **state)
{
	struct flow_params p;
	char why[256];

	assert_int_equal(parse(FLOW_VIDEO_INITIAL_PROCESSING, "{\"tenant_id\":\"t-1\",\"video_id\":\"v_1\","
	    "\"storage_key\":\"t-1/videos/v_1.mp4\",\"extra\":true}", &p, why, sizeof(why)), 0);
	assert_string_equal(p.tenant_id, "t-1");
	assert_string_equal(p.video_id, "v_1");
	assert_string_equal(p.storage_key, "t-1/videos/v_1.mp4");
	params_free(&p);

	assert_int_equal(parse(FLOW_CROP_AND_INFER, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"crop_region\":"
	    "{\"crop_left\":0,\"crop_top\":0.7,\"crop_right\":1,\"crop_bottom\":1.0}}", &p, why, sizeof(why)), 0);
	assert_true(p.crop.left == 0 && p.crop.top == 0.7 && p.crop.right == 1 && p.crop.bottom == 1);
	params_free(&p);

	assert_int_equal(parse(FLOW_CAPTION_OCR, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[3,1,2147483647]}",
	    &p, why, sizeof(why)), 0);
	assert_int_equal(p.ncaption_ids, 3);
	assert_int_equal(p.caption_ids[0], 3);
	assert_int_equal(p.caption_ids[2], 2147483647L);
	params_free(&p);
	assert_null(p.caption_ids);

	assert_int_equal(parse(FLOW_DIAGNOSTIC, "{\"tenant_id\":\"t\",\"sleep_ms\":600000,\"fail_step\":\"second\"}",
	    &p, why, sizeof(why)), 0);
	assert_int_equal(p.sleep_ms, 600000);
	assert_string_equal(p.fail_step, "second");
	assert_string_equal(p.retry_step, "");
	assert_string_equal(p.video_id, "");
	params_free(&p);

	assert_int_equal(parse(FLOW_NOOP, "{\"tenant_id\":\"t\"}", &p, why, sizeof(why)), 0);
	params_free(&p);
}

static void
test_refused(void **state)
{
	static const struct {
		enum flow_id flow;
		const char *json;
		const char *named;   /* what the reason must mention */
	} cases[] = {
		{ FLOW_NOOP, "[]", "object" },
		{ FLOW_NOOP, "{}", "tenant_id" },
		{ FLOW_NOOP, "{\"tenant_id\":\"\"}", "tenant_id" },
		{ FLOW_NOOP, "{\"tenant_id\":\"a b\"}", "tenant_id" },
		{ FLOW_NOOP, "{\"tenant_id\":7}", "tenant_id" },
		{ FLOW_NOOP, "{\"tenant_id\":\"t\",\"video_id\":\"../x\"}", "video_id" },
		{ FLOW_CROP_AND_INFER, "{\"tenant_id\":\"t\",\"crop_region\":{}}", "video_id" },
		{ FLOW_VIDEO_INITIAL_PROCESSING, "{\"tenant_id\":\"t\",\"video_id\":\"v\"}", "storage_key" },
		{ FLOW_VIDEO_INITIAL_PROCESSING, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"storage_key\":\"other/v.mp4\"}",
		  "storage_key" },
		{ FLOW_VIDEO_INITIAL_PROCESSING, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"storage_key\":\"t/../v.mp4\"}",
		  "storage_key" },
		{ FLOW_CROP_AND_INFER, "{\"tenant_id\":\"t\",\"video_id\":\"v\"}", "crop_region" },
		{ FLOW_CROP_AND_INFER, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"crop_region\":{\"crop_left\":0.5,"
		  "\"crop_top\":0.7,\"crop_right\":0.2,\"crop_bottom\":1}}", "crop_region" },
		{ FLOW_CROP_AND_INFER, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"crop_region\":{\"crop_left\":0,"
		  "\"crop_top\":0.7,\"crop_right\":1.5,\"crop_bottom\":1}}", "crop_region" },
		{ FLOW_CROP_AND_INFER, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"crop_region\":{\"crop_left\":\"0\","
		  "\"crop_top\":0.7,\"crop_right\":1,\"crop_bottom\":1}}", "crop_region" },
		{ FLOW_CROP_AND_INFER, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"crop_region\":{\"crop_left\":0,"
		  "\"crop_top\":0.5,\"crop_right\":1,\"crop_bottom\":0.5}}", "crop_region" },
		{ FLOW_CAPTION_OCR, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[]}", "caption_ids" },
		{ FLOW_CAPTION_OCR, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[0]}", "caption_ids" },
		{ FLOW_CAPTION_OCR, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[2,1,2]}", "caption_ids" },
		{ FLOW_CAPTION_OCR, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[-1]}", "caption_ids" },
		{ FLOW_CAPTION_OCR, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[\"c1\"]}", "caption_ids" },
		{ FLOW_CAPTION_OCR, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[1.5]}", "caption_ids" },
		{ FLOW_CAPTION_OCR, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[2147483648]}", "caption_ids" },
		{ FLOW_CAPTION_OCR, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":{\"1\":1}}", "caption_ids" },
		{ FLOW_DIAGNOSTIC, "{\"tenant_id\":\"t\",\"sleep_ms\":600001}", "sleep_ms" },
		{ FLOW_DIAGNOSTIC, "{\"tenant_id\":\"t\",\"sleep_ms\":\"10\"}", "sleep_ms" },
		{ FLOW_DIAGNOSTIC, "{\"tenant_id\":\"t\",\"fail_step\":3}", "fail_step" },
		{ FLOW_DIAGNOSTIC, "{\"tenant_id\":\"t\",\"retry_step\":\"a-step-name-far-longer-than-sixty-four-characters-"
		  "which-no-flow-has\"}", "retry_step" },
	};
	struct flow_params p;
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i].flow, cases[i].json, &p, why, sizeof(why)) != -1)
			fail_msg("case %zu should be refused: %s", i, cases[i].json);
		if (strstr(why, cases[i].named) == NULL)
			fail_msg("case %zu: \"%s\" does not name %s", i, why, cases[i].named);
		assert_null(p.caption_ids);
	}
}

static void
test_caption_id_limit(void **state)
{
	size_t len = 10001 * 7 + 64;
	char *text = malloc(len), why[256];
	struct flow_params p;
	size_t o;

	assert_non_null(text);
	o = (size_t)snprintf(text, len, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[1");
	for (int i = 2; i <= 10000; i++)
		o += (size_t)snprintf(text + o, len - o, ",%d", i);
	(void)snprintf(text + o, len - o, "]}");
	assert_int_equal(parse(FLOW_CAPTION_OCR, text, &p, why, sizeof(why)), 0);
	assert_int_equal(p.ncaption_ids, 10000);
	params_free(&p);
	(void)snprintf(text + o, len - o, ",10001]}");
	assert_int_equal(parse(FLOW_CAPTION_OCR, text, &p, why, sizeof(why)), -1);
	free(text);
}

static void
test_row_ids_are_the_jobs(void **state)
{
	json_object *o = json_tokener_parse("{\"sleep_ms\":1}"), *same, *other;
	struct flow_params p;
	char why[256];

	assert_int_equal(params_parse_row(FLOW_DIAGNOSTIC, "t", "", o, &p, why, sizeof(why)), 0);
	assert_string_equal(p.tenant_id, "t");
	assert_string_equal(p.video_id, "");
	assert_int_equal(p.sleep_ms, 1);
	params_free(&p);
	assert_int_equal(params_parse_row(FLOW_DIAGNOSTIC, "bad id", "", o, &p, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "tenant_id"));
	assert_int_equal(params_parse_row(FLOW_CAPTION_OCR, "t", "", o, &p, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "video_id"));
	same = json_tokener_parse("{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[1]}");
	assert_int_equal(params_parse_row(FLOW_CAPTION_OCR, "t", "v", same, &p, why, sizeof(why)), 0);
	params_free(&p);
	other = json_tokener_parse("{\"tenant_id\":\"t2\",\"video_id\":\"v\",\"caption_ids\":[1]}");
	assert_int_equal(params_parse_row(FLOW_CAPTION_OCR, "t", "v", other, &p, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "differs"));
	json_object_put(o);
	json_object_put(same);
	json_object_put(other);
}

/* What is stored and sent parses back to the same parameters, with only the flow's own fields. */
static void
test_json_round_trip(void **state)
{
	static const struct {
		enum flow_id flow;
		const char *json;
		const char *written;
	} cases[] = {
		{ FLOW_VIDEO_INITIAL_PROCESSING, "{\"storage_key\":\"t/a.mp4\",\"video_id\":\"v\",\"tenant_id\":\"t\","
		  "\"noise\":1}", "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"storage_key\":\"t/a.mp4\"}" },
		{ FLOW_CROP_AND_INFER, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"crop_region\":{\"crop_left\":0,"
		  "\"crop_top\":0.5,\"crop_right\":1,\"crop_bottom\":1}}", "{\"tenant_id\":\"t\",\"video_id\":\"v\","
		  "\"crop_region\":{\"crop_left\":0.0,\"crop_top\":0.5,\"crop_right\":1.0,\"crop_bottom\":1.0}}" },
		{ FLOW_CAPTION_OCR, "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[2,1]}",
		  "{\"tenant_id\":\"t\",\"video_id\":\"v\",\"caption_ids\":[2,1]}" },
		{ FLOW_DIAGNOSTIC, "{\"tenant_id\":\"t\",\"retry_step\":\"first\"}",
		  "{\"tenant_id\":\"t\",\"retry_step\":\"first\"}" },
	};
	struct flow_params p, q;
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *o;

		assert_int_equal(parse(cases[i].flow, cases[i].json, &p, why, sizeof(why)), 0);
		o = params_json(&p);
		assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		    cases[i].written);
		assert_int_equal(params_parse(cases[i].flow, o, &q, why, sizeof(why)), 0);
		assert_memory_equal(q.tenant_id, p.tenant_id, sizeof(p.tenant_id));
		assert_int_equal(q.ncaption_ids, p.ncaption_ids);
		json_object_put(o);
		params_free(&p);
		params_free(&q);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_names),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_caption_id_limit),
		cmocka_unit_test(test_row_ids_are_the_jobs),
		cmocka_unit_test(test_json_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
