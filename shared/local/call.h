/* call.h: what the local backend's three functions share: one call's ids, S3 connection, scratch directory
 * and error line (call_begin .. call_end), S3 transfers and tool results as localgpu results, the latest
 * caption_frame_extents version, and the process's OCR engine. */
#ifndef CAPTIONACC_CALL_H
#define CAPTIONACC_CALL_H

#include "shared/clients/storage.h"
#include "shared/config.h"
#include "shared/flows/gpufn.h"
#include "shared/local/localgpu.h"
#include "shared/local/media.h"
#include "shared/local/ocr.h"
#include "shared/validate.h"

#include <stdbool.h>
#include <stddef.h>

#define CALL_PATH_LEN 4096
#define CALL_KEY_LEN (VALIDATE_KEY_MAX + 1)

/* Everything one call uses; released by call_end. */
struct call {
	const struct config *cfg;
	struct storage s3;
	struct media_opts media;             /* the tools' time limit, cancelled through the call */
	bool (*cancelled)(void *arg);
	void *arg;
	char work[CALL_PATH_LEN];            /* the scratch directory; "" when there is none */
	char video_id[VALIDATE_ID_MAX + 1];
	char tenant_id[VALIDATE_ID_MAX + 1];
	char video_key[CALL_KEY_LEN];
	char client[CALL_KEY_LEN];           /* <tenant>/client/videos/<video>/ */
	char server[CALL_KEY_LEN];           /* <tenant>/server/videos/<video>/ */
	long long started_ms;
	char *err;                           /* the caller's error line */
	size_t errlen;
};

/* Fills c from in (ids, prefixes), opens S3 and makes the scratch directory under LOCAL_WORK_DIR. err
 * (errlen bytes, the caller's) gets the reason of any failure, here and in every call_ function. Call
 * call_end afterwards whatever this returns. */
enum localgpu_result call_begin(struct call *c, const struct config *cfg, const struct gpu_input *in,
    bool (*cancelled)(void *arg), void *arg, char *err, size_t errlen);
/* Removes the scratch directory. */
void call_end(struct call *c);

/* Writes the message into c's error line and returns r. */
enum localgpu_result call_fail(struct call *c, enum localgpu_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
enum localgpu_result call_from_storage(enum storage_result r);
enum localgpu_result call_from_media(enum media_result r);
/* Whether the job must stop (polled between frames). */
bool call_stopping(struct call *c);
double call_elapsed_seconds(const struct call *c);

/* <scratch>/<name> into buf. */
enum localgpu_result call_path(struct call *c, char *buf, size_t len, const char *name);
enum localgpu_result call_download(struct call *c, const char *key, const char *path);
enum localgpu_result call_upload(struct call *c, const char *key, const char *path, const char *type);
/* Uploads dir/frame_000000.jpg .. frame_<n-1> to prefix/frame_NNNNNN.jpg. */
enum localgpu_result call_upload_frames(struct call *c, const char *dir, int n, const char *prefix);
/* Downloads the call's video to path and reads its facts; a file that is not a video is LOCALGPU_FAIL. */
enum localgpu_result call_video(struct call *c, const char *path, struct media_info *info);
/* The highest N among <server>caption_frame_extents_v<N>.db on S3 (0 when there is none). */
enum localgpu_result call_latest_version(struct call *c, long *version);

/* The process's OCR engine for LOCAL_OCR_LANGUAGE, loaded on first use (and again when the language
 * changes); owned here, freed by call_engine_free. */
enum localgpu_result call_engine(struct call *c, struct ocr **out);
void call_engine_free(void);

#endif
