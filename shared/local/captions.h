/* captions.h: where captions start and end, from the OCR text of consecutive cropped frames: a caption
 * is a run of frames whose readings stay alike (captions_similarity >= CAPTIONS_SIMILAR); a frame without
 * text ends it, except a single unreadable frame inside a run (CAPTIONS_GAP_FRAMES). */
#ifndef CAPTIONACC_CAPTIONS_H
#define CAPTIONACC_CAPTIONS_H

#include <stddef.h>

#define CAPTIONS_TEXT_MAX 512
#define CAPTIONS_SIMILAR 0.7
#define CAPTIONS_GAP_FRAMES 1

struct captions_frame {
	const char *text;     /* OCR reading ("" when none) */
	float confidence;     /* 0-100 */
};

struct captions_extent {
	int start, end;       /* first and last frame (inclusive) */
	int best;             /* the frame read with the highest confidence */
	char text[CAPTIONS_TEXT_MAX];  /* that frame's reading */
};

/* Reduces OCR text to what identifies a caption: ASCII letters upper-cased, digits and non-ASCII bytes
 * kept, every run of anything else one space, trimmed. */
void captions_normalise(const char *in, char *out, size_t len);
/* 1 - Levenshtein distance / longer length, of two normalised texts: 1 equal, 0 nothing in common. */
double captions_similarity(const char *a, const char *b);
/* Finds the captions of frames[0..n). *out (caller frees) gets *count extents in frame order. -1 on no
 * memory. */
int captions_segment(const struct captions_frame *frames, int n, struct captions_extent **out, int *count);

#endif
