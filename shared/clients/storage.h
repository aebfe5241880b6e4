/* storage.h: the objects of S3 (Wasabi) through libs3: upload, download, exists, list and delete by prefix,
 * presigned GET URLs. Every call names the tenant it acts for; its key passes validate_storage_key (or
 * validate_storage_prefix) before any request is made, so a key of another tenant never reaches S3. Every
 * call has a deadline (S3_TIMEOUT_SECONDS, retries included) and retries retryable statuses (S3_RETRIES).
 * Errors come back as one line naming the operation, the key and the S3 error code. */
#ifndef CAPTIONACC_STORAGE_H
#define CAPTIONACC_STORAGE_H

#include "shared/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum storage_result {
	STORAGE_OK = 0,
	STORAGE_TRANSIENT = -1,  /* timeout, connection, 5xx, throttling: worth retrying later */
	STORAGE_PERMANENT = -2   /* refused key, missing object, access denied, bad request, local I/O */
};

/* Presigned URLs live at most this long (Wasabi's and AWS's limit). */
#define STORAGE_PRESIGN_MAX_SECONDS (7L * 24 * 3600)
#define STORAGE_URL_MAX 4096

struct storage {
	char host[256];
	char bucket[64];
	char access_key[128];
	char secret_key[128];
	int protocol;            /* S3Protocol */
	int uri_style;           /* S3UriStyle */
	long timeout_ms;         /* deadline of one call */
	int retries;             /* extra attempts for retryable statuses */
	long backoff_ms;         /* first pause between attempts (doubles) */
};

/* Fills s from the S3_* settings. -1 with a line naming the missing key (S3_BUCKET, S3_ACCESS_KEY,
 * S3_SECRET_KEY) or the libs3 failure. Initialises libs3 once per process. */
int storage_open(struct storage *s, const struct config *cfg, char *err, size_t errlen)
    __attribute__((warn_unused_result));

enum storage_result storage_put_bytes(const struct storage *s, const char *tenant_id, const char *key,
    const void *data, size_t len, const char *content_type, char *err, size_t errlen);
enum storage_result storage_put_file(const struct storage *s, const char *tenant_id, const char *key,
    const char *path, const char *content_type, char *err, size_t errlen);
/* Writes the object to path (through path.part, renamed when complete), creating parent directories. */
enum storage_result storage_get_file(const struct storage *s, const char *tenant_id, const char *key,
    const char *path, char *err, size_t errlen);
/* *exists tells whether the object is there (a missing object is not an error). */
enum storage_result storage_exists(const struct storage *s, const char *tenant_id, const char *key,
    bool *exists, char *err, size_t errlen);

/* Called once per listed object, in key order; a non-zero return stops the listing (the call then
 * returns STORAGE_OK). */
typedef int (*storage_list_fn)(void *arg, const char *key, uint64_t size);
/* Lists every object under prefix, page_size keys per request (1-1000). */
enum storage_result storage_list(const struct storage *s, const char *tenant_id, const char *prefix,
    int page_size, storage_list_fn fn, void *arg, char *err, size_t errlen);
/* Deletes every object under prefix, a page at a time (the page's deletes run concurrently); *deleted
 * counts them (also when a later page fails). */
enum storage_result storage_delete_prefix(const struct storage *s, const char *tenant_id, const char *prefix,
    int page_size, long *deleted, char *err, size_t errlen);
/* A GET URL for key valid for expires_in seconds (1 to STORAGE_PRESIGN_MAX_SECONDS); no request is made. */
enum storage_result storage_presign(const struct storage *s, const char *tenant_id, const char *key,
    long expires_in, char *url, size_t urllen, char *err, size_t errlen);

#endif
