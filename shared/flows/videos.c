/* videos.c: writes to the videos table, and the typed reading of GPU results that feeds them. */
#include "shared/flows/videos.h"

#include "shared/json.h"
#include "shared/str.h"
#include "shared/validate.h"

#include <math.h>
#include <string.h>

enum field_type { F_INT, F_BIGINT, F_NUMBER, F_TEXT, F_KEY, F_PREFIX }; /* F_INT fits an int column */

struct field {
	const char *names[2];  /* JSON key, and an accepted alias (or NULL) */
	enum field_type type;
	bool required;
};

/* What each GPU function's result must hold, in the order its write binds them. */
static const struct field processing_fields[] = {
	{ { "frame_count", NULL }, F_INT, true },
	{ { "duration", "duration_seconds" }, F_NUMBER, true },
	{ { "frame_width", NULL }, F_INT, false },
	{ { "frame_height", NULL }, F_INT, false },
	{ { "video_codec", NULL }, F_TEXT, false },
	{ { "bitrate", NULL }, F_BIGINT, false },
	{ { "ocr_box_count", NULL }, F_INT, false },
	{ { "failed_ocr_count", NULL }, F_INT, false },
	{ { "processing_duration_seconds", NULL }, F_NUMBER, false },
	{ { "full_frames_key", NULL }, F_PREFIX, false },
	{ { "ocr_db_key", "raw_ocr_db_key" }, F_KEY, false },
	{ { "layout_db_key", NULL }, F_KEY, false },
};
static const struct field layout_fields[] = {
	{ { "version", NULL }, F_INT, true },
	{ { "cropped_frames_key", NULL }, F_PREFIX, false },
	{ { "caption_frame_extents_key", "caption_frame_extents_db_key" }, F_KEY, false },
};
static const struct field captions_fields[] = {
	{ { "captions_db_key", NULL }, F_KEY, true },
};
#define NFIELDS(t) ((int)(sizeof(t) / sizeof((t)[0])))
static const struct {
	const struct field *fields;
	int n;
} results[VIDEOS_RESULT__MAX] = {
	[VIDEOS_RESULT_PROCESSING] = { processing_fields, NFIELDS(processing_fields) },
	[VIDEOS_RESULT_LAYOUT] = { layout_fields, NFIELDS(layout_fields) },
	[VIDEOS_RESULT_CAPTIONS] = { captions_fields, NFIELDS(captions_fields) },
};
#define FIELD_BYTES 1100

/* Reads the listed fields of obj into text parameters (NULL when absent and optional). bufs must hold
 * n * FIELD_BYTES bytes. Returns -1 with the reason in err. */
static int
read_fields(json_object *obj, const char *tenant_id, const struct field *f, int n, const char **params, char *bufs,
    char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		json_object *v = NULL;
		char *buf = bufs + (size_t)i * FIELD_BYTES, why[160];
		const char *name = f[i].names[0];

		params[i] = NULL;
		if (!json_object_object_get_ex(obj, f[i].names[0], &v) && f[i].names[1] != NULL &&
		    json_object_object_get_ex(obj, f[i].names[1], &v))
			name = f[i].names[1];
		if (v == NULL) {
			if (f[i].required) {
				(void)str_fmt(err, errlen, "GPU result has no %s", f[i].names[0]);
				return -1;
			}
			continue;
		}
		switch (f[i].type) {
		case F_INT:
		case F_BIGINT:
			if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
			    (f[i].type == F_INT && json_object_get_int64(v) > 2147483647) ||
			    str_fmt(buf, FIELD_BYTES, "%lld", (long long)json_object_get_int64(v)) != 0)
				goto bad;
			break;
		case F_NUMBER: {
			double d = json_object_get_double(v);

			if (!(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) ||
			    !isfinite(d) || d < 0 || str_fmt(buf, FIELD_BYTES, "%.6f", d) != 0)
				goto bad;
			break;
		}
		case F_TEXT:
		case F_KEY:
		case F_PREFIX:
			if (!json_object_is_type(v, json_type_string) ||
			    str_copy(buf, FIELD_BYTES, json_object_get_string(v)) != 0)
				goto bad;
			if ((f[i].type == F_KEY && !validate_storage_key(buf, tenant_id, why, sizeof(why))) ||
			    (f[i].type == F_PREFIX && !validate_storage_prefix(buf, tenant_id, why, sizeof(why)))) {
				(void)str_fmt(err, errlen, "GPU result %s %s", name, why);
				return -1;
			}
			if (f[i].type == F_TEXT && strlen(buf) > 64)
				goto bad;
			break;
		}
		params[i] = buf;
		continue;
bad:
		(void)str_fmt(err, errlen, "GPU result %s has the wrong type or range", name);
		return -1;
	}
	return 0;
}

int
videos_result_check(enum videos_result kind, json_object *result, const char *tenant_id, char *err, size_t errlen)
{
	const char *params[NFIELDS(processing_fields)];
	char bufs[NFIELDS(processing_fields) * FIELD_BYTES];

	if ((int)kind < 0 || kind >= VIDEOS_RESULT__MAX) {
		(void)str_fmt(err, errlen, "no such GPU result");
		return -1;
	}
	return read_fields(result, tenant_id, results[kind].fields, results[kind].n, params, bufs, err, errlen);
}

/* Runs a fenced write of the video row; a row that did not match is DB_ERROR with `missing`. */
static enum db_status
write_row(struct db *db, const struct db_stmt *stmt, const struct fence *f, const char **params,
    enum fence_result *res, char *err, size_t errlen, const char *missing)
{
	enum db_status st = fence_exec(db, stmt, f, params, res, err, errlen);

	if (st == DB_OK && *res == FENCE_NO_ROW) {
		(void)str_fmt(err, errlen, "%s", missing);
		return DB_ERROR;
	}
	return st;
}

enum db_status
videos_mark_processing(struct db *db, const struct fence *f, const char *video_id, const char *tenant_id,
    const char *storage_key, enum fence_result *res, char *err, size_t errlen)
{
	static const struct db_stmt stmt = {
		"videos_processing",
		"WITH " FENCE_CTE ", w AS ("
		"  INSERT INTO videos (id, tenant_id, storage_key, status) SELECT $3, $4, $5, 'processing' FROM lease"
		"  ON CONFLICT (id) DO UPDATE SET status = 'processing', error_message = NULL, updated_at = now()"
		"    WHERE videos.tenant_id = EXCLUDED.tenant_id"
		"  RETURNING 1)" FENCE_ANSWER,
		5, true
	};
	const char *params[5] = { NULL, NULL, video_id, tenant_id, storage_key };

	return write_row(db, &stmt, f, params, res, err, errlen, "the video belongs to another tenant");
}

enum db_status
videos_record_processing(struct db *db, const struct fence *f, const char *video_id, const char *tenant_id,
    json_object *result, enum fence_result *res, char *err, size_t errlen)
{
	static const struct db_stmt stmt = {
		"videos_record_processing",
		"WITH " FENCE_CTE ", w AS ("
		"  UPDATE videos SET frame_count = $4::int, duration_seconds = $5::float8, frame_width = $6::int,"
		"    frame_height = $7::int, video_codec = $8, bitrate = $9::bigint, ocr_box_count = $10::int,"
		"    failed_ocr_count = $11::int, processing_duration_seconds = $12::float8, full_frames_key = $13,"
		"    raw_ocr_db_key = $14, layout_db_key = $15, status = 'active', error_message = NULL,"
		"    updated_at = now()"
		"  WHERE id = $3 AND EXISTS (SELECT 1 FROM lease) RETURNING 1)" FENCE_ANSWER,
		15, true
	};
	enum { N = NFIELDS(processing_fields) };
	const char *params[N + 3];
	char bufs[N * FIELD_BYTES];

	params[2] = video_id;
	if (read_fields(result, tenant_id, processing_fields, N, params + 3, bufs, err, errlen) != 0)
		return DB_ERROR;
	return write_row(db, &stmt, f, params, res, err, errlen, "the video row is missing");
}

enum db_status
videos_set_error(struct db *db, const struct fence *f, const char *video_id, const char *message,
    enum fence_result *res, char *err, size_t errlen)
{
	static const struct db_stmt stmt = {
		"videos_error",
		"WITH " FENCE_CTE ", w AS ("
		"  UPDATE videos SET status = 'error', error_message = left($4, 2000), updated_at = now()"
		"  WHERE id = $3 AND EXISTS (SELECT 1 FROM lease) RETURNING 1)" FENCE_ANSWER,
		4, true
	};
	const char *params[4] = { NULL, NULL, video_id, message };

	return fence_exec(db, &stmt, f, params, res, err, errlen);
}

enum db_status
videos_record_layout(struct db *db, const struct fence *f, const char *video_id, const char *tenant_id,
    const struct params_crop *crop, json_object *result, enum fence_result *res, char *err, size_t errlen)
{
	static const struct db_stmt stmt = {
		"videos_record_layout",
		"WITH " FENCE_CTE ", w AS ("
		"  UPDATE videos SET crop_left = $4::float8, crop_top = $5::float8, crop_right = $6::float8,"
		"    crop_bottom = $7::float8, layout_version = $8::int, cropped_frames_key = $9,"
		"    caption_frame_extents_key = $10, updated_at = now()"
		"  WHERE id = $3 AND EXISTS (SELECT 1 FROM lease) RETURNING 1)" FENCE_ANSWER,
		10, true
	};
	const double region[4] = { crop->left, crop->top, crop->right, crop->bottom };
	const char *params[10];
	char bufs[7 * FIELD_BYTES];

	params[2] = video_id;
	for (int i = 0; i < 4; i++) {
		if (str_fmt(bufs + (size_t)i * FIELD_BYTES, FIELD_BYTES, "%.6f", region[i]) != 0) {
			(void)str_fmt(err, errlen, "the crop region cannot be written");
			return DB_ERROR;
		}
		params[3 + i] = bufs + (size_t)i * FIELD_BYTES;
	}
	if (read_fields(result, tenant_id, layout_fields, NFIELDS(layout_fields), params + 7, bufs + 4 * FIELD_BYTES, err,
	    errlen) != 0)
		return DB_ERROR;
	return write_row(db, &stmt, f, params, res, err, errlen, "the video row is missing");
}

enum db_status
videos_record_captions(struct db *db, const struct fence *f, const char *video_id, const char *tenant_id,
    json_object *result, enum fence_result *res, char *err, size_t errlen)
{
	static const struct db_stmt stmt = {
		"videos_record_captions",
		"WITH " FENCE_CTE ", w AS ("
		"  UPDATE videos SET captions_db_key = $4, updated_at = now()"
		"  WHERE id = $3 AND EXISTS (SELECT 1 FROM lease) RETURNING 1)" FENCE_ANSWER,
		4, true
	};
	const char *params[4];
	char bufs[FIELD_BYTES];

	params[2] = video_id;
	if (read_fields(result, tenant_id, captions_fields, NFIELDS(captions_fields), params + 3, bufs, err,
	    errlen) != 0)
		return DB_ERROR;
	return write_row(db, &stmt, f, params, res, err, errlen, "the video row is missing");
}

enum db_status
videos_exists(struct db *db, const char *video_id, const char *tenant_id, bool *exists, char *key, size_t keylen,
    char *err, size_t errlen)
{
	static const struct db_stmt stmt = {
		"videos_exists", "SELECT storage_key FROM videos WHERE id = $1 AND tenant_id = $2", 2, true
	};
	const char *params[2] = { video_id, tenant_id };
	enum db_status st;
	PGresult *r = db_exec(db, &stmt, params, &st, err, errlen);

	*exists = false;
	if (key != NULL && keylen > 0)
		key[0] = '\0';
	if (r == NULL)
		return st;
	*exists = PQntuples(r) == 1;
	if (*exists && key != NULL && str_copy(key, keylen, PQgetvalue(r, 0, 0)) != 0)
		key[0] = '\0';
	PQclear(r);
	return DB_OK;
}
