/* registry.c: which steps each flow runs, by flow id (the names and parameters are intake/params.c's). */
#include "shared/flows/registry.h"

#include "shared/flows/diagnostic.h"
#include "shared/flows/pipeline.h"

static const struct flow *const flows[FLOW__MAX] = {
	[FLOW_VIDEO_INITIAL_PROCESSING] = &pipeline_initial_processing,
	[FLOW_CROP_AND_INFER] = &pipeline_crop_and_infer,
	[FLOW_CAPTION_OCR] = &pipeline_caption_ocr,
	[FLOW_NOOP] = &diagnostic_noop,
	[FLOW_DIAGNOSTIC] = &diagnostic_flow,
};

const struct flow *
registry_flow(enum flow_id id)
{
	return (id >= 0 && id < FLOW__MAX) ? flows[id] : NULL;
}
