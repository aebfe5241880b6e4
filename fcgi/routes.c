/* routes.c: the route table and the way a request reaches its handler: path (with {} id segments) ->
 * method -> authentication -> body checks -> handler. Each failure answers with its own status; a route is
 * one table entry pointing at one handler. */
#include "fcgi/handlers.h"
#include "fcgi/routes.h"

#include "shared/auth.h"
#include "shared/str.h"

#include <string.h>

enum route_auth {
	AUTH_NONE,
	AUTH_WEBHOOK,  /* Authorization: Bearer <one of WEBHOOK_SECRET> (and a signature, when configured) */
	AUTH_USER,     /* Authorization: Bearer <Supabase access token>; the user's tenant known */
	AUTH_INTERNAL, /* X-Cron-Secret: <one of CRON_SECRET> (operators' cron and curl) */
	AUTH_METRICS   /* as AUTH_INTERNAL, or anyone with METRICS_ALLOW_ANONYMOUS (/metrics, /status) */
};

struct route {
	const char *pattern;  /* a path; a "{}" segment matches one id (1-128 of [A-Za-z0-9_-]) */
	enum http_method method;
	enum route_auth auth;
	bool takes_body;      /* a JSON body, bounded by MAX_BODY_BYTES */
	handler_fn handler;
};

static const struct route routes[] = {
	{ .pattern = "/health", .method = METHOD_GET, .auth = AUTH_NONE, .handler = health_get },
	{ .pattern = "/webhooks/supabase/videos", .method = METHOD_POST, .auth = AUTH_WEBHOOK, .takes_body = true,
	  .handler = webhooks_videos_post },
	{ .pattern = "/videos/{}/actions/approve-layout", .method = METHOD_POST, .auth = AUTH_USER,
	  .takes_body = true, .handler = actions_approve_layout },
	{ .pattern = "/videos/{}/actions/caption-ocr", .method = METHOD_POST, .auth = AUTH_USER, .takes_body = true,
	  .handler = actions_caption_ocr },
	{ .pattern = "/videos/{}", .method = METHOD_GET, .auth = AUTH_USER, .handler = videos_get },
	{ .pattern = "/videos/{}/jobs", .method = METHOD_GET, .auth = AUTH_USER, .handler = videos_jobs_get },
	{ .pattern = "/jobs/{}", .method = METHOD_GET, .auth = AUTH_USER, .handler = jobs_get },
	{ .pattern = "/api/internal/seed-backfill-queue", .method = METHOD_POST, .auth = AUTH_INTERNAL,
	  .takes_body = true, .handler = internal_seed_backfill },
	{ .pattern = "/api/internal/schedule-backfill", .method = METHOD_POST, .auth = AUTH_INTERNAL,
	  .takes_body = true, .handler = internal_schedule_backfill },
	{ .pattern = "/api/internal/backfill-stats", .method = METHOD_GET, .auth = AUTH_INTERNAL,
	  .handler = internal_backfill_stats },
	{ .pattern = "/metrics", .method = METHOD_GET, .auth = AUTH_METRICS, .handler = metrics_get },
	{ .pattern = "/status", .method = METHOD_GET, .auth = AUTH_METRICS, .handler = status_page_get },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

int
routes_match(const char *pattern, const char *path, char params[][VALIDATE_ID_MAX + 1], int max, int *n)
{
	const char *p = pattern, *q = path;

	*n = 0;
	while (*p != '\0' && *q != '\0') {
		size_t plen = strcspn(p, "/"), qlen = strcspn(q, "/");

		if (plen == 2 && strncmp(p, "{}", 2) == 0) {
			if (*n == max || qlen == 0 || qlen > VALIDATE_ID_MAX ||
			    str_fmt(params[*n], VALIDATE_ID_MAX + 1, "%.*s", (int)qlen, q) != 0 || !validate_id(params[*n]))
				return -1;
			++*n;
		} else if (plen != qlen || strncmp(p, q, plen) != 0)
			return -1;
		p += plen;
		q += qlen;
		if ((*p == '/') != (*q == '/'))
			return -1;
		p += *p == '/';
		q += *q == '/';
	}
	return *p == '\0' && *q == '\0' ? 0 : -1;
}

/* The Allow header of a path: the methods of every route it matches ("GET, HEAD" for GET routes). */
static void
allow_header(const char *path, char *buf, size_t len)
{
	char params[REQUEST_PARAMS_MAX][VALIDATE_ID_MAX + 1];
	int n;

	buf[0] = '\0';
	for (size_t i = 0; i < NROUTES; i++) {
		if (routes_match(routes[i].pattern, path, params, REQUEST_PARAMS_MAX, &n) != 0)
			continue;
		if (buf[0] != '\0')
			(void)str_fmt(buf + strlen(buf), len - strlen(buf), ", ");
		(void)str_fmt(buf + strlen(buf), len - strlen(buf), "%s%s", request_method_name(routes[i].method),
		    routes[i].method == METHOD_GET ? ", HEAD" : "");
	}
}

/* The route of the request's path and method; *known tells whether the path is known at all. Its {}
 * segments go to req->params. */
static const struct route *
find(struct request *req, bool *known)
{
	*known = false;
	for (size_t i = 0; i < NROUTES; i++) {
		if (routes_match(routes[i].pattern, req->path, req->params, REQUEST_PARAMS_MAX, &req->nparams) != 0)
			continue;
		*known = true;
		req->route = routes[i].pattern;
		if (routes[i].method == req->method || (routes[i].method == METHOD_GET && req->method == METHOD_HEAD))
			return &routes[i];
	}
	return NULL;
}

/* -1 when the request was answered (401, 403 or 503). */
static int
authenticate(struct app *app, const struct route *rt, struct request *req, struct response *resp)
{
	switch (rt->auth) {
	case AUTH_NONE:
		return 0;
	case AUTH_WEBHOOK:
		if (auth_bearer_ok(req->authorization, app->cfg.webhook_secret))
			return 0;
		response_error(resp, 401, "Unauthorized");
		return -1;
	case AUTH_USER:
		return users_authenticate(app, req, resp);
	case AUTH_METRICS:
		if (app->cfg.metrics_allow_anonymous)
			return 0;
		/* FALLTHROUGH */
	case AUTH_INTERNAL:
		/* Every listed secret is compared in constant time; an unset CRON_SECRET accepts nobody. */
		if (auth_secret_listed(request_header(req, "HTTP_X_CRON_SECRET"), app->cfg.cron_secret))
			return 0;
		response_error(resp, 401, "Unauthorized");
		return -1;
	}
	response_error(resp, 401, "Unauthorized");
	return -1;
}

/* -1 when the request was answered (400, 413 or 415). */
static int
read_body(struct app *app, struct request *req, struct response *resp)
{
	if (req->content_length < 0) {
		response_error(resp, 400, "Content-Length is not a valid number");
		return -1;
	}
	if (req->content_length > app->cfg.max_body_bytes) {
		response_error(resp, 413, "Request body is too large");
		return -1;
	}
	if (!request_is_json(req)) {
		response_error(resp, 415, "Content-Type must be application/json");
		return -1;
	}
	if (request_read_body(req) != 0) {
		response_error(resp, 400, "Request body ended before Content-Length bytes");
		return -1;
	}
	return 0;
}

void
routes_dispatch(struct app *app, struct request *req, struct response *resp, char *allow, size_t allowlen)
{
	bool known;
	const struct route *rt = find(req, &known);

	if (!known) {
		response_error(resp, 404, "Not found");
		return;
	}
	if (rt == NULL) {
		allow_header(req->path, allow, allowlen);
		resp->allow = allow;
		response_error(resp, 405, "Method not allowed");
		return;
	}
	if (authenticate(app, rt, req, resp) != 0 || (rt->takes_body && read_body(app, req, resp) != 0))
		return;
	rt->handler(app, req, resp);
}
