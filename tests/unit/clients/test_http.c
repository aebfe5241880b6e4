/* test_http.c: shared/clients/http.c against a libmicrohttpd server run inside the test on a free
 * 127.0.0.1 port: how each answer is classified (200 JSON, 200 not JSON, 202, 303 followed as a GET, too
 * many redirects, 404, 408, 429 with Retry-After, 500, 503), Retry-After forms, the size cap at its exact
 * bound, the cancel callback, a timeout, a refused connection, the headers and body sent (custom header,
 * bearer, basic), a reused handle keeping its connection unless a fresh one is asked, and "detail". */
#include "tests/doubles/serve.h"
#include "shared/clients/http.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BIG 65536 /* bytes of /big's body */
#define SLOW_MS 3000

static struct MHD_Daemon *daemon_;
static unsigned port;
static volatile int stopping;
static char big[BIG + 1];

/* --- the server: canned answers per path, /echo and /result echo the request ---------------------- */

struct canned {
	const char *path;
	unsigned status;
	const char *body;
	const char *header, *value;
};

static const struct canned canned[] = {
	{ "/json", 200, "{\"a\":1}", NULL, NULL },
	{ "/text", 200, "hello", NULL, NULL },
	{ "/pending", 202, "{\"status\":\"pending\"}", NULL, NULL },
	{ "/see-other", 303, "", "Location", "/result" },
	{ "/loop", 303, "", "Location", "/loop" },
	{ "/missing", 404, "not\nhere", NULL, NULL },
	{ "/invalid", 422, "{\"detail\":\"bad\\nfield\"}", NULL, NULL },
	{ "/invalid-list", 422, "{\"detail\":[{\"loc\":[\"body\"]}]}", NULL, NULL },
	{ "/request-timeout", 408, "", NULL, NULL },
	{ "/busy", 429, "slow down", "Retry-After", "7" },
	{ "/error", 500, "boom", NULL, NULL },
	{ "/unavailable", 503, "", "Retry-After", "Fri, 31 Dec 1999 23:59:59 GMT" },
	{ "/much-later", 503, "", "Retry-After", "99999" },
};

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *body, const char *header, const char *value)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (header != NULL)
		MHD_add_response_header(r, header, value);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
echo_field(json_object *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_object_add(o, key, json_object_new_string(value));
}

/* {"method", "x_test", "authorization", "content_type", "body"} as the server saw them (absent: not sent). */
static enum MHD_Result
echo(struct MHD_Connection *c, const char *method, const char *body)
{
	json_object *o = json_object_new_object();
	enum MHD_Result ret;

	echo_field(o, "method", method);
	echo_field(o, "x_test", MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Test"));
	echo_field(o, "authorization", MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
	echo_field(o, "content_type", MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"));
	echo_field(o, "body", body != NULL && body[0] != '\0' ? body : NULL);
	ret = reply(c, 200, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), NULL, NULL);
	json_object_put(o);
	return ret;
}

/* Holds the connection up to SLOW_MS (less when the test is over), then answers. */
static enum MHD_Result
slow(struct MHD_Connection *c)
{
	for (int t = 0; t < SLOW_MS && !stopping; t += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	return reply(c, 200, "{}", NULL, NULL);
}

static enum MHD_Result
route(struct MHD_Connection *c, const char *method, const char *url, const char *body)
{
	for (size_t i = 0; i < sizeof(canned) / sizeof(canned[0]); i++)
		if (strcmp(url, canned[i].path) == 0)
			return reply(c, canned[i].status, canned[i].body, canned[i].header, canned[i].value);
	if (strcmp(url, "/echo") == 0 || strcmp(url, "/result") == 0)
		return echo(c, method, body);
	if (strcmp(url, "/big") == 0)
		return reply(c, 200, big, NULL, NULL);
	if (strcmp(url, "/slow") == 0)
		return slow(c);
	return reply(c, 404, "no such path", NULL, NULL);
}

static int
start(void **state)
{
	memset(big, 'x', BIG);
	daemon_ = serve_start(route, &port);
	return daemon_ != NULL ? 0 : -1;
}

static int
stop(void **state)
{
	stopping = 1;
	MHD_stop_daemon(daemon_);
	return 0;
}

/* --- the client side --------------------------------------------------------------------------------- */

static char url_buf[256];

static const char *
url(const char *path)
{
	snprintf(url_buf, sizeof(url_buf), "http://127.0.0.1:%u%s", port, path);
	return url_buf;
}

/* A GET of path expecting JSON, 5 s at most, 1 MiB cap. */
static struct http_request
get(const char *path)
{
	struct http_request rq = { 0 };

	rq.method = "GET";
	rq.url = url(path);
	rq.timeout_ms = 5000;
	rq.connect_timeout_ms = 2000;
	rq.max_answer = 1024 * 1024;
	rq.parse_json = true;
	return rq;
}

static const char *
field(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static void
test_ok_json(void **state)
{
	struct http_request rq = get("/json");
	struct http_answer a;
	json_object *v = NULL;

	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	assert_true(a.answered);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.body, "{\"a\":1}");
	assert_non_null(a.json);
	assert_true(json_object_object_get_ex(a.json, "a", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_string_equal(a.error, "");
	http_answer_free(&a);
	assert_null(a.json);
	assert_null(a.body);
}

/* A 2xx body that is not JSON is HTTP_BAD_JSON when JSON was asked for, and plain HTTP_OK otherwise. */
static void
test_ok_not_json(void **state)
{
	struct http_request rq = get("/text");
	struct http_answer a;

	assert_int_equal(http_exchange(&rq, &a), HTTP_BAD_JSON);
	assert_true(a.answered);
	assert_int_equal(a.status, 200);
	assert_null(a.json);
	assert_non_null(strstr(a.error, "not valid JSON"));
	http_answer_free(&a);
	rq.parse_json = false;
	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	assert_string_equal(a.body, "hello");
	assert_null(a.json);
	http_answer_free(&a);
}

static void
test_accepted(void **state)
{
	struct http_request rq = get("/pending");
	struct http_answer a;

	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	assert_int_equal(a.status, 202);
	assert_string_equal(field(a.json, "status"), "pending");
	http_answer_free(&a);
}

/* A POST answered 303 is followed as a GET (Modal's result redirects); not followed, it is permanent. */
static void
test_see_other(void **state)
{
	struct http_request rq = get("/see-other");
	json_object *body = json_object_new_object();
	struct http_answer a;

	rq.method = "POST";
	rq.body = body;
	rq.follow_redirects = true;
	rq.max_redirects = 3;
	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	assert_int_equal(a.status, 200);
	assert_string_equal(field(a.json, "method"), "GET");
	http_answer_free(&a);
	rq.follow_redirects = false;
	assert_int_equal(http_exchange(&rq, &a), HTTP_PERMANENT);
	assert_int_equal(a.status, 303);
	assert_string_equal(a.error, "HTTP 303");
	http_answer_free(&a);
	json_object_put(body);
}

static void
test_too_many_redirects(void **state)
{
	struct http_request rq = get("/loop");
	struct http_answer a;

	rq.follow_redirects = true;
	rq.max_redirects = 2;
	assert_int_equal(http_exchange(&rq, &a), HTTP_REDIRECTS);
	assert_false(a.answered);
	assert_int_equal(a.status, 303);
	assert_string_equal(a.error, "more than 2 redirects");
	http_answer_free(&a);
}

/* Error statuses: transient or permanent, the message quoting a printable excerpt of the body. */
static void
test_error_statuses(void **state)
{
	static const struct {
		const char *path;
		enum http_outcome want;
		long status, retry_after;
		const char *error;
	} cases[] = {
		{ "/missing", HTTP_PERMANENT, 404, 0, "HTTP 404: not here" },
		{ "/invalid", HTTP_PERMANENT, 422, 0, "HTTP 422: {\"detail\":\"bad\\nfield\"}" },
		{ "/request-timeout", HTTP_TRANSIENT, 408, 0, "HTTP 408" },
		{ "/busy", HTTP_TRANSIENT, 429, 7, "HTTP 429: slow down" },
		{ "/error", HTTP_TRANSIENT, 500, 0, "HTTP 500: boom" },
		{ "/unavailable", HTTP_TRANSIENT, 503, 1, "HTTP 503" }, /* an HTTP date counts as 1 s */
		{ "/much-later", HTTP_TRANSIENT, 503, HTTP_RETRY_AFTER_MAX, "HTTP 503" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_request rq = get(cases[i].path);
		struct http_answer a;
		enum http_outcome got = http_exchange(&rq, &a);

		if (got != cases[i].want || a.status != cases[i].status || a.retry_after != cases[i].retry_after ||
		    !a.answered || a.json != NULL || strcmp(a.error, cases[i].error) != 0)
			fail_msg("%s: outcome %d status %ld retry_after %ld error \"%s\"", cases[i].path, (int)got,
			    a.status, a.retry_after, a.error);
		http_answer_free(&a);
	}
}

/* An answer of exactly max_answer bytes is taken; one byte less of room and it is HTTP_TOO_LARGE. */
static void
test_size_cap(void **state)
{
	struct http_request rq = get("/big");
	struct http_answer a;

	rq.parse_json = false;
	rq.max_answer = BIG;
	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	assert_int_equal(a.len, BIG);
	http_answer_free(&a);
	rq.max_answer = BIG - 1;
	assert_int_equal(http_exchange(&rq, &a), HTTP_TOO_LARGE);
	assert_false(a.answered);
	assert_string_equal(a.error, "answer larger than 65535 bytes");
	http_answer_free(&a);
}

static int polls;

static bool
cancel_on_third_poll(void *arg)
{
	return ++polls >= 3;
}

/* The callback is polled while the server holds the answer; its true stops the exchange at once. */
static void
test_cancel(void **state)
{
	struct http_request rq = get("/slow");
	struct http_answer a;
	time_t t0 = time(NULL);

	rq.cancel = cancel_on_third_poll;
	assert_int_equal(http_exchange(&rq, &a), HTTP_CANCELLED);
	assert_false(a.answered);
	assert_int_equal(polls, 3);
	assert_string_equal(a.error, "cancelled");
	assert_true(time(NULL) - t0 < 2);
	http_answer_free(&a);
}

static void
test_timeout(void **state)
{
	struct http_request rq = get("/slow");
	struct http_answer a;

	rq.timeout_ms = 200;
	assert_int_equal(http_exchange(&rq, &a), HTTP_TRANSIENT);
	assert_false(a.answered);
	assert_int_equal(a.status, 0);
	assert_non_null(strstr(a.error, "Timeout"));
	http_answer_free(&a);
}

/* A port nobody listens on (one just bound and closed again). */
static void
test_refused(void **state)
{
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char where[64];
	struct http_request rq = get("/json");
	struct http_answer a;

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	snprintf(where, sizeof(where), "http://127.0.0.1:%u/json", (unsigned)ntohs(sa.sin_port));
	rq.url = where;
	assert_int_equal(http_exchange(&rq, &a), HTTP_TRANSIENT);
	assert_false(a.answered);
	assert_int_equal(a.status, 0);
	assert_non_null(strstr(a.error, "connect"));
	http_answer_free(&a);
}

/* The extra header, the JSON content type, bearer or basic credentials, and the compact JSON body. */
static void
test_headers_sent(void **state)
{
	static const char *const extra[] = { "X-Test: yes", NULL };
	struct http_request rq = get("/echo");
	json_object *body = json_object_new_object();
	struct http_answer a;

	json_object_object_add(body, "path", json_object_new_string("a/b"));
	rq.method = "POST";
	rq.body = body;
	rq.headers = extra;
	rq.bearer = "token-1";
	rq.basic = "user:pass";
	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	assert_string_equal(field(a.json, "method"), "POST");
	assert_string_equal(field(a.json, "x_test"), "yes");
	assert_string_equal(field(a.json, "authorization"), "Bearer token-1");
	assert_string_equal(field(a.json, "content_type"), "application/json");
	assert_string_equal(field(a.json, "body"), "{\"path\":\"a/b\"}");
	http_answer_free(&a);
	rq.bearer = NULL;
	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	assert_string_equal(field(a.json, "authorization"), "Basic dXNlcjpwYXNz");
	http_answer_free(&a);
	json_object_put(body);
}

/* A caller's handle keeps its connection between exchanges, unless a fresh one is asked for, and is reset
 * between them. */
static void
test_keep_alive(void **state)
{
	CURL *h = curl_easy_init();
	struct http_request rq = get("/json");
	json_object *body = json_object_new_object();
	struct http_answer a;
	long connects = -1;

	rq.handle = h;
	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	http_answer_free(&a);
	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	http_answer_free(&a);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
	assert_int_equal(connects, 0);
	rq.fresh_connection = true;
	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	http_answer_free(&a);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
	assert_int_equal(connects, 1);
	/* Nothing of one exchange's settings leaks into the next: fresh, method, body, credentials. */
	rq.fresh_connection = false;
	rq.url = url("/echo");
	rq.method = "POST";
	rq.body = body;
	rq.bearer = "token-2";
	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	http_answer_free(&a);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
	assert_int_equal(connects, 0);
	rq.method = "GET";
	rq.body = NULL;
	rq.bearer = NULL;
	assert_int_equal(http_exchange(&rq, &a), HTTP_OK);
	assert_string_equal(field(a.json, "method"), "GET");
	assert_null(field(a.json, "authorization"));
	assert_null(field(a.json, "body"));
	http_answer_free(&a);
	json_object_put(body);
	curl_easy_cleanup(h);
}

/* "detail": a string made printable, anything else as compact JSON, nothing from a body without it. */
static void
test_detail(void **state)
{
	static const struct {
		const char *path, *detail;
	} cases[] = {
		{ "/invalid", "bad field" },
		{ "/invalid-list", "[{\"loc\":[\"body\"]}]" },
		{ "/missing", "" },
		{ "/request-timeout", "" },
	};
	char detail[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_request rq = get(cases[i].path);
		struct http_answer a;

		(void)http_exchange(&rq, &a);
		http_detail(&a, detail, sizeof(detail));
		if (strcmp(detail, cases[i].detail) != 0)
			fail_msg("%s: detail \"%s\", expected \"%s\"", cases[i].path, detail, cases[i].detail);
		http_answer_free(&a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_json),
		cmocka_unit_test(test_ok_not_json),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_see_other),
		cmocka_unit_test(test_too_many_redirects),
		cmocka_unit_test(test_error_statuses),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_headers_sent),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_detail),
	};

	return cmocka_run_group_tests(tests, start, stop);
}
