/* prefect.c: a client of Prefect's REST API: Prefect's calls, retry policy and deadline on top of the shared
 * JSON exchange (shared/clients/http.c), over one kept-alive easy handle per client; JSON bodies built and
 * read with json-c; path segments escaped with curl_easy_escape. */
#include "shared/clients/prefect.h"

#include "shared/clients/http.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/str.h"

#include <curl/curl.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ANSWER_MAX (4 * 1024 * 1024)

struct prefect {
	char url[1024];
	char *bearer;
	char *basic;
	char pool[PREFECT_NAME_MAX];
	long timeout_ms;
	int retries;
	struct prefect_deployment flows[PREFECT_FLOWS_MAX];
	char ids[PREFECT_FLOWS_MAX][PREFECT_ID_MAX]; /* each flow's deployment id, "" until resolved */
	long long failed_ms[PREFECT_FLOWS_MAX];      /* when resolving it last failed (prefect_flow_of), or 0 */
	long long refreshed_ms;                      /* when prefect_flow_of last looked every name up again */
	int nflows;
	struct prefect_band bands[PREFECT_BANDS_MAX];
	int nbands;
	CURL *curl;
	long retry_after;
};

int
prefect_deployments_parse(const char *spec, struct prefect_deployment *out, int max, int *n, char *err,
    size_t errlen)
{
	const char *s = spec;

	for (*n = 0; *s != '\0'; *n += 1) {
		size_t len = strcspn(s, ",");
		const char *eq = memchr(s, '=', len), *slash;

		if (*n == max || eq == NULL || eq == s ||
		    (slash = memchr(eq + 1, '/', len - (size_t)(eq + 1 - s))) == NULL || slash == eq + 1 ||
		    slash + 1 == s + len) {
			(void)str_fmt(err, errlen, "PREFECT_DEPLOYMENTS must be flow=prefect-flow/deployment pairs, comma-separated");
			return -1;
		}
		if (str_fmt(out[*n].flow, sizeof(out[*n].flow), "%.*s", (int)(eq - s), s) != 0 ||
		    str_fmt(out[*n].name, sizeof(out[*n].name), "%.*s", (int)(len - (size_t)(eq + 1 - s)), eq + 1) != 0) {
			(void)str_fmt(err, errlen, "PREFECT_DEPLOYMENTS: a name is too long");
			return -1;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

int
prefect_bands_parse(const char *spec, struct prefect_band *out, int max, int *n, char *err, size_t errlen)
{
	const char *s = spec;

	for (*n = 0; *s != '\0'; *n += 1) {
		size_t len = strcspn(s, ",");
		const char *colon = memchr(s, ':', len);
		char num[16];
		long v;

		if (*n == max || colon == NULL || colon == s || colon + 1 == s + len ||
		    str_fmt(num, sizeof(num), "%.*s", (int)(colon - s), s) != 0 || str_to_long(num, 0, 1000, &v) != 0 ||
		    (*n > 0 && v >= out[*n - 1].min_priority) ||
		    str_fmt(out[*n].queue, sizeof(out[*n].queue), "%.*s", (int)(len - (size_t)(colon + 1 - s)),
		    colon + 1) != 0) {
			(void)str_fmt(err, errlen, "PREFECT_QUEUE_BANDS must be min-priority:queue pairs, priorities "
			    "decreasing, e.g. 90:captionacc-high,70:captionacc-normal,0:captionacc-low");
			return -1;
		}
		out[*n].min_priority = (int)v;
		s += len;
		if (*s == ',')
			s++;
	}
	if (*n == 0 || out[*n - 1].min_priority != 0) {
		(void)str_fmt(err, errlen, "PREFECT_QUEUE_BANDS must end with a band for priority 0");
		return -1;
	}
	return 0;
}

struct prefect *
prefect_new(const struct config *cfg, char *err, size_t errlen)
{
	struct prefect *p = calloc(1, sizeof(*p));
	size_t n;

	if (p == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return NULL;
	}
	if (cfg->prefect_api_url == NULL || (strncmp(cfg->prefect_api_url, "http://", 7) != 0 &&
	    strncmp(cfg->prefect_api_url, "https://", 8) != 0)) {
		(void)str_fmt(err, errlen, "PREFECT_API_URL must be set to an http(s) URL when QUEUE_BACKEND=prefect");
		goto fail;
	}
	if (str_copy(p->url, sizeof(p->url), cfg->prefect_api_url) != 0) {
		(void)str_fmt(err, errlen, "PREFECT_API_URL is too long");
		goto fail;
	}
	n = strlen(p->url);
	while (n > 0 && p->url[n - 1] == '/')
		p->url[--n] = '\0';
	if ((cfg->prefect_api_key != NULL && (p->bearer = strdup(cfg->prefect_api_key)) == NULL) ||
	    (cfg->prefect_basic_auth != NULL && (p->basic = strdup(cfg->prefect_basic_auth)) == NULL)) {
		(void)str_fmt(err, errlen, "out of memory");
		goto fail;
	}
	if (p->basic != NULL && strchr(p->basic, ':') == NULL) {
		(void)str_fmt(err, errlen, "PREFECT_BASIC_AUTH must be user:password");
		goto fail;
	}
	if (str_copy(p->pool, sizeof(p->pool), cfg->prefect_work_pool) != 0 ||
	    p->pool[0] == '\0') {
		(void)str_fmt(err, errlen, "PREFECT_WORK_POOL is empty or too long");
		goto fail;
	}
	if (prefect_deployments_parse(cfg->prefect_deployments, p->flows,
	    PREFECT_FLOWS_MAX, &p->nflows, err, errlen) != 0 ||
	    prefect_bands_parse(cfg->prefect_queue_bands, p->bands, PREFECT_BANDS_MAX,
	    &p->nbands, err, errlen) != 0)
		goto fail;
	p->timeout_ms = cfg->prefect_timeout_seconds * 1000;
	p->retries = (int)cfg->prefect_retries;
	if ((p->curl = curl_easy_init()) == NULL) {
		(void)str_fmt(err, errlen, "cannot initialise libcurl");
		goto fail;
	}
	return p;
fail:
	prefect_free(p);
	return NULL;
}

void
prefect_free(struct prefect *p)
{
	if (p == NULL)
		return;
	if (p->curl != NULL)
		curl_easy_cleanup(p->curl);
	free(p->bearer);
	free(p->basic);
	free(p);
}

const char *
prefect_queue_for(const struct prefect *p, int priority)
{
	for (int i = 0; i < p->nbands; i++)
		if (priority >= p->bands[i].min_priority)
			return p->bands[i].queue;
	return p->bands[p->nbands - 1].queue;
}

int
prefect_band_count(const struct prefect *p)
{
	return p->nbands;
}

const struct prefect_band *
prefect_band_at(const struct prefect *p, int i)
{
	return (i >= 0 && i < p->nbands) ? &p->bands[i] : NULL;
}

/* The index of our flow in flows[] and ids[], or -1. */
static int
flow_index(const struct prefect *p, const char *flow)
{
	for (int i = 0; i < p->nflows; i++)
		if (strcmp(p->flows[i].flow, flow) == 0)
			return i;
	return -1;
}

const char *
prefect_deployment_name(const struct prefect *p, const char *flow)
{
	int i = flow_index(p, flow);

	return i >= 0 ? p->flows[i].name : NULL;
}

long
prefect_retry_after(const struct prefect *p)
{
	return p->retry_after;
}

/* --- one call: exchanges (shared/clients/http.c) retried within the deadline ------------------------- */

/* One exchange of a call on the kept-alive handle, with what is left until the deadline. The caller frees
 * *a with http_answer_free. */
static void
exchange(struct prefect *p, const char *method, const char *url, json_object *body, long long deadline,
    bool fresh, bool json, struct http_answer *a)
{
	struct http_request rq = { 0 };
	long left = (long)(deadline - clock_ms());

	if (left < 1)
		left = 1;
	rq.method = method;
	rq.url = url;
	rq.body = body;
	rq.bearer = p->bearer;
	rq.basic = p->basic;
	rq.timeout_ms = left;
	rq.connect_timeout_ms = left < 5000 ? left : 5000L;
	rq.max_answer = ANSWER_MAX;
	rq.fresh_connection = fresh;
	rq.parse_json = json;
	rq.handle = p->curl;
	(void)http_exchange(&rq, a);
}

/* Whether an exchange settled the call (*r set, err written); false for a transient failure (err
 * written too). On PREFECT_OK *answer (when asked) takes the parsed JSON. */
static bool
settled(struct http_answer *a, const char *method, const char *path, json_object **answer,
    enum prefect_result *r, char *err, size_t errlen)
{
	char detail[300];

	switch (a->outcome) {
	case HTTP_OK:
		if (answer != NULL) {
			*answer = a->json;
			a->json = NULL;
		}
		*r = PREFECT_OK;
		return true;
	case HTTP_BAD_JSON:
		(void)str_fmt(err, errlen, "Prefect %s %s answered %ld with a body that is not JSON: %s", method, path,
		    a->status, a->error);
		*r = PREFECT_REFUSED;
		return true;
	case HTTP_PERMANENT:
		http_detail(a, detail, sizeof(detail));
		(void)str_fmt(err, errlen, "Prefect %s %s answered %ld%s%s", method, path, a->status,
		    detail[0] ? ": " : "", detail);
		*r = a->status == 404 ? PREFECT_NOT_FOUND : PREFECT_REFUSED;
		return true;
	default:
		break;
	}
	/* Transient: a connection failure, a timeout, an answer too large, 408/429/5xx. */
	if (!a->answered)
		(void)str_fmt(err, errlen, "Prefect %s %s: %s", method, path, a->outcome == HTTP_TOO_LARGE ?
		    "answer too large" : a->error);
	else
		(void)str_fmt(err, errlen, "Prefect %s %s answered %ld", method, path, a->status);
	*r = PREFECT_UNAVAILABLE;
	return false;
}

/* method GET or POST; body NULL for none. Tries until an exchange settles the call, retries are spent or
 * the next pause would pass the deadline. *answer (caller frees) is the parsed JSON of a 2xx answer. */
static enum prefect_result
call(struct prefect *p, const char *method, const char *path, json_object *body, long timeout_ms, int retries,
    long *status, json_object **answer, char *err, size_t errlen)
{
	long long deadline = clock_ms() + timeout_ms, pause;
	enum prefect_result r = PREFECT_UNAVAILABLE;
	bool fresh = false, done;
	char url[2048];

	*status = 0;
	if (answer != NULL)
		*answer = NULL;
	p->retry_after = 0;
	if (str_fmt(url, sizeof(url), "%s%s", p->url, path) != 0) {
		(void)str_fmt(err, errlen, "Prefect URL too long");
		return PREFECT_REFUSED;
	}
	for (int attempt = 0;; attempt++) {
		struct http_answer a;

		exchange(p, method, url, body, deadline, fresh, answer != NULL, &a);
		*status = a.answered ? a.status : 0;
		done = settled(&a, method, path, answer, &r, err, errlen);
		if (!done)
			p->retry_after = a.retry_after;
		/* A server that answered 503 may close the connection: the next try opens a new one. */
		fresh = !a.answered || a.status == 503;
		pause = a.retry_after > 0 ? a.retry_after * 1000LL : (200LL << (attempt < 6 ? attempt : 6));
		http_answer_free(&a);
		if (done || attempt >= retries || clock_ms() + pause >= deadline)
			break;
		log_debug("%s; retrying in %lld ms", err, pause);
		clock_sleep_ms(pause);
	}
	return r;
}

/* An escaped path segment; caller frees with curl_free. */
static char *
escape(struct prefect *p, const char *s)
{
	return curl_easy_escape(p->curl, s, 0);
}

/* --- deployments ------------------------------------------------------------------------------------ */

/* A deployment of another work pool would get runs that no runner of ours polls (and a work_queue_name
 * would create our band queue in that pool, with an arbitrary priority): refused loudly. */
static enum prefect_result
check_pool(const struct prefect *p, json_object *dep, const char *name, char *err, size_t errlen)
{
	json_object *v = NULL;
	const char *pool = json_object_object_get_ex(dep, "work_pool_name", &v) &&
	    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

	if (pool != NULL && strcmp(pool, p->pool) == 0)
		return PREFECT_OK;
	(void)str_fmt(err, errlen, "Prefect's deployment %s is in work pool \"%.128s\", not PREFECT_WORK_POOL \"%s\": "
	    "no runner would see its runs", name, pool ? pool : "(none)", p->pool);
	return PREFECT_WRONG_POOL;
}

enum prefect_result
prefect_deployment_id(struct prefect *p, const char *flow, char *id, size_t idlen, char *err, size_t errlen)
{
	int i = flow_index(p, flow);
	char path[1024], fname[PREFECT_NAME_MAX * 2 + 2], *slash, *e1 = NULL, *e2 = NULL, *fid;
	json_object *dep = NULL, *v = NULL;
	enum prefect_result r;
	long status;

	if (i < 0) {
		(void)str_fmt(err, errlen, "no Prefect deployment configured for flow %s (PREFECT_DEPLOYMENTS)", flow);
		return PREFECT_REFUSED;
	}
	fid = p->ids[i];
	if (fid[0] != '\0')
		return str_copy(id, idlen, fid) == 0 ? PREFECT_OK : PREFECT_REFUSED;
	(void)str_fmt(fname, sizeof(fname), "%s", p->flows[i].name);
	slash = strchr(fname, '/');
	*slash = '\0';
	if ((e1 = escape(p, fname)) == NULL || (e2 = escape(p, slash + 1)) == NULL ||
	    str_fmt(path, sizeof(path), "/deployments/name/%s/%s", e1, e2) != 0) {
		(void)str_fmt(err, errlen, "deployment name too long");
		r = PREFECT_REFUSED;
		goto out;
	}
	r = call(p, "GET", path, NULL, p->timeout_ms, p->retries, &status, &dep, err, errlen);
	if (r == PREFECT_NOT_FOUND)
		(void)str_fmt(err, errlen, "Prefect has no deployment %s (flow %s; see PREFECT_DEPLOYMENTS)",
		    p->flows[i].name, flow);
	if (r != PREFECT_OK)
		goto out;
	if ((r = check_pool(p, dep, p->flows[i].name, err, errlen)) != PREFECT_OK)
		goto out;
	if (!json_object_object_get_ex(dep, "id", &v) || !json_object_is_type(v, json_type_string) ||
	    str_copy(fid, PREFECT_ID_MAX, json_object_get_string(v)) != 0 || str_copy(id, idlen, fid) != 0) {
		fid[0] = '\0';
		(void)str_fmt(err, errlen, "Prefect's deployment %s has no usable id", p->flows[i].name);
		r = PREFECT_REFUSED;
	}
out:
	curl_free(e1);
	curl_free(e2);
	json_object_put(dep);
	return r;
}

/* Our flow whose resolved deployment id is deployment_id, resolving the names not resolved yet. */
static const char *
flow_of_known(struct prefect *p, const char *deployment_id)
{
	char id[PREFECT_ID_MAX], err[256];

	for (int i = 0; i < p->nflows; i++) {
		if (p->ids[i][0] == '\0') {
			if (p->failed_ms[i] != 0 && clock_ms() - p->failed_ms[i] < PREFECT_RESOLVE_RETRY_MS)
				continue;
			if (prefect_deployment_id(p, p->flows[i].flow, id, sizeof(id), err, sizeof(err)) != PREFECT_OK) {
				p->failed_ms[i] = clock_ms();
				log_debug("flow %s: %s", p->flows[i].flow, err);
				continue;
			}
			p->failed_ms[i] = 0;
		}
		if (strcmp(p->ids[i], deployment_id) == 0)
			return p->flows[i].flow;
	}
	return NULL;
}

const char *
prefect_flow_of(struct prefect *p, const char *deployment_id)
{
	const char *flow = flow_of_known(p, deployment_id);

	/* An unknown id may be one of our deployments made again (a new id) since we looked: every name is
	 * looked up again, at most every PREFECT_RESOLVE_RETRY_MS. */
	if (flow == NULL && clock_ms() - p->refreshed_ms >= PREFECT_RESOLVE_RETRY_MS) {
		p->refreshed_ms = clock_ms();
		for (int i = 0; i < p->nflows; i++) {
			p->ids[i][0] = '\0';
			p->failed_ms[i] = 0;
		}
		flow = flow_of_known(p, deployment_id);
	}
	return flow;
}

/* --- flow runs -------------------------------------------------------------------------------------- */

/* Exactly the fields Prefect accepts: it answers 422 to anything else (there is no priority). */
static json_object *
create_body(json_object *parameters, json_object *tags, const char *idempotency_key, const char *queue)
{
	json_object *body = json_object_new_object();

	json_object_object_add(body, "parameters", json_object_get(parameters));
	json_object_object_add(body, "tags", json_object_get(tags));
	if (idempotency_key != NULL)
		json_object_object_add(body, "idempotency_key", json_object_new_string(idempotency_key));
	if (queue != NULL)
		json_object_object_add(body, "work_queue_name", json_object_new_string(queue));
	return body;
}

/* One create_flow_run on deployment dep, retried while PREFECT_TIMEOUT_SECONDS lasts. */
static enum prefect_result
create_on(struct prefect *p, const char *dep, json_object *body, char *run_id, size_t idlen, bool *created,
    char *tenant, size_t tenantlen, char *err, size_t errlen)
{
	char path[256];
	json_object *run = NULL, *v = NULL;
	enum prefect_result r;
	long status;

	if (str_fmt(path, sizeof(path), "/deployments/%s/create_flow_run", dep) != 0)
		return PREFECT_REFUSED;
	r = call(p, "POST", path, body, p->timeout_ms, INT_MAX, &status, &run, err, errlen);
	if (r == PREFECT_OK) {
		if (!json_object_object_get_ex(run, "id", &v) || !json_object_is_type(v, json_type_string) ||
		    str_copy(run_id, idlen, json_object_get_string(v)) != 0) {
			(void)str_fmt(err, errlen, "Prefect's new flow run has no usable id");
			r = PREFECT_REFUSED;
		} else {
			json_object *params = NULL, *t = NULL;

			*created = status == 201;
			if (json_object_object_get_ex(run, "parameters", &params) &&
			    json_object_object_get_ex(params, "tenant_id", &t) && json_object_is_type(t, json_type_string))
				(void)str_fmt(tenant, tenantlen, "%s", json_object_get_string(t));
		}
	}
	json_object_put(run);
	return r;
}

enum prefect_result
prefect_create_run(struct prefect *p, const char *flow, json_object *parameters, json_object *tags,
    const char *idempotency_key, const char *queue, char *run_id, size_t idlen, bool *created, char *run_tenant,
    size_t tenantlen, char *err, size_t errlen)
{
	int i = flow_index(p, flow);
	bool cached = i >= 0 && p->ids[i][0] != '\0';
	char dep[PREFECT_ID_MAX];
	json_object *body;
	enum prefect_result r;

	*created = false;
	if ((r = prefect_deployment_id(p, flow, dep, sizeof(dep), err, errlen)) != PREFECT_OK)
		return r;
	body = create_body(parameters, tags, idempotency_key, queue);
	run_tenant[0] = '\0';
	r = create_on(p, dep, body, run_id, idlen, created, run_tenant, tenantlen, err, errlen);
	if (r == PREFECT_NOT_FOUND) {
		/* The deployment went away since we resolved it (re-created with a new id): forget the id, look
		 * the name up again, and create the run in this same call. */
		p->ids[i][0] = '\0';
		if (cached && (r = prefect_deployment_id(p, flow, dep, sizeof(dep), err, errlen)) == PREFECT_OK) {
			log_info("flow %s: deployment %s has a new id %s", flow, prefect_deployment_name(p, flow), dep);
			r = create_on(p, dep, body, run_id, idlen, created, run_tenant, tenantlen, err, errlen);
		}
		if (r == PREFECT_NOT_FOUND) {
			p->ids[i][0] = '\0';
			(void)str_fmt(err, errlen, "Prefect has no deployment %s (flow %s)", prefect_deployment_name(p, flow),
			    flow);
		}
	}
	json_object_put(body);
	return r;
}

/* ISO 8601 UTC with microseconds, as Prefect writes them. */
static void
iso_time(char *buf, size_t len, double offset_seconds)
{
	struct timespec ts;
	struct tm tm;
	time_t t;
	long us;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + (time_t)offset_seconds;
	us = ts.tv_nsec / 1000 + (long)((offset_seconds - (double)(time_t)offset_seconds) * 1e6);
	if (us >= 1000000) {
		t++;
		us -= 1000000;
	}
	gmtime_r(&t, &tm);
	(void)str_fmt(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

enum prefect_result
prefect_scheduled_runs(struct prefect *p, int limit, json_object **runs, char *err, size_t errlen)
{
	char path[512], now[64], *pool = escape(p, p->pool);
	json_object *body = json_object_new_object(), *list = NULL;
	enum prefect_result r = PREFECT_REFUSED;
	long status;

	*runs = NULL;
	if (limit > PREFECT_LIMIT_MAX)
		limit = PREFECT_LIMIT_MAX;
	if (pool == NULL || str_fmt(path, sizeof(path), "/work_pools/%s/get_scheduled_flow_runs", pool) != 0)
		goto out;
	/* No work_queue_names: every queue of the pool, in queue priority order. Runs created without a work
	 * queue (Prefect's UI, `prefect deployment run`, schedules) are in the deployment's queue. */
	iso_time(now, sizeof(now), 0);
	json_object_object_add(body, "scheduled_before", json_object_new_string(now));
	json_object_object_add(body, "limit", json_object_new_int(limit));
	if ((r = call(p, "POST", path, body, p->timeout_ms, p->retries, &status, &list, err, errlen)) != PREFECT_OK)
		goto out;
	if (!json_object_is_type(list, json_type_array)) {
		(void)str_fmt(err, errlen, "Prefect's scheduled runs are not a list");
		r = PREFECT_REFUSED;
		goto out;
	}
	*runs = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *item = json_object_array_get_idx(list, i), *run = NULL;

		if (json_object_object_get_ex(item, "flow_run", &run) && json_object_is_type(run, json_type_object))
			json_object_array_add(*runs, json_object_get(run));
	}
out:
	curl_free(pool);
	json_object_put(body);
	json_object_put(list);
	return r;
}

/* The status, the state's type and the details of a set_state answer. -1 without a status. */
static int
read_answer(json_object *answer, struct prefect_answer *ans)
{
	json_object *v = NULL, *o = NULL;

	if (json_object_object_get_ex(answer, "state", &o) && json_object_object_get_ex(o, "type", &v) &&
	    json_object_is_type(v, json_type_string))
		(void)str_fmt(ans->state_type, sizeof(ans->state_type), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(answer, "details", &o) && json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "delay_seconds", &v) && (json_object_is_type(v, json_type_double) ||
		    json_object_is_type(v, json_type_int)))
			ans->delay_seconds = json_object_get_double(v);
		if (json_object_object_get_ex(o, "reason", &v) && json_object_is_type(v, json_type_string))
			(void)str_fmt(ans->reason, sizeof(ans->reason), "%s", json_object_get_string(v));
	}
	if (!(ans->delay_seconds >= 0 && ans->delay_seconds <= 86400))
		ans->delay_seconds = 0;
	return json_object_object_get_ex(answer, "status", &v) && json_object_is_type(v, json_type_string) &&
	    str_copy(ans->status, sizeof(ans->status), json_object_get_string(v)) == 0 ? 0 : -1;
}

/* Proposes type (SCHEDULED: "AwaitingRetry" at when, an ISO time) and reads the answer. */
static enum prefect_result
propose_state(struct prefect *p, const char *run_id, const char *type, const char *message, const char *when,
    struct prefect_answer *ans, char *err, size_t errlen)
{
	char path[256];
	json_object *body = json_object_new_object(), *state = json_object_new_object(), *answer = NULL;
	enum prefect_result r = PREFECT_REFUSED;
	long code;

	memset(ans, 0, sizeof(*ans));
	if (str_fmt(path, sizeof(path), "/flow_runs/%s/set_state", run_id) != 0) {
		json_object_put(state);
		goto out;
	}
	json_object_object_add(state, "type", json_object_new_string(type));
	if (message != NULL)
		json_object_object_add(state, "message", json_object_new_string(message));
	if (strcmp(type, "SCHEDULED") == 0) {
		json_object *details = json_object_new_object();

		json_object_object_add(state, "name", json_object_new_string("AwaitingRetry"));
		json_object_object_add(details, "scheduled_time", json_object_new_string(when));
		json_object_object_add(state, "state_details", details);
	}
	json_object_object_add(body, "state", state);
	json_object_object_add(body, "force", json_object_new_boolean(0));
	if ((r = call(p, "POST", path, body, p->timeout_ms, p->retries, &code, &answer, err, errlen)) != PREFECT_OK)
		goto out;
	if (read_answer(answer, ans) != 0) {
		(void)str_fmt(err, errlen, "Prefect's set_state answer has no status");
		r = PREFECT_REFUSED;
	}
out:
	json_object_put(body);
	json_object_put(answer);
	return r;
}

enum prefect_result
prefect_set_state(struct prefect *p, const char *run_id, const char *type, const char *message, double delay_seconds,
    struct prefect_answer *ans, char *err, size_t errlen)
{
	char when[64];

	iso_time(when, sizeof(when), delay_seconds > 0 ? delay_seconds : 0);
	return propose_state(p, run_id, type, message, when, ans, err, errlen);
}

enum prefect_result
prefect_reschedule_at(struct prefect *p, const char *run_id, const char *message, const char *when,
    struct prefect_answer *ans, char *err, size_t errlen)
{
	return propose_state(p, run_id, "SCHEDULED", message, when, ans, err, errlen);
}

enum prefect_result
prefect_flow_run(struct prefect *p, const char *run_id, json_object **run, char *err, size_t errlen)
{
	char path[256];
	long status;
	enum prefect_result r;

	*run = NULL;
	if (str_fmt(path, sizeof(path), "/flow_runs/%s", run_id) != 0)
		return PREFECT_REFUSED;
	if ((r = call(p, "GET", path, NULL, p->timeout_ms, p->retries, &status, run, err, errlen)) == PREFECT_OK &&
	    !json_object_is_type(*run, json_type_object)) {
		json_object_put(*run);
		*run = NULL;
		(void)str_fmt(err, errlen, "Prefect's flow run %s is not an object", run_id);
		r = PREFECT_REFUSED;
	}
	return r;
}

enum prefect_result
prefect_run_state(struct prefect *p, const char *run_id, char *type, size_t typelen, char *err, size_t errlen)
{
	json_object *run = NULL, *v = NULL, *st = NULL;
	enum prefect_result r;

	type[0] = '\0';
	if ((r = prefect_flow_run(p, run_id, &run, err, errlen)) != PREFECT_OK)
		return r;
	if (!((json_object_object_get_ex(run, "state_type", &v) && json_object_is_type(v, json_type_string)) ||
	    (json_object_object_get_ex(run, "state", &st) && json_object_object_get_ex(st, "type", &v) &&
	    json_object_is_type(v, json_type_string))) || str_copy(type, typelen, json_object_get_string(v)) != 0) {
		(void)str_fmt(err, errlen, "Prefect's flow run %s has no state type", run_id);
		r = PREFECT_REFUSED;
	}
	json_object_put(run);
	return r;
}

/* {"any_": [...]} of the strings. */
static json_object *
any_of(const char *const *items, int n)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(items[i]));
	json_object_object_add(o, "any_", a);
	return o;
}

/* POST /flow_runs/filter with body (taken: freed here) sorted by sort, at most limit (PREFECT_LIMIT_MAX);
 * *runs (caller frees) must come back as a list. */
static enum prefect_result
filter_runs(struct prefect *p, json_object *body, const char *sort, int limit, json_object **runs, char *err,
    size_t errlen)
{
	enum prefect_result r;
	long status;

	*runs = NULL;
	json_object_object_add(body, "sort", json_object_new_string(sort));
	json_object_object_add(body, "limit", json_object_new_int(limit < PREFECT_LIMIT_MAX ? limit : PREFECT_LIMIT_MAX));
	r = call(p, "POST", "/flow_runs/filter", body, p->timeout_ms, p->retries, &status, runs, err, errlen);
	if (r == PREFECT_OK && !json_object_is_type(*runs, json_type_array)) {
		json_object_put(*runs);
		*runs = NULL;
		(void)str_fmt(err, errlen, "Prefect's filtered flow runs are not a list");
		r = PREFECT_REFUSED;
	}
	json_object_put(body);
	return r;
}

enum prefect_result
prefect_due_runs_of_ours(struct prefect *p, int limit, json_object **runs, char *err, size_t errlen)
{
	const char *ids[PREFECT_FLOWS_MAX], *pool = p->pool, *scheduled = "SCHEDULED";
	json_object *body = json_object_new_object(), *fr = json_object_new_object(), *state, *next, *pools;
	char now[64], id[PREFECT_ID_MAX];
	int n = 0;

	for (int i = 0; i < p->nflows; i++)
		if (prefect_deployment_id(p, p->flows[i].flow, id, sizeof(id), err, errlen) == PREFECT_OK)
			ids[n++] = p->ids[i];
	iso_time(now, sizeof(now), 0);
	json_object_object_add(fr, "deployment_id", any_of(ids, n));
	state = json_object_new_object();
	json_object_object_add(state, "type", any_of(&scheduled, 1));
	json_object_object_add(fr, "state", state);
	next = json_object_new_object();
	json_object_object_add(next, "before_", json_object_new_string(now));
	json_object_object_add(fr, "next_scheduled_start_time", next);
	json_object_object_add(body, "flow_runs", fr);
	pools = json_object_new_object();
	json_object_object_add(pools, "name", any_of(&pool, 1));
	json_object_object_add(body, "work_pools", pools);
	return filter_runs(p, body, "NEXT_SCHEDULED_START_TIME_ASC", limit, runs, err, errlen);
}

enum prefect_result
prefect_runs_tagged(struct prefect *p, const char *tag, int limit, json_object **runs, char *err, size_t errlen)
{
	json_object *body = json_object_new_object(), *filter = json_object_new_object(), *tags, *all;

	tags = json_object_new_object();
	all = json_object_new_array();
	json_object_array_add(all, json_object_new_string(tag));
	json_object_object_add(tags, "all_", all);
	json_object_object_add(filter, "tags", tags);
	json_object_object_add(body, "flow_runs", filter);
	return filter_runs(p, body, "EXPECTED_START_TIME_DESC", limit, runs, err, errlen);
}

enum prefect_result
prefect_create_queue(struct prefect *p, const char *name, int priority, bool *existed, char *err, size_t errlen)
{
	char path[512], *pool = escape(p, p->pool);
	json_object *body = json_object_new_object(), *answer = NULL;
	enum prefect_result r = PREFECT_REFUSED;
	long status;

	*existed = false;
	if (pool == NULL || str_fmt(path, sizeof(path), "/work_pools/%s/queues", pool) != 0)
		goto out;
	json_object_object_add(body, "name", json_object_new_string(name));
	json_object_object_add(body, "priority", json_object_new_int(priority));
	r = call(p, "POST", path, body, p->timeout_ms, p->retries, &status, &answer, err, errlen);
	if (r == PREFECT_REFUSED && status == 409) {
		*existed = true;
		r = PREFECT_OK;
	}
out:
	curl_free(pool);
	json_object_put(body);
	json_object_put(answer);
	return r;
}

enum prefect_result
prefect_health(struct prefect *p, char *err, size_t errlen)
{
	long status;

	return call(p, "GET", "/health", NULL, 2000, 0, &status, NULL, err, errlen);
}
