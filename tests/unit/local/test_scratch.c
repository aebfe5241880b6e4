/* test_scratch.c: shared/scratch.c: a fresh private directory per call, removed with everything below it
 * but never through a symbolic link; a path that does not fit and a missing parent are refused. */
#include "shared/local/scratch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("x", f);
	fclose(f);
}

static void
test_make_and_remove_a_tree(void **state)
{
	char a[256], b[256], path[512], keep[512];
	struct stat st;

	(void)state;
	assert_int_equal(scratch_make(a, sizeof(a), "/tmp", "test_scratch"), 0);
	assert_int_equal(scratch_make(b, sizeof(b), "/tmp", "test_scratch"), 0);
	assert_string_not_equal(a, b); /* fresh each time */
	assert_int_equal(strncmp(a, "/tmp/test_scratch-", 18), 0);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	snprintf(path, sizeof(path), "%s/d1", a);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/d1/d2", a);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/d1/d2/f", a);
	touch(path);
	snprintf(keep, sizeof(keep), "%s/kept", b);
	touch(keep);
	snprintf(path, sizeof(path), "%s/d1/link", a);
	assert_int_equal(symlink(b, path), 0); /* a link to a directory outside */

	assert_int_equal(scratch_remove(a), 0);
	assert_int_not_equal(lstat(a, &st), 0);
	assert_int_equal(stat(keep, &st), 0); /* not followed */
	assert_int_equal(scratch_remove(b), 0);
	assert_int_not_equal(lstat(b, &st), 0);
}

static void
test_refusals(void **state)
{
	char small[16], dir[256];

	(void)state;
	errno = 0;
	assert_int_equal(scratch_make(small, sizeof(small), "/tmp", "a-name-too-long"), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(scratch_make(dir, sizeof(dir), "/nonexistent-parent", "x"), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(scratch_remove("/nonexistent-parent/x"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_and_remove_a_tree),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
