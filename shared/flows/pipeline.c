/* pipeline.c: the product's flows. Each step re-reads its parameters through the validators: the jobs
 * table is input too. Video status follows the flow: processing -> active, or error when the job fails
 * for good. crop_and_infer holds the video's "layout" server lock while it works and releases it on
 * every path. */
#include "shared/flows/pipeline.h"

#include "shared/flows/gpu.h"
#include "shared/queue/lock.h"
#include "shared/log.h"
#include "shared/str.h"
#include "shared/validate.h"
#include "shared/flows/videos.h"

#include <math.h>
#include <string.h>

#define LAYOUT_DB "layout"

/* Video and tenant of the job, checked again. */
static enum step_outcome
job_ids(struct flow_ctx *ctx)
{
	if (!validate_id(ctx->job->video_id) || !validate_id(ctx->job->tenant_id))
		return flows_error(ctx, STEP_FAIL, "the job has no valid video_id and tenant_id");
	return STEP_OK;
}

static enum step_outcome
db_outcome(struct flow_ctx *ctx, enum db_status st, const char *err)
{
	return flows_error(ctx, st == DB_UNAVAILABLE ? STEP_RETRY : STEP_FAIL, "%s", err);
}

/* The video must exist for this tenant; key (if not NULL) gets its storage key. */
static enum step_outcome
require_video(struct flow_ctx *ctx, char *key, size_t keylen)
{
	char err[512];
	bool exists = false;
	enum db_status st = videos_exists(ctx->db, ctx->job->video_id, ctx->job->tenant_id, &exists, key, keylen, err,
	    sizeof(err));

	if (st != DB_OK)
		return db_outcome(ctx, st, err);
	if (!exists)
		return flows_error(ctx, STEP_FAIL, "video %s of tenant %s does not exist", ctx->job->video_id,
		    ctx->job->tenant_id);
	return STEP_OK;
}

/* --- video_initial_processing ------------------------------------------------------------------- */

/* parameters.storage_key, if it is a valid key of the tenant. */
static const char *
storage_key_of(json_object *params, const char *tenant_id, char *why, size_t whylen)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(params, "storage_key", &v) || !json_object_is_type(v, json_type_string)) {
		(void)str_fmt(why, whylen, "parameters.storage_key must be a string");
		return NULL;
	}
	if (!validate_storage_key(json_object_get_string(v), tenant_id, why, whylen))
		return NULL;
	return json_object_get_string(v);
}

static const char *
storage_key(struct flow_ctx *ctx)
{
	char why[200];

	return storage_key_of(ctx->job->parameters, ctx->job->tenant_id, why, sizeof(why));
}

static bool
initial_valid(json_object *params, const char *tenant_id, char *why, size_t whylen)
{
	char reason[200];

	if (storage_key_of(params, tenant_id, reason, sizeof(reason)) != NULL)
		return true;
	(void)str_fmt(why, whylen, "storage_key %s", reason);
	return false;
}

static enum step_outcome
mark_processing(struct flow_ctx *ctx, json_object **result)
{
	const char *key = storage_key(ctx);
	char err[512];
	enum db_status st;

	if (job_ids(ctx) != STEP_OK)
		return STEP_FAIL;
	if (key == NULL)
		return flows_error(ctx, STEP_FAIL, "parameters.storage_key must be a key under \"%s/\"", ctx->job->tenant_id);
	if ((st = videos_mark_processing(ctx->db, ctx->job->video_id, ctx->job->tenant_id, key, err, sizeof(err))) !=
	    DB_OK)
		return db_outcome(ctx, st, err);
	*result = json_object_new_object();
	json_object_object_add(*result, "status", json_object_new_string("processing"));
	return STEP_OK;
}

static enum step_outcome
extract_frames_and_ocr(struct flow_ctx *ctx, json_object **result)
{
	json_object *in = json_object_new_object();
	enum step_outcome oc;

	json_object_object_add(in, "video_key", json_object_new_string(storage_key(ctx) ? storage_key(ctx) : ""));
	json_object_object_add(in, "tenant_id", json_object_new_string(ctx->job->tenant_id));
	json_object_object_add(in, "video_id", json_object_new_string(ctx->job->video_id));
	json_object_object_add(in, "frame_rate", json_object_new_double(0.1));
	oc = gpu_run(ctx, GPU_EXTRACT_FRAMES_AND_OCR, in, result);
	json_object_put(in);
	return oc;
}

static enum step_outcome
record_metadata(struct flow_ctx *ctx, json_object **result)
{
	char err[512];
	enum db_status st;
	json_object *failed = NULL;

	if (ctx->prev == NULL)
		return flows_error(ctx, STEP_FAIL, "no result from extract_frames_and_ocr");
	if (videos_record_processing(ctx->db, ctx->job->video_id, ctx->job->tenant_id, ctx->prev, &st, err,
	    sizeof(err)) != 0)
		return db_outcome(ctx, st, err);
	if (json_object_object_get_ex(ctx->prev, "failed_ocr_count", &failed) && json_object_get_int(failed) > 0)
		log_warn("video %s: OCR failed on %d frame(s); processing completed with partial results",
		    ctx->job->video_id, json_object_get_int(failed));
	*result = json_object_get(ctx->prev);
	return STEP_OK;
}

static void
initial_failed(struct flow_ctx *ctx, const char *error)
{
	char err[512];

	if (validate_id(ctx->job->video_id) &&
	    videos_set_error(ctx->db, ctx->job->video_id, error, err, sizeof(err)) == DB_UNAVAILABLE)
		log_warn("video %s: cannot record the error: %s", ctx->job->video_id, err);
}

static const struct flow_step initial_steps[] = {
	{ "mark_processing", mark_processing },
	{ "extract_frames_and_ocr", extract_frames_and_ocr },
	{ "record_metadata", record_metadata },
};

const struct flow pipeline_initial_processing = {
	"video_initial_processing", initial_steps, 3, initial_failed, NULL, initial_valid, true
};

/* --- crop_and_infer ----------------------------------------------------------------------------- */

static void
lock_holder(struct flow_ctx *ctx, char *buf, size_t len)
{
	(void)str_fmt(buf, len, "job:%s", ctx->job->id);
}

/* Takes (or renews) the video's layout lock for this job; STEP_WAIT while someone else holds it. */
static enum step_outcome
hold_layout_lock(struct flow_ctx *ctx)
{
	char holder[64], prev[160], err[512];
	enum lock_result res;
	enum db_status st;

	lock_holder(ctx, holder, sizeof(holder));
	st = lock_acquire(ctx->db, ctx->job->video_id, LAYOUT_DB, holder, ctx->cfg->lock_seconds, &res, prev,
	    sizeof(prev), err, sizeof(err));
	if (st != DB_OK)
		return db_outcome(ctx, st, err);
	if (res == LOCK_HELD) {
		ctx->wait_seconds = (double)ctx->cfg->lock_wait_seconds;
		return flows_error(ctx, STEP_WAIT, "the layout lock of video %s is held by %s", ctx->job->video_id, prev);
	}
	if (res == LOCK_TAKEN_OVER)
		log_warn("video %s: took over the stale layout lock of %s", ctx->job->video_id, prev);
	return STEP_OK;
}

#define CROP_RULE "parameters.crop_region must hold crop_left, crop_top, crop_right and crop_bottom in [0,1] " \
	"with left < right and top < bottom"

/* crop_region: four numbers in [0,1] with left < right and top < bottom. */
static json_object *
crop_region_of(json_object *params)
{
	static const char *k[4] = { "crop_left", "crop_top", "crop_right", "crop_bottom" };
	json_object *r = NULL, *v;
	double d[4];

	if (!json_object_object_get_ex(params, "crop_region", &r) || !json_object_is_type(r, json_type_object))
		return NULL;
	for (int i = 0; i < 4; i++) {
		if (!json_object_object_get_ex(r, k[i], &v) ||
		    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
			return NULL;
		d[i] = json_object_get_double(v);
		if (!isfinite(d[i]) || d[i] < 0 || d[i] > 1)
			return NULL;
	}
	return (d[0] < d[2] && d[1] < d[3]) ? r : NULL;
}

static json_object *
crop_region(struct flow_ctx *ctx)
{
	return crop_region_of(ctx->job->parameters);
}

static bool
crop_valid(json_object *params, const char *tenant_id, char *why, size_t whylen)
{
	(void)tenant_id;
	if (crop_region_of(params) != NULL)
		return true;
	(void)str_fmt(why, whylen, "%s", CROP_RULE);
	return false;
}

static enum step_outcome
crop_and_infer(struct flow_ctx *ctx, json_object **result)
{
	json_object *region = crop_region(ctx), *in;
	char key[VALIDATE_KEY_MAX + 1];
	enum step_outcome oc;

	if (job_ids(ctx) != STEP_OK)
		return STEP_FAIL;
	if (region == NULL)
		return flows_error(ctx, STEP_FAIL, "%s", CROP_RULE);
	if ((oc = require_video(ctx, key, sizeof(key))) != STEP_OK || (oc = hold_layout_lock(ctx)) != STEP_OK)
		return oc;
	in = json_object_new_object();
	json_object_object_add(in, "video_id", json_object_new_string(ctx->job->video_id));
	json_object_object_add(in, "tenant_id", json_object_new_string(ctx->job->tenant_id));
	/* Where the video is, so the function need not look it up (Modal ignores what it does not use). */
	json_object_object_add(in, "video_key", json_object_new_string(key));
	json_object_object_add(in, "crop_region", json_object_get(region));
	oc = gpu_run(ctx, GPU_CROP_AND_INFER, in, result);
	json_object_put(in);
	return oc;
}

static enum step_outcome
record_layout(struct flow_ctx *ctx, json_object **result)
{
	char err[512];
	enum db_status st;
	enum step_outcome oc;

	if (ctx->prev == NULL)
		return flows_error(ctx, STEP_FAIL, "no result from crop_and_infer");
	if ((oc = hold_layout_lock(ctx)) != STEP_OK)
		return oc;
	if (videos_record_layout(ctx->db, ctx->job->video_id, ctx->job->tenant_id, crop_region(ctx), ctx->prev, &st,
	    err, sizeof(err)) != 0)
		return db_outcome(ctx, st, err);
	*result = json_object_get(ctx->prev);
	return STEP_OK;
}

static void
release_layout_lock(struct flow_ctx *ctx)
{
	char holder[64], err[512];
	bool released = false;

	if (!validate_id(ctx->job->video_id))
		return;
	lock_holder(ctx, holder, sizeof(holder));
	if (lock_release(ctx->db, ctx->job->video_id, LAYOUT_DB, holder, &released, err, sizeof(err)) != DB_OK)
		log_warn("video %s: cannot release the layout lock (it expires by itself): %s", ctx->job->video_id, err);
	else if (released)
		log_debug("video %s: layout lock released", ctx->job->video_id);
}

static const struct flow_step crop_steps[] = {
	{ "crop_and_infer", crop_and_infer },
	{ "record_layout", record_layout },
};

const struct flow pipeline_crop_and_infer = {
	"crop_and_infer", crop_steps, 2, NULL, release_layout_lock, crop_valid, true
};

/* --- caption_ocr -------------------------------------------------------------------------------- */

/* caption_ids: 1-10000 whole numbers >= 0, or ids (strings) that pass validate_id. */
#define CAPTION_IDS_RULE "parameters.caption_ids must be a list of 1 to 10000 caption ids"

static json_object *
caption_ids_of(json_object *params)
{
	json_object *a = NULL;
	size_t n;

	if (!json_object_object_get_ex(params, "caption_ids", &a) || !json_object_is_type(a, json_type_array))
		return NULL;
	n = json_object_array_length(a);
	if (n == 0 || n > 10000)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(a, i);

		if (!((json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0) ||
		    (json_object_is_type(v, json_type_string) && validate_id(json_object_get_string(v)))))
			return NULL;
	}
	return a;
}

static json_object *
caption_ids(struct flow_ctx *ctx)
{
	return caption_ids_of(ctx->job->parameters);
}

static bool
caption_valid(json_object *params, const char *tenant_id, char *why, size_t whylen)
{
	(void)tenant_id;
	if (caption_ids_of(params) != NULL)
		return true;
	(void)str_fmt(why, whylen, "%s", CAPTION_IDS_RULE);
	return false;
}

static enum step_outcome
caption_ocr(struct flow_ctx *ctx, json_object **result)
{
	json_object *ids = caption_ids(ctx), *in;
	enum step_outcome oc;

	if (job_ids(ctx) != STEP_OK)
		return STEP_FAIL;
	if (ids == NULL)
		return flows_error(ctx, STEP_FAIL, "%s", CAPTION_IDS_RULE);
	if ((oc = require_video(ctx, NULL, 0)) != STEP_OK)
		return oc;
	in = json_object_new_object();
	json_object_object_add(in, "video_id", json_object_new_string(ctx->job->video_id));
	json_object_object_add(in, "tenant_id", json_object_new_string(ctx->job->tenant_id));
	json_object_object_add(in, "caption_ids", json_object_get(ids));
	oc = gpu_run(ctx, GPU_CAPTION_OCR, in, result);
	json_object_put(in);
	return oc;
}

static enum step_outcome
record_captions(struct flow_ctx *ctx, json_object **result)
{
	char err[512];
	enum db_status st;

	if (ctx->prev == NULL)
		return flows_error(ctx, STEP_FAIL, "no result from caption_ocr");
	if (videos_record_captions(ctx->db, ctx->job->video_id, ctx->job->tenant_id, ctx->prev, &st, err,
	    sizeof(err)) != 0)
		return db_outcome(ctx, st, err);
	*result = json_object_get(ctx->prev);
	return STEP_OK;
}

static const struct flow_step caption_steps[] = {
	{ "caption_ocr", caption_ocr },
	{ "record_captions", record_captions },
};

const struct flow pipeline_caption_ocr = {
	"caption_ocr", caption_steps, 2, NULL, NULL, caption_valid, true
};
