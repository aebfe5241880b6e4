/* test_textmask.c: shared/local/textmask.c on synthetic bands (synth.h): outlined strokes in a subtitle
 * colour are text, over a still grey or moving noise; the same strokes without an outline, a solid blob, a
 * colour not configured and shreds of noise are not; dark text on a light outline when configured; dots
 * kept only when asked; a reference's presence in its own frame, in a blank one and in other text; the
 * parts of a stable mask that keep their outline; the still-background filter of a caption's combined
 * frames; bad sizes refused. */
#include "shared/local/textmask.h"
#include "synth.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static struct synth frame;
static uint8_t mask[SYNTH_PX];
static struct synth_rect rects[64];

static struct textmask_frame
planes(const struct synth *s)
{
	return (struct textmask_frame){ s->yuv, s->yuv + SYNTH_PX, s->yuv + SYNTH_PX + SYNTH_PX / 4 };
}

static size_t
find(const uint32_t *colours, int n, int min_height)
{
	struct textmask t;
	struct textmask_frame f = planes(&frame);
	size_t got;

	assert_int_equal(textmask_init(&t, SYNTH_W, SYNTH_H, SYNTH_VIDEO_H, colours, n), 0);
	got = textmask_find(&t, &f, min_height, mask);
	textmask_free(&t);
	return got;
}

/* The mask's pixels inside the rectangles (each counted once). */
static size_t
stroke_pixels(int nrects)
{
	size_t n = 0;

	for (int p = 0; p < SYNTH_PX; p++)
		for (int k = 0; k < nrects; k++)
			if (p % SYNTH_W >= rects[k].x && p % SYNTH_W < rects[k].x + rects[k].w && p / SYNTH_W >= rects[k].y &&
			    p / SYNTH_W < rects[k].y + rects[k].h) {
				n += mask[p];
				break;
			}
	return n;
}

static const uint32_t white_yellow[] = { 0xFFFFFF, 0xFFFF00 };

static void
test_outlined_text(void **state)
{
	int n = synth_glyphs(rects, 8, 40, 20);
	size_t total;

	(void)state;
	for (uint32_t seed = 0; seed < 3; seed++) {   /* a still grey background, then two noisy ones */
		synth_background(&frame, seed, 90);
		synth_text(&frame, rects, n, SYNTH_WHITE, 2, 16);
		total = find(white_yellow, 2, 5);
		/* Every stroke pixel (8 glyphs of 3x18 + 5x3 feet, overlapping at the corner) is text. */
		assert_int_equal(stroke_pixels(n), 8 * (54 + 15));
		/* and nothing else. */
		assert_int_equal(total, stroke_pixels(n));
	}
	/* Yellow is text too with the default colours. */
	synth_background(&frame, 7, 0);
	synth_text(&frame, rects, n, SYNTH_YELLOW, 2, 16);
	(void)find(white_yellow, 2, 5);
	assert_int_equal(stroke_pixels(n), 8 * 69);
}

static void
test_not_text(void **state)
{
	static const uint32_t white[] = { 0xFFFFFF };
	struct synth_rect blob = { 200, 10, 40, 30 };
	int n = synth_glyphs(rects, 8, 40, 20);

	(void)state;
	/* No outline: white strokes straight on a mid-grey background are not walled in. */
	synth_background(&frame, 0, 150);
	synth_text(&frame, rects, n, SYNTH_WHITE, 0, 16);
	assert_int_equal(find(white_yellow, 2, 5), 0);
	/* A solid block inside an outline: far too thick a stroke. */
	synth_background(&frame, 0, 90);
	synth_text(&frame, &blob, 1, SYNTH_WHITE, 2, 16);
	assert_int_equal(find(white_yellow, 2, 5), 0);
	/* Yellow text when only white is asked for. */
	synth_text(&frame, rects, n, SYNTH_YELLOW, 2, 16);
	assert_int_equal(find(white, 1, 5), 0);
	/* Pure noise: nothing glyph-sized. */
	synth_background(&frame, 11, 0);
	assert_int_equal(find(white_yellow, 2, 5), 0);
}

static void
test_dark_text_and_dots(void **state)
{
	static const uint32_t black[] = { 0x000000 };
	struct synth_rect dots[3] = { { 60, 30, 2, 2 }, { 90, 30, 2, 2 }, { 120, 30, 2, 2 } };
	int n = synth_glyphs(rects, 6, 40, 20);

	(void)state;
	/* Black text with a white outline, as a dark-on-light style, on a light grey background. */
	synth_background(&frame, 0, 170);
	synth_text(&frame, rects, n, 16, 128, 128, 2, 235);
	assert_int_equal(find(black, 1, 5), 6 * 69);
	assert_int_equal(stroke_pixels(n), 6 * 69);
	/* Dots (2x2, outlined) are kept with no minimum height, dropped with one. */
	synth_background(&frame, 0, 90);
	synth_text(&frame, dots, 3, SYNTH_WHITE, 2, 16);
	assert_int_equal(find(white_yellow, 2, 0), 12);
	assert_int_equal(find(white_yellow, 2, 5), 0);
}

static void
test_presence_and_walled(void **state)
{
	struct textmask t;
	struct textmask_ref ref;
	struct textmask_frame f = planes(&frame);
	struct synth_rect other[64];
	int n = synth_glyphs(rects, 8, 40, 20), m = synth_glyphs(other, 8, 45, 22);

	(void)state;
	assert_int_equal(textmask_init(&t, SYNTH_W, SYNTH_H, SYNTH_VIDEO_H, white_yellow, 2), 0);
	synth_background(&frame, 3, 0);
	synth_text(&frame, rects, n, SYNTH_WHITE, 2, 16);
	assert_true(textmask_find(&t, &f, 5, mask) > 0);
	assert_int_equal(textmask_ref_make(&t, mask, &f, &ref), 0);
	assert_true(ref.light);
	assert_int_equal(ref.x0, 40);
	assert_int_equal(ref.y1, 37);
	assert_true(textmask_presence(&t, &ref, &f) > 0.9);
	/* The same text over another moving background still shows. */
	synth_background(&frame, 4, 0);
	synth_text(&frame, rects, n, SYNTH_WHITE, 2, 16);
	assert_true(textmask_presence(&t, &ref, &f) > 0.9);
	/* The background alone, or other text nearby, does not. */
	synth_background(&frame, 5, 0);
	assert_true(textmask_presence(&t, &ref, &f) < 0.3);
	synth_text(&frame, other, m, SYNTH_WHITE, 2, 16);
	assert_true(textmask_presence(&t, &ref, &f) < 0.5);
	/* Of a stable mask, whole outlined glyphs are kept, shreds of them are not. */
	synth_background(&frame, 6, 0);
	synth_text(&frame, rects, n, SYNTH_WHITE, 2, 16);
	memset(mask, 0, sizeof(mask));
	for (int y = 20; y < 38; y++)
		for (int x = 40; x < 43; x++)
			mask[y * SYNTH_W + x] = 1;        /* the first glyph's bar, whole */
	for (int x = 40 + 28; x < 40 + 29; x++)
		for (int y = 20; y < 30; y++)
			mask[y * SYNTH_W + x] = 1;        /* a third of the third glyph's bar */
	assert_int_equal(textmask_keep_walled(&t, &f, mask), 54);
	textmask_ref_free(&ref);
	textmask_free(&t);
}

/* Sets the rectangles' pixels in plane. */
static void
mark(uint8_t *plane, const struct synth_rect *r, int n)
{
	for (int k = 0; k < n; k++)
		for (int y = r[k].y; y < r[k].y + r[k].h; y++)
			for (int x = r[k].x; x < r[k].x + r[k].w; x++)
				plane[y * SYNTH_W + x] = 1;
}

/* The luma plane of s into grey. */
static void
luma_of(const struct synth *s, uint8_t *grey)
{
	memcpy(grey, s->yuv, SYNTH_PX);
}

/* The still-background filter alone: in a caption's combined frames, outlined light glyphs that were
 * already there in the frames before and after the caption (a sign in a still picture) are the
 * background's, dropped; the caption's own glyphs are kept; without the frames around it, or where the
 * still glyphs are the caption's own stable strokes (text over a still background of its colour), both;
 * with the stable strokes known, glyphs outside them and specks far from the letters are dropped. */
static void
test_still_background(void **state)
{
	static uint8_t before[SYNTH_PX], combined[SYNTH_PX], stable[SYNTH_PX];
	struct synth_rect sign[16], dots[2] = { { 150, 34, 2, 2 }, { 300, 4, 2, 2 } };
	struct textmask t;
	int n = synth_glyphs(rects, 8, 40, 20), m = synth_glyphs(sign, 4, 220, 20);
	size_t text = 8 * 69, still = 4 * 69;

	(void)state;
	synth_background(&frame, 0, 90);
	synth_text(&frame, sign, m, SYNTH_WHITE, 2, 16);
	luma_of(&frame, before);
	synth_text(&frame, rects, n, SYNTH_WHITE, 2, 16);
	luma_of(&frame, combined);
	assert_int_equal(textmask_init(&t, SYNTH_W, SYNTH_H, SYNTH_VIDEO_H, white_yellow, 2), 0);
	assert_int_equal(textmask_find_grey(&t, combined, true, 160, 90, 0, NULL, NULL, NULL, mask), text + still);
	/* The same before and after the caption: only the caption's glyphs are left. */
	assert_int_equal(textmask_find_grey(&t, combined, true, 160, 90, 0, before, before, NULL, mask), text);
	assert_int_equal(stroke_pixels(n), text);
	/* Unchanged from only one side (the sign goes with the caption's end) is still the background's. */
	synth_background(&frame, 0, 90);
	luma_of(&frame, stable);   /* a frame after, without the sign */
	assert_int_equal(textmask_find_grey(&t, combined, true, 160, 90, 0, before, stable, NULL, mask), text);
	/* Still glyphs that are where the caption's stable strokes appeared with their outline are text (the
	 * caption's own glyphs are among those strokes too). */
	memset(stable, 0, sizeof(stable));
	mark(stable, sign, m);
	mark(stable, rects, n);
	assert_int_equal(textmask_find_grey(&t, combined, true, 160, 90, 0, before, before, stable, mask), text + still);
	/* Letters not among the caption's stable strokes are background that outlasted its frames; a dot far
	 * from the letters is a speck, one next to them a full stop. */
	memset(stable, 0, sizeof(stable));
	mark(stable, rects, n);
	synth_text(&frame, sign, m, SYNTH_WHITE, 2, 16);
	synth_text(&frame, rects, n, SYNTH_WHITE, 2, 16);
	synth_text(&frame, dots, 2, SYNTH_WHITE, 2, 16);
	luma_of(&frame, combined);
	assert_int_equal(textmask_find_grey(&t, combined, true, 160, 90, 0, NULL, NULL, stable, mask), text + 4);
	assert_int_equal(mask[34 * SYNTH_W + 150], 1);
	textmask_free(&t);
}

/* Rectangles r painted into grey: level fill, inside an outline `width` pixels wide at level `outline`. */
static void
paint(uint8_t *grey, const struct synth_rect *r, int n, uint8_t fill, int width, uint8_t outline)
{
	for (int k = 0; k < n; k++)
		for (int y = r[k].y - width; y < r[k].y + r[k].h + width; y++)
			for (int x = r[k].x - width; x < r[k].x + r[k].w + width; x++)
				if (x >= 0 && y >= 0 && x < SYNTH_W && y < SYNTH_H && grey[y * SYNTH_W + x] != fill)
					grey[y * SYNTH_W + x] = outline;
	for (int k = 0; k < n; k++)
		for (int y = r[k].y; y < r[k].y + r[k].h; y++)
			for (int x = r[k].x; x < r[k].x + r[k].w; x++)
				grey[y * SYNTH_W + x] = fill;
}

/* Text over a background of its own colour under grain (the combined frames' background a little darker
 * than the strokes, never as dark as the outline): only the outline's shades wall a stroke in, so letters
 * walled by darkened background are not text; and a speck of that background next to a letter's outline
 * (outline on one side only) is dropped where a full stop with its own outline is kept. */
static void
test_own_outline(void **state)
{
	static uint8_t grey[SYNTH_PX], stable[SYNTH_PX];
	struct synth_rect dot = { 40 + 14 * 4, 34, 2, 2 }, speck = { 40, 16, 2, 2 };
	struct textmask t;
	int n = synth_glyphs(rects, 4, 40, 20);
	size_t text = 4 * 69;

	(void)state;
	assert_int_equal(textmask_init(&t, SYNTH_W, SYNTH_H, SYNTH_VIDEO_H, white_yellow, 2), 0);
	memset(grey, 150, sizeof(grey));
	paint(grey, rects, n, 230, 2, 120);   /* walled by darkened background only */
	assert_int_equal(textmask_find_grey(&t, grey, true, 160, 100, 0, NULL, NULL, NULL, mask), 0);
	assert_int_equal(textmask_find_grey(&t, grey, true, 160, 130, 0, NULL, NULL, NULL, mask), text);
	memset(grey, 150, sizeof(grey));
	paint(grey, rects, n, 230, 2, 16);
	paint(grey, &dot, 1, 230, 2, 16);
	paint(grey, &speck, 1, 230, 0, 16);   /* touches the first letter's outline from above */
	memset(stable, 0, sizeof(stable));
	mark(stable, rects, n);
	assert_int_equal(textmask_find_grey(&t, grey, true, 160, 100, 0, NULL, NULL, stable, mask), text + 4);
	assert_int_equal(mask[34 * SYNTH_W + dot.x], 1);
	assert_int_equal(mask[16 * SYNTH_W + speck.x], 0);
	textmask_free(&t);
}

static void
test_bad_sizes(void **state)
{
	struct textmask t;

	(void)state;
	assert_int_equal(textmask_init(&t, 7, 64, 360, white_yellow, 2), -1);
	assert_int_equal(textmask_init(&t, 320, 63, 360, white_yellow, 2), -1);
	assert_int_equal(textmask_init(&t, 320, 400, 360, white_yellow, 2), -1);
	assert_int_equal(textmask_init(&t, 320, 64, 360, white_yellow, 0), -1);
	assert_int_equal(textmask_init(&t, 320, 64, 360, white_yellow, TEXTMASK_COLOURS_MAX + 1), -1);
	assert_null(t.cls);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outlined_text),
		cmocka_unit_test(test_not_text),
		cmocka_unit_test(test_dark_text_and_dots),
		cmocka_unit_test(test_presence_and_walled),
		cmocka_unit_test(test_still_background),
		cmocka_unit_test(test_own_outline),
		cmocka_unit_test(test_bad_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
