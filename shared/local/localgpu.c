/* localgpu.c: the local backend's entry: one call (shared/local/call.c) around the function asked for,
 * chosen from a table of the three (extract.c, crop.c, caption.c). */
#include "shared/local/localgpu.h"

#include "shared/local/call.h"
#include "shared/local/functions.h"

static localgpu_function *const functions[GPU__MAX] = {
	[GPU_EXTRACT_FRAMES_AND_OCR] = localgpu_extract_frames_and_ocr,
	[GPU_CROP_AND_INFER] = localgpu_crop_and_infer,
	[GPU_CAPTION_OCR] = localgpu_caption_ocr,
};

void
localgpu_shutdown(void)
{
	call_engine_free();
}

enum localgpu_result
localgpu_run(const struct config *cfg, const struct gpu_input *input, bool (*cancelled)(void *arg), void *arg,
    json_object **result, char *err, size_t errlen)
{
	struct call c;
	enum localgpu_result r;

	*result = NULL;
	if ((r = call_begin(&c, cfg, input, cancelled, arg, err, errlen)) == LOCALGPU_OK) {
		if ((unsigned)input->fn < GPU__MAX && functions[input->fn] != NULL)
			r = functions[input->fn](&c, input, result);
		else
			r = call_fail(&c, LOCALGPU_FAIL, "unknown function");
	}
	call_end(&c);
	if (r != LOCALGPU_OK && *result != NULL) {
		json_object_put(*result);
		*result = NULL;
	}
	return r;
}
