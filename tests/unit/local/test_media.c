/* test_media.c: shared/local/media.c against Debian's ffmpeg and ffprobe: facts of a generated video, frames at
 * a rate, cropped frames, bad input, and cancellation; ffprobe's answers field by field (a stand-in ffprobe);
 * arguments refused before any tool runs. */
#include "shared/local/media.h"
#include "shared/local/scratch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* ffprobe's answer read field by field: a stand-in ffprobe (first on PATH) prints the JSON file it is
 * given as the video. Numbers may come as strings, the duration and bit rate from the container or else
 * the stream, a frame rate that is not num/den counts as unknown; what cannot be used is refused. */
static void
test_probe_answers(void **state)
{
	static const struct {
		const char *json, *why;
		int width;
		double fps, duration;
		long long bitrate;
	} cases[] = {
		{ "not json", "not JSON", 0, 0, 0, 0 },
		{ "{\"streams\":[]}", "has no video stream", 0, 0, 0, 0 },
		{ "{\"streams\":[{\"width\":0,\"height\":240}]}", "no usable frame size", 0, 0, 0, 0 },
		{ "{\"streams\":[{\"width\":[320],\"height\":240}]}", "no usable frame size", 0, 0, 0, 0 },
		{ "{\"streams\":[{\"width\":\"320\",\"height\":240}],\"format\":{\"duration\":\"N/A\"}}",
		  "has no duration", 0, 0, 0, 0 },
		{ "{\"streams\":[{\"width\":\"320\",\"height\":240,\"codec_name\":\"h264\",\"avg_frame_rate\":"
		  "\"30000/1001\",\"duration\":\"2.5\",\"bit_rate\":\"1000\"}],\"format\":{}}", NULL, 320, 30000.0 / 1001,
		  2.5, 1000 },
		{ "{\"streams\":[{\"width\":320,\"height\":240,\"avg_frame_rate\":\"30\"}],\"format\":{\"duration\":4,"
		  "\"bit_rate\":7}}", NULL, 320, 0, 4, 7 },
		{ "{\"streams\":[{\"width\":320,\"height\":240,\"avg_frame_rate\":\"30/x\"}],\"format\":{\"duration\":4}}",
		  NULL, 320, 0, 4, 0 },
	};
	char bin[128], fake[160], answer[160], path[4096], err[256];
	const char *old = getenv("PATH");
	struct media_info info;
	FILE *f;

	(void)state;
	assert_true((size_t)snprintf(bin, sizeof(bin), "%s/bin", dir) < sizeof(bin));
	assert_int_equal(mkdir(bin, 0700), 0);
	assert_true((size_t)snprintf(fake, sizeof(fake), "%s/ffprobe", bin) < sizeof(fake));
	assert_non_null(f = fopen(fake, "w"));
	fputs("#!/bin/sh\nfor a; do last=$a; done\nexec cat \"$last\"\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(fake, 0700), 0);
	assert_true((size_t)snprintf(path, sizeof(path), "%s:%s", bin, old) < sizeof(path));
	assert_int_equal(setenv("PATH", path, 1), 0);
	assert_true((size_t)snprintf(answer, sizeof(answer), "%s/answer.json", dir) < sizeof(answer));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum media_result r;

		assert_non_null(f = fopen(answer, "w"));
		fputs(cases[i].json, f);
		assert_int_equal(fclose(f), 0);
		r = media_probe(answer, &opts, &info, err, sizeof(err));
		if (cases[i].why != NULL) {
			if (r != MEDIA_BAD_INPUT || strstr(err, cases[i].why) == NULL)
				fail_msg("case %zu: result %d, \"%s\", expected \"%s\"", i, r, err, cases[i].why);
			continue;
		}
		if (r != MEDIA_OK)
			fail_msg("case %zu: %s", i, err);
		assert_int_equal(info.width, cases[i].width);
		assert_true(info.fps > cases[i].fps - 1e-9 && info.fps < cases[i].fps + 1e-9);
		assert_true(info.duration == cases[i].duration);
		assert_int_equal(info.bitrate, cases[i].bitrate);
	}
	assert_int_equal(setenv("PATH", old, 1), 0);
	assert_int_equal(unlink(fake), 0);
	assert_int_equal(rmdir(bin), 0);
	assert_int_equal(unlink(answer), 0);
}

/* Arguments refused before any tool runs, and an output directory that cannot be made. */
static void
test_refused_arguments(void **state)
{
	static const struct media_crop odd = { 0, 0, 3, 2 }, negative = { -2, 0, 4, 4 };
	char blocker[128], outdir[160], err[256];
	FILE *f;
	int n = 7;

	(void)state;
	assert_int_equal(media_frames(video, &opts, 0, NULL, dir, &n, err, sizeof(err)), MEDIA_BAD_INPUT);
	assert_non_null(strstr(err, "frame rate 0 is outside (0, 120]"));
	assert_int_equal(n, 0);
	assert_int_equal(media_frames(video, &opts, 121, NULL, dir, &n, err, sizeof(err)), MEDIA_BAD_INPUT);
	assert_true((size_t)snprintf(blocker, sizeof(blocker), "%s/plain", dir) < sizeof(blocker));
	assert_non_null(f = fopen(blocker, "w"));
	assert_int_equal(fclose(f), 0);
	assert_true((size_t)snprintf(outdir, sizeof(outdir), "%s/frames", blocker) < sizeof(outdir));
	assert_int_equal(media_frames(video, &opts, 1, NULL, outdir, &n, err, sizeof(err)), MEDIA_FAILED);
	assert_non_null(strstr(err, "cannot create"));
	assert_int_equal(unlink(blocker), 0);
	assert_int_equal(media_decode(video, &opts, 1, &odd, NULL, NULL, &n, err, sizeof(err)), MEDIA_BAD_INPUT);
	assert_non_null(strstr(err, "cannot decode 3x2+0+0 at 1 fps"));
	assert_int_equal(media_decode(video, &opts, 1, &negative, NULL, NULL, &n, err, sizeof(err)), MEDIA_BAD_INPUT);
	assert_int_equal(media_decode(video, &opts, 241, &(struct media_crop){ 0, 0, 4, 4 }, NULL, NULL, &n, err,
	    sizeof(err)), MEDIA_BAD_INPUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_probe_answers),
		cmocka_unit_test(test_refused_arguments),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
