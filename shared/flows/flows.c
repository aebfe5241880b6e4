/* flows.c: helpers every flow's steps share: one-line step failures. */
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
