/* actions.c: a signed-in user's actions on one of their videos: POST /videos/{id}/actions/approve-layout
 * (crop_and_infer) and /videos/{id}/actions/caption-ocr (caption_ocr). Each is parse -> check the video ->
 * submit through the intake path -> answer {"success":true,"jobId":...}. An Idempotency-Key header makes
 * an action safe to repeat; without one, repeating an action whose identical job still waits or runs
 * returns that job. */
#include "fcgi/handlers.h"

#include "shared/json.h"
#include "shared/log.h"
#include "shared/str.h"
#include "shared/views/video_view.h"

#include <string.h>

#define IDEMPOTENCY_KEY_MAX 128
#define APPROVE_LAYOUT_TYPE "crop-and-infer-caption-frame-extents"

/* Copies the action's own fields from body into params; -1 with a sentence in why. */
typedef int (*fields_fn)(json_object *body, json_object *params, char *why, size_t whylen);

static int
approve_layout_fields(json_object *body, json_object *params, char *why, size_t whylen)
{
	const char *type = NULL;
	json_object *region = NULL;

	if (json_get_string(body, "type", &type) != JSON_FIELD_OK || strcmp(type, APPROVE_LAYOUT_TYPE) != 0) {
		(void)str_fmt(why, whylen, "type must be \"" APPROVE_LAYOUT_TYPE "\"");
		return -1;
	}
	if (json_object_object_get_ex(body, "crop_region", &region))
		json_object_object_add(params, "crop_region", json_object_get(region));
	return 0;
}

static int
caption_ocr_fields(json_object *body, json_object *params, char *why, size_t whylen)
{
	json_object *ids = NULL;

	if (json_object_object_get_ex(body, "caption_ids", &ids))
		json_object_object_add(params, "caption_ids", json_object_get(ids));
	return 0;
}

/* The request's body and the route's video into the flow's typed parameters: the same parser as every
 * other way in (shared/intake/params.c). 400 on failure. */
static int
parse(const struct request *req, enum flow_id flow, fields_fn fields, struct flow_params *p,
    struct response *resp)
{
	json_object *body = NULL, *params = json_object_new_object();
	char why[300];
	int rc = -1;

	if ((body = json_parse(req->body, req->body_len, why, sizeof(why))) == NULL)
		goto out;
	if (!json_object_is_type(body, json_type_object)) {
		(void)str_fmt(why, sizeof(why), "the body must be a JSON object");
		goto out;
	}
	json_object_object_add(params, "tenant_id", json_object_new_string(req->tenant_id));
	json_object_object_add(params, "video_id", json_object_new_string(req->params[0]));
	if (fields(body, params, why, sizeof(why)) == 0 && params_parse(flow, params, p, why, sizeof(why)) == 0)
		rc = 0;
out:
	if (rc != 0)
		response_error(resp, 400, why);
	json_object_put(body);
	json_object_put(params);
	return rc;
}

/* The user's video must exist (another tenant's is unknown: 404) and be active (409); *created_at gets its
 * age's anchor. -1 when the request was answered. */
static int
check_video(struct app *app, const struct request *req, struct response *resp, bool *has_created, time_t *created)
{
	json_object *row = NULL;
	const char *status = NULL, *at = NULL;
	char err[512], detail[128];
	enum db_status st = video_view_get(app->db, req->params[0], req->tenant_id, &row, err, sizeof(err));
	int rc = -1;

	if (st != DB_OK)
		handlers_db_failure(app, resp, st, "video lookup", err);
	else if (row == NULL)
		response_error(resp, 404, "Not found");
	else if (json_get_string(row, "status", &status) != JSON_FIELD_OK || strcmp(status, "active") != 0) {
		(void)str_fmt(detail, sizeof(detail), "The video is not ready for this yet (status %s)",
		    status ? status : "unknown");
		response_error(resp, 409, detail);
	} else {
		*has_created = json_get_string(row, "created_at", &at) == JSON_FIELD_OK &&
		    validate_timestamp(at, created) == 0;
		rc = 0;
	}
	json_object_put(row);
	return rc;
}

/* The Idempotency-Key header as an idempotency key of this tenant and flow ("" when absent). -1 (400)
 * when the header is not 1-128 printable characters. */
static int
idempotency_key(const struct request *req, enum flow_id flow, char *key, size_t len, struct response *resp)
{
	const char *h = request_header(req, "HTTP_IDEMPOTENCY_KEY");
	size_t n = h ? strlen(h) : 0;

	key[0] = '\0';
	if (h == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (h[i] < 0x21 || h[i] > 0x7e)
			n = 0;
	if (n == 0 || n > IDEMPOTENCY_KEY_MAX ||
	    str_fmt(key, len, "action:%s:%s:%s", req->tenant_id, params_flow_name(flow), h) != 0) {
		response_error(resp, 400, "Idempotency-Key must be 1-128 printable characters");
		return -1;
	}
	return 0;
}

static void
answer(struct response *resp, const struct intake_answer *ans)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "jobId", json_object_new_string(ans->id));
	json_object_object_add(o, "created", json_object_new_boolean(ans->created));
	response_json(resp, 200, o);
}

static void
act(struct app *app, const struct request *req, struct response *resp, enum flow_id flow, fields_fn fields)
{
	struct flow_params p = { 0 };
	struct intake_request ir = { .triggered_by = req->user_id, .priority = -1, .dedupe_active = true,
		.params = &p };
	struct intake_answer ans = { 0 };
	char key[INTAKE_KEY_MAX + 1];
	enum intake_result r;

	if (parse(req, flow, fields, &p, resp) != 0 || idempotency_key(req, flow, key, sizeof(key), resp) != 0 ||
	    check_video(app, req, resp, &ir.has_created_at, &ir.created_at) != 0)
		goto out;
	ir.idempotency_key = key[0] ? key : NULL;
	if ((r = intake_submit(&app->intake, &ir, &ans)) == INTAKE_OK)
		answer(resp, &ans);
	else
		handlers_intake_failure(app, resp, r, &ans, req->params[0]);
out:
	intake_answer_free(&ans);
	params_free(&p);
}

void
actions_approve_layout(struct app *app, const struct request *req, struct response *resp)
{
	act(app, req, resp, FLOW_CROP_AND_INFER, approve_layout_fields);
}

void
actions_caption_ocr(struct app *app, const struct request *req, struct response *resp)
{
	act(app, req, resp, FLOW_CAPTION_OCR, caption_ocr_fields);
}
