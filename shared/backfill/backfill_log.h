/* backfill_log.h: the backfill_log table as operators see it: seeding the months of a year range (each
 * once, whatever is run again) and the statistics (counts per status, totals, the overall success rate,
 * the most recently active months). Answers are JSON objects, the same for the endpoints and the CLI. */
#ifndef CAPTIONACC_BACKFILL_LOG_H
#define CAPTIONACC_BACKFILL_LOG_H

#include "shared/backfill/backfill_request.h"
#include "shared/db.h"

#include <json-c/json.h>

#define BACKFILL_RECENT_ROWS_TEXT "20"  /* rows of recent_activity */

/* Inserts every month of req's years not there yet, seeded with pipeline_version. *answer (caller puts):
 * {"success":true,"inserted":N,"existing":M,"start_year",...}. */
enum db_status backfill_log_seed(struct db *db, const struct backfill_seed_req *req, int pipeline_version,
    json_object **answer, char *err, size_t errlen);
/* *answer (caller puts): {"status_counts":{...},"total_months","totals":{...},"overall_success_rate",
 * "recent_activity":[the 20 most recently changed rows]}. */
enum db_status backfill_log_stats(struct db *db, json_object **answer, char *err, size_t errlen);
/* Row i of a result with BACKFILL_LOG_COLUMNS as a JSON object (caller puts). */
json_object *backfill_log_row_json(PGresult *r, int i);

/* The columns backfill_log_row_json reads, in its order. */
#define BACKFILL_LOG_COLUMNS \
	"year, month, status, retry_count, batch_size, pipeline_version, videos_found, videos_queued," \
	" videos_completed, videos_failed, success_rate::text," \
	" to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')," \
	" to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')," \
	" to_char(last_retry_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), error_message," \
	" to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#endif
