/* flows.h: a flow is a named list of steps. Each step gets the previous step's result and returns its
 * own, which the runner checkpoints in job_steps; a re-claimed job resumes after its last completed step.
 * Steps read their parameters from the typed struct the runner parsed when it took the job. */
#ifndef CAPTIONACC_FLOWS_H
#define CAPTIONACC_FLOWS_H

#include "shared/config.h"
#include "shared/db.h"
#include "shared/intake/params.h"

#include <json-c/json.h>
#include <stdbool.h>

enum step_outcome {
	STEP_OK,    /* *result holds the step's result (owned by the caller afterwards) */
	STEP_RETRY, /* transient failure (connection, timeout, 429, 5xx): retry with backoff */
	STEP_FAIL,  /* permanent failure (4xx, bad parameters): the job fails now */
	STEP_WAIT   /* cannot start yet (a held lock): try again after wait_seconds, no attempt used */
};

struct flow_ctx {
	struct db *db;
	const struct config *cfg;
	const char *job_id;              /* the job's id (lock holder names, messages) */
	const struct flow_params *params;
	int step_index;
	const char *step_name;
	json_object *prev;        /* previous step's result, or NULL for the first step (borrowed) */
	json_object *checkpoint;  /* what this step last saved (this or an earlier attempt), or NULL (borrowed) */
	char error[512];          /* set by a step that does not return STEP_OK */
	double wait_seconds;      /* set with STEP_WAIT */
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
};

struct flow {
	enum flow_id id;
	const struct flow_step *steps;
	int nsteps;
	/* Once, when the job fails for good (permanent error or last attempt). May be NULL. */
	void (*on_failure)(struct flow_ctx *ctx, const char *error);
	/* After every attempt, whatever its outcome (releases locks). May be NULL. */
	void (*on_exit)(struct flow_ctx *ctx);
};

#define FLOW_STEPS(a) (a), (int)(sizeof(a) / sizeof((a)[0]))

/* Sets ctx->error (printf-style) and returns outcome, for one-line step failures. */
enum step_outcome flows_error(struct flow_ctx *ctx, enum step_outcome outcome, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A database failure as a step outcome: unavailable is transient, anything else permanent. */
enum step_outcome flows_db_error(struct flow_ctx *ctx, enum db_status st, const char *err);

#endif
