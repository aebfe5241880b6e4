/* picture.c: see picture.h. The colour conversion is BT.601's; leptonica writes the JPEG. */
#include "shared/local/picture.h"

#include "shared/str.h"

#include <leptonica/allheaders.h>

#include <stdio.h>

static int
clamp(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

int
picture_write_jpeg(const char *path, const uint8_t *yuv, int width, int height, char *err, size_t errlen)
{
	size_t px = (size_t)width * (size_t)height;
	const uint8_t *u = yuv + px, *v = u + px / 4;
	PIX *pix;
	FILE *f;
	int rc = -1;

	if (width < 2 || height < 2 || width % 2 || height % 2 || (pix = pixCreate(width, height, 32)) == NULL) {
		(void)str_fmt(err, errlen, "cannot make a %dx%d picture", width, height);
		return -1;
	}
	for (int y = 0; y < height; y++) {
		l_uint32 *line = pixGetData(pix) + (size_t)y * (size_t)pixGetWpl(pix);

		for (int x = 0; x < width; x++) {
			size_t c = (size_t)(y / 2) * (size_t)(width / 2) + (size_t)(x / 2);
			int l = 298 * (yuv[(size_t)y * width + x] - 16), cb = u[c] - 128, cr = v[c] - 128;

			composeRGBPixel(clamp((l + 409 * cr + 128) >> 8), clamp((l - 100 * cb - 208 * cr + 128) >> 8),
			    clamp((l + 516 * cb + 128) >> 8), line + x);
		}
	}
	if ((f = fopen(path, "wb")) == NULL)
		(void)str_fmt(err, errlen, "cannot write %s", path);
	else {
		if (pixWriteStreamJpeg(f, pix, 90, 0) != 0)
			(void)str_fmt(err, errlen, "cannot write %s", path);
		else
			rc = 0;
		if (fclose(f) != 0 && rc == 0) {
			(void)str_fmt(err, errlen, "cannot write %s", path);
			rc = -1;
		}
	}
	pixDestroy(&pix);
	return rc;
}
