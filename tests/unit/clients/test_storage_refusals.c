/* test_storage_refusals.c: what shared/clients/storage.c refuses before any request (its endpoint is a
 * port nobody listens on, so a request made by mistake would end transient, not permanent): settings too
 * long or a bucket name S3 would refuse; keys and prefixes outside the tenant, or none; an upload of a
 * file that is missing or not a regular file; a download into a place no file can be made or with too
 * long a path; presigned URLs with an expiry out of range or too long for the caller's buffer, and a
 * good one carrying the bucket, the key and a signature. */
#include "shared/clients/storage.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TENANT "tenant-a"
#define KEY TENANT "/videos/v1/video.mp4"

static char workdir[] = "/tmp/captionacc-storage-refusals.XXXXXX";

static struct config
config_for(const char *bucket, const char *secret)
{
	struct config c;

	memset(&c, 0, sizeof(c));
	c.s3_endpoint = (char *)"127.0.0.1:1";
	c.s3_bucket = (char *)bucket;
	c.s3_access_key = (char *)"ACCESS";
	c.s3_secret_key = (char *)secret;
	c.s3_protocol = CONFIG_S3_HTTP;
	c.s3_uri_style = CONFIG_S3_PATH;
	c.s3_timeout_seconds = 2;
	return c;
}

static void
open_storage(struct storage *s)
{
	struct config c = config_for("captionacc", "SECRET");
	char err[256];

	if (storage_open(s, &c, err, sizeof(err)) != 0)
		fail_msg("storage_open: %s", err);
}

static void
assert_contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

static void
test_open_refused(void **state)
{
	static char long_secret[200];
	static const struct {
		const char *bucket, *secret, *why;
	} cases[] = {
		{ NULL, "SECRET", "S3_BUCKET is not set" },
		{ "captionacc", NULL, "S3_SECRET_KEY is not set" },
		{ "captionacc", long_secret, "an S3_* setting is too long" },
		{ "bucket-name-of-sixty-four-characters-one-more-than-s3-allows-xyz", "SECRET",
		  "an S3_* setting is too long" },
		{ "ab", "SECRET", "S3_BUCKET is not a valid bucket name" },
		{ "bad/bucket", "SECRET", "S3_BUCKET is not a valid bucket name" },
	};
	struct storage s;
	char err[256];

	memset(long_secret, 's', sizeof(long_secret) - 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c = config_for(cases[i].bucket, cases[i].secret);

		if (storage_open(&s, &c, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted", i);
		assert_contains(err, cases[i].why);
	}
}

/* Keys of another tenant, escaping the tenant, or none: refused for every operation, naming it. */
static void
test_keys_refused(void **state)
{
	static const char *const keys[] = {
		"tenant-b/videos/v1/video.mp4", TENANT "/../tenant-b/x", "/" KEY, TENANT,
	};
	struct storage s;
	char err[256], url[STORAGE_URL_MAX], path[512];
	bool exists = true;
	long deleted = 7;

	open_storage(&s);
	assert_true((size_t)snprintf(path, sizeof(path), "%s/out", workdir) < sizeof(path));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		assert_int_equal(storage_put_bytes(&s, TENANT, keys[i], "x", 1, NULL, err, sizeof(err)), STORAGE_PERMANENT);
		assert_contains(err, "S3 upload refused: the key");
		assert_int_equal(storage_put_file(&s, TENANT, keys[i], path, NULL, err, sizeof(err)), STORAGE_PERMANENT);
		assert_contains(err, "S3 upload refused: the key");
		assert_int_equal(storage_get_file(&s, TENANT, keys[i], path, err, sizeof(err)), STORAGE_PERMANENT);
		assert_contains(err, "S3 download refused: the key");
		assert_int_equal(storage_exists(&s, TENANT, keys[i], &exists, err, sizeof(err)), STORAGE_PERMANENT);
		assert_contains(err, "refused: the key");
		assert_int_equal(storage_presign(&s, TENANT, keys[i], 60, url, sizeof(url), err, sizeof(err)),
		    STORAGE_PERMANENT);
		assert_contains(err, "S3 presign refused: the key");
	}
	assert_int_equal(access(path, F_OK), -1); /* no download left a file */
	assert_int_equal(storage_delete_prefix(&s, TENANT, "tenant-b/", 10, &deleted, err, sizeof(err)),
	    STORAGE_PERMANENT);
	assert_contains(err, "S3 delete refused: the key");
	assert_int_equal(deleted, 0);
	assert_int_equal(storage_list(&s, TENANT, "tenant-b/", 10, NULL, NULL, err, sizeof(err)), STORAGE_PERMANENT);
	assert_contains(err, "S3 list refused: the key");
	assert_int_equal(storage_put_bytes(&s, TENANT, NULL, "x", 1, NULL, err, sizeof(err)), STORAGE_PERMANENT);
	assert_contains(err, "S3 upload: no key");
	assert_int_equal(storage_get_file(&s, NULL, KEY, path, err, sizeof(err)), STORAGE_PERMANENT);
	assert_contains(err, "S3 download: no key");
}

/* Local files that cannot be read or written: permanent, naming the path, before any request. */
static void
test_local_files(void **state)
{
	struct storage s;
	char err[512], path[512], blocker[256], *long_path;
	size_t long_len = 4100;

	open_storage(&s);
	assert_true((size_t)snprintf(path, sizeof(path), "%s/no-such-file", workdir) < sizeof(path));
	assert_int_equal(storage_put_file(&s, TENANT, KEY, path, "video/mp4", err, sizeof(err)), STORAGE_PERMANENT);
	assert_contains(err, "cannot read");
	assert_contains(err, "No such file or directory");

	errno = 0;
	assert_int_equal(storage_put_file(&s, TENANT, KEY, workdir, "video/mp4", err, sizeof(err)), STORAGE_PERMANENT);
	assert_contains(err, "cannot read");
	assert_contains(err, workdir);

	/* A parent directory that cannot be made: a regular file stands where it should be. */
	assert_true((size_t)snprintf(blocker, sizeof(blocker), "%s/plain-file", workdir) < sizeof(blocker));
	{
		FILE *f = fopen(blocker, "w");

		assert_non_null(f);
		assert_int_equal(fclose(f), 0);
	}
	assert_true((size_t)snprintf(path, sizeof(path), "%s/sub/video.mp4", blocker) < sizeof(path));
	assert_int_equal(storage_get_file(&s, TENANT, KEY, path, err, sizeof(err)), STORAGE_PERMANENT);
	assert_contains(err, "S3 download " KEY ": cannot create");
	assert_contains(err, "Not a directory");

	long_path = malloc(long_len + 1);
	assert_non_null(long_path);
	memset(long_path, 'p', long_len);
	long_path[0] = '/';
	long_path[long_len] = '\0';
	assert_int_equal(storage_get_file(&s, TENANT, KEY, long_path, err, sizeof(err)), STORAGE_PERMANENT);
	assert_contains(err, "local path too long");
	free(long_path);
	assert_int_equal(unlink(blocker), 0);
}

static void
test_presign(void **state)
{
	struct storage s;
	char err[256], url[STORAGE_URL_MAX], tiny[32];

	open_storage(&s);
	assert_int_equal(storage_presign(&s, TENANT, KEY, 0, url, sizeof(url), err, sizeof(err)), STORAGE_PERMANENT);
	assert_contains(err, "expiry must be 1 to 604800 seconds");
	assert_int_equal(storage_presign(&s, TENANT, KEY, STORAGE_PRESIGN_MAX_SECONDS + 1, url, sizeof(url), err,
	    sizeof(err)), STORAGE_PERMANENT);
	assert_contains(err, "expiry must be 1 to 604800 seconds");
	assert_int_equal(storage_presign(&s, TENANT, KEY, STORAGE_PRESIGN_MAX_SECONDS, url, sizeof(url), err,
	    sizeof(err)), STORAGE_OK);
	assert_contains(url, "http://127.0.0.1:1/captionacc/" KEY "?");
	assert_contains(url, "Signature=");
	assert_int_equal(storage_presign(&s, TENANT, KEY, 60, tiny, sizeof(tiny), err, sizeof(err)), STORAGE_PERMANENT);
	assert_contains(err, "URL longer than the buffer");
}

static int
setup(void **state)
{
	return mkdtemp(workdir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	return rmdir(workdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_refused),
		cmocka_unit_test(test_keys_refused),
		cmocka_unit_test(test_local_files),
		cmocka_unit_test(test_presign),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
