/* textmask.h: which pixels of a caption band are subtitle text. A subtitle stroke has the subtitle's colour
 * (white, yellow, or any configured colour; light on dark or dark on light) and is walled in by a
 * contrasting outline or box, so its whole edge lies next to contrasting pixels; its strokes are thin and
 * its glyphs letter-sized. Background texture rarely is all of that, and never in the same place for long
 * over moving video. Frames are YUV 4:2:0 planes (what ffmpeg decodes), colours BT.601 limited range. */
#ifndef CAPTIONACC_TEXTMASK_H
#define CAPTIONACC_TEXTMASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEXTMASK_COLOURS_MAX 8

/* One frame of the band: width x height luma, (width/2) x (height/2) of each chroma plane. */
struct textmask_frame {
	const uint8_t *y, *u, *v;
};

struct textmask_colour {
	uint8_t y, u, v;
	bool light;          /* light text on a darker outline (else dark text on a lighter one) */
};

/* A reference: the pixels of one caption's strokes and the ring around them (where its outline or box
 * is), as offsets into the band, to tell cheaply whether a frame still shows that caption. */
struct textmask_ref {
	uint32_t *fill, *ring;   /* owned; freed by textmask_ref_free */
	size_t nfill, nring;
	bool light;              /* the colour class most of its strokes have */
	unsigned colours;        /* the subtitle colours (bit k: colour k) a quarter or more of its strokes have */
	int x0, y0, x1, y1;      /* bounding box of fill (inclusive) */
};

/* Component statistics, per label (the first pass's scratch). */
struct textmask_comp;

/* The settings and scratch memory for one band size; one per thread. */
struct textmask {
	int width, height;          /* of the band, even */
	int video_height;           /* glyph sizes are judged against it */
	struct textmask_colour colours[TEXTMASK_COLOURS_MAX];
	int ncolours;
	int reach;                  /* pixels from a stroke's edge within which the outline must be */
	uint8_t *cls, *near, *tmp;  /* width x height each */
	uint32_t *labels, *parent;
	struct textmask_comp *comps;
	size_t ncomps_max;
	int median_height;          /* of the glyphs the last find kept (0: none) */
	/* classification tables: per luma level and per chroma pair (u << 8 | v), the colours (one bit each)
	 * a pixel could be; per luma level, TEXTMASK_DARK and TEXTMASK_LIGHT */
	uint8_t luma_colours[256], luma_flags[256], light_colours;
	uint8_t *chroma_colours;    /* 65536 */
};

/* The height of the smallest letter (not a dot or comma) in t's video: 1/80 of it, at least 3 pixels. */
int textmask_letter_height(const struct textmask *t);
/* The YUV of an 0xRRGGBB colour. */
struct textmask_colour textmask_colour_of(uint32_t rgb);
/* Sets t up for a width x height band (both even, at least 8) of a video video_height pixels high, text in
 * the n colours rgb (0xRRGGBB). -1 on bad sizes or no memory. Free with textmask_free. */
int textmask_init(struct textmask *t, int width, int height, int video_height, const uint32_t *rgb, int n)
    __attribute__((warn_unused_result));
/* Sets t up like `like` (its colours and video height) for another band size. */
int textmask_init_like(struct textmask *t, const struct textmask *like, int width, int height)
    __attribute__((warn_unused_result));
void textmask_free(struct textmask *t);

/* Classification flags of textmask_classify, one byte per pixel. */
#define TEXTMASK_FILL_LIGHT 0x1u   /* a light subtitle colour */
#define TEXTMASK_FILL_DARK 0x2u    /* a dark subtitle colour */
#define TEXTMASK_DARK 0x4u         /* dark enough to outline light text */
#define TEXTMASK_LIGHT 0x8u        /* light enough to outline dark text */

/* Writes mask (width x height bytes, 1 = text stroke) for frame f: pixels of the subtitle colours whose
 * connected glyph is letter-sized, thin-stroked and walled in by contrast along at least most of its edge.
 * min_height: the smallest glyph height kept, in pixels (0 keeps dots and commas). Returns the number of
 * text pixels. */
size_t textmask_find(struct textmask *t, const struct textmask_frame *f, int min_height, uint8_t *mask);
/* The same for one plane of grey levels (a caption's frames combined) with light (dark) text: strokes are
 * the pixels at or above (below) level, and only pixels at or below (above) wall, the outline's or box's
 * side, wall them in. With before and after (the same rows of the frames just before and
 * after the caption; NULL: none), a glyph mostly unchanged from either is a still background's, dropped,
 * unless half of it is in stable (1 = a stroke the per-frame masks found in the caption's frames, whose
 * outline came with it: text over a still background of its own colour). With stable (NULL: none), a
 * letter-tall glyph with none of it there is background that outlasted the caption's frames, dropped,
 * and a dot, comma or dash far from the letters left is a speck, dropped. */
size_t textmask_find_grey(struct textmask *t, const uint8_t *grey, bool light, int level, int wall, int min_height,
    const uint8_t *before, const uint8_t *after, const uint8_t *stable, uint8_t *mask);

/* Keeps in mask (a set of stroke pixels, e.g. strokes stable over two frames) the 8-connected parts whose
 * pixels 2 away from them are mostly (WALLED) in the contrasting shade in frame f: whole glyphs keep their
 * outline around them, shreds of texture do not. Returns the pixels kept. */
size_t textmask_keep_walled(struct textmask *t, const struct textmask_frame *f, uint8_t *mask);

/* Whether a pixel of luma y and chroma u, v has one of the subtitle colours in `colours` (one bit each). */
bool textmask_is_fill(const struct textmask *t, int y, int u, int v, unsigned colours);

/* Builds ref from mask (the caption's stable strokes) for frame f's colours. -1 on no memory. */
int textmask_ref_make(struct textmask *t, const uint8_t *mask, const struct textmask_frame *f,
    struct textmask_ref *ref) __attribute__((warn_unused_result));
void textmask_ref_free(struct textmask_ref *ref);
/* How fully frame f shows ref: the share of its stroke pixels in a subtitle colour times the share of its
 * ring in the contrasting shade, 0..1 (about 1 while the caption shows; a quarter or less on a random
 * black and white texture, near 0 on another caption or a plain background). */
double textmask_presence(const struct textmask *t, const struct textmask_ref *ref, const struct textmask_frame *f);

#endif
