/* gpu.h: runs one of the three GPU functions for a flow step, on the configured backend (Modal web
 * endpoints, or the local backend of shared/local/). With a poll URL configured the Modal call is spawned
 * and polled, and its call id is checkpointed with the step, so a re-claimed job polls the same call
 * instead of paying for the GPU work twice. */
#ifndef CAPTIONACC_GPU_H
#define CAPTIONACC_GPU_H

#include "shared/flows/flows.h"
#include "shared/flows/gpufn.h"

/* Calls in->fn; STEP_OK with *result (caller owns), or STEP_RETRY / STEP_FAIL with ctx->error. */
enum step_outcome gpu_run(struct flow_ctx *ctx, const struct gpu_input *in, json_object **result);

#endif
