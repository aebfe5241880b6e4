/* test_child.c: shared/local/child.c with programs every Debian system has (sh, true, false, sleep,
 * printf, head, yes): exit 0 with stdout captured (or dropped), exit non-zero and death by a signal with
 * the last line of stderr (after a long stream of it, one write longer than what is kept, many small
 * writes), stdin from /dev/null, the stdout cap (at and past it), the time limit and cancellation
 * killing `sleep 10` quickly, and a program that does not exist, with and without a hint. */
#include "shared/local/child.h"

#include "shared/clock.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define QUICK_MS 3000 /* a killed `sleep 10` must be over well before this */

/* Runs argv with a minute's time and a 1 KiB cap; *out (caller frees) when out is not NULL. */
static enum child_outcome
run(char *const *argv, char **out, char *err, size_t errlen)
{
	const struct child_opts o = { .argv = argv, .timeout_ms = 60000, .stdout_max = 1024 };

	err[0] = '\0';
	return child_run(&o, out, err, errlen);
}

static void
test_exit_0_with_stdout(void **state)
{
	char *t[] = { "true", NULL }, *hi[] = { "sh", "-c", "echo hi", NULL }, *out = NULL, err[256];

	(void)state;
	assert_int_equal(run(t, &out, err, sizeof(err)), CHILD_EXITED_0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(run(hi, &out, err, sizeof(err)), CHILD_EXITED_0);
	assert_string_equal(out, "hi\n");
	free(out);
	assert_int_equal(run(hi, NULL, err, sizeof(err)), CHILD_EXITED_0); /* stdout read and dropped */
}

/* The child reads /dev/null, not what this process's stdin holds. */
static void
test_stdin_is_empty(void **state)
{
	char *argv[] = { "head", "-c", "10", NULL }, *out = NULL, err[256];
	int p[2], saved = dup(0);

	(void)state;
	assert_true(saved >= 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "not for the child\n", 18), 18);
	close(p[1]);
	assert_int_equal(dup2(p[0], 0), 0);
	close(p[0]);
	assert_int_equal(run(argv, &out, err, sizeof(err)), CHILD_EXITED_0);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	assert_string_equal(out, "");
	free(out);
}

static void
test_exit_nonzero(void **state)
{
	char *f[] = { "false", NULL }, *out = (char *)"x", err[256];
	char *said[] = { "sh", "-c", "echo hi; echo first >&2; echo 'the reason' >&2; exit 3", NULL };
	char *killed[] = { "sh", "-c", "kill -9 $$", NULL };

	(void)state;
	assert_int_equal(run(f, &out, err, sizeof(err)), CHILD_EXITED_NONZERO);
	assert_null(out);
	assert_string_equal(err, "false failed: no message");
	assert_int_equal(run(said, &out, err, sizeof(err)), CHILD_EXITED_NONZERO);
	assert_null(out);
	assert_string_equal(err, "sh failed: the reason");
	assert_int_equal(run(killed, NULL, err, sizeof(err)), CHILD_EXITED_NONZERO);
	assert_string_equal(err, "sh failed: no message");
}

static void
test_last_line_of_much_stderr(void **state)
{
	char *stream[] = { "sh", "-c", "yes noise | head -n 20000 >&2; printf 'the\\tend\\r\\n' >&2; exit 1", NULL };
	char *one_write[] = { "sh", "-c", "printf '%0500d\\nlast words\\n' 0 >&2; exit 1", NULL };
	char *lines[] = { "sh", "-c", "i=0; while [ $i -lt 200 ]; do printf 'line %d\\n' $i >&2; i=$((i+1)); done;"
		" exit 1", NULL };
	char err[256];

	(void)state;
	assert_int_equal(run(stream, NULL, err, sizeof(err)), CHILD_EXITED_NONZERO);
	assert_string_equal(err, "sh failed: the end");
	assert_int_equal(run(one_write, NULL, err, sizeof(err)), CHILD_EXITED_NONZERO); /* longer than the tail */
	assert_string_equal(err, "sh failed: last words");
	assert_int_equal(run(lines, NULL, err, sizeof(err)), CHILD_EXITED_NONZERO);
	assert_string_equal(err, "sh failed: line 199");
}

static void
test_stdout_cap(void **state)
{
	char *four[] = { "printf", "abcd", NULL }, *yes[] = { "yes", NULL }, *out = NULL, err[256];
	struct child_opts o = { .argv = four, .timeout_ms = 60000, .stdout_max = 4 };

	(void)state;
	assert_int_equal(child_run(&o, &out, err, sizeof(err)), CHILD_EXITED_0); /* exactly the cap */
	assert_string_equal(out, "abcd");
	free(out);
	o.stdout_max = 3;
	assert_int_equal(child_run(&o, &out, err, sizeof(err)), CHILD_OVERFLOW);
	assert_null(out);
	assert_string_equal(err, "printf: more than 3 bytes of output");
	assert_int_equal(run(yes, &out, err, sizeof(err)), CHILD_OVERFLOW); /* never ends by itself */
	assert_null(out);
	assert_string_equal(err, "yes: more than 1024 bytes of output");
}

static void
test_time_limit(void **state)
{
	char *argv[] = { "sleep", "10", NULL }, *out = NULL, err[256];
	const struct child_opts o = { .argv = argv, .timeout_ms = 200, .stdout_max = 16 };
	long long t0 = clock_ms();

	(void)state;
	assert_int_equal(child_run(&o, &out, err, sizeof(err)), CHILD_TIMED_OUT);
	assert_true(clock_ms() - t0 < QUICK_MS);
	assert_null(out);
	assert_string_equal(err, "sleep ran out of time");
}

static bool
third_time(void *arg)
{
	int *calls = arg;

	return ++*calls >= 3;
}

static void
test_cancelled(void **state)
{
	char *argv[] = { "sleep", "10", NULL }, err[256];
	int calls = 0;
	const struct child_opts o = { .argv = argv, .timeout_ms = 60000, .cancelled = third_time, .arg = &calls };
	long long t0 = clock_ms();

	(void)state;
	assert_int_equal(child_run(&o, NULL, err, sizeof(err)), CHILD_CANCELLED);
	assert_true(clock_ms() - t0 < QUICK_MS);
	assert_int_equal(calls, 3);
	assert_string_equal(err, "sleep was cancelled");
}

static void
test_no_such_program(void **state)
{
	char *argv[] = { "captionacc-no-such-program", NULL }, *out = (char *)"x", err[256];
	struct child_opts o = { .argv = argv, .timeout_ms = 60000, .stdout_max = 16 };

	(void)state;
	assert_int_equal(child_run(&o, &out, err, sizeof(err)), CHILD_CANNOT_RUN);
	assert_null(out);
	assert_string_equal(err, "cannot run captionacc-no-such-program: No such file or directory");
	o.hint = "install the Debian package captionacc";
	assert_int_equal(child_run(&o, NULL, err, sizeof(err)), CHILD_CANNOT_RUN);
	assert_string_equal(err, "cannot run captionacc-no-such-program: No such file or directory (install the "
	    "Debian package captionacc)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_0_with_stdout),
		cmocka_unit_test(test_stdin_is_empty),
		cmocka_unit_test(test_exit_nonzero),
		cmocka_unit_test(test_last_line_of_much_stderr),
		cmocka_unit_test(test_stdout_cap),
		cmocka_unit_test(test_time_limit),
		cmocka_unit_test(test_cancelled),
		cmocka_unit_test(test_no_such_program),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
