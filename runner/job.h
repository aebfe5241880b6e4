/* job.h: one attempt of one job, as a small state machine: take (parse the flow and its parameters, load
 * the step rows) -> steps (each checkpointed, resuming after the last completed one) -> one of the ends
 * below, each written by one short function of job.c. Every write is fenced by the job's lease, and every
 * end that has them runs the flow's reactions (failure handling, lock release) in the same transaction
 * as the jobs row's new state: exactly once, by whoever holds the job. */
#ifndef CAPTIONACC_JOB_H
#define CAPTIONACC_JOB_H

#include "runner/heartbeat.h"

#include "shared/config.h"
#include "shared/db.h"
#include "shared/queue/queue.h"

#include <signal.h>
#include <stddef.h>

enum job_end {
	JOB_COMPLETED,    /* every step done */
	JOB_RETRY,        /* a transient failure: again after a backoff, the attempt counts */
	JOB_FAILED,       /* a permanent failure, or out of attempts */
	JOB_HANDED_BACK,  /* not a failure (shutdown, a held lock): again after delay, the attempt is given back */
	JOB_ABANDONED,    /* the lease was lost (or the database went away): whoever holds the job now ends it */
	JOB_CANCELLED,    /* cancelled by its source (Prefect) between steps */
	JOB_END__MAX
};

struct completions;

/* What an attempt needs from the runner. All borrowed. */
struct job_env {
	struct db *db;
	const struct config *cfg;
	struct heartbeat *hb;                /* NULL for job_end_taken */
	const volatile sig_atomic_t *stop;   /* set by SIGTERM/SIGINT */
	/* Why the job's source asks it to stop (e.g. "cancelled in Prefect"), or NULL; checked between steps.
	 * May be NULL: never. */
	const char *(*cancelling)(void *arg, const struct queue_job *job);
	void *cancelling_arg;
	/* The run loop's (local queue): a short flow's completion (flows.h: short_steps) joins this batch and
	 * is committed with the next claim instead of at once (runner/completions.h). NULL: every end is
	 * written at once. */
	struct completions *batch;
};

/* How an attempt ended: the end, the delay before the job may run again (retry, hand-back), and a
 * message (the error of a failure or retry, or why it waits). */
struct job_outcome {
	enum job_end end;
	double delay_seconds;
	char message[1024];
	bool batched;  /* JOB_COMPLETED kept in env->batch: written with the next claim (or found lost then) */
};

/* "completed", "retry", ... for log lines. */
const char *job_end_name(enum job_end end);
/* Runs one attempt of job (claimed, leased) and says how it ended. */
void job_run(const struct job_env *env, struct queue_job *job, struct job_outcome *out);
/* A write failed because the database went away (why): waits for it (logging what once) and says true
 * once it answers again, false once DB_OUTAGE_SECONDS from the first call (*deadline, 0 before it) have
 * passed or env->stop is set. For fenced writes only: they may be tried again safely. */
bool job_env_db_back(const struct job_env *env, long long *deadline, const char *what, const char *why);
/* Ends a job this process took over from a runner that stopped (its lease expired; the reaper holds a
 * fresh lease on it) as end (JOB_FAILED, JOB_RETRY, JOB_CANCELLED, JOB_COMPLETED) with why, running the
 * flow's reactions exactly as the runner would have: the video's error, the locks released. */
void job_end_taken(const struct job_env *env, struct queue_job *job, enum job_end end, const char *why,
    struct job_outcome *out);

#endif
