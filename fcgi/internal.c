/* internal.c: the operators' internal endpoints (X-Cron-Secret, checked by routes.c): POST
 * /api/internal/seed-backfill-queue, POST /api/internal/schedule-backfill and GET
 * /api/internal/backfill-stats. Each is parse (400 with a sentence, nothing changed) -> the backfill
 * module's operation (the same as `captionacc-runner backfill`) -> its JSON answer. */
#include "fcgi/handlers.h"

#include "shared/backfill/backfill_log.h"
#include "shared/backfill/backfill_request.h"
#include "shared/backfill/backfill_schedule.h"

/* The body as a JSON object, or NULL after answering 400. Caller puts. */
static json_object *
body_of(const struct request *req, struct response *resp)
{
	char why[300];
	json_object *body = backfill_request_body(req->body, req->body_len, why, sizeof(why));

	if (body == NULL)
		response_error(resp, 400, why);
	return body;
}

void
internal_seed_backfill(struct app *app, const struct request *req, struct response *resp)
{
	struct backfill_seed_req sr;
	json_object *body, *answer = NULL;
	enum db_status st;
	char why[300], err[512];

	if ((body = body_of(req, resp)) == NULL)
		return;
	if (backfill_request_seed(body, backfill_request_this_year(), &sr, why, sizeof(why)) != 0)
		response_error(resp, 400, why);
	else if ((st = backfill_log_seed(app->db, &sr, (int)app->cfg.backfill_pipeline_version, &answer, err,
	    sizeof(err))) != DB_OK)
		handlers_db_failure(app, resp, st, "seed-backfill-queue", err);
	else
		response_json(resp, 200, answer);
	json_object_put(body);
}

void
internal_schedule_backfill(struct app *app, const struct request *req, struct response *resp)
{
	struct backfill_schedule_req sr;
	json_object *body, *answer = NULL;
	enum db_status st;
	char why[300], err[512];

	if ((body = body_of(req, resp)) == NULL)
		return;
	if (backfill_request_schedule(body, &sr, why, sizeof(why)) != 0)
		response_error(resp, 400, why);
	else if ((st = backfill_schedule_run(&app->intake, &sr, &answer, err, sizeof(err))) != DB_OK)
		handlers_db_failure(app, resp, st, "schedule-backfill", err);
	else
		response_json(resp, 200, answer);
	json_object_put(body);
}

void
internal_backfill_stats(struct app *app, const struct request *req, struct response *resp)
{
	json_object *answer = NULL;
	enum db_status st;
	char err[512];

	(void)req;
	if ((st = backfill_log_stats(app->db, &answer, err, sizeof(err))) != DB_OK)
		handlers_db_failure(app, resp, st, "backfill-stats", err);
	else
		response_json(resp, 200, answer);
}
