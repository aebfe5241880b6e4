/* config.c: the settings table, and the file and environment parsers it drives. Secret values are never
 * printed: not in --help, not in error messages. */
#include "build-config.h"

#include "shared/config.h"
#include "shared/str.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum setting_type {
	SETTING_STRING,
	SETTING_INT,
	SETTING_BOOL,
	SETTING_ENUM,  /* one of `names`; stored as the index, an enum of config.h */
	SETTING_COLOURS /* RRGGBB[,RRGGBB...]: a struct config_colours */
};

static const char *const queue_names[CONFIG_QUEUE__MAX + 1] = { "local", "prefect", NULL };
static const char *const functions_names[CONFIG_FUNCTIONS__MAX + 1] = { "modal", "local", NULL };
static const char *const protocol_names[CONFIG_S3_PROTOCOL__MAX + 1] = { "https", "http", NULL };
static const char *const uri_style_names[CONFIG_S3_URI_STYLE__MAX + 1] = { "path", "virtual", NULL };
static const char *const level_names[LOG_LEVEL__MAX + 1] = { "debug", "info", "warn", "error", NULL };

struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;
	const char *def;      /* default as text, parsed like any other value; NULL = unset */
	long min, max;        /* for SETTING_INT */
	const char *const *names; /* for SETTING_ENUM: the values' names, NULL-terminated, in enum order */
	unsigned required;    /* programs that cannot start without it */
	unsigned used_by;     /* programs that read it (for --help) */
	bool secret;
	const char *help;
};

#define S(f) offsetof(struct config, f)
static const struct setting settings[] = {
	{ .name = "DATABASE_URL", .type = SETTING_STRING, .offset = S(database_url), .required = CONFIG_BOTH,
	  .used_by = CONFIG_BOTH, .secret = true,
	  .help = "libpq connection string or URI of the database" },
	{ .name = "DB_SCHEMA", .type = SETTING_STRING, .offset = S(db_schema), .def = "public",
	  .used_by = CONFIG_BOTH,
	  .help = "schema holding the tables (a plain lower-case SQL identifier)" },
	{ .name = "DB_CONNECT_TIMEOUT", .type = SETTING_INT, .offset = S(db_connect_timeout), .def = "2",
	  .min = 1, .max = 60, .used_by = CONFIG_BOTH,
	  .help = "seconds to wait for a database connection" },
	{ .name = "DB_STATEMENT_TIMEOUT_MS", .type = SETTING_INT, .offset = S(db_statement_timeout_ms),
	  .def = "5000", .min = 0, .max = 3600000, .used_by = CONFIG_BOTH,
	  .help = "statement timeout in milliseconds (0 = none)" },
	{ .name = "DB_RETRY_MS", .type = SETTING_INT, .offset = S(db_retry_ms), .def = "500",
	  .min = 0, .max = 60000, .used_by = CONFIG_BOTH,
	  .help = "ms to keep retrying a repeatable statement while the database is unavailable (0 = once)" },
	{ .name = "WEBHOOK_SECRET", .type = SETTING_STRING, .offset = S(webhook_secret),
	  .required = CONFIG_FCGI, .used_by = CONFIG_FCGI, .secret = true,
	  .help = "bearer secret the Supabase webhook sends; while rotating, the current and the previous one, "
	    "comma-separated" },
	{ .name = "WEBHOOK_SIGNING_SECRET", .type = SETTING_STRING, .offset = S(webhook_signing_secret),
	  .used_by = CONFIG_FCGI, .secret = true,
	  .help = "Standard Webhooks secret (whsec_<base64>): when set, webhooks must carry webhook-id, "
	    "webhook-timestamp and webhook-signature" },
	{ .name = "WEBHOOK_TOLERANCE_SECONDS", .type = SETTING_INT, .offset = S(webhook_tolerance_seconds),
	  .def = "300", .min = 1, .max = 86400, .used_by = CONFIG_FCGI,
	  .help = "how far a signed webhook's timestamp may be from now; a webhook-id seen within it gets the "
	    "first answer again" },
	{ .name = "SUPABASE_JWT_SECRET", .type = SETTING_STRING, .offset = S(supabase_jwt_secret),
	  .used_by = CONFIG_FCGI, .secret = true,
	  .help = "the Supabase project's JWT secret, for HS256 access tokens" },
	{ .name = "SUPABASE_JWKS_FILE", .type = SETTING_STRING, .offset = S(supabase_jwks_file),
	  .used_by = CONFIG_FCGI,
	  .help = "JSON Web Key Set file (Supabase's /auth/v1/.well-known/jwks.json) for ES256 and RS256 access "
	    "tokens; read again when it changes" },
	{ .name = "SUPABASE_JWT_ISSUER", .type = SETTING_STRING, .offset = S(supabase_jwt_issuer),
	  .used_by = CONFIG_FCGI,
	  .help = "iss an access token must carry, e.g. https://<ref>.supabase.co/auth/v1 (unset: not checked)" },
	{ .name = "SUPABASE_JWT_AUDIENCE", .type = SETTING_STRING, .offset = S(supabase_jwt_audience),
	  .def = "authenticated", .used_by = CONFIG_FCGI,
	  .help = "aud an access token must carry (or hold in its list)" },
	{ .name = "JWT_LEEWAY_SECONDS", .type = SETTING_INT, .offset = S(jwt_leeway_seconds), .def = "30",
	  .min = 0, .max = 600, .used_by = CONFIG_FCGI,
	  .help = "clock skew allowed when checking an access token's exp, nbf and iat" },
	{ .name = "CRON_SECRET", .type = SETTING_STRING, .offset = S(cron_secret), .used_by = CONFIG_FCGI,
	  .secret = true,
	  .help = "X-Cron-Secret of the internal endpoints (/api/internal/...); while rotating, the current and the "
	    "previous one, comma-separated (unset: they answer 401 to everyone)" },
	{ .name = "METRICS_ALLOW_ANONYMOUS", .type = SETTING_BOOL, .offset = S(metrics_allow_anonymous),
	  .def = "false", .used_by = CONFIG_FCGI,
	  .help = "GET /metrics answers without X-Cron-Secret (for a Prometheus that cannot send the header; keep "
	    "/metrics off the public internet in nginx then)" },
	{ .name = "QUEUE_BACKEND", .type = SETTING_ENUM, .offset = S(queue_backend), .def = "local",
	  .names = queue_names, .used_by = CONFIG_BOTH,
	  .help = "where jobs are queued: local (a jobs table in PostgreSQL) or prefect (flow runs of a Prefect "
	    "server)" },
	{ .name = "MAX_BODY_BYTES", .type = SETTING_INT, .offset = S(max_body_bytes), .def = "1048576",
	  .min = 1024, .max = 67108864, .used_by = CONFIG_FCGI,
	  .help = "largest request body accepted (bytes)" },
	{ .name = "RETRY_AFTER_SECONDS", .type = SETTING_INT, .offset = S(retry_after_seconds), .def = "5",
	  .min = 1, .max = 3600, .used_by = CONFIG_FCGI,
	  .help = "Retry-After sent with 503 when a dependency is down" },
	{ .name = "AGE_BOOST_ENABLED", .type = SETTING_BOOL, .offset = S(age_boost_enabled), .def = "true",
	  .used_by = CONFIG_BOTH,
	  .help = "raise priority with the video's age" },
	{ .name = "AGE_BOOST_PER_MINUTES", .type = SETTING_INT, .offset = S(age_boost_per_minutes), .def = "60",
	  .min = 1, .max = 525600, .used_by = CONFIG_BOTH,
	  .help = "minutes of age per +1 priority" },
	{ .name = "AGE_BOOST_CAP", .type = SETTING_INT, .offset = S(age_boost_cap), .def = "20",
	  .min = 0, .max = 1000, .used_by = CONFIG_BOTH,
	  .help = "largest age boost" },
	{ .name = "PRIORITY_FREE", .type = SETTING_INT, .offset = S(priority_free), .def = "50",
	  .min = 0, .max = 1000, .used_by = CONFIG_BOTH,
	  .help = "base priority of the free tier" },
	{ .name = "PRIORITY_PREMIUM", .type = SETTING_INT, .offset = S(priority_premium), .def = "70",
	  .min = 0, .max = 1000, .used_by = CONFIG_BOTH,
	  .help = "base priority of the premium tier" },
	{ .name = "PRIORITY_ENTERPRISE", .type = SETTING_INT, .offset = S(priority_enterprise), .def = "90",
	  .min = 0, .max = 1000, .used_by = CONFIG_BOTH,
	  .help = "base priority of the enterprise tier" },
	{ .name = "PRIORITY_OVERRIDE", .type = SETTING_INT, .offset = S(priority_override), .def = "-1",
	  .min = -1, .max = 1000, .used_by = CONFIG_BOTH,
	  .help = "base priority for every tier (-1 = use the tier's)" },
	{ .name = "TIER_MAP", .type = SETTING_STRING, .offset = S(tier_map),
	  .def = "demo:free,active:premium,enterprise:enterprise", .used_by = CONFIG_BOTH,
	  .help = "access_tier_id:tier pairs; unknown ids and tenants without users are free" },
	{ .name = "TIER_CACHE_SECONDS", .type = SETTING_INT, .offset = S(tier_cache_seconds), .def = "30",
	  .min = 0, .max = 3600, .used_by = CONFIG_FCGI,
	  .help = "seconds a process remembers a tenant's tier (0 = look it up on every request)" },
	{ .name = "BACKFILL_PRIORITY", .type = SETTING_INT, .offset = S(backfill_priority), .def = "10",
	  .min = 0, .max = 1000, .used_by = CONFIG_BOTH,
	  .help = "base priority of backfill jobs (below every tier's, so live work goes first; ageing still "
	    "applies)" },
	{ .name = "BACKFILL_PIPELINE_VERSION", .type = SETTING_INT, .offset = S(backfill_pipeline_version),
	  .def = "1", .min = 1, .max = 1000000, .used_by = CONFIG_BOTH,
	  .help = "pipeline version months are seeded with and reprocessed to (part of backfill jobs' "
	    "idempotency keys)" },
	{ .name = "MAX_ATTEMPTS", .type = SETTING_INT, .offset = S(max_attempts), .def = "5",
	  .min = 1, .max = 100, .used_by = CONFIG_BOTH,
	  .help = "attempts a job gets before it fails" },
	{ .name = "LEASE_SECONDS", .type = SETTING_INT, .offset = S(lease_seconds), .def = "300",
	  .min = 1, .max = 86400, .used_by = CONFIG_RUNNER,
	  .help = "how long a claimed job stays a runner's without a heartbeat (extended every third of it)" },
	{ .name = "DB_OUTAGE_SECONDS", .type = SETTING_INT, .offset = S(db_outage_seconds), .def = "60",
	  .min = 0, .max = 86400, .used_by = CONFIG_RUNNER,
	  .help = "how long a runner waits for a lost database to come back, keeping its job, or keeps trying "
	      "a claim the database refuses, before it stops" },
	{ .name = "RETRY_BASE_MS", .type = SETTING_INT, .offset = S(retry_base_ms), .def = "10000",
	  .min = 0, .max = 86400000, .used_by = CONFIG_RUNNER,
	  .help = "first retry delay after a transient failure (doubles per attempt, jittered)" },
	{ .name = "RETRY_MAX_MS", .type = SETTING_INT, .offset = S(retry_max_ms), .def = "600000",
	  .min = 0, .max = 86400000, .used_by = CONFIG_RUNNER,
	  .help = "longest retry delay" },
	{ .name = "LOCK_SECONDS", .type = SETTING_INT, .offset = S(lock_seconds), .def = "3600",
	  .min = 10, .max = 604800, .used_by = CONFIG_RUNNER,
	  .help = "how long a runner's per-video lock lasts before others may treat it as stale" },
	{ .name = "LOCK_WAIT_SECONDS", .type = SETTING_INT, .offset = S(lock_wait_seconds), .def = "30",
	  .min = 0, .max = 86400, .used_by = CONFIG_RUNNER,
	  .help = "how long a job waits before trying a held per-video lock again (no attempt is used)" },
	{ .name = "FUNCTIONS_BACKEND", .type = SETTING_ENUM, .offset = S(functions_backend), .def = "modal",
	  .names = functions_names, .used_by = CONFIG_RUNNER,
	  .help = "where GPU functions run: modal (web endpoints) or local (ffmpeg + tesseract here)" },
	{ .name = "MODAL_EXTRACT_FRAMES_AND_OCR_URL", .type = SETTING_STRING, .offset = S(modal_extract_url),
	  .used_by = CONFIG_RUNNER,
	  .help = "web endpoint of extract_frames_and_ocr" },
	{ .name = "MODAL_EXTRACT_FRAMES_AND_OCR_POLL_URL", .type = SETTING_STRING, .offset = S(modal_extract_poll_url),
	  .used_by = CONFIG_RUNNER,
	  .help = "if set, the URL above spawns and this one is polled with ?call_id=" },
	{ .name = "MODAL_CROP_AND_INFER_URL", .type = SETTING_STRING, .offset = S(modal_crop_url),
	  .used_by = CONFIG_RUNNER,
	  .help = "web endpoint of crop_and_infer" },
	{ .name = "MODAL_CROP_AND_INFER_POLL_URL", .type = SETTING_STRING, .offset = S(modal_crop_poll_url),
	  .used_by = CONFIG_RUNNER,
	  .help = "spawn + poll for crop_and_infer (as above)" },
	{ .name = "MODAL_CAPTION_OCR_URL", .type = SETTING_STRING, .offset = S(modal_caption_url),
	  .used_by = CONFIG_RUNNER,
	  .help = "web endpoint of caption_ocr" },
	{ .name = "MODAL_CAPTION_OCR_POLL_URL", .type = SETTING_STRING, .offset = S(modal_caption_poll_url),
	  .used_by = CONFIG_RUNNER,
	  .help = "spawn + poll for caption_ocr (as above)" },
	{ .name = "MODAL_KEY", .type = SETTING_STRING, .offset = S(modal_key), .used_by = CONFIG_RUNNER,
	  .secret = true,
	  .help = "Modal-Key proxy credential" },
	{ .name = "MODAL_SECRET", .type = SETTING_STRING, .offset = S(modal_secret), .used_by = CONFIG_RUNNER,
	  .secret = true,
	  .help = "Modal-Secret proxy credential" },
	{ .name = "MODAL_TIMEOUT_SECONDS", .type = SETTING_INT, .offset = S(modal_timeout_seconds),
	  .def = "1800", .min = 1, .max = 86400, .used_by = CONFIG_RUNNER,
	  .help = "longest a GPU call may take, result redirects and polling included" },
	{ .name = "MODAL_CONNECT_TIMEOUT_SECONDS", .type = SETTING_INT, .offset = S(modal_connect_timeout_seconds),
	  .def = "10", .min = 1, .max = 300, .used_by = CONFIG_RUNNER,
	  .help = "connect timeout of GPU calls" },
	{ .name = "MODAL_MAX_REDIRECTS", .type = SETTING_INT, .offset = S(modal_max_redirects), .def = "40",
	  .min = 0, .max = 1000, .used_by = CONFIG_RUNNER,
	  .help = "most 303 result redirects followed (Modal sends one per 150 s)" },
	{ .name = "MODAL_POLL_INTERVAL_MS", .type = SETTING_INT, .offset = S(modal_poll_interval_ms),
	  .def = "2000", .min = 10, .max = 600000, .used_by = CONFIG_RUNNER,
	  .help = "pause between polls of a spawned call" },
	{ .name = "S3_ENDPOINT", .type = SETTING_STRING, .offset = S(s3_endpoint), .def = "s3.wasabisys.com",
	  .used_by = CONFIG_RUNNER,
	  .help = "S3 host[:port] (Wasabi's us-east-1 by default)" },
	{ .name = "S3_BUCKET", .type = SETTING_STRING, .offset = S(s3_bucket), .used_by = CONFIG_RUNNER,
	  .help = "bucket holding the videos and everything made from them (needed by the local backend)" },
	{ .name = "S3_ACCESS_KEY", .type = SETTING_STRING, .offset = S(s3_access_key), .used_by = CONFIG_RUNNER,
	  .secret = true,
	  .help = "S3 access key id" },
	{ .name = "S3_SECRET_KEY", .type = SETTING_STRING, .offset = S(s3_secret_key), .used_by = CONFIG_RUNNER,
	  .secret = true,
	  .help = "S3 secret access key" },
	{ .name = "S3_PROTOCOL", .type = SETTING_ENUM, .offset = S(s3_protocol), .def = "https",
	  .names = protocol_names, .used_by = CONFIG_RUNNER,
	  .help = "https, or http for a local test server" },
	{ .name = "S3_URI_STYLE", .type = SETTING_ENUM, .offset = S(s3_uri_style), .def = "path",
	  .names = uri_style_names, .used_by = CONFIG_RUNNER,
	  .help = "path (host/bucket/key, Wasabi's advice) or virtual (bucket.host/key)" },
	{ .name = "S3_TIMEOUT_SECONDS", .type = SETTING_INT, .offset = S(s3_timeout_seconds), .def = "120",
	  .min = 1, .max = 86400, .used_by = CONFIG_RUNNER,
	  .help = "deadline of one S3 call, its retries included" },
	{ .name = "S3_RETRIES", .type = SETTING_INT, .offset = S(s3_retries), .def = "3", .min = 0, .max = 20,
	  .used_by = CONFIG_RUNNER,
	  .help = "retries of an S3 request that failed with a retryable status" },
	{ .name = "LOCAL_WORK_DIR", .type = SETTING_STRING, .offset = S(local_work_dir), .def = "/var/tmp",
	  .used_by = CONFIG_RUNNER,
	  .help = "where the local backend makes its scratch directories (removed after each call)" },
	{ .name = "LOCAL_OCR_LANGUAGE", .type = SETTING_STRING, .offset = S(local_ocr_language), .def = "eng",
	  .used_by = CONFIG_RUNNER,
	  .help = "tesseract language(s) of the local backend, e.g. eng or eng+fra" },
	{ .name = "LOCAL_CROP_FRAME_RATE_MILLI", .type = SETTING_INT, .offset = S(local_crop_frame_rate_milli),
	  .def = "4000", .min = 100, .max = 60000, .used_by = CONFIG_RUNNER,
	  .help = "frames per second x 1000 that local crop_and_infer reads (4000 = 4 fps)" },
	{ .name = "LOCAL_MIN_CONFIDENCE", .type = SETTING_INT, .offset = S(local_min_confidence), .def = "30",
	  .min = 0, .max = 100, .used_by = CONFIG_RUNNER,
	  .help = "OCR words below this confidence (0-100) are dropped by the local backend; a caption with no "
	    "word left is no caption" },
	{ .name = "LOCAL_SUBTITLE_COLOURS", .type = SETTING_COLOURS, .offset = S(local_subtitle_colours),
	  .def = "FFFFFF,FFFF00", .used_by = CONFIG_RUNNER,
	  .help = "text colours (RRGGBB, comma-separated, up to 8) local crop_and_infer looks for, each with a "
	    "contrasting outline or box (light text on dark, dark text on light)" },
	{ .name = "LOCAL_MIN_CAPTION_MS", .type = SETTING_INT, .offset = S(local_min_caption_ms), .def = "500",
	  .min = 0, .max = 60000, .used_by = CONFIG_RUNNER,
	  .help = "captions shown for less than this many milliseconds are dropped by local crop_and_infer" },
	{ .name = "LOCAL_OCR_THREADS", .type = SETTING_INT, .offset = S(local_ocr_threads), .def = "1",
	  .min = 1, .max = 256, .used_by = CONFIG_RUNNER,
	  .help = "threads tesseract may use (the runner sets OMP_THREAD_LIMIT, unless the environment has it)" },
	{ .name = "PREFECT_API_URL", .type = SETTING_STRING, .offset = S(prefect_api_url),
	  .used_by = CONFIG_BOTH,
	  .help = "Prefect API base, e.g. http://host:4200/api (needed when QUEUE_BACKEND=prefect)" },
	{ .name = "PREFECT_API_KEY", .type = SETTING_STRING, .offset = S(prefect_api_key),
	  .used_by = CONFIG_BOTH, .secret = true,
	  .help = "Prefect Cloud API key, sent as a bearer token" },
	{ .name = "PREFECT_BASIC_AUTH", .type = SETTING_STRING, .offset = S(prefect_basic_auth),
	  .used_by = CONFIG_BOTH, .secret = true,
	  .help = "user:password for a self-hosted Prefect server with basic auth" },
	{ .name = "PREFECT_WORK_POOL", .type = SETTING_STRING, .offset = S(prefect_work_pool),
	  .def = "captionacc", .used_by = CONFIG_BOTH,
	  .help = "work pool the runner polls and whose queues carry the priorities" },
	{ .name = "PREFECT_DEPLOYMENTS", .type = SETTING_STRING, .offset = S(prefect_deployments),
	  .def = "video_initial_processing=video_initial_processing/captionacc,crop_and_infer=crop_and_infer/captionacc," "caption_ocr=caption_ocr/captionacc,noop=noop/captionacc,diagnostic=diagnostic/captionacc",
	  .used_by = CONFIG_BOTH,
	  .help = "our flow=prefect-flow-name/deployment-name, comma-separated" },
	{ .name = "PREFECT_QUEUE_BANDS", .type = SETTING_STRING, .offset = S(prefect_queue_bands),
	  .def = "90:captionacc-high,70:captionacc-normal,20:captionacc-low,0:captionacc-backfill",
	  .used_by = CONFIG_BOTH,
	  .help = "min-priority:work-queue pairs, highest first; the first gets queue priority 1 (backfill jobs, at "
	    "BACKFILL_PRIORITY, belong in the last, below every tier)" },
	{ .name = "PREFECT_TIMEOUT_SECONDS", .type = SETTING_INT, .offset = S(prefect_timeout_seconds),
	  .def = "10", .min = 1, .max = 300, .used_by = CONFIG_BOTH,
	  .help = "longest one Prefect call may take, retries included" },
	{ .name = "PREFECT_RETRIES", .type = SETTING_INT, .offset = S(prefect_retries), .def = "3",
	  .min = 0, .max = 10, .used_by = CONFIG_BOTH,
	  .help = "retries of a Prefect call after 408, 429, 502, 503, 504 or a connection failure" },
	{ .name = "PREFECT_POLL_INTERVAL_MS", .type = SETTING_INT, .offset = S(prefect_poll_interval_ms),
	  .def = "1000", .min = 10, .max = 600000, .used_by = CONFIG_RUNNER,
	  .help = "pause between polls of the work pool when it has nothing (with --wait)" },
	{ .name = "LOG_LEVEL", .type = SETTING_ENUM, .offset = S(log_level), .def = "info",
	  .names = level_names, .used_by = CONFIG_BOTH,
	  .help = "lowest level logged" },
	{ .name = "LOG_FILE", .type = SETTING_STRING, .offset = S(log_file), .used_by = CONFIG_BOTH,
	  .help = "append log lines to this file instead of stderr" },
	{ .name = "LOG_SYSLOG", .type = SETTING_BOOL, .offset = S(log_syslog), .def = "false",
	  .used_by = CONFIG_BOTH,
	  .help = "send log lines to syslog (facility daemon, the program's name as ident, with its pid) instead "
	    "of stderr or LOG_FILE" },
};
#undef S
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const struct setting *
find_setting(const char *name)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

/* "a, b or c" for an enumerated setting's error message. */
static void
list_names(const char *const *names, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; names[i] != NULL; i++)
		(void)str_fmt(buf + strlen(buf), len - strlen(buf), "%s%s", i == 0 ? "" : names[i + 1] ? ", " : " or ",
		    names[i]);
}

static int
set_enum(struct config *cfg, const struct setting *s, const char *value, const char *where, char *err,
    size_t errlen)
{
	char names[128];

	for (size_t i = 0; s->names[i] != NULL; i++) {
		if (strcmp(s->names[i], value) == 0) {
			*(int *)(void *)((char *)cfg + s->offset) = (int)i;
			return 0;
		}
	}
	list_names(s->names, names, sizeof(names));
	(void)str_fmt(err, errlen, "%s: %s must be %s, not \"%s\"", where, s->name, names, value);
	return -1;
}

static int
set_string(struct config *cfg, const struct setting *s, const char *value, const char *where, char *err,
    size_t errlen)
{
	char **dst = (char **)(void *)((char *)cfg + s->offset);
	char *copy = NULL;

	/* An empty value unsets (KEY= in the environment clears the file's), unless there is a default:
	 * then the setting cannot be unset, and code using it never needs a fallback of its own. */
	if (*value == '\0' && s->def != NULL) {
		(void)str_fmt(err, errlen, "%s: %s must not be empty (its default is \"%s\")", where, s->name, s->def);
		return -1;
	}
	if (*value != '\0' && (copy = strdup(value)) == NULL) {
		(void)str_fmt(err, errlen, "%s: out of memory", where);
		return -1;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

static int
set_bool(struct config *cfg, const struct setting *s, const char *value, const char *where, char *err,
    size_t errlen)
{
	bool *dst = (bool *)(void *)((char *)cfg + s->offset);

	if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0 || strcmp(value, "yes") == 0 ||
	    strcmp(value, "on") == 0)
		*dst = true;
	else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0 || strcmp(value, "no") == 0 ||
	    strcmp(value, "off") == 0)
		*dst = false;
	else {
		(void)str_fmt(err, errlen, "%s: %s must be true or false, not \"%s\"", where, s->name, value);
		return -1;
	}
	return 0;
}

/* "RRGGBB[,RRGGBB...]" (hex digits, 1 to CONFIG_COLOURS_MAX colours) into a struct config_colours. */
static int
set_colours(struct config *cfg, const struct setting *s, const char *value, const char *where, char *err,
    size_t errlen)
{
	struct config_colours c = { 0 };
	const char *p = value;

	for (;;) {
		unsigned v = 0;
		int k;

		for (k = 0; k < 6 && isxdigit((unsigned char)p[k]); k++)
			v = v * 16 + (unsigned)(isdigit((unsigned char)p[k]) ? p[k] - '0' : (tolower((unsigned char)p[k]) - 'a' + 10));
		if (k < 6 || (p[6] != ',' && p[6] != '\0') || c.n == CONFIG_COLOURS_MAX) {
			(void)str_fmt(err, errlen, "%s: %s must be 1 to %d colours RRGGBB (hex), comma-separated, not \"%s\"",
			    where, s->name, CONFIG_COLOURS_MAX, value);
			return -1;
		}
		c.rgb[c.n++] = v;
		if (p[6] == '\0')
			break;
		p += 7;
	}
	*(struct config_colours *)(void *)((char *)cfg + s->offset) = c;
	return 0;
}

/* Stores one value; `where` names its origin for the error message (the value itself is never shown
 * for secrets, and shown for others so the user sees what was wrong). */
static int
set_value(struct config *cfg, const struct setting *s, const char *value, const char *where, char *err,
    size_t errlen)
{
	switch (s->type) {
	case SETTING_STRING:
		return set_string(cfg, s, value, where, err, errlen);
	case SETTING_ENUM:
		return set_enum(cfg, s, value, where, err, errlen);
	case SETTING_BOOL:
		return set_bool(cfg, s, value, where, err, errlen);
	case SETTING_COLOURS:
		return set_colours(cfg, s, value, where, err, errlen);
	case SETTING_INT:
		if (str_to_long(value, s->min, s->max, (long *)(void *)((char *)cfg + s->offset)) != 0) {
			(void)str_fmt(err, errlen, "%s: %s must be a whole number from %ld to %ld%s%s%s", where,
			    s->name, s->min, s->max, s->secret ? "" : ", not \"", s->secret ? "" : value,
			    s->secret ? "" : "\"");
			return -1;
		}
		return 0;
	}
	return -1;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Reads "KEY = value" lines; '#' starts a comment line; a value may be wrapped in double quotes. */
static int
load_file(struct config *cfg, const char *path, bool must_exist, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[4096], where[512];
	int lineno = 0, rc = -1;

	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		(void)str_fmt(err, errlen, "cannot read settings file %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *key, *value, *eq;
		const struct setting *s;
		size_t vlen;

		lineno++;
		(void)str_fmt(where, sizeof(where), "%s:%d", path, lineno);
		if (strchr(line, '\n') == NULL && !feof(f)) {
			(void)str_fmt(err, errlen, "%s: line too long", where);
			goto out;
		}
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			(void)str_fmt(err, errlen, "%s: expected KEY = value", where);
			goto out;
		}
		*eq = '\0';
		key = trim(key);
		value = trim(eq + 1);
		vlen = strlen(value);
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value[vlen - 1] = '\0';
			value++;
		}
		if ((s = find_setting(key)) == NULL) {
			(void)str_fmt(err, errlen, "%s: unknown setting \"%s\"", where, key);
			goto out;
		}
		if (set_value(cfg, s, value, where, err, errlen) != 0)
			goto out;
	}
	if (ferror(f)) {
		(void)str_fmt(err, errlen, "cannot read settings file %s", path);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

int
config_load(struct config *cfg, const char *path, unsigned program, char *err, size_t errlen)
{
	const char *envpath = getenv("CAPTIONACC_CONFIG");
	bool explicit_path = true;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NSETTINGS; i++)
		if (settings[i].def != NULL &&
		    set_value(cfg, &settings[i], settings[i].def, "default", err, errlen) != 0)
			goto fail;
	if (path == NULL && envpath != NULL && *envpath != '\0')
		path = envpath;
	if (path == NULL) {
		path = CAPTIONACC_DEFAULT_CONFIG;
		explicit_path = false;
	}
	if (load_file(cfg, path, explicit_path, err, errlen) != 0)
		goto fail;
	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *v = getenv(settings[i].name);
		char where[96];

		if (v == NULL)
			continue;
		(void)str_fmt(where, sizeof(where), "environment variable %s", settings[i].name);
		if (set_value(cfg, &settings[i], v, where, err, errlen) != 0)
			goto fail;
	}
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];
		char *const *str = (char *const *)(void *)((char *)cfg + s->offset);

		if ((s->required & program) && s->type == SETTING_STRING && (*str == NULL || **str == '\0')) {
			(void)str_fmt(err, errlen, "missing required setting %s (set it in %s or the environment)",
			    s->name, path);
			goto fail;
		}
	}
	return 0;
fail:
	config_free(cfg);
	return -1;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NSETTINGS; i++) {
		if (settings[i].type == SETTING_STRING) {
			char **p = (char **)(void *)((char *)cfg + settings[i].offset);

			free(*p);
			*p = NULL;
		}
	}
}

const char *
config_setting_name(size_t i)
{
	return i < NSETTINGS ? settings[i].name : NULL;
}

const char *
config_queue_name(enum config_queue q)
{
	return (q >= 0 && q < CONFIG_QUEUE__MAX) ? queue_names[q] : "?";
}

void
config_usage(FILE *out, unsigned program)
{
	fprintf(out, "Settings (file %s or $CAPTIONACC_CONFIG or --config; environment wins):\n",
	    CAPTIONACC_DEFAULT_CONFIG);
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];

		if (!(s->used_by & program))
			continue;
		fprintf(out, "  %-24s %s", s->name, s->help);
		if (s->required & program)
			fprintf(out, " (required)");
		else if (s->def != NULL && !s->secret)
			fprintf(out, " (default %s)", s->def);
		if (s->secret)
			fprintf(out, " (secret: never printed)");
		fprintf(out, "\n");
	}
}
