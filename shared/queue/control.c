/* control.c: the operator's job commands' statements (see control.h). */
#include "shared/queue/control.h"

#include "shared/queue/fence.h"
#include "shared/str.h"

#include <ctype.h>
#include <string.h>

static const struct db_stmt lookup_stmt = {
	"control_lookup",
	"SELECT status, backend, flow, COALESCE(lease_owner, '') FROM jobs WHERE id = $1::uuid", 1, true
};

static const struct db_stmt request_cancel_stmt = {
	"control_request_cancel",
	"UPDATE jobs SET metadata = metadata || jsonb_build_object('cancel_requested', $2::text), updated_at = now()"
	" WHERE id = $1::uuid AND status = 'running' RETURNING 1",
	2, true
};

/* The job's steps stay: a completed step's row is its checkpoint, so the job resumes after the last. */
static const struct db_stmt retry_stmt = {
	"control_retry",
	"WITH r AS (UPDATE jobs SET status = 'pending', attempt = 0, run_after = now(), error_message = NULL,"
	"  result = NULL, finished_at = NULL, " LEASE_CLEARED ","
	"  metadata = metadata - 'cancel_requested', updated_at = now()"
	"  WHERE id = $1::uuid AND status IN ('failed', 'cancelled') AND backend = 'local' RETURNING 1)"
	" SELECT count(*), pg_notify('captionacc_jobs', '') FROM r",
	1, false
};

static const struct db_stmt list_stmt = {
	"control_list",
	"SELECT id, flow, status, attempt || '/' || max_attempts, priority, COALESCE(video_id, '-'), tenant_id,"
	"  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), COALESCE(lease_owner, '-'),"
	"  COALESCE(regexp_replace(left(error_message, 80), '[[:cntrl:]]', ' ', 'g'), '')"
	" FROM jobs WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR flow = $2)"
	"   AND ($3::text IS NULL OR video_id = $3) ORDER BY created_at DESC, id LIMIT $4::int",
	4, true
};

bool
control_id_valid(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0' && i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? id[i] != '-' : !isxdigit((unsigned char)id[i]))
			return false;
	return i == 36 && id[i] == '\0';
}

enum db_status
control_lookup(struct db *db, const char *id, struct control_job *out, bool *found, char *err, size_t errlen)
{
	const char *params[1] = { id };
	enum db_status st = DB_OK;
	PGresult *r;

	*found = false;
	memset(out, 0, sizeof(*out));
	if ((r = db_exec(db, &lookup_stmt, params, &st, err, errlen)) == NULL)
		return st;
	if (PQntuples(r) == 1) {
		if (str_copy(out->status, sizeof(out->status), PQgetvalue(r, 0, 0)) != 0 ||
		    str_copy(out->backend, sizeof(out->backend), PQgetvalue(r, 0, 1)) != 0 ||
		    str_copy(out->flow, sizeof(out->flow), PQgetvalue(r, 0, 2)) != 0 ||
		    str_copy(out->lease_owner, sizeof(out->lease_owner), PQgetvalue(r, 0, 3)) != 0) {
			(void)str_fmt(err, errlen, "job %s has an over-long field", id);
			st = DB_ERROR;
		} else
			*found = true;
	}
	PQclear(r);
	return st;
}

/* Runs stmt; *affected: whether it returned a row (with the first column not "0"). */
static enum db_status
exec_one(struct db *db, const struct db_stmt *stmt, const char *const *params, bool *affected, char *err,
    size_t errlen)
{
	enum db_status st;
	PGresult *r;

	*affected = false;
	if ((r = db_exec(db, stmt, params, &st, err, errlen)) == NULL)
		return st;
	*affected = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "0") != 0;
	PQclear(r);
	return DB_OK;
}

enum db_status
control_request_cancel(struct db *db, const char *id, const char *why, bool *done, char *err, size_t errlen)
{
	const char *params[2] = { id, why };

	return exec_one(db, &request_cancel_stmt, params, done, err, errlen);
}

enum db_status
control_retry(struct db *db, const char *id, bool *done, char *err, size_t errlen)
{
	const char *params[1] = { id };

	return exec_one(db, &retry_stmt, params, done, err, errlen);
}

enum db_status
control_list(struct db *db, const struct control_filter *f, void (*fn)(void *arg, const struct control_row *row),
    void *arg, int *n, char *err, size_t errlen)
{
	char limit[24];
	const char *params[4] = { f->status, f->flow, f->video_id, limit };
	enum db_status st;
	PGresult *r;

	*n = 0;
	if (str_fmt(limit, sizeof(limit), "%ld", f->limit) != 0) {
		(void)str_fmt(err, errlen, "limit too long");
		return DB_ERROR;
	}
	if ((r = db_exec(db, &list_stmt, params, &st, err, errlen)) == NULL)
		return st;
	for (int i = 0; i < PQntuples(r); i++) {
		struct control_row row = { PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6),
			PQgetvalue(r, i, 7), PQgetvalue(r, i, 8), PQgetvalue(r, i, 9) };

		fn(arg, &row);
		++*n;
	}
	PQclear(r);
	return DB_OK;
}
