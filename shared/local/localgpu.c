/* localgpu.c: extract_frames_and_ocr, crop_and_infer and caption_ocr on this machine. Each call works in
 * its own scratch directory under LOCAL_WORK_DIR (removed afterwards), downloads what it needs from S3,
 * and uploads what it makes under the tenant's prefix:
 *   <tenant>/client/videos/<video>/full_frames/frame_NNNNNN.jpg
 *   <tenant>/client/videos/<video>/cropped_frames_v<N>/frame_NNNNNN.jpg
 *   <tenant>/server/videos/<video>/raw-ocr.db.gz, layout.db.gz, caption_frame_extents_v<N>.db, captions.db
 * Caption extents come from the OCR text of the cropped frames (shared/captions.c). */
#include "shared/local/localgpu.h"

#include "shared/local/captions.h"
#include "shared/clock.h"
#include "shared/local/framedb.h"
#include "shared/local/gzip.h"
#include "shared/local/image.h"
#include "shared/log.h"
#include "shared/local/media.h"
#include "shared/local/ocr.h"
#include "shared/local/scratch.h"
#include "shared/clients/storage.h"
#include "shared/str.h"
#include "shared/validate.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEXT_MAX CAPTIONS_TEXT_MAX
#define PATH_LEN 4096

static struct ocr *engine;   /* loaded once per process: tesseract's models take a while to load */
static char engine_lang[64];

void
localgpu_shutdown(void)
{
	ocr_free(engine);
	engine = NULL;
	engine_lang[0] = '\0';
}

/* Everything one call uses; released by call_end. */
struct call {
	const struct config *cfg;
	struct storage s3;
	struct media_opts media;
	bool (*cancelled)(void *arg);
	void *arg;
	char work[PATH_LEN];
	char video_id[VALIDATE_ID_MAX + 1];
	char tenant_id[VALIDATE_ID_MAX + 1];
	char video_key[VALIDATE_KEY_MAX + 1];
	char client[VALIDATE_KEY_MAX + 1];  /* <tenant>/client/videos/<video>/ */
	char server[VALIDATE_KEY_MAX + 1];  /* <tenant>/server/videos/<video>/ */
	long long started_ms;
	char *err;
	size_t errlen;
};

static enum localgpu_result
fail(struct call *c, enum localgpu_result r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum localgpu_result
fail(struct call *c, enum localgpu_result r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return r;
}

static enum localgpu_result
from_storage(enum storage_result r)
{
	return r == STORAGE_TRANSIENT ? LOCALGPU_RETRY : LOCALGPU_FAIL;
}

static enum localgpu_result
from_media(enum media_result r)
{
	return r == MEDIA_BAD_INPUT ? LOCALGPU_FAIL : LOCALGPU_RETRY;
}

static bool
stopping(struct call *c)
{
	return c->cancelled != NULL && c->cancelled(c->arg);
}

static void
call_end(struct call *c)
{
	if (c->work[0] != '\0' && scratch_remove(c->work) != 0)
		log_warn("local backend: cannot remove %s: %s", c->work, strerror(errno));
	c->work[0] = '\0';
}

static bool
cancel_hook(void *arg)
{
	struct call *c = arg;

	return stopping(c);
}

/* Common start: ids, S3, scratch directory, prefixes. */
static enum localgpu_result
call_begin(struct call *c, const struct config *cfg, const struct gpu_input *in, bool (*cancelled)(void *),
    void *arg, char *err, size_t errlen)
{
	char dir[PATH_LEN];

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
		return fail(c, LOCALGPU_FAIL, "ids or video_key too long");
	if (str_fmt(c->client, sizeof(c->client), "%s/client/videos/%s/", c->tenant_id, c->video_id) != 0 ||
	    str_fmt(c->server, sizeof(c->server), "%s/server/videos/%s/", c->tenant_id, c->video_id) != 0)
		return fail(c, LOCALGPU_FAIL, "ids too long");
	if (storage_open(&c->s3, cfg, err, errlen) != 0)
		return LOCALGPU_FAIL;
	if (scratch_make(dir, sizeof(dir), cfg->local_work_dir, "captionacc") != 0)
		return fail(c, LOCALGPU_RETRY, "cannot make a scratch directory under LOCAL_WORK_DIR %s: %s",
		    cfg->local_work_dir, strerror(errno));
	(void)str_fmt(c->work, sizeof(c->work), "%s", dir);
	return LOCALGPU_OK;
}

static enum localgpu_result
use_engine(struct call *c, struct ocr **out)
{
	const char *lang = c->cfg->local_ocr_language;

	if (engine != NULL && strcmp(engine_lang, lang) != 0)
		localgpu_shutdown();
	if (engine == NULL) {
		if ((engine = ocr_new(lang, c->err, c->errlen)) == NULL)
			return LOCALGPU_FAIL;
		(void)str_fmt(engine_lang, sizeof(engine_lang), "%s", lang);
	}
	*out = engine;
	return LOCALGPU_OK;
}

static enum localgpu_result
path_in(struct call *c, char *buf, size_t len, const char *name)
{
	if (str_fmt(buf, len, "%s/%s", c->work, name) != 0)
		return fail(c, LOCALGPU_FAIL, "scratch path too long");
	return LOCALGPU_OK;
}

static enum localgpu_result
download(struct call *c, const char *key, const char *path)
{
	enum storage_result r = storage_get_file(&c->s3, c->tenant_id, key, path, c->err, c->errlen);

	return r == STORAGE_OK ? LOCALGPU_OK : from_storage(r);
}

static enum localgpu_result
upload(struct call *c, const char *key, const char *path, const char *type)
{
	enum storage_result r = storage_put_file(&c->s3, c->tenant_id, key, path, type, c->err, c->errlen);

	return r == STORAGE_OK ? LOCALGPU_OK : from_storage(r);
}

/* Uploads dir/frame_000000.jpg .. frame_<n-1> to prefix/frame_NNNNNN.jpg. */
static enum localgpu_result
upload_frames(struct call *c, const char *dir, int n, const char *prefix)
{
	char path[PATH_LEN], key[VALIDATE_KEY_MAX + 1];
	enum localgpu_result r;

	for (int i = 0; i < n; i++) {
		if (stopping(c))
			return fail(c, LOCALGPU_RETRY, "interrupted while uploading frames");
		if (media_frame_path(path, sizeof(path), dir, i) != 0 ||
		    str_fmt(key, sizeof(key), "%sframe_%06d.jpg", prefix, i) != 0)
			return fail(c, LOCALGPU_FAIL, "frame path too long");
		if ((r = upload(c, key, path, "image/jpeg")) != LOCALGPU_OK)
			return r;
	}
	return LOCALGPU_OK;
}

static double
elapsed_seconds(const struct call *c)
{
	return (double)(clock_ms() - c->started_ms) / 1000.0;
}

/* --- extract_frames_and_ocr ---------------------------------------------------------------------- */

struct frame_boxes {
	struct framedb *raw, *layout;
	int frame, width, height, boxes;
	double time;
	bool failed;
};

static void
store_box(void *arg, const struct ocr_word *w)
{
	struct frame_boxes *f = arg;
	double l = (double)w->x / f->width, t = (double)w->y / f->height;
	double r = (double)(w->x + w->width) / f->width, b = (double)(w->y + w->height) / f->height;

	if (f->failed)
		return;
	if (framedb_exec(f->raw, "INSERT INTO ocr_boxes (frame_index, text, confidence, x, y, width, height, left,"
	    " top, right, bottom) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "itdiiiidddd", (long long)f->frame, w->text,
	    (double)w->confidence, (long long)w->x, (long long)w->y, (long long)w->width, (long long)w->height, l, t, r,
	    b) != 0 ||
	    framedb_exec(f->layout, "INSERT INTO boxes (frame_index, text, confidence, left, top, right, bottom)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)", "itddddd", (long long)f->frame, w->text, (double)w->confidence, l, t, r,
	    b) != 0)
		f->failed = true;
	else
		f->boxes++;
}

static enum localgpu_result
extract(struct call *c, const struct gpu_input *in, json_object **result)
{
	char video[PATH_LEN], frames[PATH_LEN], frame[PATH_LEN], rawp[PATH_LEN], layp[PATH_LEN], gz[PATH_LEN];
	char key_raw[VALIDATE_KEY_MAX + 1], key_layout[VALIDATE_KEY_MAX + 1], key_frames[VALIDATE_KEY_MAX + 1];
	struct framedb raw = { 0 }, layout = { 0 };
	enum localgpu_result r;
	struct media_info info;
	struct ocr *ocr;
	double rate = in->frame_rate;
	int n = 0, boxes = 0, failed = 0;

	if (!(rate >= 0.001 && rate <= 60))
		return fail(c, LOCALGPU_FAIL, "frame_rate must be within [0.001, 60]");
	if ((r = path_in(c, video, sizeof(video), "video")) != LOCALGPU_OK ||
	    (r = path_in(c, frames, sizeof(frames), "frames")) != LOCALGPU_OK ||
	    (r = path_in(c, rawp, sizeof(rawp), "raw-ocr.db")) != LOCALGPU_OK ||
	    (r = path_in(c, layp, sizeof(layp), "layout.db")) != LOCALGPU_OK)
		return r;
	if (str_fmt(key_raw, sizeof(key_raw), "%sraw-ocr.db.gz", c->server) != 0 ||
	    str_fmt(key_layout, sizeof(key_layout), "%slayout.db.gz", c->server) != 0 ||
	    str_fmt(key_frames, sizeof(key_frames), "%sfull_frames/", c->client) != 0)
		return fail(c, LOCALGPU_FAIL, "keys too long");
	if ((r = download(c, c->video_key, video)) != LOCALGPU_OK)
		return r;
	if (media_probe(video, &c->media, &info, c->err, c->errlen) != MEDIA_OK)
		return fail(c, LOCALGPU_FAIL, "%s is not a readable video: %.300s", c->video_key, c->err);
	{
		enum media_result m = media_frames(video, &c->media, rate, NULL, frames, &n, c->err, c->errlen);

		if (m != MEDIA_OK)
			return from_media(m);
	}
	if ((r = use_engine(c, &ocr)) != LOCALGPU_OK)
		return r;
	if (framedb_open(&raw, rawp, framedb_raw_ocr_schema, c->err, c->errlen) != 0 ||
	    framedb_open(&layout, layp, framedb_layout_schema, c->err, c->errlen) != 0) {
		r = LOCALGPU_RETRY;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct frame_boxes fb = { &raw, &layout, i, 0, 0, 0, i / rate, false };
		char why[256];
		int got;

		if (stopping(c)) {
			r = fail(c, LOCALGPU_RETRY, "interrupted at frame %d of %d", i, n);
			goto out;
		}
		if (media_frame_path(frame, sizeof(frame), frames, i) != 0) {
			r = fail(c, LOCALGPU_FAIL, "frame path too long");
			goto out;
		}
		fb.width = info.width;
		fb.height = info.height;
		got = ocr_words(ocr, frame, OCR_PAGE, (int)c->cfg->local_min_confidence, store_box, &fb, &fb.width, &fb.height, why,
		    sizeof(why));
		if (fb.failed) {
			r = fail(c, LOCALGPU_RETRY, "cannot store boxes: %s", framedb_error(&raw));
			goto out;
		}
		if (got < 0) {
			failed++;
			log_warn("video %s: OCR failed on frame %d: %s", c->video_id, i, why);
		}
		boxes += fb.boxes;
		if (framedb_exec(&raw, "INSERT INTO frames (frame_index, time_seconds, ocr_ok, box_count)"
		    " VALUES (?, ?, ?, ?)", "idii", (long long)i, i / rate, (long long)(got >= 0), (long long)fb.boxes) != 0) {
			r = fail(c, LOCALGPU_RETRY, "cannot store frame %d: %s", i, framedb_error(&raw));
			goto out;
		}
	}
	if (framedb_exec(&raw, "INSERT INTO meta (key, value) VALUES ('video_key', ?), ('frame_rate', ?),"
	    " ('frame_width', ?), ('frame_height', ?), ('engine', 'tesseract')", "tddd", c->video_key, rate,
	    (double)info.width, (double)info.height) != 0 ||
	    framedb_exec(&layout, "INSERT INTO video_layout_config (id, frame_width, frame_height, frame_count,"
	    " frame_rate) VALUES (1, ?, ?, ?, ?)", "iiid", (long long)info.width, (long long)info.height, (long long)n,
	    rate) != 0) {
		r = fail(c, LOCALGPU_RETRY, "cannot store the layout: %s", framedb_error(&layout));
		goto out;
	}
	if (framedb_close(&raw, true, c->err, c->errlen) != 0 || framedb_close(&layout, true, c->err, c->errlen) != 0) {
		r = LOCALGPU_RETRY;
		goto out;
	}
	if ((r = path_in(c, gz, sizeof(gz), "raw-ocr.db.gz")) != LOCALGPU_OK ||
	    (gzip_file(rawp, gz, c->err, c->errlen) != 0 && (r = LOCALGPU_RETRY) != LOCALGPU_OK) ||
	    (r = upload(c, key_raw, gz, "application/gzip")) != LOCALGPU_OK ||
	    (r = path_in(c, gz, sizeof(gz), "layout.db.gz")) != LOCALGPU_OK ||
	    (gzip_file(layp, gz, c->err, c->errlen) != 0 && (r = LOCALGPU_RETRY) != LOCALGPU_OK) ||
	    (r = upload(c, key_layout, gz, "application/gzip")) != LOCALGPU_OK ||
	    (r = upload_frames(c, frames, n, key_frames)) != LOCALGPU_OK)
		goto out;
	*result = json_object_new_object();
	json_object_object_add(*result, "frame_count", json_object_new_int(n));
	json_object_object_add(*result, "duration", json_object_new_double(info.duration));
	json_object_object_add(*result, "frame_width", json_object_new_int(info.width));
	json_object_object_add(*result, "frame_height", json_object_new_int(info.height));
	json_object_object_add(*result, "video_codec", json_object_new_string(info.codec));
	json_object_object_add(*result, "bitrate", json_object_new_int64(info.bitrate));
	json_object_object_add(*result, "ocr_box_count", json_object_new_int(boxes));
	json_object_object_add(*result, "failed_ocr_count", json_object_new_int(failed));
	json_object_object_add(*result, "processing_duration_seconds", json_object_new_double(elapsed_seconds(c)));
	json_object_object_add(*result, "full_frames_key", json_object_new_string(key_frames));
	json_object_object_add(*result, "ocr_db_key", json_object_new_string(key_raw));
	json_object_object_add(*result, "layout_db_key", json_object_new_string(key_layout));
	r = LOCALGPU_OK;
out:
	(void)framedb_close(&raw, false, NULL, 0);
	(void)framedb_close(&layout, false, NULL, 0);
	return r;
}

/* --- crop_and_infer ------------------------------------------------------------------------------ */

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

static enum localgpu_result
latest_version(struct call *c, long *version)
{
	char prefix[VALIDATE_KEY_MAX + 1];
	struct versions v = { prefix, 0 };
	enum storage_result r;

	if (str_fmt(prefix, sizeof(prefix), "%scaption_frame_extents_v", c->server) != 0)
		return fail(c, LOCALGPU_FAIL, "keys too long");
	if ((r = storage_list(&c->s3, c->tenant_id, prefix, 1000, note_version, &v, c->err, c->errlen)) != STORAGE_OK)
		return from_storage(r);
	*version = v.max;
	return LOCALGPU_OK;
}

static enum localgpu_result
save_extent(struct call *c, struct framedb *db, const struct captions_extent *e, int id, double rate,
    const char *frames_key)
{
	char key[VALIDATE_KEY_MAX + 1];

	if (str_fmt(key, sizeof(key), "%sframe_%06d.jpg", frames_key, e->best) != 0)
		return fail(c, LOCALGPU_FAIL, "keys too long");
	if (framedb_exec(db, "INSERT INTO caption_frame_extents (id, start_frame, end_frame, start_time, end_time,"
	    " frame_key, text_guess) VALUES (?, ?, ?, ?, ?, ?, ?)", "iiiddtt", (long long)id, (long long)e->start,
	    (long long)e->end, e->start / rate, (e->end + 1) / rate, key, e->text) != 0)
		return fail(c, LOCALGPU_RETRY, "cannot store caption %d: %s", id, framedb_error(db));
	return LOCALGPU_OK;
}

static enum localgpu_result
crop_and_infer(struct call *c, const struct gpu_input *in, json_object **result)
{
	char video[PATH_LEN], frames[PATH_LEN], frame[PATH_LEN], ref_frame[PATH_LEN], dbp[PATH_LEN];
	char key_db[VALIDATE_KEY_MAX + 1], key_frames[VALIDATE_KEY_MAX + 1];
	double side[4] = { in->crop.left, in->crop.top, in->crop.right, in->crop.bottom }, rate = (double)c->cfg->local_crop_frame_rate_milli / 1000.0;
	int tolerance = (int)c->cfg->local_same_frame_tolerance, ref = -1, read = 0;
	struct framedb db = { 0 };
	struct media_info info;
	struct media_crop crop;
	struct captions_frame *seen = NULL;
	struct captions_extent *extents = NULL;
	enum localgpu_result r;
	enum media_result m;
	struct ocr *ocr;
	char **texts = NULL;
	long version = 0;
	int n = 0, captions = 0;

	if ((r = path_in(c, video, sizeof(video), "video")) != LOCALGPU_OK ||
	    (r = path_in(c, frames, sizeof(frames), "cropped")) != LOCALGPU_OK ||
	    (r = path_in(c, dbp, sizeof(dbp), "extents.db")) != LOCALGPU_OK)
		return r;
	if ((r = latest_version(c, &version)) != LOCALGPU_OK)
		return r;
	version++;
	if (str_fmt(key_db, sizeof(key_db), "%scaption_frame_extents_v%ld.db", c->server, version) != 0 ||
	    str_fmt(key_frames, sizeof(key_frames), "%scropped_frames_v%ld/", c->client, version) != 0)
		return fail(c, LOCALGPU_FAIL, "keys too long");
	if ((r = download(c, c->video_key, video)) != LOCALGPU_OK)
		return r;
	if (media_probe(video, &c->media, &info, c->err, c->errlen) != MEDIA_OK)
		return fail(c, LOCALGPU_FAIL, "%s is not a readable video: %.300s", c->video_key, c->err);
	crop.x = (int)floor(side[0] * info.width);
	crop.y = (int)floor(side[1] * info.height);
	crop.width = (int)ceil(side[2] * info.width) - crop.x;
	crop.height = (int)ceil(side[3] * info.height) - crop.y;
	if (crop.width < 8 || crop.height < 8)
		return fail(c, LOCALGPU_FAIL, "crop_region is smaller than 8x8 pixels of a %dx%d video", info.width,
		    info.height);
	if ((m = media_frames(video, &c->media, rate, &crop, frames, &n, c->err, c->errlen)) != MEDIA_OK)
		return from_media(m);
	if ((r = use_engine(c, &ocr)) != LOCALGPU_OK)
		return r;
	if (framedb_open(&db, dbp, framedb_extents_schema, c->err, c->errlen) != 0)
		return LOCALGPU_RETRY;
	if ((texts = calloc((size_t)n + 1, sizeof(*texts))) == NULL || (seen = calloc((size_t)n + 1, sizeof(*seen))) == NULL) {
		r = fail(c, LOCALGPU_RETRY, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char text[TEXT_MAX] = "", why[256], key[VALIDATE_KEY_MAX + 1];
		float conf = 0;

		if (stopping(c)) {
			r = fail(c, LOCALGPU_RETRY, "interrupted at frame %d of %d", i, n);
			goto out;
		}
		if (media_frame_path(frame, sizeof(frame), frames, i) != 0 ||
		    str_fmt(key, sizeof(key), "%sframe_%06d.jpg", key_frames, i) != 0) {
			r = fail(c, LOCALGPU_FAIL, "frame path too long");
			goto out;
		}
		/* A frame that shows what the last frame read showed gets its text without OCR. Comparing with
		 * that frame, not with the one before, lets a slow fade add up until it is read. */
		if (ref >= 0 && tolerance >= 0 && media_frame_path(ref_frame, sizeof(ref_frame), frames, ref) == 0 &&
		    image_compare(ref_frame, frame, tolerance, why, sizeof(why)) == IMAGE_SAME) {
			if (str_copy(text, sizeof(text), texts[ref]) != 0) { /* cannot happen: read into the same size */
				r = fail(c, LOCALGPU_RETRY, "frame %d: text too long", i);
				goto out;
			}
			conf = seen[ref].confidence;
		} else {
			if (ocr_line(ocr, frame, (int)c->cfg->local_min_confidence, text, sizeof(text), &conf, why,
			    sizeof(why)) < 0)
				log_warn("video %s: OCR failed on cropped frame %d: %s", c->video_id, i, why);
			ref = i;
			read++;
		}
		if ((texts[i] = strdup(text)) == NULL) {
			r = fail(c, LOCALGPU_RETRY, "out of memory");
			goto out;
		}
		seen[i] = (struct captions_frame){ texts[i], conf };
		if (framedb_exec(&db, "INSERT INTO frames (frame_index, time_seconds, frame_key, text, confidence)"
		    " VALUES (?, ?, ?, ?, ?)", "idttd", (long long)i, i / rate, key, text, (double)conf) != 0) {
			r = fail(c, LOCALGPU_RETRY, "cannot store frame %d: %s", i, framedb_error(&db));
			goto out;
		}
	}
	log_info("video %s: OCR of %d of %d cropped frames (the others showed what the last one read showed)",
	    c->video_id, read, n);
	if (captions_segment(seen, n, &extents, &captions) != 0) {
		r = fail(c, LOCALGPU_RETRY, "out of memory");
		goto out;
	}
	for (int i = 0; i < captions; i++)
		if ((r = save_extent(c, &db, &extents[i], i + 1, rate, key_frames)) != LOCALGPU_OK)
			goto out;
	if (framedb_exec(&db, "INSERT INTO meta (key, value) VALUES ('version', ?), ('frame_rate', ?),"
	    " ('video_key', ?), ('crop_left', ?), ('crop_top', ?), ('crop_right', ?), ('crop_bottom', ?),"
	    " ('frame_width', ?), ('frame_height', ?)", "idtdddddd", (long long)version, rate, c->video_key, side[0],
	    side[1], side[2], side[3], (double)info.width, (double)info.height) != 0) {
		r = fail(c, LOCALGPU_RETRY, "cannot store the extents: %s", framedb_error(&db));
		goto out;
	}
	if (framedb_close(&db, true, c->err, c->errlen) != 0) {
		r = LOCALGPU_RETRY;
		goto out;
	}
	if ((r = upload_frames(c, frames, n, key_frames)) != LOCALGPU_OK ||
	    (r = upload(c, key_db, dbp, "application/vnd.sqlite3")) != LOCALGPU_OK)
		goto out;
	*result = json_object_new_object();
	json_object_object_add(*result, "version", json_object_new_int((int)version));
	json_object_object_add(*result, "cropped_frames_key", json_object_new_string(key_frames));
	json_object_object_add(*result, "caption_frame_extents_key", json_object_new_string(key_db));
	json_object_object_add(*result, "frame_count", json_object_new_int(n));
	json_object_object_add(*result, "caption_count", json_object_new_int(captions));
	json_object_object_add(*result, "frame_rate", json_object_new_double(rate));
	json_object_object_add(*result, "processing_duration_seconds", json_object_new_double(elapsed_seconds(c)));
	r = LOCALGPU_OK;
out:
	(void)framedb_close(&db, false, NULL, 0);
	for (int i = 0; texts != NULL && i < n; i++)
		free(texts[i]);
	free(texts);
	free(seen);
	free(extents);
	return r;
}

/* --- caption_ocr --------------------------------------------------------------------------------- */

struct extent_row {
	bool found;
	long long start, end;
	double start_time, end_time;
	char frame_key[VALIDATE_KEY_MAX + 1];
	char guess[TEXT_MAX];
};

static int
read_extent(void *arg, sqlite3_stmt *row)
{
	struct extent_row *e = arg;
	const char *key = (const char *)sqlite3_column_text(row, 4), *guess = (const char *)sqlite3_column_text(row, 5);

	e->start = sqlite3_column_int64(row, 0);
	e->end = sqlite3_column_int64(row, 1);
	e->start_time = sqlite3_column_double(row, 2);
	e->end_time = sqlite3_column_double(row, 3);
	e->found = key != NULL && str_copy(e->frame_key, sizeof(e->frame_key), key) == 0;
	(void)str_fmt(e->guess, sizeof(e->guess), "%s", guess ? guess : "");
	return 1;
}

static enum localgpu_result
caption_ocr(struct call *c, const struct gpu_input *in, json_object **result)
{
	char extp[PATH_LEN], capp[PATH_LEN], frame[PATH_LEN], key_ext[VALIDATE_KEY_MAX + 1];
	char key_cap[VALIDATE_KEY_MAX + 1];
	struct framedb ext = { 0 }, cap = { 0 };
	json_object *missing = json_object_new_array();
	enum localgpu_result r;
	enum storage_result sr;
	struct ocr *ocr;
	long version = 0;
	size_t nids = in->ncaption_ids;
	int done = 0, failed = 0;
	bool have;

	if ((r = latest_version(c, &version)) != LOCALGPU_OK)
		goto out;
	if (version == 0) {
		r = fail(c, LOCALGPU_FAIL, "video %s has no caption_frame_extents yet (run crop_and_infer first)",
		    c->video_id);
		goto out;
	}
	if (str_fmt(key_ext, sizeof(key_ext), "%scaption_frame_extents_v%ld.db", c->server, version) != 0 ||
	    str_fmt(key_cap, sizeof(key_cap), "%scaptions.db", c->server) != 0 ||
	    (r = path_in(c, extp, sizeof(extp), "extents.db")) != LOCALGPU_OK ||
	    (r = path_in(c, capp, sizeof(capp), "captions.db")) != LOCALGPU_OK ||
	    (r = path_in(c, frame, sizeof(frame), "frame.jpg")) != LOCALGPU_OK) {
		r = r != LOCALGPU_OK ? r : fail(c, LOCALGPU_FAIL, "keys too long");
		goto out;
	}
	if ((r = download(c, key_ext, extp)) != LOCALGPU_OK)
		goto out;
	/* captions.db is updated: start from the one there is. */
	if ((sr = storage_exists(&c->s3, c->tenant_id, key_cap, &have, c->err, c->errlen)) != STORAGE_OK) {
		r = from_storage(sr);
		goto out;
	}
	if (have && (r = download(c, key_cap, capp)) != LOCALGPU_OK)
		goto out;
	if ((r = use_engine(c, &ocr)) != LOCALGPU_OK)
		goto out;
	if (framedb_open(&ext, extp, framedb_extents_schema, c->err, c->errlen) != 0 ||
	    framedb_open(&cap, capp, framedb_captions_schema, c->err, c->errlen) != 0) {
		r = LOCALGPU_FAIL;
		goto out;
	}
	for (size_t i = 0; i < nids; i++) {
		long long id = in->caption_ids[i];
		struct extent_row e = { 0 };
		char text[TEXT_MAX], why[256];
		float conf = 0;
		int words;

		if (stopping(c)) {
			r = fail(c, LOCALGPU_RETRY, "interrupted at caption %lld", id);
			goto out;
		}
		if (framedb_each(&ext, "SELECT start_frame, end_frame, start_time, end_time, frame_key, text_guess"
		    " FROM caption_frame_extents WHERE id = ?", read_extent, &e, "i", id) != 0) {
			r = fail(c, LOCALGPU_FAIL, "cannot read caption_frame_extents_v%ld.db: %s", version,
			    framedb_error(&ext));
			goto out;
		}
		if (!e.found) {
			json_object_array_add(missing, json_object_new_int64(id));
			continue;
		}
		/* The frame key comes from a file: it passes the tenant check in storage_get_file. */
		if ((r = download(c, e.frame_key, frame)) != LOCALGPU_OK)
			goto out;
		words = ocr_line(ocr, frame, (int)c->cfg->local_min_confidence, text, sizeof(text), &conf, why, sizeof(why));
		if (words <= 0) {
			failed++;
			log_warn("video %s: caption %lld: no text read (%s); keeping crop_and_infer's reading", c->video_id,
			    id, words < 0 ? why : "no words");
			(void)str_fmt(text, sizeof(text), "%s", e.guess);
		}
		if (framedb_exec(&cap, "INSERT OR REPLACE INTO captions (id, layout_version, start_frame, end_frame,"
		    " start_time, end_time, text, confidence, ocr_ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "iiiiddtdi", id,
		    (long long)version, e.start, e.end, e.start_time, e.end_time, text, (double)conf,
		    (long long)(words > 0)) != 0) {
			r = fail(c, LOCALGPU_RETRY, "cannot store caption %lld: %s", id, framedb_error(&cap));
			goto out;
		}
		done++;
	}
	if (done == 0) {
		r = fail(c, LOCALGPU_FAIL, "none of the caption_ids is a caption of layout version %ld", version);
		goto out;
	}
	(void)framedb_close(&ext, false, NULL, 0);
	if (framedb_close(&cap, true, c->err, c->errlen) != 0) {
		r = LOCALGPU_RETRY;
		goto out;
	}
	if ((r = upload(c, key_cap, capp, "application/vnd.sqlite3")) != LOCALGPU_OK)
		goto out;
	*result = json_object_new_object();
	json_object_object_add(*result, "captions_db_key", json_object_new_string(key_cap));
	json_object_object_add(*result, "caption_count", json_object_new_int(done));
	json_object_object_add(*result, "failed_ocr_count", json_object_new_int(failed));
	json_object_object_add(*result, "version", json_object_new_int((int)version));
	json_object_object_add(*result, "missing_caption_ids", json_object_get(missing));
	json_object_object_add(*result, "processing_duration_seconds", json_object_new_double(elapsed_seconds(c)));
	r = LOCALGPU_OK;
out:
	(void)framedb_close(&ext, false, NULL, 0);
	(void)framedb_close(&cap, false, NULL, 0);
	json_object_put(missing);
	return r;
}

enum localgpu_result
localgpu_run(const struct config *cfg, const struct gpu_input *input, bool (*cancelled)(void *arg), void *arg,
    json_object **result, char *err, size_t errlen)
{
	struct call c;
	enum localgpu_result r;

	*result = NULL;
	if ((r = call_begin(&c, cfg, input, cancelled, arg, err, errlen)) == LOCALGPU_OK) {
		switch (input->fn) {
		case GPU_EXTRACT_FRAMES_AND_OCR:
			r = extract(&c, input, result);
			break;
		case GPU_CROP_AND_INFER:
			r = crop_and_infer(&c, input, result);
			break;
		case GPU_CAPTION_OCR:
			r = caption_ocr(&c, input, result);
			break;
		default:
			r = fail(&c, LOCALGPU_FAIL, "unknown function");
		}
	}
	call_end(&c);
	if (r != LOCALGPU_OK && *result != NULL) {
		json_object_put(*result);
		*result = NULL;
	}
	return r;
}
