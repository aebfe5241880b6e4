/* test_prefect_webhooks.c: the webhook with QUEUE_BACKEND=prefect, through real nginx and spawn-fcgi'd
 * captionacc-fcgi, against tests/doubles/prefect_double (started by prefect_webhooks.sh with a bearer key
 * it checks): the create_flow_run body field by field (parameters, tags, idempotency key, the work queue
 * of each tier band, nothing else), duplicate delivery, 503 then success on a fresh connection, 429 with
 * Retry-After, Prefect down (503 + Retry-After while /health stays 200 and says so), a burst of 503s longer
 * than PREFECT_RETRIES ridden out within PREFECT_TIMEOUT_SECONDS (a self-hosted Prefect on SQLite under
 * concurrent writes), a deployment deleted and re-created with a new id (no webhook lost: the name is
 * resolved again within the request), an unknown deployment (503 and a log line naming it), and no job row
 * written locally. And a signed-in user's action with QUEUE_BACKEND=prefect: a flow run (the action repeated
 * while it waits: the same run), read back through GET /videos/{id}/jobs and GET /jobs/{id} from Prefect,
 * and nothing of it visible to another tenant's user. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/support.h"

static const char *base_url, *prefect_url, *log_path, *api_key;
static char bearer[256], webhook_url[512];
static PGconn *pg;

static long
job_count(void)
{
	return support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL);
}

/* An INSERT webhook body for a video stored at <tenant>/client/videos/<video>/video.mp4; caller frees. */
static char *
insert_body(const char *video, const char *tenant, const char *created_at)
{
	char key[512];

	snprintf(key, sizeof(key), "%s/client/videos/%s/video.mp4", tenant, video);
	return support_insert_body(video, tenant, key, created_at);
}

/* A request to the double's own controls or API (with Prefect's key); returns the parsed body (caller
 * frees) or NULL. */
static json_object *
double_call(const char *method, const char *path, long *status)
{
	char url[512], auth[300];
	struct http_call c = { 0 };
	json_object *o;

	snprintf(url, sizeof(url), "%s%s", prefect_url, path);
	snprintf(auth, sizeof(auth), "Bearer %s", api_key);
	c.method = method;
	c.url = url;
	c.auth = strncmp(path, "/api/", 5) == 0 ? auth : NULL;
	c.body = strcmp(method, "POST") == 0 ? "" : NULL;
	*status = http_one(&c);
	o = c.reply.body ? json_tokener_parse(c.reply.body) : NULL;
	http_reply_free(&c.reply);
	return o;
}

/* Posts a webhook that must be accepted, and checks the create_flow_run body Prefect received. */
static void
accepted(const char *video, const char *tenant, const char *created_at, const char *tier, int priority,
    const char *queue)
{
	char *body = insert_body(video, tenant, created_at), want[256], key[256];
	struct http_call c;
	json_object *ans, *last, *params, *tags, *runs;
	long st;
	int n = 0;

	assert_int_equal(support_post(webhook_url, bearer, body, &c), 202);
	ans = support_reply_json(&c);
	assert_int_equal(json_object_get_int(json_object_object_get(ans, "priority")), priority);
	last = double_call("GET", "/_last", &st);
	assert_non_null(last);
	/* Exactly the fields Prefect accepts, and the ones we mean. */
	json_object_object_foreach(last, k, v) {
		(void)v;
		if (strcmp(k, "parameters") && strcmp(k, "tags") && strcmp(k, "idempotency_key") && strcmp(k, "work_queue_name"))
			fail_msg("unexpected field %s sent to Prefect", k);
		n++;
	}
	assert_int_equal(n, 4);
	params = json_object_object_get(last, "parameters");
	assert_int_equal(json_object_object_length(params), 3);
	assert_string_equal(support_json_str(params, "video_id"), video);
	assert_string_equal(support_json_str(params, "tenant_id"), tenant);
	snprintf(key, sizeof(key), "%s/client/videos/%s/video.mp4", tenant, video);
	assert_string_equal(support_json_str(params, "storage_key"), key);
	tags = json_object_object_get(last, "tags");
	assert_int_equal(json_object_array_length(tags), 4);
	snprintf(want, sizeof(want), "tenant:%s", tenant);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(tags, 0)), want);
	snprintf(want, sizeof(want), "tier:%s", tier);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(tags, 1)), want);
	snprintf(want, sizeof(want), "priority:%d", priority);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(tags, 2)), want);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(tags, 3)), "age-boosting:enabled");
	snprintf(want, sizeof(want), "video_initial_processing:%s", video);
	assert_string_equal(support_json_str(last, "idempotency_key"), want);
	assert_string_equal(support_json_str(last, "work_queue_name"), queue);
	/* The answer names Prefect's run, which exists there in that queue. */
	runs = double_call("GET", "/_runs", &st);
	n = 0;
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		json_object *r = json_object_array_get_idx(runs, i);

		if (strcmp(support_json_str(r, "id"), support_json_str(ans, "flow_run_id")) == 0) {
			assert_string_equal(support_json_str(r, "work_queue_name"), queue);
			n++;
		}
	}
	assert_int_equal(n, 1);
	json_object_put(runs);
	json_object_put(last);
	json_object_put(ans);
	http_reply_free(&c.reply);
	free(body);
}

static void
test_tier_bands(void **state)
{
	char hours_ago[64];
	time_t t = time(NULL) - 25 * 3600;
	struct tm tm;

	(void)state;
	support_sql_do(pg, "INSERT INTO user_profiles (id, tenant_id, access_tier_id) VALUES ('u-p', 'tenant-premium', 'active'),"
	    " ('u-e', 'tenant-enterprise', 'enterprise') ON CONFLICT DO NOTHING", 0, NULL);
	accepted("video-free-1", "tenant-free", NULL, "free", 50, "captionacc-low");
	accepted("video-premium-1", "tenant-premium", NULL, "premium", 70, "captionacc-normal");
	accepted("video-enterprise-1", "tenant-enterprise", NULL, "enterprise", 90, "captionacc-high");
	/* A premium video a day old: 70 + the capped age boost 20 = 90, the top band. */
	gmtime_r(&t, &tm);
	strftime(hours_ago, sizeof(hours_ago), "%Y-%m-%dT%H:%M:%SZ", &tm);
	accepted("video-premium-old", "tenant-premium", hours_ago, "premium", 90, "captionacc-high");
	assert_int_equal(job_count(), 0);
}

static void
test_duplicate(void **state)
{
	char *body = insert_body("video-dup-1", "tenant-free", NULL);
	struct http_call a, b;
	json_object *ja, *jb, *runs;
	long st;
	int n = 0;

	(void)state;
	assert_int_equal(support_post(webhook_url, bearer, body, &a), 202);
	assert_int_equal(support_post(webhook_url, bearer, body, &b), 202);
	ja = support_reply_json(&a);
	jb = support_reply_json(&b);
	assert_string_equal(support_json_str(ja, "flow_run_id"), support_json_str(jb, "flow_run_id"));
	runs = double_call("GET", "/_runs", &st);
	for (size_t i = 0; i < json_object_array_length(runs); i++)
		n += strcmp(support_json_str(json_object_array_get_idx(runs, i), "id"), support_json_str(ja, "flow_run_id")) == 0;
	assert_int_equal(n, 1);
	json_object_put(runs);
	json_object_put(ja);
	json_object_put(jb);
	http_reply_free(&a.reply);
	http_reply_free(&b.reply);
	free(body);
}

/* One 503 (the double then closes the connection) and one 429 with Retry-After: 1 are retried. */
static void
test_transient_then_ok(void **state)
{
	char *body = insert_body("video-flaky-1", "tenant-free", NULL), *body2 = insert_body("video-flaky-2",
	    "tenant-free", NULL);
	struct http_call c;
	struct timespec t0, t1;
	long st;

	(void)state;
	json_object_put(double_call("POST", "/_fail?count=1&status=503", &st));
	assert_int_equal(support_post(webhook_url, bearer, body, &c), 202);
	http_reply_free(&c.reply);
	json_object_put(double_call("POST", "/_fail?count=1&status=429&retry_after=1", &st));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(support_post(webhook_url, bearer, body2, &c), 202);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Retry-After: 1 was honoured. */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 900);
	http_reply_free(&c.reply);
	free(body);
	free(body2);
}

static void
health(const char *want_prefect)
{
	struct http_call c = { 0 };
	char url[512];
	json_object *o;

	snprintf(url, sizeof(url), "%s/health", base_url);
	c.method = "GET";
	c.url = url;
	assert_int_equal(http_one(&c), 200);
	o = support_reply_json(&c);
	assert_string_equal(support_json_str(o, "database"), "ok");
	assert_string_equal(support_json_str(o, "prefect"), want_prefect);
	assert_string_equal(support_json_str(o, "queue"), want_prefect);
	json_object_put(o);
	http_reply_free(&c.reply);
}

/* Prefect answering 503 to everything: the webhook answers 503 with Retry-After, /health stays 200. */
static void
test_prefect_unavailable(void **state)
{
	char *body = insert_body("video-down-1", "tenant-free", NULL), ra[16];
	struct http_call c;
	long st;

	(void)state;
	health("ok");
	json_object_put(double_call("POST", "/_fail?count=1000&status=503", &st));
	assert_int_equal(support_post(webhook_url, bearer, body, &c), 503);
	assert_non_null(http_header(&c.reply, "Retry-After", ra, sizeof(ra)));
	assert_true(atoi(ra) >= 1);
	assert_non_null(strstr(c.reply.body, "unavailable"));
	http_reply_free(&c.reply);
	health("unavailable");
	json_object_put(double_call("POST", "/_fail?count=0", &st));
	health("ok");
	assert_int_equal(support_post(webhook_url, bearer, body, &c), 202);
	http_reply_free(&c.reply);
	free(body);
}

/* Prefect accepting connections but answering after PREFECT_TIMEOUT_SECONDS (5 s here, 2 retries):
 * the webhook gives up at the call's deadline with 503 + Retry-After, not after one timeout per try. */
static void
test_prefect_slow(void **state)
{
	char *body = insert_body("video-slow-1", "tenant-free", NULL), ra[16];
	struct http_call c;
	struct timespec t0, t1;
	json_object *o, *runs;
	long st, ms;
	int n = 0;

	(void)state;
	json_object_put(double_call("POST", "/_slow?count=3&ms=6000", &st));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(support_post(webhook_url, bearer, body, &c), 503);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 4500);  /* it waited for Prefect ... */
	assert_true(ms < 14000);  /* ... until the deadline, not 3 tries x 5 s */
	assert_non_null(http_header(&c.reply, "Retry-After", ra, sizeof(ra)));
	assert_non_null(strstr(c.reply.body, "unavailable"));
	http_reply_free(&c.reply);
	json_object_put(double_call("POST", "/_slow?count=0", &st));
	assert_int_equal(support_post(webhook_url, bearer, body, &c), 202);
	o = support_reply_json(&c);
	http_reply_free(&c.reply);
	/* The request we gave up on still reaches Prefect once the double lets it through (as a slow real
	 * server would process it): the idempotency key keeps that to one run. */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (ms < 7000) {
		struct timespec w = { (7000 - ms) / 1000, ((7000 - ms) % 1000) * 1000000L };

		nanosleep(&w, NULL);
	}
	runs = double_call("GET", "/_runs", &st);
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		json_object *p = json_object_object_get(json_object_array_get_idx(runs, i), "parameters");

		n += strcmp(support_json_str(p, "video_id"), "video-slow-1") == 0;
	}
	assert_int_equal(n, 1);
	json_object_put(runs);
	json_object_put(o);
	free(body);
}

static bool
log_has(const char *needle)
{
	FILE *f = fopen(log_path, "r");
	char line[4096];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* More 503s than PREFECT_RETRIES (2 here): creating the run keeps trying for PREFECT_TIMEOUT_SECONDS (5 s),
 * because a webhook Supabase will not resend is a lost video. */
static void
test_503_burst(void **state)
{
	char *body = insert_body("video-burst-1", "tenant-free", NULL);
	struct http_call c;
	long st;

	(void)state;
	json_object_put(double_call("POST", "/_fail?count=4&status=503", &st));
	assert_int_equal(support_post(webhook_url, bearer, body, &c), 202);
	http_reply_free(&c.reply);
	free(body);
}

/* Posts n webhooks for videos <prefix>0..<prefix>n-1; each must be accepted. */
static void
post_accepted(const char *prefix, int n)
{
	char video[64];
	struct http_call c;

	for (int i = 0; i < n; i++) {
		char *body;

		snprintf(video, sizeof(video), "%s%d", prefix, i);
		body = insert_body(video, "tenant-free", NULL);
		assert_int_equal(support_post(webhook_url, bearer, body, &c), 202);
		http_reply_free(&c.reply);
		free(body);
	}
}

/* The deployment is deleted and made again (a new id), while every captionacc-fcgi process remembers the
 * old id: each webhook still makes its run, on the new deployment. */
static void
test_deployment_recreated(void **state)
{
	json_object *dep, *runs;
	char path[256], id[128];
	long st;
	int made = 0;

	(void)state;
	post_accepted("video-warm-", 8); /* the processes have resolved (and remember) the deployment's id */
	dep = double_call("GET", "/api/deployments/name/video_initial_processing/captionacc", &st);
	assert_int_equal(st, 200);
	snprintf(path, sizeof(path), "/api/deployments/%s", support_json_str(dep, "id"));
	json_object_put(dep);
	json_object_put(double_call("DELETE", path, &st));
	assert_int_equal(st, 204);
	dep = double_call("POST", "/_deployment?flow=video_initial_processing", &st);
	assert_int_equal(st, 201);
	snprintf(id, sizeof(id), "%s", support_json_str(dep, "id"));
	json_object_put(dep);
	post_accepted("video-recreated-", 8);
	runs = double_call("GET", "/_runs", &st);
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		json_object *r = json_object_array_get_idx(runs, i);

		made += strncmp(support_json_str(json_object_object_get(r, "parameters"), "video_id"), "video-recreated-",
		    16) == 0 && strcmp(support_json_str(r, "deployment_id"), id) == 0;
	}
	assert_int_equal(made, 8);
	json_object_put(runs);
}

/* GET path as the user with token; the status, and the JSON answer in *o (caller frees). */
static long
user_get(const char *path, const char *token, json_object **o)
{
	char url[512];
	struct http_call c = { 0 };
	long st;

	snprintf(url, sizeof(url), "%s%s", base_url, path);
	c.method = "GET";
	c.url = url;
	c.auth = token;
	st = http_one(&c);
	*o = st == 200 ? support_reply_json(&c) : NULL;
	http_reply_free(&c.reply);
	return st;
}

static void
test_user_action(void **state)
{
	const char *body = "{\"type\":\"crop-and-infer-caption-frame-extents\",\"crop_region\":{\"crop_left\":0,"
	    "\"crop_top\":0.7,\"crop_right\":1,\"crop_bottom\":1}}";
	char tp[2048], tq[2048], url[512], path[256], id[128];
	struct http_call c;
	json_object *o, *runs, *jobs;
	long st;
	int n = 0;

	(void)state;
	support_sql_do(pg, "INSERT INTO user_profiles (id, tenant_id, access_tier_id) VALUES ('user-p', 'tenant-p',"
	    " 'active'), ('user-q', 'tenant-q', 'demo')", 0, NULL);
	support_sql_do(pg, "INSERT INTO videos (id, tenant_id, storage_key, status) VALUES ('vid-p', 'tenant-p',"
	    " 'tenant-p/v.mp4', 'active')", 0, NULL);
	support_token("user-p", NULL, tp, sizeof(tp));
	support_token("user-q", NULL, tq, sizeof(tq));
	snprintf(url, sizeof(url), "%s/videos/vid-p/actions/approve-layout", base_url);
	for (int i = 0; i < 2; i++) { /* the second time, while the run waits: the same run */
		assert_int_equal(support_post(url, tp, body, &c), 200);
		o = support_reply_json(&c);
		if (i == 0)
			snprintf(id, sizeof(id), "%s", support_json_str(o, "jobId"));
		assert_string_equal(support_json_str(o, "jobId"), id);
		json_object_put(o);
		http_reply_free(&c.reply);
	}
	runs = double_call("GET", "/_runs", &st);
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		json_object *r = json_object_array_get_idx(runs, i), *p = json_object_object_get(r, "parameters");

		if (strcmp(support_json_str(p, "video_id"), "vid-p") != 0)
			continue;
		n++;
		assert_string_equal(support_json_str(r, "id"), id);
		assert_string_equal(support_json_str(r, "work_queue_name"), "captionacc-normal");
		assert_non_null(json_object_object_get(p, "crop_region"));
	}
	assert_int_equal(n, 1);
	json_object_put(runs);
	assert_int_equal(user_get("/videos/vid-p/jobs", tp, &o), 200);
	jobs = json_object_object_get(o, "jobs");
	assert_int_equal(json_object_array_length(jobs), 1);
	assert_string_equal(support_json_str(json_object_array_get_idx(jobs, 0), "id"), id);
	assert_string_equal(support_json_str(json_object_array_get_idx(jobs, 0), "flow"), "crop_and_infer");
	assert_string_equal(support_json_str(json_object_array_get_idx(jobs, 0), "status"), "pending");
	json_object_put(o);
	snprintf(path, sizeof(path), "/jobs/%s", id);
	assert_int_equal(user_get(path, tp, &o), 200);
	assert_string_equal(support_json_str(json_object_object_get(o, "prefect_state"), "type"), "SCHEDULED");
	json_object_put(o);
	/* Another tenant's user: no such job, no such video. */
	assert_int_equal(user_get(path, tq, &o), 404);
	assert_int_equal(user_get("/videos/vid-p/jobs", tq, &o), 404);
	assert_int_equal(job_count(), 0);
}

/* The deployment disappears: 503 and a log line naming the missing deployment. */
static void
test_unknown_deployment(void **state)
{
	char *body = insert_body("video-nodep-1", "tenant-free", NULL);
	struct http_call c;
	long st;

	(void)state;
	json_object_put(double_call("POST", "/_forget?flow=video_initial_processing", &st));
	assert_int_equal(support_post(webhook_url, bearer, body, &c), 503);
	http_reply_free(&c.reply);
	assert_true(log_has("no deployment video_initial_processing/captionacc"));
	assert_false(log_has(api_key));
	free(body);
}

/* Prefect's process gone (connection refused): 503 + Retry-After, the API and /health keep serving. */
static void
test_prefect_stopped(void **state)
{
	pid_t pid = (pid_t)atol(support_env("PREFECT_DOUBLE_PID"));
	char *body = insert_body("video-gone-1", "tenant-free", NULL), ra[16];
	struct http_call c;

	(void)state;
	assert_int_equal(kill(pid, SIGTERM), 0);
	for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
		usleep(50000);
	assert_int_equal(support_post(webhook_url, bearer, body, &c), 503);
	assert_non_null(http_header(&c.reply, "Retry-After", ra, sizeof(ra)));
	http_reply_free(&c.reply);
	health("unavailable");
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tier_bands),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_transient_then_ok),
		cmocka_unit_test(test_prefect_unavailable),
		cmocka_unit_test(test_prefect_slow),
		cmocka_unit_test(test_503_burst),
		cmocka_unit_test(test_deployment_recreated),
		cmocka_unit_test(test_user_action),
		cmocka_unit_test(test_unknown_deployment),
		cmocka_unit_test(test_prefect_stopped),
	};
	int rc;

	base_url = support_env("STACK_URL");
	prefect_url = support_env("PREFECT_URL");
	log_path = support_env("LOG_PATH");
	api_key = support_env("PREFECT_DOUBLE_KEY");
	snprintf(bearer, sizeof(bearer), "Bearer %s", support_env("WEBHOOK_SECRET"));
	snprintf(webhook_url, sizeof(webhook_url), "%s/webhooks/supabase/videos", base_url);
	pg = PQconnectdb(support_env("DATABASE_URL"));
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "test_prefect_webhooks: %s", PQerrorMessage(pg));
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	PQfinish(pg);
	return rc;
}
