/* fuzz_gpu.c: the GPU functions' results (Modal's answers, or the local backend's) as the video writes read
 * them: for each function's result, accepted or refused with a reason; never a crash or a leak. */
#include "tests/fuzz/fuzz.h"

#include "shared/flows/videos.h"
#include "shared/json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_object *doc = json_parse((const char *)data, size, err, sizeof(err));

	if (doc == NULL)
		return 0;
	for (int k = 0; k < VIDEOS_RESULT__MAX; k++) {
		err[0] = '\0';
		if (videos_result_check((enum videos_result)k, doc, "tenant-1", err, sizeof(err)) != 0 && err[0] == '\0')
			abort(); /* a refusal always says why */
	}
	json_object_put(doc);
	return 0;
}
