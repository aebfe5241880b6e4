/* cleanimage.h: one clean image per caption for OCR: the caption's frames combined (captions.c), its
 * strokes picked out again there (textmask.c: subtitle shade, walled in, lettering-sized, dots and commas
 * kept), drawn black on white, cropped to the text with a margin and scaled so that letters are as tall as
 * tesseract reads best. */
#ifndef CAPTIONACC_CLEANIMAGE_H
#define CAPTIONACC_CLEANIMAGE_H

#include "shared/local/captions.h"
#include "shared/local/textmask.h"

#include <stddef.h>
#include <stdint.h>

/* The height tesseract reads best, in pixels, of the median glyph (about the capital height). */
#define CLEANIMAGE_GLYPH_HEIGHT 32

struct cleanimage {
	uint8_t *pixels;   /* width x height grey levels, dark text on white; owned, freed by cleanimage_free */
	int width, height;
	int glyphs;        /* median glyph height found in the combined frames, before scaling */
};

/* Makes the clean image of caption c found in the band of `like` (its colours and video height). Returns
 * 1 with *out filled, 0 when the combined frames hold no lettering (nothing to read), -1 on no memory. */
int cleanimage_make(const struct textmask *like, const struct captions_found *c, struct cleanimage *out)
    __attribute__((warn_unused_result));
void cleanimage_free(struct cleanimage *img);

#endif
