/* synth.h: synthetic caption bands for the local backend's unit tests (textmask, captions): YUV 4:2:0
 * frames of a moving noise background with glyph-like strokes drawn in a subtitle colour inside a black
 * outline, as libass draws them. Header-only: each test includes it once. */
#ifndef CAPTIONACC_TEST_SYNTH_H
#define CAPTIONACC_TEST_SYNTH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SYNTH_W 320
#define SYNTH_H 64
#define SYNTH_VIDEO_H 360
#define SYNTH_PX (SYNTH_W * SYNTH_H)
#define SYNTH_SIZE (SYNTH_PX * 3 / 2)

struct synth {
	uint8_t yuv[SYNTH_SIZE];
};

static uint32_t synth_seed;

static uint8_t
synth_rand(void)
{
	synth_seed = synth_seed * 1103515245u + 12345u;
	return (uint8_t)(synth_seed >> 16);
}

/* A background: noise that differs with seed (a moving background; grey levels 30-199, so that some of it
 * is near white), or one flat grey level when seed is 0. */
static void
synth_background(struct synth *s, uint32_t seed, uint8_t grey)
{
	synth_seed = seed;
	for (int p = 0; p < SYNTH_PX; p++)
		s->yuv[p] = seed ? (uint8_t)(30 + synth_rand() % 170) : grey;
	for (int p = SYNTH_PX; p < SYNTH_SIZE; p++)
		s->yuv[p] = seed ? (uint8_t)(96 + synth_rand() % 64) : 128;
}

static void
synth_set(struct synth *s, int x, int y, uint8_t luma, uint8_t u, uint8_t v)
{
	if (x < 0 || y < 0 || x >= SYNTH_W || y >= SYNTH_H)
		return;
	s->yuv[y * SYNTH_W + x] = luma;
	s->yuv[SYNTH_PX + (y / 2) * (SYNTH_W / 2) + x / 2] = u;
	s->yuv[SYNTH_PX + SYNTH_PX / 4 + (y / 2) * (SYNTH_W / 2) + x / 2] = v;
}

/* Strokes: rectangles (x, y, w, h) in colour (luma, u, v), each inside an outline `outline` pixels wide of
 * grey level `edge` (black for light text). The outlines are drawn first, so strokes stay whole. */
struct synth_rect {
	int x, y, w, h;
};

static void
synth_text(struct synth *s, const struct synth_rect *r, int n, uint8_t luma, uint8_t u, uint8_t v, int outline,
    uint8_t edge)
{
	for (int k = 0; k < n; k++)
		for (int y = r[k].y - outline; y < r[k].y + r[k].h + outline; y++)
			for (int x = r[k].x - outline; x < r[k].x + r[k].w + outline; x++)
				synth_set(s, x, y, edge, 128, 128);
	for (int k = 0; k < n; k++)
		for (int y = r[k].y; y < r[k].y + r[k].h; y++)
			for (int x = r[k].x; x < r[k].x + r[k].w; x++)
				synth_set(s, x, y, luma, u, v);
}

/* Caption-like text: n glyphs, each a vertical bar 3 wide and 18 high with a foot (an L), 14 pixels apart
 * from x0, top at y0. rects gets 2n rectangles. */
static int
synth_glyphs(struct synth_rect *rects, int n, int x0, int y0)
{
	for (int k = 0; k < n; k++) {
		rects[2 * k] = (struct synth_rect){ x0 + 14 * k, y0, 3, 18 };
		rects[2 * k + 1] = (struct synth_rect){ x0 + 14 * k, y0 + 15, 8, 3 };
	}
	return 2 * n;
}

#define SYNTH_WHITE 235, 128, 128
#define SYNTH_YELLOW 210, 16, 146

#endif
