/* response.h: the JSON answer a handler fills in; written (headers strictly before the body) by
 * response.c only. */
#ifndef CAPTIONACC_RESPONSE_H
#define CAPTIONACC_RESPONSE_H

#include "fcgi/request.h"

#include <json-c/json.h>
#include <stdbool.h>

struct response {
	int status;
	json_object *body;       /* owned; freed by response_clear() */
	char *text;              /* instead of body: a text answer (owned; malloc'd) ... */
	const char *content_type; /* ... of this static type */
	const char *allow;       /* static text for 405 */
	long retry_after;        /* > 0: send Retry-After */
	bool invalid_token;      /* send WWW-Authenticate: Bearer error="invalid_token" (RFC 6750) */
};

/* Sets an error answer {"detail": detail}. */
void response_error(struct response *resp, int status, const char *detail);
/* Sets an answer with body (ownership passes to resp). */
void response_json(struct response *resp, int status, json_object *body);
/* Sets a 200 answer of text (ownership passes to resp) with the static content_type. */
void response_text(struct response *resp, char *text, const char *content_type);
/* Writes status line, headers and body to the FastCGI stream. */
void response_send(const struct request *req, const struct response *resp);
void response_clear(struct response *resp);

#endif
