/* subtitles.c: see subtitles.h. The decoder's frames go straight to the segmenter; each caption it ends is
 * cleaned and read at once, so nothing but the ring of recent frames is kept. */
#include "shared/local/subtitles.h"

#include "shared/local/captions.h"
#include "shared/local/cleanimage.h"
#include "shared/str.h"

#include <stdlib.h>
#include <string.h>

/* One reading: what the callbacks share. */
struct reading {
	const struct subtitles_opts *o;
	struct captions_opts co;
	struct textmask mask;
	struct captions *seg;
	struct ocr *ocr;
	struct subtitles *out;
	int cap;
	subtitles_sample_fn *on_sample;
	void *arg;
	size_t px;
	char *err;
	size_t errlen;
};

static int
add(struct reading *r, const struct captions_found *c, const char *text, float conf)
{
	struct subtitles *s = r->out;
	struct subtitle *it;

	if (s->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 16;
		struct subtitle *more = realloc(s->items, (size_t)cap * sizeof(*more));

		if (more == NULL)
			return -1;
		s->items = more;
		r->cap = cap;
	}
	it = &s->items[s->n++];
	memset(it, 0, sizeof(*it));
	it->start = c->start;
	it->end = c->end;
	it->start_time = c->start / s->fps;
	it->end_time = (c->end + 1) / s->fps;
	/* The samples inside [start, end]: the first at or after start, the last at or before end. */
	it->first_sample = (int)((double)c->start * r->co.sample_fps / r->co.fps);
	while (captions_sample_frame(&r->co, it->first_sample) < c->start)
		it->first_sample++;
	it->last_sample = it->first_sample;
	while (captions_sample_frame(&r->co, it->last_sample + 1) <= c->end)
		it->last_sample++;
	if (captions_sample_frame(&r->co, it->last_sample) > c->end)
		it->last_sample--;
	(void)str_fmt(it->text, sizeof(it->text), "%s", text);
	it->confidence = conf;
	return 0;
}

/* A caption ended: its clean image is read once; one with no word at the floor is dropped. */
static int
caption_found(void *arg, const struct captions_found *c)
{
	struct reading *r = arg;
	struct cleanimage img;
	char text[SUBTITLES_TEXT_MAX], why[256];
	float conf = 0;
	int rc, words;

	if ((rc = cleanimage_make(&r->mask, c, &img)) <= 0)
		return rc;
	r->out->read++;
	words = ocr_grey(r->ocr, img.pixels, img.width, img.height, r->o->min_confidence, text, sizeof(text), &conf,
	    why, sizeof(why));
	if (r->o->on_image != NULL)
		r->o->on_image(r->o->image_arg, c, img.pixels, img.width, img.height, words > 0 ? text : "");
	cleanimage_free(&img);
	if (words <= 0)
		return 0;
	return add(r, c, text, conf);
}

static int
frame_decoded(void *arg, int index, const unsigned char *yuv, char *err, size_t errlen)
{
	struct reading *r = arg;
	struct textmask_frame f = { yuv, yuv + r->px, yuv + r->px + r->px / 4 };
	int s = -1, rc;

	r->out->frames = index + 1;
	if ((rc = captions_push(r->seg, index, &f, &s)) < 0) {
		(void)str_fmt(err, errlen, "out of memory reading captions");
		return -1;
	}
	if (rc == 1) {
		r->out->samples = s + 1;
		if (r->on_sample != NULL)
			return r->on_sample(r->arg, s, index, yuv, r->mask.width, r->mask.height, err, errlen);
	}
	return 0;
}

enum media_result
subtitles_read(const char *path, const struct media_opts *mo, const struct media_info *info,
    const struct media_crop *crop, const struct subtitles_opts *o, struct ocr *ocr, subtitles_sample_fn *on_sample,
    void *arg, struct subtitles *out, char *err, size_t errlen)
{
	struct reading r = { .o = o, .ocr = ocr, .out = out, .on_sample = on_sample, .arg = arg, .err = err,
		.errlen = errlen };
	struct media_crop even = { crop->x & ~1, crop->y & ~1, crop->width & ~1, crop->height & ~1 };
	enum media_result m = MEDIA_FAILED;
	int count;

	memset(out, 0, sizeof(*out));
	out->fps = info->fps > 0 && info->fps <= 240 ? info->fps : 25;
	r.co = (struct captions_opts){ .fps = out->fps, .sample_fps = o->sample_fps, .min_ms = o->min_ms };
	if (textmask_init(&r.mask, even.width, even.height, info->height, o->colours, o->ncolours) != 0) {
		(void)str_fmt(err, errlen, "cannot read captions in a %dx%d band of a %d pixel high video", even.width,
		    even.height, info->height);
		return MEDIA_BAD_INPUT;
	}
	r.px = (size_t)even.width * (size_t)even.height;
	if ((r.seg = captions_new(&r.mask, &r.co, caption_found, &r)) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		goto out;
	}
	if ((m = media_decode(path, mo, out->fps, &even, frame_decoded, &r, &count, err, errlen)) != MEDIA_OK)
		goto out;
	if (captions_finish(r.seg) != 0) {
		(void)str_fmt(err, errlen, "out of memory reading captions");
		m = MEDIA_FAILED;
	}
out:
	captions_free(r.seg);
	textmask_free(&r.mask);
	if (m != MEDIA_OK)
		subtitles_free(out);
	return m;
}

void
subtitles_free(struct subtitles *s)
{
	free(s->items);
	s->items = NULL;
	s->n = 0;
}
