/* test_backfill.c: reprocessing history month by month (SPEC §9, issue 13), through real nginx and
 * spawn-fcgi'd captionacc-fcgi on a throwaway PostgreSQL (started by backfill.sh, QUEUE_BACKEND=local,
 * CRON_SECRET "cron-now,cron-before", the Modal test double for the runner). Every case of
 * ../shared/seeds/backfill-scheduler-tests.md has a counterpart here, named in its comment as
 * [category n] (books/isbns there are videos found/queued/completed/failed here): the jobs a month is
 * handed over as (flow, parameters, priority, metadata, idempotency key naming the pipeline version, the
 * month and the video), status transitions, retries of a failed hand-over up to 5 then failed and
 * excluded, five schedulers at once (no month or video twice), month completion by the runner with its
 * counts and success rate (and exactly once when many finish the month's jobs at the same moment), the
 * edge cases (X-Cron-Secret, batch_size bounds, empty list, dry run, year range, default range newest
 * first, force_retry, order), stats, seeding, the runner draining backfill jobs (a GPU function that keeps
 * failing still completes the month), and live work claimed before backfill work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/backfill/backfill_complete.h"
#include "shared/config.h"
#include "shared/db.h"
#include "tests/integration/support.h"

#define SECRET "cron-now"
#define OLD_SECRET "cron-before"
#define SEED "/api/internal/seed-backfill-queue"
#define SCHEDULE "/api/internal/schedule-backfill"
#define STATS "/api/internal/backfill-stats"

static const char *base_url;
static PGconn *pg;

/* One request with X-Cron-Secret secret (NULL: none); returns the status, the reply in c. */
static long
call(const char *method, const char *path, const char *secret, const char *body, struct http_call *c)
{
	static char url[512], hdr[300];
	static const char *headers[2] = { hdr, NULL };

	snprintf(url, sizeof(url), "%s%s", base_url, path);
	memset(c, 0, sizeof(*c));
	c->method = method;
	c->url = url;
	c->body = body;
	c->body_len = body ? strlen(body) : 0;
	if (secret != NULL) {
		snprintf(hdr, sizeof(hdr), "X-Cron-Secret: %s", secret);
		c->headers = headers;
	}
	return http_one(c);
}

/* Calls and expects status; returns the JSON answer (caller puts). */
static json_object *
expect(const char *method, const char *path, const char *secret, const char *body, long status)
{
	struct http_call c;
	json_object *o;

	if (call(method, path, secret, body, &c) != status)
		fail_msg("%s %s %s: %ld, want %ld: %s", method, path, body ? body : "", c.reply.status, status,
		    c.reply.body ? c.reply.body : "");
	o = support_reply_json(&c);
	http_reply_free(&c.reply);
	return o;
}

static json_object *
schedule(const char *body)
{
	return expect("POST", SCHEDULE, SECRET, body, 200);
}

/* 400 with a sentence, and nothing changed. */
static void
refused(const char *path, const char *body, const char *words)
{
	long before = support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL);
	long changed = support_sql_long(pg, "SELECT count(*) FROM backfill_log WHERE updated_at > created_at", 0, NULL);
	long rows = support_sql_long(pg, "SELECT count(*) FROM backfill_log", 0, NULL);
	json_object *o = expect("POST", path, SECRET, body, 400);

	if (strstr(support_json_str(o, "detail"), words) == NULL)
		fail_msg("%s: detail \"%s\" does not say \"%s\"", body, support_json_str(o, "detail"), words);
	json_object_put(o);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL), before);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_log WHERE updated_at > created_at", 0, NULL),
	    changed);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_log", 0, NULL), rows);
}

static long
get_int(json_object *o, const char *key)
{
	return (long)json_object_get_int64(json_object_object_get(o, key));
}

/* A backfill_log row, status and retry_count given. */
static void
month_row(int year, int month, const char *status, int retries)
{
	char y[16], m[16], r[16];
	const char *p[4] = { y, m, status, r };

	snprintf(y, sizeof(y), "%d", year);
	snprintf(m, sizeof(m), "%d", month);
	snprintf(r, sizeof(r), "%d", retries);
	support_sql_do(pg, "INSERT INTO backfill_log (year, month, status, retry_count) VALUES ($1::int, $2::int, $3,"
	    " $4::int)", 4, p);
}

/* A video of tenant-a created at ts (UTC). */
static void
video(const char *id, const char *ts)
{
	const char *p[2] = { id, ts };

	support_sql_do(pg, "INSERT INTO videos (id, tenant_id, storage_key, status, created_at) VALUES ($1, 'tenant-a',"
	    " 'tenant-a/videos/' || $1 || '.mp4', 'active', $2::timestamptz)", 2, p);
}

static long
month_long(int year, int month, const char *column_sql)
{
	char y[16], m[16], sql[300];
	const char *p[2] = { y, m };

	snprintf(y, sizeof(y), "%d", year);
	snprintf(m, sizeof(m), "%d", month);
	snprintf(sql, sizeof(sql), "SELECT %s FROM backfill_log WHERE year = $1::int AND month = $2::int", column_sql);
	return support_sql_long(pg, sql, 2, p);
}

static bool
month_is(int year, int month, const char *status)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "(status = '%s')::int", status);
	return month_long(year, month, sql) == 1;
}

/* The (year, month) of answer's months in order, as "2024-03,2024-02". */
static void
months_of(json_object *answer, char *out, size_t len)
{
	json_object *months = json_object_object_get(answer, "months");

	out[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(months); i++) {
		json_object *m = json_object_array_get_idx(months, i);

		snprintf(out + strlen(out), len - strlen(out), "%s%04ld-%02ld", i ? "," : "", get_int(m, "year"),
		    get_int(m, "month"));
	}
}

/* Runs captionacc-runner with args (the stack's settings; MODAL_EXTRACT_FRAMES_AND_OCR_URL as set). */
static void
runner(const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' %s >>'%s/runner.out' 2>&1", support_env("RUNNER"), args,
	    support_env("STACK_DIR"));
	assert_int_equal(system(cmd), 0);
}

static void
modal(const char *mode)
{
	char url[300];

	snprintf(url, sizeof(url), "%s/extract/%s", support_env("MODAL_URL"), mode);
	setenv("MODAL_EXTRACT_FRAMES_AND_OCR_URL", url, 1);
}

static int
setup(void **state)
{
	(void)state;
	if (PQtransactionStatus(pg) != PQTRANS_IDLE)  /* a test that failed inside its transaction */
		PQclear(PQexec(pg, "ROLLBACK"));
	support_sql_do(pg, "TRUNCATE backfill_log, backfill_jobs, jobs, videos, completion_log CASCADE", 0, NULL);
	modal("ok");
	return 0;
}

/* --- 1. Queue message sending: the jobs a month is handed over as ------------------------------ */

/* [1.1 correct message format] one video_initial_processing job per video of the month, with the video's
 * parameters, at BACKFILL_PRIORITY (10), status pending; videos of other months or still uploading not. */
static void
test_jobs_of_a_month(void **state)
{
	json_object *o;

	month_row(2024, 3, "pending", 0);
	video("v1", "2024-03-01 00:00:00+00");
	video("v2", "2024-03-31 23:59:59+00");
	video("v-apr", "2024-04-01 00:00:00+00");
	video("v-feb", "2024-02-29 23:59:59+00");
	video("v-up", "2024-03-10 00:00:00+00");
	support_sql_do(pg, "UPDATE videos SET status = 'uploading' WHERE id = 'v-up'", 0, NULL);
	o = schedule("{\"batch_size\":1}");
	assert_int_equal(get_int(o, "scheduled"), 1);
	json_object_put(o);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL), 2);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE flow = 'video_initial_processing'"
	    " AND video_id IN ('v1', 'v2') AND tenant_id = 'tenant-a' AND priority = 10 AND base_priority = 10"
	    " AND status = 'pending' AND parameters = jsonb_build_object('video_id', video_id, 'tenant_id', 'tenant-a',"
	    " 'storage_key', 'tenant-a/videos/' || video_id || '.mp4')", 0, NULL), 2);
}

/* [1.2 required fields: job_id, year, month, batch_size] the job names its month (metadata, tag) and its
 * key names the pipeline version, the month and the video; the month row keeps the call's batch_size. */
static void
test_job_metadata_and_key(void **state)
{
	json_object *o;

	month_row(2023, 11, "pending", 0);
	video("v1", "2023-11-15 12:00:00+00");
	o = schedule("{\"batch_size\":7}");
	json_object_put(o);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE video_id = 'v1'"
	    " AND metadata->>'triggered_by' = 'backfill' AND metadata->>'backfill' = '2023-11'"
	    " AND metadata->'tags' ? 'backfill:2023-11' AND metadata->'tags' ? 'priority:10'"
	    " AND idempotency_key = 'backfill:v1:2023-11:v1'", 0, NULL), 1);
	assert_int_equal(month_long(2023, 11, "batch_size"), 7);
}

/* [1.3 job status created before queuing] the month's jobs are remembered in backfill_jobs in the same
 * transaction that makes it processing: every job of the month is there, none is missing. */
static void
test_jobs_remembered_with_month(void **state)
{
	json_object *o;

	month_row(2022, 6, "pending", 0);
	video("a", "2022-06-01 01:00:00+00");
	video("b", "2022-06-02 01:00:00+00");
	video("c", "2022-06-03 01:00:00+00");
	o = schedule("{}");
	json_object_put(o);
	assert_true(month_is(2022, 6, "processing"));
	assert_int_equal(month_long(2022, 6, "videos_queued"), 3);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_jobs b JOIN jobs j ON j.id = b.job_id"
	    " AND j.video_id = b.video_id WHERE b.year = 2022 AND b.month = 6", 0, NULL), 3);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE id NOT IN (SELECT job_id FROM backfill_jobs)",
	    0, NULL), 0);
}

/* [1.4 variant by year: the version a month is reprocessed to] a month's keys carry its row's pipeline
 * version: a video already queued for version 1 is queued again for version 2, never twice for one. */
static void
test_pipeline_version_in_keys(void **state)
{
	json_object *o;

	month_row(2021, 1, "pending", 0);
	video("v1", "2021-01-05 00:00:00+00");
	json_object_put(schedule("{}"));
	support_sql_do(pg, "UPDATE backfill_log SET status = 'pending', pipeline_version = 2", 0, NULL);
	o = schedule("{}");
	json_object_put(o);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE idempotency_key IN"
	    " ('backfill:v1:2021-01:v1', 'backfill:v2:2021-01:v1')", 0, NULL), 2);
}

/* [1.5 variant by year: recent and old months] months of different versions scheduled in one call each
 * get their own version's keys. */
static void
test_pipeline_version_per_month(void **state)
{
	month_row(2020, 5, "pending", 0);
	month_row(2019, 5, "pending", 0);
	support_sql_do(pg, "UPDATE backfill_log SET pipeline_version = 3 WHERE year = 2019", 0, NULL);
	video("new", "2020-05-05 00:00:00+00");
	video("old", "2019-05-05 00:00:00+00");
	json_object_put(schedule("{\"batch_size\":2}"));
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE idempotency_key IN"
	    " ('backfill:v1:2020-05:new', 'backfill:v3:2019-05:old')", 0, NULL), 2);
}

/* --- 2. Status transitions ---------------------------------------------------------------------- */

/* [2.1 pending -> processing] with started_at, found and queued recorded. */
static void
test_pending_to_processing(void **state)
{
	month_row(2024, 1, "pending", 0);
	video("v1", "2024-01-10 00:00:00+00");
	json_object_put(schedule("{}"));
	assert_true(month_is(2024, 1, "processing"));
	assert_int_equal(month_long(2024, 1, "(started_at IS NOT NULL AND completed_at IS NULL)::int"), 1);
	assert_int_equal(month_long(2024, 1, "videos_found * 10 + videos_queued"), 11);
}

/* [2.2 completed_at cleared when retrying] a failed month with completed_at taken again (force_retry). */
static void
test_completed_at_cleared(void **state)
{
	month_row(2024, 2, "failed", 5);
	support_sql_do(pg, "UPDATE backfill_log SET completed_at = now() - interval '1 day'", 0, NULL);
	video("v1", "2024-02-10 00:00:00+00");
	json_object_put(schedule("{\"force_retry\":true}"));
	assert_true(month_is(2024, 2, "processing"));
	assert_int_equal(month_long(2024, 2, "(completed_at IS NULL)::int"), 1);
}

/* [2.3 last_retry_at updated for retry] a failed hand-over sets it (and it was null before). */
static void
test_last_retry_at_set(void **state)
{
	month_row(2024, 4, "pending", 0);
	video("poison", "2024-04-10 00:00:00+00");
	assert_int_equal(month_long(2024, 4, "(last_retry_at IS NULL)::int"), 1);
	json_object_put(schedule("{}"));
	assert_true(month_is(2024, 4, "retry"));
	assert_int_equal(month_long(2024, 4, "(last_retry_at > now() - interval '1 minute')::int"), 1);
}

/* [2.4 processing -> completed after the consumer finishes] the runner drains the month's jobs; the
 * last one ends the month. */
static void
test_processing_to_completed(void **state)
{
	month_row(2024, 5, "pending", 0);
	video("v1", "2024-05-01 10:00:00+00");
	video("v2", "2024-05-02 10:00:00+00");
	json_object_put(schedule("{}"));
	runner("run --max-seconds 60");
	assert_true(month_is(2024, 5, "completed"));
	assert_int_equal(month_long(2024, 5, "(completed_at IS NOT NULL)::int"), 1);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM completion_log", 0, NULL), 1);
}

/* --- 3. Error retry logic: a hand-over that fails (a job insert refused for the video "poison") --- */

/* [3.1 retry_count incremented] and nothing of the month's hand-over stays: no job of its other videos. */
static void
test_failure_counts_a_retry(void **state)
{
	json_object *o;

	month_row(2024, 6, "pending", 0);
	video("fine", "2024-06-01 00:00:00+00");
	video("poison", "2024-06-02 00:00:00+00");
	o = schedule("{}");
	assert_int_equal(get_int(o, "failed"), 1);
	assert_int_equal(get_int(o, "scheduled"), 0);
	json_object_put(o);
	assert_int_equal(month_long(2024, 6, "retry_count"), 1);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL), 0);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_jobs", 0, NULL), 0);
	assert_int_equal(month_long(2024, 6, "videos_queued"), 0);
}

/* [3.2 retry below 5] each failed hand-over of a retry month counts one more, status retry up to 4. */
static void
test_retry_below_five(void **state)
{
	month_row(2024, 7, "pending", 0);
	video("poison", "2024-07-02 00:00:00+00");
	for (int i = 1; i <= 4; i++) {
		json_object_put(schedule("{}"));
		assert_int_equal(month_long(2024, 7, "retry_count"), i);
		assert_true(month_is(2024, 7, "retry"));
	}
}

/* [3.3 failed at 5] the fifth failure makes the month failed. */
static void
test_failed_at_five(void **state)
{
	month_row(2024, 8, "retry", 4);
	video("poison", "2024-08-02 00:00:00+00");
	json_object_put(schedule("{}"));
	assert_int_equal(month_long(2024, 8, "retry_count"), 5);
	assert_true(month_is(2024, 8, "failed"));
}

/* [3.4 error_message stored] naming the video and the database's reason. */
static void
test_error_message_stored(void **state)
{
	json_object *o, *m;

	month_row(2024, 9, "pending", 0);
	video("poison", "2024-09-02 00:00:00+00");
	o = schedule("{}");
	m = json_object_array_get_idx(json_object_object_get(o, "months"), 0);
	assert_non_null(strstr(support_json_str(m, "error_message"), "poisoned video"));
	assert_string_equal(support_json_str(m, "status"), "retry");
	json_object_put(o);
	assert_int_equal(month_long(2024, 9, "(error_message LIKE '%video poison%poisoned video%')::int"), 1);
}

/* [3.5 failed months (retry_count >= 5) excluded] a later call takes the month below instead. */
static void
test_failed_excluded(void **state)
{
	json_object *o;
	char months[200];

	month_row(2024, 10, "failed", 5);
	month_row(2024, 9, "pending", 0);
	o = schedule("{\"batch_size\":5}");
	months_of(o, months, sizeof(months));
	assert_string_equal(months, "2024-09");
	json_object_put(o);
	assert_true(month_is(2024, 10, "failed"));
	assert_int_equal(month_long(2024, 10, "retry_count"), 5);
}

/* --- 4. Concurrent scheduler runs: five at once ------------------------------------------------ */

/* Five schedulers at once over 24 months of one video each; returns how many months their answers name
 * in all, and checks every month was named by one answer only. */
static void
five_schedulers(int batch, int *named)
{
	struct http_call calls[5];
	static char url[512], hdr[] = "X-Cron-Secret: " SECRET;
	static const char *headers[2] = { hdr, NULL };
	char body[64], seen[24][8];
	int nseen = 0;

	for (int m = 1; m <= 12; m++) {
		char id[32], ts[40];

		for (int y = 2015; y <= 2016; y++) {
			month_row(y, m, "pending", 0);
			snprintf(id, sizeof(id), "v-%d-%02d", y, m);
			snprintf(ts, sizeof(ts), "%d-%02d-15 00:00:00+00", y, m);
			video(id, ts);
		}
	}
	snprintf(url, sizeof(url), "%s" SCHEDULE, base_url);
	snprintf(body, sizeof(body), "{\"batch_size\":%d}", batch);
	memset(calls, 0, sizeof(calls));
	for (int i = 0; i < 5; i++)
		calls[i] = (struct http_call){ .method = "POST", .url = url, .headers = headers, .body = body,
			.body_len = strlen(body) };
	assert_int_equal(http_run(calls, 5), 0);
	for (int i = 0; i < 5; i++) {
		json_object *o;
		char months[400], *tok, *save = NULL;

		assert_int_equal(calls[i].reply.status, 200);
		o = support_reply_json(&calls[i]);
		assert_int_equal(get_int(o, "failed"), 0);
		months_of(o, months, sizeof(months));
		for (tok = strtok_r(months, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
			for (int k = 0; k < nseen; k++)
				if (strcmp(seen[k], tok) == 0)
					fail_msg("month %s taken by two schedulers", tok);
			assert_true(nseen < 24);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", tok);
		}
		json_object_put(o);
		http_reply_free(&calls[i].reply);
	}
	*named = nseen;
}

/* [4.1 simultaneous runs handled] five at once, batch 3: every call answers 200 and 15 months are taken. */
static void
test_simultaneous_schedulers(void **state)
{
	int named;

	five_schedulers(3, &named);
	assert_int_equal(named, 15);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_log WHERE status = 'processing'", 0, NULL), 15);
}

/* [4.2 row locking: no month twice] five at once, batch 10 over 24 months: each month taken once. */
static void
test_no_month_twice(void **state)
{
	int named;

	five_schedulers(10, &named);
	assert_int_equal(named, 24);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_log WHERE status = 'processing'", 0, NULL), 24);
}

/* [4.3 no duplicate jobs] after five at once and a forced second pass, each video has one job. */
static void
test_no_video_twice(void **state)
{
	int named;

	five_schedulers(10, &named);
	support_sql_do(pg, "UPDATE backfill_log SET status = 'retry'", 0, NULL);
	json_object_put(schedule("{\"batch_size\":50}"));
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL), 24);
	assert_int_equal(support_sql_long(pg, "SELECT count(DISTINCT video_id) FROM jobs", 0, NULL), 24);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_jobs", 0, NULL), 24);
}

/* --- 5. Month completion ------------------------------------------------------------------------- */

/* A month of three videos, one of them failed for good (set by the test), one unusable (its storage key
 * is another tenant's: found, never queued), two run by the runner. */
static void
three_of_four(void)
{
	month_row(2018, 3, "pending", 0);
	video("ok1", "2018-03-01 00:00:00+00");
	video("ok2", "2018-03-02 00:00:00+00");
	video("bad", "2018-03-03 00:00:00+00");
	video("odd", "2018-03-04 00:00:00+00");
	support_sql_do(pg, "UPDATE videos SET storage_key = 'tenant-b/x.mp4' WHERE id = 'odd'", 0, NULL);
	json_object_put(schedule("{}"));
	support_sql_do(pg, "UPDATE jobs SET status = 'failed', finished_at = now() WHERE video_id = 'bad'", 0, NULL);
	runner("run --max-seconds 60");
}

/* [5.1 completed with final stats] */
static void
test_completed_with_counts(void **state)
{
	three_of_four();
	assert_true(month_is(2018, 3, "completed"));
	assert_int_equal(month_long(2018, 3, "videos_found"), 4);
	assert_int_equal(month_long(2018, 3, "videos_queued"), 3);
	assert_int_equal(month_long(2018, 3, "videos_completed"), 2);
}

/* [5.2 call counts recorded] the failed count: the failed job and the video never queued. */
static void
test_failed_counted(void **state)
{
	three_of_four();
	assert_int_equal(month_long(2018, 3, "videos_failed"), 2);
	assert_int_equal(month_long(2018, 3, "videos_completed + videos_failed - videos_found"), 0);
}

/* [5.3 success rate = completed / found * 100] 2 of 4, and 2 of 3 rounded to 66.67. */
static void
test_success_rate(void **state)
{
	three_of_four();
	assert_int_equal(month_long(2018, 3, "(success_rate = 50.00)::int"), 1);
	month_row(2018, 2, "pending", 0);
	video("p1", "2018-02-01 00:00:00+00");
	video("p2", "2018-02-02 00:00:00+00");
	video("p3", "2018-02-03 00:00:00+00");
	json_object_put(schedule("{}"));
	support_sql_do(pg, "UPDATE jobs SET status = 'failed', finished_at = now() WHERE video_id = 'p3'", 0, NULL);
	runner("run --max-seconds 60");
	assert_int_equal(month_long(2018, 2, "(success_rate = 66.67)::int"), 1);
}

/* [5.4 completed months excluded] not taken again, not even with force_retry; an empty month is
 * completed at once with success rate 0. */
static void
test_completed_excluded(void **state)
{
	json_object *o;

	month_row(2017, 7, "pending", 0);
	o = schedule("{}");
	json_object_put(o);
	assert_true(month_is(2017, 7, "completed"));
	assert_int_equal(month_long(2017, 7, "videos_found * 1000 + success_rate"), 0);
	o = schedule("{\"force_retry\":true}");
	assert_int_equal(json_object_array_length(json_object_object_get(o, "months")), 0);
	json_object_put(o);
}

/* [extra: never processing] a month in progress is not taken again, not even with force_retry (dry or
 * real): its started_at and counts stay; the failed month beside it is taken. */
static void
test_processing_never_taken(void **state)
{
	json_object *o;
	char months[200];

	month_row(2017, 9, "processing", 0);
	month_row(2017, 8, "failed", 5);
	support_sql_do(pg, "UPDATE backfill_log SET started_at = '2020-01-01 00:00:00+00', videos_found = 3,"
	    " videos_queued = 3 WHERE month = 9", 0, NULL);
	video("pv", "2017-09-09 00:00:00+00");
	o = schedule("{\"batch_size\":5,\"force_retry\":true,\"dry_run\":true}");
	months_of(o, months, sizeof(months));
	assert_string_equal(months, "2017-08");
	json_object_put(o);
	o = schedule("{\"batch_size\":5,\"force_retry\":true}");
	months_of(o, months, sizeof(months));
	assert_string_equal(months, "2017-08");
	json_object_put(o);
	assert_true(month_is(2017, 9, "processing"));
	assert_int_equal(month_long(2017, 9, "(started_at = '2020-01-01 00:00:00+00')::int * 10 + videos_found"), 13);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL), 0);
}

/* Exactly once: eight database connections end the last jobs of one month at the same moment. */
struct ender {
	const char *job_id;
	const struct config *cfg;
};

static void *
end_job(void *arg)
{
	struct ender *e = arg;
	struct db *db = db_new(e->cfg, "test_backfill_ender");
	char err[256];

	if (db == NULL || db_connect(db, err, sizeof(err)) != DB_OK)
		abort();
	backfill_complete_job(db, e->job_id);
	db_free(db);
	return NULL;
}

/* Waits (up to 3 s: less than the statement timeout) until n enders wait for a lock. */
static void
wait_blocked(long n)
{
	for (int i = 0; i < 300; i++) {
		/* Within the test's transaction the statistics are a snapshot: take a new one each time. */
		support_sql_do(pg, "SELECT pg_stat_clear_snapshot()", 0, NULL);
		if (support_sql_long(pg, "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
		    " 'test_backfill_ender' AND wait_event_type = 'Lock'", 0, NULL) == n)
			return;
		usleep(10000);
	}
	fail_msg("the enders never all waited for the month's row");
}

/* [extra: completion exactly once] a month whose eight jobs all ended, eight connections each ending one
 * of them at once: the test holds the month's row lock until all eight statements have seen every job
 * ended and wait for it (the worst interleaving), then lets go: the month is completed by one of them,
 * once (completion_log holds every write that makes a month completed). */
static void
test_completion_exactly_once(void **state)
{
	struct config cfg;
	struct ender e[8];
	pthread_t t[8];
	char err[512], ids[8][40];
	PGresult *r;

	month_row(2016, 8, "pending", 0);
	for (int i = 0; i < 8; i++) {
		char id[16];

		snprintf(id, sizeof(id), "e%d", i);
		video(id, "2016-08-08 00:00:00+00");
	}
	json_object_put(schedule("{}"));
	support_sql_do(pg, "UPDATE jobs SET status = 'completed', finished_at = now()", 0, NULL);
	assert_int_equal(config_load(&cfg, support_env("CAPTIONACC_CONFIG"), CONFIG_RUNNER, err, sizeof(err)), 0);
	r = PQexec(pg, "SELECT id FROM jobs ORDER BY id");
	assert_int_equal(PQntuples(r), 8);
	support_sql_do(pg, "BEGIN", 0, NULL);
	support_sql_do(pg, "SELECT 1 FROM backfill_log WHERE year = 2016 AND month = 8 FOR UPDATE", 0, NULL);
	for (int i = 0; i < 8; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%s", PQgetvalue(r, i, 0));
		e[i] = (struct ender){ .job_id = ids[i], .cfg = &cfg };
		assert_int_equal(pthread_create(&t[i], NULL, end_job, &e[i]), 0);
	}
	PQclear(r);
	wait_blocked(8);
	support_sql_do(pg, "COMMIT", 0, NULL);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	config_free(&cfg);
	assert_true(month_is(2016, 8, "completed"));
	assert_int_equal(month_long(2016, 8, "videos_completed"), 8);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM completion_log", 0, NULL), 1);
}

/* [extra: completion exactly once, real runners] four runners drain a month of twelve videos at once. */
static void
test_four_runners_one_completion(void **state)
{
	char cmd[1024];

	month_row(2016, 9, "pending", 0);
	for (int i = 0; i < 12; i++) {
		char id[16];

		snprintf(id, sizeof(id), "r%d", i);
		video(id, "2016-09-09 00:00:00+00");
	}
	json_object_put(schedule("{}"));
	snprintf(cmd, sizeof(cmd), "for i in 1 2 3 4; do '%s' run --max-seconds 60 >>'%s/runner.out' 2>&1 & done; wait",
	    support_env("RUNNER"), support_env("STACK_DIR"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE status = 'completed'", 0, NULL), 12);
	assert_true(month_is(2016, 9, "completed"));
	assert_int_equal(month_long(2016, 9, "videos_completed"), 12);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM completion_log", 0, NULL), 1);
}

/* [extra: a month whose last job ended elsewhere] (lease reaped out of attempts): the next scheduling
 * call's sweep completes it; a month with a job still open is left processing. */
static void
test_sweep(void **state)
{
	json_object *o;

	month_row(2016, 10, "pending", 0);
	month_row(2016, 11, "pending", 0);
	video("s1", "2016-10-01 00:00:00+00");
	video("s2", "2016-11-01 00:00:00+00");
	json_object_put(schedule("{\"batch_size\":2}"));
	support_sql_do(pg, "UPDATE jobs SET status = 'failed' WHERE video_id = 's1'", 0, NULL);
	support_sql_do(pg, "UPDATE jobs SET status = 'retry' WHERE video_id = 's2'", 0, NULL);
	o = schedule("{}");
	assert_int_equal(get_int(o, "completed_months"), 1);
	json_object_put(o);
	assert_true(month_is(2016, 10, "completed"));
	assert_true(month_is(2016, 11, "processing"));
}

/* --- 6. Edge cases and validation --------------------------------------------------------------- */

/* [6.1 X-Cron-Secret] missing, wrong, other case, or a bearer instead: 401 on every internal endpoint,
 * nothing changed; the current and the previous secret (rotation) are both accepted. */
static void
test_cron_secret(void **state)
{
	static const char *const bad[] = { NULL, "", "cron", "cron-now2", "CRON-NOW", "cron-now,cron-before",
		"Bearer cron-now" };
	struct http_call c;

	month_row(2024, 3, "pending", 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(call("POST", SCHEDULE, bad[i], "{}", &c), 401);
		http_reply_free(&c.reply);
		assert_int_equal(call("POST", SEED, bad[i], "{}", &c), 401);
		http_reply_free(&c.reply);
		assert_int_equal(call("GET", STATS, bad[i], NULL, &c), 401);
		http_reply_free(&c.reply);
	}
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_log", 0, NULL), 1);
	assert_true(month_is(2024, 3, "pending"));
	json_object_put(expect("GET", STATS, OLD_SECRET, NULL, 200));
	json_object_put(expect("POST", SCHEDULE, OLD_SECRET, "{\"dry_run\":true}", 200));
	assert_int_equal(call("GET", SCHEDULE, SECRET, NULL, &c), 405);
	http_reply_free(&c.reply);
}

/* [6.2 batch_size below 1] 0 and -1: 400 with a sentence, nothing changed. */
static void
test_batch_size_zero(void **state)
{
	month_row(2024, 3, "pending", 0);
	video("v1", "2024-03-03 00:00:00+00");
	refused(SCHEDULE, "{\"batch_size\":0}", "batch_size must be a whole number from 1 to 50");
	refused(SCHEDULE, "{\"batch_size\":-1}", "batch_size");
	assert_true(month_is(2024, 3, "pending"));
}

/* [6.3 batch_size above 50, or not a whole number] 51, "5", 5.5, true, null-free garbage: 400. */
static void
test_batch_size_bounds(void **state)
{
	month_row(2024, 3, "pending", 0);
	video("v1", "2024-03-03 00:00:00+00");
	refused(SCHEDULE, "{\"batch_size\":51}", "from 1 to 50");
	refused(SCHEDULE, "{\"batch_size\":\"5\"}", "batch_size");
	refused(SCHEDULE, "{\"batch_size\":5.5}", "batch_size");
	refused(SCHEDULE, "{\"batch_size\":true}", "batch_size");
	refused(SCHEDULE, "{\"dry_run\":\"yes\"}", "dry_run must be true or false");
	refused(SCHEDULE, "{\"force_retry\":1}", "force_retry must be true or false");
	refused(SCHEDULE, "{\"batch_sise\":5}", "unknown field \"batch_sise\"");
	refused(SCHEDULE, "[1]", "JSON object");
	refused(SCHEDULE, "{\"batch_size\":5", "");
	json_object_put(schedule("{\"batch_size\":50}"));
	assert_true(month_is(2024, 3, "processing"));
}

/* [6.4 empty candidate list] 200, no months, a message; nothing to do is not an error. */
static void
test_empty_candidates(void **state)
{
	json_object *o = schedule("{}");

	assert_int_equal(json_object_array_length(json_object_object_get(o, "months")), 0);
	assert_int_equal(get_int(o, "scheduled"), 0);
	assert_string_equal(support_json_str(o, "message"), "No months to schedule");
	json_object_put(o);
	month_row(2024, 3, "completed", 0);
	month_row(2024, 2, "processing", 0);
	o = schedule("{}");
	assert_int_equal(json_object_array_length(json_object_object_get(o, "months")), 0);
	json_object_put(o);
}

/* [6.5 dry run] answers the months it would take, newest first, with their videos; nothing changes. */
static void
test_dry_run(void **state)
{
	json_object *o, *m;
	char months[200];

	month_row(2024, 3, "pending", 0);
	month_row(2024, 2, "retry", 2);
	month_row(2024, 1, "pending", 0);
	video("v1", "2024-03-03 00:00:00+00");
	video("v2", "2024-03-04 00:00:00+00");
	o = schedule("{\"dry_run\":true,\"batch_size\":2}");
	assert_true(json_object_get_boolean(json_object_object_get(o, "dry_run")));
	months_of(o, months, sizeof(months));
	assert_string_equal(months, "2024-03,2024-02");
	m = json_object_array_get_idx(json_object_object_get(o, "months"), 0);
	assert_int_equal(get_int(m, "videos_found"), 2);
	json_object_put(o);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL), 0);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_log WHERE updated_at > created_at"
	    " OR started_at IS NOT NULL", 0, NULL), 0);
	assert_true(month_is(2024, 2, "retry"));
}

/* [6.6 year_range filter] only months of those years; a reversed, short, or non-numeric range is 400. */
static void
test_year_range(void **state)
{
	json_object *o;
	char months[200];

	month_row(2024, 1, "pending", 0);
	month_row(2021, 12, "pending", 0);
	month_row(2020, 6, "pending", 0);
	month_row(2019, 12, "pending", 0);
	refused(SCHEDULE, "{\"year_range\":[2021,2020]}", "year_range: the first year (2021) is after the last (2020)");
	refused(SCHEDULE, "{\"year_range\":[\"2020\",2021]}", "year_range must be [from, to]");
	refused(SCHEDULE, "{\"year_range\":[2020]}", "year_range must be [from, to]");
	refused(SCHEDULE, "{\"year_range\":[2020,2021,2022]}", "year_range");
	refused(SCHEDULE, "{\"year_range\":\"2020-2021\"}", "year_range");
	refused(SCHEDULE, "{\"year_range\":[1969,2021]}", "year_range");
	o = schedule("{\"year_range\":[2020,2021],\"batch_size\":10}");
	months_of(o, months, sizeof(months));
	assert_string_equal(months, "2021-12,2020-06");
	json_object_put(o);
	assert_true(month_is(2024, 1, "pending"));
	assert_true(month_is(2019, 12, "pending"));
}

/* [6.7 default range: recent first] no year_range: the newest month of all goes first. */
static void
test_default_range_newest_first(void **state)
{
	json_object *o;
	char months[200];

	month_row(2000, 1, "pending", 0);
	month_row(2024, 12, "pending", 0);
	month_row(2012, 6, "pending", 0);
	o = schedule("{\"batch_size\":1}");
	months_of(o, months, sizeof(months));
	assert_string_equal(months, "2024-12");
	json_object_put(o);
}

/* [6.8 force_retry includes failed months] without it they stay; with it they are taken. */
static void
test_force_retry(void **state)
{
	json_object *o;
	char months[200];

	month_row(2023, 5, "failed", 5);
	month_row(2023, 4, "failed", 3);
	o = schedule("{\"batch_size\":5}");
	assert_int_equal(json_object_array_length(json_object_object_get(o, "months")), 0);
	json_object_put(o);
	o = schedule("{\"batch_size\":5,\"force_retry\":true}");
	months_of(o, months, sizeof(months));
	assert_string_equal(months, "2023-05,2023-04");
	json_object_put(o);
	assert_int_equal(month_long(2023, 5, "(status = 'completed')::int"), 1);
}

/* [6.9 order: year DESC, month DESC] across years, pending and retry mixed. */
static void
test_candidate_order(void **state)
{
	json_object *o;
	char months[200];

	month_row(2022, 12, "pending", 0);
	month_row(2023, 1, "retry", 1);
	month_row(2022, 2, "pending", 0);
	month_row(2022, 11, "retry", 3);
	o = schedule("{\"batch_size\":4,\"dry_run\":true}");
	months_of(o, months, sizeof(months));
	assert_string_equal(months, "2023-01,2022-12,2022-11,2022-02");
	json_object_put(o);
	o = schedule("{\"batch_size\":4}");
	months_of(o, months, sizeof(months));
	assert_string_equal(months, "2023-01,2022-12,2022-11,2022-02");
	json_object_put(o);
}

/* --- 7. Stats ----------------------------------------------------------------------------------- */

/* [7.1 counts per status] */
static void
test_stats_counts(void **state)
{
	json_object *o, *counts;

	month_row(2024, 1, "pending", 0);
	month_row(2024, 2, "pending", 0);
	month_row(2024, 3, "processing", 0);
	month_row(2024, 4, "completed", 0);
	month_row(2024, 5, "failed", 5);
	month_row(2024, 6, "retry", 1);
	month_row(2024, 7, "retry", 2);
	month_row(2024, 8, "retry", 3);
	o = expect("GET", STATS, SECRET, NULL, 200);
	counts = json_object_object_get(o, "status_counts");
	assert_int_equal(get_int(counts, "pending"), 2);
	assert_int_equal(get_int(counts, "processing"), 1);
	assert_int_equal(get_int(counts, "completed"), 1);
	assert_int_equal(get_int(counts, "failed"), 1);
	assert_int_equal(get_int(counts, "retry"), 3);
	assert_int_equal(get_int(o, "total_months"), 8);
	json_object_put(o);
}

/* [7.2 overall success rate] over the completed months: (3 + 1) of (4 + 4) = 50.00; totals summed. */
static void
test_stats_rate(void **state)
{
	json_object *o;

	month_row(2024, 1, "completed", 0);
	month_row(2024, 2, "completed", 0);
	month_row(2024, 3, "processing", 0);
	support_sql_do(pg, "UPDATE backfill_log SET videos_found = 4, videos_queued = 4, videos_completed = 3,"
	    " videos_failed = 1 WHERE month = 1", 0, NULL);
	support_sql_do(pg, "UPDATE backfill_log SET videos_found = 4, videos_queued = 4, videos_completed = 1,"
	    " videos_failed = 3 WHERE month = 2", 0, NULL);
	support_sql_do(pg, "UPDATE backfill_log SET videos_found = 10, videos_queued = 10 WHERE month = 3", 0, NULL);
	o = expect("GET", STATS, SECRET, NULL, 200);
	assert_true(json_object_get_double(json_object_object_get(o, "overall_success_rate")) == 50.0);
	assert_int_equal(get_int(json_object_object_get(o, "totals"), "videos_found"), 18);
	assert_int_equal(get_int(json_object_object_get(o, "totals"), "videos_completed"), 4);
	json_object_put(o);
}

/* [7.3 nothing found] no rows, or completed months that found nothing: rate 0, no division by zero. */
static void
test_stats_zero_found(void **state)
{
	json_object *o = expect("GET", STATS, SECRET, NULL, 200);

	assert_true(json_object_get_double(json_object_object_get(o, "overall_success_rate")) == 0.0);
	assert_int_equal(get_int(o, "total_months"), 0);
	json_object_put(o);
	month_row(2024, 1, "completed", 0);
	o = expect("GET", STATS, SECRET, NULL, 200);
	assert_true(json_object_get_double(json_object_object_get(o, "overall_success_rate")) == 0.0);
	json_object_put(o);
}

/* [7.4 recent activity: 20 rows] of 30, the 20 most recently changed first. */
static void
test_stats_recent(void **state)
{
	json_object *o, *recent;

	support_sql_do(pg, "INSERT INTO backfill_log (year, month, updated_at) SELECT 2000 + (n - 1) / 12,"
	    " (n - 1) % 12 + 1, now() - n * interval '1 minute' FROM generate_series(1, 30) n", 0, NULL);
	o = expect("GET", STATS, SECRET, NULL, 200);
	recent = json_object_object_get(o, "recent_activity");
	assert_int_equal(json_object_array_length(recent), 20);
	assert_int_equal(get_int(json_object_array_get_idx(recent, 0), "year"), 2000);
	assert_int_equal(get_int(json_object_array_get_idx(recent, 0), "month"), 1);
	assert_int_equal(get_int(json_object_array_get_idx(recent, 19), "month"), 8);
	assert_string_equal(support_json_str(json_object_array_get_idx(recent, 0), "status"), "pending");
	json_object_put(o);
}

/* --- 8. Seeding --------------------------------------------------------------------------------- */

/* [8.1 300 months for 2000-2024] */
static void
test_seed_300(void **state)
{
	json_object *o = expect("POST", SEED, SECRET, "{\"start_year\":2000,\"end_year\":2024}", 200);

	assert_int_equal(get_int(o, "inserted"), 300);
	assert_int_equal(get_int(o, "existing"), 0);
	json_object_put(o);
	assert_int_equal(support_sql_long(pg, "SELECT count(DISTINCT (year, month)) FROM backfill_log WHERE status ="
	    " 'pending' AND year BETWEEN 2000 AND 2024", 0, NULL), 300);
}

/* [8.2 idempotent (ON CONFLICT DO NOTHING)] again: nothing inserted, nothing changed, even a month in
 * progress; the default range is the 25 years up to this one. */
static void
test_seed_idempotent(void **state)
{
	json_object *o;

	json_object_put(expect("POST", SEED, SECRET, "{\"start_year\":2000,\"end_year\":2024}", 200));
	support_sql_do(pg, "UPDATE backfill_log SET status = 'processing', videos_found = 9 WHERE year = 2010"
	    " AND month = 4", 0, NULL);
	o = expect("POST", SEED, SECRET, "{\"start_year\":2000,\"end_year\":2024}", 200);
	assert_int_equal(get_int(o, "inserted"), 0);
	assert_int_equal(get_int(o, "existing"), 300);
	json_object_put(o);
	assert_true(month_is(2010, 4, "processing"));
	assert_int_equal(month_long(2010, 4, "videos_found"), 9);
	o = expect("POST", SEED, SECRET, "{}", 200);
	assert_int_equal(get_int(o, "end_year") - get_int(o, "start_year"), 24);
	assert_int_equal(get_int(o, "inserted") + get_int(o, "existing"), 300);
	json_object_put(o);
	refused(SEED, "{\"start_year\":2024,\"end_year\":2000}", "the first year (2024) is after the last (2000)");
	refused(SEED, "{\"start_year\":\"2000\"}", "start_year must be a whole number");
	refused(SEED, "{\"start_year\":1800,\"end_year\":2000}", "start_year");
	refused(SEED, "{\"start_year\":1900,\"end_year\":2024}", "start_year");
	refused(SEED, "{\"batch_size\":0}", "batch_size");
	refused(SEED, "{\"year_range\":[2000,2001]}", "unknown field");
}

/* [extra: seeding's default range] no years given: the 25 years up to this one (UTC), batch 20. */
static void
test_seed_default_range(void **state)
{
	json_object *o = expect("POST", SEED, SECRET, "{}", 200);
	long this_year = support_sql_long(pg, "SELECT extract(year FROM now() AT TIME ZONE 'UTC')::int", 0, NULL);

	assert_int_equal(get_int(o, "end_year"), this_year);
	assert_int_equal(get_int(o, "start_year"), this_year - 24);
	assert_int_equal(get_int(o, "inserted"), 300);
	assert_int_equal(get_int(o, "batch_size"), 20);
	json_object_put(o);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_log WHERE year = extract(year FROM now()"
	    " AT TIME ZONE 'UTC') AND batch_size = 20", 0, NULL), 12);
	assert_int_equal(support_sql_long(pg, "SELECT min(year) + 24 - max(year) FROM backfill_log", 0, NULL), 0);
}

/* [8.3 variant set per month: the pipeline version] seeded rows carry BACKFILL_PIPELINE_VERSION (the
 * stack sets 4), and the answer says which. */
static void
test_seed_pipeline_version(void **state)
{
	json_object *o = expect("POST", SEED, SECRET, "{\"start_year\":2020,\"end_year\":2020}", 200);

	assert_int_equal(get_int(o, "pipeline_version"), 4);
	json_object_put(o);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_log WHERE pipeline_version = 4", 0, NULL), 12);
}

/* [8.4 batch_size 20 for all months] by default, else the one given. */
static void
test_seed_batch_size(void **state)
{
	json_object_put(expect("POST", SEED, SECRET, "{\"start_year\":2020,\"end_year\":2021}", 200));
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_log WHERE batch_size = 20", 0, NULL), 24);
	json_object_put(expect("POST", SEED, SECRET, "{\"start_year\":2019,\"end_year\":2019,\"batch_size\":5}", 200));
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM backfill_log WHERE batch_size = 5 AND year = 2019",
	    0, NULL), 12);
}

/* --- 9. The queue consumer: the runner ----------------------------------------------------------- */

/* [9.1 jobs processed, pending -> processing -> completed] seeded, scheduled and drained end to end;
 * the videos went through the flow (active) and the stats show the month. */
static void
test_end_to_end(void **state)
{
	json_object *o;

	json_object_put(expect("POST", SEED, SECRET, "{\"start_year\":2015,\"end_year\":2015}", 200));
	video("e1", "2015-12-24 00:00:00+00");
	video("e2", "2015-12-25 00:00:00+00");
	assert_true(month_is(2015, 12, "pending"));
	json_object_put(schedule("{\"batch_size\":1}"));
	assert_true(month_is(2015, 12, "processing"));
	runner("run --max-seconds 60");
	assert_true(month_is(2015, 12, "completed"));
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM videos WHERE status = 'active' AND frame_count > 0",
	    0, NULL), 2);
	o = expect("GET", STATS, SECRET, NULL, 200);
	assert_true(json_object_get_double(json_object_object_get(o, "overall_success_rate")) == 100.0);
	json_object_put(o);
}

/* [9.2 quota exhausted: handled gracefully] the GPU function refuses every call for good: the jobs fail,
 * the month still completes, with its videos failed and a success rate of 0. */
static void
test_gpu_refusing(void **state)
{
	month_row(2014, 2, "pending", 0);
	video("q1", "2014-02-02 00:00:00+00");
	video("q2", "2014-02-03 00:00:00+00");
	json_object_put(schedule("{}"));
	modal("404");
	runner("run --max-seconds 60");
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE status = 'failed'", 0, NULL), 2);
	assert_true(month_is(2014, 2, "completed"));
	assert_int_equal(month_long(2014, 2, "videos_failed * 1000 + success_rate"), 2000);
}

/* [extra: live work first] a customer's upload queued after a month's backfill jobs is claimed first. */
static void
test_live_work_first(void **state)
{
	char url[512], *body;
	struct http_call c;

	month_row(2013, 3, "pending", 0);
	video("old1", "2013-03-03 00:00:00+00");
	video("old2", "2013-03-04 00:00:00+00");
	json_object_put(schedule("{}"));
	support_sql_do(pg, "UPDATE jobs SET age_anchor = now() - interval '30 days', created_at = now() - interval"
	    " '1 hour'", 0, NULL);
	support_sql_do(pg, "DELETE FROM runner_maintenance", 0, NULL);  /* the next runner ages the queue */
	snprintf(url, sizeof(url), "%s/webhooks/supabase/videos", base_url);
	body = support_insert_body("live1", "tenant-a", "tenant-a/videos/live1.mp4", NULL);
	assert_int_equal(support_post(url, "Bearer test-secret", body, &c), 202);
	http_reply_free(&c.reply);
	free(body);
	runner("run --max-jobs 1");
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE status = 'completed'", 0, NULL), 1);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE status = 'completed' AND video_id ="
	    " 'live1'", 0, NULL), 1);
	/* Aged meanwhile (10 + the cap of 20), still below the free tier's 50. */
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE status = 'pending' AND metadata->>'backfill'"
	    " = '2013-03' AND priority = 30", 0, NULL), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_jobs_of_a_month, setup),
		cmocka_unit_test_setup(test_job_metadata_and_key, setup),
		cmocka_unit_test_setup(test_jobs_remembered_with_month, setup),
		cmocka_unit_test_setup(test_pipeline_version_in_keys, setup),
		cmocka_unit_test_setup(test_pipeline_version_per_month, setup),
		cmocka_unit_test_setup(test_pending_to_processing, setup),
		cmocka_unit_test_setup(test_completed_at_cleared, setup),
		cmocka_unit_test_setup(test_last_retry_at_set, setup),
		cmocka_unit_test_setup(test_processing_to_completed, setup),
		cmocka_unit_test_setup(test_failure_counts_a_retry, setup),
		cmocka_unit_test_setup(test_retry_below_five, setup),
		cmocka_unit_test_setup(test_failed_at_five, setup),
		cmocka_unit_test_setup(test_error_message_stored, setup),
		cmocka_unit_test_setup(test_failed_excluded, setup),
		cmocka_unit_test_setup(test_simultaneous_schedulers, setup),
		cmocka_unit_test_setup(test_no_month_twice, setup),
		cmocka_unit_test_setup(test_no_video_twice, setup),
		cmocka_unit_test_setup(test_completed_with_counts, setup),
		cmocka_unit_test_setup(test_failed_counted, setup),
		cmocka_unit_test_setup(test_success_rate, setup),
		cmocka_unit_test_setup(test_completed_excluded, setup),
		cmocka_unit_test_setup(test_processing_never_taken, setup),
		cmocka_unit_test_setup(test_completion_exactly_once, setup),
		cmocka_unit_test_setup(test_four_runners_one_completion, setup),
		cmocka_unit_test_setup(test_sweep, setup),
		cmocka_unit_test_setup(test_cron_secret, setup),
		cmocka_unit_test_setup(test_batch_size_zero, setup),
		cmocka_unit_test_setup(test_batch_size_bounds, setup),
		cmocka_unit_test_setup(test_empty_candidates, setup),
		cmocka_unit_test_setup(test_dry_run, setup),
		cmocka_unit_test_setup(test_year_range, setup),
		cmocka_unit_test_setup(test_default_range_newest_first, setup),
		cmocka_unit_test_setup(test_force_retry, setup),
		cmocka_unit_test_setup(test_candidate_order, setup),
		cmocka_unit_test_setup(test_stats_counts, setup),
		cmocka_unit_test_setup(test_stats_rate, setup),
		cmocka_unit_test_setup(test_stats_zero_found, setup),
		cmocka_unit_test_setup(test_stats_recent, setup),
		cmocka_unit_test_setup(test_seed_300, setup),
		cmocka_unit_test_setup(test_seed_idempotent, setup),
		cmocka_unit_test_setup(test_seed_default_range, setup),
		cmocka_unit_test_setup(test_seed_pipeline_version, setup),
		cmocka_unit_test_setup(test_seed_batch_size, setup),
		cmocka_unit_test_setup(test_end_to_end, setup),
		cmocka_unit_test_setup(test_gpu_refusing, setup),
		cmocka_unit_test_setup(test_live_work_first, setup),
	};
	int rc;

	base_url = support_env("STACK_URL");
	pg = PQconnectdb(support_env("DATABASE_URL"));
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "test_backfill: cannot connect: %s", PQerrorMessage(pg));
		return 1;
	}
	/* The test's own: a job insert refused for the video "poison" (a hand-over that fails), and a log of
	 * every write that makes a month completed. */
	support_sql_do(pg, "SET client_min_messages = warning", 0, NULL);
	support_sql_do(pg, "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	    " IF NEW.video_id = 'poison' THEN RAISE EXCEPTION 'poisoned video'; END IF; RETURN NEW; END $$", 0, NULL);
	support_sql_do(pg, "CREATE TRIGGER jobs_poison BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION poison()",
	    0, NULL);
	support_sql_do(pg, "CREATE TABLE completion_log (year int, month int, at timestamptz DEFAULT clock_timestamp())",
	    0, NULL);
	support_sql_do(pg, "CREATE FUNCTION log_completion() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	    " INSERT INTO completion_log (year, month) VALUES (NEW.year, NEW.month); RETURN NULL; END $$", 0, NULL);
	support_sql_do(pg, "CREATE TRIGGER backfill_completion AFTER UPDATE ON backfill_log FOR EACH ROW"
	    " WHEN (NEW.status = 'completed') EXECUTE FUNCTION log_completion()", 0, NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	PQfinish(pg);
	return rc;
}
