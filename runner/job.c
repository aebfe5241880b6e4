/* job.c: one attempt of one job (see job.h). run_steps walks the flow; each way an attempt can end has
 * one function (end_done, end_wait, end_retry, end_fail, end_hand_back, end_cancel), and all of them end
 * through finish(): the flow's reactions (failure handling, lock release) and the jobs row's new state in
 * one transaction fenced by the lease, so they happen exactly once, by whoever holds the job. Once the
 * lease is lost, nothing more is written. A database that goes away is waited for (DB_OUTAGE_SECONDS)
 * and the write tried again: every write here is fenced, so trying again cannot apply it twice.
 * What a job costs the database: the claim (which brings the step rows), one write per step that is not
 * the last, and the last step's row fused with the completion (queue_complete_step): 1 + n commits for n
 * steps. A step's start is kept in memory and written with its first row (a checkpoint or its result).
 * A step that only writes the database (flows.h: atomic) commits its writes with its row, in one
 * transaction (the last step: in finish()'s, with the completion), so its effect lands exactly once: a
 * crash or a lost session before that commit leaves nothing of it, and the next attempt runs it afresh. */
#include "runner/job.h"

#include "runner/completions.h"

#include "shared/backfill/backfill_complete.h"
#include "shared/clock.h"
#include "shared/flows/registry.h"
#include "shared/intake/params.h"
#include "shared/log.h"
#include "shared/metrics/figures.h"
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

/* Everything one attempt holds; released by attempt_free. */
struct attempt {
	const struct job_env *env;
	struct queue_job *job;
	const struct flow *flow;
	struct flow_params params;
	struct flow_ctx ctx;
	struct queue_step *steps;   /* the step rows as loaded, flow->nsteps of them */
	json_object *last;          /* the last completed step's result (owned) */
	json_object *saved;         /* the checkpoint the current step saved this attempt (owned) */
	long long step_started_ms;  /* when the current step started (clock_ms) */
	bool last_unsaved;          /* the last step completed; its result (last) is written with the completion */
	int pending;                /* an atomic last step finish() runs in its transaction, or -1 */
	json_object *pending_in;    /* its input (owned) */
	enum step_outcome pending_oc; /* how it went (STEP_OK unless it failed) */
	bool pending_noted;         /* its duration is noted for the completion's write */
	bool skip_react;            /* the reactions failed beside it: it ends the job without them */
	char cancel[256];           /* an operator's request to stop the job (control.h), "" none */
	struct job_outcome *out;
};

const char *
job_end_name(enum job_end end)
{
	return (end >= 0 && end < JOB_END__MAX) ? end_names[end] : "?";
}

static bool
lease_lost(const struct attempt *a)
{
	return a->env->hb != NULL && heartbeat_lost(a->env->hb);
}

static bool
should_stop(void *arg)
{
	struct flow_ctx *ctx = arg;
	struct attempt *a = ctx->runner;

	return *a->env->stop || lease_lost(a);
}

/* A write failed because the database went away (why): true once it answers again, so the write may be
 * tried again (fenced, so it cannot apply twice), false once *deadline (set on the first call,
 * DB_OUTAGE_SECONDS ahead) has passed or the runner is stopping. what names the write for the log. */
bool
job_env_db_back(const struct job_env *env, long long *deadline, const char *what, const char *why)
{
	char err[512];

	if (*deadline == 0) {
		*deadline = clock_ms() + env->cfg->db_outage_seconds * 1000;
		log_warn("%s: %s; waiting up to %ld s for the database", what, why, env->cfg->db_outage_seconds);
	} else if (!clock_sleep_unless(100, clock_flag_set, CLOCK_FLAG(env->stop)))
		return false;
	if (clock_ms() >= *deadline)
		return false;
	return db_wait(env->db, *deadline, clock_flag_set, CLOCK_FLAG(env->stop), err, sizeof(err)) == DB_OK;
}

/* job_env_db_back for a write of this attempt's job. */
static bool
db_back(struct attempt *a, long long *deadline, const char *what, const char *why)
{
	char label[QUEUE_ID_MAX + 128];

	(void)str_fmt(label, sizeof(label), "job %s: %s", a->job->id, what);
	return job_env_db_back(a->env, deadline, label, why);
}

/* Seconds since the current step started. */
static double
step_age(const struct attempt *a)
{
	return (double)(clock_ms() - a->step_started_ms) / 1000.0;
}

/* Notes the current step's duration for GET /metrics; its next row write carries it (figures.h). */
static void
note_step(struct attempt *a, const char *how)
{
	figures_note(&a->ctx.figures, "step", a->job->flow, a->ctx.step_name, how, step_age(a));
}

/* Notes the current step as completed once, however often the write that carries it is tried again. */
static void
note_completed_once(struct attempt *a, bool *noted)
{
	if (!*noted)
		note_step(a, "completed");
	*noted = true;
}

/* Writes the current step's row (a checkpoint, its result, or its failure), with the figures noted so
 * far. -1: the lease was lost, or the database stayed away. */
static int
save_step(struct attempt *a, enum queue_step_status status, json_object *result, const char *error)
{
	char err[512];
	enum fence_result res = FENCE_LOST;
	long long deadline = 0;
	enum db_status st;

	if (status != QUEUE_STEP_RUNNING)
		note_step(a, status == QUEUE_STEP_COMPLETED ? "completed" : "failed");
	while ((st = queue_step_save(a->ctx.db, a->job, a->ctx.step_index, a->ctx.step_name, status, result, error,
	    step_age(a), a->ctx.figures, &res, a->cancel, sizeof(a->cancel), err, sizeof(err))) == DB_UNAVAILABLE &&
	    db_back(a, &deadline, "saving a step", err))
		;
	if (st != DB_OK)
		log_warn("job %s: cannot save step %s: %s", a->job->id, a->ctx.step_name, err);
	figures_clear(&a->ctx.figures);
	return st == DB_OK && res != FENCE_LOST ? 0 : -1;
}

static int
save_checkpoint(struct flow_ctx *ctx, json_object *state)
{
	struct attempt *a = ctx->runner;

	if (save_step(a, QUEUE_STEP_RUNNING, state, NULL) != 0)
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

/* --- ending an attempt ---------------------------------------------------------------------------- */

static enum step_outcome step_run(struct attempt *a, int i, json_object **result);
static enum job_end step_failed(struct attempt *a, enum step_outcome oc);
static enum job_end end_wait(struct attempt *a);

/* Runs atomic step i (flows.h) inside the open transaction. DB_OK with *oc its outcome (*result set only
 * for STEP_OK); DB_UNAVAILABLE when it asks to be retried: a step that only writes the database retries
 * for the database, so the caller rolls back, waits for it and runs the step again from nothing. */
static enum db_status
atomic_run(struct attempt *a, int i, json_object **result, enum step_outcome *oc, char *err, size_t errlen)
{
	if ((*oc = step_run(a, i, result)) == STEP_OK)
		return DB_OK;
	json_object_put(*result);
	*result = NULL;
	(void)str_fmt(err, errlen, "%s", a->ctx.error);
	return *oc == STEP_RETRY ? DB_UNAVAILABLE : DB_OK;
}

/* finish()'s share of an atomic last step: runs it inside the open transaction, from the input it had the
 * first time. DB_UNAVAILABLE: all is tried again. */
static enum db_status
pending_step(struct attempt *a, char *err, size_t errlen)
{
	json_object *result = NULL;
	enum db_status st;

	json_object_put(a->last);
	a->last = json_object_get(a->pending_in);
	a->last_unsaved = false;
	if ((st = atomic_run(a, a->pending, &result, &a->pending_oc, err, errlen)) != DB_OK ||
	    a->pending_oc != STEP_OK) {
		if (st != DB_OK)
			a->pending_oc = STEP_OK; /* not a failure of the step: finish() tries it again */
		return st;
	}
	note_completed_once(a, &a->pending_noted); /* written with the completion */
	json_object_put(a->last);
	a->last = result;
	a->last_unsaved = true;
	return DB_OK;
}

/* Does this end run the flow's reactions: on_failure when the job ends for good without completing,
 * on_exit always (only for a job whose video is known). */
static bool
reacts(const struct attempt *a, enum job_end end)
{
	if (a->flow == NULL || a->params.video_id[0] == '\0')
		return false;
	return a->flow->on_exit != NULL ||
	    (a->flow->on_failure != NULL && (end == JOB_FAILED || end == JOB_CANCELLED));
}

static enum step_outcome
react(struct attempt *a, enum job_end end, const char *message)
{
	enum step_outcome oc = STEP_OK;

	if (a->flow->on_failure != NULL && (end == JOB_FAILED || end == JOB_CANCELLED))
		oc = a->flow->on_failure(&a->ctx, message);
	if (oc == STEP_OK && a->flow->on_exit != NULL)
		oc = a->flow->on_exit(&a->ctx);
	return oc;
}

/* The jobs row's new state for this end (fenced by the lease: *ours false when it was lost). */
static enum db_status
write_row(struct attempt *a, enum job_end end, double delay, const char *message, bool *ours, char *err,
    size_t errlen)
{
	struct db *db = a->ctx.db;

	switch (end) {
	case JOB_COMPLETED:
		if (a->last_unsaved)
			return queue_complete_step(db, a->job, a->flow->nsteps - 1, a->flow->steps[a->flow->nsteps - 1].name,
			    a->last, step_age(a), a->ctx.figures, ours, err, errlen);
		return queue_complete(db, a->job, a->last, ours, err, errlen);
	case JOB_FAILED:
		return queue_fail(db, a->job, message, ours, err, errlen);
	case JOB_CANCELLED:
		return queue_cancel(db, a->job, message, ours, err, errlen);
	case JOB_RETRY:
		return queue_requeue(db, a->job, QUEUE_RETRY, delay, message, ours, err, errlen);
	case JOB_HANDED_BACK:
		return queue_requeue(db, a->job, QUEUE_HAND_BACK, delay, message[0] ? message : NULL, ours, err,
		    errlen);
	default:
		(void)str_fmt(err, errlen, "no row write for %s", job_end_name(end));
		return DB_ERROR;
	}
}

/* One try of finish(): reactions and row in one transaction (the row alone when the flow has no reaction
 * for this end). A reaction that fails for a reason other than the lease or the database is logged and
 * the job still ends: the row is written alone. */
static enum db_status
finish_once(struct attempt *a, enum job_end end, double delay, const char *message, bool *ours, char *err,
    size_t errlen)
{
	bool tx = reacts(a, end) || a->pending >= 0;
	enum step_outcome oc = STEP_OK;
	enum db_status st;

	*ours = false;
	if (tx && (st = db_begin(a->ctx.db, err, errlen)) != DB_OK)
		return st;
	if (a->pending >= 0 && ((st = pending_step(a, err, errlen)) != DB_OK || a->pending_oc != STEP_OK)) {
		db_rollback(a->ctx.db);
		return st;
	}
	if (tx && !a->skip_react && (oc = react(a, end, message)) != STEP_OK) {
		db_rollback(a->ctx.db);
		if (oc == STEP_LOST)
			return DB_OK;
		(void)str_fmt(err, errlen, "%s", a->ctx.error);
		if (oc == STEP_RETRY)
			return DB_UNAVAILABLE;
		log_error("job %s: the flow's %s handling failed: %s; ending the job without it", a->job->id,
		    job_end_name(end), err);
		a->skip_react = true;
		if (a->pending >= 0) /* the step's writes went with the rollback: again, without the reactions */
			return finish_once(a, end, delay, message, ours, err, errlen);
		tx = false;
	}
	st = write_row(a, end, delay, message, ours, err, errlen);
	if (tx && (st != DB_OK || !*ours))
		db_rollback(a->ctx.db);
	else if (tx && (st = db_commit(a->ctx.db, err, errlen)) != DB_OK)
		*ours = false;
	return st;
}

/* Ends the attempt as end (see finish_once), riding out a database outage: a try whose outcome is unknown
 * (the connection died at COMMIT) is tried again, and the fence makes the second try find the job already
 * ended (reported as abandoned) or apply it once. */
static enum job_end
finish(struct attempt *a, enum job_end end, double delay, const char *message)
{
	char msg[sizeof(a->out->message)], err[512];
	long long deadline = 0;
	bool ours = false;
	enum db_status st;

	(void)str_fmt(msg, sizeof(msg), "%s", message ? message : ""); /* reactions may reuse ctx.error */
	while ((st = finish_once(a, end, delay, msg, &ours, err, sizeof(err))) == DB_UNAVAILABLE &&
	    db_back(a, &deadline, job_end_name(end), err))
		;
	if (a->pending >= 0 && a->pending_oc != STEP_OK) { /* the atomic last step failed: nothing was written */
		enum step_outcome oc = a->pending_oc;

		a->pending = -1;
		return oc == STEP_WAIT ? end_wait(a) : step_failed(a, oc);
	}
	a->pending = -1;
	if (st != DB_OK)
		return outcome(a, JOB_ABANDONED, 0, err);
	if (!ours)
		return outcome(a, JOB_ABANDONED, 0, "the lease was lost; nothing written");
	/* The job has ended for good: it may have been its backfill month's last (both backends, the runner
	 * and the reapers alike). */
	if ((end == JOB_COMPLETED || end == JOB_FAILED || end == JOB_CANCELLED) && backfill_job_of(a->job->metadata))
		backfill_complete_job(a->ctx.db, a->job->id);
	return outcome(a, end, delay, msg);
}

/* The completion may be kept for the run loop's next claim (the row alone, as for a short flow's job with
 * no reactions and no atomic step; committed with that claim, fenced by the job's own token). */
static bool
batchable(const struct attempt *a)
{
	return a->env->batch != NULL && a->flow->short_steps && a->last_unsaved && a->pending < 0 &&
	    !reacts(a, JOB_COMPLETED);
}

static enum job_end
end_done(struct attempt *a)
{
	int last = a->flow->nsteps - 1;

	if (a->last_unsaved)
		note_step(a, "completed"); /* written with the completion */
	if (batchable(a) && completions_add(a->env->batch, a->env->hb, a->job, last, a->flow->steps[last].name, a->last,
	    a->step_started_ms, &a->ctx.figures) == 0) {
		a->out->batched = true;
		return outcome(a, JOB_COMPLETED, 0, NULL);
	}
	return finish(a, JOB_COMPLETED, 0, NULL);
}

/* The job failed for good: why (prefixed with the step, when there is one) is recorded on the job and,
 * through the flow's failure handling, on the video. */
static enum job_end
end_fail(struct attempt *a, const char *why, const char *suffix)
{
	char error[sizeof(a->ctx.error) + 128];

	if (a->ctx.step_name != NULL)
		(void)str_fmt(error, sizeof(error), "%s: %s%s", a->ctx.step_name, why, suffix);
	else
		(void)str_fmt(error, sizeof(error), "%s%s", why, suffix);
	return finish(a, JOB_FAILED, 0, error);
}

/* Not a failure: the job may run again after delay seconds, and gets this attempt back. */
static enum job_end
end_hand_back(struct attempt *a, double delay, const char *why)
{
	return finish(a, JOB_HANDED_BACK, delay, why);
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
	char error[sizeof(a->ctx.error) + 128];
	double delay;

	if (a->job->attempt >= a->job->max_attempts)
		return end_fail(a, a->ctx.error, " (out of attempts)");
	delay = queue_backoff(a->job->attempt, (double)cfg->retry_base_ms / 1000.0, (double)cfg->retry_max_ms / 1000.0,
	    unit_random());
	(void)str_fmt(error, sizeof(error), "%s: %s", a->ctx.step_name, a->ctx.error);
	return finish(a, JOB_RETRY, delay, error);
}

static enum job_end
end_cancel(struct attempt *a, const char *why)
{
	log_info("job %s: %s; stopping before step %s", a->job->id, why, a->flow->steps[a->ctx.step_index].name);
	return finish(a, JOB_CANCELLED, 0, why);
}

/* --- the steps ----------------------------------------------------------------------------------- */

/* A step failed (transiently or not): its row keeps the checkpoint it saved (a GPU call id) so the next
 * attempt can resume it; then the job ends as the failure says. */
static enum job_end
step_failed(struct attempt *a, enum step_outcome oc)
{
	if (oc == STEP_RETRY && *a->env->stop) /* interrupted by shutdown: not a failure */
		return end_hand_back(a, 0, NULL);
	if (save_step(a, QUEUE_STEP_FAILED, a->ctx.checkpoint, a->ctx.error) != 0)
		return outcome(a, JOB_ABANDONED, 0, NULL);
	return oc == STEP_FAIL ? end_fail(a, a->ctx.error, "") : end_retry(a);
}

/* A step succeeded: its result becomes the next step's input, and is written now (fenced), or for the
 * last step with the job's completion. -1: lease lost. */
static int
step_done(struct attempt *a, json_object *result, bool saved)
{
	a->last_unsaved = a->ctx.step_index == a->flow->nsteps - 1;
	if (!a->last_unsaved && !saved && save_step(a, QUEUE_STEP_COMPLETED, result, NULL) != 0) {
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
	a->step_started_ms = clock_ms();
	return a->flow->steps[i].run(ctx, result);
}

/* One try of atomic step i that is not the last (flows.h): the step and its completed row in one
 * transaction. DB_OK with *oc: STEP_OK (committed, or committed already by an earlier try whose COMMIT
 * lost its answer: this repeat is rolled back), or the step's failure with nothing kept. DB_UNAVAILABLE:
 * try again from nothing. *result is the caller's. */
static enum db_status
atomic_once(struct attempt *a, int i, bool *noted, json_object **result, enum step_outcome *oc, char *err,
    size_t errlen)
{
	enum fence_result res = FENCE_LOST;
	enum db_status st;

	*result = NULL;
	if ((st = db_begin(a->ctx.db, err, errlen)) != DB_OK)
		return st;
	if ((st = atomic_run(a, i, result, oc, err, errlen)) != DB_OK || *oc != STEP_OK) {
		db_rollback(a->ctx.db);
		return st;
	}
	note_completed_once(a, noted);
	st = queue_step_save(a->ctx.db, a->job, i, a->ctx.step_name, QUEUE_STEP_COMPLETED, *result, NULL, step_age(a),
	    a->ctx.figures, &res, a->cancel, sizeof(a->cancel), err, errlen);
	if (st != DB_OK || res != FENCE_WRITTEN) {
		db_rollback(a->ctx.db);
		if (st == DB_OK && res == FENCE_LOST)
			*oc = flows_error(&a->ctx, STEP_LOST, "the job's lease was lost; nothing written");
		return st;
	}
	return db_commit(a->ctx.db, err, errlen);
}

/* Atomic step i, not the last, riding out a database outage (DB_OUTAGE_SECONDS). */
static enum step_outcome
atomic_step(struct attempt *a, int i, json_object **result)
{
	char err[512];
	long long deadline = 0;
	enum step_outcome oc = STEP_OK;
	enum db_status st;
	bool noted = false;

	while ((st = atomic_once(a, i, &noted, result, &oc, err, sizeof(err))) == DB_UNAVAILABLE) {
		json_object_put(*result);
		*result = NULL;
		if (!db_back(a, &deadline, a->ctx.step_name, err))
			return flows_error(&a->ctx, STEP_RETRY, "%s", err);
	}
	if (st != DB_OK) {
		json_object_put(*result);
		*result = NULL;
		return flows_error(&a->ctx, STEP_FAIL, "%s", err);
	}
	if (oc == STEP_OK)
		figures_clear(&a->ctx.figures); /* written with the row */
	return oc;
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
		if (lease_lost(a))
			return outcome(a, JOB_ABANDONED, 0, NULL);
		if (a->cancel[0] != '\0')
			return end_cancel(a, a->cancel);
		if (a->env->cancelling != NULL && (cancelled = a->env->cancelling(a->env->cancelling_arg, a->job)) != NULL)
			return end_cancel(a, cancelled);
		if (a->flow->steps[i].atomic && i == a->flow->nsteps - 1) { /* runs in finish()'s transaction */
			a->pending = i;
			a->pending_in = json_object_get(a->last);
			return finish(a, JOB_COMPLETED, 0, NULL);
		}
		oc = a->flow->steps[i].atomic ? atomic_step(a, i, &result) : step_run(a, i, &result);
		if (lease_lost(a) || oc == STEP_LOST) {
			json_object_put(result);
			log_warn("job %s: step %s: the lease was lost; writing nothing more", a->job->id, a->ctx.step_name);
			return outcome(a, JOB_ABANDONED, 0, NULL);
		}
		switch (oc) {
		case STEP_OK:
			if (step_done(a, result, a->flow->steps[i].atomic) != 0)
				return outcome(a, JOB_ABANDONED, 0, NULL);
			break;
		case STEP_WAIT:
			json_object_put(result);
			return end_wait(a);
		case STEP_RETRY:
		case STEP_FAIL:
		case STEP_LOST:
			json_object_put(result);
			return step_failed(a, oc);
		}
	}
	return end_done(a);
}

/* Reads the job's flow and typed parameters (the jobs row is input). -1 with why when they are bad; the
 * video is still known when the row names a valid one, so the flow's failure handling can mark it. */
static int
load(struct attempt *a, char *why, size_t whylen)
{
	enum flow_id id;
	char reason[300];

	if (params_flow_parse(a->job->flow, &id) != 0) {
		(void)str_fmt(why, whylen, "unknown flow \"%s\"", a->job->flow);
		return -1;
	}
	a->flow = registry_flow(id);
	if (params_parse_row(id, a->job->tenant_id, a->job->video_id, a->job->parameters, &a->params, reason,
	    sizeof(reason)) == 0)
		return 0;
	if (!validate_id(a->job->tenant_id) || !validate_id(a->job->video_id) ||
	    str_copy(a->params.tenant_id, sizeof(a->params.tenant_id), a->job->tenant_id) != 0 ||
	    str_copy(a->params.video_id, sizeof(a->params.video_id), a->job->video_id) != 0) {
		a->params.video_id[0] = '\0';
		a->flow = NULL;
	}
	(void)str_fmt(why, whylen, "invalid parameters: %s", reason);
	return -1;
}

/* Takes the job: its flow and parameters (bad ones fail the job at once), its step rows (which came with
 * the claim), its steps. */
static enum job_end
take(struct attempt *a)
{
	char why[400], err[512];
	json_object *req = NULL;

	if (load(a, why, sizeof(why)) != 0)
		return end_fail(a, why, "");
	if ((a->steps = calloc((size_t)a->flow->nsteps, sizeof(*a->steps))) == NULL)
		return outcome(a, JOB_ABANDONED, 0, "out of memory");
	if (queue_steps_of(a->job, a->steps, a->flow->nsteps, err, sizeof(err)) != 0)
		return end_fail(a, err, "");
	/* A cancel asked for while the job ran before (the step writes bring later ones). */
	if (json_object_object_get_ex(a->job->metadata, "cancel_requested", &req))
		(void)str_fmt(a->cancel, sizeof(a->cancel), "%s", json_object_get_string(req)); /* cut: still a reason */
	return run_steps(a);
}

static void
attempt_init(struct attempt *a, const struct job_env *env, struct queue_job *job, struct job_outcome *out)
{
	memset(a, 0, sizeof(*a));
	memset(out, 0, sizeof(*out));
	a->env = env;
	a->job = job;
	a->out = out;
	a->pending = -1;
	a->ctx = (struct flow_ctx){ .db = env->db, .cfg = env->cfg, .job_id = job->id,
		.fence = { .job_id = job->id, .token = job->lease_token }, .params = &a->params,
		.save_checkpoint = save_checkpoint, .should_stop = should_stop, .runner = a };
}

static void
attempt_free(struct attempt *a)
{
	if (a->steps != NULL)
		queue_steps_free(a->steps, a->flow->nsteps);
	free(a->steps);
	json_object_put(a->last);
	json_object_put(a->saved);
	json_object_put(a->pending_in);
	figures_clear(&a->ctx.figures);
	params_free(&a->params);
}

void
job_run(const struct job_env *env, struct queue_job *job, struct job_outcome *out)
{
	struct attempt a;

	attempt_init(&a, env, job, out);
	heartbeat_watch(env->hb, job->id, job->lease_token);
	(void)take(&a);
	heartbeat_unwatch(env->hb);
	attempt_free(&a);
}

void
job_end_taken(const struct job_env *env, struct queue_job *job, enum job_end end, const char *why,
    struct job_outcome *out)
{
	struct attempt a;
	char bad[400];

	attempt_init(&a, env, job, out);
	if (load(&a, bad, sizeof(bad)) != 0)
		log_warn("job %s: %s", job->id, bad);
	(void)finish(&a, end, 0, why);
	attempt_free(&a);
}
