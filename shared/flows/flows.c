/* flows.c: the flow table, and the two flows that need no outside service: `noop` (one step that does
 * nothing: the queue's own cost, for benchmarks) and `diagnostic` (three steps that can sleep and fail on
 * request: an operator's smoke test of runners, retries and resumption). */
#include "shared/flows/flows.h"

#include "shared/json.h"
#include "shared/flows/pipeline.h"
#include "shared/str.h"
#include "shared/validate.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

enum step_outcome
flows_error(struct flow_ctx *ctx, enum step_outcome outcome, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
	va_end(ap);
	return outcome;
}

/* One id field: absent is fine unless required; present must be a valid id. */
static bool
id_field(json_object *params, const char *name, bool required, char *why, size_t whylen)
{
	const char *v = NULL;
	enum json_field f = json_get_string(params, name, &v);

	if (f == JSON_FIELD_MISSING && !required)
		return true;
	if (f == JSON_FIELD_OK && validate_id(v))
		return true;
	(void)str_fmt(why, whylen, "%s must be an id of 1-128 letters, digits, _ or -", name);
	return false;
}

bool
flows_check_parameters(const struct flow *flow, json_object *params, char *why, size_t whylen)
{
	const char *tenant = NULL;

	if (!json_object_is_type(params, json_type_object)) {
		(void)str_fmt(why, whylen, "parameters must be a JSON object");
		return false;
	}
	if (!id_field(params, "tenant_id", true, why, whylen) ||
	    !id_field(params, "video_id", flow->needs_video, why, whylen))
		return false;
	(void)json_get_string(params, "tenant_id", &tenant);
	return flow->validate == NULL || flow->validate(params, tenant, why, whylen);
}

static enum step_outcome
noop_step(struct flow_ctx *ctx, json_object **result)
{
	*result = json_object_new_object();
	return STEP_OK;
}

static const struct flow_step noop_steps[] = { { "noop", noop_step } };

/* diagnostic parameters: sleep_ms (0-600000), fail_step / retry_step (a step name that then fails
 * permanently / transiently). Each step returns {"step": n, "after": <previous step's n or null>}. */
static enum step_outcome
diagnostic_step(struct flow_ctx *ctx, json_object **result)
{
	json_object *v = NULL, *prevstep = NULL;
	long sleep_ms = 0;
	const char *name;

	if (json_object_object_get_ex(ctx->job->parameters, "sleep_ms", &v)) {
		if (!json_object_is_type(v, json_type_int) || (sleep_ms = json_object_get_int64(v)) < 0 ||
		    sleep_ms > 600000)
			return flows_error(ctx, STEP_FAIL, "sleep_ms must be a whole number from 0 to 600000");
	}
	for (long slept = 0; slept < sleep_ms; slept += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (ctx->should_stop(ctx))
			return flows_error(ctx, STEP_RETRY, "interrupted");
		nanosleep(&ts, NULL);
	}
	if (json_object_object_get_ex(ctx->job->parameters, "fail_step", &v) &&
	    (name = json_object_get_string(v)) != NULL && strcmp(name, ctx->step_name) == 0)
		return flows_error(ctx, STEP_FAIL, "step %s failed as asked", ctx->step_name);
	if (json_object_object_get_ex(ctx->job->parameters, "retry_step", &v) &&
	    (name = json_object_get_string(v)) != NULL && strcmp(name, ctx->step_name) == 0)
		return flows_error(ctx, STEP_RETRY, "step %s failed transiently as asked", ctx->step_name);
	*result = json_object_new_object();
	json_object_object_add(*result, "step", json_object_new_int(ctx->step_index + 1));
	if (ctx->prev != NULL && json_object_object_get_ex(ctx->prev, "step", &prevstep))
		json_object_object_add(*result, "after", json_object_get(prevstep));
	else
		json_object_object_add(*result, "after", NULL);
	return STEP_OK;
}

static const struct flow_step diagnostic_steps[] = {
	{ "first", diagnostic_step },
	{ "second", diagnostic_step },
	{ "third", diagnostic_step },
};

static const struct flow noop_flow = { "noop", noop_steps, 1, NULL, NULL, NULL, false };
static const struct flow diagnostic_flow = { "diagnostic", diagnostic_steps, 3, NULL, NULL, NULL, false };

static const struct flow *const flows[] = {
	&pipeline_initial_processing,
	&pipeline_crop_and_infer,
	&pipeline_caption_ocr,
	&noop_flow,
	&diagnostic_flow,
};

const struct flow *
flows_find(const char *name)
{
	for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++)
		if (strcmp(flows[i]->name, name) == 0)
			return flows[i];
	return NULL;
}
