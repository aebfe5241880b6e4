/* test_log.c: shared/log.c through its public API, the log pointed at a file and read back: the line
 * format, control characters and 0x7f written as \xNN, a forged newline (or carriage return) that cannot
 * start a second line, over-long messages cut to one line without a broken escape, the context prefix
 * (set, cut, cleared) and the level threshold; and LOG_SYSLOG: with it, log_setup (both programs' start-up)
 * sends lines to syslog (caught by the test's writer) with the levels' priorities, and none to LOG_FILE. */
#include "shared/config.h"
#include "shared/log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static char path[64];
static char text[16384]; /* the file as read back */

static int
setup(void **state)
{
	int fd;

	strcpy(path, "/tmp/test_log.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return -1;
	close(fd);
	log_init("test_log", LOG_LEVEL_DEBUG);
	log_set_context(NULL);
	return log_open_file(path);
}

static int
teardown(void **state)
{
	unlink(path);
	return 0;
}

/* A new empty file for the next lines, the last one removed. */
static void
restart(void **state)
{
	assert_int_equal(teardown(state), 0);
	assert_int_equal(setup(state), 0);
}

/* Reads the file back into text; returns its number of lines (each must end with '\n'). */
static int
read_back(void)
{
	FILE *f = fopen(path, "r");
	size_t n;
	int lines = 0;

	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_true(n > 0 && text[n - 1] == '\n');
	for (size_t i = 0; i < n; i++)
		lines += text[i] == '\n';
	return lines;
}

/* The message of the one line in the file, after "<program>[pid] <level>: ", without its newline. */
static const char *
only_message(const char *level)
{
	char marker[64], *m;

	assert_int_equal(read_back(), 1);
	snprintf(marker, sizeof(marker), "] %s: ", level);
	m = strstr(text, marker);
	assert_non_null(m);
	text[strlen(text) - 1] = '\0';
	return m + strlen(marker);
}

static void
test_format(void **state)
{
	char prefix[64];

	log_info("hello %d", 42);
	snprintf(prefix, sizeof(prefix), "Z test_log[%ld] info: hello 42\n", (long)getpid());
	assert_int_equal(read_back(), 1);
	/* "YYYY-MM-DDTHH:MM:SS.mmmZ test_log[pid] info: hello 42" */
	assert_true(strlen(text) > 24 && text[4] == '-' && text[10] == 'T' && text[19] == '.');
	assert_string_equal(text + 23, prefix);
}

static void
test_control_characters_escaped(void **state)
{
	log_warn("a\tb\001c\177d\033[31me");
	assert_string_equal(only_message("warn"), "a\\x09b\\x01c\\x7fd\\x1b[31me");
}

/* Input holding a newline and a whole fake line stays inside the one real line. */
static void
test_forged_newline(void **state)
{
	const char *input = "x\n2024-01-01T00:00:00.000Z test_log[1] error: forged\r\nmore";

	log_info("user=%s", input);
	assert_string_equal(only_message("info"),
	    "user=x\\x0a2024-01-01T00:00:00.000Z test_log[1] error: forged\\x0d\\x0amore");
}

/* A message longer than a line is cut, still one line; escapes are never cut in the middle. */
static void
test_long_lines(void **state)
{
	static char big[10000];
	const char *m;
	size_t n;

	memset(big, 'a', sizeof(big) - 1);
	log_error("%s", big);
	m = only_message("error");
	n = strlen(m);
	assert_true(n > 1000 && n < 4096);
	assert_int_equal(strspn(m, "a"), n);

	restart(state);
	memset(big, '\001', sizeof(big) - 1); /* each byte grows to four */
	log_error("%s", big);
	m = only_message("error");
	n = strlen(m);
	assert_true(n > 1000 && n < 4096);
	assert_int_equal(n % 4, 0);
	for (size_t i = 0; i < n; i += 4)
		if (strncmp(m + i, "\\x01", 4) != 0)
			fail_msg("broken escape at %zu: %.8s", i, m + i);
}

static void
test_context_prefix(void **state)
{
	char ctx[200], want[256];

	log_set_context("job-1");
	log_info("step done");
	assert_string_equal(only_message("info"), "[job-1] step done");

	restart(state);
	log_set_context(NULL);
	log_info("no context");
	assert_string_equal(only_message("info"), "no context");

	restart(state);
	memset(ctx, 'c', sizeof(ctx) - 1);
	ctx[sizeof(ctx) - 1] = '\0';
	log_set_context(ctx); /* kept to its first 95 characters */
	log_info("m");
	snprintf(want, sizeof(want), "[%.95s] m", ctx);
	assert_string_equal(only_message("info"), want);
	log_set_context(NULL);
}

static void
test_level_threshold(void **state)
{
	log_init("test_log", LOG_LEVEL_WARN);
	assert_false(log_enabled(LOG_LEVEL_INFO));
	log_debug("not written");
	log_info("not written");
	log_warn("written");
	assert_string_equal(only_message("warn"), "written");
}

static int syslog_priorities[8];
static char syslog_lines[8][256];
static int syslog_n;

static void
catch_syslog(int priority, const char *line)
{
	if (syslog_n < 8) {
		syslog_priorities[syslog_n] = priority;
		snprintf(syslog_lines[syslog_n], sizeof(syslog_lines[0]), "%s", line);
	}
	syslog_n++;
}

/* Settings as both programs load them (an empty settings file, then the environment), LOG_FILE the test's
 * file, LOG_SYSLOG as given; then log_setup and one line per level. */
static void
setup_from_settings(const char *log_syslog)
{
	struct config cfg;
	char err[256];

	setenv("CAPTIONACC_CONFIG", "/dev/null", 1);
	setenv("DATABASE_URL", "postgresql:///unused", 1);
	setenv("LOG_FILE", path, 1);
	setenv("LOG_LEVEL", "debug", 1);
	if (log_syslog != NULL)
		setenv("LOG_SYSLOG", log_syslog, 1);
	else
		unsetenv("LOG_SYSLOG");
	assert_int_equal(config_load(&cfg, NULL, CONFIG_RUNNER, err, sizeof(err)), 0);
	syslog_n = 0;
	log_set_syslog_writer(catch_syslog);
	assert_int_equal(log_setup("test_log", &cfg, err, sizeof(err)), 0);
	config_free(&cfg);
	log_set_context("job-1");
	log_debug("d");
	log_info("i\nforged");
	log_warn("w");
	log_error("e");
	log_set_context(NULL);
}

static void
test_syslog(void **state)
{
	static const int want_priorities[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };
	static const char *const want_lines[] = { "debug: [job-1] d", "info: [job-1] i\\x0aforged", "warn: [job-1] w",
		"error: [job-1] e" };
	FILE *f;

	setup_from_settings("true");
	assert_int_equal(syslog_n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(syslog_priorities[i], want_priorities[i]);
		assert_string_equal(syslog_lines[i], want_lines[i]);
	}
	assert_non_null(f = fopen(path, "r"));
	assert_int_equal(fgetc(f), EOF); /* nothing went to LOG_FILE */
	fclose(f);

	setup_from_settings(NULL); /* the default: LOG_FILE, no syslog */
	assert_int_equal(syslog_n, 0);
	assert_int_equal(read_back(), 4);
	log_set_syslog_writer(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_characters_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_context_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_threshold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syslog, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
