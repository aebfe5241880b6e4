/* picture.h: a decoded frame (YUV 4:2:0 planes, BT.601 limited range) written as a JPEG file, for the
 * cropped frames crop_and_infer keeps beside its extents. */
#ifndef CAPTIONACC_PICTURE_H
#define CAPTIONACC_PICTURE_H

#include <stddef.h>
#include <stdint.h>

/* Writes width x height (even) of yuv to path as a colour JPEG. -1 with err on failure. */
int picture_write_jpeg(const char *path, const uint8_t *yuv, int width, int height, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
