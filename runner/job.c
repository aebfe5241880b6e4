/* job.c: one attempt of one job (see job.h). run_steps walks the flow; each way an attempt can end has
 * one function (end_done, end_wait, end_retry, end_fail, end_hand_back, end_cancel) that writes it,
 * fenced by the lease: once the lease is lost, nothing more is written. */
#include "runner/job.h"

#include "shared/flows/registry.h"
#include "shared/intake/params.h"
#include "shared/log.h"
#include "shared/str.h"

#include <stdlib.h>
#include <string.h>

static const char *const end_names[JOB_END__MAX] = {
	[JOB_COMPLETED] = "completed",
	[JOB_RETRY] = "retry",
	[JOB_FAILED] = "failed",
	[JOB_HANDED_BACK] = "handed back",
	[JOB_ABANDONED] = "abandoned (lease lost)",
	[JOB_CANCELLED] = "cancelled",
};

/* Everything one attempt holds; released by attempt_end. */
struct attempt {
	const struct job_env *env;
	struct queue_job *job;
	const struct flow *flow;
	struct flow_params params;
	struct flow_ctx ctx;
	struct queue_step *steps;   /* the step rows as loaded, flow->nsteps of them */
	json_object *last;          /* the last completed step's result (owned) */
	json_object *saved;         /* the checkpoint the current step saved this attempt (owned) */
	struct job_outcome *out;
};

const char *
job_end_name(enum job_end end)
{
	return (end >= 0 && end < JOB_END__MAX) ? end_names[end] : "?";
}

static bool
should_stop(void *arg)
{
	struct flow_ctx *ctx = arg;
	struct attempt *a = ctx->runner;

	return *a->env->stop || heartbeat_lost(a->env->hb);
}

static int
save_checkpoint(struct flow_ctx *ctx, json_object *state)
{
	struct attempt *a = ctx->runner;
	char err[512];
	bool ours = false;

	if (queue_step_save(ctx->db, a->job, ctx->step_index, ctx->step_name, QUEUE_STEP_RUNNING, state, NULL, &ours,
	    err, sizeof(err)) != DB_OK) {
		log_warn("job %s: cannot save the checkpoint of step %s: %s", a->job->id, ctx->step_name, err);
		return -1;
	}
	if (!ours)
		return -1;
	/* The saved state is now the step's checkpoint: a later failure of this step keeps it. */
	json_object_put(a->saved);
	a->saved = json_object_get(state);
	ctx->checkpoint = a->saved;
	return 0;
}

/* Sets the outcome; a message that does not fit is cut, which is still useful. */
static enum job_end
outcome(struct attempt *a, enum job_end end, double delay, const char *message)
{
	a->out->end = end;
	a->out->delay_seconds = delay;
	(void)str_fmt(a->out->message, sizeof(a->out->message), "%s", message ? message : "");
	return end;
}

/* --- the ends of an attempt ---------------------------------------------------------------------- */

static enum job_end
end_done(struct attempt *a)
{
	char err[512];
	bool ours = false;

	if (queue_complete(a->ctx.db, a->job, a->last, &ours, err, sizeof(err)) != DB_OK || !ours)
		return outcome(a, JOB_ABANDONED, 0, ours ? err : NULL);
	return outcome(a, JOB_COMPLETED, 0, NULL);
}

/* The job failed for good: record why (prefixed with the step, when there is one), let the flow react
 * (video status). */
static enum job_end
end_fail(struct attempt *a, const char *why, const char *suffix)
{
	char error[sizeof(a->ctx.error) + 128], err[512];
	bool ours = false;

	if (a->ctx.step_name != NULL)
		(void)str_fmt(error, sizeof(error), "%s: %s%s", a->ctx.step_name, why, suffix);
	else
		(void)str_fmt(error, sizeof(error), "%s%s", why, suffix);
	if (queue_fail(a->ctx.db, a->job, error, &ours, err, sizeof(err)) != DB_OK || !ours)
		return outcome(a, JOB_ABANDONED, 0, NULL);
	if (a->flow != NULL && a->flow->on_failure != NULL)
		a->flow->on_failure(&a->ctx, error);
	return outcome(a, JOB_FAILED, 0, error);
}

/* Not a failure: the job may run again after delay seconds, and gets this attempt back. */
static enum job_end
end_hand_back(struct attempt *a, double delay, const char *why)
{
	char err[512];
	bool ours = false;

	if (queue_requeue(a->ctx.db, a->job, QUEUE_HAND_BACK, delay, why, &ours, err, sizeof(err)) != DB_OK || !ours)
		return outcome(a, JOB_ABANDONED, 0, NULL);
	return outcome(a, JOB_HANDED_BACK, delay, why);
}

/* A step cannot start yet (a held lock): hand back until it may. */
static enum job_end
end_wait(struct attempt *a)
{
	log_info("job %s: step %s waits %.1f s: %s", a->job->id, a->ctx.step_name, a->ctx.wait_seconds, a->ctx.error);
	return end_hand_back(a, a->ctx.wait_seconds, a->ctx.error);
}

static double
unit_random(void)
{
	return (double)rand() / (double)RAND_MAX;
}

/* A transient failure: again after a backoff, unless this was the last attempt. */
static enum job_end
end_retry(struct attempt *a)
{
	const struct config *cfg = a->ctx.cfg;
	char error[sizeof(a->ctx.error) + 128], err[512];
	double delay;
	bool ours = false;

	if (a->job->attempt >= a->job->max_attempts)
		return end_fail(a, a->ctx.error, " (out of attempts)");
	delay = queue_backoff(a->job->attempt, (double)cfg->retry_base_ms / 1000.0, (double)cfg->retry_max_ms / 1000.0,
	    unit_random());
	(void)str_fmt(error, sizeof(error), "%s: %s", a->ctx.step_name, a->ctx.error);
	if (queue_requeue(a->ctx.db, a->job, QUEUE_RETRY, delay, error, &ours, err, sizeof(err)) != DB_OK || !ours)
		return outcome(a, JOB_ABANDONED, 0, error);
	return outcome(a, JOB_RETRY, delay, error);
}

static enum job_end
end_cancel(struct attempt *a, const char *why)
{
	char err[512];
	bool ours = false;

	log_info("job %s: %s; stopping before step %s", a->job->id, why, a->flow->steps[a->ctx.step_index].name);
	if (queue_cancel(a->ctx.db, a->job, why, &ours, err, sizeof(err)) != DB_OK || !ours)
		return outcome(a, JOB_ABANDONED, 0, NULL);
	return outcome(a, JOB_CANCELLED, 0, why);
}

/* --- the steps ----------------------------------------------------------------------------------- */

/* A step failed (transiently or not): its row keeps the checkpoint it saved (a GPU call id) so the next
 * attempt can resume it; then the job ends as the failure says. */
static enum job_end
step_failed(struct attempt *a, enum step_outcome oc)
{
	char err[512];
	bool ours = false;

	if (oc == STEP_RETRY && *a->env->stop) /* interrupted by shutdown: not a failure */
		return end_hand_back(a, 0, NULL);
	if (queue_step_save(a->ctx.db, a->job, a->ctx.step_index, a->ctx.step_name, QUEUE_STEP_FAILED,
	    a->ctx.checkpoint, a->ctx.error, &ours, err, sizeof(err)) != DB_OK || !ours)
		return outcome(a, JOB_ABANDONED, 0, NULL);
	return oc == STEP_FAIL ? end_fail(a, a->ctx.error, "") : end_retry(a);
}

/* A step succeeded: its result is checkpointed and becomes the next step's input. -1: lease lost. */
static int
step_done(struct attempt *a, json_object *result)
{
	char err[512];
	bool ours = false;

	if (queue_step_save(a->ctx.db, a->job, a->ctx.step_index, a->ctx.step_name, QUEUE_STEP_COMPLETED, result,
	    NULL, &ours, err, sizeof(err)) != DB_OK || !ours) {
		json_object_put(result);
		return -1;
	}
	json_object_put(a->last);
	a->last = result;
	return 0;
}

/* Runs step i; returns how it went and its result. */
static enum step_outcome
step_run(struct attempt *a, int i, json_object **result)
{
	struct flow_ctx *ctx = &a->ctx;

	ctx->step_index = i;
	ctx->step_name = a->flow->steps[i].name;
	ctx->prev = a->last;
	json_object_put(a->saved);
	a->saved = NULL;
	ctx->checkpoint = a->steps[i].result;
	ctx->error[0] = '\0';
	ctx->wait_seconds = 0;
	*result = NULL;
	return a->flow->steps[i].run(ctx, result);
}

/* The first step to run: the one after the last completed step, whose result is the input. */
static int
resume_point(struct attempt *a)
{
	int i = 0;

	for (; i < a->flow->nsteps && a->steps[i].status == QUEUE_STEP_COMPLETED; i++) {
		json_object_put(a->last);
		a->last = json_object_get(a->steps[i].result);
	}
	return i;
}

static enum job_end
run_steps(struct attempt *a)
{
	for (int i = resume_point(a); i < a->flow->nsteps; i++) {
		const char *cancelled = NULL;
		json_object *result;
		enum step_outcome oc;

		a->ctx.step_index = i;
		if (*a->env->stop)
			return end_hand_back(a, 0, NULL);
		if (heartbeat_lost(a->env->hb))
			return outcome(a, JOB_ABANDONED, 0, NULL);
		if (a->env->cancelling != NULL && (cancelled = a->env->cancelling(a->env->cancelling_arg, a->job)) != NULL)
			return end_cancel(a, cancelled);
		oc = step_run(a, i, &result);
		if (heartbeat_lost(a->env->hb)) {
			json_object_put(result);
			return outcome(a, JOB_ABANDONED, 0, NULL);
		}
		switch (oc) {
		case STEP_OK:
			if (step_done(a, result) != 0)
				return outcome(a, JOB_ABANDONED, 0, NULL);
			break;
		case STEP_WAIT:
			json_object_put(result);
			return end_wait(a);
		case STEP_RETRY:
		case STEP_FAIL:
			json_object_put(result);
			return step_failed(a, oc);
		}
	}
	return end_done(a);
}

/* Takes the job: its flow and typed parameters (the jobs row is input: bad ones fail the job at once,
 * with the flow's failure reaction when the row names a valid video), and its step rows. */
static enum job_end
take(struct attempt *a)
{
	enum flow_id id;
	char why[300], err[512];

	if (params_flow_parse(a->job->flow, &id) != 0) {
		(void)str_fmt(why, sizeof(why), "unknown flow \"%s\"", a->job->flow);
		return end_fail(a, why, "");
	}
	a->flow = registry_flow(id);
	if (params_parse_row(id, a->job->tenant_id, a->job->video_id, a->job->parameters, &a->params, why,
	    sizeof(why)) != 0) {
		char msg[400];

		/* Enough of the row for the flow's failure reaction (a video's error status). */
		if (!validate_id(a->job->tenant_id) || !validate_id(a->job->video_id) ||
		    str_copy(a->params.tenant_id, sizeof(a->params.tenant_id), a->job->tenant_id) != 0 ||
		    str_copy(a->params.video_id, sizeof(a->params.video_id), a->job->video_id) != 0) {
			a->params.video_id[0] = '\0';
			a->flow = NULL;
		}
		(void)str_fmt(msg, sizeof(msg), "invalid parameters: %s", why);
		return end_fail(a, msg, "");
	}
	if ((a->steps = calloc((size_t)a->flow->nsteps, sizeof(*a->steps))) == NULL)
		return outcome(a, JOB_ABANDONED, 0, "out of memory");
	if (queue_steps_load(a->ctx.db, a->job, a->steps, a->flow->nsteps, err, sizeof(err)) != DB_OK)
		return outcome(a, JOB_ABANDONED, 0, err);
	return run_steps(a);
}

void
job_run(const struct job_env *env, struct queue_job *job, struct job_outcome *out)
{
	struct attempt a = { .env = env, .job = job, .out = out };

	memset(out, 0, sizeof(*out));
	a.ctx = (struct flow_ctx){ .db = env->db, .cfg = env->cfg, .job_id = job->id, .params = &a.params,
		.save_checkpoint = save_checkpoint, .should_stop = should_stop, .runner = &a };
	heartbeat_watch(env->hb, job->id, job->lease_token);
	(void)take(&a);
	if (a.flow != NULL && a.flow->on_exit != NULL && a.params.video_id[0] != '\0')
		a.flow->on_exit(&a.ctx);
	heartbeat_unwatch(env->hb);
	if (a.steps != NULL)
		queue_steps_free(a.steps, a.flow->nsteps);
	free(a.steps);
	json_object_put(a.last);
	json_object_put(a.saved);
	params_free(&a.params);
}
