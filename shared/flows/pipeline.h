/* pipeline.h: the product's three flows (SPEC §8): video_initial_processing, crop_and_infer, caption_ocr. */
#ifndef CAPTIONACC_PIPELINE_H
#define CAPTIONACC_PIPELINE_H

#include "shared/flows/flows.h"

extern const struct flow pipeline_initial_processing;
extern const struct flow pipeline_crop_and_infer;
extern const struct flow pipeline_caption_ocr;

#endif
