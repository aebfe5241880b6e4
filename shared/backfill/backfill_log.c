/* backfill_log.c: seeding and statistics of backfill_log (see backfill_log.h). */
#include "shared/backfill/backfill_log.h"

#include "shared/str.h"

#include <stdlib.h>
#include <string.h>

/* $1 start year $2 end year $3 batch size $4 pipeline version */
static const struct db_stmt seed_stmt = {
	"backfill_seed",
	"WITH months AS (SELECT y, m FROM generate_series($1::int, $2::int) y, generate_series(1, 12) m),"
	" ins AS (INSERT INTO backfill_log (year, month, batch_size, pipeline_version)"
	"         SELECT y, m, $3::int, $4::int FROM months ON CONFLICT (year, month) DO NOTHING RETURNING 1)"
	" SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM months)",
	4, true
};

static const struct db_stmt counts_stmt = {
	"backfill_stats_counts",
	"SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'processing'),"
	"  count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'),"
	"  count(*) FILTER (WHERE status = 'retry'), count(*),"
	"  COALESCE(sum(videos_found), 0), COALESCE(sum(videos_queued), 0), COALESCE(sum(videos_completed), 0),"
	"  COALESCE(sum(videos_failed), 0),"
	"  COALESCE(round(sum(videos_completed) FILTER (WHERE status = 'completed') * 100.0"
	"    / NULLIF(sum(videos_found) FILTER (WHERE status = 'completed'), 0), 2), 0)::text"
	" FROM backfill_log",
	0, true
};

static const struct db_stmt recent_stmt = {
	"backfill_stats_recent",
	"SELECT " BACKFILL_LOG_COLUMNS " FROM backfill_log ORDER BY updated_at DESC, year DESC, month DESC"
	" LIMIT " BACKFILL_RECENT_ROWS_TEXT,
	0, true
};

/* The statuses in the order of counts_stmt's first columns. */
static const char *const statuses[] = { "pending", "processing", "completed", "failed", "retry" };

static json_object *
int_column(PGresult *r, int i, int col)
{
	return json_object_new_int64(strtoll(PQgetvalue(r, i, col), NULL, 10));
}

/* A numeric column kept as its text (e.g. 66.67). */
static json_object *
rate_column(PGresult *r, int i, int col)
{
	const char *t = PQgetvalue(r, i, col);

	return json_object_new_double_s(strtod(t, NULL), t);
}

static json_object *
text_column(PGresult *r, int i, int col)
{
	return PQgetisnull(r, i, col) ? NULL : json_object_new_string(PQgetvalue(r, i, col));
}

json_object *
backfill_log_row_json(PGresult *r, int i)
{
	/* columns 0-9, but 2 (status) */
	static const char *const ints[] = { "year", "month", "status", "retry_count", "batch_size",
		"pipeline_version", "videos_found", "videos_queued", "videos_completed", "videos_failed" };
	static const char *const texts[] = { "started_at", "completed_at", "last_retry_at", "error_message",
		"updated_at" };
	json_object *o = json_object_new_object();

	for (int c = 0; c < 10; c++)
		json_object_object_add(o, ints[c], c == 2 ? text_column(r, i, c) : int_column(r, i, c));
	json_object_object_add(o, "success_rate", rate_column(r, i, 10));
	for (int c = 0; c < 5; c++)
		json_object_object_add(o, texts[c], text_column(r, i, 11 + c));
	return o;
}

enum db_status
backfill_log_seed(struct db *db, const struct backfill_seed_req *req, int pipeline_version, json_object **answer,
    char *err, size_t errlen)
{
	char start[16], end[16], batch[16], version[16];
	const char *params[4] = { start, end, batch, version };
	enum db_status st;
	long long inserted, total;
	PGresult *r;
	json_object *o;

	*answer = NULL;
	if (str_fmt(start, sizeof(start), "%d", req->start_year) != 0 || str_fmt(end, sizeof(end), "%d",
	    req->end_year) != 0 || str_fmt(batch, sizeof(batch), "%d", req->batch_size) != 0 ||
	    str_fmt(version, sizeof(version), "%d", pipeline_version) != 0) {
		(void)str_fmt(err, errlen, "cannot format the seed's parameters");
		return DB_ERROR;
	}
	if ((r = db_exec(db, &seed_stmt, params, &st, err, errlen)) == NULL)
		return st;
	inserted = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	total = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "inserted", json_object_new_int64(inserted));
	json_object_object_add(o, "existing", json_object_new_int64(total - inserted));
	json_object_object_add(o, "start_year", json_object_new_int(req->start_year));
	json_object_object_add(o, "end_year", json_object_new_int(req->end_year));
	json_object_object_add(o, "batch_size", json_object_new_int(req->batch_size));
	json_object_object_add(o, "pipeline_version", json_object_new_int(pipeline_version));
	*answer = o;
	return DB_OK;
}

/* counts_stmt's row into o. */
static void
add_counts(json_object *o, PGresult *r)
{
	static const char *const totals_names[] = { "videos_found", "videos_queued", "videos_completed",
		"videos_failed" };
	json_object *counts = json_object_new_object(), *totals = json_object_new_object();

	for (int c = 0; c < 5; c++)
		json_object_object_add(counts, statuses[c], int_column(r, 0, c));
	json_object_object_add(o, "status_counts", counts);
	json_object_object_add(o, "total_months", int_column(r, 0, 5));
	for (int c = 0; c < 4; c++)
		json_object_object_add(totals, totals_names[c], int_column(r, 0, 6 + c));
	json_object_object_add(o, "totals", totals);
	json_object_object_add(o, "overall_success_rate", rate_column(r, 0, 10));
}

enum db_status
backfill_log_stats(struct db *db, json_object **answer, char *err, size_t errlen)
{
	enum db_status st;
	PGresult *counts = NULL, *recent = NULL;
	json_object *o, *rows;

	*answer = NULL;
	if ((counts = db_exec(db, &counts_stmt, NULL, &st, err, errlen)) == NULL)
		return st;
	if ((recent = db_exec(db, &recent_stmt, NULL, &st, err, errlen)) == NULL) {
		PQclear(counts);
		return st;
	}
	o = json_object_new_object();
	add_counts(o, counts);
	rows = json_object_new_array();
	for (int i = 0; i < PQntuples(recent); i++)
		json_object_array_add(rows, backfill_log_row_json(recent, i));
	json_object_object_add(o, "recent_activity", rows);
	PQclear(counts);
	PQclear(recent);
	*answer = o;
	return DB_OK;
}
