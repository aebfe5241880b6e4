/* videos.c: GET /videos/{id} (the video: status, error, metadata, keys, layout) and GET /videos/{id}/jobs
 * (its jobs, newest first) for the signed-in user; a video of another tenant is unknown (404). */
#include "fcgi/handlers.h"

#include "shared/views/job_view.h"
#include "shared/views/run_view.h"
#include "shared/views/video_view.h"

void
videos_get(struct app *app, const struct request *req, struct response *resp)
{
	json_object *row = NULL;
	char err[512];
	enum db_status st = video_view_get(app->db, req->params[0], req->tenant_id, &row, err, sizeof(err));

	if (st != DB_OK)
		handlers_db_failure(app, resp, st, "video lookup", err);
	else if (row == NULL)
		response_error(resp, 404, "Not found");
	else
		response_json(resp, 200, row);
}

/* The video's jobs: the jobs table's, or Prefect's flow runs with QUEUE_BACKEND=prefect. */
static int
jobs_of(struct app *app, const struct request *req, json_object **jobs, struct response *resp)
{
	char err[512];
	enum db_status st;

	if (app->intake.prefect != NULL) {
		if (run_view_list(app->intake.prefect, req->tenant_id, req->params[0], jobs, err, sizeof(err)) == RUN_VIEW_OK)
			return 0;
		handlers_prefect_failure(app, resp, "flow runs of a video", err);
		return -1;
	}
	if ((st = job_view_list(app->db, req->tenant_id, req->params[0], jobs, err, sizeof(err))) == DB_OK)
		return 0;
	handlers_db_failure(app, resp, st, "jobs of a video", err);
	return -1;
}

void
videos_jobs_get(struct app *app, const struct request *req, struct response *resp)
{
	json_object *row = NULL, *jobs = NULL, *o;
	char err[512];
	enum db_status st = video_view_get(app->db, req->params[0], req->tenant_id, &row, err, sizeof(err));

	/* The video row may not exist yet while its first job waits: the jobs decide then. */
	if (st != DB_OK) {
		handlers_db_failure(app, resp, st, "video lookup", err);
		return;
	}
	if (jobs_of(app, req, &jobs, resp) != 0)
		goto out;
	if (row == NULL && json_object_array_length(jobs) == 0) {
		response_error(resp, 404, "Not found");
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "video_id", json_object_new_string(req->params[0]));
	json_object_object_add(o, "jobs", jobs);
	jobs = NULL;
	response_json(resp, 200, o);
out:
	json_object_put(row);
	json_object_put(jobs);
}
