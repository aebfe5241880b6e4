/* fence.c: running lease-fenced statements (see fence.h). */
#include "shared/queue/fence.h"

#include "shared/log.h"
#include "shared/str.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

void
fence_test_stop(const char *statement)
{
	static bool stopped;
	const char *at = getenv("CAPTIONACC_TEST_STOP_BEFORE");

	if (stopped || at == NULL || strcmp(at, statement) != 0)
		return;
	stopped = true;
	log_info("test hook: stopping before %s", statement);
	(void)raise(SIGSTOP);
}

enum db_status
fence_exec(struct db *db, const struct db_stmt *stmt, const struct fence *f, const char **params,
    enum fence_result *res, char *err, size_t errlen)
{
	return fence_exec_cancel(db, stmt, f, params, res, NULL, 0, err, errlen);
}

enum db_status
fence_exec_cancel(struct db *db, const struct db_stmt *stmt, const struct fence *f, const char **params,
    enum fence_result *res, char *cancel, size_t cancellen, char *err, size_t errlen)
{
	enum db_status st;
	PGresult *r;
	long held = 0, rows = 0;

	params[0] = f->job_id;
	params[1] = f->token;
	fence_test_stop(stmt->name);
	if ((r = db_exec(db, stmt, params, &st, err, errlen)) == NULL)
		return st;
	if (PQntuples(r) != 1 || PQnfields(r) < 2 || str_to_long(PQgetvalue(r, 0, 0), 0, 1, &held) != 0 ||
	    str_to_long(PQgetvalue(r, 0, 1), 0, 0x7fffffffL, &rows) != 0) {
		PQclear(r);
		(void)str_fmt(err, errlen, "%s: unexpected answer", stmt->name);
		return DB_ERROR;
	}
	if (cancel != NULL && cancellen > 0) {
		cancel[0] = '\0';
		if (PQnfields(r) > 2 && !PQgetisnull(r, 0, 2))
			(void)str_fmt(cancel, cancellen, "%s", PQgetvalue(r, 0, 2)); /* cut: still a reason */
	}
	PQclear(r);
	*res = !held ? FENCE_LOST : rows > 0 ? FENCE_WRITTEN : FENCE_NO_ROW;
	return DB_OK;
}
