/* test_config.c: settings (SPEC §3): defaults, the key = value file, environment overriding the file,
 * one clear line naming a missing required key, typed and ranged values, colour lists, unknown keys, secrets never
 * shown in errors or --help, files that cannot be read, and CAPTIONACC_CONFIG. */
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
	assert_int_equal(cfg.queue_backend, CONFIG_QUEUE_LOCAL);
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

/* Every setting, empty and with a wrong value, in the environment: either it is accepted (an optional
 * string) or config_load refuses it with one line naming the setting. Never a crash; and after a
 * successful load every enumerated or defaulted setting holds a usable value. */
static void
test_every_setting_empty_or_wrong(void **state)
{
	static const char *values[] = { "", "x-wrong-value", " " };
	static const char *enumerated[] = { "QUEUE_BACKEND", "FUNCTIONS_BACKEND", "LOG_LEVEL", "S3_PROTOCOL",
		"S3_URI_STYLE" };
	struct config cfg;
	char err[512];
	const char *name;

	write_file("DATABASE_URL = x\nWEBHOOK_SECRET = y\n");
	for (size_t i = 0; (name = config_setting_name(i)) != NULL; i++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			setenv(name, values[v], 1);
			err[0] = '\0';
			if (config_load(&cfg, path, CONFIG_FCGI | CONFIG_RUNNER, err, sizeof(err)) == 0) {
				assert_non_null(cfg.db_schema);
				assert_non_null(cfg.local_work_dir);
				assert_non_null(cfg.local_ocr_language);
				assert_non_null(cfg.tier_map);
				assert_true(cfg.queue_backend < CONFIG_QUEUE__MAX);
				assert_true(cfg.functions_backend < CONFIG_FUNCTIONS__MAX);
				assert_true(cfg.log_level < LOG_LEVEL__MAX);
				config_free(&cfg);
			} else if (strstr(err, name) == NULL || strchr(err, '\n') != NULL)
				fail_msg("%s=\"%s\": the error does not name it on one line: %s", name, values[v], err);
		}
		unsetenv(name);
	}
	for (size_t i = 0; i < sizeof(enumerated) / sizeof(enumerated[0]); i++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			setenv(enumerated[i], values[v], 1);
			if (config_load(&cfg, path, CONFIG_FCGI, err, sizeof(err)) != -1)
				fail_msg("%s=\"%s\" should be refused", enumerated[i], values[v]);
			assert_non_null(strstr(err, enumerated[i]));
		}
		unsetenv(enumerated[i]);
	}
}

static void
test_enumerated_values(void **state)
{
	struct config cfg;
	char err[512];

	write_file("DATABASE_URL = x\nQUEUE_BACKEND = prefect\nFUNCTIONS_BACKEND = local\nLOG_LEVEL = warn\n"
	    "S3_PROTOCOL = http\nS3_URI_STYLE = virtual\n");
	assert_int_equal(config_load(&cfg, path, CONFIG_RUNNER, err, sizeof(err)), 0);
	assert_int_equal(cfg.queue_backend, CONFIG_QUEUE_PREFECT);
	assert_int_equal(cfg.functions_backend, CONFIG_FUNCTIONS_LOCAL);
	assert_int_equal(cfg.log_level, LOG_LEVEL_WARN);
	assert_int_equal(cfg.s3_protocol, CONFIG_S3_HTTP);
	assert_int_equal(cfg.s3_uri_style, CONFIG_S3_VIRTUAL);
	assert_string_equal(config_queue_name(cfg.queue_backend), "prefect");
	config_free(&cfg);
	write_file("DATABASE_URL = x\n");
	assert_int_equal(config_load(&cfg, path, CONFIG_RUNNER, err, sizeof(err)), 0);
	assert_int_equal(cfg.queue_backend, CONFIG_QUEUE_LOCAL);
	assert_int_equal(cfg.functions_backend, CONFIG_FUNCTIONS_MODAL);
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	assert_int_equal(cfg.s3_protocol, CONFIG_S3_HTTPS);
	assert_int_equal(cfg.s3_uri_style, CONFIG_S3_PATH);
	config_free(&cfg);
}

/* LOCAL_SUBTITLE_COLOURS: RRGGBB hex colours, comma-separated, 1 to CONFIG_COLOURS_MAX; the default is
 * white and yellow; anything else is refused with the setting's name. */
static void
test_colours(void **state)
{
	static const char *bad[] = { "", "FFF", "FFFFFF,", ",FFFFFF", "FFFFFG", "FFFFFF FFFF00", "FFFFFFF",
		"1,2,3,4,5,6,7,8,9", "000000,000000,000000,000000,000000,000000,000000,000000,000000" };
	struct config cfg;
	char err[512];

	(void)state;
	write_file("DATABASE_URL = x\n");
	assert_int_equal(config_load(&cfg, path, CONFIG_RUNNER, err, sizeof(err)), 0);
	assert_int_equal(cfg.local_subtitle_colours.n, 2);
	assert_int_equal(cfg.local_subtitle_colours.rgb[0], 0xFFFFFF);
	assert_int_equal(cfg.local_subtitle_colours.rgb[1], 0xFFFF00);
	assert_int_equal(cfg.local_min_caption_ms, 500);
	config_free(&cfg);
	write_file("DATABASE_URL = x\nLOCAL_SUBTITLE_COLOURS = 00ff00,ffffff,000000\n");
	assert_int_equal(config_load(&cfg, path, CONFIG_RUNNER, err, sizeof(err)), 0);
	assert_int_equal(cfg.local_subtitle_colours.n, 3);
	assert_int_equal(cfg.local_subtitle_colours.rgb[0], 0x00FF00);
	assert_int_equal(cfg.local_subtitle_colours.rgb[2], 0);
	config_free(&cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[256];

		snprintf(line, sizeof(line), "DATABASE_URL = x\nLOCAL_SUBTITLE_COLOURS = \"%s\"\n", bad[i]);
		write_file(line);
		assert_int_equal(config_load(&cfg, path, CONFIG_RUNNER, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "LOCAL_SUBTITLE_COLOURS must be 1 to 8 colours"));
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

/* A line longer than the reader's buffer and a settings "file" that cannot be read (a directory) are
 * refused naming the file and line; CAPTIONACC_CONFIG names the file when no path is given. */
static void
test_unreadable_files(void **state)
{
	struct config cfg;
	char err[512], *text, want[128];
	size_t n = 5000;

	text = malloc(n + 32);
	assert_non_null(text);
	strcpy(text, "DB_SCHEMA = ");
	memset(text + 12, 'a', n);
	strcpy(text + 12 + n, "\n");
	write_file(text);
	free(text);
	assert_int_equal(config_load(&cfg, path, CONFIG_RUNNER, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: line too long", path);
	assert_string_equal(err, want);

	assert_int_equal(config_load(&cfg, "/tmp", CONFIG_RUNNER, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "settings file /tmp"));

	write_file("DATABASE_URL = postgres://u@h/db\nDB_SCHEMA = from_the_env_file\n");
	setenv("CAPTIONACC_CONFIG", path, 1);
	if (config_load(&cfg, NULL, CONFIG_RUNNER, err, sizeof(err)) != 0)
		fail_msg("config_load: %s", err);
	assert_string_equal(cfg.db_schema, "from_the_env_file");
	config_free(&cfg);
	unsetenv("CAPTIONACC_CONFIG");
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
		cmocka_unit_test_setup_teardown(test_every_setting_empty_or_wrong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enumerated_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_colours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_not_in_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_explicit_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage_lists_settings_without_secret_defaults, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
