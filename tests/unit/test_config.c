/* test_config.c: settings (SPEC §3): defaults, the key = value file, environment overriding the file,
 * one clear line naming a missing required key, typed and ranged values, unknown keys, and secrets never
 * shown in errors or --help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/config.h"

static char path[64];

static int
setup(void **state)
{
	static const char *vars[] = { "CAPTIONACC_CONFIG", "DATABASE_URL", "WEBHOOK_SECRET", "DB_SCHEMA",
		"MAX_BODY_BYTES", "AGE_BOOST_ENABLED", "QUEUE_BACKEND", "PRIORITY_FREE", NULL };
	int fd;

	for (int i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
	strcpy(path, "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	unlink(path);
	return 0;
}

static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_file_and_defaults(void **state)
{
	struct config cfg;
	char err[512];

	write_file("# comment\n\nDATABASE_URL = host=/tmp dbname=x\nWEBHOOK_SECRET=\"s e c\"\nMAX_BODY_BYTES = 2048\n"
	    "AGE_BOOST_ENABLED = false\n");
	assert_int_equal(config_load(&cfg, path, CONFIG_FCGI, err, sizeof(err)), 0);
	assert_string_equal(cfg.database_url, "host=/tmp dbname=x");
	assert_string_equal(cfg.webhook_secret, "s e c");
	assert_int_equal(cfg.max_body_bytes, 2048);
	assert_false(cfg.age_boost_enabled);
	assert_string_equal(cfg.db_schema, "public");
	assert_string_equal(cfg.queue_backend, "local");
	assert_int_equal(cfg.priority_free, 50);
	assert_int_equal(cfg.priority_premium, 70);
	assert_int_equal(cfg.priority_enterprise, 90);
	assert_int_equal(cfg.age_boost_per_minutes, 60);
	assert_int_equal(cfg.age_boost_cap, 20);
	assert_int_equal(cfg.priority_override, -1);
	config_free(&cfg);
}

static void
test_environment_wins(void **state)
{
	struct config cfg;
	char err[512];

	write_file("DATABASE_URL = from-file\nWEBHOOK_SECRET = file-secret\nPRIORITY_FREE = 40\n");
	setenv("DATABASE_URL", "from-env", 1);
	setenv("PRIORITY_FREE", "45", 1);
	setenv("CAPTIONACC_CONFIG", path, 1);
	assert_int_equal(config_load(&cfg, NULL, CONFIG_FCGI, err, sizeof(err)), 0);
	assert_string_equal(cfg.database_url, "from-env");
	assert_string_equal(cfg.webhook_secret, "file-secret");
	assert_int_equal(cfg.priority_free, 45);
	config_free(&cfg);
}

static void
test_missing_required_key_is_named(void **state)
{
	struct config cfg;
	char err[512];

	write_file("DATABASE_URL = x\n");
	assert_int_equal(config_load(&cfg, path, CONFIG_FCGI, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "WEBHOOK_SECRET"));
	/* the runner does not need the webhook secret */
	assert_int_equal(config_load(&cfg, path, CONFIG_RUNNER, err, sizeof(err)), 0);
	config_free(&cfg);
	write_file("WEBHOOK_SECRET = x\n");
	assert_int_equal(config_load(&cfg, path, CONFIG_RUNNER, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "DATABASE_URL"));
}

static void
test_bad_values(void **state)
{
	static const char *files[] = {
		"DATABASE_URL = x\nMAX_BODY_BYTES = 12abc\n",
		"DATABASE_URL = x\nMAX_BODY_BYTES = 10\n",
		"DATABASE_URL = x\nAGE_BOOST_ENABLED = maybe\n",
		"DATABASE_URL = x\nQUEUE_BACKEND = rabbit\n",
		"DATABASE_URL = x\nLOG_LEVEL = loud\n",
		"DATABASE_URL = x\nNO_SUCH_SETTING = 1\n",
		"DATABASE_URL = x\njust words\n",
	};
	struct config cfg;
	char err[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		write_file(files[i]);
		err[0] = '\0';
		if (config_load(&cfg, path, CONFIG_RUNNER, err, sizeof(err)) != -1)
			fail_msg("file %zu should be refused", i);
		assert_non_null(strstr(err, path)); /* the error says where */
	}
}

static void
test_secrets_not_in_errors(void **state)
{
	struct config cfg;
	char err[512];

	setenv("WEBHOOK_SECRET", "hunter2-topsecret", 1);
	write_file("DATABASE_URL = postgres://u:pw-topsecret@h/db\nMAX_BODY_BYTES = nope\n");
	assert_int_equal(config_load(&cfg, path, CONFIG_FCGI, err, sizeof(err)), -1);
	assert_null(strstr(err, "topsecret"));
}

static void
test_missing_explicit_file(void **state)
{
	struct config cfg;
	char err[512];

	assert_int_equal(config_load(&cfg, "/nonexistent/captionacc.conf", CONFIG_RUNNER, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/captionacc.conf"));
}

static void
test_usage_lists_settings_without_secret_defaults(void **state)
{
	char buf[8192] = { 0 };
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	assert_non_null(f);
	config_usage(f, CONFIG_FCGI);
	fclose(f);
	assert_non_null(strstr(buf, "DATABASE_URL"));
	assert_non_null(strstr(buf, "WEBHOOK_SECRET"));
	assert_non_null(strstr(buf, "MAX_BODY_BYTES"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_and_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_required_key_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_not_in_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_explicit_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage_lists_settings_without_secret_defaults, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
