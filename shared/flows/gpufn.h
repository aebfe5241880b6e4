/* gpufn.h: the three GPU functions and the typed input each backend takes (the Modal client turns it into
 * the request body, the local backend reads it directly). A leaf: no step machinery. */
#ifndef CAPTIONACC_GPUFN_H
#define CAPTIONACC_GPUFN_H

#include "shared/intake/params.h"

enum gpu_function {
	GPU_EXTRACT_FRAMES_AND_OCR,
	GPU_CROP_AND_INFER,
	GPU_CAPTION_OCR,
	GPU__MAX
};

/* What a GPU function is asked to do. Strings and ids are borrowed for the call. */
struct gpu_input {
	enum gpu_function fn;
	const char *video_id;
	const char *tenant_id;
	const char *video_key;          /* the video's storage key (validated: under "<tenant_id>/") */
	double frame_rate;              /* extract_frames_and_ocr: frames per second */
	struct params_crop crop;        /* crop_and_infer */
	const long *caption_ids;        /* caption_ocr */
	size_t ncaption_ids;
};

/* "extract_frames_and_ocr", ...; "?" for anything else. */
const char *gpufn_name(enum gpu_function fn);
/* The Modal request body of in: video_key, tenant_id, video_id and the function's own fields. Caller frees
 * with json_object_put. */
json_object *gpufn_json(const struct gpu_input *in);

#endif
