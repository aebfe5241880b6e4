/* pipeline.c: the product's flows. Parameters come typed and checked (ctx->params); GPU results are input
 * and are checked where they are recorded (videos.c). Video status follows the flow: processing -> active,
 * or error when the job fails for good. crop_and_infer holds the video's "layout" server lock while it
 * works and releases it on every path. */
#include "shared/flows/pipeline.h"

#include "shared/flows/gpu.h"
#include "shared/flows/videos.h"
#include "shared/log.h"
#include "shared/queue/lock.h"
#include "shared/str.h"

#define LAYOUT_DB "layout"
#define INITIAL_FRAME_RATE 0.1

/* The video must exist for this tenant; key gets its storage key. */
static enum step_outcome
require_video(struct flow_ctx *ctx, char *key, size_t keylen)
{
	const struct flow_params *p = ctx->params;
	char err[512];
	bool exists = false;
	enum db_status st = videos_exists(ctx->db, p->video_id, p->tenant_id, &exists, key, keylen, err, sizeof(err));

	if (st != DB_OK)
		return flows_db_error(ctx, st, err);
	if (!exists)
		return flows_error(ctx, STEP_FAIL, "video %s of tenant %s does not exist", p->video_id, p->tenant_id);
	return STEP_OK;
}

/* The GPU function's input for this job's video. */
static struct gpu_input
gpu_input_for(struct flow_ctx *ctx, enum gpu_function fn, const char *video_key)
{
	return (struct gpu_input){ .fn = fn, .video_id = ctx->params->video_id, .tenant_id = ctx->params->tenant_id,
		.video_key = video_key };
}

/* --- video_initial_processing ------------------------------------------------------------------- */

static enum step_outcome
mark_processing(struct flow_ctx *ctx, json_object **result)
{
	const struct flow_params *p = ctx->params;
	char err[512];
	enum fence_result res = FENCE_LOST;
	enum db_status st = videos_mark_processing(ctx->db, &ctx->fence, p->video_id, p->tenant_id, p->storage_key,
	    &res, err, sizeof(err));
	enum step_outcome oc;

	if ((oc = flows_written(ctx, st, res, err)) != STEP_OK)
		return oc;
	*result = json_object_new_object();
	json_object_object_add(*result, "status", json_object_new_string("processing"));
	return STEP_OK;
}

static enum step_outcome
extract_frames_and_ocr(struct flow_ctx *ctx, json_object **result)
{
	struct gpu_input in = gpu_input_for(ctx, GPU_EXTRACT_FRAMES_AND_OCR, ctx->params->storage_key);

	in.frame_rate = INITIAL_FRAME_RATE;
	return gpu_run(ctx, &in, result);
}

static enum step_outcome
record_metadata(struct flow_ctx *ctx, json_object **result)
{
	const struct flow_params *p = ctx->params;
	char err[512];
	enum fence_result res = FENCE_LOST;
	enum db_status st;
	enum step_outcome oc;
	json_object *failed = NULL;

	if (ctx->prev == NULL)
		return flows_error(ctx, STEP_FAIL, "no result from extract_frames_and_ocr");
	st = videos_record_processing(ctx->db, &ctx->fence, p->video_id, p->tenant_id, ctx->prev, &res, err, sizeof(err));
	oc = flows_written(ctx, st, res, err);
	if (oc != STEP_OK)
		return oc;
	if (json_object_object_get_ex(ctx->prev, "failed_ocr_count", &failed) && json_object_get_int(failed) > 0)
		log_warn("video %s: OCR failed on %d frame(s); processing completed with partial results", p->video_id,
		    json_object_get_int(failed));
	*result = json_object_get(ctx->prev);
	return STEP_OK;
}

/* The video shows the error. A video row that is gone is no reason to keep the job alive. */
static enum step_outcome
initial_failed(struct flow_ctx *ctx, const char *error)
{
	char err[512];
	enum fence_result res = FENCE_LOST;
	enum db_status st = videos_set_error(ctx->db, &ctx->fence, ctx->params->video_id, error, &res, err, sizeof(err));

	if (st == DB_OK && res == FENCE_NO_ROW)
		log_warn("video %s: no video row to record the error on", ctx->params->video_id);
	return flows_written(ctx, st, res, err);
}

static const struct flow_step initial_steps[] = {
	{ "mark_processing", mark_processing, true },
	{ "extract_frames_and_ocr", extract_frames_and_ocr, false },
	{ "record_metadata", record_metadata, true },
};

const struct flow pipeline_initial_processing = {
	.id = FLOW_VIDEO_INITIAL_PROCESSING, .steps = FLOW_STEPS(initial_steps), .on_failure = initial_failed,
};

/* --- crop_and_infer ----------------------------------------------------------------------------- */

static void
lock_holder(struct flow_ctx *ctx, char *buf, size_t len)
{
	(void)str_fmt(buf, len, "job:%s", ctx->job_id);
}

/* Takes (or renews) the video's layout lock for this job; STEP_WAIT while someone else holds it. */
static enum step_outcome
hold_layout_lock(struct flow_ctx *ctx)
{
	const char *video = ctx->params->video_id;
	char holder[64], prev[160], err[512];
	enum lock_result res;
	enum db_status st;

	lock_holder(ctx, holder, sizeof(holder));
	st = lock_acquire(ctx->db, &ctx->fence, video, LAYOUT_DB, holder, ctx->cfg->lock_seconds, &res, prev,
	    sizeof(prev), err, sizeof(err));
	if (st != DB_OK)
		return flows_db_error(ctx, st, err);
	if (res == LOCK_LEASE_LOST)
		return flows_written(ctx, DB_OK, FENCE_LOST, NULL);
	if (res == LOCK_HELD) {
		ctx->wait_seconds = (double)ctx->cfg->lock_wait_seconds;
		return flows_error(ctx, STEP_WAIT, "the layout lock of video %s is held by %s", video, prev);
	}
	if (res == LOCK_TAKEN_OVER)
		log_warn("video %s: took over the stale layout lock of %s", video, prev);
	return STEP_OK;
}

static enum step_outcome
crop_and_infer(struct flow_ctx *ctx, json_object **result)
{
	char key[VALIDATE_KEY_MAX + 1];
	struct gpu_input in;
	enum step_outcome oc;

	if ((oc = require_video(ctx, key, sizeof(key))) != STEP_OK || (oc = hold_layout_lock(ctx)) != STEP_OK)
		return oc;
	/* The video's key goes along, so the function need not look it up (Modal ignores what it does not use). */
	in = gpu_input_for(ctx, GPU_CROP_AND_INFER, key);
	in.crop = ctx->params->crop;
	return gpu_run(ctx, &in, result);
}

static enum step_outcome
record_layout(struct flow_ctx *ctx, json_object **result)
{
	const struct flow_params *p = ctx->params;
	char err[512];
	enum fence_result res = FENCE_LOST;
	enum db_status st;
	enum step_outcome oc;

	if (ctx->prev == NULL)
		return flows_error(ctx, STEP_FAIL, "no result from crop_and_infer");
	if ((oc = hold_layout_lock(ctx)) != STEP_OK)
		return oc;
	st = videos_record_layout(ctx->db, &ctx->fence, p->video_id, p->tenant_id, &p->crop, ctx->prev, &res, err,
	    sizeof(err));
	oc = flows_written(ctx, st, res, err);
	if (oc != STEP_OK)
		return oc;
	*result = json_object_get(ctx->prev);
	return STEP_OK;
}

/* Releases the layout lock if this job holds it; a claim that lost the job releases nothing (the lock
 * is the new claim's now), and says so. */
static enum step_outcome
release_layout_lock(struct flow_ctx *ctx)
{
	const char *video = ctx->params->video_id;
	char holder[64], err[512];
	enum fence_result res = FENCE_LOST;
	enum db_status st;

	lock_holder(ctx, holder, sizeof(holder));
	st = lock_release(ctx->db, &ctx->fence, video, LAYOUT_DB, holder, &res, err, sizeof(err));
	if (st == DB_OK && res == FENCE_WRITTEN)
		log_debug("video %s: layout lock released", video);
	else if (st == DB_OK && res == FENCE_LOST)
		log_warn("video %s: not releasing the layout lock: job %s's lease is gone (the lock is its new "
		    "claim's)", video, ctx->job_id);
	return flows_written(ctx, st, res, err);
}

static const struct flow_step crop_steps[] = {
	{ "crop_and_infer", crop_and_infer, false },
	{ "record_layout", record_layout, true },
};

const struct flow pipeline_crop_and_infer = {
	.id = FLOW_CROP_AND_INFER, .steps = FLOW_STEPS(crop_steps), .on_exit = release_layout_lock,
};

/* --- caption_ocr -------------------------------------------------------------------------------- */

static enum step_outcome
caption_ocr(struct flow_ctx *ctx, json_object **result)
{
	char key[VALIDATE_KEY_MAX + 1];
	struct gpu_input in;
	enum step_outcome oc;

	if ((oc = require_video(ctx, key, sizeof(key))) != STEP_OK)
		return oc;
	in = gpu_input_for(ctx, GPU_CAPTION_OCR, key);
	in.caption_ids = ctx->params->caption_ids;
	in.ncaption_ids = ctx->params->ncaption_ids;
	return gpu_run(ctx, &in, result);
}

static enum step_outcome
record_captions(struct flow_ctx *ctx, json_object **result)
{
	const struct flow_params *p = ctx->params;
	char err[512];
	enum fence_result res = FENCE_LOST;
	enum db_status st;
	enum step_outcome oc;

	if (ctx->prev == NULL)
		return flows_error(ctx, STEP_FAIL, "no result from caption_ocr");
	st = videos_record_captions(ctx->db, &ctx->fence, p->video_id, p->tenant_id, ctx->prev, &res, err, sizeof(err));
	oc = flows_written(ctx, st, res, err);
	if (oc != STEP_OK)
		return oc;
	*result = json_object_get(ctx->prev);
	return STEP_OK;
}

static const struct flow_step caption_steps[] = {
	{ "caption_ocr", caption_ocr, false },
	{ "record_captions", record_captions, true },
};

const struct flow pipeline_caption_ocr = { .id = FLOW_CAPTION_OCR, .steps = FLOW_STEPS(caption_steps) };
