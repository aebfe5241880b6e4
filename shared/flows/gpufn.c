/* gpufn.c: GPU function names and their request bodies (see gpufn.h). */
#include "shared/flows/gpufn.h"

static const char *const names[GPU__MAX] = {
	[GPU_EXTRACT_FRAMES_AND_OCR] = "extract_frames_and_ocr",
	[GPU_CROP_AND_INFER] = "crop_and_infer",
	[GPU_CAPTION_OCR] = "caption_ocr",
};

const char *
gpufn_name(enum gpu_function fn)
{
	return (fn >= 0 && fn < GPU__MAX) ? names[fn] : "?";
}

json_object *
gpufn_json(const struct gpu_input *in)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "video_key", json_object_new_string(in->video_key));
	json_object_object_add(o, "tenant_id", json_object_new_string(in->tenant_id));
	json_object_object_add(o, "video_id", json_object_new_string(in->video_id));
	switch (in->fn) {
	case GPU_EXTRACT_FRAMES_AND_OCR:
		json_object_object_add(o, "frame_rate", json_object_new_double(in->frame_rate));
		break;
	case GPU_CROP_AND_INFER:
		json_object_object_add(o, "crop_region", params_crop_json(&in->crop));
		break;
	case GPU_CAPTION_OCR:
		json_object_object_add(o, "caption_ids", params_caption_ids_json(in->caption_ids, in->ncaption_ids));
		break;
	case GPU__MAX:
		break;
	}
	return o;
}
