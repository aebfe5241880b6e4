/* http.c: one JSON exchange on libcurl for the Modal and Prefect clients: the request, the answer collected
 * within a cap, Retry-After, and the one classification of the outcome. */
#include "shared/clients/http.h"

#include "shared/json.h"
#include "shared/str.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXCERPT_MAX 160 /* characters of an error body quoted in a message */

/* What libcurl's callbacks fill while the exchange runs. */
struct sink {
	struct http_answer *a;
	size_t cap;
	bool too_large;
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	struct http_answer *a = s->a;
	size_t n = size * nmemb;
	char *grown;

	if (a->len + n > s->cap) {
		s->too_large = true;
		return 0;
	}
	if ((grown = realloc(a->body, a->len + n + 1)) == NULL)
		return 0;
	a->body = grown;
	memcpy(a->body + a->len, data, n);
	a->len += n;
	a->body[a->len] = '\0';
	return n;
}

/* Retry-After: delta seconds, at most HTTP_RETRY_AFTER_MAX; an HTTP date (or junk) counts as 1 s. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_answer *a = ((struct sink *)arg)->a;
	size_t n = size * nmemb;
	char line[128], *end;
	long v;

	if (n > 12 && n < sizeof(line) && strncasecmp(data, "Retry-After:", 12) == 0) {
		memcpy(line, data + 12, n - 12);
		line[n - 12] = '\0';
		errno = 0;
		v = strtol(line, &end, 10);
		a->retry_after = (errno == 0 && end != line && v >= 0) ?
		    (v > HTTP_RETRY_AFTER_MAX ? HTTP_RETRY_AFTER_MAX : v) : 1;
	}
	return n;
}

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct http_request *rq = arg;

	return rq->cancel(rq->cancel_arg) ? 1 : 0;
}

/* Content-Type and Accept, then the caller's lines. NULL when out of memory; the caller frees the list with
 * curl_slist_free_all. */
static struct curl_slist *
header_list(const struct http_request *rq)
{
	static const char *const fixed[] = { "Content-Type: application/json", "Accept: application/json", NULL };
	const char *const *sets[] = { fixed, rq->headers };
	struct curl_slist *list = NULL, *grown;

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		for (const char *const *h = sets[i]; h != NULL && *h != NULL; h++) {
			if ((grown = curl_slist_append(list, *h)) == NULL) {
				curl_slist_free_all(list);
				return NULL;
			}
			list = grown;
		}
	}
	return list;
}

/* The method and body. POST stays a plain POST (no CURLOPT_CUSTOMREQUEST) so that libcurl turns it into
 * a GET when following a 303. The body text is owned by rq->body, which outlives the exchange. */
static void
set_method(CURL *h, const struct http_request *rq)
{
	bool post = strcmp(rq->method, "POST") == 0;
	const char *text = "";
	size_t len = 0;

	if (!post && strcmp(rq->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	if (!post && rq->body == NULL)
		return;
	if (rq->body != NULL)
		text = json_text(rq->body, &len);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
}

static void
configure(CURL *h, const struct http_request *rq, struct curl_slist *hdrs, struct sink *s)
{
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
	if (rq->follow_redirects) {
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, rq->max_redirects);
	}
	if (rq->cancel != NULL) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)rq);
	}
	if (rq->bearer != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, rq->bearer);
	} else if (rq->basic != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERPWD, rq->basic);
	}
	if (rq->fresh_connection)
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	set_method(h, rq);
}

/* Control characters (a body may hold anything) become spaces, so a message stays one line. */
static void
printable(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* Why an exchange stopped before a whole answer arrived; the reason goes to a->error. */
static enum http_outcome
failure(CURLcode cc, const struct sink *s, const struct http_request *rq, struct http_answer *a)
{
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		(void)str_fmt(a->error, sizeof(a->error), "cancelled");
		return HTTP_CANCELLED;
	}
	if (cc == CURLE_TOO_MANY_REDIRECTS) {
		(void)str_fmt(a->error, sizeof(a->error), "more than %ld redirects", rq->max_redirects);
		return HTTP_REDIRECTS;
	}
	if (s->too_large) {
		(void)str_fmt(a->error, sizeof(a->error), "answer larger than %zu bytes", s->cap);
		return HTTP_TOO_LARGE;
	}
	(void)str_fmt(a->error, sizeof(a->error), "%s", curl_easy_strerror(cc));
	return HTTP_TRANSIENT;
}

/* The outcome of a finished exchange: the one place that decides what is transient and what is not.
 * a->error is written for anything but HTTP_OK. */
static enum http_outcome
classify(CURLcode cc, const struct sink *s, const struct http_request *rq, struct http_answer *a)
{
	char ex[EXCERPT_MAX + 1];
	long st = a->status;

	a->answered = cc == CURLE_OK;
	if (cc != CURLE_OK)
		return failure(cc, s, rq, a);
	if (st >= 200 && st < 300) {
		if (!rq->parse_json)
			return HTTP_OK;
		a->json = json_parse(a->body != NULL ? a->body : "", a->len, a->error, sizeof(a->error));
		return a->json != NULL ? HTTP_OK : HTTP_BAD_JSON;
	}
	(void)str_fmt(ex, sizeof(ex), "%s", a->body != NULL ? a->body : ""); /* cut on purpose */
	printable(ex);
	(void)str_fmt(a->error, sizeof(a->error), "HTTP %ld%s%s", st, ex[0] ? ": " : "", ex);
	return (st == 408 || st == 429 || st >= 500 || st < 200) ? HTTP_TRANSIENT : HTTP_PERMANENT;
}

enum http_outcome
http_exchange(const struct http_request *rq, struct http_answer *a)
{
	struct sink s = { a, rq->max_answer, false };
	struct curl_slist *hdrs = NULL;
	CURL *h = rq->handle;
	CURLcode cc;

	memset(a, 0, sizeof(*a));
	a->outcome = HTTP_TRANSIENT;
	if ((h == NULL && (h = curl_easy_init()) == NULL) || (hdrs = header_list(rq)) == NULL) {
		(void)str_fmt(a->error, sizeof(a->error), "out of memory");
		goto out;
	}
	if (h == rq->handle)
		curl_easy_reset(h); /* keeps the connection cache: a kept-alive connection is reused */
	configure(h, rq, hdrs, &s);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
	a->outcome = classify(cc, &s, rq, a);
out:
	curl_slist_free_all(hdrs);
	if (h != NULL && h != rq->handle)
		curl_easy_cleanup(h);
	return a->outcome;
}

void
http_answer_free(struct http_answer *a)
{
	free(a->body);
	a->body = NULL;
	a->len = 0;
	json_object_put(a->json);
	a->json = NULL;
}

void
http_detail(const struct http_answer *a, char *out, size_t outlen)
{
	json_object *o, *d = NULL;
	char jerr[64];

	out[0] = '\0';
	if (a->body == NULL || (o = json_parse(a->body, a->len, jerr, sizeof(jerr))) == NULL)
		return;
	if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "detail", &d))
		(void)str_fmt(out, outlen, "%s", json_object_is_type(d, json_type_string) ? json_object_get_string(d) :
		    json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN)); /* cut on purpose */
	printable(out);
	json_object_put(o);
}
