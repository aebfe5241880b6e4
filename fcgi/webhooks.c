/* webhooks.c: POST /webhooks/supabase/videos: a validated INSERT becomes one prioritised
 * video_initial_processing job (request -> validate -> decide -> store -> respond). */
#include "fcgi/handlers.h"

#include "shared/queue/jobs.h"
#include "shared/log.h"
#include "shared/str.h"
#include "shared/intake/webhook.h"

#include <time.h>

#define INITIAL_FLOW "video_initial_processing"

/* QUEUE_BACKEND=prefect: the job becomes a flow run of the flow's deployment, in the work queue of the
 * priority's band. Fills resp with the 202, or the 503 (Prefect unreachable, or the deployment missing:
 * both are fixed outside this request) / 500 (Prefect refused a request we built). */
static void
enqueue_prefect(struct app *app, const struct webhook_video *ev, json_object *params, json_object *tags,
    const char *key, int priority, struct response *resp)
{
	char run_id[PREFECT_ID_MAX], err[512];
	const char *queue = prefect_queue_for(app->prefect, priority);
	json_object *answer;
	bool created = false;

	switch (prefect_create_run(app->prefect, INITIAL_FLOW, params, tags, key, queue, run_id, sizeof(run_id), &created,
	    err, sizeof(err))) {
	case PREFECT_OK:
		break;
	case PREFECT_UNAVAILABLE:
		log_warn("video %s: Prefect unavailable: %s", ev->video_id, err);
		response_error(resp, 503, "The queue (Prefect) is unavailable; retry later");
		resp->retry_after = prefect_retry_after(app->prefect) > 0 ? prefect_retry_after(app->prefect) :
		    app->cfg.retry_after_seconds;
		return;
	case PREFECT_NOT_FOUND:
		log_error("video %s: %s", ev->video_id, err);
		response_error(resp, 503, "The queue (Prefect) is not ready for this flow; retry later");
		resp->retry_after = app->cfg.retry_after_seconds;
		return;
	case PREFECT_REFUSED:
		log_error("video %s: Prefect refused the flow run: %s", ev->video_id, err);
		response_error(resp, 500, "Internal error");
		return;
	}
	log_info("video %s of tenant %s: %s Prefect flow run %s in queue %s, priority %d", ev->video_id, ev->tenant_id,
	    created ? "created" : "already had", run_id, queue, priority);
	answer = json_object_new_object();
	json_object_object_add(answer, "success", json_object_new_boolean(1));
	json_object_object_add(answer, "status", json_object_new_string("accepted"));
	json_object_object_add(answer, "flow_run_id", json_object_new_string(run_id));
	json_object_object_add(answer, "priority", json_object_new_int(priority));
	json_object_object_add(answer, "tags", json_object_get(tags));
	response_json(resp, 202, answer);
}

void
webhooks_videos_post(struct app *app, const struct request *req, struct response *resp)
{
	struct webhook_video ev;
	struct jobs_enqueued done = { 0 };
	struct jobs_new job = { 0 };
	char err[512], key[VALIDATE_ID_MAX + 64], tags[PRIORITY_NTAGS][PRIORITY_TAG_MAX];
	json_object *params = NULL, *meta = NULL, *answer = NULL;
	enum priority_tier tier = PRIORITY_TIER_FREE;
	enum db_status st;
	int priority;

	if (webhook_parse(req->body, req->body_len, &ev, err, sizeof(err)) != 0) {
		response_error(resp, 400, err);
		goto out;
	}
	if (ev.type != WEBHOOK_INSERT) {
		answer = json_object_new_object();
		json_object_object_add(answer, "status", json_object_new_string("ignored"));
		response_json(resp, 200, answer);
		answer = NULL;
		goto out;
	}
	if ((st = tenant_tier(app->db, &app->tiers, app->tier_cache, ev.tenant_id, &tier, err, sizeof(err))) != DB_OK) {
		handlers_db_failure(app, resp, st, "tier lookup", err);
		goto out;
	}
	priority = priority_compute(&app->prio, tier, ev.has_created_at, ev.created_at, time(NULL));
	if (priority_tags(tags, ev.tenant_id, tier, priority, app->prio.age_boost) != 0 ||
	    str_fmt(key, sizeof(key), "%s:%s", INITIAL_FLOW, ev.video_id) != 0) {
		response_error(resp, 500, "Internal error");
		goto out;
	}
	params = json_object_new_object();
	json_object_object_add(params, "video_id", json_object_new_string(ev.video_id));
	json_object_object_add(params, "tenant_id", json_object_new_string(ev.tenant_id));
	json_object_object_add(params, "storage_key", json_object_new_string(ev.storage_key));
	if (app->prefect != NULL) {
		json_object *tags_json = priority_tags_json(tags);

		enqueue_prefect(app, &ev, params, tags_json, key, priority, resp);
		json_object_put(tags_json);
		goto out;
	}
	meta = json_object_new_object();
	json_object_object_add(meta, "triggered_by", json_object_new_string("supabase_webhook"));
	json_object_object_add(meta, "tier", json_object_new_string(priority_tier_name(tier)));
	json_object_object_add(meta, "tags", priority_tags_json(tags));

	job.flow = INITIAL_FLOW;
	job.tenant_id = ev.tenant_id;
	job.video_id = ev.video_id;
	job.parameters = params;
	job.metadata = meta;
	job.priority = priority;
	job.base_priority = priority_base(&app->prio, tier);
	job.has_age_anchor = ev.has_created_at;
	job.age_anchor = ev.created_at;
	job.idempotency_key = key;
	job.max_attempts = (int)app->cfg.max_attempts;
	if ((st = jobs_enqueue(app->db, &job, &done, err, sizeof(err))) != DB_OK) {
		handlers_db_failure(app, resp, st, "enqueue", err);
		goto out;
	}
	log_info("video %s of tenant %s: %s job %s, priority %d", ev.video_id, ev.tenant_id,
	    done.created ? "queued" : "already queued as", done.id, done.priority);

	/* A repeat delivery answers with the job that exists: its id, priority and tags. */
	answer = json_object_new_object();
	json_object_object_add(answer, "success", json_object_new_boolean(1));
	json_object_object_add(answer, "status", json_object_new_string("accepted"));
	json_object_object_add(answer, "flow_run_id", json_object_new_string(done.id));
	json_object_object_add(answer, "priority", json_object_new_int(done.priority));
	if (json_object_is_type(done.tags, json_type_array))
		json_object_object_add(answer, "tags", json_object_get(done.tags));
	else
		json_object_object_add(answer, "tags", priority_tags_json(tags));
	response_json(resp, 202, answer);
	answer = NULL;
out:
	json_object_put(params);
	json_object_put(meta);
	json_object_put(done.tags);
}
