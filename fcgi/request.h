/* request.h: one HTTP request as captionacc-fcgi sees it (from the FastCGI environment). */
#ifndef CAPTIONACC_REQUEST_H
#define CAPTIONACC_REQUEST_H

#include "shared/validate.h"

#include <fcgiapp.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define REQUEST_PARAMS_MAX 2

enum http_method {
	METHOD_GET,
	METHOD_HEAD,
	METHOD_POST,
	METHOD_PUT,
	METHOD_PATCH,
	METHOD_DELETE,
	METHOD_OTHER,
	METHOD__MAX
};

struct request {
	FCGX_Request *fcgx;
	enum http_method method;
	const char *path;          /* normalised by nginx ($document_uri) */
	const char *content_type;  /* may be NULL */
	const char *authorization; /* may be NULL */
	long content_length;       /* -1 when absent or not a number */
	char *body;                /* NUL-terminated copy, owned by the request; NULL until read */
	size_t body_len;
	char id[32];               /* for log lines */
	/* Set by routing (routes.c), before the handler runs: */
	char params[REQUEST_PARAMS_MAX][VALIDATE_ID_MAX + 1];  /* the path's {} segments, valid ids */
	int nparams;
	const char *route;                     /* the route table's pattern the path matched, NULL none */
	char user_id[VALIDATE_ID_MAX + 1];     /* AUTH_USER routes: the signed-in user (token's sub) */
	char tenant_id[VALIDATE_ID_MAX + 1];   /* AUTH_USER routes: that user's tenant */
};

/* Fills req from the FastCGI parameters of fcgx. */
void request_init(struct request *req, FCGX_Request *fcgx, unsigned long seq);
/* Reads exactly content_length bytes of body (the caller checked it against the limit). -1 on a short read. */
int request_read_body(struct request *req);
/* Reads and discards what is left of the body, so a kept-alive FastCGI connection stays in step when a
 * request is answered without reading it (401, 413, 415). nginx bounds the size. */
void request_drain(struct request *req);
void request_clear(struct request *req);
const char *request_method_name(enum http_method m);
/* A request header by its CGI name (e.g. "HTTP_IDEMPOTENCY_KEY"), or NULL. Owned by the FastCGI request. */
const char *request_header(const struct request *req, const char *cgi_name);
/* True for "application/json", with or without parameters such as "; charset=utf-8". */
bool request_is_json(const struct request *req);

#endif
