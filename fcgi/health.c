/* health.c: GET /health: 200 while the process lives, reporting the database and the queue (the jobs
 * table, or Prefect) as ok or unavailable. */
#include "fcgi/handlers.h"

static const struct db_stmt ping_stmt = { "health_ping", "SELECT 1", 0, true };

void
health_get(struct app *app, const struct request *req, struct response *resp)
{
	json_object *o = json_object_new_object();
	enum db_status st;
	char err[256];
	PGresult *r = db_exec(app->db, &ping_stmt, NULL, &st, err, sizeof(err));
	const char *dbstate = r != NULL ? "ok" : "unavailable";

	PQclear(r);
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "database", json_object_new_string(dbstate));
	if (app->intake.prefect != NULL) {
		/* QUEUE_BACKEND=prefect: the queue is Prefect's; one quick look, no retries. */
		const char *ps = prefect_health(app->intake.prefect, err, sizeof(err)) == PREFECT_OK ? "ok" : "unavailable";

		json_object_object_add(o, "queue", json_object_new_string(ps));
		json_object_object_add(o, "prefect", json_object_new_string(ps));
	} else {
		/* QUEUE_BACKEND=local: the queue is the jobs table, so it is up exactly when the database is. */
		json_object_object_add(o, "queue", json_object_new_string(dbstate));
	}
	response_json(resp, 200, o);
}
