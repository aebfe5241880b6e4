/* backfill_complete.c: month completion (see backfill_complete.h). One statement per call: the months to
 * look at are those still processing with no open job (a job row not yet there, e.g. a Prefect run no
 * runner took yet, is open); their completed jobs are counted, every other video found is failed. */
#include "shared/backfill/backfill_complete.h"

#include "shared/log.h"
#include "shared/validate.h"

#include <stddef.h>
#include <string.h>

/* MONTHS names the candidate months as m (a backfill_log row); the rest is the same for both uses. */
#define COMPLETE_SQL(MONTHS) \
	"UPDATE backfill_log l SET status = 'completed', videos_completed = c.done," \
	"  videos_failed = l.videos_found - c.done," \
	"  success_rate = CASE WHEN l.videos_found > 0 THEN round(c.done * 100.0 / l.videos_found, 2) ELSE 0 END," \
	"  completed_at = now(), updated_at = now()" \
	" FROM (SELECT b.year, b.month, count(*) FILTER (WHERE j.status = 'completed') AS done" \
	"       FROM backfill_jobs b LEFT JOIN jobs j ON j.id = b.job_id" \
	"       WHERE (b.year, b.month) IN (SELECT m.year, m.month FROM backfill_log m WHERE m.status = 'processing'" \
	"           AND " MONTHS \
	"           AND NOT EXISTS (SELECT 1 FROM backfill_jobs o WHERE o.year = m.year AND o.month = m.month" \
	"             AND NOT EXISTS (SELECT 1 FROM jobs oj WHERE oj.id = o.job_id" \
	"               AND oj.status IN ('completed', 'failed', 'cancelled'))))" \
	"       GROUP BY b.year, b.month) c" \
	" WHERE l.year = c.year AND l.month = c.month AND l.status = 'processing'" \
	" RETURNING l.year || '-' || lpad(l.month::text, 2, '0'), l.videos_found, c.done"

static const struct db_stmt job_stmt = {
	"backfill_complete_job",
	COMPLETE_SQL("(m.year, m.month) = (SELECT year, month FROM backfill_jobs WHERE job_id = $1::uuid)"),
	1, true
};

static const struct db_stmt sweep_stmt = {
	"backfill_complete_sweep",
	COMPLETE_SQL("true"),
	0, true
};

static void
log_completed(PGresult *r)
{
	for (int i = 0; i < PQntuples(r); i++)
		log_info("backfill month %s completed: %s of %s videos completed", PQgetvalue(r, i, 0),
		    PQgetvalue(r, i, 2), PQgetvalue(r, i, 1));
}

bool
backfill_job_of(json_object *metadata)
{
	json_object *tags = NULL;

	if (json_object_object_get_ex(metadata, "backfill", NULL))
		return true;
	if (!json_object_object_get_ex(metadata, "tags", &tags) || !json_object_is_type(tags, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(tags); i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(tags, i));

		if (t != NULL && strncmp(t, "backfill:", 9) == 0)
			return true;
	}
	return false;
}

void
backfill_complete_job(struct db *db, const char *job_id)
{
	const char *params[1] = { job_id };
	enum db_status st;
	char err[512];
	PGresult *r;

	if (job_id == NULL || !validate_uuid(job_id))
		return;
	if ((r = db_exec(db, &job_stmt, params, &st, err, sizeof(err))) == NULL) {
		log_warn("job %s: cannot check its backfill month: %s", job_id, err);
		return;
	}
	log_completed(r);
	PQclear(r);
}

enum db_status
backfill_complete_sweep(struct db *db, int *n, char *err, size_t errlen)
{
	enum db_status st;
	PGresult *r;

	*n = 0;
	if ((r = db_exec(db, &sweep_stmt, NULL, &st, err, errlen)) == NULL)
		return st;
	*n = PQntuples(r);
	log_completed(r);
	PQclear(r);
	return DB_OK;
}
