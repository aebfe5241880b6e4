/* json.h: small helpers on json-c: strict parsing of untrusted bodies and typed field access. */
#ifndef CAPTIONACC_JSON_H
#define CAPTIONACC_JSON_H

#include <json-c/json.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 16

/* Parses exactly len bytes as one strict JSON value (trailing junk, a NUL byte or a bare null is an
 * error). Returns the value (caller frees with json_object_put) or NULL with a sentence in err. */
json_object *json_parse(const char *buf, size_t len, char *err, size_t errlen);

enum json_field {
	JSON_FIELD_OK,
	JSON_FIELD_MISSING, /* absent or null */
	JSON_FIELD_WRONG_TYPE,
	JSON_FIELD_NUL /* a string holding a NUL character (\u0000) */
};

/* The string at key of obj; *out points into obj (valid while obj lives). */
enum json_field json_get_string(json_object *obj, const char *key, const char **out);
/* The object at key of obj (borrowed reference). */
enum json_field json_get_object(json_object *obj, const char *key, json_object **out);
/* Serialises obj compactly; the pointer is owned by obj. */
const char *json_text(json_object *obj, size_t *len);

#endif
