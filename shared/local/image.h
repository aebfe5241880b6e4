/* image.h: comparing two image files (leptonica), so frames whose pixels did not change need no OCR. */
#ifndef CAPTIONACC_IMAGE_H
#define CAPTIONACC_IMAGE_H

#include <stddef.h>

enum image_cmp {
	IMAGE_SAME,       /* same size, and no pixel's grey level differs by more than the tolerance */
	IMAGE_DIFFERENT,  /* another size, or at least one pixel differs by more */
	IMAGE_UNREADABLE  /* either file is not an image leptonica reads; reason in err */
};

/* Compares the 8-bit grey versions of a and b. tolerance (0-255) absorbs decoding noise: a caption that
 * appears, changes or goes moves some pixels by far more than that, so it is never "the same". */
enum image_cmp image_compare(const char *a, const char *b, int tolerance, char *err, size_t errlen);

#endif
