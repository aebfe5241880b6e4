/* test_captions.c: shared/local/captions.c and cleanimage.c on a synthetic video (synth.h: 25 fps, a
 * band of moving noise, 4 samples a second): captions found with the exact first and last frame whatever
 * the sample grid (two captions back to back, one after a gap, one running to the end), a flash shorter
 * than the minimum dropped, no caption in noise alone, each caption's frames combined so that the noise
 * fades and the strokes stay, its clean image black strokes on white scaled to the glyph height tesseract
 * reads best; the sample schedule; frames out of order refused. */
#include "shared/local/captions.h"
#include "shared/local/cleanimage.h"
#include "synth.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define FPS 25.0

static const uint32_t colours[] = { 0xFFFFFF, 0xFFFF00 };

/* What the video shows: caption id from frame first to last. */
struct shown {
	int first, last, x0, count;
};

struct got {
	int n;
	struct captions_found c[8];
	int combined_noise;     /* pixels of the combined rows far from any stroke still brighter than 150 */
	int margin;             /* of how many */
	int clean;              /* clean images made */
	int clean_dark;         /* their dark pixels, and their height */
	int clean_height, glyphs;
	struct textmask *t;
};

static int
found(void *arg, const struct captions_found *c)
{
	struct got *g = arg;
	struct cleanimage img;

	assert_true(g->n < 8);
	g->c[g->n] = *c;
	g->c[g->n].combined = NULL;
	for (int x = 0; x < 30; x++)   /* the left margin: noise only */
		for (int y = 0; y < c->height; y++) {
			g->combined_noise += c->combined[y * c->width + x] > 150;
			g->margin++;
		}
	if (cleanimage_make(g->t, c, &img) == 1) {
		g->clean++;
		g->clean_height = img.height;
		g->glyphs = img.glyphs;
		for (int p = 0; p < img.width * img.height; p++)
			g->clean_dark += img.pixels[p] < 128;
		cleanimage_free(&img);
	}
	g->n++;
	return 0;
}

/* Plays n frames with the captions shown[0..k) and returns what was found. */
static void
play(const struct shown *shown, int k, int n, long min_ms, struct got *g)
{
	struct textmask t;
	struct captions_opts o = { .fps = FPS, .sample_fps = 4, .min_ms = min_ms };
	struct captions *c;
	struct synth s;
	struct synth_rect rects[64];

	memset(g, 0, sizeof(*g));
	assert_int_equal(textmask_init(&t, SYNTH_W, SYNTH_H, SYNTH_VIDEO_H, colours, 2), 0);
	g->t = &t;
	assert_non_null(c = captions_new(&t, &o, found, g));
	for (int i = 0; i < n; i++) {
		struct textmask_frame f = { s.yuv, s.yuv + SYNTH_PX, s.yuv + SYNTH_PX + SYNTH_PX / 4 };
		int sample = -1, rc;

		synth_background(&s, 1000u + (uint32_t)i, 0);
		for (int j = 0; j < k; j++)
			if (i >= shown[j].first && i <= shown[j].last)
				synth_text(&s, rects, synth_glyphs(rects, shown[j].count, shown[j].x0, 20), SYNTH_WHITE, 2, 16);
		rc = captions_push(c, i, &f, &sample);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1)
			assert_int_equal(captions_sample_frame(&o, sample), i);
	}
	assert_int_equal(captions_finish(c), 0);
	captions_free(c);
	textmask_free(&t);
}

static void
test_exact_extents(void **state)
{
	/* Starts and ends between samples (every 6.25 frames), back to back, after a gap, at the end. */
	static const struct shown shown[] = {
		{ 13, 60, 40, 8 }, { 61, 110, 60, 10 }, { 150, 171, 50, 6 }, { 200, 239, 44, 9 },
	};
	struct got g;

	(void)state;
	play(shown, 4, 240, 500, &g);
	assert_int_equal(g.n, 4);
	for (int j = 0; j < 4; j++) {
		assert_int_equal(g.c[j].start, shown[j].first);
		assert_int_equal(g.c[j].end, shown[j].last);
		assert_true(g.c[j].light);
		assert_true(g.c[j].left <= shown[j].x0 && g.c[j].right >= shown[j].x0 + 14 * (shown[j].count - 1));
	}
	/* The noise fades out of the combined frames (the darkest of each pixel): under 1 % left ... */
	assert_true(g.combined_noise * 100 < g.margin);
	/* ... and each clean image holds the strokes, black on white, the glyphs (18 high) scaled to 32. */
	assert_int_equal(g.clean, 4);
	assert_int_equal(g.glyphs, 18);
	assert_true(g.clean_height >= 32 + 2 * 16 && g.clean_height <= 40 + 2 * 16);
	assert_true(g.clean_dark > 4 * 6 * 69);
}

static void
test_short_and_empty(void **state)
{
	static const struct shown flash[] = { { 40, 50, 40, 8 } };   /* 0.44 s */
	struct got g;

	(void)state;
	play(flash, 1, 100, 500, &g);
	assert_int_equal(g.n, 0);
	play(flash, 1, 100, 400, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.c[0].start, 40);
	assert_int_equal(g.c[0].end, 50);
	/* Moving noise alone is no caption. */
	play(NULL, 0, 150, 0, &g);
	assert_int_equal(g.n, 0);
}

static void
test_schedule_and_order(void **state)
{
	struct captions_opts o = { .fps = 25, .sample_fps = 4, .min_ms = 500 }, bad = o;
	struct textmask t;
	struct captions *c;
	struct synth s;
	struct textmask_frame f = { s.yuv, s.yuv + SYNTH_PX, s.yuv + SYNTH_PX + SYNTH_PX / 4 };
	int sample;

	(void)state;
	assert_int_equal(captions_sample_frame(&o, 0), 0);
	assert_int_equal(captions_sample_frame(&o, 1), 6);
	assert_int_equal(captions_sample_frame(&o, 2), 13);
	assert_int_equal(captions_sample_frame(&o, 4), 25);
	assert_int_equal(textmask_init(&t, SYNTH_W, SYNTH_H, SYNTH_VIDEO_H, colours, 2), 0);
	bad.fps = 0;
	assert_null(captions_new(&t, &bad, found, NULL));
	bad = o;
	bad.sample_fps = 0;
	assert_null(captions_new(&t, &bad, found, NULL));
	assert_null(captions_new(&t, &o, NULL, NULL));
	assert_non_null(c = captions_new(&t, &o, found, NULL));
	synth_background(&s, 1, 0);
	assert_int_equal(captions_push(c, 0, &f, &sample), 1);
	assert_int_equal(captions_push(c, 2, &f, &sample), -1);   /* frame 1 was skipped */
	assert_int_equal(captions_push(c, 1, &f, &sample), 0);
	captions_free(c);
	textmask_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_extents),
		cmocka_unit_test(test_short_and_empty),
		cmocka_unit_test(test_schedule_and_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
