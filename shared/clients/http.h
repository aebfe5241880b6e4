/* http.h: one JSON exchange over libcurl for the Modal and Prefect clients: sends a request, collects the
 * answer within a size cap, reads Retry-After, and classifies the outcome (success, transient, permanent,
 * cancelled, too large) in this one place. No secret ever appears in a message. */
#ifndef CAPTIONACC_HTTP_H
#define CAPTIONACC_HTTP_H

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define HTTP_RETRY_AFTER_MAX 3600 /* seconds: a longer Retry-After is cut to this */
#define HTTP_ERROR_MAX 256

enum http_outcome {
	HTTP_OK,         /* a 2xx answer (with parse_json: whose body is JSON, in ->json) */
	HTTP_TRANSIENT,  /* no answer (connection failure, timeout) or 408, 429, 5xx: may work later */
	HTTP_PERMANENT,  /* any other status (4xx, a 3xx not followed): the request itself is wrong */
	HTTP_BAD_JSON,   /* a 2xx answer whose body is not JSON although parse_json asked for it */
	HTTP_TOO_LARGE,  /* the answer grew past max_answer; the transfer was stopped */
	HTTP_REDIRECTS,  /* more than max_redirects redirects */
	HTTP_CANCELLED   /* the cancel callback asked to stop */
};

struct http_request {
	const char *method;            /* "GET", "POST" (a 303 turns it into a GET) or another, sent as is */
	const char *url;
	json_object *body;             /* sent as compact JSON, or NULL for no body */
	const char *const *headers;    /* extra "Name: value" lines, NULL-terminated (may be NULL); Content-Type
	                                * and Accept are application/json already */
	const char *bearer;            /* Authorization: Bearer token, or NULL */
	const char *basic;             /* "user:password" for Basic auth, or NULL (unused with bearer) */
	long connect_timeout_ms;       /* 0: libcurl's default */
	long timeout_ms;               /* the whole exchange, redirects included; 0: none */
	bool follow_redirects;
	long max_redirects;            /* with follow_redirects */
	bool (*cancel)(void *arg);     /* polled while waiting, or NULL; true stops the exchange */
	void *cancel_arg;
	size_t max_answer;             /* bytes of body accepted; a longer answer is HTTP_TOO_LARGE */
	bool fresh_connection;         /* do not reuse a kept-alive connection */
	bool parse_json;               /* parse a 2xx body strictly (json_parse) into ->json */
	CURL *handle;                  /* a caller-owned easy handle, reset and reused (keep-alive), or NULL */
};

struct http_answer {
	enum http_outcome outcome;
	bool answered;                 /* a whole answer arrived (outcomes OK, TRANSIENT with a status,
	                                * PERMANENT, BAD_JSON) */
	long status;                   /* the last status libcurl saw, even when the exchange failed later; 0 */
	long retry_after;              /* Retry-After in seconds (an HTTP date counts as 1), 0 when absent */
	char *body;                    /* the answer's body, NUL-terminated, or NULL when empty */
	size_t len;
	json_object *json;             /* HTTP_OK with parse_json: the parsed body */
	char error[HTTP_ERROR_MAX];    /* one line for any outcome but HTTP_OK: "HTTP 404: <body excerpt>",
	                                * libcurl's reason, or why the body is not JSON */
};

/* Runs one exchange and fills *a (all of it, whatever the outcome); returns a->outcome. The caller frees
 * a's body and JSON with http_answer_free (it may take a->json first and set it to NULL). */
enum http_outcome http_exchange(const struct http_request *rq, struct http_answer *a);
void http_answer_free(struct http_answer *a);

/* The "detail" of a JSON error body ({"detail": "..."} as FastAPI servers such as Prefect send), a string
 * or compact JSON, printable and cut to fit out; "" when the body has none. */
void http_detail(const struct http_answer *a, char *out, size_t outlen);

#endif
