/* status.c: `captionacc-runner status`: job counts by status and the age of the oldest waiting job. */
#include "runner/runner.h"

#include <stdio.h>

int
status_command(struct runner *r, int argc, char **argv)
{
	static const struct db_stmt counts_stmt = {
		"status_counts", "SELECT status, count(*) FROM jobs GROUP BY status ORDER BY status", 0, true
	};
	static const struct db_stmt oldest_stmt = {
		"status_oldest",
		"SELECT id, flow, round(extract(epoch FROM now() - created_at))::bigint FROM jobs"
		" WHERE status IN ('pending', 'retry') ORDER BY created_at LIMIT 1",
		0, true
	};
	enum db_status st;
	char err[512];
	PGresult *res;

	if (argc > 1) {
		fprintf(stderr, "captionacc-runner: status takes no arguments\n");
		return 2;
	}
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
	else
		printf("no job is waiting\n");
	PQclear(res);
	return 0;
}
