/* json.c: parsing untrusted JSON with json-c's strict tokener and reading fields by type. */
#include "shared/json.h"

#include "shared/str.h"

#include <string.h>

json_object *
json_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	json_tokener *tok = NULL;
	json_object *obj = NULL;
	enum json_tokener_error jerr;

	if (len > (size_t)0x7fffffff) {
		(void)str_fmt(err, errlen, "body is too large to parse");
		return NULL;
	}
	if (memchr(buf, '\0', len) != NULL) {
		(void)str_fmt(err, errlen, "body is not valid JSON: it contains a NUL byte");
		return NULL;
	}
	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		(void)str_fmt(err, errlen, "body is not valid JSON: it ends early");
		goto fail;
	}
	if (jerr != json_tokener_success) {
		(void)str_fmt(err, errlen, "body is not valid JSON: %s", json_tokener_error_desc(jerr));
		goto fail;
	}
	if (obj == NULL) {
		(void)str_fmt(err, errlen, "body is the JSON value null");
		goto fail;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' && buf[i] != '\n') {
			(void)str_fmt(err, errlen, "body is not valid JSON: unexpected text after the value");
			goto fail;
		}
	}
	json_tokener_free(tok);
	return obj;
fail:
	json_object_put(obj);
	json_tokener_free(tok);
	return NULL;
}

enum json_field
json_get_string(json_object *obj, const char *key, const char **out)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return JSON_FIELD_MISSING;
	if (!json_object_is_type(v, json_type_string))
		return JSON_FIELD_WRONG_TYPE;
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return JSON_FIELD_NUL;
	return JSON_FIELD_OK;
}

enum json_field
json_get_object(json_object *obj, const char *key, json_object **out)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return JSON_FIELD_MISSING;
	if (!json_object_is_type(v, json_type_object))
		return JSON_FIELD_WRONG_TYPE;
	*out = v;
	return JSON_FIELD_OK;
}

const char *
json_text(json_object *obj, size_t *len)
{
	return json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	    len);
}
