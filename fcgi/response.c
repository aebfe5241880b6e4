/* response.c: the JSON answer a handler fills in, and writing it to the FastCGI stream (headers strictly
 * before the body). */
#include "fcgi/response.h"

#include "shared/json.h"
#include "shared/log.h"
#include "shared/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
response_error(struct response *resp, int status, const char *detail)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "detail", json_object_new_string(detail));
	response_json(resp, status, o);
}

void
response_text(struct response *resp, char *text, const char *content_type)
{
	json_object_put(resp->body);
	free(resp->text);
	resp->body = NULL;
	resp->status = 200;
	resp->text = text;
	resp->content_type = content_type;
}

void
response_json(struct response *resp, int status, json_object *body)
{
	free(resp->text);
	resp->text = NULL;
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
	char head[640], extra[256] = "";
	size_t len = 2;
	const char *text = resp->text ? resp->text : resp->body ? json_text(resp->body, &len) : "{}";

	if (resp->text != NULL)
		len = strlen(resp->text);
	/* libfcgi's own printf lacks %zu and friends: format with snprintf, write raw. */
	if (resp->allow != NULL && str_fmt(extra, sizeof(extra), "Allow: %s\r\n", resp->allow) != 0)
		extra[0] = '\0';
	if (resp->retry_after > 0 && str_fmt(extra + strlen(extra), sizeof(extra) - strlen(extra),
	    "Retry-After: %ld\r\n", resp->retry_after) != 0)
		extra[0] = '\0';
	if (resp->invalid_token && str_fmt(extra + strlen(extra), sizeof(extra) - strlen(extra),
	    "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n") != 0)
		extra[0] = '\0';
	if (str_fmt(head, sizeof(head), "Status: %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s\r\n", resp->status, reason(resp->status),
	    resp->text != NULL ? resp->content_type : "application/json", len,
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
	free(resp->text);
	memset(resp, 0, sizeof(*resp));
}
