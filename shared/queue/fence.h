/* fence.h: a job's writes beyond its own rows (the video, its locks, the failure handling) are fenced by
 * the job's lease exactly as the jobs row is: each statement starts with FENCE_CTE, which locks the jobs
 * row and checks the lease token in the same statement as the write, and answers FENCE_ANSWER (was the
 * lease held, how many rows were written). A runner frozen past its lease (SIGSTOP, a VM pause, a
 * partition) that resumes therefore writes nothing: its token is no longer the row's. */
#ifndef CAPTIONACC_FENCE_H
#define CAPTIONACC_FENCE_H

#include "shared/db.h"

#include <stdbool.h>
#include <stddef.h>

/* The claim that writes: the job and the lease token its claim (or takeover) got. Borrowed strings. */
struct fence {
	const char *job_id;
	const char *token;
};

/* $1 job id, $2 lease token: the CTE named "lease" has one row while the claim still holds the job; its
 * column cancel is an operator's request to stop the job (metadata.cancel_requested, control.h), or NULL. */
#define FENCE_CTE "lease AS (SELECT metadata->>'cancel_requested' AS cancel FROM jobs WHERE id = $1::uuid" \
	" AND lease_token = $2::uuid AND status = 'running' FOR UPDATE)"
/* The answer every fenced statement gives: (lease held 0/1, rows the CTE named w wrote); FENCE_ANSWER_CANCEL
 * adds the job's cancel request, which the runner reads from its step writes (no statement of its own). */
#define FENCE_ANSWER " SELECT (SELECT count(*) FROM lease), (SELECT count(*) FROM w)"
#define FENCE_ANSWER_CANCEL FENCE_ANSWER ", (SELECT cancel FROM lease)"

/* Every end of a claim gives the lease up with the row's new state (queue.c, prefetch.c). */
#define LEASE_CLEARED "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL"
/* A completed step's row written again (a repeat after an unknown COMMIT) keeps what it had. */
#define STEP_COMPLETED_UPSERT " ON CONFLICT (job_id, step_index) DO UPDATE SET status = 'completed'," \
	" result = EXCLUDED.result, error_message = NULL, attempt = EXCLUDED.attempt," \
	" finished_at = EXCLUDED.finished_at WHERE job_steps.status <> 'completed'"

enum fence_result {
	FENCE_WRITTEN,  /* the lease held and the write changed at least one row */
	FENCE_NO_ROW,   /* the lease held but nothing matched (e.g. the video row is missing) */
	FENCE_LOST      /* the lease is gone: nothing was written */
};

/* Runs a fenced statement whose parameters start with the fence ($1, $2: params[0], params[1] are
 * overwritten from f) and whose answer is FENCE_ANSWER. *res is set on DB_OK. */
enum db_status fence_exec(struct db *db, const struct db_stmt *stmt, const struct fence *f, const char **params,
    enum fence_result *res, char *err, size_t errlen);
/* fence_exec for a statement answering FENCE_ANSWER_CANCEL: cancel gets the cancel request ("" none). */
enum db_status fence_exec_cancel(struct db *db, const struct db_stmt *stmt, const struct fence *f,
    const char **params, enum fence_result *res, char *cancel, size_t cancellen, char *err, size_t errlen);
/* Test hook: when CAPTIONACC_TEST_STOP_BEFORE names the statement (once per process), the process stops
 * itself (SIGSTOP) just before sending it, so a test can freeze a runner at that exact write, let its
 * lease pass, and resume it with SIGCONT. Does nothing otherwise. */
void fence_test_stop(const char *statement);

#endif
