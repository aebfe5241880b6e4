/* queue.h: the local job queue as runners use it: claim with a lease, extend it, write step checkpoints
 * and outcomes fenced by the lease token, give expired leases back, and age waiting jobs' priorities. */
#ifndef CAPTIONACC_QUEUE_H
#define CAPTIONACC_QUEUE_H

#include "shared/db.h"
#include "shared/intake/priority.h"
#include "shared/queue/fence.h"
#include "shared/validate.h"

#include <json-c/json.h>
#include <stdbool.h>

#define QUEUE_ID_MAX 40
#define QUEUE_FLOW_MAX 64

/* A claimed job. parameters and metadata are owned; queue_job_clear() frees them. */
struct queue_job {
	char id[QUEUE_ID_MAX];
	char flow[QUEUE_FLOW_MAX];
	char tenant_id[VALIDATE_ID_MAX + 1];
	char video_id[VALIDATE_ID_MAX + 1]; /* "" when the job has none */
	json_object *parameters;
	json_object *metadata;
	int attempt;       /* this attempt, counting from 1 */
	int max_attempts;
	int priority;
	char lease_token[QUEUE_ID_MAX];
	json_object *steps;  /* the step rows as claimed, [[index, status, result], ...]; NULL: none (owned) */
};

/* A step row's status (job_steps.status). */
enum queue_step_status {
	QUEUE_STEP_NONE,       /* no row: the step never started */
	QUEUE_STEP_RUNNING,    /* started; result holds its checkpoint (e.g. a GPU call id) */
	QUEUE_STEP_COMPLETED,  /* done; result holds its result, never written again */
	QUEUE_STEP_FAILED,     /* this attempt failed in it; result keeps the checkpoint */
	QUEUE_STEP__MAX
};

/* A step's row as loaded for a run: the result is owned and freed by queue_steps_free. */
struct queue_step {
	enum queue_step_status status;
	json_object *result;
};

/* One waiting job as `run --dry-run` shows it, in claim order. Strings borrowed for the callback. */
struct queue_waiting {
	const char *id, *flow, *status, *video_id;
	int attempt;
	int priority;   /* the effective (aged) priority the claim will see */
};

/* Where a job goes when this attempt ends without completing. */
enum queue_requeue {
	QUEUE_RETRY,     /* a transient failure: status retry, the attempt counts */
	QUEUE_HAND_BACK  /* not a failure (shutdown, a held lock): status pending, the attempt is given back */
};

void queue_job_clear(struct queue_job *job);

/* Claims the best claimable job for worker (lease of lease_seconds), with its step rows (job->steps), in
 * one statement. waiting: worker is registered as waiting (queue_wait_register); a job found ends that.
 * *found false: nothing to do. */
enum db_status queue_claim(struct db *db, const char *worker, long lease_seconds, bool waiting,
    struct queue_job *out, bool *found, char *err, size_t errlen);
/* Claims up to n (>= 1) jobs in claim order in one statement, each with a lease and token of its own, into
 * out[0..*got): the first claimable job, then the ones after it while their flow is in short_flows (a JSON
 * array of flow names; run --prefetch), so a GPU flow's job is only claimed alone. waiting as for
 * queue_claim. On DB_ERROR out[0..*got) are still claimed (the caller hands them back). */
enum db_status queue_claim_many(struct db *db, const char *worker, long lease_seconds, bool waiting,
    const char *short_flows, int n, struct queue_job *out, int *got, char *err, size_t errlen);
/* Hands back (pending, attempt given back) the local jobs worker holds. For a worker that runs no job
 * and whose claim's answer was lost with its connection: the claim may have committed, and the job would
 * otherwise wait for its lease to expire. */
enum db_status queue_release_owned(struct db *db, const char *worker, int *n, char *err, size_t errlen);
/* Pushes the lease expiry lease_seconds ahead. *ours false: the lease was lost (fenced out). */
enum db_status queue_extend(struct db *db, const char *job_id, const char *token, long lease_seconds, bool *ours,
    char *err, size_t errlen);
/* The job's first nsteps step rows, as its claim returned them, into steps[0..nsteps) (absent ones
 * QUEUE_STEP_NONE). Free with queue_steps_free. -1 with why when job->steps is not of that shape. */
int queue_steps_of(const struct queue_job *job, struct queue_step *steps, int nsteps, char *err, size_t errlen);
void queue_steps_free(struct queue_step *steps, int nsteps);
/* Writes step index's row: QUEUE_STEP_RUNNING (a checkpoint), _COMPLETED or _FAILED; the step started
 * started_ago seconds ago (kept from its first write). A completed step is never written again. *res:
 * FENCE_WRITTEN, FENCE_NO_ROW (the step was completed already: a repeat), FENCE_LOST (the lease was lost
 * and nothing was written). cancel gets an operator's request to stop the job
 * (control.h), "" when none, read in the same statement: the runner asks for it at no extra cost. figures
 * (may be NULL): the runner's figures (shared/metrics/figures.h), written with the row. */
enum db_status queue_step_save(struct db *db, const struct queue_job *job, int index, const char *name,
    enum queue_step_status status, json_object *result, const char *error, double started_ago, json_object *figures,
    enum fence_result *res, char *cancel, size_t cancellen, char *err, size_t errlen);
/* The job's last step completed with result: its row and the job's completion (result) in one fenced
 * statement, so finishing a job costs one commit. *ours false: the lease was lost, nothing written. figures as
 * for queue_step_save. */
enum db_status queue_complete_step(struct db *db, const struct queue_job *job, int index, const char *name,
    json_object *result, double started_ago, json_object *figures, bool *ours, char *err, size_t errlen);
enum db_status queue_complete(struct db *db, const struct queue_job *job, json_object *result, bool *ours,
    char *err, size_t errlen);
enum db_status queue_fail(struct db *db, const struct queue_job *job, const char *error, bool *ours, char *err,
    size_t errlen);
/* Ends this attempt without an outcome; the job is claimable again after delay_seconds. */
enum db_status queue_requeue(struct db *db, const struct queue_job *job, enum queue_requeue how,
    double delay_seconds, const char *error, bool *ours, char *err, size_t errlen);
/* Raises waiting jobs' stored priority to base + age boost, at most 5,000 rows a pass and one pass in
 * 10 s across all runners (the others return at once with *n = -1). */
enum db_status queue_age(struct db *db, const struct priority_params *p, int *n, char *err, size_t errlen);
/* QUEUE_BACKEND=prefect: takes the job row of Prefect flow run id (creating it, backend 'prefect', never
 * claimed locally) with a fresh lease, so steps are checkpointed and fenced as for local jobs and a re-run
 * of the flow run resumes. *found false: another runner holds a live lease on it. */
enum db_status queue_adopt(struct db *db, const char *id, const char *flow, const char *tenant_id,
    const char *video_id, json_object *parameters, json_object *metadata, int priority, int max_attempts,
    const char *worker, long lease_seconds, struct queue_job *out, bool *found, char *err, size_t errlen);
/* Takes over (fresh lease for worker) rows of backend ("local" or "prefect") whose lease expired while
 * they ran (their runner died or froze) and calls fn for each, with the owner that lost it; the caller
 * then ends or hands back each through the fenced writes (job_end_taken), so the flow's failure handling
 * runs as it would have in the runner. *n: how many. */
enum db_status queue_take_expired(struct db *db, const char *backend, const char *worker, long lease_seconds,
    void (*fn)(void *arg, struct queue_job *job, const char *previous_owner), void *arg, int *n, char *err,
    size_t errlen);
/* Takes the local job id while it waits (pending or retry) with a lease for worker, without counting an
 * attempt, so an operator's command can end it through the fenced writes (job_end_taken) as a runner would.
 * *found false: it is not waiting (any more). */
enum db_status queue_take_waiting(struct db *db, const char *id, const char *worker, long lease_seconds,
    struct queue_job *out, bool *found, char *err, size_t errlen);
/* QUEUE_BACKEND=prefect: a finished (not running) Prefect row becomes cancelled, because Prefect cancelled
 * the run while its last step ran; the row says what Prefect says. */
enum db_status queue_mark_cancelled(struct db *db, const char *id, const char *why, char *err, size_t errlen);
/* Ends the job as cancelled (fenced). */
enum db_status queue_cancel(struct db *db, const struct queue_job *job, const char *why, bool *ours, char *err,
    size_t errlen);
/* Calls fn for the first limit waiting jobs in the order queue_claim would take them now (aged priority,
 * then age, then id). Changes nothing. */
enum db_status queue_peek(struct db *db, const struct priority_params *p, int limit,
    void (*fn)(void *arg, const struct queue_waiting *w), void *arg, char *err, size_t errlen);
/* The claim's and the fused completion's SQL text ($1.. parameters as queue_claim and
 * queue_complete_step bind them: id, lease token, step index, name, result, attempt, seconds, figures), for the
 * benchmark's pgbench ceiling, which must run exactly the statements the runner runs. */
const char *queue_claim_sql(void);
const char *queue_complete_step_sql(void);
/* A runner about to wait for work says so (sql/008_wakeups.sql): enqueues notify only while some runner
 * waits. Returns once every enqueue that may not have seen the registration has committed, so the
 * claim that follows sees their jobs and later enqueues notify. */
enum db_status queue_wait_register(struct db *db, const char *worker, char *err, size_t errlen);
/* The runner no longer waits (it stops). */
enum db_status queue_wait_unregister(struct db *db, const char *worker, char *err, size_t errlen);
/* Forgets waiting runners whose database session is gone (killed without unregistering). */
enum db_status queue_waiters_prune(struct db *db, char *err, size_t errlen);
/* Backoff before retry number `attempt` (1-based): min(max, base * 2^(attempt-1)), the upper half jittered. */
double queue_backoff(int attempt, double base, double max, double unit_random);

#endif
