/* textmask.c: see textmask.h. Each pixel is classified (subtitle colour, contrasting shade), the subtitle-
 * coloured pixels are joined into 8-connected glyphs (union-find, two passes), and a glyph is kept when its
 * size, stroke width and walled-in edge look like lettering. */
#include "shared/local/textmask.h"

#include <stdlib.h>
#include <string.h>

/* A subtitle colour as decoded: luma within FILL_LUMA, chroma (|dU| + |dV|) within FILL_CHROMA, or on the
 * way from the colour's chroma to grey: 4:2:0 keeps one chroma sample for 2x2 pixels, which on a thin
 * stroke is its colour mixed with its neutral (black or white) outline, so a saturated colour's thin
 * strokes decode anywhere from MIX_LEAST/10 of its chroma to all of it (within MIX_OFF of that line). */
#define FILL_LUMA 48
#define FILL_CHROMA 64
#define MIX_LEAST 3
#define MIX_OFF 16
/* An outline or box: at least CONTRAST luma levels darker (lighter) than the lightest (darkest) colour. */
#define CONTRAST 70
/* A glyph: at most MAX_HEIGHT/1000 and MAX_WIDTH/1000 of the video's height, strokes at most
 * MAX_STROKE/1000 of it plus 2 pixels thick, and WALLED/100 of its edge next to an outline. */
#define MAX_HEIGHT 160
#define MAX_WIDTH 320
#define MAX_STROKE 20
#define WALLED 80
/* A glyph of a combined image with STILL_SHARE/10 of its pixels within STILL grey levels of the frame
 * before the caption (or the one after) was there all along: a still background's. */
#define STILL 12
#define STILL_SHARE 7
/* A dot or comma of a combined image is text within NEAR/10 of a glyph height of a letter, with its own
 * outline: RING/10 of the pixels RING_AT out from its box around it in the outline's shade (a speck of a
 * background of the text's colour next to a letter's outline has it on one side only). */
#define NEAR 15
#define RING 7
#define RING_AT 2

/* A combined image with the frames around its caption. */
struct textmask_still {
	const uint8_t *grey, *before, *after, *stable;
};

struct textmask_comp {
	uint32_t area, edge, walled;
	uint32_t same_before, same_after;  /* pixels as they were before (after) the caption */
	uint32_t stable;                   /* pixels among the strokes the caption was found by */
	int x0, y0, x1, y1;
	bool keep;
};

static int
absdiff(int a, int b)
{
	return a > b ? a - b : b - a;
}

int
textmask_letter_height(const struct textmask *t)
{
	return t->video_height / 80 < 3 ? 3 : t->video_height / 80;
}

struct textmask_colour
textmask_colour_of(uint32_t rgb)
{
	int r = (int)(rgb >> 16 & 0xff), g = (int)(rgb >> 8 & 0xff), b = (int)(rgb & 0xff);
	struct textmask_colour c;

	c.y = (uint8_t)(16 + (66 * r + 129 * g + 25 * b + 128) / 256);
	c.u = (uint8_t)(128 + (-38 * r - 74 * g + 112 * b + 128) / 256);
	c.v = (uint8_t)(128 + (112 * r - 94 * g - 18 * b + 128) / 256);
	c.light = c.y >= 126;
	return c;
}

static int make_tables(struct textmask *t);

/* Sizes and scratch memory for a width x height band. */
static int
alloc_band(struct textmask *t, int width, int height)
{
	size_t px;

	if (width < 8 || height < 8 || width % 2 != 0 || height % 2 != 0 || width > 16384 || height > 16384 ||
	    t->video_height < 8 || t->video_height > 16384)
		return -1;
	t->width = width;
	t->height = height;
	t->reach = 2 + t->video_height / 480;
	px = (size_t)width * (size_t)height;
	t->ncomps_max = px / 2 + 2;
	t->cls = malloc(px);
	t->near = malloc(px);
	t->tmp = malloc(px);
	t->labels = malloc(px * sizeof(*t->labels));
	t->parent = malloc(t->ncomps_max * sizeof(*t->parent));
	t->comps = malloc(t->ncomps_max * sizeof(*t->comps));
	if (make_tables(t) != 0 || t->cls == NULL || t->near == NULL || t->tmp == NULL || t->labels == NULL ||
	    t->parent == NULL || t->comps == NULL) {
		textmask_free(t);
		return -1;
	}
	return 0;
}

int
textmask_init(struct textmask *t, int width, int height, int video_height, const uint32_t *rgb, int n)
{
	memset(t, 0, sizeof(*t));
	if (n < 1 || n > TEXTMASK_COLOURS_MAX || video_height < height)
		return -1;
	t->video_height = video_height;
	t->ncolours = n;
	for (int i = 0; i < n; i++)
		t->colours[i] = textmask_colour_of(rgb[i]);
	return alloc_band(t, width, height);
}

int
textmask_init_like(struct textmask *t, const struct textmask *like, int width, int height)
{
	memset(t, 0, sizeof(*t));
	t->video_height = like->video_height;
	t->ncolours = like->ncolours;
	memcpy(t->colours, like->colours, sizeof(t->colours));
	return alloc_band(t, width, height);
}

void
textmask_free(struct textmask *t)
{
	free(t->chroma_colours);
	free(t->cls);
	free(t->near);
	free(t->tmp);
	free(t->labels);
	free(t->parent);
	free(t->comps);
	memset(t, 0, sizeof(*t));
}

/* The flags of one pixel, from the tables: the colours whose luma (chroma) the pixel has, one bit each. */
static uint8_t
classify(const struct textmask *t, int y, int u, int v)
{
	uint8_t match = t->luma_colours[y] & t->chroma_colours[u << 8 | v];

	return (uint8_t)(t->luma_flags[y] | ((match & t->light_colours) ? TEXTMASK_FILL_LIGHT : 0) |
	    ((match & (uint8_t)~t->light_colours) ? TEXTMASK_FILL_DARK : 0));
}

/* Fills the lookup tables classify uses (a pixel's class is its luma's and its chroma's). */
bool
textmask_is_fill(const struct textmask *t, int y, int u, int v, unsigned colours)
{
	return (t->luma_colours[y] & t->chroma_colours[u << 8 | v] & colours) != 0;
}

/* Whether chroma u, v is colour col's mixed with grey (its outline's) in a share from MIX_LEAST/10 to 1,
 * within MIX_OFF of that line. */
static bool
mixed_with_grey(const struct textmask_colour *col, int u, int v)
{
	int cu = col->u - 128, cv = col->v - 128, du = u - 128, dv = v - 128;
	long len2 = (long)cu * cu + (long)cv * cv, along = (long)du * cu + (long)dv * cv, across = (long)du * cv - (long)dv * cu;

	if (len2 < (long)FILL_CHROMA * FILL_CHROMA)
		return false;   /* a colour near grey: the plain rule covers its mixes */
	return along * 10 >= len2 * MIX_LEAST && along <= len2 + (long)MIX_OFF * MIX_OFF &&
	    across * across <= (long)MIX_OFF * MIX_OFF * len2;
}

static int
make_tables(struct textmask *t)
{
	int lightest_dark = -1, darkest_light = 256;

	if ((t->chroma_colours = calloc(65536, 1)) == NULL)
		return -1;
	t->light_colours = 0;
	for (int k = 0; k < t->ncolours; k++) {
		const struct textmask_colour *col = &t->colours[k];

		if (col->light) {
			t->light_colours |= (uint8_t)(1u << k);
			darkest_light = col->y < darkest_light ? col->y : darkest_light;
		} else
			lightest_dark = col->y > lightest_dark ? col->y : lightest_dark;
		for (int u = 0; u < 256; u++)
			for (int v = 0; v < 256; v++)
				if (absdiff(u, col->u) + absdiff(v, col->v) <= FILL_CHROMA || mixed_with_grey(col, u, v))
					t->chroma_colours[u << 8 | v] |= (uint8_t)(1u << k);
	}
	for (int y = 0; y < 256; y++) {
		t->luma_colours[y] = 0;
		for (int k = 0; k < t->ncolours; k++) {
			const struct textmask_colour *col = &t->colours[k];

			if (absdiff(y, col->y) <= FILL_LUMA || (col->light ? y > col->y : y < col->y))
				t->luma_colours[y] |= (uint8_t)(1u << k);
		}
		t->luma_flags[y] = (uint8_t)((darkest_light < 256 && y <= darkest_light - CONTRAST ? TEXTMASK_DARK : 0) |
		    (lightest_dark >= 0 && y >= lightest_dark + CONTRAST ? TEXTMASK_LIGHT : 0));
	}
	return 0;
}

static void
classify_frame(struct textmask *t, const struct textmask_frame *f)
{
	int w = t->width, cw = w / 2;

	for (int y = 0; y < t->height; y++) {
		const uint8_t *ly = f->y + (size_t)y * w, *lu = f->u + (size_t)(y / 2) * cw, *lv = f->v + (size_t)(y / 2) * cw;
		uint8_t *out = t->cls + (size_t)y * w;

		for (int x = 0; x < w; x += 2) {
			uint8_t match = t->chroma_colours[lu[x / 2] << 8 | lv[x / 2]];

			for (int k = x; k < x + 2; k++) {
				uint8_t m = t->luma_colours[ly[k]] & match;

				out[k] = (uint8_t)(t->luma_flags[ly[k]] | ((m & t->light_colours) ? TEXTMASK_FILL_LIGHT : 0) |
				    ((m & (uint8_t)~t->light_colours) ? TEXTMASK_FILL_DARK : 0));
			}
		}
	}
}

/* dst = src's flag bits grown by r pixels in every direction (a square), as 0/1: each row the OR of its
 * 2r + 1 horizontal shifts (into t->tmp), then each row the OR of the 2r + 1 rows around it. Plain byte
 * loops the compiler vectorises. */
static void
dilate(struct textmask *t, const uint8_t *src, uint8_t bits, int r, uint8_t *dst)
{
	int w = t->width, h = t->height;
	uint8_t *on = dst;   /* dst first holds src's bits as 0/1 */

	for (size_t p = 0; p < (size_t)w * (size_t)h; p++)
		on[p] = (src[p] & bits) != 0;
	for (int y = 0; y < h; y++) {
		const uint8_t *s = on + (size_t)y * w;
		uint8_t *o = t->tmp + (size_t)y * w;

		memcpy(o, s, (size_t)w);
		for (int k = 1; k <= r && k < w; k++) {
			for (int x = 0; x + k < w; x++)
				o[x] |= s[x + k];
			for (int x = k; x < w; x++)
				o[x] |= s[x - k];
		}
	}
	for (int y = 0; y < h; y++) {
		uint8_t *o = dst + (size_t)y * w;
		int from = y - r < 0 ? 0 : y - r, to = y + r >= h ? h - 1 : y + r;

		memcpy(o, t->tmp + (size_t)from * w, (size_t)w);
		for (int k = from + 1; k <= to; k++) {
			const uint8_t *s = t->tmp + (size_t)k * w;

			for (int x = 0; x < w; x++)
				o[x] |= s[x];
		}
	}
}

static uint32_t
find_root(uint32_t *parent, uint32_t a)
{
	while (parent[a] != a) {
		parent[a] = parent[parent[a]];
		a = parent[a];
	}
	return a;
}

static void
unite(uint32_t *parent, uint32_t a, uint32_t b)
{
	a = find_root(parent, a);
	b = find_root(parent, b);
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

/* First pass: provisional labels of the pixels with bits (8-connected), merged in parent. Returns the
 * number of labels used (label 0 is "none"), or 0 if there were more than there is room for. */
static uint32_t
label(struct textmask *t, uint8_t bits)
{
	int w = t->width, h = t->height;
	uint32_t next = 1, *lab = t->labels;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t p = (size_t)y * w + x;
			uint32_t n[4], m = 0;
			int k = 0;

			lab[p] = 0;
			if (!(t->cls[p] & bits))
				continue;
			if (x > 0 && lab[p - 1])
				n[k++] = lab[p - 1];
			if (y > 0) {
				if (x > 0 && lab[p - w - 1])
					n[k++] = lab[p - w - 1];
				if (lab[p - w])
					n[k++] = lab[p - w];
				if (x + 1 < w && lab[p - w + 1])
					n[k++] = lab[p - w + 1];
			}
			if (k == 0) {
				if (next >= t->ncomps_max)
					return 0;
				t->parent[next] = next;
				lab[p] = next++;
				continue;
			}
			m = n[0];
			for (int i = 1; i < k; i++) {
				unite(t->parent, m, n[i]);
				if (n[i] < m)
					m = n[i];
			}
			lab[p] = m;
		}
	return next;
}

/* Whether pixel p (at x, y) of a glyph touches something that is not of the glyph (4-neighbours). */
static bool
on_edge(const struct textmask *t, size_t p, int x, int y, uint8_t bits)
{
	int w = t->width;

	return x == 0 || y == 0 || x + 1 == w || y + 1 == t->height || !(t->cls[p - 1] & bits) ||
	    !(t->cls[p + 1] & bits) || !(t->cls[p - w] & bits) || !(t->cls[p + w] & bits);
}

/* Second pass: final labels and each glyph's statistics. */
static void
measure(struct textmask *t, uint32_t n, uint8_t bits, const struct textmask_still *still)
{
	int w = t->width;

	for (uint32_t i = 1; i < n; i++)
		t->comps[i] = (struct textmask_comp){ .x0 = w, .y0 = t->height, .x1 = -1, .y1 = -1 };
	(void)bits;
	for (int y = 0; y < t->height; y++)
		for (int x = 0; x < w; x++) {
			size_t p = (size_t)y * w + x;
			struct textmask_comp *c;

			if (t->labels[p] == 0)
				continue;
			t->labels[p] = find_root(t->parent, t->labels[p]);
			c = &t->comps[t->labels[p]];
			c->area++;
			if (x < c->x0)
				c->x0 = x;
			if (x > c->x1)
				c->x1 = x;
			if (y < c->y0)
				c->y0 = y;
			if (y > c->y1)
				c->y1 = y;
			if (on_edge(t, p, x, y, bits)) {
				c->edge++;
				c->walled += t->near[p];
			}
			if (still != NULL && still->before != NULL && still->after != NULL) {
				c->same_before += abs(still->grey[p] - still->before[p]) <= STILL;
				c->same_after += abs(still->grey[p] - still->after[p]) <= STILL;
			}
			if (still != NULL && still->stable != NULL)
				c->stable += still->stable[p];
		}
}

/* Whether glyph c looks like lettering. */
static bool
letter_like(const struct textmask *t, const struct textmask_comp *c, int min_height)
{
	int h = c->y1 - c->y0 + 1, w = c->x1 - c->x0 + 1, vh = t->video_height;

	if (c->area < (min_height > 0 ? 3u : 2u) || h < min_height || h * 1000 > MAX_HEIGHT * vh || w * 1000 > MAX_WIDTH * vh)
		return false;
	if (2000.0 * c->area > ((double)MAX_STROKE * vh + 2000.0) * c->edge)
		return false;
	/* The same before the caption or after it: a still background's patch between outlines, unless it is
	 * where the caption's own strokes appeared with their outline. */
	if ((c->same_before * 10 >= c->area * STILL_SHARE || c->same_after * 10 >= c->area * STILL_SHARE) &&
	    c->stable * 2 < c->area)
		return false;
	return c->walled * 100 >= (uint32_t)WALLED * c->edge;
}

/* The median height of the kept glyphs of n labels at least a third as tall as the tallest (so that dots
 * and commas do not count). */
static int
median_height(const struct textmask *t, uint32_t n)
{
	unsigned hist[257] = { 0 };
	int tallest = 0, third, total = 0, seen = 0;

	for (uint32_t i = 1; i < n; i++)
		if (t->comps[i].keep) {
			int h = t->comps[i].y1 - t->comps[i].y0 + 1;

			hist[h > 256 ? 256 : h]++;
			tallest = h > tallest ? h : tallest;
		}
	third = tallest / 3;
	for (int h = third; h <= 256; h++)
		total += (int)hist[h];
	for (int h = third; h <= 256; h++)
		if ((seen += (int)hist[h]) * 2 >= total && total > 0)
			return h;
	return 0;
}

/* The gap between the boxes of glyphs a and b, in pixels (0 when they overlap), the larger of the
 * horizontal and the vertical one. */
static int
gap(const struct textmask_comp *a, const struct textmask_comp *b)
{
	int dx = a->x0 > b->x1 ? a->x0 - b->x1 : b->x0 > a->x1 ? b->x0 - a->x1 : 0;
	int dy = a->y0 > b->y1 ? a->y0 - b->y1 : b->y0 > a->y1 ? b->y0 - a->y1 : 0;

	return dx > dy ? dx : dy;
}

/* Whether glyph c has the contrast shade (bits) all around it: RING/10 of the pixels of the rectangle
 * RING_AT pixels out from its box (those inside the image). */
static bool
ringed(const struct textmask *t, const struct textmask_comp *c, uint8_t bits)
{
	int x0 = c->x0 - RING_AT, x1 = c->x1 + RING_AT, y0 = c->y0 - RING_AT, y1 = c->y1 + RING_AT;
	unsigned seen = 0, walled = 0;

	for (int y = y0; y <= y1; y++)
		for (int x = x0; x <= x1; x++) {
			if ((y != y0 && y != y1 && x != x0 && x != x1) || x < 0 || y < 0 || x >= t->width || y >= t->height)
				continue;
			seen++;
			walled += (t->cls[(size_t)y * t->width + x] & bits) != 0;
		}
	return seen > 0 && walled * 10 >= seen * RING;
}

/* With the caption's stable strokes known: a kept glyph as tall as the per-frame masks find (a letter)
 * must hold some of those strokes (else it is background that outlasted the caption's frames), and a
 * smaller one (a dot, a comma, a dash) must lie within NEAR/10 of the text's glyph height of a letter and
 * have its own outline around it (contrast bits). */
static void
on_text(struct textmask *t, uint32_t n, uint8_t contrast)
{
	int found = textmask_letter_height(t), height;

	for (uint32_t i = 1; i < n; i++)
		if (t->comps[i].keep && t->comps[i].y1 - t->comps[i].y0 + 1 >= found && t->comps[i].stable == 0)
			t->comps[i].keep = false;
	height = median_height(t, n);
	for (uint32_t i = 1; i < n; i++) {
		struct textmask_comp *c = &t->comps[i];
		bool near = false;

		if (!c->keep || c->y1 - c->y0 + 1 >= found)
			continue;
		for (uint32_t j = 1; j < n && !near; j++)
			near = j != i && t->comps[j].keep && t->comps[j].y1 - t->comps[j].y0 + 1 >= found &&
			    gap(c, &t->comps[j]) * 10 <= height * NEAR;
		c->keep = near && ringed(t, c, contrast);
	}
}

/* The glyphs of one colour class (fill bits, walled by contrast bits) into mask; returns their pixels. */
static size_t
glyphs(struct textmask *t, uint8_t fill, uint8_t contrast, int min_height, const struct textmask_still *still,
    uint8_t *mask)
{
	size_t px = (size_t)t->width * (size_t)t->height, count = 0;
	uint32_t n;

	dilate(t, t->cls, contrast, t->reach, t->near);
	if ((n = label(t, fill)) == 0)
		return 0;   /* more fragments than a frame of lettering has: noise */
	measure(t, n, fill, still);
	for (uint32_t i = 1; i < n; i++)
		t->comps[i].keep = t->parent[i] == i && letter_like(t, &t->comps[i], min_height);
	if (still != NULL && still->stable != NULL)
		on_text(t, n, contrast);
	t->median_height = median_height(t, n);
	for (size_t p = 0; p < px; p++)
		if (t->labels[p] != 0 && t->comps[t->labels[p]].keep) {
			mask[p] = 1;
			count++;
		}
	return count;
}

static size_t
find_classified(struct textmask *t, int min_height, const struct textmask_still *still, uint8_t *mask)
{
	size_t n = 0;
	bool light = false, dark = false;

	memset(mask, 0, (size_t)t->width * (size_t)t->height);
	t->median_height = 0;
	for (int k = 0; k < t->ncolours; k++) {
		light |= t->colours[k].light;
		dark |= !t->colours[k].light;
	}
	if (light)
		n += glyphs(t, TEXTMASK_FILL_LIGHT, TEXTMASK_DARK, min_height, still, mask);
	if (dark)
		n += glyphs(t, TEXTMASK_FILL_DARK, TEXTMASK_LIGHT, min_height, still, mask);
	return n;
}

size_t
textmask_find(struct textmask *t, const struct textmask_frame *f, int min_height, uint8_t *mask)
{
	classify_frame(t, f);
	return find_classified(t, min_height, NULL, mask);
}

size_t
textmask_find_grey(struct textmask *t, const uint8_t *grey, bool light, int level, int wall, int min_height,
    const uint8_t *before, const uint8_t *after, const uint8_t *stable, uint8_t *mask)
{
	struct textmask_still still = { grey, before, after, stable };
	size_t px = (size_t)t->width * (size_t)t->height;

	for (size_t p = 0; p < px; p++) {
		uint8_t c = t->luma_flags[grey[p]];

		/* Only the outline's own shades wall a stroke in: a background of the text's colour under grain
		 * combines into speckles darker than the text, but nowhere near its outline. */
		if (light ? grey[p] > wall : grey[p] < wall)
			c &= (uint8_t)~(TEXTMASK_DARK | TEXTMASK_LIGHT);
		if (light ? grey[p] >= level : grey[p] <= level)
			c |= light ? TEXTMASK_FILL_LIGHT : TEXTMASK_FILL_DARK;
		t->cls[p] = c;
	}
	return find_classified(t, min_height, &still, mask);
}

/* The offsets of the set pixels of plane into *out (caller frees). */
static int
offsets(const uint8_t *plane, size_t px, uint32_t **out, size_t *n)
{
	size_t k = 0;

	*n = 0;
	for (size_t p = 0; p < px; p++)
		k += plane[p] != 0;
	if ((*out = malloc((k ? k : 1) * sizeof(**out))) == NULL)
		return -1;
	for (size_t p = 0; p < px; p++)
		if (plane[p])
			(*out)[(*n)++] = (uint32_t)p;
	return 0;
}

/* The flags of the pixel at offset p of frame f. */
static uint8_t
class_at(const struct textmask *t, const struct textmask_frame *f, uint32_t p)
{
	int w = t->width, x = (int)(p % (uint32_t)w), y = (int)(p / (uint32_t)w);
	size_t c = (size_t)(y / 2) * (size_t)(w / 2) + (size_t)(x / 2);

	return classify(t, f->y[p], f->u[c], f->v[c]);
}

/* Whether (x, y) or one of its 8 neighbours is set in mask. */
static bool
touches(const uint8_t *mask, int w, int h, int x, int y)
{
	for (int j = y - 1; j <= y + 1; j++)
		for (int i = x - 1; i <= x + 1; i++)
			if (i >= 0 && j >= 0 && i < w && j < h && mask[(size_t)j * w + i])
				return true;
	return false;
}

size_t
textmask_keep_walled(struct textmask *t, const struct textmask_frame *f, uint8_t *mask)
{
	static const int dx[4] = { -2, 2, 0, 0 }, dy[4] = { 0, 0, -2, 2 };
	int w = t->width, h = t->height;
	size_t px = (size_t)w * (size_t)h, kept = 0;
	uint32_t n;

	for (size_t p = 0; p < px; p++)
		t->cls[p] = mask[p] ? TEXTMASK_FILL_LIGHT : 0;
	if ((n = label(t, TEXTMASK_FILL_LIGHT)) == 0)
		return 0;
	measure(t, n, TEXTMASK_FILL_LIGHT, NULL);   /* final labels; edge and walled are recounted below */
	for (uint32_t i = 1; i < n; i++)
		t->comps[i].edge = t->comps[i].walled = 0;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t p = (size_t)y * w + x;
			struct textmask_comp *c;
			uint8_t mine;

			if (!mask[p])
				continue;
			c = &t->comps[t->labels[p]];
			mine = class_at(t, f, (uint32_t)p) & TEXTMASK_FILL_LIGHT ? TEXTMASK_DARK : TEXTMASK_LIGHT;
			for (int k = 0; k < 4; k++) {
				int qx = x + dx[k], qy = y + dy[k];
				size_t q = (size_t)qy * w + qx;

				if (qx < 0 || qy < 0 || qx >= w || qy >= h || touches(mask, w, h, qx, qy))
					continue;   /* not in the ring: on or next to a stroke */
				c->edge++;
				c->walled += (class_at(t, f, (uint32_t)q) & mine) != 0;
			}
		}
	for (size_t p = 0; p < px; p++) {
		const struct textmask_comp *c = &t->comps[t->labels[p]];

		if (mask[p] && c->walled * 100 < (uint32_t)WALLED * c->edge)
			mask[p] = 0;
		kept += mask[p];
	}
	return kept;
}

int
textmask_ref_make(struct textmask *t, const uint8_t *mask, const struct textmask_frame *f, struct textmask_ref *ref)
{
	size_t px = (size_t)t->width * (size_t)t->height, light = 0, per[TEXTMASK_COLOURS_MAX] = { 0 };
	uint8_t *inner = t->cls, *outer = t->near;

	memset(ref, 0, sizeof(*ref));
	ref->x0 = t->width;
	ref->y0 = t->height;
	ref->x1 = ref->y1 = -1;
	if (offsets(mask, px, &ref->fill, &ref->nfill) != 0)
		return -1;
	for (size_t i = 0; i < ref->nfill; i++) {
		int x = (int)(ref->fill[i] % (uint32_t)t->width), y = (int)(ref->fill[i] / (uint32_t)t->width);

		size_t c = (size_t)(y / 2) * (size_t)(t->width / 2) + (size_t)(x / 2);
		uint8_t match = t->luma_colours[f->y[ref->fill[i]]] & t->chroma_colours[f->u[c] << 8 | f->v[c]];

		light += (class_at(t, f, ref->fill[i]) & TEXTMASK_FILL_LIGHT) != 0;
		for (int k = 0; k < t->ncolours; k++)
			per[k] += (match >> k) & 1u;
		ref->x0 = x < ref->x0 ? x : ref->x0;
		ref->x1 = x > ref->x1 ? x : ref->x1;
		ref->y0 = y < ref->y0 ? y : ref->y0;
		ref->y1 = y > ref->y1 ? y : ref->y1;
	}
	ref->light = light * 2 >= ref->nfill;
	for (int k = 0; k < t->ncolours; k++)
		if (per[k] * 4 >= ref->nfill && t->colours[k].light == ref->light)
			ref->colours |= 1u << k;
	/* The ring: 2 pixels out (past the anti-aliased edge, inside any outline or box). */
	dilate(t, mask, 1, 1, inner);
	dilate(t, mask, 1, 2, outer);
	for (size_t p = 0; p < px; p++)
		outer[p] = outer[p] && !inner[p];
	if (offsets(outer, px, &ref->ring, &ref->nring) != 0) {
		textmask_ref_free(ref);
		return -1;
	}
	return 0;
}

void
textmask_ref_free(struct textmask_ref *ref)
{
	free(ref->fill);
	free(ref->ring);
	memset(ref, 0, sizeof(*ref));
}

double
textmask_presence(const struct textmask *t, const struct textmask_ref *ref, const struct textmask_frame *f)
{
	uint8_t fill = ref->light ? TEXTMASK_FILL_LIGHT : TEXTMASK_FILL_DARK;
	uint8_t contrast = ref->light ? TEXTMASK_DARK : TEXTMASK_LIGHT;
	size_t in = 0, walled = 0;
	double a, b;

	if (ref->nfill == 0 || ref->nring == 0)
		return 0;
	for (size_t i = 0; i < ref->nfill; i++)
		in += (class_at(t, f, ref->fill[i]) & fill) != 0;
	for (size_t i = 0; i < ref->nring; i++)
		walled += (class_at(t, f, ref->ring[i]) & contrast) != 0;
	a = (double)in / (double)ref->nfill;
	b = (double)walled / (double)ref->nring;
	return a * b;
}
