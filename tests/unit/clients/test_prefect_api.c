/* test_prefect_api.c: shared/clients/prefect.c's calls against a libmicrohttpd double run inside the test
 * on a free 127.0.0.1 port, each test scripting the double's answers (status and body per method and
 * path) and reading back what it received: deployments resolved once and cached, refused when in another
 * work pool, without an id, missing or answered with a body that is not JSON, looked up again for an
 * unknown id at most once per interval; flow runs created (201) or
 * found again (200), the deployment looked up again when its id went away; scheduled and filtered runs
 * that must be lists; set_state answers (status, state type, WAIT's delay and its bounds) and the state
 * proposed; a run's state type in both of Prefect's forms; queues created or already there (409); and a
 * transient 503 retried until the answer settles, or the retries are spent. */
#include "tests/doubles/serve.h"
#include "shared/clients/prefect.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTES 8
#define BODY_MAX 4096
#define POOL "captionacc-pool"

/* --- the double: per test, answers by method and path; it counts hits and keeps the last body ------- */

struct route {
	const char *method, *path;
	unsigned status;
	const char *body;
	int fail_first;   /* the first fail_first hits answer 503 instead */
	int hits;
};

static struct MHD_Daemon *daemon_;
static unsigned port;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct route routes[ROUTES];
static int nroutes;
static char last_body[BODY_MAX];

static void
script(const char *method, const char *path, unsigned status, const char *body, int fail_first)
{
	assert_true(nroutes < ROUTES);
	pthread_mutex_lock(&lock);
	routes[nroutes++] = (struct route){ method, path, status, body, fail_first, 0 };
	pthread_mutex_unlock(&lock);
}

static int
hits(const char *method, const char *path)
{
	int n = 0;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < nroutes; i++)
		if (strcmp(routes[i].method, method) == 0 && strcmp(routes[i].path, path) == 0)
			n += routes[i].hits;
	pthread_mutex_unlock(&lock);
	return n;
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json");
	if (status == 503)
		MHD_add_response_header(r, "Retry-After", "1");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
route(struct MHD_Connection *c, const char *method, const char *url, const char *request)
{
	unsigned status = 418;
	const char *body = "{\"detail\":\"no route in the test's script\"}";

	pthread_mutex_lock(&lock);
	(void)snprintf(last_body, sizeof(last_body), "%s", request != NULL ? request : "");
	for (int i = 0; i < nroutes; i++) {
		struct route *r = &routes[i];

		if (strcmp(r->method, method) != 0 || strcmp(r->path, url) != 0)
			continue;
		status = r->hits < r->fail_first ? 503 : r->status;
		body = r->hits < r->fail_first ? "" : r->body;
		r->hits++;
		break;
	}
	pthread_mutex_unlock(&lock);
	return reply(c, status, body);
}

static int
start(void **state)
{
	daemon_ = serve_start(route, &port);
	return daemon_ != NULL ? 0 : -1;
}

static int
stop(void **state)
{
	MHD_stop_daemon(daemon_);
	return 0;
}

/* --- the client: a fresh one per test, no retries unless asked -------------------------------------- */

static struct prefect *
client(long retries)
{
	static char url[128], bands[] = "90:high,0:low", deployments[] = "noop=captionacc/noop,diagnostic=captionacc/diag",
	    pool[] = POOL;
	struct config cfg = { 0 };
	struct prefect *p;
	char err[256];

	pthread_mutex_lock(&lock);
	nroutes = 0;
	last_body[0] = '\0';
	pthread_mutex_unlock(&lock);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/", port);
	cfg.prefect_api_url = url;
	cfg.prefect_queue_bands = bands;
	cfg.prefect_deployments = deployments;
	cfg.prefect_work_pool = pool;
	cfg.prefect_timeout_seconds = 5;
	cfg.prefect_retries = retries;
	if ((p = prefect_new(&cfg, err, sizeof(err))) == NULL)
		fail_msg("prefect_new: %s", err);
	return p;
}

static const char *
received(void)
{
	static char copy[BODY_MAX];

	pthread_mutex_lock(&lock);
	memcpy(copy, last_body, sizeof(copy));
	pthread_mutex_unlock(&lock);
	return copy;
}

#define DEP_PATH "/api/deployments/name/captionacc/noop"
#define DEP_OK "{\"id\":\"dep-1\",\"work_pool_name\":\"" POOL "\"}"

static void
assert_contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

/* --- deployments ----------------------------------------------------------------------------------- */

static void
test_deployment_id(void **state)
{
	static const struct {
		unsigned status;
		const char *body, *err;
		enum prefect_result r;
	} refused[] = {
		{ 200, "{\"id\":\"dep-1\",\"work_pool_name\":\"other-pool\"}", "work pool \"other-pool\"",
		  PREFECT_WRONG_POOL },
		{ 200, "{\"id\":\"dep-1\"}", "work pool \"(none)\"", PREFECT_WRONG_POOL },
		{ 200, "{\"work_pool_name\":\"" POOL "\"}", "has no usable id", PREFECT_REFUSED },
		{ 200, "{\"id\":7,\"work_pool_name\":\"" POOL "\"}", "has no usable id", PREFECT_REFUSED },
		{ 200, "not json", "not JSON", PREFECT_REFUSED },
		{ 404, "{\"detail\":\"Deployment not found\"}", "Prefect has no deployment captionacc/noop",
		  PREFECT_NOT_FOUND },
		{ 422, "{\"detail\":\"bad name\"}", "answered 422: bad name", PREFECT_REFUSED },
	};
	struct prefect *p = client(0);
	char id[PREFECT_ID_MAX], err[512];

	/* Resolved once, then from the cache. */
	script("GET", DEP_PATH, 200, DEP_OK, 0);
	assert_int_equal(prefect_deployment_id(p, "noop", id, sizeof(id), err, sizeof(err)), PREFECT_OK);
	assert_string_equal(id, "dep-1");
	assert_int_equal(prefect_deployment_id(p, "noop", id, sizeof(id), err, sizeof(err)), PREFECT_OK);
	assert_int_equal(hits("GET", DEP_PATH), 1);
	assert_string_equal(prefect_flow_of(p, "dep-1"), "noop");
	prefect_free(p);

	/* A flow with no deployment configured: refused without a request. */
	p = client(0);
	assert_int_equal(prefect_deployment_id(p, "caption_ocr", id, sizeof(id), err, sizeof(err)), PREFECT_REFUSED);
	assert_contains(err, "no Prefect deployment configured for flow caption_ocr");
	prefect_free(p);

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		p = client(0);
		script("GET", DEP_PATH, refused[i].status, refused[i].body, 0);
		if (prefect_deployment_id(p, "noop", id, sizeof(id), err, sizeof(err)) != refused[i].r)
			fail_msg("case %zu (%s): not result %d: %s", i, refused[i].body, refused[i].r, err);
		assert_contains(err, refused[i].err);
		/* Nothing cached: the next call asks again. */
		(void)prefect_deployment_id(p, "noop", id, sizeof(id), err, sizeof(err));
		assert_int_equal(hits("GET", DEP_PATH), 2);
		prefect_free(p);
	}
}

/* A deployment id we do not know may be one of ours made again: every name is looked up again, at most
 * once per PREFECT_RESOLVE_RETRY_MS; a name that failed to resolve is not asked again meanwhile. */
static void
test_flow_of(void **state)
{
	struct prefect *p = client(0);

	script("GET", DEP_PATH, 200, DEP_OK, 0);
	script("GET", "/api/deployments/name/captionacc/diag", 404, "{}", 0);
	assert_null(prefect_flow_of(p, "dep-elsewhere"));
	assert_int_equal(hits("GET", DEP_PATH), 2);
	assert_int_equal(hits("GET", "/api/deployments/name/captionacc/diag"), 2);
	assert_null(prefect_flow_of(p, "dep-elsewhere"));
	assert_string_equal(prefect_flow_of(p, "dep-1"), "noop");
	assert_int_equal(hits("GET", DEP_PATH), 2);
	assert_int_equal(hits("GET", "/api/deployments/name/captionacc/diag"), 2);
	prefect_free(p);
}

/* --- flow runs ------------------------------------------------------------------------------------- */

static enum prefect_result
create(struct prefect *p, char *run_id, bool *created, char *tenant, char *err)
{
	json_object *params = json_object_new_object(), *tags = json_object_new_array();
	enum prefect_result r;

	json_object_object_add(params, "tenant_id", json_object_new_string("t1"));
	json_object_array_add(tags, json_object_new_string("video:v1"));
	r = prefect_create_run(p, "noop", params, tags, "key-1", "high", run_id, PREFECT_ID_MAX, created, tenant, 64,
	    err, 512);
	json_object_put(params);
	json_object_put(tags);
	return r;
}

static void
test_create_run(void **state)
{
	struct prefect *p = client(0);
	char run_id[PREFECT_ID_MAX], tenant[64], err[512];
	bool created;

	script("GET", DEP_PATH, 200, DEP_OK, 0);
	script("POST", "/api/deployments/dep-1/create_flow_run", 201,
	    "{\"id\":\"run-1\",\"parameters\":{\"tenant_id\":\"t1\"}}", 0);
	assert_int_equal(create(p, run_id, &created, tenant, err), PREFECT_OK);
	assert_string_equal(run_id, "run-1");
	assert_true(created);
	assert_string_equal(tenant, "t1");
	/* Exactly the fields Prefect accepts. */
	assert_contains(received(), "\"idempotency_key\":\"key-1\"");
	assert_contains(received(), "\"work_queue_name\":\"high\"");
	assert_contains(received(), "\"tags\":[\"video:v1\"]");
	assert_null(strstr(received(), "priority"));
	prefect_free(p);

	/* 200: the idempotency key found an existing run (of another tenant here). */
	p = client(0);
	script("GET", DEP_PATH, 200, DEP_OK, 0);
	script("POST", "/api/deployments/dep-1/create_flow_run", 200,
	    "{\"id\":\"run-0\",\"parameters\":{\"tenant_id\":\"t2\"}}", 0);
	assert_int_equal(create(p, run_id, &created, tenant, err), PREFECT_OK);
	assert_string_equal(run_id, "run-0");
	assert_false(created);
	assert_string_equal(tenant, "t2");
	prefect_free(p);

	/* A new run without an id. */
	p = client(0);
	script("GET", DEP_PATH, 200, DEP_OK, 0);
	script("POST", "/api/deployments/dep-1/create_flow_run", 201, "{\"name\":\"x\"}", 0);
	assert_int_equal(create(p, run_id, &created, tenant, err), PREFECT_REFUSED);
	assert_contains(err, "new flow run has no usable id");
	prefect_free(p);
}

/* The cached deployment id went away (deployment made again): looked up again, the run created on the new
 * id in the same call; when the name is gone too, NOT_FOUND naming the deployment. */
static void
test_create_run_redeployed(void **state)
{
	struct prefect *p = client(0);
	char run_id[PREFECT_ID_MAX], tenant[64], id[PREFECT_ID_MAX], err[512];
	bool created;

	script("GET", DEP_PATH, 200, DEP_OK, 0);
	assert_int_equal(prefect_deployment_id(p, "noop", id, sizeof(id), err, sizeof(err)), PREFECT_OK);
	pthread_mutex_lock(&lock);
	nroutes = 0;
	pthread_mutex_unlock(&lock);
	script("POST", "/api/deployments/dep-1/create_flow_run", 404, "{\"detail\":\"Deployment not found\"}", 0);
	script("GET", DEP_PATH, 200, "{\"id\":\"dep-2\",\"work_pool_name\":\"" POOL "\"}", 0);
	script("POST", "/api/deployments/dep-2/create_flow_run", 201, "{\"id\":\"run-2\"}", 0);
	assert_int_equal(create(p, run_id, &created, tenant, err), PREFECT_OK);
	assert_string_equal(run_id, "run-2");
	assert_true(created);
	assert_string_equal(tenant, "");
	assert_int_equal(hits("GET", DEP_PATH), 1);
	assert_int_equal(hits("POST", "/api/deployments/dep-1/create_flow_run"), 1);
	assert_string_equal(prefect_flow_of(p, "dep-2"), "noop");
	prefect_free(p);

	p = client(0);
	script("GET", DEP_PATH, 200, DEP_OK, 0);
	script("POST", "/api/deployments/dep-1/create_flow_run", 404, "{\"detail\":\"Deployment not found\"}", 0);
	assert_int_equal(create(p, run_id, &created, tenant, err), PREFECT_NOT_FOUND);
	assert_contains(err, "Prefect has no deployment captionacc/noop (flow noop)");
	prefect_free(p);
}

static void
test_scheduled_runs(void **state)
{
	struct prefect *p = client(0);
	json_object *runs = NULL;
	char err[512];

	script("POST", "/api/work_pools/" POOL "/get_scheduled_flow_runs", 200,
	    "[{\"flow_run\":{\"id\":\"r1\"}},{\"other\":1},{\"flow_run\":\"r2\"},{\"flow_run\":{\"id\":\"r3\"}}]", 0);
	assert_int_equal(prefect_scheduled_runs(p, 500, &runs, err, sizeof(err)), PREFECT_OK);
	assert_int_equal(json_object_array_length(runs), 2);
	assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(runs, 1), "id")),
	    "r3");
	assert_contains(received(), "\"limit\":200"); /* capped at PREFECT_LIMIT_MAX */
	assert_contains(received(), "\"scheduled_before\":\"");
	json_object_put(runs);
	prefect_free(p);

	p = client(0);
	script("POST", "/api/work_pools/" POOL "/get_scheduled_flow_runs", 200, "{\"flow_run\":{}}", 0);
	assert_int_equal(prefect_scheduled_runs(p, 5, &runs, err, sizeof(err)), PREFECT_REFUSED);
	assert_null(runs);
	assert_contains(err, "scheduled runs are not a list");
	prefect_free(p);
}

static void
test_set_state(void **state)
{
	static const struct {
		const char *body;
		enum prefect_result r;
		const char *status, *type, *reason;
		double delay;
	} cases[] = {
		{ "{\"status\":\"ACCEPT\",\"state\":{\"type\":\"RUNNING\"}}", PREFECT_OK, "ACCEPT", "RUNNING", "", 0 },
		{ "{\"status\":\"WAIT\",\"details\":{\"delay_seconds\":30,\"reason\":\"busy\"}}", PREFECT_OK, "WAIT", "",
		  "busy", 30 },
		{ "{\"status\":\"WAIT\",\"details\":{\"delay_seconds\":2.5}}", PREFECT_OK, "WAIT", "", "", 2.5 },
		{ "{\"status\":\"WAIT\",\"details\":{\"delay_seconds\":86401}}", PREFECT_OK, "WAIT", "", "", 0 },
		{ "{\"status\":\"WAIT\",\"details\":{\"delay_seconds\":-1}}", PREFECT_OK, "WAIT", "", "", 0 },
		{ "{\"status\":\"ABORT\",\"details\":{\"reason\":\"run is cancelled\"}}", PREFECT_OK, "ABORT", "",
		  "run is cancelled", 0 },
		{ "{\"state\":{\"type\":\"RUNNING\"}}", PREFECT_REFUSED, NULL, NULL, NULL, 0 },
		{ "{\"status\":7}", PREFECT_REFUSED, NULL, NULL, NULL, 0 },
	};
	struct prefect_answer ans;
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prefect *p = client(0);
		enum prefect_result r;

		script("POST", "/api/flow_runs/run-1/set_state", 200, cases[i].body, 0);
		r = prefect_set_state(p, "run-1", "RUNNING", "started", 0, &ans, err, sizeof(err));
		if (r != cases[i].r)
			fail_msg("case %zu (%s): result %d: %s", i, cases[i].body, r, err);
		if (r == PREFECT_OK) {
			assert_string_equal(ans.status, cases[i].status);
			assert_string_equal(ans.state_type, cases[i].type);
			assert_string_equal(ans.reason, cases[i].reason);
			assert_true(ans.delay_seconds == cases[i].delay);
		} else {
			assert_contains(err, "set_state answer has no status");
		}
		assert_contains(received(), "\"state\":{\"type\":\"RUNNING\",\"message\":\"started\"}");
		assert_contains(received(), "\"force\":false");
		prefect_free(p);
	}
}

/* A retry proposes SCHEDULED named AwaitingRetry at the given time. */
static void
test_reschedule_at(void **state)
{
	struct prefect *p = client(0);
	struct prefect_answer ans;
	char err[512];

	script("POST", "/api/flow_runs/run-1/set_state", 200, "{\"status\":\"ACCEPT\",\"state\":{\"type\":\"SCHEDULED\"}}",
	    0);
	assert_int_equal(prefect_reschedule_at(p, "run-1", "retry 2", "2030-01-02T03:04:05.000000+00:00", &ans, err,
	    sizeof(err)), PREFECT_OK);
	assert_string_equal(ans.state_type, "SCHEDULED");
	assert_contains(received(), "\"name\":\"AwaitingRetry\"");
	assert_contains(received(), "\"state_details\":{\"scheduled_time\":\"2030-01-02T03:04:05.000000+00:00\"}");
	prefect_free(p);
}

static void
test_run_state(void **state)
{
	static const struct {
		unsigned status;
		const char *body;
		enum prefect_result r;
		const char *type, *err;
	} cases[] = {
		{ 200, "{\"id\":\"run-1\",\"state_type\":\"COMPLETED\"}", PREFECT_OK, "COMPLETED", NULL },
		{ 200, "{\"id\":\"run-1\",\"state\":{\"type\":\"CRASHED\"}}", PREFECT_OK, "CRASHED", NULL },
		{ 200, "{\"id\":\"run-1\",\"state\":{}}", PREFECT_REFUSED, "", "has no state type" },
		{ 200, "{\"id\":\"run-1\",\"state_type\":null}", PREFECT_REFUSED, "", "has no state type" },
		{ 200, "[\"run-1\"]", PREFECT_REFUSED, "", "flow run run-1 is not an object" },
		{ 404, "{\"detail\":\"Flow run not found\"}", PREFECT_NOT_FOUND, "", "answered 404: Flow run not found" },
	};
	char type[32], err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prefect *p = client(0);
		enum prefect_result r;

		script("GET", "/api/flow_runs/run-1", cases[i].status, cases[i].body, 0);
		r = prefect_run_state(p, "run-1", type, sizeof(type), err, sizeof(err));
		if (r != cases[i].r)
			fail_msg("case %zu (%s): result %d: %s", i, cases[i].body, r, err);
		assert_string_equal(type, cases[i].type);
		if (cases[i].err != NULL)
			assert_contains(err, cases[i].err);
		prefect_free(p);
	}
}

static void
test_filtered_runs(void **state)
{
	struct prefect *p = client(0);
	json_object *runs = NULL;
	char err[512];

	script("POST", "/api/flow_runs/filter", 200, "[{\"id\":\"r1\"},{\"id\":\"r2\"}]", 0);
	assert_int_equal(prefect_runs_tagged(p, "video:v1", 999, &runs, err, sizeof(err)), PREFECT_OK);
	assert_int_equal(json_object_array_length(runs), 2);
	assert_contains(received(), "\"tags\":{\"all_\":[\"video:v1\"]}");
	assert_contains(received(), "\"sort\":\"EXPECTED_START_TIME_DESC\"");
	assert_contains(received(), "\"limit\":200");
	json_object_put(runs);

	/* Due runs of our deployments only: the ids resolved (the one that fails is left out), our pool. */
	script("GET", DEP_PATH, 200, DEP_OK, 0);
	script("GET", "/api/deployments/name/captionacc/diag", 404, "{}", 0);
	assert_int_equal(prefect_due_runs_of_ours(p, 10, &runs, err, sizeof(err)), PREFECT_OK);
	assert_contains(received(), "\"deployment_id\":{\"any_\":[\"dep-1\"]}");
	assert_contains(received(), "\"work_pools\":{\"name\":{\"any_\":[\"" POOL "\"]}}");
	assert_contains(received(), "\"sort\":\"NEXT_SCHEDULED_START_TIME_ASC\"");
	assert_contains(received(), "\"limit\":10");
	json_object_put(runs);
	prefect_free(p);

	p = client(0);
	script("POST", "/api/flow_runs/filter", 200, "{\"id\":\"r1\"}", 0);
	assert_int_equal(prefect_runs_tagged(p, "video:v1", 5, &runs, err, sizeof(err)), PREFECT_REFUSED);
	assert_null(runs);
	assert_contains(err, "filtered flow runs are not a list");
	prefect_free(p);
}

static void
test_create_queue(void **state)
{
	static const struct {
		unsigned status;
		enum prefect_result r;
		bool existed;
	} cases[] = {
		{ 201, PREFECT_OK, false },
		{ 409, PREFECT_OK, true },
		{ 422, PREFECT_REFUSED, false },
		{ 404, PREFECT_NOT_FOUND, false },
	};
	char err[512];
	bool existed;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prefect *p = client(0);

		script("POST", "/api/work_pools/" POOL "/queues", cases[i].status, "{\"detail\":\"x\"}", 0);
		if (prefect_create_queue(p, "high", 90, &existed, err, sizeof(err)) != cases[i].r)
			fail_msg("case %zu (%u): %s", i, cases[i].status, err);
		assert_int_equal(existed, cases[i].existed);
		assert_contains(received(), "\"name\":\"high\"");
		assert_contains(received(), "\"priority\":90");
		prefect_free(p);
	}
}

/* 503s are retried (a fresh connection, Retry-After honoured) until the answer settles; with the retries
 * spent the call is UNAVAILABLE, naming the status, and the client keeps the Retry-After for its caller.
 * A health check is asked once. */
static void
test_retries(void **state)
{
	struct prefect *p = client(2);
	char id[PREFECT_ID_MAX], err[512];

	script("GET", DEP_PATH, 200, DEP_OK, 2);
	assert_int_equal(prefect_deployment_id(p, "noop", id, sizeof(id), err, sizeof(err)), PREFECT_OK);
	assert_string_equal(id, "dep-1");
	assert_int_equal(hits("GET", DEP_PATH), 3);
	prefect_free(p);

	p = client(2);
	script("GET", DEP_PATH, 200, DEP_OK, 3);
	assert_int_equal(prefect_deployment_id(p, "noop", id, sizeof(id), err, sizeof(err)), PREFECT_UNAVAILABLE);
	assert_contains(err, "Prefect GET /deployments/name/captionacc/noop answered 503");
	assert_int_equal(hits("GET", DEP_PATH), 3);
	assert_int_equal(prefect_retry_after(p), 1);

	script("GET", "/api/health", 200, "{}", 1);
	assert_int_equal(prefect_health(p, err, sizeof(err)), PREFECT_UNAVAILABLE);
	assert_int_equal(prefect_health(p, err, sizeof(err)), PREFECT_OK);
	assert_int_equal(hits("GET", "/api/health"), 2);
	prefect_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deployment_id),
		cmocka_unit_test(test_flow_of),
		cmocka_unit_test(test_create_run),
		cmocka_unit_test(test_create_run_redeployed),
		cmocka_unit_test(test_scheduled_runs),
		cmocka_unit_test(test_set_state),
		cmocka_unit_test(test_reschedule_at),
		cmocka_unit_test(test_run_state),
		cmocka_unit_test(test_filtered_runs),
		cmocka_unit_test(test_create_queue),
		cmocka_unit_test(test_retries),
	};

	return cmocka_run_group_tests(tests, start, stop);
}
