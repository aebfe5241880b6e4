/* storage.c: S3 calls on libs3 2.0. Each request runs in its own S3RequestContext that this file drives
 * (select on libs3's descriptors) until the request completes or the call's deadline passes; libs3 itself
 * has no per-request timeout. Retryable statuses (S3_status_is_retryable) are tried again with a doubling
 * pause while the deadline allows. */
#include "shared/clients/storage.h"

#include "shared/clock.h"
#include "shared/str.h"
#include "shared/validate.h"

#include <libs3.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LIST_PAGE_MAX 1000

/* One request: what it reads or writes, and how it ended. */
struct call {
	const struct storage *s;
	S3Status status;
	char detail[256];          /* S3's error message, if any */
	/* put */
	const char *content_type;
	const unsigned char *data;
	size_t len, off;
	FILE *in;
	/* get */
	FILE *out;
	int write_errno;
	/* list */
	const char *prefix, *marker;
	int page_size;
	int truncated;
	char *next_marker;
	char **keys;
	uint64_t *sizes;
	int nkeys;
};

static int initialised;

int
storage_open(struct storage *s, const struct config *cfg, char *err, size_t errlen)
{
	static const struct { const char *name; size_t off; } need[] = {
		{ "S3_BUCKET", offsetof(struct config, s3_bucket) },
		{ "S3_ACCESS_KEY", offsetof(struct config, s3_access_key) },
		{ "S3_SECRET_KEY", offsetof(struct config, s3_secret_key) },
	};
	S3Status st;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (*(char *const *)(const void *)((const char *)cfg + need[i].off) == NULL) {
			(void)str_fmt(err, errlen, "%s is not set (S3 storage needs it)", need[i].name);
			return -1;
		}
	}
	if (str_copy(s->host, sizeof(s->host), cfg->s3_endpoint) != 0 ||
	    str_copy(s->bucket, sizeof(s->bucket), cfg->s3_bucket) != 0 ||
	    str_copy(s->access_key, sizeof(s->access_key), cfg->s3_access_key) != 0 ||
	    str_copy(s->secret_key, sizeof(s->secret_key), cfg->s3_secret_key) != 0) {
		(void)str_fmt(err, errlen, "an S3_* setting is too long");
		return -1;
	}
	s->protocol = cfg->s3_protocol == CONFIG_S3_HTTP ? S3ProtocolHTTP : S3ProtocolHTTPS;
	s->uri_style = cfg->s3_uri_style == CONFIG_S3_VIRTUAL ? S3UriStyleVirtualHost : S3UriStylePath;
	if ((st = S3_validate_bucket_name(s->bucket, (S3UriStyle)s->uri_style)) != S3StatusOK) {
		(void)str_fmt(err, errlen, "S3_BUCKET is not a valid bucket name (%s)", S3_get_status_name(st));
		return -1;
	}
	s->timeout_ms = cfg->s3_timeout_seconds * 1000;
	s->retries = (int)cfg->s3_retries;
	s->backoff_ms = 200;
	/* libs3 (and curl) global state: set up once, from the thread that first opens storage. */
	if (!initialised) {
		if ((st = S3_initialize("captionacc", S3_INIT_ALL, s->host)) != S3StatusOK) {
			(void)str_fmt(err, errlen, "cannot initialise libs3: %s", S3_get_status_name(st));
			return -1;
		}
		initialised = 1;
	}
	return 0;
}

static S3BucketContext
bucket_of(const struct storage *s)
{
	S3BucketContext b = { s->host, s->bucket, (S3Protocol)s->protocol, (S3UriStyle)s->uri_style,
		s->access_key, s->secret_key };

	return b;
}

/* The S3 error code without libs3's "Error"/"HttpError" prefix: NoSuchKey, SignatureDoesNotMatch, ... */
static const char *
code_of(S3Status st)
{
	const char *n = S3_get_status_name(st);

	if (strncmp(n, "HttpError", 9) == 0)
		return n + 9;
	if (strncmp(n, "Error", 5) == 0)
		return n + 5;
	return n;
}

/* libs3's own list (connection trouble, InternalError, RequestTimeout, ...) plus what S3 and Wasabi send
 * when busy: SlowDown, and 503 "Unavailable", which libs3 does not know and reports as an unknown code
 * (or an unknown HTTP error without a body). */
static bool
retryable(S3Status st)
{
	return S3_status_is_retryable(st) || st == S3StatusErrorSlowDown || st == S3StatusErrorUnknown ||
	    st == S3StatusHttpErrorUnknown;
}

static bool
not_found(S3Status st)
{
	return st == S3StatusErrorNoSuchKey || st == S3StatusHttpErrorNotFound || st == S3StatusErrorNoSuchBucket;
}

static S3Status
on_properties(const S3ResponseProperties *p, void *arg)
{
	(void)p;
	(void)arg;
	return S3StatusOK;
}

static void
on_complete(S3Status status, const S3ErrorDetails *e, void *arg)
{
	struct call *c = arg;

	c->status = status;
	c->detail[0] = '\0';
	if (e != NULL && e->message != NULL)
		(void)str_fmt(c->detail, sizeof(c->detail), "%s", e->message);
}

static const S3ResponseHandler response_handler = { on_properties, on_complete };

/* Runs ctx until its requests are done or deadline (clock_ms) passes. -1 on timeout or a libs3 failure;
 * the caller destroys ctx either way (which ends what is still running). */
static int
drive(S3RequestContext *ctx, long long deadline, const char **why)
{
	for (;;) {
		fd_set r, w, x;
		int remaining = 0, maxfd = -1;
		long long now, wait_ms;
		int64_t hint;
		struct timeval tv;
		S3Status st;

		if ((st = S3_runonce_request_context(ctx, &remaining)) != S3StatusOK) {
			*why = S3_get_status_name(st);
			return -1;
		}
		if (remaining == 0)
			return 0;
		now = clock_ms();
		if (now >= deadline) {
			*why = "deadline";
			return -1;
		}
		FD_ZERO(&r);
		FD_ZERO(&w);
		FD_ZERO(&x);
		if ((st = S3_get_request_context_fdsets(ctx, &r, &w, &x, &maxfd)) != S3StatusOK) {
			*why = S3_get_status_name(st);
			return -1;
		}
		hint = S3_get_request_context_timeout(ctx);
		wait_ms = deadline - now;
		if (hint >= 0 && hint < wait_ms)
			wait_ms = hint;
		if (wait_ms > 100)
			wait_ms = 100;
		if (maxfd < 0 && wait_ms > 10)
			wait_ms = 10; /* curl is between descriptors (resolving, connecting): look again soon */
		if (maxfd >= FD_SETSIZE) {
			*why = "descriptor beyond FD_SETSIZE";
			return -1;
		}
		tv.tv_sec = (time_t)(wait_ms / 1000);
		tv.tv_usec = (suseconds_t)(wait_ms % 1000) * 1000;
		if (select(maxfd + 1, &r, &w, &x, &tv) < 0 && errno != EINTR) {
			*why = strerror(errno);
			return -1;
		}
	}
}

typedef void (*start_fn)(const struct storage *s, S3RequestContext *ctx, const char *key, struct call *c);
/* Makes a call ready for (another) attempt: rewinds input, truncates output, forgets a listed page. */
typedef int (*reset_fn)(struct call *c);

/* One request with retries, within the call's deadline. */
static enum storage_result
perform(const struct storage *s, const char *op, const char *key, start_fn start, reset_fn reset, struct call *c,
    long long deadline, char *err, size_t errlen)
{
	long pause = s->backoff_ms;

	for (int attempt = 0;; attempt++) {
		S3RequestContext *ctx = NULL;
		const char *why = NULL;
		S3Status st;
		int driven;

		if (reset != NULL && reset(c) != 0) {
			(void)str_fmt(err, errlen, "S3 %s %s: cannot prepare local file: %s", op, key, strerror(errno));
			return STORAGE_PERMANENT;
		}
		c->status = S3StatusInternalError;
		c->detail[0] = '\0';
		if ((st = S3_create_request_context(&ctx)) != S3StatusOK) {
			(void)str_fmt(err, errlen, "S3 %s %s: %s", op, key, S3_get_status_name(st));
			return STORAGE_TRANSIENT;
		}
		start(s, ctx, key, c);
		driven = drive(ctx, deadline, &why);
		S3_destroy_request_context(ctx);
		if (driven != 0) {
			if (strcmp(why, "deadline") == 0)
				(void)str_fmt(err, errlen, "S3 %s %s: no answer within %ld s", op, key,
				    s->timeout_ms / 1000);
			else
				(void)str_fmt(err, errlen, "S3 %s %s: %s", op, key, why);
			return STORAGE_TRANSIENT;
		}
		if (c->status == S3StatusOK)
			return STORAGE_OK;
		if (c->write_errno != 0) {
			(void)str_fmt(err, errlen, "S3 %s %s: cannot write local file: %s", op, key,
			    strerror(c->write_errno));
			return STORAGE_PERMANENT;
		}
		if (!retryable(c->status) || attempt >= s->retries || clock_ms() + pause >= deadline) {
			(void)str_fmt(err, errlen, "S3 %s %s: %s%s%s", op, key, code_of(c->status),
			    c->detail[0] ? ": " : "", c->detail);
			return retryable(c->status) ? STORAGE_TRANSIENT : STORAGE_PERMANENT;
		}
		clock_sleep_ms(pause);
		pause *= 2;
	}
}

static bool
key_ok(const char *op, const char *tenant_id, const char *key, bool prefix, char *err, size_t errlen)
{
	char why[200];

	if (key == NULL || tenant_id == NULL)
		return str_fmt(err, errlen, "S3 %s: no key", op), false;
	if (prefix ? validate_storage_prefix(key, tenant_id, why, sizeof(why)) :
	    validate_storage_key(key, tenant_id, why, sizeof(why)))
		return true;
	(void)str_fmt(err, errlen, "S3 %s refused: the key %s", op, why);
	return false;
}

/* --- put ---------------------------------------------------------------------------------------- */

static int
put_data(int size, char *buf, void *arg)
{
	struct call *c = arg;
	size_t n;

	if (c->in != NULL) {
		n = fread(buf, 1, (size_t)size, c->in);
		return ferror(c->in) ? -1 : (int)n;
	}
	n = c->len - c->off < (size_t)size ? c->len - c->off : (size_t)size;
	memcpy(buf, c->data + c->off, n);
	c->off += n;
	return (int)n;
}

static int
put_reset(struct call *c)
{
	c->off = 0;
	return c->in != NULL ? fseek(c->in, 0, SEEK_SET) : 0;
}

static void
put_start(const struct storage *s, S3RequestContext *ctx, const char *key, struct call *c)
{
	static const S3PutObjectHandler h = { { on_properties, on_complete }, put_data };
	S3BucketContext b = bucket_of(s);
	S3PutProperties p;

	memset(&p, 0, sizeof(p));
	p.contentType = c->content_type;
	p.expires = -1;
	p.cannedAcl = S3CannedAclPrivate;
	S3_put_object(&b, key, (uint64_t)c->len, &p, ctx, &h, c);
}

static enum storage_result
put(const struct storage *s, const char *tenant_id, const char *key, struct call *c, const char *content_type,
    char *err, size_t errlen)
{
	(void)tenant_id;
	c->content_type = content_type ? content_type : "application/octet-stream";
	return perform(s, "upload", key, put_start, put_reset, c, clock_ms() + s->timeout_ms, err, errlen);
}

enum storage_result
storage_put_bytes(const struct storage *s, const char *tenant_id, const char *key, const void *data, size_t len,
    const char *content_type, char *err, size_t errlen)
{
	struct call c = { .s = s, .data = data, .len = len };

	if (!key_ok("upload", tenant_id, key, false, err, errlen))
		return STORAGE_PERMANENT;
	return put(s, tenant_id, key, &c, content_type, err, errlen);
}

enum storage_result
storage_put_file(const struct storage *s, const char *tenant_id, const char *key, const char *path,
    const char *content_type, char *err, size_t errlen)
{
	struct call c = { .s = s };
	enum storage_result r = STORAGE_PERMANENT;
	struct stat sb;

	if (!key_ok("upload", tenant_id, key, false, err, errlen))
		return STORAGE_PERMANENT;
	if ((c.in = fopen(path, "rb")) == NULL || fstat(fileno(c.in), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		(void)str_fmt(err, errlen, "S3 upload %s: cannot read %s: %s", key, path,
		    errno ? strerror(errno) : "not a regular file");
		goto out;
	}
	c.len = (size_t)sb.st_size;
	r = put(s, tenant_id, key, &c, content_type, err, errlen);
out:
	if (c.in != NULL)
		fclose(c.in);
	return r;
}

/* --- get ---------------------------------------------------------------------------------------- */

static S3Status
get_data(int size, const char *buf, void *arg)
{
	struct call *c = arg;

	if (fwrite(buf, 1, (size_t)size, c->out) != (size_t)size) {
		c->write_errno = errno ? errno : EIO;
		return S3StatusAbortedByCallback;
	}
	return S3StatusOK;
}

static int
get_reset(struct call *c)
{
	c->write_errno = 0;
	if (fflush(c->out) != 0 || ftruncate(fileno(c->out), 0) != 0)
		return -1;
	rewind(c->out);
	return 0;
}

static void
get_start(const struct storage *s, S3RequestContext *ctx, const char *key, struct call *c)
{
	static const S3GetObjectHandler h = { { on_properties, on_complete }, get_data };
	S3BucketContext b = bucket_of(s);

	(void)c;
	S3_get_object(&b, key, NULL, 0, 0, ctx, &h, c);
}

/* mkdir -p of path's parent directory. */
static int
make_parents(const char *path)
{
	char dir[4096];

	if (str_copy(dir, sizeof(dir), path) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

enum storage_result
storage_get_file(const struct storage *s, const char *tenant_id, const char *key, const char *path, char *err,
    size_t errlen)
{
	struct call c = { .s = s };
	enum storage_result r = STORAGE_PERMANENT;
	char part[4096];
	bool made = false;

	if (!key_ok("download", tenant_id, key, false, err, errlen))
		return STORAGE_PERMANENT;
	if (str_fmt(part, sizeof(part), "%s.part", path) != 0) {
		(void)str_fmt(err, errlen, "S3 download %s: local path too long", key);
		return STORAGE_PERMANENT;
	}
	if (make_parents(path) != 0 || (c.out = fopen(part, "wb")) == NULL) {
		(void)str_fmt(err, errlen, "S3 download %s: cannot create %s: %s", key, part, strerror(errno));
		return STORAGE_PERMANENT;
	}
	made = true;
	if ((r = perform(s, "download", key, get_start, get_reset, &c, clock_ms() + s->timeout_ms, err, errlen)) !=
	    STORAGE_OK)
		goto out;
	if (fclose(c.out) != 0) {
		c.out = NULL;
		(void)str_fmt(err, errlen, "S3 download %s: cannot write %s: %s", key, part, strerror(errno));
		r = STORAGE_PERMANENT;
		goto out;
	}
	c.out = NULL;
	if (rename(part, path) != 0) {
		(void)str_fmt(err, errlen, "S3 download %s: cannot rename to %s: %s", key, path, strerror(errno));
		r = STORAGE_PERMANENT;
		goto out;
	}
	made = false;
out:
	if (c.out != NULL)
		fclose(c.out);
	if (made)
		(void)unlink(part);
	return r;
}

/* --- exists ------------------------------------------------------------------------------------- */

static void
head_start(const struct storage *s, S3RequestContext *ctx, const char *key, struct call *c)
{
	S3BucketContext b = bucket_of(s);

	S3_head_object(&b, key, ctx, &response_handler, c);
}

enum storage_result
storage_exists(const struct storage *s, const char *tenant_id, const char *key, bool *exists, char *err,
    size_t errlen)
{
	struct call c = { .s = s };
	enum storage_result r;

	*exists = false;
	if (!key_ok("exists", tenant_id, key, false, err, errlen))
		return STORAGE_PERMANENT;
	r = perform(s, "exists", key, head_start, NULL, &c, clock_ms() + s->timeout_ms, err, errlen);
	if (r == STORAGE_OK)
		*exists = true;
	else if (not_found(c.status))
		return STORAGE_OK;
	return r;
}

/* --- list --------------------------------------------------------------------------------------- */

static void
page_free(struct call *c)
{
	for (int i = 0; i < c->nkeys; i++)
		free(c->keys[i]);
	free(c->keys);
	free(c->sizes);
	free(c->next_marker);
	c->keys = NULL;
	c->sizes = NULL;
	c->next_marker = NULL;
	c->nkeys = 0;
	c->truncated = 0;
}

static int
page_reset(struct call *c)
{
	page_free(c);
	return 0;
}

static S3Status
list_data(int truncated, const char *next_marker, int n, const S3ListBucketContent *contents, int nprefixes,
    const char **prefixes, void *arg)
{
	struct call *c = arg;
	char **keys;
	uint64_t *sizes;

	(void)nprefixes;
	(void)prefixes;
	c->truncated = truncated;
	if (next_marker != NULL && next_marker[0] != '\0') {
		free(c->next_marker);
		if ((c->next_marker = strdup(next_marker)) == NULL)
			return S3StatusOutOfMemory;
	}
	if (n <= 0)
		return S3StatusOK;
	if (n > LIST_PAGE_MAX || c->nkeys > LIST_PAGE_MAX)
		return S3StatusErrorMalformedXML; /* more than we asked for: not a server we understand */
	keys = realloc(c->keys, sizeof(*keys) * (size_t)(c->nkeys + n));
	if (keys == NULL)
		return S3StatusOutOfMemory;
	c->keys = keys;
	sizes = realloc(c->sizes, sizeof(*sizes) * (size_t)(c->nkeys + n));
	if (sizes == NULL)
		return S3StatusOutOfMemory;
	c->sizes = sizes;
	for (int i = 0; i < n; i++) {
		if ((c->keys[c->nkeys] = strdup(contents[i].key)) == NULL)
			return S3StatusOutOfMemory;
		c->sizes[c->nkeys++] = contents[i].size;
	}
	return S3StatusOK;
}

static void
list_start(const struct storage *s, S3RequestContext *ctx, const char *key, struct call *c)
{
	static const S3ListBucketHandler h = { { on_properties, on_complete }, list_data };
	S3BucketContext b = bucket_of(s);

	(void)key;
	S3_list_bucket(&b, c->prefix, c->marker, NULL, c->page_size, ctx, &h, c);
}

/* Fetches the page after marker (NULL: the first) into c. */
static enum storage_result
list_page(const struct storage *s, const char *prefix, const char *marker, int page_size, struct call *c,
    long long deadline, char *err, size_t errlen)
{
	c->prefix = prefix;
	c->marker = marker;
	c->page_size = page_size;
	return perform(s, "list", prefix, list_start, page_reset, c, deadline, err, errlen);
}

/* The marker for the page after c: S3's NextMarker, else the page's last key. Caller frees. */
static char *
next_marker(const struct call *c)
{
	if (c->next_marker != NULL)
		return strdup(c->next_marker);
	return c->nkeys > 0 ? strdup(c->keys[c->nkeys - 1]) : NULL;
}

/* What each_page does with one page of keys; *stop ends the walk early (the call still succeeds). */
typedef enum storage_result (*page_fn)(const struct storage *s, const struct call *page, long long deadline,
    void *arg, bool *stop, char *err, size_t errlen);

/* Walks every page of keys under prefix (page_size per request, 1-1000) within one deadline. */
static enum storage_result
each_page(const struct storage *s, const char *op, const char *tenant_id, const char *prefix, int page_size,
    page_fn fn, void *arg, char *err, size_t errlen)
{
	struct call c = { .s = s };
	enum storage_result r = STORAGE_OK;
	long long deadline = clock_ms() + s->timeout_ms;
	char *marker = NULL;
	bool more = true, stop = false;

	if (!key_ok(op, tenant_id, prefix, true, err, errlen))
		return STORAGE_PERMANENT;
	if (page_size < 1 || page_size > LIST_PAGE_MAX)
		page_size = LIST_PAGE_MAX;
	while (more) {
		if ((r = list_page(s, prefix, marker, page_size, &c, deadline, err, errlen)) != STORAGE_OK || c.nkeys == 0)
			break;
		if ((r = fn(s, &c, deadline, arg, &stop, err, errlen)) != STORAGE_OK || stop)
			break;
		more = c.truncated;
		free(marker);
		if ((marker = next_marker(&c)) == NULL && more) {
			(void)str_fmt(err, errlen, "S3 %s %s: out of memory", op, prefix);
			r = STORAGE_TRANSIENT;
			break;
		}
	}
	free(marker);
	page_free(&c);
	return r;
}

struct list_walk {
	storage_list_fn fn;
	void *arg;
};

static enum storage_result
list_one_page(const struct storage *s, const struct call *page, long long deadline, void *arg, bool *stop,
    char *err, size_t errlen)
{
	struct list_walk *w = arg;

	(void)s, (void)deadline, (void)err, (void)errlen;
	for (int i = 0; i < page->nkeys && !*stop; i++)
		*stop = w->fn(w->arg, page->keys[i], page->sizes[i]) != 0;
	return STORAGE_OK;
}

enum storage_result
storage_list(const struct storage *s, const char *tenant_id, const char *prefix, int page_size,
    storage_list_fn fn, void *arg, char *err, size_t errlen)
{
	struct list_walk w = { fn, arg };

	return each_page(s, "list", tenant_id, prefix, page_size, list_one_page, &w, err, errlen);
}

/* --- delete by prefix --------------------------------------------------------------------------- */

static void
delete_start(const struct storage *s, S3RequestContext *ctx, const char *key, struct call *c)
{
	S3BucketContext b = bucket_of(s);

	S3_delete_object(&b, key, ctx, &response_handler, c);
}

/* Deletes the page's keys concurrently in one request context, then retries the ones that failed
 * retryably one at a time. Returns how many are gone in *gone. */
static enum storage_result
delete_page(const struct storage *s, const struct call *page, long long deadline, long *gone, char *err,
    size_t errlen)
{
	struct call *calls = calloc((size_t)page->nkeys, sizeof(*calls));
	S3RequestContext *ctx = NULL;
	enum storage_result r = STORAGE_OK;
	const char *why = NULL;
	S3Status st;

	if (calls == NULL) {
		(void)str_fmt(err, errlen, "S3 delete: out of memory");
		return STORAGE_TRANSIENT;
	}
	if ((st = S3_create_request_context(&ctx)) != S3StatusOK) {
		(void)str_fmt(err, errlen, "S3 delete: %s", S3_get_status_name(st));
		free(calls);
		return STORAGE_TRANSIENT;
	}
	for (int i = 0; i < page->nkeys; i++) {
		calls[i].s = s;
		calls[i].status = S3StatusInternalError;
		delete_start(s, ctx, page->keys[i], &calls[i]);
	}
	if (drive(ctx, deadline, &why) != 0) {
		S3_destroy_request_context(ctx);
		(void)str_fmt(err, errlen, "S3 delete: %s", strcmp(why, "deadline") == 0 ? "deadline passed" : why);
		free(calls);
		return STORAGE_TRANSIENT;
	}
	S3_destroy_request_context(ctx);
	for (int i = 0; i < page->nkeys; i++) {
		enum storage_result one = STORAGE_OK;

		if (calls[i].status != S3StatusOK && !not_found(calls[i].status)) {
			if (retryable(calls[i].status))
				one = perform(s, "delete", page->keys[i], delete_start, NULL, &calls[i], deadline, err,
				    errlen);
			else {
				(void)str_fmt(err, errlen, "S3 delete %s: %s%s%s", page->keys[i],
				    code_of(calls[i].status), calls[i].detail[0] ? ": " : "", calls[i].detail);
				one = STORAGE_PERMANENT;
			}
		}
		if (one == STORAGE_OK)
			(*gone)++;
		else if (r == STORAGE_OK)
			r = one;
	}
	free(calls);
	return r;
}

struct delete_walk {
	const char *tenant_id;
	long *deleted;
};

static enum storage_result
delete_one_page(const struct storage *s, const struct call *page, long long deadline, void *arg, bool *stop,
    char *err, size_t errlen)
{
	struct delete_walk *w = arg;

	(void)stop;
	/* Keys come from the server: they must still be this tenant's before we act on them. */
	for (int i = 0; i < page->nkeys; i++)
		if (!key_ok("delete", w->tenant_id, page->keys[i], false, err, errlen))
			return STORAGE_PERMANENT;
	return delete_page(s, page, deadline, w->deleted, err, errlen);
}

enum storage_result
storage_delete_prefix(const struct storage *s, const char *tenant_id, const char *prefix, int page_size,
    long *deleted, char *err, size_t errlen)
{
	struct delete_walk w = { tenant_id, deleted };

	*deleted = 0;
	return each_page(s, "delete", tenant_id, prefix, page_size, delete_one_page, &w, err, errlen);
}

/* --- presigned URL ------------------------------------------------------------------------------ */

enum storage_result
storage_presign(const struct storage *s, const char *tenant_id, const char *key, long expires_in, char *url,
    size_t urllen, char *err, size_t errlen)
{
	char buf[S3_MAX_AUTHENTICATED_QUERY_STRING_SIZE];
	S3BucketContext b = bucket_of(s);
	S3Status st;

	if (!key_ok("presign", tenant_id, key, false, err, errlen))
		return STORAGE_PERMANENT;
	if (expires_in < 1 || expires_in > STORAGE_PRESIGN_MAX_SECONDS) {
		(void)str_fmt(err, errlen, "S3 presign %s: expiry must be 1 to %ld seconds", key,
		    STORAGE_PRESIGN_MAX_SECONDS);
		return STORAGE_PERMANENT;
	}
	if ((st = S3_generate_authenticated_query_string(buf, &b, key, (int64_t)time(NULL) + expires_in, NULL)) !=
	    S3StatusOK) {
		(void)str_fmt(err, errlen, "S3 presign %s: %s", key, S3_get_status_name(st));
		return STORAGE_PERMANENT;
	}
	if (str_copy(url, urllen, buf) != 0) {
		(void)str_fmt(err, errlen, "S3 presign %s: URL longer than the buffer", key);
		return STORAGE_PERMANENT;
	}
	return STORAGE_OK;
}
