/* control.h: an operator's hold on jobs (captionacc-runner retry, cancel, jobs): look a job up, ask a
 * running job to stop at its next step boundary (the runner reads the request in the answer of its fenced
 * step writes, at no extra statement, and ends the job through its one ending path, job.c finish), run a failed or
 * cancelled job again from its last completed step, list jobs. */
#ifndef CAPTIONACC_CONTROL_H
#define CAPTIONACC_CONTROL_H

#include "shared/db.h"

#include <stdbool.h>
#include <stddef.h>

#define CONTROL_FIELD_MAX 160

/* A job as the commands need to know it. */
struct control_job {
	char status[16];                   /* pending, running, retry, completed, failed, cancelled */
	char backend[16];                  /* local or prefect */
	char flow[64];
	char lease_owner[CONTROL_FIELD_MAX]; /* "" none */
};

/* Filters of control_list; NULL: any. */
struct control_filter {
	const char *status, *flow, *video_id;
	long limit;
};

/* One row of control_list; strings borrowed for the callback. */
struct control_row {
	const char *id, *flow, *status, *attempts, *priority, *video_id, *tenant_id, *created, *runner, *error;
};

/* Whether id has a job id's shape (a UUID), so a typo is told apart from a database error. */
bool control_id_valid(const char *id);
/* The job id; *found false when there is none. */
enum db_status control_lookup(struct db *db, const char *id, struct control_job *out, bool *found, char *err,
    size_t errlen);
/* Records why (metadata.cancel_requested) on the running job id; *done false when it is not running. */
enum db_status control_request_cancel(struct db *db, const char *id, const char *why, bool *done, char *err,
    size_t errlen);
/* A failed or cancelled local job id back to pending with its attempts reset (its completed steps are kept:
 * it resumes after the last one); runners are woken. *done false when it is neither failed nor cancelled. */
enum db_status control_retry(struct db *db, const char *id, bool *done, char *err, size_t errlen);
/* Calls fn for the newest jobs that match f, newest first. *n: how many. */
enum db_status control_list(struct db *db, const struct control_filter *f,
    void (*fn)(void *arg, const struct control_row *row), void *arg, int *n, char *err, size_t errlen);

#endif
