/* status.c: `captionacc-runner status`: job counts by status and the age of the oldest waiting job; with
 * QUEUE_BACKEND=prefect also the flow runs due in the work pool (the runs Prefect holds for us are not in
 * the jobs table until a runner takes them). */
#include "runner/runner.h"

#include "shared/clients/prefect.h"

#include <stdio.h>
#include <string.h>

#define PREFECT_STATUS_LIMIT PREFECT_LIMIT_MAX

static int
local_status(struct runner *r)
{
	static const struct db_stmt counts_stmt = {
		"status_counts", "SELECT status, count(*) FROM jobs GROUP BY status ORDER BY status", 0, true
	};
	static const struct db_stmt oldest_stmt = {
		"status_oldest",
		"SELECT id, flow, round(extract(epoch FROM now() - created_at))::bigint FROM jobs"
		" WHERE status IN ('pending', 'retry') AND backend = 'local' ORDER BY created_at LIMIT 1",
		0, true
	};
	enum db_status st;
	char err[512];
	PGresult *res;

	if ((res = db_exec(r->db, &counts_stmt, NULL, &st, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-runner: status: %s\n", err);
		return 1;
	}
	if (PQntuples(res) == 0)
		printf("no jobs\n");
	for (int i = 0; i < PQntuples(res); i++)
		printf("%-10s %s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
	PQclear(res);
	if ((res = db_exec(r->db, &oldest_stmt, NULL, &st, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-runner: status: %s\n", err);
		return 1;
	}
	if (PQntuples(res) == 1)
		printf("oldest waiting job: %s (%s), queued %s s ago\n", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		    PQgetvalue(res, 0, 2));
	else if (r->cfg.queue_backend == CONFIG_QUEUE_LOCAL)
		printf("no job is waiting\n");
	PQclear(res);
	return 0;
}

/* The due runs of the pool: how many are of our deployments, and the first of them. */
static int
prefect_status(struct runner *r)
{
	struct prefect *api;
	json_object *runs = NULL;
	char err[512];
	const char *first = NULL;
	int ours = 0, n;

	if ((api = prefect_new(&r->cfg, err, sizeof(err))) == NULL ||
	    prefect_scheduled_runs(api, PREFECT_STATUS_LIMIT, &runs, err, sizeof(err)) != PREFECT_OK) {
		fprintf(stderr, "captionacc-runner: status: Prefect: %s\n", err);
		prefect_free(api);
		return 1;
	}
	n = (int)json_object_array_length(runs);
	for (int i = 0; i < n; i++) {
		json_object *run = json_object_array_get_idx(runs, i), *v = NULL;

		if (json_object_object_get_ex(run, "deployment_id", &v) && json_object_is_type(v, json_type_string) &&
		    prefect_flow_of(api, json_object_get_string(v)) != NULL && ours++ == 0 &&
		    json_object_object_get_ex(run, "id", &v))
			first = json_object_get_string(v);
	}
	printf("Prefect work pool %s: %d%s flow run%s due for our deployments", r->cfg.prefect_work_pool, ours,
	    n >= PREFECT_STATUS_LIMIT ? "+" : "", ours == 1 ? "" : "s");
	if (n > ours)
		printf(" (and %d of other deployments)", n - ours);
	printf(first ? "; next: %s\n" : "\n", first ? first : "");
	json_object_put(runs);
	prefect_free(api);
	return 0;
}

int
status_command(struct runner *r, int argc, char **argv)
{
	int rc;

	if (argc > 1) {
		fprintf(stderr, "captionacc-runner: status takes no arguments\n");
		return 2;
	}
	rc = local_status(r);
	if (rc == 0 && r->cfg.queue_backend == CONFIG_QUEUE_PREFECT)
		rc = prefect_status(r);
	return rc;
}
