/* gpu.h: runs one of the three GPU functions for a flow step, on the configured backend (Modal web
 * endpoints, or the local backend of shared/localgpu.c). With a poll URL configured the call is spawned and polled, and its call id is checkpointed
 * with the step, so a re-claimed job polls the same call instead of paying for the GPU work twice. */
#ifndef CAPTIONACC_GPU_H
#define CAPTIONACC_GPU_H

#include "shared/flows/flows.h"

enum gpu_function {
	GPU_EXTRACT_FRAMES_AND_OCR,
	GPU_CROP_AND_INFER,
	GPU_CAPTION_OCR,
	GPU__MAX
};

const char *gpu_function_name(enum gpu_function fn);
/* Calls fn with input; STEP_OK with *result (caller owns), or STEP_RETRY / STEP_FAIL with ctx->error. */
enum step_outcome gpu_run(struct flow_ctx *ctx, enum gpu_function fn, json_object *input, json_object **result);

#endif
