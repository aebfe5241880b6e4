/* source.h: where `captionacc-runner run` gets its jobs and reports how they ended: the local queue (a jobs
 * table in PostgreSQL, source_local.c) or a Prefect work pool (source_prefect.c). The source is chosen once
 * at start-up from QUEUE_BACKEND; the run loop and the job state machine never ask which it is. */
#ifndef CAPTIONACC_SOURCE_H
#define CAPTIONACC_SOURCE_H

#include "runner/job.h"
#include "runner/runner.h"

#include "shared/intake/priority.h"

#include <stdbool.h>
#include <stddef.h>

/* What a source is given. Borrowed for the source's life. */
struct source_env {
	struct runner *r;
	const char *worker;                  /* this runner's id (lease owner) */
	long lease_seconds;
	const struct priority_params *prio;
	const volatile sig_atomic_t *stop;   /* waits end early when set */
	int prefetch;                        /* jobs per claim (run --prefetch; 1: one, the default) */
	struct heartbeat *hb;                /* holds prefetched jobs' leases; set when the run starts */
};

struct source;

/* Writes that ride the next claim's transaction (the completions the run loop kept, runner/completions.h),
 * so a job's completion and the next job's claim cost one commit. */
struct claim_rider {
	/* Runs inside the transaction, before the claim. */
	enum db_status (*write)(void *arg, struct db *db, char *err, size_t errlen);
	void *arg;
	bool tried;      /* set by the source: write ran (the claim needed the database) */
	bool committed;  /* set by the source: and committed with the claim */
};

struct source_ops {
	const char *name;
	/* The next job this worker won, leased. *found false: nothing to do now. -1 only when the database
	 * failed (the runner then stops). ride (may be NULL): writes to commit with the claim, when the source
	 * claims from the database in a transaction it may share; a source that does not leaves ride->tried
	 * false, and so does one that hands out a job it holds. */
	int (*next)(struct source *s, struct claim_rider *ride, struct queue_job *job, bool *found, char *err,
	    size_t errlen);
	/* Waits up to ms for new work (each source may wait less: it is called again); returns early on news
	 * of work or a stop. */
	void (*wait)(struct source *s, long ms);
	/* Why the job must stop between steps (a cancellation), or NULL. May be NULL: never. */
	const char *(*cancelling)(void *s, const struct queue_job *job);
	/* The attempt's end, told to whoever needs it beyond the jobs row (Prefect's run state). May be NULL. */
	void (*report)(struct source *s, const struct queue_job *job, const struct job_outcome *o);
	/* Housekeeping, called between jobs (expired leases, ageing); rate-limits itself. May be NULL. */
	void (*maintain)(struct source *s);
	/* How many claimed jobs it holds that next has not handed out yet (run --prefetch). May be NULL: 0. */
	int (*prefetched)(struct source *s);
	/* Hands the claimed jobs next has not handed out back to the queue at once (the run stops). May be
	 * NULL: it holds none. */
	void (*hand_back)(struct source *s);
	/* Prints, without changing anything, what the source would hand out next (run --dry-run). */
	int (*peek)(struct source *s, int limit);
	void (*free)(struct source *s);
};

/* Every source starts with this. */
struct source {
	const struct source_ops *ops;
	struct source_env env;
};

/* The environment of a job this source's process ends (a reaper taking over a stopped runner's job; the
 * run loop adds the heartbeat and the cancel check). */
static inline struct job_env
source_job_env(const struct source_env *env)
{
	return (struct job_env){ .db = env->r->db, .cfg = &env->r->cfg, .stop = env->stop };
}

/* Each returns NULL with one line in err when the source cannot be set up. */
struct source *source_local_new(const struct source_env *env, char *err, size_t errlen);
struct source *source_prefect_new(const struct source_env *env, char *err, size_t errlen);

/* The sources' housekeeping share: the job events appended since the last fold go into the metrics'
 * job_stats (shared/metrics), so job_events stays small even when nothing scrapes /metrics. */
void source_fold_metrics(struct source *s);

#endif
