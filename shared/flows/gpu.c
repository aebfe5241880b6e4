/* gpu.c: GPU function calls for flow steps: runs them on this machine (FUNCTIONS_BACKEND=local), or picks
 * the Modal endpoint and calls it directly or spawns and polls it; turns the outcome into a step outcome. */
#include "shared/flows/gpu.h"

#include "shared/clients/modal.h"
#include "shared/clock.h"
#include "shared/local/localgpu.h"
#include "shared/log.h"
#include "shared/metrics/figures.h"
#include "shared/str.h"
#include "shared/validate.h"

#include <string.h>

static bool
cancelled(void *arg)
{
	struct flow_ctx *ctx = arg;

	return ctx->should_stop(ctx);
}

static enum step_outcome
outcome(struct flow_ctx *ctx, enum gpu_function fn, enum modal_outcome m, const char *err)
{
	if (m == MODAL_OK)
		return STEP_OK;
	return flows_error(ctx, m == MODAL_PERMANENT ? STEP_FAIL : STEP_RETRY, "%s", err);
}

static enum step_outcome
spawn_and_poll(struct flow_ctx *ctx, enum gpu_function fn, const struct modal_opts *o, const char *url,
    const char *poll_url, json_object *input, json_object **result)
{
	char call_id[VALIDATE_ID_MAX + 1] = "", poll[2048], err[512];
	json_object *v = NULL, *spawned = NULL, *state;
	long status, waited_ms = 0;
	enum modal_outcome m;

	if (ctx->checkpoint != NULL && json_object_object_get_ex(ctx->checkpoint, "call_id", &v) &&
	    validate_id(json_object_get_string(v)) && str_copy(call_id, sizeof(call_id), json_object_get_string(v)) == 0)
		log_info("%s: resuming GPU call %s", gpufn_name(fn), call_id);
	if (call_id[0] == '\0') {
		if ((m = modal_request(o, url, input, &spawned, &status, err, sizeof(err))) != MODAL_OK)
			return outcome(ctx, fn, m, err);
		if (!json_object_object_get_ex(spawned, "call_id", &v) || !validate_id(json_object_get_string(v)) ||
		    str_copy(call_id, sizeof(call_id), json_object_get_string(v)) != 0) {
			json_object_put(spawned);
			return flows_error(ctx, STEP_FAIL, "spawn answer has no valid call_id");
		}
		json_object_put(spawned);
		state = json_object_new_object();
		json_object_object_add(state, "call_id", json_object_new_string(call_id));
		if (ctx->save_checkpoint(ctx, state) != 0) {
			json_object_put(state);
			return flows_error(ctx, STEP_RETRY, "cannot checkpoint call %s", call_id);
		}
		json_object_put(state);
		log_info("%s: spawned GPU call %s", gpufn_name(fn), call_id);
	}
	if (str_fmt(poll, sizeof(poll), "%s%scall_id=%s", poll_url, strchr(poll_url, '?') ? "&" : "?", call_id) != 0)
		return flows_error(ctx, STEP_FAIL, "poll URL too long");
	for (;;) {
		m = modal_request(o, poll, NULL, result, &status, err, sizeof(err));
		if (m != MODAL_PENDING) {
			if (m == MODAL_PERMANENT && status == 404) {
				/* Modal no longer knows the call: forget it so the next attempt spawns anew. */
				state = json_object_new_object();
				(void)ctx->save_checkpoint(ctx, state);
				json_object_put(state);
				m = MODAL_RETRY;
			}
			return outcome(ctx, fn, m, err);
		}
		if (ctx->should_stop(ctx))
			return flows_error(ctx, STEP_RETRY, "interrupted while call %s runs", call_id);
		if (waited_ms / 1000 >= ctx->cfg->modal_timeout_seconds)
			return flows_error(ctx, STEP_RETRY, "call %s still running after %ld s", call_id,
			    ctx->cfg->modal_timeout_seconds);
		(void)clock_sleep_unless(ctx->cfg->modal_poll_interval_ms, cancelled, ctx);
		waited_ms += ctx->cfg->modal_poll_interval_ms;
	}
}

/* Calls in->fn on the configured backend (see gpu_run). */
static enum step_outcome
call(struct flow_ctx *ctx, const struct gpu_input *in, json_object **result)
{
	enum gpu_function fn = in->fn;
	const struct config *c = ctx->cfg;
	const char *urls[GPU__MAX] = { c->modal_extract_url, c->modal_crop_url, c->modal_caption_url };
	const char *polls[GPU__MAX] = { c->modal_extract_poll_url, c->modal_crop_poll_url, c->modal_caption_poll_url };
	static const char *keys[GPU__MAX] = { "MODAL_EXTRACT_FRAMES_AND_OCR_URL", "MODAL_CROP_AND_INFER_URL",
		"MODAL_CAPTION_OCR_URL" };
	struct modal_opts o = { c->modal_key, c->modal_secret, c->modal_connect_timeout_seconds,
		c->modal_timeout_seconds, c->modal_max_redirects, cancelled, ctx };
	json_object *input;
	enum step_outcome oc;
	char err[512];
	long status;

	*result = NULL;
	if (c->functions_backend == CONFIG_FUNCTIONS_LOCAL) {
		enum localgpu_result r = localgpu_run(c, in, cancelled, ctx, result, err, sizeof(err));

		if (r == LOCALGPU_OK)
			return STEP_OK;
		return flows_error(ctx, r == LOCALGPU_FAIL ? STEP_FAIL : STEP_RETRY, "%s", err);
	}
	if (urls[fn] == NULL)
		return flows_error(ctx, STEP_FAIL, "%s is not set", keys[fn]);
	input = gpufn_json(in);
	if (polls[fn] != NULL)
		oc = spawn_and_poll(ctx, fn, &o, urls[fn], polls[fn], input, result);
	else
		oc = outcome(ctx, fn, modal_request(&o, urls[fn], input, result, &status, err, sizeof(err)), err);
	json_object_put(input);
	return oc;
}

enum step_outcome
gpu_run(struct flow_ctx *ctx, const struct gpu_input *in, json_object **result)
{
	static const char *const outcomes[] = { [STEP_OK] = "ok", [STEP_RETRY] = "transient", [STEP_FAIL] = "permanent",
		[STEP_WAIT] = "transient", [STEP_LOST] = "transient" };
	long long t0 = clock_ms();
	enum step_outcome oc = call(ctx, in, result);

	figures_note(&ctx->figures, "gpu", gpufn_name(in->fn),
	    ctx->cfg->functions_backend == CONFIG_FUNCTIONS_LOCAL ? "local" : "modal", outcomes[oc],
	    (double)(clock_ms() - t0) / 1000.0);
	return oc;
}
