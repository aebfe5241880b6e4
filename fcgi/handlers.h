/* handlers.h: the process-wide state handlers share, and every route handler (one file per group). */
#ifndef CAPTIONACC_HANDLERS_H
#define CAPTIONACC_HANDLERS_H

#include "fcgi/request.h"
#include "fcgi/response.h"

#include "shared/config.h"
#include "shared/db.h"
#include "shared/intake/intake.h"
#include "shared/token.h"

struct app {
	struct config cfg;
	struct db *db;
	struct intake intake;      /* the path from a request to a job; intake.prefect with QUEUE_BACKEND=prefect */
	struct token_verifier *tokens;  /* Supabase access tokens */
};

typedef void (*handler_fn)(struct app *app, const struct request *req, struct response *resp);

/* health.c */
void health_get(struct app *app, const struct request *req, struct response *resp);
/* webhooks.c */
void webhooks_videos_post(struct app *app, const struct request *req, struct response *resp);
/* actions.c: a signed-in user's actions on one of their videos (req->params[0]) */
void actions_approve_layout(struct app *app, const struct request *req, struct response *resp);
void actions_caption_ocr(struct app *app, const struct request *req, struct response *resp);
/* videos.c: GET /videos/{id}, GET /videos/{id}/jobs */
void videos_get(struct app *app, const struct request *req, struct response *resp);
void videos_jobs_get(struct app *app, const struct request *req, struct response *resp);
/* jobs.c: GET /jobs/{id} */
void jobs_get(struct app *app, const struct request *req, struct response *resp);
/* internal.c: the operators' backfill endpoints (X-Cron-Secret) */
void internal_seed_backfill(struct app *app, const struct request *req, struct response *resp);
void internal_schedule_backfill(struct app *app, const struct request *req, struct response *resp);
void internal_backfill_stats(struct app *app, const struct request *req, struct response *resp);
void metrics_get(struct app *app, const struct request *req, struct response *resp);
void status_page_get(struct app *app, const struct request *req, struct response *resp);
/* users.c: the user behind an access token, and their tenant, into req->user_id and req->tenant_id. -1
 * when the request was answered: 401 (with WWW-Authenticate) for a missing or refused token, 403 for a
 * user without a profile, 503 while the database is unavailable. */
int users_authenticate(struct app *app, struct request *req, struct response *resp);

/* handlers.c: */
/* Answers 503 (transient database trouble, with Retry-After) or 500 for a failed database call. */
void handlers_db_failure(struct app *app, struct response *resp, enum db_status st, const char *what,
    const char *err);
/* Answers 503 with Retry-After: Prefect could not be asked (QUEUE_BACKEND=prefect reads). */
void handlers_prefect_failure(struct app *app, struct response *resp, const char *what, const char *err);
/* Answers a failed submission: 503 + Retry-After while the store (database or Prefect) is unavailable or
 * not ready, else 500; logs why, naming what (e.g. the video). */
void handlers_intake_failure(struct app *app, struct response *resp, enum intake_result r,
    const struct intake_answer *ans, const char *what);

#endif
