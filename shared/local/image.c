/* image.c: whether two frames show the same picture. crop_and_infer uses it to skip OCR of a cropped
 * frame identical (within decoding noise) to the last one it read: a caption stays on screen for many
 * frames, and OCR is by far the slowest step of the local backend. */
#include "shared/local/image.h"

#include "shared/str.h"

#include <leptonica/allheaders.h>

/* path as 8-bit grey; NULL if leptonica cannot read it. Caller destroys. */
static PIX *
grey_of(const char *path)
{
	PIX *raw = pixRead(path), *grey;

	if (raw == NULL)
		return NULL;
	grey = pixConvertTo8(raw, 0);
	pixDestroy(&raw);
	return grey;
}

enum image_cmp
image_compare(const char *a, const char *b, int tolerance, char *err, size_t errlen)
{
	PIX *pa = NULL, *pb = NULL, *diff = NULL;
	l_int32 maxdiff = 0;
	enum image_cmp r = IMAGE_UNREADABLE;

	if ((pa = grey_of(a)) == NULL || (pb = grey_of(b)) == NULL) {
		(void)str_fmt(err, errlen, "cannot read image %s", pa == NULL ? a : b);
		goto out;
	}
	r = IMAGE_DIFFERENT;
	if (pixGetWidth(pa) != pixGetWidth(pb) || pixGetHeight(pa) != pixGetHeight(pb))
		goto out;
	if ((diff = pixAbsDifference(pa, pb)) == NULL ||
	    pixGetExtremeValue(diff, 1, L_SELECT_MAX, NULL, NULL, NULL, &maxdiff) != 0) {
		r = IMAGE_UNREADABLE;
		(void)str_fmt(err, errlen, "cannot compare %s with %s", a, b);
		goto out;
	}
	r = maxdiff <= tolerance ? IMAGE_SAME : IMAGE_DIFFERENT;
out:
	pixDestroy(&pa);
	pixDestroy(&pb);
	pixDestroy(&diff);
	return r;
}
