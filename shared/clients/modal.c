/* modal.c: the Modal web-endpoint client: Modal's headers, result redirects and answers on top of the
 * shared JSON exchange (shared/clients/http.c). */
#include "shared/clients/modal.h"

#include "shared/clients/http.h"
#include "shared/str.h"

#define MODAL_MAX_RESPONSE (16L * 1024 * 1024)

/* Modal's reading of one exchange; on MODAL_OK takes a->json into *result (the caller frees it). */
static enum modal_outcome
outcome(const struct modal_opts *o, struct http_answer *a, json_object **result, char *err, size_t errlen)
{
	switch (a->outcome) {
	case HTTP_CANCELLED:
		(void)str_fmt(err, errlen, "interrupted (runner stopping)");
		return MODAL_RETRY;
	case HTTP_REDIRECTS:
		(void)str_fmt(err, errlen, "still running after %ld result redirects", o->max_redirects);
		return MODAL_RETRY;
	case HTTP_TOO_LARGE:
		(void)str_fmt(err, errlen, "%s", a->error);
		return MODAL_PERMANENT;
	default:
		break;
	}
	if (a->answered && a->status == 202)
		return MODAL_PENDING;
	if (a->outcome == HTTP_OK && json_object_is_type(a->json, json_type_object)) {
		*result = a->json;
		a->json = NULL;
		return MODAL_OK;
	}
	if (a->outcome == HTTP_OK || a->outcome == HTTP_BAD_JSON) {
		(void)str_fmt(err, errlen, "HTTP %ld with an answer that is not a JSON object", a->status);
		return MODAL_PERMANENT;
	}
	(void)str_fmt(err, errlen, "%s", a->error); /* libcurl's reason, or "HTTP <status>: <excerpt>" */
	return a->outcome == HTTP_TRANSIENT ? MODAL_RETRY : MODAL_PERMANENT;
}

enum modal_outcome
modal_request(const struct modal_opts *o, const char *url, json_object *body, json_object **result,
    long *http_status, char *err, size_t errlen)
{
	char hkey[512], hsecret[512];
	/* "Expect:" keeps libcurl from waiting for a 100-continue before a large body. */
	const char *headers[] = { "Expect:", hkey, hsecret, NULL };
	struct http_request rq = { 0 };
	struct http_answer a;
	enum modal_outcome out;

	*result = NULL;
	*http_status = 0;
	if (o->key == NULL || o->secret == NULL)
		headers[1] = NULL;
	else if (str_fmt(hkey, sizeof(hkey), "Modal-Key: %s", o->key) != 0 ||
	    str_fmt(hsecret, sizeof(hsecret), "Modal-Secret: %s", o->secret) != 0) {
		(void)str_fmt(err, errlen, "MODAL_KEY or MODAL_SECRET is too long");
		return MODAL_PERMANENT;
	}
	rq.method = body != NULL ? "POST" : "GET";
	rq.url = url;
	rq.body = body;
	rq.headers = headers;
	rq.connect_timeout_ms = o->connect_timeout_s * 1000;
	rq.timeout_ms = o->timeout_s * 1000;
	/* Modal answers a call longer than 150 s with 303 to a result URL, which is fetched with a GET. */
	rq.follow_redirects = true;
	rq.max_redirects = o->max_redirects;
	rq.cancel = o->cancel;
	rq.cancel_arg = o->cancel_arg;
	rq.max_answer = MODAL_MAX_RESPONSE;
	rq.parse_json = true;
	(void)http_exchange(&rq, &a);
	*http_status = a.status;
	out = outcome(o, &a, result, err, errlen);
	http_answer_free(&a);
	return out;
}
