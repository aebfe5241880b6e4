/* http.h: a small libcurl client for the integration tests: one request, or many at once. */
#ifndef CAPTIONACC_TEST_HTTP_H
#define CAPTIONACC_TEST_HTTP_H

#include <stddef.h>

struct http_reply {
	long status;
	char *body;      /* NUL-terminated; owned */
	size_t len;
	char *headers;   /* raw header block; owned */
};

struct http_call {
	const char *method;
	const char *url;
	const char *auth;          /* full Authorization value, or NULL */
	const char *const *headers; /* more header lines ("Name: value"), NULL-terminated; or NULL */
	const char *content_type;  /* NULL: application/json when there is a body */
	const char *body;          /* NULL: none */
	size_t body_len;
	struct http_reply reply;
};

/* Runs every call at once (libcurl multi); returns 0 when all completed (any status), -1 otherwise. */
int http_run(struct http_call *calls, size_t n);
/* One call; returns its status, or -1 on a transport failure. Reply kept in call->reply. */
long http_one(struct http_call *call);
/* A header's value from a reply (case-insensitive name), copied into buf; NULL when absent. */
const char *http_header(const struct http_reply *r, const char *name, char *buf, size_t len);
void http_reply_free(struct http_reply *r);

#endif
