/* jobs.c: GET /jobs/{id}: one job of the signed-in user's tenant with its steps (with QUEUE_BACKEND=prefect,
 * the flow run's state from Prefect and the steps the runner recorded); another tenant's job is unknown
 * (404), as is an id that is not a job id. */
#include "fcgi/handlers.h"

#include "shared/views/job_view.h"
#include "shared/views/run_view.h"

/* With Prefect: the run, plus the runner's steps when it has taken the run. */
static int
prefect_job(struct app *app, const struct request *req, json_object **job, struct response *resp)
{
	json_object *local = NULL, *steps = NULL;
	char err[512];

	if (run_view_get(app->intake.prefect, req->tenant_id, req->params[0], job, err, sizeof(err)) != RUN_VIEW_OK) {
		handlers_prefect_failure(app, resp, "flow run", err);
		return -1;
	}
	if (*job != NULL && job_view_get(app->db, req->tenant_id, req->params[0], &local, err, sizeof(err)) == DB_OK &&
	    local != NULL && json_object_object_get_ex(local, "steps", &steps))
		json_object_object_add(*job, "steps", json_object_get(steps));
	else if (*job != NULL)
		json_object_object_add(*job, "steps", json_object_new_array());
	json_object_put(local);
	return 0;
}

void
jobs_get(struct app *app, const struct request *req, struct response *resp)
{
	json_object *job = NULL;
	char err[512];
	enum db_status st;

	if (!validate_uuid(req->params[0])) {
		response_error(resp, 404, "Not found");
		return;
	}
	if (app->intake.prefect != NULL) {
		if (prefect_job(app, req, &job, resp) != 0)
			return;
	} else if ((st = job_view_get(app->db, req->tenant_id, req->params[0], &job, err, sizeof(err))) != DB_OK) {
		handlers_db_failure(app, resp, st, "job lookup", err);
		return;
	}
	if (job == NULL)
		response_error(resp, 404, "Not found");
	else
		response_json(resp, 200, job);
}
