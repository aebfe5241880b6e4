/* intake.c: the intake path (see intake.h): decide (tier, priority, tags, key), then store (local job
 * row or Prefect flow run) and answer. */
#include "shared/intake/intake.h"

#include "shared/log.h"
#include "shared/queue/jobs.h"
#include "shared/str.h"

#include <openssl/evp.h>
#include <string.h>

/* What was decided for a request before it is stored. */
struct decision {
	enum priority_tier tier;
	int priority, base_priority;
	char key[INTAKE_KEY_MAX + 1];          /* "" none */
	char dedupe[2 * EVP_MAX_MD_SIZE + 1];  /* "" none */
	char tags[PRIORITY_NTAGS][PRIORITY_TAG_MAX];
};

int
intake_open(struct intake *in, struct db *db, const struct config *cfg, long tier_cache_seconds, char *err,
    size_t errlen)
{
	memset(in, 0, sizeof(*in));
	in->db = db;
	in->cfg = cfg;
	priority_from_config(&in->prio, cfg);
	if (tenant_map_parse(cfg->tier_map, &in->tiers, err, errlen) != 0)
		return -1;
	if (tier_cache_seconds > 0 && (in->tier_cache = tenant_cache_new(tier_cache_seconds)) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return -1;
	}
	if (cfg->queue_backend == CONFIG_QUEUE_PREFECT && (in->prefect = prefect_new(cfg, err, errlen)) == NULL) {
		intake_close(in);
		return -1;
	}
	return 0;
}

void
intake_close(struct intake *in)
{
	tenant_cache_free(in->tier_cache);
	prefect_free(in->prefect);
	in->tier_cache = NULL;
	in->prefect = NULL;
}

int
intake_default_key(const struct flow_params *p, char *key, size_t len)
{
	if (p->flow != FLOW_VIDEO_INITIAL_PROCESSING) {
		key[0] = '\0';
		return 0;
	}
	return str_fmt(key, len, "%s:%s", params_flow_name(p->flow), p->video_id);
}

static enum intake_result
db_failure(struct intake *in, struct intake_answer *ans, enum db_status st)
{
	ans->retry_after = in->cfg->retry_after_seconds;
	return st == DB_UNAVAILABLE ? INTAKE_UNAVAILABLE : INTAKE_ERROR;
}

/* The dedupe key of a job: the SHA-256 of its flow and its parameters as stored (tenant and video
 * included). */
static int
dedupe_key(const struct flow_params *p, json_object *params, char *out, size_t len)
{
	const char *text = json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -1;

	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, params_flow_name(p->flow), strlen(params_flow_name(p->flow)) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, text, strlen(text)) == 1 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
	    len > 2 * (size_t)mdlen) {
		for (unsigned int i = 0; i < mdlen; i++)
			(void)str_fmt(out + 2 * i, len - 2 * i, "%02x", md[i]);
		rc = 0;
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Tier, priority, tags and keys of the request whose parameters as stored are params. */
static enum intake_result
decide(struct intake *in, const struct intake_request *req, json_object *params, struct decision *d,
    struct intake_answer *ans)
{
	const struct flow_params *p = req->params;
	enum db_status st;

	d->tier = PRIORITY_TIER_FREE;
	if ((st = tenant_tier(in->db, &in->tiers, in->tier_cache, p->tenant_id, &d->tier, ans->error,
	    sizeof(ans->error))) != DB_OK)
		return db_failure(in, ans, st);
	if (req->priority >= 0)
		d->priority = d->base_priority = req->priority;
	else {
		d->base_priority = priority_base(&in->prio, d->tier);
		d->priority = priority_compute(&in->prio, d->tier, req->has_created_at, req->created_at, time(NULL));
	}
	if (priority_tags(d->tags, p->tenant_id, d->tier, d->priority, in->prio.age_boost) != 0 ||
	    (req->idempotency_key != NULL ? str_copy(d->key, sizeof(d->key), req->idempotency_key) :
	    intake_default_key(p, d->key, sizeof(d->key))) != 0) {
		(void)str_fmt(ans->error, sizeof(ans->error), "tenant id or idempotency key too long");
		return INTAKE_ERROR;
	}
	if (req->dedupe_active && dedupe_key(req->params, params, d->dedupe, sizeof(d->dedupe)) != 0) {
		(void)str_fmt(ans->error, sizeof(ans->error), "cannot digest the job's parameters");
		return INTAKE_ERROR;
	}
	return INTAKE_OK;
}

/* The job's tags: the priority's, and a backfill job's month. Caller frees. */
static json_object *
request_tags(const struct intake_request *req, const struct decision *d)
{
	json_object *tags = priority_tags_json(d->tags);
	char tag[PRIORITY_TAG_MAX];

	if (req->backfill != NULL && str_fmt(tag, sizeof(tag), "backfill:%s", req->backfill) == 0)
		json_object_array_add(tags, json_object_new_string(tag));
	return tags;
}

/* QUEUE_BACKEND=local: one job row, or the existing one with the same key. */
static enum intake_result
store_local(struct intake *in, const struct intake_request *req, const struct decision *d, json_object *params,
    struct intake_answer *ans)
{
	const struct flow_params *p = req->params;
	json_object *meta = json_object_new_object();
	struct jobs_enqueued done = { 0 };
	struct jobs_new job = { .flow = params_flow_name(p->flow), .tenant_id = p->tenant_id,
		.video_id = p->video_id[0] ? p->video_id : NULL, .parameters = params, .metadata = meta,
		.priority = d->priority, .base_priority = d->base_priority,
		.has_age_anchor = req->priority < 0 && req->has_created_at, .age_anchor = req->created_at,
		.idempotency_key = d->key[0] ? d->key : NULL, .dedupe_key = d->dedupe[0] ? d->dedupe : NULL,
		.max_attempts = (int)in->cfg->max_attempts };
	enum db_status st;

	json_object_object_add(meta, "triggered_by", json_object_new_string(req->triggered_by));
	json_object_object_add(meta, "tier", json_object_new_string(priority_tier_name(d->tier)));
	json_object_object_add(meta, "tags", request_tags(req, d));
	if (req->backfill != NULL)
		json_object_object_add(meta, "backfill", json_object_new_string(req->backfill));
	st = jobs_enqueue(in->db, &job, &done, ans->error, sizeof(ans->error));
	json_object_put(meta);
	if (st != DB_OK)
		return db_failure(in, ans, st);
	if (strcmp(done.tenant_id, p->tenant_id) != 0) {
		json_object_put(done.tags);
		(void)str_fmt(ans->error, sizeof(ans->error), "job %s with key %s belongs to another tenant", done.id, d->key);
		return INTAKE_CONFLICT;
	}
	if (str_copy(ans->id, sizeof(ans->id), done.id) != 0) {
		json_object_put(done.tags);
		(void)str_fmt(ans->error, sizeof(ans->error), "job id too long");
		return INTAKE_ERROR;
	}
	ans->priority = done.priority;
	ans->created = done.created;
	/* A repeat answers with the job that exists: its priority and tags. */
	ans->tags = json_object_is_type(done.tags, json_type_array) ? json_object_get(done.tags) :
	    priority_tags_json(d->tags);
	json_object_put(done.tags);
	return INTAKE_OK;
}

/* Prefect has no unique key for "the same job while it waits": among the tenant's newest runs, one of the
 * flow's deployment with the same parameters that is still SCHEDULED, PENDING or RUNNING. A run found is
 * the answer (ans filled, true). Two identical actions at the very same moment may still make two runs. */
static bool
active_twin(struct intake *in, const struct intake_request *req, json_object *params, struct intake_answer *ans)
{
	char tag[PRIORITY_TAG_MAX], err[256], dep[PREFECT_ID_MAX];
	json_object *runs = NULL;
	bool found = false;

	if (str_fmt(tag, sizeof(tag), "tenant:%s", req->params->tenant_id) != 0 ||
	    prefect_deployment_id(in->prefect, params_flow_name(req->params->flow), dep, sizeof(dep), err,
	    sizeof(err)) != PREFECT_OK || prefect_runs_tagged(in->prefect, tag, 200, &runs, err, sizeof(err)) != PREFECT_OK)
		return false;
	for (size_t i = 0; !found && i < json_object_array_length(runs); i++) {
		json_object *run = json_object_array_get_idx(runs, i), *v = NULL;
		const char *type = json_object_get_string(json_object_object_get(run, "state_type"));

		found = json_object_object_get_ex(run, "deployment_id", &v) && strcmp(json_object_get_string(v), dep) == 0 &&
		    type != NULL && (strcmp(type, "SCHEDULED") == 0 || strcmp(type, "PENDING") == 0 ||
		    strcmp(type, "RUNNING") == 0) && json_object_equal(json_object_object_get(run, "parameters"), params) &&
		    str_copy(ans->id, sizeof(ans->id), json_object_get_string(json_object_object_get(run, "id"))) == 0;
		if (found) {
			ans->priority = priority_of_tags(json_object_object_get(run, "tags"));
			ans->tags = json_object_get(json_object_object_get(run, "tags"));
		}
	}
	json_object_put(runs);
	return found;
}

/* QUEUE_BACKEND=prefect: a flow run of the flow's deployment in the work queue of the priority's band. */
static enum intake_result
store_prefect(struct intake *in, const struct intake_request *req, const struct decision *d, json_object *params,
    struct intake_answer *ans)
{
	const char *queue = prefect_queue_for(in->prefect, d->priority);
	json_object *tags = request_tags(req, d);
	char tenant[VALIDATE_ID_MAX + 1];
	enum prefect_result r;

	if (req->dedupe_active && active_twin(in, req, params, ans)) {
		json_object_put(tags);
		ans->queue = queue;
		return INTAKE_OK;
	}
	r = prefect_create_run(in->prefect, params_flow_name(req->params->flow), params, tags, d->key[0] ? d->key : NULL,
	    queue, ans->id, sizeof(ans->id), &ans->created, tenant, sizeof(tenant), ans->error, sizeof(ans->error));
	if (r == PREFECT_OK && !ans->created && strcmp(tenant, req->params->tenant_id) != 0) {
		json_object_put(tags);
		(void)str_fmt(ans->error, sizeof(ans->error), "flow run %s with key %s belongs to another tenant", ans->id,
		    d->key);
		return INTAKE_CONFLICT;
	}
	if (r != PREFECT_OK) {
		json_object_put(tags);
		ans->retry_after = in->cfg->retry_after_seconds;
		if (r == PREFECT_UNAVAILABLE && prefect_retry_after(in->prefect) > 0)
			ans->retry_after = prefect_retry_after(in->prefect);
		return r == PREFECT_UNAVAILABLE ? INTAKE_UNAVAILABLE :
		    r == PREFECT_NOT_FOUND || r == PREFECT_WRONG_POOL ? INTAKE_NOT_READY : INTAKE_ERROR;
	}
	ans->priority = d->priority;
	ans->tags = tags;
	ans->queue = queue;
	return INTAKE_OK;
}

enum intake_result
intake_submit(struct intake *in, const struct intake_request *req, struct intake_answer *ans)
{
	const struct flow_params *p = req->params;
	struct decision d = { 0 };
	json_object *params;
	enum intake_result r;

	memset(ans, 0, sizeof(*ans));
	params = params_json(p);
	if ((r = decide(in, req, params, &d, ans)) == INTAKE_OK)
		r = in->prefect != NULL ? store_prefect(in, req, &d, params, ans) : store_local(in, req, &d, params, ans);
	json_object_put(params);
	if (r == INTAKE_OK)
		log_info("%s %s for tenant %s%s%s: %s %s %s%s%s, priority %d", req->triggered_by, params_flow_name(p->flow),
		    p->tenant_id, p->video_id[0] ? ", video " : "", p->video_id, ans->created ? "queued" : "already queued as",
		    ans->queue ? "Prefect flow run" : "job", ans->id, ans->queue ? " in work queue " : "",
		    ans->queue ? ans->queue : "", ans->priority);
	return r;
}

void
intake_answer_free(struct intake_answer *ans)
{
	json_object_put(ans->tags);
	ans->tags = NULL;
}
