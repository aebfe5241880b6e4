/* backfill_complete.h: a processing month becomes completed, with its counts and success rate, when the
 * last of its jobs has ended (completed, failed for good or cancelled). Done by whoever ends that job
 * (runner/job.c's finish(): the runner or a reaper, on either queue backend), and swept by each
 * scheduling call for months whose last job ended elsewhere (a run ended before its month's hand-over
 * committed).
 * Exactly once: the update re-checks status = 'processing' under the row lock. */
#ifndef CAPTIONACC_BACKFILL_COMPLETE_H
#define CAPTIONACC_BACKFILL_COMPLETE_H

#include "shared/db.h"

#include <json-c/json.h>
#include <stdbool.h>

/* A backfill job carries its month: metadata.backfill (local queue) or a "backfill:YYYY-MM" tag in
 * metadata.tags (a Prefect run's row). Only those need backfill_complete_job. */
bool backfill_job_of(json_object *metadata);
/* Called after job_id's final outcome was committed: completes its month if it was that month's last
 * open job. Not a backfill job, or not the last: nothing. Failures are logged (the sweep catches up). */
void backfill_complete_job(struct db *db, const char *job_id);
/* Completes every processing month none of whose jobs is still open; *n: how many. */
enum db_status backfill_complete_sweep(struct db *db, int *n, char *err, size_t errlen);

#endif
