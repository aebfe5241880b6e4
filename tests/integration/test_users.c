/* test_users.c: the signed-in users' door, through real nginx and spawn-fcgi'd captionacc-fcgi on a
 * throwaway PostgreSQL (started by users.sh, QUEUE_BACKEND=local, HS256 access tokens minted by
 * tests/harness/mint-token as Supabase Auth would): approve-layout and caption-ocr queue their flows with
 * the parameters, priority and metadata the intake path gives; repeating an action returns the job that
 * still waits, an Idempotency-Key returns its own job; GET /videos/{id}, /videos/{id}/jobs and /jobs/{id}
 * answer the tenant's data; refused tokens are 401 with WWW-Authenticate, a user without a profile 403,
 * bad bodies 400 (nothing queued), a video not active yet 409; and the tenant matrix: a user of tenant B
 * on tenant A's video or job gets 404 from every endpoint, exactly as for an unknown one, and nothing is
 * queued. Also the webhook: a video id already queued for another tenant is 409. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/support.h"

#define VIDEO_A "vid-a1"
#define VIDEO_A_BUSY "vid-a2"
#define VIDEO_B "vid-b1"
#define CROP_BODY "{\"type\":\"crop-and-infer-caption-frame-extents\",\"crop_region\":{\"crop_left\":0," \
	"\"crop_top\":0.7,\"crop_right\":1,\"crop_bottom\":0.95}}"

static const char *base_url;
static PGconn *pg;
static char token_a[2048], token_b[2048];

/* One request; returns the status, the reply in c. */
static long
call(const char *method, const char *path, const char *auth, const char *body, const char *idem,
    struct http_call *c)
{
	static char url[512];

	snprintf(url, sizeof(url), "%s%s", base_url, path);
	memset(c, 0, sizeof(*c));
	c->method = method;
	c->url = url;
	c->auth = auth;
	c->body = body;
	c->body_len = body ? strlen(body) : 0;
	if (idem != NULL) {
		static char hdr[300];
		static const char *headers[2] = { hdr, NULL };

		snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", idem);
		c->headers = headers;
	}
	return http_one(c);
}

static long
jobs_of(const char *flow)
{
	const char *p[1] = { flow };

	return support_sql_long(pg, "SELECT count(*) FROM jobs WHERE flow = $1", 1, p);
}

/* POSTs an action and expects status; returns the jobId of a 200 (caller frees) or NULL. */
static char *
action(const char *video, const char *what, const char *auth, const char *body, const char *idem, long status)
{
	char path[256];
	struct http_call c;
	json_object *o;
	char *id = NULL;

	snprintf(path, sizeof(path), "/videos/%s/actions/%s", video, what);
	if (call("POST", path, auth, body, idem, &c) != status)
		fail_msg("POST %s: %ld, want %ld: %s", path, c.reply.status, status, c.reply.body ? c.reply.body : "");
	if (status == 200) {
		o = support_reply_json(&c);
		assert_true(json_object_get_boolean(json_object_object_get(o, "success")));
		id = strdup(support_json_str(o, "jobId"));
		json_object_put(o);
	}
	http_reply_free(&c.reply);
	return id;
}

static int
setup(void **state)
{
	(void)state;
	support_sql_do(pg, "TRUNCATE jobs CASCADE", 0, NULL);
	return 0;
}

static void
test_approve_layout(void **state)
{
	char *id = action(VIDEO_A, "approve-layout", token_a, CROP_BODY, NULL, 200), *again, *keyed, *keyed2;
	const char *p[1] = { id };

	(void)state;
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE id = $1::uuid AND flow = 'crop_and_infer'"
	    " AND tenant_id = 'tenant-a' AND video_id = '" VIDEO_A "' AND (parameters->'crop_region'->>'crop_top')::float8 = 0.7"
	    " AND metadata->>'triggered_by' = 'user-a' AND priority = 70 AND status = 'pending'", 1, p), 1);
	/* Again, while the first still waits: the same job. */
	again = action(VIDEO_A, "approve-layout", token_a, CROP_BODY, NULL, 200);
	assert_string_equal(again, id);
	assert_int_equal(jobs_of("crop_and_infer"), 1);
	/* With an Idempotency-Key: its own job, the same one whenever the key is repeated. */
	keyed = action(VIDEO_A, "approve-layout", token_a, "{\"type\":\"crop-and-infer-caption-frame-extents\","
	    "\"crop_region\":{\"crop_left\":0,\"crop_top\":0.5,\"crop_right\":1,\"crop_bottom\":1}}", "key-1", 200);
	keyed2 = action(VIDEO_A, "approve-layout", token_a, "{\"type\":\"crop-and-infer-caption-frame-extents\","
	    "\"crop_region\":{\"crop_left\":0,\"crop_top\":0.5,\"crop_right\":1,\"crop_bottom\":1}}", "key-1", 200);
	assert_string_not_equal(keyed, id);
	assert_string_equal(keyed2, keyed);
	assert_int_equal(jobs_of("crop_and_infer"), 2);
	/* Once the first is finished, the same action queues a new job. */
	support_sql_do(pg, "UPDATE jobs SET status = 'completed' WHERE id = $1::uuid", 1, p);
	free(again);
	again = action(VIDEO_A, "approve-layout", token_a, CROP_BODY, NULL, 200);
	assert_string_not_equal(again, id);
	assert_int_equal(jobs_of("crop_and_infer"), 3);
	free(id);
	free(again);
	free(keyed);
	free(keyed2);
}

static void
test_caption_ocr(void **state)
{
	char *id = action(VIDEO_A, "caption-ocr", token_a, "{\"caption_ids\":[3,1,2]}", NULL, 200);
	const char *p[1] = { id };

	(void)state;
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE id = $1::uuid AND flow = 'caption_ocr'"
	    " AND parameters->'caption_ids' = '[3,1,2]'::jsonb AND video_id = '" VIDEO_A "'", 1, p), 1);
	free(id);
}

static void
test_bad_requests(void **state)
{
	static const struct {
		const char *what, *body;
	} bad[] = {
		{ "approve-layout", "not json" },
		{ "approve-layout", "[]" },
		{ "approve-layout", "{\"type\":\"other\",\"crop_region\":{\"crop_left\":0,\"crop_top\":0.7,\"crop_right\":1,"
		  "\"crop_bottom\":0.95}}" },
		{ "approve-layout", "{\"type\":\"crop-and-infer-caption-frame-extents\",\"crop_region\":{\"crop_left\":0.5,"
		  "\"crop_top\":0.7,\"crop_right\":0.2,\"crop_bottom\":0.95}}" },
		{ "approve-layout", "{\"type\":\"crop-and-infer-caption-frame-extents\"}" },
		{ "caption-ocr", "{\"caption_ids\":[]}" },
		{ "caption-ocr", "{\"caption_ids\":[0]}" },
		{ "caption-ocr", "{\"caption_ids\":[\"c1\"]}" },
		{ "caption-ocr", "{}" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		free(action(VIDEO_A, bad[i].what, token_a, bad[i].body, NULL, 400));
	free(action(VIDEO_A, "caption-ocr", token_a, "{\"caption_ids\":[1]}", "bad key with spaces", 400));
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL), 0);
	/* A video still processing: 409; an unknown one: 404. */
	free(action(VIDEO_A_BUSY, "caption-ocr", token_a, "{\"caption_ids\":[1]}", NULL, 409));
	free(action("no-such-video", "caption-ocr", token_a, "{\"caption_ids\":[1]}", NULL, 404));
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL), 0);
}

static void
test_refused_tokens(void **state)
{
	char expired[2048], forged[2048], nobody[2048];
	const char *tokens[] = { NULL, "Basic dXNlcjpwdw==", "Bearer ", "Bearer not.a.token", expired, forged };
	struct http_call c;
	char hdr[128];

	(void)state;
	support_token("user-a", "--ttl -120", expired, sizeof(expired));
	snprintf(forged, sizeof(forged), "%s", token_a);
	forged[strlen(forged) - 2] = forged[strlen(forged) - 2] == 'A' ? 'B' : 'A';
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		assert_int_equal(call("GET", "/videos/" VIDEO_A, tokens[i], NULL, NULL, &c), 401);
		assert_non_null(http_header(&c.reply, "WWW-Authenticate", hdr, sizeof(hdr)));
		assert_string_equal(hdr, "Bearer error=\"invalid_token\"");
		assert_non_null(strstr(c.reply.body, "Unauthorized"));
		http_reply_free(&c.reply);
	}
	free(action(VIDEO_A, "caption-ocr", expired, "{\"caption_ids\":[1]}", NULL, 401));
	/* A valid token of a user without a profile: 403. */
	support_token("user-nobody", NULL, nobody, sizeof(nobody));
	assert_int_equal(call("GET", "/videos/" VIDEO_A, nobody, NULL, NULL, &c), 403);
	http_reply_free(&c.reply);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL), 0);
}

static void
test_reads(void **state)
{
	char *id = action(VIDEO_A, "caption-ocr", token_a, "{\"caption_ids\":[1]}", NULL, 200), path[128], *id2;
	const char *p[1] = { id };
	struct http_call c;
	json_object *o, *jobs, *steps;

	(void)state;
	assert_int_equal(call("GET", "/videos/" VIDEO_A, token_a, NULL, NULL, &c), 200);
	o = support_reply_json(&c);
	assert_string_equal(support_json_str(o, "status"), "active");
	assert_string_equal(support_json_str(o, "tenant_id"), "tenant-a");
	assert_int_equal(json_object_get_int(json_object_object_get(o, "layout_version")), 2);
	json_object_put(o);
	http_reply_free(&c.reply);
	support_sql_do(pg, "UPDATE jobs SET created_at = now() - interval '1 minute' WHERE id = $1::uuid", 1, p);
	id2 = action(VIDEO_A, "approve-layout", token_a, CROP_BODY, NULL, 200);
	assert_int_equal(call("GET", "/videos/" VIDEO_A "/jobs", token_a, NULL, NULL, &c), 200);
	o = support_reply_json(&c);
	jobs = json_object_object_get(o, "jobs");
	assert_int_equal(json_object_array_length(jobs), 2);
	assert_string_equal(support_json_str(json_object_array_get_idx(jobs, 0), "id"), id2); /* newest first */
	assert_string_equal(support_json_str(json_object_array_get_idx(jobs, 1), "flow"), "caption_ocr");
	assert_string_equal(support_json_str(json_object_array_get_idx(jobs, 1), "status"), "pending");
	json_object_put(o);
	http_reply_free(&c.reply);
	support_sql_do(pg, "INSERT INTO job_steps (job_id, step_index, name, status, result) VALUES ($1::uuid, 0,"
	    " 'caption_ocr', 'completed', '{\"caption_count\": 1}')", 1, p);
	snprintf(path, sizeof(path), "/jobs/%s", id);
	assert_int_equal(call("GET", path, token_a, NULL, NULL, &c), 200);
	o = support_reply_json(&c);
	assert_string_equal(support_json_str(o, "flow"), "caption_ocr");
	steps = json_object_object_get(o, "steps");
	assert_int_equal(json_object_array_length(steps), 1);
	assert_string_equal(support_json_str(json_object_array_get_idx(steps, 0), "status"), "completed");
	json_object_put(o);
	http_reply_free(&c.reply);
	assert_int_equal(call("GET", "/jobs/not-a-uuid", token_a, NULL, NULL, &c), 404);
	http_reply_free(&c.reply);
	assert_int_equal(call("GET", "/jobs/00000000-0000-4000-8000-000000000000", token_a, NULL, NULL, &c), 404);
	http_reply_free(&c.reply);
	free(id);
	free(id2);
}

/* The body of an answer for an unknown video/job, to compare other tenants' answers with. */
static char *
unknown_body(const char *path)
{
	struct http_call c;
	char *b;

	assert_int_equal(call("GET", path, token_b, NULL, NULL, &c), 404);
	b = strdup(c.reply.body);
	http_reply_free(&c.reply);
	return b;
}

static void
test_tenant_matrix(void **state)
{
	char *id = action(VIDEO_A, "caption-ocr", token_a, "{\"caption_ids\":[1]}", NULL, 200), path[128];
	char *unknown = unknown_body("/videos/no-such-video");
	const char *gets[] = { "/videos/" VIDEO_A, "/videos/" VIDEO_A "/jobs", path };
	struct http_call c;

	(void)state;
	snprintf(path, sizeof(path), "/jobs/%s", id);
	for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
		assert_int_equal(call("GET", gets[i], token_b, NULL, NULL, &c), 404);
		assert_string_equal(c.reply.body, unknown);
		http_reply_free(&c.reply);
	}
	assert_int_equal(call("POST", "/videos/" VIDEO_A "/actions/approve-layout", token_b, CROP_BODY, NULL, &c), 404);
	assert_string_equal(c.reply.body, unknown);
	http_reply_free(&c.reply);
	assert_int_equal(call("POST", "/videos/" VIDEO_A "/actions/caption-ocr", token_b, "{\"caption_ids\":[1]}", NULL,
	    &c), 404);
	assert_string_equal(c.reply.body, unknown);
	http_reply_free(&c.reply);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs", 0, NULL), 1);
	/* B's own video works for B. */
	free(action(VIDEO_B, "caption-ocr", token_b, "{\"caption_ids\":[1]}", NULL, 200));
	free(unknown);
	free(id);
}

static void
test_webhook_other_tenant(void **state)
{
	char *a = support_insert_body("vid-shared", "tenant-a", "tenant-a/v/shared.mp4", NULL);
	char *b = support_insert_body("vid-shared", "tenant-b", "tenant-b/v/shared.mp4", NULL), bearer[256], url[512];
	struct http_call c;

	(void)state;
	snprintf(bearer, sizeof(bearer), "Bearer %s", support_env("WEBHOOK_SECRET"));
	snprintf(url, sizeof(url), "%s/webhooks/supabase/videos", base_url);
	assert_int_equal(support_post(url, bearer, a, &c), 202);
	http_reply_free(&c.reply);
	assert_int_equal(support_post(url, bearer, b, &c), 409);
	http_reply_free(&c.reply);
	assert_int_equal(support_post(url, bearer, a, &c), 202);
	http_reply_free(&c.reply);
	assert_int_equal(support_sql_long(pg, "SELECT count(*) FROM jobs WHERE video_id = 'vid-shared'", 0, NULL), 1);
	free(a);
	free(b);
}

/* Routing of the new paths: a wrong method is 405 with Allow; an id segment that is not an id is 404. */
static void
test_routing(void **state)
{
	struct http_call c;
	char allow[64];

	(void)state;
	assert_int_equal(call("GET", "/videos/" VIDEO_A "/actions/approve-layout", token_a, NULL, NULL, &c), 405);
	assert_non_null(http_header(&c.reply, "Allow", allow, sizeof(allow)));
	assert_string_equal(allow, "POST");
	http_reply_free(&c.reply);
	assert_int_equal(call("DELETE", "/videos/" VIDEO_A, token_a, NULL, NULL, &c), 405);
	assert_non_null(http_header(&c.reply, "Allow", allow, sizeof(allow)));
	assert_string_equal(allow, "GET, HEAD");
	http_reply_free(&c.reply);
	assert_int_equal(call("GET", "/videos/bad%20id", token_a, NULL, NULL, &c), 404);
	http_reply_free(&c.reply);
	assert_int_equal(call("GET", "/videos/" VIDEO_A "/jobs/extra", token_a, NULL, NULL, &c), 404);
	http_reply_free(&c.reply);
	assert_int_equal(call("GET", "/videos//jobs", token_a, NULL, NULL, &c), 404);
	http_reply_free(&c.reply);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_approve_layout, setup),
		cmocka_unit_test_setup(test_caption_ocr, setup),
		cmocka_unit_test_setup(test_bad_requests, setup),
		cmocka_unit_test_setup(test_refused_tokens, setup),
		cmocka_unit_test_setup(test_reads, setup),
		cmocka_unit_test_setup(test_tenant_matrix, setup),
		cmocka_unit_test_setup(test_webhook_other_tenant, setup),
		cmocka_unit_test_setup(test_routing, setup),
	};
	int rc;

	base_url = support_env("STACK_URL");
	pg = PQconnectdb(support_env("DATABASE_URL"));
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect: %s\n", PQerrorMessage(pg));
		return 1;
	}
	support_sql_do(pg, "INSERT INTO user_profiles (id, tenant_id, access_tier_id) VALUES ('user-a', 'tenant-a',"
	    " 'active'), ('user-b', 'tenant-b', 'demo')", 0, NULL);
	support_sql_do(pg, "INSERT INTO videos (id, tenant_id, storage_key, status, layout_version) VALUES"
	    " ('" VIDEO_A "', 'tenant-a', 'tenant-a/v/a1.mp4', 'active', 2),"
	    " ('" VIDEO_A_BUSY "', 'tenant-a', 'tenant-a/v/a2.mp4', 'processing', NULL),"
	    " ('" VIDEO_B "', 'tenant-b', 'tenant-b/v/b1.mp4', 'active', NULL)", 0, NULL);
	support_token("user-a", NULL, token_a, sizeof(token_a));
	support_token("user-b", NULL, token_b, sizeof(token_b));
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	PQfinish(pg);
	return rc;
}
