/* run_view.h: jobs as their owners read them when QUEUE_BACKEND=prefect: Prefect's flow runs (state,
 * message, times), found by the tenant's tag and checked against the run's own parameters, so another
 * tenant's run is no run. The same JSON shape as job_view.h's, with "prefect_state" added. */
#ifndef CAPTIONACC_RUN_VIEW_H
#define CAPTIONACC_RUN_VIEW_H

#include "shared/clients/prefect.h"

#include <json-c/json.h>

#define RUN_VIEW_SCAN_MAX 200

enum run_view_result {
	RUN_VIEW_OK,
	RUN_VIEW_UNAVAILABLE  /* Prefect could not be asked: try again later */
};

/* The video's runs, newest first (among the tenant's newest RUN_VIEW_SCAN_MAX runs), at most 50: *jobs a
 * JSON array. Caller frees. */
enum run_view_result run_view_list(struct prefect *p, const char *tenant_id, const char *video_id,
    json_object **jobs, char *err, size_t errlen);
/* One run of the tenant (*job NULL when there is none). Caller frees. */
enum run_view_result run_view_get(struct prefect *p, const char *tenant_id, const char *run_id, json_object **job,
    char *err, size_t errlen);

#endif
