/* jobs.c: enqueueing jobs. One statement inserts the job or finds the job already queued under the same
 * idempotency key, so a redelivered webhook never doubles work. */
#include "shared/jobs.h"

#include "shared/json.h"
#include "shared/str.h"

#include <string.h>

/* $1 flow $2 tenant $3 video $4 parameters $5 metadata $6 priority $7 base $8 anchor $9 key
 * $10 max_attempts */
static const struct db_stmt enqueue_stmt = {
	"jobs_enqueue",
	"WITH ins AS ("
	"  INSERT INTO jobs (flow, tenant_id, video_id, parameters, metadata, priority, base_priority,"
	"                    age_anchor, idempotency_key, max_attempts)"
	"  VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::int, $7::int, COALESCE($8::timestamptz, now()), $9,"
	"          $10::int)"
	"  ON CONFLICT (idempotency_key) DO NOTHING"
	"  RETURNING id, priority, metadata"
	")"
	" SELECT id, priority, metadata, true FROM ins"
	" UNION ALL"
	" SELECT id, priority, metadata, false FROM jobs WHERE $9::text IS NOT NULL AND idempotency_key = $9"
	" LIMIT 1",
	10, true
};

int
jobs_format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	if (strftime(buf, len, "%Y-%m-%d %H:%M:%S+00", &tm) == 0)
		return -1;
	return 0;
}

enum db_status
jobs_enqueue(struct db *db, const struct jobs_new *job, struct jobs_enqueued *out, char *err, size_t errlen)
{
	char prio[16], base[16], attempts[16], anchor[40];
	const char *params[10];
	long stored_priority;
	enum db_status st = DB_ERROR;
	PGresult *r = NULL;

	memset(out, 0, sizeof(*out));
	if (str_fmt(prio, sizeof(prio), "%d", job->priority) != 0 ||
	    str_fmt(base, sizeof(base), "%d", job->base_priority) != 0 ||
	    str_fmt(attempts, sizeof(attempts), "%d", job->max_attempts) != 0 ||
	    (job->has_age_anchor && jobs_format_time(job->age_anchor, anchor, sizeof(anchor)) != 0)) {
		(void)str_fmt(err, errlen, "cannot format job fields");
		return DB_ERROR;
	}
	params[0] = job->flow;
	params[1] = job->tenant_id;
	params[2] = job->video_id;
	params[3] = json_text(job->parameters, NULL);
	params[4] = json_text(job->metadata, NULL);
	params[5] = prio;
	params[6] = base;
	params[7] = job->has_age_anchor ? anchor : NULL;
	params[8] = job->idempotency_key;
	params[9] = attempts;
	/* A concurrent insert of the same key makes ours do nothing while its row is not yet visible to our
	 * statement's snapshot; the next statement sees it. Two tries are enough; three for good measure. */
	for (int attempt = 0; attempt < 3; attempt++) {
		if ((r = db_exec(db, &enqueue_stmt, params, &st, err, errlen)) == NULL)
			return st;
		if (PQntuples(r) == 1)
			break;
		PQclear(r);
		r = NULL;
	}
	if (r == NULL) {
		(void)str_fmt(err, errlen, "job with idempotency key %s was neither inserted nor found",
		    job->idempotency_key ? job->idempotency_key : "(none)");
		return DB_ERROR;
	}
	st = DB_ERROR;
	if (str_copy(out->id, sizeof(out->id), PQgetvalue(r, 0, 0)) != 0 ||
	    str_to_long(PQgetvalue(r, 0, 1), -1000000, 1000000, &stored_priority) != 0) {
		(void)str_fmt(err, errlen, "unexpected job row from the database");
		goto out;
	}
	out->priority = (int)stored_priority;
	out->created = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
	out->metadata = json_parse(PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2), err, errlen);
	if (out->metadata == NULL)
		goto out;
	st = DB_OK;
out:
	PQclear(r);
	return st;
}
