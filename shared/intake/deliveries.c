/* deliveries.c: the webhook_deliveries table: look an id up, record a first answer, delete old ones. */
#include "shared/intake/deliveries.h"

#include "shared/str.h"

#include <stdlib.h>

static const struct db_stmt lookup_stmt = {
	"deliveries_lookup",
	"SELECT status, answer::text FROM webhook_deliveries WHERE webhook_id = $1",
	1, true
};

static const struct db_stmt record_stmt = {
	"deliveries_record",
	"INSERT INTO webhook_deliveries (webhook_id, status, answer) VALUES ($1, $2::int, $3::jsonb) "
	"ON CONFLICT (webhook_id) DO NOTHING",
	3, true
};

static const struct db_stmt prune_stmt = {
	"deliveries_prune",
	"DELETE FROM webhook_deliveries WHERE received_at < now() - $1::bigint * interval '1 second'",
	1, true
};

enum db_status
deliveries_lookup(struct db *db, const char *id, int *status, json_object **answer, char *err, size_t errlen)
{
	const char *params[1] = { id };
	enum db_status st = DB_OK;
	PGresult *r = NULL;
	long code;

	*answer = NULL;
	if ((r = db_exec(db, &lookup_stmt, params, &st, err, errlen)) == NULL)
		goto out;
	if (PQntuples(r) == 0)
		goto out;
	if (str_to_long(PQgetvalue(r, 0, 0), 100, 599, &code) != 0 ||
	    (*answer = json_tokener_parse(PQgetvalue(r, 0, 1))) == NULL) {
		(void)str_fmt(err, errlen, "webhook_deliveries: the answer recorded for this webhook-id is unreadable");
		st = DB_ERROR;
		goto out;
	}
	*status = (int)code;
out:
	PQclear(r);
	return st;
}

enum db_status
deliveries_record(struct db *db, const char *id, int status, json_object *answer, char *err, size_t errlen)
{
	char code[16];
	const char *params[3] = { id, code, json_object_to_json_string_ext(answer, JSON_C_TO_STRING_PLAIN) };
	enum db_status st;
	PGresult *r;

	(void)str_fmt(code, sizeof(code), "%d", status);
	if ((r = db_exec(db, &record_stmt, params, &st, err, errlen)) == NULL)
		return st;
	PQclear(r);
	return DB_OK;
}

enum db_status
deliveries_prune(struct db *db, long keep_seconds, char *err, size_t errlen)
{
	char secs[24];
	const char *params[1] = { secs };
	enum db_status st;
	PGresult *r;

	(void)str_fmt(secs, sizeof(secs), "%ld", keep_seconds);
	if ((r = db_exec(db, &prune_stmt, params, &st, err, errlen)) == NULL)
		return st;
	PQclear(r);
	return DB_OK;
}
