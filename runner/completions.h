/* completions.h: run --prefetch's batch of completions. A short flow's job (flows.h: short_steps) whose
 * last step completed is kept here, its lease held by the heartbeat, and written with the others in one
 * statement (shared/queue/prefetch.h), each fenced by its own token: a job whose lease was lost writes
 * nothing and the others are written. The run loop flushes when the batch is full, when no prefetched
 * job is left, and before it exits. */
#ifndef CAPTIONACC_COMPLETIONS_H
#define CAPTIONACC_COMPLETIONS_H

#include "runner/heartbeat.h"
#include "runner/job.h"

#include "shared/queue/queue.h"

#include <json-c/json.h>
#include <stdbool.h>

struct completions;

/* A batch of at most cap (1..PREFETCH_MAX). NULL when out of memory. */
struct completions *completions_new(int cap);
void completions_free(struct completions *c);
/* Keeps job's completion: its last step (index, name) completed with result (a reference is taken) after
 * starting at started_ms (clock_ms); *figures (the runner's figures for it) is taken, NULL after. The job
 * is copied; hb holds its lease until the flush. -1 (nothing kept): the batch is full or memory ran out,
 * and the caller writes the completion itself. */
int completions_add(struct completions *c, struct heartbeat *hb, const struct queue_job *job, int index,
    const char *name, json_object *result, long long started_ms, json_object **figures);
int completions_count(const struct completions *c);
bool completions_full(const struct completions *c);
/* Writes the kept completions in one statement, riding out a database outage (DB_OUTAGE_SECONDS) as the
 * one-job writes do, then calls done for each (ours: written; false: its lease was lost or the database
 * stayed away, nothing written) and empties the batch. */
void completions_flush(struct completions *c, const struct job_env *env,
    void (*done)(void *arg, const struct queue_job *job, int batch, bool ours, const char *why), void *arg);

#endif
