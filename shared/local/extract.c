/* extract.c: extract_frames_and_ocr on this machine: frames of the whole video at frame_rate, OCR boxes
 * into raw-ocr.db and layout.db, uploaded gzipped to <tenant>/server/videos/<video>/ with the frames under
 * <tenant>/client/videos/<video>/full_frames/. */
#include "shared/local/functions.h"

#include "shared/local/framedb.h"
#include "shared/local/gzip.h"
#include "shared/log.h"
#include "shared/str.h"

/* One run: where things go, what it read and counted. */
struct extract {
	struct call *c;
	double rate;
	char video[CALL_PATH_LEN], frames[CALL_PATH_LEN], rawp[CALL_PATH_LEN], layp[CALL_PATH_LEN];
	char key_raw[CALL_KEY_LEN], key_layout[CALL_KEY_LEN], key_frames[CALL_KEY_LEN];
	struct framedb raw, layout;
	struct media_info info;
	int n, boxes, failed;
};

/* The boxes of one frame, stored as tesseract reports them. */
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

/* Checks the rate; scratch paths and S3 keys. */
static enum localgpu_result
prepare(struct extract *x)
{
	struct call *c = x->c;
	enum localgpu_result r;

	if (!(x->rate >= 0.001 && x->rate <= 60))
		return call_fail(c, LOCALGPU_FAIL, "frame_rate must be within [0.001, 60]");
	if ((r = call_path(c, x->video, sizeof(x->video), "video")) != LOCALGPU_OK ||
	    (r = call_path(c, x->frames, sizeof(x->frames), "frames")) != LOCALGPU_OK ||
	    (r = call_path(c, x->rawp, sizeof(x->rawp), "raw-ocr.db")) != LOCALGPU_OK ||
	    (r = call_path(c, x->layp, sizeof(x->layp), "layout.db")) != LOCALGPU_OK)
		return r;
	if (str_fmt(x->key_raw, sizeof(x->key_raw), "%sraw-ocr.db.gz", c->server) != 0 ||
	    str_fmt(x->key_layout, sizeof(x->key_layout), "%slayout.db.gz", c->server) != 0 ||
	    str_fmt(x->key_frames, sizeof(x->key_frames), "%sfull_frames/", c->client) != 0)
		return call_fail(c, LOCALGPU_FAIL, "keys too long");
	return LOCALGPU_OK;
}

/* Downloads the video, reads its facts and extracts its frames. */
static enum localgpu_result
frames_of_video(struct extract *x)
{
	enum localgpu_result r;
	enum media_result m;

	if ((r = call_video(x->c, x->video, &x->info)) != LOCALGPU_OK)
		return r;
	m = media_frames(x->video, &x->c->media, x->rate, NULL, x->frames, &x->n, x->c->err, x->c->errlen);
	return m == MEDIA_OK ? LOCALGPU_OK : call_from_media(m);
}

/* OCRs frame i and stores its boxes and its row; an OCR failure is counted, not fatal. */
static enum localgpu_result
read_frame(struct extract *x, struct ocr *ocr, int i)
{
	struct call *c = x->c;
	struct frame_boxes fb = {
		.raw = &x->raw, .layout = &x->layout, .frame = i, .width = x->info.width, .height = x->info.height,
		.time = i / x->rate,
	};
	char frame[CALL_PATH_LEN], why[256];
	int got;

	if (call_stopping(c))
		return call_fail(c, LOCALGPU_RETRY, "interrupted at frame %d of %d", i, x->n);
	if (media_frame_path(frame, sizeof(frame), x->frames, i) != 0)
		return call_fail(c, LOCALGPU_FAIL, "frame path too long");
	got = ocr_words(ocr, frame, OCR_PAGE, (int)c->cfg->local_min_confidence, store_box, &fb, &fb.width, &fb.height,
	    why, sizeof(why));
	if (fb.failed)
		return call_fail(c, LOCALGPU_RETRY, "cannot store boxes: %s", framedb_error(&x->raw));
	if (got < 0) {
		x->failed++;
		log_warn("video %s: OCR failed on frame %d: %s", c->video_id, i, why);
	}
	x->boxes += fb.boxes;
	if (framedb_exec(&x->raw, "INSERT INTO frames (frame_index, time_seconds, ocr_ok, box_count)"
	    " VALUES (?, ?, ?, ?)", "idii", (long long)i, i / x->rate, (long long)(got >= 0), (long long)fb.boxes) != 0)
		return call_fail(c, LOCALGPU_RETRY, "cannot store frame %d: %s", i, framedb_error(&x->raw));
	return LOCALGPU_OK;
}

/* Opens both databases, reads every frame into them, stores the video's facts and commits. */
static enum localgpu_result
build_databases(struct extract *x)
{
	struct call *c = x->c;
	enum localgpu_result r;
	struct ocr *ocr;

	if ((r = call_engine(c, &ocr)) != LOCALGPU_OK)
		return r;
	if (framedb_open(&x->raw, x->rawp, framedb_raw_ocr_schema, c->err, c->errlen) != 0 ||
	    framedb_open(&x->layout, x->layp, framedb_layout_schema, c->err, c->errlen) != 0)
		return LOCALGPU_RETRY;
	for (int i = 0; i < x->n; i++)
		if ((r = read_frame(x, ocr, i)) != LOCALGPU_OK)
			return r;
	if (framedb_exec(&x->raw, "INSERT INTO meta (key, value) VALUES ('video_key', ?), ('frame_rate', ?),"
	    " ('frame_width', ?), ('frame_height', ?), ('engine', 'tesseract')", "tddd", c->video_key, x->rate,
	    (double)x->info.width, (double)x->info.height) != 0 ||
	    framedb_exec(&x->layout, "INSERT INTO video_layout_config (id, frame_width, frame_height, frame_count,"
	    " frame_rate) VALUES (1, ?, ?, ?, ?)", "iiid", (long long)x->info.width, (long long)x->info.height,
	    (long long)x->n, x->rate) != 0)
		return call_fail(c, LOCALGPU_RETRY, "cannot store the layout: %s", framedb_error(&x->layout));
	if (framedb_close(&x->raw, true, c->err, c->errlen) != 0 ||
	    framedb_close(&x->layout, true, c->err, c->errlen) != 0)
		return LOCALGPU_RETRY;
	return LOCALGPU_OK;
}

/* Gzips the database db to <scratch>/name and uploads that to key. */
static enum localgpu_result
upload_gzipped(struct call *c, const char *db, const char *name, const char *key)
{
	char gz[CALL_PATH_LEN];
	enum localgpu_result r;

	if ((r = call_path(c, gz, sizeof(gz), name)) != LOCALGPU_OK)
		return r;
	if (gzip_file(db, gz, c->err, c->errlen) != 0)
		return LOCALGPU_RETRY;
	return call_upload(c, key, gz, "application/gzip");
}

/* The result object (caller frees). */
static json_object *
answer(const struct extract *x)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "frame_count", json_object_new_int(x->n));
	json_object_object_add(o, "duration", json_object_new_double(x->info.duration));
	json_object_object_add(o, "frame_width", json_object_new_int(x->info.width));
	json_object_object_add(o, "frame_height", json_object_new_int(x->info.height));
	json_object_object_add(o, "video_codec", json_object_new_string(x->info.codec));
	json_object_object_add(o, "bitrate", json_object_new_int64(x->info.bitrate));
	json_object_object_add(o, "ocr_box_count", json_object_new_int(x->boxes));
	json_object_object_add(o, "failed_ocr_count", json_object_new_int(x->failed));
	json_object_object_add(o, "processing_duration_seconds", json_object_new_double(call_elapsed_seconds(x->c)));
	json_object_object_add(o, "full_frames_key", json_object_new_string(x->key_frames));
	json_object_object_add(o, "ocr_db_key", json_object_new_string(x->key_raw));
	json_object_object_add(o, "layout_db_key", json_object_new_string(x->key_layout));
	return o;
}

enum localgpu_result
localgpu_extract_frames_and_ocr(struct call *c, const struct gpu_input *in, json_object **result)
{
	struct extract x = { .c = c, .rate = in->frame_rate };
	enum localgpu_result r;

	if ((r = prepare(&x)) != LOCALGPU_OK || (r = frames_of_video(&x)) != LOCALGPU_OK ||
	    (r = build_databases(&x)) != LOCALGPU_OK ||
	    (r = upload_gzipped(c, x.rawp, "raw-ocr.db.gz", x.key_raw)) != LOCALGPU_OK ||
	    (r = upload_gzipped(c, x.layp, "layout.db.gz", x.key_layout)) != LOCALGPU_OK ||
	    (r = call_upload_frames(c, x.frames, x.n, x.key_frames)) != LOCALGPU_OK)
		goto out;
	*result = answer(&x);
out:
	(void)framedb_close(&x.raw, false, NULL, 0);
	(void)framedb_close(&x.layout, false, NULL, 0);
	return r;
}
