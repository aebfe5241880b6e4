/* prefect_double.c: a Prefect REST API test double (libmicrohttpd + json-c) that answers as
 * ../shared/reference/prefect.md says, its "Observed on a real Prefect 2.16.8 server" section included, under
 * the base path /api:
 *   GET    /api/health                                200 true
 *   GET    /api/deployments/name/{flow}/{deployment}  200 deployment {id,name,flow_id,tags,work_pool_name,
 *          work_queue_name} | 404 {"detail":"Deployment not found"}
 *   DELETE /api/deployments/{id}                      204, with the deployment's SCHEDULED runs (its other runs
 *          stay, deployment_id unchanged) | 404
 *   POST   /api/deployments/{id}/create_flow_run      201 new run | 200 the flow's run with the same
 *          idempotency_key | 404 {"detail":"Deployment not found"} | 422 (checked first) an unknown field
 *          (there is no "priority") or a wrong type. Fields, all optional: parameters, tags, idempotency_key,
 *          work_queue_name, state {"type":"SCHEDULED","state_details":{"scheduled_time":ISO 8601}} (the run is
 *          due then, default now; another state type is 422, an assumption), and name, context,
 *          empirical_policy, parent_task_run_id, job_variables (type-checked, then ignored). Without
 *          work_queue_name the run goes to the deployment's work_queue_name; a queue missing from the
 *          deployment's pool is created there with Prefect's "arbitrary" priority: the first free one, that is
 *          the pool's highest + 1 when the priorities have no gap
 *   POST   /api/flow_runs/filter                      {"flow_runs":{"tags":{"all_"},"deployment_id":{"any_"},
 *          "state":{"type":{"any_"}},"next_scheduled_start_time":{"before_"}},"work_pools":{"name":{"any_"}},
 *          "sort","limit"?}: 200 [run] matching every given part, by EXPECTED_START_TIME_DESC (default) or
 *          NEXT_SCHEDULED_START_TIME_ASC, at most limit (default 200; above 200: 422 as Prefect's
 *          LimitBody); other sections accepted and ignored, unknown fields 422
 *          (get_scheduled_flow_runs too answers 422 to a limit above 200)
 *   GET    /api/flow_runs/{id}                        200 run {id,name,deployment_id,flow_id,work_pool_name,
 *          work_queue_name,work_queue_id,parameters,tags,idempotency_key,expected_start_time,
 *          next_scheduled_start_time,state_type,state_name,state{type,name,message,timestamp,state_details
 *          {scheduled_time}}} | 404
 *   POST   /api/flow_runs/{id}/set_state              {"state":{"type","name"?,"message"?,"state_details"?},
 *          "force"?}: 201 ACCEPT | 200 REJECT, ABORT, WAIT, as {"status","state" (the run's state after),
 *          "details":{"type":"<status>_details","reason"?,"delay_seconds"?}}. A CANCELLING run takes only
 *          CANCELLED (else REJECT "Cannot transition flows that are cancelling to a state other than
 *          Cancelled."); PENDING only from SCHEDULED (else ABORT); RUNNING only from PENDING (else REJECT), and
 *          WAIT "Scheduled time is in the future" while the run's scheduled time is ahead of the double's clock
 *          (delay_seconds rounded up to a multiple of 0.5, at least 0.5; the run stays PENDING); COMPLETED,
 *          FAILED only from RUNNING; SCHEDULED (e.g. "AwaitingRetry", due at state_details.scheduled_time,
 *          default now) from RUNNING, and from PENDING (a worker giving back a run it did not start: an
 *          assumption, the reference is silent); CANCELLED from SCHEDULED, RUNNING or CANCELLING; CANCELLING,
 *          CRASHED, PAUSED from anything; "force":true accepts any of these; 422 another type
 *   POST   /api/work_pools/{pool}/get_scheduled_flow_runs  {"work_queue_names"?,"scheduled_before"?,"limit"?}:
 *          200 [{"flow_run","work_pool_id","work_queue_id"}], the pool's SCHEDULED runs (never PENDING or
 *          RUNNING ones) due at or before scheduled_before, in work_queue_names (omitted or null: every queue
 *          of the pool; unknown names match nothing), by queue priority then scheduled time, at most limit
 *          (default 200) | 404 unknown pool
 *   POST   /api/work_pools/{pool}/queues              {"name","priority"?}: 201 queue {id,name,priority,
 *          work_pool_id,work_pool_name} | 409 exists | 404 unknown pool. As Prefect's bulk priority update
 *          does, a queue given a priority that another holds goes before it, and that one and the ones after
 *          it move down one as far as needed to keep priorities distinct (with priorities 1..n: every queue
 *          at or after the new priority moves down one); without priority: the first free one
 * Work pool "captionacc" is there from the start with its queue "default" (priority 1), and every flow named
 * on the command line has the deployment "<flow>/captionacc" in that pool, queue "default". Every deployment
 * has the tags ["captionacc"], merged into its runs' tags as a set.
 * Test controls (not Prefect's; they bypass /_fail, /_slow and the key):
 *   POST /_fail?count=N&status=S[&retry_after=R]  the next N API requests answer S (503 closes the connection)
 *   POST /_slow?count=N&ms=M   each of the next N API requests waits M ms before it is served (a server that
 *        accepts connections but is slow)
 *   POST /_cancel?id=ID        puts a run in CANCELLING (a user cancelling it in Prefect's UI)
 *   POST /_deployment?flow=F[&name=N][&pool=P][&queue=Q]  upserts deployment F/N (N default captionacc) in pool
 *        P (default captionacc; a new pool comes with its queue "default") with queue Q (default "default",
 *        created in P with the first free priority when missing), as Prefect's POST /deployments/ does: the
 *        same flow and name keep their id. 201 new | 200 updated, with the deployment
 *   POST /_forget?flow=F[&name=N]  DELETE /api/deployments/{id} of F/N (N default captionacc): 200 {}
 *   POST /_clock?offset_ms=N   the double's clock is real time + N ms (negative: behind); it is the clock of
 *        the WAIT check, of a new run's default scheduled time and of state timestamps (scheduled_before
 *        comes from the request). 200 {"offset_ms":N,"now":ISO 8601}
 *   POST /_poll_hold?ms=N      a get_scheduled_flow_runs that returns runs first locks every due run it
 *        matched (at most 1000 per queue, not only the limit it returns) and answers N ms later; meanwhile the
 *        other polls of that pool skip the locked runs without waiting for them, so one that finds nothing
 *        else answers [] at once, as with PostgreSQL's FOR UPDATE SKIP LOCKED. 0 (the start): off
 *   GET  /_runs                every run, oldest first, as GET /api/flow_runs/{id} gives it plus "history"
 *        (the accepted state types, e.g. ["SCHEDULED","PENDING"]) and "states" ([{type,name,message}] of them)
 *   GET  /_queues[?pool=P]     the queues of pool P (default captionacc) by priority, as the queues route
 *        answers them | 404 unknown pool
 *   GET  /_last                the last create_flow_run body as received
 *   GET  /_stats               request counts by kind
 * With PREFECT_DOUBLE_KEY set, API requests need "Authorization: Bearer <key>" (else 401).
 * usage: prefect_double PORTFILE FLOW...   (127.0.0.1, a free port written to PORTFILE, until SIGTERM) */
#include "tests/doubles/serve.h"

#include <ctype.h>
#include <json-c/json.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Python's json (Prefect) does not escape "/". */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define LIMIT_MAX 200 /* the largest limit Prefect accepts (PREFECT_API_DEFAULT_LIMIT); above it: 422 */
#define POOL "captionacc"
#define DEPLOYMENT "captionacc"
#define DEFAULT_QUEUE "default"
#define POLL_LIMIT 200          /* Prefect's PREFECT_API_DEFAULT_LIMIT */
#define LOCKED_PER_QUEUE 1000
#define CANCELLING_REASON "Cannot transition flows that are cancelling to a state other than Cancelled."

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static json_object *pools;       /* name -> {"id","name","_queues":{name -> queue}} */
static json_object *flows;       /* flow name -> flow id */
static json_object *deployments; /* "flow/name" -> deployment */
static json_object *runs;        /* run objects, oldest first; fields starting with '_' are never shown */
static json_object *stats;       /* kind -> count */
static char *last_create;
static int fail_count, fail_status, fail_retry_after;
static int slow_count, slow_ms; /* /_slow: the next slow_count API requests wait slow_ms first */
static int poll_hold_ms;        /* /_poll_hold */
static long long clock_offset_ms; /* /_clock */
static long next_id;

/* --- answers ------------------------------------------------------------------------------------------ */

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *body, int retry_after, bool close)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	char ra[16];

	if (status != 204)
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
	enum MHD_Result ret = reply(c, status, json_object_to_json_string_ext(o, JSON_FLAGS), 0, false);

	json_object_put(o);
	return ret;
}

static enum MHD_Result
detail(struct MHD_Connection *c, unsigned status, const char *text)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "detail", json_object_new_string(text));
	return reply_json(c, status, o);
}

static enum MHD_Result
pool_not_found(struct MHD_Connection *c, const char *pool)
{
	char text[300];

	snprintf(text, sizeof(text), "Work pool \"%s\" not found.", pool);
	return detail(c, 404, text);
}

/* FastAPI's 422, naming the body field at fault. */
static enum MHD_Result
unprocessable(struct MHD_Connection *c, const char *field, const char *msg)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array(), *e = json_object_new_object(),
	    *loc = json_object_new_array();

	json_object_array_add(loc, json_object_new_string("body"));
	json_object_array_add(loc, json_object_new_string(field));
	json_object_object_add(e, "loc", loc);
	json_object_object_add(e, "msg", json_object_new_string(msg));
	json_object_object_add(e, "type", json_object_new_string("value_error"));
	json_object_array_add(list, e);
	json_object_object_add(o, "exception_message", json_object_new_string("Invalid request received."));
	json_object_object_add(o, "exception_detail", list);
	json_object_object_add(o, "request_body", NULL);
	return reply_json(c, 422, o);
}

/* --- small helpers -------------------------------------------------------------------------------------- */

static const char *
arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static const char *
arg_or(struct MHD_Connection *c, const char *name, const char *def)
{
	const char *v = arg(c, name);

	return v != NULL && v[0] != '\0' ? v : def;
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

static json_object *
new_uuid(void)
{
	char id[64];

	uuid(id, sizeof(id));
	return json_object_new_string(id);
}

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

static bool
is(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* A JSON object parsed from a request body, or NULL. */
static json_object *
parse_object(const char *body)
{
	json_object *o = json_tokener_parse(body ? body : "");

	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* --- the double's clock ------------------------------------------------------------------------------- */

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + clock_offset_ms * 1000;
}

static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* us (microseconds since the epoch) as Prefect writes times: 2026-12-02T10:00:00.123456+00:00. */
static json_object *
iso(long long us)
{
	time_t t = (time_t)(us / 1000000);
	long frac = (long)(us % 1000000);
	struct tm tm;
	char buf[64];

	if (frac < 0) {
		frac += 1000000;
		t--;
	}
	gmtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return json_object_new_string(buf);
}

/* The offset in seconds of an ISO 8601 time's zone, all that is left of s: Z, +HH:MM, -HHMM or none (UTC). */
static int
zone_seconds(const char *s, long *seconds)
{
	int h = 0, m = 0, n = 0;

	*seconds = 0;
	if (*s == '\0')
		return 0;
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0')
		return 0;
	if ((s[0] != '+' && s[0] != '-') || (sscanf(s + 1, "%2d:%2d%n", &h, &m, &n) != 2 &&
	    sscanf(s + 1, "%2d%2d%n", &h, &m, &n) != 2) || s[1 + n] != '\0')
		return -1;
	*seconds = (s[0] == '-' ? -1L : 1L) * (h * 3600L + m * 60L);
	return 0;
}

/* An ISO 8601 time (2026-12-02T10:00:00.123456+00:00, ...Z, fraction optional) in microseconds since the
 * epoch; -1 when it is not one. */
static int
parse_iso(const char *s, long long *us)
{
	struct tm tm = { 0 };
	long long frac = 0, scale = 1000000;
	long zone;
	char sep;
	int n = 0;

	if (s == NULL || sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &sep,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 7 || (sep != 'T' && sep != 't' && sep != ' '))
		return -1;
	s += n;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			if (scale > 1) {
				scale /= 10;
				frac += (*s - '0') * scale;
			}
	if (zone_seconds(s, &zone) != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*us = ((long long)timegm(&tm) - zone) * 1000000 + frac;
	return 0;
}

/* state.state_details.scheduled_time: 0 with *us set (now when there is none), -1 when it is not a time. */
static int
scheduled_time_of(json_object *state, long long *us)
{
	json_object *det = NULL, *t = NULL;

	*us = now_us();
	if (!json_object_object_get_ex(state, "state_details", &det) || det == NULL)
		return 0;
	if (!json_object_is_type(det, json_type_object))
		return -1;
	if (!json_object_object_get_ex(det, "scheduled_time", &t) || t == NULL)
		return 0;
	return json_object_is_type(t, json_type_string) ? parse_iso(json_object_get_string(t), us) : -1;
}

/* Sleeps ms without the state lock, so that other requests (and the controls) are served meanwhile. */
static void
sleep_unlocked(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	pthread_mutex_unlock(&mu);
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&mu);
}

/* --- work pools and queues ---------------------------------------------------------------------------- */

static json_object *
find_pool(const char *name)
{
	json_object *pool = NULL;

	return name != NULL && json_object_object_get_ex(pools, name, &pool) ? pool : NULL;
}

static json_object *
queues_of(json_object *pool)
{
	return json_object_object_get(pool, "_queues");
}

static json_object *
find_queue(json_object *pool, const char *name)
{
	json_object *q = NULL;

	return name != NULL && json_object_object_get_ex(queues_of(pool), name, &q) ? q : NULL;
}

static int
priority_of(json_object *queue)
{
	return json_object_get_int(json_object_object_get(queue, "priority"));
}

static int
by_priority(const void *a, const void *b)
{
	int pa = priority_of(*(json_object *const *)a), pb = priority_of(*(json_object *const *)b);

	return (pa > pb) - (pa < pb);
}

/* The pool's queues but skip, by priority (a new array). */
static json_object *
sorted_queues(json_object *pool, json_object *skip)
{
	json_object *out = json_object_new_array();

	json_object_object_foreach(queues_of(pool), name, q) {
		(void)name;
		if (q != skip)
			json_object_array_add(out, json_object_get(q));
	}
	json_object_array_sort(out, by_priority);
	return out;
}

/* Prefect's priority for a queue created without one: the first free, else the highest + 1. */
static int
first_free_priority(json_object *pool)
{
	json_object *qs = sorted_queues(pool, NULL);
	size_t n = json_object_array_length(qs);
	int p = n > 0 ? priority_of(json_object_array_get_idx(qs, n - 1)) + 1 : 1;

	for (size_t i = 0; i < n; i++)
		if (priority_of(json_object_array_get_idx(qs, i)) != (int)i + 1) {
			p = (int)i + 1;
			break;
		}
	json_object_put(qs);
	return p;
}

/* Prefect's bulk priority update once queue q took its priority p: q goes before the first other queue at p
 * or beyond; then, by priority, each queue not after the one before it moves to just after it. */
static void
make_room(json_object *pool, json_object *q)
{
	json_object *others = sorted_queues(pool, q), *order = json_object_new_array();
	size_t n = json_object_array_length(others);
	bool placed = false;
	int last = 0;

	for (size_t i = 0; i < n; i++) {
		json_object *w = json_object_array_get_idx(others, i);

		if (!placed && priority_of(w) >= priority_of(q)) {
			json_object_array_add(order, json_object_get(q));
			placed = true;
		}
		json_object_array_add(order, json_object_get(w));
	}
	if (!placed)
		json_object_array_add(order, json_object_get(q));
	for (size_t i = 0; i < json_object_array_length(order); i++) {
		json_object *w = json_object_array_get_idx(order, i);

		if (priority_of(w) <= last)
			json_object_object_add(w, "priority", json_object_new_int(++last));
		else
			last = priority_of(w);
	}
	json_object_put(order);
	json_object_put(others);
}

/* A new queue in pool; priority 0: the first free one. */
static json_object *
add_queue(json_object *pool, const char *name, int priority)
{
	json_object *q = json_object_new_object();

	json_object_object_add(q, "id", new_uuid());
	json_object_object_add(q, "name", json_object_new_string(name));
	json_object_object_add(q, "priority", json_object_new_int(priority > 0 ? priority : first_free_priority(pool)));
	json_object_object_add(q, "work_pool_id", json_object_get(json_object_object_get(pool, "id")));
	json_object_object_add(q, "work_pool_name", json_object_new_string(str_of(pool, "name")));
	json_object_object_add(queues_of(pool), name, q);
	if (priority > 0)
		make_room(pool, q);
	return q;
}

static json_object *
ensure_queue(json_object *pool, const char *name)
{
	json_object *q = find_queue(pool, name);

	return q != NULL ? q : add_queue(pool, name, 0);
}

/* The pool, created with its queue "default" when new. */
static json_object *
ensure_pool(const char *name)
{
	json_object *pool = find_pool(name);

	if (pool != NULL)
		return pool;
	pool = json_object_new_object();
	json_object_object_add(pool, "id", new_uuid());
	json_object_object_add(pool, "name", json_object_new_string(name));
	json_object_object_add(pool, "_queues", json_object_new_object());
	json_object_object_add(pools, name, pool);
	(void)add_queue(pool, DEFAULT_QUEUE, 0);
	return pool;
}

/* --- deployments -------------------------------------------------------------------------------------- */

static json_object *
flow_id(const char *flow)
{
	json_object *id = NULL;

	if (!json_object_object_get_ex(flows, flow, &id)) {
		id = new_uuid();
		json_object_object_add(flows, flow, id);
	}
	return id;
}

/* The key ("flow/name") of the deployment with that id, or NULL. */
static const char *
deployment_key(const char *id)
{
	json_object_object_foreach(deployments, key, dep) {
		if (is(str_of(dep, "id"), id))
			return key;
	}
	return NULL;
}

static json_object *
find_deployment(const char *id)
{
	const char *key = deployment_key(id);

	return key != NULL ? json_object_object_get(deployments, key) : NULL;
}

/* Prefect's POST /deployments/: the same flow and name keep their id. */
static json_object *
upsert_deployment(const char *flow, const char *name, const char *pool, const char *queue, bool *created)
{
	json_object *dep = NULL, *tags;
	char key[300];

	(void)ensure_queue(ensure_pool(pool), queue);
	snprintf(key, sizeof(key), "%s/%s", flow, name);
	*created = !json_object_object_get_ex(deployments, key, &dep);
	if (*created) {
		dep = json_object_new_object();
		tags = json_object_new_array();
		json_object_array_add(tags, json_object_new_string("captionacc"));
		json_object_object_add(dep, "id", new_uuid());
		json_object_object_add(dep, "name", json_object_new_string(name));
		json_object_object_add(dep, "flow_id", json_object_get(flow_id(flow)));
		json_object_object_add(dep, "tags", tags);
		json_object_object_add(deployments, key, dep);
	}
	json_object_object_add(dep, "work_pool_name", json_object_new_string(pool));
	json_object_object_add(dep, "work_queue_name", json_object_new_string(queue));
	return dep;
}

/* Prefect's DELETE /deployments/{id}: the deployment and its SCHEDULED runs. */
static void
delete_deployment(const char *key)
{
	json_object *dep = json_object_object_get(deployments, key);
	size_t i = 0;

	while (i < json_object_array_length(runs)) {
		json_object *r = json_object_array_get_idx(runs, i);

		if (is(str_of(r, "deployment_id"), str_of(dep, "id")) && is(str_of(r, "state_type"), "SCHEDULED"))
			json_object_array_del_idx(runs, i, 1);
		else
			i++;
	}
	json_object_object_del(deployments, key);
}

/* --- flow runs and their states ----------------------------------------------------------------------- */

static const char *const state_types[] = { "SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED",
	"CRASHED", "PAUSED", "CANCELLING", NULL };
static const char *const state_names[] = { "Scheduled", "Pending", "Running", "Completed", "Failed", "Cancelled",
	"Crashed", "Paused", "Cancelling", NULL };

/* The default name of a state type, or NULL when it is not one. */
static const char *
state_name(const char *type)
{
	for (int i = 0; state_types[i] != NULL; i++)
		if (is(state_types[i], type))
			return state_names[i];
	return NULL;
}

static json_object *
find_run(const char *id)
{
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		json_object *r = json_object_array_get_idx(runs, i);

		if (is(str_of(r, "id"), id))
			return r;
	}
	return NULL;
}

static long long
scheduled_us(json_object *run)
{
	return json_object_get_int64(json_object_object_get(run, "_scheduled_us"));
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

/* Makes the run's state type/name/message, recorded in its history. A SCHEDULED run is due at scheduled
 * (microseconds); a PENDING one keeps that time in its state details, as Prefect's CopyScheduledTime does. */
static void
set_run_state(json_object *run, const char *type, const char *name, const char *message, long long scheduled)
{
	json_object *st = json_object_new_object(), *det = json_object_new_object(), *entry = json_object_new_object();
	bool sched = is(type, "SCHEDULED");

	if (sched) {
		json_object_object_add(run, "_scheduled_us", json_object_new_int64(scheduled));
		json_object_object_add(run, "next_scheduled_start_time", iso(scheduled));
	}
	json_object_object_add(st, "type", json_object_new_string(type));
	json_object_object_add(st, "name", json_object_new_string(name));
	json_object_object_add(st, "message", message ? json_object_new_string(message) : NULL);
	json_object_object_add(st, "timestamp", iso(now_us()));
	json_object_object_add(det, "scheduled_time", sched || is(type, "PENDING") ? iso(scheduled_us(run)) : NULL);
	json_object_object_add(st, "state_details", det);
	json_object_object_add(run, "state_type", json_object_new_string(type));
	json_object_object_add(run, "state_name", json_object_new_string(name));
	/* Prefect's orchestration stamps the first RUNNING and the end of a run. */
	if (is(type, "RUNNING") && json_object_object_get(run, "start_time") == NULL)
		json_object_object_add(run, "start_time", iso(now_us()));
	if (is(type, "COMPLETED") || is(type, "FAILED") || is(type, "CANCELLED") || is(type, "CRASHED"))
		json_object_object_add(run, "end_time", iso(now_us()));
	json_object_object_add(run, "state", st);
	json_object_array_add(json_object_object_get(run, "_history"), json_object_new_string(type));
	json_object_object_add(entry, "type", json_object_new_string(type));
	json_object_object_add(entry, "name", json_object_new_string(name));
	json_object_object_add(entry, "message", message ? json_object_new_string(message) : NULL);
	json_object_array_add(json_object_object_get(run, "_states"), entry);
}

/* --- create_flow_run ---------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	json_type type;
	bool nullable;
} run_fields[] = {
	{ "parameters", json_type_object, false }, { "tags", json_type_array, false },
	{ "idempotency_key", json_type_string, true }, { "work_queue_name", json_type_string, true },
	{ "state", json_type_object, true }, { "name", json_type_string, false },
	{ "context", json_type_object, false }, { "empirical_policy", json_type_object, false },
	{ "parent_task_run_id", json_type_string, true }, { "job_variables", json_type_object, true },
	{ NULL, json_type_null, false }
};

/* NULL when field k=v is one of create_flow_run's, else why not. */
static const char *
field_problem(const char *k, json_object *v)
{
	for (int i = 0; run_fields[i].name != NULL; i++) {
		if (!is(run_fields[i].name, k))
			continue;
		if (v == NULL)
			return run_fields[i].nullable ? NULL : "none is not an allowed value";
		if (!json_object_is_type(v, run_fields[i].type))
			return "wrong type";
		for (size_t j = 0; is(k, "tags") && j < json_object_array_length(v); j++)
			if (!json_object_is_type(json_object_array_get_idx(v, j), json_type_string))
				return "value is not a valid list of strings";
		return NULL;
	}
	return "extra fields not permitted";
}

/* Why create_flow_run's body is a 422 (*field at fault), or NULL; *scheduled: when the run is due. */
static const char *
run_body_problem(json_object *in, const char **field, long long *scheduled)
{
	json_object *state = NULL;

	*field = "__root__";
	if (in == NULL)
		return "value is not a valid dict";
	json_object_object_foreach(in, k, v) {
		const char *why = field_problem(k, v);

		*field = k;
		if (why != NULL)
			return why;
	}
	*field = "state";
	*scheduled = now_us();
	if (json_object_object_get_ex(in, "state", &state) && state != NULL &&
	    (!is(str_of(state, "type"), "SCHEDULED") || scheduled_time_of(state, scheduled) != 0))
		return "the double takes only a SCHEDULED state, with an ISO 8601 scheduled_time";
	return NULL;
}

/* The run of the deployment's flow with that idempotency key, or NULL. */
static json_object *
run_with_key(json_object *dep, const char *key)
{
	const char *flow = str_of(dep, "flow_id");

	for (size_t i = 0; key != NULL && i < json_object_array_length(runs); i++) {
		json_object *r = json_object_array_get_idx(runs, i);

		if (is(str_of(r, "idempotency_key"), key) && is(str_of(r, "flow_id"), flow))
			return r;
	}
	return NULL;
}

static void
add_tags(json_object *to, json_object *from)
{
	for (size_t i = 0; from != NULL && i < json_object_array_length(from); i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(from, i));
		bool seen = false;

		for (size_t j = 0; j < json_object_array_length(to) && !seen; j++)
			seen = is(json_object_get_string(json_object_array_get_idx(to, j)), t);
		if (!seen)
			json_object_array_add(to, json_object_new_string(t));
	}
}

static json_object *
new_run(json_object *dep, json_object *queue, json_object *in, long long scheduled)
{
	json_object *run = json_object_new_object(), *tags = json_object_new_array(), *v = NULL;
	const char *key = str_of(in, "idempotency_key");

	json_object_object_add(run, "id", new_uuid());
	json_object_object_add(run, "name", json_object_new_string("double-run"));
	json_object_object_add(run, "deployment_id", json_object_new_string(str_of(dep, "id")));
	json_object_object_add(run, "flow_id", json_object_new_string(str_of(dep, "flow_id")));
	json_object_object_add(run, "work_pool_name", json_object_new_string(str_of(queue, "work_pool_name")));
	json_object_object_add(run, "work_queue_name", json_object_new_string(str_of(queue, "name")));
	json_object_object_add(run, "work_queue_id", json_object_new_string(str_of(queue, "id")));
	json_object_object_add(run, "parameters", json_object_object_get_ex(in, "parameters", &v) ?
	    json_object_get(v) : json_object_new_object());
	add_tags(tags, json_object_object_get(in, "tags"));
	add_tags(tags, json_object_object_get(dep, "tags"));
	json_object_object_add(run, "tags", tags);
	json_object_object_add(run, "idempotency_key", key ? json_object_new_string(key) : NULL);
	json_object_object_add(run, "expected_start_time", iso(scheduled));
	json_object_object_add(run, "created", iso(now_us()));
	json_object_object_add(run, "start_time", NULL);
	json_object_object_add(run, "end_time", NULL);
	json_object_object_add(run, "_history", json_object_new_array());
	json_object_object_add(run, "_states", json_object_new_array());
	set_run_state(run, "SCHEDULED", "Scheduled", NULL, scheduled);
	json_object_array_add(runs, run);
	return run;
}

static enum MHD_Result
create_flow_run(struct MHD_Connection *c, const char *dep_id, const char *body)
{
	json_object *in = parse_object(body), *dep = find_deployment(dep_id), *run, *pool;
	const char *field, *why, *queue;
	long long scheduled = 0;
	enum MHD_Result r;

	count("create_flow_run");
	free(last_create);
	last_create = strdup(body ? body : "");
	if ((why = run_body_problem(in, &field, &scheduled)) != NULL)
		r = unprocessable(c, field, why);
	else if (dep == NULL)
		r = detail(c, 404, "Deployment not found");
	else if ((run = run_with_key(dep, str_of(in, "idempotency_key"))) != NULL)
		r = reply_json(c, 200, public_run(run));
	else {
		pool = ensure_pool(str_of(dep, "work_pool_name"));
		if ((queue = str_of(in, "work_queue_name")) == NULL)
			queue = str_of(dep, "work_queue_name");
		run = new_run(dep, ensure_queue(pool, queue), in, scheduled);
		r = reply_json(c, 201, public_run(run));
	}
	json_object_put(in);
	return r;
}

/* --- get_scheduled_flow_runs -------------------------------------------------------------------------- */

struct due {
	json_object *run;
	int priority;
	long long scheduled;
};

static int
by_priority_then_time(const void *a, const void *b)
{
	const struct due *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	if (x->scheduled != y->scheduled)
		return x->scheduled < y->scheduled ? -1 : 1;
	return strcmp(str_of(x->run, "id"), str_of(y->run, "id"));
}

/* The poll's work_queue_names (NULL: all), scheduled_before and limit; -1 with the field at fault. */
static int
poll_args(json_object *in, json_object **names, long long *before, int *limit, const char **bad)
{
	json_object *v = NULL;

	*names = NULL;
	*before = LLONG_MAX;
	*limit = POLL_LIMIT;
	if (json_object_object_get_ex(in, "work_queue_names", &v) && v != NULL) {
		*bad = "work_queue_names";
		if (!json_object_is_type(v, json_type_array))
			return -1;
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
				return -1;
		*names = v;
	}
	*bad = "scheduled_before";
	if (json_object_object_get_ex(in, "scheduled_before", &v) && v != NULL && parse_iso(str_of(in,
	    "scheduled_before"), before) != 0)
		return -1;
	*bad = "limit";
	if (json_object_object_get_ex(in, "limit", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < 0)
			return -1;
		*limit = json_object_get_int(v);
	}
	return 0;
}

static bool
named(json_object *names, const char *queue)
{
	for (size_t i = 0; names != NULL && i < json_object_array_length(names); i++)
		if (is(json_object_get_string(json_object_array_get_idx(names, i)), queue))
			return true;
	return names == NULL;
}

/* The pool's due SCHEDULED runs of those queues that no other poll holds, by queue priority then time. */
static struct due *
due_runs(json_object *pool, json_object *names, long long before, size_t *n)
{
	struct due *due = calloc(json_object_array_length(runs) + 1, sizeof(*due));
	long long now = monotonic_ms();

	*n = 0;
	for (size_t i = 0; due != NULL && i < json_object_array_length(runs); i++) {
		json_object *r = json_object_array_get_idx(runs, i), *q;

		if (!is(str_of(r, "state_type"), "SCHEDULED") || !is(str_of(r, "work_pool_name"), str_of(pool, "name")) ||
		    !named(names, str_of(r, "work_queue_name")) || scheduled_us(r) > before ||
		    json_object_get_int64(json_object_object_get(r, "_locked_until_ms")) > now ||
		    (q = find_queue(pool, str_of(r, "work_queue_name"))) == NULL)
			continue;
		due[*n].run = r;
		due[*n].priority = priority_of(q);
		due[(*n)++].scheduled = scheduled_us(r);
	}
	if (due != NULL)
		qsort(due, *n, sizeof(*due), by_priority_then_time);
	return due;
}

/* /_poll_hold: locks the due runs, at most LOCKED_PER_QUEUE of each queue, for poll_hold_ms. */
static void
lock_due(struct due *due, size_t n)
{
	long long until = monotonic_ms() + poll_hold_ms;
	size_t in_queue = 0;

	for (size_t i = 0; i < n; i++) {
		in_queue = i > 0 && due[i].priority == due[i - 1].priority ? in_queue + 1 : 0;
		if (in_queue < LOCKED_PER_QUEUE)
			json_object_object_add(due[i].run, "_locked_until_ms", json_object_new_int64(until));
	}
}

/* The answer: the first limit due runs, as Prefect's WorkerFlowRunResponse list (a new string). */
static char *
poll_answer(json_object *pool, struct due *due, size_t n)
{
	json_object *out = json_object_new_array();
	char *s;

	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_new_object();

		json_object_object_add(item, "flow_run", public_run(due[i].run));
		json_object_object_add(item, "work_pool_id", json_object_get(json_object_object_get(pool, "id")));
		json_object_object_add(item, "work_queue_id", json_object_new_string(str_of(due[i].run, "work_queue_id")));
		json_object_array_add(out, item);
	}
	s = strdup(json_object_to_json_string_ext(out, JSON_FLAGS));
	json_object_put(out);
	return s;
}

static enum MHD_Result
scheduled_runs(struct MHD_Connection *c, const char *pool_name, const char *body)
{
	json_object *in = parse_object(body && body[0] ? body : "{}"), *pool = find_pool(pool_name), *names;
	const char *bad = "__root__";
	struct due *due;
	long long before;
	int limit;
	size_t n;
	char *answer;
	bool hold;
	enum MHD_Result r;

	count("get_scheduled_flow_runs");
	if (in == NULL || poll_args(in, &names, &before, &limit, &bad) != 0) {
		json_object_put(in);
		return unprocessable(c, bad, "not a valid value");
	}
	if (limit > LIMIT_MAX) { /* Prefect's LimitBody: PREFECT_API_DEFAULT_LIMIT */
		json_object_put(in);
		return detail(c, 422, "Invalid limit: must be less than or equal to 200.");
	}
	if (pool == NULL) {
		json_object_put(in);
		return pool_not_found(c, pool_name);
	}
	if ((due = due_runs(pool, names, before, &n)) == NULL) {
		json_object_put(in);
		return reply(c, 500, "{\"detail\":\"out of memory\"}", 0, false);
	}
	if ((hold = poll_hold_ms > 0 && n > 0 && limit > 0))
		lock_due(due, n);
	answer = poll_answer(pool, due, n < (size_t)limit ? n : (size_t)limit);
	free(due);
	json_object_put(in);
	if (hold)
		sleep_unlocked(poll_hold_ms);
	r = reply(c, 200, answer ? answer : "[]", 0, false);
	free(answer);
	return r;
}

/* --- set_state ---------------------------------------------------------------------------------------- */

struct verdict {
	const char *status; /* ACCEPT, REJECT, ABORT or WAIT */
	const char *reason;
	double delay_seconds; /* WAIT */
};

static const struct verdict accepted = { "ACCEPT", NULL, 0 };

/* RUNNING from PENDING, against the double's clock: WAIT until the run's scheduled time. */
static struct verdict
wait_for_scheduled_time(json_object *run)
{
	long long ahead = scheduled_us(run) - now_us();

	if (ahead <= 0)
		return accepted;
	return (struct verdict){ "WAIT", "Scheduled time is in the future", (double)((ahead + 499999) / 500000) * 0.5 };
}

/* Prefect's orchestration rules, as far as a worker meets them, for proposing type to run. */
static struct verdict
judge(json_object *run, const char *type)
{
	const char *cur = str_of(run, "state_type");

	if (is(cur, "CANCELLING") && !is(type, "CANCELLED"))
		return (struct verdict){ "REJECT", CANCELLING_REASON, 0 };
	if (is(type, "PENDING") && !is(cur, "SCHEDULED"))
		return (struct verdict){ "ABORT",
			"This run is in a PENDING, RUNNING or terminal state and cannot transition to PENDING.", 0 };
	if (is(type, "RUNNING"))
		return is(cur, "PENDING") ? wait_for_scheduled_time(run) :
		    (struct verdict){ "REJECT", "Run is not PENDING", 0 };
	if ((is(type, "COMPLETED") || is(type, "FAILED")) && !is(cur, "RUNNING"))
		return (struct verdict){ "REJECT", "Run is not RUNNING", 0 };
	if (is(type, "SCHEDULED") && !is(cur, "RUNNING") && !is(cur, "PENDING"))
		return (struct verdict){ "REJECT", "Run is not RUNNING or PENDING", 0 };
	if (is(type, "CANCELLED") && !is(cur, "RUNNING") && !is(cur, "CANCELLING") && !is(cur, "SCHEDULED"))
		return (struct verdict){ "REJECT", "Run cannot be cancelled from its state", 0 };
	return accepted;
}

/* Prefect's OrchestrationResult: status, the run's state now, details of the verdict. */
static json_object *
verdict_json(json_object *run, struct verdict v)
{
	json_object *out = json_object_new_object(), *det = json_object_new_object();
	const char *type = is(v.status, "ACCEPT") ? "accept_details" : is(v.status, "REJECT") ? "reject_details" :
	    is(v.status, "ABORT") ? "abort_details" : "wait_details";

	json_object_object_add(det, "type", json_object_new_string(type));
	if (is(v.status, "WAIT"))
		json_object_object_add(det, "delay_seconds", json_object_new_double(v.delay_seconds));
	if (v.reason != NULL)
		json_object_object_add(det, "reason", json_object_new_string(v.reason));
	json_object_object_add(out, "status", json_object_new_string(v.status));
	json_object_object_add(out, "state", json_object_get(json_object_object_get(run, "state")));
	json_object_object_add(out, "details", det);
	return out;
}

static enum MHD_Result
set_state(struct MHD_Connection *c, const char *id, const char *body)
{
	json_object *in = parse_object(body), *st = NULL, *run = find_run(id), *force = NULL;
	const char *type = NULL, *name;
	long long when = 0;
	struct verdict v;

	count("set_state");
	if (in == NULL || !json_object_object_get_ex(in, "state", &st) || (type = str_of(st, "type")) == NULL ||
	    state_name(type) == NULL || (is(type, "SCHEDULED") && scheduled_time_of(st, &when) != 0)) {
		json_object_put(in);
		return unprocessable(c, "state", type == NULL ? "field required" : "not a valid state");
	}
	if (run == NULL) {
		json_object_put(in);
		return detail(c, 404, "Flow run not found");
	}
	force = json_object_object_get(in, "force");
	v = json_object_get_boolean(force) ? accepted : judge(run, type);
	if (is(v.status, "ACCEPT")) {
		name = str_of(st, "name") ? str_of(st, "name") : state_name(type);
		set_run_state(run, type, name, str_of(st, "message"), when);
	}
	json_object_put(in);
	return reply_json(c, is(v.status, "ACCEPT") ? 201 : 200, verdict_json(run, v));
}

/* --- work queues -------------------------------------------------------------------------------------- */

static enum MHD_Result
create_queue(struct MHD_Connection *c, const char *pool_name, const char *body)
{
	json_object *in = parse_object(body), *pool = find_pool(pool_name), *v = NULL;
	const char *name = str_of(in, "name");
	int priority = 0;
	enum MHD_Result r;

	count("create_queue");
	if (json_object_object_get_ex(in, "priority", &v) && v != NULL)
		priority = json_object_is_type(v, json_type_int) ? json_object_get_int(v) : -1;
	if (name == NULL)
		r = unprocessable(c, "name", "field required");
	else if (priority < 0 || (v != NULL && priority == 0))
		r = unprocessable(c, "priority", "not a valid priority (an integer from 1)");
	else if (pool == NULL)
		r = pool_not_found(c, pool_name);
	else if (find_queue(pool, name) != NULL)
		r = detail(c, 409, "A work queue with this name already exists.");
	else
		r = reply_json(c, 201, json_object_get(add_queue(pool, name, priority)));
	json_object_put(in);
	return r;
}

/* --- test controls ------------------------------------------------------------------------------------ */

static enum MHD_Result
control_fail(struct MHD_Connection *c)
{
	fail_count = atoi(arg_or(c, "count", "1"));
	fail_status = atoi(arg_or(c, "status", "503"));
	fail_retry_after = atoi(arg_or(c, "retry_after", "0"));
	return reply(c, 200, "{}", 0, false);
}

static enum MHD_Result
control_slow(struct MHD_Connection *c)
{
	slow_count = atoi(arg_or(c, "count", "1"));
	slow_ms = atoi(arg_or(c, "ms", "1000"));
	return reply(c, 200, "{}", 0, false);
}

static enum MHD_Result
control_cancel(struct MHD_Connection *c)
{
	json_object *run = arg(c, "id") ? find_run(arg(c, "id")) : NULL;

	if (run == NULL)
		return reply(c, 404, "{}", 0, false);
	set_run_state(run, "CANCELLING", "Cancelling", NULL, 0);
	return reply(c, 200, "{}", 0, false);
}

static enum MHD_Result
control_deployment(struct MHD_Connection *c)
{
	const char *flow = arg(c, "flow");
	bool created;
	json_object *dep;

	if (flow == NULL || flow[0] == '\0' || strchr(flow, '/') != NULL || strchr(arg_or(c, "name", ""), '/'))
		return detail(c, 400, "flow (and name) needed, without '/'");
	dep = upsert_deployment(flow, arg_or(c, "name", DEPLOYMENT), arg_or(c, "pool", POOL),
	    arg_or(c, "queue", DEFAULT_QUEUE), &created);
	return reply_json(c, created ? 201 : 200, json_object_get(dep));
}

static enum MHD_Result
control_forget(struct MHD_Connection *c)
{
	char key[300];

	snprintf(key, sizeof(key), "%s/%s", arg_or(c, "flow", ""), arg_or(c, "name", DEPLOYMENT));
	if (json_object_object_get_ex(deployments, key, NULL))
		delete_deployment(key);
	return reply(c, 200, "{}", 0, false);
}

static enum MHD_Result
control_clock(struct MHD_Connection *c)
{
	json_object *out = json_object_new_object();

	clock_offset_ms = atoll(arg_or(c, "offset_ms", "0"));
	json_object_object_add(out, "offset_ms", json_object_new_int64(clock_offset_ms));
	json_object_object_add(out, "now", iso(now_us()));
	return reply_json(c, 200, out);
}

static enum MHD_Result
control_poll_hold(struct MHD_Connection *c)
{
	poll_hold_ms = atoi(arg_or(c, "ms", "0"));
	return reply(c, 200, "{}", 0, false);
}

static enum MHD_Result
control_runs(struct MHD_Connection *c)
{
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		json_object *r = json_object_array_get_idx(runs, i), *o = public_run(r);

		json_object_object_add(o, "history", json_object_get(json_object_object_get(r, "_history")));
		json_object_object_add(o, "states", json_object_get(json_object_object_get(r, "_states")));
		json_object_array_add(out, o);
	}
	return reply_json(c, 200, out);
}

static enum MHD_Result
control_queues(struct MHD_Connection *c)
{
	const char *name = arg_or(c, "pool", POOL);
	json_object *pool = find_pool(name);

	return pool == NULL ? pool_not_found(c, name) : reply_json(c, 200, sorted_queues(pool, NULL));
}

static enum MHD_Result
control_last(struct MHD_Connection *c)
{
	return reply(c, 200, last_create ? last_create : "", 0, false);
}

static enum MHD_Result
control_stats(struct MHD_Connection *c)
{
	return reply(c, 200, json_object_to_json_string_ext(stats, JSON_FLAGS), 0, false);
}

static const struct {
	const char *method, *path;
	enum MHD_Result (*fn)(struct MHD_Connection *c);
} control_table[] = {
	{ "POST", "/_fail", control_fail }, { "POST", "/_slow", control_slow },
	{ "POST", "/_cancel", control_cancel }, { "POST", "/_deployment", control_deployment },
	{ "POST", "/_forget", control_forget }, { "POST", "/_clock", control_clock },
	{ "POST", "/_poll_hold", control_poll_hold }, { NULL, "/_runs", control_runs },
	{ NULL, "/_queues", control_queues }, { NULL, "/_last", control_last }, { NULL, "/_stats", control_stats },
	{ NULL, NULL, NULL }
};

static enum MHD_Result
controls(struct MHD_Connection *c, const char *method, const char *url)
{
	for (int i = 0; control_table[i].path != NULL; i++)
		if (is(control_table[i].path, url) && (control_table[i].method == NULL || is(control_table[i].method,
		    method)))
			return control_table[i].fn(c);
	return detail(c, 404, "Not Found");
}

/* --- routing ------------------------------------------------------------------------------------------ */

/* Whether url is prefix, one path segment (copied to seg) and suffix. */
static bool
route(const char *url, const char *prefix, const char *suffix, char *seg, size_t len)
{
	size_t p = strlen(prefix), n;

	if (strncmp(url, prefix, p) != 0)
		return false;
	url += p;
	n = strcspn(url, "/");
	if (n == 0 || n >= len || strcmp(url + n, suffix) != 0)
		return false;
	memcpy(seg, url, n);
	seg[n] = '\0';
	return true;
}

/* The "{flow}/{deployment}" of /deployments/name/{flow}/{deployment}, or NULL. */
static const char *
deployment_name(const char *url)
{
	static const char prefix[] = "/deployments/name/";
	const char *rest = url + sizeof(prefix) - 1, *slash;

	if (strncmp(url, prefix, sizeof(prefix) - 1) != 0 || (slash = strchr(rest, '/')) == NULL)
		return NULL;
	return slash > rest && slash[1] != '\0' && strchr(slash + 1, '/') == NULL ? rest : NULL;
}

static enum MHD_Result
read_deployment(struct MHD_Connection *c, const char *flow_and_name)
{
	json_object *dep = NULL;

	count("read_deployment");
	if (!json_object_object_get_ex(deployments, flow_and_name, &dep))
		return detail(c, 404, "Deployment not found");
	return reply(c, 200, json_object_to_json_string_ext(dep, JSON_FLAGS), 0, false);
}

static enum MHD_Result
delete_deployment_route(struct MHD_Connection *c, const char *id)
{
	const char *key = deployment_key(id);

	count("delete_deployment");
	if (key == NULL)
		return detail(c, 404, "Deployment not found");
	delete_deployment(key);
	return reply(c, 204, "", 0, false);
}

/* --- POST /flow_runs/filter ------------------------------------------------------------------------------ */

/* Whether run carries every tag of all (a JSON array of strings). */
static bool
has_tags(json_object *run, json_object *all)
{
	json_object *tags = json_object_object_get(run, "tags");

	for (size_t i = 0; i < json_object_array_length(all); i++) {
		bool found = false;

		for (size_t j = 0; !found && j < json_object_array_length(tags); j++)
			found = is(json_object_get_string(json_object_array_get_idx(tags, j)),
			    json_object_get_string(json_object_array_get_idx(all, i)));
		if (!found)
			return false;
	}
	return true;
}

static int
later_first(const void *a, const void *b)
{
	const char *x = str_of(*(json_object *const *)a, "expected_start_time");
	const char *y = str_of(*(json_object *const *)b, "expected_start_time");

	return strcmp(y ? y : "", x ? x : "");
}

static int
sooner_first(const void *a, const void *b)
{
	long long x = scheduled_us(*(json_object *const *)a), y = scheduled_us(*(json_object *const *)b);

	return x < y ? -1 : x > y;
}

/* Whether the string value of run's field is one of {"any_": [...]} (absent filter: yes). */
static bool
any_of(json_object *run, const char *field, json_object *filter)
{
	json_object *any = json_object_object_get(filter, "any_");
	const char *v = str_of(run, field);

	if (filter == NULL)
		return true;
	for (size_t i = 0; v != NULL && i < json_object_array_length(any); i++)
		if (is(json_object_get_string(json_object_array_get_idx(any, i)), v))
			return true;
	return false;
}

/* The flow_runs and work_pools sections this double knows: tags.all_, deployment_id.any_,
 * state.type.any_, next_scheduled_start_time.before_ (SCHEDULED runs due by then), work_pools.name.any_. */
static bool
matches(json_object *run, json_object *in)
{
	json_object *fr = json_object_object_get(in, "flow_runs"), *all, *next;
	long long before;

	all = json_object_object_get(json_object_object_get(fr, "tags"), "all_");
	next = json_object_object_get(json_object_object_get(fr, "next_scheduled_start_time"), "before_");
	if ((all != NULL && !has_tags(run, all)) ||
	    !any_of(run, "deployment_id", json_object_object_get(fr, "deployment_id")) ||
	    !any_of(run, "state_type", json_object_object_get(json_object_object_get(fr, "state"), "type")) ||
	    !any_of(run, "work_pool_name", json_object_object_get(json_object_object_get(in, "work_pools"), "name")))
		return false;
	return next == NULL || (parse_iso(json_object_get_string(next), &before) == 0 && is(str_of(run, "state_type"),
	    "SCHEDULED") && scheduled_us(run) <= before);
}

/* The subset this project uses: {"flow_runs":{"tags":{"all_":[...]}},"sort":"EXPECTED_START_TIME_DESC",
 * "limit":N}; other filter sections Prefect knows are accepted and ignored, unknown fields are 422. */
static enum MHD_Result
filter_flow_runs(struct MHD_Connection *c, const char *body)
{
	static const char *known[] = { "flow_runs", "sort", "limit", "offset", "flows", "task_runs", "deployments",
		"work_pools", "work_pool_queues", NULL };
	json_object *in = parse_object(body && body[0] ? body : "{}"), *out, **pick;
	size_t n = 0, limit = 200;

	count("filter_flow_runs");
	if (in == NULL)
		return unprocessable(c, "__root__", "not a valid dict");
	json_object_object_foreach(in, k, v) {
		int i = 0;

		while (known[i] != NULL && !is(known[i], k))
			i++;
		if (known[i] == NULL || (is(k, "limit") && (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int(v) < 1))) {
			json_object_put(in);
			return unprocessable(c, k, known[i] == NULL ? "extra fields not permitted" : "not a valid integer");
		}
	}
	if (json_object_object_get(in, "limit") != NULL)
		limit = (size_t)json_object_get_int(json_object_object_get(in, "limit"));
	if (limit > LIMIT_MAX) {
		json_object_put(in);
		return detail(c, 422, "Invalid limit: must be less than or equal to 200.");
	}
	pick = calloc(json_object_array_length(runs) + 1, sizeof(*pick));
	for (size_t i = 0; pick != NULL && i < json_object_array_length(runs); i++)
		if (matches(json_object_array_get_idx(runs, i), in))
			pick[n++] = json_object_array_get_idx(runs, i);
	qsort(pick, n, sizeof(*pick), is(str_of(in, "sort"), "NEXT_SCHEDULED_START_TIME_ASC") ? sooner_first :
	    later_first);
	out = json_object_new_array();
	for (size_t i = 0; i < n && i < limit; i++)
		json_object_array_add(out, public_run(pick[i]));
	free(pick);
	json_object_put(in);
	return reply_json(c, 200, out);
}

static enum MHD_Result
read_flow_run(struct MHD_Connection *c, const char *id)
{
	json_object *run = find_run(id);

	count("read_flow_run");
	return run == NULL ? detail(c, 404, "Flow run not found") : reply_json(c, 200, public_run(run));
}

/* An API request (url after /api) that passed the key and /_fail. */
static enum MHD_Result
api(struct MHD_Connection *c, const char *method, const char *url, const char *body)
{
	char a[128];
	bool get = is(method, "GET"), post = is(method, "POST");
	const char *name;

	if (get && is(url, "/health"))
		return reply(c, 200, "true", 0, false);
	if (get && (name = deployment_name(url)) != NULL)
		return read_deployment(c, name);
	if (is(method, "DELETE") && route(url, "/deployments/", "", a, sizeof(a)))
		return delete_deployment_route(c, a);
	if (post && route(url, "/deployments/", "/create_flow_run", a, sizeof(a)))
		return create_flow_run(c, a, body);
	if (post && is(url, "/flow_runs/filter"))
		return filter_flow_runs(c, body);
	if (post && route(url, "/flow_runs/", "/set_state", a, sizeof(a)))
		return set_state(c, a, body);
	if (get && route(url, "/flow_runs/", "", a, sizeof(a)))
		return read_flow_run(c, a);
	if (post && route(url, "/work_pools/", "/get_scheduled_flow_runs", a, sizeof(a)))
		return scheduled_runs(c, a, body);
	if (post && route(url, "/work_pools/", "/queues", a, sizeof(a)))
		return create_queue(c, a, body);
	return detail(c, 404, "Not Found");
}

static enum MHD_Result
serve(struct MHD_Connection *c, const char *method, const char *url, const char *body)
{
	const char *key = getenv("PREFECT_DOUBLE_KEY"), *auth;
	char want[256];

	if (strncmp(url, "/_", 2) == 0)
		return controls(c, method, url);
	if (strncmp(url, "/api/", 5) != 0)
		return detail(c, 404, "Not Found");
	count("requests");
	if (key != NULL) {
		auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		snprintf(want, sizeof(want), "Bearer %s", key);
		if (auth == NULL || strcmp(auth, want) != 0)
			return detail(c, 401, "Unauthorized");
	}
	if (fail_count > 0) {
		int s = fail_status;

		fail_count--;
		count("failed");
		return reply(c, (unsigned)s, "{\"detail\":\"Service Unavailable\"}", fail_retry_after, s == 503);
	}
	return api(c, method, url + 4, body);
}

/* serve() under the state lock, after the delay /_slow asked for (held without the lock, so the test can
 * still reach the controls meanwhile). */
static enum MHD_Result
serve_locked(struct MHD_Connection *c, const char *method, const char *url, const char *body)
{
	enum MHD_Result r;

	pthread_mutex_lock(&mu);
	if (slow_count > 0 && strncmp(url, "/api/", 5) == 0) {
		slow_count--;
		sleep_unlocked(slow_ms);
	}
	r = serve(c, method, url, body);
	pthread_mutex_unlock(&mu);
	return r;
}

int
main(int argc, char **argv)
{
	int rc;
	bool created;

	if (argc < 2) {
		fprintf(stderr, "usage: prefect_double PORTFILE FLOW...\n");
		return 2;
	}
	pools = json_object_new_object();
	flows = json_object_new_object();
	deployments = json_object_new_object();
	runs = json_object_new_array();
	stats = json_object_new_object();
	(void)ensure_pool(POOL);
	for (int i = 2; i < argc; i++)
		(void)upsert_deployment(argv[i], DEPLOYMENT, POOL, DEFAULT_QUEUE, &created);
	rc = serve_until_stopped("prefect_double", argv[1], serve_locked);
	json_object_put(pools);
	json_object_put(flows);
	json_object_put(deployments);
	json_object_put(runs);
	json_object_put(stats);
	free(last_create);
	return rc;
}
