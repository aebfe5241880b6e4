/* prefetch.h: the queue's writes for several held jobs at once (`run --prefetch N`): their completions in
 * one statement, their leases extended in one, the unstarted ones handed back in one. Each job in such a
 * statement is fenced by its own lease token, as the one-job writes of queue.h are: a job whose lease was
 * lost is left alone and the others are written. */
#ifndef CAPTIONACC_PREFETCH_H
#define CAPTIONACC_PREFETCH_H

#include "shared/db.h"
#include "shared/queue/queue.h"

#include <json-c/json.h>
#include <stdbool.h>

/* The most jobs a runner may hold at once with run --prefetch. */
#define PREFETCH_MAX 100

/* One job whose last step completed with result (all borrowed): written as queue_complete_step writes one. */
struct prefetch_done {
	const struct queue_job *job;
	int index;              /* the last step's index */
	const char *name;       /* its name */
	json_object *result;    /* its result, the job's */
	double started_ago;     /* seconds since the step started */
	json_object *figures;   /* the runner's figures for the job (may be NULL) */
};

/* Completes the n jobs of done in one statement (one commit); ours[i]: the lease of done[i] held and its
 * step row and completion were written (false: nothing written for it). */
enum db_status prefetch_complete(struct db *db, const struct prefetch_done *done, int n, bool *ours, char *err,
    size_t errlen);
/* Hands the n jobs back (pending, attempt given back, lease cleared, claimable at once): they were
 * claimed but not started. *handed: how many still held their lease. */
enum db_status prefetch_hand_back(struct db *db, const struct queue_job *jobs, int n, int *handed, char *err,
    size_t errlen);
/* The fence of one held job (borrowed strings), for prefetch_extend. */
struct prefetch_lease {
	const char *job_id;
	const char *token;
};
/* Pushes the n leases' expiry lease_seconds ahead; *held: how many were still held. */
enum db_status prefetch_extend(struct db *db, const struct prefetch_lease *leases, int n, long lease_seconds,
    int *held, char *err, size_t errlen);

#endif
