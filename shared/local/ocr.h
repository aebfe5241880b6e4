/* ocr.h: text and word boxes of an image file through libtesseract (and leptonica to read the image).
 * One engine per process is loaded once and reused for every frame. */
#ifndef CAPTIONACC_OCR_H
#define CAPTIONACC_OCR_H

#include <stddef.h>

struct ocr;

struct ocr_word {
	const char *text;        /* UTF-8, valid during the callback */
	float confidence;        /* 0-100 */
	int x, y, width, height; /* pixels of the image */
};

typedef void (*ocr_word_fn)(void *arg, const struct ocr_word *w);

enum ocr_layout {
	OCR_PAGE,   /* a whole frame: text may be anywhere */
	OCR_BLOCK   /* a cropped caption band: one block of text */
};

/* language: tesseract's names, e.g. "eng" or "eng+fra". NULL with a reason in err. Caller frees. */
struct ocr *ocr_new(const char *language, char *err, size_t errlen);
void ocr_free(struct ocr *o);
/* Recognises path; calls fn for each word of at least min_confidence, and gives the image's size.
 * Returns the number of words passed to fn, or -1 (unreadable image or recognition failure) with err. */
int ocr_words(struct ocr *o, const char *path, enum ocr_layout layout, int min_confidence, ocr_word_fn fn,
    void *arg, int *width, int *height, char *err, size_t errlen);
/* Reads an image in memory (width x height grey levels, dark text on white, already prepared: no
 * inversion, no scaling) as one block of text: its words of at least min_confidence joined by single
 * spaces (lines too) into text, and their mean confidence (0 when there are none). Returns the number of
 * words, or -1 with err. */
int ocr_grey(struct ocr *o, const unsigned char *pixels, int width, int height, int min_confidence, char *text,
    size_t len, float *confidence, char *err, size_t errlen);

#endif
