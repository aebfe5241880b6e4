/* webhook.c: the rules of SPEC §4 for POST /webhooks/supabase/videos, as one parse-and-validate step. */
#include "shared/intake/webhook.h"

#include "shared/json.h"
#include "shared/str.h"

#include <string.h>

static const char *
field_problem(enum json_field f)
{
	switch (f) {
	case JSON_FIELD_MISSING:
		return "is missing";
	case JSON_FIELD_WRONG_TYPE:
		return "must be a string";
	case JSON_FIELD_NUL:
		return "contains a NUL character";
	case JSON_FIELD_OK:
		break;
	}
	return "is invalid";
}

/* Reads record.<key> as an opaque id into dst. */
static int
read_id(json_object *record, const char *key, char *dst, size_t dstlen, char *err, size_t errlen)
{
	const char *v = NULL;
	enum json_field f = json_get_string(record, key, &v);

	if (f != JSON_FIELD_OK) {
		(void)str_fmt(err, errlen, "record.%s %s", key, field_problem(f));
		return -1;
	}
	if (!validate_id(v) || str_copy(dst, dstlen, v) != 0) {
		(void)str_fmt(err, errlen, "record.%s must be 1-%d characters of letters, digits, '_' or '-'", key,
		    VALIDATE_ID_MAX);
		return -1;
	}
	return 0;
}

static int
parse_insert(json_object *record, struct webhook_video *out, char *err, size_t errlen)
{
	const char *key = NULL, *created = NULL;
	char why[160];
	enum json_field f;

	if (read_id(record, "id", out->video_id, sizeof(out->video_id), err, errlen) != 0 ||
	    read_id(record, "tenant_id", out->tenant_id, sizeof(out->tenant_id), err, errlen) != 0)
		return -1;
	if ((f = json_get_string(record, "storage_key", &key)) != JSON_FIELD_OK) {
		(void)str_fmt(err, errlen, "record.storage_key %s", field_problem(f));
		return -1;
	}
	if (!validate_storage_key(key, out->tenant_id, why, sizeof(why)) ||
	    str_copy(out->storage_key, sizeof(out->storage_key), key) != 0) {
		(void)str_fmt(err, errlen, "record.storage_key %s", why);
		return -1;
	}
	f = json_get_string(record, "created_at", &created);
	if (f == JSON_FIELD_MISSING) {
		out->has_created_at = false;
	} else if (f != JSON_FIELD_OK || validate_timestamp(created, &out->created_at) != 0) {
		(void)str_fmt(err, errlen, "record.created_at must be an ISO 8601 date-time such as "
		    "2024-01-01T00:00:00Z");
		return -1;
	} else {
		out->has_created_at = true;
	}
	return 0;
}

int
webhook_parse(const char *body, size_t len, struct webhook_video *out, char *err, size_t errlen)
{
	json_object *root = NULL, *record = NULL, *rv = NULL;
	const char *type = NULL, *table = NULL;
	enum json_field f;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((root = json_parse(body, len, err, errlen)) == NULL)
		goto out;
	if (!json_object_is_type(root, json_type_object)) {
		(void)str_fmt(err, errlen, "body must be a JSON object");
		goto out;
	}
	if ((f = json_get_string(root, "type", &type)) != JSON_FIELD_OK) {
		(void)str_fmt(err, errlen, "type %s", field_problem(f));
		goto out;
	}
	f = json_get_string(root, "table", &table);
	if (f == JSON_FIELD_WRONG_TYPE || f == JSON_FIELD_NUL || (f == JSON_FIELD_OK && strcmp(table, "videos"))) {
		(void)str_fmt(err, errlen, "table must be \"videos\": this endpoint takes the videos webhook");
		goto out;
	}
	/* record must be present: an object, or null (a DELETE carries record null). */
	if (!json_object_object_get_ex(root, "record", &rv)) {
		(void)str_fmt(err, errlen, "record is missing");
		goto out;
	}
	if (rv != NULL && !json_object_is_type(rv, json_type_object)) {
		(void)str_fmt(err, errlen, "record must be an object or null");
		goto out;
	}
	record = rv;
	if (strcmp(type, "INSERT") == 0)
		out->type = WEBHOOK_INSERT;
	else if (strcmp(type, "UPDATE") == 0)
		out->type = WEBHOOK_UPDATE;
	else if (strcmp(type, "DELETE") == 0)
		out->type = WEBHOOK_DELETE;
	else
		out->type = WEBHOOK_OTHER;
	if (out->type == WEBHOOK_INSERT) {
		if (record == NULL) {
			(void)str_fmt(err, errlen, "record must be an object for an INSERT");
			goto out;
		}
		if (parse_insert(record, out, err, errlen) != 0)
			goto out;
	}
	rc = 0;
out:
	json_object_put(root);
	return rc;
}
