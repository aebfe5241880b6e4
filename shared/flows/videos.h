/* videos.h: the video row as the flows change it: processing, metadata from the GPU function, active,
 * error; layout versions and caption databases. GPU results are validated here like any other input.
 * Every write is fenced by the job's lease (shared/queue/fence.h): *res FENCE_LOST means the writer no
 * longer holds the job and nothing was written. A missing row (or another tenant's) is DB_ERROR. */
#ifndef CAPTIONACC_VIDEOS_H
#define CAPTIONACC_VIDEOS_H

#include "shared/db.h"
#include "shared/intake/params.h"
#include "shared/queue/fence.h"

#include <json-c/json.h>

/* Creates the row if needed and sets status processing. A video id owned by another tenant is refused
 * (DB_ERROR with the reason). */
enum db_status videos_mark_processing(struct db *db, const struct fence *f, const char *video_id,
    const char *tenant_id, const char *storage_key, enum fence_result *res, char *err, size_t errlen);
/* Writes extract_frames_and_ocr's result (frame_count, duration, frame_width, frame_height, video_codec,
 * bitrate, ocr_box_count, failed_ocr_count, processing_duration_seconds, full_frames_key,
 * ocr_db_key|raw_ocr_db_key, layout_db_key) and sets status active. DB_ERROR (permanent, reason in err)
 * for a result of the wrong shape or with a key outside the tenant's prefix. */
enum db_status videos_record_processing(struct db *db, const struct fence *f, const char *video_id,
    const char *tenant_id, json_object *result, enum fence_result *res, char *err, size_t errlen);
/* Status error with the message (the flow failed for good). A missing row is *res FENCE_NO_ROW. */
enum db_status videos_set_error(struct db *db, const struct fence *f, const char *video_id, const char *message,
    enum fence_result *res, char *err, size_t errlen);
/* crop_and_infer's outputs: layout version N, the crop region, cropped_frames_v{N}/ and
 * caption_frame_extents_v{N}.db keys. Same validation and return as videos_record_processing. */
enum db_status videos_record_layout(struct db *db, const struct fence *f, const char *video_id,
    const char *tenant_id, const struct params_crop *crop, json_object *result, enum fence_result *res, char *err,
    size_t errlen);
/* caption_ocr's output: the captions.db key. */
enum db_status videos_record_captions(struct db *db, const struct fence *f, const char *video_id,
    const char *tenant_id, json_object *result, enum fence_result *res, char *err, size_t errlen);
/* The GPU results the writers above read. */
enum videos_result {
	VIDEOS_RESULT_PROCESSING,  /* extract_frames_and_ocr's, for videos_record_processing */
	VIDEOS_RESULT_LAYOUT,      /* crop_and_infer's, for videos_record_layout */
	VIDEOS_RESULT_CAPTIONS,    /* caption_ocr's, for videos_record_captions */
	VIDEOS_RESULT__MAX
};
/* The check a result of kind passes before it is written (the same one the writers run): 0, or -1 with
 * the reason in err (a missing field, a wrong type or range, a key outside the tenant's prefix). */
int videos_result_check(enum videos_result kind, json_object *result, const char *tenant_id, char *err,
    size_t errlen);
/* True when the video exists for this tenant. */
enum db_status videos_exists(struct db *db, const char *video_id, const char *tenant_id, bool *exists, char *key,
    size_t keylen, char *err, size_t errlen);

#endif
