/* params.h: the flows by name, and a flow's parameters parsed once from JSON into a typed struct: by the
 * intake path before a job is queued, and by the runner when it takes a job (a jobs row or a Prefect run
 * is input too). Nothing past this point reads parameters from JSON. */
#ifndef CAPTIONACC_PARAMS_H
#define CAPTIONACC_PARAMS_H

#include "shared/validate.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

enum flow_id {
	FLOW_VIDEO_INITIAL_PROCESSING,
	FLOW_CROP_AND_INFER,
	FLOW_CAPTION_OCR,
	FLOW_NOOP,        /* one step that does nothing: the queue's own cost, for benchmarks */
	FLOW_DIAGNOSTIC,  /* three steps that sleep or fail on request: an operator's smoke test */
	FLOW__MAX
};

/* Caption ids are the caption numbers of a layout version's caption_frame_extents (1, 2, ...): whole
 * numbers from 1 to PARAMS_CAPTION_ID_MAX, 1 to PARAMS_CAPTION_IDS_MAX of them. */
#define PARAMS_CAPTION_IDS_MAX 10000
#define PARAMS_CAPTION_ID_MAX 2147483647L
#define PARAMS_STEP_NAME_MAX 64

/* A region of the frame as fractions: each in [0,1], left < right, top < bottom. */
struct params_crop {
	double left, top, right, bottom;
};

struct flow_params {
	enum flow_id flow;
	char tenant_id[VALIDATE_ID_MAX + 1];
	char video_id[VALIDATE_ID_MAX + 1];       /* "" when not given (only flows without a video) */
	/* video_initial_processing */
	char storage_key[VALIDATE_KEY_MAX + 1];   /* under "<tenant_id>/" (validate_storage_key) */
	/* crop_and_infer */
	struct params_crop crop;
	/* caption_ocr: heap-owned, freed by params_free */
	long *caption_ids;
	size_t ncaption_ids;
	/* diagnostic (all optional) */
	long sleep_ms;                             /* 0-600000 before each step */
	char fail_step[PARAMS_STEP_NAME_MAX];      /* a step that then fails for good ("" none) */
	char retry_step[PARAMS_STEP_NAME_MAX];     /* a step that then fails transiently ("" none) */
};

/* "video_initial_processing", ...; "?" for anything else. */
const char *params_flow_name(enum flow_id flow);
/* The flow called name; -1 for an unknown name. */
int params_flow_parse(const char *name, enum flow_id *out) __attribute__((warn_unused_result));
/* "video_initial_processing, crop_and_infer, ..." for messages. */
const char *params_flow_list(void);
/* Whether the flow works on one video (video_id required). */
bool params_flow_needs_video(enum flow_id flow);

/* Parses obj (the flow's parameters: an object with tenant_id, video_id when the flow needs one or when
 * given, and the flow's own fields). 0, or -1 with a sentence for the caller in why (out is then empty).
 * Fields the flow does not know are ignored. Free with params_free. */
int params_parse(enum flow_id flow, json_object *obj, struct flow_params *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* The same for a jobs row, whose tenant_id and video_id ("" none) columns are the job's ids: obj may
 * repeat them (as the intake path stores them) but not contradict them. */
int params_parse_row(enum flow_id flow, const char *tenant_id, const char *video_id, json_object *obj,
    struct flow_params *out, char *why, size_t whylen) __attribute__((warn_unused_result));
/* The parameters as the JSON object that is stored and sent (only the fields the flow uses). Caller frees
 * with json_object_put. */
json_object *params_json(const struct flow_params *p);
/* A crop region as {"crop_left", "crop_top", "crop_right", "crop_bottom"}. Caller frees. */
json_object *params_crop_json(const struct params_crop *c);
/* Caption ids as a JSON array of numbers. Caller frees. */
json_object *params_caption_ids_json(const long *ids, size_t n);
/* Frees what p owns and empties it; p may be empty already. */
void params_free(struct flow_params *p);

#endif
