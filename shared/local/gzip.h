/* gzip.h: a finished file written gzip-compressed (zlib's gz* API), for the databases the local backend
 * uploads as .db.gz. */
#ifndef CAPTIONACC_GZIP_H
#define CAPTIONACC_GZIP_H

#include <stddef.h>

/* Writes src gzip-compressed (level 9) to dst, replacing it. Returns 0, or -1 with a line in err (dst may
 * then hold part of the output: it lives in a scratch directory that is removed anyway). */
int gzip_file(const char *src, const char *dst, char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
