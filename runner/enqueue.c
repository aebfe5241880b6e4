/* enqueue.c: `captionacc-runner enqueue [--idempotency-key KEY] [--priority N] FLOW JSON`: an operator
 * queues any flow. JSON is the flow's parameters with video_id and tenant_id; it passes the same checks
 * as the API (ids, the flow's own parameter rules), and the job gets its tenant's priority and tags. */
#include "runner/runner.h"

#include "shared/flows/flows.h"
#include "shared/queue/jobs.h"
#include "shared/json.h"
#include "shared/log.h"
#include "shared/clients/prefect.h"
#include "shared/intake/priority.h"
#include "shared/str.h"
#include "shared/intake/tenant.h"
#include "shared/validate.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USAGE "usage: captionacc-runner enqueue [--idempotency-key KEY] [--priority N] FLOW JSON\n"

/* QUEUE_BACKEND=prefect: a flow run of the flow's deployment in the priority's band queue. */
static int
enqueue_prefect(struct runner *r, const char *flow, json_object *params, char tags[PRIORITY_NTAGS][PRIORITY_TAG_MAX],
    const char *key, int priority)
{
	struct prefect *api;
	json_object *t;
	char err[512], id[PREFECT_ID_MAX];
	bool created = false;
	enum prefect_result pr;

	if ((api = prefect_new(&r->cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-runner: enqueue: %s\n", err);
		return 1;
	}
	t = priority_tags_json(tags);
	pr = prefect_create_run(api, flow, params, t, key, prefect_queue_for(api, priority), id, sizeof(id), &created,
	    err, sizeof(err));
	json_object_put(t);
	if (pr != PREFECT_OK) {
		fprintf(stderr, "captionacc-runner: enqueue: %s\n", err);
		prefect_free(api);
		return 1;
	}
	printf("%s %s Prefect flow run %s (priority %d, work queue %s)\n", created ? "queued" : "already queued:", flow,
	    id, priority, prefect_queue_for(api, priority));
	log_info("operator %s %s Prefect flow run %s, priority %d", created ? "queued" : "re-submitted", flow, id,
	    priority);
	prefect_free(api);
	return 0;
}

int
enqueue_command(struct runner *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "idempotency-key", required_argument, NULL, 'k' },
		{ "priority", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *tenant_id, *video_id;
	const struct flow *flow;
	json_object *params = NULL, *meta = NULL;
	struct jobs_new job = { 0 };
	struct jobs_enqueued done = { 0 };
	struct priority_params prio;
	struct tenant_map map;
	enum priority_tier tier = PRIORITY_TIER_FREE;
	char err[512], why[300], tags[PRIORITY_NTAGS][PRIORITY_TAG_MAX], defkey[VALIDATE_ID_MAX + 64];
	long priority = -1;
	enum db_status st;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+k:p:", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			if (strlen(key) == 0 || strlen(key) > 200) {
				fprintf(stderr, "captionacc-runner: enqueue: --idempotency-key must be 1-200 characters\n");
				return 2;
			}
			break;
		case 'p':
			if (str_to_long(optarg, 0, 1000, &priority) != 0) {
				fprintf(stderr, "captionacc-runner: enqueue: --priority must be a whole number 0-1000\n");
				return 2;
			}
			break;
		default:
			fputs(USAGE, stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fputs(USAGE, stderr);
		return 2;
	}
	if ((flow = flows_find(argv[optind])) == NULL) {
		fprintf(stderr, "captionacc-runner: enqueue: unknown flow \"%s\" (video_initial_processing, crop_and_infer, "
		    "caption_ocr, noop, diagnostic)\n", argv[optind]);
		return 2;
	}
	if ((params = json_parse(argv[optind + 1], strlen(argv[optind + 1]), err, sizeof(err))) == NULL ||
	    !json_object_is_type(params, json_type_object)) {
		fprintf(stderr, "captionacc-runner: enqueue: JSON must be an object: %s\n", params ? "it is not" : err);
		rc = 2;
		goto out;
	}
	if (!flows_check_parameters(flow, params, why, sizeof(why))) {
		fprintf(stderr, "captionacc-runner: enqueue: %s: %s\n", flow->name, why);
		rc = 2;
		goto out;
	}
	(void)json_get_string(params, "tenant_id", &tenant_id);
	if (json_get_string(params, "video_id", &video_id) != JSON_FIELD_OK)
		video_id = NULL;
	if (tenant_map_parse(r->cfg.tier_map, &map, err, sizeof(err)) != 0) {
		fprintf(stderr, "captionacc-runner: TIER_MAP: %s\n", err);
		goto out;
	}
	if ((st = tenant_tier(r->db, &map, NULL, tenant_id, &tier, err, sizeof(err))) != DB_OK) {
		fprintf(stderr, "captionacc-runner: enqueue: tier lookup: %s\n", err);
		goto out;
	}
	priority_from_config(&prio, &r->cfg);
	if (priority < 0)
		priority = priority_compute(&prio, tier, false, 0, time(NULL));
	if (priority_tags(tags, tenant_id, tier, (int)priority, prio.age_boost) != 0) {
		fprintf(stderr, "captionacc-runner: enqueue: tenant id too long for its tags\n");
		goto out;
	}
	/* The webhook's key for the same video: an operator re-queue and a late delivery do not double. */
	if (key == NULL && strcmp(flow->name, "video_initial_processing") == 0) {
		if (str_fmt(defkey, sizeof(defkey), "%s:%s", flow->name, video_id) != 0)
			goto out;
		key = defkey;
	}
	if (r->cfg.queue_backend == CONFIG_QUEUE_PREFECT) {
		rc = enqueue_prefect(r, flow->name, params, tags, key, (int)priority);
		goto out;
	}
	meta = json_object_new_object();
	json_object_object_add(meta, "triggered_by", json_object_new_string("operator"));
	json_object_object_add(meta, "tier", json_object_new_string(priority_tier_name(tier)));
	json_object_object_add(meta, "tags", priority_tags_json(tags));
	job.flow = flow->name;
	job.tenant_id = tenant_id;
	job.video_id = video_id;
	job.parameters = params;
	job.metadata = meta;
	job.priority = (int)priority;
	job.base_priority = (int)priority;
	job.idempotency_key = key;
	job.max_attempts = (int)r->cfg.max_attempts;
	if ((st = jobs_enqueue(r->db, &job, &done, err, sizeof(err))) != DB_OK) {
		fprintf(stderr, "captionacc-runner: enqueue: %s\n", err);
		goto out;
	}
	printf("%s %s job %s (priority %d)\n", done.created ? "queued" : "already queued:", flow->name, done.id,
	    done.priority);
	log_info("operator %s %s job %s for tenant %s, priority %d", done.created ? "queued" : "re-submitted",
	    flow->name, done.id, tenant_id, done.priority);
	rc = 0;
out:
	json_object_put(params);
	json_object_put(meta);
	json_object_put(done.tags);
	return rc;
}
