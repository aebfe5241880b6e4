/* prefect.h: the subset of Prefect's REST API (2.x and 3.x) that QUEUE_BACKEND=prefect uses: resolve
 * deployments by name, create flow runs (idempotently, into the work queue of the priority's band),
 * poll a work pool, propose states, create queues. Every call is bounded (PREFECT_TIMEOUT_SECONDS) and
 * retries 408/429/502/503/504 and connection failures (PREFECT_RETRIES), honouring Retry-After and using
 * a fresh connection after a 503. Only fields Prefect accepts are ever sent. */
#ifndef CAPTIONACC_PREFECT_H
#define CAPTIONACC_PREFECT_H

#include "shared/config.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define PREFECT_ID_MAX 64
#define PREFECT_NAME_MAX 128
#define PREFECT_FLOW_MAX 64 /* our flow's name, NUL included */
#define PREFECT_FLOWS_MAX 8
#define PREFECT_BANDS_MAX 8
/* The most runs one request may ask for: Prefect answers 422 above PREFECT_API_DEFAULT_LIMIT (200). */
#define PREFECT_LIMIT_MAX 200

enum prefect_result {
	PREFECT_OK,
	PREFECT_UNAVAILABLE,  /* unreachable, timed out, 5xx or 429 after the retries: try later */
	PREFECT_NOT_FOUND,    /* 404: unknown deployment or flow run */
	PREFECT_REFUSED,      /* another 4xx (422 validation, 409 schema): our request or setup is wrong */
	PREFECT_WRONG_POOL    /* the deployment exists but is not in PREFECT_WORK_POOL: no runner would see its
	                       * runs; an operator must fix it */
};

/* What Prefect answered to a proposed state. */
struct prefect_answer {
	char status[16];       /* ACCEPT, REJECT, ABORT or WAIT */
	char state_type[32];   /* the run's state type after the call ("" when the answer has none) */
	double delay_seconds;  /* WAIT: how long to wait before proposing again */
	char reason[256];      /* details.reason ("" when none) */
};

struct prefect_band {
	int min_priority;
	char queue[PREFECT_NAME_MAX];
};

/* One PREFECT_DEPLOYMENTS entry: our flow and the Prefect deployment that runs it. */
struct prefect_deployment {
	char flow[PREFECT_FLOW_MAX];
	char name[PREFECT_NAME_MAX * 2 + 2]; /* "prefect-flow/deployment" */
};

struct prefect;

/* Parses PREFECT_QUEUE_BANDS, "90:high,70:normal,0:low": min-priority (0-1000) and queue pairs, priorities
 * strictly decreasing, the last one 0, at most max of them, into out; *n gets their count. Returns 0, or
 * -1 with one line in err naming the setting. Pure: no request, no allocation. */
int prefect_bands_parse(const char *spec, struct prefect_band *out, int max, int *n, char *err, size_t errlen);
/* Parses PREFECT_DEPLOYMENTS, "flow=prefect-flow/deployment,..." (may be empty), at most max entries, into
 * out; *n gets their count. Returns 0, or -1 with one line in err naming the setting. Pure. */
int prefect_deployments_parse(const char *spec, struct prefect_deployment *out, int max, int *n, char *err,
    size_t errlen);

/* Parses the PREFECT_* settings (no request is made). NULL with one line in err naming the setting. */
struct prefect *prefect_new(const struct config *cfg, char *err, size_t errlen);
void prefect_free(struct prefect *p);

/* The work queue for a priority: the first band whose min_priority it reaches. */
const char *prefect_queue_for(const struct prefect *p, int priority);
int prefect_band_count(const struct prefect *p);
const struct prefect_band *prefect_band_at(const struct prefect *p, int i);
/* "flow-name/deployment-name" configured for our flow, or NULL. */
const char *prefect_deployment_name(const struct prefect *p, const char *flow);
/* Seconds the last unavailable answer asked us to wait (Retry-After), or 0. */
long prefect_retry_after(const struct prefect *p);

/* The deployment id of our flow (GET /deployments/name/..., remembered for the process). A deployment of
 * another work pool is PREFECT_WRONG_POOL, with a line naming both pools. */
enum prefect_result prefect_deployment_id(struct prefect *p, const char *flow, char *id, size_t idlen, char *err,
    size_t errlen);
/* Our flow whose deployment has this id, after resolving the configured deployments; NULL if none. A
 * deployment that could not be resolved is looked up again at most every PREFECT_RESOLVE_RETRY_MS. */
#define PREFECT_RESOLVE_RETRY_MS 30000
const char *prefect_flow_of(struct prefect *p, const char *deployment_id);

/* POST /deployments/{id}/create_flow_run with parameters, tags, idempotency_key, work_queue_name.
 * *created: 201 (new) or 200 (the run that already has this key). Transient failures are retried for the
 * whole PREFECT_TIMEOUT_SECONDS (a lost request is a lost video); a deployment id that became unknown
 * (the deployment was re-created) is resolved again and the run created within the same call. run_tenant
 * gets the run's parameters.tenant_id ("" if none): a repeated key may name another tenant's run. */
enum prefect_result prefect_create_run(struct prefect *p, const char *flow, json_object *parameters,
    json_object *tags, const char *idempotency_key, const char *queue, char *run_id, size_t idlen, bool *created,
    char *run_tenant, size_t tenantlen, char *err, size_t errlen);
/* Scheduled runs due now in any queue of the pool (also runs made without a work queue, which land in the
 * deployment's queue), best queue first: *runs is a JSON array of flow run objects (caller frees). */
enum prefect_result prefect_scheduled_runs(struct prefect *p, int limit, json_object **runs, char *err,
    size_t errlen);
/* Proposes a state (type PENDING, RUNNING, COMPLETED, FAILED, CANCELLED or SCHEDULED, which is then
 * "AwaitingRetry" at now + delay_seconds) and says what Prefect answered. */
enum prefect_result prefect_set_state(struct prefect *p, const char *run_id, const char *type, const char *message,
    double delay_seconds, struct prefect_answer *ans, char *err, size_t errlen);
/* SCHEDULED "AwaitingRetry" at when (an ISO time Prefect gave, e.g. the run's own next_scheduled_start_time:
 * a time of Prefect's clock, not ours). */
enum prefect_result prefect_reschedule_at(struct prefect *p, const char *run_id, const char *message,
    const char *when, struct prefect_answer *ans, char *err, size_t errlen);
/* GET /flow_runs/{id}: *run (caller frees) is the flow run object; PREFECT_NOT_FOUND for an unknown id. */
enum prefect_result prefect_flow_run(struct prefect *p, const char *run_id, json_object **run, char *err,
    size_t errlen);
/* POST /flow_runs/filter: SCHEDULED runs of our deployments in the pool, due now (by Prefect's
 * next_scheduled_start_time), soonest first, at most limit: the way past a pool whose queues are full of
 * other deployments' runs. *runs (caller frees) a JSON array of flow run objects. */
enum prefect_result prefect_due_runs_of_ours(struct prefect *p, int limit, json_object **runs, char *err,
    size_t errlen);
/* POST /flow_runs/filter: the runs carrying tag, newest expected start first, at most limit; *runs (caller
 * frees) a JSON array of flow run objects. */
enum prefect_result prefect_runs_tagged(struct prefect *p, const char *tag, int limit, json_object **runs,
    char *err, size_t errlen);
/* The run's state type (SCHEDULED, PENDING, RUNNING, CANCELLING, ...). */
enum prefect_result prefect_run_state(struct prefect *p, const char *run_id, char *type, size_t typelen, char *err,
    size_t errlen);
/* Creates a queue of the pool with a priority (1 = highest); *existed when it was already there. */
enum prefect_result prefect_create_queue(struct prefect *p, const char *name, int priority, bool *existed,
    char *err, size_t errlen);
/* GET /health, one try with a short timeout: for /health. */
enum prefect_result prefect_health(struct prefect *p, char *err, size_t errlen);

#endif
