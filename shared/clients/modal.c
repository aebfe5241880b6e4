/* modal.c: the Modal web-endpoint client on libcurl. */
#include "shared/clients/modal.h"

#include "shared/json.h"
#include "shared/str.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define MODAL_MAX_RESPONSE (16L * 1024 * 1024)

struct sink {
	char *data;
	size_t len;
	bool too_big;
};

static size_t
collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	char *p;

	if (s->len + n > (size_t)MODAL_MAX_RESPONSE) {
		s->too_big = true;
		return 0;
	}
	if ((p = realloc(s->data, s->len + n + 1)) == NULL)
		return 0;
	memcpy(p + s->len, ptr, n);
	s->len += n;
	p[s->len] = '\0';
	s->data = p;
	return n;
}

static int
progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct modal_opts *o = arg;

	return (o->cancel != NULL && o->cancel(o->cancel_arg)) ? 1 : 0;
}

/* A short, printable excerpt of an error body for the message. */
static void
excerpt(const char *body, char *out, size_t outlen)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)(body ? body : ""); *p && o + 1 < outlen && o < 160; p++)
		out[o++] = (*p < 0x20 || *p == 0x7f) ? ' ' : (char)*p;
	out[o] = '\0';
}

enum modal_outcome
modal_request(const struct modal_opts *o, const char *url, json_object *body, json_object **result,
    long *http_status, char *err, size_t errlen)
{
	char hkey[512], hsecret[512], ex[200];
	struct curl_slist *hdrs = NULL;
	struct sink sink = { 0 };
	enum modal_outcome out = MODAL_RETRY;
	CURL *h = NULL;
	CURLcode rc;
	long status = 0;

	*result = NULL;
	*http_status = 0;
	if ((h = curl_easy_init()) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return MODAL_RETRY;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (o->key != NULL && o->secret != NULL) {
		if (str_fmt(hkey, sizeof(hkey), "Modal-Key: %s", o->key) != 0 ||
		    str_fmt(hsecret, sizeof(hsecret), "Modal-Secret: %s", o->secret) != 0) {
			(void)str_fmt(err, errlen, "MODAL_KEY or MODAL_SECRET is too long");
			out = MODAL_PERMANENT;
			goto done;
		}
		hdrs = curl_slist_append(hdrs, hkey);
		hdrs = curl_slist_append(hdrs, hsecret);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* Modal answers a call longer than 150 s with 303 to a result URL; libcurl turns the POST into a GET
	 * for 303 (CURLOPT_CUSTOMREQUEST must stay unset for that). Redirects are bounded here. */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, o->max_redirects);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout_s);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)o);
	if (body != NULL) {
		size_t len = 0;
		const char *text = json_text(body, &len);

		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, text);
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	*http_status = status;
	if (rc != CURLE_OK) {
		if (rc == CURLE_ABORTED_BY_CALLBACK)
			(void)str_fmt(err, errlen, "interrupted (runner stopping)");
		else if (rc == CURLE_TOO_MANY_REDIRECTS)
			(void)str_fmt(err, errlen, "still running after %ld result redirects", o->max_redirects);
		else if (sink.too_big)
			(void)str_fmt(err, errlen, "answer larger than %ld bytes", MODAL_MAX_RESPONSE);
		else
			(void)str_fmt(err, errlen, "%s", curl_easy_strerror(rc));
		out = sink.too_big ? MODAL_PERMANENT : MODAL_RETRY;
		goto done;
	}
	if (status == 202) {
		out = MODAL_PENDING;
		goto done;
	}
	if (status >= 200 && status < 300) {
		char perr[160];

		*result = json_parse(sink.data ? sink.data : "", sink.len, perr, sizeof(perr));
		if (*result == NULL || !json_object_is_type(*result, json_type_object)) {
			json_object_put(*result);
			*result = NULL;
			(void)str_fmt(err, errlen, "HTTP %ld with an answer that is not a JSON object", status);
			out = MODAL_PERMANENT;
			goto done;
		}
		out = MODAL_OK;
		goto done;
	}
	excerpt(sink.data, ex, sizeof(ex));
	(void)str_fmt(err, errlen, "HTTP %ld%s%s", status, ex[0] ? ": " : "", ex);
	out = (status == 408 || status == 429 || status >= 500 || status < 200) ? MODAL_RETRY : MODAL_PERMANENT;
done:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(sink.data);
	return out;
}
