/* handlers.h: the process-wide state handlers share, and every route handler (one file per group). */
#ifndef CAPTIONACC_HANDLERS_H
#define CAPTIONACC_HANDLERS_H

#include "fcgi/request.h"
#include "fcgi/response.h"

#include "shared/config.h"
#include "shared/db.h"
#include "shared/intake/intake.h"

struct app {
	struct config cfg;
	struct db *db;
	struct intake intake;      /* the path from a request to a job; intake.prefect with QUEUE_BACKEND=prefect */
};

typedef void (*handler_fn)(struct app *app, const struct request *req, struct response *resp);

/* health.c */
void health_get(struct app *app, const struct request *req, struct response *resp);
/* webhooks.c */
void webhooks_videos_post(struct app *app, const struct request *req, struct response *resp);

/* handlers.c: */
/* Answers 503 (transient database trouble, with Retry-After) or 500 for a failed database call. */
void handlers_db_failure(struct app *app, struct response *resp, enum db_status st, const char *what,
    const char *err);
/* Answers a failed submission: 503 + Retry-After while the store (database or Prefect) is unavailable or
 * not ready, else 500; logs why, naming what (e.g. the video). */
void handlers_intake_failure(struct app *app, struct response *resp, enum intake_result r,
    const struct intake_answer *ans, const char *what);

#endif
