/* flows.c: helpers every flow's steps share: one-line step failures, fenced writes' outcomes. */
#include "shared/flows/flows.h"

#include <stdarg.h>
#include <stdio.h>

enum step_outcome
flows_error(struct flow_ctx *ctx, enum step_outcome outcome, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap); /* a cut message is still useful */
	va_end(ap);
	return outcome;
}

enum step_outcome
flows_db_error(struct flow_ctx *ctx, enum db_status st, const char *err)
{
	return flows_error(ctx, st == DB_UNAVAILABLE ? STEP_RETRY : STEP_FAIL, "%s", err);
}

enum step_outcome
flows_written(struct flow_ctx *ctx, enum db_status st, enum fence_result res, const char *err)
{
	if (st != DB_OK)
		return flows_db_error(ctx, st, err);
	if (res == FENCE_LOST)
		return flows_error(ctx, STEP_LOST, "the job's lease was lost; nothing written");
	return STEP_OK;
}
