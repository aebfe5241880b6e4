/* backfill_schedule.h: one scheduling call: takes up to batch_size candidate months (pending and retry;
 * failed too with force_retry), newest first, and hands each over: its videos (by created_at) queued as
 * video_initial_processing jobs through the intake path at BACKFILL_PRIORITY, with idempotency keys naming
 * the pipeline version, the month and the video (a month handed over twice never queues a video twice),
 * remembered in backfill_jobs; the month becomes processing (completed at once when nothing was queued).
 * Each month is one transaction holding its row lock (FOR UPDATE SKIP LOCKED), so two schedulers never
 * take the same month. A failed hand-over changes nothing of the month but retry_count, error_message and
 * last_retry_at: retry below BACKFILL_MAX_RETRIES, failed at it. */
#ifndef CAPTIONACC_BACKFILL_SCHEDULE_H
#define CAPTIONACC_BACKFILL_SCHEDULE_H

#include "shared/backfill/backfill_request.h"
#include "shared/intake/intake.h"

#include <json-c/json.h>

#define BACKFILL_MAX_RETRIES 5

/* Runs req (a dry run changes nothing and says what would be taken). *answer (caller puts):
 * {"success":true,"dry_run":…,"scheduled":N,"failed":K,"months":[…],"completed_months":S}. Not DB_OK:
 * the database failed (months handed over before that stay handed over); err says why. */
enum db_status backfill_schedule_run(struct intake *in, const struct backfill_schedule_req *req,
    json_object **answer, char *err, size_t errlen);

#endif
