/* str.h: bounded string formatting that reports truncation instead of hiding it. */
#ifndef CAPTIONACC_STR_H
#define CAPTIONACC_STR_H

#include <stddef.h>

/* snprintf into buf; returns 0, or -1 when the result did not fit (buf then holds a cut string). */
int str_fmt(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Copies src into buf; returns -1 when it did not fit. */
int str_copy(char *buf, size_t len, const char *src) __attribute__((warn_unused_result));
/* Parses a whole base-10 integer in [min, max]; returns -1 for empty, junk or out-of-range text. */
int str_to_long(const char *s, long min, long max, long *out) __attribute__((warn_unused_result));

#endif
