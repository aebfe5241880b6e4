/* http.c: libcurl multi driver for the integration tests. */
#include "tests/integration/http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct buf {
	char **data;
	size_t *len;
};

static size_t
collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t n = size * nmemb;
	char *p = realloc(*b->data, *b->len + n + 1);

	if (p == NULL)
		return 0;
	memcpy(p + *b->len, ptr, n);
	*b->len += n;
	p[*b->len] = '\0';
	*b->data = p;
	return n;
}

struct easy {
	CURL *h;
	struct curl_slist *hdrs;
	struct buf body, head;
	size_t head_len;
};

static int
setup(struct http_call *c, struct easy *e)
{
	char line[1024];

	memset(&c->reply, 0, sizeof(c->reply));
	if ((e->h = curl_easy_init()) == NULL)
		return -1;
	e->body.data = &c->reply.body;
	e->body.len = &c->reply.len;
	e->head.data = &c->reply.headers;
	e->head.len = &e->head_len;
	e->head_len = 0;
	curl_easy_setopt(e->h, CURLOPT_URL, c->url);
	curl_easy_setopt(e->h, CURLOPT_CUSTOMREQUEST, c->method);
	curl_easy_setopt(e->h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(e->h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e->h, CURLOPT_WRITEDATA, &e->body);
	curl_easy_setopt(e->h, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(e->h, CURLOPT_HEADERDATA, &e->head);
	if (strcmp(c->method, "HEAD") == 0)
		curl_easy_setopt(e->h, CURLOPT_NOBODY, 1L);
	if (c->auth != NULL) {
		snprintf(line, sizeof(line), "Authorization: %s", c->auth);
		e->hdrs = curl_slist_append(e->hdrs, line);
	}
	for (const char *const *h = c->headers; h != NULL && *h != NULL; h++)
		e->hdrs = curl_slist_append(e->hdrs, *h);
	if (c->body != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", c->content_type ? c->content_type : "application/json");
		e->hdrs = curl_slist_append(e->hdrs, line);
		e->hdrs = curl_slist_append(e->hdrs, "Expect:");
		curl_easy_setopt(e->h, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(e->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
	}
	curl_easy_setopt(e->h, CURLOPT_HTTPHEADER, e->hdrs);
	return 0;
}

int
http_run(struct http_call *calls, size_t n)
{
	struct easy *e = calloc(n, sizeof(*e));
	CURLM *m = curl_multi_init();
	int running = 0, rc = 0;
	CURLMsg *msg;
	int left;

	if (e == NULL || m == NULL) {
		free(e);
		return -1;
	}
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)n);
	for (size_t i = 0; i < n; i++) {
		if (setup(&calls[i], &e[i]) != 0) {
			rc = -1;
			goto out;
		}
		curl_easy_setopt(e[i].h, CURLOPT_PRIVATE, &calls[i]);
		curl_multi_add_handle(m, e[i].h);
	}
	do {
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			rc = -1;
			break;
		}
		if (running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	} while (running);
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		struct http_call *c;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		if (msg->data.result != CURLE_OK) {
			c->reply.status = -1;
			rc = -1;
		} else {
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &c->reply.status);
		}
	}
out:
	for (size_t i = 0; i < n; i++) {
		if (e[i].h != NULL) {
			curl_multi_remove_handle(m, e[i].h);
			curl_easy_cleanup(e[i].h);
		}
		curl_slist_free_all(e[i].hdrs);
	}
	curl_multi_cleanup(m);
	free(e);
	return rc;
}

long
http_one(struct http_call *call)
{
	if (http_run(call, 1) != 0)
		return -1;
	return call->reply.status;
}

const char *
http_header(const struct http_reply *r, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	for (const char *p = r->headers; p != NULL && *p != '\0';) {
		const char *eol = strstr(p, "\r\n");
		size_t linelen = eol ? (size_t)(eol - p) : strlen(p);

		if (linelen > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			size_t vlen;

			while (*v == ' ')
				v++;
			vlen = linelen - (size_t)(v - p);
			if (vlen >= len)
				vlen = len - 1;
			memcpy(buf, v, vlen);
			buf[vlen] = '\0';
			return buf;
		}
		if (eol == NULL)
			break;
		p = eol + 2;
	}
	return NULL;
}

void
http_reply_free(struct http_reply *r)
{
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}
