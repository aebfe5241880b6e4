/* prefect_reap.c: handing back the Prefect runs of runners that died (see prefect_reap.h). Each taken row
 * follows its run's state in Prefect:
 *   PENDING, RUNNING   -> SCHEDULED "AwaitingRetry" (FAILED when out of attempts); the row retry (failed)
 *   CANCELLING         -> CANCELLED; the row cancelled
 *   SCHEDULED, PAUSED  -> nothing to tell Prefect; the row retry
 *   COMPLETED, FAILED, CANCELLED, CRASHED -> the row says the same
 * A run Prefect no longer has ends the row cancelled; Prefect unreachable leaves the row for a later pass. */
#include "runner/prefect_reap.h"

#include "shared/log.h"
#include "shared/str.h"

#include <string.h>

struct reap {
	struct prefect *api;
	const struct source_env *env;
};

/* Proposes state; the answer's status, or "" when Prefect could not be asked. */
static const char *
tell(struct reap *rp, const char *id, const char *state, const char *message, struct prefect_answer *ans)
{
	char err[512];

	if (prefect_set_state(rp->api, id, state, message, 0, ans, err, sizeof(err)) != PREFECT_OK) {
		log_warn("flow run %s: cannot propose %s: %s", id, state, err);
		ans->status[0] = '\0';
	}
	return ans->status;
}

/* The run's row ends as end says (JOB_COMPLETED, JOB_FAILED, JOB_CANCELLED, else back to the queue as
 * JOB_RETRY), fenced by the lease we took, with the flow's reactions as its runner would have run them. */
static void
end_row(struct reap *rp, struct queue_job *job, enum job_end end, const char *why)
{
	struct job_env env = source_job_env(rp->env);
	struct job_outcome o;

	job_end_taken(&env, job, end == JOB_COMPLETED || end == JOB_FAILED || end == JOB_CANCELLED ? end : JOB_RETRY,
	    why, &o);
	if (o.end == JOB_ABANDONED)
		log_warn("job %s: cannot end the row %s: %s", job->id, job_end_name(end), o.message);
}

/* A run its dead runner left PENDING or RUNNING: back to the queue, or failed when out of attempts. */
static void
hand_back(struct reap *rp, struct queue_job *job, const char *previous)
{
	struct prefect_answer ans;
	char why[300];
	bool last = job->attempt >= job->max_attempts;

	(void)str_fmt(why, sizeof(why), "lease expired: runner %s stopped during attempt %d%s", previous, job->attempt,
	    last ? " (out of attempts)" : "");
	tell(rp, job->id, last ? "FAILED" : "SCHEDULED", why, &ans);
	if (strcmp(ans.status, "ACCEPT") == 0) {
		log_warn("flow run %s: %s; %s", job->id, why, last ? "failed" : "rescheduled");
		end_row(rp, job, last ? JOB_FAILED : JOB_RETRY, why);
	} else if (strcmp(ans.state_type, "CANCELLING") == 0 &&
	    strcmp(tell(rp, job->id, "CANCELLED", "cancelled in Prefect; its runner had stopped", &ans), "ACCEPT") == 0)
		end_row(rp, job, JOB_CANCELLED, "cancelled in Prefect; its runner had stopped");
	else
		log_warn("flow run %s: could not hand it back (%s); trying again later", job->id,
		    ans.status[0] ? ans.status : "Prefect unavailable");
}

static void
reap_one(void *arg, struct queue_job *job, const char *previous)
{
	struct reap *rp = arg;
	struct prefect_answer ans;
	char type[32], err[512];
	enum prefect_result r = prefect_run_state(rp->api, job->id, type, sizeof(type), err, sizeof(err));

	if (r == PREFECT_NOT_FOUND)
		end_row(rp, job, JOB_CANCELLED, "the flow run is no longer in Prefect");
	else if (r != PREFECT_OK)
		log_warn("flow run %s: cannot read its state (%s); its row waits for a later pass", job->id, err);
	else if (strcmp(type, "PENDING") == 0 || strcmp(type, "RUNNING") == 0)
		hand_back(rp, job, previous);
	else if (strcmp(type, "CANCELLING") == 0) {
		if (strcmp(tell(rp, job->id, "CANCELLED", "cancelled in Prefect; its runner had stopped", &ans), "ACCEPT") == 0)
			end_row(rp, job, JOB_CANCELLED, "cancelled in Prefect; its runner had stopped");
	} else if (strcmp(type, "COMPLETED") == 0)
		end_row(rp, job, JOB_COMPLETED, NULL);
	else if (strcmp(type, "FAILED") == 0 || strcmp(type, "CRASHED") == 0)
		end_row(rp, job, JOB_FAILED, "failed in Prefect");
	else if (strcmp(type, "CANCELLED") == 0)
		end_row(rp, job, JOB_CANCELLED, "cancelled in Prefect");
	else
		end_row(rp, job, JOB_RETRY, "lease expired; the run is scheduled in Prefect");
}

void
prefect_reap(struct prefect *api, const struct source_env *env)
{
	struct reap rp = { api, env };
	char err[512];
	int n = 0;

	if (queue_take_expired(env->r->db, "prefect", env->worker, env->lease_seconds, reap_one, &rp, &n, err, sizeof(err)) !=
	    DB_OK)
		log_warn("taking over expired Prefect runs failed: %s", err);
	else if (n > 0)
		log_info("looked after %d Prefect run%s whose runner stopped", n, n == 1 ? "" : "s");
}
