/* request.c: reading the FastCGI request and writing JSON responses. */
#include "fcgi/request.h"

#include "shared/json.h"
#include "shared/log.h"
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

void
response_error(struct response *resp, int status, const char *detail)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "detail", json_object_new_string(detail));
	response_json(resp, status, o);
}

void
response_json(struct response *resp, int status, json_object *body)
{
	json_object_put(resp->body);
	resp->status = status;
	resp->body = body;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return status >= 500 ? "Internal Server Error" : "Unknown";
	}
}

void
response_send(const struct request *req, const struct response *resp)
{
	FCGX_Stream *out = req->fcgx->out;
	char head[512], extra[160] = "";
	size_t len = 2;
	const char *text = resp->body ? json_text(resp->body, &len) : "{}";

	/* libfcgi's own printf lacks %zu and friends: format with snprintf, write raw. */
	if (resp->allow != NULL && str_fmt(extra, sizeof(extra), "Allow: %s\r\n", resp->allow) != 0)
		extra[0] = '\0';
	if (resp->retry_after > 0 && str_fmt(extra + strlen(extra), sizeof(extra) - strlen(extra),
	    "Retry-After: %ld\r\n", resp->retry_after) != 0)
		extra[0] = '\0';
	if (str_fmt(head, sizeof(head), "Status: %d %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s\r\n", resp->status, reason(resp->status), len,
	    extra) != 0) {
		log_error("response header does not fit");
		return;
	}
	FCGX_PutStr(head, (int)strlen(head), out);
	if (req->method != METHOD_HEAD)
		FCGX_PutStr(text, (int)len, out);
}

void
response_clear(struct response *resp)
{
	json_object_put(resp->body);
	memset(resp, 0, sizeof(*resp));
}
