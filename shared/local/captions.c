/* captions.c: caption extents from text masks (see captions.h for the rule). Two states: idle (looking for
 * new strokes) and following one caption (checking each sample still shows it). */
#include "shared/local/captions.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A frame shows a caption when textmask_presence is at least this. */
#define PRESENT 0.5
/* In the combined image, strokes are the pixels at least LEVEL/10 of the way from their outline's level to
 * their own. */
#define LEVEL 7
/* ... and only pixels at most WALL/10 of the way from the outline's level to the strokes' are outline. */
#define WALL 5
/* The combined image folds in every COMBINE_EVERY-th frame of a caption. */
#define COMBINE_EVERY 3

struct slot {
	int index;        /* the decoded frame it holds, -1 when none */
	uint8_t *yuv;
};

struct captions {
	struct textmask *t;
	struct captions_opts o;
	captions_fn *fn;
	void *arg;
	size_t px, frame_size;
	int min_height;            /* glyphs smaller than this do not start a caption */
	size_t min_pixels;         /* nor do fewer new stroke pixels than this */
	struct slot *ring;         /* the last nring decoded frames */
	int nring;
	uint8_t *mask[3], *fresh;  /* masks of this sample, the one before and the one before that; new strokes */
	int mask_frame[3];         /* their frames (-1: none yet) */
	int nsamples, next_frame, last_index, last_end;
	/* the caption being followed */
	bool active;
	struct textmask_ref ref;
	int start, seen;           /* its first frame; the last frame known to show it */
	int top, rows;
	size_t strokes;
	uint8_t *combined;         /* width x rows */
	uint8_t *votes;            /* width x rows: frames combined in which each pixel had the colour */
	int combined_frames;
	uint8_t *before;           /* width x rows of the frame before start; NULL when there is none */
};

int
captions_sample_frame(const struct captions_opts *o, int s)
{
	return (int)floor((double)s * o->fps / o->sample_fps + 0.5);
}

static void
frame_of(const struct captions *c, const uint8_t *yuv, struct textmask_frame *f)
{
	f->y = yuv;
	f->u = yuv + c->px;
	f->v = f->u + c->px / 4;
}

/* Decoded frame j from the ring, or NULL when it is no longer (or not yet) there. */
static const uint8_t *
ring_frame(const struct captions *c, int j)
{
	const struct slot *s;

	if (j < 0)
		return NULL;
	s = &c->ring[j % c->nring];
	return s->index == j ? s->yuv : NULL;
}

static bool
shows(const struct captions *c, int j)
{
	const uint8_t *yuv = ring_frame(c, j);
	struct textmask_frame f;

	if (yuv == NULL)
		return false;
	frame_of(c, yuv, &f);
	return textmask_presence(c->t, &c->ref, &f) >= PRESENT;
}

/* Counts, for each pixel of the caption's rows, whether frame yuv shows it in the caption's colours. */
static void
vote(struct captions *c, const uint8_t *yuv)
{
	int w = c->t->width, cw = w / 2;
	const uint8_t *u = yuv + c->px, *v = u + c->px / 4;

	if (c->combined_frames == 255)
		return;
	c->combined_frames++;
	for (int r = 0; r < c->rows; r++) {
		int y = c->top + r;
		const uint8_t *ly = yuv + (size_t)y * w, *lu = u + (size_t)(y / 2) * cw, *lv = v + (size_t)(y / 2) * cw;
		uint8_t *out = c->votes + (size_t)r * w;

		for (int x = 0; x < w; x++)
			out[x] += textmask_is_fill(c->t, ly[x], lu[x / 2], lv[x / 2], c->ref.colours);
	}
}

/* Folds decoded frames from .. to (those still in the ring) into the combined image: every COMBINE_EVERY-th
 * frame of the caption and its last one (neighbouring frames differ little; this is most of the cost). */
static void
combine(struct captions *c, int from, int to, bool last)
{
	size_t n = (size_t)c->t->width * (size_t)c->rows;

	for (int j = from; j <= to; j++) {
		const uint8_t *yuv = ring_frame(c, j), *y;

		if (yuv == NULL || ((j - c->start) % COMBINE_EVERY != 0 && !(last && j == to)))
			continue;
		y = yuv + (size_t)c->top * (size_t)c->t->width;
		vote(c, yuv);
		if (c->ref.light) {
			for (size_t p = 0; p < n; p++)
				c->combined[p] = y[p] < c->combined[p] ? y[p] : c->combined[p];
		} else {
			for (size_t p = 0; p < n; p++)
				c->combined[p] = y[p] > c->combined[p] ? y[p] : c->combined[p];
		}
	}
}

static void
drop(struct captions *c)
{
	textmask_ref_free(&c->ref);
	free(c->combined);
	free(c->before);
	free(c->votes);
	c->combined = c->before = c->votes = NULL;
	c->combined_frames = 0;
	c->active = false;
}

/* The median of the combined image's levels at the offsets (of the band) in at[0..n). */
static int
median_level(const struct captions *c, const uint32_t *at, size_t n)
{
	size_t hist[256] = { 0 }, seen = 0, w = (size_t)c->t->width, first = (size_t)c->top * w;
	size_t last = first + (size_t)c->rows * w, total = 0;

	for (size_t i = 0; i < n; i++)
		if (at[i] >= first && at[i] < last) {
			hist[c->combined[at[i] - first]]++;
			total++;
		}
	for (int g = 0; g < 256; g++)
		if ((seen += hist[g]) * 2 >= total && total > 0)
			return g;
	return c->ref.light ? 255 : 0;
}

/* The grey level tenths/10 of the way from the outline's to the strokes'. */
static int
level_between(int outline, int strokes, int tenths)
{
	return outline + (strokes - outline) * tenths / 10;
}

/* The caption ends: the masks of samples k and k + 1 (0: this one, 1: the one before...), which were not
 * made while it was followed (most of the cost of a sample), made now from the ring: for the strokes it
 * showed last (emit) and for look. */
static void
catch_up(struct captions *c, int k0)
{
	for (int k = k0; k <= k0 + 1; k++) {
		const uint8_t *yuv = ring_frame(c, c->mask_frame[k]);
		struct textmask_frame f;

		if (yuv == NULL) {
			memset(c->mask[k], 0, c->px);
			continue;
		}
		frame_of(c, yuv, &f);
		(void)textmask_find(c->t, &f, c->min_height, c->mask[k]);
	}
}

/* The caption's stable strokes in its rows, width x rows, or NULL on no memory: its reference's (those it
 * was found by) and those of masks k and k + 1 (the last two samples that showed it). */
static uint8_t *
stable_strokes(const struct captions *c, int k)
{
	size_t w = (size_t)c->t->width, first = (size_t)c->top * w, n = (size_t)c->rows * w;
	uint8_t *m = calloc(n, 1);

	for (size_t i = 0; m != NULL && i < c->ref.nfill; i++)
		if (c->ref.fill[i] >= first && c->ref.fill[i] - first < n)
			m[c->ref.fill[i] - first] = 1;
	for (size_t p = 0; m != NULL && p < n; p++)
		m[p] |= c->mask[k][first + p] & c->mask[k + 1][first + p];
	return m;
}

/* The caption ends at frame end: handed over if it lasted long enough, then forgotten. Masks k and k + 1
 * are of the last two samples that showed it. */
static int
emit(struct captions *c, int end, int k)
{
	const uint8_t *after = ring_frame(c, end + 1);
	int outline = median_level(c, c->ref.ring, c->ref.nring), strokes = median_level(c, c->ref.fill, c->ref.nfill);
	struct captions_found f = {
		.start = c->start, .end = end, .light = c->ref.light, .top = c->top, .width = c->t->width,
		.height = c->rows, .left = c->ref.x0, .right = c->ref.x1, .combined = c->combined, .votes = c->votes,
		.frames = c->combined_frames,
		.before = c->before, .after = after ? after + (size_t)c->top * (size_t)c->t->width : NULL,
		.strokes = c->strokes, .stable = stable_strokes(c, k),
		.level = level_between(outline, strokes, LEVEL), .wall = level_between(outline, strokes, WALL),
	};
	int rc = 0;

	if (f.stable == NULL)
		rc = -1;
	else if ((double)(end - c->start + 1) * 1000.0 >= (double)c->o.min_ms * c->o.fps)
		rc = c->fn(c->arg, &f);
	free((void *)f.stable);
	c->last_end = end;
	drop(c);
	return rc;
}

/* Sample frame i (f) while following a caption: it goes on, or it ended at a frame since the last sample
 * that showed it. */
static int
follow(struct captions *c, int i, const struct textmask_frame *f)
{
	int end = c->seen;

	if (textmask_presence(c->t, &c->ref, f) >= PRESENT) {
		combine(c, c->seen + 1, i, false);
		c->seen = i;
		return 0;
	}
	while (end + 1 < i && shows(c, end + 1))
		end++;
	combine(c, c->seen + 1, end, true);
	catch_up(c, 1);
	return emit(c, end, 1);
}

/* Keeps the caption's rows of the frame before its start, when the ring still has it. */
static int
keep_before(struct captions *c)
{
	const uint8_t *yuv = ring_frame(c, c->start - 1);
	size_t n = (size_t)c->t->width * (size_t)c->rows;

	if (yuv == NULL)
		return 0;
	if ((c->before = malloc(n)) == NULL)
		return -1;
	memcpy(c->before, yuv + (size_t)c->top * (size_t)c->t->width, n);
	return 0;
}

/* Sample s (frame i, f) while idle: strokes in this sample and the last one that were not in the one
 * before start a caption, back-dated to the first frame since then that shows them. */
static int
look(struct captions *c, int s, int i, const struct textmask_frame *f)
{
	size_t n = 0;
	int floor_frame, m;

	for (size_t p = 0; p < c->px; p++) {
		c->fresh[p] = c->mask[0][p] & c->mask[1][p] & (uint8_t)(s < 2 || !c->mask[2][p]);
		n += c->fresh[p];
	}
	if (n < c->min_pixels || (n = textmask_keep_walled(c->t, f, c->fresh)) < c->min_pixels)
		return 0;
	if (textmask_ref_make(c->t, c->fresh, f, &c->ref) != 0)
		return -1;
	if (textmask_presence(c->t, &c->ref, f) < PRESENT) {
		textmask_ref_free(&c->ref);   /* strokes that do not hold together: texture */
		return 0;
	}
	m = (c->ref.y1 - c->ref.y0 + 1) / 2;
	m = m < 4 ? 4 : m;
	c->top = c->ref.y0 - m < 0 ? 0 : c->ref.y0 - m;
	c->rows = (c->ref.y1 + m >= c->t->height ? c->t->height - 1 : c->ref.y1 + m) - c->top + 1;
	if ((c->combined = malloc((size_t)c->t->width * (size_t)c->rows)) == NULL ||
	    (c->votes = calloc((size_t)c->t->width, (size_t)c->rows)) == NULL) {
		drop(c);
		return -1;
	}
	memset(c->combined, c->ref.light ? 255 : 0, (size_t)c->t->width * (size_t)c->rows);
	c->active = true;
	c->strokes = n;
	c->start = i;
	floor_frame = s >= 2 ? c->mask_frame[2] + 1 : 0;
	if (floor_frame <= c->last_end)
		floor_frame = c->last_end + 1;
	while (c->start - 1 >= floor_frame && shows(c, c->start - 1))
		c->start--;
	combine(c, c->start, i, false);
	c->seen = i;
	return keep_before(c);
}

struct captions *
captions_new(struct textmask *t, const struct captions_opts *o, captions_fn *fn, void *arg)
{
	struct captions *c;
	int step;

	if (!(o->fps > 0 && o->fps <= 240 && o->sample_fps > 0) || o->min_ms < 0 || fn == NULL ||
	    (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->t = t;
	c->o = *o;
	if (c->o.sample_fps > c->o.fps)
		c->o.sample_fps = c->o.fps;
	c->fn = fn;
	c->arg = arg;
	c->px = (size_t)t->width * (size_t)t->height;
	c->frame_size = c->px * 3 / 2;
	c->min_height = textmask_letter_height(t);
	c->min_pixels = (size_t)(t->video_height / 60) * (size_t)(t->video_height / 60) * 2;
	c->min_pixels = c->min_pixels < 20 ? 20 : c->min_pixels;
	step = (int)ceil(c->o.fps / c->o.sample_fps) + 1;
	c->nring = 2 * step + 2;
	c->last_end = -1;
	c->last_index = -1;
	for (int k = 0; k < 3; k++)
		c->mask_frame[k] = -1;
	if ((c->ring = calloc((size_t)c->nring, sizeof(*c->ring))) == NULL)
		goto fail;
	for (int k = 0; k < c->nring; k++) {
		c->ring[k].index = -1;
		if ((c->ring[k].yuv = malloc(c->frame_size)) == NULL)
			goto fail;
	}
	for (int k = 0; k < 3; k++)
		if ((c->mask[k] = calloc(c->px, 1)) == NULL)
			goto fail;
	if ((c->fresh = malloc(c->px)) == NULL)
		goto fail;
	return c;
fail:
	captions_free(c);
	return NULL;
}

void
captions_free(struct captions *c)
{
	if (c == NULL)
		return;
	drop(c);
	for (int k = 0; c->ring != NULL && k < c->nring; k++)
		free(c->ring[k].yuv);
	free(c->ring);
	for (int k = 0; k < 3; k++)
		free(c->mask[k]);
	free(c->fresh);
	free(c);
}

int
captions_push(struct captions *c, int index, const struct textmask_frame *f, int *sample)
{
	struct slot *slot = &c->ring[index % c->nring];
	struct textmask_frame own;
	uint8_t *oldest;
	int s, rc = 0;

	if (index != c->last_index + 1)
		return -1;   /* frames come in order, one by one */
	memcpy(slot->yuv, f->y, c->px);
	memcpy(slot->yuv + c->px, f->u, c->px / 4);
	memcpy(slot->yuv + c->px + c->px / 4, f->v, c->px / 4);
	slot->index = index;
	c->last_index = index;
	if (index < c->next_frame)
		return 0;
	s = c->nsamples++;
	c->next_frame = captions_sample_frame(&c->o, c->nsamples);
	if (c->next_frame <= index)
		c->next_frame = index + 1;
	oldest = c->mask[2];
	c->mask[2] = c->mask[1];
	c->mask[1] = c->mask[0];
	c->mask[0] = oldest;
	c->mask_frame[2] = c->mask_frame[1];
	c->mask_frame[1] = c->mask_frame[0];
	c->mask_frame[0] = index;
	frame_of(c, slot->yuv, &own);
	if (c->active)
		rc = follow(c, index, &own);
	if (rc == 0 && !c->active) {
		(void)textmask_find(c->t, &own, c->min_height, c->mask[0]);
		if (s >= 1)
			rc = look(c, s, index, &own);
	}
	if (rc != 0)
		return rc;
	*sample = s;
	return 1;
}

int
captions_finish(struct captions *c)
{
	int end;

	if (!c->active)
		return 0;
	end = c->seen;
	while (end < c->last_index && shows(c, end + 1))
		end++;
	combine(c, c->seen + 1, end, true);
	catch_up(c, 0);
	return emit(c, end, 0);
}
