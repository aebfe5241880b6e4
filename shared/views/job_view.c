/* job_view.c: reading jobs and their steps (see job_view.h). The database builds each row's JSON; json-c
 * parses it like any other input. */
#include "shared/views/job_view.h"

#include "shared/json.h"

#define JOB_FIELDS "'id', j.id, 'flow', j.flow, 'status', j.status, 'attempt', j.attempt, 'max_attempts'," \
	" j.max_attempts, 'priority', j.priority, 'created_at', j.created_at, 'started_at', j.started_at," \
	" 'finished_at', j.finished_at, 'error_message', j.error_message"

static const struct db_stmt list_stmt = {
	"job_view_list",
	"SELECT COALESCE(json_agg(x.o ORDER BY x.created_at DESC, x.id), '[]')::text FROM ("
	"  SELECT json_build_object(" JOB_FIELDS ") AS o, j.created_at, j.id FROM jobs j"
	"  WHERE j.tenant_id = $1 AND j.video_id = $2 ORDER BY j.created_at DESC, j.id LIMIT 50) x",
	2, true
};

static const struct db_stmt get_stmt = {
	"job_view_get",
	"SELECT (json_build_object(" JOB_FIELDS ", 'video_id', j.video_id, 'parameters', j.parameters,"
	"  'result', j.result)::jsonb || jsonb_build_object('steps', COALESCE((SELECT jsonb_agg(jsonb_build_object("
	"    'index', s.step_index, 'name', s.name, 'status', s.status, 'result', s.result, 'error_message',"
	"    s.error_message, 'attempt', s.attempt, 'started_at', s.started_at, 'finished_at', s.finished_at)"
	"    ORDER BY s.step_index) FROM job_steps s WHERE s.job_id = j.id), '[]')))::text"
	" FROM jobs j WHERE j.id = $2::uuid AND j.tenant_id = $1",
	2, true
};

/* The one text column of r's first row (if any) as JSON into *out. */
static enum db_status
one_json(PGresult *r, json_object **out, char *err, size_t errlen)
{
	enum db_status st = DB_OK;

	if (PQntuples(r) == 1 && (*out = json_parse(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), err,
	    errlen)) == NULL)
		st = DB_ERROR;
	PQclear(r);
	return st;
}

enum db_status
job_view_list(struct db *db, const char *tenant_id, const char *video_id, json_object **jobs, char *err,
    size_t errlen)
{
	const char *params[2] = { tenant_id, video_id };
	enum db_status st;
	PGresult *r = db_exec(db, &list_stmt, params, &st, err, errlen);

	*jobs = NULL;
	return r == NULL ? st : one_json(r, jobs, err, errlen);
}

enum db_status
job_view_get(struct db *db, const char *tenant_id, const char *job_id, json_object **job, char *err,
    size_t errlen)
{
	const char *params[2] = { tenant_id, job_id };
	enum db_status st;
	PGresult *r = db_exec(db, &get_stmt, params, &st, err, errlen);

	*job = NULL;
	return r == NULL ? st : one_json(r, job, err, errlen);
}
