/* prefect_double.c: a Prefect REST API test double (libmicrohttpd) that answers exactly as
 * ../shared/reference/prefect.md says, under the base path /api:
 *   GET  /api/health                                  200 true
 *   GET  /api/deployments/name/{flow}/{deployment}    200 deployment | 404 {"detail":"Deployment not found"}
 *   POST /api/deployments/{id}/create_flow_run        201 new run | 200 same idempotency_key (same run) |
 *        404 unknown deployment | 422 unknown field or wrong type (there is no "priority")
 *   GET  /api/flow_runs/{id}                          200 run | 404
 *   POST /api/flow_runs/{id}/set_state                201 {"status":"ACCEPT",...} | 200 REJECT/ABORT
 *        (PENDING only from SCHEDULED, RUNNING only from PENDING, COMPLETED/FAILED/SCHEDULED from RUNNING,
 *        CANCELLED from RUNNING or CANCELLING); 422 unknown state type
 *   POST /api/work_pools/{pool}/get_scheduled_flow_runs  SCHEDULED runs due before scheduled_before, of
 *        work_queue_names, ordered by queue priority then scheduled time, at most limit
 *   POST /api/work_pools/{pool}/queues                201 | 409 exists
 * Deployments: "<flow>/captionacc" for every flow named on the command line; tags ["captionacc"] are
 * merged into every run's tags. A missing queue named by create_flow_run is created with priority 100.
 * Test controls (not Prefect's): POST /_fail?count=N&status=S[&retry_after=R] answers S to the next N API
 * requests (503 closes the connection); POST /_slow?count=N&ms=M holds each of the next N API requests M
 * ms before answering it (a server that accepts connections but is slow); POST /_cancel?id=ID puts a run in CANCELLING; POST
 * /_forget?flow=F removes a deployment; GET /_runs lists every run with its state history; GET /_last
 * gives the last create_flow_run body as received; GET /_stats counts requests by kind.
 * With PREFECT_DOUBLE_KEY set, API requests need "Authorization: Bearer <key>" (else 401).
 * usage: prefect_double PORTFILE FLOW...   (127.0.0.1, a free port written to PORTFILE, until SIGTERM) */
#include "tests/doubles/serve.h"

#include <json-c/json.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static json_object *deployments; /* name "flow/dep" -> deployment object */
static json_object *runs;        /* array of run objects (with "_history" and "_key") */
static json_object *queues;      /* name -> priority */
static json_object *stats;       /* kind -> count */
static char *last_create;
static int fail_count, fail_status, fail_retry_after;
static int slow_count, slow_ms; /* /_slow: the next slow_count API requests wait slow_ms first */
static long next_id;

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *body, int retry_after, bool close)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	char ra[16];

	MHD_add_response_header(r, "Content-Type", "application/json");
	if (retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	if (close)
		MHD_add_response_header(r, "Connection", "close");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_json(struct MHD_Connection *c, unsigned status, json_object *o)
{
	enum MHD_Result ret = reply(c, status, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), 0, false);

	json_object_put(o);
	return ret;
}

static enum MHD_Result
unprocessable(struct MHD_Connection *c, const char *field, const char *msg)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"exception_message\":\"Invalid request received.\",\"exception_detail\":"
	    "[{\"loc\":[\"body\",\"%s\"],\"msg\":\"%s\",\"type\":\"value_error\"}],\"request_body\":null}", field, msg);
	return reply(c, 422, body, 0, false);
}

static const char *
arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static void
count(const char *kind)
{
	json_object *v = NULL;

	if (json_object_object_get_ex(stats, kind, &v))
		json_object_int_inc(v, 1);
	else
		json_object_object_add(stats, kind, json_object_new_int(1));
}

static void
uuid(char *buf, size_t len)
{
	long n = ++next_id;

	snprintf(buf, len, "00000000-0000-4000-8000-%012ld", n);
}

static void
iso_now(char *buf, size_t len, double offset)
{
	struct timespec ts;
	struct tm tm;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + (time_t)offset;
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

static json_object *
find_run(const char *id)
{
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		json_object *r = json_object_array_get_idx(runs, i), *v = NULL;

		if (json_object_object_get_ex(r, "id", &v) && strcmp(json_object_get_string(v), id) == 0)
			return r;
	}
	return NULL;
}

static json_object *
find_deployment_by_id(const char *id)
{
	json_object_object_foreach(deployments, name, dep) {
		json_object *v = NULL;

		(void)name;
		if (json_object_object_get_ex(dep, "id", &v) && strcmp(json_object_get_string(v), id) == 0)
			return dep;
	}
	return NULL;
}

/* A copy of run without our private fields. */
static json_object *
public_run(json_object *run)
{
	json_object *o = json_object_new_object();

	json_object_object_foreach(run, k, v) {
		if (k[0] != '_')
			json_object_object_add(o, k, json_object_get(v));
	}
	return o;
}

static void
set_run_state(json_object *run, const char *type, const char *name, const char *message, const char *when)
{
	json_object *st = json_object_new_object(), *hist = NULL;

	json_object_object_add(st, "type", json_object_new_string(type));
	json_object_object_add(st, "name", json_object_new_string(name));
	json_object_object_add(st, "message", message ? json_object_new_string(message) : NULL);
	json_object_object_add(run, "state_type", json_object_new_string(type));
	json_object_object_add(run, "state_name", json_object_new_string(name));
	if (when != NULL)
		json_object_object_add(run, "next_scheduled_start_time", json_object_new_string(when));
	json_object_object_add(run, "state", st);
	if (json_object_object_get_ex(run, "_history", &hist))
		json_object_array_add(hist, json_object_new_string(type));
}

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

static enum MHD_Result
create_flow_run(struct MHD_Connection *c, const char *dep_id, const char *body)
{
	static const char *allowed[] = { "parameters", "tags", "idempotency_key", "work_queue_name", "state", "name",
		"context", "empirical_policy", "parent_task_run_id", "job_variables", NULL };
	json_object *in, *dep, *v = NULL, *run, *tags, *dtags = NULL;
	const char *key, *queue;
	char id[64], now[64];

	count("create_flow_run");
	free(last_create);
	last_create = strdup(body ? body : "");
	if ((dep = find_deployment_by_id(dep_id)) == NULL)
		return reply(c, 404, "{\"detail\":\"Deployment not found\"}", 0, false);
	if ((in = json_tokener_parse(body ? body : "")) == NULL || !json_object_is_type(in, json_type_object)) {
		json_object_put(in);
		return unprocessable(c, "__root__", "value is not a valid dict");
	}
	json_object_object_foreach(in, k, val) {
		bool ok = false;

		(void)val;
		for (int i = 0; allowed[i] != NULL; i++)
			ok = ok || strcmp(allowed[i], k) == 0;
		if (!ok) {
			enum MHD_Result r = unprocessable(c, k, "extra fields not permitted");

			json_object_put(in);
			return r;
		}
	}
	if ((json_object_object_get_ex(in, "parameters", &v) && !json_object_is_type(v, json_type_object)) ||
	    (json_object_object_get_ex(in, "idempotency_key", &v) && !json_object_is_type(v, json_type_string)) ||
	    (json_object_object_get_ex(in, "work_queue_name", &v) && v != NULL &&
	    !json_object_is_type(v, json_type_string))) {
		json_object_put(in);
		return unprocessable(c, "parameters", "wrong type");
	}
	if (json_object_object_get_ex(in, "tags", &v)) {
		bool ok = json_object_is_type(v, json_type_array);

		for (size_t i = 0; ok && i < json_object_array_length(v); i++)
			ok = json_object_is_type(json_object_array_get_idx(v, i), json_type_string);
		if (!ok) {
			json_object_put(in);
			return unprocessable(c, "tags", "value is not a valid list of strings");
		}
	}
	key = str_of(in, "idempotency_key");
	if (key != NULL) {
		for (size_t i = 0; i < json_object_array_length(runs); i++) {
			json_object *r = json_object_array_get_idx(runs, i);
			const char *rk = str_of(r, "_key"), *rd = str_of(r, "deployment_id");

			if (rk != NULL && rd != NULL && strcmp(rk, key) == 0 && strcmp(rd, dep_id) == 0) {
				json_object_put(in);
				return reply_json(c, 200, public_run(r));
			}
		}
	}
	queue = str_of(in, "work_queue_name");
	if (queue == NULL)
		queue = "default";
	if (!json_object_object_get_ex(queues, queue, &v))
		json_object_object_add(queues, queue, json_object_new_int(100));
	uuid(id, sizeof(id));
	iso_now(now, sizeof(now), 0);
	run = json_object_new_object();
	json_object_object_add(run, "id", json_object_new_string(id));
	json_object_object_add(run, "name", json_object_new_string("double-run"));
	json_object_object_add(run, "deployment_id", json_object_new_string(dep_id));
	json_object_object_add(run, "flow_id", json_object_get(json_object_object_get(dep, "flow_id")));
	json_object_object_add(run, "parameters", json_object_object_get_ex(in, "parameters", &v) ?
	    json_object_get(v) : json_object_new_object());
	tags = json_object_new_array();
	if (json_object_object_get_ex(in, "tags", &v))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(tags, json_object_get(json_object_array_get_idx(v, i)));
	if (json_object_object_get_ex(dep, "tags", &dtags))
		for (size_t i = 0; i < json_object_array_length(dtags); i++)
			json_object_array_add(tags, json_object_get(json_object_array_get_idx(dtags, i)));
	json_object_object_add(run, "tags", tags);
	json_object_object_add(run, "work_queue_name", json_object_new_string(queue));
	json_object_object_add(run, "idempotency_key", key ? json_object_new_string(key) : NULL);
	json_object_object_add(run, "expected_start_time", json_object_new_string(now));
	json_object_object_add(run, "_key", key ? json_object_new_string(key) : NULL);
	json_object_object_add(run, "_history", json_object_new_array());
	set_run_state(run, "SCHEDULED", "Scheduled", NULL, now);
	json_object_array_add(runs, run);
	json_object_put(in);
	return reply_json(c, 201, public_run(run));
}

static const char *
run_queue(json_object *run)
{
	return str_of(run, "work_queue_name");
}

static int
queue_priority(const char *q)
{
	json_object *v = NULL;

	return json_object_object_get_ex(queues, q, &v) ? json_object_get_int(v) : 1000;
}

static int
by_queue_then_time(const void *a, const void *b)
{
	json_object *ra = *(json_object *const *)a, *rb = *(json_object *const *)b;
	int pa = queue_priority(run_queue(ra)), pb = queue_priority(run_queue(rb));

	if (pa != pb)
		return pa < pb ? -1 : 1;
	return strcmp(str_of(ra, "next_scheduled_start_time"), str_of(rb, "next_scheduled_start_time"));
}

static enum MHD_Result
scheduled_runs(struct MHD_Connection *c, const char *body)
{
	json_object *in = json_tokener_parse(body ? body : "{}"), *names = NULL, *v = NULL, *out;
	json_object *due[4096];
	const char *before = NULL;
	int n = 0, limit = 10;

	count("get_scheduled_flow_runs");
	if (in == NULL || !json_object_is_type(in, json_type_object)) {
		json_object_put(in);
		return unprocessable(c, "__root__", "value is not a valid dict");
	}
	(void)json_object_object_get_ex(in, "work_queue_names", &names);
	before = str_of(in, "scheduled_before");
	if (json_object_object_get_ex(in, "limit", &v))
		limit = json_object_get_int(v);
	for (size_t i = 0; i < json_object_array_length(runs) && n < 4096; i++) {
		json_object *r = json_object_array_get_idx(runs, i);
		bool in_queue = names == NULL;

		if (strcmp(str_of(r, "state_type"), "SCHEDULED") != 0)
			continue;
		if (before != NULL && strcmp(str_of(r, "next_scheduled_start_time"), before) > 0)
			continue;
		for (size_t j = 0; names != NULL && j < json_object_array_length(names); j++)
			in_queue = in_queue || strcmp(json_object_get_string(json_object_array_get_idx(names, j)),
			    run_queue(r)) == 0;
		if (in_queue)
			due[n++] = r;
	}
	qsort(due, (size_t)n, sizeof(due[0]), by_queue_then_time);
	out = json_object_new_array();
	for (int i = 0; i < n && i < limit; i++) {
		json_object *item = json_object_new_object();

		json_object_object_add(item, "flow_run", public_run(due[i]));
		json_object_object_add(item, "work_pool_id", json_object_new_string("00000000-0000-4000-9000-000000000001"));
		json_object_object_add(item, "work_queue_id", json_object_new_string(run_queue(due[i])));
		json_object_array_add(out, item);
	}
	json_object_put(in);
	return reply_json(c, 200, out);
}

/* Prefect's orchestration rules, as far as a worker meets them. */
static enum MHD_Result
set_state(struct MHD_Connection *c, const char *id, const char *body)
{
	json_object *in = json_tokener_parse(body ? body : ""), *st = NULL, *run = find_run(id), *out, *det = NULL;
	const char *type, *cur, *verdict = "ACCEPT", *reason = NULL, *when = NULL, *name;

	count("set_state");
	if (run == NULL) {
		json_object_put(in);
		return reply(c, 404, "{\"detail\":\"Flow run not found\"}", 0, false);
	}
	if (in == NULL || !json_object_object_get_ex(in, "state", &st) || (type = str_of(st, "type")) == NULL) {
		json_object_put(in);
		return unprocessable(c, "state", "field required");
	}
	cur = str_of(run, "state_type");
	if (strcmp(type, "PENDING") == 0) {
		if (strcmp(cur, "SCHEDULED") != 0) {
			verdict = "ABORT";
			reason = "This run is in a PENDING, RUNNING or terminal state and cannot transition to PENDING.";
		}
	} else if (strcmp(type, "RUNNING") == 0) {
		if (strcmp(cur, "PENDING") != 0) {
			verdict = "REJECT";
			reason = "Run is not PENDING";
		}
	} else if (strcmp(type, "COMPLETED") == 0 || strcmp(type, "FAILED") == 0 || strcmp(type, "SCHEDULED") == 0) {
		if (strcmp(cur, "RUNNING") != 0) {
			verdict = "REJECT";
			reason = "Run is not RUNNING";
		}
	} else if (strcmp(type, "CANCELLED") == 0) {
		if (strcmp(cur, "RUNNING") != 0 && strcmp(cur, "CANCELLING") != 0 && strcmp(cur, "SCHEDULED") != 0) {
			verdict = "REJECT";
			reason = "Run cannot be cancelled from its state";
		}
	} else if (strcmp(type, "CANCELLING") == 0 || strcmp(type, "CRASHED") == 0 || strcmp(type, "PAUSED") == 0) {
		/* accepted as proposed */
	} else {
		json_object_put(in);
		return unprocessable(c, "state", "value is not a valid enumeration member");
	}
	if (strcmp(verdict, "ACCEPT") == 0) {
		json_object *sd = NULL;

		name = str_of(st, "name");
		if (strcmp(type, "SCHEDULED") == 0 && json_object_object_get_ex(st, "state_details", &sd))
			when = str_of(sd, "scheduled_time");
		if (name == NULL)
			name = strcmp(type, "COMPLETED") == 0 ? "Completed" : strcmp(type, "FAILED") == 0 ? "Failed" :
			    strcmp(type, "RUNNING") == 0 ? "Running" : strcmp(type, "PENDING") == 0 ? "Pending" :
			    strcmp(type, "CANCELLED") == 0 ? "Cancelled" : strcmp(type, "SCHEDULED") == 0 ? "Scheduled" : type;
		set_run_state(run, type, name, str_of(st, "message"), when);
	}
	out = json_object_new_object();
	json_object_object_add(out, "status", json_object_new_string(verdict));
	json_object_object_add(out, "state", json_object_get(json_object_object_get(run, "state")));
	det = json_object_new_object();
	if (reason != NULL)
		json_object_object_add(det, "reason", json_object_new_string(reason));
	json_object_object_add(out, "details", det);
	json_object_put(in);
	return reply_json(c, strcmp(verdict, "ACCEPT") == 0 ? 201 : 200, out);
}

static enum MHD_Result
create_queue(struct MHD_Connection *c, const char *body)
{
	json_object *in = json_tokener_parse(body ? body : ""), *v = NULL, *out;
	const char *name;

	count("create_queue");
	if (in == NULL || (name = str_of(in, "name")) == NULL) {
		json_object_put(in);
		return unprocessable(c, "name", "field required");
	}
	if (json_object_object_get_ex(queues, name, &v)) {
		json_object_put(in);
		return reply(c, 409, "{\"detail\":\"A work queue with this name already exists.\"}", 0, false);
	}
	json_object_object_add(queues, name, json_object_new_int(json_object_object_get_ex(in, "priority", &v) ?
	    json_object_get_int(v) : 1));
	out = json_object_new_object();
	json_object_object_add(out, "name", json_object_new_string(name));
	json_object_object_add(out, "priority", json_object_get(json_object_object_get(queues, name)));
	json_object_put(in);
	return reply_json(c, 201, out);
}

static enum MHD_Result
controls(struct MHD_Connection *c, const char *method, const char *url)
{
	if (strcmp(url, "/_fail") == 0 && strcmp(method, "POST") == 0) {
		fail_count = arg(c, "count") ? atoi(arg(c, "count")) : 1;
		fail_status = arg(c, "status") ? atoi(arg(c, "status")) : 503;
		fail_retry_after = arg(c, "retry_after") ? atoi(arg(c, "retry_after")) : 0;
		return reply(c, 200, "{}", 0, false);
	}
	if (strcmp(url, "/_slow") == 0 && strcmp(method, "POST") == 0) {
		slow_count = arg(c, "count") ? atoi(arg(c, "count")) : 1;
		slow_ms = arg(c, "ms") ? atoi(arg(c, "ms")) : 1000;
		return reply(c, 200, "{}", 0, false);
	}
	if (strcmp(url, "/_cancel") == 0 && strcmp(method, "POST") == 0) {
		json_object *run = arg(c, "id") ? find_run(arg(c, "id")) : NULL;

		if (run == NULL)
			return reply(c, 404, "{}", 0, false);
		set_run_state(run, "CANCELLING", "Cancelling", NULL, NULL);
		return reply(c, 200, "{}", 0, false);
	}
	if (strcmp(url, "/_forget") == 0 && strcmp(method, "POST") == 0) {
		char name[256];

		snprintf(name, sizeof(name), "%s/captionacc", arg(c, "flow") ? arg(c, "flow") : "");
		json_object_object_del(deployments, name);
		return reply(c, 200, "{}", 0, false);
	}
	if (strcmp(url, "/_runs") == 0) {
		json_object *out = json_object_new_array();

		for (size_t i = 0; i < json_object_array_length(runs); i++) {
			json_object *r = json_object_array_get_idx(runs, i), *o = public_run(r);

			json_object_object_add(o, "history", json_object_get(json_object_object_get(r, "_history")));
			json_object_array_add(out, o);
		}
		return reply_json(c, 200, out);
	}
	if (strcmp(url, "/_last") == 0)
		return reply(c, 200, last_create ? last_create : "", 0, false);
	if (strcmp(url, "/_stats") == 0)
		return reply(c, 200, json_object_to_json_string_ext(stats, JSON_C_TO_STRING_PLAIN), 0, false);
	return reply(c, 404, "{\"detail\":\"Not Found\"}", 0, false);
}

static enum MHD_Result
serve(struct MHD_Connection *c, const char *method, const char *url, const char *body)
{
	const char *key = getenv("PREFECT_DOUBLE_KEY"), *auth;
	char a[128], b[128], want[256];
	bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;

	if (strncmp(url, "/_", 2) == 0)
		return controls(c, method, url);
	if (strncmp(url, "/api/", 5) != 0)
		return reply(c, 404, "{\"detail\":\"Not Found\"}", 0, false);
	url += 4;
	count("requests");
	if (key != NULL) {
		auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		snprintf(want, sizeof(want), "Bearer %s", key);
		if (auth == NULL || strcmp(auth, want) != 0)
			return reply(c, 401, "{\"detail\":\"Unauthorized\"}", 0, false);
	}
	if (fail_count > 0) {
		int s = fail_status;

		fail_count--;
		count("failed");
		return reply(c, (unsigned)s, "{\"detail\":\"Service Unavailable\"}", fail_retry_after, s == 503);
	}
	if (get && strcmp(url, "/health") == 0)
		return reply(c, 200, "true", 0, false);
	if (get && sscanf(url, "/deployments/name/%127[^/]/%127[^/]", a, b) == 2) {
		char name[300];
		json_object *dep = NULL;

		count("read_deployment");
		snprintf(name, sizeof(name), "%s/%s", a, b);
		if (!json_object_object_get_ex(deployments, name, &dep))
			return reply(c, 404, "{\"detail\":\"Deployment not found\"}", 0, false);
		return reply(c, 200, json_object_to_json_string_ext(dep, JSON_C_TO_STRING_PLAIN), 0, false);
	}
	if (post && sscanf(url, "/deployments/%127[^/]/create_flow_run", a) == 1 &&
	    strstr(url, "/create_flow_run") != NULL)
		return create_flow_run(c, a, body);
	if (post && sscanf(url, "/flow_runs/%127[^/]/set_state", a) == 1 && strstr(url, "/set_state") != NULL)
		return set_state(c, a, body);
	if (get && sscanf(url, "/flow_runs/%127[^/]", a) == 1) {
		json_object *run = find_run(a);

		count("read_flow_run");
		if (run == NULL)
			return reply(c, 404, "{\"detail\":\"Flow run not found\"}", 0, false);
		return reply_json(c, 200, public_run(run));
	}
	if (post && sscanf(url, "/work_pools/%127[^/]/get_scheduled_flow_runs", a) == 1 &&
	    strstr(url, "/get_scheduled_flow_runs") != NULL)
		return scheduled_runs(c, body);
	if (post && sscanf(url, "/work_pools/%127[^/]/queues", a) == 1 && strstr(url, "/queues") != NULL)
		return create_queue(c, body);
	return reply(c, 404, "{\"detail\":\"Not Found\"}", 0, false);
}

/* serve() under the state lock, after the delay /_slow asked for. */
static enum MHD_Result
serve_locked(struct MHD_Connection *c, const char *method, const char *url, const char *body)
{
	enum MHD_Result r;

	pthread_mutex_lock(&mu);
	if (slow_count > 0 && strncmp(url, "/api/", 5) == 0) {
		/* Held without the lock, so the test can still reach the controls meanwhile. */
		struct timespec ts = { slow_ms / 1000, (long)(slow_ms % 1000) * 1000000L };

		slow_count--;
		pthread_mutex_unlock(&mu);
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&mu);
	}
	r = serve(c, method, url, body);
	pthread_mutex_unlock(&mu);
	return r;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: prefect_double PORTFILE FLOW...\n");
		return 2;
	}
	deployments = json_object_new_object();
	runs = json_object_new_array();
	queues = json_object_new_object();
	stats = json_object_new_object();
	for (int i = 2; i < argc; i++) {
		json_object *dep = json_object_new_object(), *tags = json_object_new_array();
		char id[64], flow_id[64], name[300];

		uuid(id, sizeof(id));
		uuid(flow_id, sizeof(flow_id));
		json_object_object_add(dep, "id", json_object_new_string(id));
		json_object_object_add(dep, "name", json_object_new_string("captionacc"));
		json_object_object_add(dep, "flow_id", json_object_new_string(flow_id));
		json_object_object_add(dep, "work_pool_name", json_object_new_string("captionacc"));
		json_object_array_add(tags, json_object_new_string("captionacc"));
		json_object_object_add(dep, "tags", tags);
		snprintf(name, sizeof(name), "%s/captionacc", argv[i]);
		json_object_object_add(deployments, name, dep);
	}
	rc = serve_until_stopped("prefect_double", argv[1], serve_locked);
	json_object_put(deployments);
	json_object_put(runs);
	json_object_put(queues);
	json_object_put(stats);
	free(last_create);
	return rc;
}
