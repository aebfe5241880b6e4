/* webhooks.c: POST /webhooks/supabase/videos: a validated INSERT becomes one prioritised
 * video_initial_processing job through the intake path (parse -> submit -> answer). With
 * WEBHOOK_SIGNING_SECRET, the signature is checked first and a repeated webhook-id gets its first answer. */
#include "fcgi/handlers.h"

#include "shared/clock.h"
#include "shared/intake/deliveries.h"
#include "shared/intake/webhook.h"
#include "shared/log.h"
#include "shared/signature.h"
#include "shared/str.h"

#include <string.h>
#include <time.h>

/* Old answers are deleted at most this often per process. */
#define PRUNE_EVERY_MS (60 * 1000LL)

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

/* The webhook itself, once it is known to be genuine. */
static void
videos_post(struct app *app, const struct request *req, struct response *resp)
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

/* The Standard Webhooks headers and signature: true when genuine; otherwise the answer is set (401, or 500
 * when the server's own secret is unusable) and the log says which check failed. */
static bool
signed_ok(struct app *app, const struct request *req, struct response *resp)
{
	char why[160];
	enum signature_result r;

	r = signature_verify(app->cfg.webhook_signing_secret, request_header(req, "HTTP_WEBHOOK_ID"),
	    request_header(req, "HTTP_WEBHOOK_TIMESTAMP"), req->body, req->body_len,
	    request_header(req, "HTTP_WEBHOOK_SIGNATURE"), time(NULL), app->cfg.webhook_tolerance_seconds, why,
	    sizeof(why));
	switch (r) {
	case SIGNATURE_OK:
		return true;
	case SIGNATURE_BAD_SECRET:
	case SIGNATURE_ERROR:
		log_error("webhook: %s", why);
		response_error(resp, 500, "Internal error");
		return false;
	case SIGNATURE_MISSING:
	case SIGNATURE_MALFORMED:
	case SIGNATURE_STALE:
	case SIGNATURE_MISMATCH:
		break;
	}
	log_warn("webhook refused: %s", why);
	response_error(resp, 401, "Unauthorized");
	return false;
}

/* A webhook-id answered before: true with that answer set again (or a 503/500 when the lookup failed);
 * false when the delivery is new. */
static bool
answered_before(struct app *app, const char *id, struct response *resp)
{
	json_object *answer = NULL;
	int status = 0;
	char err[512];
	enum db_status st;

	if ((st = deliveries_lookup(app->db, id, &status, &answer, err, sizeof(err))) != DB_OK) {
		handlers_db_failure(app, resp, st, "webhook: looking the webhook-id up", err);
		return true;
	}
	if (answer == NULL)
		return false;
	log_info("webhook-id %s delivered again: its first answer (%d) again, nothing queued", id, status);
	response_json(resp, status, answer);
	return true;
}

/* Records a 200/202 answer under the webhook-id (other answers are not: a retry may succeed), and now and
 * then deletes the answers no repeat can reach any more: a timestamp may be up to the tolerance in the
 * future, so a repeat can pass its check until twice the tolerance after the first delivery. */
static void
remember(struct app *app, const char *id, const struct response *resp)
{
	static long long next_prune_ms;
	long long now = clock_ms();
	char err[512];

	if (resp->status != 200 && resp->status != 202)
		return;
	if (deliveries_record(app->db, id, resp->status, resp->body, err, sizeof(err)) != DB_OK)
		log_warn("webhook-id %s: its answer was not recorded (a repeat will be processed again): %s", id, err);
	if (now < next_prune_ms)
		return;
	next_prune_ms = now + PRUNE_EVERY_MS;
	if (deliveries_prune(app->db, 2 * app->cfg.webhook_tolerance_seconds + 60, err, sizeof(err)) != DB_OK)
		log_warn("webhook_deliveries: old answers not deleted: %s", err);
}

void
webhooks_videos_post(struct app *app, const struct request *req, struct response *resp)
{
	const char *id = request_header(req, "HTTP_WEBHOOK_ID");

	if (app->cfg.webhook_signing_secret == NULL) {
		videos_post(app, req, resp);
		return;
	}
	if (!signed_ok(app, req, resp) || answered_before(app, id, resp))
		return;
	videos_post(app, req, resp);
	remember(app, id, resp);
}
