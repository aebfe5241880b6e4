/* queue.c: the queue's SQL. Every write a runner makes for a job locks the job row and checks the lease
 * token first (fencing), so a runner that lost its lease can no longer change the job. */
#include "shared/queue/queue.h"

#include "shared/json.h"
#include "shared/queue/fence.h"
#include "shared/log.h"
#include "shared/metrics/figures.h"
#include "shared/str.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The claim order and the ageing formula (SPEC §6): written here once, for the claim, the ageing pass and
 * the dry run. $1 per_minutes $2 cap in AGED_PRIORITY. */
#define CLAIM_ORDER "ORDER BY priority DESC, age_anchor, id"
#define AGED_PRIORITY "base_priority + LEAST($2::int, GREATEST(0, floor(extract(epoch FROM now() - age_anchor)" \
	" / 60 / $1::int)::int))"

static const char *const step_status_names[QUEUE_STEP__MAX] = {
	[QUEUE_STEP_NONE] = "none",
	[QUEUE_STEP_RUNNING] = "running",
	[QUEUE_STEP_COMPLETED] = "completed",
	[QUEUE_STEP_FAILED] = "failed",
};

/* What a claim returns: the job and its lease token, and column 10: resumed, whether the job was claimed
 * before (its started_at, read before this claim, was set). Only a resumed job can have step rows: they
 * are written only under a lease a claim or an adoption gave, and both set started_at (the lease
 * queue_take_waiting gives, which does not, only ends the job and writes none). Its step rows are then
 * read by a second statement (step_rows_stmt); a new job's claim, the common case, has none to read: a
 * lookup in the claim itself cost 12-15 % of the claim and completion as pgbench runs them, even where
 * it found nothing. */
#define JOB_RETURNING " RETURNING j.id, j.flow, j.tenant_id, COALESCE(j.video_id, ''), j.parameters, j.metadata," \
	" j.attempt, j.max_attempts, j.priority, j.lease_token, "
#define STEP_ROWS_OF(id) "(SELECT json_agg(json_build_array(s.step_index, s.status, s.result) ORDER BY" \
	" s.step_index) FROM job_steps s WHERE s.job_id = " id ")"
#define CLAIM_RETURNING JOB_RETURNING "c.started_at IS NOT NULL AS resumed"
#define CLAIM_SET "UPDATE jobs j SET status = 'running', attempt = j.attempt + 1, lease_owner = $1," \
	"  lease_token = gen_random_uuid(), lease_expires_at = now() + make_interval(secs => $2::int)," \
	"  started_at = COALESCE(j.started_at, now()), updated_at = now()" \
	" FROM (SELECT id, started_at FROM jobs WHERE status IN ('pending', 'retry') AND backend = 'local'" \
	"       AND run_after <= now() " CLAIM_ORDER \
	"       LIMIT 1 FOR UPDATE SKIP LOCKED) c" \
	" WHERE j.id = c.id"

/* A resumed job's step rows ([[index, status, result], ...] or NULL). */
static const struct db_stmt step_rows_stmt = { "queue_step_rows", "SELECT " STEP_ROWS_OF("$1::uuid"), 1, true };

static const struct db_stmt claim_stmt = { "queue_claim", CLAIM_SET CLAIM_RETURNING, 2, false };

/* The claim of a runner that said it waits (queue_wait_register): a job found ends the waiting, so
 * enqueues stop notifying for it. */
static const struct db_stmt claim_unwait_stmt = {
	"queue_claim_unwait",
	"WITH claimed AS (" CLAIM_SET CLAIM_RETURNING "),"
	" u AS (DELETE FROM queue_waiters WHERE worker = $1 AND EXISTS (SELECT 1 FROM claimed))"
	" SELECT * FROM claimed",
	2, false
};

/* The claim of up to $3 jobs (run --prefetch): the $3 first claimable rows in claim order are locked, and
 * taken are the first, and after it every row up to the first whose flow is not in $4 (a JSON array of
 * the short flows' names): the claim order is kept, and a GPU flow's job is only ever claimed alone or
 * first. Each gets a lease and a token of its own. The answer is in claim order (column rn last). */
#define CLAIM_MANY_SET "UPDATE jobs j SET status = 'running', attempt = j.attempt + 1, lease_owner = $1," \
	"  lease_token = gen_random_uuid(), lease_expires_at = now() + make_interval(secs => $2::int)," \
	"  started_at = COALESCE(j.started_at, now()), updated_at = now()" \
	" FROM (SELECT id, started_at, rn FROM (SELECT id, started_at, row_number() OVER o AS rn," \
	"              bool_and($4::jsonb ? flow) OVER o AS short_run" \
	"        FROM (SELECT id, flow, priority, age_anchor, started_at FROM jobs WHERE status IN ('pending', 'retry')" \
	"              AND backend = 'local' AND run_after <= now() " CLAIM_ORDER \
	"              LIMIT $3::int FOR UPDATE SKIP LOCKED) l" \
	"        WINDOW o AS (" CLAIM_ORDER ")) t WHERE rn = 1 OR short_run) c" \
	" WHERE j.id = c.id"
#define CLAIM_MANY_RETURNING CLAIM_RETURNING ", c.rn"

static const struct db_stmt claim_many_stmt = {
	"queue_claim_many",
	"WITH claimed AS (" CLAIM_MANY_SET CLAIM_MANY_RETURNING ") SELECT * FROM claimed ORDER BY rn",
	4, false
};

static const struct db_stmt claim_many_unwait_stmt = {
	"queue_claim_many_unwait",
	"WITH claimed AS (" CLAIM_MANY_SET CLAIM_MANY_RETURNING "),"
	" u AS (DELETE FROM queue_waiters WHERE worker = $1 AND EXISTS (SELECT 1 FROM claimed))"
	" SELECT * FROM claimed ORDER BY rn",
	4, false
};

/* $1 worker. */
static const struct db_stmt release_owned_stmt = {
	"queue_release_owned",
	"UPDATE jobs SET status = 'pending', attempt = attempt - 1, run_after = now(), " LEASE_CLEARED ","
	"  updated_at = now()"
	" WHERE lease_owner = $1 AND status = 'running' AND backend = 'local' RETURNING id",
	1, true
};

static const struct db_stmt extend_stmt = {
	"queue_extend",
	"WITH " FENCE_CTE ", w AS ("
	"  UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3::int)"
	"  WHERE id = $1::uuid AND EXISTS (SELECT 1 FROM lease) RETURNING 1)" FENCE_ANSWER,
	3, true
};

/* A step's start, from the seconds since it started (kept in memory until its first write), on the
 * database's clock like finished_at. */
#define STEP_STARTED(secs) "now() - make_interval(secs => " secs "::double precision)"

/* A step's row, fenced (fence.h): the lease CTE locks the job row, so a concurrent reap or re-claim either
 * happened before (token differs, nothing written) or waits until this write commits. A completed step is
 * never written again; the answer says whether the lease held, so saving the same step twice (after a
 * connection lost mid-call) is not mistaken for a lost lease. */
static const struct db_stmt step_save_stmt = {
	"queue_step_save",
	"WITH " FENCE_CTE ", w AS ("
	"  INSERT INTO job_steps (job_id, step_index, name, status, result, error_message, attempt, started_at,"
	"                         finished_at)"
	"  SELECT $1::uuid, $3::int, $4, $5, $6::jsonb, $7, $8::int, " STEP_STARTED("$9") ","
	"         CASE WHEN $5 = 'running' THEN NULL ELSE now() END FROM lease"
	"  ON CONFLICT (job_id, step_index) DO UPDATE SET status = EXCLUDED.status, result = EXCLUDED.result,"
	"    error_message = EXCLUDED.error_message, attempt = EXCLUDED.attempt, finished_at = EXCLUDED.finished_at"
	"    WHERE job_steps.status <> 'completed'"
	"  RETURNING 1)," FIGURES_CTE("$10") FENCE_ANSWER_CANCEL,
	10, true
};

/* The last step's result and the job's completion in one statement (one transaction, one commit): the
 * step row as step_save_stmt writes it and the jobs row as complete_stmt does, both fenced by the lease.
 * $3 step index $4 name $5 result $6 attempt $7 seconds since the step started $8 the runner's figures. */
static const struct db_stmt complete_step_stmt = {
	"queue_complete_step",
	"WITH " FENCE_CTE ", s AS ("
	"  INSERT INTO job_steps (job_id, step_index, name, status, result, attempt, started_at, finished_at)"
	"  SELECT $1::uuid, $3::int, $4, 'completed', $5::jsonb, $6::int, " STEP_STARTED("$7") ", now() FROM lease"
	STEP_COMPLETED_UPSERT
	"), w AS ("
	"  UPDATE jobs SET status = 'completed', result = $5::jsonb, error_message = NULL, finished_at = now(),"
	"    updated_at = now(), " LEASE_CLEARED
	"  WHERE id = $1::uuid AND EXISTS (SELECT 1 FROM lease)"
	"  RETURNING 1)," FIGURES_CTE("$8") FENCE_ANSWER,
	8, true
};

static const struct db_stmt complete_stmt = {
	"queue_complete",
	"WITH " FENCE_CTE ", w AS ("
	"  UPDATE jobs SET status = 'completed', result = $3::jsonb, error_message = NULL, finished_at = now(),"
	"    updated_at = now(), " LEASE_CLEARED
	"  WHERE id = $1::uuid AND EXISTS (SELECT 1 FROM lease) RETURNING 1)" FENCE_ANSWER,
	3, false
};

static const struct db_stmt fail_stmt = {
	"queue_fail",
	"WITH " FENCE_CTE ", w AS ("
	"  UPDATE jobs SET status = 'failed', error_message = $3, finished_at = now(), updated_at = now(),"
	"    " LEASE_CLEARED
	"  WHERE id = $1::uuid AND EXISTS (SELECT 1 FROM lease) RETURNING 1)" FENCE_ANSWER,
	3, false
};

/* $3 status, $4 delay seconds, $5 error (NULL keeps the last one), $6 attempts given back (0 or 1) */
static const struct db_stmt requeue_stmt = {
	"queue_requeue",
	"WITH " FENCE_CTE ", w AS ("
	"  UPDATE jobs SET status = $3, run_after = now() + make_interval(secs => $4::double precision),"
	"    error_message = COALESCE($5, error_message), attempt = attempt - $6::int, updated_at = now(),"
	"    " LEASE_CLEARED
	"  WHERE id = $1::uuid AND EXISTS (SELECT 1 FROM lease) RETURNING 1)" FENCE_ANSWER,
	6, false
};

/* $1 per_minutes $2 cap. The gate row lets one runner in 10 s do a pass; a pass updates at most
 * QUEUE_AGE_BATCH rows and skips rows being claimed, so claims never stall behind it even at a backlog of
 * a million jobs (30,000 rows a minute; a million waiting jobs need about 17,000 at +1 per hour). */
#define QUEUE_AGE_BATCH "5000"
static const struct db_stmt age_stmt = {
	"queue_age",
	"WITH gate AS ("
	"  INSERT INTO runner_maintenance (name, last_at) VALUES ('age', now())"
	"  ON CONFLICT (name) DO UPDATE SET last_at = now()"
	"    WHERE runner_maintenance.last_at <= now() - interval '9 seconds'"
	"  RETURNING 1"
	"), todo AS ("
	"  SELECT id FROM jobs WHERE EXISTS (SELECT 1 FROM gate) AND status IN ('pending', 'retry')"
	"    AND priority <> " AGED_PRIORITY
	"  LIMIT " QUEUE_AGE_BATCH " FOR UPDATE SKIP LOCKED"
	"), aged AS ("
	"  UPDATE jobs SET priority = " AGED_PRIORITY " FROM todo WHERE jobs.id = todo.id"
	"  RETURNING 1"
	") SELECT (SELECT count(*) FROM gate), (SELECT count(*) FROM aged)",
	2, false
};

void
queue_job_clear(struct queue_job *job)
{
	json_object_put(job->parameters);
	json_object_put(job->metadata);
	json_object_put(job->steps);
	memset(job, 0, sizeof(*job));
}

/* Runs a write of the job's own row (fence.h; params[0], params[1] are set from f): *ours is whether the
 * lease still held, so the write happened. */
static enum db_status
row_write(struct db *db, const struct db_stmt *stmt, const struct fence *f, const char **params, bool *ours,
    char *err, size_t errlen)
{
	enum fence_result res = FENCE_LOST;
	enum db_status st = fence_exec(db, stmt, f, params, &res, err, errlen);

	*ours = st == DB_OK && res == FENCE_WRITTEN;
	return st;
}

static json_object *
parse_column(PGresult *r, int row, int col, char *err, size_t errlen)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	return json_parse(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col), err, errlen);
}

/* Row i of a claim-shaped result (id, flow, tenant_id, video_id, parameters, metadata, attempt,
 * max_attempts, priority, lease_token, and with steps true the step rows) into *out. */
static enum db_status
job_of_row(PGresult *r, int i, bool steps, struct queue_job *out, char *err, size_t errlen)
{
	long v;

	if (str_copy(out->id, sizeof(out->id), PQgetvalue(r, i, 0)) != 0 ||
	    str_copy(out->flow, sizeof(out->flow), PQgetvalue(r, i, 1)) != 0 ||
	    str_copy(out->tenant_id, sizeof(out->tenant_id), PQgetvalue(r, i, 2)) != 0 ||
	    str_copy(out->video_id, sizeof(out->video_id), PQgetvalue(r, i, 3)) != 0 ||
	    str_copy(out->lease_token, sizeof(out->lease_token), PQgetvalue(r, i, 9)) != 0) {
		(void)str_fmt(err, errlen, "claimed job has an over-long field");
		return DB_ERROR;
	}
	if ((out->parameters = parse_column(r, i, 4, err, errlen)) == NULL ||
	    (out->metadata = parse_column(r, i, 5, err, errlen)) == NULL ||
	    str_to_long(PQgetvalue(r, i, 6), 0, 1000000, &v) != 0)
		return DB_ERROR;
	out->attempt = (int)v;
	if (str_to_long(PQgetvalue(r, i, 7), 1, 1000000, &v) != 0)
		return DB_ERROR;
	out->max_attempts = (int)v;
	if (str_to_long(PQgetvalue(r, i, 8), -1000000, 1000000, &v) != 0)
		return DB_ERROR;
	out->priority = (int)v;
	if (steps && !PQgetisnull(r, i, 10) && (out->steps = parse_column(r, i, 10, err, errlen)) == NULL)
		return DB_ERROR;
	return DB_OK;
}

/* Row i of a claim's answer into out, with its step rows when it was resumed (CLAIM_RETURNING). */
static enum db_status
claimed_row(struct db *db, PGresult *r, int i, struct queue_job *out, char *err, size_t errlen)
{
	const char *params[1] = { out->id };
	enum db_status st;
	PGresult *steps;

	if ((st = job_of_row(r, i, false, out, err, errlen)) != DB_OK || strcmp(PQgetvalue(r, i, 10), "t") != 0)
		return st;
	if ((steps = db_exec(db, &step_rows_stmt, params, &st, err, errlen)) == NULL)
		return st;
	if (PQntuples(steps) == 1 && !PQgetisnull(steps, 0, 0) &&
	    (out->steps = parse_column(steps, 0, 0, err, errlen)) == NULL)
		st = DB_ERROR;
	PQclear(steps);
	return st;
}

enum db_status
queue_claim(struct db *db, const char *worker, long lease_seconds, bool waiting, struct queue_job *out,
    bool *found, char *err, size_t errlen)
{
	char lease[24];
	const char *params[2] = { worker, lease };
	enum db_status st;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	*found = false;
	if (str_fmt(lease, sizeof(lease), "%ld", lease_seconds) != 0)
		return DB_ERROR;
	if ((r = db_exec(db, waiting ? &claim_unwait_stmt : &claim_stmt, params, &st, err, errlen)) == NULL)
		return st;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return DB_OK;
	}
	if ((st = claimed_row(db, r, 0, out, err, errlen)) == DB_OK)
		*found = true;
	PQclear(r);
	if (st != DB_OK)
		queue_job_clear(out);
	return st;
}

enum db_status
queue_claim_many(struct db *db, const char *worker, long lease_seconds, bool waiting, const char *short_flows,
    int n, struct queue_job *out, int *got, char *err, size_t errlen)
{
	char lease[24], limit[16];
	const char *params[4] = { worker, lease, limit, short_flows };
	enum db_status st = DB_OK;
	PGresult *r;
	int rows;

	*got = 0;
	memset(out, 0, (size_t)n * sizeof(*out));
	if (str_fmt(lease, sizeof(lease), "%ld", lease_seconds) != 0 || str_fmt(limit, sizeof(limit), "%d", n) != 0)
		return DB_ERROR;
	if ((r = db_exec(db, waiting ? &claim_many_unwait_stmt : &claim_many_stmt, params, &st, err, errlen)) == NULL)
		return st;
	rows = PQntuples(r);
	for (int i = 0; i < rows && i < n && st == DB_OK; i++)
		if ((st = claimed_row(db, r, i, &out[i], err, errlen)) == DB_OK)
			++*got;
	PQclear(r);
	if (st != DB_OK) /* the rows read are claimed: the caller hands them back (or their leases expire) */
		queue_job_clear(&out[*got]);
	return st;
}

enum db_status
queue_release_owned(struct db *db, const char *worker, int *n, char *err, size_t errlen)
{
	const char *params[1] = { worker };
	enum db_status st;
	PGresult *r = db_exec(db, &release_owned_stmt, params, &st, err, errlen);

	*n = 0;
	if (r == NULL)
		return st;
	*n = PQntuples(r);
	for (int i = 0; i < *n; i++)
		log_warn("job %s: claimed by %s when the connection was lost; handed back", PQgetvalue(r, i, 0), worker);
	PQclear(r);
	return DB_OK;
}

enum db_status
queue_extend(struct db *db, const char *job_id, const char *token, long lease_seconds, bool *ours, char *err,
    size_t errlen)
{
	char lease[24];
	const char *params[3] = { NULL, NULL, lease };
	struct fence f = { job_id, token };

	*ours = false;
	if (str_fmt(lease, sizeof(lease), "%ld", lease_seconds) != 0)
		return DB_ERROR;
	return row_write(db, &extend_stmt, &f, params, ours, err, errlen);
}

static enum queue_step_status
step_status_parse(const char *s)
{
	for (int i = QUEUE_STEP_RUNNING; i < QUEUE_STEP__MAX; i++)
		if (strcmp(step_status_names[i], s) == 0)
			return (enum queue_step_status)i;
	return QUEUE_STEP_NONE;
}

/* One element of job->steps, [index, status, result], into steps[]; elements of steps this flow no
 * longer has are skipped. -1 when it is not of that shape. */
static int
step_of(json_object *e, struct queue_step *steps, int nsteps)
{
	json_object *idx, *status, *result;
	int i;

	if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) != 3)
		return -1;
	idx = json_object_array_get_idx(e, 0);
	status = json_object_array_get_idx(e, 1);
	result = json_object_array_get_idx(e, 2);
	if (!json_object_is_type(idx, json_type_int) || !json_object_is_type(status, json_type_string))
		return -1;
	i = json_object_get_int(idx);
	if (i < 0 || i >= nsteps)
		return 0;
	steps[i].status = step_status_parse(json_object_get_string(status));
	steps[i].result = json_object_get(result);
	return 0;
}

int
queue_steps_of(const struct queue_job *job, struct queue_step *steps, int nsteps, char *err, size_t errlen)
{
	size_t n;

	memset(steps, 0, (size_t)nsteps * sizeof(*steps));
	if (job->steps == NULL)
		return 0;
	if (!json_object_is_type(job->steps, json_type_array))
		goto bad;
	n = json_object_array_length(job->steps);
	for (size_t i = 0; i < n; i++)
		if (step_of(json_object_array_get_idx(job->steps, i), steps, nsteps) != 0)
			goto bad;
	return 0;
bad:
	queue_steps_free(steps, nsteps);
	(void)str_fmt(err, errlen, "job %s: its step rows cannot be read", job->id);
	return -1;
}

void
queue_steps_free(struct queue_step *steps, int nsteps)
{
	for (int i = 0; i < nsteps; i++) {
		json_object_put(steps[i].result);
		steps[i] = (struct queue_step){ QUEUE_STEP_NONE, NULL };
	}
}

/* index, the attempt and the seconds since the step started as text for a statement's parameters. */
static int
step_params(const struct queue_job *job, int index, double started_ago, char *idx, char *attempt, char *ago)
{
	return str_fmt(idx, 16, "%d", index) != 0 || str_fmt(attempt, 16, "%d", job->attempt) != 0 ||
	    str_fmt(ago, 32, "%.3f", started_ago < 0 ? 0.0 : started_ago) != 0 ? -1 : 0;
}

enum db_status
queue_step_save(struct db *db, const struct queue_job *job, int index, const char *name,
    enum queue_step_status status, json_object *result, const char *error, double started_ago, json_object *figures,
    enum fence_result *res, char *cancel, size_t cancellen, char *err, size_t errlen)
{
	char idx[16], attempt[16], ago[32];
	const char *params[10];
	struct fence f = { job->id, job->lease_token };

	*res = FENCE_LOST;
	if (status <= QUEUE_STEP_NONE || status >= QUEUE_STEP__MAX ||
	    step_params(job, index, started_ago, idx, attempt, ago) != 0)
		return DB_ERROR;
	params[2] = idx;
	params[3] = name;
	params[4] = step_status_names[status];
	params[5] = result ? json_text(result, NULL) : NULL;
	params[6] = error;
	params[7] = attempt;
	params[8] = ago;
	params[9] = figures_param(figures);
	return fence_exec_cancel(db, &step_save_stmt, &f, params, res, cancel, cancellen, err, errlen);
}

enum db_status
queue_complete_step(struct db *db, const struct queue_job *job, int index, const char *name, json_object *result,
    double started_ago, json_object *figures, bool *ours, char *err, size_t errlen)
{
	char idx[16], attempt[16], ago[32];
	const char *params[8] = { NULL, NULL, idx, name, result ? json_text(result, NULL) : NULL, attempt, ago,
		figures_param(figures) };
	struct fence f = { job->id, job->lease_token };
	enum fence_result res = FENCE_LOST;
	enum db_status st;

	*ours = false;
	if (step_params(job, index, started_ago, idx, attempt, ago) != 0)
		return DB_ERROR;
	if ((st = fence_exec(db, &complete_step_stmt, &f, params, &res, err, errlen)) == DB_OK)
		*ours = res != FENCE_LOST;
	return st;
}

enum db_status
queue_complete(struct db *db, const struct queue_job *job, json_object *result, bool *ours, char *err,
    size_t errlen)
{
	const char *params[3] = { NULL, NULL, result ? json_text(result, NULL) : NULL };
	struct fence f = { job->id, job->lease_token };

	return row_write(db, &complete_stmt, &f, params, ours, err, errlen);
}

enum db_status
queue_fail(struct db *db, const struct queue_job *job, const char *error, bool *ours, char *err, size_t errlen)
{
	const char *params[3] = { NULL, NULL, error };
	struct fence f = { job->id, job->lease_token };

	return row_write(db, &fail_stmt, &f, params, ours, err, errlen);
}

enum db_status
queue_requeue(struct db *db, const struct queue_job *job, enum queue_requeue how, double delay_seconds,
    const char *error, bool *ours, char *err, size_t errlen)
{
	char delay[32];
	const char *params[6] = { NULL, NULL, how == QUEUE_RETRY ? "retry" : "pending", delay, error,
		how == QUEUE_RETRY ? "0" : "1" };
	struct fence f = { job->id, job->lease_token };

	*ours = false;
	if (str_fmt(delay, sizeof(delay), "%.3f", delay_seconds < 0 ? 0.0 : delay_seconds) != 0)
		return DB_ERROR;
	return row_write(db, &requeue_stmt, &f, params, ours, err, errlen);
}

enum db_status
queue_age(struct db *db, const struct priority_params *p, int *n, char *err, size_t errlen)
{
	char per[16], cap[16];
	const char *params[2] = { per, cap };
	enum db_status st;
	PGresult *r;
	long gate = 0, aged = 0;

	*n = -1;
	if (!p->age_boost)
		return DB_OK;
	if (str_fmt(per, sizeof(per), "%d", p->per_minutes) != 0 || str_fmt(cap, sizeof(cap), "%d", p->cap) != 0)
		return DB_ERROR;
	if ((r = db_exec(db, &age_stmt, params, &st, err, errlen)) == NULL)
		return st;
	if (PQntuples(r) == 1 && str_to_long(PQgetvalue(r, 0, 0), 0, 1, &gate) == 0 &&
	    str_to_long(PQgetvalue(r, 0, 1), 0, 0x7fffffffL, &aged) == 0 && gate == 1)
		*n = (int)aged;
	PQclear(r);
	return DB_OK;
}

const char *
queue_claim_sql(void)
{
	return claim_stmt.sql;
}

const char *
queue_complete_step_sql(void)
{
	return complete_step_stmt.sql;
}

double
queue_backoff(int attempt, double base, double max, double unit_random)
{
	double d = base * pow(2.0, attempt > 1 ? attempt - 1 : 0);

	if (d > max)
		d = max;
	return d / 2.0 + d / 2.0 * unit_random;
}

static const struct db_stmt adopt_stmt = {
	"queue_adopt",
	"INSERT INTO jobs AS j (id, flow, tenant_id, video_id, parameters, metadata, priority, base_priority, status,"
	"  attempt, max_attempts, lease_owner, lease_token, lease_expires_at, started_at, backend)"
	" VALUES ($1::uuid, $2, $3, NULLIF($4, ''), $5::jsonb, $6::jsonb, $7::int, $7::int, 'running', 1, $8::int, $9,"
	"  gen_random_uuid(), now() + make_interval(secs => $10::int), now(), 'prefect')"
	" ON CONFLICT (id) DO UPDATE SET status = 'running', attempt = j.attempt + 1, lease_owner = $9,"
	"  lease_token = gen_random_uuid(), lease_expires_at = now() + make_interval(secs => $10::int),"
	"  started_at = COALESCE(j.started_at, now()), finished_at = NULL, updated_at = now()"
	"  WHERE j.backend = 'prefect' AND (j.status <> 'running' OR j.lease_expires_at < now())"
	JOB_RETURNING STEP_ROWS_OF("j.id") " AS steps",
	10, false
};

enum db_status
queue_adopt(struct db *db, const char *id, const char *flow, const char *tenant_id, const char *video_id,
    json_object *parameters, json_object *metadata, int priority, int max_attempts, const char *worker,
    long lease_seconds, struct queue_job *out, bool *found, char *err, size_t errlen)
{
	char prio[16], maxa[16], lease[24];
	const char *params[10] = { id, flow, tenant_id, video_id ? video_id : "",
		json_object_to_json_string_ext(parameters, JSON_C_TO_STRING_PLAIN),
		json_object_to_json_string_ext(metadata, JSON_C_TO_STRING_PLAIN), prio, maxa, worker, lease };
	enum db_status st;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	*found = false;
	if (str_fmt(prio, sizeof(prio), "%d", priority) != 0 || str_fmt(maxa, sizeof(maxa), "%d", max_attempts) != 0 ||
	    str_fmt(lease, sizeof(lease), "%ld", lease_seconds) != 0)
		return DB_ERROR;
	if ((r = db_exec(db, &adopt_stmt, params, &st, err, errlen)) == NULL)
		return st;
	if (PQntuples(r) == 1 && (st = job_of_row(r, 0, true, out, err, errlen)) == DB_OK)
		*found = true;
	PQclear(r);
	if (st != DB_OK)
		queue_job_clear(out);
	return st;
}

static const struct db_stmt cancel_stmt = {
	"queue_cancel",
	"WITH " FENCE_CTE ", w AS ("
	"  UPDATE jobs SET status = 'cancelled', error_message = $3, finished_at = now(), updated_at = now(),"
	"    " LEASE_CLEARED
	"  WHERE id = $1::uuid AND EXISTS (SELECT 1 FROM lease) RETURNING 1)" FENCE_ANSWER,
	3, false
};

enum db_status
queue_cancel(struct db *db, const struct queue_job *job, const char *why, bool *ours, char *err, size_t errlen)
{
	const char *params[3] = { NULL, NULL, why };
	struct fence f = { job->id, job->lease_token };

	return row_write(db, &cancel_stmt, &f, params, ours, err, errlen);
}

static const struct db_stmt peek_stmt = {
	"queue_peek",
	"SELECT id, flow, status, attempt, COALESCE(video_id, ''),"
	"  CASE WHEN $3::bool THEN " AGED_PRIORITY " ELSE priority END AS p"
	" FROM jobs WHERE status IN ('pending', 'retry') AND backend = 'local' AND run_after <= now()"
	" ORDER BY p DESC, age_anchor, id LIMIT $4::int",
	4, true
};

enum db_status
queue_peek(struct db *db, const struct priority_params *p, int limit,
    void (*fn)(void *arg, const struct queue_waiting *w), void *arg, char *err, size_t errlen)
{
	char per[16], cap[16], lim[16];
	const char *params[4] = { per, cap, p->age_boost ? "true" : "false", lim };
	enum db_status st;
	PGresult *r;

	if (str_fmt(per, sizeof(per), "%d", p->per_minutes) != 0 || str_fmt(cap, sizeof(cap), "%d", p->cap) != 0 ||
	    str_fmt(lim, sizeof(lim), "%d", limit) != 0)
		return DB_ERROR;
	if ((r = db_exec(db, &peek_stmt, params, &st, err, errlen)) == NULL)
		return st;
	for (int i = 0; i < PQntuples(r); i++) {
		struct queue_waiting w = { PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			PQgetvalue(r, i, 4), 0, 0 };
		long v;

		if (str_to_long(PQgetvalue(r, i, 3), 0, 1000000, &v) == 0)
			w.attempt = (int)v;
		if (str_to_long(PQgetvalue(r, i, 5), -1000000, 1000000, &v) == 0)
			w.priority = (int)v;
		fn(arg, &w);
	}
	PQclear(r);
	return DB_OK;
}

/* $1 worker $2 lease seconds $3 backend. Up to QUEUE_TAKE_BATCH expired rows, oldest expiry first. */
#define QUEUE_TAKE_BATCH "20"
/* Leaves started_at as it is: the job was not started, and what takes it only ends it (job_end_taken)
 * and writes no step rows, which the claim relies on (CLAIM_RETURNING). */
static const struct db_stmt take_waiting_stmt = {
	"queue_take_waiting",
	"UPDATE jobs SET status = 'running', lease_owner = $2, lease_token = gen_random_uuid(),"
	"  lease_expires_at = now() + make_interval(secs => $3::int), updated_at = now()"
	" WHERE id = $1::uuid AND status IN ('pending', 'retry') AND backend = 'local'"
	" RETURNING id, flow, tenant_id, COALESCE(video_id, ''), parameters, metadata, attempt, max_attempts,"
	"   priority, lease_token",
	3, false
};

enum db_status
queue_take_waiting(struct db *db, const char *id, const char *worker, long lease_seconds, struct queue_job *out,
    bool *found, char *err, size_t errlen)
{
	char lease[24];
	const char *params[3] = { id, worker, lease };
	enum db_status st;
	PGresult *r;

	*found = false;
	memset(out, 0, sizeof(*out));
	if (str_fmt(lease, sizeof(lease), "%ld", lease_seconds) != 0) {
		(void)str_fmt(err, errlen, "lease too long");
		return DB_ERROR;
	}
	if ((r = db_exec(db, &take_waiting_stmt, params, &st, err, errlen)) == NULL)
		return st;
	if (PQntuples(r) == 1 && (st = job_of_row(r, 0, false, out, err, errlen)) == DB_OK)
		*found = true;
	PQclear(r);
	if (st != DB_OK)
		queue_job_clear(out);
	return st;
}

static const struct db_stmt take_expired_stmt = {
	"queue_take_expired",
	"WITH expired AS (SELECT id, lease_owner FROM jobs WHERE backend = $3 AND status = 'running'"
	"  AND lease_expires_at < now() ORDER BY lease_expires_at LIMIT " QUEUE_TAKE_BATCH " FOR UPDATE SKIP LOCKED)"
	" UPDATE jobs j SET lease_owner = $1, lease_token = gen_random_uuid(),"
	"  lease_expires_at = now() + make_interval(secs => $2::int), updated_at = now()"
	" FROM expired e WHERE j.id = e.id"
	" RETURNING j.id, j.flow, j.tenant_id, COALESCE(j.video_id, ''), j.parameters, j.metadata, j.attempt,"
	"   j.max_attempts, j.priority, j.lease_token, COALESCE(e.lease_owner, '?')",
	3, false
};

enum db_status
queue_take_expired(struct db *db, const char *backend, const char *worker, long lease_seconds,
    void (*fn)(void *arg, struct queue_job *job, const char *previous_owner), void *arg, int *n, char *err,
    size_t errlen)
{
	char lease[24];
	const char *params[3] = { worker, lease, backend };
	enum db_status st;
	PGresult *r;

	*n = 0;
	if (str_fmt(lease, sizeof(lease), "%ld", lease_seconds) != 0)
		return DB_ERROR;
	if ((r = db_exec(db, &take_expired_stmt, params, &st, err, errlen)) == NULL)
		return st;
	for (int i = 0; i < PQntuples(r); i++) {
		struct queue_job job = { 0 };

		if (job_of_row(r, i, false, &job, err, errlen) == DB_OK) {
			fn(arg, &job, PQgetvalue(r, i, 10));
			++*n;
		} else
			log_warn("job %s: an expired row that cannot be read: %s", PQgetvalue(r, i, 0), err);
		queue_job_clear(&job);
	}
	PQclear(r);
	return DB_OK;
}

static const struct db_stmt mark_cancelled_stmt = {
	"queue_mark_cancelled",
	"UPDATE jobs SET status = 'cancelled', error_message = $2, finished_at = COALESCE(finished_at, now()),"
	"  updated_at = now(), " LEASE_CLEARED
	" WHERE id = $1 AND backend = 'prefect' AND status <> 'running'",
	2, true
};

enum db_status
queue_mark_cancelled(struct db *db, const char *id, const char *why, char *err, size_t errlen)
{
	const char *params[2] = { id, why };
	enum db_status st;
	PGresult *r;

	if ((r = db_exec(db, &mark_cancelled_stmt, params, &st, err, errlen)) == NULL)
		return st;
	PQclear(r);
	return DB_OK;
}

/* The enqueue lock of sql/008_wakeups.sql ('CAEQ'): every enqueue holds it shared until it commits. */
#define QUEUE_ENQUEUE_LOCK "1128351057"

static const struct db_stmt wait_register_stmt = {
	"queue_wait_register",
	"INSERT INTO queue_waiters (worker, pid) VALUES ($1, pg_backend_pid())"
	" ON CONFLICT (worker) DO UPDATE SET pid = EXCLUDED.pid, since = now()",
	1, true
};
/* Its own transaction, after the registration committed: waits for the enqueues that may not have seen it. */
static const struct db_stmt wait_settle_stmt = {
	"queue_wait_settle", "SELECT pg_advisory_xact_lock(" QUEUE_ENQUEUE_LOCK ")", 0, true
};
static const struct db_stmt wait_unregister_stmt = {
	"queue_wait_unregister", "DELETE FROM queue_waiters WHERE worker = $1", 1, true
};
static const struct db_stmt waiters_prune_stmt = {
	"queue_waiters_prune",
	"DELETE FROM queue_waiters w WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = w.pid)",
	0, true
};

/* Runs stmt for its effect. */
static enum db_status
exec_only(struct db *db, const struct db_stmt *stmt, const char *const *params, char *err, size_t errlen)
{
	enum db_status st;
	PGresult *r = db_exec(db, stmt, params, &st, err, errlen);

	PQclear(r);
	return r == NULL ? st : DB_OK;
}

enum db_status
queue_wait_register(struct db *db, const char *worker, char *err, size_t errlen)
{
	const char *params[1] = { worker };
	enum db_status st;

	if ((st = exec_only(db, &wait_register_stmt, params, err, errlen)) != DB_OK)
		return st;
	return exec_only(db, &wait_settle_stmt, NULL, err, errlen);
}

enum db_status
queue_wait_unregister(struct db *db, const char *worker, char *err, size_t errlen)
{
	const char *params[1] = { worker };

	return exec_only(db, &wait_unregister_stmt, params, err, errlen);
}

enum db_status
queue_waiters_prune(struct db *db, char *err, size_t errlen)
{
	return exec_only(db, &waiters_prune_stmt, NULL, err, errlen);
}
