/* video_view.c: reading a video row (see video_view.h). */
#include "shared/views/video_view.h"

#include "shared/json.h"

static const struct db_stmt get_stmt = {
	"video_view_get",
	"SELECT row_to_json(v)::text FROM videos v WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)",
	2, true
};

enum db_status
video_view_get(struct db *db, const char *video_id, const char *tenant_id, json_object **row, char *err,
    size_t errlen)
{
	const char *params[2] = { video_id, tenant_id };
	enum db_status st;
	PGresult *r = db_exec(db, &get_stmt, params, &st, err, errlen);

	*row = NULL;
	if (r == NULL)
		return st;
	if (PQntuples(r) == 1 && (*row = json_parse(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), err,
	    errlen)) == NULL)
		st = DB_ERROR;
	PQclear(r);
	return st;
}
