/* localgpu.h: the three GPU functions implemented on this machine (FUNCTIONS_BACKEND=local) with ffmpeg,
 * tesseract and SQLite, reading and writing S3 like the Modal functions do, and answering the same
 * result objects. Input comes typed (struct gpu_input), validated where the job was taken. */
#ifndef CAPTIONACC_LOCALGPU_H
#define CAPTIONACC_LOCALGPU_H

#include "shared/config.h"
#include "shared/flows/gpufn.h"

#include <json-c/json.h>
#include <stdbool.h>

enum localgpu_result {
	LOCALGPU_OK,
	LOCALGPU_RETRY,  /* S3 or a tool failed in a way that may pass (or the runner is stopping) */
	LOCALGPU_FAIL    /* bad input: invalid parameters, an unreadable video, a missing object */
};

/* Runs the function in->fn; *result (caller frees) on LOCALGPU_OK, else a line in err. cancelled is polled
 * between frames and while tools run. */
enum localgpu_result localgpu_run(const struct config *cfg, const struct gpu_input *in,
    bool (*cancelled)(void *arg), void *arg, json_object **result, char *err, size_t errlen);
/* Frees the process's OCR engine (loaded on first use); for a clean exit. */
void localgpu_shutdown(void);

#endif
