/* fuzz_config.c: the settings file reader on any file: loaded, or refused with one line naming the
 * line or key; never a crash or a leak. */
#include "tests/fuzz/fuzz.h"

#include "shared/config.h"

#include <stdio.h>
#include <unistd.h>

static char path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];
	FILE *f;

	if (path[0] == '\0') {
		int fd;

		(void)snprintf(path, sizeof(path), "/tmp/captionacc-fuzz-config.XXXXXX");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
	}
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (config_load(&cfg, path, CONFIG_BOTH, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	config_free(&cfg);
	return 0;
}
