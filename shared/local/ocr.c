/* ocr.c: the tesseract C API. Images are read and converted to 8-bit grey by leptonica, small ones are
 * scaled up (tesseract reads text best at 20-40 px letter height), and words come from the result
 * iterator with their confidence and box. */
#include "shared/local/ocr.h"

#include "shared/str.h"

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct ocr {
	TessBaseAPI *api;
};

struct ocr *
ocr_new(const char *language, char *err, size_t errlen)
{
	struct ocr *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return NULL;
	}
	setMsgSeverity(L_SEVERITY_NONE);
	if ((o->api = TessBaseAPICreate()) == NULL ||
	    TessBaseAPIInit3(o->api, NULL, language ? language : "eng") != 0) {
		(void)str_fmt(err, errlen, "tesseract cannot load language \"%s\" (install tesseract-ocr-%s)",
		    language ? language : "eng", language ? language : "eng");
		ocr_free(o);
		return NULL;
	}
	(void)TessBaseAPISetVariable(o->api, "debug_file", "/dev/null");
	TessBaseAPISetPageSegMode(o->api, PSM_SPARSE_TEXT);
	return o;
}

void
ocr_free(struct ocr *o)
{
	if (o == NULL)
		return;
	if (o->api != NULL) {
		TessBaseAPIEnd(o->api);
		TessBaseAPIDelete(o->api);
	}
	free(o);
}

/* Reads path as 8-bit grey, scaled by *scale (1, 2 or 3) so short images get tall enough letters. */
static PIX *
load(const char *path, int *width, int *height, int *scale)
{
	PIX *raw = pixRead(path), *grey, *big;
	l_float32 mean = 255.0f;

	if (raw == NULL)
		return NULL;
	*width = (int)pixGetWidth(raw);
	*height = (int)pixGetHeight(raw);
	grey = pixConvertTo8(raw, 0);
	pixDestroy(&raw);
	if (grey == NULL)
		return NULL;
	/* Captions are often light text on a dark box: tesseract reads dark text on light best. */
	if (pixGetAverageMasked(grey, NULL, 0, 0, 1, L_MEAN_ABSVAL, &mean) == 0 && mean < 128.0f)
		pixInvert(grey, grey);
	*scale = *height < 60 ? 3 : *height < 200 ? 2 : 1;
	if (*scale == 1)
		return grey;
	big = pixScaleGrayLI(grey, (l_float32)*scale, (l_float32)*scale);
	pixDestroy(&grey);
	return big;
}

/* A word worth reporting: some visible character, a real box. */
static bool
visible(const char *text, int l, int r)
{
	if (r <= l)
		return false;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		if (*p > ' ')
			return true;
	return false;
}

int
ocr_words(struct ocr *o, const char *path, enum ocr_layout layout, int min_confidence, ocr_word_fn fn, void *arg,
    int *width, int *height, char *err, size_t errlen)
{
	TessResultIterator *it = NULL;
	int n = -1, scale = 1;
	PIX *pix;

	*width = *height = 0;
	if ((pix = load(path, width, height, &scale)) == NULL) {
		(void)str_fmt(err, errlen, "cannot read image %s", path);
		return -1;
	}
	/* A whole frame has text anywhere; a caption band is one block of one or two lines. */
	TessBaseAPISetPageSegMode(o->api, layout == OCR_BLOCK ? PSM_SINGLE_BLOCK : PSM_AUTO);
	TessBaseAPISetImage2(o->api, pix);
	TessBaseAPISetSourceResolution(o->api, 300);
	if (TessBaseAPIRecognize(o->api, NULL) != 0) {
		(void)str_fmt(err, errlen, "tesseract failed on %s", path);
		goto out;
	}
	n = 0;
	if ((it = TessBaseAPIGetIterator(o->api)) == NULL)
		goto out;
	do {
		char *text = TessResultIteratorGetUTF8Text(it, RIL_WORD);
		int l, t, r, b;
		struct ocr_word w;

		if (text == NULL)
			continue;
		w.text = text;
		w.confidence = TessResultIteratorConfidence(it, RIL_WORD);
		if (w.confidence >= (float)min_confidence &&
		    TessPageIteratorBoundingBox(TessResultIteratorGetPageIterator(it), RIL_WORD, &l, &t, &r, &b) &&
		    visible(text, l, r)) {
			w.x = l / scale;
			w.y = t / scale;
			w.width = (r - l) / scale;
			w.height = (b - t) / scale;
			fn(arg, &w);
			n++;
		}
		TessDeleteText(text);
	} while (TessResultIteratorNext(it, RIL_WORD));
out:
	if (it != NULL)
		TessResultIteratorDelete(it);
	TessBaseAPIClear(o->api);
	pixDestroy(&pix);
	return n;
}

struct line {
	char *text;
	size_t len, used;
	double conf;
	int n;
	int overflow;
};

static void
add_word(void *arg, const struct ocr_word *w)
{
	struct line *l = arg;
	size_t wl = strlen(w->text);

	if (l->used + wl + 2 > l->len) {
		l->overflow = 1;
		return;
	}
	if (l->used > 0)
		l->text[l->used++] = ' ';
	memcpy(l->text + l->used, w->text, wl);
	l->used += wl;
	l->text[l->used] = '\0';
	l->conf += w->confidence;
	l->n++;
}

int
ocr_grey(struct ocr *o, const unsigned char *pixels, int width, int height, int min_confidence, char *text,
    size_t len, float *confidence, char *err, size_t errlen)
{
	struct line l = { text, len, 0, 0, 0, 0 };
	TessResultIterator *it;
	int n = -1;

	if (len == 0 || width < 1 || height < 1)
		return -1;
	text[0] = '\0';
	*confidence = 0;
	TessBaseAPISetPageSegMode(o->api, PSM_SINGLE_BLOCK);
	TessBaseAPISetImage(o->api, pixels, width, height, 1, width);
	TessBaseAPISetSourceResolution(o->api, 300);
	if (TessBaseAPIRecognize(o->api, NULL) != 0) {
		(void)str_fmt(err, errlen, "tesseract failed on a %dx%d image", width, height);
		goto out;
	}
	n = 0;
	if ((it = TessBaseAPIGetIterator(o->api)) == NULL)
		goto out;
	do {
		char *word = TessResultIteratorGetUTF8Text(it, RIL_WORD);
		struct ocr_word w = { .text = word };

		if (word == NULL)
			continue;
		w.confidence = TessResultIteratorConfidence(it, RIL_WORD);
		/* Sans-serif capital I is a bare bar, which tesseract often calls "|"; captions have no pipes. */
		for (char *p = word; *p != '\0'; p++)
			if (*p == '|')
				*p = 'I';
		if (w.confidence >= (float)min_confidence && visible(word, 0, 1))
			add_word(&l, &w);
		TessDeleteText(word);
	} while (TessResultIteratorNext(it, RIL_WORD));
	TessResultIteratorDelete(it);
	if (l.n > 0)
		*confidence = (float)(l.conf / l.n);
	n = l.n;
out:
	TessBaseAPIClear(o->api);
	return n;
}
