/* crop.c: crop_and_infer on this machine: the caption band's subtitles read by their strokes
 * (shared/local/subtitles.c: extents to the decoded frame, one clean image and one OCR per caption),
 * written to caption_frame_extents_v<N>.db (N one above the latest) with the band's sample frames under
 * cropped_frames_v<N>/. caption_ocr later takes each caption's text from there. */
#include "shared/local/functions.h"

#include "shared/local/framedb.h"
#include "shared/local/picture.h"
#include "shared/local/subtitles.h"
#include "shared/log.h"
#include "shared/str.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

/* One run: where things go, and what it found. */
struct crop {
	struct call *c;
	double side[4];                     /* crop region as fractions: left, top, right, bottom */
	double rate;                        /* sample frames per second */
	long version;                       /* of the extents this run writes */
	char video[CALL_PATH_LEN], frames[CALL_PATH_LEN], dbp[CALL_PATH_LEN];
	char key_db[CALL_KEY_LEN], key_frames[CALL_KEY_LEN];
	struct framedb db;
	struct media_info info;
	struct subtitles subs;
	int n;                              /* sample frames written */
};

/* Scratch paths, the next version and its S3 keys. */
static enum localgpu_result
prepare(struct crop *k)
{
	struct call *c = k->c;
	enum localgpu_result r;

	if ((r = call_path(c, k->video, sizeof(k->video), "video")) != LOCALGPU_OK ||
	    (r = call_path(c, k->frames, sizeof(k->frames), "cropped")) != LOCALGPU_OK ||
	    (r = call_path(c, k->dbp, sizeof(k->dbp), "extents.db")) != LOCALGPU_OK)
		return r;
	if (mkdir(k->frames, 0700) != 0 && errno != EEXIST)
		return call_fail(c, LOCALGPU_RETRY, "cannot create %s: %s", k->frames, strerror(errno));
	if ((r = call_latest_version(c, &k->version)) != LOCALGPU_OK)
		return r;
	k->version++;
	if (str_fmt(k->key_db, sizeof(k->key_db), "%scaption_frame_extents_v%ld.db", c->server, k->version) != 0 ||
	    str_fmt(k->key_frames, sizeof(k->key_frames), "%scropped_frames_v%ld/", c->client, k->version) != 0)
		return call_fail(c, LOCALGPU_FAIL, "keys too long");
	return LOCALGPU_OK;
}

/* Each sample frame of the band is kept as <scratch>/cropped/frame_NNNNNN.jpg (uploaded afterwards). */
static int
keep_sample(void *arg, int s, int frame, const uint8_t *yuv, int width, int height, char *err, size_t errlen)
{
	struct crop *k = arg;
	char path[CALL_PATH_LEN];

	(void)frame;
	if (call_stopping(k->c)) {
		(void)str_fmt(err, errlen, "interrupted at frame %d", s);
		return -1;
	}
	if (media_frame_path(path, sizeof(path), k->frames, s) != 0) {
		(void)str_fmt(err, errlen, "frame path too long");
		return -1;
	}
	if (picture_write_jpeg(path, yuv, width, height, err, errlen) != 0)
		return -1;
	k->n = s + 1;
	return 0;
}

/* Downloads the video and reads the subtitles in the crop region (at least 8x8 pixels). */
static enum localgpu_result
read_band(struct crop *k)
{
	struct call *c = k->c;
	const struct config *cfg = c->cfg;
	const struct media_info *info = &k->info;
	struct subtitles_opts o = {
		.colours = cfg->local_subtitle_colours.rgb, .ncolours = cfg->local_subtitle_colours.n, .sample_fps = k->rate,
		.min_ms = cfg->local_min_caption_ms, .min_confidence = (int)cfg->local_min_confidence,
	};
	struct media_crop px;
	enum localgpu_result r;
	enum media_result m;
	struct ocr *ocr;

	if ((r = call_video(c, k->video, &k->info)) != LOCALGPU_OK || (r = call_engine(c, &ocr)) != LOCALGPU_OK)
		return r;
	px.x = (int)floor(k->side[0] * info->width);
	px.y = (int)floor(k->side[1] * info->height);
	px.width = (int)ceil(k->side[2] * info->width) - px.x;
	px.height = (int)ceil(k->side[3] * info->height) - px.y;
	if (px.width < 8 || px.height < 8)
		return call_fail(c, LOCALGPU_FAIL, "crop_region is smaller than 8x8 pixels of a %dx%d video", info->width,
		    info->height);
	if ((m = subtitles_read(k->video, &c->media, info, &px, &o, ocr, keep_sample, k, &k->subs, c->err,
	    c->errlen)) != MEDIA_OK)
		return call_stopping(c) ? LOCALGPU_RETRY : call_from_media(m);
	log_info("video %s: OCR of %d caption images (%d captions kept) from %d frames, %d of them sampled",
	    c->video_id, k->subs.read, k->subs.n, k->subs.frames, k->subs.samples);
	return LOCALGPU_OK;
}

/* The caption showing at sample frame s, or NULL. */
static const struct subtitle *
caption_at(const struct crop *k, int s)
{
	for (int i = 0; i < k->subs.n; i++)
		if (s >= k->subs.items[i].first_sample && s <= k->subs.items[i].last_sample)
			return &k->subs.items[i];
	return NULL;
}

/* The frames table: each sample frame with the caption showing in it. */
static enum localgpu_result
store_frames(struct crop *k)
{
	for (int s = 0; s < k->n; s++) {
		const struct subtitle *sub = caption_at(k, s);
		char key[CALL_KEY_LEN];

		if (str_fmt(key, sizeof(key), "%sframe_%06d.jpg", k->key_frames, s) != 0)
			return call_fail(k->c, LOCALGPU_FAIL, "keys too long");
		if (framedb_exec(&k->db, "INSERT INTO frames (frame_index, time_seconds, frame_key, text, confidence)"
		    " VALUES (?, ?, ?, ?, ?)", "idttd", (long long)s, s / k->rate, key, sub ? sub->text : "",
		    sub ? (double)sub->confidence : 0.0) != 0)
			return call_fail(k->c, LOCALGPU_RETRY, "cannot store frame %d: %s", s, framedb_error(&k->db));
	}
	return LOCALGPU_OK;
}

/* Caption id: its sample frames, exact times, a sample frame from its middle, its text and confidence. */
static enum localgpu_result
save_extent(struct crop *k, const struct subtitle *e, int id)
{
	int first = e->first_sample, last = e->last_sample >= first ? e->last_sample : first;
	char key[CALL_KEY_LEN];

	if (first >= k->n)
		first = last = k->n > 0 ? k->n - 1 : 0;
	if (last >= k->n)
		last = first;
	if (str_fmt(key, sizeof(key), "%sframe_%06d.jpg", k->key_frames, (first + last) / 2) != 0)
		return call_fail(k->c, LOCALGPU_FAIL, "keys too long");
	if (framedb_exec(&k->db, "INSERT INTO caption_frame_extents (id, start_frame, end_frame, start_time, end_time,"
	    " frame_key, text_guess, confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "iiiddttd", (long long)id,
	    (long long)first, (long long)last, e->start_time, e->end_time, key, e->text, (double)e->confidence) != 0)
		return call_fail(k->c, LOCALGPU_RETRY, "cannot store caption %d: %s", id, framedb_error(&k->db));
	return LOCALGPU_OK;
}

/* Stores the frames, the captions (ids 1..) and the run's facts, and commits. */
static enum localgpu_result
store_extents(struct crop *k)
{
	struct call *c = k->c;
	enum localgpu_result r;

	if (framedb_open(&k->db, k->dbp, framedb_extents_schema, c->err, c->errlen) != 0)
		return LOCALGPU_RETRY;
	if ((r = store_frames(k)) != LOCALGPU_OK)
		return r;
	for (int i = 0; i < k->subs.n; i++)
		if ((r = save_extent(k, &k->subs.items[i], i + 1)) != LOCALGPU_OK)
			return r;
	if (framedb_exec(&k->db, "INSERT INTO meta (key, value) VALUES ('version', ?), ('frame_rate', ?),"
	    " ('video_key', ?), ('crop_left', ?), ('crop_top', ?), ('crop_right', ?), ('crop_bottom', ?),"
	    " ('frame_width', ?), ('frame_height', ?), ('decoded_fps', ?)", "idtddddddd", (long long)k->version, k->rate,
	    c->video_key, k->side[0], k->side[1], k->side[2], k->side[3], (double)k->info.width,
	    (double)k->info.height, k->subs.fps) != 0)
		return call_fail(c, LOCALGPU_RETRY, "cannot store the extents: %s", framedb_error(&k->db));
	if (framedb_close(&k->db, true, c->err, c->errlen) != 0)
		return LOCALGPU_RETRY;
	return LOCALGPU_OK;
}

/* The result object (caller frees). */
static json_object *
answer(const struct crop *k)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_int((int)k->version));
	json_object_object_add(o, "cropped_frames_key", json_object_new_string(k->key_frames));
	json_object_object_add(o, "caption_frame_extents_key", json_object_new_string(k->key_db));
	json_object_object_add(o, "frame_count", json_object_new_int(k->n));
	json_object_object_add(o, "caption_count", json_object_new_int(k->subs.n));
	json_object_object_add(o, "frame_rate", json_object_new_double(k->rate));
	json_object_object_add(o, "processing_duration_seconds", json_object_new_double(call_elapsed_seconds(k->c)));
	return o;
}

enum localgpu_result
localgpu_crop_and_infer(struct call *c, const struct gpu_input *in, json_object **result)
{
	struct crop k = {
		.c = c,
		.side = { in->crop.left, in->crop.top, in->crop.right, in->crop.bottom },
		.rate = (double)c->cfg->local_crop_frame_rate_milli / 1000.0,
	};
	enum localgpu_result r;

	if ((r = prepare(&k)) != LOCALGPU_OK || (r = read_band(&k)) != LOCALGPU_OK ||
	    (r = store_extents(&k)) != LOCALGPU_OK ||
	    (r = call_upload_frames(c, k.frames, k.n, k.key_frames)) != LOCALGPU_OK ||
	    (r = call_upload(c, k.key_db, k.dbp, "application/vnd.sqlite3")) != LOCALGPU_OK)
		goto out;
	*result = answer(&k);
out:
	(void)framedb_close(&k.db, false, NULL, 0);
	subtitles_free(&k.subs);
	return r;
}
