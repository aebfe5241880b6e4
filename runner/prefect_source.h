/* prefect_source.h: where `captionacc-runner run` gets its work with QUEUE_BACKEND=prefect: the scheduled
 * flow runs of the work pool, each won by proposing PENDING then RUNNING (a REJECT or ABORT means another
 * worker has it), kept as a jobs row of its own (queue_adopt) for checkpoints and fencing, and reported
 * back as COMPLETED, FAILED, CANCELLED or rescheduled (AwaitingRetry). */
#ifndef CAPTIONACC_PREFECT_SOURCE_H
#define CAPTIONACC_PREFECT_SOURCE_H

#include "runner/runner.h"

#include "shared/queue/queue.h"

#include <stdbool.h>
#include <stddef.h>

struct prefect_source;

struct prefect_source *prefect_source_new(struct runner *r, char *err, size_t errlen);
void prefect_source_free(struct prefect_source *s);
/* The next flow run this worker won, as a leased job. *found false: nothing to do (or Prefect is
 * unavailable: logged). -1 only when the database failed. */
int prefect_source_next(struct prefect_source *s, const char *worker, long lease_seconds, struct queue_job *job,
    bool *found, char *err, size_t errlen);
/* True when someone asked Prefect to cancel the run (state CANCELLING or CANCELLED). */
bool prefect_source_cancelling(struct prefect_source *s, const struct queue_job *job);
/* Proposes the run's final or next state: COMPLETED, FAILED (message), CANCELLED, or SCHEDULED to run
 * again after delay_seconds. Failures are logged (Prefect keeps the run RUNNING; its own timeouts apply). */
void prefect_source_report(struct prefect_source *s, const struct queue_job *job, const char *state,
    const char *message, double delay_seconds);
/* Creates the work pool's band queues with priorities 1..n (prefect-setup). Prints what it did. */
int prefect_source_setup(struct runner *r);

#endif
