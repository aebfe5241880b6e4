/* request.c: one request from the FastCGI environment: method, path, headers, the bounded body. */
#include "fcgi/request.h"

#include "shared/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *method_names[METHOD__MAX] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OTHER" };

const char *
request_method_name(enum http_method m)
{
	return (m >= 0 && m < METHOD__MAX) ? method_names[m] : "OTHER";
}

void
request_init(struct request *req, FCGX_Request *fcgx, unsigned long seq)
{
	const char *m = FCGX_GetParam("REQUEST_METHOD", fcgx->envp);
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", fcgx->envp);
	long len;

	memset(req, 0, sizeof(*req));
	req->fcgx = fcgx;
	req->method = METHOD_OTHER;
	for (int i = 0; m != NULL && i < METHOD_OTHER; i++)
		if (strcmp(m, method_names[i]) == 0)
			req->method = (enum http_method)i;
	req->path = FCGX_GetParam("DOCUMENT_URI", fcgx->envp);
	if (req->path == NULL)
		req->path = FCGX_GetParam("SCRIPT_NAME", fcgx->envp);
	if (req->path == NULL)
		req->path = "/";
	req->content_type = FCGX_GetParam("CONTENT_TYPE", fcgx->envp);
	req->authorization = FCGX_GetParam("HTTP_AUTHORIZATION", fcgx->envp);
	req->content_length = 0;
	if (cl != NULL && *cl != '\0')
		req->content_length = str_to_long(cl, 0, 0x7fffffffL, &len) == 0 ? len : -1;
	(void)str_fmt(req->id, sizeof(req->id), "%ld-%lu", (long)getpid(), seq);
}

int
request_read_body(struct request *req)
{
	size_t want = (size_t)req->content_length, got = 0;

	if ((req->body = malloc(want + 1)) == NULL)
		return -1;
	while (got < want) {
		int n = FCGX_GetStr(req->body + got, (int)(want - got), req->fcgx->in);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	req->body[got] = '\0';
	req->body_len = got;
	return got == want ? 0 : -1;
}

void
request_drain(struct request *req)
{
	char scratch[16384];

	while (FCGX_GetStr(scratch, (int)sizeof(scratch), req->fcgx->in) > 0)
		;
}

const char *
request_header(const struct request *req, const char *cgi_name)
{
	return FCGX_GetParam(cgi_name, req->fcgx->envp);
}

void
request_clear(struct request *req)
{
	free(req->body);
	req->body = NULL;
}

bool
request_is_json(const struct request *req)
{
	const char *ct = req->content_type;
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}
