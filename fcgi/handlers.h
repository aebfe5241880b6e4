/* handlers.h: the process-wide state handlers share, and every route handler (one file per group). */
#ifndef CAPTIONACC_HANDLERS_H
#define CAPTIONACC_HANDLERS_H

#include "fcgi/request.h"

#include "shared/config.h"
#include "shared/db.h"
#include "shared/clients/prefect.h"
#include "shared/intake/priority.h"
#include "shared/intake/tenant.h"

struct app {
	struct config cfg;
	struct db *db;
	struct priority_params prio;
	struct tenant_map tiers;
	struct tenant_cache *tier_cache;
	struct prefect *prefect;   /* QUEUE_BACKEND=prefect, else NULL */
};

typedef void (*handler_fn)(struct app *app, const struct request *req, struct response *resp);

/* health.c */
void health_get(struct app *app, const struct request *req, struct response *resp);
/* webhooks.c */
void webhooks_videos_post(struct app *app, const struct request *req, struct response *resp);

/* Answers 503 (transient database trouble, with Retry-After) or 500 for a failed database call. */
void handlers_db_failure(struct app *app, struct response *resp, enum db_status st, const char *what,
    const char *err);

#endif
