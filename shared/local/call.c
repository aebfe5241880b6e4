/* call.c: see call.h. Each call works in its own scratch directory under LOCAL_WORK_DIR, removed
 * afterwards; S3 keys are under the tenant's prefix, checked again by shared/clients/storage.c. */
#include "shared/local/call.h"

#include "shared/clock.h"
#include "shared/log.h"
#include "shared/local/scratch.h"
#include "shared/str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ocr *engine;   /* loaded once per process: tesseract's models take a while to load */
static char engine_lang[64];

void
call_engine_free(void)
{
	ocr_free(engine);
	engine = NULL;
	engine_lang[0] = '\0';
}

enum localgpu_result
call_engine(struct call *c, struct ocr **out)
{
	const char *lang = c->cfg->local_ocr_language;

	if (engine != NULL && strcmp(engine_lang, lang) != 0)
		call_engine_free();
	if (engine == NULL) {
		if ((engine = ocr_new(lang, c->err, c->errlen)) == NULL)
			return LOCALGPU_FAIL;
		(void)str_fmt(engine_lang, sizeof(engine_lang), "%s", lang);
	}
	*out = engine;
	return LOCALGPU_OK;
}

enum localgpu_result
call_fail(struct call *c, enum localgpu_result r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return r;
}

enum localgpu_result
call_from_storage(enum storage_result r)
{
	return r == STORAGE_TRANSIENT ? LOCALGPU_RETRY : LOCALGPU_FAIL;
}

enum localgpu_result
call_from_media(enum media_result r)
{
	return r == MEDIA_BAD_INPUT ? LOCALGPU_FAIL : LOCALGPU_RETRY;
}

bool
call_stopping(struct call *c)
{
	return c->cancelled != NULL && c->cancelled(c->arg);
}

static bool
cancel_hook(void *arg)
{
	struct call *c = arg;

	return call_stopping(c);
}

double
call_elapsed_seconds(const struct call *c)
{
	return (double)(clock_ms() - c->started_ms) / 1000.0;
}

void
call_end(struct call *c)
{
	if (c->work[0] != '\0' && scratch_remove(c->work) != 0)
		log_warn("local backend: cannot remove %s: %s", c->work, strerror(errno));
	c->work[0] = '\0';
}

enum localgpu_result
call_begin(struct call *c, const struct config *cfg, const struct gpu_input *in, bool (*cancelled)(void *),
    void *arg, char *err, size_t errlen)
{
	char dir[CALL_PATH_LEN];

	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->cancelled = cancelled;
	c->arg = arg;
	c->err = err;
	c->errlen = errlen;
	c->started_ms = clock_ms();
	c->media.timeout_seconds = 3600;
	c->media.cancelled = cancel_hook;
	c->media.arg = c;
	if (str_copy(c->video_id, sizeof(c->video_id), in->video_id) != 0 ||
	    str_copy(c->tenant_id, sizeof(c->tenant_id), in->tenant_id) != 0 ||
	    str_copy(c->video_key, sizeof(c->video_key), in->video_key ? in->video_key : "") != 0)
		return call_fail(c, LOCALGPU_FAIL, "ids or video_key too long");
	if (str_fmt(c->client, sizeof(c->client), "%s/client/videos/%s/", c->tenant_id, c->video_id) != 0 ||
	    str_fmt(c->server, sizeof(c->server), "%s/server/videos/%s/", c->tenant_id, c->video_id) != 0)
		return call_fail(c, LOCALGPU_FAIL, "ids too long");
	if (storage_open(&c->s3, cfg, err, errlen) != 0)
		return LOCALGPU_FAIL;
	if (scratch_make(dir, sizeof(dir), cfg->local_work_dir, "captionacc") != 0)
		return call_fail(c, LOCALGPU_RETRY, "cannot make a scratch directory under LOCAL_WORK_DIR %s: %s",
		    cfg->local_work_dir, strerror(errno));
	(void)str_fmt(c->work, sizeof(c->work), "%s", dir);
	return LOCALGPU_OK;
}

enum localgpu_result
call_path(struct call *c, char *buf, size_t len, const char *name)
{
	if (str_fmt(buf, len, "%s/%s", c->work, name) != 0)
		return call_fail(c, LOCALGPU_FAIL, "scratch path too long");
	return LOCALGPU_OK;
}

enum localgpu_result
call_download(struct call *c, const char *key, const char *path)
{
	enum storage_result r = storage_get_file(&c->s3, c->tenant_id, key, path, c->err, c->errlen);

	return r == STORAGE_OK ? LOCALGPU_OK : call_from_storage(r);
}

enum localgpu_result
call_upload(struct call *c, const char *key, const char *path, const char *type)
{
	enum storage_result r = storage_put_file(&c->s3, c->tenant_id, key, path, type, c->err, c->errlen);

	return r == STORAGE_OK ? LOCALGPU_OK : call_from_storage(r);
}

enum localgpu_result
call_upload_frames(struct call *c, const char *dir, int n, const char *prefix)
{
	char path[CALL_PATH_LEN], key[CALL_KEY_LEN];
	enum localgpu_result r;

	for (int i = 0; i < n; i++) {
		if (call_stopping(c))
			return call_fail(c, LOCALGPU_RETRY, "interrupted while uploading frames");
		if (media_frame_path(path, sizeof(path), dir, i) != 0 ||
		    str_fmt(key, sizeof(key), "%sframe_%06d.jpg", prefix, i) != 0)
			return call_fail(c, LOCALGPU_FAIL, "frame path too long");
		if ((r = call_upload(c, key, path, "image/jpeg")) != LOCALGPU_OK)
			return r;
	}
	return LOCALGPU_OK;
}

enum localgpu_result
call_video(struct call *c, const char *path, struct media_info *info)
{
	enum localgpu_result r;
	char why[512];

	if ((r = call_download(c, c->video_key, path)) != LOCALGPU_OK)
		return r;
	/* ffprobe's reason in a buffer of its own: c->err is where the message below is written. */
	if (media_probe(path, &c->media, info, why, sizeof(why)) != MEDIA_OK)
		return call_fail(c, LOCALGPU_FAIL, "%s is not a readable video: %.300s", c->video_key, why);
	return LOCALGPU_OK;
}

/* Highest N among <server>caption_frame_extents_v<N>.db. */
struct versions {
	const char *prefix;
	long max;
};

static int
note_version(void *arg, const char *key, uint64_t size)
{
	struct versions *v = arg;
	const char *p = key + strlen(v->prefix);
	char *end;
	long n;

	(void)size;
	errno = 0;
	n = strtol(p, &end, 10);
	if (errno == 0 && end != p && strcmp(end, ".db") == 0 && n > v->max && n < 1000000)
		v->max = n;
	return 0;
}

enum localgpu_result
call_latest_version(struct call *c, long *version)
{
	char prefix[CALL_KEY_LEN];
	struct versions v = { prefix, 0 };
	enum storage_result r;

	if (str_fmt(prefix, sizeof(prefix), "%scaption_frame_extents_v", c->server) != 0)
		return call_fail(c, LOCALGPU_FAIL, "keys too long");
	if ((r = storage_list(&c->s3, c->tenant_id, prefix, 1000, note_version, &v, c->err, c->errlen)) != STORAGE_OK)
		return call_from_storage(r);
	*version = v.max;
	return LOCALGPU_OK;
}
