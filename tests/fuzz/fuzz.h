/* fuzz.h: what every libFuzzer target here shares: the input as a NUL-terminated copy (our parsers take C
 * strings as well as buffers). The caller frees the copy. */
#ifndef CAPTIONACC_FUZZ_H
#define CAPTIONACC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
