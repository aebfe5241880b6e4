/* handlers.c: answers every handler gives the same way: a failed database call, a failed submission. */
#include "fcgi/handlers.h"

#include "shared/log.h"

void
handlers_db_failure(struct app *app, struct response *resp, enum db_status st, const char *what,
    const char *err)
{
	if (st == DB_UNAVAILABLE) {
		log_warn("%s: database unavailable: %s", what, err);
		response_error(resp, 503, "The database is unavailable; retry later");
		resp->retry_after = app->cfg.retry_after_seconds;
	} else {
		log_error("%s: %s", what, err);
		response_error(resp, 500, "Internal error");
	}
}

void
handlers_prefect_failure(struct app *app, struct response *resp, const char *what, const char *err)
{
	log_warn("%s: Prefect unavailable: %s", what, err);
	response_error(resp, 503, "The queue (Prefect) is unavailable; retry later");
	resp->retry_after = app->cfg.retry_after_seconds;
}

void
handlers_intake_failure(struct app *app, struct response *resp, enum intake_result r,
    const struct intake_answer *ans, const char *what)
{
	switch (r) {
	case INTAKE_UNAVAILABLE:
		log_warn("%s: the queue is unavailable: %s", what, ans->error);
		response_error(resp, 503, app->intake.prefect ? "The queue (Prefect) is unavailable; retry later" :
		    "The database is unavailable; retry later");
		resp->retry_after = ans->retry_after;
		return;
	case INTAKE_NOT_READY:
		log_error("%s: %s", what, ans->error);
		response_error(resp, 503, "The queue (Prefect) is not ready for this flow; retry later");
		resp->retry_after = ans->retry_after;
		return;
	case INTAKE_CONFLICT:
		log_warn("%s: %s", what, ans->error);
		response_error(resp, 409, "Conflict: already queued for another tenant");
		return;
	case INTAKE_OK:
	case INTAKE_ERROR:
		break;
	}
	log_error("%s: %s", what, ans->error);
	response_error(resp, 500, "Internal error");
}
