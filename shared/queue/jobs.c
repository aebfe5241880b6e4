/* jobs.c: enqueueing jobs. One statement inserts the job or finds the job already queued under the same
 * idempotency key, so a redelivered webhook never doubles work. */
#include "shared/queue/jobs.h"

#include "shared/json.h"
#include "shared/str.h"

#include <string.h>

/* $1 flow $2 tenant $3 video $4 parameters $5 metadata $6 priority $7 base $8 anchor $9 key
 * $10 max_attempts $11 dedupe key. The common case is a plain single-row insert; only a repeated key (either
 * kind) needs the lookup. */
#define JOB_COLUMNS "id, priority, metadata->'tags', tenant_id"
static const struct db_stmt insert_stmt = {
	"jobs_insert",
	"INSERT INTO jobs (flow, tenant_id, video_id, parameters, metadata, priority, base_priority, age_anchor,"
	"                  idempotency_key, max_attempts, dedupe_key)"
	" VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::int, $7::int, COALESCE($8::timestamptz, now()), $9, $10::int,"
	"         $11)"
	" ON CONFLICT DO NOTHING"
	" RETURNING " JOB_COLUMNS,
	11, true
};
static const struct db_stmt existing_stmt = {
	"jobs_existing",
	"SELECT " JOB_COLUMNS " FROM jobs WHERE idempotency_key = $1"
	" UNION ALL SELECT " JOB_COLUMNS " FROM jobs WHERE dedupe_key = $2"
	"   AND status IN ('pending', 'retry', 'running') LIMIT 1",
	2, true
};

/* t as a PostgreSQL timestamptz literal in UTC ("2024-01-01 00:00:00+00"); -1 if it does not fit. */
static int
format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	if (strftime(buf, len, "%Y-%m-%d %H:%M:%S+00", &tm) == 0)
		return -1;
	return 0;
}

/* Inserts the job or finds the one its keys name. A conflicting insert finds the existing job: if that
 * job's inserting transaction has not committed yet, our insert waits for it, so the lookup that follows
 * sees it. A job found by its dedupe key may finish between the two: then the insert is tried again.
 * The row (JOB_COLUMNS) on DB_OK; caller PQclear()s it. */
static PGresult *
insert_or_find(struct db *db, const struct jobs_new *job, const char *const *params, bool *created,
    enum db_status *st, char *err, size_t errlen)
{
	const char *keys[2] = { job->idempotency_key, job->dedupe_key };
	PGresult *r = NULL;

	for (int tries = 0; tries < 3; tries++) {
		PQclear(r);
		if ((r = db_exec(db, &insert_stmt, params, st, err, errlen)) == NULL)
			return NULL;
		if ((*created = PQntuples(r) == 1))
			return r;
		if (job->idempotency_key == NULL && job->dedupe_key == NULL)
			break;
		PQclear(r);
		if ((r = db_exec(db, &existing_stmt, keys, st, err, errlen)) == NULL)
			return NULL;
		if (PQntuples(r) == 1)
			return r;
	}
	PQclear(r);
	(void)str_fmt(err, errlen, "job with idempotency key %s was neither inserted nor found",
	    job->idempotency_key ? job->idempotency_key : "(none)");
	*st = DB_ERROR;
	return NULL;
}

/* The job row's answer (JOB_COLUMNS) into *out. */
static enum db_status
read_answer(PGresult *r, struct jobs_enqueued *out, char *err, size_t errlen)
{
	long stored_priority;

	if (str_copy(out->id, sizeof(out->id), PQgetvalue(r, 0, 0)) != 0 ||
	    str_copy(out->tenant_id, sizeof(out->tenant_id), PQgetvalue(r, 0, 3)) != 0 ||
	    str_to_long(PQgetvalue(r, 0, 1), -1000000, 1000000, &stored_priority) != 0) {
		(void)str_fmt(err, errlen, "unexpected job row from the database");
		return DB_ERROR;
	}
	out->priority = (int)stored_priority;
	if (!PQgetisnull(r, 0, 2) &&
	    (out->tags = json_parse(PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2), err, errlen)) == NULL)
		return DB_ERROR;
	return DB_OK;
}

enum db_status
jobs_enqueue(struct db *db, const struct jobs_new *job, struct jobs_enqueued *out, char *err, size_t errlen)
{
	char prio[16], base[16], attempts[16], anchor[40];
	const char *params[11] = { job->flow, job->tenant_id, job->video_id, json_text(job->parameters, NULL),
		json_text(job->metadata, NULL), prio, base, job->has_age_anchor ? anchor : NULL, job->idempotency_key,
		attempts, job->dedupe_key };
	enum db_status st = DB_ERROR;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	if (str_fmt(prio, sizeof(prio), "%d", job->priority) != 0 ||
	    str_fmt(base, sizeof(base), "%d", job->base_priority) != 0 ||
	    str_fmt(attempts, sizeof(attempts), "%d", job->max_attempts) != 0 ||
	    (job->has_age_anchor && format_time(job->age_anchor, anchor, sizeof(anchor)) != 0)) {
		(void)str_fmt(err, errlen, "cannot format job fields");
		return DB_ERROR;
	}
	r = insert_or_find(db, job, params, &out->created, &st, err, errlen);
	/* A keyed insert that failed with its connection may have committed before its answer was lost (a
	 * restart right after COMMIT). Before saying "unavailable", ask again within a second retry budget:
	 * the key finds the committed row, or the insert goes in now, so a 503 means nothing was written
	 * whenever the database answers again in time. */
	if (r == NULL && st == DB_UNAVAILABLE && job->idempotency_key != NULL)
		r = insert_or_find(db, job, params, &out->created, &st, err, errlen);
	if (r == NULL)
		return st;
	st = read_answer(r, out, err, errlen);
	PQclear(r);
	return st;
}

const char *
jobs_insert_sql(void)
{
	return insert_stmt.sql;
}
