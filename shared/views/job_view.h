/* job_view.h: jobs as their owners read them (GET /videos/{id}/jobs, GET /jobs/{id}), from the local jobs
 * table, always within a tenant: another tenant's job is no job. */
#ifndef CAPTIONACC_JOB_VIEW_H
#define CAPTIONACC_JOB_VIEW_H

#include "shared/db.h"

#include <json-c/json.h>

#define JOB_VIEW_LIST_MAX 50

/* The video's jobs, newest first, at most JOB_VIEW_LIST_MAX: *jobs a JSON array of {id, flow, status,
 * attempt, max_attempts, priority, created_at, started_at, finished_at, error_message}. Caller frees. */
enum db_status job_view_list(struct db *db, const char *tenant_id, const char *video_id, json_object **jobs,
    char *err, size_t errlen);
/* One job (the fields above, video_id, parameters, result) with "steps": [{index, name, status, result,
 * error_message, attempt, started_at, finished_at}]; *job NULL when the tenant has no such job. job_id must
 * be a uuid (validate_uuid). Caller frees. */
enum db_status job_view_get(struct db *db, const char *tenant_id, const char *job_id, json_object **job,
    char *err, size_t errlen);

#endif
