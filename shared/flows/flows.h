/* flows.h: a flow is a named list of steps. Each step gets the previous step's result and returns its
 * own, which the runner checkpoints in job_steps; a re-claimed job resumes after its last completed step.
 * Steps read their parameters from the typed struct the runner parsed when it took the job. */
#ifndef CAPTIONACC_FLOWS_H
#define CAPTIONACC_FLOWS_H

#include "shared/config.h"
#include "shared/db.h"
#include "shared/intake/params.h"
#include "shared/queue/fence.h"

#include <json-c/json.h>
#include <stdbool.h>

enum step_outcome {
	STEP_OK,    /* *result holds the step's result (owned by the caller afterwards) */
	STEP_RETRY, /* transient failure (connection, timeout, 429, 5xx): retry with backoff */
	STEP_FAIL,  /* permanent failure (4xx, bad parameters): the job fails now */
	STEP_WAIT,  /* cannot start yet (a held lock): try again after wait_seconds, no attempt used */
	STEP_LOST   /* a fenced write found the job's lease gone: the attempt ends writing nothing more */
};

struct flow_ctx {
	struct db *db;
	const struct config *cfg;
	const char *job_id;              /* the job's id (lock holder names, messages) */
	struct fence fence;              /* the claim every write of the job is fenced by */
	const struct flow_params *params;
	int step_index;
	const char *step_name;
	json_object *prev;        /* previous step's result, or NULL for the first step (borrowed) */
	json_object *checkpoint;  /* what this step last saved (this or an earlier attempt), or NULL (borrowed) */
	char error[512];          /* set by a step that does not return STEP_OK */
	double wait_seconds;      /* set with STEP_WAIT */
	json_object *figures;     /* figures for GET /metrics noted during the step (shared/metrics/figures.h),
	                           * written with the step's next row by the runner, which owns them */
	/* Saves partial state of the current step (e.g. a GPU call id) so a re-run can pick it up; it also
	 * becomes ctx->checkpoint, which a failure of the step keeps. Returns -1 when it could not (lease
	 * lost or database down): the step should stop. */
	int (*save_checkpoint)(struct flow_ctx *ctx, json_object *state);
	/* True once the runner must stop (shutdown, lease lost): long waits end early. */
	bool (*should_stop)(void *ctx);
	void *runner;
};

typedef enum step_outcome (*flow_step_fn)(struct flow_ctx *ctx, json_object **result);

struct flow_step {
	const char *name;
	flow_step_fn run;
	/* The step only writes the database (no GPU call, no storage): the runner commits its writes in one
	 * transaction with its row (a last step's: with the job's completion), so a crash or a lost session
	 * before that commit leaves nothing of it and the step's effect lands exactly once. */
	bool atomic;
};

struct flow {
	enum flow_id id;
	const struct flow_step *steps;
	int nsteps;
	/* Every step is short (no GPU call, no media work: milliseconds to seconds): `run --prefetch N` may
	 * claim several of its jobs at once and complete them in one transaction. GPU flows are false. */
	bool short_steps;
	/* Once, when the job ends for good without completing (permanent error, last attempt, cancelled), by
	 * whoever ends it (the runner, the lease reaper, a cancel), in the transaction that ends the job: its
	 * writes are fenced like the steps'. STEP_OK, or what went wrong (STEP_LOST, STEP_RETRY for an
	 * unavailable database, STEP_FAIL). May be NULL. */
	enum step_outcome (*on_failure)(struct flow_ctx *ctx, const char *error);
	/* After every attempt that ends with its lease (releases locks), in the same transaction. May be NULL. */
	enum step_outcome (*on_exit)(struct flow_ctx *ctx);
};

#define FLOW_STEPS(a) (a), (int)(sizeof(a) / sizeof((a)[0]))

/* Sets ctx->error (printf-style) and returns outcome, for one-line step failures. */
enum step_outcome flows_error(struct flow_ctx *ctx, enum step_outcome outcome, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A database failure as a step outcome: unavailable is transient, anything else permanent. */
enum step_outcome flows_db_error(struct flow_ctx *ctx, enum db_status st, const char *err);
/* The outcome of a fenced write: STEP_OK when written, STEP_LOST when the lease was gone, else as
 * flows_db_error. */
enum step_outcome flows_written(struct flow_ctx *ctx, enum db_status st, enum fence_result res, const char *err);

#endif
