/* cleanimage.c: see cleanimage.h. Scaling is leptonica's (linear interpolation of the black-on-white
 * image, so letters keep smooth edges for tesseract's own binarisation). */
#include "shared/local/cleanimage.h"

#include <leptonica/allheaders.h>

#include <stdlib.h>
#include <string.h>

/* White margin around the text after scaling, in pixels. */
#define MARGIN 16
/* A stroke pixel has the subtitle's colour in at least VOTES/10 of the caption's frames. */
#define VOTES 8

/* The bounding box of the set pixels of mask (w x h); false when there are none. */
static bool
bounds(const uint8_t *mask, int w, int h, int *x0, int *y0, int *x1, int *y1)
{
	*x0 = w;
	*y0 = h;
	*x1 = *y1 = -1;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			if (mask[(size_t)y * w + x]) {
				*x0 = x < *x0 ? x : *x0;
				*x1 = x > *x1 ? x : *x1;
				*y0 = y < *y0 ? y : *y0;
				*y1 = y > *y1 ? y : *y1;
			}
	return *x1 >= 0;
}

/* A copy of the w x h plane src with `rows` rows (evening the height up: the last row repeated), or NULL
 * on no memory. Caller frees. */
static uint8_t *
padded(const uint8_t *src, int w, int h, int rows)
{
	uint8_t *p = malloc((size_t)w * (size_t)rows);

	if (p == NULL)
		return NULL;
	memcpy(p, src, (size_t)w * (size_t)h);
	for (int y = h; y < rows; y++)
		memcpy(p + (size_t)y * w, src + (size_t)(h - 1) * w, (size_t)w);
	return p;
}

/* The combined image (with `rows` rows) in which a pixel that had the subtitle's colour in fewer than
 * VOTES/10 of the caption's frames is background: a light patch of another colour is not a stroke. Such a
 * pixel keeps its level up to just short of a stroke's, not the outline's shade: a background of the
 * text's own colour under grain passes the vote here and there, and specks walled in by made-up outline
 * would read as text. NULL on no memory. Caller frees. */
static uint8_t *
uncoloured(const struct captions_found *c, int rows)
{
	uint8_t *grey = padded(c->combined, c->width, c->height, rows);
	size_t n = (size_t)c->width * (size_t)c->height;
	int below = c->light ? c->level - 1 : c->level + 1;

	if (grey == NULL)
		return NULL;
	below = below < 0 ? 0 : below > 255 ? 255 : below;
	for (size_t p = 0; p < n; p++)
		if (c->votes[p] * 10 < c->frames * VOTES && (c->light ? grey[p] > below : grey[p] < below))
			grey[p] = (uint8_t)below;
	return grey;
}

/* Clears the mask outside columns from .. to (strokes that were never stable, far from the caption). */
static void
keep_columns(uint8_t *mask, int w, int h, int from, int to)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			if (x < from || x > to)
				mask[(size_t)y * w + x] = 0;
}

/* The text of mask inside the box, black on white, scaled by `scale`, with a margin, into out. */
static int
draw(const uint8_t *mask, int w, int x0, int y0, int x1, int y1, float scale, struct cleanimage *out)
{
	int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
	PIX *pix = pixCreate((l_int32)bw, (l_int32)bh, 8), *big = NULL, *framed = NULL;
	l_uint32 *data;
	l_int32 wpl;
	int rc = -1;

	if (pix == NULL)
		return -1;
	data = pixGetData(pix);
	wpl = pixGetWpl(pix);
	for (int y = 0; y < bh; y++)
		for (int x = 0; x < bw; x++)
			SET_DATA_BYTE(data + (size_t)y * (size_t)wpl, x, mask[(size_t)(y0 + y) * w + x0 + x] ? 0 : 255);
	big = scale > 1.01f ? pixScaleGrayLI(pix, scale, scale) : pixClone(pix);
	if (big == NULL || (framed = pixAddBorder(big, MARGIN, 255)) == NULL)
		goto out;
	out->width = (int)pixGetWidth(framed);
	out->height = (int)pixGetHeight(framed);
	if ((out->pixels = malloc((size_t)out->width * (size_t)out->height)) == NULL)
		goto out;
	data = pixGetData(framed);
	wpl = pixGetWpl(framed);
	for (int y = 0; y < out->height; y++)
		for (int x = 0; x < out->width; x++)
			out->pixels[(size_t)y * out->width + x] = (uint8_t)GET_DATA_BYTE(data + (size_t)y * (size_t)wpl, x);
	rc = 0;
out:
	pixDestroy(&pix);
	pixDestroy(&big);
	pixDestroy(&framed);
	return rc;
}

int
cleanimage_make(const struct textmask *like, const struct captions_found *c, struct cleanimage *out)
{
	struct textmask t;
	uint8_t *grey = NULL, *mask = NULL, *before = NULL, *after = NULL, *stable = NULL;
	int rows = c->height + (c->height & 1), x0, y0, x1, y1, rc = -1;
	float scale;

	memset(out, 0, sizeof(*out));
	if (textmask_init_like(&t, like, c->width, rows < 8 ? 8 : rows) != 0)
		return -1;
	if ((grey = uncoloured(c, t.height)) == NULL ||
	    (mask = malloc((size_t)t.width * (size_t)t.height)) == NULL ||
	    (c->before != NULL && (before = padded(c->before, c->width, c->height, t.height)) == NULL) ||
	    (c->after != NULL && (after = padded(c->after, c->width, c->height, t.height)) == NULL) ||
	    (c->stable != NULL && (stable = padded(c->stable, c->width, c->height, t.height)) == NULL))
		goto out;
	rc = 0;
	if (textmask_find_grey(&t, grey, c->light, c->level, c->wall, 0, before, after, stable, mask) == 0 || t.median_height == 0)
		goto out;
	keep_columns(mask, t.width, t.height, c->left - 2 * t.median_height, c->right + 2 * t.median_height);
	if (
	    !bounds(mask, t.width, t.height, &x0, &y0, &x1, &y1))
		goto out;
	out->glyphs = t.median_height;
	scale = (float)CLEANIMAGE_GLYPH_HEIGHT / (float)t.median_height;
	scale = scale < 1 ? 1 : scale > 8 ? 8 : scale;
	rc = draw(mask, t.width, x0, y0, x1, y1, scale, out) == 0 ? 1 : -1;
out:
	if (rc != 1)
		cleanimage_free(out);
	free(grey);
	free(mask);
	free(before);
	free(after);
	free(stable);
	textmask_free(&t);
	return rc;
}

void
cleanimage_free(struct cleanimage *img)
{
	free(img->pixels);
	img->pixels = NULL;
	img->width = img->height = 0;
}
