/* test_log_threads.c: shared/log.c with two threads: one sets and clears its context in a loop while
 * another logs to a file; every line is whole, and no thread's lines carry another thread's context
 * (run it under -fsanitize=thread to see that nothing races). */
#include "shared/log.h"
#include "shared/local/scratch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGGER_LINES 3000

static char scratch[256];
static char logpath[512];
static atomic_bool logger_done;
static pthread_barrier_t start;

/* The text after "<level>: " of a log line, or NULL if the line is not one of ours. */
static const char *
after_level(const char *line)
{
	const char *p = strstr(line, " info: ");

	if (strncmp(line, "20", 2) != 0 || strstr(line, " test_log_threads[") == NULL || p == NULL)
		return NULL;
	return p + strlen(" info: ");
}

static void *
setter(void *arg)
{
	char ctx[64];

	(void)arg;
	pthread_barrier_wait(&start);
	for (long i = 0; !atomic_load(&logger_done); i++) {
		snprintf(ctx, sizeof(ctx), "job-setter-%ld", i);
		log_set_context(ctx);
		if (i % 100 == 0)
			log_info("setter line %ld", i);
		log_set_context(NULL);
	}
	return NULL;
}

static void *
logger(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	for (int i = 0; i < LOGGER_LINES; i++)
		log_info("logger line %d", i);
	atomic_store(&logger_done, true);
	return NULL;
}

static void
test_context_is_per_thread(void **state)
{
	pthread_t a, b;
	char line[4096];
	long logger_lines = 0, setter_lines = 0;
	FILE *f;

	(void)state;
	atomic_store(&logger_done, false);
	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	assert_int_equal(pthread_create(&a, NULL, setter, NULL), 0);
	assert_int_equal(pthread_create(&b, NULL, logger, NULL), 0);
	assert_int_equal(pthread_join(a, NULL), 0);
	assert_int_equal(pthread_join(b, NULL), 0);
	pthread_barrier_destroy(&start);

	assert_non_null(f = fopen(logpath, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *text = after_level(line);
		long n;

		if (text == NULL || line[strlen(line) - 1] != '\n')
			fail_msg("not a whole log line: %s", line);
		if (strncmp(text, "logger line ", 12) == 0) {
			logger_lines++; /* the logging thread never set a context: its lines carry none */
		} else if (sscanf(text, "[job-setter-%ld] setter line %ld", &n, &n) == 2) {
			char want[96];

			snprintf(want, sizeof(want), "[job-setter-%ld] setter line %ld\n", n, n);
			if (strcmp(text, want) != 0)
				fail_msg("setter line with another context: %s", line);
			setter_lines++;
		} else {
			fail_msg("a line with a context that is not its own thread's: %s", line);
		}
	}
	fclose(f);
	assert_int_equal(logger_lines, LOGGER_LINES);
	assert_true(setter_lines > 0);
}

static void *
log_in_new_thread(void *arg)
{
	log_info("thread before");
	log_set_context("thread-ctx");
	log_info("thread after");
	return NULL;
}

static void
test_new_thread_starts_without_context(void **state)
{
	static const char *const want[] = { "[main-ctx] main before\n", "thread before\n",
		"[thread-ctx] thread after\n", "[main-ctx] main after\n" };
	pthread_t t;
	char line[4096];
	size_t n = 0;
	FILE *f;

	(void)state;
	log_set_context("main-ctx");
	log_info("main before");
	assert_int_equal(pthread_create(&t, NULL, log_in_new_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	log_info("main after");
	log_set_context(NULL);

	assert_non_null(f = fopen(logpath, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *text = after_level(line);

		assert_non_null(text);
		assert_true(n < sizeof(want) / sizeof(want[0]));
		assert_string_equal(text, want[n]);
		n++;
	}
	fclose(f);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
}

/* Each test logs to a fresh file in its own scratch directory. */
static int
setup(void **state)
{
	(void)state;
	if (scratch_make(scratch, sizeof(scratch), "/tmp", "test_log_threads") != 0)
		return -1;
	snprintf(logpath, sizeof(logpath), "%s/log", scratch);
	log_init("test_log_threads", LOG_LEVEL_INFO);
	return log_open_file(logpath);
}

static int
teardown(void **state)
{
	(void)state;
	return scratch_remove(scratch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_context_is_per_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_thread_starts_without_context, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
