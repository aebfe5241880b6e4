/* test_videos.c: the GPU results as the video writes read them (shared/flows/videos.c,
 * videos_result_check): each function's full result accepted; a missing required field, a wrong type, a
 * negative or out-of-range number (an int column takes at most 2^31-1; the bitrate is a bigint), a key
 * outside the tenant's prefix or climbing out of it refused, each with the field named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "shared/flows/videos.h"
#include "shared/json.h"

#define EXTRACT "\"frame_count\":100,\"duration\":10.5,\"video_codec\":\"h264\",\"full_frames_key\":\"t1/v/full/\"," \
	"\"ocr_db_key\":\"t1/v/raw-ocr.db.gz\""

/* check's answer for the result text, and the reason in why ("" when accepted). */
static int
check(enum videos_result kind, const char *text, char *why, size_t whylen)
{
	char err[128];
	json_object *o = json_parse(text, strlen(text), err, sizeof(err));
	int rc;

	if (o == NULL)
		fail_msg("test JSON does not parse: %s: %s", text, err);
	why[0] = '\0';
	rc = videos_result_check(kind, o, "t1", why, whylen);
	json_object_put(o);
	return rc;
}

static void
test_accepted(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(check(VIDEOS_RESULT_PROCESSING, "{" EXTRACT ",\"bitrate\":1099511627776}", why,
	    sizeof(why)), 0);
	assert_int_equal(check(VIDEOS_RESULT_PROCESSING, "{\"frame_count\":2147483647,\"duration_seconds\":1}", why,
	    sizeof(why)), 0);
	assert_int_equal(check(VIDEOS_RESULT_LAYOUT, "{\"version\":3,\"cropped_frames_key\":\"t1/v/c3/\","
	    "\"caption_frame_extents_db_key\":\"t1/v/e3.db\"}", why, sizeof(why)), 0);
	assert_int_equal(check(VIDEOS_RESULT_CAPTIONS, "{\"captions_db_key\":\"t1/v/captions.db\"}", why, sizeof(why)),
	    0);
}

static void
test_refused(void **state)
{
	static const struct {
		enum videos_result kind;
		const char *json, *named;
	} cases[] = {
		{ VIDEOS_RESULT_PROCESSING, "{\"duration\":1}", "frame_count" },
		{ VIDEOS_RESULT_PROCESSING, "{\"frame_count\":\"100\",\"duration\":1}", "frame_count" },
		{ VIDEOS_RESULT_PROCESSING, "{\"frame_count\":-1,\"duration\":1}", "frame_count" },
		{ VIDEOS_RESULT_PROCESSING, "{\"frame_count\":2147483648,\"duration\":1}", "frame_count" },
		{ VIDEOS_RESULT_PROCESSING, "{\"frame_count\":1,\"duration\":-0.5}", "duration" },
		{ VIDEOS_RESULT_PROCESSING, "{\"frame_count\":1,\"duration\":1,\"bitrate\":1.5}", "bitrate" },
		{ VIDEOS_RESULT_PROCESSING, "{\"frame_count\":1,\"duration\":1,\"video_codec\":"
		    "\"a-codec-name-that-is-far-longer-than-any-real-codec-name-could-ever-be\"}", "video_codec" },
		{ VIDEOS_RESULT_PROCESSING, "{" EXTRACT ",\"layout_db_key\":\"t2/v/layout.db.gz\"}", "layout_db_key" },
		{ VIDEOS_RESULT_PROCESSING, "{" EXTRACT ",\"layout_db_key\":\"t1/../t2/layout.db.gz\"}", "layout_db_key" },
		{ VIDEOS_RESULT_LAYOUT, "{\"cropped_frames_key\":\"t1/v/c/\"}", "version" },
		{ VIDEOS_RESULT_LAYOUT, "{\"version\":4294967296}", "version" },
		{ VIDEOS_RESULT_LAYOUT, "{\"version\":1,\"cropped_frames_key\":\"/etc/\"}", "cropped_frames_key" },
		{ VIDEOS_RESULT_CAPTIONS, "{}", "captions_db_key" },
		{ VIDEOS_RESULT_CAPTIONS, "{\"captions_db_key\":7}", "captions_db_key" },
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (check(cases[i].kind, cases[i].json, why, sizeof(why)) != -1)
			fail_msg("case %zu should be refused: %s", i, cases[i].json);
		if (strstr(why, cases[i].named) == NULL)
			fail_msg("case %zu: \"%s\" does not name %s", i, why, cases[i].named);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
