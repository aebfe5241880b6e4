/* subtitles.h: reads the burned-in subtitles of a band of a video: decodes the band (media.c, no files),
 * finds each caption's extent from its strokes (captions.c, textmask.c), makes one clean image of it
 * (cleanimage.c) and reads that once (ocr.c). A caption whose image holds no word at the confidence
 * floor is no caption (background texture). */
#ifndef CAPTIONACC_SUBTITLES_H
#define CAPTIONACC_SUBTITLES_H

#include "shared/local/captions.h"
#include "shared/local/media.h"
#include "shared/local/ocr.h"
#include "shared/local/textmask.h"

#include <stdint.h>

#define SUBTITLES_TEXT_MAX 512

struct subtitles_opts {
	const uint32_t *colours;   /* subtitle colours 0xRRGGBB */
	int ncolours;
	double sample_fps;         /* frames a second examined in full */
	long min_ms;               /* shortest caption */
	int min_confidence;        /* OCR words below it are dropped */
	/* For tests and debugging (NULL otherwise): each caption read (its combined frames in c), the clean
	 * image given to OCR (width x height grey levels) and the words read at the floor ("" when none). */
	void (*on_image)(void *arg, const struct captions_found *c, const uint8_t *clean, int width, int height,
	    const char *text);
	void *image_arg;
};

struct subtitle {
	int start, end;            /* first and last decoded frame showing it */
	double start_time, end_time;  /* start / fps and (end + 1) / fps seconds */
	int first_sample, last_sample;  /* the samples within it (first > last when none is) */
	char text[SUBTITLES_TEXT_MAX];
	float confidence;          /* mean of its words, 0-100 */
};

struct subtitles {
	struct subtitle *items;    /* owned; freed by subtitles_free */
	int n;
	double fps;                /* decoding rate */
	int frames, samples;       /* decoded, and examined in full */
	int read;                  /* OCR runs (one per caption found by its strokes) */
};

/* Called for each sample frame s (decoded frame `frame`), with the band's YUV 4:2:0 planes (width x height
 * luma then both chroma planes), e.g. to keep a picture of it. Non-zero stops the reading. */
typedef int subtitles_sample_fn(void *arg, int s, int frame, const uint8_t *yuv, int width, int height,
    char *err, size_t errlen);

/* Reads the subtitles in crop (pixels; made even here) of the video at path whose facts are info. on_sample
 * may be NULL. On MEDIA_OK *out (free with subtitles_free) holds the captions in time order. */
enum media_result subtitles_read(const char *path, const struct media_opts *mo, const struct media_info *info,
    const struct media_crop *crop, const struct subtitles_opts *o, struct ocr *ocr, subtitles_sample_fn *on_sample,
    void *arg, struct subtitles *out, char *err, size_t errlen);
void subtitles_free(struct subtitles *s);

#endif
