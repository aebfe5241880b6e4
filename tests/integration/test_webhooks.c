/* test_webhooks.c: the webhook intake path through real nginx, spawn-fcgi'd captionacc-fcgi and a
 * throwaway PostgreSQL (started by webhooks.sh): every case of the seed's test_webhooks.py (missing and
 * wrong auth, invalid payloads, non-INSERT ignored, premium success with the job row checked), tiers and
 * age boost, duplicate delivery (sequential and concurrent), HTTP errors (404/405/413/415), the
 * database stopped and restarted mid-test (503 + Retry-After, then 202 again), 50 concurrent webhooks,
 * nginx's rate limit, and no secret in the log. Bad input must change nothing in the database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/integration/support.h"

static const char *base_url, *secret, *conninfo, *stack_dir;
static char bearer[256], webhook_url[512];
static PGconn *pg;

static long
job_count(void)
{
	return support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL);
}

static void
pg_reconnect(void)
{
	PQfinish(pg);
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("cannot connect to the test database: %s", PQerrorMessage(pg));
}

/* An INSERT webhook body for a video (storage key <tenant>/videos/<video>.mp4); created_at NULL leaves the
 * field out. Caller frees. */
static char *
insert_body(const char *video, const char *tenant, const char *created_at)
{
	char key[512];

	snprintf(key, sizeof(key), "%s/videos/%s.mp4", tenant, video);
	return support_insert_body(video, tenant, key, created_at);
}

/* Sends the webhooks bodies[0..n-1] all at once (bodies[i] or, when one_body is set, the same body for
 * all) and fails the test unless every reply has status `want`. Replies stay in calls[]. */
static void
post_all(struct http_call *calls, size_t n, const char *auth, char *const *bodies, const char *one_body, long want)
{
	memset(calls, 0, n * sizeof(*calls));
	for (size_t i = 0; i < n; i++) {
		calls[i].method = "POST";
		calls[i].url = webhook_url;
		calls[i].auth = auth;
		calls[i].body = one_body ? one_body : bodies[i];
		calls[i].body_len = strlen(calls[i].body);
	}
	assert_int_equal(http_run(calls, n), 0);
	for (size_t i = 0; i < n; i++)
		if (want != 0 && calls[i].reply.status != want)
			fail_msg("request %zu answered %ld, expected %ld: %s", i, calls[i].reply.status, want,
			    calls[i].reply.body ? calls[i].reply.body : "");
}

static bool
has_tag(json_object *o, const char *tag)
{
	json_object *tags;

	if (!json_object_object_get_ex(o, "tags", &tags) || !json_object_is_type(tags, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(tags); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(tags, i)), tag) == 0)
			return true;
	return false;
}

/* ---- the seed's test_webhooks.py ---- */

/* GET /health, which must answer 200 whatever the database's state; asserts what it reports. */
static void
expect_health(const char *database)
{
	struct http_call c = { .method = "GET" };
	char url[512];
	json_object *o;

	snprintf(url, sizeof(url), "%s/health", base_url);
	c.url = url;
	assert_int_equal(http_one(&c), 200);
	o = support_reply_json(&c);
	assert_string_equal(support_json_str(o, "status"), "ok");
	assert_string_equal(support_json_str(o, "database"), database);
	assert_string_equal(support_json_str(o, "queue"), database); /* local queue: the jobs table */
	json_object_put(o);
	http_reply_free(&c.reply);
}

static void
test_health(void **state)
{
	expect_health("ok");
}

static void
test_webhook_auth_missing(void **state)
{
	const char *body = "{\"type\":\"INSERT\",\"table\":\"videos\",\"record\":{}}";
	long before = job_count();
	struct http_call c;
	json_object *o;

	assert_int_equal(support_post(webhook_url, NULL, body, &c), 401);
	o = support_reply_json(&c);
	assert_non_null(strstr(support_json_str(o, "detail"), "Unauthorized"));
	json_object_put(o);
	http_reply_free(&c.reply);
	assert_int_equal(job_count(), before);
}

static void
test_webhook_auth_invalid(void **state)
{
	static const char *headers[] = { "Bearer wrong-secret", "Bearer", "Bearer ", "Basic dGVzdDp0ZXN0",
		"test-secret", "Bearer test-secret-and-more", "Bearer test-secre" };
	char *body = insert_body("video-auth", "tenant-auth", NULL);
	long before = job_count();
	struct http_call c;

	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		if (support_post(webhook_url, headers[i], body, &c) != 401)
			fail_msg("Authorization \"%s\" answered %ld", headers[i], c.reply.status);
		http_reply_free(&c.reply);
	}
	free(body);
	assert_int_equal(job_count(), before);
}

static void
test_webhook_invalid_payload(void **state)
{
	static const char *bodies[] = {
		"{\"invalid\": \"payload\"}",
		"not json at all",
		"[]",
		"{\"type\":\"INSERT\"}",
		"{\"type\":[\"INSERT\"],\"record\":{}}",
		"{\"type\":\"INSERT\",\"record\":\"x\"}",
		"{\"type\":\"INSERT\",\"table\":\"videos\",\"record\":{}}",
		"{\"type\":\"INSERT\",\"record\":{\"id\":\"v 1\",\"tenant_id\":\"t\",\"storage_key\":\"t/a.mp4\"}}",
		"{\"type\":\"INSERT\",\"record\":{\"id\":\"v1\",\"tenant_id\":\"t\",\"storage_key\":\"other/a.mp4\"}}",
		"{\"type\":\"INSERT\",\"record\":{\"id\":\"v1\",\"tenant_id\":\"t\",\"storage_key\":\"t/../u/a.mp4\"}}",
		"{\"type\":\"INSERT\",\"record\":{\"id\":\"v1\",\"tenant_id\":\"t\",\"storage_key\":\"t//a.mp4\"}}",
		"{\"type\":\"INSERT\",\"record\":{\"id\":\"v1\",\"tenant_id\":\"t\",\"storage_key\":\"t/a\\u0001.mp4\"}}",
		"{\"type\":\"INSERT\",\"record\":{\"id\":\"v1\",\"tenant_id\":\"t\",\"storage_key\":\"t/a.mp4\","
		"\"created_at\":\"not a date\"}}",
	};
	long before = job_count();
	struct http_call c;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		json_object *o;

		if (support_post(webhook_url, bearer, bodies[i], &c) != 400)
			fail_msg("%s answered %ld: %s", bodies[i], c.reply.status, c.reply.body);
		o = support_reply_json(&c);
		assert_true(strlen(support_json_str(o, "detail")) > 5);
		json_object_put(o);
		http_reply_free(&c.reply);
	}
	assert_int_equal(job_count(), before);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM videos WHERE id = 'v1'", 0, NULL), 0);
}

static void
test_webhook_non_insert_event(void **state)
{
	static const char *bodies[] = {
		"{\"type\":\"UPDATE\",\"table\":\"videos\",\"record\":{\"id\":\"video-123\"}}",
		"{\"type\":\"DELETE\",\"table\":\"videos\",\"record\":null,\"old_record\":{\"id\":\"video-123\"}}",
	};
	long before = job_count();
	struct http_call c;

	for (size_t i = 0; i < 2; i++) {
		json_object *o;

		assert_int_equal(support_post(webhook_url, bearer, bodies[i], &c), 200);
		o = support_reply_json(&c);
		assert_string_equal(support_json_str(o, "status"), "ignored");
		json_object_put(o);
		http_reply_free(&c.reply);
	}
	assert_int_equal(job_count(), before);
}

static void
test_webhook_success(void **state)
{
	const char *params[1];
	char *body = insert_body("video-123", "tenant-456", "2024-01-01T00:00:00Z");
	struct http_call c;
	json_object *o, *prio;
	PGresult *r;
	const char *id;

	support_sql_do(pg, "INSERT INTO user_profiles (id, tenant_id, access_tier_id) VALUES ('user-1', 'tenant-456', 'active')",
	    0, NULL);
	assert_int_equal(support_post(webhook_url, bearer, body, &c), 202);
	o = support_reply_json(&c);
	assert_true(json_object_get_boolean(json_object_object_get(o, "success")));
	assert_string_equal(support_json_str(o, "status"), "accepted");
	id = support_json_str(o, "flow_run_id");
	assert_int_equal(strlen(id), 36);
	prio = json_object_object_get(o, "priority");
	assert_true(json_object_is_type(prio, json_type_int));
	assert_true(json_object_get_int(prio) >= 70);           /* premium tier */
	assert_int_equal(json_object_get_int(prio), 90);        /* 70 + capped boost of 20 (video from 2024) */
	assert_true(has_tag(o, "tenant:tenant-456"));
	assert_true(has_tag(o, "tier:premium"));
	assert_true(has_tag(o, "priority:90"));
	assert_true(has_tag(o, "age-boosting:enabled"));

	params[0] = id;
	r = PQexecParams(pg, "SELECT flow, tenant_id, video_id, parameters->>'video_id', parameters->>'tenant_id',"
	    " parameters->>'storage_key', priority, status, metadata->>'triggered_by', attempt, max_attempts,"
	    " base_priority FROM jobs WHERE id = $1", 1, NULL, params, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 1);
	assert_string_equal(PQgetvalue(r, 0, 0), "video_initial_processing");
	assert_string_equal(PQgetvalue(r, 0, 1), "tenant-456");
	assert_string_equal(PQgetvalue(r, 0, 2), "video-123");
	assert_string_equal(PQgetvalue(r, 0, 3), "video-123");
	assert_string_equal(PQgetvalue(r, 0, 4), "tenant-456");
	assert_string_equal(PQgetvalue(r, 0, 5), "tenant-456/videos/video-123.mp4");
	assert_string_equal(PQgetvalue(r, 0, 6), "90");
	assert_string_equal(PQgetvalue(r, 0, 7), "pending");
	assert_string_equal(PQgetvalue(r, 0, 8), "supabase_webhook");
	assert_string_equal(PQgetvalue(r, 0, 9), "0");
	assert_string_equal(PQgetvalue(r, 0, 10), "5");
	assert_string_equal(PQgetvalue(r, 0, 11), "70");
	PQclear(r);
	json_object_put(o);
	http_reply_free(&c.reply);
	free(body);
}

/* ---- priorities by tier and age (SPEC §6 through the whole path) ---- */

static void
test_tiers_and_age(void **state)
{
	struct { const char *tenant, *access, *video; int minutes; int want; const char *tier; } cases[] = {
		{ "tenant-free", NULL, "video-free", -1, 50, "tier:free" },
		{ "tenant-demo", "demo", "video-demo", 120, 52, "tier:free" },
		{ "tenant-ent", "enterprise", "video-ent", 120, 92, "tier:enterprise" },
		{ "tenant-mixed", "demo", "video-mixed", 0, 70, "tier:premium" },
	};
	struct http_call c;

	support_sql_do(pg, "INSERT INTO user_profiles (id, tenant_id, access_tier_id) VALUES ('user-m2', 'tenant-mixed', 'active')",
	    0, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char created[40], uid[64], *body;
		time_t t = time(NULL) - (cases[i].minutes > 0 ? cases[i].minutes * 60 + 30 : 0);
		json_object *o;

		if (cases[i].access != NULL) {
			const char *p[3] = { uid, cases[i].tenant, cases[i].access };

			snprintf(uid, sizeof(uid), "user-%s", cases[i].tenant);
			support_sql_do(pg, "INSERT INTO user_profiles (id, tenant_id, access_tier_id) VALUES ($1, $2, $3)", 3, p);
		}
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		body = insert_body(cases[i].video, cases[i].tenant, cases[i].minutes < 0 ? NULL : created);
		assert_int_equal(support_post(webhook_url, bearer, body, &c), 202);
		o = support_reply_json(&c);
		if (json_object_get_int(json_object_object_get(o, "priority")) != cases[i].want)
			fail_msg("%s: priority %d, expected %d", cases[i].tenant,
			    json_object_get_int(json_object_object_get(o, "priority")), cases[i].want);
		assert_true(has_tag(o, cases[i].tier));
		json_object_put(o);
		http_reply_free(&c.reply);
		free(body);
	}
}

/* ---- idempotency ---- */

static void
test_duplicate_delivery(void **state)
{
	char *body = insert_body("video-dup", "tenant-dup", "2025-06-01T12:00:00+02:00");
	struct http_call a, b;
	json_object *oa, *ob;
	long before = job_count();

	assert_int_equal(support_post(webhook_url, bearer, body, &a), 202);
	assert_int_equal(support_post(webhook_url, bearer, body, &b), 202);
	oa = support_reply_json(&a);
	ob = support_reply_json(&b);
	assert_string_equal(support_json_str(oa, "flow_run_id"), support_json_str(ob, "flow_run_id"));
	assert_int_equal(json_object_get_int(json_object_object_get(oa, "priority")),
	    json_object_get_int(json_object_object_get(ob, "priority")));
	assert_int_equal(job_count(), before + 1);
	json_object_put(oa);
	json_object_put(ob);
	http_reply_free(&a.reply);
	http_reply_free(&b.reply);
	free(body);
}

static void
test_concurrent_duplicates(void **state)
{
	enum { N = 20 };
	struct http_call calls[N];
	char *body = insert_body("video-race", "tenant-race", NULL);
	char first[64] = "";
	long before = job_count();

	post_all(calls, N, bearer, NULL, body, 202);
	for (int i = 0; i < N; i++) {
		json_object *o = support_reply_json(&calls[i]);

		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%s", support_json_str(o, "flow_run_id"));
		assert_string_equal(support_json_str(o, "flow_run_id"), first);
		json_object_put(o);
		http_reply_free(&calls[i].reply);
	}
	assert_int_equal(job_count(), before + 1);
	free(body);
}

/* ---- HTTP errors: all JSON ---- */

static void
expect_status(const char *method, const char *path, const char *auth, const char *ctype, const char *body,
    size_t len, long want, const char *header)
{
	struct http_call c = { .method = method, .auth = auth, .content_type = ctype, .body = body, .body_len = len };
	char url[512], hv[128];
	json_object *o;

	snprintf(url, sizeof(url), "%s%s", base_url, path);
	c.url = url;
	if (http_one(&c) != want)
		fail_msg("%s %s answered %ld, expected %ld: %s", method, path, c.reply.status, want,
		    c.reply.body ? c.reply.body : "");
	o = support_reply_json(&c);
	assert_true(strlen(support_json_str(o, "detail")) > 3);
	if (header != NULL && http_header(&c.reply, header, hv, sizeof(hv)) == NULL)
		fail_msg("%s %s: no %s header", method, path, header);
	json_object_put(o);
	http_reply_free(&c.reply);
}

static void
test_http_errors(void **state)
{
	size_t big = 100 * 1024, huge = 3 * 1024 * 1024;
	char *body = malloc(huge);
	char *ok = insert_body("video-415", "tenant-415", NULL);
	long before = job_count();

	memset(body, ' ', huge);
	body[0] = '{';
	expect_status("GET", "/no/such/path", NULL, NULL, NULL, 0, 404, NULL);
	expect_status("POST", "/webhooks/supabase/videos/extra", bearer, NULL, ok, strlen(ok), 404, NULL);
	expect_status("GET", "/webhooks/supabase/videos", bearer, NULL, NULL, 0, 405, "Allow");
	expect_status("DELETE", "/health", NULL, NULL, NULL, 0, 405, "Allow");
	/* over MAX_BODY_BYTES (64 KiB in this stack): captionacc-fcgi answers */
	expect_status("POST", "/webhooks/supabase/videos", bearer, NULL, body, big, 413, NULL);
	/* over nginx's client_max_body_size: nginx answers, in JSON too */
	expect_status("POST", "/webhooks/supabase/videos", bearer, NULL, body, huge, 413, NULL);
	expect_status("POST", "/webhooks/supabase/videos", bearer, "text/plain", ok, strlen(ok), 415, NULL);
	expect_status("POST", "/webhooks/supabase/videos", bearer, "application/x-www-form-urlencoded", ok, strlen(ok),
	    415, NULL);
	assert_int_equal(job_count(), before);
	free(body);
	free(ok);
}

/* ---- the database goes away and comes back ---- */

static void
test_database_down_and_back(void **state)
{
	char *body = insert_body("video-dbdown", "tenant-dbdown", NULL);
	struct http_call c;
	char hv[64];
	json_object *o;
	int tries;

	support_stack("pg-stop");
	for (int i = 0; i < 6; i++) { /* every fcgi process notices, none crashes */
		assert_int_equal(support_post(webhook_url, bearer, body, &c), 503);
		assert_non_null(http_header(&c.reply, "Retry-After", hv, sizeof(hv)));
		assert_true(atoi(hv) > 0);
		o = support_reply_json(&c);
		assert_null(strstr(support_json_str(o, "detail"), "pgsock")); /* no internals in the answer */
		json_object_put(o);
		http_reply_free(&c.reply);
	}
	expect_health("unavailable");

	support_stack("pg-start");
	pg_reconnect();
	/* The processes reconnect by themselves; allow a moment for the reconnect back-off (250 ms). */
	for (tries = 0; tries < 50; tries++) {
		long st = support_post(webhook_url, bearer, body, &c);

		http_reply_free(&c.reply);
		if (st == 202)
			break;
		assert_int_equal(st, 503);
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	assert_true(tries < 50);
	for (int i = 0; i < 8; i++) { /* and all of them serve again */
		assert_int_equal(support_post(webhook_url, bearer, body, &c), 202);
		http_reply_free(&c.reply);
	}
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE video_id = 'video-dbdown'", 0, NULL), 1);
	free(body);
}

/* ---- load: 50 at once (correctness only) ---- */

static void
test_50_concurrent_webhooks(void **state)
{
	enum { N = 50 };
	struct http_call calls[N];
	char *bodies[N];
	long before = job_count();

	for (int i = 0; i < N; i++) {
		char vid[32];

		snprintf(vid, sizeof(vid), "video-load-%d", i);
		bodies[i] = insert_body(vid, "load-test-tenant", NULL);
	}
	post_all(calls, N, bearer, bodies, NULL, 202);
	for (int i = 0; i < N; i++) {
		json_object *o = support_reply_json(&calls[i]);

		assert_int_equal(json_object_get_int(json_object_object_get(o, "priority")), 50);
		json_object_put(o);
		http_reply_free(&calls[i].reply);
		free(bodies[i]);
	}
	assert_int_equal(job_count(), before + N);
	assert_int_equal(support_sql_long(pg, "SELECT count(DISTINCT id) FROM jobs WHERE tenant_id = 'load-test-tenant'", 0, NULL),
	    N);
}

/* ---- nginx's per-address rate limit (runs last: it exhausts the bucket) ---- */

static void
test_rate_limit(void **state)
{
	enum { N = 600 };
	struct http_call *calls = calloc(N, sizeof(*calls));
	const char *body = "{}";
	int limited = 0;

	post_all(calls, N, "Bearer wrong", NULL, body, 0);
	for (int i = 0; i < N; i++) {
		if (calls[i].reply.status == 429) {
			json_object *o = support_reply_json(&calls[i]);

			json_object_put(o);
			limited++;
		} else if (calls[i].reply.status != 401) {
			fail_msg("request %d answered %ld", i, calls[i].reply.status);
		}
		http_reply_free(&calls[i].reply);
	}
	free(calls);
	if (limited == 0)
		fail_msg("no request of %d was rate-limited", N);
}

static void
test_no_secret_in_log(void **state)
{
	char path[1024], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/captionacc.log", stack_dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, secret) != NULL)
			fail_msg("the webhook secret appears in the log: %s", line);
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_webhook_auth_missing),
		cmocka_unit_test(test_webhook_auth_invalid),
		cmocka_unit_test(test_webhook_invalid_payload),
		cmocka_unit_test(test_webhook_non_insert_event),
		cmocka_unit_test(test_webhook_success),
		cmocka_unit_test(test_tiers_and_age),
		cmocka_unit_test(test_duplicate_delivery),
		cmocka_unit_test(test_concurrent_duplicates),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_database_down_and_back),
		cmocka_unit_test(test_50_concurrent_webhooks),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_no_secret_in_log),
	};
	int rc;

	base_url = support_env("STACK_URL");
	secret = support_env("WEBHOOK_SECRET");
	conninfo = support_env("DATABASE_URL");
	stack_dir = support_env("STACK_DIR");
	snprintf(bearer, sizeof(bearer), "Bearer %s", secret);
	snprintf(webhook_url, sizeof(webhook_url), "%s/webhooks/supabase/videos", base_url);
	curl_global_init(CURL_GLOBAL_ALL);
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "test_webhooks: cannot connect: %s\n", PQerrorMessage(pg));
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	PQfinish(pg);
	curl_global_cleanup();
	return rc;
}
