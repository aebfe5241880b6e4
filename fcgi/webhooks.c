/* webhooks.c: POST /webhooks/supabase/videos: a validated INSERT becomes one prioritised
 * video_initial_processing job through the intake path (parse -> submit -> answer). */
#include "fcgi/handlers.h"

#include "shared/intake/webhook.h"
#include "shared/log.h"
#include "shared/str.h"

#include <string.h>

/* The webhook's video as the flow's parameters (webhook_parse checked each against the same bounds). */
static int
initial_params(const struct webhook_video *ev, struct flow_params *p)
{
	memset(p, 0, sizeof(*p));
	p->flow = FLOW_VIDEO_INITIAL_PROCESSING;
	return str_copy(p->tenant_id, sizeof(p->tenant_id), ev->tenant_id) != 0 ||
	    str_copy(p->video_id, sizeof(p->video_id), ev->video_id) != 0 ||
	    str_copy(p->storage_key, sizeof(p->storage_key), ev->storage_key) != 0 ? -1 : 0;
}

static void
answer_ignored(struct response *resp)
{
	json_object *answer = json_object_new_object();

	json_object_object_add(answer, "status", json_object_new_string("ignored"));
	response_json(resp, 200, answer);
}

/* 202 with the job (a repeat delivery answers with the job that exists: its id, priority and tags). */
static void
answer_accepted(struct response *resp, const struct intake_answer *ans)
{
	json_object *answer = json_object_new_object();

	json_object_object_add(answer, "success", json_object_new_boolean(1));
	json_object_object_add(answer, "status", json_object_new_string("accepted"));
	json_object_object_add(answer, "flow_run_id", json_object_new_string(ans->id));
	json_object_object_add(answer, "priority", json_object_new_int(ans->priority));
	json_object_object_add(answer, "tags", json_object_get(ans->tags));
	response_json(resp, 202, answer);
}

void
webhooks_videos_post(struct app *app, const struct request *req, struct response *resp)
{
	struct webhook_video ev;
	struct flow_params p;
	struct intake_answer ans;
	struct intake_request ir;
	char err[512];
	enum intake_result r;

	if (webhook_parse(req->body, req->body_len, &ev, err, sizeof(err)) != 0) {
		response_error(resp, 400, err);
		return;
	}
	if (ev.type != WEBHOOK_INSERT) {
		answer_ignored(resp);
		return;
	}
	if (initial_params(&ev, &p) != 0) {
		response_error(resp, 500, "Internal error");
		return;
	}
	ir = (struct intake_request){ .params = &p, .triggered_by = "supabase_webhook",
		.has_created_at = ev.has_created_at, .created_at = ev.created_at, .priority = -1 };
	if ((r = intake_submit(&app->intake, &ir, &ans)) == INTAKE_OK)
		answer_accepted(resp, &ans);
	else
		handlers_intake_failure(app, resp, r, &ans, ev.video_id);
	intake_answer_free(&ans);
}
