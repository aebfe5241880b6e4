/* functions.h: the local backend's three GPU functions, one file each (extract.c, crop.c, caption.c),
 * all with one signature so localgpu.c dispatches them from a table. */
#ifndef CAPTIONACC_FUNCTIONS_H
#define CAPTIONACC_FUNCTIONS_H

#include "shared/flows/gpufn.h"
#include "shared/local/call.h"
#include "shared/local/localgpu.h"

#include <json-c/json.h>

/* Runs one function in the call c (begun and ended by the caller). On LOCALGPU_OK *result (caller frees)
 * is the function's result object, as Modal answers it; otherwise c's error line says why. */
typedef enum localgpu_result localgpu_function(struct call *c, const struct gpu_input *in, json_object **result);

localgpu_function localgpu_extract_frames_and_ocr;  /* extract.c */
localgpu_function localgpu_crop_and_infer;          /* crop.c */
localgpu_function localgpu_caption_ocr;             /* caption.c */

#endif
