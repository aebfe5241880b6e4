/* health.c: GET /health: 200 while the process lives, reporting the database (and with it the local
 * queue) as ok or unavailable. */
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
	/* QUEUE_BACKEND=local: the queue is the jobs table, so it is up exactly when the database is. */
	json_object_object_add(o, "queue", json_object_new_string(dbstate));
	response_json(resp, 200, o);
}
