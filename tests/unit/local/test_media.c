/* test_media.c: shared/local/media.c against Debian's ffmpeg and ffprobe: facts of a generated video, frames at
 * a rate, cropped frames, bad input, and cancellation. */
#include "shared/local/media.h"
#include "shared/local/scratch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64], video[128];

static int
setup(void **state)
{
	char cmd[512];

	(void)state;
	if (scratch_make(dir, sizeof(dir), "/tmp", "test_media") != 0)
		return -1;
	snprintf(video, sizeof(video), "%s/v.mp4", dir);
	snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -v error -f lavfi -i testsrc=size=320x240:rate=10:duration=3 "
	    "-c:v libx264 -pix_fmt yuv420p %s", video);
	return system(cmd) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return scratch_remove(dir);
}

static const struct media_opts opts = { 60, NULL, NULL };

static void
test_probe(void **state)
{
	struct media_info info;
	char err[256];

	(void)state;
	if (media_probe(video, &opts, &info, err, sizeof(err)) != MEDIA_OK)
		fail_msg("probe: %s", err);
	assert_int_equal(info.width, 320);
	assert_int_equal(info.height, 240);
	assert_string_equal(info.codec, "h264");
	assert_true(info.duration > 2.9 && info.duration < 3.1);
	assert_true(info.fps > 9.9 && info.fps < 10.1);
	assert_true(info.bitrate > 0);
}

static void
test_frames(void **state)
{
	char out[128], frame[256], err[256];
	struct media_crop crop = { 10, 20, 100, 50 };
	struct media_info info;
	int n = -1;

	(void)state;
	snprintf(out, sizeof(out), "%s/frames", dir);
	if (media_frames(video, &opts, 2.0, NULL, out, &n, err, sizeof(err)) != MEDIA_OK)
		fail_msg("frames: %s", err);
	assert_true(n >= 6 && n <= 7);
	/* Cropped frames have the crop's size. */
	snprintf(out, sizeof(out), "%s/cropped", dir);
	assert_int_equal(media_frames(video, &opts, 1.0, &crop, out, &n, err, sizeof(err)), MEDIA_OK);
	assert_true(n >= 3 && n <= 4);
	assert_int_equal(media_frame_path(frame, sizeof(frame), out, 0), 0);
	assert_int_equal(media_probe(frame, &opts, &info, err, sizeof(err)), MEDIA_BAD_INPUT); /* an image has no duration */
	assert_int_equal(access(frame, R_OK), 0);
	/* Rates outside (0, 120] are refused before anything runs. */
	assert_int_equal(media_frames(video, &opts, 0, NULL, out, &n, err, sizeof(err)), MEDIA_BAD_INPUT);
	assert_int_equal(media_frames(video, &opts, 500, NULL, out, &n, err, sizeof(err)), MEDIA_BAD_INPUT);
}

static void
test_bad_input(void **state)
{
	char junk[128], err[256];
	struct media_info info;
	FILE *f;
	int n;

	(void)state;
	snprintf(junk, sizeof(junk), "%s/junk.mp4", dir);
	f = fopen(junk, "w");
	assert_non_null(f);
	fputs("this is not a video", f);
	fclose(f);
	assert_int_equal(media_probe(junk, &opts, &info, err, sizeof(err)), MEDIA_BAD_INPUT);
	assert_non_null(strstr(err, "ffprobe failed"));
	assert_int_equal(media_probe("/nonexistent.mp4", &opts, &info, err, sizeof(err)), MEDIA_BAD_INPUT);
	assert_int_equal(media_frames(junk, &opts, 1, NULL, dir, &n, err, sizeof(err)), MEDIA_BAD_INPUT);
	assert_int_equal(n, 0);
}

static bool
always(void *arg)
{
	(void)arg;
	return true;
}

static void
test_cancel(void **state)
{
	struct media_opts stop = { 60, always, NULL };
	struct media_info info;
	char err[256];

	(void)state;
	assert_int_equal(media_probe(video, &stop, &info, err, sizeof(err)), MEDIA_FAILED);
	assert_non_null(strstr(err, "cancelled"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
