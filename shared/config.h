/* config.h: the settings both programs read (SPEC §3): a key = value file, then environment variables of
 * the same names, which win. One declarative table in config.c drives parsing, checks and --help. */
#ifndef CAPTIONACC_CONFIG_H
#define CAPTIONACC_CONFIG_H

#include "shared/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Which program needs a setting; a required setting is only required by the programs named. */
#define CONFIG_FCGI 0x1u
#define CONFIG_RUNNER 0x2u
#define CONFIG_BOTH (CONFIG_FCGI | CONFIG_RUNNER)

/* Enumerated settings: parsed once at start-up into these (names in config.c's table, in this order). */
enum config_queue {
	CONFIG_QUEUE_LOCAL,      /* a jobs table in PostgreSQL */
	CONFIG_QUEUE_PREFECT,    /* flow runs of a Prefect server */
	CONFIG_QUEUE__MAX
};

enum config_functions {
	CONFIG_FUNCTIONS_MODAL,  /* Modal web endpoints */
	CONFIG_FUNCTIONS_LOCAL,  /* ffmpeg + tesseract on this machine */
	CONFIG_FUNCTIONS__MAX
};

enum config_s3_protocol {
	CONFIG_S3_HTTPS,
	CONFIG_S3_HTTP,
	CONFIG_S3_PROTOCOL__MAX
};

enum config_s3_uri_style {
	CONFIG_S3_PATH,
	CONFIG_S3_VIRTUAL,
	CONFIG_S3_URI_STYLE__MAX
};

/* A list of colours (LOCAL_SUBTITLE_COLOURS), parsed from "RRGGBB,RRGGBB". */
#define CONFIG_COLOURS_MAX 8
struct config_colours {
	int n;
	unsigned rgb[CONFIG_COLOURS_MAX];   /* 0xRRGGBB */
};

/* Every string is heap-owned by the struct and freed by config_free(). A string setting with a default
 * is never NULL or empty after config_load; one without a default is NULL when unset. */
struct config {
	char *database_url;
	char *db_schema;
	long db_connect_timeout;
	long db_statement_timeout_ms;
	long db_retry_ms;
	char *webhook_secret;
	char *webhook_signing_secret;
	long webhook_tolerance_seconds;
	char *supabase_jwt_secret;
	char *supabase_jwks_file;
	char *supabase_jwt_issuer;
	char *supabase_jwt_audience;
	long jwt_leeway_seconds;
	char *cron_secret;
	bool metrics_allow_anonymous;
	enum config_queue queue_backend;
	long max_body_bytes;
	long retry_after_seconds;
	bool age_boost_enabled;
	long age_boost_per_minutes;
	long age_boost_cap;
	long priority_free;
	long priority_premium;
	long priority_enterprise;
	long priority_override;
	char *tier_map;
	long tier_cache_seconds;
	long backfill_priority;
	long backfill_pipeline_version;
	long max_attempts;
	long lease_seconds;
	long db_outage_seconds;
	long retry_base_ms;
	long retry_max_ms;
	long lock_seconds;
	long lock_wait_seconds;
	enum config_functions functions_backend;
	char *modal_extract_url;
	char *modal_extract_poll_url;
	char *modal_crop_url;
	char *modal_crop_poll_url;
	char *modal_caption_url;
	char *modal_caption_poll_url;
	char *modal_key;
	char *modal_secret;
	long modal_timeout_seconds;
	long modal_connect_timeout_seconds;
	long modal_max_redirects;
	long modal_poll_interval_ms;
	char *s3_endpoint;
	char *s3_bucket;
	char *s3_access_key;
	char *s3_secret_key;
	enum config_s3_protocol s3_protocol;
	enum config_s3_uri_style s3_uri_style;
	long s3_timeout_seconds;
	long s3_retries;
	char *local_work_dir;
	char *local_ocr_language;
	long local_crop_frame_rate_milli;
	long local_min_confidence;
	struct config_colours local_subtitle_colours;
	long local_min_caption_ms;
	long local_ocr_threads;
	char *prefect_api_url;
	char *prefect_api_key;
	char *prefect_basic_auth;
	char *prefect_work_pool;
	char *prefect_deployments;
	char *prefect_queue_bands;
	long prefect_timeout_seconds;
	long prefect_retries;
	long prefect_poll_interval_ms;
	enum log_level log_level;
	char *log_file;
	bool log_syslog;
};

/* Loads defaults, then the file, then the environment, then checks required keys for `program`.
 * path NULL means $CAPTIONACC_CONFIG, else the built-in default; a missing default file is not an error,
 * a missing file that was asked for is. On failure returns -1 with one line in err naming the key. */
int config_load(struct config *cfg, const char *path, unsigned program, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void config_free(struct config *cfg);
/* The name of an enumerated setting's value, e.g. config_queue_name(CONFIG_QUEUE_PREFECT) "prefect". */
const char *config_queue_name(enum config_queue q);

/* The name of setting i of the table (for tests and tools), NULL past the last one. */
const char *config_setting_name(size_t i);

/* Prints every setting of `program` with its default and help text (for --help). */
void config_usage(FILE *out, unsigned program);

#endif
