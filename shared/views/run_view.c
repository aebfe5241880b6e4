/* run_view.c: Prefect flow runs as our jobs (see run_view.h). */
#include "shared/views/run_view.h"

#include "shared/intake/priority.h"
#include "shared/str.h"

#include <string.h>

#define LIST_MAX 50

/* Prefect's state type as our job status. */
static const char *
status_of(const char *type)
{
	static const struct { const char *type, *status; } map[] = {
		{ "SCHEDULED", "pending" }, { "PENDING", "pending" }, { "PAUSED", "pending" }, { "RUNNING", "running" },
		{ "COMPLETED", "completed" }, { "FAILED", "failed" }, { "CRASHED", "failed" },
		{ "CANCELLING", "cancelled" }, { "CANCELLED", "cancelled" },
	};

	for (size_t i = 0; type != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].type, type) == 0)
			return map[i].status;
	return "pending";
}

static const char *
str_at(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* Whether run belongs to tenant_id (and, when video_id is not NULL, is about that video). */
static bool
owned(json_object *run, const char *tenant_id, const char *video_id)
{
	json_object *params = json_object_object_get(run, "parameters");
	const char *t = str_at(params, "tenant_id"), *v = str_at(params, "video_id");

	return t != NULL && strcmp(t, tenant_id) == 0 && (video_id == NULL || (v != NULL && strcmp(v, video_id) == 0));
}

static void
copy_field(json_object *to, const char *name, json_object *from, const char *key)
{
	json_object *v = NULL;

	json_object_object_add(to, name, json_object_object_get_ex(from, key, &v) ? json_object_get(v) : NULL);
}

/* Our job view of a flow run. Caller frees. */
static json_object *
job_of(struct prefect *p, json_object *run)
{
	json_object *o = json_object_new_object(), *state = json_object_object_get(run, "state"), *ps;
	const char *dep = str_at(run, "deployment_id"), *flow = dep ? prefect_flow_of(p, dep) : NULL;

	copy_field(o, "id", run, "id");
	json_object_object_add(o, "flow", flow ? json_object_new_string(flow) : NULL);
	json_object_object_add(o, "status", json_object_new_string(status_of(str_at(state, "type"))));
	json_object_object_add(o, "priority", json_object_new_int(priority_of_tags(json_object_object_get(run, "tags"))));
	copy_field(o, "created_at", run, "created");
	copy_field(o, "started_at", run, "start_time");
	copy_field(o, "finished_at", run, "end_time");
	copy_field(o, "error_message", state, "message");
	copy_field(o, "parameters", run, "parameters");
	ps = json_object_new_object();
	copy_field(ps, "type", state, "type");
	copy_field(ps, "name", state, "name");
	copy_field(ps, "message", state, "message");
	json_object_object_add(o, "prefect_state", ps);
	return o;
}

enum run_view_result
run_view_list(struct prefect *p, const char *tenant_id, const char *video_id, json_object **jobs, char *err,
    size_t errlen)
{
	char tag[PRIORITY_TAG_MAX];
	json_object *runs = NULL;

	*jobs = NULL;
	if (str_fmt(tag, sizeof(tag), "tenant:%s", tenant_id) != 0) {
		(void)str_fmt(err, errlen, "tenant id too long");
		return RUN_VIEW_UNAVAILABLE;
	}
	if (prefect_runs_tagged(p, tag, RUN_VIEW_SCAN_MAX, &runs, err, errlen) != PREFECT_OK)
		return RUN_VIEW_UNAVAILABLE;
	*jobs = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(runs) && json_object_array_length(*jobs) < LIST_MAX; i++) {
		json_object *run = json_object_array_get_idx(runs, i);

		if (owned(run, tenant_id, video_id))
			json_object_array_add(*jobs, job_of(p, run));
	}
	json_object_put(runs);
	return RUN_VIEW_OK;
}

enum run_view_result
run_view_get(struct prefect *p, const char *tenant_id, const char *run_id, json_object **job, char *err,
    size_t errlen)
{
	json_object *run = NULL;
	enum prefect_result r = prefect_flow_run(p, run_id, &run, err, errlen);

	*job = NULL;
	if (r == PREFECT_NOT_FOUND)
		return RUN_VIEW_OK;
	if (r != PREFECT_OK)
		return RUN_VIEW_UNAVAILABLE;
	if (owned(run, tenant_id, NULL))
		*job = job_of(p, run);
	json_object_put(run);
	return RUN_VIEW_OK;
}
