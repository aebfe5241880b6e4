/* test_storage.c: shared/storage.c against real s3rver instances started by tests/integration/storage.sh
 * (S3_URL: signature checks off for listings; S3_STRICT_ENDPOINT: every signature checked), plus two
 * local doubles: a libmicrohttpd server that answers 503 like a busy Wasabi, and a socket that accepts
 * connections and never answers. */
#include "shared/clients/storage.h"

#include "shared/clock.h"

#include <curl/curl.h>
#include <microhttpd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define TENANT "tenant-a"

static char workdir[256];

/* A config naming endpoint (host:port) with the given secret. Strings are borrowed literals. */
static struct config
config_for(const char *endpoint, const char *secret)
{
	struct config c;

	memset(&c, 0, sizeof(c));
	c.s3_endpoint = (char *)endpoint;
	c.s3_bucket = (char *)"captionacc";
	c.s3_access_key = (char *)"S3RVER";
	c.s3_secret_key = (char *)secret;
	c.s3_protocol = CONFIG_S3_HTTP;
	c.s3_uri_style = CONFIG_S3_PATH;
	c.s3_timeout_seconds = 30;
	c.s3_retries = 2;
	return c;
}

static const char *
endpoint(void)
{
	static char ep[128];
	const char *url = getenv("S3_URL");

	assert_non_null(url);
	assert_int_equal(strncmp(url, "http://", 7), 0);
	snprintf(ep, sizeof(ep), "%s", url + 7);
	return ep;
}

static void
open_default(struct storage *s)
{
	struct config c = config_for(endpoint(), "S3RVER");
	char err[256];

	if (storage_open(s, &c, err, sizeof(err)) != 0)
		fail_msg("storage_open: %s", err);
}

static void
write_file(const char *path, const unsigned char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static unsigned char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
test_missing_settings(void **state)
{
	struct config c = config_for(endpoint(), "S3RVER");
	struct storage s;
	char err[256];

	(void)state;
	c.s3_bucket = NULL;
	assert_int_equal(storage_open(&s, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "S3_BUCKET"));
	c = config_for(endpoint(), NULL);
	assert_int_equal(storage_open(&s, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "S3_SECRET_KEY"));
}

/* A 300 KiB file of every byte value (NULs included) goes up from a file and comes back byte for byte,
 * into directories that did not exist. */
static void
test_round_trip(void **state)
{
	struct storage s;
	char src[512], dst[512], err[256];
	unsigned char *data = malloc(300 * 1024), *back;
	size_t n;

	(void)state;
	open_default(&s);
	for (size_t i = 0; i < 300 * 1024; i++)
		data[i] = (unsigned char)((i * 7919u) ^ (i >> 8));
	snprintf(src, sizeof(src), "%s/video.bin", workdir);
	snprintf(dst, sizeof(dst), "%s/nested/new/dir/video.bin", workdir);
	write_file(src, data, 300 * 1024);
	if (storage_put_file(&s, TENANT, TENANT "/client/videos/v1/video.mp4", src, "video/mp4", err, sizeof(err)) !=
	    STORAGE_OK)
		fail_msg("put_file: %s", err);
	if (storage_get_file(&s, TENANT, TENANT "/client/videos/v1/video.mp4", dst, err, sizeof(err)) != STORAGE_OK)
		fail_msg("get_file: %s", err);
	back = read_file(dst, &n);
	assert_int_equal(n, 300 * 1024);
	assert_memory_equal(back, data, n);
	free(back);
	/* Bytes, too; and a missing object is a clear permanent error that leaves no file behind. */
	if (storage_put_bytes(&s, TENANT, TENANT "/notes/hello.txt", "hello\0world", 11, "text/plain", err,
	    sizeof(err)) != STORAGE_OK)
		fail_msg("put_bytes: %s", err);
	snprintf(dst, sizeof(dst), "%s/hello.txt", workdir);
	assert_int_equal(storage_get_file(&s, TENANT, TENANT "/notes/hello.txt", dst, err, sizeof(err)), STORAGE_OK);
	back = read_file(dst, &n);
	assert_int_equal(n, 11);
	assert_memory_equal(back, "hello\0world", 11);
	free(back);
	snprintf(dst, sizeof(dst), "%s/missing.bin", workdir);
	assert_int_equal(storage_get_file(&s, TENANT, TENANT "/no/such/object", dst, err, sizeof(err)),
	    STORAGE_PERMANENT);
	assert_non_null(strstr(err, "NoSuchKey"));
	assert_int_equal(access(dst, F_OK), -1);
	free(data);
}

static void
test_exists(void **state)
{
	struct storage s;
	char err[256];
	bool e = false;

	(void)state;
	open_default(&s);
	assert_int_equal(storage_put_bytes(&s, TENANT, TENANT "/e/there.txt", "x", 1, NULL, err, sizeof(err)),
	    STORAGE_OK);
	assert_int_equal(storage_exists(&s, TENANT, TENANT "/e/there.txt", &e, err, sizeof(err)), STORAGE_OK);
	assert_true(e);
	assert_int_equal(storage_exists(&s, TENANT, TENANT "/e/not-there.txt", &e, err, sizeof(err)), STORAGE_OK);
	assert_false(e);
}

struct listed {
	int n;
	char last[256];
	bool ordered;
	uint64_t bytes;
};

static int
collect(void *arg, const char *key, uint64_t size)
{
	struct listed *l = arg;

	if (l->n > 0 && strcmp(l->last, key) >= 0)
		l->ordered = false;
	snprintf(l->last, sizeof(l->last), "%s", key);
	l->bytes += size;
	l->n++;
	return 0;
}

static void
put_many(struct storage *s, const char *tenant, const char *prefix, int n)
{
	char key[256], err[256];

	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s%03d.jpg", prefix, i);
		if (storage_put_bytes(s, tenant, key, "abcd", 4, "image/jpeg", err, sizeof(err)) != STORAGE_OK)
			fail_msg("put %s: %s", key, err);
	}
}

/* 25 objects listed 10 per page: three pages, every key once, in order; the neighbours are not listed. */
static void
test_list_pages(void **state)
{
	struct storage s;
	struct listed l = { 0, "", true, 0 };
	char err[256];

	(void)state;
	open_default(&s);
	put_many(&s, TENANT, TENANT "/list/frame_", 25);
	put_many(&s, TENANT, TENANT "/listing-other/frame_", 3);
	put_many(&s, "tenant-b", "tenant-b/list/frame_", 3);
	if (storage_list(&s, TENANT, TENANT "/list/", 10, collect, &l, err, sizeof(err)) != STORAGE_OK)
		fail_msg("list: %s", err);
	assert_int_equal(l.n, 25);
	assert_true(l.ordered);
	assert_int_equal(l.bytes, 100);
	assert_string_equal(l.last, TENANT "/list/frame_024.jpg");
}

/* 25 objects deleted 10 per page; the neighbouring prefix and the other tenant are untouched. */
static void
test_delete_prefix(void **state)
{
	struct storage s;
	struct listed l = { 0, "", true, 0 };
	char err[256];
	long deleted = -1;

	(void)state;
	open_default(&s);
	put_many(&s, TENANT, TENANT "/del/v1/frame_", 25);
	put_many(&s, TENANT, TENANT "/del/v10/frame_", 2);
	if (storage_delete_prefix(&s, TENANT, TENANT "/del/v1/", 10, &deleted, err, sizeof(err)) != STORAGE_OK)
		fail_msg("delete_prefix: %s", err);
	assert_int_equal(deleted, 25);
	assert_int_equal(storage_list(&s, TENANT, TENANT "/del/v1/", 10, collect, &l, err, sizeof(err)), STORAGE_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(storage_list(&s, TENANT, TENANT "/del/", 10, collect, &l, err, sizeof(err)), STORAGE_OK);
	assert_int_equal(l.n, 2);
	/* Nothing to delete is fine. */
	assert_int_equal(storage_delete_prefix(&s, TENANT, TENANT "/del/none/", 10, &deleted, err, sizeof(err)),
	    STORAGE_OK);
	assert_int_equal(deleted, 0);
}

struct body {
	char buf[256];
	size_t len;
};

static size_t
keep(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n;

	if (b->len + len < sizeof(b->buf)) {
		memcpy(b->buf + b->len, p, len);
		b->len += len;
	}
	return len;
}

static long
http_get(const char *url, struct body *b, char *ctype, size_t ctlen)
{
	CURL *c = curl_easy_init();
	long code = 0;
	char *ct = NULL;

	memset(b, 0, sizeof(*b));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (ctype != NULL) {
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		snprintf(ctype, ctlen, "%s", ct ? ct : "");
	}
	curl_easy_cleanup(c);
	return code;
}

/* A presigned URL works with plain libcurl, keeps the content type, and fails once tampered or expired
 * (on the strict instance: the lenient one accepts any signature). */
static void
test_presigned(void **state)
{
	struct config c = config_for(getenv("S3_STRICT_ENDPOINT"), "S3RVER");
	struct storage s;
	char url[STORAGE_URL_MAX], bad[STORAGE_URL_MAX], err[256], ct[128];
	struct body b;
	char *sig;

	(void)state;
	assert_non_null(c.s3_endpoint);
	assert_int_equal(storage_open(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(storage_put_bytes(&s, TENANT, TENANT "/p/doc.txt", "presigned!", 10, "text/plain", err,
	    sizeof(err)), STORAGE_OK);
	if (storage_presign(&s, TENANT, TENANT "/p/doc.txt", 600, url, sizeof(url), err, sizeof(err)) != STORAGE_OK)
		fail_msg("presign: %s", err);
	assert_non_null(strstr(url, "Signature="));
	assert_int_equal(http_get(url, &b, ct, sizeof(ct)), 200);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.buf, "presigned!", 10);
	assert_string_equal(ct, "text/plain");
	/* Tampered signature, and the same signature for another key. */
	snprintf(bad, sizeof(bad), "%s", url);
	sig = strstr(bad, "Signature=") + 10;
	*sig = *sig == 'A' ? 'B' : 'A';
	assert_int_equal(http_get(bad, &b, NULL, 0), 403);
	snprintf(bad, sizeof(bad), "%s", url);
	sig = strstr(bad, "doc.txt");
	memcpy(sig, "dod", 3);
	assert_int_equal(http_get(bad, &b, NULL, 0), 403);
	/* Expired. */
	assert_int_equal(storage_presign(&s, TENANT, TENANT "/p/doc.txt", 1, url, sizeof(url), err, sizeof(err)),
	    STORAGE_OK);
	sleep(2);
	assert_int_equal(http_get(url, &b, NULL, 0), 403);
	/* At most seven days. */
	assert_int_equal(storage_presign(&s, TENANT, TENANT "/p/doc.txt", STORAGE_PRESIGN_MAX_SECONDS + 1, url,
	    sizeof(url), err, sizeof(err)), STORAGE_PERMANENT);
	assert_int_equal(storage_presign(&s, TENANT, TENANT "/p/doc.txt", STORAGE_PRESIGN_MAX_SECONDS, url,
	    sizeof(url), err, sizeof(err)), STORAGE_OK);
}

/* The strict instance checks signatures: the right secret works, a wrong one is refused with the S3 code,
 * and the secret is not in the message. */
static void
test_wrong_secret(void **state)
{
	const char *strict = getenv("S3_STRICT_ENDPOINT");
	struct config c;
	struct storage s;
	char err[256];
	bool e;

	(void)state;
	assert_non_null(strict);
	c = config_for(strict, "S3RVER");
	assert_int_equal(storage_open(&s, &c, err, sizeof(err)), 0);
	if (storage_put_bytes(&s, TENANT, TENANT "/strict.txt", "ok", 2, NULL, err, sizeof(err)) != STORAGE_OK)
		fail_msg("strict put with the right secret: %s", err);
	c = config_for(strict, "not-the-secret-xyz");
	assert_int_equal(storage_open(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(storage_put_bytes(&s, TENANT, TENANT "/strict2.txt", "no", 2, NULL, err, sizeof(err)),
	    STORAGE_PERMANENT);
	assert_non_null(strstr(err, "SignatureDoesNotMatch"));
	assert_null(strstr(err, "not-the-secret-xyz"));
	assert_int_equal(storage_exists(&s, TENANT, TENANT "/strict.txt", &e, err, sizeof(err)), STORAGE_PERMANENT);
}

/* Keys of another tenant, or with "..", empty segments or unsafe characters, are refused before any
 * request: the endpoint here is a closed port, so a request would have failed differently. */
static void
test_tenant_prefix(void **state)
{
	static const char *bad[] = {
		"tenant-b/client/videos/v1/video.mp4",
		"tenant-ab/x",
		TENANT "/../tenant-b/x",
		TENANT "//x",
		TENANT "/a b.mp4",
		TENANT "/(x).mp4",
		TENANT "/x*",
		"/" TENANT "/x",
	};
	struct config c = config_for("127.0.0.1:1", "S3RVER");
	struct storage s;
	char err[256], url[STORAGE_URL_MAX], path[512];
	long deleted;
	bool e;

	(void)state;
	assert_int_equal(storage_open(&s, &c, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/refused", workdir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(storage_get_file(&s, TENANT, bad[i], path, err, sizeof(err)), STORAGE_PERMANENT);
		assert_non_null(strstr(err, "refused"));
		assert_int_equal(storage_put_bytes(&s, TENANT, bad[i], "x", 1, NULL, err, sizeof(err)), STORAGE_PERMANENT);
		assert_non_null(strstr(err, "refused"));
		assert_int_equal(storage_exists(&s, TENANT, bad[i], &e, err, sizeof(err)), STORAGE_PERMANENT);
		assert_non_null(strstr(err, "refused"));
		assert_int_equal(storage_presign(&s, TENANT, bad[i], 60, url, sizeof(url), err, sizeof(err)),
		    STORAGE_PERMANENT);
		assert_non_null(strstr(err, "refused"));
	}
	assert_int_equal(storage_delete_prefix(&s, TENANT, "tenant-b/", 10, &deleted, err, sizeof(err)),
	    STORAGE_PERMANENT);
	assert_non_null(strstr(err, "refused"));
	assert_int_equal(storage_list(&s, TENANT, "", 10, collect, NULL, err, sizeof(err)), STORAGE_PERMANENT);
	assert_int_equal(access(path, F_OK), -1);
}

/* --- doubles: a busy server and a silent one --------------------------------------------------- */

static int busy_requests;

static enum MHD_Result
busy(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
    const char *upload, size_t *upload_len, void **con_cls)
{
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>Unavailable</Code>"
	    "<Message>Service is busy, please retry</Message></Error>";
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls, (void)url, (void)method, (void)version, (void)upload;
	if (*con_cls == NULL) {
		*con_cls = conn;
		return MHD_YES;
	}
	if (*upload_len != 0) {
		*upload_len = 0;
		return MHD_YES;
	}
	__atomic_add_fetch(&busy_requests, 1, __ATOMIC_SEQ_CST);
	r = MHD_create_response_from_buffer(sizeof(xml) - 1, (void *)xml, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/xml");
	ret = MHD_queue_response(conn, 503, r);
	MHD_destroy_response(r);
	return ret;
}

/* A 503 is retried S3_RETRIES times, then reported as transient with S3's message. */
static void
test_retries(void **state)
{
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, busy, NULL,
	    MHD_OPTION_END);
	const union MHD_DaemonInfo *info;
	char ep[64], err[256];
	struct config c;
	struct storage s;

	(void)state;
	assert_non_null(d);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(ep, sizeof(ep), "127.0.0.1:%u", (unsigned)info->port);
	c = config_for(ep, "S3RVER");
	c.s3_retries = 2;
	assert_int_equal(storage_open(&s, &c, err, sizeof(err)), 0);
	s.backoff_ms = 10;
	busy_requests = 0;
	assert_int_equal(storage_put_bytes(&s, TENANT, TENANT "/busy.txt", "x", 1, NULL, err, sizeof(err)),
	    STORAGE_TRANSIENT);
	assert_int_equal(busy_requests, 3);
	assert_non_null(strstr(err, "busy"));
	MHD_stop_daemon(d);
}

/* A server that accepts and never answers: the call gives up at its own deadline. */
static void
test_deadline(void **state)
{
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char ep[64], err[256];
	struct config c;
	struct storage s;
	long long t0, took;
	bool e;

	(void)state;
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(ep, sizeof(ep), "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	c = config_for(ep, "S3RVER");
	assert_int_equal(storage_open(&s, &c, err, sizeof(err)), 0);
	s.timeout_ms = 1500;
	t0 = clock_ms();
	assert_int_equal(storage_exists(&s, TENANT, TENANT "/silent.txt", &e, err, sizeof(err)), STORAGE_TRANSIENT);
	took = clock_ms() - t0;
	assert_true(took >= 1400 && took < 4000);
	assert_non_null(strstr(err, "no answer within"));
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_settings),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_exists),
		cmocka_unit_test(test_list_pages),
		cmocka_unit_test(test_delete_prefix),
		cmocka_unit_test(test_presigned),
		cmocka_unit_test(test_wrong_secret),
		cmocka_unit_test(test_tenant_prefix),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_deadline),
	};
	const char *tmp = getenv("STACK_DIR");
	int rc;

	snprintf(workdir, sizeof(workdir), "%s/files", tmp ? tmp : "/tmp");
	mkdir(workdir, 0700);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
