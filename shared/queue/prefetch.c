/* prefetch.c: the batched writes of prefetch.h. Each statement takes its jobs as one JSON array (built
 * with json-c) and joins each to its jobs row by id and lease token, locking the rows it holds, so each
 * job is fenced by its own token in the one statement. */
#include "shared/queue/prefetch.h"

#include "shared/json.h"
#include "shared/queue/fence.h"
#include "shared/str.h"

#include <stdlib.h>
#include <string.h>

/* $1 [{id, token}, ...]: the rows still held by these claims, locked in id order. */
#define HELD_CTE "input AS (SELECT x.* FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, token uuid, idx int," \
	"  name text, result jsonb, attempt int, ago double precision, figures jsonb))," \
	" held AS (SELECT i.* FROM input i JOIN jobs j ON j.id = i.id AND j.lease_token = i.token" \
	"  AND j.status = 'running' ORDER BY j.id FOR UPDATE OF j)"

/* As complete_step_stmt (queue.c) for each held job: its last step's row and its completion, its figures. */
static const struct db_stmt complete_stmt = {
	"prefetch_complete",
	"WITH " HELD_CTE ", s AS ("
	"  INSERT INTO job_steps (job_id, step_index, name, status, result, attempt, started_at, finished_at)"
	"  SELECT id, idx, name, 'completed', result, attempt, now() - make_interval(secs => ago), now() FROM held"
	STEP_COMPLETED_UPSERT
	"), w AS ("
	"  UPDATE jobs SET status = 'completed', result = h.result, error_message = NULL, finished_at = now(),"
	"    updated_at = now(), " LEASE_CLEARED
	"  FROM held h WHERE jobs.id = h.id RETURNING jobs.id"
	"), f AS ("
	"  INSERT INTO metric_events (metric, l1, l2, l3, seconds)"
	"  SELECT e->>0, e->>1, e->>2, e->>3, (e->>4)::double precision"
	"  FROM held h, jsonb_array_elements(COALESCE(h.figures, '[]'::jsonb)) e"
	") SELECT id FROM w",
	1, true
};

static const struct db_stmt hand_back_stmt = {
	"prefetch_hand_back",
	"WITH " HELD_CTE
	" UPDATE jobs SET status = 'pending', attempt = jobs.attempt - 1, run_after = now(), updated_at = now(), "
	LEASE_CLEARED
	" FROM held h WHERE jobs.id = h.id RETURNING jobs.id",
	1, true
};

/* $2 lease seconds. */
static const struct db_stmt extend_stmt = {
	"prefetch_extend",
	"WITH " HELD_CTE
	" UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $2::int)"
	" FROM held h WHERE jobs.id = h.id RETURNING jobs.id",
	2, true
};

/* Adds {id, token} to list; -1 out of memory. */
static int
add_fence(json_object *list, const char *id, const char *token, json_object **entry)
{
	json_object *o = json_object_new_object();

	*entry = o;
	if (o == NULL || json_object_array_add(list, o) != 0) {
		json_object_put(o);
		return -1;
	}
	return json_object_object_add(o, "id", json_object_new_string(id)) != 0 ||
	    json_object_object_add(o, "token", json_object_new_string(token)) != 0 ? -1 : 0;
}

/* Runs stmt with the list as $1 (and extra as $2); the answer's ids (NULL on failure, st set). */
static PGresult *
run_list(struct db *db, const struct db_stmt *stmt, json_object *list, const char *extra, enum db_status *st,
    char *err, size_t errlen)
{
	const char *params[2] = { json_text(list, NULL), extra };

	if (params[0] == NULL) {
		*st = DB_ERROR;
		(void)str_fmt(err, errlen, "%s: out of memory", stmt->name);
		return NULL;
	}
	return db_exec(db, stmt, params, st, err, errlen);
}

static json_object *
done_list(const struct prefetch_done *done, int n)
{
	json_object *list = json_object_new_array(), *e = NULL;

	for (int i = 0; list != NULL && i < n; i++) {
		if (add_fence(list, done[i].job->id, done[i].job->lease_token, &e) != 0 ||
		    json_object_object_add(e, "idx", json_object_new_int(done[i].index)) != 0 ||
		    json_object_object_add(e, "name", json_object_new_string(done[i].name)) != 0 ||
		    json_object_object_add(e, "result", json_object_get(done[i].result)) != 0 ||
		    json_object_object_add(e, "attempt", json_object_new_int(done[i].job->attempt)) != 0 ||
		    json_object_object_add(e, "ago", json_object_new_double(done[i].started_ago < 0 ? 0.0 :
		    done[i].started_ago)) != 0 ||
		    json_object_object_add(e, "figures", json_object_get(done[i].figures)) != 0) {
			json_object_put(list);
			return NULL;
		}
	}
	return list;
}

enum db_status
prefetch_complete(struct db *db, const struct prefetch_done *done, int n, bool *ours, char *err, size_t errlen)
{
	json_object *list = done_list(done, n);
	enum db_status st = DB_ERROR;
	PGresult *r;

	memset(ours, 0, (size_t)n * sizeof(*ours));
	if (list == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return DB_ERROR;
	}
	if ((r = run_list(db, &complete_stmt, list, NULL, &st, err, errlen)) != NULL) {
		for (int k = 0; k < PQntuples(r); k++)
			for (int i = 0; i < n; i++)
				if (strcmp(PQgetvalue(r, k, 0), done[i].job->id) == 0)
					ours[i] = true;
		PQclear(r);
	}
	json_object_put(list);
	return r == NULL ? st : DB_OK;
}

/* Runs a fence-list statement over the n fences; *count: the rows it answered. */
static enum db_status
run_fences(struct db *db, const struct db_stmt *stmt, const struct prefetch_lease *fences, int n, const char *extra,
    int *count, char *err, size_t errlen)
{
	json_object *list = json_object_new_array(), *e;
	enum db_status st = DB_ERROR;
	PGresult *r = NULL;

	*count = 0;
	for (int i = 0; list != NULL && i < n; i++)
		if (add_fence(list, fences[i].job_id, fences[i].token, &e) != 0) {
			json_object_put(list);
			list = NULL;
		}
	if (list == NULL)
		(void)str_fmt(err, errlen, "out of memory");
	else if ((r = run_list(db, stmt, list, extra, &st, err, errlen)) != NULL) {
		*count = PQntuples(r);
		PQclear(r);
		st = DB_OK;
	}
	json_object_put(list);
	return st;
}

enum db_status
prefetch_hand_back(struct db *db, const struct queue_job *jobs, int n, int *handed, char *err, size_t errlen)
{
	struct prefetch_lease *fences = calloc((size_t)(n > 0 ? n : 1), sizeof(*fences));
	enum db_status st;

	*handed = 0;
	if (fences == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return DB_ERROR;
	}
	for (int i = 0; i < n; i++)
		fences[i] = (struct prefetch_lease){ jobs[i].id, jobs[i].lease_token };
	st = run_fences(db, &hand_back_stmt, fences, n, NULL, handed, err, errlen);
	free(fences);
	return st;
}

enum db_status
prefetch_extend(struct db *db, const struct prefetch_lease *leases, int n, long lease_seconds, int *held, char *err,
    size_t errlen)
{
	char secs[24];

	*held = 0;
	if (str_fmt(secs, sizeof(secs), "%ld", lease_seconds) != 0)
		return DB_ERROR;
	return run_fences(db, &extend_stmt, leases, n, secs, held, err, errlen);
}
