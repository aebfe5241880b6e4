/* users.c: who is calling an AUTH_USER route: a Supabase access token (shared/token.c) and the tenant of
 * its user (user_profiles), checked before any handler runs. */
#include "fcgi/handlers.h"

#include "shared/intake/tenant.h"
#include "shared/log.h"
#include "shared/str.h"

#include <strings.h>
#include <time.h>

static int
unauthorized(struct response *resp)
{
	response_error(resp, 401, "Unauthorized");
	resp->invalid_token = true;
	return -1;
}

/* The token of "Authorization: Bearer <token>" (scheme case-insensitive), or NULL. */
static const char *
bearer_token(const char *header)
{
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return NULL;
	header += 7;
	while (*header == ' ')
		header++;
	return *header != '\0' ? header : NULL;
}

int
users_authenticate(struct app *app, struct request *req, struct response *resp)
{
	const char *token = bearer_token(req->authorization);
	struct token_claims claims;
	char why[256], err[512];
	bool found = false;
	enum db_status st;

	if (token == NULL) {
		log_info("access refused: no bearer token");
		return unauthorized(resp);
	}
	if (token_verify(app->tokens, token, time(NULL), &claims, why, sizeof(why)) != 0) {
		log_info("access token refused: %s", why);
		return unauthorized(resp);
	}
	if ((st = tenant_of_user(app->db, claims.sub, req->tenant_id, sizeof(req->tenant_id), &found, err,
	    sizeof(err))) != DB_OK) {
		handlers_db_failure(app, resp, st, "user lookup", err);
		return -1;
	}
	if (!found) {
		log_info("user %s has no profile (no tenant)", claims.sub);
		response_error(resp, 403, "Forbidden");
		return -1;
	}
	if (str_copy(req->user_id, sizeof(req->user_id), claims.sub) != 0)
		return unauthorized(resp); /* cannot happen: sub is a valid id of the same bound */
	return 0;
}
