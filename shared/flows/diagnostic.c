/* diagnostic.c: the noop and diagnostic flows (see diagnostic.h). */
#include "shared/flows/diagnostic.h"

#include "shared/clock.h"

#include <string.h>

static enum step_outcome
noop_step(struct flow_ctx *ctx, json_object **result)
{
	*result = json_object_new_object();
	return STEP_OK;
}

static const struct flow_step noop_steps[] = { { "noop", noop_step, false } };

/* Sleeps sleep_ms (waking when the runner must stop), then fails as asked or returns {"step": n, "after":
 * <previous step's n or null>}. */
static enum step_outcome
diagnostic_step(struct flow_ctx *ctx, json_object **result)
{
	const struct flow_params *p = ctx->params;
	json_object *prevstep = NULL;

	if (!clock_sleep_unless(p->sleep_ms, ctx->should_stop, ctx))
		return flows_error(ctx, STEP_RETRY, "interrupted");
	if (strcmp(p->fail_step, ctx->step_name) == 0)
		return flows_error(ctx, STEP_FAIL, "step %s failed as asked", ctx->step_name);
	if (strcmp(p->retry_step, ctx->step_name) == 0)
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
	{ "first", diagnostic_step, false },
	{ "second", diagnostic_step, false },
	{ "third", diagnostic_step, false },
};

const struct flow diagnostic_noop = { .id = FLOW_NOOP, .steps = FLOW_STEPS(noop_steps), .short_steps = true };
const struct flow diagnostic_flow = { .id = FLOW_DIAGNOSTIC, .steps = FLOW_STEPS(diagnostic_steps),
	.short_steps = true };
