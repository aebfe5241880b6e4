/* lock.c: the lock statements. Acquisition is one statement: the row is created, or updated only when it
 * is free, expired, or already this job's; PostgreSQL's row locking makes concurrent attempts take turns,
 * so exactly one of them wins. Both statements are fenced by the job's lease (fence.h). */
#include "shared/queue/lock.h"

#include "shared/str.h"

#include <string.h>

/* The figures of GET /metrics (sql/010_figures.sql), in the acquisition's own statement: a refusal is
 * counted and, the first time, the job noted in lock_waits; the acquisition that ends a job's wait adds
 * how long it waited. ($1 job, $4 database; w: the acquisition.) */
#define LOCK_FIGURES \
	" waited AS (DELETE FROM lock_waits WHERE job_id = $1::uuid AND EXISTS (SELECT 1 FROM w) RETURNING since)," \
	" waited_figure AS (INSERT INTO metric_events (metric, l1, seconds)" \
	"  SELECT 'lock_wait', $4, greatest(0, extract(epoch FROM now() - since)) FROM waited)," \
	" refused AS (INSERT INTO lock_waits (job_id, database_name) SELECT $1::uuid, $4 FROM lease" \
	"  WHERE NOT EXISTS (SELECT 1 FROM w) ON CONFLICT (job_id) DO NOTHING)," \
	" refused_figure AS (INSERT INTO metric_events (metric, l1) SELECT 'lock_refused', $4 FROM lease" \
	"  WHERE NOT EXISTS (SELECT 1 FROM w))"

/* $1 job $2 lease token $3 video $4 database $5 holder $6 ttl seconds. Answers whether the lease held,
 * whether we hold the lock now, and the previous holder and whether its lock had expired. */
static const struct db_stmt acquire_stmt = {
	"lock_acquire",
	"WITH " FENCE_CTE ", prev AS ("
	"  SELECT lock_holder, lock_expires_at < now() AS stale FROM video_database_state"
	"  WHERE video_id = $3 AND database_name = $4"
	"), w AS ("
	"  INSERT INTO video_database_state (video_id, database_name, lock_holder, lock_token, lock_type, locked_at,"
	"                                    lock_expires_at, updated_at)"
	"  SELECT $3, $4, $5, $2, 'server', now(), now() + make_interval(secs => $6::int), now() FROM lease"
	"  ON CONFLICT (video_id, database_name) DO UPDATE SET lock_holder = EXCLUDED.lock_holder,"
	"    lock_token = EXCLUDED.lock_token, lock_type = 'server',"
	"    locked_at = CASE WHEN video_database_state.lock_holder = EXCLUDED.lock_holder"
	"      THEN video_database_state.locked_at ELSE now() END,"
	"    lock_expires_at = EXCLUDED.lock_expires_at, updated_at = now()"
	"  WHERE video_database_state.lock_holder IS NULL OR video_database_state.lock_holder = EXCLUDED.lock_holder"
	"     OR video_database_state.lock_expires_at < now()"
	"  RETURNING 1"
	")," LOCK_FIGURES
	" SELECT (SELECT count(*) FROM lease), (SELECT count(*) FROM w),"
	"  (SELECT lock_holder FROM prev),"
	"  COALESCE((SELECT stale FROM prev), false),"
	"  (SELECT lock_holder FROM video_database_state WHERE video_id = $3 AND database_name = $4)",
	6, false
};

static const struct db_stmt release_stmt = {
	"lock_release",
	"WITH " FENCE_CTE ", w AS ("
	"  UPDATE video_database_state SET lock_holder = NULL, lock_token = NULL, lock_type = NULL, locked_at = NULL,"
	"    lock_expires_at = NULL, updated_at = now()"
	"  WHERE video_id = $3 AND database_name = $4 AND lock_holder = $5 AND EXISTS (SELECT 1 FROM lease)"
	"  RETURNING 1)" FENCE_ANSWER,
	5, true
};

enum db_status
lock_acquire(struct db *db, const struct fence *f, const char *video_id, const char *database, const char *holder,
    long ttl_seconds, enum lock_result *res, char *previous, size_t prevlen, char *err, size_t errlen)
{
	char ttl[24];
	const char *params[6] = { f->job_id, f->token, video_id, database, holder, ttl };
	enum db_status st;
	PGresult *r;
	bool won, had_other, stale;

	previous[0] = '\0';
	if (str_fmt(ttl, sizeof(ttl), "%ld", ttl_seconds) != 0)
		return DB_ERROR;
	fence_test_stop(acquire_stmt.name);
	if ((r = db_exec(db, &acquire_stmt, params, &st, err, errlen)) == NULL)
		return st;
	if (strcmp(PQgetvalue(r, 0, 0), "1") != 0) {
		*res = LOCK_LEASE_LOST;
		PQclear(r);
		return DB_OK;
	}
	won = strcmp(PQgetvalue(r, 0, 1), "1") == 0;
	had_other = !PQgetisnull(r, 0, 2) && strcmp(PQgetvalue(r, 0, 2), holder) != 0;
	stale = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
	if (won) {
		*res = had_other && stale ? LOCK_TAKEN_OVER : LOCK_ACQUIRED;
		if (had_other)
			(void)str_fmt(previous, prevlen, "%s", PQgetvalue(r, 0, 2));
	} else {
		*res = LOCK_HELD;
		(void)str_fmt(previous, prevlen, "%s", PQgetisnull(r, 0, 4) ? "?" : PQgetvalue(r, 0, 4));
	}
	PQclear(r);
	return DB_OK;
}

enum db_status
lock_release(struct db *db, const struct fence *f, const char *video_id, const char *database, const char *holder,
    enum fence_result *res, char *err, size_t errlen)
{
	const char *params[5] = { NULL, NULL, video_id, database, holder };

	return fence_exec(db, &release_stmt, f, params, res, err, errlen);
}
