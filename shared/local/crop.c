/* crop.c: crop_and_infer on this machine: cropped frames of the caption band, read by OCR (a frame that
 * shows what the last one read showed reuses its text), caption extents from that text, written to
 * caption_frame_extents_v<N>.db (N one above the latest) with the frames under cropped_frames_v<N>/. */
#include "shared/local/functions.h"

#include "shared/local/captions.h"
#include "shared/local/framedb.h"
#include "shared/local/image.h"
#include "shared/log.h"
#include "shared/str.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One run: where things go, and each frame's reading. */
struct crop {
	struct call *c;
	double side[4];                     /* crop region as fractions: left, top, right, bottom */
	double rate;                        /* frames per second */
	int tolerance;                      /* grey levels two frames may differ by and still be the same */
	long version;                       /* of the extents this run writes */
	char video[CALL_PATH_LEN], frames[CALL_PATH_LEN], dbp[CALL_PATH_LEN];
	char key_db[CALL_KEY_LEN], key_frames[CALL_KEY_LEN];
	struct framedb db;
	struct media_info info;
	char **texts;                       /* n + 1 readings, owned */
	struct captions_frame *seen;        /* n + 1, pointing into texts */
	struct captions_extent *extents;    /* captions of them */
	int n, captions;
	int ref, read;                      /* the last frame read by OCR (-1: none yet); how many were */
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
	if ((r = call_latest_version(c, &k->version)) != LOCALGPU_OK)
		return r;
	k->version++;
	if (str_fmt(k->key_db, sizeof(k->key_db), "%scaption_frame_extents_v%ld.db", c->server, k->version) != 0 ||
	    str_fmt(k->key_frames, sizeof(k->key_frames), "%scropped_frames_v%ld/", c->client, k->version) != 0)
		return call_fail(c, LOCALGPU_FAIL, "keys too long");
	return LOCALGPU_OK;
}

/* Downloads the video and extracts the crop region of its frames (at least 8x8 pixels). */
static enum localgpu_result
cropped_frames(struct crop *k)
{
	struct call *c = k->c;
	const struct media_info *info = &k->info;
	struct media_crop px;
	enum localgpu_result r;
	enum media_result m;

	if ((r = call_video(c, k->video, &k->info)) != LOCALGPU_OK)
		return r;
	px.x = (int)floor(k->side[0] * info->width);
	px.y = (int)floor(k->side[1] * info->height);
	px.width = (int)ceil(k->side[2] * info->width) - px.x;
	px.height = (int)ceil(k->side[3] * info->height) - px.y;
	if (px.width < 8 || px.height < 8)
		return call_fail(c, LOCALGPU_FAIL, "crop_region is smaller than 8x8 pixels of a %dx%d video", info->width,
		    info->height);
	if ((m = media_frames(k->video, &c->media, k->rate, &px, k->frames, &k->n, c->err, c->errlen)) != MEDIA_OK)
		return call_from_media(m);
	return LOCALGPU_OK;
}

/* The text of the cropped frame i (at path frame) into text. A frame that shows what the last frame read
 * showed gets its text without OCR. Comparing with that frame, not with the one before, lets a slow fade
 * add up until it is read. */
static enum localgpu_result
text_of(struct crop *k, struct ocr *ocr, int i, const char *frame, char *text, size_t len, float *conf)
{
	struct call *c = k->c;
	char ref_frame[CALL_PATH_LEN], why[256];

	if (k->ref >= 0 && k->tolerance >= 0 && media_frame_path(ref_frame, sizeof(ref_frame), k->frames, k->ref) == 0 &&
	    image_compare(ref_frame, frame, k->tolerance, why, sizeof(why)) == IMAGE_SAME) {
		if (str_copy(text, len, k->texts[k->ref]) != 0) /* cannot happen: read into the same size */
			return call_fail(c, LOCALGPU_RETRY, "frame %d: text too long", i);
		*conf = k->seen[k->ref].confidence;
		return LOCALGPU_OK;
	}
	if (ocr_line(ocr, frame, (int)c->cfg->local_min_confidence, text, len, conf, why, sizeof(why)) < 0)
		log_warn("video %s: OCR failed on cropped frame %d: %s", c->video_id, i, why);
	k->ref = i;
	k->read++;
	return LOCALGPU_OK;
}

/* Reads cropped frame i and stores its row. */
static enum localgpu_result
read_frame(struct crop *k, struct ocr *ocr, int i)
{
	struct call *c = k->c;
	char text[CAPTIONS_TEXT_MAX] = "", frame[CALL_PATH_LEN], key[CALL_KEY_LEN];
	enum localgpu_result r;
	float conf = 0;

	if (call_stopping(c))
		return call_fail(c, LOCALGPU_RETRY, "interrupted at frame %d of %d", i, k->n);
	if (media_frame_path(frame, sizeof(frame), k->frames, i) != 0 ||
	    str_fmt(key, sizeof(key), "%sframe_%06d.jpg", k->key_frames, i) != 0)
		return call_fail(c, LOCALGPU_FAIL, "frame path too long");
	if ((r = text_of(k, ocr, i, frame, text, sizeof(text), &conf)) != LOCALGPU_OK)
		return r;
	if ((k->texts[i] = strdup(text)) == NULL)
		return call_fail(c, LOCALGPU_RETRY, "out of memory");
	k->seen[i] = (struct captions_frame){ .text = k->texts[i], .confidence = conf };
	if (framedb_exec(&k->db, "INSERT INTO frames (frame_index, time_seconds, frame_key, text, confidence)"
	    " VALUES (?, ?, ?, ?, ?)", "idttd", (long long)i, i / k->rate, key, text, (double)conf) != 0)
		return call_fail(c, LOCALGPU_RETRY, "cannot store frame %d: %s", i, framedb_error(&k->db));
	return LOCALGPU_OK;
}

/* Opens the extents database and reads every cropped frame into it. */
static enum localgpu_result
read_frames(struct crop *k)
{
	struct call *c = k->c;
	enum localgpu_result r;
	struct ocr *ocr;

	if ((r = call_engine(c, &ocr)) != LOCALGPU_OK)
		return r;
	if (framedb_open(&k->db, k->dbp, framedb_extents_schema, c->err, c->errlen) != 0)
		return LOCALGPU_RETRY;
	if ((k->texts = calloc((size_t)k->n + 1, sizeof(*k->texts))) == NULL ||
	    (k->seen = calloc((size_t)k->n + 1, sizeof(*k->seen))) == NULL)
		return call_fail(c, LOCALGPU_RETRY, "out of memory");
	for (int i = 0; i < k->n; i++)
		if ((r = read_frame(k, ocr, i)) != LOCALGPU_OK)
			return r;
	log_info("video %s: OCR of %d of %d cropped frames (the others showed what the last one read showed)",
	    c->video_id, k->read, k->n);
	return LOCALGPU_OK;
}

static enum localgpu_result
save_extent(struct crop *k, const struct captions_extent *e, int id)
{
	char key[CALL_KEY_LEN];

	if (str_fmt(key, sizeof(key), "%sframe_%06d.jpg", k->key_frames, e->best) != 0)
		return call_fail(k->c, LOCALGPU_FAIL, "keys too long");
	if (framedb_exec(&k->db, "INSERT INTO caption_frame_extents (id, start_frame, end_frame, start_time, end_time,"
	    " frame_key, text_guess) VALUES (?, ?, ?, ?, ?, ?, ?)", "iiiddtt", (long long)id, (long long)e->start,
	    (long long)e->end, e->start / k->rate, (e->end + 1) / k->rate, key, e->text) != 0)
		return call_fail(k->c, LOCALGPU_RETRY, "cannot store caption %d: %s", id, framedb_error(&k->db));
	return LOCALGPU_OK;
}

/* Finds the captions, stores them (ids 1..) and the run's facts, and commits. */
static enum localgpu_result
store_extents(struct crop *k)
{
	struct call *c = k->c;
	enum localgpu_result r;

	if (captions_segment(k->seen, k->n, &k->extents, &k->captions) != 0)
		return call_fail(c, LOCALGPU_RETRY, "out of memory");
	for (int i = 0; i < k->captions; i++)
		if ((r = save_extent(k, &k->extents[i], i + 1)) != LOCALGPU_OK)
			return r;
	if (framedb_exec(&k->db, "INSERT INTO meta (key, value) VALUES ('version', ?), ('frame_rate', ?),"
	    " ('video_key', ?), ('crop_left', ?), ('crop_top', ?), ('crop_right', ?), ('crop_bottom', ?),"
	    " ('frame_width', ?), ('frame_height', ?)", "idtdddddd", (long long)k->version, k->rate, c->video_key,
	    k->side[0], k->side[1], k->side[2], k->side[3], (double)k->info.width, (double)k->info.height) != 0)
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
	json_object_object_add(o, "caption_count", json_object_new_int(k->captions));
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
		.tolerance = (int)c->cfg->local_same_frame_tolerance,
		.ref = -1,
	};
	enum localgpu_result r;

	if ((r = prepare(&k)) != LOCALGPU_OK || (r = cropped_frames(&k)) != LOCALGPU_OK ||
	    (r = read_frames(&k)) != LOCALGPU_OK || (r = store_extents(&k)) != LOCALGPU_OK ||
	    (r = call_upload_frames(c, k.frames, k.n, k.key_frames)) != LOCALGPU_OK ||
	    (r = call_upload(c, k.key_db, k.dbp, "application/vnd.sqlite3")) != LOCALGPU_OK)
		goto out;
	*result = answer(&k);
out:
	(void)framedb_close(&k.db, false, NULL, 0);
	for (int i = 0; k.texts != NULL && i < k.n; i++)
		free(k.texts[i]);
	free(k.texts);
	free(k.seen);
	free(k.extents);
	return r;
}
