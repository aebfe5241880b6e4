/* str.c: bounded formatting, copying and range-checked number parsing. */
#include "shared/str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
str_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int
str_copy(char *buf, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (len == 0)
		return -1;
	if (n >= len) {
		memcpy(buf, src, len - 1);
		buf[len - 1] = '\0';
		return -1;
	}
	memcpy(buf, src, n + 1);
	return 0;
}

int
str_to_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	/* strtol accepts leading blanks and a '+'; the settings and inputs here must be plain digits. */
	if (!(*s == '-' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
