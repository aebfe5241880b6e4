/* test_gzip.c: shared/local/gzip.c: what it writes is real gzip (zlib reads it back byte for byte, and it
 * is not stored plain) for a short text, for a file longer than one read buffer and for an empty file; a
 * missing source, a destination that cannot be created, a source that cannot be read and a destination
 * that takes no more bytes are errors with a message. */
#include "shared/local/gzip.h"
#include "shared/local/scratch.h"

#include <zlib.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	return scratch_make(dir, sizeof(dir), "/tmp", "test_gzip");
}

static int
teardown(void **state)
{
	(void)state;
	return scratch_remove(dir);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Gzips data through a file and checks that zlib reads back exactly data, from a compressed stream. */
static void
round_trip(const char *name, const char *data, size_t len)
{
	char src[128], dst[128], err[256] = "";
	char *back = malloc(len + 2);
	gzFile g;

	assert_non_null(back);
	snprintf(src, sizeof(src), "%s/%s", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s.gz", dir, name);
	write_file(src, data, len);
	if (gzip_file(src, dst, err, sizeof(err)) != 0)
		fail_msg("gzip %s: %s", name, err);
	g = gzopen(dst, "rb");
	assert_non_null(g);
	assert_int_equal(gzread(g, back, (unsigned)len + 2), (int)len); /* no more than was written */
	assert_int_equal(gzdirect(g), 0);                                /* compressed, not copied */
	assert_int_equal(gzclose(g), Z_OK);
	assert_memory_equal(back, data, len);
	free(back);
}

static void
test_short_text(void **state)
{
	(void)state;
	round_trip("plain", "layout database bytes", 21);
}

static void
test_longer_than_a_buffer(void **state)
{
	size_t len = 200000;
	char *data = malloc(len);

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)((i * 7919) % 251);
	round_trip("long", data, len);
	free(data);
}

static void
test_empty_file(void **state)
{
	(void)state;
	round_trip("empty", "", 0);
}

static void
test_missing_source(void **state)
{
	char dst[128], err[256] = "";

	(void)state;
	snprintf(dst, sizeof(dst), "%s/missing.gz", dir);
	assert_int_equal(gzip_file("/nonexistent/file", dst, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot gzip /nonexistent/file"));
}

static void
test_destination_not_writable(void **state)
{
	char src[128], dst[128], err[256] = "";

	(void)state;
	snprintf(src, sizeof(src), "%s/source", dir);
	write_file(src, "x", 1);
	/* A directory that does not exist, then a directory where the file should go (refused even to root). */
	snprintf(dst, sizeof(dst), "%s/no-such-dir/out.gz", dir);
	assert_int_equal(gzip_file(src, dst, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot gzip"));
	err[0] = '\0';
	assert_int_equal(gzip_file(src, dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, dir));
}

/* A source that cannot be read (a directory), and a destination that takes no more bytes (/dev/full):
 * a write that fails at once (more than zlib buffers, not compressible) or only when the file is
 * finished (one byte). Each named. */
static void
test_read_and_write_errors(void **state)
{
	char src[128], big[128], err[256] = "";
	char *data;
	size_t n = 1 << 20;
	unsigned x = 12345;

	(void)state;
	assert_int_equal(gzip_file(dir, "/dev/full", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read"));
	assert_non_null(strstr(err, dir));

	snprintf(src, sizeof(src), "%s/one-byte", dir);
	write_file(src, "x", 1);
	err[0] = '\0';
	assert_int_equal(gzip_file(src, "/dev/full", err, sizeof(err)), -1);
	assert_string_equal(err, "cannot finish /dev/full");

	data = malloc(n);
	assert_non_null(data);
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (char)(x >> 16);
	}
	snprintf(big, sizeof(big), "%s/noise", dir);
	write_file(big, data, n);
	free(data);
	err[0] = '\0';
	assert_int_equal(gzip_file(big, "/dev/full", err, sizeof(err)), -1);
	assert_string_equal(err, "cannot write /dev/full");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_text),
		cmocka_unit_test(test_longer_than_a_buffer),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_missing_source),
		cmocka_unit_test(test_destination_not_writable),
		cmocka_unit_test(test_read_and_write_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
