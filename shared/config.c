/* config.c: the settings table, and the file and environment parsers it drives. Secret values are never
 * printed: not in --help, not in error messages. */
#include "build-config.h"

#include "shared/config.h"
#include "shared/str.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum setting_type { SETTING_STRING, SETTING_INT, SETTING_BOOL };

struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;
	const char *def;      /* default as text, parsed like any other value; NULL = unset */
	long min, max;        /* for SETTING_INT */
	const char *choices;  /* for SETTING_STRING: "a|b|c" or NULL */
	unsigned required;    /* programs that cannot start without it */
	unsigned used_by;     /* programs that read it (for --help) */
	bool secret;
	const char *help;
};

#define S(f) offsetof(struct config, f)
static const struct setting settings[] = {
	{ "DATABASE_URL", SETTING_STRING, S(database_url), NULL, 0, 0, NULL, CONFIG_BOTH, CONFIG_BOTH, true,
	  "libpq connection string or URI of the database" },
	{ "DB_SCHEMA", SETTING_STRING, S(db_schema), "public", 0, 0, NULL, 0, CONFIG_BOTH, false,
	  "schema holding the tables (a plain lower-case SQL identifier)" },
	{ "DB_CONNECT_TIMEOUT", SETTING_INT, S(db_connect_timeout), "2", 1, 60, NULL, 0, CONFIG_BOTH, false,
	  "seconds to wait for a database connection" },
	{ "DB_STATEMENT_TIMEOUT_MS", SETTING_INT, S(db_statement_timeout_ms), "5000", 0, 3600000, NULL, 0,
	  CONFIG_BOTH, false, "statement timeout in milliseconds (0 = none)" },
	{ "DB_RETRY_MS", SETTING_INT, S(db_retry_ms), "500", 0, 60000, NULL, 0, CONFIG_BOTH, false,
	  "ms to keep retrying a repeatable statement while the database is unavailable (0 = once)" },
	{ "WEBHOOK_SECRET", SETTING_STRING, S(webhook_secret), NULL, 0, 0, NULL, CONFIG_FCGI, CONFIG_FCGI, true,
	  "bearer secret the Supabase webhook sends" },
	{ "QUEUE_BACKEND", SETTING_STRING, S(queue_backend), "local", 0, 0, "local|prefect", 0, CONFIG_BOTH, false,
	  "where jobs are queued: local (a jobs table in PostgreSQL) or prefect (flow runs of a Prefect server)" },
	{ "MAX_BODY_BYTES", SETTING_INT, S(max_body_bytes), "1048576", 1024, 67108864, NULL, 0, CONFIG_FCGI,
	  false, "largest request body accepted (bytes)" },
	{ "RETRY_AFTER_SECONDS", SETTING_INT, S(retry_after_seconds), "5", 1, 3600, NULL, 0, CONFIG_FCGI, false,
	  "Retry-After sent with 503 when a dependency is down" },
	{ "AGE_BOOST_ENABLED", SETTING_BOOL, S(age_boost_enabled), "true", 0, 0, NULL, 0, CONFIG_BOTH, false,
	  "raise priority with the video's age" },
	{ "AGE_BOOST_PER_MINUTES", SETTING_INT, S(age_boost_per_minutes), "60", 1, 525600, NULL, 0, CONFIG_BOTH,
	  false, "minutes of age per +1 priority" },
	{ "AGE_BOOST_CAP", SETTING_INT, S(age_boost_cap), "20", 0, 1000, NULL, 0, CONFIG_BOTH, false,
	  "largest age boost" },
	{ "PRIORITY_FREE", SETTING_INT, S(priority_free), "50", 0, 1000, NULL, 0, CONFIG_BOTH, false,
	  "base priority of the free tier" },
	{ "PRIORITY_PREMIUM", SETTING_INT, S(priority_premium), "70", 0, 1000, NULL, 0, CONFIG_BOTH, false,
	  "base priority of the premium tier" },
	{ "PRIORITY_ENTERPRISE", SETTING_INT, S(priority_enterprise), "90", 0, 1000, NULL, 0, CONFIG_BOTH, false,
	  "base priority of the enterprise tier" },
	{ "PRIORITY_OVERRIDE", SETTING_INT, S(priority_override), "-1", -1, 1000, NULL, 0, CONFIG_BOTH, false,
	  "base priority for every tier (-1 = use the tier's)" },
	{ "TIER_MAP", SETTING_STRING, S(tier_map), "demo:free,active:premium,enterprise:enterprise", 0, 0, NULL,
	  0, CONFIG_BOTH, false, "access_tier_id:tier pairs; unknown ids and tenants without users are free" },
	{ "TIER_CACHE_SECONDS", SETTING_INT, S(tier_cache_seconds), "30", 0, 3600, NULL, 0, CONFIG_FCGI, false,
	  "seconds a process remembers a tenant's tier (0 = look it up on every request)" },
	{ "MAX_ATTEMPTS", SETTING_INT, S(max_attempts), "5", 1, 100, NULL, 0, CONFIG_BOTH, false,
	  "attempts a job gets before it fails" },
	{ "LEASE_SECONDS", SETTING_INT, S(lease_seconds), "300", 1, 86400, NULL, 0, CONFIG_RUNNER, false,
	  "how long a claimed job stays a runner's without a heartbeat (extended every third of it)" },
	{ "RETRY_BASE_MS", SETTING_INT, S(retry_base_ms), "10000", 0, 86400000, NULL, 0, CONFIG_RUNNER, false,
	  "first retry delay after a transient failure (doubles per attempt, jittered)" },
	{ "RETRY_MAX_MS", SETTING_INT, S(retry_max_ms), "600000", 0, 86400000, NULL, 0, CONFIG_RUNNER, false,
	  "longest retry delay" },
	{ "LOCK_SECONDS", SETTING_INT, S(lock_seconds), "3600", 10, 604800, NULL, 0, CONFIG_RUNNER, false,
	  "how long a runner's per-video lock lasts before others may treat it as stale" },
	{ "LOCK_WAIT_SECONDS", SETTING_INT, S(lock_wait_seconds), "30", 0, 86400, NULL, 0, CONFIG_RUNNER, false,
	  "how long a job waits before trying a held per-video lock again (no attempt is used)" },
	{ "FUNCTIONS_BACKEND", SETTING_STRING, S(functions_backend), "modal", 0, 0, "modal|local", 0,
	  CONFIG_RUNNER, false, "where GPU functions run: modal (web endpoints) or local (ffmpeg + tesseract here)" },
	{ "MODAL_EXTRACT_FRAMES_AND_OCR_URL", SETTING_STRING, S(modal_extract_url), NULL, 0, 0, NULL, 0,
	  CONFIG_RUNNER, false, "web endpoint of extract_frames_and_ocr" },
	{ "MODAL_EXTRACT_FRAMES_AND_OCR_POLL_URL", SETTING_STRING, S(modal_extract_poll_url), NULL, 0, 0, NULL, 0,
	  CONFIG_RUNNER, false, "if set, the URL above spawns and this one is polled with ?call_id=" },
	{ "MODAL_CROP_AND_INFER_URL", SETTING_STRING, S(modal_crop_url), NULL, 0, 0, NULL, 0, CONFIG_RUNNER, false,
	  "web endpoint of crop_and_infer" },
	{ "MODAL_CROP_AND_INFER_POLL_URL", SETTING_STRING, S(modal_crop_poll_url), NULL, 0, 0, NULL, 0,
	  CONFIG_RUNNER, false, "spawn + poll for crop_and_infer (as above)" },
	{ "MODAL_CAPTION_OCR_URL", SETTING_STRING, S(modal_caption_url), NULL, 0, 0, NULL, 0, CONFIG_RUNNER, false,
	  "web endpoint of caption_ocr" },
	{ "MODAL_CAPTION_OCR_POLL_URL", SETTING_STRING, S(modal_caption_poll_url), NULL, 0, 0, NULL, 0,
	  CONFIG_RUNNER, false, "spawn + poll for caption_ocr (as above)" },
	{ "MODAL_KEY", SETTING_STRING, S(modal_key), NULL, 0, 0, NULL, 0, CONFIG_RUNNER, true,
	  "Modal-Key proxy credential" },
	{ "MODAL_SECRET", SETTING_STRING, S(modal_secret), NULL, 0, 0, NULL, 0, CONFIG_RUNNER, true,
	  "Modal-Secret proxy credential" },
	{ "MODAL_TIMEOUT_SECONDS", SETTING_INT, S(modal_timeout_seconds), "1800", 1, 86400, NULL, 0, CONFIG_RUNNER,
	  false, "longest a GPU call may take, result redirects and polling included" },
	{ "MODAL_CONNECT_TIMEOUT_SECONDS", SETTING_INT, S(modal_connect_timeout_seconds), "10", 1, 300, NULL, 0,
	  CONFIG_RUNNER, false, "connect timeout of GPU calls" },
	{ "MODAL_MAX_REDIRECTS", SETTING_INT, S(modal_max_redirects), "40", 0, 1000, NULL, 0, CONFIG_RUNNER, false,
	  "most 303 result redirects followed (Modal sends one per 150 s)" },
	{ "MODAL_POLL_INTERVAL_MS", SETTING_INT, S(modal_poll_interval_ms), "2000", 10, 600000, NULL, 0,
	  CONFIG_RUNNER, false, "pause between polls of a spawned call" },
	{ "S3_ENDPOINT", SETTING_STRING, S(s3_endpoint), "s3.wasabisys.com", 0, 0, NULL, 0, CONFIG_RUNNER, false,
	  "S3 host[:port] (Wasabi's us-east-1 by default)" },
	{ "S3_BUCKET", SETTING_STRING, S(s3_bucket), NULL, 0, 0, NULL, 0, CONFIG_RUNNER, false,
	  "bucket holding the videos and everything made from them (needed by the local backend)" },
	{ "S3_ACCESS_KEY", SETTING_STRING, S(s3_access_key), NULL, 0, 0, NULL, 0, CONFIG_RUNNER, true,
	  "S3 access key id" },
	{ "S3_SECRET_KEY", SETTING_STRING, S(s3_secret_key), NULL, 0, 0, NULL, 0, CONFIG_RUNNER, true,
	  "S3 secret access key" },
	{ "S3_PROTOCOL", SETTING_STRING, S(s3_protocol), "https", 0, 0, "https|http", 0, CONFIG_RUNNER, false,
	  "https, or http for a local test server" },
	{ "S3_URI_STYLE", SETTING_STRING, S(s3_uri_style), "path", 0, 0, "path|virtual", 0, CONFIG_RUNNER, false,
	  "path (host/bucket/key, Wasabi's advice) or virtual (bucket.host/key)" },
	{ "S3_TIMEOUT_SECONDS", SETTING_INT, S(s3_timeout_seconds), "120", 1, 86400, NULL, 0, CONFIG_RUNNER, false,
	  "deadline of one S3 call, its retries included" },
	{ "S3_RETRIES", SETTING_INT, S(s3_retries), "3", 0, 20, NULL, 0, CONFIG_RUNNER, false,
	  "retries of an S3 request that failed with a retryable status" },
	{ "LOCAL_WORK_DIR", SETTING_STRING, S(local_work_dir), "/var/tmp", 0, 0, NULL, 0, CONFIG_RUNNER, false,
	  "where the local backend makes its scratch directories (removed after each call)" },
	{ "LOCAL_OCR_LANGUAGE", SETTING_STRING, S(local_ocr_language), "eng", 0, 0, NULL, 0, CONFIG_RUNNER, false,
	  "tesseract language(s) of the local backend, e.g. eng or eng+fra" },
	{ "LOCAL_CROP_FRAME_RATE_MILLI", SETTING_INT, S(local_crop_frame_rate_milli), "4000", 100, 60000, NULL, 0,
	  CONFIG_RUNNER, false, "frames per second x 1000 that local crop_and_infer reads (4000 = 4 fps)" },
	{ "LOCAL_MIN_CONFIDENCE", SETTING_INT, S(local_min_confidence), "30", 0, 100, NULL, 0, CONFIG_RUNNER, false,
	  "OCR words below this confidence (0-100) are dropped by the local backend" },
	{ "LOCAL_OCR_THREADS", SETTING_INT, S(local_ocr_threads), "1", 1, 256, NULL, 0, CONFIG_RUNNER, false,
	  "threads tesseract may use (the runner sets OMP_THREAD_LIMIT, unless the environment has it)" },
	{ "LOCAL_SAME_FRAME_TOLERANCE", SETTING_INT, S(local_same_frame_tolerance), "32", -1, 255, NULL, 0,
	  CONFIG_RUNNER, false, "grey levels a cropped frame may differ from the last one read and reuse its text"
	  " (-1 = OCR every frame)" },
	{ "PREFECT_API_URL", SETTING_STRING, S(prefect_api_url), NULL, 0, 0, NULL, 0, CONFIG_BOTH, false,
	  "Prefect API base, e.g. http://host:4200/api (needed when QUEUE_BACKEND=prefect)" },
	{ "PREFECT_API_KEY", SETTING_STRING, S(prefect_api_key), NULL, 0, 0, NULL, 0, CONFIG_BOTH, true,
	  "Prefect Cloud API key, sent as a bearer token" },
	{ "PREFECT_BASIC_AUTH", SETTING_STRING, S(prefect_basic_auth), NULL, 0, 0, NULL, 0, CONFIG_BOTH, true,
	  "user:password for a self-hosted Prefect server with basic auth" },
	{ "PREFECT_WORK_POOL", SETTING_STRING, S(prefect_work_pool), "captionacc", 0, 0, NULL, 0, CONFIG_BOTH, false,
	  "work pool the runner polls and whose queues carry the priorities" },
	{ "PREFECT_DEPLOYMENTS", SETTING_STRING, S(prefect_deployments),
	  "video_initial_processing=video_initial_processing/captionacc,crop_and_infer=crop_and_infer/captionacc,"
	  "caption_ocr=caption_ocr/captionacc,noop=noop/captionacc,diagnostic=diagnostic/captionacc", 0, 0, NULL, 0,
	  CONFIG_BOTH, false, "our flow=prefect-flow-name/deployment-name, comma-separated" },
	{ "PREFECT_QUEUE_BANDS", SETTING_STRING, S(prefect_queue_bands),
	  "90:captionacc-high,70:captionacc-normal,0:captionacc-low", 0, 0, NULL, 0, CONFIG_BOTH, false,
	  "min-priority:work-queue pairs, highest first; the first gets queue priority 1" },
	{ "PREFECT_TIMEOUT_SECONDS", SETTING_INT, S(prefect_timeout_seconds), "10", 1, 300, NULL, 0, CONFIG_BOTH,
	  false, "longest one Prefect call may take, retries included" },
	{ "PREFECT_RETRIES", SETTING_INT, S(prefect_retries), "3", 0, 10, NULL, 0, CONFIG_BOTH, false,
	  "retries of a Prefect call after 408, 429, 502, 503, 504 or a connection failure" },
	{ "PREFECT_POLL_INTERVAL_MS", SETTING_INT, S(prefect_poll_interval_ms), "1000", 10, 600000, NULL, 0,
	  CONFIG_RUNNER, false, "pause between polls of the work pool when it has nothing (with --wait)" },
	{ "LOG_LEVEL", SETTING_STRING, S(log_level), "info", 0, 0, "debug|info|warn|error", 0, CONFIG_BOTH, false,
	  "lowest level logged" },
	{ "LOG_FILE", SETTING_STRING, S(log_file), NULL, 0, 0, NULL, 0, CONFIG_BOTH, false,
	  "append log lines to this file instead of stderr" },
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

static bool
in_choices(const char *choices, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = choices; *p != '\0';) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return true;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return false;
}

/* Stores one value; `where` names its origin for the error message (the value itself is never shown
 * for secrets, and shown for others so the user sees what was wrong). */
static int
set_value(struct config *cfg, const struct setting *s, const char *value, const char *where, char *err,
    size_t errlen)
{
	char *base = (char *)cfg + s->offset;

	switch (s->type) {
	case SETTING_STRING: {
		char **dst = (char **)(void *)base;
		char *copy;

		if (s->choices != NULL && *value != '\0' && !in_choices(s->choices, value)) {
			(void)str_fmt(err, errlen, "%s: %s must be one of %s, not \"%s\"", where, s->name,
			    s->choices, value);
			return -1;
		}
		if (*value == '\0') { /* an empty value unsets: KEY= in the environment clears the file's */
			free(*dst);
			*dst = NULL;
			return 0;
		}
		if ((copy = strdup(value)) == NULL) {
			(void)str_fmt(err, errlen, "%s: out of memory", where);
			return -1;
		}
		free(*dst);
		*dst = copy;
		return 0;
	}
	case SETTING_INT:
		if (str_to_long(value, s->min, s->max, (long *)(void *)base) != 0) {
			(void)str_fmt(err, errlen, "%s: %s must be a whole number from %ld to %ld%s%s%s", where,
			    s->name, s->min, s->max, s->secret ? "" : ", not \"", s->secret ? "" : value,
			    s->secret ? "" : "\"");
			return -1;
		}
		return 0;
	case SETTING_BOOL: {
		bool *dst = (bool *)(void *)base;

		if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "on") == 0)
			*dst = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0 || strcmp(value, "no") == 0 ||
		    strcmp(value, "off") == 0)
			*dst = false;
		else {
			(void)str_fmt(err, errlen, "%s: %s must be true or false, not \"%s\"", where, s->name,
			    value);
			return -1;
		}
		return 0;
	}
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
		fprintf(out, "\n");
	}
}
