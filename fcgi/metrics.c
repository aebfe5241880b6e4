/* metrics.c: GET /metrics: the Prometheus text format of shared/metrics (X-Cron-Secret, or anyone with
 * METRICS_ALLOW_ANONYMOUS; the route table checks it). */
#include "fcgi/handlers.h"

#include "shared/metrics/metrics.h"

void
metrics_get(struct app *app, const struct request *req, struct response *resp)
{
	char *text = NULL, err[512];
	enum db_status st;

	(void)req;
	if ((st = metrics_render(app->db, &text, err, sizeof(err))) != DB_OK)
		handlers_db_failure(app, resp, st, "metrics", err);
	else
		response_text(resp, text, METRICS_CONTENT_TYPE);
}
