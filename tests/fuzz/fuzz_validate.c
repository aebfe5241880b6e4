/* fuzz_validate.c: the id, uuid, storage-key, identifier and timestamp validators on any text: an
 * accepted id or key never holds what a path or a query could misread. */
#include "tests/fuzz/fuzz.h"

#include "shared/validate.h"

#include <time.h>

/* Whether key has a "." or ".." segment (what a path could climb with). */
static int
climbs(const char *key)
{
	for (const char *seg = key; seg != NULL; seg = strchr(seg, '/') != NULL ? strchr(seg, '/') + 1 : NULL) {
		size_t n = strcspn(seg, "/");

		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char why[256];
	time_t t;

	if (validate_id(s) && (strchr(s, '.') != NULL || strchr(s, '/') != NULL || strlen(s) > VALIDATE_ID_MAX))
		abort();
	if (validate_storage_key(s, "tenant-1", why, sizeof(why)) &&
	    (strncmp(s, "tenant-1/", 9) != 0 || climbs(s) || strstr(s, "//") != NULL || strlen(s) > VALIDATE_KEY_MAX))
		abort();
	(void)validate_storage_prefix(s, "tenant-1", why, sizeof(why));
	(void)validate_uuid(s);
	(void)validate_identifier(s);
	(void)validate_timestamp(s, &t);
	free(s);
	return 0;
}
