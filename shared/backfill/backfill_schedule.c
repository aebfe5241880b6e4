/* backfill_schedule.c: the scheduling call (see backfill_schedule.h): take a month -> queue its videos ->
 * record it, one transaction per month; a failed hand-over is rolled back and recorded; then the sweep
 * completes months whose last job ended elsewhere. */
#include "shared/backfill/backfill_schedule.h"

#include "shared/backfill/backfill_complete.h"
#include "shared/backfill/backfill_log.h"
#include "shared/log.h"
#include "shared/str.h"

#include <stdlib.h>
#include <string.h>

#define BACKFILL_MONTH_MAX 8   /* "YYYY-MM" */
#define STR_(x) #x
#define STR(x) STR_(x)

/* The candidates, newest first: $1 force_retry $2 from year $3 to year $4 months taken by this call
 * (year * 100 + month). */
#define CANDIDATES \
	" FROM backfill_log l WHERE (l.status IN ('pending', 'retry') OR ($1::bool AND l.status = 'failed'))" \
	" AND l.year BETWEEN $2::int AND $3::int AND NOT ((l.year * 100 + l.month) = ANY ($4::int[]))" \
	" ORDER BY l.year DESC, l.month DESC"
/* The videos of month ($Y, $M): created in it (UTC), past uploading. */
#define MONTH_VIDEOS(Y, M) \
	" v.created_at >= make_date(" Y "::int, " M "::int, 1)::timestamp AT TIME ZONE 'UTC'" \
	" AND v.created_at < (make_date(" Y "::int, " M "::int, 1) + interval '1 month') AT TIME ZONE 'UTC'" \
	" AND v.status <> 'uploading'"

static const struct db_stmt take_stmt = {
	"backfill_take",
	"SELECT l.year, l.month, l.pipeline_version" CANDIDATES " LIMIT 1 FOR UPDATE OF l SKIP LOCKED",
	4, false
};

static const struct db_stmt dry_stmt = {
	"backfill_dry",
	"SELECT l.year, l.month, l.status, l.retry_count,"
	"  (SELECT count(*) FROM videos v WHERE" MONTH_VIDEOS("l.year", "l.month") ")" CANDIDATES " LIMIT $5::int",
	5, true
};

static const struct db_stmt videos_stmt = {
	"backfill_videos",
	"SELECT v.id, v.tenant_id, v.storage_key FROM videos v WHERE" MONTH_VIDEOS("$1", "$2")
	" ORDER BY v.created_at, v.id",
	2, false
};

static const struct db_stmt job_stmt = {
	"backfill_job",
	"INSERT INTO backfill_jobs (job_id, year, month, video_id) VALUES ($1::uuid, $2::int, $3::int, $4)"
	" ON CONFLICT (job_id) DO NOTHING",
	4, false
};

/* $1 year $2 month $3 found $4 queued $5 batch size. Nothing queued: completed at once. */
static const struct db_stmt record_stmt = {
	"backfill_record",
	"UPDATE backfill_log SET status = CASE WHEN $4::int = 0 THEN 'completed' ELSE 'processing' END,"
	"  started_at = now(), completed_at = CASE WHEN $4::int = 0 THEN now() END, videos_found = $3::int,"
	"  videos_queued = $4::int, videos_completed = 0, videos_failed = CASE WHEN $4::int = 0 THEN $3::int ELSE 0 END,"
	"  success_rate = 0, batch_size = $5::int, error_message = NULL, updated_at = now()"
	" WHERE year = $1::int AND month = $2::int RETURNING " BACKFILL_LOG_COLUMNS,
	5, false
};

/* $1 year $2 month $3 error */
static const struct db_stmt failure_stmt = {
	"backfill_failure",
	"UPDATE backfill_log SET retry_count = retry_count + 1,"
	"  status = CASE WHEN retry_count + 1 >= " STR(BACKFILL_MAX_RETRIES) " THEN 'failed' ELSE 'retry' END,"
	"  error_message = $3, last_retry_at = now(), completed_at = NULL, updated_at = now()"
	" WHERE year = $1::int AND month = $2::int RETURNING " BACKFILL_LOG_COLUMNS,
	3, false  /* counts: never run twice */
};

/* One month being handed over. */
struct month {
	char year[8], month[8];     /* as text, for statements */
	char name[BACKFILL_MONTH_MAX];  /* "YYYY-MM" */
	long pipeline_version;
	int found, queued;
};

/* One call's state. */
struct schedule {
	struct intake *in;
	const struct backfill_schedule_req *req;
	char force[8], from[8], to[8];
	char taken[512];            /* "{202403,202402}": months this call took */
	char batch[8];
	json_object *months;        /* the answer's rows */
	int scheduled, failed;
};

static enum db_status
script(struct schedule *s, const char *sql, char *err, size_t errlen)
{
	return db_script(s->in->db, sql, err, errlen);
}

static void
rollback(struct schedule *s)
{
	char ignored[256];

	if (db_is_connected(s->in->db))
		(void)script(s, "ROLLBACK", ignored, sizeof(ignored));
}

/* BEGIN and lock the next candidate month (none: *found false, transaction closed). */
static enum db_status
take(struct schedule *s, struct month *m, bool *found, char *err, size_t errlen)
{
	const char *params[4] = { s->force, s->from, s->to, s->taken };
	enum db_status st;
	PGresult *r;
	long y, mo;

	*found = false;
	if ((st = script(s, "BEGIN", err, errlen)) != DB_OK)
		return st;
	if ((r = db_exec(s->in->db, &take_stmt, params, &st, err, errlen)) == NULL) {
		rollback(s);
		return st;
	}
	if (PQntuples(r) == 1 && str_to_long(PQgetvalue(r, 0, 0), 1970, 9999, &y) == 0 &&
	    str_to_long(PQgetvalue(r, 0, 1), 1, 12, &mo) == 0 &&
	    str_to_long(PQgetvalue(r, 0, 2), 1, 1000000, &m->pipeline_version) == 0) {
		*found = true;
		(void)str_fmt(m->year, sizeof(m->year), "%ld", y);
		(void)str_fmt(m->month, sizeof(m->month), "%ld", mo);
		(void)str_fmt(m->name, sizeof(m->name), "%04ld-%02ld", y, mo);
		/* The list grows by at most BACKFILL_BATCH_MAX entries of 7 characters. */
		(void)str_fmt(s->taken + strlen(s->taken) - 1, sizeof(s->taken) - strlen(s->taken) + 1, "%s%ld}",
		    strlen(s->taken) > 2 ? "," : "", y * 100 + mo);
	}
	PQclear(r);
	if (!*found)
		return script(s, "COMMIT", err, errlen);
	return DB_OK;
}

/* Queues one video of m (a row of videos_stmt) and remembers its job. A row the API would refuse is
 * skipped (counted found, not queued). -1 with why when the hand-over must fail. */
static int
queue_video(struct schedule *s, struct month *m, PGresult *r, int i, char *why, size_t whylen)
{
	json_object *obj = json_object_new_object();
	struct flow_params p = { 0 };
	struct intake_answer ans = { 0 };
	struct intake_request ir;
	char key[INTAKE_KEY_MAX + 1], bad[300];
	const char *params[4];
	enum db_status st;
	PGresult *done;
	int rc = -1;

	json_object_object_add(obj, "video_id", json_object_new_string(PQgetvalue(r, i, 0)));
	json_object_object_add(obj, "tenant_id", json_object_new_string(PQgetvalue(r, i, 1)));
	json_object_object_add(obj, "storage_key", json_object_new_string(PQgetvalue(r, i, 2)));
	if (params_parse(FLOW_VIDEO_INITIAL_PROCESSING, obj, &p, bad, sizeof(bad)) != 0) {
		log_warn("backfill %s: video %.128s skipped: %s", m->name, PQgetvalue(r, i, 0), bad);
		rc = 0;
		goto out;
	}
	if (str_fmt(key, sizeof(key), "backfill:v%ld:%s:%s", m->pipeline_version, m->name, p.video_id) != 0) {
		(void)str_fmt(why, whylen, "idempotency key too long");
		goto out;
	}
	ir = (struct intake_request){ .params = &p, .triggered_by = "backfill", .priority =
		(int)s->in->cfg->backfill_priority, .idempotency_key = key, .backfill = m->name };
	if (intake_submit(s->in, &ir, &ans) != INTAKE_OK) {
		(void)str_fmt(why, whylen, "video %s: %s", p.video_id, ans.error);
		goto out;
	}
	params[0] = ans.id, params[1] = m->year, params[2] = m->month, params[3] = p.video_id;
	if ((done = db_exec(s->in->db, &job_stmt, params, &st, why, whylen)) == NULL)
		goto out;
	PQclear(done);
	m->queued++;
	rc = 0;
out:
	intake_answer_free(&ans);
	params_free(&p);
	json_object_put(obj);
	return rc;
}

/* Queues every video of m; -1 with why on the first that fails. */
static int
queue_month(struct schedule *s, struct month *m, char *why, size_t whylen)
{
	const char *params[2] = { m->year, m->month };
	enum db_status st;
	PGresult *r;
	int rc = 0;

	if ((r = db_exec(s->in->db, &videos_stmt, params, &st, why, whylen)) == NULL)
		return -1;
	m->found = PQntuples(r);
	for (int i = 0; rc == 0 && i < m->found; i++)
		rc = queue_video(s, m, r, i, why, whylen);
	PQclear(r);
	return rc;
}

/* Runs a statement returning one backfill_log row (BACKFILL_LOG_COLUMNS) and adds it to the answer. */
static int
add_row(struct schedule *s, const struct db_stmt *stmt, const char *const *params, char *err, size_t errlen)
{
	enum db_status st;
	PGresult *r;

	if ((r = db_exec(s->in->db, stmt, params, &st, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 1)
		json_object_array_add(s->months, backfill_log_row_json(r, 0));
	PQclear(r);
	return 0;
}

/* Records m as handed over and commits; -1 with why (the transaction is then still to roll back). */
static int
record(struct schedule *s, struct month *m, char *why, size_t whylen)
{
	char found[16], queued[16];
	const char *params[5] = { m->year, m->month, found, queued, s->batch };
	size_t before = json_object_array_length(s->months);
	PGconn *c;

	(void)str_fmt(found, sizeof(found), "%d", m->found);
	(void)str_fmt(queued, sizeof(queued), "%d", m->queued);
	if (add_row(s, &record_stmt, params, why, whylen) != 0)
		return -1;
	/* A connection lost and re-opened meanwhile would commit nothing of ours: refuse. */
	if ((c = db_conn(s->in->db)) == NULL || PQtransactionStatus(c) != PQTRANS_INTRANS ||
	    script(s, "COMMIT", why, whylen) != DB_OK) {
		if (json_object_array_length(s->months) > before)
			json_object_array_del_idx(s->months, before, 1);
		if (why[0] == '\0')
			(void)str_fmt(why, whylen, "the database connection was lost during the hand-over");
		return -1;
	}
	log_info("backfill %s handed over: %d of %d videos queued", m->name, m->queued, m->found);
	return 0;
}

/* The hand-over failed: nothing of it stays; the month counts a retry. */
static int
record_failure(struct schedule *s, struct month *m, const char *why, char *err, size_t errlen)
{
	const char *params[3] = { m->year, m->month, why };

	rollback(s);
	log_warn("backfill %s: hand-over failed: %s", m->name, why);
	return add_row(s, &failure_stmt, params, err, errlen);
}

/* Takes and hands over months until batch_size or no candidate is left. */
static enum db_status
take_months(struct schedule *s, char *err, size_t errlen)
{
	for (int i = 0; i < s->req->batch_size; i++) {
		struct month m = { .found = 0 };
		char why[700] = "";
		enum db_status st;
		bool found;

		if ((st = take(s, &m, &found, err, errlen)) != DB_OK)
			return st;
		if (!found)
			break;
		if (queue_month(s, &m, why, sizeof(why)) == 0 && record(s, &m, why, sizeof(why)) == 0) {
			s->scheduled++;
			continue;
		}
		s->failed++;
		if (record_failure(s, &m, why[0] ? why : "hand-over failed", err, errlen) != 0)
			return DB_UNAVAILABLE;
	}
	return DB_OK;
}

/* What a scheduling call would take, with each month's videos; changes nothing. */
static enum db_status
dry_run(struct schedule *s, char *err, size_t errlen)
{
	const char *params[5] = { s->force, s->from, s->to, s->taken, s->batch };
	enum db_status st;
	PGresult *r;

	if ((r = db_exec(s->in->db, &dry_stmt, params, &st, err, errlen)) == NULL)
		return st;
	for (int i = 0; i < PQntuples(r); i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "year", json_object_new_int64(strtoll(PQgetvalue(r, i, 0), NULL, 10)));
		json_object_object_add(o, "month", json_object_new_int64(strtoll(PQgetvalue(r, i, 1), NULL, 10)));
		json_object_object_add(o, "status", json_object_new_string(PQgetvalue(r, i, 2)));
		json_object_object_add(o, "retry_count", json_object_new_int64(strtoll(PQgetvalue(r, i, 3), NULL, 10)));
		json_object_object_add(o, "videos_found", json_object_new_int64(strtoll(PQgetvalue(r, i, 4), NULL, 10)));
		json_object_array_add(s->months, o);
	}
	PQclear(r);
	return DB_OK;
}

enum db_status
backfill_schedule_run(struct intake *in, const struct backfill_schedule_req *req, json_object **answer,
    char *err, size_t errlen)
{
	struct schedule s = { .in = in, .req = req, .taken = "{}" };
	enum db_status st;
	int swept = 0;
	json_object *o;

	*answer = NULL;
	(void)str_fmt(s.force, sizeof(s.force), "%s", req->force_retry ? "true" : "false");
	(void)str_fmt(s.from, sizeof(s.from), "%d", req->from_year);
	(void)str_fmt(s.to, sizeof(s.to), "%d", req->to_year);
	(void)str_fmt(s.batch, sizeof(s.batch), "%d", req->batch_size);
	s.months = json_object_new_array();
	if ((st = req->dry_run ? dry_run(&s, err, errlen) : take_months(&s, err, errlen)) != DB_OK ||
	    (!req->dry_run && (st = backfill_complete_sweep(in->db, &swept, err, errlen)) != DB_OK)) {
		json_object_put(s.months);
		return st;
	}
	o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "dry_run", json_object_new_boolean(req->dry_run));
	json_object_object_add(o, req->dry_run ? "would_schedule" : "scheduled",
	    json_object_new_int(req->dry_run ? (int)json_object_array_length(s.months) : s.scheduled));
	if (!req->dry_run) {
		json_object_object_add(o, "failed", json_object_new_int(s.failed));
		json_object_object_add(o, "completed_months", json_object_new_int(swept));
	}
	if (json_object_array_length(s.months) == 0)
		json_object_object_add(o, "message", json_object_new_string("No months to schedule"));
	json_object_object_add(o, "months", s.months);
	*answer = o;
	return DB_OK;
}
