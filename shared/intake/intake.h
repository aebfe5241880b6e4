/* intake.h: the one path from a request to a job, for every caller (the Supabase webhook, the operator's
 * enqueue, and later the users' actions, backfill and reconciliation): tenant tier -> priority -> tags ->
 * idempotency key -> metadata -> a local job row or a Prefect flow run -> the answer. Callers parse their
 * input into struct flow_params, submit, and turn the answer into theirs. */
#ifndef CAPTIONACC_INTAKE_H
#define CAPTIONACC_INTAKE_H

#include "shared/clients/prefect.h"
#include "shared/config.h"
#include "shared/db.h"
#include "shared/intake/params.h"
#include "shared/intake/priority.h"
#include "shared/intake/tenant.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#define INTAKE_ID_MAX 64
#define INTAKE_KEY_MAX 400

/* What submissions share for a process's life. */
struct intake {
	struct db *db;                     /* borrowed */
	const struct config *cfg;          /* borrowed */
	struct tenant_map tiers;
	struct tenant_cache *tier_cache;   /* owned; may be NULL (no caching) */
	struct priority_params prio;
	struct prefect *prefect;           /* owned; QUEUE_BACKEND=prefect, else NULL */
};

/* One request for a job. Pointers are borrowed for the call. */
struct intake_request {
	const struct flow_params *params;  /* parsed and valid (params_parse) */
	const char *triggered_by;          /* "supabase_webhook", "operator", ... (job metadata) */
	bool has_created_at;               /* the video's age counts from created_at, else from now */
	time_t created_at;
	int priority;                      /* >= 0: this priority, no tier or age; -1: from tier and age */
	const char *idempotency_key;       /* NULL: the flow's own (see intake_default_key), or none */
	bool dedupe_active;                /* an identical job (flow, tenant, video, parameters) that still
	                                    * waits or runs is returned instead of queuing a second */
	const char *backfill;              /* "YYYY-MM": a backfill job of that month (metadata.backfill and a
	                                    * tag "backfill:YYYY-MM"), or NULL */
};

enum intake_result {
	INTAKE_OK,
	INTAKE_UNAVAILABLE,  /* the database or Prefect is unreachable: try again after retry_after */
	INTAKE_NOT_READY,    /* Prefect has no deployment for the flow, or it is in another work pool: fixed by
	                      * an operator; retry later */
	INTAKE_CONFLICT,     /* the idempotency key names a job of another tenant (a video id reused) */
	INTAKE_ERROR         /* our request was refused or the store failed for good: an internal error */
};

struct intake_answer {
	char id[INTAKE_ID_MAX];   /* the job id, or the Prefect flow run id */
	int priority;             /* the stored job's (a repeat answers with the first submission's) */
	json_object *tags;        /* its tags array; owned, freed by intake_answer_free */
	bool created;             /* false: an existing job with the same idempotency key was returned */
	const char *queue;        /* the Prefect work queue, or NULL for the local queue */
	long retry_after;         /* with INTAKE_UNAVAILABLE / INTAKE_NOT_READY: seconds */
	char error[512];          /* with any other result: one line for the log (no secrets) */
};

/* Sets in up from the settings: TIER_MAP parsed, a tier cache of tier_cache_seconds (0: none), the Prefect
 * client when QUEUE_BACKEND=prefect. -1 with one line in err naming the setting. */
int intake_open(struct intake *in, struct db *db, const struct config *cfg, long tier_cache_seconds, char *err,
    size_t errlen) __attribute__((warn_unused_result));
void intake_close(struct intake *in);
/* The idempotency key a flow gets when the caller gives none: "video_initial_processing:<video>" (so a
 * redelivered webhook, an operator's re-queue and reconciliation never double a video's first job), and
 * none ("" and 0) for the other flows. -1 if it does not fit. */
int intake_default_key(const struct flow_params *p, char *key, size_t len);
/* Queues the job (all or nothing) and fills ans; ans->tags must be freed with intake_answer_free. */
enum intake_result intake_submit(struct intake *in, const struct intake_request *req, struct intake_answer *ans);
void intake_answer_free(struct intake_answer *ans);

#endif
