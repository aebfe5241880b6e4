/* params.c: flow names and the one parser of flow parameters (see params.h). Each flow's own fields are
 * read by one small function of the table below; the rules are written once, here. */
#include "shared/intake/params.h"

#include "shared/json.h"
#include "shared/str.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef int (*fields_fn)(json_object *obj, struct flow_params *out, char *why, size_t whylen);

static int initial_fields(json_object *obj, struct flow_params *out, char *why, size_t whylen);
static int crop_fields(json_object *obj, struct flow_params *out, char *why, size_t whylen);
static int caption_fields(json_object *obj, struct flow_params *out, char *why, size_t whylen);
static int diagnostic_fields(json_object *obj, struct flow_params *out, char *why, size_t whylen);

static const struct {
	const char *name;
	bool needs_video;
	fields_fn fields;   /* the flow's own fields; NULL: none */
} flows[FLOW__MAX] = {
	[FLOW_VIDEO_INITIAL_PROCESSING] = { "video_initial_processing", true, initial_fields },
	[FLOW_CROP_AND_INFER] = { "crop_and_infer", true, crop_fields },
	[FLOW_CAPTION_OCR] = { "caption_ocr", true, caption_fields },
	[FLOW_NOOP] = { "noop", false, NULL },
	[FLOW_DIAGNOSTIC] = { "diagnostic", false, diagnostic_fields },
};

#define CROP_RULE "crop_region must hold crop_left, crop_top, crop_right and crop_bottom in [0,1] with " \
	"left < right and top < bottom"
#define CAPTION_IDS_RULE "caption_ids must be a list of 1 to 10000 different caption numbers (whole numbers from 1)"

const char *
params_flow_name(enum flow_id flow)
{
	return (flow >= 0 && flow < FLOW__MAX) ? flows[flow].name : "?";
}

int
params_flow_parse(const char *name, enum flow_id *out)
{
	for (int i = 0; name != NULL && i < FLOW__MAX; i++) {
		if (strcmp(flows[i].name, name) == 0) {
			*out = (enum flow_id)i;
			return 0;
		}
	}
	return -1;
}

const char *
params_flow_list(void)
{
	static char list[256];

	if (list[0] == '\0')
		for (int i = 0; i < FLOW__MAX; i++)
			(void)str_fmt(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", flows[i].name);
	return list;
}

bool
params_flow_needs_video(enum flow_id flow)
{
	return flow >= 0 && flow < FLOW__MAX && flows[flow].needs_video;
}

/* One id field into out: absent is fine unless required; present must be a valid id. */
static int
id_field(json_object *obj, const char *name, bool required, char *out, size_t len, char *why, size_t whylen)
{
	const char *v = NULL;
	enum json_field f = json_get_string(obj, name, &v);

	out[0] = '\0';
	if (f == JSON_FIELD_MISSING && !required)
		return 0;
	if (f == JSON_FIELD_OK && validate_id(v) && str_copy(out, len, v) == 0)
		return 0;
	(void)str_fmt(why, whylen, "%s must be an id of 1-128 letters, digits, _ or -", name);
	return -1;
}

static int
initial_fields(json_object *obj, struct flow_params *out, char *why, size_t whylen)
{
	const char *key = NULL;
	char reason[200];

	if (json_get_string(obj, "storage_key", &key) != JSON_FIELD_OK) {
		(void)str_fmt(why, whylen, "storage_key must be a string");
		return -1;
	}
	if (!validate_storage_key(key, out->tenant_id, reason, sizeof(reason)) ||
	    str_copy(out->storage_key, sizeof(out->storage_key), key) != 0) {
		(void)str_fmt(why, whylen, "storage_key %s", reason);
		return -1;
	}
	return 0;
}

/* A number of obj in [0,1]. */
static bool
fraction(json_object *obj, const char *name, double *out)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, name, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return false;
	*out = json_object_get_double(v);
	return isfinite(*out) && *out >= 0 && *out <= 1;
}

static int
crop_fields(json_object *obj, struct flow_params *out, char *why, size_t whylen)
{
	struct params_crop *c = &out->crop;
	json_object *r = NULL;

	if (json_get_object(obj, "crop_region", &r) != JSON_FIELD_OK || !fraction(r, "crop_left", &c->left) ||
	    !fraction(r, "crop_top", &c->top) || !fraction(r, "crop_right", &c->right) ||
	    !fraction(r, "crop_bottom", &c->bottom) || !(c->left < c->right && c->top < c->bottom)) {
		(void)str_fmt(why, whylen, CROP_RULE);
		return -1;
	}
	return 0;
}

static int
long_order(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* Whether a caption number is asked for twice (its OCR would run twice): 1 if so, -1 out of memory. */
static int
repeats(const long *ids, size_t n)
{
	long *sorted = malloc(n * sizeof(*sorted));
	int found = 0;

	if (sorted == NULL)
		return -1;
	memcpy(sorted, ids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), long_order);
	for (size_t i = 1; i < n && !found; i++)
		found = sorted[i] == sorted[i - 1];
	free(sorted);
	return found;
}

static int
caption_fields(json_object *obj, struct flow_params *out, char *why, size_t whylen)
{
	json_object *a = NULL;
	size_t n;

	if (!json_object_object_get_ex(obj, "caption_ids", &a) || !json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) == 0 || n > PARAMS_CAPTION_IDS_MAX)
		goto bad;
	if ((out->caption_ids = calloc(n, sizeof(*out->caption_ids))) == NULL) {
		(void)str_fmt(why, whylen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(a, i);
		int64_t id;

		if (!json_object_is_type(v, json_type_int) || (id = json_object_get_int64(v)) < 1 ||
		    id > PARAMS_CAPTION_ID_MAX)
			goto bad;
		out->caption_ids[i] = (long)id;
	}
	out->ncaption_ids = n;
	switch (repeats(out->caption_ids, n)) {
	case 0:
		return 0;
	case -1:
		(void)str_fmt(why, whylen, "out of memory");
		return -1;
	default:
		goto bad;
	}
bad:
	(void)str_fmt(why, whylen, CAPTION_IDS_RULE);
	return -1;
}

/* An optional step name of the diagnostic flow. */
static int
step_field(json_object *obj, const char *name, char *out, size_t len, char *why, size_t whylen)
{
	const char *v = NULL;
	enum json_field f = json_get_string(obj, name, &v);

	if (f == JSON_FIELD_MISSING || (f == JSON_FIELD_OK && str_copy(out, len, v) == 0))
		return 0;
	(void)str_fmt(why, whylen, "%s must be a step name of at most %zu characters", name, len - 1);
	return -1;
}

static int
diagnostic_fields(json_object *obj, struct flow_params *out, char *why, size_t whylen)
{
	json_object *v = NULL;

	if (json_object_object_get_ex(obj, "sleep_ms", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_int) || (out->sleep_ms = (long)json_object_get_int64(v)) < 0 ||
		    out->sleep_ms > 600000) {
			(void)str_fmt(why, whylen, "sleep_ms must be a whole number from 0 to 600000");
			return -1;
		}
	}
	return step_field(obj, "fail_step", out->fail_step, sizeof(out->fail_step), why, whylen) != 0 ||
	    step_field(obj, "retry_step", out->retry_step, sizeof(out->retry_step), why, whylen) != 0 ? -1 : 0;
}

/* An id of the job's row: valid, and what obj says too when obj names it. */
static int
row_id(json_object *obj, const char *name, const char *value, bool required, char *out, size_t len, char *why,
    size_t whylen)
{
	const char *given = NULL;

	if (id_field(obj, name, false, out, len, why, whylen) != 0)
		return -1;
	given = out[0] != '\0' ? out : NULL;
	if ((value[0] == '\0' && !required && given == NULL) ||
	    (validate_id(value) && (given == NULL || strcmp(given, value) == 0) && str_copy(out, len, value) == 0))
		return 0;
	(void)str_fmt(why, whylen, given != NULL && validate_id(value) ? "%s of the parameters differs from the "
	    "job's" : "the job's %s must be an id of 1-128 letters, digits, _ or -", name);
	return -1;
}

/* Common start and end of both parsers: ids are parsed by ids(), then the flow's own fields. */
static int
parse(enum flow_id flow, json_object *obj, struct flow_params *out, const char *tenant_id, const char *video_id,
    char *why, size_t whylen)
{
	bool need = flow >= 0 && flow < FLOW__MAX && flows[flow].needs_video;
	int rc;

	memset(out, 0, sizeof(*out));
	out->flow = flow;
	if (flow < 0 || flow >= FLOW__MAX) {
		(void)str_fmt(why, whylen, "unknown flow");
		return -1;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		(void)str_fmt(why, whylen, "parameters must be a JSON object");
		return -1;
	}
	if (tenant_id == NULL)
		rc = id_field(obj, "tenant_id", true, out->tenant_id, sizeof(out->tenant_id), why, whylen) != 0 ||
		    id_field(obj, "video_id", need, out->video_id, sizeof(out->video_id), why, whylen) != 0;
	else
		rc = row_id(obj, "tenant_id", tenant_id, true, out->tenant_id, sizeof(out->tenant_id), why, whylen) != 0 ||
		    row_id(obj, "video_id", video_id, need, out->video_id, sizeof(out->video_id), why, whylen) != 0;
	if (rc != 0 || (flows[flow].fields != NULL && flows[flow].fields(obj, out, why, whylen) != 0)) {
		params_free(out);
		out->flow = flow;
		return -1;
	}
	return 0;
}

int
params_parse(enum flow_id flow, json_object *obj, struct flow_params *out, char *why, size_t whylen)
{
	return parse(flow, obj, out, NULL, NULL, why, whylen);
}

int
params_parse_row(enum flow_id flow, const char *tenant_id, const char *video_id, json_object *obj,
    struct flow_params *out, char *why, size_t whylen)
{
	return parse(flow, obj, out, tenant_id ? tenant_id : "", video_id ? video_id : "", why, whylen);
}

json_object *
params_crop_json(const struct params_crop *c)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "crop_left", json_object_new_double(c->left));
	json_object_object_add(r, "crop_top", json_object_new_double(c->top));
	json_object_object_add(r, "crop_right", json_object_new_double(c->right));
	json_object_object_add(r, "crop_bottom", json_object_new_double(c->bottom));
	return r;
}

json_object *
params_caption_ids_json(const long *ids, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int64(ids[i]));
	return a;
}

json_object *
params_json(const struct flow_params *p)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "tenant_id", json_object_new_string(p->tenant_id));
	if (p->video_id[0] != '\0')
		json_object_object_add(o, "video_id", json_object_new_string(p->video_id));
	switch (p->flow) {
	case FLOW_VIDEO_INITIAL_PROCESSING:
		json_object_object_add(o, "storage_key", json_object_new_string(p->storage_key));
		break;
	case FLOW_CROP_AND_INFER:
		json_object_object_add(o, "crop_region", params_crop_json(&p->crop));
		break;
	case FLOW_CAPTION_OCR:
		json_object_object_add(o, "caption_ids", params_caption_ids_json(p->caption_ids, p->ncaption_ids));
		break;
	case FLOW_DIAGNOSTIC:
		if (p->sleep_ms > 0)
			json_object_object_add(o, "sleep_ms", json_object_new_int64(p->sleep_ms));
		if (p->fail_step[0] != '\0')
			json_object_object_add(o, "fail_step", json_object_new_string(p->fail_step));
		if (p->retry_step[0] != '\0')
			json_object_object_add(o, "retry_step", json_object_new_string(p->retry_step));
		break;
	case FLOW_NOOP:
	case FLOW__MAX:
		break;
	}
	return o;
}

void
params_free(struct flow_params *p)
{
	free(p->caption_ids);
	memset(p, 0, sizeof(*p));
}
