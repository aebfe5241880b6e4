/* prefect_source.c: the Prefect side of the runner (see prefect_source.h). Flow run parameters are
 * input: they pass the same checks as the API before a flow sees them. */
#include "runner/prefect_source.h"

#include "shared/flows/flows.h"
#include "shared/log.h"
#include "shared/clients/prefect.h"
#include "shared/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_LIMIT 10
#define MESSAGE_MAX 2000

struct prefect_source {
	struct runner *r;
	struct prefect *api;
};

struct prefect_source *
prefect_source_new(struct runner *r, char *err, size_t errlen)
{
	struct prefect_source *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return NULL;
	}
	s->r = r;
	if ((s->api = prefect_new(&r->cfg, err, errlen)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
prefect_source_free(struct prefect_source *s)
{
	if (s == NULL)
		return;
	prefect_free(s->api);
	free(s);
}

static const char *
string_of(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* The number in a "priority:N" tag, else 0. */
static int
priority_of(json_object *tags)
{
	for (size_t i = 0; json_object_is_type(tags, json_type_array) && i < json_object_array_length(tags); i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(tags, i));
		long v;

		if (t != NULL && strncmp(t, "priority:", 9) == 0 && str_to_long(t + 9, 0, 1000, &v) == 0)
			return (int)v;
	}
	return 0;
}

/* Proposes a state whose outcome we only log (messages are cut to MESSAGE_MAX). */
static void
set_state(struct prefect_source *s, const char *id, const char *state, const char *message, double delay_seconds)
{
	char status[16], err[512], msg[MESSAGE_MAX + 1];

	(void)str_fmt(msg, sizeof(msg), "%s", message ? message : "");
	if (prefect_set_state(s->api, id, state, message ? msg : NULL, delay_seconds, status, sizeof(status), err,
	    sizeof(err)) != PREFECT_OK)
		log_warn("flow run %s: cannot report %s: %s", id, state, err);
	else if (strcmp(status, "ACCEPT") != 0)
		log_warn("flow run %s: Prefect answered %s to %s", id, status, state);
	else
		log_debug("flow run %s: %s", id, state);
}

static bool
propose(struct prefect_source *s, const char *id, const char *state)
{
	char status[16], err[512];

	if (prefect_set_state(s->api, id, state, NULL, 0, status, sizeof(status), err, sizeof(err)) != PREFECT_OK) {
		log_warn("flow run %s: cannot propose %s: %s", id, state, err);
		return false;
	}
	if (strcmp(status, "ACCEPT") != 0) {
		log_debug("flow run %s: %s answered %s (another worker has it)", id, state, status);
		return false;
	}
	return true;
}

int
prefect_source_next(struct prefect_source *s, const char *worker, long lease_seconds, struct queue_job *job,
    bool *found, char *err, size_t errlen)
{
	json_object *runs = NULL;
	int rc = 0;

	*found = false;
	memset(job, 0, sizeof(*job));
	if (prefect_scheduled_runs(s->api, POLL_LIMIT, &runs, err, errlen) != PREFECT_OK) {
		log_warn("cannot poll Prefect's work pool: %s", err);
		err[0] = '\0';
		return 0;
	}
	for (size_t i = 0; !*found && i < json_object_array_length(runs); i++) {
		json_object *run = json_object_array_get_idx(runs, i), *params = NULL, *tags = NULL, *meta;
		const char *id = string_of(run, "id"), *dep = string_of(run, "deployment_id"), *name;
		const struct flow *flow;
		char why[300];

		if (id == NULL || dep == NULL || strlen(id) >= QUEUE_ID_MAX)
			continue;
		if ((name = prefect_flow_of(s->api, dep)) == NULL || (flow = flows_find(name)) == NULL)
			continue; /* not one of our deployments */
		if (!propose(s, id, "PENDING") || !propose(s, id, "RUNNING"))
			continue;
		(void)json_object_object_get_ex(run, "parameters", &params);
		(void)json_object_object_get_ex(run, "tags", &tags);
		if (!flows_check_parameters(flow, params, why, sizeof(why))) {
			char msg[400];

			log_warn("flow run %s (%s): %s", id, flow->name, why);
			(void)str_fmt(msg, sizeof(msg), "invalid parameters: %s", why);
			set_state(s, id, "FAILED", msg, 0);
			continue;
		}
		meta = json_object_new_object();
		json_object_object_add(meta, "triggered_by", json_object_new_string("prefect"));
		json_object_object_add(meta, "tags", tags ? json_object_get(tags) : json_object_new_array());
		if (queue_adopt(s->r->db, id, flow->name, string_of(params, "tenant_id"), string_of(params, "video_id"),
		    params, meta, priority_of(tags), (int)s->r->cfg.max_attempts, worker, lease_seconds, job, found, err,
		    errlen) != DB_OK) {
			json_object_put(meta);
			log_error("flow run %s: cannot record it: %s", id, err);
			/* Give the run back to Prefect so another worker (or we, later) can take it. */
			set_state(s, id, "SCHEDULED", "the runner could not record the run; rescheduled", 30);
			rc = -1;
			break;
		}
		json_object_put(meta);
		if (!*found)
			log_warn("flow run %s: another runner holds its lease; skipped", id);
	}
	json_object_put(runs);
	return rc;
}

bool
prefect_source_cancelling(struct prefect_source *s, const struct queue_job *job)
{
	char type[32], err[512];

	if (prefect_run_state(s->api, job->id, type, sizeof(type), err, sizeof(err)) != PREFECT_OK) {
		log_debug("flow run %s: cannot read its state: %s", job->id, err);
		return false;
	}
	return strcmp(type, "CANCELLING") == 0 || strcmp(type, "CANCELLED") == 0;
}

void
prefect_source_report(struct prefect_source *s, const struct queue_job *job, const char *state,
    const char *message, double delay_seconds)
{
	set_state(s, job->id, state, message, delay_seconds);
}

int
prefect_source_setup(struct runner *r)
{
	struct prefect *api;
	char err[512], id[PREFECT_ID_MAX];
	int rc = 0;

	if ((api = prefect_new(&r->cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-runner: prefect-setup: %s\n", err);
		return 1;
	}
	for (int i = 0; i < prefect_band_count(api); i++) {
		const struct prefect_band *b = prefect_band_at(api, i);
		bool existed = false;

		if (prefect_create_queue(api, b->queue, i + 1, &existed, err, sizeof(err)) != PREFECT_OK) {
			fprintf(stderr, "captionacc-runner: prefect-setup: queue %s: %s\n", b->queue, err);
			rc = 1;
			continue;
		}
		printf("work queue %-24s priority %d, for jobs of priority >= %d: %s\n", b->queue, i + 1, b->min_priority,
		    existed ? "already there (its priority is left as it is)" : "created");
	}
	for (const char *const *f = (const char *const[]){ "video_initial_processing", "crop_and_infer", "caption_ocr",
	    NULL }; *f != NULL; f++) {
		const char *name = prefect_deployment_name(api, *f);

		if (name == NULL)
			printf("deployment for %-24s not configured (PREFECT_DEPLOYMENTS)\n", *f);
		else if (prefect_deployment_id(api, *f, id, sizeof(id), err, sizeof(err)) == PREFECT_OK)
			printf("deployment for %-24s %s: found (%s)\n", *f, name, id);
		else {
			printf("deployment for %-24s %s: MISSING: %s\n", *f, name, err);
			rc = 1;
		}
	}
	prefect_free(api);
	return rc;
}

int
prefect_setup_command(struct runner *r, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: captionacc-runner prefect-setup\n");
		return 2;
	}
	return prefect_source_setup(r);
}
