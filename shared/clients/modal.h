/* modal.h: calls a GPU function deployed as a Modal web endpoint: JSON over HTTP with Modal-Key and
 * Modal-Secret, following Modal's 303 result redirects, bounded in time, and classifying the outcome as
 * success, retryable (connection, timeout, 429, 5xx) or permanent (other 4xx, malformed answers). */
#ifndef CAPTIONACC_MODAL_H
#define CAPTIONACC_MODAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

enum modal_outcome {
	MODAL_OK,        /* *result holds the function's JSON object */
	MODAL_PENDING,   /* a poll endpoint answered 202: the call is still running */
	MODAL_RETRY,     /* transient: try again later */
	MODAL_PERMANENT  /* retrying will not help */
};

struct modal_opts {
	const char *key;            /* Modal-Key (may be NULL: no proxy auth) */
	const char *secret;         /* Modal-Secret */
	long connect_timeout_s;
	long timeout_s;             /* whole call, redirects included */
	long max_redirects;
	bool (*cancel)(void *arg);  /* polled while waiting; true aborts the call (as MODAL_RETRY) */
	void *cancel_arg;
};

/* POSTs body (or GETs when body is NULL) to url. On MODAL_OK *result is a new object the caller frees.
 * err gets one line naming what failed, never a secret. */
enum modal_outcome modal_request(const struct modal_opts *o, const char *url, json_object *body,
    json_object **result, long *http_status, char *err, size_t errlen);

#endif
