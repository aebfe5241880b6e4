/* completions.h: the completions a runner keeps for its next claim. A short flow's job (flows.h:
 * short_steps) whose last step completed is kept here, its lease held by the heartbeat, and written with
 * the others in one statement (queue_complete_step for one, shared/queue/prefetch.h for several), each
 * fenced by its own token: a job whose lease was lost writes nothing and the others are written. The run
 * loop writes them in the transaction of its next claim (one commit for both: runner/source.h), or on
 * their own when the batch is full while prefetched jobs remain, when that claim's transaction failed,
 * and before it exits. */
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
/* Writes the kept completions once, in one statement, on db as it is (inside the caller's transaction,
 * when there is one: the run loop's next claim, runner/source.h): sets which were ours. Nothing is
 * reported: completions_settle does that once the write has committed, completions_flush if it did not. */
enum db_status completions_write(struct completions *c, struct db *db, char *err, size_t errlen);
/* After completions_write committed: calls done for each (ours: written; false: its lease was lost,
 * or why, when set) and empties the batch. */
void completions_settle(struct completions *c, const struct job_env *env,
    void (*done)(void *arg, const struct queue_job *job, int batch, bool ours, const char *why), void *arg,
    const char *why);
/* Writes the kept completions in one statement of their own, riding out a database outage
 * (DB_OUTAGE_SECONDS) as the one-job writes do, then settles them (ours false for each when the database
 * stayed away). */
void completions_flush(struct completions *c, const struct job_env *env,
    void (*done)(void *arg, const struct queue_job *job, int batch, bool ours, const char *why), void *arg);

#endif
