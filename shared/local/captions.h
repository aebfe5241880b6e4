/* captions.h: where captions start and end, from the text's own pixels (shared/local/textmask.c), not from
 * OCR. A subtitle's strokes stay put for its whole life and then change at once; a moving background does
 * not stay put. Every sample frame (sample_fps of them a second) gets a text mask; a caption starts when
 * strokes that were not there before are present in two samples in a row, and lasts while a frame still
 * shows those strokes walled in by their outline or box (while it lasts, that cheap test is all a sample
 * gets; when it ends, the two samples before are masked from the ring, as if they had been all along). Each boundary is then moved to the exact decoded
 * frame by the same cheap test on the frames between the two samples around it (kept in a ring), and a
 * caption shorter than min_ms is dropped. While a caption lasts its frames are combined into one grey image
 * (per pixel the darkest level for light text, the lightest for dark text), in which a moving background
 * fades out and the text stays; the frames just before and after it come along, to tell a still
 * background's own light patches from the text. */
#ifndef CAPTIONACC_CAPTIONS_H
#define CAPTIONACC_CAPTIONS_H

#include "shared/local/textmask.h"

#include <stdbool.h>
#include <stdint.h>

struct captions_opts {
	double fps;           /* decoded frames per second (frame i shows time i / fps) */
	double sample_fps;    /* frames a second that get a full text mask (at most fps) */
	long min_ms;          /* shorter captions are dropped */
};

/* A caption found, for the callback (valid during the call). */
struct captions_found {
	int start, end;              /* first and last decoded frame showing it */
	bool light;                  /* light text (on a darker outline or box) */
	int top, width, height;      /* the rows of the band combined: top .. top + height - 1, full width */
	int left, right;             /* the columns its stable strokes span */
	const uint8_t *combined;     /* width x height grey levels of its frames combined */
	const uint8_t *votes;        /* width x height: in how many of those frames (of `frames`) each pixel had
	                              * the subtitle colour, chroma included */
	int frames;
	const uint8_t *before, *after;  /* the same rows of the frames just before and after it (luma), or
	                                 * NULL when there is none (the video's start or end) */
	size_t strokes;              /* stable stroke pixels it was found by */
	const uint8_t *stable;       /* width x height: 1 where those strokes are, or the per-frame masks of its
	                              * last two samples both found a stroke */
	int level;                   /* grey level between its strokes' and their outline's (or box's) in
	                              * combined: the strokes' side of it is stroke */
	int wall;                    /* grey level halfway between the two: the outline's side of it is outline */
};

/* Receives each caption (in order); non-zero stops captions_push / captions_finish with that value. */
typedef int captions_fn(void *arg, const struct captions_found *c);

struct captions;

/* A segmenter over the band textmask t was set up for (t must outlive it). NULL on bad options or no
 * memory. Free with captions_free. */
struct captions *captions_new(struct textmask *t, const struct captions_opts *o, captions_fn *fn, void *arg);
void captions_free(struct captions *c);
/* Gives the next decoded frame (index 0, 1, ... in order, planes as textmask.h). Returns 1 when it was a
 * sample frame (*sample is then its number, 0, 1, ...), 0 when not, -1 on no memory, or fn's non-zero
 * value. */
int captions_push(struct captions *c, int index, const struct textmask_frame *f, int *sample);
/* Ends the last caption at the last frame given. 0, -1 on no memory, or fn's non-zero value. */
int captions_finish(struct captions *c);
/* The decoded frame that sample s is (the one nearest s / sample_fps seconds). */
int captions_sample_frame(const struct captions_opts *o, int s);

#endif
