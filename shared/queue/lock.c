/* lock.c: the lock statements. Acquisition is one statement: the row is created, or updated only when it
 * is free, expired, or already ours; PostgreSQL's row locking makes concurrent attempts take turns, so
 * exactly one of them wins. */
#include "shared/queue/lock.h"

#include "shared/str.h"

#include <string.h>

/* $1 video $2 database $3 holder $4 ttl seconds. Returns the previous holder and expiry state, and whether
 * we hold it now. */
static const struct db_stmt acquire_stmt = {
	"lock_acquire",
	"WITH prev AS ("
	"  SELECT lock_holder, lock_expires_at < now() AS stale FROM video_database_state"
	"  WHERE video_id = $1 AND database_name = $2"
	"), up AS ("
	"  INSERT INTO video_database_state (video_id, database_name, lock_holder, lock_type, locked_at,"
	"                                    lock_expires_at, updated_at)"
	"  VALUES ($1, $2, $3, 'server', now(), now() + make_interval(secs => $4::int), now())"
	"  ON CONFLICT (video_id, database_name) DO UPDATE SET lock_holder = EXCLUDED.lock_holder,"
	"    lock_type = 'server', locked_at = CASE WHEN video_database_state.lock_holder = EXCLUDED.lock_holder"
	"      THEN video_database_state.locked_at ELSE now() END,"
	"    lock_expires_at = EXCLUDED.lock_expires_at, updated_at = now()"
	"  WHERE video_database_state.lock_holder IS NULL OR video_database_state.lock_holder = EXCLUDED.lock_holder"
	"     OR video_database_state.lock_expires_at < now()"
	"  RETURNING 1"
	")"
	" SELECT (SELECT count(*) FROM up),"
	"  (SELECT lock_holder FROM prev),"
	"  COALESCE((SELECT stale FROM prev), false),"
	"  (SELECT lock_holder FROM video_database_state WHERE video_id = $1 AND database_name = $2)",
	4, false
};

static const struct db_stmt release_stmt = {
	"lock_release",
	"UPDATE video_database_state SET lock_holder = NULL, lock_type = NULL, locked_at = NULL,"
	"  lock_expires_at = NULL, updated_at = now()"
	" WHERE video_id = $1 AND database_name = $2 AND lock_holder = $3 RETURNING 1",
	3, true
};

enum db_status
lock_acquire(struct db *db, const char *video_id, const char *database, const char *holder, long ttl_seconds,
    enum lock_result *res, char *previous, size_t prevlen, char *err, size_t errlen)
{
	char ttl[24];
	const char *params[4] = { video_id, database, holder, ttl };
	enum db_status st;
	PGresult *r;
	bool won, had_other, stale;

	previous[0] = '\0';
	if (str_fmt(ttl, sizeof(ttl), "%ld", ttl_seconds) != 0)
		return DB_ERROR;
	if ((r = db_exec(db, &acquire_stmt, params, &st, err, errlen)) == NULL)
		return st;
	won = strcmp(PQgetvalue(r, 0, 0), "1") == 0;
	had_other = !PQgetisnull(r, 0, 1) && strcmp(PQgetvalue(r, 0, 1), holder) != 0;
	stale = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
	if (won) {
		*res = had_other && stale ? LOCK_TAKEN_OVER : LOCK_ACQUIRED;
		if (had_other)
			(void)str_fmt(previous, prevlen, "%s", PQgetvalue(r, 0, 1));
	} else {
		*res = LOCK_HELD;
		(void)str_fmt(previous, prevlen, "%s", PQgetisnull(r, 0, 3) ? "?" : PQgetvalue(r, 0, 3));
	}
	PQclear(r);
	return DB_OK;
}

enum db_status
lock_release(struct db *db, const char *video_id, const char *database, const char *holder, bool *released,
    char *err, size_t errlen)
{
	const char *params[3] = { video_id, database, holder };
	enum db_status st;
	PGresult *r = db_exec(db, &release_stmt, params, &st, err, errlen);

	*released = false;
	if (r == NULL)
		return st;
	*released = PQntuples(r) == 1;
	PQclear(r);
	return DB_OK;
}
